# mk/bench-ckpt.mk: the checkpoint benchmark (c-tests/ckpt_bench.c), a figure, not a test.
#
#   make bench-ckpt                    against one aisexec on 127.0.0.1
#   make bench-ckpt CKPT_BENCH_ARGS='-t 5 -c 1,8'

CKPT_BENCH := $(RELEASE)/c-tests/ckpt_bench
CKPT_BENCH_ARGS ?=

.PHONY: bench-ckpt
$(CKPT_BENCH): c-tests/ckpt_bench.c include/saCkpt.h include/saAis.h ffi-libs
	@mkdir -p $(@D)
	$(CC) -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -pedantic -O2 -Iinclude \
		-o $@ c-tests/ckpt_bench.c -L$(RELEASE) -lSaCkpt

bench-ckpt: $(CKPT_BENCH) build
	c-tests/one-node.sh $(RELEASE) $(CKPT_BENCH) $(CKPT_BENCH_ARGS)

# The same against three executives on 127.0.0.1-3 (the client on the first).
.PHONY: bench-ckpt-three
bench-ckpt-three: $(CKPT_BENCH) build
	c-tests/three-nodes.sh $(RELEASE) $(CKPT_BENCH) $(CKPT_BENCH_ARGS)
