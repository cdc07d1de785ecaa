// Module events: the pumps that read them, what each one becomes (an app event, a queued
// event for waitEvent callers, a lifecycle call, a refresh), and waitEvent itself.
import type { ApiArgs, ApiResult } from '../../shared/contract';
import type { DevId, SnapshotEvent } from '../../shared/schemas';
import { errnoError, errnoMeaning, errnoName } from '../../shared/errors';
import { formatBytes } from '../../shared/units';
import { isEmulator, type BlksnapControl } from '../control/types';
import type { ServiceConfig } from './config';
import { kernelHz } from './hz';
import type { LifecycleListeners } from './lifecycle';
import type { Notices } from './notices';
import { PumpSet, waitEventFor } from './pump';
import type { RegistryView } from './registry';
import type { CallContext } from './validate';
import { EventWaiters } from './waiters';

export type EventSettings = Pick<ServiceConfig, 'eventWaitTicks' | 'adoptForeignSnapshots' | 'dataDir'>;

/** What the events part reads of the others. */
export interface EventSurroundings {
  registry: RegistryView;
  notices: Notices;
  lifecycle: LifecycleListeners;
  /** The live snapshot ids at the last refresh. */
  liveIds(): readonly string[];
  pathOf(dev: DevId): string;
  /** Keeps a corrupted event's device where a later process finds it (the registry). */
  recordCorrupted(event: SnapshotEvent): void;
  refresh(): Promise<void>;
}

export class SnapshotEvents {
  private readonly pumps: PumpSet;
  private readonly waiters: EventWaiters;
  private readonly corruptedByEvent = new Set<string>();
  private queuePruned = false;
  private drained = false;

  constructor(
    private readonly control: BlksnapControl,
    settings: EventSettings,
    private readonly around: EventSurroundings,
  ) {
    this.waiters = new EventWaiters(settings.dataDir);
    // Only our own snapshots unless asked: waiting consumes the module's queue (config.ts).
    const wanted = () => around.liveIds().filter((id) => settings.adoptForeignSnapshots || around.registry.get(id));
    this.pumps = new PumpSet(control, settings.eventWaitTicks, wanted, {
      onEvent: (event) => this.onModuleEvent(event),
      onGone: () => void around.refresh().catch(() => undefined),
      onError: (err, id) => around.notices.reportOnce(err, id),
    });
  }

  get pumpCount(): number {
    return this.pumps.size;
  }

  /** A corrupted event was seen for this snapshot (by this process or an earlier one). */
  corrupted(id: string): boolean {
    return this.corruptedByEvent.has(id) || (this.around.registry.get(id)?.corrupted.length ?? 0) > 0;
  }

  /**
   * v1 only (no SNAPSHOTINFO: a device's error code is known from `corrupted` events): takes what
   * the module has queued now (WAIT_EVENT with timeout 0) for the snapshots being pumped, once
   * per process, so a run that reports snapshot info has seen an overflow no earlier run drained.
   */
  async drainQueued(): Promise<void> {
    if (this.control.info.dialect !== 'v1' || this.drained) return;
    this.drained = true;
    for (const id of this.around.liveIds()) {
      if (!this.pumps.has(id)) continue;
      // The pump's own wait may hold the event: stop it (it delivers what it read), drain, restart.
      await this.pumps.suspend(id);
      try {
        for (let i = 0; i < 64; i++) {
          const event = await this.control.waitEvent(id, 0).catch(() => null);
          if (!event) break;
          this.onModuleEvent(event);
        }
      } finally {
        this.pumps.resume(id, true);
      }
    }
  }

  startPump(id: string): void {
    this.pumps.start(id);
  }

  syncPumps(): void {
    this.pumps.sync();
  }

  /** Stops the pump and keeps it stopped until resumePump. */
  suspendPump(id: string): Promise<void> {
    return this.pumps.suspend(id);
  }

  resumePump(id: string, stillLive: boolean): void {
    this.pumps.resume(id, stillLive);
  }

  forget(id: string): void {
    this.corruptedByEvent.delete(id);
    this.waiters.forget(id);
    void this.pumps.stop(id);
  }

  async close(): Promise<void> {
    await this.pumps.close();
    this.waiters.releaseAll();
  }

  async history({ limit }: ApiArgs<'eventHistory'>): Promise<ApiResult<'eventHistory'>> {
    return this.around.notices.list(limit);
  }

  /** A caller that goes away (context.signal) stops waiting, so it cannot swallow the next event. */
  async waitEvent({ id, timeoutTicks }: ApiArgs<'waitEvent'>, context: CallContext = {}): Promise<ApiResult<'waitEvent'>> {
    if (!this.queuePruned) {
      // Events an earlier process kept for snapshots destroyed since then are not handed out.
      this.queuePruned = true;
      await this.around.refresh();
      this.waiters.keepOnly(this.around.liveIds());
    }
    const queued = this.waiters.take(id);
    if (queued) return queued;
    if (!this.pumps.has(id)) {
      await this.around.refresh();
      if (!this.around.liveIds().includes(id)) throw errnoError('ESRCH', 'waitEvent', 'no such snapshot', { snapshotId: id });
      // A snapshot this app does not pump (another tool's): the caller asked to consume its queue.
      if (!this.pumps.has(id)) return waitEventFor(this.control, id, this.ticksToMs(timeoutTicks), context.signal ? { signal: context.signal } : {});
      // The pump the refresh started may have queued events already (blksnapctl: a fresh service).
      const pumped = this.waiters.take(id);
      if (pumped) return pumped;
    }
    if (timeoutTicks === 0 || context.signal?.aborted) return null;
    return this.waiters.wait(id, this.ticksToMs(timeoutTicks), context.signal);
  }

  private onModuleEvent(event: SnapshotEvent): void {
    // Kept first, before anything that may outlive this process: the queue for waitEvent
    // callers and the corrupted flag are on disk once this returns.
    this.waiters.deliver(event);
    if (event.kind === 'corrupted') {
      this.corruptedByEvent.add(event.snapshotId);
      this.around.recordCorrupted(event);
    }
    const device = event.device ? this.around.pathOf(event.device) : null;
    const level = event.kind === 'corrupted' ? 'error' : event.kind === 'no_space' ? 'warning' : 'info';
    this.around.notices.emit({ source: 'module', level, kind: event.kind, snapshotId: event.snapshotId, device, message: describeEvent(event, device), module: event });
    void this.around.lifecycle.notify((l) => l.moduleEvent?.(event));
    if (event.kind !== 'low_free_space') void this.around.refresh().catch(() => undefined);
  }

  /** Ticks of the backend's HZ: the emulated HZ, or the kernel's CONFIG_HZ. */
  private ticksToMs(ticks: number): number {
    const hz = isEmulator(this.control) ? this.control.hz : kernelHz().hz;
    return (ticks * 1000) / hz;
  }
}

/** " (2 GiB allocated so far)" from the event's requested sectors, where it carries them. */
function requested(event: SnapshotEvent): string {
  return event.requestedSectors === null ? '' : ` (${formatBytes(event.requestedSectors * 512)} allocated so far)`;
}

export function describeEvent(event: SnapshotEvent, device: string | null): string {
  switch (event.kind) {
    case 'corrupted': {
      const errno = event.errCode ?? 0;
      const name = errnoName(errno);
      const why = name ? `${name} (${errnoMeaning(name)})` : `error ${errno}`;
      return `Snapshot ${event.snapshotId} corrupted for ${device ?? 'a device'}: ${why}. The snapshot is lost; the original data is intact.`;
    }
    case 'no_space':
      return `Snapshot ${event.snapshotId}: the difference storage has reached its limit and will not grow any more${requested(event)}. `
        + 'Copies go on into what is left of it (up to half of diff_storage_minimum, 512 MiB by default); when that is full the snapshot overflows and is lost.';
    case 'low_free_space':
      return `Snapshot ${event.snapshotId}: the module asks for ${event.requestedSectors === null ? 'more' : `${formatBytes(event.requestedSectors * 512)} more`} difference storage.`;
    default:
      return `Snapshot ${event.snapshotId} sent event code ${event.code}, which this dialect does not define.`;
  }
}
