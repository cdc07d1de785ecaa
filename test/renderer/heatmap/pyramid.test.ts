import { describe, expect, it } from 'vitest';
import { buildPyramid, maxChangeNumber, minChangeNumber } from '../../../renderer/heatmap/pyramid';

describe('buildPyramid', () => {
  it('keeps the largest change number and the changed count of each bucket at every level', () => {
    const pyramid = buildPyramid(Uint8Array.from([0, 3, 0, 0, 1, 1, 0, 2]));
    expect(pyramid.levels.map((l) => [...l.max])).toEqual([[0, 3, 0, 0, 1, 1, 0, 2], [3, 0, 1, 2], [3, 2], [3]]);
    expect(pyramid.levels.map((l) => (l.changed ? [...l.changed] : null))).toEqual([null, [1, 0, 2, 1], [1, 3], [4]]);
  });

  it('carries an odd last block up unchanged', () => {
    const pyramid = buildPyramid(Uint8Array.from([1, 0, 0, 0, 5]));
    expect(pyramid.levels.map((l) => [...l.max])).toEqual([[1, 0, 0, 0, 5], [1, 0, 5], [1, 5], [5]]);
    expect([...pyramid.levels[1]!.changed!]).toEqual([1, 0, 1]);
    expect([...pyramid.levels[3]!.changed!]).toEqual([2]);
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
    expect(buildPyramid(new Uint8Array(0)).levels).toHaveLength(1);
    const one = buildPyramid(Uint8Array.from([7]));
    expect(one.levels).toHaveLength(1);
    expect(maxChangeNumber(one)).toBe(7);
  });
});
