// One event pump per live snapshot: SNAPSHOT_WAIT_EVENT in short slices (the timeout is in
// ticks, spec §3.7), so stopping never waits longer than one slice. Stop the pump before
// SNAPSHOT_DESTROY: the module releases a destroyed snapshot only after every wait on it returns.
// PumpSet keeps one pump per live snapshot and holds it stopped while the snapshot is destroyed.
import type { SnapshotEvent } from '../../shared/schemas';
import { BlksnapError } from '../../shared/errors';
import type { BlksnapControl } from '../control/types';
import { MAX_WAIT_TICKS } from './config';

export interface PumpHandlers {
  onEvent(event: SnapshotEvent): void;
  /** The snapshot is gone (ESRCH). */
  onGone(): void;
  onError(err: unknown): void;
}

export class EventPump {
  private readonly abort = new AbortController();
  private readonly done: Promise<void>;
  private inWait = false;

  constructor(
    private readonly control: BlksnapControl,
    readonly snapshotId: string,
    private readonly ticks: number,
    private readonly handlers: PumpHandlers,
    private readonly errorBackoffMs = 1000,
  ) {
    this.done = this.run();
  }

  /** True while a SNAPSHOT_WAIT_EVENT is in progress (tests use it). */
  get waiting(): boolean {
    return this.inWait;
  }

  /** Ends the loop; resolves once no wait on the snapshot is in progress. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.done;
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    const ticks = clampTicks(this.ticks);
    while (!signal.aborted) {
      try {
        this.inWait = true;
        const event = await this.control.waitEvent(this.snapshotId, ticks, { signal });
        this.inWait = false;
        if (event) this.handlers.onEvent(event);
      } catch (err) {
        this.inWait = false;
        const code = err instanceof BlksnapError ? err.code : null;
        if (code === 'ESRCH') {
          if (!signal.aborted) this.handlers.onGone();
          return;
        }
        if (code === 'EINTR' || signal.aborted) continue;
        this.handlers.onError(err);
        await sleep(this.errorBackoffMs, signal);
      }
    }
  }
}

export interface PumpSetHandlers {
  onEvent(event: SnapshotEvent): void;
  /** A snapshot's pump ended because the snapshot is gone; its pump is already dropped. */
  onGone(snapshotId: string): void;
  onError(err: unknown, snapshotId: string): void;
}

/** The pumps of the live snapshots: started and stopped to match `wanted()`. */
export class PumpSet {
  private readonly pumps = new Map<string, EventPump>();
  /** Snapshots between "stop the pump" and SNAPSHOT_DESTROY: no pump may start for them. */
  private readonly suspended = new Set<string>();
  private closed = false;

  constructor(
    private readonly control: BlksnapControl,
    private readonly ticks: number,
    private readonly wanted: () => Iterable<string>,
    private readonly handlers: PumpSetHandlers,
  ) {}

  get size(): number {
    return this.pumps.size;
  }

  has(id: string): boolean {
    return this.pumps.has(id);
  }

  /** Starts the pumps wanted and not running, stops the ones running and not wanted. */
  sync(): void {
    const wanted = new Set(this.wanted());
    for (const id of wanted) if (!this.pumps.has(id)) this.start(id);
    for (const id of this.pumps.keys()) if (!wanted.has(id)) void this.stop(id);
  }

  start(id: string): void {
    if (this.closed || this.pumps.has(id) || this.suspended.has(id)) return;
    this.pumps.set(id, new EventPump(this.control, id, this.ticks, {
      onEvent: (event) => this.handlers.onEvent(event),
      onGone: () => {
        this.pumps.delete(id);
        this.handlers.onGone(id);
      },
      onError: (err) => this.handlers.onError(err, id),
    }));
  }

  async stop(id: string): Promise<void> {
    const pump = this.pumps.get(id);
    if (!pump) return;
    this.pumps.delete(id);
    await pump.stop();
  }

  /** Stops a snapshot's pump and keeps it stopped until `resume` (SNAPSHOT_DESTROY, spec §2). */
  async suspend(id: string): Promise<void> {
    this.suspended.add(id);
    await this.stop(id);
  }

  /** Lets a pump start again; a snapshot still live gets it back now. */
  resume(id: string, stillLive: boolean): void {
    this.suspended.delete(id);
    if (stillLive) this.sync();
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.pumps.keys()].map((id) => this.stop(id)));
  }
}

export function clampTicks(ticks: number): number {
  return Math.max(0, Math.min(MAX_WAIT_TICKS, Math.floor(ticks)));
}

/**
 * Waits up to `timeoutMs` (our own monotonic deadline) for one event, in slices of at most
 * 100 ticks. Null on timeout or abort. ESRCH and other errors are thrown.
 */
export async function waitEventFor(
  control: BlksnapControl,
  snapshotId: string,
  timeoutMs: number,
  options: { signal?: AbortSignal; sliceTicks?: number } = {},
): Promise<SnapshotEvent | null> {
  const deadline = performance.now() + timeoutMs;
  const ticks = clampTicks(options.sliceTicks ?? MAX_WAIT_TICKS);
  do {
    if (options.signal?.aborted) return null;
    try {
      const event = await control.waitEvent(snapshotId, ticks, options.signal ? { signal: options.signal } : {});
      if (event) return event;
    } catch (err) {
      if (!(err instanceof BlksnapError && err.code === 'EINTR')) throw err;
    }
  } while (performance.now() < deadline);
  return null;
}

/** `ms`, or less when `signal` aborts; leaves no listener on the signal, which lives as long as the pump. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  // Aborted already (stopped by the error handler itself): an abort listener added now never fires.
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
