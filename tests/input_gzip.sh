#!/bin/sh
# A .gz log is inflated in a thread of its own, buffers ahead of the lines
# (input.c): what it hands out must stay what gzread gives.  A gzip cut in
# the middle imports the lines before the cut, exactly as a plain file
# holding them; a gzip corrupted in the middle is a read error after the
# lines before it, and nothing of the batch is kept; a whole one imports
# what the plain file imports.
. "$top_srcdir/tests/lib.sh"

command -v sqlite3 > /dev/null 2>&1 || { echo "sqlite3 missing: skip"; exit 77; }
command -v python3 > /dev/null 2>&1 || { echo "python3 missing: skip"; exit 77; }

# 100k lines, about 15 MB: many of the inflating thread's 1 MiB buffers
python3 "$top_srcdir/bench/genlog.py" --lines 100000 --seed 3 \
    --start 2026-11-20T00:00:00 > "$T/mail.log"
gzip -c "$T/mail.log" > "$T/mail.log.gz"
size=$(wc -c < "$T/mail.log.gz")
head -c $((size / 2)) "$T/mail.log.gz" > "$T/cut.gz"
cp "$T/mail.log.gz" "$T/bad.gz"
printf 'corrupted in the middle of the deflate stream' |
	dd of="$T/bad.gz" bs=1 seek=$((size / 2)) conv=notrunc 2> /dev/null

rows() { sqlite3 -readonly "$1" "SELECT * FROM failure"; }

"$BW" import --quiet --db "$T/plain.db" "$T/mail.log" || fail "plain import"
"$BW" import --quiet --db "$T/gz.db" "$T/mail.log.gz" || fail "gzip import"
[ "$(rows "$T/plain.db")" = "$(rows "$T/gz.db")" ] || fail "the .gz import differs from the plain one"
pass "a whole .gz imports what the plain file imports"

"$BW" import --quiet --db "$T/cut.db" "$T/cut.gz" 2> "$T/err" ||
	fail "a cut gzip: $(cat "$T/err")"
n=$(sqlite3 -readonly "$T/cut.db" "SELECT lines FROM source")
off=$(sqlite3 -readonly "$T/cut.db" "SELECT offset FROM source")
[ "$n" -gt 1000 ] && [ "$n" -lt 100000 ] || fail "a cut gzip: $n lines"
head -n "$n" "$T/mail.log" > "$T/prefix.log"
assert_eq "$off" "$(wc -c < "$T/prefix.log")" "offset after a cut gzip"
"$BW" import --quiet --db "$T/prefix.db" "$T/prefix.log" || fail "prefix import"
[ "$(rows "$T/prefix.db")" = "$(rows "$T/cut.db")" ] ||
	fail "a cut gzip differs from the plain file of its $n lines"
pass "a gzip cut in the middle: its first $n lines, as plain"

st=0
"$BW" import --quiet --db "$T/bad.db" "$T/bad.gz" 2> "$T/err" || st=$?
assert_eq "$st" 1 "exit status of a corrupt gzip"
grep -q 'read error after [0-9]* lines' "$T/err" || fail "no read error said: $(cat "$T/err")"
assert_eq "$(sqlite3 -readonly "$T/bad.db" "SELECT count(*) FROM failure")" 0 "rows kept of a corrupt gzip"
pass "a corrupt gzip: a read error, nothing kept"
