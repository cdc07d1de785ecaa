// The selected event, every field decoded (module events: code, kernel time label, errno, sectors).
import type { AppEvent } from '../../../shared/contract';
import { errnoName } from '../../../shared/errors';
import { Size } from '../../components/common';

export function EventDetail({ event, onClose }: { event: AppEvent | null; onClose: () => void }) {
  if (!event) return <p className="muted small">The selected event is no longer held (the buffer keeps the newest events).</p>;
  const m = event.module;
  return (
    <section className="event-detail" aria-label="Selected event">
      <header className="form-row">
        <h3>Event #{event.seq}</h3>
        <button type="button" className="link-button" onClick={onClose}>Close</button>
      </header>
      <dl className="kv">
        <dt>Time</dt><dd>{new Date(event.timeMs).toISOString()}</dd>
        <dt>Source</dt><dd>{event.source === 'module' ? 'module event queue' : 'blksnap Manager'}</dd>
        <dt>Level</dt><dd>{event.level}</dd>
        <dt>Kind</dt><dd>{event.kind} <span className="muted">({event.source === 'module' ? 'a module event' : 'an app event'})</span></dd>
        <dt>Snapshot</dt><dd>{event.snapshotId ? <code>{event.snapshotId}</code> : '—'}</dd>
        <dt>Device</dt><dd>{event.device ? <code>{event.device}</code> : '—'}</dd>
        <dt>Message</dt><dd className="wrap">{event.message}</dd>
        {m && (
          <>
            <dt>Event code</dt><dd>{m.code} ({m.kind})</dd>
            <dt>Time label</dt><dd>{m.timeLabelNs} ns (kernel CLOCK_MONOTONIC)</dd>
            {m.device && <><dt>Original device</dt><dd>{m.device.major}:{m.device.minor}</dd></>}
            {m.errCode !== null && <><dt>Error</dt><dd>{m.errCode}{errnoName(m.errCode) ? ` (${errnoName(m.errCode)})` : ''}</dd></>}
            {m.requestedSectors !== null && <><dt>Requested</dt><dd>{m.requestedSectors.toLocaleString('en-US')} sectors (<Size bytes={m.requestedSectors * 512} />)</dd></>}
          </>
        )}
      </dl>
    </section>
  );
}
