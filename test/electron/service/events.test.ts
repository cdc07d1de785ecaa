import { describe, expect, it } from 'vitest';
import { SnapshotEvents } from '../../../electron/service/events';
import { LifecycleListeners } from '../../../electron/service/lifecycle';
import { SnapshotRegistry } from '../../../electron/service/registry';
import type { SnapshotEvent } from '../../../shared/schemas';
import { FakeControl } from './fakeControl';
import { busAndNotices, rejection, until } from './parts';

async function setup() {
  const control = new FakeControl();
  control.waitSliceMs = 5;
  const { notices } = busAndNotices();
  const registry = new SnapshotRegistry(null);
  const lifecycle = new LifecycleListeners(() => undefined);
  const id = await control.snapshotCreate({ devices: [], diffStoragePath: null, diffStorageLimitSectors: 0 });
  registry.add({ id, devices: [], createdAtMs: Date.now(), diffStoragePath: null, limitSectors: 0, taken: false });
  const live = [id];
  const recorded: SnapshotEvent[] = [];
  const heard: SnapshotEvent[] = [];
  let refreshes = 0;
  lifecycle.add({ moduleEvent: (e) => { heard.push(e); } });
  const events = new SnapshotEvents(control, { eventWaitTicks: 1, adoptForeignSnapshots: false, dataDir: null }, {
    registry, notices, lifecycle,
    liveIds: () => live,
    pathOf: (dev) => (dev.minor === 7 ? '/dev/vdh' : `${dev.major}:${dev.minor}`),
    recordCorrupted: (e) => recorded.push(e),
    refresh: async () => { refreshes += 1; },
  });
  return { control, notices, id, events, recorded, heard, refreshes: () => refreshes };
}

describe('module events', () => {
  it('turns a corrupted event into an error naming the device, a flag, a listener call, a queued event and a refresh', async () => {
    const s = await setup();
    s.events.syncPumps();
    s.control.pushEvent(s.id, { kind: 'corrupted', code: 0, device: { major: 251, minor: 7 }, errCode: 28, requestedSectors: null });
    await until(() => s.heard.length === 1);
    expect(s.events.corrupted(s.id)).toBe(true);
    expect(s.recorded).toHaveLength(1);
    const appEvent = s.notices.list().find((e) => e.source === 'module');
    expect(appEvent).toMatchObject({ level: 'error', kind: 'corrupted', device: '/dev/vdh', snapshotId: s.id });
    expect(appEvent!.message).toContain('ENOSPC');
    expect(await s.events.waitEvent({ id: s.id, timeoutTicks: 0 })).toMatchObject({ kind: 'corrupted', errCode: 28 });
    expect(s.refreshes()).toBeGreaterThan(0);
    await s.events.close();
  });

  it('does not refresh for low_free_space (the stretch service answers it), and logs it as info', async () => {
    const s = await setup();
    s.events.syncPumps();
    const before = s.refreshes();
    s.control.pushEvent(s.id, { kind: 'low_free_space', code: 2, device: null, errCode: null, requestedSectors: 4096 });
    await until(() => s.heard.length === 1);
    expect(s.refreshes()).toBe(before);
    expect(s.notices.list().find((e) => e.source === 'module')).toMatchObject({ level: 'info', kind: 'low_free_space' });
    await s.events.close();
  });

  it('answers waitEvent with ESRCH for a snapshot that is not live, and null on a zero timeout', async () => {
    const s = await setup();
    s.events.syncPumps();
    const err = await rejection(s.events.waitEvent({ id: '00000000-0000-4000-8000-0000000000ee', timeoutTicks: 1 }));
    expect(err.code).toBe('ESRCH');
    expect(await s.events.waitEvent({ id: s.id, timeoutTicks: 0 })).toBeNull();
    await s.events.close();
  });

  it('forgets a snapshot: the corrupted flag goes and its waiters fail', async () => {
    const s = await setup();
    s.events.syncPumps();
    s.control.pushEvent(s.id, { kind: 'corrupted', code: 0, device: { major: 251, minor: 7 }, errCode: 5, requestedSectors: null });
    await until(() => s.heard.length === 1);
    await s.events.waitEvent({ id: s.id, timeoutTicks: 0 });
    const waiting = s.events.waitEvent({ id: s.id, timeoutTicks: 10_000 });
    await until(() => s.events.pumpCount === 1);
    s.events.forget(s.id);
    expect((await rejection(waiting)).code).toBe('ESRCH');
    expect(s.events.corrupted(s.id)).toBe(false);
    await s.events.close();
  });
});
