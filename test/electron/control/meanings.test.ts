// One table of meanings per call and errno (issue 19, item 12): the emulator, behind the
// service, fails in the very words the kernel client uses for the same call and errno.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createEmulator, type Emulator } from '../../../electron/control/emulator';
import type { Flavour } from '../../../electron/control/emulator/flavours';
import { inTableWords, meaningOf, type ControlCall } from '../../../electron/control/meaningTables';
import { DIALECTS } from '../../../electron/control/kernel/dialects';
import type { V2Operation } from '../../../electron/control/kernel/dialects/v2-family/dialect';
import { v2TableOf } from '../../../electron/control/kernel/dialects/v2-family/factory';
import type { DialectId } from '../../../shared/schemas';
import { syscallError, meanings } from '../../../electron/control/kernel/errno';
import { V2_MEANINGS } from '../../../electron/control/kernel/dialects/v2-family/meanings';
import { createService, type BlksnapService } from '../../../electron/service';
import { BlksnapError, ERRNO, errnoError, type ErrnoName } from '../../../shared/errors';

/** The control calls and the v2 request each one is (electron/control/meaningTables.ts). */
const CALL_OPS: Record<string, V2Operation> = {
  attach: 'ATTACH', detach: 'DETACH', cbtInfo: 'CBTINFO', cbtMap: 'CBTMAP', cbtDirty: 'CBTDIRTY', snapshotCreate: 'SNAPSHOT_CREATE',
  snapshotAdd: 'SNAPSHOTADD', snapshotTake: 'SNAPSHOT_TAKE', snapshotDestroy: 'SNAPSHOT_DESTROY', snapshotInfo: 'SNAPSHOTINFO',
  waitEvent: 'SNAPSHOT_WAIT_EVENT', appendStorage: 'SNAPSHOT_APPEND_STORAGE',
};

const UNKNOWN = '3f2b8e1c-0a4d-4f6e-9b1a-2c3d4e5f6a7b';
let dir = '';
let emu: Emulator | null = null;
let service: BlksnapService | null = null;
afterEach(async () => {
  await service?.close();
  await emu?.close();
  service = null;
  emu = null;
  rmSync(dir, { recursive: true, force: true });
});

async function on(flavour: Flavour): Promise<BlksnapService> {
  dir = mkdtempSync(join(tmpdir(), 'meanings-'));
  emu = await createEmulator({ stateDir: dir, flavour });
  await emu.createDevice('vda', 2 ** 22);
  service = createService(emu, { dataDir: dir, pollIntervalMs: 60_000 });
  return service;
}

const message = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => (e as BlksnapError).message);

/** What the v2 kernel client says for an ioctl failing with `code` (its own fail(): the dialect's table). */
function kernelV2(op: 'SNAPSHOT_DESTROY' | 'SNAPSHOT_TAKE' | 'ATTACH' | 'OPEN_DEVICE', code: 'ENODEV' | 'ESRCH' | 'EALREADY' | 'ENOENT'): string {
  return syscallError({ ret: -1, errno: ERRNO[code][0], errnoName: code }, op, meanings(V2_MEANINGS[op])).message;
}

describe('the emulator fails in the kernel client\'s words', () => {
  it('upstream: destroy and take of an unknown id, attach twice', async () => {
    const s = await on('upstream');
    expect(await message(s.snapshotDestroy({ id: UNKNOWN }))).toBe(kernelV2('SNAPSHOT_DESTROY', 'ENODEV'));
    expect(await message(s.snapshotTake({ id: UNKNOWN }))).toBe(kernelV2('SNAPSHOT_TAKE', 'ESRCH'));
    await s.attach({ device: '/dev/vda' });
    expect(await message(s.attach({ device: '/dev/vda' }))).toBe(kernelV2('ATTACH', 'EALREADY'));
  });

  it('upstream: a path no device has fails at the client\'s open of the device, before any ioctl (found by the lk6.15 replay)', async () => {
    const s = await on('upstream');
    const open = kernelV2('OPEN_DEVICE', 'ENOENT');
    expect(open).toMatch(/^OPEN_DEVICE: ENOENT .*no such device node/);
    expect(await message(s.cbtInfo({ device: '/dev/nosuchdisk' }))).toBe(open);
    expect(await message(s.attach({ device: '/dev/nosuchdisk' }))).toBe(open);
    expect(await message(s.snapshotCreate({ diffStoragePath: dir, diffStorageLimitSectors: 32768, devices: ['/dev/nosuchdisk'] }))).toContain(open);
  });

  it('VAL-7.0: destroy of an unknown id; a missing path is the module\'s (bdevfilter opens it), not an open of ours', async () => {
    const s = await on('val-7.0');
    expect(await message(s.snapshotDestroy({ id: UNKNOWN }))).toBe(kernelV2('SNAPSHOT_DESTROY', 'ENODEV'));
    expect(await message(s.cbtInfo({ device: '/dev/nosuchdisk' }))).toMatch(/^CBTINFO: ENOENT .*its path does not exist/);
  });

  it('v1: destroy of an unknown id, as the v1 client says it', async () => {
    const s = await on('v1');
    expect(await message(s.snapshotDestroy({ id: UNKNOWN }))).toBe('SNAPSHOT_DESTROY: ENODEV (No such device): no such snapshot (v1 answers ENODEV for an unknown id)');
  });
});

describe('the table', () => {
  it('keeps what it has no words for, and errors of other requests (opening the storage)', () => {
    const open = errnoError('ENOENT', 'OPEN_STORAGE', 'the difference storage path does not exist');
    expect(inTableWords('lk6.15', 'snapshotCreate', open)).toBe(open);
    const device = errnoError('ENOENT', 'OPEN_DEVICE', 'no such device node');
    expect((inTableWords('lk6.15', 'attach', device) as BlksnapError).message).toBe(device.message);
    const app = new BlksnapError({ code: 'EGUARD', message: 'refused' });
    expect(inTableWords('v1', 'snapshotTake', app)).toBe(app);
  });

  it('has each dialect\'s own words, as its kernel client (found on VAL-7.0: ATTACH ENOENT blamed an unloaded module for a missing path)', () => {
    expect(meaningOf('val-7.0', 'attach', 'ENOENT')?.meaning).toMatch(/or the device path does not exist/);
    const checked: string[] = [];
    for (const [id, entry] of Object.entries(DIALECTS)) {
      const own = v2TableOf(entry)?.meanings;
      if (!own) continue;
      for (const [call, op] of Object.entries(CALL_OPS)) {
        const ctl = ['CBTINFO', 'CBTMAP', 'CBTDIRTY', 'SNAPSHOTADD', 'SNAPSHOTINFO'].includes(op);
        const client = ctl ? meanings(V2_MEANINGS.CTL, own.CTL, V2_MEANINGS[op], own[op]) : meanings(V2_MEANINGS[op], own[op]);
        for (const code of Object.keys({ ...own[op], ...(ctl ? own.CTL : {}) }) as ErrnoName[]) {
          expect([id, call, code, meaningOf(id as DialectId, call as ControlCall, code)?.meaning]).toEqual([id, call, code, client[code]]);
          checked.push(`${id} ${op} ${code}`);
        }
      }
    }
    expect(checked.length).toBeGreaterThan(5);
  });

  it('names the v1 TAKE failure that destroys the snapshot', () => {
    expect(meaningOf('v1', 'snapshotTake', 'EFAULT')?.meaning).toMatch(/v1 destroys a snapshot whose TAKE fails/);
  });
});
