// Issue 7: the snapshot lifecycle as a user walks it through the UI, on a fresh emulator.
// What the user sees is asserted in the page; what the page cannot show (the original
// device's bytes) is checked through the same API the UI uses.
import type { Locator, Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { fitZoom, layoutFor } from '../../renderer/heatmap/view';
import { columns } from '../../renderer/heatmap/render';
import { UNCHANGED } from '../../renderer/heatmap/palette';
import { attach, connect, createDevice, createSnapshot, expect, goTo, openView, runWorkload, screenshot, takeSnapshot, test } from './views/helpers';

const BLOCK = 64 * 1024;
const MiB = 2 ** 20;

function pattern(byte: number, length: number): Uint8Array {
  return new Uint8Array(length).fill(byte);
}

/** Which blocks the heatmap paints in a change colour: one pixel sampled at each block's cell centre, at the fitted zoom. */
async function paintedBlocks(canvas: Locator, blockCount: number): Promise<number[]> {
  const { width, height } = await canvas.evaluate((el) => ({ width: (el as HTMLCanvasElement).width, height: (el as HTMLCanvasElement).height }));
  const layout = layoutFor({ zoom: fitZoom(blockCount, width, height), firstRow: 0 }, width, height);
  if (layout.level !== 0) throw new Error(`the fitted heatmap should draw one block per cell for ${blockCount} blocks, not 2^${layout.level}`);
  const cols = columns(layout);
  const centre = Math.floor(layout.cellPx / 2);
  const points = Array.from({ length: blockCount }, (_, block) => [(block % cols) * layout.cellPx + centre, Math.floor(block / cols) * layout.cellPx + centre] as const);
  const colours = await canvas.evaluate((el, pts) => {
    const c = el as HTMLCanvasElement;
    const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    return pts.map(([x, y]) => {
      const i = (y * c.width + x) * 4;
      return `${data[i]},${data[i + 1]},${data[i + 2]}`;
    });
  }, points);
  const unchanged = UNCHANGED.join(',');
  return colours.flatMap((rgb, block) => (rgb === unchanged ? [] : [block]));
}

/** [0,1,2,5] → "0-2,5": readable in a failure message. */
function runs(blocks: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < blocks.length; i++) {
    let j = i;
    while (j + 1 < blocks.length && blocks[j + 1] === blocks[j]! + 1) j++;
    out.push(i === j ? `${blocks[i]}` : `${blocks[i]}-${blocks[j]}`);
    i = j;
  }
  return out.join(',');
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

async function openDevice(page: Page, path: string): Promise<void> {
  await goTo(page, 'Devices');
  await page.getByRole('button', { name: `Open ${path}` }).click();
  await expect(page.getByRole('heading', { level: 1, name: path })).toBeVisible();
}

test('a workload before a take shows exactly its region on the heatmap, the change number and the image', async ({ page, app }) => {
  const api = await connect(app);
  try {
    await openView(page, app, '#/devices');
    await createDevice(page, 'disk1', '64M');
    await attach(page, '/dev/disk1');
    // Sequential 1 MiB writes from offset 0 at 4 MiB/s for 1 s: a region that starts at 0.
    await runWorkload(page, '/dev/disk1', { pattern: 'sequential', rate: '4M', seconds: '1' });
    // The final status, once the generator has stopped: every write it counted has landed.
    await expect.poll(async () => (await api.workloadList({})).every((w) => !w.running)).toBe(true);
    const [workload] = await api.workloadList({});
    expect(workload?.writtenBytes).toBeGreaterThan(0);
    const written = Math.min(workload!.writtenBytes, 64 * MiB);

    await createSnapshot(page, app, ['/dev/disk1']);
    const card = await takeSnapshot(page);
    await expect(card.getByRole('row', { name: /\/dev\/disk1/ })).toContainText('/dev/blksnap-252-0');

    await goTo(page, 'Devices');
    const row = page.getByRole('row', { name: /\/dev\/disk1\b/ });
    await expect(row.getByRole('cell').filter({ hasText: /^1$/ })).toHaveCount(1); // change number 1 after the first take

    await openDevice(page, '/dev/disk1');
    const canvas = page.getByRole('img', { name: /CBT heatmap of \/dev\/disk1: 1,024 blocks of 64 KiB/ });
    await expect(canvas).toBeVisible();
    const expected = runs(range(0, Math.ceil(written / BLOCK)));
    await expect.poll(async () => runs(await paintedBlocks(canvas, 1024)), { message: `painted blocks should be ${expected}` }).toBe(expected);
    await screenshot(page, 'lifecycle-heatmap');
  } finally {
    api.close();
  }
});

test('writes while the snapshot is held raise the fill; destroy removes fill and image, tracking continues', async ({ page, app }) => {
  await openView(page, app, '#/devices');
  await createDevice(page, 'disk1', '128M');
  await attach(page, '/dev/disk1');
  await createSnapshot(page, app, ['/dev/disk1'], '1G');
  const card = await takeSnapshot(page);
  const gauge = card.getByRole('img', { name: /Difference storage fill/ });
  // Upstream storage starts filled at 4096 sectors: the first 2 MiB are never used (spec §3.6).
  await expect(gauge).toHaveAccessibleName(/Used 2 MiB,/);

  await runWorkload(page, '/dev/disk1', { pattern: 'uniform', rate: '16M', seconds: '2' });
  await goTo(page, 'Snapshots');
  await expect(gauge).not.toHaveAccessibleName(/Used 2 MiB,/, { timeout: 30_000 });
  await expect(gauge).toHaveAccessibleName(/Used [\d.]+ MiB, allocated 1 GiB, limit 1 GiB/);
  await expect(card.getByRole('figure', { name: /Fill history from [\d:]+ to [\d:]+, [1-9]\d* samples?/ })).toBeVisible({ timeout: 30_000 });
  await screenshot(page, 'lifecycle-fill');

  await card.getByRole('button', { name: /^Destroy snapshot/ }).click();
  await page.getByRole('dialog', { name: /^Destroy snapshot/ }).getByRole('button', { name: 'Destroy' }).click();
  await expect(page.getByText('No snapshots')).toBeVisible();
  await expect(page.getByRole('img', { name: /Difference storage fill/ })).toHaveCount(0);

  await goTo(page, 'Devices');
  const row = page.getByRole('row', { name: /\/dev\/disk1\b/ });
  await expect(row.getByText('tracked', { exact: true })).toBeVisible();
  await expect(row).not.toContainText('blksnap-252-0');
});

test('overflow: warning first, then no_space and corrupted, the error shown, the original data intact', async ({ page, app }) => {
  test.setTimeout(120_000);
  const api = await connect(app);
  try {
    await openView(page, app, '#/devices');
    await createDevice(page, 'disk1', '256M');
    await attach(page, '/dev/disk1');
    // A region the workload never touches, written before the take: it must survive.
    const keep = pattern(0xa5, MiB);
    await api.emuWrite({ path: '/dev/disk1', offsetBytes: 200 * MiB, data: keep });

    await createSnapshot(page, app, ['/dev/disk1'], '64M');
    const card = await takeSnapshot(page);
    const [snapshot] = await api.listSnapshots({});

    // Heavy but paced writes (8 MiB/s of new chunks) into the first 128 MiB, so the fill
    // sampler sees the storage approach its limit before it overflows.
    await api.workloadStart({ device: '/dev/disk1', pattern: 'sequential', blockSizeBytes: MiB, rateBytesPerSec: 8 * MiB, durationMs: 20_000, offsetBytes: 0, lengthBytes: 128 * MiB });
    await expect(card.getByText(/Snapshot corrupted/)).toBeVisible({ timeout: 60_000 });
    await expect(card.getByRole('row', { name: /\/dev\/disk1/ })).toContainText(/-28|ENOSPC/);
    await screenshot(page, 'lifecycle-overflow');

    const events = await api.eventHistory({});
    const first = (pred: (e: (typeof events)[number]) => boolean) => events.find(pred)?.seq ?? Infinity;
    const warning = first((e) => e.level === 'warning' && e.snapshotId === snapshot!.id && e.source === 'app');
    const noSpace = first((e) => e.kind === 'no_space');
    const corrupted = first((e) => e.kind === 'corrupted');
    expect(warning, 'a warning event precedes the overflow').toBeLessThan(corrupted);
    expect(noSpace).toBeLessThan(corrupted);
    expect(corrupted).toBeLessThan(Infinity);

    await goTo(page, 'Events');
    const table = page.getByRole('table', { name: 'Events' });
    await expect(table).toContainText('no_space');
    await expect(table).toContainText('corrupted');

    // The original device: the untouched region keeps its bytes, new writes still land.
    for (const w of await api.workloadList({})) if (w.running) await api.workloadStop({ id: w.id });
    expect(Buffer.compare(Buffer.from(await api.emuRead({ path: '/dev/disk1', offsetBytes: 200 * MiB, lengthBytes: MiB })), Buffer.from(keep))).toBe(0);
    const after = pattern(0x3c, MiB);
    await api.emuWrite({ path: '/dev/disk1', offsetBytes: 100 * MiB, data: after });
    expect(Buffer.compare(Buffer.from(await api.emuRead({ path: '/dev/disk1', offsetBytes: 100 * MiB, lengthBytes: MiB })), Buffer.from(after))).toBe(0);
    // The image of a corrupted snapshot fails as the module's does (EIO).
    await expect(api.emuRead({ path: '/dev/blksnap-252-0', offsetBytes: 0, lengthBytes: 4096 })).rejects.toMatchObject({ code: 'EIO' });
  } finally {
    api.close();
  }
});

test('changed since N after two takes: the incremental size per N and the exported ranges match the writes', async ({ page, app }) => {
  const api = await connect(app);
  try {
    await openView(page, app, '#/devices');
    await createDevice(page, 'disk1', '64M');
    await attach(page, '/dev/disk1');
    const take = async () => {
      await createSnapshot(page, app, ['/dev/disk1']);
      const card = await takeSnapshot(page);
      await card.getByRole('button', { name: /^Destroy snapshot/ }).click();
      await page.getByRole('dialog', { name: /^Destroy snapshot/ }).getByRole('button', { name: 'Destroy' }).click();
      await expect(page.getByText('No snapshots')).toBeVisible();
    };
    await api.emuWrite({ path: '/dev/disk1', offsetBytes: 0, data: pattern(1, MiB) }); // blocks 0..15
    await take(); // change number 1
    await api.emuWrite({ path: '/dev/disk1', offsetBytes: 10 * MiB, data: pattern(2, 2 * MiB) }); // blocks 160..191
    await take(); // change number 2

    await openDevice(page, '/dev/disk1');
    const since = page.getByLabel('Changed since change number');
    const summary = page.getByTestId('changed-since-summary');
    await since.fill('0');
    await expect(summary).toContainText('reads 48 blocks, 3 MiB');
    await since.fill('1');
    await expect(summary).toContainText('reads 32 blocks, 2 MiB');
    await since.fill('2');
    await expect(summary).toContainText('reads 0 blocks');

    await since.fill('1');
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export ranges as CSV' }).click();
    const csv = readFileSync((await (await download).path())!, 'utf8').trim().split('\n');
    expect(csv.slice(1)).toEqual(['20480,4096']);

    await since.fill('0');
    const jsonDownload = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export ranges as JSON' }).click();
    const json = JSON.parse(readFileSync((await (await jsonDownload).path())!, 'utf8')) as unknown;
    expect(JSON.stringify(json)).toContain('"offsetSectors":0,"countSectors":2048');
    expect(JSON.stringify(json)).toContain('"offsetSectors":20480,"countSectors":4096');
  } finally {
    api.close();
  }
});

test('bad input gets a clear error and changes nothing', async ({ page, app }) => {
  const api = await connect(app);
  try {
    await openView(page, app, '#/devices');
    await createDevice(page, 'disk1', '64M');
    await attach(page, '/dev/disk1');
    const before = JSON.stringify({ d: await api.listDevices({}), s: await api.listSnapshots({}) });

    await goTo(page, 'Snapshots');
    const form = page.getByRole('form', { name: 'Create snapshot' });
    await form.getByRole('checkbox', { name: /\/dev\/disk1/ }).check();
    await form.getByLabel('Storage limit').fill('ten gigs');
    await form.getByRole('button', { name: 'Create snapshot' }).click();
    await expect(form.getByText(/is not a size/)).toBeVisible();
    await expect(form.getByText(/Enter the (directory|path)/)).toBeVisible();

    await form.getByLabel('Storage limit').fill('1G');
    await form.getByLabel('Storage directory').fill(`${app.stateDir}/no/such/dir`);
    await form.getByRole('button', { name: 'Create snapshot' }).click();
    await expect(page.getByRole('alert').filter({ hasText: /ENOENT/ })).toBeVisible();
    await screenshot(page, 'lifecycle-bad-input');
    await expect(page.getByText('No snapshots')).toBeVisible();

    await expect(api.attach({ device: '/dev/disk1' })).rejects.toMatchObject({ code: 'EALREADY', message: /already/i });
    await expect(api.snapshotDestroy({ id: '00000000-0000-4000-8000-000000000000' })).rejects.toMatchObject({ code: 'ENODEV' });
    await expect(api.attach({ device: 'disk1' })).rejects.toMatchObject({ code: 'EBADARG', message: /absolute/ });

    expect(JSON.stringify({ d: await api.listDevices({}), s: await api.listSnapshots({}) })).toBe(before);
  } finally {
    api.close();
  }
});
