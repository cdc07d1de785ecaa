// Sorted, non-overlapping byte ranges (the changed ranges since N) and the interval math the
// resolver needs: the overlap of an extent with them, and the union of pieces.
import type { SectorRange } from '../../shared/schemas';
import { SECTOR_SIZE } from '../../shared/units';

export class ChangedSet {
  readonly starts: Float64Array;
  readonly ends: Float64Array;
  readonly totalBytes: number;

  /** `starts`/`ends` ascending and disjoint (as shared/cbt changedRanges makes them). */
  constructor(starts: ArrayLike<number>, ends: ArrayLike<number>) {
    this.starts = Float64Array.from(starts);
    this.ends = Float64Array.from(ends);
    let total = 0;
    for (let i = 0; i < this.starts.length; i++) total += this.ends[i]! - this.starts[i]!;
    this.totalBytes = total;
  }

  static fromSectorRanges(ranges: readonly SectorRange[]): ChangedSet {
    return new ChangedSet(
      ranges.map((r) => r.offsetSectors * SECTOR_SIZE),
      ranges.map((r) => (r.offsetSectors + r.countSectors) * SECTOR_SIZE),
    );
  }

  get count(): number {
    return this.starts.length;
  }

  /** The part inside [start, end), shifted by -start: a filesystem's own view of the device's changes. */
  window(start: number, end: number): ChangedSet {
    const s: number[] = [];
    const e: number[] = [];
    for (let i = this.firstEndingAfter(start); i < this.starts.length && this.starts[i]! < end; i++) {
      s.push(Math.max(this.starts[i]!, start) - start);
      e.push(Math.min(this.ends[i]!, end) - start);
    }
    return new ChangedSet(s, e);
  }

  /** Index of the first range whose end lies after `offset` (binary search). */
  firstEndingAfter(offset: number): number {
    let lo = 0;
    let hi = this.ends.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ends[mid]! <= offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Calls `piece` for every changed piece inside [start, start+length); returns their total. */
  overlap(start: number, length: number, piece?: (start: number, length: number) => void): number {
    const end = start + length;
    let total = 0;
    for (let i = this.firstEndingAfter(start); i < this.starts.length && this.starts[i]! < end; i++) {
      const s = Math.max(this.starts[i]!, start);
      const e = Math.min(this.ends[i]!, end);
      if (e > s) {
        total += e - s;
        piece?.(s, e - s);
      }
    }
    return total;
  }
}

/** Total length of the union of pieces given as flat [start, length, start, length, ...]. */
export function unionBytes(flat: readonly number[]): number {
  const n = flat.length / 2;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => flat[2 * a]! - flat[2 * b]!);
  let total = 0;
  let curStart = -1;
  let curEnd = -1;
  for (const i of order) {
    const s = flat[2 * i]!;
    const e = s + flat[2 * i + 1]!;
    if (s > curEnd) {
      total += curEnd - curStart;
      curStart = s;
      curEnd = e;
    } else if (e > curEnd) {
      curEnd = e;
    }
  }
  return total + (curEnd - curStart);
}
