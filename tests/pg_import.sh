#!/bin/sh
# The PostgreSQL backend against a real server (tests/pg_lib.sh): the same
# logs imported into PostgreSQL and into SQLite give the same totals per
# class, domain, host and reason, the same failure rows (v_failures), and
# the same report in every format; a second import adds nothing; prune
# deletes the same rows; secrets come the libpq way (PGPASSFILE); a wrong
# password or a missing database is a clear error and a non-zero exit.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/pg_lib.sh"
pg_start

GEN="$top_srcdir/bench/genlog.py"
SQ="$T/sq.db"
PGDB=$PG_URI
# several days, two formats, local throttling, and crafted replies
python3 "$GEN" --lines 40000 --rate 0.03 --seed 3 --start 2026-11-12T00:00:00 \
    --format iso --hurricane-share 0.05 > "$T/a.log"
python3 "$GEN" --lines 30000 --rate 2 --seed 4 --start 2026-11-21T05:00:00 \
    --format bsd > "$T/b.log"
esc=$(printf '\033')
{
	printf '%s\n' "2026-11-22T09:15:00.000000+00:00 mx2 postfix/smtp[4242]: 7A1B2C3D4E: to=<victim@evil.example>, relay=mx.evil.example[192.0.2.66]:25, delay=1.2, delays=0.1/0/0.5/0.6, dsn=5.0.0, status=bounced (host mx.evil.example[192.0.2.66] said: 550 <script>alert(\"x\")</script> & 'quoted' \\ back\\slash	tab ${esc}[31mRED zork (in reply to RCPT TO command))"
	printf '%s\n' "2026-11-22T11:00:00.000000+00:00 mx2 postfix/smtp[4245]: 7A1B2C3D51: to=<jörg@umlaut.example>, relay=mx.umlaut.example[192.0.2.8]:25, delay=1, delays=0/0/0.5/0.5, dsn=5.0.0, status=bounced (host mx.umlaut.example[192.0.2.8] said: 554 Zustellung abgelehnt – unerwünscht (in reply to end of DATA command))"
} > "$T/c.log"
logs="$T/a.log $T/b.log $DATA/sample-mail.log $T/c.log"
# shellcheck disable=SC2086
"$BW" import --quiet --db "$SQ" $logs || fail "import into SQLite"
# shellcheck disable=SC2086
"$BW" import --quiet --db "$PGDB" $logs 2> "$T/pg.err" ||
	{ cat "$T/pg.err" >&2; fail "import into PostgreSQL"; }
pass "imported into both"

# The same question to both databases, rows sorted.
same() {	# name query
	sqlite3 "$SQ" "$2" | LC_ALL=C sort > "$T/$1.sq"
	pg_psql -At -d "$PGDB" -c "$2" | LC_ALL=C sort > "$T/$1.pg"
	[ -s "$T/$1.sq" ] || fail "$1: no rows"
	cmp -s "$T/$1.sq" "$T/$1.pg" ||
		{ diff "$T/$1.sq" "$T/$1.pg" | head -20 >&2; fail "$1: SQLite and PostgreSQL differ"; }
	pass "$1: $(wc -l < "$T/$1.sq") rows equal"
}
same per-class "SELECT class, sum(n) FROM v_daily GROUP BY class"
same per-domain "SELECT day, domain, class, reason, n FROM v_daily"
same per-host "SELECT coalesce(host, ''), class, reason, count(*) FROM v_failures GROUP BY 1, 2, 3"
same failures "SELECT time, host, queue_id, recipient, domain, relay, status, class, reason,
    code, dsn, stage, diagnostic, normalized, rule, instance, detail FROM v_failures"
same details "SELECT day, class, reason, detail, n FROM v_details"
same domain-day "SELECT day, domain, attempts, delivered, permanent, temporary, greylist,
    local_throttle, failure_pct FROM v_domain_day"
same unrecognised "SELECT normalized, n, first_seen, last_seen, example, example_domain
    FROM v_unrecognised"
same per-host-day "SELECT day, host, instance, attempts, delivered, permanent, temporary,
    greylist, local_throttle, failure_pct FROM v_host_day"
same line-stats "SELECT kind, sum(n) FROM line_stats GROUP BY kind"
same pending "SELECT queue_id, rcpt FROM pending"

# A central log of three hosts (two instances on mx1) whose queue ids
# collide, imported in two runs: each expiry goes to its own host's and
# instance's deferred recipients, as in SQLite.
hl() {	# time host instance/program rest
	printf '2026-11-22T%s+00:00 %s %s[42]: C0FFEE1234: %s\n' "$1" "$2" "$3" "$4"
}
defer() {	# time host instance rcpt
	hl "$1" "$2" "$3/smtp" "to=<$4>, relay=none, delay=1, delays=0/0/1/0, dsn=4.4.1, status=deferred (connect to mx.$4[192.0.2.1]:25: Connection timed out)"
}
expire() {	# time host instance
	hl "$1" "$2" "$3/qmgr" "from=<sender@example.org>, status=expired, returned to sender"
}
{
	defer 09:00:00 mx1 postfix a1@one.example
	defer 09:00:01 mx2 postfix b2@two.example
	defer 09:00:02 mx3 postfix c3@three.example
	defer 09:00:03 mx1 postfix-out d4@four.example
} > "$T/central1.log"
{
	# delivered in the next transaction: its pending row must go
	hl 09:30:00 mx2 postfix/smtp "to=<b2@two.example>, relay=mx.two.example[192.0.2.2]:25, delay=9, delays=0/0/1/1, dsn=2.0.0, status=sent (250 2.0.0 Ok)"
	expire 10:00:00 mx1 postfix
	expire 10:00:01 mx3 postfix
	expire 10:00:02 mx2 postfix
	expire 10:00:03 mx1 postfix-out
} > "$T/central2.log"
for db in "$SQ" "$PGDB"; do
	"$BW" import --quiet --db "$db" "$T/central1.log" || fail "central log, first run"
	"$BW" import --quiet --db "$db" "$T/central2.log" || fail "central log, second run"
done
same expired-per-host "SELECT host, instance, recipient, domain FROM v_failures
    WHERE status = 'expired' AND time >= '2026-11-22T10:00:00Z' AND time < '2026-11-22T10:01:00Z'"
n=$(pg_psql -At -d "$PGDB" -c "SELECT count(*) FROM v_failures WHERE status = 'expired'
    AND recipient IN ('a1@one.example', 'c3@three.example', 'd4@four.example')")
assert_eq "$n" 3 "expiries attributed to their host's recipients"
same pending-after "SELECT queue_id, rcpt FROM pending"

# the report, in every format, for ranges, a day and a domain
for args in "--from 2026-11-12 --to 2026-11-23" "--date 2026-11-22" \
    "--from 2026-11-12 --to 2026-11-22 --domain gmail.com --top 50" "--date 2026-10-01" \
    "--from 2026-11-20 --to 2026-11-22 --top 2"; do
	for f in text json csv html; do
		# shellcheck disable=SC2086
		"$BW" report --db "$SQ" --format $f $args > "$T/r.sq" || fail "report $f $args: SQLite"
		# shellcheck disable=SC2086
		"$BW" report --db "$PGDB" --format $f $args > "$T/r.pg" 2> "$T/r.err" ||
			{ cat "$T/r.err" >&2; fail "report $f $args: PostgreSQL"; }
		cmp -s "$T/r.sq" "$T/r.pg" ||
			{ diff "$T/r.sq" "$T/r.pg" | cut -c1-300 | head >&2; fail "report $f $args differs"; }
	done
done
pass "report: text, json, csv and html equal for 5 ranges"

# the suppression list, in every format
for f in text csv json; do
	"$BW" suppressions --db "$SQ" --format $f > "$T/s.sq" || fail "suppressions $f: SQLite"
	"$BW" suppressions --db "$PGDB" --format $f > "$T/s.pg" 2> "$T/s.err" ||
		{ cat "$T/s.err" >&2; fail "suppressions $f: PostgreSQL"; }
	[ -s "$T/s.sq" ] || fail "suppressions $f: empty"
	cmp -s "$T/s.sq" "$T/s.pg" ||
		{ diff "$T/s.sq" "$T/s.pg" | cut -c1-200 | head >&2; fail "suppressions $f differ"; }
done
pass "suppressions: text, csv and json equal ($(wc -l < "$T/s.sq") lines of json)"

# ids differ (PostgreSQL's come in blocks): the last failure by its text
sup_q="SELECT s.recipient, s.domain, s.reason, s.first_seen, s.last_seen, s.n,
    f.time, f.diagnostic FROM v_suppressions s LEFT JOIN v_failures f ON f.id = s.failure_id"
same suppressions "$sup_q"

# reclassify with rules that move rows between reasons, classes, details,
# 'other' and the suppression list, then back: the same on both backends
cat > "$T/ops.rules" <<'RULES'
blocklisted "does not exist"
policy permanent "greylist"
other "over quota"
other "Connection timed out"
rate_limited "spamcop"
user_unknown "mailbox unavailable"
RULES
chmod 644 "$T/ops.rules"
reclass_same() {	# label rules-args
	# shellcheck disable=SC2086
	"$BW" reclassify --db "$SQ" $2 2> "$T/rc.sq" || fail "reclassify $1: SQLite"
	# shellcheck disable=SC2086
	"$BW" reclassify --db "$PGDB" $2 2> "$T/rc.pg" ||
		{ cat "$T/rc.pg" >&2; fail "reclassify $1: PostgreSQL"; }
	cmp -s "$T/rc.sq" "$T/rc.pg" ||
		{ cat "$T/rc.sq" "$T/rc.pg" >&2; fail "reclassify $1: summaries differ"; }
	same "$1-failures" "SELECT time, recipient, status, class, reason, rule, detail
	    FROM v_failures"
	same "$1-daily" "SELECT day, domain, class, reason, n FROM v_daily"
	same "$1-details" "SELECT day, class, reason, detail, n FROM v_details"
	same "$1-unrecognised" "SELECT normalized, n, first_seen, last_seen, example,
	    example_domain FROM v_unrecognised"
	same "$1-suppressions" "$sup_q"
}
same before-suppressions "$sup_q"
reclass_same rules "--rules $T/ops.rules"
grep -q "failures read, [1-9][0-9]* changed" "$T/rc.pg" || fail "reclassify changed nothing: $(cat "$T/rc.pg")"
cmp -s "$T/before-suppressions.sq" "$T/rules-suppressions.sq" && fail "the rules changed no suppression"
reclass_same back ""
pass "reclassify and back: failures, counters, details, unrecognised, suppressions equal"

# imported once: a second import reads nothing new
before=$(pg_psql -At -d "$PGDB" -c "SELECT sum(n) FROM daily")
# shellcheck disable=SC2086
"$BW" import --quiet --db "$PGDB" $logs || fail "second import"
after=$(pg_psql -At -d "$PGDB" -c "SELECT sum(n) FROM daily")
assert_eq "$after" "$before" "second import"
pass "a second import adds nothing ($after attempts)"

# key=value conninfo; prune deletes what SQLite's prune deletes
conninfo="host=$PGSOCK port=$PGPORT dbname=bw user=bw"
n_sq=$("$BW" prune --db "$SQ" --older-than 5 2>&1) || fail "prune SQLite"
n_pg=$("$BW" prune --db "$conninfo" --older-than 5 2>&1) || fail "prune PostgreSQL: $n_pg"
assert_eq "$n_pg" "$n_sq" "prune"
same after-prune "SELECT time, queue_id, recipient, class, reason FROM v_failures"

# secrets the libpq way; refusals at start-up are clear and fatal
pg_psql -d "$PGDB" -c "CREATE ROLE bw_pass LOGIN PASSWORD 'right-one';
    GRANT SELECT ON ALL TABLES IN SCHEMA public TO bw_pass" > /dev/null
printf '*:*:*:bw_pass:right-one\n' > "$T/pgpass"
chmod 600 "$T/pgpass"
uri_pw="postgresql:///bw?host=$PGSOCK&port=$PGPORT&user=bw_pass"
PGPASSFILE="$T/pgpass" "$BW" report --db "$uri_pw" --date 2026-11-22 > "$T/r.pw" ||
	fail "PGPASSFILE not used"
"$BW" report --db "$SQ" --date 2026-11-22 > "$T/r.sq"
cmp -s "$T/r.sq" "$T/r.pw" || fail "report through PGPASSFILE differs"
pass "the password from PGPASSFILE"
printf '*:*:*:bw_pass:wrong\n' > "$T/pgpass"
if PGPASSFILE="$T/pgpass" "$BW" report --db "$uri_pw" --date 2026-11-22 > /dev/null \
    2> "$T/err"; then
	fail "a wrong password was accepted"
fi
grep -q 'password authentication failed' "$T/err" || { cat "$T/err" >&2; fail "wrong password: unclear"; }
if "$BW" import --quiet --db "postgresql:///nosuchdb?host=$PGSOCK&port=$PGPORT&user=bw" \
    "$T/c.log" 2> "$T/err"; then
	fail "a missing database was accepted"
fi
grep -q '"nosuchdb" does not exist' "$T/err" || { cat "$T/err" >&2; fail "missing database: unclear"; }
# the daemon too: it says why and exits non-zero at start-up
printf 'log = %s\ndatabase = %s\npidfile = %s\n' "$T/c.log" "$uri_pw" "$T/bwd.pid" > "$T/bwd.conf"
chmod 600 "$T/bwd.conf"
if PGPASSFILE="$T/pgpass" "$BWD" -f -c "$T/bwd.conf" > "$T/err" 2>&1; then
	fail "bouncewatchd started with a wrong password"
fi
grep -q 'password authentication failed' "$T/err" || { cat "$T/err" >&2; fail "bouncewatchd: wrong password unclear"; }
pass "wrong password and missing database: clear errors, exit non-zero"

# a writer role with its password in the URI: it works, and the password
# never reaches the log
pg_psql -d "$PGDB" -c "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public
    TO bw_pass; GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO bw_pass" > /dev/null
uri_in="postgresql://bw_pass:right-one@/bw?host=$PGSOCK&port=$PGPORT"
printf 'log = %s\ndatabase = %s\npidfile = %s\nnode = pw\n' "$T/c.log" "$uri_in" \
    "$T/bwd.pid" > "$T/bwd.conf"
chmod 600 "$T/bwd.conf"
"$BWD" -f -c "$T/bwd.conf" > "$T/bwd.err" 2>&1 &
pid=$!
i=0
until [ "$(pg_psql -At -d "$PGDB" -c "SELECT count(*) FROM source s JOIN node n
    ON n.id = s.node_id WHERE n.name = 'pw' AND s.lines > 0")" = 1 ]; do
	i=$((i + 1))
	[ $i -lt 200 ] || { kill $pid; cat "$T/bwd.err" >&2; fail "no commit with a password in the URI"; }
	sleep 0.1
done
# a second writer under the same node name is refused while it runs
printf 'node = pw\n' > "$T/dup.conf"
if "$BW" -c "$T/dup.conf" import --quiet --db "$PGDB" "$T/c.log" 2> "$T/err"; then
	fail "two writers under one node name"
fi
grep -q 'node pw is in use' "$T/err" || { cat "$T/err" >&2; fail "same node: unclear"; }
kill -TERM $pid
wait $pid || fail "bouncewatchd exited $?"
grep -q 'bw_pass:\*\*\*@' "$T/bwd.err" || { cat "$T/bwd.err" >&2; fail "the URI not shown masked"; }
if grep -q 'right-one' "$T/bwd.err"; then fail "the password was logged"; fi
pass "a password in the URI works and is masked in the log; a second writer of its node is refused"

# two values with one id (the 63-bit hash of the text) are refused, not
# merged: a domain row planted under the id of collide.example
id=$(python3 -c 'h = 1469598103934665603
for c in b"collide.example":
    h = ((h ^ c) * 1099511628211) % 2**64
print((h & (2**63 - 1)) | 1)')
pg_psql -d "$PGDB" -c "INSERT INTO domain (id, name) VALUES ($id, 'planted.example')" > /dev/null
printf '2026-11-22T12:00:00.000000+00:00 mx2 postfix/smtp[1]: 7A1B2C3D98: to=<x@collide.example>, relay=mx.collide.example[192.0.2.9]:25, delay=1, delays=0/0/0.5/0.5, dsn=5.1.1, status=bounced (host mx.collide.example[192.0.2.9] said: 550 5.1.1 unknown (in reply to RCPT TO command))\n' > "$T/e.log"
if "$BW" import --quiet --db "$PGDB" "$T/e.log" 2> "$T/err"; then
	fail "a hash collision was accepted"
fi
grep -q 'hash collision' "$T/err" || { cat "$T/err" >&2; fail "hash collision: unclear"; }
n=$(pg_psql -At -d "$PGDB" -c "SELECT count(*) FROM v_failures WHERE recipient LIKE '%collide%'")
assert_eq "$n" 0 "nothing of a batch with a collision"
pass "a hash collision refused, nothing committed"

# a line that is not UTF-8 is stored (its bad bytes as '?'), not a stall
printf '2026-11-22T12:00:00.000000+00:00 mx2 postfix/smtp[1]: 7A1B2C3D99: to=<x@latin1.example>, relay=mx.latin1.example[192.0.2.9]:25, delay=1, delays=0/0/0.5/0.5, dsn=5.0.0, status=bounced (host mx.latin1.example[192.0.2.9] said: 550 Empf\344nger unbekannt (in reply to RCPT TO command))\n' > "$T/d.log"
"$BW" import --quiet --db "$PGDB" "$T/d.log" || fail "a line not in UTF-8"
got=$(pg_psql -At -d "$PGDB" -c "SELECT diagnostic FROM v_failures WHERE domain = 'latin1.example'")
case $got in *"Empf?nger unbekannt"*) ;; *) fail "not UTF-8: got '$got'" ;; esac
pass "a line not in UTF-8 stored with '?'"

# sql/pg/roles.sql as documented: a writer role creates and fills the
# tables, the report's role reads them and may not write
pg_psql -d postgres -f "$top_srcdir/sql/pg/roles.sql" > /dev/null || fail "sql/pg/roles.sql"
as() { echo "postgresql:///bouncewatch?host=$PGSOCK&port=$PGPORT&user=$1"; }
"$BW" import --quiet --db "$(as bw_writer)" "$T/b.log" || fail "import as bw_writer"
rm -f "$T/b.db"
"$BW" import --quiet --db "$T/b.db" "$T/b.log"
"$BW" report --db "$(as bw_report)" --date 2026-11-21 > "$T/r.pg" || fail "report as bw_report"
"$BW" report --db "$T/b.db" --date 2026-11-21 > "$T/r.sq"
cmp -s "$T/r.sq" "$T/r.pg" || fail "report as bw_report differs"
if "$BW" import --quiet --db "$(as bw_report)" "$T/c.log" 2> "$T/err"; then
	fail "bw_report could write"
fi
grep -q 'permission denied' "$T/err" || { cat "$T/err" >&2; fail "bw_report: unclear refusal"; }
pass "roles.sql: bw_writer writes, bw_report reads the same report and may not write"

# a database of schema 1 is carried forward (sql/pg/migrate-2.sql, -3.sql)
pg_psql -d "$PGDB" -c "SET client_min_messages = warning; DROP INDEX failure_local; DROP TABLE suppression CASCADE;
    UPDATE meta SET value = '1' WHERE key = 'schema_version'" > /dev/null
"$BW" import --quiet --db "$PGDB" "$T/c.log" 2> "$T/err" || { cat "$T/err" >&2; fail "migration"; }
grep -q 'migrated to version 2' "$T/err" || { cat "$T/err" >&2; fail "migration not said"; }
n=$(pg_psql -At -d "$PGDB" -c "SELECT count(*) FROM suppression")
[ "$n" -gt 0 ] || fail "suppressions lost in the migration"
n=$(pg_psql -At -d "$PGDB" -c "SELECT count(*) FROM pg_indexes WHERE indexname = 'failure_local'")
assert_eq "$n" 1 "the index of schema 2"
pass "schema 1 migrated to $(pg_psql -At -d "$PGDB" -c "SELECT value FROM meta WHERE key = 'schema_version'") (the suppression list rebuilt from the failure rows)"

# a database written by a newer bouncewatch is refused, untouched
version=$(pg_psql -At -d "$PGDB" -c "SELECT value FROM meta WHERE key = 'schema_version'")
pg_psql -d "$PGDB" -c "UPDATE meta SET value = '99' WHERE key = 'schema_version'" > /dev/null
if "$BW" import --quiet --db "$PGDB" "$T/c.log" 2> "$T/err"; then
	fail "a newer schema was written to"
fi
grep -q 'schema version 99 is newer' "$T/err" || { cat "$T/err" >&2; fail "newer schema: unclear"; }
pass "a newer schema refused"

# bouncewatch status on a shared database: this node's sources only
pg_psql -d "$PGDB" -c "UPDATE meta SET value = '$version' WHERE key = 'schema_version'" > /dev/null
for n in st1 st2; do
	printf 'log = %s\ndatabase = %s\nnode = %s\n' "$T/d.log" "$PGDB" "$n" > "$T/$n.conf"
	chmod 600 "$T/$n.conf"
done
"$BW" -c "$T/st1.conf" import --quiet "$T/d.log" || fail "import as node st1"
"$BW" -c "$T/st1.conf" status > "$T/st1.out" || { cat "$T/st1.out" >&2; fail "status of st1"; }
grep -q ": ok, schema $version" "$T/st1.out" && grep -q ' 1 lines read' "$T/st1.out" ||
	{ cat "$T/st1.out" >&2; fail "status of st1: not its source"; }
"$BW" -c "$T/st2.conf" status > "$T/st2.out" || :
grep -q ' 0 lines read' "$T/st2.out" || { cat "$T/st2.out" >&2; fail "status of st2 shows st1's source"; }
pass "status --db postgresql://: each node its own sources"
