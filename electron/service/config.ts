// Service settings. Every field has a default; createService takes a Partial.
import type { SnapshotCreateRequest } from '../../shared/schemas';
import type { DoctorReport, WorkloadSpec, WorkloadStatus } from '../../shared/contract';
import type { BlksnapControl, EmulatorControl } from '../control/types';
import type { ImageProbeOptions } from './imageProbe';

/** Produces the doctor report (the kernel engineer's collectDoctor fits this). */
export type DoctorProvider = (control: BlksnapControl) => Promise<DoctorReport>;

export interface WorkloadHandle {
  id: string;
  status(): WorkloadStatus;
  stop(): void | Promise<void>;
}
export type StartWorkload = (emu: EmulatorControl, spec: WorkloadSpec, onProgress?: (status: WorkloadStatus) => void) => WorkloadHandle;

export interface ServiceConfig {
  /** Where the snapshot registry (and support bundles) live; null = memory only. Default: the emulator's state dir. */
  dataDir: string | null;
  /** Devices, CBT info, snapshot list and info. */
  pollIntervalMs: number;
  /** Difference-storage usage of each live snapshot. */
  fillSampleIntervalMs: number;
  /** Samples kept per snapshot. */
  fillHistoryLength: number;
  /** Window over which the fill rate (and so time-to-full) is measured. */
  fillRateWindowMs: number;
  /** Events kept in the ring buffer. */
  eventHistoryLength: number;
  pushBatchMs: number;
  /** Ticks per SNAPSHOT_WAIT_EVENT slice; capped at 100 (≤ 1 s at any HZ, spec §3.7). */
  eventWaitTicks: number;
  /** Warn when fill passes this percentage of the limit... */
  warnFillPercent: number;
  /** ...or when the storage would be full within this many seconds at the current rate. */
  warnTimeToFullSec: number;
  /**
   * Pump events of snapshots this app did not create. Off by default: waiting consumes the
   * module's queue, so another tool (a backup agent's watcher) would miss its events.
   */
  adoptForeignSnapshots: boolean;
  doctor?: DoctorProvider;
  /** The image file-system probe's time limit and tool (tests). */
  imageProbe?: ImageProbeOptions;
  startWorkload?: StartWorkload;
  onSnapshotCreated?: (id: string, request: SnapshotCreateRequest) => void;
}

export const MAX_WAIT_TICKS = 100;

export const DEFAULT_CONFIG: ServiceConfig = {
  dataDir: null,
  pollIntervalMs: 1000,
  fillSampleIntervalMs: 500,
  fillHistoryLength: 600,
  fillRateWindowMs: 10_000,
  eventHistoryLength: 10_000,
  pushBatchMs: 50,
  eventWaitTicks: 50,
  warnFillPercent: 80,
  warnTimeToFullSec: 60,
  adoptForeignSnapshots: false,
};
