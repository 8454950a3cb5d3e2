/*
 * The message service against a live executive, as an application uses <saMsg.h>: every
 * call of MSG B.03.01 and its error paths. Queues: create, BUSY for a second opener,
 * EXIST for other attributes, EMPTY, close keeping messages, status, retention, unlink.
 * Messages: send, QUEUE_FULL per priority area, get in priority order with the caller's
 * buffer and the library's (saMsgMessageDataFree), NO_SPACE, a blocking get woken by a
 * send from another thread, timing out, cancelled (INTERRUPT); async open and send with
 * their callbacks, the received callback. Queue groups, send-receive and reply and the
 * capacity thresholds are not implemented: SA_AIS_ERR_NOT_SUPPORTED.
 *
 *   msg_live                   the checks against the executive AIS_IPC_SOCKET names
 *
 * One FAIL line per failed check, a summary; exit status 0 when every check passed. The
 * comments cite SAI-AIS-MSG-B.03.01 by the function whose description defines the
 * behaviour. The file is C99 and C++: `make check` builds it both ways.
 */
#include <saMsg.h>

#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"

#define MS SA_TIME_ONE_MILLISECOND
#define SEC SA_TIME_ONE_SECOND

static SaNameT name_of(const char *s)
{
	SaNameT n;
	memset(&n, 0, sizeof n);
	n.length = (SaUint16T)strlen(s);
	memcpy(n.value, s, n.length);
	return n;
}

static SaMsgMessageT message(SaUint8T priority, const char *text)
{
	SaMsgMessageT m;
	memset(&m, 0, sizeof m);
	m.type = 7;
	m.version = 1;
	m.priority = priority;
	m.size = strlen(text);
	m.data = (void *)text;
	return m;
}

/* Callbacks: what arrived. */
static SaInvocationT opened_invocation, delivered_invocation;
static SaAisErrorT opened_error, delivered_error;
static SaMsgQueueHandleT opened_queue, received_queue;
static int opened_count, delivered_count, received_count;

static void on_open(SaInvocationT invocation, SaMsgQueueHandleT queue, SaAisErrorT error)
{
	opened_invocation = invocation;
	opened_queue = queue;
	opened_error = error;
	opened_count++;
}

static void on_delivered(SaInvocationT invocation, SaAisErrorT error)
{
	delivered_invocation = invocation;
	delivered_error = error;
	delivered_count++;
}

static void on_received(SaMsgQueueHandleT queue)
{
	received_queue = queue;
	received_count++;
}

/* Dispatches until `counter` reaches `want` (at most 5 s). */
static void dispatch_until(SaMsgHandleT h, const int *counter, int want)
{
	SaSelectionObjectT fd;
	int i;
	CHECK(saMsgSelectionObjectGet(h, &fd), SA_AIS_OK);
	for (i = 0; i < 500 && *counter < want; i++) {
		struct pollfd p;
		p.fd = (int)fd;
		p.events = POLLIN;
		p.revents = 0;
		if (poll(&p, 1, 10) > 0)
			CHECK(saMsgDispatch(h, SA_DISPATCH_ALL), SA_AIS_OK);
	}
	EXPECT(*counter >= want);
}

static void sleep_ms(long ms)
{
	struct timespec t;
	t.tv_sec = ms / 1000;
	t.tv_nsec = (ms % 1000) * 1000000L;
	nanosleep(&t, NULL);
}

/* saMsgInitialize, retried while the executive is starting (TRY_AGAIN). */
static SaAisErrorT init(SaMsgHandleT *h, const SaMsgCallbacksT *cb, SaVersionT *v)
{
	SaVersionT asked = *v;
	SaAisErrorT rc = SA_AIS_ERR_TRY_AGAIN;
	int tries;
	for (tries = 0; tries < 100 && rc == SA_AIS_ERR_TRY_AGAIN; tries++) {
		*v = asked;
		rc = saMsgInitialize(h, cb, v);
		if (rc == SA_AIS_ERR_TRY_AGAIN)
			sleep_ms(50);
	}
	return rc;
}

/* Waits until the queues are synchronised (the first sync round after start-up answers
 * TRY_AGAIN). */
static void settle(SaMsgHandleT h)
{
	SaNameT none = name_of("safMq=none");
	SaMsgQueueStatusT st;
	int tries;
	for (tries = 0; tries < 200; tries++) {
		if (saMsgQueueStatusGet(h, &none, &st) != SA_AIS_ERR_TRY_AGAIN)
			return;
		sleep_ms(50);
	}
}

struct sender {
	SaMsgHandleT h;
	const char *queue;
};

/* Sends one message after 200 ms: wakes a blocked get. */
static void *send_later(void *arg)
{
	struct sender *s = (struct sender *)arg;
	SaNameT q = name_of(s->queue);
	SaMsgMessageT m = message(1, "late");
	struct timespec t = {0, 200000000L};
	nanosleep(&t, NULL);
	CHECK(saMsgMessageSend(s->h, &q, &m, SEC), SA_AIS_OK);
	return NULL;
}

struct getter {
	SaMsgQueueHandleT q;
	SaAisErrorT result;
};

static void *get_blocked(void *arg)
{
	struct getter *g = (struct getter *)arg;
	SaMsgMessageT m;
	SaTimeT t;
	SaMsgSenderIdT id;
	memset(&m, 0, sizeof m);
	g->result = saMsgMessageGet(g->q, &m, &t, &id, SA_TIME_MAX);
	return NULL;
}

static void lifecycle(void)
{
	SaMsgHandleT h;
	SaVersionT v = {'B', 3, 1};
	SaVersionT old = {'A', 1, 1};
	SaMsgCallbacksT cb;
	SaSelectionObjectT fd;
	memset(&cb, 0, sizeof cb);
	/* saMsgInitialize: NULL arguments, versions. */
	CHECK(saMsgInitialize(NULL, &cb, &v), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saMsgInitialize(&h, &cb, NULL), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saMsgInitialize(&h, &cb, &old), SA_AIS_ERR_VERSION);
	EXPECT(old.releaseCode == 'B' && old.majorVersion == 3);
	CHECK(init(&h, NULL, &v), SA_AIS_OK);
	EXPECT(v.releaseCode == 'B' && v.majorVersion == 3 && v.minorVersion == 1);
	CHECK(saMsgSelectionObjectGet(h, NULL), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saMsgSelectionObjectGet(h, &fd), SA_AIS_OK);
	CHECK(saMsgDispatch(h, (SaDispatchFlagsT)9), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saMsgDispatch(h, SA_DISPATCH_ALL), SA_AIS_OK);
	CHECK(saMsgFinalize(h), SA_AIS_OK);
	CHECK(saMsgFinalize(h), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saMsgDispatch(h, SA_DISPATCH_ALL), SA_AIS_ERR_BAD_HANDLE);
	printf("initialize, selection object, dispatch, finalize: checked\n");
}

static void queues(SaMsgHandleT h, SaMsgHandleT other)
{
	SaNameT q = name_of("safMq=live");
	SaMsgQueueCreationAttributesT a;
	SaMsgQueueCreationAttributesT different;
	SaMsgQueueHandleT qh, qh2;
	SaMsgQueueStatusT st;
	SaTimeT retention = 5 * SEC;
	SaMsgMessageT m;
	memset(&a, 0, sizeof a);
	a.size[0] = a.size[1] = a.size[2] = a.size[3] = 64;
	a.retentionTime = 10 * SEC;
	different = a;
	different.size[2] = 32;

	/* saMsgQueueOpen: arguments, flags, creation. */
	CHECK(saMsgQueueOpen(h, NULL, &a, SA_MSG_QUEUE_CREATE, SEC, &qh), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saMsgQueueOpen(h, &q, &a, SA_MSG_QUEUE_CREATE, SEC, NULL), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saMsgQueueOpen(h, &q, &a, 0x10, SEC, &qh), SA_AIS_ERR_BAD_FLAGS);
	CHECK(saMsgQueueOpen(h, &q, NULL, SA_MSG_QUEUE_CREATE, SEC, &qh), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saMsgQueueOpen(h, &q, &a, 0, SEC, &qh), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saMsgQueueOpen(h, &q, NULL, 0, SEC, &qh), SA_AIS_ERR_NOT_EXIST);
	CHECK(saMsgQueueOpen(0, &q, &a, SA_MSG_QUEUE_CREATE, SEC, &qh), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saMsgQueueOpen(h, &q, &a, SA_MSG_QUEUE_RECEIVE_CALLBACK | SA_MSG_QUEUE_CREATE, SEC, &qh),
	      SA_AIS_ERR_INIT);
	CHECK(saMsgQueueOpen(h, &q, &a, SA_MSG_QUEUE_CREATE, SEC, &qh), SA_AIS_OK);
	/* One opener at a time. */
	CHECK(saMsgQueueOpen(other, &q, NULL, 0, SEC, &qh2), SA_AIS_ERR_BUSY);

	/* saMsgMessageSend: QUEUE_FULL when the priority area has no room. */
	m = message(4, "x");
	CHECK(saMsgMessageSend(h, &q, &m, SEC), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saMsgMessageSend(h, &q, NULL, SEC), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saMsgMessageSend(h, NULL, &m, SEC), SA_AIS_ERR_INVALID_PARAM);
	m = message(3, "low");
	CHECK(saMsgMessageSend(other, &q, &m, SEC), SA_AIS_OK);
	m = message(0, "high");
	CHECK(saMsgMessageSend(other, &q, &m, SEC), SA_AIS_OK);
	{
		char big[65];
		memset(big, 'b', 64);
		big[64] = 0;
		m = message(3, big);
		CHECK(saMsgMessageSend(other, &q, &m, SEC), SA_AIS_ERR_QUEUE_FULL);
	}

	/* saMsgQueueStatusGet. */
	CHECK(saMsgQueueStatusGet(h, &q, NULL), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saMsgQueueStatusGet(other, &q, &st), SA_AIS_OK);
	EXPECT(st.saMsgQueueUsage[0].numberOfMessages == 1 && st.saMsgQueueUsage[3].queueUsed == 3);
	EXPECT(st.saMsgQueueUsage[2].queueSize == 64 && st.retentionTime == 10 * SEC);

	/* saMsgQueueRetentionTimeSet. */
	CHECK(saMsgQueueRetentionTimeSet(qh, NULL), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saMsgQueueRetentionTimeSet(qh, &retention), SA_AIS_OK);
	CHECK(saMsgQueueStatusGet(h, &q, &st), SA_AIS_OK);
	EXPECT(st.retentionTime == 5 * SEC);

	/* saMsgQueueClose keeps the messages; another process opens it; EXIST for other
	 * attributes. */
	CHECK(saMsgQueueClose(qh), SA_AIS_OK);
	CHECK(saMsgQueueClose(qh), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saMsgQueueStatusGet(h, &q, &st), SA_AIS_OK);
	EXPECT(st.closeTime > 0 && st.saMsgQueueUsage[0].numberOfMessages == 1);
	CHECK(saMsgQueueOpen(other, &q, &different, SA_MSG_QUEUE_CREATE, SEC, &qh2), SA_AIS_ERR_EXIST);
	CHECK(saMsgQueueOpen(other, &q, NULL, 0, SEC, &qh2), SA_AIS_OK);
	{
		/* saMsgMessageGet: the highest priority first, the caller's buffer and the
		 * library's. */
		char buf[2];
		SaTimeT sent;
		SaMsgSenderIdT id;
		SaNameT sender;
		memset(&m, 0, sizeof m);
		m.data = buf;
		m.size = sizeof buf;
		CHECK(saMsgMessageGet(qh2, NULL, &sent, &id, 0), SA_AIS_ERR_INVALID_PARAM);
		CHECK(saMsgMessageGet(qh2, &m, &sent, &id, -1), SA_AIS_ERR_INVALID_PARAM);
		CHECK(saMsgMessageGet(qh2, &m, &sent, &id, 0), SA_AIS_ERR_NO_SPACE);
		EXPECT(m.size == 4);
		memset(&m, 0, sizeof m);
		m.senderName = &sender;
		CHECK(saMsgMessageGet(qh2, &m, &sent, &id, 0), SA_AIS_OK);
		EXPECT(m.size == 4 && memcmp(m.data, "high", 4) == 0 && m.priority == 0 && m.type == 7);
		EXPECT(sent > 0);
		CHECK(saMsgMessageDataFree(other, NULL), SA_AIS_ERR_INVALID_PARAM);
		CHECK(saMsgMessageDataFree(other, m.data), SA_AIS_OK);
		memset(&m, 0, sizeof m);
		CHECK(saMsgMessageGet(qh2, &m, &sent, &id, 0), SA_AIS_OK);
		EXPECT(m.size == 3 && memcmp(m.data, "low", 3) == 0 && m.priority == 3);
		CHECK(saMsgMessageDataFree(other, m.data), SA_AIS_OK);
		memset(&m, 0, sizeof m);
		CHECK(saMsgMessageGet(qh2, &m, &sent, &id, 0), SA_AIS_ERR_TIMEOUT);
		CHECK(saMsgMessageGet(qh2, &m, &sent, &id, 100 * MS), SA_AIS_ERR_TIMEOUT);
	}
	{
		/* A blocked get is woken by a send from another thread. */
		struct sender s;
		pthread_t t;
		SaTimeT sent;
		SaMsgSenderIdT id;
		s.h = h;
		s.queue = "safMq=live";
		pthread_create(&t, NULL, send_later, &s);
		memset(&m, 0, sizeof m);
		CHECK(saMsgMessageGet(qh2, &m, &sent, &id, 10 * SEC), SA_AIS_OK);
		EXPECT(m.size == 4 && memcmp(m.data, "late", 4) == 0);
		CHECK(saMsgMessageDataFree(other, m.data), SA_AIS_OK);
		pthread_join(t, NULL);
	}
	{
		/* saMsgMessageCancel: NOT_EXIST with no get blocked, INTERRUPT for one. */
		struct getter g;
		pthread_t t;
		struct timespec pause = {0, 200000000L};
		int i;
		CHECK(saMsgMessageCancel(qh2), SA_AIS_ERR_NOT_EXIST);
		g.q = qh2;
		g.result = SA_AIS_OK;
		pthread_create(&t, NULL, get_blocked, &g);
		nanosleep(&pause, NULL);
		for (i = 0; i < 50; i++) {
			SaAisErrorT e = saMsgMessageCancel(qh2);
			if (e == SA_AIS_OK)
				break;
			nanosleep(&pause, NULL);
		}
		pthread_join(t, NULL);
		EXPECT(g.result == SA_AIS_ERR_INTERRUPT);
	}
	/* saMsgQueueUnlink. */
	CHECK(saMsgQueueUnlink(h, NULL), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saMsgQueueUnlink(h, &q), SA_AIS_OK);
	CHECK(saMsgQueueStatusGet(h, &q, &st), SA_AIS_ERR_NOT_EXIST);
	CHECK(saMsgQueueUnlink(h, &q), SA_AIS_ERR_NOT_EXIST);
	CHECK(saMsgQueueClose(qh2), SA_AIS_OK);
	CHECK(saMsgQueueOpen(h, &q, NULL, 0, SEC, &qh), SA_AIS_ERR_NOT_EXIST);

	/* SA_MSG_QUEUE_EMPTY discards what the queue holds. */
	a.creationFlags = SA_MSG_QUEUE_PERSISTENT;
	CHECK(saMsgQueueOpen(h, &q, &a, SA_MSG_QUEUE_CREATE, SEC, &qh), SA_AIS_OK);
	CHECK(saMsgQueueRetentionTimeSet(qh, &retention), SA_AIS_ERR_BAD_OPERATION);
	m = message(2, "gone");
	CHECK(saMsgMessageSend(h, &q, &m, SEC), SA_AIS_OK);
	CHECK(saMsgQueueClose(qh), SA_AIS_OK);
	CHECK(saMsgQueueOpen(h, &q, NULL, SA_MSG_QUEUE_EMPTY, SEC, &qh), SA_AIS_OK);
	CHECK(saMsgQueueStatusGet(h, &q, &st), SA_AIS_OK);
	EXPECT(st.saMsgQueueUsage[2].numberOfMessages == 0 && st.creationFlags == SA_MSG_QUEUE_PERSISTENT);
	CHECK(saMsgQueueUnlink(h, &q), SA_AIS_OK);
	CHECK(saMsgQueueClose(qh), SA_AIS_OK);
	printf("queues and messages: checked\n");
}

static void callbacks(void)
{
	SaMsgHandleT h;
	SaVersionT v = {'B', 3, 1};
	SaMsgCallbacksT cb;
	SaNameT q = name_of("safMq=callbacks");
	SaMsgQueueCreationAttributesT a;
	SaMsgMessageT m;
	memset(&cb, 0, sizeof cb);
	cb.saMsgQueueOpenCallback = on_open;
	cb.saMsgMessageDeliveredCallback = on_delivered;
	cb.saMsgMessageReceivedCallback = on_received;
	memset(&a, 0, sizeof a);
	a.size[0] = a.size[1] = a.size[2] = a.size[3] = 8;
	CHECK(init(&h, &cb, &v), SA_AIS_OK);
	/* saMsgQueueOpenAsync: the callback gets the handle. */
	CHECK(saMsgQueueOpenAsync(h, 11, NULL, &a, SA_MSG_QUEUE_CREATE), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saMsgQueueOpenAsync(h, 11, &q, &a, SA_MSG_QUEUE_CREATE | SA_MSG_QUEUE_RECEIVE_CALLBACK), SA_AIS_OK);
	dispatch_until(h, &opened_count, 1);
	EXPECT(opened_invocation == 11 && opened_error == SA_AIS_OK && opened_queue != 0);
	/* saMsgMessageSendAsync with the delivered acknowledgement; the received callback. */
	m = message(1, "async");
	CHECK(saMsgMessageSendAsync(h, 12, &q, &m, 2), SA_AIS_ERR_BAD_FLAGS);
	CHECK(saMsgMessageSendAsync(h, 12, &q, &m, SA_MSG_MESSAGE_DELIVERED_ACK), SA_AIS_OK);
	dispatch_until(h, &delivered_count, 1);
	dispatch_until(h, &received_count, 1);
	EXPECT(delivered_invocation == 12 && delivered_error == SA_AIS_OK);
	EXPECT(received_queue == opened_queue);
	m = message(1, "too long");
	CHECK(saMsgMessageSendAsync(h, 13, &q, &m, SA_MSG_MESSAGE_DELIVERED_ACK), SA_AIS_OK);
	dispatch_until(h, &delivered_count, 2);
	EXPECT(delivered_invocation == 13 && delivered_error == SA_AIS_ERR_QUEUE_FULL);
	CHECK(saMsgQueueUnlink(h, &q), SA_AIS_OK);
	CHECK(saMsgFinalize(h), SA_AIS_OK);
	CHECK(saMsgQueueClose(opened_queue), SA_AIS_ERR_BAD_HANDLE);
	printf("callbacks: checked\n");
}

static void limits_and_unsupported(SaMsgHandleT h)
{
	SaLimitValueT lv;
	SaUint32T meta = 99;
	SaNameT g = name_of("safMqg=group");
	SaNameT q = name_of("safMq=x");
	SaMsgMessageT m = message(0, "x");
	SaMsgQueueThresholdsT th;
	SaTimeT t;
	SaMsgSenderIdT id = 0;
	/* saMsgLimitGet: real limits; the group and reply ones are not implemented. */
	CHECK(saMsgLimitGet(h, SA_MSG_MAX_NUM_QUEUES_ID, NULL), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saMsgLimitGet(h, SA_MSG_MAX_NUM_QUEUES_ID, &lv), SA_AIS_OK);
	EXPECT(lv.uint64Value > 0);
	CHECK(saMsgLimitGet(h, SA_MSG_MAX_MESSAGE_SIZE_ID, &lv), SA_AIS_OK);
	EXPECT(lv.uint64Value >= 65536);
	CHECK(saMsgLimitGet(h, SA_MSG_MAX_PRIORITY_AREA_SIZE_ID, &lv), SA_AIS_OK);
	CHECK(saMsgLimitGet(h, SA_MSG_MAX_QUEUE_SIZE_ID, &lv), SA_AIS_OK);
	CHECK(saMsgLimitGet(h, SA_MSG_MAX_REPLY_SIZE_ID, &lv), SA_AIS_ERR_NOT_SUPPORTED);
	CHECK(saMsgLimitGet(h, (SaMsgLimitIdT)99, &lv), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saMsgMetadataSizeGet(h, NULL), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saMsgMetadataSizeGet(h, &meta), SA_AIS_OK);
	EXPECT(meta == 0);
	CHECK(saMsgQueueGroupCreate(h, &g, SA_MSG_QUEUE_GROUP_ROUND_ROBIN), SA_AIS_ERR_NOT_SUPPORTED);
	CHECK(saMsgQueueGroupInsert(h, &g, &q), SA_AIS_ERR_NOT_SUPPORTED);
	CHECK(saMsgQueueGroupRemove(h, &g, &q), SA_AIS_ERR_NOT_SUPPORTED);
	CHECK(saMsgQueueGroupDelete(h, &g), SA_AIS_ERR_NOT_SUPPORTED);
	CHECK(saMsgQueueGroupTrack(h, &g, SA_TRACK_CURRENT, NULL), SA_AIS_ERR_NOT_SUPPORTED);
	CHECK(saMsgQueueGroupTrackStop(h, &g), SA_AIS_ERR_NOT_SUPPORTED);
	CHECK(saMsgQueueGroupNotificationFree(h, NULL), SA_AIS_ERR_NOT_SUPPORTED);
	CHECK(saMsgMessageSendReceive(h, &q, &m, &m, &t, SEC), SA_AIS_ERR_NOT_SUPPORTED);
	CHECK(saMsgMessageReply(h, &m, &id, SEC), SA_AIS_ERR_NOT_SUPPORTED);
	CHECK(saMsgMessageReplyAsync(h, 1, &m, &id, 0), SA_AIS_ERR_NOT_SUPPORTED);
	CHECK(saMsgQueueCapacityThresholdsSet(1, &th), SA_AIS_ERR_NOT_SUPPORTED);
	CHECK(saMsgQueueCapacityThresholdsGet(1, &th), SA_AIS_ERR_NOT_SUPPORTED);
	printf("limits and the calls not implemented: checked\n");
}

int main(void)
{
	SaMsgHandleT h, other;
	SaVersionT v = {'B', 3, 1};
	lifecycle();
	CHECK(init(&h, NULL, &v), SA_AIS_OK);
	CHECK(init(&other, NULL, &v), SA_AIS_OK);
	settle(h);
	queues(h, other);
	limits_and_unsupported(h);
	CHECK(saMsgFinalize(h), SA_AIS_OK);
	CHECK(saMsgFinalize(other), SA_AIS_OK);
	callbacks();
	printf("msg_live: %d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
