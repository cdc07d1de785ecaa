// The control backend: one interface that mirrors the module's ioctls one-to-one
// (design.md, layer 1). Implemented by kernel/ (the real module, per dialect) and
// emulator/ (file-backed, per flavour). Every method throws BlksnapError on failure,
// with the errno name the module would give and what it means for this call.
import type {
  BackendInfo, BlockDevice, CbtInfo, DiffStorageUsage, ModuleParameters, ModuleVersion,
  SectorRange, SnapshotCreateRequest, SnapshotDeviceInfo, SnapshotEvent,
} from '../../shared/schemas';

export interface WaitOptions {
  /** Aborting ends the wait early with null (app quit, snapshot about to be destroyed). */
  signal?: AbortSignal;
}

export interface BlksnapControl {
  readonly info: BackendInfo;

  /** VERSION. */
  version(): Promise<ModuleVersion>;
  /** /sys/module/<mod>/parameters (kernel) or the emulator's configured parameters. */
  parameters(): Promise<ModuleParameters>;
  /** Block devices the backend sees, tracked or not (kernel: /sys/class/block + a probe). */
  listDevices(): Promise<BlockDevice[]>;

  /** BLKFILTER_ATTACH "blksnap" (v1: EUNSUPPORTED, trackers appear at snapshot create). */
  attach(device: string): Promise<void>;
  /** BLKFILTER_DETACH (v1: TRACKER_REMOVE). No guard here: the service guards (spec E3). */
  detach(device: string): Promise<void>;
  /** CTL CBTINFO (v1: the device's TRACKER_COLLECT entry). */
  cbtInfo(device: string): Promise<CbtInfo>;
  /** CTL CBTMAP: `lengthBlocks` bytes of the read map from `offsetBlocks`. */
  cbtMap(device: string, offsetBlocks: number, lengthBlocks: number): Promise<Uint8Array>;
  /** CTL CBTDIRTY (v1: MARK_DIRTY_BLOCKS). Ranges with count 0 are refused before any call. */
  cbtDirty(device: string, ranges: SectorRange[]): Promise<void>;

  /** SNAPSHOT_CREATE. v1 takes the fixed device list here (never empty: it hangs the kernel). */
  snapshotCreate(request: SnapshotCreateRequest): Promise<string>;
  /** CTL SNAPSHOTADD (v1: EUNSUPPORTED). */
  snapshotAdd(id: string, device: string): Promise<void>;
  snapshotTake(id: string): Promise<void>;
  /** SNAPSHOT_COLLECT with the count protocol handled inside. */
  snapshotCollect(): Promise<string[]>;
  snapshotDestroy(id: string): Promise<void>;
  /** CTL SNAPSHOTINFO (v1: from COLLECT_IMAGES; error code unknown → 0). */
  snapshotInfo(device: string): Promise<SnapshotDeviceInfo>;
  /**
   * SNAPSHOT_WAIT_EVENT. `timeoutTicks` goes to the module as is: it is jiffies (spec §3.7).
   * Resolves null on ENOENT (no event in time) or abort. Never blocks the event loop.
   */
  waitEvent(id: string, timeoutTicks: number, options?: WaitOptions): Promise<SnapshotEvent | null>;
  /** SNAPSHOT_APPEND_STORAGE (VAL-7.0, VAL-13, v1); EUNSUPPORTED elsewhere. */
  appendStorage(id: string, device: string, ranges: SectorRange[]): Promise<void>;

  /** What is known of a snapshot's difference storage; null fields where unknown. */
  diffStorageUsage(id: string): Promise<DiffStorageUsage>;

  close(): Promise<void>;
}

/** Emulator-only operations (spec E5): offered outside the module interface, labelled so. */
export interface EmulatorExtras {
  createDevice(name: string, capacityBytes: number): Promise<BlockDevice>;
  removeDevice(name: string): Promise<void>;
  /** Write to an emulated device or a snapshot image (by path), at a byte offset. */
  write(path: string, offsetBytes: number, data: Uint8Array): Promise<void>;
  /** Read an emulated device or a snapshot image (by path). */
  read(path: string, offsetBytes: number, lengthBytes: number): Promise<Uint8Array>;
  setParameters(params: ModuleParameters): Promise<ModuleParameters>;
  /** Blocks written since the last take (the write map ahead of the read map); the module does not expose it. */
  pendingChange(devicePath: string): Promise<{ blocks: number; bytes: number }>;
  /** Emulated HZ for wait timeouts (default 250). */
  readonly hz: number;
}

export type EmulatorControl = BlksnapControl & EmulatorExtras;

export function isEmulator(control: BlksnapControl): control is EmulatorControl {
  return control.info.kind === 'emulator';
}
