// While a long-running in-process verb runs (snapshot_watcher, emu_workload), its service is
// offered to other blksnapctl runs through the web transport and <emulatorDir>/runtime.json,
// as a running app offers its own: the emulator directory has one owner at a time, so this is
// how `blksnapctl snapshot_watcher -i ID &` and later writes can run side by side.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BlksnapService } from '../service';
import { startWebServer } from '../web/server';

export const RUNTIME_FILE = 'runtime.json';
/** How long other runs' calls in flight may take to finish when the sharing run ends. */
const CLOSE_GRACE_MS = 500;

/** The built renderer, so the same URL also opens the GUI: dist/cli/… → dist/renderer; sources → <repo>/dist/renderer. */
function rendererDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, '..', 'renderer'), join(here, '..', '..', 'dist', 'renderer'), resolve('dist', 'renderer')];
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? candidates[0]!;
}

function removeIfOurs(file: string): void {
  try {
    const content = JSON.parse(readFileSync(file, 'utf8')) as { pid?: unknown };
    if (content.pid === process.pid) rmSync(file, { force: true });
  } catch {
    // Gone or unreadable: nothing of ours to remove.
  }
}

/** Serves `service` on loopback and announces it in runtime.json; the result stops both. */
export async function shareService(service: BlksnapService, emulatorDir: string): Promise<() => Promise<void>> {
  const server = await startWebServer({ service, staticDir: rendererDir() });
  const file = join(emulatorDir, RUNTIME_FILE);
  writeFileSync(file, JSON.stringify({ pid: process.pid, url: server.url, token: server.token, port: server.port }, null, 2), { mode: 0o600 });
  return async () => {
    // No new runs find us; calls in flight (the write that ended a watcher) get their answer.
    removeIfOurs(file);
    await new Promise((r) => setTimeout(r, CLOSE_GRACE_MS));
    await server.close();
  };
}
