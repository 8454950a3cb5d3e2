/*
 * CLM against a live executive, as an application uses it.
 *
 *   clm_live api            every CLM call and its error paths on one node
 *   clm_live wait N SECS    track changes until the cluster has N members
 *                           (exit 0), or give up after SECS (exit 1)
 *   clm_live watch SECS     print every membership change for SECS seconds
 *   clm_live admin NODEID TOOL
 *                           B.04.01 administrative operations with TOOL
 *                           (ais-clmtool): tracks with VALIDATE_STEP and
 *                           START_STEP, rejects the first lock of NODEID,
 *                           accepts the next, sees it leave, unlocks it
 *
 * The executive is the one AIS_IPC_SOCKET names.
 */
#include <saClm.h>

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int failures;

#define CHECK(expr, want)                                                          \
	do {                                                                       \
		SaAisErrorT got_ = (expr);                                         \
		if (got_ != (want)) {                                              \
			fprintf(stderr, "FAIL %s:%d: %s = %d, want %d\n", __FILE__, \
				__LINE__, #expr, (int)got_, (int)(want));          \
			failures++;                                                \
		}                                                                  \
	} while (0)

static int track_calls;
static SaUint32T last_members;
static SaInvocationT got_invocation;
static SaClmNodeIdT got_node;

static void print_buffer(const SaClmClusterNotificationBufferT *b, SaUint32T members)
{
	SaUint32T i;
	printf("view %llu, %u members:", (unsigned long long)b->viewNumber, (unsigned)members);
	for (i = 0; i < b->numberOfItems; i++) {
		const SaClmClusterNotificationT *n = &b->notification[i];
		const char *what = n->clusterChange == SA_CLM_NODE_JOINED ? "joined"
				 : n->clusterChange == SA_CLM_NODE_LEFT	  ? "left"
				 : n->clusterChange == SA_CLM_NODE_NO_CHANGE ? "here"
									     : "changed";
		printf(" %u(%.*s %s)", (unsigned)n->clusterNode.nodeId,
		       (int)n->clusterNode.nodeAddress.length,
		       (const char *)n->clusterNode.nodeAddress.value, what);
	}
	printf("\n");
	fflush(stdout);
}

static void track_cb(const SaClmClusterNotificationBufferT *b, SaUint32T members, SaAisErrorT error)
{
	track_calls++;
	last_members = members;
	if (error == SA_AIS_OK)
		print_buffer(b, members);
}

static void node_get_cb(SaInvocationT invocation, const SaClmClusterNodeT *node, SaAisErrorT error)
{
	got_invocation = invocation;
	got_node = (error == SA_AIS_OK && node) ? node->nodeId : 0;
}

static SaAisErrorT init(SaClmHandleT *h, const SaClmCallbacksT *cb)
{
	SaVersionT v = {'B', 1, 1};
	SaAisErrorT rc;
	int tries;
	/* The executive answers TRY_AGAIN until its first view is complete. */
	for (tries = 0; tries < 100; tries++) {
		rc = saClmInitialize(h, cb, &v);
		if (rc != SA_AIS_ERR_TRY_AGAIN)
			return rc;
		nanosleep(&(struct timespec){0, 50000000}, NULL);
	}
	return rc;
}

static int api(void)
{
	SaClmCallbacksT cb = {node_get_cb, track_cb};
	SaClmHandleT h, h2;
	SaVersionT v = {'B', 9, 1};
	SaSelectionObjectT sel;
	SaClmClusterNodeT node;
	SaClmClusterNotificationBufferT buf;
	SaClmClusterNotificationT one[1];
	SaAisErrorT rc;
	int tries;

	CHECK(saClmInitialize(&h, &cb, &v), SA_AIS_ERR_VERSION);
	if (v.releaseCode != 'B' || v.majorVersion != 1)
		fprintf(stderr, "FAIL version not written back\n"), failures++;
	CHECK(init(&h, &cb), SA_AIS_OK);
	CHECK(saClmSelectionObjectGet(h, &sel), SA_AIS_OK);
	CHECK(saClmSelectionObjectGet(h, NULL), SA_AIS_ERR_INVALID_PARAM);

	/* The local node, once the first view is complete. */
	for (tries = 0; tries < 100; tries++) {
		rc = saClmClusterNodeGet(h, SA_CLM_LOCAL_NODE_ID, SA_TIME_ONE_SECOND, &node);
		if (rc != SA_AIS_ERR_TRY_AGAIN)
			break;
		nanosleep(&(struct timespec){0, 50000000}, NULL);
	}
	CHECK(rc, SA_AIS_OK);
	printf("local node %u, address %.*s, name %.*s, member %d, view %llu\n", (unsigned)node.nodeId,
	       (int)node.nodeAddress.length, (const char *)node.nodeAddress.value,
	       (int)node.nodeName.length, (const char *)node.nodeName.value, (int)node.member,
	       (unsigned long long)node.initialViewNumber);
	if (node.member != SA_TRUE || node.nodeAddress.family != SA_CLM_AF_INET)
		fprintf(stderr, "FAIL local node record\n"), failures++;
	CHECK(saClmClusterNodeGet(h, node.nodeId, SA_TIME_ONE_SECOND, &node), SA_AIS_OK);
	CHECK(saClmClusterNodeGet(h, 0x7ffffff0u, SA_TIME_ONE_SECOND, &node), SA_AIS_ERR_NOT_EXIST);
	CHECK(saClmClusterNodeGet(h, SA_CLM_LOCAL_NODE_ID, SA_TIME_ONE_SECOND, NULL), SA_AIS_ERR_INVALID_PARAM);

	/* Current membership into a library-allocated array, then freed. */
	buf.notification = NULL;
	buf.numberOfItems = 0;
	CHECK(saClmClusterTrack(h, SA_TRACK_CURRENT, &buf), SA_AIS_OK);
	if (buf.numberOfItems < 1 || buf.notification == NULL)
		fprintf(stderr, "FAIL empty membership\n"), failures++;
	else
		print_buffer(&buf, buf.numberOfItems);
	CHECK(saClmClusterNotificationFree(h, buf.notification), SA_AIS_OK);
	CHECK(saClmClusterNotificationFree(h, buf.notification), SA_AIS_ERR_INVALID_PARAM);

	/* A caller array that is too small when the cluster has more nodes. */
	buf.notification = one;
	buf.numberOfItems = 1;
	rc = saClmClusterTrack(h, SA_TRACK_CURRENT, &buf);
	if (rc != SA_AIS_OK && !(rc == SA_AIS_ERR_NO_SPACE && buf.numberOfItems > 1))
		fprintf(stderr, "FAIL caller buffer: %d\n", (int)rc), failures++;

	CHECK(saClmClusterTrack(h, 0, NULL), SA_AIS_ERR_BAD_FLAGS);
	CHECK(saClmClusterTrack(h, SA_TRACK_CHANGES | SA_TRACK_CHANGES_ONLY, NULL), SA_AIS_ERR_BAD_FLAGS);
	CHECK(saClmClusterTrackStop(h), SA_AIS_ERR_NOT_EXIST);

	/* Current membership through the callback, seen on the selection object. */
	CHECK(saClmClusterTrack(h, SA_TRACK_CURRENT | SA_TRACK_CHANGES, NULL), SA_AIS_OK);
	{
		struct pollfd p = {(int)sel, POLLIN, 0};
		if (poll(&p, 1, 2000) != 1)
			fprintf(stderr, "FAIL selection object not readable\n"), failures++;
	}
	CHECK(saClmDispatch(h, SA_DISPATCH_ALL), SA_AIS_OK);
	if (track_calls != 1)
		fprintf(stderr, "FAIL %d track callbacks\n", track_calls), failures++;
	CHECK(saClmClusterTrackStop(h), SA_AIS_OK);

	/* Async node get. */
	CHECK(saClmClusterNodeGetAsync(h, 4242, SA_CLM_LOCAL_NODE_ID), SA_AIS_OK);
	{
		/* The answer comes as a callback: wait for the selection object. */
		struct pollfd p = {(int)sel, POLLIN, 0};
		if (poll(&p, 1, 2000) != 1)
			fprintf(stderr, "FAIL no node-get callback\n"), failures++;
	}
	CHECK(saClmDispatch(h, SA_DISPATCH_ONE), SA_AIS_OK);
	if (got_invocation != 4242 || got_node != node.nodeId)
		fprintf(stderr, "FAIL async node get: %llu %u\n", (unsigned long long)got_invocation,
			(unsigned)got_node), failures++;
	CHECK(saClmDispatch(h, 99), SA_AIS_ERR_INVALID_PARAM);

	/* A handle without callbacks. */
	CHECK(init(&h2, NULL), SA_AIS_OK);
	CHECK(saClmClusterTrack(h2, SA_TRACK_CHANGES, NULL), SA_AIS_ERR_INIT);
	CHECK(saClmClusterNodeGetAsync(h2, 1, SA_CLM_LOCAL_NODE_ID), SA_AIS_ERR_INIT);
	CHECK(saClmFinalize(h2), SA_AIS_OK);

	CHECK(saClmFinalize(h), SA_AIS_OK);
	CHECK(saClmFinalize(h), SA_AIS_ERR_BAD_HANDLE);

	/* The B.04.01 API beside it. */
	{
		SaClmCallbacksT_4 cb4 = {NULL, NULL};
		SaVersionT v4 = {'B', 4, 1};
		SaClmHandleT h4;
		SaClmClusterNodeT_4 n4;
		SaClmClusterNotificationBufferT_4 b4;
		SaVersionT v0 = {'B', 0, 0};
		SaClmHandleT hb;
		SaClmClusterNotificationT_4 *mine;
		CHECK(saClmInitialize_4(&h4, &cb4, &v0), SA_AIS_ERR_VERSION); /* no major 0 */
		v0.majorVersion = 0;
		CHECK(saClmInitialize(&h4, &cb, &v0), SA_AIS_ERR_VERSION);
		CHECK(saClmInitialize_4(&h4, &cb4, &v4), SA_AIS_OK);
		CHECK(saClmClusterNodeGet_4(h4, SA_CLM_LOCAL_NODE_ID, SA_TIME_ONE_SECOND, &n4), SA_AIS_OK);
		/* A timeout of 0 (openais programs pass it) waits the floor: answered. */
		CHECK(saClmClusterNodeGet_4(h4, SA_CLM_LOCAL_NODE_ID, 0, &n4), SA_AIS_OK);
		/* B.04.01: a B.01 call on a B.04 handle, and a _4 call on a B.01 handle, is
		   SA_AIS_ERR_VERSION, before the arguments are looked at. */
		CHECK(saClmClusterNodeGet(h4, SA_CLM_LOCAL_NODE_ID, SA_TIME_ONE_SECOND, &node), SA_AIS_ERR_VERSION);
		CHECK(saClmClusterTrack(h4, SA_TRACK_CURRENT, NULL), SA_AIS_ERR_VERSION);
		CHECK(saClmClusterNotificationFree(h4, NULL), SA_AIS_ERR_VERSION);
		CHECK(init(&hb, NULL), SA_AIS_OK);
		CHECK(saClmClusterNodeGet(hb, SA_CLM_LOCAL_NODE_ID, 0, &node), SA_AIS_OK);
		CHECK(saClmClusterNotificationFree_4(hb, NULL), SA_AIS_ERR_VERSION);
		CHECK(saClmClusterNodeGet_4(hb, SA_CLM_LOCAL_NODE_ID, SA_TIME_ONE_SECOND, &n4), SA_AIS_ERR_VERSION);
		CHECK(saClmClusterTrack_4(hb, SA_TRACK_CURRENT, &b4), SA_AIS_ERR_VERSION);
		CHECK(saClmResponse_4(hb, 1, SA_CLM_CALLBACK_RESPONSE_OK), SA_AIS_ERR_VERSION);
		CHECK(saClmFinalize(hb), SA_AIS_OK);
		/* OpenSAF programs free an array they malloc'ed themselves: freed (see the man page). */
		mine = (SaClmClusterNotificationT_4 *)malloc(2 * sizeof *mine);
		CHECK(saClmClusterNotificationFree_4(h4, mine), SA_AIS_OK);
		if (n4.nodeId != node.nodeId || n4.executionEnvironment.length != 0)
			fprintf(stderr, "FAIL B.04 node record\n"), failures++;
		b4.notification = NULL;
		b4.numberOfItems = 0;
		CHECK(saClmClusterTrack_4(h4, SA_TRACK_CURRENT, &b4), SA_AIS_OK);
		if (b4.numberOfItems < 1)
			fprintf(stderr, "FAIL B.04 membership\n"), failures++;
		CHECK(saClmClusterNotificationFree_4(h4, b4.notification), SA_AIS_OK);
		/* B.04.01: SA_TRACK_LOCAL reports the local node only (with CURRENT, CHANGES or
		   CHANGES_ONLY). */
		b4.notification = NULL;
		b4.numberOfItems = 0;
		CHECK(saClmClusterTrack_4(h4, SA_TRACK_CURRENT | SA_TRACK_LOCAL, &b4), SA_AIS_OK);
		if (b4.numberOfItems != 1 || b4.notification == NULL || b4.notification[0].clusterNode.nodeId != n4.nodeId)
			fprintf(stderr, "FAIL SA_TRACK_LOCAL: %u items\n", (unsigned)b4.numberOfItems), failures++;
		if (b4.notification)
			CHECK(saClmClusterNotificationFree_4(h4, b4.notification), SA_AIS_OK);
		CHECK(saClmClusterTrack_4(h4, SA_TRACK_LOCAL, &b4), SA_AIS_ERR_BAD_FLAGS);
		CHECK(saClmClusterTrack_4(h4, SA_TRACK_CHANGES, NULL), SA_AIS_ERR_INIT);
		CHECK(saClmResponse_4(h4, 1, SA_CLM_CALLBACK_RESPONSE_OK), SA_AIS_ERR_INVALID_PARAM);
		CHECK(saClmFinalize(h4), SA_AIS_OK);
	}
	{
		SaVersionT v3 = {'B', 3, 1};
		SaClmHandleT h3;
		CHECK(saClmInitialize_3(&h3, NULL, &v3), SA_AIS_OK);
		CHECK(saClmResponse(h3, 1, SA_AIS_OK), SA_AIS_ERR_INVALID_PARAM);
		CHECK(saClmFinalize(h3), SA_AIS_OK);
	}
	CHECK(saClmClusterNodeGet(h, SA_CLM_LOCAL_NODE_ID, SA_TIME_ONE_SECOND, &node), SA_AIS_ERR_BAD_HANDLE);
	return failures;
}

/*
 * Tracks the membership for up to `secs` seconds, printing every change.
 * With want > 0 it stops once the cluster has `want` members (exit 0) and
 * fails if that never happens; with want == 0 it just watches.
 */
static int track(unsigned want, int secs)
{
	SaClmCallbacksT cb = {node_get_cb, track_cb};
	SaClmHandleT h;
	SaSelectionObjectT sel;
	time_t end = time(NULL) + secs;

	CHECK(init(&h, &cb), SA_AIS_OK);
	if (failures)
		return 1;
	CHECK(saClmSelectionObjectGet(h, &sel), SA_AIS_OK);
	{
		/* A view being re-formed (a node just left) answers TRY_AGAIN until complete. */
		SaAisErrorT rc;
		while ((rc = saClmClusterTrack(h, SA_TRACK_CURRENT | SA_TRACK_CHANGES, NULL)) ==
			       SA_AIS_ERR_TRY_AGAIN &&
		       time(NULL) < end)
			nanosleep(&(struct timespec){0, 20000000}, NULL);
		CHECK(rc, SA_AIS_OK);
	}
	while (time(NULL) < end) {
		struct pollfd p = {(int)sel, POLLIN, 0};
		if (poll(&p, 1, 200) == 1)
			CHECK(saClmDispatch(h, SA_DISPATCH_ALL), SA_AIS_OK);
		if (want > 0 && track_calls > 0 && last_members == want)
			break;
	}
	saClmFinalize(h);
	if (want > 0 && last_members != want) {
		fprintf(stderr, "FAIL: still %u members, want %u\n", (unsigned)last_members, want);
		return 1;
	}
	return failures ? 1 : 0;
}

/* ---- administrative operations (B.04.01 saClmClusterTrack_4 steps) ---- */

static SaClmHandleT admin_handle;
static SaClmNodeIdT admin_target;
static int validations;
static char admin_steps[64]; /* one letter per step: V S A C */
static SaClmClusterChangesT last_change;
static SaBoolT last_member;

static void admin_track_cb(const SaClmClusterNotificationBufferT_4 *b, SaUint32T members,
			   SaInvocationT invocation, const SaNameT *root_cause,
			   const SaNtfCorrelationIdsT *correlation, SaClmChangeStepT step,
			   SaTimeT supervision, SaAisErrorT error)
{
	SaUint32T i;
	size_t n = strlen(admin_steps);
	(void)members;
	(void)correlation;
	(void)supervision;
	if (error != SA_AIS_OK || n + 1 >= sizeof admin_steps)
		return;
	for (i = 0; i < b->numberOfItems; i++)
		if (b->notification[i].clusterNode.nodeId == admin_target) {
			last_change = b->notification[i].clusterChange;
			last_member = b->notification[i].clusterNode.member;
		}
	admin_steps[n] = step == SA_CLM_CHANGE_VALIDATE	 ? 'V'
			 : step == SA_CLM_CHANGE_START	 ? 'S'
			 : step == SA_CLM_CHANGE_ABORTED ? 'A'
							 : 'C';
	if (step == SA_CLM_CHANGE_VALIDATE || step == SA_CLM_CHANGE_START) {
		if (invocation == 0 || root_cause == NULL || root_cause->length == 0) {
			fprintf(stderr, "FAIL: step %d without invocation or root cause\n", (int)step);
			failures++;
		}
		/* The first validation is refused, everything after agreed to. */
		CHECK(saClmResponse_4(admin_handle, invocation,
				      step == SA_CLM_CHANGE_VALIDATE && validations++ == 0
					      ? SA_CLM_CALLBACK_RESPONSE_REJECTED
					      : SA_CLM_CALLBACK_RESPONSE_OK),
		      SA_AIS_OK);
		CHECK(saClmResponse_4(admin_handle, invocation, SA_CLM_CALLBACK_RESPONSE_OK),
		      SA_AIS_ERR_INVALID_PARAM);
	}
}

/* Runs `tool verb node` while dispatching; its exit status. */
static int run_tool(const char *tool, const char *verb, const char *node, SaSelectionObjectT sel)
{
	int status;
	pid_t pid = fork();
	if (pid == 0) {
		execl(tool, tool, verb, node, (char *)NULL);
		_exit(127);
	}
	for (;;) {
		struct pollfd p = {(int)sel, POLLIN, 0};
		if (poll(&p, 1, 50) == 1)
			CHECK(saClmDispatch(admin_handle, SA_DISPATCH_ALL), SA_AIS_OK);
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
	}
	/* The last callbacks may come after the tool's answer. */
	{
		struct pollfd p = {(int)sel, POLLIN, 0};
		while (poll(&p, 1, 300) == 1)
			CHECK(saClmDispatch(admin_handle, SA_DISPATCH_ALL), SA_AIS_OK);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static SaBoolT target_member(void)
{
	SaClmClusterNodeT_4 n;
	CHECK(saClmClusterNodeGet_4(admin_handle, admin_target, SA_TIME_ONE_SECOND, &n), SA_AIS_OK);
	return n.member;
}

static int admin(const char *node, const char *tool)
{
	SaClmCallbacksT_4 cb = {NULL, admin_track_cb};
	SaVersionT v = {'B', 4, 1};
	SaSelectionObjectT sel;
	SaAisErrorT rc;
	int tries;

	admin_target = (SaClmNodeIdT)strtoul(node, NULL, 10);
	for (tries = 0; tries < 100; tries++) {
		rc = saClmInitialize_4(&admin_handle, &cb, &v);
		if (rc != SA_AIS_ERR_TRY_AGAIN)
			break;
		nanosleep(&(struct timespec){0, 50000000}, NULL);
	}
	CHECK(rc, SA_AIS_OK);
	if (failures)
		return 1;
	CHECK(saClmSelectionObjectGet(admin_handle, &sel), SA_AIS_OK);
	CHECK(saClmClusterTrack_4(admin_handle, SA_TRACK_CURRENT | SA_TRACK_START_STEP, NULL),
	      SA_AIS_ERR_BAD_FLAGS);
	for (tries = 0; tries < 100; tries++) {
		rc = saClmClusterTrack_4(admin_handle,
					 SA_TRACK_CHANGES_ONLY | SA_TRACK_VALIDATE_STEP | SA_TRACK_START_STEP,
					 NULL);
		if (rc != SA_AIS_ERR_TRY_AGAIN)
			break;
		nanosleep(&(struct timespec){0, 50000000}, NULL);
	}
	CHECK(rc, SA_AIS_OK);
	CHECK(saClmResponse_4(admin_handle, 424242, SA_CLM_CALLBACK_RESPONSE_OK), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saClmResponse_4(admin_handle, 1, (SaClmResponseT)9), SA_AIS_ERR_INVALID_PARAM);

	CHECK(run_tool(tool, "lock", node, sel), 1);
	if (strcmp(admin_steps, "VA") != 0 || target_member() != SA_TRUE) {
		fprintf(stderr, "FAIL: a rejected lock: steps %s\n", admin_steps);
		failures++;
	}
	memset(admin_steps, 0, sizeof admin_steps);
	CHECK(run_tool(tool, "lock", node, sel), 0);
	if (strcmp(admin_steps, "VSC") != 0 || last_change != SA_CLM_NODE_LEFT || last_member != SA_FALSE ||
	    target_member() != SA_FALSE) {
		fprintf(stderr, "FAIL: an accepted lock: steps %s, change %d\n", admin_steps, (int)last_change);
		failures++;
	}
	memset(admin_steps, 0, sizeof admin_steps);
	CHECK(run_tool(tool, "unlock", node, sel), 0);
	if (strcmp(admin_steps, "C") != 0 || last_change != SA_CLM_NODE_JOINED || target_member() != SA_TRUE) {
		fprintf(stderr, "FAIL: unlock: steps %s, change %d\n", admin_steps, (int)last_change);
		failures++;
	}
	saClmFinalize(admin_handle);
	printf("clm_live admin: %s\n", failures ? "FAILED" : "ok");
	return failures ? 1 : 0;
}

/* "ID VIEW" for each node id given: the initialViewNumber this node reports. */
static int views(int n, char **ids)
{
	SaClmCallbacksT cb = {node_get_cb, track_cb};
	SaClmHandleT h;
	SaClmClusterNodeT node;
	SaAisErrorT rc;
	int i, tries;

	if (init(&h, &cb) != SA_AIS_OK)
		return fprintf(stderr, "FAIL initialize\n"), 1;
	for (i = 0; i < n; i++) {
		SaClmNodeIdT id = (SaClmNodeIdT)strtoul(ids[i], NULL, 10);
		/* TRY_AGAIN while this node's view is not complete yet. */
		for (tries = 0; tries < 100; tries++) {
			rc = saClmClusterNodeGet(h, id, SA_TIME_ONE_SECOND, &node);
			if (rc != SA_AIS_ERR_TRY_AGAIN)
				break;
			nanosleep(&(struct timespec){0, 50000000}, NULL);
		}
		if (rc != SA_AIS_OK)
			return fprintf(stderr, "FAIL node get %u: %d\n", (unsigned)id, (int)rc), 1;
		printf("%u %llu\n", (unsigned)id, (unsigned long long)node.initialViewNumber);
	}
	saClmFinalize(h);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "admin") == 0)
		return admin(argv[2], argv[3]);
	if (argc == 3 && strcmp(argv[1], "watch") == 0)
		return track(0, atoi(argv[2]));
	if (argc >= 2 && strcmp(argv[1], "api") == 0) {
		int f = api();
		printf("clm_live api: %s\n", f ? "FAILED" : "ok");
		return f ? 1 : 0;
	}
	if (argc == 4 && strcmp(argv[1], "wait") == 0)
		return track((unsigned)atoi(argv[2]), atoi(argv[3]));
	if (argc >= 3 && strcmp(argv[1], "views") == 0)
		return views(argc - 2, argv + 2);
	fprintf(stderr, "usage: clm_live api | wait N SECS | watch SECS | admin NODEID TOOL | views NODEID...\n");
	return 2;
}
