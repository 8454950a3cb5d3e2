# mk/tools.mk: the administration tools beside aisexec.

SBINDIR_TOOLS ?= $(PREFIX)/sbin
.PHONY: install-tools
install: install-tools

install-tools:
	install -d $(DESTDIR)$(SBINDIR_TOOLS) $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0755 $(RELEASE)/ais-cfgtool $(RELEASE)/ais-cpgtool $(RELEASE)/ais-clmtool $(DESTDIR)$(SBINDIR_TOOLS)/
	install -m 0644 man/ais-cfgtool.8 man/ais-cpgtool.8 man/ais-clmtool.8 $(DESTDIR)$(PREFIX)/share/man/man8/
