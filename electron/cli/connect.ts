// How blksnapctl reaches the service: a running blksnap Manager that owns the emulator
// directory (its runtime.json: pid, url, token) is talked to through the web transport;
// otherwise the service is booted in this process, like the app boots it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { BlksnapApi } from '../../shared/contract';
import type { GlobalOptions } from './globals';
import { bootInProcess } from './inProcess';
import { connectRemote } from './remote';

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

export const RuntimeInfo = z.object({
  pid: z.number().int().positive(),
  url: z.string().min(1),
  token: z.string().min(1),
  port: z.number().int().min(0).max(65535),
});
export type RuntimeInfo = z.infer<typeof RuntimeInfo>;

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
    text = readFileSync(join(emulatorDir, 'runtime.json'), 'utf8');
  } catch {
    return null;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  const r = RuntimeInfo.safeParse(parsed);
  if (!r.success || !processAlive(r.data.pid)) return null;
  return r.data;
}

export const connectService: Connector = async (globals, signal) => {
  const app = globals.backend === 'kernel' ? null : runningApp(globals.emulatorDir);
  if (app) {
    const connection = await connectRemote(app);
    if (globals.explicit.length > 0) {
      const given = globals.explicit.map((name) => `--${name}`).join(', ');
      connection.notes = [`blksnapctl: the running blksnap Manager (pid ${app.pid}) owns ${globals.emulatorDir}; its backend applies and ${given} is ignored`];
    }
    return connection;
  }
  return bootInProcess(globals, signal);
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
      for (const note of (await this.pending).notes ?? []) this.onNote(note);
    }
    return this.pending;
  }

  async close(): Promise<void> {
    const connection = await this.pending?.catch(() => null);
    await connection?.close().catch(() => undefined);
  }
}
