// The Devices view on a fresh emulator: a device appears, its tracker is attached and detached
// with confirmation, and a refused operation shows the service's error.
import { attach, createDevice, expect, goTo, openView, screenshot, test } from './helpers';

test('lists a new device and attaches and detaches its tracker with confirmation', async ({ page, app }) => {
  await openView(page, app, '#/devices');
  await expect(page.getByRole('heading', { level: 1, name: 'Devices' })).toBeVisible();
  await createDevice(page, 'disk1', '256M');
  await goTo(page, 'Devices');

  const row = page.getByRole('row', { name: /\/dev\/disk1/ });
  await expect(row.getByText('256 MiB')).toHaveAttribute('title', /524,288 sectors/);
  await expect(row.getByText('not tracked')).toBeVisible();

  // Cancel changes nothing.
  await page.getByRole('button', { name: 'Attach /dev/disk1' }).click();
  const dialog = page.getByRole('dialog', { name: 'Attach tracker to /dev/disk1?' });
  await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  await expect(row.getByText('not tracked')).toBeVisible();

  await attach(page, '/dev/disk1');
  await expect(row.getByText('64 KiB')).toBeVisible();
  await expect(row.getByRole('cell', { name: '4,096' })).toBeVisible();
  await screenshot(page, 'devices-tracked');

  await page.getByRole('button', { name: 'Detach /dev/disk1' }).click();
  await page.getByRole('dialog', { name: 'Detach tracker from /dev/disk1?' }).getByRole('button', { name: 'Detach' }).click();
  await expect(row.getByText('not tracked')).toBeVisible();
});

test('a device in a snapshot cannot be detached, and the error says why', async ({ page, app }) => {
  await openView(page, app, '#/devices');
  await createDevice(page, 'disk2', '128M');
  await attach(page, '/dev/disk2');
  await goTo(page, 'Snapshots');
  const form = page.getByRole('form', { name: 'Create snapshot' });
  await form.getByRole('checkbox', { name: /\/dev\/disk2/ }).check();
  const directory = form.getByRole('radio', { name: /^Directory/ });
  if (await directory.count()) await directory.check();
  await form.getByLabel('Storage directory').fill(app.stateDir);
  await form.getByRole('button', { name: 'Create snapshot' }).click();
  await expect(form.getByRole('status')).toContainText('created');

  await goTo(page, 'Devices');
  await page.getByRole('button', { name: 'Detach /dev/disk2' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('button', { name: 'Detach' }).click();
  await expect(dialog.getByRole('alert')).toContainText(/snapshot/i);
  await expect(dialog.getByRole('button', { name: 'Detach anyway' })).toBeVisible();
  await screenshot(page, 'devices-detach-refused');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByRole('row', { name: /\/dev\/disk2/ }).getByText('tracked', { exact: true })).toBeVisible();
});
