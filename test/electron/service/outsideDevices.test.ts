// A device another program adds to one of this app's snapshots. The module names no snapshot's
// devices, but images appear only at their snapshot's take: an image that appears while this app
// takes its snapshot, on a device none of ours holds, belongs to that snapshot. It was listed
// under the single outside snapshot before.
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import type { BlksnapService } from '../../../electron/service';
import { rejection } from './parts';
import { FakeControl } from './fakeControl';
import { startedServices } from './started';

const { start, tempDir } = startedServices();

const LIMIT = 2097152;

/** Ours holds vda; another program's snapshot (taken) holds vdc and it added vdb to ours before our take. */
async function scene(control: FakeControl, service: BlksnapService): Promise<{ ours: string; theirs: string }> {
  for (const name of ['vda', 'vdb', 'vdc']) control.addDevice(name, 64 * 2 ** 20, true);
  const theirs = await control.snapshotCreate({ diffStoragePath: tmpdir(), diffStorageLimitSectors: LIMIT, devices: [] });
  await control.snapshotAdd(theirs, '/dev/vdc');
  await control.snapshotTake(theirs);
  const { id: ours } = await service.snapshotCreate({ diffStoragePath: tmpdir(), diffStorageLimitSectors: LIMIT, devices: ['/dev/vda'] });
  await control.snapshotAdd(ours, '/dev/vdb'); // the other program, straight to the module
  await service.snapshotTake({ id: ours });
  await service.refresh();
  return { ours, theirs };
}

describe('a device another program adds to one of our snapshots', () => {
  it('is listed under our snapshot, marked added by another program, not under the outside snapshot', async () => {
    const control = new FakeControl();
    const service = start(control);
    const { ours, theirs } = await scene(control, service);
    const byId = new Map((await service.listSnapshots({})).map((x) => [x.id, x]));
    expect(byId.get(ours)!.devices.map((d) => [d.path, d.addedOutside ?? false])).toEqual([['/dev/vda', false], ['/dev/vdb', true]]);
    expect(byId.get(theirs)!.devices.map((d) => d.path)).toEqual(['/dev/vdc']);
    const devices = new Map((await service.listDevices({})).map((d) => [d.path, d.snapshotId]));
    expect(devices.get('/dev/vdb')).toBe(ours);
    expect(devices.get('/dev/vdc')).toBe(null);
    // The detach guard names the snapshot that holds it.
    expect((await rejection(service.detach({ device: '/dev/vdb' }))).message).toContain(ours);
  });

  it('stays ours after a restart (the registry keeps it) and is forgotten with the snapshot', async () => {
    const control = new FakeControl();
    const dataDir = tempDir();
    const first = start(control, { dataDir });
    const { ours } = await scene(control, first);
    await first.close();
    const second = start(control, { dataDir });
    await second.refresh();
    const summary = (await second.listSnapshots({})).find((x) => x.id === ours);
    expect(summary?.devices.map((d) => d.path)).toEqual(['/dev/vda', '/dev/vdb']);
    await second.snapshotDestroy({ id: ours });
    expect((await second.listDevices({})).find((d) => d.path === '/dev/vdb')?.snapshotId).toBe(null);
  });

  it('does not turn a take that succeeded into a failure when the listing after it fails: the snapshot is taken, nothing is claimed', async () => {
    const control = new FakeControl();
    const service = start(control);
    control.addDevice('vda', 64 * 2 ** 20, true);
    const { id } = await service.snapshotCreate({ diffStoragePath: tmpdir(), diffStorageLimitSectors: LIMIT, devices: ['/dev/vda'] });
    const take = control.snapshotTake.bind(control);
    const list = control.listDevices.bind(control);
    let failNextListing = false;
    control.snapshotTake = async (snapshotId: string) => {
      await take(snapshotId);
      failNextListing = true;
    };
    control.listDevices = async () => {
      if (failNextListing) {
        failNextListing = false;
        throw new Error('EIO: /sys/class/block could not be read');
      }
      return list();
    };
    await expect(service.snapshotTake({ id })).resolves.toEqual({ ok: true });
    const summary = (await service.listSnapshots({})).find((x) => x.id === id);
    expect(summary?.taken).toBe(true);
    expect(summary?.devices.map((d) => [d.path, d.addedOutside ?? false])).toEqual([['/dev/vda', false]]);
  });

  it('is not claimed when the image was there before our take (an outside snapshot taken earlier)', async () => {
    const control = new FakeControl();
    const service = start(control);
    const { ours } = await scene(control, service);
    const summary = (await service.listSnapshots({})).find((x) => x.id === ours);
    expect(summary?.devices.map((d) => d.path)).not.toContain('/dev/vdc');
  });
});
