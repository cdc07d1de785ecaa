// The transport-agnostic service (design.md, layer 2): everything the UI needs that the
// module does not give directly. Transports validate arguments before calling it.
// Service is the facade: it composes the parts (README.md says which file owns what) and
// implements BlksnapApi by delegating to them.
import type { ApiArgs, AppEvent, BlksnapApi, PushPayload, PushSource, PushTopic } from '../../shared/contract';
import type { SectorRange } from '../../shared/schemas';
import type { BlksnapControl } from '../control/types';
import { withModuleMeanings } from '../control/meanings';
import { ChangedFilesResolver, controlHost } from '../resolver';
import { ChangeTracking } from './cbt';
import { DEFAULT_CONFIG, type ServiceConfig } from './config';
import { Devices } from './devices';
import { defaultDoctor } from './doctor';
import { EmulatedDevices } from './emulator';
import type { AppEventInput, EventCount } from './eventLog';
import { SnapshotEvents } from './events';
import { FillMonitor } from './fillMonitor';
import { FillStore } from './fillStore';
import { ImageProbe } from './imageProbe';
import { LifecycleListeners, type SnapshotLifecycleListener } from './lifecycle';
import { Notices } from './notices';
import { Poller } from './polling';
import { PushBus } from './pushBus';
import { SnapshotRegistry, type RegistryView } from './registry';
import { StorageGate } from './storageGate';
import { OwnedStorage } from './ownedStorage';
import { Snapshots } from './snapshots';
import { writeSupportBundle } from './support';
import type { CallContext } from './validate';
import { Workloads } from './workloads';

export type { SnapshotLifecycleListener } from './lifecycle';

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
  /** APPEND_STORAGE (the stretch service), remembered for the TAKE guard of later processes. */
  appendStorage(id: string, device: string, ranges: SectorRange[]): Promise<void>;
  stats(): ServiceStats;
  /** Re-reads devices and snapshots now and pushes what changed. */
  refresh(): Promise<void>;
  close(): Promise<void>;
}

export class Service implements BlksnapService {
  readonly config: Readonly<ServiceConfig>;
  private readonly startedAtMs = Date.now();
  private readonly bus: PushBus;
  private readonly notices: Notices;
  private readonly lifecycle: LifecycleListeners;
  /** Read only here: snapshots.ts is the registry's only writer. */
  private readonly registry: RegistryView;
  private readonly poller: Poller;
  private readonly devices: Devices;
  private readonly cbt: ChangeTracking;
  private readonly fill: FillMonitor;
  private readonly events: SnapshotEvents;
  private readonly snapshots: Snapshots;
  private readonly emulated: EmulatedDevices;
  private readonly workloads: Workloads;
  private readonly changedFiles: ChangedFilesResolver;
  private readonly imageProbe: ImageProbe;

  /** The backend, failing in the one table's words whichever it is (control/meanings.ts). */
  readonly control: BlksnapControl;

  constructor(backend: BlksnapControl, config: Partial<ServiceConfig> = {}) {
    const control = withModuleMeanings(backend);
    this.control = control;
    const merged: ServiceConfig = { ...DEFAULT_CONFIG, ...config };
    if (config.dataDir === undefined) merged.dataDir = control.info.stateDir;
    this.config = merged;
    this.bus = new PushBus(merged.pushBatchMs);
    this.notices = new Notices(this.bus, merged.eventHistoryLength);
    const reportOnce = (err: unknown) => this.notices.reportOnce(err);
    this.lifecycle = new LifecycleListeners(reportOnce);
    const registry = new SnapshotRegistry(merged.dataDir);
    this.registry = registry;
    this.poller = new Poller(() => this.readBackend(), reportOnce);
    const refresh = () => this.refresh();
    this.devices = new Devices(control, this.bus, this.registry, this.notices, refresh);
    this.cbt = new ChangeTracking(control, refresh);
    this.fill = new FillMonitor(control, this.registry, this.bus, this.notices, merged, merged.dataDir ? new FillStore(merged.dataDir) : null);
    this.events = new SnapshotEvents(control, merged, {
      registry: this.registry, notices: this.notices, lifecycle: this.lifecycle, refresh,
      liveIds: () => this.snapshots.ids(),
      pathOf: (dev) => this.devices.pathOf(dev),
      recordCorrupted: (event) => this.snapshots.recordCorrupted(event),
    });
    this.snapshots = new Snapshots(control, merged, registry, {
      bus: this.bus, notices: this.notices, lifecycle: this.lifecycle, devices: this.devices, fill: this.fill, events: this.events, refresh,
      storage: new StorageGate(control, this.devices, new OwnedStorage(merged.dataDir)),
    });
    this.emulated = new EmulatedDevices(control, this.notices, refresh);
    this.workloads = new Workloads(control, this.bus, this.notices, merged.startWorkload);
    this.changedFiles = new ChangedFilesResolver(controlHost(control));
    this.imageProbe = new ImageProbe(control, merged.imageProbe);
    this.bus.publish('backend', control.info);
    this.poller.every(merged.pollIntervalMs, refresh);
    this.poller.every(merged.fillSampleIntervalMs, () => this.sampleFill());
  }

  // --- PushSource and hooks -------------------------------------------------------------

  subscribe<T extends PushTopic>(topic: T, listener: (payload: PushPayload<T>) => void): () => void {
    return this.bus.subscribe(topic, listener);
  }

  addLifecycleListener(listener: SnapshotLifecycleListener): () => void {
    return this.lifecycle.add(listener);
  }

  emitAppEvent(input: AppEventInput): AppEvent {
    return this.notices.emit(input);
  }

  stats(): ServiceStats {
    return {
      startedAtMs: this.startedAtMs,
      eventCounts: this.notices.countsByKind(),
      pushBatches: this.bus.batches,
      pumps: this.events.pumpCount,
      liveSnapshots: this.snapshots.ids().length,
    };
  }

  // --- Backend ----------------------------------------------------------------------------

  async backendInfo() { return this.control.info; }
  async doctor() { return (this.config.doctor ?? defaultDoctor)(this.control); }
  async parameters() { return this.control.parameters(); }

  // --- Devices and CBT (devices.ts, cbt.ts) ---------------------------------------------------

  listDevices() { return this.devices.list(); }
  attach(args: ApiArgs<'attach'>) { return this.devices.attach(args); }
  detach(args: ApiArgs<'detach'>) { return this.devices.detach(args); }
  cbtInfo(args: ApiArgs<'cbtInfo'>) { return this.cbt.info(args); }
  cbtMap(args: ApiArgs<'cbtMap'>) { return this.cbt.map(args); }
  cbtMapLevel(args: ApiArgs<'cbtMapLevel'>) { return this.cbt.mapLevel(args); }
  markDirty(args: ApiArgs<'markDirty'>) { return this.cbt.markDirty(args); }
  exportChangedRanges(args: ApiArgs<'exportChangedRanges'>) { return this.cbt.exportChangedRanges(args); }

  // --- Which files changed (../resolver) ---------------------------------------------------

  changedFilesStart(args: ApiArgs<'changedFilesStart'>) { return this.changedFiles.start(args); }
  async changedFilesPage(args: ApiArgs<'changedFilesPage'>) { return this.changedFiles.page(args); }
  async changedFilesCancel({ jobId }: ApiArgs<'changedFilesCancel'>) {
    this.changedFiles.cancel(jobId);
    return { ok: true as const };
  }
  async changedFileRanges({ jobId, path }: ApiArgs<'changedFileRanges'>) { return this.changedFiles.fileRanges(jobId, path); }
  async changedFileOwner({ jobId, offsetBytes, lengthBytes }: ApiArgs<'changedFileOwner'>) { return this.changedFiles.owner(jobId, offsetBytes, lengthBytes); }

  // --- The snapshot image's file system, for its mount command (imageProbe.ts) -----------------

  imageFileSystem(args: ApiArgs<'imageFileSystem'>) { return this.imageProbe.probe(args); }

  // --- Snapshots, fill and events (snapshots.ts, fillMonitor.ts, events.ts) ---------------------

  snapshotCreate(args: ApiArgs<'snapshotCreate'>) { return this.snapshots.create(args); }
  snapshotAdd(args: ApiArgs<'snapshotAdd'>) { return this.snapshots.add(args); }
  snapshotTake(args: ApiArgs<'snapshotTake'>) { return this.snapshots.take(args); }
  snapshotDestroy(args: ApiArgs<'snapshotDestroy'>) { return this.snapshots.destroy(args); }
  appendStorage(id: string, device: string, ranges: SectorRange[]) { return this.snapshots.appendStorage(id, device, ranges); }
  listSnapshots() { return this.snapshots.list(); }
  async fillHistory({ id }: ApiArgs<'fillHistory'>) { return this.fill.history(id); }
  eventHistory(args: ApiArgs<'eventHistory'>) { return this.events.history(args); }
  /** A caller that goes away (context.signal) stops waiting, so it cannot swallow the next event. */
  waitEvent(args: ApiArgs<'waitEvent'>, context: CallContext = {}) { return this.events.waitEvent(args, context); }

  // --- Emulator only, spec E5 (emulator.ts, workloads.ts) -----------------------------------

  emuCreateDevice(args: ApiArgs<'emuCreateDevice'>) { return this.emulated.create(args); }
  emuRemoveDevice(args: ApiArgs<'emuRemoveDevice'>) { return this.emulated.remove(args); }
  emuWrite(args: ApiArgs<'emuWrite'>) { return this.emulated.write(args); }
  emuRead(args: ApiArgs<'emuRead'>) { return this.emulated.read(args); }
  workloadStart(args: ApiArgs<'workloadStart'>) { return this.workloads.begin(args); }
  workloadStop(args: ApiArgs<'workloadStop'>) { return this.workloads.stop(args); }
  workloadList() { return this.workloads.list(); }

  // --- Support (support.ts) -------------------------------------------------------------

  supportBundle() {
    return writeSupportBundle(this.config.dataDir, {
      control: this.control,
      notices: this.notices,
      doctor: () => this.doctor(),
      devices: () => this.devices.summaries(),
      snapshots: () => this.snapshots.summaries(),
      registry: () => this.registry.all(),
      events: () => this.notices.list(),
      fill: () => this.fill.all(),
      stats: () => this.stats(),
    });
  }

  // --- Lifecycle (polling.ts) -------------------------------------------------------------

  refresh(): Promise<void> {
    return this.poller.refresh();
  }

  async close(): Promise<void> {
    if (this.poller.closed) return;
    this.poller.stop();
    this.changedFiles.close();
    await this.events.close();
    await this.workloads.stopAll();
    await this.poller.settled();
    this.fill.flush();
    this.bus.close();
  }

  /** One refresh: the device list and SNAPSHOT_COLLECT, then every part that shows them. */
  private async readBackend(): Promise<void> {
    const listedAtMs = Date.now();
    const [devices, collected] = await Promise.all([
      this.control.listDevices(),
      // Devices still refresh when the snapshot list cannot be read (the error is reported once).
      this.control.snapshotCollect().catch((err: unknown) => {
        this.notices.reportOnce(err);
        return null;
      }),
    ]);
    this.snapshots.reconcile(collected, listedAtMs);
    this.events.syncPumps();
    await this.events.drainQueued();
    await this.devices.update(devices);
    this.snapshots.publish();
    this.events.syncPumps();
  }

  private async sampleFill(): Promise<void> {
    await this.fill.sample(this.snapshots.ids());
    this.snapshots.publish();
  }
}
