#!/bin/sh
# bouncewatch suppressions on a database built by bouncewatch import: the
# list is recomputed independently from `bouncewatch classify --format
# json` of the same logs (last known outcome per recipient: a permanent
# user_unknown, mailbox_disabled, bad_address or domain_not_found failure,
# not followed by a delivery), in CSV, JSON and text, with --since; a
# delivery in a later import (another process) removes an address, a
# delivery logged earlier than the failure but imported after it does not.
. "$top_srcdir/tests/lib.sh"

DB="$T/bw.db"
printf 'database = %s\ntimezone = Europe/Berlin\n' "$DB" > "$T/bw.conf"
export BOUNCEWATCH_CONF="$T/bw.conf"

python3 "$top_srcdir/bench/genlog.py" --lines 40000 --rate 0.5 --seed 11 \
    --start 2026-11-20T00:00:00 --format iso > "$T/a.log"
line() {	# time status dsn recipient text
	printf '%s mx1 postfix/smtp[77]: %s: to=<%s>, relay=mx.crafted.example[192.0.2.5]:25, delay=1, delays=0/0/0.5/0.5, dsn=%s, status=%s (%s)\n' \
	    "$1" "$(printf '%s' "$4$1" | cksum | cut -c1-10 | tr 0-9 A-J)" "$4" "$3" "$2" "$5"
}
unknown="host mx.crafted.example[192.0.2.5] said: 550 5.1.1 <x>: Recipient address rejected: User unknown (in reply to RCPT TO command)"
{
	line 2026-11-22T08:00:00.000000+00:00 bounced 5.1.1 dead@crafted.example "$unknown"
	line 2026-11-22T09:00:00.000000+00:00 bounced 5.1.1 dead@crafted.example "$unknown"
	line 2026-11-22T08:00:00.000000+00:00 bounced 5.1.1 revived@crafted.example "$unknown"
	line 2026-11-22T10:00:00.000000+00:00 sent 2.0.0 revived@crafted.example "250 2.0.0 Ok: queued as 1234"
	line 2026-11-22T11:00:00.000000+00:00 bounced 5.1.1 early@crafted.example "$unknown"
	line 2026-11-22T11:00:00.000000+00:00 bounced 5.1.1 later@crafted.example "$unknown"
	line 2026-11-22T11:00:00.000000+00:00 bounced 5.7.1 blocked@crafted.example "host mx.crafted.example[192.0.2.5] said: 554 5.7.1 Service unavailable; Client host [198.51.100.7] blocked using zen.spamhaus.org (in reply to RCPT TO command)"
	line 2026-11-22T11:00:00.000000+00:00 deferred 4.2.2 full@crafted.example "host mx.crafted.example[192.0.2.5] said: 452 4.2.2 Mailbox full (in reply to RCPT TO command)"
	line 2026-11-22T11:30:00.000000+00:00 bounced 5.1.1 Mixed.Case@Crafted.Example "$unknown"
} > "$T/c.log"
{
	# a later import: later@ delivered after its bounce, early@ before it
	line 2026-11-22T12:00:00.000000+00:00 sent 2.0.0 later@crafted.example "250 2.0.0 Ok"
	line 2026-11-22T07:00:00.000000+00:00 sent 2.0.0 early@crafted.example "250 2.0.0 Ok"
} > "$T/d.log"
logs="$T/a.log $DATA/sample-mail.log $T/c.log"
# shellcheck disable=SC2086
"$BW" import -q $logs || fail "import"
"$BW" import -q "$T/d.log" || fail "second import"
i=0
for l in $logs "$T/d.log"; do
	i=$((i + 1))
	"$BW" classify --format json "$l" > "$T/cl$i.json" 2>/dev/null
done

"$BW" suppressions --format csv > "$T/s.csv" || fail "csv exit $?"
"$BW" suppressions --format json > "$T/s.json" || fail "json exit $?"
"$BW" suppressions > "$T/s.txt" || fail "text exit $?"
"$BW" suppressions --since 2026-11-22 --format csv > "$T/since.csv" || fail "--since exit $?"
python3 - "$T/s.csv" "$T/s.json" "$T/s.txt" "$T/since.csv" "$T"/cl*.json <<'PY' ||
import csv, datetime, json, sys
SUPPRESS = {"user_unknown", "mailbox_disabled", "bad_address", "domain_not_found"}
state = {}
for path in sys.argv[5:]:
    for raw in open(path, encoding="utf-8"):
        r = json.loads(raw)
        if r["kind"] != "delivery" or r["recipient"] is None or r["time"] is None:
            continue
        t = r["time"][:19] + "Z"
        key = r["recipient"]
        if r["class"] == "permanent" and r["reason"] in SUPPRESS:
            s = state.setdefault(key, {"first": t, "last": t, "n": 0})
            s["n"] += 1
            s["first"], s["last"] = min(s["first"], t), max(s["last"], t)
            s["reason"], s["domain"] = r["reason"], r["domain"]
        elif r["class"] == "delivered" and key in state and t >= state[key]["last"]:
            del state[key]
want = sorted((s["domain"], k, s["reason"], s["last"], s["first"], str(s["n"]))
              for k, s in state.items())
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
assert rows[0] == ["email", "reason", "created_at", "first_seen", "count", "domain",
                   "error"], rows[0]
got = [(r[5], r[0], r[1], r[2], r[3], r[4]) for r in rows[1:]]
assert got == want, ("csv", sorted(set(got) ^ set(want))[:10])
assert all(r[6] for r in rows[1:]), "a row without its error text"
js = json.load(open(sys.argv[2]))
assert [(x["domain"], x["email"], x["reason"], x["last_seen"], x["first_seen"],
         str(x["count"])) for x in js] == want, "json"
text = open(sys.argv[3], encoding="utf-8").read().splitlines()
assert len(text) == len(want) + 1 and all(w[1] in l for w, l in zip(want, text[1:])), "text"
since = [r[0] for r in csv.reader(open(sys.argv[4], encoding="utf-8"))][1:]
# --since is a day in Europe/Berlin: 2026-11-21T23:00:00Z
assert since == [w[1] for w in want if w[3] >= "2026-11-21T23:00:00Z"], "since"
assert 0 < len(since) < len(want), (len(since), len(want))
emails = [w[1] for w in want]
for e in ("dead@crafted.example", "early@crafted.example", "Mixed.Case@Crafted.Example"):
    assert e in emails, e
for e in ("revived@crafted.example", "later@crafted.example", "blocked@crafted.example",
          "full@crafted.example"):
    assert e not in emails, e
dead = [w for w in want if w[1] == "dead@crafted.example"][0]
assert dead[5] == "2", dead
print("%d suppressed recipients" % len(want))
PY
    fail "suppressions differ from the logs"
pass "suppressions: csv, json, text and --since recomputed from the logs"

# an address that bounced before the upgrade to the suppression table is
# found by the migration (from the failure rows)
assert_eq "$(sqlite3 -readonly "$DB" "SELECT n FROM v_suppressions
    WHERE recipient = 'dead@crafted.example'")" 2 "v_suppressions"
set +e
"$BW" suppressions --format xml 2> "$T/bad.err"
st=$?
set -e
assert_eq "$st" 2 "an unknown format"
grep -q '^bouncewatch suppressions: unknown format' "$T/bad.err" || fail "$(cat "$T/bad.err")"
pass "v_suppressions; an unknown format"
