#!/bin/sh
# bench/pg.sh -- "bouncewatch import" of a generated log into SQLite and
# into a local PostgreSQL server, and three writers at once into one
# PostgreSQL database.
#
#   bench/pg.sh                      # uses ../src/bouncewatch next to this script
#   BW=/path/to/bouncewatch LINES=200000 bench/pg.sh
#
# Environment:
#   BW       bouncewatch binary   (default: <script dir>/../src/bouncewatch),
#            built with PostgreSQL (configure --with-postgresql)
#   LINES    log size in lines    (default: 1000000)
#   RUNS     timed imports        (default: 3; the median is reported)
#   PG_URI   a database to use (it is emptied!); default: a private server
#            started by tests/pg_lib.sh in a temporary directory (Unix
#            socket, fsync on, shared_buffers 128MB)
#
# Each run imports into a new, empty database: SQLite, a removed file;
# PostgreSQL, its tables dropped; in both the schema is created first, by
# an import of an empty file, and not timed (PostgreSQL's catalog work
# takes 40-400 ms depending on the load, a once-only cost).  Then three imports at once, each of its own LINES-line log
# (seeds 1..3, hosts mx1..mx3) with its own node name, into one database:
# the wall time until the last finishes, and the lines per second of the
# three together.  Prints a markdown table and the exact commands.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
BW=${BW:-$here/../src/bouncewatch}
LINES=${LINES:-1000000}
RUNS=${RUNS:-3}
bench_prog=pg.sh
. "$here/lib-bench.sh"

bench_is_uint "$LINES" || bench_die "LINES must be a number, not '$LINES'"
bench_is_uint "$RUNS" && [ "$RUNS" -gt 0 ] || bench_die "RUNS must be a positive number"
[ -x "$BW" ] || bench_die "bouncewatch binary not found: $BW (build it, or set BW=)"
BW=$(cd "$(dirname "$BW")" && pwd)/$(basename "$BW")
command -v psql > /dev/null || bench_die "psql missing: apt-get install postgresql-client"

out="$here/out"
mkdir -p "$out"
label=$(bench_label "$LINES")
T=$(mktemp -d "${TMPDIR:-/tmp}/bw-pgbench.XXXXXX")
cleanup_hooks="bench_rm"
bench_rm() { rm -rf "$T"; }
trap 'for h in $cleanup_hooks; do $h || :; done' 0

if [ -z "${PG_URI:-}" ]; then
	PG_CONF="shared_buffers = 128MB"
	. "$top/tests/pg_lib.sh"
	pg_start
fi

# the logs: the main one, and two more for the writers at once
for s in 1 2 3; do
	log="$out/pg-$label-mx$s.log"
	if [ ! -s "$log" ]; then
		bench_note "generating $log"
		python3 "$here/genlog.py" --lines "$LINES" --seed "$s" --format bsd |
			sed "s/^\(............... \)mx1 /\1mx$s /" > "$log.tmp"
		mv "$log.tmp" "$log"
	fi
done
log="$out/pg-$label-mx1.log"

pg_empty() {
	psql -X -q -d "$PG_URI" -c "SET client_min_messages = warning" \
	    -c "DROP SCHEMA public CASCADE" -c "CREATE SCHEMA public" > /dev/null
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# wall seconds of a command
timed() {
	t0=$(bench_now)
	"$@" > /dev/null
	t1=$(bench_now)
	echo "$t0 $t1" | awk '{ printf "%.3f\n", $2 - $1 }'
}

: > "$T/sq" ; : > "$T/pg" ; : > "$T/empty.log"
i=0
while [ "$i" -lt "$RUNS" ]; do
	i=$((i + 1))
	rm -f "$T/bw.db" "$T/bw.db-wal" "$T/bw.db-shm"
	"$BW" import --quiet --db "$T/bw.db" "$T/empty.log"
	timed "$BW" import --quiet --db "$T/bw.db" "$log" >> "$T/sq"
	pg_empty
	"$BW" import --quiet --db "$PG_URI" "$T/empty.log" 2> /dev/null
	timed "$BW" import --quiet --db "$PG_URI" "$log" >> "$T/pg"
	bench_note "run $i: SQLite $(tail -n 1 "$T/sq") s, PostgreSQL $(tail -n 1 "$T/pg") s (load $(bench_load1))"
done
sq=$(median < "$T/sq")
pg=$(median < "$T/pg")
rows=$(psql -X -At -d "$PG_URI" -c "SELECT count(*) FROM failure")

# three writers at once, each its own node
pg_empty
"$BW" import --quiet --db "$PG_URI" "$T/empty.log" 2> /dev/null
for s in 1 2 3; do
	printf 'node = mx%s\ntimezone = UTC\n' "$s" > "$T/mx$s.conf"
done
t0=$(bench_now)
for s in 1 2 3; do
	"$BW" -c "$T/mx$s.conf" import --quiet --db "$PG_URI" "$out/pg-$label-mx$s.log" \
	    > "$T/mx$s.out" 2>&1 &
done
fail=0
for s in 1 2 3; do wait %$s 2>/dev/null || fail=1; done
wait || fail=1
t1=$(bench_now)
[ "$fail" -eq 0 ] || { cat "$T"/mx*.out >&2; bench_die "a writer failed"; }
three=$(echo "$t0 $t1" | awk '{ printf "%.3f", $2 - $1 }')
nodes=$(psql -X -At -d "$PG_URI" -c "SELECT count(DISTINCT node_id) FROM source")
lines3=$(psql -X -At -d "$PG_URI" -c "SELECT sum(lines) FROM source")

echo
echo "| $label lines, \`bouncewatch import\`, new database | median wall s | lines/s | ÷ SQLite |"
echo "|---|---|---|---|"
echo "$sq $LINES" | awk '{ printf "| SQLite | %.3f | %d | 1.0× |\n", $1, $2 / $1 }'
echo "$pg $sq $LINES" | awk '{ printf "| PostgreSQL (local, Unix socket) | %.3f | %d | %.2f× |\n", $1, $3 / $1, $1 / $2 }'
echo "$three $lines3" | awk -v n="$nodes" '{ printf "| PostgreSQL, %d writers at once (3 logs) | %.3f | %d | |\n", n, $1, $2 / $1 }'
echo
echo "failure rows per $label-line log: $rows; runs: $RUNS; load at the end: $(bench_load1)"
echo "commands: $BW import --quiet --db DB $log"
echo "          $BW -c mxN.conf import --quiet --db PG_URI $out/pg-$label-mxN.log  (N = 1..3, at once; mxN.conf: node = mxN)"
