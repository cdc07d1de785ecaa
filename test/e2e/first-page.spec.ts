// Cold start (issue 16): the page opened with the printed URL paints the device list from the
// page itself (electron/web/firstPage.ts), without waiting for the WebSocket, and before the
// app's script has run (the server's static first paint, renderer/firstPaint.tsx); a page opened
// without the token has no list until the WebSocket brings one.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createEmulator } from '../../electron/control/emulator';
import { expect, repoRoot, startWebApp, stopWebApp, test } from './fixtures';

test('the device list paints before the WebSocket answers, and only for the page opened with the token', async ({ page }) => {
  const stateDir = mkdtempSync(join(tmpdir(), 'blksnap-e2e-first-'));
  const emu = await createEmulator({ stateDir });
  await emu.createDevice('first0', 2 ** 30);
  await emu.createDevice('first1', 2 ** 28);
  await emu.attach('/dev/first0');
  await emu.close();
  const { app, child } = await startWebApp(stateDir);
  try {
    const csp: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) csp.push(m.text());
    });
    // The WebSocket opens but the service never answers on it.
    await page.routeWebSocket(/\/ws/, () => undefined);
    await page.goto(app.url);
    await expect(page.getByRole('row', { name: /\/dev\/first0/ }).getByText('tracked', { exact: true })).toBeVisible();
    await expect(page.getByRole('row', { name: /\/dev\/first1/ }).getByText('not tracked')).toBeVisible();
    await expect(page.getByText('2 block devices, 1 tracked')).toBeVisible();
    await expect(page.getByRole('region', { name: 'Backend' })).toContainText(/emulator/i);
    // The data block went with the first render; the token left the address bar as before.
    await expect(page.locator('script[type="application/json"]')).toHaveCount(0);
    expect(page.url()).not.toContain('token=');
    expect(csp).toEqual([]);

    // A reload has no token in its URL: no list until the WebSocket (held here) answers.
    await page.reload();
    await expect(page.getByText('Loading…').first()).toBeVisible();
    await expect(page.getByText('/dev/first0')).toHaveCount(0);
  } finally {
    await stopWebApp(child);
    rmSync(stateDir, { recursive: true, force: true });
  }
});

test('the list paints before the app\'s script has run, takes no input until then, and the app takes over', async ({ page }) => {
  const stateDir = mkdtempSync(join(tmpdir(), 'blksnap-e2e-paint-'));
  const emu = await createEmulator({ stateDir });
  await emu.createDevice('paint0', 2 ** 30);
  await emu.attach('/dev/paint0');
  await emu.createDevice('paint1', 2 ** 28);
  await emu.close();
  const { app, child } = await startWebApp(stateDir);
  try {
    // The app's entry script is held until the static list has been checked.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route(/\/assets\/index-[^/]*\.js$/, async (route) => {
      await held;
      await route.continue();
    });
    const stylesheets: string[] = [];
    page.on('request', (r) => {
      if (r.resourceType() === 'stylesheet') stylesheets.push(r.url());
    });
    await page.goto(app.url, { waitUntil: 'commit' });
    const firstPaint = page.locator('[data-first-paint]');
    await expect(firstPaint.getByRole('row', { name: /\/dev\/paint0/ }).getByText('tracked', { exact: true })).toBeVisible();
    await expect(firstPaint.getByText('2 block devices, 1 tracked')).toBeVisible();
    await expect(firstPaint.getByRole('region', { name: 'Backend' })).toContainText(/emulator/i);
    // Styled by the page itself (the stylesheet is inlined at build time): no second request.
    await expect(firstPaint.locator('.app')).toHaveCSS('display', 'flex');
    expect(stylesheets).toEqual([]);
    // Inert: its buttons do nothing yet, so they cannot take the focus either.
    const attach = firstPaint.getByText('Attach', { exact: true });
    await attach.focus();
    await expect(attach).not.toBeFocused();

    release();
    await expect(firstPaint).toHaveCount(0);
    await expect(page.getByRole('row', { name: /\/dev\/paint1/ }).getByText('not tracked')).toBeVisible();
    await page.getByRole('button', { name: 'Attach /dev/paint1' }).click();
    await expect(page.getByRole('dialog')).toBeVisible();
  } finally {
    await stopWebApp(child);
    rmSync(stateDir, { recursive: true, force: true });
  }
});

test('web mode loads the first paint\'s renderer right after printing the URL, before the page is asked for', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'blksnap-e2e-ahead-'));
  const emu = await createEmulator({ stateDir });
  await emu.createDevice('ahead0', 2 ** 30);
  await emu.close();
  // The preload says on stderr when a bundle is compiled and how many pages were asked for by then.
  const { app, child } = await startWebApp(stateDir, [], ['--import', pathToFileURL(join(repoRoot, 'test/e2e/report-bundle-loads.mjs')).href]);
  try {
    expect(app.output()).toContain('bundle loaded: main.cjs after 0 request(s)');
    // Nothing asks for the page here: the renderer loads anyway, while a browser would be opening the URL.
    await expect.poll(app.output, { timeout: 20_000 }).toContain('bundle loaded: first-paint.cjs after 0 request(s)');
  } finally {
    await stopWebApp(child);
    rmSync(stateDir, { recursive: true, force: true });
  }
});
