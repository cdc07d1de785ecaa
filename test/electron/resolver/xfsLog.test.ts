// An xfs image copied while mounted (its log not clean): xfs_db blockget refuses it, so the
// resolver walks the directories with xfs_db ls instead, says so, and still names the files.
// Needs root and loop devices: skipped with the reason elsewhere, required in CI.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect, test } from 'vitest';
import { ChangedFilesResolver } from '../../../electron/resolver';
import { buildXfs, locateBlock, makeTree, toolMissing } from './fsFixture';
import { skipBecause } from '../../skip';

function problem(): string | null {
  const tool = toolMissing('mkfs.xfs', 'xfs_db', 'mount', 'umount', 'blkid');
  if (tool) return tool;
  if (process.getuid?.() !== 0) return 'mounting a loop device needs root (CI runs as root)';
  if (!fs.existsSync('/dev/loop-control')) return 'no /dev/loop-control: loop devices are not available here';
  return null;
}

test('an xfs image with a dirty log is resolved by walking its directories', { timeout: 120_000 }, async (ctx) => {
  const why = problem();
  if (why) {
    if (process.env.CI) throw new Error(why);
    skipBecause('the dirty-log xfs test', why, 'as root with loop devices, and always in CI');
    ctx.skip();
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'blksnap-xfslog-'));
  const mnt = path.join(dir, 'mnt');
  try {
    const contents = makeTree(path.join(dir, 'src'), [{ path: 'srv/www/index.bin', bytes: 200_000 }], 4);
    const image = path.join(dir, 'xfs.img');
    buildXfs(path.join(dir, 'src'), image, 320 * 2 ** 20);
    fs.mkdirSync(mnt);
    try {
      execFileSync('mount', ['-o', 'loop', image, mnt], { stdio: 'pipe' });
    } catch (err) {
      if (process.env.CI) throw err;
      skipBecause('the dirty-log xfs test', `mount -o loop failed here: ${String((err as Error).message).split('\n')[0]}`, 'as root with loop devices, and always in CI');
      return ctx.skip();
    }
    fs.writeFileSync(path.join(mnt, 'srv/late.txt'), 'written while mounted\n');
    execFileSync('sync');
    const copy = path.join(dir, 'copy.img');
    fs.copyFileSync(image, copy);
    execFileSync('umount', [mnt]);
    const raw = fs.readFileSync(copy);
    const at = locateBlock(raw, contents.get('srv/www/index.bin')!, 5);
    const map = new Uint8Array(raw.length / 4096);
    map[at / 4096] = 2;
    const resolver = new ChangedFilesResolver({
      cbtInfo: async () => ({ deviceCapacityBytes: raw.length, blockSizeBytes: 4096, blockCount: map.length, generationId: randomUUID(), changesNumber: 2 }),
      readMap: async () => map,
      image: async () => ({ label: copy, path: copy, capacityBytes: raw.length }),
      mountPoint: async () => null,
    });
    const { jobId } = await resolver.start({ device: '/dev/copy', sinceChangeNumber: 1 });
    await resolver.wait(jobId);
    const page = resolver.page({ jobId });
    expect(page.reason).toBeNull();
    expect(page.notes.some((n) => n.startsWith('the xfs log was not clean'))).toBe(true);
    expect(page.files.map((f) => [f.path, f.changedBytes])).toEqual([['/srv/www/index.bin', 4096]]);
  } finally {
    try {
      execFileSync('umount', [mnt], { stdio: 'ignore' });
    } catch { /* not mounted */ }
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
