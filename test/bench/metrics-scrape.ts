// The metrics listener at fleet scale: 64 tracked emulated devices, 16 taken snapshots (4
// devices each) with copied chunks. Prints the exposition's size and series count and the
// scrape time over HTTP (first scrape reads every CBT map; later ones within 15 s use the cache).
// Targets, from what a scrape may cost the protected server: median ≤ 100 ms (≤ 1 % of one
// core at a 10 s scrape interval), the cold scrape ≤ 1 s (a tenth of Prometheus' default 10 s
// scrape timeout), exposition ≤ 256 KiB uncompressed (far below Prometheus' body limits, a few
// KiB per host per scrape on the wire with gzip).
//   npm run bench -- metrics [--scrapes=50]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createEmulator } from '../../electron/control/emulator';
import { createMetricsCollector } from '../../electron/metrics/collector';
import { startMetricsListener } from '../../electron/metrics/listener';
import { TakeClock } from '../../electron/metrics/takeClock';
import { createService } from '../../electron/service';

const DEVICES = 64;
const SNAPSHOTS = 16;
const MiB = 2 ** 20;
const scrapes = Number(/^--scrapes=(\d+)$/.exec(process.argv.find((a) => a.startsWith('--scrapes=')) ?? '')?.[1] ?? 50);
const TARGET = { medianMs: 100, coldMs: 1000, sizeBytes: 256 * 1024 };

const dir = mkdtempSync(join(tmpdir(), 'blksnap-bench-metrics-'));
const emu = await createEmulator({ stateDir: join(dir, 'state'), hz: 1000, parameters: {} });
const service = createService(emu, { dataDir: null });
try {
  const paths: string[] = [];
  for (let i = 0; i < DEVICES; i++) {
    const d = await service.emuCreateDevice({ name: `disk${i}`, sizeBytes: 256 * MiB });
    await service.attach({ device: d.path });
    paths.push(d.path);
  }
  const perSnapshot = DEVICES / SNAPSHOTS;
  for (let s = 0; s < SNAPSHOTS; s++) {
    const devices = paths.slice(s * perSnapshot, (s + 1) * perSnapshot);
    const { id } = await service.snapshotCreate({ diffStoragePath: dir, diffStorageLimitSectors: 512 * 2048, devices: [] });
    for (const device of devices) await service.snapshotAdd({ id, device });
    await service.snapshotTake({ id });
    for (const device of devices) await service.emuWrite({ path: device, offsetBytes: 0, data: new Uint8Array(MiB).fill(s + 1) });
  }
  await service.refresh();
  const takes = new TakeClock(null);
  const listener = await startMetricsListener({ collector: createMetricsCollector(service, takes), listen: { host: '127.0.0.1', port: 0 } });
  const scrape = async () => {
    const t = performance.now();
    const text = await (await fetch(listener.url)).text();
    return { ms: performance.now() - t, text };
  };
  const cold = await scrape();
  const times: number[] = [];
  let text = cold.text;
  for (let i = 0; i < scrapes; i++) {
    const r = await scrape();
    times.push(r.ms);
    text = r.text;
  }
  await listener.close();
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)]!;
  const p95 = times[Math.min(times.length - 1, Math.floor(times.length * 0.95))]!;
  const bytes = Buffer.byteLength(text);
  const series = text.split('\n').filter((l) => l && !l.startsWith('#')).length;
  const blksnapSeries = text.split('\n').filter((l) => l.startsWith('blksnap_')).length;
  const row = (what: string, figure: string, target: string, ratio: number) => console.log(`${what.padEnd(28)} ${figure.padStart(12)}   target ${target.padEnd(10)} ratio ${ratio.toFixed(2)}`);
  console.log(`metrics exposition, ${DEVICES} devices, ${SNAPSHOTS} snapshots (emulator), ${scrapes} scrapes over HTTP`);
  row('exposition size', `${(bytes / 1024).toFixed(1)} KiB`, `≤ ${TARGET.sizeBytes / 1024} KiB`, bytes / TARGET.sizeBytes);
  console.log(`${'series'.padEnd(28)} ${String(series).padStart(12)}   (${blksnapSeries} blksnap_)`);
  row('cold scrape (maps read)', `${cold.ms.toFixed(1)} ms`, `≤ ${TARGET.coldMs} ms`, cold.ms / TARGET.coldMs);
  row('scrape median', `${median.toFixed(1)} ms`, `≤ ${TARGET.medianMs} ms`, median / TARGET.medianMs);
  row('scrape p95', `${p95.toFixed(1)} ms`, '', p95 / TARGET.medianMs);
} finally {
  await service.close();
  await emu.close();
  rmSync(dir, { recursive: true, force: true });
}
