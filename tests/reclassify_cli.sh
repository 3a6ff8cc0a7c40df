#!/bin/sh
# bouncewatch reclassify: today's rules applied again to stored failures
# leave the database as a fresh import with those rules would have, row
# for row, in every table and view; the detail is stored and shown.
. "$top_srcdir/tests/lib.sh"

logs="$DATA/sample-mail.log $DATA/real-postfix.log"
# rules that move rows between reasons, classes, details and 'other'
cat > "$T/ops.rules" <<'RULES'
blocklisted "does not exist"
policy permanent "greylist"
other "over quota"
other "Connection timed out"
rate_limited "spamcop"
RULES
chmod 644 "$T/ops.rules"

# every table and view, ids of interned rules replaced by their names
# (an import interns the rules it used, a reclassified database also the
# old ones), sorted; the wall-clock times of the sources' imports left out
dump() {
	python3 - "$1" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rules = dict(db.execute("SELECT id, name FROM rule"))
names = [r[0] for r in db.execute(
    "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
    "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
for t in names:
    if t == "rule":
        continue
    cur = db.execute('SELECT * FROM "%s"' % t)
    cols = [c[0] for c in cur.description]
    clock = [i for i, c in enumerate(cols)
             if t in ("source", "v_sources") and c in ("first_seen", "last_commit")]
    rows = []
    for r in cur:
        r = list(r)
        if t == "failure":
            i = cols.index("rule_id")
            r[i] = rules.get(r[i])
        for i in clock:
            r[i] = None
        rows.append(repr(r))
    for r in sorted(rows):
        print(t, r)
PY
}

"$BW" import --db "$T/with.db" --rules "$T/ops.rules" $logs 2> /dev/null
"$BW" import --db "$T/plain.db" $logs 2> /dev/null
dump "$T/with.db" > "$T/with.txt"
dump "$T/plain.db" > "$T/plain.txt"
# the rules must change something of each kind, or the test proves nothing
cmp -s "$T/with.txt" "$T/plain.txt" && fail "the rules changed nothing"
grep -q "^v_unrecognised " "$T/with.txt" || fail "no reply moved into 'other'"
grep -q "^v_details .*dnsbl:spamcop" "$T/plain.txt" || fail "no detail stored"
grep -q "^v_failures .*'dnsbl:spamcop'" "$T/plain.txt" || fail "v_failures lacks detail"

cp "$T/plain.db" "$T/re.db"
"$BW" reclassify --db "$T/re.db" --rules "$T/ops.rules" 2> "$T/re.err" ||
	fail "reclassify: $(cat "$T/re.err")"
grep -q "failures read, [1-9][0-9]* changed" "$T/re.err" || fail "summary: $(cat "$T/re.err")"
dump "$T/re.db" > "$T/re.txt"
diff "$T/with.txt" "$T/re.txt" > "$T/diff" || fail "reclassified differs from a fresh import: $(head -20 "$T/diff")"
pass "reclassify with new rules equals a fresh import with them"

# and back: without the rules it equals the plain import ('other' emptied)
"$BW" reclassify --db "$T/re.db" 2> "$T/back.err" || fail "reclassify back"
dump "$T/re.db" > "$T/back.txt"
diff "$T/plain.txt" "$T/back.txt" > "$T/diff" || fail "back differs from the plain import: $(head -20 "$T/diff")"
"$BW" reclassify --db "$T/re.db" 2> "$T/again.err"
grep -q " 0 changed" "$T/again.err" || fail "a second run changed rows: $(cat "$T/again.err")"
pass "reclassify back, and again: nothing to change"

# the suppression list around deliveries (not stored: the list shows
# where one came): a listed, delivered, listed again; c listed twice then
# delivered; d listed twice.  The rules unlist "does not exist".
b() {	# time queue-id recipient reply
	printf '2026-11-22T%s.000000+00:00 mx9 postfix/smtp[1]: %s: to=<%s>, relay=mx.sup.example[192.0.2.9]:25, delay=1, delays=0/0/0.5/0.5, dsn=5.1.1, status=bounced (host mx.sup.example[192.0.2.9] said: 550 5.1.1 %s (in reply to RCPT TO command))\n' "$@"
}
s() {	# time queue-id recipient
	printf '2026-11-22T%s.000000+00:00 mx9 postfix/smtp[1]: %s: to=<%s>, relay=mx.sup.example[192.0.2.9]:25, delay=1, delays=0/0/0.5/0.5, dsn=2.0.0, status=sent (250 2.0.0 Ok)\n' "$@"
}
{
	b 10:00:00 1A0000000A a@sup.example "Recipient address does not exist"
	s 10:10:00 1A0000000B a@sup.example
	b 10:20:00 1A0000000C a@sup.example "User unknown"
	b 10:30:00 1A0000000D c@sup.example "User unknown"
	b 10:40:00 1A0000000E c@sup.example "Recipient address does not exist"
	s 10:50:00 1A0000000F c@sup.example
	b 11:00:00 1A00000010 d@sup.example "Recipient address does not exist"
	b 11:10:00 1A00000011 d@sup.example "User unknown"
} > "$T/sup.log"
"$BW" import --db "$T/sw.db" --rules "$T/ops.rules" "$T/sup.log" 2> /dev/null
"$BW" import --db "$T/sq.db" "$T/sup.log" 2> /dev/null
"$BW" reclassify --db "$T/sq.db" --rules "$T/ops.rules" 2> /dev/null || fail "reclassify sup.log"
want=$(sqlite3 "$T/sw.db" "SELECT * FROM suppression ORDER BY 1, 2")
got=$(sqlite3 "$T/sq.db" "SELECT * FROM suppression ORDER BY 1, 2")
assert_eq "$got" "$want" "suppressions around deliveries"
[ "$(echo "$want" | wc -l)" -eq 2 ] || fail "suppressions around deliveries: $want"
pass "reclassify: the suppression list around deliveries as a fresh import"

# --from/--to: only the failures of those days move
cp "$T/plain.db" "$T/part.db"
day=$(sqlite3 "$T/part.db" "SELECT min(day) FROM day_span")
"$BW" reclassify --db "$T/part.db" --rules "$T/ops.rules" --from "$day" --to "$day" 2> /dev/null
n_out=$(sqlite3 "$T/part.db" "SELECT count(*) FROM failure f JOIN rule r ON r.id = f.rule_id
    WHERE r.name LIKE 'rules:%' AND f.time >= (SELECT min(time) FROM failure) + 86400")
assert_eq "$n_out" 0 "rows reclassified outside the days"
n_in=$(sqlite3 "$T/part.db" "SELECT count(*) FROM failure f JOIN rule r ON r.id = f.rule_id
    WHERE r.name LIKE 'rules:%'")
[ "$n_in" -gt 0 ] || fail "nothing reclassified in $day"
pass "--from/--to"

# usage errors, and a writer holding the database
set +e
"$BW" reclassify --db "$T/re.db" --from 2026-13-01 > /dev/null 2>&1; rc=$?
set -e
assert_eq "$rc" 2 "bad --from"
set +e
"$BW" reclassify --db "$T/re.db" --from 2026-11-23 --to 2026-11-01 > /dev/null 2>&1; rc=$?
set -e
assert_eq "$rc" 2 "--from after --to"
python3 -c '
import fcntl, os, sys, time
fd = os.open(sys.argv[1] + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(120)
' "$T/re.db" > "$T/lock.out" &
holder=$!
cleanup_hooks="$cleanup_hooks kill_holder"
kill_holder() { kill "$holder" 2>/dev/null; }
while ! grep -q locked "$T/lock.out" 2>/dev/null; do sleep 0.1; done
set +e
"$BW" reclassify --db "$T/re.db" > /dev/null 2> "$T/busy.err"; rc=$?
set -e
assert_eq "$rc" 1 "reclassify beside another writer"
grep -q "stop bouncewatchd" "$T/busy.err" || fail "busy message: $(cat "$T/busy.err")"
pass "usage errors and a busy database"
