// v1 trackers and their CBT: trackers appear at snapshot create (no attach), TRACKER_COLLECT
// lists them, the map is readable only while a taken snapshot holds it.
import { NativeMemory } from '../../native';
import { appError, errnoError } from '../../../../../shared/errors';
import type { CbtInfo, DevId, SectorRange } from '../../../../../shared/schemas';
import { uuidFromBytes } from '../../../uuid';
import type { Meanings } from './calls';
import * as codec from './codec';
import { V1_STRUCT } from './layout';
import { validateRanges } from './ranges';
import type { V1Context } from './state';
import { devText } from './system';

/** Bytes of CBT map per READ_CBT_MAP call. */
const CBT_CHUNK = 65536;

export async function detach(ctx: V1Context, device: string): Promise<void> {
  const { devId } = await ctx.sys.resolve(device);
  ctx.calls.withMem('TRACKER_REMOVE', [], (arg) => {
    const res = ctx.calls.send('TRACKER_REMOVE', codec.encodeTrackerRemove(devId), arg);
    if (res.ret < 0) {
      throw ctx.calls.fail('TRACKER_REMOVE', res, {
        ENODATA: `${device} is not tracked`,
        EBUSY: `${device} is held by a snapshot: v1 removes a tracker only after its snapshot is destroyed`,
      }, { device, devId: devText(devId) });
    }
  });
}

/** TRACKER_COLLECT with the count protocol: ask the count, fetch, retry on ENOBUFS. */
export async function collectTrackers(ctx: V1Context): Promise<codec.V1CbtInfo[]> {
  return ctx.calls.collect({
    name: 'TRACKER_COLLECT', encode: codec.encodeTrackerCollect, count: codec.decodeCount,
    entryBytes: V1_STRUCT.blk_snap_cbt_info.size, decode: codec.decodeCbtInfoArray, slack: 4, changed: 'ENOBUFS',
    gaveUp: 'TRACKER_COLLECT: the number of trackers kept changing (ENOBUFS after every retry)',
  });
}

async function tracker(ctx: V1Context, device: string): Promise<{ devId: DevId; info: codec.V1CbtInfo }> {
  const { devId } = await ctx.sys.resolve(device);
  const info = (await collectTrackers(ctx)).find((t) => devText(t.devId) === devText(devId));
  if (!info) {
    throw errnoError('ENOENT', 'cbtinfo', `${device} is not tracked (on v1 trackers appear at snapshot create)`, { device, devId: devText(devId), synthesized: true });
  }
  return { devId, info };
}

export async function cbtInfo(ctx: V1Context, device: string): Promise<CbtInfo> {
  const { info } = await tracker(ctx, device);
  return {
    deviceCapacityBytes: info.deviceCapacityBytes, blockSizeBytes: info.blkSizeBytes, blockCount: info.blkCount,
    generationId: uuidFromBytes(Buffer.from(info.generationIdHex, 'hex')), changesNumber: info.snapNumber,
  };
}

/**
 * READ_CBT_MAP returns the byte count (min(length, blk_count − offset)), EINVAL at the end and
 * never 0 for a non-empty read: loop on the count, stop at a short read; a read that
 * straddles the end comes back shorter than asked.
 */
export async function cbtMap(ctx: V1Context, device: string, offsetBlocks: number, lengthBlocks: number): Promise<Uint8Array> {
  if (![offsetBlocks, lengthBlocks].every((n) => Number.isSafeInteger(n) && n >= 0) || offsetBlocks + lengthBlocks > 0xffffffff) {
    throw appError('EBADARG', `cbtMap: offset ${offsetBlocks} and length ${lengthBlocks} must be whole numbers within u32`);
  }
  const { devId } = await ctx.sys.resolve(device);
  const out = Buffer.alloc(lengthBlocks);
  let got = 0;
  const meanings: Meanings = {
    EPERM: `the CBT map needs a taken snapshot: v1 reads ${device}'s map only while a taken snapshot holds it`,
    ENODATA: `${device} is not tracked`,
    EFAULT: `${device}'s CBT map is corrupted`,
    EINVAL: `offset ${offsetBlocks} is at or past the end of ${device}'s CBT map`,
  };
  while (got < lengthBlocks) {
    const want = Math.min(CBT_CHUNK, lengthBlocks - got);
    const n = ctx.calls.withMem('TRACKER_READ_CBT_MAP', [want], (arg, [buf]) => {
      const b = buf as NativeMemory;
      const res = ctx.calls.send('TRACKER_READ_CBT_MAP', codec.encodeReadCbtMap(devId, offsetBlocks + got, want, b.address), arg);
      if (res.ret < 0) {
        if (res.errnoName === 'EINVAL' && got > 0) return 0;
        throw ctx.calls.fail('TRACKER_READ_CBT_MAP', res, meanings, { device, offsetBlocks: offsetBlocks + got });
      }
      if (res.ret > want) throw appError('EINTERNAL', `TRACKER_READ_CBT_MAP returned ${res.ret} bytes for ${want} asked`);
      b.read(res.ret).copy(out, got);
      return res.ret;
    });
    got += n;
    if (n < want) break;
  }
  return new Uint8Array(out.subarray(0, got));
}

export async function cbtDirty(ctx: V1Context, device: string, ranges: SectorRange[]): Promise<void> {
  const { devId } = await ctx.sys.resolve(device);
  const size = await ctx.sys.sizeSectors(devId);
  validateRanges(ranges, { sizeSectors: size ?? Number.MAX_SAFE_INTEGER, alignSectors: 1, what: `mark dirty on ${device}` });
  const bytes = codec.encodeRanges(ranges);
  ctx.calls.withMem('TRACKER_MARK_DIRTY_BLOCKS', [bytes.length], (arg, [buf]) => {
    (buf as NativeMemory).write(bytes);
    const res = ctx.calls.send('TRACKER_MARK_DIRTY_BLOCKS', codec.encodeMarkDirty(devId, ranges.length, (buf as NativeMemory).address), arg);
    if (res.ret < 0) {
      throw ctx.calls.fail('TRACKER_MARK_DIRTY_BLOCKS', res, {
        ENODEV: `${device} is not tracked (nor an image of a tracked device)`, EINVAL: 'a range ends past the map',
      }, { device });
    }
  });
}
