// What a first-time admin reads from the service: event texts that are sentences with sizes for
// people, guard refusals without spec references, the CBT wrap warning, and what the CBT map
// shows (as of which take, and what was written since).
import { describe, expect, it } from 'vitest';
import type { BlksnapService } from '../../../electron/service';
import { BlksnapError } from '../../../shared/errors';
import { FakeControl } from './fakeControl';
import { sleep, until } from './parts';
import { startedServices } from './started';

const { start } = startedServices();

async function taken(control: FakeControl, service: BlksnapService, changesNumber = 0) {
  control.addDevice('vda', 64 * 2 ** 20, true).changesNumber = changesNumber;
  const { id } = await service.snapshotCreate({ diffStoragePath: '/tmp/diff', diffStorageLimitSectors: 2097152, devices: ['/dev/vda'] });
  await service.snapshotTake({ id });
  return id;
}

describe('event texts', () => {
  it('say no_space and low_free_space in sentences with sizes, without promising an overflow the gauge does not show', async () => {
    const control = new FakeControl();
    const service = start(control);
    const id = await taken(control, service);
    control.pushEvent(id, { code: 1, kind: 'no_space', device: null, errCode: null, requestedSectors: 2_097_152 });
    control.pushEvent(id, { code: 2, kind: 'low_free_space', device: null, errCode: null, requestedSectors: 2_097_152 });
    await until(async () => (await service.eventHistory({})).filter((e) => e.source === 'module').length === 2);
    const [noSpace, low] = (await service.eventHistory({})).filter((e) => e.source === 'module');
    expect(noSpace!.message).toBe(`Snapshot ${id}: the difference storage has reached its limit and will not grow any more (1 GiB allocated so far). `
      + 'Copies go on into what is left of it (up to half of diff_storage_minimum, 512 MiB by default); when that is full the snapshot overflows and is lost.');
    expect(low!.message).toBe(`Snapshot ${id}: the module asks for 1 GiB more difference storage.`);
  });

  it('give sizes for people in workload and tracker events, and every app message ends as a sentence', async () => {
    const control = new FakeControl();
    const service = start(control);
    control.addDevice('vdb', 64 * 2 ** 20, false);
    await service.attach({ device: '/dev/vdb' });
    await service.detach({ device: '/dev/vdb' });
    const messages = (await service.eventHistory({})).filter((e) => e.source === 'app').map((e) => e.message);
    expect(messages).toContain('Tracker attached to /dev/vdb: its CBT map starts at change number 0.');
    expect(messages).toContain('Tracker detached from /dev/vdb: its CBT map is gone, so the next backup of it is a full one.');
    for (const m of messages) expect(m).not.toMatch(/\d{6,} bytes|\(spec /);
  });
});

describe('guard refusals', () => {
  it('explain themselves without pointing at the spec', async () => {
    const control = new FakeControl();
    const service = start(control);
    await taken(control, service);
    const err = await service.detach({ device: '/dev/vda' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BlksnapError);
    expect((err as BlksnapError).message).toMatch(/silently diverges from the device\. Destroy the snapshot first, or detach with force\.$/);
    expect((err as BlksnapError).message).not.toMatch(/spec/);
  });
});

describe('the CBT map and the wrap ahead', () => {
  it('warns as an event once the change number reaches 250, saying how many takes are left', async () => {
    const control = new FakeControl();
    const service = start(control);
    await taken(control, service, 249);
    await until(async () => (await service.eventHistory({})).some((e) => e.kind === 'cbt_wrap'));
    const warning = (await service.eventHistory({})).find((e) => e.kind === 'cbt_wrap')!;
    expect(warning).toMatchObject({ level: 'warning', device: '/dev/vda' });
    expect(warning.message).toBe('/dev/vda: Change number 250: take 5 from now wraps the change number past 255 and resets the CBT (a new generation), so the backup after it must be a full one; 4 more takes are left for incremental backups.');
    await sleep(60);
    expect((await service.eventHistory({})).filter((e) => e.kind === 'cbt_wrap')).toHaveLength(1);
  });

  it('says when the map was last switched by a take and what has been written since (emulator)', async () => {
    const control = new FakeControl();
    const service = start(control);
    control.addDevice('vda', 64 * 2 ** 20, true);
    await until(async () => (await service.listDevices({})).some((d) => d.cbt !== null));
    const before = (await service.listDevices({})).find((d) => d.path === '/dev/vda')!;
    expect(before.lastTakeAtMs).toBeNull();
    control.pending = { blocks: 3, bytes: 3 * 65536 };
    const since = Date.now();
    const { id } = await service.snapshotCreate({ diffStoragePath: '/tmp/diff', diffStorageLimitSectors: 2097152, devices: ['/dev/vda'] });
    await service.snapshotTake({ id });
    const after = (await service.listDevices({})).find((d) => d.path === '/dev/vda')!;
    expect(after.cbt?.changesNumber).toBe(1);
    expect(after.lastTakeAtMs).toBeGreaterThanOrEqual(since);
    expect(after.pendingChange).toEqual({ blocks: 3, bytes: 196608 });
  });
});
