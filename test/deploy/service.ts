// A service-mode process as an admin runs it: bin/blksnap-manager.mjs serve on the emulator,
// built from the sources first (as `npm run build` would), with its own state directory.
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { buildNodeEntries, NODE_ENTRIES } from '../../build/build.mjs';
import { connectRemote } from '../../electron/cli/remote';
import { runningApp } from '../../electron/cli/connect';
import type { BlksnapApi } from '../../shared/contract';

export const root = resolve(__dirname, '..', '..');

/** The bundles the service and blksnapctl run: the same options as build/build.mjs gives them. */
export async function buildBundles(): Promise<void> {
  const wanted = ['electron/serve/main.ts', 'electron/cli/blksnapctl.ts'];
  await buildNodeEntries(build, { entries: NODE_ENTRIES.filter((e) => wanted.includes(e.in)), logLevel: 'error' });
}

export interface ServiceProcess {
  child: ChildProcess;
  /** http://127.0.0.1:PORT (the UI, token required). */
  ui: string;
  uiPort: number;
  /** http://127.0.0.1:PORT/metrics, or null when off. */
  metricsUrl: string | null;
  log: string[];
  stop(): Promise<number | null>;
}

/** Environment without anything that would move the state directory behind the test's back. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  delete env.STATE_DIRECTORY;
  delete env.JOURNAL_STREAM;
  return env;
}

/** A safety net: a start takes about a second, many on a loaded machine. */
const START_TIMEOUT_MS = 45_000;

/** Starts `blksnap-manager serve ...args` and resolves once it logged that it serves. */
export async function startService(args: string[], env: NodeJS.ProcessEnv = cleanEnv()): Promise<ServiceProcess> {
  const child = spawn(process.execPath, [join(root, 'bin', 'blksnap-manager.mjs'), 'serve', '--backend', 'emulator', ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const log: string[] = [];
  let buffered = '';
  const started = new Promise<string>((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`the service did not start within ${START_TIMEOUT_MS} ms:\n${log.join('\n')}`)), START_TIMEOUT_MS);
    child.stderr!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        log.push(line);
        if (line.includes('msg="blksnap Manager service started"')) {
          clearTimeout(timer);
          resolvePromise(line);
        }
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the service exited (${code}) before it started:\n${log.join('\n')}${buffered}`));
    });
  });
  const line = await started;
  const field = (name: string) => new RegExp(`\\b${name}=(\\S+)`).exec(line)?.[1] ?? null;
  const ui = field('ui')!;
  const metrics = field('metrics');
  return {
    child,
    ui,
    uiPort: Number(new URL(ui).port),
    metricsUrl: metrics === 'off' ? null : metrics,
    log,
    stop: () => new Promise((resolveStop) => {
      if (child.exitCode !== null) return resolveStop(child.exitCode);
      child.once('exit', (code) => resolveStop(code));
      child.kill('SIGTERM');
    }),
  };
}

/** A client of the running service, found the way blksnapctl finds it (runtime.json). */
export async function connectTo(emulatorDir: string): Promise<{ api: BlksnapApi; close(): Promise<void> }> {
  const app = runningApp(emulatorDir);
  if (!app) throw new Error(`no running service announced in ${emulatorDir}`);
  return connectRemote(app);
}
