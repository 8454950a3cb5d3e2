/*
 * EVS against a live one-node executive, as an application uses corosync 1.x's
 * <corosync/evs.h>: every call, its error paths, deliveries to exactly the handles
 * that joined, the configuration callback, back-pressure, and finalizing from
 * inside a blocking dispatch.
 *
 * The executive is the one AIS_IPC_SOCKET names. Exit status 0 when every check
 * passed.
 */
#include <corosync/evs.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int failures;

#define CHECK(expr, want)                                                          \
	do {                                                                       \
		cs_error_t got_ = (expr);                                          \
		if (got_ != (want)) {                                              \
			fprintf(stderr, "FAIL %s:%d: %s = %d, want %d\n", __FILE__, \
				__LINE__, #expr, (int)got_, (int)(want));          \
			failures++;                                                \
		}                                                                  \
	} while (0)

#define EXPECT(cond)                                                              \
	do {                                                                      \
		if (!(cond)) {                                                    \
			fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
			failures++;                                               \
		}                                                                 \
	} while (0)

/* What the callbacks saw, per handle slot (0 and 1). */
struct seen {
	evs_handle_t handle;
	int confchgs;
	size_t members, left, joined;
	unsigned int first_member;
	struct evs_ring_id ring;
	int ring_given;
	int delivered;
	unsigned int from;
	char last[64];
	size_t last_len;
	int finalize_in_callback;
};
static struct seen seen[2];

static struct seen *slot(hdb_handle_t handle)
{
	return seen[1].handle == handle ? &seen[1] : &seen[0];
}

static void deliver(hdb_handle_t handle, unsigned int nodeid, const void *msg, size_t msg_len)
{
	struct seen *s = slot(handle);
	s->delivered++;
	s->from = nodeid;
	s->last_len = msg_len;
	memcpy(s->last, msg, msg_len < sizeof s->last ? msg_len : sizeof s->last);
	if (s->finalize_in_callback)
		CHECK(evs_finalize(handle), CS_OK);
}

static void confchg(hdb_handle_t handle, const unsigned int *member_list, size_t member_list_entries,
		    const unsigned int *left_list, size_t left_list_entries, const unsigned int *joined_list,
		    size_t joined_list_entries, const struct evs_ring_id *ring_id)
{
	struct seen *s = slot(handle);
	(void)left_list;
	(void)joined_list;
	s->confchgs++;
	s->members = member_list_entries;
	s->left = left_list_entries;
	s->joined = joined_list_entries;
	s->first_member = member_list_entries ? member_list[0] : 0;
	s->ring_given = ring_id != NULL;
	if (ring_id)
		s->ring = *ring_id;
}

static void sleep_ms(long ms)
{
	struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&t, NULL);
}

/* Opens a handle, retrying while the executive starts. */
static cs_error_t init(evs_handle_t *h, evs_callbacks_t *cb)
{
	cs_error_t rc = CS_ERR_TRY_AGAIN;
	int tries;
	for (tries = 0; tries < 100 && rc == CS_ERR_TRY_AGAIN; tries++) {
		rc = evs_initialize(h, cb);
		if (rc == CS_ERR_TRY_AGAIN)
			sleep_ms(50);
	}
	return rc;
}

/* Waits up to 5 s for a callback on the handle's descriptor, then runs one. */
static cs_error_t dispatch_one(evs_handle_t h)
{
	int fd = -1;
	struct pollfd p;
	CHECK(evs_fd_get(h, &fd), CS_OK);
	p.fd = fd;
	p.events = POLLIN;
	p.revents = 0;
	if (poll(&p, 1, 5000) != 1)
		return CS_ERR_TIMEOUT;
	return evs_dispatch(h, CS_DISPATCH_ONE);
}

/* Multicasts, retrying under back-pressure. */
static cs_error_t mcast_to(evs_handle_t h, const struct evs_group *g, size_t n, const char *text)
{
	struct iovec iov = {(void *)text, strlen(text)};
	cs_error_t rc = CS_ERR_TRY_AGAIN;
	int tries;
	for (tries = 0; tries < 500; tries++) {
		rc = g ? evs_mcast_groups(h, EVS_TYPE_AGREED, g, n, &iov, 1) : evs_mcast_joined(h, EVS_TYPE_AGREED, &iov, 1);
		if (rc != CS_ERR_TRY_AGAIN)
			return rc;
		sleep_ms(10);
	}
	return rc;
}

static struct evs_group group(const char *name)
{
	struct evs_group g;
	memset(&g, 0, sizeof g);
	strncpy(g.key, name, sizeof g.key);
	return g;
}

int main(void)
{
	evs_callbacks_t cb = {deliver, confchg};
	evs_handle_t h, h2, h3, bogus = 0x1234;
	struct evs_group ga = group("a"), gb = group("b"), gz = group("nobody"), gm = group("marker");
	struct evs_group two[2], many[513];
	unsigned int local = 0, members[16];
	size_t n;
	int fd, marker;
	void *ctx;
	size_t i;
	char *big;
	struct iovec iov[3];
	evs_error_t old_name = EVS_OK;

	two[0] = ga;
	two[1] = gb;
	for (i = 0; i < 513; i++) {
		char name[16];
		snprintf(name, sizeof name, "g%u", (unsigned)i);
		many[i] = group(name);
	}

	CHECK(evs_initialize(NULL, &cb), CS_ERR_INVALID_PARAM);
	CHECK(init(&h, &cb), CS_OK);
	seen[0].handle = h;
	CHECK(init(&h2, &cb), CS_OK);
	seen[1].handle = h2;
	EXPECT(h != h2);

	/* Descriptor and context. */
	CHECK(evs_fd_get(h, NULL), CS_ERR_INVALID_PARAM);
	fd = -1;
	CHECK(evs_fd_get(h, &fd), CS_OK);
	EXPECT(fd >= 0);
	ctx = &marker;
	CHECK(evs_context_get(h, &ctx), CS_OK);
	EXPECT(ctx == NULL);
	CHECK(evs_context_set(h, &marker), CS_OK);
	CHECK(evs_context_get(h, &ctx), CS_OK);
	EXPECT(ctx == &marker);
	CHECK(evs_context_get(h, NULL), CS_ERR_INVALID_PARAM);

	/* The configuration comes first, with a ring id. */
	CHECK(dispatch_one(h), CS_OK);
	CHECK(dispatch_one(h2), CS_OK);
	EXPECT(seen[0].confchgs == 1 && seen[0].members == 1 && seen[0].ring_given);
	EXPECT(seen[1].confchgs == 1 && seen[1].members == 1);
	EXPECT(seen[0].ring.seq > 0);

	/* Membership: the local node is the one member. */
	n = 16;
	CHECK(evs_membership_get(h, &local, members, &n), CS_OK);
	EXPECT(n == 1 && members[0] == local && local != 0);
	EXPECT(seen[0].first_member == local && seen[0].ring.nodeid == local);
	n = 0;
	CHECK(evs_membership_get(h, NULL, members, &n), CS_OK);
	EXPECT(n == 0);
	n = 16;
	CHECK(evs_membership_get(h, NULL, NULL, &n), CS_OK);
	EXPECT(n == 1);
	CHECK(evs_membership_get(h, &local, members, NULL), CS_ERR_INVALID_PARAM);
	printf("evs_live: local node %u, ring %u/%llu\n", local, seen[0].ring.nodeid,
	       (unsigned long long)seen[0].ring.seq);

	/* Joining. */
	CHECK(evs_join(h, NULL, 1), CS_ERR_INVALID_PARAM);
	CHECK(evs_join(h, many, 51), CS_ERR_TOO_MANY_GROUPS);
	CHECK(evs_join(h, many, 0), CS_OK);
	CHECK(evs_join(h, two, 2), CS_OK);

	/* To the joined groups, from pieces: delivered to the sender itself. */
	iov[0].iov_base = "hel";
	iov[0].iov_len = 3;
	iov[1].iov_base = NULL;
	iov[1].iov_len = 0;
	iov[2].iov_base = "lo";
	iov[2].iov_len = 2;
	CHECK(evs_mcast_joined(h, EVS_TYPE_AGREED, iov, 3), CS_OK);
	CHECK(dispatch_one(h), CS_OK);
	EXPECT(seen[0].delivered == 1 && seen[0].from == local);
	EXPECT(seen[0].last_len == 5 && memcmp(seen[0].last, "hello", 5) == 0);

	/* To named groups from a handle that joined none: only h gets it. */
	CHECK(mcast_to(h2, &gb, 1, "to b"), CS_OK);
	CHECK(dispatch_one(h), CS_OK);
	EXPECT(seen[0].delivered == 2 && memcmp(seen[0].last, "to b", 4) == 0);
	/* h2 joined nothing, so its own message did not come back; nor does one to a
	 * group nobody joins. (Membership counts when a message is delivered, so h2
	 * joins a group of its own for the marker, not gz.) */
	CHECK(mcast_to(h2, &gz, 1, "to nobody"), CS_OK);
	CHECK(mcast_to(h2, NULL, 0, "h2 joined nothing"), CS_OK);
	CHECK(evs_join(h2, &gm, 1), CS_OK);
	CHECK(mcast_to(h, &gm, 1, "marker"), CS_OK);
	CHECK(dispatch_one(h2), CS_OK);
	EXPECT(seen[1].delivered == 1 && memcmp(seen[1].last, "marker", 6) == 0);
	CHECK(evs_dispatch(h, CS_DISPATCH_ALL), CS_OK);
	EXPECT(seen[0].delivered == 2);

	/* Multicast errors. */
	CHECK(evs_mcast_joined(h, EVS_TYPE_AGREED, NULL, 1), CS_ERR_INVALID_PARAM);
	iov[0].iov_base = NULL;
	iov[0].iov_len = 4;
	CHECK(evs_mcast_joined(h, EVS_TYPE_AGREED, iov, 1), CS_ERR_INVALID_PARAM);
	CHECK(evs_mcast_groups(h, EVS_TYPE_AGREED, NULL, 1, iov, 0), CS_ERR_INVALID_PARAM);
	CHECK(evs_mcast_groups(h, EVS_TYPE_AGREED, many, 513, iov, 0), CS_ERR_TOO_MANY_GROUPS);
	big = calloc(1, (1 << 20));
	EXPECT(big != NULL);
	iov[0].iov_base = big;
	iov[0].iov_len = (1 << 20) - (32 << 10) + 1;
	CHECK(evs_mcast_joined(h, EVS_TYPE_AGREED, iov, 1), CS_ERR_TOO_BIG);
	iov[0].iov_len = (1 << 20) - (32 << 10);
	CHECK(mcast_to(h, NULL, 0, ""), CS_OK);
	{
		cs_error_t rc;
		int tries = 0;
		do {
			rc = evs_mcast_joined(h, EVS_TYPE_SAFE, iov, 1);
			if (rc == CS_ERR_TRY_AGAIN)
				sleep_ms(10);
		} while (rc == CS_ERR_TRY_AGAIN && ++tries < 500);
		CHECK(rc, CS_OK);
	}
	CHECK(dispatch_one(h), CS_OK);
	EXPECT(seen[0].last_len == 0);
	CHECK(dispatch_one(h), CS_OK);
	EXPECT(seen[0].last_len == (1u << 20) - (32u << 10));

	/* Leaving: all named groups or none. */
	CHECK(evs_leave(h, NULL, 1), CS_ERR_INVALID_PARAM);
	CHECK(evs_leave(h, &gz, 1), CS_ERR_NOT_EXIST);
	CHECK(evs_leave(h, many, 513), CS_ERR_TOO_MANY_GROUPS);
	CHECK(evs_leave(h, &ga, 1), CS_OK);
	CHECK(evs_leave(h, &ga, 1), CS_ERR_NOT_EXIST);
	CHECK(mcast_to(h2, &ga, 1, "to a"), CS_OK);
	CHECK(mcast_to(h2, &gb, 1, "to b again"), CS_OK);
	CHECK(dispatch_one(h), CS_OK);
	EXPECT(memcmp(seen[0].last, "to b again", 10) == 0);

	/* Dispatch flags. */
	CHECK(evs_dispatch(h, 0), CS_ERR_INVALID_PARAM);
	CHECK(evs_dispatch(h, 99), CS_ERR_INVALID_PARAM);
	CHECK(evs_dispatch(h, CS_DISPATCH_ALL), CS_OK);
	CHECK(evs_dispatch(h, CS_DISPATCH_ONE_NONBLOCKING), CS_ERR_TRY_AGAIN);
	CHECK(mcast_to(h2, &gb, 1, "nonblocking"), CS_OK);
	{
		cs_error_t rc;
		int tries = 0;
		while ((rc = evs_dispatch(h, CS_DISPATCH_ONE_NONBLOCKING)) == CS_ERR_TRY_AGAIN && ++tries < 500)
			sleep_ms(10);
		CHECK(rc, CS_OK);
		EXPECT(memcmp(seen[0].last, "nonblocking", 11) == 0);
	}

	/* Back-pressure: h stops reading while h2 floods its group; the sender meets
	 * CS_ERR_TRY_AGAIN, and once h reads again the messages flow. (Small messages:
	 * a frame the socket takes only part of is finished blocking, and this one
	 * thread would then never read h.) */
	{
		cs_error_t rc = CS_OK;
		int sent = 0, before = seen[0].delivered;
		iov[0].iov_base = big;
		iov[0].iov_len = 1024;
		while (sent < 200000) {
			rc = evs_mcast_groups(h2, EVS_TYPE_AGREED, &gb, 1, iov, 1);
			if (rc != CS_OK)
				break;
			sent++;
		}
		CHECK(rc, CS_ERR_TRY_AGAIN);
		printf("evs_live: back-pressure after %d messages of 1 KiB\n", sent);
		while (seen[0].delivered - before < sent)
			if (dispatch_one(h) != CS_OK)
				break;
		EXPECT(seen[0].delivered - before == sent);
		CHECK(mcast_to(h2, &gb, 1, "after the flood"), CS_OK);
		CHECK(dispatch_one(h), CS_OK);
		EXPECT(memcmp(seen[0].last, "after the flood", 15) == 0);
	}
	free(big);

	/* A handle without callbacks: callbacks are consumed, nothing is called. */
	CHECK(init(&h3, NULL), CS_OK);
	CHECK(evs_join(h3, &gb, 1), CS_OK);
	CHECK(mcast_to(h3, NULL, 0, "quiet"), CS_OK);
	CHECK(dispatch_one(h3), CS_OK);
	CHECK(dispatch_one(h3), CS_OK);
	CHECK(evs_dispatch(h3, CS_DISPATCH_ALL), CS_OK);
	CHECK(evs_finalize(h3), CS_OK);
	CHECK(dispatch_one(h), CS_OK);
	EXPECT(memcmp(seen[0].last, "quiet", 5) == 0);

	/* Finalizing from inside a blocking dispatch ends it with CS_OK. */
	seen[0].finalize_in_callback = 1;
	CHECK(mcast_to(h2, &gb, 1, "last"), CS_OK);
	CHECK(evs_dispatch(h, CS_DISPATCH_BLOCKING), CS_OK);
	EXPECT(memcmp(seen[0].last, "last", 4) == 0);

	/* A finalized or unknown handle. */
	CHECK(evs_finalize(h), CS_ERR_BAD_HANDLE);
	for (i = 0; i < 2; i++) {
		evs_handle_t b = i ? h : bogus;
		CHECK(evs_fd_get(b, &fd), CS_ERR_BAD_HANDLE);
		CHECK(evs_context_get(b, &ctx), CS_ERR_BAD_HANDLE);
		CHECK(evs_context_set(b, NULL), CS_ERR_BAD_HANDLE);
		CHECK(evs_dispatch(b, CS_DISPATCH_ALL), CS_ERR_BAD_HANDLE);
		CHECK(evs_join(b, &ga, 1), CS_ERR_BAD_HANDLE);
		CHECK(evs_leave(b, &ga, 1), CS_ERR_BAD_HANDLE);
		CHECK(evs_mcast_joined(b, EVS_TYPE_AGREED, iov, 0), CS_ERR_BAD_HANDLE);
		CHECK(evs_mcast_groups(b, EVS_TYPE_AGREED, &ga, 1, iov, 0), CS_ERR_BAD_HANDLE);
		n = 16;
		CHECK(evs_membership_get(b, &local, members, &n), CS_ERR_BAD_HANDLE);
		CHECK(evs_finalize(b), CS_ERR_BAD_HANDLE);
	}
	CHECK(evs_finalize(h2), CS_OK);

	/* corosync 1.x's older names are the same numbers. */
	EXPECT(old_name == CS_OK && EVS_ERR_TOO_MANY_GROUPS == 30 && EVS_DISPATCH_ALL == CS_DISPATCH_ALL);

	if (failures) {
		fprintf(stderr, "evs_live: %d checks failed\n", failures);
		return 1;
	}
	printf("evs_live: ok\n");
	return 0;
}
