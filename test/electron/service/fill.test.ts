import { describe, expect, it } from 'vitest';
import type { FillSample } from '../../../shared/contract';
import { estimateTimeToFull, fillWarning, timeToFullSec } from '../../../electron/service/fill';
import { formatDuration } from '../../../shared/units';

const MiB = 2 ** 20;
const CHUNK = 256 * 1024;

/** Samples every 500 ms: `used(t)` bytes at second t, with a fixed limit and allocation. */
function history(seconds: number, used: (t: number) => number, limitBytes = 64 * MiB): FillSample[] {
  const out: FillSample[] = [];
  for (let ms = 0; ms <= seconds * 1000; ms += 500) out.push({ timeMs: 1_000_000 + ms, usedBytes: used(ms / 1000), allocatedBytes: limitBytes, limitBytes });
  return out;
}

describe('time to full', () => {
  it('at a steady rate: what is left before the next chunk no longer fits, over the rate, with high confidence', () => {
    const h = history(12, (t) => 2 * MiB + t * MiB);
    const estimate = estimateTimeToFull(h, { windowMs: 10_000, chunkBytes: CHUNK });
    expect(estimate?.confidence).toBe('high');
    expect(estimate?.seconds).toBeCloseTo((64 * MiB - 14 * MiB - CHUNK) / MiB, 5);
  });

  it('does not average a burst away: 3 s of 8 MiB/s after a quiet window gives seconds, not a minute', () => {
    // 10 s at 0.25 MiB/s, then 8 MiB/s: at 12.5 s about 10 MiB remain (the overflow is about 1 s away).
    const h = history(12.5, (t) => 2 * MiB + (t <= 10 ? t * MiB / 4 : 2.5 * MiB + (t - 10) * 8 * MiB) + (t > 10 ? 30 * MiB : 0));
    const remaining = 64 * MiB - h.at(-1)!.usedBytes! - CHUNK;
    const estimate = estimateTimeToFull(h, { windowMs: 10_000, chunkBytes: CHUNK })!;
    expect(estimate.seconds).toBeLessThan(remaining / (8 * MiB) + 0.5);
    expect(estimate.confidence).toBe('low');
    // The window average alone said several times longer.
    const windowOnly = remaining / ((h.at(-1)!.usedBytes! - h.find((s) => s.timeMs >= h.at(-1)!.timeMs - 10_000)!.usedBytes!) / 10);
    expect(windowOnly).toBeGreaterThan(2 * estimate.seconds);
  });

  // Eighth session (ux2), the seventh's 3 GiB run: 64 KiB writes at 40 MiB/s fill 256 KiB chunks at about
  // 157 MiB/s. The first warning, 0.8 s into the writes, said "full in about 58 s" (the idle seconds before
  // them averaged in); no_space came 15 s later and the overflow 19 s after the warning.
  it('counts the rate from when the writes began, not over the idle seconds before them', () => {
    const GiB = 1024 * MiB;
    const rate = 157 * MiB;
    // Writes from 3.1 s on, between two samples: the 3.5 s sample holds 0.4 s of them.
    const upTo = (endMs: number) => {
      const h: FillSample[] = [];
      for (let ms = 0; ms <= endMs; ms += 500) {
        h.push({ timeMs: 1_000_000 + ms, usedBytes: 2 * MiB + Math.max(0, ms - 3100) / 1000 * rate, allocatedBytes: GiB, limitBytes: 3 * GiB });
      }
      return h;
    };
    // One sample into the writes their rate is not known yet (when in the interval did they begin?).
    expect(estimateTimeToFull(upTo(3500), { windowMs: 10_000, chunkBytes: CHUNK })).toBeNull();
    const h = upTo(4500);
    const overflowIn = (3 * GiB - h.at(-1)!.usedBytes! - CHUNK) / rate;
    const estimate = estimateTimeToFull(h, { windowMs: 10_000, chunkBytes: CHUNK })!;
    expect(estimate.seconds).toBeGreaterThan(overflowIn * 0.9);
    expect(estimate.seconds).toBeLessThan(overflowIn * 1.1);
    expect(estimate.confidence).toBe('low');
  });

  it('keeps the whole window where only the allocation is known: it is flat between its steps by nature', () => {
    // The real module: no used bytes; a 1 GiB step just now. Over the 3 s burst window: 6 GiB left at
    // 1 GiB per 3 s, 18 s; counted from the last flat sample it would be 1 GiB per 0.5 s, 3 s.
    const GiB = 1024 * MiB;
    const h: FillSample[] = [];
    for (let ms = 0; ms <= 10_000; ms += 500) h.push({ timeMs: 1_000_000 + ms, usedBytes: null, allocatedBytes: ms < 10_000 ? GiB : 2 * GiB, limitBytes: 8 * GiB });
    const estimate = estimateTimeToFull(h, { windowMs: 10_000, chunkBytes: CHUNK })!;
    expect(estimate.seconds).toBeGreaterThan(15);
  });

  it('is dropped when the writes stop', () => {
    const h = history(15, (t) => 2 * MiB + Math.min(t, 12) * MiB);
    expect(estimateTimeToFull(h, { windowMs: 10_000, chunkBytes: CHUNK })).toBeNull();
    expect(timeToFullSec(h, 10_000)).toBeNull();
  });

  it('is low confidence while the history is short, and none without a known level or limit', () => {
    expect(estimateTimeToFull(history(2, (t) => 2 * MiB + t * MiB), { windowMs: 10_000, chunkBytes: CHUNK })?.confidence).toBe('low');
    const unknown = history(5, () => 0).map((s) => ({ ...s, usedBytes: null, allocatedBytes: null }));
    expect(estimateTimeToFull(unknown, { windowMs: 10_000, chunkBytes: CHUNK })).toBeNull();
  });
});

describe('the fill warning', () => {
  // Seventh session (ux): the banner said "full in about 51 s" beside the card's "Time to full: about 50 s"
  // (Math.ceil against the card's rounding), and "about 290 s" where the card says "4 min 50 s".
  it('says the time to full as the snapshot card does (shared formatDuration)', () => {
    const sample: FillSample = { timeMs: 0, usedBytes: 582 * MiB, allocatedBytes: 1024 * MiB, limitBytes: 1024 * MiB };
    expect(fillWarning(sample, 50.3, { warnFillPercent: 80, warnTimeToFullSec: 60 })).toBe('Difference storage full in about 50 s at the current rate (582 MiB used of 1 GiB)');
    for (const seconds of [0.4, 50.3, 59.6, 290, 3725]) {
      expect(fillWarning(sample, seconds, { warnFillPercent: 80, warnTimeToFullSec: 7200 })).toContain(`full in about ${formatDuration(seconds)} at`);
    }
    expect(formatDuration(290)).toBe('4 min 50 s');
  });
});
