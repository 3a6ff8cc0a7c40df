#!/bin/sh
# bench/report.sh -- time "bouncewatch report" over 30 days holding about
# 1M failure rows, in each format (median of RUNS runs; target < 1 s).
#
#   bench/report.sh                      # BW defaults to ../src/bouncewatch
#   LINES=70000000 RUNS=5 bench/report.sh
#
# The database (bench/out/report-30d.db) is built once and kept; it is
# rebuilt when genlog.py or the parameters change (stamp file beside it).
# How: bench/genlog.py writes LINES log lines spread over 30 days
# (--rate = LINES / 30 days, --hurricane-share 0.1 so local_throttle is in
# the mix), in CHUNKS parallel parts with their own seeds and start days;
# only the delivery lines (status=...) are kept -- the rest is noise the
# import would count and skip -- and imported with "bouncewatch import".
# A low line rate raises the failure share (deferred mail is retried
# within the same 30 days), so 42M lines give about 1M failure rows
# instead of the ~55M a busy-hour log would need.  Building takes about
# 5 minutes on 2 CPUs and about 1 GB of temporary disk; the database is
# about 95 MB.  On a shared machine wall time suffers from the load: the
# CPU time (GNU time, when installed) is printed too.
#
# Builds nothing: build bouncewatch first.

set -eu
here=$(cd "$(dirname "$0")" && pwd)
BW=${BW:-$here/../src/bouncewatch}
LINES=${LINES:-42000000}
CHUNKS=${CHUNKS:-2}
RUNS=${RUNS:-3}
DAYS=30
START=2026-10-01
out=$here/out
db=$out/report-30d.db
conf=$out/report-30d.conf
stamp=$out/report-30d.stamp

[ -x "$BW" ] || { echo "report.sh: $BW: not built" >&2; exit 1; }
mkdir -p "$out"
printf 'database = %s\ntimezone = UTC\n' "$db" > "$conf"
export BOUNCEWATCH_CONF="$conf"

want=$( { cat "$here/genlog.py"; echo "$LINES $CHUNKS $DAYS $START"; } | cksum)
if [ ! -s "$db" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
	rm -f "$db" "$db-wal" "$db-shm" "$stamp"
	rate=$(awk -v l="$LINES" -v d="$DAYS" 'BEGIN { printf "%.4f", l / (d * 86400) }')
	per=$((LINES / CHUNKS))
	echo "report.sh: generating $LINES lines over $DAYS days in $CHUNKS parts (rate $rate/s)" >&2
	k=0
	while [ $k -lt "$CHUNKS" ]; do
		start=$(date -u -d "$START + $((k * DAYS / CHUNKS)) days" +%Y-%m-%dT00:00:00)
		python3 "$here/genlog.py" --lines "$per" --seed $((k + 1)) --start "$start" \
		    --rate "$rate" --format iso --hurricane-share 0.1 |
		    grep 'status=' > "$out/report-30d-part$k.log" &
		k=$((k + 1))
	done
	wait
	k=0
	while [ $k -lt "$CHUNKS" ]; do
		"$BW" import "$out/report-30d-part$k.log" 2>&1 | tail -1 >&2
		rm -f "$out/report-30d-part$k.log"
		k=$((k + 1))
	done
	echo "$want" > "$stamp"
fi

# shellcheck disable=SC2046
set -- $(python3 - "$db" <<'PY'
import sqlite3, sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
# the first 30 days (the generated log may run a little longer)
lo = db.execute("SELECT min(day) FROM day_span").fetchone()[0]
hi = db.execute("SELECT date(?, '+29 days')", (lo,)).fetchone()[0]
n = db.execute("SELECT count(*) FROM failure WHERE id BETWEEN"
               " (SELECT min(first_id) FROM day_span WHERE day BETWEEN ?1 AND ?2) AND"
               " (SELECT max(last_id) FROM day_span WHERE day BETWEEN ?1 AND ?2)",
               (lo, hi)).fetchone()[0]
d = db.execute("SELECT count(*) FROM domain").fetchone()[0]
print(lo, hi, n, d)
PY
)
from=$1 to=$2 rows=$3 ndomains=$4
size=$(du -m "$db" | cut -f1)
cat "$db" > /dev/null	# warm the page cache

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
timeit() {	# runs: prints the median wall time in seconds
	i=0
	while [ $i -lt "$RUNS" ]; do
		t0=$(date +%s%N)
		"$BW" report "$@" > /dev/null
		t1=$(date +%s%N)
		echo $(((t1 - t0) / 1000)) | awk '{ printf "%.3f\n", $1 / 1e6 }'
		i=$((i + 1))
	done | median
}

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
echo "database: $db ($size MB): $rows failure rows in $from .. $to, $ndomains domains"
echo "machine: $cpu, $(nproc) CPU; $("$BW" --version); median of $RUNS runs"
echo
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| report | format | median s |"
echo "|---|---|---|"
for f in text html json csv; do
	cputime=
	if [ -x /usr/bin/time ]; then
		cputime=$(/usr/bin/time -f '%U %S' "$BW" report --from "$from" --to "$to" \
		    --format "$f" 2>&1 > /dev/null | awk '{ printf ", cpu %.2f", $1 + $2 }')
	fi
	echo "| $from .. $to | $f | $(timeit --from "$from" --to "$to" --format "$f")$cputime |"
done
echo "| $to (one day) | text | $(timeit --date "$to" --format text) |"
echo "| $from .. $to, --domain gmail.com | html | $(timeit --from "$from" --to "$to" --domain gmail.com --format html) |"
echo
echo "command: BOUNCEWATCH_CONF=$conf $BW report --from $from --to $to --format FORMAT > /dev/null"
