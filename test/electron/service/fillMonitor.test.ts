import { describe, expect, it } from 'vitest';
import { FillMonitor, type FillSettings } from '../../../electron/service/fillMonitor';
import { SnapshotRegistry } from '../../../electron/service/registry';
import { FakeControl } from './fakeControl';
import { busAndNotices } from './parts';

const SETTINGS: FillSettings = { fillHistoryLength: 5, fillRateWindowMs: 10_000, warnFillPercent: 80, warnTimeToFullSec: 0 };
const LIMIT = 1000;

async function setup(kind: 'kernel' | 'emulator' = 'emulator', settings = SETTINGS) {
  const control = new FakeControl(kind);
  const { bus, notices, pushed } = busAndNotices();
  const registry = new SnapshotRegistry(null);
  const id = await control.snapshotCreate({ devices: [], diffStoragePath: null, diffStorageLimitSectors: LIMIT });
  registry.add({ id, devices: [], createdAtMs: Date.now(), diffStoragePath: null, limitSectors: LIMIT, taken: false });
  const fill = new FillMonitor(control, registry, bus, notices, settings);
  const usage = control.snapshots.get(id)!.usage;
  Object.assign(usage, { capacitySectors: LIMIT, limitSectors: LIMIT });
  const at = async (filledSectors: number) => {
    usage.filledSectors = filledSectors;
    await fill.sample([id]);
  };
  const warnings = () => notices.list().filter((e) => e.level === 'warning' && e.snapshotId === id);
  return { control, bus, pushed, fill, id, usage, at, warnings };
}

describe('fill: the warning thresholds', () => {
  it('warns at the percentage, not below it, and only once while above', async () => {
    const s = await setup();
    await s.at(790);
    expect(s.fill.status(s.id).warning).toBeNull();
    await s.at(800);
    expect(s.fill.status(s.id).warning).toMatch(/80% used/);
    await s.at(850);
    await s.at(900);
    expect(s.warnings()).toHaveLength(1);
    expect(s.warnings()[0]).toMatchObject({ level: 'warning', snapshotId: s.id });
  });

  it('clears the warning when the fill drops, and warns again when it crosses again', async () => {
    const s = await setup();
    await s.at(900);
    await s.at(100);
    expect(s.fill.status(s.id).warning).toBeNull();
    await s.at(950);
    expect(s.warnings()).toHaveLength(2);
  });

  it('warns on time to full when the rate would fill the storage soon', async () => {
    const s = await setup('emulator', { ...SETTINGS, warnFillPercent: 101, warnTimeToFullSec: 3600 });
    await s.at(100);
    await new Promise((r) => setTimeout(r, 20));
    await s.at(200);
    expect(s.fill.status(s.id).timeToFullSec).toBeGreaterThan(0);
    expect(s.fill.status(s.id).warning).toMatch(/full in about/);
  });
});

describe('fill: sampling', () => {
  it('keeps a bounded history and pushes a sample only when it changed', async () => {
    const s = await setup();
    const pushes = s.pushed('fill');
    for (const filled of [10, 10, 20, 30, 40, 50, 60]) await s.at(filled);
    s.bus.flush();
    expect(s.fill.history(s.id).map((x) => x.usedBytes)).toEqual([20, 30, 40, 50, 60].map((n) => n * 512));
    expect(pushes).toHaveLength(6);
  });

  it('skips a snapshot that vanished between the listing and the sample', async () => {
    const s = await setup();
    await s.control.snapshotDestroy(s.id);
    await expect(s.fill.sample([s.id])).resolves.toBeUndefined();
    expect(s.fill.history(s.id)).toEqual([]);
  });

  it('on the kernel backend, fills in the limit asked at create and says so', async () => {
    const s = await setup('kernel');
    s.usage.limitSectors = null;
    await s.at(10);
    expect(s.fill.status(s.id).usage).toMatchObject({ limitSectors: LIMIT, source: expect.stringContaining('limit as requested at create') });
  });

  it('forgets a snapshot: no history, usage back to unknown', async () => {
    const s = await setup();
    await s.at(10);
    s.fill.forget(s.id);
    expect(s.fill.history(s.id)).toEqual([]);
    expect(s.fill.status(s.id)).toMatchObject({ usage: { filledSectors: null, source: 'not sampled yet' }, warning: null });
  });
});
