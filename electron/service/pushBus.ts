// Batches pushes to subscribers: state topics are coalesced to their latest value, events
// and fill samples accumulate; everything goes out together every `batchMs`.
import type { AppEvent, PushPayload, PushSource, PushTopic } from '../../shared/contract';

type Listener = (payload: unknown) => void;
const STATE_TOPICS: ReadonlySet<PushTopic> = new Set(['devices', 'snapshots', 'backend', 'workloads']);

export class PushBus implements PushSource {
  private readonly listeners = new Map<PushTopic, Set<Listener>>();
  private readonly latest = new Map<PushTopic, unknown>();
  private readonly pendingState = new Map<PushTopic, unknown>();
  private pendingEvents: AppEvent[] = [];
  private pendingFill: PushPayload<'fill'>[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;
  /** Batches delivered, for /metrics. */
  batches = 0;

  constructor(private readonly batchMs: number) {}

  /**
   * A state topic (devices, snapshots, backend, workloads) replays its latest value to a new
   * subscriber, so subscribe-then-render needs no extra call.
   */
  subscribe<T extends PushTopic>(topic: T, listener: (payload: PushPayload<T>) => void): () => void {
    const set = this.listeners.get(topic) ?? new Set<Listener>();
    this.listeners.set(topic, set);
    const l = listener as Listener;
    set.add(l);
    if (STATE_TOPICS.has(topic) && this.latest.has(topic)) {
      setTimeout(() => {
        if (set.has(l)) deliver(l, this.latest.get(topic));
      }, 0);
    }
    return () => {
      set.delete(l);
    };
  }

  publish<T extends PushTopic>(topic: T, payload: PushPayload<T>): void {
    if (this.closed) return;
    if (topic === 'events') this.pendingEvents.push(...(payload as AppEvent[]));
    else if (topic === 'fill') this.pendingFill.push(payload as PushPayload<'fill'>);
    else {
      this.latest.set(topic, payload);
      this.pendingState.set(topic, payload);
    }
    this.timer ??= setTimeout(() => this.flush(), this.batchMs);
  }

  /** The latest value of a state topic. */
  current<T extends PushTopic>(topic: T): PushPayload<T> | undefined {
    return this.latest.get(topic) as PushPayload<T> | undefined;
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const state = [...this.pendingState];
    const events = this.pendingEvents;
    const fill = this.pendingFill;
    this.pendingState.clear();
    this.pendingEvents = [];
    this.pendingFill = [];
    for (const [topic, payload] of state) this.emit(topic, payload);
    for (const sample of fill) this.emit('fill', sample);
    if (events.length > 0) this.emit('events', events);
    this.batches += 1;
  }

  close(): void {
    this.flush();
    this.closed = true;
    this.listeners.clear();
  }

  private emit(topic: PushTopic, payload: unknown): void {
    for (const l of this.listeners.get(topic) ?? []) deliver(l, payload);
  }
}

function deliver(listener: Listener, payload: unknown): void {
  try {
    listener(payload);
  } catch {
    // A subscriber's failure must not stop the others (or the service).
  }
}
