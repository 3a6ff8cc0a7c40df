#!/bin/sh
# bouncewatch import --journal-directory on real journal files (made by
# systemd-journal-remote from tests/data/journal/*.export): the rows equal
# those of the same lines imported from text files; a second import adds
# nothing; an entry of another facility is skipped; a cursor whose entry
# was vacuumed gives one gap row and the entries after it, exactly.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/journal_lib.sh"

command -v sqlite3 >/dev/null 2>&1 || { echo "sqlite3 missing: skip"; exit 77; }

q() { sqlite3 -readonly "$1" "$2"; }

imp() {
	db=$1; shift
	"$BW" import --quiet --db "$db" "$@" 2> "$T/import.err" ||
		fail "import $*: exit $?: $(cat "$T/import.err")"
}

# The text the journal entries of the mail facility were made from: all of
# real-postfix.log, and the first 700 lines of sample-mail.log without the
# CRON and sshd lines (facilities cron, auth and authpriv).
head -n 700 "$DATA/sample-mail.log" | grep -v -e ' CRON\[' -e ' sshd\[' > "$T/mx1.log"
[ "$(wc -l < "$T/mx1.log")" -eq "$(jl_mail_count "$JDATA/mx1.export")" ] ||
	fail "mx1.export and sample-mail.log disagree on the mail lines"
imp "$T/text.db" "$DATA/real-postfix.log" "$T/mx1.log"
[ "$(q "$T/text.db" 'SELECT count(*) FROM failure')" -gt 80 ] || fail "too few failure rows"

mkdir "$T/j"
jl_build "$T/j/mail.journal" "$JDATA/mail.export"
jl_build "$T/j/mx1.journal" "$JDATA/mx1.export"

# ---- the journal gives what the text gives ----
imp "$T/j.db" --journal-directory "$T/j"
jl_same "$T/text.db" "$T/j.db" "journal import differs from the text import"
assert_eq "$(q "$T/j.db" "SELECT count(DISTINCT host) FROM v_failures")" 2 "hosts"
assert_eq "$(q "$T/j.db" "SELECT lines FROM source WHERE path LIKE 'journal:%'")" \
    "$(($(jl_mail_count "$JDATA/mail.export") + $(jl_mail_count "$JDATA/mx1.export")))" \
    "entries read"
pass "journal import equals the text import (2 hosts)"

# ---- a second import adds nothing ----
imp "$T/j.db" --journal-directory "$T/j"
jl_same "$T/text.db" "$T/j.db" "a second journal import changed the database"
assert_eq "$(q "$T/j.db" 'SELECT count(*) FROM gap')" 0 "gap rows after a re-import"
"$BW" import --db "$T/j.db" --journal-directory "$T/j" 2> "$T/import.err" ||
	fail "import: $(cat "$T/import.err")"
grep -q 'imported 0 lines' "$T/import.err" || fail "re-import read lines: $(cat "$T/import.err")"
pass "re-import adds nothing"

# ---- an entry of another facility is skipped, and is readable ----
assert_eq "$(q "$T/j.db" "SELECT count(*) FROM v_failures WHERE recipient LIKE '%audit.test'")" 0 \
    "the local7 entry was read with the default match"
imp "$T/local7.db" --journal-directory "$T/j" --journal-match SYSLOG_FACILITY=23
assert_eq "$(q "$T/local7.db" "SELECT recipient || ' ' || class || ' ' || reason FROM v_failures")" \
    "archive@audit.test permanent domain_not_found" "the local7 entry with journal_match"
pass "an entry of another facility is skipped"

# ---- a vacuumed cursor: one gap row, then every entry after it ----
n=$(jl_count "$JDATA/mail.export")
mkdir "$T/v"
jl_slice "$JDATA/mail.export" 1 100 > "$T/p1.export"
jl_slice "$JDATA/mail.export" 101 "$n" > "$T/p2.export"
jl_add "$T/v" p1 "$T/p1.export"
imp "$T/v.db" --journal-directory "$T/v"
rm "$T/v/p1.journal"			# vacuumed
jl_add "$T/v" p2 "$T/p2.export"
imp "$T/v.db" --journal-directory "$T/v"
grep -q 'may be missing' "$T/import.err" || fail "the gap was not logged"
mkdir "$T/all"
jl_build "$T/all/mail.journal" "$JDATA/mail.export"
imp "$T/all.db" --journal-directory "$T/all"
jl_same "$T/all.db" "$T/v.db" "after a vacuumed cursor"
last=$(jl_slice "$JDATA/mail.export" 100 1 | sed -n 's/^__REALTIME_TIMESTAMP=//p')
first=$(jl_slice "$JDATA/mail.export" 101 1 | sed -n 's/^__REALTIME_TIMESTAMP=//p')
assert_eq "$(q "$T/v.db" 'SELECT count(*), min(reason), min(from_offset), min(to_offset) FROM gap')" \
    "1|journal_vacuumed|$last|$first" "the gap row"
pass "a vacuumed cursor gives a gap row and continues after it"

# ---- a changed journal_match: the saved entry no longer matches, no gap ----
mkdir "$T/m"
jl_add "$T/m" p1 "$T/p1.export"
imp "$T/m.db" --journal-directory "$T/m"
jl_slice "$T/p1.export" 100 1 | grep -q '^SYSLOG_IDENTIFIER=postfix/qmgr$' ||
	fail "the saved entry must not match the new match"
jl_add "$T/m" p2 "$T/p2.export"
imp "$T/m.db" --journal-directory "$T/m" --journal-match SYSLOG_IDENTIFIER=postfix/smtp
assert_eq "$(q "$T/m.db" 'SELECT count(*) FROM gap')" 0 "gap rows after a match change"
assert_eq "$(q "$T/m.db" "SELECT lines FROM source WHERE path = 'journal:$T/m'")" \
    "$(($(jl_mail_count "$T/p1.export") + $(grep -c '^SYSLOG_IDENTIFIER=postfix/smtp$' "$T/p2.export")))" \
    "entries read after a match change"
pass "a changed journal_match is not taken for a vacuumed cursor"

# ---- bouncewatchd -n: every source readable as the configured user ----
cat > "$T/n.conf" <<EOC
journal_directory = $T/j
database = $T/n.db
pidfile = $T/n.pid
EOC
"$BWD" -n -c "$T/n.conf" > "$T/n.out" 2>&1 || fail "-n on a readable journal directory: $(cat "$T/n.out")"
grep -q "journal $T/j: readable" "$T/n.out" || fail "-n does not name the journal: $(cat "$T/n.out")"
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	chmod 755 "$T" "$T/j"
	chmod 644 "$T"/j/*.journal			# systemd-journal-remote makes them 0640
	chmod 600 "$T/j/mx1.journal"
	echo "user = nobody" >> "$T/n.conf"
	rc=0; "$BWD" -n -c "$T/n.conf" > "$T/n.out" 2>&1 || rc=$?
	assert_eq "$rc" 78 "-n with a journal file nobody cannot read"
	grep -q "mx1.journal: Permission denied" "$T/n.out" || fail "-n: $(cat "$T/n.out")"
	chmod 644 "$T/j/mx1.journal"
	"$BWD" -n -c "$T/n.conf" > "$T/n.out" 2>&1 || fail "-n as nobody: $(cat "$T/n.out")"
	pass "-n checks the journal files as the configured user"
fi
# log = auto says what it picked and why (whatever this system has)
printf 'database = %s\npidfile = %s\n' "$T/n.db" "$T/n.pid" > "$T/auto.conf"
"$BWD" -n -c "$T/auto.conf" > "$T/n.out" 2>&1 || :
grep -q '^log = auto: ' "$T/n.out" || fail "-n does not say what log = auto picked: $(cat "$T/n.out")"
pass "-n says what log = auto picked"

# ---- bouncewatch status: state, lag, exit status ----
mkdir "$T/st"
jl_add "$T/st" p1 "$T/p1.export"
jl_conf "$T/st.conf" "$T/st" "$T/st.db"
status() {
	rc=0
	"$BW" -c "$T/st.conf" status > "$T/status.out" 2>&1 || rc=$?
	assert_eq "$rc" "$1" "status exit ($(cat "$T/status.out"))"
	grep -q "$2" "$T/status.out" || fail "status: no \"$2\" in: $(cat "$T/status.out")"
}
status 2 "database $T/st.db: broken"
"$BW" -c "$T/st.conf" import --quiet --journal-directory "$T/st" || fail "import for status"
status 0 "journal:$T/st: following; 0 entries behind"
jl_add "$T/st" p2 "$T/p2.export"
status 0 "journal:$T/st: following; $(jl_count "$T/p2.export") entries behind"
rm "$T/st/p1.journal"
status 1 "the entry of the cursor is gone"
chmod 000 "$T/st/p2.journal"
if [ "$(id -u)" != 0 ]; then
	status 2 "journal:$T/st: unreadable: $T/st/p2.journal: Permission denied"
fi
chmod 644 "$T/st/p2.journal"
pass "bouncewatch status: following, behind, a vacuumed cursor, a missing database"
