/*
 * Round trip of saClmClusterNodeGet(SA_CLM_LOCAL_NODE_ID): the library asks
 * the local executive, which answers from its replica. Prints p50, p99 and
 * the mean over N calls (default 100000). A figure, never a verdict.
 *   clm_bench [N]
 */
#include <saClm.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static int cmp(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return (x > y) - (x < y);
}

static long long now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000, i;
	SaVersionT v = {'B', 1, 1};
	SaClmHandleT h;
	SaClmClusterNodeT node;
	long long *lat, total = 0;
	SaAisErrorT rc;
	int tries;

	if (n < 100)
		n = 100;
	for (tries = 0; (rc = saClmInitialize(&h, NULL, &v)) == SA_AIS_ERR_TRY_AGAIN && tries < 100; tries++)
		nanosleep(&(struct timespec){0, 50000000}, NULL);
	if (rc != SA_AIS_OK) {
		fprintf(stderr, "saClmInitialize: %d\n", (int)rc);
		return 1;
	}
	for (tries = 0; tries < 100; tries++) {
		rc = saClmClusterNodeGet(h, SA_CLM_LOCAL_NODE_ID, SA_TIME_ONE_SECOND, &node);
		if (rc != SA_AIS_ERR_TRY_AGAIN)
			break;
		nanosleep(&(struct timespec){0, 50000000}, NULL);
	}
	lat = malloc(sizeof *lat * (size_t)n);
	if (!lat)
		return 1;
	for (i = 0; i < 1000; i++) /* warm up */
		saClmClusterNodeGet(h, SA_CLM_LOCAL_NODE_ID, SA_TIME_ONE_SECOND, &node);
	for (i = 0; i < n; i++) {
		long long t0 = now_ns();
		rc = saClmClusterNodeGet(h, SA_CLM_LOCAL_NODE_ID, SA_TIME_ONE_SECOND, &node);
		lat[i] = now_ns() - t0;
		total += lat[i];
		if (rc != SA_AIS_OK) {
			fprintf(stderr, "saClmClusterNodeGet: %d\n", (int)rc);
			return 1;
		}
	}
	qsort(lat, (size_t)n, sizeof *lat, cmp);
	printf("saClmClusterNodeGet(LOCAL) round trip over %ld calls: p50 %.1f us, p99 %.1f us, mean %.1f us\n",
	       n, lat[n / 2] / 1000.0, lat[n * 99 / 100] / 1000.0, (double)total / n / 1000.0);
	saClmFinalize(h);
	free(lat);
	return 0;
}
