/*
 * The message benchmark: figures, not a test. One sender and one receiver of the queue
 * "safMq=bench"; the sender's synchronous saMsgMessageSend latency (p50, p99) and the
 * send->get rate, at each message size.
 *
 *   msg_bench [-n COUNT]            sender and receiver in one process (one node)
 *   msg_bench recv [-n COUNT]       the receiver alone (across nodes: msg-cluster.sh)
 *   msg_bench send [-n COUNT]       the sender alone
 *
 * Sizes: 64 B and 4 KiB. COUNT messages each (default 20000).
 */
#include <saMsg.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SEC SA_TIME_ONE_SECOND

static const size_t SIZES[] = {64, 4096};
static const char *QUEUE = "safMq=bench";

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static SaNameT name_of(const char *s)
{
	SaNameT n;
	memset(&n, 0, sizeof n);
	n.length = (SaUint16T)strlen(s);
	memcpy(n.value, s, n.length);
	return n;
}

static SaMsgHandleT init(void)
{
	SaMsgHandleT h;
	SaVersionT v = {'B', 3, 1};
	SaAisErrorT rc;
	int i;
	for (i = 0; i < 200; i++) {
		struct timespec t = {0, 50000000L};
		SaMsgQueueStatusT st;
		SaNameT none = name_of("safMq=none");
		v.releaseCode = 'B';
		v.majorVersion = 3;
		v.minorVersion = 1;
		rc = saMsgInitialize(&h, NULL, &v);
		if (rc == SA_AIS_OK && saMsgQueueStatusGet(h, &none, &st) != SA_AIS_ERR_TRY_AGAIN)
			return h;
		if (rc == SA_AIS_OK)
			saMsgFinalize(h);
		nanosleep(&t, NULL);
	}
	fprintf(stderr, "msg_bench: no executive\n");
	exit(1);
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

struct run {
	int count;
	size_t size;
};

static void *receive(void *arg)
{
	struct run *r = (struct run *)arg;
	SaMsgHandleT h = init();
	SaNameT q = name_of(QUEUE);
	SaMsgQueueCreationAttributesT a;
	SaMsgQueueHandleT qh;
	char *buf = (char *)malloc(r->size);
	size_t s;
	memset(&a, 0, sizeof a);
	a.size[0] = a.size[1] = a.size[2] = a.size[3] = 8 << 20;
	a.retentionTime = 0;
	if (saMsgQueueOpen(h, &q, &a, SA_MSG_QUEUE_CREATE | SA_MSG_QUEUE_EMPTY, 10 * SEC, &qh) != SA_AIS_OK) {
		fprintf(stderr, "msg_bench: open failed\n");
		exit(1);
	}
	for (s = 0; s < sizeof SIZES / sizeof SIZES[0]; s++) {
		int i;
		double t0 = 0;
		for (i = 0; i < r->count; i++) {
			SaMsgMessageT m;
			SaTimeT sent;
			SaMsgSenderIdT id;
			memset(&m, 0, sizeof m);
			m.data = buf;
			m.size = r->size;
			if (saMsgMessageGet(qh, &m, &sent, &id, 60 * SEC) != SA_AIS_OK) {
				fprintf(stderr, "msg_bench: get failed\n");
				exit(1);
			}
			if (i == 0)
				t0 = now_s();
		}
		printf("receive %5zu B: %d messages, %.0f msgs/s\n", SIZES[s], r->count,
		       (r->count - 1) / (now_s() - t0));
	}
	saMsgQueueClose(qh);
	saMsgFinalize(h);
	free(buf);
	return NULL;
}

static void send_all(int count)
{
	SaMsgHandleT h = init();
	SaNameT q = name_of(QUEUE);
	double *lat = (double *)malloc(sizeof(double) * (size_t)count);
	char *buf = (char *)calloc(1, 4096);
	size_t s;
	for (s = 0; s < sizeof SIZES / sizeof SIZES[0]; s++) {
		int i;
		double t0 = now_s();
		for (i = 0; i < count; i++) {
			SaMsgMessageT m;
			double t = now_s();
			SaAisErrorT rc;
			memset(&m, 0, sizeof m);
			m.data = buf;
			m.size = SIZES[s];
			m.priority = 1;
			while ((rc = saMsgMessageSend(h, &q, &m, 10 * SEC)) == SA_AIS_ERR_NOT_EXIST ||
			       rc == SA_AIS_ERR_TRY_AGAIN || rc == SA_AIS_ERR_QUEUE_FULL) {
				struct timespec p = {0, 1000000L};
				nanosleep(&p, NULL);
			}
			if (rc != SA_AIS_OK) {
				fprintf(stderr, "msg_bench: send failed: %d\n", (int)rc);
				exit(1);
			}
			lat[i] = now_s() - t;
		}
		qsort(lat, (size_t)count, sizeof lat[0], cmp);
		printf("send    %5zu B: %d messages, %.0f msgs/s, latency p50 %.1f us p99 %.1f us\n", SIZES[s],
		       count, count / (now_s() - t0), lat[count / 2] * 1e6, lat[count * 99 / 100] * 1e6);
	}
	saMsgFinalize(h);
	free(lat);
	free(buf);
}

int main(int argc, char **argv)
{
	struct run r;
	int a = 1;
	const char *mode = "both";
	r.count = 20000;
	r.size = 4096;
	if (a < argc && (strcmp(argv[a], "send") == 0 || strcmp(argv[a], "recv") == 0))
		mode = argv[a++];
	if (a + 1 < argc && strcmp(argv[a], "-n") == 0)
		r.count = atoi(argv[a + 1]);
	if (r.count < 2) {
		fprintf(stderr, "usage: %s [send|recv] [-n COUNT]\n", argv[0]);
		return 2;
	}
	if (strcmp(mode, "recv") == 0) {
		receive(&r);
	} else if (strcmp(mode, "send") == 0) {
		send_all(r.count);
	} else {
		pthread_t t;
		struct timespec p = {0, 300000000L};
		pthread_create(&t, NULL, receive, &r);
		nanosleep(&p, NULL);
		send_all(r.count);
		pthread_join(t, NULL);
	}
	return 0;
}
