// The emulator's flavours: one per dialect of the module (spec §0.2). Everything that differs
// between dialects and is not a module parameter lives in this table.
import type { Capabilities, DialectId, EventKind, ModuleVersion } from '../../../shared/schemas';

export type Flavour = 'upstream' | 'v7' | 'v6' | 'v1' | 'val-7.0' | 'val-13';
export const FLAVOURS: readonly Flavour[] = ['upstream', 'v7', 'v6', 'v1', 'val-7.0', 'val-13'];

/** How the chunk size is chosen at take (spec §3.4, §4, §6.3). */
export type ChunkRule = 'lk6.15' | 'v7' | 'v1';

export interface FlavourRules {
  flavour: Flavour;
  dialect: DialectId;
  dialectLabel: string;
  /** false where the spec marks the dialect inferred (VAL-13), as the kernel client says of its dialects. */
  verified: boolean;
  version: ModuleVersion;
  capabilities: Capabilities;
  /** Event kind → code. */
  eventCode: Partial<Record<EventKind, number>>;
  chunkRule: ChunkRule;
  /** v1: the read map is copied from the write map before the increment, also at the wrap. */
  copyBeforeIncrement: boolean;
  /** Path-mode storage: no_space when growth finds the limit reached (VAL-7.0: a log line). */
  noSpaceEvent: boolean;
  /**
   * File and directory storage is opened with O_DIRECT and a file system without it refuses the
   * create with EINVAL (spec §2, §3.6: lk6.15 and lk6.9/v7). v6 takes the client's fd as it was
   * opened; VAL-7.0 opens again without O_DIRECT after an EINVAL (its diff_storage.c; VAL-13 is
   * taken as the same).
   */
  storageDirectIo: boolean;
  /** Where allocation starts in file, directory and block storage (spec §3.6: 4096; §4: 0 on v6/v7). */
  storageStartSectors: number;
  /** Errno of image reads and writes once the device's area is corrupted (v1 measured ENOSPC). */
  imageErrorCode: 'EIO' | 'ENOSPC';
  /** VAL-7.0 range mode (measured): only the create-time low_free_space, never a later one. */
  rangeLaterEpisodes: boolean;
  /**
   * The filter ioctls go to the block device itself (upstream, spec §1), so the kernel client
   * opens the path first: a path no device has fails there (OPEN_DEVICE), before the module.
   */
  filterOnDevice: boolean;
  /**
   * CTL naming another filter than the one attached (spec §4 table, §5.2): EINVAL from
   * lk6.15's and v7's block layer, ENOENT from v6's and from bdevfilter (measured on VAL-7.0;
   * VAL-13 taken as the same). Nothing changes either way. v1 has no filter calls.
   */
  foreignFilterCtl: 'EINVAL' | 'ENOENT';
  /** Operation names as the dialect's ioctls are called, for error messages. */
  op: { attach: string; detach: string; cbtInfo: string; cbtMap: string; cbtDirty: string; add: string; info: string };
}

const RW = { explicitAttach: true, addAfterCreate: true, cbtMapNeedsTakenSnapshot: false, maxSnapshots: null } as const;
const V2_OPS = {
  attach: 'BLKFILTER_ATTACH', detach: 'BLKFILTER_DETACH', cbtInfo: 'CBTINFO', cbtMap: 'CBTMAP',
  cbtDirty: 'CBTDIRTY', add: 'SNAPSHOTADD', info: 'SNAPSHOTINFO',
};

/**
 * The two earlier upstream series (spec §4), alike in all the emulator models: lk6.15's interface
 * with other numbers, which the emulator does not see; corrupted as the only event (a log line at
 * the limit), allocation from sector 0, the older image names and chunk rule (v6's own words are
 * in the meanings table).
 */
const EARLIER_UPSTREAM = {
  verified: true,
  version: { major: 2, minor: 0, revision: 0, build: 0 },
  capabilities: {
    ...RW, appendStorage: false, storageModes: ['file', 'directory', 'block'],
    eventCodes: { 0: 'corrupted' }, needsStretchService: false,
  },
  eventCode: { corrupted: 0 },
  chunkRule: 'v7', copyBeforeIncrement: false, noSpaceEvent: false, storageStartSectors: 0, imageErrorCode: 'EIO',
  rangeLaterEpisodes: true, filterOnDevice: true, op: V2_OPS,
} satisfies Omit<FlavourRules, 'flavour' | 'dialect' | 'dialectLabel' | 'storageDirectIo' | 'foreignFilterCtl'>;

export const FLAVOUR_RULES: Record<Flavour, FlavourRules> = {
  upstream: {
    flavour: 'upstream', dialect: 'lk6.15', dialectLabel: 'upstream lk6.15 (emulated)', verified: true,
    version: { major: 2, minor: 0, revision: 0, build: 0 },
    capabilities: {
      ...RW, appendStorage: false, storageModes: ['file', 'directory', 'block'],
      eventCodes: { 0: 'corrupted', 1: 'no_space' }, needsStretchService: false,
    },
    eventCode: { corrupted: 0, no_space: 1 },
    chunkRule: 'lk6.15', copyBeforeIncrement: false, noSpaceEvent: true, storageDirectIo: true, storageStartSectors: 4096, imageErrorCode: 'EIO',
    rangeLaterEpisodes: true, filterOnDevice: true, foreignFilterCtl: 'EINVAL', op: V2_OPS,
  },
  v7: { ...EARLIER_UPSTREAM, flavour: 'v7', dialect: 'v7', dialectLabel: 'upstream v7 / lk6.9 (emulated)', storageDirectIo: true, foreignFilterCtl: 'EINVAL' },
  v6: { ...EARLIER_UPSTREAM, flavour: 'v6', dialect: 'v6', dialectLabel: 'upstream v6 (emulated)', storageDirectIo: false, foreignFilterCtl: 'ENOENT' },
  'val-7.0': {
    flavour: 'val-7.0', dialect: 'val-7.0', dialectLabel: 'Veeam standalone VAL-7.0 (emulated)', verified: true,
    version: { major: 7, minor: 0, revision: 0, build: 0 },
    capabilities: {
      ...RW, appendStorage: true, storageModes: ['file', 'directory', 'block', 'ranges'],
      eventCodes: { 0: 'corrupted', 1: 'low_free_space' }, needsStretchService: false,
    },
    eventCode: { corrupted: 0, low_free_space: 1 },
    chunkRule: 'v7', copyBeforeIncrement: false, noSpaceEvent: false, storageDirectIo: false, storageStartSectors: 4096, imageErrorCode: 'EIO',
    rangeLaterEpisodes: false, filterOnDevice: false, foreignFilterCtl: 'ENOENT', op: V2_OPS,
  },
  'val-13': {
    flavour: 'val-13', dialect: 'val-13', dialectLabel: 'Veeam standalone VAL-13 (emulated, inferred)', verified: false,
    version: { major: 7, minor: 0, revision: 0, build: 0 },
    capabilities: {
      ...RW, appendStorage: true, storageModes: ['file', 'directory', 'block', 'ranges'],
      eventCodes: { 0: 'corrupted', 1: 'no_space', 2: 'low_free_space' }, needsStretchService: false,
    },
    eventCode: { corrupted: 0, no_space: 1, low_free_space: 2 },
    chunkRule: 'v7', copyBeforeIncrement: false, noSpaceEvent: true, storageDirectIo: false, storageStartSectors: 4096, imageErrorCode: 'EIO',
    rangeLaterEpisodes: true, filterOnDevice: false, foreignFilterCtl: 'ENOENT', op: V2_OPS,
  },
  v1: {
    flavour: 'v1', dialect: 'v1', dialectLabel: 'Veeam Agent for Linux 6.x, v1 (emulated)', verified: true,
    version: { major: 1, minor: 0, revision: 0, build: 0 },
    capabilities: {
      explicitAttach: false, addAfterCreate: false, appendStorage: true, cbtMapNeedsTakenSnapshot: true,
      maxSnapshots: 1, storageModes: ['ranges'], eventCodes: { 0: 'low_free_space', 1: 'corrupted' },
      needsStretchService: true,
    },
    eventCode: { low_free_space: 0, corrupted: 1 },
    chunkRule: 'v1', copyBeforeIncrement: true, noSpaceEvent: false, storageDirectIo: false, storageStartSectors: 0, imageErrorCode: 'ENOSPC',
    rangeLaterEpisodes: true, filterOnDevice: false, foreignFilterCtl: 'ENOENT',
    op: {
      attach: 'attach', detach: 'TRACKER_REMOVE', cbtInfo: 'TRACKER_COLLECT', cbtMap: 'TRACKER_READ_CBT_MAP',
      cbtDirty: 'TRACKER_MARK_DIRTY_BLOCKS', add: 'snapshot add', info: 'SNAPSHOT_COLLECT_IMAGES',
    },
  },
};

/** Image disk name for an original M:m (v1: by image minor), spec §0.2. */
export function imageName(flavour: Flavour, major: number, minor: number, imageMinor: number): string {
  switch (flavour) {
    case 'upstream': return `blksnap-${major}-${minor}`;
    case 'v7':
    case 'v6': return `blksnap-image_${major}:${minor}`;
    case 'v1': return `veeamblksnapimg${imageMinor}`;
    case 'val-7.0': return `veeamblksnapimg_${major}:${minor}`;
    case 'val-13': return `vbsnap-${major}-${minor}`;
  }
}

export function eventKindOf(rules: FlavourRules, code: number): EventKind {
  for (const [kind, c] of Object.entries(rules.eventCode)) if (c === code) return kind as EventKind;
  return 'unknown';
}
