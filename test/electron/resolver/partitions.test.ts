// A tracked whole disk: the partition table is read with sfdisk --json, each partition's
// filesystem resolved at its offset (ext4 through debugfs ?offset=, xfs cut out for xfs_db),
// a partition without a filesystem reported as such, and paths carry their partition.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, test } from 'vitest';
import { ChangedFilesResolver, controlHost } from '../../../electron/resolver';
import { emulator, tempDir } from '../control/emulator/helpers';
import { buildExt4, buildXfs, firstTake, loadImage, locateBlock, makeTree, takeSnapshot, toolMissing } from './fsFixture';
import { skipBecause } from '../../skip';

const MiB = 2 ** 20;
const missing = toolMissing('debugfs', 'dumpe2fs', 'xfs_db', 'mkfs.xfs', 'mke2fs', 'blkid', 'sfdisk');
if (missing && process.env.CI) throw new Error(missing);

describe.skipIf(skipBecause('the partitioned-disk resolver tests', missing, 'wherever the tools are installed, and always in CI'))('changed files on a partitioned disk', () => {
  test('files in an ext4 and an xfs partition are named with their partition; the rest adds up', { timeout: 120_000 }, async () => {
    const dir = tempDir('blksnap-resolver-parts-');
    const files = makeTree(path.join(dir, 'src'), [{ path: 'etc/conf.bin', bytes: 100_000 }, { path: 'var/log.bin', bytes: 300_000 }], 9);
    const ext = path.join(dir, 'p1.img');
    const xfs = path.join(dir, 'p2.img');
    buildExt4(path.join(dir, 'src'), ext, 16 * MiB);
    buildXfs(path.join(dir, 'src'), xfs, 320 * MiB);
    const diskBytes = 400 * MiB;
    const disk = path.join(dir, 'disk.img');
    fs.writeFileSync(disk, '');
    fs.truncateSync(disk, diskBytes);
    execFileSync('sfdisk', ['-q', disk], { input: 'label: gpt\nstart=2048, size=32768\nstart=36864, size=655360\nstart=692224, size=32768\n', env: { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` } });
    const table = fs.readFileSync(disk);
    const p1 = 2048 * 512;
    const p2 = 36864 * 512;
    const extImage = fs.readFileSync(ext);
    const xfsImage = fs.readFileSync(xfs);

    const emu = await emulator('upstream', { stateDir: path.join(dir, 'state') });
    await emu.createDevice('disk', diskBytes);
    await loadImage(emu, '/dev/disk', table.subarray(0, p1));
    await loadImage(emu, '/dev/disk', table.subarray(diskBytes - MiB), diskBytes - MiB);
    await loadImage(emu, '/dev/disk', extImage, p1);
    await loadImage(emu, '/dev/disk', xfsImage, p2);
    await emu.attach('/dev/disk');
    const since = await firstTake(emu, '/dev/disk');
    const block = new Uint8Array(4096).fill(0x33);
    await emu.write('/dev/disk', p1 + locateBlock(extImage, files.get('etc/conf.bin')!, 3), block);
    await emu.write('/dev/disk', p2 + locateBlock(xfsImage, files.get('var/log.bin')!, 7), block);
    await emu.write('/dev/disk', p2 + locateBlock(xfsImage, files.get('var/log.bin')!, 8), block);
    // Partition 3 holds no filesystem.
    await emu.write('/dev/disk', 692224 * 512 + 8192, block);
    await takeSnapshot(emu, '/dev/disk');

    const resolver = new ChangedFilesResolver(controlHost(emu));
    const { jobId } = await resolver.start({ device: '/dev/disk', sinceChangeNumber: since });
    await resolver.wait(jobId);
    const page = resolver.page({ jobId });
    expect(page.reason).toBeNull();
    expect(page.state).toBe('done');
    expect(new Map(page.files.map((f) => [f.path, f.changedBytes]))).toEqual(new Map([['p2:/var/log.bin', 8192], ['p1:/etc/conf.bin', 4096]]));
    expect(page.notes).toContain('gpt partition table with 3 partitions');
    expect(page.notes.some((n) => n.startsWith('partition p3: cannot resolve: no filesystem recognised'))).toBe(true);
    expect(page.source?.label).toMatch(/debugfs, xfs_db/);
    expect(page.totals).toEqual({ incrementalBytes: 4 * 4096, fileBytes: 3 * 4096, metadataBytes: 0, freeBytes: 0, unresolvedBytes: 4096 });
  });
});
