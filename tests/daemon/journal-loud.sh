#!/bin/sh
# bouncewatchd is loud when its journal cannot be read: a missing journal
# directory is logged again after each retry back-off (not once), SIGUSR1
# lists it as unreadable, and once the directory appears its entries are
# read and the state is "following".
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/journal_lib.sh"

command -v sqlite3 >/dev/null 2>&1 || { echo "sqlite3 missing: skip"; exit 77; }

J="$T/journal" DB="$T/bw.db"
jl_conf "$T/bw.conf" "$J" "$DB"

pid=""
stop_daemon() { [ -z "$pid" ] || { kill -9 "$pid" 2>/dev/null || :; wait "$pid" 2>/dev/null || :; }; }
cleanup_hooks="stop_daemon"

# wait_for WHAT COMMAND...: until the command succeeds (the daemon alive)
wait_for() {
	what=$1; shift
	i=0
	until "$@"; do
		i=$((i + 1))
		[ $i -lt 600 ] || fail "timed out waiting for $what: $(tail -n 5 "$T/daemon.err")"
		kill -0 "$pid" 2>/dev/null || fail "the daemon exited: $(tail -n 5 "$T/daemon.err")"
		sleep 0.05
	done
}
said() { [ "$(grep -c "$1" "$T/daemon.err")" -ge "$2" ]; }

"$BWD" -f -c "$T/bw.conf" 2> "$T/daemon.err" &
pid=$!
# missing: said at start, and again after the back-offs of 1 s and 2 s
wait_for "the missing directory said three times" said "$J: cannot open the journal" 3
grep -q "trying again in 2 s" "$T/daemon.err" || fail "no back-off: $(cat "$T/daemon.err")"
kill -USR1 "$pid"
wait_for "SIGUSR1 to list the journal as unreadable" said "journal:$J: unreadable" 1
pass "a missing journal directory is said again after each back-off"

mkdir "$J"
jl_add "$J" mail "$JDATA/mail.export"
n=$(jl_mail_count "$JDATA/mail.export")
lines() { [ "$(sqlite3 -readonly "$DB" "SELECT lines FROM source WHERE path = 'journal:$J'" 2>/dev/null)" = "$n" ]; }
wait_for "the entries of the new directory" lines
said "$J: readable again" 1 || fail "recovery not logged: $(cat "$T/daemon.err")"
kill -USR1 "$pid"
wait_for "SIGUSR1 to list the journal as following" said "journal:$J: following; $n entries read" 1
kill -TERM "$pid"
rc=0; wait "$pid" || rc=$?; pid=""
assert_eq "$rc" 0 "exit status at SIGTERM"
pass "once the directory appears, its entries are read"
