// Zoom and pan of the heatmap in the app: the device page of a dense 2,097,152-block map in the
// built app (React, HeatmapCanvas and all), with wheel steps and a mouse drag dispatched to the
// canvas at 60 Hz for 5 s each. Measures the frame interval (requestAnimationFrame) and the
// main-thread task lengths from a Chromium trace.
// Target (issue 16): p99 frame interval ≤ 17 ms; p95 main-thread task ≤ 16.7 ms.
//   npm run bench -- zoom-pan [--seconds=N]
import { seededRandom } from '../../shared/random';
import { FRAME_PROBE, gaps, launchChromium, machine, mainThreadTasks, MAP_BLOCKS, MAP_DEVICE_BYTES, ms, option, patchMap, report, startApp, stats } from './_app';

const SECONDS = option('seconds', 5);

/**
 * In the page: 60 Hz input on the heatmap canvas for `seconds`; resolves with the frame times.
 * Plain JavaScript in a string: tsx's helpers (__name) do not exist in the page.
 */
const DRIVE = `async ([kind, seconds]) => {
  const canvas = document.querySelector('canvas.heatmap-canvas');
  if (!(canvas instanceof HTMLCanvasElement)) throw new Error('no heatmap canvas');
  const rect = canvas.getBoundingClientRect();
  const x = rect.left + rect.width / 2;
  const y0 = rect.top + rect.height / 2;
  const firstFrame = window.__frames.length;
  const at = (y) => ({ clientX: x, clientY: y, bubbles: true, cancelable: true, view: window });
  let step = 0;
  if (kind === 'drag') canvas.dispatchEvent(new MouseEvent('mousedown', { ...at(y0), button: 0 }));
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      step++;
      if (kind === 'wheel') {
        // In by ten steps, out by ten, around the middle of the canvas.
        const deltaY = Math.floor(step / 10) % 2 === 0 ? -100 : 100;
        canvas.dispatchEvent(new WheelEvent('wheel', { ...at(y0), deltaY }));
      } else {
        canvas.dispatchEvent(new MouseEvent('mousemove', at(y0 + Math.sin(step / 15) * rect.height * 0.4)));
      }
      if (step >= seconds * 60) {
        clearInterval(timer);
        if (kind === 'drag') canvas.dispatchEvent(new MouseEvent('mouseup', at(y0)));
        setTimeout(() => resolve(window.__frames.slice(firstFrame)), 100);
      }
    }, 1000 / 60);
  });
}`;

async function main(): Promise<void> {
  const random = seededRandom(18);
  const map = Uint8Array.from({ length: MAP_BLOCKS }, () => Math.floor(random() * 256));
  const app = await startApp(async (emu, stateDir) => {
    await emu.createDevice('dense', MAP_DEVICE_BYTES);
    await emu.attach('/dev/dense');
    await emu.close();
    patchMap(stateDir, 'dense', map);
  });
  const browser = await launchChromium();
  try {
    console.log(`Chromium ${browser.version()}; ${machine()}`);
    for (const kind of ['wheel', 'drag'] as const) {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      page.on('pageerror', (e) => console.error('page error:', e.message));
      await page.addInitScript(FRAME_PROBE);
      await page.goto(`${app.url}#/devices/${encodeURIComponent('/dev/dense')}`);
      await page.locator('canvas.heatmap-canvas').waitFor();
      await page.waitForTimeout(1000);
      if (kind === 'drag') {
        // Zoomed in, so that there is something to scroll.
        await page.evaluate(() => document.querySelector<HTMLButtonElement>('button[aria-label="Zoom in"]')?.click());
        await page.waitForTimeout(300);
      }
      await browser.startTracing(page, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'] });
      const frames = await page.evaluate(`(${DRIVE})(${JSON.stringify([kind, SECONDS])})`) as number[];
      const tasks = mainThreadTasks(await browser.stopTracing());
      // The canvas's attributes follow the view once the gesture settles (150 ms after the last step).
      await page.waitForTimeout(300);
      const zoom = await page.locator('canvas.heatmap-canvas').getAttribute('data-zoom');
      await page.close();
      const f = stats(gaps(frames));
      const t = stats(tasks.map((x) => x.ms));
      console.log(`\n${kind === 'wheel' ? 'wheel zoom in and out' : 'drag scroll'} at 60 Hz for ${SECONDS} s (${f.n} frames, ${t.n} main-thread tasks; zoom ${zoom} at the end)`);
      report('p99 frame interval', f.p99, 17, ms);
      report('p95 main-thread task', t.p95, 16.7, ms);
      console.log(`  frame interval p50 ${ms(f.p50)}, max ${ms(f.max)}; tasks over 16.7 ms: ${tasks.filter((x) => x.ms > 16.7).length}, longest ${ms(t.max)}`);
      const cpu = stats(tasks.map((x) => x.cpuMs).filter((v) => !Number.isNaN(v)));
      if (cpu.n > 0) console.log(`  the same tasks' CPU time (the rest is waiting for a core): p95 ${ms(cpu.p95)}, over 16.7 ms: ${tasks.filter((x) => x.cpuMs > 16.7).length}, longest ${ms(cpu.max)}`);
    }
  } finally {
    await browser.close();
    await app.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
