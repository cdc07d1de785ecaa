import { describe, expect, it } from 'vitest';
import { clampView, fitZoom, hitTest, layoutFor, MIN_ZOOM, panRows, zoomAround } from '../../../renderer/heatmap/view';

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
    const next = zoomAround(view, -1, 1_000_000, 200, 2_097_152, 1024, 384);
    expect(next.zoom).toBe(2);
    const hit = hitTest(next, 2_097_152, 1024, 384, 0, 200);
    expect(hit).not.toBeNull();
    expect(next.firstRow).toBe(244 - 200);
    expect(Math.abs(hit!.firstBlock - 1_000_000)).toBeLessThan(1024 * 4);
  });

  it('never zooms out past the whole map nor in past single blocks of 32 px', () => {
    expect(zoomAround({ zoom: 3, firstRow: 0 }, 5, 0, 0, 2_097_152, 1024, 384).zoom).toBe(3);
    expect(zoomAround({ zoom: -4, firstRow: 0 }, -3, 0, 0, 2_097_152, 1024, 384).zoom).toBe(MIN_ZOOM);
  });

  it('pans within the map', () => {
    expect(panRows({ zoom: 0, firstRow: 0 }, -5, 10_000, 100, 10).firstRow).toBe(0);
    // 10,000 blocks in 100 columns = 100 rows, 10 visible: the last first row is 90.
    expect(panRows({ zoom: 0, firstRow: 85 }, 20, 10_000, 100, 10).firstRow).toBe(90);
    expect(clampView({ zoom: 99, firstRow: 7 }, 10_000, 100, 10)).toEqual({ zoom: fitZoom(10_000, 100, 10), firstRow: 0 });
  });
});
