// A progress bar on stderr for work that takes longer than about a second (reads, writes,
// workloads, map reads), drawn by cli-progress, and only where stderr is a terminal: scripts
// that capture stderr, and --json, get nothing extra. cli-progress loads only where a bar may
// be drawn: a run without a terminal never loads it.
import type { SingleBar } from 'cli-progress';

/** Work shorter than this shows no bar at all. */
export const PROGRESS_DELAY_MS = 1000;

export interface ProgressTarget {
  /** The terminal stream (process.stderr), or null where there is none. */
  stream: NodeJS.WritableStream & { isTTY?: boolean };
  now?: () => number;
}

export interface Progress {
  update(done: number): void;
  stop(): void;
}

const NONE: Progress = { update: () => undefined, stop: () => undefined };

type SingleBarClass = typeof SingleBar;
let barClass: SingleBarClass | null = null;
let loading: Promise<SingleBarClass> | null = null;

/** cli-progress's bar, loaded once; a bar asked for before it is loaded starts at a later update. */
export function loadProgressBar(): Promise<SingleBarClass> {
  loading ??= import('cli-progress').then((m) => (barClass = m.SingleBar));
  return loading;
}

/** A bar of `total` units (`unit`: "bytes" shows MiB, "ms" seconds), or nothing off a terminal. */
export function progress(target: ProgressTarget | null, label: string, total: number, unit: 'bytes' | 'ms'): Progress {
  if (!target || target.stream.isTTY !== true || !(total > 0)) return NONE;
  // Loaded while the work starts; the bar waits a second anyway. Without it there is just no bar.
  loadProgressBar().catch(() => undefined);
  const now = target.now ?? Date.now;
  const startedAt = now();
  let bar: SingleBar | null = null;
  const scale = unit === 'bytes' ? 2 ** 20 : 1000;
  const suffix = unit === 'bytes' ? 'MiB' : 's';
  const show = (done: number) => {
    const value = Math.min(total, done) / scale;
    if (!bar) {
      if (now() - startedAt < PROGRESS_DELAY_MS || !barClass) return;
      bar = new barClass({
        format: ` ${label} {bar} {percentage}% | {value}/{total} ${suffix}`,
        stream: target.stream, hideCursor: true, clearOnComplete: true, formatValue: (v) => (Math.round(v * 10) / 10).toString(),
      });
      bar.start(total / scale, value);
      return;
    }
    bar.update(value);
  };
  return {
    update: show,
    stop: () => {
      bar?.update(total / scale);
      bar?.stop();
    },
  };
}
