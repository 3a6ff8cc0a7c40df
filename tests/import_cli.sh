#!/bin/sh
# bouncewatch import, report and prune as a user runs them, on real
# database files: idempotent re-imports (again, renamed, gzip, grown, a
# partial last line), files that are not our database, unreadable inputs,
# readers beside a writer and without write permission, a full disk, a
# locked database, kill -9 at random moments, prune.
#
# Each section runs in its own subshell: a failure is reported and the
# other sections still run.  Root-only parts (another user, a small tmpfs)
# are skipped when not root; the test then exits 77 if all else passed.
. "$top_srcdir/tests/lib.sh"

real="$DATA/real-postfix.log"
sample="$DATA/sample-mail.log"
skipped="" failed=""

command -v sqlite3 >/dev/null 2>&1 || { echo "sqlite3 missing: skip"; exit 77; }

q() { sqlite3 -readonly "$1" "$2"; }

# What an import produced, independent of source paths, ids and clocks.
state() {
	sqlite3 -readonly "$1" "
SELECT 'failures', count(*) FROM failure;
SELECT 'daily', day, domain, class, reason, n FROM v_daily ORDER BY 2, 3, 4, 5;
SELECT 'kind', kind, sum(n) FROM line_stats GROUP BY kind ORDER BY 2;
SELECT 'row', time, host, queue_id, recipient, relay, status, class, reason,
    code, dsn, stage, diagnostic FROM v_failures ORDER BY 2, 4, 5, 13;"
}

report() { "$BW" report --format json --db "$1" --from 2024-01-01 --to 2026-12-31; }

# import_ok DB FILE...: import, which must succeed
import_ok() {
	db=$1; shift
	"$BW" import --quiet --db "$db" "$@" 2> "$T/import.err" ||
		fail "import $*: exit $?: $(cat "$T/import.err")"
}

# same DB1 DB2 WHAT: both databases hold the same import
same() {
	state "$1" > "$T/s1"
	state "$2" > "$T/s2"
	if ! cmp -s "$T/s1" "$T/s2"; then
		diff "$T/s2" "$T/s1" | head -n 20 >&2
		fail "$3: differs from a clean import (< clean, > tested)"
	fi
}

# run NAME: sec_NAME in a subshell with its own EXIT trap for cleanup.
run() {
	rc=0
	( trap - 0; set -e; "sec_$1" ) &
	wait $! || rc=$?
	case $rc in
	0) ;;
	77) skipped="$skipped $1" ;;
	*) failed="$failed $1"; echo "FAIL: section $1" >&2 ;;
	esac
}

# The clean imports every comparison refers to.
import_ok "$T/clean-real.db" "$real"
import_ok "$T/clean-sample.db" "$sample"
[ "$(q "$T/clean-real.db" 'SELECT count(*) FROM failure')" -gt 80 ] || fail "too few failure rows"
# grouping: "450 4.7.1 <rcpt>: ..." groups as "<addr>:", never "<<addr>>:"
assert_eq "$(q "$T/clean-sample.db" "SELECT count(*) FROM diagnostic
    WHERE normalized LIKE '%<<addr>>%'")" 0 "addresses in angle brackets doubled"
[ "$(q "$T/clean-sample.db" "SELECT count(*) FROM diagnostic
    WHERE normalized LIKE '450 4.7.1 <addr>: Recipient address rejected%'")" -gt 0 ] ||
	fail "no '450 4.7.1 <addr>: Recipient address rejected' group"

# ---- 3. idempotent re-import ----

sec_reimport() {
	db="$T/idem.db"
	import_ok "$db" "$real"
	report "$db" > "$T/r1.json"
	state "$db" > "$T/st1"
	cp "$real" "$T/mail.log.1"
	gzip -c "$real" > "$T/mail.log.2.gz"
	for f in "$real" "$T/mail.log.1" "$T/mail.log.2.gz"; do
		"$BW" import --db "$db" "$f" 2> "$T/again.err" ||
			fail "re-import of $f: exit $?"
		grep -q 'imported 0 lines' "$T/again.err" ||
			fail "re-import of $f: $(cat "$T/again.err")"
		report "$db" > "$T/r2.json"
		cmp -s "$T/r1.json" "$T/r2.json" || fail "re-import of $f changed the report"
		state "$db" > "$T/st2"
		cmp -s "$T/st1" "$T/st2" || fail "re-import of $f changed the database"
	done
	assert_eq "$(q "$db" 'SELECT count(*) FROM source')" 1 "sources after re-imports"
	pass "re-import, renamed copy and gzip add nothing"

	# a .gz imported first, then the plain file: one source
	db="$T/gzfirst.db"
	import_ok "$db" "$T/mail.log.2.gz"
	import_ok "$db" "$real"
	same "$db" "$T/clean-real.db" "gzip first, then the plain file"
	pass "gzip first, then plain"
}

sec_grown() {
	db="$T/grow.db"
	cp "$sample" "$T/grow.log"
	import_ok "$db" "$T/grow.log"
	cat "$real" >> "$T/grow.log"
	import_ok "$db" "$T/grow.log"
	import_ok "$T/clean-grow.db" "$T/grow.log"
	same "$db" "$T/clean-grow.db" "a file that grew"
	assert_eq "$(q "$db" 'SELECT lines FROM source')" \
	    "$(wc -l < "$T/grow.log" | tr -d ' ')" "lines of the grown file"
	pass "a grown file adds exactly its new lines"
}

# a new database has 16 KiB pages; one of 4 KiB (made by 0.1) is written
# as it is, and the conversion bouncewatch(1) shows keeps every row
sec_pages() {
	assert_eq "$(q "$T/clean-sample.db" 'PRAGMA page_size')" 16384 "page size of a new database"
	d4="$T/pages4k.db"
	cp "$T/clean-sample.db" "$d4"
	sqlite3 "$d4" 'PRAGMA journal_mode = DELETE; PRAGMA page_size = 4096;
	    VACUUM; PRAGMA journal_mode = WAL' > /dev/null || fail "sqlite3: to 4 KiB"
	assert_eq "$(q "$d4" 'PRAGMA page_size')" 4096 "page size after the VACUUM"
	import_ok "$d4" "$real"
	assert_eq "$(q "$d4" 'PRAGMA page_size')" 4096 "page size of an old database"
	import_ok "$T/pages16k.db" "$sample"
	import_ok "$T/pages16k.db" "$real"
	same "$d4" "$T/pages16k.db" "4 KiB pages against 16 KiB"
	sqlite3 "$d4" 'PRAGMA journal_mode = DELETE; PRAGMA page_size = 16384;
	    VACUUM; PRAGMA journal_mode = WAL' > /dev/null || fail "sqlite3: to 16 KiB"
	assert_eq "$(q "$d4" 'PRAGMA page_size')" 16384 "page size after the conversion"
	same "$d4" "$T/pages16k.db" "converted to 16 KiB"
	pass "16 KiB pages for a new database; a 4 KiB one kept, and converted"
}

sec_partial() {
	db="$T/partial.db"
	line=$(grep -m 1 'status=bounced' "$real")
	qid=$(echo "$line" | sed 's/.*: \([0-9A-F]*\): to=.*/\1/')
	head -n 100 "$sample" > "$T/part.log"
	printf '%s' "$(echo "$line" | cut -c1-90)" >> "$T/part.log"
	"$BW" import --db "$db" "$T/part.log" 2> "$T/part.err" || fail "partial: exit $?"
	grep -q 'unterminated last line was left for later' "$T/part.err" ||
		fail "partial: $(cat "$T/part.err")"
	head -n 100 "$sample" > "$T/head100.log"
	import_ok "$T/clean-head100.db" "$T/head100.log"
	same "$db" "$T/clean-head100.db" "import with a partial last line"
	printf '%s\n' "$(echo "$line" | cut -c91-)" >> "$T/part.log"
	sed -n '101,200p' "$sample" >> "$T/part.log"
	import_ok "$db" "$T/part.log"
	import_ok "$T/clean-part.db" "$T/part.log"
	same "$db" "$T/clean-part.db" "the completed last line"
	assert_eq "$(q "$db" "SELECT count(*) FROM failure WHERE queue_id = '$qid'")" 1 \
	    "rows of the completed line"
	pass "an unterminated last line is counted once, when complete"
}

# ---- 5. not our database: a clear message, non-zero, untouched ----

sec_not_ours() {
	head -c 20000 /dev/urandom > "$T/random.db"
	yes 'a text file, not a database' | head -n 2000 > "$T/text.db"
	sqlite3 "$T/foreign.db" "CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT);
	    INSERT INTO moz_places (url) VALUES ('https://example.org/');"
	cp "$T/clean-real.db" "$T/future.db"
	sqlite3 "$T/future.db" "PRAGMA user_version = 99"
	for spec in "random.db:not a bouncewatch database" \
	    "text.db:not a bouncewatch database" \
	    "foreign.db:not bouncewatch's" "future.db:newer"; do
		f="$T/${spec%%:*}"
		msg=${spec#*:}
		cp "$f" "$T/orig"
		for cmd in import report; do
			rc=0
			if [ "$cmd" = import ]; then
				"$BW" import --db "$f" "$real" > /dev/null 2> "$T/bad.err" || rc=$?
			else
				"$BW" report --format json --db "$f" --date 2026-11-23 \
				    > "$T/bad.out" 2> "$T/bad.err" || rc=$?
			fi
			[ "$rc" -ne 0 ] || fail "$cmd --db ${spec%%:*}: exit 0"
			grep -qF "$f" "$T/bad.err" ||
				fail "$cmd --db ${spec%%:*}: path not named: $(cat "$T/bad.err")"
			grep -qF "$msg" "$T/bad.err" ||
				fail "$cmd --db ${spec%%:*}: no \"$msg\": $(cat "$T/bad.err")"
			cmp -s "$f" "$T/orig" || fail "$cmd --db ${spec%%:*}: the file was modified"
			[ ! -e "$f-journal" ] || fail "$cmd --db ${spec%%:*}: left a journal"
		done
	done
	pass "not our database: clear messages, files untouched"
}

# A first write killed between the database's pages and its journal's
# removal (kill -9 in an import's first milliseconds does it): readers
# name the interrupted write instead of "attempt to write a readonly
# database", and the next import rolls it back and completes.
sec_hot_journal() {
	db="$T/hot.db"
	python3 - "$db" <<'PY'
import os, sqlite3, sys
con = sqlite3.connect(sys.argv[1], isolation_level=None)
con.execute("PRAGMA cache_size = 1")
con.execute("BEGIN")
con.execute("CREATE TABLE filler (x)")
for i in range(2000):
    con.execute("INSERT INTO filler VALUES (?)", ("x" * 500,))
os._exit(0)    # pages spilled into the file, the journal still there
PY
	[ -s "$db-journal" ] || fail "no hot journal was made"
	rc=0
	"$BW" status --db "$db" > "$T/hot.out" 2>&1 || rc=$?
	[ "$rc" -ne 0 ] || fail "status on a hot journal: exit 0"
	grep -qF "a write to it was interrupted ($db-journal remains)" "$T/hot.out" ||
		fail "status on a hot journal: $(cat "$T/hot.out")"
	rc=0
	"$BW" report --db "$db" --date 2026-11-23 > /dev/null 2> "$T/hot.err" || rc=$?
	[ "$rc" -ne 0 ] && grep -qF "was interrupted" "$T/hot.err" ||
		fail "report on a hot journal: exit $rc, $(cat "$T/hot.err")"
	import_ok "$db" "$real"
	[ ! -s "$db-journal" ] || fail "the import left the journal"
	same "$db" "$T/clean-real.db" "an import after an interrupted first write"
	pass "an interrupted first write: readers say so, the next import rolls it back"
}

# ---- 8. unreadable input files ----

sec_unreadable() {
	db="$T/unreadable.db"
	mkdir "$T/adir"
	rc=0
	"$BW" import --db "$db" "$T/missing.log" "$real" "$T/adir" > /dev/null \
	    2> "$T/unr.err" || rc=$?
	assert_eq "$rc" 1 "exit status with unreadable inputs"
	grep -qF "$T/missing.log" "$T/unr.err" ||
		fail "missing file not named: $(cat "$T/unr.err")"
	same "$db" "$T/clean-real.db" "the readable file among unreadable ones"
	grep -qF "$T/adir" "$T/unr.err" ||
		fail "directory not named: $(cat "$T/unr.err")"
	pass "unreadable inputs named, the others imported, exit 1"
}

# ---- 6. readers beside a writer, and without write permission ----

# hold_write DB: another process keeps a write transaction open, with every
# counter raised and half the rows deleted (uncommitted), until release_write.
hold_write() {
	rm -f "$T/held" "$T/release"
	python3 - "$1" "$T/held" "$T/release" <<'PY' &
import os, sqlite3, sys, time
db, held, release = sys.argv[1:4]
c = sqlite3.connect(db, isolation_level=None, timeout=10)
c.execute("BEGIN IMMEDIATE")
c.execute("UPDATE daily SET n = n + 1000000")
c.execute("DELETE FROM failure WHERE id % 2 = 0")
open(held, "w").close()
end = time.time() + 120
while not os.path.exists(release) and time.time() < end:
    time.sleep(0.02)
c.execute("ROLLBACK")
c.close()
PY
	holder=$!
	trap 'touch "$T/release"; wait' 0
	n=0
	while [ ! -e "$T/held" ]; do
		n=$((n + 1))
		[ "$n" -lt 500 ] || fail "the writer did not start"
		sleep 0.02
	done
}
release_write() {
	touch "$T/release"
	wait "$holder" || fail "writer: exit $?"
	trap - 0
}

sec_readers() {
	db="$T/readers.db"
	import_ok "$db" "$real"
	report "$db" > "$T/before.json"
	sum0=$(q "$db" 'SELECT sum(n) FROM daily')
	hold_write "$db"
	report "$db" > "$T/during.json" 2> "$T/during.err" ||
		fail "report beside a writer: $(cat "$T/during.err")"
	cmp -s "$T/before.json" "$T/during.json" || fail "the report saw uncommitted rows"
	assert_eq "$(q "$db" 'SELECT sum(n) FROM daily')" "$sum0" "sqlite3 -readonly beside a writer"
	release_write
	pass "report and sqlite3 -readonly beside an open write transaction"
}

# need_nobody WHAT: skip (77) unless root with setpriv and a user nobody
need_nobody() {
	if [ "$(id -u)" -ne 0 ] || ! command -v setpriv > /dev/null 2>&1 ||
	    ! id nobody > /dev/null 2>&1; then
		echo "skip: $1 (needs root, setpriv, user nobody)"
		exit 77
	fi
	grp=$(id -gn nobody)
}

sec_readonly_user() {
	need_nobody "reader without write permission"
	chmod 0755 "$T"
	mkdir -m 0755 "$T/ro"
	import_ok "$T/ro/bw.db" "$real"
	chmod 0644 "$T/ro/bw.db" "$T/ro/bw.db-wal" "$T/ro/bw.db-shm"
	as_nobody() { setpriv --reuid=nobody --regid="$grp" --clear-groups "$@"; }
	! as_nobody test -w "$T/ro" || fail "nobody can write the directory"
	! as_nobody test -w "$T/ro/bw.db" || fail "nobody can write the database"
	report "$T/ro/bw.db" > "$T/root.json"
	as_nobody "$BW" report --format json --db "$T/ro/bw.db" --from 2024-01-01 \
	    --to 2026-12-31 > "$T/nobody.json" 2> "$T/nobody.err" ||
		fail "report as nobody: $(cat "$T/nobody.err")"
	cmp -s "$T/root.json" "$T/nobody.json" || fail "report as nobody differs"
	n=$(as_nobody sqlite3 -readonly "$T/ro/bw.db" 'SELECT count(*) FROM failure' \
	    2> "$T/nobody.err") || fail "sqlite3 -readonly as nobody: $(cat "$T/nobody.err")"
	assert_eq "$n" "$(q "$T/clean-real.db" 'SELECT count(*) FROM failure')" "rows seen by nobody"
	pass "report and sqlite3 -readonly for a user who cannot write"
}

# root imports into the daemon's directory: the files it creates are the
# daemon user's, so that the daemon (and that user's imports) can open them
sec_root_import() {
	need_nobody "root import for another user"
	chmod 0755 "$T"
	install -d -o nobody -g "$grp" -m 0750 "$T/state"
	import_ok "$T/state/bw.db" "$real"
	for f in bw.db bw.db-wal bw.db-shm bw.db.lock; do
		assert_eq "$(stat -c %U:%a "$T/state/$f")" "nobody:640" "owner and mode of $f"
	done
	setpriv --reuid=nobody --regid="$grp" --clear-groups \
	    "$BW" import --quiet --db "$T/state/bw.db" "$sample" 2> "$T/nobody.err" ||
		fail "import as nobody after root's: $(cat "$T/nobody.err")"
	pass "root's import leaves files the daemon's user can open"
}

# ---- 7. a full disk, a locked database ----

sec_full() {
	mkdir "$T/full"
	if [ "$(id -u)" -ne 0 ] || ! mount -t tmpfs -o size=16m tmpfs "$T/full" 2> /dev/null; then
		echo "skip: full disk on a tmpfs (needs root and mount);" \
		    "test_store covers it with max_page_count"
		exit 77
	fi
	trap 'umount "$T/full"' 0
	db="$T/full/bw.db"
	import_ok "$db" "$real"
	used=$(du -sk "$T/full" | cut -f1)
	mount -o remount,size=$((used + 48))k "$T/full"
	state "$db" > "$T/full.before"
	rc=0
	"$BW" import --db "$db" "$sample" > /dev/null 2> "$T/full.err" || rc=$?
	[ "$rc" -ne 0 ] || fail "import onto a full disk: exit 0"
	grep -q 'full' "$T/full.err" || fail "full disk: unclear message: $(cat "$T/full.err")"
	grep -q 'run the same import again' "$T/full.err" ||
		fail "full disk: no advice: $(cat "$T/full.err")"
	state "$db" > "$T/full.after"
	cmp -s "$T/full.before" "$T/full.after" || fail "full disk: a partial batch was kept"
	assert_eq "$(q "$db" 'PRAGMA integrity_check')" ok "integrity after a full disk"
	mount -o remount,size=64m "$T/full"
	import_ok "$db" "$real" "$sample"
	import_ok "$T/clean-full.db" "$real" "$sample"
	same "$db" "$T/clean-full.db" "import completed after the disk was full"
	pass "full disk: nothing partial, the rerun completes exactly"
}

sec_locked() {
	db="$T/locked.db"
	import_ok "$db" "$real"
	state "$db" > "$T/locked.before"
	hold_write "$db"
	rc=0
	"$BW" import --db "$db" "$sample" > /dev/null 2> "$T/locked.err" || rc=$?
	release_write
	[ "$rc" -ne 0 ] || fail "import into a locked database: exit 0"
	grep -q 'locked' "$T/locked.err" || fail "locked: unclear message: $(cat "$T/locked.err")"
	grep -q 'run the same import again' "$T/locked.err" ||
		fail "locked: no advice: $(cat "$T/locked.err")"
	state "$db" > "$T/locked.after"
	cmp -s "$T/locked.before" "$T/locked.after" || fail "locked: something was kept"
	import_ok "$db" "$real" "$sample"
	import_ok "$T/clean-locked.db" "$real" "$sample"
	same "$db" "$T/clean-locked.db" "import completed after the lock"
	pass "locked database: clear error, the rerun completes exactly"
}

# ---- 9. prune ----

sec_prune() {
	db="$T/prune.db"
	sed 's/^2026-11-22T/2026-11-10T/' "$sample" > "$T/old.log"
	sed 's/^2026-11-22T/2026-11-20T/' "$sample" > "$T/recent.log"
	{
		echo "Nov 17 23:59:59 mx postfix/smtp[9]: AAAA000001: to=<edge@before.example>, relay=none, delay=1, delays=0/0/1/0, dsn=4.4.1, status=deferred (connect to mx.before.example[192.0.2.1]:25: Connection refused)"
		echo "Nov 18 00:00:00 mx postfix/smtp[9]: AAAA000002: to=<edge@after.example>, relay=none, delay=1, delays=0/0/1/0, dsn=4.4.1, status=deferred (connect to mx.after.example[192.0.2.2]:25: Connection refused)"
	} > "$T/edge.log"
	import_ok "$db" "$T/old.log" "$T/recent.log" "$T/edge.log" "$real"
	days="2026-11-10 2026-11-17 2026-11-18 2026-11-20 2026-11-23"
	for d in $days; do
		"$BW" report --format json --db "$db" --date "$d" > "$T/p-$d.before"
	done
	old=$(q "$db" "SELECT count(*) FROM v_failures WHERE time < '2026-11-18'")
	kept=$(q "$db" "SELECT count(*) FROM v_failures WHERE time >= '2026-11-18'")
	[ "$old" -gt 100 ] && [ "$kept" -gt 100 ] ||
		fail "prune: test data ($old old, $kept recent rows)"
	sums='SELECT group_concat(day || ":" || n, ",") FROM (SELECT day, sum(n) AS n FROM daily GROUP BY day)'
	daily0=$(q "$db" "$sums")
	"$BW" prune --db "$db" --older-than 5 2> "$T/prune.err" ||
		fail "prune: exit $?: $(cat "$T/prune.err")"
	assert_eq "$(q "$db" "SELECT count(*) FROM v_failures WHERE time < '2026-11-18'")" 0 \
	    "failure rows older than 5 days"
	assert_eq "$(q "$db" "SELECT count(*) FROM v_failures WHERE time >= '2026-11-18'")" "$kept" \
	    "failure rows of the last 5 days"
	assert_eq "$(q "$db" "SELECT recipient FROM v_failures WHERE queue_id LIKE 'AAAA%'")" \
	    "edge@after.example" "the boundary of prune"
	assert_eq "$(q "$db" "$sums")" "$daily0" "daily counters after prune"
	for d in $days; do
		"$BW" report --format json --db "$db" --date "$d" > "$T/p-$d.after"
		python3 - "$T/p-$d.before" "$T/p-$d.after" "$d" <<'PY' || fail "prune changed the counts of $d"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
# recipients and messages come from the failure rows: gone with them
ROWS = ("failed_recipients", "permanent_recipients", "temporary_recipients",
        "greylist_recipients", "failed_messages")
for r in (a, b):
    r["domains"] = {d["domain"]: d for d in r["domains"]}
    for c in [r["totals"]] + list(r["domains"].values()):
        for k in ROWS:
            del c[k]
for k in ("totals", "domains"):
    if a[k] != b[k]:
        sys.exit("%s: %s differ:\n  before %s\n  after  %s" % (sys.argv[3], k, a[k], b[k]))
PY
	done
	assert_eq "$(q "$db" 'PRAGMA integrity_check')" ok "integrity after prune"
	pass "prune removes old failure rows and keeps the daily counters"
}

# ---- 2c. kill -9 at random moments, then a rerun ----

sec_kill9() {
	if [ ! -f "$top_srcdir/bench/genlog.py" ]; then
		echo "skip: kill -9 loop (bench/genlog.py not found)"
		exit 77
	fi
	big="$T/big.log"
	python3 "$top_srcdir/bench/genlog.py" --lines 600000 --seed 7 \
	    --start 2026-11-21T00:00:00 > "$big"
	t0=$(date +%s%N)
	import_ok "$T/clean-big.db" "$big"
	t1=$(date +%s%N)
	# kill within the first half of a whole import's time
	span=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 / 2 }')
	seed=${BW_KILL_SEED:-$(date +%s)}
	echo "# kill -9 seed: $seed (BW_KILL_SEED=$seed to repeat), within ${span}s"
	round=0 killed=0
	while [ "$killed" -lt 12 ]; do
		[ "$round" -lt 40 ] || fail "only $killed imports killed in 40 rounds"
		# from a fresh database: up to 8 imports killed, then a rerun
		db="$T/kill$round.db"
		i=0 offsets=""
		while :; do
			delay=$(awk -v s="$seed" -v i="$round.$i" -v t="$span" \
			    'BEGIN { srand(s * 31 + i * 1000); printf "%.3f", rand() * t }')
			"$BW" import --quiet --db "$db" "$big" 2> /dev/null &
			pid=$!
			sleep "$delay"
			kill -9 "$pid" 2> /dev/null || :
			rc=0
			wait "$pid" 2> /dev/null || rc=$?
			[ "$rc" -eq 137 ] || break	# it had finished
			killed=$((killed + 1))
			if [ -s "$db" ] && [ -s "$db-journal" ]; then
				# killed in its first write (sec_hot_journal):
				# integrity as the next writer, which rolls it back
				assert_eq "$(sqlite3 "$db" 'PRAGMA integrity_check')" ok \
				    "integrity after kill -9 in the first write (round $round, $i)"
			elif [ -s "$db" ]; then
				assert_eq "$(q "$db" 'PRAGMA integrity_check')" ok \
				    "integrity after kill -9 (round $round, $i)"
				# killed while creating it: no schema committed yet
				[ "$(q "$db" "SELECT count(*) FROM sqlite_master WHERE name = 'source'")" = 0 ] ||
				offsets="$offsets $(q "$db" 'SELECT coalesce(max(offset), 0) FROM source')"
			fi
			i=$((i + 1))
			[ "$i" -lt 8 ] || break
		done
		[ "$rc" -eq 0 ] || [ "$rc" -eq 137 ] ||
			fail "an import of round $round: exit $rc"
		echo "# round $round: $i kills; committed offsets after each:$offsets"
		import_ok "$db" "$big"
		assert_eq "$(q "$db" 'SELECT offset || " " || lines FROM source')" \
		    "$(q "$T/clean-big.db" 'SELECT offset || " " || lines FROM source')" \
		    "position after kills"
		assert_eq "$(q "$db" 'SELECT count(*) FROM failure')" \
		    "$(q "$T/clean-big.db" 'SELECT count(*) FROM failure')" "failure rows after kills"
		same "$db" "$T/clean-big.db" "import completed after kill -9 (round $round)"
		rm -f "$db" "$db-wal" "$db-shm"
		round=$((round + 1))
	done
	pass "kill -9 at random moments, then a rerun: exactly a clean import"
}

for s in reimport grown pages partial not_ours hot_journal unreadable readers readonly_user root_import full \
    locked prune kill9; do
	run "$s"
done
if [ -n "$failed" ]; then
	echo "FAIL:$failed" >&2
	exit 1
fi
if [ -n "$skipped" ]; then
	echo "skipped:$skipped"
	exit 77
fi
exit 0
