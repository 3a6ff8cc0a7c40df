#!/bin/sh
# bouncewatch import PATTERN: the pattern of "log =" (quoted: bouncewatch
# expands it) reads every matching file once, in name order, rotated
# copies left out; the same as importing the files by name; a second run
# adds nothing; a pattern matching nothing is an error.
. "$top_srcdir/tests/lib.sh"

command -v sqlite3 >/dev/null 2>&1 || { echo "sqlite3 missing: skip"; exit 77; }

state() {
	sqlite3 -readonly "$1" "
SELECT 'failures', count(*) FROM failure;
SELECT 'kind', kind, sum(n) FROM line_stats GROUP BY kind ORDER BY 2;
SELECT 'row', time, queue_id, recipient, class, reason FROM v_failures
    ORDER BY 2, 3, 4;"
}

mkdir "$T/hurricane"
sample="$DATA/sample-mail.log"
head -n 3000 "$sample" > "$T/hurricane/20261201Processed.log"
sed -n '3001,5500p' "$sample" > "$T/hurricane/20261202Processed.log"
sed -n '5501,$p' "$sample" > "$T/hurricane/20261203Processed.log"
# a rotated copy of a match is no source of its own
cp "$T/hurricane/20261203Processed.log" "$T/hurricane/20261203Processed.log.1"

"$BW" import --quiet --db "$T/glob.db" "$T/hurricane/*Processed.log*" \
    2> "$T/err" || fail "import PATTERN: $(cat "$T/err")"
"$BW" import --quiet --db "$T/names.db" "$sample" 2> "$T/err" ||
	fail "import FILE: $(cat "$T/err")"
state "$T/glob.db" > "$T/glob.state"
state "$T/names.db" > "$T/names.state"
cmp -s "$T/glob.state" "$T/names.state" ||
	fail "import PATTERN differs from the same lines by name: $(diff "$T/names.state" "$T/glob.state" | head)"
n=$(sqlite3 -readonly "$T/glob.db" "SELECT count(*) FROM source")
assert_eq "$n" 3 "sources of the pattern (one per daily file, no copy)"
assert_eq "$(sqlite3 -readonly "$T/glob.db" "SELECT sum(n) FROM line_stats")" 8000 \
    "lines imported"
pass "import PATTERN reads each daily file once"

"$BW" import --db "$T/glob.db" "$T/hurricane/*Processed.log" 2> "$T/err" ||
	fail "second import: $(cat "$T/err")"
grep -q "imported 0 lines" "$T/err" || fail "second import read again: $(cat "$T/err")"
pass "a second import adds nothing"

if "$BW" import --quiet --db "$T/glob.db" "$T/nowhere/*.log" 2> "$T/err"; then
	fail "a pattern matching nothing succeeded"
fi
grep -q "does not exist" "$T/err" || fail "no reason given: $(cat "$T/err")"
pass "a pattern matching nothing is an error"
