// The fake API's workloads: writes at a rate in a pattern, through the fake's own write (CBT
// marks and copy-on-write), so fill and heat maps move while the renderer is developed.
import type { AppEvent, BlksnapApi, PushPayload, PushTopic, WorkloadSpec, WorkloadStatus } from '../../shared/contract';
import type { BlockDevice } from '../../shared/schemas';
import { seededRandom as mulberry32 } from '../../shared/random';

const MiB = 2 ** 20;
const ok = { ok: true } as const;

type Methods = Pick<BlksnapApi, 'workloadStart' | 'workloadStop' | 'workloadList'>;

/** What the workloads need from the fake API. */
export interface WorkloadHost {
  device: (path: string) => BlockDevice;
  write: (path: string, offsetBytes: number, lengthBytes: number) => void;
  emit: <T extends PushTopic>(topic: T, payload: PushPayload<T>) => void;
  event: (partial: Omit<AppEvent, 'seq' | 'timeMs' | 'module'>) => void;
  fail: (code: string, message: string) => never;
}

export function fakeWorkloads(ctx: WorkloadHost): Methods {
  const workloads = new Map<string, WorkloadStatus & { timer: ReturnType<typeof setInterval> | null; rng: () => number }>();
  return {
    workloadStart: async (spec: WorkloadSpec) => {
      const d = ctx.device(spec.device);
      const id = `w${workloads.size + 1}`;
      const rng = mulberry32(spec.seed ?? 1);
      const status = { id, spec, running: true, writtenBytes: 0, writes: 0, error: null, timer: null as ReturnType<typeof setInterval> | null, rng };
      const capacity = d.capacitySectors * 512;
      const region = { start: spec.offsetBytes ?? 0, length: spec.lengthBytes ?? capacity };
      let cursor = region.start;
      const tickMs = 100;
      const perTick = spec.rateBytesPerSec > 0 ? Math.max(spec.blockSizeBytes, (spec.rateBytesPerSec * tickMs) / 1000) : 64 * MiB;
      const startedAt = Date.now();
      status.timer = setInterval(() => {
        for (let done = 0; done < perTick; done += spec.blockSizeBytes) {
          let offset: number;
          if (spec.pattern === 'sequential') { offset = cursor; cursor += spec.blockSizeBytes; if (cursor >= region.start + region.length) cursor = region.start; }
          else if (spec.pattern === 'hotspot' && rng() < 0.9) offset = region.start + Math.floor(rng() * (region.length / 10));
          else offset = region.start + Math.floor(rng() * region.length);
          offset = Math.floor(offset / 512) * 512;
          ctx.write(spec.device, offset, Math.min(spec.blockSizeBytes, capacity - offset));
          status.writtenBytes += spec.blockSizeBytes;
          status.writes += 1;
        }
        if (Date.now() - startedAt >= spec.durationMs) { clearInterval(status.timer!); status.running = false; }
        ctx.emit('workloads', [...workloads.values()].map(publicStatus));
      }, tickMs);
      workloads.set(id, status);
      ctx.event({ source: 'app', level: 'info', kind: 'workload', snapshotId: null, device: spec.device, message: `Workload ${id} started on ${spec.device}: ${spec.pattern}` });
      ctx.emit('workloads', [...workloads.values()].map(publicStatus));
      return publicStatus(status);
    },
    workloadStop: async ({ id }) => {
      const w = workloads.get(id) ?? ctx.fail('ENOENT', `No workload ${id}`);
      if (w.timer) clearInterval(w.timer);
      w.running = false;
      ctx.emit('workloads', [...workloads.values()].map(publicStatus));
      return ok;
    },
    workloadList: async () => [...workloads.values()].map(publicStatus),
  };
}

function publicStatus(w: WorkloadStatus): WorkloadStatus {
  return { id: w.id, spec: w.spec, running: w.running, writtenBytes: w.writtenBytes, writes: w.writes, error: w.error };
}
