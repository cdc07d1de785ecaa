// New map → pixels in the app: click "Reload map" on a device page and time until the heatmap
// canvas holds the new map's pixels (putImageData done), through the real service, web server,
// WebSocket, decoding, pyramid and render of the built app in Chromium. Two 2,097,152-block
// maps: "busy" (~1M changed blocks in runs) and "dense" (every block a random change number).
// The page asks for the level it draws first and the map itself after it; the time until the
// map is there too (tooltips, selection, finer zoom) is printed beside, and each run waits for it.
// Target (issue 16): p50 ≤ 20 ms, p95 ≤ 50 ms. Prints figures; asserts nothing on time.
//   npm run bench -- map-to-pixels [--runs=N]
import { execFileSync } from 'node:child_process';
import { seededRandom } from '../../shared/random';
import { launchChromium, machine, mainThreadTasks, MAP_BLOCKS, MAP_DEVICE_BYTES, ms, option, patchMap, report, startApp, stats } from './_app';

const RUNS = option('runs', 30);
const uptime = () => execFileSync('uptime', { encoding: 'utf8' }).trim();
const WARMUP = 5;

function busyMap(): Uint8Array {
  const random = seededRandom(16);
  const map = new Uint8Array(MAP_BLOCKS);
  let at = 0;
  let changed = 0;
  while (at < MAP_BLOCKS) {
    const run = 1 + Math.floor(random() * 2048);
    const gap = 1 + Math.floor(random() * 2048);
    map.fill(1 + Math.floor(random() * 255), at, Math.min(MAP_BLOCKS, at + run));
    changed += Math.min(run, MAP_BLOCKS - at);
    at += run + gap;
  }
  if (changed < MAP_BLOCKS / 3) throw new Error('busy map generator made too few changes');
  return map;
}

function denseMap(): Uint8Array {
  const random = seededRandom(17);
  return Uint8Array.from({ length: MAP_BLOCKS }, () => Math.floor(random() * 256));
}

/**
 * Runs in the page before the app: every putImageData on the heatmap canvas calls __onPut and
 * notes its time; every binary WebSocket frame (a CBT map travels as one) is counted, so a run
 * only counts pixels drawn after its own map arrived.
 */
const PUT_PROBE = `
  window.__binaryFrames = 0;
  window.__lastPut = 0;
  const put = CanvasRenderingContext2D.prototype.putImageData;
  CanvasRenderingContext2D.prototype.putImageData = function (...args) {
    put.apply(this, args);
    if (!this.canvas.classList.contains('heatmap-canvas')) return;
    window.__lastPut = performance.now();
    if (window.__onPut) window.__onPut();
  };
  const onmessage = Object.getOwnPropertyDescriptor(WebSocket.prototype, 'onmessage');
  Object.defineProperty(WebSocket.prototype, 'onmessage', {
    get() { return onmessage.get.call(this); },
    set(fn) {
      onmessage.set.call(this, fn && ((ev) => { if (typeof ev.data !== 'string') window.__binaryFrames++; fn(ev); }));
    },
  });
`;

type Probe = { __onPut?: (() => void) | null; __binaryFrames: number; __lastPut: number };

/**
 * In the page: clicks "Reload map" and resolves with the times (ms from the click) of the new
 * pixels, the frame after them and the map itself attached (the canvas's data-whole-map turning
 * true again after the new pixels). Plain JavaScript in a string: tsx's helpers (__name) do not
 * exist in the page.
 */
const RELOAD = `new Promise((resolve, reject) => {
  const button = [...document.querySelectorAll('button')].find((b) => /reload map/i.test(b.textContent || ''));
  const canvas = document.querySelector('canvas.heatmap-canvas');
  if (!button || !canvas) return reject(new Error('no "Reload map" button or no heatmap canvas'));
  const timer = setTimeout(() => reject(new Error('no new pixels and map within 10 s')), 10000);
  const start = performance.now();
  const frames = window.__binaryFrames;
  let put = NaN, frame = NaN, whole = NaN;
  const observer = new MutationObserver(() => {
    if (Number.isNaN(put) || !Number.isNaN(whole) || canvas.dataset.wholeMap === 'false') return;
    whole = performance.now() - start;
    finish();
  });
  function finish() {
    if (Number.isNaN(frame) || Number.isNaN(whole)) return;
    clearTimeout(timer);
    observer.disconnect();
    resolve({ put, frame, whole });
  }
  observer.observe(canvas, { attributes: true, attributeFilter: ['data-whole-map'] });
  window.__onPut = () => {
    if (window.__binaryFrames === frames) return; // a redraw of the old map
    put = performance.now() - start;
    window.__onPut = null;
    if (canvas.dataset.wholeMap !== 'false') whole = put;
    // The frame that shows them: the next animation frame callback runs before its paint.
    requestAnimationFrame(() => setTimeout(() => { frame = performance.now() - start; finish(); }, 0));
  };
  button.click();
})`;

async function main(): Promise<void> {
  const maps = { busy: busyMap(), dense: denseMap() };
  const app = await startApp(async (emu, stateDir) => {
    for (const name of Object.keys(maps)) {
      await emu.createDevice(name, MAP_DEVICE_BYTES);
      await emu.attach(`/dev/${name}`);
    }
    await emu.close();
    for (const [name, values] of Object.entries(maps)) patchMap(stateDir, name, values);
  });
  const browser = await launchChromium();
  try {
    console.log(`Chromium ${browser.version()}; ${machine()}; uptime: ${uptime()}`);
    console.log(`click "Reload map" → heatmap canvas holds the new pixels; ${RUNS} runs after ${WARMUP} warm-up, 2,097,152-block maps`);
    for (const [name, values] of Object.entries(maps)) {
      const changed = values.reduce((n, v) => n + (v !== 0 ? 1 : 0), 0);
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      page.on('pageerror', (e) => console.error('page error:', e.message));
      await page.addInitScript(PUT_PROBE);
      await page.goto(`${app.url}#/devices/${encodeURIComponent(`/dev/${name}`)}`);
      await page.locator('canvas.heatmap-canvas').waitFor();
      // The first draws of the page are done when no pixels came for 500 ms.
      await page.waitForFunction(() => {
        const w = window as unknown as Probe;
        return w.__lastPut > 0 && performance.now() - w.__lastPut > 500;
      }, undefined, { polling: 100 });
      const toPut: number[] = [];
      const toFrame: number[] = [];
      const toWhole: number[] = [];
      let cpuFrom = process.cpuUsage();
      for (let i = 0; i < WARMUP + RUNS; i++) {
        if (i === WARMUP) {
          await browser.startTracing(page, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'] });
          cpuFrom = process.cpuUsage();
        }
        const t = await page.evaluate(RELOAD) as { put: number; frame: number; whole: number };
        if (i >= WARMUP) {
          toPut.push(t.put);
          toFrame.push(t.frame);
          toWhole.push(t.whole);
        }
        await page.waitForTimeout(50);
      }
      const serverCpu = process.cpuUsage(cpuFrom);
      const tasks = mainThreadTasks(await browser.stopTracing());
      await page.close();
      const pageCpu = tasks.reduce((sum, t) => sum + (Number.isNaN(t.cpuMs) ? 0 : t.cpuMs), 0);
      const s = stats(toPut);
      const f = stats(toFrame);
      console.log(`\n${name} map (${changed.toLocaleString('en-US')} changed blocks): click → pixels in the canvas`);
      report('p50', s.p50, 20, ms);
      report('p95', s.p95, 50, ms);
      console.log(`  max ${ms(s.max)}; click → the frame after (painted): p50 ${ms(f.p50)}, p95 ${ms(f.p95)}`);
      const whole = stats(toWhole);
      console.log(`  click → the map itself attached (tooltips, selection, finer zoom): p50 ${ms(whole.p50)}, p95 ${ms(whole.p95)}`);
      console.log(`  CPU time per reload: the page's main thread ${ms(pageCpu / RUNS)}, this process (service, web server, driver) ${ms((serverCpu.user + serverCpu.system) / 1000 / RUNS)}; the rest of the wall time is waiting (for a core, or between processes)`);
    }
    console.log(`\nuptime at the end: ${uptime()}`);
  } finally {
    await browser.close();
    await app.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
