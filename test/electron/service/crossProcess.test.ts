// What a later process needs of an earlier one (issue 19, items 3-5 and 7): two services, one
// after the other, on the same state directory and the same v1 module (the emulator's v1
// flavour without client guards, i.e. answering as the module does), as two blksnapctl runs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createEmulator, type Emulator } from '../../../electron/control/emulator';
import { createService, type BlksnapService } from '../../../electron/service';
import { attachStretchCoordinator, EmulatorRangeAllocator, type StretchCoordinator } from '../../../electron/service/stretch';

const MiB = 2 ** 20;
const PORTION_SECTORS = 2048; // diff_storage_minimum: 1 MiB portions

let stateDir = '';
let storageDir = '';
let open: { emu: Emulator; service: BlksnapService; stretch: StretchCoordinator | null } | null = null;

afterEach(async () => {
  await closeRun();
  rmSync(stateDir, { recursive: true, force: true });
  rmSync(storageDir, { recursive: true, force: true });
});

/** One "process": the module's state on disk, a fresh service (and stretch coordinator) over it. */
async function run(withStretch: boolean): Promise<{ emu: Emulator; service: BlksnapService }> {
  await closeRun();
  const emu = await createEmulator({ stateDir, flavour: 'v1', clientGuards: false, parameters: { diff_storage_minimum: PORTION_SECTORS } });
  const service = createService(emu, { dataDir: stateDir, pollIntervalMs: 50, eventWaitTicks: 5 });
  const stretch = withStretch ? await attachStretchCoordinator(service, { allocator: new EmulatorRangeAllocator() }) : null;
  open = { emu, service, stretch };
  return { emu, service };
}

async function closeRun(): Promise<void> {
  if (!open) return;
  await open.stretch?.close();
  await open.service.close();
  await open.emu.close();
  open = null;
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function fresh(): void {
  stateDir = mkdtempSync(join(tmpdir(), 'cross-process-state-'));
  storageDir = mkdtempSync(join(tmpdir(), 'cross-process-files-'));
}

describe('state a later process needs (v1)', () => {
  it('refuses TAKE without storage in a later process too, and the module keeps the snapshot (item 7)', async () => {
    fresh();
    const first = await run(false);
    await first.emu.createDevice('disk1', 16 * MiB);
    const { id } = await first.service.snapshotCreate({ devices: ['/dev/disk1'], diffStoragePath: null, diffStorageLimitSectors: 0 });
    const second = await run(false);
    await expect(second.service.snapshotTake({ id })).rejects.toMatchObject({ code: 'EGUARD', message: /no difference storage yet/ });
    expect(await second.emu.snapshotCollect()).toEqual([id]);
  });

  it('a later process knows the storage an earlier one appended: TAKE goes through', async () => {
    fresh();
    const first = await run(true);
    await first.emu.createDevice('disk1', 16 * MiB);
    const { id } = await first.service.snapshotCreate({ devices: ['/dev/disk1'], diffStoragePath: storageDir, diffStorageLimitSectors: 4 * PORTION_SECTORS });
    await until('the first portion', async () => ((await first.service.listSnapshots({}))[0]?.usage.capacitySectors ?? 0) > 0);
    const second = await run(false);
    await second.service.snapshotTake({ id });
    expect((await second.service.listSnapshots({}))[0]?.taken).toBe(true);
  });

  it('hands a later run the events an earlier one drained, reports the overflow there, and resumes stretching with the limit (items 3-5)', async () => {
    fresh();
    const first = await run(true);
    await first.emu.createDevice('disk1', 16 * MiB);
    const limitSectors = 2 * PORTION_SECTORS;
    const { id } = await first.service.snapshotCreate({ devices: ['/dev/disk1'], diffStoragePath: storageDir, diffStorageLimitSectors: limitSectors });
    await first.service.snapshotTake({ id });
    // Overflow: 2 MiB of storage at most, 8 MiB of writes to copy.
    for (let offset = 0; offset < 8 * MiB; offset += MiB) {
      await first.emu.write('/dev/disk1', offset, new Uint8Array(MiB).fill(3));
      await new Promise((r) => setTimeout(r, 30));
    }
    await until('the corrupted event in the first run', async () => (await first.service.eventHistory({})).some((e) => e.kind === 'corrupted'));

    // The next run: nobody read the events; they come out oldest first, ending with corrupted.
    const second = await run(true);
    const kinds: string[] = [];
    for (;;) {
      const event = await second.service.waitEvent({ id, timeoutTicks: 0 });
      if (!event) break;
      kinds.push(event.kind);
    }
    expect(kinds[0]).toBe('low_free_space');
    expect(kinds.at(-1)).toBe('corrupted');
    // The overflow is reported in this run too: v1 has no SNAPSHOTINFO, only that event.
    const disk = (await second.service.listDevices({})).find((d) => d.path === '/dev/disk1');
    expect(disk?.snapshot?.errorCode).toBe(-28);
    expect((await second.service.listSnapshots({}))[0]?.corrupted).toBe(true);
    // The stretch service resumed with the limit asked at create, not 0.
    const resumed = (await second.service.eventHistory({})).find((e) => e.kind === 'stretch' && /resumed with/.test(e.message));
    expect(resumed?.message).toMatch(/limit 2 MiB/);
    // A third run gets nothing twice.
    const third = await run(false);
    expect(await third.service.waitEvent({ id, timeoutTicks: 0 })).toBeNull();
  });

  it('reports an overflow no run drained: the run that answers snapshot info takes the module\'s queue first (item 5)', async () => {
    fresh();
    const first = await run(true);
    await first.emu.createDevice('disk1', 16 * MiB);
    const { id } = await first.service.snapshotCreate({ devices: ['/dev/disk1'], diffStoragePath: storageDir, diffStorageLimitSectors: 2 * PORTION_SECTORS });
    await first.service.snapshotTake({ id });
    await closeRun();
    // No service runs while the original is written past the storage.
    const emu = await createEmulator({ stateDir, flavour: 'v1', parameters: { diff_storage_minimum: PORTION_SECTORS } });
    for (let offset = 0; offset < 8 * MiB; offset += MiB) await emu.write('/dev/disk1', offset, new Uint8Array(MiB).fill(5));
    await emu.close();
    const second = await run(false);
    const disk = (await second.service.listDevices({})).find((d) => d.path === '/dev/disk1');
    expect(disk?.snapshot?.errorCode).toBe(-28);
  });
});
