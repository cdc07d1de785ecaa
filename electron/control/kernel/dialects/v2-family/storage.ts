// What the client knows of a snapshot's difference storage: only what the module exposes
// (a storage file's size, the sectors asked for and appended in range mode), never its fill.
import { statSync, type Stats } from 'node:fs';
import { basename } from 'node:path';
import type { DiffStorageUsage, SnapshotEvent } from '../../../../../shared/schemas';
import type { KernelEnv } from '../../env';

export interface StorageRecord {
  path: string | null;
  limitSectors: number;
  /** Range mode: what the module asked for in low_free_space events (seen by this process). */
  requestedSectors: number;
  appendedSectors: number;
  /** A `corrupted` event with ENOSPC was seen by this process: the storage overflowed. */
  overflowed: boolean;
}

/** Folds what an event tells about the storage into its record. */
export function noteEvent(rec: StorageRecord, event: SnapshotEvent): void {
  if (event.kind === 'low_free_space' && event.requestedSectors !== null) rec.requestedSectors += event.requestedSectors;
  if (event.kind === 'no_space' && event.requestedSectors !== null) rec.requestedSectors = event.requestedSectors;
  if (event.kind === 'corrupted' && event.errCode === 28) rec.overflowed = true;
}

/** Storage paths are the user's real paths (not under a test root). */
export function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

export function storageUsage(rec: StorageRecord | undefined, env: KernelEnv): DiffStorageUsage {
  const unknown = { filledSectors: null, requestedSectors: null, capacitySectors: null, limitSectors: null, overflowed: null };
  if (!rec) return { ...unknown, source: 'snapshot not created by this process: the module does not report its storage' };
  const known = { ...unknown, limitSectors: rec.limitSectors, requestedSectors: rec.requestedSectors || null, overflowed: rec.overflowed ? true : null };
  if (rec.path === null) {
    return {
      ...known, requestedSectors: rec.requestedSectors, capacitySectors: rec.appendedSectors,
      source: 'range mode: sectors the module asked for (low_free_space events) and the ranges appended by this process',
    };
  }
  const st = statOrNull(rec.path);
  if (st?.isFile()) {
    return { ...known, capacitySectors: Math.ceil(st.size / 512), source: `size of ${rec.path} (the module does not report how much is filled)` };
  }
  if (st?.isDirectory()) {
    return { ...known, source: `an unnamed file in ${rec.path}: its size is not visible; the module does not report its fill` };
  }
  const size = st?.isBlockDevice() ? env.readText(`/sys/class/block/${basename(rec.path)}/size`) : null;
  const capacitySectors = size === null ? null : Number(size.trim());
  return { ...known, capacitySectors, source: `block device ${rec.path}: its size${capacitySectors === null ? ' is unknown' : ' from sysfs'}; the module does not report its fill` };
}
