# bench/lib-bench.sh -- shell helpers shared by the bench/ scripts.
#
# Sourced, not run:  . "$here/lib-bench.sh"
# POSIX sh.  Every function is prefixed "bench_".  The caller sets
# bench_prog (used in messages) before sourcing or right after.

bench_prog=${bench_prog:-bench}

bench_die() { echo "$bench_prog: $*" >&2; exit 1; }
bench_note() { echo "$bench_prog: $*" >&2; }

# bench_is_uint VALUE: true when VALUE is a non-empty string of digits.
bench_is_uint() { case $1 in ''|*[!0-9]*) return 1 ;; esac; return 0; }

# bench_label N: 1000000 -> 1M, 5000000 -> 5M, 200000 -> 200k, else N.
bench_label() {
	if [ "$(($1 % 1000000))" -eq 0 ]; then echo "$(($1 / 1000000))M"
	elif [ "$(($1 % 1000))" -eq 0 ]; then echo "$(($1 / 1000))k"
	else echo "$1"; fi
}

# bench_now: wall clock in seconds with nanoseconds (GNU date), e.g. 12.345678901
bench_now() { date +%s.%N; }

# bench_timed CMD...: runs CMD with its output in $tmp/stdout and
# $tmp/stderr (the caller's $tmp); sets wall (s), cpu (user+sys s) and
# rss (peak, MiB); dies with CMD's last lines of stderr when it fails.
bench_timed() {
	_t0=$(bench_now)
	/usr/bin/time -f '%U %S %M' -o "$tmp/time" "$@" > "$tmp/stdout" 2> "$tmp/stderr" ||
		{ tail -n 5 "$tmp/stderr" >&2; bench_die "failed: $*"; }
	_t1=$(bench_now)
	wall=$(awk -v a="$_t0" -v b="$_t1" 'BEGIN { printf "%.3f", b - a }')
	cpu=$(tail -n 1 "$tmp/time" | awk '{ printf "%.2f", $1 + $2 }')
	rss=$(tail -n 1 "$tmp/time" | awk '{ printf "%.1f", $3 / 1024 }')
}

# bench_load1: the 1-minute load average.
bench_load1() { cut -d' ' -f1 /proc/loadavg; }

# bench_apt_install PKG...: install Debian packages that are missing.
# Runs only as root.  Services shipped by the packages (mtail's init script,
# prometheus-postfix-exporter's unit) must not start and listen on every
# interface, so when no /usr/sbin/policy-rc.d exists, one that forbids
# starting services is put in place for the duration of the install.
bench_apt_install() {
	_missing=
	for _p in "$@"; do
		dpkg-query -W -f='${Status}' "$_p" 2>/dev/null | grep -q 'install ok installed' ||
			_missing="$_missing $_p"
	done
	[ -n "$_missing" ] || return 0
	[ "$(id -u)" -eq 0 ] || bench_die "missing packages:$_missing (run as root, or apt-get install them)"
	command -v apt-get >/dev/null 2>&1 || bench_die "missing packages:$_missing and no apt-get"
	bench_note "installing:$_missing"
	_policy=
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		_policy=/usr/sbin/policy-rc.d
		printf '#!/bin/sh\n# bench/lib-bench.sh: no service starts during the install\nexit 101\n' > "$_policy"
		chmod 755 "$_policy"
	fi
	_rc=0
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $_missing \
		> "${TMPDIR:-/tmp}/bench-apt.$$" 2>&1 ||
	{ DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 &&
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $_missing \
		> "${TMPDIR:-/tmp}/bench-apt.$$" 2>&1; } || _rc=$?
	[ -z "$_policy" ] || rm -f "$_policy"
	if [ "$_rc" -ne 0 ]; then
		tail -n 5 "${TMPDIR:-/tmp}/bench-apt.$$" >&2
		rm -f "${TMPDIR:-/tmp}/bench-apt.$$"
		bench_die "apt-get install$_missing failed"
	fi
	rm -f "${TMPDIR:-/tmp}/bench-apt.$$"
}

# bench_genlog GENLOG LINES SEED FILE: make FILE with genlog.py (bsd format)
# unless it exists and its stamp says it was made by the same genlog.py with
# the same arguments.  Same stamp format as classify.sh.
bench_genlog() {
	_stamp="$(cksum < "$1" | tr -s ' \t' '-') lines=$2 seed=$3"
	if [ -s "$4" ] && [ "$(cat "$4.stamp" 2>/dev/null)" = "$_stamp" ]; then
		return 0
	fi
	bench_note "generating $4 ($2 lines, seed $3)"
	rm -f "$4.stamp"
	python3 "$1" --lines "$2" --seed "$3" > "$4.tmp" ||
		{ rm -f "$4.tmp"; bench_die "genlog.py failed"; }
	mv "$4.tmp" "$4"
	echo "$_stamp" > "$4.stamp"
}

# bench_median: median of the numbers on stdin (one per line).
bench_median() {
	sort -g | awk '{a[NR]=$1} END{ if (NR == 0) print "-"; else if (NR%2) print a[(NR+1)/2]; else printf "%.4f\n", (a[NR/2]+a[NR/2+1])/2 }'
}

# bench_pct P: P-th percentile (nearest rank) of the numbers on stdin.
bench_pct() {
	sort -g | awk -v p="$1" '{a[NR]=$1} END{ if (NR == 0) { print "-"; exit } r = int(p/100*NR + 0.999999); if (r < 1) r = 1; if (r > NR) r = NR; print a[r] }'
}

# bench_max / bench_min: of the numbers on stdin.
bench_max() { sort -g | tail -n 1; }
bench_min() { sort -g | head -n 1; }

# bench_cpu_ticks PID: utime+stime of PID in clock ticks (from /proc/PID/stat;
# the comm field may hold spaces, so count from the closing parenthesis).
bench_cpu_ticks() {
	sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $12 + $13}'
}

# bench_status_kib PID FIELD: a "kB" field of /proc/PID/status (VmRSS, VmHWM).
bench_status_kib() {
	awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/status" 2>/dev/null
}

# bench_wait_gone PID SECONDS: wait up to SECONDS for PID to exit.
bench_wait_gone() {
	_n=0
	while kill -0 "$1" 2>/dev/null; do
		[ "$_n" -lt "$(($2 * 10))" ] || return 1
		sleep 0.1; _n=$((_n + 1))
	done
	return 0
}

# bench_stop PID: SIGTERM, wait up to 10 s, then SIGKILL.  Returns 0 when
# the process went away on SIGTERM.
bench_stop() {
	kill -0 "$1" 2>/dev/null || return 0
	kill -TERM "$1" 2>/dev/null || true
	bench_wait_gone "$1" 10 && return 0
	kill -KILL "$1" 2>/dev/null || true
	bench_wait_gone "$1" 5 || true
	return 1
}

# bench_free_port: a TCP port on 127.0.0.1 that nothing listens on now.
bench_free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# bench_machine: markdown lines describing this machine.
bench_machine() {
	_cpu=$(awk -F': *' '/^model name/{print $2; exit}' /proc/cpuinfo 2>/dev/null)
	[ -n "$_cpu" ] || _cpu=$(uname -m)
	_mhz=$(awk -F': *' '/^cpu MHz/{printf "%.0f", $2; exit}' /proc/cpuinfo 2>/dev/null)
	_ram=$(awk '/^MemTotal:/{printf "%.1f GiB", $2/1048576}' /proc/meminfo)
	echo "| nproc | CPU model (/proc/cpuinfo) | RAM | kernel | OS |"
	echo "|---|---|---|---|---|"
	echo "| $(nproc) | $_cpu${_mhz:+ (${_mhz} MHz)} | $_ram | $(uname -sr) | $(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME") |"
}
