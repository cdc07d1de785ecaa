// The views adapt to the dialect's capabilities: on v1 (Veeam Agent 6.x) there is no attach,
// trackers appear at snapshot create, the device list is fixed then, one snapshot at a time.
import { createDevice, expect, goTo, openView, screenshot, testV1 as test } from './helpers';

test('on v1 the devices and snapshot views ask for what the dialect needs', async ({ page, app }) => {
  await openView(page, app, '#/devices');
  await expect(page.getByRole('note')).toContainText('gets its tracker when a snapshot that includes it is created');
  await createDevice(page, 'disk1', '128M');
  await goTo(page, 'Devices');
  await expect(page.getByRole('button', { name: 'Attach /dev/disk1' })).toHaveCount(0);
  await expect(page.getByRole('row', { name: /\/dev\/disk1/ })).toContainText('at snapshot create');

  await goTo(page, 'Snapshots');
  const form = page.getByRole('form', { name: 'Create snapshot' });
  await expect(form).toContainText('fixes the device list at create');
  await expect(form).toContainText('stretch service');
  await form.getByRole('button', { name: 'Create snapshot' }).click();
  await expect(form.getByText(/Choose at least one device/)).toBeVisible();

  await expect(form.getByText(/Enter the directory/)).toBeVisible();

  await form.getByRole('checkbox', { name: /\/dev\/disk1/ }).check();
  await form.getByLabel('Storage directory').fill(app.stateDir);
  await form.getByLabel('Storage limit').fill('4G');
  await form.getByRole('button', { name: 'Create snapshot' }).click();
  await expect(form.getByRole('status')).toContainText('created');
  const card = page.getByRole('region', { name: /^Snapshot [0-9a-f-]{36}/ });
  await expect(card).toContainText('/dev/disk1');
  await expect(card.getByRole('combobox', { name: 'Add device' })).toHaveCount(0);

  // The stretch service answers the module's creation-time request, so TAKE succeeds.
  await card.getByRole('button', { name: /^Take snapshot/ }).click();
  await expect(card.getByText('taken', { exact: true })).toBeVisible();
  await expect(card.getByRole('img', { name: /Difference storage fill/ })).toHaveAccessibleName(/allocated 1 GiB, limit 4 GiB/);
  await screenshot(page, 'v1-snapshots');
  await goTo(page, 'Events');
  await page.getByLabel('Kind').selectOption('stretch');
  await expect(page.getByRole('table', { name: 'Events' })).toContainText(/appended .*diff_storage#0/);
  await goTo(page, 'Snapshots');

  // One snapshot at a time: the create is off, and the note it points at says why.
  await expect(form.getByRole('button', { name: 'Create snapshot' })).toBeDisabled();
  await expect(form.getByRole('button', { name: 'Create snapshot' })).toHaveAccessibleDescription(/holds one snapshot at a time .* destroy the current one before creating another/);

  await goTo(page, 'Devices');
  await expect(page.getByRole('row', { name: /\/dev\/disk1/ }).getByText('tracked', { exact: true })).toBeVisible();
});
