#!/bin/sh
# Day summaries on PostgreSQL (src/store_pg_sum.c, sql/pg/migrate-6.sql):
# import builds one for every day it wrote into; a report over several
# days reads them (proven by a summary made wrong on purpose) and gives
# the same report as from the rows, its distinct counts exact; a summary
# whose day changed since (day_span.gen raised) is not read; rows added
# to a summarised day, and reclassify, make it built again; prune drops
# the summaries of the days it prunes.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/pg_lib.sh"
pg_start

GEN="$top_srcdir/bench/genlog.py"
cat > "$T/bw.conf" <<EOF
database = $PG_URI
timezone = UTC
EOF
export BOUNCEWATCH_CONF="$T/bw.conf" BOUNCEWATCH_NOW=2026-11-10T12:00:00Z

python3 "$GEN" --lines 90000 --rate 0.3 --seed 5 --start 2026-11-01T00:00:00 \
    --format iso --hurricane-share 0.05 > "$T/a.log"
"$BW" import --quiet "$T/a.log" 2> "$T/import.err" ||
	{ cat "$T/import.err" >&2; fail "import"; }

q() { pg_psql -At -d "$1" -c "$2"; }
current() {	# the days with rows and a current summary
	q "$1" "SELECT count(*) FROM day_span d JOIN day_summary s ON s.day = d.day
	    AND s.gen = d.gen"
}
days=$(q bw "SELECT count(*) FROM day_span")
[ "$days" -ge 3 ] || fail "the log spans $days days, not 3"
assert_eq "$(current bw)" "$days" "import: a current summary for each day"
pass "import: a summary for each of the $days days"

first=$(q bw "SELECT min(day) FROM day_span")
last=$(q bw "SELECT max(day) FROM day_span")
uri() { echo "postgresql:///$1?host=$PGSOCK&port=$PGPORT&user=bw"; }
report() {	# db out [args...]: the JSON report over every day
	_db=$1 _out=$2
	shift 2
	"$BW" report --db "$(uri "$_db")" --from "$first" --to "$last" --top 100000 \
	    --format json "$@" > "$_out" 2> "$_out.err" ||
		{ cat "$_out.err" >&2; fail "report $_db $*"; }
}
# a copy of the database without its summaries: every day from its rows
rows_copy() {	# rows_copy NAME
	q postgres "DROP DATABASE IF EXISTS $1" > /dev/null
	q postgres "CREATE DATABASE $1 TEMPLATE bw" > /dev/null
	q "$1" "DELETE FROM day_summary" > /dev/null
}
report bw "$T/sum.json"
rows_copy bwrows
report bwrows "$T/rows.json"
cmp -s "$T/sum.json" "$T/rows.json" || fail "summaries and rows give different reports"
q bw "SELECT count(DISTINCT domain_id || ':' || local),
    count(DISTINCT CASE WHEN class_id = 1 THEN domain_id || ':' || local END),
    count(DISTINCT CASE WHEN class_id = 2 THEN domain_id || ':' || local END),
    count(DISTINCT CASE WHEN class_id = 3 THEN domain_id || ':' || local END),
    count(DISTINCT coalesce(host_id, 0) || ':' || coalesce(instance_id, 0) || ':' || queue_id)
    FROM failure WHERE class_id > 0 AND reason_id <> 21" > "$T/recount"
python3 - "$T/sum.json" "$T/recount" <<'PY' || fail "the numbers of the report"
import json, sys
r = json.load(open(sys.argv[1]))
want = tuple(int(x) for x in open(sys.argv[2]).read().strip().split("|"))
# exact below 8,192: the sets of this log are smaller
assert r["estimated"] is False, r["estimated"]
tot = r["totals"]
got = (tot["failed_recipients"], tot["permanent_recipients"], tot["temporary_recipients"],
       tot["greylist_recipients"], tot["failed_messages"])
assert got == want, (got, want)
assert want[0] > 300 and want[4] > 300, want
PY
pass "summaries and rows: the same report, its distinct counts exact"

# the summaries are what the report reads: one made wrong (the first day
# of a database that holds only part of it) changes the report
head -n 20000 "$T/a.log" > "$T/part.log"
q postgres "CREATE DATABASE bwpart" > /dev/null
"$BW" import --quiet --db "$(uri bwpart)" "$T/part.log" || fail "import part"
q bwpart "SELECT 'UPDATE day_summary SET data = decode(''' || encode(data, 'hex')
    || ''', ''hex'') WHERE day = ''$first'';' FROM day_summary WHERE day = '$first'" \
    > "$T/wrong.sql"
[ -s "$T/wrong.sql" ] || fail "no summary of $first in the part"
pg_psql -d bw -f "$T/wrong.sql" > /dev/null || fail "wrong summary"
report bw "$T/wrong.json"
cmp -s "$T/sum.json" "$T/wrong.json" && fail "a wrong summary did not change the report"
# ... unless its day changed since (gen raised, as every writer does)
q bw "UPDATE day_span SET gen = gen + 1 WHERE day = '$first'" > /dev/null
report bw "$T/stale.json"
cmp -s "$T/sum.json" "$T/stale.json" || fail "a stale summary was used"
pass "a report reads the summaries, and not one whose day has changed"

# the next import (nothing new to read) builds the stale day again
: > "$T/empty.log"
"$BW" import --quiet "$T/empty.log" || fail "empty import"
assert_eq "$(current bw)" "$days" "empty import: the stale day summarised again"
report bw "$T/again.json"
cmp -s "$T/sum.json" "$T/again.json" || fail "the rebuilt summary differs"
pass "a stale summary: built again at the next import"

# a later import that adds rows to a day already summarised
gen0=$(q bw "SELECT gen FROM day_span WHERE day = '$first'")
python3 "$GEN" --lines 3000 --rate 0.3 --seed 6 --start "${first}T20:00:00" \
    --format iso > "$T/late.log"
"$BW" import --quiet "$T/late.log" || fail "late import"
gen1=$(q bw "SELECT gen FROM day_span WHERE day = '$first'")
[ "$gen1" -gt "$gen0" ] || fail "late rows: gen $gen0 -> $gen1"
assert_eq "$(current bw)" "$(q bw "SELECT count(*) FROM day_span")" \
    "late import: every day summarised"
report bw "$T/late.json"
rows_copy bwrows
report bwrows "$T/late-rows.json"
cmp -s "$T/late.json" "$T/late-rows.json" || fail "late rows: summaries and rows differ"
cmp -s "$T/sum.json" "$T/late.json" && fail "late rows: the report did not change"
pass "rows added to a summarised day: its summary built again"

# reclassify: the days changed get their summaries again
q bw "SELECT day, gen FROM day_span ORDER BY day" > "$T/gen.before"
"$BW" reclassify --from "$first" --to "$last" 2> "$T/reclass.err" ||
	{ cat "$T/reclass.err" >&2; fail "reclassify"; }
q bw "SELECT day, gen FROM day_span ORDER BY day" > "$T/gen.after"
python3 - "$T/gen.before" "$T/gen.after" <<'PY' || fail "reclassify: gen not raised"
import sys
a, b = (dict(l.strip().split("|") for l in open(p) if l.strip()) for p in sys.argv[1:3])
assert a.keys() == b.keys() and all(int(b[d]) > int(a[d]) for d in a), (a, b)
PY
assert_eq "$(current bw)" "$(q bw "SELECT count(*) FROM day_span")" \
    "reclassify: every day summarised again"
report bw "$T/reclass.json"
rows_copy bwrows
report bwrows "$T/reclass-rows.json"
cmp -s "$T/reclass.json" "$T/reclass-rows.json" || fail "reclassify: summaries and rows differ"
pass "reclassify: the summaries built again, the same report as the rows"

# a summary built while another writer adds a row to its day: refused
# (its day_span row changed since the snapshot its rows were read in).
# The builder (an import with nothing to read) is held at its write of
# the summary by a lock on day_summary; meanwhile a writer adds a row
# inside the day's id span (as interleaved writers of a fleet do: the
# span alone does not move) and raises gen; then the lock goes.
alldays=$(q bw "SELECT count(*) FROM day_span")
span0=$(q bw "SELECT first_id, last_id FROM day_span WHERE day = '$first'")
q bw "DELETE FROM day_summary WHERE day = '$first'" > /dev/null
pg_psql -d bw -c "BEGIN; LOCK TABLE day_summary IN EXCLUSIVE MODE;
    SELECT pg_sleep(120); COMMIT" > /dev/null 2>&1 &
locker=$!
i=0
until [ "$(q bw "SELECT count(*) FROM pg_locks WHERE relation = 'day_summary'::regclass
    AND mode = 'ExclusiveLock' AND granted")" = 1 ]; do
	i=$((i + 1)); [ "$i" -lt 300 ] || fail "the lock was not taken"; sleep 0.1
done
"$BW" import --quiet "$T/empty.log" 2> "$T/race.err" &
builder=$!
i=0
until [ "$(q bw "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'
    AND query LIKE 'INSERT INTO day_summary%'")" = 1 ]; do
	i=$((i + 1)); [ "$i" -lt 300 ] || fail "the summary was not built"; sleep 0.1
done
q bw "BEGIN;
    INSERT INTO failure SELECT coalesce((SELECT f.id + 1 FROM failure f, day_span d
        WHERE d.day = '$first' AND f.id BETWEEN d.first_id AND d.last_id - 1
        AND NOT EXISTS (SELECT 1 FROM failure g WHERE g.id = f.id + 1) LIMIT 1),
        (SELECT last_id + 1 FROM day_span WHERE day = '$first')),
        time, source_id, \"offset\", host_id, 'RACE1', 'racer', domain_id, relay_id,
        status_id, class_id, reason_id, reply_id, diagnostic_id, rule_id, arg1, arg2,
        arg3, instance_id, detail, day
      FROM failure WHERE day = '$first' AND class_id = 1 ORDER BY id LIMIT 1;
    UPDATE day_span SET last_id = greatest(last_id, (SELECT max(id) FROM failure
        WHERE queue_id = 'RACE1')), gen = gen + 1 WHERE day = '$first';
    COMMIT" > /dev/null || fail "the racing row"
# (the late import's ids leave a gap inside the first day's span)
assert_eq "$(q bw "SELECT first_id, last_id FROM day_span WHERE day = '$first'")" \
    "$span0" "race: the row inside the day's span"
q postgres "SELECT pg_cancel_backend(pid) FROM pg_stat_activity
    WHERE query LIKE '%pg_sleep(120)%' AND pid <> pg_backend_pid()" > /dev/null
wait "$locker" || :
wait "$builder" || { cat "$T/race.err" >&2; fail "the racing import"; }
assert_eq "$(q bw "SELECT count(*) FROM day_summary WHERE day = '$first'")" 0 \
    "race: a summary of the rows before was stored"
assert_eq "$(current bw)" "$((alldays - 1))" "race: a summary of the rows before is not current"
report bw "$T/race.json"
rows_copy bwrows
report bwrows "$T/race-rows.json"
cmp -s "$T/race.json" "$T/race-rows.json" || fail "race: summaries and rows differ"
cmp -s "$T/reclass.json" "$T/race.json" && fail "race: the racing row not counted"
"$BW" import --quiet "$T/empty.log" || fail "import after the race"
assert_eq "$(current bw)" "$alldays" "race: the day summarised again"
pass "a summary built while its day changed: not stored, built again"

# prune drops the summaries of the days it empties (before 2026-11-03)
"$BW" prune --older-than 7 2> /dev/null || fail "prune"
assert_eq "$(q bw "SELECT count(*) FROM day_summary WHERE day < '2026-11-03'")" 0 \
    "prune: summaries of pruned days"
[ "$(q bw "SELECT count(*) FROM day_summary WHERE day >= '2026-11-03'")" -gt 0 ] ||
	fail "prune: the later days' summaries"
first=2026-11-03
report bw "$T/pruned.json"
rows_copy bwrows
report bwrows "$T/pruned-rows.json"
cmp -s "$T/pruned.json" "$T/pruned-rows.json" || fail "prune: summaries and rows differ"
pass "prune: the summaries of pruned days dropped, the others still read"
