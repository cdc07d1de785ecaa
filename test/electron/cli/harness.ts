// Runs blksnapctl in-process with captured output, against a fake service or a real one.
import type { BlksnapApi } from '../../../shared/contract';
import { appError } from '../../../shared/errors';
import type { ApiConnection, Connector } from '../../../electron/cli/connect';
import { runCli, type CliDeps } from '../../../electron/cli/main';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout split into lines (the last newline does not start a line). */
  lines: string[];
}

export async function cli(argv: string[], deps: CliDeps = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) }, deps);
  const lines = stdout === '' ? [] : stdout.replace(/\n$/, '').split('\n');
  return { code, stdout, stderr, lines };
}

/** A service whose every method fails EINTERNAL "not faked" unless given. */
export function fakeApi(methods: Partial<BlksnapApi>): BlksnapApi {
  return new Proxy(methods, {
    get(target, name) {
      // Not a thenable: the api is resolved from async functions.
      if (typeof name !== 'string' || name === 'then') return undefined;
      const fn = (target as Record<string, unknown>)[name];
      if (fn) return fn;
      return () => Promise.reject(appError('EINTERNAL', `${name} is not faked`));
    },
  }) as BlksnapApi;
}

/** A connector handing out `api`, counting connections and closes. */
export function fakeConnector(api: BlksnapApi): Connector & { connects: number; closes: number } {
  const c = Object.assign(async (): Promise<ApiConnection> => {
    c.connects += 1;
    return { api, kind: 'in-process', close: async () => void (c.closes += 1) };
  }, { connects: 0, closes: 0 });
  return c;
}

