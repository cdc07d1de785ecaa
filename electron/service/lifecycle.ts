// Hooks for code that works alongside the service (the v1 stretch service, tests), called
// at each step of a snapshot's life.
import type { SnapshotCreateRequest, SnapshotEvent } from '../../shared/schemas';

export interface SnapshotLifecycleListener {
  /** Before SNAPSHOT_CREATE; throwing refuses the create (e.g. a directory the stretch service cannot use). */
  beforeCreate?(request: SnapshotCreateRequest): void | Promise<void>;
  /** After SNAPSHOT_CREATE succeeded; the event pump is already running. */
  snapshotCreated?(id: string, request: SnapshotCreateRequest): void | Promise<void>;
  /** Before SNAPSHOT_TAKE: e.g. answer the creation-time low_free_space first (spec §6.4 step 4). */
  beforeTake?(id: string): void | Promise<void>;
  /** Every module event pumped from a snapshot's queue. */
  moduleEvent?(event: SnapshotEvent): void | Promise<void>;
  /** Before SNAPSHOT_DESTROY (the pump has stopped) and after it. */
  beforeDestroy?(id: string): void | Promise<void>;
  snapshotDestroyed?(id: string): void | Promise<void>;
}

type Call = (l: SnapshotLifecycleListener) => void | Promise<void>;

export class LifecycleListeners {
  private readonly listeners = new Set<SnapshotLifecycleListener>();

  /** `onError` hears a listener's failure; the other listeners still run. */
  constructor(private readonly onError: (err: unknown) => void) {}

  add(listener: SnapshotLifecycleListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The one hook whose failure is the caller's: it refuses the create. */
  async beforeCreate(request: SnapshotCreateRequest): Promise<void> {
    for (const l of this.listeners) await l.beforeCreate?.(request);
  }

  /** Calls every listener in turn; a failure is reported, not thrown. */
  async notify(call: Call): Promise<void> {
    for (const l of this.listeners) {
      try {
        await call(l);
      } catch (err) {
        this.onError(err);
      }
    }
  }
}
