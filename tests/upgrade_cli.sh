#!/bin/sh
# Upgrades from every schema ever written: for each frozen schema of the
# history of sql/ (tests/data/schema-v1.sql and tests/data/schemas/*.sql,
# taken from git: the pre-release snapshots too, whose version numbers
# name other shapes), a database with a failure row, a counter and a
# pending deferral of that shape is opened by bouncewatch import.  It must
# come out with the tables and columns of a new database, integrity
# intact, its old row readable in v_failures, counted by the report and
# listed by suppressions.
. "$top_srcdir/tests/lib.sh"

NEW="$T/new.db"
printf 'database = %s\ntimezone = UTC\n' "$NEW" > "$T/new.conf"
BOUNCEWATCH_CONF="$T/new.conf" "$BW" import -q "$DATA/sample-mail.log" ||
    fail "import into a new database"

n=0
for schema in "$DATA/schema-v1.sql" "$DATA"/schemas/*.sql; do
	name=$(basename "$schema" .sql)
	db="$T/$name.db"
	python3 - "$schema" "$db" <<'PY' || fail "$name: cannot build the old database"
import sqlite3, sys
db = sqlite3.connect(sys.argv[2])
db.executescript(open(sys.argv[1], encoding="utf-8").read())
def cols(t):
    return {r[1] for r in db.execute("SELECT * FROM pragma_table_info(?)", (t,))}
def insert(table, **kv):
    kv = {k: v for k, v in kv.items() if k in cols(table)}
    cur = db.execute("INSERT INTO %s (%s) VALUES (%s)" % (table, ", ".join(kv),
                     ", ".join("?" * len(kv))), list(kv.values()))
    return cur.lastrowid
T = 1793536000                                  # 2026-11-01T12:26:40Z
dom = insert("domain", name="old.example")
# a grouping form of an older normalisation: redone at the upgrade
diag = insert("diagnostic", template="550 5.1.1 user unknown at 10:30:00",
              normalized="550 5.1.1 user unknown at <ip>", hash=0)
row = dict(time=T, domain_id=dom, status_id=3, class_id=1, reason_id=1,
           local="bob", queue_id="OLDQID", diagnostic_id=diag, code=550,
           dsn="5.1.1")
if "reply" in {r[0] for r in db.execute("SELECT name FROM sqlite_master")}:
    row["reply_id"] = insert("reply", code=550, dsn="5.1.1", stage="RCPT")
if "stage_id" in cols("failure"):
    row["stage_id"] = insert("stage", name="RCPT")
fid = insert("failure", **row)
insert("daily", day="2026-11-01", domain_id=dom, class_id=1, reason_id=1, n=1)
insert("day_span", day="2026-11-01", first_id=fid, last_id=fid)
if cols("pending"):
    insert("pending", queue_id="PENDQ", recipient="carol@old.example", time=T,
           rcpt=12345, failure_id=fid, dsn="4.2.2", code=452, host_id=0,
           instance_id=0)
db.commit()
PY
	printf 'database = %s\ntimezone = UTC\n' "$db" > "$T/$name.conf"
	export BOUNCEWATCH_CONF="$T/$name.conf"
	"$BW" import -q "$DATA/sample-mail.log" 2> "$T/$name.err" ||
	    fail "$name: import into the old database: $(cat "$T/$name.err")"
	python3 - "$NEW" "$db" <<'PY' || fail "$name: not the shape of a new database"
import sqlite3, sys
def shape(path):
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    out = {"version": db.execute("PRAGMA user_version").fetchone()[0],
           "integrity": db.execute("PRAGMA integrity_check").fetchone()[0]}
    for kind, name in db.execute("SELECT type, name FROM sqlite_master"
                                 " WHERE name NOT LIKE 'sqlite_%'"):
        if kind == "table":
            out[name] = [r[1:] for r in db.execute("SELECT * FROM pragma_table_info(?)",
                                                    (name,))]
        else:
            out[name] = kind
            if kind == "view":      # every view works
                db.execute("SELECT * FROM %s LIMIT 1" % name).fetchall()
    return out
a, b = shape(sys.argv[1]), shape(sys.argv[2])
for k in sorted(set(a) | set(b)):
    if a.get(k) != b.get(k):
        sys.exit("%s: new %r, upgraded %r" % (k, a.get(k), b.get(k)))
PY
	got=$(sqlite3 -readonly "$db" "SELECT recipient, class, reason, dsn, diagnostic,
	    normalized FROM v_failures WHERE queue_id = 'OLDQID'")
	assert_eq "$got" "bob@old.example|permanent|user_unknown|5.1.1|550 5.1.1 user unknown at 10:30:00|550 5.1.1 user unknown at <date>" \
	    "$name: the old failure row"
	"$BW" report --date 2026-11-01 --format json > "$T/$name.json" ||
	    fail "$name: report exit $?"
	python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
t = r["totals"]
assert (t["permanent"], t["failed_recipients"], t["permanent_recipients"]) == (1, 1, 1), t
assert r["domains"][0]["domain"] == "old.example", r["domains"]' "$T/$name.json" ||
	    fail "$name: the old day in the report"
	"$BW" suppressions --format csv > "$T/$name.csv" || fail "$name: suppressions exit $?"
	grep -q '^"bob@old.example","user_unknown","2026-11-01T12:26:40Z",' "$T/$name.csv" ||
	    fail "$name: the old bounce not in the suppressions: $(cat "$T/$name.csv")"
	# a second open finds nothing left to do
	"$BW" import -q "$DATA/sample-mail.log" 2> "$T/$name.err2" ||
	    fail "$name: second open: $(cat "$T/$name.err2")"
	n=$((n + 1))
	pass "$name: upgraded to the new shape, old rows kept"
done
[ "$n" -ge 8 ] || fail "only $n old schemas found"
pass "$n schemas upgraded"
