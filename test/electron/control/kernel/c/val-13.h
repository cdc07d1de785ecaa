/* Veeam standalone VAL-13 (spec §5, inferred). */
#include "standalone.h"
struct bdevfilter_attach { __u64 devpath; char name[32]; __u64 opt; __u32 optlen; };
struct bdevfilter_setlog { __s32 tz_minuteswest; __s32 level; __u32 filepath_size; __u64 filepath; };
#define REQ_FILTER_ATTACH _IOWR('F', 140, struct bdevfilter_attach)
#define REQ_FILTER_DETACH _IOWR('F', 141, struct bdevfilter_name)
#define REQ_FILTER_CTL _IOWR('F', 142, struct bdevfilter_ctl)
#define REQ_FILTER_SETLOG _IOW('F', 143, struct bdevfilter_setlog)
