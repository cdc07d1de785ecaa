// upstream v6 (2023 seed series, spec §4): numbers as v7; SNAPSHOT_CREATE carries an fd.
import { struct } from '../../struct';
import {
  blkfilter_ctl, blkfilter_name, blksnap_cbtdirty, blksnap_cbtinfo, blksnap_cbtmap, blksnap_event_corrupted, blksnap_sectors,
  blksnap_snapshot_collect, blksnap_snapshot_event, blksnap_snapshotadd, blksnap_snapshotinfo, blksnap_uuid, blksnap_version,
} from '../v2-family/structs';

export const requests = {
  VERSION: 0x80085600,
  SNAPSHOT_CREATE: 0xC0205601,
  SNAPSHOT_DESTROY: 0x40105602,
  SNAPSHOT_TAKE: 0x40105603,
  SNAPSHOT_COLLECT: 0x80105604,
  SNAPSHOT_WAIT_EVENT: 0x90005605,
  FILTER_ATTACH: 0xC020128C,
  FILTER_DETACH: 0xC020128D,
  FILTER_CTL: 0xC030128E,
};

/** limit @0, diff_storage_fd @8, id @12, pad 28–31. */
export const blksnap_snapshot_create = struct('blksnap_snapshot_create', 32, {
  diff_storage_limit_sect: [0, 'u64'], diff_storage_fd: [8, 'u32'], id: [12, 'uuid'],
});

export const structs = {
  blksnap_version, blksnap_uuid, blksnap_snapshot_create, blksnap_snapshot_collect, blksnap_snapshot_event, blksnap_cbtinfo,
  blksnap_cbtmap, blksnap_sectors, blksnap_cbtdirty, blksnap_snapshotadd, blksnap_snapshotinfo, blksnap_event_corrupted,
  blkfilter_name, blkfilter_ctl,
};

export const events = { 0: 'corrupted' } as const;
