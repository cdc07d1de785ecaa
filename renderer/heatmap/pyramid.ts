// Level-of-detail pyramid over a CBT map: level k has one bucket per 2^k blocks, holding the
// largest change number in the bucket and how many of its blocks changed (value > 0). Built once
// per map read so that any zoom level renders with one lookup per pixel.

export interface LodLevel {
  /** Blocks per bucket = 2 ** shift. */
  shift: number;
  /** Largest change number per bucket (level 0: the map itself). */
  max: Uint8Array;
  /** Changed blocks per bucket; null at level 0, where it is (max > 0 ? 1 : 0). */
  changed: Uint32Array | null;
}

export interface CbtPyramid {
  blockCount: number;
  levels: LodLevel[];
  /** Blocks per change number: histogram[v] = count of blocks whose value is v. */
  histogram: Uint32Array;
}

export function buildHistogram(map: Uint8Array): Uint32Array {
  const histogram = new Uint32Array(256);
  for (let i = 0; i < map.length; i++) histogram[map[i]!]!++;
  return histogram;
}

/** Level 1 and the histogram in one pass over the map (the only pass over 2M cells). */
function firstLevel(map: Uint8Array, histogram: Uint32Array): LodLevel {
  const length = Math.ceil(map.length / 2);
  const max = new Uint8Array(length);
  const changed = new Uint32Array(length);
  const pairs = map.length >> 1;
  for (let j = 0, i = 0; j < pairs; j++, i += 2) {
    const a = map[i]!;
    const b = map[i + 1]!;
    histogram[a]!++;
    histogram[b]!++;
    max[j] = a > b ? a : b;
    changed[j] = (a !== 0 ? 1 : 0) + (b !== 0 ? 1 : 0);
  }
  if (length > pairs) {
    const a = map[map.length - 1]!;
    histogram[a]!++;
    max[pairs] = a;
    changed[pairs] = a !== 0 ? 1 : 0;
  }
  return { shift: 1, max, changed };
}

function nextLevel(below: LodLevel): LodLevel {
  const src = below.max;
  const srcChanged = below.changed!;
  const length = Math.ceil(src.length / 2);
  const max = new Uint8Array(length);
  const changed = new Uint32Array(length);
  const pairs = src.length >> 1;
  for (let j = 0; j < pairs; j++) {
    const a = src[2 * j]!;
    const b = src[2 * j + 1]!;
    max[j] = a > b ? a : b;
    changed[j] = srcChanged[2 * j]! + srcChanged[2 * j + 1]!;
  }
  if (length > pairs) {
    max[pairs] = src[src.length - 1]!;
    changed[pairs] = srcChanged[src.length - 1]!;
  }
  return { shift: below.shift + 1, max, changed };
}

export function buildPyramid(map: Uint8Array): CbtPyramid {
  const levels: LodLevel[] = [{ shift: 0, max: map, changed: null }];
  if (map.length <= 1) return { blockCount: map.length, levels, histogram: buildHistogram(map) };
  const histogram = new Uint32Array(256);
  let level = firstLevel(map, histogram);
  levels.push(level);
  while (level.max.length > 1) {
    level = nextLevel(level);
    levels.push(level);
  }
  return { blockCount: map.length, levels, histogram };
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
