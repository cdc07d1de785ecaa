// The emulator the app selects models the module; the guards are the service's, the same for
// every backend (issue 19, items 10 and 11).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { selectBackend } from '../../../electron/control/select';
import { isEmulator, type BlksnapControl } from '../../../electron/control/types';
import { createService } from '../../../electron/service';
import { BlksnapError } from '../../../shared/errors';

const MiB = 2 ** 20;
let dir = '';
let control: BlksnapControl | null = null;
afterEach(async () => {
  await control?.close();
  control = null;
  rmSync(dir, { recursive: true, force: true });
});

async function v1Emulator() {
  dir = mkdtempSync(join(tmpdir(), 'select-guards-'));
  control = await selectBackend({ backend: 'emulator', dialect: null, emulate: 'v1', emulatorDir: dir });
  if (!isEmulator(control)) throw new Error('not the emulator');
  await control.createDevice('vda', 4 * MiB);
  await control.createDevice('vdb', 4 * MiB);
  return control;
}

const failure = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e as BlksnapError);

describe('the app\'s v1 emulator', () => {
  it('answers TAKE without storage as the module does: EFAULT, and the snapshot is destroyed', async () => {
    const emu = await v1Emulator();
    const id = await emu.snapshotCreate({ devices: ['/dev/vda'], diffStoragePath: null, diffStorageLimitSectors: 0 });
    expect((await failure(emu.snapshotTake(id)))?.code).toBe('EFAULT');
    expect(await emu.snapshotCollect()).toEqual([]);
    // Nothing is stranded: the next create works.
    await emu.snapshotCreate({ devices: ['/dev/vdb'], diffStoragePath: null, diffStorageLimitSectors: 0 });
  });

  it('through the service: TAKE without storage and a second snapshot are refused (EGUARD), as on the kernel backend', async () => {
    const emu = await v1Emulator();
    const service = createService(emu, { dataDir: dir, pollIntervalMs: 60_000 });
    try {
      const { id } = await service.snapshotCreate({ devices: ['/dev/vda'], diffStoragePath: null, diffStorageLimitSectors: 0 });
      const take = await failure(service.snapshotTake({ id }));
      expect([take?.code, take?.message]).toEqual(['EGUARD', expect.stringMatching(/no difference storage yet: v1 TAKE would fail \(EFAULT\)/)]);
      const second = await failure(service.snapshotCreate({ devices: ['/dev/vdb'], diffStoragePath: null, diffStorageLimitSectors: 0 }));
      expect([second?.code, second?.message]).toEqual(['EGUARD', expect.stringMatching(/one snapshot at a time.*would strand/)]);
      const empty = await failure(service.snapshotCreate({ devices: [], diffStoragePath: null, diffStorageLimitSectors: 0 }));
      expect(empty?.message).toBe('v1 snapshot create needs at least one device: SNAPSHOT_CREATE with count 0 never returns (kernel soft lockup, measured), so it is refused before any call');
      const dirty = await failure(service.markDirty({ device: '/dev/vda', ranges: [{ offsetSectors: 8, countSectors: 0 }] }));
      expect(dirty?.code).toBe('EGUARD');
      expect(await emu.snapshotCollect()).toEqual([id]);
    } finally {
      await service.close();
    }
  });

  it('answers cbtinfo on an untracked device with ENOENT, as the kernel client reads TRACKER_COLLECT (item 11)', async () => {
    const emu = await v1Emulator();
    const err = await failure(emu.cbtInfo('/dev/vda'));
    expect([err?.code, err?.message]).toEqual(['ENOENT', 'cbtinfo: ENOENT (No such file or directory): /dev/vda is not tracked (on v1 trackers appear at snapshot create)']);
  });
});
