// What the v1 client remembers per snapshot (the module does not tell: no SNAPSHOTINFO, no fill
// counters), the ids' one form, and the context the call files share.
import { appError } from '../../../../../shared/errors';
import type { DevId, SectorRange } from '../../../../../shared/schemas';
import { uuidFromBytes, uuidToBytes } from '../../../uuid';
import type { V1Calls } from './calls';
import type { V1Variant } from './names';
import type { V1System } from './system';

export interface SnapshotState {
  id: string;
  devices: DevId[];
  limitSectors: number | null;
  appendedSectors: number;
  /** Ranges appended by this client, per storage device (M:m), for the overlap check. */
  appended: Map<string, SectorRange[]>;
  /** Σ requested_nr_sect of the low_free_space events seen (the module's `requested`). */
  requestedSectors: number;
  /** Original device (M:m) → positive errno of its corrupted event. */
  corrupted: Map<string, number>;
  taken: boolean;
}

/** What the tracker, snapshot, event and storage calls share; owned by one `V1Control`. */
export interface V1Context {
  calls: V1Calls;
  sys: V1System;
  variant: V1Variant;
  snapshots: Map<string, SnapshotState>;
}

/** The state of `id`, made empty the first time it is asked for. */
export function stateOf(snapshots: Map<string, SnapshotState>, id: string): SnapshotState {
  let s = snapshots.get(id);
  if (!s) {
    s = { id, devices: [], limitSectors: null, appendedSectors: 0, appended: new Map(), requestedSectors: 0, corrupted: new Map(), taken: false };
    snapshots.set(id, s);
  }
  return s;
}

/** Lower-case 8-4-4-4-12 form of an id (also accepts 32 bare hex digits). */
export function normalizeId(id: string): string {
  const text = /^[0-9a-f]{32}$/i.test(id) ? id.replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-') : id;
  try {
    return uuidFromBytes(uuidToBytes(text));
  } catch {
    throw appError('EBADARG', `${id} is not a snapshot id (a UUID)`);
  }
}
