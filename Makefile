# Top-level build: `make`, `make check`, `make install`, `make uninstall`
# (PREFIX=..., DESTDIR=... and the directories below).
# Cargo builds the Rust parts; the fragments in mk/ link the C libraries with
# their SONAMEs and version scripts and run the C tests.

CARGO   ?= cargo
RELEASE := target/release

# Where `make install` puts things (GNU names; DESTDIR prefixes every one).
# Debian's build passes PREFIX=/usr, LIBDIR=/usr/lib/<multiarch>,
# SYSCONFDIR=/etc and STRIP=no (debhelper strips into -dbgsym packages).
PREFIX      ?= /usr/local
DESTDIR     ?=
BINDIR      ?= $(PREFIX)/bin
SBINDIR     ?= $(PREFIX)/sbin
LIBDIR      ?= $(PREFIX)/lib
INCLUDEDIR  ?= $(PREFIX)/include
DATADIR     ?= $(PREFIX)/share
MANDIR      ?= $(DATADIR)/man
DOCDIR      ?= $(DATADIR)/doc/openais-rs
SYSCONFDIR  ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
UNITDIR     ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
# Installed objects are stripped, their debug information kept apart under
# DEBUGDIR (found by gdb through each object's .gnu_debuglink); STRIP=no
# installs them as built.
STRIP       ?= yes
DEBUGDIR    ?= $(PREFIX)/lib/debug
# no: leave out libcpg.so.4, libevs.so.4, <corosync/*.h> and their pages,
# which Debian's corosync packages own.
COROSYNC_COMPAT ?= yes
# The C compiler's and linker's flags (Debian's hardening: -z relro -z now)
# reach the link of every C library and C program built here.
CFLAGS  ?=
LDFLAGS ?=

# Recipes run in bash with pipefail, so a program that fails at the head of a pipe
# (`ais-cfgtool -s | grep -q ...`) fails the recipe instead of being hidden by the
# pipe's last command. A producer whose reader may stop early is piped into
# `grep >/dev/null`, which reads to the end, rather than `grep -q`.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c

.PHONY: all build check install uninstall clean
all: build

build:
	$(CARGO) build --workspace --release

check: build
	$(CARGO) test --workspace --release

install: build
uninstall:

clean:
	$(CARGO) clean

# A prerequisite that is always remade (for files whose rule decides).
.PHONY: FORCE
FORCE:

-include mk/*.mk
