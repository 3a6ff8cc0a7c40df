# tests/lib.sh -- shared by the shell tests: paths, a scratch directory
# removed on exit, and small assertions.  Source it with ". $top_srcdir/tests/lib.sh".
set -eu
: "${top_srcdir:=.}"
: "${top_builddir:=.}"
BW="$top_builddir/src/bouncewatch"
BWD="$top_builddir/src/bouncewatchd"
DATA="$top_srcdir/tests/data"
export BOUNCEWATCH_NOW=2026-11-23T12:00:00Z TZ=UTC
T=$(mktemp -d "${TMPDIR:-/tmp}/bw-test.XXXXXX")
cleanup_hooks=""
on_exit() { for h in $cleanup_hooks; do $h || :; done; rm -rf "$T"; }
trap on_exit 0
fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok - $*"; }
assert_eq() { [ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"; }
