// The difference-storage limit: one parser and one rule for the GUI's create form and
// blksnapctl snapshot_create (spec §3.6, §6.4). What the module does with a small limit:
// - v2 (file/directory storage): the first 2 MiB of the storage are never used (filled starts
//   at 4096 sectors) and copies go in chunks of at least 2^chunk_minimum_shift bytes, so a limit
//   must hold 2 MiB plus one chunk before anything can be copied. Below diff_storage_minimum the
//   storage is allocated to the limit at once and cannot grow: the module reports no_space at
//   the first copy, and the snapshot overflows when the limit is full. v6 and v7 use the storage
//   from 0 and, like VAL-7.0, send no event at the limit (PathStorageRule).
// - v1 (stretch service): the module asks for diff_storage_minimum at create; a smaller limit
//   gives it only the limit, and the snapshot overflows when that is full, with no
//   low_free_space before it.
import type { Capabilities, DialectId, StorageMode } from './schemas';
import { bytesToSectors, formatBytes, parseSize, SECTOR_SIZE } from './units';

/** The module's first 2 MiB of file/directory storage are never used (spec §3.6). */
export const RESERVED_STORAGE_BYTES = 4096 * SECTOR_SIZE;
export const DEFAULT_DIFF_STORAGE_MINIMUM_SECTORS = 2_097_152;
export const DEFAULT_CHUNK_MINIMUM_SHIFT = 18;

/**
 * What the module does with file and directory storage: where allocation starts (spec §3.6:
 * after the first 2 MiB; §4: at 0 on v6 and v7), and whether reaching the limit is reported
 * with no_space (lk6.15, VAL-13) or only by a kernel log line (v6, v7, VAL-7.0: §4, §5.3).
 */
export interface PathStorageRule {
  startBytes: number;
  noSpaceEvent: boolean;
}

export const LK615_PATH_STORAGE: PathStorageRule = { startBytes: RESERVED_STORAGE_BYTES, noSpaceEvent: true };

export function pathStorageRule(dialect: DialectId | null, capabilities: Pick<Capabilities, 'eventCodes'>): PathStorageRule {
  return {
    startBytes: dialect === 'v6' || dialect === 'v7' ? 0 : RESERVED_STORAGE_BYTES,
    noSpaceEvent: Object.values(capabilities.eventCodes).includes('no_space'),
  };
}

/**
 * Where a snapshot's storage starts to fill: range storage (v1, VAL range mode: spec §5.3, §6.4)
 * from 0, path storage as pathStorageRule says (2 MiB on lk6.15 and VAL, 0 on v6 and v7). null
 * where the mode is not known (a snapshot this app did not create), except on v1, whose storage
 * is always ranges.
 */
export function storageStartBytes(dialect: DialectId | null, capabilities: Pick<Capabilities, 'eventCodes'>, mode: StorageMode | null): number | null {
  if (mode === 'ranges' || dialect === 'v1') return 0;
  return mode === null ? null : pathStorageRule(dialect, capabilities).startBytes;
}

export interface LimitRule {
  diffStorageMinimumBytes: number;
  chunkMinimumBytes: number;
  /** v1: the app's stretch service allocates storage files as the module asks. */
  stretch: boolean;
  storage: PathStorageRule;
}

/** The rule from the module's parameters (defaults where a parameter is not reported). */
export function limitRule(parameters: Readonly<Record<string, number>> | null, stretch: boolean, storage: PathStorageRule = LK615_PATH_STORAGE): LimitRule {
  const minimumSectors = parameters?.diff_storage_minimum ?? DEFAULT_DIFF_STORAGE_MINIMUM_SECTORS;
  const chunkShift = parameters?.chunk_minimum_shift ?? DEFAULT_CHUNK_MINIMUM_SHIFT;
  return { diffStorageMinimumBytes: minimumSectors * SECTOR_SIZE, chunkMinimumBytes: 2 ** chunkShift, stretch, storage };
}

/** The smallest limit that can hold one copied chunk. */
export function smallestLimitBytes(rule: LimitRule): number {
  return (rule.stretch ? 0 : rule.storage.startBytes) + rule.chunkMinimumBytes;
}

export type ParsedLimit = { ok: true; bytes: number; sectors: number } | { ok: false; error: string };

/** "2G", "512M", "1073741824", "1.5 GiB" → bytes and sectors, or what is wrong with the text. */
export function parseLimit(text: string): ParsedLimit {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: false, error: 'Enter a limit, for example 2G or 512M.' };
  if (trimmed.startsWith('-')) return { ok: false, error: `"${trimmed}" is negative: a limit is a size greater than zero, like 2G.` };
  const parsed = parseSize(trimmed);
  if (!parsed.ok) return { ok: false, error: `${parsed.error}.` };
  if (parsed.bytes <= 0) return { ok: false, error: 'The limit must be greater than zero: a 0-byte limit overflows at the first write.' };
  if (parsed.bytes % SECTOR_SIZE !== 0) return { ok: false, error: `${parsed.bytes.toLocaleString('en-US')} bytes is not a whole number of 512-byte sectors.` };
  return { ok: true, bytes: parsed.bytes, sectors: bytesToSectors(parsed.bytes) };
}

export interface LimitCheck {
  /** The limit cannot work at all: refuse it. */
  error: string | null;
  /** It works, but not as a newcomer would expect: say so before creating. */
  warning: string | null;
}

/** Whether a parsed limit works with the module, and what a small one means. */
export function checkLimit(bytes: number, rule: LimitRule): LimitCheck {
  const smallest = smallestLimitBytes(rule);
  const minimum = formatBytes(rule.diffStorageMinimumBytes);
  if (bytes < smallest) {
    const why = rule.stretch || rule.storage.startBytes === 0
      ? `the module copies in chunks of at least ${formatBytes(rule.chunkMinimumBytes)}`
      : `the module never uses the first ${formatBytes(rule.storage.startBytes)} of the storage and copies in chunks of at least ${formatBytes(rule.chunkMinimumBytes)}`;
    return { error: `A limit of ${formatBytes(bytes)} cannot hold a single copied chunk: ${why}. The smallest limit that works is ${formatBytes(smallest)}; the module's own step is ${minimum} (diff_storage_minimum).`, warning: null };
  }
  if (bytes >= rule.diffStorageMinimumBytes) return { error: null, warning: null };
  const warning = rule.stretch
    ? `${formatBytes(bytes)} is below the module's diff_storage_minimum (${minimum}): the module asks for ${minimum} at create and the stretch service gives it only ${formatBytes(bytes)}, so the snapshot overflows once ${formatBytes(bytes)} of chunks are copied, without a low_free_space warning first. A limit of ${minimum} or more gives the module its first request in full.`
    : `${formatBytes(bytes)} is below the module's diff_storage_minimum (${minimum}): the storage is allocated to the limit at once and cannot grow, ${rule.storage.noSpaceEvent ? 'the module reports no_space at the first copy' : 'the module sends no event before the overflow (only a kernel log line)'}, and the snapshot overflows once about ${formatBytes(Math.max(0, bytes - rule.storage.startBytes))} of chunks are copied. Use ${minimum} or more for a storage that grows.`;
  return { error: null, warning };
}

export type LimitResult = { ok: true; bytes: number; sectors: number; warning: string | null } | { ok: false; error: string };

/** Parse and check in one step: what the create form and snapshot_create both use. */
export function parseAndCheckLimit(text: string, rule: LimitRule): LimitResult {
  const parsed = parseLimit(text);
  if (!parsed.ok) return parsed;
  const check = checkLimit(parsed.bytes, rule);
  if (check.error) return { ok: false, error: check.error };
  return { ...parsed, warning: check.warning };
}
