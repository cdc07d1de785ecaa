import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { AppEvent } from '../../../shared/contract';
import { Badge, EmptyState, formatTime, Section } from '../../components/common';
import { downloadText } from '../../components/download';
import { useAppStore } from '../../store';
import type { FacetKey } from '../../store/eventFacets';
import { EventDetail } from './EventDetail';
import { useHeightToWindowBottom } from './useHeightToWindowBottom';
import { useMediaQuery } from './useMediaQuery';
import { useThrottledTotal } from './useThrottledTotal';
import { FilteredIndex, isUnfiltered, NO_FILTERS, toJsonLines, type EventFilters } from './eventFilter';

const ROW_HEIGHT = 30;
/**
 * Narrower than this, an event's message goes under its other fields, across the whole row and on
 * up to two lines (at 800 px the message column was 190 px and cut every message; a corrupted
 * event's message is about 150 characters). The height stays fixed, so the list stays
 * virtualised without measuring rows.
 */
const NARROW_QUERY = '(max-width: 960px)';
const NARROW_ROW_HEIGHT = 64;
/** The column names on two lines (the message's under the others). */
const NARROW_HEAD_HEIGHT = 42;
const LEVELS = ['error', 'warning', 'info'];
/** The list runs to the window's bottom (its details below it in view too), but never shorter than this. */
const LIST_MIN_HEIGHT_PX = 150;
/** Below the list: the card's padding and a margin. */
const LIST_BOTTOM_GAP_PX = 32;
/** Row slots: more than the rows a window shows with overscan (a 3,000 px tall one), so slot keys never repeat in it. */
const ROW_SLOTS = 128;
/** A filter menu with more values than this fills its options only while it is in use. */
const LAZY_OPTIONS_ABOVE = 200;

export function EventsView() {
  const eventLog = useAppStore((s) => s.eventLog);
  const total = useThrottledTotal();
  const pausedAt = useAppStore((s) => s.eventsPausedAt);
  const pause = useAppStore((s) => s.pauseEvents);
  const resume = useAppStore((s) => s.resumeEvents);
  const [filters, setFilters] = useState<EventFilters>(NO_FILTERS);
  const indexRef = useRef(new FilteredIndex());
  /** The selected event by its global index in the ring (stable while new events arrive). */
  const [selected, setSelected] = useState<number | null>(null);
  const scrollRef = useRef<HTMLDivElement>(null);
  const listAreaRef = useRef<HTMLDivElement>(null);
  const detailRef = useRef<HTMLDivElement>(null);
  const listMaxHeight = useHeightToWindowBottom(listAreaRef, { minPx: LIST_MIN_HEIGHT_PX, bottomPx: LIST_BOTTOM_GAP_PX, below: detailRef });

  const end = pausedAt ?? total;
  const first = eventLog.firstIndex;
  const unfiltered = isUnfiltered(filters);
  const filtered = unfiltered ? null : indexRef.current.update(eventLog, filters, end);
  const count = filtered ? filtered.count : Math.max(0, end - first);
  // Newest first: row 0 is the newest event shown.
  const globalAt = (row: number) => (filtered ? filtered.at(filtered.count - 1 - row) : end - 1 - row);

  const narrow = useMediaQuery(NARROW_QUERY);
  const rowHeight = narrow ? NARROW_ROW_HEIGHT : ROW_HEIGHT;
  const headHeight = narrow ? NARROW_HEAD_HEIGHT : ROW_HEIGHT;
  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => rowHeight,
    overscan: 10,
  });
  // The virtualiser keeps the sizes it has computed: a new row height places every row again.
  useEffect(() => virtualizer.measure(), [virtualizer, rowHeight]);

  const rowOf = (globalIndex: number): number => {
    if (!filtered) return end - 1 - globalIndex;
    let lo = 0;
    let hi = filtered.count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const g = filtered.at(mid);
      if (g === globalIndex) return filtered.count - 1 - mid;
      if (g < globalIndex) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  };
  const selectedRow = selected === null ? -1 : rowOf(selected);
  // Rows are keyed by their slot in the window, not by event: newest first, every refresh shows
  // other events in the same rows, and React then updates their text instead of replacing them.
  const virtualItems = virtualizer.getVirtualItems();
  const slotKey = (index: number) => (virtualItems.length <= ROW_SLOTS ? index % ROW_SLOTS : index);

  const onListKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const moves: Record<string, number> = { ArrowDown: 1, ArrowUp: -1, PageDown: 15, PageUp: -15 };
    let row: number | null = null;
    if (e.key in moves) row = Math.min(count - 1, Math.max(0, (selectedRow < 0 ? -1 : selectedRow) + moves[e.key]!));
    else if (e.key === 'Home') row = 0;
    else if (e.key === 'End') row = count - 1;
    else if (e.key === 'Escape') {
      setSelected(null);
      return;
    }
    if (row === null || count === 0) return;
    e.preventDefault();
    setSelected(globalAt(row));
    virtualizer.scrollToIndex(row);
  };

  const exportLines = () => {
    const events: AppEvent[] = [];
    for (let i = count - 1; i >= 0; i--) {
      const e = eventLog.at(globalAt(i));
      if (e) events.push(e);
    }
    downloadText(`blksnap-events-${new Date().toISOString().replace(/[:.]/g, '-')}.jsonl`, toJsonLines(events), 'application/x-ndjson');
  };

  const setFilter = (key: keyof EventFilters, value: string) => setFilters((f) => ({ ...f, [key]: value }));
  const waiting = pausedAt === null ? 0 : total - pausedAt;

  return (
    <div className="view">
      <header className="view-header">
        <h1>Events</h1>
        <p className="view-subtitle">
          Module events of every snapshot and the app's own; {Math.min(total, eventLog.capacity).toLocaleString('en-US')} held
          (the newest {eventLog.capacity.toLocaleString('en-US')} are kept).
        </p>
      </header>
      <Section title="Event stream">
        <div className="events-toolbar">
          <FilterSelect label="Snapshot" value={filters.snapshotId} facet="snapshotIds" onChange={(v) => setFilter('snapshotId', v)} />
          <FilterSelect label="Device" value={filters.device} facet="devices" onChange={(v) => setFilter('device', v)} />
          <FilterSelect label="Kind" value={filters.kind} facet="kinds" grouped onChange={(v) => setFilter('kind', v)} />
          <FilterSelect label="Level" value={filters.level} fixed={LEVELS} onChange={(v) => setFilter('level', v)} />
          {!unfiltered && <button type="button" onClick={() => setFilters(NO_FILTERS)}>Clear filters</button>}
          <div className="button-row">
            {pausedAt === null ? (
              <button type="button" onClick={pause}>Pause</button>
            ) : (
              <button type="button" className="primary" onClick={resume}>Resume</button>
            )}
            <button type="button" onClick={exportLines} disabled={count === 0}>Export JSON Lines</button>
          </div>
        </div>
        <p className="small" aria-live="polite">
          {pausedAt !== null && <span className="paused-note">Paused: {waiting.toLocaleString('en-US')} new event{waiting === 1 ? '' : 's'} arrived meanwhile, kept for resume. </span>}
          <span className="muted">Showing {count.toLocaleString('en-US')} event{count === 1 ? '' : 's'}{unfiltered ? '' : ' matching the filters'}, newest first.</span>
        </p>
        <div ref={listAreaRef}>
        {count === 0 ? (
          <EmptyState title={total === 0 ? 'No events yet' : 'No event matches the filters'}>
            {total === 0 ? 'Module events (corrupted, no_space, low_free_space) and app events appear here as they happen.' : null}
          </EmptyState>
        ) : (
          <div
            ref={scrollRef}
            className={narrow ? 'event-list narrow' : 'event-list'}
            role="table"
            aria-label="Events"
            aria-rowcount={count + 1}
            aria-describedby="events-keys"
            tabIndex={0}
            onKeyDown={onListKeyDown}
            style={{ height: Math.min(listMaxHeight, headHeight + count * rowHeight + 2) }}
          >
            <div role="row" aria-rowindex={1} className="event-row event-head" style={{ height: headHeight }}>
              <span role="columnheader">Time</span>
              <span role="columnheader">Level</span>
              <span role="columnheader">Kind</span>
              <span role="columnheader">Snapshot</span>
              <span role="columnheader">Device</span>
              <span role="columnheader" className="event-message">Message</span>
            </div>
            <div role="rowgroup" style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
              {virtualItems.map((item) => {
                const g = globalAt(item.index);
                const e = eventLog.at(g);
                if (!e) return null;
                return (
                  <div
                    key={slotKey(item.index)}
                    id={`event-row-${g}`}
                    role="row"
                    aria-rowindex={item.index + 2}
                    aria-current={g === selected ? 'true' : undefined}
                    className={g === selected ? 'event-row selected' : 'event-row'}
                    style={{ transform: `translateY(${item.start}px)`, height: rowHeight }}
                    onClick={() => setSelected(g)}
                  >
                    <span role="cell" className="muted">{formatTime(e.timeMs)}</span>
                    <span role="cell" className={`level-${e.level}`}>{e.level}</span>
                    <span role="cell">{e.source === 'module' ? <Badge tone={e.level === 'error' ? 'error' : 'warn'}>{e.kind}</Badge> : e.kind}</span>
                    <span role="cell" title={e.snapshotId ?? ''}><code>{e.snapshotId ? e.snapshotId.slice(0, 8) : ''}</code></span>
                    <span role="cell"><code>{e.device ?? ''}</code></span>
                    <span role="cell" className="event-message" title={e.message}>{e.message}</span>
                  </div>
                );
              })}
            </div>
          </div>
        )}
        </div>
        <p id="events-keys" className="visually-hidden">Arrow keys select an event; its details show below the list.</p>
        <p className="visually-hidden" aria-live="polite">
          {selected !== null && eventLog.at(selected) ? `Selected event ${eventLog.at(selected)!.seq}: ${eventLog.at(selected)!.kind}, ${eventLog.at(selected)!.message}` : ''}
        </p>
        <div ref={detailRef}>{selected !== null && <EventDetail event={eventLog.at(selected) ?? null} onClose={() => setSelected(null)} />}</div>
      </Section>
    </div>
  );
}

function FilterSelect({ label, value, facet, fixed, grouped, onChange }: {
  label: string; value: string; onChange: (v: string) => void;
  /** The values of the held events, or a fixed list. */
  facet?: FacetKey; fixed?: string[];
  /** "module:x" / "app:x" values in two groups (the Kind filter). */
  grouped?: boolean;
}) {
  const id = `filter-${label.toLowerCase()}`;
  const facets = useAppStore((s) => s.eventFacets);
  const [inUse, setInUse] = useState(false);
  // A short menu follows every change; a long one (thousands of snapshot ids) re-renders only in use.
  const live = useAppStore((s) => facet !== undefined && (inUse || s.eventFacets.size(facet) <= LAZY_OPTIONS_ABOVE));
  useAppStore((s) => (live ? s.eventFacetsVersion : -1));
  const values = fixed ?? (live && facet ? facets.values(facet) : []);
  const options = value !== '' && !values.includes(value) ? [value, ...values] : values;
  const option = (o: string, text = o) => <option key={o} value={o}>{text}</option>;
  const group = (source: 'module' | 'app') => options.filter((o) => o.startsWith(`${source}:`));
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)} onFocus={() => setInUse(true)} onPointerDown={() => setInUse(true)} onBlur={() => setInUse(false)}>
        <option value="">All</option>
        {grouped
          ? (['module', 'app'] as const).map((source) => group(source).length > 0 && (
            // Module events and the app's own, apart: "warning" is an app kind, "no_space" a module one.
            <optgroup key={source} label={source === 'module' ? 'Module events' : 'blksnap Manager events'}>
              {group(source).map((o) => option(o, o.slice(source.length + 1)))}
            </optgroup>
          ))
          : options.map((o) => option(o))}
      </select>
    </div>
  );
}
