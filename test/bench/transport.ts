// The web transport alone, from a Node client (the CLI's side; the app's side, with decoding to
// pixels, is map-to-pixels): CBT map calls for a busy map (~1M changed blocks in runs, run-length
// encoded) and a dense one (2M random change numbers, sent raw), a small call timed on its own,
// and event push throughput (10,000 events/s by default). Prints figures; asserts nothing.
//   npm run bench -- transport [--seconds=10] [--rate=10000]
import WebSocket from 'ws';
import { createWsApi, type WebSocketCtor } from '../../renderer/api/ws';
import type { AppEvent } from '../../shared/contract';
import { seededRandom } from '../../shared/random';
import { machine, MAP_BLOCKS, MAP_DEVICE_BYTES, mib, ms, option, patchMap, startApp, stats } from './_app';

const SECONDS = option('seconds', 10);
const RATE = option('rate', 10_000);

function maps(): Record<string, Uint8Array> {
  const random = seededRandom(16);
  const busy = new Uint8Array(MAP_BLOCKS);
  for (let at = 0; at < MAP_BLOCKS;) {
    const run = 1 + Math.floor(random() * 2048);
    busy.fill(1 + Math.floor(random() * 255), at, Math.min(MAP_BLOCKS, at + run));
    at += run + 1 + Math.floor(random() * 2048);
  }
  return { busy, dense: Uint8Array.from({ length: MAP_BLOCKS }, () => Math.floor(random() * 256)) };
}

async function main(): Promise<void> {
  const values = maps();
  const app = await startApp(async (emu, stateDir) => {
    for (const name of Object.keys(values)) {
      await emu.createDevice(name, MAP_DEVICE_BYTES);
      await emu.attach(`/dev/${name}`);
    }
    await emu.close();
    for (const [name, map] of Object.entries(values)) patchMap(stateDir, name, map);
  });
  const client = createWsApi({ url: `ws://127.0.0.1:${new URL(app.url).port}/ws`, token: app.server.token, WebSocketImpl: WebSocket as unknown as WebSocketCtor, reconnectDelayMs: 0 });
  try {
    await client.ready;
    console.log(`${machine()}; web mode on 127.0.0.1, emulator backend, Node client (ws)`);
    const small: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t = performance.now();
      await client.api.backendInfo({});
      if (i >= 10) small.push(performance.now() - t);
    }
    const s = stats(small);
    console.log(`\nsmall call (backendInfo), nothing else in flight: p50 ${ms(s.p50)}, p95 ${ms(s.p95)}`);
    for (const name of Object.keys(values)) {
      const times: number[] = [];
      const direct: number[] = [];
      for (let i = 0; i < 25; i++) {
        let t = performance.now();
        await app.service.cbtMap({ device: `/dev/${name}` });
        direct.push(performance.now() - t);
        t = performance.now();
        const map = await client.api.cbtMap({ device: `/dev/${name}` });
        times.push(performance.now() - t);
        if (map.byteLength !== MAP_BLOCKS) throw new Error(`map of ${map.byteLength} bytes`);
      }
      const w = stats(times.slice(5));
      const d = stats(direct.slice(5));
      console.log(`${name} map, 2,097,152 blocks: over the WebSocket p50 ${ms(w.p50)}, p95 ${ms(w.p95)}; the service's read alone p50 ${ms(d.p50)}`);
    }

    const total = Math.round(RATE * SECONDS);
    let delivered = 0;
    let outOfOrder = 0;
    let lastSeq = 0;
    const latency: number[] = [];
    client.push.subscribe('events', (events: AppEvent[]) => {
      const now = Date.now();
      const oldest = events.find((e) => e.kind === 'bench');
      if (oldest) latency.push(now - oldest.timeMs);
      for (const e of events) {
        if (e.kind !== 'bench') continue;
        delivered++;
        if (e.seq <= lastSeq) outOfOrder++;
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
        const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * RATE));
        for (; emitted < due; emitted++) app.service.emitAppEvent({ source: 'app', level: 'info', kind: 'bench', message: `bench event ${emitted}`, device: '/dev/busy' });
        if (emitted >= total) resolve();
        else setTimeout(tick, 5);
      };
      tick();
    });
    const deadline = Date.now() + 10_000;
    while (delivered < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const after = process.memoryUsage();
    const l = stats(latency);
    console.log(`\nevents: ${RATE.toLocaleString('en-US')}/s for ${SECONDS} s: delivered ${delivered.toLocaleString('en-US')} of ${total.toLocaleString('en-US')}, ${outOfOrder} out of order`);
    console.log(`  batch latency (oldest event of a batch → client): p50 ${l.p50} ms, p95 ${l.p95} ms, max ${l.max} ms`);
    console.log(`  memory (server and client in one process): heap ${mib(before.heapUsed)} → ${mib(after.heapUsed)}`);
  } finally {
    client.close();
    await app.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
