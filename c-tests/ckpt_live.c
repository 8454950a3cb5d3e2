/*
 * The checkpoint service against a live executive, as an application uses <saCkpt.h>:
 * every call and its error paths, with the version negotiation of B.01.01, B.02 and
 * B.02.03 programs.
 *
 *   ckpt_live                  the API checks against the executive AIS_IPC_SOCKET names
 *   ckpt_live write NAME TEXT  creates checkpoint NAME with section "s" holding TEXT
 *   ckpt_live read NAME TEXT   waits (10 s at most) until checkpoint NAME's section "s"
 *                              holds TEXT
 *
 * Exit status 0 when every check passed.
 *
 * The file is C99 and C++: `make check` builds it both ways.
 */
#include <saCkpt.h>

#include <poll.h>
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

#define EXPECT(cond)                                                              \
	do {                                                                      \
		if (!(cond)) {                                                    \
			fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
			failures++;                                               \
		}                                                                 \
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

static SaNameT name(const char *s)
{
	SaNameT n;
	memset(&n, 0, sizeof n);
	n.length = (SaUint16T)strlen(s);
	memcpy(n.value, s, n.length);
	return n;
}

static SaCkptSectionIdT section(const char *id)
{
	SaCkptSectionIdT s;
	s.idLen = (SaUint16T)strlen(id);
	s.id = (SaUint8T *)id;
	return s;
}

static SaCkptCheckpointCreationAttributesT attributes(SaCkptCheckpointCreationFlagsT flags, SaUint32T sections,
						      SaSizeT section_size)
{
	SaCkptCheckpointCreationAttributesT a;
	a.creationFlags = flags;
	a.maxSections = sections;
	a.maxSectionSize = section_size;
	a.checkpointSize = sections * section_size;
	a.retentionDuration = 60 * SEC;
	a.maxSectionIdSize = 32;
	return a;
}

static SaCkptIOVectorElementT element(const char *id, void *buf, SaSizeT size, SaOffsetT offset)
{
	SaCkptIOVectorElementT e;
	e.sectionId = section(id);
	e.dataBuffer = buf;
	e.dataSize = size;
	e.dataOffset = offset;
	e.readSize = 0;
	return e;
}

/* Opens a handle, retrying while the executive starts. */
static SaAisErrorT init(SaCkptHandleT *h, const SaCkptCallbacksT *cb, SaVersionT *v)
{
	SaVersionT asked = *v;
	SaAisErrorT rc = SA_AIS_ERR_TRY_AGAIN;
	int tries;
	for (tries = 0; tries < 100 && rc == SA_AIS_ERR_TRY_AGAIN; tries++) {
		*v = asked;
		rc = saCkptInitialize(h, cb, v);
		if (rc == SA_AIS_ERR_TRY_AGAIN)
			sleep_ms(50);
	}
	return rc;
}

/* Waits up to 5 s for a callback on the handle's selection object, then runs one. */
static SaAisErrorT dispatch_one(SaCkptHandleT h)
{
	SaSelectionObjectT sel = 0;
	struct pollfd p;
	CHECK(saCkptSelectionObjectGet(h, &sel), SA_AIS_OK);
	p.fd = (int)sel;
	p.events = POLLIN;
	p.revents = 0;
	if (poll(&p, 1, 5000) != 1)
		return SA_AIS_ERR_TIMEOUT;
	return saCkptDispatch(h, SA_DISPATCH_ONE);
}

static struct {
	int opens, syncs;
	SaInvocationT invocation;
	SaCkptCheckpointHandleT checkpoint;
	SaAisErrorT error;
	/* A handle the open callback finalizes (ending a blocking dispatch), or 0. */
	SaCkptHandleT finalize;
} seen;

static void opened(SaInvocationT invocation, SaCkptCheckpointHandleT checkpoint, SaAisErrorT error)
{
	seen.opens++;
	seen.invocation = invocation;
	seen.checkpoint = checkpoint;
	seen.error = error;
	if (seen.finalize) {
		CHECK(saCkptFinalize(seen.finalize), SA_AIS_OK);
		seen.finalize = 0;
	}
}

static void synchronized(SaInvocationT invocation, SaAisErrorT error)
{
	seen.syncs++;
	seen.invocation = invocation;
	seen.error = error;
}

/* What the last track callback reported (at most 4 elements kept). */
static struct {
	int calls;
	SaCkptCheckpointHandleT checkpoint;
	SaUint32T n;
	struct {
		char id[16];
		SaOffsetT offset;
		SaSizeT size;
		int no_data; /* dataBuffer NULL and readSize 0 */
	} e[4];
} track_seen;

static void tracked(SaCkptCheckpointHandleT checkpoint, SaCkptIOVectorElementT *io, SaUint32T n)
{
	SaUint32T i;
	track_seen.calls++;
	track_seen.checkpoint = checkpoint;
	track_seen.n = n;
	for (i = 0; i < n && i < 4; i++) {
		size_t len = io[i].sectionId.idLen < 15 ? io[i].sectionId.idLen : 15;
		memset(track_seen.e[i].id, 0, sizeof track_seen.e[i].id);
		if (len)
			memcpy(track_seen.e[i].id, io[i].sectionId.id, len);
		track_seen.e[i].offset = io[i].dataOffset;
		track_seen.e[i].size = io[i].dataSize;
		track_seen.e[i].no_data = io[i].dataBuffer == NULL && io[i].readSize == 0;
	}
}

/* What the library answers alone: versions, arguments, handles never opened. */
static void checks_in_the_library(void)
{
	SaCkptHandleT h = 0, bogus = 0x12345;
	SaCkptCheckpointHandleT c = 0;
	SaCkptSectionIterationHandleT it = 0;
	SaVersionT v;
	SaNameT n = name("safCkpt=nothing"), long_name = name("x");
	SaCkptCheckpointCreationAttributesT a = attributes(SA_CKPT_WR_ALL_REPLICAS, 2, 100), bad = a;
	SaCkptSectionIdT id = section("s"), def = SA_CKPT_DEFAULT_SECTION_ID;
	SaCkptSectionCreationAttributesT sa;
	SaCkptIOVectorElementT io[1];
	SaCkptCheckpointDescriptorT status;
	SaCkptSectionDescriptorT desc;
	SaSelectionObjectT sel;
	SaUint32T ix = 0;
	char data[4] = "abc";

	sa.sectionId = &id;
	sa.expirationTime = SA_TIME_END;
	io[0] = element("s", data, 3, 0);
	long_name.length = SA_MAX_NAME_LENGTH + 1;

	/* Versions: ours written back on SA_AIS_ERR_VERSION. */
	v = version('B', 3, 1);
	CHECK(saCkptInitialize(&h, NULL, &v), SA_AIS_ERR_VERSION);
	EXPECT(v.releaseCode == 'B' && v.majorVersion == 2 && v.minorVersion == 3);
	v = version('A', 1, 1);
	CHECK(saCkptInitialize(&h, NULL, &v), SA_AIS_ERR_VERSION);
	EXPECT(v.releaseCode == 'B');
	v = version('B', 2, 2);
	CHECK(saCkptInitialize_2(&h, NULL, &v), SA_AIS_ERR_VERSION);
	EXPECT(v.majorVersion == 2 && v.minorVersion == 3);
	v = version('B', 1, 1);
	CHECK(saCkptInitialize(NULL, NULL, &v), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saCkptInitialize(&h, NULL, NULL), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saCkptInitialize_2(NULL, NULL, &v), SA_AIS_ERR_INVALID_PARAM);

	/* Arguments, whatever the handle. */
	CHECK(saCkptSelectionObjectGet(bogus, NULL), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saCkptDispatch(bogus, (SaDispatchFlagsT)0), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saCkptCheckpointOpen(bogus, NULL, &a, SA_CKPT_CHECKPOINT_CREATE, SEC, &c), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saCkptCheckpointOpen(bogus, &n, &a, SA_CKPT_CHECKPOINT_CREATE, SEC, NULL), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saCkptCheckpointOpen(bogus, &n, NULL, SA_CKPT_CHECKPOINT_CREATE, SEC, &c), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saCkptCheckpointOpen(bogus, &n, &a, SA_CKPT_CHECKPOINT_READ, SEC, &c), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saCkptCheckpointOpen(bogus, &n, NULL, 0x100, SEC, &c), SA_AIS_ERR_BAD_FLAGS);
	CHECK(saCkptCheckpointOpen(bogus, &long_name, NULL, SA_CKPT_CHECKPOINT_READ, SEC, &c), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saCkptCheckpointOpen(bogus, &n, NULL, SA_CKPT_CHECKPOINT_READ, -1, &c), SA_AIS_ERR_INVALID_PARAM);
	bad.creationFlags = SA_CKPT_WR_ALL_REPLICAS | SA_CKPT_WR_ACTIVE_REPLICA;
	CHECK(saCkptCheckpointOpen(bogus, &n, &bad, SA_CKPT_CHECKPOINT_CREATE, SEC, &c), SA_AIS_ERR_INVALID_PARAM);
	bad = a;
	bad.checkpointSize = 201;
	CHECK(saCkptCheckpointOpen(bogus, &n, &bad, SA_CKPT_CHECKPOINT_CREATE, SEC, &c), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saCkptCheckpointOpenAsync(bogus, 1, NULL, NULL, SA_CKPT_CHECKPOINT_READ), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saCkptCheckpointOpenAsync(bogus, 1, &n, NULL, 0x100), SA_AIS_ERR_BAD_FLAGS);
	CHECK(saCkptCheckpointUnlink(bogus, NULL), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saCkptCheckpointRetentionDurationSet(bogus, -1), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saCkptCheckpointStatusGet(bogus, NULL), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saCkptSectionCreate(bogus, NULL, data, 3), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saCkptSectionCreate(bogus, &sa, NULL, 3), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saCkptSectionDelete(bogus, NULL), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saCkptSectionDelete(bogus, &def), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saCkptSectionExpirationTimeSet(bogus, &def, SA_TIME_END), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saCkptSectionIterationInitialize(bogus, (SaCkptSectionsChosenT)0, 0, &it), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saCkptSectionIterationInitialize(bogus, SA_CKPT_SECTIONS_ANY, 0, NULL), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saCkptSectionIterationNext(bogus, NULL), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saCkptCheckpointWrite(bogus, NULL, 1, &ix), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saCkptSectionOverwrite(bogus, NULL, data, 3), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saCkptCheckpointRead(bogus, NULL, 1, &ix), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saCkptCheckpointSynchronize(bogus, -1), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saCkptSectionIdFree(bogus, NULL), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saCkptIOVectorElementDataFree(bogus, NULL), SA_AIS_ERR_INVALID_PARAM);

	/* Handles never opened. */
	CHECK(saCkptSelectionObjectGet(bogus, &sel), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saCkptDispatch(bogus, SA_DISPATCH_ALL), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saCkptFinalize(bogus), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saCkptCheckpointOpen(bogus, &n, &a, SA_CKPT_CHECKPOINT_CREATE, SEC, &c), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saCkptCheckpointOpenAsync(bogus, 1, &n, NULL, SA_CKPT_CHECKPOINT_READ), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saCkptCheckpointClose(bogus), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saCkptCheckpointUnlink(bogus, &n), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saCkptCheckpointRetentionDurationSet(bogus, SEC), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saCkptActiveReplicaSet(bogus), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saCkptCheckpointStatusGet(bogus, &status), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saCkptSectionCreate(bogus, &sa, data, 3), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saCkptSectionDelete(bogus, &id), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saCkptSectionExpirationTimeSet(bogus, &id, SA_TIME_END), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saCkptSectionIterationInitialize(bogus, SA_CKPT_SECTIONS_ANY, 0, &it), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saCkptSectionIterationNext(bogus, &desc), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saCkptSectionIterationFinalize(bogus), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saCkptCheckpointWrite(bogus, io, 1, &ix), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saCkptSectionOverwrite(bogus, &id, data, 3), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saCkptCheckpointRead(bogus, io, 1, &ix), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saCkptCheckpointSynchronize(bogus, SEC), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saCkptCheckpointSynchronizeAsync(bogus, 1), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saCkptSectionIdFree(bogus, (SaUint8T *)data), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saCkptIOVectorElementDataFree(bogus, data), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saCkptTrack(bogus), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saCkptTrackStop(bogus), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saCkptCheckpointTrack(bogus), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saCkptCheckpointTrackStop(bogus), SA_AIS_ERR_BAD_HANDLE);
}

/* Reads section `id` of `c` whole into library memory; returns it (to free) or NULL. */
static char *read_all(SaCkptCheckpointHandleT c, const char *id, SaSizeT *size)
{
	SaCkptIOVectorElementT e = element(id, NULL, 0, 0);
	SaUint32T ix = 0;
	SaAisErrorT rc = saCkptCheckpointRead(c, &e, 1, &ix);
	if (rc != SA_AIS_OK) {
		fprintf(stderr, "read of %s: %d\n", id, (int)rc);
		return NULL;
	}
	*size = e.readSize;
	return (char *)e.dataBuffer;
}

static void checks_with_the_executive(SaCkptHandleT h1, SaCkptHandleT h2)
{
	SaCkptCallbacksT cb;
	SaCkptCallbacksT_2 cb2;
	SaCkptHandleT bare = 0, old = 0, h3 = 0;
	SaCkptCheckpointHandleT c, r, w, one, async, gone;
	SaCkptSectionIterationHandleT it;
	SaVersionT v;
	SaNameT n = name("safCkpt=live"), n1 = name("safCkpt=live-one"), na = name("safCkpt=live-async");
	SaNameT missing = name("safCkpt=live-missing");
	SaCkptCheckpointCreationAttributesT a = attributes(SA_CKPT_WR_ALL_REPLICAS, 4, 4 << 20);
	SaCkptCheckpointCreationAttributesT a1 = attributes(SA_CKPT_WR_ALL_REPLICAS, 1, 100);
	SaCkptCheckpointCreationAttributesT aa =
		attributes(SA_CKPT_WR_ACTIVE_REPLICA | SA_CKPT_CHECKPOINT_COLLOCATED, 2, 100);
	SaCkptCheckpointCreationAttributesT other = a;
	SaCkptCheckpointDescriptorT st;
	SaCkptSectionDescriptorT d;
	SaCkptSectionIdT id = section("alpha"), id2 = section("beta"), gen = SA_CKPT_GENERATED_SECTION_ID;
	SaCkptSectionIdT def = SA_CKPT_DEFAULT_SECTION_ID, nope = section("nope");
	SaCkptSectionCreationAttributesT sa;
	SaCkptIOVectorElementT io[3];
	SaUint32T ix;
	SaSizeT size = 0;
	SaUint8T *first_id;
	char buf[64], *got, *big;
	int i, count;
	const SaCkptCheckpointOpenFlagsT rw = SA_CKPT_CHECKPOINT_READ | SA_CKPT_CHECKPOINT_WRITE;

	/* The selection object; dispatch with nothing pending. */
	CHECK(saCkptDispatch(h1, SA_DISPATCH_ALL), SA_AIS_OK);
	CHECK(saCkptDispatch(h1, SA_DISPATCH_ONE), SA_AIS_OK);
	CHECK(saCkptDispatch(h1, (SaDispatchFlagsT)4), SA_AIS_ERR_INVALID_PARAM);

	/* Open: missing, created, opened again (other attributes: EXIST). */
	CHECK(saCkptCheckpointOpen(h1, &missing, NULL, SA_CKPT_CHECKPOINT_READ, SEC, &c), SA_AIS_ERR_NOT_EXIST);
	CHECK(saCkptCheckpointOpen(h1, &n, &a, rw | SA_CKPT_CHECKPOINT_CREATE, 5 * SEC, &c), SA_AIS_OK);
	CHECK(saCkptCheckpointOpen(h1, &n, &a, SA_CKPT_CHECKPOINT_CREATE | SA_CKPT_CHECKPOINT_WRITE, 5 * SEC, &w), SA_AIS_OK);
	other.maxSections = 5;
	other.checkpointSize = 5 * other.maxSectionSize;
	CHECK(saCkptCheckpointOpen(h1, &n, &other, SA_CKPT_CHECKPOINT_CREATE, 5 * SEC, &gone), SA_AIS_ERR_EXIST);
	CHECK(saCkptCheckpointOpen(h2, &n, NULL, SA_CKPT_CHECKPOINT_READ, 5 * SEC, &r), SA_AIS_OK);
	/* openais's own programs (testckpt.c, ckptbench.c) open with timeout 0: it waits the
	   floor and succeeds. */
	CHECK(saCkptCheckpointOpen(h2, &n, NULL, SA_CKPT_CHECKPOINT_READ, 0, &gone), SA_AIS_OK);
	CHECK(saCkptCheckpointClose(gone), SA_AIS_OK);
	EXPECT(c != w && c != r);

	/* Status of a new checkpoint. */
	CHECK(saCkptCheckpointStatusGet(r, &st), SA_AIS_OK);
	EXPECT(st.numberOfSections == 0 && st.memoryUsed == 0);
	EXPECT(st.checkpointCreationAttributes.maxSections == 4 &&
	       st.checkpointCreationAttributes.maxSectionSize == (SaSizeT)(4 << 20) &&
	       st.checkpointCreationAttributes.creationFlags == SA_CKPT_WR_ALL_REPLICAS);

	/* Sections: named, duplicate, generated (library memory), on a reader (ACCESS). */
	sa.sectionId = &id;
	sa.expirationTime = SA_TIME_END;
	CHECK(saCkptSectionCreate(c, &sa, "hello", 5), SA_AIS_OK);
	CHECK(saCkptSectionCreate(c, &sa, "hello", 5), SA_AIS_ERR_EXIST);
	CHECK(saCkptSectionCreate(r, &sa, "hello", 5), SA_AIS_ERR_ACCESS);
	sa.sectionId = &gen;
	CHECK(saCkptSectionCreate(w, &sa, NULL, 0), SA_AIS_OK);
	EXPECT(gen.idLen > 0 && gen.id != NULL);
	CHECK(saCkptSectionIdFree(c, gen.id), SA_AIS_ERR_INVALID_PARAM); /* w's, not c's */
	CHECK(saCkptSectionDelete(w, &gen), SA_AIS_OK);
	CHECK(saCkptSectionIdFree(w, gen.id), SA_AIS_OK);
	CHECK(saCkptSectionIdFree(w, gen.id), SA_AIS_ERR_INVALID_PARAM);
	sa.sectionId = &id2;
	CHECK(saCkptSectionCreate(c, &sa, NULL, 0), SA_AIS_OK);
	CHECK(saCkptCheckpointStatusGet(c, &st), SA_AIS_OK);
	EXPECT(st.numberOfSections == 2 && st.memoryUsed >= 5);

	/* Write and read, with the element at fault named. */
	io[0] = element("alpha", (void *)"HE", 2, 0);
	io[1] = element("beta", (void *)"world", 5, 0);
	ix = 99;
	CHECK(saCkptCheckpointWrite(c, io, 2, &ix), SA_AIS_OK);
	CHECK(saCkptCheckpointWrite(r, io, 2, &ix), SA_AIS_ERR_ACCESS);
	io[1] = element("nope", (void *)"x", 1, 0);
	CHECK(saCkptCheckpointWrite(c, io, 2, &ix), SA_AIS_ERR_NOT_EXIST);
	EXPECT(ix == 1);
	io[1] = element("beta", NULL, 5, 0);
	CHECK(saCkptCheckpointWrite(c, io, 2, &ix), SA_AIS_ERR_INVALID_PARAM);
	EXPECT(ix == 1);

	memset(buf, 0, sizeof buf);
	io[0] = element("alpha", buf, 5, 0);
	io[1] = element("beta", buf + 10, 3, 2);
	io[2] = element("beta", NULL, 0, 1);
	CHECK(saCkptCheckpointRead(r, io, 3, &ix), SA_AIS_OK);
	EXPECT(io[0].readSize == 5 && memcmp(buf, "HEllo", 5) == 0);
	EXPECT(io[1].readSize == 3 && memcmp(buf + 10, "rld", 3) == 0);
	EXPECT(io[2].readSize == 4 && io[2].dataBuffer != NULL && memcmp(io[2].dataBuffer, "orld", 4) == 0);
	CHECK(saCkptIOVectorElementDataFree(r, io[2].dataBuffer), SA_AIS_OK);
	CHECK(saCkptIOVectorElementDataFree(r, io[2].dataBuffer), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saCkptIOVectorElementDataFree(r, buf), SA_AIS_ERR_INVALID_PARAM);
	CHECK(saCkptCheckpointRead(w, io, 1, &ix), SA_AIS_ERR_ACCESS);
	io[1] = element("nope", buf, 3, 0);
	CHECK(saCkptCheckpointRead(r, io, 2, &ix), SA_AIS_ERR_NOT_EXIST);
	EXPECT(ix == 1);

	/* Overwrite, and a section larger than one cluster message (3 MB). */
	CHECK(saCkptSectionOverwrite(c, &id, "bye", 3), SA_AIS_OK);
	CHECK(saCkptSectionOverwrite(r, &id, "bye", 3), SA_AIS_ERR_ACCESS);
	CHECK(saCkptSectionOverwrite(c, &nope, "bye", 3), SA_AIS_ERR_NOT_EXIST);
	got = read_all(r, "alpha", &size);
	EXPECT(got != NULL && size == 3 && memcmp(got, "bye", 3) == 0);
	if (got)
		CHECK(saCkptIOVectorElementDataFree(r, got), SA_AIS_OK);
	big = (char *)malloc(3000000);
	for (i = 0; i < 3000000; i++)
		big[i] = (char)(i % 251);
	CHECK(saCkptSectionOverwrite(c, &id2, big, 3000000), SA_AIS_OK);
	got = read_all(r, "beta", &size);
	EXPECT(got != NULL && size == 3000000 && memcmp(got, big, 3000000) == 0);
	if (got)
		CHECK(saCkptIOVectorElementDataFree(r, got), SA_AIS_OK);
	io[0] = element("beta", big, 3000000, 1000000);
	CHECK(saCkptCheckpointWrite(c, io, 1, &ix), SA_AIS_OK);
	CHECK(saCkptCheckpointStatusGet(r, &st), SA_AIS_OK);
	EXPECT(st.memoryUsed >= 4000000);
	/* The write larger than 1 MiB reads back whole (one atomic change). */
	got = read_all(r, "beta", &size);
	EXPECT(got != NULL && size == 4000000 && memcmp(got, big, 1000000) == 0 &&
	       memcmp(got + 1000000, big, 3000000) == 0);
	if (got)
		CHECK(saCkptIOVectorElementDataFree(r, got), SA_AIS_OK);
	free(big);

	/* Iteration: every section, each id library memory (B.02: the program frees it;
	   c is h1's, a B.2.3 handle). */
	CHECK(saCkptSectionIterationInitialize(c, SA_CKPT_SECTIONS_ANY, 0, &it), SA_AIS_OK);
	count = 0;
	first_id = NULL;
	while (saCkptSectionIterationNext(it, &d) == SA_AIS_OK) {
		count++;
		EXPECT(d.sectionState == SA_CKPT_SECTION_VALID);
		if (d.sectionId.idLen == 4 && memcmp(d.sectionId.id, "beta", 4) == 0)
			EXPECT(d.sectionSize == 4000000);
		if (!first_id)
			first_id = d.sectionId.id;
		else
			CHECK(saCkptSectionIdFree(c, d.sectionId.id), SA_AIS_OK);
	}
	EXPECT(count == 2);
	CHECK(saCkptSectionIterationNext(it, &d), SA_AIS_ERR_NO_SECTIONS);
	CHECK(saCkptSectionIterationFinalize(it), SA_AIS_OK);
	CHECK(saCkptSectionIterationFinalize(it), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saCkptSectionIdFree(c, first_id), SA_AIS_OK);
	CHECK(saCkptSectionIterationInitialize(r, SA_CKPT_SECTIONS_CORRUPTED, 0, &it), SA_AIS_OK);
	CHECK(saCkptSectionIterationNext(it, &d), SA_AIS_ERR_NO_SECTIONS);
	CHECK(saCkptSectionIterationFinalize(it), SA_AIS_OK);

	/* Expiration, deletion. */
	CHECK(saCkptSectionExpirationTimeSet(c, &id, SA_TIME_END), SA_AIS_OK);
	CHECK(saCkptSectionExpirationTimeSet(r, &id, SA_TIME_END), SA_AIS_ERR_ACCESS);
	CHECK(saCkptSectionExpirationTimeSet(c, &nope, SA_TIME_END), SA_AIS_ERR_NOT_EXIST);
	CHECK(saCkptSectionDelete(r, &id), SA_AIS_ERR_ACCESS);
	CHECK(saCkptSectionDelete(c, &id), SA_AIS_OK);
	CHECK(saCkptSectionDelete(c, &id), SA_AIS_ERR_NOT_EXIST);

	/* Retention, the active replica, synchronize (not for a synchronous checkpoint). */
	CHECK(saCkptCheckpointRetentionDurationSet(r, 30 * SEC), SA_AIS_OK);
	CHECK(saCkptActiveReplicaSet(r), SA_AIS_ERR_ACCESS);
	CHECK(saCkptActiveReplicaSet(c), SA_AIS_ERR_BAD_OPERATION);
	CHECK(saCkptCheckpointSynchronize(r, SEC), SA_AIS_ERR_ACCESS);
	CHECK(saCkptCheckpointSynchronize(c, SEC), SA_AIS_ERR_BAD_OPERATION);

	/* One section: the default section exists and cannot be deleted; no other section
	   can be created (SA_AIS_ERR_EXIST, as openais answered). */
	CHECK(saCkptCheckpointOpen(h1, &n1, &a1, rw | SA_CKPT_CHECKPOINT_CREATE, 5 * SEC, &one), SA_AIS_OK);
	CHECK(saCkptSectionOverwrite(one, &def, "default", 7), SA_AIS_OK);
	got = read_all(one, "", &size);
	EXPECT(got != NULL && size == 7 && memcmp(got, "default", 7) == 0);
	if (got)
		CHECK(saCkptIOVectorElementDataFree(one, got), SA_AIS_OK);
	CHECK(saCkptSectionDelete(one, &def), SA_AIS_ERR_INVALID_PARAM);
	sa.sectionId = &id;
	CHECK(saCkptSectionCreate(one, &sa, "x", 1), SA_AIS_ERR_EXIST);

	/* Asynchronous open and synchronize, through dispatch. */
	memset(&cb, 0, sizeof cb);
	v = version('B', 1, 1);
	CHECK(init(&bare, &cb, &v), SA_AIS_OK);
	CHECK(saCkptCheckpointOpenAsync(bare, 7, &na, &aa, rw | SA_CKPT_CHECKPOINT_CREATE), SA_AIS_ERR_INIT);
	CHECK(saCkptCheckpointOpenAsync(h1, 7, &missing, NULL, rw), SA_AIS_OK);
	CHECK(dispatch_one(h1), SA_AIS_OK);
	EXPECT(seen.opens == 1 && seen.invocation == 7 && seen.error == SA_AIS_ERR_NOT_EXIST);
	CHECK(saCkptCheckpointOpenAsync(h1, 8, &na, &aa, rw | SA_CKPT_CHECKPOINT_CREATE), SA_AIS_OK);
	CHECK(dispatch_one(h1), SA_AIS_OK);
	EXPECT(seen.opens == 2 && seen.invocation == 8 && seen.error == SA_AIS_OK);
	async = seen.checkpoint;
	CHECK(saCkptActiveReplicaSet(async), SA_AIS_OK);
	CHECK(saCkptCheckpointSynchronize(async, 5 * SEC), SA_AIS_OK);
	CHECK(saCkptCheckpointSynchronizeAsync(async, 9), SA_AIS_OK);
	CHECK(dispatch_one(h1), SA_AIS_OK);
	EXPECT(seen.syncs == 1 && seen.invocation == 9 && seen.error == SA_AIS_OK);
	CHECK(saCkptCheckpointOpen(bare, &na, NULL, SA_CKPT_CHECKPOINT_WRITE, SEC, &gone), SA_AIS_OK);
	CHECK(saCkptCheckpointSynchronizeAsync(gone, 10), SA_AIS_ERR_INIT);

	/* A blocking dispatch ends when a callback finalizes its handle; the checkpoint
	   handle the callback got goes with it. */
	cb.saCkptCheckpointOpenCallback = opened;
	v = version('B', 2, 1);
	CHECK(init(&h3, &cb, &v), SA_AIS_OK);
	seen.finalize = h3;
	CHECK(saCkptCheckpointOpenAsync(h3, 11, &na, NULL, SA_CKPT_CHECKPOINT_READ), SA_AIS_OK);
	CHECK(saCkptDispatch(h3, SA_DISPATCH_BLOCKING), SA_AIS_OK);
	EXPECT(seen.opens == 3 && seen.invocation == 11 && seen.error == SA_AIS_OK && seen.finalize == 0);
	CHECK(saCkptCheckpointClose(seen.checkpoint), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saCkptDispatch(h3, SA_DISPATCH_ALL), SA_AIS_ERR_BAD_HANDLE);
	h3 = 0;

	/* Tracking needs a B.2.3 handle with the callback and a checkpoint opened for
	   reading (see checks_tracking for the callbacks). */
	CHECK(saCkptTrack(bare), SA_AIS_ERR_VERSION);
	CHECK(saCkptCheckpointTrack(gone), SA_AIS_ERR_ACCESS);
	memset(&cb2, 0, sizeof cb2);
	cb2.saCkptCheckpointTrackCallback = tracked;
	v = version('B', 2, 3);
	CHECK(saCkptInitialize_2(&h3, &cb2, &v), SA_AIS_OK);
	CHECK(saCkptTrackStop(h3), SA_AIS_ERR_NOT_EXIST);
	CHECK(saCkptTrack(h3), SA_AIS_OK);
	CHECK(saCkptTrackStop(h3), SA_AIS_OK);
	CHECK(saCkptCheckpointOpen(h3, &n, NULL, SA_CKPT_CHECKPOINT_READ, SEC, &gone), SA_AIS_OK);
	CHECK(saCkptCheckpointTrackStop(gone), SA_AIS_ERR_NOT_EXIST);
	CHECK(saCkptCheckpointTrack(gone), SA_AIS_OK);
	CHECK(saCkptCheckpointTrackStop(gone), SA_AIS_OK);
	CHECK(saCkptFinalize(h3), SA_AIS_OK);
	CHECK(saCkptCheckpointClose(gone), SA_AIS_ERR_BAD_HANDLE);

	/* A B.01 iteration owns its ids until it is finalized. */
	v = version('B', 1, 1);
	CHECK(init(&old, NULL, &v), SA_AIS_OK);
	EXPECT(v.majorVersion == 1 && v.minorVersion == 1);
	CHECK(saCkptCheckpointOpen(old, &n, NULL, SA_CKPT_CHECKPOINT_READ, SEC, &gone), SA_AIS_OK);
	CHECK(saCkptSectionIterationInitialize(gone, SA_CKPT_SECTIONS_ANY, 0, &it), SA_AIS_OK);
	CHECK(saCkptSectionIterationNext(it, &d), SA_AIS_OK);
	first_id = d.sectionId.id;
	CHECK(saCkptSectionIterationFinalize(it), SA_AIS_OK);
	CHECK(saCkptSectionIdFree(gone, first_id), SA_AIS_ERR_INVALID_PARAM);

	/* Unlink: the name goes, the openers keep it. */
	CHECK(saCkptCheckpointUnlink(h1, &n), SA_AIS_OK);
	CHECK(saCkptCheckpointUnlink(h1, &n), SA_AIS_ERR_NOT_EXIST);
	CHECK(saCkptCheckpointOpen(h2, &n, NULL, SA_CKPT_CHECKPOINT_READ, SEC, &gone), SA_AIS_ERR_NOT_EXIST);
	got = read_all(r, "beta", &size);
	EXPECT(got != NULL && size == 4000000);
	if (got)
		CHECK(saCkptIOVectorElementDataFree(r, got), SA_AIS_OK);

	/* Close; finalize closes the rest. */
	CHECK(saCkptCheckpointClose(w), SA_AIS_OK);
	CHECK(saCkptCheckpointClose(w), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saCkptCheckpointWrite(w, io, 1, &ix), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saCkptFinalize(old), SA_AIS_OK);
	CHECK(saCkptFinalize(bare), SA_AIS_OK);
	CHECK(saCkptCheckpointClose(async), SA_AIS_OK);
	CHECK(saCkptCheckpointUnlink(h1, &na), SA_AIS_OK);
	CHECK(saCkptCheckpointUnlink(h1, &n1), SA_AIS_OK);
	CHECK(saCkptFinalize(h2), SA_AIS_OK);
	CHECK(saCkptCheckpointStatusGet(r, &st), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saCkptCheckpointClose(c), SA_AIS_OK);
	CHECK(saCkptCheckpointClose(one), SA_AIS_OK);
}

/* ckpt_live write NAME TEXT */
/* Opens a B.02.03 handle with the track callback, retrying while the executive starts. */
static SaAisErrorT init_tracking(SaCkptHandleT *h)
{
	SaCkptCallbacksT_2 cb;
	SaVersionT v;
	SaAisErrorT rc = SA_AIS_ERR_TRY_AGAIN;
	int tries;
	memset(&cb, 0, sizeof cb);
	cb.saCkptCheckpointTrackCallback = tracked;
	for (tries = 0; tries < 100 && rc == SA_AIS_ERR_TRY_AGAIN; tries++) {
		v = version('B', 2, 3);
		rc = saCkptInitialize_2(h, &cb, &v);
		if (rc == SA_AIS_ERR_TRY_AGAIN)
			sleep_ms(50);
	}
	return rc;
}

/* Runs one callback of `h` (waiting for it): a track callback for `checkpoint` with one
   element, or two when `id2` is given. */
static void expect_track(int line, SaCkptHandleT h, SaCkptCheckpointHandleT checkpoint, const char *id,
			 SaOffsetT offset, SaSizeT size, const char *id2, SaOffsetT offset2, SaSizeT size2)
{
	SaUint32T want = id2 ? 2 : 1;
	int before = track_seen.calls;
	if (dispatch_one(h) != SA_AIS_OK || track_seen.calls != before + 1) {
		fprintf(stderr, "FAIL %s:%d: no track callback\n", __FILE__, line);
		failures++;
		return;
	}
	if (track_seen.checkpoint != checkpoint || track_seen.n != want || strcmp(track_seen.e[0].id, id) != 0 ||
	    track_seen.e[0].offset != offset || track_seen.e[0].size != size || !track_seen.e[0].no_data ||
	    (id2 && (strcmp(track_seen.e[1].id, id2) != 0 || track_seen.e[1].offset != offset2 ||
		     track_seen.e[1].size != size2 || !track_seen.e[1].no_data))) {
		fprintf(stderr, "FAIL %s:%d: track callback for %llx with %u elements, first %s at %llu size %llu\n",
			__FILE__, line, (unsigned long long)track_seen.checkpoint, (unsigned)track_seen.n,
			track_seen.e[0].id, (unsigned long long)track_seen.e[0].offset,
			(unsigned long long)track_seen.e[0].size);
		failures++;
	}
}

/* No callback is pending for `h` (after 300 ms). */
static void expect_quiet(int line, SaCkptHandleT h)
{
	SaSelectionObjectT sel = 0;
	struct pollfd p;
	CHECK(saCkptSelectionObjectGet(h, &sel), SA_AIS_OK);
	p.fd = (int)sel;
	p.events = POLLIN;
	p.revents = 0;
	if (poll(&p, 1, 300) != 0) {
		fprintf(stderr, "FAIL %s:%d: an unexpected callback\n", __FILE__, line);
		failures++;
		saCkptDispatch(h, SA_DISPATCH_ALL);
	}
}

/* saCkptTrack and saCkptCheckpointTrack: the changes another handle makes reach the
   tracking handles at dispatch, for the checkpoints they track and opened for reading. */
static void checks_tracking(void)
{
	SaCkptHandleT hw = 0, t1 = 0, t2 = 0;
	SaCkptCheckpointHandleT w = 0, wo = 0, r1 = 0, o1 = 0, r2 = 0, w2 = 0;
	SaVersionT v = version('B', 2, 1);
	SaNameT n = name("safCkpt=tracked"), other = name("safCkpt=untracked");
	SaCkptCheckpointCreationAttributesT a = attributes(SA_CKPT_WR_ALL_REPLICAS, 4, 100);
	SaCkptCheckpointOpenFlagsT rw = SA_CKPT_CHECKPOINT_READ | SA_CKPT_CHECKPOINT_WRITE;
	SaCkptSectionIdT s1 = section("s1");
	SaCkptSectionCreationAttributesT sa;
	SaCkptIOVectorElementT two[2];
	SaUint32T index = 0;

	CHECK(init(&hw, NULL, &v), SA_AIS_OK);
	CHECK(init_tracking(&t1), SA_AIS_OK);
	CHECK(init_tracking(&t2), SA_AIS_OK);
	CHECK(saCkptCheckpointOpen(hw, &n, &a, rw | SA_CKPT_CHECKPOINT_CREATE, 5 * SEC, &w), SA_AIS_OK);
	CHECK(saCkptCheckpointOpen(hw, &other, &a, rw | SA_CKPT_CHECKPOINT_CREATE, 5 * SEC, &wo), SA_AIS_OK);
	CHECK(saCkptCheckpointOpen(t1, &n, NULL, SA_CKPT_CHECKPOINT_READ, 5 * SEC, &r1), SA_AIS_OK);
	CHECK(saCkptCheckpointOpen(t1, &other, NULL, SA_CKPT_CHECKPOINT_READ, 5 * SEC, &o1), SA_AIS_OK);
	CHECK(saCkptCheckpointOpen(t2, &n, NULL, SA_CKPT_CHECKPOINT_READ, 5 * SEC, &r2), SA_AIS_OK);
	CHECK(saCkptCheckpointOpen(t2, &n, NULL, SA_CKPT_CHECKPOINT_WRITE, 5 * SEC, &w2), SA_AIS_OK);

	/* The errors: no read access, stops of what was not started. */
	CHECK(saCkptCheckpointTrack(w2), SA_AIS_ERR_ACCESS);
	CHECK(saCkptTrackStop(t2), SA_AIS_ERR_NOT_EXIST);
	CHECK(saCkptCheckpointTrackStop(r1), SA_AIS_ERR_NOT_EXIST);
	CHECK(saCkptTrack(hw), SA_AIS_ERR_INIT);
	CHECK(saCkptCheckpointTrack(w), SA_AIS_ERR_INIT);

	/* t1 tracks the one checkpoint, t2 everything it has open (for reading: not w2). */
	CHECK(saCkptCheckpointTrack(r1), SA_AIS_OK);
	CHECK(saCkptTrack(t2), SA_AIS_OK);

	sa.sectionId = &s1;
	sa.expirationTime = SA_TIME_END;
	CHECK(saCkptSectionCreate(w, &sa, "abc", 3), SA_AIS_OK);
	expect_track(__LINE__, t1, r1, "s1", 0, 3, NULL, 0, 0);
	expect_track(__LINE__, t2, r2, "s1", 0, 3, NULL, 0, 0);

	two[0] = element("s1", (void *)"xy", 2, 1);
	two[1] = element("s1", (void *)"z", 1, 5);
	CHECK(saCkptCheckpointWrite(w, two, 2, &index), SA_AIS_OK);
	expect_track(__LINE__, t1, r1, "s1", 1, 2, "s1", 5, 1);
	expect_track(__LINE__, t2, r2, "s1", 1, 2, "s1", 5, 1);

	CHECK(saCkptSectionOverwrite(w, &s1, "hello!", 6), SA_AIS_OK);
	expect_track(__LINE__, t1, r1, "s1", 0, 6, NULL, 0, 0);
	expect_track(__LINE__, t2, r2, "s1", 0, 6, NULL, 0, 0);

	/* The other checkpoint: t1 does not track it, t2 has not opened it. */
	CHECK(saCkptSectionCreate(wo, &sa, "q", 1), SA_AIS_OK);
	expect_quiet(__LINE__, t1);
	expect_quiet(__LINE__, t2);

	/* The tracker's own change through w2 is reported too. */
	CHECK(saCkptSectionDelete(w2, &s1), SA_AIS_OK);
	expect_track(__LINE__, t1, r1, "s1", 0, 0, NULL, 0, 0);
	expect_track(__LINE__, t2, r2, "s1", 0, 0, NULL, 0, 0);

	/* After the stops, nothing. */
	CHECK(saCkptCheckpointTrackStop(r1), SA_AIS_OK);
	CHECK(saCkptCheckpointTrackStop(r1), SA_AIS_ERR_NOT_EXIST);
	CHECK(saCkptTrackStop(t2), SA_AIS_OK);
	CHECK(saCkptTrackStop(t2), SA_AIS_ERR_NOT_EXIST);
	CHECK(saCkptSectionCreate(w, &sa, "again", 5), SA_AIS_OK);
	expect_quiet(__LINE__, t1);
	expect_quiet(__LINE__, t2);

	/* A checkpoint opened after saCkptTrack is tracked as well. */
	CHECK(saCkptTrack(t1), SA_AIS_OK);
	CHECK(saCkptCheckpointClose(r1), SA_AIS_OK);
	CHECK(saCkptCheckpointOpen(t1, &n, NULL, SA_CKPT_CHECKPOINT_READ, 5 * SEC, &r1), SA_AIS_OK);
	CHECK(saCkptSectionOverwrite(w, &s1, "x", 1), SA_AIS_OK);
	expect_track(__LINE__, t1, r1, "s1", 0, 1, NULL, 0, 0);
	expect_quiet(__LINE__, t2);

	CHECK(saCkptCheckpointUnlink(hw, &n), SA_AIS_OK);
	CHECK(saCkptCheckpointUnlink(hw, &other), SA_AIS_OK);
	CHECK(saCkptFinalize(t1), SA_AIS_OK);
	CHECK(saCkptFinalize(t2), SA_AIS_OK);
	CHECK(saCkptFinalize(hw), SA_AIS_OK);
	CHECK(saCkptTrack(t1), SA_AIS_ERR_BAD_HANDLE);
	CHECK(saCkptCheckpointTrack(r1), SA_AIS_ERR_BAD_HANDLE);
}

static int write_text(const char *ckpt, const char *text)
{
	SaCkptHandleT h;
	SaCkptCheckpointHandleT c;
	SaVersionT v = version('B', 2, 3);
	SaNameT n = name(ckpt);
	SaCkptCheckpointCreationAttributesT a = attributes(SA_CKPT_WR_ALL_REPLICAS, 2, 1 << 20);
	SaCkptSectionIdT id = section("s");
	SaCkptSectionCreationAttributesT sa;
	SaAisErrorT rc;
	int tries;

	sa.sectionId = &id;
	sa.expirationTime = SA_TIME_END;
	CHECK(init(&h, NULL, &v), SA_AIS_OK);
	rc = SA_AIS_ERR_TRY_AGAIN;
	for (tries = 0; tries < 100 && rc == SA_AIS_ERR_TRY_AGAIN; tries++) {
		rc = saCkptCheckpointOpen(h, &n, &a, SA_CKPT_CHECKPOINT_CREATE | SA_CKPT_CHECKPOINT_WRITE, 5 * SEC, &c);
		if (rc == SA_AIS_ERR_TRY_AGAIN)
			sleep_ms(100);
	}
	CHECK(rc, SA_AIS_OK);
	rc = saCkptSectionCreate(c, &sa, text, strlen(text));
	if (rc == SA_AIS_ERR_EXIST)
		rc = saCkptSectionOverwrite(c, &id, text, strlen(text));
	CHECK(rc, SA_AIS_OK);
	CHECK(saCkptFinalize(h), SA_AIS_OK);
	return failures ? 1 : 0;
}

/* ckpt_live read NAME TEXT */
static int read_text(const char *ckpt, const char *text)
{
	SaCkptHandleT h;
	SaCkptCheckpointHandleT c;
	SaVersionT v = version('B', 1, 1);
	SaNameT n = name(ckpt);
	SaAisErrorT rc = SA_AIS_ERR_NOT_EXIST;
	SaSizeT size = 0;
	char *got = NULL;
	int tries, same = 0;

	CHECK(init(&h, NULL, &v), SA_AIS_OK);
	for (tries = 0; tries < 100 && !same; tries++) {
		rc = saCkptCheckpointOpen(h, &n, NULL, SA_CKPT_CHECKPOINT_READ, 5 * SEC, &c);
		if (rc == SA_AIS_OK) {
			got = read_all(c, "s", &size);
			same = got && size == strlen(text) && memcmp(got, text, size) == 0;
			if (got)
				CHECK(saCkptIOVectorElementDataFree(c, got), SA_AIS_OK);
			CHECK(saCkptCheckpointClose(c), SA_AIS_OK);
		}
		if (!same)
			sleep_ms(100);
	}
	if (!same) {
		fprintf(stderr, "FAIL: %s does not hold \"%s\" (last open: %d)\n", ckpt, text, (int)rc);
		failures++;
	}
	CHECK(saCkptFinalize(h), SA_AIS_OK);
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	SaCkptCallbacksT cb;
	SaCkptHandleT h1 = 0, h2 = 0;
	SaVersionT v;
	SaAisErrorT rc;

	if (argc == 4 && strcmp(argv[1], "write") == 0)
		return write_text(argv[2], argv[3]);
	if (argc == 4 && strcmp(argv[1], "read") == 0)
		return read_text(argv[2], argv[3]);
	if (argc != 1) {
		fprintf(stderr, "usage: %s [write|read NAME TEXT]\n", argv[0]);
		return 2;
	}

	checks_in_the_library();

	cb.saCkptCheckpointOpenCallback = opened;
	cb.saCkptCheckpointSynchronizeCallback = synchronized;
	v = version('B', 2, 1);
	rc = init(&h1, &cb, &v);
	CHECK(rc, SA_AIS_OK);
	EXPECT(v.releaseCode == 'B' && v.majorVersion == 2 && v.minorVersion == 3);
	v = version('B', 1, 1);
	CHECK(init(&h2, NULL, &v), SA_AIS_OK);
	EXPECT(v.majorVersion == 1 && v.minorVersion == 1);
	if (rc == SA_AIS_OK) {
		checks_with_the_executive(h1, h2);
		checks_tracking();
	}
	CHECK(saCkptFinalize(h1), SA_AIS_OK);
	CHECK(saCkptFinalize(h1), SA_AIS_ERR_BAD_HANDLE);

	if (failures) {
		fprintf(stderr, "ckpt_live: %d checks FAILED\n", failures);
		return 1;
	}
	printf("ckpt_live: ok\n");
	return 0;
}
