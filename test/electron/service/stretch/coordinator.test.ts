// The v1 stretch loop through the service on the emulator's v1 flavour: low_free_space events
// answered with storage files until the user's limit, a warning before the overflow, and the
// files deleted at destroy.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createEmulator, type Emulator } from '../../../../electron/control/emulator';
import { createService, type BlksnapService } from '../../../../electron/service';
import { attachStretchCoordinator, EmulatorRangeAllocator, type StretchCoordinator } from '../../../../electron/service/stretch';

const MiB = 2 ** 20;
const PORTION_SECTORS = 8192; // diff_storage_minimum: 4 MiB portions

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function setUp(): Promise<{ emu: Emulator; service: BlksnapService; stretch: StretchCoordinator; storageDir: string }> {
  const stateDir = mkdtempSync(join(tmpdir(), 'stretch-coord-'));
  const storageDir = mkdtempSync(join(tmpdir(), 'stretch-files-'));
  const emu = await createEmulator({ stateDir, flavour: 'v1', clientGuards: true, parameters: { diff_storage_minimum: PORTION_SECTORS } });
  const service = createService(emu, { dataDir: stateDir, pollIntervalMs: 100, eventWaitTicks: 5 });
  const stretch = await attachStretchCoordinator(service, { allocator: new EmulatorRangeAllocator() });
  cleanup.push(async () => {
    await stretch.close();
    await service.close();
    await emu.close();
    rmSync(stateDir, { recursive: true, force: true });
    rmSync(storageDir, { recursive: true, force: true });
  });
  await emu.createDevice('disk1', 64 * MiB);
  return { emu, service, stretch, storageDir };
}

const storageFiles = (dir: string) => readdirSync(dir).filter((f) => f.startsWith('diff_storage#')).sort();

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('the v1 stretch coordinator', () => {
  it('refuses a storage directory the allocator cannot use, before the module has a snapshot', async () => {
    const { service, emu, storageDir } = await setUp();
    await expect(service.snapshotCreate({ devices: ['/dev/disk1'], diffStoragePath: join(storageDir, 'missing'), diffStorageLimitSectors: PORTION_SECTORS }))
      .rejects.toMatchObject({ message: /missing/ });
    expect(await emu.snapshotCollect()).toEqual([]);
  });

  it('warns that nothing will answer the module when a v1 snapshot has no storage directory', async () => {
    const { service } = await setUp();
    await service.snapshotCreate({ devices: ['/dev/disk1'], diffStoragePath: null, diffStorageLimitSectors: 0 });
    const events = await service.eventHistory({});
    expect(events.some((e) => e.kind === 'stretch' && e.level === 'warning' && /without a storage directory/.test(e.message))).toBe(true);
  });

  it('answers the creation-time request before take, grows with the writes, warns at the limit before the overflow, and deletes its files at destroy', async () => {
    const { service, emu, stretch, storageDir } = await setUp();
    const limitSectors = 3 * PORTION_SECTORS; // three 4 MiB files at most
    const { id } = await service.snapshotCreate({ devices: ['/dev/disk1'], diffStoragePath: storageDir, diffStorageLimitSectors: limitSectors });
    await service.snapshotTake({ id });
    expect(storageFiles(storageDir)).toEqual(['diff_storage#0']); // appended before TAKE, or take would have failed
    // The module has no limit on v1: the gauge's limit is the stretch service's.
    await until('a fill sample with the stretch limit', async () => (await service.listSnapshots({}))[0]?.usage.limitSectors === limitSectors);

    // 1 MiB writes all over the device at 20 MiB/s: every chunk copied, far more than 12 MiB of
    // storage. (Unpaced writes would overflow before any answer, as on the real module.)
    // A write also waits while the module's request is open (free space at or below its threshold,
    // minimum/2) until the answer came or the limit was reached: how fast the answer comes depends on
    // the machine's load, which files the module ends up with must not.
    const caughtUp = async () => {
      const u = await emu.diffStorageUsage(id);
      const free = (u.capacitySectors ?? 0) - (u.filledSectors ?? 0);
      return u.overflowed === true || stretch.get(id)?.status().limitReached === true || free > PORTION_SECTORS / 2;
    };
    for (let offset = 0; offset < 32 * MiB; offset += MiB) {
      await emu.write('/dev/disk1', offset, new Uint8Array(MiB).fill(7));
      await new Promise((r) => setTimeout(r, 50));
      await until('the stretch service to answer the open request', caughtUp);
    }
    await until('the corrupted event', async () => (await service.eventHistory({})).some((e) => e.kind === 'corrupted'));

    expect(storageFiles(storageDir)).toEqual(['diff_storage#0', 'diff_storage#1', 'diff_storage#2']);
    expect(stretch.get(id)?.status()).toMatchObject({ allocatedBytes: limitSectors * 512, limitReached: true });
    const events = await service.eventHistory({});
    const seq = (pred: (e: (typeof events)[number]) => boolean) => events.find(pred)?.seq ?? Infinity;
    const limitWarning = seq((e) => e.kind === 'stretch' && e.level === 'warning' && /limit reached/.test(e.message));
    expect(limitWarning).toBeLessThan(seq((e) => e.kind === 'corrupted'));
    expect(events.filter((e) => e.kind === 'stretch' && /^appended/.test(e.message))).toHaveLength(3);

    await service.snapshotDestroy({ id });
    await until('the files to be deleted', () => storageFiles(storageDir).length === 0);
  });
});
