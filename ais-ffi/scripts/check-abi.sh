#!/bin/sh
# check-abi.sh LIB GOLDEN [--write]
#
# Describes the ABI of the shared library LIB -- its SONAME (readelf -d), its version
# definitions with their parents (readelf -V) and every symbol it defines with its version
# node (objdump -T) -- and compares that with the committed GOLDEN file. With --write it
# rewrites GOLDEN instead (after a deliberate ABI change).
set -eu
export LC_ALL=C  # stable sort order

lib=$1 golden=$2 mode=${3:-check}
[ -f "$lib" ] || { echo "check-abi: no $lib" >&2; exit 1; }

describe() {
    readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/soname \1/p'
    # "Name: X" opens a definition, "Parent 1: Y" names its parent; skip the BASE one
    # (the SONAME itself).
    readelf -V --wide "$lib" | awk '
        /Version definition section/ { on = 1; next }
        on && /^$/ { on = 0 }
        on && /Name:/ && !/BASE/ { if (name != "") print "version", name, parent; name = $NF; parent = "" }
        on && /Parent 1:/ { parent = $NF }
        END { if (name != "") print "version", name, parent }' | sed 's/ *$//'
    # Defined symbols only; the *ABS* entries GNU ld adds for each version node are the
    # version definitions above, not symbols.
    objdump -T "$lib" | awk '$NF != "" && /^[0-9a-f]+ / && !/\*UND\*/ && !/\*ABS\*/ { print "symbol", $(NF-1), $NF }' | sort
}

if [ "$mode" = --write ]; then
    { echo "# ABI of $(basename "$lib"), checked by ais-ffi/scripts/check-abi.sh (make check)."
      echo "# After a deliberate ABI change, regenerate with: make ffi-abi-bless"
      describe; } > "$golden"
    echo "wrote $golden"
    exit 0
fi

actual=$(describe)
expected=$(grep -v '^#' "$golden")
if [ "$actual" != "$expected" ]; then
    echo "check-abi: $(basename "$lib") differs from $golden:" >&2
    printf '%s\n' "$expected" > "${TMPDIR:-/tmp}/abi-expected.$$"
    printf '%s\n' "$actual" | diff -u "${TMPDIR:-/tmp}/abi-expected.$$" - >&2 || true
    rm -f "${TMPDIR:-/tmp}/abi-expected.$$"
    exit 1
fi
echo "check-abi: $(basename "$lib") ok ($(printf '%s\n' "$actual" | grep -c '^symbol') symbols)"
