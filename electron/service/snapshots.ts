// The snapshot lifecycle: create, add, take, destroy, with the registry of the snapshots this
// app made, the live list from SNAPSHOT_COLLECT, and the summaries pushed to the UI.
import type { ApiArgs, ApiResult, SnapshotSummary } from '../../shared/contract';
import { BlksnapError, appError, toErrorInfo } from '../../shared/errors';
import type { SectorRange, SnapshotEvent, StorageMode } from '../../shared/schemas';
import type { BlksnapControl } from '../control/types';
import type { ServiceConfig } from './config';
import type { Devices } from './devices';
import { refuseEmptyV1Create, refuseSecondSnapshot } from './guards';
import type { SnapshotEvents } from './events';
import type { FillMonitor } from './fillMonitor';
import type { LifecycleListeners } from './lifecycle';
import type { Notices } from './notices';
import type { PushBus } from './pushBus';
import type { SnapshotRegistry } from './registry';
import type { StorageGate } from './storageGate';
import type { SnapshotCreateRequest } from '../../shared/schemas';

/** What the snapshots part uses of the others. */
export interface SnapshotSurroundings {
  bus: PushBus;
  notices: Notices;
  lifecycle: LifecycleListeners;
  devices: Devices;
  fill: FillMonitor;
  events: SnapshotEvents;
  storage: StorageGate;
  refresh(): Promise<void>;
}

export class Snapshots {
  private liveIds: string[] = [];
  /** Snapshots whose create is still adding its devices: a failed create destroys them again, so no one else may add to or take them meanwhile. */
  private readonly creating = new Set<string>();
  private lastJson = '';

  /** `registry` is this part's to change; the other parts get it as a RegistryView. */
  constructor(
    private readonly control: BlksnapControl,
    private readonly config: Pick<ServiceConfig, 'onSnapshotCreated'>,
    private readonly registry: SnapshotRegistry,
    private readonly around: SnapshotSurroundings,
  ) {}

  /** The live snapshot ids at the last refresh, with the ones created since. */
  ids(): readonly string[] {
    return this.liveIds;
  }

  async create(asked: ApiArgs<'snapshotCreate'>): Promise<ApiResult<'snapshotCreate'>> {
    const { devices } = this.around;
    // The storage policy first: the backend only ever sees an admitted, resolved path.
    const admitted = await this.around.storage.admit(asked);
    const request = admitted.request;
    let id: string;
    try {
      for (const device of request.devices) {
        await devices.refuseImage('snapshotCreate', device);
        await devices.refuseStorageDevice(device, request.diffStoragePath, null);
      }
      id = await this.createAdmitted(request);
    } catch (err) {
      admitted.abandon();
      throw err;
    }
    admitted.commit();
    // v1 storage is always ranges the stretch service appends, whatever the path names.
    return this.afterCreate(id, request, this.control.info.dialect === 'v1' ? 'ranges' : admitted.mode);
  }

  private async createAdmitted(request: SnapshotCreateRequest): Promise<string> {
    const { notices, lifecycle } = this.around;
    // v1: the module takes no storage path; the path names the directory the stretch service
    // fills with storage files as the module asks (spec §6.4).
    const stretched = this.control.info.dialect === 'v1';
    if (stretched && !request.diffStoragePath) {
      // As the v1 tool's snapshot_create: allowed, but nothing will answer the module's requests.
      notices.app('warning', 'stretch', 'v1 snapshot created without a storage directory: no storage will be appended as the module asks, so the take fails until storage is appended.', {});
    }
    refuseEmptyV1Create(this.control.info.dialect, request.devices);
    await refuseSecondSnapshot(this.control);
    await lifecycle.beforeCreate(request);
    return this.control.snapshotCreate(stretched ? { ...request, diffStoragePath: null } : request);
  }

  private async afterCreate(id: string, request: SnapshotCreateRequest, storageMode: StorageMode): Promise<ApiResult<'snapshotCreate'>> {
    const { notices, lifecycle, events } = this.around;
    this.registry.add({
      id, devices: this.control.info.capabilities.addAfterCreate ? [] : [...request.devices], createdAtMs: Date.now(),
      diffStoragePath: request.diffStoragePath, storageMode, limitSectors: request.diffStorageLimitSectors, taken: false,
    });
    this.liveIds = [...new Set([...this.liveIds, id])];
    events.startPump(id);
    notices.app('info', 'snapshot', `Snapshot ${id} created`, { snapshotId: id });
    await lifecycle.notify((l) => l.snapshotCreated?.(id, request));
    this.config.onSnapshotCreated?.(id, request);
    if (this.control.info.capabilities.addAfterCreate) {
      this.creating.add(id);
      try {
        for (const device of request.devices) await this.addDevice(id, device, true);
      } catch (err) {
        // Unlike the upstream tool, a create that fails leaves no snapshot: it is destroyed again.
        const info = toErrorInfo(err);
        const undone = await this.destroy({ id }).then(() => null, (e: unknown) => toErrorInfo(e).message);
        const what = undone === null
          ? `snapshot ${id} was created, then destroyed again since the device could not be added: nothing is left`
          : `snapshot ${id} was created and could not be destroyed again (${undone}): destroy it`;
        throw new BlksnapError({ ...info, message: `${info.message} (${what})`, details: { ...info.details, snapshotId: id, undone: undone === null } });
      } finally {
        this.creating.delete(id);
      }
    }
    await this.around.refresh();
    return { id };
  }

  private refuseWhileCreating(id: string, what: string): void {
    if (!this.creating.has(id)) return;
    throw appError('EGUARD', `snapshot ${id} is still being created (its devices are being added): ${what} it once snapshot_create has returned`, { snapshotId: id });
  }

  async add({ id, device }: ApiArgs<'snapshotAdd'>): Promise<ApiResult<'snapshotAdd'>> {
    this.refuseWhileCreating(id, `add ${device} to`);
    await this.addDevice(id, device, false);
    await this.around.refresh();
    return { ok: true };
  }

  async take({ id }: ApiArgs<'snapshotTake'>): Promise<ApiResult<'snapshotTake'>> {
    this.refuseWhileCreating(id, 'take');
    await this.around.lifecycle.notify((l) => l.beforeTake?.(id));
    await this.refuseTakeWithoutStorage(id);
    // Images appear only at their snapshot's take: one that appears during this take, on a device
    // no snapshot of ours holds, is another program's addition to this snapshot (v1 fixes its
    // devices at create, so nothing can be added there).
    // A listing that fails leaves the devices unclaimed: it must not fail the take (or, after it,
    // report a snapshot the module has taken as not taken).
    const addsAfterCreate = this.control.info.capabilities.addAfterCreate;
    const imagesNow = async () => (addsAfterCreate ? this.around.devices.withImage().catch(() => null) : null);
    const before = await imagesNow();
    try {
      await this.control.snapshotTake(id);
    } catch (err) {
      await this.around.refresh().catch(() => undefined);
      // v1 destroys a snapshot whose TAKE fails: its stretch files are no longer written into.
      if (this.control.info.dialect === 'v1' && !this.liveIds.includes(id)) await this.around.lifecycle.notify((l) => l.snapshotDestroyed?.(id));
      throw err;
    }
    const after = before ? await imagesNow() : null;
    const addedOutside = before && after ? [...after].filter((p) => !before.has(p) && !this.registry.holderOf(p)) : [];
    this.registry.markTaken(id, addedOutside);
    this.around.notices.app('info', 'snapshot', `Snapshot ${id} taken`, { snapshotId: id });
    if (addedOutside.length > 0) {
      this.around.notices.app('warning', 'snapshot', `Snapshot ${id} also holds ${addedOutside.join(', ')}, which another program added: their images appeared as this app took it.`, { snapshotId: id });
    }
    await this.around.refresh();
    return { ok: true };
  }

  async destroy({ id }: ApiArgs<'snapshotDestroy'>): Promise<ApiResult<'snapshotDestroy'>> {
    const { events, lifecycle } = this.around;
    // The module releases a destroyed snapshot only after every wait on it returns (spec §2),
    // so the pump stops first, and no refresh may restart it meanwhile.
    try {
      await events.suspendPump(id);
      await lifecycle.notify((l) => l.beforeDestroy?.(id));
      await this.control.snapshotDestroy(id);
      this.forget(id);
    } catch (err) {
      if (err instanceof BlksnapError && err.code === 'ENODEV') this.forget(id);
      throw err;
    } finally {
      // A destroy that failed otherwise leaves the snapshot live: its pump resumes.
      events.resumePump(id, this.liveIds.includes(id));
    }
    this.around.notices.app('info', 'snapshot', `Snapshot ${id} destroyed`, { snapshotId: id });
    await lifecycle.notify((l) => l.snapshotDestroyed?.(id));
    await this.around.refresh();
    return { ok: true };
  }

  /** APPEND_STORAGE, remembered in the registry so every later process knows the storage is there. */
  async appendStorage(id: string, device: string, ranges: SectorRange[]): Promise<void> {
    await this.control.appendStorage(id, device, ranges);
    this.registry.addStorage(id, ranges.reduce((sum, r) => sum + r.countSectors, 0));
  }

  /** A corrupted event's device, kept in the registry where a later process finds it. */
  recordCorrupted(event: SnapshotEvent): void {
    if (event.device) this.registry.markCorrupted(event.snapshotId, `${event.device.major}:${event.device.minor}`, event.errCode ?? 0);
  }

  /**
   * The guard lives here, for every backend and every process: a v1 TAKE without storage fails
   * with EFAULT and the module destroys the snapshot (spec §10, measured). Only snapshots this
   * service created are judged (their storage is in the registry, whichever process appended it).
   */
  private async refuseTakeWithoutStorage(id: string): Promise<void> {
    if (this.control.info.dialect !== 'v1') return;
    const entry = this.registry.get(id);
    if (!entry || entry.storageSectors > 0) return;
    const usage = await this.control.diffStorageUsage(id).catch(() => null);
    if ((usage?.capacitySectors ?? 0) > 0) return;
    throw appError('EGUARD', `snapshot ${id} has no difference storage yet: v1 TAKE would fail (EFAULT) and destroy the snapshot. `
      + 'Create it with a storage directory (-f DIR -l LIMIT) so the stretch service answers its first low_free_space event, then take it.', { snapshotId: id });
  }

  async list(): Promise<ApiResult<'listSnapshots'>> {
    await this.around.refresh();
    return this.summaries();
  }

  /**
   * Takes SNAPSHOT_COLLECT's answer (null: it could not be read, keep the last list), drops
   * the snapshots that vanished, and keeps the ones registered since `listedAtMs`.
   */
  reconcile(collected: string[] | null, listedAtMs: number): void {
    const ids = collected ?? this.liveIds;
    for (const id of collected ? this.registry.reconcile(ids, listedAtMs) : []) {
      this.around.notices.app('info', 'snapshot', `Snapshot ${id} no longer exists`, { snapshotId: id });
      this.forget(id);
    }
    const registered = this.registry.all().filter((e) => e.createdAtMs >= listedAtMs).map((e) => e.id);
    this.liveIds = [...new Set([...ids, ...registered])];
  }

  summaries(): SnapshotSummary[] {
    const { devices: deviceInfo, fill, events } = this.around;
    const outside = this.liveIds.filter((id) => !this.registry.get(id));
    // The module names no snapshot's devices: the ones in a snapshot that none of ours holds
    // belong to the outside snapshot when there is only one.
    const unclaimed = outside.length === 1 ? deviceInfo.unclaimedInSnapshot() : [];
    return this.liveIds.map((id) => {
      const entry = this.registry.get(id);
      const devices = (entry ? entry.devices : unclaimed).map((path) => ({ path, info: deviceInfo.infoOf(path) }))
        .concat((entry?.addedOutside ?? []).map((path) => ({ path, info: deviceInfo.infoOf(path), addedOutside: true })));
      const { usage, timeToFullSec, timeToFullConfidence, warning } = fill.status(id);
      const corrupted = events.corrupted(id) || usage.overflowed === true || devices.some((d) => (d.info?.errorCode ?? 0) !== 0);
      return {
        id,
        devices,
        taken: (entry?.taken ?? false) || devices.some((d) => (d.info?.image ?? '') !== '') || (entry || devices.length > 0 ? false : null),
        createdAtMs: entry?.createdAtMs ?? null,
        diffStoragePath: entry?.diffStoragePath ?? null,
        storageMode: entry?.storageMode ?? null,
        usage,
        timeToFullSec,
        timeToFullConfidence,
        corrupted,
        warning,
        createdOutside: entry === undefined,
      };
    });
  }

  /** Pushes the summaries when they changed. */
  publish(): void {
    const summaries = this.summaries();
    const json = JSON.stringify(summaries);
    if (json === this.lastJson) return;
    this.lastJson = json;
    this.around.bus.publish('snapshots', summaries);
  }

  private async addDevice(id: string, device: string, tolerateAlready: boolean): Promise<void> {
    await this.around.devices.refuseImage('snapshotAdd', device);
    await this.around.devices.refuseStorageDevice(device, this.registry.get(id)?.diffStoragePath ?? null, id);
    try {
      await this.control.snapshotAdd(id, device);
    } catch (err) {
      if (!(tolerateAlready && err instanceof BlksnapError && err.code === 'EALREADY')) throw err;
    }
    if (!this.registry.get(id)) {
      this.registry.add({ id, devices: [], createdAtMs: Date.now(), diffStoragePath: null, limitSectors: 0, taken: false });
    }
    this.registry.addDevice(id, device);
    this.around.notices.app('info', 'snapshot', `${device} added to snapshot ${id}`, { snapshotId: id, device });
  }

  private forget(id: string): void {
    this.registry.remove(id);
    this.around.fill.forget(id);
    this.liveIds = this.liveIds.filter((x) => x !== id);
    this.around.events.forget(id);
  }
}
