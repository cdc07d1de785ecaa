// A snapshot image given to attach, snapshot create or snapshot add. The real module lists images
// as block devices and accepts a tracker on one (measured: test/vm errors case), so the service
// refuses, naming the image, its original and its snapshot, before any call to the module; the
// device list marks the image so the UI can say why. The check at the call is made afresh: an
// image that appeared after the list was loaded is refused too. Kernel-like backend (images listed,
// attach accepted, as the module) and the emulator alike.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createEmulator, type Emulator } from '../../../electron/control/emulator';
import { createService, type BlksnapService, type ServiceConfig } from '../../../electron/service';
import { FakeControl, FAKE_MAJOR } from './fakeControl';
import { rejection } from './parts';

const FAST: Partial<ServiceConfig> = { pollIntervalMs: 20, fillSampleIntervalMs: 10, pushBatchMs: 5, dataDir: null };
const LIMIT = 2097152;
const MiB = 2 ** 20;
const open: BlksnapService[] = [];
const emulators: Emulator[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
  for (const e of emulators.splice(0)) await e.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'blksnap-image-guard-'));
  dirs.push(d);
  return d;
}

/** vda in a taken snapshot of this app; the module lists vda's image as a block device, as /sys/class/block does. */
async function kernelScene(takeThroughService = true) {
  const control = new FakeControl('kernel');
  const service = createService(control, FAST);
  open.push(service);
  control.addDevice('vda', 64 * MiB, true);
  control.addDevice('vdb', 64 * MiB, true);
  const { id } = await service.snapshotCreate({ diffStoragePath: tmpdir(), diffStorageLimitSectors: LIMIT, devices: ['/dev/vda'] });
  if (takeThroughService) await service.snapshotTake({ id });
  const image = `/dev/blksnap-${FAKE_MAJOR}-0`;
  control.addDevice(`blksnap-${FAKE_MAJOR}-0`, 64 * MiB);
  return { control, service, id, image };
}

function expectRefusal(err: { code: string; message: string; details?: Record<string, unknown> }, image: string, id: string | null) {
  expect(err.code).toBe('EGUARD');
  expect(err.message).toContain(`${image} is the snapshot image of /dev/vda in ${id ? `snapshot ${id}` : 'a snapshot this app did not create'}`);
  expect(err.details).toMatchObject({ image, original: '/dev/vda', snapshotId: id });
}

describe('a snapshot image given to attach, create or add (kernel-like backend)', () => {
  it('is marked in the device list with its original and snapshot; attach, create and add are refused before any call', async () => {
    const { control, service, id, image } = await kernelScene();
    const listed = new Map((await service.listDevices({})).map((d) => [d.path, d.imageOf]));
    expect(listed.get(image)).toEqual({ original: '/dev/vda', snapshotId: id });
    expect(listed.get('/dev/vda')).toBe(null);
    expect(listed.get('/dev/vdb')).toBe(null);
    const other = await service.snapshotCreate({ diffStoragePath: tmpdir(), diffStorageLimitSectors: LIMIT, devices: [] });
    const calls = control.log.length;
    expectRefusal((await rejection(service.attach({ device: image }))).toInfo(), image, id);
    expectRefusal((await rejection(service.snapshotAdd({ id: other.id, device: image }))).toInfo(), image, id);
    expectRefusal((await rejection(service.snapshotCreate({ diffStoragePath: tmpdir(), diffStorageLimitSectors: LIMIT, devices: [image] }))).toInfo(), image, id);
    expect(control.log.slice(calls)).toEqual([]); // no attach, add or create reached the module
    expect(control.devices.get(image)!.tracked).toBe(false);
    await service.attach({ device: '/dev/vdb' }).catch(() => undefined); // an ordinary device is not caught (EALREADY from the module)
    expect(control.log.slice(calls)).toEqual(['attach /dev/vdb']);
  });

  it('refuses an image that appeared after the list was loaded (the check at the call counts)', async () => {
    const { control, service, id, image } = await kernelScene(false);
    const before = new Map((await service.listDevices({})).map((d) => [d.path, d.imageOf]));
    expect(before.get(image)).toBe(null); // not an image yet: not taken
    await control.snapshotTake(id); // taken behind the list's back
    expectRefusal((await rejection(service.attach({ device: image }))).toInfo(), image, id);
    expect(control.log.filter((l) => l.startsWith('attach'))).toEqual([]);
  });

  it('refuses an image by its name when SNAPSHOTINFO cannot name it (its original detached by force)', async () => {
    const { control, service, id, image } = await kernelScene();
    await service.detach({ device: '/dev/vda', force: true }); // the image stays; CTL finds no filter on vda now
    const calls = control.log.length;
    await expect(control.snapshotInfo('/dev/vda')).rejects.toThrow();
    expectRefusal((await rejection(service.attach({ device: image }))).toInfo(), image, id);
    control.addDevice('vbsnap-8-16', 64 * MiB);
    const unknown = await rejection(service.attach({ device: '/dev/vbsnap-8-16' }));
    expect(unknown.message).toContain('/dev/vbsnap-8-16 is the snapshot image of device 8:16 in a snapshot this app did not create');
    control.addDevice('veeamblksnapimg3', 64 * MiB);
    expect((await rejection(service.snapshotAdd({ id, device: '/dev/veeamblksnapimg3' }))).code).toBe('EGUARD');
    expect(control.log.slice(calls)).toEqual([]);
  });

  it('names no snapshot of ours when another program took it', async () => {
    const control = new FakeControl('kernel');
    const service = createService(control, FAST);
    open.push(service);
    control.addDevice('vda', 64 * MiB, true);
    const theirs = await control.snapshotCreate({ diffStoragePath: tmpdir(), diffStorageLimitSectors: LIMIT, devices: [] });
    await control.snapshotAdd(theirs, '/dev/vda');
    await control.snapshotTake(theirs);
    const image = `/dev/blksnap-${FAKE_MAJOR}-0`;
    control.addDevice(`blksnap-${FAKE_MAJOR}-0`, 64 * MiB);
    expect((await service.listDevices({})).find((d) => d.path === image)?.imageOf).toEqual({ original: '/dev/vda', snapshotId: null });
    expectRefusal((await rejection(service.attach({ device: image }))).toInfo(), image, null);
  });
});

describe('a snapshot image given to attach, create or add (emulator)', () => {
  it('is refused by the service, naming image, original and snapshot, before the emulator is asked', async () => {
    const emu = await createEmulator({ stateDir: tempDir(), flavour: 'upstream', parameters: { diff_storage_minimum: 4096 } });
    emulators.push(emu);
    const service = createService(emu, { ...FAST });
    open.push(service);
    await emu.createDevice('vda', 16 * MiB);
    await emu.createDevice('vdb', 16 * MiB);
    await emu.attach('/dev/vda');
    const { id } = await service.snapshotCreate({ diffStoragePath: tempDir(), diffStorageLimitSectors: 65536, devices: ['/dev/vda'] });
    await service.snapshotTake({ id });
    const image = emu.listImages()[0]!.path;
    const other = await service.snapshotCreate({ diffStoragePath: tempDir(), diffStorageLimitSectors: 65536, devices: [] });
    // The emulator itself answers EUNSUPPORTED to an attach of an image; the service's EGUARD comes first.
    expectRefusal((await rejection(service.attach({ device: image }))).toInfo(), image, id);
    expectRefusal((await rejection(service.snapshotAdd({ id: other.id, device: image }))).toInfo(), image, id);
    expectRefusal((await rejection(service.snapshotCreate({ diffStoragePath: tempDir(), diffStorageLimitSectors: 65536, devices: [image] }))).toInfo(), image, id);
    expect((await service.listSnapshots({})).map((s) => s.id).sort()).toEqual([id, other.id].sort());
  });
});
