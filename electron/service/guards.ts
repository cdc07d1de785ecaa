// Guard rails above the backend, so they protect the kernel backend too (spec E3):
// detaching a device a snapshot holds, and adding the device that holds the storage.
import { stat } from 'node:fs/promises';
import type { BlockDevice, DevId } from '../../shared/schemas';
import { appError } from '../../shared/errors';

/** Linux dev_t (64-bit encoding) → major:minor. */
export function splitDevT(dev: bigint): DevId {
  const major = Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn));
  const minor = Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn));
  return { major, minor };
}

/**
 * The device that holds a difference storage path: the device itself when the path is a
 * listed block device, else (real module only) the filesystem device of the file or
 * directory. Null when it cannot be told (missing path, emulator host files).
 */
export async function storageDevice(path: string, devices: readonly BlockDevice[], hostPaths: boolean): Promise<DevId | null> {
  const listed = devices.find((d) => d.path === path);
  if (listed) return listed.devId;
  if (!hostPaths) return null;
  try {
    const st = await stat(path, { bigint: true });
    return splitDevT(st.isBlockDevice() ? st.rdev : st.dev);
  } catch {
    return null;
  }
}

export function sameDev(a: DevId | null, b: DevId | null): boolean {
  return !!a && !!b && a.major === b.major && a.minor === b.minor;
}

export function storageDeviceRefusal(device: string, storagePath: string, snapshotId: string | null) {
  return appError(
    'EGUARD',
    `${device} holds the difference storage (${storagePath}): the module answers 0 but does not add it, ` +
      'so it would not be in the snapshot. Put the storage on another device.',
    { device, diffStoragePath: storagePath, snapshotId, operation: 'snapshotAdd' },
  );
}

export function detachRefusal(device: string, snapshotId: string | null, taken: boolean) {
  const which = snapshotId ? `snapshot ${snapshotId}` : 'a snapshot this app did not create';
  return appError(
    'EGUARD',
    `${device} is held by ${which}${taken ? ' (taken)' : ''}: detaching stops copy-on-write and change tracking, ` +
      'and the snapshot image silently diverges from the device. Destroy the snapshot first, or detach with force.',
    { device, snapshotId, taken, operation: 'detach' },
  );
}

/**
 * v1 reaches only its newest snapshot: a second create strands the first (images, copy-on-write
 * and devices held until the module is unloaded, spec §6.3). Refused here, for every backend;
 * the emulator answers as the module would.
 */
export async function refuseSecondSnapshot(control: { info: { capabilities: { maxSnapshots: number | null } }; snapshotCollect(): Promise<string[]> }): Promise<void> {
  const max = control.info.capabilities.maxSnapshots;
  if (max === null) return;
  const existing = await control.snapshotCollect();
  if (existing.length < max) return;
  throw appError('EGUARD', `v1 allows one snapshot at a time: the module reaches only the newest snapshot, so creating another would strand ${existing.join(', ')} (images, copy-on-write and devices held until the module is unloaded). Destroy it first.`, { existing: existing.join(',') });
}

/** CBTDIRTY / MARK_DIRTY ranges the module would mishandle: count 0 (spec §2) or past the end (partial application). */
export function refuseDirtyRanges(device: string, ranges: readonly { offsetSectors: number; countSectors: number }[], capacitySectors: number | null): void {
  const zero = ranges.find((r) => r.countSectors === 0);
  if (zero) {
    throw appError('EGUARD', `mark dirty on ${device}: a range with count 0 at sector ${zero.offsetSectors} is refused before any call (count 0 marks whole maps or fails after partial application: spec §2)`, { device, offsetSectors: zero.offsetSectors });
  }
  const past = capacitySectors === null ? undefined : ranges.find((r) => r.offsetSectors + r.countSectors > capacitySectors);
  if (past) {
    throw appError('EGUARD', `mark dirty on ${device}: range ${past.offsetSectors}+${past.countSectors} ends past the device's ${capacitySectors} sectors; nothing sent (the module would apply the earlier ranges, then fail)`, { device, capacitySectors });
  }
}

/** v1 SNAPSHOT_CREATE with count 0 never returns (kernel soft lockup, measured): never sent, on any backend. */
export function refuseEmptyV1Create(dialect: string | null, devices: readonly string[]): void {
  if (dialect !== 'v1' || devices.length > 0) return;
  throw appError('EGUARD', 'v1 snapshot create needs at least one device: SNAPSHOT_CREATE with count 0 never returns (kernel soft lockup, measured), so it is refused before any call', { dialect: 'v1' });
}
