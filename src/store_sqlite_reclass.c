/*
 * store_sqlite_reclass.c -- the SQLite backend's part of bouncewatch
 * reclassify: the stored failures with what their verdict rests on, and
 * the rewrites of rows, counters and "unrecognised" (store_reclass.c).
 * Statements are prepared at first use and kept until close.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "store_sqlite.h"

enum sc_stmt {
	SC_FORGET,
	SC_ROWS,
	SC_RECLASS,
	SC_TIDY,
	SC_UNREC_GET,
	SC_UNREC_SET,
	SC_UNREC_DEL,
	SC_SUPP_ROWS,
	SC_SUPP_GET,
	SC_SUPP_SET,
	SC_SUPP_DEL,
};

static const char *const sc_sql[SQ_RECLASS_MAX] = {
	/* the days' summaries describe the rows before: rebuilt from them */
	[SC_FORGET] = "DELETE FROM day_summary WHERE day BETWEEN ?1 AND ?2",
	/* v_failures puts each row's words back into its template */
	[SC_ROWS] =
	    "SELECT f.id, f.time, f.domain_id, coalesce(f.host_id, 0),"
	    "       coalesce(f.instance_id, 0), f.status_id, f.class_id, f.reason_id,"
	    "       rp.code, rp.dsn, rp.stage, v.diagnostic, v.rule, f.detail, v.domain,"
	    "       f.local"
	    "  FROM failure f"
	    "  JOIN v_failures v ON v.id = f.id"
	    "  JOIN reply rp ON rp.id = f.reply_id"
	    " WHERE f.id BETWEEN"
	    "       (SELECT min(first_id) FROM day_span WHERE day BETWEEN ?1 AND ?2)"
	    "   AND (SELECT max(last_id) FROM day_span WHERE day BETWEEN ?1 AND ?2)"
	    " ORDER BY f.id",
	[SC_RECLASS] =
	    "UPDATE failure SET class_id = ?2, reason_id = ?3, rule_id = ?4,"
	    " detail = ?5 WHERE id = ?1",
	[SC_TIDY] = "DELETE FROM daily WHERE n = 0",
	[SC_UNREC_GET] =
	    "SELECT n, first_seen, last_seen FROM unrecognised WHERE normalized = ?1",
	[SC_UNREC_SET] =
	    "INSERT INTO unrecognised (normalized, n, first_seen, last_seen, example,"
	    " example_domain) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
	    " ON CONFLICT (normalized) DO UPDATE SET n = excluded.n,"
	    " first_seen = excluded.first_seen, last_seen = excluded.last_seen,"
	    " example = coalesce(?5, example),"
	    " example_domain = CASE WHEN ?5 IS NULL THEN example_domain ELSE ?6 END",
	[SC_UNREC_DEL] = "DELETE FROM unrecognised WHERE normalized = ?1",
	/* the writer lists no expiry (status 5) */
	[SC_SUPP_ROWS] =
	    "SELECT f.id, f.time, f.domain_id, f.reason_id, f.local, d.name"
	    "  FROM failure f JOIN domain d ON d.id = f.domain_id"
	    " WHERE f.class_id = ?1 AND f.status_id <> 5 AND f.local IS NOT NULL"
	    " ORDER BY f.id",
	[SC_SUPP_GET] =
	    "SELECT reason_id, first_seen, last_seen, n, coalesce(failure_id, 0)"
	    "  FROM suppression WHERE domain_id = ?1 AND local = ?2",
	[SC_SUPP_SET] =
	    "INSERT OR REPLACE INTO suppression (domain_id, local, reason_id,"
	    " first_seen, last_seen, n, failure_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[SC_SUPP_DEL] = "DELETE FROM suppression WHERE domain_id = ?1 AND local = ?2",
};

void
sq_reclass_close(struct sq *sq)
{
	int	 i;

	for (i = 0; i < SQ_RECLASS_MAX; i++)
		sqlite3_finalize(sq->rc[i]);
}

static sqlite3_stmt *
sc_stmt(struct store *st, enum sc_stmt which)
{
	struct sq	*sq = SQ(st);
	int		 rc;

	if (sq->rc[which] == NULL &&
	    (rc = sqlite3_prepare_v2(sq->db, sc_sql[which], -1, &sq->rc[which],
	    NULL)) != SQLITE_OK) {
		sq->rc[which] = NULL;
		sq_fail(st, rc, "prepare");
		return NULL;
	}
	return sq->rc[which];
}

static struct span
sc_span(sqlite3_stmt *q, int col)
{
	struct span	 s;

	s.p = (const char *)sqlite3_column_text(q, col);
	s.n = (size_t)sqlite3_column_bytes(q, col);
	return s;
}

int
sq_reclass_rows(struct store *st, const char *from, const char *to,
    store_rrow_cb cb, void *arg)
{
	sqlite3_stmt	*q;
	struct store_rrow r;
	int		 rc, ret = 0;

	if ((q = sc_stmt(st, SC_FORGET)) == NULL)
		return -1;
	sqlite3_bind_text(q, 1, from, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, to, -1, SQLITE_STATIC);
	if (sq_step(st, q, "reclassify: day summaries") == -1)
		return -1;
	if ((q = sc_stmt(st, SC_ROWS)) == NULL)
		return -1;
	sqlite3_bind_text(q, 1, from, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, to, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		r.id = sqlite3_column_int64(q, 0);
		r.time = sqlite3_column_int64(q, 1);
		r.domain_id = sqlite3_column_int64(q, 2);
		r.host_id = sqlite3_column_int64(q, 3);
		r.instance_id = sqlite3_column_int64(q, 4);
		r.status_id = sqlite3_column_int(q, 5);
		r.cls = sqlite3_column_int(q, 6);
		r.reason = sqlite3_column_int(q, 7);
		r.code = sqlite3_column_int(q, 8);
		r.dsn = sc_span(q, 9);
		r.stage = sc_span(q, 10);
		r.text = sc_span(q, 11);
		r.rule = (const char *)sqlite3_column_text(q, 12);
		r.detail = (const char *)sqlite3_column_text(q, 13);
		r.domain = (const char *)sqlite3_column_text(q, 14);
		r.local = sc_span(q, 15);
		if ((ret = cb(&r, arg)) != 0)
			break;
	}
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	if (ret != 0)
		return ret;
	if (rc != SQLITE_DONE)
		return sq_fail(st, rc, "reclassify: failure rows");
	return 0;
}

int
sq_failure_reclass(struct store *st, int64_t id, int cls, int reason,
    int64_t rule_id, const char *detail)
{
	sqlite3_stmt	*q;

	if ((q = sc_stmt(st, SC_RECLASS)) == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int(q, 2, cls);
	sqlite3_bind_int(q, 3, reason);
	sq_bind_id(q, 4, rule_id);
	if (detail != NULL)
		sqlite3_bind_text(q, 5, detail, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(q, 5);
	return sq_step(st, q, "reclassify: failure row");
}

int
sq_daily_tidy(struct store *st)
{
	sqlite3_stmt	*q;

	if ((q = sc_stmt(st, SC_TIDY)) == NULL)
		return -1;
	return sq_step(st, q, "reclassify: daily counters");
}

int
sq_unrecognised_get(struct store *st, const char *normalized, int64_t *n,
    int64_t *first, int64_t *last)
{
	sqlite3_stmt	*q;
	int		 rc;

	if ((q = sc_stmt(st, SC_UNREC_GET)) == NULL)
		return -1;
	sqlite3_bind_text(q, 1, normalized, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		*n = sqlite3_column_int64(q, 0);
		*first = sqlite3_column_int64(q, 1);
		*last = sqlite3_column_int64(q, 2);
	}
	sqlite3_reset(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sq_fail(st, rc, "reclassify: unrecognised");
	return rc == SQLITE_ROW;
}

int
sq_unrecognised_set(struct store *st, const char *normalized, int64_t n,
    int64_t first, int64_t last, struct span example, const char *domain)
{
	sqlite3_stmt	*q;

	if ((q = sc_stmt(st, n == 0 ? SC_UNREC_DEL : SC_UNREC_SET)) == NULL)
		return -1;
	sqlite3_bind_text(q, 1, normalized, -1, SQLITE_STATIC);
	if (n > 0) {
		sqlite3_bind_int64(q, 2, n);
		sqlite3_bind_int64(q, 3, first);
		sqlite3_bind_int64(q, 4, last);
		if (example.p != NULL)
			sq_bind_span(q, 5, example);
		else
			sqlite3_bind_null(q, 5);
		sqlite3_bind_text(q, 6, domain, -1, SQLITE_STATIC);
	}
	return sq_step(st, q, "reclassify: unrecognised");
}

int
sq_suppress_rows(struct store *st, int cls, store_srow_cb cb, void *arg)
{
	sqlite3_stmt		*q;
	struct store_srow	 r;
	int			 rc, ret = 0;

	if ((q = sc_stmt(st, SC_SUPP_ROWS)) == NULL)
		return -1;
	sqlite3_bind_int(q, 1, cls);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		r.id = sqlite3_column_int64(q, 0);
		r.time = sqlite3_column_int64(q, 1);
		r.domain_id = sqlite3_column_int64(q, 2);
		r.reason = sqlite3_column_int(q, 3);
		r.local = sc_span(q, 4);
		r.domain = (const char *)sqlite3_column_text(q, 5);
		if ((ret = cb(&r, arg)) != 0)
			break;
	}
	sqlite3_reset(q);
	if (ret != 0)
		return ret;
	if (rc != SQLITE_DONE)
		return sq_fail(st, rc, "reclassify: suppressions");
	return 0;
}

int
sq_suppress_get(struct store *st, int64_t domain_id, struct span local,
    struct store_supp *s)
{
	sqlite3_stmt	*q;
	int		 rc;

	if ((q = sc_stmt(st, SC_SUPP_GET)) == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, domain_id);
	sq_bind_span(q, 2, local);
	if ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		s->reason = sqlite3_column_int(q, 0);
		s->first = sqlite3_column_int64(q, 1);
		s->last = sqlite3_column_int64(q, 2);
		s->n = sqlite3_column_int64(q, 3);
		s->failure_id = sqlite3_column_int64(q, 4);
	}
	sqlite3_reset(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sq_fail(st, rc, "reclassify: suppression");
	return rc == SQLITE_ROW;
}

int
sq_suppress_set(struct store *st, int64_t domain_id, struct span local,
    const struct store_supp *s)
{
	sqlite3_stmt	*q;

	if ((q = sc_stmt(st, s->n == 0 ? SC_SUPP_DEL : SC_SUPP_SET)) == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, domain_id);
	sq_bind_span(q, 2, local);
	if (s->n > 0) {
		sqlite3_bind_int(q, 3, s->reason);
		sqlite3_bind_int64(q, 4, s->first);
		sqlite3_bind_int64(q, 5, s->last);
		sqlite3_bind_int64(q, 6, s->n);
		sq_bind_id(q, 7, s->failure_id);
	}
	return sq_step(st, q, "reclassify: suppression");
}
