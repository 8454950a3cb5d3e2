/* What saClmClusterNodeGet (B.01.01, the version SAFTest's CLM driver asks for) reports
 * for each node id given, one line each, in the form read-cluster.rb prints the
 * DISPLAY_CLUSTER XML, so that the two can be compared as text:
 *   ID NAME MEMBER BOOT_TIMESTAMP INITIAL_VIEW FAMILY LENGTH VALUE
 * A node the call does not find prints "ID absent". */
#include <saClm.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
	SaVersionT v = {'B', 1, 1};
	SaClmCallbacksT cb = {NULL, NULL};
	SaClmHandleT h;
	SaClmClusterNodeT n;
	SaAisErrorT rc;
	int i, tries;

	for (tries = 0; tries < 100; tries++) {
		rc = saClmInitialize(&h, &cb, &v);
		if (rc != SA_AIS_ERR_TRY_AGAIN)
			break;
		nanosleep(&(struct timespec){0, 50000000}, NULL);
	}
	if (rc != SA_AIS_OK)
		return fprintf(stderr, "clm_nodes: saClmInitialize: %d\n", (int)rc), 1;
	for (i = 1; i < argc; i++) {
		SaClmNodeIdT id = (SaClmNodeIdT)strtoul(argv[i], NULL, 10);
		for (tries = 0; tries < 100; tries++) {
			rc = saClmClusterNodeGet(h, id, SA_TIME_ONE_SECOND, &n);
			if (rc != SA_AIS_ERR_TRY_AGAIN)
				break;
			nanosleep(&(struct timespec){0, 50000000}, NULL);
		}
		if (rc == SA_AIS_ERR_NOT_EXIST) {
			printf("%u absent\n", (unsigned)id);
			continue;
		}
		if (rc != SA_AIS_OK)
			return fprintf(stderr, "clm_nodes: saClmClusterNodeGet(%u): %d\n", (unsigned)id, (int)rc), 1;
		printf("%u %.*s %s %lld %llu %s %u %.*s\n", (unsigned)n.nodeId, (int)n.nodeName.length,
		       (const char *)n.nodeName.value, n.member ? "TRUE" : "FALSE", (long long)n.bootTimestamp,
		       (unsigned long long)n.initialViewNumber,
		       n.nodeAddress.family == SA_CLM_AF_INET6 ? "SA_CLM_AF_INET6" : "SA_CLM_AF_INET",
		       (unsigned)n.nodeAddress.length, (int)n.nodeAddress.length, (const char *)n.nodeAddress.value);
	}
	saClmFinalize(h);
	return 0;
}
