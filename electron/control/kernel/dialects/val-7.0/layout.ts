// Veeam standalone VAL-7.0 (spec §5): /dev/veeamblksnap (control, identical to §1, plus MOD,
// SETLOG, APPEND_STORAGE) and /dev/bdevfilter ('F' nr 140–142, the device named by a path).
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
  FILTER_ATTACH: 0xC028468C,
  FILTER_DETACH: 0xC028468D,
  FILTER_CTL: 0xC038468E,
};

export const structs = {
  blksnap_version, blksnap_uuid, blksnap_snapshot_create: blksnap_snapshot_create_path, blksnap_snapshot_collect,
  blksnap_snapshot_event, blksnap_cbtinfo, blksnap_cbtmap, blksnap_sectors, blksnap_cbtdirty, blksnap_snapshotadd,
  blksnap_snapshotinfo, blksnap_event_corrupted, blksnap_event_low_free_space: { ...blksnap_event_requested, name: 'blksnap_event_low_free_space' },
  blksnap_mod, blksnap_setlog, blksnap_snapshot_append_storage, bdevfilter_name, bdevfilter_ctl,
};

export const events = { 0: 'corrupted', 1: 'low_free_space' } as const;
