# mk/ckpt.mk: libSaCkpt's C test against a live one-node executive (c-tests/ckpt_live.c),
# built against include/saCkpt.h and this libSaCkpt.so.3, as C99 and as C++.

CKPT_LIVE := $(RELEASE)/c-tests/ckpt_live
CKPT_LIVE_CXX := $(RELEASE)/c-tests/ckpt_live_cxx
CKPT_CFLAGS := -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -pedantic -Iinclude
CKPT_CXXFLAGS := -std=c++11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -pedantic -Iinclude

.PHONY: ckpt-live-check
check: ckpt-live-check

$(CKPT_LIVE): c-tests/ckpt_live.c include/saCkpt.h include/saAis.h ffi-libs
	@mkdir -p $(@D)
	$(CC) $(CKPT_CFLAGS) -o $@ c-tests/ckpt_live.c -L$(RELEASE) -lSaCkpt

# The program must need libSaCkpt.so.3 and bind to both version nodes, as one linked
# against openais's library binds to OPENAIS_CKPT_B.01.01.
ckpt-live-check: $(CKPT_LIVE) build
	@objdump -p $(CKPT_LIVE) | grep 'NEEDED *libSaCkpt.so.3$$' >/dev/null || { echo "$(CKPT_LIVE): no NEEDED libSaCkpt.so.3" >&2; exit 1; }
	@for v in 'OPENAIS_CKPT_B.01.01) saCkptInitialize' 'OPENAIS_CKPT_B.02.03) saCkptInitialize_2'; do \
		objdump -T $(CKPT_LIVE) | grep "($$v\$$" >/dev/null || { echo "$(CKPT_LIVE): no reference to ($$v" >&2; exit 1; }; \
	done
	c-tests/one-node.sh $(RELEASE) $(CKPT_LIVE)
	@if command -v $(CXX) >/dev/null; then \
		$(CXX) $(CKPT_CXXFLAGS) -x c++ -o $(CKPT_LIVE_CXX) c-tests/ckpt_live.c -x none -L$(RELEASE) -lSaCkpt && \
		c-tests/one-node.sh $(RELEASE) $(CKPT_LIVE_CXX) && echo "ckpt_live (C++): ok"; \
	else echo "ckpt-live-check: SKIPPED C++ ($(CXX) not installed)"; fi

# Three executives on 127.0.0.1-3: the API test inside a cluster, writes read on the
# other nodes, and a node stopped while checkpoints change, restarted, reading them.
.PHONY: ckpt-cluster-check
check: ckpt-cluster-check

# (clm_live is named by its path: mk/clm.mk, which builds it, is read after this file.)
ckpt-cluster-check: $(CKPT_LIVE) $(RELEASE)/c-tests/clm_live build
	c-tests/ckpt-cluster.sh $(RELEASE)
