# mk/msg.mk: libSaMsg's C test against a live one-node executive (c-tests/msg_live.c),
# built against include/saMsg.h and this libSaMsg.so.4, as C99 and as C++; the
# three-executive test (c-tests/msg-cluster.sh: senders on two nodes, the receiver on the
# third, then its node killed and the queue reopened on a survivor); and the message
# benchmark (c-tests/msg_bench.c), a figure, not a test.
#
#   make msg-live-check
#   make msg-cluster-check
#   make bench-msg                            one aisexec, then three on loopback
#   make msg-install-check                    pkg-config and <openais/saMsg.h> from an install

MSG_LIVE := $(RELEASE)/c-tests/msg_live
MSG_LIVE_CXX := $(RELEASE)/c-tests/msg_live_cxx
MSG_FAILOVER := $(RELEASE)/c-tests/msg_failover
MSG_CFLAGS := -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -pedantic -Iinclude
MSG_CXXFLAGS := -std=c++11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -pedantic -Iinclude

.PHONY: msg-live-check msg-cluster-check
check: msg-live-check msg-cluster-check

$(MSG_LIVE): c-tests/msg_live.c include/saMsg.h include/saAis.h ffi-libs
	@mkdir -p $(@D)
	$(CC) $(MSG_CFLAGS) -o $@ c-tests/msg_live.c -L$(RELEASE) -lSaMsg -lpthread

# The program must need libSaMsg.so.4 and bind to the version node openais's did.
msg-live-check: $(MSG_LIVE) build
	@objdump -p $(MSG_LIVE) | grep 'NEEDED *libSaMsg.so.4$$' >/dev/null || { echo "$(MSG_LIVE): no NEEDED libSaMsg.so.4" >&2; exit 1; }
	@objdump -T $(MSG_LIVE) | grep '(OPENAIS_MSG_B.01.01) saMsgInitialize$$' >/dev/null || { echo "$(MSG_LIVE): no reference to (OPENAIS_MSG_B.01.01) saMsgInitialize" >&2; exit 1; }
	c-tests/one-node.sh $(RELEASE) $(MSG_LIVE)
	@if command -v $(CXX) >/dev/null; then \
		$(CXX) $(MSG_CXXFLAGS) -x c++ -o $(MSG_LIVE_CXX) c-tests/msg_live.c -x none -L$(RELEASE) -lSaMsg -lpthread && \
		c-tests/one-node.sh $(RELEASE) $(MSG_LIVE_CXX) && echo "msg_live (C++): ok"; \
	else echo "msg-live-check: SKIPPED C++ ($(CXX) not installed)"; fi

$(MSG_FAILOVER): c-tests/msg_failover.c include/saMsg.h include/saAis.h ffi-libs
	@mkdir -p $(@D)
	$(CC) $(MSG_CFLAGS) -o $@ c-tests/msg_failover.c -L$(RELEASE) -lSaMsg

msg-cluster-check: $(MSG_FAILOVER) build
	c-tests/msg-cluster.sh $(RELEASE) $(MSG_FAILOVER)

# The benchmark: send->get rate and latency at 64 B and 4 KiB, one node then three.
MSG_BENCH := $(RELEASE)/c-tests/msg_bench
MSG_BENCH_ARGS ?=

.PHONY: bench-msg
$(MSG_BENCH): c-tests/msg_bench.c include/saMsg.h include/saAis.h ffi-libs
	@mkdir -p $(@D)
	$(CC) $(MSG_CFLAGS) -O2 -o $@ c-tests/msg_bench.c -L$(RELEASE) -lSaMsg -lpthread

bench-msg: $(MSG_BENCH) build
	c-tests/one-node.sh $(RELEASE) $(MSG_BENCH) $(MSG_BENCH_ARGS)
	c-tests/msg-cluster.sh $(RELEASE) --bench $(MSG_BENCH) $(MSG_BENCH_ARGS)

# Installed the way an application finds it: libSaMsg from the staged install of
# ffi-install-check, flags from pkg-config, both <saMsg.h> and <openais/saMsg.h>.
.PHONY: msg-install-check
check: msg-install-check
msg-install-check: ffi-install-check
	@set -e; st=$$(cd $(FFI_STAGE) && pwd); \
	flags=$$(PKG_CONFIG_SYSROOT_DIR=$$st PKG_CONFIG_LIBDIR=$$st/usr/lib/pkgconfig \
		pkg-config --cflags --libs libSaMsg); \
	echo "pkg-config --cflags --libs libSaMsg: $$flags"; \
	$(CC) $(MSG_CFLAGS) -o $$st/msg_live c-tests/msg_live.c $$flags -lpthread; \
	sed 's|#include <saMsg.h>|#include <openais/saMsg.h>|' c-tests/msg_live.c > $$st/msg_live_openais.c; \
	$(CC) $(MSG_CFLAGS) -Ic-tests -I$$st/usr/include -o $$st/msg_live_openais $$st/msg_live_openais.c -L$$st/usr/lib -lSaMsg -lpthread; \
	objdump -p $$st/msg_live | grep 'NEEDED *libSaMsg.so.4$$' >/dev/null; \
	test "$$(readlink $$st/usr/lib/libSaMsg.so.4)" = libSaMsg.so.4.0.0; \
	echo "msg-install-check: ok"
