// What the collector computes beyond the service's numbers: takes until the change-number
// wrap, the fill ratio, and the take clock that dates takes and keeps them across restarts.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DeviceSummary, SnapshotSummary } from '../../../shared/contract';
import { createMetricsCollector, fillRatio, takesUntilWrap } from '../../../electron/metrics/collector';
import { createService } from '../../../electron/service';
import { FakeControl } from '../service/fakeControl';
import { TAKES_FILE, TakeClock } from '../../../electron/metrics/takeClock';

describe('takesUntilWrap', () => {
  it('counts the takes left until the one that starts a new generation (spec §4.2)', () => {
    expect(takesUntilWrap(254)).toBe(1);
    expect(takesUntilWrap(200)).toBe(55);
    expect(takesUntilWrap(1)).toBe(254);
    // Never taken, or the wrap take just happened: a whole cycle ahead.
    expect(takesUntilWrap(0)).toBe(255);
    expect(takesUntilWrap(255)).toBe(255);
  });
});

const usage = (u: Partial<SnapshotSummary['usage']>): SnapshotSummary => ({
  id: '00000000-0000-4000-8000-000000000001', devices: [], taken: true, createdAtMs: 0, diffStoragePath: null, storageMode: null, timeToFullSec: null, corrupted: false, warning: null, createdOutside: false,
  usage: { filledSectors: null, requestedSectors: null, capacitySectors: null, limitSectors: null, overflowed: null, source: 'test', ...u },
});

describe('fillRatio', () => {
  it('is used over the limit on the emulator, allocated over the limit on the real module', () => {
    expect(fillRatio(usage({ filledSectors: 25, capacitySectors: 50, limitSectors: 100 }))).toBe(0.25);
    expect(fillRatio(usage({ capacitySectors: 50, limitSectors: 100 }))).toBe(0.5);
  });

  it('is 1 after an overflow, never above 1, and absent when nothing is known', () => {
    expect(fillRatio(usage({ filledSectors: 10, limitSectors: 100, overflowed: true }))).toBe(1);
    expect(fillRatio(usage({ filledSectors: 150, capacitySectors: 150, limitSectors: 100 }))).toBe(1);
    expect(fillRatio(usage({ filledSectors: 10 }))).toBeNull();
  });
});

const device = (path: string, generationId: string, changesNumber: number): DeviceSummary => ({
  path, name: path.slice(5), devId: { major: 7, minor: 0 }, capacitySectors: 2048, tracked: true, discovery: 'emulator',
  cbt: { deviceCapacityBytes: 2048 * 512, blockSizeBytes: 4096, blockCount: 256, generationId, changesNumber },
  snapshotId: null, snapshot: null, emulated: true,
});
const GEN_A = '0b7e8c1a-0000-4000-8000-000000000001';
const GEN_B = '0b7e8c1a-0000-4000-8000-000000000002';

describe('TakeClock', () => {
  it('dates a take when the change number moves, not at attach or first sight, and keeps it across restarts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'blksnap-takes-'));
    try {
      let now = 1000;
      const clock = new TakeClock(dir, () => now);
      clock.observe([device('/dev/a', GEN_A, 0), device('/dev/b', GEN_A, 7)]);
      expect(clock.lastTakeMs('/dev/a')).toBeNull();
      expect(clock.lastTakeMs('/dev/b')).toBeNull(); // taken before we looked: not known when
      now = 2000;
      clock.observe([device('/dev/a', GEN_A, 1), device('/dev/b', GEN_A, 7)]);
      expect(clock.lastTakeMs('/dev/a')).toBe(2000);
      expect(clock.lastTakeMs('/dev/b')).toBeNull();
      expect(statSync(join(dir, TAKES_FILE)).mode & 0o777).toBe(0o600);
      // A re-attach (new generation, change number 0) is no take; the last take stays.
      now = 3000;
      clock.observe([device('/dev/a', GEN_B, 0)]);
      expect(clock.lastTakeMs('/dev/a')).toBe(2000);

      const restarted = new TakeClock(dir, () => 4000);
      expect(restarted.lastTakeMs('/dev/a')).toBe(2000);
      restarted.observe([device('/dev/a', GEN_B, 0)]);
      expect(restarted.lastTakeMs('/dev/a')).toBe(2000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('snapshots another program made', () => {
  it('have no taken or devices series while their devices cannot be told (unknown is not 0)', async () => {
    const control = new FakeControl();
    const service = createService(control, { pollIntervalMs: 20, dataDir: null });
    try {
      control.addDevice('vda', 64 * 2 ** 20, true);
      const request = { diffStoragePath: tmpdir(), diffStorageLimitSectors: 2097152, devices: [] };
      const one = await control.snapshotCreate(request);
      await control.snapshotAdd(one, '/dev/vda');
      await control.snapshotTake(one);
      await service.refresh();
      const series = (text: string, name: string) => text.split('\n').filter((l) => l.startsWith(`${name}{`));
      const collector = createMetricsCollector(service, null);
      let text = await collector.scrape();
      expect(series(text, 'blksnap_snapshot_taken')).toEqual([`blksnap_snapshot_taken{snapshot="${one}"} 1`]);
      expect(series(text, 'blksnap_snapshot_devices')).toEqual([`blksnap_snapshot_devices{snapshot="${one}"} 1`]);

      const two = await control.snapshotCreate(request);
      await service.refresh();
      text = await collector.scrape();
      expect(series(text, 'blksnap_snapshot_taken')).toEqual([]);
      expect(series(text, 'blksnap_snapshot_devices')).toEqual([]);
      expect(series(text, 'blksnap_snapshot_corrupted').map((l) => l.replace(/ \d$/, '')).sort()).toEqual([`blksnap_snapshot_corrupted{snapshot="${one}"}`, `blksnap_snapshot_corrupted{snapshot="${two}"}`].sort());
    } finally {
      await service.close();
    }
  });
});
