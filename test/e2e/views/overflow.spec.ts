// The snapshot card's overflow states on the emulator: a small limit and a heavy workload
// give the warning, then the corrupted state with the device's error code, and the events.
import { attach, createDevice, createSnapshot, expect, goTo, openView, runWorkload, screenshot, takeSnapshot, test } from './helpers';

test('a snapshot whose storage overflows shows its error code, the corrupted state and the events', async ({ page, app }) => {
  await openView(page, app, '#/devices');
  await createDevice(page, 'disk1', '256M');
  await attach(page, '/dev/disk1');
  await createSnapshot(page, app, ['/dev/disk1'], '64M');
  const card = await takeSnapshot(page);

  await runWorkload(page, '/dev/disk1', { pattern: 'uniform', rate: '0', seconds: '2' });
  await goTo(page, 'Snapshots');
  await expect(card.getByText('Snapshot corrupted.')).toBeVisible({ timeout: 30_000 });
  await expect(card.getByRole('row', { name: /\/dev\/disk1/ })).toContainText(/-28|ENOSPC/);
  await screenshot(page, 'snapshot-corrupted');

  await goTo(page, 'Events');
  await page.getByLabel('Kind').selectOption('corrupted');
  const eventRow = page.getByRole('table', { name: 'Events' }).getByRole('row').filter({ hasNot: page.getByRole('columnheader') }).first();
  await expect(eventRow).toContainText('corrupted');
  await eventRow.click();
  await expect(page.getByRole('region', { name: 'Selected event' })).toContainText(/Event code/);
  await screenshot(page, 'events-corrupted');
});
