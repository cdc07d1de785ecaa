// The file-backed emulator of the blksnap module (spec §1–3, flavours §4–6, differences §9):
// the module interface (BlksnapControl) and the emulator's extras. All file I/O is synchronous
// inside each call, so every operation is atomic with respect to the others and the write order
// that crash safety depends on is the order of the code. State and shared helpers: core.ts.
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { appError, BlksnapError, errnoError, type ErrnoName } from '../../../shared/errors';
import type {
  BackendInfo, BlockDevice, CbtInfo, DiffStorageUsage, ModuleParameters, ModuleVersion, SectorRange,
  SnapshotCreateRequest, SnapshotDeviceInfo, SnapshotEvent,
} from '../../../shared/schemas';
import type { EmulatorControl, WaitOptions } from '../types';
import { CbtMap } from './cbt-map';
import { CowLog } from './cow-log';
import { EmulatedDevice, MAX_DEVICE_BYTES, SECTOR, DEVICE_MAJOR, type DeviceFlags } from './device';
import { DiffStorage, type StorageEvent, type StorageState, type StorageTarget } from './diff-storage';
import { EmulatorCore, deviceNameOf, type EmulatorFault } from './core';
import { FLAVOURS, imageName, type Flavour } from './flavours';
import { Snapshot } from './snapshot';
import { ioTarget, readImage, writeImage, writeOriginal } from './io';
import { applyLoadFixups, chunkShift, defaultParameters, parameterProblem } from './parameters';
import { restore } from './restore';
import { openAppendTarget, openPathStorage, rangeProblem } from './storage-open';
import { readStateFile } from './state-file';
import { acquireStateLock } from './state-lock';

export type { EmulatorFault } from './core';

export interface EmulatorOptions {
  stateDir: string;
  flavour?: Flavour;
  hz?: number;
  parameters?: Partial<ModuleParameters>;
  /**
   * Refuse what the kernel client refuses before any ioctl (EGUARD), so both backends answer
   * alike: a second v1 snapshot, a v1 TAKE without storage, count-0 and past-the-end CBTDIRTY
   * ranges. Off by default: the emulator then behaves as the module does (spec §9).
   */
  clientGuards?: boolean;
}

export interface CreateDeviceOptions {
  minIoBytes?: number;
  integrity?: boolean;
  inlineEncryption?: boolean;
}

export interface ImageInfo {
  path: string;
  name: string;
  /** The original device's path. */
  device: string;
  snapshotId: string;
  /** 0 or the negative errno of the corrupted area. */
  errorCode: number;
  capacitySectors: number;
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/;
const IMAGE_NAME_RE = /^(blksnap-|veeamblksnapimg|vbsnap-|blksnap-image)/;

export class Emulator extends EmulatorCore implements EmulatorControl {
  info: BackendInfo = this.makeInfo('');

  static async open(opts: EmulatorOptions): Promise<Emulator> {
    const stateDir = path.resolve(opts.stateDir);
    fs.mkdirSync(stateDir, { recursive: true });
    for (const sub of ['devices', 'cbt', 'snapshots']) fs.mkdirSync(path.join(stateDir, sub), { recursive: true });
    const lock = acquireStateLock(stateDir);
    try {
      const saved = readStateFile(stateDir);
      const flavour = opts.flavour ?? saved?.flavour ?? 'upstream';
      if (!FLAVOURS.includes(flavour)) throw appError('EBADARG', `unknown emulator flavour "${String(flavour)}" (use ${FLAVOURS.join(', ')})`);
      if (saved && saved.flavour !== flavour && saved.snapshots.length > 0) {
        throw appError('EBADARG', `${stateDir} holds ${saved.flavour} snapshots; it cannot be opened as the ${flavour} flavour until they are destroyed`, {
          stateDir, savedFlavour: saved.flavour, flavour,
        });
      }
      const hz = opts.hz ?? saved?.hz ?? 250;
      if (!Number.isInteger(hz) || hz < 1 || hz > 10_000) throw appError('EBADARG', `hz must be a whole number from 1 to 10000, got ${hz}`);
      const base = saved && saved.flavour === flavour ? saved.parameters : defaultParameters(flavour);
      const update = opts.parameters ?? {};
      const problem = parameterProblem(base, update);
      if (problem) throw appError('EBADARG', problem);
      const params = applyLoadFixups({ ...base, ...(update as ModuleParameters) });
      const emu = new Emulator(stateDir, flavour, hz, params, lock, opts.clientGuards ?? false);
      if (lock.reclaimedFrom) {
        emu.recoveryNotes.push(`the previous owner (pid ${lock.reclaimedFrom.pid}) ended without closing; its lock was reclaimed`);
      }
      if (saved) restore(emu, saved);
      emu.info = emu.makeInfo(emu.recoveryNotes.join('; '));
      emu.saveState(false);
      return emu;
    } catch (err) {
      lock.release();
      throw err;
    }
  }

  private makeInfo(notes: string): BackendInfo {
    const r = this.rules;
    const reason = `file-backed emulator of ${r.dialectLabel.replace(' (emulated)', '')} in ${this.stateDir}`
      + (notes ? `; reopened after repair: ${notes}` : '');
    return {
      kind: 'emulator', dialect: r.dialect, dialectLabel: r.dialectLabel, verified: r.verified, reason,
      version: { ...r.version }, controlNode: null, capabilities: structuredClone(r.capabilities), stateDir: this.stateDir,
    };
  }

  async version(): Promise<ModuleVersion> {
    this.ensureOpen();
    return { ...this.rules.version };
  }

  async parameters(): Promise<ModuleParameters> {
    this.ensureOpen();
    return { ...this.params };
  }

  async listDevices(): Promise<BlockDevice[]> {
    this.ensureOpen();
    return [...this.devices.values()].map((d) => this.blockDevice(d));
  }

  async attach(devicePath: string): Promise<void> {
    this.ensureOpen();
    const op = this.rules.op.attach;
    if (this.flavour === 'v1') {
      throw appError('EUNSUPPORTED', `v1 has no attach: trackers appear when SNAPSHOT_CREATE lists ${devicePath}`, { device: devicePath, dialect: 'v1' });
    }
    const dev = this.filterDevice(op, devicePath);
    if (dev.tracker) throw errnoError('EALREADY', op, `${devicePath} is already tracked by blksnap`, { device: devicePath });
    dev.tracker = CbtMap.create(this.mapPath(dev.name), this.nextTrackerId++, dev.capacityBytes, this.params);
    this.saveState();
  }

  async detach(devicePath: string): Promise<void> {
    this.ensureOpen();
    const op = this.rules.op.detach;
    const dev = this.filterDevice(op, devicePath);
    if (!dev.tracker) {
      throw this.flavour === 'v1'
        ? errnoError('ENODATA', op, `${devicePath} is not tracked`, { device: devicePath })
        : errnoError('ENOENT', op, `${devicePath} has no blksnap filter attached`, { device: devicePath });
    }
    if (this.flavour === 'v1') {
      const holder = this.holderOf(dev.name);
      if (holder?.taken) {
        throw errnoError('EBUSY', op, `${devicePath} is in the taken snapshot ${holder.id}; destroy it first`, { device: devicePath, snapshotId: holder.id });
      }
    }
    // v2 (spec E3): allowed even in a taken snapshot; its area keeps the old tracker id, so COW stops.
    dev.tracker.remove();
    dev.tracker = null;
    this.rebuildCowIndex();
    this.saveState();
  }

  async cbtInfo(devicePath: string): Promise<CbtInfo> {
    this.ensureOpen();
    const map = this.trackerOf(this.rules.op.cbtInfo, devicePath);
    return {
      deviceCapacityBytes: map.capacityBytes, blockSizeBytes: map.blockSizeBytes, blockCount: map.blockCount,
      generationId: map.generation, changesNumber: map.previous,
    };
  }

  async cbtMap(devicePath: string, offsetBlocks: number, lengthBlocks: number): Promise<Uint8Array> {
    this.ensureOpen();
    const op = this.rules.op.cbtMap;
    checkU32(op, 'offsetBlocks', offsetBlocks);
    checkU32(op, 'lengthBlocks', lengthBlocks);
    const map = this.trackerOf(op, devicePath);
    const details = { device: devicePath, offsetBlocks, lengthBlocks, blockCount: map.blockCount };
    if (this.flavour === 'v1') {
      const dev = this.devices.get(deviceNameOf(devicePath) ?? '');
      if (!dev || !this.holderOf(dev.name)?.taken) {
        throw errnoError('EPERM', op, `v1 reads the CBT map of ${devicePath} only while it is in a taken snapshot`, details);
      }
      if (map.corrupted) throw errnoError('EFAULT', op, `the CBT map of ${devicePath} is corrupted (the device grew while tracked)`, details);
      if (offsetBlocks >= map.blockCount) {
        throw errnoError('EINVAL', op, `offset ${offsetBlocks} is not below the block count ${map.blockCount}`, details);
      }
      const end = Math.min(map.blockCount, offsetBlocks + lengthBlocks);
      return map.readMap.slice(offsetBlocks, end);
    }
    if (map.corrupted) throw errnoError('EFAULT', op, `the CBT map of ${devicePath} is corrupted (a write past its end); the next take resets it`, details);
    // E1: the module's check wraps for offset > block_count; the emulator answers ENODATA.
    if (offsetBlocks > map.blockCount || lengthBlocks > map.blockCount - offsetBlocks) {
      throw errnoError('ENODATA', op, `blocks ${offsetBlocks}+${lengthBlocks} reach past the map's ${map.blockCount} blocks`, details);
    }
    return map.readMap.slice(offsetBlocks, offsetBlocks + lengthBlocks);
  }

  async cbtDirty(devicePath: string, ranges: SectorRange[]): Promise<void> {
    this.ensureOpen();
    const op = this.rules.op.cbtDirty;
    for (const [i, r] of ranges.entries()) {
      if (!Number.isSafeInteger(r.offsetSectors) || r.offsetSectors < 0 || !Number.isSafeInteger(r.countSectors) || r.countSectors < 0) {
        throw errnoError('ENODATA', op, `range ${i} is not a pair of unsigned sector numbers`, { device: devicePath, range: i });
      }
    }
    if (this.clientGuards) this.guardDirtyRanges(op, devicePath, ranges);
    let map: CbtMap;
    if (this.flavour === 'v1') {
      // An image's dev_t marks its original (spec §6.2).
      const loc = this.locate(devicePath);
      const dev = loc?.kind === 'image' ? this.devices.get(loc.area.device) : loc?.device;
      if (!dev?.tracker) throw errnoError('ENODEV', op, `${devicePath} is not tracked (nor the image of a tracked device)`, { device: devicePath });
      map = dev.tracker;
    } else {
      map = this.trackerOf(op, devicePath);
    }
    const result = map.markDirty(ranges);
    if (result.ok) return;
    if (result.reason === 'corrupted') throw errnoError('EINVAL', op, `the CBT map of ${devicePath} is corrupted`, { device: devicePath });
    const r = ranges[result.rangeIndex] as SectorRange;
    throw errnoError('EINVAL', op, `range ${result.rangeIndex} (sector ${r.offsetSectors}, count ${r.countSectors}) reaches past the end of ${devicePath}; earlier ranges were applied and this one's write map was marked to the map's end`, {
      device: devicePath, range: result.rangeIndex, blockCount: map.blockCount,
    });
  }

  private guardDirtyRanges(op: string, devicePath: string, ranges: SectorRange[]): void {
    const loc = this.locate(devicePath);
    const capacity = loc?.kind === 'device' ? loc.device.capacitySectors : loc?.kind === 'image' ? loc.area.capacitySectors : null;
    for (const r of ranges) {
      if (r.countSectors === 0) {
        throw appError('EGUARD', `${op}: a range with count 0 at sector ${r.offsetSectors} is refused before any call (count 0 marks whole maps or fails after partial application: spec §2)`, { device: devicePath });
      }
      if (capacity !== null && r.offsetSectors + r.countSectors > capacity) {
        throw appError('EGUARD', `${op}: range ${r.offsetSectors}+${r.countSectors} ends past ${devicePath}'s ${capacity} sectors; nothing applied (the module would apply the earlier ranges, then fail)`, { device: devicePath, capacitySectors: capacity });
      }
    }
  }

  async snapshotCreate(request: SnapshotCreateRequest): Promise<string> {
    this.ensureOpen();
    const limit = request.diffStorageLimitSectors;
    if (!Number.isSafeInteger(limit) || limit < 0) {
      throw errnoError('ENODATA', 'SNAPSHOT_CREATE', `the limit ${String(limit)} is not an unsigned sector count`);
    }
    return this.flavour === 'v1' ? this.createV1(request) : this.createV2(request);
  }

  private createV2(request: SnapshotCreateRequest): string {
    const op = 'SNAPSHOT_CREATE';
    const id = randomUUID();
    const limit = request.diffStorageLimitSectors;
    const minimum = this.params.diff_storage_minimum ?? 2_097_152;
    const events: StorageEvent[] = [];
    let state: StorageState;
    const targets = new Map<string, StorageTarget>();
    const p = request.diffStoragePath;
    if (p === null) {
      if (!this.rules.capabilities.appendStorage) {
        throw errnoError('EFAULT', op, 'the difference storage path is required (a null path pointer)', { dialect: this.rules.dialect });
      }
      const portion = Math.min(minimum, limit);
      state = this.storageState('ranges', null, false, limit, portion, 0, 0, portion > 0);
      if (portion > 0) events.push({ kind: 'low_free_space', requestedSectors: portion });
    } else {
      state = openPathStorage(this, op, id, p, limit, targets);
    }
    const snap = new Snapshot(id, Date.now(), new DiffStorage(state, this.storagePolicy(), targets));
    this.snapshots.set(id, snap);
    for (const e of events) this.emitStorageEvent(snap, e, false);
    this.saveState();
    return id;
  }

  private createV1(request: SnapshotCreateRequest): string {
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
    const existing = [...this.snapshots.values()].filter((s) => s.state === 'listed').map((s) => s.id);
    if (this.clientGuards && existing.length > 0) {
      throw appError('EGUARD', `v1 allows one snapshot at a time: the module reaches only the newest snapshot, so creating another would strand ${existing.join(', ')} (images, copy-on-write and devices held until the module is unloaded). Destroy it first.`, { existing: existing.join(',') });
    }
    const devs: EmulatedDevice[] = [];
    for (const p of request.devices) {
      const dev = this.locate(p);
      if (dev?.kind !== 'device') throw errnoError('ENOENT', op, `${p} is not an emulated block device`, { device: p });
      if (devs.includes(dev.device)) throw errnoError('EINVAL', op, `${p} is listed twice`, { device: p });
      const holder = this.holderOf(dev.device.name);
      if (holder) throw errnoError('EALREADY', op, `${p} already belongs to snapshot ${holder.id}`, { device: p, snapshotId: holder.id });
      devs.push(dev.device);
    }
    for (const dev of devs) {
      dev.tracker ??= CbtMap.create(this.mapPath(dev.name), this.nextTrackerId++, dev.capacityBytes, this.params);
    }
    // Only the newest snapshot stays reachable (spec §6.3): earlier ones drop out of the list.
    for (const s of this.snapshots.values()) if (s.state === 'listed') s.state = 'unreachable';
    const minimum = this.params.diff_storage_minimum ?? 2_097_152;
    const state = this.storageState('ranges', null, false, request.diffStorageLimitSectors, minimum, 0, 0, true);
    const id = randomUUID();
    const snap = new Snapshot(id, Date.now(), new DiffStorage(state, this.storagePolicy(), new Map()));
    for (const dev of devs) snap.members.push({ device: dev.name, trackerId: (dev.tracker as CbtMap).trackerId });
    this.snapshots.set(id, snap);
    this.emitStorageEvent(snap, { kind: 'low_free_space', requestedSectors: minimum }, false);
    this.saveState();
    return id;
  }

  async snapshotAdd(id: string, devicePath: string): Promise<void> {
    this.ensureOpen();
    const op = this.rules.op.add;
    if (this.flavour === 'v1') {
      throw appError('EUNSUPPORTED', `v1 fixes the device list at SNAPSHOT_CREATE: ${devicePath} cannot be added to ${id} later`, { snapshotId: id, device: devicePath, dialect: 'v1' });
    }
    const dev = this.filterDevice(op, devicePath);
    if (!dev.tracker) throw errnoError('ENOENT', op, `${devicePath} has no blksnap filter attached; attach it first`, { device: devicePath });
    const snap = this.listed(op, id);
    const details = { device: devicePath, snapshotId: id };
    if (this.flavour !== 'val-7.0' && (dev.flags.integrity || dev.flags.inlineEncryption)) {
      // E2: the module returns EPERM and then oopses; the emulator changes nothing.
      throw errnoError('EPERM', op, `${devicePath} has ${dev.flags.integrity ? 'integrity metadata' : 'inline encryption'}, which blksnap cannot snapshot`, details);
    }
    if (snap.storage.state.mode === 'block' && snap.storage.state.path === dev.path) return; // holds the storage: 0, not added
    if (snap.hasDevice(dev.name)) throw errnoError('EALREADY', op, `${devicePath} is already in snapshot ${id}`, details);
    const other = this.holderOf(dev.name);
    if (other) throw errnoError('EBUSY', op, `${devicePath} is in snapshot ${other.id} until that one is released`, { ...details, otherSnapshotId: other.id });
    snap.members.push({ device: dev.name, trackerId: dev.tracker.trackerId });
    // After TAKE the module answers 0 but gives the device no image and no COW.
    this.saveState();
  }

  async snapshotTake(id: string): Promise<void> {
    this.ensureOpen();
    const op = 'SNAPSHOT_TAKE';
    const snap = this.listed(op, id);
    if (snap.taken) throw errnoError('EALREADY', op, `snapshot ${id} is already taken${snap.brokenAfterSwitch ? ' (a failed take left it so; only DESTROY helps)' : ''}`, { snapshotId: id });
    if (snap.members.length === 0) throw errnoError('ENODEV', op, `snapshot ${id} has no device; add one first`, { snapshotId: id });
    const v1 = this.flavour === 'v1';
    const fail = (code: ErrnoName, meaning: string): BlksnapError => {
      if (v1) this.release(snap); // v1: a failed take destroys the snapshot
      else this.saveState();
      return errnoError(code, op, v1 ? `${meaning}; v1 destroyed the snapshot` : meaning, { snapshotId: id });
    };
    if (this.faults.delete('take-enomem')) throw fail('ENOMEM', 'out of memory before any CBT switch (injected); the take may be retried');
    if (v1 && this.clientGuards && snap.storage.state.capacity === 0) {
      throw appError('EGUARD', `snapshot ${id} has no difference storage yet: v1 TAKE would fail (EFAULT) and destroy the snapshot. Answer its first low_free_space event with storage (the stretch service does) before taking it.`, { snapshotId: id });
    }
    if (v1 && snap.storage.state.capacity === 0) throw fail('EFAULT', `no difference storage was appended to ${id} before TAKE`);
    const plans: { dev: EmulatedDevice; shift: number }[] = [];
    for (const m of snap.members) {
      const dev = this.devices.get(m.device) as EmulatedDevice;
      const capacityBytes = dev.tracker?.trackerId === m.trackerId ? dev.capacityBytes : dev.capacityBytes;
      const shift = chunkShift(this.rules.chunkRule, capacityBytes, dev.flags.minIoBytes, this.params);
      if (shift === null) throw fail('EFAULT', `the chunk size for ${dev.path} would exceed chunk_maximum_shift`);
      plans.push({ dev, shift });
    }
    for (const { dev } of plans) {
      const map = dev.tracker;
      if (map && snap.members.some((m) => m.device === dev.name && m.trackerId === map.trackerId)) {
        if (map.switchAtTake(dev.capacityBytes, this.params, this.rules.copyBeforeIncrement)) {
          this.recoveryNotes.push(`CBT of ${dev.path} reset at take (capacity changed or map corrupted): new generation ${map.generation}`);
        }
      }
    }
    snap.taken = true;
    if (this.faults.delete('take-after-switch')) {
      snap.brokenAfterSwitch = true;
      throw fail('EFAULT', `an area of ${id} went corrupted right after the CBT switch (injected); the snapshot stays marked taken`);
    }
    const usedMinors = new Set([...this.snapshots.values()].flatMap((s) => s.areas.map((a) => a.imageMinor)));
    snap.areas = plans.map(({ dev, shift }) => {
      let imageMinor = 0;
      while (usedMinors.has(imageMinor)) imageMinor += 1;
      usedMinors.add(imageMinor);
      const member = snap.members.find((m) => m.device === dev.name) as { trackerId: number };
      return {
        device: dev.name, trackerId: member.trackerId, chunkShift: shift, chunks: new Map<number, number>(), errorCode: 0,
        imageName: imageName(this.flavour, DEVICE_MAJOR, dev.minor, imageMinor), imageMinor,
        capacitySectors: dev.tracker?.trackerId === member.trackerId ? dev.tracker.capacityBytes / SECTOR : dev.capacitySectors,
      };
    });
    snap.log = CowLog.create(this.logPath(id));
    this.rebuildCowIndex();
    this.saveState();
  }

  async snapshotCollect(): Promise<string[]> {
    this.ensureOpen();
    return [...this.snapshots.values()].filter((s) => s.state === 'listed').map((s) => s.id);
  }

  async snapshotDestroy(id: string): Promise<void> {
    this.ensureOpen();
    const snap = this.snapshots.get(id);
    if (!snap || snap.state !== 'listed') throw errnoError('ENODEV', 'SNAPSHOT_DESTROY', `no snapshot ${id} is listed`, { snapshotId: id });
    snap.state = 'releasing';
    // Released with its last reference: after every wait in progress on it returns.
    if (snap.events.waiting === 0) this.release(snap);
    else this.saveState();
  }

  async snapshotInfo(devicePath: string): Promise<SnapshotDeviceInfo> {
    this.ensureOpen();
    const op = this.rules.op.info;
    if (this.flavour === 'v1') {
      const loc = this.locate(devicePath);
      if (loc?.kind !== 'device') throw errnoError('ENODEV', op, `${devicePath} is not an emulated block device`, { device: devicePath });
      const snap = this.holderOf(loc.device.name);
      const area = snap?.state === 'listed' ? snap.areaOf(loc.device.name) : undefined;
      return { errorCode: 0, image: area?.imageName ?? '' };
    }
    const dev = this.filterDevice(op, devicePath);
    if (!dev.tracker) throw errnoError('ENOENT', op, `${devicePath} has no blksnap filter attached`, { device: devicePath });
    const area = this.holderOf(dev.name)?.areaOf(dev.name);
    return area ? { errorCode: area.errorCode, image: area.imageName } : { errorCode: 0, image: '' };
  }

  async waitEvent(id: string, timeoutTicks: number, options?: WaitOptions): Promise<SnapshotEvent | null> {
    this.ensureOpen();
    const op = 'SNAPSHOT_WAIT_EVENT';
    if (!Number.isInteger(timeoutTicks) || timeoutTicks < 0 || timeoutTicks > 0xffffffff) {
      throw errnoError('EINVAL', op, `timeoutTicks must be an unsigned 32-bit number of ticks, got ${timeoutTicks}`, { snapshotId: id });
    }
    const snap = this.listed(op, id);
    const deadline = performance.now() + (timeoutTicks * 1000) / this.hz;
    try {
      for (;;) {
        const event = snap.events.shift();
        if (event) {
          this.saveState();
          return event;
        }
        const remaining = deadline - performance.now();
        if (remaining <= 0 || this.closed) return null;
        const reason = await snap.events.waitForPush(remaining, options?.signal);
        if (reason === 'abort') return null;
      }
    } finally {
      if (snap.state === 'releasing' && snap.events.waiting === 0 && this.snapshots.has(id) && !this.closed) this.release(snap);
    }
  }

  async appendStorage(id: string, devicePath: string, ranges: SectorRange[]): Promise<void> {
    this.ensureOpen();
    const op = 'SNAPSHOT_APPEND_STORAGE';
    if (!this.rules.capabilities.appendStorage) {
      throw appError('EUNSUPPORTED', `${this.rules.dialectLabel} has no SNAPSHOT_APPEND_STORAGE: the kernel grows the storage file itself`, { dialect: this.rules.dialect });
    }
    const snap = this.listed(op, id);
    const { handle, capacitySectors } = openAppendTarget(this, op, devicePath);
    const problem = rangeProblem(this, snap, devicePath, capacitySectors, ranges);
    if (problem) {
      handle.owned?.close();
      throw appError('EBADARG', `${op}: ${problem} (the module would accept it unchecked; the emulator refuses)`, { snapshotId: id, device: devicePath });
    }
    if (snap.storage.mode !== 'ranges') {
      handle.owned?.close();
      return; // a path-mode snapshot answers 0 and does not use the ranges (measured on VAL-7.0)
    }
    snap.storage.append(devicePath, handle, ranges);
    this.saveState();
  }

  async diffStorageUsage(id: string): Promise<DiffStorageUsage> {
    this.ensureOpen();
    const s = this.listed('diffStorageUsage', id).storage.state;
    return {
      filledSectors: s.filled, requestedSectors: s.requested, capacitySectors: s.capacity,
      limitSectors: this.flavour === 'v1' ? null : s.limit, overflowed: s.overflow,
      source: `emulator (${s.mode} storage${s.path ? ` ${s.path}` : ''})`,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.saveState(true);
    this.closed = true;
    for (const snap of this.snapshots.values()) {
      snap.events.abortAll();
      snap.log?.close();
      snap.storage.close();
    }
    for (const dev of this.devices.values()) {
      dev.tracker?.close();
      dev.close();
    }
    this.lock.release();
  }

  async createDevice(name: string, capacityBytes: number, options: CreateDeviceOptions = {}): Promise<BlockDevice> {
    this.ensureOpen();
    if (!NAME_RE.test(name) || IMAGE_NAME_RE.test(name)) {
      throw appError('EBADARG', `"${name}" is not a usable device name: 1–32 letters, digits, '.', '_' or '-', not starting like an image name (blksnap-, veeamblksnapimg, vbsnap-)`, { name });
    }
    if (this.devices.has(name)) throw errnoError('EEXIST', 'createDevice', `/dev/${name} already exists`, { device: `/dev/${name}` });
    if (!Number.isSafeInteger(capacityBytes) || capacityBytes <= 0 || capacityBytes % SECTOR !== 0 || capacityBytes > MAX_DEVICE_BYTES) {
      throw appError('EBADARG', `capacity ${capacityBytes} bytes must be a positive multiple of 512 up to 16 TiB`, { name, capacityBytes });
    }
    const minIo = options.minIoBytes ?? SECTOR;
    if (!Number.isSafeInteger(minIo) || minIo < SECTOR || (minIo & (minIo - 1)) !== 0) {
      throw appError('EBADARG', `minimum I/O size ${minIo} must be a power of two of at least 512 bytes`, { name });
    }
    const flags: DeviceFlags = { minIoBytes: minIo, integrity: options.integrity ?? false, inlineEncryption: options.inlineEncryption ?? false };
    const dev = EmulatedDevice.create(name, this.nextMinor++, capacityBytes, flags, this.devicePath(name));
    this.devices.set(name, dev);
    this.saveState();
    return this.blockDevice(dev);
  }

  async removeDevice(name: string): Promise<void> {
    this.ensureOpen();
    const dev = this.devices.get(name);
    if (!dev) throw errnoError('ENOENT', 'removeDevice', `/dev/${name} does not exist`, { device: `/dev/${name}` });
    const user = this.storageUser(dev.path);
    const busy = dev.tracker ? 'it is tracked (detach it first)'
      : this.holderOf(name) ? `it is in snapshot ${this.holderOf(name)?.id}` : user ? `it holds the difference storage of snapshot ${user.id}` : null;
    if (busy) throw errnoError('EBUSY', 'removeDevice', `/dev/${name} cannot be removed: ${busy}`, { device: dev.path });
    dev.removeFiles();
    this.devices.delete(name);
    this.saveState();
  }

  /** Changes an emulated device's capacity (a resize while tracked corrupts or resets its CBT). */
  async resizeDevice(name: string, capacityBytes: number): Promise<BlockDevice> {
    this.ensureOpen();
    const dev = this.devices.get(name);
    if (!dev) throw errnoError('ENOENT', 'resizeDevice', `/dev/${name} does not exist`, { device: `/dev/${name}` });
    if (!Number.isSafeInteger(capacityBytes) || capacityBytes <= 0 || capacityBytes % SECTOR !== 0 || capacityBytes > MAX_DEVICE_BYTES) {
      throw appError('EBADARG', `capacity ${capacityBytes} bytes must be a positive multiple of 512 up to 16 TiB`, { name, capacityBytes });
    }
    dev.resize(capacityBytes);
    this.saveState();
    return this.blockDevice(dev);
  }

  async setParameters(update: ModuleParameters): Promise<ModuleParameters> {
    this.ensureOpen();
    const problem = parameterProblem(this.params, update);
    if (problem) throw appError('EBADARG', problem);
    this.params = applyLoadFixups({ ...this.params, ...update });
    this.saveState();
    return { ...this.params };
  }

  injectFault(fault: EmulatorFault): void {
    this.faults.add(fault);
  }

  /** Snapshot images that exist now (taken snapshots, including v1's unreachable ones). */
  listImages(): ImageInfo[] {
    return [...this.snapshots.values()].flatMap((s) => s.areas.map((a) => ({
      path: `/dev/${a.imageName}`, name: a.imageName, device: `/dev/${a.device}`, snapshotId: s.id, errorCode: a.errorCode,
      capacitySectors: a.capacitySectors,
    })));
  }

  /** v1: what unloading the module does to snapshots a newer create made unreachable. */
  async releaseUnreachable(): Promise<string[]> {
    this.ensureOpen();
    const gone = [...this.snapshots.values()].filter((s) => s.state === 'unreachable');
    for (const s of gone) this.release(s);
    return gone.map((s) => s.id);
  }

  async write(p: string, offsetBytes: number, data: Uint8Array): Promise<void> {
    this.ensureOpen();
    const loc = ioTarget(this, 'write', p, offsetBytes, data.length);
    if (data.length === 0) return;
    if (loc.kind === 'device') writeOriginal(this, loc.device, offsetBytes, data);
    else writeImage(this, loc.snapshot, loc.area, offsetBytes, data);
  }

  async read(p: string, offsetBytes: number, lengthBytes: number): Promise<Uint8Array> {
    this.ensureOpen();
    const loc = ioTarget(this, 'read', p, offsetBytes, lengthBytes);
    const out = new Uint8Array(lengthBytes);
    if (lengthBytes === 0) return out;
    if (loc.kind === 'device') loc.device.readInto(out, offsetBytes);
    else readImage(this, loc.snapshot, loc.area, offsetBytes, out);
    return out;
  }

}

function checkU32(op: string, name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw errnoError('ENODATA', op, `${name} ${v} is not an unsigned 32-bit number`, { [name]: v });
}
