// Difference-storage fill: a bounded history of samples per snapshot, the fill rate,
// time-to-full and the warning state. Unknown numbers stay null (spec §3.6: the module does
// not report `filled`); nothing here invents them.
import type { FillSample } from '../../shared/contract';
import type { DiffStorageUsage } from '../../shared/schemas';
import { formatBytes, formatDuration, sectorsToBytes } from '../../shared/units';

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

export type Confidence = 'low' | 'medium' | 'high';

export interface FillEstimate {
  seconds: number;
  confidence: Confidence;
}

export interface EstimateSettings {
  /** The long window of the recent rate (the config's fillRateWindowMs). */
  windowMs: number;
  /** The copy unit: the storage overflows when the next chunk no longer fits, not at 100 %. */
  chunkBytes: number;
  /** No growth for this long: writes stopped, and there is no estimate. */
  idleMs?: number;
  /** The short window that catches a burst the long window would average away. */
  burstMs?: number;
}

/**
 * Growth per second between the newest sample and the oldest one within `ms` of it. Where used
 * bytes are known (they grow chunk by chunk), a flat stretch at the start of the window is the
 * time before the writes began, not part of their rate; they began somewhere in the interval
 * before the first sample that grew, so the rate runs from that sample (none until the next one).
 * Averaging the stretch in made the first warning of a run say "full in about 58 s" when the
 * storage overflowed 19 s later. The allocation alone (the real module) grows in steps of
 * diff_storage_minimum, flat between them by nature, so there the window is kept whole.
 */
function rateOver(history: readonly FillSample[], ms: number): { rate: number; spanMs: number } | null {
  const last = history.at(-1);
  if (!last || level(last) === null) return null;
  let firstIndex = -1;
  for (let i = history.length - 2; i >= 0; i--) {
    const s = history[i]!;
    if (last.timeMs - s.timeMs > ms || level(s) === null) break;
    firstIndex = i;
  }
  if (firstIndex < 0) return null;
  if (last.usedBytes !== null && level(history[firstIndex + 1]!) === level(history[firstIndex]!)) {
    while (firstIndex < history.length - 2 && level(history[firstIndex + 1]!) === level(history[firstIndex]!)) firstIndex++;
    // The writes began somewhere in the interval before the first sample that grew: count from that sample.
    firstIndex++;
  }
  const first = history[firstIndex]!;
  if (last.timeMs <= first.timeMs) return null;
  const spanMs = last.timeMs - first.timeMs;
  return { rate: ((level(last)! - level(first)!) * 1000) / spanMs, spanMs };
}

/**
 * Time to full from the recent rate (spec §3.6): what is left before the next chunk no longer
 * fits, over the faster of the burst and the window rates (so a burst is not averaged away and
 * the estimate errs early). None when nothing grew for `idleMs`: the writes stopped. Confidence:
 * how well the two rates agree, low while the window is still short.
 */
export function estimateTimeToFull(history: readonly FillSample[], settings: EstimateSettings): FillEstimate | null {
  const last = history.at(-1);
  if (!last) return null;
  const full = fullBytes(last);
  const now = level(last);
  if (full === null || now === null) return null;
  const idle = rateOver(history, settings.idleMs ?? 2000);
  if (!idle || idle.rate <= 0) return null;
  const long = rateOver(history, settings.windowMs);
  const burst = rateOver(history, settings.burstMs ?? 3000);
  if (!long || !burst) return null;
  const rate = Math.max(long.rate, burst.rate);
  if (rate <= 0) return null;
  const seconds = Math.max(0, (full - now - settings.chunkBytes) / rate);
  const agreement = Math.max(0, Math.min(long.rate, burst.rate)) / rate;
  const confidence: Confidence = long.spanMs < Math.min(settings.windowMs, 5000) ? 'low' : agreement >= 0.7 ? 'high' : agreement >= 0.35 ? 'medium' : 'low';
  return { seconds, confidence };
}

/** The estimate's seconds alone (default chunk: the module's minimum, 256 KiB). */
export function timeToFullSec(history: readonly FillSample[], windowMs: number, chunkBytes = 256 * 1024): number | null {
  return estimateTimeToFull(history, { windowMs, chunkBytes })?.seconds ?? null;
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
    return `Difference storage full in about ${formatDuration(ttfSec)} at the current rate (${formatBytes(now ?? 0)} ${what} of ${formatBytes(full ?? 0)})`;
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
