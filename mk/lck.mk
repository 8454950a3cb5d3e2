# mk/lck.mk: libSaLck's C test against a live one-node executive (c-tests/lck_live.c),
# built against include/saLck.h and this libSaLck.so.3, as C99 and as C++; the
# three-executive test (c-tests/lck-cluster.sh); and the lock benchmark
# (c-tests/lck_bench.c), a figure, not a test.
#
#   make lck-live-check
#   make lck-cluster-check
#   make bench-lck
#   make lck-install-check                    pkg-config and <openais/saLck.h> from an install

LCK_LIVE := $(RELEASE)/c-tests/lck_live
LCK_LIVE_CXX := $(RELEASE)/c-tests/lck_live_cxx
LCK_CFLAGS := -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -pedantic -Iinclude
LCK_CXXFLAGS := -std=c++11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -pedantic -Iinclude

.PHONY: lck-live-check
check: lck-live-check

$(LCK_LIVE): c-tests/lck_live.c include/saLck.h include/saAis.h ffi-libs
	@mkdir -p $(@D)
	$(CC) $(LCK_CFLAGS) -o $@ c-tests/lck_live.c -L$(RELEASE) -lSaLck

# The program must need libSaLck.so.3 and bind to the version node openais's did.
lck-live-check: $(LCK_LIVE) build
	@objdump -p $(LCK_LIVE) | grep 'NEEDED *libSaLck.so.3$$' >/dev/null || { echo "$(LCK_LIVE): no NEEDED libSaLck.so.3" >&2; exit 1; }
	@objdump -T $(LCK_LIVE) | grep '(OPENAIS_LCK_B.01.01) saLckInitialize$$' >/dev/null || { echo "$(LCK_LIVE): no reference to (OPENAIS_LCK_B.01.01) saLckInitialize" >&2; exit 1; }
	c-tests/one-node.sh $(RELEASE) $(LCK_LIVE)
	@if command -v $(CXX) >/dev/null; then \
		$(CXX) $(LCK_CXXFLAGS) -x c++ -o $(LCK_LIVE_CXX) c-tests/lck_live.c -x none -L$(RELEASE) -lSaLck && \
		c-tests/one-node.sh $(RELEASE) $(LCK_LIVE_CXX) && echo "lck_live (C++): ok"; \
	else echo "lck-live-check: SKIPPED C++ ($(CXX) not installed)"; fi

# Three executives on 127.0.0.1-3: contention, a node killed with -9, an orphan lock,
# a cross-node deadlock (c-tests/lck-cluster.sh).
.PHONY: lck-cluster-check
check: lck-cluster-check

# (clm_live is named by its path: mk/clm.mk, which builds it, is read after this file.)
lck-cluster-check: $(LCK_LIVE) $(RELEASE)/c-tests/clm_live build
	c-tests/lck-cluster.sh $(RELEASE)

# The benchmark: one executive, then three (c-tests/lck-bench.sh). Figures, not a test.
LCK_BENCH := $(RELEASE)/c-tests/lck_bench
LCK_BENCH_ARGS ?=

.PHONY: bench-lck
$(LCK_BENCH): c-tests/lck_bench.c include/saLck.h include/saAis.h ffi-libs
	@mkdir -p $(@D)
	$(CC) $(LCK_CFLAGS) -O2 -o $@ c-tests/lck_bench.c -L$(RELEASE) -lSaLck

bench-lck: $(LCK_BENCH) $(RELEASE)/c-tests/clm_live build
	c-tests/lck-bench.sh $(RELEASE) $(LCK_BENCH_ARGS)

# Installed the way an application finds it: libSaLck from the staged install of
# ffi-install-check, flags from pkg-config, both <saLck.h> and <openais/saLck.h>.
.PHONY: lck-install-check
check: lck-install-check
lck-install-check: ffi-install-check
	@set -e; st=$$(cd $(FFI_STAGE) && pwd); \
	flags=$$(PKG_CONFIG_SYSROOT_DIR=$$st PKG_CONFIG_LIBDIR=$$st/usr/lib/pkgconfig \
		pkg-config --cflags --libs libSaLck); \
	echo "pkg-config --cflags --libs libSaLck: $$flags"; \
	$(CC) $(LCK_CFLAGS) -o $$st/lck_live c-tests/lck_live.c $$flags; \
	sed 's|#include <saLck.h>|#include <openais/saLck.h>|' c-tests/lck_live.c > $$st/lck_live_openais.c; \
	$(CC) $(LCK_CFLAGS) -Ic-tests -I$$st/usr/include -o $$st/lck_live_openais $$st/lck_live_openais.c -L$$st/usr/lib -lSaLck; \
	objdump -p $$st/lck_live | grep 'NEEDED *libSaLck.so.3$$' >/dev/null; \
	test "$$(readlink $$st/usr/lib/libSaLck.so.3)" = libSaLck.so.3.0.0; \
	echo "lck-install-check: ok"
