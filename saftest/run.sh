#!/bin/bash
# Runs SAFTest's conformance bundles against this implementation on a local
# cluster (saftest/README.md):
#
#   saftest/run.sh SAFTEST_DIR [NODES]
#
# SAFTEST_DIR is a SAFTest checkout (trunk: bin/, lib/, driver/, cases/); it is
# copied, never changed. The copy gets SAFTest's C drivers built unchanged
# against this project's headers (include/) and libraries, an implementation
# directory whose cluster commands drive NODES executives (default 3) on
# 127.0.0.1..NODES (saftest/local-cluster.sh), and Ruby shims for what
# SAFTest's Ruby 1.8 code needs (saftest/ruby/). Each case of the bundles runs
# once; the last line is "N passed, M failed".
#
# With SAFTEST_COMMANDS=FILE (a cluster commands file, e.g. commands-systemd.conf
# filled in) no local cluster is started: the cases run against the cluster that
# FILE's commands display, start and stop, with this machine one of its nodes.
#
# Environment: BUILD (the build directory, default target/release, built with
# `make build` unless NO_BUILD=1), SAFTEST_WORK (scratch directory, default
# /tmp/saftest-run), SAFTEST_CASE_TIMEOUT (seconds per case, default 120).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)

# The service bundles to run, each SAFTest's cases/<name>/conf/conformance_bundle.xml
# with its driver cases/<name>/driver/<name>_driver.c linked against -l<library>.
BUNDLES=(clm:SaClm lck:SaLck)

[ $# -ge 1 ] && [ $# -le 2 ] || { sed -n '2,/^set /p' "$0" | sed '$d'; exit 2; }
SRC=$(cd "$1" && pwd)
NODES=${2:-3}
BUILD=${BUILD:-$repo/target/release}
WORK=${SAFTEST_WORK:-/tmp/saftest-run}
TIMEOUT=${SAFTEST_CASE_TIMEOUT:-120}

die() { echo "saftest: $*" >&2; exit 1; }
[ -d "$SRC/cases/clm" ] && [ -d "$SRC/driver" ] && [ -d "$SRC/lib" ] ||
    die "$SRC does not look like SAFTest's trunk (cases/clm, driver/, lib/)"
command -v ruby >/dev/null || die "SAFTest needs Ruby (apt-get install ruby)"
pkg-config --exists glib-2.0 || die "SAFTest's drivers need GLib (apt-get install libglib2.0-dev)"

if [ "${NO_BUILD:-0}" != 1 ]; then
    echo "saftest: building this project (make build)"
    make -C "$repo" build >/dev/null
fi
BUILD=$(cd "$BUILD" && pwd)

# A copy of SAFTest with this implementation added; SAFTEST_DIR stays as it was.
ROOT=$WORK/saftest
rm -rf "$ROOT"
mkdir -p "$ROOT"
tar -C "$SRC" --exclude=.git --exclude=.svn --exclude=./work --exclude=./objs -cf - . | tar -C "$ROOT" -xf -

# SAFTest's drivers: the generic saf_driver and one library per service, from its
# sources as they are. This project's headers come first; SAFTest's own copies of
# the standard headers (include/standard) only fill in what this project lacks.
# Old C: -fcommon for tentative definitions shared between files, no -Werror.
echo "saftest: building SAFTest's drivers against $repo/include and $BUILD"
OBJ=$ROOT/objs/final
mkdir -p "$OBJ" "$ROOT/objs/build"
CFLAGS_SAF=(-g -fPIC -fcommon -std=gnu99 -D__AIS_B_TEST__ -I"$repo/include" -I"$ROOT/include"
    -I"$ROOT/include/linux" -I"$ROOT/include/standard" $(pkg-config --cflags glib-2.0))
LIBS_SAF=(-ldl -lpthread $(pkg-config --libs glib-2.0))
cc_saf() { cc "${CFLAGS_SAF[@]}" -w "$@" >>"$WORK/build.log" 2>&1 || die "compiling SAFTest's drivers failed: $WORK/build.log"; }
: >"$WORK/build.log"
common=()
for f in saftest_comm saftest_log saftest_list saftest_getopt saftest_getoptl; do
    [ -f "$ROOT/driver/$f.c" ] || continue
    cc_saf -c "$ROOT/driver/$f.c" -o "$ROOT/objs/build/$f.o"
    common+=("$ROOT/objs/build/$f.o")
done
cc_saf -c "$ROOT/driver/driver_utils.c" -o "$ROOT/objs/build/driver_utils.o"
cc_saf -c "$ROOT/driver/driver_lib_utils.c" -o "$ROOT/objs/build/driver_lib_utils.o"
cc_saf "$ROOT/driver/driver_main.c" "${common[@]}" "$ROOT/objs/build/driver_utils.o" -o "$OBJ/saf_driver" "${LIBS_SAF[@]}"
for b in "${BUNDLES[@]}"; do
    spec=${b%%:*} lib=${b#*:}
    cc_saf -c "$ROOT/cases/$spec/driver/${spec}_driver.c" -o "$ROOT/objs/build/${spec}_driver.o"
    cc_saf -shared -o "$OBJ/${spec}_driver.so" "$ROOT/objs/build/${spec}_driver.o" "${common[@]}" \
        "$ROOT/objs/build/driver_lib_utils.o" -L"$BUILD" -l"$lib" "${LIBS_SAF[@]}"
    # Older layouts look for the library beside its source, and the driver under driver/.
    cp "$OBJ/${spec}_driver.so" "$ROOT/cases/$spec/driver/"
done
cp "$OBJ/saf_driver" "$ROOT/driver/"

# The cluster: the local one, or the one SAFTEST_COMMANDS describes.
W=$ROOT/work
stop_drivers() {
    local p
    for p in "$W"/run/*.pid; do
        [ -f "$p" ] && kill -KILL "$(cat "$p")" 2>/dev/null
    done
    return 0
}
mkdir -p "$W/implementation"
if [ -n "${SAFTEST_COMMANDS:-}" ]; then
    grep -q '^DISPLAY_CLUSTER=' "$SAFTEST_COMMANDS" || die "$SAFTEST_COMMANDS has no DISPLAY_CLUSTER= line"
    cp "$SAFTEST_COMMANDS" "$W/implementation/commands.conf"
    trap stop_drivers EXIT
    display=$(sed -n 's/^DISPLAY_CLUSTER=//p' "$SAFTEST_COMMANDS")
    names=$(sh -c "$display" | RUBYLIB=$here/ruby ruby "$here/test/read-cluster.rb" | awk '{print $2}' | tr '\n' ' ')
    NODES=$(wc -w <<<"$names")
    [ "$NODES" -ge 1 ] || die "'$display' shows no node"
else
    export SAFTEST_AIS_DIR=$WORK/cluster
    "$here/local-cluster.sh" stop 2>/dev/null || true
    "$here/local-cluster.sh" init "$NODES" "$BUILD"
    trap 'stop_drivers; "$here/local-cluster.sh" stop || true' EXIT
    echo "saftest: starting $NODES executives on 127.0.0.1-$NODES"
    "$here/local-cluster.sh" start
    "$here/local-cluster.sh" commands >"$W/implementation/commands.conf"
    names=$("$here/local-cluster.sh" names | tr '\n' ' ')
    local_name=${names%% *}
    # SAFTest reaches a node with ssh: the stand-in in bin/ runs it here.
    export PATH=$here/bin:$PATH
    AIS_IPC_SOCKET=$("$here/local-cluster.sh" socket "$local_name")
    export AIS_IPC_SOCKET
fi
names=${names% }
mkdir -p "$W/conf" "$W/run" "$W/log" "$W/tmp" "$W/objs" "$W/log/cases" "$ROOT/implementation/openais-rs"
cp "$OBJ"/* "$W/objs/"
cp "$W/implementation/commands.conf" "$ROOT/implementation/openais-rs/"
# The nodes SAFTest may stop and start: the second half, as its `create` proposes.
short=$(echo "$names" | cut -d' ' -f$(((NODES + 1) / 2 + 1))-)
[ "$NODES" -ge 2 ] || short=
spec_yes() { for b in "${BUNDLES[@]}"; do [ "${b%%:*}" = "$1" ] && { echo yes; return; }; done; echo no; }
entry() { printf '   <SAFTestConfigEntry>\n    <name>%s</name>\n    <value>%s</value>\n   </SAFTestConfigEntry>\n' "$1" "$2"; }
{
    echo '<?xml version="1.0" encoding="UTF-8"?>'
    echo '<SAFTestConfig schemaVersion="1">'
    echo '<SAFTestConfigSectionList>'
    echo ' <SAFTestConfigSection>'
    echo '  <SAFTestConfigSectionName>main</SAFTestConfigSectionName>'
    echo '  <SAFTestConfigEntryList>'
    entry testType conformance
    entry testNodes "$names"
    entry testShortLivedNodes "$short"
    entry implementation openais-rs
    entry numLongLivedDrivers 3
    entry testSpecCLM "$(spec_yes clm)"
    entry testSpecLCK "$(spec_yes lck)"
    entry testSpecMSG no
    echo '  </SAFTestConfigEntryList>'
    echo ' </SAFTestConfigSection>'
    echo '</SAFTestConfigSectionList>'
    echo '</SAFTestConfig>'
} >"$W/conf/saftest.xml"
cp "$ROOT/conf/conformance_bundle.xml" "$W/conf/cases_bundle.xml"

# What every case process sees: SAFTest's root, the shims, the libraries.
export SAFTEST_ROOT=$ROOT SAF_ROOT=$ROOT
export RUBYLIB=$here/ruby${RUBYLIB:+:$RUBYLIB}
export RUBYOPT="-rsaftest_compat -W0"
export LD_LIBRARY_PATH=$BUILD${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}

bundle_files=("$ROOT/conf/conformance_bundle.xml")
for b in "${BUNDLES[@]}"; do bundle_files+=("$ROOT/cases/${b%%:*}/conf/conformance_bundle.xml"); done
echo "saftest: running ${BUNDLES[*]%%:*} (logs in $W/log)"
set +e
ruby "$here/run-cases.rb" "$ROOT" "$W/log/cases" "$TIMEOUT" "${bundle_files[@]}"
status=$?
set -e
exit $status
