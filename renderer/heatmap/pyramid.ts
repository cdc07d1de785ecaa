// Level-of-detail pyramid over a CBT map: level k has one bucket per 2^k blocks, holding the
// largest change number in the bucket and how many of its blocks changed (value > 0), so that
// any zoom level renders with one lookup per pixel.
//
// Levels are built when first asked for, not all at once for every new map: the first pass over
// the map (which also fills the histogram) builds the level on screen, skipping zero words; a
// coarser level is then reduced from the nearest finer one already built, and only a finer level
// costs another pass over the map. Counts use the smallest type that holds 2^k.

export type ChangedCounts = Uint8Array | Uint16Array | Uint32Array;

export interface LodLevel {
  /** Blocks per bucket = 2 ** shift. */
  shift: number;
  /** Largest change number per bucket (level 0: the map itself). */
  max: Uint8Array;
  /** Changed blocks per bucket; null at level 0, where it is (max > 0 ? 1 : 0). */
  changed: ChangedCounts | null;
}

/** A bucket of 2^shift blocks needs counts up to 2^shift. */
function countsFor(shift: number, length: number): ChangedCounts {
  if (shift < 8) return new Uint8Array(length);
  if (shift < 16) return new Uint16Array(length);
  return new Uint32Array(length);
}

/** Levels of a map of n blocks: 0 … the first whose single bucket covers the map. */
export function levelCountFor(n: number): number {
  let count = 1;
  while (Math.ceil(n / 2 ** (count - 1)) > 1) count++;
  return count;
}

/**
 * One pass over the map: level `shift` (≥ 1), and the histogram when one is given. From level 2
 * a bucket holds whole 32-bit words of the map, so the pass reads four blocks at a time and
 * zero words (most of a sparse map) cost one comparison.
 */
export function levelFromMap(map: Uint8Array, shift: number, histogram: Uint32Array | null): LodLevel {
  const n = map.length;
  const length = Math.ceil(n / 2 ** shift);
  const max = new Uint8Array(length);
  const changed = countsFor(shift, length);
  if (shift < 2) {
    bytesInto(map, 0, shift, max, changed, histogram);
    return { shift, max, changed };
  }
  // A map decoded in place may not start on a word boundary: read an aligned copy then.
  const src = map.byteOffset % 4 === 0 ? map : map.slice();
  const words = new Uint32Array(src.buffer, src.byteOffset, n >>> 2);
  const by = shift - 2;
  let zeroWords = 0;
  for (let k = 0; k < words.length; k++) {
    const w = words[k]!;
    if (w === 0) {
      zeroWords++;
      continue;
    }
    const a = w & 0xff;
    const b = (w >>> 8) & 0xff;
    const c = (w >>> 16) & 0xff;
    const d = w >>> 24;
    if (histogram !== null) {
      histogram[a]!++;
      histogram[b]!++;
      histogram[c]!++;
      histogram[d]!++;
    }
    let m = a > b ? a : b;
    const m2 = c > d ? c : d;
    if (m2 > m) m = m2;
    const bucket = k >>> by;
    if (m > max[bucket]!) max[bucket] = m;
    changed[bucket]! += (a !== 0 ? 1 : 0) + (b !== 0 ? 1 : 0) + (c !== 0 ? 1 : 0) + (d !== 0 ? 1 : 0);
  }
  if (histogram !== null) histogram[0]! += zeroWords * 4;
  bytesInto(src, words.length * 4, shift, max, changed, histogram);
  return { shift, max, changed };
}

/** Blocks from `from` to the end of the map into the buckets of level `shift`, one at a time. */
function bytesInto(map: Uint8Array, from: number, shift: number, max: Uint8Array, changed: ChangedCounts, histogram: Uint32Array | null): void {
  for (let i = from; i < map.length; i++) {
    const v = map[i]!;
    if (histogram !== null) histogram[v]!++;
    if (v === 0) continue;
    const b = i >>> shift;
    if (v > max[b]!) max[b] = v;
    changed[b]!++;
  }
}

/** Level `shift` from a finer level (shift > below.shift ≥ 1): one pass over the finer level. */
export function reduceLevel(below: LodLevel, shift: number): LodLevel {
  const src = below.max;
  const srcChanged = below.changed!;
  const by = shift - below.shift;
  const length = Math.ceil(src.length / 2 ** by);
  const max = new Uint8Array(length);
  const changed = countsFor(shift, length);
  for (let i = 0; i < src.length; i++) {
    const v = src[i]!;
    if (v === 0) continue;
    const b = i >>> by;
    if (v > max[b]!) max[b] = v;
    changed[b]! += srcChanged[i]!;
  }
  return { shift, max, changed };
}

/** The level the first pass builds when the histogram is asked for first: about 512 Ki buckets. */
function baseShift(n: number): number {
  let shift = 1;
  while (Math.ceil(n / 2 ** shift) > 2 ** 19) shift++;
  return shift;
}

export class CbtPyramid {
  readonly blockCount: number;
  /** Levels 0 … levelCount − 1; the last has one bucket. */
  readonly levelCount: number;
  private readonly built: (LodLevel | undefined)[];
  private counts: Uint32Array | null = null;

  constructor(readonly map: Uint8Array) {
    this.blockCount = map.length;
    this.levelCount = levelCountFor(map.length);
    this.built = [{ shift: 0, max: map, changed: null }];
  }

  /** Blocks per change number: histogram[v] = count of blocks whose value is v. */
  get histogram(): Uint32Array {
    if (this.counts === null) this.firstPass(baseShift(this.blockCount));
    return this.counts!;
  }

  /** Level `shift`, built now if it was not yet (clamped to the levels the map has). */
  level(shift: number): LodLevel {
    const k = Math.max(0, Math.min(this.levelCount - 1, Math.floor(shift)));
    const ready = this.built[k];
    if (ready) return ready;
    if (this.counts === null) return this.firstPass(k);
    let finer: LodLevel | undefined;
    for (let j = k - 1; j >= 1 && !finer; j--) finer = this.built[j];
    const level = finer ? reduceLevel(finer, k) : levelFromMap(this.map, k, null);
    this.built[k] = level;
    return level;
  }

  /**
   * Builds one level not built yet, finest first (level 1 is a pass over the map; the coarser
   * ones reduce from it), so idle time can prepare every zoom level a step at a time. False once
   * all are built.
   */
  buildNext(): boolean {
    for (let k = 1; k < this.levelCount; k++) {
      if (this.built[k]) continue;
      this.level(k);
      return true;
    }
    return false;
  }

  /** Levels built so far (for tests and benchmarks). */
  builtLevels(): number[] {
    return this.built.flatMap((l, k) => (l ? [k] : []));
  }

  private firstPass(k: number): LodLevel {
    const histogram = new Uint32Array(256);
    if (this.blockCount <= 1 || k === 0) {
      for (let i = 0; i < this.map.length; i++) histogram[this.map[i]!]!++;
      this.counts = histogram;
      return this.built[0]!;
    }
    const level = levelFromMap(this.map, k, histogram);
    this.counts = histogram;
    this.built[k] = level;
    return level;
  }
}

export function buildPyramid(map: Uint8Array): CbtPyramid {
  return new CbtPyramid(map);
}

/** Largest change number present in the map (0 if nothing changed). */
export function maxChangeNumber(pyramid: CbtPyramid): number {
  for (let v = 255; v > 0; v--) if (pyramid.histogram[v]! > 0) return v;
  return 0;
}

/** Smallest non-zero change number present (0 if nothing changed). */
export function minChangeNumber(pyramid: CbtPyramid): number {
  for (let v = 1; v < 256; v++) if (pyramid.histogram[v]! > 0) return v;
  return 0;
}
