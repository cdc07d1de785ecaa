// Which held events match the filters, kept incrementally: each new batch is scanned once and
// evicted events drop off the front, so a 10,000 events/s stream never rescans the buffer.
import type { AppEvent } from '../../../shared/contract';
import type { RingBuffer } from '../../store/ringBuffer';

export interface EventFilters {
  snapshotId: string;
  device: string;
  /** "module:<kind>" or "app:<kind>": the same word can name a module event and an app event. */
  kind: string;
  level: string;
}

export const NO_FILTERS: EventFilters = { snapshotId: '', device: '', kind: '', level: '' };

export function kindKey(e: Pick<AppEvent, 'source' | 'kind'>): string {
  return `${e.source}:${e.kind}`;
}

export function matches(e: AppEvent, f: EventFilters): boolean {
  return (f.snapshotId === '' || e.snapshotId === f.snapshotId)
    && (f.device === '' || e.device === f.device)
    && (f.kind === '' || kindKey(e) === f.kind)
    && (f.level === '' || e.level === f.level);
}

export function isUnfiltered(f: EventFilters): boolean {
  return f.snapshotId === '' && f.device === '' && f.kind === '' && f.level === '';
}

export class FilteredIndex {
  private matched: number[] = [];
  private start = 0;
  private scannedTo = 0;
  private key = '';

  /** Global indices (oldest first) of held events below `end` that match `filters`. */
  update(log: RingBuffer<AppEvent>, filters: EventFilters, end: number): { count: number; at: (i: number) => number } {
    const key = `${filters.snapshotId}\u0000${filters.device}\u0000${filters.kind}\u0000${filters.level}`;
    if (key !== this.key || end < this.scannedTo) {
      this.key = key;
      this.matched = [];
      this.start = 0;
      this.scannedTo = log.firstIndex;
    }
    for (let g = Math.max(this.scannedTo, log.firstIndex); g < end; g++) {
      const e = log.at(g);
      if (e && matches(e, filters)) this.matched.push(g);
    }
    this.scannedTo = Math.max(this.scannedTo, end);
    while (this.start < this.matched.length && this.matched[this.start]! < log.firstIndex) this.start++;
    if (this.start > 4096 && this.start * 2 > this.matched.length) {
      this.matched = this.matched.slice(this.start);
      this.start = 0;
    }
    const matched = this.matched;
    const start = this.start;
    return { count: matched.length - start, at: (i) => matched[start + i]! };
  }
}

/** Events as JSON Lines: one JSON object per line. */
export function toJsonLines(events: readonly AppEvent[]): string {
  return events.map((e) => JSON.stringify(e)).join('\n') + (events.length ? '\n' : '');
}
