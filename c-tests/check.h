/*
 * The checks the C tests count and report: CHECK compares an SA Forum call's
 * result with the code wanted, EXPECT a condition. Each failure prints the file,
 * line and expression; `failures` and `checks` are the test's totals.
 */
#ifndef AIS_C_TESTS_CHECK_H
#define AIS_C_TESTS_CHECK_H

#include <stdio.h>

static int failures, checks;

#define CHECK(expr, want)                                                          \
	do {                                                                       \
		SaAisErrorT got_ = (expr);                                         \
		checks++;                                                          \
		if (got_ != (want)) {                                              \
			fprintf(stderr, "FAIL %s:%d: %s = %d, want %d\n", __FILE__, \
				__LINE__, #expr, (int)got_, (int)(want));          \
			failures++;                                                \
		}                                                                  \
	} while (0)

#define EXPECT(cond)                                                              \
	do {                                                                      \
		checks++;                                                         \
		if (!(cond)) {                                                    \
			fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
			failures++;                                               \
		}                                                                 \
	} while (0)

#endif
