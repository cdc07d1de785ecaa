import { describe, expect, it } from 'vitest';
import { buildLut, packRgba, UNCHANGED, NEWER_THAN_N, OLDER_THAN_N, changeColour } from '../../../renderer/heatmap/palette';
import { buildPyramid } from '../../../renderer/heatmap/pyramid';
import { GRID, OUTSIDE, renderHeatmap, shareStep, tintBlocks, type HeatmapLayout } from '../../../renderer/heatmap/render';
import { pyramidFromLevel } from '../../../renderer/views/devices/loadMap';
import { mapLevelAnswer } from '../../../shared/cbtLevels';
import { seededRandom } from '../../../shared/random';

/** A table whose entry i is i + 1, so each pixel tells its (share, change number) exactly. */
const identityLut = Uint32Array.from({ length: 16 * 256 }, (_, i) => i + 1);
const px = (share: number, v: number) => ((share << 8) | v) + 1;

function render(map: number[], layout: { widthPx: number; heightPx: number; level: number; cellPx: number; firstRow: number }, lut: Uint32Array = identityLut) {
  const out = new Uint32Array(layout.widthPx * layout.heightPx).fill(0xdeadbeef);
  renderHeatmap(buildPyramid(Uint8Array.from(map)), layout, lut, out);
  return [...out];
}

describe('renderHeatmap', () => {
  it('draws one block per pixel at level 0, full share where changed', () => {
    expect(render([0, 3, 0, 2], { widthPx: 2, heightPx: 2, level: 0, cellPx: 1, firstRow: 0 })).toEqual([
      px(0, 0), px(15, 3),
      px(0, 0), px(15, 2),
    ]);
  });

  it('aggregates 2 blocks per pixel: the max change number and the share of changed blocks', () => {
    // Buckets: [0,3] → max 3, 1 of 2 changed → share 8; [0,0] → 0; [1,1] → 15; [0,2] → 8.
    expect(render([0, 3, 0, 0, 1, 1, 0, 2], { widthPx: 4, heightPx: 1, level: 1, cellPx: 1, firstRow: 0 })).toEqual([
      px(8, 3), px(0, 0), px(15, 1), px(8, 2),
    ]);
  });

  it('aggregates 4 blocks per pixel and leaves cells past the map transparent', () => {
    // Buckets of 4: [0,3,0,0] → max 3, 1 of 4 → share ceil(15/4) = 4; [1,1,0,2] → max 2, 3 of 4 → ceil(45/4) = 12.
    expect(render([0, 3, 0, 0, 1, 1, 0, 2], { widthPx: 3, heightPx: 1, level: 2, cellPx: 1, firstRow: 0 })).toEqual([
      px(4, 3), px(12, 2), OUTSIDE,
    ]);
  });

  it('draws single blocks as cellPx squares when zoomed in, clearing the unused right edge', () => {
    expect(render([5, 0, 7], { widthPx: 5, heightPx: 4, level: 0, cellPx: 2, firstRow: 0 })).toEqual([
      px(15, 5), px(15, 5), px(0, 0), px(0, 0), OUTSIDE,
      px(15, 5), px(15, 5), px(0, 0), px(0, 0), OUTSIDE,
      px(15, 7), px(15, 7), OUTSIDE, OUTSIDE, OUTSIDE,
      px(15, 7), px(15, 7), OUTSIDE, OUTSIDE, OUTSIDE,
    ]);
  });

  it('starts at the first visible row when scrolled', () => {
    expect(render([1, 2, 3, 4, 5, 6], { widthPx: 2, heightPx: 2, level: 0, cellPx: 1, firstRow: 1 })).toEqual([
      px(15, 3), px(15, 4),
      px(15, 5), px(15, 6),
    ]);
  });

  it('crops a last cell row that does not fit the canvas height', () => {
    expect(render([1, 2], { widthPx: 2, heightPx: 3, level: 0, cellPx: 2, firstRow: 0 })).toEqual([
      px(15, 1), px(15, 1),
      px(15, 1), px(15, 1),
      px(15, 2), px(15, 2),
    ]);
  });

  it('separates single blocks drawn 8 px or larger with a grid line', () => {
    const out = render([4, 0], { widthPx: 8, heightPx: 8, level: 0, cellPx: 8, firstRow: 0 });
    const a = px(15, 4);
    expect(out.slice(0, 8)).toEqual([a, a, a, a, a, a, a, GRID]);
    expect(out.slice(6 * 8, 7 * 8)).toEqual([a, a, a, a, a, a, a, GRID]);
    expect(out.slice(7 * 8, 8 * 8)).toEqual([GRID, GRID, GRID, GRID, GRID, GRID, GRID, GRID]);
  });

  it('paints with the real palette: unchanged, and the since-N highlight', () => {
    const since = buildLut({ kind: 'since', sinceChangeNumber: 2 });
    const out = render([0, 1, 2, 3], { widthPx: 4, heightPx: 1, level: 0, cellPx: 1, firstRow: 0 }, since);
    expect(out).toEqual([packRgba(UNCHANGED), packRgba(OLDER_THAN_N), packRgba(OLDER_THAN_N), packRgba(NEWER_THAN_N)]);
    const recency = buildLut({ kind: 'recency', lo: 1, hi: 3 });
    expect(render([3], { widthPx: 1, heightPx: 1, level: 0, cellPx: 1, firstRow: 0 }, recency)).toEqual([packRgba(changeColour(3, 1, 3))]);
  });
});

/** The pixels of a layout by definition, block by block from the map: the reference every pyramid must draw. */
function referencePixels(map: Uint8Array, layout: HeatmapLayout, lut: Uint32Array): number[] {
  const { widthPx, heightPx, cellPx, level, firstRow } = layout;
  const cols = Math.max(1, Math.floor(widthPx / cellPx));
  const perCell = 2 ** level;
  const out: number[] = [];
  for (let y = 0; y < heightPx; y++) {
    for (let x = 0; x < widthPx; x++) {
      const col = Math.floor(x / cellPx);
      const cell = (firstRow + Math.floor(y / cellPx)) * cols + col - (layout.rowOffsetCells ?? 0);
      if (col >= cols || cell < 0 || cell * perCell >= map.length) {
        out.push(OUTSIDE);
        continue;
      }
      let max = 0;
      let changed = 0;
      for (let i = cell * perCell; i < Math.min(map.length, (cell + 1) * perCell); i++) {
        max = Math.max(max, map[i]!);
        if (map[i] !== 0) changed++;
      }
      const colour = lut[(shareStep(changed, level) << 8) | max]!;
      const edge = cellPx >= 8 && (x % cellPx === cellPx - 1 || y % cellPx === cellPx - 1);
      out.push(edge ? GRID : colour);
    }
  }
  return out;
}

describe('renderHeatmap against the definition', () => {
  it('draws the same pixels from the whole map and from the level the service sends, at any scroll and sub-row offset', () => {
    const random = seededRandom(1717);
    const lut = buildLut({ kind: 'recency', lo: 1, hi: 255 });
    for (let round = 0; round < 24; round++) {
      const length = 1000 + Math.floor(random() * 40_000);
      const map = new Uint8Array(length);
      for (let at = 0; at < length;) {
        const run = 1 + Math.floor(random() * 400);
        const value = random() < 0.4 ? 0 : Math.floor(random() * 256);
        const noisy = random() < 0.3;
        for (let i = at; i < Math.min(length, at + run); i++) map[i] = noisy ? Math.floor(random() * 256) : value;
        at += run;
      }
      const level = round % 6;
      const cellPx = level === 0 ? [1, 2, 8, 16][round % 4]! : 1;
      const widthPx = 40 + Math.floor(random() * 200);
      const cols = Math.floor(widthPx / cellPx);
      const layout: HeatmapLayout = {
        widthPx, heightPx: 20 + Math.floor(random() * 60), level, cellPx,
        firstRow: Math.floor(random() * 20), rowOffsetCells: round % 3 === 0 ? 0 : Math.floor(random() * cols),
      };
      const want = referencePixels(map, layout, lut);
      const out = new Uint32Array(layout.widthPx * layout.heightPx);
      renderHeatmap(buildPyramid(map), layout, lut, out);
      expect([...out], `round ${round}: whole map, ${JSON.stringify(layout)}`).toEqual(want);
      if (level >= 1) {
        const fromLevel = pyramidFromLevel(mapLevelAnswer(map, level));
        out.fill(0xdeadbeef);
        renderHeatmap(fromLevel, layout, lut, out);
        expect([...out], `round ${round}: level from the service, ${JSON.stringify(layout)}`).toEqual(want);
      }
    }
  });
});

describe('shareStep', () => {
  it('never shows a bucket with a changed block as unchanged', () => {
    expect(shareStep(0, 10)).toBe(0);
    expect(shareStep(1, 10)).toBe(1);
    expect(shareStep(1024, 10)).toBe(15);
  });
});

describe('tintBlocks', () => {
  it('tints exactly the cells of the selected blocks, across rows', () => {
    const out = new Uint32Array(3 * 2);
    // 3 columns, 2 rows, one block per pixel: select blocks 2..3 (end of row 0, start of row 1).
    tintBlocks({ widthPx: 3, heightPx: 2, level: 0, cellPx: 1, firstRow: 0 }, 6, 2, 3, out);
    const tinted = [...out].map((v) => v !== 0);
    expect(tinted).toEqual([false, false, true, true, false, false]);
    expect(out[2]).toBe(((0xff << 24) | (0x7f << 16) | (0x68 << 8) | 0x4e) >>> 0);
  });
});
