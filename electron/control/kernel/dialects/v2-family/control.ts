// The v2-family control backend, parameterised by a dialect table (lk6.15, v7, v6, VAL-7.0,
// VAL-13). Every argument struct lives in native memory the caller (we) owns, so what the
// kernel writes back (ids, CBT info, map pieces, counts, events) is read from that memory.
import { basename } from 'node:path';
import { appError, type BlksnapError } from '../../../../../shared/errors';
import type {
  BackendInfo, BlockDevice, CbtInfo, DiffStorageUsage, ModuleParameters, ModuleVersion, SectorRange,
  SnapshotCreateRequest, SnapshotDeviceInfo, SnapshotEvent,
} from '../../../../../shared/schemas';
import type { BlksnapControl, WaitOptions } from '../../../types';
import { meanings, syscallError, type Details } from '../../errno';
import type { KernelEnv } from '../../env';
import { cString, NativeMemory, O_CLOEXEC, O_LARGEFILE, O_RDONLY, O_RDWR, type SyscallResult } from '../../native';
import { StructView } from '../../struct';
import { uuidFromBytes, uuidToBytes } from '../../../uuid';
import type { V2Dialect, V2Operation } from './dialect';
import { V2_MEANINGS } from './meanings';
import { decodeEvent } from './events';
import { readParameters } from './sysfs';
import { listBlockDevices } from './discovery';
import {
  CTL, FILTER_NAME, blksnap_cbtdirty, blksnap_cbtinfo, blksnap_cbtmap, blksnap_mod, blksnap_sectors, blksnap_setlog,
  blksnap_snapshot_append_storage, blksnap_snapshot_collect, blksnap_snapshot_event, blksnap_snapshotinfo, blksnap_uuid,
  type CtlCommand,
} from './structs';
import { checkRanges, checkU32, encodeSectors } from './checks';
import { noteEvent, statOrNull, storageUsage, type StorageRecord } from './storage';
import { readVersion } from './version';
import { snapshotAddHazard } from './guards';

const O_TMPFILE = 0o20200000;
const COLLECT_RETRIES = 8;


export interface V2ControlOptions {
  env: KernelEnv;
  version: ModuleVersion;
  /** Why this backend and dialect (from the probe or the forcing flag). */
  reason: string;
}

/** Opens the dialect's nodes and returns the control; throws a named error if they do not open. */
export function openV2Control(dialect: V2Dialect, opts: V2ControlOptions): V2Control {
  const { env } = opts;
  const ctl = env.sys.open(env.path(dialect.controlNode), O_RDWR | O_CLOEXEC);
  if (ctl.ret < 0) throw syscallError(ctl, `open ${dialect.controlNode}`, NODE_MEANINGS, { dialect: dialect.id });
  let filterFd: number | null = null;
  if (dialect.filterNode) {
    const f = env.sys.open(env.path(dialect.filterNode), O_RDWR | O_CLOEXEC);
    if (f.ret < 0) {
      env.sys.close(ctl.ret);
      throw syscallError(f, `open ${dialect.filterNode}`, NODE_MEANINGS, { dialect: dialect.id });
    }
    filterFd = f.ret;
  }
  return new V2Control(dialect, opts, ctl.ret, filterFd);
}

const NODE_MEANINGS = {
  ENOENT: 'the node does not exist: the module is not loaded (or udev did not create the node)',
  EACCES: 'permission denied: run blksnap Manager as root',
  ENXIO: 'the node has no driver behind it: the module was unloaded',
  ENODEV: 'the node has no driver behind it: the module was unloaded',
};

export class V2Control implements BlksnapControl {
  readonly info: BackendInfo;
  private readonly env: KernelEnv;
  private readonly storage = new Map<string, StorageRecord>();
  private closed = false;

  constructor(readonly dialect: V2Dialect, opts: V2ControlOptions, private readonly controlFd: number, private readonly filterFd: number | null) {
    this.env = opts.env;
    this.info = {
      kind: 'kernel', dialect: dialect.id, dialectLabel: dialect.label, verified: dialect.verified, reason: opts.reason,
      version: opts.version, controlNode: dialect.controlNode, capabilities: dialect.capabilities, stateDir: null,
    };
  }

  // ---- errors and raw calls ----

  private fail(op: V2Operation, result: SyscallResult, details: Details = {}): BlksnapError {
    const ctlSub = op === 'CBTINFO' || op === 'CBTMAP' || op === 'CBTDIRTY' || op === 'SNAPSHOTADD' || op === 'SNAPSHOTINFO';
    const table = ctlSub
      ? meanings(V2_MEANINGS.CTL, this.dialect.meanings.CTL, V2_MEANINGS[op], this.dialect.meanings[op])
      : meanings(V2_MEANINGS[op], this.dialect.meanings[op]);
    return syscallError(result, op, table, { dialect: this.dialect.id, ...details });
  }

  private ioctl(op: V2Operation, fd: number, request: number, mem: NativeMemory, details: Details = {}): SyscallResult {
    if (this.closed) throw appError('EBACKEND', 'the kernel backend is closed', { dialect: this.dialect.id });
    const r = this.env.sys.ioctl(fd, request, mem.address);
    if (r.ret < 0) throw this.fail(op, r, details);
    return r;
  }

  private request(name: 'MOD' | 'SETLOG' | 'SNAPSHOT_APPEND_STORAGE'): number {
    const n = this.dialect.requests[name];
    if (n === undefined) throw appError('EUNSUPPORTED', `${name} does not exist in ${this.dialect.label}`, { dialect: this.dialect.id });
    return n;
  }

  // ---- filter ioctls: on the block device (upstream) or /dev/bdevfilter by path (standalone) ----

  /**
   * One filter request. `fill` writes the request's own fields; name and device addressing are
   * done here. Returns what the kernel left in the struct.
   */
  filterCall(op: 'ATTACH' | 'DETACH' | 'CTL', device: string, fill: (view: StructView) => void, errorOp: V2Operation = op, name = FILTER_NAME): StructView {
    const layout = op === 'ATTACH' ? this.dialect.filter.attach : op === 'DETACH' ? this.dialect.filter.detach : this.dialect.filter.ctl;
    const request = op === 'ATTACH' ? this.dialect.requests.FILTER_ATTACH : op === 'DETACH' ? this.dialect.requests.FILTER_DETACH : this.dialect.requests.FILTER_CTL;
    const view = new StructView(layout).setText('name', name);
    fill(view);
    const mem = new NativeMemory(layout.size);
    const pathMem = this.filterFd !== null ? new NativeMemory(Buffer.byteLength(device) + 1) : null;
    let deviceFd: number | null = null;
    try {
      if (pathMem) {
        pathMem.write(cString(device));
        view.setU64('devpath', pathMem.address);
      } else {
        deviceFd = this.openDevice(device);
      }
      mem.write(view.buf);
      const fd = pathMem ? (this.filterFd as number) : (deviceFd as number);
      this.ioctl(errorOp, fd, request, mem, { device });
      return new StructView(layout, mem.read());
    } finally {
      if (deviceFd !== null) this.env.sys.close(deviceFd);
      pathMem?.free();
      mem.free();
    }
  }

  private openDevice(device: string): number {
    const r = this.env.sys.open(device, O_RDONLY | O_CLOEXEC);
    if (r.ret < 0) throw this.fail('OPEN_DEVICE', r, { device });
    return r.ret;
  }

  /**
   * CTL `cmd` with `opt` as payload (optlen input only: the kernel never writes it back).
   * Public for the conformance replay, which also sends commands the API never does.
   */
  ctl(device: string, cmd: CtlCommand | number, opt: NativeMemory | null, optlen: number, name = FILTER_NAME): StructView {
    const cmdNumber = typeof cmd === 'number' ? cmd : CTL[cmd].cmd;
    const op: V2Operation = typeof cmd === 'number' ? 'CTL' : cmd;
    return this.filterCall('CTL', device, (v) => {
      v.setU32('cmd', cmdNumber).setU32('optlen', optlen).setU64('opt', opt?.address ?? 0);
    }, op, name);
  }

  /** A CTL whose payload is one struct: returns the payload after the call. */
  private ctlStruct(device: string, cmd: CtlCommand, payload: StructView): StructView {
    const mem = new NativeMemory(payload.layout.size);
    try {
      mem.write(payload.buf);
      this.ctl(device, cmd, mem, payload.layout.size);
      return new StructView(payload.layout, mem.read());
    } finally {
      mem.free();
    }
  }

  // ---- BlksnapControl ----

  async version(): Promise<ModuleVersion> {
    return readVersion(this.env, this.controlFd, this.dialect.requests.VERSION, (r) => this.fail('VERSION', r));
  }

  async parameters(): Promise<ModuleParameters> {
    return readParameters(this.env, this.dialect.moduleName);
  }

  async listDevices(): Promise<BlockDevice[]> {
    return listBlockDevices(this.env, (path) => {
      try {
        this.ctlStruct(path, 'CBTINFO', new StructView(blksnap_cbtinfo));
        return true;
      } catch {
        return false;
      }
    });
  }

  async attach(device: string): Promise<void> {
    this.filterCall('ATTACH', device, () => undefined);
  }

  /** ATTACH with another filter name (conformance replay only). */
  attachNamed(device: string, name: string): void {
    this.filterCall('ATTACH', device, () => undefined, 'ATTACH', name);
  }

  async detach(device: string): Promise<void> {
    this.filterCall('DETACH', device, () => undefined);
  }

  async cbtInfo(device: string): Promise<CbtInfo> {
    const v = this.ctlStruct(device, 'CBTINFO', new StructView(blksnap_cbtinfo));
    return {
      deviceCapacityBytes: Number(v.u64('device_capacity')),
      blockSizeBytes: v.u32('block_size'),
      blockCount: v.u32('block_count'),
      generationId: uuidFromBytes(v.bytes('generation_id')),
      changesNumber: v.u8('changes_number'),
    };
  }

  async cbtMap(device: string, offsetBlocks: number, lengthBlocks: number): Promise<Uint8Array> {
    checkU32('offsetBlocks', offsetBlocks);
    checkU32('lengthBlocks', lengthBlocks);
    // Spec E1: offset > block_count wraps the module's check and copies kernel memory out.
    const { blockCount } = await this.cbtInfo(device);
    if (offsetBlocks > blockCount) {
      throw appError('EGUARD', `CBTMAP: offset ${offsetBlocks} is past the map's ${blockCount} blocks; not sent (the module would copy memory from beyond its map)`, { device, offsetBlocks, blockCount, dialect: this.dialect.id });
    }
    const buffer = new NativeMemory(Math.max(lengthBlocks, 1));
    try {
      const payload = new StructView(blksnap_cbtmap).setU32('offset', offsetBlocks).setU32('length', lengthBlocks).setU64('buffer', buffer.address);
      this.ctlStruct(device, 'CBTMAP', payload);
      return new Uint8Array(buffer.read(lengthBlocks));
    } finally {
      buffer.free();
    }
  }

  async cbtDirty(device: string, ranges: SectorRange[]): Promise<void> {
    checkRanges('CBTDIRTY', ranges);
    // A range past the end fails EINVAL after earlier ranges were applied: refuse it up front.
    const { deviceCapacityBytes } = await this.cbtInfo(device);
    const capacitySectors = Math.floor(deviceCapacityBytes / 512);
    const outside = ranges.find((r) => r.offsetSectors + r.countSectors > capacitySectors);
    if (outside) {
      throw appError('EGUARD', `CBTDIRTY: range ${outside.offsetSectors}+${outside.countSectors} ends past the device's ${capacitySectors} sectors; nothing sent (the module would apply the earlier ranges, then fail)`, { device, capacitySectors });
    }
    await this.withRanges(ranges, (rangesMem) => {
      const payload = new StructView(blksnap_cbtdirty).setU32('count', ranges.length).setU64('dirty_sectors', rangesMem.address);
      this.ctlStruct(device, 'CBTDIRTY', payload);
    });
  }

  async snapshotCreate(request: SnapshotCreateRequest): Promise<string> {
    const { struct: layout, storage } = this.dialect.create;
    const limit = request.diffStorageLimitSectors;
    if (!Number.isSafeInteger(limit) || limit < 0) throw appError('EBADARG', `diffStorageLimitSectors ${limit} is not a whole number of sectors`);
    const view = new StructView(layout).setU64('diff_storage_limit_sect', limit);
    const path = request.diffStoragePath;
    if (path === null && !this.dialect.rangeMode) {
      throw appError('EUNSUPPORTED', `${this.dialect.label} needs a difference storage ${storage === 'fd' ? 'file or block device' : 'path'}; range mode (no path) exists only in the standalone modules`, { dialect: this.dialect.id });
    }
    const mem = new NativeMemory(layout.size);
    const pathMem = storage === 'path' && path !== null ? new NativeMemory(Buffer.byteLength(path) + 1) : null;
    let storageFd: number | null = null;
    try {
      if (pathMem && path !== null) {
        pathMem.write(cString(path));
        view.setU64('diff_storage_filename', pathMem.address);
      }
      if (storage === 'fd' && path !== null) {
        storageFd = this.openStorage(path);
        view.setU32('diff_storage_fd', storageFd);
      }
      mem.write(view.buf);
      this.ioctl('SNAPSHOT_CREATE', this.controlFd, this.dialect.requests.SNAPSHOT_CREATE, mem, { path, limitSectors: limit });
      const id = uuidFromBytes(new StructView(layout, mem.read()).bytes('id'));
      this.storage.set(id, { path, limitSectors: limit, requestedSectors: 0, appendedSectors: 0, overflowed: false });
      return id;
    } finally {
      // v6: the module keeps its own reference to the file (spec §4), so ours is closed.
      if (storageFd !== null) this.env.sys.close(storageFd);
      pathMem?.free();
      mem.free();
    }
  }

  /** v6: the storage is an fd; a directory gets an unnamed O_TMPFILE file. */
  private openStorage(path: string): number {
    const isDir = statOrNull(path)?.isDirectory() ?? false;
    const flags = isDir ? O_TMPFILE | O_RDWR | O_CLOEXEC : O_RDWR | O_LARGEFILE | O_CLOEXEC;
    const r = this.env.sys.open(path, flags, 0o600);
    if (r.ret < 0) throw this.fail('OPEN_STORAGE', r, { path });
    return r.ret;
  }

  async snapshotAdd(id: string, device: string): Promise<void> {
    // VAL-7.0 compiled these checks out (spec §5.4); upstream oopses after them.
    const hazard = this.dialect.family === 'upstream' ? snapshotAddHazard(this.env, device) : null;
    if (hazard) throw appError('EGUARD', `SNAPSHOTADD refused: ${hazard}`, { device, snapshotId: id });
    this.ctlStruct(device, 'SNAPSHOTADD', new StructView(CTL.SNAPSHOTADD.struct).setBytes('id', uuidToBytes(id)));
  }

  private idCall(op: 'SNAPSHOT_TAKE' | 'SNAPSHOT_DESTROY', request: number, id: string): void {
    const mem = new NativeMemory(blksnap_uuid.size);
    try {
      mem.write(uuidToBytes(id));
      this.ioctl(op, this.controlFd, request, mem, { id });
    } finally {
      mem.free();
    }
  }

  async snapshotTake(id: string): Promise<void> {
    this.idCall('SNAPSHOT_TAKE', this.dialect.requests.SNAPSHOT_TAKE, id);
  }

  async snapshotDestroy(id: string): Promise<void> {
    this.idCall('SNAPSHOT_DESTROY', this.dialect.requests.SNAPSHOT_DESTROY, id);
    this.storage.delete(id);
  }

  /**
   * One SNAPSHOT_COLLECT: `capacity` ids (null = the size query with ids = 0). Returns the
   * count written back and the ids; on ENODATA the count is yours, not the number needed.
   */
  collectOnce(capacity: number | null, countIn = capacity ?? 0): { count: number; ids: string[] } {
    const mem = new NativeMemory(blksnap_snapshot_collect.size);
    const ids = capacity ? new NativeMemory(capacity * 16) : null;
    try {
      mem.write(new StructView(blksnap_snapshot_collect).setU32('count', countIn).setU64('ids', ids?.address ?? 0).buf);
      this.ioctl('SNAPSHOT_COLLECT', this.controlFd, this.dialect.requests.SNAPSHOT_COLLECT, mem, { capacity });
      const count = new StructView(blksnap_snapshot_collect, mem.read()).u32('count');
      const list: string[] = [];
      if (ids) {
        const bytes = ids.read(Math.min(count, capacity ?? 0) * 16);
        for (let i = 0; i < bytes.length; i += 16) list.push(uuidFromBytes(bytes.subarray(i, i + 16)));
      }
      return { count, ids: list };
    } finally {
      ids?.free();
      mem.free();
    }
  }

  async snapshotCollect(): Promise<string[]> {
    let capacity = this.collectOnce(null).count;
    for (let attempt = 0; attempt < COLLECT_RETRIES; attempt++) {
      if (capacity === 0) return [];
      const slack = capacity + 4;
      try {
        return this.collectOnce(slack).ids;
      } catch (err) {
        // ENODATA: snapshots were created since the query; the count is ours, so grow and retry.
        if ((err as BlksnapError).code !== 'ENODATA') throw err;
        capacity = slack * 2;
      }
    }
    throw appError('EINTERNAL', 'SNAPSHOT_COLLECT: the snapshot list kept growing; try again');
  }

  async snapshotInfo(device: string): Promise<SnapshotDeviceInfo> {
    const v = this.ctlStruct(device, 'SNAPSHOTINFO', new StructView(blksnap_snapshotinfo));
    return { errorCode: v.s32('error_code'), image: v.text('image') };
  }

  async waitEvent(id: string, timeoutTicks: number, options: WaitOptions = {}): Promise<SnapshotEvent | null> {
    checkU32('timeoutTicks', timeoutTicks);
    if (options.signal?.aborted) return null;
    if (this.closed) throw appError('EBACKEND', 'the kernel backend is closed', { dialect: this.dialect.id });
    const mem = new NativeMemory(blksnap_snapshot_event.size);
    try {
      mem.write(new StructView(blksnap_snapshot_event).setBytes('id', uuidToBytes(id)).setU32('timeout_ms', timeoutTicks).buf);
      // Blocks up to timeoutTicks jiffies: off the event loop, one slice; abort is seen after it.
      // An event read after an abort is still returned: the module will not send it again.
      const r = await this.env.sys.ioctlBlocking(this.controlFd, this.dialect.requests.SNAPSHOT_WAIT_EVENT, mem.address);
      if (r.ret < 0) {
        if (r.errnoName === 'ENOENT' || r.errnoName === 'EINTR') return null;
        throw this.fail('SNAPSHOT_WAIT_EVENT', r, { id, timeoutTicks });
      }
      const event = decodeEvent(this.dialect, id, new StructView(blksnap_snapshot_event, mem.read()));
      const rec = this.storage.get(id);
      if (rec) noteEvent(rec, event);
      return event;
    } finally {
      mem.free();
    }
  }

  async appendStorage(id: string, device: string, ranges: SectorRange[]): Promise<void> {
    const request = this.request('SNAPSHOT_APPEND_STORAGE');
    if (ranges.some((r) => !Number.isSafeInteger(r.countSectors) || r.countSectors < 1)) {
      throw appError('EBADARG', 'APPEND_STORAGE: every range covers at least one sector', { id, device });
    }
    this.checkRangesOnDevice(device, ranges);
    const mem = new NativeMemory(blksnap_snapshot_append_storage.size);
    const pathMem = new NativeMemory(Buffer.byteLength(device) + 1);
    try {
      pathMem.write(cString(device));
      await this.withRanges(ranges, (rangesMem) => {
        const v = new StructView(blksnap_snapshot_append_storage).setBytes('id', uuidToBytes(id))
          .setU64('devpath', pathMem.address).setU32('count', ranges.length).setU64('ranges', ranges.length ? rangesMem.address : 0);
        mem.write(v.buf);
        this.ioctl('SNAPSHOT_APPEND_STORAGE', this.controlFd, request, mem, { id, device });
      });
      const rec = this.storage.get(id);
      if (rec) rec.appendedSectors += ranges.reduce((s, r) => s + r.countSectors, 0);
    } finally {
      pathMem.free();
      mem.free();
    }
  }

  /** The module does not check appended ranges against the disk (spec §10): we do, where sysfs tells. */
  private checkRangesOnDevice(device: string, ranges: SectorRange[]): void {
    const size = this.env.readText(`/sys/class/block/${basename(device)}/size`);
    if (size === null) return;
    const sectors = Number(size.trim());
    const bad = ranges.find((r) => r.offsetSectors + r.countSectors > sectors);
    if (bad) throw appError('EGUARD', `APPEND_STORAGE: range ${bad.offsetSectors}+${bad.countSectors} ends past ${device}'s ${sectors} sectors; the module would accept it unchecked`, { device, sectors });
  }

  async diffStorageUsage(id: string): Promise<DiffStorageUsage> {
    return storageUsage(this.storage.get(id), this.env);
  }

  // ---- standalone extras ----

  /** MOD (VAL-7.0, VAL-13): build name and compatibility flags. */
  mod(): { name: string; compatibilityFlags: number } {
    const mem = new NativeMemory(blksnap_mod.size);
    try {
      this.ioctl('MOD', this.controlFd, this.request('MOD'), mem);
      const v = new StructView(blksnap_mod, mem.read());
      return { name: v.text('name'), compatibilityFlags: Number(v.u64('compatibility_flags')) };
    } finally {
      mem.free();
    }
  }

  /** SETLOG (VAL-7.0, VAL-13): level < 0 or path null turns the private log off. */
  setLog(level: number, filePath: string | null, tzMinutesWest = 0): void {
    const mem = new NativeMemory(blksnap_setlog.size);
    const pathMem = filePath === null ? null : new NativeMemory(Buffer.byteLength(filePath) + 1);
    try {
      const v = new StructView(blksnap_setlog).setS32('tz_minuteswest', tzMinutesWest).setS32('level', level);
      if (pathMem && filePath !== null) {
        pathMem.write(cString(filePath));
        v.setU32('filepath_size', pathMem.size).setU64('filepath', pathMem.address);
      }
      mem.write(v.buf);
      this.ioctl('SETLOG', this.controlFd, this.request('SETLOG'), mem, { level, filePath });
    } finally {
      pathMem?.free();
      mem.free();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.env.sys.close(this.controlFd);
    if (this.filterFd !== null) this.env.sys.close(this.filterFd);
  }

  private async withRanges<R>(ranges: SectorRange[], fn: (mem: NativeMemory) => R): Promise<R> {
    const mem = new NativeMemory(Math.max(ranges.length, 1) * blksnap_sectors.size);
    try {
      mem.write(encodeSectors(ranges));
      return fn(mem);
    } finally {
      mem.free();
    }
  }
}




