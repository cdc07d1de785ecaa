/* blk_snap.h v1 (VAL-6.x) as the spec (§6.2) describes it: x86_64, native pointers. Written from
 * the spec, independently of the TypeScript table: the layout test checks that table against this
 * header with gcc, and the fake module decodes the client's arguments with it. */
#pragma once
#include <linux/types.h>
#include <linux/ioctl.h>
#define BLK_SNAP 'V'
struct blk_snap_uuid { __u8 b[16]; };
struct blk_snap_dev_t { __u32 mj; __u32 mn; };
struct blk_snap_version { __u16 major; __u16 minor; __u16 revision; __u16 build; };
struct blk_snap_tracker_remove { struct blk_snap_dev_t dev_id; };
struct blk_snap_cbt_info { struct blk_snap_dev_t dev_id; __u32 blk_size; __u64 device_capacity; __u32 blk_count; __u8 generationId[16]; __u8 snap_number; };
struct blk_snap_tracker_collect { __u32 count; struct blk_snap_cbt_info *cbt_info_array; };
struct blk_snap_tracker_read_cbt_bitmap { struct blk_snap_dev_t dev_id; __u32 offset; __u32 length; __u8 *buff; };
struct blk_snap_block_range { __u64 sector_offset; __u64 sector_count; };
struct blk_snap_tracker_mark_dirty_blocks { struct blk_snap_dev_t dev_id; __u32 count; struct blk_snap_block_range *dirty_blocks_array; };
struct blk_snap_snapshot_create { __u32 count; struct blk_snap_dev_t *dev_id_array; struct blk_snap_uuid id; };
struct blk_snap_snapshot_destroy { struct blk_snap_uuid id; };
struct blk_snap_snapshot_append_storage { struct blk_snap_uuid id; struct blk_snap_dev_t dev_id; __u32 count; struct blk_snap_block_range *ranges; };
struct blk_snap_snapshot_take { struct blk_snap_uuid id; };
struct blk_snap_snapshot_collect { __u32 count; struct blk_snap_uuid *ids; };
struct blk_snap_image_info { struct blk_snap_dev_t orig_dev_id; struct blk_snap_dev_t image_dev_id; };
struct blk_snap_snapshot_collect_images { struct blk_snap_uuid id; __u32 count; struct blk_snap_image_info *image_info_array; };
struct blk_snap_snapshot_event { struct blk_snap_uuid id; __u32 timeout_ms; __u32 code; __s64 time_label; __u8 data[4096 - 32]; };
struct blk_snap_event_low_free_space { __u64 requested_nr_sect; };
struct blk_snap_event_corrupted { __u32 orig_dev_id_mj; __u32 orig_dev_id_mn; __s32 err_code; };
struct blk_snap_mod { __u64 compatibility_flags; __u8 name[32]; };
struct blk_snap_setlog { __s32 tz_minuteswest; __u32 level; __u32 filepath_size; __u8 *filepath; };
struct blk_snap_sector_state { __u8 snap_number_prev; __u8 snap_number_curr; __u32 chunk_state; };
struct blk_snap_get_sector_state { struct blk_snap_dev_t image_dev_id; __u64 sector; struct blk_snap_sector_state state; };
