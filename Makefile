# Top-level build: `make`, `make check`, `make install PREFIX=... DESTDIR=...`.
# Cargo builds the Rust parts; the fragments in mk/ link the C libraries with
# their SONAMEs and version scripts and run the C tests.

PREFIX  ?= /usr/local
DESTDIR ?=
CARGO   ?= cargo
RELEASE := target/release

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
