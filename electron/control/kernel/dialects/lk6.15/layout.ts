// upstream lk6.15 (the spec's reference dialect, §1): /dev/blksnap-control + BLKFILTER_* on the
// block device, type 0x12 nr 142–144. Beware: 0xC030128E is ATTACH here but CTL in v6/v7.
import { struct } from '../../struct';
import {
  blkfilter_ctl, blksnap_cbtdirty, blksnap_cbtinfo, blksnap_cbtmap, blksnap_event_corrupted, blksnap_event_requested,
  blksnap_sectors, blksnap_snapshot_collect, blksnap_snapshot_create_path, blksnap_snapshot_event, blksnap_snapshotadd,
  blksnap_snapshotinfo, blksnap_uuid, blksnap_version,
} from '../v2-family/structs';

export const requests = {
  VERSION: 0x80085600,
  SNAPSHOT_CREATE: 0xC0205601,
  SNAPSHOT_DESTROY: 0x40105602,
  SNAPSHOT_TAKE: 0x40105603,
  SNAPSHOT_COLLECT: 0x80105604,
  SNAPSHOT_WAIT_EVENT: 0x90005605,
  FILTER_ATTACH: 0xC030128E,
  FILTER_DETACH: 0xC020128F,
  FILTER_CTL: 0xC0301290,
};

export const blkfilter_attach = struct('blkfilter_attach', 48, { name: [0, 'bytes', 32], opt: [32, 'ptr'], optlen: [40, 'u32'] });
export const blkfilter_detach = struct('blkfilter_detach', 32, { name: [0, 'bytes', 32] });

export const structs = {
  blksnap_version, blksnap_uuid, blksnap_snapshot_create: blksnap_snapshot_create_path, blksnap_snapshot_collect,
  blksnap_snapshot_event, blksnap_cbtinfo, blksnap_cbtmap, blksnap_sectors, blksnap_cbtdirty, blksnap_snapshotadd,
  blksnap_snapshotinfo, blksnap_event_corrupted, blksnap_event_no_space: blksnap_event_requested,
  blkfilter_attach, blkfilter_detach, blkfilter_ctl,
};

export const events = { 0: 'corrupted', 1: 'no_space' } as const;
