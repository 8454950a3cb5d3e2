# mk/netns.mk: the multi-node tests in network namespaces (c-tests/netns/):
# executives in namespaces joined by a bridge in a hub namespace, with a node
# killed, a node stopped and continued, the network partitioned and healed,
# and a node with the wrong key, checked with ais-cfgtool and by a CPG member
# on every node (c-tests/cpg_check.c, linked with libcpg); and checkpoint
# failover with a writer killed (c-tests/ckpt_failover.c, linked with
# libSaCkpt; alone: make netns-ckpt-failover) and checkpoints changed on both
# sides of a partition (c-tests/ckpt_live.c); quorum (quorum.sh, with
# c-tests/netns/ckpt_quorum.c: a 3/2 split of five nodes, two_node,
# wait_for_all). Needs root; skipped, with the
# reason, where network namespaces cannot be made.

NETNS_CHECKER := $(RELEASE)/c-tests/cpg_check

.PHONY: netns-check
check: netns-check

$(NETNS_CHECKER): c-tests/cpg_check.c include/corosync/cpg.h include/corosync/corotypes.h ffi-libs
	@test -e $(RELEASE)/libcpg.so.4 || { echo "$@: make ffi-libs built no $(RELEASE)/libcpg.so.4" >&2; exit 1; }
	@mkdir -p $(@D)
	$(CC) -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -pedantic -Iinclude \
		-o $@ c-tests/cpg_check.c -L$(RELEASE) -lcpg

CKPT_FAILOVER := $(RELEASE)/c-tests/ckpt_failover
$(CKPT_FAILOVER): c-tests/ckpt_failover.c include/saCkpt.h include/saAis.h ffi-libs
	@mkdir -p $(@D)
	$(CC) -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -pedantic -Iinclude \
		-o $@ c-tests/ckpt_failover.c -L$(RELEASE) -lSaCkpt

CKPT_QUORUM := $(RELEASE)/c-tests/ckpt_quorum
$(CKPT_QUORUM): c-tests/netns/ckpt_quorum.c include/saCkpt.h include/saAis.h ffi-libs
	@mkdir -p $(@D)
	$(CC) -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -pedantic -Iinclude \
		-o $@ c-tests/netns/ckpt_quorum.c -L$(RELEASE) -lSaCkpt

netns-check: build ffi-libs $(NETNS_CHECKER) $(CKPT_FAILOVER) $(CKPT_LIVE) $(CKPT_QUORUM)
	c-tests/netns/run.sh $(RELEASE)

.PHONY: netns-ckpt-failover
netns-ckpt-failover: build ffi-libs $(CKPT_FAILOVER)
	c-tests/netns/run.sh $(RELEASE) ckpt-failover

.PHONY: netns-quorum
netns-quorum: build ffi-libs $(CKPT_LIVE) $(CKPT_QUORUM)
	c-tests/netns/run.sh $(RELEASE) quorum
