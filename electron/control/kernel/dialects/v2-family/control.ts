// The v2-family control backend, parameterised by a dialect table (lk6.15, v7, v6, VAL-7.0,
// VAL-13). Every argument struct lives in native memory the caller (we) owns, so what the
// kernel writes back (ids, CBT info, map pieces, counts, events) is read from that memory.
// The raw calls are in calls.ts, the multi-step snapshot calls in snapshots.ts, MOD/SETLOG in extras.ts.
import { basename } from 'node:path';
import { appError } from '../../../../../shared/errors';
import type {
  BackendInfo, BlockDevice, CbtInfo, DiffStorageUsage, ModuleParameters, ModuleVersion, SectorRange,
  SnapshotCreateRequest, SnapshotDeviceInfo, SnapshotEvent,
} from '../../../../../shared/schemas';
import type { BlksnapControl, WaitOptions } from '../../../types';
import { syscallError } from '../../errno';
import type { KernelEnv } from '../../env';
import { cString, NativeMemory, O_CLOEXEC, O_RDWR } from '../../native';
import { StructView } from '../../struct';
import { uuidFromBytes, uuidToBytes } from '../../../uuid';
import { V2Calls } from './calls';
import type { V2Dialect, V2Operation } from './dialect';
import { decodeEvent } from './events';
import { mod, setLog } from './extras';
import { readParameters } from './sysfs';
import { listBlockDevices } from './discovery';
import {
  CTL, FILTER_NAME, blksnap_cbtdirty, blksnap_cbtinfo, blksnap_cbtmap, blksnap_snapshot_append_storage, blksnap_snapshot_event,
  blksnap_snapshotinfo, type CtlCommand,
} from './structs';
import { checkRanges, checkU32 } from './checks';
import { collectOnce, idCall, snapshotCollect, snapshotCreate } from './snapshots';
import { noteEvent, storageUsage, type StorageRecord } from './storage';
import { readVersion } from './version';
import { snapshotAddHazard } from './guards';

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
  private readonly calls: V2Calls;
  private readonly storage = new Map<string, StorageRecord>();

  constructor(readonly dialect: V2Dialect, opts: V2ControlOptions, controlFd: number, filterFd: number | null) {
    this.env = opts.env;
    this.calls = new V2Calls(dialect, opts.env, controlFd, filterFd);
    this.info = {
      kind: 'kernel', dialect: dialect.id, dialectLabel: dialect.label, verified: dialect.verified, reason: opts.reason,
      version: opts.version, controlNode: dialect.controlNode, capabilities: dialect.capabilities, stateDir: null,
    };
  }

  // ---- raw calls (calls.ts), public for the conformance replay ----

  /** One filter request (calls.ts `filterCall`). */
  filterCall(op: 'ATTACH' | 'DETACH' | 'CTL', device: string, fill: (view: StructView) => void, errorOp: V2Operation = op, name = FILTER_NAME): StructView {
    return this.calls.filterCall(op, device, fill, errorOp, name);
  }

  /** CTL `cmd` with `opt` as payload; also sends commands the API never does. */
  ctl(device: string, cmd: CtlCommand | number, opt: NativeMemory | null, optlen: number, name = FILTER_NAME): StructView {
    return this.calls.ctl(device, cmd, opt, optlen, name);
  }

  /** One SNAPSHOT_COLLECT (snapshots.ts `collectOnce`). */
  collectOnce(capacity: number | null, countIn = capacity ?? 0): { count: number; ids: string[] } {
    return collectOnce(this.calls, capacity, countIn);
  }

  // ---- BlksnapControl ----

  async version(): Promise<ModuleVersion> {
    return readVersion(this.env, this.calls.controlFd, this.dialect.requests.VERSION, (r) => this.calls.fail('VERSION', r));
  }

  async parameters(): Promise<ModuleParameters> {
    return readParameters(this.env, this.dialect.moduleName);
  }

  async listDevices(): Promise<BlockDevice[]> {
    return listBlockDevices(this.env, (path) => {
      try {
        this.calls.ctlStruct(path, 'CBTINFO', new StructView(blksnap_cbtinfo));
        return true;
      } catch {
        return false;
      }
    });
  }

  async attach(device: string): Promise<void> {
    this.calls.filterCall('ATTACH', device, () => undefined);
  }

  /** ATTACH with another filter name (conformance replay only). */
  attachNamed(device: string, name: string): void {
    this.calls.filterCall('ATTACH', device, () => undefined, 'ATTACH', name);
  }

  async detach(device: string): Promise<void> {
    this.calls.filterCall('DETACH', device, () => undefined);
  }

  async cbtInfo(device: string): Promise<CbtInfo> {
    const v = this.calls.ctlStruct(device, 'CBTINFO', new StructView(blksnap_cbtinfo));
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
      this.calls.ctlStruct(device, 'CBTMAP', payload);
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
    await this.calls.withRanges(ranges, (rangesMem) => {
      const payload = new StructView(blksnap_cbtdirty).setU32('count', ranges.length).setU64('dirty_sectors', rangesMem.address);
      this.calls.ctlStruct(device, 'CBTDIRTY', payload);
    });
  }


  async snapshotAdd(id: string, device: string): Promise<void> {
    // VAL-7.0 compiled these checks out (spec §5.4); upstream oopses after them.
    const hazard = this.dialect.family === 'upstream' ? snapshotAddHazard(this.env, device) : null;
    if (hazard) throw appError('EGUARD', `SNAPSHOTADD refused: ${hazard}`, { device, snapshotId: id });
    this.calls.ctlStruct(device, 'SNAPSHOTADD', new StructView(CTL.SNAPSHOTADD.struct).setBytes('id', uuidToBytes(id)));
  }

  async snapshotCreate(request: SnapshotCreateRequest): Promise<string> {
    const id = snapshotCreate(this.calls, request);
    this.storage.set(id, { path: request.diffStoragePath, limitSectors: request.diffStorageLimitSectors, requestedSectors: 0, appendedSectors: 0, overflowed: false });
    return id;
  }

  async snapshotTake(id: string): Promise<void> {
    idCall(this.calls, 'SNAPSHOT_TAKE', this.dialect.requests.SNAPSHOT_TAKE, id);
  }

  async snapshotDestroy(id: string): Promise<void> {
    idCall(this.calls, 'SNAPSHOT_DESTROY', this.dialect.requests.SNAPSHOT_DESTROY, id);
    this.storage.delete(id);
  }

  async snapshotCollect(): Promise<string[]> {
    return snapshotCollect(this.calls);
  }

  async snapshotInfo(device: string): Promise<SnapshotDeviceInfo> {
    const v = this.calls.ctlStruct(device, 'SNAPSHOTINFO', new StructView(blksnap_snapshotinfo));
    return { errorCode: v.s32('error_code'), image: v.text('image') };
  }

  async waitEvent(id: string, timeoutTicks: number, options: WaitOptions = {}): Promise<SnapshotEvent | null> {
    checkU32('timeoutTicks', timeoutTicks);
    if (options.signal?.aborted) return null;
    if (this.calls.closed) throw appError('EBACKEND', 'the kernel backend is closed', { dialect: this.dialect.id });
    const mem = new NativeMemory(blksnap_snapshot_event.size);
    try {
      mem.write(new StructView(blksnap_snapshot_event).setBytes('id', uuidToBytes(id)).setU32('timeout_ms', timeoutTicks).buf);
      // Blocks up to timeoutTicks jiffies: off the event loop, one slice; abort is seen after it.
      // An event read after an abort is still returned: the module will not send it again.
      const r = await this.env.sys.ioctlBlocking(this.calls.controlFd, this.dialect.requests.SNAPSHOT_WAIT_EVENT, mem.address);
      if (r.ret < 0) {
        if (r.errnoName === 'ENOENT' || r.errnoName === 'EINTR') return null;
        throw this.calls.fail('SNAPSHOT_WAIT_EVENT', r, { id, timeoutTicks });
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
    const request = this.calls.request('SNAPSHOT_APPEND_STORAGE');
    if (ranges.some((r) => !Number.isSafeInteger(r.countSectors) || r.countSectors < 1)) {
      throw appError('EBADARG', 'APPEND_STORAGE: every range covers at least one sector', { id, device });
    }
    this.checkRangesOnDevice(device, ranges);
    const mem = new NativeMemory(blksnap_snapshot_append_storage.size);
    const pathMem = new NativeMemory(Buffer.byteLength(device) + 1);
    try {
      pathMem.write(cString(device));
      await this.calls.withRanges(ranges, (rangesMem) => {
        const v = new StructView(blksnap_snapshot_append_storage).setBytes('id', uuidToBytes(id))
          .setU64('devpath', pathMem.address).setU32('count', ranges.length).setU64('ranges', ranges.length ? rangesMem.address : 0);
        mem.write(v.buf);
        this.calls.ioctl('SNAPSHOT_APPEND_STORAGE', this.calls.controlFd, request, mem, { id, device });
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
  // ---- standalone extras (extras.ts) ----

  /** MOD (VAL-7.0, VAL-13): build name and compatibility flags. */
  mod(): { name: string; compatibilityFlags: number } {
    return mod(this.calls);
  }

  /** SETLOG (VAL-7.0, VAL-13): level < 0 or path null turns the private log off. */
  setLog(level: number, filePath: string | null, tzMinutesWest = 0): void {
    setLog(this.calls, level, filePath, tzMinutesWest);
  }

  async close(): Promise<void> {
    this.calls.close();
  }
}
