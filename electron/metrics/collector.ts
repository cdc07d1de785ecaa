// The Prometheus exposition, made with prom-client: one Registry per service (never the
// library's global one), the default process metrics, and the blksnap_ families. Every scrape
// reads the service once (devices, snapshots, stats) and sets the gauges from that one view,
// so the families of one scrape agree with each other. Names and meanings: ./README.md.
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import packageJson from '../../package.json';
import { changedSince } from '../../shared/cbt';
import type { DeviceSummary, SnapshotSummary } from '../../shared/contract';
import type { BlksnapService } from '../service';
import type { TakeClock } from './takeClock';

const CHANGED_CACHE_MS = 15_000;
const LINT_FAILING_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];
/** The change number is a u8; the take that would make it 256 starts a new generation (spec §4.2). */
const CHANGE_NUMBER_MAX = 255;

export interface MetricsCollector {
  readonly registry: Registry;
  /** The exposition (text format 0.0.4) of the service's state now. */
  scrape(): Promise<string>;
  readonly contentType: string;
}

/** Takes until the take that wraps the change number and starts a new generation. */
export function takesUntilWrap(changesNumber: number): number {
  // 0: never taken; 255: the wrap take just happened (the next take gives 1). Both: a full cycle ahead.
  return changesNumber === 0 || changesNumber >= CHANGE_NUMBER_MAX ? CHANGE_NUMBER_MAX : CHANGE_NUMBER_MAX - changesNumber;
}

/** Fill between 0 and 1: used (or, on the real module, allocated) over the size at which it is full. */
export function fillRatio(s: SnapshotSummary): number | null {
  if (s.usage.overflowed) return 1;
  const sectors = s.usage.filledSectors ?? s.usage.capacitySectors;
  const full = Math.max(s.usage.limitSectors ?? 0, s.usage.capacitySectors ?? 0);
  if (sectors === null || full <= 0) return null;
  return Math.min(1, Math.max(0, sectors / full));
}

export function createMetricsCollector(service: BlksnapService, takes: TakeClock | null): MetricsCollector {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // prom-client's totals of active handles/requests/resources are gauges named _total, which
  // promtool check metrics rejects (a _total suffix means a counter); the per-type gauges
  // nodejs_active_{handles,requests,resources} stay and sum to the same figure.
  for (const name of LINT_FAILING_DEFAULTS) registry.removeSingleMetric(name);
  const g = (name: string, help: string, labelNames: string[] = []) => new Gauge({ name, help, labelNames, registers: [registry] });
  const m = {
    up: g('blksnap_up', 'The service answers (1).'),
    build: g('blksnap_build_info', 'Build of blksnap Manager: version and the Node.js running it (always 1).', ['version', 'nodejs']),
    backend: g('blksnap_backend_info', 'Backend in use: kernel or emulator, dialect and module version (always 1).', ['kind', 'dialect', 'version']),
    tracked: g('blksnap_device_tracked', 'Whether a tracker (CBT) is attached to the device (1) or not (0).', ['device']),
    capacity: g('blksnap_device_capacity_bytes', 'Device capacity in bytes.', ['device']),
    changes: g('blksnap_cbt_changes_number', 'CBT change number: that of the last take (0 before any); it counts takes within a generation.', ['device', 'generation']),
    generation: g('blksnap_cbt_generation_info', 'CBT generation of the device (always 1); a new generation means the next backup must be full.', ['device', 'generation']),
    untilWrap: g('blksnap_cbt_takes_until_wrap', 'Takes left until the change number wraps past 255 and starts a new generation (the backup after it must be full).', ['device']),
    lastTake: g('blksnap_cbt_last_take_timestamp_seconds', 'Unix time of the last take seen on the device (absent until one is seen); age: time() - this.', ['device']),
    blockCount: g('blksnap_cbt_blocks', 'CBT tracking blocks of the device (was blksnap_cbt_block_count: promtool rejects a _count suffix outside histograms and summaries).', ['device']),
    blockSize: g('blksnap_cbt_block_size_bytes', 'CBT tracking block size in bytes.', ['device']),
    changed: g('blksnap_cbt_changed_blocks', 'Blocks changed in the last completed interval (read-map value equal to the change number).', ['device']),
    taken: g('blksnap_snapshot_taken', 'Snapshot taken (1) or only created (0); absent for a snapshot another program made whose devices cannot be told.', ['snapshot']),
    corrupted: g('blksnap_snapshot_corrupted', 'Snapshot corrupted (1): overflow or a corrupted event; its image is lost.', ['snapshot']),
    snapDevices: g('blksnap_snapshot_devices', 'Devices of the snapshot: those this app added; for one another program made, those the module shows in a snapshot of no one else (absent when they cannot be told).', ['snapshot']),
    snapDevice: g('blksnap_snapshot_device_info', 'A device of the snapshot (always 1), to join per-snapshot series with devices.', ['snapshot', 'device']),
    filled: g('blksnap_diff_storage_filled_bytes', 'Difference storage holding copied chunks, bytes (absent where the backend cannot know it).', ['snapshot']),
    allocated: g('blksnap_diff_storage_allocated_bytes', 'Difference storage allocated (file size or appended ranges), bytes.', ['snapshot']),
    limit: g('blksnap_diff_storage_limit_bytes', 'Difference storage limit, bytes.', ['snapshot']),
    ratio: g('blksnap_diff_storage_fill_ratio', 'Difference storage fill, 0 to 1 (used, or allocated on the real module, over the limit); 1 after an overflow.', ['snapshot']),
    ttf: g('blksnap_diff_storage_time_to_full_seconds', 'Estimated seconds until the storage is full at the current rate (absent when not filling).', ['snapshot']),
    pumps: g('blksnap_event_pumps', 'Event pumps running (one per snapshot this app watches).'),
  };
  const events = new Counter({ name: 'blksnap_events_total', help: 'Events seen by the service, module and app.', labelNames: ['source', 'kind', 'level'], registers: [registry] });
  const batches = new Counter({ name: 'blksnap_push_batches_total', help: 'Push batches delivered to subscribers.', registers: [registry] });
  const changedCache = new Map<string, { key: string; atMs: number; blocks: number }>();

  const changedBlocks = async (d: DeviceSummary): Promise<number | null> => {
    const cbt = d.cbt!;
    const key = `${cbt.generationId}:${cbt.changesNumber}`;
    const cached = changedCache.get(d.path);
    if (cached && cached.key === key && Date.now() - cached.atMs < CHANGED_CACHE_MS) return cached.blocks;
    const map = await service.cbtMap({ device: d.path }).catch(() => null);
    if (!map) return null;
    const blocks = cbt.changesNumber === 0 ? 0 : changedSince(map, cbt.changesNumber - 1).blocks;
    changedCache.set(d.path, { key, atMs: Date.now(), blocks });
    return blocks;
  };

  const update = async (): Promise<void> => {
    const [devices, snapshots] = await Promise.all([service.listDevices({}), service.listSnapshots({})]);
    const info = service.control.info;
    const stats = service.stats();
    for (const gauge of Object.values(m)) gauge.reset();
    m.up.set(1);
    m.build.set({ version: packageJson.version, nodejs: process.version }, 1);
    const v = info.version;
    m.backend.set({ kind: info.kind, dialect: info.dialect, version: `${v.major}.${v.minor}.${v.revision}.${v.build}` }, 1);
    takes?.observe(devices);
    for (const d of devices) {
      m.tracked.set({ device: d.path }, d.tracked ? 1 : 0);
      m.capacity.set({ device: d.path }, d.capacitySectors * 512);
      if (!d.cbt) continue;
      const device = d.path;
      m.changes.set({ device, generation: d.cbt.generationId }, d.cbt.changesNumber);
      m.generation.set({ device, generation: d.cbt.generationId }, 1);
      m.untilWrap.set({ device }, takesUntilWrap(d.cbt.changesNumber));
      m.blockCount.set({ device }, d.cbt.blockCount);
      m.blockSize.set({ device }, d.cbt.blockSizeBytes);
      const last = takes?.lastTakeMs(device);
      if (last != null) m.lastTake.set({ device }, last / 1000);
      const blocks = await changedBlocks(d);
      if (blocks !== null) m.changed.set({ device }, blocks);
    }
    for (const s of snapshots) {
      const snapshot = s.id;
      // A snapshot another program made, whose devices cannot be told: no taken or device series (unknown, not 0).
      if (s.taken !== null) {
        m.taken.set({ snapshot }, s.taken ? 1 : 0);
        m.snapDevices.set({ snapshot }, s.devices.length);
      }
      m.corrupted.set({ snapshot }, s.corrupted ? 1 : 0);
      for (const d of s.devices) m.snapDevice.set({ snapshot, device: d.path }, 1);
      const known = (gauge: Gauge, sectors: number | null) => {
        if (sectors !== null) gauge.set({ snapshot }, sectors * 512);
      };
      known(m.filled, s.usage.filledSectors);
      known(m.allocated, s.usage.capacitySectors);
      known(m.limit, s.usage.limitSectors);
      const ratio = fillRatio(s);
      if (ratio !== null) m.ratio.set({ snapshot }, ratio);
      if (s.timeToFullSec !== null) m.ttf.set({ snapshot }, s.timeToFullSec);
    }
    m.pumps.set(stats.pumps);
    events.reset();
    for (const c of stats.eventCounts) events.inc({ source: c.source, kind: c.kind, level: c.level }, c.count);
    batches.reset();
    batches.inc(stats.pushBatches);
  };

  // One update at a time: two scrapes at once must not interleave resets and sets.
  let chain: Promise<unknown> = Promise.resolve();
  return {
    registry,
    contentType: registry.contentType,
    scrape() {
      const next = chain.then(async () => {
        await update();
        return registry.metrics();
      });
      chain = next.catch(() => undefined);
      return next;
    },
  };
}
