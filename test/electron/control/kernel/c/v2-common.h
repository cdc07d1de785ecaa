/* Structs every v2 dialect shares, written from blksnap-spec.md §1 (x86_64). */
#ifndef V2_COMMON_H
#define V2_COMMON_H
#include <linux/types.h>
#include <linux/ioctl.h>

#define BLKSNAP 'V'

struct blksnap_version { __u16 major; __u16 minor; __u16 revision; __u16 build; };
struct blksnap_uuid { __u8 b[16]; };
struct blksnap_snapshot_collect { __u32 count; __u64 ids; };
struct blksnap_snapshot_event {
	struct blksnap_uuid id; __u32 timeout_ms; __u32 code; __s64 time_label; __u8 data[4096 - 32];
};
struct blksnap_cbtinfo {
	__u64 device_capacity; __u32 block_size; __u32 block_count; struct blksnap_uuid generation_id; __u8 changes_number;
};
struct blksnap_cbtmap { __u32 offset; __u32 length; __u64 buffer; };
struct blksnap_sectors { __u64 offset; __u64 count; };
struct blksnap_cbtdirty { __u32 count; __u64 dirty_sectors; };
struct blksnap_snapshotadd { struct blksnap_uuid id; };
struct blksnap_snapshotinfo { __s32 error_code; __u8 image[32]; };
struct blksnap_event_corrupted { __u32 dev_id_mj; __u32 dev_id_mn; __s32 err_code; };
struct blksnap_event_no_space { __u64 requested_nr_sect; };

#define REQ_VERSION _IOR(BLKSNAP, 0, struct blksnap_version)
#define REQ_SNAPSHOT_CREATE _IOWR(BLKSNAP, 1, struct blksnap_snapshot_create)
#define REQ_SNAPSHOT_DESTROY _IOW(BLKSNAP, 2, struct blksnap_uuid)
#define REQ_SNAPSHOT_TAKE _IOW(BLKSNAP, 3, struct blksnap_uuid)
#define REQ_SNAPSHOT_COLLECT _IOR(BLKSNAP, 4, struct blksnap_snapshot_collect)
#define REQ_SNAPSHOT_WAIT_EVENT _IOR(BLKSNAP, 5, struct blksnap_snapshot_event)
#endif
