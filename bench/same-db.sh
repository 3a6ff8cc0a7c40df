#!/bin/sh
# same-db.sh -- do two bouncewatch databases hold the same data?
#
#   bench/same-db.sh A.db B.db
#
# Every table is dumped in a fixed order (all its columns, in order), so
# two imports of the same log compare equal whatever order SQLite keeps
# rows in.  The source table's wall-clock times (first_seen, last_commit) are left out.
# Exit 0 when identical, 1 (with the first differences) when not.
set -eu
[ $# -eq 2 ] || { echo "usage: $0 A.db B.db" >&2; exit 2; }
for db in "$1" "$2"; do
	[ -f "$db" ] || { echo "$0: $db: no such file" >&2; exit 2; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# the columns of table $2 in database $1, comma-separated, minus clocks
samedb_cols() {
	sqlite3 "$1" "SELECT group_concat(name, ',') FROM pragma_table_info('$2')
	    WHERE NOT ('$2' = 'source' AND name IN ('first_seen', 'last_commit'))"
}

samedb_dump() {
	for t in $(sqlite3 "$1" "SELECT name FROM sqlite_master WHERE type = 'table'
	    ORDER BY name"); do
		cols=$(samedb_cols "$1" "$t")
		echo "== $t ($cols)"
		sqlite3 "$1" "SELECT $cols FROM \"$t\" ORDER BY $cols"
	done
}

samedb_dump "$1" >"$tmp/a"
samedb_dump "$2" >"$tmp/b"
if cmp -s "$tmp/a" "$tmp/b"; then
	echo "same: $(grep -c '' "$tmp/a") lines of dump"
	exit 0
fi
echo "DIFFERENT: $1 $2" >&2
diff "$tmp/a" "$tmp/b" | head -40 >&2
exit 1
