// Events: the live stream shows the app's events, pauses without losing any, filters, exports.
import { attach, createDevice, expect, goTo, openView, screenshot, test } from './helpers';

test('the event stream pauses, resumes, filters and exports JSON Lines', async ({ page, app }) => {
  await openView(page, app, '#/events');
  await createDevice(page, 'disk1', '64M');
  await goTo(page, 'Events');
  const list = page.getByRole('table', { name: 'Events' });
  const rows = list.getByRole('row').filter({ hasNot: page.getByRole('columnheader') });
  await expect(rows.first()).toBeVisible();

  await page.getByRole('button', { name: 'Pause' }).click();
  const shownBefore = await rows.count();
  await attach(page, '/dev/disk1');
  await goTo(page, 'Events');
  await expect(page.getByText(/Paused: [1-9][\d,]* new events? arrived meanwhile/)).toBeVisible();
  expect(await rows.count()).toBe(shownBefore);
  await screenshot(page, 'events-paused');
  await page.getByRole('button', { name: 'Resume' }).click();
  await expect(page.getByText(/Paused:/)).toHaveCount(0);

  const kinds = await page.getByLabel('Kind').locator('option').allTextContents();
  const kind = kinds.find((k) => k !== 'All')!;
  await page.getByLabel('Kind').selectOption(kind);
  await expect(page.getByText(/matching the filters/)).toBeVisible();
  for (const row of await rows.all()) await expect(row).toContainText(kind);

  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export JSON Lines' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(/^blksnap-events-.*\.jsonl$/);
  await page.getByRole('button', { name: 'Clear filters' }).click();

  // Select an event with the mouse, move with the keyboard: its details show below the list.
  await rows.first().click();
  await expect(page.getByRole('region', { name: 'Selected event' })).toContainText('Event #');
  await list.focus();
  await page.keyboard.press('ArrowDown');
  await expect(rows.nth(1)).toHaveAttribute('aria-current', 'true');
  await screenshot(page, 'events');
  await screenshot(page, 'events');
});
