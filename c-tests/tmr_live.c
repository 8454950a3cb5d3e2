/*
 * The timer service against a live executive, as an application uses <saTmr.h>: every
 * call of TMR A.01.01 and its error paths, single-event and periodic timers, absolute
 * and relative, the three dispatch modes, and 1,000 timers on one handle expiring in
 * deadline order.
 *
 *   tmr_live                   the checks against the executive AIS_IPC_SOCKET names
 *
 * One line per group of checks, a FAIL line per failed check, a summary; exit status 0
 * when every check passed. Times are CLOCK_REALTIME nanoseconds, the clock saTmrTimeGet
 * reports, so a delivery time read in the callback compares with a timer's deadline.
 *
 * The comments cite SAI-AIS-TMR-A.01.01 by the function whose description and return
 * values define the behaviour (the callback is SaTmrTimerExpiredCallbackT). Where the
 * spec leaves a behaviour open, the check follows OpenSAF's libSaTmr (an A.01.01
 * implementation with its own tests) and names the OpenSAF test.
 *
 * The file is C99 and C++: `make check` builds it both ways.
 */
#include <saTmr.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define MS SA_TIME_ONE_MILLISECOND
#define SEC SA_TIME_ONE_SECOND

/* The latest an expiration may be delivered after its deadline before a check fails:
 * generous, as `make check` shares the machine; the benchmark measures the real figure. */
#define LATE_MAX SEC

/* Nanoseconds since the epoch, the clock of saTmrTimeGet and of absolute timers. */
static SaTimeT realtime(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return (SaTimeT)t.tv_sec * SEC + t.tv_nsec;
}

static void sleep_ms(long ms)
{
	struct timespec t;
	t.tv_sec = ms / 1000;
	t.tv_nsec = (ms % 1000) * 1000000L;
	nanosleep(&t, NULL);
}

/* Sleeps until realtime() reaches `when`. */
static void sleep_until(SaTimeT when)
{
	SaTimeT now = realtime();
	if (when > now)
		sleep_ms((long)((when - now + MS - 1) / MS));
}

static SaVersionT version(char release, int major, int minor)
{
	SaVersionT v;
	v.releaseCode = (SaUint8T)release;
	v.majorVersion = (SaUint8T)major;
	v.minorVersion = (SaUint8T)minor;
	return v;
}

static SaTmrTimerAttributesT attributes(SaTmrTimeTypeT type, SaTimeT initial, SaTimeT period)
{
	SaTmrTimerAttributesT a;
	a.type = type;
	a.initialExpirationTime = initial;
	a.timerPeriodDuration = period;
	return a;
}

/* What a timer's data points at: the test's record of that timer. */
struct tag {
	SaTmrTimerIdT id;
	SaTimeT deadline;
	int delivered;
};

/* Every expiration callback, in delivery order (the callback names no handle: the timer
 * data says whose timer it is). */
#define MAX_SEEN 2048
static struct {
	int n;
	struct {
		SaTmrTimerIdT id;
		const void *data;
		SaUint64T count;
		SaTimeT at;
	} e[MAX_SEEN];
	/* The callback for this timer data finalizes this handle (ending a blocking dispatch). */
	const void *finalize_on;
	SaTmrHandleT finalize;
} seen;

static void expired(SaTmrTimerIdT id, const void *data, SaUint64T count)
{
	SaTimeT at = realtime();
	if (seen.n < MAX_SEEN) {
		seen.e[seen.n].id = id;
		seen.e[seen.n].data = data;
		seen.e[seen.n].count = count;
		seen.e[seen.n].at = at;
	}
	seen.n++;
	if (data && data == seen.finalize_on) {
		CHECK(saTmrFinalize(seen.finalize), SA_AIS_OK);
		seen.finalize_on = NULL;
	}
}

static void forget_seen(void)
{
	memset(&seen, 0, sizeof seen);
}

/* Opens a handle, retrying while the executive starts. */
static SaAisErrorT init(SaTmrHandleT *h, const SaTmrCallbacksT *cb, SaVersionT *v)
{
	SaVersionT asked = *v;
	SaAisErrorT rc = SA_AIS_ERR_TRY_AGAIN;
	int tries;
	for (tries = 0; tries < 100 && rc == SA_AIS_ERR_TRY_AGAIN; tries++) {
		*v = asked;
		rc = saTmrInitialize(h, cb, v);
		if (rc == SA_AIS_ERR_TRY_AGAIN)
			sleep_ms(50);
	}
	return rc;
}

static SaTmrCallbacksT callbacks;

static SaTmrHandleT open_handle(void)
{
	SaTmrHandleT h = 0;
	SaVersionT v = version('A', 1, 1);
	CHECK(init(&h, &callbacks, &v), SA_AIS_OK);
	return h;
}

/* Whether the handle's selection object becomes readable within `ms` milliseconds. */
static int readable(SaTmrHandleT h, int ms)
{
	SaSelectionObjectT sel = 0;
	struct pollfd p;
	CHECK(saTmrSelectionObjectGet(h, &sel), SA_AIS_OK);
	p.fd = (int)sel;
	p.events = POLLIN;
	p.revents = 0;
	return poll(&p, 1, ms) == 1;
}

/* Polls the selection object and dispatches with `flags` until `want` callbacks in all
 * were seen or `ms` milliseconds passed; returns the number seen. */
static int dispatch_until(SaTmrHandleT h, SaDispatchFlagsT flags, int want, long ms)
{
	SaTimeT end = realtime() + ms * MS;
	while (seen.n < want) {
		SaTimeT left = end - realtime();
		if (left <= 0)
			break;
		if (readable(h, (int)((left + MS - 1) / MS)))
			CHECK(saTmrDispatch(h, flags), SA_AIS_OK);
	}
	return seen.n;
}

/* Checks that callback `k` is timer `id` with `data` and `count`, delivered no earlier
 * than `deadline` and at most LATE_MAX after it. */
static void expect_expiry(int line, int k, SaTmrTimerIdT id, const void *data, SaUint64T count, SaTimeT deadline)
{
	checks++;
	if (k >= seen.n || seen.e[k].id != id || seen.e[k].data != data || seen.e[k].count != count ||
	    seen.e[k].at < deadline || seen.e[k].at > deadline + LATE_MAX) {
		if (k >= seen.n)
			fprintf(stderr, "FAIL %s:%d: no callback %d (%d seen)\n", __FILE__, line, k, seen.n);
		else
			fprintf(stderr,
				"FAIL %s:%d: callback %d: timer %llu data %p count %llu at deadline%+lld ns, "
				"want timer %llu data %p count %llu at deadline+[0, %lld]\n",
				__FILE__, line, k, (unsigned long long)seen.e[k].id, seen.e[k].data,
				(unsigned long long)seen.e[k].count, (long long)(seen.e[k].at - deadline),
				(unsigned long long)id, data, (unsigned long long)count, (long long)LATE_MAX);
		failures++;
	}
}

/* saTmrInitialize: the version rule of the AIS overview. A matching release
 * code and a major version not above ours are granted, A.1.1 written back; otherwise
 * SA_AIS_ERR_VERSION with A.1.1 written back. NULL tmrHandle or version: INVALID_PARAM. */
static void checks_initialize(void)
{
	SaTmrHandleT h = 0;
	SaVersionT v;

	v = version('A', 2, 1);
	CHECK(saTmrInitialize(&h, &callbacks, &v), SA_AIS_ERR_VERSION);
	EXPECT(v.releaseCode == 'A' && v.majorVersion == 1 && v.minorVersion == 1);
	v = version('B', 1, 1);
	CHECK(saTmrInitialize(&h, &callbacks, &v), SA_AIS_ERR_VERSION);
	EXPECT(v.releaseCode == 'A' && v.majorVersion == 1 && v.minorVersion == 1);
	/* A release code below ours (OpenSAF's InitializeWithZeroVersion). */
	v = version(0, 0, 0);
	CHECK(saTmrInitialize(&h, &callbacks, &v), SA_AIS_ERR_VERSION);
	EXPECT(v.releaseCode == 'A' && v.majorVersion == 1 && v.minorVersion == 1);

	v = version('A', 1, 1);
	CHECK(saTmrInitialize(NULL, &callbacks, &v), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saTmrInitialize(&h, &callbacks, NULL), SA_AIS_ERR_INVALID_PARAM);

	/* A.1.0 is granted as A.1.1. */
	v = version('A', 1, 0);
	CHECK(init(&h, &callbacks, &v), SA_AIS_OK);
	EXPECT(v.releaseCode == 'A' && v.majorVersion == 1 && v.minorVersion == 1);
	CHECK(saTmrFinalize(h), SA_AIS_OK);
	/* timerCallbacks may be NULL (no callback registered). */
	v = version('A', 1, 1);
	CHECK(init(&h, NULL, &v), SA_AIS_OK);
	CHECK(saTmrFinalize(h), SA_AIS_OK);
}

/* Every call on a handle never opened, and on one finalized: SA_AIS_ERR_BAD_HANDLE
 * (each function's return values; saTmrFinalize: the handle is invalid after it). */
static void expect_bad_handle(SaTmrHandleT h)
{
	SaSelectionObjectT sel;
	SaTmrTimerAttributesT a = attributes(SA_TIME_DURATION, SEC, 0), got;
	SaTmrTimerIdT id = 0;
	SaTimeT t = 0;
	void *data = NULL;
	int x = 0;

	CHECK(saTmrSelectionObjectGet(h, &sel), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saTmrDispatch(h, SA_DISPATCH_ALL), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saTmrDispatch(h, SA_DISPATCH_ONE), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saTmrDispatch(h, SA_DISPATCH_BLOCKING), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saTmrTimerStart(h, &a, &x, &id, &t), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saTmrTimerReschedule(h, 1, &a, &t), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saTmrTimerCancel(h, 1, &data), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saTmrPeriodicTimerSkip(h, 1), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saTmrTimerRemainingTimeGet(h, 1, &t), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saTmrTimerAttributesGet(h, 1, &got), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saTmrTimeGet(h, &t), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saTmrClockTickGet(h, &t), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saTmrFinalize(h), SA_AIS_ERR_BAD_HANDLE);
}

static void checks_bad_handles(void)
{
	SaTmrHandleT h = open_handle();
	expect_bad_handle(0x12345);
	expect_bad_handle(0);
	CHECK(saTmrFinalize(h), SA_AIS_OK);
	expect_bad_handle(h);
}

/* NULL pointers where the spec requires one (each function's INVALID_PARAM), and an
 * invalid dispatchFlags (saTmrDispatch: SA_AIS_ERR_INVALID_PARAM, as every AIS
 * dispatch; openais and OpenSAF answer the same). */
static void checks_null_arguments(SaTmrHandleT h)
{
	SaTmrTimerAttributesT a = attributes(SA_TIME_DURATION, 10 * SEC, 0);
	SaTmrTimerIdT id = 0;
	SaTimeT t = 0;
	void *data = NULL;
	int x = 0;

	CHECK(saTmrSelectionObjectGet(h, NULL), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saTmrDispatch(h, (SaDispatchFlagsT)0), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saTmrDispatch(h, (SaDispatchFlagsT)4), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saTmrTimerStart(h, NULL, &x, &id, &t), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saTmrTimerStart(h, &a, &x, NULL, &t), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saTmrTimerStart(h, &a, &x, &id, NULL), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saTmrTimeGet(h, NULL), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saTmrClockTickGet(h, NULL), SA_AIS_ERR_INVALID_PARAM);

	/* The timer-id calls, on a running timer. */
	CHECK(saTmrTimerStart(h, &a, &x, &id, &t), SA_AIS_OK);
	CHECK(saTmrTimerReschedule(h, id, NULL, &t), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saTmrTimerReschedule(h, id, &a, NULL), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saTmrTimerCancel(h, id, NULL), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saTmrTimerRemainingTimeGet(h, id, NULL), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saTmrTimerAttributesGet(h, id, NULL), SA_AIS_ERR_INVALID_PARAM);
	/* None of them touched the timer. */
	CHECK(saTmrTimerCancel(h, id, &data), SA_AIS_OK);
	EXPECT(data == &x);
}

/* saTmrTimerStart and saTmrTimerReschedule: SA_AIS_ERR_INVALID_PARAM for a
 * time type other than SA_TIME_ABSOLUTE/SA_TIME_DURATION, a negative initial expiration
 * time or period, a zero duration, and an absolute time not in the future (OpenSAF's
 * StartDurationAndAbsoluteWithZeroTimeToExpiry); a reschedule may not turn a
 * single-event timer into a periodic one or back (OpenSAF's ReschedulePeriodicToSingleEvent
 * and RescheduleSingleEventToPeriodic). Nothing is started or changed. */
static void checks_invalid_attributes(SaTmrHandleT h)
{
	SaTmrTimerAttributesT bad[8], single = attributes(SA_TIME_DURATION, 10 * SEC, 0),
				      periodic = attributes(SA_TIME_DURATION, 10 * SEC, SEC), got;
	SaTmrTimerIdT id = 0, one = 0, many = 0;
	SaTimeT now = 0, t = 0;
	void *data = NULL;
	int i, x = 0, y = 0;

	CHECK(saTmrTimeGet(h, &now), SA_AIS_OK);
	bad[0] = attributes((SaTmrTimeTypeT)0, SEC, 0);
	bad[1] = attributes((SaTmrTimeTypeT)3, SEC, 0);
	bad[2] = attributes(SA_TIME_DURATION, 0, 0);
	bad[3] = attributes(SA_TIME_DURATION, -SEC, 0);
	bad[4] = attributes(SA_TIME_DURATION, SEC, -SEC);
	bad[5] = attributes(SA_TIME_ABSOLUTE, now - SEC, 0);
	bad[6] = attributes(SA_TIME_ABSOLUTE, now, SEC);
	bad[7] = attributes(SA_TIME_ABSOLUTE, now + 10 * SEC, -1);
	for (i = 0; i < 8; i++) {
		id = 0;
		CHECK(saTmrTimerStart(h, &bad[i], &x, &id, &t), SA_AIS_ERR_INVALID_PARAM);
	}

	CHECK(saTmrTimerStart(h, &single, &x, &one, &t), SA_AIS_OK);
	CHECK(saTmrTimerStart(h, &periodic, &y, &many, &t), SA_AIS_OK);
	for (i = 0; i < 8; i++) {
		CHECK(saTmrTimerReschedule(h, one, &bad[i], &t), SA_AIS_ERR_INVALID_PARAM);
		CHECK(saTmrTimerReschedule(h, many, &bad[i], &t), SA_AIS_ERR_INVALID_PARAM);
	}
	CHECK(saTmrTimerReschedule(h, one, &periodic, &t), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saTmrTimerReschedule(h, many, &single, &t), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saTmrTimerAttributesGet(h, one, &got), SA_AIS_OK);
	EXPECT(got.type == SA_TIME_DURATION && got.initialExpirationTime == 10 * SEC && got.timerPeriodDuration == 0);
	CHECK(saTmrTimerAttributesGet(h, many, &got), SA_AIS_OK);
	EXPECT(got.type == SA_TIME_DURATION && got.initialExpirationTime == 10 * SEC && got.timerPeriodDuration == SEC);
	CHECK(saTmrTimerCancel(h, one, &data), SA_AIS_OK);
	EXPECT(data == &x);
	CHECK(saTmrTimerCancel(h, many, &data), SA_AIS_OK);
	EXPECT(data == &y);
}

/* saTmrTimerStart: SA_AIS_ERR_INIT when saTmrInitialize was given no
 * saTmrTimerExpiredCallback, whether timerCallbacks was NULL or its member is. The other
 * calls work on such a handle. */
static void checks_no_callback(void)
{
	SaTmrHandleT h = 0;
	SaTmrCallbacksT none;
	SaVersionT v = version('A', 1, 1);
	SaTmrTimerAttributesT a = attributes(SA_TIME_DURATION, SEC, 0);
	SaTmrTimerIdT id = 0;
	SaTimeT t = 0;
	SaSelectionObjectT sel = 0;
	int x = 0;

	CHECK(init(&h, NULL, &v), SA_AIS_OK);
	CHECK(saTmrTimerStart(h, &a, &x, &id, &t), SA_AIS_ERR_INIT);
	CHECK(saTmrTimeGet(h, &t), SA_AIS_OK);
	CHECK(saTmrSelectionObjectGet(h, &sel), SA_AIS_OK);
	CHECK(saTmrDispatch(h, SA_DISPATCH_ALL), SA_AIS_OK);
	CHECK(saTmrFinalize(h), SA_AIS_OK);

	none.saTmrTimerExpiredCallback = NULL;
	v = version('A', 1, 1);
	CHECK(init(&h, &none, &v), SA_AIS_OK);
	CHECK(saTmrTimerStart(h, &a, &x, &id, &t), SA_AIS_ERR_INIT);
	CHECK(saTmrFinalize(h), SA_AIS_OK);
}

/* saTmrTimeGet: the current time, nanoseconds since the epoch: CLOCK_REALTIME, read
 * between our readings before and after the call. saTmrClockTickGet: the clock's
 * resolution, positive (at most a second). saTmrSelectionObjectGet: the same
 * object every call, not readable while nothing is pending; saTmrDispatch ONE and
 * ALL return SA_AIS_OK at once when nothing is pending. */
static void checks_clock_and_selection(SaTmrHandleT h)
{
	SaTimeT before, now = 0, after, tick = 0;
	SaSelectionObjectT s1 = 0, s2 = 1;

	before = realtime();
	CHECK(saTmrTimeGet(h, &now), SA_AIS_OK);
	after = realtime();
	EXPECT(now >= before && now <= after);
	CHECK(saTmrClockTickGet(h, &tick), SA_AIS_OK);
	EXPECT(tick > 0 && tick <= SEC);

	CHECK(saTmrSelectionObjectGet(h, &s1), SA_AIS_OK);
	CHECK(saTmrSelectionObjectGet(h, &s2), SA_AIS_OK);
	EXPECT(s1 == s2);
	forget_seen();
	EXPECT(!readable(h, 0));
	CHECK(saTmrDispatch(h, SA_DISPATCH_ONE), SA_AIS_OK);
	CHECK(saTmrDispatch(h, SA_DISPATCH_ALL), SA_AIS_OK);
	EXPECT(seen.n == 0);
}

/* The calls on a timer id that no longer names a running timer: SA_AIS_ERR_NOT_EXIST
 * (saTmrTimerReschedule, Cancel, PeriodicTimerSkip, RemainingTimeGet, AttributesGet). */
static void expect_not_exist(int line, SaTmrHandleT h, SaTmrTimerIdT id)
{
	SaTmrTimerAttributesT a = attributes(SA_TIME_DURATION, SEC, 0), got;
	SaTimeT t = 0;
	void *data = NULL;
	int before = failures;
	CHECK(saTmrTimerReschedule(h, id, &a, &t), SA_AIS_ERR_NOT_EXIST);
	CHECK(saTmrTimerCancel(h, id, &data), SA_AIS_ERR_NOT_EXIST);
	CHECK(saTmrPeriodicTimerSkip(h, id), SA_AIS_ERR_NOT_EXIST);
	CHECK(saTmrTimerRemainingTimeGet(h, id, &t), SA_AIS_ERR_NOT_EXIST);
	CHECK(saTmrTimerAttributesGet(h, id, &got), SA_AIS_ERR_NOT_EXIST);
	if (failures != before)
		fprintf(stderr, "     (timer %llu, from line %d)\n", (unsigned long long)id, line);
}

/* A single-event timer, relative then absolute (saTmrTimerStart): callTime is the time
 * the call was processed, between our readings; remaining time and attributes of the
 * running timer (saTmrTimerRemainingTimeGet, saTmrTimerAttributesGet) are what was asked;
 * the callback (SaTmrTimerExpiredCallbackT) comes once, not before the deadline, with the
 * timer's id, its data and an expiration count of 1; the expired timer is gone:
 * SA_AIS_ERR_NOT_EXIST for every call on it. */
static void checks_single_event(SaTmrHandleT h)
{
	SaTmrTimerAttributesT a = attributes(SA_TIME_DURATION, 200 * MS, 0), got;
	SaTmrTimerIdT id = 0, id2 = 0;
	SaTimeT before, call = 0, after, left = -1, now = 0, deadline;
	int x = 0, y = 0;

	forget_seen();
	before = realtime();
	CHECK(saTmrTimerStart(h, &a, &x, &id, &call), SA_AIS_OK);
	after = realtime();
	EXPECT(call >= before && call <= after);
	CHECK(saTmrTimerRemainingTimeGet(h, id, &left), SA_AIS_OK);
	EXPECT(left > 0 && left <= 200 * MS);
	CHECK(saTmrTimerAttributesGet(h, id, &got), SA_AIS_OK);
	EXPECT(got.type == SA_TIME_DURATION && got.initialExpirationTime == 200 * MS && got.timerPeriodDuration == 0);
	EXPECT(dispatch_until(h, SA_DISPATCH_ALL, 1, 5000) == 1);
	expect_expiry(__LINE__, 0, id, &x, 1, call + 200 * MS);
	EXPECT(dispatch_until(h, SA_DISPATCH_ALL, 2, 300) == 1);
	expect_not_exist(__LINE__, h, id);

	/* Absolute, against saTmrTimeGet's clock. */
	forget_seen();
	CHECK(saTmrTimeGet(h, &now), SA_AIS_OK);
	deadline = now + 300 * MS;
	a = attributes(SA_TIME_ABSOLUTE, deadline, 0);
	CHECK(saTmrTimerStart(h, &a, &y, &id2, &call), SA_AIS_OK);
	EXPECT(id2 != id);
	EXPECT(call >= now && call < deadline);
	CHECK(saTmrTimerAttributesGet(h, id2, &got), SA_AIS_OK);
	EXPECT(got.type == SA_TIME_ABSOLUTE && got.initialExpirationTime == deadline && got.timerPeriodDuration == 0);
	CHECK(saTmrTimerRemainingTimeGet(h, id2, &left), SA_AIS_OK);
	EXPECT(left > 0 && left <= deadline - call);
	EXPECT(dispatch_until(h, SA_DISPATCH_ONE, 1, 5000) == 1);
	expect_expiry(__LINE__, 0, id2, &y, 1, deadline);
	expect_not_exist(__LINE__, h, id2);
}

/* saTmrTimerCancel: returns the timer data given to saTmrTimerStart (NULL too); the
 * cancelled timer is gone (NOT_EXIST for every call) and never expires. */
static void checks_cancel(SaTmrHandleT h)
{
	SaTmrTimerAttributesT a = attributes(SA_TIME_DURATION, 10 * SEC, 0);
	SaTmrTimerIdT id = 0;
	SaTimeT call = 0;
	void *data = NULL;
	int x = 0;

	forget_seen();
	CHECK(saTmrTimerStart(h, &a, &x, &id, &call), SA_AIS_OK);
	CHECK(saTmrTimerCancel(h, id, &data), SA_AIS_OK);
	EXPECT(data == &x);
	expect_not_exist(__LINE__, h, id);

	CHECK(saTmrTimerStart(h, &a, NULL, &id, &call), SA_AIS_OK);
	data = &x;
	CHECK(saTmrTimerCancel(h, id, &data), SA_AIS_OK);
	EXPECT(data == NULL);

	/* A short one cancelled before its deadline is never delivered. */
	a = attributes(SA_TIME_DURATION, 100 * MS, 0);
	CHECK(saTmrTimerStart(h, &a, &x, &id, &call), SA_AIS_OK);
	CHECK(saTmrTimerCancel(h, id, &data), SA_AIS_OK);
	sleep_until(call + 300 * MS);
	EXPECT(!readable(h, 0));
	CHECK(saTmrDispatch(h, SA_DISPATCH_ALL), SA_AIS_OK);
	EXPECT(seen.n == 0);
	expect_not_exist(__LINE__, h, id);
}

/* saTmrTimerReschedule of a running timer: the new attributes replace the old
 * (AttributesGet shows them), the new callTime is returned, the id and data stay; sooner
 * or later than before, the timer expires once, at the new deadline. */
static void checks_reschedule(SaTmrHandleT h)
{
	SaTmrTimerAttributesT a = attributes(SA_TIME_DURATION, 10 * SEC, 0), got;
	SaTmrTimerIdT id = 0;
	SaTimeT call = 0, call2 = 0, left = -1, now = 0, deadline;
	int x = 0;

	forget_seen();
	CHECK(saTmrTimerStart(h, &a, &x, &id, &call), SA_AIS_OK);
	a = attributes(SA_TIME_DURATION, 300 * MS, 0);
	CHECK(saTmrTimerReschedule(h, id, &a, &call2), SA_AIS_OK);
	EXPECT(call2 >= call);
	CHECK(saTmrTimerAttributesGet(h, id, &got), SA_AIS_OK);
	EXPECT(got.type == SA_TIME_DURATION && got.initialExpirationTime == 300 * MS && got.timerPeriodDuration == 0);
	CHECK(saTmrTimerRemainingTimeGet(h, id, &left), SA_AIS_OK);
	EXPECT(left > 0 && left <= 300 * MS);
	EXPECT(dispatch_until(h, SA_DISPATCH_ALL, 1, 5000) == 1);
	expect_expiry(__LINE__, 0, id, &x, 1, call2 + 300 * MS);
	expect_not_exist(__LINE__, h, id);

	/* Later: from 200 ms to an absolute time 600 ms ahead; nothing at 200 ms. */
	forget_seen();
	a = attributes(SA_TIME_DURATION, 200 * MS, 0);
	CHECK(saTmrTimerStart(h, &a, &x, &id, &call), SA_AIS_OK);
	CHECK(saTmrTimeGet(h, &now), SA_AIS_OK);
	deadline = now + 600 * MS;
	a = attributes(SA_TIME_ABSOLUTE, deadline, 0);
	CHECK(saTmrTimerReschedule(h, id, &a, &call2), SA_AIS_OK);
	CHECK(saTmrTimerAttributesGet(h, id, &got), SA_AIS_OK);
	EXPECT(got.type == SA_TIME_ABSOLUTE && got.initialExpirationTime == deadline && got.timerPeriodDuration == 0);
	EXPECT(dispatch_until(h, SA_DISPATCH_ALL, 1, 5000) == 1);
	expect_expiry(__LINE__, 0, id, &x, 1, deadline);
	expect_not_exist(__LINE__, h, id);
}

/* A periodic timer (saTmrTimerStart, SaTmrTimerExpiredCallbackT): expirations at initial, initial + period,
 * ...; expirationCount counts the expirations since the timer started (1, 2, 3 when each
 * is dispatched in time). Expirations the process has not dispatched are delivered as one
 * callback whose count includes them all (OpenSAF's MultipleExpirationsBeforeCallback; the
 * count is how the process learns it missed some). The timer runs until cancelled. */
static void checks_periodic(SaTmrHandleT h)
{
	const SaTimeT period = 300 * MS;
	SaTmrTimerAttributesT a, got;
	SaTmrTimerIdT id = 0;
	SaTimeT now = 0, first, call = 0, left = -1;
	void *data = NULL;
	int k, x = 0;

	forget_seen();
	CHECK(saTmrTimeGet(h, &now), SA_AIS_OK);
	first = now + period;
	a = attributes(SA_TIME_ABSOLUTE, first, period);
	CHECK(saTmrTimerStart(h, &a, &x, &id, &call), SA_AIS_OK);
	CHECK(saTmrTimerAttributesGet(h, id, &got), SA_AIS_OK);
	EXPECT(got.type == SA_TIME_ABSOLUTE && got.initialExpirationTime == first && got.timerPeriodDuration == period);
	for (k = 0; k < 3; k++) {
		EXPECT(dispatch_until(h, SA_DISPATCH_ONE, k + 1, 5000) == k + 1);
		expect_expiry(__LINE__, k, id, &x, (SaUint64T)k + 1, first + k * period);
	}
	CHECK(saTmrTimerRemainingTimeGet(h, id, &left), SA_AIS_OK);
	EXPECT(left > 0 && left <= period);
	/* Attributes stay what was asked, whatever has expired. */
	CHECK(saTmrTimerAttributesGet(h, id, &got), SA_AIS_OK);
	EXPECT(got.type == SA_TIME_ABSOLUTE && got.initialExpirationTime == first && got.timerPeriodDuration == period);

	/* Expirations 4, 5 and 6 pass undispatched; half a period before the 7th, one
	 * dispatch delivers them as one callback counting 6. */
	sleep_until(first + 5 * period + period / 2);
	CHECK(saTmrDispatch(h, SA_DISPATCH_ALL), SA_AIS_OK);
	EXPECT(seen.n == 4);
	expect_expiry(__LINE__, 3, id, &x, 6, first + 5 * period);
	EXPECT(dispatch_until(h, SA_DISPATCH_ALL, 5, 5000) == 5);
	expect_expiry(__LINE__, 4, id, &x, 7, first + 6 * period);

	CHECK(saTmrTimerCancel(h, id, &data), SA_AIS_OK);
	EXPECT(data == &x);
	expect_not_exist(__LINE__, h, id);

	/* A relative periodic timer: the period follows the initial duration. */
	forget_seen();
	a = attributes(SA_TIME_DURATION, 100 * MS, 200 * MS);
	CHECK(saTmrTimerStart(h, &a, &x, &id, &call), SA_AIS_OK);
	EXPECT(dispatch_until(h, SA_DISPATCH_ALL, 2, 5000) == 2);
	expect_expiry(__LINE__, 0, id, &x, 1, call + 100 * MS);
	expect_expiry(__LINE__, 1, id, &x, 2, call + 300 * MS);
	CHECK(saTmrTimerCancel(h, id, &data), SA_AIS_OK);
}

/* saTmrPeriodicTimerSkip: the next expiration of a periodic timer is skipped, so
 * the remaining time grows by a period (OpenSAF's Skip) and the first callback comes a
 * period later; attributes are unchanged. A single-event timer cannot be skipped:
 * SA_AIS_ERR_NOT_EXIST (openais and OpenSAF). The count delivered after a skip is not
 * checked: the spec does not say whether the skipped expiration counts. */
static void checks_skip(SaTmrHandleT h)
{
	SaTmrTimerAttributesT a = attributes(SA_TIME_DURATION, SA_TIME_ONE_HOUR, SA_TIME_ONE_MINUTE), got;
	SaTmrTimerIdT id = 0;
	SaTimeT call = 0, left = -1;
	void *data = NULL;
	int x = 0;

	forget_seen();
	CHECK(saTmrTimerStart(h, &a, &x, &id, &call), SA_AIS_OK);
	CHECK(saTmrPeriodicTimerSkip(h, id), SA_AIS_OK);
	CHECK(saTmrTimerRemainingTimeGet(h, id, &left), SA_AIS_OK);
	EXPECT(left > SA_TIME_ONE_HOUR + SA_TIME_ONE_MINUTE - SEC && left <= SA_TIME_ONE_HOUR + SA_TIME_ONE_MINUTE);
	CHECK(saTmrTimerAttributesGet(h, id, &got), SA_AIS_OK);
	EXPECT(got.type == SA_TIME_DURATION && got.initialExpirationTime == SA_TIME_ONE_HOUR &&
	       got.timerPeriodDuration == SA_TIME_ONE_MINUTE);
	CHECK(saTmrTimerCancel(h, id, &data), SA_AIS_OK);

	a = attributes(SA_TIME_DURATION, 200 * MS, 200 * MS);
	CHECK(saTmrTimerStart(h, &a, &x, &id, &call), SA_AIS_OK);
	CHECK(saTmrPeriodicTimerSkip(h, id), SA_AIS_OK);
	EXPECT(dispatch_until(h, SA_DISPATCH_ALL, 1, 5000) == 1);
	checks++;
	if (seen.n < 1 || seen.e[0].id != id || seen.e[0].at < call + 400 * MS) {
		fprintf(stderr, "FAIL %s:%d: the skipped expiration was delivered (%lld ns after the start)\n",
			__FILE__, __LINE__, seen.n ? (long long)(seen.e[0].at - call) : -1LL);
		failures++;
	}
	CHECK(saTmrTimerCancel(h, id, &data), SA_AIS_OK);

	a = attributes(SA_TIME_DURATION, 10 * SEC, 0);
	CHECK(saTmrTimerStart(h, &a, &x, &id, &call), SA_AIS_OK);
	CHECK(saTmrPeriodicTimerSkip(h, id), SA_AIS_ERR_NOT_EXIST);
	CHECK(saTmrTimerRemainingTimeGet(h, id, &left), SA_AIS_OK);
	CHECK(saTmrTimerCancel(h, id, &data), SA_AIS_OK);
}

/* saTmrDispatch: SA_DISPATCH_ONE runs one pending callback (the earliest deadline
 * first) and leaves the selection object readable while more are pending; SA_DISPATCH_ALL
 * runs every pending one; SA_DISPATCH_BLOCKING runs callbacks until the handle is
 * finalized (here from a callback), then returns SA_AIS_OK. */
static void checks_dispatch(SaTmrHandleT h)
{
	SaTmrTimerAttributesT a;
	SaTmrTimerIdT id[3] = {0, 0, 0};
	SaTimeT call[3] = {0, 0, 0};
	SaVersionT v = version('A', 1, 1);
	SaTmrHandleT hb = 0;
	int x[3] = {0, 0, 0}, i;

	forget_seen();
	for (i = 0; i < 2; i++) {
		a = attributes(SA_TIME_DURATION, (100 + 50 * i) * MS, 0);
		CHECK(saTmrTimerStart(h, &a, &x[i], &id[i], &call[i]), SA_AIS_OK);
	}
	sleep_until(call[1] + 400 * MS);
	EXPECT(readable(h, 0));
	CHECK(saTmrDispatch(h, SA_DISPATCH_ONE), SA_AIS_OK);
	EXPECT(seen.n == 1);
	expect_expiry(__LINE__, 0, id[0], &x[0], 1, call[0] + 100 * MS);
	EXPECT(readable(h, 0));
	CHECK(saTmrDispatch(h, SA_DISPATCH_ONE), SA_AIS_OK);
	EXPECT(seen.n == 2);
	expect_expiry(__LINE__, 1, id[1], &x[1], 1, call[1] + 150 * MS);
	EXPECT(!readable(h, 0));
	CHECK(saTmrDispatch(h, SA_DISPATCH_ONE), SA_AIS_OK);
	EXPECT(seen.n == 2);

	forget_seen();
	for (i = 0; i < 3; i++) {
		a = attributes(SA_TIME_DURATION, (100 + 20 * i) * MS, 0);
		CHECK(saTmrTimerStart(h, &a, &x[i], &id[i], &call[i]), SA_AIS_OK);
	}
	sleep_until(call[2] + 400 * MS);
	CHECK(saTmrDispatch(h, SA_DISPATCH_ALL), SA_AIS_OK);
	EXPECT(seen.n == 3);
	for (i = 0; i < 3; i++)
		expect_expiry(__LINE__, i, id[i], &x[i], 1, call[i] + (100 + 20 * i) * MS);
	EXPECT(!readable(h, 0));

	/* Blocking, on a handle of its own that the second callback finalizes. */
	forget_seen();
	CHECK(init(&hb, &callbacks, &v), SA_AIS_OK);
	for (i = 0; i < 2; i++) {
		a = attributes(SA_TIME_DURATION, (100 + 100 * i) * MS, 0);
		CHECK(saTmrTimerStart(hb, &a, &x[i], &id[i], &call[i]), SA_AIS_OK);
	}
	seen.finalize = hb;
	seen.finalize_on = &x[1];
	CHECK(saTmrDispatch(hb, SA_DISPATCH_BLOCKING), SA_AIS_OK);
	EXPECT(seen.n == 2);
	expect_expiry(__LINE__, 0, id[0], &x[0], 1, call[0] + 100 * MS);
	expect_expiry(__LINE__, 1, id[1], &x[1], 1, call[1] + 200 * MS);
	CHECK(saTmrDispatch(hb, SA_DISPATCH_ALL), SA_AIS_ERR_BAD_HANDLE);
}

/* saTmrFinalize: the handle's timers are cancelled with it, running or expired and
 * not yet dispatched: no callback for them, ever. Timers belong to their handle: another
 * handle cannot see them (NOT_EXIST), and they do not expire through it. */
static void checks_finalize_and_ownership(SaTmrHandleT h, SaTmrHandleT h2)
{
	SaTmrTimerAttributesT a;
	SaTmrTimerIdT mine = 0, gone[3] = {0, 0, 0}, keep = 0;
	SaTimeT call = 0, left = -1;
	SaTmrHandleT hf = open_handle();
	void *data = NULL;
	int x = 0, f[3] = {0, 0, 0}, k;

	/* Ownership: h's timer is invisible through h2 (which has none). */
	a = attributes(SA_TIME_DURATION, 10 * SEC, 0);
	CHECK(saTmrTimerStart(h, &a, &x, &mine, &call), SA_AIS_OK);
	expect_not_exist(__LINE__, h2, mine);
	CHECK(saTmrTimerRemainingTimeGet(h, mine, &left), SA_AIS_OK);
	CHECK(saTmrTimerCancel(h, mine, &data), SA_AIS_OK);
	EXPECT(data == &x);

	/* hf: a timer expired before the finalize, one due after it, a periodic one. */
	forget_seen();
	a = attributes(SA_TIME_DURATION, 50 * MS, 0);
	CHECK(saTmrTimerStart(hf, &a, &f[0], &gone[0], &call), SA_AIS_OK);
	a = attributes(SA_TIME_DURATION, 300 * MS, 0);
	CHECK(saTmrTimerStart(hf, &a, &f[1], &gone[1], &call), SA_AIS_OK);
	a = attributes(SA_TIME_DURATION, 100 * MS, 100 * MS);
	CHECK(saTmrTimerStart(hf, &a, &f[2], &gone[2], &call), SA_AIS_OK);
	a = attributes(SA_TIME_DURATION, 700 * MS, 0);
	CHECK(saTmrTimerStart(h2, &a, &x, &keep, &call), SA_AIS_OK);
	sleep_ms(150);
	CHECK(saTmrFinalize(hf), SA_AIS_OK);
	EXPECT(seen.n == 0);
	CHECK(saTmrTimerCancel(hf, gone[1], &data), SA_AIS_ERR_BAD_HANDLE);
	/* h2's timer, due after all of hf's would have been, is the only callback. */
	EXPECT(dispatch_until(h2, SA_DISPATCH_ALL, 1, 5000) == 1);
	expect_expiry(__LINE__, 0, keep, &x, 1, call + 700 * MS);
	CHECK(saTmrDispatch(h, SA_DISPATCH_ALL), SA_AIS_OK);
	for (k = 0; k < seen.n && k < MAX_SEEN; k++)
		EXPECT(seen.e[k].data != &f[0] && seen.e[k].data != &f[1] && seen.e[k].data != &f[2]);
	EXPECT(seen.n == 1);
}

/* 1,000 timers on one handle with random deadlines (a fixed seed) within about 2 s, half
 * absolute, half relative (a relative timer's deadline is its callTime plus the
 * duration): each expires once, with count 1, its own id and data, never before its
 * deadline, and the deliveries come in deadline order (saTmrDispatch: callbacks in the
 * order the timers expired). */
#define MANY 1000
static struct tag many[MANY];

static SaUint64T rng_state = 0x9E3779B97F4A7C15ull;

/* xorshift64: the same sequence on every libc. */
static SaUint64T next_random(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void checks_many_timers(SaTmrHandleT h)
{
	SaTmrTimerAttributesT a;
	SaTimeT now = 0, call = 0, base, last = 0, max_late = 0;
	int i, k, started = 0, out_of_order = 0, wrong = 0, early = 0;

	forget_seen();
	memset(many, 0, sizeof many);
	CHECK(saTmrTimeGet(h, &now), SA_AIS_OK);
	/* Two seconds to start them all (a loaded machine), then deadlines spread over 2 s. */
	base = now + 2 * SEC;
	for (i = 0; i < MANY; i++) {
		SaTimeT offset = (SaTimeT)(next_random() % (SaUint64T)(2 * SEC));
		SaAisErrorT rc;
		if (i % 2 == 0) {
			many[i].deadline = base + offset;
			a = attributes(SA_TIME_ABSOLUTE, many[i].deadline, 0);
			rc = saTmrTimerStart(h, &a, &many[i], &many[i].id, &call);
		} else {
			a = attributes(SA_TIME_DURATION, base + offset - realtime(), 0);
			rc = saTmrTimerStart(h, &a, &many[i], &many[i].id, &call);
			many[i].deadline = call + a.initialExpirationTime;
		}
		if (rc == SA_AIS_OK)
			started++;
		else if (started == i)
			fprintf(stderr, "FAIL %s:%d: timer %d: saTmrTimerStart = %d\n", __FILE__, __LINE__, i, (int)rc);
	}
	checks++;
	if (started != MANY) {
		fprintf(stderr, "FAIL %s:%d: %d of %d timers started\n", __FILE__, __LINE__, started, MANY);
		failures++;
	}
	EXPECT(dispatch_until(h, SA_DISPATCH_ALL, started, 15000) == started);
	/* Nothing more comes. */
	sleep_ms(200);
	CHECK(saTmrDispatch(h, SA_DISPATCH_ALL), SA_AIS_OK);
	EXPECT(seen.n == started);

	for (k = 0; k < seen.n && k < MAX_SEEN; k++) {
		struct tag *t = (struct tag *)seen.e[k].data;
		if (t < many || t >= many + MANY || t->delivered++ || seen.e[k].id != t->id || seen.e[k].count != 1) {
			wrong++;
			continue;
		}
		if (seen.e[k].at < t->deadline)
			early++;
		if (seen.e[k].at - t->deadline > max_late)
			max_late = seen.e[k].at - t->deadline;
		if (t->deadline < last)
			out_of_order++;
		last = t->deadline;
	}
	checks += 4;
	if (wrong) {
		fprintf(stderr, "FAIL %s:%d: %d callbacks with a foreign or repeated timer, or a count not 1\n",
			__FILE__, __LINE__, wrong);
		failures++;
	}
	if (early) {
		fprintf(stderr, "FAIL %s:%d: %d timers delivered before their deadline\n", __FILE__, __LINE__, early);
		failures++;
	}
	if (out_of_order) {
		fprintf(stderr, "FAIL %s:%d: %d deliveries out of deadline order\n", __FILE__, __LINE__, out_of_order);
		failures++;
	}
	if (max_late > LATE_MAX) {
		fprintf(stderr, "FAIL %s:%d: a delivery %lld us late\n", __FILE__, __LINE__, (long long)(max_late / 1000));
		failures++;
	}
	printf("tmr_live:   (%d timers, the latest delivered %lld us after its deadline)\n", seen.n,
	       (long long)(max_late / 1000));
	for (i = 0; i < MANY; i++) {
		void *data = NULL;
		CHECK(saTmrTimerCancel(h, many[i].id, &data), SA_AIS_ERR_NOT_EXIST);
	}
}

/* Runs one group of checks and prints its line. */
#define GROUP(name, call)                                                                     \
	do {                                                                                  \
		int f0_ = failures, c0_ = checks;                                             \
		call;                                                                         \
		printf("tmr_live: %-44s %s (%d checks)\n", name, failures == f0_ ? "ok" : "FAILED", \
		       checks - c0_);                                                         \
		fflush(stdout);                                                               \
	} while (0)

int main(int argc, char **argv)
{
	SaTmrHandleT h = 0, h2 = 0;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: tmr_live\n");
		return 2;
	}
	/* A dispatch that never returns must fail the test, not hang it. */
	alarm(120);
	callbacks.saTmrTimerExpiredCallback = expired;

	GROUP("saTmrInitialize: versions, arguments", checks_initialize());
	h = open_handle();
	h2 = open_handle();
	if (failures) {
		fprintf(stderr, "tmr_live: no handle, %d checks FAILED\n", failures);
		return 1;
	}
	GROUP("bad and finalized handles", checks_bad_handles());
	GROUP("NULL arguments, dispatch flags", checks_null_arguments(h));
	GROUP("invalid timer attributes", checks_invalid_attributes(h));
	GROUP("no expiration callback: SA_AIS_ERR_INIT", checks_no_callback());
	GROUP("clock, tick, selection object", checks_clock_and_selection(h));
	GROUP("single-event timers, relative and absolute", checks_single_event(h));
	GROUP("cancel", checks_cancel(h));
	GROUP("reschedule of a running timer", checks_reschedule(h));
	GROUP("periodic timers and expiration counts", checks_periodic(h));
	GROUP("saTmrPeriodicTimerSkip", checks_skip(h));
	GROUP("dispatch ONE, ALL, BLOCKING", checks_dispatch(h));
	GROUP("finalize cancels; timers belong to a handle", checks_finalize_and_ownership(h, h2));
	GROUP("1,000 timers expire in deadline order", checks_many_timers(h));

	CHECK(saTmrFinalize(h2), SA_AIS_OK);
	CHECK(saTmrFinalize(h), SA_AIS_OK);
	CHECK(saTmrFinalize(h), SA_AIS_ERR_BAD_HANDLE);

	if (failures) {
		fprintf(stderr, "tmr_live: %d of %d checks FAILED\n", failures, checks);
		return 1;
	}
	printf("tmr_live: ok (%d checks)\n", checks);
	return 0;
}
