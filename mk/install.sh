#!/bin/bash
# mk/install.sh install|uninstall MANIFEST: carries out the manifest that
# mk/install.mk writes (its header describes the lines). Environment:
# DESTDIR, STRIP (yes: strip objects, debug information to DEBUGDIR).
set -euo pipefail
action=$1
manifest=$2
DESTDIR=${DESTDIR:-}
STRIP=${STRIP:-yes}
DEBUGDIR=${DEBUGDIR:-/usr/local/lib/debug}

# install_object MODE SOURCE DEST STRIP_OPTION
install_object() {
    local mode=$1 src=$2 dest=$3 how=$4
    install -d "$DESTDIR$(dirname "$dest")"
    if [ "$STRIP" != yes ]; then
        install -m "$mode" "$src" "$DESTDIR$dest"
        return
    fi
    local dbg=$DESTDIR$DEBUGDIR$dest.debug tmp
    install -d "$(dirname "$dbg")"
    objcopy --only-keep-debug "$src" "$dbg"
    chmod 0644 "$dbg"
    tmp=$(mktemp)
    objcopy "$how" --add-gnu-debuglink="$dbg" "$src" "$tmp"
    install -m "$mode" "$tmp" "$DESTDIR$dest"
    rm -f "$tmp"
}

install_all() {
    local kind mode src dest
    while IFS=: read -r kind mode src dest; do
        case $kind in
            bin) install_object "$mode" "$src" "$dest" --strip-all ;;
            lib) install_object "$mode" "$src" "$dest" --strip-unneeded ;;
            file) install -D -m "$mode" "$src" "$DESTDIR$dest" ;;
            conf)
                if [ -e "$DESTDIR$dest" ]; then
                    echo "install: keeping $DESTDIR$dest"
                else
                    install -D -m "$mode" "$src" "$DESTDIR$dest"
                fi ;;
            link) install -d "$DESTDIR$(dirname "$dest")"; ln -sfn "$src" "$DESTDIR$dest" ;;
            dir) install -d -m "$mode" "$DESTDIR$dest" ;;
            *) echo "mk/install.sh: unknown manifest line '$kind:$mode:$src:$dest'" >&2; exit 1 ;;
        esac
    done < "$manifest"
}

# Debug files' directories under DEBUGDIR are ours: removed when empty.
remove_debug() {
    local f=$DESTDIR$DEBUGDIR$1.debug d
    rm -f "$f"
    d=$(dirname "$f")
    while [ "$d" != "$DESTDIR$DEBUGDIR" ] && [ "${#d}" -gt "${#DESTDIR}" ] && rmdir "$d" 2>/dev/null; do
        d=$(dirname "$d")
    done
    rmdir "$DESTDIR$DEBUGDIR" 2>/dev/null || true
}

uninstall_all() {
    local kind mode src dest
    # Directories last, deepest first.
    tac "$manifest" | while IFS=: read -r kind mode src dest; do
        case $kind in
            bin|lib) rm -f "$DESTDIR$dest"; remove_debug "$dest" ;;
            file|link) rm -f "$DESTDIR$dest" ;;
            conf)
                if [ -e "$DESTDIR$dest" ] && ! cmp -s "$src" "$DESTDIR$dest"; then
                    echo "uninstall: keeping the changed $DESTDIR$dest"
                else
                    rm -f "$DESTDIR$dest"
                fi ;;
        esac
    done
    grep '^dir:' "$manifest" | sort -t: -k4 -r | while IFS=: read -r kind mode src dest; do
        rmdir "$DESTDIR$dest" 2>/dev/null || true
    done
}

case $action in
    install) install_all ;;
    uninstall) uninstall_all ;;
    *) echo "usage: mk/install.sh install|uninstall MANIFEST" >&2; exit 2 ;;
esac
