// View tests run on the web app over a fresh emulator directory (the lead's fixture), or, with
// RENDERER_FAKE_URL=http://127.0.0.1:PORT, on a build of the renderer over its in-memory fake
// API started empty (`npx tsx test/bench/_rendererBuild.ts PORT`), to check the views alone.
import type { Locator, Page } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { createWsApi, type WsClient } from '../../../renderer/api';
import type { WebSocketCtor } from '../../../renderer/api/ws';
import type { BlksnapApi } from '../../../shared/contract';
import { expect, startWebApp, stopWebApp, test as appTest, type RunningApp } from '../fixtures';

const fakeUrl = process.env.RENDERER_FAKE_URL;

export const test = fakeUrl
  ? appTest.extend<{ app: RunningApp }>({
    // eslint-disable-next-line no-empty-pattern
    app: async ({}, use) => {
      await use({ url: `${fakeUrl}/?fake=1&empty=1`, origin: fakeUrl, token: '', stateDir: '/tmp', output: () => '' });
    },
  })
  : appTest;

/** The same, on the emulator's v1 flavour (Veeam Agent 6.x: no attach, devices fixed at create). */
export const testV1 = fakeUrl
  ? appTest.extend<{ app: RunningApp }>({
    // eslint-disable-next-line no-empty-pattern
    app: async ({}, use) => {
      await use({ url: `${fakeUrl}/?fake=1&empty=1&dialect=v1`, origin: fakeUrl, token: '', stateDir: '/tmp', output: () => '' });
    },
  })
  : appTest.extend<{ app: RunningApp }>({
    // eslint-disable-next-line no-empty-pattern
    app: async ({}, use) => {
      const stateDir = mkdtempSync(join(tmpdir(), 'blksnap-e2e-v1-'));
      const { app, child } = await startWebApp(stateDir, ['--emulate', 'v1']);
      try {
        await use(app);
      } finally {
        await stopWebApp(child);
        rmSync(stateDir, { recursive: true, force: true });
      }
    },
  });

export { expect };

/** Opens a view by its hash route, keeping the token in the URL. */
export async function openView(page: Page, app: RunningApp, hash: string): Promise<void> {
  const url = new URL(app.url);
  url.hash = hash;
  await page.goto(url.toString());
  await expect(page.getByRole('region', { name: 'Backend', exact: true })).toContainText(/emulator/i);
  // The server's first paint (inert, busy) shows the device list before the app runs: wait for
  // the app's own render with the service's answers in, so clicks reach live controls.
  await expect(page.locator('main#main')).not.toHaveAttribute('aria-busy', 'true');
}

export async function goTo(page: Page, view: 'Devices' | 'Snapshots' | 'Events' | 'Backend'): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: view }).click();
  await expect(page.getByRole('heading', { level: 1, name: view })).toBeVisible();
}

/** Creates an emulated device through the Backend panel. */
export async function createDevice(page: Page, name: string, size: string): Promise<void> {
  await goTo(page, 'Backend');
  const form = page.getByRole('form', { name: 'Create emulated device' });
  await form.getByLabel('Name').fill(name);
  await form.getByLabel('Size').fill(size);
  await form.getByRole('button', { name: 'Create device' }).click();
  await expect(page.getByRole('row', { name: new RegExp(`/dev/${name}\\b`) })).toBeVisible();
}

export async function attach(page: Page, path: string): Promise<void> {
  await goTo(page, 'Devices');
  await page.getByRole('button', { name: `Attach ${path}` }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Attach' }).click();
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await expect(page.getByRole('row', { name: new RegExp(path) }).getByText('tracked', { exact: true })).toBeVisible();
}

/** Starts a workload and waits until it has finished. */
export async function runWorkload(page: Page, device: string, options: { pattern?: string; rate?: string; seconds?: string } = {}): Promise<void> {
  await goTo(page, 'Backend');
  const form = page.getByRole('form', { name: 'Start workload' });
  await form.getByLabel('Device').selectOption(device);
  await form.getByLabel('Pattern').selectOption(options.pattern ?? 'sequential');
  await form.getByLabel('Rate per second').fill(options.rate ?? '0');
  await form.getByLabel('Duration (seconds)').fill(options.seconds ?? '1');
  await form.getByRole('button', { name: 'Start workload' }).click();
  await expect(page.getByRole('row', { name: new RegExp(device) }).getByText('done')).toBeVisible({ timeout: 30_000 });
}

export async function createSnapshot(page: Page, app: RunningApp, devices: string[], limit = '1G'): Promise<void> {
  await goTo(page, 'Snapshots');
  const form = page.getByRole('form', { name: 'Create snapshot' });
  for (const d of devices) await form.getByRole('checkbox', { name: new RegExp(d) }).check();
  const directory = form.getByRole('radio', { name: /^Directory/ });
  if (await directory.count()) await directory.check();
  await form.getByLabel('Storage directory').fill(app.stateDir);
  await form.getByLabel('Storage limit').fill(limit);
  await form.getByRole('button', { name: 'Create snapshot' }).click();
  await expect(form.getByRole('status')).toContainText('created');
}

/** Takes the one snapshot the Snapshots view shows and waits until its card says taken; the card. */
export async function takeSnapshot(page: Page): Promise<Locator> {
  const card = page.getByRole('region', { name: /^Snapshot [0-9a-f-]{36}/ });
  await card.getByRole('button', { name: /^Take snapshot/ }).click();
  await expect(card.getByText('taken', { exact: true })).toBeVisible();
  return card;
}

/** A full-page screenshot from the top (the sticky top bar would otherwise land mid-page). */
export async function screenshot(page: Page, name: string): Promise<void> {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `test-results/views/${name}.png`, fullPage: true });
}

/** The UI's own API client, from Node (ws's WebSocket: Node 20 has none built in). */
export async function connect(app: RunningApp): Promise<BlksnapApi & { close(): void }> {
  const client: WsClient = createWsApi({
    url: `${app.origin.replace('http', 'ws')}/ws`, token: app.token, reconnectDelayMs: 0,
    WebSocketImpl: WebSocket as unknown as WebSocketCtor,
  });
  await client.ready;
  return Object.assign(Object.create(client.api) as BlksnapApi, { close: () => client.close() });
}
