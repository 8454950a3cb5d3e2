/*
 * The checkpoint failover check: a writer records numbered records as fast as it can;
 * after its node is killed, readers elsewhere must find every record the writer saw
 * acknowledged, in order, with nothing invented.
 *
 *   ckpt_failover writer NAME ACKLOG   create checkpoint NAME, append records to its one
 *                                      section until killed; after each acknowledged
 *                                      write, append the record's number to ACKLOG
 *   ckpt_failover check NAME ACKLOG    read NAME and check it against ACKLOG (exit 0
 *                                      when it holds; prints what it found)
 *   ckpt_failover follow NAME SECS     read NAME again and again for SECS seconds, as a
 *                                      standby does, checking each read is a valid prefix
 *
 * A record is 16 bytes at offset 16*N of section "log": the number N (8 bytes, big
 * endian), then a check value derived from it (8 bytes). The section holds a valid
 * prefix when every record in it is intact and numbered in place.
 */
#include <saCkpt.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RECORD 16
#define SECTION "log"
/* Room for about 4 million records. */
#define SECTION_MAX ((SaSizeT)64 << 20)

static SaVersionT version = {'B', 1, 1};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void nap(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static SaNameT name_of(const char *s)
{
	SaNameT n;
	memset(&n, 0, sizeof n);
	n.length = (SaUint16T)strlen(s);
	memcpy(n.value, s, n.length);
	return n;
}

static SaUint64T check_value(SaUint64T n)
{
	SaUint64T x = n * 0x9E3779B97F4A7C15ULL + 0x5bd1e995ULL;
	x ^= x >> 29;
	return x * 0xBF58476D1CE4E5B9ULL;
}

static void put64(unsigned char *p, SaUint64T v)
{
	int i;
	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)(v & 0xff);
}

static SaUint64T get64(const unsigned char *p)
{
	SaUint64T v = 0;
	int i;
	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* Repeats `call` while it answers TRY_AGAIN (the executive starting or synchronising). */
#define RETRY(rc, call)                                                                      \
	do {                                                                                 \
		double end_ = now() + 20;                                                    \
		while (((rc) = (call)) == SA_AIS_ERR_TRY_AGAIN && now() < end_)              \
			nap(10);                                                             \
	} while (0)

static int open_ckpt(const char *name, int create, SaCkptHandleT *h, SaCkptCheckpointHandleT *c)
{
	SaAisErrorT rc;
	SaNameT n = name_of(name);
	SaCkptCheckpointCreationAttributesT attrs;
	memset(&attrs, 0, sizeof attrs);
	attrs.creationFlags = SA_CKPT_WR_ALL_REPLICAS;
	attrs.checkpointSize = SECTION_MAX;
	attrs.retentionDuration = SA_TIME_ONE_HOUR;
	attrs.maxSections = 2;
	attrs.maxSectionSize = SECTION_MAX;
	attrs.maxSectionIdSize = 16;
	RETRY(rc, saCkptInitialize(h, NULL, &version));
	if (rc != SA_AIS_OK) {
		fprintf(stderr, "saCkptInitialize: %d\n", (int)rc);
		return 0;
	}
	if (create)
		RETRY(rc, saCkptCheckpointOpen(*h, &n, &attrs,
					       SA_CKPT_CHECKPOINT_CREATE | SA_CKPT_CHECKPOINT_READ |
						       SA_CKPT_CHECKPOINT_WRITE,
					       5 * SA_TIME_ONE_SECOND, c));
	else
		RETRY(rc, saCkptCheckpointOpen(*h, &n, NULL, SA_CKPT_CHECKPOINT_READ, 5 * SA_TIME_ONE_SECOND, c));
	if (rc != SA_AIS_OK) {
		fprintf(stderr, "saCkptCheckpointOpen(%s): %d\n", name, (int)rc);
		return 0;
	}
	return 1;
}

static int writer(const char *name, const char *acklog)
{
	SaCkptHandleT h;
	SaCkptCheckpointHandleT c;
	SaAisErrorT rc;
	SaCkptSectionIdT id = {sizeof SECTION - 1, (SaUint8T *)SECTION};
	SaCkptSectionCreationAttributesT sattrs = {&id, SA_TIME_END};
	SaUint64T n;
	int fd = open(acklog, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
	if (fd < 0 || !open_ckpt(name, 1, &h, &c))
		return 1;
	RETRY(rc, saCkptSectionCreate(c, &sattrs, NULL, 0));
	if (rc != SA_AIS_OK && rc != SA_AIS_ERR_EXIST) {
		fprintf(stderr, "saCkptSectionCreate: %d\n", (int)rc);
		return 1;
	}
	for (n = 0; (n + 1) * RECORD <= SECTION_MAX; n++) {
		unsigned char rec[RECORD];
		char line[32];
		int len;
		SaUint32T bad = 0;
		SaCkptIOVectorElementT e;
		put64(rec, n);
		put64(rec + 8, check_value(n));
		memset(&e, 0, sizeof e);
		e.sectionId = id;
		e.dataBuffer = rec;
		e.dataSize = RECORD;
		e.dataOffset = n * RECORD;
		RETRY(rc, saCkptCheckpointWrite(c, &e, 1, &bad));
		if (rc != SA_AIS_OK) {
			fprintf(stderr, "saCkptCheckpointWrite(record %llu): %d\n", (unsigned long long)n, (int)rc);
			return 1;
		}
		/* Acknowledged: only now does the record count as written. */
		len = snprintf(line, sizeof line, "%llu\n", (unsigned long long)n);
		if (write(fd, line, (size_t)len) != len)
			return 1;
	}
	return 0;
}

/* Reads the section; returns the number of intact, in-place records at its start, or -1
 * when something in it is not such a record (invented or corrupted data). */
static long long read_prefix(SaCkptCheckpointHandleT c, int verbose)
{
	SaCkptSectionIdT id = {sizeof SECTION - 1, (SaUint8T *)SECTION};
	SaCkptIOVectorElementT e;
	SaUint32T bad = 0;
	SaAisErrorT rc;
	SaUint64T i, records;
	const unsigned char *p;
	memset(&e, 0, sizeof e);
	e.sectionId = id;
	e.dataBuffer = NULL; /* the library allocates it */
	e.dataSize = SECTION_MAX;
	e.dataOffset = 0;
	RETRY(rc, saCkptCheckpointRead(c, &e, 1, &bad));
	if (rc != SA_AIS_OK) {
		fprintf(stderr, "saCkptCheckpointRead: %d\n", (int)rc);
		return -2;
	}
	if (e.readSize % RECORD != 0) {
		if (verbose)
			fprintf(stderr, "section holds %llu bytes, not whole records\n",
				(unsigned long long)e.readSize);
		saCkptIOVectorElementDataFree(c, e.dataBuffer);
		return -1;
	}
	records = e.readSize / RECORD;
	p = e.dataBuffer;
	for (i = 0; i < records; i++, p += RECORD) {
		if (get64(p) != i || get64(p + 8) != check_value(i)) {
			if (verbose)
				fprintf(stderr, "record %llu is not record %llu\n", (unsigned long long)i,
					(unsigned long long)get64(p));
			saCkptIOVectorElementDataFree(c, e.dataBuffer);
			return -1;
		}
	}
	saCkptIOVectorElementDataFree(c, e.dataBuffer);
	return (long long)records;
}

static int check(const char *name, const char *acklog)
{
	SaCkptHandleT h;
	SaCkptCheckpointHandleT c;
	long long have, acked = -1;
	unsigned long long v;
	FILE *f = fopen(acklog, "r");
	if (!f) {
		fprintf(stderr, "%s: %s\n", acklog, strerror(errno));
		return 1;
	}
	while (fscanf(f, "%llu", &v) == 1) {
		if ((long long)v != acked + 1) {
			fprintf(stderr, "%s: acknowledged %llu after %lld\n", acklog, v, acked);
			return 1;
		}
		acked = (long long)v;
	}
	fclose(f);
	if (!open_ckpt(name, 0, &h, &c))
		return 1;
	have = read_prefix(c, 1);
	saCkptFinalize(h);
	if (have < 0)
		return 1;
	printf("ckpt_failover: %lld records acknowledged, %lld readable\n", acked + 1, have);
	if (have < acked + 1) {
		fprintf(stderr, "ckpt_failover: acknowledged record %lld is missing\n", have);
		return 1;
	}
	return 0;
}

static int follow(const char *name, double secs)
{
	SaCkptHandleT h;
	SaCkptCheckpointHandleT c;
	long long last = 0, have;
	long reads = 0;
	double end = now() + secs;
	if (!open_ckpt(name, 0, &h, &c))
		return 1;
	while (now() < end) {
		have = read_prefix(c, 1);
		if (have == -1)
			return 1;
		if (have >= 0) {
			if (have < last) {
				fprintf(stderr, "ckpt_failover: %lld records read after %lld\n", have, last);
				return 1;
			}
			last = have;
			reads++;
		}
		nap(20);
	}
	saCkptFinalize(h);
	printf("ckpt_failover: followed %ld reads, last saw %lld records\n", reads, last);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "writer") == 0)
		return writer(argv[2], argv[3]);
	if (argc == 4 && strcmp(argv[1], "check") == 0)
		return check(argv[2], argv[3]);
	if (argc == 4 && strcmp(argv[1], "follow") == 0)
		return follow(argv[2], atof(argv[3]));
	fprintf(stderr, "usage: %s writer|check NAME ACKLOG | follow NAME SECS\n", argv[0]);
	return 2;
}
