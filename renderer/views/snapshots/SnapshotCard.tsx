import { useEffect, useState } from 'react';
import type { SnapshotSummary } from '../../../shared/contract';
import type { Capabilities } from '../../../shared/schemas';
import { useApiClient } from '../../app/apiContext';
import { refreshLists } from '../../app/connect';
import { Badge, ErrorMessage, errorCodeLabel, storageRanOut } from '../../components/common';
import { formatDuration } from '../../../shared/units';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { useAction } from '../../components/useAction';
import { useAppStore, useAppStoreApi } from '../../store';
import { FillChart } from './FillChart';
import { freeForSnapshot } from './createForm';
import { FillGauge } from './FillGauge';
import { storageStartBytes } from '../../../shared/limits';
import { imageOfText } from '../../../shared/imageOf';

const EMPTY: never[] = [];

/** The current time, updated every `periodMs` (the fill chart runs up to now). */
function useNow(periodMs: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), periodMs);
    return () => clearInterval(timer);
  }, [periodMs]);
  return now;
}

const CONFIDENCE: Record<'low' | 'medium' | 'high', string> = {
  low: 'a rough guess: few or bursty writes so far',
  medium: 'the writes vary',
  high: 'the writes are steady',
};

export function timeToFullText(snapshot: SnapshotSummary): string {
  if (snapshot.usage.overflowed) return 'overflowed';
  if (snapshot.timeToFullSec === null) {
    const known = snapshot.usage.filledSectors !== null || snapshot.usage.capacitySectors !== null;
    return known ? 'not filling now' : 'unknown on this backend';
  }
  const confidence = snapshot.timeToFullConfidence ? ` (${CONFIDENCE[snapshot.timeToFullConfidence]})` : '';
  return `about ${formatDuration(snapshot.timeToFullSec)} at the recent rate${confidence}`;
}

/** The storage ran out (overflow, or an area failed with ENOSPC): more of it is the cure. Not for EIO, the storage's own failure. */
function ranOutOfStorage(snapshot: SnapshotSummary): boolean {
  return snapshot.usage.overflowed || snapshot.devices.some((d) => storageRanOut(d.info?.errorCode ?? 0));
}

export function SnapshotCard({ snapshot, capabilities }: { snapshot: SnapshotSummary; capabilities: Capabilities }) {
  const client = useApiClient();
  const store = useAppStoreApi();
  const samples = useAppStore((s) => s.fillHistory[snapshot.id] ?? EMPTY);
  const dialect = useAppStore((s) => s.backend?.dialect ?? null);
  const freeDevices = useAppStore((s) => s.devices).filter(freeForSnapshot);
  const [confirmDestroy, setConfirmDestroy] = useState(false);
  const nowMs = useNow(1000);
  const [addPath, setAddPath] = useState('');
  const take = useAction(async () => {
    await client.api.snapshotTake({ id: snapshot.id });
    await refreshLists(client, store);
  });
  const destroy = useAction(async () => {
    await client.api.snapshotDestroy({ id: snapshot.id });
    await refreshLists(client, store);
  });
  const add = useAction(async (device: string) => {
    await client.api.snapshotAdd({ id: snapshot.id, device });
    setAddPath('');
    await refreshLists(client, store);
  });
  const titleId = `snapshot-${snapshot.id}`;
  const shortId = snapshot.id.slice(0, 8);
  // Another program's snapshot (a backup agent, the blksnap tool): adding to it and taking it are that program's steps.
  const outside = snapshot.createdOutside;
  const canAdd = capabilities.addAfterCreate && snapshot.taken === false && !outside;
  // Devices another program added to this app's snapshot (their images appeared as this app took it).
  const addedByOthers = snapshot.devices.filter((d) => d.addedOutside).map((d) => d.path);

  return (
    <section className={`card snapshot-card${snapshot.corrupted ? ' corrupted-state' : ''}`} aria-labelledby={titleId}>
      <header className="card-header">
        <div className="snapshot-title">
          <h2 id={titleId}>Snapshot <span className="snapshot-id">{snapshot.id}</span></h2>
          <div>
            {snapshot.corrupted ? <Badge tone="error">corrupted</Badge> : snapshot.taken ? <Badge tone="ok">taken</Badge> : snapshot.taken === false ? <Badge tone="info">created, not taken</Badge> : null}
            {outside && <Badge tone="info">made by another program</Badge>}
            {/* sv-SE formats as 2026-12-04 13:12:09: the 24-hour clock the chart and events use, with an unambiguous date. */}
            {snapshot.createdAtMs !== null && <span className="muted small">created {new Date(snapshot.createdAtMs).toLocaleString('sv-SE')}</span>}
          </div>
        </div>
        <div className="card-actions">
          {snapshot.taken === false && !outside && (
            <button type="button" className="primary" onClick={() => void take.run()} disabled={take.pending || snapshot.devices.length === 0} aria-label={`Take snapshot ${shortId}`}>
              {take.pending ? 'Taking…' : 'Take'}
            </button>
          )}
          <button type="button" className="danger" onClick={() => setConfirmDestroy(true)} aria-label={`Destroy snapshot ${shortId}`}>Destroy</button>
        </div>
      </header>
      <div className="card-body">
        {snapshot.corrupted && (
          <div className="banner banner-error" role="alert">
            <strong>Snapshot corrupted.</strong> A device's area failed (see its error code below): reads of its image fail with EIO and a backup from it
            is not consistent. The original devices are intact. Destroy this snapshot and create a new one
            {ranOutOfStorage(snapshot) ? ', with more difference storage.' : '.'}
          </div>
        )}
        {!snapshot.corrupted && snapshot.warning && (
          <div className="banner banner-warning" role="alert"><strong>Overflow ahead.</strong> {snapshot.warning}</div>
        )}
        {outside && (
          <p className="notice">
            <strong>Not created by this app.</strong> Another program made this snapshot (a backup agent, or the blksnap tool); take it and add
            devices with that program. The module does not say which devices a snapshot holds: {snapshot.devices.length > 0
              ? 'the devices listed are those it shows in a snapshot that no snapshot of this app holds.'
              : 'with more than one such snapshot, or none of its devices in use, they cannot be told.'}
          </p>
        )}
        <ErrorMessage message={take.error} onDismiss={take.clearError} />
        <div className="snapshot-grid">
          <div>
            <h3>Devices</h3>
            {snapshot.devices.length === 0 ? (
              <p className="muted">{outside ? 'Not known.' : `No devices yet.${canAdd && freeDevices.length > 0 ? ' Add one below, then take the snapshot.' : ''}`}</p>
            ) : (
              <table className="data-table">
                <thead><tr><th scope="col">Device</th><th scope="col">Image</th><th scope="col">Error code</th></tr></thead>
                <tbody>
                  {snapshot.devices.map((d) => (
                    <tr key={d.path}>
                      <th scope="row"><code>{d.path}</code>{d.addedOutside && <> <Badge tone="info">added by another program</Badge></>}</th>
                      <td>{d.info?.image ? <code>/dev/{d.info.image}</code> : <span className="muted">{snapshot.taken ? '—' : 'after take'}</span>}</td>
                      <td>{d.info ? (d.info.errorCode === 0 ? <span className="muted">none</span> : <Badge tone="error">{errorCodeLabel(d.info.errorCode)}</Badge>) : <span className="unknown">unknown</span>}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            {addedByOthers.length > 0 && (
              <p className="small muted">
                Another program added {addedByOthers.join(', ')} to this snapshot: {addedByOthers.length > 1 ? 'their images' : 'its image'} appeared as this app took it.
                The module does not say which devices a snapshot holds, so this is inferred; a device added after the take gets no image and shows nowhere.
              </p>
            )}
            {canAdd && freeDevices.length === 0 && (
              <p className="small muted add-device">No device to add: each is in a snapshot already, or none exists.</p>
            )}
            {canAdd && freeDevices.length > 0 && (
              <form className="form-row add-device" onSubmit={(e) => { e.preventDefault(); if (addPath) void add.run(addPath); }}>
                <label htmlFor={`add-${snapshot.id}`}>Add device</label>
                <select id={`add-${snapshot.id}`} value={addPath} onChange={(e) => setAddPath(e.target.value)}>
                  <option value="">Choose a device…</option>
                  {freeDevices.map((d) => (
                    <option key={d.path} value={d.path} disabled={!!d.imageOf}>
                      {d.path}{d.imageOf ? ` (${imageOfText(d.imageOf)}: cannot be added)` : d.tracked ? '' : ' (not tracked)'}
                    </option>
                  ))}
                </select>
                <button type="submit" disabled={!addPath || add.pending} aria-label={`Add device to snapshot ${shortId}`}>Add</button>
              </form>
            )}
            {!capabilities.addAfterCreate && <p className="small muted">This dialect fixes the device list at create.</p>}
            <ErrorMessage message={add.error} onDismiss={add.clearError} />
            <h3 className="spaced">Difference storage</h3>
            <p className="small">{snapshot.diffStoragePath ? <code>{snapshot.diffStoragePath}</code> : <span className="muted">{outside ? 'not known (made by another program)' : 'no path (ranges supplied by the app)'}</span>}</p>
            <FillGauge usage={snapshot.usage} reservedBytes={storageStartBytes(dialect, capabilities, snapshot.storageMode)} />
            <p className="time-to-full">
              Time to full: <strong>{timeToFullText(snapshot)}</strong>
            </p>
          </div>
          <div>
            <h3>Fill history</h3>
            <FillChart samples={samples} nowMs={nowMs} createdAtMs={snapshot.createdAtMs} />
          </div>
        </div>
      </div>
      {confirmDestroy && (
        <ConfirmDialog
          title={`Destroy snapshot ${shortId}?`}
          confirmLabel="Destroy"
          danger
          pending={destroy.pending}
          error={destroy.error}
          onCancel={() => { destroy.clearError(); setConfirmDestroy(false); }}
          onConfirm={() => void destroy.run().then((ok) => ok && setConfirmDestroy(false))}
        >
          <p>The snapshot images disappear and the difference storage is released. Trackers stay attached and keep tracking.</p>
          <p>A backup still reading an image fails.</p>
          {outside && <p><strong>Another program made this snapshot:</strong> if it is still backing up from it, that backup fails.</p>}
          {addedByOthers.length > 0 && <p><strong>Another program seems to have added {addedByOthers.join(', ')} to this snapshot ({addedByOthers.length > 1 ? 'their images' : 'its image'} appeared as this app took it):</strong> if it is backing up from {addedByOthers.length > 1 ? 'their images' : 'its image'}, that backup fails.</p>}
        </ConfirmDialog>
      )}
    </section>
  );
}
