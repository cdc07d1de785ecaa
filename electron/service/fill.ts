// Difference-storage fill: a bounded history of samples per snapshot, the fill rate,
// time-to-full and the warning state. Unknown numbers stay null (spec §3.6: the module does
// not report `filled`); nothing here invents them.
import type { FillSample } from '../../shared/contract';
import type { DiffStorageUsage } from '../../shared/schemas';
import { formatBytes, sectorsToBytes } from '../../shared/units';

export function sampleFromUsage(usage: DiffStorageUsage, timeMs: number): FillSample {
  const bytes = (s: number | null) => (s === null ? null : sectorsToBytes(s));
  return {
    timeMs,
    usedBytes: bytes(usage.filledSectors),
    allocatedBytes: bytes(usage.capacitySectors),
    limitBytes: bytes(usage.limitSectors),
  };
}

export function sameSample(a: FillSample | undefined, b: FillSample): boolean {
  return !!a && a.usedBytes === b.usedBytes && a.allocatedBytes === b.allocatedBytes && a.limitBytes === b.limitBytes;
}

/**
 * The size at which the storage is full: the limit, or the allocation when it is larger
 * (storage bigger than the limit is accepted as is, spec §3.6).
 */
export function fullBytes(sample: FillSample): number | null {
  const full = Math.max(sample.limitBytes ?? 0, sample.allocatedBytes ?? 0);
  return full > 0 ? full : null;
}

/** What the fill is measured by: used bytes where known, else the allocation (real module). */
function level(sample: FillSample): number | null {
  return sample.usedBytes ?? sample.allocatedBytes;
}

/** Bytes per second over the last `windowMs` of history; null without two usable samples. */
export function fillRate(history: readonly FillSample[], windowMs: number): number | null {
  const last = history.at(-1);
  if (!last || level(last) === null) return null;
  let first: FillSample | undefined;
  for (let i = history.length - 2; i >= 0; i--) {
    const s = history[i]!;
    if (last.timeMs - s.timeMs > windowMs || level(s) === null) break;
    first = s;
  }
  if (!first || last.timeMs <= first.timeMs) return null;
  return ((level(last)! - level(first)!) * 1000) / (last.timeMs - first.timeMs);
}

export function timeToFullSec(history: readonly FillSample[], windowMs: number): number | null {
  const last = history.at(-1);
  const rate = fillRate(history, windowMs);
  if (!last || rate === null || rate <= 0) return null;
  const full = fullBytes(last);
  const now = level(last);
  if (full === null || now === null) return null;
  return Math.max(0, (full - now) / rate);
}

export interface WarningThresholds {
  warnFillPercent: number;
  warnTimeToFullSec: number;
}

/** A warning for people, or null when neither threshold is crossed. */
export function fillWarning(sample: FillSample, ttfSec: number | null, t: WarningThresholds): string | null {
  const full = fullBytes(sample);
  const now = level(sample);
  const what = sample.usedBytes === null ? 'allocated' : 'used';
  if (full !== null && now !== null) {
    const percent = (now / full) * 100;
    if (percent >= t.warnFillPercent) {
      return `Difference storage ${percent.toFixed(0)}% ${what} (${formatBytes(now)} of ${formatBytes(full)}); it overflows when full and the snapshot is lost`;
    }
  }
  if (ttfSec !== null && ttfSec <= t.warnTimeToFullSec) {
    return `Difference storage full in about ${Math.ceil(ttfSec)} s at the current rate (${formatBytes(now ?? 0)} ${what} of ${formatBytes(full ?? 0)})`;
  }
  return null;
}

/** Samples of one snapshot, oldest first, at most `capacity`. */
export class FillHistory {
  private samples: FillSample[] = [];
  warning: string | null = null;

  constructor(private readonly capacity: number) {}

  add(sample: FillSample): void {
    this.samples.push(sample);
    if (this.samples.length > this.capacity) this.samples.splice(0, this.samples.length - this.capacity);
  }

  list(): FillSample[] {
    return [...this.samples];
  }

  last(): FillSample | undefined {
    return this.samples.at(-1);
  }

  get length(): number {
    return this.samples.length;
  }
}
