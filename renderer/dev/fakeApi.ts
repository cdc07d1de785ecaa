// An in-memory BlksnapApi + PushSource for developing and screenshotting the renderer without
// the service (?fake=1; ?fake=1&dialect=v1 for the v1 model). It imitates the module loosely:
// trackers with write/read maps, takes that copy the write map, a difference storage that
// fills as workloads write to taken devices and overflows at its limit.
import type {
  AppEvent, BlksnapApi, DeviceSummary, FillSample, PushPayload, PushSource, PushTopic, SnapshotSummary,
} from '../../shared/contract';
import { changedRanges, rangesBytes, rangesToCsv } from '../../shared/cbt';
import { mapLevelAnswer } from '../../shared/cbtLevels';
import type { BackendInfo, BlockDevice, Capabilities, CbtInfo, StorageMode } from '../../shared/schemas';
import type { ApiClient } from '../app/apiContext';
import { seededRandom as mulberry32 } from '../../shared/random';
import { fakeChangedFiles } from './fakeChangedFiles';
import { fakeWorkloads } from './fakeWorkloads';

const GiB = 2 ** 30;
const MiB = 2 ** 20;

interface Tracker { blockSizeBytes: number; write: Uint8Array; read: Uint8Array; previous: number; active: number; generation: string }
interface FakeDevice { device: BlockDevice; tracker: Tracker | null; snapshotId: string | null }
interface FakeSnapshot {
  id: string; devices: string[]; taken: boolean; createdAtMs: number; path: string | null; mode: StorageMode;
  limitSectors: number; filledSectors: number; capacitySectors: number; overflowed: boolean; corrupted: boolean;
  copied: Set<string>; history: FillSample[];
}

function uuid(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}


function fail(code: string, message: string): never {
  throw { code, message, details: {} };
}

function capabilitiesFor(v1: boolean): Capabilities {
  return v1
    ? { explicitAttach: false, addAfterCreate: false, appendStorage: true, cbtMapNeedsTakenSnapshot: true, maxSnapshots: 1, storageModes: ['ranges'], eventCodes: { 0: 'low_free_space', 1: 'corrupted' }, needsStretchService: true }
    : { explicitAttach: true, addAfterCreate: true, appendStorage: false, cbtMapNeedsTakenSnapshot: false, maxSnapshots: null, storageModes: ['file', 'directory', 'block'], eventCodes: { 0: 'corrupted', 1: 'no_space' }, needsStretchService: false };
}

export function createFakeClient(options: { dialect?: 'v1' | 'lk6.15'; seed?: number; live?: boolean; empty?: boolean } = {}): ApiClient {
  const params = typeof window === 'undefined' ? new URLSearchParams() : new URLSearchParams(window.location.search);
  const v1 = (options.dialect ?? params.get('dialect')) === 'v1';
  const empty = options.empty ?? params.has('empty');
  const random = mulberry32(options.seed ?? 7);
  const listeners = new Map<PushTopic, Set<(payload: never) => void>>();
  const devices = new Map<string, FakeDevice>();
  const snapshots = new Map<string, FakeSnapshot>();
  const events: AppEvent[] = [];
  let seq = 0;
  let nextMinor = 0;

  const backend: BackendInfo = {
    kind: 'emulator',
    dialect: v1 ? 'v1' : 'lk6.15',
    dialectLabel: v1 ? 'Veeam Agent 6.x v1 (emulated)' : 'upstream lk6.15 (emulated)',
    verified: !v1,
    reason: 'No blksnap control node found (/dev/blksnap-control, /dev/veeamblksnap): using the emulator (fake renderer API).',
    version: v1 ? { major: 1, minor: 0, revision: 0, build: 0 } : { major: 2, minor: 0, revision: 0, build: 0 },
    controlNode: null,
    capabilities: capabilitiesFor(v1),
    stateDir: '/tmp/blksnap-fake',
  };

  function emit<T extends PushTopic>(topic: T, payload: PushPayload<T>) {
    for (const listener of listeners.get(topic) ?? []) (listener as (p: PushPayload<T>) => void)(payload);
  }

  function event(partial: Omit<AppEvent, 'seq' | 'timeMs' | 'module'> & { module?: AppEvent['module'] }) {
    const e: AppEvent = { seq: seq++, timeMs: Date.now(), module: null, ...partial };
    events.push(e);
    if (events.length > 100_000) events.splice(0, events.length - 100_000);
    emit('events', [e]);
  }

  function newTracker(capacityBytes: number): Tracker {
    let shift = 16;
    while (Math.ceil(capacityBytes / 2 ** shift) > 2_097_152 && shift < 26) shift++;
    const count = Math.ceil(capacityBytes / 2 ** shift);
    return { blockSizeBytes: 2 ** shift, write: new Uint8Array(count), read: new Uint8Array(count), previous: 0, active: 1, generation: uuid(random) };
  }

  function cbtInfo(d: FakeDevice): CbtInfo | null {
    const t = d.tracker;
    if (!t) return null;
    return { deviceCapacityBytes: d.device.capacitySectors * 512, blockSizeBytes: t.blockSizeBytes, blockCount: t.read.length, generationId: t.generation, changesNumber: t.previous };
  }

  function summary(d: FakeDevice): DeviceSummary {
    const snap = d.snapshotId ? snapshots.get(d.snapshotId) : undefined;
    const image = snap?.taken ? (v1 ? `veeamblksnapimg${d.device.devId.minor}` : `blksnap-${d.device.devId.major}-${d.device.devId.minor}`) : '';
    return {
      ...d.device, tracked: d.tracker !== null, cbt: cbtInfo(d), snapshotId: d.snapshotId,
      snapshot: snap ? { errorCode: snap.corrupted ? -28 : 0, image } : null, emulated: true,
    };
  }

  function snapshotSummary(s: FakeSnapshot): SnapshotSummary {
    const fraction = s.limitSectors > 0 ? s.filledSectors / s.limitSectors : 0;
    const rate = fillRate(s);
    const timeToFullSec = rate > 0 && !s.overflowed ? ((s.limitSectors - s.filledSectors) * 512) / rate : null;
    const warning = s.overflowed ? null : fraction > 0.8 ? `Difference storage ${Math.round(fraction * 100)}% full: it overflows soon and the snapshot will be corrupted.`
      : timeToFullSec !== null && timeToFullSec < 120 ? `At the current write rate the difference storage is full in ${Math.round(timeToFullSec)} s.` : null;
    return {
      id: s.id,
      devices: s.devices.map((path) => ({ path, info: summary(devices.get(path)!).snapshot })),
      taken: s.taken, createdAtMs: s.createdAtMs, diffStoragePath: s.path, storageMode: s.mode,
      usage: { filledSectors: s.filledSectors, requestedSectors: s.capacitySectors, capacitySectors: s.capacitySectors, limitSectors: s.limitSectors, overflowed: s.overflowed, source: 'emulator (fake)' },
      timeToFullSec, corrupted: s.corrupted, warning, createdOutside: false,
    };
  }

  function fillRate(s: FakeSnapshot): number {
    const h = s.history;
    if (h.length < 2) return 0;
    const a = h[Math.max(0, h.length - 6)]!;
    const b = h[h.length - 1]!;
    if (b.timeMs <= a.timeMs || a.usedBytes === null || b.usedBytes === null) return 0;
    return ((b.usedBytes - a.usedBytes) * 1000) / (b.timeMs - a.timeMs);
  }

  const pushDevices = () => emit('devices', [...devices.values()].map(summary));
  const pushSnapshots = () => emit('snapshots', [...snapshots.values()].map(snapshotSummary));

  function addDevice(name: string, sizeBytes: number): FakeDevice {
    const device: BlockDevice = { path: `/dev/${name}`, name, devId: { major: 252, minor: nextMinor++ }, capacitySectors: sizeBytes / 512, tracked: false, discovery: 'emulator' };
    const d: FakeDevice = { device, tracker: null, snapshotId: null };
    devices.set(device.path, d);
    return d;
  }

  function take(t: Tracker) {
    t.previous = t.active;
    t.active += 1;
    t.read.set(t.write);
  }

  /** A write of [offset, offset+length) bytes to a device: CBT marks and copy-on-write. */
  function write(d: FakeDevice, offsetBytes: number, lengthBytes: number) {
    const t = d.tracker;
    if (t) {
      const first = Math.floor(offsetBytes / t.blockSizeBytes);
      const last = Math.min(t.write.length - 1, Math.floor((offsetBytes + lengthBytes - 1) / t.blockSizeBytes));
      t.write.fill(t.active, first, last + 1);
    }
    const s = d.snapshotId ? snapshots.get(d.snapshotId) : undefined;
    if (!s?.taken || s.corrupted) return;
    const chunk = 256 * 1024;
    for (let c = Math.floor(offsetBytes / chunk); c <= Math.floor((offsetBytes + lengthBytes - 1) / chunk); c++) {
      const key = `${d.device.path}:${c}`;
      if (s.copied.has(key)) continue;
      if (s.filledSectors + chunk / 512 > s.limitSectors) {
        s.overflowed = true;
        s.corrupted = true;
        event({
          source: 'module', level: 'error', kind: 'corrupted', snapshotId: s.id, device: d.device.path,
          message: `${d.device.path}: snapshot area corrupted (ENOSPC, error -28): the difference storage overflowed`,
          module: { snapshotId: s.id, code: v1 ? 1 : 0, kind: 'corrupted', timeLabelNs: String(Math.round(performance.now() * 1e6)), device: d.device.devId, errCode: 28, requestedSectors: null },
        });
        pushSnapshots();
        pushDevices();
        return;
      }
      s.copied.add(key);
      s.filledSectors += chunk / 512;
      s.capacitySectors = Math.max(s.capacitySectors, Math.min(s.limitSectors, Math.ceil(s.filledSectors / 2_097_152 + 0.5) * 2_097_152));
    }
  }

  // Seed state: a 128 GiB device with a full 2,097,152-block map, a small one in a taken snapshot, one untracked.
  function seed() {
    const big = addDevice('vdb', 128 * GiB);
    big.tracker = newTracker(128 * GiB);
    for (let take_ = 0; take_ < 6; take_++) {
      const t = big.tracker;
      const hot = Math.floor(random() * t.write.length);
      for (let i = 0; i < 40; i++) {
        const start = (hot + Math.floor((random() - 0.5) * 400_000) + t.write.length) % t.write.length;
        t.write.fill(t.active, start, Math.min(t.write.length, start + Math.floor(random() * 3000)));
      }
      for (let i = 0; i < 3000; i++) t.write[Math.floor(random() * t.write.length)] = t.active;
      take(t);
    }
    const small = addDevice('emu0', 8 * GiB);
    small.tracker = newTracker(8 * GiB);
    small.tracker.write.fill(1, 0, 2048);
    take(small.tracker);
    small.tracker.write.fill(2, 30_000, 34_000);
    addDevice('emu1', GiB);

    const snapId = uuid(random);
    const now = Date.now();
    const seeded: FakeSnapshot = {
      id: snapId, devices: ['/dev/emu0'], taken: true, createdAtMs: now - 120_000, path: '/var/tmp/blksnap-diff', mode: 'file', limitSectors: (2 * GiB) / 512,
      filledSectors: 4096, capacitySectors: (GiB + 4096) / 512, overflowed: false, corrupted: false, copied: new Set(), history: [],
    };
    for (let i = 60; i > 0; i--) {
      const used = (4096 + (60 - i) * 4096) * 512;
      seeded.history.push({ timeMs: now - i * 2000, usedBytes: used, allocatedBytes: GiB + 2 * MiB, limitBytes: 2 * GiB });
    }
    seeded.filledSectors = seeded.history.at(-1)!.usedBytes! / 512;
    snapshots.set(snapId, seeded);
    small.snapshotId = snapId;
    take(small.tracker);
    event({ source: 'app', level: 'info', kind: 'backend', snapshotId: null, device: null, message: 'Using the emulator: no blksnap module found.' });
    event({ source: 'app', level: 'info', kind: 'snapshot', snapshotId: snapId, device: '/dev/emu0', message: `Snapshot ${snapId} taken: image /dev/blksnap-252-1` });
  }
  if (!empty) seed();
  else event({ source: 'app', level: 'info', kind: 'backend', snapshotId: null, device: null, message: 'Using the emulator: no blksnap module found.' });

  function sampleFill() {
    for (const s of snapshots.values()) {
      const sample: FillSample = { timeMs: Date.now(), usedBytes: s.filledSectors * 512, allocatedBytes: s.capacitySectors * 512, limitBytes: s.limitSectors * 512 };
      s.history.push(sample);
      if (s.history.length > 600) s.history.shift();
      emit('fill', { id: s.id, sample });
    }
    if (snapshots.size > 0) pushSnapshots();
  }
  if (options.live ?? true) setInterval(sampleFill, 1000);

  const device = (path: string) => devices.get(path) ?? fail('ENODEV', `No such device: ${path}`);
  const snapshot = (id: string) => snapshots.get(id) ?? fail('ENODEV', `snapshot_destroy: ENODEV (No such device): no snapshot ${id}`);
  const ok = { ok: true } as const;

  const api: BlksnapApi = {
    backendInfo: async () => backend,
    doctor: async () => ({
      kernelRelease: '6.12.0-fake', dialect: null, backend,
      modules: [{ name: 'blksnap', loaded: false, version: null, parameters: {} }],
      nodes: [{ path: '/dev/blksnap-control', exists: false, mode: null, note: 'upstream control node' }, { path: '/dev/veeamblksnap', exists: false, mode: null, note: 'Veeam control node' }],
      reasons: ['No blksnap module is loaded.'], fixes: ['Install and load the blksnap module (modprobe blksnap), or keep using the emulator.'],
    }),
    parameters: async () => ({ tracking_block_minimum_shift: 16, tracking_block_maximum_count: 2_097_152, tracking_block_maximum_shift: 26, chunk_minimum_shift: 18, chunk_maximum_count_shift: 40, chunk_maximum_shift: 26, chunk_maximum_in_queue: 256, diff_storage_minimum: 2_097_152 }),
    listDevices: async () => [...devices.values()].map(summary),
    attach: async ({ device: path }) => {
      if (v1) fail('EUNSUPPORTED', 'attach: not supported by the v1 dialect: trackers appear when a snapshot is created');
      const d = device(path);
      if (d.tracker) fail('EALREADY', `attach: EALREADY (Operation already in progress): ${path} is already tracked`);
      d.tracker = newTracker(d.device.capacitySectors * 512);
      event({ source: 'app', level: 'info', kind: 'tracker', snapshotId: null, device: path, message: `Tracker attached to ${path}` });
      pushDevices();
      return ok;
    },
    detach: async ({ device: path, force }) => {
      const d = device(path);
      if (!d.tracker) fail('ENOENT', `detach: ENOENT (No such file or directory): ${path} is not tracked`);
      if (d.snapshotId && !force) fail('EGUARD', `${path} is held by snapshot ${d.snapshotId}: detaching stops copy-on-write and the image diverges. Destroy the snapshot first, or detach with force.`);
      d.tracker = null;
      event({ source: 'app', level: 'info', kind: 'tracker', snapshotId: null, device: path, message: `Tracker detached from ${path}` });
      pushDevices();
      return ok;
    },
    cbtInfo: async ({ device: path }) => cbtInfo(device(path)) ?? fail('ENOENT', `cbtinfo: ENOENT: ${path} is not tracked`),
    cbtMap: async ({ device: path }) => {
      const t = device(path).tracker ?? fail('ENOENT', `cbtmap: ENOENT: ${path} is not tracked`);
      return t.read.slice();
    },
    cbtMapLevel: async ({ device: path, shift }) => mapLevelAnswer((device(path).tracker ?? fail('ENOENT', `cbtmap: ENOENT: ${path} is not tracked`)).read, shift),
    markDirty: async ({ device: path, ranges }) => {
      const d = device(path);
      const t = d.tracker ?? fail('ENOENT', `cbtdirty: ENOENT: ${path} is not tracked`);
      for (const r of ranges) {
        const first = Math.floor((r.offsetSectors * 512) / t.blockSizeBytes);
        const last = Math.floor(((r.offsetSectors + r.countSectors) * 512 - 1) / t.blockSizeBytes);
        t.read.fill(Math.max(1, t.previous), first, last + 1);
        t.write.fill(t.active, first, last + 1);
      }
      return ok;
    },
    exportChangedRanges: async ({ device: path, sinceChangeNumber, format }) => {
      const d = device(path);
      const t = d.tracker ?? fail('ENOENT', `cbtmap: ENOENT: ${path} is not tracked`);
      const ranges = changedRanges(t.read, t.blockSizeBytes, sinceChangeNumber, d.device.capacitySectors * 512);
      const text = format === 'csv' ? rangesToCsv(ranges) : JSON.stringify({ device: path, generationId: t.generation, sinceChangeNumber, ranges }, null, 2);
      return { text, rangeCount: ranges.length, bytes: rangesBytes(ranges) };
    },
    snapshotCreate: async ({ diffStoragePath, diffStorageLimitSectors, devices: list }) => {
      if (v1 && list.length === 0) fail('EGUARD', 'snapshot_create: refused: a v1 snapshot needs at least one device (an empty list hangs the kernel)');
      if (v1 && snapshots.size > 0) fail('EBUSY', 'snapshot_create: v1 holds one snapshot at a time: destroy the current one first');
      if (diffStoragePath !== null && !diffStoragePath.startsWith('/')) fail('ENOENT', `snapshot_create: ENOENT (No such file or directory): ${diffStoragePath}`);
      const id = uuid(random);
      // Range storage (v1, or no path) fills from 0; a path from 2 MiB (the fake plays lk6.15 or v1).
      const mode: StorageMode = v1 || diffStoragePath === null ? 'ranges' : 'directory';
      snapshots.set(id, { id, devices: [], taken: false, createdAtMs: Date.now(), path: diffStoragePath, mode, limitSectors: diffStorageLimitSectors, filledSectors: mode === 'ranges' ? 0 : 4096, capacitySectors: Math.min(diffStorageLimitSectors, 2_097_152 + 8), overflowed: false, corrupted: false, copied: new Set(), history: [] });
      for (const path of list) await api.snapshotAdd({ id, device: path }).catch((e: unknown) => { if (!v1) throw e; });
      if (v1) for (const path of list) { const d = device(path); d.tracker ??= newTracker(d.device.capacitySectors * 512); d.snapshotId = id; snapshots.get(id)!.devices.push(path); }
      event({ source: 'app', level: 'info', kind: 'snapshot', snapshotId: id, device: null, message: `Snapshot ${id} created` });
      pushSnapshots();
      pushDevices();
      return { id };
    },
    snapshotAdd: async ({ id, device: path }) => {
      if (v1) fail('EUNSUPPORTED', 'snapshot_add: the v1 dialect fixes the device list at create');
      const s = snapshot(id);
      const d = device(path);
      if (!d.tracker) fail('ENOENT', `snapshot_add: ENOENT: ${path} is not tracked; attach it first`);
      if (d.snapshotId) fail('EBUSY', `snapshot_add: EBUSY: ${path} is already in snapshot ${d.snapshotId}`);
      if (s.taken) fail('EALREADY', 'snapshot_add: the snapshot is already taken');
      s.devices.push(path);
      d.snapshotId = id;
      pushSnapshots();
      pushDevices();
      return ok;
    },
    snapshotTake: async ({ id }) => {
      const s = snapshot(id);
      if (s.taken) fail('EALREADY', 'snapshot_take: EALREADY: already taken');
      if (s.devices.length === 0) fail('ENODEV', 'snapshot_take: the snapshot has no devices; add one first');
      s.taken = true;
      for (const path of s.devices) take(device(path).tracker!);
      event({ source: 'app', level: 'info', kind: 'snapshot', snapshotId: id, device: null, message: `Snapshot ${id} taken` });
      pushSnapshots();
      pushDevices();
      return ok;
    },
    snapshotDestroy: async ({ id }) => {
      const s = snapshot(id);
      snapshots.delete(id);
      for (const path of s.devices) device(path).snapshotId = null;
      event({ source: 'app', level: 'info', kind: 'snapshot', snapshotId: id, device: null, message: `Snapshot ${id} destroyed` });
      pushSnapshots();
      pushDevices();
      return ok;
    },
    listSnapshots: async () => [...snapshots.values()].map(snapshotSummary),
    fillHistory: async ({ id }) => snapshot(id).history.slice(),
    eventHistory: async ({ limit }) => events.slice(-(limit ?? 1000)),
    waitEvent: async () => null,
    emuCreateDevice: async ({ name, sizeBytes }) => {
      if (devices.has(`/dev/${name}`)) fail('EEXIST', `emu_create: EEXIST (File exists): /dev/${name} exists`);
      const d = addDevice(name, sizeBytes);
      pushDevices();
      return d.device;
    },
    emuRemoveDevice: async ({ name }) => {
      const d = device(`/dev/${name}`);
      if (d.snapshotId) fail('EBUSY', `emu_remove: /dev/${name} is in a snapshot`);
      devices.delete(d.device.path);
      pushDevices();
      return ok;
    },
    emuWrite: async ({ path, offsetBytes, data }) => {
      write(device(path), offsetBytes, data.length);
      return ok;
    },
    emuRead: async ({ lengthBytes }) => new Uint8Array(lengthBytes),
    // The fake's images hold an ext4 file system (the real probe: electron/service/imageProbe.ts).
    imageFileSystem: async ({ device: path }) => {
      const image = summary(device(path)).snapshot?.image || fail('ENODEV', `imageFileSystem: ENODEV (No such device): ${path} has no snapshot image`);
      return { image: `/dev/${image}`, type: 'ext4', usage: 'filesystem', partitionTable: null, problem: null };
    },
    ...fakeWorkloads({ device: (path) => device(path).device, write: (path, offsetBytes, lengthBytes) => write(device(path), offsetBytes, lengthBytes), emit, event, fail }),
    supportBundle: async () => ({ path: '/tmp/blksnap-fake/support.tar.gz' }),
    ...fakeChangedFiles((path) => {
      const t = device(path).tracker ?? fail('ENOENT', `${path} is not tracked`);
      return { map: t.read, blockSizeBytes: t.blockSizeBytes, generation: t.generation };
    }),
  };

  const push: PushSource & { emit: typeof emit } = {
    subscribe(topic, listener) {
      let set = listeners.get(topic);
      if (!set) listeners.set(topic, (set = new Set()));
      set.add(listener as (payload: never) => void);
      return () => set.delete(listener as (payload: never) => void);
    },
    emit,
  };
  return { api, push, transport: 'fake' };
}
