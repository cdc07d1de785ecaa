import { afterEach, describe, expect, it } from 'vitest';
import { API, type ApiMethod, type AppEvent, type FillSample } from '../../../shared/contract';
import { changedSince } from '../../../shared/cbt';
import type { BlksnapError } from '../../../shared/errors';
import { startHarness, type Harness } from './harness';
import { testEmulator, type TestEmulator } from './emulator';

let harness: Harness | null = null;
let emulator: TestEmulator | null = null;
afterEach(async () => {
  await harness?.close();
  await emulator?.dispose();
  harness = null;
  emulator = null;
});

function conforms<M extends ApiMethod>(method: M, result: unknown): void {
  const parsed = API[method].result.safeParse(result);
  if (!parsed.success) throw new Error(`${method} result does not match the contract: ${parsed.error.message}`);
}

const MiB = 2 ** 20;

describe('WebSocket round trip against the emulator', () => {
  it('runs the lifecycle: device, tracker, writes, snapshot, fill, CBT map, ranges, destroy', async () => {
    emulator = await testEmulator({ diff_storage_minimum: 8192 });
    harness = await startHarness(emulator.emu, { fillSampleIntervalMs: 20 });
    const client = harness.connect();
    const { api } = client;
    const fills: FillSample[] = [];
    const events: AppEvent[] = [];
    client.push.subscribe('fill', (f) => fills.push(f.sample));
    client.push.subscribe('events', (e) => events.push(...e));

    const device = await api.emuCreateDevice({ name: 'disk0', sizeBytes: 64 * MiB });
    conforms('emuCreateDevice', device);
    await api.attach({ device: device.path });
    const info = await api.cbtInfo({ device: device.path });
    conforms('cbtInfo', info);

    const { id } = await api.snapshotCreate({ diffStoragePath: emulator.storageDir, diffStorageLimitSectors: 64 * 2048, devices: [device.path] });
    await api.snapshotTake({ id });
    const [summary] = await api.listSnapshots({});
    conforms('listSnapshots', [summary]);
    expect(summary).toMatchObject({ id, taken: true, devices: [{ path: device.path }] });
    expect(summary!.devices[0]!.info?.image).not.toBe('');

    // Writes after the take: copy-on-write fills the storage.
    await api.emuWrite({ path: device.path, offsetBytes: 0, data: new Uint8Array(4 * MiB).fill(0xab) });
    await expect.poll(() => fills.some((s) => (s.usedBytes ?? 0) > 4096 * 512), { timeout: 3000 }).toBe(true);
    const history = await api.fillHistory({ id });
    conforms('fillHistory', history);

    const map = await api.cbtMap({ device: device.path });
    expect(map).toBeInstanceOf(Uint8Array);
    expect(map.byteLength).toBe(info.blockCount);

    // Take 2 switches the maps: the blocks written above read as changed since 1.
    await api.snapshotDestroy({ id });
    const second = await api.snapshotCreate({ diffStoragePath: emulator.storageDir, diffStorageLimitSectors: 64 * 2048, devices: [device.path] });
    await api.snapshotTake({ id: second.id });
    const after = await api.cbtInfo({ device: device.path });
    const map2 = await api.cbtMap({ device: device.path });
    const written = changedSince(map2, after.changesNumber - 1, after.blockSizeBytes);
    expect(written.bytes).toBe(4 * MiB);
    const csv = await api.exportChangedRanges({ device: device.path, sinceChangeNumber: after.changesNumber - 1, format: 'csv' });
    expect(csv.text).toBe(`offset_sectors,count_sectors\n0,${(4 * MiB) / 512}\n`);

    // Pushed events arrive in batches (about every 50 ms): wait for the destroy's.
    await expect.poll(() => events.some((e) => e.kind === 'snapshot' && e.message.includes('destroyed')), { timeout: 3000 }).toBe(true);
    await api.snapshotDestroy({ id: second.id });
    expect(await api.listSnapshots({})).toEqual([]);
    const devices = await api.listDevices({});
    expect(devices[0]).toMatchObject({ path: device.path, tracked: true, snapshotId: null });
  });

  it('refuses to detach a device held by a snapshot, naming it, unless forced', async () => {
    emulator = await testEmulator();
    harness = await startHarness(emulator.emu);
    const { api } = harness.connect();
    const device = await api.emuCreateDevice({ name: 'disk1', sizeBytes: 16 * MiB });
    await api.attach({ device: device.path });
    const { id } = await api.snapshotCreate({ diffStoragePath: emulator.storageDir, diffStorageLimitSectors: 2048 * 16, devices: [device.path] });
    await api.snapshotTake({ id });
    const err = (await api.detach({ device: device.path }).catch((e: unknown) => e)) as BlksnapError;
    expect(err.code).toBe('EGUARD');
    expect(err.message).toContain(id);
    await expect(api.detach({ device: device.path, force: true })).resolves.toEqual({ ok: true });
  });

  it('refuses to add the emulated device that holds the storage', async () => {
    emulator = await testEmulator();
    harness = await startHarness(emulator.emu);
    const { api } = harness.connect();
    const a = await api.emuCreateDevice({ name: 'diska', sizeBytes: 16 * MiB });
    const b = await api.emuCreateDevice({ name: 'diskb', sizeBytes: 16 * MiB });
    await api.attach({ device: a.path });
    const { id } = await api.snapshotCreate({ diffStoragePath: b.path, diffStorageLimitSectors: 32768, devices: [a.path] });
    await api.attach({ device: b.path });
    const err = (await api.snapshotAdd({ id, device: b.path }).catch((e: unknown) => e)) as BlksnapError;
    expect(err.code).toBe('EGUARD');
    expect(err.details).toMatchObject({ device: b.path, snapshotId: id });
  });

  it('runs a workload and reports it', async () => {
    emulator = await testEmulator();
    harness = await startHarness(emulator.emu);
    const { api } = harness.connect();
    const device = await api.emuCreateDevice({ name: 'disk2', sizeBytes: 16 * MiB });
    const status = await api.workloadStart({ device: device.path, pattern: 'uniform', blockSizeBytes: 65536, rateBytesPerSec: 0, durationMs: 100, seed: 7 });
    conforms('workloadStart', status);
    await expect.poll(async () => (await api.workloadList({}))[0]?.running, { timeout: 3000 }).toBe(false);
    const [done] = await api.workloadList({});
    expect(done!.writes).toBeGreaterThan(0);
    expect(done!.error).toBeNull();
  });
});
