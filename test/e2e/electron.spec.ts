// The same slice through the Electron shell, with Playwright's Electron support. Runs wherever
// the Electron binary and a display exist (`npm run fetch-electron`; `xvfb-run npm test` on a
// headless machine); skipped with the reason elsewhere (CI and these machines cannot download it).
import { _electron as electron } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, expect, repoRoot } from './fixtures';
// @ts-expect-error: a plain .mjs helper shared with build/start.cjs, no type declarations.
import { electronBinary } from '../../build/electron-binary.mjs';

const binary = electronBinary() as { path: string | null; reason: string | null };

test('the Electron window shows the emulator backend and its version', async () => {
  test.skip(!binary.path, `Electron end-to-end skipped: ${binary.reason}`);
  const stateDir = mkdtempSync(join(tmpdir(), 'blksnap-electron-'));
  const app = await electron.launch({
    executablePath: binary.path ?? undefined,
    args: [join(repoRoot, 'dist/electron/main.mjs'), '--emulator-dir', stateDir, '--no-sandbox'],
  });
  try {
    const window = await app.firstWindow();
    const backend = window.getByRole('region', { name: 'Backend' });
    await expect(backend).toContainText(/emulator/i);
    await expect(backend).toContainText('2.0.0.0');
    // No Node in the page (nodeIntegration off, context isolated): only the preload's one API object.
    const exposed = await window.evaluate(() => ({
      require: typeof (globalThis as { require?: unknown }).require,
      process: typeof (globalThis as { process?: unknown }).process,
      api: typeof (globalThis as { blksnap?: unknown }).blksnap,
    }));
    expect(exposed).toEqual({ require: 'undefined', process: 'undefined', api: 'object' });
  } finally {
    await app.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
});
