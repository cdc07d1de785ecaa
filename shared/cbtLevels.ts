// Levels of detail over a CBT map: level k has one bucket per 2^k blocks, holding the largest
// change number in the bucket and how many of its blocks changed (value > 0). The renderer's
// heatmap pyramid is made of these; the service computes the level a heatmap draws so that a
// page can show a 2M-block map without receiving it whole first (cbtMapLevel).

export type ChangedCounts = Uint8Array | Uint16Array | Uint32Array;

export interface LodLevel {
  /** Blocks per bucket = 2 ** shift. */
  shift: number;
  /** Largest change number per bucket (level 0: the map itself). */
  max: Uint8Array;
  /** Changed blocks per bucket; null at level 0, where it is (max > 0 ? 1 : 0). */
  changed: ChangedCounts | null;
}

/** Bytes per changed count at level `shift`: a bucket of 2^shift blocks needs counts up to 2^shift. */
export function countBytesFor(shift: number): 1 | 2 | 4 {
  if (shift < 8) return 1;
  if (shift < 16) return 2;
  return 4;
}

export function countsFor(shift: number, length: number): ChangedCounts {
  const bytes = countBytesFor(shift);
  if (bytes === 1) return new Uint8Array(length);
  if (bytes === 2) return new Uint16Array(length);
  return new Uint32Array(length);
}

/** Levels of a map of n blocks: 0 … the first whose single bucket covers the map. */
export function levelCountFor(n: number): number {
  let count = 1;
  while (Math.ceil(n / 2 ** (count - 1)) > 1) count++;
  return count;
}

/**
 * One pass over the map: level `shift` (≥ 1), and the histogram (blocks per change number) when
 * one is given. The pass reads the map four blocks (one 32-bit word) at a time; zero words (most
 * of a sparse map) cost one comparison. Maxima and changed counts are branch-free (maxOf, a SWAR
 * count of the word's non-zero bytes): on a map of random values a compare-and-branch per block
 * mispredicts half the time, which made this pass 2–3× slower.
 */
export function levelFromMap(map: Uint8Array, shift: number, histogram: Uint32Array | null): LodLevel {
  const n = map.length;
  const length = Math.ceil(n / 2 ** shift);
  const max = new Uint8Array(length);
  const changed = countsFor(shift, length);
  // A map decoded in place may not start on a word boundary: read an aligned copy then.
  const src = map.byteOffset % 4 === 0 ? map : map.slice();
  const words = new Uint32Array(src.buffer, src.byteOffset, n >>> 2);
  if (shift === 1) pairsInto(words, max, changed);
  else if (histogram === null) wordsInto(words, shift - 2, max, changed);
  else wordsWithHistogramInto(words, shift - 2, max, changed, histogram);
  if (histogram !== null && shift === 1) wordsHistogram(words, histogram);
  bytesInto(src, words.length * 4, shift, max, changed, histogram);
  return { shift, max, changed };
}

/** The larger of two small non-negative integers, without a branch. */
function maxOf(a: number, b: number): number {
  const d = b - a;
  return b - (d & (d >> 31));
}

/** How many of a 32-bit word's four bytes are not zero (SWAR: each byte's top bit says "non-zero"). */
function nonZeroBytes(w: number): number {
  const high = ((((w & 0x7f7f7f7f) + 0x7f7f7f7f) | w) >>> 7) & 0x01010101;
  return Math.imul(high, 0x01010101) >>> 24;
}

/** Level ≥ 2 from the map's words: each bucket holds 2^by whole words. */
function wordsInto(words: Uint32Array, by: number, max: Uint8Array, changed: ChangedCounts): void {
  for (let k = 0; k < words.length; k++) {
    const w = words[k]!;
    if (w === 0) continue;
    const m = maxOf(maxOf(w & 0xff, (w >>> 8) & 0xff), maxOf((w >>> 16) & 0xff, w >>> 24));
    const bucket = k >>> by;
    max[bucket] = maxOf(max[bucket]!, m);
    changed[bucket]! += nonZeroBytes(w);
  }
}

/** wordsInto and the histogram of the same words in one pass. */
function wordsWithHistogramInto(words: Uint32Array, by: number, max: Uint8Array, changed: ChangedCounts, histogram: Uint32Array): void {
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
    histogram[a]!++;
    histogram[b]!++;
    histogram[c]!++;
    histogram[d]!++;
    const bucket = k >>> by;
    max[bucket] = maxOf(max[bucket]!, maxOf(maxOf(a, b), maxOf(c, d)));
    changed[bucket]! += nonZeroBytes(w);
  }
  histogram[0]! += zeroWords * 4;
}

/** Level 1 from the map's words: each word is two buckets of two blocks. */
function pairsInto(words: Uint32Array, max: Uint8Array, changed: ChangedCounts): void {
  for (let k = 0; k < words.length; k++) {
    const w = words[k]!;
    if (w === 0) continue;
    const high = ((((w & 0x7f7f7f7f) + 0x7f7f7f7f) | w) >>> 7) & 0x01010101;
    max[2 * k] = maxOf(w & 0xff, (w >>> 8) & 0xff);
    max[2 * k + 1] = maxOf((w >>> 16) & 0xff, w >>> 24);
    changed[2 * k] = (high & 1) + ((high >>> 8) & 1);
    changed[2 * k + 1] = ((high >>> 16) & 1) + (high >>> 24);
  }
}

/** The histogram of the map's words (the level-1 pass leaves it out). */
function wordsHistogram(words: Uint32Array, histogram: Uint32Array): void {
  for (let k = 0; k < words.length; k++) {
    const w = words[k]!;
    histogram[w & 0xff]!++;
    histogram[(w >>> 8) & 0xff]!++;
    histogram[(w >>> 16) & 0xff]!++;
    histogram[w >>> 24]!++;
  }
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
    max[b] = maxOf(max[b]!, v);
    changed[b]! += srcChanged[i]!;
  }
  return { shift, max, changed };
}

/** Levels `shifts` (each ≥ 1) of a map, finest first: the finest from the map, each other reduced from the one before. */
export function levelsFromMap(map: Uint8Array, shifts: readonly number[]): LodLevel[] {
  const levels: LodLevel[] = [];
  for (const shift of [...shifts].sort((a, b) => a - b)) {
    const finer = levels.at(-1);
    levels.push(finer ? reduceLevel(finer, shift) : levelFromMap(map, shift, null));
  }
  return levels;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A level's counts as bytes for the wire: little-endian u8, u16 or u32 by the level's shift. */
export function countsToBytes(counts: ChangedCounts): Uint8Array {
  if (counts instanceof Uint8Array) return counts;
  if (LITTLE_ENDIAN) return new Uint8Array(counts.buffer, counts.byteOffset, counts.byteLength);
  const out = new Uint8Array(counts.byteLength);
  const view = new DataView(out.buffer);
  for (let i = 0; i < counts.length; i++) {
    if (counts instanceof Uint16Array) view.setUint16(i * 2, counts[i]!, true);
    else view.setUint32(i * 4, counts[i]!, true);
  }
  return out;
}

/** The counts of level `shift` back from countsToBytes' bytes; throws when their size does not fit `length` buckets. */
export function countsFromBytes(bytes: Uint8Array, shift: number, length: number): ChangedCounts {
  const counts = countsFor(shift, length);
  if (bytes.byteLength !== counts.byteLength) throw new Error(`level ${shift}: ${bytes.byteLength} bytes of counts for ${length} buckets (expected ${counts.byteLength})`);
  if (counts instanceof Uint8Array) return bytes;
  if (LITTLE_ENDIAN) {
    new Uint8Array(counts.buffer).set(bytes);
    return counts;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < length; i++) counts[i] = counts instanceof Uint16Array ? view.getUint16(i * 2, true) : view.getUint32(i * 4, true);
  return counts;
}

/** The answer of cbtMapLevel for a read map: level `shift` (clamped to the map's levels), histogram, last block. */
export function mapLevelAnswer(map: Uint8Array, shift: number) {
  const histogram = new Uint32Array(256);
  const level = levelFromMap(map, Math.max(1, Math.min(shift, levelCountFor(map.length) - 1)), histogram);
  return {
    blockCount: map.length, shift: level.shift, max: level.max, changed: countsToBytes(level.changed!),
    histogram: Array.from(histogram), lastBlockValue: map.length > 0 ? map[map.length - 1]! : 0,
  };
}
