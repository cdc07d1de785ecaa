import { describe, expect, it } from 'vitest';
import { clampView, fitZoom, hitTest, layoutFor, MIN_ZOOM, panRows, zoomAnchor, zoomAround } from '../../../renderer/heatmap/view';

describe('heatmap view', () => {
  it('fits 2,097,152 blocks on a 1024 × 384 canvas at 8 blocks per pixel', () => {
    // 4 blocks per pixel needs 512 rows; 8 needs 256.
    expect(fitZoom(2_097_152, 1024, 384)).toBe(3);
  });

  it('draws a small map with large cells', () => {
    // 100 blocks on 320 × 64: 32 px cells give 10 × 2 = 20 cells, 16 px give 20 × 4 = 80, 8 px give 40 × 8.
    expect(fitZoom(100, 320, 64)).toBe(-3);
    expect(layoutFor({ zoom: -3, firstRow: 0 }, 320, 64).cellPx).toBe(8);
  });

  it('finds the blocks under a pixel', () => {
    // zoom 1: 2 blocks per pixel, 10 columns.
    expect(hitTest({ zoom: 1, firstRow: 2 }, 1000, 10, 10, 3, 1)).toEqual({ firstBlock: ((2 + 1) * 10 + 3) * 2, blockCount: 2, row: 1, col: 3 });
    expect(hitTest({ zoom: 1, firstRow: 0 }, 5, 10, 10, 3, 0)).toBeNull();
    expect(hitTest({ zoom: 0, firstRow: 0 }, 5, 10, 10, 4, 0)).toEqual({ firstBlock: 4, blockCount: 1, row: 0, col: 4 });
  });

  it('keeps the block under the pointer in place when zooming in', () => {
    const view = { zoom: 3, firstRow: 0 };
    const next = zoomAround(view, -1, 1_000_000, 0, 200, 2_097_152, 1024, 384);
    expect(next.zoom).toBe(2);
    const hit = hitTest(next, 2_097_152, 1024, 384, 0, 200);
    expect(hit).not.toBeNull();
    // Block 1,000,000 is cell 250,000 at 4 blocks per pixel: row 244 of 1,024 columns, column 144;
    // the pointer is at column 0 of row 200, so the rows start 144 cells into row 44.
    expect(next).toEqual({ zoom: 2, firstRow: 45, rowOffsetCells: 1024 - 144 });
    expect(hit!.firstBlock).toBe(1_000_000);
  });

  it('never zooms out past the whole map nor in past single blocks of 32 px', () => {
    expect(zoomAround({ zoom: 3, firstRow: 0 }, 5, 0, 0, 0, 2_097_152, 1024, 384).zoom).toBe(3);
    expect(zoomAround({ zoom: -4, firstRow: 0 }, -3, 0, 0, 0, 2_097_152, 1024, 384).zoom).toBe(MIN_ZOOM);
  });

  it('pans within the map', () => {
    expect(panRows({ zoom: 0, firstRow: 0 }, -5, 10_000, 100, 10).firstRow).toBe(0);
    // 10,000 blocks in 100 columns = 100 rows, 10 visible: the last first row is 90.
    expect(panRows({ zoom: 0, firstRow: 85 }, 20, 10_000, 100, 10).firstRow).toBe(90);
    expect(clampView({ zoom: 99, firstRow: 7 }, 10_000, 100, 10)).toEqual({ zoom: fitZoom(10_000, 100, 10), firstRow: 0, rowOffsetCells: 0 });
  });

  // Issue 17 item 15: zooming re-wrapped the rows, so the block under the pointer moved to another
  // column (16384 → 16234 in 4 steps). Each step here does what a wheel step does.
  it('keeps the block under the pointer under it over zoom steps in and out', () => {
    const [blocks, width, height] = [2_097_152, 1024, 384];
    for (const [x, y, startZoom] of [[300, 200, -2], [1000, 10, -5], [7, 240, -2], [513, 97, -3]] as const) {
      let view = zoomAround({ zoom: fitZoom(blocks, width, height), firstRow: 0 }, startZoom - 3, 1_000_003, x, y, blocks, width, height);
      const start = hitTest(view, blocks, width, height, x, y)!;
      expect(start.blockCount).toBe(1);
      const block = start.firstBlock;
      for (const step of [1, 1, 1, 1, -1, -1, -1, -1]) {
        const hit = hitTest(view, blocks, width, height, x, y)!;
        view = zoomAround(view, step, zoomAnchor(hit, block), x, y, blocks, width, height);
        const now = hitTest(view, blocks, width, height, x, y);
        expect(now, `zoom ${view.zoom} at (${x}, ${y})`).not.toBeNull();
        expect(block, `zoom ${view.zoom} at (${x}, ${y})`).toBeGreaterThanOrEqual(now!.firstBlock);
        expect(block, `zoom ${view.zoom} at (${x}, ${y})`).toBeLessThan(now!.firstBlock + now!.blockCount);
      }
      expect(view.zoom).toBe(startZoom);
      expect(hitTest(view, blocks, width, height, x, y)!.firstBlock).toBe(block);
    }
  });

  it('keeps the anchor\'s column at the top of the map, where the rows cannot move down', () => {
    // Block 16,384 at zoom 0 is in row 16 of 1,024 columns; the pointer at row 200 cannot bring it down there.
    const view = zoomAround({ zoom: 2, firstRow: 0 }, -2, 16_384, 300, 200, 2_097_152, 1024, 384);
    expect(view.firstRow).toBe(0);
    const hit = hitTest(view, 2_097_152, 1024, 384, 300, 16 * 1 + 0)!;
    expect(hit.col).toBe(300);
    expect(hitTest(view, 2_097_152, 1024, 384, 300, 16)!.firstBlock).toBe(16_384);
  });

  it('leaves the cells before the map empty when the rows start mid-row', () => {
    const view = { zoom: 0, firstRow: 0, rowOffsetCells: 10 };
    expect(hitTest(view, 1000, 100, 10, 5, 0)).toBeNull();
    expect(hitTest(view, 1000, 100, 10, 10, 0)!.firstBlock).toBe(0);
    expect(hitTest(view, 1000, 100, 10, 3, 1)!.firstBlock).toBe(93);
  });
});
