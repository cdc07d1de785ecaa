// Event decoding per dialect: the same code means different things (spec §0.3 hazards):
// 1 = no_space (lk6.15, VAL-13), low_free_space (VAL-7.0); VAL-13 adds 2 = low_free_space.
import type { SnapshotEvent } from '../../../../../shared/schemas';
import { StructView } from '../../struct';
import { uuidFromBytes } from '../../../uuid';
import type { V2Dialect } from './dialect';
import { blksnap_event_corrupted, blksnap_event_requested } from './structs';

export function decodeEvent(dialect: Pick<V2Dialect, 'events'>, fallbackId: string, event: StructView): SnapshotEvent {
  const code = event.u32('code');
  const kind = dialect.events[code] ?? 'unknown';
  const data = event.bytes('data');
  const base: SnapshotEvent = {
    snapshotId: safeId(event.bytes('id'), fallbackId), code, kind, timeLabelNs: event.s64('time_label').toString(),
    device: null, errCode: null, requestedSectors: null,
  };
  if (kind === 'corrupted') {
    const c = new StructView(blksnap_event_corrupted, data);
    return { ...base, device: { major: c.u32('dev_id_mj'), minor: c.u32('dev_id_mn') }, errCode: c.s32('err_code') };
  }
  if (kind === 'no_space' || kind === 'low_free_space') {
    return { ...base, requestedSectors: Number(new StructView(blksnap_event_requested, data).u64('requested_nr_sect')) };
  }
  return base;
}

function safeId(bytes: Buffer, fallback: string): string {
  return bytes.every((b) => b === 0) ? fallback : uuidFromBytes(bytes);
}
