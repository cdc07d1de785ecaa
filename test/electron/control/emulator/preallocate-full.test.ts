// Preallocation on real file systems the test mounts itself (root): the module fallocates its
// storage at create on every file system and returns the refusal (spec §2, §3.6), so the
// emulator does too.
// - ext4 (a small loop image) out of space: ext4 keeps what it allocated before ENOSPC and grows
//   the file to it, so a storage file the user handed us must go back to its own size with its
//   bytes untouched.
// - tmpfs: fallocate takes the memory, and a tmpfs too small for the first portion answers ENOSPC.
// - ramfs: no O_DIRECT (lk6.15 and v7 refuse the open: EINVAL) and no fallocate (EOPNOTSUPP).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, expect, it, type TestContext } from 'vitest';
import { fileHints } from '../../../../electron/control/emulator/file-hints';
import { codeOf, emulator, MiB } from './helpers';
import { skipBecause } from '../../../skip';

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

type Kind = 'ext4' | 'tmpfs' | 'ramfs';

/** A fresh mount of `kind` (ext4: a 16 MiB loop image; tmpfs: 3 MiB), or why there is none. */
function mountFresh(kind: Kind): { dir: string } | string {
  if (process.getuid?.() !== 0) return 'not root';
  if (!fileHints.available()) return 'ffi-rs is not loadable here';
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bm-prealloc-'));
  cleanups.push(() => fs.rmSync(work, { recursive: true, force: true }));
  const dir = path.join(work, 'mnt');
  fs.mkdirSync(dir);
  try {
    if (kind === 'ext4') {
      const image = path.join(work, 'fs.img');
      fs.writeFileSync(image, Buffer.alloc(0));
      fs.truncateSync(image, 16 * MiB);
      execFileSync('mkfs.ext4', ['-q', '-F', image], { stdio: 'pipe' });
      execFileSync('mount', ['-o', 'loop', image, dir], { stdio: 'pipe' });
    } else {
      execFileSync('mount', ['-t', kind, '-o', kind === 'tmpfs' ? 'size=3m,mode=0700' : 'mode=0700', kind, dir], { stdio: 'pipe' });
    }
  } catch (err) {
    return `${kind === 'ext4' ? 'mkfs.ext4 or a loop mount' : `mounting a ${kind}`} failed: ${String((err as { stderr?: Buffer }).stderr ?? err).trim()}`;
  }
  cleanups.push(() => void execFileSync('umount', [dir], { stdio: 'pipe' }));
  return { dir };
}

function mountedOrSkip(ctx: TestContext, kind: Kind): string {
  const mounted = mountFresh(kind);
  if (typeof mounted === 'string') {
    if (process.env.CI) throw new Error(`the ${kind} preallocation test must run in CI: ${mounted}`);
    skipBecause(`the ${kind} preallocation test`, mounted, `as root with ${kind === 'ext4' ? 'e2fsprogs' : 'mount'} and ffi-rs, and always in CI`);
    ctx.skip();
  }
  return (mounted as { dir: string }).dir;
}

it('a preallocation refused with ENOSPC leaves the user\'s storage file at its own size and bytes', (ctx) => {
  const dir = mountedOrSkip(ctx, 'ext4');
  const file = path.join(dir, 'storage');
  const mine = Buffer.alloc(4096, 0x5a);
  fs.writeFileSync(file, mine);
  // Leave about 2 MiB free, then ask for 8 MiB.
  const free = fs.statfsSync(dir).bavail * fs.statfsSync(dir).bsize;
  fs.writeFileSync(path.join(dir, 'filler'), Buffer.alloc(Math.max(0, free - 2 * MiB)));
  const fd = fs.openSync(file, 'r+');
  try {
    expect(fileHints.preallocate(fd, 8 * MiB)).toBe('ENOSPC');
    expect(fs.fstatSync(fd).size).toBe(4096);
  } finally {
    fs.closeSync(fd);
  }
  expect(fs.readFileSync(file).equals(mine)).toBe(true);
});

it('on tmpfs the create-time fallocate takes the memory, and a tmpfs smaller than the first portion answers ENOSPC', async (ctx) => {
  const dir = mountedOrSkip(ctx, 'tmpfs');
  // diff_storage_minimum 4 MiB (8192 sectors): a directory's first portion is min(minimum, limit).
  const emu = await emulator();
  expect(await codeOf(emu.snapshotCreate({ diffStoragePath: dir, diffStorageLimitSectors: 65536, devices: [] }))).toBe('ENOSPC');
  expect(fs.readdirSync(dir)).toEqual([]);
  expect(await emu.snapshotCollect()).toEqual([]);
  // 2 MiB fits in the 3 MiB tmpfs: reserved at once (tmpfs counts the pages as blocks).
  const id = await emu.snapshotCreate({ diffStoragePath: dir, diffStorageLimitSectors: 4096, devices: [] });
  const [file] = fs.readdirSync(dir);
  expect(fs.statSync(path.join(dir, file as string)).blocks * 512).toBeGreaterThanOrEqual(2 * MiB);
  await emu.snapshotDestroy(id);
  expect(fs.readdirSync(dir)).toEqual([]);
});

it('on ramfs (no O_DIRECT, no fallocate) lk6.15 and v7 refuse the open (EINVAL), VAL-7.0 and v6 the fallocate (EOPNOTSUPP); nothing is left, the user\'s file as it was', async (ctx) => {
  const dir = mountedOrSkip(ctx, 'ramfs');
  const file = path.join(dir, 'store');
  const mine = Buffer.alloc(4096, 0x5a);
  fs.writeFileSync(file, mine);
  for (const [flavour, code] of [['upstream', 'EINVAL'], ['v7', 'EINVAL'], ['val-7.0', 'EOPNOTSUPP'], ['v6', 'EOPNOTSUPP']] as const) {
    const emu = await emulator(flavour);
    expect([flavour, await codeOf(emu.snapshotCreate({ diffStoragePath: dir, diffStorageLimitSectors: 65536, devices: [] }))]).toEqual([flavour, code]);
    expect(fs.readdirSync(dir)).toEqual(['store']);
    expect([flavour, await codeOf(emu.snapshotCreate({ diffStoragePath: file, diffStorageLimitSectors: 65536, devices: [] }))]).toEqual([flavour, code]);
    expect(fs.readFileSync(file).equals(mine)).toBe(true);
    expect(await emu.snapshotCollect()).toEqual([]);
  }
  // Storage above minimum/2 is not preallocated at create (spec §3.6): VAL-7.0 takes it on ramfs.
  fs.truncateSync(file, 8 * MiB);
  const emu = await emulator('val-7.0');
  const id = await emu.snapshotCreate({ diffStoragePath: file, diffStorageLimitSectors: 65536, devices: [] });
  await emu.snapshotDestroy(id);
});

it('a directory whose file system has no unnamed files (O_TMPFILE; procfs here) answers EOPNOTSUPP on every dialect with directory storage, and nothing is recorded', async (ctx) => {
  if (skipBecause('the O_TMPFILE refusal test', process.getuid?.() !== 0 && 'not root (a user gets EACCES from /proc first)', 'as root, and always in CI')) {
    if (process.env.CI) throw new Error('the O_TMPFILE refusal test must run in CI: not root');
    ctx.skip();
  }
  for (const flavour of ['upstream', 'v7', 'v6', 'val-7.0', 'val-13'] as const) {
    const emu = await emulator(flavour);
    expect([flavour, await codeOf(emu.snapshotCreate({ diffStoragePath: '/proc', diffStorageLimitSectors: 65536, devices: [] }))]).toEqual([flavour, 'EOPNOTSUPP']);
    expect(await emu.snapshotCollect()).toEqual([]);
  }
});
