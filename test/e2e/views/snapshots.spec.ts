// Snapshots: the create form validates before sending; create, take, fill gauge and chart,
// destroy with confirmation.
import { attach, createDevice, expect, goTo, openView, runWorkload, screenshot, test } from './helpers';

test('create validates the limit and path, then create, take and destroy', async ({ page, app }) => {
  await openView(page, app, '#/snapshots');
  await createDevice(page, 'disk1', '256M');
  await attach(page, '/dev/disk1');
  await goTo(page, 'Snapshots');
  const form = page.getByRole('form', { name: 'Create snapshot' });

  await form.getByLabel('Storage limit').fill('12X');
  await form.getByRole('button', { name: 'Create snapshot' }).click();
  await expect(form.getByText(/"X" is not a size unit/)).toBeVisible();
  await expect(form.getByLabel('Storage limit')).toHaveAttribute('aria-invalid', 'true');
  await expect(form.getByText(/Enter the (directory|path)/)).toBeVisible();
  await expect(page.getByText('No snapshots')).toBeVisible();

  await form.getByRole('checkbox', { name: /\/dev\/disk1/ }).check();
  const directory = form.getByRole('radio', { name: /^Directory/ });
  if (await directory.count()) await directory.check();
  await form.getByLabel('Storage directory').fill(app.stateDir);
  await form.getByLabel('Storage limit').fill('1G');
  await expect(form.getByText('1 GiB = 2,097,152 sectors')).toBeVisible();
  await form.getByRole('button', { name: 'Create snapshot' }).click();
  await expect(form.getByRole('status')).toContainText('created');

  const card = page.getByRole('region', { name: /^Snapshot [0-9a-f-]{36}/ });
  await expect(card.getByText('created, not taken')).toBeVisible();
  await card.getByRole('button', { name: /^Take snapshot/ }).click();
  await expect(card.getByText('taken', { exact: true })).toBeVisible();
  await expect(card.getByRole('row', { name: /\/dev\/disk1/ })).toContainText('/dev/');
  await expect(card.getByRole('img', { name: /Difference storage fill/ })).toBeVisible();

  await runWorkload(page, '/dev/disk1', { pattern: 'uniform', rate: '0', seconds: '1' });
  await goTo(page, 'Snapshots');
  await expect(card.getByRole('figure', { name: /Fill history/ })).toBeVisible({ timeout: 30_000 });
  await screenshot(page, 'snapshots');

  await card.getByRole('button', { name: /^Destroy snapshot/ }).click();
  const dialog = page.getByRole('dialog', { name: /^Destroy snapshot/ });
  await dialog.getByRole('button', { name: 'Destroy' }).click();
  await expect(page.getByText('No snapshots')).toBeVisible();
});
