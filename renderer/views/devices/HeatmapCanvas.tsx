// The CBT map on a canvas. Per draw: one pyramid lookup per pixel into an ImageData. A new map,
// size, palette or selection draws at once in the commit that brings it; wheel and drag steps
// change a live view and draw in the next animation frame without React, which hears of the
// view (caption, buttons) once the gesture settles. No per-block state.
import { useCallback, useEffect, useId, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent, type MouseEvent as ReactMouseEvent, type ReactNode } from 'react';
import { buildLut, type HeatmapMode } from '../../heatmap/palette';
import type { CbtPyramid } from '../../heatmap/pyramid';
import { columns, renderHeatmap, tintBlocks } from '../../heatmap/render';
import type { MapGeometry } from '../../heatmap/summary';
import {
  clampView, describeZoom, firstCellOf, fittedHeight, fitZoom, hitTest, layoutFor, MIN_ZOOM, panRows, zoomAnchor, zoomAround, type CellHit, type ViewState,
} from '../../heatmap/view';
import { cursorHover, describeCell, HeatmapTooltip, type Hover } from './HeatmapTooltip';

export { fittedHeight } from '../../heatmap/view';

export interface BlockSelection { firstBlock: number; lastBlock: number }

export interface HeatmapCanvasProps {
  /** The map itself, for tooltips; null while only the pyramid's level on screen has arrived. */
  map: Uint8Array | null;
  pyramid: CbtPyramid;
  geometry: MapGeometry;
  mode: HeatmapMode;
  /** Blocks newer than this count in the tooltip; null when the control is off. */
  sinceChangeNumber: number | null;
  label: string;
  /** Blocks selected with Shift+drag (inclusive), owned by the parent. */
  selection?: BlockSelection | null;
  onSelect?: (selection: BlockSelection | null) => void;
  /** The canvas is as tall as the whole map needs at its fitting zoom, up to this. */
  maxHeightPx?: number;
  /** Block runs tinted besides the selection (a changed file's blocks). */
  highlights?: readonly BlockSelection[];
  /** More tooltip rows about a cell (the files that own it). */
  tooltipExtra?: (hit: CellHit) => ReactNode;
}

const DEFAULT_WIDTH = 960;
/** The canvas is as tall as the whole map needs at its fitting zoom, up to this by default. */
export const HEATMAP_MAX_HEIGHT_PX = 384;
/** A wheel gesture has settled when no step came for this long. */
const SETTLE_MS = 150;

export function HeatmapCanvas({ map, pyramid, geometry, mode, sinceChangeNumber, label, maxHeightPx = HEATMAP_MAX_HEIGHT_PX, selection = null, onSelect, highlights, tooltipExtra }: HeatmapCanvasProps) {
  const wrapRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const imageRef = useRef<ImageData | null>(null);
  const frameRef = useRef<number | null>(null);
  const settleRef = useRef<ReturnType<typeof setTimeout> | null>(null);
  const dragRef = useRef<{ startY: number; start: ViewState } | null>(null);
  /** Shift+drag: the cell where the selection started. */
  const selectRef = useRef<{ firstBlock: number; lastBlock: number } | null>(null);
  const userZoomedRef = useRef(false);
  const [widthPx, setWidthPx] = useState(DEFAULT_WIDTH);
  const blockCount = pyramid.blockCount;
  const heightPx = fittedHeight(blockCount, widthPx, maxHeightPx);
  /** The settled view (caption, buttons, keyboard); viewRef is the live one a gesture moves. */
  const [view, setView] = useState<ViewState>(() => ({ zoom: fitZoom(blockCount, DEFAULT_WIDTH, heightPx), firstRow: 0 }));
  const viewRef = useRef(view);
  const settledRef = useRef(view);
  if (settledRef.current !== view) {
    settledRef.current = view;
    viewRef.current = view;
  }
  // A new map size or canvas size: fit the map unless the user zoomed, else keep the view valid.
  const [dims, setDims] = useState(`${blockCount}:${widthPx}:${heightPx}`);
  if (dims !== `${blockCount}:${widthPx}:${heightPx}`) {
    setDims(`${blockCount}:${widthPx}:${heightPx}`);
    setView(userZoomedRef.current ? clampView(viewRef.current, blockCount, widthPx, heightPx) : { zoom: fitZoom(blockCount, widthPx, heightPx), firstRow: 0 });
  }
  const [mouseHover, setHover] = useState<Hover | null>(null);
  /** Keyboard inspection: the block under the keyboard cursor (arrow keys), null when off. */
  const [cursorBlock, setCursorBlock] = useState<number | null>(null);
  const tooltipId = useId();
  const lut = useMemo(() => buildLut(mode), [mode]);

  // Follow the container's width.
  useEffect(() => {
    const wrap = wrapRef.current;
    if (!wrap || typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(([entry]) => {
      const width = Math.floor(entry?.contentRect.width ?? 0);
      if (width > 0) setWidthPx(width);
    });
    observer.observe(wrap);
    return () => observer.disconnect();
  }, []);

  /** Draws the live view with this render's inputs; a level still waiting for the map keeps the old pixels. */
  const drawRef = useRef<() => void>(() => undefined);
  drawRef.current = () => {
    const canvas = canvasRef.current;
    const ctx = canvas?.getContext('2d');
    const layout = layoutFor(viewRef.current, widthPx, heightPx);
    if (!canvas || !ctx || !pyramid.has(layout.level)) return;
    let image = imageRef.current;
    if (!image || image.width !== widthPx || image.height !== heightPx) {
      image = ctx.createImageData(widthPx, heightPx);
      imageRef.current = image;
    }
    const pixels = new Uint32Array(image.data.buffer);
    renderHeatmap(pyramid, layout, lut, pixels);
    if (selection) tintBlocks(layout, blockCount, selection.firstBlock, selection.lastBlock, pixels);
    for (const h of highlights ?? []) tintBlocks(layout, blockCount, h.firstBlock, h.lastBlock, pixels);
    ctx.putImageData(image, 0, 0);
  };

  // What React brings (a new map, size, palette, selection, a settled view, the level on screen
  // becoming available when the map arrives) draws now, in its commit.
  const levelReady = pyramid.has(layoutFor(view, widthPx, heightPx).level);
  useLayoutEffect(() => {
    if (frameRef.current !== null) cancelAnimationFrame(frameRef.current);
    frameRef.current = null;
    drawRef.current();
  }, [pyramid, levelReady, widthPx, heightPx, lut, selection, highlights, view]);
  useEffect(() => () => {
    if (frameRef.current !== null) cancelAnimationFrame(frameRef.current);
    if (settleRef.current !== null) clearTimeout(settleRef.current);
  }, []);

  /** A gesture step: the live view changes and draws in the next frame; React hears of it when the gesture settles. */
  const moveLive = useCallback((next: ViewState, settleAfterMs: number | null) => {
    viewRef.current = next;
    if (frameRef.current === null) {
      frameRef.current = requestAnimationFrame(() => {
        frameRef.current = null;
        drawRef.current();
      });
    }
    if (settleRef.current !== null) clearTimeout(settleRef.current);
    settleRef.current = settleAfterMs === null ? null : setTimeout(() => {
      settleRef.current = null;
      setView(viewRef.current);
    }, settleAfterMs);
  }, []);

  /** The block at the middle of the canvas (the anchor of zoom buttons and keys). */
  const centreBlock = (v: ViewState): number => {
    const layout = layoutFor(v, widthPx, heightPx);
    const cols = columns(layout);
    const cell = firstCellOf(v, cols) + Math.floor(heightPx / layout.cellPx / 2) * cols + Math.floor(cols / 2);
    return Math.min(blockCount - 1, Math.max(0, cell * 2 ** layout.level));
  };

  const zoomTo = (steps: number, anchor: { block: number; xPx: number; yPx: number } | null, live: boolean) => {
    userZoomedRef.current = true;
    const v = viewRef.current;
    const at = anchor ?? { block: centreBlock(v), xPx: widthPx / 2, yPx: heightPx / 2 };
    const next = zoomAround(v, steps, at.block, at.xPx, at.yPx, blockCount, widthPx, heightPx);
    if (live) moveLive(next, SETTLE_MS);
    else setView(next);
  };
  const zoomBy = (steps: number, anchor?: { block: number; xPx: number; yPx: number }) => zoomTo(steps, anchor ?? null, false);

  const pan = (rows: number) => setView(panRows(viewRef.current, rows, blockCount, widthPx, heightPx));

  const fit = () => {
    userZoomedRef.current = false;
    setView({ zoom: fitZoom(blockCount, widthPx, heightPx), firstRow: 0 });
  };

  // Wheel zooms around the pointer, live; a non-passive listener keeps the page still.
  const onWheelRef = useRef<(e: WheelEvent) => void>(() => undefined);
  /** The block the last wheel step kept under the pointer (until the pointer moves). */
  const wheelAnchorRef = useRef<number | null>(null);
  onWheelRef.current = (e: WheelEvent) => {
    e.preventDefault();
    const rect = canvasRef.current!.getBoundingClientRect();
    const x = e.clientX - rect.left;
    const y = e.clientY - rect.top;
    const hit = hitTest(viewRef.current, blockCount, widthPx, heightPx, x, y);
    if (mouseHover) setHover(null);
    wheelAnchorRef.current = hit ? zoomAnchor(hit, wheelAnchorRef.current) : null;
    zoomTo(e.deltaY > 0 ? 1 : -1, wheelAnchorRef.current === null ? null : { block: wheelAnchorRef.current, xPx: x, yPx: y }, true);
  };
  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    const onWheel = (e: WheelEvent) => onWheelRef.current(e);
    canvas.addEventListener('wheel', onWheel, { passive: false });
    return () => canvas.removeEventListener('wheel', onWheel);
  }, []);

  const onMouseMove = (e: ReactMouseEvent<HTMLCanvasElement>) => {
    const rect = e.currentTarget.getBoundingClientRect();
    const x = e.clientX - rect.left;
    const y = e.clientY - rect.top;
    wheelAnchorRef.current = null;
    const anchor = selectRef.current;
    if (anchor) {
      const hit = hitTest(viewRef.current, blockCount, widthPx, heightPx, x, y);
      if (hit) {
        onSelect?.({
          firstBlock: Math.min(anchor.firstBlock, hit.firstBlock),
          lastBlock: Math.max(anchor.lastBlock, hit.firstBlock + hit.blockCount - 1),
        });
      }
      return;
    }
    const drag = dragRef.current;
    if (drag) {
      const cellPx = layoutFor(drag.start, widthPx, heightPx).cellPx;
      const rows = Math.round((drag.startY - y) / cellPx);
      moveLive(panRows(drag.start, rows, blockCount, widthPx, heightPx), null);
      return;
    }
    const hit = hitTest(viewRef.current, blockCount, widthPx, heightPx, x, y);
    setHover(hit ? { hit, xPx: x, yPx: y } : null);
  };

  /** Ends a drag: React takes the view it left. */
  const endDrag = () => {
    if (dragRef.current) setView(viewRef.current);
    dragRef.current = null;
    selectRef.current = null;
  };

  /** Shift+arrow: the cell where the keyboard selection started. */
  const keyAnchorRef = useRef<number | null>(null);

  /** Moves the keyboard cursor by cells and scrolls so that it stays in view; with `select`, extends the selection to it. */
  const moveCursor = (cells: number, rowsDelta: number, select = false) => {
    const v = viewRef.current;
    const layout = layoutFor(v, widthPx, heightPx);
    const perCell = 2 ** layout.level;
    const cols = columns(layout);
    const firstCell = firstCellOf(v, cols);
    const fullRows = Math.max(1, Math.floor(heightPx / layout.cellPx));
    const start = cursorBlock ?? Math.max(0, firstCell) * perCell;
    const moved = cursorBlock === null ? start : start + (cells + rowsDelta * cols) * perCell;
    const next = Math.min(blockCount - 1, Math.max(0, Math.floor(moved / perCell) * perCell));
    setCursorBlock(next);
    if (select && onSelect) {
      const anchor = keyAnchorRef.current ?? Math.min(blockCount - 1, Math.max(0, Math.floor(start / perCell) * perCell));
      keyAnchorRef.current = anchor;
      const lo = Math.min(anchor, next);
      const hi = Math.max(anchor, next);
      onSelect({ firstBlock: lo, lastBlock: Math.min(blockCount - 1, hi + perCell - 1) });
    } else if (!select) {
      keyAnchorRef.current = null;
    }
    const row = Math.floor((next / perCell - firstCell) / cols);
    if (row < 0) pan(row);
    else if (row >= fullRows) pan(row - fullRows + 1);
  };

  /** Zoom keys keep the keyboard cursor's cell where it is on the canvas (else the middle). */
  const zoomKey = (steps: number) => {
    const layout = layoutFor(viewRef.current, widthPx, heightPx);
    const at = cursorHover(cursorBlock, viewRef.current, layout, columns(layout), blockCount);
    const onCanvas = at !== null && cursorBlock !== null && at.hit.row * layout.cellPx < heightPx;
    zoomBy(steps, onCanvas ? { block: cursorBlock, xPx: at.hit.col * layout.cellPx, yPx: at.hit.row * layout.cellPx } : undefined);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLCanvasElement>) => {
    const pageRows = Math.max(1, Math.floor(heightPx / layoutFor(viewRef.current, widthPx, heightPx).cellPx) - 1);
    const handled: Record<string, () => void> = {
      '+': () => zoomKey(-1), '=': () => zoomKey(-1), '-': () => zoomKey(1),
      ArrowLeft: () => moveCursor(-1, 0, e.shiftKey), ArrowRight: () => moveCursor(1, 0, e.shiftKey),
      ArrowUp: () => moveCursor(0, -1, e.shiftKey), ArrowDown: () => moveCursor(0, 1, e.shiftKey),
      PageUp: () => pan(-pageRows), PageDown: () => pan(pageRows),
      Home: fit, '0': fit,
      Escape: () => {
        setCursorBlock(null);
        keyAnchorRef.current = null;
        if (selection) onSelect?.(null);
      },
    };
    const fn = handled[e.key];
    if (fn) {
      e.preventDefault();
      fn();
    }
  };

  const fitted = fitZoom(blockCount, widthPx, heightPx);
  const layout = layoutFor(view, widthPx, heightPx);
  const cols = columns(layout);
  const perCell = 2 ** layout.level;
  const hover = map ? mouseHover ?? cursorHover(cursorBlock, view, layout, cols, blockCount) : null;
  const firstCell = firstCellOf(view, cols);
  const firstVisible = Math.max(0, firstCell) * perCell;
  const lastVisible = Math.min(blockCount, (firstCell + cols * Math.floor(heightPx / layout.cellPx)) * perCell);

  return (
    <div className="heatmap">
      <div className="heatmap-toolbar" role="toolbar" aria-label="Heatmap zoom and scroll">
        <button type="button" onClick={() => zoomBy(-1)} disabled={view.zoom <= MIN_ZOOM} aria-label="Zoom in" title="Zoom in (+)"><Icon path="M7 2v10M2 7h10" /></button>
        <button type="button" onClick={() => zoomBy(1)} disabled={view.zoom >= fitted} aria-label="Zoom out" title="Zoom out (-)"><Icon path="M2 7h10" /></button>
        <button type="button" onClick={fit} disabled={view.zoom === fitted && view.firstRow === 0}>Whole map</button>
        <button type="button" onClick={() => pan(-Math.max(1, Math.floor(heightPx / layout.cellPx / 2)))} disabled={view.firstRow === 0} aria-label="Scroll up" title="Scroll up (Page Up)"><Icon path="M7 12V2M3 6l4-4 4 4" /></button>
        <button type="button" onClick={() => pan(Math.max(1, Math.floor(heightPx / layout.cellPx / 2)))} disabled={lastVisible >= blockCount} aria-label="Scroll down" title="Scroll down (Page Down)"><Icon path="M7 2v10M3 8l4 4 4-4" /></button>
        <span className="heatmap-caption" aria-live="polite">
          {describeZoom(view)} · blocks {firstVisible.toLocaleString('en-US')}–{Math.max(firstVisible, lastVisible - 1).toLocaleString('en-US')} of {blockCount.toLocaleString('en-US')}
        </span>
      </div>
      <div ref={wrapRef} className="heatmap-canvas-wrap">
        <canvas
          ref={canvasRef}
          width={widthPx}
          height={heightPx}
          className="heatmap-canvas"
          tabIndex={0}
          role="img"
          aria-label={label}
          aria-describedby={hover ? tooltipId : undefined}
          data-zoom={view.zoom}
          data-first-row={view.firstRow}
          data-row-offset-cells={view.rowOffsetCells ?? 0}
          data-columns={cols}
          data-cell-px={layout.cellPx}
          data-blocks-per-cell={2 ** layout.level}
          data-highlight-runs={highlights?.length ?? 0}
          data-whole-map={map !== null}
          onKeyDown={onKeyDown}
          onMouseMove={onMouseMove}
          onMouseLeave={() => { setHover(null); endDrag(); }}
          onBlur={() => setCursorBlock(null)}
          onMouseDown={(e) => {
            const rect = e.currentTarget.getBoundingClientRect();
            setHover(null);
            if (e.shiftKey && onSelect) {
              const hit = hitTest(viewRef.current, blockCount, widthPx, heightPx, e.clientX - rect.left, e.clientY - rect.top);
              if (!hit) return;
              selectRef.current = { firstBlock: hit.firstBlock, lastBlock: hit.firstBlock + hit.blockCount - 1 };
              onSelect(selectRef.current);
              return;
            }
            dragRef.current = { startY: e.clientY - rect.top, start: viewRef.current };
          }}
          onMouseUp={endDrag}
          onDoubleClick={(e) => {
            const rect = e.currentTarget.getBoundingClientRect();
            const x = e.clientX - rect.left;
            const y = e.clientY - rect.top;
            const hit = hitTest(viewRef.current, blockCount, widthPx, heightPx, x, y);
            zoomBy(e.shiftKey ? 1 : -2, hit ? { block: hit.firstBlock, xPx: x, yPx: y } : undefined);
          }}
        />
        {hover && map && (
          <>
            <div
              className="heatmap-cell-outline"
              aria-hidden="true"
              style={{ left: hover.hit.col * layout.cellPx - 1, top: hover.hit.row * layout.cellPx - 1, width: layout.cellPx + 2, height: layout.cellPx + 2 }}
            />
            <HeatmapTooltip id={tooltipId} hover={hover} map={map} geometry={geometry} sinceChangeNumber={sinceChangeNumber} widthPx={widthPx} extra={tooltipExtra?.(hover.hit)} />
          </>
        )}
      </div>
      <p className="hint small muted">
        Wheel or the + and - keys to zoom, drag or Page Up/Down to scroll, double-click to zoom into a spot, Home for the whole map.
        With the map focused, arrow keys inspect cell by cell.{onSelect ? ' Shift+drag, or Shift+arrow keys from the inspected cell, selects blocks; Escape clears.' : ''}
      </p>
      <p className="visually-hidden" aria-live="polite">{cursorBlock !== null && hover && map ? describeCell(hover.hit, map, sinceChangeNumber) : ''}</p>
    </div>
  );
}

/** A stroked 14×14 icon: the same on every system, unlike glyphs a stock font may lack. */
function Icon({ path }: { path: string }) {
  return (
    <svg className="icon" viewBox="0 0 14 14" aria-hidden="true" focusable="false">
      <path d={path} fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  );
}
