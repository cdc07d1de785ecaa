// <emulatorDir>/runtime.json {pid, url, token, port} (mode 0600) announces the process that owns
// the emulator directory and serves its service on loopback, so blksnapctl talks to it instead
// of failing on the directory lock. The web mode, the Electron app and long-running blksnapctl
// verbs (snapshot_watcher, emu_workload) all announce themselves this way.
import { existsSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BlksnapService } from '../service';
import { readStateFileSync, writeStateFileSync } from '../app/stateFiles';
import { startWebServer } from './server';

export const RUNTIME_FILE = 'runtime.json';
/** After runtime.json is gone: time for a call another run sent just before to arrive. */
const CLOSE_GRACE_MS = 500;
/** A client still connected (a blksnapctl run between its connect and its first call) is waited for this long. */
const CLOSE_OPEN_GRACE_MS = 5_000;

/** The built renderer, so the same URL also opens the GUI: dist/<entry>/… → dist/renderer; sources → <repo>/dist/renderer. */
export function rendererDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, '..', 'renderer'), join(here, '..', '..', 'dist', 'renderer'), resolve('dist', 'renderer')];
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? candidates[0]!;
}

/** Removes the runtime file only if it is still ours (another instance may have replaced it). */
export function removeIfOurs(file: string): void {
  try {
    const content = JSON.parse(readStateFileSync(file)) as { pid?: unknown };
    if (content.pid === process.pid) rmSync(file, { force: true });
  } catch {
    // Gone or unreadable: nothing of ours to remove.
  }
}

/** Serves `service` on loopback and announces it in runtime.json; the result stops both. */
export async function shareService(service: BlksnapService, emulatorDir: string): Promise<() => Promise<void>> {
  const server = await startWebServer({ service, staticDir: rendererDir() });
  const file = writeRuntimeFile(emulatorDir, server);
  return async () => {
    // No new runs find us; every call in progress (the write that ended a watcher) completes and
    // gets its answer however long it takes: a write to an original is never cut off halfway.
    // A run writing in pieces is served to its last piece (each within the grace of the answer).
    removeIfOurs(file);
    await server.settle(CLOSE_GRACE_MS, CLOSE_OPEN_GRACE_MS);
    await server.close();
  };
}

/** Announces this process as the one serving the emulator directory; returns the file's path. */
export function writeRuntimeFile(emulatorDir: string, server: { url: string; token: string; port: number }): string {
  const file = join(emulatorDir, RUNTIME_FILE);
  // Not flushed to disk: it describes this process only, and a start waits for it before its URL.
  writeStateFileSync(file, JSON.stringify({ pid: process.pid, url: server.url, token: server.token, port: server.port }, null, 2), { durable: false });
  return file;
}
