// Cold start (issue 16): the page opened with the printed URL paints the device list from the
// page itself (electron/web/firstPage.ts), without waiting for the WebSocket; a page opened
// without the token has no list until the WebSocket brings one.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmulator } from '../../electron/control/emulator';
import { expect, startWebApp, stopWebApp, test } from './fixtures';

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
