// Helpers of the app benchmarks (files starting with _ are not benchmarks): the built app served
// by the real service and web server in this process, Debian's Chromium, percentiles, and one
// way of printing a figure with its target and ratio. Nothing here asserts on time.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, closeSync, rmSync, writeSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser } from '@playwright/test';
import { createEmulator, type Emulator } from '../../electron/control/emulator';
import { createService, type BlksnapService } from '../../electron/service';
import { startWebServer, type WebServer } from '../../electron/web/server';

export const ROOT = resolve(import.meta.dirname, '../..');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** 128 GiB at 64 KiB per block: the largest map the module keeps (tracking_block_maximum_count). */
export const MAP_BLOCKS = 2_097_152;
export const MAP_DEVICE_BYTES = MAP_BLOCKS * 65_536;

/** `--name=value` from the command line (npm run bench -- --seconds=10). */
export function option(name: string, fallback: number): number {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  const value = arg ? Number(arg.slice(name.length + 3)) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name}= needs a positive number`);
  return value;
}

/** Builds dist/ (the app as `npm start` serves it) when a source is newer than the last build. */
export function ensureBuilt(): void {
  const r = spawnSync(process.execPath, [join(ROOT, 'build/build.mjs'), '--if-needed'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error('node build/build.mjs failed');
}

export interface Stats { n: number; mean: number; p50: number; p95: number; p99: number; max: number }

export function stats(values: readonly number[]): Stats {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  const mean = sorted.reduce((s, v) => s + v, 0) / Math.max(1, sorted.length);
  return { n: sorted.length, mean, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: sorted.at(-1) ?? NaN };
}

export const ms = (v: number): string => `${v.toFixed(v < 10 ? 2 : 1)} ms`;
export const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/**
 * One figure against its target: "name: 12.3 ms   target ≤ 20 ms   ratio 0.62 (met)".
 * `atMost`: the figure should be ≤ target (ratio figure/target ≤ 1); else ≥ (ratio ≥ 1).
 */
export function report(name: string, figure: number, target: number, unit: (v: number) => string, atMost = true): void {
  const ratio = figure / target;
  const met = atMost ? figure <= target : figure >= target;
  console.log(`  ${name}: ${unit(figure)}   target ${atMost ? '≤' : '≥'} ${unit(target)}   ratio ${Number.isFinite(ratio) ? ratio.toFixed(2) : '–'} (${met ? 'met' : 'MISSED'})`);
}

export function machine(): string {
  const cpu = cpus();
  return `${cpu.length} × ${cpu[0]?.model.trim() ?? 'CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, load average ${loadavg()[0]!.toFixed(1)} (shared machine: figures are noisy)`;
}

export async function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install chromium, or set CHROMIUM_PATH`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', ...extraArgs],
  });
}

export interface RunningApp {
  /** The page URL with its token (as `npm start` prints it). */
  url: string;
  service: BlksnapService;
  emulator: Emulator;
  server: WebServer;
  stateDir: string;
  close(): Promise<void>;
}

/**
 * The built app served as web mode serves it: emulator → service → web server, in this process.
 * `prepare` runs on a first emulator instance that is then closed, so files it leaves (devices,
 * maps patched by `patchMap`) are what the served emulator opens.
 */
export async function startApp(prepare?: (emu: Emulator, stateDir: string) => Promise<void>, eventHistoryLength = 10_000): Promise<RunningApp> {
  ensureBuilt();
  const stateDir = mkdtempSync(join(tmpdir(), 'blksnap-bench-app-'));
  if (prepare) {
    const first = await createEmulator({ stateDir });
    await prepare(first, stateDir);
    await first.close();
  }
  const emulator = await createEmulator({ stateDir });
  const service = createService(emulator, { dataDir: null, eventHistoryLength });
  const server = await startWebServer({ service, staticDir: process.env.BENCH_STATIC_DIR ?? join(ROOT, 'dist/renderer') });
  return {
    url: server.url, service, emulator, server, stateDir,
    async close() {
      await server.close();
      await service.close();
      await emulator.close();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/**
 * Writes `values` as both maps of an emulated device's CBT map file (emulator closed), so a
 * benchmark can have a 2M-block map with any content without 255 takes. Layout: cbt-map.ts.
 */
export function patchMap(stateDir: string, name: string, values: Uint8Array): void {
  const fd = openSync(join(stateDir, 'cbt', `${name}.cbt`), 'r+');
  try {
    writeSync(fd, values, 0, values.length, 64);
    writeSync(fd, values, 0, values.length, 64 + values.length);
  } finally {
    closeSync(fd);
  }
}

/** Frame intervals from requestAnimationFrame, as a page script (string, runs in the page). */
export const FRAME_PROBE = `
  window.__frames = [];
  (function loop(t) { window.__frames.push(t); requestAnimationFrame(loop); })(performance.now());
`;

/** Gaps between consecutive entries of `times` (ms). */
export function gaps(times: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < times.length; i++) out.push(times[i]! - times[i - 1]!);
  return out;
}

interface TraceEvent { name: string; ph: string; ts: number; dur?: number; tdur?: number; pid: number; tid: number; args?: { name?: string } }

/**
 * Main-thread task lengths (ms) from a Chromium trace (categories devtools.timeline): the
 * RunTask slices of the page's renderer main thread (the CrRendererMain with the most tasks),
 * with the thread's CPU time in each (cpuMs; NaN where the trace has none): on a machine shared
 * with other work a task's wall time includes the time it waited for a core.
 */
export function mainThreadTasks(trace: Buffer): { startMs: number; ms: number; cpuMs: number }[] {
  const parsed = JSON.parse(trace.toString('utf8')) as { traceEvents: TraceEvent[] } | TraceEvent[];
  const events = Array.isArray(parsed) ? parsed : parsed.traceEvents;
  const mains = new Set(events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`));
  const byThread = new Map<string, { startMs: number; ms: number; cpuMs: number }[]>();
  for (const e of events) {
    if (e.name !== 'RunTask' || e.ph !== 'X' || e.dur === undefined) continue;
    const key = `${e.pid}:${e.tid}`;
    if (!mains.has(key)) continue;
    const list = byThread.get(key) ?? [];
    list.push({ startMs: e.ts / 1000, ms: e.dur / 1000, cpuMs: e.tdur === undefined ? NaN : e.tdur / 1000 });
    byThread.set(key, list);
  }
  let best: { startMs: number; ms: number; cpuMs: number }[] = [];
  for (const list of byThread.values()) if (list.length > best.length) best = list;
  return best;
}
