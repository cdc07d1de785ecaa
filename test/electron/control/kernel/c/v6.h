/* upstream v6 (spec §4): SNAPSHOT_CREATE carries an fd. */
#include "v2-common.h"
struct blksnap_snapshot_create { __u64 diff_storage_limit_sect; __u32 diff_storage_fd; struct blksnap_uuid id; };
struct blkfilter_name { char name[32]; };
struct blkfilter_ctl { char name[32]; __u32 cmd; __u32 optlen; __u64 opt; };
#define REQ_FILTER_ATTACH _IOWR(0x12, 140, struct blkfilter_name)
#define REQ_FILTER_DETACH _IOWR(0x12, 141, struct blkfilter_name)
#define REQ_FILTER_CTL _IOWR(0x12, 142, struct blkfilter_ctl)
