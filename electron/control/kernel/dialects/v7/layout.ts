// upstream v7 / lk6.9 (spec §4): BLKFILTER_* nr 140–142 with the 32-byte name struct;
// 0xC030128E is CTL here (ATTACH in lk6.15).
import {
  blkfilter_ctl, blkfilter_name, blksnap_cbtdirty, blksnap_cbtinfo, blksnap_cbtmap, blksnap_event_corrupted, blksnap_sectors,
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
  FILTER_ATTACH: 0xC020128C,
  FILTER_DETACH: 0xC020128D,
  FILTER_CTL: 0xC030128E,
};

export const structs = {
  blksnap_version, blksnap_uuid, blksnap_snapshot_create: blksnap_snapshot_create_path, blksnap_snapshot_collect,
  blksnap_snapshot_event, blksnap_cbtinfo, blksnap_cbtmap, blksnap_sectors, blksnap_cbtdirty, blksnap_snapshotadd,
  blksnap_snapshotinfo, blksnap_event_corrupted, blkfilter_name, blkfilter_ctl,
};

export const events = { 0: 'corrupted' } as const;
