// The "Changed files" panel: an ext4 filesystem (mke2fs -d) on an emulated disk, a write into
// one of its files after a take, and that file at the top of the panel with its changed bytes,
// the source named, its blocks tinted on the map and named in the heatmap tooltip.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../fixtures';
import { expect, openView, test } from './helpers';

const sbin = { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` };

function missingTool(): string | null {
  for (const tool of ['mke2fs', 'debugfs', 'dumpe2fs', 'blkid']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { env: sbin, stdio: 'ignore' });
    } catch {
      return `${tool} is not installed (e2fsprogs): this test runs where it is, and always in CI`;
    }
  }
  return null;
}

test('the file written into is at the top of Changed files, shown on the map and in the tooltip', async ({ page, app }) => {
  test.skip(Boolean(process.env.RENDERER_FAKE_URL), 'needs the emulator service, not the fake API');
  const missing = missingTool();
  if (missing && process.env.CI) throw new Error(missing);
  test.skip(missing !== null, missing ?? '');
  test.setTimeout(120_000);

  const work = join(app.stateDir, 'fs-src');
  mkdirSync(join(work, 'home/ada'), { recursive: true });
  const thesis = Buffer.alloc(900_000);
  for (let i = 0; i < thesis.length; i += 4) thesis.writeUInt32LE((i * 2654435761) >>> 0, i);
  writeFileSync(join(work, 'home/ada/thesis.tex'), thesis);
  writeFileSync(join(work, 'notes.txt'), 'remember the milk\n');
  const image = join(app.stateDir, 'fs.img');
  execFileSync('mke2fs', ['-q', '-F', '-t', 'ext4', '-b', '4096', '-d', work, image, '65536k'], { env: sbin, stdio: 'pipe' });
  rmSync(work, { recursive: true, force: true });
  const ctl = (...args: string[]) => execFileSync(process.execPath, [join(repoRoot, 'dist/cli/blksnapctl.mjs'), '--emulator-dir', app.stateDir, ...args], { encoding: 'utf8' });
  ctl('emu_create', '--name', 'disk', '--size', '64M');
  ctl('emu_write', '-d', '/dev/disk', '-o', '0', '-f', image);
  ctl('attach', '-d', '/dev/disk');
  const first = ctl('snapshot_create', '-f', app.stateDir, '-l', '1G', '-d', '/dev/disk').trim();
  ctl('snapshot_take', '-i', first);
  ctl('snapshot_destroy', '-i', first);
  const since = /changes_number=(\d+)/.exec(ctl('cbtinfo', '-d', '/dev/disk'))![1]!;
  // Block 100 of the file, found by its content in the image.
  const at = readFileSync(image).indexOf(thesis.subarray(100 * 4096, 100 * 4096 + 64));
  expect(at % 4096).toBe(0);
  ctl('emu_write', '-d', '/dev/disk', '-o', String(at), '-p', '0x41', '-l', '4096');
  ctl('snapshot_take', '-i', ctl('snapshot_create', '-f', app.stateDir, '-l', '1G', '-d', '/dev/disk').trim());

  await openView(page, app, '#/devices');
  await page.getByRole('button', { name: 'Open /dev/disk' }).click();
  await page.getByLabel('Changed since change number').fill(since);
  const panel = page.getByRole('region', { name: 'Changed files' });
  await panel.getByRole('button', { name: 'Find changed files' }).click();
  await expect(panel.getByTestId('changed-files-source')).toContainText(/snapshot image \/dev\/\S+ .*\(debugfs\)/, { timeout: 60_000 });
  await expect(panel.getByTestId('changed-files-source')).toContainText('as at take');
  const table = panel.getByRole('table').first();
  const firstRow = table.getByRole('row').nth(1);
  await expect(firstRow).toContainText('/home/ada/thesis.tex');
  await expect(firstRow).toContainText('64 KiB');
  await expect(panel.getByTestId('changed-files-totals')).toContainText('Incremental 64 KiB = files 64 KiB');
  await expect(panel.getByRole('figure', { name: /Top 1 files by changed bytes: \/home\/ada\/thesis\.tex 64 KiB/ })).toBeVisible();

  await firstRow.getByRole('button', { name: 'Show /home/ada/thesis.tex on the map' }).click();
  const canvas = page.getByRole('img', { name: /CBT heatmap of \/dev\/disk/ });
  await expect(canvas).toHaveAttribute('data-highlight-runs', '1');

  // Hover the changed block: the tooltip names the file that owns it.
  const block = Math.floor(at / 65536);
  const cols = Number(await canvas.getAttribute('data-columns'));
  const cellPx = Number(await canvas.getAttribute('data-cell-px'));
  const perCell = Number(await canvas.getAttribute('data-blocks-per-cell'));
  const cell = Math.floor(block / perCell);
  await canvas.scrollIntoViewIfNeeded();
  const box = (await canvas.boundingBox())!;
  await page.mouse.move(box.x + (cell % cols) * cellPx + cellPx / 2, box.y + Math.floor(cell / cols) * cellPx + cellPx / 2);
  await expect(page.getByTestId('tooltip-owner')).toContainText('/home/ada/thesis.tex (64 KiB)');
  await page.screenshot({ path: 'test-results/views/changed-files.png', fullPage: true });
});
