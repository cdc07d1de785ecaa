// Workloads on emulated devices (spec E5): started, stopped, listed and pushed; the last
// few finished ones are kept for the UI.
import { formatBytes } from '../../shared/units';
import type { ApiArgs, ApiResult, WorkloadStatus } from '../../shared/contract';
import { appError } from '../../shared/errors';
import type { BlksnapControl } from '../control/types';
import { startWorkload as startDefault } from '../control/emulator/workload';
import type { StartWorkload, WorkloadHandle } from './config';
import { requireEmulator } from './emulator';
import type { Notices } from './notices';
import type { PushBus } from './pushBus';

export const FINISHED_WORKLOADS_KEPT = 20;

export class Workloads {
  private readonly workloads = new Map<string, WorkloadHandle>();

  constructor(
    private readonly control: BlksnapControl,
    private readonly bus: PushBus,
    private readonly notices: Notices,
    private readonly start: StartWorkload = startDefault,
  ) {}

  async begin(spec: ApiArgs<'workloadStart'>): Promise<ApiResult<'workloadStart'>> {
    const emu = requireEmulator(this.control, 'workloadStart');
    // Checked up front: a workload on a device that is not there would answer running: true and fail later.
    const device = (await emu.listDevices()).find((d) => d.path === spec.device);
    if (!device) throw appError('EBADARG', `workloadStart: ${spec.device} is not an emulated device (create it first)`, { field: 'device', expected: 'the path of an emulated device' });
    const end = (spec.offsetBytes ?? 0) + (spec.lengthBytes ?? 0);
    if (end > device.capacitySectors * 512) {
      throw appError('EBADARG', `workloadStart: the region ends at byte ${end}, past the end of ${spec.device} (${device.capacitySectors * 512} bytes)`, { field: 'lengthBytes', expected: 'a region inside the device' });
    }
    let wasRunning = true;
    const handle = this.start(emu, spec, (status) => {
      this.publish();
      if (wasRunning && !status.running) {
        wasRunning = false;
        const level = status.error ? 'error' : 'info';
        this.notices.app(level, 'workload', `Workload ${status.id} on ${spec.device} ${status.error ? `failed: ${status.error}` : `ended: ${status.writes.toLocaleString('en-US')} writes, ${formatBytes(status.writtenBytes)} written.`}`, { device: spec.device });
      }
    });
    this.workloads.set(handle.id, handle);
    this.prune();
    this.notices.app('info', 'workload', `Workload ${handle.id} started on ${spec.device}: ${spec.pattern} writes of ${formatBytes(spec.blockSizeBytes)}${spec.rateBytesPerSec ? ` at ${formatBytes(spec.rateBytesPerSec)}/s` : ' as fast as possible'}.`, { device: spec.device });
    this.publish();
    return handle.status();
  }

  async stop({ id }: ApiArgs<'workloadStop'>): Promise<ApiResult<'workloadStop'>> {
    requireEmulator(this.control, 'workloadStop');
    const handle = this.workloads.get(id);
    if (!handle) throw appError('EBADARG', `No workload with id ${id}`, { field: 'id', expected: 'the id of a started workload' });
    await handle.stop();
    this.publish();
    return { ok: true };
  }

  async list(): Promise<ApiResult<'workloadList'>> {
    requireEmulator(this.control, 'workloadList');
    return this.statuses();
  }

  /** Stops the running ones (the service closes). */
  async stopAll(): Promise<void> {
    await Promise.all([...this.workloads.values()].map(async (w) => w.status().running && w.stop()));
  }

  private statuses(): WorkloadStatus[] {
    return [...this.workloads.values()].map((w) => w.status());
  }

  private publish(): void {
    this.bus.publish('workloads', this.statuses());
  }

  private prune(): void {
    const finished = [...this.workloads.values()].filter((w) => !w.status().running);
    for (const w of finished.slice(0, Math.max(0, finished.length - FINISHED_WORKLOADS_KEPT))) this.workloads.delete(w.id);
  }
}
