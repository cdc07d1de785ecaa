import { describe, expect, it } from 'vitest';
import type { Devices } from '../../../electron/service/devices';
import type { SnapshotEvents } from '../../../electron/service/events';
import type { FillMonitor, FillStatus } from '../../../electron/service/fillMonitor';
import { LifecycleListeners } from '../../../electron/service/lifecycle';
import { SnapshotRegistry } from '../../../electron/service/registry';
import { Snapshots } from '../../../electron/service/snapshots';
import type { StorageGate } from '../../../electron/service/storageGate';
import { errnoError } from '../../../shared/errors';
import { FakeControl } from './fakeControl';
import { busAndNotices, rejection } from './parts';

const UNKNOWN: FillStatus = {
  usage: { filledSectors: null, requestedSectors: null, capacitySectors: null, limitSectors: null, overflowed: null, source: 'test' },
  timeToFullSec: null,
  timeToFullConfidence: null,
  warning: null,
};

/** Snapshots with the real registry, notices and listeners; the other parts record what they are asked. */
function setup() {
  const control = new FakeControl('kernel');
  const { bus, notices } = busAndNotices();
  const registry = new SnapshotRegistry(null);
  const lifecycle = new LifecycleListeners((err) => notices.reportOnce(err));
  const calls: string[] = [];
  const corrupted = new Set<string>();
  const fillStatus = new Map<string, FillStatus>();
  const events = {
    suspendPump: async (id: string) => { calls.push(`suspend ${id}`); },
    resumePump: (id: string, stillLive: boolean) => { calls.push(`resume ${id} live=${stillLive}`); },
    forget: (id: string) => { calls.push(`events.forget ${id}`); },
    startPump: (id: string) => { calls.push(`start ${id}`); },
    corrupted: (id: string) => corrupted.has(id),
  } as Partial<SnapshotEvents> as SnapshotEvents;
  const fill = {
    forget: (id: string) => { calls.push(`fill.forget ${id}`); },
    status: (id: string) => fillStatus.get(id) ?? UNKNOWN,
  } as Partial<FillMonitor> as FillMonitor;
  const devices = { infoOf: () => null, refuseStorageDevice: async () => undefined } as Partial<Devices> as Devices;
  const snapshots = new Snapshots(control, {}, registry, {
    bus, notices, lifecycle, devices, fill, events, storage: {} as StorageGate, refresh: async () => { calls.push('refresh'); },
  });
  lifecycle.add({
    beforeDestroy: (id) => { calls.push(`beforeDestroy ${id}`); },
    snapshotDestroyed: (id) => { calls.push(`destroyed ${id}`); },
  });
  const origDestroy = control.snapshotDestroy.bind(control);
  control.snapshotDestroy = async (id: string) => {
    calls.push(`SNAPSHOT_DESTROY ${id}`);
    return origDestroy(id);
  };
  /** A snapshot of ours, live in the module and in the list. */
  const ours = async () => {
    const id = await control.snapshotCreate({ devices: [], diffStoragePath: null, diffStorageLimitSectors: 0 });
    registry.add({ id, devices: [], createdAtMs: Date.now() - 1000, diffStoragePath: null, limitSectors: 0, taken: false });
    snapshots.reconcile(await control.snapshotCollect(), Date.now());
    return id;
  };
  return { control, notices, registry, calls, corrupted, fillStatus, snapshots, ours };
}

describe('snapshots: destroy', () => {
  it('stops the pump, tells the listeners, destroys, forgets, and only then lets a pump start again', async () => {
    const s = setup();
    const id = await s.ours();
    await s.snapshots.destroy({ id });
    expect(s.calls).toEqual([
      `suspend ${id}`, `beforeDestroy ${id}`, `SNAPSHOT_DESTROY ${id}`, `fill.forget ${id}`, `events.forget ${id}`,
      `resume ${id} live=false`, `destroyed ${id}`, 'refresh',
    ]);
    expect(s.registry.get(id)).toBeUndefined();
    expect(s.snapshots.ids()).not.toContain(id);
    expect(s.notices.list().map((e) => e.message)).toContain(`Snapshot ${id} destroyed`);
  });

  it('keeps a snapshot whose destroy failed, and gives its pump back', async () => {
    const s = setup();
    const id = await s.ours();
    s.control.snapshotDestroy = async () => { throw errnoError('EBUSY', 'destroy', 'busy'); };
    expect((await rejection(s.snapshots.destroy({ id }))).code).toBe('EBUSY');
    expect(s.calls.at(-1)).toBe(`resume ${id} live=true`);
    expect(s.registry.get(id)).toBeDefined();
    expect(s.snapshots.ids()).toContain(id);
  });

  it('forgets a snapshot the module no longer has (ENODEV) and still reports the error', async () => {
    const s = setup();
    const id = await s.ours();
    s.control.snapshots.delete(id);
    expect((await rejection(s.snapshots.destroy({ id }))).code).toBe('ENODEV');
    expect(s.registry.get(id)).toBeUndefined();
    expect(s.calls.at(-1)).toBe(`resume ${id} live=false`);
  });
});

describe('snapshots: the live list', () => {
  it('forgets a registered snapshot that vanished, and says so', async () => {
    const s = setup();
    const id = await s.ours();
    s.control.snapshots.delete(id);
    s.snapshots.reconcile(await s.control.snapshotCollect(), Date.now());
    expect(s.snapshots.ids()).toEqual([]);
    expect(s.registry.get(id)).toBeUndefined();
    expect(s.notices.list().map((e) => e.message)).toContain(`Snapshot ${id} no longer exists`);
  });

  it('keeps the last list when SNAPSHOT_COLLECT could not be read', async () => {
    const s = setup();
    const id = await s.ours();
    s.snapshots.reconcile(null, Date.now());
    expect(s.snapshots.ids()).toEqual([id]);
    expect(s.registry.get(id)).toBeDefined();
  });

  it('keeps a snapshot registered after the listing was taken', async () => {
    const s = setup();
    const listedAtMs = Date.now() - 10;
    const id = '00000000-0000-4000-8000-0000000000ff';
    s.registry.add({ id, devices: [], createdAtMs: Date.now(), diffStoragePath: null, limitSectors: 0, taken: false });
    s.snapshots.reconcile([], listedAtMs);
    expect(s.snapshots.ids()).toEqual([id]);
  });

  it('marks a summary corrupted by an event or by an overflow', async () => {
    const s = setup();
    const byEvent = await s.ours();
    const byOverflow = await s.ours();
    const healthy = await s.ours();
    s.corrupted.add(byEvent);
    s.fillStatus.set(byOverflow, { ...UNKNOWN, usage: { ...UNKNOWN.usage, overflowed: true } });
    const corrupted = Object.fromEntries(s.snapshots.summaries().map((x) => [x.id, x.corrupted]));
    expect(corrupted).toEqual({ [byEvent]: true, [byOverflow]: true, [healthy]: false });
  });
});

describe('snapshots: the registry', () => {
  it('keeps a corrupted event\'s device and errno in the registry once, and ignores an event without a device', async () => {
    const s = setup();
    const id = await s.ours();
    const event = { snapshotId: id, code: 0, kind: 'corrupted' as const, timeLabelNs: '1', device: { major: 252, minor: 3 }, errCode: 28, requestedSectors: null };
    s.snapshots.recordCorrupted(event);
    s.snapshots.recordCorrupted(event);
    s.snapshots.recordCorrupted({ ...event, device: null });
    expect(s.registry.get(id)?.corrupted).toEqual([{ device: '252:3', errCode: 28 }]);
  });
});
