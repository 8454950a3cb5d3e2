/*
 * The event service against a live executive, as an application uses <saEvt.h>: every
 * call of EVT B.01.01 and B.03.01 and its error paths, the four filter types, priority
 * order, retention and its clear, unlink, and the overflow of a subscriber that does not
 * read (the lost event).
 *
 *   evt_live                          the checks against the executive AIS_IPC_SOCKET names
 *   evt_live sub CHANNEL COUNT READY  subscribe, touch READY, print the data of COUNT events
 *   evt_live pub CHANNEL PREFIX COUNT publish COUNT events "PREFIX-i"
 *   evt_live keep CHANNEL DATA SECS   publish one event retained SECS seconds
 *   evt_live kept CHANNEL DATA        a new subscription receives that retained event
 *
 * One line per group of checks, a FAIL line per failed check, a summary; exit status 0
 * when every check passed. The comments cite SAI-AIS-EVT-B.01.01 (and B.03.01 for its
 * two calls) by the function whose description and return values define the behaviour;
 * where the spec leaves it open, openais's libSaEvt.
 *
 * The file is C99 and C++: `make check` builds it both ways.
 */
#include <saEvt.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"

#define GROUP(title, body)                       \
	do {                                             \
		int before_ = failures;                  \
		body;                                    \
		printf("%-60s %s\n", title, failures == before_ ? "ok" : "FAILED"); \
	} while (0)

#define SEC SA_TIME_ONE_SECOND

static void sleep_ms(long ms)
{
	struct timespec t;
	t.tv_sec = ms / 1000;
	t.tv_nsec = (ms % 1000) * 1000000L;
	nanosleep(&t, NULL);
}

static SaVersionT version(char release, int major, int minor)
{
	SaVersionT v;
	v.releaseCode = (SaUint8T)release;
	v.majorVersion = (SaUint8T)major;
	v.minorVersion = (SaUint8T)minor;
	return v;
}

static SaNameT name_of(const char *s)
{
	SaNameT n;
	memset(&n, 0, sizeof n);
	n.length = (SaUint16T)strlen(s);
	memcpy(n.value, s, n.length);
	return n;
}

/* ---- what the callbacks saw ---- */

#define MAX_SEEN 2048
static struct {
	SaEvtSubscriptionIdT sub;
	SaEvtEventHandleT event;
	SaSizeT size;
} seen[MAX_SEEN];
static int n_seen;
static int keep_events; /* 0: the callback frees each event after noting it */

static SaInvocationT opened_invocation;
static SaEvtChannelHandleT opened_channel;
static SaAisErrorT opened_error;
static int n_opened;

static void on_deliver(SaEvtSubscriptionIdT sub, SaEvtEventHandleT event, SaSizeT size)
{
	if (n_seen < MAX_SEEN) {
		seen[n_seen].sub = sub;
		seen[n_seen].event = event;
		seen[n_seen].size = size;
	}
	n_seen++;
	if (!keep_events)
		saEvtEventFree(event);
}

static void on_opened(SaInvocationT invocation, SaEvtChannelHandleT channel, SaAisErrorT error)
{
	opened_invocation = invocation;
	opened_channel = channel;
	opened_error = error;
	n_opened++;
}

static SaAisErrorT init(SaEvtHandleT *h, const SaEvtCallbacksT *cb, SaVersionT *v)
{
	SaVersionT asked = *v;
	SaAisErrorT rc = SA_AIS_ERR_TRY_AGAIN;
	int tries;
	for (tries = 0; tries < 100 && rc == SA_AIS_ERR_TRY_AGAIN; tries++) {
		*v = asked;
		rc = saEvtInitialize(h, cb, v);
		if (rc == SA_AIS_ERR_TRY_AGAIN)
			sleep_ms(50);
	}
	return rc;
}

static SaEvtCallbacksT both_callbacks(void)
{
	SaEvtCallbacksT cb;
	cb.saEvtChannelOpenCallback = on_opened;
	cb.saEvtEventDeliverCallback = on_deliver;
	return cb;
}

/* A B.03.01 handle with both callbacks. */
static SaEvtHandleT handle(int major)
{
	SaEvtHandleT h = 0;
	SaEvtCallbacksT cb = both_callbacks();
	SaVersionT v = version('B', major, 1);
	CHECK(init(&h, &cb, &v), SA_AIS_OK);
	return h;
}

/* saEvtChannelOpen, waiting out the executive's first synchronisation. */
static SaAisErrorT open_channel(SaEvtHandleT h, const char *name, SaEvtChannelOpenFlagsT flags,
				SaEvtChannelHandleT *c)
{
	SaNameT n = name_of(name);
	SaAisErrorT rc = SA_AIS_ERR_TRY_AGAIN;
	int tries;
	for (tries = 0; tries < 100 && rc == SA_AIS_ERR_TRY_AGAIN; tries++) {
		rc = saEvtChannelOpen(h, &n, flags, 5 * SEC, c);
		if (rc == SA_AIS_ERR_TRY_AGAIN)
			sleep_ms(100);
	}
	return rc;
}

/* Waits up to `ms` for a callback on the handle's selection object, then dispatches
   with `flags`. */
static SaAisErrorT dispatch_with(SaEvtHandleT h, int ms, SaDispatchFlagsT flags)
{
	SaSelectionObjectT sel = 0;
	struct pollfd p;
	SaAisErrorT rc = saEvtSelectionObjectGet(h, &sel);
	if (rc != SA_AIS_OK)
		return rc;
	p.fd = (int)sel;
	p.events = POLLIN;
	p.revents = 0;
	if (poll(&p, 1, ms) != 1)
		return SA_AIS_ERR_TIMEOUT;
	return saEvtDispatch(h, flags);
}

/* Runs one callback, waiting up to `ms` for it. */
static SaAisErrorT dispatch_one(SaEvtHandleT h, int ms)
{
	return dispatch_with(h, ms, SA_DISPATCH_ONE);
}

/* Dispatches until `n_seen` reaches `want` or nothing comes for `ms`. */
static void dispatch_until(SaEvtHandleT h, int want, int ms)
{
	while (n_seen < want && dispatch_one(h, ms) == SA_AIS_OK)
		;
}

static SaAisErrorT subscribe(SaEvtChannelHandleT c, SaEvtSubscriptionIdT id, SaEvtEventFilterTypeT type,
			     const char *pattern)
{
	SaEvtEventFilterT f;
	SaEvtEventFilterArrayT a;
	f.filterType = type;
	f.filter.allocatedSize = strlen(pattern);
	f.filter.patternSize = strlen(pattern);
	f.filter.pattern = (SaUint8T *)pattern;
	a.filtersNumber = 1;
	a.filters = &f;
	return saEvtEventSubscribe(c, &a, id);
}

/* Publishes `data` with one pattern on the channel. */
static SaAisErrorT publish(SaEvtChannelHandleT c, const char *pattern, SaEvtEventPriorityT priority,
			   SaTimeT retention, const char *data, SaEvtEventIdT *id)
{
	SaEvtEventHandleT e;
	SaEvtEventPatternT p;
	SaEvtEventPatternArrayT a;
	SaNameT publisher = name_of("evt_live");
	SaAisErrorT rc = saEvtEventAllocate(c, &e);
	if (rc != SA_AIS_OK)
		return rc;
	p.allocatedSize = strlen(pattern);
	p.patternSize = strlen(pattern);
	p.pattern = (SaUint8T *)pattern;
	a.allocatedNumber = 1;
	a.patternsNumber = 1;
	a.patterns = &p;
	rc = saEvtEventAttributesSet(e, &a, priority, retention, &publisher);
	if (rc == SA_AIS_OK) {
		do {
			rc = saEvtEventPublish(e, data, strlen(data), id);
			if (rc == SA_AIS_ERR_TRY_AGAIN)
				sleep_ms(10);
		} while (rc == SA_AIS_ERR_TRY_AGAIN);
	}
	saEvtEventFree(e);
	return rc;
}

/* The data of a received event, as a string. */
static void data_of(SaEvtEventHandleT e, char *buf, size_t len)
{
	SaSizeT size = len - 1;
	memset(buf, 0, len);
	CHECK(saEvtEventDataGet(e, buf, &size), SA_AIS_OK);
}

/* ---- the checks ---- */

/* saEvtInitialize: B.1 is granted B.1.1, B.3 B.3.1; other majors and release codes are
   SA_AIS_ERR_VERSION with a supported version written back; NULL arguments. */
static void checks_initialize(void)
{
	SaEvtHandleT h;
	SaEvtCallbacksT cb = both_callbacks();
	SaVersionT v = version('B', 1, 0);
	CHECK(init(&h, &cb, &v), SA_AIS_OK);
	EXPECT(v.releaseCode == 'B' && v.majorVersion == 1 && v.minorVersion == 1);
	CHECK(saEvtFinalize(h), SA_AIS_OK);
	CHECK(saEvtFinalize(h), SA_AIS_ERR_BAD_HANDLE);
	v = version('B', 3, 0);
	CHECK(init(&h, NULL, &v), SA_AIS_OK);
	EXPECT(v.majorVersion == 3 && v.minorVersion == 1);
	CHECK(saEvtFinalize(h), SA_AIS_OK);
	v = version('B', 2, 1);
	CHECK(saEvtInitialize(&h, &cb, &v), SA_AIS_ERR_VERSION);
	EXPECT(v.majorVersion == 1 && v.minorVersion == 1);
	v = version('B', 4, 1);
	CHECK(saEvtInitialize(&h, &cb, &v), SA_AIS_ERR_VERSION);
	EXPECT(v.majorVersion == 3);
	v = version('A', 1, 1);
	CHECK(saEvtInitialize(&h, &cb, &v), SA_AIS_ERR_VERSION);
	v = version('B', 1, 1);
	CHECK(saEvtInitialize(NULL, &cb, &v), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saEvtInitialize(&h, &cb, NULL), SA_AIS_ERR_INVALID_PARAM);
}

/* saEvtSelectionObjectGet, saEvtDispatch: NULL, bad flags, bad handles. */
static void checks_selection_and_dispatch(void)
{
	SaEvtHandleT h = handle(3);
	SaSelectionObjectT sel;
	CHECK(saEvtSelectionObjectGet(h, NULL), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saEvtSelectionObjectGet(h, &sel), SA_AIS_OK);
	CHECK(saEvtSelectionObjectGet(0, &sel), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saEvtDispatch(h, (SaDispatchFlagsT)9), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saEvtDispatch(h, SA_DISPATCH_ALL), SA_AIS_OK);
	CHECK(saEvtDispatch(0, SA_DISPATCH_ALL), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saEvtFinalize(h), SA_AIS_OK);
}

/* saEvtChannelOpen, saEvtChannelOpenAsync, saEvtChannelClose, saEvtChannelUnlink. */
static void checks_channels(void)
{
	SaEvtHandleT h = handle(1), bare;
	SaEvtChannelHandleT c, c2;
	SaNameT n = name_of("evt_live.channels"), empty = name_of("");
	SaVersionT v = version('B', 1, 1);
	SaEvtEventIdT id;
	CHECK(saEvtChannelOpen(h, NULL, SA_EVT_CHANNEL_CREATE, SEC, &c), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saEvtChannelOpen(h, &empty, SA_EVT_CHANNEL_CREATE, SEC, &c), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saEvtChannelOpen(h, &n, SA_EVT_CHANNEL_CREATE, SEC, NULL), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saEvtChannelOpen(h, &n, 0x10, SEC, &c), SA_AIS_ERR_BAD_FLAGS);
	CHECK(saEvtChannelOpen(h, &n, SA_EVT_CHANNEL_CREATE, -1, &c), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saEvtChannelOpen(0, &n, SA_EVT_CHANNEL_CREATE, SEC, &c), SA_AIS_ERR_BAD_HANDLE);
	CHECK(open_channel(h, "evt_live.channels", SA_EVT_CHANNEL_SUBSCRIBER, &c), SA_AIS_ERR_NOT_EXIST);
	CHECK(open_channel(h, "evt_live.channels", SA_EVT_CHANNEL_CREATE | SA_EVT_CHANNEL_PUBLISHER, &c), SA_AIS_OK);
	CHECK(open_channel(h, "evt_live.channels", SA_EVT_CHANNEL_SUBSCRIBER, &c2), SA_AIS_OK);
	EXPECT(c != c2);
	/* Unlink: the name is gone, the opens keep the channel. */
	CHECK(saEvtChannelUnlink(h, NULL), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saEvtChannelUnlink(0, &n), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saEvtChannelUnlink(h, &n), SA_AIS_OK);
	CHECK(saEvtChannelUnlink(h, &n), SA_AIS_ERR_NOT_EXIST);
	CHECK(open_channel(h, "evt_live.channels", SA_EVT_CHANNEL_SUBSCRIBER, &bare), SA_AIS_ERR_NOT_EXIST);
	CHECK(publish(c, "p", 0, 0, "after unlink", &id), SA_AIS_OK);
	CHECK(saEvtChannelClose(c), SA_AIS_OK);
	CHECK(saEvtChannelClose(c), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saEvtChannelClose(c2), SA_AIS_OK);
	/* Async: the callback gets the channel handle, or the error. */
	CHECK(saEvtChannelOpenAsync(h, 7, NULL, SA_EVT_CHANNEL_CREATE), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saEvtChannelOpenAsync(h, 7, &n, 0x10), SA_AIS_ERR_BAD_FLAGS);
	n_opened = 0;
	CHECK(saEvtChannelOpenAsync(h, 7, &n, SA_EVT_CHANNEL_SUBSCRIBER), SA_AIS_OK);
	CHECK(dispatch_one(h, 5000), SA_AIS_OK);
	EXPECT(n_opened == 1 && opened_invocation == 7 && opened_error == SA_AIS_ERR_NOT_EXIST);
	CHECK(saEvtChannelOpenAsync(h, 8, &n, SA_EVT_CHANNEL_CREATE | SA_EVT_CHANNEL_PUBLISHER), SA_AIS_OK);
	CHECK(dispatch_one(h, 5000), SA_AIS_OK);
	EXPECT(n_opened == 2 && opened_invocation == 8 && opened_error == SA_AIS_OK && opened_channel != 0);
	CHECK(publish(opened_channel, "p", 0, 0, "async", &id), SA_AIS_OK);
	CHECK(saEvtChannelClose(opened_channel), SA_AIS_OK);
	CHECK(saEvtChannelUnlink(h, &n), SA_AIS_OK);
	/* No open callback given: SA_AIS_ERR_INIT. */
	CHECK(init(&bare, NULL, &v), SA_AIS_OK);
	CHECK(saEvtChannelOpenAsync(bare, 9, &n, SA_EVT_CHANNEL_CREATE), SA_AIS_ERR_INIT);
	CHECK(saEvtFinalize(bare), SA_AIS_OK);
	CHECK(saEvtFinalize(h), SA_AIS_OK);
}

/* saEvtEventAllocate, saEvtEventAttributesSet/Get, saEvtEventPatternFree, saEvtEventFree,
   saEvtEventPublish on the publisher's side. */
static void checks_events(void)
{
	SaEvtHandleT h = handle(3), old = handle(1);
	SaEvtChannelHandleT pub, sub, oldc;
	SaEvtEventHandleT e, eo;
	SaEvtEventPatternT p[2], got[1];
	SaEvtEventPatternArrayT a, out;
	SaEvtEventPriorityT prio;
	SaTimeT retention, published;
	SaEvtEventIdT id, id2;
	SaNameT publisher = name_of("me"), got_name;
	static SaEvtEventPatternT many[300];
	char buf[8];
	CHECK(open_channel(h, "evt_live.events", SA_EVT_CHANNEL_CREATE | SA_EVT_CHANNEL_PUBLISHER, &pub), SA_AIS_OK);
	CHECK(open_channel(h, "evt_live.events", SA_EVT_CHANNEL_SUBSCRIBER, &sub), SA_AIS_OK);
	CHECK(saEvtEventAllocate(pub, NULL), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saEvtEventAllocate(sub, &e), SA_AIS_ERR_ACCESS);
	CHECK(saEvtEventAllocate(0, &e), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saEvtEventAllocate(pub, &e), SA_AIS_OK);
	/* The defaults: lowest priority, no retention, no id. */
	CHECK(saEvtEventAttributesGet(e, NULL, &prio, &retention, NULL, NULL, &id), SA_AIS_OK);
	EXPECT(prio == SA_EVT_LOWEST_PRIORITY && retention == 0 && id == SA_EVT_EVENTID_NONE);
	p[0].allocatedSize = p[0].patternSize = 3;
	p[0].pattern = (SaUint8T *)"abc";
	p[1].allocatedSize = p[1].patternSize = 2;
	p[1].pattern = (SaUint8T *)"de";
	a.allocatedNumber = a.patternsNumber = 2;
	a.patterns = p;
	CHECK(saEvtEventAttributesSet(e, &a, 4, 0, &publisher), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saEvtEventAttributesSet(e, &a, 0, -1, &publisher), SA_AIS_ERR_INVALID_PARAM);
	memset(many, 0, sizeof many);
	out.allocatedNumber = out.patternsNumber = 300;
	out.patterns = many;
	CHECK(saEvtEventAttributesSet(e, &out, 0, 0, &publisher), SA_AIS_ERR_TOO_BIG);
	CHECK(saEvtEventAttributesSet(0, &a, 0, 0, &publisher), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saEvtEventAttributesSet(e, &a, 1, 30 * SEC, &publisher), SA_AIS_OK);
	/* Get into the caller's arrays: too few, then enough. */
	got[0].allocatedSize = 8;
	got[0].pattern = (SaUint8T *)buf;
	out.allocatedNumber = 1;
	out.patterns = got;
	CHECK(saEvtEventAttributesGet(e, &out, NULL, NULL, NULL, NULL, NULL), SA_AIS_ERR_NO_SPACE);
	EXPECT(out.patternsNumber == 2);
	/* Into the library's memory, released with saEvtEventPatternFree (B.03.01). */
	out.patterns = NULL;
	CHECK(saEvtEventAttributesGet(e, &out, &prio, &retention, &got_name, &published, &id), SA_AIS_OK);
	EXPECT(out.patternsNumber == 2 && out.patterns != NULL);
	if (out.patterns) {
		EXPECT(out.patterns[0].patternSize == 3 && memcmp(out.patterns[0].pattern, "abc", 3) == 0);
		EXPECT(out.patterns[1].patternSize == 2 && memcmp(out.patterns[1].pattern, "de", 2) == 0);
	}
	EXPECT(prio == 1 && retention == 30 * SEC && got_name.length == 2);
	CHECK(saEvtEventPatternFree(e, NULL), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saEvtEventPatternFree(e, out.patterns), SA_AIS_OK);
	CHECK(saEvtEventPatternFree(e, out.patterns), SA_AIS_ERR_INVALID_PARAM);
	/* saEvtEventPatternFree is B.03.01's: a B.01.01 handle's event is SA_AIS_ERR_VERSION. */
	CHECK(open_channel(old, "evt_live.events", SA_EVT_CHANNEL_PUBLISHER, &oldc), SA_AIS_OK);
	CHECK(saEvtEventAllocate(oldc, &eo), SA_AIS_OK);
	CHECK(saEvtEventPatternFree(eo, out.patterns), SA_AIS_ERR_VERSION);
	/* Publish: the id is this node's, above the reserved ones; retention cleared after. */
	CHECK(saEvtEventPublish(e, "x", 1, NULL), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saEvtEventPublish(e, NULL, 1, &id), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saEvtEventPublish(e, "x", SA_EVT_DATA_MAX_LEN + 1, &id), SA_AIS_ERR_TOO_BIG);
	CHECK(saEvtEventPublish(0, "x", 1, &id), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saEvtEventPublish(e, "x", 1, &id), SA_AIS_OK);
	EXPECT((id & 0xffffffffULL) > 1000);
	CHECK(saEvtEventPublish(e, "", 0, &id2), SA_AIS_OK);
	EXPECT(id2 != id);
	CHECK(saEvtEventAttributesGet(e, NULL, NULL, NULL, NULL, NULL, &id2), SA_AIS_OK);
	CHECK(saEvtEventRetentionTimeClear(pub, 1000), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saEvtEventRetentionTimeClear(0, id), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saEvtEventRetentionTimeClear(pub, id), SA_AIS_OK);
	CHECK(saEvtEventRetentionTimeClear(pub, id), SA_AIS_ERR_NOT_EXIST);
	CHECK(saEvtEventRetentionTimeClear(pub, id2), SA_AIS_OK);
	CHECK(saEvtEventFree(e), SA_AIS_OK);
	CHECK(saEvtEventFree(e), SA_AIS_ERR_BAD_HANDLE);
	/* Closing the channel frees the events allocated on it. */
	CHECK(saEvtChannelClose(oldc), SA_AIS_OK);
	CHECK(saEvtEventFree(eo), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saEvtFinalize(old), SA_AIS_OK);
	CHECK(saEvtFinalize(h), SA_AIS_OK);
	/* Finalize takes the channel handles with it. */
	CHECK(saEvtEventAllocate(pub, &e), SA_AIS_ERR_BAD_HANDLE);
}

/* saEvtEventSubscribe, the EventDeliverCallback, saEvtEventAttributesGet/DataGet on a
   received event, saEvtEventUnsubscribe, and the four filter types. */
static void checks_subscriptions(void)
{
	SaEvtHandleT h = handle(3), bare;
	SaEvtChannelHandleT c, pubonly, bc;
	SaEvtEventFilterArrayT none;
	SaEvtEventFilterT bad;
	SaEvtEventIdT id, got_id;
	SaTimeT published;
	SaEvtEventPriorityT prio;
	SaNameT pn;
	SaVersionT v = version('B', 1, 1);
	SaSizeT size;
	char buf[64];
	int i, counts[5] = {0, 0, 0, 0, 0};
	CHECK(open_channel(h, "evt_live.subs", SA_EVT_CHANNEL_CREATE | SA_EVT_CHANNEL_PUBLISHER |
						       SA_EVT_CHANNEL_SUBSCRIBER, &c), SA_AIS_OK);
	CHECK(open_channel(h, "evt_live.subs", SA_EVT_CHANNEL_PUBLISHER, &pubonly), SA_AIS_OK);
	CHECK(saEvtEventSubscribe(c, NULL, 1), SA_AIS_ERR_INVALID_PARAM);
	bad.filterType = (SaEvtEventFilterTypeT)9;
	bad.filter.allocatedSize = bad.filter.patternSize = 0;
	bad.filter.pattern = NULL;
	none.filtersNumber = 1;
	none.filters = &bad;
	CHECK(saEvtEventSubscribe(c, &none, 1), SA_AIS_ERR_INVALID_PARAM);
	CHECK(subscribe(pubonly, 1, SA_EVT_PASS_ALL_FILTER, ""), SA_AIS_ERR_ACCESS);
	CHECK(subscribe(0, 1, SA_EVT_PASS_ALL_FILTER, ""), SA_AIS_ERR_BAD_HANDLE);
	CHECK(subscribe(c, 1, SA_EVT_PREFIX_FILTER, "ab"), SA_AIS_OK);
	CHECK(subscribe(c, 1, SA_EVT_PREFIX_FILTER, "ab"), SA_AIS_ERR_EXIST);
	CHECK(subscribe(c, 2, SA_EVT_SUFFIX_FILTER, "yz"), SA_AIS_OK);
	CHECK(subscribe(c, 3, SA_EVT_EXACT_FILTER, "abxyz"), SA_AIS_OK);
	CHECK(subscribe(c, 4, SA_EVT_PASS_ALL_FILTER, "ignored"), SA_AIS_OK);
	/* Without a deliver callback: SA_AIS_ERR_INIT. */
	CHECK(init(&bare, NULL, &v), SA_AIS_OK);
	CHECK(open_channel(bare, "evt_live.subs", SA_EVT_CHANNEL_SUBSCRIBER, &bc), SA_AIS_OK);
	CHECK(subscribe(bc, 1, SA_EVT_PASS_ALL_FILTER, ""), SA_AIS_ERR_INIT);
	CHECK(saEvtFinalize(bare), SA_AIS_OK);
	/* abxyz: all four; abq: prefix and pass-all; qyz: suffix and pass-all. */
	n_seen = 0;
	CHECK(publish(pubonly, "abxyz", 2, 0, "one", &id), SA_AIS_OK);
	CHECK(publish(pubonly, "abq", 2, 0, "two", &got_id), SA_AIS_OK);
	CHECK(publish(pubonly, "qyz", 2, 0, "three", &got_id), SA_AIS_OK);
	dispatch_until(h, 8, 2000);
	EXPECT(n_seen == 8);
	for (i = 0; i < n_seen && i < MAX_SEEN; i++)
		if (seen[i].sub <= 4)
			counts[seen[i].sub]++;
	EXPECT(counts[1] == 2 && counts[2] == 2 && counts[3] == 1 && counts[4] == 3);
	/* A received event: its attributes and data; it cannot be changed or published. */
	CHECK(saEvtEventUnsubscribe(c, 1), SA_AIS_OK);
	CHECK(saEvtEventUnsubscribe(c, 1), SA_AIS_ERR_NOT_EXIST);
	CHECK(saEvtEventUnsubscribe(0, 2), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saEvtEventUnsubscribe(c, 2), SA_AIS_OK);
	CHECK(saEvtEventUnsubscribe(c, 4), SA_AIS_OK);
	keep_events = 1;
	n_seen = 0;
	CHECK(publish(pubonly, "abxyz", 1, 0, "payload", &id), SA_AIS_OK);
	dispatch_until(h, 1, 2000);
	EXPECT(n_seen == 1 && seen[0].sub == 3 && seen[0].size == 7);
	if (n_seen >= 1) {
		SaEvtEventHandleT e = seen[0].event;
		CHECK(saEvtEventAttributesGet(e, NULL, &prio, NULL, &pn, &published, &got_id), SA_AIS_OK);
		EXPECT(prio == 1 && got_id == id && published > 0 && pn.length == 8);
		size = 3;
		CHECK(saEvtEventDataGet(e, buf, &size), SA_AIS_ERR_NO_SPACE);
		EXPECT(size == 7);
		CHECK(saEvtEventDataGet(e, buf, NULL), SA_AIS_ERR_INVALID_PARAM);
		CHECK(saEvtEventDataGet(e, NULL, &size), SA_AIS_ERR_INVALID_PARAM);
		size = sizeof buf;
		CHECK(saEvtEventDataGet(e, buf, &size), SA_AIS_OK);
		EXPECT(size == 7 && memcmp(buf, "payload", 7) == 0);
		CHECK(saEvtEventAttributesSet(e, NULL, 0, 0, NULL), SA_AIS_ERR_ACCESS);
		CHECK(saEvtEventPublish(e, "x", 1, &got_id), SA_AIS_ERR_ACCESS);
		CHECK(saEvtEventFree(e), SA_AIS_OK);
	}
	keep_events = 0;
	CHECK(saEvtFinalize(h), SA_AIS_OK);
}

/* Priorities (saEvtEventAttributesSet, 3.3 event priority): where events wait, the
   highest priority is delivered first. */
static void checks_priority(void)
{
	SaEvtHandleT h = handle(3);
	SaEvtChannelHandleT c;
	SaEvtEventIdT id;
	char buf[16];
	int i;
	CHECK(open_channel(h, "evt_live.prio", SA_EVT_CHANNEL_CREATE | SA_EVT_CHANNEL_PUBLISHER |
						       SA_EVT_CHANNEL_SUBSCRIBER, &c), SA_AIS_OK);
	CHECK(subscribe(c, 1, SA_EVT_PASS_ALL_FILTER, ""), SA_AIS_OK);
	CHECK(publish(c, "p", SA_EVT_LOWEST_PRIORITY, 0, "low", &id), SA_AIS_OK);
	CHECK(publish(c, "p", 2, 0, "mid", &id), SA_AIS_OK);
	CHECK(publish(c, "p", SA_EVT_HIGHEST_PRIORITY, 0, "high", &id), SA_AIS_OK);
	sleep_ms(100);
	keep_events = 1;
	n_seen = 0;
	/* SA_DISPATCH_ALL: the three in one call, in priority order. */
	CHECK(dispatch_with(h, 5000, SA_DISPATCH_ALL), SA_AIS_OK);
	EXPECT(n_seen == 3);
	for (i = 0; i < n_seen && i < 3; i++) {
		data_of(seen[i].event, buf, sizeof buf);
		EXPECT(strcmp(buf, i == 0 ? "high" : i == 1 ? "mid" : "low") == 0);
		saEvtEventFree(seen[i].event);
	}
	keep_events = 0;
	CHECK(saEvtFinalize(h), SA_AIS_OK);
}

/* Retention (saEvtEventAttributesSet retentionTime, saEvtEventRetentionTimeClear): a new
   subscription receives the retained events; a cleared one no more. */
static void checks_retention(void)
{
	SaEvtHandleT h = handle(3);
	SaEvtChannelHandleT c;
	SaEvtEventIdT kept, gone;
	CHECK(open_channel(h, "evt_live.retained", SA_EVT_CHANNEL_CREATE | SA_EVT_CHANNEL_PUBLISHER |
							   SA_EVT_CHANNEL_SUBSCRIBER, &c), SA_AIS_OK);
	CHECK(publish(c, "r", 1, 60 * SEC, "kept", &kept), SA_AIS_OK);
	CHECK(publish(c, "r", 1, 60 * SEC, "cleared", &gone), SA_AIS_OK);
	CHECK(publish(c, "r", 1, 0, "not retained", &gone), SA_AIS_OK);
	CHECK(saEvtEventRetentionTimeClear(c, gone), SA_AIS_ERR_NOT_EXIST);
	CHECK(saEvtEventRetentionTimeClear(c, gone - 1), SA_AIS_OK);
	n_seen = 0;
	CHECK(subscribe(c, 1, SA_EVT_PREFIX_FILTER, "r"), SA_AIS_OK);
	dispatch_until(h, 2, 1000);
	EXPECT(n_seen == 1);
	CHECK(saEvtEventRetentionTimeClear(c, kept), SA_AIS_OK);
	CHECK(saEvtEventUnsubscribe(c, 1), SA_AIS_OK);
	n_seen = 0;
	CHECK(subscribe(c, 1, SA_EVT_PREFIX_FILTER, "r"), SA_AIS_OK);
	dispatch_until(h, 1, 500);
	EXPECT(n_seen == 0);
	CHECK(saEvtFinalize(h), SA_AIS_OK);
}

/* openais.conf event { delivery_queue_size: 1000 }: a subscriber that does not read
   loses events, and is told so first with the lost event (SA_EVT_EVENTID_LOST, pattern
   SA_EVT_LOST_EVENT); the publisher is never held up. */
static void checks_overflow(void)
{
	SaEvtHandleT h = handle(3), slow = handle(3);
	SaEvtChannelHandleT c, s;
	SaEvtEventIdT id;
	SaEvtEventPatternArrayT pa;
	int i, total = 1300;
	CHECK(open_channel(h, "evt_live.overflow", SA_EVT_CHANNEL_CREATE | SA_EVT_CHANNEL_PUBLISHER, &c), SA_AIS_OK);
	CHECK(open_channel(slow, "evt_live.overflow", SA_EVT_CHANNEL_SUBSCRIBER, &s), SA_AIS_OK);
	CHECK(subscribe(s, 5, SA_EVT_PASS_ALL_FILTER, ""), SA_AIS_OK);
	for (i = 0; i < total; i++) {
		SaAisErrorT rc = publish(c, "o", 3, 0, "x", &id);
		if (rc != SA_AIS_OK) {
			CHECK(rc, SA_AIS_OK);
			break;
		}
	}
	sleep_ms(200);
	keep_events = 1;
	n_seen = 0;
	dispatch_until(slow, total + 1, 1000);
	EXPECT(n_seen > 0 && n_seen <= 1001);
	if (n_seen > 0) {
		SaEvtEventIdT first;
		pa.allocatedNumber = 0;
		pa.patternsNumber = 0;
		pa.patterns = NULL;
		CHECK(saEvtEventAttributesGet(seen[0].event, &pa, NULL, NULL, NULL, NULL, &first), SA_AIS_OK);
		EXPECT(first == SA_EVT_EVENTID_LOST && seen[0].sub == 5);
		EXPECT(pa.patternsNumber == 1 && pa.patterns != NULL &&
		       pa.patterns[0].patternSize == strlen(SA_EVT_LOST_EVENT) &&
		       memcmp(pa.patterns[0].pattern, SA_EVT_LOST_EVENT, strlen(SA_EVT_LOST_EVENT)) == 0);
	}
	for (i = 0; i < n_seen && i < MAX_SEEN; i++)
		saEvtEventFree(seen[i].event);
	keep_events = 0;
	CHECK(saEvtFinalize(slow), SA_AIS_OK);
	CHECK(saEvtFinalize(h), SA_AIS_OK);
}

/* saEvtLimitGet (B.03.01): the limits the executive enforces; SA_AIS_ERR_VERSION on a
   B.01.01 handle. */
static void checks_limits(void)
{
	SaEvtHandleT h = handle(3), old = handle(1);
	SaLimitValueT l;
	CHECK(saEvtLimitGet(old, SA_EVT_MAX_EVT_SIZE_ID, &l), SA_AIS_ERR_VERSION);
	CHECK(saEvtLimitGet(h, SA_EVT_MAX_EVT_SIZE_ID, NULL), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saEvtLimitGet(h, (SaEvtLimitIdT)99, &l), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saEvtLimitGet(0, SA_EVT_MAX_EVT_SIZE_ID, &l), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saEvtLimitGet(h, SA_EVT_MAX_EVT_SIZE_ID, &l), SA_AIS_OK);
	EXPECT(l.uint64Value == SA_EVT_DATA_MAX_LEN);
	CHECK(saEvtLimitGet(h, SA_EVT_MAX_NUM_CHANNELS_ID, &l), SA_AIS_OK);
	EXPECT(l.uint64Value > 0);
	CHECK(saEvtLimitGet(h, SA_EVT_MAX_PATTERN_SIZE_ID, &l), SA_AIS_OK);
	EXPECT(l.uint64Value > 0);
	CHECK(saEvtLimitGet(h, SA_EVT_MAX_NUM_PATTERNS_ID, &l), SA_AIS_OK);
	EXPECT(l.uint64Value > 0);
	CHECK(saEvtLimitGet(h, SA_EVT_MAX_RETENTION_DURATION_ID, &l), SA_AIS_OK);
	EXPECT(l.timeValue >= SA_TIME_ONE_DAY);
	CHECK(saEvtFinalize(old), SA_AIS_OK);
	CHECK(saEvtFinalize(h), SA_AIS_OK);
}

/* ---- the cluster modes ---- */

static int mode_sub(const char *channel, int count, const char *ready)
{
	SaEvtHandleT h = handle(3);
	SaEvtChannelHandleT c;
	FILE *f;
	char buf[128];
	int i, got = 0;
	if (open_channel(h, channel, SA_EVT_CHANNEL_CREATE | SA_EVT_CHANNEL_SUBSCRIBER, &c) != SA_AIS_OK ||
	    subscribe(c, 1, SA_EVT_PASS_ALL_FILTER, "") != SA_AIS_OK)
		return 2;
	f = fopen(ready, "w");
	if (f)
		fclose(f);
	keep_events = 1;
	while (got < count) {
		n_seen = 0;
		if (dispatch_one(h, 30000) != SA_AIS_OK)
			break;
		for (i = 0; i < n_seen && i < MAX_SEEN; i++) {
			data_of(seen[i].event, buf, sizeof buf);
			printf("%s\n", buf);
			saEvtEventFree(seen[i].event);
			got++;
		}
	}
	saEvtFinalize(h);
	return got == count ? 0 : 1;
}

static int mode_pub(const char *channel, const char *prefix, int count)
{
	SaEvtHandleT h = handle(3);
	SaEvtChannelHandleT c;
	SaEvtEventIdT id;
	char buf[128];
	int i;
	if (open_channel(h, channel, SA_EVT_CHANNEL_CREATE | SA_EVT_CHANNEL_PUBLISHER, &c) != SA_AIS_OK)
		return 2;
	for (i = 0; i < count; i++) {
		snprintf(buf, sizeof buf, "%s-%d", prefix, i);
		if (publish(c, "cluster", 1, 0, buf, &id) != SA_AIS_OK)
			return 1;
	}
	saEvtFinalize(h);
	return 0;
}

static int mode_keep(const char *channel, const char *data, int secs)
{
	SaEvtHandleT h = handle(3);
	SaEvtChannelHandleT c;
	SaEvtEventIdT id;
	if (open_channel(h, channel, SA_EVT_CHANNEL_CREATE | SA_EVT_CHANNEL_PUBLISHER, &c) != SA_AIS_OK)
		return 2;
	if (publish(c, "kept", 0, (SaTimeT)secs * SEC, data, &id) != SA_AIS_OK)
		return 1;
	saEvtFinalize(h);
	return 0;
}

static int mode_kept(const char *channel, const char *data)
{
	SaEvtHandleT h = handle(3);
	SaEvtChannelHandleT c;
	char buf[128];
	int ok = 0;
	if (open_channel(h, channel, SA_EVT_CHANNEL_SUBSCRIBER, &c) != SA_AIS_OK ||
	    subscribe(c, 1, SA_EVT_EXACT_FILTER, "kept") != SA_AIS_OK)
		return 2;
	keep_events = 1;
	n_seen = 0;
	dispatch_until(h, 1, 5000);
	if (n_seen == 1) {
		data_of(seen[0].event, buf, sizeof buf);
		ok = strcmp(buf, data) == 0;
	}
	saEvtFinalize(h);
	return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 5 && strcmp(argv[1], "sub") == 0)
		return mode_sub(argv[2], atoi(argv[3]), argv[4]);
	if (argc == 5 && strcmp(argv[1], "pub") == 0)
		return mode_pub(argv[2], argv[3], atoi(argv[4]));
	if (argc == 5 && strcmp(argv[1], "keep") == 0)
		return mode_keep(argv[2], argv[3], atoi(argv[4]));
	if (argc == 4 && strcmp(argv[1], "kept") == 0)
		return mode_kept(argv[2], argv[3]);
	if (argc != 1) {
		fprintf(stderr, "usage: evt_live [sub CHANNEL COUNT READY | pub CHANNEL PREFIX COUNT | "
				"keep CHANNEL DATA SECS | kept CHANNEL DATA]\n");
		return 2;
	}
	GROUP("saEvtInitialize: versions, arguments", checks_initialize());
	GROUP("saEvtSelectionObjectGet, saEvtDispatch", checks_selection_and_dispatch());
	GROUP("channels: open, open async, close, unlink", checks_channels());
	GROUP("events: allocate, attributes, patterns, publish, free", checks_events());
	GROUP("subscriptions: filters, delivery, data, unsubscribe", checks_subscriptions());
	GROUP("priority order of waiting events", checks_priority());
	GROUP("retention and its clear", checks_retention());
	GROUP("a subscriber that does not read: the lost event", checks_overflow());
	GROUP("saEvtLimitGet (B.03.01)", checks_limits());
	printf("evt_live: %d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
