// npm start -- --web (build/start.cjs): the freshness check, then the web mode in the same process,
// all without Node's ES module loader (cold start, issue 16: the loader's start and its
// asynchronous module reads were 40-70 ms of the time to the URL on a loaded machine).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmulator } from '../../electron/control/emulator';
import { expect, repoRoot, stopWebApp, test } from './fixtures';

test('npm start serves web mode in its own process without running an ES module, and the page carries the list', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'blksnap-e2e-npm-start-'));
  const emu = await createEmulator({ stateDir });
  await emu.createDevice('start0', 2 ** 30);
  await emu.close();
  const preload = join(repoRoot, 'test/e2e/report-esm-loader.cjs');
  const child = spawn(process.execPath, ['--require', preload, join(repoRoot, 'build/start.cjs'), '--web', '--no-open', '--port', '0', '--emulator-dir', stateDir], {
    cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    let output = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL within 120 s:\n${output}`)), 120_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const m = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+)/.exec(output);
        if (m?.[1] && output.includes('ES modules run by the URL')) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', (code) => reject(new Error(`npm start exited (${code}) before printing a URL:\n${output}`)));
    });
    expect(output).toContain('Web mode: --web was given.');
    expect(output).toContain('ES modules run by the URL: none');
    const page = await (await fetch(url)).text();
    expect(page).toContain('data-first-paint');
    expect(page).toContain('/dev/start0');
  } finally {
    await stopWebApp(child);
    rmSync(stateDir, { recursive: true, force: true });
  }
});

test('npm start without --web says why there is no window and serves web mode', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'blksnap-e2e-npm-start-'));
  // No display: whether or not the Electron binary was downloaded, there is no window to open.
  const env = { ...process.env };
  delete env.DISPLAY;
  delete env.WAYLAND_DISPLAY;
  const child = spawn(process.execPath, [join(repoRoot, 'build/start.cjs'), '--no-open', '--port', '0', '--emulator-dir', stateDir], {
    cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env,
  });
  try {
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL within 120 s:\n${output}`)), 120_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (/http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+/.test(output)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', (code) => reject(new Error(`npm start exited (${code}) before printing a URL:\n${output}`)));
    });
    expect(output).toMatch(/^Web mode: (the Electron binary is not installed|no display).*\.\n/);
  } finally {
    await stopWebApp(child);
    rmSync(stateDir, { recursive: true, force: true });
  }
});
