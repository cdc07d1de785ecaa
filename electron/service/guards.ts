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
      'so it would not be in the snapshot (spec §2 SNAPSHOTADD). Put the storage on another device.',
    { device, diffStoragePath: storagePath, snapshotId, operation: 'snapshotAdd' },
  );
}

export function detachRefusal(device: string, snapshotId: string | null, taken: boolean) {
  const which = snapshotId ? `snapshot ${snapshotId}` : 'a snapshot this app did not create';
  return appError(
    'EGUARD',
    `${device} is held by ${which}${taken ? ' (taken)' : ''}: detaching stops copy-on-write and change tracking, ` +
      'and the snapshot image silently diverges from the device (spec E3). Destroy the snapshot first, or detach with force.',
    { device, snapshotId, taken, operation: 'detach' },
  );
}
