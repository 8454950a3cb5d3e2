# mk/saftest.mk: SAFTest's cluster commands (saftest/) against a local cluster of
# three executives: the DISPLAY_CLUSTER XML matches CLM, STOP_NODE and START_NODE
# change the membership it shows. SAFTest itself is not needed (saftest/README.md).

SAFTEST_CLM_NODES := $(RELEASE)/saftest/clm_nodes

.PHONY: saftest-check
check: saftest-check

$(SAFTEST_CLM_NODES): saftest/test/clm_nodes.c include/saClm.h include/saAis.h ffi-libs
	@mkdir -p $(@D)
	$(CC) -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -pedantic -Iinclude \
		-o $@ saftest/test/clm_nodes.c -L$(RELEASE) -lSaClm

saftest-check: $(SAFTEST_CLM_NODES) build
	saftest/test/display-check.sh $(RELEASE) $(SAFTEST_CLM_NODES)
