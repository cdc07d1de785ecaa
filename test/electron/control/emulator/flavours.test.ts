import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CbtMap } from '../../../../electron/control/emulator/cbt-map';
import { defaultParameters } from '../../../../electron/control/emulator/parameters';
import type { Emulator } from '../../../../electron/control/emulator';
import { codeOf, drain, emulator, errorOf, fill, MiB, pattern, tempDir, trackedDevice } from './helpers';

const CHUNK = 4096;

/** A v1 snapshot of the devices with `sectors` of storage appended from a file. */
async function v1Snapshot(emu: Emulator, devices: string[], sectors = 8192): Promise<string> {
  const id = await emu.snapshotCreate({ diffStoragePath: null, diffStorageLimitSectors: 0, devices });
  if (sectors > 0) {
    const file = path.join(tempDir(), 'diff_storage#0');
    fs.writeFileSync(file, '');
    fs.truncateSync(file, sectors * 512);
    await emu.appendStorage(id, file, [{ offsetSectors: 0, countSectors: sectors }]);
  }
  return id;
}

describe('v1 flavour (Veeam Agent 6.x)', () => {
  it('reports dialect v1, version 1.0.0.0 and its capabilities', async () => {
    const emu = await emulator('v1');
    expect(emu.info).toMatchObject({ dialect: 'v1', version: { major: 1, minor: 0, revision: 0, build: 0 }, verified: true });
    expect(emu.info.capabilities).toMatchObject({ explicitAttach: false, addAfterCreate: false, appendStorage: true, cbtMapNeedsTakenSnapshot: true, maxSnapshots: 1, storageModes: ['ranges'], eventCodes: { 0: 'low_free_space', 1: 'corrupted' }, needsStretchService: true });
  });

  it('has no attach and no add after create (EUNSUPPORTED), and refuses an empty device list before the module would hang', async () => {
    const emu = await emulator('v1');
    await emu.createDevice('vda', MiB);
    expect(await codeOf(emu.attach('/dev/vda'))).toBe('EUNSUPPORTED');
    const empty = await errorOf(emu.snapshotCreate({ diffStoragePath: null, diffStorageLimitSectors: 0, devices: [] }));
    expect(empty.code).toBe('EGUARD');
    expect(empty.message).toContain('hangs');
    const id = await v1Snapshot(emu, ['/dev/vda']);
    expect(await codeOf(emu.snapshotAdd(id, '/dev/vda'))).toBe('EUNSUPPORTED');
    expect(await codeOf(emu.snapshotCreate({ diffStoragePath: tempDir(), diffStorageLimitSectors: 0, devices: ['/dev/vda'] }))).toBe('EUNSUPPORTED');
  });

  it('creates trackers at create, queues low_free_space(diff_storage_minimum) with code 0, and refuses duplicates (EINVAL) and unknown devices (EBADARG, as the kernel client before any ioctl)', async () => {
    const emu = await emulator('v1');
    await emu.createDevice('vda', MiB);
    expect(await codeOf(emu.snapshotCreate({ diffStoragePath: null, diffStorageLimitSectors: 0, devices: ['/dev/vda', '/dev/vda'] }))).toBe('EINVAL');
    expect(await codeOf(emu.snapshotCreate({ diffStoragePath: null, diffStorageLimitSectors: 0, devices: ['/dev/nope'] }))).toBe('EBADARG');
    const id = await emu.snapshotCreate({ diffStoragePath: null, diffStorageLimitSectors: 0, devices: ['/dev/vda'] });
    expect((await emu.listDevices())[0]?.tracked).toBe(true);
    expect((await emu.cbtInfo('/dev/vda')).changesNumber).toBe(0);
    expect(await drain(emu, id)).toEqual([{ kind: 'low_free_space', code: 0, requestedSectors: 8192, errCode: null, minor: null }]);
  });

  it('fails TAKE without appended storage with EFAULT and destroys the snapshot; trackers stay', async () => {
    const emu = await emulator('v1');
    await emu.createDevice('vda', MiB);
    const id = await v1Snapshot(emu, ['/dev/vda'], 0);
    const err = await errorOf(emu.snapshotTake(id));
    expect(err.code).toBe('EFAULT');
    expect(await emu.snapshotCollect()).toEqual([]);
    expect((await emu.listDevices())[0]?.tracked).toBe(true);
  });

  it('refuses TAKE without storage with EGUARD (snapshot kept) when client guards are on', async () => {
    const emu = await emulator('v1', { clientGuards: true });
    await emu.createDevice('vda', MiB);
    const id = await v1Snapshot(emu, ['/dev/vda'], 0);
    expect(await codeOf(emu.snapshotTake(id))).toBe('EGUARD');
    expect(await emu.snapshotCollect()).toEqual([id]);
  });

  it('fails TAKE with EFAULT and destroys the snapshot when the chunk would exceed chunk_maximum_shift', async () => {
    const emu = await emulator('v1', { parameters: { tracking_block_minimum_shift: 12, chunk_minimum_shift: 12, diff_storage_minimum: 8192, chunk_maximum_shift: 14 } });
    await emu.createDevice('vda', MiB, { minIoBytes: 32768 });
    const id = await v1Snapshot(emu, ['/dev/vda']);
    expect(await codeOf(emu.snapshotTake(id))).toBe('EFAULT');
    expect(await emu.snapshotCollect()).toEqual([]);
  });

  it('reads the CBT map only while taken (EPERM), truncates a read straddling the end, EINVAL at offset = block count, ENODATA untracked', async () => {
    const emu = await emulator('v1');
    await emu.createDevice('vda', MiB);
    await emu.createDevice('vdb', MiB);
    expect(await codeOf(emu.cbtMap('/dev/vdb', 0, 1))).toBe('ENODATA');
    const id = await v1Snapshot(emu, ['/dev/vda']);
    expect(await codeOf(emu.cbtMap('/dev/vda', 0, 1))).toBe('EPERM');
    await emu.snapshotTake(id);
    expect((await emu.cbtMap('/dev/vda', 250, 20)).length).toBe(6);
    expect((await emu.cbtMap('/dev/vda', 0, 0)).length).toBe(0);
    expect(await codeOf(emu.cbtMap('/dev/vda', 256, 1))).toBe('EINVAL');
    expect((await emu.cbtInfo('/dev/vda')).changesNumber).toBe(1);
  });

  it('refuses TRACKER_REMOVE while taken (EBUSY) and on an untracked device (ENODATA); allows it after destroy', async () => {
    const emu = await emulator('v1');
    await emu.createDevice('vda', MiB);
    await emu.createDevice('vdb', MiB);
    expect(await codeOf(emu.detach('/dev/vdb'))).toBe('ENODATA');
    const id = await v1Snapshot(emu, ['/dev/vda']);
    await emu.snapshotTake(id);
    expect(await codeOf(emu.detach('/dev/vda'))).toBe('EBUSY');
    await emu.snapshotDestroy(id);
    await emu.detach('/dev/vda');
    expect(await codeOf(emu.detach('/dev/vda'))).toBe('ENODATA');
  });

  it('marks dirty blocks through an image path on its original, ENODEV when untracked', async () => {
    const emu = await emulator('v1');
    await emu.createDevice('vda', MiB);
    await emu.createDevice('vdb', MiB);
    expect(await codeOf(emu.cbtDirty('/dev/vdb', [{ offsetSectors: 0, countSectors: 1 }]))).toBe('ENODEV');
    const id = await v1Snapshot(emu, ['/dev/vda']);
    await emu.snapshotTake(id);
    expect(await emu.snapshotInfo('/dev/vda')).toEqual({ errorCode: 0, image: 'veeamblksnapimg0' });
    await emu.cbtDirty('/dev/veeamblksnapimg0', [{ offsetSectors: 16, countSectors: 8 }]);
    expect((await emu.cbtMap('/dev/vda', 0, 3))).toEqual(new Uint8Array([0, 0, 1]));
    expect(await codeOf(emu.cbtDirty('/dev/vda', [{ offsetSectors: 2040, countSectors: 16 }]))).toBe('EINVAL');
  });

  it('copies write → read before the increment, so after the 255 → 1 wrap the read map is current', () => {
    const dir = tempDir();
    const p = { ...defaultParameters('v1'), tracking_block_minimum_shift: 12 };
    const v1 = CbtMap.create(path.join(dir, 'v1.cbt'), 1, 64 * 1024, p);
    const ref = CbtMap.create(path.join(dir, 'ref.cbt'), 2, 64 * 1024, p);
    for (let take = 1; take <= 254; take++) {
      v1.switchAtTake(64 * 1024, p, true);
      ref.switchAtTake(64 * 1024, p, false);
    }
    const gens = [v1.generation, ref.generation];
    v1.markWrite(0, 8); // block 0 ← 255
    ref.markWrite(0, 8);
    v1.switchAtTake(64 * 1024, p, true);
    ref.switchAtTake(64 * 1024, p, false);
    expect([v1.previous, v1.active, ref.previous, ref.active]).toEqual([255, 1, 255, 1]);
    expect(v1.readMap[0]).toBe(255);
    expect(ref.readMap[0]).toBe(0);
    expect(v1.generation).not.toBe(gens[0]);
    expect(ref.generation).not.toBe(gens[1]);
    v1.close();
    ref.close();
  });

  it('asks for more with low_free_space each time free space falls to minimum/2, and overflows with corrupted (code 1) once appends stop: image reads fail ENOSPC, the original stays intact', async () => {
    const emu = await emulator('v1');
    await emu.createDevice('vda', 16 * MiB);
    await emu.write('/dev/vda', 0, pattern(0, 16 * MiB, 1));
    const store = path.join(tempDir(), 'store');
    fs.writeFileSync(store, '');
    fs.truncateSync(store, 64 * MiB);
    const id = await emu.snapshotCreate({ diffStoragePath: null, diffStorageLimitSectors: 0, devices: ['/dev/vda'] });
    let next = 0;
    const answer = async (): Promise<number> => {
      const events = await drain(emu, id);
      for (const e of events) {
        if (e.kind !== 'low_free_space' || next >= 2) continue; // the client's own limit: 2 portions
        await emu.appendStorage(id, store, [{ offsetSectors: next * 8192, countSectors: e.requestedSectors as number }]);
        next += 1;
      }
      return events.filter((e) => e.kind === 'low_free_space').length;
    };
    expect(await answer()).toBe(1);
    await emu.snapshotTake(id);
    let lowEvents = 1;
    const corrupted = [];
    for (let off = 0; off < 16 * MiB; off += CHUNK) {
      await emu.write('/dev/vda', off, pattern(off, 512, 2));
      const events = await drain(emu, id);
      corrupted.push(...events.filter((e) => e.kind === 'corrupted'));
      for (const e of events.filter((x) => x.kind === 'low_free_space')) {
        lowEvents += 1;
        expect(e).toMatchObject({ code: 0, requestedSectors: 8192 });
        if (next < 2) {
          await emu.appendStorage(id, store, [{ offsetSectors: next * 8192, countSectors: 8192 }]);
          next += 1;
        }
      }
    }
    expect(lowEvents).toBeGreaterThanOrEqual(3);
    expect(corrupted).toEqual([{ kind: 'corrupted', code: 1, requestedSectors: null, errCode: 28, minor: 0 }]);
    expect(await codeOf(emu.read('/dev/veeamblksnapimg0', 0, 512))).toBe('ENOSPC');
    expect(await emu.snapshotInfo('/dev/vda')).toEqual({ errorCode: 0, image: 'veeamblksnapimg0' });
    const original = await emu.read('/dev/vda', 0, 16 * MiB);
    for (let off = 0; off < 16 * MiB; off += CHUNK) {
      expect(Buffer.from(original.subarray(off, off + 512)).equals(Buffer.from(pattern(off, 512, 2)))).toBe(true);
      expect(Buffer.from(original.subarray(off + 512, off + CHUNK)).equals(Buffer.from(pattern(off + 512, CHUNK - 512, 1)))).toBe(true);
    }
  });

  it('stores copies in ranges of an emulated device and keeps the image equal to take time', async () => {
    const emu = await emulator('v1');
    await emu.createDevice('vda', MiB);
    await emu.createDevice('store', 8 * MiB);
    await emu.write('/dev/vda', 0, pattern(0, MiB, 1));
    const id = await emu.snapshotCreate({ diffStoragePath: null, diffStorageLimitSectors: 0, devices: ['/dev/vda'] });
    await emu.appendStorage(id, '/dev/store', [{ offsetSectors: 100, countSectors: 1001 }, { offsetSectors: 6000, countSectors: 8000 }]);
    await emu.snapshotTake(id);
    await emu.write('/dev/vda', 0, fill(MiB, 9));
    expect(Buffer.from(await emu.read('/dev/veeamblksnapimg0', 0, MiB)).equals(Buffer.from(pattern(0, MiB, 1)))).toBe(true);
    // 125 chunks fill the first range; its last sector is too small for a chunk and counts as used
    expect(await emu.diffStorageUsage(id)).toMatchObject({ capacitySectors: 9001, filledSectors: 1001 + (256 - 125) * 8, limitSectors: null });
    const store = await emu.read('/dev/store', 100 * 512, 512);
    expect(Buffer.from(store).equals(Buffer.from(pattern(0, 512, 1)))).toBe(true); // the first copy at the range's start
    expect(await codeOf(emu.removeDevice('store'))).toBe('EBUSY');
  });

  it('validates appended ranges against the target size and earlier ranges (EBADARG), ESRCH for an unknown snapshot, ENOENT for a missing path', async () => {
    const emu = await emulator('v1');
    await emu.createDevice('vda', MiB);
    await emu.createDevice('store', MiB);
    const id = await emu.snapshotCreate({ diffStoragePath: null, diffStorageLimitSectors: 0, devices: ['/dev/vda'] });
    expect(await codeOf(emu.appendStorage(id, '/dev/store', [{ offsetSectors: 2000, countSectors: 100 }]))).toBe('EBADARG');
    await emu.appendStorage(id, '/dev/store', [{ offsetSectors: 0, countSectors: 100 }]);
    expect(await codeOf(emu.appendStorage(id, '/dev/store', [{ offsetSectors: 50, countSectors: 100 }]))).toBe('EBADARG');
    expect(await codeOf(emu.appendStorage(id, '/dev/store', [{ offsetSectors: 200, countSectors: 0 }]))).toBe('EBADARG');
    expect(await codeOf(emu.appendStorage('00000000-0000-4000-8000-000000000000', '/dev/store', []))).toBe('ESRCH');
    expect(await codeOf(emu.appendStorage(id, '/nope/file', []))).toBe('ENOENT');
  });

  it('reaches only the newest snapshot: a second create drops the first from the list, which keeps its devices and image', async () => {
    const emu = await emulator('v1');
    await emu.createDevice('vda', MiB);
    await emu.createDevice('vdb', MiB);
    const first = await v1Snapshot(emu, ['/dev/vda']);
    await emu.snapshotTake(first);
    const second = await v1Snapshot(emu, ['/dev/vdb']);
    expect(await emu.snapshotCollect()).toEqual([second]);
    expect(await codeOf(emu.snapshotTake(first))).toBe('ESRCH');
    expect(await codeOf(emu.snapshotDestroy(first))).toBe('ENODEV');
    expect(await codeOf(v1Snapshot(emu, ['/dev/vda']))).toBe('EALREADY');
    expect(emu.listImages().map((i) => i.name)).toEqual(['veeamblksnapimg0']);
    expect(await emu.releaseUnreachable()).toEqual([first]);
    expect(emu.listImages()).toEqual([]);
  });

  it('refuses a second snapshot with EGUARD when client guards are on', async () => {
    const emu = await emulator('v1', { clientGuards: true });
    await emu.createDevice('vda', MiB);
    await emu.createDevice('vdb', MiB);
    await v1Snapshot(emu, ['/dev/vda']);
    const err = await errorOf(v1Snapshot(emu, ['/dev/vdb']));
    expect(err.code).toBe('EGUARD');
    expect(err.message).toContain('one snapshot at a time');
  });
});

describe('VAL-7.0 flavour', () => {
  it('reports version 7.0.0.0, names images veeamblksnapimg_<M>:<m>, codes 0 corrupted / 1 low_free_space', async () => {
    const emu = await emulator('val-7.0');
    expect(emu.info).toMatchObject({ dialect: 'val-7.0', version: { major: 7 }, capabilities: { appendStorage: true, eventCodes: { 0: 'corrupted', 1: 'low_free_space' } } });
    const dev = await trackedDevice(emu, 'vda', MiB);
    const id = await emu.snapshotCreate({ diffStoragePath: tempDir(), diffStorageLimitSectors: 65536, devices: [] });
    await emu.snapshotAdd(id, dev);
    await emu.snapshotTake(id);
    expect(await emu.snapshotInfo(dev)).toEqual({ errorCode: 0, image: 'veeamblksnapimg_252:0' });
    expect((await emu.read('/dev/veeamblksnapimg_252:0', 0, 512)).length).toBe(512);
  });

  it('sends no event when path storage reaches its limit, only corrupted at overflow', async () => {
    const emu = await emulator('val-7.0');
    const dev = await trackedDevice(emu, 'vda', 16 * MiB);
    const id = await emu.snapshotCreate({ diffStoragePath: tempDir(), diffStorageLimitSectors: 10_000, devices: [] });
    await emu.snapshotAdd(id, dev);
    await emu.snapshotTake(id);
    for (let off = 0; off < 8 * MiB; off += CHUNK) await emu.write(dev, off, fill(512, 1));
    expect(await drain(emu, id)).toEqual([{ kind: 'corrupted', code: 0, requestedSectors: null, errCode: 28, minor: 0 }]);
    expect((await emu.snapshotInfo(dev)).errorCode).toBe(-28);
    expect(await codeOf(emu.read('/dev/veeamblksnapimg_252:0', 0, 512))).toBe('EIO');
  });

  it('runs range mode without a path: low_free_space(min(minimum, limit)) at create, none later, overflow at requested', async () => {
    const emu = await emulator('val-7.0');
    const dev = await trackedDevice(emu, 'vda', 16 * MiB);
    await emu.createDevice('store', 32 * MiB);
    const id = await emu.snapshotCreate({ diffStoragePath: null, diffStorageLimitSectors: 32768, devices: [] });
    expect(await drain(emu, id)).toEqual([{ kind: 'low_free_space', code: 1, requestedSectors: 8192, errCode: null, minor: null }]);
    await emu.appendStorage(id, '/dev/store', [{ offsetSectors: 0, countSectors: 8192 }]);
    await emu.snapshotAdd(id, dev);
    await emu.snapshotTake(id);
    for (let off = 0; off < 8 * MiB; off += CHUNK) await emu.write(dev, off, fill(512, 1));
    expect(await drain(emu, id)).toEqual([{ kind: 'corrupted', code: 0, requestedSectors: null, errCode: 28, minor: 0 }]);
    expect((await emu.diffStorageUsage(id)).filledSectors).toBe(8192);
  });

  it('queues nothing at create in range mode with limit 0', async () => {
    const emu = await emulator('val-7.0');
    const id = await emu.snapshotCreate({ diffStoragePath: null, diffStorageLimitSectors: 0, devices: [] });
    expect(await drain(emu, id)).toEqual([]);
  });

  it('answers 0 to APPEND_STORAGE on a path-mode snapshot and adds integrity devices (EPERM checks compiled out)', async () => {
    const emu = await emulator('val-7.0');
    await emu.createDevice('store', MiB);
    await emu.createDevice('vdi', MiB, { integrity: true });
    await emu.attach('/dev/vdi');
    const id = await emu.snapshotCreate({ diffStoragePath: tempDir(), diffStorageLimitSectors: 65536, devices: [] });
    await emu.appendStorage(id, '/dev/store', [{ offsetSectors: 0, countSectors: 100 }]);
    await emu.snapshotAdd(id, '/dev/vdi');
    expect((await emu.diffStorageUsage(id)).capacitySectors).toBe(8192);
  });

  it('lets DETACH succeed in a taken snapshot (measured), after which a second DETACH is ENOENT', async () => {
    const emu = await emulator('val-7.0');
    const dev = await trackedDevice(emu, 'vda', MiB);
    const id = await emu.snapshotCreate({ diffStoragePath: tempDir(), diffStorageLimitSectors: 65536, devices: [] });
    await emu.snapshotAdd(id, dev);
    await emu.snapshotTake(id);
    await emu.detach(dev);
    expect(await codeOf(emu.detach(dev))).toBe('ENOENT');
  });
});

describe('VAL-13 flavour', () => {
  it('names images vbsnap-<M>-<m>, sends no_space (code 1) in path mode and later low_free_space (code 2) in range mode', async () => {
    const emu = await emulator('val-13');
    expect(emu.info).toMatchObject({ dialect: 'val-13', verified: false, capabilities: { eventCodes: { 0: 'corrupted', 1: 'no_space', 2: 'low_free_space' } } });
    const dev = await trackedDevice(emu, 'vda', 16 * MiB);
    const pathId = await emu.snapshotCreate({ diffStoragePath: tempDir(), diffStorageLimitSectors: 12_288, devices: [] });
    await emu.snapshotAdd(pathId, dev);
    await emu.snapshotTake(pathId);
    expect((await emu.snapshotInfo(dev)).image).toBe('vbsnap-252-0');
    for (let off = 0; off < 4 * MiB; off += CHUNK) await emu.write(dev, off, fill(512, 1));
    expect((await drain(emu, pathId)).map((e) => [e.kind, e.code])).toEqual([['no_space', 1]]);
    await emu.snapshotDestroy(pathId);

    await emu.createDevice('store', 32 * MiB);
    const id = await emu.snapshotCreate({ diffStoragePath: null, diffStorageLimitSectors: 20_000, devices: [] });
    expect((await drain(emu, id)).map((e) => [e.kind, e.code, e.requestedSectors])).toEqual([['low_free_space', 2, 8192]]);
    await emu.appendStorage(id, '/dev/store', [{ offsetSectors: 0, countSectors: 8192 }]);
    await emu.snapshotAdd(id, dev);
    await emu.snapshotTake(id);
    for (let off = 0; off < 2 * MiB + CHUNK; off += CHUNK) await emu.write(dev, off, fill(512, 2));
    expect((await drain(emu, id)).map((e) => [e.kind, e.code, e.requestedSectors])).toEqual([['low_free_space', 2, 8192]]);
  });
});
