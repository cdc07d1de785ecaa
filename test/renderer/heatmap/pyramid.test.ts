import { describe, expect, it } from 'vitest';
import { buildPyramid, maxChangeNumber, minChangeNumber, type CbtPyramid } from '../../../renderer/heatmap/pyramid';
import { seededRandom } from '../../../shared/random';
import { levelsFromMap, mapLevelAnswer } from '../../../shared/cbtLevels';
import { pyramidFromLevel } from '../../../renderer/views/devices/loadMap';

const levels = (p: CbtPyramid) => Array.from({ length: p.levelCount }, (_, k) => p.level(k));

/** Level k by its definition, block by block: the reference the lazy builder must equal. */
function eagerLevel(map: Uint8Array, k: number): { max: number[]; changed: number[] } {
  const size = 2 ** k;
  const max: number[] = [];
  const changed: number[] = [];
  for (let b = 0; b * size < map.length; b++) {
    let m = 0;
    let c = 0;
    for (let i = b * size; i < Math.min(map.length, (b + 1) * size); i++) {
      m = Math.max(m, map[i]!);
      if (map[i] !== 0) c++;
    }
    max.push(m);
    changed.push(c);
  }
  return { max, changed };
}

/** Sparse runs, dense noise and zero stretches, so both the zero-word skip and the byte path run. */
function randomMap(random: () => number, length: number): Uint8Array {
  const map = new Uint8Array(length);
  let at = 0;
  while (at < length) {
    const run = 1 + Math.floor(random() * 300);
    const kind = random();
    for (let i = at; i < Math.min(length, at + run); i++) map[i] = kind < 0.4 ? 0 : kind < 0.7 ? 1 + Math.floor(random() * 255) : 7;
    at += run;
  }
  return map;
}

describe('buildPyramid', () => {
  it('keeps the largest change number and the changed count of each bucket at every level', () => {
    const pyramid = buildPyramid(Uint8Array.from([0, 3, 0, 0, 1, 1, 0, 2]));
    expect(levels(pyramid).map((l) => [...l.max])).toEqual([[0, 3, 0, 0, 1, 1, 0, 2], [3, 0, 1, 2], [3, 2], [3]]);
    expect(levels(pyramid).map((l) => (l.changed ? [...l.changed] : null))).toEqual([null, [1, 0, 2, 1], [1, 3], [4]]);
  });

  it('carries an odd last block up unchanged', () => {
    const pyramid = buildPyramid(Uint8Array.from([1, 0, 0, 0, 5]));
    expect(levels(pyramid).map((l) => [...l.max])).toEqual([[1, 0, 0, 0, 5], [1, 0, 5], [1, 5], [5]]);
    expect([...pyramid.level(1).changed!]).toEqual([1, 0, 1]);
    expect([...pyramid.level(3).changed!]).toEqual([2]);
  });

  it('counts blocks per change number and finds the oldest and newest present', () => {
    const pyramid = buildPyramid(Uint8Array.from([0, 4, 4, 9, 0]));
    expect(pyramid.histogram[0]).toBe(2);
    expect(pyramid.histogram[4]).toBe(2);
    expect(pyramid.histogram[9]).toBe(1);
    expect(minChangeNumber(pyramid)).toBe(4);
    expect(maxChangeNumber(pyramid)).toBe(9);
  });

  it('handles an empty and a one-block map', () => {
    expect(buildPyramid(new Uint8Array(0)).levelCount).toBe(1);
    const one = buildPyramid(Uint8Array.from([7]));
    expect(one.levelCount).toBe(1);
    expect(maxChangeNumber(one)).toBe(7);
  });

  it('builds lazily levels equal to the eager definition on random maps, in any order of asking', () => {
    const random = seededRandom(2026);
    for (let round = 0; round < 12; round++) {
      const length = 1 + Math.floor(random() * 5000);
      // Odd offsets too: a map decoded in place may not start on a word boundary.
      const offset = round % 3;
      const backing = new Uint8Array(length + offset);
      backing.set(randomMap(random, length), offset);
      const map = backing.subarray(offset);
      const pyramid = buildPyramid(map);
      const order = Array.from({ length: pyramid.levelCount }, (_, k) => k);
      if (round % 2 === 1) order.reverse();
      if (round % 4 === 2) void pyramid.histogram; // the histogram first builds a base level
      for (const k of order) {
        const level = pyramid.level(k);
        const want = eagerLevel(map, k);
        expect([...level.max], `level ${k} of ${length} blocks`).toEqual(want.max);
        if (k > 0) expect([...level.changed!], `level ${k} of ${length} blocks`).toEqual(want.changed);
      }
      const histogram = new Array<number>(256).fill(0);
      for (const v of map) histogram[v]!++;
      expect([...pyramid.histogram]).toEqual(histogram);
    }
  });

  it('builds only the levels asked for, with counts as small as a bucket allows', () => {
    const pyramid = buildPyramid(new Uint8Array(2 ** 20).fill(1));
    const fine = pyramid.level(3);
    expect(pyramid.builtLevels()).toEqual([0, 3]);
    expect(fine.changed).toBeInstanceOf(Uint8Array);
    expect(pyramid.level(12).changed).toBeInstanceOf(Uint16Array);
    expect(pyramid.level(19).changed).toBeInstanceOf(Uint32Array);
    expect(pyramid.level(19).changed![0]).toBe(2 ** 19);
    expect(pyramid.builtLevels()).toEqual([0, 3, 12, 19]);
  });

  it('builds the remaining levels one at a time, equal to the eager ones', () => {
    const map = randomMap(seededRandom(7), 3000);
    const pyramid = buildPyramid(map);
    pyramid.level(4);
    let steps = 0;
    while (pyramid.buildNext()) steps++;
    expect(steps).toBe(pyramid.levelCount - 2);
    expect(pyramid.builtLevels()).toEqual(Array.from({ length: pyramid.levelCount }, (_, k) => k));
    for (let k = 1; k < pyramid.levelCount; k++) expect([...pyramid.level(k).changed!]).toEqual(eagerLevel(map, k).changed);
  });

  it('starts from the level the service sends, reduces coarser ones, and waits for the map for finer ones', () => {
    const random = seededRandom(99);
    for (const length of [5000, 70_001, 300_000]) {
      const map = randomMap(random, length);
      const answer = mapLevelAnswer(map, 3);
      // Over the wire the bytes travel on their own: copies, as a decoder hands them out.
      const pyramid = pyramidFromLevel({ ...answer, max: answer.max.slice(), changed: answer.changed.slice() });
      expect(pyramid.map).toBeNull();
      expect(pyramid.has(3)).toBe(true);
      expect(pyramid.has(pyramid.levelCount - 1)).toBe(true);
      expect(pyramid.has(2)).toBe(false);
      expect(() => pyramid.level(2)).toThrow(/needs the map/);
      expect(pyramid.buildNext()).toBe(false);
      const whole = buildPyramid(map);
      expect([...pyramid.histogram]).toEqual([...whole.histogram]);
      expect(pyramid.lastBlockValue).toBe(map[length - 1]);
      for (let k = 3; k < pyramid.levelCount; k++) {
        expect([...pyramid.level(k).max], `level ${k}`).toEqual(eagerLevel(map, k).max);
        expect([...pyramid.level(k).changed!], `level ${k}`).toEqual(eagerLevel(map, k).changed);
      }
      pyramid.attachMap(map);
      expect(pyramid.has(0) && pyramid.has(1)).toBe(true);
      expect([...pyramid.level(1).changed!]).toEqual(eagerLevel(map, 1).changed);
      expect(() => pyramid.attachMap(map.subarray(1))).toThrow(/blocks/);
    }
  });

  it('carries counts of 16 and 32 bits over the wire', () => {
    const map = new Uint8Array(2 ** 18).fill(9);
    for (const [shift, type] of [[9, Uint16Array], [17, Uint32Array]] as const) {
      const answer = mapLevelAnswer(map, shift);
      expect(answer.changed.byteLength).toBe(answer.max.length * type.BYTES_PER_ELEMENT);
      const level = pyramidFromLevel({ ...answer, changed: answer.changed.slice() }).level(shift);
      expect(level.changed).toBeInstanceOf(type);
      expect([...level.changed!]).toEqual(eagerLevel(map, shift).changed);
    }
    // Asked past the coarsest level: the coarsest comes.
    expect(mapLevelAnswer(map, 31).shift).toBe(18);
  });

  it('refuses a level whose size does not fit the map', () => {
    const answer = mapLevelAnswer(randomMap(seededRandom(3), 4096), 3);
    expect(() => pyramidFromLevel({ ...answer, blockCount: 8192 })).toThrow(/buckets/);
    expect(() => pyramidFromLevel({ ...answer, changed: answer.changed.subarray(1) })).toThrow(/bytes of counts/);
  });

  it('takes the levels a worker built from its map, and says which are still missing', () => {
    const map = randomMap(seededRandom(11), 20_000);
    const pyramid = buildPyramid(map);
    pyramid.level(6);
    expect(pyramid.missingLevels()).toEqual([1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    const built = levelsFromMap(map, pyramid.missingLevels());
    expect(built.map((l) => l.shift)).toEqual(pyramid.missingLevels());
    const mine = pyramid.level(6);
    for (const level of built) pyramid.adopt(level);
    pyramid.adopt(levelsFromMap(map, [6])[0]!);
    expect(pyramid.level(6)).toBe(mine);
    expect(pyramid.missingLevels()).toEqual([]);
    for (let k = 1; k < pyramid.levelCount; k++) expect([...pyramid.level(k).changed!], `level ${k}`).toEqual(eagerLevel(map, k).changed);
    expect(() => buildPyramid(map.subarray(4)).adopt(built[0]!)).toThrow(/buckets/);
  });
});
