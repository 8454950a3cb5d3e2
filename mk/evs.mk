# mk/evs.mk: libevs's C test against a live one-node executive (c-tests/evs_live.c),
# built against include/corosync/evs.h and this libevs.so.4.

EVS_LIVE := $(RELEASE)/c-tests/evs_live

.PHONY: evs-live-check
check: evs-live-check

$(EVS_LIVE): c-tests/evs_live.c include/corosync/evs.h include/corosync/corotypes.h ffi-libs
	@mkdir -p $(@D)
	$(CC) -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -pedantic -Iinclude \
		-o $@ c-tests/evs_live.c -L$(RELEASE) -levs

# The program must need libevs.so.4 and bind to COROSYNC_EVS_2.0, as one linked against
# corosync 1.x's libevs does.
evs-live-check: $(EVS_LIVE) build
	@objdump -p $(EVS_LIVE) | grep 'NEEDED *libevs.so.4$$' >/dev/null || { echo "$(EVS_LIVE): no NEEDED libevs.so.4" >&2; exit 1; }
	@objdump -T $(EVS_LIVE) | grep '(COROSYNC_EVS_2.0) evs_initialize$$' >/dev/null || \
		{ echo "$(EVS_LIVE): no reference to (COROSYNC_EVS_2.0) evs_initialize" >&2; exit 1; }
	c-tests/one-node.sh $(RELEASE) $(EVS_LIVE)
