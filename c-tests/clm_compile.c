/*
 * clm_compile.c: proves that a program written against the SA Forum CLM API compiles
 * against include/saClm.h (C99 or C++, -Wall -Wextra -Werror -pedantic), links with
 * -lSaClm, loads libSaClm.so.3 and gets a defined SaAisErrorT back from every call.
 *
 * The callbacks and the function-pointer table below are written with the prototypes of
 * the SA Forum headers (B.01.01 and B.04.01), not taken from ours: if our header declared
 * any of them differently, the assignments would be incompatible and -Werror would fail.
 * Until the client runtime exists every call answers SA_AIS_ERR_NOT_SUPPORTED.
 */
#include <stdio.h>
#include <saClm.h>

static void node_get_cb(SaInvocationT invocation, const SaClmClusterNodeT *clusterNode,
			SaAisErrorT error)
{
	(void)invocation; (void)clusterNode; (void)error;
}

static void track_cb(const SaClmClusterNotificationBufferT *notificationBuffer,
		     SaUint32T numberOfMembers, SaAisErrorT error)
{
	(void)notificationBuffer; (void)numberOfMembers; (void)error;
}

static void eviction_cb(SaClmHandleT clmHandle, SaInvocationT invocation,
			SaClmAdminOperationIdT operationId)
{
	(void)clmHandle; (void)invocation; (void)operationId;
}

static void node_get_cb_4(SaInvocationT invocation, const SaClmClusterNodeT_4 *clusterNode,
			  SaAisErrorT error)
{
	(void)invocation; (void)clusterNode; (void)error;
}

static void track_cb_4(const SaClmClusterNotificationBufferT_4 *notificationBuffer,
		       SaUint32T numberOfMembers, SaInvocationT invocation,
		       const SaNameT *rootCauseEntity, const SaNtfCorrelationIdsT *correlationIds,
		       SaClmChangeStepT step, SaTimeT timeSupervision, SaAisErrorT error)
{
	(void)notificationBuffer; (void)numberOfMembers; (void)invocation;
	(void)rootCauseEntity; (void)correlationIds; (void)step; (void)timeSupervision;
	(void)error;
}

/* Every exported function, typed as the SA Forum header declares it. */
static struct {
	SaAisErrorT (*initialize)(SaClmHandleT *, const SaClmCallbacksT *, SaVersionT *);
	SaAisErrorT (*selectionObjectGet)(SaClmHandleT, SaSelectionObjectT *);
	SaAisErrorT (*dispatch)(SaClmHandleT, SaDispatchFlagsT);
	SaAisErrorT (*finalize)(SaClmHandleT);
	SaAisErrorT (*clusterTrack)(SaClmHandleT, SaUint8T, SaClmClusterNotificationBufferT *);
	SaAisErrorT (*clusterTrackStop)(SaClmHandleT);
	SaAisErrorT (*clusterNodeGet)(SaClmHandleT, SaClmNodeIdT, SaTimeT, SaClmClusterNodeT *);
	SaAisErrorT (*clusterNodeGetAsync)(SaClmHandleT, SaInvocationT, SaClmNodeIdT);
	SaAisErrorT (*initialize_3)(SaClmHandleT *, const SaClmCallbacksT_3 *, SaVersionT *);
	SaAisErrorT (*initialize_4)(SaClmHandleT *, const SaClmCallbacksT_4 *, SaVersionT *);
	SaAisErrorT (*clusterTrack_4)(SaClmHandleT, SaUint8T, SaClmClusterNotificationBufferT_4 *);
	SaAisErrorT (*clusterNodeGet_4)(SaClmHandleT, SaClmNodeIdT, SaTimeT, SaClmClusterNodeT_4 *);
	SaAisErrorT (*clusterNotificationFree)(SaClmHandleT, SaClmClusterNotificationT *);
	SaAisErrorT (*clusterNotificationFree_4)(SaClmHandleT, SaClmClusterNotificationT_4 *);
	SaAisErrorT (*response)(SaClmHandleT, SaInvocationT, SaAisErrorT);
	SaAisErrorT (*response_4)(SaClmHandleT, SaInvocationT, SaClmResponseT);
} const api = {
	saClmInitialize, saClmSelectionObjectGet, saClmDispatch, saClmFinalize,
	saClmClusterTrack, saClmClusterTrackStop, saClmClusterNodeGet, saClmClusterNodeGetAsync,
	saClmInitialize_3, saClmInitialize_4, saClmClusterTrack_4, saClmClusterNodeGet_4,
	saClmClusterNotificationFree, saClmClusterNotificationFree_4, saClmResponse,
	saClmResponse_4
};

static int failures;

static void expect_defined(const char *call, SaAisErrorT error)
{
	int defined = (error >= SA_AIS_OK && error <= SA_AIS_ERR_DEPLOYMENT) ||
		error == SA_AIS_ERR_SECURITY;
	printf("%-32s -> %d%s\n", call, (int)error, defined ? "" : " (not an SaAisErrorT!)");
	if (!defined)
		failures++;
}

int main(void)
{
	/* An invalid handle: whatever the library does later, these calls touch nothing. */
	const SaClmHandleT bad = SA_HANDLE_INVALID;
	SaClmHandleT handle = bad;
	SaVersionT version = { 'B', 1, 1 };
	SaVersionT version_4 = { 'B', 4, 1 };
	SaClmCallbacksT callbacks = { node_get_cb, track_cb };
	SaClmCallbacksT_3 callbacks_3 = { node_get_cb, track_cb, eviction_cb };
	SaClmCallbacksT_4 callbacks_4 = { node_get_cb_4, track_cb_4 };
	SaSelectionObjectT fd;
	SaClmClusterNodeT node;
	SaClmClusterNodeT_4 node_4;

	expect_defined("saClmInitialize", api.initialize(&handle, &callbacks, &version));
	expect_defined("saClmSelectionObjectGet", api.selectionObjectGet(bad, &fd));
	expect_defined("saClmDispatch", api.dispatch(bad, SA_DISPATCH_ALL));
	expect_defined("saClmClusterTrack", api.clusterTrack(bad, SA_TRACK_CHANGES, NULL));
	expect_defined("saClmClusterTrackStop", api.clusterTrackStop(bad));
	expect_defined("saClmClusterNodeGet",
		       api.clusterNodeGet(bad, SA_CLM_LOCAL_NODE_ID, 5 * SA_TIME_ONE_SECOND, &node));
	expect_defined("saClmClusterNodeGetAsync",
		       api.clusterNodeGetAsync(bad, 1, SA_CLM_LOCAL_NODE_ID));
	expect_defined("saClmFinalize", api.finalize(bad));
	expect_defined("saClmInitialize_3", api.initialize_3(&handle, &callbacks_3, &version));
	expect_defined("saClmInitialize_4", api.initialize_4(&handle, &callbacks_4, &version_4));
	expect_defined("saClmClusterTrack_4", api.clusterTrack_4(bad, SA_TRACK_CURRENT, NULL));
	expect_defined("saClmClusterNodeGet_4",
		       api.clusterNodeGet_4(bad, SA_CLM_LOCAL_NODE_ID, SA_TIME_ONE_SECOND, &node_4));
	expect_defined("saClmClusterNotificationFree", api.clusterNotificationFree(bad, NULL));
	expect_defined("saClmClusterNotificationFree_4", api.clusterNotificationFree_4(bad, NULL));
	expect_defined("saClmResponse", api.response(bad, 1, SA_AIS_OK));
	expect_defined("saClmResponse_4", api.response_4(bad, 1, SA_CLM_CALLBACK_RESPONSE_OK));

	if (failures) {
		printf("clm_compile: %d call(s) returned an undefined error code\n", failures);
		return 1;
	}
	printf("clm_compile: ok\n");
	return 0;
}
