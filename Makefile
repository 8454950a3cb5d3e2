# Top-level build: `make`, `make check`, `make install PREFIX=... DESTDIR=...`.
# Cargo builds the Rust parts; the fragments in mk/ link the C libraries with
# their SONAMEs and version scripts and run the C tests.

PREFIX  ?= /usr/local
DESTDIR ?=
CARGO   ?= cargo
RELEASE := target/release

# Recipes run in bash with pipefail, so a program that fails at the head of a pipe
# (`ais-cfgtool -s | grep -q ...`) fails the recipe instead of being hidden by the
# pipe's last command. A producer whose reader may stop early is piped into
# `grep >/dev/null`, which reads to the end, rather than `grep -q`.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c

.PHONY: all build check install clean
all: build

build:
	$(CARGO) build --workspace --release

check: build
	$(CARGO) test --workspace --release

install: build

clean:
	$(CARGO) clean

-include mk/*.mk
