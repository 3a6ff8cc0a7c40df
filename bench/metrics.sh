#!/bin/sh
# bench/metrics.sh -- the cost of bouncewatchd's /metrics: scrape time and
# the daemon's CPU at 1, 10 and 100 scrapes per second, on loopback.
#
#   bench/metrics.sh                 # uses ../src/bouncewatchd next to this script
#   BWD=/path/to/bouncewatchd bench/metrics.sh
#
# Environment:
#   BWD      bouncewatchd binary  (default: <script dir>/../src/bouncewatchd)
#   LINES    log the daemon reads first (default: 200000; genlog.py, seed 1)
#   SECONDS_PER_RATE  how long each rate runs (default: 10)
#   RATES    scrapes per second to try (default: "1 10 100")
#   PORT     loopback port (default: 19154)
#
# Starts bouncewatchd in the foreground on a fresh database with
# metrics_listen = 127.0.0.1:PORT, waits until it has read the whole log
# (so the series hold real values: 20 domains, every class and reason),
# then for each rate runs one client (python3, one connection per scrape,
# as Prometheus does with Connection: close) for SECONDS_PER_RATE seconds
# and prints per rate: scrapes done, scrape time p50/p99/max in ms, the
# response size, and the daemon's CPU (utime+stime from /proc, % of one
# core) over the same seconds; first the same CPU figure with no scrapes.
# Bounded: at most RATES x SECONDS_PER_RATE scrapes, loopback only.

set -eu

here=$(cd "$(dirname "$0")" && pwd)
bench_prog=metrics.sh
. "$here/lib-bench.sh"
BWD=${BWD:-$here/../src/bouncewatchd}
LINES=${LINES:-200000}
SECS=${SECONDS_PER_RATE:-10}
RATES=${RATES:-1 10 100}
PORT=${PORT:-19154}

[ -x "$BWD" ] || bench_die "no bouncewatchd at $BWD (build first)"
bench_is_uint "$LINES" || bench_die "LINES must be a number"
bench_is_uint "$SECS" || bench_die "SECONDS_PER_RATE must be a number"
command -v python3 >/dev/null 2>&1 || bench_die "python3 is needed"

mkdir -p "$here/out"
log=$here/out/metrics-$(bench_label "$LINES").log
bench_genlog "$here/genlog.py" "$LINES" 1 "$log"

work=$(mktemp -d "${TMPDIR:-/tmp}/bw-metrics.XXXXXX")
pid=
cleanup() {
	[ -z "$pid" ] || kill "$pid" 2>/dev/null || :
	[ -z "$pid" ] || wait "$pid" 2>/dev/null || :
	rm -rf "$work"
}
trap cleanup EXIT INT TERM
cp "$log" "$work/mail.log"
cat > "$work/bw.conf" <<CONF
log = $work/mail.log
database = $work/bw.db
pidfile = $work/bw.pid
metrics_listen = 127.0.0.1:$PORT
CONF
"$BWD" -f -c "$work/bw.conf" 2> "$work/daemon.err" &
pid=$!

python3 - "$PORT" "$pid" "$SECS" "$RATES" "$work/mail.log" <<'PY'
import os, socket, sys, time

port, pid, secs = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
rates = [float(r) for r in sys.argv[4].split()]
size = os.path.getsize(sys.argv[5])
tick = os.sysconf("SC_CLK_TCK")

def scrape():
    t0 = time.perf_counter()
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    data = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        data += b
    s.close()
    if not data.startswith(b"HTTP/1.1 200 "):
        sys.exit("metrics.sh: bad response: %r" % data[:80])
    return time.perf_counter() - t0, data

def cpu():
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / tick

# wait until every line is committed: lines_total adds up to the log
deadline = time.time() + 600
while True:
    try:
        _, data = scrape()
        lines = sum(int(l.rsplit(b" ", 1)[1]) for l in data.split(b"\r\n\r\n", 1)[1].splitlines()
                    if l.startswith(b"bouncewatch_lines_total{"))
        lag = [l for l in data.splitlines() if l.startswith(b"bouncewatch_source_lag_bytes{")]
        if lines > 0 and lag and all(l.endswith(b" 0") for l in lag):
            break
    except OSError:
        pass
    if time.time() > deadline:
        sys.exit("metrics.sh: the daemon did not finish reading the log")
    time.sleep(0.5)
body = len(data.split(b"\r\n\r\n", 1)[1])
series = sum(1 for l in data.split(b"\r\n\r\n", 1)[1].splitlines() if not l.startswith(b"#"))
print("log: %d lines read (%d bytes); /metrics: %d bytes, %d series" % (lines, size, body, series))
print("| scrapes/s | scrapes | p50 ms | p99 ms | max ms | daemon CPU % |")
print("|---:|---:|---:|---:|---:|---:|")
c0 = cpu(); time.sleep(secs); c1 = cpu()
print("| 0 | 0 | - | - | - | %.2f |" % (100 * (c1 - c0) / secs))
for rate in rates:
    n = int(rate * secs)
    times = []
    c0 = cpu(); start = time.perf_counter()
    for i in range(n):
        t = start + i / rate
        d = t - time.perf_counter()
        if d > 0:
            time.sleep(d)
        times.append(scrape()[0])
    wall = max(time.perf_counter() - start, secs)
    c1 = cpu()
    times.sort()
    print("| %g | %d | %.2f | %.2f | %.2f | %.2f |" % (rate, n, 1000 * times[len(times) // 2],
          1000 * times[min(len(times) - 1, int(len(times) * 0.99))], 1000 * times[-1],
          100 * (c1 - c0) / wall))
PY
echo "command: BWD=$BWD LINES=$LINES SECONDS_PER_RATE=$SECS RATES=\"$RATES\" bench/metrics.sh"
