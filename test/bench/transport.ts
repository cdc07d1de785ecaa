// Transport benchmark (web mode): CBT map transfer over the WebSocket, and event push
// throughput. Prints figures; asserts nothing about wall time.
//   npx tsx test/bench/transport.ts [--seconds N] [--rate EVENTS_PER_SEC]
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { createEmulator } from '../../electron/control/emulator';
import { createService } from '../../electron/service';
import { startWebServer } from '../../electron/web/server';
import { createWsApi, type WebSocketCtor } from '../../renderer/api/ws';
import type { AppEvent } from '../../shared/contract';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} needs a positive number`);
  return value;
}

const seconds = flag('seconds', 60);
const rate = flag('rate', 10_000);
const MAP_BLOCKS = 2_097_152;
const BLOCK_BYTES = 65_536;

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const ms = (v: number) => `${v.toFixed(2)} ms`;
function stats(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { min: sorted[0]!, median: at(0.5), p95: at(0.95), max: sorted.at(-1)! };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'blksnap-bench-'));
  const staticDir = join(dir, 'static');
  const emu = await createEmulator({ stateDir: join(dir, 'state') });
  mkdirSync(staticDir);
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html>\n');
  const service = createService(emu, { dataDir: null, eventHistoryLength: 10_000 });
  const server = await startWebServer({ service, staticDir });
  const client = createWsApi({ url: `ws://127.0.0.1:${server.port}/ws`, token: server.token, WebSocketImpl: WebSocket as unknown as WebSocketCtor, reconnectDelayMs: 0 });
  await client.ready;
  console.log(`node ${process.version}, web mode on 127.0.0.1:${server.port}, emulator backend`);

  // --- CBT map transfer -------------------------------------------------------------------
  const device = await emu.createDevice('bench0', MAP_BLOCKS * BLOCK_BYTES);
  await emu.attach(device.path);
  for (let i = 0; i < 64; i++) await emu.write(device.path, i * 997 * BLOCK_BYTES, new Uint8Array(4096).fill(i));
  const info = await client.api.cbtInfo({ device: device.path });
  console.log(`\nCBT map: ${info.blockCount.toLocaleString('en-US')} blocks of ${info.blockSizeBytes / 1024} KiB (${mib(info.blockCount)} per map)`);
  const direct: number[] = [];
  const overWs: number[] = [];
  for (let i = 0; i < 25; i++) {
    let t = performance.now();
    await service.cbtMap({ device: device.path });
    direct.push(performance.now() - t);
    t = performance.now();
    const map = await client.api.cbtMap({ device: device.path });
    overWs.push(performance.now() - t);
    if (map.byteLength !== MAP_BLOCKS) throw new Error(`map of ${map.byteLength} bytes`);
  }
  const d = stats(direct.slice(5));
  const w = stats(overWs.slice(5));
  console.log(`  backend read (service.cbtMap, no transport): median ${ms(d.median)}, max ${ms(d.max)}`);
  console.log(`  sparse map (64 written regions; run-length encoded on the wire), Node client: min ${ms(w.min)}, median ${ms(w.median)}, p95 ${ms(w.p95)}, max ${ms(w.max)} (20 runs after 5 warm-up)`);
  // Worst case: 2 MiB that does not compress (random bytes, read back through emuRead).
  const noise = new Uint8Array(MAP_BLOCKS).map(() => Math.floor(Math.random() * 256));
  await emu.write(device.path, 0, noise);
  const noisy: number[] = [];
  for (let i = 0; i < 25; i++) {
    const t = performance.now();
    const bytes = await client.api.emuRead({ path: device.path, offsetBytes: 0, lengthBytes: MAP_BLOCKS });
    noisy.push(performance.now() - t);
    if (bytes.byteLength !== MAP_BLOCKS) throw new Error('short read');
  }
  const n = stats(noisy.slice(5));
  console.log(`  2 MiB incompressible (emuRead of random bytes), Node client: min ${ms(n.min)}, median ${ms(n.median)}, p95 ${ms(n.p95)}, max ${ms(n.max)}`);
  await inChromium(staticDir, server.url, device.path);

  // --- Event push throughput --------------------------------------------------------------
  const total = Math.round(rate * seconds);
  console.log(`\nEvents: ${rate.toLocaleString('en-US')} events/s for ${seconds} s (${total.toLocaleString('en-US')} events), pushed in ~50 ms batches`);
  let delivered = 0;
  let batches = 0;
  let maxLatency = 0;
  const batchLatencies: number[] = [];
  let maxBatch = 0;
  let lastSeq = 0;
  let outOfOrder = 0;
  client.push.subscribe('events', (events: AppEvent[]) => {
    const now = Date.now();
    batches += 1;
    maxBatch = Math.max(maxBatch, events.length);
    const oldest = events.find((e) => e.kind === 'bench');
    if (oldest) batchLatencies.push(now - oldest.timeMs);
    for (const e of events) {
      if (e.kind !== 'bench') continue;
      delivered += 1;
      maxLatency = Math.max(maxLatency, now - e.timeMs);
      if (e.seq <= lastSeq) outOfOrder += 1;
      lastSeq = e.seq;
    }
  });
  await new Promise((r) => setTimeout(r, 200));
  global.gc?.();
  const before = process.memoryUsage();
  const started = performance.now();
  let emitted = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate));
      for (; emitted < due; emitted++) {
        service.emitAppEvent({ source: 'app', level: 'info', kind: 'bench', message: `bench event ${emitted}`, device: device.path });
      }
      if (emitted >= total) resolve();
      else setTimeout(tick, 5);
    };
    tick();
  });
  const emitSeconds = (performance.now() - started) / 1000;
  const deadline = Date.now() + 10_000;
  while (delivered < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  global.gc?.();
  const after = process.memoryUsage();
  console.log(`  emitted ${emitted.toLocaleString('en-US')} in ${emitSeconds.toFixed(1)} s; delivered ${delivered.toLocaleString('en-US')} (${((delivered / total) * 100).toFixed(2)} %), ${outOfOrder} out of order`);
  const l = stats(batchLatencies);
  console.log(`  push batches ${batches.toLocaleString('en-US')}, largest ${maxBatch} events`);
  console.log(`  batch latency (oldest event of a batch → client): median ${l.median} ms, p95 ${l.p95} ms, max ${l.max} ms; max for any event ${maxLatency} ms`);
  console.log(`  memory (server + client in one process): rss ${mib(before.rss)} → ${mib(after.rss)}, heap ${mib(before.heapUsed)} → ${mib(after.heapUsed)}`);
  console.log(`  event history is a ring of ${service.config.eventHistoryLength.toLocaleString('en-US')}: ${(await service.eventHistory({})).length.toLocaleString('en-US')} kept`);

  client.close();
  await server.close();
  await service.close();
  await emu.close();
  rmSync(dir, { recursive: true, force: true });
}

/**
 * The same call from a real browser page (Debian's Chromium via Playwright, if present),
 * through the renderer's own WebSocket client bundled with esbuild.
 */
async function inChromium(staticDir: string, url: string, devicePath: string): Promise<void> {
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(executablePath)) return console.log(`  in Chromium: skipped (${executablePath} not found)`);
  const { build } = await import('esbuild');
  await build({
    stdin: { contents: "import { createWsApi } from './renderer/api/ws'; Object.assign(window, { createWsApi });", resolveDir: process.cwd(), loader: 'ts' },
    bundle: true, format: 'iife', outfile: join(staticDir, 'client.js'), logLevel: 'error',
  });
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><script src="/client.js"></script>\n');
  const { chromium } = await import('@playwright/test');
  const browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-gpu'] });
  try {
    const page = await browser.newPage();
    await page.goto(url);
    const times = await page.evaluate(async ([device, runs]) => {
      type Client = {
        ready: Promise<void>;
        api: { backendInfo(a: object): Promise<unknown>; cbtMap(a: { device: string }): Promise<Uint8Array>; emuRead(a: { path: string; offsetBytes: number; lengthBytes: number }): Promise<Uint8Array> };
        close(): void;
      };
      const create = (window as unknown as { createWsApi: (o: { url: string; token: string }) => Client }).createWsApi;
      const token = new URL(location.href).searchParams.get('token') ?? '';
      const client = create({ url: `ws://${location.host}/ws`, token });
      await client.ready;
      const sparse: number[] = [];
      const dense: number[] = [];
      const small: number[] = [];
      for (let i = 0; i < runs; i++) {
        let t = performance.now();
        await client.api.backendInfo({});
        small.push(performance.now() - t);
        t = performance.now();
        const map = await client.api.cbtMap({ device });
        if (map.byteLength !== 2_097_152) throw new Error(`map of ${map.byteLength} bytes`);
        sparse.push(performance.now() - t);
        t = performance.now();
        const bytes = await client.api.emuRead({ path: device, offsetBytes: 0, lengthBytes: 2_097_152 });
        if (bytes.byteLength !== 2_097_152) throw new Error('short read');
        dense.push(performance.now() - t);
      }
      client.close();
      return { sparse, dense, small };
    }, [devicePath, 25] as const);
    const b = stats(times.small.slice(5));
    console.log(`  in Chromium, a small call (backendInfo) for comparison: min ${ms(b.min)}, median ${ms(b.median)}, max ${ms(b.max)}`);
    const c = stats(times.sparse.slice(5));
    const e = stats(times.dense.slice(5));
    console.log(`  in Chromium, renderer client, sparse map: min ${ms(c.min)}, median ${ms(c.median)}, p95 ${ms(c.p95)}, max ${ms(c.max)}`);
    console.log(`  in Chromium, renderer client, 2 MiB incompressible: min ${ms(e.min)}, median ${ms(e.median)}, p95 ${ms(e.p95)}, max ${ms(e.max)}`);
  } finally {
    await browser.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
