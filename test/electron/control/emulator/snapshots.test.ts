import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DiffStorage } from '../../../../electron/control/emulator/diff-storage';
import { fileHints } from '../../../../electron/control/emulator/file-hints';
import { codeOf, drain, emulator, errorOf, fill, MiB, pattern, takenSnapshot, tempDir, trackedDevice } from './helpers';

const CHUNK = 4096; // chunk size with the SMALL parameters
const IMG = '/dev/blksnap-252-0';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('snapshot lifecycle (reference dialect)', () => {
  it('creates with a random id, lists it in COLLECT, and DESTROY of an unknown id answers ENODEV', async () => {
    const emu = await emulator();
    const a = await emu.snapshotCreate({ diffStoragePath: tempDir(), diffStorageLimitSectors: 65536, devices: [] });
    const b = await emu.snapshotCreate({ diffStoragePath: tempDir(), diffStorageLimitSectors: 65536, devices: [] });
    expect(a).not.toBe(b);
    expect(await emu.snapshotCollect()).toEqual([a, b]);
    await emu.snapshotDestroy(a);
    expect(await emu.snapshotCollect()).toEqual([b]);
    expect(await codeOf(emu.snapshotDestroy(a))).toBe('ENODEV');
    expect(await codeOf(emu.snapshotTake(a))).toBe('ESRCH');
    expect(await codeOf(emu.waitEvent(a, 0))).toBe('ESRCH');
  });

  it('refuses the emulator\'s own files as storage, so copies never land in an emulated device\'s data', async () => {
    const stateDir = tempDir();
    const emu = await emulator('upstream', { stateDir });
    await trackedDevice(emu, 'disk1', 16 * MiB);
    await emu.write('/dev/disk1', 2 * MiB, pattern(2 * MiB, 4096, 0xa5));
    const backing = fs.readdirSync(path.join(stateDir, 'devices')).map((f) => path.join(stateDir, 'devices', f));
    expect(backing.length).toBeGreaterThan(0);
    for (const file of [...backing, path.join(stateDir, 'state.json')]) {
      expect(await codeOf(emu.snapshotCreate({ diffStoragePath: file, diffStorageLimitSectors: 65536, devices: [] }))).toBe('EBUSY');
    }
    expect(await emu.snapshotCollect()).toEqual([]);
    expect(Buffer.from(await emu.read('/dev/disk1', 2 * MiB, 4096))).toEqual(Buffer.from(pattern(2 * MiB, 4096, 0xa5)));
    // A directory inside the state directory is fine: the storage is a new file of its own.
    expect(await emu.snapshotCreate({ diffStoragePath: stateDir, diffStorageLimitSectors: 65536, devices: [] })).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('refuses storage paths as the module does: missing ENOENT, a character device EINVAL, a null path EFAULT', async () => {
    const emu = await emulator();
    expect(await codeOf(emu.snapshotCreate({ diffStoragePath: '/nonexistent/dir', diffStorageLimitSectors: 0, devices: [] }))).toBe('ENOENT');
    expect(await codeOf(emu.snapshotCreate({ diffStoragePath: '/dev/null', diffStorageLimitSectors: 0, devices: [] }))).toBe('EINVAL');
    expect(await codeOf(emu.snapshotCreate({ diffStoragePath: null, diffStorageLimitSectors: 0, devices: [] }))).toBe('EFAULT');
    expect(await codeOf(emu.snapshotCreate({ diffStoragePath: `/${'x'.repeat(4096)}`, diffStorageLimitSectors: 0, devices: [] }))).toBe('EINVAL');
  });

  it('applies the create-time gate: small storage larger than the limit ENOSPC, equal accepted, large storage accepted whatever the limit', async () => {
    const emu = await emulator();
    const dir = tempDir();
    const small = path.join(dir, 'small');
    fs.writeFileSync(small, Buffer.alloc(64 * 512));
    expect(await codeOf(emu.snapshotCreate({ diffStoragePath: small, diffStorageLimitSectors: 32, devices: [] }))).toBe('ENOSPC');
    const eq = await emu.snapshotCreate({ diffStoragePath: small, diffStorageLimitSectors: 64, devices: [] });
    expect(await emu.diffStorageUsage(eq)).toMatchObject({ requestedSectors: 64, capacitySectors: 64, filledSectors: 4096 });
    await emu.snapshotDestroy(eq);
    const big = path.join(dir, 'big');
    fs.writeFileSync(big, '');
    fs.truncateSync(big, 8192 * 512); // > minimum/2
    const id = await emu.snapshotCreate({ diffStoragePath: big, diffStorageLimitSectors: 0, devices: [] });
    expect((await emu.diffStorageUsage(id)).requestedSectors).toBe(8192);
  });

  it('grows a small file at create by min(minimum, limit − capacity) and fallocates it at once', async () => {
    const emu = await emulator();
    const file = path.join(tempDir(), 'diff');
    fs.writeFileSync(file, Buffer.alloc(4096));
    const id = await emu.snapshotCreate({ diffStoragePath: file, diffStorageLimitSectors: 100_000, devices: [] });
    expect(await emu.diffStorageUsage(id)).toMatchObject({ requestedSectors: 8 + 8192, capacitySectors: 8 + 8192, filledSectors: 4096, limitSectors: 100_000 });
    expect(fs.statSync(file).size).toBe((8 + 8192) * 512);
    await emu.snapshotDestroy(id);
    expect(fs.existsSync(file)).toBe(true); // a named file stays at its grown size
    expect(fs.statSync(file).size).toBe((8 + 8192) * 512);
  });

  it('creates an unnamed file in a directory storage that vanishes at release', async () => {
    const emu = await emulator();
    const dir = tempDir();
    const id = await emu.snapshotCreate({ diffStoragePath: dir, diffStorageLimitSectors: 20_000, devices: [] });
    expect(fs.readdirSync(dir)).toHaveLength(1);
    await emu.snapshotDestroy(id);
    expect(fs.readdirSync(dir)).toHaveLength(0);
  });

  it('accepts a directory with limit 0 and then overflows at the first copy', async () => {
    const emu = await emulator();
    const dev = await trackedDevice(emu, 'vda', MiB);
    const id = await takenSnapshot(emu, dev, 0);
    await emu.write(dev, 0, fill(CHUNK, 1));
    expect(await drain(emu, id)).toEqual([{ kind: 'corrupted', code: 0, requestedSectors: null, errCode: 28, minor: 0 }]);
  });

  it('answers SNAPSHOTADD errors: ESRCH, ENOENT without a filter, EALREADY, EBUSY in another snapshot, EPERM for integrity devices (E2)', async () => {
    const emu = await emulator();
    const dev = await trackedDevice(emu, 'vda', MiB);
    await emu.createDevice('vdb', MiB);
    await emu.createDevice('vdc', MiB, { integrity: true });
    await emu.attach('/dev/vdc');
    const a = await emu.snapshotCreate({ diffStoragePath: tempDir(), diffStorageLimitSectors: 65536, devices: [] });
    const b = await emu.snapshotCreate({ diffStoragePath: tempDir(), diffStorageLimitSectors: 65536, devices: [] });
    expect(await codeOf(emu.snapshotAdd('00000000-0000-4000-8000-000000000000', dev))).toBe('ESRCH');
    expect(await codeOf(emu.snapshotAdd(a, '/dev/vdb'))).toBe('ENOENT');
    await emu.snapshotAdd(a, dev);
    expect(await codeOf(emu.snapshotAdd(a, dev))).toBe('EALREADY');
    const busy = await errorOf(emu.snapshotAdd(b, dev));
    expect(busy.code).toBe('EBUSY');
    expect(busy.message).toContain(a);
    expect(await codeOf(emu.snapshotAdd(b, '/dev/vdc'))).toBe('EPERM');
    await emu.snapshotTake(b).catch(() => undefined);
    expect(await codeOf(emu.snapshotTake(b))).toBe('ENODEV'); // EPERM changed nothing
  });

  it('answers 0 to adding the device that holds the block storage, without adding it', async () => {
    const emu = await emulator();
    const dev = await trackedDevice(emu, 'vda', 8 * MiB);
    const id = await emu.snapshotCreate({ diffStoragePath: dev, diffStorageLimitSectors: 0, devices: [] });
    await emu.snapshotAdd(id, dev);
    expect(await codeOf(emu.snapshotTake(id))).toBe('ENODEV');
    expect(await codeOf(emu.snapshotCreate({ diffStoragePath: dev, diffStorageLimitSectors: 0, devices: [] }))).toBe('EBUSY');
  });

  it('answers 0 to an add after take but gives the device no image and no COW', async () => {
    const emu = await emulator();
    const a = await trackedDevice(emu, 'vda', MiB);
    const b = await trackedDevice(emu, 'vdb', MiB);
    const id = await takenSnapshot(emu, a);
    await emu.snapshotAdd(id, b);
    expect(await emu.snapshotInfo(b)).toEqual({ errorCode: 0, image: '' });
    await emu.write(b, 0, fill(CHUNK, 1));
    expect((await emu.diffStorageUsage(id)).filledSectors).toBe(4096);
  });

  it('takes: ESRCH, ENODEV without devices, EALREADY twice; images named blksnap-<M>-<m>', async () => {
    const emu = await emulator();
    const dev = await trackedDevice(emu, 'vda', MiB);
    const id = await emu.snapshotCreate({ diffStoragePath: tempDir(), diffStorageLimitSectors: 65536, devices: [] });
    expect(await codeOf(emu.snapshotTake(id))).toBe('ENODEV');
    await emu.snapshotAdd(id, dev);
    await emu.snapshotTake(id);
    expect(await codeOf(emu.snapshotTake(id))).toBe('EALREADY');
    expect(await emu.snapshotInfo(dev)).toEqual({ errorCode: 0, image: 'blksnap-252-0' });
    expect(emu.listImages().map((i) => i.path)).toEqual([IMG]);
  });

  it('lets a take that failed before the CBT switch be retried without using up a change number', async () => {
    const emu = await emulator();
    const dev = await trackedDevice(emu, 'vda', MiB);
    const id = await emu.snapshotCreate({ diffStoragePath: tempDir(), diffStorageLimitSectors: 65536, devices: [] });
    await emu.snapshotAdd(id, dev);
    emu.injectFault('take-enomem');
    expect(await codeOf(emu.snapshotTake(id))).toBe('ENOMEM');
    expect((await emu.cbtInfo(dev)).changesNumber).toBe(0);
    await emu.snapshotTake(id);
    expect((await emu.cbtInfo(dev)).changesNumber).toBe(1);
  });

  it('keeps a snapshot whose take failed after the switch marked taken (EALREADY) with its change number used up', async () => {
    const emu = await emulator();
    const dev = await trackedDevice(emu, 'vda', MiB);
    const id = await emu.snapshotCreate({ diffStoragePath: tempDir(), diffStorageLimitSectors: 65536, devices: [] });
    await emu.snapshotAdd(id, dev);
    emu.injectFault('take-after-switch');
    expect(await codeOf(emu.snapshotTake(id))).toBe('EFAULT');
    expect(await emu.snapshotCollect()).toEqual([id]);
    expect(await codeOf(emu.snapshotTake(id))).toBe('EALREADY');
    expect((await emu.cbtInfo(dev)).changesNumber).toBe(1);
    expect(await emu.snapshotInfo(dev)).toEqual({ errorCode: 0, image: '' });
    await emu.snapshotDestroy(id);
  });

  it('reports SNAPSHOTINFO of a tracked device in no snapshot as 0 and an empty image, ENOENT without a filter', async () => {
    const emu = await emulator();
    const dev = await trackedDevice(emu, 'vda', MiB);
    await emu.createDevice('vdb', MiB);
    expect(await emu.snapshotInfo(dev)).toEqual({ errorCode: 0, image: '' });
    expect(await codeOf(emu.snapshotInfo('/dev/vdb'))).toBe('ENOENT');
  });
});

describe('copy-on-write and images', () => {
  it('keeps the image equal to the device at take time while the original changes', async () => {
    const emu = await emulator();
    const dev = await trackedDevice(emu, 'vda', MiB);
    await emu.write(dev, 0, pattern(0, MiB, 1));
    const id = await takenSnapshot(emu, dev);
    await emu.write(dev, 3 * CHUNK + 512, pattern(3 * CHUNK + 512, 3 * CHUNK, 2));
    await emu.write(dev, 3 * CHUNK + 512, pattern(3 * CHUNK + 512, 512, 3));
    expect(Buffer.from(await emu.read(IMG, 0, MiB)).equals(Buffer.from(pattern(0, MiB, 1)))).toBe(true);
    expect((await emu.read(dev, 3 * CHUNK + 1024, 512))).toEqual(pattern(3 * CHUNK + 1024, 512, 2));
    // Copies are whole chunks, from filled 4096 on: chunks 3..6 copied once each.
    expect((await emu.diffStorageUsage(id)).filledSectors).toBe(4096 + 4 * (CHUNK / 512));
  });

  it('copies the chunks a write reaches beyond chunks already copied', async () => {
    const emu = await emulator();
    const dev = await trackedDevice(emu, 'vda', MiB);
    await emu.write(dev, 0, pattern(0, MiB, 1));
    const id = await takenSnapshot(emu, dev);
    await emu.write(dev, 0, fill(CHUNK, 2)); // chunk 0 copied
    await emu.write(dev, 0, fill(2 * CHUNK, 3)); // chunk 0 already copied, chunk 1 not yet
    await emu.write(dev, 512, fill(3 * CHUNK, 4)); // chunks 0 and 1 copied, 2 and 3 not yet
    expect(Buffer.from(await emu.read(IMG, 0, MiB)).equals(Buffer.from(pattern(0, MiB, 1)))).toBe(true);
    expect((await emu.diffStorageUsage(id)).filledSectors).toBe(4096 + 4 * (CHUNK / 512));
  });

  it('stores image writes in the difference storage and never touches the original', async () => {
    const emu = await emulator();
    const dev = await trackedDevice(emu, 'vda', MiB);
    await emu.write(dev, 0, fill(MiB, 1));
    await takenSnapshot(emu, dev);
    await emu.write(IMG, 512, fill(1024, 5));
    const img = await emu.read(IMG, 0, CHUNK);
    expect([img[0], img[512], img[1535], img[1536]]).toEqual([1, 5, 5, 1]);
    expect((await emu.read(dev, 0, CHUNK)).every((b) => b === 1)).toBe(true);
    await emu.write(dev, 0, fill(CHUNK, 2)); // chunk already copied: the image keeps its own data
    expect((await emu.read(IMG, 512, 512))[0]).toBe(5);
  });

  it('sizes chunks from the parameters at take and copies whole chunks', async () => {
    const emu = await emulator('upstream', { parameters: { tracking_block_minimum_shift: 12, chunk_minimum_shift: 16, diff_storage_minimum: 8192 } });
    const dev = await trackedDevice(emu, 'vda', MiB);
    const id = await takenSnapshot(emu, dev);
    await emu.write(dev, 0, fill(512, 1));
    expect((await emu.diffStorageUsage(id)).filledSectors).toBe(4096 + 128);
  });

  it('raises the chunk to a device\'s minimum I/O size', async () => {
    const emu = await emulator();
    await emu.createDevice('vda', MiB, { minIoBytes: 32768 });
    await emu.attach('/dev/vda');
    const id = await takenSnapshot(emu, '/dev/vda');
    await emu.write('/dev/vda', 0, fill(512, 1));
    expect((await emu.diffStorageUsage(id)).filledSectors).toBe(4096 + 64);
  });

  it('validates I/O: alignment to 512 bytes named per argument, bounds, unknown paths', async () => {
    const emu = await emulator();
    const dev = await trackedDevice(emu, 'vda', MiB);
    const e1 = await errorOf(emu.write(dev, 100, fill(512, 1)));
    expect([e1.code, e1.message.includes('offset 100')]).toEqual(['EINVAL', true]);
    const e2 = await errorOf(emu.read(dev, 0, 100));
    expect([e2.code, e2.message.includes('length 100')]).toEqual(['EINVAL', true]);
    const e3 = await errorOf(emu.write(dev, MiB - 512, fill(1024, 1)));
    expect([e3.code, e3.message.includes('past the end')]).toEqual(['EINVAL', true]);
    expect(await codeOf(emu.read('/dev/none', 0, 512))).toBe('ENOENT');
    expect(await codeOf(emu.read(IMG, 0, 512))).toBe('ENOENT');
    for (const p of ['/dev/vda/', '/dev/vda/x', '/dev/', '/devvda', 'vda', '//dev/vda', '/dev//vda']) {
      expect([p, await codeOf(emu.write(p, 0, fill(512, 1)))]).toEqual([p, 'ENOENT']);
    }
  });
});

describe('difference storage growth, no_space and overflow', () => {
  it('grows in portions of diff_storage_minimum up to the limit, then sends no_space once', async () => {
    const emu = await emulator();
    const dev = await trackedDevice(emu, 'vda', 16 * MiB);
    const id = await takenSnapshot(emu, dev, 8192 + 4096 + 2048);
    const grown: number[] = [(await emu.diffStorageUsage(id)).requestedSectors as number];
    for (let off = 0; off < 4 * MiB; off += CHUNK) {
      await emu.write(dev, off, fill(512, 1));
      const u = await emu.diffStorageUsage(id);
      if (grown.at(-1) !== u.requestedSectors) grown.push(u.requestedSectors as number);
    }
    // the first copy already leaves ≤ minimum/2 free (filled starts at 4096): one growth to the limit
    expect(grown).toEqual([8192, 8192 + 4096 + 2048]);
    const events = await drain(emu, id);
    expect(events).toEqual([{ kind: 'no_space', code: 1, requestedSectors: 14336, errCode: null, minor: null }]);
    expect((await emu.diffStorageUsage(id)).overflowed).toBe(false);
  });

  it('overflows with a sticky ENOSPC: each device gets its own corrupted event when it next needs a chunk, images fail EIO, originals stay intact', async () => {
    const emu = await emulator();
    const a = await trackedDevice(emu, 'vda', 8 * MiB);
    const b = await trackedDevice(emu, 'vdb', 8 * MiB);
    const c = await trackedDevice(emu, 'vdc', 8 * MiB);
    const id = await emu.snapshotCreate({ diffStoragePath: tempDir(), diffStorageLimitSectors: 8192, devices: [] });
    for (const d of [a, b, c]) await emu.snapshotAdd(id, d);
    await emu.snapshotTake(id);
    await emu.write(b, 0, fill(CHUNK, 7)); // b copies one chunk while there is room
    for (let off = 0; off < 4 * MiB; off += CHUNK) await emu.write(a, off, pattern(off, CHUNK, 2));
    await emu.write(b, CHUNK, fill(CHUNK, 8)); // b needs a new chunk after the overflow
    const events = await drain(emu, id);
    expect(events.map((e) => [e.kind, e.minor, e.errCode])).toEqual([['no_space', null, null], ['corrupted', 0, 28], ['corrupted', 1, 28]]);
    expect(await emu.snapshotInfo(a)).toEqual({ errorCode: -28, image: 'blksnap-252-0' });
    expect(await emu.snapshotInfo(c)).toEqual({ errorCode: 0, image: 'blksnap-252-2' }); // copied nothing more
    expect(await codeOf(emu.read('/dev/blksnap-252-0', 0, 512))).toBe('EIO');
    expect(await codeOf(emu.write('/dev/blksnap-252-1', 0, fill(512, 1)))).toBe('EIO');
    expect(Buffer.from(await emu.read(a, 0, 4 * MiB)).equals(Buffer.from(pattern(0, 4 * MiB, 2)))).toBe(true);
    expect((await emu.diffStorageUsage(id)).overflowed).toBe(true);
    expect(await emu.snapshotCollect()).toEqual([id]);
  });

  it('never grows block storage nor sends no_space for it; SNAPSHOTINFO is 0 once the area is gone', async () => {
    const emu = await emulator();
    const dev = await trackedDevice(emu, 'vda', 8 * MiB);
    await emu.createDevice('store', 3 * MiB);
    const id = await emu.snapshotCreate({ diffStoragePath: '/dev/store', diffStorageLimitSectors: 6144, devices: [] });
    await emu.snapshotAdd(id, dev);
    await emu.snapshotTake(id);
    expect(await emu.diffStorageUsage(id)).toMatchObject({ requestedSectors: 6144, capacitySectors: 6144 });
    for (let off = 0; off < 2 * MiB; off += CHUNK) await emu.write(dev, off, fill(512, 1));
    expect((await drain(emu, id)).map((e) => e.kind)).toEqual(['corrupted']);
    expect((await emu.snapshotInfo(dev)).errorCode).toBe(-28);
    expect(await codeOf(emu.removeDevice('store'))).toBe('EBUSY');
    await emu.snapshotDestroy(id);
    expect(await emu.snapshotInfo(dev)).toEqual({ errorCode: 0, image: '' });
    await emu.removeDevice('store');
  });

  it('fails chunks placed past a small block device\'s end with EIO', async () => {
    const emu = await emulator();
    const dev = await trackedDevice(emu, 'vda', 8 * MiB);
    await emu.createDevice('store', 2 * MiB); // 4096 sectors ≤ minimum/2: requested grows past its end
    const id = await emu.snapshotCreate({ diffStoragePath: '/dev/store', diffStorageLimitSectors: 100_000, devices: [] });
    await emu.snapshotAdd(id, dev);
    await emu.snapshotTake(id);
    expect(await emu.diffStorageUsage(id)).toMatchObject({ requestedSectors: 4096 + 8192, capacitySectors: 4096 });
    for (let off = 0; off < 16 * CHUNK; off += CHUNK) await emu.write(dev, off, fill(512, 1));
    expect(await drain(emu, id)).toEqual([{ kind: 'corrupted', code: 0, requestedSectors: null, errCode: 5, minor: 0 }]);
    expect((await emu.snapshotInfo(dev)).errorCode).toBe(-5);
  });
});

describe('copy-on-write of zero chunks', () => {
  it('never skips a zero chunk into a slot a failed copy gave back: another device\'s image reads zeros there, not the failed copy', async () => {
    const emu = await emulator();
    const vda = await trackedDevice(emu, 'vda', MiB);
    const vdb = await trackedDevice(emu, 'vdb', MiB);
    await emu.write(vda, 0, fill(CHUNK, 0x11)); // vdb stays zeros
    const id = await emu.snapshotCreate({ diffStoragePath: tempDir(), diffStorageLimitSectors: 65536, devices: [] });
    await emu.snapshotAdd(id, vda);
    await emu.snapshotAdd(id, vdb);
    await emu.snapshotTake(id);
    // The copy of vda's chunk 0 reaches the storage, then the storage reports EIO (a disk failing mid-write).
    vi.spyOn(fileHints, 'copyRange').mockReturnValue(false);
    const write = DiffStorage.prototype.write;
    vi.spyOn(DiffStorage.prototype, 'write').mockImplementationOnce(function (this: DiffStorage, sector, data) {
      write.call(this, sector, data);
      return 'EIO';
    });
    await emu.write(vda, 0, fill(CHUNK, 0x22));
    expect(emu.listImages().map((i) => i.errorCode)).toEqual([-5, 0]);
    await emu.write(vdb, 0, fill(CHUNK, 0x33)); // vdb's zero chunk 0 takes the slot given back
    expect(Buffer.from(await emu.read('/dev/blksnap-252-1', 0, CHUNK))).toEqual(Buffer.alloc(CHUNK));
  });

  it('keeps images right when zero chunks skip their storage write, including image writes into them', async () => {
    const emu = await emulator();
    const dev = await trackedDevice(emu, 'vda', MiB);
    await emu.write(dev, 8 * CHUNK, pattern(8 * CHUNK, 8 * CHUNK, 1)); // chunks 8..15 hold data, the rest is zero
    const id = await takenSnapshot(emu, dev);
    const takeTime = await emu.read(dev, 0, MiB);
    await emu.write(dev, 0, fill(MiB, 0x77));
    expect(Buffer.from(await emu.read(IMG, 0, MiB)).equals(Buffer.from(takeTime))).toBe(true);
    await emu.write(IMG, 2 * CHUNK + 512, fill(512, 9));
    const img = await emu.read(IMG, 2 * CHUNK, CHUNK);
    expect([img[0], img[512], img[1024]]).toEqual([0, 9, 0]);
    expect((await emu.diffStorageUsage(id)).filledSectors).toBe(4096 + 256 * 8); // every chunk still counts as filled
  });
});
