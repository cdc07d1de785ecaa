// A snapshot (spec §2, §3.5–3.7): its devices, per-device difference areas once taken, the
// shared difference storage, the event queue and the copy-on-write journal.
import type { SnapshotEvent } from '../../../shared/schemas';
import type { CowLog } from './cow-log';
import type { DiffStorage, StorageState } from './diff-storage';
import { EventQueue } from './event-queue';

/** One device's difference area in a taken snapshot. */
export interface DiffArea {
  device: string;
  /** COW and CBT follow the device only while it still has this tracker (DETACH stops them). */
  trackerId: number;
  chunkShift: number;
  /** Chunk index → storage sector of its copy. */
  chunks: Map<number, number>;
  /** 0, or the negative errno stored when the area went corrupted (SNAPSHOTINFO error_code). */
  errorCode: number;
  imageName: string;
  imageMinor: number;
  /** Image capacity = the tracked capacity at take. */
  capacitySectors: number;
}

export interface SnapshotMember { device: string; trackerId: number }

/**
 * listed: in the module's list. releasing: destroyed, released when the last wait returns.
 * unreachable: v1, dropped from the list by a newer create, still holding its devices.
 */
export type SnapshotState = 'listed' | 'releasing' | 'unreachable';

export class Snapshot {
  state: SnapshotState = 'listed';
  taken = false;
  /** TAKE failed after the CBT switch: marked taken, EALREADY, only DESTROY helps. */
  brokenAfterSwitch = false;
  readonly members: SnapshotMember[] = [];
  areas: DiffArea[] = [];
  log: CowLog | null = null;
  readonly events: EventQueue;

  constructor(
    readonly id: string,
    readonly createdAtMs: number,
    readonly storage: DiffStorage,
    events: SnapshotEvent[] = [],
  ) {
    this.events = new EventQueue(events);
  }

  hasDevice(name: string): boolean {
    return this.members.some((m) => m.device === name);
  }

  areaOf(name: string): DiffArea | undefined {
    return this.areas.find((a) => a.device === name);
  }
}

/** What state.json keeps of a snapshot. */
export interface SnapshotRecord {
  id: string;
  createdAtMs: number;
  state: SnapshotState;
  taken: boolean;
  brokenAfterSwitch: boolean;
  members: SnapshotMember[];
  areas: Omit<DiffArea, 'chunks'>[];
  storage: StorageState;
  events: SnapshotEvent[];
}

export function snapshotRecord(s: Snapshot): SnapshotRecord {
  return {
    id: s.id, createdAtMs: s.createdAtMs, state: s.state, taken: s.taken, brokenAfterSwitch: s.brokenAfterSwitch,
    members: s.members.map((m) => ({ ...m })),
    areas: s.areas.map(({ chunks: _chunks, ...rest }) => rest),
    storage: { ...s.storage.state, ranges: s.storage.state.ranges.map((r) => ({ ...r })) },
    events: [...s.events.items],
  };
}
