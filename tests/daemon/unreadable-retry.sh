#!/bin/sh
# bouncewatchd is loud while its log cannot be read (issue 12): a missing
# log and one it may not read (0600 root, the daemon as nobody) are logged
# again after each retry back-off (1 s, 2 s, 4 s ...), not once; SIGUSR1
# lists the log as unreadable; after chmod 0644 every line is read; a
# rotation to a new 0600 file is said again, then read once readable.
# Every line is counted exactly once.  As root the daemon switches to
# nobody itself ("user = nobody"); otherwise it runs as the caller, for
# whom chmod 000 does the same.
. "$top_srcdir/tests/lib.sh"

command -v sqlite3 >/dev/null 2>&1 || { echo "sqlite3 missing: skip"; exit 77; }

LOG="$T/log/mail.log" DB="$T/state/bw.db"
mkdir -p "$T/log" "$T/state"
chmod 0755 "$T" "$T/log"
closed=0000
if [ "$(id -u)" = 0 ]; then
	user="user = nobody"
	chown nobody "$T/state"
	closed=0600		# root's file, read by nobody
else
	user=""
fi
cat >"$T/bw.conf" <<EOF
log = $LOG
database = $DB
pidfile = $T/state/bw.pid
commit_interval = 100ms
rotate_quiet = 1s
timezone = UTC
$user
EOF

pid=""
stop_daemon() { [ -z "$pid" ] || { kill -9 "$pid" 2>/dev/null || :; wait "$pid" 2>/dev/null || :; }; }
cleanup_hooks="stop_daemon"

wait_for() {
	what=$1; shift
	i=0
	until "$@"; do
		i=$((i + 1))
		[ $i -lt 600 ] || fail "timed out waiting for $what: $(tail -n 5 "$T/daemon.err")"
		kill -0 "$pid" 2>/dev/null || fail "the daemon exited: $(tail -n 5 "$T/daemon.err")"
		sleep 0.05
	done
}
said() { [ "$(grep -c -- "$1" "$T/daemon.err" 2>/dev/null || :)" -ge "$2" ]; }
read_lines() {
	sqlite3 -readonly "$DB" "SELECT coalesce(sum(n), 0) FROM line_stats" 2>/dev/null || echo -1
}
all_read() { [ "$(read_lines)" = "$1" ]; }
# put N FROM FILE: append N lines of the real Postfix capture, from line FROM
put() { sed -n "$2,$(($2 + $1 - 1))p" "$DATA/real-postfix.log" >>"$3"; }

"$BWD" -f -c "$T/bw.conf" 2>"$T/daemon.err" &
pid=$!

# 1. missing: said at start, then after 1 s and 2 s
wait_for "the missing log said three times" said "$LOG: does not exist yet" 3
said "said again in 2 s" 1 || fail "no back-off: $(cat "$T/daemon.err")"
pass "a missing log is said again after each back-off"

# 2. there, but not readable by the daemon's user
# closed: made so (umask) before it has the name the daemon looks at
closed_file() { (umask 077; : >"$1"); chmod "$closed" "$1"; }
closed_file "$LOG.new"
put 60 1 "$LOG.new"
mv "$LOG.new" "$LOG"
wait_for "Permission denied said three times" said "$LOG: Permission denied" 3
said "$LOG: Permission denied; not read.*said again in 4 s" 1 ||
	fail "no doubling back-off: $(grep 'Permission denied' "$T/daemon.err")"
kill -USR1 "$pid"
wait_for "SIGUSR1 to list the log as unreadable" said "$LOG: unreadable: Permission denied for" 1
[ "$(read_lines)" = 0 ] || fail "read a log it may not read?"
pass "a log the daemon may not read is said again after each back-off and listed by SIGUSR1"

chmod 0644 "$LOG"
wait_for "the 60 lines once readable" all_read 60
said "$LOG: readable again" 1 || fail "recovery not logged"
put 40 61 "$LOG"
wait_for "100 lines" all_read 100
pass "once readable (chmod 0644) every line is read"

# 3. a rotation to a new file it may not read (postfix logrotate on 3.7)
n0=$(grep -c -- "$LOG: Permission denied" "$T/daemon.err")
closed_file "$LOG.new"
mv "$LOG" "$LOG.1"
mv "$LOG.new" "$LOG"
put 30 101 "$LOG.1"		# late lines into the old file: still read
put 50 131 "$LOG"
wait_for "the late lines of the old file" all_read 130
wait_for "the unreadable new file said twice" said "$LOG: Permission denied" $((n0 + 2))
[ "$(read_lines)" = 130 ] || fail "read $(read_lines) lines, want 130"
chmod 0644 "$LOG"
wait_for "the new file once readable" all_read 180
put 20 181 "$LOG"
wait_for "all 200 lines" all_read 200
kill -TERM "$pid"
rc=0; wait "$pid" || rc=$?; pid=""
assert_eq "$rc" 0 "exit status at SIGTERM"
assert_eq "$(sqlite3 -readonly "$DB" "SELECT count(*) FROM gap")" 0 "gap rows"
assert_eq "$(read_lines)" 200 "lines read in all"
pass "a rotation to an unreadable file is said again; every line read once"
