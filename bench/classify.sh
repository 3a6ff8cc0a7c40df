#!/bin/sh
# bench/classify.sh -- throughput and peak memory of "bouncewatch classify".
#
#   bench/classify.sh                 # uses ../src/bouncewatch next to this script
#   BW=/path/to/bouncewatch bench/classify.sh
#
# Environment:
#   BW     bouncewatch binary      (default: <script dir>/../src/bouncewatch)
#   LINES  log size in lines       (default: 1000000)
#   RUNS   timed runs per command  (default: 5; the median is reported)
#   SEED   genlog.py seed          (default: 1)
#
# Builds nothing.  Generates bench/out/classify-1M.log (or -<LINES>.log) with
# genlog.py when it is missing or stale, then times, RUNS times each:
#   bouncewatch classify --format tsv FILE > /dev/null
#   cat FILE > /dev/null                (reference: reading the file)
#   grep -c status= FILE                (reference: one pass with a matcher)
# and prints a markdown table row and the exact commands.  See bench/README.md.

set -eu

here=$(cd "$(dirname "$0")" && pwd)
BW=${BW:-$here/../src/bouncewatch}
LINES=${LINES:-1000000}
RUNS=${RUNS:-5}
SEED=${SEED:-1}

die() { echo "classify.sh: $*" >&2; exit 1; }

case $LINES in ''|*[!0-9]*) die "LINES must be a number, not '$LINES'" ;; esac
case $RUNS in ''|*[!0-9]*|0) die "RUNS must be a positive number, not '$RUNS'" ;; esac

if [ ! -f "$BW" ] || [ ! -x "$BW" ]; then
	die "bouncewatch binary not found or not executable: $BW
  build it first (cd $(dirname "$here") && ./bootstrap && ./configure && make)
  or point BW= at a built binary."
fi
BW=$(cd "$(dirname "$BW")" && pwd)/$(basename "$BW")

if [ ! -x /usr/bin/time ]; then
	echo "classify.sh: /usr/bin/time missing, installing the 'time' package" >&2
	if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
		apt-get install -y -qq time >/dev/null 2>&1 ||
			{ apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq time >/dev/null 2>&1; } ||
			die "could not install the 'time' package"
	else
		die "/usr/bin/time (GNU time) is required: apt-get install time"
	fi
fi
command -v python3 >/dev/null 2>&1 || die "python3 is required to generate the log"

if [ "$LINES" -eq 1000000 ]; then label=1M; else label=$LINES; fi
out=$here/out
log=$out/classify-$label.log
mkdir -p "$out"
[ -f "$out/.gitignore" ] || echo '*' > "$out/.gitignore"

# Regenerate when the log is missing or was made by another genlog.py or
# other arguments (the stamp holds the generator's checksum and arguments).
stamp="$(cksum < "$here/genlog.py" | tr -s ' \t' '-') lines=$LINES seed=$SEED"
if [ ! -s "$log" ] || [ "$(cat "$log.stamp" 2>/dev/null)" != "$stamp" ]; then
	echo "classify.sh: generating $log ($LINES lines, seed $SEED)" >&2
	rm -f "$log.stamp"
	python3 "$here/genlog.py" --lines "$LINES" --seed "$SEED" > "$log.tmp" ||
		{ rm -f "$log.tmp"; die "genlog.py failed"; }
	mv "$log.tmp" "$log"
	echo "$stamp" > "$log.stamp"
fi
nlines=$(wc -l < "$log" | tr -d ' ')
nbytes=$(wc -c < "$log" | tr -d ' ')

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bwbench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

# Warm the page cache so every run reads from memory.
cat "$log" > /dev/null

# Wall time comes from date(1) in nanoseconds around each run (GNU time's
# %e has 10 ms resolution, too coarse for cat); peak RSS from GNU time's %M.
case $(date +%N) in *N*|'') nsdate=no ;; *) nsdate=yes ;; esac

# timeit NAME OUT CMD...: run CMD RUNS times under GNU time with stdout to
# OUT; leaves "elapsed-seconds max-rss-KiB" lines in $tmp/NAME.
timeit() {
	name=$1 dest=$2; shift 2
	: > "$tmp/$name"
	i=0
	while [ "$i" -lt "$RUNS" ]; do
		rc=0
		t0=$(date +%s%N)
		/usr/bin/time -f '%e %M' -o "$tmp/t" "$@" > "$dest" 2> "$tmp/err" || rc=$?
		t1=$(date +%s%N)
		# grep -c exits 1 when nothing matched: not an error here
		if [ "$rc" -ne 0 ] && ! { [ "$name" = grep ] && [ "$rc" -eq 1 ]; }; then
			echo "classify.sh: '$*' exited with status $rc:" >&2
			tail -n 5 "$tmp/err" >&2
			exit 1
		fi
		if [ "$nsdate" = yes ]; then
			tail -n 1 "$tmp/t" | awk -v a="$t0" -v b="$t1" '{printf "%.4f %s\n", (b - a) / 1e9, $2}' >> "$tmp/$name"
		else
			tail -n 1 "$tmp/t" >> "$tmp/$name"
		fi
		i=$((i + 1))
	done
}

# median elapsed seconds
median() { cut -d' ' -f1 "$tmp/$1" | sort -n | awk '{a[NR]=$1} END{ if (NR%2) print a[(NR+1)/2]; else printf "%.4f\n", (a[NR/2]+a[NR/2+1])/2 }'; }
# peak RSS over all runs, MiB
peakrss() { cut -d' ' -f2 "$tmp/$1" | sort -n | tail -n 1 | awk '{printf "%.1f", $1/1024}'; }
# lines per second for a median time
rate() { awk -v n="$nlines" -v s="$1" 'BEGIN{ if (s <= 0) print "-"; else printf "%.0f", n/s }'; }

# grep's output goes to a file: GNU grep stops at the first match when its
# stdout is /dev/null, which would time nothing.
timeit bw /dev/null "$BW" classify --format tsv "$log"
timeit cat /dev/null cat "$log"
timeit grep "$tmp/grep.out" grep -c status= "$log"

bw_s=$(median bw); cat_s=$(median cat); grep_s=$(median grep)
bw_rate=$(rate "$bw_s"); cat_rate=$(rate "$cat_s"); grep_rate=$(rate "$grep_s")
bw_rss=$(peakrss bw)
mib=$(awk -v b="$nbytes" 'BEGIN{printf "%.0f", b/1048576}')

cpu=$(awk -F': *' '/^model name/{print $2; exit}' /proc/cpuinfo 2>/dev/null || true)
[ -n "$cpu" ] || cpu=$(uname -m)
ncpu=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?')
rev=$(cd "$here/.." && git describe --always --dirty 2>/dev/null || echo '-')
ver=$("$BW" --version 2>/dev/null | head -n 1 || true)
if [ -z "$ver" ]; then ver=$rev; elif [ "$rev" != - ]; then ver="$ver ($rev)"; fi
day=$(date -u +%Y-%m-%d)

echo
echo "| date | machine | bouncewatch | log | runs | classify median s | classify lines/s | classify peak RSS MiB | cat lines/s | grep -c lines/s |"
echo "|---|---|---|---|---|---|---|---|---|---|"
echo "| $day | $cpu, $ncpu CPU | $ver | $nlines lines, $mib MiB | $RUNS | $bw_s | $bw_rate | $bw_rss | $cat_rate | $grep_rate |"
echo
echo "Commands (each run $RUNS times, median wall time, page cache warm):"
echo "  /usr/bin/time -f '%e %M' $BW classify --format tsv $log > /dev/null"
echo "  /usr/bin/time -f '%e %M' cat $log > /dev/null"
echo "  /usr/bin/time -f '%e %M' grep -c status= $log > FILE    # not /dev/null: GNU grep would stop at the first match"
echo "  log: python3 $here/genlog.py --lines $LINES --seed $SEED > $log"
echo "Raw (wall s, max RSS KiB) per run:"
printf '  classify: %s\n' "$(tr '\n' ' ' < "$tmp/bw")"
printf '  cat:      %s\n' "$(tr '\n' ' ' < "$tmp/cat")"
printf '  grep -c:  %s\n' "$(tr '\n' ' ' < "$tmp/grep")"
