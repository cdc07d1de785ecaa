// Cold start: from spawning `npm start -- --web` (and, for comparison, `node dist/web/main.mjs`)
// to the device list painted in Chromium, on an emulator directory with two devices. Chromium is
// already running (a user's browser is); the page opens the URL the server prints.
// Target (issue 16): ≤ 1.0 s. Prints figures; asserts nothing on time.
//   npm run bench -- cold-start [--runs=N]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmulator } from '../../electron/control/emulator';
import { childrenCpuMs, ensureBuilt, launchChromium, machine, ms, option, report, ROOT, stats } from './_app';

const RUNS = option('runs', 7);

/** cpu: user + system time of the started processes (npm, node) from spawn until they stopped. */
interface Timing { url: number; painted: number; cpu: number }

async function once(command: string[], stateDir: string, page: import('@playwright/test').Page): Promise<Omit<Timing, 'cpu'>> {
  const t0 = performance.now();
  const child = spawn(command[0]!, [...command.slice(1), '--web', '--no-open', '--port', '0', '--emulator-dir', stateDir], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' },
    // Its own process group: npm runs node, which may run node again; all of them stop together.
    detached: true,
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    let output = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL within 30 s:\n${output}`)), 30_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const m = /(http:\/\/127\.0\.0\.1:\d+\/\S*token=[A-Za-z0-9_-]+)/.exec(output);
        if (m?.[1]) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', (code) => reject(new Error(`exited (${code}) before printing a URL:\n${output}`)));
    });
    const tUrl = performance.now() - t0;
    await page.goto(url, { waitUntil: 'commit' });
    await page.getByText('/dev/bench1', { exact: true }).first().waitFor();
    // Painted: the frame that shows the list has run.
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0))));
    return { url: tUrl, painted: performance.now() - t0 };
  } finally {
    process.kill(-child.pid!, 'SIGTERM');
    await exited;
    // The group's last process is gone when signalling it fails.
    for (let i = 0; i < 100; i++) {
      try {
        process.kill(-child.pid!, 0);
      } catch {
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

async function main(): Promise<void> {
  ensureBuilt();
  const stateDir = mkdtempSync(join(tmpdir(), 'blksnap-bench-start-'));
  const emu = await createEmulator({ stateDir });
  await emu.createDevice('bench0', 2 ** 30);
  await emu.createDevice('bench1', 2 ** 30);
  await emu.attach('/dev/bench0');
  await emu.close();
  const browser = await launchChromium();
  try {
    console.log(`Chromium ${browser.version()}; ${machine()}`);
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const variants: [string, string[]][] = [
      ['npm start -- --web', [npm, 'start', '--silent', '--']],
      ['node dist/web/main.mjs', [process.execPath, join(ROOT, 'dist/web/main.mjs')]],
    ];
    for (const [name, command] of variants) {
      const timings: Timing[] = [];
      for (let i = 0; i < RUNS + 1; i++) {
        const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
        const page = await context.newPage();
        const cpu0 = childrenCpuMs();
        const t: Timing = { ...(await once(command, stateDir, page)), cpu: NaN };
        t.cpu = childrenCpuMs() - cpu0;
        await context.close();
        if (i > 0) timings.push(t); // the first run warms the file cache
      }
      const painted = stats(timings.map((t) => t.painted));
      const url = stats(timings.map((t) => t.url));
      console.log(`\n${name}: spawn → device list painted (${RUNS} runs after one warm-up)`);
      report('p50', painted.p50, 1000, ms);
      console.log(`  p95 ${ms(painted.p95)}; of which spawn → URL printed p50 ${ms(url.p50)}, URL → painted p50 ${ms(painted.p50 - url.p50)}`);
      console.log(`  CPU time of the started processes (user + system, spawn until stopped, p50): ${ms(stats(timings.map((t) => t.cpu)).p50)} — on a busy machine the wall time is mostly waiting for a core`);
    }
  } finally {
    await browser.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
