// The renderer benchmark's page (test/bench/renderer.ts drives it): the heatmap render path
// exactly as HeatmapCanvas runs it, the changed-since-N summary, and the real EventsView under
// a 10,000 events/s stream. Figures are returned to the driver; nothing here asserts.
import { createRoot } from 'react-dom/client';
import '../styles.css';
import type { AppEvent } from '../../shared/contract';
import { changedSince as scanChangedSince } from '../../shared/cbt';
import { ApiContext } from '../app/apiContext';
import { buildLut } from '../heatmap/palette';
import { buildPyramid, maxChangeNumber, minChangeNumber, type CbtPyramid } from '../heatmap/pyramid';
import { renderHeatmap } from '../heatmap/render';
import { changedSince } from '../heatmap/summary';
import { fitZoom, layoutFor, panRows, zoomAround, type ViewState } from '../heatmap/view';
import { createAppStore, StoreProvider } from '../store';
import { EventsView } from '../views/events/EventsView';
import { createFakeClient } from './fakeApi';

interface Stats { frames: number; meanMs: number; p50Ms: number; p95Ms: number; maxMs: number }

function stats(samples: number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { frames: samples.length, meanMs: samples.reduce((a, b) => a + b, 0) / samples.length, p50Ms: at(0.5), p95Ms: at(0.95), maxMs: sorted[sorted.length - 1]! };
}

const nextFrame = () => new Promise<number>((resolve) => requestAnimationFrame(resolve));

/** A map like a busy disk after 40 takes: hot regions, scattered writes, a cold majority. */
function makeMap(blockCount: number): Uint8Array {
  const map = new Uint8Array(blockCount);
  let seed = 42;
  const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
  for (let take = 1; take <= 40; take++) {
    for (let r = 0; r < 30; r++) {
      const start = Math.floor(random() * blockCount);
      map.fill(take, start, Math.min(blockCount, start + Math.floor(random() * 20_000)));
    }
    for (let i = 0; i < 5000; i++) map[Math.floor(random() * blockCount)] = take;
  }
  return map;
}

let map: Uint8Array | null = null;
let pyramid: CbtPyramid | null = null;

const WIDTH = 1216;
const MAX_HEIGHT = 384;

function canvasOf(width: number, height: number) {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  document.body.appendChild(canvas);
  const ctx = canvas.getContext('2d')!;
  const image = ctx.createImageData(width, height);
  return { ctx, image, pixels: new Uint32Array(image.data.buffer) };
}

const bench = {
  prepare(blockCount: number) {
    const t0 = performance.now();
    map = makeMap(blockCount);
    const t1 = performance.now();
    const builds: number[] = [];
    for (let i = 0; i < 7; i++) {
      const t2 = performance.now();
      pyramid = buildPyramid(map);
      builds.push(performance.now() - t2);
    }
    return { blockCount, makeMapMs: t1 - t0, pyramidBuild: stats(builds), levels: pyramid!.levels.length };
  },

  /** The whole map at its fitting zoom, drawn `frames` times (LUT, pixels, putImageData). */
  async fullRender(frames: number) {
    const p = pyramid!;
    const zoom = fitZoom(p.blockCount, WIDTH, MAX_HEIGHT);
    const { ctx, image, pixels } = canvasOf(WIDTH, MAX_HEIGHT);
    const lut = buildLut({ kind: 'recency', lo: minChangeNumber(p), hi: maxChangeNumber(p) });
    const times: number[] = [];
    for (let i = 0; i < frames; i++) {
      await nextFrame();
      const t0 = performance.now();
      renderHeatmap(p, layoutFor({ zoom, firstRow: 0 }, WIDTH, MAX_HEIGHT), lut, pixels);
      ctx.putImageData(image, 0, 0);
      times.push(performance.now() - t0);
    }
    return { widthPx: WIDTH, heightPx: MAX_HEIGHT, blocksPerPixel: 2 ** Math.max(0, zoom), ...stats(times) };
  },

  /** Zoom in step by step to single blocks and back, panning at each level; one frame per step. */
  async zoomPan() {
    const p = pyramid!;
    const { ctx, image, pixels } = canvasOf(WIDTH, MAX_HEIGHT);
    const lut = buildLut({ kind: 'since', sinceChangeNumber: 30 });
    const fit = fitZoom(p.blockCount, WIDTH, MAX_HEIGHT);
    let view: ViewState = { zoom: fit, firstRow: 0 };
    const steps: ViewState[] = [];
    for (let z = fit; z > -5; z--) {
      view = zoomAround(view, -1, Math.floor(p.blockCount * 0.6), MAX_HEIGHT / 2, p.blockCount, WIDTH, MAX_HEIGHT);
      steps.push(view);
      for (let k = 0; k < 10; k++) steps.push((view = panRows(view, 7, p.blockCount, WIDTH, MAX_HEIGHT)));
    }
    for (let z = -5; z < fit; z++) steps.push((view = zoomAround(view, 1, Math.floor(p.blockCount * 0.6), MAX_HEIGHT / 2, p.blockCount, WIDTH, MAX_HEIGHT)));
    const renderTimes: number[] = [];
    const frameGaps: number[] = [];
    let last = await nextFrame();
    for (const v of steps) {
      const t0 = performance.now();
      renderHeatmap(p, layoutFor(v, WIDTH, MAX_HEIGHT), lut, pixels);
      ctx.putImageData(image, 0, 0);
      renderTimes.push(performance.now() - t0);
      const now = await nextFrame();
      frameGaps.push(now - last);
      last = now;
    }
    return { render: stats(renderTimes), frameInterval: stats(frameGaps) };
  },

  changedSince(iterations: number) {
    const p = pyramid!;
    const geometry = { blockSizeBytes: 65536, deviceCapacityBytes: p.blockCount * 65536 };
    const times: number[] = [];
    let blocks = 0;
    for (let i = 0; i < iterations; i++) {
      const t0 = performance.now();
      blocks = changedSince(p, i % 40, geometry).blocks;
      times.push(performance.now() - t0);
    }
    const scanTimes: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      scanChangedSince(map!, i % 40, 65536);
      scanTimes.push(performance.now() - t0);
    }
    return { histogram: stats(times), fullScanSharedCbt: stats(scanTimes), lastBlocks: blocks };
  },

  /** The real EventsView fed 10,000 events/s in 50 ms batches; the longest main-thread stall. */
  async eventStream(seconds: number, eventsPerSecond: number, filterKind: string | null, mount = true) {
    document.body.innerHTML = '<div id="root"></div>';
    const store = createAppStore();
    const client = createFakeClient({ live: false, empty: true });
    if (mount) createRoot(document.getElementById('root')!).render(
      <ApiContext.Provider value={client}><StoreProvider store={store}><EventsView /></StoreProvider></ApiContext.Provider>,
    );
    await nextFrame();
    const longTasks: number[] = [];
    const longTaskAt: string[] = [];
    let streamStart = 0;
    let mountTaskMs = 0;
    const observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        // Tasks before the stream started are the view's first mount, reported apart.
        if (streamStart === 0 || e.startTime < streamStart) {
          mountTaskMs = Math.max(mountTaskMs, e.duration);
          continue;
        }
        longTasks.push(e.duration);
        longTaskAt.push(`${Math.round(e.startTime - streamStart)}ms+${Math.round(e.duration)}`);
      }
    });
    try { observer.observe({ type: 'longtask', buffered: false }); } catch { /* not supported */ }
    const kinds = ['corrupted', 'no_space', 'low_free_space', 'stretch', 'workload'];
    let seq = 0;
    const batch = Math.round(eventsPerSecond / 20);
    const make = (): AppEvent => {
      const kind = kinds[seq % kinds.length]!;
      return { seq: seq++, timeMs: Date.now(), source: seq % 3 ? 'app' : 'module', level: kind === 'corrupted' ? 'error' : 'info', kind, snapshotId: null, device: `/dev/emu${seq % 4}`, message: `event ${seq}: ${kind} on /dev/emu${seq % 4}`, module: null };
    };
    store.getState().appendEvents(Array.from({ length: batch }, make));
    await nextFrame();
    if (filterKind && mount) {
      const select = document.getElementById('filter-kind') as HTMLSelectElement;
      select.value = filterKind;
      select.dispatchEvent(new Event('change', { bubbles: true }));
    }
    const gaps: number[] = [];
    streamStart = performance.now();
    let last = performance.now();
    let running = true;
    const tick = (now: number) => { gaps.push(now - last); last = now; if (running) requestAnimationFrame(tick); };
    requestAnimationFrame(tick);
    const appendTimes: number[] = [];
    const timer = setInterval(() => {
      const events = Array.from({ length: batch }, make);
      const t0 = performance.now();
      store.getState().appendEvents(events);
      appendTimes.push(performance.now() - t0);
    }, 50);
    await new Promise((r) => setTimeout(r, seconds * 1000));
    clearInterval(timer);
    running = false;
    await nextFrame();
    observer.disconnect();
    const shown = document.querySelectorAll('[role="row"]').length;
    return {
      events: seq, held: store.getState().eventLog.size, rowsInDom: shown,
      longestTaskMs: longTasks.length ? Math.max(...longTasks) : 0, longTasksOver50Ms: longTasks.filter((d) => d > 50).length, longTaskAt, mountTaskMs,
      frameInterval: stats(gaps), appendAndNotify: stats(appendTimes),
    };
  },
};

declare global {
  interface Window { __bench: typeof bench }
}
window.__bench = bench;
document.title = 'bench ready';
