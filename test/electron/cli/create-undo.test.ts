// A snapshot_create whose device cannot be added leaves no snapshot (found by the VM suite on
// VAL-7.0: create succeeded, the add of a missing device failed, exit 1, and the snapshot stayed).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createEmulator } from '../../../electron/control/emulator';
import { createService } from '../../../electron/service';
import { cli, tempDirEach, type CliRun } from './harness';

const tmp = tempDirEach('create-undo-');

function run(...argv: string[]): Promise<CliRun> {
  return cli(['--backend', 'emulator', '--emulate', 'val-7.0', '--emulator-dir', join(tmp(), 'state'), ...argv], {});
}

describe('a failed snapshot_create leaves nothing behind', () => {
  it('blksnapctl destroys the snapshot and detaches what it attached, and says so', async () => {
    expect((await run('emu_create', '--name', 'disk0', '--size', '64M')).code).toBe(0);
    const r = await run('snapshot_create', '-f', tmp(), '-l', '1G', '-d', '/dev/disk0', '-d', '/dev/nosuchdisk');
    expect(r.code).toBe(1);
    expect(r.lines).toHaveLength(1); // the id, printed first as the upstream tool does
    expect(r.stderr).toContain(`snapshot_create failed, so snapshot ${r.lines[0]} was destroyed again and /dev/disk0 detached: nothing is left`);
    expect((await run('snapshot_collect')).stdout).toBe('\n');
    expect((await run('cbtinfo', '-d', '/dev/disk0')).stderr).toMatch(/ENOENT/);
  });

  it('keeps a device that was attached before the create attached', async () => {
    await run('emu_create', '--name', 'disk0', '--size', '64M');
    expect((await run('attach', '-d', '/dev/disk0')).code).toBe(0);
    const r = await run('snapshot_create', '-f', tmp(), '-l', '1G', '-d', '/dev/disk0', '-d', '/dev/nosuchdisk');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/was destroyed again: nothing is left/);
    expect((await run('snapshot_collect')).stdout).toBe('\n');
    expect((await run('cbtinfo', '-d', '/dev/disk0')).code).toBe(0);
  });

  it('the service destroys a snapshot whose device could not be added (the GUI\'s create)', async () => {
    const stateDir = join(tmp(), 'svc');
    const emu = await createEmulator({ stateDir, flavour: 'val-7.0' });
    const service = createService(emu, { dataDir: stateDir, pollIntervalMs: 60_000 });
    try {
      await emu.createDevice('disk0', 64 * 2 ** 20);
      await service.attach({ device: '/dev/disk0' });
      const failed = await service.snapshotCreate({ devices: ['/dev/disk0', '/dev/nosuchdisk'], diffStoragePath: tmp(), diffStorageLimitSectors: 2 * 2 ** 21 }).catch((e: unknown) => e as Error);
      expect(failed).toBeInstanceOf(Error);
      expect((failed as Error).message).toMatch(/was created, then destroyed again since the device could not be added: nothing is left/);
      expect(await emu.snapshotCollect()).toEqual([]);
    } finally {
      await service.close();
      await emu.close();
    }
  });
});
