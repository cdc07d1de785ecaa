// The live exposition of a running service-mode instance (emulator backend) checked by the
// real tools: `promtool check metrics` on it, the read-only listener serving nothing else, and
// every metric name the shipped alert rules and the Grafana dashboard use present in it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBundles, connectTo, root, startService, type ServiceProcess } from './service';
import { skipWithout } from './tools';

const MiB = 2 ** 20;
let dir: string;
let service: ServiceProcess;
let exposition: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'blksnap-serve-metrics-'));
  await buildBundles();
  service = await startService(['--state-dir', join(dir, 'state'), '--port', '0', '--metrics-listen', '127.0.0.1:0']);
  // A tracked device, a taken snapshot with copied chunks: every blksnap_ family has samples.
  const { api, close } = await connectTo(join(dir, 'state', 'emulator'));
  const device = await api.emuCreateDevice({ name: 'disk1', sizeBytes: 16 * MiB });
  await api.attach({ device: device.path });
  // The take clock dates a take it sees happen: a scrape (which observes the devices) before the
  // take, so it does not depend on a device push landing between two calls a fast service answers
  // within one push batch.
  await (await fetch(service.metricsUrl!)).text();
  const { id } = await api.snapshotCreate({ diffStoragePath: dir, diffStorageLimitSectors: 64 * 2048, devices: [device.path] });
  await api.snapshotTake({ id });
  await api.emuWrite({ path: device.path, offsetBytes: 0, data: new Uint8Array(MiB).fill(0xab) });
  await close();
  // The take is dated from the device push of the next poll (1 s); a loaded CI machine may need
  // many polls, so wait long, not once.
  const deadline = Date.now() + 45_000;
  do {
    exposition = await (await fetch(service.metricsUrl!)).text();
    if (/^blksnap_cbt_last_take_timestamp_seconds\{/m.test(exposition) && /^blksnap_diff_storage_filled_bytes\{[^}]*\} [1-9]/m.test(exposition)) break;
    await new Promise((r) => setTimeout(r, 200));
  } while (Date.now() < deadline);
}, 90_000);

afterAll(async () => {
  await service?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Metric names of an exposition: its families (# TYPE, samples or not) and its sample names (_bucket, _sum, ...). */
function exposedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /^(?:# TYPE )?([a-zA-Z_:][a-zA-Z0-9_:]*)(\{| )/.exec(line);
    if (m) names.add(m[1]!);
  }
  return names;
}

/** Names that look like metrics in PromQL text: blksnap_..., up, and prom-client's process_/nodejs_. */
function queriedNames(promql: string): string[] {
  const withoutStrings = promql.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  return [...withoutStrings.matchAll(/\b(blksnap_[a-z0-9_]+|process_[a-z0-9_]+|nodejs_[a-z0-9_]+)\b/g)].map((m) => m[1]!);
}

interface Dashboard {
  panels: Array<{ title: string; targets?: Array<{ expr: string }> }>;
  templating: { list: Array<{ query?: unknown }> };
}

function readDashboard(): Dashboard {
  return JSON.parse(readFileSync(join(root, 'deploy', 'grafana', 'blksnap-fleet.json'), 'utf8')) as Dashboard;
}

function dashboardExprs(): Array<{ where: string; expr: string }> {
  return readDashboard().panels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: `panel "${p.title}"`, expr: t.expr })));
}

describe('the live exposition of blksnap-manager serve', () => {
  it('has every blksnap_ family, the build info and the default process metrics', () => {
    const names = exposedNames(exposition);
    for (const name of [
      'blksnap_up', 'blksnap_build_info', 'blksnap_backend_info', 'blksnap_device_tracked', 'blksnap_device_capacity_bytes',
      'blksnap_cbt_changes_number', 'blksnap_cbt_generation_info', 'blksnap_cbt_takes_until_wrap', 'blksnap_cbt_last_take_timestamp_seconds',
      'blksnap_cbt_blocks', 'blksnap_cbt_block_size_bytes', 'blksnap_cbt_changed_blocks', 'blksnap_snapshot_taken',
      'blksnap_snapshot_corrupted', 'blksnap_snapshot_devices', 'blksnap_snapshot_device_info', 'blksnap_diff_storage_filled_bytes',
      'blksnap_diff_storage_allocated_bytes', 'blksnap_diff_storage_limit_bytes', 'blksnap_diff_storage_fill_ratio',
      'blksnap_events_total', 'blksnap_push_batches_total', 'blksnap_event_pumps', 'process_cpu_seconds_total', 'process_resident_memory_bytes',
    ]) expect(names, name).toContain(name);
    expect(exposition).toMatch(/^# TYPE blksnap_events_total counter$/m);
    expect(exposition).toMatch(/^blksnap_cbt_takes_until_wrap\{device="\/dev\/disk1"\} 254$/m);
    const ratio = Number(/^blksnap_diff_storage_fill_ratio\{[^}]*\} (\S+)$/m.exec(exposition)?.[1]);
    expect(ratio).toBeGreaterThan(0);
    expect(ratio).toBeLessThanOrEqual(1);
    const taken = Number(/^blksnap_cbt_last_take_timestamp_seconds\{device="\/dev\/disk1"\} (\S+)$/m.exec(exposition)?.[1]);
    expect(Math.abs(taken - Date.now() / 1000)).toBeLessThan(60);
  });

  it('serves /metrics on its own listener without the UI token, and nothing else there', async () => {
    const base = new URL(service.metricsUrl!).origin;
    expect((await fetch(`${base}/metrics`)).status).toBe(200);
    for (const path of ['/', '/ws', '/index.html', '/metrics/../ws']) expect((await fetch(`${base}${path}`)).status, path).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
    // The UI listener keeps its token on /metrics.
    expect((await fetch(`${service.ui}/metrics`)).status).toBe(401);
  });

  it.skipIf(skipWithout('promtool check metrics', 'promtool'))('passes promtool check metrics', () => {
    const r = spawnSync('promtool', ['check', 'metrics'], { input: exposition, encoding: 'utf8' });
    expect(`${r.stdout}${r.stderr}`).toBe('');
    expect(r.status).toBe(0);
  });

  it.skipIf(skipWithout('promtool check rules', 'promtool'))('ships rules and dashboard queries that promtool parses', () => {
    const rules = spawnSync('promtool', ['check', 'rules', join(root, 'deploy', 'prometheus', 'blksnap-rules.yml')], { encoding: 'utf8' });
    expect(rules.status, rules.stderr).toBe(0);
    // Each panel query as a recording rule, with Grafana's variables replaced by what they expand to.
    const recording = dashboardExprs().map(({ expr }, i) => `      - record: dashboard:query${i}\n        expr: ${JSON.stringify(expr.replaceAll('$__rate_interval', '5m').replaceAll('$instance', '.*'))}`);
    const file = join(dir, 'dashboard-queries.yml');
    writeFileSync(file, `groups:\n  - name: dashboard\n    rules:\n${recording.join('\n')}\n`);
    const parsed = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
    expect(parsed.status, `${parsed.stdout}${parsed.stderr}`).toBe(0);
  });

  it('has every metric name the alert rules and the Grafana dashboard query', () => {
    const names = exposedNames(exposition);
    const rules = readFileSync(join(root, 'deploy', 'prometheus', 'blksnap-rules.yml'), 'utf8');
    const exprs = [...rules.matchAll(/expr: (\|\n(?:\s{10,}.*\n)+|.*)/g)].map((m) => m[1]!);
    expect(exprs.length).toBeGreaterThanOrEqual(9);
    const panelExprs = dashboardExprs();
    expect(panelExprs.length).toBeGreaterThanOrEqual(6);
    const variableExprs = readDashboard().templating.list.map((v) => ({ where: 'a dashboard variable', expr: typeof v.query === 'string' ? v.query : JSON.stringify(v.query ?? '') }));
    for (const { where, expr } of [...exprs.map((expr) => ({ where: 'blksnap-rules.yml', expr })), ...panelExprs, ...variableExprs]) {
      for (const name of queriedNames(expr)) expect(names.has(name), `${where} queries ${name}, which the exposition does not have`).toBe(true);
    }
  });
});
