#!/bin/sh
# bench/import.sh -- "bouncewatch import" of a generated 5M-line log into a
# fresh database: throughput, peak memory and database size per failure row.
#
#   bench/import.sh                  # uses ../src/bouncewatch next to this script
#   BW=/path/to/bouncewatch bench/import.sh
#
# Environment:
#   BW       bouncewatch binary   (default: <script dir>/../src/bouncewatch)
#   LINES    log size in lines    (default: 5000000)
#   RUNS     timed imports        (default: 3; the median is reported)
#   SEED     genlog.py seed       (default: 1)
#   DBDIR    where the databases go (default: a new directory under $TMPDIR)
#   PROFILE  1: after the runs, perf record one import of a 1M-line log and
#            print where the time goes (needs perf)
#
# Builds nothing.  Generates bench/out/import-5M.log with genlog.py when it
# is missing or stale, then RUNS times: removes the database, runs
#   bouncewatch import --quiet --db DB LOG
# under GNU time, and measures the database after the import closed it:
#   bytes per failure row   (DB + DB-wal file sizes) / count(*) FROM failure
#   failure table per row   sum(pgsize) FROM dbstat WHERE name = 'failure'
#                           / count(*) FROM failure
# Prints a markdown table row, the exact commands, the raw figures and
# where the database's bytes go (dbstat, per table and index).
# Targets (issue 3): >= 1M lines/s, peak RSS <= 32 MiB, <= 100 bytes per
# failure row.  Exits 1 when a command fails, 0 otherwise (targets missed
# are reported, not fatal).

set -eu

here=$(cd "$(dirname "$0")" && pwd)
BW=${BW:-$here/../src/bouncewatch}
LINES=${LINES:-5000000}
RUNS=${RUNS:-3}
SEED=${SEED:-1}
PROFILE=${PROFILE:-0}

die() { echo "import.sh: $*" >&2; exit 1; }

case $LINES in ''|*[!0-9]*) die "LINES must be a number, not '$LINES'" ;; esac
case $RUNS in ''|*[!0-9]*|0) die "RUNS must be a positive number, not '$RUNS'" ;; esac

if [ ! -f "$BW" ] || [ ! -x "$BW" ]; then
	die "bouncewatch binary not found or not executable: $BW
  build it first (cd $(dirname "$here") && ./bootstrap && ./configure && make)
  or point BW= at a built binary."
fi
BW=$(cd "$(dirname "$BW")" && pwd)/$(basename "$BW")

if [ ! -x /usr/bin/time ]; then
	echo "import.sh: /usr/bin/time missing, installing the 'time' package" >&2
	if [ "$(id -u)" -eq 0 ] && command -v apt-get > /dev/null 2>&1; then
		apt-get install -y -qq time > /dev/null 2>&1 ||
			{ apt-get update -qq > /dev/null 2>&1 &&
			  apt-get install -y -qq time > /dev/null 2>&1; } ||
			die "could not install the 'time' package"
	else
		die "/usr/bin/time (GNU time) is required: apt-get install time"
	fi
fi
command -v python3 > /dev/null 2>&1 || die "python3 is required to generate the log"
command -v sqlite3 > /dev/null 2>&1 || die "the sqlite3 command is required to measure the database"
sqlite3 :memory: 'SELECT count(*) FROM dbstat' > /dev/null 2>&1 ||
	die "this sqlite3 has no dbstat virtual table (SQLITE_ENABLE_DBSTAT_VTAB)"

if [ "$((LINES % 1000000))" -eq 0 ]; then label=$((LINES / 1000000))M
elif [ "$((LINES % 1000))" -eq 0 ]; then label=$((LINES / 1000))k
else label=$LINES; fi
out=$here/out
log=$out/import-$label.log
mkdir -p "$out"
[ -f "$out/.gitignore" ] || echo '*' > "$out/.gitignore"

# (Re)generate when missing or made by another genlog.py or other arguments.
stamp="$(cksum < "$here/genlog.py" | tr -s ' \t' '-') lines=$LINES seed=$SEED"
if [ ! -s "$log" ] || [ "$(cat "$log.stamp" 2> /dev/null)" != "$stamp" ]; then
	echo "import.sh: generating $log ($LINES lines, seed $SEED)" >&2
	rm -f "$log.stamp"
	python3 "$here/genlog.py" --lines "$LINES" --seed "$SEED" > "$log.tmp" ||
		{ rm -f "$log.tmp"; die "genlog.py failed"; }
	mv "$log.tmp" "$log"
	echo "$stamp" > "$log.stamp"
fi
nlines=$(wc -l < "$log" | tr -d ' ')
nbytes=$(wc -c < "$log" | tr -d ' ')

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bwimport.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
dbdir=${DBDIR:-$tmp}
mkdir -p "$dbdir"
db=$dbdir/bench-import.db

# Warm the page cache: every run reads the log from memory.
cat "$log" > /dev/null

# The log's clock: genlog starts at 2026-11-20; "now" a few days later, UTC.
export BOUNCEWATCH_NOW=2026-11-23T12:00:00Z TZ=UTC
unset BOUNCEWATCH_CONF

size() { if [ -e "$1" ]; then wc -c < "$1" | tr -d ' '; else echo 0; fi; }

: > "$tmp/runs"
i=0
while [ "$i" -lt "$RUNS" ]; do
	rm -f "$db" "$db-wal" "$db-shm" "$db-journal"
	rc=0
	t0=$(date +%s%N)
	/usr/bin/time -f '%e %M %U %S' -o "$tmp/t" "$BW" import --quiet --db "$db" "$log" \
	    > /dev/null 2> "$tmp/err" || rc=$?
	t1=$(date +%s%N)
	if [ "$rc" -ne 0 ]; then
		echo "import.sh: bouncewatch import exited with status $rc:" >&2
		tail -n 5 "$tmp/err" >&2
		exit 1
	fi
	rss=$(tail -n 1 "$tmp/t" | cut -d' ' -f2)
	cpus=$(tail -n 1 "$tmp/t" | awk '{ printf "%.2f", $3 + $4 }')
	rows=$(sqlite3 -readonly "$db" 'SELECT count(*) FROM failure')
	dbb=$(( $(size "$db") + $(size "$db-wal") ))
	ftab=$(sqlite3 -readonly "$db" "SELECT sum(pgsize) FROM dbstat WHERE name = 'failure'")
	awk -v a="$t0" -v b="$t1" -v r="$rss" -v n="$rows" -v d="$dbb" -v f="$ftab" \
	    -v c="$cpus" 'BEGIN { printf "%.3f %s %s %s %s %s\n", (b - a) / 1e9, r, n, d, f, c }' \
	    >> "$tmp/runs"
	i=$((i + 1))
done

# columns of $tmp/runs: wall-s rss-KiB failure-rows db-bytes failure-table-bytes cpu-s
median() { cut -d' ' -f"$1" "$tmp/runs" | sort -n |
    awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else printf "%.3f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
med=$(median 1)
med_cpu=$(median 6)
rate=$(awk -v n="$nlines" -v s="$med" 'BEGIN { printf "%.0f", n / s }')
rate_cpu=$(awk -v n="$nlines" -v s="$med_cpu" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')
load=$(cut -d' ' -f1-3 /proc/loadavg 2> /dev/null || echo '?')
rss_kib=$(cut -d' ' -f2 "$tmp/runs" | sort -n | tail -n 1)
rss_mib=$(awk -v k="$rss_kib" 'BEGIN { printf "%.1f", k / 1024 }')
last=$(tail -n 1 "$tmp/runs")
rows=$(echo "$last" | cut -d' ' -f3)
dbb=$(echo "$last" | cut -d' ' -f4)
ftab=$(echo "$last" | cut -d' ' -f5)
per_row=$(awk -v d="$dbb" -v n="$rows" 'BEGIN { printf "%.1f", (n > 0 ? d / n : 0) }')
ftab_row=$(awk -v d="$ftab" -v n="$rows" 'BEGIN { printf "%.1f", (n > 0 ? d / n : 0) }')
mib=$(awk -v b="$nbytes" 'BEGIN { printf "%.0f", b / 1048576 }')

verdict() {	# verdict VALUE OP LIMIT
	if awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN { exit !(op == ">=" ? v >= l : v <= l) }'; then
		echo "met"
	else
		echo "MISSED"
	fi
}
t_rate=$(verdict "$rate" ">=" 1000000)
t_rss=$(verdict "$rss_mib" "<=" 32)
t_row=$(verdict "$per_row" "<=" 100)

cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2> /dev/null || true)
[ -n "$cpu" ] || cpu=$(uname -m)
ncpu=$(getconf _NPROCESSORS_ONLN 2> /dev/null || echo '?')
rev=$(cd "$here/.." && git describe --always --dirty 2> /dev/null || echo '-')
ver=$("$BW" --version 2> /dev/null | head -n 1 || true)
if [ -z "$ver" ]; then ver=$rev; elif [ "$rev" != - ]; then ver="$ver ($rev)"; fi
day=$(date -u +%Y-%m-%d)
fs=$(df -PT "$dbdir" 2> /dev/null | awk 'NR == 2 { print $2 }')

echo
echo "| date | machine | bouncewatch | log | runs | median s | lines/s | lines/CPU-s | peak RSS MiB | failure rows | DB bytes | DB bytes/failure row | failure table bytes/row |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
echo "| $day | $cpu, $ncpu CPU | $ver | $nlines lines, $mib MiB | $RUNS | $med | $rate | $rate_cpu | $rss_mib | $rows | $dbb | $per_row | $ftab_row |"
echo
echo "lines/s: lines / median wall time.  lines/CPU-s: lines / median user+sys"
echo "time, less sensitive to other load (load average at the end: $load)."
echo
echo "Targets: >= 1000000 lines/s: $t_rate ($rate); peak RSS <= 32 MiB: $t_rss ($rss_mib);" \
    "<= 100 bytes per failure row: $t_row ($per_row)"
echo
echo "Commands (each run on a new database, page cache warm, database on ${fs:-?} in $dbdir):"
echo "  python3 $here/genlog.py --lines $LINES --seed $SEED > $log"
echo "  rm -f $db $db-wal $db-shm"
echo "  BOUNCEWATCH_NOW=$BOUNCEWATCH_NOW TZ=UTC /usr/bin/time -f '%e %M %U %S' $BW import --quiet --db $db $log"
echo "  sqlite3 -readonly $db 'SELECT count(*) FROM failure'"
echo "  wc -c $db $db-wal"
echo "  sqlite3 -readonly $db \"SELECT sum(pgsize) FROM dbstat WHERE name = 'failure'\""
echo "Raw (wall s, max RSS KiB, failure rows, DB+WAL bytes, failure table bytes, user+sys s) per run:"
sed 's/^/  /' "$tmp/runs"
echo
echo "Where the bytes go (dbstat; after the last run):"
echo
echo "| table or index | pages | bytes | bytes/failure row | payload bytes | unused bytes |"
echo "|---|---|---|---|---|---|"
sqlite3 -readonly -separator ' | ' "$db" "
SELECT '| ' || name, count(*), sum(pgsize),
       printf('%.1f', sum(pgsize) * 1.0 / max(1, (SELECT count(*) FROM failure))),
       sum(payload), sum(unused) || ' |'
  FROM dbstat GROUP BY name ORDER BY sum(pgsize) DESC LIMIT 12"
echo
sqlite3 -readonly "$db" "
SELECT 'rows: failure ' || (SELECT count(*) FROM failure) ||
       ', diagnostic ' || (SELECT count(*) FROM diagnostic) ||
       ', daily ' || (SELECT count(*) FROM daily) ||
       ', domain ' || (SELECT count(*) FROM domain) ||
       ', pending ' || (SELECT count(*) FROM pending) ||
       '; page size ' || (SELECT page_size FROM pragma_page_size)"

if [ "$PROFILE" = 1 ]; then
	command -v perf > /dev/null 2>&1 || die "PROFILE=1 needs perf"
	head -n 1000000 "$log" > "$tmp/profile.log"
	rm -f "$db" "$db-wal" "$db-shm"
	echo
	echo "Profile: perf record -g $BW import --quiet --db $db (first 1M lines)"
	perf record -q -g -o "$tmp/perf.data" "$BW" import --quiet --db "$db" \
	    "$tmp/profile.log" > /dev/null 2>&1 || die "perf record failed"
	perf report -i "$tmp/perf.data" --stdio --no-children --sort symbol \
	    2> /dev/null | grep -E '^ +[0-9]' | head -n 25
fi
