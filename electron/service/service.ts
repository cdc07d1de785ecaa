// The transport-agnostic service (design.md, layer 2): everything the UI needs that the
// module does not give directly. Transports validate arguments before calling it.
import { stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  ApiArgs, ApiResult, AppEvent, BlksnapApi, DeviceSummary, FillSample, PushPayload, PushSource, PushTopic,
  SnapshotSummary, WorkloadStatus,
} from '../../shared/contract';
import type { BlockDevice, CbtInfo, DevId, DiffStorageUsage, SnapshotCreateRequest, SnapshotDeviceInfo, SnapshotEvent } from '../../shared/schemas';
import { BlksnapError, appError, errnoError, errnoName, errnoMeaning, toErrorInfo } from '../../shared/errors';
import { changedRanges, rangesBytes, rangesToCsv } from '../../shared/cbt';
import { SECTOR_SIZE } from '../../shared/units';
import { isEmulator, type BlksnapControl, type EmulatorControl } from '../control/types';
import { DEFAULT_CONFIG, type ServiceConfig, type WorkloadHandle } from './config';
import { PushBus } from './pushBus';
import { EventLog, type AppEventInput, type EventCount } from './eventLog';
import { SnapshotRegistry } from './registry';
import { FillHistory, fillWarning, sameSample, sampleFromUsage, timeToFullSec } from './fill';
import { EventPump, waitEventFor } from './pump';
import { detachRefusal, sameDev, storageDevice, storageDeviceRefusal } from './guards';
import { defaultDoctor } from './doctor';
import { startWorkload } from '../control/emulator/workload';
import { kernelHz } from './hz';
import type { CallContext } from './validate';

/** Hooks for code that works alongside the service (the v1 stretch service, tests). */
export interface SnapshotLifecycleListener {
  /** Before SNAPSHOT_CREATE; throwing refuses the create (e.g. a directory the stretch service cannot use). */
  beforeCreate?(request: SnapshotCreateRequest): void | Promise<void>;
  /** After SNAPSHOT_CREATE succeeded; the event pump is already running. */
  snapshotCreated?(id: string, request: SnapshotCreateRequest): void | Promise<void>;
  /** Before SNAPSHOT_TAKE: e.g. answer the creation-time low_free_space first (spec §6.4 step 4). */
  beforeTake?(id: string): void | Promise<void>;
  /** Every module event pumped from a snapshot's queue. */
  moduleEvent?(event: SnapshotEvent): void | Promise<void>;
  /** Before SNAPSHOT_DESTROY (the pump has stopped) and after it. */
  beforeDestroy?(id: string): void | Promise<void>;
  snapshotDestroyed?(id: string): void | Promise<void>;
}

export interface ServiceStats {
  startedAtMs: number;
  eventCounts: EventCount[];
  pushBatches: number;
  pumps: number;
  liveSnapshots: number;
}

export interface BlksnapService extends BlksnapApi, PushSource {
  readonly control: BlksnapControl;
  readonly config: Readonly<ServiceConfig>;
  addLifecycleListener(listener: SnapshotLifecycleListener): () => void;
  /** Posts an app event (stretch service, transports) to the history and the stream. */
  emitAppEvent(input: AppEventInput): AppEvent;
  stats(): ServiceStats;
  /** Re-reads devices and snapshots now and pushes what changed. */
  refresh(): Promise<void>;
  close(): Promise<void>;
}

const UNKNOWN_USAGE: DiffStorageUsage = {
  filledSectors: null, requestedSectors: null, capacitySectors: null, limitSectors: null, overflowed: null, source: 'not sampled yet',
};
const MAP_CHUNK_BLOCKS = 1 << 20;
/** Module events kept per snapshot for waitEvent callers (the module's own queue is drained by the pump). */
const EVENT_QUEUE_LENGTH = 1024;
const MAX_TIMER_MS = 2 ** 31 - 1;

interface EventWaiter {
  resolve(event: SnapshotEvent | null): void;
  reject(err: unknown): void;
}
const FINISHED_WORKLOADS_KEPT = 20;

export class Service implements BlksnapService {
  readonly config: Readonly<ServiceConfig>;
  private readonly bus: PushBus;
  private readonly events: EventLog;
  private readonly registry: SnapshotRegistry;
  private readonly pumps = new Map<string, EventPump>();
  private readonly fills = new Map<string, FillHistory>();
  private readonly usage = new Map<string, DiffStorageUsage>();
  private readonly corruptedByEvent = new Set<string>();
  private readonly listeners = new Set<SnapshotLifecycleListener>();
  private readonly eventQueues = new Map<string, SnapshotEvent[]>();
  /** Snapshots between "stop the pump" and SNAPSHOT_DESTROY: no pump may start for them. */
  private readonly destroying = new Set<string>();
  private readonly eventWaiters = new Map<string, EventWaiter[]>();
  private readonly workloads = new Map<string, WorkloadHandle>();
  private readonly reportedErrors = new Set<string>();
  private readonly startedAtMs = Date.now();
  private blockDevices: BlockDevice[] = [];
  private infoByPath = new Map<string, SnapshotDeviceInfo>();
  private liveIds: string[] = [];
  private lastDevicesJson = '';
  private lastSnapshotsJson = '';
  private refreshRun: Promise<void> | null = null;
  private refreshQueued: Promise<void> | null = null;
  private readonly timers: ReturnType<typeof setTimeout>[] = [];
  private closed = false;

  constructor(readonly control: BlksnapControl, config: Partial<ServiceConfig> = {}) {
    const merged: ServiceConfig = { ...DEFAULT_CONFIG, ...config };
    if (config.dataDir === undefined) merged.dataDir = control.info.stateDir;
    this.config = merged;
    this.bus = new PushBus(merged.pushBatchMs);
    this.events = new EventLog(merged.eventHistoryLength);
    this.registry = new SnapshotRegistry(merged.dataDir);
    this.bus.publish('backend', control.info);
    this.loop(merged.pollIntervalMs, () => this.refresh());
    this.loop(merged.fillSampleIntervalMs, () => this.sampleFill());
  }

  // --- PushSource and hooks -------------------------------------------------------------

  subscribe<T extends PushTopic>(topic: T, listener: (payload: PushPayload<T>) => void): () => void {
    return this.bus.subscribe(topic, listener);
  }

  addLifecycleListener(listener: SnapshotLifecycleListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emitAppEvent(input: AppEventInput): AppEvent {
    const event = this.events.add(input);
    this.bus.publish('events', [event]);
    return event;
  }

  stats(): ServiceStats {
    return {
      startedAtMs: this.startedAtMs,
      eventCounts: this.events.countsByKind(),
      pushBatches: this.bus.batches,
      pumps: this.pumps.size,
      liveSnapshots: this.liveIds.length,
    };
  }

  // --- Backend ----------------------------------------------------------------------------

  async backendInfo(): Promise<ApiResult<'backendInfo'>> {
    return this.control.info;
  }

  async doctor(): Promise<ApiResult<'doctor'>> {
    return (this.config.doctor ?? defaultDoctor)(this.control);
  }

  async parameters(): Promise<ApiResult<'parameters'>> {
    return this.control.parameters();
  }

  // --- Devices and CBT --------------------------------------------------------------------

  async listDevices(): Promise<ApiResult<'listDevices'>> {
    await this.refresh();
    return this.deviceSummaries();
  }

  async attach({ device }: ApiArgs<'attach'>): Promise<ApiResult<'attach'>> {
    await this.control.attach(device);
    this.appEvent('info', 'tracker', `Tracker attached to ${device}`, { device });
    await this.refresh();
    return { ok: true };
  }

  async detach({ device, force }: ApiArgs<'detach'>): Promise<ApiResult<'detach'>> {
    const holder = await this.holderOf(device);
    if (holder) {
      if (!force) throw detachRefusal(device, holder.id, holder.taken);
      this.appEvent('warning', 'guard', `Forced detach of ${device} while ${holder.id ?? 'a snapshot'} holds it: the image diverges from the device`, { device, snapshotId: holder.id });
    }
    await this.control.detach(device);
    this.appEvent('info', 'tracker', `Tracker detached from ${device}`, { device });
    await this.refresh();
    return { ok: true };
  }

  async cbtInfo({ device }: ApiArgs<'cbtInfo'>): Promise<ApiResult<'cbtInfo'>> {
    return this.control.cbtInfo(device);
  }

  async cbtMap({ device }: ApiArgs<'cbtMap'>): Promise<ApiResult<'cbtMap'>> {
    return this.readMap(device, await this.control.cbtInfo(device));
  }

  async markDirty({ device, ranges }: ApiArgs<'markDirty'>): Promise<ApiResult<'markDirty'>> {
    await this.control.cbtDirty(device, ranges);
    await this.refresh();
    return { ok: true };
  }

  async exportChangedRanges({ device, sinceChangeNumber, format }: ApiArgs<'exportChangedRanges'>): Promise<ApiResult<'exportChangedRanges'>> {
    const info = await this.control.cbtInfo(device);
    const map = await this.readMap(device, info);
    const ranges = changedRanges(map, info.blockSizeBytes, sinceChangeNumber, info.deviceCapacityBytes);
    const bytes = rangesBytes(ranges);
    const text = format === 'csv'
      ? rangesToCsv(ranges)
      : JSON.stringify({
        device, generationId: info.generationId, changesNumber: info.changesNumber, sinceChangeNumber,
        blockSizeBytes: info.blockSizeBytes, deviceCapacityBytes: info.deviceCapacityBytes, bytes, ranges,
      }, null, 2);
    return { text, rangeCount: ranges.length, bytes };
  }

  // --- Snapshots --------------------------------------------------------------------------

  async snapshotCreate(request: ApiArgs<'snapshotCreate'>): Promise<ApiResult<'snapshotCreate'>> {
    for (const device of request.devices) await this.refuseStorageDevice(device, request.diffStoragePath, null);
    // v1: the module takes no storage path; the path names the directory the stretch service
    // fills with storage files as the module asks (spec §6.4).
    const stretched = this.control.info.dialect === 'v1';
    if (stretched && !request.diffStoragePath) {
      // As the v1 tool's snapshot_create: allowed, but nothing will answer the module's requests.
      this.appEvent('warning', 'stretch', 'v1 snapshot created without a storage directory: no storage will be appended as the module asks, so TAKE fails until storage is appended (spec §6.4)', {});
    }
    for (const l of this.listeners) await l.beforeCreate?.(request);
    const id = await this.control.snapshotCreate(stretched ? { ...request, diffStoragePath: null } : request);
    this.registry.add({
      id, devices: this.control.info.capabilities.addAfterCreate ? [] : [...request.devices], createdAtMs: Date.now(),
      diffStoragePath: request.diffStoragePath, limitSectors: request.diffStorageLimitSectors, taken: false,
    });
    this.liveIds = [...new Set([...this.liveIds, id])];
    this.startPump(id);
    this.appEvent('info', 'snapshot', `Snapshot ${id} created`, { snapshotId: id });
    await this.notify((l) => l.snapshotCreated?.(id, request));
    this.config.onSnapshotCreated?.(id, request);
    if (this.control.info.capabilities.addAfterCreate) {
      try {
        for (const device of request.devices) await this.addDevice(id, device, true);
      } catch (err) {
        await this.refresh().catch(() => undefined);
        // As the upstream tool: a failing add leaves the snapshot in place; say so.
        const info = toErrorInfo(err);
        throw new BlksnapError({ ...info, message: `${info.message} (snapshot ${id} was created and stays: add the device again or destroy it)`, details: { ...info.details, snapshotId: id } });
      }
    }
    await this.refresh();
    return { id };
  }

  async snapshotAdd({ id, device }: ApiArgs<'snapshotAdd'>): Promise<ApiResult<'snapshotAdd'>> {
    await this.addDevice(id, device, false);
    await this.refresh();
    return { ok: true };
  }

  async snapshotTake({ id }: ApiArgs<'snapshotTake'>): Promise<ApiResult<'snapshotTake'>> {
    await this.notify((l) => l.beforeTake?.(id));
    try {
      await this.control.snapshotTake(id);
    } catch (err) {
      await this.refresh().catch(() => undefined);
      throw err;
    }
    this.registry.markTaken(id);
    this.appEvent('info', 'snapshot', `Snapshot ${id} taken`, { snapshotId: id });
    await this.refresh();
    return { ok: true };
  }

  async snapshotDestroy({ id }: ApiArgs<'snapshotDestroy'>): Promise<ApiResult<'snapshotDestroy'>> {
    // The module releases a destroyed snapshot only after every wait on it returns (spec §2),
    // so the pump stops first, and no refresh may restart it meanwhile.
    this.destroying.add(id);
    try {
      await this.stopPump(id);
      await this.notify((l) => l.beforeDestroy?.(id));
      await this.control.snapshotDestroy(id);
      this.forget(id);
    } catch (err) {
      if (err instanceof BlksnapError && err.code === 'ENODEV') this.forget(id);
      throw err;
    } finally {
      this.destroying.delete(id);
      // A destroy that failed otherwise leaves the snapshot live: its pump resumes.
      if (this.liveIds.includes(id)) this.syncPumps();
    }
    this.appEvent('info', 'snapshot', `Snapshot ${id} destroyed`, { snapshotId: id });
    await this.notify((l) => l.snapshotDestroyed?.(id));
    await this.refresh();
    return { ok: true };
  }

  async listSnapshots(): Promise<ApiResult<'listSnapshots'>> {
    await this.refresh();
    return this.snapshotSummaries();
  }

  async fillHistory({ id }: ApiArgs<'fillHistory'>): Promise<ApiResult<'fillHistory'>> {
    return this.fills.get(id)?.list() ?? [];
  }

  async eventHistory({ limit }: ApiArgs<'eventHistory'>): Promise<ApiResult<'eventHistory'>> {
    return this.events.list(limit);
  }

  /** A caller that goes away (context.signal) stops waiting, so it cannot swallow the next event. */
  async waitEvent({ id, timeoutTicks }: ApiArgs<'waitEvent'>, context: CallContext = {}): Promise<ApiResult<'waitEvent'>> {
    const queued = this.eventQueues.get(id)?.shift();
    if (queued) return queued;
    if (!this.pumps.has(id)) {
      await this.refresh();
      if (!this.liveIds.includes(id)) throw errnoError('ESRCH', 'waitEvent', 'no such snapshot', { snapshotId: id });
      // A snapshot this app does not pump (another tool's): the caller asked to consume its queue.
      if (!this.pumps.has(id)) return waitEventFor(this.control, id, this.ticksToMs(timeoutTicks), context.signal ? { signal: context.signal } : {});
      // The pump the refresh started may have queued events already (blksnapctl: a fresh service).
      const pumped = this.eventQueues.get(id)?.shift();
      if (pumped) return pumped;
    }
    if (timeoutTicks === 0 || context.signal?.aborted) return null;
    return new Promise<SnapshotEvent | null>((resolve, reject) => {
      const waiters = this.eventWaiters.get(id) ?? [];
      this.eventWaiters.set(id, waiters);
      const onAbort = () => waiter.resolve(null);
      const done = () => {
        clearTimeout(timer);
        context.signal?.removeEventListener('abort', onAbort);
        const i = waiters.indexOf(waiter);
        if (i >= 0) waiters.splice(i, 1);
      };
      const waiter: EventWaiter = {
        resolve: (event) => { done(); resolve(event); },
        reject: (err) => { done(); reject(err); },
      };
      const timer = setTimeout(() => waiter.resolve(null), Math.min(MAX_TIMER_MS, this.ticksToMs(timeoutTicks)));
      context.signal?.addEventListener('abort', onAbort, { once: true });
      waiters.push(waiter);
    });
  }

  // --- Emulator only (spec E5) ------------------------------------------------------------

  async emuCreateDevice({ name, sizeBytes }: ApiArgs<'emuCreateDevice'>): Promise<ApiResult<'emuCreateDevice'>> {
    const device = await this.emulator('emuCreateDevice').createDevice(name, sizeBytes);
    this.appEvent('info', 'emulator', `Emulated device ${device.path} created`, { device: device.path });
    await this.refresh();
    return device;
  }

  async emuRemoveDevice({ name }: ApiArgs<'emuRemoveDevice'>): Promise<ApiResult<'emuRemoveDevice'>> {
    await this.emulator('emuRemoveDevice').removeDevice(name);
    this.appEvent('info', 'emulator', `Emulated device ${name} removed`, {});
    await this.refresh();
    return { ok: true };
  }

  async emuWrite({ path, offsetBytes, data }: ApiArgs<'emuWrite'>): Promise<ApiResult<'emuWrite'>> {
    await this.emulator('emuWrite').write(path, offsetBytes, data);
    return { ok: true };
  }

  async emuRead({ path, offsetBytes, lengthBytes }: ApiArgs<'emuRead'>): Promise<ApiResult<'emuRead'>> {
    return this.emulator('emuRead').read(path, offsetBytes, lengthBytes);
  }

  async workloadStart(spec: ApiArgs<'workloadStart'>): Promise<ApiResult<'workloadStart'>> {
    const emu = this.emulator('workloadStart');
    const start = this.config.startWorkload ?? startWorkload;
    let wasRunning = true;
    const handle = start(emu, spec, (status) => {
      this.publishWorkloads();
      if (wasRunning && !status.running) {
        wasRunning = false;
        const level = status.error ? 'error' : 'info';
        this.appEvent(level, 'workload', `Workload ${status.id} on ${spec.device} ended: ${status.error ?? `${status.writes} writes, ${status.writtenBytes} bytes`}`, { device: spec.device });
      }
    });
    this.workloads.set(handle.id, handle);
    this.pruneWorkloads();
    this.appEvent('info', 'workload', `Workload ${handle.id} started on ${spec.device} (${spec.pattern})`, { device: spec.device });
    this.publishWorkloads();
    return handle.status();
  }

  async workloadStop({ id }: ApiArgs<'workloadStop'>): Promise<ApiResult<'workloadStop'>> {
    this.emulator('workloadStop');
    const handle = this.workloads.get(id);
    if (!handle) throw appError('EBADARG', `No workload with id ${id}`, { field: 'id', expected: 'the id of a started workload' });
    await handle.stop();
    this.publishWorkloads();
    return { ok: true };
  }

  async workloadList(): Promise<ApiResult<'workloadList'>> {
    this.emulator('workloadList');
    return this.workloadStatuses();
  }

  // --- Support ----------------------------------------------------------------------------

  async supportBundle(): Promise<ApiResult<'supportBundle'>> {
    const dir = this.config.dataDir ?? tmpdir();
    await mkdir(dir, { recursive: true });
    const path = join(dir, `blksnap-support-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    const fill: Record<string, FillSample[]> = {};
    for (const [id, history] of this.fills) fill[id] = history.list();
    const bundle = {
      createdAt: new Date().toISOString(),
      doctor: await this.doctor().catch((err: unknown) => ({ error: toErrorInfo(err) })),
      backend: this.control.info,
      parameters: await this.control.parameters().catch((err: unknown) => ({ error: toErrorInfo(err) })),
      devices: this.deviceSummaries(),
      snapshots: this.snapshotSummaries(),
      registry: this.registry.all(),
      events: this.events.list(),
      fill,
      stats: this.stats(),
      runtime: { versions: process.versions, platform: process.platform, arch: process.arch },
    };
    await writeFile(path, JSON.stringify(bundle, null, 2), { mode: 0o600 });
    this.appEvent('info', 'support', `Support bundle written to ${path}`, {});
    return { path };
  }

  // --- Lifecycle --------------------------------------------------------------------------

  refresh(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (!this.refreshRun) {
      this.refreshRun = this.doRefresh().finally(() => {
        this.refreshRun = null;
      });
      return this.refreshRun;
    }
    this.refreshQueued ??= this.refreshRun.catch(() => undefined).then(() => {
      this.refreshQueued = null;
      return this.refresh();
    });
    return this.refreshQueued;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    await Promise.all([...this.pumps.keys()].map((id) => this.stopPump(id)));
    for (const waiters of this.eventWaiters.values()) for (const w of [...waiters]) w.resolve(null);
    await Promise.all([...this.workloads.values()].map(async (w) => w.status().running && w.stop()));
    await this.refreshRun?.catch(() => undefined);
    this.bus.close();
  }

  // --- Internals --------------------------------------------------------------------------

  private loop(intervalMs: number, run: () => Promise<void>): void {
    const index = this.timers.length;
    const tick = async () => {
      try {
        await run();
      } catch (err) {
        this.reportOnce(err);
      }
      if (this.closed) return;
      const timer = setTimeout(tick, intervalMs);
      timer.unref?.();
      this.timers[index] = timer;
    };
    const first = setTimeout(tick, 0);
    first.unref?.();
    this.timers.push(first);
  }

  private async doRefresh(): Promise<void> {
    const listedAtMs = Date.now();
    const [devices, collected] = await Promise.all([
      this.control.listDevices(),
      // Devices still refresh when the snapshot list cannot be read (the error is reported once).
      this.control.snapshotCollect().catch((err: unknown) => {
        this.reportOnce(err);
        return null;
      }),
    ]);
    const ids = collected ?? this.liveIds;
    for (const id of collected ? this.registry.reconcile(ids, listedAtMs) : []) {
      this.appEvent('info', 'snapshot', `Snapshot ${id} no longer exists`, { snapshotId: id });
      this.forget(id);
    }
    const registered = this.registry.all().filter((e) => e.createdAtMs >= listedAtMs).map((e) => e.id);
    this.liveIds = [...new Set([...ids, ...registered])];
    this.blockDevices = devices;
    const cbt = new Map<string, CbtInfo | null>();
    const infos = new Map<string, SnapshotDeviceInfo>();
    await Promise.all(devices.filter((d) => d.tracked).map(async (d) => {
      cbt.set(d.path, await this.control.cbtInfo(d.path).catch(() => null));
      const info = await this.control.snapshotInfo(d.path).catch(() => null);
      if (info) infos.set(d.path, info);
    }));
    this.infoByPath = infos;
    const summaries = devices.map((d) => this.deviceSummary(d, cbt.get(d.path) ?? null));
    const json = JSON.stringify(summaries);
    if (json !== this.lastDevicesJson) {
      this.lastDevicesJson = json;
      this.bus.publish('devices', summaries);
    }
    this.publishSnapshots();
    this.syncPumps();
  }

  private deviceSummary(device: BlockDevice, cbt: CbtInfo | null): DeviceSummary {
    const holder = this.registry.holderOf(device.path);
    const info = this.infoByPath.get(device.path) ?? null;
    const inSnapshot = holder !== undefined || (info !== null && (info.image !== '' || info.errorCode !== 0));
    return {
      ...device,
      cbt,
      snapshotId: holder?.id ?? null,
      snapshot: inSnapshot ? info : null,
      emulated: device.discovery === 'emulator',
    };
  }

  private deviceSummaries(): DeviceSummary[] {
    return this.lastDevicesJson ? (JSON.parse(this.lastDevicesJson) as DeviceSummary[]) : [];
  }

  private snapshotSummaries(): SnapshotSummary[] {
    return this.liveIds.map((id) => {
      const entry = this.registry.get(id);
      const devices = (entry?.devices ?? []).map((path) => ({ path, info: this.infoByPath.get(path) ?? null }));
      const usage = this.usage.get(id) ?? UNKNOWN_USAGE;
      const history = this.fills.get(id);
      const corrupted = this.corruptedByEvent.has(id) || usage.overflowed === true || devices.some((d) => (d.info?.errorCode ?? 0) !== 0);
      return {
        id,
        devices,
        taken: (entry?.taken ?? false) || devices.some((d) => (d.info?.image ?? '') !== ''),
        createdAtMs: entry?.createdAtMs ?? null,
        diffStoragePath: entry?.diffStoragePath ?? null,
        usage,
        timeToFullSec: history ? timeToFullSec(history.list(), this.config.fillRateWindowMs) : null,
        corrupted,
        warning: history?.warning ?? null,
      };
    });
  }

  private publishSnapshots(): void {
    const summaries = this.snapshotSummaries();
    const json = JSON.stringify(summaries);
    if (json === this.lastSnapshotsJson) return;
    this.lastSnapshotsJson = json;
    this.bus.publish('snapshots', summaries);
  }

  private async sampleFill(): Promise<void> {
    for (const id of this.liveIds) {
      let usage: DiffStorageUsage;
      try {
        usage = await this.augmentUsage(id, await this.control.diffStorageUsage(id));
      } catch (err) {
        if (err instanceof BlksnapError && (err.code === 'ESRCH' || err.code === 'ENODEV')) continue;
        throw err;
      }
      this.usage.set(id, usage);
      const history = this.fills.get(id) ?? new FillHistory(this.config.fillHistoryLength);
      this.fills.set(id, history);
      const sample = sampleFromUsage(usage, Date.now());
      const changed = !sameSample(history.last(), sample);
      history.add(sample);
      if (changed) this.bus.publish('fill', { id, sample });
      this.updateWarning(id, history);
    }
    this.publishSnapshots();
  }

  private updateWarning(id: string, history: FillHistory): void {
    const last = history.last();
    if (!last) return;
    const warning = fillWarning(last, timeToFullSec(history.list(), this.config.fillRateWindowMs), this.config);
    if (warning && !history.warning) this.appEvent('warning', 'warning', `Snapshot ${id}: ${warning}`, { snapshotId: id });
    history.warning = warning;
  }

  /**
   * Fill in what the app itself knows: the limit it asked for (on v1, where the module has none,
   * the stretch service's limit) and, on the real module, the storage file's size.
   */
  private async augmentUsage(id: string, usage: DiffStorageUsage): Promise<DiffStorageUsage> {
    const entry = this.registry.get(id);
    if (!entry) return usage;
    const out = { ...usage };
    if (out.limitSectors === null && (!isEmulator(this.control) || this.control.info.dialect === 'v1')) {
      out.limitSectors = entry.limitSectors;
      out.source += this.control.info.dialect === 'v1' ? "; limit = the stretch service's" : '; limit as requested at create';
    }
    if (isEmulator(this.control)) return out;
    if (out.capacitySectors === null && entry.diffStoragePath) {
      const st = await stat(entry.diffStoragePath).catch(() => null);
      if (st?.isFile()) {
        out.capacitySectors = Math.floor(st.size / SECTOR_SIZE);
        out.source += `; allocated = size of ${entry.diffStoragePath}`;
      }
    }
    return out;
  }

  private syncPumps(): void {
    const wanted = new Set(this.liveIds.filter((id) => this.config.adoptForeignSnapshots || this.registry.get(id)));
    for (const id of wanted) if (!this.pumps.has(id)) this.startPump(id);
    for (const id of this.pumps.keys()) if (!wanted.has(id)) void this.stopPump(id);
  }

  private startPump(id: string): void {
    if (this.closed || this.pumps.has(id) || this.destroying.has(id)) return;
    this.pumps.set(id, new EventPump(this.control, id, this.config.eventWaitTicks, {
      onEvent: (event) => this.onModuleEvent(event),
      onGone: () => {
        this.pumps.delete(id);
        void this.refresh().catch(() => undefined);
      },
      onError: (err) => this.reportOnce(err, id),
    }));
  }

  private async stopPump(id: string): Promise<void> {
    const pump = this.pumps.get(id);
    if (!pump) return;
    this.pumps.delete(id);
    await pump.stop();
  }

  private onModuleEvent(event: SnapshotEvent): void {
    const device = event.device ? this.pathOf(event.device) : null;
    if (event.kind === 'corrupted') this.corruptedByEvent.add(event.snapshotId);
    const level = event.kind === 'corrupted' ? 'error' : event.kind === 'no_space' ? 'warning' : 'info';
    this.emitAppEvent({ source: 'module', level, kind: event.kind, snapshotId: event.snapshotId, device, message: describeEvent(event, device), module: event });
    this.queueForWaiters(event);
    void this.notify((l) => l.moduleEvent?.(event));
    if (event.kind !== 'low_free_space') void this.refresh().catch(() => undefined);
  }

  private queueForWaiters(event: SnapshotEvent): void {
    const waiter = this.eventWaiters.get(event.snapshotId)?.[0];
    if (waiter) return waiter.resolve(event);
    const queue = this.eventQueues.get(event.snapshotId) ?? [];
    this.eventQueues.set(event.snapshotId, queue);
    queue.push(event);
    if (queue.length > EVENT_QUEUE_LENGTH) queue.shift();
  }

  /** Ticks of the backend's HZ: the emulated HZ, or the kernel's CONFIG_HZ. */
  private ticksToMs(ticks: number): number {
    const hz = isEmulator(this.control) ? this.control.hz : kernelHz().hz;
    return (ticks * 1000) / hz;
  }

  private pathOf(dev: DevId): string {
    return this.blockDevices.find((d) => sameDev(d.devId, dev))?.path ?? `${dev.major}:${dev.minor}`;
  }

  private async addDevice(id: string, device: string, tolerateAlready: boolean): Promise<void> {
    await this.refuseStorageDevice(device, this.registry.get(id)?.diffStoragePath ?? null, id);
    try {
      await this.control.snapshotAdd(id, device);
    } catch (err) {
      if (!(tolerateAlready && err instanceof BlksnapError && err.code === 'EALREADY')) throw err;
    }
    if (!this.registry.get(id)) {
      this.registry.add({ id, devices: [], createdAtMs: Date.now(), diffStoragePath: null, limitSectors: 0, taken: false });
    }
    this.registry.addDevice(id, device);
    this.appEvent('info', 'snapshot', `${device} added to snapshot ${id}`, { snapshotId: id, device });
  }

  private async refuseStorageDevice(device: string, storagePath: string | null, id: string | null): Promise<void> {
    // v1 stores copies in sector ranges it does not copy-on-write itself, so they may lie on a
    // snapshotted device (spec §6.4); the module-side skip of the storage device is upstream's.
    if (!storagePath || this.control.info.dialect === 'v1') return;
    if (this.blockDevices.length === 0) this.blockDevices = await this.control.listDevices();
    const target = this.blockDevices.find((d) => d.path === device);
    if (!target) return;
    const holder = await storageDevice(storagePath, this.blockDevices, !isEmulator(this.control));
    if (sameDev(holder, target.devId)) throw storageDeviceRefusal(device, storagePath, id);
  }

  /** The snapshot holding a device: our registry first, then the module's SNAPSHOTINFO. */
  private async holderOf(device: string): Promise<{ id: string | null; taken: boolean } | null> {
    const entry = this.registry.holderOf(device);
    if (entry && (await this.control.snapshotCollect()).includes(entry.id)) return { id: entry.id, taken: entry.taken };
    const info = await this.control.snapshotInfo(device).catch(() => null);
    if (info && info.image !== '') return { id: null, taken: true };
    return null;
  }

  private forget(id: string): void {
    this.registry.remove(id);
    this.fills.delete(id);
    this.usage.delete(id);
    this.corruptedByEvent.delete(id);
    this.eventQueues.delete(id);
    for (const waiter of [...(this.eventWaiters.get(id) ?? [])]) {
      waiter.reject(errnoError('ESRCH', 'waitEvent', 'the snapshot was destroyed while waiting', { snapshotId: id }));
    }
    this.eventWaiters.delete(id);
    this.liveIds = this.liveIds.filter((x) => x !== id);
    void this.stopPump(id);
  }

  private async readMap(device: string, info: CbtInfo): Promise<Uint8Array> {
    const map = new Uint8Array(info.blockCount);
    for (let offset = 0; offset < info.blockCount; offset += MAP_CHUNK_BLOCKS) {
      const length = Math.min(MAP_CHUNK_BLOCKS, info.blockCount - offset);
      map.set((await this.control.cbtMap(device, offset, length)).subarray(0, length), offset);
    }
    return map;
  }

  private emulator(operation: string): EmulatorControl {
    if (isEmulator(this.control)) return this.control;
    throw appError('EUNSUPPORTED', `${operation} works on the emulator only; the kernel backend does not pretend to have it (spec E5)`, { operation, backend: this.control.info.kind });
  }

  private workloadStatuses(): WorkloadStatus[] {
    return [...this.workloads.values()].map((w) => w.status());
  }

  private publishWorkloads(): void {
    this.bus.publish('workloads', this.workloadStatuses());
  }

  private pruneWorkloads(): void {
    const finished = [...this.workloads.values()].filter((w) => !w.status().running);
    for (const w of finished.slice(0, Math.max(0, finished.length - FINISHED_WORKLOADS_KEPT))) this.workloads.delete(w.id);
  }

  private appEvent(level: AppEvent['level'], kind: string, message: string, extra: { snapshotId?: string | null; device?: string | null }): void {
    this.emitAppEvent({ source: 'app', level, kind, message, ...extra });
  }

  /** Background failures become one error event per distinct message, not a flood. */
  private reportOnce(err: unknown, snapshotId: string | null = null): void {
    const info = toErrorInfo(err);
    const key = `${snapshotId ?? ''}:${info.code}:${info.message}`;
    if (this.reportedErrors.has(key)) return;
    this.reportedErrors.add(key);
    this.appEvent('error', 'error', info.message, { snapshotId });
  }

  private async notify(call: (l: SnapshotLifecycleListener) => void | Promise<void>): Promise<void> {
    for (const l of this.listeners) {
      try {
        await call(l);
      } catch (err) {
        this.reportOnce(err);
      }
    }
  }
}

function describeEvent(event: SnapshotEvent, device: string | null): string {
  switch (event.kind) {
    case 'corrupted': {
      const errno = event.errCode ?? 0;
      const name = errnoName(errno);
      const why = name ? `${name} (${errnoMeaning(name)})` : `error ${errno}`;
      return `Snapshot ${event.snapshotId} corrupted for ${device ?? 'a device'}: ${why}. The snapshot is lost; the original data is intact.`;
    }
    case 'no_space':
      return `Difference storage reached its limit (${event.requestedSectors ?? '?'} sectors requested): it overflows soon and the snapshot is lost.`;
    case 'low_free_space':
      return `The module asks for more difference storage: ${event.requestedSectors ?? '?'} sectors.`;
    default:
      return `Unknown event code ${event.code} from snapshot ${event.snapshotId}.`;
  }
}
