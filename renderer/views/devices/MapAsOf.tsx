// What the CBT map shows: the read map, which changes only at a take (spec §3.3). Without this
// an admin who just wrote data sees an unchanged map and thinks tracking is broken.
import { memo } from 'react';
import type { DeviceSummary } from '../../../shared/contract';
import { Size } from '../../components/common';

export const MapAsOf = memo(function MapAsOf({ device }: { device: DeviceSummary }) {
  const cbt = device.cbt;
  if (!cbt) return null;
  const pending = device.pendingChange ?? null;
  const written = pending && pending.bytes > 0
    ? <> Since then <Size bytes={pending.bytes} /> ({pending.blocks.toLocaleString('en-US')} block{pending.blocks === 1 ? '' : 's'}) changed; they show after the next take.</>
    : pending ? ' Nothing has been written since.' : null;
  const at = device.lastTakeAtMs ? ` at ${new Date(device.lastTakeAtMs).toLocaleTimeString('en-GB', { hour12: false })}` : '';
  return (
    <p className="notice map-note" role="note" data-testid="map-as-of">
      {cbt.changesNumber === 0
        ? <>No snapshot has been taken since this tracker started, so the map shows no change yet. Writes to {device.path} are tracked and show here after the first take.</>
        : <>This map is as of take #{cbt.changesNumber} (change number {cbt.changesNumber}){at}: writes since then are tracked and show after the next take.</>}
      {written}
    </p>
  );
});
