#!/bin/sh
# bouncewatch-postfix.sh -- bouncewatchd against a real Postfix, end to end.
#
# A private Postfix instance (tests/e2e/postfix-run.sh) delivers only to the
# scripted SMTP servers of smtp-sink.py on 127.0.0.1; bouncewatchd follows
# Postfix's own log (postlogd, maillog_file) while the messages are injected
# and the queue settles (bounces, greylisting that passes, and expiries with
# a 1-minute queue lifetime).  The daemon is started as root with
# "user = nobody", like the sysvinit service: every uid of the running
# process must be nobody's and the files it creates (database, WAL, SHM,
# lock) 0640.  It is stopped (SIGTERM) and restarted once in the middle.
#
# "postfix logrotate" runs once in the middle, with the recipe of
# bouncewatchd(8) for postlogd on Postfix < 3.9 (no maillog_file_permissions):
# Postfix 3.7 creates the new file 0600 root, which the daemon (as nobody)
# cannot read: it must say so, and go on with the new file once the hook
# (touch; chgrp; chmod 0640) has run, here 3 s late on purpose.  The log the
# database is checked against is the rotated (gzipped) part and the new one.
# At the end the database must hold exactly what the scenario intended:
#
#  - every line of the maillog read once (sum of line_stats = wc -l), and
#    the delivery, expired and probe lines equal the status= lines counted
#    in the log with a regular expression;
#  - for every recipient of MAILLOG.expected.tsv its final status, class and
#    reason (v_failures), the class and reason of every deferral before it,
#    and for an expiry: status 'expired', permanent/expired, the recipient's
#    own domain and the diagnostic of its last deferral;
#  - delivered mail per domain (v_daily) equals the status=sent lines;
#    probes are not stored as deliveries;
#  - every failure row equals "bouncewatch classify" over the same log;
#  - PRAGMA integrity_check is ok, and nothing left 127.0.0.1 (every relay=
#    in the log is 127.0.0.1, none or local).
#
# usage: tests/e2e/bouncewatch-postfix.sh
#        tests/e2e/bouncewatch-postfix.sh --check MAILLOG DB EXPECTED
#            (only the database check, e.g. on tests/data/real-postfix.log
#            imported with "bouncewatch import")
# Environment: top_srcdir, top_builddir (default: this tree), BW_E2E_PORT,
#   BW_E2E_WAIT (default 240), BW_E2E_LIFETIME (default 1m), KEEP=1 keeps
#   the work directory, BW_E2E_RESULT=FILE: write the run's outcomes there
#   (tests/e2e/compare-db.py outcomes; bouncewatch-rsyslog.sh compares).
# Exit: 0 pass, 1 fail, 77 skipped (not root: Postfix needs root).
# Takes about 90 s, most of it waiting for the queue lifetime to pass.

set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$HERE/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
BW="$top_builddir/src/bouncewatch"
BWD="$top_builddir/src/bouncewatchd"
PYTHON=${PYTHON:-python3}

say() { printf 'bouncewatch-postfix: %s\n' "$*" >&2; }

# ---- the database check (Python, standard library only) ----
check_db() {
	"$PYTHON" - "$BW" "$@" <<'PYEOF'
import re, sqlite3, subprocess, sys, os

bw, maillog, db, expected = sys.argv[1:5]
fails = []
def bad(msg):
    fails.append(msg)
    print("MISMATCH " + msg)

raw = open(maillog, "rb").read()
lines = raw.split(b"\n")
if lines and lines[-1] == b"":
    lines.pop()
text = [l.decode("utf-8", "replace") for l in lines]

DLINE = re.compile(r" postfix(?:-[^/ ]+)?/(?:[^\[ ]+/)*(\S+?)\[\d+\]: ([0-9A-F]+): to=<([^>]*)>,"
                   r".* status=(\S+)(?: \((.*)\))?$")
QEXP = re.compile(r" postfix(?:-[^/ ]+)?/qmgr\[\d+\]: ([0-9A-F]+): from=<[^>]*>, status=expired,")
deliv = []          # (qid, rcpt, status, diag)
expired_q = []
status_lines = 0
relays = set()
for t in text:
    if " status=" in t:
        status_lines += 1
    m = re.search(r" relay=([^,]+),", t)
    if m:
        relays.add(m.group(1))
    m = DLINE.search(t)
    if m:
        deliv.append((m.group(2), m.group(3), m.group(4), m.group(5) or ""))
        continue
    m = QEXP.search(t)
    if m:
        expired_q.append(m.group(1))

# nothing left 127.0.0.1
for r in sorted(relays):
    if not (r in ("none", "local") or re.fullmatch(r"127\.0\.0\.1\[127\.0\.0\.1\]:\d+", r)):
        bad("relay outside 127.0.0.1 in the maillog: %s" % r)

real = [d for d in deliv if d[2] in ("sent", "deferred", "bounced", "SOFTBOUNCE")]
probes = [d for d in deliv if d[2] in ("deliverable", "undeliverable")]
other_status = [d for d in deliv if d not in real and d not in probes]
if other_status:
    bad("unexpected statuses in the log: %s" % other_status[:3])

# expired events: recipients of an expired queue id whose last word was deferred
last = {}
for qid, rcpt, st, diag in real:
    last[(qid, rcpt)] = (st, diag)
expired_events = {}     # rcpt -> last deferral diagnostic
for (qid, rcpt), (st, diag) in last.items():
    if qid in expired_q and st == "deferred":
        expired_events[rcpt] = diag

c = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
q = lambda sql, *a: c.execute(sql, a).fetchall()

ls = dict(q("select kind, sum(n) from line_stats group by kind"))
total_read = sum(ls.values())
print("maillog: %d lines, %d status= lines (%d delivery, %d probe, %d expired);"
      " database: %d lines read %s" % (len(lines), status_lines, len(real), len(probes),
                                       len(expired_q), total_read, sorted(ls.items())))
if total_read != len(lines):
    bad("lines read %d, maillog has %d" % (total_read, len(lines)))
if ls.get("delivery", 0) != len(real):
    bad("delivery lines stored %d, log has %d" % (ls.get("delivery", 0), len(real)))
if ls.get("probe", 0) != len(probes):
    bad("probe lines stored %d, log has %d" % (ls.get("probe", 0), len(probes)))
if ls.get("expired", 0) != len(expired_q):
    bad("expired lines stored %d, log has %d" % (ls.get("expired", 0), len(expired_q)))
if ls.get("delivery", 0) + ls.get("probe", 0) + ls.get("expired", 0) != status_lines:
    bad("delivery+probe+expired lines %d != %d status= lines in the log" % (
        ls.get("delivery", 0) + ls.get("probe", 0) + ls.get("expired", 0), status_lines))

attempts = q("select coalesce(sum(n),0) from daily")[0][0]
want_attempts = len(real) + len(expired_events)
print("attempts counted (daily): %d; log: %d delivery lines + %d expired recipients" % (
    attempts, len(real), len(expired_events)))
if attempts != want_attempts:
    bad("daily attempts %d, expected %d" % (attempts, want_attempts))

# delivered per domain
sent_dom = {}
for qid, rcpt, st, diag in real:
    if st == "sent":
        dom = rcpt.rsplit("@", 1)[1].lower() if "@" in rcpt else ""
        sent_dom[dom] = sent_dom.get(dom, 0) + 1
got_sent = dict(q("select domain, sum(n) from v_daily where class='delivered' group by domain"))
if got_sent != sent_dom:
    bad("delivered per domain %s, log %s" % (sorted(got_sent.items()), sorted(sent_dom.items())))

rows = q("select id, queue_id, recipient, domain, status, class, reason, diagnostic "
         "from v_failures order by id")
byr = {}
for r in rows:
    byr.setdefault(r[2], []).append(r)
n_fail_lines = sum(1 for d in real if d[2] != "sent")
if len([r for r in rows if r[4] != "expired"]) != n_fail_lines:
    bad("failure rows (not expired) %d, log has %d deferred/bounced lines" % (
        len([r for r in rows if r[4] != "expired"]), n_fail_lines))
if len([r for r in rows if r[4] == "expired"]) != len(expired_events):
    bad("expired rows %d, expected %d" % (len([r for r in rows if r[4] == "expired"]),
                                          len(expired_events)))

# every non-expired failure row equals "bouncewatch classify" on the log
out = subprocess.run([bw, "classify", "--timezone", "UTC", "--format", "tsv", maillog],
                     check=True, capture_output=True, env=dict(os.environ, TZ="UTC")).stdout.decode()
ref = []
for row in out.split("\n")[1:]:
    f = row.split("\t")
    if len(f) > 10 and f[9] != "delivered" and f[8] not in ("expired",):
        ref.append((f[4], f[5], f[9], f[10]))
got = [(r[1], r[2], r[5], r[6]) for r in rows if r[4] != "expired"]
if sorted(ref) != sorted(got):
    bad("failure rows differ from bouncewatch classify: missing %s extra %s" % (
        [x for x in ref if x not in got][:3], [x for x in got if x not in ref][:3]))

# per recipient, as the scenario intended
ok = 0
nrcpt = 0
for line in open(expected, encoding="utf-8"):
    if line.startswith("#") or not line.strip():
        continue
    rcpt, final, cls, reason, acls, areason = line.rstrip("\n").split("\t")[:6]
    nrcpt += 1
    mine = byr.get(rcpt, [])
    errs = []
    deferrals = [r for r in mine if r[4] == "deferred"]
    finals = [r for r in mine if r[4] != "deferred"]
    for r in deferrals:
        if (r[5], r[6]) != (acls, areason):
            errs.append("deferral %s/%s, want %s/%s" % (r[5], r[6], acls, areason))
    if acls != "-" and not deferrals:
        errs.append("no deferral stored")
    if acls == "-" and deferrals:
        errs.append("%d unexpected deferrals" % len(deferrals))
    if final in ("sent", "deliverable", "undeliverable"):
        # delivered (checked per domain above) or a probe: no final failure row
        if finals:
            errs.append("final failure row %s" % (finals[-1][4:7],))
    else:
        if len(finals) != 1:
            errs.append("%d final rows, want 1" % len(finals))
        else:
            f = finals[0]
            if mine[-1] is not f:
                errs.append("the final row is not the last")
            if (f[4], f[5], f[6]) != (final, cls, reason):
                errs.append("final %s %s/%s, want %s %s/%s" % (f[4], f[5], f[6], final, cls, reason))
            dom = rcpt.rsplit("@", 1)[1].lower()
            if f[3] != dom:
                errs.append("domain %r, want %r" % (f[3], dom))
            if final == "expired":
                if rcpt not in expired_events:
                    errs.append("not an expiry in the log")
                elif f[7] != expired_events[rcpt]:
                    errs.append("expiry diagnostic %r, last deferral says %r" % (
                        f[7], expired_events[rcpt]))
                if deferrals and f[7] != deferrals[-1][7]:
                    errs.append("expiry diagnostic differs from the stored last deferral")
    if errs:
        bad("%s: %s" % (rcpt, "; ".join(errs)))
    else:
        ok += 1
print("recipients as intended: %d of %d" % (ok, nrcpt))
ic = q("pragma integrity_check")[0][0]
if ic != "ok":
    bad("integrity_check: " + ic)
gaps = q("select count(*) from gap")[0][0]
if gaps:
    bad("%d gap rows" % gaps)
print("%d passed, %d failed" % (ok, nrcpt - ok))
sys.exit(1 if fails else 0)
PYEOF
}

if [ "${1:-}" = --check ]; then
	shift
	[ $# -eq 3 ] || { echo "usage: $0 --check MAILLOG DB EXPECTED" >&2; exit 2; }
	check_db "$@"
	exit
fi

if [ "$(id -u)" != 0 ]; then
	say "SKIP: needs root (a private Postfix instance)"
	exit 77
fi
[ -x "$BWD" ] && [ -x "$BW" ] || { say "build first: $BWD missing"; exit 1; }

W=$(mktemp -d /tmp/bw-postfix.XXXXXX)
chmod 0755 "$W"
export BW_E2E_DIR="$W/e2e"
export BW_E2E_WAIT="${BW_E2E_WAIT:-240}"
MAILLOG="$W/log/maillog"
EXPECT="$MAILLOG.expected.tsv"
STATE="$W/state"
DB="$STATE/bw.db"
CONF="$W/bouncewatch.conf"
# Started as root like a service, the daemon switches to "user" (nobody
# here) before it opens anything: its state directory belongs to that user.
RUNAS=nobody
RUNAS_UID=$(id -u "$RUNAS")
RUNAS_GROUP=$(id -gn "$RUNAS")
mkdir -m 0750 "$STATE"
mkdir -m 0755 "$W/log"
chown "$RUNAS:$RUNAS_GROUP" "$STATE"
DPID=
RUN="$HERE/postfix-run.sh"
ok=0

cleanup() {
	if [ -n "$DPID" ]; then
		kill "$DPID" 2>/dev/null || :
		wait "$DPID" 2>/dev/null || :
	fi
	sh "$RUN" teardown "$MAILLOG" >/dev/null 2>&1 || :
	if [ $ok = 1 ] && [ "${KEEP:-0}" != 1 ]; then
		rm -rf "$W"
	else
		say "kept $W"
		[ -f "$W/daemon.err" ] && { echo "--- daemon log (tail) ---"; tail -30 "$W/daemon.err"; } >&2
	fi
}
trap cleanup 0
trap 'exit 1' INT TERM HUP

cat >"$CONF" <<EOF
log = $MAILLOG
database = $DB
pidfile = $STATE/bw.pid
user = $RUNAS
commit_interval = 100ms
rotate_quiet = 1s
timezone = UTC
EOF

start_daemon() {
	"$BWD" -f -c "$CONF" 2>>"$W/daemon.err" &
	DPID=$!
	i=0
	until [ -f "$DB" ] && sqlite3_ok; do
		i=$((i + 1))
		[ $i -le 200 ] || { say "daemon did not create its database"; exit 1; }
		kill -0 "$DPID" 2>/dev/null || { say "daemon died at start"; exit 1; }
		sleep 0.1
	done
	uids=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$DPID/status")
	[ "$uids" = "$RUNAS_UID $RUNAS_UID $RUNAS_UID $RUNAS_UID" ] ||
		{ say "daemon runs with uids $uids, want $RUNAS_UID ($RUNAS) for all"; exit 1; }
}

sqlite3_ok() {
	"$PYTHON" -c 'import sqlite3,sys; sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True).execute("select count(*) from source")' "$DB" 2>/dev/null
}

stop_daemon() {
	kill -TERM "$DPID"
	i=0
	while kill -0 "$DPID" 2>/dev/null; do
		i=$((i + 1))
		[ $i -le 300 ] || { say "daemon did not exit on SIGTERM"; kill -9 "$DPID"; exit 1; }
		sleep 0.1
	done
	rc=0
	wait "$DPID" || rc=$?
	DPID=
	[ $rc = 0 ] || { say "daemon exit status $rc after SIGTERM, want 0"; exit 1; }
}

lines_read() {
	"$PYTHON" -c 'import sqlite3,sys; print(sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True, timeout=10).execute("select coalesce(sum(n),0) from line_stats").fetchone()[0])' "$DB" 2>/dev/null || echo -1
}

# The recipe for postlogd's file on Postfix < 3.9: readable by the daemon's
# group, applied again after every "postfix logrotate".
recipe() {
	touch "$MAILLOG" && chgrp "$RUNAS_GROUP" "$MAILLOG" && chmod 0640 "$MAILLOG"
}

t0=$(date +%s)
say "setting up Postfix (work dir $W)"
sh "$RUN" setup "$MAILLOG"
recipe
start_daemon
sh "$RUN" inject
# Restart the daemon once while Postfix is busy: it must resume exactly.
sleep 8
stop_daemon
sleep 2
start_daemon
sleep 3
sh "$RUN" logrotate
i=0
until [ -e "$MAILLOG" ]; do
	i=$((i + 1))
	[ $i -le 100 ] || { say "postlogd did not create a new $MAILLOG"; exit 1; }
	sleep 0.1
done
echo "MEASURED postfix logrotate (Postfix $(postconf -h mail_version)):" \
    "new maillog_file mode $(stat -c '%a %U:%G' "$MAILLOG")"
i=0
until [ "$(grep -c "$MAILLOG: Permission denied" "$W/daemon.err")" -ge 2 ]; do
	i=$((i + 1))
	[ $i -le 100 ] || { say "the daemon did not say twice that it cannot read the new file"; break; }
	sleep 0.1
done
recipe
say "after postfix logrotate: $(grep -c "$MAILLOG: Permission denied" "$W/daemon.err")" \
    "'Permission denied' warnings, then the recipe (chgrp $RUNAS_GROUP, chmod 0640)"
sh "$RUN" wait
sh "$RUN" teardown "$MAILLOG"
# the whole log: the rotated part (gzipped by postfix logrotate), then the new one
ALL="$W/log/all"
rotated=$(ls "$MAILLOG".[0-9]*.gz)
[ -n "$rotated" ] || { say "no rotated log $MAILLOG.*.gz"; exit 1; }
{ for f in $rotated; do gzip -dc "$f"; done; cat "$MAILLOG"; } >"$ALL"
echo "MEASURED rotated $(gzip -dc $rotated | wc -l) lines, then $(wc -l <"$MAILLOG") in the new file"
say "harness self-check (the log against the expectations):"
BW_E2E_EXPECT=$EXPECT sh "$RUN" check "$ALL" ||
	{ say "the Postfix run itself did not go as scripted"; exit 1; }

want=$(wc -l <"$ALL")
i=0
while [ "$(lines_read)" != "$want" ]; do
	i=$((i + 1))
	[ $i -le 300 ] || { say "daemon did not catch up: $(lines_read) of $want lines"; exit 1; }
	sleep 0.1
done
stop_daemon
# What the daemon created: owned by the unprivileged user, 0640.
for f in "$DB" "$DB-wal" "$DB-shm" "$DB.lock"; do
	m=$(stat -c '%a %U' "$f")
	[ "$m" = "640 $RUNAS" ] || { say "$f: mode/owner $m, want 640 $RUNAS"; exit 1; }
done
say "database, WAL, SHM and lock file: 0640, owned by $RUNAS"
check_db "$ALL" "$DB" "$EXPECT" || exit 1
[ -z "${BW_E2E_RESULT:-}" ] || "$PYTHON" "$HERE/compare-db.py" outcomes "$DB" >"$BW_E2E_RESULT"
grep -q "ingestion stalled" "$W/daemon.err" && { say "unexpected stall"; exit 1; }
say "PASS in $(( $(date +%s) - t0 ))s"
ok=1
