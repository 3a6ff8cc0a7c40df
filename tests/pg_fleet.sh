#!/bin/sh
# Three bouncewatchd (node = mx1..mx3) write into one PostgreSQL database
# from their own growing logs; one is SIGKILLed half way and restarted;
# then the same while the server is restarted, while their connections
# are cut, and while the disk of the failure rows is full (where tmpfs can
# be mounted): the totals equal the logs imported into separate SQLite
# databases (tests/pg_fleet.py).
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/pg_lib.sh"
pg_start
PG_RESTART=". '$top_srcdir/tests/pg_lib.sh'; PG_RUNNING=1; pg_restart fast"
export PG_RESTART
fresh() {
	pg_psql -d postgres -c "DROP DATABASE bw" -c "CREATE DATABASE bw" > /dev/null
}
python3 "$top_srcdir/tests/pg_fleet.py" kill9 || fail "kill9"
fresh
python3 "$top_srcdir/tests/pg_fleet.py" restart || fail "server restarted"
fresh
python3 "$top_srcdir/tests/pg_fleet.py" terminate || fail "connections cut"
fresh
if [ "$(id -u)" -eq 0 ] && mkdir "$T/m" && mount -t tmpfs -o size=1m tmpfs "$T/m" 2> /dev/null; then
	umount "$T/m"
	python3 "$top_srcdir/tests/pg_fleet.py" diskfull || fail "disk full"
else
	echo "skip - disk full: needs root and a tmpfs mount"
fi
