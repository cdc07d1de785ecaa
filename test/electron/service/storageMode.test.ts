// The snapshot summary carries how the module holds the storage (path kinds or ranges), so the
// renderer can tell where filling starts (shared/limits.ts storageStartBytes): checked against
// what the emulator of each dialect really reports as filled right after create.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createEmulator, type Emulator, type Flavour } from '../../../electron/control/emulator';
import { createService, type BlksnapService } from '../../../electron/service';
import { REGISTRY_FILE } from '../../../electron/service/registry';
import type { SnapshotSummary } from '../../../shared/contract';
import { storageStartBytes } from '../../../shared/limits';
import type { SnapshotCreateRequest } from '../../../shared/schemas';
import { until } from './parts';

const MiB = 2 ** 20;
const dirs: string[] = [];
const open: Array<{ emu: Emulator; service: BlksnapService }> = [];

afterEach(async () => {
  for (const { emu, service } of open.splice(0)) {
    await service.close();
    await emu.close();
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'blksnap-storage-mode-'));
  dirs.push(d);
  return d;
}

async function start(flavour: Flavour, stateDir = tempDir()) {
  const emu = await createEmulator({ stateDir, flavour, parameters: { diff_storage_minimum: 4096 } });
  const service = createService(emu, { dataDir: stateDir, pollIntervalMs: 20, fillSampleIntervalMs: 10 });
  open.push({ emu, service });
  await emu.createDevice('disk1', 16 * MiB);
  await emu.createDevice('disk2', 16 * MiB);
  if (flavour !== 'v1') await emu.attach('/dev/disk1');
  return { emu, service, stateDir };
}

/** Creates a snapshot and waits for its summary to carry the emulator's filled figure. */
async function created(service: BlksnapService, request: SnapshotCreateRequest): Promise<SnapshotSummary> {
  const { id } = await service.snapshotCreate(request);
  let summary: SnapshotSummary | undefined;
  await until(async () => {
    summary = (await service.listSnapshots({})).find((s) => s.id === id);
    return summary?.usage.filledSectors !== null && summary?.usage.filledSectors !== undefined;
  });
  return summary as SnapshotSummary;
}

describe('the snapshot summary\'s storage mode', () => {
  const cases: Array<[Flavour, string, (dir: string) => SnapshotCreateRequest, SnapshotSummary['storageMode']]> = [
    ['upstream', 'a directory', (dir) => ({ devices: ['/dev/disk1'], diffStoragePath: dir, diffStorageLimitSectors: 8192 }), 'directory'],
    ['upstream', 'a new file', (dir) => ({ devices: ['/dev/disk1'], diffStoragePath: join(dir, 'store'), diffStorageLimitSectors: 8192 }), 'file'],
    ['upstream', 'an emulated block device', () => ({ devices: ['/dev/disk1'], diffStoragePath: '/dev/disk2', diffStorageLimitSectors: 0 }), 'block'],
    ['v7', 'a directory', (dir) => ({ devices: ['/dev/disk1'], diffStoragePath: dir, diffStorageLimitSectors: 8192 }), 'directory'],
    ['val-7.0', 'a directory', (dir) => ({ devices: ['/dev/disk1'], diffStoragePath: dir, diffStorageLimitSectors: 8192 }), 'directory'],
    ['val-7.0', 'no path (range mode)', () => ({ devices: ['/dev/disk1'], diffStoragePath: null, diffStorageLimitSectors: 8192 }), 'ranges'],
    ['v1', 'a directory for the stretch service', (dir) => ({ devices: ['/dev/disk1'], diffStoragePath: dir, diffStorageLimitSectors: 8192 }), 'ranges'],
  ];
  for (const [flavour, what, request, mode] of cases) {
    it(`${flavour}, ${what}: ${mode}, and filling starts where storageStartBytes says`, async () => {
      const { emu, service } = await start(flavour);
      const summary = await created(service, request(tempDir()));
      expect(summary.storageMode).toBe(mode);
      const info = emu.info;
      expect((summary.usage.filledSectors ?? -1) * 512).toBe(storageStartBytes(info.dialect, info.capabilities, summary.storageMode));
    });
  }

  it('is kept for a later process, and unknown (null) for an entry written before it was recorded', async () => {
    const first = await start('val-7.0');
    const { id } = await first.service.snapshotCreate({ devices: ['/dev/disk1'], diffStoragePath: null, diffStorageLimitSectors: 8192 });
    await first.service.close();
    const file = join(first.stateDir, REGISTRY_FILE);
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { snapshots: Array<Record<string, unknown>> };
    expect(saved.snapshots.map((s) => s.storageMode)).toEqual(['ranges']);
    const again = createService(first.emu, { dataDir: first.stateDir, pollIntervalMs: 20 });
    open.push({ emu: first.emu, service: again });
    await until(async () => (await again.listSnapshots({})).some((s) => s.id === id));
    expect((await again.listSnapshots({})).find((s) => s.id === id)?.storageMode).toBe('ranges');
    await again.close();
    for (const s of saved.snapshots) delete s.storageMode;
    writeFileSync(file, JSON.stringify(saved));
    const old = createService(first.emu, { dataDir: first.stateDir, pollIntervalMs: 20 });
    open.push({ emu: first.emu, service: old });
    await until(async () => (await old.listSnapshots({})).some((s) => s.id === id));
    expect((await old.listSnapshots({})).find((s) => s.id === id)?.storageMode).toBeNull();
  });
});
