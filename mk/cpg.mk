# mk/cpg.mk: libcpg's C tests against a live executive (c-tests/cpg_live.c).
#
# cpg_live includes only <corosync/cpg.h>. It is built twice:
# - against include/corosync/ and this libcpg.so.4, and run against one aisexec;
# - against corosync's own headers and library, when libcpg-dev is installed, and run
#   with this libcpg.so.4 in its place (LD_LIBRARY_PATH): a program already linked
#   against corosync's library must run unchanged with ours.

CPG_LIVE := $(RELEASE)/c-tests/cpg_live
CPG_LIVE_COROSYNC := $(RELEASE)/c-tests/cpg_live_corosync
CPG_CFLAGS := -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -pedantic
SYS_CPG_HEADER := /usr/include/corosync/cpg.h

.PHONY: cpg-live-check
check: cpg-live-check

$(CPG_LIVE): c-tests/cpg_live.c include/corosync/cpg.h include/corosync/corotypes.h ffi-libs
	@mkdir -p $(@D)
	$(CC) $(CPG_CFLAGS) -Iinclude -o $@ c-tests/cpg_live.c -L$(RELEASE) -lcpg

cpg-live-check: $(CPG_LIVE) build
	@objdump -p $(CPG_LIVE) | grep 'NEEDED *libcpg.so.4$$' >/dev/null || { echo "$(CPG_LIVE): no NEEDED libcpg.so.4" >&2; exit 1; }
	c-tests/one-node.sh $(RELEASE) $(CPG_LIVE) api
	@if [ -f $(SYS_CPG_HEADER) ] && $(CC) $(CPG_CFLAGS) -o $(CPG_LIVE_COROSYNC) c-tests/cpg_live.c -lcpg 2>/dev/null; then \
		echo "cpg_live: built against corosync's $(SYS_CPG_HEADER) and libcpg; running it with ours in its place"; \
		test "$$(LD_LIBRARY_PATH=$(RELEASE) ldd $(CPG_LIVE_COROSYNC) | awk '/libcpg.so.4/ {print $$3}')" = "$(RELEASE)/libcpg.so.4" || \
			{ echo "cpg_live_corosync does not load $(RELEASE)/libcpg.so.4" >&2; exit 1; }; \
		c-tests/one-node.sh $(RELEASE) $(CPG_LIVE_COROSYNC) api; \
	else \
		echo "cpg-live-check: SKIPPED the corosync-linked run (corosync's libcpg-dev is not installed)"; \
	fi

# A figure, not a test: the CPG flood across two executives in network namespaces, with
# secauth off and on (root only).
.PHONY: bench-cpg-netns
bench-cpg-netns: $(RELEASE)/c-tests/cpg_bench build
	c-tests/cpg-bench-netns.sh $(RELEASE) $(CPG_BENCH_ARGS)
