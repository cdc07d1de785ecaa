// Level-of-detail pyramid over a CBT map: level k has one bucket per 2^k blocks, holding the
// largest change number in the bucket and how many of its blocks changed (value > 0), so that
// any zoom level renders with one lookup per pixel.
//
// Levels are built when first asked for, not all at once for every new map: the first pass over
// the map (which also fills the histogram) builds the level on screen, skipping zero words; a
// coarser level is then reduced from the nearest finer one already built, and only a finer level
// costs another pass over the map. Counts use the smallest type that holds 2^k.

import { levelCountFor, levelFromMap, reduceLevel, type LodLevel } from '../../shared/cbtLevels';

export type { ChangedCounts, LodLevel } from '../../shared/cbtLevels';

/** The level the first pass builds when the histogram is asked for first: about 512 Ki buckets. */
function baseShift(n: number): number {
  let shift = 1;
  while (Math.ceil(n / 2 ** shift) > 2 ** 19) shift++;
  return shift;
}

export class CbtPyramid {
  /** Levels 0 … levelCount − 1; the last has one bucket. */
  readonly levelCount: number;
  private readonly built: (LodLevel | undefined)[] = [];
  private counts: Uint32Array | null = null;
  private whole: Uint8Array | null = null;
  private last = 0;

  private constructor(readonly blockCount: number) {
    this.levelCount = levelCountFor(blockCount);
  }

  static fromMap(map: Uint8Array): CbtPyramid {
    const pyramid = new CbtPyramid(map.length);
    pyramid.attachMap(map);
    return pyramid;
  }

  /**
   * A pyramid that starts from one level and the histogram, as the service's cbtMapLevel sends
   * them: the heatmap draws that level (and coarser ones) before the map itself arrives
   * (attachMap); finer levels wait for the map.
   */
  static fromLevel(blockCount: number, level: LodLevel, histogram: Uint32Array, lastBlockValue: number): CbtPyramid {
    const expected = Math.ceil(blockCount / 2 ** level.shift);
    if (level.shift < 1 || level.shift >= levelCountFor(blockCount) || level.max.length !== expected || level.changed?.length !== expected) {
      throw new Error(`level ${level.shift} of a ${blockCount}-block map has ${expected} buckets, not ${level.max.length}`);
    }
    const pyramid = new CbtPyramid(blockCount);
    pyramid.built[level.shift] = level;
    pyramid.counts = histogram;
    pyramid.last = lastBlockValue;
    return pyramid;
  }

  /** The map itself; null while a pyramid made from one level waits for it. */
  get map(): Uint8Array | null {
    return this.whole;
  }

  /** The change number of the map's last block (what a partial last block contributes). */
  get lastBlockValue(): number {
    return this.last;
  }

  /** Gives a pyramid made from one level its map (same blocks), so that every level can be built. */
  attachMap(map: Uint8Array): void {
    if (map.length !== this.blockCount) throw new Error(`the map has ${map.length} blocks, this pyramid ${this.blockCount}`);
    this.whole = map;
    this.last = map.length > 0 ? map[map.length - 1]! : 0;
    this.built[0] = { shift: 0, max: map, changed: null };
  }

  /** Blocks per change number: histogram[v] = count of blocks whose value is v. */
  get histogram(): Uint32Array {
    if (this.counts === null) this.firstPass(baseShift(this.blockCount));
    return this.counts!;
  }

  /** Whether level(shift) can be had now: built, reducible from a finer built level, or the map is here. */
  has(shift: number): boolean {
    const k = this.clamp(shift);
    if (this.whole !== null || this.built[k]) return true;
    for (let j = k - 1; j >= 1; j--) if (this.built[j]) return true;
    return false;
  }

  /** Level `shift`, built now if it was not yet (clamped to the levels the map has); throws where has() is false. */
  level(shift: number): LodLevel {
    const k = this.clamp(shift);
    const ready = this.built[k];
    if (ready) return ready;
    if (this.counts === null) return this.firstPass(k);
    let finer: LodLevel | undefined;
    for (let j = k - 1; j >= 1 && !finer; j--) finer = this.built[j];
    if (!finer && this.whole === null) throw new Error(`level ${k} needs the map, which has not arrived yet`);
    const level = finer ? reduceLevel(finer, k) : levelFromMap(this.whole!, k, null);
    this.built[k] = level;
    return level;
  }

  /**
   * Builds one level not built yet, finest first (level 1 is a pass over the map; the coarser
   * ones reduce from it), so idle time can prepare every zoom level a step at a time. False once
   * all are built, or while the map has not arrived.
   */
  buildNext(): boolean {
    if (this.whole === null) return false;
    for (let k = 1; k < this.levelCount; k++) {
      if (this.built[k]) continue;
      this.level(k);
      return true;
    }
    return false;
  }

  /** Levels 1 … levelCount − 1 not built yet. */
  missingLevels(): number[] {
    return Array.from({ length: this.levelCount }, (_, k) => k).filter((k) => k > 0 && !this.built[k]);
  }

  /** A level built elsewhere (a worker) from this pyramid's map; ignored when this one has it already. */
  adopt(level: LodLevel): void {
    const k = level.shift;
    if (k < 1 || k >= this.levelCount || this.built[k]) return;
    const length = Math.ceil(this.blockCount / 2 ** k);
    if (level.max.length !== length || level.changed?.length !== length) throw new Error(`level ${k} has ${level.max.length} buckets, not ${length}`);
    this.built[k] = level;
  }

  /** Levels built so far (for tests and benchmarks). */
  builtLevels(): number[] {
    return this.built.flatMap((l, k) => (l ? [k] : []));
  }

  private clamp(shift: number): number {
    return Math.max(0, Math.min(this.levelCount - 1, Math.floor(shift)));
  }

  private firstPass(k: number): LodLevel {
    const map = this.whole!;
    const histogram = new Uint32Array(256);
    if (this.blockCount <= 1 || k === 0) {
      for (let i = 0; i < map.length; i++) histogram[map[i]!]!++;
      this.counts = histogram;
      return this.built[0]!;
    }
    const level = levelFromMap(map, k, histogram);
    this.counts = histogram;
    this.built[k] = level;
    return level;
  }
}

export function buildPyramid(map: Uint8Array): CbtPyramid {
  return CbtPyramid.fromMap(map);
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
