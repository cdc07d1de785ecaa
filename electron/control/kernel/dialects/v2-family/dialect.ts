// What a v2-family dialect is, as data: its nodes, request numbers, struct layouts, event codes
// and the errno meanings that differ. The generic control (control.ts) runs any of them.
import type { Capabilities, DialectId, EventKind } from '../../../../../shared/schemas';
import type { Meanings } from '../../errno';
import type { StructLayout } from '../../struct';

export type V2Operation =
  | 'VERSION' | 'SNAPSHOT_CREATE' | 'SNAPSHOT_DESTROY' | 'SNAPSHOT_TAKE' | 'SNAPSHOT_COLLECT' | 'SNAPSHOT_WAIT_EVENT'
  | 'ATTACH' | 'DETACH' | 'CTL' | 'CBTINFO' | 'CBTMAP' | 'CBTDIRTY' | 'SNAPSHOTADD' | 'SNAPSHOTINFO'
  | 'MOD' | 'SETLOG' | 'SNAPSHOT_APPEND_STORAGE' | 'OPEN_DEVICE' | 'OPEN_STORAGE';

export interface V2Requests {
  VERSION: number;
  SNAPSHOT_CREATE: number;
  SNAPSHOT_DESTROY: number;
  SNAPSHOT_TAKE: number;
  SNAPSHOT_COLLECT: number;
  SNAPSHOT_WAIT_EVENT: number;
  /** BLKFILTER_* on the block device (upstream) or BDEVFILTER_* on /dev/bdevfilter (standalone). */
  FILTER_ATTACH: number;
  FILTER_DETACH: number;
  FILTER_CTL: number;
  MOD?: number;
  SETLOG?: number;
  SNAPSHOT_APPEND_STORAGE?: number;
  FILTER_SETLOG?: number;
}

export interface V2Dialect {
  id: DialectId;
  /** "upstream lk6.15", "Veeam standalone VAL-7.0", ... */
  label: string;
  /** false where the spec marks the dialect inferred (VAL-13): the UI says "unverified dialect". */
  verified: boolean;
  /** How our tables were verified: "spec + gcc layout + fake module" or "+ traces of the real module". */
  verifiedBy: string;
  family: 'upstream' | 'standalone';
  versionMajor: number;
  controlNode: string;
  /** Standalone: /dev/bdevfilter; upstream: null (filter ioctls go to the block device). */
  filterNode: string | null;
  /** /sys/module/<name>: where version and parameters live. */
  moduleName: string;
  requests: V2Requests;
  /** Every struct of the dialect, by C name (the layout test compares each with gcc). */
  structs: Readonly<Record<string, StructLayout>>;
  /** Which structs the filter requests take; fields: name, devpath (standalone), cmd/optlen/opt (ctl). */
  filter: { attach: StructLayout; detach: StructLayout; ctl: StructLayout };
  create: { struct: StructLayout; storage: 'path' | 'fd' };
  /** SNAPSHOT_CREATE with no storage path (range mode + APPEND_STORAGE). */
  rangeMode: boolean;
  /** Event code → kind (codes differ per dialect). */
  events: Readonly<Record<number, EventKind>>;
  /** Per-operation errno meanings that differ from the v2 defaults. */
  meanings: Partial<Record<V2Operation, Meanings>>;
  capabilities: Capabilities;
}
