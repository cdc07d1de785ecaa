// Renderer benchmark: `npx tsx test/bench/renderer.ts`. Builds the renderer with its bench page,
// serves it on 127.0.0.1 and drives Debian's Chromium. Prints figures; asserts nothing on time.
// Targets (issue 6): full render of a 2,097,152-block map ≤ 8 ms/frame; zoom/pan at 60 fps;
// changed-since-N ≤ 2 ms; no main-thread stall over 50 ms under 10,000 events/s.
import { chromium } from '@playwright/test';
import { buildRenderer, serveDir } from './_rendererBuild';

const OUT = '/tmp/blksnap-renderer-bench';
const BLOCKS = 2_097_152;

const f = (ms: number) => `${ms.toFixed(2)} ms`;
type Stats = { frames: number; meanMs: number; p50Ms: number; p95Ms: number; maxMs: number };
const line = (s: Stats) => `mean ${f(s.meanMs)}, p50 ${f(s.p50Ms)}, p95 ${f(s.p95Ms)}, max ${f(s.maxMs)} (${s.frames} samples)`;

async function main() {
  const t0 = Date.now();
  await buildRenderer(OUT);
  console.log(`built renderer in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const { url, server } = await serveDir(OUT);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on('pageerror', (e) => console.error('page error:', e.message));
    await page.goto(`${url}/dev/bench.html`);
    await page.waitForFunction(() => document.title === 'bench ready');
    const { cpus, loadavg } = await import('node:os');
    console.log(`Chromium ${browser.version()}, ${BLOCKS.toLocaleString('en-US')}-block map; ${cpus().length} CPUs, load average ${loadavg()[0]!.toFixed(1)} (other work on the machine adds noise)\n`);

    const prep = await page.evaluate((n) => window.__bench.prepare(n), BLOCKS);
    console.log(`LOD pyramid + histogram build (once per map read, ${prep.levels} levels): ${line(prep.pyramidBuild)}`);

    await page.evaluate(() => window.__bench.fullRender(10));
    const full = await page.evaluate(() => window.__bench.fullRender(120));
    console.log(`full render, whole map on ${full.widthPx}×${full.heightPx} px (${full.blocksPerPixel} blocks/px): ${line(full)}   [target ≤ 8 ms]`);

    const zp = await page.evaluate(() => window.__bench.zoomPan());
    console.log(`zoom/pan frames, render: ${line(zp.render)}`);
    console.log(`zoom/pan frames, rAF interval: ${line(zp.frameInterval)}   [60 fps = 16.7 ms]`);

    const cs = await page.evaluate(() => window.__bench.changedSince(2000));
    console.log(`changed-since-N summary (histogram): ${line(cs.histogram)}   [target ≤ 2 ms]`);
    console.log(`  for comparison, a full scan of the map (shared/cbt changedSince): ${line(cs.fullScanSharedCbt)}`);

    for (const filter of [null, 'corrupted']) {
      // A fresh page per run: no heap left over from the map or the previous run.
      const evPage = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      await evPage.goto(`${url}/dev/bench.html`);
      await evPage.waitForFunction(() => document.title === 'bench ready');
      const ev = await evPage.evaluate(([kind]) => window.__bench.eventStream(5, 10_000, kind), [filter] as const);
      await evPage.close();
      console.log(`events view, 10,000 events/s for 5 s${filter ? `, filtered by kind=${filter}` : ''}: ${ev.events.toLocaleString('en-US')} events, ${ev.held.toLocaleString('en-US')} held, ${ev.rowsInDom} rows in the DOM`);
      console.log(`  longest main-thread task while streaming ${f(ev.longestTaskMs)}, tasks over 50 ms: ${ev.longTasksOver50Ms}   [target: none]; first mount of the view: ${f(ev.mountTaskMs)}`);
      if (process.env.BENCH_VERBOSE) console.log(`  long tasks (start since stream start + duration): ${ev.longTaskAt.join(', ')}`);
      console.log(`  rAF interval: ${line(ev.frameInterval)}`);
      console.log(`  append + store notify per 500-event batch: ${line(ev.appendAndNotify)}`);
    }
  } finally {
    await browser.close();
    server.close();
  }
}

await main();
