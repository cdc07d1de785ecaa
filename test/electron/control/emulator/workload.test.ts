import { describe, expect, it } from 'vitest';
import { offsetGenerator, startWorkload } from '../../../../electron/control/emulator/workload';
import { emulator, MiB, takenSnapshot, trackedDevice } from './helpers';

describe('workload generator', () => {
  it('produces the same offsets for the same seed, different ones for another seed', () => {
    const take = (seed: number): number[] => {
      const next = offsetGenerator('uniform', 1000, seed);
      return Array.from({ length: 50 }, () => next());
    };
    expect(take(42)).toEqual(take(42));
    expect(take(42)).not.toEqual(take(43));
  });

  it('walks sequentially and wraps at the end of the region', () => {
    const next = offsetGenerator('sequential', 3, 1);
    expect(Array.from({ length: 7 }, () => next())).toEqual([0, 1, 2, 0, 1, 2, 0]);
  });

  it('sends about 90 % of hot-spot writes into a tenth of the region', () => {
    const next = offsetGenerator('hotspot', 1000, 5);
    const counts = new Map<number, number>();
    for (let i = 0; i < 5000; i++) {
      const b = next();
      counts.set(b, (counts.get(b) ?? 0) + 1);
    }
    const sorted = [...counts.values()].sort((a, b) => b - a);
    const top100 = sorted.slice(0, 100).reduce((a, b) => a + b, 0);
    expect(top100 / 5000).toBeGreaterThan(0.85);
  });

  it('writes blocks to the device for the duration and marks the CBT, confined to the region', async () => {
    const emu = await emulator();
    const dev = await trackedDevice(emu, 'vda', 4 * MiB);
    // It keeps writing until asked to stop (how many in a fixed time depends on the machine's load).
    const handle = startWorkload(emu, { device: dev, pattern: 'uniform', blockSizeBytes: 4096, rateBytesPerSec: 0, durationMs: 60_000, offsetBytes: MiB, lengthBytes: MiB, seed: 3 });
    await expect.poll(() => handle.status().writes, { timeout: 30_000 }).toBeGreaterThan(10);
    await handle.stop();
    const status = await handle.done;
    expect(status.running).toBe(false);
    expect(status.error).toBeNull();
    expect(status.writes).toBeGreaterThan(10);
    expect(status.writtenBytes).toBe(status.writes * 4096);
    await takenSnapshot(emu, dev);
    const map = await emu.cbtMap(dev, 0, 1024);
    expect(map.slice(0, 256).every((v) => v === 0)).toBe(true);
    expect(map.slice(512).every((v) => v === 0)).toBe(true);
    expect(map.slice(256, 512).some((v) => v === 1)).toBe(true);
  });

  it('keeps to the rate limit', async () => {
    const emu = await emulator();
    const dev = await trackedDevice(emu, 'vda', 4 * MiB);
    // 40 writes a second: never more than the time allows (write k waits until (k-1)/40 s after
    // the start), however fast the machine; and it keeps going (8 writes take at least 175 ms).
    const t0 = performance.now();
    const handle = startWorkload(emu, { device: dev, pattern: 'sequential', blockSizeBytes: 4096, rateBytesPerSec: 40 * 4096, durationMs: 60_000 });
    await expect.poll(() => handle.status().writes, { timeout: 30_000 }).toBeGreaterThanOrEqual(8);
    await handle.stop();
    const status = await handle.done;
    const elapsedMs = performance.now() - t0;
    expect(status.writes).toBeGreaterThanOrEqual(8);
    expect(status.writes).toBeLessThanOrEqual(Math.floor((40 * elapsedMs) / 1000) + 1);
  });

  it('stops on request and reports progress', async () => {
    const emu = await emulator();
    const dev = await trackedDevice(emu, 'vda', 4 * MiB);
    const seen: number[] = [];
    const running: boolean[] = [];
    const handle = startWorkload(emu, { device: dev, pattern: 'hotspot', blockSizeBytes: 8192, rateBytesPerSec: 0, durationMs: 60_000 }, (s) => {
      seen.push(s.writes);
      running.push(s.running);
    });
    // A report while it runs (every 250 ms of writing; how soon the first comes depends on the
    // machine's load, so wait for it instead of a fixed time), then the final one at the stop.
    await expect.poll(() => seen.length, { timeout: 20_000 }).toBeGreaterThanOrEqual(1);
    expect(handle.status().running).toBe(true);
    expect(running[0]).toBe(true);
    await handle.stop();
    expect(handle.status().running).toBe(false);
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(running.at(-1)).toBe(false);
    expect(seen.at(-1)).toBe(handle.status().writes);
  });

  it('reports an error for a device it cannot write', async () => {
    const emu = await emulator();
    const status = await startWorkload(emu, { device: '/dev/none', pattern: 'uniform', blockSizeBytes: 4096, rateBytesPerSec: 0, durationMs: 100 }).done;
    expect(status.error).toContain('/dev/none');
    expect(status.running).toBe(false);
  });
});

describe('workload on a snapshot image', () => {
  it('writes to an image, leaving the original untouched', async () => {
    const emu = await emulator();
    const dev = await trackedDevice(emu, 'vda', MiB);
    await takenSnapshot(emu, dev);
    const status = await startWorkload(emu, { device: '/dev/blksnap-252-0', pattern: 'sequential', blockSizeBytes: 4096, rateBytesPerSec: 0, durationMs: 100, seed: 1 }).done;
    expect(status.error).toBeNull();
    expect(status.writes).toBeGreaterThan(0);
    expect((await emu.read(dev, 0, MiB)).every((b) => b === 0)).toBe(true);
  });
});
