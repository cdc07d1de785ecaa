// The per-snapshot event FIFO (spec §3.7): events queued before anyone waits are kept; a
// waiter wakes on a new event, its timeout or an abort.
import type { SnapshotEvent } from '../../../shared/schemas';

export type WakeReason = 'event' | 'timeout' | 'abort';

export class EventQueue {
  readonly items: SnapshotEvent[];
  private readonly waiters = new Set<(reason: WakeReason) => void>();

  constructor(items: SnapshotEvent[] = []) {
    this.items = items;
  }

  push(event: SnapshotEvent): void {
    this.items.push(event);
    for (const wake of [...this.waiters]) wake('event');
  }

  shift(): SnapshotEvent | undefined {
    return this.items.shift();
  }

  /** Resolves on the next push, after `ms`, or when the signal aborts; never blocks the loop. */
  waitForPush(ms: number, signal?: AbortSignal): Promise<WakeReason> {
    if (signal?.aborted) return Promise.resolve('abort');
    return new Promise((resolve) => {
      const done = (reason: WakeReason): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.waiters.delete(done);
        resolve(reason);
      };
      const onAbort = (): void => done('abort');
      // setTimeout fires at once above 2^31−1 ms; the caller loops until its own deadline.
      const timer = setTimeout(() => done('timeout'), Math.min(ms, 2 ** 31 - 1));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(done);
    });
  }

  /** Ends every wait in progress (the emulator is closing). */
  abortAll(): void {
    for (const wake of [...this.waiters]) wake('abort');
  }

  get waiting(): number {
    return this.waiters.size;
  }

  clear(): void {
    this.items.length = 0;
  }
}

/** Kernel CLOCK_MONOTONIC in ns: the event's time_label. */
export function monotonicNs(): string {
  return process.hrtime.bigint().toString();
}
