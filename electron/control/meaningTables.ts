// One table of meanings per call and errno, for both backends (issue 19, item 12): the same
// call failing with the same errno prints the same sentence on the emulator and on the module,
// so a script written against one stays right on the other. The service puts every backend
// behind withModuleMeanings(); the kernel clients' own tables are the source (v2: V2_MEANINGS
// and each dialect's overrides; v1: below).
import { BlksnapError, errnoError, isErrnoName, type ErrnoName } from '../../shared/errors';
import type { DialectId } from '../../shared/schemas';
import { DIALECTS } from './kernel/dialects';
import type { V2Operation } from './kernel/dialects/v2-family/dialect';
import { v2TableOf } from './kernel/dialects/v2-family/factory';
import { V2_MEANINGS } from './kernel/dialects/v2-family/meanings';
import { COMMON_MEANINGS, meanings, type Meanings } from './kernel/errno';
import type { ControlCall } from './meanings';

export type { ControlCall };

const V2_OP: Record<ControlCall, V2Operation> = {
  version: 'VERSION', attach: 'ATTACH', detach: 'DETACH', cbtInfo: 'CBTINFO', cbtMap: 'CBTMAP', cbtDirty: 'CBTDIRTY',
  snapshotCreate: 'SNAPSHOT_CREATE', snapshotAdd: 'SNAPSHOTADD', snapshotTake: 'SNAPSHOT_TAKE', snapshotDestroy: 'SNAPSHOT_DESTROY',
  snapshotCollect: 'SNAPSHOT_COLLECT', snapshotInfo: 'SNAPSHOTINFO', waitEvent: 'SNAPSHOT_WAIT_EVENT', appendStorage: 'SNAPSHOT_APPEND_STORAGE',
};
/** Other names the backends give the same request (the emulator names the filter ioctls in full). */
const V2_ALIASES: Partial<Record<ControlCall, string[]>> = { attach: ['BLKFILTER_ATTACH'], detach: ['BLKFILTER_DETACH'] };

const V1_OP: Partial<Record<ControlCall, string>> = {
  version: 'VERSION', detach: 'TRACKER_REMOVE', cbtMap: 'TRACKER_READ_CBT_MAP', cbtDirty: 'TRACKER_MARK_DIRTY_BLOCKS',
  snapshotCreate: 'SNAPSHOT_CREATE', snapshotTake: 'SNAPSHOT_TAKE', snapshotDestroy: 'SNAPSHOT_DESTROY', snapshotCollect: 'SNAPSHOT_COLLECT',
  snapshotInfo: 'SNAPSHOT_COLLECT_IMAGES', waitEvent: 'SNAPSHOT_WAIT_EVENT', appendStorage: 'SNAPSHOT_APPEND_STORAGE',
};

const V1_DESTROYED = '; v1 destroys a snapshot whose TAKE fails, so it is gone';
/** v1 (spec §6.2, §10): what each errno means for each call. */
export const V1_MEANINGS: Record<string, Meanings> = {
  TRACKER_REMOVE: { ENODATA: 'the device is not tracked', EBUSY: 'the device is held by a snapshot: v1 removes a tracker only after its snapshot is destroyed' },
  TRACKER_READ_CBT_MAP: {
    EPERM: 'the CBT map needs a taken snapshot: v1 reads a device\'s map only while a taken snapshot holds it',
    ENODATA: 'the device is not tracked', EFAULT: 'the device\'s CBT map is corrupted', EINVAL: 'the offset is at or past the end of the CBT map',
  },
  TRACKER_MARK_DIRTY_BLOCKS: { ENODEV: 'the device is not tracked (nor an image of a tracked device)', EINVAL: 'a range ends past the map' },
  SNAPSHOT_CREATE: {
    EALREADY: 'a device already belongs to another snapshot (an unreachable older one is freed only by unloading the module)',
    EINVAL: 'a device is listed twice', ENOMEM: 'the module is out of memory',
  },
  SNAPSHOT_TAKE: {
    ESRCH: 'no such snapshot', EALREADY: 'the snapshot is already taken',
    EFAULT: `a device's difference area is corrupted or the storage is empty${V1_DESTROYED}`,
    ENODEV: `the snapshot has no devices${V1_DESTROYED}`, ENOMEM: `the module is out of memory${V1_DESTROYED}`,
  },
  SNAPSHOT_DESTROY: { ENODEV: 'no such snapshot (v1 answers ENODEV for an unknown id)' },
  SNAPSHOT_WAIT_EVENT: { ESRCH: 'no such snapshot (destroyed?)', EINVAL: 'the event struct could not be copied' },
  SNAPSHOT_APPEND_STORAGE: {
    ESRCH: 'no such snapshot', ENOMEM: 'the module is out of memory', ENODATA: 'the ranges could not be copied', EINVAL: 'the ranges could not be copied',
  },
};

const CTL_SUBCOMMANDS: readonly V2Operation[] = ['CBTINFO', 'CBTMAP', 'CBTDIRTY', 'SNAPSHOTADD', 'SNAPSHOTINFO'];

/**
 * The calls that name a device (v2 family). Upstream, their ioctls go to the block device, so
 * the client opens its path first and an open that fails is OPEN_DEVICE (the emulator models it).
 */
const OPENS_DEVICE: ReadonlySet<ControlCall> = new Set(['attach', 'detach', 'cbtInfo', 'cbtMap', 'cbtDirty', 'snapshotAdd', 'snapshotInfo', 'snapshotCreate']);

/** The operation name and meaning both backends print for `call` failing with `code`, or null. */
export function meaningOf(dialect: DialectId, call: ControlCall, code: ErrnoName, operation?: string): { operation: string; meaning: string } | null {
  if (dialect === 'v1') {
    const op = V1_OP[call];
    const meaning = op ? V1_MEANINGS[op]?.[code] : undefined;
    return op && meaning ? { operation: op, meaning } : null;
  }
  // The registry's entry wraps the dialect's table (v2KernelDialect): its overrides are there.
  const entry = v2TableOf(DIALECTS[dialect]);
  const op: V2Operation = operation === 'OPEN_DEVICE' && OPENS_DEVICE.has(call) ? 'OPEN_DEVICE' : V2_OP[call];
  const own = entry?.meanings ?? {};
  const table = CTL_SUBCOMMANDS.includes(op)
    ? meanings(V2_MEANINGS.CTL, own.CTL, V2_MEANINGS[op], own[op])
    : meanings(V2_MEANINGS[op], own[op]);
  const meaning = table[code] ?? COMMON_MEANINGS[code];
  return meaning ? { operation: op, meaning } : null;
}

/** The names a backend may give `call`'s request in an error (the table's name and aliases). */
function namesOf(dialect: DialectId, call: ControlCall): string[] {
  if (dialect === 'v1') return V1_OP[call] ? [V1_OP[call] as string] : [];
  return [V2_OP[call], ...(V2_ALIASES[call] ?? []), ...(OPENS_DEVICE.has(call) ? ['OPEN_DEVICE'] : [])];
}

/** An errno failure of `call` in the table's words; anything else unchanged. */
export function inTableWords(dialect: DialectId, call: ControlCall, err: unknown): unknown {
  if (!(err instanceof BlksnapError)) return err;
  const info = err.toInfo();
  if (info.errno === undefined || !isErrnoName(info.code) || !info.operation || !namesOf(dialect, call).includes(info.operation)) return err;
  const table = meaningOf(dialect, call, info.code, info.operation);
  if (!table) return err;
  return errnoError(info.code, table.operation, table.meaning, info.details);
}
