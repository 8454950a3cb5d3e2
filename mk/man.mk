# mk/man.mk: check every page (mk/install.mk installs them; a second name stays a
# symbolic link there).
#
#   make man-check            every page: groff -ww and mandoc -Tlint silent, the .TH
#                             line alike everywhere, aliases are symbolic links
#   make man-examples-check   the overview pages' layouts against include/, their
#                             examples built, linked and run (c-tests/man-examples.sh)

# The .TH line: `.TH NAME SECTION YYYY-MM-DD "openais-rs VERSION" "MANUAL"`, with
# NAME the file's name in capitals and the manual titles of man-pages(7).
MAN_SOURCE := openais-rs $(shell sed -n 's/^version *= *"\(.*\)"/\1/p' Cargo.toml | head -n1)
MAN_TITLE_3 := Library Functions Manual
MAN_TITLE_5 := File Formats Manual
MAN_TITLE_8 := System Manager's Manual

.PHONY: man-check man-examples-check
check: man-check man-examples-check

# groff is required (.ci/run installs groff-base); mandoc is used when installed.
man-check:
	@if ! command -v groff >/dev/null; then echo "man-check: groff not installed, pages not checked"; exit 0; fi; \
	lint=mandoc; command -v mandoc >/dev/null || { lint=; echo "man-check: mandoc not installed, mandoc -Tlint skipped"; }; \
	status=0; for other in $$(ls man | grep -v '\.[358]$$'); do \
		echo "man-check: man/$$other: only pages belong in man/"; status=1; \
	done; \
	for page in man/*.[358]; do \
		if [ -L $$page ]; then \
			target=$$(readlink $$page); \
			case $$target in */*) echo "man-check: $$page: link to $$target, not to a page beside it"; status=1;; esac; \
			[ -f "$$page" ] || { echo "man-check: $$page points at missing $$target"; status=1; }; \
			continue; \
		fi; \
		if grep -q '^\.so ' $$page; then \
			echo "man-check: $$page: .so page (mandoc: .so is fragile); make it a symbolic link to the page it names"; \
			status=1; continue; \
		fi; \
		base=$$(basename $$page); sec=$${base##*.}; \
		case $$sec in 3) title="$(MAN_TITLE_3)";; 5) title="$(MAN_TITLE_5)";; 8) title="$(MAN_TITLE_8)";; esac; \
		th=$$(grep -m1 '^\.TH ' $$page); date=$$(echo "$$th" | cut -d' ' -f4); \
		want=".TH $$(echo $${base%.*} | tr a-z A-Z) $$sec $$date \"$(MAN_SOURCE)\" \"$$title\""; \
		if [ "$$th" != "$$want" ] || ! [[ $$date =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$$ ]]; then \
			echo "man-check: $$page: $$th"; \
			echo "  want: $$want (date YYYY-MM-DD)"; status=1; \
		fi; \
		out=$$(groff -ww -man -z $$page 2>&1); \
		if [ -n "$$out" ]; then echo "man-check: $$page: $$out"; status=1; fi; \
		if [ -n "$$lint" ]; then \
			out=$$(mandoc -Tlint -W warning $$page 2>&1); \
			if [ -n "$$out" ]; then echo "$$out"; status=1; fi; \
		fi; \
	done; \
	[ $$status -eq 0 ] && echo "man-check: $$(ls man/*.[358] | wc -l) pages ok (groff$${lint:+, mandoc})"; exit $$status

# Needs the libraries and aisexec (built by `build` and `ffi-libs`).
man-examples-check: build ffi-libs
	c-tests/man-examples.sh $(RELEASE) $(RELEASE)/man-examples
