#!/bin/sh
# bouncewatch classify as a user runs it: formats, stdin, files, gzip,
# --reply, exit statuses and the summary on stderr.
. "$top_srcdir/tests/lib.sh"

sample="$top_srcdir/tests/data/sample-mail.log"

# json: one object per delivery event, in input order, with the documented keys
"$BW" classify --format json "$sample" > "$T/out.json" 2> "$T/err"
n=$(wc -l < "$T/out.json")
[ "$n" -gt 20 ] || fail "too few records: $n"
for k in line time host program queue_id recipient domain relay status class reason code dsn stage diagnostic rule; do
	grep -q "\"$k\":" "$T/out.json" || fail "json key $k missing"
done
python3 - "$T/out.json" <<'PY'
import json, sys
prev = 0
for raw in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(raw)
    assert r["line"] > prev, "records out of input order"
    prev = r["line"]
    assert r["class"] in ("delivered", "permanent", "temporary", "greylist"), r
    if r["class"] == "delivered":
        assert r["reason"] is None, r
    else:
        assert r["reason"], r
PY
grep -q 'lines:.*deliveries.*unparseable' "$T/err" || fail "no summary on stderr"
pass "json output"

# stdin and a gzip file give the same records as the plain file
"$BW" classify --format tsv "$sample" > "$T/a.tsv" 2>/dev/null
"$BW" classify --format tsv < "$sample" > "$T/b.tsv" 2>/dev/null
gzip -c "$sample" > "$T/sample.log.gz"
"$BW" classify --format tsv "$T/sample.log.gz" > "$T/c.tsv" 2>/dev/null
cmp -s "$T/a.tsv" "$T/b.tsv" || fail "stdin differs from file"
cmp -s "$T/a.tsv" "$T/c.tsv" || fail "gzip differs from file"
head -1 "$T/a.tsv" | grep -q '^line	time	host' || fail "tsv header"
pass "stdin, gzip and tsv"

# --reply: one bare reply
out=$("$BW" classify --format json --reply '450 4.7.1 <a@example.com>: Recipient address rejected: Policy Rejection')
echo "$out" | grep -q '"class":"greylist"' || fail "reply class: $out"
echo "$out" | grep -q '"reason":"greylisted"' || fail "reply reason: $out"
pass "--reply"

# hostile input: binary garbage and a 2 MB line never crash, all counted
head -c 300000 /dev/urandom > "$T/garbage"
python3 -c "import sys; sys.stdout.write('x' * 2000000 + '\n')" >> "$T/garbage"
cat "$sample" >> "$T/garbage"
"$BW" classify --format tsv "$T/garbage" > "$T/g.tsv" 2> "$T/g.err" || fail "garbage: exit $?"
[ "$(tail -n +2 "$T/g.tsv" | wc -l)" -eq "$(tail -n +2 "$T/a.tsv" | wc -l)" ] || fail "garbage changed the records"
pass "garbage counted and skipped"

# errors: a missing file is named, the others are still read, exit 1
set +e
"$BW" classify --format tsv /nonexistent/mail.log "$sample" > "$T/m.tsv" 2> "$T/m.err"
rc=$?
set -e
assert_eq "$rc" 1 "missing file exit status"
grep -q '/nonexistent/mail.log' "$T/m.err" || fail "missing file not named"
cmp -s "$T/m.tsv" "$T/a.tsv" || fail "other files not read"
set +e
"$BW" classify --format yaml "$sample" > /dev/null 2>&1; rc=$?
set -e
assert_eq "$rc" 2 "bad format exit status"
set +e
"$BW" classify --timezone Mars/Olympus_Mons "$sample" > /dev/null 2> "$T/z.err"; rc=$?
set -e
assert_eq "$rc" 2 "unknown --timezone exit status (bouncewatch(1): a usage error)"
grep -q 'Mars/Olympus_Mons' "$T/z.err" || fail "unknown zone not named"
pass "error handling"

# --explain: the evidence found, the rule that won and why the others lost
out=$("$BW" classify --explain --reply '552 5.2.2 Message is too large for this mailbox')
echo "$out" | grep -q 'permanent/mailbox_full \[enh:x.2.2\]' || fail "explain verdict: $out"
echo "$out" | grep -q 'WON .*enh:x.2.2 "x.2.2": won' || fail "explain winner: $out"
echo "$out" | grep -q 'message_too_large .*"is too large": weaker evidence' || fail "explain loser: $out"
printf 'mailbox_full "too large"\n' > "$T/ops.rules"
out=$("$BW" classify --explain --rules "$T/ops.rules" --format json --reply '552 5.2.2 Message is too large for this mailbox')
echo "$out" | python3 -c '
import json, sys
r = json.load(sys.stdin)
ev = r["explain"]["evidence"]
assert ev[0]["outcome"] == "won" and ev[0]["weight"] == "operator", ev
assert any(e["outcome"] == "operator rules come first" for e in ev[1:]), ev
' || fail "explain json: $out"
set +e
"$BW" classify --explain --format tsv --reply '550 x' > /dev/null 2>&1; rc=$?
set -e
assert_eq "$rc" 2 "--explain with tsv"
# a rules file anyone may write is refused, named
chmod 666 "$T/ops.rules"
set +e
"$BW" classify --rules "$T/ops.rules" --reply '550 x' > /dev/null 2> "$T/ww.err"; rc=$?
set -e
[ "$rc" -ne 0 ] || fail "world-writable rules file accepted"
grep -q "ops.rules: writable by anyone" "$T/ww.err" || fail "refusal not explained: $(cat "$T/ww.err")"
pass "--explain and rules file safety"
