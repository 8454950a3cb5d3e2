# mk/daemon.mk: install the executive (aisexec), ais-keygen and their man pages,
# aisexec(8), ais-keygen(8) and openais.conf(5); check the installation in a
# scratch DESTDIR.

SBINDIR ?= $(PREFIX)/sbin
MANDIR  ?= $(PREFIX)/share/man
DAEMON_BIN := $(RELEASE)/aisexec
KEYGEN_BIN := $(RELEASE)/ais-keygen

.PHONY: install-daemon daemon-install-check
install: install-daemon
check: daemon-install-check

# $(call daemon_install_to,DESTDIR,SBINDIR,MANDIR). Mode 0755: never setuid (aisexec(8)).
define daemon_install_to
	install -d $(1)$(2) $(1)$(3)/man8 $(1)$(3)/man5
	install -m 0755 $(DAEMON_BIN) $(1)$(2)/aisexec
	install -m 0755 $(KEYGEN_BIN) $(1)$(2)/ais-keygen
	install -m 0644 man/aisexec.8 $(1)$(3)/man8/aisexec.8
	install -m 0644 man/ais-keygen.8 $(1)$(3)/man8/ais-keygen.8
	install -m 0644 man/openais.conf.5 $(1)$(3)/man5/openais.conf.5
endef

install-daemon: build
	$(call daemon_install_to,$(DESTDIR),$(SBINDIR),$(MANDIR))

DAEMON_STAGE := $(RELEASE)/daemon-install-check
daemon-install-check: build
	@rm -rf $(DAEMON_STAGE)
	@$(call daemon_install_to,$(DAEMON_STAGE),/usr/sbin,/usr/share/man)
	@set -e; st=$(DAEMON_STAGE); \
	test "$$(stat -c %a $$st/usr/sbin/aisexec)" = 755; \
	$$st/usr/sbin/aisexec -v | grep -q '^aisexec (ais-exec) '; \
	test -f $$st/usr/share/man/man8/aisexec.8; \
	test "$$(stat -c %a $$st/usr/sbin/ais-keygen)" = 755; \
	$$st/usr/sbin/ais-keygen -h | grep -q '^usage: ais-keygen'; \
	test -f $$st/usr/share/man/man8/ais-keygen.8; \
	test -f $$st/usr/share/man/man5/openais.conf.5; \
	echo "daemon-install-check: ok"
