// The bounded event history (a ring buffer) and per-kind counters for /metrics.
import type { AppEvent } from '../../shared/contract';

export type AppEventInput = Omit<AppEvent, 'seq' | 'timeMs' | 'snapshotId' | 'device' | 'module'> &
  Partial<Pick<AppEvent, 'timeMs' | 'snapshotId' | 'device' | 'module'>>;

export interface EventCount {
  source: AppEvent['source'];
  kind: string;
  level: AppEvent['level'];
  count: number;
}

export class EventLog {
  private readonly ring: (AppEvent | undefined)[];
  private next = 0;
  private size = 0;
  private seq = 0;
  private readonly counts = new Map<string, EventCount>();

  constructor(readonly capacity: number) {
    this.ring = new Array<AppEvent | undefined>(capacity);
  }

  add(input: AppEventInput): AppEvent {
    this.seq += 1;
    const event: AppEvent = {
      seq: this.seq,
      timeMs: input.timeMs ?? Date.now(),
      source: input.source,
      level: input.level,
      kind: input.kind,
      snapshotId: input.snapshotId ?? null,
      device: input.device ?? null,
      message: input.message,
      module: input.module ?? null,
    };
    this.ring[this.next] = event;
    this.next = (this.next + 1) % this.capacity;
    this.size = Math.min(this.size + 1, this.capacity);
    const key = `${event.source}\0${event.kind}\0${event.level}`;
    const count = this.counts.get(key) ?? { source: event.source, kind: event.kind, level: event.level, count: 0 };
    count.count += 1;
    this.counts.set(key, count);
    return event;
  }

  /** The newest `limit` events, oldest first. */
  list(limit = this.capacity): AppEvent[] {
    const n = Math.min(limit, this.size);
    const out: AppEvent[] = [];
    for (let i = n; i > 0; i--) out.push(this.ring[(this.next - i + this.capacity) % this.capacity]!);
    return out;
  }

  countsByKind(): EventCount[] {
    return [...this.counts.values()].map((c) => ({ ...c }));
  }
}
