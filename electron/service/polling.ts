// The service's clock: one refresh at a time (a call during a run waits for one more run,
// shared by every caller meanwhile) and the polling loops, each rescheduled after its run.
export class Poller {
  private refreshRun: Promise<void> | null = null;
  private refreshQueued: Promise<void> | null = null;
  private readonly timers: ReturnType<typeof setTimeout>[] = [];
  private stopped = false;

  /** `read` is the refresh itself; `onError` hears a loop's failure (the loop goes on). */
  constructor(private readonly read: () => Promise<void>, private readonly onError: (err: unknown) => void) {}

  get closed(): boolean {
    return this.stopped;
  }

  refresh(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (!this.refreshRun) {
      this.refreshRun = this.read().finally(() => {
        this.refreshRun = null;
      });
      return this.refreshRun;
    }
    this.refreshQueued ??= this.refreshRun.catch(() => undefined).then(() => {
      this.refreshQueued = null;
      return this.refresh();
    });
    return this.refreshQueued;
  }

  /** Runs `run` now and then `intervalMs` after each run ends, until stop. */
  every(intervalMs: number, run: () => Promise<void>): void {
    const index = this.timers.length;
    const tick = async () => {
      try {
        await run();
      } catch (err) {
        this.onError(err);
      }
      if (this.stopped) return;
      const timer = setTimeout(tick, intervalMs);
      timer.unref?.();
      this.timers[index] = timer;
    };
    const first = setTimeout(tick, 0);
    first.unref?.();
    this.timers.push(first);
  }

  /** No more loops or refreshes. */
  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
  }

  /** Resolves when the refresh in progress, if any, has ended. */
  async settled(): Promise<void> {
    await this.refreshRun?.catch(() => undefined);
  }
}
