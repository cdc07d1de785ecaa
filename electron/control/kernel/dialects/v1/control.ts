// BlksnapControl on the v1 module (spec §6.6 checklist): dev_t addressing, implicit trackers,
// a device list fixed at create, range storage appended by user space, swapped event codes,
// images from COLLECT_IMAGES, a CBT map readable only while taken, one snapshot at a time.
import { NativeMemory, type SyscallResult } from '../../native';
import { appError, errnoError, type ErrnoName } from '../../../../../shared/errors';
import type {
  BackendInfo, BlockDevice, CbtInfo, DevId, DiffStorageUsage, ModuleParameters, ModuleVersion, SectorRange,
  SnapshotCreateRequest, SnapshotDeviceInfo, SnapshotEvent,
} from '../../../../../shared/schemas';
import type { BlksnapControl, WaitOptions } from '../../../types';
import * as codec from './codec';
import { V1_ARG_STRUCT, V1_EVENT, V1_STRUCT, type V1RequestName } from './layout';
import { imageName, V1_NAMES, type V1Variant } from './names';
import { checkedRequest, type V1IoctlPort } from './port';
import { validateRanges } from './ranges';
import { devText, V1System } from './system';

/** PAGE_SIZE (x86_64) in sectors: the alignment of every storage range. */
const PAGE_SECTORS = 8;
/** Bytes of CBT map per READ_CBT_MAP call. */
const CBT_CHUNK = 65536;
const RETRIES = 4;

interface SnapshotState {
  id: string;
  devices: DevId[];
  limitSectors: number | null;
  appendedSectors: number;
  /** Ranges appended by this client, per storage device (M:m), for the overlap check. */
  appended: Map<string, SectorRange[]>;
  /** Σ requested_nr_sect of the low_free_space events seen (the module's `requested`). */
  requestedSectors: number;
  /** Original device (M:m) → positive errno of its corrupted event. */
  corrupted: Map<string, number>;
  taken: boolean;
}

export interface V1ControlOptions {
  variant: V1Variant;
  controlPath: string;
  root: string;
  version: ModuleVersion;
  reason: string;
}

type Meanings = Partial<Record<ErrnoName, string>>;

export function v1Capabilities(): BackendInfo['capabilities'] {
  return {
    explicitAttach: false, addAfterCreate: false, appendStorage: true, cbtMapNeedsTakenSnapshot: true,
    maxSnapshots: 1, storageModes: ['ranges'], eventCodes: { 0: 'low_free_space', 1: 'corrupted' }, needsStretchService: true,
  };
}

export class V1Control implements BlksnapControl {
  readonly info: BackendInfo;
  private readonly sys: V1System;
  private readonly snapshots = new Map<string, SnapshotState>();

  constructor(private readonly port: V1IoctlPort, private readonly opts: V1ControlOptions) {
    const names = V1_NAMES[opts.variant];
    this.sys = new V1System(opts.root, names.module);
    this.info = {
      kind: 'kernel', dialect: 'v1', dialectLabel: names.label,
      // VAL-6.3 was recorded (conformance traces). VAL-6.0 differs only by names: checked against
      // its source (realmodule/blksnap-VAL-6.0.tar.gz): blk_snap.h is VAL-6.3's but for
      // BLK_SNAP_MODULE_NAME "blksnap" (module, chrdev, class, node) and BLK_SNAP_IMAGE_NAME
      // "blksnap-image" (images blksnap-image<minor>); the ioctl table in ctrl.c is the same.
      verified: true, reason: opts.reason, version: opts.version,
      controlNode: opts.controlPath, capabilities: v1Capabilities(), stateDir: null,
    };
  }

  // ---- ioctl plumbing -------------------------------------------------------------------

  private send(name: V1RequestName, arg: Buffer, mem: NativeMemory): SyscallResult {
    const request = checkedRequest(name, arg.length);
    mem.write(arg);
    return this.port.ioctl(request, mem);
  }

  /** Runs `fn` with an argument struct and extra native buffers, all freed afterwards. */
  private withMem<R>(name: V1RequestName, extra: number[], fn: (arg: NativeMemory, bufs: NativeMemory[]) => R): R {
    const mem: NativeMemory[] = [];
    try {
      mem.push(new NativeMemory(V1_STRUCT[V1_ARG_STRUCT[name]].size));
      for (const size of extra) mem.push(new NativeMemory(Math.max(1, size)));
      return fn(mem[0] as NativeMemory, mem.slice(1));
    } finally {
      for (const m of mem) m.free();
    }
  }

  private fail(name: V1RequestName, res: SyscallResult, meanings: Meanings, details?: Record<string, string | number | boolean | null>) {
    const code = res.errnoName ?? 'EIO';
    return errnoError(code, name, meanings[code] ?? 'the module refused the call', details);
  }

  private state(id: string): SnapshotState {
    let s = this.snapshots.get(id);
    if (!s) {
      s = { id, devices: [], limitSectors: null, appendedSectors: 0, appended: new Map(), requestedSectors: 0, corrupted: new Map(), taken: false };
      this.snapshots.set(id, s);
    }
    return s;
  }

  // ---- module ---------------------------------------------------------------------------

  async version(): Promise<ModuleVersion> {
    return this.withMem('VERSION', [], (arg) => {
      const res = this.send('VERSION', codec.encodeVersion(), arg);
      if (res.ret < 0) throw this.fail('VERSION', res, {});
      return codec.decodeVersion(arg.read());
    });
  }

  async parameters(): Promise<ModuleParameters> {
    return this.sys.parameters();
  }

  async listDevices(): Promise<BlockDevice[]> {
    const trackers = await this.collectTrackers();
    const tracked = new Set(trackers.map((t) => devText(t.devId)));
    const out: BlockDevice[] = (await this.sys.blockDevices()).map((d) => ({
      path: `/dev/${d.name}`, name: d.name, devId: d.devId, capacitySectors: d.sizeSectors,
      tracked: tracked.has(devText(d.devId)), discovery: 'tracker-collect',
    }));
    const known = new Set(out.map((d) => devText(d.devId)));
    // Trackers on devices /sys does not list (e.g. a dev_t that never existed: v1 accepts it).
    for (const t of trackers.filter((x) => !known.has(devText(x.devId)))) {
      out.push({
        path: `/dev/block/${devText(t.devId)}`, name: devText(t.devId), devId: t.devId,
        capacitySectors: Math.floor(t.deviceCapacityBytes / 512), tracked: true, discovery: 'tracker-collect',
      });
    }
    return out;
  }

  // ---- trackers -------------------------------------------------------------------------

  async attach(device: string): Promise<void> {
    throw appError('EUNSUPPORTED', `attach ${device}: v1 has no attach; on v1 trackers appear at snapshot create (SNAPSHOT_CREATE attaches one per listed device)`, { dialect: 'v1', device });
  }

  async detach(device: string): Promise<void> {
    const { devId } = await this.sys.resolve(device);
    this.withMem('TRACKER_REMOVE', [], (arg) => {
      const res = this.send('TRACKER_REMOVE', codec.encodeTrackerRemove(devId), arg);
      if (res.ret < 0) {
        throw this.fail('TRACKER_REMOVE', res, {
          ENODATA: `${device} is not tracked`,
          EBUSY: `${device} is held by a snapshot: v1 removes a tracker only after its snapshot is destroyed`,
        }, { device, devId: devText(devId) });
      }
    });
  }

  /** TRACKER_COLLECT with the count protocol: ask the count, fetch, retry on ENOBUFS. */
  private async collectTrackers(): Promise<codec.V1CbtInfo[]> {
    const entry = V1_STRUCT.blk_snap_cbt_info.size;
    for (let attempt = 0; attempt < RETRIES; attempt++) {
      const count = this.withMem('TRACKER_COLLECT', [], (arg) => {
        const res = this.send('TRACKER_COLLECT', codec.encodeTrackerCollect(0, 0), arg);
        if (res.ret < 0) throw this.fail('TRACKER_COLLECT', res, {});
        return codec.decodeCount(arg.read());
      });
      if (count === 0) return [];
      const capacity = count + 4;
      const got = this.withMem('TRACKER_COLLECT', [capacity * entry], (arg, [array]) => {
        const res = this.send('TRACKER_COLLECT', codec.encodeTrackerCollect(capacity, (array as NativeMemory).address), arg);
        if (res.errnoName === 'ENOBUFS') return null;
        if (res.ret < 0) throw this.fail('TRACKER_COLLECT', res, {});
        const n = Math.min(codec.decodeCount(arg.read()), capacity);
        return codec.decodeCbtInfoArray((array as NativeMemory).read(n * entry), n);
      });
      if (got) return got;
    }
    throw appError('EINTERNAL', 'TRACKER_COLLECT: the number of trackers kept changing (ENOBUFS after every retry)');
  }

  private async tracker(device: string): Promise<{ devId: DevId; info: codec.V1CbtInfo }> {
    const { devId } = await this.sys.resolve(device);
    const info = (await this.collectTrackers()).find((t) => devText(t.devId) === devText(devId));
    if (!info) {
      throw errnoError('ENOENT', 'cbtinfo', `${device} is not tracked (on v1 trackers appear at snapshot create)`, { device, devId: devText(devId), synthesized: true });
    }
    return { devId, info };
  }

  async cbtInfo(device: string): Promise<CbtInfo> {
    const { info } = await this.tracker(device);
    return {
      deviceCapacityBytes: info.deviceCapacityBytes, blockSizeBytes: info.blkSizeBytes, blockCount: info.blkCount,
      generationId: codec.uuidText(Buffer.from(info.generationIdHex, 'hex')), changesNumber: info.snapNumber,
    };
  }

  /**
   * READ_CBT_MAP returns the byte count (min(length, blk_count − offset)), EINVAL at the end and
   * never 0 for a non-empty read: loop on the count, stop at a short read; a read that
   * straddles the end comes back shorter than asked.
   */
  async cbtMap(device: string, offsetBlocks: number, lengthBlocks: number): Promise<Uint8Array> {
    if (![offsetBlocks, lengthBlocks].every((n) => Number.isSafeInteger(n) && n >= 0) || offsetBlocks + lengthBlocks > 0xffffffff) {
      throw appError('EBADARG', `cbtMap: offset ${offsetBlocks} and length ${lengthBlocks} must be whole numbers within u32`);
    }
    const { devId } = await this.sys.resolve(device);
    const out = Buffer.alloc(lengthBlocks);
    let got = 0;
    const meanings: Meanings = {
      EPERM: `the CBT map needs a taken snapshot: v1 reads ${device}'s map only while a taken snapshot holds it`,
      ENODATA: `${device} is not tracked`,
      EFAULT: `${device}'s CBT map is corrupted`,
      EINVAL: `offset ${offsetBlocks} is at or past the end of ${device}'s CBT map`,
    };
    while (got < lengthBlocks) {
      const want = Math.min(CBT_CHUNK, lengthBlocks - got);
      const n = this.withMem('TRACKER_READ_CBT_MAP', [want], (arg, [buf]) => {
        const b = buf as NativeMemory;
        const res = this.send('TRACKER_READ_CBT_MAP', codec.encodeReadCbtMap(devId, offsetBlocks + got, want, b.address), arg);
        if (res.ret < 0) {
          if (res.errnoName === 'EINVAL' && got > 0) return 0;
          throw this.fail('TRACKER_READ_CBT_MAP', res, meanings, { device, offsetBlocks: offsetBlocks + got });
        }
        if (res.ret > want) throw appError('EINTERNAL', `TRACKER_READ_CBT_MAP returned ${res.ret} bytes for ${want} asked`);
        b.read(res.ret).copy(out, got);
        return res.ret;
      });
      got += n;
      if (n < want) break;
    }
    return new Uint8Array(out.subarray(0, got));
  }

  async cbtDirty(device: string, ranges: SectorRange[]): Promise<void> {
    const { devId } = await this.sys.resolve(device);
    const size = await this.sys.sizeSectors(devId);
    validateRanges(ranges, { sizeSectors: size ?? Number.MAX_SAFE_INTEGER, alignSectors: 1, what: `mark dirty on ${device}` });
    const bytes = codec.encodeRanges(ranges);
    this.withMem('TRACKER_MARK_DIRTY_BLOCKS', [bytes.length], (arg, [buf]) => {
      (buf as NativeMemory).write(bytes);
      const res = this.send('TRACKER_MARK_DIRTY_BLOCKS', codec.encodeMarkDirty(devId, ranges.length, (buf as NativeMemory).address), arg);
      if (res.ret < 0) {
        throw this.fail('TRACKER_MARK_DIRTY_BLOCKS', res, {
          ENODEV: `${device} is not tracked (nor an image of a tracked device)`, EINVAL: 'a range ends past the map',
        }, { device });
      }
    });
  }

  // ---- snapshots ------------------------------------------------------------------------

  async snapshotCreate(request: SnapshotCreateRequest): Promise<string> {
    if (request.devices.length === 0) {
      throw appError('EGUARD', 'v1 snapshot create needs at least one device: SNAPSHOT_CREATE with count 0 never returns (kernel soft lockup, measured), so it is refused before any call', { dialect: 'v1' });
    }
    const devices: DevId[] = [];
    for (const path of request.devices) {
      const { devId } = await this.sys.resolve(path);
      if (devices.some((d) => devText(d) === devText(devId))) throw appError('EBADARG', `${path} (${devText(devId)}) is listed twice`, { device: path });
      if ((await this.sys.sizeSectors(devId)) === null) {
        throw appError('EBADARG', `${path} (${devText(devId)}) is not a block device of this kernel: v1 would attach a tracker to it anyway`, { device: path });
      }
      devices.push(devId);
    }
    const existing = await this.snapshotCollect();
    if (existing.length > 0) {
      throw appError('EGUARD', `v1 allows one snapshot at a time: the module reaches only the newest snapshot, so creating another would strand ${existing.join(', ')} (images, copy-on-write and devices held until the module is unloaded). Destroy it first.`, { existing: existing.join(',') });
    }
    const list = codec.encodeDevIdArray(devices);
    const id = this.withMem('SNAPSHOT_CREATE', [list.length], (arg, [buf]) => {
      (buf as NativeMemory).write(list);
      const res = this.send('SNAPSHOT_CREATE', codec.encodeSnapshotCreate(devices.length, (buf as NativeMemory).address), arg);
      if (res.ret < 0) {
        throw this.fail('SNAPSHOT_CREATE', res, {
          EALREADY: 'a device already belongs to another snapshot (an unreachable older one is freed only by unloading the module)',
          EINVAL: 'a device is listed twice', ENOMEM: 'the module is out of memory',
        });
      }
      return codec.decodeSnapshotCreateId(arg.read());
    });
    const s = this.state(id);
    s.devices = devices;
    s.limitSectors = request.diffStorageLimitSectors;
    return id;
  }

  async snapshotAdd(id: string, device: string): Promise<void> {
    throw appError('EUNSUPPORTED', `cannot add ${device} to ${id}: on v1 the device list is fixed at create (list every device in snapshot create)`, { dialect: 'v1', device, snapshotId: id });
  }

  async snapshotTake(id: string): Promise<void> {
    const key = normalizeId(id);
    const s = this.snapshots.get(key);
    if (s && s.appendedSectors === 0) {
      throw appError('EGUARD', `snapshot ${key} has no difference storage yet: v1 TAKE would fail (EFAULT) and destroy the snapshot. Answer its first low_free_space event with storage (the stretch service does) before taking it.`, { snapshotId: key });
    }
    this.withMem('SNAPSHOT_TAKE', [], (arg) => {
      const res = this.send('SNAPSHOT_TAKE', codec.encodeSnapshotId(key), arg);
      if (res.ret < 0) {
        const destroyed = res.errnoName !== 'EALREADY' && res.errnoName !== 'ESRCH';
        if (destroyed) this.snapshots.delete(key);
        const suffix = destroyed ? '; v1 destroys a snapshot whose TAKE fails, so it is gone' : '';
        throw this.fail('SNAPSHOT_TAKE', res, {
          ESRCH: 'no such snapshot', EALREADY: 'the snapshot is already taken',
          EFAULT: `a device's difference area is corrupted or the storage is empty${suffix}`,
          ENODEV: `the snapshot has no devices${suffix}`, ENOMEM: `the module is out of memory${suffix}`,
        }, { snapshotId: key, destroyed });
      }
    });
    this.state(key).taken = true;
  }

  async snapshotCollect(): Promise<string[]> {
    for (let attempt = 0; attempt < RETRIES; attempt++) {
      const count = this.withMem('SNAPSHOT_COLLECT', [], (arg) => {
        const res = this.send('SNAPSHOT_COLLECT', codec.encodeSnapshotCollect(0, 0), arg);
        if (res.ret < 0) throw this.fail('SNAPSHOT_COLLECT', res, {});
        return codec.decodeCount(arg.read());
      });
      if (count === 0) return [];
      const capacity = count + 4;
      const ids = this.withMem('SNAPSHOT_COLLECT', [capacity * 16], (arg, [buf]) => {
        const res = this.send('SNAPSHOT_COLLECT', codec.encodeSnapshotCollect(capacity, (buf as NativeMemory).address), arg);
        if (res.errnoName === 'ENODATA') return null;
        if (res.ret < 0) throw this.fail('SNAPSHOT_COLLECT', res, {});
        const n = Math.min(codec.decodeCount(arg.read()), capacity);
        return codec.decodeIds((buf as NativeMemory).read(n * 16), n);
      });
      if (ids) return ids;
    }
    throw appError('EINTERNAL', 'SNAPSHOT_COLLECT: the number of snapshots kept changing');
  }

  async snapshotDestroy(id: string): Promise<void> {
    const key = normalizeId(id);
    this.withMem('SNAPSHOT_DESTROY', [], (arg) => {
      const res = this.send('SNAPSHOT_DESTROY', codec.encodeSnapshotId(key), arg);
      if (res.ret < 0) throw this.fail('SNAPSHOT_DESTROY', res, { ENODEV: 'no such snapshot (v1 answers ENODEV for an unknown id)' }, { snapshotId: key });
    });
    this.snapshots.delete(key);
  }

  /** COLLECT_IMAGES of the snapshot: null when it is not taken (ENODEV) or gone (ESRCH). */
  private images(id: string): codec.V1ImageInfo[] | null {
    const entry = V1_STRUCT.blk_snap_image_info.size;
    for (let attempt = 0; attempt < RETRIES; attempt++) {
      const count = this.withMem('SNAPSHOT_COLLECT_IMAGES', [], (arg) => {
        const res = this.send('SNAPSHOT_COLLECT_IMAGES', codec.encodeCollectImages(id, 0, 0), arg);
        if (res.errnoName === 'ENODEV' || res.errnoName === 'ESRCH') return null;
        if (res.ret < 0) throw this.fail('SNAPSHOT_COLLECT_IMAGES', res, {});
        return codec.decodeCollectImagesCount(arg.read());
      });
      if (count === null) return null;
      if (count === 0) return [];
      const got = this.withMem('SNAPSHOT_COLLECT_IMAGES', [count * entry], (arg, [buf]) => {
        const res = this.send('SNAPSHOT_COLLECT_IMAGES', codec.encodeCollectImages(id, count, (buf as NativeMemory).address), arg);
        if (res.errnoName === 'ENODATA') return undefined;
        if (res.errnoName === 'ENODEV' || res.errnoName === 'ESRCH') return null;
        if (res.ret < 0) throw this.fail('SNAPSHOT_COLLECT_IMAGES', res, {});
        const n = Math.min(codec.decodeCollectImagesCount(arg.read()), count);
        return codec.decodeImageInfos((buf as NativeMemory).read(n * entry), n);
      });
      if (got !== undefined) return got;
    }
    throw appError('EINTERNAL', 'SNAPSHOT_COLLECT_IMAGES: the number of images kept changing');
  }

  /**
   * v1 has no SNAPSHOTINFO: the image comes from COLLECT_IMAGES (veeamblksnapimg<minor>), the
   * error code from the corrupted events this client saw (−errno, else 0: the module keeps it).
   */
  async snapshotInfo(device: string): Promise<SnapshotDeviceInfo> {
    const { devId } = await this.sys.resolve(device);
    const key = devText(devId);
    const known = [...this.snapshots.values()].filter((s) => s.devices.some((d) => devText(d) === key)).map((s) => s.id);
    const candidates = known.length ? known : await this.snapshotCollect();
    for (const id of candidates) {
      const images = this.images(id);
      const own = images?.find((i) => devText(i.orig) === key);
      const err = this.snapshots.get(id)?.corrupted.get(key);
      if (own || err !== undefined) {
        return { errorCode: err ? -err : 0, image: own ? imageName(this.opts.variant, own.image.minor) : '' };
      }
    }
    return { errorCode: 0, image: '' };
  }

  async waitEvent(id: string, timeoutTicks: number, options?: WaitOptions): Promise<SnapshotEvent | null> {
    if (!Number.isInteger(timeoutTicks) || timeoutTicks < 0 || timeoutTicks > 0xffffffff) {
      throw appError('EBADARG', `waitEvent: timeout ${timeoutTicks} is not a u32 number of ticks`);
    }
    const key = normalizeId(id);
    if (options?.signal?.aborted) return null;
    const arg = codec.encodeWaitEvent(key, timeoutTicks);
    const request = checkedRequest('SNAPSHOT_WAIT_EVENT', arg.length);
    const mem = new NativeMemory(V1_STRUCT.blk_snap_snapshot_event.size);
    mem.write(arg);
    // The memory is freed only when the ioctl returns.
    const call = this.port.ioctlBlocking(request, mem).then(
      (res) => {
        try {
          return { res, bytes: res.ret === 0 ? mem.read() : null };
        } finally {
          mem.free();
        }
      },
      (err: unknown) => {
        mem.free();
        throw err;
      },
    );
    // An abort is seen after this slice, never during it: the caller (the event pump) must know
    // that no wait is in progress before DESTROY, and an event read meanwhile is not dropped.
    const outcome = await call;
    const { res, bytes } = outcome;
    if (res.ret < 0) {
      if (res.errnoName === 'ENOENT' || res.errnoName === 'EINTR') return null;
      throw this.fail('SNAPSHOT_WAIT_EVENT', res, { ESRCH: 'no such snapshot (destroyed?)', EINVAL: 'the event struct could not be copied' }, { snapshotId: key });
    }
    return this.recordEvent(key, codec.decodeEvent(bytes as Buffer));
  }

  private recordEvent(id: string, ev: codec.V1DecodedEvent): SnapshotEvent {
    const s = this.state(id);
    const base = { snapshotId: id, code: ev.code, timeLabelNs: ev.timeLabelNs, device: null, errCode: null, requestedSectors: null };
    if (ev.kind === 'low_free_space' && ev.code === V1_EVENT.LOW_FREE_SPACE) {
      s.requestedSectors += ev.requestedSectors;
      return { ...base, kind: 'low_free_space', requestedSectors: ev.requestedSectors };
    }
    if (ev.kind === 'corrupted' && ev.code === V1_EVENT.CORRUPTED) {
      s.corrupted.set(devText(ev.device), ev.errCode);
      return { ...base, kind: 'corrupted', device: ev.device, errCode: ev.errCode };
    }
    return { ...base, kind: 'unknown' };
  }

  async appendStorage(id: string, device: string, ranges: SectorRange[]): Promise<void> {
    const key = normalizeId(id);
    const { devId } = await this.sys.resolve(device);
    const size = await this.sys.sizeSectors(devId);
    if (size === null) {
      throw appError('EBADARG', `${device} (${devText(devId)}) is not a block device of this kernel: v1 would accept it silently and the storage would be unusable`, { device });
    }
    const s = this.state(key);
    const previous = s.appended.get(devText(devId)) ?? [];
    // The module checks each range with check_page_aligned: a 512-aligned one is accepted, then
    // every copy into it fails (EINVAL) and the snapshot is corrupted (measured, spec §6.4).
    const alignSectors = Math.max(PAGE_SECTORS, await this.sys.logicalBlockSectors(devId));
    validateRanges(ranges, { sizeSectors: size, alignSectors, alignWhat: 'the page size the module demands (or the logical block)', existing: previous, what: `append storage on ${device}` });
    const bytes = codec.encodeRanges(ranges);
    this.withMem('SNAPSHOT_APPEND_STORAGE', [bytes.length], (arg, [buf]) => {
      (buf as NativeMemory).write(bytes);
      const res = this.send('SNAPSHOT_APPEND_STORAGE', codec.encodeAppendStorage(key, devId, ranges.length, (buf as NativeMemory).address), arg);
      if (res.ret < 0) {
        throw this.fail('SNAPSHOT_APPEND_STORAGE', res, {
          ESRCH: 'no such snapshot', ENOMEM: 'the module is out of memory', ENODATA: 'the ranges could not be copied', EINVAL: 'the ranges could not be copied',
        }, { snapshotId: key, device });
      }
    });
    s.appended.set(devText(devId), [...previous, ...ranges]);
    s.appendedSectors += ranges.reduce((sum, r) => sum + r.countSectors, 0);
  }

  async diffStorageUsage(id: string): Promise<DiffStorageUsage> {
    const s = this.snapshots.get(normalizeId(id));
    return {
      filledSectors: null,
      requestedSectors: s ? s.requestedSectors : null,
      capacitySectors: s ? s.appendedSectors : null,
      limitSectors: s?.limitSectors ?? null,
      overflowed: s ? [...s.corrupted.values()].includes(28) : null,
      source: s ? 'v1: ranges appended by this client; requested from low_free_space events' : 'v1: snapshot not created by this client',
    };
  }

  async close(): Promise<void> {
    this.port.close();
  }
}

/** Lower-case 8-4-4-4-12 form of an id (also accepts 32 bare hex digits). */
export function normalizeId(id: string): string {
  try {
    return codec.uuidText(codec.idBytes(id));
  } catch {
    throw appError('EBADARG', `${id} is not a snapshot id (a UUID)`);
  }
}
