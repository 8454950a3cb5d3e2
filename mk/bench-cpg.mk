# mk/bench-cpg.mk: the CPG benchmark (c-tests/cpg_bench.c).
#
#   make bench-cpg                    flood at 64 B .. 1 MB, then self-delivery latency,
#                                     against one aisexec on 127.0.0.1
#   make bench-cpg CPG_BENCH_ARGS='-t 10 -n 50000'
#
# The same source builds unchanged against corosync's <corosync/cpg.h> and libcpg;
# c-tests/cpg-bench.sh runs it against a private corosync too (see its header).
# Figures are printed, never judged. `make check` only compiles the program.

CPG_BENCH := $(RELEASE)/c-tests/cpg_bench
CPG_BENCH_CFLAGS := -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -pedantic -O2
CPG_BENCH_ARGS ?= -m all
SYS_COROSYNC_INCLUDE := /usr/include/corosync

.PHONY: bench-cpg cpg-bench-compile
check: cpg-bench-compile

$(CPG_BENCH): c-tests/cpg_bench.c include/corosync/cpg.h ffi-libs
	@mkdir -p $(@D)
	$(CC) $(CPG_BENCH_CFLAGS) -Iinclude -o $@ c-tests/cpg_bench.c -L$(RELEASE) -lcpg

bench-cpg: $(CPG_BENCH) build
	c-tests/cpg-bench.sh ais $(RELEASE) $(CPG_BENCH) $(CPG_BENCH_ARGS)

# Compiled, not run: against include/corosync/cpg.h (required), then against the
# system's corosync headers when they are installed.
cpg-bench-compile: c-tests/cpg_bench.c include/corosync/cpg.h
	@mkdir -p $(RELEASE)/c-tests
	@$(CC) $(CPG_BENCH_CFLAGS) -Iinclude -c -o $(RELEASE)/c-tests/cpg_bench.o c-tests/cpg_bench.c
	@echo "cpg-bench-compile: ok against include/corosync/cpg.h"
	@if [ -d $(SYS_COROSYNC_INCLUDE) ]; then \
		$(CC) $(CPG_BENCH_CFLAGS) -c -o $(RELEASE)/c-tests/cpg_bench_corosync.o c-tests/cpg_bench.c && \
		echo "cpg-bench-compile: ok against $(SYS_COROSYNC_INCLUDE)/cpg.h"; \
	else \
		echo "cpg-bench-compile: SKIPPED against corosync's headers ($(SYS_COROSYNC_INCLUDE) not installed)"; \
	fi
