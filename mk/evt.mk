# mk/evt.mk: libSaEvt's C test against a live one-node executive (c-tests/evt_live.c),
# built against include/saEvt.h and this libSaEvt.so.3, as C99 and as C++; the same
# program against three executives (c-tests/evt-cluster.sh: one order for every
# subscriber, a retained event reaching a node started later and outliving its
# publisher's node); and the event benchmark (c-tests/evt_bench.c), a figure, not a test.
#
#   make evt-live-check
#   make evt-cluster-check
#   make bench-evt                           one node, then three (loopback)
#   make evt-install-check                   pkg-config and <openais/saEvt.h> from an install

EVT_LIVE := $(RELEASE)/c-tests/evt_live
EVT_LIVE_CXX := $(RELEASE)/c-tests/evt_live_cxx
EVT_CFLAGS := -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -pedantic -Iinclude
EVT_CXXFLAGS := -std=c++11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -pedantic -Iinclude

.PHONY: evt-live-check evt-cluster-check
check: evt-live-check evt-cluster-check

$(EVT_LIVE): c-tests/evt_live.c include/saEvt.h include/saAis.h ffi-libs
	@mkdir -p $(@D)
	$(CC) $(EVT_CFLAGS) -o $@ c-tests/evt_live.c -L$(RELEASE) -lSaEvt

# The program must need libSaEvt.so.3 and bind to the version nodes openais's did (and
# B.03.01's for its two calls).
evt-live-check: $(EVT_LIVE) build
	@objdump -p $(EVT_LIVE) | grep 'NEEDED *libSaEvt.so.3$$' >/dev/null || { echo "$(EVT_LIVE): no NEEDED libSaEvt.so.3" >&2; exit 1; }
	@for v in 'OPENAIS_EVT_B.01.01) saEvtInitialize' 'OPENAIS_EVT_B.03.01) saEvtLimitGet'; do \
		objdump -T $(EVT_LIVE) | grep "($$v\$$" >/dev/null || { echo "$(EVT_LIVE): no reference to ($$v" >&2; exit 1; }; \
	done
	c-tests/one-node.sh $(RELEASE) $(EVT_LIVE)
	@if command -v $(CXX) >/dev/null; then \
		$(CXX) $(EVT_CXXFLAGS) -x c++ -o $(EVT_LIVE_CXX) c-tests/evt_live.c -x none -L$(RELEASE) -lSaEvt && \
		c-tests/one-node.sh $(RELEASE) $(EVT_LIVE_CXX) && echo "evt_live (C++): ok"; \
	else echo "evt-live-check: SKIPPED C++ ($(CXX) not installed)"; fi

# Three executives on loopback. (clm_live, from mk/clm.mk, waits for the membership.)
evt-cluster-check: $(EVT_LIVE) $(RELEASE)/c-tests/clm_live build
	c-tests/evt-cluster.sh $(RELEASE)

# The benchmark: published->delivered events/s and publish->deliver latency, one node
# and three (c-tests/evt-bench.sh).
EVT_BENCH := $(RELEASE)/c-tests/evt_bench
EVT_BENCH_ARGS ?=

.PHONY: bench-evt
$(EVT_BENCH): c-tests/evt_bench.c include/saEvt.h include/saAis.h ffi-libs
	@mkdir -p $(@D)
	$(CC) $(EVT_CFLAGS) -O2 -o $@ c-tests/evt_bench.c -L$(RELEASE) -lSaEvt -lpthread

bench-evt: $(EVT_BENCH) $(RELEASE)/c-tests/clm_live build
	c-tests/evt-bench.sh $(RELEASE) $(EVT_BENCH_ARGS)

# Installed the way an application finds it: libSaEvt from the staged install of
# ffi-install-check, flags from pkg-config, both <saEvt.h> and <openais/saEvt.h>.
.PHONY: evt-install-check
check: evt-install-check
evt-install-check: ffi-install-check
	@set -e; st=$$(cd $(FFI_STAGE) && pwd); \
	flags=$$(PKG_CONFIG_SYSROOT_DIR=$$st PKG_CONFIG_LIBDIR=$$st/usr/lib/pkgconfig \
		pkg-config --cflags --libs libSaEvt); \
	echo "pkg-config --cflags --libs libSaEvt: $$flags"; \
	$(CC) $(EVT_CFLAGS) -o $$st/evt_live c-tests/evt_live.c $$flags; \
	sed 's|#include <saEvt.h>|#include <openais/saEvt.h>|' c-tests/evt_live.c > $$st/evt_live_openais.c; \
	$(CC) $(EVT_CFLAGS) -Ic-tests -I$$st/usr/include -o $$st/evt_live_openais $$st/evt_live_openais.c -L$$st/usr/lib -lSaEvt; \
	objdump -p $$st/evt_live | grep 'NEEDED *libSaEvt.so.3$$' >/dev/null; \
	test "$$(readlink $$st/usr/lib/libSaEvt.so.3)" = libSaEvt.so.3.0.0; \
	echo "evt-install-check: ok"
