/*
 * CPG throughput and latency, as one process sees its own ordered
 * (CPG_TYPE_AGREED) multicasts come back.
 *
 *   cpg_bench [-m flood|latency|all] [-t SECONDS] [-s SIZE,SIZE,...]
 *             [-n COUNT] [-w WARMUP] [-g GROUP]
 *
 * flood:   for each size (default 64,1600,8000,200000,1000000 bytes) send
 *          for SECONDS (default 3) as fast as flow control allows, and print
 *          the messages and megabytes (10^6 bytes) per second delivered back
 *          to this process. A send refused with CS_ERR_TRY_AGAIN is retried
 *          after dispatching what has arrived; such retries are counted.
 *          Deliveries still in flight when the time is up are drained and
 *          not counted.
 * latency: for each size (default 64) send one message at a time and wait
 *          for its delivery, COUNT times (default 20000) after WARMUP
 *          (default 1000) unmeasured ones; print p50, p99 and the mean of
 *          the round trip in microseconds.
 * all:     flood, then latency.
 *
 * Every delivery is checked: length, sender, and sequence (no loss, no
 * reordering, no duplicates). A failed check or call exits 1; the figures
 * themselves never make it fail. Only the CPG API is used, so the same
 * source builds against any libcpg that provides <corosync/cpg.h>.
 */
#include <corosync/cpg.h>

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define MAGIC 0x43504742u /* "CPGB" */
#define MAX_SIZES 32
#define STEP_TIMEOUT_NS (30LL * 1000000000LL)

/* At the start of every message; the rest is a fixed pattern. */
struct msg_head {
	uint32_t magic;
	uint32_t phase;
	uint64_t seq;
};

static cpg_handle_t handle;
static int cpg_fd = -1;
static uint32_t my_pid, my_node;
static int joined;

/* The current phase (one size in one mode) and what it has delivered. */
static uint32_t phase;
static size_t phase_size;
static uint64_t delivered, delivered_bytes, next_seq, stale, foreign;
static int broken;

static long long now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void on_deliver(cpg_handle_t h, const struct cpg_name *group, uint32_t nodeid, uint32_t pid, void *msg,
		       size_t len)
{
	struct msg_head head;

	(void)h;
	(void)group;
	if (pid != my_pid || nodeid != my_node || len < sizeof head) {
		foreign++;
		return;
	}
	memcpy(&head, msg, sizeof head);
	if (head.magic != MAGIC) {
		foreign++;
		return;
	}
	if (head.phase != phase) {
		stale++;
		return;
	}
	if (len != phase_size || head.seq != next_seq ||
	    ((const unsigned char *)msg)[len - 1] != (unsigned char)(len & 0xff)) {
		if (!broken)
			fprintf(stderr,
				"cpg_bench: bad delivery in phase %u: length %zu (want %zu), seq %llu (want %llu)\n",
				(unsigned)phase, len, phase_size, (unsigned long long)head.seq,
				(unsigned long long)next_seq);
		broken = 1;
	}
	next_seq = head.seq + 1;
	delivered++;
	delivered_bytes += len;
}

static void on_confchg(cpg_handle_t h, const struct cpg_name *group, const struct cpg_address *members,
		       size_t n_members, const struct cpg_address *left, size_t n_left,
		       const struct cpg_address *joined_list, size_t n_joined)
{
	size_t i;

	(void)h;
	(void)group;
	(void)left;
	(void)n_left;
	(void)joined_list;
	(void)n_joined;
	for (i = 0; i < n_members; i++)
		if (members[i].pid == my_pid) {
			my_node = members[i].nodeid;
			joined = 1;
		}
}

/* Wait up to timeout_ms (0: just look, -1: forever) for the fd, then
 * dispatch everything there is. Returns 0, or -1 on an error. */
static int pump(int timeout_ms)
{
	struct pollfd p;
	cs_error_t rc;
	int n;

	p.fd = cpg_fd;
	p.events = POLLIN;
	p.revents = 0;
	n = poll(&p, 1, timeout_ms);
	if (n < 0) {
		if (errno == EINTR)
			return 0;
		perror("cpg_bench: poll");
		return -1;
	}
	if (n == 0)
		return 0;
	if (p.revents & (POLLERR | POLLNVAL)) {
		fprintf(stderr, "cpg_bench: poll: revents 0x%x\n", (unsigned)p.revents);
		return -1;
	}
	rc = cpg_dispatch(handle, CS_DISPATCH_ALL);
	if (rc != CS_OK && rc != CS_ERR_TRY_AGAIN) {
		fprintf(stderr, "cpg_bench: cpg_dispatch: error %d\n", (int)rc);
		return -1;
	}
	if ((p.revents & POLLHUP) && !(p.revents & POLLIN)) {
		fprintf(stderr, "cpg_bench: connection closed\n");
		return -1;
	}
	return 0;
}

/* Dispatch until all `sent` messages of the phase are back. */
static int drain(uint64_t sent)
{
	long long deadline = now_ns() + STEP_TIMEOUT_NS;

	while (delivered < sent) {
		if (now_ns() > deadline) {
			fprintf(stderr, "cpg_bench: %llu of %llu messages of %zu bytes never delivered\n",
				(unsigned long long)(sent - delivered), (unsigned long long)sent, phase_size);
			return -1;
		}
		if (pump(100) < 0)
			return -1;
	}
	return 0;
}

static void start_phase(size_t size)
{
	phase++;
	phase_size = size;
	delivered = delivered_bytes = next_seq = 0;
}

/* One multicast of buf (its head stamped with seq), retried while flow
 * control says CS_ERR_TRY_AGAIN. Returns 0 or -1. */
static int send_one(unsigned char *buf, size_t size, uint64_t seq, uint64_t *retries)
{
	struct msg_head head = {MAGIC, 0, 0};
	struct iovec iov;
	long long deadline = 0;
	cs_error_t rc;

	head.phase = phase;
	head.seq = seq;
	memcpy(buf, &head, sizeof head);
	iov.iov_base = buf;
	iov.iov_len = size;
	for (;;) {
		rc = cpg_mcast_joined(handle, CPG_TYPE_AGREED, &iov, 1);
		if (rc == CS_OK)
			return 0;
		if (rc != CS_ERR_TRY_AGAIN) {
			fprintf(stderr, "cpg_bench: cpg_mcast_joined(%zu bytes): error %d\n", size, (int)rc);
			return -1;
		}
		(*retries)++;
		if (!deadline)
			deadline = now_ns() + STEP_TIMEOUT_NS;
		else if (now_ns() > deadline) {
			fprintf(stderr, "cpg_bench: cpg_mcast_joined(%zu bytes): CS_ERR_TRY_AGAIN for %lld s\n", size,
				STEP_TIMEOUT_NS / 1000000000LL);
			return -1;
		}
		if (pump(1) < 0)
			return -1;
	}
}

static unsigned char *message(size_t size)
{
	unsigned char *buf = malloc(size);

	if (!buf) {
		fprintf(stderr, "cpg_bench: out of memory for %zu bytes\n", size);
		return NULL;
	}
	memset(buf, 0x5a, size);
	buf[size - 1] = (unsigned char)(size & 0xff);
	return buf;
}

static int flood(size_t size, double seconds)
{
	unsigned char *buf = message(size);
	uint64_t sent = 0, retries = 0, in_window, bytes_in_window;
	long long t0, t1, end;
	double secs;
	int rc = 0;

	if (!buf)
		return -1;
	start_phase(size);
	t0 = now_ns();
	end = t0 + (long long)(seconds * 1e9);
	while ((t1 = now_ns()) < end) {
		if (send_one(buf, size, sent, &retries) < 0 || pump(0) < 0) {
			rc = -1;
			break;
		}
		sent++;
	}
	in_window = delivered;
	bytes_in_window = delivered_bytes;
	secs = (double)(t1 - t0) / 1e9;
	if (rc == 0)
		rc = drain(sent);
	printf("flood   %8zu B  %10.0f msgs/s  %9.2f MB/s   (%llu delivered in %.2f s, %llu sent, %llu try-again)\n",
	       size, (double)in_window / secs, (double)bytes_in_window / secs / 1e6, (unsigned long long)in_window,
	       secs, (unsigned long long)sent, (unsigned long long)retries);
	fflush(stdout);
	free(buf);
	return rc;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return (x > y) - (x < y);
}

static int latency(size_t size, long count, long warmup)
{
	unsigned char *buf = message(size);
	long long *lat = malloc(sizeof *lat * (size_t)count), total = 0, deadline;
	uint64_t retries = 0, seq;
	long i;
	int rc = 0;

	if (!buf || !lat) {
		free(buf);
		free(lat);
		return -1;
	}
	start_phase(size);
	for (seq = 0; seq < (uint64_t)(warmup + count) && rc == 0; seq++) {
		long long t0 = now_ns();

		if (send_one(buf, size, seq, &retries) < 0) {
			rc = -1;
			break;
		}
		deadline = t0 + STEP_TIMEOUT_NS;
		while (delivered <= seq) {
			if (pump(1000) < 0 || broken || now_ns() > deadline) {
				if (!broken)
					fprintf(stderr, "cpg_bench: message %llu of %zu bytes not delivered\n",
						(unsigned long long)seq, size);
				rc = -1;
				break;
			}
		}
		if (rc == 0 && seq >= (uint64_t)warmup) {
			lat[seq - (uint64_t)warmup] = now_ns() - t0;
			total += lat[seq - (uint64_t)warmup];
		}
	}
	if (rc == 0) {
		qsort(lat, (size_t)count, sizeof *lat, cmp_ll);
		i = count * 99 / 100;
		printf("latency %8zu B  p50 %8.1f us  p99 %8.1f us  mean %8.1f us   (%ld round trips, %llu try-again)\n",
		       size, lat[count / 2] / 1000.0, lat[i] / 1000.0, (double)total / (double)count / 1000.0, count,
		       (unsigned long long)retries);
		fflush(stdout);
	}
	free(buf);
	free(lat);
	return rc;
}

static int parse_sizes(const char *arg, size_t *sizes, int *n)
{
	const char *p = arg;
	char *end;

	*n = 0;
	while (*p) {
		unsigned long long v = strtoull(p, &end, 10);

		if (end == p || v == 0 || *n == MAX_SIZES)
			return -1;
		if (*end == 'k' || *end == 'K')
			v *= 1000, end++;
		else if (*end == 'm' || *end == 'M')
			v *= 1000000, end++;
		sizes[(*n)++] = v < sizeof(struct msg_head) ? sizeof(struct msg_head) : (size_t)v;
		if (*end == ',')
			end++;
		else if (*end)
			return -1;
		p = end;
	}
	return *n ? 0 : -1;
}

static void usage(void)
{
	fprintf(stderr, "usage: cpg_bench [-m flood|latency|all] [-t SECONDS] [-s SIZE,SIZE,...] [-n COUNT]\n"
			"                 [-w WARMUP] [-g GROUP]\n"
			"  -m  flood (default), latency, or all (flood then latency)\n"
			"  -t  seconds of flooding per size (default 3)\n"
			"  -s  message sizes in bytes, k = 1000, m = 10^6\n"
			"      (default 64,1600,8000,200000,1000000 for flood, 64 for latency)\n"
			"  -n  measured round trips per size in latency mode (default 20000)\n"
			"  -w  unmeasured warm-up round trips before them (default 1000)\n"
			"  -g  group name (default cpg_bench)\n");
}

int main(int argc, char **argv)
{
	static const size_t flood_default[] = {64, 1600, 8000, 200000, 1000000};
	size_t sizes[MAX_SIZES];
	int n_sizes = 0, i, c, do_flood = 1, do_latency = 0, rc = 0;
	double seconds = 3.0;
	long count = 20000, warmup = 1000;
	const char *group_name = "cpg_bench";
	cpg_callbacks_t callbacks;
	struct cpg_name group;
	cs_error_t err;
	long long deadline;

	while ((c = getopt(argc, argv, "m:t:s:n:w:g:h")) != -1) {
		switch (c) {
		case 'm':
			do_flood = !strcmp(optarg, "flood") || !strcmp(optarg, "all");
			do_latency = !strcmp(optarg, "latency") || !strcmp(optarg, "all");
			if (!do_flood && !do_latency) {
				usage();
				return 2;
			}
			break;
		case 't':
			seconds = atof(optarg);
			break;
		case 's':
			if (parse_sizes(optarg, sizes, &n_sizes) < 0) {
				fprintf(stderr, "cpg_bench: bad size list '%s'\n", optarg);
				return 2;
			}
			break;
		case 'n':
			count = atol(optarg);
			break;
		case 'w':
			warmup = atol(optarg);
			break;
		case 'g':
			group_name = optarg;
			break;
		default:
			usage();
			return c == 'h' ? 0 : 2;
		}
	}
	if (optind != argc || seconds <= 0 || count < 1 || warmup < 0 || strlen(group_name) > CPG_MAX_NAME_LENGTH) {
		usage();
		return 2;
	}

	my_pid = (uint32_t)getpid();
	memset(&callbacks, 0, sizeof callbacks);
	callbacks.cpg_deliver_fn = on_deliver;
	callbacks.cpg_confchg_fn = on_confchg;
	memset(&group, 0, sizeof group);
	group.length = (uint32_t)strlen(group_name);
	memcpy(group.value, group_name, group.length);

	/* The executive may still be starting: keep asking for 10 s. */
	deadline = now_ns() + 10000000000LL;
	while ((err = cpg_initialize(&handle, &callbacks)) != CS_OK && now_ns() < deadline)
		nanosleep(&(struct timespec){0, 100000000}, NULL);
	if (err != CS_OK) {
		fprintf(stderr, "cpg_bench: cpg_initialize: error %d\n", (int)err);
		return 1;
	}
	if ((err = cpg_fd_get(handle, &cpg_fd)) != CS_OK) {
		fprintf(stderr, "cpg_bench: cpg_fd_get: error %d\n", (int)err);
		return 1;
	}
	while ((err = cpg_join(handle, &group)) == CS_ERR_TRY_AGAIN && now_ns() < deadline)
		nanosleep(&(struct timespec){0, 100000000}, NULL);
	if (err != CS_OK) {
		fprintf(stderr, "cpg_bench: cpg_join: error %d\n", (int)err);
		return 1;
	}
	deadline = now_ns() + 10000000000LL;
	while (!joined) {
		if (now_ns() > deadline) {
			fprintf(stderr, "cpg_bench: no configuration change with this process in 10 s\n");
			return 1;
		}
		if (pump(100) < 0)
			return 1;
	}
	printf("cpg_bench: group %s, pid %u, node %u; MB = 10^6 bytes\n", group_name, (unsigned)my_pid,
	       (unsigned)my_node);
	fflush(stdout);

	if (do_flood) {
		const size_t *s = n_sizes ? sizes : flood_default;
		int n = n_sizes ? n_sizes : (int)(sizeof flood_default / sizeof flood_default[0]);

		for (i = 0; i < n && rc == 0 && !broken; i++)
			rc = flood(s[i], seconds);
	}
	if (do_latency) {
		static const size_t latency_default[] = {64};
		const size_t *s = n_sizes ? sizes : latency_default;
		int n = n_sizes ? n_sizes : 1;

		for (i = 0; i < n && rc == 0 && !broken; i++)
			rc = latency(s[i], count, warmup);
	}
	if (stale || foreign)
		printf("cpg_bench: %llu deliveries from an earlier size, %llu from other senders (not counted)\n",
		       (unsigned long long)stale, (unsigned long long)foreign);

	err = cpg_leave(handle, &group);
	if (err != CS_OK) {
		fprintf(stderr, "cpg_bench: cpg_leave: error %d\n", (int)err);
		rc = -1;
	}
	cpg_finalize(handle);
	if (broken)
		fprintf(stderr, "cpg_bench: deliveries failed their checks\n");
	return rc == 0 && !broken ? 0 : 1;
}
