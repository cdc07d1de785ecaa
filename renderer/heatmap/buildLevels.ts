// The levels a pyramid has not built yet, built in a worker (levelWorker.ts) once its map is
// here, so that a later zoom finds them ready without a long task on the page. Where workers are
// missing or fail (tests, a page that may not start one), they are built one per idle moment.
import type { LodLevel } from '../../shared/cbtLevels';
import type { CbtPyramid } from './pyramid';

let worker: Worker | null | undefined;
let nextId = 1;
const waiting = new Map<number, (levels: LodLevel[] | null) => void>();

function levelWorker(): Worker | null {
  if (worker !== undefined) return worker;
  try {
    worker = typeof Worker === 'function' ? new Worker(new URL('./levelWorker.ts', import.meta.url), { type: 'module' }) : null;
  } catch {
    worker = null;
  }
  if (worker) {
    worker.onmessage = (event: MessageEvent<{ id: number; levels: LodLevel[] }>) => {
      waiting.get(event.data.id)?.(event.data.levels);
      waiting.delete(event.data.id);
    };
    // A worker that cannot start or run: every job falls back, and later ones build on the page.
    worker.onerror = () => {
      worker?.terminate();
      worker = null;
      for (const done of waiting.values()) done(null);
      waiting.clear();
    };
  }
  return worker;
}

/** Starts building the missing levels of `pyramid`; the returned function stops it. */
export function buildMissingLevels(pyramid: CbtPyramid): () => void {
  const map = pyramid.map;
  const shifts = pyramid.missingLevels();
  if (!map || shifts.length === 0) return () => undefined;
  let stopIdle: (() => void) | null = null;
  const w = levelWorker();
  if (!w) return onIdle(pyramid);
  const id = nextId++;
  let stopped = false;
  waiting.set(id, (levels) => {
    if (stopped) return;
    if (levels === null) stopIdle = onIdle(pyramid);
    else for (const level of levels) pyramid.adopt(level);
  });
  w.postMessage({ id, map, shifts });
  return () => {
    stopped = true;
    waiting.delete(id);
    stopIdle?.();
  };
}

function onIdle(pyramid: CbtPyramid): () => void {
  if (typeof requestIdleCallback !== 'function') return () => undefined;
  let id = 0;
  const step = () => {
    if (pyramid.buildNext()) id = requestIdleCallback(step);
  };
  id = requestIdleCallback(step);
  return () => cancelIdleCallback(id);
}
