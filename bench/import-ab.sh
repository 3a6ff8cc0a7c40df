#!/bin/sh
# bench/import-ab.sh -- two bouncewatch binaries importing the same logs,
# interleaved (A, B, A, B ...) so that both see the same machine, each
# run into a fresh database; wall and CPU (user+sys) of every run, their
# minimum and median, the load average before and after; pflogsumm once
# per log in the same run when asked.
#
#   bench/import-ab.sh OLD NEW LOG...
#   RUNS=5 PFLOGSUMM=1 bench/import-ab.sh /tmp/bw-base src/bouncewatch \
#       bench/out/compare-1M.log bench/out/compare-5M.log
#
# Environment (defaults in brackets):
#   RUNS        runs of each binary per log   [5]
#   PFLOGSUMM   1: time `pflogsumm --detail 10` once per log   [0]
#   ARGS        more arguments for `bouncewatch import`        []
#   TMPDIR      where the databases go        [/tmp]
#
# Prints one line per run, then per log and binary:
#   LOG BIN cpu min M med M  wall min M med M   (seconds)

set -eu

here=$(cd "$(dirname "$0")" && pwd)
bench_prog=import-ab.sh
. "$here/lib-bench.sh"

[ $# -ge 3 ] || bench_die "usage: $0 OLD NEW LOG..."
A=$1
B=$2
shift 2
RUNS=${RUNS:-5}
PFLOGSUMM=${PFLOGSUMM:-0}
ARGS=${ARGS:-}
bench_is_uint "$RUNS" && [ "$RUNS" -ge 1 ] || bench_die "RUNS must be a number >= 1"
for _b in "$A" "$B"; do
	[ -x "$_b" ] || bench_die "$_b: not an executable"
done
[ -x /usr/bin/time ] || bench_die "/usr/bin/time is needed (apt-get install time)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/import-ab.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# ab_run NAME BIN LOG: one import into a fresh database; "NAME wall cpu"
ab_run() {
	rm -f "$tmp/db" "$tmp/db-wal" "$tmp/db-shm"
	# shellcheck disable=SC2086
	/usr/bin/time -f '%e %U %S' -o "$tmp/time" \
	    "$2" import --quiet --db "$tmp/db" $ARGS "$3" ||
	    bench_die "$2 import $3 failed"
	awk -v n="$1" '{ printf "%s %.2f %.2f\n", n, $1, $2 + $3 }' "$tmp/time"
}

for log in "$@"; do
	[ -r "$log" ] || bench_die "$log: cannot read"
	echo "== $log ($(wc -l <"$log") lines)  load: $(uptime | sed 's/.*average: //')"
	: >"$tmp/runs"
	_i=0
	while [ "$_i" -lt "$RUNS" ]; do
		ab_run A "$A" "$log" | tee -a "$tmp/runs"
		ab_run B "$B" "$log" | tee -a "$tmp/runs"
		_i=$((_i + 1))
	done
	for _n in A B; do
		if [ "$_n" = A ]; then _b=$A; else _b=$B; fi
		_w=$(awk -v n="$_n" '$1 == n { print $2 }' "$tmp/runs")
		_c=$(awk -v n="$_n" '$1 == n { print $3 }' "$tmp/runs")
		echo "$_n $_b: cpu min $(echo "$_c" | bench_min) med $(echo "$_c" | bench_median)" \
		    " wall min $(echo "$_w" | bench_min) med $(echo "$_w" | bench_median)"
	done
	if [ "$PFLOGSUMM" = 1 ]; then
		/usr/bin/time -f '%e %U %S' -o "$tmp/time" pflogsumm --detail 10 "$log" \
		    >/dev/null 2>&1 || bench_die "pflogsumm failed on $log"
		awk '{ printf "pflogsumm: wall %.2f cpu %.2f\n", $1, $2 + $3 }' "$tmp/time"
	fi
	echo "   load after: $(uptime | sed 's/.*average: //')"
done
