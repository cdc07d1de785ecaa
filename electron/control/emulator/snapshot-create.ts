// Building a snapshot (the module's snapshot.c: snapshot_create, snapshot_add_device): v2 with
// a storage path or appended ranges, v1 with its fixed device list, and adding devices (v2).
import { randomUUID } from 'node:crypto';
import { appError, errnoError } from '../../../shared/errors';
import type { SnapshotCreateRequest } from '../../../shared/schemas';
import { CbtMap } from './cbt-map';
import type { EmulatorCore } from './core';
import type { EmulatedDevice } from './device';
import { DiffStorage, type StorageEvent, type StorageState, type StorageTarget } from './diff-storage';
import { Snapshot } from './snapshot';
import { openPathStorage } from './storage-open';

export function createV2(core: EmulatorCore, request: SnapshotCreateRequest): string {
  const op = 'SNAPSHOT_CREATE';
  const id = randomUUID();
  const limit = request.diffStorageLimitSectors;
  const minimum = core.params.diff_storage_minimum ?? 2_097_152;
  const events: StorageEvent[] = [];
  let state: StorageState;
  const targets = new Map<string, StorageTarget>();
  const p = request.diffStoragePath;
  if (p === null) {
    if (!core.rules.capabilities.appendStorage) {
      throw errnoError('EFAULT', op, 'the difference storage path is required (a null path pointer)', { dialect: core.rules.dialect });
    }
    const portion = Math.min(minimum, limit);
    state = core.storageState('ranges', null, false, limit, portion, 0, 0, portion > 0);
    if (portion > 0) events.push({ kind: 'low_free_space', requestedSectors: portion });
  } else {
    state = openPathStorage(core, op, id, p, limit, targets);
  }
  const snap = new Snapshot(id, Date.now(), new DiffStorage(state, core.storagePolicy(), targets));
  core.snapshots.set(id, snap);
  for (const e of events) core.emitStorageEvent(snap, e, false);
  core.saveState();
  return id;
}

export function createV1(core: EmulatorCore, request: SnapshotCreateRequest): string {
  const op = 'SNAPSHOT_CREATE';
  if (request.devices.length === 0) {
    throw appError('EGUARD', 'A v1 snapshot needs at least one device: SNAPSHOT_CREATE with count 0 hangs the real module (soft lockup), so it is never sent', {
      operation: op, dialect: 'v1',
    });
  }
  if (request.diffStoragePath !== null) {
    throw appError('EUNSUPPORTED', `v1 takes no storage path: it asks for sector ranges with low_free_space events, appended with SNAPSHOT_APPEND_STORAGE (got ${request.diffStoragePath})`, {
      operation: op, dialect: 'v1',
    });
  }
  const existing = [...core.snapshots.values()].filter((s) => s.state === 'listed').map((s) => s.id);
  if (core.clientGuards && existing.length > 0) {
    throw appError('EGUARD', `v1 allows one snapshot at a time: the module reaches only the newest snapshot, so creating another would strand ${existing.join(', ')} (images, copy-on-write and devices held until the module is unloaded). Destroy it first.`, { existing: existing.join(',') });
  }
  const devs: EmulatedDevice[] = [];
  for (const p of request.devices) {
    core.refuseUnknownV1Device(p);
    const image = core.imageAttachRefusal(op, p);
    if (image) throw image;
    const dev = core.locate(p);
    if (dev?.kind !== 'device') throw errnoError('ENOENT', op, `${p} is not an emulated block device`, { device: p });
    if (devs.includes(dev.device)) throw errnoError('EINVAL', op, `${p} is listed twice`, { device: p });
    const holder = core.holderOf(dev.device.name);
    if (holder) throw errnoError('EALREADY', op, `${p} already belongs to snapshot ${holder.id}`, { device: p, snapshotId: holder.id });
    devs.push(dev.device);
  }
  for (const dev of devs) {
    dev.tracker ??= CbtMap.create(core.mapPath(dev.name), core.nextTrackerId++, dev.capacityBytes, core.params);
  }
  // Only the newest snapshot stays reachable (spec §6.3): earlier ones drop out of the list.
  for (const s of core.snapshots.values()) if (s.state === 'listed') s.state = 'unreachable';
  const minimum = core.params.diff_storage_minimum ?? 2_097_152;
  const state = core.storageState('ranges', null, false, request.diffStorageLimitSectors, minimum, 0, 0, true);
  const id = randomUUID();
  const snap = new Snapshot(id, Date.now(), new DiffStorage(state, core.storagePolicy(), new Map()));
  for (const dev of devs) snap.members.push({ device: dev.name, trackerId: (dev.tracker as CbtMap).trackerId });
  core.snapshots.set(id, snap);
  core.emitStorageEvent(snap, { kind: 'low_free_space', requestedSectors: minimum }, false);
  core.saveState();
  return id;
}

export function addDevice(core: EmulatorCore, id: string, devicePath: string): void {
  const op = core.rules.op.add;
  if (core.flavour === 'v1') {
    throw appError('EUNSUPPORTED', `v1 fixes the device list at SNAPSHOT_CREATE: ${devicePath} cannot be added to ${id} later`, { snapshotId: id, device: devicePath, dialect: 'v1' });
  }
  const dev = core.filterDevice(op, devicePath);
  if (!dev.tracker) throw errnoError('ENOENT', op, `${devicePath} has no blksnap filter attached; attach it first`, { device: devicePath });
  const snap = core.listed(op, id);
  const details = { device: devicePath, snapshotId: id };
  if (core.flavour !== 'val-7.0' && (dev.flags.integrity || dev.flags.inlineEncryption)) {
    // E2: the module returns EPERM and then oopses; the emulator changes nothing.
    throw errnoError('EPERM', op, `${devicePath} has ${dev.flags.integrity ? 'integrity metadata' : 'inline encryption'}, which blksnap cannot snapshot`, details);
  }
  if (snap.storage.state.mode === 'block' && snap.storage.state.path === dev.path) return; // holds the storage: 0, not added
  if (snap.hasDevice(dev.name)) throw errnoError('EALREADY', op, `${devicePath} is already in snapshot ${id}`, details);
  const other = core.holderOf(dev.name);
  if (other) throw errnoError('EBUSY', op, `${devicePath} is in snapshot ${other.id} until that one is released`, { ...details, otherSnapshotId: other.id });
  snap.members.push({ device: dev.name, trackerId: dev.tracker.trackerId });
  // After TAKE the module answers 0 but gives the device no image and no COW.
  core.saveState();
}
