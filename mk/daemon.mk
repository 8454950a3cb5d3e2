# mk/daemon.mk: check the installed executive (aisexec) and ais-keygen with their
# man pages, aisexec(8), ais-keygen(8) and openais.conf(5), in the staged install
# (mk/install.mk installs them).

DAEMON_BIN := $(RELEASE)/aisexec
KEYGEN_BIN := $(RELEASE)/ais-keygen

.PHONY: daemon-install-check
check: daemon-install-check

daemon-install-check: install-stage
	@set -e; st=$(INSTALL_STAGE); \
	test "$$(stat -c %a $$st/usr/sbin/aisexec)" = 755; \
	$$st/usr/sbin/aisexec -v | grep -q '^aisexec (ais-exec) '; \
	test -f $$st/usr/share/man/man8/aisexec.8; \
	test "$$(stat -c %a $$st/usr/sbin/ais-keygen)" = 755; \
	$$st/usr/sbin/ais-keygen -h | grep -q '^usage: ais-keygen'; \
	test -f $$st/usr/share/man/man8/ais-keygen.8; \
	test -f $$st/usr/share/man/man5/openais.conf.5; \
	echo "daemon-install-check: ok"
