#!/bin/sh
# Day summaries (src/daysum.h): import builds one for every day it wrote
# into; a report over several days reads them (proven by a summary made
# wrong on purpose), and reads the rows instead of a summary that is
# stale (rows added or reclassified since), damaged, missing, or of
# another time zone's days, with the same numbers each time; prune drops
# the summaries of pruned days.  tests/report_cli.sh checks every number
# of reports over several days against an independent recount.
. "$top_srcdir/tests/lib.sh"

GEN="$top_srcdir/bench/genlog.py"
DB="$T/bw.db"
cat > "$T/bw.conf" <<EOF
database = $DB
timezone = UTC
EOF
export BOUNCEWATCH_CONF="$T/bw.conf" BOUNCEWATCH_NOW=2026-11-10T12:00:00Z

python3 "$GEN" --lines 90000 --rate 0.3 --seed 5 --start 2026-11-01T00:00:00 \
    --format iso --hurricane-share 0.05 > "$T/a.log"
"$BW" import --quiet "$T/a.log" || fail "import"

q() { sqlite3 -readonly "$1" "$2"; }
current() {	# the days with rows and a current summary, and those without
	q "$1" "SELECT count(*) FROM day_span d JOIN day_summary s ON s.day = d.day
	    AND s.first_id = d.first_id AND s.last_id = d.last_id"
}
days=$(q "$DB" "SELECT count(*) FROM day_span")
[ "$days" -ge 3 ] || fail "the log spans $days days, not 3"
assert_eq "$(current "$DB")" "$days" "import: a current summary for each day"
pass "import: a summary for each of the $days days"

first=$(q "$DB" "SELECT min(day) FROM day_span")
last=$(q "$DB" "SELECT max(day) FROM day_span")
report() {	# db out [args...]: the JSON report over every day
	_db=$1 _out=$2
	shift 2
	"$BW" report --db "$_db" --from "$first" --to "$last" --top 100000 \
	    --format json "$@" > "$_out" 2> "$_out.err" || { cat "$_out.err" >&2; fail "report $*"; }
}
report "$DB" "$T/sum.json"
cp "$DB" "$T/rows.db"
sqlite3 "$T/rows.db" "DELETE FROM day_summary"
report "$T/rows.db" "$T/rows.json"
cmp -s "$T/sum.json" "$T/rows.json" || fail "summaries and rows give different reports"
python3 - "$T/sum.json" "$DB" <<'PY' || fail "the numbers of the report"
import json, sqlite3, sys
r = json.load(open(sys.argv[1]))
db = sqlite3.connect(sys.argv[2])
# exact below 8,192: the sets of this log are smaller
assert r["estimated"] is False, r["estimated"]
(n, p, t, g, m), = db.execute("""
    SELECT count(DISTINCT domain_id || ':' || local),
           count(DISTINCT CASE WHEN class_id = 1 THEN domain_id || ':' || local END),
           count(DISTINCT CASE WHEN class_id = 2 THEN domain_id || ':' || local END),
           count(DISTINCT CASE WHEN class_id = 3 THEN domain_id || ':' || local END),
           count(DISTINCT coalesce(host_id, 0) || ':' || coalesce(instance_id, 0) || ':' || queue_id)
      FROM failure WHERE class_id > 0 AND reason_id <> 21""")
tot = r["totals"]
got = (tot["failed_recipients"], tot["permanent_recipients"], tot["temporary_recipients"],
       tot["greylist_recipients"], tot["failed_messages"])
assert got == (n, p, t, g, m), (got, (n, p, t, g, m))
assert n > 300 and m > 300, (n, m)
print("totals", got)
PY
pass "summaries and rows: the same report, its distinct counts exact"

# the summaries are what the report reads: one made wrong (the first day
# of a database that holds only part of it, under this day's row ids)
# changes the report
head -n 20000 "$T/a.log" > "$T/part.log"
"$BW" import --quiet --db "$T/part.db" "$T/part.log" || fail "import part"
cp "$DB" "$T/wrong.db"
sqlite3 "$T/wrong.db" "ATTACH '$T/part.db' AS part;
    UPDATE main.day_summary SET data = (SELECT data FROM part.day_summary
    WHERE day = '$first') WHERE day = '$first'"
report "$T/wrong.db" "$T/wrong.json"
cmp -s "$T/sum.json" "$T/wrong.json" && fail "a wrong summary did not change the report"
# ... unless it is not that day's any more: rows added since (day_span moved)
sqlite3 "$T/wrong.db" "UPDATE day_span SET last_id = last_id + 0,
    first_id = first_id - 1 WHERE day = '$first'"
report "$T/wrong.db" "$T/stale.json"
python3 - "$T/sum.json" "$T/stale.json" <<'PY' || fail "a stale summary was used"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for k in ("totals", "domains", "diagnostics", "hours", "relays"):
    assert a[k] == b[k], k
PY
pass "a report reads the summaries, and not one whose day has changed"

# damaged: read from the rows, with a warning
cp "$DB" "$T/damaged.db"
sqlite3 "$T/damaged.db" "UPDATE day_summary SET data = substr(data, 1, 20) WHERE day = '$first'"
report "$T/damaged.db" "$T/damaged.json"
cmp -s "$T/sum.json" "$T/damaged.json" || fail "a damaged summary changed the report"
grep -q "damaged" "$T/damaged.json.err" || fail "no warning for a damaged summary"
pass "a damaged summary: a warning, the rows instead"

# another zone's days (a summary is of UTC days): the rows, the same
# numbers as without summaries
printf 'database = %s\ntimezone = Asia/Tokyo\n' "$DB" > "$T/tokyo.conf"
BOUNCEWATCH_CONF="$T/tokyo.conf" report "$DB" "$T/tokyo-sum.json"
BOUNCEWATCH_CONF="$T/tokyo.conf" report "$T/rows.db" "$T/tokyo-rows.json"
cmp -s "$T/tokyo-sum.json" "$T/tokyo-rows.json" || fail "another zone: summaries used"
cmp -s "$T/sum.json" "$T/tokyo-sum.json" && fail "another zone: the same report as UTC's"
pass "a report in another zone does not use UTC days' summaries"

# a read-only database, a host filter: the same as from the rows
chmod 0440 "$DB"
report "$DB" "$T/ro.json" --host mx1
report "$T/rows.db" "$T/ro-rows.json" --host mx1
cmp -s "$T/ro.json" "$T/ro-rows.json" || fail "--host: summaries and rows differ"
chmod 0640 "$DB"
pass "read-only, with --host: the same numbers"

# reclassify: the days changed get their summaries again
"$BW" reclassify --from "$first" --to "$last" 2> "$T/reclass.err" ||
    { cat "$T/reclass.err" >&2; fail "reclassify"; }
assert_eq "$(current "$DB")" "$days" "reclassify: every day summarised again"
pass "reclassify: the summaries built again"

# a later import that adds rows to a day already summarised
python3 "$GEN" --lines 3000 --rate 0.3 --seed 6 --start "${first}T20:00:00" \
    --format iso > "$T/late.log"
"$BW" import --quiet "$T/late.log" || fail "late import"
assert_eq "$(current "$DB")" "$(q "$DB" "SELECT count(*) FROM day_span")" \
    "late import: every day summarised"
report "$DB" "$T/late.json"
cp "$DB" "$T/late-rows.db"
sqlite3 "$T/late-rows.db" "DELETE FROM day_summary"
report "$T/late-rows.db" "$T/late-rows.json"
cmp -s "$T/late.json" "$T/late-rows.json" || fail "late rows: summaries and rows differ"
cmp -s "$T/sum.json" "$T/late.json" && fail "late rows: the report did not change"
pass "rows added to a summarised day: its summary built again"

# a day with more failing domains than a summary keeps (9,000 dead
# domains, more than DAYSUM_MAX_KEYS): marked, and a report over it
# reads the rows of every day, with the same numbers as without summaries
python3 - > "$T/dead.log" <<'PY'
for i in range(9000):
    s = 36000 + i
    dom = "d%05d.example" % i
    print("2026-11-06T%02d:%02d:%02d.000000+00:00 mx1 postfix/smtp[%d]: %010X: to=<u%d@%s>, "
          "relay=none, delay=1.2, delays=0.1/0/1.1/0, dsn=5.4.4, status=bounced "
          "(Host or domain name not found. Name service error for name=%s type=A: "
          "Host not found)" % (s // 3600, s // 60 % 60, s % 60, 1000 + i, 0x2000000 + i,
                               i % 7, dom, dom))
PY
"$BW" import --quiet "$T/dead.log" || fail "import dead domains"
assert_eq "$(q "$DB" "SELECT substr(data, 1, 1) FROM day_summary WHERE day = '2026-11-06'")" N \
    "a day of 9,000 dead domains: no summary"
"$BW" report --db "$DB" --from "$first" --to 2026-11-06 --top 100000 --format json \
    > "$T/dead.json" || fail "report over the dead domains"
cp "$DB" "$T/dead-rows.db"
sqlite3 "$T/dead-rows.db" "DELETE FROM day_summary"
"$BW" report --db "$T/dead-rows.db" --from "$first" --to 2026-11-06 --top 100000 \
    --format json > "$T/dead-rows.json" || fail "report over the dead domains (rows)"
cmp -s "$T/dead.json" "$T/dead-rows.json" || fail "a day too large: summaries used"
python3 - "$T/dead.json" <<'PY' || fail "a day too large: its domains"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["totals"]["failed_recipients"] >= 9000, r["totals"]
assert sum(1 for d in r["domains"] if d["domain"].endswith(".example") and d["domain"].startswith("d")) >= 9000
PY
pass "a day too large to summarise: every day read from the rows"

# prune drops the summaries of the days it empties (before 2026-11-03)
"$BW" prune --older-than 7 2> /dev/null || fail "prune"
assert_eq "$(q "$DB" "SELECT count(*) FROM day_summary WHERE day < '2026-11-03'")" 0 \
    "prune: summaries of pruned days"
[ "$(q "$DB" "SELECT count(*) FROM day_summary WHERE day >= '2026-11-03'")" -gt 0 ] ||
    fail "prune: the later days' summaries"
pass "prune: the summaries of pruned days dropped"

# a summary built while another process adds rows to its day: bound to
# the day_span its rows were read under, never to a later one.  The
# writer adds a row to the day every millisecond or so until the day's
# summary is stored (or the import is over); a summary that is then
# current must describe every row.
cp "$DB" "$T/race.db"
sqlite3 "$T/race.db" "DELETE FROM day_summary WHERE day = '$last'"
python3 - "$T/race.db" "$last" "$T/race.ready" "$T/race.stop" <<'PY' &
import os, sqlite3, sys, time
path, day, ready, stop = sys.argv[1:5]
db = sqlite3.connect(path, timeout=10, isolation_level=None)
cols = [c[1] for c in db.execute("PRAGMA table_info(failure)")]
row = list(db.execute("""SELECT * FROM failure WHERE time >= strftime('%s', ?1)
    AND time < strftime('%s', ?1, '+1 day') ORDER BY id DESC LIMIT 1""", (day,)).fetchone())
row[cols.index("id")] = None
open(ready, "w").close()
n = 0
while not os.path.exists(stop) and n < 100000:
    db.execute("BEGIN IMMEDIATE")
    if db.execute("SELECT 1 FROM day_summary WHERE day = ?", (day,)).fetchone():
        db.execute("ROLLBACK")
        break
    row[cols.index("queue_id")] = "RACE%06X" % n
    cur = db.execute("INSERT INTO failure VALUES (%s)" % ",".join("?" * len(row)), row)
    db.execute("UPDATE day_span SET last_id = max(last_id, ?) WHERE day = ?",
               (cur.lastrowid, day))
    db.execute("COMMIT")
    n += 1
    time.sleep(0.0005)
PY
writer=$!
while [ ! -e "$T/race.ready" ]; do sleep 0.01; done
"$BW" import --quiet --db "$T/race.db" /dev/null 2> /dev/null
touch "$T/race.stop"
wait $writer || fail "the writer"
if [ "$(current "$T/race.db")" = "$(q "$T/race.db" "SELECT count(*) FROM day_span")" ]; then
	report "$T/race.db" "$T/race.json"
	cp "$T/race.db" "$T/race-rows.db"
	sqlite3 "$T/race-rows.db" "DELETE FROM day_summary"
	report "$T/race-rows.db" "$T/race-rows.json"
	cmp -s "$T/race.json" "$T/race-rows.json" ||
	    fail "a summary built while rows were added is taken as current"
fi
pass "a summary built while another process writes its day: never current and wrong"
