#!/bin/sh
# fuzz.sh -- build the libFuzzer targets of fuzz/ and run each for a
# bounded time.
#
# usage: scripts/fuzz.sh [SECONDS]	(per target; default 60)
#
# Builds fuzz_parse, fuzz_conf, fuzz_rules, fuzz_http, fuzz_gz and fuzz_daysum with clang
# (-fsanitize=fuzzer,address,undefined) from the sources in src/, seeds
# them from tests/data and fuzz/seeds, runs each for SECONDS, merges what
# they found into a corpus kept in the work directory, and prints the
# executions and executions per second of every target.  Exits 1 when any
# target found a crash, a leak, a timeout or ran out of memory, after
# printing the sanitizer report and the path of the reproducer
# (re-run it with: WORKDIR/bin/fuzz_TARGET REPRODUCER).
#
# Environment:
#   FUZZ_DIR            work directory (build, corpus, artifacts, logs);
#                       default ${TMPDIR:-/tmp}/bouncewatch-fuzz
#   FUZZ_CC             compiler (default clang)
#   FUZZ_TARGETS        targets to run (default "parse conf rules http gz daysum")
#   FUZZ_TIMEOUT        seconds one input may take (default 10)
#   FUZZ_PARSE_MAX_LEN  longest input for fuzz_parse (default 8192)
#   FUZZ_FLAGS          more libFuzzer flags for every target
#   FUZZ_SEED           libFuzzer's random seed (default: a new one each
#                       run); CI sets one, so that what a CI run tried is
#                       tried again by the same command
#   BW_BUILDDIR         a configured tree holding config.h; by default the
#                       source tree if it is configured, else configure
#                       runs in the work directory
#
# The quadratic-time check: FUZZ_TARGETS=parse FUZZ_PARSE_MAX_LEN=65536
# FUZZ_TIMEOUT=2 scripts/fuzz.sh 300
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-60}
case $secs in
''|*[!0-9]*)
	echo "usage: $0 [SECONDS]" >&2
	exit 2
	;;
esac
work=${FUZZ_DIR:-${TMPDIR:-/tmp}/bouncewatch-fuzz}
cc=${FUZZ_CC:-clang}
targets=${FUZZ_TARGETS:-parse conf rules http gz daysum}
timeout=${FUZZ_TIMEOUT:-10}
parse_max_len=${FUZZ_PARSE_MAX_LEN:-8192}
extra=${FUZZ_FLAGS:-}
case ${FUZZ_SEED:-} in
'') ;;
*[!0-9]*)
	echo "fuzz.sh: FUZZ_SEED must be a number" >&2
	exit 2
	;;
*) extra="-seed=$FUZZ_SEED $extra" ;;
esac

if ! command -v "$cc" >/dev/null 2>&1; then
	echo "fuzz.sh: $cc not found (libFuzzer needs clang)" >&2
	exit 2
fi
mkdir -p "$work/bin" "$work/logs" || exit 2

# config.h: from a configured tree, or configure one here
cfg=${BW_BUILDDIR:-}
if [ -z "$cfg" ] && [ -f "$top/config.h" ]; then
	cfg=$top
fi
if [ -z "$cfg" ]; then
	cfg=$work/cfg
	if [ ! -f "$cfg/config.h" ]; then
		echo "== configure (for config.h) in $cfg"
		[ -x "$top/configure" ] || (cd "$top" && ./bootstrap) >/dev/null ||
		    exit 2
		mkdir -p "$cfg"
		(cd "$cfg" && "$top/configure" --disable-unit-tests) \
		    >"$work/logs/configure.log" 2>&1 || {
			tail -30 "$work/logs/configure.log"
			exit 2
		}
	fi
fi
if [ ! -f "$cfg/config.h" ]; then
	echo "fuzz.sh: no config.h in $cfg" >&2
	exit 2
fi

# ---- build ----
flags="-std=c11 -g -O1 -fno-omit-frame-pointer -Wall -Wextra
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all"
pcre_cflags=$(pkg-config --cflags libpcre2-8) &&
    pcre_libs=$(pkg-config --libs libpcre2-8) || {
	echo "fuzz.sh: libpcre2-8 not found (apt-get install libpcre2-dev)" >&2
	exit 2
}
common="$top/src/tz.c $top/src/util.c $top/src/log.c"
for t in $targets; do
	libs=
	case $t in
	parse|rules) srcs="$top/src/parse.c $top/src/parse_syslog.c $top/src/parse_postfix.c
	    $top/src/parse_hurricane.c $top/src/classify.c $top/src/classify_table.c
	    $top/src/classify_scan.c $top/src/classify_oprules.c
	    $top/src/classify_trace.c $top/src/conf.c $top/src/hash.c $common" ;;
	conf) srcs="$top/src/conf.c $common" ;;
	http) srcs="$top/src/httpd.c $common" libs=-lev ;;
	gz)
		# input_gz.c inflates with ISA-L when configure found it
		srcs="$top/src/input.c $top/src/input_gz.c $common"
		libs="-lz -lpthread"
		if grep -q '^#define HAVE_ISAL 1' "$cfg/config.h"; then
			libs="$(pkg-config --libs libisal) $libs"
		fi
		;;
	daysum)
		srcs="$top/src/daysum.c $top/src/sketch.c $top/src/hash.c
		    $top/src/emit.c $common"
		libs="-lz -lm"
		;;
	*)
		echo "fuzz.sh: unknown target $t" >&2
		exit 2
		;;
	esac
	echo "== build fuzz_$t"
	# shellcheck disable=SC2086
	$cc $flags $pcre_cflags -I"$cfg" -I"$cfg/src" -I"$top/src" \
	    -o "$work/bin/fuzz_$t" "$top/fuzz/fuzz_$t.c" $srcs $pcre_libs $libs || exit 2
done

# ---- seeds ----
seeds=$work/seeds
rm -rf "$seeds"
mkdir -p "$seeds/parse" "$seeds/conf" "$seeds/rules" "$seeds/http" "$seeds/gz" \
    "$seeds/daysum"
data=$top/tests/data
# one file per log line
{
	for f in postfix-lines.txt real-postfix.txt hurricane-lines.txt; do
		sed -n 's/^line: //p' "$data/$f"
	done
	cat "$data/real-postfix.log"
	head -n 200 "$data/sample-mail.log"
	grep 'status=' "$data/sample-mail.log" | head -n 300
} | awk -v dir="$seeds/parse" '{ f = sprintf("%s/line-%05d", dir, NR);
	printf "%s\n", $0 > f; close(f) }'
if [ -d "$data/fuzz-regressions" ]; then
	for f in "$data/fuzz-regressions"/*; do
		[ -f "$f" ] || continue
		case ${f##*/} in
		rules-*) cp "$f" "$seeds/rules/" ;;
		*) cp "$f" "$seeds/parse/" ;;
		esac
	done
fi
cp "$top/fuzz/seeds/conf/"* "$seeds/conf/"
for f in "$top/etc/bouncewatch.conf" "$top/etc/bouncewatch.conf.in"; do
	[ -f "$f" ] && cp "$f" "$seeds/conf/"
done
cp "$top/fuzz/seeds/rules/"* "$seeds/rules/"
cp "$top/fuzz/seeds/http/"* "$seeds/http/"
cp "$top/fuzz/seeds/gz/"* "$seeds/gz/"
cp "$top/fuzz/seeds/daysum/"* "$seeds/daysum/"

# ---- run ----
# A blow-up is one input's work growing without bound: a single allocation
# over 256 MB is one, caught at once; so is a process past 2 GB.  The
# process limit is libFuzzer's default and sits well above the plateau a
# long run reaches without one, about 600 MB for fuzz_rules, most of it
# the freed memory AddressSanitizer holds back (its quarantine, 256 MB)
# and the bookkeeping of the many small blocks the parsers allocate.
limits="-rss_limit_mb=2048 -malloc_limit_mb=256"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
failed=0
summary=$work/logs/summary
: >"$summary"
for t in $targets; do
	bin=$work/bin/fuzz_$t
	corpus=$work/corpus/$t
	new=$work/new/$t
	art=$work/artifacts/$t
	log=$work/logs/$t.log
	rm -rf "$new"
	mkdir -p "$corpus" "$new" "$art"
	maxlen=
	[ "$t" = parse ] && maxlen=-max_len=$parse_max_len
	echo "== fuzz_$t for ${secs}s (log: $log)"
	start=$(date +%s)
	# shellcheck disable=SC2086
	"$bin" -max_total_time="$secs" $limits -timeout="$timeout" \
	    -dict="$top/fuzz/$t.dict" -artifact_prefix="$art/" \
	    -print_final_stats=1 $maxlen $extra \
	    "$new" "$corpus" "$seeds/$t" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	took=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" |
	    tail -n 1)
	[ -n "$took" ] || took=$(($(date +%s) - start))
	# keep what is new and adds coverage
	"$bin" -merge=1 $limits -timeout="$timeout" $maxlen \
	    "$corpus" "$new" >"$work/logs/$t.merge.log" 2>&1
	ncorpus=$(find "$corpus" -type f | wc -l)
	if [ $rc -eq 0 ]; then
		result=ok
	else
		result="FAILED (exit $rc)"
		failed=1
		echo "-- fuzz_$t: the report:"
		grep -n -m 1 -A 60 -e '^==[0-9]*==ERROR' -e 'runtime error' \
		    -e 'invariant violated' -e 'ALARM: working on the last Unit' \
		    -e 'out-of-memory' "$log" || tail -n 60 "$log"
		sed -n 's/.*Test unit written to \(.*\)$/-- reproducer: \1/p' "$log"
		echo "-- re-run: $bin REPRODUCER"
	fi
	for s in "$art"/slow-unit-*; do
		[ -f "$s" ] && echo "-- slow input (over 10 s): $s"
	done
	printf '%-12s %6ss %12s runs %10s exec/s %6s corpus  %s\n' \
	    "fuzz_$t" "${took:-?}" "${runs:-?}" "${eps:-?}" "$ncorpus" \
	    "$result" >>"$summary"
done
echo "== fuzzing summary (work dir $work)"
cat "$summary"
exit $failed
