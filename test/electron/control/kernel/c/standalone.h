/* Standalone control extras on /dev/veeamblksnap (spec §5.1). */
#include "v2-common.h"
struct blksnap_snapshot_create { __u64 diff_storage_limit_sect; __u64 diff_storage_filename; struct blksnap_uuid id; };
struct blksnap_mod { __u64 compatibility_flags; __u8 name[32]; };
struct blksnap_setlog { __s32 tz_minuteswest; __s32 level; __u32 filepath_size; __u64 filepath; };
struct blksnap_snapshot_append_storage { struct blksnap_uuid id; __u64 devpath; __u32 count; __u64 ranges; };
struct bdevfilter_name { __u64 devpath; char name[32]; };
struct bdevfilter_ctl { __u64 devpath; char name[32]; __u32 cmd; __u32 optlen; __u64 opt; };
#define REQ_MOD _IOR(BLKSNAP, 32, struct blksnap_mod)
#define REQ_SETLOG _IOW(BLKSNAP, 33, struct blksnap_setlog)
#define REQ_SNAPSHOT_APPEND_STORAGE _IOW(BLKSNAP, 34, struct blksnap_snapshot_append_storage)
