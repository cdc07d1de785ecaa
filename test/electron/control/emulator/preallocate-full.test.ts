// A preallocation refused for lack of space on a real file system (ext4 on a loop device the
// test makes): ext4 keeps what it allocated before ENOSPC and grows the file to it, so a storage
// file the user handed us must go back to its own size with its bytes untouched.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { fileHints } from '../../../../electron/control/emulator/file-hints';
import { skipBecause } from '../../../skip';

const MiB = 2 ** 20;
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) {
    try {
      c();
    } catch {
      // best effort: the next cleanup still runs
    }
  }
});

function mountSmallExt4(): { dir: string } | string {
  if (process.getuid?.() !== 0) return 'not root';
  if (!fileHints.available()) return 'ffi-rs is not loadable here';
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bm-prealloc-'));
  cleanups.push(() => fs.rmSync(work, { recursive: true, force: true }));
  const image = path.join(work, 'fs.img');
  const dir = path.join(work, 'mnt');
  fs.mkdirSync(dir);
  try {
    fs.writeFileSync(image, Buffer.alloc(0));
    fs.truncateSync(image, 16 * MiB);
    execFileSync('mkfs.ext4', ['-q', '-F', image], { stdio: 'pipe' });
    execFileSync('mount', ['-o', 'loop', image, dir], { stdio: 'pipe' });
  } catch (err) {
    return `mkfs.ext4 or a loop mount failed: ${String((err as { stderr?: Buffer }).stderr ?? err).trim()}`;
  }
  cleanups.push(() => void execFileSync('umount', [dir], { stdio: 'pipe' }));
  return { dir };
}

it('a preallocation refused with ENOSPC leaves the user\'s storage file at its own size and bytes', (ctx) => {
  const mounted = mountSmallExt4();
  if (typeof mounted === 'string') {
    if (process.env.CI) throw new Error(`the ext4 preallocation test must run in CI: ${mounted}`);
    skipBecause('the ext4 preallocation test', mounted, 'as root with e2fsprogs and ffi-rs, and always in CI');
    ctx.skip();
    return;
  }
  const file = path.join(mounted.dir, 'storage');
  const mine = Buffer.alloc(4096, 0x5a);
  fs.writeFileSync(file, mine);
  // Leave about 2 MiB free, then ask for 8 MiB.
  const free = fs.statfsSync(mounted.dir).bavail * fs.statfsSync(mounted.dir).bsize;
  fs.writeFileSync(path.join(mounted.dir, 'filler'), Buffer.alloc(Math.max(0, free - 2 * MiB)));
  const fd = fs.openSync(file, 'r+');
  try {
    expect(fileHints.preallocate(fd, file, 8 * MiB)).toBe('ENOSPC');
    expect(fs.fstatSync(fd).size).toBe(4096);
  } finally {
    fs.closeSync(fd);
  }
  expect(fs.readFileSync(file).equals(mine)).toBe(true);
});
