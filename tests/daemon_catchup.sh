#!/bin/sh
# bouncewatchd catching up a backlog (a log written while it was stopped)
# reads and stores in one thread and parses and classifies in another
# (ingest_pipe_follow): it says so in its debug log, and stores what
# "import --threads 1" stores, table by table, also when it is killed
# with SIGKILL in the middle and started again (the positions committed
# with each batch are exactly where the next start reads on).
. "$top_srcdir/tests/lib.sh"

command -v sqlite3 > /dev/null 2>&1 || { echo "sqlite3 missing: skip"; exit 77; }
command -v python3 > /dev/null 2>&1 || { echo "python3 missing: skip"; exit 77; }

# 100k lines: a hundred batches of commit_lines, thousands of chunks
python3 "$top_srcdir/bench/genlog.py" --lines 100000 --seed 7 \
    --start 2026-11-20T00:00:00 --hurricane-share 0.05 > "$T/mail.log"
size=$(wc -c < "$T/mail.log")

tables="failure daily day_span pending diagnostic domain relay reply rule host
    instance unrecognised line_stats"
dump() {
	for t in $tables; do
		echo "== $t"
		sqlite3 -readonly "$1" "SELECT * FROM $t"
	done
}

"$BW" import --quiet --threads 1 --db "$T/one.db" "$T/mail.log" 2> "$T/err" ||
	fail "import: $(cat "$T/err")"
dump "$T/one.db" > "$T/one.txt"
rows=$(sqlite3 -readonly "$T/one.db" "SELECT count(*) FROM failure")
[ "$rows" -gt 1000 ] || fail "only $rows failure rows"

pid=
stop_daemon() { [ -z "$pid" ] || kill -KILL "$pid" 2> /dev/null || :; }
cleanup_hooks="stop_daemon"

start() {	# start NAME: bouncewatchd -d on $T/NAME.db, in the background
	printf 'log = %s\ndatabase = %s\npidfile = %s\ncommit_lines = 1000\nstart = beginning\ntimezone = UTC\n' \
	    "$T/mail.log" "$T/$1.db" "$T/$1.pid" > "$T/$1.conf"
	"$BWD" -d -c "$T/$1.conf" 2>> "$T/$1.err" &
	pid=$!
}

offset() {	# offset NAME: the position committed in NAME.db ("" before any)
	sqlite3 -readonly "$T/$1.db" "SELECT max(offset) FROM source" 2> /dev/null || :
}

wait_offset() {	# wait_offset NAME TEST VALUE: until the committed offset passes TEST
	i=0
	while :; do
		o=$(offset "$1")
		[ -n "$o" ] && [ "$o" "$2" "$3" ] && return 0
		kill -0 "$pid" 2> /dev/null || fail "$1: the daemon died: $(tail -n 5 "$T/$1.err")"
		i=$((i + 1))
		[ "$i" -lt 3000 ] || fail "$1: the daemon did not get to $2 $3 (at $o)"
		sleep 0.1
	done
}

stop() {	# stop NAME: SIGTERM, exit status 0
	kill -TERM "$pid"
	st=0
	wait "$pid" || st=$?
	pid=
	[ "$st" = 0 ] || fail "$1: exit status $st: $(tail -n 5 "$T/$1.err")"
}

# the whole backlog at once
start whole
wait_offset whole -eq "$size"
stop whole
grep -q 'catching up on two threads' "$T/whole.err" ||
	fail "the backlog was not read on two threads: $(head -n 5 "$T/whole.err")"
dump "$T/whole.db" > "$T/whole.txt"
cmp -s "$T/one.txt" "$T/whole.txt" ||
	fail "catching up differs from import: $(diff "$T/one.txt" "$T/whole.txt" | head -n 5)"
pass "a backlog read on two threads stores what import stores ($rows failure rows)"

# killed after some batches, wherever it is, then started again
start killed
wait_offset killed -gt 0
kill -KILL "$pid"
wait "$pid" 2> /dev/null || :
at=$(offset killed)
[ "$at" -lt "$size" ] || echo "note: the first run got to the end before SIGKILL"
start killed
wait_offset killed -eq "$size"
stop killed
dump "$T/killed.db" > "$T/killed.txt"
cmp -s "$T/one.txt" "$T/killed.txt" ||
	fail "killed at $at and restarted differs: $(diff "$T/one.txt" "$T/killed.txt" | head -n 5)"
pass "killed at byte $at of $size and restarted: the same rows, none twice"
