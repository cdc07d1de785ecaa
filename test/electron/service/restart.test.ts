import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createEmulator } from '../../../electron/control/emulator';
import { createService } from '../../../electron/service';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('an app restart on the emulator', () => {
  it('keeps the snapshot registry beside the emulator state and reconciles it', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'blksnap-restart-'));
    const storageDir = mkdtempSync(join(tmpdir(), 'blksnap-restart-diff-'));
    dirs.push(stateDir, storageDir);

    let emu = await createEmulator({ stateDir });
    let service = createService(emu, { dataDir: stateDir });
    const device = await service.emuCreateDevice({ name: 'disk0', sizeBytes: 16 * 2 ** 20 });
    await service.attach({ device: device.path });
    const { id } = await service.snapshotCreate({ diffStoragePath: storageDir, diffStorageLimitSectors: 32768, devices: [device.path] });
    await service.snapshotTake({ id });
    await service.close();
    await emu.close();

    emu = await createEmulator({ stateDir });
    service = createService(emu, { dataDir: stateDir });
    try {
      expect(await emu.snapshotCollect()).toEqual([id]); // the emulator keeps its snapshots
      const snapshots = await service.listSnapshots({});
      expect(snapshots).toMatchObject([{ id, taken: true, devices: [{ path: device.path }] }]);
      await expect(service.detach({ device: device.path })).rejects.toMatchObject({ code: 'EGUARD' });
      await service.snapshotDestroy({ id });
      expect(await service.listSnapshots({})).toEqual([]);
      await expect(service.detach({ device: device.path })).resolves.toEqual({ ok: true });
    } finally {
      await service.close();
      await emu.close();
    }
  });
});
