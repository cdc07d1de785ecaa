import * as fs from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { codeOf, emulator, fill, MiB, takenSnapshot, tempDir, trackedDevice } from './helpers';

/** Moves the fake clock by `ms` and says whether `promise` has settled (and with what; a rejection as its error). */
async function settledAfter<T>(promise: Promise<T>, ms: number): Promise<{ settled: false } | { settled: true; value: T | unknown }> {
  let outcome: { settled: false } | { settled: true; value: T | unknown } = { settled: false };
  promise.then((value) => { outcome = { settled: true, value }; }, (error: unknown) => { outcome = { settled: true, value: error }; });
  await vi.advanceTimersByTimeAsync(ms);
  return outcome;
}

describe('events and SNAPSHOT_WAIT_EVENT', () => {
  // The emulator's clock is performance.now() and its waits are timers: with fake timers the
  // tests step the clock themselves, so a loaded machine (a late timer, a descheduled process)
  // cannot move the figures. A wait still pending when the clock is not moved did not end early.
  it('counts the timeout in emulated ticks: 25 ticks at HZ 250 wait 100 ms, 0 polls', async () => {
    const emu = await emulator('upstream', { hz: 250 });
    const id = await emu.snapshotCreate({ diffStoragePath: tempDir(), diffStorageLimitSectors: 65536, devices: [] });
    vi.useFakeTimers();
    try {
      expect(await settledAfter(emu.waitEvent(id, 0), 0)).toEqual({ settled: true, value: null });
      const pending = emu.waitEvent(id, 25);
      expect(await settledAfter(pending, 99)).toEqual({ settled: false });
      expect(await settledAfter(pending, 1)).toEqual({ settled: true, value: null });
    } finally {
      vi.useRealTimers();
    }
    expect(emu.hz).toBe(250);
  });

  it('waits ten times longer at HZ 100 than at HZ 1000 for the same tick count', async () => {
    const slow = await emulator('upstream', { hz: 100 });
    const fast = await emulator('upstream', { hz: 1000 });
    const slowId = await slow.snapshotCreate({ diffStoragePath: tempDir(), diffStorageLimitSectors: 65536, devices: [] });
    const fastId = await fast.snapshotCreate({ diffStoragePath: tempDir(), diffStorageLimitSectors: 65536, devices: [] });
    vi.useFakeTimers();
    try {
      const slowWait = slow.waitEvent(slowId, 10);
      const fastWait = fast.waitEvent(fastId, 10);
      expect(await settledAfter(fastWait, 9)).toEqual({ settled: false });
      expect(await settledAfter(fastWait, 1)).toEqual({ settled: true, value: null });
      expect(await settledAfter(slowWait, 89)).toEqual({ settled: false });
      expect(await settledAfter(slowWait, 1)).toEqual({ settled: true, value: null });
    } finally {
      vi.useRealTimers();
    }
  });

  it('ends a wait with null when the signal aborts', async () => {
    const emu = await emulator();
    const id = await emu.snapshotCreate({ diffStoragePath: tempDir(), diffStorageLimitSectors: 65536, devices: [] });
    const ac = new AbortController();
    const t = performance.now();
    const p = emu.waitEvent(id, 250_000, { signal: ac.signal });
    setTimeout(() => ac.abort(), 30);
    expect(await p).toBeNull();
    // The wait itself lasts 1000 s: a bound far above any load, far below the wait.
    expect(performance.now() - t).toBeLessThan(20_000);
  });

  it('wakes a waiter when an event arrives, and keeps events queued before anyone waits in FIFO order', async () => {
    const emu = await emulator();
    const a = await trackedDevice(emu, 'vda', 8 * MiB);
    const b = await trackedDevice(emu, 'vdb', 8 * MiB);
    const id = await emu.snapshotCreate({ diffStoragePath: tempDir(), diffStorageLimitSectors: 0, devices: [] });
    await emu.snapshotAdd(id, a);
    await emu.snapshotAdd(id, b);
    await emu.snapshotTake(id);
    const pending = emu.waitEvent(id, 250_000);
    await emu.write(a, 0, fill(4096, 1));
    const first = await pending;
    expect(first).toMatchObject({ snapshotId: id, kind: 'corrupted', code: 0, device: { major: 252, minor: 0 }, errCode: 28, requestedSectors: null });
    expect(BigInt(first?.timeLabelNs ?? '0')).toBeGreaterThan(0n);
    await emu.write(b, 0, fill(4096, 1));
    const second = await emu.waitEvent(id, 0);
    expect(second?.device).toEqual({ major: 252, minor: 1 });
    expect(await emu.waitEvent(id, 0)).toBeNull();
  });

  it('answers ESRCH once the snapshot is destroyed, and releases it only after the wait in progress returns', async () => {
    const emu = await emulator();
    const dir = tempDir();
    const id = await emu.snapshotCreate({ diffStoragePath: dir, diffStorageLimitSectors: 65536, devices: [] });
    const pending = emu.waitEvent(id, 30); // 120 ms
    await emu.snapshotDestroy(id);
    expect(await codeOf(emu.waitEvent(id, 0))).toBe('ESRCH');
    expect(await emu.snapshotCollect()).toEqual([]);
    expect(fs.readdirSync(dir)).toHaveLength(1); // storage still held by the waiter's reference
    expect(await pending).toBeNull();
    expect(fs.readdirSync(dir)).toHaveLength(0);
  });

  it('drops queued events at release', async () => {
    const emu = await emulator();
    const dev = await trackedDevice(emu, 'vda', MiB);
    const id = await takenSnapshot(emu, dev, 0);
    await emu.write(dev, 0, fill(4096, 1));
    await emu.snapshotDestroy(id);
    expect(await codeOf(emu.waitEvent(id, 0))).toBe('ESRCH');
  });

  it('refuses a negative or fractional tick count', async () => {
    const emu = await emulator();
    const id = await emu.snapshotCreate({ diffStoragePath: tempDir(), diffStorageLimitSectors: 65536, devices: [] });
    expect(await codeOf(emu.waitEvent(id, -1))).toBe('EINVAL');
    expect(await codeOf(emu.waitEvent(id, 1.5))).toBe('EINVAL');
  });
});

describe('closing the emulator', () => {
  it('ends waits in progress with null', async () => {
    const emu = await emulator();
    const id = await emu.snapshotCreate({ diffStoragePath: tempDir(), diffStorageLimitSectors: 65536, devices: [] });
    const t = performance.now();
    const pending = emu.waitEvent(id, 250_000);
    await emu.close();
    expect(await pending).toBeNull();
    expect(performance.now() - t).toBeLessThan(20_000); // the wait lasts 1000 s
  });
});

describe('long waits', () => {
  it('waits for the largest tick count instead of returning at once (timers cap at about 24.8 days)', async () => {
    const emu = await emulator();
    const id = await emu.snapshotCreate({ diffStoragePath: tempDir(), diffStorageLimitSectors: 65536, devices: [] });
    const ac = new AbortController();
    const t = performance.now();
    setTimeout(() => ac.abort(), 80);
    expect(await emu.waitEvent(id, 0xffffffff, { signal: ac.signal })).toBeNull();
    expect(performance.now() - t).toBeGreaterThanOrEqual(75);
  });
});
