// How the lists use the window an admin has (eighth session, ux2): the events list runs to the
// window's bottom on a tall screen (it stopped at 520 px), and keeps the selected event's
// details in view below it.
import type { Page } from '@playwright/test';
import { connect, expect, openView, test } from './helpers';
import type { RunningApp } from '../fixtures';

/** `count` app events, one per emulated device created through the UI's own API. */
async function manyEvents(app: RunningApp, count: number): Promise<void> {
  const api = await connect(app);
  try {
    for (let i = 0; i < count; i++) await api.emuCreateDevice({ name: `d${i}`, sizeBytes: 1024 * 1024 });
  } finally {
    api.close();
  }
}

async function box(page: Page, selector: string): Promise<{ top: number; bottom: number; height: number }> {
  const b = await page.locator(selector).boundingBox();
  if (!b) throw new Error(`${selector} is not laid out`);
  return { top: b.y, bottom: b.y + b.height, height: b.height };
}

test('the events list runs to the bottom of a tall window and keeps the details in view below it', async ({ page, app }) => {
  await manyEvents(app, 60);
  for (const size of [{ width: 1920, height: 1080 }, { width: 1280, height: 720 }]) {
    await page.setViewportSize(size);
    await openView(page, app, '#/events');
    await expect(page.getByText(/Showing (6\d|[7-9]\d) events/)).toBeVisible();
    const list = await box(page, '.event-list');
    // To the window's bottom, less the card's padding: not 520 px with half a 1080 px screen empty.
    expect(size.height - list.bottom, `${size.width}×${size.height}: space under the list`).toBeLessThanOrEqual(48);
    expect(size.height - list.bottom).toBeGreaterThanOrEqual(0);
    await page.screenshot({ path: `test-results/views/layout-events-${size.width}x${size.height}.png` });

    // A selected event's details show below the list, in the window, without scrolling the page.
    await page.getByRole('table', { name: 'Events' }).getByRole('row').nth(3).click();
    const details = page.getByRole('region', { name: 'Selected event' });
    await expect(details).toBeVisible();
    await expect.poll(async () => (await details.boundingBox())!.y + (await details.boundingBox())!.height).toBeLessThanOrEqual(size.height);
    expect(await page.evaluate(() => window.scrollY)).toBe(0);
    await page.screenshot({ path: `test-results/views/layout-events-selected-${size.width}x${size.height}.png` });
  }
});
