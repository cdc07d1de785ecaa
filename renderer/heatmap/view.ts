// Zoom and pan of the heatmap window. Zoom is one integer: z > 0 means 2^z blocks per pixel,
// z ≤ 0 means one block per cell of 2^-z pixels (down to single blocks drawn large).
import { columns, visibleRows, type HeatmapLayout } from './render';

export const MAX_CELL_PX = 32;
export const MIN_ZOOM = -Math.log2(MAX_CELL_PX);

export interface ViewState {
  zoom: number;
  firstRow: number;
}

export function layoutFor(view: ViewState, widthPx: number, heightPx: number): HeatmapLayout {
  const level = Math.max(0, view.zoom);
  const cellPx = view.zoom < 0 ? 2 ** -view.zoom : 1;
  return { widthPx, heightPx, level, cellPx, firstRow: view.firstRow };
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

export function totalRows(blockCount: number, view: ViewState, widthPx: number, heightPx: number): number {
  const layout = layoutFor(view, widthPx, heightPx);
  return Math.ceil(cellsNeeded(blockCount, view.zoom) / columns(layout));
}

export function clampView(view: ViewState, blockCount: number, widthPx: number, heightPx: number): ViewState {
  const zoom = Math.min(fitZoom(blockCount, widthPx, heightPx), Math.max(MIN_ZOOM, view.zoom));
  const layout = layoutFor({ zoom, firstRow: 0 }, widthPx, heightPx);
  const fullRows = Math.floor(heightPx / layout.cellPx);
  const maxFirstRow = Math.max(0, totalRows(blockCount, { zoom, firstRow: 0 }, widthPx, heightPx) - fullRows);
  return { zoom, firstRow: Math.min(maxFirstRow, Math.max(0, Math.round(view.firstRow))) };
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
  const firstBlock = ((view.firstRow + row) * cols + col) * perCell;
  if (firstBlock >= blockCount) return null;
  return { firstBlock, blockCount: Math.min(perCell, blockCount - firstBlock), row, col };
}

/** Zoom by `steps` (negative = in) keeping `anchorBlock` in the same row of the canvas. */
export function zoomAround(
  view: ViewState, steps: number, anchorBlock: number, anchorRowPx: number,
  blockCount: number, widthPx: number, heightPx: number,
): ViewState {
  const zoom = Math.min(fitZoom(blockCount, widthPx, heightPx), Math.max(MIN_ZOOM, view.zoom + steps));
  const layout = layoutFor({ zoom, firstRow: 0 }, widthPx, heightPx);
  const cols = columns(layout);
  const anchorRow = Math.floor(anchorBlock / 2 ** layout.level / cols);
  const rowInCanvas = Math.floor(anchorRowPx / layout.cellPx);
  return clampView({ zoom, firstRow: anchorRow - rowInCanvas }, blockCount, widthPx, heightPx);
}

export function panRows(view: ViewState, rows: number, blockCount: number, widthPx: number, heightPx: number): ViewState {
  return clampView({ zoom: view.zoom, firstRow: view.firstRow + rows }, blockCount, widthPx, heightPx);
}

/** Blocks per pixel of a view, for the caption ("4 blocks per pixel", "1 block = 8 px"). */
export function describeZoom(view: ViewState): string {
  if (view.zoom > 0) return `${(2 ** view.zoom).toLocaleString('en-US')} blocks per pixel`;
  if (view.zoom === 0) return '1 block per pixel';
  return `1 block = ${2 ** -view.zoom}×${2 ** -view.zoom} px`;
}
