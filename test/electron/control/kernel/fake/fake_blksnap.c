/*
 * A fake blksnap module at the libc level, for one v2 dialect chosen at compile time
 * (-DFAKE_LK615, -DFAKE_V7, -DFAKE_V6, -DFAKE_VAL70, -DFAKE_VAL13). Loaded with LD_PRELOAD into
 * a Node child, it intercepts open() of ${FAKE_BLKSNAP_ROOT}/dev/<node> and ioctl() on those
 * fds, decodes the arguments with the spec's C structs and answers from a small state machine.
 * Every ioctl is logged to ${FAKE_BLKSNAP_LOG} ("<node> <request hex> <errno>") so the test can
 * check the probe's order; anything hazardous is logged as "HAZARD ...".
 */
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
#include <sys/stat.h>

#if defined(FAKE_LK615)
#include "../c/lk6.15.h"
#define UPSTREAM 1
#define VERSION_MAJOR 2
#define CONTROL_NODE "blksnap-control"
#elif defined(FAKE_V7)
#include "../c/v7.h"
#define UPSTREAM 1
#define VERSION_MAJOR 2
#define CONTROL_NODE "blksnap-control"
#elif defined(FAKE_V6)
#include "../c/v6.h"
#define UPSTREAM 1
#define VERSION_MAJOR 2
#define CONTROL_NODE "blksnap-control"
#elif defined(FAKE_VAL70)
#include "../c/val-7.0.h"
#define UPSTREAM 0
#define VERSION_MAJOR 7
#define CONTROL_NODE "veeamblksnap"
#elif defined(FAKE_VAL13)
#include "../c/val-13.h"
#define UPSTREAM 0
#define VERSION_MAJOR 7
#define CONTROL_NODE "veeamblksnap"
#else
#error "choose a dialect: -DFAKE_LK615, -DFAKE_V7, -DFAKE_V6, -DFAKE_VAL70 or -DFAKE_VAL13"
#endif

#define HZ 250
#define MAX_FDS 1024
#define NDEV 2
#define NSNAP 8
#define NEVENT 16
#define BLOCK_SIZE 65536ULL
#define CAPACITY (256ULL << 20)
#define BLOCKS ((uint32_t)(CAPACITY / BLOCK_SIZE))

enum kind { K_NONE, K_CONTROL, K_BDEVFILTER, K_DISK };
struct fdinfo { enum kind kind; int dev; };
static struct fdinfo fds[MAX_FDS];

struct device {
	const char *name; uint32_t major, minor;
	int attached; uint8_t generation[16]; uint8_t prev, active;
	uint8_t read_map[BLOCKS], write_map[BLOCKS];
	int snapshot; /* index or -1 */
};
static struct device devs[NDEV] = {
	{ "vda", 254, 0, 0, {0}, 0, 0, {0}, {0}, -1 },
	{ "vdb", 254, 16, 0, {0}, 0, 0, {0}, {0}, -1 },
};

struct event { uint32_t code; int64_t time; uint8_t data[16]; };
struct snapshot {
	int used, taken, ndev; uint8_t id[16];
	struct event q[NEVENT]; int head, len;
};
static struct snapshot snaps[NSNAP];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static uint32_t counter;

static int (*real_open)(const char *, int, ...);
static int (*real_close)(int);
static int (*real_ioctl)(int, unsigned long, ...);

static void init_real(void)
{
	if (!real_open) real_open = dlsym(RTLD_NEXT, "open");
	if (!real_close) real_close = dlsym(RTLD_NEXT, "close");
	if (!real_ioctl) real_ioctl = dlsym(RTLD_NEXT, "ioctl");
}

static void logf_(const char *fmt, ...)
{
	const char *path = getenv("FAKE_BLKSNAP_LOG");
	if (!path) return;
	FILE *f = fopen(path, "a");
	if (!f) return;
	va_list ap; va_start(ap, fmt); vfprintf(f, fmt, ap); va_end(ap);
	fputc('\n', f); fclose(f);
}

static const char *node_of(enum kind k, int dev)
{
	return k == K_CONTROL ? "control" : k == K_BDEVFILTER ? "bdevfilter" : dev >= 0 ? devs[dev].name : "?";
}

static int64_t now_ns(void)
{
	struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void new_uuid(uint8_t *id)
{
	uint32_t n = ++counter;
	for (int i = 0; i < 16; i++) id[i] = (uint8_t)(0x11 * (i + 1) + n * 7);
	id[6] = 0x40 | (id[6] & 0x0f); id[8] = 0x80 | (id[8] & 0x3f);
}

static int dev_by_path(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	for (int i = 0; i < NDEV; i++) if (!strcmp(devs[i].name, base)) return i;
	return -1;
}

static void set_sysfs_filter(int dev, const char *text)
{
#if UPSTREAM
	const char *root = getenv("FAKE_BLKSNAP_ROOT");
	char path[4096];
	snprintf(path, sizeof path, "%s/sys/class/block/%s/filter", root ? root : "", devs[dev].name);
	FILE *f = fopen(path, "w");
	if (f) { fputs(text, f); fclose(f); }
#else
	(void)dev; (void)text;
#endif
}

static struct snapshot *find_snapshot(const uint8_t *id)
{
	for (int i = 0; i < NSNAP; i++) if (snaps[i].used && !memcmp(snaps[i].id, id, 16)) return &snaps[i];
	return NULL;
}

static void queue_event(struct snapshot *s, uint32_t code, const void *data, size_t len)
{
	if (s->len == NEVENT) return;
	struct event *e = &s->q[(s->head + s->len++) % NEVENT];
	memset(e, 0, sizeof *e);
	e->code = code; e->time = now_ns(); memcpy(e->data, data, len);
	pthread_cond_broadcast(&cond);
}

/* The dialect's event after take (so a wait has something to return): lk6.15/VAL-13 no_space, else corrupted. */
struct later { uint8_t id[16]; };
static void *event_later(void *arg)
{
	struct later *l = arg;
	usleep(150 * 1000);
	pthread_mutex_lock(&lock);
	struct snapshot *s = find_snapshot(l->id);
	if (s) {
#if defined(FAKE_LK615) || defined(FAKE_VAL13)
		struct blksnap_event_no_space e = { .requested_nr_sect = 2097152 };
		queue_event(s, 1, &e, sizeof e);
#else
		struct blksnap_event_corrupted e = { .dev_id_mj = 254, .dev_id_mn = 0, .err_code = 28 };
		queue_event(s, 0, &e, sizeof e);
#endif
	}
	pthread_mutex_unlock(&lock);
	free(l);
	return NULL;
}

/* ---- filter commands ---- */

static int ctl(int dev, const char *name, uint32_t cmd, uint32_t optlen, void *opt)
{
	struct device *d = &devs[dev];
	if (!d->attached) return -ENOENT;
	if (strcmp(name, "blksnap")) {
#if defined(FAKE_V6) || !UPSTREAM
		return -ENOENT;
#else
		return -EINVAL;
#endif
	}
	switch (cmd) {
	case 0: {
		if (optlen < sizeof(struct blksnap_cbtinfo)) return -EINVAL;
		struct blksnap_cbtinfo *i = opt;
		i->device_capacity = CAPACITY; i->block_size = BLOCK_SIZE; i->block_count = BLOCKS;
		memcpy(i->generation_id.b, d->generation, 16); i->changes_number = d->prev;
		return 0;
	}
	case 1: {
		if (optlen < sizeof(struct blksnap_cbtmap)) return -EINVAL;
		struct blksnap_cbtmap *m = opt;
		if (m->offset > BLOCKS) { logf_("HAZARD CBTMAP offset %u > block_count %u", m->offset, BLOCKS); return -EFAULT; }
		if (m->length > BLOCKS - m->offset) return -ENODATA;
		memcpy((void *)(uintptr_t)m->buffer, d->read_map + m->offset, m->length);
		return 0;
	}
	case 2: {
		if (optlen < sizeof(struct blksnap_cbtdirty)) return -EINVAL;
		struct blksnap_cbtdirty *c = opt;
		struct blksnap_sectors *r = (void *)(uintptr_t)c->dirty_sectors;
		for (uint32_t k = 0; k < c->count; k++) {
			if (r[k].count == 0) { logf_("HAZARD CBTDIRTY count 0 at sector %llu", (unsigned long long)r[k].offset); return -EINVAL; }
			uint64_t first = r[k].offset * 512 / BLOCK_SIZE, last = ((r[k].offset + r[k].count) * 512 - 1) / BLOCK_SIZE;
			if (last >= BLOCKS) return -EINVAL;
			for (uint64_t b = first; b <= last; b++) { d->write_map[b] = d->active; d->read_map[b] = d->prev; }
		}
		return 0;
	}
	case 3: {
		if (optlen < sizeof(struct blksnap_snapshotadd)) return -EINVAL;
		struct blksnap_snapshotadd *a = opt;
		struct snapshot *s = find_snapshot(a->id.b);
		if (!s) return -ESRCH;
		if (d->snapshot == s - snaps) return -EALREADY;
		if (d->snapshot >= 0) return -EBUSY;
		d->snapshot = (int)(s - snaps); s->ndev++;
		return 0;
	}
	case 4: {
		if (optlen < sizeof(struct blksnap_snapshotinfo)) return -EINVAL;
		struct blksnap_snapshotinfo *i = opt;
		memset(i, 0, sizeof *i);
		if (d->snapshot >= 0 && snaps[d->snapshot].taken) {
#if defined(FAKE_LK615)
			snprintf((char *)i->image, sizeof i->image, "blksnap-%u-%u", d->major, d->minor);
#elif defined(FAKE_V7) || defined(FAKE_V6)
			snprintf((char *)i->image, sizeof i->image, "blksnap-image_%u:%u", d->major, d->minor);
#elif defined(FAKE_VAL70)
			snprintf((char *)i->image, sizeof i->image, "veeamblksnapimg_%u:%u", d->major, d->minor);
#else
			snprintf((char *)i->image, sizeof i->image, "vbsnap-%u-%u", d->major, d->minor);
#endif
		}
		return 0;
	}
	}
	return -ENOTTY;
}

static int attach(int dev, const char *name)
{
	struct device *d = &devs[dev];
	if (strcmp(name, "blksnap")) return -ENOENT;
	if (d->attached) return -EALREADY;
	d->attached = 1; new_uuid(d->generation); d->prev = 0; d->active = 1;
	memset(d->read_map, 0, BLOCKS); memset(d->write_map, 0, BLOCKS);
	set_sysfs_filter(dev, "blksnap\n");
	return 0;
}

static int detach(int dev, const char *name)
{
	struct device *d = &devs[dev];
	if (!d->attached) return -ENOENT;
	if (strcmp(name, "blksnap")) return -EINVAL;
	d->attached = 0;
	set_sysfs_filter(dev, "\n");
	return 0;
}

#if UPSTREAM
static int disk_ioctl(int dev, unsigned long req, void *arg)
{
	if (req == REQ_FILTER_ATTACH) return attach(dev, ((char *)arg));
	if (req == REQ_FILTER_DETACH) return detach(dev, ((char *)arg));
	if (req == REQ_FILTER_CTL) {
		struct blkfilter_ctl *c = arg;
		return ctl(dev, c->name, c->cmd, c->optlen, (void *)(uintptr_t)c->opt);
	}
	return -ENOTTY;
}
#else
static int path_dev(uint64_t devpath)
{
	if (!devpath) return -EFAULT;
	int dev = dev_by_path((const char *)(uintptr_t)devpath);
	return dev < 0 ? -ENOENT : dev;
}

static int bdevfilter_ioctl(unsigned long req, void *arg)
{
	if (req == REQ_FILTER_ATTACH) {
#if defined(FAKE_VAL13)
		struct bdevfilter_attach *a = arg;
#else
		struct bdevfilter_name *a = arg;
#endif
		int dev = path_dev(a->devpath);
		return dev < 0 ? dev : attach(dev, a->name);
	}
	if (req == REQ_FILTER_DETACH) {
		struct bdevfilter_name *a = arg;
		int dev = path_dev(a->devpath);
		return dev < 0 ? dev : detach(dev, a->name);
	}
	if (req == REQ_FILTER_CTL) {
		struct bdevfilter_ctl *c = arg;
		int dev = path_dev(c->devpath);
		return dev < 0 ? dev : ctl(dev, c->name, c->cmd, c->optlen, (void *)(uintptr_t)c->opt);
	}
	return -ENOTTY;
}
#endif

/* ---- control device ---- */

static int wait_event(struct blksnap_snapshot_event *ev)
{
	struct snapshot *s = find_snapshot(ev->id.b);
	if (!s) return -ESRCH;
	uint8_t id[16]; memcpy(id, ev->id.b, 16);
	struct timespec until; clock_gettime(CLOCK_REALTIME, &until);
	uint64_t ns = (uint64_t)until.tv_nsec + (uint64_t)ev->timeout_ms * (1000000000ULL / HZ);
	until.tv_sec += ns / 1000000000ULL; until.tv_nsec = ns % 1000000000ULL;
	while ((s = find_snapshot(id)) && s->len == 0) {
		if (pthread_cond_timedwait(&cond, &lock, &until) == ETIMEDOUT) break;
	}
	if (!s) return -ESRCH;
	if (s->len == 0) return -ENOENT;
	struct event *e = &s->q[s->head]; s->head = (s->head + 1) % NEVENT; s->len--;
	ev->code = e->code; ev->time_label = e->time;
	memset(ev->data, 0, sizeof ev->data); memcpy(ev->data, e->data, sizeof e->data);
	return 0;
}

static int control_ioctl(unsigned long req, void *arg)
{
	if (req == REQ_VERSION) {
		struct blksnap_version *v = arg; v->major = VERSION_MAJOR; v->minor = 0; v->revision = 0; v->build = 0;
		return 0;
	}
	if (req == REQ_SNAPSHOT_CREATE) {
		struct blksnap_snapshot_create *c = arg;
		int range_mode = 0;
#if defined(FAKE_V6)
		if (fcntl((int)c->diff_storage_fd, F_GETFD) < 0) return -EINVAL;
#else
		if (!c->diff_storage_filename) {
#if UPSTREAM
			return -EFAULT;
#else
			range_mode = 1;
#endif
		} else {
			struct stat st;
			if (stat((const char *)(uintptr_t)c->diff_storage_filename, &st) < 0) return -ENOENT;
		}
#endif
		for (int i = 0; i < NSNAP; i++) {
			if (snaps[i].used) continue;
			memset(&snaps[i], 0, sizeof snaps[i]);
			snaps[i].used = 1; new_uuid(snaps[i].id);
			memcpy(c->id.b, snaps[i].id, 16);
			if (range_mode && c->diff_storage_limit_sect) {
				struct blksnap_event_no_space e = { .requested_nr_sect = c->diff_storage_limit_sect < 8192 ? c->diff_storage_limit_sect : 8192 };
#if defined(FAKE_VAL13)
				queue_event(&snaps[i], 2, &e, sizeof e);
#else
				queue_event(&snaps[i], 1, &e, sizeof e);
#endif
			}
			(void)range_mode;
			return 0;
		}
		return -ENOMEM;
	}
	if (req == REQ_SNAPSHOT_DESTROY || req == REQ_SNAPSHOT_TAKE) {
		struct snapshot *s = find_snapshot(((struct blksnap_uuid *)arg)->b);
		if (req == REQ_SNAPSHOT_DESTROY) {
			if (!s) return -ENODEV;
			int idx = (int)(s - snaps);
			for (int d = 0; d < NDEV; d++) if (devs[d].snapshot == idx) devs[d].snapshot = -1;
			s->used = 0;
			pthread_cond_broadcast(&cond);
			return 0;
		}
		if (!s) return -ESRCH;
		if (s->taken) return -EALREADY;
		if (!s->ndev) return -ENODEV;
		s->taken = 1;
		for (int d = 0; d < NDEV; d++) {
			if (devs[d].snapshot != s - snaps) continue;
			devs[d].prev = devs[d].active++;
			memcpy(devs[d].read_map, devs[d].write_map, BLOCKS);
		}
		struct later *l = malloc(sizeof *l);
		memcpy(l->id, s->id, 16);
		pthread_t t; pthread_create(&t, NULL, event_later, l); pthread_detach(t);
		return 0;
	}
	if (req == REQ_SNAPSHOT_WAIT_EVENT) return wait_event(arg);
	if (req == REQ_SNAPSHOT_COLLECT) {
		struct blksnap_snapshot_collect *c = arg;
		uint32_t n = 0;
		for (int i = 0; i < NSNAP; i++) n += snaps[i].used;
		if (!c->ids) { c->count = n; return 0; }
		uint32_t w = 0;
		for (int i = 0; i < NSNAP && w < c->count; i++) {
			if (!snaps[i].used) continue;
			memcpy((uint8_t *)(uintptr_t)c->ids + 16 * w++, snaps[i].id, 16);
		}
		if (c->count < n) { c->count = w; return -ENODATA; }
		c->count = w;
		return 0;
	}
#if !UPSTREAM
	if (req == REQ_MOD) {
		struct blksnap_mod *m = arg; m->compatibility_flags = 2; memset(m->name, 0, 32); strcpy((char *)m->name, "standalone");
		return 0;
	}
	if (req == REQ_SETLOG) return 0;
	if (req == REQ_SNAPSHOT_APPEND_STORAGE) {
		struct blksnap_snapshot_append_storage *a = arg;
		if (!find_snapshot(a->id.b)) return -ESRCH;
		if (!a->devpath || dev_by_path((const char *)(uintptr_t)a->devpath) < 0) return -ENOENT;
		struct blksnap_sectors *r = (void *)(uintptr_t)a->ranges;
		for (uint32_t k = 0; k < a->count; k++) if (!r[k].count) logf_("HAZARD APPEND_STORAGE count 0 range");
		return 0;
	}
#endif
	return -ENOTTY;
}

/* ---- libc entry points ---- */

static int intercept_path(const char *path, int *dev)
{
	const char *root = getenv("FAKE_BLKSNAP_ROOT");
	if (!root || !path) return K_NONE;
	size_t n = strlen(root);
	if (strncmp(path, root, n) || strncmp(path + n, "/dev/", 5)) return K_NONE;
	const char *name = path + n + 5;
	*dev = -1;
	if (!strcmp(name, CONTROL_NODE)) return K_CONTROL;
#if !UPSTREAM
	if (!strcmp(name, "bdevfilter")) return K_BDEVFILTER;
#endif
	*dev = dev_by_path(name);
	return *dev >= 0 ? K_DISK : K_NONE;
}

int open(const char *path, int flags, ...)
{
	init_real();
	va_list ap; va_start(ap, flags); int mode = va_arg(ap, int); va_end(ap);
	int dev = -1;
	enum kind k = intercept_path(path, &dev);
	if (k == K_NONE) return real_open(path, flags, mode);
	int fd = real_open("/dev/null", O_RDWR | (flags & O_CLOEXEC));
	if (fd >= 0 && fd < MAX_FDS) { fds[fd].kind = k; fds[fd].dev = dev; }
	return fd;
}

int open64(const char *path, int flags, ...)
{
	va_list ap; va_start(ap, flags); int mode = va_arg(ap, int); va_end(ap);
	return open(path, flags, mode);
}

int close(int fd)
{
	init_real();
	if (fd >= 0 && fd < MAX_FDS) fds[fd].kind = K_NONE;
	return real_close(fd);
}

int ioctl(int fd, unsigned long req, ...)
{
	init_real();
	va_list ap; va_start(ap, req); void *arg = va_arg(ap, void *); va_end(ap);
	if (fd < 0 || fd >= MAX_FDS || fds[fd].kind == K_NONE) return real_ioctl(fd, req, arg);
	enum kind k = fds[fd].kind; int dev = fds[fd].dev;
	pthread_mutex_lock(&lock);
	int rc;
	if (k == K_CONTROL) rc = control_ioctl(req, arg);
#if UPSTREAM
	else if (k == K_DISK) rc = disk_ioctl(dev, req, arg);
#else
	else if (k == K_BDEVFILTER) rc = bdevfilter_ioctl(req, arg);
#endif
	else rc = -ENOTTY;
	pthread_mutex_unlock(&lock);
	logf_("%s %08lx %d", node_of(k, dev), req & 0xffffffffUL, rc < 0 ? -rc : 0);
	if (rc < 0) { errno = -rc; return -1; }
	return rc;
}
