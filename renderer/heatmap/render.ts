// Renders a window of the CBT map into an RGBA pixel buffer: blocks run row-major, each cell
// is one bucket of a pyramid level (2^level blocks) drawn as cellPx × cellPx pixels.
import type { ChangedCounts, CbtPyramid } from './pyramid';
import { packRgba, SHARE_STEPS } from './palette';

export interface HeatmapLayout {
  widthPx: number;
  heightPx: number;
  /** Blocks per cell = 2 ** level. */
  level: number;
  /** Pixels per cell side; above 1 only at level 0 (zoomed in past one block per pixel). */
  cellPx: number;
  /** First visible row of cells. */
  firstRow: number;
  /**
   * Cells the rows start before their boundary, 0 ≤ it < columns (0 when absent): the cell at
   * canvas row r, column c is (firstRow + r) × columns + c − rowOffsetCells. Zooming sets it so
   * that the block under the pointer stays in its column.
   */
  rowOffsetCells?: number;
}

/** Outside the map: fully transparent, the page shows through. */
export const OUTSIDE = 0;
/** Line between single blocks drawn 8 px or larger, so neighbours stay apart. */
export const GRID = packRgba([0x14, 0x17, 0x1d]);
export const GRID_MIN_CELL_PX = 8;

export function columns(layout: Pick<HeatmapLayout, 'widthPx' | 'cellPx'>): number {
  return Math.max(1, Math.floor(layout.widthPx / layout.cellPx));
}

export function visibleRows(layout: Pick<HeatmapLayout, 'heightPx' | 'cellPx'>): number {
  return Math.max(1, Math.ceil(layout.heightPx / layout.cellPx));
}

/** Share step (0..15) of a bucket with `changed` changed blocks out of 2^level. */
export function shareStep(changed: number, level: number): number {
  if (changed === 0) return 0;
  return Math.max(1, Math.floor((changed * (SHARE_STEPS - 1) + (1 << level) - 1) / 2 ** level));
}

/**
 * Fills `out` (widthPx × heightPx words) with the colours of the visible cells.
 * `lut` is a palette table from buildLut.
 */
export function renderHeatmap(pyramid: CbtPyramid, layout: HeatmapLayout, lut: Uint32Array, out: Uint32Array): void {
  const { widthPx, heightPx, cellPx, firstRow } = layout;
  const offset = layout.rowOffsetCells ?? 0;
  const level = Math.min(layout.level, pyramid.levelCount - 1);
  const lod = pyramid.level(level);
  const max = lod.max;
  const changed = lod.changed;
  const length = max.length;
  const cols = columns(layout);
  const drawnWidth = cols * cellPx;
  const steps = SHARE_STEPS - 1;
  const bucketBlocks = 2 ** level;
  const roundUp = bucketBlocks - 1;
  // Buckets hold 2^level blocks: the share divides by a shift while n·steps + roundUp < 2^32.
  const shift = level <= 27 ? level : -1;
  const grid = cellPx >= GRID_MIN_CELL_PX;
  const filled = grid ? cellPx - 1 : cellPx;
  if (cellPx === 1 && changed !== null && level <= 16) {
    drawBuckets(max, changed, shareTable(level), lut, layout, cols, out);
    return;
  }

  for (let y = 0; y < heightPx; y += cellPx) {
    const rowStart = (firstRow + y / cellPx) * cols - offset;
    const line = y * widthPx;
    let x = 0;
    for (let c = 0; c < cols; c++) {
      const idx = rowStart + c;
      let colour = OUTSIDE;
      if (idx >= 0 && idx < length) {
        const v = max[idx]!;
        let share = 0;
        if (v !== 0) {
          if (changed === null) share = steps;
          else {
            const n = changed[idx]!;
            share = shift >= 0 ? (n * steps + roundUp) >>> shift : Math.floor((n * steps + roundUp) / bucketBlocks);
            if (share === 0) share = 1;
          }
        }
        colour = lut[(share << 8) | v]!;
      }
      if (cellPx === 1) out[line + x] = colour;
      else {
        out.fill(colour, line + x, line + x + filled);
        if (grid) out[line + x + filled] = colour === OUTSIDE ? OUTSIDE : GRID;
      }
      x += cellPx;
    }
    if (drawnWidth < widthPx) out.fill(OUTSIDE, line + drawnWidth, line + widthPx);
    const lines = Math.min(cellPx, heightPx - y);
    for (let k = 1; k < lines; k++) {
      if (grid && k === cellPx - 1) {
        for (let i = 0; i < drawnWidth; i++) out[line + k * widthPx + i] = out[line + i] === OUTSIDE ? OUTSIDE : GRID;
        if (drawnWidth < widthPx) out.fill(OUTSIDE, line + k * widthPx + drawnWidth, line + (k + 1) * widthPx);
      } else out.copyWithin(line + k * widthPx, line, line + widthPx);
    }
  }
}

/** (share step << 8) per changed count 0 … 2^level of a bucket: the lut's row for it. */
function shareTable(level: number): Uint16Array {
  const table = new Uint16Array((1 << level) + 1);
  for (let n = 1; n < table.length; n++) table[n] = shareStep(n, level) << 8;
  return table;
}

/**
 * One pixel per bucket (zoomed out, the common case): a table lookup for the share and a row
 * split into the part before the map, the buckets and the part after it, so the loop over the
 * buckets needs no bounds checks of its own.
 */
function drawBuckets(max: Uint8Array, changed: ChangedCounts, shares: Uint16Array, lut: Uint32Array, layout: HeatmapLayout, cols: number, out: Uint32Array): void {
  const { widthPx, heightPx, firstRow } = layout;
  const unchanged = lut[0]!;
  for (let y = 0; y < heightPx; y++) {
    const rowStart = (firstRow + y) * cols - (layout.rowOffsetCells ?? 0);
    const line = y * widthPx;
    const from = Math.min(cols, Math.max(0, -rowStart));
    const to = Math.max(from, Math.min(cols, max.length - rowStart));
    out.fill(OUTSIDE, line, line + from);
    for (let c = from; c < to; c++) {
      const idx = rowStart + c;
      const v = max[idx]!;
      out[line + c] = v === 0 ? unchanged : lut[shares[changed[idx]!]! | v]!;
    }
    out.fill(OUTSIDE, line + to, line + widthPx);
  }
}

/** Blends the cells of blocks [firstBlock, lastBlock] (inclusive) towards the selection colour. */
export function tintBlocks(layout: HeatmapLayout, blockCount: number, firstBlock: number, lastBlock: number, out: Uint32Array): void {
  const { widthPx, heightPx, cellPx, firstRow } = layout;
  const perCell = 2 ** layout.level;
  const cols = columns(layout);
  const fromCell = Math.floor(Math.max(0, firstBlock) / perCell);
  const toCell = Math.floor(Math.min(blockCount - 1, lastBlock) / perCell);
  const offset = layout.rowOffsetCells ?? 0;
  for (let y = 0; y < heightPx; y++) {
    const rowStart = (firstRow + Math.floor(y / cellPx)) * cols - offset;
    const a = Math.max(fromCell, rowStart);
    const b = Math.min(toCell, rowStart + cols - 1);
    if (a > b) continue;
    const line = y * widthPx;
    for (let x = (a - rowStart) * cellPx, end = (b - rowStart + 1) * cellPx; x < end; x++) {
      const p = out[line + x]!;
      // Halfway to a light blue, opaque.
      const r = ((p & 0xff) + 0x9c) >> 1;
      const g = (((p >> 8) & 0xff) + 0xd0) >> 1;
      const bl = (((p >> 16) & 0xff) + 0xff) >> 1;
      out[line + x] = ((0xff << 24) | (bl << 16) | (g << 8) | r) >>> 0;
    }
  }
}
