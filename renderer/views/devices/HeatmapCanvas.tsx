// The CBT map on a canvas. Per frame: one pyramid lookup per pixel into an ImageData, drawn in
// the next animation frame (several view changes in one frame draw once). No per-block state.
import { useCallback, useEffect, useId, useMemo, useRef, useState, type KeyboardEvent, type MouseEvent as ReactMouseEvent, type ReactNode } from 'react';
import { buildLut, type HeatmapMode } from '../../heatmap/palette';
import type { CbtPyramid } from '../../heatmap/pyramid';
import { renderHeatmap, tintBlocks } from '../../heatmap/render';
import type { MapGeometry } from '../../heatmap/summary';
import {
  clampView, describeZoom, fitZoom, hitTest, layoutFor, MIN_ZOOM, panRows, zoomAround, type CellHit, type ViewState,
} from '../../heatmap/view';
import { cursorHover, describeCell, HeatmapTooltip, type Hover } from './HeatmapTooltip';

export interface BlockSelection { firstBlock: number; lastBlock: number }

export interface HeatmapCanvasProps {
  map: Uint8Array;
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

export function HeatmapCanvas({ map, pyramid, geometry, mode, sinceChangeNumber, label, maxHeightPx = 384, selection = null, onSelect, highlights, tooltipExtra }: HeatmapCanvasProps) {
  const wrapRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const imageRef = useRef<ImageData | null>(null);
  const frameRef = useRef<number | null>(null);
  const dragRef = useRef<{ startY: number; startRow: number } | null>(null);
  /** Shift+drag: the cell where the selection started. */
  const selectRef = useRef<{ firstBlock: number; lastBlock: number } | null>(null);
  const [widthPx, setWidthPx] = useState(DEFAULT_WIDTH);
  const blockCount = pyramid.blockCount;
  const heightPx = fittedHeight(blockCount, widthPx, maxHeightPx);
  const [view, setView] = useState<ViewState>(() => ({ zoom: fitZoom(blockCount, DEFAULT_WIDTH, heightPx), firstRow: 0 }));
  const [userZoomed, setUserZoomed] = useState(false);
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

  // A new map or size: fit it unless the user zoomed, else keep the view valid.
  useEffect(() => {
    setView((v) => (userZoomed ? clampView(v, blockCount, widthPx, heightPx) : { zoom: fitZoom(blockCount, widthPx, heightPx), firstRow: 0 }));
  }, [blockCount, widthPx, heightPx, userZoomed]);

  const draw = useCallback(() => {
    frameRef.current = null;
    const canvas = canvasRef.current;
    const ctx = canvas?.getContext('2d');
    if (!canvas || !ctx) return;
    let image = imageRef.current;
    if (!image || image.width !== widthPx || image.height !== heightPx) {
      image = ctx.createImageData(widthPx, heightPx);
      imageRef.current = image;
    }
    const pixels = new Uint32Array(image.data.buffer);
    const layout = layoutFor(view, widthPx, heightPx);
    renderHeatmap(pyramid, layout, lut, pixels);
    if (selection) tintBlocks(layout, pyramid.blockCount, selection.firstBlock, selection.lastBlock, pixels);
    for (const h of highlights ?? []) tintBlocks(layout, pyramid.blockCount, h.firstBlock, h.lastBlock, pixels);
    ctx.putImageData(image, 0, 0);
  }, [pyramid, view, widthPx, heightPx, lut, selection, highlights]);

  useEffect(() => {
    if (frameRef.current === null) frameRef.current = requestAnimationFrame(draw);
    else {
      cancelAnimationFrame(frameRef.current);
      frameRef.current = requestAnimationFrame(draw);
    }
  }, [draw]);
  useEffect(() => () => {
    if (frameRef.current !== null) cancelAnimationFrame(frameRef.current);
  }, []);

  const zoomBy = useCallback((steps: number, anchor?: { block: number; yPx: number }) => {
    setUserZoomed(true);
    setView((v) => {
      const layout = layoutFor(v, widthPx, heightPx);
      const centre = anchor ?? { block: Math.min(blockCount - 1, ((v.firstRow + Math.floor(heightPx / layout.cellPx / 2)) * Math.floor(widthPx / layout.cellPx)) * 2 ** layout.level), yPx: heightPx / 2 };
      return zoomAround(v, steps, Math.max(0, centre.block), centre.yPx, blockCount, widthPx, heightPx);
    });
  }, [blockCount, widthPx, heightPx]);

  const pan = useCallback((rows: number) => {
    setView((v) => panRows(v, rows, blockCount, widthPx, heightPx));
  }, [blockCount, widthPx, heightPx]);

  const fit = () => {
    setUserZoomed(false);
    setView({ zoom: fitZoom(blockCount, widthPx, heightPx), firstRow: 0 });
  };

  // Wheel zooms around the pointer; it needs a non-passive listener to keep the page still.
  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      const rect = canvas.getBoundingClientRect();
      const x = e.clientX - rect.left;
      const y = e.clientY - rect.top;
      const hit = hitTest(view, blockCount, widthPx, heightPx, x, y);
      zoomBy(e.deltaY > 0 ? 1 : -1, hit ? { block: hit.firstBlock, yPx: y } : undefined);
    };
    canvas.addEventListener('wheel', onWheel, { passive: false });
    return () => canvas.removeEventListener('wheel', onWheel);
  }, [view, blockCount, widthPx, heightPx, zoomBy]);

  const onMouseMove = (e: ReactMouseEvent<HTMLCanvasElement>) => {
    const rect = e.currentTarget.getBoundingClientRect();
    const x = e.clientX - rect.left;
    const y = e.clientY - rect.top;
    const anchor = selectRef.current;
    if (anchor) {
      const hit = hitTest(view, blockCount, widthPx, heightPx, x, y);
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
      const cellPx = layoutFor(view, widthPx, heightPx).cellPx;
      const rows = Math.round((drag.startY - y) / cellPx);
      setView((v) => clampView({ zoom: v.zoom, firstRow: drag.startRow + rows }, blockCount, widthPx, heightPx));
      return;
    }
    const hit = hitTest(view, blockCount, widthPx, heightPx, x, y);
    setHover(hit ? { hit, xPx: x, yPx: y } : null);
  };

  /** Shift+arrow: the cell where the keyboard selection started. */
  const keyAnchorRef = useRef<number | null>(null);

  /** Moves the keyboard cursor by cells and scrolls so that it stays in view; with `select`, extends the selection to it. */
  const moveCursor = (cells: number, rowsDelta: number, select = false) => {
    const layout = layoutFor(view, widthPx, heightPx);
    const perCell = 2 ** layout.level;
    const cols = Math.floor(widthPx / layout.cellPx);
    const fullRows = Math.max(1, Math.floor(heightPx / layout.cellPx));
    const start = cursorBlock ?? view.firstRow * cols * perCell;
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
    const row = Math.floor(next / perCell / cols);
    if (row < view.firstRow) pan(row - view.firstRow);
    else if (row >= view.firstRow + fullRows) pan(row - (view.firstRow + fullRows - 1));
  };

  const onKeyDown = (e: KeyboardEvent<HTMLCanvasElement>) => {
    const pageRows = Math.max(1, Math.floor(heightPx / layoutFor(view, widthPx, heightPx).cellPx) - 1);
    const handled: Record<string, () => void> = {
      '+': () => zoomBy(-1, cursorBlock === null ? undefined : { block: cursorBlock, yPx: heightPx / 2 }),
      '=': () => zoomBy(-1, cursorBlock === null ? undefined : { block: cursorBlock, yPx: heightPx / 2 }),
      '-': () => zoomBy(1),
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
  const cols = Math.floor(widthPx / layout.cellPx);
  const hover = mouseHover ?? cursorHover(cursorBlock, view, layout, cols, blockCount);
  const firstVisible = view.firstRow * cols * 2 ** layout.level;
  const lastVisible = Math.min(blockCount, firstVisible + cols * Math.floor(heightPx / layout.cellPx) * 2 ** layout.level);

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
          data-columns={cols}
          data-cell-px={layout.cellPx}
          data-blocks-per-cell={2 ** layout.level}
          data-highlight-runs={highlights?.length ?? 0}
          onKeyDown={onKeyDown}
          onMouseMove={onMouseMove}
          onMouseLeave={() => { setHover(null); dragRef.current = null; selectRef.current = null; }}
          onBlur={() => setCursorBlock(null)}
          onMouseDown={(e) => {
            const rect = e.currentTarget.getBoundingClientRect();
            setHover(null);
            if (e.shiftKey && onSelect) {
              const hit = hitTest(view, blockCount, widthPx, heightPx, e.clientX - rect.left, e.clientY - rect.top);
              if (!hit) return;
              selectRef.current = { firstBlock: hit.firstBlock, lastBlock: hit.firstBlock + hit.blockCount - 1 };
              onSelect(selectRef.current);
              return;
            }
            dragRef.current = { startY: e.clientY - rect.top, startRow: view.firstRow };
          }}
          onMouseUp={() => { dragRef.current = null; selectRef.current = null; }}
          onDoubleClick={(e) => {
            const rect = e.currentTarget.getBoundingClientRect();
            const y = e.clientY - rect.top;
            const hit = hitTest(view, blockCount, widthPx, heightPx, e.clientX - rect.left, y);
            zoomBy(e.shiftKey ? 1 : -2, hit ? { block: hit.firstBlock, yPx: y } : undefined);
          }}
        />
        {hover && (
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
      <p className="visually-hidden" aria-live="polite">{cursorBlock !== null && hover ? describeCell(hover.hit, map, sinceChangeNumber) : ''}</p>
    </div>
  );
}

/** Height that holds the whole map at its fitting zoom without empty rows below it. */
export function fittedHeight(blockCount: number, widthPx: number, maxHeightPx: number): number {
  const zoom = fitZoom(blockCount, widthPx, maxHeightPx);
  const layout = layoutFor({ zoom, firstRow: 0 }, widthPx, maxHeightPx);
  const rows = Math.ceil(Math.ceil(blockCount / 2 ** layout.level) / Math.floor(widthPx / layout.cellPx));
  return Math.max(Math.min(maxHeightPx, 64), Math.min(maxHeightPx, rows * layout.cellPx));
}

/** A stroked 14×14 icon: the same on every system, unlike glyphs a stock font may lack. */
function Icon({ path }: { path: string }) {
  return (
    <svg className="icon" viewBox="0 0 14 14" aria-hidden="true" focusable="false">
      <path d={path} fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  );
}
