// Blocks selected on the heatmap: what they cover, and marking them dirty in one step.
import type { DeviceSummary } from '../../../shared/contract';
import { useApi } from '../../app/apiContext';
import { ErrorMessage, Size } from '../../components/common';
import { useAction } from '../../components/useAction';
import { blockSpan, bucketDetail, type MapGeometry } from '../../heatmap/summary';
import type { BlockSelection } from './HeatmapCanvas';

export function SelectionPanel({ device, map, geometry, selection, sinceChangeNumber, onClear, onMarked }: {
  device: DeviceSummary; map: Uint8Array; geometry: MapGeometry; selection: BlockSelection;
  sinceChangeNumber: number | null; onClear: () => void; onMarked: () => void;
}) {
  const api = useApi();
  const count = selection.lastBlock - selection.firstBlock + 1;
  const span = blockSpan(selection.firstBlock, count, geometry);
  const detail = bucketDetail(map, selection.firstBlock, count, sinceChangeNumber);
  const mark = useAction(async () => {
    await api.markDirty({ device: device.path, ranges: [{ offsetSectors: span.startSector, countSectors: span.endSector - span.startSector }] });
    onMarked();
  });
  return (
    <div className="selection-panel" role="region" aria-label="Selected blocks">
      <p>
        <strong>Selected blocks {selection.firstBlock.toLocaleString('en-US')}–{selection.lastBlock.toLocaleString('en-US')}</strong>{' '}
        ({count.toLocaleString('en-US')} block{count === 1 ? '' : 's'}, <Size bytes={span.endBytes - span.startBytes} />):
        sectors {span.startSector.toLocaleString('en-US')}–{(span.endSector - 1).toLocaleString('en-US')};
        {' '}{detail.changedBlocks.toLocaleString('en-US')} changed
        {sinceChangeNumber !== null && `, ${detail.newerThanN.toLocaleString('en-US')} after ${sinceChangeNumber}`}.
      </p>
      <div className="button-row">
        <button type="button" onClick={() => void mark.run()} disabled={mark.pending}>Mark selection dirty</button>
        <button type="button" onClick={onClear}>Clear selection</button>
      </div>
      <ErrorMessage message={mark.error} onDismiss={mark.clearError} />
    </div>
  );
}
