#!/bin/sh
# bench/compare.sh -- bouncewatch side by side with the tools users would
# pick instead (pflogsumm, mtail's postfix program, postfix_exporter), from
# one run on one machine over the same generated logs.  Writes
# bench/RESULTS.md (figures, machine, exact commands, raw runs) and the
# summary block of bench/README.md.  See "compare.sh" in bench/README.md.
#
#   bench/compare.sh
#   RUNS=5 SIZES="1000000" LIVE=0 bench/compare.sh
#
# Environment (defaults in brackets):
#   BW          bouncewatch binary            [<script dir>/../src/bouncewatch]
#   BWD         bouncewatchd binary           [<script dir>/../src/bouncewatchd]
#   SIZES       log sizes in lines            [1000000 5000000]
#   RUNS        runs per tool and size        [3]  (medians are reported)
#   SEED        genlog.py seed                [1]
#   EXPORTER    1: time postfix_exporter too  [1]
#   LIVE        1: measure the live daemon    [1]
#   LAT_SAMPLES append-to-queryable samples   [25]
#   IDLE_SECS   idle CPU window, seconds      [30]
#   RATES       fixed writer rates, lines/s   [1000 10000 100000]
#   RATE_SECS   seconds per fixed rate        [10]
#   MAX_RUNS    runs of the all-at-once append [3]
#   RESULTS     output file                   [<script dir>/RESULTS.md]
#   README      README whose marked block is updated ("-" for none)
#                                             [<script dir>/README.md]
#
# Builds nothing: build bouncewatch first.  Installs the peers from Debian
# with apt-get when they are missing (as root).  Every background process
# is killed on exit; every wait has a timeout; nothing listens beyond
# 127.0.0.1.

set -eu

here=$(cd "$(dirname "$0")" && pwd)
bench_prog=compare.sh
. "$here/lib-bench.sh"

BW=${BW:-$here/../src/bouncewatch}
BWD=${BWD:-$here/../src/bouncewatchd}
SIZES=${SIZES:-1000000 5000000}
RUNS=${RUNS:-3}
SEED=${SEED:-1}
EXPORTER=${EXPORTER:-1}
LIVE=${LIVE:-1}
LAT_SAMPLES=${LAT_SAMPLES:-25}
IDLE_SECS=${IDLE_SECS:-30}
RATES=${RATES:-1000 10000 100000}
RATE_SECS=${RATE_SECS:-10}
MAX_RUNS=${MAX_RUNS:-3}
RESULTS=${RESULTS:-$here/RESULTS.md}
README=${README:-$here/README.md}
WAIT_MAX=900            # longest any single wait may take, seconds

for _v in RUNS SEED LAT_SAMPLES IDLE_SECS RATE_SECS MAX_RUNS; do
	eval "_x=\$$_v"
	bench_is_uint "$_x" || bench_die "$_v must be a number, not '$_x'"
done
[ "$RUNS" -ge 1 ] || bench_die "RUNS must be at least 1"
for _s in $SIZES $RATES; do bench_is_uint "$_s" || bench_die "SIZES/RATES: '$_s' is not a number"; done
# the live rates write the largest log's lines one after the other: with
# too few, the last rate wrote nothing and its probe was waited for WAIT_MAX s
if [ "$LIVE" = 1 ]; then
	_need=0 _big=0
	for _r in $RATES; do _need=$((_need + _r * RATE_SECS)); done
	for _s in $SIZES; do [ "$_s" -le "$_big" ] || _big=$_s; done
	[ "$_need" -le "$_big" ] || bench_die "RATES x RATE_SECS need $_need lines;" \
	    "the largest of SIZES has $_big: add a larger size (5000000) or lower RATES"
fi

[ -x "$BW" ] || bench_die "bouncewatch binary not found or not executable: $BW
  build it first (cd $(dirname "$here") && ./bootstrap && ./configure && make)"
BW=$(cd "$(dirname "$BW")" && pwd)/$(basename "$BW")
BWD=$(cd "$(dirname "$BWD")" 2>/dev/null && pwd)/$(basename "$BWD")
rev=$(cd "$here/.." && git describe --always --dirty 2>/dev/null || echo -)

# ---------------------------------------------------------------- set-up

bench_apt_install time sqlite3 curl python3 pflogsumm mtail prometheus-postfix-exporter

out=$here/out
mkdir -p "$out"
[ -f "$out/.gitignore" ] || echo '*' > "$out/.gitignore"
# big scratch files (copies of the logs) go to bench/out, not a tmpfs
tmp=$(mktemp -d "$out/compare.XXXXXX")
: > "$tmp/pids"

cleanup() {
	trap - EXIT INT TERM
	if [ -f "$tmp/pids" ]; then
		for _p in $(cat "$tmp/pids"); do bench_stop "$_p" || true; done
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# track PID for the exit trap
track() { echo "$1" >> "$tmp/pids"; }

# Run copies of the binaries: the tree may be rebuilt while this runs.
BW_SRC=$BW BWD_SRC=$BWD
mkdir -p "$tmp/bin"
cp "$BW" "$tmp/bin/bouncewatch" && BW=$tmp/bin/bouncewatch
if [ -x "$BWD" ]; then cp "$BWD" "$tmp/bin/bouncewatchd" && BWD=$tmp/bin/bouncewatchd; fi
bw_ver=$("$BW" --version 2>/dev/null | head -n 1 || true)

clk=$(getconf CLK_TCK)
raw=$tmp/raw                 # size tool run wall_s cpu_s maxrss_kib load1
: > "$raw"
started=$(date -u '+%Y-%m-%d %H:%M UTC')
uptime_start=$(uptime)

# mtail's postfix example program as Debian ships it
mkdir -p "$tmp/mtail-progs"
mtail_prog=
for _f in /usr/share/doc/mtail/examples/postfix.mtail /usr/share/doc/mtail/examples/postfix.mtail.gz; do
	[ -f "$_f" ] && { mtail_prog=$_f; break; }
done
[ -n "$mtail_prog" ] || bench_die "mtail's postfix example not found under /usr/share/doc/mtail/examples"
zcat -f "$mtail_prog" > "$tmp/mtail-progs/postfix.mtail"

# ------------------------------------------------------------------ logs

for _s in $SIZES; do
	bench_genlog "$here/genlog.py" "$_s" "$SEED" "$out/compare-$(bench_label "$_s").log"
done

# --------------------------------------------------------- batch: timing

# run_tool TOOL SIZE RUN LOG: one timed run, appends a line to $raw.
run_tool() {
	_tool=$1 _size=$2 _run=$3 _log=$4 _dest=/dev/null
	case $_tool in
	bouncewatch)
		rm -f "$tmp/bw.db" "$tmp/bw.db-wal" "$tmp/bw.db-shm" "$tmp/bw.db-journal"
		set -- "$BW" import --quiet --db "$tmp/bw.db" "$_log" ;;
	pflogsumm)
		_dest=$tmp/pflogsumm.out
		set -- pflogsumm --detail 10 "$_log" ;;
	mtail)
		_dest=$tmp/mtail.out
		set -- mtail --one_shot --one_shot_format json --progs "$tmp/mtail-progs" \
			--logs "$_log" --logtostderr --address 127.0.0.1 --port 0 ;;
	cat)
		set -- cat "$_log" ;;
	grep)
		# to a file: GNU grep stops at the first match when stdout is /dev/null
		_dest=$tmp/grep.out
		set -- grep -c status= "$_log" ;;
	exporter)
		run_exporter "$_size" "$_run" "$_log"
		return ;;
	esac
	_load=$(bench_load1)
	_rc=0
	_t0=$(bench_now)
	/usr/bin/time -f '%e %U %S %M' -o "$tmp/time" "$@" > "$_dest" 2> "$tmp/err" || _rc=$?
	_t1=$(bench_now)
	if [ "$_rc" -ne 0 ] && ! { [ "$_tool" = grep ] && [ "$_rc" -eq 1 ]; }; then
		tail -n 5 "$tmp/err" >&2
		bench_die "'$*' exited with status $_rc"
	fi
	tail -n 1 "$tmp/time" | awk -v s="$_size" -v t="$_tool" -v r="$_run" -v a="$_t0" -v b="$_t1" -v l="$_load" \
		'{printf "%s %s %s %.4f %.2f %s %s\n", s, t, r, b - a, $2 + $3, $4, l}' >> "$raw"
	tail -n 1 "$raw" >&2
}

# exporter_progress PORT: sum of all postfix_* samples but histogram buckets.
exporter_progress() {
	curl -s --max-time 2 "http://127.0.0.1:$1/metrics" 2>/dev/null |
		awk '/^postfix_/ && !/_bucket/ {s += $NF} END {printf "%.6f\n", s}'
}

# run_exporter SIZE RUN LOG: prometheus-postfix-exporter cannot be pointed
# at a finished file (it seeks to the end on start), so it follows an empty
# file and LOG is appended to it in one go; the time is from the start of the
# append to the first /metrics poll that shows the final counters.
run_exporter() {
	_f=$tmp/exporter-follow.log
	: > "$_f"
	_port=$(bench_free_port)
	prometheus-postfix-exporter --web.listen-address="127.0.0.1:$_port" \
		--postfix.logfile_path="$_f" --postfix.showq_path="$tmp/no-showq" \
		> "$tmp/exporter.err" 2>&1 &
	_pid=$!
	track "$_pid"
	_n=0
	until curl -s --max-time 1 -o /dev/null "http://127.0.0.1:$_port/metrics"; do
		kill -0 "$_pid" 2>/dev/null || { cat "$tmp/exporter.err" >&2; bench_die "exporter exited"; }
		[ "$_n" -lt 150 ] || bench_die "exporter did not answer on 127.0.0.1:$_port in 15 s"
		sleep 0.1; _n=$((_n + 1))
	done
	_v0=$(exporter_progress "$_port")
	_c0=$(bench_cpu_ticks "$_pid")
	_load=$(bench_load1)
	_t0=$(bench_now)
	cat "$3" >> "$_f"
	_last=$_v0 _tlast=$_t0
	while :; do
		sleep 0.1
		_now=$(bench_now)
		_v=$(exporter_progress "$_port")
		if [ "$_v" != "$_last" ]; then
			_last=$_v _tlast=$_now
		elif [ "$_last" != "$_v0" ] && awk -v a="$_tlast" -v b="$_now" 'BEGIN{exit !(b - a >= 3)}'; then
			break        # unchanged for 3 s: done
		fi
		awk -v a="$_t0" -v b="$_now" -v m="$WAIT_MAX" 'BEGIN{exit !(b - a > m)}' &&
			bench_die "exporter still counting after $WAIT_MAX s"
	done
	_c1=$(bench_cpu_ticks "$_pid")
	_hwm=$(bench_status_kib "$_pid" VmHWM)
	curl -s --max-time 2 "http://127.0.0.1:$_port/metrics" > "$tmp/exporter.metrics" 2>/dev/null || true
	bench_stop "$_pid" || true
	rm -f "$_f"
	awk -v s="$1" -v r="$2" -v a="$_t0" -v b="$_tlast" -v c0="$_c0" -v c1="$_c1" -v k="$clk" -v h="$_hwm" -v l="$_load" \
		'BEGIN{printf "%s exporter %s %.4f %.2f %s %s\n", s, r, b - a, (c1 - c0) / k, h, l}' >> "$raw"
	tail -n 1 "$raw" >&2
}

tools="bouncewatch pflogsumm mtail cat grep"
[ "$EXPORTER" = 1 ] && tools="bouncewatch pflogsumm mtail exporter cat grep"
ntools=$(echo $tools | wc -w)

for size in $SIZES; do
	label=$(bench_label "$size")
	log=$out/compare-$label.log
	cat "$log" > /dev/null          # warm the page cache
	echo "$label $(uptime)" >> "$tmp/uptimes"
	run=1
	while [ "$run" -le "$RUNS" ]; do
		# rotate the order, so each tool runs first, second, ... in turn
		_i=0 _order=
		for _t in $tools; do
			if [ "$_i" -ge "$(((run - 1) % ntools))" ]; then _order="$_order $_t"; fi
			_i=$((_i + 1))
		done
		_i=0
		for _t in $tools; do
			if [ "$_i" -lt "$(((run - 1) % ntools))" ]; then _order="$_order $_t"; fi
			_i=$((_i + 1))
		done
		bench_note "$label run $run/$RUNS:$_order (load $(bench_load1))"
		for _t in $_order; do run_tool "$_t" "$size" "$run" "$log"; done
		run=$((run + 1))
	done
	echo "$label $(uptime)" >> "$tmp/uptimes"

	# What each tool reported from this file (outputs of its last run).
	awk '/status=sent/{s++} /status=deferred/{d++} /status=bounced/{b++} /status=expired/{e++}
	     END{printf "%d %d %d %d\n", s, d, b, e}' "$log" > "$tmp/truth-$label"
	sqlite3 -readonly "$tmp/bw.db" "select s.name, count(*) from failure f join status s on s.id = f.status_id group by 1 order by 1" \
		> "$tmp/bw-status-$label"
	sqlite3 -readonly "$tmp/bw.db" "select count(*) from failure" > "$tmp/bw-failures-$label"
	cp "$tmp/pflogsumm.out" "$tmp/pflogsumm-$label.out"
	cp "$tmp/mtail.out" "$tmp/mtail-$label.out"
	if [ "$EXPORTER" = 1 ]; then cp "$tmp/exporter.metrics" "$tmp/exporter-$label.metrics"; fi
done

# ------------------------------------------------------------ live daemon

# The daemon: bouncewatchd -f -c CONF, CONF of "key = value" lines.
live_status="not measured"
bwd_start() {   # DIR: start a daemon following DIR/mail.log into DIR/bw.db
	cat > "$1/bouncewatchd.conf" <<-EOF
	log = $1/mail.log
	database = $1/bw.db
	pidfile = $1/bouncewatchd.pid
	commit_interval = 250ms
	start = beginning
	EOF
	[ -e "$1/mail.log" ] || : > "$1/mail.log"
	"$BWD" -f -c "$1/bouncewatchd.conf" > "$1/daemon.out" 2> "$1/daemon.err" &
	bwd_pid=$!
	track "$bwd_pid"
	_n=0
	until [ -s "$1/bw.db" ] && sqlite3 -readonly "$1/bw.db" "select count(*) from failure" >/dev/null 2>&1; do
		kill -0 "$bwd_pid" 2>/dev/null || { tail -n 5 "$1/daemon.err" >&2; return 1; }
		[ "$_n" -lt 150 ] || { bench_note "daemon made no database in 15 s"; return 1; }
		sleep 0.1; _n=$((_n + 1))
	done
}

# a bounced delivery line with queue id QID, time stamp TS (bsd format)
probe_line() {
	printf '%s mx1 postfix/smtp[4242]: %s: to=<probe-%s@latency.example>, relay=mx.latency.example[192.0.2.10]:25, delay=0.5, delays=0.1/0/0.2/0.2, dsn=5.1.1, status=bounced (host mx.latency.example[192.0.2.10] said: 550 5.1.1 <probe-%s@latency.example>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command))\n' \
		"$2" "$1" "$1" "$1"
}

# wait_qid DIR QID SECONDS: wait until the failure with QID is queryable.
wait_qid() {
	_deadline=$(awk -v a="$(bench_now)" -v m="$3" 'BEGIN{printf "%.3f", a + m}')
	while :; do
		_c=$(sqlite3 -readonly -cmd '.timeout 2000' "$1/bw.db" "select count(*) from failure where queue_id = '$2'" 2>/dev/null || echo 0)
		[ "${_c:-0}" -ge 1 ] 2>/dev/null && return 0
		awk -v a="$(bench_now)" -v d="$_deadline" 'BEGIN{exit !(a > d)}' && return 1
		sleep 0.05
	done
}

marker_n=0
# next_qid: set q to a fresh marker queue id (not in a subshell: it counts)
next_qid() { marker_n=$((marker_n + 1)); q=$(printf 'FEED%06X' "$marker_n"); }

cat > "$tmp/writer.py" <<'EOF'
# writer.py SRC DEST RATE SECONDS SKIP: append lines of SRC (after the first
# SKIP) to DEST at RATE lines/s for SECONDS, in 10 ms ticks; prints
# "lines_written elapsed_s" and, on a second line, the time stamp of the
# last line written (the first 15 characters: bsd format).
import itertools, os, sys, time
src, dest = sys.argv[1], sys.argv[2]
rate, secs, skip = int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
fd = os.open(dest, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
tick = 0.01
with open(src, "rb") as f:
    for _ in itertools.islice(f, skip):
        pass
    written, last = 0, b""
    start = time.monotonic()
    while True:
        el = time.monotonic() - start
        if el >= secs:
            break
        due = int(rate * min(el + tick, secs)) - written
        if due > 0:
            chunk = list(itertools.islice(f, due))
            if not chunk:
                break
            os.write(fd, b"".join(chunk))
            written += len(chunk)
            last = chunk[-1]
        pause = start + (int(el / tick) + 1) * tick - time.monotonic()
        if pause > 0:
            time.sleep(pause)
    elapsed = time.monotonic() - start
os.close(fd)
print(written, "%.3f" % elapsed)
print(last[:15].decode())
EOF

cat > "$tmp/latency.py" <<'EOF'
# latency.py LOG DB SAMPLES PREFIX: append one uniquely identifiable failure
# line at a time to LOG and poll DB (read-only) every 1 ms until it is
# queryable; the first sample is a warm-up and is dropped.  The pause between
# samples is random (0.15-0.45 s, fixed seed) so the appends fall at random
# phases of the daemon's commit timer.  Prints one latency (ms) per line, or
# "timeout".
import os, random, sqlite3, sys, time
log, db, n, prefix = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
rnd = random.Random(1)
fd = os.open(log, os.O_WRONLY | os.O_APPEND)
con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=2.0)
for i in range(n + 1):
    qid = "%s%04X" % (prefix, i)
    ts = time.strftime("%b %e %H:%M:%S")
    line = ("%s mx1 postfix/smtp[4242]: %s: to=<lat-%s@latency.example>, "
            "relay=mx.latency.example[192.0.2.10]:25, delay=0.5, delays=0.1/0/0.2/0.2, "
            "dsn=5.1.1, status=bounced (host mx.latency.example[192.0.2.10] said: "
            "550 5.1.1 <lat-%s@latency.example>: Recipient address rejected: User unknown "
            "in virtual mailbox table (in reply to RCPT TO command))\n") % (ts, qid, qid, qid)
    t0 = time.monotonic()
    os.write(fd, line.encode())
    found = False
    while time.monotonic() - t0 < 10:
        try:
            found = con.execute("select count(*) from failure where queue_id = ?", (qid,)).fetchone()[0] > 0
        except sqlite3.OperationalError:
            found = False
        if found:
            break
        time.sleep(0.001)
    dt = (time.monotonic() - t0) * 1000
    if i > 0:
        print("%.1f" % dt if found else "timeout", flush=True)
    time.sleep(rnd.uniform(0.15, 0.45))
EOF

live_reason=
if [ "$LIVE" != 1 ]; then
	live_reason="skipped (LIVE=$LIVE)"
elif [ ! -x "$BWD" ]; then
	live_reason="$BWD is missing"
elif "$BWD" -h 2>&1 | grep -qi 'not built yet'; then
	live_reason="bouncewatchd is a stub (\`bouncewatchd -h\` says \"$("$BWD" -h 2>&1 | head -n 1)\")"
else
	# trial: one failure line must become queryable, SIGTERM must stop it
	d=$tmp/live-trial
	mkdir -p "$d"
	probe_line TRIAL00001 "$(date '+%b %e %H:%M:%S')" > "$d/mail.log"
	if ! bwd_start "$d"; then
		live_reason="\`bouncewatchd -f -c CONF\` did not start: $(tail -n 1 "$d/daemon.err" 2>/dev/null)"
	elif ! wait_qid "$d" TRIAL00001 15; then
		live_reason="bouncewatchd ran but stored no failure from a one-line log within 15 s"
	fi
	bench_stop "$bwd_pid" || live_reason=${live_reason:-"bouncewatchd did not stop on SIGTERM within 10 s"}
fi

if [ -z "$live_reason" ]; then
	live_status=measured
	big=$(echo $SIZES | tr ' ' '\n' | sort -n | tail -n 1)
	biglog=$out/compare-$(bench_label "$big").log

	# 1. CPU while idle
	d=$tmp/live-idle; mkdir -p "$d"
	head -n 1000 "$biglog" > "$d/mail.log"
	bwd_start "$d" || bench_die "daemon failed to start (idle)"
	next_qid; probe_line "$q" "$(tail -n 1 "$d/mail.log" | cut -c1-15)" >> "$d/mail.log"
	wait_qid "$d" "$q" 30 || bench_die "daemon did not catch up with 1000 lines in 30 s"
	sleep 2
	c0=$(bench_cpu_ticks "$bwd_pid"); w0=$(awk '/^voluntary_ctxt_switches/{print $2}' "/proc/$bwd_pid/status")
	idle_load=$(bench_load1)
	sleep "$IDLE_SECS"
	c1=$(bench_cpu_ticks "$bwd_pid"); w1=$(awk '/^voluntary_ctxt_switches/{print $2}' "/proc/$bwd_pid/status")
	idle_rss=$(bench_status_kib "$bwd_pid" VmRSS)
	bench_stop "$bwd_pid" || bench_note "daemon needed SIGKILL (idle)"
	idle_cpu=$(awk -v a="$c0" -v b="$c1" -v k="$clk" 'BEGIN{printf "%.2f", (b - a) / k}')
	idle_ticks=$((c1 - c0))
	idle_wakeups=$((w1 - w0))
	bench_note "idle: $idle_ticks ticks ($idle_cpu s) over $IDLE_SECS s, $idle_wakeups voluntary context switches"

	# 2. latency from append to queryable: on an idle log, then with a
	#    background writer at 300 lines/s (genlog's default rate: a busy MX)
	d=$tmp/live-lat; mkdir -p "$d"
	bwd_start "$d" || bench_die "daemon failed to start (latency)"
	lat_load=$(bench_load1)
	timeout 300 python3 "$tmp/latency.py" "$d/mail.log" "$d/bw.db" "$LAT_SAMPLES" FEEDA0 > "$tmp/lat-idle" ||
		bench_die "latency.py (idle) failed"
	python3 "$tmp/writer.py" "$biglog" "$d/mail.log" 300 300 0 > "$tmp/lat-writer.out" &
	wpid=$!; track "$wpid"
	timeout 300 python3 "$tmp/latency.py" "$d/mail.log" "$d/bw.db" "$LAT_SAMPLES" FEEDB0 > "$tmp/lat-busy" ||
		bench_die "latency.py (busy) failed"
	bench_stop "$wpid" || true
	bench_stop "$bwd_pid" || bench_note "daemon needed SIGKILL (latency)"
	# the exact command the brief names, once, as a cross-check
	lat_cli=$(sqlite3 -readonly "$d/bw.db" "select count(*) from failure where queue_id = 'FEEDA00001'")

	# 3. fixed writer rates: does it keep up, and at what CPU cost
	d=$tmp/live-rate; mkdir -p "$d"
	bwd_start "$d" || bench_die "daemon failed to start (rates)"
	skip=0
	: > "$tmp/rates"
	for r in $RATES; do
		c0=$(bench_cpu_ticks "$bwd_pid")
		rload=$(bench_load1)
		timeout $((RATE_SECS + 120)) python3 "$tmp/writer.py" "$biglog" "$d/mail.log" "$r" "$RATE_SECS" "$skip" \
			> "$tmp/writer.out" || bench_die "writer.py failed at $r lines/s"
		wrote=$(sed -n '1s/ .*//p' "$tmp/writer.out")
		wsecs=$(sed -n '1s/.* //p' "$tmp/writer.out")
		wts=$(sed -n 2p "$tmp/writer.out")
		skip=$((skip + wrote))
		t0=$(bench_now)
		next_qid; probe_line "$q" "$wts" >> "$d/mail.log"
		if wait_qid "$d" "$q" "$WAIT_MAX"; then
			lag=$(awk -v a="$t0" -v b="$(bench_now)" 'BEGIN{printf "%.2f", b - a}')
		else
			lag=timeout
		fi
		c1=$(bench_cpu_ticks "$bwd_pid")
		cpu=$(awk -v a="$c0" -v b="$c1" -v k="$clk" -v w="$wsecs" -v g="$lag" \
			'BEGIN{ if (g == "timeout") g = 0; printf "%.1f", 100 * (b - a) / k / (w + g)}')
		echo "$r $wrote $wsecs $lag $cpu $rload" >> "$tmp/rates"
		bench_note "rate $r: wrote $wrote in $wsecs s, caught up $lag s after, CPU $cpu%"
	done
	rate_rss=$(bench_status_kib "$bwd_pid" VmHWM)
	bench_stop "$bwd_pid" || bench_note "daemon needed SIGKILL (rates)"

	# 4. as fast as it can, and RSS over the long run: the biggest log is
	#    appended in one go to the log the daemon follows; MAX_RUNS times,
	#    each with a fresh daemon and database
	: > "$tmp/maxruns"
	n=1
	while [ "$n" -le "$MAX_RUNS" ]; do
		d=$tmp/live-max$n; mkdir -p "$d"
		bwd_start "$d" || bench_die "daemon failed to start (max)"
		( while kill -0 "$bwd_pid" 2>/dev/null; do
			printf '%s %s\n' "$(bench_now)" "$(bench_status_kib "$bwd_pid" VmRSS)"
			sleep 0.5
		  done ) > "$tmp/rss-samples$n" 2>/dev/null &
		spid=$!; track "$spid"
		mload=$(bench_load1)
		c0=$(bench_cpu_ticks "$bwd_pid")
		t0=$(bench_now)
		cat "$biglog" >> "$d/mail.log"
		next_qid; probe_line "$q" "$(tail -n 1 "$biglog" | cut -c1-15)" >> "$d/mail.log"
		t_app=$(bench_now)
		if wait_qid "$d" "$q" "$WAIT_MAX"; then
			secs=$(awk -v a="$t0" -v b="$(bench_now)" 'BEGIN{printf "%.2f", b - a}')
		else
			secs=timeout
		fi
		c1=$(bench_cpu_ticks "$bwd_pid")
		cpu=$(awk -v a="$c0" -v b="$c1" -v k="$clk" 'BEGIN{printf "%.2f", (b - a) / k}')
		app=$(awk -v a="$t0" -v b="$t_app" 'BEGIN{printf "%.2f", b - a}')
		hwm=$(bench_status_kib "$bwd_pid" VmHWM)
		fails=$(sqlite3 -readonly "$d/bw.db" "select count(*) from failure")
		bench_stop "$spid" || true
		bench_stop "$bwd_pid" || bench_note "daemon needed SIGKILL (max)"
		rm -rf "$d"
		echo "$n $secs $cpu $app $hwm $mload $fails" >> "$tmp/maxruns"
		bench_note "max run $n: $big lines queryable after $secs s (append $app s), CPU $cpu s, VmHWM $hwm KiB"
		n=$((n + 1))
	done
	max_secs=$(awk '$2 != "timeout" {print $2}' "$tmp/maxruns" | bench_median)
	max_rate=$(awk -v n="$big" -v s="$max_secs" 'BEGIN{ if (s + 0 > 0) printf "%.0f", n / s; else print "-"}')
	max_cpu=$(awk '{print $3}' "$tmp/maxruns" | bench_median)
	append_secs=$(awk '{print $4}' "$tmp/maxruns" | bench_median)
	max_hwm=$(awk '{print $5}' "$tmp/maxruns" | bench_max)
	max_load=$(awk '{print $6}' "$tmp/maxruns" | bench_median)
	max_fail=$(awk '{print $7}' "$tmp/maxruns" | sort -u | tr '\n' ' ' | sed 's/ $//')
	max_timeouts=$(grep -c ' timeout ' "$tmp/maxruns" || true)
fi

# ---------------------------------------------------------------- report

mib() { awk -v k="$1" 'BEGIN{ if (k == "" || k == "-") print "-"; else printf "%.1f", k / 1024}'; }
# field F (4 wall, 5 cpu, 6 rss, 7 load) of SIZE/TOOL rows
col() { awk -v s="$1" -v t="$2" -v f="$3" '$1 == s && $2 == t {print $f}' "$raw"; }
med() { col "$1" "$2" "$3" | bench_median; }
# times_of A B: A / B as "N×" (2 decimals below 1)
times_of() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b + 0 <= 0 || a == "-") print "-"; else if (a / b < 1) printf "%.2f×", a / b; else printf "%.1f×", a / b}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (a + 0 <= 0 || b == "-") print "-"; else printf "%.1f", b / a}'; }
yesno() { awk -v v="$1" -v t="$2" -v op="$3" 'BEGIN{ if (v == "-") print "—"; else if ((op == ">=" && v + 0 >= t) || (op == "<=" && v + 0 <= t)) print "met"; else print "**missed**"}'; }

dver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo '?'; }

R=$tmp/RESULTS.md
{
echo "# bench/RESULTS.md — bouncewatch and the alternatives, one run, one machine"
echo
echo "Written by \`bench/compare.sh\` ($started); do not edit, rerun the script."
echo "How to read it and what each measurement means: \"compare.sh\" in [README.md](README.md)."
echo
echo "## Machine"
echo
bench_machine
echo
echo "| tool | version |"
echo "|---|---|"
echo "| bouncewatch | ${bw_ver:-?} (git $rev when the run started; \`$BW_SRC\`, copied at the start) |"
echo "| pflogsumm | $(dver pflogsumm) (Debian) |"
echo "| mtail | $(dver mtail) (Debian), program \`$mtail_prog\` |"
echo "| prometheus-postfix-exporter | $(dver prometheus-postfix-exporter) (Debian) |"
echo "| GNU grep / coreutils cat | $(dver grep) / $(dver coreutils) |"
echo "| sqlite3 / python3 | $(dver sqlite3) / $(python3 -c 'import platform; print(platform.python_version())') |"
echo
echo "Load: the machine has $(nproc) CPUs and is shared with other builds and fuzzers,"
echo "so every run records its 1-minute load average, and the tools run in rotating"
echo "order (run *k* starts with the *k*-th tool) so load falls on all of them alike."
echo
echo '```'
echo "start: $uptime_start"
cat "$tmp/uptimes"
echo "end:   $(uptime)"
echo '```'

for size in $SIZES; do
	label=$(bench_label "$size")
	log=$out/compare-$label.log
	nbytes=$(wc -c < "$log" | tr -d ' ')
	echo
	echo "## Batch: one ${label}-line log, start to finish"
	echo
	echo "\`$log\`: $size lines, $(awk -v b="$nbytes" 'BEGIN{printf "%.0f", b / 1048576}') MiB, page cache warm."
	echo "$RUNS runs per tool; wall and CPU (user+sys) are medians, RSS the largest of the runs."
	echo "The last two columns: the tool's median divided by bouncewatch import's (above 1: import is faster)."
	echo
	echo "| tool | median wall s | lines/s | median CPU s | peak RSS MiB | median load1 | wall ÷ import's | CPU ÷ import's |"
	echo "|---|---|---|---|---|---|---|---|"
	bw_w=$(med "$size" bouncewatch 4); bw_c=$(med "$size" bouncewatch 5)
	for t in $tools; do
		w=$(med "$size" "$t" 4); c=$(med "$size" "$t" 5)
		rss=$(col "$size" "$t" 6 | bench_max); l=$(med "$size" "$t" 7)
		lps=$(awk -v n="$size" -v s="$w" 'BEGIN{ if (s + 0 > 0) printf "%.0f", n / s; else print "-"}')
		case $t in
		bouncewatch) name="\`bouncewatch import\` (fresh DB)" ;;
		pflogsumm) name="\`pflogsumm --detail 10\`" ;;
		mtail) name="mtail \`--one_shot\`, postfix.mtail" ;;
		exporter) name="postfix_exporter (file appended, see below)" ;;
		cat) name="\`cat\` (floor)" ;;
		grep) name="\`grep -c status=\` (floor)" ;;
		esac
		rw=$(times_of "$w" "$bw_w"); rc=$(times_of "$c" "$bw_c")
		echo "| $name | $w | $lps | $c | $(mib "$rss") | $l | $rw | $rc |"
	done
	loads=$(for t in $tools; do med "$size" "$t" 7; done)
	spread=$(printf '%s\n' $loads | awk 'NR==1{a=b=$1} {if($1<a)a=$1; if($1>b)b=$1} END{printf "%.2f", b-a}')
	if awk -v s="$spread" 'BEGIN{exit !(s > 1.0)}'; then
		echo
		echo "**Uneven load**: the tools' median load differs by $spread; rerun for a fair comparison."
		bench_note "WARNING: uneven load at $label (spread $spread); consider rerunning"
	fi
done

echo
echo "## Targets (ratios from the same run)"
echo
echo "Verdicts are on wall time, as the targets are stated; CPU time (user+sys) in"
echo "parentheses is less disturbed by the other load on the machine."
echo
echo "| target | size | measured | verdict |"
echo "|---|---|---|---|"
for size in $SIZES; do
	label=$(bench_label "$size")
	bw_w=$(med "$size" bouncewatch 4)
	rp=$(ratio "$bw_w" "$(med "$size" pflogsumm 4)")
	rm_=$(ratio "$bw_w" "$(med "$size" mtail 4)")
	rg=$(awk -v a="$bw_w" -v b="$(med "$size" grep 4)" 'BEGIN{ if (b + 0 > 0) printf "%.1f", a / b; else print "-"}')
	bw_c=$(med "$size" bouncewatch 5)
	cp_=$(ratio "$bw_c" "$(med "$size" pflogsumm 5)")
	cm_=$(ratio "$bw_c" "$(med "$size" mtail 5)")
	rss=$(mib "$(col "$size" bouncewatch 6 | bench_max)")
	echo "| import ≥ 10× faster than pflogsumm (aim 20×) | $label | ${rp}× (CPU ${cp_}×) | $(yesno "$rp" 10 '>=')$(awk -v v="$rp" 'BEGIN{ if (v != "-" && v + 0 >= 20) print ", aim met"}') |"
	echo "| import ≥ 50× faster than mtail | $label | ${rm_}× (CPU ${cm_}×) | $(yesno "$rm_" 50 '>=') |"
	echo "| import peak RSS ≤ 32 MiB | $label | $rss MiB | $(yesno "$rss" 32 '<=') |"
	echo "| import within 5× of \`grep -c\` | $label | ${rg}× grep's time | $(yesno "$rg" 5 '<=') |"
done
set -- $SIZES
if [ $# -ge 2 ]; then
	a=$(col "$1" bouncewatch 6 | bench_max); b=$(col "$2" bouncewatch 6 | bench_max)
	echo "| import RSS does not grow with the log | $(bench_label "$1") → $(bench_label "$2") | $(mib "$a") → $(mib "$b") MiB | $(awk -v a="$a" -v b="$b" 'BEGIN{ if (b <= a * 1.1 + 1024) print "met"; else print "**grows**"}') |"
fi

echo
echo "## What each tool reported from the same file"
echo
echo "Not a speed figure: what the time above bought.  From each tool's last run."
echo
echo "| size | in the log (\`status=\` lines) | bouncewatch (failure rows by status) | pflogsumm (Grand Totals) | mtail postfix.mtail | postfix_exporter 0.3.0 |"
echo "|---|---|---|---|---|---|"
for size in $SIZES; do
	label=$(bench_label "$size")
	set -- $(cat "$tmp/truth-$label")
	truth="sent $1, deferred $2, bounced $3, expired $4"
	bws=$(tr '|' ' ' < "$tmp/bw-status-$label" | awk '{printf "%s%s %s", (NR>1?", ":""), $1, $2}')
	pfs=$(awk '!d && $2 == "delivered" {d = $1} !df && $2 == "deferred" {df = $1; x = $3; gsub(/[(]/, "", x)}
		!b && $2 == "bounced" {b = $1}
		END {printf "delivered %s, deferred %s (%s deferrals), bounced %s; expired not counted", d, df, x, b}' "$tmp/pflogsumm-$label.out")
	mts=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
st = [k for k in d if "status" in k or "bounce" in k or "deferred" in k]
print("%d metrics; no delivery-status metric%s" % (len(d), (" (" + ", ".join(st) + ")") if st else ""))' "$tmp/mtail-$label.out" 2>/dev/null || echo '?')
	if [ "$EXPORTER" = 1 ]; then
		exs=$(awk '/^postfix_smtp_status_deferred /{d=$2} /^postfix_smtp_deferred_messages_total /{m=$2}
			/^postfix_smtp_status_bounced/{b=$2}
			END{printf "status_deferred %s, deferred_messages %s; %s", d, m, (b == "" ? "no bounced or expired counter" : "bounced " b)}' "$tmp/exporter-$label.metrics")
	else
		exs="not run"
	fi
	echo "| $label | $truth | $bws | $pfs | $mts | $exs |"
done

echo
echo "## postfix_exporter: how it was fed"
echo
echo "prometheus-postfix-exporter $(dver prometheus-postfix-exporter) reads a file (\`--postfix.logfile_path\`) but"
echo "only as a follower: on start it seeks to the end of the file, so a finished log"
echo "yields nothing, and it never exits.  So it is started on an empty file, the"
echo "whole log is appended to that file in one \`cat\`, and \`/metrics\` on 127.0.0.1 is"
echo "polled every 0.1 s; its time is from the start of the append to the first poll"
echo "that shows the final counters (the sum of every \`postfix_*\` sample but histogram"
echo "buckets), once they have held for 3 s.  Its CPU is utime+stime from"
echo "/proc/PID/stat over that span, its RSS the process's VmHWM.  The figure includes"
echo "writing the copy (\`cat\`) and about 0.1 s of polling resolution; it is the"
echo "exporter's catch-up time on a backlog, the closest it comes to a one-shot run."

echo
echo "## Live daemon (bouncewatchd)"
echo
if [ "$live_status" != measured ]; then
	echo "**Not measured**: $live_reason."
	echo
	echo "The script measures it as soon as \`bouncewatchd -f -c CONF\` runs: CPU while idle,"
	echo "latency from append to queryable, fixed writer rates, and lines/s with RSS"
	echo "while the biggest log is appended."
else
	echo "Config: \`log\`, \`database\`, \`pidfile\`, \`commit_interval = 250ms\`, \`start = beginning\`;"
	echo "run as \`$BWD_SRC -f -c CONF\` (a copy taken at the start), stopped with SIGTERM."
	echo
	echo "| measurement | result | load1 |"
	echo "|---|---|---|"
	echo "| CPU while idle ($IDLE_SECS s, log not growing) | $idle_ticks ticks = $idle_cpu s (utime+stime); $idle_wakeups voluntary context switches; RSS $(mib "$idle_rss") MiB | $idle_load |"
	li=$(grep -v timeout "$tmp/lat-idle" || true); lb=$(grep -v timeout "$tmp/lat-busy" || true)
	ti=$(grep -c timeout "$tmp/lat-idle" || true); tb=$(grep -c timeout "$tmp/lat-busy" || true)
	echo "| append → queryable, idle log ($LAT_SAMPLES samples) | median $(echo "$li" | bench_median) ms, p95 $(echo "$li" | bench_pct 95) ms, max $(echo "$li" | bench_max) ms; timeouts $ti | $lat_load |"
	echo "| append → queryable, writer at 300 lines/s ($LAT_SAMPLES samples) | median $(echo "$lb" | bench_median) ms, p95 $(echo "$lb" | bench_pct 95) ms, max $(echo "$lb" | bench_max) ms; timeouts $tb | $lat_load |"
	while read -r r wrote wsecs lag cpu rload; do
		echo "| writer at $r lines/s for $RATE_SECS s | wrote $wrote lines in $wsecs s; last line queryable $lag s after the writer stopped; daemon CPU $cpu% | $rload |"
	done < "$tmp/rates"
	echo "| peak RSS over the fixed-rate runs | $(mib "$rate_rss") MiB (VmHWM) | |"
	echo "| $(bench_label "$big") lines appended at once (\`cat\`, median $append_secs s), $MAX_RUNS runs | all queryable after median $max_secs s = **$max_rate lines/s**; daemon CPU median $max_cpu s; $max_fail failure rows; timeouts $max_timeouts | $max_load |"
	rss_stats=$(cat "$tmp"/rss-samples* | awk '$2 != "" {print $2}' | awk -v r="$MAX_RUNS" '{if ($1 > m) m = $1; n++} END{printf "%d samples over %s runs, max %.1f MiB", n, r, m / 1024}')
	echo "| RSS while those $(bench_label "$big") lines go in (VmRSS every 0.5 s) | $rss_stats; VmHWM $(mib "$max_hwm") MiB (largest of the runs) | |"
	echo
	echo "Latency is measured by \`latency.py\` (below) with Python's sqlite3 on a read-only"
	echo "connection polled every 1 ms, the same query as"
	echo "\`sqlite3 -readonly DB \"select count(*) from failure where queue_id='...'\"\`"
	echo "(cross-check with that command after the run: $lat_cli row for FEEDA00001)."
	echo "The lag after a fixed-rate writer stops is found by appending a marker failure"
	echo "line and polling for it with the sqlite3 command every 50 ms."
fi

echo
echo "## Exact commands"
echo
echo '```sh'
echo "# logs (bench/out/ is git-ignored)"
for size in $SIZES; do
	echo "python3 bench/genlog.py --lines $size --seed $SEED > bench/out/compare-$(bench_label "$size").log"
done
echo "cat LOG > /dev/null    # warm the page cache"
echo
echo "# timed, each RUNS=$RUNS times per size, as /usr/bin/time -f '%e %U %S %M' CMD,"
echo "# wall time from date +%s.%N around it"
echo "rm -f DB; $BW_SRC import --quiet --db DB LOG > /dev/null"
echo "pflogsumm --detail 10 LOG > FILE"
echo "mtail --one_shot --one_shot_format json --progs DIR_WITH_postfix.mtail --logs LOG \\"
echo "      --logtostderr --address 127.0.0.1 --port 0 > FILE"
echo "cat LOG > /dev/null"
echo "grep -c status= LOG > FILE     # not /dev/null: GNU grep would stop at the first match"
if [ "$EXPORTER" = 1 ]; then
	echo
	echo "# postfix_exporter: follows an empty file; LOG appended; /metrics polled every 0.1 s"
	echo ": > F"
	echo "prometheus-postfix-exporter --web.listen-address=127.0.0.1:PORT \\"
	echo "      --postfix.logfile_path=F --postfix.showq_path=/nonexistent &"
	echo "cat LOG >> F; until counters hold 3 s: curl -s http://127.0.0.1:PORT/metrics"
fi
echo
echo "# live daemon"
echo "$BWD_SRC -f -c CONF &     # CONF: log = L, database = DB, pidfile = P, commit_interval = 250ms, start = beginning"
echo "sleep $IDLE_SECS      # idle: utime+stime from /proc/PID/stat before and after"
echo "python3 latency.py L DB $LAT_SAMPLES PREFIX                        # idle log"
echo "python3 writer.py BIGLOG L 300 300 0 & python3 latency.py L DB $LAT_SAMPLES PREFIX   # busy log"
echo "python3 writer.py BIGLOG L RATE $RATE_SECS SKIP; echo MARKER >> L   # RATE in $RATES"
echo "cat BIGLOG >> L; echo MARKER >> L          # as fast as it can, MAX_RUNS=$MAX_RUNS times"
echo "sqlite3 -readonly DB \"select count(*) from failure where queue_id='MARKER_QID'\"   # polled"
echo '```'
echo
echo "<details><summary>writer.py and latency.py (written by compare.sh into its scratch directory)</summary>"
echo
echo '```python'
cat "$tmp/writer.py"
echo '```'
echo
echo '```python'
cat "$tmp/latency.py"
echo '```'
echo
echo "</details>"

echo
echo "## Raw figures"
echo
echo "One line per run, in the order run: size, tool, run, wall s, CPU s (user+sys), max RSS KiB, load1 at start."
echo
echo '```'
cat "$raw"
echo '```'
if [ "$live_status" = measured ]; then
	echo
	echo "Latency samples, ms (idle, then with the 300 lines/s writer):"
	echo
	echo '```'
	tr '\n' ' ' < "$tmp/lat-idle"; echo
	tr '\n' ' ' < "$tmp/lat-busy"; echo
	echo '```'
	echo
	echo "Fixed rates (rate, lines written, writer s, catch-up s, daemon CPU %, load1):"
	echo
	echo '```'
	cat "$tmp/rates"
	echo '```'
	echo
	echo "Appending the $(bench_label "$big") log at once (run, s until queryable, daemon CPU s, append s, VmHWM KiB, load1, failure rows):"
	echo
	echo '```'
	cat "$tmp/maxruns"
	echo '```'
	echo
	echo "VmRSS samples during those appends (KiB, every 0.5 s, one line per run):"
	echo
	echo '```'
	for f in "$tmp"/rss-samples*; do awk '$2 != "" {print $2}' "$f" | tr '\n' ' '; echo; done
	echo '```'
fi
} > "$R"

mv "$R" "$RESULTS"
bench_note "wrote $RESULTS"

# README: replace the block between the markers with the summary tables.
if [ "$README" != - ] && [ -f "$README" ] &&
   grep -q '^<!-- compare.sh: begin -->' "$README" && grep -q '^<!-- compare.sh: end -->' "$README"; then
	{
		echo "From \`bench/RESULTS.md\` ($started, $(nproc) × $(awk -F': *' '/^model name/{print $2; exit}' /proc/cpuinfo), ${bw_ver:-bouncewatch} git $rev):"
		echo
		echo "Median wall / CPU seconds of $RUNS runs, on a shared 2-vCPU VM (load in RESULTS.md):"
		echo
		echo "| log | bouncewatch import | pflogsumm | mtail | postfix_exporter | cat | grep -c | import peak RSS |"
		echo "|---|---|---|---|---|---|---|---|"
		for size in $SIZES; do
			row="| $(bench_label "$size") lines"
			for t in bouncewatch pflogsumm mtail exporter cat grep; do
				w=$(med "$size" "$t" 4)
				if [ "$w" = - ]; then row="$row | —"; else row="$row | $w / $(med "$size" "$t" 5)"; fi
			done
			row="$row | $(mib "$(col "$size" bouncewatch 6 | bench_max)") MiB |"
			echo "$row"
		done
		echo
		for size in $SIZES; do
			bw_w=$(med "$size" bouncewatch 4)
			echo "- $(bench_label "$size"): import is $(ratio "$bw_w" "$(med "$size" pflogsumm 4)")× faster than pflogsumm (target 10×, aim 20×), $(ratio "$bw_w" "$(med "$size" mtail 4)")× faster than mtail (target 50×), and takes $(awk -v a="$bw_w" -v b="$(med "$size" grep 4)" 'BEGIN{ if (b + 0 > 0) printf "%.1f", a / b; else print "-"}')× the time of \`grep -c\` (target ≤ 5×)."
		done
		if [ "$live_status" = measured ]; then
			echo "- Daemon: $idle_ticks CPU ticks in $IDLE_SECS s idle; append → queryable median $(grep -v timeout "$tmp/lat-idle" | bench_median) ms (idle log), $(grep -v timeout "$tmp/lat-busy" | bench_median) ms (300 lines/s); $max_rate lines/s appended at once; RSS $(mib "$max_hwm") MiB after $(bench_label "$big") lines."
		else
			echo "- Daemon: not measured ($live_reason)."
		fi
	} > "$tmp/readme-block"
	awk -v blk="$tmp/readme-block" '
		/^<!-- compare.sh: begin -->/ { print; while ((getline l < blk) > 0) print l; skip = 1; next }
		/^<!-- compare.sh: end -->/ { skip = 0 }
		!skip' "$README" > "$tmp/readme.new"
	cat "$tmp/readme.new" > "$README"
	bench_note "updated the results block of $README"
fi
