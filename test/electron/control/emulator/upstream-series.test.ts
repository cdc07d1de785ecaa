// The earlier upstream series v7 (= lk6.9) and v6 as emulator flavours (spec §4): what differs
// from lk6.15 where the emulator can see it. Their guests' recorded scenarios replay on them
// step by step (test/vm/scenario/replay.test.ts); this pins the rules the scenario reaches only
// in part.
import { describe, expect, it } from 'vitest';
import { drain, emulator, fill, MiB, takenSnapshot, trackedDevice } from './helpers';

const CHUNK = 4096; // SMALL: chunk_minimum_shift 12; diff_storage_minimum 8192 sectors (4 MiB)

/** Writes one 512-byte piece into each of `chunks` chunks from `fromChunk` on: one copy each. */
async function copyChunks(emu: Awaited<ReturnType<typeof emulator>>, dev: string, fromChunk: number, chunks: number): Promise<void> {
  for (let i = fromChunk; i < fromChunk + chunks; i += 1) await emu.write(dev, i * CHUNK, fill(512, 7));
}

describe('upstream v7 and v6 flavours', () => {
  for (const flavour of ['v7', 'v6'] as const) {
    it(`${flavour}: version 2.0.0.0, its own dialect and words, images blksnap-image_<M>:<m>, corrupted as the only event`, async () => {
      const emu = await emulator(flavour);
      expect(emu.info).toMatchObject({ dialect: flavour, version: { major: 2, minor: 0 }, verified: true, capabilities: { eventCodes: { 0: 'corrupted' }, appendStorage: false } });
      const dev = await trackedDevice(emu, 'vda', 8 * MiB);
      await takenSnapshot(emu, dev, 65536);
      expect(await emu.snapshotInfo(dev)).toEqual({ errorCode: 0, image: 'blksnap-image_252:0' });
      expect((await emu.read('/dev/blksnap-image_252:0', 0, 512)).length).toBe(512);
    });

    it(`${flavour}: allocates from sector 0 and sends nothing at the limit: a 4 MiB limit holds 4 MiB of chunks, then corrupted`, async () => {
      const emu = await emulator(flavour);
      const dev = await trackedDevice(emu, 'vda', 8 * MiB);
      const id = await takenSnapshot(emu, dev, 8192);
      await copyChunks(emu, dev, 0, 1024);
      expect(await drain(emu, id)).toEqual([]);
      expect(await emu.diffStorageUsage(id)).toMatchObject({ filledSectors: 8192 });
      expect((await emu.snapshotInfo(dev)).errorCode).toBe(0);
      await copyChunks(emu, dev, 1024, 1);
      expect(await drain(emu, id)).toEqual([{ kind: 'corrupted', code: 0, requestedSectors: null, errCode: 28, minor: 0 }]);
    });
  }

  it('lk6.15 beside them: the first 2 MiB are never used and the limit brings no_space, so the same limit holds half as much', async () => {
    const emu = await emulator('upstream');
    const dev = await trackedDevice(emu, 'vda', 8 * MiB);
    const id = await takenSnapshot(emu, dev, 8192);
    await copyChunks(emu, dev, 0, 512);
    expect((await drain(emu, id)).map((e) => e.kind)).toEqual(['no_space']);
    expect((await emu.snapshotInfo(dev)).errorCode).toBe(0);
    await copyChunks(emu, dev, 512, 1);
    expect((await drain(emu, id)).map((e) => e.kind)).toEqual(['corrupted']);
  });
});
