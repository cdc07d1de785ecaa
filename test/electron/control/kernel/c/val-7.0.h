/* Veeam standalone VAL-7.0 (spec §5). */
#include "standalone.h"
struct blksnap_event_low_free_space { __u64 requested_nr_sect; };
#define REQ_FILTER_ATTACH _IOWR('F', 140, struct bdevfilter_name)
#define REQ_FILTER_DETACH _IOWR('F', 141, struct bdevfilter_name)
#define REQ_FILTER_CTL _IOWR('F', 142, struct bdevfilter_ctl)
