# mk/netns.mk: the multi-node tests in network namespaces (c-tests/netns/):
# executives in namespaces joined by a bridge in a hub namespace, with a node
# killed, a node stopped and continued, the network partitioned and healed,
# and a node with the wrong key, checked with ais-cfgtool and, through
# libcpg, with a CPG member on every node (c-tests/cpg_check.c). Needs root;
# skipped, with the reason, where network namespaces cannot be made.

NETNS_CHECKER := $(RELEASE)/c-tests/cpg_check

# The CPG checker needs this project's libcpg and its <corosync/cpg.h>; until
# they exist the tests run with the ais-cfgtool checks only.
ifneq ($(wildcard include/corosync/cpg.h),)
NETNS_CHECKER_DEP := $(NETNS_CHECKER)
endif

.PHONY: netns-check
check: netns-check

$(NETNS_CHECKER): c-tests/cpg_check.c $(wildcard include/corosync/*.h) ffi-libs
	@test -e $(RELEASE)/libcpg.so.4 || { echo "$@: make ffi-libs built no $(RELEASE)/libcpg.so.4" >&2; exit 1; }
	@mkdir -p $(@D)
	$(CC) -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -pedantic -Iinclude \
		-o $@ c-tests/cpg_check.c -L$(RELEASE) -lcpg

netns-check: build ffi-libs $(NETNS_CHECKER_DEP)
	c-tests/netns/run.sh $(RELEASE)
