// Module events kept per snapshot for waitEvent callers (the pump drains the module's own
// queue, so the service keeps the events no caller has taken yet), and the callers waiting.
// With a state directory the queue lives in a file, written before anything else hears of the
// event: a process that drained an event and ended (a short blksnapctl run) leaves it to the
// next one, so each snapshot keeps one queue across processes, oldest first, as the module's.
import { join } from 'node:path';
import { z } from 'zod';
import { lazySchema } from '../../shared/lazySchema';
import { SnapshotEvent } from '../../shared/schemas';
import { errnoError } from '../../shared/errors';
import { readStateFileSync, writeStateFileSync } from '../app/stateFiles';

export const EVENT_QUEUE_FILE = 'service-events.json';
const QueueFile = lazySchema(() => z.object({ version: z.literal(1), events: z.array(SnapshotEvent()) }));

/** The undelivered events: in memory, or in a state file read and written on every change. */
class EventQueues {
  private readonly memory: SnapshotEvent[] = [];

  constructor(private readonly file: string | null) {}

  private read(): SnapshotEvent[] {
    if (!this.file) return this.memory;
    try {
      const saved: unknown = JSON.parse(readStateFileSync(this.file));
      return QueueFile().parse(saved).events;
    } catch {
      return [];
    }
  }

  private write(events: SnapshotEvent[]): void {
    if (!this.file) return;
    writeStateFileSync(this.file, JSON.stringify({ version: 1, events }));
  }

  push(event: SnapshotEvent): void {
    const events = this.read();
    events.push(event);
    const mine = events.filter((e) => e.snapshotId === event.snapshotId);
    if (mine.length > EVENT_QUEUE_LENGTH) events.splice(events.indexOf(mine[0] as SnapshotEvent), 1);
    this.write(events);
  }

  shift(id: string): SnapshotEvent | undefined {
    const events = this.read();
    const i = events.findIndex((e) => e.snapshotId === id);
    if (i < 0) return undefined;
    const [event] = events.splice(i, 1);
    this.write(events);
    return event;
  }

  drop(id: string): void {
    const events = this.read();
    const kept = events.filter((e) => e.snapshotId !== id);
    if (kept.length === events.length) return;
    if (!this.file) this.memory.splice(0, this.memory.length, ...kept);
    this.write(kept);
  }

  /** Keeps only the events of `liveIds` (snapshots destroyed while no process ran). */
  keepOnly(liveIds: readonly string[]): void {
    const events = this.read();
    const kept = events.filter((e) => liveIds.includes(e.snapshotId));
    if (kept.length === events.length) return;
    if (!this.file) this.memory.splice(0, this.memory.length, ...kept);
    this.write(kept);
  }
}

/** Module events kept per snapshot; the oldest go first. */
export const EVENT_QUEUE_LENGTH = 1024;
const MAX_TIMER_MS = 2 ** 31 - 1;

interface EventWaiter {
  resolve(event: SnapshotEvent | null): void;
  reject(err: unknown): void;
}

export class EventWaiters {
  private readonly queues: EventQueues;
  private readonly waiters = new Map<string, EventWaiter[]>();

  /** `dataDir`: where the queue file lives (null: memory only). */
  constructor(dataDir: string | null = null) {
    this.queues = new EventQueues(dataDir ? join(dataDir, EVENT_QUEUE_FILE) : null);
  }

  /** Hands the event to the first caller waiting, or queues it for the next one. */
  deliver(event: SnapshotEvent): void {
    const waiter = this.waiters.get(event.snapshotId)?.[0];
    if (waiter) return waiter.resolve(event);
    this.queues.push(event);
  }

  /** The oldest queued event of a snapshot, taken off the queue. */
  take(id: string): SnapshotEvent | undefined {
    return this.queues.shift(id);
  }

  /** Drops queued events of snapshots not in `liveIds`. */
  keepOnly(liveIds: readonly string[]): void {
    this.queues.keepOnly(liveIds);
  }

  /** Waits for the next delivered event; null on timeout or when `signal` aborts. */
  wait(id: string, timeoutMs: number, signal?: AbortSignal): Promise<SnapshotEvent | null> {
    return new Promise<SnapshotEvent | null>((resolve, reject) => {
      const waiters = this.waiters.get(id) ?? [];
      this.waiters.set(id, waiters);
      const onAbort = () => waiter.resolve(null);
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const i = waiters.indexOf(waiter);
        if (i >= 0) waiters.splice(i, 1);
      };
      const waiter: EventWaiter = {
        resolve: (event) => { done(); resolve(event); },
        reject: (err) => { done(); reject(err); },
      };
      const timer = setTimeout(() => waiter.resolve(null), Math.min(MAX_TIMER_MS, timeoutMs));
      signal?.addEventListener('abort', onAbort, { once: true });
      waiters.push(waiter);
    });
  }

  /** The snapshot is gone: drops its queue, and its waiters fail with ESRCH. */
  forget(id: string): void {
    this.queues.drop(id);
    for (const waiter of [...(this.waiters.get(id) ?? [])]) {
      waiter.reject(errnoError('ESRCH', 'waitEvent', 'the snapshot was destroyed while waiting', { snapshotId: id }));
    }
    this.waiters.delete(id);
  }

  /** Every waiter gets null (the service closes). */
  releaseAll(): void {
    for (const waiters of this.waiters.values()) for (const w of [...waiters]) w.resolve(null);
  }
}
