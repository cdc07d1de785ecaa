// The v1 ABI (Veeam Agent for Linux 6.x, blk_snap.h; spec §6.2): request numbers as compiled,
// struct sizes and field offsets on x86_64. Checked against gcc and the VAL-6.3 traces by the
// tests in test/electron/control/kernel/v1/. Pointers are native (8 bytes on x86_64).

/** Request numbers exactly as the header compiles them (the module dispatches on _IOC_NR only). */
export const V1_REQUEST = {
  VERSION: 0x40085600,
  TRACKER_REMOVE: 0x40085601,
  TRACKER_COLLECT: 0x40105602,
  TRACKER_READ_CBT_MAP: 0x80185603,
  TRACKER_MARK_DIRTY_BLOCKS: 0x80185604,
  SNAPSHOT_CREATE: 0x40205605,
  SNAPSHOT_DESTROY: 0x80105606,
  SNAPSHOT_APPEND_STORAGE: 0x40285607,
  SNAPSHOT_TAKE: 0x80105608,
  SNAPSHOT_COLLECT: 0x40105609,
  SNAPSHOT_COLLECT_IMAGES: 0x4020560A,
  SNAPSHOT_WAIT_EVENT: 0x5000560B,
  MOD: 0x40285620,
  SETLOG: 0x40185621,
  GET_SECTOR_STATE: 0x40185622,
} as const;

export type V1RequestName = keyof typeof V1_REQUEST;

/** nr 12 reads one slot past the module's dispatch table [inferred bug]: never sent. */
export const V1_FORBIDDEN_NR = 12;

export interface StructLayout {
  size: number;
  /** Field name → byte offset. */
  fields: Record<string, number>;
}

/** Every v1 struct: size and offsets (x86_64). Names as in blk_snap.h. */
export const V1_STRUCT = {
  blk_snap_dev_t: { size: 8, fields: { mj: 0, mn: 4 } },
  blk_snap_version: { size: 8, fields: { major: 0, minor: 2, revision: 4, build: 6 } },
  blk_snap_tracker_remove: { size: 8, fields: { dev_id: 0 } },
  blk_snap_cbt_info: { size: 48, fields: { dev_id: 0, blk_size: 8, device_capacity: 16, blk_count: 24, generationId: 28, snap_number: 44 } },
  blk_snap_tracker_collect: { size: 16, fields: { count: 0, cbt_info_array: 8 } },
  blk_snap_tracker_read_cbt_bitmap: { size: 24, fields: { dev_id: 0, offset: 8, length: 12, buff: 16 } },
  blk_snap_block_range: { size: 16, fields: { sector_offset: 0, sector_count: 8 } },
  blk_snap_tracker_mark_dirty_blocks: { size: 24, fields: { dev_id: 0, count: 8, dirty_blocks_array: 16 } },
  blk_snap_snapshot_create: { size: 32, fields: { count: 0, dev_id_array: 8, id: 16 } },
  blk_snap_snapshot_destroy: { size: 16, fields: { id: 0 } },
  blk_snap_snapshot_append_storage: { size: 40, fields: { id: 0, dev_id: 16, count: 24, ranges: 32 } },
  blk_snap_snapshot_take: { size: 16, fields: { id: 0 } },
  blk_snap_snapshot_collect: { size: 16, fields: { count: 0, ids: 8 } },
  blk_snap_image_info: { size: 16, fields: { orig_dev_id: 0, image_dev_id: 8 } },
  blk_snap_snapshot_collect_images: { size: 32, fields: { id: 0, count: 16, image_info_array: 24 } },
  blk_snap_snapshot_event: { size: 4096, fields: { id: 0, timeout_ms: 16, code: 20, time_label: 24, data: 32 } },
  blk_snap_event_low_free_space: { size: 8, fields: { requested_nr_sect: 0 } },
  blk_snap_event_corrupted: { size: 12, fields: { orig_dev_id_mj: 0, orig_dev_id_mn: 4, err_code: 8 } },
  blk_snap_mod: { size: 40, fields: { compatibility_flags: 0, name: 8 } },
  blk_snap_setlog: { size: 24, fields: { tz_minuteswest: 0, level: 4, filepath_size: 8, filepath: 16 } },
  blk_snap_sector_state: { size: 8, fields: { snap_number_prev: 0, snap_number_curr: 1, chunk_state: 4 } },
  blk_snap_get_sector_state: { size: 24, fields: { image_dev_id: 0, sector: 8, state: 16 } },
} as const satisfies Record<string, StructLayout>;

export type V1StructName = keyof typeof V1_STRUCT;

/** The argument struct of each request (its size is the number's _IOC_SIZE). */
export const V1_ARG_STRUCT: Record<V1RequestName, V1StructName> = {
  VERSION: 'blk_snap_version',
  TRACKER_REMOVE: 'blk_snap_tracker_remove',
  TRACKER_COLLECT: 'blk_snap_tracker_collect',
  TRACKER_READ_CBT_MAP: 'blk_snap_tracker_read_cbt_bitmap',
  TRACKER_MARK_DIRTY_BLOCKS: 'blk_snap_tracker_mark_dirty_blocks',
  SNAPSHOT_CREATE: 'blk_snap_snapshot_create',
  SNAPSHOT_DESTROY: 'blk_snap_snapshot_destroy',
  SNAPSHOT_APPEND_STORAGE: 'blk_snap_snapshot_append_storage',
  SNAPSHOT_TAKE: 'blk_snap_snapshot_take',
  SNAPSHOT_COLLECT: 'blk_snap_snapshot_collect',
  SNAPSHOT_COLLECT_IMAGES: 'blk_snap_snapshot_collect_images',
  SNAPSHOT_WAIT_EVENT: 'blk_snap_snapshot_event',
  MOD: 'blk_snap_mod',
  SETLOG: 'blk_snap_setlog',
  GET_SECTOR_STATE: 'blk_snap_get_sector_state',
};

/** Event codes of v1 (swapped against VAL-7.0: spec §0.3 hazards). */
export const V1_EVENT = { LOW_FREE_SPACE: 0, CORRUPTED: 1 } as const;

export const UUID_BYTES = 16;
