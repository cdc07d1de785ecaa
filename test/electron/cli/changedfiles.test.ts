// blksnapctl changedfiles on the emulator: an ext4 filesystem built with mke2fs -d on an
// emulated disk, a write into one file after a take, and that file at the top in text, JSON
// and CSV, with the totals adding up.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChangedFilesPage } from '../../../shared/changedFiles';
import { buildExt4, locateBlock, makeTree, toolMissing } from '../resolver/fsFixture';
import { cli, type CliRun } from './harness';
import { skipBecause } from '../../skip';

let dir: string;
const missing = toolMissing('debugfs', 'dumpe2fs', 'mke2fs', 'blkid');
if (missing && process.env.CI) throw new Error(missing);

async function ok(...argv: string[]): Promise<CliRun> {
  const r = await cli(['--backend', 'emulator', '--emulator-dir', join(dir, 'state'), ...argv], {});
  if (r.code !== 0) throw new Error(`blksnapctl ${argv.join(' ')} failed: ${r.stderr}`);
  return r;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'blksnapctl-changedfiles-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(skipBecause('blksnapctl changedfiles', missing, 'wherever the tools are installed, and always in CI'))('blksnapctl changedfiles', () => {
  it('puts the file written into at the top, in text, JSON and CSV', { timeout: 120_000 }, async () => {
    const files = makeTree(join(dir, 'src'), [{ path: 'home/ada/thesis.tex', bytes: 900_000 }, { path: 'etc/hosts', bytes: 300 }], 3);
    const image = join(dir, 'fs.img');
    buildExt4(join(dir, 'src'), image, 64 * 2 ** 20);
    await ok('emu_create', '--name', 'disk', '--size', '64M');
    await ok('emu_write', '-d', '/dev/disk', '-o', '0', '-f', image);
    await ok('attach', '-d', '/dev/disk');
    const first = (await ok('snapshot_create', '-f', dir, '-l', '1G', '-d', '/dev/disk')).lines[0]!;
    await ok('snapshot_take', '-i', first);
    await ok('snapshot_destroy', '-i', first);
    const since = (await ok('cbtinfo', '-d', '/dev/disk')).lines.find((l) => l.startsWith('changes_number='))!.split('=')[1]!;
    const at = locateBlock(readFileSync(image), files.get('home/ada/thesis.tex')!, 100);
    await ok('emu_write', '-d', '/dev/disk', '-o', String(at), '-p', '0x41', '-l', '4096');
    const second = (await ok('snapshot_create', '-f', dir, '-l', '1G', '-d', '/dev/disk')).lines[0]!;
    await ok('snapshot_take', '-i', second);

    const text = await ok('changedfiles', '-d', '/dev/disk', '--since', since, '--top', '5');
    expect(text.lines[0]).toBe(`Changed files on /dev/disk since change number ${since} (generation ${text.lines[0]!.split('generation ')[1]}`);
    expect(text.lines[1]).toMatch(/^Source: snapshot image \/dev\/\S+ .*\(debugfs\); consistent: the files as they were at take; read /);
    const topLine = text.lines.findIndex((l) => l.startsWith('Top 1 of 1 changed files:'));
    expect(topLine).toBeGreaterThan(0);
    expect(text.lines[topLine + 2]).toMatch(/^\s+64 KiB\s+879 KiB\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+\/home\/ada\/thesis\.tex$/);

    const json = await ok('--json', 'changedfiles', '-d', '/dev/disk', '--since', since);
    const page = JSON.parse(json.stdout) as ChangedFilesPage;
    expect(page.files.map((f) => [f.path, f.changedBytes])).toEqual([['/home/ada/thesis.tex', 65536]]);
    const t = page.totals;
    expect(t.incrementalBytes).toBe(65536);
    expect(t.fileBytes + t.metadataBytes + t.freeBytes + t.unresolvedBytes).toBe(t.incrementalBytes);

    const csv = await ok('changedfiles', '-d', '/dev/disk', '--since', since, '--csv');
    expect(csv.lines[0]).toBe('path,kind,changed_bytes,size_bytes,mtime');
    expect(csv.lines.slice(1).map((l) => l.split(',').slice(0, 4).join(','))).toEqual(['/home/ada/thesis.tex,file,65536,900000']);
  });

  it('refuses a change number it does not know and a source it does not have, naming them', async () => {
    await ok('emu_create', '--name', 'disk', '--size', '16M');
    await ok('attach', '-d', '/dev/disk');
    const bad = await cli(['--backend', 'emulator', '--emulator-dir', join(dir, 'state'), 'changedfiles', '-d', '/dev/disk', '--since', '300'], {});
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--since/);
    const source = await cli(['--backend', 'emulator', '--emulator-dir', join(dir, 'state'), 'changedfiles', '-d', '/dev/disk', '--since', '0', '--source', 'disk'], {});
    expect(source.stderr).toMatch(/--source.*image or mounted/);
  });
});
