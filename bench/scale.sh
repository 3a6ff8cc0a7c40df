#!/bin/sh
# bench/scale.sh -- does bouncewatch stay as fast when its database holds
# months?  DAYS generated days (LINES lines each, seed = day number, each
# shifted to its own date) imported one after the other into one
# database; then the same last-day log into a fresh database (and gzipped),
# the report for one day and for every day in each format, each query of
# sql/queries.sql, a day with DOMAINS distinct domains, and (PFLOG=1)
# pflogsumm over the same 1M- and 5M-line logs.
#
#   bench/scale.sh                          # 30 days of 1M lines
#   DAYS=30 LINES=200000 bench/scale.sh     # quick run, a few minutes
#   BW=/path/to/bouncewatch PFLOG=1 bench/scale.sh
#
# Environment: BW (../src/bouncewatch), DAYS (30), LINES (1000000),
# START (2026-10-01), DOMAINS (1000000; 0 skips), PFLOG (0; 1 runs
# pflogsumm, installed from Debian when missing), PFLOG_SIZES
# ("1000000 5000000"), KEEP (0; 1 keeps the databases in bench/out/scale.*),
# RUNS (3: the day-30 log into a copy of the 29-day database, into a
# fresh one and gzipped into a fresh one, interleaved, medians),
# QUERIES (../sql/queries.sql: the file whose queries are timed), REV
# (what the binary is, for the header; default: git describe).
# Logs are cached in bench/out/scale/ (remade when genlog.py or the
# arguments change).  Times are wall seconds with user+sys CPU beside
# them (the machine may be shared); peak RSS from GNU time.  Builds
# nothing; exits 1 when a command fails.

set -eu
here=$(cd "$(dirname "$0")" && pwd)
bench_prog=scale.sh
. "$here/lib-bench.sh"

BW=${BW:-$here/../src/bouncewatch}
DAYS=${DAYS:-30}
LINES=${LINES:-1000000}
START=${START:-2026-10-01}
DOMAINS=${DOMAINS:-1000000}
PFLOG=${PFLOG:-0}
PFLOG_SIZES=${PFLOG_SIZES:-1000000 5000000}
KEEP=${KEEP:-0}
RUNS=${RUNS:-3}
QUERIES=${QUERIES:-$here/../sql/queries.sql}
REV=${REV:-$(cd "$here/.." && git describe --always --dirty 2> /dev/null || echo -)}

bench_is_uint "$DAYS" && [ "$DAYS" -ge 1 ] || bench_die "DAYS must be a positive number"
bench_is_uint "$LINES" || bench_die "LINES must be a number"
bench_is_uint "$DOMAINS" || bench_die "DOMAINS must be a number"
[ -x "$BW" ] || bench_die "$BW: not built (./bootstrap && ./configure && make)"
command -v sqlite3 > /dev/null 2>&1 || bench_die "the sqlite3 command is required"
command -v python3 > /dev/null 2>&1 || bench_die "python3 is required"
[ -x /usr/bin/time ] || bench_apt_install time

out=$here/out
cache=$out/scale
mkdir -p "$cache"
[ -f "$out/.gitignore" ] || echo '*' > "$out/.gitignore"
tmp=$(mktemp -d "$out/scale.XXXXXX")
[ "$KEEP" = 1 ] || trap 'rm -rf "$tmp"' EXIT INT TERM
# a copy: a rebuild during the run does not mix two binaries
cp "$BW" "$tmp/bouncewatch"
bw=$tmp/bouncewatch
label=$(bench_label "$LINES")
last=$(date -u -d "$START + $((DAYS - 1)) days" +%Y-%m-%d)
export TZ=UTC BOUNCEWATCH_NOW="$(date -u -d "$last + 1 day" +%Y-%m-%d)T12:00:00Z"
printf 'database = %s\ntimezone = UTC\n' "$tmp/none.db" > "$tmp/conf"
export BOUNCEWATCH_CONF="$tmp/conf"

# ---- the logs ----
daylog() { echo "$cache/day$1-$label.log"; }
genday() {	# genday K: day K's log, seed K, starting at START + K - 1 days
	_f=$(daylog "$1")
	_start=$(date -u -d "$START + $(($1 - 1)) days" +%Y-%m-%dT00:00:00)
	_stamp="$(cksum < "$here/genlog.py" | tr -s ' \t' '-') lines=$LINES seed=$1 start=$_start"
	[ -s "$_f" ] && [ "$(cat "$_f.stamp" 2> /dev/null)" = "$_stamp" ] && return 0
	bench_note "generating $_f"
	python3 "$here/genlog.py" --lines "$LINES" --seed "$1" --start "$_start" > "$_f.tmp" ||
		bench_die "genlog.py failed"
	mv "$_f.tmp" "$_f"
	echo "$_stamp" > "$_f.stamp"
}
k=1
while [ "$k" -le "$DAYS" ]; do genday "$k"; k=$((k + 1)); done
lastlog=$(daylog "$DAYS")
if [ ! -s "$lastlog.gz" ] || [ "$lastlog.gz" -ot "$lastlog" ]; then
	gzip -c -6 "$lastlog" > "$lastlog.gz.tmp" && mv "$lastlog.gz.tmp" "$lastlog.gz"
fi

# ---- helpers ----
size() { if [ -e "$1" ]; then wc -c < "$1" | tr -d ' '; else echo 0; fi; }
dbsize() { echo $(( $(size "$1") + $(size "$1-wal") )); }
# Each timed import starts with nothing left to write back: a database
# copied just before (the aged one) otherwise had its 60 MB written out
# by the import's first commit, whose fdatasync waits for the file
# system's journal (ext4, data=ordered): 40-60 ms charged to the aged
# import alone.  A database a day old has long been on disk.
import() { sync; bench_timed "$bw" import --quiet --db "$1" "$2"; }
rows() { sqlite3 -readonly "$1" 'SELECT count(*) FROM failure'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

cpuname=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
echo "# bench/scale.sh: $DAYS days of $LINES lines from $START"
echo
echo "machine: $cpuname, $(nproc) CPU; $("$bw" --version 2> /dev/null | head -n 1)" \
    "($REV);" \
    "load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

# ---- 1. the days into one database ----
db=$tmp/scale.db
echo "## Import, day after day, into one database"
echo
echo "| day | wall s | cpu s | peak RSS MiB | failure rows | DB bytes | bytes/failure row |"
echo "|---|---|---|---|---|---|---|"
k=1
while [ "$k" -le "$DAYS" ]; do
	cat "$(daylog "$k")" > /dev/null
	# the database before the last day, for the side-by-side runs below
	[ "$k" -ne "$DAYS" ] || cp "$db" "$tmp/before-last.db"
	import "$db" "$(daylog "$k")"
	n=$(rows "$db")
	b=$(dbsize "$db")
	echo "| $k | $wall | $cpu | $rss | $n | $b | $(ratio "$b" "$n") |"
	[ "$k" -ne 1 ] || day1_wall=$wall day1_cpu=$cpu
	k=$((k + 1))
done
dayN_wall=$wall dayN_cpu=$cpu
echo
sqlite3 -readonly "$db" "SELECT 'rows: failure ' || (SELECT count(*) FROM failure) ||
    ', diagnostic ' || (SELECT count(*) FROM diagnostic) || ', daily ' ||
    (SELECT count(*) FROM daily) || ', pending ' || (SELECT count(*) FROM pending)"
echo
echo "| table or index | bytes | bytes/failure row |"
echo "|---|---|---|"
sqlite3 -readonly -separator ' | ' "$db" "SELECT '| ' || name, sum(pgsize),
    printf('%.1f', sum(pgsize) * 1.0 / max(1, (SELECT count(*) FROM failure))) || ' |'
    FROM dbstat GROUP BY name ORDER BY sum(pgsize) DESC LIMIT 8"

# ---- 2. the last day's log: the aged database, a fresh one, gzipped ----
# interleaved, RUNS times each, so that the machine's load falls on all alike
fresh=$tmp/fresh.db
: > "$tmp/side"
i=0
while [ "$i" -lt "$RUNS" ]; do
	cp "$tmp/before-last.db" "$tmp/aged.db"
	rm -f "$tmp/aged.db-wal" "$tmp/aged.db-shm"
	import "$tmp/aged.db" "$lastlog"
	echo "aged $wall $cpu $rss" >> "$tmp/side"
	rm -f "$fresh" "$fresh-wal" "$fresh-shm"
	import "$fresh" "$lastlog"
	echo "fresh $wall $cpu $rss" >> "$tmp/side"
	rm -f "$fresh" "$fresh-wal" "$fresh-shm"
	import "$fresh" "$lastlog.gz"
	echo "gz $wall $cpu $rss" >> "$tmp/side"
	i=$((i + 1))
done
rm -f "$tmp/aged.db" "$tmp/aged.db-wal" "$tmp/aged.db-shm" "$tmp/before-last.db"
med() { awk -v k="$1" -v c="$2" '$1 == k { print $c }' "$tmp/side" | bench_median; }
aged_wall=$(med aged 2) aged_cpu=$(med aged 3)
fresh_wall=$(med fresh 2) fresh_cpu=$(med fresh 3) fresh_rss=$(med fresh 4)
gz_wall=$(med gz 2) gz_cpu=$(med gz 3) gz_rss=$(med gz 4)
echo
echo "## The same day-$DAYS log, side by side (median of $RUNS, interleaved)"
echo
echo "| into | wall s | cpu s | peak RSS MiB |"
echo "|---|---|---|---|"
echo "| the $((DAYS - 1))-day database (day $DAYS) | $aged_wall | $aged_cpu | |"
echo "| a fresh database | $fresh_wall | $fresh_cpu | $fresh_rss |"
echo "| a fresh database, .gz | $gz_wall | $gz_cpu | $gz_rss |"
echo
echo "day $DAYS / fresh: $(ratio "$aged_wall" "$fresh_wall")x wall," \
    "$(ratio "$aged_cpu" "$fresh_cpu")x cpu (target <= 1.3);" \
    "day $DAYS / day 1 (above, one run each): $(ratio "$dayN_wall" "$day1_wall")x wall," \
    "$(ratio "$dayN_cpu" "$day1_cpu")x cpu;" \
    ".gz / plain: $(ratio "$gz_wall" "$fresh_wall")x wall," \
    "$(ratio "$gz_cpu" "$fresh_cpu")x cpu (target <= 1.2)"
# each round's ratio (the rounds are in order: aged, fresh, gz)
side_rounds() {
	awk -v k="$1" -v c="$2" '$1 == "fresh" { f[n_f++] = $c } $1 == k { x[n_x++] = $c }
	    END { for (i = 0; i < n_f; i++) if (f[i] > 0) printf "%.2f\n", x[i] / f[i] }' \
	    "$tmp/side" | bench_median
}
echo "the median of each round's ratio: day $DAYS / fresh $(side_rounds aged 2)x wall," \
    "$(side_rounds aged 3)x cpu; .gz / plain $(side_rounds gz 2)x wall, $(side_rounds gz 3)x cpu"
echo "raw (what, wall s, cpu s, RSS MiB):" $(tr '\n' ';' < "$tmp/side")

# ---- 3. reports: one day and every day, each format ----
echo
echo "## Reports"
echo
echo "Median of $RUNS runs each (RSS: the largest), the one day and the $DAYS"
echo "days in turn, so that the machine's load falls on both alike; \"rounds\""
echo "is the median of each round's ratio.  $DAYS days read the day"
echo "summaries import built; \"cold\" is the same report on a copy without"
echo "them (each day summarised from its rows on the spot)."
echo
echo "| range | format | wall s | cpu s | peak RSS MiB | output bytes |"
echo "|---|---|---|---|---|---|"
# report_runs ARGS...: RUNS runs; wall, cpu (medians), rss (largest)
report_runs() {
	: > "$tmp/rr"
	_i=0
	while [ "$_i" -lt "$RUNS" ]; do
		bench_timed "$bw" report "$@"
		echo "$wall $cpu $rss" >> "$tmp/rr"
		_i=$((_i + 1))
	done
	wall=$(awk '{ print $1 }' "$tmp/rr" | bench_median)
	cpu=$(awk '{ print $2 }' "$tmp/rr" | bench_median)
	rss=$(awk 'BEGIN { m = 0 } $3 > m { m = $3 } END { print m }' "$tmp/rr")
}
# report_pair FORMAT: one day and every day in turn, RUNS rounds, in $tmp/rp
report_pair() {
	: > "$tmp/rp"
	_i=0
	while [ "$_i" -lt "$RUNS" ]; do
		bench_timed "$bw" report --db "$db" --date "$last" --format "$1"
		_o1=$(size "$tmp/stdout")
		echo "1 $wall $cpu $rss $_i" >> "$tmp/rp"
		bench_timed "$bw" report --db "$db" --from "$START" --to "$last" --format "$1"
		_oN=$(size "$tmp/stdout")
		echo "N $wall $cpu $rss $_i" >> "$tmp/rp"
		_i=$((_i + 1))
	done
}
# rp_med WHICH COLUMN, rp_max WHICH COLUMN, rp_rounds COLUMN: median ratio N/1
rp_med() { awk -v k="$1" -v c="$2" '$1 == k { print $c }' "$tmp/rp" | bench_median; }
rp_max() { awk -v k="$1" -v c="$2" 'BEGIN { m = 0 } $1 == k && $c > m { m = $c } END { print m }' "$tmp/rp"; }
rp_rounds() {
	awk -v c="$1" '$1 == "1" { a[$5] = $c } $1 == "N" { b[$5] = $c }
	    END { for (i in a) if (a[i] > 0) printf "%.2f\n", b[i] / a[i] }' "$tmp/rp" | bench_median
}
cp "$db" "$tmp/cold.db"
sqlite3 "$tmp/cold.db" "DELETE FROM day_summary"
for f in text html json csv; do
	report_pair "$f"
	w1=$(rp_med 1 2) c1=$(rp_med 1 3) r1=$(rp_max 1 4)
	wN=$(rp_med N 2) cN=$(rp_med N 3) rN=$(rp_max N 4)
	echo "| $last | $f | $w1 | $c1 | $r1 | $_o1 |"
	echo "| $START .. $last | $f | $wN | $cN | $rN | $_oN |"
	echo "| ratio | $f | $(ratio "$wN" "$w1") (rounds $(rp_rounds 2)) |" \
	    "$(ratio "$cN" "$c1") (rounds $(rp_rounds 3)) | $(ratio "$rN" "$r1") | |"
done
report_runs --db "$tmp/cold.db" --from "$START" --to "$last" --format text
echo "| $START .. $last, cold | text | $wall | $cpu | $rss | $(size "$tmp/stdout") |"
rm -f "$tmp/cold.db" "$tmp/cold.db-wal" "$tmp/cold.db-shm"

# ---- 4. sql/queries.sql, each query ----
rcpt=$(sqlite3 -readonly "$db" "SELECT recipient FROM v_failures
    WHERE id = (SELECT last_id FROM day_span WHERE day = '$last')")
echo
echo "## $QUERIES (:day $last, :from $START, :to $last, :recipient $rcpt)"
echo
echo "| query | wall s | rows | output cksum | plan: full scans |"
echo "|---|---|---|---|---|"
awk -v dir="$tmp" '/^-- Q:/ { n++; t = substr($0, 7) ; print t > (dir "/q" n ".title") }
    n > 0 { print > (dir "/q" n ".sql") }' "$QUERIES"
i=1
while [ -f "$tmp/q$i.sql" ]; do
	{
		echo ".parameter set :day \"'$last'\""
		echo ".parameter set :from \"'$START'\""
		echo ".parameter set :to \"'$last'\""
		echo ".parameter set :recipient \"'$rcpt'\""
		echo ".parameter set :domain \"'gmail.com'\""
	} > "$tmp/params"
	cat "$tmp/params" "$tmp/q$i.sql" > "$tmp/run.sql"
	t0=$(bench_now)
	sqlite3 -readonly "$db" < "$tmp/run.sql" > "$tmp/qout" || bench_die "query $i failed"
	t1=$(bench_now)
	{ cat "$tmp/params"; printf 'EXPLAIN QUERY PLAN '; grep -v '^--' "$tmp/q$i.sql"; } |
	    sqlite3 -readonly "$db" > "$tmp/plan" 2>&1 || true
	# the tables read whole (a SCAN of failure or daily, under any alias)
	scans=$(sed -n 's/^.*SCAN \([a-z_]*\).*$/\1/p' "$tmp/plan" |
	    grep -xE 'f|failure|dl|daily|cur|old' | sort -u | tr '\n' ' ' || true)
	echo "| $i. $(cat "$tmp/q$i.title") | $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }') |" \
	    "$(wc -l < "$tmp/qout" | tr -d ' ') | $(cksum < "$tmp/qout" | cut -d' ' -f1) | ${scans:--} |"
	i=$((i + 1))
done

# ---- 5. a day with DOMAINS distinct domains ----
if [ "$DOMAINS" -gt 0 ]; then
	dlog=$cache/domains-$(bench_label "$DOMAINS").log
	if [ ! -s "$dlog" ]; then
		bench_note "generating $dlog"
		python3 - "$DOMAINS" "$last" > "$dlog.tmp" <<'PY'
import sys, datetime
n = int(sys.argv[1])
day = datetime.date.fromisoformat(sys.argv[2])
mon = day.strftime("%b")
out = sys.stdout
for i in range(n):
    s = i * 86399 // max(1, n)
    dom = "d%07d.example" % i
    out.write("%s %2d %02d:%02d:%02d mx1 postfix/smtp[%d]: %010X: to=<user%d@%s>, "
              "relay=none, delay=1.2, delays=0.1/0/1.1/0, dsn=5.4.4, status=bounced "
              "(Host or domain name not found. Name service error for name=%s type=A: "
              "Host not found)\n" % (mon, day.day, s // 3600, s // 60 % 60, s % 60,
                                     1000 + i % 5000, 0x1000000 + i, i % 97, dom, dom))
PY
		mv "$dlog.tmp" "$dlog"
	fi
	ddb=$tmp/domains.db
	import "$ddb" "$dlog"
	di_wall=$wall di_rss=$rss
	echo
	echo "## One day with $DOMAINS distinct domains (import $di_wall s, $di_rss MiB)"
	echo
	echo "| format | wall s | cpu s | peak RSS MiB |"
	echo "|---|---|---|---|"
	for f in text html json csv; do
		bench_timed "$bw" report --db "$ddb" --date "$last" --format "$f"
		echo "| $f | $wall | $cpu | $rss |"
	done
	bench_timed "$bw" report --db "$ddb" --date "$last" --format text --top 10
	echo "| text --top 10 | $wall | $cpu | $rss |"
fi

# ---- 6. pflogsumm over the same logs ----
if [ "$PFLOG" = 1 ]; then
	command -v pflogsumm > /dev/null 2>&1 || bench_apt_install pflogsumm
	echo
	echo "## bouncewatch import against pflogsumm --detail 10 (same file, warm cache)"
	echo
	echo "| log | bouncewatch wall s | cpu s | pflogsumm wall s | cpu s | ratio wall | ratio cpu |"
	echo "|---|---|---|---|---|---|---|"
	for n in $PFLOG_SIZES; do
		plog=$out/compare-$(bench_label "$n").log
		bench_genlog "$here/genlog.py" "$n" 1 "$plog"
		cat "$plog" > /dev/null
		rm -f "$fresh" "$fresh-wal" "$fresh-shm"
		import "$fresh" "$plog"
		bw_wall=$wall bw_cpu=$cpu
		bench_timed pflogsumm --detail 10 "$plog"
		echo "| $(bench_label "$n") | $bw_wall | $bw_cpu | $wall | $cpu |" \
		    "$(ratio "$wall" "$bw_wall") | $(ratio "$cpu" "$bw_cpu") |"
	done
fi
echo
echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
