// Domain types as runtime schemas (zod). Every type that crosses a process boundary is
// defined here once; TypeScript types are derived with Infer. Each schema is built when first
// used (lazySchema.ts): `DevicePath()` is the schema.
import { z } from 'zod';
import { lazySchema, type Infer } from './lazySchema';
import { DIALECT_IDS, UUID_RE } from './ids';

export { UUID_RE };

export const SnapshotId = lazySchema(() => z.string().regex(UUID_RE, 'a snapshot id is a UUID like 3f2b8e1c-0a4d-4f6e-9b1a-2c3d4e5f6a7b'));
export type SnapshotId = Infer<typeof SnapshotId>;

/** A block device path: /dev/sdb1, /dev/vda, or an emulated device's /dev/<name>. */
export const DevicePath = lazySchema(() => z
  .string()
  .min(1, 'a device path is required')
  .max(4095, 'a device path is shorter than PATH_MAX (4096)')
  .regex(/^\/[^\0]*$/, 'a device path is absolute, like /dev/sdb1'));
export type DevicePath = Infer<typeof DevicePath>;

export const Sectors = lazySchema(() => z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER));

export const DialectId = lazySchema(() => z.enum(DIALECT_IDS));
export type DialectId = Infer<typeof DialectId>;

export const DevId = lazySchema(() => z.object({ major: z.number().int().nonnegative(), minor: z.number().int().nonnegative() }));
export type DevId = Infer<typeof DevId>;

export const ModuleVersion = lazySchema(() => z.object({
  major: z.number().int(), minor: z.number().int(), revision: z.number().int(), build: z.number().int(),
}));
export type ModuleVersion = Infer<typeof ModuleVersion>;

export const StorageMode = lazySchema(() => z.enum(['file', 'directory', 'block', 'ranges']));
export type StorageMode = Infer<typeof StorageMode>;

/** What a dialect can and cannot do; the UI and CLI adapt to it. */
export const Capabilities = lazySchema(() => z.object({
  /** v2: ATTACH exists. v1: trackers appear at SNAPSHOT_CREATE. */
  explicitAttach: z.boolean(),
  /** v2: SNAPSHOTADD after create. v1: the device list is fixed at create. */
  addAfterCreate: z.boolean(),
  /** VAL-7.0 and v1: SNAPSHOT_APPEND_STORAGE. */
  appendStorage: z.boolean(),
  /** v1: CBT maps are readable only while the device is in a taken snapshot. */
  cbtMapNeedsTakenSnapshot: z.boolean(),
  /** v1: only the newest snapshot is reachable, so one at a time. */
  maxSnapshots: z.number().int().positive().nullable(),
  storageModes: z.array(StorageMode()),
  /** Event code → name, per dialect. */
  eventCodes: z.record(z.string(), z.string()),
  /** The app runs its stretch service: user space must answer low_free_space with storage (v1 only; the standalone modules' range mode is not used). */
  needsStretchService: z.boolean(),
}));
export type Capabilities = Infer<typeof Capabilities>;

export const BackendInfo = lazySchema(() => z.object({
  kind: z.enum(['kernel', 'emulator']),
  dialect: DialectId(),
  /** "upstream lk6.15", "Veeam standalone VAL-7.0", ... */
  dialectLabel: z.string(),
  /** false where the spec marks the dialect inferred (VAL-13) or only spec-verified. */
  verified: z.boolean(),
  /** Why this backend and dialect: e.g. "/dev/blksnap-control not found; using the emulator". */
  reason: z.string(),
  version: ModuleVersion(),
  controlNode: z.string().nullable(),
  capabilities: Capabilities(),
  /** Emulator only: its state directory. */
  stateDir: z.string().nullable(),
}));
export type BackendInfo = Infer<typeof BackendInfo>;

export const ModuleParameters = lazySchema(() => z.record(z.string(), z.number()));
export type ModuleParameters = Infer<typeof ModuleParameters>;

export const BlockDevice = lazySchema(() => z.object({
  path: DevicePath(),
  /** Kernel name: sdb1, vda, or the emulated device's name. */
  name: z.string(),
  devId: DevId(),
  capacitySectors: Sectors(),
  tracked: z.boolean(),
  /** How "tracked" was learnt: sysfs filter attribute, a CBT-info probe, TRACKER_COLLECT, the emulator. */
  discovery: z.enum(['sysfs-filter', 'cbtinfo-probe', 'tracker-collect', 'emulator']),
}));
export type BlockDevice = Infer<typeof BlockDevice>;

export const CbtInfo = lazySchema(() => z.object({
  deviceCapacityBytes: z.number().int().nonnegative(),
  blockSizeBytes: z.number().int().positive(),
  blockCount: z.number().int().nonnegative(),
  generationId: z.string().regex(UUID_RE),
  /** The previous change number: that of the last take (0 before any). */
  changesNumber: z.number().int().min(0).max(255),
}));
export type CbtInfo = Infer<typeof CbtInfo>;

export const SectorRange = lazySchema(() => z.object({
  offsetSectors: Sectors(),
  countSectors: Sectors().min(1, 'a range covers at least one sector (count 0 is never sent: spec §2)'),
}));
export type SectorRange = Infer<typeof SectorRange>;

export const SnapshotCreateRequest = lazySchema(() => z.object({
  /** File, directory (unnamed file inside) or block device; null = range mode (VAL-7.0) or v1 stretch. */
  diffStoragePath: z.string().min(1).max(4095).nullable(),
  diffStorageLimitSectors: Sectors(),
  /** v1: the fixed device list (must not be empty). v2: added one by one after create by the caller. */
  devices: z.array(DevicePath()),
}));
export type SnapshotCreateRequest = Infer<typeof SnapshotCreateRequest>;

export const SnapshotDeviceInfo = lazySchema(() => z.object({
  /** 0 or the negative errno stored when the device's area went corrupted (e.g. -28). */
  errorCode: z.number().int(),
  /** Image disk name (blksnap-<M>-<m>, veeamblksnapimg0, ...), '' if none. */
  image: z.string(),
}));
export type SnapshotDeviceInfo = Infer<typeof SnapshotDeviceInfo>;

export const EventKind = lazySchema(() => z.enum(['corrupted', 'no_space', 'low_free_space', 'unknown']));
export type EventKind = Infer<typeof EventKind>;

/** An event of the module's per-snapshot queue, decoded per dialect. */
export const SnapshotEvent = lazySchema(() => z.object({
  snapshotId: SnapshotId(),
  code: z.number().int(),
  kind: EventKind(),
  /** Kernel CLOCK_MONOTONIC in ns, as a decimal string (u64 does not fit a double). */
  timeLabelNs: z.string().regex(/^-?\d+$/),
  /** corrupted: the original device and the positive errno. */
  device: DevId().nullable(),
  errCode: z.number().int().nullable(),
  /** no_space / low_free_space: requested_nr_sect. */
  requestedSectors: Sectors().nullable(),
}));
export type SnapshotEvent = Infer<typeof SnapshotEvent>;

/**
 * What is known about a snapshot's difference storage. Each field is null where the backend
 * cannot know it: the real module does not report `filled` (spec §3.6).
 */
export const DiffStorageUsage = lazySchema(() => z.object({
  /** Sectors holding copied chunks (emulator only). */
  filledSectors: Sectors().nullable(),
  /** What the allocator may use (emulator; v1/range mode: what the module asked for). */
  requestedSectors: Sectors().nullable(),
  /** Allocated: the storage file's size, or appended ranges in range mode. */
  capacitySectors: Sectors().nullable(),
  limitSectors: Sectors().nullable(),
  overflowed: z.boolean().nullable(),
  /** Where the numbers come from, for people: "emulator", "size of /var/tmp/diff", ... */
  source: z.string(),
}));
export type DiffStorageUsage = Infer<typeof DiffStorageUsage>;
