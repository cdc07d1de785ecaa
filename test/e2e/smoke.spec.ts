// The foundation's slice through every layer: web mode serves the app, which shows the active
// backend and its version, fetched through the typed API.
import { join } from 'node:path';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { test, expect, startWebApp, stopWebApp } from './fixtures';

test('web mode serves the app showing the emulator backend, why it was chosen, and its version', async ({ page, app }) => {
  await page.goto(app.url);
  const backend = page.getByRole('region', { name: 'Backend' });
  await expect(backend).toContainText(/emulator/i);
  await expect(backend).toContainText('2.0.0.0');
  await expect(backend).toContainText(/blksnap-control|no blksnap module|using the emulator/i);
  // The reference dialect is specified, not inferred: no "unverified" warning for it.
  await expect(page.getByText('unverified dialect')).toHaveCount(0);

  // The page rendered, not blank: a screenshot with real variety of pixels.
  const png = await page.screenshot({ path: test.info().outputPath('smoke.png'), fullPage: true });
  const distinctBytes = new Set(png.subarray(png.length / 2, png.length / 2 + 4096)).size;
  expect(png.length).toBeGreaterThan(10_000);
  expect(distinctBytes).toBeGreaterThan(32);
});

test('the web mode refuses requests without the access token', async ({ request, app }) => {
  const res = await request.get(`${app.origin}/metrics`);
  expect(res.status()).toBe(401);
  const ok = await request.get(`${app.origin}/metrics?token=${app.token}`);
  expect(ok.status()).toBe(200);
  expect(await ok.text()).toMatch(/blksnap_backend_info\{/);
});

test('the web mode announces itself in the emulator directory, for blksnapctl', async ({ app }) => {
  const runtime = JSON.parse(readFileSync(join(app.stateDir, 'runtime.json'), 'utf8')) as { url: string; token: string; pid: number };
  expect(runtime).toMatchObject({ url: app.url, token: app.token });
  expect(runtime.pid).toBeGreaterThan(0);
});

test('the page says so when the connection to the service drops after it loaded', async ({ page }) => {
  const stateDir = mkdtempSync(join(tmpdir(), 'blksnap-e2e-drop-'));
  const { app, child } = await startWebApp(stateDir);
  try {
    await page.goto(app.url);
    await expect(page.getByRole('region', { name: 'Backend', exact: true })).toContainText(/emulator/i);
    // The server's first paint shows the backend before the WebSocket is up: a drop before the
    // first answers is "cannot reach", not "connection lost". Wait for the live connection.
    await expect(page.locator('main#main')).not.toHaveAttribute('aria-busy', 'true');
    await expect(page.getByText('Connection lost.')).toHaveCount(0);
    await stopWebApp(child);
    await expect(page.getByRole('alert').filter({ hasText: 'Connection lost.' })).toContainText(/reconnecting/);
  } finally {
    await stopWebApp(child);
    rmSync(stateDir, { recursive: true, force: true });
  }
});
