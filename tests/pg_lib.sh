# tests/pg_lib.sh -- a private PostgreSQL server for the tests and the
# benchmark: initdb and pg_ctl in a new temporary directory, listening on a
# Unix socket only (listen_addresses = ''), stopped when the script exits.
# Source it (after tests/lib.sh when there is one), then call pg_start.
#
#   pg_start             start the server; sets PGBIN, PGSOCK, PGPORT,
#                        PGUSER, PGDATABASE, PG_URI (a libpq URI of the
#                        database "bw", owned by the superuser "bw")
#   pg_psql ARGS         psql on it, quiet, stopping at the first error
#   pg_createdb NAME     another database; prints its URI
#   pg_stop [MODE]       pg_ctl stop (MODE: fast, the default, or immediate)
#   pg_restart [MODE]    stop and start the same cluster
#
# Logins are trusted (Unix socket only), except the role bw_pass, which
# must give its password (scram-sha-256): for the tests of secrets.
#
# Run as root, the server runs as an unprivileged user (PG_RUNAS, default
# nobody), as PostgreSQL requires.  Exits 77 (skipped) only when no server
# binaries are installed under /usr/lib/postgresql/*/bin (PG_BINDIR
# overrides); any other failure to start is a failure.
# PG_CONF: extra "name = value" lines for postgresql.conf.

pg_find_bin() {
	if [ -n "${PG_BINDIR:-}" ]; then
		PGBIN=$PG_BINDIR
	else
		PGBIN=
		# the highest version installed
		for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5,5n); do
			[ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ] &&
				PGBIN=$d
		done
	fi
	if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ] || [ ! -x "$PGBIN/pg_ctl" ]; then
		echo "SKIP: no PostgreSQL server binaries (/usr/lib/postgresql/*/bin:" \
		    "apt-get install postgresql)" >&2
		exit 77
	fi
}

# Run a server-side command as the server's user.
pg_as() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u "${PG_RUNAS:-nobody}" -- "$@"
	else
		"$@"
	fi
}

pg_start() {
	pg_find_bin
	: "${PG_RUNAS:=nobody}"
	: "${PGPORT:=5432}"
	# its own directory: the scratch directory of tests/lib.sh is 0700 root
	PGSOCK=$(mktemp -d "${TMPDIR:-/tmp}/bw-pg.XXXXXX")
	[ "$(id -u)" -eq 0 ] && chown "$PG_RUNAS" "$PGSOCK"
	chmod 755 "$PGSOCK"
	pg_as "$PGBIN/initdb" -D "$PGSOCK/data" -U bw --auth=trust -E UTF8 \
	    --locale=C --no-sync > "$PGSOCK/initdb.log" 2>&1 ||
		{ cat "$PGSOCK/initdb.log" >&2; echo "FAIL: initdb" >&2; exit 1; }
	{
		echo "listen_addresses = ''"
		echo "unix_socket_directories = '$PGSOCK'"
		echo "port = $PGPORT"
		echo "max_connections = 50"
		echo "shared_buffers = 32MB"
		echo "log_min_messages = warning"
		[ -n "${PG_CONF:-}" ] && printf '%s\n' "$PG_CONF"
	} | pg_as sh -c "cat >> '$PGSOCK/data/postgresql.conf'"
	pg_as sh -c "{ echo 'local all bw_pass scram-sha-256';
	    cat '$PGSOCK/data/pg_hba.conf'; } > '$PGSOCK/data/pg_hba.new' &&
	    mv '$PGSOCK/data/pg_hba.new' '$PGSOCK/data/pg_hba.conf'"
	pg_on_exit_install
	pg_ctl_start
	export PGHOST="$PGSOCK" PGPORT PGUSER=bw PGDATABASE=bw
	"$PGBIN/psql" -q -X -d postgres -c 'CREATE DATABASE bw' > /dev/null ||
		{ echo "FAIL: CREATE DATABASE" >&2; exit 1; }
	PG_URI="postgresql:///bw?host=$PGSOCK&port=$PGPORT&user=bw"
	export PGBIN PGSOCK PG_URI
}

pg_ctl_start() {
	pg_as "$PGBIN/pg_ctl" -D "$PGSOCK/data" -l "$PGSOCK/server.log" -w -t 60 \
	    start > /dev/null ||
		{ cat "$PGSOCK/server.log" >&2; echo "FAIL: pg_ctl start" >&2; exit 1; }
	PG_RUNNING=1
}

pg_stop() {
	[ "${PG_RUNNING:-0}" = 1 ] || return 0
	pg_as "$PGBIN/pg_ctl" -D "$PGSOCK/data" -m "${1:-fast}" -w -t 60 stop \
	    > /dev/null 2>&1 || return 1
	PG_RUNNING=0
}

pg_restart() {
	pg_stop "${1:-fast}" || { echo "FAIL: pg_ctl stop" >&2; exit 1; }
	pg_ctl_start
}

pg_psql() {
	"$PGBIN/psql" -q -X -v ON_ERROR_STOP=1 "$@"
}

pg_createdb() {
	pg_psql -d postgres -c "CREATE DATABASE $1" > /dev/null || return 1
	echo "postgresql:///$1?host=$PGSOCK&port=$PGPORT&user=bw"
}

pg_cleanup() {
	pg_stop fast || pg_stop immediate || :
	[ -n "${PGSOCK:-}" ] && rm -rf "$PGSOCK"
}

# Stop the server however the script ends: with tests/lib.sh, as one of its
# cleanup hooks; alone, with a trap of its own.  A signal becomes an exit so
# that the exit trap runs.
pg_on_exit_install() {
	if [ -n "${cleanup_hooks+set}" ]; then
		cleanup_hooks="pg_cleanup $cleanup_hooks"
	else
		trap pg_cleanup 0
	fi
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM
}
