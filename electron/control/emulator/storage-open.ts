// Opening difference storage: a path at SNAPSHOT_CREATE (file, directory or emulated block
// device, with the create-time gate of spec §3.6) and the targets of APPEND_STORAGE.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { errnoError, errnoName, ERRNO, type ErrnoName } from '../../../shared/errors';
import type { SectorRange } from '../../../shared/schemas';
import { SECTOR, type FileIo } from './device';
import type { StorageState, StorageTarget } from './diff-storage';
import { ownedFile, type EmulatorCore } from './core';
import { fileHints } from './file-hints';
import { O_TMPFILE } from '../kernel/native';
import type { Snapshot } from './snapshot';

const PATH_MAX = 4096;
/**
 * The unnamed file of directory-mode storage (the module's O_TMPFILE) is named so here; the tag
 * of the state directory keeps two emulators sharing a storage directory off each other's files.
 */
export function dirStoragePrefix(stateDir: string): string {
  return `.blksnap-emulator-diff-${createHash('sha256').update(stateDir).digest('hex').slice(0, 8)}-`;
}

/** The emulator's own data: the backing files of emulated devices, CBT maps, snapshots, state. */
const OWN_SUBDIRS = ['devices', 'cbt', 'snapshots'];
const OWN_ROOT_FILES = ['state.json', 'owner.lock', 'runtime.json', 'service-registry.json'];

/**
 * Refuses a regular file of the emulator's own as storage: writing copies into an emulated
 * device's backing file would overwrite that device's data (the module's counterpart is EBUSY
 * for a block device in use). Files the user or the stretch service put in the state
 * directory itself stay allowed.
 */
function refuseOwnFile(core: EmulatorCore, op: string, p: string): void {
  let real: string;
  let stateDir: string;
  try {
    real = fs.realpathSync(p);
    stateDir = fs.realpathSync(core.stateDir);
  } catch {
    return; // missing: the caller reports ENOENT
  }
  const rel = path.relative(stateDir, real);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return;
  const [first, ...rest] = rel.split(path.sep);
  if ((rest.length > 0 && OWN_SUBDIRS.includes(first ?? '')) || (rest.length === 0 && OWN_ROOT_FILES.includes(first ?? ''))) {
    throw errnoError('EBUSY', op, `${p} is the emulator's own data (emulated devices, CBT maps or state in ${core.stateDir}): storage there would overwrite it`, { path: p });
  }
}


/**
 * Opens storage once as the module does and closes it again, so its refusal is the create's:
 * a directory gets an unnamed file (O_TMPFILE; EOPNOTSUPP where the file system has none, on every
 * dialect: v6's client opens it so too), and on lk6.15 and v7 file and directory storage is opened
 * with O_DIRECT (EINVAL without it, spec §2). The emulator then keeps a named file and buffered I/O.
 */
function probeModuleOpen(core: EmulatorCore, op: string, given: string, kind: 'file' | 'directory'): void {
  const direct = core.rules.storageDirectIo ? fs.constants.O_DIRECT : 0;
  let fd: number;
  try {
    fd = kind === 'directory' ? fs.openSync(given, O_TMPFILE | fs.constants.O_RDWR | direct, 0o600) : fs.openSync(given, fs.constants.O_RDWR | direct);
  } catch (err) {
    // By number: Node names 95 ENOTSUP, the module's callers EOPNOTSUPP.
    const name: ErrnoName = errnoName(Math.abs((err as NodeJS.ErrnoException).errno ?? 5)) ?? 'EIO';
    if (kind === 'file' && name !== 'EINVAL') return; // the emulator's own open reports it
    const what = kind === 'directory' ? `cannot create an unnamed (O_TMPFILE${direct ? ', O_DIRECT' : ''}) file in ${given}` : `the file system of ${given} cannot open files with O_DIRECT`;
    throw errnoError(name, op, `${what}, as the module opens its storage`, { path: given });
  }
  fs.closeSync(fd);
}

/** File, directory or emulated block device storage with the create-time gate (§3.6). */
export function openPathStorage(core: EmulatorCore, op: string, id: string, p: string, limit: number, targets: Map<string, StorageTarget>): StorageState {
  if (p.length >= PATH_MAX) throw errnoError('EINVAL', op, `the storage path is ${p.length} bytes long, PATH_MAX is ${PATH_MAX}`);
  const minimum = core.params.diff_storage_minimum ?? 2_097_152;
  let mode: 'file' | 'directory' | 'block';
  let storagePath = p;
  let capacity: number;
  let handle: StorageTarget;
  const loc = core.locate(p);
  if (loc?.kind === 'device') {
    const holder = [...core.snapshots.values()].find((s) => s.storage.state.mode === 'block' && s.storage.state.path === p);
    if (holder) throw errnoError('EBUSY', op, `${p} is already open exclusively as the storage of snapshot ${holder.id}`, { path: p, snapshotId: holder.id });
    mode = 'block';
    capacity = loc.device.capacitySectors;
    handle = { io: loc.device, capacitySectors: capacity, owned: null };
  } else if (loc?.kind === 'image') {
    throw errnoError('EINVAL', op, `${p} is a snapshot image; the emulator keeps difference storage on files, directories or emulated devices`, { path: p });
  } else {
    let st: fs.Stats;
    try {
      st = fs.statSync(p);
    } catch (err) {
      const code = ((err as NodeJS.ErrnoException).code ?? 'ENOENT') as ErrnoName;
      throw errnoError(Object.hasOwn(ERRNO, code) ? code : 'ENOENT', op, `cannot open the storage path ${p}`, { path: p });
    }
    if (st.isDirectory()) {
      mode = 'directory';
      probeModuleOpen(core, op, p, 'directory');
      storagePath = path.join(p, `${dirStoragePrefix(core.stateDir)}${id}`);
      const dir = path.resolve(p);
      if (!core.storageDirs.has(dir)) {
        core.storageDirs.add(dir);
        core.saveState(); // recorded before the file exists: a crash leaves no file nobody knows of
      }
      handle = ownedFile(fs.openSync(storagePath, 'wx+', 0o600), 0);
      capacity = 0;
    } else if (st.isFile()) {
      refuseOwnFile(core, op, p);
      probeModuleOpen(core, op, p, 'file');
      mode = 'file';
      capacity = Math.floor(st.size / SECTOR);
      handle = ownedFile(fs.openSync(p, 'r+'), capacity);
    } else {
      throw errnoError('EINVAL', op, `${p} is not a regular file, a directory or an emulated block device`, { path: p });
    }
  }
  const initialSectors = mode === 'file' ? Math.ceil(fs.fstatSync((handle.owned as FileIo).fd).size / SECTOR) : capacity;
  let requested = capacity;
  if (requested <= minimum / 2) {
    if (capacity > limit) {
      handle.owned?.close();
      if (mode === 'directory') fs.rmSync(storagePath, { force: true });
      throw errnoError('ENOSPC', op, `the storage ${p} (${capacity} sectors) is larger than the limit ${limit} sectors`, { path: p, capacitySectors: capacity, limitSectors: limit });
    }
    if (capacity < limit) requested += Math.min(minimum, limit - capacity);
  }
  if (mode !== 'block' && requested > capacity) {
    const allocated = handle.owned ? fileHints.preallocate(handle.owned.fd, requested * SECTOR) : 'allocated';
    if (allocated !== 'allocated' && allocated !== 'sparse') {
      // The create-time fallocate's error is the call's (spec §3.6); nothing is left behind.
      handle.owned?.close();
      if (mode === 'directory') fs.rmSync(storagePath, { force: true });
      throw errnoError(allocated, op, `cannot preallocate ${requested} sectors of difference storage in ${p}`, { path: p, requestedSectors: requested });
    }
    capacity = requested;
    handle.capacitySectors = capacity;
  }
  targets.set(storagePath, handle);
  const state = core.storageState(mode, storagePath, mode === 'directory', limit, requested, capacity, core.rules.storageStartSectors, false);
  if (mode !== 'block') state.zeroFrom = mode === 'directory' ? 0 : initialSectors;
  return state;
}

export function openAppendTarget(core: EmulatorCore, op: string, p: string): { handle: StorageTarget; capacitySectors: number } {
  const loc = core.locate(p);
  if (loc?.kind === 'device') {
    return { handle: { io: loc.device, capacitySectors: loc.device.capacitySectors, owned: null }, capacitySectors: loc.device.capacitySectors };
  }
  if (loc?.kind === 'image') throw errnoError('EINVAL', op, `${p} is a snapshot image, not storage`, { path: p });
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch {
    throw errnoError('ENOENT', op, `${p} does not exist`, { path: p });
  }
  if (!st.isFile()) throw errnoError('EINVAL', op, `${p} is neither an emulated block device nor a regular file`, { path: p });
  refuseOwnFile(core, op, p);
  const capacitySectors = Math.floor(st.size / SECTOR);
  return { handle: ownedFile(fs.openSync(p, 'r+'), capacitySectors), capacitySectors };
}

export function rangeProblem(core: EmulatorCore, snap: Snapshot, target: string, capacitySectors: number, ranges: SectorRange[]): string | null {
  const taken: [number, number][] = snap.storage.state.ranges
    .filter((r) => r.target === target).map((r) => [r.startSector, r.startSector + r.countSectors]);
  for (const [i, r] of ranges.entries()) {
    if (!Number.isSafeInteger(r.offsetSectors) || r.offsetSectors < 0 || !Number.isSafeInteger(r.countSectors) || r.countSectors < 1) {
      return `range ${i} needs an unsigned offset and a count of at least 1 sector`;
    }
    const end = r.offsetSectors + r.countSectors;
    if (end > capacitySectors) return `range ${i} (sectors ${r.offsetSectors}..${end}) lies past the end of ${target} (${capacitySectors} sectors)`;
    if (taken.some(([s, e]) => r.offsetSectors < e && s < end)) return `range ${i} overlaps storage already appended on ${target}`;
    taken.push([r.offsetSectors, end]);
  }
  return null;
}
