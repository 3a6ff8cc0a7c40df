#!/bin/sh
# bouncewatchd follows a journal directory (journal_directory) while new
# journal files appear and old ones grow, through kill -9 and restarts:
# in the end the database holds exactly what one import of all the
# entries gives -- every entry once, none lost, none twice.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/journal_lib.sh"

command -v sqlite3 >/dev/null 2>&1 || { echo "sqlite3 missing: skip"; exit 77; }

q() { sqlite3 -readonly "$1" "$2" 2>/dev/null; }

J="$T/journal" DB="$T/bw.db"
mkdir "$J"
jl_conf "$T/bw.conf" "$J" "$DB"

# Six pieces in time order: mx1 (Nov 22) in three, mail (Nov 23) in three.
nx=$(jl_count "$JDATA/mx1.export") nm=$(jl_count "$JDATA/mail.export")
jl_slice "$JDATA/mx1.export" 1 250 > "$T/c1.export"
jl_slice "$JDATA/mx1.export" 251 250 > "$T/c2.export"
jl_slice "$JDATA/mx1.export" 501 "$nx" > "$T/c3.export"
jl_slice "$JDATA/mail.export" 1 80 > "$T/c4.export"
jl_slice "$JDATA/mail.export" 81 70 > "$T/c5.export"
jl_slice "$JDATA/mail.export" 151 "$nm" > "$T/c6.export"
expected=0

# added N: the mail entries of piece N are now in the journal
added() { expected=$((expected + $(jl_mail_count "$T/c$1.export"))); }

pid=""
start() {
	"$BWD" -f -c "$T/bw.conf" 2>> "$T/daemon.err" &
	pid=$!
}
stop_daemon() { [ -z "$pid" ] || { kill "$1" "$pid" 2>/dev/null || :; wait "$pid" || :; pid=""; }; }
cleanup_hooks="stop_daemon_9"
stop_daemon_9() { stop_daemon -9; }

# caught_up: wait until the committed position has every mail entry added
caught_up() {
	i=0
	while [ "$(q "$DB" "SELECT lines FROM source WHERE path = 'journal:$J'")" != "$expected" ]; do
		i=$((i + 1))
		[ $i -lt 600 ] || fail "the daemon did not catch up to $expected entries (at \
$(q "$DB" "SELECT lines FROM source WHERE path = 'journal:$J'")): $(tail -n 5 "$T/daemon.err")"
		kill -0 "$pid" 2>/dev/null || fail "the daemon exited: $(tail -n 5 "$T/daemon.err")"
		sleep 0.05
	done
}

jl_add "$J" c1 "$T/c1.export"; added 1
start
caught_up
# a new file while it runs
jl_add "$J" c2 "$T/c2.export"; added 2
caught_up
# a new file, and kill -9 while it may be reading it
jl_add "$J" c3 "$T/c3.export"; added 3
sleep 0.1
stop_daemon -9
start
caught_up
# a file grows in place (new entries, no new file), then kill -9
jl_build "$J/c3.journal" "$T/c4.export"; added 4
caught_up
stop_daemon -9
# written while stopped
jl_add "$J" c5 "$T/c5.export"; added 5
start
caught_up
jl_add "$J" c6 "$T/c6.export"; added 6
caught_up
kill -TERM "$pid"
rc=0; wait "$pid" || rc=$?; pid=""
assert_eq "$rc" 0 "exit status at SIGTERM"

mkdir "$T/all"
jl_build "$T/all/mail.journal" "$JDATA/mail.export"
jl_build "$T/all/mx1.journal" "$JDATA/mx1.export"
"$BW" import --quiet --db "$T/all.db" --journal-directory "$T/all" ||
	fail "import of all entries"
jl_same "$T/all.db" "$DB" "the daemon's database differs from one import of every entry"
assert_eq "$(q "$DB" 'SELECT count(*) FROM gap')" 0 "gap rows"
assert_eq "$(q "$DB" 'PRAGMA integrity_check')" ok "integrity"
pass "bouncewatchd followed a journal directory through kill -9, exactly"
