# mk/install.mk: what `make install` puts where. One manifest, read by
# mk/install.sh for `install`, `uninstall` and the staged install that the
# checks use, so the three never disagree. A new program is one word in
# SBIN_PROGRAMS; a new library comes from FFI_LIBS (mk/ffi.mk), its pages
# from man/.
#
# Manifest lines are KIND:MODE:SOURCE:DESTINATION (paths without ':'):
#   bin, lib   an ELF program or shared library, stripped unless STRIP=no
#   file       installed as is
#   conf       a configuration file: kept when one exists, removed by
#              uninstall only while unchanged
#   link       DESTINATION -> SOURCE (MODE empty)
#   dir        a directory of this project's own (SOURCE empty), removed by
#              uninstall when empty

SBIN_PROGRAMS := aisexec ais-keygen ais-cfgtool ais-cpgtool ais-clmtool ais-quorumtool
FFI_SA_LIBS = $(filter Sa%,$(FFI_LIBS))
FFI_COMPAT_LIBS = $(filter-out Sa%,$(FFI_LIBS))
INSTALL_LIBS = $(FFI_SA_LIBS) $(if $(filter yes,$(COROSYNC_COMPAT)),$(FFI_COMPAT_LIBS))
# The pages of corosync's interfaces go with their libraries.
COMPAT_MAN3 := $(wildcard man/cpg_*.3 man/evs_*.3)
INSTALL_MAN3 = $(if $(filter yes,$(COROSYNC_COMPAT)),$(wildcard man/*.3),$(filter-out $(COMPAT_MAN3),$(wildcard man/*.3)))

INSTALL_GEN := $(RELEASE)/install-gen
INSTALL_MANIFEST := $(RELEASE)/install.manifest
lower_first = $(shell printf '%s' '$(1)' | sed 's/^S/s/')

install_entries = \
	$(foreach p,$(SBIN_PROGRAMS),bin:0755:$(RELEASE)/$(p):$(SBINDIR)/$(p)) \
	$(foreach l,$(INSTALL_LIBS), \
		lib:0644:$(call ffi_so,$(l)):$(LIBDIR)/$(notdir $(call ffi_so,$(l))) \
		link::$(notdir $(call ffi_so,$(l))):$(LIBDIR)/$(call ffi_soname,$(l)) \
		link::$(call ffi_soname,$(l)):$(LIBDIR)/lib$(l).so \
		file:0644:$(INSTALL_GEN)/lib$(l).pc:$(LIBDIR)/pkgconfig/lib$(l).pc) \
	$(foreach l,$(FFI_SA_LIBS),link::$(call ffi_soname,$(l)):$(LIBDIR)/lib$(call lower_first,$(l)).so) \
	file:0644:$(INSTALL_GEN)/libais.so:$(LIBDIR)/libais.so \
	file:0644:$(INSTALL_GEN)/openais.pc:$(LIBDIR)/pkgconfig/openais.pc \
	dir:0755::$(INCLUDEDIR)/openais \
	$(foreach h,$(wildcard include/*.h),file:0644:$(h):$(INCLUDEDIR)/openais/$(notdir $(h))) \
	$(if $(filter yes,$(COROSYNC_COMPAT)), \
		dir:0755::$(INCLUDEDIR)/corosync \
		$(foreach h,$(wildcard include/corosync/*.h),file:0644:$(h):$(INCLUDEDIR)/corosync/$(notdir $(h)))) \
	$(foreach m,$(INSTALL_MAN3),$(if $(shell test -L $(m) && echo link), \
		link::$(shell readlink $(m)):$(MANDIR)/man3/$(notdir $(m)), \
		file:0644:$(m):$(MANDIR)/man3/$(notdir $(m)))) \
	$(foreach m,$(wildcard man/*.5),file:0644:$(m):$(MANDIR)/man5/$(notdir $(m))) \
	$(foreach m,$(wildcard man/*.8),file:0644:$(m):$(MANDIR)/man8/$(notdir $(m))) \
	dir:0755::$(SYSCONFDIR)/ais \
	conf:0644:conf/openais.conf:$(SYSCONFDIR)/ais/openais.conf \
	dir:0755::$(DOCDIR) \
	dir:0755::$(DOCDIR)/examples \
	file:0644:conf/openais.conf.example:$(DOCDIR)/examples/openais.conf.example \
	file:0644:README.md:$(DOCDIR)/README.md \
	file:0644:$(INSTALL_GEN)/aisexec.service:$(UNITDIR)/aisexec.service \
	file:0644:conf/ais.sysusers:$(SYSUSERSDIR)/ais.conf

.PHONY: install-files uninstall-files install-gen
install: install-files
uninstall: uninstall-files

install_subst = sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
	-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' -e 's|@SBINDIR@|$(SBINDIR)|g' \
	-e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' -e 's|@VERSION@|$(FFI_VERSION)|g'

# Generated for the directories of this install (so always remade).
install-gen: FORCE
	@mkdir -p $(INSTALL_GEN)
	@$(foreach l,$(FFI_LIBS),$(install_subst) pkgconfig/lib$(l).pc.in > $(INSTALL_GEN)/lib$(l).pc &&) true
	@$(install_subst) -e 's|@AIS_LIBS@|$(foreach l,$(FFI_SA_LIBS),-l$(l))|' \
		pkgconfig/openais.pc.in > $(INSTALL_GEN)/openais.pc
	@$(install_subst) conf/aisexec.service.in > $(INSTALL_GEN)/aisexec.service
	@{ echo '/* GNU ld script: -lais links every SA Forum library of this'; \
	   echo '   installation, as openais 0.80 did; a program needs only those it uses. */'; \
	   echo 'INPUT(AS_NEEDED($(foreach l,$(FFI_SA_LIBS),$(call ffi_soname,$(l)))))'; } \
		> $(INSTALL_GEN)/libais.so
	@printf '%s\n' $(strip $(install_entries)) > $(INSTALL_MANIFEST)

install-files: build $(FFI_SOS) install-gen
	DESTDIR='$(DESTDIR)' STRIP='$(STRIP)' DEBUGDIR='$(DEBUGDIR)' mk/install.sh install $(INSTALL_MANIFEST)

uninstall-files: install-gen
	DESTDIR='$(DESTDIR)' STRIP='$(STRIP)' DEBUGDIR='$(DEBUGDIR)' mk/install.sh uninstall $(INSTALL_MANIFEST)

# A staged install as Debian lays it out (PREFIX=/usr), for the checks that
# build programs the way an application would.
INSTALL_STAGE := $(RELEASE)/install-stage
.PHONY: install-stage install-check
install-stage: build $(FFI_SOS)
	@rm -rf $(INSTALL_STAGE)
	@$(MAKE) --no-print-directory install-files DESTDIR=$(abspath $(INSTALL_STAGE)) STRIP=no \
		PREFIX=/usr LIBDIR=/usr/lib SYSCONFDIR=/etc UNITDIR=/usr/lib/systemd/system >/dev/null

# What install puts and uninstall takes away: the objects stripped with
# their debug links, the link names users type, a modified configuration
# kept, nothing else left.
UNINSTALL_STAGE := $(RELEASE)/uninstall-check
check: install-check
install-check: build $(FFI_SOS)
	@rm -rf $(UNINSTALL_STAGE)
	@$(MAKE) --no-print-directory install-files DESTDIR=$(abspath $(UNINSTALL_STAGE)) \
		PREFIX=/usr LIBDIR=/usr/lib SYSCONFDIR=/etc UNITDIR=/usr/lib/systemd/system >/dev/null
	@set -e; st=$(UNINSTALL_STAGE); \
	for p in $(SBIN_PROGRAMS); do \
		test "$$(stat -c %a $$st/usr/sbin/$$p)" = 755; \
		! readelf -S $$st/usr/sbin/$$p | grep -q '\.debug_info'; \
		readelf -S $$st/usr/sbin/$$p | grep -q '\.gnu_debuglink'; \
		test -s $$st/usr/lib/debug/usr/sbin/$$p.debug; \
	done; \
	for l in $(FFI_SA_LIBS); do \
		s=$$(echo $$l | sed 's/^S/s/'); \
		test -e $$st/usr/lib/lib$$s.so; test -e $$st/usr/lib/lib$$l.so; \
	done; \
	grep -q 'INPUT(AS_NEEDED(libSaClm.so.3 ' $$st/usr/lib/libais.so; \
	grep -q '^ExecStart=/usr/sbin/aisexec -f$$' $$st/usr/lib/systemd/system/aisexec.service; \
	grep -q '^Type=notify$$' $$st/usr/lib/systemd/system/aisexec.service; \
	grep -q '^Version: $(FFI_VERSION)$$' $$st/usr/lib/pkgconfig/openais.pc; \
	for m in man/*.3; do \
		i=$$st/usr/share/man/man3/$$(basename $$m); \
		if [ -L $$m ]; then test -L $$i && test -f $$i; else test -f $$i && ! test -L $$i; fi \
			|| { echo "install-check: $$i is not installed as $$m is" >&2; exit 1; }; \
	done; \
	test -f $$st/etc/ais/openais.conf; \
	echo '# changed by the administrator' >> $$st/etc/ais/openais.conf; \
	$(MAKE) --no-print-directory uninstall-files DESTDIR=$$(cd $$st && pwd) PREFIX=/usr LIBDIR=/usr/lib \
		SYSCONFDIR=/etc UNITDIR=/usr/lib/systemd/system >/dev/null; \
	left=$$(cd $$st && find . ! -type d | sort); \
	test "$$left" = "./etc/ais/openais.conf" || { echo "install-check: left after uninstall: $$left" >&2; exit 1; }; \
	echo "install-check: ok ($$(wc -l < $(INSTALL_MANIFEST)) entries; uninstall keeps only the changed configuration)"
