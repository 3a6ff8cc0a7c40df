#!/bin/sh
# Three bouncewatchd (node = mx1..mx3) write into one PostgreSQL database
# from their own growing logs; one is SIGKILLed half way and restarted;
# then the same while the server is restarted: the totals equal the logs
# imported into separate SQLite databases (tests/pg_fleet.py).
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/pg_lib.sh"
pg_start
PG_RESTART=". '$top_srcdir/tests/pg_lib.sh'; PG_RUNNING=1; pg_restart fast"
export PG_RESTART
python3 "$top_srcdir/tests/pg_fleet.py" kill9 || fail "kill9"
pg_psql -d postgres -c "DROP DATABASE bw" -c "CREATE DATABASE bw" > /dev/null
python3 "$top_srcdir/tests/pg_fleet.py" restart || fail "server restarted"
