# mk/tmr.mk: libSaTmr's C test against a live one-node executive (c-tests/tmr_live.c),
# built against include/saTmr.h and this libSaTmr.so.3, as C99 and as C++; and the
# timer benchmark (c-tests/tmr_bench.c), a figure, not a test.
#
#   make tmr-live-check
#   make bench-tmr                            idle, then during a CPG flood, one aisexec
#   make bench-tmr TMR_BENCH_ARGS='-n 1000,100000'
#   make tmr-install-check                    pkg-config and <openais/saTmr.h> from an install

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

# Installed the way an application finds it: libSaTmr from the staged install of
# ffi-install-check, flags from pkg-config, both <saTmr.h> and <openais/saTmr.h>.
.PHONY: tmr-install-check
check: tmr-install-check
tmr-install-check: ffi-install-check
	@set -e; st=$$(cd $(FFI_STAGE) && pwd); \
	flags=$$(PKG_CONFIG_SYSROOT_DIR=$$st PKG_CONFIG_LIBDIR=$$st/usr/lib/pkgconfig \
		pkg-config --cflags --libs libSaTmr); \
	echo "pkg-config --cflags --libs libSaTmr: $$flags"; \
	$(CC) $(TMR_CFLAGS) -o $$st/tmr_live c-tests/tmr_live.c $$flags; \
	sed 's|#include <saTmr.h>|#include <openais/saTmr.h>|' c-tests/tmr_live.c > $$st/tmr_live_openais.c; \
	$(CC) $(TMR_CFLAGS) -Ic-tests -I$$st/usr/include -o $$st/tmr_live_openais $$st/tmr_live_openais.c -L$$st/usr/lib -lSaTmr; \
	objdump -p $$st/tmr_live | grep 'NEEDED *libSaTmr.so.3$$' >/dev/null; \
	test "$$(readlink $$st/usr/lib/libSaTmr.so.3)" = libSaTmr.so.3.0.0; \
	echo "tmr-install-check: ok"
