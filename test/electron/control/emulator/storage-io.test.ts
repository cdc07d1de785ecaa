// The difference storage's file-system calls (file-hints.ts): preallocation when the storage is
// handed over and when it grows, write-back started for every copy, and that none of it changes
// what the original and the image hold.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it, vi, type TestContext } from 'vitest';
import { EmulatedDevice, FileIo, SEGMENT_BYTES } from '../../../../electron/control/emulator/device';
import { fallocateOutcome, fileHints, KERNEL_COPY_FS } from '../../../../electron/control/emulator/file-hints';
import { seededRandom } from '../../../../shared/random';
import { codeOf, drain, emulator, MiB, pattern, takenSnapshot, tempDir, trackedDevice, untrack } from './helpers';
import { skipBecause } from '../../../skip';

const shmDirs: string[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const d of shmDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A fresh directory on a file system on KERNEL_COPY_FS (the temporary directory, else /dev/shm), or why there is none. */
function kernelCopyDir(): { dir: string } | { why: string } {
  const typeOf = (d: string) => Number(fs.statfsSync(d).type);
  if (KERNEL_COPY_FS.has(typeOf(os.tmpdir()))) return { dir: tempDir() };
  if (fs.existsSync('/dev/shm') && KERNEL_COPY_FS.has(typeOf('/dev/shm'))) {
    const d = fs.mkdtempSync('/dev/shm/blksnap-emu-');
    shmDirs.push(d);
    return { dir: d };
  }
  return { why: `neither ${os.tmpdir()} (statfs type 0x${typeOf(os.tmpdir()).toString(16)}) nor /dev/shm is ext4, xfs, btrfs or tmpfs` };
}

function kernelCopyDirOrSkip(ctx: TestContext): string {
  const where = kernelCopyDir();
  if ('why' in where) {
    if (process.env.CI) throw new Error(`the kernel copy tests must run in CI: ${where.why}`);
    skipBecause('the kernel copy tests', where.why, 'where the temporary directory or /dev/shm is ext4, xfs, btrfs or tmpfs, and always in CI');
    ctx.skip();
  }
  return (where as { dir: string }).dir;
}

const IMG = '/dev/blksnap-252-0';
/** 256 KiB chunks (the default for devices up to 2 GiB), 4 MiB storage portions. */
const CHUNKS_256K = { tracking_block_minimum_shift: 16, chunk_minimum_shift: 18, diff_storage_minimum: 8192 };

/** The one storage file a directory-mode snapshot created in `dir`. */
function storageFile(dir: string): string {
  const files = fs.readdirSync(dir);
  expect(files).toHaveLength(1);
  return path.join(dir, files[0] as string);
}

const equal = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

// Where ffi-rs cannot load the storage stays sparse and copies go through read and write; in CI it must load.
if (!fileHints.available() && process.env.CI) throw new Error('ffi-rs could not be loaded: the emulator cannot preallocate storage or copy in the kernel');
const skipNoHints = skipBecause('the preallocation and kernel copy tests', !fileHints.available() && 'ffi-rs is not loadable here', 'wherever ffi-rs loads, and always in CI');

describe('difference storage preallocation', () => {
  it.skipIf(skipNoHints)('reserves the requested bytes at create and at each growth, as the module does on any file system (tmpfs too)', async () => {
    const dir = tempDir();
    const emu = await emulator('upstream', { parameters: CHUNKS_256K });
    const dev = await trackedDevice(emu, 'vda', 32 * MiB);
    const id = await emu.snapshotCreate({ diffStoragePath: dir, diffStorageLimitSectors: 3 * 8192, devices: [] });
    await emu.snapshotAdd(id, dev);
    await emu.snapshotTake(id);
    const file = storageFile(dir);
    const allocated = () => fs.statSync(file).blocks * 512;
    expect(fs.statSync(file).size).toBe(8192 * 512);
    expect(allocated()).toBeGreaterThanOrEqual(8192 * 512);
    await emu.write(dev, 0, pattern(0, 2 * MiB, 1)); // 8 chunks: filled reaches minimum/2, a growth follows
    const u = await emu.diffStorageUsage(id);
    expect(u.requestedSectors).toBe(2 * 8192);
    expect(fs.statSync(file).size).toBe(2 * 8192 * 512);
    expect(allocated()).toBeGreaterThanOrEqual(2 * 8192 * 512);
  });

  it('takes a fallocate errno as the module\'s refusal, and only ENOSYS (no call to make) as a sparse file', () => {
    expect([fallocateOutcome(95), fallocateOutcome(28), fallocateOutcome(122), fallocateOutcome(5)]).toEqual(['EOPNOTSUPP', 'ENOSPC', 'ENOSPC', 'EIO']);
    expect(fallocateOutcome(38)).toBe('sparse');
  });

  it('answers a create-time preallocation refusal with its error and leaves no file behind (spec §3.6)', async () => {
    const emu = await emulator();
    const dir = tempDir();
    vi.spyOn(fileHints, 'preallocate').mockReturnValue('ENOSPC');
    expect(await codeOf(emu.snapshotCreate({ diffStoragePath: dir, diffStorageLimitSectors: 65536, devices: [] }))).toBe('ENOSPC');
    expect(fs.readdirSync(dir)).toEqual([]);
    expect(await emu.snapshotCollect()).toEqual([]);
    const file = path.join(tempDir(), 'store');
    fs.writeFileSync(file, Buffer.alloc(4096, 7));
    expect(await codeOf(emu.snapshotCreate({ diffStoragePath: file, diffStorageLimitSectors: 65536, devices: [] }))).toBe('ENOSPC');
    expect(fs.readFileSync(file)).toEqual(Buffer.alloc(4096, 7));
  });

  it('keeps a user\'s storage file\'s bytes when it preallocates it', async () => {
    const emu = await emulator();
    const file = path.join(tempDir(), 'store');
    const old = pattern(0, 8192, 9);
    fs.writeFileSync(file, old);
    const id = await emu.snapshotCreate({ diffStoragePath: file, diffStorageLimitSectors: 65536, devices: [] });
    expect(await emu.diffStorageUsage(id)).toMatchObject({ capacitySectors: 16 + 8192 });
    expect(fs.statSync(file).size).toBe((16 + 8192) * 512);
    expect(equal(fs.readFileSync(file).subarray(0, 8192), old)).toBe(true);
  });

  it('leaves the flag set when a growth cannot preallocate: capacity stays, no event, overflow at the raised request', async () => {
    const emu = await emulator();
    const dev = await trackedDevice(emu, 'vda', 16 * MiB);
    const id = await emu.snapshotCreate({ diffStoragePath: tempDir(), diffStorageLimitSectors: 4 * 8192, devices: [] });
    await emu.snapshotAdd(id, dev);
    await emu.snapshotTake(id);
    const refuse = vi.spyOn(fileHints, 'preallocate').mockReturnValue('ENOSPC');
    // requested rises before the worker runs; its failed fallocate leaves capacity and the flag as they were,
    // so copies land past the file's end until filled reaches requested (16384 sectors: 1536 chunks).
    for (let off = 0; off < 8 * MiB; off += 4096) await emu.write(dev, off, pattern(off, 4096, 3));
    expect(refuse).toHaveBeenCalledTimes(1);
    const u = await emu.diffStorageUsage(id);
    expect([u.requestedSectors, u.capacitySectors, u.overflowed]).toEqual([16384, 8192, true]);
    expect((await drain(emu, id)).map((e) => [e.kind, e.errCode])).toEqual([['corrupted', 28]]);
    expect(equal(await emu.read(dev, 0, 8 * MiB), pattern(0, 8 * MiB, 3))).toBe(true);
  });
});

describe('copy-on-write through preallocated storage with write-back started', () => {
  for (const kind of ['directory', 'file'] as const) {
    it(`keeps every byte: the original holds what was written, the image the old data (${kind} storage, 256 KiB chunks)`, async () => {
      const stateDir = tempDir();
      const emu = await emulator('upstream', { stateDir, parameters: CHUNKS_256K });
      const size = 16 * MiB;
      const dev = await trackedDevice(emu, 'vda', size);
      const old = pattern(0, size, 1);
      for (let off = 0; off < size; off += MiB) await emu.write(dev, off, old.subarray(off, off + MiB));
      let storage = tempDir();
      if (kind === 'file') {
        storage = path.join(storage, 'store');
        fs.writeFileSync(storage, '');
      }
      const id = await emu.snapshotCreate({ diffStoragePath: storage, diffStorageLimitSectors: 2 * size / 512 + 8192, devices: [] });
      await emu.snapshotAdd(id, dev);
      await emu.snapshotTake(id);
      const hints = vi.spyOn(fileHints, 'startWriteback');
      const now = old.slice();
      // Random 4 KiB writes first (one chunk copied each), then 1 MiB sequential writes over everything.
      const random = seededRandom(7);
      for (let i = 0; i < 64; i++) {
        const off = Math.floor(random() * (size / 4096)) * 4096;
        const data = pattern(off, 4096, 2 + (i % 100));
        await emu.write(dev, off, data);
        now.set(data, off);
      }
      for (let off = 0; off < size; off += MiB) {
        const data = pattern(off, MiB, 200);
        await emu.write(dev, off, data);
        now.set(data, off);
      }
      // One hint per copy run, each covering bytes the storage was written with.
      const copiedBytes = hints.mock.calls.reduce((sum, c) => sum + (c[2] as number), 0);
      expect(copiedBytes).toBe(size);
      expect(await emu.diffStorageUsage(id)).toMatchObject({ filledSectors: 4096 + size / 512, overflowed: false });
      expect(equal(await emu.read(dev, 0, size), now)).toBe(true);
      expect(equal(await emu.read(IMG, 0, size), old)).toBe(true);
      // Reopened, the image still reads the old data: the copies are in the storage file itself.
      untrack(emu);
      await emu.close();
      const again = await emulator('upstream', { stateDir, parameters: CHUNKS_256K });
      expect(equal(await again.read(IMG, 0, size), old)).toBe(true);
      expect(equal(await again.read(dev, 0, size), now)).toBe(true);
    });
  }

  it('starts the write-back of block storage in the device\'s own segment files', async () => {
    const dir = tempDir();
    const dev = EmulatedDevice.create('big', 0, SEGMENT_BYTES + MiB, { minIoBytes: 512, integrity: false, inlineEncryption: false }, path.join(dir, 'big.img'));
    try {
      const hints = vi.spyOn(fileHints, 'startWriteback');
      const data = pattern(0, 8192, 4);
      dev.writeFrom(data, SEGMENT_BYTES - 4096);
      dev.startWriteback(SEGMENT_BYTES - 4096, 8192);
      expect(hints.mock.calls.map((c) => c.slice(1))).toEqual([[SEGMENT_BYTES - 4096, 4096], [0, 4096]]);
      expect(hints.mock.calls[0]?.[0]).not.toBe(hints.mock.calls[1]?.[0]);
      const back = new Uint8Array(8192);
      dev.readInto(back, SEGMENT_BYTES - 4096);
      expect(equal(back, data)).toBe(true);
    } finally {
      dev.close();
    }
  });

  it('copies through read and write when the kernel copy is refused, with the same bytes', async () => {
    const emu = await emulator('upstream', { parameters: CHUNKS_256K });
    const dev = await trackedDevice(emu, 'vda', 8 * MiB);
    const old = pattern(0, 8 * MiB, 1);
    await emu.write(dev, 0, old);
    await takenSnapshot(emu, dev, 65536);
    const refused = vi.spyOn(fileHints, 'copyRange').mockReturnValue(false);
    await emu.write(dev, 0, pattern(0, 8 * MiB, 2));
    expect(refused).toHaveBeenCalled();
    expect(equal(await emu.read(IMG, 0, 8 * MiB), old)).toBe(true);
    expect(equal(await emu.read(dev, 0, 8 * MiB), pattern(0, 8 * MiB, 2))).toBe(true);
  });

  it.skipIf(skipNoHints)('skips the copy of a device hole into never-written storage, and copies data in the kernel', async (ctx) => {
    const dir = kernelCopyDirOrSkip(ctx);
    const emu = await emulator('upstream', { parameters: CHUNKS_256K, stateDir: dir });
    const dev = await trackedDevice(emu, 'vda', 8 * MiB);
    const data = pattern(MiB, MiB, 1);
    await emu.write(dev, MiB, data); // 1..2 MiB hold data; the rest of the device is a hole
    const id = await takenSnapshot(emu, dev, 65536);
    const copies = vi.spyOn(fileHints, 'copyRange');
    for (let off = 0; off < 4 * MiB; off += MiB) await emu.write(dev, off, pattern(off, MiB, 2));
    // One run of four chunks per write: only the data MiB was copied; the holes were not.
    expect(copies.mock.calls.map((c) => c[4])).toEqual([MiB]);
    expect(copies.mock.results.map((r) => r.value)).toEqual([fileHints.available()]);
    const image = await emu.read(IMG, 0, 4 * MiB);
    expect(equal(image.subarray(0, MiB), new Uint8Array(MiB))).toBe(true);
    expect(equal(image.subarray(MiB, 2 * MiB), data)).toBe(true);
    expect(equal(image.subarray(2 * MiB), new Uint8Array(2 * MiB))).toBe(true);
    expect((await emu.diffStorageUsage(id)).filledSectors).toBe(4096 + 4 * MiB / 512); // every chunk counts as filled
  });

  it('on a file system whose SEEK_DATA is not trusted, copies by read, compare and write, and never asks it for holes', async () => {
    // The device's and the storage's file systems are asked when their files open.
    const asked = vi.spyOn(fileHints, 'trustsKernelCopy').mockReturnValue(false);
    // A file system that reports data as a hole (OpenZFS before 2.2.2 with dirty pages).
    const lyingHole = vi.spyOn(fileHints, 'isHole').mockReturnValue(true);
    const emu = await emulator('upstream', { parameters: CHUNKS_256K });
    const dev = await trackedDevice(emu, 'vda', 8 * MiB);
    const data = pattern(MiB, MiB, 1);
    await emu.write(dev, MiB, data); // 1..2 MiB hold data; the rest of the device is a hole
    const id = await takenSnapshot(emu, dev, 65536);
    const copies = vi.spyOn(fileHints, 'copyRange');
    const writes = vi.spyOn(fileHints, 'startWriteback');
    for (let off = 0; off < 4 * MiB; off += MiB) await emu.write(dev, off, pattern(off, MiB, 2));
    expect(asked).toHaveBeenCalled();
    expect(lyingHole).not.toHaveBeenCalled();
    expect(copies).not.toHaveBeenCalled();
    // The zero runs were compared and skipped; only the data MiB reached the storage.
    expect(writes.mock.calls.map((c) => c[2])).toEqual([MiB]);
    const image = await emu.read(IMG, 0, 4 * MiB);
    expect(equal(image.subarray(0, MiB), new Uint8Array(MiB))).toBe(true);
    expect(equal(image.subarray(MiB, 2 * MiB), data)).toBe(true);
    expect(equal(image.subarray(2 * MiB), new Uint8Array(2 * MiB))).toBe(true);
    expect((await emu.diffStorageUsage(id)).filledSectors).toBe(4096 + 4 * MiB / 512);
  });

  it('trusts the kernel copy and SEEK_DATA on ext4, xfs, btrfs and tmpfs only, asked once per file', () => {
    expect([...KERNEL_COPY_FS]).toEqual([0xEF53, 0x58465342, 0x9123683E, 0x01021994]); // ext2/3/4, xfs, btrfs, tmpfs
    const proc = fs.openSync('/proc/self/status', 'r'); // procfs: not on the list
    try {
      expect(fileHints.trustsKernelCopy(proc)).toBe(false);
      expect(new FileIo(proc).fileRange(0)).toBeNull();
    } finally {
      fs.closeSync(proc);
    }
    expect(fileHints.trustsKernelCopy(-1)).toBe(false);
    const dir = tempDir();
    const trusted = KERNEL_COPY_FS.has(Number(fs.statfsSync(dir).type));
    const asked = vi.spyOn(fileHints, 'trustsKernelCopy');
    const flags = { minIoBytes: 512, integrity: false, inlineEncryption: false };
    const dev = EmulatedDevice.create('d', 0, MiB, flags, path.join(dir, 'd.img'));
    try {
      expect(dev.fileRange(4096, 4096)).toEqual(trusted ? { fd: expect.any(Number), offsetBytes: 4096 } : null);
      expect(dev.fileRange(0, 4096)).toEqual(trusted ? { fd: expect.any(Number), offsetBytes: 0 } : null);
      expect(asked).toHaveBeenCalledTimes(1); // at open, not per copy
    } finally {
      dev.close();
    }
    asked.mockReturnValue(false);
    const untrusted = EmulatedDevice.create('e', 1, MiB, flags, path.join(dir, 'e.img'));
    const file = new FileIo(fs.openSync(path.join(dir, 'f'), 'w+'));
    try {
      expect([untrusted.fileRange(0, 4096), file.fileRange(0)]).toEqual([null, null]);
    } finally {
      untrusted.close();
      file.close();
    }
  });

  it.skipIf(skipNoHints)('copies file ranges in the kernel and tells holes from data', (ctx) => {
    const dir = kernelCopyDirOrSkip(ctx);
    const a = fs.openSync(path.join(dir, 'a'), 'w+');
    const b = fs.openSync(path.join(dir, 'b'), 'w+');
    try {
      fs.ftruncateSync(a, 4 * MiB);
      const data = pattern(MiB, MiB + 4096, 3);
      fs.writeSync(a, data, 0, data.length, MiB);
      expect(fileHints.copyRange(a, MiB + 512, b, 8192, MiB)).toBe(true);
      const back = Buffer.alloc(MiB);
      fs.readSync(b, back, 0, MiB, 8192);
      expect(equal(back, data.subarray(512, 512 + MiB))).toBe(true);
      expect(fs.fstatSync(b).size).toBe(8192 + MiB);
      expect(fileHints.copyRange(a, 4 * MiB - 4096, b, 0, 8192)).toBe(false); // the source ends first
      expect(fileHints.copyRange(-1, 0, b, 0, 4096)).toBe(false);
      expect([fileHints.isHole(a, 0, MiB), fileHints.isHole(a, 0, MiB + 512), fileHints.isHole(a, MiB, 4096)]).toEqual([true, false, false]);
      expect([fileHints.isHole(a, 3 * MiB, MiB), fileHints.isHole(a, 8 * MiB, 4096)]).toEqual([true, true]);
    } finally {
      fs.closeSync(a);
      fs.closeSync(b);
    }
  });

  it('gives the hint without changing a byte and without throwing on a file it cannot serve', () => {
    const file = path.join(tempDir(), 'f');
    const data = pattern(0, 65536, 5);
    fs.writeFileSync(file, data);
    const fd = fs.openSync(file, 'r+');
    try {
      fileHints.startWriteback(fd, 0, 65536);
      fileHints.startWriteback(-1, 0, 4096); // EBADF: a hint, so ignored
      expect(equal(fs.readFileSync(file), data)).toBe(true);
    } finally {
      fs.closeSync(fd);
    }
  });
});
