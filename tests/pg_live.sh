#!/bin/sh
# The live view on PostgreSQL (sql/pg/migrate-5.sql, store_pg_live.c):
# the same logs imported into SQLite and into PostgreSQL give the same
# hourly and per-hour line totals and the same "bouncewatch metrics" (as
# sets of samples) and the same days without a line read; a
# database of schema 4 is migrated; bouncewatchd writing into PostgreSQL
# records the alert a burst of blocklist bounces raises (v_alerts), once,
# and the report of that day lists it.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/pg_lib.sh"
pg_start

GEN="$top_srcdir/bench/genlog.py"
SQ="$T/sq.db"
python3 "$GEN" --lines 30000 --rate 0.05 --seed 5 --start 2026-11-20T22:00:00 \
    --format iso > "$T/a.log"
"$BW" import --quiet --db "$SQ" "$T/a.log" "$DATA/sample-mail.log" || fail "import into SQLite"
"$BW" import --quiet --db "$PG_URI" "$T/a.log" "$DATA/sample-mail.log" 2> "$T/pg.err" ||
	{ cat "$T/pg.err" >&2; fail "import into PostgreSQL"; }
assert_eq "$(pg_psql -At -d bw -c "SELECT value FROM meta WHERE key = 'schema_version'")" 6 \
    "a new database's schema version"

same() {	# name query
	sqlite3 "$SQ" "$2" | LC_ALL=C sort > "$T/$1.sq"
	pg_psql -At -d bw -c "$2" | LC_ALL=C sort > "$T/$1.pg"
	[ -s "$T/$1.sq" ] || fail "$1: no rows"
	cmp -s "$T/$1.sq" "$T/$1.pg" ||
		{ diff "$T/$1.sq" "$T/$1.pg" | head -20 >&2; fail "$1: SQLite and PostgreSQL differ"; }
	pass "$1: $(wc -l < "$T/$1.sq") rows equal"
}
same hourly "SELECT hour, attempts, failures FROM hourly"
# the row of the hour counting began (0 lines) is the clock's: not compared
same line-hourly "SELECT hour, lines FROM line_hourly WHERE lines > 0"

# bouncewatch metrics: the same text from either database
"$BW" metrics --db "$SQ" > "$T/m.sq" || fail "metrics from SQLite"
"$BW" metrics --db "$PG_URI" > "$T/m.pg" 2> "$T/m.err" ||
	{ cat "$T/m.err" >&2; fail "metrics from PostgreSQL"; }
grep -q '^bouncewatch_deliveries_total{class="permanent"' "$T/m.pg" ||
	fail "metrics from PostgreSQL: no deliveries_total"
grep -q '^bouncewatch_lines_total{kind="delivery"} [1-9]' "$T/m.pg" ||
	fail "metrics from PostgreSQL: no lines_total"
# the series of domains come in the order each database gives them
LC_ALL=C sort "$T/m.sq" > "$T/m.sq.s"
LC_ALL=C sort "$T/m.pg" > "$T/m.pg.s"
cmp -s "$T/m.sq.s" "$T/m.pg.s" ||
	{ diff "$T/m.sq.s" "$T/m.pg.s" | head -20 >&2; fail "metrics differ"; }
pass "metrics: $(grep -vc '^#' "$T/m.pg") samples equal"

# days without one line read: the same from either database
for db in "$SQ" "$PG_URI"; do
	"$BW" report --db "$db" --from 2026-11-19 --to 2026-11-25 --format json |
	    python3 -c 'import json, sys; r = json.load(sys.stdin)
print(r["line_counts"], r["days_without_lines"])'
done > "$T/nolines"
assert_eq "$(sort -u "$T/nolines")" "False ['2026-11-24', '2026-11-25']" \
    "days without lines, SQLite and PostgreSQL"
pass "days without lines: the same from PostgreSQL"

# a database of schema 4 (sql/pg/schema.sql: no live tables) is migrated
uri4=$(pg_createdb bw4)
pg_psql -d bw4 -f "$top_srcdir/sql/pg/schema.sql" > /dev/null
assert_eq "$(pg_psql -At -d bw4 -c "SELECT to_regclass('hourly') IS NULL")" t "schema 4 has no hourly"
"$BW" import --quiet --db "$uri4" "$DATA/sample-mail.log" 2> "$T/m4.err" ||
	{ cat "$T/m4.err" >&2; fail "import into a schema 4 database"; }
assert_eq "$(pg_psql -At -d bw4 -c "SELECT value FROM meta WHERE key = 'schema_version'")" 6 \
    "migrated schema version"
"$BW" import --quiet --db "$T/s4.db" "$DATA/sample-mail.log" || fail "import into SQLite"
assert_eq "$(pg_psql -At -d bw4 -c "SELECT sum(attempts) || ' ' || sum(failures) FROM hourly")" \
    "$(sqlite3 "$T/s4.db" "SELECT sum(attempts) || ' ' || sum(failures) FROM hourly")" \
    "hourly totals after the migration"
pass "a schema 4 database is migrated to 5"

# bouncewatchd on PostgreSQL: a burst of blocklist bounces now -> one alert
unset BOUNCEWATCH_NOW
uri=$(pg_createdb live)
: > "$T/mail.log"
cat > "$T/alert.sh" <<EOS
#!/bin/sh
cat >> "$T/alerts.out"; echo >> "$T/alerts.out"
EOS
chmod 755 "$T/alert.sh"
cat > "$T/bw.conf" <<EOS
log = $T/mail.log
database = $uri
pidfile = $T/bw.pid
timezone = UTC
commit_interval = 100ms
alert_command = $T/alert.sh
EOS
burst() {	# n first
	now=$(date -u +%Y-%m-%dT%H:%M:%S.000000+00:00)
	i=$2
	while [ "$i" -lt $(($2 + $1)) ]; do
		printf '%s mx1 postfix/smtp[%d]: 4Q%07dX: to=<user%d@outlook.com>, relay=outlook-com.olc.protection.outlook.com[52.101.68.%d]:25, delay=1.2, delays=0.1/0/0.5/0.6, dsn=5.7.606, status=bounced (host outlook-com.olc.protection.outlook.com[52.101.68.%d] said: 550 5.7.606 Access denied, banned sending IP [198.51.100.25]. To request removal from this list please visit https://sender.office.com/ (in reply to RCPT TO command))\n' \
		    "$now" $((3000 + i)) "$i" "$i" $((i % 250)) $((i % 250))
		i=$((i + 1))
	done >> "$T/mail.log"
}
"$BWD" -f -c "$T/bw.conf" 2> "$T/bwd.err" &
bwd=$!
cleanup_hooks="stop_bwd $cleanup_hooks"
stop_bwd() { kill "$bwd" 2> /dev/null && wait "$bwd" || :; }
lines() { pg_psql -At -d live -c "SELECT coalesce(sum(n), 0) FROM line_stats" 2> /dev/null || echo -1; }
wait_lines() {	# n
	k=0
	until [ "$(lines)" = "$1" ]; do
		k=$((k + 1))
		[ $k -lt 600 ] || { cat "$T/bwd.err" >&2; fail "the daemon stored $(lines) lines, not $1"; }
		sleep 0.1
	done
}
burst 40 0
wait_lines 40
k=0
until [ -s "$T/alerts.out" ]; do
	k=$((k + 1))
	[ $k -lt 300 ] || { cat "$T/bwd.err" >&2; fail "no alert document"; }
	sleep 0.1
done
rows=$(pg_psql -At -d live -c "SELECT condition, domain, class, count >= 20, node <> '' FROM v_alerts")
assert_eq "$rows" "domain_reason|outlook.com|permanent|t|t" "the alert in PostgreSQL"
# the document the command got is the one recorded
doc=$(pg_psql -At -d live -c "SELECT document FROM alert")
python3 -c 'import json, sys; a = json.loads(sys.argv[1]); b = json.loads(open(sys.argv[2]).read()); sys.exit(a != b)' \
    "$doc" "$T/alerts.out" || fail "the command's document is not the recorded one"
# again within alert_repeat: nothing new
burst 40 100
wait_lines 80
sleep 0.5
assert_eq "$(pg_psql -At -d live -c "SELECT count(*) FROM alert")" 1 "alerts after a repeat"
pass "bouncewatchd on PostgreSQL records one alert (v_alerts), none for the repeat"
# the report of today lists it
"$BW" report --db "$uri" --date "$(date -u +%F)" --format json > "$T/r.json" || fail "report from PostgreSQL"
python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); a = r["alerts"]
sys.exit(not (len(a) == 1 and a[0]["domain"] == "outlook.com" and a[0]["condition"] == "domain_reason"))' \
    "$T/r.json" || { head -c 600 "$T/r.json" >&2; fail "the report does not list the alert"; }
pass "the report lists the alert"
stop_bwd
