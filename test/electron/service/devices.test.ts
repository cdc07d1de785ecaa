import { describe, expect, it } from 'vitest';
import { Devices } from '../../../electron/service/devices';
import { SnapshotRegistry } from '../../../electron/service/registry';
import { FakeControl } from './fakeControl';
import { busAndNotices, rejection } from './parts';

const MiB = 2 ** 20;

function setup() {
  const control = new FakeControl('kernel');
  const { bus, notices, pushed } = busAndNotices();
  const registry = new SnapshotRegistry(null);
  let refreshes = 0;
  const devices = new Devices(control, bus, registry, notices, async () => {
    refreshes += 1;
    await devices.update(await control.listDevices());
  });
  return { control, bus, notices, pushed, registry, devices, refreshes: () => refreshes };
}

/** A snapshot of ours holding /dev/vda, live in the fake module. */
async function held(s: ReturnType<typeof setup>, taken: boolean) {
  s.control.addDevice('vda', 64 * MiB, true);
  const id = await s.control.snapshotCreate({ devices: [], diffStoragePath: null, diffStorageLimitSectors: 2048 });
  await s.control.snapshotAdd(id, '/dev/vda');
  s.registry.add({ id, devices: ['/dev/vda'], createdAtMs: Date.now(), diffStoragePath: null, limitSectors: 2048, taken });
  return id;
}

describe('devices: the detach guard', () => {
  it('refuses to detach a device a live snapshot of ours holds, and leaves the tracker alone', async () => {
    const s = setup();
    const id = await held(s, true);
    const err = await rejection(s.devices.detach({ device: '/dev/vda' }));
    expect(err.code).toBe('EGUARD');
    expect(err.message).toContain(id);
    expect(err.message).toContain('(taken)');
    expect(s.control.log).not.toContain('detach /dev/vda');
  });

  it('detaches with force, and says the image now diverges', async () => {
    const s = setup();
    const id = await held(s, false);
    await s.devices.detach({ device: '/dev/vda', force: true });
    expect(s.control.log).toContain('detach /dev/vda');
    const warning = s.notices.list().find((e) => e.kind === 'guard');
    expect(warning).toMatchObject({ level: 'warning', device: '/dev/vda', snapshotId: id });
  });

  it('lets a device go once its snapshot is no longer live, though the registry still names it', async () => {
    const s = setup();
    const id = await held(s, false);
    await s.control.snapshotDestroy(id);
    await s.devices.detach({ device: '/dev/vda' });
    expect(s.control.log).toContain('detach /dev/vda');
  });

  it('refuses for a taken snapshot another tool made (SNAPSHOTINFO names an image)', async () => {
    const s = setup();
    s.control.addDevice('vda', 64 * MiB, true);
    const id = await s.control.snapshotCreate({ devices: [], diffStoragePath: null, diffStorageLimitSectors: 2048 });
    await s.control.snapshotAdd(id, '/dev/vda');
    await s.control.snapshotTake(id);
    const err = await rejection(s.devices.detach({ device: '/dev/vda' }));
    expect(err.code).toBe('EGUARD');
    expect(err.message).toContain('a snapshot this app did not create');
  });
});

describe('devices: listing', () => {
  it('pushes the summaries only when they changed, and keeps a copy for callers', async () => {
    const s = setup();
    const pushes = s.pushed('devices');
    s.control.addDevice('vda', 64 * MiB, true);
    await s.devices.update(await s.control.listDevices());
    await s.devices.update(await s.control.listDevices());
    s.bus.flush();
    expect(pushes).toHaveLength(1);
    s.control.addDevice('vdb', 64 * MiB);
    await s.devices.update(await s.control.listDevices());
    s.bus.flush();
    expect(pushes).toHaveLength(2);
    const copy = s.devices.summaries();
    copy[0]!.path = '/dev/changed';
    expect(s.devices.summaries()[0]!.path).toBe('/dev/vda');
  });

  it('names a device by its numbers when it is not listed', async () => {
    const s = setup();
    const vda = s.control.addDevice('vda', 64 * MiB, true);
    await s.devices.update(await s.control.listDevices());
    expect(s.devices.pathOf(vda.devId)).toBe('/dev/vda');
    expect(s.devices.pathOf({ major: 8, minor: 17 })).toBe('8:17');
  });

  it('refreshes after attach so the new tracker shows', async () => {
    const s = setup();
    s.control.addDevice('vda', 64 * MiB);
    await s.devices.attach({ device: '/dev/vda' });
    expect(s.refreshes()).toBe(1);
    expect(s.devices.summaries()[0]).toMatchObject({ tracked: true, cbt: { blockCount: 1024 } });
  });
});
