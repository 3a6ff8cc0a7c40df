#!/bin/sh
# bouncewatch import on two threads (reading, parsing and classifying in
# one, the store in the other) gives the database one thread gives: every
# table, row for row, over a generated log of several batches, plain and
# gzipped, imported whole or in two goes (the position saved by the
# first go must be exactly where the second starts).  And sql/queries.sql
# answers the same on both.
. "$top_srcdir/tests/lib.sh"

command -v sqlite3 > /dev/null 2>&1 || { echo "sqlite3 missing: skip"; exit 77; }
command -v python3 > /dev/null 2>&1 || { echo "python3 missing: skip"; exit 77; }

# 250k lines: two batches of the import and thousands of handed-over chunks
python3 "$top_srcdir/bench/genlog.py" --lines 250000 --seed 7 \
    --start 2026-11-20T00:00:00 --hurricane-share 0.05 > "$T/mail.log"
gzip -c "$T/mail.log" > "$T/mail.log.gz"
head -n 123457 "$T/mail.log" > "$T/head.log"

# Every table but the clocks of the source rows, in a stable order.
dump() {
	for t in failure daily day_span pending diagnostic domain relay reply rule \
	    host instance unrecognised line_stats; do
		echo "== $t"
		sqlite3 -readonly "$1" "SELECT * FROM $t"
	done
	echo "== source"
	sqlite3 -readonly "$1" "SELECT id, offset, lines, length(tail), fp_len FROM source"
}

imp() {	# imp THREADS DB FILE...
	n=$1 db=$2; shift 2
	"$BW" import --quiet --threads "$n" --db "$db" "$@" 2> "$T/err" ||
		fail "import --threads $n $*: $(cat "$T/err")"
}

imp 1 "$T/one.db" "$T/mail.log"
dump "$T/one.db" > "$T/one.txt"
rows=$(sqlite3 -readonly "$T/one.db" "SELECT count(*) FROM failure")
[ "$rows" -gt 2000 ] || fail "only $rows failure rows"
[ "$(sqlite3 -readonly "$T/one.db" "SELECT count(*) FROM failure WHERE status_id = 5")" -gt 0 ] ||
	fail "no expired rows: the expiry path is not exercised"

imp 2 "$T/two.db" "$T/mail.log"
dump "$T/two.db" > "$T/two.txt"
cmp -s "$T/one.txt" "$T/two.txt" ||
	fail "two threads differ from one: $(diff "$T/one.txt" "$T/two.txt" | head -n 5)"
pass "two threads store what one thread stores ($rows failure rows)"

imp 2 "$T/gz.db" "$T/mail.log.gz"
dump "$T/gz.db" > "$T/gz.txt"
cmp -s "$T/one.txt" "$T/gz.txt" || fail "the .gz import on two threads differs"
pass "the .gz import on two threads too"

# in two goes: the first part, then the whole file continues where it stopped
imp 2 "$T/parts.db" "$T/head.log"
imp 2 "$T/parts.db" "$T/mail.log"
dump "$T/parts.db" | sed '/^== source/,$d' > "$T/parts.txt"
sed '/^== source/,$d' "$T/one.txt" > "$T/one-rows.txt"
cmp -s "$T/one-rows.txt" "$T/parts.txt" ||
	fail "two goes differ from one: $(diff "$T/one-rows.txt" "$T/parts.txt" | head -n 5)"
assert_eq "$(sqlite3 -readonly "$T/parts.db" "SELECT offset FROM source")" \
    "$(wc -c < "$T/mail.log" | tr -d ' ')" "the position after two goes"
imp 2 "$T/parts.db" "$T/mail.log.gz"
dump "$T/parts.db" | sed '/^== source/,$d' > "$T/again.txt"
cmp -s "$T/one-rows.txt" "$T/again.txt" || fail "a third import added rows"
pass "in two goes, exactly once; a third import adds nothing"

# sql/queries.sql: the same answers from both databases
for db in one two; do
	{
		echo ".parameter set :day \"'2026-11-20'\""
		echo ".parameter set :from \"'2026-11-14'\""
		echo ".parameter set :to \"'2026-11-20'\""
		grep -v '^-- ' "$top_srcdir/sql/queries.sql"
	} | sqlite3 -readonly "$T/$db.db" > "$T/q-$db.txt" || fail "queries.sql on $db"
done
[ -s "$T/q-one.txt" ] || fail "queries.sql answered nothing"
cmp -s "$T/q-one.txt" "$T/q-two.txt" || fail "queries.sql answers differ"
pass "sql/queries.sql answers the same"

# A pending row of instance 0 (a deferral from before schema 4) goes when
# its recipient is delivered, from a process that has not yet seen one.
d='relay=mx.example.net[192.0.2.1]:25, delay=1, delays=0/0/0/1'
for q in A1B2C3D4E5 A1B2C3D4F6; do
	echo "Nov 20 10:00:00 mx1 postfix/smtp[100]: $q: to=<$q@example.net>, $d," \
	    "dsn=4.2.0, status=deferred (host mx.example.net[192.0.2.1] said: 450 4.2.0" \
	    "try later (in reply to RCPT TO command))"
done > "$T/deferred.log"
sed 's/10:00:00/10:05:00/; s/dsn=4.2.0, status=deferred (.*/dsn=2.0.0, status=sent (250 2.0.0 OK)/' \
    "$T/deferred.log" > "$T/sent.log"
imp 2 "$T/legacy.db" "$T/deferred.log"
sqlite3 "$T/legacy.db" "UPDATE pending SET instance_id = 0 WHERE queue_id = 'A1B2C3D4E5'"
[ "$(sqlite3 -readonly "$T/legacy.db" "SELECT count(*) FROM pending WHERE instance_id = 0")" = 1 ] ||
	fail "no legacy pending row to delete"
imp 2 "$T/legacy.db" "$T/sent.log"
[ "$(sqlite3 -readonly "$T/legacy.db" "SELECT count(*) FROM pending")" = 0 ] ||
	fail "pending rows left: $(sqlite3 -readonly "$T/legacy.db" "SELECT * FROM pending")"
pass "a delivery deletes the pending row of instance 0 of its recipient"
