// Model-based randomized test: long seeded sequences of operations on one emulated device,
// checked after every step against a tiny in-memory reference model of the module.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Emulator, Flavour } from '../../../../electron/control/emulator';
import { BlksnapError } from '../../../../shared/errors';
import { emulator, tempDir } from './helpers';
import { seededRandom as rng } from '../../../../shared/random';

const SECTOR = 512;
const BLOCK = 4096; // tracking block and chunk (SMALL parameters)
const DEVICE_BYTES = 256 * 1024; // 64 blocks
const BLOCKS = DEVICE_BYTES / BLOCK;


/** The reference: device bytes, CBT maps and numbers, and the snapshot as the module keeps them. */
class Model {
  device = new Uint8Array(DEVICE_BYTES);
  tracked = false;
  writeMap = new Uint8Array(BLOCKS);
  readMap = new Uint8Array(BLOCKS);
  previous = 0;
  active = 1;
  snapshot: { id: string; taken: boolean; image: Uint8Array; copied: Set<number>; chunkRoom: number; corrupted: boolean } | null = null;

  constructor(readonly flavour: Flavour) {}

  blocks(offset: number, length: number): number[] {
    const out = [];
    for (let b = Math.floor(offset / BLOCK); b <= Math.floor((offset + length - 1) / BLOCK); b++) out.push(b);
    return out;
  }

  /** A chunk copy; false when the storage has no room (the area goes corrupted). */
  copy(chunks: number[]): boolean {
    const s = this.snapshot;
    if (!s || !s.taken || s.corrupted) return true;
    for (const c of chunks) {
      if (s.copied.has(c)) continue;
      if (s.chunkRoom === 0) {
        s.corrupted = true;
        return false;
      }
      s.chunkRoom -= 1;
      s.copied.add(c);
    }
    return true;
  }

  writeOriginal(offset: number, data: Uint8Array): void {
    const blocks = this.blocks(offset, data.length);
    if (this.tracked) for (const b of blocks) this.writeMap[b] = this.active;
    this.copy(blocks);
    this.device.set(data, offset);
  }

  writeImage(offset: number, data: Uint8Array): boolean {
    const s = this.snapshot;
    if (!s?.taken || s.corrupted) return false;
    const blocks = this.blocks(offset, data.length);
    for (const b of blocks) {
      this.writeMap[b] = this.active;
      this.readMap[b] = this.previous;
    }
    if (!this.copy(blocks)) return false;
    s.image.set(data, offset);
    return true;
  }

  markDirty(offsetSectors: number, countSectors: number): void {
    for (const b of this.blocks(offsetSectors * SECTOR, countSectors * SECTOR)) {
      this.writeMap[b] = this.active;
      this.readMap[b] = this.previous;
    }
  }

  take(): void {
    if (this.flavour === 'v1') this.readMap.set(this.writeMap);
    this.previous = this.active;
    this.active += 1;
    if (this.active === 256) {
      this.active = 1;
      this.writeMap.fill(0);
    } else if (this.flavour !== 'v1') this.readMap.set(this.writeMap);
    const s = this.snapshot as NonNullable<Model['snapshot']>;
    s.taken = true;
    s.image = this.device.slice();
  }
}

async function expectCode(p: Promise<unknown>, codes: string[]): Promise<void> {
  try {
    await p;
  } catch (err) {
    if (err instanceof BlksnapError && codes.includes(err.code)) return;
    throw err;
  }
  throw new Error(`expected one of ${codes.join(', ')}`);
}

async function run(flavour: Flavour, seed: number, steps: number): Promise<Record<string, number>> {
  const random = rng(seed);
  const pick = (n: number): number => Math.floor(random() * n);
  const emu: Emulator = await emulator(flavour);
  const dev = '/dev/vda';
  await emu.createDevice('vda', DEVICE_BYTES);
  const model = new Model(flavour);
  const storeDir = tempDir();
  const image = flavour === 'v1' ? '/dev/veeamblksnapimg0' : '/dev/blksnap-252-0';
  const imageError = flavour === 'v1' ? 'ENOSPC' : 'EIO';
  const counts: Record<string, number> = {};
  if (flavour !== 'v1') {
    await emu.attach(dev);
    model.tracked = true;
  }

  const randomWrite = (): [number, Uint8Array] => {
    const offsetSectors = pick(DEVICE_BYTES / SECTOR);
    const count = 1 + pick(Math.min(24, DEVICE_BYTES / SECTOR - offsetSectors));
    const data = new Uint8Array(count * SECTOR);
    const tag = 1 + pick(255);
    for (let i = 0; i < data.length; i += 64) data[i] = tag ^ (i >> 6);
    return [offsetSectors * SECTOR, data];
  };

  for (let step = 0; step < steps; step++) {
    const r = random();
    const s = model.snapshot;
    let op: string;
    if (r < 0.45) {
      op = 'write-original';
      const [off, data] = randomWrite();
      await emu.write(dev, off, data);
      model.writeOriginal(off, data);
    } else if (r < 0.6) {
      op = 'write-image';
      if (!s?.taken) continue;
      const [off, data] = randomWrite();
      if (model.writeImage(off, data)) await emu.write(image, off, data);
      else await expectCode(emu.write(image, off, data), [imageError]);
    } else if (r < 0.68) {
      op = 'mark-dirty';
      if (!model.tracked) continue;
      const offsetSectors = pick(DEVICE_BYTES / SECTOR);
      const countSectors = 1 + pick(DEVICE_BYTES / SECTOR - offsetSectors);
      await emu.cbtDirty(dev, [{ offsetSectors, countSectors }]);
      model.markDirty(offsetSectors, countSectors);
    } else if (r < 0.8) {
      op = 'take';
      if (s) continue;
      const roomChunks = 2 + pick(40); // small rooms overflow often
      let id: string;
      if (flavour === 'v1') {
        id = await emu.snapshotCreate({ diffStoragePath: null, diffStorageLimitSectors: 0, devices: [dev] });
        model.tracked = true;
        const file = path.join(storeDir, `s${step}`);
        fs.writeFileSync(file, '');
        fs.truncateSync(file, roomChunks * BLOCK);
        await emu.appendStorage(id, file, [{ offsetSectors: 0, countSectors: (roomChunks * BLOCK) / SECTOR }]);
      } else {
        // A file above minimum/2 with limit 0: no create-time growth and none later; room is exact.
        const file = path.join(storeDir, `s${step}`);
        fs.writeFileSync(file, '');
        fs.truncateSync(file, 2 * 2 ** 20 + roomChunks * BLOCK);
        id = await emu.snapshotCreate({ diffStoragePath: file, diffStorageLimitSectors: 0, devices: [] });
        await emu.snapshotAdd(id, dev);
      }
      model.snapshot = { id, taken: false, image: new Uint8Array(0), copied: new Set(), chunkRoom: roomChunks, corrupted: false };
      await emu.snapshotTake(id);
      model.take();
    } else if (r < 0.9) {
      op = 'destroy';
      if (!s) continue;
      await emu.snapshotDestroy(s.id);
      model.snapshot = null;
    } else {
      op = 'verify';
    }
    counts[op] = (counts[op] ?? 0) + 1;

    // Checks after every step: the original is never lost, the image is the device at take time.
    const ctx = `${flavour} seed ${seed} step ${step} (${op})`;
    expect(Buffer.from(await emu.read(dev, 0, DEVICE_BYTES)).equals(Buffer.from(model.device)), `${ctx}: original`).toBe(true);
    const snap = model.snapshot;
    if (snap?.taken && !snap.corrupted) {
      expect(Buffer.from(await emu.read(image, 0, DEVICE_BYTES)).equals(Buffer.from(snap.image)), `${ctx}: image`).toBe(true);
    } else if (snap?.taken) {
      await expectCode(emu.read(image, 0, SECTOR), [imageError]);
      counts.overflowed = (counts.overflowed ?? 0) + (op === 'verify' ? 1 : 0);
    }
    // The pending change (the device summary's "written since the last take"): the write map at the active number.
    if (model.tracked) expect((await emu.pendingChange(dev)).blocks, `${ctx}: pending blocks`).toBe(model.writeMap.filter((v) => v === model.active).length);
    if (op === 'verify' || op === 'take') {
      if (model.tracked) expect((await emu.cbtInfo(dev)).changesNumber, `${ctx}: changes number`).toBe(model.previous);
      const readable = flavour !== 'v1' || snap?.taken;
      if (model.tracked && readable) expect(await emu.cbtMap(dev, 0, BLOCKS), `${ctx}: read map`).toEqual(model.readMap);
      if (model.tracked && !readable) await expectCode(emu.cbtMap(dev, 0, BLOCKS), ['EPERM']);
    }
  }
  // At the end, a take shows the write map: CBT marked exactly the written blocks with the right numbers.
  if (model.snapshot) await emu.snapshotDestroy(model.snapshot.id);
  if (flavour !== 'v1') {
    const id = await emu.snapshotCreate({ diffStoragePath: tempDir(), diffStorageLimitSectors: 65536, devices: [] });
    await emu.snapshotAdd(id, dev);
    await emu.snapshotTake(id);
    model.snapshot = { id, taken: false, image: new Uint8Array(0), copied: new Set(), chunkRoom: 1e9, corrupted: false };
    model.take();
    expect(await emu.cbtMap(dev, 0, BLOCKS)).toEqual(model.readMap);
  }
  return counts;
}

describe('model-based randomized sequences', () => {
  for (const flavour of ['upstream', 'v1'] as const) {
    for (const seed of [1, 2, 3]) {
      it(`${flavour} seed ${seed}: originals, images and CBT always match the reference model`, async () => {
        const counts = await run(flavour, seed, 300);
        expect(counts.take ?? 0).toBeGreaterThan(5);
        expect(counts['write-original'] ?? 0).toBeGreaterThan(50);
      }, 30_000);
    }
  }

  it('overflows in some sequences, so the overflow path is exercised', async () => {
    const counts = await run('upstream', 7, 300);
    expect(counts.overflowed ?? 0).toBeGreaterThan(0);
  }, 30_000);
});
