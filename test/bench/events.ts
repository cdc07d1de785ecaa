// Events through the real transport into the events view: the service emits 10,000 events/s for
// 60 s, pushed in batches over the WebSocket to the built app in Chromium showing the Events
// view, unfiltered and filtered by kind. Then a session that sees 20,000 distinct snapshot ids.
// Targets (issue 16): no main-thread task over 50 ms (the forced GC of the heap figure is left
// out); p99 frame gap (≤ 33.4 ms: no more than one frame missed in a row); JS heap after GC at
// 10 s and 60 s (the held ring is bounded, so it must not grow); per-batch cost with 20,000
// snapshot ids no larger than at the start.
//   npm run bench -- events [--seconds=60] [--rate=10000]
import { randomUUID } from 'node:crypto';
import type { Page } from '@playwright/test';
import { FRAME_PROBE, launchChromium, machine, mainThreadTasks, mib, ms, option, report, startApp, stats, type RunningApp } from './_app';

const SECONDS = option('seconds', 60);
const RATE = option('rate', 10_000);
const IDS = 20_000;

/** Long tasks (the Long Tasks API reports tasks over 50 ms) and the cost of each pushed frame. */
const PROBES = `${FRAME_PROBE}
  window.__longTasks = [];
  new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__longTasks.push([e.startTime, e.duration]); })
    .observe({ type: 'longtask', buffered: true });
  window.__frameCost = [];
  const onmessage = Object.getOwnPropertyDescriptor(WebSocket.prototype, 'onmessage');
  Object.defineProperty(WebSocket.prototype, 'onmessage', {
    get() { return onmessage.get.call(this); },
    set(fn) {
      onmessage.set.call(this, fn && ((ev) => {
        const t = performance.now();
        fn(ev);
        // Decoding, the store append and what React does synchronously for it (its microtasks).
        queueMicrotask(() => queueMicrotask(() => window.__frameCost.push([t, performance.now() - t])));
      }));
    },
  });
`;

interface Probe { __frames: number[]; __longTasks: [number, number][]; __frameCost: [number, number][] }

const KINDS = ['write', 'read', 'corrupted'] as const;
const DEVICES = ['/dev/vda', '/dev/vdb', '/dev/vdc', '/dev/vdd'];

/** Emits `rate` events/s for `seconds` from the service; `snapshotIdOf(i)` names each one's snapshot. */
async function stream(app: RunningApp, rate: number, seconds: number, snapshotIdOf: (i: number) => string | null, at?: { ms: number; run: () => Promise<void> }): Promise<number> {
  const total = Math.round(rate * seconds);
  const started = performance.now();
  let emitted = 0;
  let pending: Promise<void> | null = null;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate));
      for (; emitted < due; emitted++) {
        const kind = KINDS[emitted % 100 === 0 ? 2 : emitted % 10 === 0 ? 1 : 0]!;
        app.service.emitAppEvent({
          source: 'app', level: kind === 'corrupted' ? 'error' : 'info', kind,
          message: `bench event ${emitted}: ${kind} of 4096 bytes at sector ${emitted * 8}`,
          device: DEVICES[emitted % DEVICES.length]!, snapshotId: snapshotIdOf(emitted),
        });
      }
      if (at && !pending && performance.now() - started >= at.ms) pending = at.run();
      if (emitted >= total) resolve();
      else setTimeout(tick, 5);
    };
    tick();
  });
  await pending;
  return emitted;
}

/** JS heap after a forced GC, and when (page time) the GC ran: its pause is the bench's, not the app's. */
async function heapAfterGc(page: Page): Promise<{ bytes: number; from: number; to: number }> {
  const cdp = await page.context().newCDPSession(page);
  const from = await page.evaluate(() => performance.now());
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = await cdp.send('Runtime.getHeapUsage');
  const to = await page.evaluate(() => performance.now());
  await cdp.detach();
  return { bytes: usedSize, from, to };
}

async function openEvents(app: RunningApp, page: Page): Promise<void> {
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.addInitScript(PROBES);
  await page.goto(`${app.url}#/events`);
  await page.getByRole('heading', { name: 'Events', level: 1 }).waitFor();
}

async function main(): Promise<void> {
  const app = await startApp(undefined, 10_000);
  const browser = await launchChromium();
  try {
    console.log(`Chromium ${browser.version()}; ${machine()}`);
    for (const filter of [null, 'corrupted'] as const) {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      await openEvents(app, page);
      if (filter) {
        // One event of each kind first, so that the filter menu offers them.
        await stream(app, 1000, 0.1, () => null);
        await page.getByLabel('Kind').selectOption(filter);
      }
      await page.waitForTimeout(500);
      const t0 = await page.evaluate(() => performance.now());
      let heap10 = { bytes: 0, from: 0, to: 0 };
      const emitted = await stream(app, RATE, SECONDS, (i) => (i % 7 === 0 ? '3f2b8e1c-0a4d-4f6e-9b1a-2c3d4e5f6a7b' : null), {
        ms: Math.min(10_000, SECONDS * 1000 / 2),
        run: async () => {
          heap10 = await heapAfterGc(page);
          // From here to the end, a trace tells a task's CPU time from its wait for a core.
          await browser.startTracing(page, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'] });
        },
      });
      const traced = mainThreadTasks(await browser.stopTracing());
      await page.waitForTimeout(1000);
      const heapEnd = await heapAfterGc(page);
      const probe = await page.evaluate(() => {
        const w = window as unknown as Probe;
        return { frames: w.__frames, longTasks: w.__longTasks, cost: w.__frameCost, rows: document.querySelectorAll('.event-list [role=row]').length };
      });
      await page.close();
      // The stream's window, without the forced GC at 10 s.
      const during = (t: number) => t >= t0 && t <= t0 + SECONDS * 1000 && (t < heap10.from - 50 || t > heap10.to);
      const frameGaps = stats(probe.frames.slice(1).flatMap((t, i) => (during(t) && during(probe.frames[i]!) ? [t - probe.frames[i]!] : [])));
      const long = probe.longTasks.filter(([t]) => during(t));
      const cost = stats(probe.cost.filter(([t]) => during(t)).map(([, c]) => c));
      console.log(`\n${RATE.toLocaleString('en-US')} events/s for ${SECONDS} s into the events view${filter ? `, filtered by kind = ${filter}` : ', unfiltered'} (${emitted.toLocaleString('en-US')} events, ${probe.rows} rows in the DOM)`);
      report('main-thread tasks over 50 ms', long.length, 0, (v) => String(v));
      const overCpu = traced.filter((x) => x.cpuMs > 50);
      console.log(`  traced from ${Math.min(10, SECONDS / 2)} s to the end: ${traced.filter((x) => x.ms > 50).length} tasks over 50 ms of wall time, ${overCpu.length} over 50 ms of CPU time (longest ${ms(Math.max(0, ...traced.map((x) => x.cpuMs).filter((v) => !Number.isNaN(v))))} CPU); the rest of a long task waited for a core`);
      // At 60 Hz a gap is a whole number of 16.7 ms frames: p99 within two frames (one missed at most).
      report('p99 frame gap', frameGaps.p99, 33.4, ms);
      console.log(`  frame gap p50 ${ms(frameGaps.p50)}, max ${ms(frameGaps.max)}; longest task ${long.length ? ms(Math.max(...long.map(([, d]) => d))) : 'under 50 ms'}`);
      console.log(`  per pushed frame (decode, store, React's synchronous part): p50 ${ms(cost.p50)}, p95 ${ms(cost.p95)}, max ${ms(cost.max)} (${cost.n} frames)`);
      console.log(`  JS heap after GC: ${mib(heap10.bytes)} at ${Math.min(10, SECONDS / 2)} s, ${mib(heapEnd.bytes)} at ${SECONDS} s`);
      report(`heap growth ${Math.min(10, SECONDS / 2)} s → ${SECONDS} s`, heapEnd.bytes / heap10.bytes, 1.1, (v) => `${v.toFixed(2)}×`);
    }

    // 20,000 distinct snapshot ids: each event names a new one.
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await openEvents(app, page);
    await page.waitForTimeout(500);
    const t0 = await page.evaluate(() => performance.now());
    const seconds = 10;
    const ids = Array.from({ length: IDS }, () => randomUUID());
    await stream(app, IDS / seconds, seconds, (i) => ids[i] ?? null);
    await page.waitForTimeout(1000);
    const probe = await page.evaluate(() => {
      const w = window as unknown as Probe;
      return { cost: w.__frameCost, longTasks: w.__longTasks, options: document.querySelectorAll('#filter-snapshot option').length - 1 };
    });
    await page.close();
    const window = (from: number, to: number) => stats(probe.cost.filter(([t]) => t >= t0 + from && t < t0 + to).map(([, c]) => c));
    const first = window(0, 2000);
    const last = window((seconds - 2) * 1000, seconds * 1000);
    console.log(`\n${IDS.toLocaleString('en-US')} distinct snapshot ids in ${seconds} s (${IDS / seconds}/s); ${probe.options.toLocaleString('en-US')} options rendered in the closed snapshot menu`);
    console.log(`  per pushed frame, first 2 s: p50 ${ms(first.p50)}, p95 ${ms(first.p95)}; last 2 s: p50 ${ms(last.p50)}, p95 ${ms(last.p95)}`);
    report('per-batch cost growth (p95 last 2 s / first 2 s)', last.p95 / first.p95, 1.5, (v) => `${v.toFixed(2)}×`);
    report('main-thread tasks over 50 ms', probe.longTasks.filter(([t]) => t >= t0).length, 0, (v) => String(v));
  } finally {
    await browser.close();
    await app.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
