// Zoom and pan of the heatmap window. Zoom is one integer: z > 0 means 2^z blocks per pixel,
// z ≤ 0 means one block per cell of 2^-z pixels (down to single blocks drawn large).
// Rows of cells run left to right; a zoom re-wraps them, so a view also carries a sub-row offset
// (rowOffsetCells) that keeps the block under the pointer in its column across zoom steps.
import { columns, visibleRows, type HeatmapLayout } from './render';

export const MAX_CELL_PX = 32;
export const MIN_ZOOM = -Math.log2(MAX_CELL_PX);

export interface ViewState {
  zoom: number;
  firstRow: number;
  /** Cells the rows start before their boundary (0 when absent; see HeatmapLayout). */
  rowOffsetCells?: number;
}

export function layoutFor(view: ViewState, widthPx: number, heightPx: number): HeatmapLayout {
  const level = Math.max(0, view.zoom);
  const cellPx = view.zoom < 0 ? 2 ** -view.zoom : 1;
  return { widthPx, heightPx, level, cellPx, firstRow: view.firstRow, rowOffsetCells: view.rowOffsetCells ?? 0 };
}

/** The cell drawn at row 0, column 0 of the canvas (negative: the map starts further right). */
export function firstCellOf(view: ViewState, cols: number): number {
  return view.firstRow * cols - (view.rowOffsetCells ?? 0);
}

function cellsNeeded(blockCount: number, zoom: number): number {
  return Math.ceil(blockCount / 2 ** Math.max(0, zoom));
}

/** Zoom that shows the whole map: the most detail that still fits the canvas. */
export function fitZoom(blockCount: number, widthPx: number, heightPx: number): number {
  for (let zoom = MIN_ZOOM; zoom < 64; zoom++) {
    const layout = layoutFor({ zoom, firstRow: 0 }, widthPx, heightPx);
    const capacity = columns(layout) * Math.floor(heightPx / layout.cellPx);
    if (cellsNeeded(blockCount, zoom) <= capacity) return zoom;
  }
  return 63;
}

/** Rows the map takes at the view's zoom, the sub-row offset included. */
export function totalRows(blockCount: number, view: ViewState, widthPx: number, heightPx: number): number {
  const layout = layoutFor(view, widthPx, heightPx);
  return Math.ceil((cellsNeeded(blockCount, view.zoom) + layout.rowOffsetCells!) / columns(layout));
}

/**
 * A valid view: zoom between single 32 px blocks and the whole map (which always starts at the
 * first block), first row within the map, sub-row offset within a row.
 */
export function clampView(view: ViewState, blockCount: number, widthPx: number, heightPx: number): ViewState {
  const fitted = fitZoom(blockCount, widthPx, heightPx);
  const zoom = Math.min(fitted, Math.max(MIN_ZOOM, view.zoom));
  if (zoom === fitted) return { zoom, firstRow: 0, rowOffsetCells: 0 };
  const layout = layoutFor({ zoom, firstRow: 0 }, widthPx, heightPx);
  const cols = columns(layout);
  const rowOffsetCells = Math.min(cols - 1, Math.max(0, Math.round(view.rowOffsetCells ?? 0)));
  const fullRows = Math.floor(heightPx / layout.cellPx);
  const maxFirstRow = Math.max(0, totalRows(blockCount, { zoom, firstRow: 0, rowOffsetCells }, widthPx, heightPx) - fullRows);
  return { zoom, firstRow: Math.min(maxFirstRow, Math.max(0, Math.round(view.firstRow))), rowOffsetCells };
}

export interface CellHit {
  /** First block of the cell and the number of map blocks it covers. */
  firstBlock: number;
  blockCount: number;
  /** Cell position in the canvas (px), for outlining. */
  row: number;
  col: number;
}

export function hitTest(view: ViewState, blockCount: number, widthPx: number, heightPx: number, xPx: number, yPx: number): CellHit | null {
  const layout = layoutFor(view, widthPx, heightPx);
  const cols = columns(layout);
  const col = Math.floor(xPx / layout.cellPx);
  const row = Math.floor(yPx / layout.cellPx);
  if (xPx < 0 || yPx < 0 || col >= cols || row >= visibleRows(layout)) return null;
  const perCell = 2 ** layout.level;
  const cell = firstCellOf(view, cols) + row * cols + col;
  const firstBlock = cell * perCell;
  if (cell < 0 || firstBlock >= blockCount) return null;
  return { firstBlock, blockCount: Math.min(perCell, blockCount - firstBlock), row, col };
}

/**
 * Zoom by `steps` (negative = in) keeping `anchorBlock` under the point (anchorXPx, anchorYPx):
 * in the cell there when that cell holds it. At the map's top and bottom edges the view stops at
 * the map (the anchor keeps its column but moves up or down), and the whole-map zoom shows the
 * map from its first block.
 */
export function zoomAround(
  view: ViewState, steps: number, anchorBlock: number, anchorXPx: number, anchorYPx: number,
  blockCount: number, widthPx: number, heightPx: number,
): ViewState {
  const zoom = Math.min(fitZoom(blockCount, widthPx, heightPx), Math.max(MIN_ZOOM, view.zoom + steps));
  const layout = layoutFor({ zoom, firstRow: 0 }, widthPx, heightPx);
  const cols = columns(layout);
  const anchorCell = Math.floor(anchorBlock / 2 ** layout.level);
  const col = Math.min(cols - 1, Math.max(0, Math.floor(anchorXPx / layout.cellPx)));
  const row = Math.max(0, Math.floor(anchorYPx / layout.cellPx));
  // The cell at row 0, column 0 such that the anchor's cell lands at (row, col).
  const firstCell = anchorCell - row * cols - col;
  const firstRow = Math.ceil(firstCell / cols);
  return clampView({ zoom, firstRow, rowOffsetCells: firstRow * cols - firstCell }, blockCount, widthPx, heightPx);
}

/**
 * The block a zoom step keeps under the pointer: the block the previous step kept while the
 * pointer's cell still holds it (a cell of many blocks does not say which one was meant, so
 * zooming out and back in returns to the same block), else the first block of the cell.
 */
export function zoomAnchor(hit: CellHit, previousAnchor: number | null): number {
  const holds = previousAnchor !== null && previousAnchor >= hit.firstBlock && previousAnchor < hit.firstBlock + hit.blockCount;
  return holds ? previousAnchor : hit.firstBlock;
}

export function panRows(view: ViewState, rows: number, blockCount: number, widthPx: number, heightPx: number): ViewState {
  return clampView({ ...view, firstRow: view.firstRow + rows }, blockCount, widthPx, heightPx);
}

/** Blocks per pixel of a view, for the caption ("4 blocks per pixel", "1 block = 8 px"). */
export function describeZoom(view: ViewState): string {
  if (view.zoom > 0) return `${(2 ** view.zoom).toLocaleString('en-US')} blocks per pixel`;
  if (view.zoom === 0) return '1 block per pixel';
  return `1 block = ${2 ** -view.zoom}×${2 ** -view.zoom} px`;
}

/** Canvas height that holds the whole map at its fitting zoom without empty rows below it. */
export function fittedHeight(blockCount: number, widthPx: number, maxHeightPx: number): number {
  const zoom = fitZoom(blockCount, widthPx, maxHeightPx);
  const layout = layoutFor({ zoom, firstRow: 0 }, widthPx, maxHeightPx);
  const rows = Math.ceil(Math.ceil(blockCount / 2 ** layout.level) / Math.floor(widthPx / layout.cellPx));
  return Math.max(Math.min(maxHeightPx, 64), Math.min(maxHeightPx, rows * layout.cellPx));
}

/** The pyramid level (log2 blocks per pixel) a canvas of this width draws for the whole map. */
export function fitLevel(blockCount: number, widthPx: number, maxHeightPx: number): number {
  return Math.max(0, fitZoom(blockCount, widthPx, fittedHeight(blockCount, widthPx, maxHeightPx)));
}
