// What the heatmap shows about one cell: the tooltip (pointer or keyboard cursor), the spoken
// summary, and the cell under the keyboard cursor.
import type { ReactNode } from 'react';
import { formatBytes } from '../../../shared/units';
import { blockSpan, bucketDetail, type MapGeometry } from '../../heatmap/summary';
import { firstCellOf, type CellHit, type ViewState } from '../../heatmap/view';

export interface Hover { hit: CellHit; xPx: number; yPx: number }

export function cursorHover(cursorBlock: number | null, view: ViewState, layout: { level: number; cellPx: number }, cols: number, blockCount: number): Hover | null {
  if (cursorBlock === null || cursorBlock >= blockCount) return null;
  const perCell = 2 ** layout.level;
  const cell = Math.floor(cursorBlock / perCell);
  const fromFirst = cell - firstCellOf(view, cols);
  const row = Math.floor(fromFirst / cols);
  const col = fromFirst - row * cols;
  if (row < 0) return null;
  const firstBlock = cell * perCell;
  return { hit: { firstBlock, blockCount: Math.min(perCell, blockCount - firstBlock), row, col }, xPx: col * layout.cellPx + layout.cellPx, yPx: row * layout.cellPx + layout.cellPx };
}

export function describeCell(hit: CellHit, map: Uint8Array, sinceChangeNumber: number | null): string {
  const d = bucketDetail(map, hit.firstBlock, hit.blockCount, sinceChangeNumber);
  const where = hit.blockCount === 1 ? `Block ${hit.firstBlock}` : `Blocks ${hit.firstBlock} to ${hit.firstBlock + hit.blockCount - 1}`;
  const what = hit.blockCount === 1 ? `change number ${d.maxChangeNumber}` : `${d.changedBlocks} changed, newest change ${d.maxChangeNumber}`;
  return `${where}: ${what}.`;
}

export function HeatmapTooltip({ id, hover, map, geometry, sinceChangeNumber, widthPx, extra }: {
  id: string; hover: Hover; map: Uint8Array; geometry: MapGeometry; sinceChangeNumber: number | null; widthPx: number;
  /** More rows (dt/dd pairs) about the cell, e.g. the files that own it. */
  extra?: ReactNode;
}) {
  const { hit } = hover;
  const detail = bucketDetail(map, hit.firstBlock, hit.blockCount, sinceChangeNumber);
  const span = blockSpan(hit.firstBlock, hit.blockCount, geometry);
  const single = hit.blockCount === 1;
  const left = hover.xPx + 16 + 260 > widthPx ? hover.xPx - 276 : hover.xPx + 16;
  return (
    <div id={id} role="tooltip" className="heatmap-tooltip" style={{ left: Math.max(0, left), top: hover.yPx + 12 }}>
      <div className="tooltip-title">
        {single ? `Block ${hit.firstBlock.toLocaleString('en-US')}` : `Blocks ${hit.firstBlock.toLocaleString('en-US')}–${(hit.firstBlock + hit.blockCount - 1).toLocaleString('en-US')}`}
      </div>
      <dl>
        <dt>Offset</dt>
        <dd>{span.startBytes.toLocaleString('en-US')} B <span className="muted">({formatBytes(span.startBytes)})</span></dd>
        <dt>Length</dt>
        <dd>{formatBytes(span.endBytes - span.startBytes)}</dd>
        <dt>Sectors</dt>
        <dd>{span.startSector.toLocaleString('en-US')}–{(span.endSector - 1).toLocaleString('en-US')}</dd>
        <dt>{single ? 'Change number' : 'Newest change'}</dt>
        <dd>{detail.maxChangeNumber === 0 ? '0 (unchanged)' : detail.maxChangeNumber}</dd>
        {!single && (
          <>
            <dt>Changed</dt>
            <dd>{detail.changedBlocks.toLocaleString('en-US')} of {detail.blockCount.toLocaleString('en-US')} blocks ({Math.round((detail.changedBlocks / detail.blockCount) * 100)}%)</dd>
          </>
        )}
        {sinceChangeNumber !== null && (
          <>
            <dt>Since {sinceChangeNumber}</dt>
            <dd>{single ? (detail.newerThanN ? 'changed' : 'not changed') : `${detail.newerThanN.toLocaleString('en-US')} blocks changed`}</dd>
          </>
        )}
        {extra}
      </dl>
    </div>
  );
}
