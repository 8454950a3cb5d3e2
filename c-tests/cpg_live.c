/*
 * CPG against a live executive, as a corosync application uses it: every function of
 * corosync 3's <corosync/cpg.h> and its error paths, on one node.
 *
 *   cpg_live api     the whole API; a forked second process joins the group and dies
 *                    without leaving, which the first must see as PROCDOWN
 *
 * It includes only <corosync/cpg.h>, so it compiles unchanged against corosync's header
 * and ours; built against corosync's library, it runs with ours in its place.
 * The executive is the one AIS_IPC_SOCKET names.
 */
#include <corosync/cpg.h>

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int failures;

#define CHECK(expr, want)                                                            \
	do {                                                                         \
		cs_error_t got_ = (expr);                                            \
		if (got_ != (want)) {                                                \
			fprintf(stderr, "FAIL %s:%d: %s = %d, want %d\n", __FILE__,   \
				__LINE__, #expr, (int)got_, (int)(want));            \
			failures++;                                                  \
		}                                                                    \
	} while (0)

#define EXPECT(cond)                                                                 \
	do {                                                                         \
		if (!(cond)) {                                                       \
			fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
			failures++;                                                  \
		}                                                                    \
	} while (0)

/* What the callbacks saw. */
static int delivered;
static char last_msg[256];
static size_t last_len;
static uint32_t last_nodeid, last_pid;
static int confchgs;
static struct cpg_address last_joined[CPG_MEMBERS_MAX], last_left[CPG_MEMBERS_MAX];
static size_t n_joined, n_left, n_members;
static int totem_confchgs;
static uint32_t totem_members;
static struct cpg_ring_id totem_ring;
static cpg_handle_t cb_handle;

static void deliver_cb(cpg_handle_t handle, const struct cpg_name *group, uint32_t nodeid, uint32_t pid,
		       void *msg, size_t msg_len)
{
	cb_handle = handle;
	(void)group;
	delivered++;
	last_nodeid = nodeid;
	last_pid = pid;
	last_len = msg_len;
	memcpy(last_msg, msg, msg_len < sizeof last_msg ? msg_len : sizeof last_msg);
}

static void confchg_cb(cpg_handle_t handle, const struct cpg_name *group, const struct cpg_address *members,
		       size_t n_m, const struct cpg_address *left, size_t n_l, const struct cpg_address *joined,
		       size_t n_j)
{
	(void)handle;
	(void)group;
	(void)members;
	confchgs++;
	n_members = n_m;
	n_left = n_l;
	n_joined = n_j;
	memcpy(last_left, left, n_l * sizeof *left);
	memcpy(last_joined, joined, n_j * sizeof *joined);
}

static void totem_cb(cpg_handle_t handle, struct cpg_ring_id ring, uint32_t n, const uint32_t *members)
{
	(void)handle;
	(void)members;
	totem_confchgs++;
	totem_ring = ring;
	totem_members = n;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Dispatches until *counter exceeds `above`, for at most 10 s. */
static int wait_for(cpg_handle_t h, int *counter, int above)
{
	int fd;
	double end = now() + 10;
	if (cpg_fd_get(h, &fd) != CS_OK)
		return 0;
	while (*counter <= above && now() < end) {
		struct pollfd p = {fd, POLLIN, 0};
		if (poll(&p, 1, 100) > 0 && cpg_dispatch(h, CS_DISPATCH_ALL) != CS_OK)
			return 0;
	}
	return *counter > above;
}

static void nap(void)
{
	struct timespec ts = {0, 10 * 1000 * 1000};
	nanosleep(&ts, NULL);
}

/* The calls an application repeats while they answer CS_ERR_TRY_AGAIN (the executive
 * starting, or re-synchronising its groups), for at most 10 s. */
static cs_error_t init_retry(cpg_handle_t *h, cpg_callbacks_t *cbs)
{
	cs_error_t r;
	double end = now() + 10;
	while ((r = cpg_initialize(h, cbs)) == CS_ERR_TRY_AGAIN && now() < end)
		nap();
	return r;
}

static cs_error_t model_init_retry(cpg_handle_t *h, cpg_model_v1_data_t *m, void *ctx)
{
	cs_error_t r;
	double end = now() + 10;
	while ((r = cpg_model_initialize(h, CPG_MODEL_V1, (cpg_model_data_t *)m, ctx)) == CS_ERR_TRY_AGAIN &&
	       now() < end)
		nap();
	return r;
}

static cs_error_t join_retry(cpg_handle_t h, const struct cpg_name *g)
{
	cs_error_t r;
	double end = now() + 10;
	while ((r = cpg_join(h, g)) == CS_ERR_TRY_AGAIN && now() < end)
		nap();
	return r;
}

static struct cpg_name name_of(const char *s)
{
	struct cpg_name n;
	memset(&n, 0, sizeof n);
	n.length = (uint32_t)strlen(s);
	memcpy(n.value, s, n.length);
	return n;
}

/* A second process joins `group`, says so through the pipe, and waits to be killed. */
static pid_t member_child(const struct cpg_name *group, int ready_fd)
{
	pid_t pid = fork();
	if (pid == 0) {
		cpg_handle_t h;
		char ok = 'n';
		cpg_callbacks_t cbs = {NULL, NULL};
		if (init_retry(&h, &cbs) == CS_OK && join_retry(h, group) == CS_OK)
			ok = 'y';
		if (write(ready_fd, &ok, 1) != 1)
			_exit(2);
		pause();
		_exit(0);
	}
	return pid;
}

static int api(void)
{
	cpg_handle_t h, h2, bad = 0x1234;
	struct cpg_name group = name_of("cpg_live"), other = name_of("cpg_live_other"), too_long;
	unsigned int local = 0;
	uint32_t max = 0;
	int fd = -1, i, entries = 0, ctx_value = 7;
	void *ctx = NULL, *zbuf = NULL;
	cpg_flow_control_state_t fc;
	struct cpg_address members[CPG_MEMBERS_MAX];
	struct iovec iov[3];
	cpg_iteration_handle_t it;
	struct cpg_iteration_description_t d;
	cpg_model_v1_data_t model;
	int pipefd[2];
	char ready = 0;
	pid_t child;
	cpg_callbacks_t cbs = {deliver_cb, confchg_cb};

	memset(&too_long, 'x', sizeof too_long);
	too_long.length = CPG_MAX_NAME_LENGTH + 1;

	/* Initialize: NULL handle, a model that does not exist, unknown flags. */
	CHECK(cpg_initialize(NULL, &cbs), CS_ERR_INVALID_PARAM);
	memset(&model, 0, sizeof model);
	model.model = CPG_MODEL_V1;
	model.cpg_deliver_fn = deliver_cb;
	model.cpg_confchg_fn = confchg_cb;
	model.cpg_totem_confchg_fn = totem_cb;
	model.flags = 0x80;
	CHECK(cpg_model_initialize(&h, CPG_MODEL_V1, (cpg_model_data_t *)&model, NULL), CS_ERR_INVALID_PARAM);
	CHECK(cpg_model_initialize(&h, (cpg_model_t)2, (cpg_model_data_t *)&model, NULL), CS_ERR_INVALID_PARAM);
	model.flags = CPG_MODEL_V1_DELIVER_INITIAL_TOTEM_CONF;
	CHECK(model_init_retry(&h, &model, &ctx_value), CS_OK);
	CHECK(init_retry(&h2, &cbs), CS_OK);

	/* Bad handles. */
	CHECK(cpg_fd_get(bad, &fd), CS_ERR_BAD_HANDLE);
	CHECK(cpg_join(bad, &group), CS_ERR_BAD_HANDLE);
	CHECK(cpg_dispatch(bad, CS_DISPATCH_ALL), CS_ERR_BAD_HANDLE);
	CHECK(cpg_finalize(bad), CS_ERR_BAD_HANDLE);

	/* Plain getters and their NULL checks. */
	CHECK(cpg_fd_get(h, NULL), CS_ERR_INVALID_PARAM);
	CHECK(cpg_fd_get(h, &fd), CS_OK);
	EXPECT(fd >= 0);
	CHECK(cpg_max_atomic_msgsize_get(h, &max), CS_OK);
	EXPECT(max >= 1000000);
	CHECK(cpg_context_get(h, &ctx), CS_OK);
	EXPECT(ctx == &ctx_value);
	CHECK(cpg_context_set(h, &local), CS_OK);
	CHECK(cpg_context_get(h, &ctx), CS_OK);
	EXPECT(ctx == &local);
	CHECK(cpg_context_get(h, NULL), CS_ERR_INVALID_PARAM);
	CHECK(cpg_local_get(h, &local), CS_OK);
	EXPECT(local != 0);
	CHECK(cpg_local_get(h, NULL), CS_ERR_INVALID_PARAM);
	CHECK(cpg_dispatch(h, (cs_dispatch_flags_t)9), CS_ERR_INVALID_PARAM);
	CHECK(cpg_flow_control_state_get(h, &fc), CS_OK);
	EXPECT(fc == CPG_FLOW_CONTROL_DISABLED);

	/* Not joined yet: multicast and leave have no group. */
	iov[0].iov_base = "x";
	iov[0].iov_len = 1;
	CHECK(cpg_mcast_joined(h, CPG_TYPE_AGREED, iov, 1), CS_ERR_NOT_EXIST);
	CHECK(cpg_leave(h, &group), CS_ERR_NOT_EXIST);

	/* Join: our own configuration change (JOIN), then the initial totem configuration. */
	CHECK(cpg_join(h, &too_long), CS_ERR_NAME_TOO_LONG);
	CHECK(cpg_join(h, NULL), CS_ERR_INVALID_PARAM);
	CHECK(join_retry(h, &group), CS_OK);
	EXPECT(wait_for(h, &confchgs, 0));
	EXPECT(n_joined == 1 && last_joined[0].pid == (uint32_t)getpid() && last_joined[0].nodeid == local &&
	       last_joined[0].reason == CPG_REASON_JOIN);
	EXPECT(n_members == 1);
	EXPECT(wait_for(h, &totem_confchgs, 0));
	EXPECT(totem_members >= 1 && totem_ring.seq > 0);
	CHECK(cpg_join(h, &other), CS_ERR_EXIST);

	/* Membership: ourselves. */
	CHECK(cpg_membership_get(h, &group, NULL, &entries), CS_ERR_INVALID_PARAM);
	CHECK(cpg_membership_get(h, &too_long, members, &entries), CS_ERR_NAME_TOO_LONG);
	CHECK(cpg_membership_get(h, &group, members, &entries), CS_OK);
	EXPECT(entries == 1 && members[0].pid == (uint32_t)getpid() && members[0].nodeid == local);

	/* A three-piece message comes back whole, from us. */
	iov[0].iov_base = "hello, ";
	iov[0].iov_len = 7;
	iov[1].iov_base = "";
	iov[1].iov_len = 0;
	iov[2].iov_base = "group";
	iov[2].iov_len = 6;
	CHECK(cpg_mcast_joined(h, (cpg_guarantee_t)7, iov, 3), CS_ERR_INVALID_PARAM);
	CHECK(cpg_mcast_joined(h, CPG_TYPE_AGREED, NULL, 1), CS_ERR_INVALID_PARAM);
	CHECK(cpg_mcast_joined(h, CPG_TYPE_AGREED, iov, 3), CS_OK);
	EXPECT(wait_for(h, &delivered, 0));
	EXPECT(last_len == 13 && strcmp(last_msg, "hello, group") == 0);
	EXPECT(last_pid == (uint32_t)getpid() && last_nodeid == local && cb_handle == h);

	/* Too big: over the atomic size. */
	{
		size_t big = (size_t)max + 1;
		char *p = calloc(1, big);
		iov[0].iov_base = p;
		iov[0].iov_len = big;
		CHECK(cpg_mcast_joined(h, CPG_TYPE_AGREED, iov, 1), CS_ERR_TOO_BIG);
		free(p);
	}

	/* Zero-copy buffers: only ours are accepted. */
	CHECK(cpg_zcb_alloc(h, 64, NULL), CS_ERR_INVALID_PARAM);
	CHECK(cpg_zcb_alloc(h, 64, &zbuf), CS_OK);
	EXPECT(zbuf != NULL);
	if (zbuf) {
		strcpy(zbuf, "zero copy");
		CHECK(cpg_zcb_mcast_joined(h, CPG_TYPE_AGREED, zbuf, 65), CS_ERR_INVALID_PARAM);
		CHECK(cpg_zcb_mcast_joined(h, CPG_TYPE_AGREED, zbuf, 10), CS_OK);
		EXPECT(wait_for(h, &delivered, 1));
		EXPECT(last_len == 10 && strcmp(last_msg, "zero copy") == 0);
		CHECK(cpg_zcb_mcast_joined(h, CPG_TYPE_AGREED, last_msg, 10), CS_ERR_INVALID_PARAM);
		CHECK(cpg_zcb_free(h, zbuf), CS_OK);
		CHECK(cpg_zcb_free(h, zbuf), CS_ERR_INVALID_PARAM);
	}

	/* A second process joins, then dies without leaving: JOIN, then PROCDOWN. */
	if (pipe(pipefd) != 0)
		return 1;
	child = member_child(&group, pipefd[1]);
	EXPECT(read(pipefd[0], &ready, 1) == 1 && ready == 'y');
	i = confchgs;
	EXPECT(wait_for(h, &confchgs, i));
	EXPECT(n_joined == 1 && last_joined[0].pid == (uint32_t)child && last_joined[0].reason == CPG_REASON_JOIN &&
	       n_members == 2);

	/* Iteration while there are two members. */
	CHECK(cpg_iteration_initialize(h, CPG_ITERATION_ONE_GROUP, NULL, &it), CS_ERR_INVALID_PARAM);
	CHECK(cpg_iteration_initialize(h, CPG_ITERATION_ALL, &group, &it), CS_ERR_INVALID_PARAM);
	CHECK(cpg_iteration_initialize(h, (cpg_iteration_type_t)9, NULL, &it), CS_ERR_INVALID_PARAM);
	CHECK(cpg_iteration_initialize(h, CPG_ITERATION_ALL, NULL, NULL), CS_ERR_INVALID_PARAM);
	CHECK(cpg_iteration_initialize(h, CPG_ITERATION_ONE_GROUP, &group, &it), CS_OK);
	for (i = 0; cpg_iteration_next(it, &d) == CS_OK; i++)
		EXPECT(d.group.length == group.length && memcmp(d.group.value, group.value, group.length) == 0 &&
		       d.nodeid == local);
	EXPECT(i == 2);
	CHECK(cpg_iteration_next(it, &d), CS_ERR_NO_SECTIONS);
	CHECK(cpg_iteration_next(it, NULL), CS_ERR_INVALID_PARAM);
	CHECK(cpg_iteration_finalize(it), CS_OK);
	CHECK(cpg_iteration_finalize(it), CS_ERR_BAD_HANDLE);
	CHECK(cpg_iteration_initialize(h, CPG_ITERATION_NAME_ONLY, NULL, &it), CS_OK);
	for (i = 0; cpg_iteration_next(it, &d) == CS_OK; i++)
		;
	EXPECT(i >= 1);
	CHECK(cpg_iteration_finalize(it), CS_OK);

	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	i = confchgs;
	EXPECT(wait_for(h, &confchgs, i));
	EXPECT(n_left == 1 && last_left[0].pid == (uint32_t)child && last_left[0].reason == CPG_REASON_PROCDOWN &&
	       n_members == 1);

	/* Nothing pending: ONE_NONBLOCKING says so. */
	CHECK(cpg_dispatch(h, CS_DISPATCH_ALL), CS_OK);
	CHECK(cpg_dispatch(h, CS_DISPATCH_ONE_NONBLOCKING), CS_ERR_TRY_AGAIN);

	/* Leave: our own change with LEAVE; then nothing to send to or leave. */
	CHECK(cpg_leave(h, &other), CS_ERR_NOT_EXIST);
	CHECK(cpg_leave(h, &group), CS_OK);
	i = confchgs;
	EXPECT(wait_for(h, &confchgs, i));
	EXPECT(n_left == 1 && last_left[0].pid == (uint32_t)getpid() && last_left[0].reason == CPG_REASON_LEAVE);
	iov[0].iov_base = "x";
	iov[0].iov_len = 1;
	CHECK(cpg_mcast_joined(h, CPG_TYPE_AGREED, iov, 1), CS_ERR_NOT_EXIST);
	CHECK(cpg_leave(h, &group), CS_ERR_NOT_EXIST);

	/* Finalize: the handle is gone for every call. */
	CHECK(cpg_finalize(h2), CS_OK);
	CHECK(cpg_finalize(h), CS_OK);
	CHECK(cpg_finalize(h), CS_ERR_BAD_HANDLE);
	CHECK(cpg_local_get(h, &local), CS_ERR_BAD_HANDLE);
	CHECK(cpg_join(h, &group), CS_ERR_BAD_HANDLE);

	if (failures)
		fprintf(stderr, "cpg_live api: %d failures\n", failures);
	else
		printf("cpg_live api: ok\n");
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "api") == 0)
		return api();
	fprintf(stderr, "usage: %s api\n", argv[0]);
	return 2;
}
