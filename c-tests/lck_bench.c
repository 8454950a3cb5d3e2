/*
 * Lock service figures (not a test): uncontended lock+unlock pairs per second with
 * the p50/p99 latency of saLckResourceLock, and the EX hand-off rate between two
 * processes (the second on the executive LCK_BENCH_PEER_SOCKET names, if set: another
 * node).
 *
 *   lck_bench [-n PAIRS] [-h HANDOFFS]
 */
#include <saLck.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SEC 1000000000LL

static long long now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * SEC + t.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return (x > y) - (x < y);
}

static SaLckResourceHandleT open_resource(SaLckHandleT *h, const char *name)
{
	SaVersionT v = {'B', 3, 1};
	SaNameT n;
	SaLckResourceHandleT r;
	SaAisErrorT rc;
	int tries = 0;
	while ((rc = saLckInitialize(h, NULL, &v)) == SA_AIS_ERR_TRY_AGAIN && tries++ < 200)
	{
		struct timespec fifty_ms = {0, 50000000};
		nanosleep(&fifty_ms, NULL);
	}
	if (rc != SA_AIS_OK) {
		fprintf(stderr, "lck_bench: initialize: %d\n", (int)rc);
		exit(1);
	}
	memset(&n, 0, sizeof n);
	n.length = (SaUint16T)strlen(name);
	memcpy(n.value, name, n.length);
	if ((rc = saLckResourceOpen(*h, &n, SA_LCK_RESOURCE_CREATE, 10 * SEC, &r)) != SA_AIS_OK) {
		fprintf(stderr, "lck_bench: open: %d\n", (int)rc);
		exit(1);
	}
	return r;
}

/* Takes and gives up EX `count` times; the number of grants. */
static int handoffs(SaLckResourceHandleT r, int count)
{
	int done = 0;
	for (int i = 0; i < count; i++) {
		SaLckLockIdT id;
		SaLckLockStatusT st;
		if (saLckResourceLock(r, &id, SA_LCK_EX_LOCK_MODE, 0, 0, 30 * SEC, &st) != SA_AIS_OK ||
		    st != SA_LCK_LOCK_GRANTED)
			break;
		done++;
		saLckResourceUnlock(id, 10 * SEC);
	}
	return done;
}

int main(int argc, char **argv)
{
	int pairs = 20000, hand = 5000, opt;
	SaLckHandleT h;
	SaLckResourceHandleT r;
	long long *lat, start, took;
	while ((opt = getopt(argc, argv, "n:h:")) != -1) {
		if (opt == 'n')
			pairs = atoi(optarg);
		else if (opt == 'h')
			hand = atoi(optarg);
	}
	if (pairs < 1 || hand < 1)
		return 2;
	lat = (long long *)malloc(sizeof *lat * (size_t)pairs);
	if (!lat)
		return 1;

	r = open_resource(&h, "lck_bench/uncontended");
	start = now_ns();
	for (int i = 0; i < pairs; i++) {
		SaLckLockIdT id;
		SaLckLockStatusT st;
		long long t0 = now_ns();
		if (saLckResourceLock(r, &id, SA_LCK_EX_LOCK_MODE, 0, 0, 10 * SEC, &st) != SA_AIS_OK ||
		    st != SA_LCK_LOCK_GRANTED) {
			fprintf(stderr, "lck_bench: lock failed\n");
			return 1;
		}
		lat[i] = now_ns() - t0;
		saLckResourceUnlock(id, 10 * SEC);
	}
	took = now_ns() - start;
	qsort(lat, (size_t)pairs, sizeof *lat, cmp);
	printf("uncontended: %d lock+unlock pairs in %.3f s: %.0f pairs/s; lock latency p50 %.1f us, p99 %.1f us\n",
	       pairs, (double)took / SEC, pairs * (double)SEC / (double)took, lat[pairs / 2] / 1000.0,
	       lat[pairs * 99 / 100] / 1000.0);
	saLckFinalize(h);

	/* Two processes handing EX back and forth. */
	{
		int fd[2], status = 0, mine, theirs = 0;
		pid_t child;
		if (pipe(fd) != 0)
			return 1;
		child = fork();
		if (child == 0) {
			const char *peer = getenv("LCK_BENCH_PEER_SOCKET");
			if (peer)
				setenv("AIS_IPC_SOCKET", peer, 1);
			r = open_resource(&h, "lck_bench/handoff");
			mine = handoffs(r, hand);
			if (write(fd[1], &mine, sizeof mine) != sizeof mine)
				_exit(1);
			saLckFinalize(h);
			_exit(0);
		}
		r = open_resource(&h, "lck_bench/handoff");
		start = now_ns();
		mine = handoffs(r, hand);
		if (read(fd[0], &theirs, sizeof theirs) != sizeof theirs)
			theirs = 0;
		took = now_ns() - start;
		waitpid(child, &status, 0);
		printf("hand-off: %d EX grants between two processes%s in %.3f s: %.0f grants/s\n", mine + theirs,
		       getenv("LCK_BENCH_PEER_SOCKET") ? " on two nodes" : "", (double)took / SEC,
		       (mine + theirs) * (double)SEC / (double)took);
		saLckFinalize(h);
	}
	free(lat);
	return 0;
}
