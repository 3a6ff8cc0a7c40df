#!/bin/sh
# bench/pg-report.sh -- a report over many days against one day on the
# PostgreSQL backend: DAYS days of LINES lines each (the first LINES lines
# of bench/scale.sh's day logs, seed = day, each on its own date) imported
# into a private server (tests/pg_lib.sh), then the text report for the
# last day and for every day, and the same report over every day in a copy
# of the database without day summaries (each day read from its rows, as
# before PostgreSQL kept summaries), interleaved, RUNS runs each, after a
# VACUUM ANALYZE (statistics as autovacuum keeps them).
#
#   bench/pg-report.sh                         # 30 days of 150,000 lines
#   DAYS=30 LINES=200000 RUNS=5 bench/pg-report.sh
#
# Environment: BW (../src/bouncewatch, built with PostgreSQL), DAYS (30),
# LINES (150000), RUNS (3), START (2026-10-01), LOGS (bench/out/scale: the
# cached 1M-line day logs, dayK-1M.log; a missing one is generated with
# genlog.py at LINES lines), REV (what the binary is, for the header;
# default: git describe).  Times: wall seconds (the server's work
# counts) and the bouncewatch process's user+sys CPU, medians; the load
# average beside them (the machine may be shared).  Builds nothing.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bench_prog=pg-report.sh
. "$here/lib-bench.sh"

BW=${BW:-$here/../src/bouncewatch}
DAYS=${DAYS:-30}
LINES=${LINES:-150000}
RUNS=${RUNS:-3}
START=${START:-2026-10-01}
LOGS=${LOGS:-$here/out/scale}
REV=${REV:-$(cd "$here/.." && git describe --always --dirty 2> /dev/null || echo -)}

bench_is_uint "$DAYS" && [ "$DAYS" -ge 2 ] || bench_die "DAYS must be 2 or more"
bench_is_uint "$LINES" && [ "$LINES" -ge 1 ] || bench_die "LINES must be a number"
bench_is_uint "$RUNS" && [ "$RUNS" -ge 1 ] || bench_die "RUNS must be a number"
[ -x "$BW" ] || bench_die "$BW: not built"
[ -x /usr/bin/time ] || bench_apt_install time

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bw-pgrep.XXXXXX")
cp "$BW" "$tmp/bouncewatch"
bw=$tmp/bouncewatch
PG_CONF="shared_buffers = 128MB"
. "$here/../tests/pg_lib.sh"
pg_start
trap 'pg_cleanup; rm -rf "$tmp"' 0

last=$(date -u -d "$START + $((DAYS - 1)) days" +%Y-%m-%d)
export TZ=UTC BOUNCEWATCH_NOW="$(date -u -d "$last + 1 day" +%Y-%m-%d)T12:00:00Z"
printf 'database = %s\ntimezone = UTC\n' "$PG_URI" > "$tmp/conf"
export BOUNCEWATCH_CONF="$tmp/conf"


# ---- the days ----
iw=0 ic=0
k=1
while [ "$k" -le "$DAYS" ]; do
	if [ -s "$LOGS/day$k-1M.log" ]; then
		head -n "$LINES" "$LOGS/day$k-1M.log" > "$tmp/day.log"
	else
		python3 "$here/genlog.py" --lines "$LINES" --seed "$k" --start \
		    "$(date -u -d "$START + $((k - 1)) days" +%Y-%m-%dT00:00:00)" > "$tmp/day.log"
	fi
	bench_timed "$bw" import --quiet --db "$PG_URI" "$tmp/day.log"
	iw=$(awk -v a="$iw" -v b="$wall" 'BEGIN { print a + b }')
	ic=$(awk -v a="$ic" -v b="$cpu" 'BEGIN { print a + b }')
	k=$((k + 1))
done
rows=$(pg_psql -d bw -At -c 'SELECT count(*) FROM failure')
sums=none
[ "$(pg_psql -d bw -At -c "SELECT to_regclass('day_summary') IS NOT NULL")" = t ] &&
	sums=$(pg_psql -d bw -At -c 'SELECT count(*) FROM day_summary')
echo "# bench/pg-report.sh: $DAYS days of $LINES lines from $START, PostgreSQL $(basename "$(dirname "$PGBIN")")"
echo
echo "binary: $REV;" \
    "$rows failure rows; day summaries: $sums"
echo "imports: $iw s wall, $ic s cpu in all"
echo

# ---- reports, interleaved ----
# the planner's statistics as autovacuum keeps them in a database in use
pg_psql -d bw -c 'VACUUM ANALYZE'
# a copy without the summaries: every day from its rows
rows_uri=
if [ "$sums" != none ]; then
	pg_psql -d postgres -c 'CREATE DATABASE bwrows TEMPLATE bw'
	rows_uri="postgresql:///bwrows?host=$PGSOCK&port=$PGPORT&user=bw"
	pg_psql -d bwrows -c 'DELETE FROM day_summary'
	pg_psql -d bwrows -c 'VACUUM ANALYZE'
fi
: > "$tmp/one"
: > "$tmp/all"
: > "$tmp/rows"
i=0
while [ "$i" -lt "$RUNS" ]; do
	bench_timed "$bw" report --db "$PG_URI" --date "$last" --format text
	echo "$wall $cpu" >> "$tmp/one"
	bench_timed "$bw" report --db "$PG_URI" --from "$START" --to "$last" --format text
	echo "$wall $cpu" >> "$tmp/all"
	cp "$tmp/stdout" "$tmp/all.txt"
	if [ -n "$rows_uri" ]; then
		bench_timed "$bw" report --db "$rows_uri" --from "$START" --to "$last" --format text
		echo "$wall $cpu" >> "$tmp/rows"
		cmp -s "$tmp/stdout" "$tmp/all.txt" ||
			bench_note "the report from rows differs from the one from summaries"
	fi
	i=$((i + 1))
done
med() { awk -v c="$2" '{ print $c }' "$tmp/$1" | bench_median; }
echo "| report (text) | wall s | cpu s | load |"
echo "|---|---|---|---|"
echo "| $last | $(med one 1) | $(med one 2) | $(bench_load1) |"
echo "| $START .. $last | $(med all 1) | $(med all 2) | $(bench_load1) |"
[ -n "$rows_uri" ] &&
	echo "| $START .. $last, from rows | $(med rows 1) | $(med rows 2) | $(bench_load1) |"
echo
echo "ratio $DAYS days / 1 day: wall $(awk -v a="$(med all 1)" -v b="$(med one 1)" \
    'BEGIN { printf "%.1f", a / b }'), cpu $(awk -v a="$(med all 2)" -v b="$(med one 2)" \
    'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }')"
