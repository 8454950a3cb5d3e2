# mk/clm.mk: the CLM C tests against live executives (c-tests/clm-cluster.sh):
# one node, then three on 127.0.0.1-3 with one stopped and restarted.

CLM_LIVE := $(RELEASE)/c-tests/clm_live

.PHONY: clm-live-check
check: clm-live-check

$(CLM_LIVE): c-tests/clm_live.c include/saClm.h include/saAis.h ffi-libs
	@mkdir -p $(@D)
	$(CC) -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -pedantic -Iinclude \
		-o $@ c-tests/clm_live.c -L$(RELEASE) -lSaClm

clm-live-check: $(CLM_LIVE) build
	c-tests/clm-cluster.sh $(RELEASE)

# A figure, not a test: the round trip of saClmClusterNodeGet(LOCAL).
CLM_BENCH := $(RELEASE)/c-tests/clm_bench
.PHONY: bench-clm
$(CLM_BENCH): c-tests/clm_bench.c include/saClm.h include/saAis.h ffi-libs
	@mkdir -p $(@D)
	$(CC) -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -pedantic -Iinclude \
		-o $@ c-tests/clm_bench.c -L$(RELEASE) -lSaClm

bench-clm: $(CLM_BENCH) build
	c-tests/one-node.sh $(RELEASE) $(CLM_BENCH) 100000

# README's first command: three executives on 127.0.0.1-3 and a C client.
.PHONY: demo
demo: $(CLM_LIVE) build
	c-tests/demo.sh $(RELEASE)
