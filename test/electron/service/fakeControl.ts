// A small in-memory BlksnapControl for service and transport tests: module-like answers
// (errno names as the reference dialect gives them) and a log of calls in order.
import { BlksnapError, errnoError } from '../../../shared/errors';
import type {
  BackendInfo, BlockDevice, CbtInfo, DiffStorageUsage, SectorRange, SnapshotCreateRequest, SnapshotDeviceInfo, SnapshotEvent,
} from '../../../shared/schemas';
import type { BlksnapControl, EmulatorControl, WaitOptions } from '../../../electron/control/types';

interface FakeDevice extends BlockDevice {
  map: Uint8Array;
  changesNumber: number;
  generationId: string;
  snapshot: string | null;
  data: Uint8Array;
}
interface FakeSnapshot {
  id: string;
  devices: string[];
  taken: boolean;
  events: SnapshotEvent[];
  usage: DiffStorageUsage;
  waiters: Array<() => void>;
}

export const BLOCK_SIZE = 65536;
/** Not a major any host disk has (the 12-bit maximum), so fake devices never match the host file system holding a test's storage. */
export const FAKE_MAJOR = 4095;

export function backendInfo(kind: 'kernel' | 'emulator'): BackendInfo {
  return {
    kind,
    dialect: 'lk6.15',
    dialectLabel: 'upstream lk6.15',
    verified: true,
    reason: kind === 'emulator' ? 'test fake (emulator)' : 'test fake (kernel)',
    version: { major: 2, minor: 0, revision: 0, build: 0 },
    controlNode: kind === 'kernel' ? '/dev/blksnap-control' : null,
    capabilities: {
      explicitAttach: true, addAfterCreate: true, appendStorage: false, cbtMapNeedsTakenSnapshot: false, maxSnapshots: null,
      storageModes: ['file', 'directory', 'block'], eventCodes: { 0: 'corrupted', 1: 'no_space' }, needsStretchService: false,
    },
    stateDir: null,
  };
}

let uuidCounter = 0;
function fakeUuid(): string {
  uuidCounter += 1;
  return `00000000-0000-4000-8000-${uuidCounter.toString(16).padStart(12, '0')}`;
}

export class FakeControl implements EmulatorControl {
  readonly info: BackendInfo;
  readonly hz = 250;
  readonly log: string[] = [];
  readonly devices = new Map<string, FakeDevice>();
  readonly snapshots = new Map<string, FakeSnapshot>();
  waitsInProgress = 0;
  /** Real time per wait slice, ms (the fake ignores ticks to keep tests fast). */
  waitSliceMs = 20;

  constructor(kind: 'kernel' | 'emulator' = 'emulator') {
    this.info = backendInfo(kind);
  }

  addDevice(name: string, capacityBytes: number, tracked = false): FakeDevice {
    const blocks = Math.ceil(capacityBytes / BLOCK_SIZE);
    const device: FakeDevice = {
      path: `/dev/${name}`, name, devId: { major: FAKE_MAJOR, minor: this.devices.size }, capacitySectors: capacityBytes / 512,
      tracked, discovery: 'emulator', map: new Uint8Array(blocks), changesNumber: 0, generationId: fakeUuid(), snapshot: null,
      data: new Uint8Array(0),
    };
    this.devices.set(device.path, device);
    return device;
  }

  private device(path: string, op: string): FakeDevice {
    const d = this.devices.get(path);
    if (!d) throw errnoError('ENOENT', op, 'no such device', { device: path });
    return d;
  }

  private tracked(path: string, op: string): FakeDevice {
    const d = this.device(path, op);
    if (!d.tracked) throw errnoError('ENOENT', op, 'the device is not tracked', { device: path });
    return d;
  }

  private snap(id: string, op: string, code: 'ESRCH' | 'ENODEV' = 'ESRCH'): FakeSnapshot {
    const s = this.snapshots.get(id);
    if (!s) throw errnoError(code, op, 'no such snapshot', { snapshotId: id });
    return s;
  }

  async version() { return this.info.version; }
  async parameters() { return { diff_storage_minimum: 2097152 }; }
  async listDevices(): Promise<BlockDevice[]> {
    return [...this.devices.values()].map(({ path, name, devId, capacitySectors, tracked, discovery }) => ({ path, name, devId: { ...devId }, capacitySectors, tracked, discovery }));
  }
  async attach(device: string) {
    this.log.push(`attach ${device}`);
    const d = this.device(device, 'attach');
    if (d.tracked) throw errnoError('EALREADY', 'attach', 'already attached');
    d.tracked = true;
  }
  async detach(device: string) {
    this.log.push(`detach ${device}`);
    this.tracked(device, 'detach').tracked = false;
  }
  async cbtInfo(device: string): Promise<CbtInfo> {
    const d = this.tracked(device, 'cbtinfo');
    return { deviceCapacityBytes: d.capacitySectors * 512, blockSizeBytes: BLOCK_SIZE, blockCount: d.map.length, generationId: d.generationId, changesNumber: d.changesNumber };
  }
  async cbtMap(device: string, offset: number, length: number) {
    const d = this.tracked(device, 'cbtmap');
    if (offset + length > d.map.length) throw errnoError('ENODATA', 'cbtmap', 'past the end');
    return d.map.slice(offset, offset + length);
  }
  async cbtDirty(device: string, ranges: SectorRange[]) {
    const d = this.tracked(device, 'cbtdirty');
    for (const r of ranges) {
      const first = Math.floor((r.offsetSectors * 512) / BLOCK_SIZE);
      const last = Math.floor(((r.offsetSectors + r.countSectors) * 512 - 1) / BLOCK_SIZE);
      for (let b = first; b <= last && b < d.map.length; b++) d.map[b] = d.changesNumber + 1;
    }
  }
  async snapshotCreate(request: SnapshotCreateRequest) {
    const id = fakeUuid();
    this.log.push(`create ${id}`);
    this.snapshots.set(id, {
      id, devices: [], taken: false, events: [], waiters: [],
      usage: { filledSectors: 4096, requestedSectors: 2097152, capacitySectors: 2097152, limitSectors: request.diffStorageLimitSectors, overflowed: false, source: 'fake' },
    });
    return id;
  }
  async snapshotAdd(id: string, device: string) {
    this.log.push(`add ${id} ${device}`);
    const s = this.snap(id, 'snapshotadd');
    const d = this.tracked(device, 'snapshotadd');
    if (d.snapshot === id) throw errnoError('EALREADY', 'snapshotadd', 'already in it');
    if (d.snapshot) throw errnoError('EBUSY', 'snapshotadd', 'in another snapshot');
    d.snapshot = id;
    s.devices.push(device);
  }
  async snapshotTake(id: string) {
    this.log.push(`take ${id}`);
    const s = this.snap(id, 'take');
    if (s.taken) throw errnoError('EALREADY', 'take', 'already taken');
    if (s.devices.length === 0) throw errnoError('ENODEV', 'take', 'no device added');
    s.taken = true;
    for (const p of s.devices) this.devices.get(p)!.changesNumber += 1;
  }
  async snapshotCollect() { return [...this.snapshots.keys()]; }
  async snapshotDestroy(id: string) {
    this.log.push(`destroy ${id} waits=${this.waitsInProgress}`);
    const s = this.snap(id, 'destroy', 'ENODEV');
    for (const p of s.devices) this.devices.get(p)!.snapshot = null;
    this.snapshots.delete(id);
    for (const w of s.waiters.splice(0)) w();
  }
  async snapshotInfo(device: string): Promise<SnapshotDeviceInfo> {
    const d = this.tracked(device, 'snapshotinfo');
    const s = d.snapshot ? this.snapshots.get(d.snapshot) : undefined;
    return { errorCode: 0, image: s?.taken ? `blksnap-${d.devId.major}-${d.devId.minor}` : '' };
  }
  async waitEvent(id: string, _ticks: number, options: WaitOptions = {}): Promise<SnapshotEvent | null> {
    const s = this.snap(id, 'wait_event');
    if (s.events.length > 0) return s.events.shift()!;
    this.waitsInProgress += 1;
    try {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, this.waitSliceMs);
        function done() {
          clearTimeout(timer);
          // The pump's signal outlives every wait: a listener left on it per wait was the
          // MaxListenersExceededWarning of the service suites.
          options.signal?.removeEventListener('abort', done);
          resolve();
        }
        s.waiters.push(done);
        options.signal?.addEventListener('abort', done, { once: true });
      });
    } finally {
      this.waitsInProgress -= 1;
    }
    if (!this.snapshots.has(id)) throw errnoError('ESRCH', 'wait_event', 'destroyed');
    return s.events.shift() ?? null;
  }
  async appendStorage(): Promise<void> {
    throw new BlksnapError({ code: 'EUNSUPPORTED', message: 'no append storage' });
  }
  async diffStorageUsage(id: string) {
    return { ...this.snap(id, 'usage').usage };
  }
  async close() {}

  /** Queues a module event as the module would. */
  pushEvent(id: string, event: Omit<SnapshotEvent, 'snapshotId' | 'timeLabelNs'>): void {
    const s = this.snap(id, 'event');
    s.events.push({ snapshotId: id, timeLabelNs: String(process.hrtime.bigint()), ...event });
    for (const w of s.waiters.splice(0)) w();
  }

  // Emulator extras.
  async createDevice(name: string, capacityBytes: number) {
    const d = this.addDevice(name, capacityBytes);
    return (await this.listDevices()).find((x) => x.path === d.path)!;
  }
  async removeDevice(name: string) {
    if (!this.devices.delete(`/dev/${name}`)) throw errnoError('ENOENT', 'remove', 'no such device');
  }
  async write(path: string, offsetBytes: number, data: Uint8Array) {
    const d = this.device(path, 'write');
    const end = offsetBytes + data.length;
    if (d.data.length < end) {
      const grown = new Uint8Array(end);
      grown.set(d.data);
      d.data = grown;
    }
    d.data.set(data, offsetBytes);
    if (d.tracked) for (let b = Math.floor(offsetBytes / BLOCK_SIZE); b * BLOCK_SIZE < end; b++) d.map[b] = d.changesNumber + 1;
  }
  async read(path: string, offsetBytes: number, lengthBytes: number) {
    const d = this.device(path, 'read');
    const out = new Uint8Array(lengthBytes);
    out.set(d.data.subarray(offsetBytes, offsetBytes + lengthBytes));
    return out;
  }
  async setParameters(p: Record<string, number>) { return p; }
  /** What pendingChange answers (the emulator counts its write map). */
  pending = { blocks: 0, bytes: 0 };
  async pendingChange() { return this.pending; }
}

/** A kernel-kind fake (emulator extras still present but isEmulator() says no). */
export function fakeKernel(): BlksnapControl {
  return new FakeControl('kernel');
}
