/*
 * store_pg.c -- the PostgreSQL backend (libpq): one database shared by a
 * fleet of MTAs, each daemon a "node".  Connections, errors, the schema
 * (sql/pg/), transactions, sources and prune.  The writer's operations
 * are in store_pg_write.c, the reader's in store_pg_read.c, the day
 * summaries in store_pg_sum.c.
 *
 * One connection per store.  A node's read positions and pending
 * deferrals are only its own (an advisory lock per node, taken at its
 * first write, keeps a second writer of the same name out); what all
 * nodes share is written once per batch, at commit, in a fixed order
 * (store_pg_write.c).  A lost connection makes the batch fail as
 * retryable (STORE_EIO); the next begin reconnects.  A COMMIT whose
 * answer was lost is settled by the transaction's id (txid_status) once
 * the server is back.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "pg_schema.h"
#include "store_pg.h"
#include "util.h"

/* ---- buffers and text ---- */

static void
pg_buf_reserve(struct pgbuf *b, size_t more)
{
	if (b->n + more + 1 <= b->cap)
		return;
	b->cap = (b->n + more + 1) * 2;
	if (b->cap < 4096)
		b->cap = 4096;
	b->p = xrealloc(b->p, b->cap);
}

void
pg_buf_add(struct pgbuf *b, const void *p, size_t n)
{
	pg_buf_reserve(b, n);
	memcpy(b->p + b->n, p, n);
	b->n += n;
	b->p[b->n] = '\0';
}

void
pg_buf_printf(struct pgbuf *b, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	pg_buf_reserve(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->p + b->n, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->n += (size_t)n;
}

/* Bytes of the valid UTF-8 sequence at s (1..4), 0 when invalid. */
static size_t
pg_utf8_len(const unsigned char *s, size_t n)
{
	unsigned char	 c = s[0], lo = 0x80, hi = 0xbf;
	size_t		 len, i;

	if (c < 0x80)
		return c != 0;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/*
 * A log line may hold any byte; a PostgreSQL text column holds valid
 * UTF-8 without NUL.  Invalid bytes become '?' (SQLite keeps them: a
 * report of such a line may differ in those bytes).
 */
void
pg_buf_text(struct pgbuf *b, const char *p, size_t n, int copy)
{
	const unsigned char	*s = (const unsigned char *)p;
	size_t			 i = 0, k;

	pg_buf_reserve(b, n * 2);
	while (i < n) {
		if ((k = pg_utf8_len(s + i, n - i)) == 0) {
			b->p[b->n++] = '?';
			i++;
			continue;
		}
		if (copy && k == 1 && (s[i] == '\\' || s[i] == '\t' ||
		    s[i] == '\n' || s[i] == '\r')) {
			b->p[b->n++] = '\\';
			b->p[b->n++] = s[i] == '\\' ? '\\' : s[i] == '\t' ? 't' :
			    s[i] == '\n' ? 'n' : 'r';
			i++;
			continue;
		}
		memcpy(b->p + b->n, s + i, k);
		b->n += k;
		i += k;
	}
	b->p[b->n] = '\0';
}

/* n bytes as a NUL-terminated, valid parameter (the scratch buffer). */
const char *
pg_cstr(struct store *st, const char *p, size_t n)
{
	struct pg	*pg = PG(st);

	pg->tmp.n = 0;
	pg_buf_text(&pg->tmp, p != NULL ? p : "", p != NULL ? n : 0, 0);
	return pg->tmp.p;
}

/* ---- errors ---- */

/* Why a statement failed, as the store's retry decision needs it. */
static enum store_err
pg_why(PGconn *conn, PGresult *r)
{
	const char	*state = r != NULL ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;

	if (conn == NULL || PQstatus(conn) != CONNECTION_OK || state == NULL)
		return STORE_EIO;
	if (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0 ||
	    strncmp(state, "58", 2) == 0)
		return STORE_EIO;		/* connection, shutdown, system */
	if (strcmp(state, "53100") == 0 || strcmp(state, "53200") == 0)
		return STORE_EFULL;		/* disk full, out of memory */
	if (strncmp(state, "40", 2) == 0 || strcmp(state, "55P03") == 0 ||
	    strcmp(state, "53300") == 0 || strcmp(state, "57014") == 0)
		return STORE_EBUSY;		/* serialisation, deadlock, locks */
	return STORE_EOTHER;
}

int
pg_fail(struct store *st, PGconn *conn, PGresult *r, const char *what)
{
	const char	*msg = NULL;
	char		 buf[400];
	size_t		 n;

	if (r != NULL)
		msg = PQresultErrorMessage(r);
	if ((msg == NULL || *msg == '\0') && conn != NULL)
		msg = PQerrorMessage(conn);
	snprintf(buf, sizeof(buf), "%s", msg != NULL && *msg != '\0' ? msg :
	    "no answer from the server");
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	for (char *p = buf; *p != '\0'; p++)
		if (*p == '\n')
			*p = ' ';
	return store_fail(st, pg_why(conn, r), "postgresql: %s: %s", what, buf);
}

/* Check a result's status; it is cleared.  -1 recorded. */
int
pg_ok(struct store *st, PGconn *conn, PGresult *r, ExecStatusType want,
    const char *what)
{
	if (r != NULL && PQresultStatus(r) == want) {
		PQclear(r);
		return 0;
	}
	pg_fail(st, conn, r, what);
	PQclear(r);
	return -1;
}

/* A statement with text parameters; the result kept when it is "want". */
PGresult *
pg_exec(struct store *st, PGconn *conn, const char *sql, int n,
    const char *const *vals, const int *lens, const int *fmts,
    ExecStatusType want, const char *what)
{
	PGresult	*r;

	r = PQexecParams(conn, sql, n, NULL, vals, lens, fmts, 0);
	if (r != NULL && PQresultStatus(r) == want)
		return r;
	pg_fail(st, conn, r, what);
	PQclear(r);
	return NULL;
}

int
pg_cmd(struct store *st, PGconn *conn, const char *sql, const char *what)
{
	return pg_ok(st, conn, PQexec(conn, sql), PGRES_COMMAND_OK, what);
}

/* A statement with text parameters and no rows; -1 recorded. */
int
pg_cmd_params(struct store *st, const char *sql, int n, const char *const *vals,
    const char *what)
{
	PGresult	*r;

	if ((r = pg_exec(st, PG(st)->c, sql, n, vals, NULL, NULL, PGRES_COMMAND_OK,
	    what)) == NULL)
		return -1;
	PQclear(r);
	return 0;
}

/* ---- connections ---- */

/* The conninfo's own settings win over these defaults. */
static PGconn *
pg_connect(const char *conninfo)
{
	static const char *const keys[] = {
		"connect_timeout", "application_name", "keepalives_idle",
		"keepalives_interval", "keepalives_count", "dbname", NULL
	};
	const char	*vals[] = { "10", "bouncewatch", "30", "10", "3", conninfo, NULL };

	return PQconnectdbParams(keys, vals, 1);
}

/* Settings of a new session. */
static int
pg_session(struct store *st)
{
	struct pg	*pg = PG(st);
	char		 sql[256];

	snprintf(sql, sizeof(sql), "SET client_min_messages = warning;"
	    " SET synchronous_commit = %s; SET lock_timeout = %d",
	    pg->sync_off ? "off" : "on", pg->lock_ms);
	return pg_cmd(st, pg->c, sql, "session");
}

/* Reconnect when the connection was lost (at begin): -1 while away. */
static int
pg_reconnect(struct store *st)
{
	struct pg	*pg = PG(st);

	if (PQstatus(pg->c) == CONNECTION_OK)
		return 0;
	PQreset(pg->c);
	if (PQstatus(pg->c) != CONNECTION_OK)
		return pg_fail(st, pg->c, NULL, "reconnect");
	/* the session's lock and staging tables went with it */
	pg->node_locked = 0;
	pg->tx = 0;
	pg->temp = 0;
	log_info("postgresql: reconnected");
	return pg_session(st);
}

/*
 * This writer's node: its id when the node exists (0: not yet), looked up
 * once.  Only a write creates it (pg_node), so that opening, pruning or
 * reading under a name about to be changed (store_set_node) leaves none.
 */
int
pg_node_find(struct store *st)
{
	struct pg	*pg = PG(st);
	const char	*v[1] = { pg->node };
	PGresult	*r;

	if (pg->node_id != 0 || (pg->ro && !pg->named))
		return 0;
	if ((r = pg_exec(st, pg->c, "SELECT id FROM node WHERE name = $1", 1, v,
	    NULL, NULL, PGRES_TUPLES_OK, "node")) == NULL)
		return -1;
	if (PQntuples(r) > 0)
		pg->node_id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return 0;
}

static int
pg_node_create(struct store *st)
{
	struct pg	*pg = PG(st);
	const char	*v[1] = { pg->node };
	PGresult	*r;

	if (pg_node_find(st) == -1)
		return -1;
	if (pg->node_id != 0)
		return 0;
	if ((r = pg_exec(st, pg->c, "WITH i AS (INSERT INTO node (name) VALUES ($1)"
	    " ON CONFLICT DO NOTHING RETURNING id) SELECT id FROM i UNION ALL"
	    " SELECT id FROM node WHERE name = $1", 1, v, NULL, NULL,
	    PGRES_TUPLES_OK, "node")) == NULL)
		return -1;
	if (PQntuples(r) > 0)
		pg->node_id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	if (pg->node_id == 0)
		return store_fail(st, STORE_EBUSY, "postgresql: node %s: not found, "
		    "retrying", pg->node);
	return 0;
}

/*
 * Before a node's first write of its own rows: the session's advisory
 * lock on it (one writer per node; a reader or prune needs none).
 */
int
pg_node(struct store *st)
{
	struct pg	*pg = PG(st);
	char		 id[32];
	const char	*v[1] = { id };
	PGresult	*r;
	int		 got;

	if (pg->ro || pg->node_locked)
		return 0;
	if (pg_node_create(st) == -1)
		return -1;
	snprintf(id, sizeof(id), "%lld", (long long)pg->node_id);
	if ((r = pg_exec(st, pg->c, "SELECT pg_try_advisory_lock(25207, $1::int)",
	    1, v, NULL, NULL, PGRES_TUPLES_OK, "node lock")) == NULL)
		return -1;
	got = PQgetvalue(r, 0, 0)[0] == 't';
	PQclear(r);
	if (!got)
		return store_fail(st, STORE_EBUSY, "postgresql: node %s is in use by "
		    "another bouncewatchd or import (each writer needs its own "
		    "\"node\" name)", pg->node);
	pg->node_locked = 1;
	return 0;
}

/* ---- the schema ---- */

/* Migrations: entry N is sql/pg/migrate-N.sql, N-1 to N (Makefile.am). */
static const char *const pg_migrations[PG_SCHEMA_VERSION + 1] = PG_MIGRATIONS_INIT;

static int
pg_version_of(struct store *st, PGconn *conn, int *version)
{
	PGresult	*r;

	*version = 0;
	if ((r = pg_exec(st, conn, "SELECT to_regclass('meta') IS NOT NULL,"
	    " to_regclass('failure') IS NOT NULL", 0, NULL, NULL, NULL,
	    PGRES_TUPLES_OK, "schema")) == NULL)
		return -1;
	if (PQgetvalue(r, 0, 0)[0] != 't') {
		*version = PQgetvalue(r, 0, 1)[0] == 't' ? -1 : 0;
		PQclear(r);
		return 0;
	}
	PQclear(r);
	if ((r = pg_exec(st, conn, "SELECT value FROM meta WHERE key = 'schema_version'",
	    0, NULL, NULL, NULL, PGRES_TUPLES_OK, "schema version")) == NULL)
		return -1;
	*version = PQntuples(r) == 1 ? atoi(PQgetvalue(r, 0, 0)) : -1;
	PQclear(r);
	return 0;
}

/* Create or check the schema, one opener at a time. */
static int
pg_schema(struct store *st)
{
	struct pg	*pg = PG(st);
	int		 version;

	if (pg_cmd(st, pg->c, "BEGIN", "schema") == -1)
		return -1;
	if (pg_ok(st, pg->c, PQexec(pg->c, "SELECT pg_advisory_xact_lock(25207, 0)"),
	    PGRES_TUPLES_OK, "schema lock") == -1)
		goto fail;
	if (pg_version_of(st, pg->c, &version) == -1)
		goto fail;
	if (version == -1) {
		store_fail(st, STORE_ENOTDB, "postgresql: the database has tables but "
		    "not bouncewatch's (no meta.schema_version)");
		goto fail;
	}
	if (version > PG_SCHEMA_VERSION) {
		store_fail(st, STORE_ENEWER, "postgresql: schema version %d is newer "
		    "than this bouncewatch (%d): upgrade bouncewatch", version,
		    PG_SCHEMA_VERSION);
		goto fail;
	}
	if (version == 0) {
		/* schema.sql's version, then the migrations after it */
		if (pg_cmd(st, pg->c, pg_schema_sql, "create schema") == -1 ||
		    pg_version_of(st, pg->c, &version) == -1)
			goto fail;
		if (version == PG_SCHEMA_VERSION &&
		    pg_cmd(st, pg->c, pg_views_sql, "create views") == -1)
			goto fail;
		log_info("postgresql: schema version %d created", version);
	}
	/* sql/pg/migrate-N.sql upgrades N-1 to N, all in this transaction */
	for (; version > 0 && version < PG_SCHEMA_VERSION; version++) {
		if (pg_migrations[version + 1] == NULL) {
			store_fail(st, STORE_EOTHER, "postgresql: no migration from "
			    "schema version %d", version);
			goto fail;
		}
		if (pg_cmd(st, pg->c, pg_migrations[version + 1], "migrate") == -1)
			goto fail;
		if (version + 1 == PG_SCHEMA_VERSION &&
		    pg_cmd(st, pg->c, pg_views_sql, "create views") == -1)
			goto fail;
		log_info("postgresql: schema migrated to version %d", version + 1);
	}
	return pg_cmd(st, pg->c, "COMMIT", "schema");
fail:
	PQclear(PQexec(pg->c, "ROLLBACK"));
	return -1;
}

/* ---- the backend's operations ---- */

static int
pg_open(struct store *st, const char *path, enum store_mode mode)
{
	struct pg	*pg;
	char		 err[512];
	int		 version;

	pg = xcalloc(1, sizeof(*pg));
	st->bd = pg;
	pg->conninfo = xstrdup(path);
	pg->ro = mode == STORE_RO;
	pg->win.which = pg->win.last_which = -1;
	if (gethostname(pg->node, sizeof(pg->node)) == -1 || pg->node[0] == '\0')
		snprintf(pg->node, sizeof(pg->node), "localhost");
	pg->node[sizeof(pg->node) - 1] = '\0';
	if (pg_dl_load(err, sizeof(err)) == -1)
		return store_fail(st, STORE_EOTHER, "postgresql: %s", err);
	pg->c = pg_connect(path);
	if (PQstatus(pg->c) != CONNECTION_OK) {
		pg_fail(st, pg->c, NULL, "connect");
		/* a refused or lost server is worth a retry, a refusal is not */
		if (strstr(st->errmsg, "authentication") != NULL ||
		    strstr(st->errmsg, "does not exist") != NULL ||
		    strstr(st->errmsg, "password") != NULL ||
		    strstr(st->errmsg, "invalid") != NULL)
			st->err = STORE_EOTHER;
		return -1;
	}
	if (pg_session(st) == -1)
		return -1;
	if (pg->ro) {
		if (pg_version_of(st, pg->c, &version) == -1)
			return -1;
		if (version == 0)
			return store_fail(st, STORE_ENOTDB, "postgresql: no bouncewatch "
			    "tables: nothing has been recorded yet");
		if (version != PG_SCHEMA_VERSION)
			return store_fail(st, version > PG_SCHEMA_VERSION ?
			    STORE_ENEWER : STORE_EOTHER, "postgresql: schema version %d, "
			    "this bouncewatch reads %d", version, PG_SCHEMA_VERSION);
		return 0;
	}
	return pg_schema(st);
}

static void
pg_close(struct store *st)
{
	struct pg	*pg = PG(st);

	if (pg == NULL)
		return;
	pg_write_free(pg);
	pg_names_drop(pg);
	if (pg->c != NULL)
		PQfinish(pg->c);
	free(pg->tmp.p);
	free(pg->tmp2.p);
	free(pg->sql.p);
	free(pg->conninfo);
	free(pg);
	st->bd = NULL;
}

static int
pg_version(struct store *st)
{
	int	 v;

	return pg_version_of(st, PG(st)->c, &v) == -1 ? -1 : v;
}

static void
pg_set_synchronous(struct store *st, int full)
{
	struct pg	*pg = PG(st);

	pg->sync_off = !full;
	if (pg->c != NULL && PQstatus(pg->c) == CONNECTION_OK)
		pg_session(st);
}

static void
pg_set_busy_timeout(struct store *st, int ms)
{
	struct pg	*pg = PG(st);

	pg->lock_ms = ms;
	if (pg->c != NULL && PQstatus(pg->c) == CONNECTION_OK)
		pg_session(st);
}

static int64_t
pg_wal_size(struct store *st)
{
	(void)st;
	return -1;
}

/* Staging tables of the session, emptied at each commit. */
static int
pg_temp(struct store *st)
{
	struct pg	*pg = PG(st);

	if (pg->temp || pg->ro)
		return 0;
	if (pg_cmd(st, pg->c,
	    "CREATE TEMP TABLE IF NOT EXISTS bw_name (kind smallint, id bigint,"
	    " name text, extra text, code integer) ON COMMIT DELETE ROWS;"
	    "CREATE TEMP TABLE IF NOT EXISTS bw_pending_op (put boolean, host_id bigint,"
	    " instance_id bigint,"
	    " queue_id text, rcpt bigint, failure_id bigint, time bigint)"
	    " ON COMMIT DELETE ROWS;"
	    "CREATE TEMP TABLE IF NOT EXISTS bw_daily (day date, domain_id bigint,"
	    " class_id smallint, reason_id smallint, host_id bigint, instance_id bigint,"
	    " n bigint) ON COMMIT DELETE ROWS;"
	    "CREATE TEMP TABLE IF NOT EXISTS bw_supp (seq bigint, put boolean,"
	    " domain_id bigint, local text, reason smallint, time bigint,"
	    " failure_id bigint) ON COMMIT DELETE ROWS;"
	    "CREATE TEMP TABLE IF NOT EXISTS bw_unrec (normalized text, n bigint,"
	    " first_seen bigint, last_seen bigint, example text, example_domain text)"
	    " ON COMMIT DELETE ROWS", "staging tables") == -1)
		return -1;
	pg->temp = 1;
	return 0;
}

/*
 * A COMMIT whose answer never came may have happened.  Once the server
 * answers again, its transaction id says: committed, and the caller's
 * read positions (rolled back in memory) are behind the database's, so
 * the writer must stop and start again from the database.
 */
static int
pg_settle(struct store *st)
{
	struct pg	*pg = PG(st);
	const char	*v[1] = { pg->uncertain };
	PGresult	*r;
	int		 committed;

	if (pg->uncertain[0] == '\0')
		return 0;
	if ((r = pg_exec(st, pg->c, "SELECT coalesce(txid_status($1::bigint), 'aborted')",
	    1, v, NULL, NULL, PGRES_TUPLES_OK, "last commit")) == NULL)
		return -1;
	committed = strcmp(PQgetvalue(r, 0, 0), "committed") == 0;
	if (!committed && strcmp(PQgetvalue(r, 0, 0), "in progress") == 0) {
		PQclear(r);
		return store_fail(st, STORE_EBUSY, "postgresql: the last commit is "
		    "still in progress");
	}
	PQclear(r);
	pg->uncertain[0] = '\0';
	if (committed)
		return store_fail(st, STORE_ENOTDB, "postgresql: the connection was lost "
		    "during a COMMIT that went through: restart to read on from the "
		    "committed positions");
	return 0;
}

static int
pg_begin(struct store *st)
{
	struct pg	*pg = PG(st);
	PGresult	*r;

	if (pg_reconnect(st) == -1 || pg_settle(st) == -1 || pg_temp(st) == -1)
		return -1;
	pg_names_drop(pg);	/* read ahead in another snapshot */
	if (pg_cmd(st, pg->c, "BEGIN", "begin") == -1)
		return -1;
	pg->tx = 1;
	if ((r = pg_exec(st, pg->c, "SELECT txid_current()", 0, NULL, NULL, NULL,
	    PGRES_TUPLES_OK, "begin")) == NULL)
		return -1;
	snprintf(pg->xid, sizeof(pg->xid), "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return 0;
}

static int
pg_commit(struct store *st)
{
	struct pg	*pg = PG(st);
	PGresult	*r;

	if (pg_write_flush(st) == -1)
		return -1;
	r = PQexec(pg->c, "COMMIT");
	pg->tx = 0;
	if (r != NULL && PQresultStatus(r) == PGRES_COMMAND_OK) {
		/* COMMIT of an aborted transaction answers ROLLBACK */
		if (strcmp(PQcmdStatus(r), "COMMIT") != 0) {
			PQclear(r);
			return store_fail(st, STORE_EOTHER, "postgresql: commit: "
			    "the transaction was rolled back");
		}
		PQclear(r);
		pg_write_committed(pg);
		pg_write_drop(pg);
		return 0;
	}
	if (PQstatus(pg->c) != CONNECTION_OK)
		snprintf(pg->uncertain, sizeof(pg->uncertain), "%s", pg->xid);
	pg_fail(st, pg->c, r, "commit");
	PQclear(r);
	return -1;
}

static void
pg_rollback(struct store *st)
{
	struct pg	*pg = PG(st);

	if (pg->tx && PQstatus(pg->c) == CONNECTION_OK)
		PQclear(PQexec(pg->c, "ROLLBACK"));
	pg->tx = 0;
	pg_write_drop(pg);
}

static int64_t
pg_source_add(struct store *st, const struct store_source *s, int64_t now)
{
	struct pg	*pg = PG(st);
	char		 node[32], fplen[32], dev[32], ino[32], t[32];
	const char	*v[7];
	int		 len[7] = { 0, 0, 0, 0, 0, 0, 0 }, fmt[7] = { 0, 0, 1, 0, 0, 0, 0 };
	PGresult	*r;
	int64_t		 id;

	if (pg_node(st) == -1)
		return -1;
	snprintf(node, sizeof(node), "%lld", (long long)pg->node_id);
	snprintf(fplen, sizeof(fplen), "%zu", s->fp_len);
	snprintf(dev, sizeof(dev), "%lld", (long long)s->dev);
	snprintf(ino, sizeof(ino), "%lld", (long long)s->ino);
	snprintf(t, sizeof(t), "%lld", (long long)now);
	v[0] = node;
	v[1] = pg_cstr(st, s->path, strlen(s->path));
	v[2] = (const char *)s->fp;
	len[2] = (int)s->fp_len;
	v[3] = fplen;
	v[4] = dev;
	v[5] = ino;
	v[6] = t;
	if ((r = pg_exec(st, pg->c, "INSERT INTO source (node_id, path, fp, fp_len,"
	    " dev, ino, \"offset\", tail, lines, state, first_seen, last_commit)"
	    " VALUES ($1, $2, $3, $4, $5, $6, 0, ''::bytea, 0, 'active', $7, $7)"
	    " RETURNING id", 7, v, len, fmt, PGRES_TUPLES_OK, "new source")) == NULL)
		return -1;
	id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return id;
}

static int
pg_source_save(struct store *st, const struct store_source *s, int64_t now)
{
	struct pg	*pg = PG(st);
	char		 num[7][32];
	const char	*v[11];
	int		 len[11] = { 0 }, fmt[11] = { 0 };
	PGresult	*r;
	int		 changed;

	snprintf(num[0], 32, "%lld", (long long)s->id);
	snprintf(num[1], 32, "%zu", s->fp_len);
	snprintf(num[2], 32, "%lld", (long long)s->dev);
	snprintf(num[3], 32, "%lld", (long long)s->ino);
	snprintf(num[4], 32, "%llu", (unsigned long long)s->offset);
	snprintf(num[5], 32, "%llu", (unsigned long long)s->lines);
	snprintf(num[6], 32, "%lld", (long long)now);
	if (pg_node(st) == -1)
		return -1;
	v[0] = num[0];
	v[1] = pg_cstr(st, s->path, strlen(s->path));
	v[2] = (const char *)s->fp;
	len[2] = (int)s->fp_len;
	fmt[2] = 1;
	v[3] = num[1];
	v[4] = num[2];
	v[5] = num[3];
	v[6] = num[4];
	v[7] = (const char *)s->tail;
	len[7] = (int)s->tail_len;
	fmt[7] = 1;
	v[8] = num[5];
	v[9] = s->state;
	v[10] = num[6];
	if ((r = pg_exec(st, pg->c, "UPDATE source SET path = $2, fp = $3, fp_len = $4,"
	    " dev = $5, ino = $6, \"offset\" = $7, tail = $8, lines = $9, state = $10,"
	    " last_commit = $11 WHERE id = $1", 11, v, len, fmt, PGRES_COMMAND_OK,
	    "save position")) == NULL)
		return -1;
	changed = strcmp(PQcmdTuples(r), "1") == 0;
	PQclear(r);
	if (!changed)
		return store_fail(st, STORE_EOTHER, "postgresql: save position: "
		    "source %lld is gone", (long long)s->id);
	return 0;
}

static int
pg_gap_add(struct store *st, int64_t now, int64_t source_id, uint64_t from,
    uint64_t to, const char *reason)
{
	char		 num[4][32];
	const char	*v[5];
	PGresult	*r;

	snprintf(num[0], 32, "%lld", (long long)now);
	snprintf(num[1], 32, "%lld", (long long)source_id);
	snprintf(num[2], 32, "%llu", (unsigned long long)from);
	snprintf(num[3], 32, "%llu", (unsigned long long)to);
	v[0] = num[0];
	v[1] = num[1];
	v[2] = num[2];
	v[3] = to != 0 ? num[3] : NULL;
	v[4] = reason;
	if ((r = pg_exec(st, PG(st)->c, "INSERT INTO gap (time, source_id, from_offset,"
	    " to_offset, reason) VALUES ($1, $2, $3, $4, $5)", 5, v, NULL, NULL,
	    PGRES_COMMAND_OK, "gap")) == NULL)
		return -1;
	PQclear(r);
	return 0;
}

static int64_t
pg_prune(struct store *st, const char *before_day, int64_t before)
{
	struct pg	*pg = PG(st);
	char		 t[32];
	const char	*v[2];
	PGresult	*r;
	int64_t		 n;

	snprintf(t, sizeof(t), "%lld", (long long)before);
	v[0] = before_day;
	v[1] = t;
	if ((r = pg_exec(st, pg->c, "DELETE FROM failure WHERE id <= coalesce((SELECT"
	    " max(last_id) FROM day_span WHERE day < $1::date), 0) AND time < $2",
	    2, v, NULL, NULL, PGRES_COMMAND_OK, "prune")) == NULL)
		return -1;
	n = strtoll(PQcmdTuples(r), NULL, 10);
	PQclear(r);
	if (pg_cmd(st, pg->c, "DELETE FROM day_span WHERE NOT EXISTS (SELECT 1 FROM"
	    " failure WHERE id BETWEEN day_span.first_id AND day_span.last_id)",
	    "prune") == -1)
		return -1;
	/* the summaries of pruned days (whole or part) */
	if (pg_summary_forget(st, NULL, before_day) == -1)
		return -1;
	return n;
}

/* Sources of this node's files long gone (never a path's newest). */
static int64_t
pg_sources_prune(struct store *st, int64_t gone_before, int64_t done_before)
{
	struct pg	*pg = PG(st);
	char		 num[3][32];
	const char	*v[3] = { num[0], num[1], num[2] };
	PGresult	*r;
	int64_t		 n;

	if (pg_node_find(st) == -1)
		return -1;
	if (pg->node_id == 0)
		return 0;		/* a node yet to write has no sources */
	snprintf(num[0], 32, "%lld", (long long)pg->node_id);
	snprintf(num[1], 32, "%lld", (long long)gone_before);
	snprintf(num[2], 32, "%lld", (long long)done_before);
	if ((r = pg_exec(st, pg->c, "DELETE FROM source WHERE node_id = $1"
	    " AND ((state = 'gone' AND last_commit < $2)"
	    " OR (state = 'done' AND last_commit < $3))"
	    " AND id NOT IN (SELECT max(id) FROM source WHERE node_id = $1 GROUP BY path)",
	    3, v, NULL, NULL, PGRES_COMMAND_OK, "prune sources")) == NULL)
		return -1;
	n = strtoll(PQcmdTuples(r), NULL, 10);
	PQclear(r);
	return n;
}

/* No write-ahead log of ours to fold: the server checkpoints. */
static int
pg_checkpoint(struct store *st, int64_t *bytes, int *held)
{
	(void)st;
	*bytes = 0;
	*held = 0;
	return 0;
}

static int
pg_diag_rehash(struct store *st)
{
	(void)st;
	return 0;		/* every PostgreSQL schema has the hashes */
}

static void
pg_set_node(struct store *st, const char *node)
{
	struct pg	*pg = PG(st);

	if (node == NULL || *node == '\0')
		return;
	pg->named = 1;		/* a reader lists this node's sources only */
	if (strcmp(node, pg->node) == 0)
		return;
	snprintf(pg->node, sizeof(pg->node), "%s", node);
	if (pg->node_locked)
		/* a new name: the old one's lock goes */
		PQclear(PQexec(pg->c, "SELECT pg_advisory_unlock_all()"));
	pg->node_locked = 0;
	pg->node_id = 0;
}

const struct store_backend store_backend_pg = {
	.backend = "postgresql",
	.open = pg_open,
	.close = pg_close,
	.version = pg_version,
	.set_synchronous = pg_set_synchronous,
	.set_busy_timeout = pg_set_busy_timeout,
	.wal_size = pg_wal_size,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.read_begin = pg_read_begin,
	.read_end = pg_read_end,
	.intern = pg_intern,
	.reply = pg_reply,
	.failure_add = pg_failure_add,
	.unrecognised_add = pg_unrecognised_add,
	.daily_add = pg_daily_add,
	.spans_add = pg_spans_add,
	.linestats_add = pg_linestats_add,
	.pending_put = pg_pending_put,
	.pending_del = pg_pending_del,
	.pending_get = pg_pending_get,
	.pending_forget = pg_pending_forget,
	.pending_qids = pg_pending_qids,
	.pending_expire = pg_pending_expire,
	.expire_copy = pg_expire_copy,
	.diag_rehash = pg_diag_rehash,
	.source_each = pg_source_each,
	.source_get = pg_source_get,
	.source_kinds = pg_source_kinds,
	.source_add = pg_source_add,
	.source_save = pg_source_save,
	.gap_add = pg_gap_add,
	.prune = pg_prune,
	.sources_prune = pg_sources_prune,
	.checkpoint = pg_checkpoint,
	.name_find = pg_name_find,
	.daily_range = pg_daily_range,
	.failure_range = pg_failure_range,
	.recipient_range = pg_recipient_range,
	.domain_rows = pg_domain_rows,
	.text_domains = pg_text_domains,
	.name = pg_name,
	.failure_text = pg_failure_text,
	.exec = NULL,
	.set_node = pg_set_node,
	.suppression_list = pg_suppression_list,
	.suppress_put = pg_suppress_put,
	.suppress_del = pg_suppress_del,
	.suppress_keys = pg_suppress_keys,
	.suppress_rows = pg_suppress_rows,
	.suppress_get = pg_suppress_get,
	.suppress_set = pg_suppress_set,
	.reclass_rows = pg_reclass_rows,
	.failure_reclass = pg_failure_reclass,
	.daily_tidy = pg_daily_tidy,
	.unrecognised_get = pg_unrecognised_get,
	.unrecognised_set = pg_unrecognised_set,
	.hourly_add = pg_hourly_add,
	.hourly_sum = pg_hourly_sum,
	.alert_add = pg_alert_add,
	.alert_list = pg_alert_list,
	.line_totals = pg_line_totals,
	.gap_count = pg_gap_count,
	.domain_counters = pg_domain_counters,
	.summary_get = pg_summary_get,
	.summary_put = pg_summary_put,
	.summary_days = pg_summary_days,
	.hourly_lines = pg_hourly_lines,
};
