import { describe, expect, it } from 'vitest';
import { codeOf, emulator, errorOf, fill, MiB, takenSnapshot, tempDir, trackedDevice } from './helpers';

const BLOCK = 4096; // tracking block with the SMALL parameters

describe('trackers and CBT (reference dialect)', () => {
  it('attaches a fresh map: previous 0, block size from the parameters, capacity in bytes', async () => {
    const emu = await emulator();
    const dev = await trackedDevice(emu, 'vda', 4 * MiB);
    const info = await emu.cbtInfo(dev);
    expect(info).toMatchObject({ deviceCapacityBytes: 4 * MiB, blockSizeBytes: BLOCK, blockCount: 1024, changesNumber: 0 });
    expect(await emu.cbtMap(dev, 0, 1024)).toEqual(new Uint8Array(1024));
    expect((await emu.listDevices())[0]).toMatchObject({ tracked: true, devId: { major: 252, minor: 0 }, capacitySectors: 8192 });
  });

  it('answers EALREADY to a second attach and ENOENT to a missing device, detach of an untracked one and CBT calls without a filter', async () => {
    const emu = await emulator();
    const dev = await trackedDevice(emu, 'vda', MiB);
    await emu.createDevice('vdb', MiB);
    expect(await codeOf(emu.attach(dev))).toBe('EALREADY');
    expect(await codeOf(emu.attach('/dev/nope'))).toBe('ENOENT');
    expect(await codeOf(emu.detach('/dev/vdb'))).toBe('ENOENT');
    expect(await codeOf(emu.cbtInfo('/dev/vdb'))).toBe('ENOENT');
    expect(await codeOf(emu.cbtMap('/dev/vdb', 0, 1))).toBe('ENOENT');
    expect(await codeOf(emu.cbtDirty('/dev/vdb', [{ offsetSectors: 0, countSectors: 1 }]))).toBe('ENOENT');
    const err = await errorOf(emu.attach('/dev/nope'));
    expect(err.message).toContain('/dev/nope');
  });

  it('gives a re-attached device a new generation and changes_number 0', async () => {
    const emu = await emulator();
    const dev = await trackedDevice(emu, 'vda', MiB);
    const id = await takenSnapshot(emu, dev);
    await emu.snapshotDestroy(id);
    const before = await emu.cbtInfo(dev);
    expect(before.changesNumber).toBe(1);
    await emu.detach(dev);
    await emu.attach(dev);
    const after = await emu.cbtInfo(dev);
    expect(after.changesNumber).toBe(0);
    expect(after.generationId).not.toBe(before.generationId);
  });

  it('shows a write after take N with number N+1 only after take N+1', async () => {
    const emu = await emulator();
    const dev = await trackedDevice(emu, 'vda', MiB);
    await emu.write(dev, 0, fill(BLOCK, 1)); // before take 1: active 1
    let id = await takenSnapshot(emu, dev);
    expect((await emu.cbtMap(dev, 0, 2))).toEqual(new Uint8Array([1, 0]));
    await emu.write(dev, BLOCK, fill(BLOCK, 2)); // after take 1: active 2
    expect((await emu.cbtMap(dev, 0, 2))).toEqual(new Uint8Array([1, 0]));
    await emu.snapshotDestroy(id);
    id = await takenSnapshot(emu, dev);
    expect((await emu.cbtMap(dev, 0, 2))).toEqual(new Uint8Array([1, 2]));
    expect((await emu.cbtInfo(dev)).changesNumber).toBe(2);
    await emu.snapshotDestroy(id);
  });

  it('marks every block a write touches, including partial blocks at both ends', async () => {
    const emu = await emulator();
    const dev = await trackedDevice(emu, 'vda', MiB);
    await emu.write(dev, BLOCK - 512, fill(BLOCK + 1024, 7)); // blocks 0, 1, 2
    await emu.snapshotDestroy(await takenSnapshot(emu, dev));
    expect(await emu.cbtMap(dev, 0, 4)).toEqual(new Uint8Array([1, 1, 1, 0]));
  });

  it('reads the map in pieces and answers ENODATA past the end (also for offset > block count, E1)', async () => {
    const emu = await emulator();
    const dev = await trackedDevice(emu, 'vda', MiB); // 256 blocks
    expect((await emu.cbtMap(dev, 250, 6)).length).toBe(6);
    expect((await emu.cbtMap(dev, 256, 0)).length).toBe(0);
    expect(await codeOf(emu.cbtMap(dev, 250, 7))).toBe('ENODATA');
    expect(await codeOf(emu.cbtMap(dev, 256, 1))).toBe('ENODATA');
    expect(await codeOf(emu.cbtMap(dev, 300, 0))).toBe('ENODATA');
  });

  it('wraps at 256: new generation, changes_number 255, and the read map keeps the previous take (reference)', async () => {
    const emu = await emulator();
    const dev = await trackedDevice(emu, 'vda', 64 * 1024);
    const gen0 = (await emu.cbtInfo(dev)).generationId;
    for (let take = 1; take <= 254; take++) {
      await emu.write(dev, (take % 16) * BLOCK, fill(512, take));
      await emu.snapshotDestroy(await takenSnapshot(emu, dev, 65536));
    }
    expect((await emu.cbtInfo(dev)).changesNumber).toBe(254);
    const readBefore = await emu.cbtMap(dev, 0, 16);
    await emu.write(dev, 0, fill(512, 1)); // marked 255 in the write map
    await emu.snapshotDestroy(await takenSnapshot(emu, dev, 65536)); // take 255: active reaches 256
    const info = await emu.cbtInfo(dev);
    expect(info.changesNumber).toBe(255);
    expect(info.generationId).not.toBe(gen0);
    expect(await emu.cbtMap(dev, 0, 16)).toEqual(readBefore); // not refreshed: no 255 at block 0
    await emu.write(dev, BLOCK, fill(512, 1));
    await emu.snapshotDestroy(await takenSnapshot(emu, dev, 65536));
    const next = await emu.cbtInfo(dev);
    expect(next.changesNumber).toBe(1);
    const map = await emu.cbtMap(dev, 0, 16);
    expect(map[1]).toBe(1);
    expect(map[0]).toBe(0); // write map was zeroed at the wrap
  }, 60_000);

  it('resets the map at take after a capacity change: new generation, previous 1, all zero', async () => {
    const emu = await emulator();
    const dev = await trackedDevice(emu, 'vda', MiB);
    await emu.write(dev, 0, fill(BLOCK, 1));
    const gen = (await emu.cbtInfo(dev)).generationId;
    await emu.resizeDevice('vda', 2 * MiB);
    await takenSnapshot(emu, dev);
    const info = await emu.cbtInfo(dev);
    expect(info).toMatchObject({ changesNumber: 1, deviceCapacityBytes: 2 * MiB, blockCount: 512 });
    expect(info.generationId).not.toBe(gen);
    expect(await emu.cbtMap(dev, 0, 512)).toEqual(new Uint8Array(512));
  });

  it('corrupts the map on a write past its end: CBTMAP EFAULT, CBTDIRTY EINVAL, no COW for a taken snapshot', async () => {
    const emu = await emulator();
    const dev = await trackedDevice(emu, 'vda', MiB);
    await emu.write(dev, 0, fill(BLOCK, 1));
    const id = await takenSnapshot(emu, dev);
    await emu.resizeDevice('vda', 2 * MiB);
    await emu.write(dev, MiB, fill(BLOCK, 2)); // past the map
    expect(await codeOf(emu.cbtMap(dev, 0, 1))).toBe('EFAULT');
    expect(await codeOf(emu.cbtDirty(dev, [{ offsetSectors: 0, countSectors: 1 }]))).toBe('EINVAL');
    await emu.write(dev, 0, fill(BLOCK, 3));
    expect((await emu.read('/dev/blksnap-252-0', 0, 512))[0]).toBe(3); // silently diverged
    expect((await emu.diffStorageUsage(id)).filledSectors).toBe(4096);
  });

  it('applies CBTDIRTY per range to both maps: write map with the active number, read map with the previous', async () => {
    const emu = await emulator();
    const dev = await trackedDevice(emu, 'vda', MiB);
    const id = await takenSnapshot(emu, dev); // previous 1, active 2
    await emu.cbtDirty(dev, [{ offsetSectors: 8, countSectors: 8 }, { offsetSectors: 100, countSectors: 1 }]);
    expect(await emu.cbtMap(dev, 0, 13)).toEqual(new Uint8Array([0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]));
    await emu.snapshotDestroy(id);
    await takenSnapshot(emu, dev);
    expect((await emu.cbtMap(dev, 0, 13))[1]).toBe(2);
  });

  it('applies earlier ranges and marks the failing range\'s write map to the end before EINVAL', async () => {
    const emu = await emulator();
    const dev = await trackedDevice(emu, 'vda', MiB); // 2048 sectors, 256 blocks
    const err = await errorOf(emu.cbtDirty(dev, [{ offsetSectors: 0, countSectors: 8 }, { offsetSectors: 2040, countSectors: 16 }]));
    expect(err.code).toBe('EINVAL');
    expect(err.message).toContain('range 1');
    const id = await takenSnapshot(emu, dev);
    const map = await emu.cbtMap(dev, 0, 256);
    expect(map[0]).toBe(1);
    expect(map[255]).toBe(1); // write map marked to the end, became readable at the take
    await emu.snapshotDestroy(id);
  });

  it('handles count-0 ranges as the module does: nothing at an aligned sector, one block unaligned, the whole write map at sector 0 then EINVAL', async () => {
    const emu = await emulator();
    const dev = await trackedDevice(emu, 'vda', MiB);
    await emu.cbtDirty(dev, [{ offsetSectors: 16, countSectors: 0 }]);
    await emu.cbtDirty(dev, [{ offsetSectors: 20, countSectors: 0 }]);
    const id = await takenSnapshot(emu, dev);
    expect(await emu.cbtMap(dev, 0, 4)).toEqual(new Uint8Array([0, 0, 1, 0]));
    expect(await codeOf(emu.cbtDirty(dev, [{ offsetSectors: 0, countSectors: 0 }]))).toBe('EINVAL');
    expect((await emu.cbtMap(dev, 0, 4))).toEqual(new Uint8Array([0, 0, 1, 0])); // read map untouched
    await emu.snapshotDestroy(id);
    await takenSnapshot(emu, dev);
    expect((await emu.cbtMap(dev, 0, 256)).every((v) => v === 2)).toBe(true);
  });

  it('refuses count-0 and past-the-end ranges with EGUARD before applying anything when client guards are on', async () => {
    const emu = await emulator('upstream', { clientGuards: true });
    const dev = await trackedDevice(emu, 'vda', MiB);
    expect(await codeOf(emu.cbtDirty(dev, [{ offsetSectors: 0, countSectors: 0 }]))).toBe('EGUARD');
    expect(await codeOf(emu.cbtDirty(dev, [{ offsetSectors: 0, countSectors: 8 }, { offsetSectors: 2040, countSectors: 16 }]))).toBe('EGUARD');
    await takenSnapshot(emu, dev);
    expect((await emu.cbtMap(dev, 0, 1))[0]).toBe(0);
  });

  it('marks both maps for writes to a snapshot image so the next incremental re-reads them', async () => {
    const emu = await emulator();
    const dev = await trackedDevice(emu, 'vda', MiB);
    const id = await takenSnapshot(emu, dev);
    await emu.write('/dev/blksnap-252-0', 3 * BLOCK, fill(BLOCK, 9));
    expect((await emu.cbtMap(dev, 0, 4))[3]).toBe(1); // read map ← previous at once
    expect((await emu.read(dev, 3 * BLOCK, 512))[0]).toBe(0); // the original is never touched
    await emu.snapshotDestroy(id);
    await takenSnapshot(emu, dev);
    expect((await emu.cbtMap(dev, 0, 4))[3]).toBe(2);
  });

  it('keeps tracking after DESTROY and after a detach in a taken snapshot stops COW and CBT (E3)', async () => {
    const emu = await emulator();
    const dev = await trackedDevice(emu, 'vda', MiB);
    await emu.write(dev, 0, fill(BLOCK, 1));
    const id = await takenSnapshot(emu, dev, 65536, tempDir());
    await emu.detach(dev);
    await emu.write(dev, 0, fill(BLOCK, 2));
    expect((await emu.read('/dev/blksnap-252-0', 0, 512))[0]).toBe(2); // the image silently diverges
    expect(await codeOf(emu.detach(dev))).toBe('ENOENT');
    await emu.snapshotDestroy(id);
  });
});
