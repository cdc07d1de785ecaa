// Playwright fixtures: every test gets the web app on a fresh emulator state directory.
import { test as base, expect } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface RunningApp {
  /** The URL printed by the web mode, with its access token. */
  url: string;
  origin: string;
  token: string;
  stateDir: string;
  /** Everything the server printed so far. */
  output: () => string;
}

/**
 * Starts `node dist/web/main.mjs` (npm start --web) on a free port and waits for its URL.
 * `nodeArgs` go to node before the script (a test's --import preload).
 */
export async function startWebApp(stateDir: string, extraArgs: string[] = [], nodeArgs: string[] = []): Promise<{ app: RunningApp; child: ChildProcess }> {
  const child = spawn(process.execPath, [...nodeArgs, join(repoRoot, 'dist/web/main.mjs'), '--web', '--port', '0', '--no-open', '--emulator-dir', stateDir, ...extraArgs], {
    cwd: repoRoot,
    env: { ...process.env, CI: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`web mode printed no URL within 60 s:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /(http:\/\/127\.0\.0\.1:\d+\/\S*token=[A-Za-z0-9_-]+)/.exec(output);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`web mode exited (${code}) before printing a URL:\n${output}`));
    });
  });
  const parsed = new URL(url);
  return {
    child,
    app: { url, origin: parsed.origin, token: parsed.searchParams.get('token') ?? '', stateDir, output: () => output },
  };
}

export async function stopWebApp(child: ChildProcess): Promise<void> {
  // A child killed by a signal keeps exitCode null: signalCode says it is gone.
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  if (gone()) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  if (!gone()) {
    child.kill('SIGKILL');
    await exited;
  }
}

export const test = base.extend<{ app: RunningApp }>({
  // eslint-disable-next-line no-empty-pattern -- Playwright reads the fixture's dependencies from this pattern.
  app: async ({}, use) => {
    const stateDir = mkdtempSync(join(tmpdir(), 'blksnap-e2e-'));
    const { app, child } = await startWebApp(stateDir);
    try {
      await use(app);
    } finally {
      await stopWebApp(child);
      rmSync(stateDir, { recursive: true, force: true });
    }
  },
});

export { expect };
