// v1 difference storage: ranges user space appends (page-aligned, no overlap), and the usage this
// client can tell from what it appended and the events it saw.
import { NativeMemory } from '../../native';
import { appError } from '../../../../../shared/errors';
import type { DiffStorageUsage, SectorRange } from '../../../../../shared/schemas';
import * as codec from './codec';
import { validateRanges } from './ranges';
import { normalizeId, stateOf, type V1Context } from './state';
import { devText } from './system';

/** PAGE_SIZE (x86_64) in sectors: the alignment of every storage range. */
const PAGE_SECTORS = 8;

export async function appendStorage(ctx: V1Context, id: string, device: string, ranges: SectorRange[]): Promise<void> {
  const key = normalizeId(id);
  const { devId } = await ctx.sys.resolve(device);
  const size = await ctx.sys.sizeSectors(devId);
  if (size === null) {
    throw appError('EBADARG', `${device} (${devText(devId)}) is not a block device of this kernel: v1 would accept it silently and the storage would be unusable`, { device });
  }
  const s = stateOf(ctx.snapshots, key);
  const previous = s.appended.get(devText(devId)) ?? [];
  // The module checks each range with check_page_aligned: a 512-aligned one is accepted, then
  // every copy into it fails (EINVAL) and the snapshot is corrupted (measured, spec §6.4).
  const alignSectors = Math.max(PAGE_SECTORS, await ctx.sys.logicalBlockSectors(devId));
  validateRanges(ranges, { sizeSectors: size, alignSectors, alignWhat: 'the page size the module demands (or the logical block)', existing: previous, what: `append storage on ${device}` });
  const bytes = codec.encodeRanges(ranges);
  ctx.calls.withMem('SNAPSHOT_APPEND_STORAGE', [bytes.length], (arg, [buf]) => {
    (buf as NativeMemory).write(bytes);
    const res = ctx.calls.send('SNAPSHOT_APPEND_STORAGE', codec.encodeAppendStorage(key, devId, ranges.length, (buf as NativeMemory).address), arg);
    if (res.ret < 0) {
      throw ctx.calls.fail('SNAPSHOT_APPEND_STORAGE', res, {
        ESRCH: 'no such snapshot', ENOMEM: 'the module is out of memory', ENODATA: 'the ranges could not be copied', EINVAL: 'the ranges could not be copied',
      }, { snapshotId: key, device });
    }
  });
  s.appended.set(devText(devId), [...previous, ...ranges]);
  s.appendedSectors += ranges.reduce((sum, r) => sum + r.countSectors, 0);
}

export async function diffStorageUsage(ctx: V1Context, id: string): Promise<DiffStorageUsage> {
  const s = ctx.snapshots.get(normalizeId(id));
  return {
    filledSectors: null,
    requestedSectors: s ? s.requestedSectors : null,
    capacitySectors: s ? s.appendedSectors : null,
    limitSectors: s?.limitSectors ?? null,
    overflowed: s ? [...s.corrupted.values()].includes(28) : null,
    source: s ? 'v1: ranges appended by this client; requested from low_free_space events' : 'v1: snapshot not created by this client',
  };
}
