// v1 events: SNAPSHOT_WAIT_EVENT off the event loop, and what this client learns from each event
// (the storage the module asked for, the devices it corrupted).
import { NativeMemory } from '../../native';
import { appError } from '../../../../../shared/errors';
import type { SnapshotEvent } from '../../../../../shared/schemas';
import type { WaitOptions } from '../../../types';
import * as codec from './codec';
import { V1_EVENT, V1_STRUCT } from './layout';
import { checkedRequest } from './port';
import { normalizeId, stateOf, type V1Context } from './state';
import { devText } from './system';

export async function waitEvent(ctx: V1Context, id: string, timeoutTicks: number, options?: WaitOptions): Promise<SnapshotEvent | null> {
  if (!Number.isInteger(timeoutTicks) || timeoutTicks < 0 || timeoutTicks > 0xffffffff) {
    throw appError('EBADARG', `waitEvent: timeout ${timeoutTicks} is not a u32 number of ticks`);
  }
  const key = normalizeId(id);
  if (options?.signal?.aborted) return null;
  const arg = codec.encodeWaitEvent(key, timeoutTicks);
  const request = checkedRequest('SNAPSHOT_WAIT_EVENT', arg.length);
  const mem = new NativeMemory(V1_STRUCT.blk_snap_snapshot_event.size);
  mem.write(arg);
  // The memory is freed only when the ioctl returns.
  const call = ctx.calls.port.ioctlBlocking(request, mem).then(
    (res) => {
      try {
        return { res, bytes: res.ret === 0 ? mem.read() : null };
      } finally {
        mem.free();
      }
    },
    (err: unknown) => {
      mem.free();
      throw err;
    },
  );
  // An abort is seen after this slice, never during it: the caller (the event pump) must know
  // that no wait is in progress before DESTROY, and an event read meanwhile is not dropped.
  const outcome = await call;
  const { res, bytes } = outcome;
  if (res.ret < 0) {
    if (res.errnoName === 'ENOENT' || res.errnoName === 'EINTR') return null;
    throw ctx.calls.fail('SNAPSHOT_WAIT_EVENT', res, { ESRCH: 'no such snapshot (destroyed?)', EINVAL: 'the event struct could not be copied' }, { snapshotId: key });
  }
  return recordEvent(ctx, key, codec.decodeEvent(bytes as Buffer));
}

function recordEvent(ctx: V1Context, id: string, ev: codec.V1DecodedEvent): SnapshotEvent {
  const s = stateOf(ctx.snapshots, id);
  const base = { snapshotId: id, code: ev.code, timeLabelNs: ev.timeLabelNs, device: null, errCode: null, requestedSectors: null };
  if (ev.kind === 'low_free_space' && ev.code === V1_EVENT.LOW_FREE_SPACE) {
    s.requestedSectors += ev.requestedSectors;
    return { ...base, kind: 'low_free_space', requestedSectors: ev.requestedSectors };
  }
  if (ev.kind === 'corrupted' && ev.code === V1_EVENT.CORRUPTED) {
    s.corrupted.set(devText(ev.device), ev.errCode);
    return { ...base, kind: 'corrupted', device: ev.device, errCode: ev.errCode };
  }
  return { ...base, kind: 'unknown' };
}
