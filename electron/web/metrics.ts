// GET /metrics: Prometheus text exposition (format 0.0.4) of what a fleet wants to watch:
// backend, per-device CBT, per-snapshot difference-storage fill, event counters.
import { changedSince } from '../../shared/cbt';
import type { BlksnapService } from '../service';

interface Family {
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  samples: Array<[Record<string, string>, number]>;
}

const CHANGED_CACHE_MS = 15_000;

/** Counts of changed blocks per device, cached: a map read is up to 2 MiB per device. */
export class MetricsCollector {
  private readonly changed = new Map<string, { key: string; atMs: number; blocks: number }>();

  constructor(private readonly service: BlksnapService) {}

  async render(): Promise<string> {
    const service = this.service;
    const [devices, snapshots] = await Promise.all([service.listDevices({}), service.listSnapshots({})]);
    const info = service.control.info;
    const stats = service.stats();
    const v = info.version;
    const families: Family[] = [
      fam('blksnap_up', 'The service answers.', 'gauge', [[{}, 1]]),
      fam('blksnap_backend_info', 'Backend in use: kernel or emulator, dialect and module version.', 'gauge', [
        [{ kind: info.kind, dialect: info.dialect, version: `${v.major}.${v.minor}.${v.revision}.${v.build}` }, 1],
      ]),
      fam('blksnap_device_tracked', 'Whether a tracker (CBT) is attached to the device.', 'gauge',
        devices.map((d) => [{ device: d.path }, d.tracked ? 1 : 0])),
      fam('blksnap_device_capacity_bytes', 'Device capacity.', 'gauge',
        devices.map((d) => [{ device: d.path }, d.capacitySectors * 512])),
    ];
    const tracked = devices.filter((d) => d.cbt);
    families.push(
      fam('blksnap_cbt_changes_number', 'CBT change number: that of the last take (0 before any); it counts takes within a generation.', 'gauge',
        tracked.map((d) => [{ device: d.path, generation: d.cbt!.generationId }, d.cbt!.changesNumber])),
      fam('blksnap_cbt_block_count', 'CBT tracking blocks.', 'gauge', tracked.map((d) => [{ device: d.path }, d.cbt!.blockCount])),
      fam('blksnap_cbt_block_size_bytes', 'CBT tracking block size.', 'gauge', tracked.map((d) => [{ device: d.path }, d.cbt!.blockSizeBytes])),
      fam('blksnap_cbt_changed_blocks', 'Blocks changed in the last completed interval (read-map value equal to the change number).', 'gauge',
        await this.changedBlocks(tracked.map((d) => ({ path: d.path, key: `${d.cbt!.generationId}:${d.cbt!.changesNumber}`, changesNumber: d.cbt!.changesNumber })))),
    );
    const known = (f: (s: (typeof snapshots)[number]) => number | null) =>
      snapshots.flatMap((s): Array<[Record<string, string>, number]> => {
        const value = f(s);
        return value === null ? [] : [[{ snapshot: s.id }, value]];
      });
    families.push(
      fam('blksnap_snapshot_taken', 'Snapshot taken (1) or only created (0).', 'gauge', snapshots.map((s) => [{ snapshot: s.id }, s.taken ? 1 : 0])),
      fam('blksnap_snapshot_corrupted', 'Snapshot corrupted (overflow or a corrupted event).', 'gauge', snapshots.map((s) => [{ snapshot: s.id }, s.corrupted ? 1 : 0])),
      fam('blksnap_snapshot_devices', 'Devices this app added to the snapshot.', 'gauge', snapshots.map((s) => [{ snapshot: s.id }, s.devices.length])),
      fam('blksnap_diff_storage_filled_bytes', 'Difference storage holding copied chunks (absent where the backend cannot know it).', 'gauge',
        known((s) => bytes(s.usage.filledSectors))),
      fam('blksnap_diff_storage_allocated_bytes', 'Difference storage allocated (file size or appended ranges).', 'gauge', known((s) => bytes(s.usage.capacitySectors))),
      fam('blksnap_diff_storage_limit_bytes', 'Difference storage limit.', 'gauge', known((s) => bytes(s.usage.limitSectors))),
      fam('blksnap_diff_storage_time_to_full_seconds', 'Estimated seconds until the storage is full at the current rate.', 'gauge', known((s) => s.timeToFullSec)),
      fam('blksnap_events_total', 'Events seen by the service, module and app.', 'counter',
        stats.eventCounts.map((c) => [{ source: c.source, kind: c.kind, level: c.level }, c.count])),
      fam('blksnap_push_batches_total', 'Push batches delivered to subscribers.', 'counter', [[{}, stats.pushBatches]]),
      fam('blksnap_event_pumps', 'Event pumps running (one per snapshot this app watches).', 'gauge', [[{}, stats.pumps]]),
    );
    return families.map(formatFamily).join('');
  }

  private async changedBlocks(devices: Array<{ path: string; key: string; changesNumber: number }>): Promise<Array<[Record<string, string>, number]>> {
    const now = Date.now();
    const out: Array<[Record<string, string>, number]> = [];
    for (const d of devices) {
      const cached = this.changed.get(d.path);
      let blocks = cached && cached.key === d.key && now - cached.atMs < CHANGED_CACHE_MS ? cached.blocks : null;
      if (blocks === null) {
        const map = await this.service.cbtMap({ device: d.path }).catch(() => null);
        if (!map) continue;
        blocks = d.changesNumber === 0 ? 0 : changedSince(map, d.changesNumber - 1).blocks;
        this.changed.set(d.path, { key: d.key, atMs: now, blocks });
      }
      out.push([{ device: d.path }, blocks]);
    }
    return out;
  }
}

function bytes(sectors: number | null): number | null {
  return sectors === null ? null : sectors * 512;
}

function fam(name: string, help: string, type: Family['type'], samples: Family['samples']): Family {
  return { name, help, type, samples };
}

function formatFamily(f: Family): string {
  let text = `# HELP ${f.name} ${f.help}\n# TYPE ${f.name} ${f.type}\n`;
  for (const [labels, value] of f.samples) {
    const l = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',');
    text += `${f.name}${l ? `{${l}}` : ''} ${formatValue(value)}\n`;
  }
  return text;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}
