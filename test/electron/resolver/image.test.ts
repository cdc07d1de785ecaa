// The resolver on real ext4 and xfs filesystems inside an emulated device: files written into
// after a first take are named exactly, with exactly the bytes written, and files + metadata +
// free add up to the incremental size. Locations come from the raw image's content, not from
// the tools the resolver uses.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, test } from 'vitest';
import { ChangedFilesResolver, controlHost } from '../../../electron/resolver';
import { emulator, tempDir } from '../control/emulator/helpers';
import { buildExt4, buildXfs, firstTake, loadImage, locateBlock, makeTree, takeSnapshot, toolMissing } from './fsFixture';
import { skipBecause } from '../../skip';

const FILES = [
  { path: 'docs/report.bin', bytes: 300_000 },
  { path: 'docs/notes/todo.txt', bytes: 20_000 },
  { path: 'big/data.bin', bytes: 2_000_000 },
  { path: 'big/other.bin', bytes: 1_000_000 },
  { path: 'top.dat', bytes: 50_000 },
];
/** [file, 4 KiB block index] pairs written after the first take. */
const WRITES: [string, number][] = [['big/data.bin', 10], ['big/data.bin', 11], ['big/data.bin', 300], ['docs/notes/todo.txt', 2]];
const EXPECTED = new Map([['/big/data.bin', 3 * 4096], ['/docs/notes/todo.txt', 4096]]);

const missing = toolMissing('debugfs', 'dumpe2fs', 'xfs_db', 'mkfs.xfs', 'mke2fs', 'blkid', 'sfdisk');
if (missing && process.env.CI) throw new Error(missing);

const CASES = [
  { fs: 'ext4', sizeBytes: 64 * 2 ** 20, build: buildExt4 },
  { fs: 'xfs', sizeBytes: 320 * 2 ** 20, build: buildXfs },
] as const;

describe.skipIf(skipBecause('the snapshot-image resolver tests', missing, 'wherever the tools are installed, and always in CI'))('changed files from the snapshot image', () => {
  for (const c of CASES) {
    test(`${c.fs}: the files written into are named with the bytes written, and the parts add up`, { timeout: 120_000 }, async () => {
      const dir = tempDir('blksnap-resolver-');
      const src = path.join(dir, 'src');
      const contents = makeTree(src, FILES, 18);
      const imageFile = path.join(dir, `${c.fs}.img`);
      c.build(src, imageFile, c.sizeBytes);
      const image = fs.readFileSync(imageFile);
      const emu = await emulator('upstream', { stateDir: path.join(dir, 'state') });
      await emu.createDevice('disk', c.sizeBytes);
      await loadImage(emu, '/dev/disk', image);
      await emu.attach('/dev/disk');
      const since = await firstTake(emu, '/dev/disk');
      for (const [file, block] of WRITES) {
        await emu.write('/dev/disk', locateBlock(image, contents.get(file)!, block), new Uint8Array(4096).fill(0x5a));
      }
      // The same bytes again over the primary superblock's block: changed for CBT, owned by no file.
      const superBlock = c.fs === 'ext4' ? 0 : 0;
      await emu.write('/dev/disk', superBlock, image.subarray(superBlock, superBlock + 4096));
      // Zeros near the end of the device, where nothing is allocated.
      const freeOffset = c.sizeBytes - 8 * 4096;
      await emu.write('/dev/disk', freeOffset, new Uint8Array(2 * 4096));
      await takeSnapshot(emu, '/dev/disk');
      const info = await emu.cbtInfo('/dev/disk');
      expect(info.blockSizeBytes).toBe(4096);

      const resolver = new ChangedFilesResolver(controlHost(emu));
      const { jobId } = await resolver.start({ device: '/dev/disk', sinceChangeNumber: since });
      await resolver.wait(jobId);
      const page = resolver.page({ jobId, limit: 100 });
      expect(page.reason).toBeNull();
      expect(page.state).toBe('done');
      expect(page.source?.kind).toBe('image');
      expect(page.source?.consistent).toBe(true);
      expect(new Map(page.files.map((f) => [f.path, f.changedBytes]))).toEqual(EXPECTED);
      const data = page.files.find((f) => f.path === '/big/data.bin')!;
      expect(data.sizeBytes).toBe(2_000_000);
      expect(data.kind).toBe('file');
      expect(data.mtimeMs).toBeGreaterThan(Date.parse('2020-01-01'));
      const t = page.totals;
      expect(t.incrementalBytes).toBe((WRITES.length + 1 + 2) * 4096);
      expect(t.fileBytes).toBe(WRITES.length * 4096);
      expect(t.metadataBytes).toBe(4096);
      expect(t.freeBytes).toBe(2 * 4096);
      expect(t.unresolvedBytes).toBe(0);
      expect(page.directories.map((d) => d.path)).toEqual(['/big', '/docs', '/docs/notes']);
      expect(page.directories[0]!.changedBytes).toBe(3 * 4096);

      const ranges = resolver.fileRanges(jobId, '/docs/notes/todo.txt').ranges;
      expect(ranges).toEqual([{ offsetBytes: locateBlock(image, contents.get('docs/notes/todo.txt')!, 2), lengthBytes: 4096 }]);
      expect(resolver.owner(jobId, ranges[0]!.offsetBytes, 4096).files).toEqual([{ path: '/docs/notes/todo.txt', bytes: 4096 }]);
      expect(resolver.owner(jobId, freeOffset, 4096)).toEqual({ files: [], metadataBytes: 0, freeBytes: 4096 });

      const again = await resolver.start({ device: '/dev/disk', sinceChangeNumber: since });
      expect(again).toEqual({ jobId, cached: true });
    });
  }
});
