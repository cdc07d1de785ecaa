// A snapshot image's path given to a filter call. To the module an image is a block device like
// any other, and one without a filter (spec §2: ENOENT "no filter"; §3.5: the image is a disk):
// every call but ATTACH answers ENOENT (measured: test/vm errors case). ATTACH puts a tracker on
// it (measured on lk6.15, v7, v6 and VAL-7.0; the spec is silent): the emulator, which tracks
// emulated devices only, refuses it as EUNSUPPORTED and names the image, rather than an errno.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Emulator, Flavour } from '../../../../electron/control/emulator';
import { BlksnapError } from '../../../../shared/errors';
import { codeOf, emulator, failure, MiB, tempDir } from './helpers';

/** vda in a taken snapshot; the image's path. */
async function takenImage(emu: Emulator): Promise<{ id: string; image: string }> {
  await emu.createDevice('vda', 4 * MiB);
  await emu.createDevice('vdb', 4 * MiB);
  await emu.attach('/dev/vda');
  const id = await emu.snapshotCreate({ diffStoragePath: tempDir(), diffStorageLimitSectors: 65536, devices: [] });
  await emu.snapshotAdd(id, '/dev/vda');
  await emu.snapshotTake(id);
  const image = emu.listImages()[0]?.path ?? '';
  expect(image).not.toBe('');
  return { id, image };
}

const V2: Flavour[] = ['upstream', 'v7', 'v6', 'val-7.0', 'val-13'];

describe.each(V2)('a snapshot image given to a filter call, %s', (flavour) => {
  it('finds no filter on it: CTL, SNAPSHOTADD and DETACH answer ENOENT, and nothing changes', async () => {
    const emu = await emulator(flavour);
    const { id, image } = await takenImage(emu);
    const before = await emu.cbtInfo('/dev/vda');
    const other = await emu.snapshotCreate({ diffStoragePath: tempDir(), diffStorageLimitSectors: 65536, devices: [] });
    const codes = [
      await codeOf(emu.cbtInfo(image)),
      await codeOf(emu.cbtMap(image, 0, 1)),
      await codeOf(emu.cbtDirty(image, [{ offsetSectors: 0, countSectors: 8 }])),
      await codeOf(emu.snapshotInfo(image)),
      await codeOf(emu.snapshotAdd(other, image)),
      await codeOf(emu.detach(image)),
      await codeOf(emu.ctl(image, { filterName: 'nosuchfilter', cmd: 0, optlen: 40 })),
    ];
    expect(codes).toEqual(Array(7).fill('ENOENT'));
    expect(await emu.cbtInfo('/dev/vda')).toEqual(before);
    expect(await emu.snapshotCollect()).toEqual([id, other]);
    expect(await codeOf(emu.snapshotTake(other))).toBe('ENODEV'); // the image was not added
    expect((await emu.read(image, 0, 512)).length).toBe(512);
  });

  it('refuses ATTACH to it as EUNSUPPORTED, naming the image and its original; another filter name is still ENOENT', async () => {
    const emu = await emulator(flavour);
    const { image } = await takenImage(emu);
    const err = await failure(emu.attach(image));
    expect(err).toBeInstanceOf(BlksnapError);
    expect((err as BlksnapError).code).toBe('EUNSUPPORTED');
    expect((err as BlksnapError).message).toContain(`${image} is a snapshot image (of /dev/vda)`);
    expect(await codeOf(emu.attach(image, 'nosuchfilter'))).toBe('ENOENT');
    expect(await codeOf(emu.cbtInfo(image))).toBe('ENOENT');
  });
});

describe('a snapshot image given to a v1 call', () => {
  it('is not tracked (TRACKER_REMOVE ENODATA), is no original in COLLECT_IMAGES, and SNAPSHOT_CREATE of it is refused as EUNSUPPORTED', async () => {
    const emu = await emulator('v1');
    await emu.createDevice('vda', MiB);
    const id = await emu.snapshotCreate({ diffStoragePath: null, diffStorageLimitSectors: 0, devices: ['/dev/vda'] });
    const file = path.join(tempDir(), 'diff_storage#0');
    fs.writeFileSync(file, '');
    fs.truncateSync(file, 8192 * 512);
    await emu.appendStorage(id, file, [{ offsetSectors: 0, countSectors: 8192 }]);
    await emu.snapshotTake(id);
    const image = '/dev/veeamblksnapimg0';
    expect(await codeOf(emu.detach(image))).toBe('ENODATA');
    expect(await emu.snapshotInfo(image)).toEqual({ errorCode: 0, image: '' });
    expect(await codeOf(emu.cbtMap(image, 0, 1))).toBe('ENODATA');
    await emu.snapshotDestroy(id);
    await emu.createDevice('vdb', MiB);
    const again = await emu.snapshotCreate({ diffStoragePath: null, diffStorageLimitSectors: 0, devices: ['/dev/vdb'] });
    await emu.appendStorage(again, file, [{ offsetSectors: 0, countSectors: 8192 }]);
    await emu.snapshotTake(again);
    expect(await codeOf(emu.snapshotCreate({ diffStoragePath: null, diffStorageLimitSectors: 0, devices: [emu.listImages()[0]?.path ?? ''] }))).toBe('EUNSUPPORTED');
  });
});
