#!/bin/sh
# bouncewatch status: per source, the lines read today (the log time's day
# in the configured timezone) and the time of the last line read, counted
# independently here with awk; a log = PATTERN's files and its total; a
# pattern matching nothing is a warning (exit 1).
. "$top_srcdir/tests/lib.sh"

sample="$DATA/sample-mail.log"
mkdir "$T/h"
# two days in one file: the first 3000 lines moved to the day before
head -n 3000 "$sample" | sed 's/^2026-11-22/2026-11-21/' > "$T/h/mail.log"
sed -n '3001,$p' "$sample" >> "$T/h/mail.log"
conf() {
	printf 'log = %s\ndatabase = %s/bw.db\ntimezone = %s\n' "$1" "$T" "$2" \
	    > "$T/bw.conf"
}
status() {
	BOUNCEWATCH_CONF="$T/bw.conf" BOUNCEWATCH_NOW=$1 "$BW" status > "$T/out" ||
		echo "exit $?" >> "$T/out"
}
today() {	# FILE: the "N today" of its line
	sed -n "s|^log $1: .* lines read ([0-9]* unparseable), \([0-9]*\) today; last line \([^ ]*\).*|\1 \2|p" \
	    "$T/out"
}

"$BW" import --quiet --db "$T/bw.db" "$T/h/mail.log"
conf "$T/h/mail.log" UTC
status 2026-11-22T21:00:00Z
want=$(awk '$1 >= "2026-11-22"' "$T/h/mail.log" | wc -l | tr -d ' ')
last=$(tail -n 1 "$T/h/mail.log" | cut -c1-19)Z
assert_eq "$(today "$T/h/mail.log")" "$want $last" "lines today (UTC), last line"
pass "lines today and the last line's time"

# the zone's day: in Tokyo, 2026-11-23 begins at 2026-11-22T15:00Z
conf "$T/h/mail.log" Asia/Tokyo
status 2026-11-22T21:00:00Z
want=$(awk '$1 >= "2026-11-22T15"' "$T/h/mail.log" | wc -l | tr -d ' ')
assert_eq "$(today "$T/h/mail.log" | cut -d' ' -f1)" "$want" "lines today (Asia/Tokyo)"
status 2026-11-24T12:00:00Z
assert_eq "$(today "$T/h/mail.log" | cut -d' ' -f1)" 0 "lines today, a day later"
pass "today is the configured zone's day"

# lines written after the last import are not read yet: not counted
head -n 50 "$sample" | sed 's/^2026-11-22T0/2026-11-22T2/' >> "$T/h/mail.log"
conf "$T/h/mail.log" UTC
status 2026-11-22T23:00:00Z
want=$(head -n 8000 "$T/h/mail.log" | awk '$1 >= "2026-11-22"' | wc -l | tr -d ' ')
assert_eq "$(today "$T/h/mail.log" | cut -d' ' -f1)" "$want" "lines today up to the position read"
grep -q "^log $T/h/mail.log: .*(.* behind)" "$T/out" || fail "no lag: $(cat "$T/out")"
pass "only what was read is counted"

# a pattern: each daily file, the older ones counted, and the total
mkdir "$T/d"
head -n 3000 "$sample" | sed 's/^2026-11-22/2026-11-21/' > "$T/d/20261121Processed.log"
sed -n '3001,$p' "$sample" > "$T/d/20261122Processed.log"
touch -d 2026-11-21T23:00:00 "$T/d/20261121Processed.log"
"$BW" import --quiet --db "$T/bw.db" "$T/d/*Processed.log"
conf "$T/d/*Processed.log" UTC
status 2026-11-22T21:00:00Z
assert_eq "$(today "$T/d/20261122Processed.log" | cut -d' ' -f1)" 5000 "today's file"
grep -q "^log $T/d/\*Processed.log: 1 older file(s) read to their end" "$T/out" ||
	fail "older file not summed up: $(cat "$T/out")"
grep -q "^log $T/d/\*Processed.log: 5000 lines today in all its files" "$T/out" ||
	fail "pattern total: $(cat "$T/out")"
grep -q "^exit" "$T/out" && fail "a healthy pattern: $(cat "$T/out")"
pass "a pattern's files and total"

conf "$T/none/*Processed.log" UTC
status 2026-11-22T21:00:00Z
grep -q "waiting: matches no file yet: directory $T/none: does not exist" "$T/out" ||
	fail "empty pattern not said: $(cat "$T/out")"
grep -q "^exit 1$" "$T/out" || fail "empty pattern: not a warning: $(cat "$T/out")"
pass "a pattern matching nothing is a warning"

printf 'these lines\nare no mail log\n' > "$T/h/junk.log"
"$BW" import --quiet --db "$T/bw.db" "$T/h/junk.log" 2>/dev/null
conf "$T/h/junk.log" UTC
status 2026-11-22T21:00:00Z
grep -q "^log $T/h/junk.log: warning: none of its 2 lines could be parsed" "$T/out" ||
	fail "an unparseable log not said: $(cat "$T/out")"
grep -q "^log $T/h/junk.log: .* 2 lines read (2 unparseable), 0 today; last line never" \
    "$T/out" || fail "junk.log: $(cat "$T/out")"
grep -q "^exit 1$" "$T/out" || fail "an unparseable log: not a warning: $(cat "$T/out")"
pass "a log of unparseable lines is a warning"
