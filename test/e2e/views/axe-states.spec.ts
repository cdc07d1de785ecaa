// axe on the states the view sweep (firstrun.spec.ts) does not reach: an unknown device's page, a
// corrupted snapshot and its device's page, the confirm dialogs, a selected event and a filter
// that matches nothing. Every finding counts here, not only serious and critical ones.
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { attach, createDevice, createSnapshot, expect, goTo, openView, runWorkload, screenshot, takeSnapshot, test } from './helpers';

async function findings(page: Page, state: string): Promise<string[]> {
  const result = await new AxeBuilder({ page }).analyze();
  return result.violations.map((v) => `${state}: ${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
}

test('axe finds nothing on error, dialog and empty states', async ({ page, app }) => {
  test.setTimeout(180_000);
  const problems: string[] = [];

  await openView(page, app, `#/devices/${encodeURIComponent('/dev/nope')}`);
  await expect(page.getByText('No device /dev/nope')).toBeVisible();
  problems.push(...(await findings(page, 'unknown device')));

  await createDevice(page, 'disk1', '256M');
  await attach(page, '/dev/disk1');
  // 4 MiB holds the 2 MiB the module keeps unused and a few chunks: a workload overflows it.
  await createSnapshot(page, app, ['/dev/disk1'], '4M');
  const card = await takeSnapshot(page);
  await runWorkload(page, '/dev/disk1', { pattern: 'uniform', rate: '0', seconds: '1' });

  await goTo(page, 'Snapshots');
  await expect(card.getByText('Snapshot corrupted.')).toBeVisible();
  problems.push(...(await findings(page, 'corrupted snapshot')));
  await card.getByRole('button', { name: /^Destroy snapshot/ }).click();
  await expect(page.getByRole('dialog')).toBeVisible();
  problems.push(...(await findings(page, 'destroy dialog')));
  await page.keyboard.press('Escape');
  await expect(page.getByRole('dialog')).toHaveCount(0);

  await goTo(page, 'Devices');
  await page.getByRole('button', { name: 'Detach /dev/disk1' }).click();
  await expect(page.getByRole('dialog')).toBeVisible();
  problems.push(...(await findings(page, 'detach dialog')));
  await page.keyboard.press('Escape');
  await page.getByRole('button', { name: 'Open /dev/disk1' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'cannot be read: its area is corrupted' })).toBeVisible();
  await screenshot(page, 'device-detail-corrupted');
  problems.push(...(await findings(page, 'corrupted device detail')));

  await goTo(page, 'Backend');
  await page.getByRole('button', { name: 'Remove /dev/disk1' }).click();
  await expect(page.getByRole('dialog')).toBeVisible();
  problems.push(...(await findings(page, 'remove dialog (blocked)')));
  await page.keyboard.press('Escape');

  await goTo(page, 'Events');
  await page.getByRole('table', { name: 'Events' }).getByRole('row').filter({ hasText: 'corrupted for /dev/disk1' }).first().click();
  await expect(page.getByRole('region', { name: 'Selected event' })).toContainText('Event code');
  problems.push(...(await findings(page, 'selected event')));
  await page.getByLabel('Kind').selectOption('corrupted');
  await page.getByLabel('Level').selectOption('info');
  await expect(page.getByText('No event matches the filters')).toBeVisible();
  problems.push(...(await findings(page, 'events, no match')));

  expect(problems).toEqual([]);
});
