/*
 * The lock service against a live executive, as an application uses <saLck.h>: every
 * call of LCK B.03.01 and its error paths, PR sharing and EX exclusion between two
 * handles, FIFO hand-off, NO_QUEUE, DUPLICATE_EX, a lock timeout, asynchronous lock,
 * unlock and open with their callbacks, the waiter callback, an orphan lock surviving
 * its handle and purged, a deadlock detected, and version rules (B.01.01 handles have
 * no saLckLimitGet).
 *
 *   lck_live                   the checks against the executive AIS_IPC_SOCKET names
 *   lck_live hold NAME FLAGS SECS       EX lock on NAME (FLAGS: 0 or orphan), print
 *                                       "held NAME", keep it SECS seconds, exit
 *   lck_live expect NAME FLAGS SECS WANT   EX lock (FLAGS: 0 or noqueue) waiting at
 *                                       most SECS: exit 0 if the outcome is WANT
 *                                       (granted, deadlock, not_queued, orphaned, timeout)
 *   lck_live cross FIRST SECOND SECS WANT   EX on FIRST, SECS later EX on SECOND
 *                                       (30 s at most): exit 0 if the outcome is WANT
 *   lck_live purge NAME                 saLckLockPurge of NAME's orphan locks
 *
 * The commands are the steps of c-tests/lck-cluster.sh (three executives).
 * One FAIL line per failed check, a summary; exit status 0 when every check passed.
 * Comments cite SAI-AIS-LCK-B.03.01 by function.
 *
 * The file is C99 and C++: `make check` builds it both ways.
 */
#include <saLck.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"

#define SEC 1000000000LL

static SaNameT name_of(const char *s)
{
	SaNameT n;
	memset(&n, 0, sizeof n);
	n.length = (SaUint16T)strlen(s);
	memcpy(n.value, s, n.length);
	return n;
}

/* What the callbacks saw. */
static struct {
	int opens, grants, waiters, unlocks;
	SaInvocationT invocation;
	SaLckResourceHandleT opened;
	SaAisErrorT error;
	SaLckLockStatusT status;
	SaLckWaiterSignalT signal;
	SaLckLockModeT held, requested;
} seen;

static void open_cb(SaInvocationT inv, SaLckResourceHandleT h, SaAisErrorT error)
{
	seen.opens++;
	seen.invocation = inv;
	seen.opened = h;
	seen.error = error;
}

static void grant_cb(SaInvocationT inv, SaLckLockStatusT status, SaAisErrorT error)
{
	seen.grants++;
	seen.invocation = inv;
	seen.status = status;
	seen.error = error;
}

static void waiter_cb(SaLckWaiterSignalT signal, SaLckLockIdT lock, SaLckLockModeT held, SaLckLockModeT requested)
{
	(void)lock;
	seen.waiters++;
	seen.signal = signal;
	seen.held = held;
	seen.requested = requested;
}

static void unlock_cb(SaInvocationT inv, SaAisErrorT error)
{
	seen.unlocks++;
	seen.invocation = inv;
	seen.error = error;
}

static const SaLckCallbacksT callbacks = {open_cb, grant_cb, waiter_cb, unlock_cb};

/* Waits up to 5 s for the handle's selection object, then dispatches everything. */
static void pump(SaLckHandleT h)
{
	SaSelectionObjectT so;
	struct pollfd p;
	if (saLckSelectionObjectGet(h, &so) != SA_AIS_OK)
		return;
	p.fd = (int)so;
	p.events = POLLIN;
	p.revents = 0;
	if (poll(&p, 1, 5000) > 0)
		saLckDispatch(h, SA_DISPATCH_ALL);
}

static SaLckHandleT init(SaUint8T major)
{
	SaLckHandleT h = 0;
	SaVersionT v = {'B', major, 1};
	CHECK(saLckInitialize(&h, &callbacks, &v), SA_AIS_OK);
	return h;
}

/* saLckInitialize: version rules, NULL arguments; saLckOptionCheck; saLckLimitGet. */
static void lifecycle(void)
{
	SaLckHandleT h;
	SaVersionT v = {'B', 1, 1};
	SaLckOptionsT opts = 0;
	SaLimitValueT lim;
	SaSelectionObjectT so;

	CHECK(saLckInitialize(NULL, &callbacks, &v), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saLckInitialize(&h, &callbacks, NULL), SA_AIS_ERR_INVALID_PARAM);
	v.majorVersion = 4;
	CHECK(saLckInitialize(&h, &callbacks, &v), SA_AIS_ERR_VERSION);
	EXPECT(v.releaseCode == 'B' && v.majorVersion == 3 && v.minorVersion == 1);
	v.releaseCode = 'A';
	v.majorVersion = 1;
	CHECK(saLckInitialize(&h, &callbacks, &v), SA_AIS_ERR_VERSION);

	/* A B.01.01 program: granted B.1.1; saLckLimitGet is B.03's. */
	v.releaseCode = 'B';
	v.majorVersion = 1;
	v.minorVersion = 1;
	CHECK(saLckInitialize(&h, NULL, &v), SA_AIS_OK);
	EXPECT(v.majorVersion == 1 && v.minorVersion == 1);
	CHECK(saLckLimitGet(h, SA_LCK_MAX_NUM_LOCKS_ID, &lim), SA_AIS_ERR_VERSION);
	CHECK(saLckFinalize(h), SA_AIS_OK);
	CHECK(saLckFinalize(h), SA_AIS_ERR_BAD_HANDLE);

	h = init(3);
	CHECK(saLckSelectionObjectGet(h, NULL), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saLckSelectionObjectGet(h, &so), SA_AIS_OK);
	CHECK(saLckSelectionObjectGet(0, &so), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saLckOptionCheck(h, NULL), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saLckOptionCheck(h, &opts), SA_AIS_OK);
	EXPECT(opts == (SA_LCK_OPT_ORPHAN_LOCKS | SA_LCK_OPT_DEADLOCK_DETECTION));
	CHECK(saLckOptionCheck(0, &opts), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saLckLimitGet(h, SA_LCK_MAX_NUM_LOCKS_ID, &lim), SA_AIS_OK);
	EXPECT(lim.uint64Value > 0);
	CHECK(saLckLimitGet(h, (SaLckLimitIdT)7, &lim), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saLckLimitGet(h, SA_LCK_MAX_NUM_LOCKS_ID, NULL), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saLckDispatch(h, (SaDispatchFlagsT)0), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saLckDispatch(h, SA_DISPATCH_ALL), SA_AIS_OK);
	CHECK(saLckDispatch(0, SA_DISPATCH_ALL), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saLckFinalize(h), SA_AIS_OK);
	printf("lifecycle: ok\n");
}

/* saLckResourceOpen / OpenAsync / Close and their errors. */
static void resources(void)
{
	SaLckHandleT h = init(3), bare;
	SaVersionT v = {'B', 3, 1};
	SaNameT n = name_of("lck_live/open"), none = name_of("lck_live/none"), empty;
	SaLckResourceHandleT r;

	memset(&empty, 0, sizeof empty);
	CHECK(saLckResourceOpen(h, NULL, SA_LCK_RESOURCE_CREATE, SEC, &r), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saLckResourceOpen(h, &n, SA_LCK_RESOURCE_CREATE, SEC, NULL), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saLckResourceOpen(h, &empty, SA_LCK_RESOURCE_CREATE, SEC, &r), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saLckResourceOpen(h, &n, 0x8, SEC, &r), SA_AIS_ERR_BAD_FLAGS);
	CHECK(saLckResourceOpen(0, &n, SA_LCK_RESOURCE_CREATE, SEC, &r), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saLckResourceOpen(h, &none, 0, SEC, &r), SA_AIS_ERR_NOT_EXIST);
	CHECK(saLckResourceOpen(h, &n, SA_LCK_RESOURCE_CREATE, SEC, &r), SA_AIS_OK);
	CHECK(saLckResourceClose(r), SA_AIS_OK);
	CHECK(saLckResourceClose(r), SA_AIS_ERR_BAD_HANDLE);

	/* Asynchronously: the handle comes to the open callback. */
	memset(&seen, 0, sizeof seen);
	CHECK(saLckResourceOpenAsync(h, 42, &n, SA_LCK_RESOURCE_CREATE), SA_AIS_OK);
	pump(h);
	EXPECT(seen.opens == 1 && seen.invocation == 42 && seen.error == SA_AIS_OK && seen.opened != 0);
	CHECK(saLckResourceClose(seen.opened), SA_AIS_OK);
	CHECK(saLckResourceOpenAsync(h, 43, &none, 0), SA_AIS_OK);
	pump(h);
	EXPECT(seen.opens == 2 && seen.invocation == 43 && seen.error == SA_AIS_ERR_NOT_EXIST);
	CHECK(saLckResourceOpenAsync(h, 1, NULL, 0), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saLckResourceOpenAsync(h, 1, &n, 0x8), SA_AIS_ERR_BAD_FLAGS);

	/* No open callback: SA_AIS_ERR_INIT. */
	CHECK(saLckInitialize(&bare, NULL, &v), SA_AIS_OK);
	CHECK(saLckResourceOpenAsync(bare, 1, &n, SA_LCK_RESOURCE_CREATE), SA_AIS_ERR_INIT);
	CHECK(saLckFinalize(bare), SA_AIS_OK);
	CHECK(saLckFinalize(h), SA_AIS_OK);
	printf("resources: ok\n");
}

/* saLckResourceLock / Unlock between two handles: PR shared, EX exclusive, NO_QUEUE,
 * DUPLICATE_EX, a timeout, the waiter callback, hand-off on unlock. */
static void locks(void)
{
	SaLckHandleT a = init(3), b = init(3);
	SaNameT n = name_of("lck_live/locks");
	SaLckResourceHandleT ra, rb;
	SaLckLockIdT la, lb, lc, lx;
	SaLckLockStatusT st;

	CHECK(saLckResourceOpen(a, &n, SA_LCK_RESOURCE_CREATE, SEC, &ra), SA_AIS_OK);
	CHECK(saLckResourceOpen(b, &n, 0, SEC, &rb), SA_AIS_OK);

	CHECK(saLckResourceLock(ra, NULL, SA_LCK_PR_LOCK_MODE, 0, 0, SEC, &st), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saLckResourceLock(ra, &la, SA_LCK_PR_LOCK_MODE, 0, 0, SEC, NULL), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saLckResourceLock(ra, &la, (SaLckLockModeT)3, 0, 0, SEC, &st), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saLckResourceLock(ra, &la, SA_LCK_PR_LOCK_MODE, 0x10, 0, SEC, &st), SA_AIS_ERR_BAD_FLAGS);
	CHECK(saLckResourceLock(0, &la, SA_LCK_PR_LOCK_MODE, 0, 0, SEC, &st), SA_AIS_ERR_BAD_HANDLE);

	/* PR is shared. */
	CHECK(saLckResourceLock(ra, &la, SA_LCK_PR_LOCK_MODE, 0, 0, SEC, &st), SA_AIS_OK);
	EXPECT(st == SA_LCK_LOCK_GRANTED);
	CHECK(saLckResourceLock(rb, &lb, SA_LCK_PR_LOCK_MODE, 0, 0, SEC, &st), SA_AIS_OK);
	EXPECT(st == SA_LCK_LOCK_GRANTED);
	/* EX with NO_QUEUE: NOT_QUEUED. */
	CHECK(saLckResourceLock(rb, &lx, SA_LCK_EX_LOCK_MODE, SA_LCK_LOCK_NO_QUEUE, 0, SEC, &st), SA_AIS_OK);
	EXPECT(st == SA_LCK_LOCK_NOT_QUEUED);
	CHECK(saLckResourceUnlock(lb, SEC), SA_AIS_OK);
	CHECK(saLckResourceUnlock(lb, SEC), SA_AIS_ERR_BAD_HANDLE);

	/* An EX request waits for a's PR: it times out, and a hears of it with the signal. */
	memset(&seen, 0, sizeof seen);
	CHECK(saLckResourceLock(rb, &lx, SA_LCK_EX_LOCK_MODE, 0, 99, SEC / 5, &st), SA_AIS_ERR_TIMEOUT);
	pump(a);
	EXPECT(seen.waiters == 1 && seen.signal == 99 && seen.held == SA_LCK_PR_LOCK_MODE &&
	       seen.requested == SA_LCK_EX_LOCK_MODE);
	CHECK(saLckResourceUnlock(la, SEC), SA_AIS_OK);

	/* EX, then a second EX through the same resource handle: DUPLICATE_EX. */
	CHECK(saLckResourceLock(ra, &la, SA_LCK_EX_LOCK_MODE, 0, 0, SEC, &st), SA_AIS_OK);
	EXPECT(st == SA_LCK_LOCK_GRANTED);
	CHECK(saLckResourceLock(ra, &lx, SA_LCK_EX_LOCK_MODE, 0, 0, SEC, &st), SA_AIS_OK);
	EXPECT(st == SA_LCK_LOCK_DUPLICATE_EX);

	/* b waits asynchronously; a's unlock hands the lock over. */
	memset(&seen, 0, sizeof seen);
	CHECK(saLckResourceLockAsync(rb, 7, NULL, SA_LCK_EX_LOCK_MODE, 0, 0), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saLckResourceLockAsync(rb, 7, &lc, SA_LCK_EX_LOCK_MODE, 0, 0), SA_AIS_OK);
	CHECK(saLckResourceUnlock(la, SEC), SA_AIS_OK);
	pump(b);
	EXPECT(seen.grants == 1 && seen.invocation == 7 && seen.status == SA_LCK_LOCK_GRANTED);

	/* Asynchronous unlock. */
	CHECK(saLckResourceUnlockAsync(8, lc), SA_AIS_OK);
	pump(b);
	EXPECT(seen.unlocks == 1 && seen.invocation == 8 && seen.error == SA_AIS_OK);
	CHECK(saLckResourceUnlockAsync(8, lc), SA_AIS_ERR_BAD_HANDLE);

	CHECK(saLckResourceClose(ra), SA_AIS_OK);
	CHECK(saLckResourceClose(rb), SA_AIS_OK);
	CHECK(saLckFinalize(a), SA_AIS_OK);
	CHECK(saLckFinalize(b), SA_AIS_OK);
	printf("locks: ok\n");
}

/* SA_LCK_LOCK_ORPHAN: the lock outlives its handle; others get ORPHANED until
 * saLckLockPurge. A request closing a wait-for cycle: DEADLOCK. */
static void orphans_and_deadlock(void)
{
	SaLckHandleT a = init(3), b = init(3);
	SaNameT n = name_of("lck_live/orphan"), m = name_of("lck_live/other");
	SaLckResourceHandleT ra, rb, ma, mb;
	SaLckLockIdT la, lb, lc;
	SaLckLockStatusT st;

	CHECK(saLckResourceOpen(a, &n, SA_LCK_RESOURCE_CREATE, SEC, &ra), SA_AIS_OK);
	CHECK(saLckResourceOpen(b, &n, 0, SEC, &rb), SA_AIS_OK);
	CHECK(saLckResourceLock(ra, &la, SA_LCK_EX_LOCK_MODE, SA_LCK_LOCK_ORPHAN, 0, SEC, &st), SA_AIS_OK);
	EXPECT(st == SA_LCK_LOCK_GRANTED);
	CHECK(saLckFinalize(a), SA_AIS_OK);
	/* The executive learns of the finalize when the connection closes: until then the
	 * lock is a's and a NO_QUEUE request is NOT_QUEUED; then it is orphaned. */
	for (int i = 0; i < 500; i++) {
		struct timespec ten_ms = {0, 10000000};
		CHECK(saLckResourceLock(rb, &lb, SA_LCK_PR_LOCK_MODE, SA_LCK_LOCK_NO_QUEUE, 0, SEC, &st), SA_AIS_OK);
		if (st != SA_LCK_LOCK_NOT_QUEUED)
			break;
		nanosleep(&ten_ms, NULL);
	}
	EXPECT(st == SA_LCK_LOCK_ORPHANED);
	CHECK(saLckLockPurge(rb), SA_AIS_OK);
	CHECK(saLckLockPurge(0), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saLckResourceLock(rb, &lb, SA_LCK_PR_LOCK_MODE, 0, 0, SEC, &st), SA_AIS_OK);
	EXPECT(st == SA_LCK_LOCK_GRANTED);
	CHECK(saLckResourceUnlock(lb, SEC), SA_AIS_OK);

	/* a holds n, b holds m; a waits for m (async); b asking for n closes the cycle. */
	a = init(3);
	CHECK(saLckResourceOpen(a, &n, 0, SEC, &ra), SA_AIS_OK);
	CHECK(saLckResourceOpen(a, &m, SA_LCK_RESOURCE_CREATE, SEC, &ma), SA_AIS_OK);
	CHECK(saLckResourceOpen(b, &m, 0, SEC, &mb), SA_AIS_OK);
	CHECK(saLckResourceLock(ra, &la, SA_LCK_EX_LOCK_MODE, 0, 0, SEC, &st), SA_AIS_OK);
	CHECK(saLckResourceLock(mb, &lb, SA_LCK_EX_LOCK_MODE, 0, 0, SEC, &st), SA_AIS_OK);
	CHECK(saLckResourceLockAsync(ma, 1, &lc, SA_LCK_EX_LOCK_MODE, 0, 0), SA_AIS_OK);
	CHECK(saLckResourceLock(rb, &lc, SA_LCK_EX_LOCK_MODE, 0, 0, SEC, &st), SA_AIS_OK);
	EXPECT(st == SA_LCK_LOCK_DEADLOCK);
	CHECK(saLckFinalize(a), SA_AIS_OK);
	CHECK(saLckFinalize(b), SA_AIS_OK);
	printf("orphans and deadlock: ok\n");
}

/* Waits while the executive starts (initialize answers TRY_AGAIN until it is ready). */
static void wait_ready(void)
{
	SaAisErrorT rc = SA_AIS_ERR_TRY_AGAIN;
	for (int tries = 0; tries < 200 && rc == SA_AIS_ERR_TRY_AGAIN; tries++) {
		SaLckHandleT h;
		SaVersionT v = {'B', 3, 1};
		struct timespec fifty_ms = {0, 50000000};
		rc = saLckInitialize(&h, NULL, &v);
		if (rc == SA_AIS_OK)
			saLckFinalize(h);
		else
			nanosleep(&fifty_ms, NULL);
	}
}

/* The outcome of an EX request on a resource handle: a lock status or "timeout". */
static const char *ex_lock(SaLckResourceHandleT r, SaLckLockFlagsT flags, SaTimeT timeout)
{
	SaLckLockIdT id;
	SaLckLockStatusT st = (SaLckLockStatusT)0;
	SaAisErrorT rc = saLckResourceLock(r, &id, SA_LCK_EX_LOCK_MODE, flags, 0, timeout, &st);
	if (rc == SA_AIS_ERR_TIMEOUT)
		return "timeout";
	if (rc != SA_AIS_OK)
		return "error";
	switch (st) {
	case SA_LCK_LOCK_GRANTED: return "granted";
	case SA_LCK_LOCK_DEADLOCK: return "deadlock";
	case SA_LCK_LOCK_NOT_QUEUED: return "not_queued";
	case SA_LCK_LOCK_ORPHANED: return "orphaned";
	default: return "other";
	}
}

static SaLckLockFlagsT flags_of(const char *s)
{
	if (strcmp(s, "orphan") == 0)
		return SA_LCK_LOCK_ORPHAN;
	if (strcmp(s, "noqueue") == 0)
		return SA_LCK_LOCK_NO_QUEUE;
	return 0;
}

static SaLckResourceHandleT open_name(SaLckHandleT h, const char *name)
{
	SaNameT n = name_of(name);
	SaLckResourceHandleT r = 0;
	SaAisErrorT rc = saLckResourceOpen(h, &n, SA_LCK_RESOURCE_CREATE, 10 * SEC, &r);
	if (rc != SA_AIS_OK) {
		fprintf(stderr, "lck_live: open %s: %d\n", name, (int)rc);
		exit(2);
	}
	return r;
}

/* One step of the three-executive test. */
static int command(int argc, char **argv)
{
	SaLckHandleT h;
	SaVersionT v = {'B', 3, 1};
	const char *got;
	if (saLckInitialize(&h, &callbacks, &v) != SA_AIS_OK)
		return 2;
	if (strcmp(argv[1], "hold") == 0 && argc == 5) {
		struct timespec t = {atoi(argv[4]), 0};
		got = ex_lock(open_name(h, argv[2]), flags_of(argv[3]), 30 * SEC);
		if (strcmp(got, "granted") != 0) {
			fprintf(stderr, "lck_live hold %s: %s\n", argv[2], got);
			return 1;
		}
		printf("held %s\n", argv[2]);
		fflush(stdout);
		nanosleep(&t, NULL);
		return 0;
	}
	if (strcmp(argv[1], "expect") == 0 && argc == 6) {
		got = ex_lock(open_name(h, argv[2]), flags_of(argv[3]), atoi(argv[4]) * SEC);
		printf("expect %s: %s\n", argv[2], got);
		return strcmp(got, argv[5]) == 0 ? 0 : 1;
	}
	if (strcmp(argv[1], "cross") == 0 && argc == 6) {
		SaLckResourceHandleT first = open_name(h, argv[2]), second = open_name(h, argv[3]);
		struct timespec t = {atoi(argv[4]), 0};
		got = ex_lock(first, 0, 30 * SEC);
		if (strcmp(got, "granted") != 0)
			return 1;
		nanosleep(&t, NULL);
		got = ex_lock(second, 0, 30 * SEC);
		printf("cross %s then %s: %s\n", argv[2], argv[3], got);
		return strcmp(got, argv[5]) == 0 ? 0 : 1;
	}
	if (strcmp(argv[1], "purge") == 0 && argc == 3)
		return saLckLockPurge(open_name(h, argv[2])) == SA_AIS_OK ? 0 : 1;
	fprintf(stderr, "lck_live: unknown command\n");
	return 2;
}

int main(int argc, char **argv)
{
	wait_ready();
	if (argc > 1)
		return command(argc, argv);
	lifecycle();
	resources();
	locks();
	orphans_and_deadlock();
	printf("lck_live: %d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
