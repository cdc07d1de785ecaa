// How blksnapctl reaches the service: a running blksnap Manager that owns the emulator
// directory (its runtime.json: pid, url, token) is talked to through the web transport;
// otherwise the service is booted in this process, like the app boots it.
import { join } from 'node:path';
import type { BlksnapApi } from '../../shared/contract';
import type { GlobalOptions } from './globals';
import { hasCode } from './verbs/common';
import { noteCodePath } from '../app/codePaths';
import { readStateFileSync } from '../app/stateFiles';

export interface ApiConnection {
  api: BlksnapApi;
  kind: 'in-process' | 'remote';
  /** Things the user should know about this connection (printed on stderr). */
  notes?: string[];
  /** In-process: offer this service to other blksnapctl runs until close (long-running verbs). */
  share?(): Promise<void>;
  close(): Promise<void>;
}

/** `signal` (SIGINT) ends the service's waits early. */
export type Connector = (globals: GlobalOptions, signal?: AbortSignal) => Promise<ApiConnection>;

/** What a running app announces in <emulatorDir>/runtime.json (electron/web/runtime.ts writes it). */
export interface RuntimeInfo {
  pid: number;
  url: string;
  token: string;
  port: number;
}

/**
 * runtime.json's value when every field is there and right, else null. Checked here rather than
 * with a zod schema: a run that talks to a running app loads no zod (about 25 ms of CPU).
 */
export function parseRuntimeInfo(value: unknown): RuntimeInfo | null {
  if (typeof value !== 'object' || value === null) return null;
  const { pid, url, token, port } = value as Record<string, unknown>;
  if (!Number.isInteger(pid) || (pid as number) <= 0) return null;
  if (typeof url !== 'string' || url.length === 0 || typeof token !== 'string' || token.length === 0) return null;
  if (!Number.isInteger(port) || (port as number) < 0 || (port as number) > 65535) return null;
  return { pid: pid as number, url, token, port: port as number };
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, owned by another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The running app that owns `emulatorDir`, if any (a stale runtime.json is ignored). */
export function runningApp(emulatorDir: string): RuntimeInfo | null {
  let text: string;
  try {
    text = readStateFileSync(join(emulatorDir, 'runtime.json'));
  } catch {
    return null;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  const info = parseRuntimeInfo(parsed);
  if (!info || !processAlive(info.pid)) return null;
  return info;
}

/** How long a run waits for another short run to release the emulator directory. */
export const LOCK_WAIT_MS = 10_000;
const LOCK_POLL_MS = 100;

/**
 * The running app, or null when it went away meanwhile (a watcher ending: the caller falls back).
 * With --backend kernel, an app on the emulator is not the module's owner: null too.
 */
async function connectToApp(app: RuntimeInfo, globals: GlobalOptions): Promise<ApiConnection | null> {
  let connection: ApiConnection;
  try {
    // Loaded when used: a run reaches either a running app (ws) or its own service, not both.
    const { connectRemote } = await import('./remote');
    connection = await connectRemote(app);
  } catch (err) {
    if (hasCode(err, 'ETRANSPORT') && runningApp(globals.emulatorDir) === null) return null;
    throw err;
  }
  if (globals.backend === 'kernel') {
    const info = await connection.api.backendInfo({}).catch(() => null);
    if (info?.kind !== 'kernel') {
      await connection.close();
      return null;
    }
  }
  if (globals.explicit.length > 0) {
    const given = globals.explicit.map((name) => `--${name}`).join(', ');
    const owns = globals.backend === 'kernel' ? 'owns the blksnap module' : `owns ${globals.emulatorDir}`;
    connection.notes = [`blksnapctl: the running blksnap Manager (pid ${app.pid}) ${owns}; its backend applies and ${given} is ignored`];
  }
  return connection;
}

/**
 * A running app (or a sharing blksnapctl run) if one owns the directory, else the service booted
 * here. Another short run holding the directory (scripts run in parallel) is waited for. On the
 * kernel backend too: one process pumps the module's event queues, so a running app on the
 * kernel is always asked (issue 19, item 8).
 */
export const connectService: Connector = async (globals, signal) => {
  if (globals.backend === 'kernel') {
    const app = runningApp(globals.emulatorDir);
    const remote = app ? await connectToApp(app, globals) : null;
    return remote ?? (await import('./inProcess')).bootInProcess(globals, signal);
  }
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    const app = runningApp(globals.emulatorDir);
    const remote = app ? await connectToApp(app, globals) : null;
    if (remote) return remote;
    try {
      const { bootInProcess } = await import('./inProcess');
      return await bootInProcess(globals, signal);
    } catch (err) {
      if (!hasCode(err, 'EBUSY') || Date.now() >= deadline || signal?.aborted) throw err;
    }
    await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
  }
};

/** A connection made on first use (usage errors never touch the backend); close() ends whatever was opened. */
export class LazyConnection {
  private pending: Promise<ApiConnection> | null = null;

  constructor(
    private readonly connect: Connector,
    private readonly globals: GlobalOptions,
    private readonly onNote: (note: string) => void,
    private readonly signal?: AbortSignal,
  ) {}

  async get(): Promise<ApiConnection> {
    if (!this.pending) {
      this.pending = this.connect(this.globals, this.signal);
      const connection = await this.pending;
      // The code cache comes to hold both ways a call goes (electron/app/codePaths.ts).
      noteCodePath(connection.kind);
      for (const note of connection.notes ?? []) this.onNote(note);
    }
    return this.pending;
  }

  async close(): Promise<void> {
    const connection = await this.pending?.catch(() => null);
    await connection?.close().catch(() => undefined);
  }
}
