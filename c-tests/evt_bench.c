/*
 * Event service benchmark: published->delivered events per second and publish->deliver
 * latency, through libSaEvt as an application uses it. Figures, not a test.
 *
 *   evt_bench [-n EVENTS] [-s SIZE] [-k SUBSCRIBERS] [-p PUB_SOCKET] [-q SUB_SOCKET]
 *
 * One publisher thread and K subscriber threads, each with its own handle (the publisher
 * on PUB_SOCKET, the subscribers on SUB_SOCKET: two executives of one cluster; both
 * default to AIS_IPC_SOCKET). Throughput: the publisher publishes EVENTS events of SIZE
 * bytes (one pattern) as fast as the executive takes them; the figure is events
 * delivered to each subscriber per second, from the first publish to the last delivery.
 * Latency: then 2,000 events one at a time, each delivered before the next is published;
 * p50/p99 of the time from the call to saEvtEventPublish to the deliver callback.
 */
#include <saEvt.h>

#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_SUBS 64
#define LAT_EVENTS 2000

static long events = 100000, size = 64, subs = 1;
static const char *pub_socket, *sub_socket;

static long long now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static SaNameT channel_name(void)
{
	SaNameT n;
	memset(&n, 0, sizeof n);
	n.length = 9;
	memcpy(n.value, "evt_bench", 9);
	return n;
}

/* A subscriber's tally, written by its deliver callback. */
struct sub {
	SaEvtHandleT h;
	long got;
	long long last;
	long long *lat;
	long n_lat;
	int measuring;
};
static struct sub tally[MAX_SUBS];
static __thread struct sub *me;
static volatile int ready_subs, stop;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void deliver(SaEvtSubscriptionIdT id, SaEvtEventHandleT e, SaSizeT len)
{
	long long sent = 0;
	char *all = (char *)malloc(len ? len : 1);
	SaSizeT n = len;
	(void)id;
	if (all && saEvtEventDataGet(e, all, &n) == SA_AIS_OK && n >= sizeof sent)
		memcpy(&sent, all, sizeof sent);
	free(all);
	saEvtEventFree(e);
	me->got++;
	me->last = now_ns();
	if (me->measuring && me->n_lat < LAT_EVENTS)
		me->lat[me->n_lat++] = me->last - sent;
}

static void sleep_us(long us)
{
	struct timespec t;
	t.tv_sec = us / 1000000;
	t.tv_nsec = (us % 1000000) * 1000L;
	nanosleep(&t, NULL);
}

static SaEvtHandleT init_on(const char *socket, SaEvtCallbacksT *cb)
{
	SaEvtHandleT h = 0;
	SaVersionT v;
	SaAisErrorT rc;
	int tries;
	pthread_mutex_lock(&lock);
	if (socket)
		setenv("AIS_IPC_SOCKET", socket, 1);
	for (tries = 0; tries < 100; tries++) {
		v.releaseCode = 'B';
		v.majorVersion = 3;
		v.minorVersion = 1;
		rc = saEvtInitialize(&h, cb, &v);
		if (rc != SA_AIS_ERR_TRY_AGAIN)
			break;
		sleep_us(50000);
	}
	pthread_mutex_unlock(&lock);
	if (rc != SA_AIS_OK) {
		fprintf(stderr, "evt_bench: saEvtInitialize: %d\n", (int)rc);
		exit(1);
	}
	return h;
}

static SaEvtChannelHandleT open_on(SaEvtHandleT h, SaEvtChannelOpenFlagsT flags)
{
	SaNameT n = channel_name();
	SaEvtChannelHandleT c = 0;
	SaAisErrorT rc = SA_AIS_ERR_TRY_AGAIN;
	while (rc == SA_AIS_ERR_TRY_AGAIN) {
		rc = saEvtChannelOpen(h, &n, flags, 5 * SA_TIME_ONE_SECOND, &c);
		if (rc == SA_AIS_ERR_TRY_AGAIN)
			sleep_us(100000);
	}
	if (rc != SA_AIS_OK) {
		fprintf(stderr, "evt_bench: saEvtChannelOpen: %d\n", (int)rc);
		exit(1);
	}
	return c;
}

static void *subscriber(void *arg)
{
	SaEvtCallbacksT cb;
	SaEvtEventFilterT f;
	SaEvtEventFilterArrayT fa;
	SaSelectionObjectT sel;
	struct pollfd p;
	me = (struct sub *)arg;
	cb.saEvtChannelOpenCallback = NULL;
	cb.saEvtEventDeliverCallback = deliver;
	me->h = init_on(sub_socket, &cb);
	f.filterType = SA_EVT_PREFIX_FILTER;
	f.filter.allocatedSize = f.filter.patternSize = 5;
	f.filter.pattern = (SaUint8T *)"bench";
	fa.filtersNumber = 1;
	fa.filters = &f;
	if (saEvtEventSubscribe(open_on(me->h, SA_EVT_CHANNEL_CREATE | SA_EVT_CHANNEL_SUBSCRIBER), &fa, 1) !=
	    SA_AIS_OK)
		exit(1);
	saEvtSelectionObjectGet(me->h, &sel);
	__sync_fetch_and_add(&ready_subs, 1);
	p.fd = (int)sel;
	p.events = POLLIN;
	while (!stop) {
		if (poll(&p, 1, 100) == 1)
			saEvtDispatch(me->h, SA_DISPATCH_ALL);
	}
	saEvtFinalize(me->h);
	return NULL;
}

static void publish(SaEvtEventHandleT e, char *data)
{
	SaEvtEventIdT id;
	SaAisErrorT rc;
	long long t = now_ns();
	memcpy(data, &t, sizeof t);
	while ((rc = saEvtEventPublish(e, data, (SaSizeT)size, &id)) == SA_AIS_ERR_TRY_AGAIN)
		sleep_us(100);
	if (rc != SA_AIS_OK) {
		fprintf(stderr, "evt_bench: saEvtEventPublish: %d\n", (int)rc);
		exit(1);
	}
}

static long total_got(void)
{
	long i, n = 0;
	for (i = 0; i < subs; i++)
		n += tally[i].got;
	return n;
}

static int by_value(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	pthread_t th[MAX_SUBS];
	SaEvtCallbacksT none;
	SaEvtHandleT h;
	SaEvtEventHandleT e;
	SaEvtEventPatternT pat;
	SaEvtEventPatternArrayT pa;
	long long start, end, *all;
	long i, n_all = 0, want;
	char *data;
	int opt;
	while ((opt = getopt(argc, argv, "n:s:k:p:q:")) != -1) {
		switch (opt) {
		case 'n': events = atol(optarg); break;
		case 's': size = atol(optarg); break;
		case 'k': subs = atol(optarg); break;
		case 'p': pub_socket = optarg; break;
		case 'q': sub_socket = optarg; break;
		default:
			fprintf(stderr, "usage: evt_bench [-n EVENTS] [-s SIZE] [-k SUBS] [-p SOCKET] [-q SOCKET]\n");
			return 2;
		}
	}
	if (subs < 1 || subs > MAX_SUBS || size < 8 || size > SA_EVT_DATA_MAX_LEN)
		return 2;
	for (i = 0; i < subs; i++) {
		tally[i].lat = (long long *)calloc(LAT_EVENTS, sizeof(long long));
		pthread_create(&th[i], NULL, subscriber, &tally[i]);
	}
	while (ready_subs < subs)
		sleep_us(10000);
	memset(&none, 0, sizeof none);
	h = init_on(pub_socket, &none);
	if (saEvtEventAllocate(open_on(h, SA_EVT_CHANNEL_CREATE | SA_EVT_CHANNEL_PUBLISHER), &e) != SA_AIS_OK)
		return 1;
	pat.allocatedSize = pat.patternSize = 5;
	pat.pattern = (SaUint8T *)"bench";
	pa.allocatedNumber = pa.patternsNumber = 1;
	pa.patterns = &pat;
	saEvtEventAttributesSet(e, &pa, 1, 0, NULL);
	data = (char *)calloc(1, (size_t)size);

	/* Throughput. */
	start = now_ns();
	for (i = 0; i < events; i++)
		publish(e, data);
	want = events * subs;
	end = now_ns() + 30000000000LL;
	while (total_got() < want && now_ns() < end)
		sleep_us(1000);
	end = 0;
	for (i = 0; i < subs; i++)
		if (tally[i].last > end)
			end = tally[i].last;
	printf("evt_bench: %ld B, %ld subscriber(s): %ld of %ld delivered, %.0f events/s per subscriber\n", size,
	       subs, total_got(), want, (double)total_got() / subs / ((double)(end - start) / 1e9));

	/* Latency, one event at a time. */
	for (i = 0; i < subs; i++) {
		tally[i].got = 0;
		tally[i].measuring = 1;
	}
	for (i = 0; i < LAT_EVENTS; i++) {
		long long wait_until = now_ns() + 1000000000LL;
		publish(e, data);
		while (total_got() < (i + 1) * subs && now_ns() < wait_until)
			;
	}
	all = (long long *)calloc((size_t)(LAT_EVENTS * subs), sizeof(long long));
	for (i = 0; i < subs; i++) {
		memcpy(all + n_all, tally[i].lat, (size_t)tally[i].n_lat * sizeof(long long));
		n_all += tally[i].n_lat;
	}
	qsort(all, (size_t)n_all, sizeof(long long), by_value);
	if (n_all > 0)
		printf("evt_bench: %ld B, %ld subscriber(s): publish->deliver p50 %.1f us, p99 %.1f us (%ld events)\n",
		       size, subs, all[n_all / 2] / 1e3, all[n_all * 99 / 100] / 1e3, n_all);
	stop = 1;
	for (i = 0; i < subs; i++)
		pthread_join(th[i], NULL);
	saEvtFinalize(h);
	return 0;
}
