// Block devices as the UI sees them: the last listing with each tracked device's CBT and
// snapshot info, attach/detach (with the detach guard), and the storage-device guard.
import type { ApiArgs, ApiResult, DeviceSummary } from '../../shared/contract';
import { nearWrap, wrapWarning } from '../../shared/cbt';
import type { BlockDevice, CbtInfo, DevId, SnapshotDeviceInfo } from '../../shared/schemas';
import { isEmulator, type BlksnapControl } from '../control/types';
import { imageRefusal, type ImageGuardedOperation, type ImageOf } from '../../shared/imageOf';
import { detachRefusal, sameDev, storageDevice, storageDeviceRefusal } from './guards';
import { imageByName, imageNamed, imageOf, knownImages } from './imageGuard';
import type { Notices } from './notices';
import type { PushBus } from './pushBus';
import type { RegistryView } from './registry';

/** The snapshot holding a device: its id (null: one this app did not create) and whether it is taken. */
export interface Holder {
  id: string | null;
  taken: boolean;
}

export class Devices {
  private blockDevices: BlockDevice[] = [];
  private infoByPath = new Map<string, SnapshotDeviceInfo>();
  /** Listed devices that are snapshot images, at the last refresh. */
  private imagesByPath = new Map<string, ImageOf>();
  private lastJson = '';
  /** Per device: the CBT state last seen and when a take was seen to change it. */
  private takes = new Map<string, { key: string; atMs: number | null }>();
  private pending = new Map<string, { blocks: number; bytes: number }>();
  /** "<device> <generation> <number>" already warned of the coming wrap. */
  private wrapWarned = new Set<string>();

  constructor(
    private readonly control: BlksnapControl,
    private readonly bus: PushBus,
    private readonly registry: RegistryView,
    private readonly notices: Notices,
    private readonly refresh: () => Promise<void>,
  ) {}

  async list(): Promise<ApiResult<'listDevices'>> {
    await this.refresh();
    return this.summaries();
  }

  async attach({ device }: ApiArgs<'attach'>): Promise<ApiResult<'attach'>> {
    await this.refuseImage('attach', device);
    await this.control.attach(device);
    this.notices.app('info', 'tracker', `Tracker attached to ${device}: its CBT map starts at change number 0.`, { device });
    await this.refresh();
    return { ok: true };
  }

  async detach({ device, force }: ApiArgs<'detach'>): Promise<ApiResult<'detach'>> {
    const holder = await this.holderOf(device);
    if (holder) {
      if (!force) throw detachRefusal(device, holder.id, holder.taken);
      this.notices.app('warning', 'guard', `Forced detach of ${device} while snapshot ${holder.id ?? '(not created by this app)'} holds it: the snapshot image now diverges from the device.`, { device, snapshotId: holder.id });
    }
    await this.control.detach(device);
    this.notices.app('info', 'tracker', `Tracker detached from ${device}: its CBT map is gone, so the next backup of it is a full one.`, { device });
    await this.refresh();
    return { ok: true };
  }

  /** Takes a fresh listing: reads CBT and snapshot info of the tracked devices, pushes what changed. */
  async update(devices: BlockDevice[]): Promise<void> {
    this.blockDevices = devices;
    const cbt = new Map<string, CbtInfo | null>();
    const infos = new Map<string, SnapshotDeviceInfo>();
    await Promise.all(devices.filter((d) => d.tracked).map(async (d) => {
      cbt.set(d.path, await this.control.cbtInfo(d.path).catch(() => null));
      const info = await this.control.snapshotInfo(d.path).catch(() => null);
      if (info) infos.set(d.path, this.withRecordedCorruption(d, info));
    }));
    this.infoByPath = infos;
    this.imagesByPath = new Map(knownImages(infos).map((i) => [i.path, imageOf(i, (p) => this.registry.holderOf(p))]));
    const pending = new Map<string, { blocks: number; bytes: number }>();
    const control = this.control;
    if (isEmulator(control)) {
      await Promise.all([...cbt].map(async ([path, info]) => {
        const change = info ? await control.pendingChange(path).catch(() => null) : null;
        if (change) pending.set(path, change);
      }));
    }
    this.pending = pending;
    for (const [path, info] of cbt) if (info) this.watchTakes(path, info);
    const summaries = devices.map((d) => this.summary(d, cbt.get(d.path) ?? null));
    const json = JSON.stringify(summaries);
    if (json !== this.lastJson) {
      this.lastJson = json;
      this.bus.publish('devices', summaries);
    }
  }

  /**
   * v1 has no SNAPSHOTINFO: the error code comes from `corrupted` events, which the pump of
   * whichever process ran then consumed. The registry keeps them, so every later process reports
   * the overflow (error_code −errno) as the upstream dialects' SNAPSHOTINFO does.
   */
  private withRecordedCorruption(device: BlockDevice, info: SnapshotDeviceInfo): SnapshotDeviceInfo {
    if (info.errorCode !== 0 || this.control.info.dialect !== 'v1') return info;
    const key = `${device.devId.major}:${device.devId.minor}`;
    const record = this.registry.all().flatMap((e) => e.corrupted).find((c) => c.device === key);
    return record && record.errCode > 0 ? { ...info, errorCode: -record.errCode } : info;
  }

  /** The last published summaries (a copy). */
  summaries(): DeviceSummary[] {
    return this.lastJson ? (JSON.parse(this.lastJson) as DeviceSummary[]) : [];
  }

  /** SNAPSHOTINFO of a device at the last refresh. */
  infoOf(path: string): SnapshotDeviceInfo | null {
    return this.infoByPath.get(path) ?? null;
  }

  /**
   * Devices the module reports in a snapshot (an image, or an area's error) that no snapshot in
   * this app's registry holds: another program's snapshot has them.
   */
  unclaimedInSnapshot(): string[] {
    return [...this.infoByPath].filter(([path, info]) => shownInSnapshot(info) && !this.registry.holderOf(path)).map(([path]) => path);
  }

  /**
   * The tracked devices that have a snapshot image now (a fresh SNAPSHOTINFO each): read just
   * before and after a TAKE, they tell which images that take created.
   */
  async withImage(): Promise<Set<string>> {
    return new Set(knownImages(await this.freshInfos()).map((i) => i.original));
  }

  /**
   * Refuses `device` when it is a snapshot image, before any call to the module. Read afresh:
   * an image that appeared after the UI's list was loaded counts (the list's `imageOf` is only
   * the UI's hint).
   */
  async refuseImage(operation: ImageGuardedOperation, device: string): Promise<void> {
    const listed = await this.control.listDevices();
    const image = await imageNamed(device, knownImages(await this.freshInfos(listed)), !isEmulator(this.control)) ?? imageByName(device, listed);
    if (image) throw imageRefusal(operation, device, imageOf(image, (p) => this.registry.holderOf(p)));
  }

  /** SNAPSHOTINFO of every tracked device, on a fresh listing (a device attached since the last refresh counts too). */
  private async freshInfos(listed?: BlockDevice[]): Promise<[string, SnapshotDeviceInfo | null][]> {
    const devices = listed ?? await this.control.listDevices();
    return Promise.all(devices.filter((d) => d.tracked).map(async (d): Promise<[string, SnapshotDeviceInfo | null]> => [d.path, await this.control.snapshotInfo(d.path).catch(() => null)]));
  }

  /** A device's path by its numbers; "major:minor" when it is not listed. */
  pathOf(dev: DevId): string {
    return this.blockDevices.find((d) => sameDev(d.devId, dev))?.path ?? `${dev.major}:${dev.minor}`;
  }

  /** Refuses to put into a snapshot the device that holds its difference storage (spec E3). */
  async refuseStorageDevice(device: string, storagePath: string | null, id: string | null): Promise<void> {
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
  async holderOf(device: string): Promise<Holder | null> {
    const entry = this.registry.holderOf(device);
    if (entry && (await this.control.snapshotCollect()).includes(entry.id)) return { id: entry.id, taken: entry.taken };
    const info = await this.control.snapshotInfo(device).catch(() => null);
    if (info && info.image !== '') return { id: null, taken: true };
    return null;
  }

  /**
   * A change of (generation, change number) is a take (or a reset): remember when, for "as of
   * take #N at 12:03"; at change number 250 and up, warn once per take of the coming wrap.
   */
  private watchTakes(path: string, info: CbtInfo): void {
    const key = `${info.generationId} ${info.changesNumber}`;
    const known = this.takes.get(path);
    if (known?.key !== key) this.takes.set(path, { key, atMs: known ? Date.now() : null });
    const warned = `${path} ${key}`;
    if (nearWrap(info.changesNumber) && !this.wrapWarned.has(warned)) {
      this.wrapWarned.add(warned);
      this.notices.app('warning', 'cbt_wrap', `${path}: ${wrapWarning(info.changesNumber)}`, { device: path });
    }
  }

  private summary(device: BlockDevice, cbt: CbtInfo | null): DeviceSummary {
    const holder = this.registry.holderOf(device.path);
    const info = this.infoOf(device.path);
    const inSnapshot = holder !== undefined || (info !== null && shownInSnapshot(info));
    return {
      ...device,
      cbt,
      snapshotId: holder?.id ?? null,
      snapshot: inSnapshot ? info : null,
      emulated: device.discovery === 'emulator',
      lastTakeAtMs: cbt && cbt.changesNumber > 0 ? this.takes.get(device.path)?.atMs ?? null : null,
      pendingChange: cbt ? this.pending.get(device.path) ?? null : null,
      imageOf: this.imagesByPath.get(device.path) ?? null,
    };
  }
}

/** SNAPSHOTINFO shows the device in a snapshot: it has an image, or its area failed. */
function shownInSnapshot(info: SnapshotDeviceInfo): boolean {
  return info.image !== '' || info.errorCode !== 0;
}
