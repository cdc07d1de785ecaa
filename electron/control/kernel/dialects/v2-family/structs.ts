// Structs every v2 dialect shares (spec §1: the control device's structs and the CTL payloads;
// identical in lk6.15, v7, v6 except SNAPSHOT_CREATE, VAL-7.0 and VAL-13). Dialect tables
// spread these into their own table so each table lists everything its module uses.
import { struct } from '../../struct';

export const FILTER_NAME = 'blksnap';

export const blksnap_version = struct('blksnap_version', 8, {
  major: [0, 'u16'], minor: [2, 'u16'], revision: [4, 'u16'], build: [6, 'u16'],
});

export const blksnap_uuid = struct('blksnap_uuid', 16, { b: [0, 'bytes', 16] });

/** lk6.15, v7, VAL: the storage is a path. v6 has its own (fd). */
export const blksnap_snapshot_create_path = struct('blksnap_snapshot_create', 32, {
  diff_storage_limit_sect: [0, 'u64'], diff_storage_filename: [8, 'ptr'], id: [16, 'uuid'],
});

export const blksnap_snapshot_collect = struct('blksnap_snapshot_collect', 16, {
  count: [0, 'u32'], ids: [8, 'ptr'],
});

export const blksnap_snapshot_event = struct('blksnap_snapshot_event', 4096, {
  id: [0, 'uuid'], timeout_ms: [16, 'u32'], code: [20, 'u32'], time_label: [24, 's64'], data: [32, 'bytes', 4064],
});

export const blksnap_cbtinfo = struct('blksnap_cbtinfo', 40, {
  device_capacity: [0, 'u64'], block_size: [8, 'u32'], block_count: [12, 'u32'], generation_id: [16, 'uuid'], changes_number: [32, 'u8'],
});

export const blksnap_cbtmap = struct('blksnap_cbtmap', 16, { offset: [0, 'u32'], length: [4, 'u32'], buffer: [8, 'ptr'] });

export const blksnap_sectors = struct('blksnap_sectors', 16, { offset: [0, 'u64'], count: [8, 'u64'] });

export const blksnap_cbtdirty = struct('blksnap_cbtdirty', 16, { count: [0, 'u32'], dirty_sectors: [8, 'ptr'] });

export const blksnap_snapshotadd = struct('blksnap_snapshotadd', 16, { id: [0, 'uuid'] });

export const blksnap_snapshotinfo = struct('blksnap_snapshotinfo', 36, { error_code: [0, 's32'], image: [4, 'bytes', 32] });

/** Event payloads (in the event's data). */
export const blksnap_event_corrupted = struct('blksnap_event_corrupted', 12, {
  dev_id_mj: [0, 'u32'], dev_id_mn: [4, 'u32'], err_code: [8, 's32'],
});
/** no_space (lk6.15, VAL-13) and low_free_space (VAL-7.0, VAL-13) carry the same u64. */
export const blksnap_event_requested = struct('blksnap_event_no_space', 8, { requested_nr_sect: [0, 'u64'] });

/** Upstream block-device filter structs (v6, v7 and lk6.15 differ only in which they use). */
export const blkfilter_name = struct('blkfilter_name', 32, { name: [0, 'bytes', 32] });
export const blkfilter_ctl = struct('blkfilter_ctl', 48, {
  name: [0, 'bytes', 32], cmd: [32, 'u32'], optlen: [36, 'u32'], opt: [40, 'ptr'],
});

/** Standalone extras on /dev/veeamblksnap (spec §5.1). */
export const blksnap_mod = struct('blksnap_mod', 40, { compatibility_flags: [0, 'u64'], name: [8, 'bytes', 32] });
export const blksnap_setlog = struct('blksnap_setlog', 24, {
  tz_minuteswest: [0, 's32'], level: [4, 's32'], filepath_size: [8, 'u32'], filepath: [16, 'u64'],
});
export const blksnap_snapshot_append_storage = struct('blksnap_snapshot_append_storage', 40, {
  id: [0, 'uuid'], devpath: [16, 'u64'], count: [24, 'u32'], ranges: [32, 'u64'],
});

/** Standalone filter structs on /dev/bdevfilter (spec §5.2): the device is a path. */
export const bdevfilter_name = struct('bdevfilter_name', 40, { devpath: [0, 'u64'], name: [8, 'bytes', 32] });
export const bdevfilter_ctl = struct('bdevfilter_ctl', 56, {
  devpath: [0, 'u64'], name: [8, 'bytes', 32], cmd: [40, 'u32'], optlen: [44, 'u32'], opt: [48, 'u64'],
});

/** CTL sub-commands and the minimum optlen each requires (= the payload struct). */
export const CTL = {
  CBTINFO: { cmd: 0, struct: blksnap_cbtinfo },
  CBTMAP: { cmd: 1, struct: blksnap_cbtmap },
  CBTDIRTY: { cmd: 2, struct: blksnap_cbtdirty },
  SNAPSHOTADD: { cmd: 3, struct: blksnap_snapshotadd },
  SNAPSHOTINFO: { cmd: 4, struct: blksnap_snapshotinfo },
} as const;
export type CtlCommand = keyof typeof CTL;
