// Module events kept per snapshot for waitEvent callers (the pump drains the module's own
// queue, so the service keeps the events no caller has taken yet), and the callers waiting.
import type { SnapshotEvent } from '../../shared/schemas';
import { errnoError } from '../../shared/errors';

/** Module events kept per snapshot; the oldest go first. */
export const EVENT_QUEUE_LENGTH = 1024;
const MAX_TIMER_MS = 2 ** 31 - 1;

interface EventWaiter {
  resolve(event: SnapshotEvent | null): void;
  reject(err: unknown): void;
}

export class EventWaiters {
  private readonly queues = new Map<string, SnapshotEvent[]>();
  private readonly waiters = new Map<string, EventWaiter[]>();

  /** Hands the event to the first caller waiting, or queues it for the next one. */
  deliver(event: SnapshotEvent): void {
    const waiter = this.waiters.get(event.snapshotId)?.[0];
    if (waiter) return waiter.resolve(event);
    const queue = this.queues.get(event.snapshotId) ?? [];
    this.queues.set(event.snapshotId, queue);
    queue.push(event);
    if (queue.length > EVENT_QUEUE_LENGTH) queue.shift();
  }

  /** The oldest queued event of a snapshot, taken off the queue. */
  take(id: string): SnapshotEvent | undefined {
    return this.queues.get(id)?.shift();
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
    this.queues.delete(id);
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
