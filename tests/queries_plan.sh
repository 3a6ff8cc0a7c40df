#!/bin/sh
# Every query of sql/queries.sql, and the documented views asked for a
# day or a range of days, read only that range: SQLite's plan searches
# the failure rows and the daily counters by key (an index, day_span's
# row ids, the day), never scans them whole.  What grows with the age of
# the database must not be read by a question about a day.
. "$top_srcdir/tests/lib.sh"

command -v sqlite3 > /dev/null 2>&1 || { echo "sqlite3 missing: skip"; exit 77; }

db="$T/plan.db"
"$BW" import --quiet --db "$db" "$DATA/real-postfix.log" "$DATA/sample-mail.log" ||
	fail "import"
[ "$(sqlite3 -readonly "$db" "SELECT count(*) FROM failure")" -gt 0 ] || fail "no failure rows"

params() {
	echo ".parameter set :day \"'2026-11-20'\""
	echo ".parameter set :from \"'2026-11-14'\""
	echo ".parameter set :to \"'2026-11-20'\""
	echo ".parameter set :recipient \"'someone@example.com'\""
}

# plan TITLE SQL: the plan reads no failure row or counter outside its range
plan() {
	{ params; printf 'EXPLAIN QUERY PLAN %s\n' "$2"; } |
	    sqlite3 -readonly "$db" > "$T/plan" 2>&1 || fail "$1: $(cat "$T/plan")"
	grep -q . "$T/plan" || fail "$1: no plan"
	if grep -E 'SCAN (f|failure|dl|daily|old)( |$)' "$T/plan" > "$T/scans"; then
		fail "$1 scans a whole table: $(cat "$T/scans")"
	fi
}

# the queries, one by one ("-- Q: title" starts each)
awk -v dir="$T" '/^-- Q:/ { n++; print substr($0, 7) > (dir "/q" n ".title") }
    n > 0 && !/^--/ { print > (dir "/q" n ".sql") }' "$top_srcdir/sql/queries.sql"
i=1
while [ -f "$T/q$i.sql" ]; do
	plan "query $i ($(cat "$T/q$i.title"))" "$(cat "$T/q$i.sql")"
	i=$((i + 1))
done
[ "$i" -gt 10 ] || fail "only $((i - 1)) queries found in sql/queries.sql"
pass "the $((i - 1)) queries of sql/queries.sql read only their range"

for v in v_daily v_domain_day v_host_day v_top_reasons; do
	plan "$v" "SELECT * FROM $v WHERE day = :day"
	plan "$v" "SELECT * FROM $v WHERE day BETWEEN :from AND :to"
done
plan v_failures "SELECT * FROM v_failures WHERE id BETWEEN
    (SELECT min(first_id) FROM day_span WHERE day BETWEEN :from AND :to) AND
    (SELECT max(last_id) FROM day_span WHERE day BETWEEN :from AND :to)"
pass "the views asked for days read only those days"
