// Every action works by keyboard (issue 17): a whole first session (create a device, attach,
// create, take and destroy a snapshot, detach) driven by keys only, and on every view each
// control is reached by Tab and nothing clickable is mouse-only.
import type { Page } from '@playwright/test';
import { attach, createDevice, createSnapshot, expect, goTo, openView, test } from './helpers';

/** Presses Tab until `target` has the focus (at most `limit` times): it must be reachable. */
async function tabTo(page: Page, name: string | RegExp, limit = 80): Promise<void> {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const e = document.activeElement as HTMLElement | null;
      if (!e) return '';
      const labelled = e.getAttribute('aria-label') ?? (e.id ? document.querySelector(`label[for="${e.id}"]`)?.textContent : null) ?? (e.closest('label')?.textContent ?? null);
      return (labelled ?? e.textContent ?? '').trim();
    });
    if (typeof name === 'string' ? focused === name : name.test(focused)) return;
  }
  throw new Error(`Tab never reached ${String(name)}`);
}

test('a whole first session works from the keyboard alone', async ({ page, app }) => {
  test.setTimeout(120_000);
  await openView(page, app, '#/backend');
  await tabTo(page, 'Name');
  await page.keyboard.type('kb1');
  await page.keyboard.press('Tab');
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.type('64M');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('row', { name: /\/dev\/kb1\b/ })).toBeVisible();

  await goTo(page, 'Devices');
  await tabTo(page, 'Attach /dev/kb1');
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog');
  await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(dialog.getByRole('button', { name: 'Attach' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(dialog).toHaveCount(0);
  await expect(page.getByRole('row', { name: /\/dev\/kb1/ }).getByText('tracked', { exact: true })).toBeVisible();

  await goTo(page, 'Snapshots');
  await tabTo(page, /\/dev\/kb1/);
  await page.keyboard.press('Space');
  await tabTo(page, 'Storage directory');
  await page.keyboard.type(app.stateDir);
  await tabTo(page, 'Storage limit');
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.type('1G');
  await page.keyboard.press('Enter');
  const form = page.getByRole('form', { name: 'Create snapshot' });
  await expect(form.getByRole('status')).toContainText('created');
  await tabTo(page, /^Take snapshot /);
  await page.keyboard.press('Enter');
  await expect(page.getByText('taken', { exact: true })).toBeVisible();
  await tabTo(page, /^Destroy snapshot /);
  await page.keyboard.press('Enter');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 2, name: /^Snapshot / })).toHaveCount(0);

  await goTo(page, 'Devices');
  await tabTo(page, 'Detach /dev/kb1');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('dialog').getByRole('button', { name: 'Cancel' })).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Detach /dev/kb1' })).toBeFocused();
  await page.keyboard.press('Enter');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('row', { name: /\/dev\/kb1/ }).getByText('not tracked')).toBeVisible();
});

test('on every view each control is reached by Tab and nothing clickable is mouse-only', async ({ page, app }) => {
  test.setTimeout(180_000);
  await openView(page, app, '#/devices');
  await createDevice(page, 'kb2', '64M');
  await createDevice(page, 'kb3', '64M'); // stays untracked: its row offers Attach
  await attach(page, '/dev/kb2');
  await createSnapshot(page, app, ['/dev/kb2']);
  await page.getByRole('button', { name: /^Take snapshot/ }).click();
  await expect(page.getByText('taken', { exact: true })).toBeVisible();
  const views: [string, RegExp][] = [
    ['#/devices', /^Devices$/], [`#/devices/${encodeURIComponent('/dev/kb2')}`, /^\/dev\/kb2$/], ['#/snapshots', /^Snapshots$/], ['#/events', /^Events$/], ['#/backend', /^Backend$/],
  ];
  const problems: string[] = [];
  for (const [hash, heading] of views) {
    await page.evaluate((h) => { window.location.hash = h; }, hash);
    await expect(page.getByRole('heading', { level: 1, name: heading })).toBeVisible();
    // The view's lists loaded (a loaded machine takes longer than any fixed pause), then a moment to settle.
    await expect(page.getByText('Loading…')).toHaveCount(0);
    await page.waitForTimeout(500);
    // Number every visible, enabled control; then Tab through the page and see which got the focus.
    const controls = await page.evaluate(() => {
      const visible = (e: Element) => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== 'hidden'; };
      const list = [...document.querySelectorAll<HTMLElement>('a[href], button, input, select, textarea, summary, [tabindex]:not([tabindex="-1"])')]
        .filter((e) => visible(e) && !e.matches(':disabled') && !(e instanceof HTMLInputElement && e.type === 'hidden'));
      // Radio groups take one Tab stop: count the checked radio (or the first) of each group.
      const seenGroups = new Set<string>();
      const stops = list.filter((e) => {
        if (!(e instanceof HTMLInputElement) || e.type !== 'radio') return true;
        if (seenGroups.has(e.name)) return false;
        seenGroups.add(e.name);
        return true;
      });
      stops.forEach((e, i) => e.setAttribute('data-kb', String(i)));
      const mouseOnly = [...document.querySelectorAll('body *')]
        .filter((e) => visible(e) && getComputedStyle(e).cursor === 'pointer' && !e.closest('a[href], button, input, select, textarea, summary, label, [tabindex]'))
        .map((e) => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')}`);
      return { names: stops.map((e) => e.getAttribute('aria-label') ?? e.textContent?.trim().slice(0, 40) ?? e.tagName), mouseOnly };
    });
    problems.push(...controls.mouseOnly.map((m) => `${hash}: ${m} looks clickable but takes no focus`));
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    const reached = new Set<string>();
    for (let i = 0; i < controls.names.length + 10; i++) {
      await page.keyboard.press('Tab');
      const id = await page.evaluate(() => {
        const e = document.activeElement;
        if (e instanceof HTMLInputElement && e.type === 'radio') return document.querySelector(`input[type=radio][name="${e.name}"][data-kb]`)?.getAttribute('data-kb') ?? null;
        return e?.getAttribute('data-kb') ?? null;
      });
      if (id !== null) reached.add(id);
    }
    console.log(`${hash}: ${controls.names.length} controls, ${reached.size} reached by Tab`);
    controls.names.forEach((name, i) => { if (!reached.has(String(i))) problems.push(`${hash}: Tab never reaches "${name}"`); });
    // Escape out of anything the Tabs may have opened.
    await page.keyboard.press('Escape');
  }
  expect(problems).toEqual([]);
});
