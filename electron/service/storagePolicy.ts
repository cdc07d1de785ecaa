// Where difference storage may go. The service runs as root and the module (or the emulator)
// overwrites whatever it is handed, so a path is admitted only where the user clearly meant
// storage, judged on its real path (.. and symlinks resolved first), each refusal naming its rule:
//   directory        → the unnamed file inside it
//   not existing     → created here, O_CREAT|O_EXCL|O_NOFOLLOW, 0600, and recorded as ours
//   regular file     → only when empty, or one this app created as storage earlier
//   block device     → only when not in use (mounted, swap, held), not tracked, in no snapshot,
//                      and without a filesystem or partition-table signature unless forced
//   never            → /proc, /sys, /dev itself, /, character devices, FIFOs, sockets
import * as fs from 'node:fs';
import * as path from 'node:path';
import { appError, type BlksnapError } from '../../shared/errors';
import type { BlockDevice } from '../../shared/schemas';
import { sameDev, splitDevT } from './guards';
import { dataSignature, SIGNATURE_BYTES } from './signatures';

export type StorageRule =
  | 'absolute-path' | 'resolvable-path' | 'system-path' | 'special-file' | 'existing-file'
  | 'device-in-use' | 'device-tracked' | 'device-in-snapshot' | 'device-has-data' | 'stretch-directory';

export const STORAGE_RULES: Record<StorageRule, string> = {
  'absolute-path': 'the storage path is absolute',
  'resolvable-path': 'the storage path, or the directory a new file goes in, exists',
  'system-path': 'no storage in /, /dev, /proc or /sys',
  'special-file': 'no character devices, FIFOs or sockets',
  'existing-file': 'an existing file only when it is empty or this app created it as storage',
  'device-in-use': 'a block device only when nothing has it open exclusively (mounted, swap, LVM, RAID)',
  'device-tracked': 'a block device only when it is not tracked',
  'device-in-snapshot': 'a block device only when it is not in any snapshot',
  'device-has-data': 'a block device only without a filesystem or partition table, unless forced',
  'stretch-directory': 'v1 storage is a directory the stretch service fills',
};

/** What the policy needs to know beyond the file system; injected so it judges emulated devices too. */
export interface StorageFacts {
  /** Block devices the backend lists. */
  devices: readonly BlockDevice[];
  /** The backend's devices are emulated (their /dev paths are not host files). */
  emulated: boolean;
  /** A device (by path) is a member of a snapshot. */
  inSnapshot(devicePath: string): Promise<boolean>;
  /** The first bytes of an emulated device. */
  readEmulated(devicePath: string, bytes: number): Promise<Uint8Array>;
  /** A regular file this app created as storage earlier. */
  isOurs(realPath: string, st: fs.Stats): boolean;
}

export interface StorageRequest {
  path: string;
  /** The block device's filesystem or partition table may be overwritten (the UI's danger action). */
  forceStorageDevice: boolean;
  /** v1: the path must be a directory (the stretch service creates its files there). */
  directoryOnly: boolean;
}

export interface AdmittedStorage {
  /** What the backend is handed: the real path (an emulated device keeps its name). */
  path: string;
  kind: 'directory' | 'file' | 'block';
  /** A new empty file this call created (recorded as ours; removed if the create fails). */
  created: boolean;
}

const SYSTEM_TREES = ['/proc', '/sys'];
const SYSTEM_DIRS = ['/', '/dev'];
const { O_CREAT, O_EXCL, O_NOFOLLOW, O_RDWR, O_RDONLY } = fs.constants;

export function storageRefusal(rule: StorageRule, given: string, why: string, extra: Record<string, string | number | boolean | null> = {}): BlksnapError {
  return appError('EGUARD', `difference storage ${given} refused (rule ${rule}: ${STORAGE_RULES[rule]}): ${why}`, {
    rule, diffStoragePath: given, operation: 'snapshotCreate', ...extra,
  });
}

export async function admitStoragePath(request: StorageRequest, facts: StorageFacts): Promise<AdmittedStorage> {
  const given = request.path;
  if (!given.startsWith('/')) throw storageRefusal('absolute-path', given, 'give a path starting with /');
  const emulated = facts.emulated ? facts.devices.find((d) => d.path === given) : undefined;
  if (emulated) {
    if (request.directoryOnly) throw storageRefusal('stretch-directory', given, 'give a directory');
    await admitDevice(given, emulated, request, facts, null);
    return { path: given, kind: 'block', created: false };
  }
  const real = resolveReal(given);
  if (!real) return createNew(given, request);
  refuseSystemPath(given, real);
  const st = fs.statSync(real);
  if (st.isDirectory()) return { path: real, kind: 'directory', created: false };
  if (request.directoryOnly) throw storageRefusal('stretch-directory', given, `${real} is not a directory`, { realPath: real });
  if (st.isFile()) {
    if (st.size === 0 || facts.isOurs(real, st)) return { path: real, kind: 'file', created: false };
    throw storageRefusal('existing-file', given, `${real} holds ${st.size} bytes this app did not write: the storage would overwrite them. Give a directory, a new file name or an empty file`, { realPath: real });
  }
  if (st.isBlockDevice()) {
    const listed = facts.devices.find((d) => sameDev(d.devId, splitDevT(BigInt(st.rdev))));
    await admitDevice(given, listed ?? null, request, facts, real);
    return { path: real, kind: 'block', created: false };
  }
  const what = st.isCharacterDevice() ? 'a character device' : st.isFIFO() ? 'a FIFO' : st.isSocket() ? 'a socket' : 'not a file, directory or block device';
  throw storageRefusal('special-file', given, `${real} is ${what}`, { realPath: real });
}

/** The real path of an existing path; null when it does not exist (a dangling symlink counts as existing). */
function resolveReal(given: string): string | null {
  try {
    return fs.realpathSync(given);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') throw storageRefusal('resolvable-path', given, `cannot resolve it (${code ?? String(err)})`);
    let isLink = false;
    try {
      isLink = fs.lstatSync(given).isSymbolicLink();
    } catch {
      // Nothing at the name.
    }
    if (isLink) throw storageRefusal('resolvable-path', given, 'it is a symlink to nothing: a new storage file is never created through a symlink');
    return null;
  }
}

function refuseSystemPath(given: string, real: string): void {
  const inTree = SYSTEM_TREES.some((t) => real === t || real.startsWith(`${t}/`));
  if (inTree || SYSTEM_DIRS.includes(real)) {
    throw storageRefusal('system-path', given, `it resolves to ${real}`, { realPath: real });
  }
}

/** A new file: its directory resolved and judged, then O_CREAT|O_EXCL|O_NOFOLLOW (never over anything). */
function createNew(given: string, request: StorageRequest): AdmittedStorage {
  const name = path.basename(given);
  let dir: string;
  try {
    dir = fs.realpathSync(path.dirname(given));
  } catch (err) {
    throw storageRefusal('resolvable-path', given, `its directory ${path.dirname(given)} does not exist (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  refuseSystemPath(given, dir);
  if (request.directoryOnly) throw storageRefusal('stretch-directory', given, 'it does not exist; create the directory first');
  if (!name || name === '.' || name === '..') throw storageRefusal('resolvable-path', given, 'it names no file');
  const real = path.join(dir, name);
  let fd: number;
  try {
    fd = fs.openSync(real, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
  } catch (err) {
    throw storageRefusal('resolvable-path', given, `cannot create ${real} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { realPath: real });
  }
  fs.closeSync(fd);
  return { path: real, kind: 'file', created: true };
}

async function admitDevice(given: string, listed: BlockDevice | null, request: StorageRequest, facts: StorageFacts, hostPath: string | null): Promise<void> {
  const devicePath = listed?.path ?? hostPath ?? given;
  if (listed?.tracked) throw storageRefusal('device-tracked', given, `${devicePath} is tracked: its changes are being recorded for backup`, { device: devicePath });
  if (listed && (await facts.inSnapshot(listed.path))) throw storageRefusal('device-in-snapshot', given, `${devicePath} is in a snapshot`, { device: devicePath });
  let head: Uint8Array;
  if (hostPath) {
    // The kernel's own answer to "in use": an exclusive open fails with EBUSY while the device
    // is mounted, used as swap or held by device-mapper or md.
    let fd: number;
    try {
      fd = fs.openSync(hostPath, O_RDONLY | O_EXCL);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EBUSY') throw storageRefusal('device-in-use', given, `${hostPath} is in use (mounted, swap, or held by LVM, RAID or another exclusive user)`, { device: hostPath });
      throw storageRefusal('device-in-use', given, `${hostPath} cannot be opened (${code ?? String(err)})`, { device: hostPath });
    }
    try {
      const buffer = new Uint8Array(SIGNATURE_BYTES);
      const n = fs.readSync(fd, buffer, 0, SIGNATURE_BYTES, 0);
      head = buffer.subarray(0, n);
    } finally {
      fs.closeSync(fd);
    }
  } else {
    head = await facts.readEmulated(devicePath, Math.min(SIGNATURE_BYTES, (listed?.capacitySectors ?? 0) * 512));
  }
  const signature = dataSignature(head);
  if (signature && !request.forceStorageDevice) {
    throw storageRefusal('device-has-data', given, `${devicePath} holds ${signature}: the storage would overwrite it. Wipe it first, or pass forceStorageDevice if its data may be destroyed`, { device: devicePath, signature });
  }
}
