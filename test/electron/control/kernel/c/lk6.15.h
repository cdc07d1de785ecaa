/* upstream lk6.15 (spec §1). */
#include "v2-common.h"
struct blksnap_snapshot_create { __u64 diff_storage_limit_sect; __u64 diff_storage_filename; struct blksnap_uuid id; };
struct blkfilter_attach { char name[32]; __u64 opt; __u32 optlen; };
struct blkfilter_detach { char name[32]; };
struct blkfilter_ctl { char name[32]; __u32 cmd; __u32 optlen; __u64 opt; };
#define REQ_FILTER_ATTACH _IOWR(0x12, 142, struct blkfilter_attach)
#define REQ_FILTER_DETACH _IOWR(0x12, 143, struct blkfilter_detach)
#define REQ_FILTER_CTL _IOWR(0x12, 144, struct blkfilter_ctl)
