import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import type { BlksnapService } from '../../../electron/service';
import type { AppEvent, DeviceSummary } from '../../../shared/contract';
import { rejection, sleep, until } from './parts';
import { FAKE_MAJOR, FakeControl } from './fakeControl';
import { startedServices } from './started';

const { start, tempDir } = startedServices();

async function takenSnapshot(control: FakeControl, service: BlksnapService) {
  control.addDevice('vda', 64 * 2 ** 20, true);
  control.addDevice('vdb', 64 * 2 ** 20, true);
  const { id } = await service.snapshotCreate({ diffStoragePath: tmpdir(), diffStorageLimitSectors: 2097152, devices: ['/dev/vda'] });
  await service.snapshotTake({ id });
  return id;
}

describe('guards', () => {
  it('refuses to detach a device a snapshot holds, naming the snapshot', async () => {
    const control = new FakeControl();
    const service = start(control);
    const id = await takenSnapshot(control, service);
    const err = await rejection(service.detach({ device: '/dev/vda' }));
    expect(err.code).toBe('EGUARD');
    expect(err.message).toContain(id);
    expect(err.details).toMatchObject({ device: '/dev/vda', snapshotId: id, taken: true });
    expect(control.log).not.toContain('detach /dev/vda');
  });

  it('detaches a held device when forced, and says so in the event stream', async () => {
    const control = new FakeControl();
    const service = start(control);
    await takenSnapshot(control, service);
    await expect(service.detach({ device: '/dev/vda', force: true })).resolves.toEqual({ ok: true });
    expect(control.log).toContain('detach /dev/vda');
    const events = await service.eventHistory({});
    expect(events.some((e) => e.kind === 'guard' && e.level === 'warning')).toBe(true);
  });

  it('detaches a device no snapshot holds', async () => {
    const control = new FakeControl();
    const service = start(control);
    await takenSnapshot(control, service);
    await expect(service.detach({ device: '/dev/vdb' })).resolves.toEqual({ ok: true });
  });

  it('refuses to add the device that holds the difference storage, with the reason', async () => {
    const control = new FakeControl();
    const service = start(control);
    control.addDevice('vda', 64 * 2 ** 20, true);
    // Not tracked: the storage policy takes no tracked device as storage.
    const vdb = control.addDevice('vdb', 64 * 2 ** 20, false);
    const err = await rejection(service.snapshotCreate({ diffStoragePath: '/dev/vdb', diffStorageLimitSectors: 0, devices: ['/dev/vda', '/dev/vdb'] }));
    expect(err.code).toBe('EGUARD');
    expect(err.message).toMatch(/holds the difference storage/);
    expect(control.snapshots.size).toBe(0);

    const { id } = await service.snapshotCreate({ diffStoragePath: '/dev/vdb', diffStorageLimitSectors: 0, devices: ['/dev/vda'] });
    vdb.tracked = true; // attached after the create
    const add = await rejection(service.snapshotAdd({ id, device: '/dev/vdb' }));
    expect(add.code).toBe('EGUARD');
    expect(add.details).toMatchObject({ snapshotId: id, device: '/dev/vdb' });
  });

  it('on v1 lets the stretch directory lie on a snapshotted device: the module does not copy its own writes (spec §6.4)', async () => {
    const control = new FakeControl();
    Object.assign(control.info, { dialect: 'v1', capabilities: { ...control.info.capabilities, addAfterCreate: false } });
    const service = start(control);
    control.addDevice('vdb', 64 * 2 ** 20, true);
    // The stretch directory is a directory (the storage policy); here it is the host's tmpdir, not on vdb.
    await expect(service.snapshotCreate({ diffStoragePath: tmpdir(), diffStorageLimitSectors: 0, devices: ['/dev/vdb'] })).resolves.toMatchObject({ id: expect.any(String) });
  });

  it('answers emulator-only methods with EUNSUPPORTED on the kernel backend', async () => {
    const service = start(new FakeControl('kernel'));
    for (const call of [
      () => service.emuCreateDevice({ name: 'x', sizeBytes: 512 }),
      () => service.emuWrite({ path: '/dev/x', offsetBytes: 0, data: new Uint8Array(1) }),
      () => service.workloadList({}),
    ]) {
      expect((await rejection(call())).code).toBe('EUNSUPPORTED');
    }
  });
});

describe('polling and pushes', () => {
  it('pushes devices only when something changed', async () => {
    const control = new FakeControl();
    control.addDevice('vda', 64 * 2 ** 20);
    // Poll rounds counted, so "nothing more was pushed" is checked after rounds that really ran
    // (a fixed sleep on a loaded machine may have seen none).
    let polls = 0;
    const listDevices = control.listDevices.bind(control);
    control.listDevices = () => { polls += 1; return listDevices(); };
    const rounds = async (n: number) => { const from = polls; await until(() => polls >= from + n); await sleep(20); };
    const service = start(control);
    const pushes: DeviceSummary[][] = [];
    service.subscribe('devices', (d) => pushes.push(d));
    await until(() => pushes.length >= 1);
    await rounds(3); // several poll rounds with nothing changing
    expect(pushes).toHaveLength(1);
    await service.attach({ device: '/dev/vda' });
    await until(() => pushes.length >= 2);
    await rounds(3);
    expect(pushes).toHaveLength(2);
    expect(pushes[1]![0]!.tracked).toBe(true);
    expect(pushes[1]![0]!.cbt?.blockCount).toBe(1024);
  });

  it('batches events into one push per interval', async () => {
    const control = new FakeControl();
    const service = start(control, { pushBatchMs: 40 });
    const batches: AppEvent[][] = [];
    service.subscribe('events', (e) => batches.push(e));
    for (let i = 0; i < 100; i++) service.emitAppEvent({ source: 'app', level: 'info', kind: 'test', message: `e${i}` });
    await until(() => batches.flat().length === 100);
    expect(batches.length).toBeLessThanOrEqual(2);
  });

  it('keeps a bounded event history, newest last', async () => {
    const service = start(new FakeControl(), { eventHistoryLength: 50 });
    for (let i = 0; i < 120; i++) service.emitAppEvent({ source: 'app', level: 'info', kind: 'test', message: `e${i}` });
    const all = await service.eventHistory({});
    expect(all).toHaveLength(50);
    expect(all.at(-1)!.message).toBe('e119');
    expect(all[0]!.message).toBe('e70');
    expect((await service.eventHistory({ limit: 3 })).map((e) => e.message)).toEqual(['e117', 'e118', 'e119']);
  });
});

describe('difference-storage fill', () => {
  it('keeps a bounded history per snapshot', async () => {
    const control = new FakeControl();
    let samples = 0;
    const usage = control.diffStorageUsage.bind(control);
    control.diffStorageUsage = (sid: string) => { samples += 1; return usage(sid); };
    const service = start(control, { fillHistoryLength: 5 });
    const id = await takenSnapshot(control, service);
    await until(async () => (await service.fillHistory({ id })).length >= 5);
    // Five more samples taken (counted, not a fixed sleep that a loaded machine may spend on none).
    const from = samples;
    await until(() => samples >= from + 5);
    expect(await service.fillHistory({ id })).toHaveLength(5);
  });

  it('warns once when fill passes the percentage, with the time-to-full estimate', async () => {
    const control = new FakeControl();
    const service = start(control, { warnFillPercent: 80, warnTimeToFullSec: 0 });
    const id = await takenSnapshot(control, service);
    const usage = control.snapshots.get(id)!.usage;
    usage.capacitySectors = 1000_000;
    usage.limitSectors = 1000_000;
    for (let filled = 100_000; filled <= 900_000; filled += 100_000) {
      usage.filledSectors = filled;
      await sleep(25);
    }
    // The warning text follows the last sample: wait for one taken at 90% (on a loaded machine the
    // 80% sample may still be the last one when the loop ends).
    await until(async () => /90% used/.test((await service.listSnapshots({})).find((s) => s.id === id)?.warning ?? ''));
    const summary = (await service.listSnapshots({})).find((s) => s.id === id)!;
    expect(summary.warning).toMatch(/90% used/);
    expect(summary.timeToFullSec).toBeGreaterThan(0);
    await sleep(100);
    const warnings = (await service.eventHistory({})).filter((e) => e.kind === 'fill');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.level).toBe('warning');
  });

  it('keeps unknown numbers unknown on the kernel backend', async () => {
    const control = new FakeControl('kernel');
    const service = start(control);
    const id = await takenSnapshot(control, service);
    const usage = control.snapshots.get(id)!.usage;
    Object.assign(usage, { filledSectors: null, requestedSectors: null, capacitySectors: null, limitSectors: null, overflowed: null, source: 'kernel' });
    await until(async () => (await service.fillHistory({ id })).at(-1)?.usedBytes === null);
    const last = (await service.fillHistory({ id })).at(-1)!;
    expect(last.usedBytes).toBeNull();
    expect(last.allocatedBytes).toBeNull(); // directory storage: no file size to report
    expect(last.limitBytes).toBe(2097152 * 512); // the limit this app asked for
  });
});

describe('event pump', () => {
  it('turns module events into app events and forwards them to listeners', async () => {
    const control = new FakeControl();
    const service = start(control);
    const seen: string[] = [];
    service.addLifecycleListener({ moduleEvent: (e) => void seen.push(e.kind) });
    const id = await takenSnapshot(control, service);
    control.pushEvent(id, { code: 0, kind: 'corrupted', device: { major: FAKE_MAJOR, minor: 0 }, errCode: 28, requestedSectors: null });
    await until(() => seen.length === 1);
    const event = (await service.eventHistory({})).find((e) => e.source === 'module')!;
    expect(event).toMatchObject({ kind: 'corrupted', level: 'error', snapshotId: id, device: '/dev/vda' });
    expect(event.message).toMatch(/ENOSPC/);
    await until(async () => (await service.listSnapshots({}))[0]!.corrupted);
  });

  it('stops the pump before SNAPSHOT_DESTROY', async () => {
    const control = new FakeControl();
    control.waitSliceMs = 200;
    const service = start(control);
    const id = await takenSnapshot(control, service);
    await until(() => control.waitsInProgress > 0);
    await service.snapshotDestroy({ id });
    expect(control.log).toContain(`destroy ${id} waits=0`);
    await sleep(50);
    expect(control.waitsInProgress).toBe(0);
  });

  it('serves waitEvent from the pumped queue, null on timeout, ESRCH for unknown ids', async () => {
    const control = new FakeControl();
    const service = start(control);
    const id = await takenSnapshot(control, service);
    expect(await service.waitEvent({ id, timeoutTicks: 5 })).toBeNull();
    const waiting = service.waitEvent({ id, timeoutTicks: 250 });
    control.pushEvent(id, { code: 1, kind: 'no_space', device: null, errCode: null, requestedSectors: 123 });
    expect(await waiting).toMatchObject({ kind: 'no_space', requestedSectors: 123 });
    const err = await rejection(service.waitEvent({ id: '11111111-2222-4333-8444-555555555555', timeoutTicks: 0 }));
    expect(err.code).toBe('ESRCH');
  });
});

describe('changed ranges export', () => {
  it('merges blocks newer than N into sector ranges, as JSON and CSV', async () => {
    const control = new FakeControl();
    const device = control.addDevice('vda', 1024 * 65536 - 4096, true);
    device.map.set([2, 2, 0, 3, 1], 0);
    device.map[1023] = 5;
    const service = start(control);
    const json = await service.exportChangedRanges({ device: '/dev/vda', sinceChangeNumber: 1, format: 'json' });
    expect(json.rangeCount).toBe(3);
    const parsed = JSON.parse(json.text) as { ranges: unknown[]; bytes: number };
    expect(parsed.ranges).toEqual([
      { offsetSectors: 0, countSectors: 256 },
      { offsetSectors: 384, countSectors: 128 },
      { offsetSectors: 1023 * 128, countSectors: 120 }, // the last block is cut at the capacity
    ]);
    expect(json.bytes).toBe((256 + 128 + 120) * 512);
    const csv = await service.exportChangedRanges({ device: '/dev/vda', sinceChangeNumber: 2, format: 'csv' });
    expect(csv.text).toBe(`offset_sectors,count_sectors\n384,128\n${1023 * 128},120\n`);
  });
});

describe('registry', () => {
  it('survives a restart and forgets snapshots that no longer exist', async () => {
    const control = new FakeControl();
    const dataDir = tempDir();
    const first = start(control, { dataDir });
    const id = await takenSnapshot(control, first);
    await first.close();

    const second = start(control, { dataDir });
    const [summary] = await second.listSnapshots({});
    expect(summary).toMatchObject({ id, taken: true, diffStoragePath: tmpdir() });
    expect(summary!.devices.map((d) => d.path)).toEqual(['/dev/vda']);
    expect((await rejection(second.detach({ device: '/dev/vda' }))).code).toBe('EGUARD');

    control.snapshots.clear();
    control.devices.get('/dev/vda')!.snapshot = null;
    await second.refresh();
    expect(await second.listSnapshots({})).toEqual([]);
    await expect(second.detach({ device: '/dev/vda' })).resolves.toEqual({ ok: true });
  });
});

describe('snapshots another program created', () => {
  it('are marked createdOutside; the devices in a snapshot none of ours holds are the only such snapshot\'s', async () => {
    const control = new FakeControl();
    const service = start(control);
    const ours = await takenSnapshot(control, service);
    control.addDevice('vdc', 64 * 2 ** 20, true);
    // Another program (a backup agent, the blksnap tool) talks to the module directly.
    const theirs = await control.snapshotCreate({ diffStoragePath: tmpdir(), diffStorageLimitSectors: 2097152, devices: [] });
    await control.snapshotAdd(theirs, '/dev/vdc');
    await control.snapshotTake(theirs);
    await service.refresh();
    const byId = new Map((await service.listSnapshots({})).map((x) => [x.id, x]));
    expect(byId.get(ours)).toMatchObject({ createdOutside: false, taken: true, devices: [{ path: '/dev/vda' }] });
    expect(byId.get(theirs)).toMatchObject({ createdOutside: true, taken: true, createdAtMs: null, diffStoragePath: null });
    expect(byId.get(theirs)!.devices.map((d) => d.path)).toEqual(['/dev/vdc']);
    expect(byId.get(theirs)!.devices[0]!.info?.image).not.toBe('');

    // With two of them, which device is whose cannot be told: none is listed.
    await control.snapshotCreate({ diffStoragePath: tmpdir(), diffStorageLimitSectors: 2097152, devices: [] });
    await service.refresh();
    const outside = (await service.listSnapshots({})).filter((x) => x.createdOutside);
    expect(outside).toHaveLength(2);
    expect(outside.flatMap((x) => x.devices)).toEqual([]);
    expect(outside.map((x) => x.taken)).toEqual([null, null]);
  });
});

describe('doctor and support bundle', () => {
  it('reports the kernel release and the backend, and writes a support bundle', async () => {
    const dataDir = tempDir();
    const service = start(new FakeControl(), { dataDir });
    const report = await service.doctor({});
    expect(report.kernelRelease).toMatch(/\d+\.\d+/);
    expect(report.backend.kind).toBe('emulator');
    expect(report.modules.some((m) => m.name === 'emulator')).toBe(true);
    const { path } = await service.supportBundle({});
    expect(path.startsWith(dataDir)).toBe(true);
    const bundle = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    expect(Object.keys(bundle)).toEqual(expect.arrayContaining(['doctor', 'backend', 'devices', 'snapshots', 'events', 'registry']));
  });

  it('uses an injected doctor provider', async () => {
    const service = start(new FakeControl(), {
      doctor: async (control) => ({ kernelRelease: 'injected', modules: [], nodes: [], dialect: null, reasons: [], fixes: [], backend: control.info }),
    });
    expect((await service.doctor({})).kernelRelease).toBe('injected');
  });
});

describe('destroy while polling', () => {
  it('never restarts the pump between stopping it and SNAPSHOT_DESTROY', async () => {
    const control = new FakeControl();
    control.waitSliceMs = 5;
    const service = start(control, { pollIntervalMs: 1 });
    const id = await takenSnapshot(control, service);
    const destroy = control.snapshotDestroy.bind(control);
    control.snapshotDestroy = async (sid: string) => {
      await sleep(50); // polls run meanwhile
      return destroy(sid);
    };
    const pumpWaitsDuringDestroy: number[] = [];
    const timer = setInterval(() => pumpWaitsDuringDestroy.push(control.waitsInProgress), 2);
    await service.snapshotDestroy({ id });
    clearInterval(timer);
    expect(control.log).toContain(`destroy ${id} waits=0`);
    expect(Math.max(...pumpWaitsDuringDestroy)).toBe(0);
  });

  it('destroys a snapshot whose device add fails, and names it in the error (a failed create leaves nothing)', async () => {
    const control = new FakeControl();
    const service = start(control);
    control.addDevice('vda', 2 ** 20, false); // not tracked: SNAPSHOTADD answers ENOENT
    const err = await rejection(service.snapshotCreate({ diffStoragePath: tmpdir(), diffStorageLimitSectors: 0, devices: ['/dev/vda'] }));
    expect(err.code).toBe('ENOENT');
    expect([...control.snapshots.keys()]).toEqual([]);
    expect(err.details?.snapshotId).toMatch(/^[0-9a-f-]{36}$/);
    expect(err.message).toContain(`snapshot ${String(err.details?.snapshotId)} was created, then destroyed again`);
  });

  it('refuses another caller\'s take or add while a create is still adding its devices (the create may destroy it again)', async () => {
    const control = new FakeControl();
    const service = start(control);
    control.addDevice('vda', 2 ** 20, false); // not tracked: the create's add fails
    control.addDevice('vdb', 2 ** 20, true);
    const add = control.snapshotAdd.bind(control);
    const meanwhile: Promise<unknown>[] = [];
    control.snapshotAdd = async (sid: string, device: string) => {
      meanwhile.push(rejection(service.snapshotTake({ id: sid })), rejection(service.snapshotAdd({ id: sid, device: '/dev/vdb' })));
      await sleep(20);
      return add(sid, device);
    };
    const err = await rejection(service.snapshotCreate({ diffStoragePath: tmpdir(), diffStorageLimitSectors: 0, devices: ['/dev/vda'] }));
    expect(err.code).toBe('ENOENT');
    expect(meanwhile).toHaveLength(2);
    for (const refused of (await Promise.all(meanwhile)) as Array<{ code: string; message: string }>) {
      expect(refused).toMatchObject({ code: 'EGUARD', message: expect.stringMatching(/still being created/) });
    }
    expect(control.log.some((l) => l.startsWith('take'))).toBe(false);
    expect([...control.snapshots.keys()]).toEqual([]);
  });
});

describe('kernel HZ', () => {
  it('reads CONFIG_HZ from a kernel config', async () => {
    const { parseConfigHz } = await import('../../../electron/service/hz');
    expect(parseConfigHz('# CONFIG_HZ_100 is not set\nCONFIG_HZ_250=y\nCONFIG_HZ=250\n')).toBe(250);
    expect(parseConfigHz('CONFIG_HZ=1000')).toBe(1000);
    expect(parseConfigHz('CONFIG_HZ_PERIODIC=y')).toBeNull();
  });
});

describe('waitEvent callers that go away', () => {
  it('stops waiting when the caller is gone, so the next event is not swallowed', async () => {
    const control = new FakeControl();
    const service = start(control);
    const id = await takenSnapshot(control, service);
    const gone = new AbortController();
    const abandoned = (service.waitEvent as (a: { id: string; timeoutTicks: number }, c: { signal: AbortSignal }) => Promise<unknown>)(
      { id, timeoutTicks: 250_000 }, { signal: gone.signal });
    await sleep(20);
    gone.abort();
    expect(await abandoned).toBeNull();
    control.pushEvent(id, { code: 1, kind: 'no_space', device: null, errCode: null, requestedSectors: 9 });
    expect(await service.waitEvent({ id, timeoutTicks: 2500 })).toMatchObject({ kind: 'no_space', requestedSectors: 9 });
  });
});
