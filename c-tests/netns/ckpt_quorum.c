/*
 * A checkpoint writer across a quorum change, for c-tests/netns/quorum.sh:
 *   ckpt_quorum NAME TEXT VERSION GO WANT
 * opens checkpoint NAME (created if needed) with a handle of VERSION
 * (B.01.01 or B.02.03) while the partition is quorate, creates GO.ready,
 * waits for the file GO, then overwrites section "s" with TEXT. WANT "ok":
 * the write must succeed (TRY_AGAIN while re-synchronising is retried);
 * WANT "refused": every try for two seconds must answer the refusal of
 * openais.conf(5), QUORUM: SA_AIS_ERR_TRY_AGAIN on a B.01.01 handle,
 * SA_AIS_ERR_UNAVAILABLE on a B.02.03 one.
 */
#include <saCkpt.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#define SEC 1000000000LL

static void sleep_ms(long ms)
{
	struct timespec t;
	t.tv_sec = ms / 1000;
	t.tv_nsec = (ms % 1000) * 1000000L;
	nanosleep(&t, NULL);
}

static int exists(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	fclose(f);
	return 1;
}

int main(int argc, char **argv)
{
	SaCkptHandleT h;
	SaCkptCheckpointHandleT c;
	SaVersionT v;
	SaNameT n;
	SaCkptCheckpointCreationAttributesT a;
	SaCkptSectionIdT id;
	SaAisErrorT rc = SA_AIS_ERR_TRY_AGAIN, refusal;
	char ready[4096];
	FILE *f;
	int tries, want_ok;

	if (argc != 6 || (strcmp(argv[3], "B.01.01") != 0 && strcmp(argv[3], "B.02.03") != 0) ||
	    (strcmp(argv[5], "ok") != 0 && strcmp(argv[5], "refused") != 0) || strlen(argv[1]) > SA_MAX_NAME_LENGTH) {
		fprintf(stderr, "usage: %s NAME TEXT B.01.01|B.02.03 GO ok|refused\n", argv[0]);
		return 2;
	}
	want_ok = strcmp(argv[5], "ok") == 0;
	v.releaseCode = 'B';
	v.majorVersion = argv[3][3] == '1' ? 1 : 2;
	v.minorVersion = argv[3][3] == '1' ? 1 : 3;
	refusal = v.majorVersion == 1 ? SA_AIS_ERR_TRY_AGAIN : SA_AIS_ERR_UNAVAILABLE;
	memset(&n, 0, sizeof n);
	n.length = (SaUint16T)strlen(argv[1]);
	memcpy(n.value, argv[1], n.length);
	memset(&a, 0, sizeof a);
	a.creationFlags = SA_CKPT_WR_ALL_REPLICAS;
	a.checkpointSize = 1 << 20;
	a.retentionDuration = SA_TIME_END;
	a.maxSections = 2;
	a.maxSectionSize = 1 << 20;
	a.maxSectionIdSize = 16;
	id.id = (SaUint8T *)"s";
	id.idLen = 1;

	if ((rc = saCkptInitialize(&h, NULL, &v)) != SA_AIS_OK) {
		fprintf(stderr, "saCkptInitialize: %d\n", (int)rc);
		return 1;
	}
	rc = SA_AIS_ERR_TRY_AGAIN;
	for (tries = 0; tries < 100 && rc == SA_AIS_ERR_TRY_AGAIN; tries++) {
		rc = saCkptCheckpointOpen(h, &n, NULL, SA_CKPT_CHECKPOINT_WRITE, 5 * SEC, &c);
		if (rc == SA_AIS_ERR_NOT_EXIST)
			rc = saCkptCheckpointOpen(h, &n, &a, SA_CKPT_CHECKPOINT_CREATE | SA_CKPT_CHECKPOINT_WRITE, 5 * SEC,
						  &c);
		if (rc == SA_AIS_ERR_TRY_AGAIN)
			sleep_ms(100);
	}
	if (rc != SA_AIS_OK) {
		fprintf(stderr, "saCkptCheckpointOpen: %d\n", (int)rc);
		return 1;
	}
	snprintf(ready, sizeof ready, "%s.ready", argv[4]);
	if (!(f = fopen(ready, "w"))) {
		perror(ready);
		return 1;
	}
	fclose(f);
	for (tries = 0; !exists(argv[4]); tries++) {
		if (tries > 1200) {
			fprintf(stderr, "%s never came\n", argv[4]);
			return 1;
		}
		sleep_ms(50);
	}
	for (tries = 0; tries < (want_ok ? 100 : 20); tries++) {
		rc = saCkptSectionOverwrite(c, &id, argv[2], strlen(argv[2]));
		if (rc == SA_AIS_ERR_NOT_EXIST) {
			SaCkptSectionCreationAttributesT sa;
			sa.sectionId = &id;
			sa.expirationTime = SA_TIME_END;
			rc = saCkptSectionCreate(c, &sa, argv[2], strlen(argv[2]));
		}
		if (want_ok && rc != SA_AIS_ERR_TRY_AGAIN)
			break;
		if (!want_ok && rc != refusal)
			break;
		sleep_ms(100);
	}
	saCkptFinalize(h);
	if (want_ok ? rc != SA_AIS_OK : rc != refusal) {
		fprintf(stderr, "write of %s on a %s handle: %d, wanted %s\n", argv[1], argv[3], (int)rc, argv[5]);
		return 1;
	}
	printf("write of %s on a %s handle: %s\n", argv[1], argv[3], want_ok ? "ok" : "refused as wanted");
	return 0;
}
