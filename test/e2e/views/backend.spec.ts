// Backend panel: which backend and why, dialect, version, parameters, doctor; emulator devices
// and workloads.
import { createDevice, expect, goTo, openView, screenshot, test } from './helpers';

test('shows the emulator backend, its dialect, version, parameters and the doctor', async ({ page, app }) => {
  await openView(page, app, '#/backend');
  await expect(page.getByRole('heading', { level: 1, name: 'Backend' })).toBeVisible();
  const active = page.getByRole('region', { name: 'Active backend' });
  await expect(active).toContainText(/Emulator/);
  await expect(active).toContainText(/Why/);
  await expect(active).toContainText(/\d+\.\d+\.\d+\.\d+/);
  await expect(page.getByRole('region', { name: 'Module parameters' }).getByRole('row').nth(1)).toBeVisible();
  await page.getByRole('button', { name: 'Run doctor' }).click();
  await expect(page.getByRole('region', { name: 'Doctor', exact: true })).toContainText('Kernel');
  await screenshot(page, 'backend');
});

test('creates and removes emulated devices and runs a workload', async ({ page, app }) => {
  await openView(page, app, '#/backend');
  const form = page.getByRole('form', { name: 'Create emulated device' });
  await form.getByLabel('Name').fill('Bad Name');
  await form.getByRole('button', { name: 'Create device' }).click();
  await expect(form.getByText(/lowercase letters/)).toBeVisible();
  await createDevice(page, 'scratch', '32M');

  const workload = page.getByRole('form', { name: 'Start workload' });
  await workload.getByLabel('Device').selectOption('/dev/scratch');
  await workload.getByLabel('Rate per second').fill('1M');
  await workload.getByLabel('Duration (seconds)').fill('60');
  await workload.getByRole('button', { name: 'Start workload' }).click();
  const row = page.getByRole('region', { name: 'Workload generator' }).getByRole('row', { name: /\/dev\/scratch/ });
  await expect(row.getByText('running')).toBeVisible();
  await row.getByRole('button', { name: /^Stop workload/ }).click();
  await expect(row.getByText('done')).toBeVisible();
  await screenshot(page, 'backend-emulator');

  await page.getByRole('button', { name: 'Remove /dev/scratch' }).click();
  await page.getByRole('dialog', { name: 'Remove /dev/scratch?' }).getByRole('button', { name: 'Remove' }).click();
  await expect(page.getByRole('button', { name: 'Remove /dev/scratch' })).toHaveCount(0);
  await goTo(page, 'Devices');
});
