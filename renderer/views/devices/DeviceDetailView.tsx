import { useCallback, useEffect, useMemo, useState } from 'react';
import type { DeviceSummary } from '../../../shared/contract';
import { formatBytes } from '../../../shared/units';
import { useApi } from '../../app/apiContext';
import { Badge, EmptyState, ErrorMessage, Section, Size } from '../../components/common';
import { downloadText } from '../../components/download';
import { useAction } from '../../components/useAction';
import type { HeatmapMode } from '../../heatmap/palette';
import { buildMissingLevels } from '../../heatmap/buildLevels';
import { maxChangeNumber, minChangeNumber } from '../../heatmap/pyramid';
import { changedSince } from '../../heatmap/summary';
import { useAppStore } from '../../store';
import { HeatmapCanvas, type BlockSelection } from './HeatmapCanvas';
import { useLoadedMap } from './useLoadedMap';
import { SelectionPanel } from './SelectionPanel';
import { HeatmapLegend } from './HeatmapLegend';
import { MarkDirtyForm } from './MarkDirtyForm';
import { GenerationNotice } from './GenerationNotice';
import { ImageAccess } from './ImageAccess';
import { MapAsOf } from './MapAsOf';
import { nearWrap, wrapWarning } from '../../../shared/cbt';
import { ChangedFilesPanel } from './changedFiles/ChangedFilesPanel';
import { OwnerLine } from './changedFiles/OwnerLine';
import type { CellHit } from '../../heatmap/view';

export function DeviceDetailView({ path }: { path: string }) {
  const device = useAppStore((s) => s.devices.find((d) => d.path === path));
  const loaded = useAppStore((s) => s.devicesLoaded);
  const navigate = useAppStore((s) => s.navigate);
  const back = (
    <button type="button" className="link-button back-link" onClick={() => navigate({ view: 'devices' })}>← All devices</button>
  );
  if (!device) {
    return (
      <div className="view">
        {back}
        {/* The view's heading names what was asked for, as on a device's own page (axe: a page has a level-one heading). */}
        <header className="view-header"><h1>{path}</h1></header>
        <EmptyState title={loaded ? `No device ${path}` : 'Loading…'}>{loaded && 'It may have been removed. Pick a device from the list.'}</EmptyState>
      </div>
    );
  }
  return (
    <div className="view">
      {back}
      <header className="view-header">
        <h1>{device.path}</h1>
        <p className="view-subtitle">
          <Size bytes={device.capacitySectors * 512} /> · {device.devId.major}:{device.devId.minor}
          {' · '}{device.tracked ? <Badge tone="ok">tracked</Badge> : <Badge tone="muted">not tracked</Badge>}
          {device.snapshot?.image ? <> · image <code>/dev/{device.snapshot.image}</code></> : null}
        </p>
      </header>
      {device.cbt ? <CbtSection key={device.path} device={device} /> : <NoTracker device={device} />}
    </div>
  );
}

function NoTracker({ device }: { device: DeviceSummary }) {
  const explicitAttach = useAppStore((s) => s.backend?.capabilities.explicitAttach ?? true);
  return (
    <Section title="Change block tracking">
      <EmptyState title="This device is not tracked">
        {explicitAttach
          ? `Attach a tracker to ${device.path} in the Devices list to start its CBT map.`
          : 'On this dialect (v1) a device gets its tracker when a snapshot that includes it is created.'}
      </EmptyState>
    </Section>
  );
}

function CbtSection({ device }: { device: DeviceSummary }) {
  const cbt = device.cbt!;
  const api = useApi();
  const needsTaken = useAppStore((s) => s.backend?.capabilities.cbtMapNeedsTakenSnapshot ?? false);
  const [sinceText, setSinceText] = useState(String(Math.max(0, cbt.changesNumber - 1)));
  const [highlight, setHighlight] = useState(false);
  const [selection, setSelection] = useState<BlockSelection | null>(null);
  const [filesJob, setFilesJob] = useState<string | null>(null);
  const [fileHighlight, setFileHighlight] = useState<{ path: string; blocks: BlockSelection[] } | null>(null);

  // v1: the module hands out the CBT map only while the device is in a taken snapshot.
  const mapReadable = !needsTaken || (device.snapshot?.image ?? '') !== '';
  const { loaded, current: mapCurrent, error: mapError, reload, areaRef: mapAreaRef } = useLoadedMap(api, {
    path: device.path, blockCount: cbt.blockCount, generationId: cbt.generationId, changesNumber: cbt.changesNumber, readable: mapReadable,
  });

  const pyramid = loaded?.pyramid ?? null;
  const map = loaded?.map ?? null;
  // The levels not on screen yet, built off the main thread once the map is here: a later zoom finds its level built.
  useEffect(() => (pyramid && map ? buildMissingLevels(pyramid) : undefined), [pyramid, map]);
  const sinceNumber = /^\d+$/.test(sinceText.trim()) ? Number(sinceText.trim()) : NaN;
  const sinceValid = Number.isInteger(sinceNumber) && sinceNumber >= 0 && sinceNumber <= 255;
  const geometry = useMemo(() => ({ blockSizeBytes: cbt.blockSizeBytes, deviceCapacityBytes: cbt.deviceCapacityBytes }), [cbt.blockSizeBytes, cbt.deviceCapacityBytes]);
  // Only from the map of the device's last take: an earlier take's would say blocks it lacks did not change.
  const summary = pyramid && mapCurrent && sinceValid ? changedSince(pyramid, sinceNumber, geometry) : null;
  const canExport = sinceValid && summary !== null && summary.blocks > 0;
  const lo = pyramid ? minChangeNumber(pyramid) : 0;
  const hi = pyramid ? maxChangeNumber(pyramid) : 0;
  const mode = useMemo<HeatmapMode>(
    () => (highlight && sinceValid ? { kind: 'since', sinceChangeNumber: sinceNumber } : { kind: 'recency', lo, hi }),
    [highlight, sinceValid, sinceNumber, lo, hi],
  );

  const ownerRow = useCallback((hit: CellHit) => (filesJob
    ? <OwnerLine jobId={filesJob} offsetBytes={hit.firstBlock * cbt.blockSizeBytes} lengthBytes={hit.blockCount * cbt.blockSizeBytes} />
    : null), [filesJob, cbt.blockSizeBytes]);

  const exportAction = useAction(async (format: 'json' | 'csv') => {
    const result = await api.exportChangedRanges({ device: device.path, sinceChangeNumber: sinceNumber, format });
    const name = device.path.replace(/^\/dev\//, '').replace(/[^a-zA-Z0-9_-]+/g, '_');
    downloadText(`${name}-changed-since-${sinceNumber}.${format}`, result.text, format === 'json' ? 'application/json' : 'text/csv');
  });

  return (
    <>
      <GenerationNotice path={device.path} />
      {nearWrap(cbt.changesNumber) && (
        <div className="banner banner-warning" role="alert"><strong>CBT reset ahead.</strong> {wrapWarning(cbt.changesNumber)}</div>
      )}
      <Section title="Change block tracking">
        <dl className="facts">
          <div><dt>Block size</dt><dd><Size bytes={cbt.blockSizeBytes} /></dd></div>
          <div><dt>Blocks</dt><dd>{cbt.blockCount.toLocaleString('en-US')}</dd></div>
          <div><dt>Tracked capacity</dt><dd><Size bytes={cbt.deviceCapacityBytes} /></dd></div>
          <div><dt>Change number</dt><dd>{cbt.changesNumber}</dd></div>
          <div><dt>Generation</dt><dd><code className="generation-id">{cbt.generationId}</code></dd></div>
        </dl>
      </Section>
      <Section
        title="CBT map"
        actions={<button type="button" onClick={reload}>Reload map</button>}
      >
        <ErrorMessage message={mapError && (needsTaken ? `${mapError} (on this dialect the CBT map is readable only while the device is in a taken snapshot)` : mapError)} />
        {!mapReadable && (
          <p className="notice" role="note">
            On this dialect (v1) the CBT map can be read only while {device.path} is in a taken snapshot. Take a snapshot that includes it to see the map.
          </p>
        )}
        {mapReadable && <MapAsOf device={device} />}
        {mapReadable && !pyramid && !mapError && <p className="muted">Reading the CBT map…</p>}
        <div ref={mapAreaRef}>
        {pyramid && (
          <>
            <HeatmapCanvas
              map={map}
              pyramid={pyramid}
              geometry={geometry}
              mode={mode}
              sinceChangeNumber={sinceValid ? sinceNumber : null}
              label={`CBT heatmap of ${device.path}: ${pyramid.blockCount.toLocaleString('en-US')} blocks of ${formatBytes(cbt.blockSizeBytes)}`}
              selection={selection}
              onSelect={setSelection}
              highlights={fileHighlight?.blocks}
              tooltipExtra={ownerRow}
            />
            <HeatmapLegend mode={mode} changesNumber={cbt.changesNumber} />
            {selection && map && (
              <SelectionPanel
                device={device}
                map={map}
                geometry={geometry}
                selection={selection}
                sinceChangeNumber={sinceValid ? sinceNumber : null}
                onClear={() => setSelection(null)}
                onMarked={reload}
              />
            )}
          </>
        )}
        </div>
      </Section>
      <Section title="Incremental backup">
        <div className="form-row">
          <label htmlFor="since-n">Changed since change number</label>
          <input
            id="since-n"
            type="number"
            min={0}
            max={255}
            inputMode="numeric"
            value={sinceText}
            aria-invalid={!sinceValid}
            aria-describedby="since-n-help"
            onChange={(e) => setSinceText(e.target.value)}
          />
          <label className="checkbox">
            <input type="checkbox" checked={highlight} onChange={(e) => setHighlight(e.target.checked)} />
            Highlight on the map
          </label>
        </div>
        <p id="since-n-help" className="small muted">
          Store the generation and change number after each take; next time the blocks with a change number greater than that are what changed.
          The last take was number {cbt.changesNumber}.
        </p>
        {!sinceValid && <ErrorMessage message="The change number is a whole number from 0 to 255." />}
        {summary && (
          <p className="summary" aria-live="polite" data-testid="changed-since-summary">
            An incremental backup from {summary.sinceChangeNumber} reads <strong>{summary.blocks.toLocaleString('en-US')} blocks</strong>,{' '}
            <strong><Size bytes={summary.bytes} /></strong> ({(summary.share * 100).toFixed(summary.share < 0.01 && summary.share > 0 ? 3 : 1)}% of the map).
          </p>
        )}
        <div className="button-row">
          <button type="button" disabled={!canExport || exportAction.pending} aria-describedby="export-help" onClick={() => void exportAction.run('json')}>Export ranges as JSON</button>
          <button type="button" disabled={!canExport || exportAction.pending} aria-describedby="export-help" onClick={() => void exportAction.run('csv')}>Export ranges as CSV</button>
        </div>
        {summary && summary.blocks === 0 && (
          <p id="export-help" className="small muted">Nothing to export: no block has a change number greater than {summary.sinceChangeNumber}.</p>
        )}
        <ErrorMessage message={exportAction.error} onDismiss={exportAction.clearError} />
      </Section>
      <ImageAccess device={device} sinceChangeNumber={sinceValid ? sinceNumber : Math.max(0, cbt.changesNumber - 1)} changedBlocks={sinceValid && summary ? summary.blocks : null} />
      <ChangedFilesPanel
        device={device.path}
        blockSizeBytes={cbt.blockSizeBytes}
        sinceChangeNumber={sinceValid ? sinceNumber : null}
        onJob={setFilesJob}
        onHighlight={setFileHighlight}
        highlightedPath={fileHighlight?.path ?? null}
      />
      <MarkDirtyForm device={device} onMarked={reload} />
    </>
  );
}
