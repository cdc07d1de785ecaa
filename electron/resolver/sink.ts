// What a filesystem scanner reports to: files with their extents and free ranges, in the
// filesystem's own byte offsets. The job (job.ts) turns them into device offsets and hits.
import type { ChangedFile } from '../../shared/changedFiles';
import type { ChangedSet } from './ranges';

export interface FsSink {
  /** The device's changed ranges as seen from this filesystem (its byte 0 = 0). */
  readonly changed: ChangedSet;
  readonly signal: AbortSignal;
  /**
   * One file (or directory) and its extents, flat [start, length, ...] in filesystem bytes.
   * Returns the changed bytes that lie in them: only files with some are kept.
   */
  file(path: string, kind: ChangedFile['kind'], sizeBytes: number | null, mtimeMs: number | null, extents: number[]): number;
  /** Later facts about a kept file (mtime read in a second pass). */
  update(path: string, update: { sizeBytes?: number; mtimeMs?: number }): void;
  free(start: number, length: number): void;
  progress(phase: string, done: number, total: number | null): void;
  note(text: string): void;
}

export interface ScanResult {
  /** The filesystem's size: changed bytes of the region past it are unowned. */
  fsBytes: number;
  tool: string;
}
