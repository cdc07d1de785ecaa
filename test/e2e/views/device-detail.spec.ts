// Device detail: the CBT heatmap shows the written region after a take, the changed-since-N
// summary and export, hover details, zoom, and marking blocks dirty.
import { attach, createDevice, createSnapshot, expect, openView, runWorkload, test } from './helpers';

test('the heatmap shows what a workload changed, with hover, zoom, incremental size and export', async ({ page, app }) => {
  await openView(page, app, '#/devices');
  await createDevice(page, 'disk1', '64M');
  await attach(page, '/dev/disk1');
  await runWorkload(page, '/dev/disk1', { pattern: 'sequential', rate: '24M', seconds: '1' });
  await createSnapshot(page, app, ['/dev/disk1']);
  await page.getByRole('button', { name: /^Take snapshot/ }).click();
  await expect(page.getByText('taken', { exact: true })).toBeVisible();

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Devices' }).click();
  await page.getByRole('button', { name: 'Open /dev/disk1' }).click();
  await expect(page.getByRole('heading', { level: 1, name: '/dev/disk1' })).toBeVisible();
  const canvas = page.getByRole('img', { name: /CBT heatmap of \/dev\/disk1: 1,024 blocks of 64 KiB/ });
  await expect(canvas).toBeVisible();

  // Some pixels are painted in a change colour (not the unchanged colour, not transparent).
  const changedPixels = await canvas.evaluate((el) => {
    const c = el as HTMLCanvasElement;
    const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let changed = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i + 3] === 255 && !(data[i] === 0x23 && data[i + 1] === 0x28 && data[i + 2] === 0x31)) changed++;
    return changed;
  });
  expect(changedPixels).toBeGreaterThan(0);

  const summary = page.getByTestId('changed-since-summary');
  await page.getByLabel('Changed since change number').fill('0');
  await expect(summary).toContainText(/from 0 reads [\d,]+ blocks/);

  await page.getByLabel('Highlight on the map').check();
  await expect(page.getByRole('list', { name: 'Heatmap legend' })).toContainText('changed after 0');
  await page.evaluate(() => window.scrollTo(0, 0));
  const box = (await canvas.boundingBox())!;
  await page.mouse.move(box.x + 5, box.y + 5);
  await expect(page.getByRole('tooltip')).toContainText('Block 0');
  await expect(page.getByRole('tooltip')).toContainText('Sectors');
  await page.screenshot({ path: 'test-results/views/device-detail.png' });

  await page.getByRole('toolbar', { name: 'Heatmap zoom and scroll' }).getByRole('button', { name: 'Zoom out' }).isDisabled();
  await page.getByRole('button', { name: 'Zoom in' }).click();
  await expect(page.getByRole('toolbar', { name: 'Heatmap zoom and scroll' })).toContainText('1 block =');

  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export ranges as CSV' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toBe('disk1-changed-since-0.csv');

  await page.getByLabel(/Sector ranges/).fill('999999999 8');
  await page.getByRole('button', { name: 'Mark dirty' }).click();
  await expect(page.getByRole('alert').filter({ hasText: "past the device's end" })).toBeVisible();
  await page.getByLabel(/Sector ranges/).fill('0 8');
  await page.getByRole('button', { name: 'Mark dirty' }).click();
  await expect(page.getByRole('status')).toContainText('Marked 1 range dirty');

  // Shift+drag selects blocks on the map; the selection can be marked dirty at once.
  await page.getByRole('button', { name: 'Whole map' }).click();
  await page.evaluate(() => window.scrollTo(0, 0));
  const area = (await canvas.boundingBox())!;
  await page.keyboard.down('Shift');
  await page.mouse.move(area.x + 4, area.y + 4);
  await page.mouse.down();
  await page.mouse.move(area.x + 120, area.y + 4, { steps: 4 });
  await page.mouse.up();
  await page.keyboard.up('Shift');
  const selected = page.getByRole('region', { name: 'Selected blocks' });
  await expect(selected).toContainText(/Selected blocks 0–\d+/);
  await page.screenshot({ path: 'test-results/views/device-detail-selection.png' });
  await selected.getByRole('button', { name: 'Mark selection dirty' }).click();
  await expect(selected.getByRole('alert')).toHaveCount(0);
  await selected.getByRole('button', { name: 'Clear selection' }).click();
  await expect(selected).toHaveCount(0);
});

test('a 2,097,152-block map draws the level on screen first, then tooltips and keys work on the whole map', async ({ page, app }) => {
  const calls: string[] = [];
  page.on('websocket', (ws) => ws.on('framesent', (frame) => {
    if (typeof frame.payload === 'string') calls.push((JSON.parse(frame.payload) as { method?: string }).method ?? '');
  }));
  await openView(page, app, '#/devices');
  await createDevice(page, 'big', '128G');
  await attach(page, '/dev/big');
  await page.getByRole('button', { name: 'Open /dev/big' }).click();
  const canvas = page.getByRole('img', { name: /CBT heatmap of \/dev\/big: 2,097,152 blocks of 64 KiB/ });
  await expect(canvas).toBeVisible();
  await expect(page.getByRole('toolbar', { name: 'Heatmap zoom and scroll' })).toContainText('8 blocks per pixel');
  // The level first (a quarter of the map's bytes), then the map itself.
  await expect.poll(() => calls.filter((m) => m.startsWith('cbtMap'))).toEqual(['cbtMapLevel', 'cbtMap']);
  // The other zoom levels are built in a worker, off the page's main thread.
  await expect.poll(() => page.workers().map((w) => /levelWorker/.test(w.url()))).toEqual([true]);

  await page.evaluate(() => window.scrollTo(0, 0));
  const box = (await canvas.boundingBox())!;
  // One-pixel rows: the pointer lands on whole pixels, so aim below the canvas's fractional top.
  await page.mouse.move(box.x + 1.5, Math.ceil(box.y) + 0.2);
  await expect(page.getByRole('tooltip')).toContainText('Blocks 8–15');
  await expect(page.getByRole('tooltip')).toContainText('0 of 8 blocks');
  await page.mouse.move(box.x + 1.5, box.y + box.height + 40);
  await canvas.focus();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await expect(page.getByRole('tooltip')).toContainText('Blocks 8–15');
  await page.keyboard.press('+');
  await expect(page.getByRole('toolbar', { name: 'Heatmap zoom and scroll' })).toContainText('4 blocks per pixel');
  await expect(page.getByRole('tooltip')).toContainText('Blocks 8–11');
});
