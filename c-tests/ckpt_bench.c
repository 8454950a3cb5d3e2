/*
 * Checkpoint benchmark: saCkptCheckpointWrite and saCkptCheckpointRead of a section,
 * by one client or several (each its own process, handle and section), printing
 * operations/s and the p50/p99 latency of each operation. Figures, not a test.
 *
 *   ckpt_bench [-t SECONDS] [-s SIZE,SIZE,...] [-c CLIENTS,CLIENTS,...] [-n NAME]
 *
 * Defaults: 3 s per case, sizes 1024 and 65536, 1 and 8 clients. The executive is the
 * one AIS_IPC_SOCKET names; run it against one node or three.
 */
#include <saCkpt.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static SaVersionT version = {'B', 1, 1};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void nap(void)
{
	struct timespec ts = {0, 10 * 1000 * 1000};
	nanosleep(&ts, NULL);
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* One client: open (creating) NAME, create its own section, then `write` or `read`
 * SIZE bytes at offset 0 for SECS seconds. Sends its latencies (us, doubles) to `out`,
 * preceded by their count (size_t). */
static int client(const char *name, int index, const char *op, size_t size, double secs, int out)
{
	SaCkptHandleT h;
	SaCkptCheckpointHandleT c;
	SaAisErrorT rc;
	SaNameT n;
	SaCkptCheckpointCreationAttributesT attrs;
	char idbuf[16];
	SaCkptSectionIdT id;
	SaCkptSectionCreationAttributesT sattrs;
	SaCkptIOVectorElementT e;
	SaUint32T bad;
	size_t cap = 1 << 20, count = 0;
	double *lat = malloc(cap * sizeof *lat), end, t0;
	char *buf = calloc(1, size);
	if (!lat || !buf)
		return 1;
	memset(&n, 0, sizeof n);
	n.length = (SaUint16T)strlen(name);
	memcpy(n.value, name, n.length);
	memset(&attrs, 0, sizeof attrs);
	attrs.creationFlags = SA_CKPT_WR_ALL_REPLICAS;
	attrs.checkpointSize = (SaSizeT)64 * (1 << 20);
	attrs.retentionDuration = SA_TIME_ONE_MINUTE;
	attrs.maxSections = 64;
	attrs.maxSectionSize = 1 << 20;
	attrs.maxSectionIdSize = sizeof idbuf;
	end = now() + 10;
	while ((rc = saCkptInitialize(&h, NULL, &version)) == SA_AIS_ERR_TRY_AGAIN && now() < end)
		nap();
	if (rc != SA_AIS_OK) {
		fprintf(stderr, "saCkptInitialize: %d\n", (int)rc);
		return 1;
	}
	while ((rc = saCkptCheckpointOpen(h, &n, &attrs,
					  SA_CKPT_CHECKPOINT_CREATE | SA_CKPT_CHECKPOINT_READ |
						  SA_CKPT_CHECKPOINT_WRITE,
					  5 * SA_TIME_ONE_SECOND, &c)) == SA_AIS_ERR_TRY_AGAIN &&
	       now() < end)
		nap();
	if (rc != SA_AIS_OK) {
		fprintf(stderr, "saCkptCheckpointOpen: %d\n", (int)rc);
		return 1;
	}
	snprintf(idbuf, sizeof idbuf, "c%d", index);
	id.idLen = (SaUint16T)strlen(idbuf);
	id.id = (SaUint8T *)idbuf;
	sattrs.sectionId = &id;
	sattrs.expirationTime = SA_TIME_END;
	rc = saCkptSectionCreate(c, &sattrs, buf, size);
	if (rc != SA_AIS_OK && rc != SA_AIS_ERR_EXIST) {
		fprintf(stderr, "saCkptSectionCreate: %d\n", (int)rc);
		return 1;
	}
	memset(&e, 0, sizeof e);
	e.sectionId = id;
	e.dataBuffer = buf;
	e.dataSize = size;
	e.dataOffset = 0;
	end = now() + secs;
	while ((t0 = now()) < end) {
		if (op[0] == 'w')
			rc = saCkptCheckpointWrite(c, &e, 1, &bad);
		else
			rc = saCkptCheckpointRead(c, &e, 1, &bad);
		if (rc == SA_AIS_ERR_TRY_AGAIN)
			continue;
		if (rc != SA_AIS_OK) {
			fprintf(stderr, "saCkptCheckpoint%s: %d\n", op[0] == 'w' ? "Write" : "Read", (int)rc);
			return 1;
		}
		if (count == cap) {
			double *more = realloc(lat, 2 * cap * sizeof *lat);
			if (!more)
				return 1;
			lat = more;
			cap *= 2;
		}
		lat[count++] = (now() - t0) * 1e6;
		buf[0]++;
	}
	saCkptFinalize(h);
	if (write(out, &count, sizeof count) != (ssize_t)sizeof count)
		return 1;
	{
		size_t off = 0, bytes = count * sizeof *lat;
		while (off < bytes) {
			ssize_t w = write(out, (char *)lat + off, bytes - off);
			if (w <= 0)
				return 1;
			off += (size_t)w;
		}
	}
	return 0;
}

static int read_all(int fd, void *p, size_t n)
{
	size_t off = 0;
	while (off < n) {
		ssize_t r = read(fd, (char *)p + off, n - off);
		if (r <= 0)
			return 0;
		off += (size_t)r;
	}
	return 1;
}

static int run(const char *name, const char *op, size_t size, int clients, double secs)
{
	int i, failed = 0;
	pid_t pids[64];
	int fds[64];
	double *all = NULL;
	size_t total = 0;
	for (i = 0; i < clients; i++) {
		int p[2];
		if (pipe(p) != 0)
			return 1;
		pids[i] = fork();
		if (pids[i] == 0) {
			close(p[0]);
			_exit(client(name, i, op, size, secs, p[1]));
		}
		close(p[1]);
		fds[i] = p[0];
	}
	for (i = 0; i < clients; i++) {
		size_t count;
		int status;
		if (read_all(fds[i], &count, sizeof count)) {
			double *more = realloc(all, (total + count + 1) * sizeof *all);
			if (!more || !read_all(fds[i], more + total, count * sizeof *more))
				failed = 1;
			all = more;
			total += count;
		} else {
			failed = 1;
		}
		close(fds[i]);
		waitpid(pids[i], &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failed = 1;
	}
	if (failed || total == 0) {
		fprintf(stderr, "ckpt_bench: %s %zu B x%d failed\n", op, size, clients);
		free(all);
		return 1;
	}
	qsort(all, total, sizeof *all, cmp);
	printf("%-5s %7zu B  %d client%s  %9.0f ops/s  %8.1f MB/s  p50 %7.1f us  p99 %7.1f us\n", op, size,
	       clients, clients == 1 ? " " : "s", total / secs, total * (double)size / secs / 1e6,
	       all[total / 2], all[total * 99 / 100]);
	fflush(stdout);
	free(all);
	return 0;
}

int main(int argc, char **argv)
{
	double secs = 3;
	const char *sizes = "1024,65536", *clients = "1,8";
	char name[64];
	int opt, status = 0;
	snprintf(name, sizeof name, "ckpt_bench_%d", (int)getpid());
	while ((opt = getopt(argc, argv, "t:s:c:n:h")) != -1) {
		switch (opt) {
		case 't': secs = atof(optarg); break;
		case 's': sizes = optarg; break;
		case 'c': clients = optarg; break;
		case 'n': snprintf(name, sizeof name, "%s", optarg); break;
		default:
			fprintf(stderr, "usage: %s [-t SECONDS] [-s SIZE,...] [-c CLIENTS,...] [-n NAME]\n", argv[0]);
			return 2;
		}
	}
	{
		const char *ops[] = {"write", "read"};
		char sbuf[256], cbuf[256];
		char *s, *c, *ss, *cs;
		int o;
		snprintf(sbuf, sizeof sbuf, "%s", sizes);
		for (s = strtok_r(sbuf, ",", &ss); s; s = strtok_r(NULL, ",", &ss)) {
			snprintf(cbuf, sizeof cbuf, "%s", clients);
			for (c = strtok_r(cbuf, ",", &cs); c; c = strtok_r(NULL, ",", &cs)) {
				int k = atoi(c);
				if (k < 1 || k > 64) {
					fprintf(stderr, "clients: 1 to 64\n");
					return 2;
				}
				for (o = 0; o < 2; o++)
					status |= run(name, ops[o], (size_t)atol(s), k, secs);
			}
		}
	}
	return status;
}
