# tests/journal_lib.sh -- real journal files for the journal source's tests,
# made by systemd-journal-remote from export-format fixtures
# (tests/data/journal/*.export).  Source it after tests/lib.sh.
#
# Exits 77 (skip) when this build has no journal source or the tool does
# not exist on this system (it is Linux-only: package systemd-journal-remote).

JDATA="$DATA/journal"

# The converter: not on PATH on Debian (it lives in /lib/systemd).
JREMOTE=""
for jl_p in "$(command -v systemd-journal-remote 2>/dev/null || :)" \
    /lib/systemd/systemd-journal-remote /usr/lib/systemd/systemd-journal-remote; do
	if [ -n "$jl_p" ] && [ -x "$jl_p" ]; then JREMOTE=$jl_p; break; fi
done
if [ -z "$JREMOTE" ]; then
	echo "systemd-journal-remote not found (package systemd-journal-remote): skip"
	exit 77
fi
if "$BW" import --quiet --db "$T/jl-probe.db" --journal-directory "$T/jl-none" 2>&1 |
    grep -q 'built without the systemd journal'; then
	echo "bouncewatch built without the journal source (--without-systemd): skip"
	exit 77
fi

# jl_build OUT.journal EXPORT...: write the entries of the export files to the
# journal file OUT (created, or appended to when it exists).  The name must
# end in ".journal".
jl_build() {
	jl_out=$1; shift
	for jl_e in "$@"; do
		"$JREMOTE" -o "$jl_out" "$jl_e" 2> "$T/jremote.err" ||
			fail "systemd-journal-remote -o $jl_out $jl_e: $(cat "$T/jremote.err")"
	done
}

# jl_add DIR NAME EXPORT...: a new journal file DIR/NAME.journal, built beside
# and renamed into place, as a reader sees a file journald has rotated in.
jl_add() {
	jl_dir=$1 jl_name=$2; shift 2
	mkdir -p "$T/jl-build"
	rm -f "$T/jl-build/$jl_name.journal"
	jl_build "$T/jl-build/$jl_name.journal" "$@"
	mv "$T/jl-build/$jl_name.journal" "$jl_dir/$jl_name.journal"
}

# jl_conf CONF DIR DB: a daemon configuration following the journal DIR
jl_conf() {
	printf '%s\n' "journal_directory = $2" "database = $3" \
	    "pidfile = $T/bw.pid" "commit_interval = 100ms" "timezone = UTC" > "$1"
}

# jl_state DB: what an import produced, independent of source paths, ids
# and clocks.
jl_state() {
	sqlite3 -readonly "$1" "
SELECT 'failures', count(*) FROM failure;
SELECT 'daily', day, domain, class, reason, n FROM v_daily ORDER BY 2, 3, 4, 5;
SELECT 'kind', kind, sum(n) FROM line_stats GROUP BY kind ORDER BY 2;
SELECT 'row', time, host, queue_id, recipient, relay, status, class, reason,
    code, dsn, stage, diagnostic FROM v_failures ORDER BY 2, 4, 5, 13;"
}

# jl_same DB1 DB2 WHAT: both databases hold the same rows and counters
jl_same() {
	jl_state "$1" > "$T/s1"
	jl_state "$2" > "$T/s2"
	if ! cmp -s "$T/s1" "$T/s2"; then
		diff "$T/s1" "$T/s2" | head -n 20 >&2
		fail "$3 (< $1, > $2)"
	fi
}

# jl_count EXPORT: the number of entries in an export file.
jl_count() {
	awk 'BEGIN { RS = "" } END { print NR }' "$1"
}

# jl_slice EXPORT FIRST COUNT: entries FIRST .. FIRST+COUNT-1 (from 1) of an
# export file, in export format (the fixtures have no binary fields, so an
# empty line always ends an entry).
jl_slice() {
	awk -v a="$2" -v n="$3" 'BEGIN { RS = ""; ORS = "\n\n" }
	    NR >= a && NR < a + n { print }' "$1"
}

# jl_mail_count EXPORT: entries of the mail facility (SYSLOG_FACILITY=2).
jl_mail_count() {
	grep -c '^SYSLOG_FACILITY=2$' "$1"
}
