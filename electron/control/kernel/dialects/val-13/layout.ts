// Veeam standalone VAL-13 [inferred, spec §5]: as VAL-7.0, but a 56-byte ATTACH with opt/optlen,
// a bdevfilter SETLOG at nr 143 and event 1 = no_space, 2 = low_free_space. Unverified dialect.
import { struct } from '../../struct';
import {
  bdevfilter_ctl, bdevfilter_name, blksnap_cbtdirty, blksnap_cbtinfo, blksnap_cbtmap, blksnap_event_corrupted,
  blksnap_event_requested, blksnap_mod, blksnap_sectors, blksnap_setlog, blksnap_snapshot_append_storage,
  blksnap_snapshot_collect, blksnap_snapshot_create_path, blksnap_snapshot_event, blksnap_snapshotadd, blksnap_snapshotinfo,
  blksnap_uuid, blksnap_version,
} from '../v2-family/structs';

export const requests = {
  VERSION: 0x80085600,
  SNAPSHOT_CREATE: 0xC0205601,
  SNAPSHOT_DESTROY: 0x40105602,
  SNAPSHOT_TAKE: 0x40105603,
  SNAPSHOT_COLLECT: 0x80105604,
  SNAPSHOT_WAIT_EVENT: 0x90005605,
  MOD: 0x80285620,
  SETLOG: 0x40185621,
  SNAPSHOT_APPEND_STORAGE: 0x40285622,
  FILTER_ATTACH: 0xC038468C,
  FILTER_DETACH: 0xC028468D,
  FILTER_CTL: 0xC038468E,
  FILTER_SETLOG: 0x4018468F,
};

export const bdevfilter_attach = struct('bdevfilter_attach', 56, {
  devpath: [0, 'u64'], name: [8, 'bytes', 32], opt: [40, 'u64'], optlen: [48, 'u32'],
});
export const bdevfilter_setlog = { ...blksnap_setlog, name: 'bdevfilter_setlog' };

export const structs = {
  blksnap_version, blksnap_uuid, blksnap_snapshot_create: blksnap_snapshot_create_path, blksnap_snapshot_collect,
  blksnap_snapshot_event, blksnap_cbtinfo, blksnap_cbtmap, blksnap_sectors, blksnap_cbtdirty, blksnap_snapshotadd,
  blksnap_snapshotinfo, blksnap_event_corrupted, blksnap_event_no_space: blksnap_event_requested,
  blksnap_mod, blksnap_setlog, blksnap_snapshot_append_storage, bdevfilter_attach, bdevfilter_name, bdevfilter_ctl, bdevfilter_setlog,
};

export const events = { 0: 'corrupted', 1: 'no_space', 2: 'low_free_space' } as const;
