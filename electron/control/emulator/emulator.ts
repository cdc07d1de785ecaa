// The file-backed emulator of the blksnap module (spec §1–3, flavours §4–6, differences §9).
// All file I/O is synchronous inside each call, so every operation is atomic with respect to
// the others and the write order that crash safety depends on is the order of the code.
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { appError, BlksnapError, errnoError, ERRNO, type ErrnoName } from '../../../shared/errors';
import type {
  BackendInfo, BlockDevice, CbtInfo, DiffStorageUsage, ModuleParameters, ModuleVersion, SectorRange,
  SnapshotCreateRequest, SnapshotDeviceInfo, SnapshotEvent,
} from '../../../shared/schemas';
import type { EmulatorControl, WaitOptions } from '../types';
import { CbtMap } from './cbt-map';
import { CowLog, type CowRecord } from './cow-log';
import { DEVICE_MAJOR, EmulatedDevice, FileIo, MAX_DEVICE_BYTES, SECTOR, type DeviceFlags } from './device';
import { DiffStorage, type StorageEvent, type StorageState, type StorageTarget } from './diff-storage';
import { monotonicNs } from './event-queue';
import { FLAVOUR_RULES, FLAVOURS, imageName, type Flavour, type FlavourRules } from './flavours';
import { applyLoadFixups, chunkShift, defaultParameters, parameterProblem } from './parameters';
import { Snapshot, snapshotRecord, type DiffArea, type SnapshotRecord } from './snapshot';
import { readStateFile, writeStateFile, type StateFile } from './state-file';
import { acquireStateLock, type StateLock } from './state-lock';

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

/** Emulator-only fault injection (spec E5), one-shot. */
export type EmulatorFault = 'take-enomem' | 'take-after-switch';

export interface CreateDeviceOptions {
  minIoBytes?: number;
  integrity?: boolean;
  inlineEncryption?: boolean;
}

export interface ImageInfo { path: string; name: string; device: string; snapshotId: string; errorCode: number }

const PATH_MAX = 4096;
/** Copy-on-write moves at most this much per read/write pair. */
const MAX_RUN_BYTES = 4 * 2 ** 20;
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/;
const IMAGE_NAME_RE = /^(blksnap-|veeamblksnapimg|vbsnap-|blksnap-image)/;

type Located = { kind: 'device'; device: EmulatedDevice } | { kind: 'image'; snapshot: Snapshot; area: DiffArea };

export class Emulator implements EmulatorControl {
  info: BackendInfo;
  readonly hz: number;
  readonly flavour: Flavour;
  /** What reopening the state found and repaired (unclean shutdown, reset maps, ...). */
  readonly recoveryNotes: string[] = [];
  private readonly rules: FlavourRules;
  private params: ModuleParameters;
  private readonly devices = new Map<string, EmulatedDevice>();
  /** Every snapshot the module still holds: listed, releasing or (v1) unreachable. */
  private readonly snapshots = new Map<string, Snapshot>();
  /** Device name → the taken snapshot area that copies its writes. */
  private readonly cowIndex = new Map<string, { snapshot: Snapshot; area: DiffArea; index: number }>();
  private readonly faults = new Set<EmulatorFault>();
  private nextMinor = 0;
  private nextTrackerId = 1;
  private closed = false;
  private ioBuffer = Buffer.alloc(0);
  private zeros = Buffer.alloc(0);
  private savedSnapshotIds: string[] = [];

  private constructor(
    readonly stateDir: string,
    flavour: Flavour,
    hz: number,
    params: ModuleParameters,
    private readonly lock: StateLock,
    private readonly clientGuards: boolean,
  ) {
    this.flavour = flavour;
    this.rules = FLAVOUR_RULES[flavour];
    this.hz = hz;
    this.params = params;
    this.info = this.makeInfo('');
  }

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
      if (saved) emu.restore(saved);
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

  // ---------------------------------------------------------------- module interface

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
      state = this.openPathStorage(op, id, p, limit, targets);
    }
    const snap = new Snapshot(id, Date.now(), new DiffStorage(state, this.storagePolicy(), targets));
    this.snapshots.set(id, snap);
    for (const e of events) this.emitStorageEvent(snap, e, false);
    this.saveState();
    return id;
  }

  /** File, directory or emulated block device storage with the create-time gate (§3.6). */
  private openPathStorage(op: string, id: string, p: string, limit: number, targets: Map<string, StorageTarget>): StorageState {
    if (p.length >= PATH_MAX) throw errnoError('EINVAL', op, `the storage path is ${p.length} bytes long, PATH_MAX is ${PATH_MAX}`);
    const minimum = this.params.diff_storage_minimum ?? 2_097_152;
    let mode: 'file' | 'directory' | 'block';
    let storagePath = p;
    let capacity: number;
    let handle: StorageTarget;
    const loc = this.locate(p);
    if (loc?.kind === 'device') {
      const holder = [...this.snapshots.values()].find((s) => s.storage.state.mode === 'block' && s.storage.state.path === p);
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
        storagePath = path.join(p, `.blksnap-emulator-diff-${id}`);
        handle = ownedFile(fs.openSync(storagePath, 'wx+', 0o600), 0);
        capacity = 0;
      } else if (st.isFile()) {
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
      if (handle.owned) fs.ftruncateSync(handle.owned.fd, requested * SECTOR); // the create-time fallocate
      capacity = requested;
      handle.capacitySectors = capacity;
    }
    targets.set(storagePath, handle);
    const state = this.storageState(mode, storagePath, mode === 'directory', limit, requested, capacity, 4096, false);
    if (mode !== 'block') state.zeroFrom = mode === 'directory' ? 0 : initialSectors;
    return state;
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
    const { handle, capacitySectors } = this.openAppendTarget(op, devicePath);
    const problem = this.rangeProblem(snap, devicePath, capacitySectors, ranges);
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

  private openAppendTarget(op: string, p: string): { handle: StorageTarget; capacitySectors: number } {
    const loc = this.locate(p);
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
    const capacitySectors = Math.floor(st.size / SECTOR);
    return { handle: ownedFile(fs.openSync(p, 'r+'), capacitySectors), capacitySectors };
  }

  private rangeProblem(snap: Snapshot, target: string, capacitySectors: number, ranges: SectorRange[]): string | null {
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

  // ---------------------------------------------------------------- emulator extras (E5)

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
    const loc = this.ioTarget('write', p, offsetBytes, data.length);
    if (data.length === 0) return;
    if (loc.kind === 'device') this.writeOriginal(loc.device, offsetBytes, data);
    else this.writeImage(loc.snapshot, loc.area, offsetBytes, data);
  }

  async read(p: string, offsetBytes: number, lengthBytes: number): Promise<Uint8Array> {
    this.ensureOpen();
    const loc = this.ioTarget('read', p, offsetBytes, lengthBytes);
    const out = new Uint8Array(lengthBytes);
    if (lengthBytes === 0) return out;
    if (loc.kind === 'device') loc.device.readInto(out, offsetBytes);
    else this.readImage(loc.snapshot, loc.area, offsetBytes, out);
    return out;
  }

  // ---------------------------------------------------------------- I/O paths

  private ioTarget(op: 'read' | 'write', p: string, offsetBytes: number, lengthBytes: number): Located {
    const loc = this.locate(p);
    if (!loc) throw errnoError('ENOENT', op, `${p} is neither an emulated device nor a snapshot image`, { path: p });
    for (const [what, v] of [['offset', offsetBytes], ['length', lengthBytes]] as const) {
      if (!Number.isSafeInteger(v) || v < 0) throw errnoError('EINVAL', op, `${what} ${v} is not a whole number of bytes`, { path: p });
      if (v % SECTOR !== 0) throw errnoError('EINVAL', op, `${what} ${v} is not a multiple of the 512-byte sector (I/O is sector-aligned, like O_DIRECT)`, { path: p, [what]: v });
    }
    const capacity = loc.kind === 'device' ? loc.device.capacityBytes : loc.area.capacitySectors * SECTOR;
    if (offsetBytes + lengthBytes > capacity) {
      throw errnoError('EINVAL', op, `bytes ${offsetBytes}..${offsetBytes + lengthBytes} lie past the end of ${p} (${capacity} bytes)`, { path: p, capacityBytes: capacity });
    }
    if (loc.kind === 'image' && loc.area.errorCode !== 0) {
      const code = this.rules.imageErrorCode;
      throw errnoError(code, op, `the image ${p} failed: its difference area is corrupted (error ${loc.area.errorCode})`, { path: p, errorCode: loc.area.errorCode });
    }
    return loc;
  }

  /** A write to an original: CBT first, then the COW copies and their journal, then the data. */
  private writeOriginal(dev: EmulatedDevice, offsetBytes: number, data: Uint8Array): void {
    const map = dev.tracker;
    const mapOk = map ? map.markWrite(offsetBytes / SECTOR, data.length / SECTOR) : false;
    const cow = mapOk ? this.cowIndex.get(dev.name) : undefined;
    if (cow && cow.area.errorCode === 0) this.copyChunks(cow.snapshot, cow.area, cow.index, dev, offsetBytes, data.length);
    dev.writeFrom(data, offsetBytes);
  }

  /** Copies the not yet copied chunks of [offset, offset+length) to the storage; false on failure. */
  private copyChunks(snap: Snapshot, area: DiffArea, index: number, dev: EmulatedDevice, offsetBytes: number, lengthBytes: number): boolean {
    const chunkBytes = 2 ** area.chunkShift;
    const chunkSectors = chunkBytes / SECTOR;
    const first = Math.floor(offsetBytes / chunkBytes);
    const last = Math.floor((offsetBytes + lengthBytes - 1) / chunkBytes);
    const storage = snap.storage;
    const before = storageFingerprint(storage.state);
    const events: StorageEvent[] = [];
    const plan: CowRecord[] = [];
    let failed: ErrnoName | null = null;
    for (let c = first; c <= last; c++) {
      if (area.chunks.has(c)) continue;
      const at = storage.allocate(chunkSectors, events);
      if (at === null) {
        failed = 'ENOSPC';
        break;
      }
      plan.push({ area: index, chunk: c, storageSector: at });
    }
    // Runs of neighbouring chunks with neighbouring slots move with one read and one write.
    const records: CowRecord[] = [];
    for (let i = 0; i < plan.length && !failed;) {
      let j = i + 1;
      while (j < plan.length && (j - i + 1) * chunkBytes <= MAX_RUN_BYTES
        && (plan[j] as CowRecord).chunk === (plan[j - 1] as CowRecord).chunk + 1
        && (plan[j] as CowRecord).storageSector === (plan[j - 1] as CowRecord).storageSector + chunkSectors) j++;
      const run = plan.slice(i, j);
      const head = run[0] as CowRecord;
      const buf = this.runBuffer(run.length * chunkBytes);
      const start = head.chunk * chunkBytes;
      const inDevice = Math.min(buf.length, area.capacitySectors * SECTOR - start);
      if (inDevice < buf.length) buf.fill(0, inDevice);
      dev.readInto(buf.subarray(0, inDevice), start);
      // A zero run into never-written storage reads back as zeros already (sparse devices are common).
      const skip = storage.knownZero(head.storageSector) && buf.equals(this.zeroBuffer(buf.length));
      if (!skip && storage.write(head.storageSector, buf)) failed = 'EIO';
      else records.push(...run);
      i = j;
    }
    for (const r of records) area.chunks.set(r.chunk, r.storageSector);
    snap.log?.append(records);
    for (const e of events) this.emitStorageEvent(snap, e, false);
    if (failed) this.corruptArea(snap, area, failed);
    else if (events.length > 0 || storageFingerprint(storage.state) !== before) this.saveState();
    return failed === null;
  }

  private writeImage(snap: Snapshot, area: DiffArea, offsetBytes: number, data: Uint8Array): void {
    const dev = this.devices.get(area.device) as EmulatedDevice;
    const map = dev.tracker;
    if (map && map.trackerId === area.trackerId && !map.corrupted) map.markBoth(offsetBytes / SECTOR, data.length / SECTOR);
    const index = snap.areas.indexOf(area);
    if (!this.copyChunks(snap, area, index, dev, offsetBytes, data.length)) {
      throw errnoError(this.rules.imageErrorCode, 'write', `the image /dev/${area.imageName} failed: its difference area is corrupted (error ${area.errorCode})`, { path: `/dev/${area.imageName}` });
    }
    this.forEachPiece(area, offsetBytes, data.length, (chunk, inChunk, at, len) => {
      const stored = area.chunks.get(chunk) as number;
      const err = snap.storage.write(stored + inChunk / SECTOR, data.subarray(at, at + len));
      if (err) {
        this.corruptArea(snap, area, err);
        throw errnoError(this.rules.imageErrorCode, 'write', `the image /dev/${area.imageName} failed writing its difference storage`, { path: `/dev/${area.imageName}` });
      }
    });
  }

  private readImage(snap: Snapshot, area: DiffArea, offsetBytes: number, out: Uint8Array): void {
    const dev = this.devices.get(area.device) as EmulatedDevice;
    this.forEachPiece(area, offsetBytes, out.length, (chunk, inChunk, at, len) => {
      const piece = out.subarray(at, at + len);
      const stored = area.chunks.get(chunk);
      if (stored === undefined) {
        dev.readInto(piece, offsetBytes + at);
        return;
      }
      if (snap.storage.read(stored + inChunk / SECTOR, piece)) {
        this.corruptArea(snap, area, 'EIO');
        throw errnoError(this.rules.imageErrorCode, 'read', `the image /dev/${area.imageName} failed reading its difference storage`, { path: `/dev/${area.imageName}` });
      }
    });
  }

  private forEachPiece(area: DiffArea, offsetBytes: number, lengthBytes: number, fn: (chunk: number, inChunk: number, at: number, len: number) => void): void {
    const chunkBytes = 2 ** area.chunkShift;
    let at = 0;
    while (at < lengthBytes) {
      const pos = offsetBytes + at;
      const chunk = Math.floor(pos / chunkBytes);
      const inChunk = pos - chunk * chunkBytes;
      const len = Math.min(chunkBytes - inChunk, lengthBytes - at);
      fn(chunk, inChunk, at, len);
      at += len;
    }
  }

  private runBuffer(bytes: number): Buffer {
    if (this.ioBuffer.length < bytes) this.ioBuffer = Buffer.alloc(bytes);
    return this.ioBuffer.subarray(0, bytes);
  }

  private zeroBuffer(bytes: number): Buffer {
    if (this.zeros.length < bytes) this.zeros = Buffer.alloc(bytes);
    return this.zeros.subarray(0, bytes);
  }

  /** The area goes corrupted with −errno and its own `corrupted` event; image I/O fails from now on. */
  private corruptArea(snap: Snapshot, area: DiffArea, code: ErrnoName): void {
    if (area.errorCode !== 0) return;
    const errno = ERRNO[code][0];
    area.errorCode = -errno;
    const dev = this.devices.get(area.device);
    this.pushEvent(snap, 'corrupted', { device: { major: DEVICE_MAJOR, minor: dev?.minor ?? 0 }, errCode: errno, requestedSectors: null });
    this.rebuildCowIndex();
    this.saveState();
  }

  private emitStorageEvent(snap: Snapshot, e: StorageEvent, save = true): void {
    this.pushEvent(snap, e.kind, { device: null, errCode: null, requestedSectors: e.requestedSectors });
    if (save) this.saveState();
  }

  private pushEvent(snap: Snapshot, kind: 'corrupted' | 'no_space' | 'low_free_space', payload: Pick<SnapshotEvent, 'device' | 'errCode' | 'requestedSectors'>): void {
    const code = this.rules.eventCode[kind];
    if (code === undefined) return;
    snap.events.push({ snapshotId: snap.id, code, kind, timeLabelNs: monotonicNs(), ...payload });
  }

  // ---------------------------------------------------------------- lookup helpers

  private locate(p: string): Located | null {
    const name = deviceNameOf(p);
    if (name === null) return null;
    const dev = this.devices.get(name);
    if (dev) return { kind: 'device', device: dev };
    for (const snapshot of this.snapshots.values()) {
      for (const area of snapshot.areas) if (area.imageName === name) return { kind: 'image', snapshot, area };
    }
    return null;
  }

  /** The device a filter call names: ENOENT for a missing path, ENOTBLK for a non-device. */
  private filterDevice(op: string, p: string): EmulatedDevice {
    const loc = this.locate(p);
    if (loc?.kind === 'device') return loc.device;
    if (loc?.kind === 'image') throw errnoError('ENOTBLK', op, `${p} is a snapshot image; the emulator tracks emulated devices only`, { device: p });
    throw errnoError('ENOENT', op, `${p} does not exist (emulated devices are /dev/<name>)`, { device: p });
  }

  private trackerOf(op: string, p: string): CbtMap {
    if (this.flavour === 'v1') {
      const loc = this.locate(p);
      const map = loc?.kind === 'device' ? loc.device.tracker : null;
      if (!map) throw errnoError('ENODATA', op, `${p} is not tracked (v1 tracks the devices of a snapshot from SNAPSHOT_CREATE)`, { device: p });
      return map;
    }
    const dev = this.filterDevice(op, p);
    if (!dev.tracker) throw errnoError('ENOENT', op, `${p} has no blksnap filter attached`, { device: p });
    return dev.tracker;
  }

  private listed(op: string, id: string): Snapshot {
    const snap = this.snapshots.get(id);
    if (!snap || snap.state !== 'listed') throw errnoError('ESRCH', op, `no snapshot ${id} is listed`, { snapshotId: id });
    return snap;
  }

  /** The snapshot (not yet released) that holds a device. */
  private holderOf(name: string): Snapshot | undefined {
    for (const s of this.snapshots.values()) if (s.hasDevice(name)) return s;
    return undefined;
  }

  private storageUser(p: string): Snapshot | undefined {
    for (const s of this.snapshots.values()) if (s.storage.targetPaths().includes(p)) return s;
    return undefined;
  }

  private rebuildCowIndex(): void {
    this.cowIndex.clear();
    for (const snap of this.snapshots.values()) {
      if (!snap.taken) continue;
      snap.areas.forEach((area, index) => {
        const dev = this.devices.get(area.device);
        if (dev?.tracker?.trackerId === area.trackerId && area.errorCode === 0) this.cowIndex.set(area.device, { snapshot: snap, area, index });
      });
    }
  }

  private blockDevice(d: EmulatedDevice): BlockDevice {
    return {
      path: d.path, name: d.name, devId: { major: DEVICE_MAJOR, minor: d.minor }, capacitySectors: d.capacitySectors,
      tracked: d.tracker !== null, discovery: 'emulator',
    };
  }

  private storagePolicy(): DiffStorage['policy'] {
    return {
      minimum: this.params.diff_storage_minimum ?? 2_097_152, noSpaceEvent: this.rules.noSpaceEvent,
      rangeFlavour: this.flavour === 'v1' ? 'v1' : 'val', rangeLaterEpisodes: this.rules.rangeLaterEpisodes,
    };
  }

  private storageState(mode: StorageState['mode'], p: string | null, ownedFile: boolean, limit: number, requested: number, capacity: number, filled: number, lowSpaceFlag: boolean): StorageState {
    return { mode, path: p, ownedFile, limit, requested, capacity, filled, overflow: false, lowSpaceFlag, ranges: [] };
  }

  /** Images deleted, areas freed, storage closed (a directory-mode file vanishes), events dropped. */
  private release(snap: Snapshot): void {
    // Forget it in state.json first: a crash in between leaves stray files, never a listed
    // snapshot whose storage is gone.
    this.snapshots.delete(snap.id);
    this.rebuildCowIndex();
    this.saveState();
    snap.log?.close();
    snap.log = null;
    fs.rmSync(this.logPath(snap.id), { force: true });
    snap.storage.release();
    snap.events.clear();
  }

  private ensureOpen(): void {
    if (this.closed) throw appError('EBACKEND', `the emulator on ${this.stateDir} is closed`, { stateDir: this.stateDir });
  }

  private devicePath(name: string): string {
    return path.join(this.stateDir, 'devices', `${name}.img`);
  }

  private mapPath(name: string): string {
    return path.join(this.stateDir, 'cbt', `${name}.cbt`);
  }

  private logPath(id: string): string {
    return path.join(this.stateDir, 'snapshots', `${id}.cow`);
  }

  // ---------------------------------------------------------------- persistence

  private saveState(clean = false): void {
    const state: Omit<StateFile, 'format'> = {
      flavour: this.flavour, hz: this.hz, parameters: this.params, nextMinor: this.nextMinor, nextTrackerId: this.nextTrackerId,
      devices: [...this.devices.values()].map((d) => ({
        name: d.name, minor: d.minor, capacitySectors: d.capacitySectors, flags: d.flags, trackerId: d.tracker?.trackerId ?? null,
      })),
      snapshots: [...this.snapshots.values()].filter((s) => s.state !== 'releasing').map(snapshotRecord),
      cleanShutdown: clean,
    };
    writeStateFile(this.stateDir, state);
  }

  private restore(saved: StateFile): void {
    if (!saved.cleanShutdown) {
      this.recoveryNotes.push('the state was not closed cleanly (the owner crashed or was killed); CBT maps were kept, as they mark every block a write may have reached (a map that could not be read is reset with a new generation, as the kernel does after a crash)');
    }
    this.nextMinor = saved.nextMinor;
    this.nextTrackerId = saved.nextTrackerId;
    for (const rec of saved.devices) {
      const backing = this.devicePath(rec.name);
      if (!fs.existsSync(backing)) {
        this.recoveryNotes.push(`device /dev/${rec.name} lost its backing file and was dropped`);
        continue;
      }
      const dev = EmulatedDevice.open(rec.name, rec.minor, rec.capacitySectors, rec.flags, backing);
      if (rec.trackerId !== null) {
        const map = CbtMap.open(this.mapPath(rec.name));
        if (map && map.trackerId === rec.trackerId) dev.tracker = map;
        else {
          // What the kernel does after a crash: the tracker comes back with a fresh map.
          dev.tracker = CbtMap.create(this.mapPath(rec.name), rec.trackerId, dev.capacityBytes, this.params);
          this.recoveryNotes.push(`the CBT map of /dev/${rec.name} was unreadable and was reset: new generation ${dev.tracker.generation}, take a full backup`);
        }
      }
      this.devices.set(rec.name, dev);
    }
    this.savedSnapshotIds = saved.snapshots.map((r) => r.id);
    this.removeStrayFiles();
    for (const rec of saved.snapshots) this.restoreSnapshot(rec);
    this.rebuildCowIndex();
  }

  private removeStrayFiles(): void {
    const keep = new Set([...this.devices.values()].flatMap((d) => EmulatedDevice.backingFiles(d.backingPath, d.capacityBytes)));
    for (const f of fs.readdirSync(path.join(this.stateDir, 'devices'))) {
      const file = path.join(this.stateDir, 'devices', f);
      if (!keep.has(file)) fs.rmSync(file, { force: true });
    }
    const logs = new Set(this.savedSnapshotIds.map((id) => `${id}.cow`));
    for (const f of fs.readdirSync(path.join(this.stateDir, 'snapshots'))) {
      if (!logs.has(f)) fs.rmSync(path.join(this.stateDir, 'snapshots', f), { force: true });
    }
    for (const f of fs.readdirSync(path.join(this.stateDir, 'cbt'))) {
      if (!this.devices.get(f.replace(/\.cbt$/, ''))?.tracker) fs.rmSync(path.join(this.stateDir, 'cbt', f), { force: true });
    }
  }

  private restoreSnapshot(rec: SnapshotRecord): void {
    const targets = new Map<string, StorageTarget>();
    const missing: string[] = [];
    const open = (p: string): void => {
      if (targets.has(p)) return;
      const dev = this.locate(p);
      if (dev?.kind === 'device') targets.set(p, { io: dev.device, capacitySectors: dev.device.capacitySectors, owned: null });
      else if (fs.existsSync(p)) targets.set(p, ownedFile(fs.openSync(p, 'r+'), Math.floor(fs.statSync(p).size / SECTOR)));
      else missing.push(p);
    };
    if (rec.storage.path) open(rec.storage.path);
    for (const r of rec.storage.ranges) open(r.target);
    const snap = new Snapshot(rec.id, rec.createdAtMs, new DiffStorage(rec.storage, this.storagePolicy(), targets), rec.events);
    snap.state = rec.state;
    snap.taken = rec.taken;
    snap.brokenAfterSwitch = rec.brokenAfterSwitch;
    snap.members.push(...rec.members);
    snap.areas = rec.areas.map((a) => ({ ...a, chunks: new Map<number, number>() }));
    if (snap.taken && !snap.brokenAfterSwitch) {
      const { log, records, cutBytes } = CowLog.open(this.logPath(rec.id));
      snap.log = log;
      if (cutBytes > 0) this.recoveryNotes.push(`snapshot ${rec.id}: a torn journal record (${cutBytes} bytes) was cut off; its copy was never used`);
      let filled = rec.storage.filled;
      for (const r of records) {
        const area = snap.areas[r.area];
        if (!area) continue;
        area.chunks.set(r.chunk, r.storageSector);
        filled = Math.max(filled, r.storageSector + 2 ** (area.chunkShift - 9));
      }
      snap.storage.state.filled = filled;
    }
    this.snapshots.set(rec.id, snap);
    if (missing.length > 0) {
      for (const area of snap.areas) this.corruptArea(snap, area, 'EIO');
      this.recoveryNotes.push(`snapshot ${rec.id}: its difference storage ${missing.join(', ')} is gone; its images fail with EIO`);
    }
  }
}

function ownedFile(fd: number, capacitySectors: number): StorageTarget {
  const io = new FileIo(fd);
  return { io, capacitySectors, owned: io };
}

function deviceNameOf(p: string): string | null {
  const m = /^\/dev\/([^/]+)$/.exec(p);
  return m ? (m[1] as string) : null;
}

function checkU32(op: string, name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw errnoError('ENODATA', op, `${name} ${v} is not an unsigned 32-bit number`, { [name]: v });
}

function storageFingerprint(s: StorageState): string {
  return `${s.requested}/${s.capacity}/${s.overflow ? 1 : 0}/${s.lowSpaceFlag ? 1 : 0}`;
}
