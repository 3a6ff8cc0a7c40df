#!/bin/sh
# bouncewatch-rsyslog.sh -- bouncewatchd on real rsyslog files of a real
# Postfix, in three formats at once (issue 12).
#
# A private rsyslogd (its own configuration and pid file) takes /dev/log
# with imuxsock (whatever was at /dev/log is put aside and restored) and
# writes every postfix* message of the mail facility to three files at once:
#   trad.log     RSYSLOG_TraditionalFileFormat  "Dec  4 18:20:01 host postfix/smtp[12]: ..."
#   rfc3339.log  RSYSLOG_FileFormat             "2026-12-04T18:20:01.123456+00:00 host ..."
#   rfc5424.log  RSYSLOG_SyslogProtocol23Format "<22>1 2026-12-04T18:20:01.123456+00:00 host postfix/smtp 12 - -  ..."
# as Ubuntu's rsyslog does for mail.log: root:adm, mode 0640.  The private
# Postfix instance of postfix-run.sh (BW_E2E_SYSLOG=1: no maillog_file)
# logs through syslog(3) and delivers to the scripted SMTP sinks on
# 127.0.0.1.  Three daemons follow the three files, each started as root
# with "user = bw-e2e", a system user whose only way to the files is its
# supplementary group adm (the Ubuntu recipe of bouncewatchd(8)).
#
# A fourth file, maillog, is the RHEL case: the traditional format again,
# created 0600 root:root, readable by bw-e2e only through an ACL
# (setfacl -m u:bw-e2e:r, the RHEL recipe), rotated in the middle of the
# run by the real logrotate ("create", postrotate: SIGHUP to rsyslogd).  A
# fourth daemon follows it.  Then:
#
#  - the trad and RFC 3339 databases pass the whole check of
#    bouncewatch-postfix.sh (every line once, every recipient as intended);
#  - the four databases are equal: every failure row (queue id,
#    recipient, status, class, reason, diagnostic, time to the second,
#    host), line counts per kind, daily counts (compare-db.py same), and
#    so are three "bouncewatch import" runs of the same files;
#  - with BW_E2E_RESULT (the outcomes of bouncewatch-postfix.sh's run on
#    Postfix's own maillog_file), the outcomes of this run equal those.
#
# usage: tests/e2e/bouncewatch-rsyslog.sh
# Environment: top_srcdir, top_builddir, BW_E2E_PORT, BW_E2E_WAIT,
#   BW_E2E_RESULT, KEEP=1 keeps the work directory.
# Exit: 0 pass, 1 fail, 77 skipped (not root; no rsyslogd).

set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$HERE/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
BW="$top_builddir/src/bouncewatch"
BWD="$top_builddir/src/bouncewatchd"
PYTHON=${PYTHON:-python3}
RUN="$HERE/postfix-run.sh"
CMP="$HERE/compare-db.py"
PATH=$PATH:/usr/sbin:/sbin

say() { printf 'bouncewatch-rsyslog: %s\n' "$*" >&2; }

if [ "$(id -u)" != 0 ]; then
	say "SKIP: needs root (Postfix, /dev/log)"
	exit 77
fi
[ -x "$BWD" ] && [ -x "$BW" ] || { say "build first: $BWD missing"; exit 1; }
if ! command -v rsyslogd >/dev/null 2>&1; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q rsyslog >/dev/null 2>&1 ||
		{ say "SKIP: no rsyslogd and apt-get install rsyslog failed"; exit 77; }
fi

RUNAS=bw-e2e
if ! id "$RUNAS" >/dev/null 2>&1; then
	useradd --system --no-create-home --shell /usr/sbin/nologin --groups adm "$RUNAS" ||
		{ say "cannot create the user $RUNAS"; exit 1; }
fi
id -nG "$RUNAS" | grep -qw adm || { say "$RUNAS is not in group adm"; exit 1; }

FORMATS="trad rfc3339 rfc5424"
ALLF="$FORMATS maillog"
W=$(mktemp -d /tmp/bw-rsyslog.XXXXXX)
chmod 0755 "$W"
mkdir -m 0755 "$W/log" "$W/rsyslog"
export BW_E2E_DIR="$W/e2e" BW_E2E_SYSLOG=1
export BW_E2E_WAIT="${BW_E2E_WAIT:-240}"
export BW_E2E_EXPECT="$W/expected.tsv"
SAVED=/dev/log.bw-e2e-saved
RPID= DPIDS= ok=0 moved=0

cleanup() {
	for p in $DPIDS; do kill "$p" 2>/dev/null || :; done
	for p in $DPIDS; do wait "$p" 2>/dev/null || :; done
	sh "$RUN" teardown "$W/log/trad.log" >/dev/null 2>&1 || :
	if [ -n "$RPID" ]; then
		kill "$RPID" 2>/dev/null || :
		wait "$RPID" 2>/dev/null || :
	fi
	# imuxsock removes its socket at exit; put back what was there
	[ ! -S /dev/log ] || [ -z "$RPID" ] || rm -f /dev/log
	if [ $moved = 1 ]; then
		mv "$SAVED" /dev/log && say "restored the earlier /dev/log"
	fi
	if [ $ok = 1 ] && [ "${KEEP:-0}" != 1 ]; then
		rm -rf "$W"
	else
		say "kept $W"
	fi
}
trap cleanup 0
trap 'exit 1' INT TERM HUP

# ---- rsyslogd on /dev/log ----
if [ -e /dev/log ] || [ -L /dev/log ]; then
	[ ! -e "$SAVED" ] || { say "$SAVED exists (an earlier run?): not touching /dev/log"; exit 1; }
	say "/dev/log exists ($(ls -ld /dev/log)); put aside while the test runs"
	mv /dev/log "$SAVED"
	moved=1
fi
cat >"$W/rsyslog.conf" <<EOF
# bouncewatch-rsyslog.sh: a private rsyslogd
global(workDirectory="$W/rsyslog")
module(load="imuxsock" SysSock.Use="on" SysSock.Name="/dev/log"
       SysSock.RateLimit.Interval="0")
if \$syslogfacility-text == "mail" and \$programname startswith "postfix" then {
  action(type="omfile" file="$W/log/trad.log" template="RSYSLOG_TraditionalFileFormat"
         fileOwner="root" fileGroup="adm" fileCreateMode="0640")
  action(type="omfile" file="$W/log/rfc3339.log" template="RSYSLOG_FileFormat"
         fileOwner="root" fileGroup="adm" fileCreateMode="0640")
  action(type="omfile" file="$W/log/rfc5424.log" template="RSYSLOG_SyslogProtocol23Format"
         fileOwner="root" fileGroup="adm" fileCreateMode="0640")
  action(type="omfile" file="$W/log/maillog" template="RSYSLOG_TraditionalFileFormat"
         fileOwner="root" fileGroup="root" fileCreateMode="0600")
}
EOF
rsyslogd -N1 -f "$W/rsyslog.conf" >"$W/rsyslog.check" 2>&1 ||
	{ cat "$W/rsyslog.check" >&2; say "rsyslogd rejects the configuration"; exit 1; }
TZ=UTC rsyslogd -n -f "$W/rsyslog.conf" -i "$W/rsyslog.pid" >"$W/rsyslog.out" 2>&1 &
RPID=$!
i=0
until [ -S /dev/log ]; do
	i=$((i + 1))
	[ $i -le 100 ] || { cat "$W/rsyslog.out" >&2; say "rsyslogd did not create /dev/log"; exit 1; }
	kill -0 "$RPID" 2>/dev/null || { cat "$W/rsyslog.out" >&2; say "rsyslogd exited"; exit 1; }
	sleep 0.1
done
say "rsyslogd $(rsyslogd -v | sed -n '1s/^rsyslogd *\([^ ]*\).*/\1/p') on /dev/log (pid $RPID)"

# ---- the daemons, one per file ----
logname() { case $1 in maillog) echo "$W/log/maillog" ;; *) echo "$W/log/$1.log" ;; esac; }
for f in $ALLF; do
	mkdir -m 0750 "$W/$f"
	chown "$RUNAS" "$W/$f"
	cat >"$W/$f/bw.conf" <<EOF
log = $(logname "$f")
database = $W/$f/bw.db
pidfile = $W/$f/bw.pid
user = $RUNAS
commit_interval = 100ms
rotate_quiet = 1s
timezone = UTC
EOF
	"$BWD" -f -c "$W/$f/bw.conf" 2>"$W/$f/daemon.err" &
	DPIDS="$DPIDS $!"
done

lines_read() {
	"$PYTHON" -c 'import sqlite3,sys; print(sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True, timeout=10).execute("select coalesce(sum(n),0) from line_stats").fetchone()[0])' "$1" 2>/dev/null || echo -1
}

t0=$(date +%s)
sh "$RUN" setup "$W/log/trad.log"
for f in $FORMATS; do
	m=$(stat -c '%a %U:%G' "$W/log/$f.log")
	[ "$m" = "640 root:adm" ] || { say "$f.log: $m, want 640 root:adm"; exit 1; }
done
# RHEL: /var/log/maillog root-only, an ACL for the daemon's user
m=$(stat -c '%a %U:%G' "$W/log/maillog")
[ "$m" = "600 root:root" ] || { say "maillog: $m, want 600 root:root"; exit 1; }
setfacl -m "u:$RUNAS:r" "$W/log/maillog"
sh "$RUN" inject
# rotated by the real logrotate while Postfix is busy
sleep 10
cat >"$W/logrotate.conf" <<EOF
$W/log/maillog {
	create
	rotate 5
	missingok
	postrotate
		kill -HUP $RPID
	endscript
}
EOF
logrotate -s "$W/logrotate.state" -f "$W/logrotate.conf"
echo "MEASURED after logrotate (create): maillog $(stat -c '%a %U:%G' "$W/log/maillog")," \
    "ACL $(getfacl -cp "$W/log/maillog" 2>/dev/null | grep "^user:$RUNAS" || echo none)"
sh "$RUN" wait
sh "$RUN" teardown "$W/log/trad.log"
sleep 1					# the last lines through rsyslogd
say "harness self-check (trad.log against the expectations):"
sh "$RUN" check "$W/log/trad.log" || { say "the Postfix run itself did not go as scripted"; exit 1; }

n=$(wc -l <"$W/log/trad.log")
for f in $FORMATS; do
	[ "$(wc -l <"$W/log/$f.log")" = "$n" ] ||
		{ say "$f.log has $(wc -l <"$W/log/$f.log") lines, trad.log $n"; exit 1; }
done
head -n 1 "$W/log/rfc5424.log" | grep -Eq '^<[0-9]+>1 [0-9]{4}-[0-9]{2}-[0-9]{2}T' ||
	{ say "rfc5424.log is not RFC 5424: $(head -n 1 "$W/log/rfc5424.log")"; exit 1; }
for f in $FORMATS; do
	echo "MEASURED $f.log: $(head -n 1 "$W/log/$f.log" | cut -c1-110)"
done

cat "$W/log/maillog.1" "$W/log/maillog" >"$W/log/maillog.all"
[ "$(wc -l <"$W/log/maillog.all")" = "$n" ] ||
	{ say "maillog.1 + maillog: $(wc -l <"$W/log/maillog.all") lines, trad.log $n"; exit 1; }
echo "MEASURED maillog: $(wc -l <"$W/log/maillog.1") lines before the rotation, $(wc -l <"$W/log/maillog") after"

# every daemon reads every line, then stops cleanly
for f in $ALLF; do
	i=0
	while [ "$(lines_read "$W/$f/bw.db")" != "$n" ]; do
		i=$((i + 1))
		[ $i -le 300 ] || { say "$f: read $(lines_read "$W/$f/bw.db") of $n lines"; exit 1; }
		sleep 0.1
	done
done
for p in $DPIDS; do kill -TERM "$p"; done
for p in $DPIDS; do
	rc=0
	wait "$p" || rc=$?
	[ $rc = 0 ] || { say "daemon $p: exit status $rc after SIGTERM"; exit 1; }
done
DPIDS=
for f in $ALLF; do
	! grep -E "unparseable|ingestion stalled" "$W/$f/daemon.err" | grep -v "counters:" ||
		{ say "$f: unexpected complaints"; exit 1; }
done

# the whole check where the line shape allows its regular expressions
for f in trad rfc3339; do
	say "$f.log: the database against the log and the expectations"
	sh "$HERE/bouncewatch-postfix.sh" --check "$W/log/$f.log" "$W/$f/bw.db" "$BW_E2E_EXPECT"
done

# import, the other way in
for f in $FORMATS; do
	"$BW" import --quiet --timezone UTC --db "$W/$f/import.db" "$W/log/$f.log"
done
"$PYTHON" "$CMP" same "$W/trad/bw.db" "$W/rfc3339/bw.db" "$W/rfc5424/bw.db" \
    "$W/maillog/bw.db" "$W/trad/import.db" "$W/rfc3339/import.db" "$W/rfc5424/import.db"
if [ -n "${BW_E2E_RESULT:-}" ] && [ -s "$BW_E2E_RESULT" ]; then
	"$PYTHON" "$CMP" outcomes-equal "$BW_E2E_RESULT" "$W/trad/bw.db"
else
	say "no BW_E2E_RESULT: the maillog_file run is not compared"
fi
say "PASS in $(( $(date +%s) - t0 ))s"
ok=1
