// Runs blksnapctl in-process with captured output, against a fake service or a real one.
import type { BlksnapApi } from '../../../shared/contract';
import type { BackendInfo, SnapshotEvent } from '../../../shared/schemas';
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

/** The snapshot id the fake-service tests use. */
export const ID = '3f2b8e1c-0a4d-4f6e-9b1a-2c3d4e5f6a7b';

/** What `backendInfo` answers in the fake-service tests: an emulated lk6.15 or v1. */
export function backend(dialect: 'lk6.15' | 'v1' = 'lk6.15'): BackendInfo {
  const v1 = dialect === 'v1';
  return {
    kind: 'emulator', dialect, dialectLabel: v1 ? 'v1 (emulated)' : 'upstream lk6.15 (emulated)', verified: true,
    reason: 'no module; using the emulator', version: v1 ? { major: 1, minor: 0, revision: 0, build: 0 } : { major: 2, minor: 0, revision: 0, build: 0 },
    controlNode: null, stateDir: '/tmp/x',
    capabilities: {
      explicitAttach: !v1, addAfterCreate: !v1, appendStorage: v1, cbtMapNeedsTakenSnapshot: v1, maxSnapshots: v1 ? 1 : null,
      storageModes: v1 ? ['ranges'] : ['file', 'directory', 'block'], eventCodes: v1 ? { 0: 'low_free_space', 1: 'corrupted' } : { 0: 'corrupted', 1: 'no_space' },
      needsStretchService: v1,
    },
  };
}

/** A module event of `kind` on `ID`. */
export function event(kind: SnapshotEvent['kind'], extra: Partial<SnapshotEvent> = {}): SnapshotEvent {
  return { snapshotId: ID, code: { corrupted: 0, no_space: 1, low_free_space: 2, unknown: 7 }[kind], kind, timeLabelNs: '4294967396', device: null, errCode: null, requestedSectors: null, ...extra };
}

/** blksnapctl `argv` against a fake service (lk6.15 unless `methods` says otherwise), counting connections. */
export async function run(argv: string[], methods: Partial<BlksnapApi> = {}) {
  const connect = fakeConnector(fakeApi({ backendInfo: async () => backend(), ...methods }));
  const r = await cli(argv, { connect, env: {} });
  return { ...r, connects: connect.connects, closes: connect.closes };
}

export { tempDirEach } from '../../tempDir';
