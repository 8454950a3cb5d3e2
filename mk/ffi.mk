# mk/ffi.mk: the C side of ais-ffi -- link the shared libraries from the Rust staticlib,
# check their ABI, build the C tests (mk/install.mk installs them).
#
# Why not a cdylib: rustc adds its own version script to a cdylib, so the openais version
# nodes cannot be given to it (REFERENCE.md). The libraries are linked here instead, each
# from the one staticlib (target/release/libais_ffi.a, every service's functions) with its
# own version script; `local: *` hides the other services' functions and --gc-sections
# drops their code.
#
# Adding a library (say SaCkpt, libSaCkpt.so.3.0.0):
#   FFI_LIBS += SaCkpt  and  FFI_VERSION_SaCkpt := 3.0.0  below, then commit
#   ais-ffi/version-scripts/SaCkpt.map, pkgconfig/libSaCkpt.pc.in and the golden ABI file
#   (make ffi-abi-bless, after checking its output), plus any header to ais-ffi/headers.
# Headers under include/corosync/ install as <corosync/...>; the others under openais/.

FFI_LIBS := SaClm cpg
FFI_VERSION_SaClm := 3.0.0
FFI_VERSION_cpg := 4.1.0
FFI_LIBS += evs
FFI_VERSION_evs := 4.0.0
FFI_LIBS += SaCkpt
FFI_VERSION_SaCkpt := 3.0.0
FFI_LIBS += SaTmr
FFI_VERSION_SaTmr := 3.0.0
FFI_LIBS += SaEvt
FFI_VERSION_SaEvt := 3.0.0
FFI_LIBS += SaLck
FFI_VERSION_SaLck := 3.0.0
FFI_LIBS += SaMsg
FFI_VERSION_SaMsg := 4.0.0

FFI_CC     ?= $(CC)
FFI_CXX    ?= $(CXX)
RUSTC      ?= rustc

FFI_STATICLIB := $(RELEASE)/libais_ffi.a
FFI_NATIVE_LIBS := $(RELEASE)/ffi-native-static-libs.txt
FFI_CTEST_DIR := $(RELEASE)/c-tests
FFI_VERSION := $(shell sed -n 's/^version *= *"\(.*\)"/\1/p' Cargo.toml | head -n1)
# -z defs: an unresolved symbol is a link error, not a failure when a program loads us.
FFI_LDFLAGS := -shared -Wl,-z,defs -Wl,--gc-sections
FFI_CFLAGS := -std=c99 -Wall -Wextra -Werror -pedantic -Iinclude
FFI_CXXFLAGS := -std=c++11 -Wall -Wextra -Werror -pedantic -Iinclude

ffi_soname = lib$(1).so.$(firstword $(subst ., ,$(FFI_VERSION_$(1))))
ffi_so = $(RELEASE)/lib$(1).so.$(FFI_VERSION_$(1))
FFI_SOS := $(foreach l,$(FFI_LIBS),$(call ffi_so,$(l)))

.PHONY: ffi-libs ffi-cargo headers ffi-check ffi-abi-check ffi-abi-bless ffi-header-check \
	ffi-c-tests ffi-install-check

build: ffi-libs
check: ffi-check

ffi-libs: $(FFI_SOS)

# Cargo decides whether the staticlib is stale; it rewrites the file only when it rebuilds
# it, so the libraries relink only then. (--workspace, as `make build` does: the same
# feature resolution, so neither build invalidates the other.)
$(FFI_STATICLIB): ffi-cargo
	@:
ffi-cargo:
	$(CARGO) build --workspace --release

# The system libraries Rust's std needs in a staticlib, as this toolchain reports them
# (asked again whenever the staticlib is rebuilt, e.g. by a new toolchain).
$(FFI_NATIVE_LIBS): $(FFI_STATICLIB)
	@mkdir -p $(@D)/ffi-native-libs
	@echo > $(@D)/ffi-native-libs/empty.rs
	$(RUSTC) --crate-type staticlib --print native-static-libs=$@ \
		-o $(@D)/ffi-native-libs/libempty.a $(@D)/ffi-native-libs/empty.rs 2>/dev/null

# The flags the libraries are linked with: a change relinks them (Debian's build passes
# its hardening flags, which a library linked by an earlier build would lack).
FFI_LINK_FLAGS := $(RELEASE)/ffi-link-flags
$(FFI_LINK_FLAGS): FORCE
	@mkdir -p $(@D)
	@echo '$(FFI_CC) $(CFLAGS) $(FFI_LDFLAGS) $(LDFLAGS)' | cmp -s - $@ || \
		echo '$(FFI_CC) $(CFLAGS) $(FFI_LDFLAGS) $(LDFLAGS)' > $@

define ffi_lib_rules
$(call ffi_so,$(1)): $(FFI_STATICLIB) ais-ffi/version-scripts/$(1).map $(FFI_NATIVE_LIBS) $(FFI_LINK_FLAGS)
	$(FFI_CC) $(CFLAGS) $(FFI_LDFLAGS) $(LDFLAGS) -Wl,-soname,$(call ffi_soname,$(1)) \
		-Wl,--version-script,ais-ffi/version-scripts/$(1).map -o $$@ \
		-Wl,--whole-archive $(FFI_STATICLIB) -Wl,--no-whole-archive $$$$(cat $(FFI_NATIVE_LIBS))
	ln -sf $$(notdir $$@) $(RELEASE)/$(call ffi_soname,$(1))
	ln -sf $(call ffi_soname,$(1)) $(RELEASE)/lib$(1).so
endef
$(foreach l,$(FFI_LIBS),$(eval $(call ffi_lib_rules,$(l))))

# Regenerate include/*.h from the Rust types (a cargo test fails while they are stale).
headers:
	$(CARGO) run --release -p ais-ffi-headers

ffi-check: ffi-abi-check ffi-header-check ffi-c-tests ffi-install-check

# SONAME, version nodes and exported symbols against the committed golden files.
ffi_abi_file = ais-ffi/abi/$(call ffi_soname,$(1)).abi
ffi-abi-check: $(FFI_SOS)
	@$(foreach l,$(FFI_LIBS),ais-ffi/scripts/check-abi.sh $(call ffi_so,$(l)) $(call ffi_abi_file,$(l)) &&) true

# After a deliberate ABI change: rewrite the golden files (review the diff before committing).
ffi-abi-bless: $(FFI_SOS)
	@$(foreach l,$(FFI_LIBS),ais-ffi/scripts/check-abi.sh $(call ffi_so,$(l)) $(call ffi_abi_file,$(l)) --write &&) true

# Each header on its own, as C99 and as C++ (pedantic, warnings are errors).
ffi-header-check:
	@set -e; for h in include/*.h include/corosync/*.h; do \
		inc=$${h#include/}; \
		echo "#include <$$inc>" | $(FFI_CC) $(FFI_CFLAGS) -fsyntax-only -x c -; \
		if command -v $(FFI_CXX) >/dev/null; then \
			echo "#include <$$inc>" | $(FFI_CXX) $(FFI_CXXFLAGS) -fsyntax-only -x c++ -; \
		else echo "ffi-header-check: SKIPPED C++ ($(FFI_CXX) not installed)"; fi; \
	done; echo "ffi-header-check: ok"

# The C programs: compiled against include/, linked with -lSaClm, run against the build.
# Also compiled as C++, to prove the extern "C" wrapping links.
$(FFI_CTEST_DIR)/clm_compile: c-tests/clm_compile.c include/saAis.h include/saClm.h $(call ffi_so,SaClm)
	@mkdir -p $(@D)
	$(FFI_CC) $(FFI_CFLAGS) -o $@ $< -L$(RELEASE) -lSaClm

ffi-c-tests: $(FFI_CTEST_DIR)/clm_compile
	LD_LIBRARY_PATH=$(RELEASE) $(FFI_CTEST_DIR)/clm_compile
	@# The program must need libSaClm.so.3 and bind to its versioned symbols.
	@objdump -p $< | grep 'NEEDED *libSaClm.so.3$$' >/dev/null || { echo "$<: no NEEDED libSaClm.so.3" >&2; exit 1; }
	@for v in 'OPENAIS_CLM_B.01.01) saClmInitialize' 'OPENAIS_CLM_B.04.01) saClmInitialize_4'; do \
		objdump -T $< | grep "($$v\$$" >/dev/null || { echo "$<: no reference to ($$v" >&2; exit 1; }; \
	done; echo "clm_compile: binds to libSaClm.so.3 (OPENAIS_CLM_B.01.01, OPENAIS_CLM_B.04.01)"
	@if command -v $(FFI_CXX) >/dev/null; then \
		$(FFI_CXX) $(FFI_CXXFLAGS) -x c++ -o $(FFI_CTEST_DIR)/clm_compile_cxx c-tests/clm_compile.c \
			-x none -L$(RELEASE) -lSaClm && \
		LD_LIBRARY_PATH=$(RELEASE) $(FFI_CTEST_DIR)/clm_compile_cxx >/dev/null && \
		echo "clm_compile (C++): ok"; \
	else echo "ffi-c-tests: SKIPPED C++ ($(FFI_CXX) not installed)"; fi

# Build the C tests against the staged install (mk/install.mk) the way an application
# would: flags from pkg-config, and both include spellings (<saClm.h> and <openais/saClm.h>).
FFI_STAGE = $(INSTALL_STAGE)
ffi-install-check: install-stage
	@set -e; st=$$(cd $(FFI_STAGE) && pwd); \
	flags=$$(PKG_CONFIG_SYSROOT_DIR=$$st PKG_CONFIG_LIBDIR=$$st/usr/lib/pkgconfig \
		pkg-config --cflags --libs libSaClm); \
	echo "pkg-config --cflags --libs libSaClm: $$flags"; \
	$(FFI_CC) $(FFI_CFLAGS) -o $$st/clm_compile c-tests/clm_compile.c $$flags; \
	sed 's|#include <saClm.h>|#include <openais/saClm.h>|' c-tests/clm_compile.c \
		> $$st/clm_compile_openais.c; \
	$(FFI_CC) $(FFI_CFLAGS) -I$$st/usr/include -o $$st/clm_compile_openais \
		$$st/clm_compile_openais.c -L$$st/usr/lib -lSaClm; \
	LD_LIBRARY_PATH=$$st/usr/lib $$st/clm_compile >/dev/null; \
	LD_LIBRARY_PATH=$$st/usr/lib $$st/clm_compile_openais >/dev/null; \
	test "$$(readlink $$st/usr/lib/libSaClm.so)" = libSaClm.so.3; \
	test "$$(readlink $$st/usr/lib/libSaClm.so.3)" = libSaClm.so.3.0.0; \
	flags=$$(PKG_CONFIG_SYSROOT_DIR=$$st PKG_CONFIG_LIBDIR=$$st/usr/lib/pkgconfig \
		pkg-config --cflags --libs libcpg); \
	echo "pkg-config --cflags --libs libcpg: $$flags"; \
	$(FFI_CC) $(FFI_CFLAGS) -D_POSIX_C_SOURCE=200809L -o $$st/cpg_live c-tests/cpg_live.c $$flags; \
	objdump -p $$st/cpg_live | grep 'NEEDED *libcpg.so.4$$' >/dev/null; \
	test "$$(readlink $$st/usr/lib/libcpg.so.4)" = libcpg.so.4.1.0; \
	flags=$$(PKG_CONFIG_SYSROOT_DIR=$$st PKG_CONFIG_LIBDIR=$$st/usr/lib/pkgconfig \
		pkg-config --cflags --libs libevs); \
	echo "pkg-config --cflags --libs libevs: $$flags"; \
	$(FFI_CC) $(FFI_CFLAGS) -D_POSIX_C_SOURCE=200809L -o $$st/evs_live c-tests/evs_live.c $$flags; \
	test "$$(readlink $$st/usr/lib/libevs.so.4)" = libevs.so.4.0.0; \
	flags=$$(PKG_CONFIG_SYSROOT_DIR=$$st PKG_CONFIG_LIBDIR=$$st/usr/lib/pkgconfig \
		pkg-config --cflags --libs libSaCkpt); \
	echo "pkg-config --cflags --libs libSaCkpt: $$flags"; \
	$(FFI_CC) $(FFI_CFLAGS) -D_POSIX_C_SOURCE=200809L -o $$st/ckpt_live c-tests/ckpt_live.c $$flags; \
	objdump -p $$st/ckpt_live | grep 'NEEDED *libSaCkpt.so.3$$' >/dev/null; \
	test "$$(readlink $$st/usr/lib/libSaCkpt.so.3)" = libSaCkpt.so.3.0.0; \
	echo "ffi-install-check: ok"
