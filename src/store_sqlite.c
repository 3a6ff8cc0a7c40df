/*
 * store_sqlite.c -- the SQLite backend's operations table, its statements
 * (prepared once, at open: store_sqlite_open.c), transactions and the
 * writer's operations.  The reader's are in store_sqlite_read.c.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store_sqlite.h"
#include "util.h"

/*
 * WAL mode, with -wal and -shm kept (SQLITE_FCNTL_PERSIST_WAL) so that
 * read-only readers always work; synchronous = FULL unless asked.
 */
static const char *const sq_sql[SQ_MAX] = {
	[SQ_BEGIN] = "BEGIN IMMEDIATE",
	[SQ_COMMIT] = "COMMIT",
	[SQ_ROLLBACK] = "ROLLBACK",
	[SQ_DOMAIN_GET] = "SELECT id FROM domain WHERE name = ?1",
	[SQ_DOMAIN_ADD] = "INSERT INTO domain (name) VALUES (?1)",
	[SQ_RELAY_GET] = "SELECT id FROM relay WHERE name = ?1",
	[SQ_RELAY_ADD] = "INSERT INTO relay (name) VALUES (?1)",
	[SQ_HOST_GET] = "SELECT id FROM host WHERE name = ?1",
	[SQ_HOST_ADD] = "INSERT INTO host (name) VALUES (?1)",
	[SQ_RULE_GET] = "SELECT id FROM rule WHERE name = ?1",
	[SQ_RULE_ADD] = "INSERT INTO rule (name) VALUES (?1)",
	[SQ_INSTANCE_GET] = "SELECT id FROM instance WHERE name = ?1",
	[SQ_INSTANCE_ADD] = "INSERT INTO instance (name) VALUES (?1)",
	[SQ_DIAG_GET] = "SELECT id FROM diagnostic WHERE hash = ?2 AND template = ?1",
	[SQ_DIAG_ADD] = "INSERT INTO diagnostic (template, normalized, hash) VALUES (?1, ?2, ?3)",
	[SQ_REPLY_GET] = "SELECT id FROM reply WHERE code = ?1 AND dsn = ?2 AND stage = ?3",
	[SQ_REPLY_ADD] = "INSERT INTO reply (code, dsn, stage) VALUES (?1, ?2, ?3)",
	[SQ_FAILURE_ADD] =
	    "INSERT INTO failure (time, source_id, offset, host_id, queue_id, local,"
	    " domain_id, relay_id, status_id, class_id, reason_id, reply_id,"
	    " diagnostic_id, rule_id, arg1, arg2, arg3, instance_id, detail)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,"
	    " ?17, ?18, ?19)",
	[SQ_DAILY_ADD] =
	    "INSERT INTO daily (day, domain_id, class_id, reason_id, host_id, instance_id, n)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
	    " ON CONFLICT (day, domain_id, class_id, reason_id, host_id, instance_id)"
	    " DO UPDATE SET n = n + excluded.n",
	[SQ_DAYSPAN_ADD] =
	    "INSERT INTO day_span (day, first_id, last_id) VALUES (?1, ?2, ?3)"
	    " ON CONFLICT (day) DO UPDATE SET first_id = min(first_id, excluded.first_id),"
	    " last_id = max(last_id, excluded.last_id)",
	[SQ_UNRECOGNISED_ADD] =
	    "INSERT INTO unrecognised (normalized, n, first_seen, last_seen, example, example_domain)"
	    " VALUES (?1, 1, ?2, ?2, ?3, ?4)"
	    " ON CONFLICT (normalized) DO UPDATE SET n = n + 1,"
	    " first_seen = min(first_seen, excluded.first_seen),"
	    " last_seen = max(last_seen, excluded.last_seen)",
	[SQ_LINESTAT_ADD] =
	    "INSERT INTO line_stats (source_id, kind, n) VALUES (?1, ?2, ?3)"
	    " ON CONFLICT (source_id, kind) DO UPDATE SET n = n + excluded.n",
	[SQ_SOURCE_ALL] =
	    "SELECT id, path, fp, fp_len, dev, ino, offset, tail, lines, state, last_commit"
	    " FROM source ORDER BY id DESC",
	[SQ_SOURCE_GET] =
	    "SELECT id, path, fp, fp_len, dev, ino, offset, tail, lines, state, last_commit"
	    " FROM source WHERE id = ?1",
	[SQ_SOURCE_ADD] =
	    "INSERT INTO source (path, fp, fp_len, dev, ino, offset, tail, lines, state,"
	    " first_seen, last_commit) VALUES (?1, ?2, ?3, ?4, ?5, 0, x'', 0, 'active', ?6, ?6)",
	[SQ_SOURCE_SAVE] =
	    "UPDATE source SET path = ?2, fp = ?3, fp_len = ?4, dev = ?5, ino = ?6,"
	    " offset = ?7, tail = ?8, lines = ?9, state = ?10, last_commit = ?11 WHERE id = ?1",
	[SQ_GAP_ADD] =
	    "INSERT INTO gap (time, source_id, from_offset, to_offset, reason)"
	    " VALUES (?1, ?2, ?3, ?4, ?5)",
	/* instance 0: a row from before schema 4, of any instance of its host */
	[SQ_PENDING_PUT] =
	    "INSERT OR REPLACE INTO pending (host_id, instance_id, queue_id, rcpt,"
	    " failure_id, time) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	/*
	 * One instance at a time (sq_pending_del): "instance_id IN (?2, 0)"
	 * built an ephemeral table at every run, 6 us a delete.
	 */
	[SQ_PENDING_DEL] =
	    "DELETE FROM pending WHERE host_id = ?1 AND instance_id = ?2"
	    " AND queue_id = ?3 AND rcpt = ?4",
	[SQ_PENDING_GET] =
	    "SELECT failure_id FROM pending WHERE host_id = ?1 AND instance_id IN (?2, 0)"
	    " AND queue_id = ?3",
	[SQ_PENDING_DELQ] =
	    "DELETE FROM pending WHERE host_id = ?1 AND instance_id IN (?2, 0)"
	    " AND queue_id = ?3",
	/*
	 * An expiry reads the last deferral and inserts its copy as one row
	 * (SQ_FAILURE_ADD): an INSERT ... SELECT would open a statement
	 * journal (a savepoint) for every expired recipient.
	 */
	[SQ_EXPIRE_COPY] =
	    "SELECT queue_id, local, domain_id, relay_id, reply_id, diagnostic_id,"
	    " arg1, arg2, arg3 FROM failure WHERE id = ?1",
	[SQ_DIAG_UNHASHED] = "SELECT id, template FROM diagnostic WHERE hash = 0",
	[SQ_DIAG_REHASH] = "UPDATE diagnostic SET hash = ?2 WHERE id = ?1",
	/*
	 * No DISTINCT (a temporary b-tree): a queue id twice in a filter is
	 * once.  And whether any row is of instance 0 (sq_pending_zero).
	 */
	[SQ_PENDING_QIDS] = "SELECT host_id, queue_id, instance_id = 0 FROM pending",
	[SQ_PENDING_PRUNE] = "DELETE FROM pending WHERE time < ?1",
	[SQ_SUPPRESS_PUT] =
	    "INSERT INTO suppression (domain_id, local, reason_id, first_seen, last_seen,"
	    " n, failure_id) VALUES (?1, ?2, ?3, ?4, ?4, 1, ?5)"
	    " ON CONFLICT (domain_id, local) DO UPDATE SET n = n + 1,"
	    " reason_id = excluded.reason_id, failure_id = excluded.failure_id,"
	    " first_seen = min(first_seen, excluded.first_seen),"
	    " last_seen = max(last_seen, excluded.last_seen)",
	/* a delivery logged before the failure does not undo it */
	[SQ_SUPPRESS_DEL] =
	    "DELETE FROM suppression WHERE domain_id = ?1 AND local = ?2 AND last_seen <= ?3",
	[SQ_SUPPRESS_KEYS] = "SELECT domain_id, local FROM suppression",
};

/* The lookup and insert of each interned kind. */
static const struct {
	enum sq_stmt	 get, add;
} sq_interns[I_REPLY] = {
	[I_DOMAIN] = { SQ_DOMAIN_GET, SQ_DOMAIN_ADD },
	[I_RELAY] = { SQ_RELAY_GET, SQ_RELAY_ADD },
	[I_HOST] = { SQ_HOST_GET, SQ_HOST_ADD },
	[I_RULE] = { SQ_RULE_GET, SQ_RULE_ADD },
	[I_INSTANCE] = { SQ_INSTANCE_GET, SQ_INSTANCE_ADD },
	[I_DIAG] = { SQ_DIAG_GET, SQ_DIAG_ADD },
};

int
sq_fail(struct store *st, int rc, const char *what)
{
	enum store_err	 why;
	struct sq	*sq = SQ(st);

	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		why = STORE_EBUSY;
		break;
	case SQLITE_FULL:
		why = STORE_EFULL;
		break;
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
	case SQLITE_READONLY:
		why = STORE_EIO;
		break;
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		why = STORE_ENOTDB;
		break;
	default:
		why = STORE_EOTHER;
		break;
	}
	return store_fail(st, why, "%s: %s", what, sq != NULL && sq->db != NULL ?
	    sqlite3_errmsg(sq->db) : sqlite3_errstr(rc));
}

int
sq_step(struct store *st, sqlite3_stmt *q, const char *what)
{
	int	 rc = sqlite3_step(q);

	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return sq_fail(st, rc, what);
	return 0;
}

int
sq_bind_span(sqlite3_stmt *q, int i, struct span s)
{
	if (s.p == NULL)
		return sqlite3_bind_null(q, i);
	return sqlite3_bind_text(q, i, s.p, (int)s.n, SQLITE_STATIC);
}

void
sq_bind_id(sqlite3_stmt *q, int i, int64_t id)
{
	if (id != 0)
		sqlite3_bind_int64(q, i, id);
	else
		sqlite3_bind_null(q, i);
}

/* Prepare the writer's statement i, kept for the connection's life. */
int
sq_prepare(struct store *st, enum sq_stmt i)
{
	struct sq	*sq = SQ(st);
	int		 rc;

	rc = sqlite3_prepare_v3(sq->db, sq_sql[i], -1,
	    SQLITE_PREPARE_PERSISTENT, &sq->st[i], NULL);
	return rc == SQLITE_OK ? 0 : sq_fail(st, rc, "prepare");
}

/* ---- transactions ---- */

static int
sq_begin(struct store *st)
{
	return sq_step(st, SQ(st)->st[SQ_BEGIN], "begin");
}

static int
sq_commit(struct store *st)
{
	if (sq_ops_flush_all(st) == -1)
		return -1;
	return sq_step(st, SQ(st)->st[SQ_COMMIT], "commit");
}

static void
sq_rollback(struct store *st)
{
	if (!sqlite3_get_autocommit(SQ(st)->db))
		sq_step(st, SQ(st)->st[SQ_ROLLBACK], "rollback");
	sq_ops_clear(SQ(st)->pend);
	sq_ops_clear(SQ(st)->supp);
	SQ(st)->zero_known = 0;		/* a row of instance 0 may be gone */
}

/* ---- the writer ---- */

static int64_t
sq_intern(struct store *st, enum store_intern which, const char *s, size_t n,
    const char *normalized, uint64_t hash)
{
	struct sq	*sq = SQ(st);
	sqlite3_stmt	*q = sq->st[sq_interns[which].get];
	int64_t		 id;
	int		 rc;

	sqlite3_bind_text(q, 1, s, (int)n, SQLITE_STATIC);
	if (which == I_DIAG)
		sqlite3_bind_int64(q, 2, (int64_t)hash);
	rc = sqlite3_step(q);
	id = rc == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
	sqlite3_reset(q);
	if (rc == SQLITE_ROW)
		return id;
	if (rc != SQLITE_DONE)
		return sq_fail(st, rc, "lookup");
	q = sq->st[sq_interns[which].add];
	sqlite3_bind_text(q, 1, s, (int)n, SQLITE_STATIC);
	if (normalized != NULL)
		sqlite3_bind_text(q, 2, normalized, -1, SQLITE_STATIC);
	if (which == I_DIAG)
		sqlite3_bind_int64(q, 3, (int64_t)hash);
	if (sq_step(st, q, "insert") == -1)
		return -1;
	return sqlite3_last_insert_rowid(sq->db);
}

static int64_t
sq_reply(struct store *st, int code, struct span dsn, struct span stage)
{
	struct sq	*sq = SQ(st);
	sqlite3_stmt	*q;
	int64_t		 id = 0;
	int		 rc, k;

	for (k = 0; k < 2; k++) {
		q = sq->st[k == 0 ? SQ_REPLY_GET : SQ_REPLY_ADD];
		sqlite3_bind_int(q, 1, code);
		sqlite3_bind_text(q, 2, dsn.p, (int)dsn.n, SQLITE_STATIC);
		sqlite3_bind_text(q, 3, stage.p, (int)stage.n, SQLITE_STATIC);
		rc = sqlite3_step(q);
		id = k == 0 && rc == SQLITE_ROW ? sqlite3_column_int64(q, 0) :
		    sqlite3_last_insert_rowid(sq->db);
		sqlite3_reset(q);
		if (k == 0 && rc == SQLITE_ROW)
			break;
		if (rc != SQLITE_DONE)
			return sq_fail(st, rc, "reply");
	}
	return id;
}

static int64_t
sq_failure_add(struct store *st, const struct store_frow *f)
{
	struct sq	*sq = SQ(st);
	sqlite3_stmt	*q = sq->st[SQ_FAILURE_ADD];
	int		 rc, k;

	sqlite3_bind_int64(q, 1, f->time);
	sq_bind_id(q, 2, f->source_id);
	if (f->source_id != 0)
		sqlite3_bind_int64(q, 3, (int64_t)f->offset);
	else
		sqlite3_bind_null(q, 3);
	sq_bind_id(q, 4, f->host_id);
	sq_bind_span(q, 5, f->queue_id);
	sq_bind_span(q, 6, f->local);
	sqlite3_bind_int64(q, 7, f->domain_id);
	sq_bind_id(q, 8, f->relay_id);
	sqlite3_bind_int(q, 9, f->status_id);
	sqlite3_bind_int(q, 10, f->cls);
	sqlite3_bind_int(q, 11, f->reason);
	sqlite3_bind_int64(q, 12, f->reply_id);
	sq_bind_id(q, 13, f->diag_id);
	sq_bind_id(q, 14, f->rule_id);
	if (f->diag_id != 0)
		for (k = 0; k < DIAG_ARGS; k++)
			sq_bind_span(q, 15 + k, f->args.arg[k]);
	sq_bind_id(q, 18, f->instance_id);
	if (f->detail != NULL)
		sqlite3_bind_text(q, 19, f->detail, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	if (rc != SQLITE_DONE)
		return sq_fail(st, rc, "failure row");
	return sqlite3_last_insert_rowid(sq->db);
}

static int
sq_unrecognised_add(struct store *st, const char *normalized, int64_t time,
    struct span example, const char *domain)
{
	sqlite3_stmt	*u = SQ(st)->st[SQ_UNRECOGNISED_ADD];

	sqlite3_bind_text(u, 1, normalized, -1, SQLITE_STATIC);
	sqlite3_bind_int64(u, 2, time);
	sq_bind_span(u, 3, example);
	sqlite3_bind_text(u, 4, domain, -1, SQLITE_STATIC);
	return sq_step(st, u, "unrecognised");
}

static int
sq_daily_add(struct store *st, const struct store_counter *c, size_t n)
{
	sqlite3_stmt	*q = SQ(st)->st[SQ_DAILY_ADD];
	char		 day[16];
	size_t		 i;

	for (i = 0; i < n; i++) {
		store_day_text(c[i].day, day);
		sqlite3_bind_text(q, 1, day, 10, SQLITE_TRANSIENT);
		sqlite3_bind_int64(q, 2, c[i].domain_id);
		sqlite3_bind_int(q, 3, c[i].cls);
		sqlite3_bind_int(q, 4, c[i].reason);
		sqlite3_bind_int64(q, 5, c[i].host_id);
		sqlite3_bind_int64(q, 6, c[i].instance_id);
		sqlite3_bind_int64(q, 7, c[i].n);
		if (sq_step(st, q, "daily counters") == -1)
			return -1;
	}
	return 0;
}

static int
sq_spans_add(struct store *st, const struct store_dayspan *s, size_t n)
{
	sqlite3_stmt	*q = SQ(st)->st[SQ_DAYSPAN_ADD];
	char		 day[16];
	size_t		 i;

	for (i = 0; i < n; i++) {
		store_day_text(s[i].day, day);
		sqlite3_bind_text(q, 1, day, 10, SQLITE_TRANSIENT);
		sqlite3_bind_int64(q, 2, s[i].first);
		sqlite3_bind_int64(q, 3, s[i].last);
		if (sq_step(st, q, "day spans") == -1)
			return -1;
	}
	return 0;
}

static int
sq_linestats_add(struct store *st, int64_t source_id, const int64_t *by_kind)
{
	sqlite3_stmt	*q = SQ(st)->st[SQ_LINESTAT_ADD];
	int		 k;

	for (k = 0; k < LINE_KIND_MAX; k++) {
		if (by_kind[k] == 0)
			continue;
		sqlite3_bind_int64(q, 1, source_id);
		sqlite3_bind_text(q, 2, parse_kind_name((enum line_kind)k), -1,
		    SQLITE_STATIC);
		sqlite3_bind_int64(q, 3, by_kind[k]);
		if (sq_step(st, q, "line stats") == -1)
			return -1;
	}
	return 0;
}

/* Bind a message's key as ?1 (host), ?2 (instance), ?3 (queue id). */
static void
sq_bind_qkey(sqlite3_stmt *q, const struct store_qkey *k)
{
	sqlite3_bind_int64(q, 1, k->host_id);
	sqlite3_bind_int64(q, 2, k->instance_id);
	sq_bind_span(q, 3, k->queue_id);
}

static int
sq_pending_put(struct store *st, const struct store_qkey *k, int64_t rcpt,
    int64_t failure_id, int64_t time)
{
	if (k->instance_id == 0)
		SQ(st)->zero_rows = 1;
	return sq_pending_op(st, SQ_OP_PPUT, k, rcpt, failure_id, time);
}

/*
 * Does pending hold rows of instance 0 (from before schema 4, or of lines
 * without a syslog name)?  Asked once (a scan, after the batch's writes),
 * then kept up to date by sq_pending_put, and asked again after a
 * rollback.  Like the store's filter of queue ids, this trusts that this
 * writer is the only one (the lock file).  1 also when it may: one
 * DELETE more.
 */
static int
sq_pending_zero(struct store *st)
{
	struct sq	*sq = SQ(st);
	sqlite3_stmt	*q;
	int		 rc;

	if (sq->zero_known)
		return sq->zero_rows;
	if (sq_ops_flush(st, sq->pend) == -1)
		return -1;
	rc = sqlite3_prepare_v2(sq->db,
	    "SELECT EXISTS (SELECT 1 FROM pending WHERE instance_id = 0)", -1, &q, NULL);
	if (rc != SQLITE_OK)
		return sq_fail(st, rc, "pending");
	if ((rc = sqlite3_step(q)) != SQLITE_ROW) {
		sqlite3_finalize(q);
		return sq_fail(st, rc, "pending");
	}
	sq->zero_rows = sqlite3_column_int(q, 0) != 0;
	sqlite3_finalize(q);
	sq->zero_known = 1;
	return sq->zero_rows;
}

static int
sq_pending_del(struct store *st, const struct store_qkey *k, int64_t rcpt)
{
	struct store_qkey	 k0 = *k;

	if (sq_pending_op(st, SQ_OP_PDEL, k, rcpt, 0, 0) == -1)
		return -1;
	if (k->instance_id == 0)
		return 0;
	/* and a row of instance 0 (from before schema 4: of any instance) */
	switch (sq_pending_zero(st)) {
	case -1:
		return -1;
	case 0:
		return 0;
	}
	k0.instance_id = 0;
	return sq_pending_op(st, SQ_OP_PDEL, &k0, rcpt, 0, 0);
}

static int
sq_pending_get(struct store *st, const struct store_qkey *k, int64_t **out)
{
	sqlite3_stmt	*q = SQ(st)->st[SQ_PENDING_GET];
	int64_t		*ids = NULL;
	int		 n = 0, rc;

	if (sq_ops_flush_message(st, k) == -1)
		return -1;
	sq_bind_qkey(q, k);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		ids = xrealloc(ids, (size_t)(n + 1) * sizeof(*ids));
		ids[n++] = sqlite3_column_int64(q, 0);
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE) {
		free(ids);
		return sq_fail(st, rc, "pending");
	}
	*out = ids;
	return n;
}

static int
sq_pending_forget(struct store *st, const struct store_qkey *k)
{
	sqlite3_stmt	*q = SQ(st)->st[SQ_PENDING_DELQ];

	if (sq_ops_flush_message(st, k) == -1)
		return -1;
	sq_bind_qkey(q, k);
	return sq_step(st, q, "pending");
}

static int
sq_pending_qids(struct store *st, store_qid_cb cb, void *arg)
{
	struct sq	*sq = SQ(st);
	sqlite3_stmt	*q = sq->st[SQ_PENDING_QIDS];
	int64_t		 n = 0;
	int		 rc, zero = 0;

	if (sq_ops_flush(st, sq->pend) == -1)
		return -1;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		cb(sqlite3_column_int64(q, 0), (const char *)sqlite3_column_text(q, 1),
		    (size_t)sqlite3_column_bytes(q, 1), arg);
		zero |= sqlite3_column_int(q, 2);
		n++;
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return sq_fail(st, rc, "pending");
	/* the scan answers sq_pending_zero's question: no second one */
	sq->zero_rows = zero;
	sq->zero_known = 1;
	sq_ops_use(&sq->pend, n);
	return 0;
}

static int
sq_suppress_put(struct store *st, int64_t domain_id, struct span local, int reason,
    int64_t time, int64_t failure_id)
{
	return sq_suppress_op(st, SQ_OP_SPUT, domain_id, local, reason, time,
	    failure_id);
}

static int
sq_suppress_del(struct store *st, int64_t domain_id, struct span local, int64_t time)
{
	return sq_suppress_op(st, SQ_OP_SDEL, domain_id, local, 0, time, 0);
}

static int
sq_suppress_keys(struct store *st, store_skey_cb cb, void *arg)
{
	struct sq	*sq = SQ(st);
	sqlite3_stmt	*q = sq->st[SQ_SUPPRESS_KEYS];
	int64_t		 n = 0;
	int		 rc;

	if (sq_ops_flush(st, sq->supp) == -1)
		return -1;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		cb(sqlite3_column_int64(q, 0), (const char *)sqlite3_column_text(q, 1),
		    (size_t)sqlite3_column_bytes(q, 1), arg);
		n++;
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return sq_fail(st, rc, "suppression");
	sq_ops_use(&sq->supp, n);
	return 0;
}

static int
sq_pending_expire(struct store *st, int64_t before)
{
	sqlite3_stmt	*q = SQ(st)->st[SQ_PENDING_PRUNE];

	if (sq_ops_flush(st, SQ(st)->pend) == -1)
		return -1;
	sqlite3_bind_int64(q, 1, before);
	return sq_step(st, q, "pending");
}

static int
sq_expire_copy(struct store *st, int64_t failure_id, const struct store_expiry *e,
    int64_t *row, int64_t *domain)
{
	/* columns of SQ_EXPIRE_COPY -> parameters of SQ_FAILURE_ADD */
	static const int from[] = { 5, 6, 7, 8, 12, 13, 15, 16, 17 };
	struct sq	*sq = SQ(st);
	sqlite3_stmt	*cp = sq->st[SQ_EXPIRE_COPY], *q = sq->st[SQ_FAILURE_ADD];
	int		 rc, i;

	sqlite3_bind_int64(cp, 1, failure_id);
	if ((rc = sqlite3_step(cp)) != SQLITE_ROW) {
		sqlite3_reset(cp);
		if (rc != SQLITE_DONE)
			return sq_fail(st, rc, "expired");
		return 0;
	}
	for (i = 0; i < (int)(sizeof(from) / sizeof(from[0])); i++)
		sqlite3_bind_value(q, from[i], sqlite3_column_value(cp, i));
	*domain = sqlite3_column_int64(cp, 2);
	sqlite3_bind_int64(q, 1, e->time);
	sq_bind_id(q, 2, e->source_id);
	if (e->source_id != 0)
		sqlite3_bind_int64(q, 3, (int64_t)e->offset);
	else
		sqlite3_bind_null(q, 3);
	sq_bind_id(q, 4, e->host_id);
	sqlite3_bind_int(q, 9, 5);		/* expired */
	sqlite3_bind_int(q, 10, e->cls);
	sqlite3_bind_int(q, 11, e->reason);
	sq_bind_id(q, 14, e->rule_id);
	sq_bind_id(q, 18, e->instance_id);
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	sqlite3_reset(cp);
	if (rc != SQLITE_DONE)
		return sq_fail(st, rc, "expired");
	*row = sqlite3_last_insert_rowid(sq->db);
	return 1;
}

/* ---- sources and gaps ---- */

static int64_t
sq_source_add(struct store *st, const struct store_source *s, int64_t now)
{
	struct sq	*sq = SQ(st);
	sqlite3_stmt	*q = sq->st[SQ_SOURCE_ADD];

	sqlite3_bind_text(q, 1, s->path, -1, SQLITE_STATIC);
	sqlite3_bind_blob(q, 2, s->fp, (int)s->fp_len, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, (int64_t)s->fp_len);
	sqlite3_bind_int64(q, 4, (int64_t)s->dev);
	sqlite3_bind_int64(q, 5, (int64_t)s->ino);
	sqlite3_bind_int64(q, 6, now);
	if (sq_step(st, q, "new source") == -1)
		return -1;
	return sqlite3_last_insert_rowid(sq->db);
}

static int
sq_source_save(struct store *st, const struct store_source *s, int64_t now)
{
	struct sq	*sq = SQ(st);
	sqlite3_stmt	*q = sq->st[SQ_SOURCE_SAVE];
	int		 rc;

	sqlite3_bind_int64(q, 1, s->id);
	sqlite3_bind_text(q, 2, s->path, -1, SQLITE_STATIC);
	sqlite3_bind_blob(q, 3, s->fp, (int)s->fp_len, SQLITE_STATIC);
	sqlite3_bind_int64(q, 4, (int64_t)s->fp_len);
	sqlite3_bind_int64(q, 5, (int64_t)s->dev);
	sqlite3_bind_int64(q, 6, (int64_t)s->ino);
	sqlite3_bind_int64(q, 7, (int64_t)s->offset);
	sqlite3_bind_blob(q, 8, s->tail, (int)s->tail_len, SQLITE_STATIC);
	sqlite3_bind_int64(q, 9, (int64_t)s->lines);
	sqlite3_bind_text(q, 10, s->state, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 11, now);
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	if (rc != SQLITE_DONE || sqlite3_changes(sq->db) != 1)
		return sq_fail(st, rc == SQLITE_DONE ? SQLITE_ERROR : rc, "save position");
	return 0;
}

static int
sq_gap_add(struct store *st, int64_t now, int64_t source_id, uint64_t from,
    uint64_t to, const char *reason)
{
	sqlite3_stmt	*q = SQ(st)->st[SQ_GAP_ADD];

	sqlite3_bind_int64(q, 1, now);
	sqlite3_bind_int64(q, 2, source_id);
	sqlite3_bind_int64(q, 3, (int64_t)from);
	if (to != 0)
		sqlite3_bind_int64(q, 4, (int64_t)to);
	else
		sqlite3_bind_null(q, 4);
	sqlite3_bind_text(q, 5, reason, -1, SQLITE_STATIC);
	return sq_step(st, q, "gap");
}

/* ---- maintenance ---- */

static int64_t
sq_prune(struct store *st, const char *before_day, int64_t before)
{
	static const char sql_del[] =
	    "DELETE FROM failure WHERE id <= coalesce((SELECT max(last_id) FROM day_span"
	    " WHERE day < ?1), 0) AND time < ?2";
	struct sq	*sq = SQ(st);
	sqlite3_stmt	*q;
	int64_t		 n;
	int		 rc;

	if ((rc = sqlite3_prepare_v2(sq->db, sql_del, -1, &q, NULL)) == SQLITE_OK) {
		sqlite3_bind_text(q, 1, before_day, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 2, before);
		rc = sqlite3_step(q);
		sqlite3_finalize(q);
	}
	if (rc != SQLITE_DONE && rc != SQLITE_OK)
		return sq_fail(st, rc, "prune");
	n = sqlite3_changes64(sq->db);
	if (sq_exec_sql(st, "DELETE FROM day_span WHERE first_id NOT IN (SELECT id FROM "
	    "failure) AND NOT EXISTS (SELECT 1 FROM failure WHERE id BETWEEN "
	    "day_span.first_id AND day_span.last_id)") == -1)
		return -1;
	/* the summaries of pruned days (whole or part) */
	if ((rc = sqlite3_prepare_v2(sq->db, "DELETE FROM day_summary WHERE day < ?1"
	    " OR day NOT IN (SELECT day FROM day_span)", -1, &q, NULL)) == SQLITE_OK) {
		sqlite3_bind_text(q, 1, before_day, -1, SQLITE_STATIC);
		rc = sqlite3_step(q);
		sqlite3_finalize(q);
	}
	if (rc != SQLITE_DONE && rc != SQLITE_OK)
		return sq_fail(st, rc, "prune");
	return n;
}

static int64_t
sq_sources_prune(struct store *st, int64_t gone_before, int64_t done_before)
{
	static const char sql[] =
	    "DELETE FROM source WHERE ((state = 'gone' AND last_commit < ?1)"
	    " OR (state = 'done' AND last_commit < ?2))"
	    " AND id NOT IN (SELECT max(id) FROM source GROUP BY path)";
	struct sq	*sq = SQ(st);
	sqlite3_stmt	*q;
	int		 rc;

	if ((rc = sqlite3_prepare_v2(sq->db, sql, -1, &q, NULL)) != SQLITE_OK)
		return sq_fail(st, rc, "prune sources");
	sqlite3_bind_int64(q, 1, gone_before);
	sqlite3_bind_int64(q, 2, done_before);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return sq_fail(st, rc, "prune sources");
	return sqlite3_changes64(sq->db);
}


const struct store_backend store_backend_sqlite = {
	.backend = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.version = sq_version,
	.set_synchronous = sq_set_synchronous,
	.set_busy_timeout = sq_set_busy_timeout,
	.wal_size = sq_wal_size,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.read_begin = sq_read_begin,
	.read_end = sq_read_end,
	.idle = sq_ops_idle,
	.intern = sq_intern,
	.reply = sq_reply,
	.failure_add = sq_failure_add,
	.unrecognised_add = sq_unrecognised_add,
	.daily_add = sq_daily_add,
	.spans_add = sq_spans_add,
	.linestats_add = sq_linestats_add,
	.pending_put = sq_pending_put,
	.pending_del = sq_pending_del,
	.pending_get = sq_pending_get,
	.pending_forget = sq_pending_forget,
	.pending_qids = sq_pending_qids,
	.pending_expire = sq_pending_expire,
	.expire_copy = sq_expire_copy,
	.diag_rehash = sq_rehash,
	.source_each = sq_source_each,
	.source_get = sq_source_get,
	.source_kinds = sq_source_kinds,
	.source_add = sq_source_add,
	.source_save = sq_source_save,
	.gap_add = sq_gap_add,
	.prune = sq_prune,
	.sources_prune = sq_sources_prune,
	.checkpoint = sq_checkpoint,
	.name_find = sq_name_find,
	.daily_range = sq_daily_range,
	.failure_range = sq_failure_range,
	.name = sq_name,
	.names = sq_names,
	.failure_text = sq_failure_text,
	.exec = sq_exec,
	.recipient_range = sq_recipient_range,
	.domain_rows = sq_domain_rows,
	.text_domains = sq_text_domains,
	.suppression_list = sq_suppression_list,
	.domain_counters = sq_domain_counters,
	.summary_get = sq_summary_get,
	.summary_put = sq_summary_put,
	.summary_days = sq_summary_days,
	.suppress_put = sq_suppress_put,
	.suppress_del = sq_suppress_del,
	.suppress_keys = sq_suppress_keys,
	.suppress_rows = sq_suppress_rows,
	.suppress_get = sq_suppress_get,
	.suppress_set = sq_suppress_set,
	.reclass_rows = sq_reclass_rows,
	.failure_reclass = sq_failure_reclass,
	.daily_tidy = sq_daily_tidy,
	.unrecognised_get = sq_unrecognised_get,
	.unrecognised_set = sq_unrecognised_set,
	.hourly_add = sq_hourly_add,
	.hourly_sum = sq_hourly_sum,
	.alert_add = sq_alert_add,
	.alert_list = sq_alert_list,
	.line_totals = sq_line_totals,
	.gap_count = sq_gap_count,
	.hourly_lines = sq_hourly_lines,
};
