// The API contract between the renderer (or CLI) and the main-process service: method names
// with runtime schemas for arguments and results, and push topics. Both transports (Electron
// IPC, web WebSocket) carry exactly this; each validates arguments before the service sees them.
import { z } from 'zod';
import { lazySchema, lazyTable, type Infer } from './lazySchema';
import type { ApiMethodName } from './apiMethods';
import {
  BackendInfo, BlockDevice, CbtInfo, DevicePath, DiffStorageUsage, ModuleParameters,
  SectorRange, SnapshotCreateRequest, SnapshotDeviceInfo, SnapshotEvent, SnapshotId, StorageMode,
} from './schemas';
import {
  ChangedFileOwner, ChangedFileOwnerArgs, ChangedFileRanges, ChangedFileRangesArgs, ChangedFilesPage, ChangedFilesPageArgs,
  ChangedFilesStartArgs,
} from './changedFiles';

const None = lazySchema(() => z.object({}).strict());
const Ok = lazySchema(() => z.object({ ok: z.literal(true) }));
/** Bytes travel as bytes on both transports (shared/wire.ts), never as JSON arrays. */
const Bytes = lazySchema(() => z.custom<Uint8Array>((v) => v instanceof Uint8Array, { message: 'expected bytes (a Uint8Array)' }));
/** The most bytes one emuRead answers or one emuWrite carries. */
export const MAX_IO_BYTES = 64 * 2 ** 20;
const BytesUpTo = (maxBytes: number) =>
  z.custom<Uint8Array>((v) => v instanceof Uint8Array && v.byteLength <= maxBytes, { message: `expected at most ${maxBytes} bytes (a Uint8Array)` });

/** A device as the UI shows it: the block device plus what the backend knows of its tracker. */
export const DeviceSummary = lazySchema(() => BlockDevice().extend({
  cbt: CbtInfo().nullable(),
  /** The snapshot this device belongs to (as far as the service knows), and its image. */
  snapshotId: SnapshotId().nullable(),
  snapshot: SnapshotDeviceInfo().nullable(),
  /** Emulator only: the device is an emulated file-backed device. */
  emulated: z.boolean(),
  /**
   * The read map changes only at a take: when the last take of this tracker happened (null or
   * absent where the service did not see it), and what has been written since (blocks of the
   * write map newer than the read map; null or absent where the backend cannot know it).
   */
  lastTakeAtMs: z.number().nullable().optional(),
  pendingChange: z.object({ blocks: z.number().int().nonnegative(), bytes: z.number().nonnegative() }).nullable().optional(),
  /**
   * The device is a snapshot image (shared/imageOf.ts): of which original, in which snapshot
   * (null: not one of this app's). Attach and add are refused on it. Absent: not an image.
   */
  imageOf: z.object({ original: DevicePath(), snapshotId: SnapshotId().nullable() }).nullable().optional(),
}));
export type DeviceSummary = Infer<typeof DeviceSummary>;

export const FillSample = lazySchema(() => z.object({
  timeMs: z.number(),
  usedBytes: z.number().nullable(),
  allocatedBytes: z.number().nullable(),
  limitBytes: z.number().nullable(),
}));
export type FillSample = Infer<typeof FillSample>;

export const SnapshotSummary = lazySchema(() => z.object({
  id: SnapshotId(),
  /**
   * `addedOutside`: another program added the device to this app's snapshot (inferred: its image
   * appeared while this app took the snapshot, and no snapshot of this app holds it).
   */
  devices: z.array(z.object({ path: DevicePath(), info: SnapshotDeviceInfo().nullable(), addedOutside: z.boolean().optional() })),
  /** null: not known (created outside this app, and none of its devices could be told). */
  taken: z.boolean().nullable(),
  createdAtMs: z.number().nullable(),
  diffStoragePath: z.string().nullable(),
  /**
   * How the module holds the storage: at a path (file, directory, block device) or in ranges the
   * app appends (v1's stretch service, VAL range mode); where its use starts differs
   * (shared/limits.ts storageStartBytes). null for a snapshot this app did not create.
   */
  storageMode: StorageMode().nullable(),
  usage: DiffStorageUsage(),
  /** Seconds until the storage is full at the recent fill rate; null if unknown or not filling. */
  timeToFullSec: z.number().nullable(),
  /** How far to trust timeToFullSec: steady writes give high, few or bursty samples low. */
  timeToFullConfidence: z.enum(['low', 'medium', 'high']).nullable().optional(),
  /** Any device's area corrupted (error code ≠ 0 or a corrupted event). */
  corrupted: z.boolean(),
  /** Fill passed the warning threshold or time-to-full fell under it. */
  warning: z.string().nullable(),
  /**
   * Not created (or added to) by this app: another program made it (a backup agent, the blksnap
   * tool). The module names no snapshot's devices, so `devices` is then what can be inferred:
   * the devices in a snapshot that no snapshot of this app holds, when this is the only such
   * snapshot; else none.
   */
  createdOutside: z.boolean(),
}));
export type SnapshotSummary = Infer<typeof SnapshotSummary>;

/** Module events and the app's own (warnings, backend changes, errors, stretch steps). */
export const AppEvent = lazySchema(() => z.object({
  seq: z.number().int(),
  timeMs: z.number(),
  source: z.enum(['module', 'app']),
  level: z.enum(['info', 'warning', 'error']),
  /** Module: corrupted/no_space/low_free_space/unknown. App: warning, backend, error, stretch, workload, ... */
  kind: z.string(),
  snapshotId: SnapshotId().nullable(),
  device: z.string().nullable(),
  message: z.string(),
  module: SnapshotEvent().nullable(),
}));
export type AppEvent = Infer<typeof AppEvent>;

export const WorkloadSpec = lazySchema(() => z.object({
  device: DevicePath(),
  pattern: z.enum(['sequential', 'uniform', 'hotspot']),
  blockSizeBytes: z.number().int().min(512).max(64 * 2 ** 20).refine((n) => n % 512 === 0, 'block size is a multiple of 512 bytes'),
  /** Bytes per second; 0 = as fast as possible. */
  rateBytesPerSec: z.number().int().nonnegative(),
  durationMs: z.number().int().positive().max(24 * 3600 * 1000),
  /** Optional region (bytes) to confine the writes to. */
  offsetBytes: z.number().int().nonnegative().optional(),
  lengthBytes: z.number().int().positive().optional(),
  seed: z.number().int().optional(),
}));
export type WorkloadSpec = Infer<typeof WorkloadSpec>;

export const WorkloadStatus = lazySchema(() => z.object({
  id: z.string(),
  spec: WorkloadSpec(),
  running: z.boolean(),
  writtenBytes: z.number(),
  writes: z.number(),
  error: z.string().nullable(),
}));
export type WorkloadStatus = Infer<typeof WorkloadStatus>;

export const DoctorReport = lazySchema(() => z.object({
  kernelRelease: z.string(),
  /** `note`: what a row is beyond loaded and version (the emulator's flavour, state folder and HZ). */
  modules: z.array(z.object({ name: z.string(), loaded: z.boolean(), version: z.string().nullable(), parameters: ModuleParameters(), note: z.string().optional() })),
  nodes: z.array(z.object({ path: z.string(), exists: z.boolean(), mode: z.string().nullable(), note: z.string() })),
  dialect: z.string().nullable(),
  reasons: z.array(z.string()),
  fixes: z.array(z.string()),
  backend: BackendInfo(),
}));
export type DoctorReport = Infer<typeof DoctorReport>;

/**
 * What `blkid -p` (low-level probe, read-only) finds on a device's snapshot image: the kernel's
 * image device itself, or on the emulator the image's first and last MiB read through the
 * emulator into a sparse file of the image's size. shared/imageMount.ts turns it into commands.
 */
export const ImageFileSystem = lazySchema(() => z.object({
  image: z.string(),
  /** blkid's TYPE (ext4, xfs, vfat, swap, crypto_LUKS, ...); null when none or not probed. */
  type: z.string().nullable(),
  /** blkid's USAGE: filesystem, raid, crypto, other; null when not said. */
  usage: z.string().nullable(),
  /** blkid's PTTYPE (dos, gpt) where the image is a whole disk with a partition table. */
  partitionTable: z.string().nullable(),
  /** Why the type is not known (nothing recognised, several signatures, the probe failed or timed out); null when found. */
  problem: z.string().nullable(),
}));
export type ImageFileSystem = Infer<typeof ImageFileSystem>;

/**
 * snapshotCreate's arguments: the module's request, plus the danger option that lets storage
 * overwrite a block device holding a filesystem or partition table (the storage policy refuses
 * that device otherwise). Separately named so no other flag can switch it on.
 */
export const SnapshotCreateArgs = lazySchema(() => SnapshotCreateRequest().extend({ forceStorageDevice: z.boolean().optional() }));

/** A method's entry: its argument and answer schemas are built when first read (the service reads only `args`). */
function method<A extends z.ZodType, R extends z.ZodType>(args: () => A, result: () => R, mutates: boolean) {
  const argsSchema = lazySchema(args);
  const resultSchema = lazySchema(result);
  return {
    get args(): A {
      return argsSchema();
    },
    get result(): R {
      return resultSchema();
    },
    mutates,
  };
}

/** Every call of BlksnapApi: name → argument schema, result schema, whether it changes state. */
export const API = {
  backendInfo: method(None, BackendInfo, false),
  doctor: method(None, DoctorReport, false),
  parameters: method(None, ModuleParameters, false),
  listDevices: method(None, () => z.array(DeviceSummary()), false),
  attach: method(() => z.object({ device: DevicePath() }), Ok, true),
  detach: method(() => z.object({ device: DevicePath(), force: z.boolean().optional() }), Ok, true),
  cbtInfo: method(() => z.object({ device: DevicePath() }), CbtInfo, false),
  /** The whole read map, binary. */
  cbtMap: method(() => z.object({ device: DevicePath() }), Bytes, false),
  /**
   * One level of the read map's pyramid (shared/cbtLevels.ts) and the map's histogram: what a
   * heatmap drawing 2^shift blocks per pixel needs, a fraction of the map's bytes. `shift` is
   * clamped to the map's coarsest level; `changed` holds little-endian counts (u8 below level 8,
   * u16 below 16, else u32).
   */
  cbtMapLevel: method(
    () => z.object({ device: DevicePath(), shift: z.number().int().min(1).max(31) }),
    () => z.object({
      blockCount: z.number().int().nonnegative(), shift: z.number().int(), max: Bytes(), changed: Bytes(),
      histogram: z.array(z.number().int().nonnegative()).length(256), lastBlockValue: z.number().int().min(0).max(255),
    }),
    false,
  ),
  markDirty: method(() => z.object({ device: DevicePath(), ranges: z.array(SectorRange()).min(1).max(65536) }), Ok, true),
  exportChangedRanges: method(
    () => z.object({ device: DevicePath(), sinceChangeNumber: z.number().int().min(0).max(255), format: z.enum(['json', 'csv']) }),
    () => z.object({ text: z.string(), rangeCount: z.number().int(), bytes: z.number() }),
    false,
  ),
  snapshotCreate: method(SnapshotCreateArgs, () => z.object({ id: SnapshotId() }), true),
  snapshotAdd: method(() => z.object({ id: SnapshotId(), device: DevicePath() }), Ok, true),
  snapshotTake: method(() => z.object({ id: SnapshotId() }), Ok, true),
  snapshotDestroy: method(() => z.object({ id: SnapshotId() }), Ok, true),
  listSnapshots: method(None, () => z.array(SnapshotSummary()), false),
  fillHistory: method(() => z.object({ id: SnapshotId() }), () => z.array(FillSample()), false),
  eventHistory: method(() => z.object({ limit: z.number().int().positive().max(100_000).optional() }), () => z.array(AppEvent()), false),
  /**
   * SNAPSHOT_WAIT_EVENT semantics over the service (blksnapctl snapshot_waitevent/watcher): the
   * oldest module event of the snapshot that no waitEvent call has returned yet (the service's
   * pump keeps them queued per snapshot, as the module's queue would), waiting up to
   * `timeoutTicks` ticks of the backend's HZ (spec §3.7; 0 polls). null on timeout; ESRCH when
   * there is no such snapshot or it is destroyed while waiting.
   */
  waitEvent: method(() => z.object({ id: SnapshotId(), timeoutTicks: z.number().int().min(0).max(0xffff_ffff) }), () => SnapshotEvent().nullable(), false),
  /**
   * Which files changed since N (issue 18, shared/changedFiles.ts): a job that resolves in the
   * background; its answer is read page by page while it runs, and cached per (generation,
   * change number).
   */
  changedFilesStart: method(ChangedFilesStartArgs, () => z.object({ jobId: z.string(), cached: z.boolean() }), false),
  changedFilesPage: method(ChangedFilesPageArgs, ChangedFilesPage, false),
  changedFilesCancel: method(() => z.object({ jobId: z.string().min(1).max(64) }), Ok, false),
  /** A changed file's changed device byte ranges (to highlight on the map). */
  changedFileRanges: method(ChangedFileRangesArgs, ChangedFileRanges, false),
  /** Which files own the changed bytes of a device range (the heatmap tooltip). */
  changedFileOwner: method(ChangedFileOwnerArgs, ChangedFileOwner, false),
  /** The file system on a device's snapshot image, probed read-only with a time limit (the mount command depends on it). */
  imageFileSystem: method(() => z.object({ device: DevicePath() }), ImageFileSystem, false),
  // Emulator only (spec E5): EUNSUPPORTED on the kernel backend.
  emuCreateDevice: method(() => z.object({ name: z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, 'a device name is lowercase letters, digits, - or _, starting with a letter'), sizeBytes: z.number().int().positive().max(2 ** 50).refine((n) => n % 512 === 0, 'size is a multiple of 512 bytes') }), BlockDevice, true),
  emuRemoveDevice: method(() => z.object({ name: z.string().min(1) }), Ok, true),
  emuWrite: method(() => z.object({ path: DevicePath(), offsetBytes: z.number().int().nonnegative(), data: BytesUpTo(MAX_IO_BYTES) }), Ok, true),
  emuRead: method(() => z.object({ path: DevicePath(), offsetBytes: z.number().int().nonnegative(), lengthBytes: z.number().int().positive().max(MAX_IO_BYTES) }), Bytes, false),
  workloadStart: method(WorkloadSpec, WorkloadStatus, true),
  workloadStop: method(() => z.object({ id: z.string() }), Ok, true),
  workloadList: method(None, () => z.array(WorkloadStatus()), false),
  supportBundle: method(None, () => z.object({ path: z.string() }), true),
} as const;

export type ApiMethod = keyof typeof API;

/** apiMethods.ts lists exactly these methods (a compile error here when one is missing on either side). */
type SameNames<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const API_METHODS_LISTED: SameNames<ApiMethod, ApiMethodName> = true;
export type ApiArgs<M extends ApiMethod> = z.input<(typeof API)[M]['args']>;
export type ApiResult<M extends ApiMethod> = z.output<(typeof API)[M]['result']>;

/** The renderer's (and CLI's) view of the service: one async function per method. */
export type BlksnapApi = { [M in ApiMethod]: (args: ApiArgs<M>) => Promise<ApiResult<M>> };

/** Push topics from the service, batched (about every 50 ms). */
export const PUSH = lazyTable({
  devices: () => z.array(DeviceSummary()),
  snapshots: () => z.array(SnapshotSummary()),
  fill: () => z.object({ id: SnapshotId(), sample: FillSample() }),
  events: () => z.array(AppEvent()),
  backend: () => BackendInfo(),
  workloads: () => z.array(WorkloadStatus()),
});

export type PushTopic = keyof typeof PUSH;
export type PushPayload<T extends PushTopic> = z.output<(typeof PUSH)[T]>;

export interface PushSource {
  subscribe<T extends PushTopic>(topic: T, listener: (payload: PushPayload<T>) => void): () => void;
}

/**
 * Decoded bytes the arguments of one call may carry in a binary frame: a decoder checks a
 * frame's header against this before it allocates anything. 0: the method takes no bytes.
 */
export function maxArgumentBytes(method: unknown): number {
  return method === 'emuWrite' ? MAX_IO_BYTES : 0;
}

export function isApiMethod(name: unknown): name is ApiMethod {
  return typeof name === 'string' && Object.hasOwn(API, name);
}
