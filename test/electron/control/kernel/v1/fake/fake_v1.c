// LD_PRELOAD fake of the v1 blksnap module (VAL-6.x, blk_snap.h; spec §6): intercepts open()
// of the control node and ioctl() on it, and plays the module's state machine: implicit
// trackers, the device list fixed at create, low_free_space at create and whenever free space
// falls to minimum/2, range storage appended by user space (checked and logged), overflow with
// a corrupted event, TAKE failure destroying the snapshot, COLLECT_IMAGES, EPERM CBT reads
// while not taken, EINVAL at the map's end, ENOBUFS, ENODEV ... Everything else is forwarded to
// libc. Hazards (count-0 create, nr 12) abort the process so a test can never pass over them.
//
// Environment: FAKE_V1_CONTROL (node path, default /dev/veeamblksnap), FAKE_V1_LOG (JSON lines),
// FAKE_V1_MINIMUM (diff_storage_minimum, sectors, default 2048), FAKE_V1_FILL_PER_WAIT (sectors
// the "workload" copies into the storage per WAIT_EVENT once taken, default 0),
// FAKE_V1_STORAGE_DEV ("M:m" the appended ranges must be on), FAKE_V1_STORAGE_SECTORS (its size),
// FAKE_V1_CAPACITY (bytes of each tracked device, default 256 MiB).
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "blk_snap_v1.h"

#define MAX_FDS 8
#define MAX_TRACKERS 16
#define MAX_DEVS 16
#define MAX_RANGES 4096
#define MAX_EVENTS 64
#define BLK_SHIFT 16

struct tracker {
	int used;
	uint32_t mj, mn;
	uint64_t capacity;
	uint32_t blk_count;
	uint8_t gen[16];
	uint8_t snap_number;
	uint8_t *map;
};

struct event { uint32_t code; int64_t time_label; uint8_t data[16]; };

struct snapshot {
	int exists, taken, overflow, low_flag;
	uint8_t id[16];
	int ndev;
	struct blk_snap_dev_t devs[MAX_DEVS];
	uint64_t capacity, requested, filled;
	int nranges;
	struct blk_snap_dev_t range_dev[MAX_RANGES];
	struct blk_snap_block_range ranges[MAX_RANGES];
	int nev;
	struct event ev[MAX_EVENTS];
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int ctl_fds[MAX_FDS];
static int nctl;
static struct tracker trackers[MAX_TRACKERS];
static struct snapshot snap; /* only the newest snapshot is reachable: one slot */
static FILE *logf;

static int (*real_open)(const char *, int, ...);
static int (*real_ioctl)(int, unsigned long, ...);
static int (*real_close)(int);

static uint64_t env_u64(const char *name, uint64_t dflt)
{
	const char *v = getenv(name);
	return v && *v ? strtoull(v, NULL, 0) : dflt;
}

static void init_real(void)
{
	if (!real_open) real_open = dlsym(RTLD_NEXT, "open");
	if (!real_ioctl) real_ioctl = dlsym(RTLD_NEXT, "ioctl");
	if (!real_close) real_close = dlsym(RTLD_NEXT, "close");
	if (!logf && getenv("FAKE_V1_LOG")) logf = fopen(getenv("FAKE_V1_LOG"), "a");
}

static void logj(const char *fmt, ...)
{
	va_list ap;
	if (!logf) return;
	va_start(ap, fmt);
	vfprintf(logf, fmt, ap);
	va_end(ap);
	fputc('\n', logf);
	fflush(logf);
}

static const char *control_path(void)
{
	const char *p = getenv("FAKE_V1_CONTROL");
	return p && *p ? p : "/dev/veeamblksnap";
}

static int is_ctl(int fd)
{
	for (int i = 0; i < nctl; i++) if (ctl_fds[i] == fd) return 1;
	return 0;
}

static int open_common(const char *path, int flags, mode_t mode)
{
	init_real();
	if (path && strcmp(path, control_path()) == 0) {
		int fd = real_open("/dev/null", O_RDWR | (flags & O_CLOEXEC));
		if (fd >= 0) {
			pthread_mutex_lock(&mu);
			if (nctl < MAX_FDS) ctl_fds[nctl++] = fd;
			pthread_mutex_unlock(&mu);
			logj("{\"op\":\"open\",\"fd\":%d}", fd);
		}
		return fd;
	}
	return real_open(path, flags, mode);
}

int open(const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	mode_t mode = (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, mode_t) : 0;
	va_end(ap);
	return open_common(path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	mode_t mode = (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, mode_t) : 0;
	va_end(ap);
	return open_common(path, flags, mode);
}

int close(int fd)
{
	init_real();
	pthread_mutex_lock(&mu);
	for (int i = 0; i < nctl; i++) {
		if (ctl_fds[i] == fd) { ctl_fds[i] = ctl_fds[--nctl]; break; }
	}
	pthread_mutex_unlock(&mu);
	return real_close(fd);
}

static long now_ns_seed(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_nsec ^ ts.tv_sec;
}

static struct tracker *find_tracker(uint32_t mj, uint32_t mn)
{
	for (int i = 0; i < MAX_TRACKERS; i++)
		if (trackers[i].used && trackers[i].mj == mj && trackers[i].mn == mn) return &trackers[i];
	return NULL;
}

static void random_bytes(uint8_t *b, int n)
{
	static int seeded;
	if (!seeded) { srand((unsigned)getpid() ^ (unsigned)now_ns_seed()); seeded = 1; }
	for (int i = 0; i < n; i++) b[i] = (uint8_t)(rand() & 0xff);
}

static struct tracker *add_tracker(uint32_t mj, uint32_t mn)
{
	for (int i = 0; i < MAX_TRACKERS; i++) {
		struct tracker *t = &trackers[i];
		if (t->used) continue;
		t->used = 1; t->mj = mj; t->mn = mn;
		t->capacity = env_u64("FAKE_V1_CAPACITY", 256ull << 20);
		t->blk_count = (uint32_t)((t->capacity + (1u << BLK_SHIFT) - 1) >> BLK_SHIFT);
		random_bytes(t->gen, 16);
		t->snap_number = 0;
		t->map = calloc(t->blk_count, 1);
		logj("{\"op\":\"tracker-created\",\"dev\":\"%u:%u\"}", mj, mn);
		return t;
	}
	return NULL;
}

static int in_snapshot(uint32_t mj, uint32_t mn)
{
	if (!snap.exists) return 0;
	for (int i = 0; i < snap.ndev; i++) if (snap.devs[i].mj == mj && snap.devs[i].mn == mn) return 1;
	return 0;
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static void queue_low_space(uint64_t sectors)
{
	if (snap.nev >= MAX_EVENTS) return;
	struct event *e = &snap.ev[snap.nev++];
	memset(e, 0, sizeof(*e));
	e->code = 0; e->time_label = now_ns();
	memcpy(e->data, &sectors, 8);
	logj("{\"op\":\"event\",\"code\":0,\"requested\":%llu}", (unsigned long long)sectors);
}

static void queue_corrupted(uint32_t mj, uint32_t mn, int32_t err)
{
	if (snap.nev >= MAX_EVENTS) return;
	struct event *e = &snap.ev[snap.nev++];
	memset(e, 0, sizeof(*e));
	e->code = 1; e->time_label = now_ns();
	memcpy(e->data, &mj, 4); memcpy(e->data + 4, &mn, 4); memcpy(e->data + 8, &err, 4);
	logj("{\"op\":\"event\",\"code\":1,\"dev\":\"%u:%u\",\"err\":%d}", mj, mn, err);
}

static void release_snapshot(void)
{
	memset(&snap, 0, sizeof(snap));
}

static int same_id(const uint8_t *id)
{
	return snap.exists && memcmp(snap.id, id, 16) == 0;
}

/* The "workload": after take, each WAIT_EVENT copies fill_per_wait sectors into the storage. */
static void consume(void)
{
	uint64_t step = env_u64("FAKE_V1_FILL_PER_WAIT", 0), minimum = env_u64("FAKE_V1_MINIMUM", 2048);
	if (!snap.taken || snap.overflow || step == 0) return;
	snap.filled += step;
	if (snap.filled > snap.capacity) {
		snap.overflow = 1;
		logj("{\"op\":\"overflow\",\"filled\":%llu,\"capacity\":%llu}", (unsigned long long)snap.filled, (unsigned long long)snap.capacity);
		for (int i = 0; i < snap.ndev; i++) queue_corrupted(snap.devs[i].mj, snap.devs[i].mn, 28);
		return;
	}
	if (!snap.low_flag && snap.requested - snap.filled <= minimum / 2) {
		snap.low_flag = 1;
		snap.requested += minimum;
		queue_low_space(minimum);
	}
}

static int fail(int err) { errno = err; return -1; }

static int do_create(struct blk_snap_snapshot_create *a)
{
	if (a->count == 0) {
		logj("{\"op\":\"HAZARD\",\"what\":\"SNAPSHOT_CREATE with count 0 hangs the real kernel\"}");
		abort();
	}
	if (a->count > MAX_DEVS) return fail(ENOMEM);
	for (uint32_t i = 0; i < a->count; i++) {
		for (uint32_t j = 0; j < i; j++)
			if (a->dev_id_array[i].mj == a->dev_id_array[j].mj && a->dev_id_array[i].mn == a->dev_id_array[j].mn) return fail(EINVAL);
		if (in_snapshot(a->dev_id_array[i].mj, a->dev_id_array[i].mn)) return fail(EALREADY);
	}
	if (snap.exists) logj("{\"op\":\"HAZARD\",\"what\":\"second snapshot: the first becomes unreachable\"}");
	for (uint32_t i = 0; i < a->count; i++)
		if (!find_tracker(a->dev_id_array[i].mj, a->dev_id_array[i].mn) && !add_tracker(a->dev_id_array[i].mj, a->dev_id_array[i].mn)) return fail(ENOMEM);
	release_snapshot();
	snap.exists = 1;
	random_bytes(snap.id, 16);
	snap.ndev = (int)a->count;
	memcpy(snap.devs, a->dev_id_array, a->count * sizeof(struct blk_snap_dev_t));
	memcpy(a->id.b, snap.id, 16);
	uint64_t minimum = env_u64("FAKE_V1_MINIMUM", 2048);
	snap.requested = minimum;
	snap.low_flag = 1;
	queue_low_space(minimum);
	logj("{\"op\":\"create\",\"count\":%u}", a->count);
	return 0;
}

static int do_append(struct blk_snap_snapshot_append_storage *a)
{
	if (!same_id(a->id.b)) return fail(ESRCH);
	const char *want = getenv("FAKE_V1_STORAGE_DEV");
	char dev[32];
	snprintf(dev, sizeof(dev), "%u:%u", a->dev_id.mj, a->dev_id.mn);
	if (want && *want && strcmp(want, dev) != 0) logj("{\"op\":\"violation\",\"what\":\"storage on %s, expected %s\"}", dev, want);
	uint64_t size = env_u64("FAKE_V1_STORAGE_SECTORS", UINT64_MAX);
	for (uint32_t i = 0; i < a->count; i++) {
		struct blk_snap_block_range r = a->ranges[i];
		if (r.sector_count == 0 || r.sector_offset + r.sector_count > size)
			logj("{\"op\":\"violation\",\"what\":\"range %llu+%llu outside the device\"}", (unsigned long long)r.sector_offset, (unsigned long long)r.sector_count);
		for (int k = 0; k < snap.nranges; k++) {
			struct blk_snap_block_range q = snap.ranges[k];
			if (snap.range_dev[k].mj == a->dev_id.mj && snap.range_dev[k].mn == a->dev_id.mn &&
			    r.sector_offset < q.sector_offset + q.sector_count && q.sector_offset < r.sector_offset + r.sector_count)
				logj("{\"op\":\"violation\",\"what\":\"range %llu+%llu overlaps an earlier one\"}", (unsigned long long)r.sector_offset, (unsigned long long)r.sector_count);
		}
		if (snap.nranges < MAX_RANGES) { snap.range_dev[snap.nranges] = a->dev_id; snap.ranges[snap.nranges++] = r; }
		snap.capacity += r.sector_count;
	}
	if (logf) {
		fprintf(logf, "{\"op\":\"append\",\"dev\":\"%s\",\"ranges\":[", dev);
		for (uint32_t i = 0; i < a->count; i++)
			fprintf(logf, "%s[%llu,%llu]", i ? "," : "", (unsigned long long)a->ranges[i].sector_offset, (unsigned long long)a->ranges[i].sector_count);
		fprintf(logf, "]}\n");
		fflush(logf);
	}
	if (snap.capacity >= snap.requested) snap.low_flag = 0;
	return 0;
}

static int do_take(struct blk_snap_snapshot_take *a)
{
	if (!same_id(a->id.b)) return fail(ESRCH);
	if (snap.taken) return fail(EALREADY);
	if (snap.capacity == 0) {
		logj("{\"op\":\"take-failed-destroyed\"}");
		release_snapshot();
		return fail(EFAULT);
	}
	snap.taken = 1;
	for (int i = 0; i < snap.ndev; i++) {
		struct tracker *t = find_tracker(snap.devs[i].mj, snap.devs[i].mn);
		if (t) t->snap_number++;
	}
	logj("{\"op\":\"take\"}");
	return 0;
}

static int do_wait(struct blk_snap_snapshot_event *a)
{
	if (!same_id(a->id.b)) return fail(ESRCH);
	consume();
	if (snap.nev == 0) return fail(ENOENT);
	struct event e = snap.ev[0];
	memmove(snap.ev, snap.ev + 1, (size_t)(snap.nev - 1) * sizeof(struct event));
	snap.nev--;
	a->code = e.code; a->time_label = e.time_label;
	memset(a->data, 0, sizeof(a->data));
	memcpy(a->data, e.data, sizeof(e.data));
	return 0;
}

static int dispatch(unsigned long req, void *arg)
{
	unsigned nr = req & 0xff;
	logj("{\"op\":\"ioctl\",\"request\":\"%08lx\",\"nr\":%u}", req, nr);
	switch (nr) {
	case 0: {
		struct blk_snap_version *v = arg;
		v->major = 1; v->minor = 0; v->revision = 0; v->build = 0;
		return 0;
	}
	case 1: {
		struct blk_snap_tracker_remove *a = arg;
		struct tracker *t = find_tracker(a->dev_id.mj, a->dev_id.mn);
		if (!t) return fail(ENODATA);
		if (in_snapshot(t->mj, t->mn)) return fail(EBUSY);
		free(t->map);
		memset(t, 0, sizeof(*t));
		return 0;
	}
	case 2: {
		struct blk_snap_tracker_collect *a = arg;
		uint32_t n = 0;
		for (int i = 0; i < MAX_TRACKERS; i++) n += trackers[i].used;
		if (!a->cbt_info_array) { a->count = n; return 0; }
		if (a->count < n) return fail(ENOBUFS);
		uint32_t k = 0;
		for (int i = 0; i < MAX_TRACKERS; i++) {
			struct tracker *t = &trackers[i];
			if (!t->used) continue;
			struct blk_snap_cbt_info *c = &a->cbt_info_array[k++];
			memset(c, 0, sizeof(*c));
			c->dev_id.mj = t->mj; c->dev_id.mn = t->mn; c->blk_size = 1u << BLK_SHIFT;
			c->device_capacity = t->capacity; c->blk_count = t->blk_count;
			memcpy(c->generationId, t->gen, 16); c->snap_number = t->snap_number;
		}
		a->count = n;
		return 0;
	}
	case 3: {
		struct blk_snap_tracker_read_cbt_bitmap *a = arg;
		struct tracker *t = find_tracker(a->dev_id.mj, a->dev_id.mn);
		if (!t) return fail(ENODATA);
		if (!in_snapshot(t->mj, t->mn) || !snap.taken) return fail(EPERM);
		if (a->offset >= t->blk_count) return fail(EINVAL);
		uint32_t n = a->length < t->blk_count - a->offset ? a->length : t->blk_count - a->offset;
		memcpy(a->buff, t->map + a->offset, n);
		return (int)n;
	}
	case 4: {
		struct blk_snap_tracker_mark_dirty_blocks *a = arg;
		struct tracker *t = find_tracker(a->dev_id.mj, a->dev_id.mn);
		if (!t) return fail(ENODEV);
		if (a->count == 0) logj("{\"op\":\"HAZARD\",\"what\":\"MARK_DIRTY with count 0\"}");
		for (uint32_t i = 0; i < a->count; i++) {
			struct blk_snap_block_range r = a->dirty_blocks_array[i];
			uint64_t first = (r.sector_offset << 9) >> BLK_SHIFT, last = ((r.sector_offset + r.sector_count) << 9) - 1;
			last >>= BLK_SHIFT;
			if (r.sector_count == 0 || last >= t->blk_count) return fail(EINVAL);
			for (uint64_t b = first; b <= last; b++) t->map[b] = (uint8_t)(t->snap_number + 1);
		}
		return 0;
	}
	case 5: return do_create(arg);
	case 6: {
		struct blk_snap_snapshot_destroy *a = arg;
		if (!same_id(a->id.b)) return fail(ENODEV);
		release_snapshot();
		logj("{\"op\":\"destroy\"}");
		return 0;
	}
	case 7: return do_append(arg);
	case 8: return do_take(arg);
	case 9: {
		struct blk_snap_snapshot_collect *a = arg;
		uint32_t n = snap.exists ? 1 : 0;
		if (!a->ids) { a->count = n; return 0; }
		if (a->count < n) return fail(ENODATA);
		if (n) memcpy(a->ids[0].b, snap.id, 16);
		a->count = n;
		return 0;
	}
	case 10: {
		struct blk_snap_snapshot_collect_images *a = arg;
		if (!same_id(a->id.b)) return fail(ESRCH);
		uint32_t n = (uint32_t)snap.ndev;
		if (!snap.taken) { a->count = n; return fail(ENODEV); }
		if (!a->image_info_array) { a->count = n; return 0; }
		if (a->count < n) { a->count = n; return fail(ENODATA); }
		for (uint32_t i = 0; i < n; i++) {
			a->image_info_array[i].orig_dev_id = snap.devs[i];
			a->image_info_array[i].image_dev_id.mj = 253;
			a->image_info_array[i].image_dev_id.mn = i;
		}
		a->count = n;
		return 0;
	}
	case 11: return do_wait(arg);
	case 12:
		logj("{\"op\":\"HAZARD\",\"what\":\"nr 12 reads past the dispatch table\"}");
		abort();
	default: return fail(ENOTTY);
	}
}

int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	va_start(ap, req);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	init_real();
	pthread_mutex_lock(&mu);
	int mine = is_ctl(fd);
	int ret = 0, err = 0;
	if (mine) {
		ret = dispatch(req, arg);
		err = errno;
	}
	pthread_mutex_unlock(&mu);
	if (!mine) return real_ioctl(fd, req, arg);
	if (ret < 0) {
		logj("{\"op\":\"ret\",\"errno\":%d}", err);
		/* a wait without an event sleeps a little, like a short timeout */
		if ((req & 0xff) == 11 && err == ENOENT) usleep(2000);
		errno = err;
	}
	return ret;
}
