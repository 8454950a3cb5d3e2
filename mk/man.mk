# mk/man.mk: check that every page renders without warnings (mk/install.mk
# installs them).

.PHONY: man-check
check: man-check

# A page that is only `.so other` is rendered through the page it names.
man-check:
	@if ! command -v groff >/dev/null; then echo "man-check: groff not installed, pages not checked"; exit 0; fi; \
	status=0; for page in man/*.[358]; do \
		if grep -q '^\.so ' $$page; then \
			target=man/$$(sed -n 's|^\.so man[0-9]/||p' $$page); \
			[ -f "$$target" ] || { echo "man-check: $$page points at missing $$target"; status=1; }; \
			continue; \
		fi; \
		out=$$(groff -ww -man -z $$page 2>&1); \
		if [ -n "$$out" ]; then echo "man-check: $$page: $$out"; status=1; fi; \
	done; \
	[ $$status -eq 0 ] && echo "man-check: $$(ls man/*.[358] | wc -l) pages ok"; exit $$status
