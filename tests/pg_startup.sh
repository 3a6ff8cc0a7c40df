#!/bin/sh
# bouncewatchd started while its PostgreSQL server is down waits for it
# (said at each attempt, with back-off) and loses nothing once it is up;
# a refusal that waiting cannot cure (a wrong password, a database that
# does not exist) ends the start at once with status 78 and the reason.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/pg_lib.sh"
pg_start
pg_stop fast || fail "pg_ctl stop"

conf() {	# name database
	printf 'log = %s\ndatabase = %s\npidfile = %s/%s.pid\ntimezone = UTC\ncommit_interval = 100ms\n' \
	    "$T/mail.log" "$2" "$T" "$1" > "$T/$1.conf"
	chmod 600 "$T/$1.conf"
}
head -n 2000 "$DATA/sample-mail.log" > "$T/mail.log"
want=$(wc -l < "$T/mail.log")
[ "$want" -gt 100 ] || fail "test data: $want lines"

# the server is down: the daemon waits instead of exiting
conf down "$PG_URI"
"$BWD" -f -c "$T/down.conf" 2> "$T/down.err" &
pid=$!
cleanup_hooks="stop_daemon $cleanup_hooks"
stop_daemon() { kill "$pid" 2> /dev/null || :; }
sleep 4
kill -0 "$pid" 2> /dev/null ||
	{ cat "$T/down.err" >&2; fail "the daemon exited while PostgreSQL was down"; }
n=$(grep -c "PostgreSQL cannot be reached" "$T/down.err" || :)
[ "$n" -ge 2 ] || { cat "$T/down.err" >&2; fail "waiting said $n times, want >= 2"; }
pass "server down: the daemon waits and says so ($n attempts in 4 s)"
# lines written while it waits are read once the server answers
head -n 500 "$DATA/sample-mail.log" | sed 's/ mx1 / mx9 /' >> "$T/mail.log"
want=$(wc -l < "$T/mail.log")
pg_ctl_start
i=0
got=
while [ $i -lt 150 ]; do
	got=$(pg_psql -At -d bw -c "SELECT coalesce(sum(n), 0) FROM line_stats" 2> /dev/null || :)
	[ "$got" = "$want" ] && break
	kill -0 "$pid" 2> /dev/null || break
	sleep 0.2
	i=$((i + 1))
done
[ "$got" = "$want" ] || { cat "$T/down.err" >&2; fail "stored '$got' lines, want $want"; }
grep -q "PostgreSQL answers after" "$T/down.err" || fail "no word when it answered"
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
assert_eq "$rc" 0 "exit status on SIGTERM"
pass "server started later: $got of $want lines stored, exit 0"

# SIGTERM while waiting: a clean exit
pg_stop fast || fail "pg_ctl stop"
"$BWD" -f -c "$T/down.conf" 2> "$T/term.err" &
pid=$!
sleep 1.5
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
assert_eq "$rc" 0 "exit status of SIGTERM while waiting"
pass "SIGTERM while waiting: exit 0"
pg_ctl_start

# refusals: no waiting, status 78, the server's reason
refused() {	# name uri pattern
	conf "$1" "$2"
	rc=0
	timeout 30 "$BWD" -f -c "$T/$1.conf" 2> "$T/$1.err" || rc=$?
	assert_eq "$rc" 78 "$1: exit status"
	grep -q "$3" "$T/$1.err" || { cat "$T/$1.err" >&2; fail "$1: no '$3' in the message"; }
	if grep -q "cannot be reached" "$T/$1.err"; then fail "$1: waited"; fi
	pass "$1: exit 78 at once ($(grep -c . "$T/$1.err") lines said)"
}
pg_psql -d postgres -c "CREATE ROLE bw_pass LOGIN PASSWORD 'right'" > /dev/null
refused password "postgresql:///bw?host=$PGSOCK&port=$PGPORT&user=bw_pass&password=wrong" \
    "password authentication failed"
refused nodb "postgresql:///nosuchdb?host=$PGSOCK&port=$PGPORT&user=bw" "does not exist"
