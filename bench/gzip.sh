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
#          $TMPDIR, so a read-only bench/out is fine)
#
# Prints, per binary and input, the wall and CPU (user + sys) seconds of
# every round under GNU time, their medians, peak RSS, the load average
# before and after, and the .gz/plain ratios of the medians.

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

gz=$GZDIR/$(basename "$LOG").gz
if [ ! -s "$gz" ] || [ "$gz" -ot "$LOG" ]; then
	bench_note "gzip -6 $LOG > $gz"
	gzip -6 -c "$LOG" > "$gz.tmp" && mv "$gz.tmp" "$gz"
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-gzip.XXXXXX")
trap 'rm -rf "$work"' 0

echo "load before: $(cat /proc/loadavg)"
r=0
while [ "$r" -lt "$RUNS" ]; do
	r=$((r + 1))
	i=0
	for b in "$@"; do
		i=$((i + 1))
		for f in "$LOG" "$gz"; do
			k=plain
			case $f in *.gz) k=gz ;; esac
			rm -f "$work/db" "$work/db-wal" "$work/db-shm"
			/usr/bin/time -o "$work/t" -f '%e %U %S %M' \
			    "$b" import --quiet --db "$work/db" "$f"
			echo "$i $k $(cat "$work/t")" >> "$work/runs"
		done
	done
done
echo "load after:  $(cat /proc/loadavg)"

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
