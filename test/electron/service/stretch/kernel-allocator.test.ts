// fallocate + FS_IOC_FIEMAP through ffi-rs on this machine's filesystem, and the extent rules.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, statSync, unlinkSync } from 'node:fs';
import { removeFiles } from '../../../../electron/service/stretch/manifest';
import { forceRemove } from './cleanup';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { O_RDONLY, sysClose, sysOpen } from '../../../../electron/control/kernel/native';
import { checkExtent, extentsToRanges, fiemap, FIEMAP_EXTENT, filesystemType } from '../../../../electron/service/stretch/fiemap';
import { checkSectorAddressed, KernelRangeAllocator, splitDev } from '../../../../electron/service/stretch/kernel-allocator';
import { skipBecause } from '../../../skip';

const dir = mkdtempSync(join(tmpdir(), 'stretch-fiemap-'));
afterAll(() => forceRemove(dir));
const type = filesystemType(dir);
const sectorAddressed = type === 0xef53 || type === 0x58465342;

function filefrag(path: string): [number, number][] {
  const out: [number, number][] = [];
  for (const m of execFileSync('filefrag', ['-v', '-b512', path], { encoding: 'utf8' }).matchAll(/^\s*\d+:\s+\d+\.\.\s*\d+:\s+(\d+)\.\.\s*\d+:\s+(\d+):/gm)) {
    const [start, length] = [Number(m[1]), Number(m[2])];
    const last = out[out.length - 1];
    if (last && last[0] + last[1] === start) last[1] += length;
    else out.push([start, length]);
  }
  return out;
}

describe.skipIf(skipBecause('the real FIEMAP allocator tests', !sectorAddressed && `${dir} is on statfs type 0x${type.toString(16)}, not ext4/xfs`, 'where the temporary directory is on ext4 or xfs'))('KernelRangeAllocator on a real ext4/xfs file', () => {
  it.each([1, 3, 40])('maps a fallocated %i MiB file to the sectors filefrag reports, on the file\'s st_dev', async (mib) => {
    const path = join(dir, `diff_storage#${mib}`);
    const storage = await new KernelRangeAllocator().allocate(path, mib << 20);
    const st = statSync(path, { bigint: true });
    expect(Number(st.size)).toBe(mib << 20);
    expect(Number(st.mode) & 0o777).toBe(0o600);
    const dev = splitDev(st.dev);
    expect([`${dev.major}:${dev.minor}`, `/dev/`]).toContainEqual(storage.device.startsWith('/dev/') ? '/dev/' : storage.device);
    if (existsSync('/usr/sbin/filefrag') || existsSync('/sbin/filefrag')) {
      expect(storage.ranges.map((r) => [r.offsetSectors, r.countSectors])).toEqual(filefrag(path));
    }
    expect(storage.ranges.reduce((s, r) => s + r.countSectors, 0)).toBe((mib << 20) / 512);
  });

  it('makes each file immutable (no move, defragmentation or deletion under the module) unless told not to', async () => {
    const path = join(dir, 'diff_storage#900');
    expect((await new KernelRangeAllocator().allocate(path, 1 << 20)).immutable).toBe(true);
    expect(execFileSync('lsattr', ['-d', path], { encoding: 'utf8' })).toMatch(/^\S*i\S*\s/);
    expect(() => unlinkSync(path)).toThrow(/EPERM/);
    await expect(removeFiles(dir, [path])).resolves.toEqual([path]);
    expect(existsSync(path)).toBe(false);
    expect((await new KernelRangeAllocator({ protect: false }).allocate(join(dir, 'diff_storage#901'), 1 << 20)).immutable).toBe(false);
  });

  it('never reuses a name (O_EXCL)', async () => {
    const path = join(dir, 'diff_storage#x');
    await new KernelRangeAllocator().allocate(path, 1 << 20);
    await expect(new KernelRangeAllocator().allocate(path, 1 << 20)).rejects.toMatchObject({ code: 'EEXIST' });
  });

  it('asks again from the end of the last extent until the size is covered (one extent per call)', () => {
    const [a, b] = [join(dir, 'interleaved-a'), join(dir, 'interleaved-b')];
    for (let i = 0; i < 8; i++) {
      for (const f of [a, b]) execFileSync('fallocate', ['-o', String(i * 65536), '-l', '65536', f]);
    }
    const fd = sysOpen(a, O_RDONLY).ret;
    try {
      const extents = fiemap(fd, 8 * 65536, a, 1);
      expect(extentsToRanges(extents, 8 * 65536).map((r) => [r.offsetSectors, r.countSectors])).toEqual(filefrag(a));
      if (extents.length < 2) console.warn('the interleaved file got one extent: the per-call loop ran once');
    } finally {
      sysClose(fd);
    }
  });

  it('refuses a file with a hole', () => {
    const path = join(dir, 'holey');
    execFileSync('truncate', ['-s', '1M', path]);
    execFileSync('fallocate', ['-o', '0', '-l', '65536', path]);
    execFileSync('fallocate', ['-o', '524288', '-l', '65536', path]);
    const fd = sysOpen(path, O_RDONLY).ret;
    try {
      expect(() => fiemap(fd, 1 << 20, path, 1)).toThrow(/hole/);
    } finally {
      sysClose(fd);
    }
  });

  it('accepts this directory\'s filesystem', async () => {
    await expect(checkSectorAddressed(dir)).resolves.toBeUndefined();
  });
});

describe('filesystem and extent rules', () => {
  it.skipIf(skipBecause('the tmpfs refusal test', (!existsSync('/dev/shm') || filesystemType('/dev/shm') !== 0x01021994) && '/dev/shm is missing or not a tmpfs', 'where /dev/shm is a tmpfs (most Linux systems)'))('refuses a directory on tmpfs, naming it', async () => {
    await expect(checkSectorAddressed('/dev/shm')).rejects.toThrow(/tmpfs: only ext4 and xfs/);
    await expect(new KernelRangeAllocator().checkDirectory('/dev/shm')).rejects.toMatchObject({ code: 'EBADARG' });
  });

  it('lets tests replace the filesystem check', async () => {
    let asked = '';
    await new KernelRangeAllocator({ fsCheck: async (d) => { asked = d; } }).checkDirectory(dir);
    expect(asked).toBe(dir);
  });

  it.each([
    ['unknown', FIEMAP_EXTENT.UNKNOWN], ['delayed allocation', FIEMAP_EXTENT.DELALLOC], ['encoded', FIEMAP_EXTENT.ENCODED],
    ['inline', FIEMAP_EXTENT.DATA_INLINE], ['not aligned', FIEMAP_EXTENT.NOT_ALIGNED], ['shared', FIEMAP_EXTENT.SHARED],
  ])('rejects an extent flagged %s', (what, flag) => {
    expect(() => checkExtent({ logicalBytes: 0, physicalBytes: 4096, lengthBytes: 4096, flags: flag | FIEMAP_EXTENT.LAST }, 'f')).toThrow(new RegExp(what));
  });

  it('rejects offsets and lengths that are not whole sectors, accepts unwritten extents', () => {
    expect(() => checkExtent({ logicalBytes: 0, physicalBytes: 4100, lengthBytes: 4096, flags: 0 }, 'f')).toThrow(/physical offset/);
    expect(() => checkExtent({ logicalBytes: 0, physicalBytes: 4096, lengthBytes: 1000, flags: 0 }, 'f')).toThrow(/length/);
    expect(() => checkExtent({ logicalBytes: 0, physicalBytes: 4096, lengthBytes: 4096, flags: FIEMAP_EXTENT.UNWRITTEN | FIEMAP_EXTENT.LAST }, 'f')).not.toThrow();
  });

  it('turns extents into sector ranges: clipped to the size, physically adjacent ones merged', () => {
    expect(extentsToRanges([
      { logicalBytes: 0, physicalBytes: 8192, lengthBytes: 4096, flags: 0 },
      { logicalBytes: 4096, physicalBytes: 12288, lengthBytes: 4096, flags: 0 },
      { logicalBytes: 8192, physicalBytes: 1 << 20, lengthBytes: 8192, flags: FIEMAP_EXTENT.LAST },
    ], 12288)).toEqual([{ offsetSectors: 16, countSectors: 16 }, { offsetSectors: 2048, countSectors: 8 }]);
  });

  it('trims ranges to whole pages: ext4 with 1 KiB blocks gives 512-aligned extents the v1 module cannot use (issue 19, item 6)', () => {
    const ranges = extentsToRanges([
      { logicalBytes: 0, physicalBytes: 5120, lengthBytes: 3072, flags: 0 }, // 5 KiB..8 KiB: no whole page
      { logicalBytes: 3072, physicalBytes: 1024 * 1025, lengthBytes: 16384, flags: 0 }, // starts 1 KiB into a page
      { logicalBytes: 19456, physicalBytes: 1024 * 1025 + 16384, lengthBytes: 5120, flags: FIEMAP_EXTENT.LAST }, // adjacent: merged first
    ], 24576);
    expect(ranges).toEqual([{ offsetSectors: 2056, countSectors: 32 }]);
    for (const r of ranges) expect([r.offsetSectors % 8, r.countSectors % 8]).toEqual([0, 0]);
  });
});
