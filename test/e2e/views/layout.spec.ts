// How the lists use the window an admin has (eighth session, ux2): the events list runs to the
// window's bottom on a tall screen (it stopped at 520 px), and keeps the selected event's
// details in view below it.
import type { Page } from '@playwright/test';
import { attach, connect, createDevice, createSnapshot, expect, goTo, openView, runWorkload, takeSnapshot, test } from './helpers';
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

test('at 800 px an event\'s message goes under its fields, across the row on up to two lines; rows of one fixed height (still virtualised)', async ({ page, app }) => {
  await manyEvents(app, 40);
  const api = await connect(app);
  try {
    // Workload messages: "Workload <uuid> on /dev/d0 started: sequential writes of 64 KiB at …", about 90 characters.
    for (let i = 0; i < 4; i++) await api.workloadStart({ device: `/dev/d${i}`, pattern: 'sequential', blockSizeBytes: 65_536, rateBytesPerSec: 0, durationMs: 100 });
  } finally {
    api.close();
  }
  // Opened wide, then narrowed: the rows are placed again at their new height.
  await page.setViewportSize({ width: 1280, height: 900 });
  await openView(page, app, '#/events');
  const list = page.getByRole('table', { name: 'Events' });
  await expect(list.getByRole('cell', { name: /^Workload .* ended/ })).toHaveCount(4);
  await page.setViewportSize({ width: 800, height: 900 });
  await expect(list).toHaveClass(/narrow/);
  // The rows are placed again by an effect after the narrow class is set: measure until they are.
  await expect(async () => {
    const rows = await list.locator('[role=rowgroup] > [role=row]').evaluateAll((els) => els.map((e) => {
      const message = e.querySelector<HTMLElement>('.event-message')!;
      const box = e.getBoundingClientRect();
      const lineHeight = parseFloat(getComputedStyle(message).lineHeight);
      return {
        top: box.top, height: box.height, message: message.textContent ?? '', width: message.clientWidth,
        cut: message.scrollWidth > message.clientWidth || message.scrollHeight > message.clientHeight + 1,
        // The lines the row leaves its message: what is under the other fields' line.
        lines: Math.floor((box.bottom - message.getBoundingClientRect().top) / lineHeight),
      };
    }));
    const total = Number(/Showing (\d+) events/.exec(await page.getByText(/Showing \d+ events/).textContent() ?? '')?.[1]);
    // Virtualised: fewer rows in the page than events, every one of one height, one after another.
    expect(rows.length).toBeLessThan(total);
    const height = rows[0]!.height;
    expect(rows.every((r) => r.height === height)).toBe(true);
    const tops = rows.map((r) => r.top).sort((a, b) => a - b);
    expect(tops.slice(1).every((t, i) => Math.abs(t - tops[i]! - height) < 0.5)).toBe(true);
    // The message has the row's width (was 190 px), and a workload's message shows whole.
    expect(Math.min(...rows.map((r) => r.width))).toBeGreaterThan(600);
    expect(rows.filter((r) => r.message.startsWith('Workload') && r.cut).map((r) => r.message)).toEqual([]);
    // Room for two lines of message: a corrupted event's 150 characters show whole.
    expect(Math.min(...rows.map((r) => r.lines))).toBeGreaterThanOrEqual(2);
  }).toPass({ timeout: 15_000 });
  await page.screenshot({ path: 'test-results/views/layout-events-800.png' });
});

test('at 800 px the devices table fits without scrolling sideways, every action in view; the columns left out are on the device page', async ({ page, app }) => {
  await openView(page, app, '#/devices');
  await createDevice(page, 'disk1', '256M');
  await createDevice(page, 'disk2', '64M');
  await attach(page, '/dev/disk1');
  // A storage that overflows: the image cell holds the name and its 'corrupted -28 (ENOSPC)' badge, the widest it gets.
  await createSnapshot(page, app, ['/dev/disk1'], '64M');
  await takeSnapshot(page);
  await runWorkload(page, '/dev/disk1', { pattern: 'uniform', rate: '0', seconds: '2' });
  await page.setViewportSize({ width: 800, height: 900 });
  await goTo(page, 'Devices');
  const region = page.getByRole('region', { name: 'Block devices (scrolls sideways)' });
  await expect(region.getByRole('row', { name: /\/dev\/disk1/ })).toContainText('/dev/blksnap-');
  const badge = region.getByText('corrupted -28 (ENOSPC)');
  await expect(badge).toBeVisible({ timeout: 30_000 });
  // One line: a pill broken over two lines read as two badges.
  expect((await badge.boundingBox())!.height).toBeLessThan(24);
  const { scroll, client } = await region.evaluate((e) => ({ scroll: e.scrollWidth, client: e.clientWidth }));
  expect(scroll, `the table is ${scroll - client} px wider than its box`).toBeLessThanOrEqual(client);
  const edge = (await region.boundingBox())!;
  for (const name of ['Detach /dev/disk1', 'Attach /dev/disk2']) {
    const button = (await page.getByRole('button', { name }).boundingBox())!;
    expect(button.x + button.width, name).toBeLessThanOrEqual(edge.x + edge.width);
  }
  await expect(region.getByRole('columnheader', { name: 'Generation' })).toBeHidden();
  await expect(page.getByText("Block size, block count and generation: on each device's page.")).toBeVisible();
  await page.screenshot({ path: 'test-results/views/layout-devices-800.png' });
  await page.getByRole('button', { name: 'Open /dev/disk1' }).click();
  const facts = page.getByRole('region', { name: 'Change block tracking' });
  for (const fact of ['Block size', 'Blocks', 'Generation']) await expect(facts.getByText(fact, { exact: true })).toBeVisible();

  // Wide, every column is there and the note is not.
  await page.setViewportSize({ width: 1280, height: 900 });
  await goTo(page, 'Devices');
  await expect(region.getByRole('columnheader', { name: 'Generation' })).toBeVisible();
  await expect(page.getByText("Block size, block count and generation: on each device's page.")).toBeHidden();
});
