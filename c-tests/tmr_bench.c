/*
 * Timer service benchmark: how late expirations are delivered, and how fast timers are
 * started and cancelled, with N timers active on one handle. Figures, not a test.
 *
 *   tmr_bench [-n ACTIVE,ACTIVE,...] [-x EXPIRING] [-s SPREAD_MS] [-t SECONDS]
 *
 * For each ACTIVE count (default 1000): ACTIVE timers are started on one handle;
 * EXPIRING of them (default 1000, at most ACTIVE) have absolute deadlines spread at
 * random over SPREAD_MS (default 1000) after a lead long enough to start them all, the
 * others are due an hour later and only keep the timer store full (`-n 100000` is the
 * large case: 100,000 active, 1,000 of them expiring). Lateness is the delivery time (read
 * in the expiration callback) minus the deadline, both CLOCK_REALTIME nanoseconds, the
 * clock saTmrTimeGet reports; p50, p99 and the maximum are printed in microseconds, with
 * how many of the expiring timers were delivered. Then, for SECONDS (default 3), a
 * one-hour timer is started and cancelled in a loop beside the ACTIVE - EXPIRING
 * timers still running: pairs per second and the p50/p99 of a pair.
 *
 * The executive is the one AIS_IPC_SOCKET names; c-tests/tmr-bench.sh runs this idle and
 * while a CPG flood runs on the same node. Exit status 1 only when a call fails.
 */
#include <saTmr.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MS SA_TIME_ONE_MILLISECOND
#define SEC SA_TIME_ONE_SECOND

static SaTimeT realtime(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return (SaTimeT)t.tv_sec * SEC + t.tv_nsec;
}

static void nap(void)
{
	struct timespec ts = {0, 10 * 1000 * 1000};
	nanosleep(&ts, NULL);
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static SaUint64T rng_state = 0x2545F4914F6CDD1Dull;

static SaUint64T next_random(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* An expiring timer's deadline; its data points here. */
static SaTimeT *deadlines;
static size_t n_deadlines;
/* Lateness of each delivery, microseconds. */
static double *late;
static size_t n_late;

static void expired(SaTmrTimerIdT id, const void *data, SaUint64T count)
{
	const SaTimeT *d = (const SaTimeT *)data;
	SaTimeT now = realtime();
	(void)id;
	(void)count;
	if (d >= deadlines && d < deadlines + n_deadlines && n_late < n_deadlines)
		late[n_late++] = (double)(now - *d) / 1e3;
}

/* saTmrTimerStart, retried while the service answers SA_AIS_ERR_TRY_AGAIN. */
static SaAisErrorT start(SaTmrHandleT h, SaTmrTimeTypeT type, SaTimeT when, const void *data, SaTmrTimerIdT *id)
{
	SaTmrTimerAttributesT a;
	SaTimeT call;
	SaAisErrorT rc;
	a.type = type;
	a.initialExpirationTime = when;
	a.timerPeriodDuration = 0;
	while ((rc = saTmrTimerStart(h, &a, data, id, &call)) == SA_AIS_ERR_TRY_AGAIN)
		nap();
	return rc;
}

static int run(SaTmrHandleT h, size_t active, size_t expiring, SaTimeT spread, double secs)
{
	SaTmrTimerIdT *ids = (SaTmrTimerIdT *)calloc(active ? active : 1, sizeof *ids);
	size_t cap = 1 << 16, pairs = 0, i, background = active - expiring;
	double *pair_us = (double *)malloc(cap * sizeof *pair_us);
	SaSelectionObjectT sel = 0;
	SaTimeT now = 0, base, last = 0, t0, end;
	SaAisErrorT rc;
	void *data;
	int status = 1;

	deadlines = (SaTimeT *)calloc(expiring ? expiring : 1, sizeof *deadlines);
	late = (double *)calloc(expiring ? expiring : 1, sizeof *late);
	n_deadlines = expiring;
	n_late = 0;
	if (!ids || !pair_us || !deadlines || !late) {
		fprintf(stderr, "tmr_bench: out of memory\n");
		goto out;
	}
	if ((rc = saTmrSelectionObjectGet(h, &sel)) != SA_AIS_OK) {
		fprintf(stderr, "saTmrSelectionObjectGet: %d\n", (int)rc);
		goto out;
	}

	/* The background, due in an hour. */
	for (i = 0; i < background; i++) {
		if ((rc = start(h, SA_TIME_DURATION, SA_TIME_ONE_HOUR, NULL, &ids[i])) != SA_AIS_OK) {
			fprintf(stderr, "saTmrTimerStart (background %zu): %d\n", i, (int)rc);
			goto out;
		}
	}
	/* The expiring ones: 100 us each to start them, and half a second, before the first. */
	if ((rc = saTmrTimeGet(h, &now)) != SA_AIS_OK) {
		fprintf(stderr, "saTmrTimeGet: %d\n", (int)rc);
		goto out;
	}
	base = now + 500 * MS + (SaTimeT)expiring * 100 * SA_TIME_ONE_MICROSECOND;
	for (i = 0; i < expiring; i++) {
		deadlines[i] = base + (SaTimeT)(next_random() % (SaUint64T)spread);
		if (deadlines[i] > last)
			last = deadlines[i];
		if ((rc = start(h, SA_TIME_ABSOLUTE, deadlines[i], &deadlines[i], &ids[background + i])) != SA_AIS_OK) {
			fprintf(stderr, "saTmrTimerStart (expiring %zu): %d\n", i, (int)rc);
			goto out;
		}
	}
	/* Deliver until all came or 5 s after the last deadline. */
	end = last + 5 * SEC;
	while (n_late < expiring && realtime() < end) {
		struct pollfd p;
		p.fd = (int)sel;
		p.events = POLLIN;
		p.revents = 0;
		if (poll(&p, 1, 100) == 1 && (rc = saTmrDispatch(h, SA_DISPATCH_ALL)) != SA_AIS_OK) {
			fprintf(stderr, "saTmrDispatch: %d\n", (int)rc);
			goto out;
		}
	}
	if (n_late) {
		qsort(late, n_late, sizeof *late, cmp);
		printf("%7zu active, %5zu expiring over %4lld ms: lateness p50 %8.1f us  p99 %8.1f us  max %8.1f us"
		       "  (%zu of %zu delivered)\n",
		       active, expiring, (long long)(spread / MS), late[n_late / 2], late[n_late * 99 / 100],
		       late[n_late - 1], n_late, expiring);
	} else {
		printf("%7zu active, %5zu expiring over %4lld ms: nothing delivered\n", active, expiring,
		       (long long)(spread / MS));
	}
	fflush(stdout);

	/* Start and cancel, beside the background. */
	end = realtime() + (SaTimeT)(secs * (double)SEC);
	while ((t0 = realtime()) < end) {
		SaTmrTimerIdT id;
		if ((rc = start(h, SA_TIME_DURATION, SA_TIME_ONE_HOUR, NULL, &id)) != SA_AIS_OK ||
		    (rc = saTmrTimerCancel(h, id, &data)) != SA_AIS_OK) {
			fprintf(stderr, "start+cancel: %d\n", (int)rc);
			goto out;
		}
		if (pairs == cap) {
			double *more = (double *)realloc(pair_us, 2 * cap * sizeof *pair_us);
			if (!more)
				goto out;
			pair_us = more;
			cap *= 2;
		}
		pair_us[pairs++] = (double)(realtime() - t0) / 1e3;
	}
	if (pairs) {
		qsort(pair_us, pairs, sizeof *pair_us, cmp);
		printf("%7zu active, start+cancel beside %zu: %9.0f pairs/s  p50 %7.1f us  p99 %7.1f us\n", active,
		       background, (double)pairs / secs, pair_us[pairs / 2], pair_us[pairs * 99 / 100]);
	}
	fflush(stdout);

	for (i = 0; i < background; i++) {
		if ((rc = saTmrTimerCancel(h, ids[i], &data)) != SA_AIS_OK) {
			fprintf(stderr, "saTmrTimerCancel (background %zu): %d\n", i, (int)rc);
			goto out;
		}
	}
	status = 0;
out:
	free(ids);
	free(pair_us);
	free(deadlines);
	free(late);
	deadlines = NULL;
	late = NULL;
	n_deadlines = 0;
	return status;
}

static void usage(void)
{
	fprintf(stderr, "usage: tmr_bench [-n ACTIVE,ACTIVE,...] [-x EXPIRING] [-s SPREAD_MS] [-t SECONDS]\n"
			"  -n  timers active on the handle, per case (default 1000; 100000 is the large case)\n"
			"  -x  how many of them expire and are measured (default 1000, at most ACTIVE)\n"
			"  -s  the expiring deadlines are spread over this many ms (default 1000)\n"
			"  -t  seconds of start+cancel pairs per case (default 3)\n");
}

int main(int argc, char **argv)
{
	const char *actives = "1000";
	long expiring = 1000, spread_ms = 1000;
	double secs = 3;
	SaTmrCallbacksT cb;
	SaVersionT v;
	SaTmrHandleT h;
	SaAisErrorT rc;
	SaTimeT end;
	char buf[256], *s, *save;
	int opt, status = 0;

	while ((opt = getopt(argc, argv, "n:x:s:t:h")) != -1) {
		switch (opt) {
		case 'n': actives = optarg; break;
		case 'x': expiring = atol(optarg); break;
		case 's': spread_ms = atol(optarg); break;
		case 't': secs = atof(optarg); break;
		default:
			usage();
			return opt == 'h' ? 0 : 2;
		}
	}
	if (optind != argc || expiring < 1 || spread_ms < 1 || secs <= 0) {
		usage();
		return 2;
	}

	cb.saTmrTimerExpiredCallback = expired;
	end = realtime() + 10 * SEC;
	do {
		v.releaseCode = 'A';
		v.majorVersion = 1;
		v.minorVersion = 1;
		rc = saTmrInitialize(&h, &cb, &v);
		if (rc == SA_AIS_ERR_TRY_AGAIN)
			nap();
	} while (rc == SA_AIS_ERR_TRY_AGAIN && realtime() < end);
	if (rc != SA_AIS_OK) {
		fprintf(stderr, "saTmrInitialize: %d\n", (int)rc);
		return 1;
	}

	snprintf(buf, sizeof buf, "%s", actives);
	for (s = strtok_r(buf, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
		long n = atol(s);
		if (n < 1) {
			fprintf(stderr, "tmr_bench: bad timer count '%s'\n", s);
			status = 2;
			break;
		}
		status |= run(h, (size_t)n, (size_t)(expiring < n ? expiring : n), (SaTimeT)spread_ms * MS, secs);
	}
	saTmrFinalize(h);
	return status;
}
