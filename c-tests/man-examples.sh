#!/bin/bash
# Checks what a service overview page (sa<Svc>.3, <svc>_overview.3) gives an
# application writer to copy:
#
#   .\" layouts-begin ... .\" layouts-end    the structures, as C declarations
#   .\" example-begin ... .\" example-end    one complete program
#
# (the markers sit inside the page's .EX/.EE blocks). Every declaration of the
# layouts must be, token for token, one of the generated headers in include/; the
# example is compiled as an application is (C99, pedantic, warnings are errors, -O2
# for the warnings that need the optimiser) and
# linked with the library the page's "Link with" line names; then, if BUILD_DIR holds
# aisexec, every example runs against one executive (c-tests/one-node.sh) and must
# exit 0.
#
#   c-tests/man-examples.sh BUILD_DIR OUT_DIR [PAGE...]
#
# BUILD_DIR holds the libraries (and aisexec); the extracted sources and programs go
# to OUT_DIR; the pages are by default every overview page.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=$1 OUT=$2; shift 2
CC=${CC:-cc}
CFLAGS=(-std=c99 -O2 -Wall -Wextra -Werror -pedantic -Iinclude)

if [ $# -eq 0 ]; then
    for page in man/*.3; do
        case $(basename "$page") in
            *_overview.3) set -- "$@" "$page" ;;
            sa[A-Z]*.3) [[ $(basename "$page") =~ ^sa[A-Z][a-z]+\.3$ ]] && set -- "$@" "$page" ;;
        esac
    done
fi

mkdir -p "$OUT"

# block PAGE NAME: the lines between `.\" NAME-begin` and `.\" NAME-end` as C, with
# the roff escapes a code block uses undone. Anything else that roff would not print
# as written is refused: another escape, a control line, or a bare - ' ` (groff may
# print a hyphen or typographic quotes, which a reader copying the code would get).
block() {
    perl -e '
        my ($page, $name) = @ARGV;
        open(my $in, "<", $page) or die "$page: $!\n";
        my %plain = ("e" => "\\", "-" => "-", "&" => "", "(aq" => "\x27", "(dq" => "\"", "(ga" => "`");
        my ($inside, $seen, $bad) = (0, 0, 0);
        while (my $line = <$in>) {
            if ($line =~ /^\.\\" \Q$name\E-begin\s*$/) { die "$page:$.: second $name-begin\n" if $seen; $inside = $seen = 1; next; }
            if ($line =~ /^\.\\" \Q$name\E-end\s*$/) { die "$page:$.: $name-end without begin\n" unless $inside; $inside = 0; next; }
            next unless $inside;
            if ($line =~ /^[.\x27]/) { print STDERR "$page:$.: a control line inside the $name\n"; $bad = 1; next; }
            my $out = "";
            while ($line =~ /\G(?:([^\\\-\x27`]+)|\\(e|-|&|\(aq|\(dq|\(ga)|(\\.?|.))/gs) {
                if (defined $1) { $out .= $1 } elsif (defined $2) { $out .= $plain{$2} }
                else { print STDERR "$page:$.: write \"$3\" as roff prints it (\\e \\- \\(aq \\(ga \\(dq \\&)\n"; $bad = 1 }
            }
            print $out;
        }
        die "$page: no $name-begin/$name-end markers (an overview page carries its layouts and one example: CONTRIBUTING.md, Man pages)\n" unless $seen;
        die "$page: $name-begin without end\n" if $inside;
        exit $bad;
    ' "$1" "$2"
}

# C text reduced to its tokens: no comments or preprocessor lines, one space at most
# between words, none around punctuation.
tokens() {
    perl -0777 -pe 's{/\*.*?\*/}{ }gs; s{//[^\n]*}{}g; s{^\s*#[^\n]*}{}mg; s/\s+/ /g;
        s/ ?([(){};,*\[\]=]) ?/$1/g; s/^ //; s/ $//'
}

status=0
exes=()
headers=$(cat include/*.h include/corosync/*.h | tokens)
for page in "$@"; do
    base=$(basename "$page" .3)
    if ! block "$page" layouts > "$OUT/$base.layouts"; then status=1; continue; fi
    # Each declaration (up to a ; outside braces) must be one of a header's, whole.
    missing=$(tokens < "$OUT/$base.layouts" | HEADERS=$headers perl -ne '
        my ($depth, $decl) = (0, "");
        for my $c (split //) {
            $decl .= $c;
            $depth++ if $c eq "{"; $depth-- if $c eq "}";
            if ($c eq ";" && $depth == 0) {
                $decl =~ s/^ //;
                print "$decl\n" unless $ENV{HEADERS} =~ /(?:^|[;{}])\Q$decl\E/;
                $decl = "";
            }
        }')
    if [ -n "$missing" ]; then
        echo "man-examples: $page: layouts not in include/ as written:" >&2
        printf '  %s\n' "$missing" >&2
        status=1
    fi
    if [ ! -s "$OUT/$base.layouts" ]; then echo "man-examples: $page: empty layouts" >&2; status=1; fi

    if ! block "$page" example > "$OUT/$base.c"; then status=1; continue; fi
    libs=$(sed -n 's/^Link with .*\\fB\\-l\([A-Za-z0-9_]*\)\\fR.*/\1/p' "$page")
    if [ -z "$libs" ]; then echo "man-examples: $page: no \"Link with \\fB\\-lNAME\\fR\" line" >&2; status=1; continue; fi
    if ! "$CC" "${CFLAGS[@]}" -o "$OUT/$base" "$OUT/$base.c" -L"$BUILD" $(printf -- '-l%s ' $libs); then
        echo "man-examples: $page: the example does not build (extracted to $OUT/$base.c)" >&2
        status=1; continue
    fi
    exes+=("$OUT/$base")
done
[ $status -eq 0 ] || { echo "man-examples: FAILED" >&2; exit 1; }
echo "man-examples: $# pages: layouts match include/, examples build"

if [ ! -x "$BUILD/aisexec" ]; then
    echo "man-examples: $BUILD/aisexec not built, examples not run"
    exit 0
fi
c-tests/one-node.sh "$BUILD" bash -c '
    for exe; do
        echo "man-examples: running the example of $(basename "$exe").3"
        rc=0; timeout 60 "$exe" </dev/null || rc=$?
        [ $rc -eq 0 ] || { echo "man-examples: $(basename "$exe").3: the example exited with $rc" >&2; exit 1; }
    done' _ "${exes[@]}"
echo "man-examples: ${#exes[@]} examples ran against aisexec"
