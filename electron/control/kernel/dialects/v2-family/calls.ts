// The raw calls every v2-family request goes through: errors named per operation and dialect,
// the ioctl itself (refused once closed), filter requests addressed by device or path, CTL with
// its payload, and native memory for ranges. Owns the control and filter file descriptors.
import { statSync } from 'node:fs';
import { appError, type BlksnapError } from '../../../../../shared/errors';
import type { SectorRange } from '../../../../../shared/schemas';
import { notABlockDevice } from '../../../sentences';
import { meanings, syscallError, type Details } from '../../errno';
import type { KernelEnv } from '../../env';
import { cString, NativeMemory, O_CLOEXEC, O_RDONLY, type SyscallResult } from '../../native';
import { StructView } from '../../struct';
import type { V2Dialect, V2Operation } from './dialect';
import { V2_MEANINGS } from './meanings';
import { CTL, FILTER_NAME, blksnap_sectors, type CtlCommand } from './structs';
import { encodeSectors } from './checks';

export class V2Calls {
  private isClosed = false;

  constructor(readonly dialect: V2Dialect, readonly env: KernelEnv, readonly controlFd: number, private readonly filterFd: number | null) {}

  get closed(): boolean {
    return this.isClosed;
  }

  /** Closes the nodes; every later call is refused. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.env.sys.close(this.controlFd);
    if (this.filterFd !== null) this.env.sys.close(this.filterFd);
  }

  fail(op: V2Operation, result: SyscallResult, details: Details = {}): BlksnapError {
    const ctlSub = op === 'CBTINFO' || op === 'CBTMAP' || op === 'CBTDIRTY' || op === 'SNAPSHOTADD' || op === 'SNAPSHOTINFO';
    const table = ctlSub
      ? meanings(V2_MEANINGS.CTL, this.dialect.meanings.CTL, V2_MEANINGS[op], this.dialect.meanings[op])
      : meanings(V2_MEANINGS[op], this.dialect.meanings[op]);
    return syscallError(result, op, table, { dialect: this.dialect.id, ...details });
  }

  ioctl(op: V2Operation, fd: number, request: number, mem: NativeMemory, details: Details = {}): SyscallResult {
    if (this.isClosed) throw appError('EBACKEND', 'the kernel backend is closed', { dialect: this.dialect.id });
    const r = this.env.sys.ioctl(fd, request, mem.address);
    if (r.ret < 0) throw this.fail(op, r, details);
    return r;
  }

  request(name: 'MOD' | 'SETLOG' | 'SNAPSHOT_APPEND_STORAGE'): number {
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
    refuseSpecialNode(device);
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
  ctlStruct(device: string, cmd: CtlCommand, payload: StructView): StructView {
    const mem = new NativeMemory(payload.layout.size);
    try {
      mem.write(payload.buf);
      this.ctl(device, cmd, mem, payload.layout.size);
      return new StructView(payload.layout, mem.read());
    } finally {
      mem.free();
    }
  }

  async withRanges<R>(ranges: SectorRange[], fn: (mem: NativeMemory) => R): Promise<R> {
    const mem = new NativeMemory(Math.max(ranges.length, 1) * blksnap_sectors.size);
    try {
      mem.write(encodeSectors(ranges));
      return fn(mem);
    } finally {
      mem.free();
    }
  }
}

/**
 * Upstream, a filter call opens the path it is given. Opening a character device, a FIFO or a
 * socket can act or hang (a watchdog starts and reboots the host, a tape rewinds, a serial line
 * drops DTR; a FIFO blocks until a writer comes), so such a path is refused before the open, as v1's
 * client refuses every non-block path. A regular file or a missing path goes on to the open and the
 * ioctl, which answer for it (ENOENT, ENOTTY).
 */
function refuseSpecialNode(device: string): void {
  let st;
  try {
    st = statSync(device, { throwIfNoEntry: false });
  } catch {
    return; // EACCES, ELOOP...: the open says so in its words
  }
  if (st && (st.isCharacterDevice() || st.isFIFO() || st.isSocket())) throw notABlockDevice(device);
}
