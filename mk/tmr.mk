# mk/tmr.mk: libSaTmr's C test against a live one-node executive (c-tests/tmr_live.c),
# built against include/saTmr.h and this libSaTmr.so.3, as C99 and as C++; and the
# timer benchmark (c-tests/tmr_bench.c), a figure, not a test.
#
#   make tmr-live-check
#   make bench-tmr                            idle, then during a CPG flood, one aisexec
#   make bench-tmr TMR_BENCH_ARGS='-n 1000,100000'
#
# Pending: named mk/tmr.mk.pending so that the `-include mk/*.mk` glob skips it until
# libSaTmr.so.3 and <saTmr.h> exist. With them: rename it mk/tmr.mk, and add SaTmr to
# FFI_LIBS in mk/ffi.mk (FFI_VERSION_SaTmr := 3.0.0).

TMR_LIVE := $(RELEASE)/c-tests/tmr_live
TMR_LIVE_CXX := $(RELEASE)/c-tests/tmr_live_cxx
TMR_CFLAGS := -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -pedantic -Iinclude
TMR_CXXFLAGS := -std=c++11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -pedantic -Iinclude

.PHONY: tmr-live-check
check: tmr-live-check

$(TMR_LIVE): c-tests/tmr_live.c include/saTmr.h include/saAis.h ffi-libs
	@mkdir -p $(@D)
	$(CC) $(TMR_CFLAGS) -o $@ c-tests/tmr_live.c -L$(RELEASE) -lSaTmr

# The program must need libSaTmr.so.3 and bind to the version node openais's did.
tmr-live-check: $(TMR_LIVE) build
	@objdump -p $(TMR_LIVE) | grep 'NEEDED *libSaTmr.so.3$$' >/dev/null || { echo "$(TMR_LIVE): no NEEDED libSaTmr.so.3" >&2; exit 1; }
	@objdump -T $(TMR_LIVE) | grep '(OPENAIS_TMR_A.01.01) saTmrInitialize$$' >/dev/null || { echo "$(TMR_LIVE): no reference to (OPENAIS_TMR_A.01.01) saTmrInitialize" >&2; exit 1; }
	c-tests/one-node.sh $(RELEASE) $(TMR_LIVE)
	@if command -v $(CXX) >/dev/null; then \
		$(CXX) $(TMR_CXXFLAGS) -x c++ -o $(TMR_LIVE_CXX) c-tests/tmr_live.c -x none -L$(RELEASE) -lSaTmr && \
		c-tests/one-node.sh $(RELEASE) $(TMR_LIVE_CXX) && echo "tmr_live (C++): ok"; \
	else echo "tmr-live-check: SKIPPED C++ ($(CXX) not installed)"; fi

# The benchmark, against one aisexec on 127.0.0.1: idle, then while cpg_bench floods it
# (c-tests/tmr-bench.sh). (CPG_BENCH comes from mk/bench-cpg.mk.)
TMR_BENCH := $(RELEASE)/c-tests/tmr_bench
TMR_BENCH_ARGS ?=

.PHONY: bench-tmr
$(TMR_BENCH): c-tests/tmr_bench.c include/saTmr.h include/saAis.h ffi-libs
	@mkdir -p $(@D)
	$(CC) $(TMR_CFLAGS) -O2 -o $@ c-tests/tmr_bench.c -L$(RELEASE) -lSaTmr

bench-tmr: $(TMR_BENCH) $(RELEASE)/c-tests/cpg_bench build
	c-tests/one-node.sh $(RELEASE) c-tests/tmr-bench.sh $(TMR_BENCH) $(RELEASE)/c-tests/cpg_bench $(TMR_BENCH_ARGS)
