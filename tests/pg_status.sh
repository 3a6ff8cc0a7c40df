#!/bin/sh
# bouncewatch status on the PostgreSQL backend (tests/pg_lib.sh) says
# what it says on SQLite: per log file the lines read, the unparseable
# ones (line_stats, store_source_kinds), the lines of today and the last
# line's time; a log whose every line is unparseable is a warning.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/pg_lib.sh"
pg_start

sample="$DATA/sample-mail.log"
mkdir "$T/h"
head -n 3000 "$sample" | sed 's/^2026-11-22/2026-11-21/' > "$T/h/mail.log"
sed -n '3001,$p' "$sample" >> "$T/h/mail.log"
printf 'these lines\nare no mail log\n' > "$T/h/junk.log"
for db in "$T/bw.db" "$PG_URI"; do
	"$BW" import --quiet --db "$db" "$T/h/mail.log" "$T/h/junk.log"
done
# status without the times of the commits and the database's own line
status() {
	printf 'log = %s\nlog = %s\ndatabase = %s\ntimezone = UTC\n' \
	    "$T/h/mail.log" "$T/h/junk.log" "$1" > "$T/bw.conf"
	rc=0
	BOUNCEWATCH_CONF="$T/bw.conf" BOUNCEWATCH_NOW=2026-11-22T21:00:00Z \
	    "$BW" status > "$T/out" || rc=$?
	grep -v '^database' "$T/out" | sed 's/; last commit .*//'
	echo "exit $rc"
}
status "$T/bw.db" > "$T/sqlite.out"
status "$PG_URI" > "$T/pg.out"
cmp -s "$T/sqlite.out" "$T/pg.out" ||
	fail "status differs between the backends: $(diff "$T/sqlite.out" "$T/pg.out")"
grep -q "^log $T/h/mail.log: .* 8000 lines read (0 unparseable), 5000 today; last line 2026-11-22T20:00:00Z" \
    "$T/pg.out" || fail "mail.log on PostgreSQL: $(cat "$T/pg.out")"
grep -q "^log $T/h/junk.log: warning: none of its 2 lines could be parsed" "$T/pg.out" ||
	fail "junk.log not said: $(cat "$T/pg.out")"
grep -q "^exit 1$" "$T/pg.out" || fail "not a warning: $(cat "$T/pg.out")"
pass "status on PostgreSQL: lines, unparseable lines, today, last line"

# libpq is loaded only when a PostgreSQL database is opened
# (store_pg_dl.c): a run on SQLite maps none of it
libs() { LD_DEBUG=libs "$@" 2>&1 > /dev/null | grep -c 'calling init: .*libpq\.so' || :; }
BOUNCEWATCH_CONF="$T/bw.conf" BOUNCEWATCH_NOW=2026-11-22T21:00:00Z libs "$BW" status --db "$T/bw.db" > "$T/n"
[ "$(cat "$T/n")" = 0 ] || fail "libpq loaded for an SQLite database"
BOUNCEWATCH_CONF="$T/bw.conf" BOUNCEWATCH_NOW=2026-11-22T21:00:00Z libs "$BW" status --db "$PG_URI" > "$T/n"
[ "$(cat "$T/n")" = 1 ] || fail "libpq not loaded (once) for PostgreSQL: $(cat "$T/n")"
# without it, a clear error, not a crash
rc=0
BOUNCEWATCH_LIBPQ="$T/no/libpq.so.5" BOUNCEWATCH_CONF="$T/bw.conf" \
    "$BW" status --db "$PG_URI" > "$T/err" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "status without libpq: exit 0"
grep -q "cannot load $T/no/libpq.so.5, the PostgreSQL client library" "$T/err" ||
	fail "status without libpq: $(cat "$T/err")"
rc=0
BOUNCEWATCH_LIBPQ="$T/no/libpq.so.5" "$BW" import --quiet --db "$PG_URI" \
    "$T/h/mail.log" 2> "$T/err" || rc=$?
[ "$rc" -ne 0 ] && grep -q "cannot load" "$T/err" ||
	fail "import without libpq: exit $rc: $(cat "$T/err")"
pass "libpq: loaded for PostgreSQL only; its absence said"
