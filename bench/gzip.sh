#!/bin/sh
# bench/gzip.sh -- a .gz import against the plain file's (issue 15's target:
# within 1.2x), for one or more bouncewatch binaries side by side.
#
#   bench/gzip.sh [BINARY...]          # default: <script dir>/../src/bouncewatch
#   LOG=bench/out/compare-5M.log RUNS=5 bench/gzip.sh /tmp/bw-base src/bouncewatch
#
# Environment:
#   LOG    the plain log (default: bench/out/compare-1M.log, made by compare.sh)
#   RUNS   rounds (default: 5); each round runs every binary on the plain
#          log and on its .gz, one after the other, into a fresh database
#   GZDIR  where LOG.gz is made with gzip -6 when missing or older (default:
#          $TMPDIR, so a read-only bench/out is fine); LOG.gz beside LOG
#          is used as it is when present (bench/out/scale/day30-1M.log.gz)
#   QUIET  on a shared machine: before each run wait (up to 20 s) until
#          other processes take less than QUIET cores (default 0.05; 0:
#          do not wait), and run again (up to 3 times) a run during which
#          they took more than 0.03 s of CPU
#
# Prints, per binary and input, the wall and CPU (user + sys) seconds of
# every round under GNU time, their medians, peak RSS, the load average
# before and after, the runs taken again, and the .gz/plain ratios of the
# medians.

set -eu

here=$(cd "$(dirname "$0")" && pwd)
bench_prog=gzip.sh
. "$here/lib-bench.sh"

LOG=${LOG:-$here/out/compare-1M.log}
RUNS=${RUNS:-5}
GZDIR=${GZDIR:-${TMPDIR:-/tmp}}
[ $# -gt 0 ] || set -- "$here/../src/bouncewatch"
[ -s "$LOG" ] || bench_die "no $LOG (bench/compare.sh makes it)"
bench_is_uint "$RUNS" || bench_die "RUNS: not a number"
[ -x /usr/bin/time ] || bench_die "GNU time missing (apt-get install time)"
for b in "$@"; do [ -x "$b" ] || bench_die "$b: not executable"; done

QUIET=${QUIET:-0.05}
gz=$GZDIR/$(basename "$LOG").gz
[ -s "$LOG.gz" ] && [ ! "$LOG.gz" -ot "$LOG" ] && gz=$LOG.gz
if [ ! -s "$gz" ] || [ "$gz" -ot "$LOG" ]; then
	bench_note "gzip -6 $LOG > $gz"
	gzip -6 -c "$LOG" > "$gz.tmp" && mv "$gz.tmp" "$gz"
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-gzip.XXXXXX")
trap 'rm -rf "$work"' 0

# gzip_busy: CPU seconds all processes took so far (/proc/stat)
gzip_busy() {
	awk -v hz="$(getconf CLK_TCK)" 'NR == 1 {
		printf "%.3f\n", ($2 + $3 + $4 + $7 + $8 + $9) / hz; exit }' /proc/stat
}
# gzip_quiet: wait until other processes leave the machine alone
gzip_quiet() {
	[ "$QUIET" != 0 ] || return 0
	_i=0
	while [ "$_i" -lt 60 ]; do
		_b=$(gzip_busy)
		sleep 0.3
		awk -v a="$_b" -v b="$(gzip_busy)" -v q="$QUIET" \
		    'BEGIN { exit !((b - a) / 0.3 < q) }' && return 0
		_i=$((_i + 1))
	done
}
echo "load before: $(cat /proc/loadavg)"
again=0
r=0
while [ "$r" -lt "$RUNS" ]; do
	r=$((r + 1))
	i=0
	for b in "$@"; do
		i=$((i + 1))
		for f in "$LOG" "$gz"; do
			k=plain
			case $f in *.gz) k=gz ;; esac
			a=0
			while :; do
				rm -f "$work/db" "$work/db-wal" "$work/db-shm"
				gzip_quiet
				b0=$(gzip_busy)
				/usr/bin/time -o "$work/t" -f '%e %U %S %M' \
				    "$b" import --quiet --db "$work/db" "$f"
				b1=$(gzip_busy)
				a=$((a + 1))
				[ "$QUIET" != 0 ] && [ "$a" -le 3 ] && awk -v a="$b0" -v b="$b1" \
				    -v t="$(cat "$work/t")" 'BEGIN { split(t, x, " ")
				    exit !(b - a - x[2] - x[3] > 0.03) }' || break
				again=$((again + 1))
			done
			echo "$i $k $(cat "$work/t")" >> "$work/runs"
		done
	done
done
echo "load after:  $(cat /proc/loadavg); runs taken again: $again"

i=0
for b in "$@"; do
	i=$((i + 1))
	echo "== $i: $b"
	awk -v i="$i" '
	function med(s,   a, n, j, k, t) {
		n = split(s, a, " ")
		for (j = 1; j <= n; j++)
			for (k = j + 1; k <= n; k++)
				if (a[k] + 0 < a[j] + 0) { t = a[j]; a[j] = a[k]; a[k] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	$1 == i { w[$2] = w[$2] " " $3; c[$2] = c[$2] " " ($4 + $5); m[$2] = $6 }
	END {
		for (k in w)
			printf "%-5s wall%s  median %.2f s | cpu%s  median %.2f s | rss %d KiB\n",
			    k, w[k], med(w[k]), c[k], med(c[k]), m[k]
		printf ".gz/plain: wall %.2fx, cpu %.2fx\n",
		    med(w["gz"]) / med(w["plain"]), med(c["gz"]) / med(c["plain"])
	}' "$work/runs"
done
