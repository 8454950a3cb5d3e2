/*
 * The pieces of the three-executive MSG test (c-tests/msg-cluster.sh), each a client of
 * the executive AIS_IPC_SOCKET names:
 *
 *   msg_failover hold NAME DIR COUNT   creates queue NAME, writes DIR/opened, waits for
 *                                      DIR/go, gets COUNT messages (printed one a line
 *                                      to DIR/got), then keeps the queue open until
 *                                      its executive goes away
 *   msg_failover send NAME PRIORITY PREFIX COUNT
 *                                      sends PREFIX-0 .. PREFIX-(COUNT-1); prints each
 *                                      acknowledged one
 *   msg_failover drain NAME SECS       opens NAME (retrying while it is BUSY, for up to
 *                                      SECS), prints every message it holds, in order
 *
 * Exit status 0 when every call answered as it should.
 */
#include <saMsg.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SEC SA_TIME_ONE_SECOND

static void sleep_ms(long ms)
{
	struct timespec t;
	t.tv_sec = ms / 1000;
	t.tv_nsec = (ms % 1000) * 1000000L;
	nanosleep(&t, NULL);
}

static SaNameT name_of(const char *s)
{
	SaNameT n;
	memset(&n, 0, sizeof n);
	n.length = (SaUint16T)strlen(s);
	memcpy(n.value, s, n.length);
	return n;
}

/* A call retried while the executive answers TRY_AGAIN (starting, re-synchronising). */
#define RETRY(rc, call)                                                       \
	do {                                                                  \
		int tries_;                                                   \
		for (tries_ = 0; tries_ < 400; tries_++) {                    \
			(rc) = (call);                                        \
			if ((rc) != SA_AIS_ERR_TRY_AGAIN)                     \
				break;                                        \
			sleep_ms(50);                                         \
		}                                                             \
	} while (0)

static SaMsgHandleT init(void)
{
	SaMsgHandleT h;
	SaVersionT v = {'B', 3, 1};
	SaAisErrorT rc;
	RETRY(rc, saMsgInitialize(&h, NULL, &v));
	if (rc != SA_AIS_OK) {
		fprintf(stderr, "saMsgInitialize: %d\n", (int)rc);
		exit(1);
	}
	return h;
}

/* Every message the queue holds, one a line. */
static int print_all(SaMsgQueueHandleT q, SaMsgHandleT h, FILE *out, int count)
{
	int n = 0;
	for (;;) {
		SaMsgMessageT m;
		SaTimeT sent;
		SaMsgSenderIdT id;
		SaAisErrorT rc;
		memset(&m, 0, sizeof m);
		RETRY(rc, saMsgMessageGet(q, &m, &sent, &id, count < 0 ? 0 : 10 * SEC));
		if (rc == SA_AIS_ERR_TIMEOUT && count < 0)
			return 0;
		if (rc != SA_AIS_OK) {
			fprintf(stderr, "saMsgMessageGet: %d\n", (int)rc);
			return 1;
		}
		fprintf(out, "%.*s\n", (int)m.size, (const char *)m.data);
		fflush(out);
		saMsgMessageDataFree(h, m.data);
		if (++n == count)
			return 0;
	}
}

static int hold(const char *name, const char *dir, int count)
{
	SaMsgHandleT h = init();
	SaNameT q = name_of(name);
	SaMsgQueueCreationAttributesT a;
	SaMsgQueueHandleT qh;
	SaAisErrorT rc;
	char path[4096];
	FILE *f;
	memset(&a, 0, sizeof a);
	a.size[0] = a.size[1] = a.size[2] = a.size[3] = 1 << 16;
	a.retentionTime = 600 * SEC;
	RETRY(rc, saMsgQueueOpen(h, &q, &a, SA_MSG_QUEUE_CREATE, 10 * SEC, &qh));
	if (rc != SA_AIS_OK) {
		fprintf(stderr, "saMsgQueueOpen: %d\n", (int)rc);
		return 1;
	}
	snprintf(path, sizeof path, "%s/opened", dir);
	f = fopen(path, "w");
	if (f)
		fclose(f);
	snprintf(path, sizeof path, "%s/go", dir);
	while (access(path, F_OK) != 0)
		sleep_ms(20);
	snprintf(path, sizeof path, "%s/got", dir);
	f = fopen(path, "w");
	if (!f || print_all(qh, h, f, count))
		return 1;
	fclose(f);
	/* Holds the queue open until the executive goes away. */
	for (;;) {
		SaMsgQueueStatusT st;
		rc = saMsgQueueStatusGet(h, &q, &st);
		if (rc == SA_AIS_ERR_LIBRARY || rc == SA_AIS_ERR_BAD_HANDLE)
			return 0;
		sleep_ms(200);
	}
}

static int send(const char *name, int priority, const char *prefix, int count)
{
	SaMsgHandleT h = init();
	SaNameT q = name_of(name);
	int i;
	for (i = 0; i < count; i++) {
		char text[128];
		SaMsgMessageT m;
		SaAisErrorT rc;
		snprintf(text, sizeof text, "%s-%d", prefix, i);
		memset(&m, 0, sizeof m);
		m.priority = (SaUint8T)priority;
		m.size = strlen(text);
		m.data = text;
		RETRY(rc, saMsgMessageSend(h, &q, &m, 10 * SEC));
		if (rc != SA_AIS_OK) {
			fprintf(stderr, "saMsgMessageSend %s: %d\n", text, (int)rc);
			return 1;
		}
		printf("%s\n", text);
	}
	return saMsgFinalize(h) == SA_AIS_OK ? 0 : 1;
}

static int drain(const char *name, int secs)
{
	SaMsgHandleT h = init();
	SaNameT q = name_of(name);
	SaMsgQueueHandleT qh;
	SaAisErrorT rc = SA_AIS_ERR_BUSY;
	int i;
	for (i = 0; i < secs * 10 && (rc == SA_AIS_ERR_BUSY || rc == SA_AIS_ERR_TRY_AGAIN); i++) {
		rc = saMsgQueueOpen(h, &q, NULL, 0, 10 * SEC, &qh);
		if (rc != SA_AIS_OK)
			sleep_ms(100);
	}
	if (rc != SA_AIS_OK) {
		fprintf(stderr, "saMsgQueueOpen: %d\n", (int)rc);
		return 1;
	}
	if (print_all(qh, h, stdout, -1))
		return 1;
	return saMsgQueueClose(qh) == SA_AIS_OK && saMsgFinalize(h) == SA_AIS_OK ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[1], "hold") == 0)
		return hold(argv[2], argv[3], atoi(argv[4]));
	if (argc == 6 && strcmp(argv[1], "send") == 0)
		return send(argv[2], atoi(argv[3]), argv[4], atoi(argv[5]));
	if (argc == 4 && strcmp(argv[1], "drain") == 0)
		return drain(argv[2], atoi(argv[3]));
	fprintf(stderr, "usage: %s hold NAME DIR COUNT | send NAME PRIORITY PREFIX COUNT | drain NAME SECS\n",
		argv[0]);
	return 2;
}
