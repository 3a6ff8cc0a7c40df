/*
 * store_pg_reclass.c -- the PostgreSQL backend's part of bouncewatch
 * reclassify (store_reclass.c): the stored failures with what their
 * verdict rests on, read through a cursor, and the rewrites of rows,
 * counters, "unrecognised" and "suppression", in the writer's transaction.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_pg.h"
#include "util.h"

struct pg_rrows {
	store_rrow_cb	 cb;
	void		*arg;
};

static struct span
pg_rspan(PGresult *r, int i, int col)
{
	struct span	 s = { NULL, 0 };

	if (!PQgetisnull(r, i, col)) {
		s.p = PQgetvalue(r, i, col);
		s.n = (size_t)PQgetlength(r, i, col);
	}
	return s;
}

static int
pg_rrow(struct store *st, PGresult *r, int i, void *arg)
{
	struct pg_rrows		*c = arg;
	struct store_rrow	 w;

	(void)st;
	w.id = strtoll(PQgetvalue(r, i, 0), NULL, 10);
	w.time = strtoll(PQgetvalue(r, i, 1), NULL, 10);
	w.domain_id = strtoll(PQgetvalue(r, i, 2), NULL, 10);
	w.host_id = strtoll(PQgetvalue(r, i, 3), NULL, 10);
	w.instance_id = strtoll(PQgetvalue(r, i, 4), NULL, 10);
	w.status_id = atoi(PQgetvalue(r, i, 5));
	w.cls = atoi(PQgetvalue(r, i, 6));
	w.reason = atoi(PQgetvalue(r, i, 7));
	w.code = atoi(PQgetvalue(r, i, 8));
	w.dsn = pg_rspan(r, i, 9);
	w.stage = pg_rspan(r, i, 10);
	w.text = pg_rspan(r, i, 11);
	w.rule = PQgetisnull(r, i, 12) ? NULL : PQgetvalue(r, i, 12);
	w.detail = PQgetisnull(r, i, 13) ? NULL : PQgetvalue(r, i, 13);
	w.domain = PQgetvalue(r, i, 14);
	w.local = pg_rspan(r, i, 15);
	return c->cb(&w, c->arg);
}

/* v_failures puts each row's words back into its template. */
int
pg_reclass_rows(struct store *st, const char *from, const char *to,
    store_rrow_cb cb, void *arg)
{
	struct pg_rrows	 c = { cb, arg };
	const char	*p[2] = { from, to };

	/* their summaries go stale at commit (pg_summary_flush) */
	snprintf(PG(st)->reclass[0], sizeof(PG(st)->reclass[0]), "%s", from);
	snprintf(PG(st)->reclass[1], sizeof(PG(st)->reclass[1]), "%s", to);
	return pg_rows(st, "SELECT f.id, f.time, f.domain_id, coalesce(f.host_id, 0),"
	    " coalesce(f.instance_id, 0), f.status_id, f.class_id, f.reason_id,"
	    " rp.code, rp.dsn, rp.stage, v.diagnostic, v.rule, f.detail, v.domain, f.local"
	    " FROM failure f JOIN v_failures v ON v.id = f.id"
	    " JOIN reply rp ON rp.id = f.reply_id"
	    " WHERE f.id BETWEEN"
	    "  (SELECT min(first_id) FROM day_span WHERE day BETWEEN $1::date AND $2::date)"
	    "  AND (SELECT max(last_id) FROM day_span WHERE day BETWEEN $1::date AND $2::date)"
	    " ORDER BY f.id", 2, p, pg_rrow, &c, "reclassify: failure rows");
}

int
pg_failure_reclass(struct store *st, int64_t id, int cls, int reason,
    int64_t rule_id, const char *detail)
{
	char		 i[24], c[24], re[24], ru[24];
	const char	*p[5];

	p[0] = PG_I64(i, id);
	p[1] = PG_I64(c, cls);
	p[2] = PG_I64(re, reason);
	p[3] = rule_id != 0 ? PG_I64(ru, rule_id) : NULL;
	p[4] = detail != NULL ? pg_cstr(st, detail, strlen(detail)) : NULL;
	return pg_cmd_params(st, "UPDATE failure SET class_id = $2, reason_id = $3,"
	    " rule_id = $4, detail = $5 WHERE id = $1", 5, p, "reclassify: failure row");
}

/* The batch's counters are merged now, then those at 0 go. */
int
pg_daily_tidy(struct store *st)
{
	if (pg_flush_counters(st) == -1)
		return -1;
	return pg_cmd(st, PG(st)->c, "DELETE FROM daily WHERE n = 0",
	    "reclassify: daily counters");
}

int
pg_unrecognised_get(struct store *st, const char *normalized, int64_t *n,
    int64_t *first, int64_t *last)
{
	PGresult	*r;
	const char	*p[1] = { normalized };
	int		 found;

	if ((r = pg_exec(st, PG(st)->c, "SELECT n, first_seen, last_seen FROM unrecognised"
	    " WHERE md5(normalized) = md5($1) AND normalized = $1", 1, p, NULL, NULL,
	    PGRES_TUPLES_OK, "reclassify: unrecognised")) == NULL)
		return -1;
	if ((found = PQntuples(r) == 1)) {
		*n = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		*first = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
		*last = strtoll(PQgetvalue(r, 0, 2), NULL, 10);
	}
	PQclear(r);
	return found;
}

/* example.p NULL keeps the stored example and its domain. */
int
pg_unrecognised_set(struct store *st, const char *normalized, int64_t n,
    int64_t first, int64_t last, struct span example, const char *domain)
{
	char		 nb[24], fb[24], lb[24], *ex = NULL;
	const char	*p[6];
	int		 rc;

	p[0] = normalized;
	if (n == 0)
		return pg_cmd_params(st, "DELETE FROM unrecognised WHERE"
		    " md5(normalized) = md5($1) AND normalized = $1", 1, p,
		    "reclassify: unrecognised");
	p[1] = PG_I64(nb, n);
	p[2] = PG_I64(fb, first);
	p[3] = PG_I64(lb, last);
	if (example.p != NULL)
		ex = xstrdup(pg_cstr(st, example.p, example.n));
	p[4] = ex;
	p[5] = domain;
	rc = pg_cmd_params(st, "INSERT INTO unrecognised (normalized, n, first_seen,"
	    " last_seen, example, example_domain)"
	    " VALUES ($1, $2, $3, $4, coalesce($5::text, ''), $6)"
	    " ON CONFLICT ((md5(normalized))) DO UPDATE SET n = excluded.n,"
	    " first_seen = excluded.first_seen, last_seen = excluded.last_seen,"
	    " example = CASE WHEN $5::text IS NULL THEN unrecognised.example"
	    " ELSE excluded.example END,"
	    " example_domain = CASE WHEN $5::text IS NULL THEN unrecognised.example_domain"
	    " ELSE excluded.example_domain END", 6, p, "reclassify: unrecognised");
	free(ex);
	return rc;
}

/* ---- the suppression list, rebuilt (store_suppress_redo) ---- */

struct pg_srows {
	store_srow_cb	 rcb;
	void		*arg;
};

static int
pg_srow(struct store *st, PGresult *r, int i, void *arg)
{
	struct pg_srows		*k = arg;
	struct store_srow	 s;

	(void)st;
	s.id = strtoll(PQgetvalue(r, i, 0), NULL, 10);
	s.time = strtoll(PQgetvalue(r, i, 1), NULL, 10);
	s.domain_id = strtoll(PQgetvalue(r, i, 2), NULL, 10);
	s.reason = atoi(PQgetvalue(r, i, 3));
	s.local.p = PQgetvalue(r, i, 4);
	s.local.n = (size_t)PQgetlength(r, i, 4);
	s.domain = PQgetvalue(r, i, 5);
	return k->rcb(&s, k->arg);
}

/* The writer lists no expiry (status 5). */
int
pg_suppress_rows(struct store *st, int cls, store_srow_cb cb, void *arg)
{
	struct pg_srows	 k = { cb, arg };
	char		 c[24];
	const char	*p[1] = { PG_I64(c, cls) };

	return pg_rows(st, "SELECT f.id, f.time, f.domain_id, f.reason_id, f.local, d.name"
	    " FROM failure f JOIN domain d ON d.id = f.domain_id"
	    " WHERE f.class_id = $1 AND f.status_id <> 5 AND f.local IS NOT NULL"
	    " ORDER BY f.id", 1, p, pg_srow, &k, "reclassify: suppressions");
}

int
pg_suppress_get(struct store *st, int64_t domain_id, struct span local,
    struct store_supp *s)
{
	PGresult	*r;
	char		 d[24];
	const char	*p[2];
	int		 found;

	p[0] = PG_I64(d, domain_id);
	p[1] = pg_cstr(st, local.p, local.n);	/* a key read from the rows */
	if ((r = pg_exec(st, PG(st)->c, "SELECT reason_id, first_seen, last_seen, n,"
	    " coalesce(failure_id, 0) FROM suppression WHERE domain_id = $1"
	    " AND local = $2", 2, p, NULL, NULL, PGRES_TUPLES_OK,
	    "reclassify: suppression")) == NULL)
		return -1;
	if ((found = PQntuples(r) == 1)) {
		s->reason = atoi(PQgetvalue(r, 0, 0));
		s->first = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
		s->last = strtoll(PQgetvalue(r, 0, 2), NULL, 10);
		s->n = strtoll(PQgetvalue(r, 0, 3), NULL, 10);
		s->failure_id = strtoll(PQgetvalue(r, 0, 4), NULL, 10);
	}
	PQclear(r);
	return found;
}

int
pg_suppress_set(struct store *st, int64_t domain_id, struct span local,
    const struct store_supp *s)
{
	char		 d[24], re[24], f[24], l[24], n[24], id[24];
	const char	*p[7];

	p[0] = PG_I64(d, domain_id);
	p[1] = pg_cstr(st, local.p, local.n);	/* a key read from the rows */
	if (s->n == 0)
		return pg_cmd_params(st, "DELETE FROM suppression WHERE domain_id = $1"
		    " AND local = $2", 2, p, "suppression");
	p[2] = PG_I64(re, s->reason);
	p[3] = PG_I64(f, s->first);
	p[4] = PG_I64(l, s->last);
	p[5] = PG_I64(n, s->n);
	p[6] = s->failure_id != 0 ? PG_I64(id, s->failure_id) : NULL;
	return pg_cmd_params(st, "INSERT INTO suppression (domain_id, local, reason_id,"
	    " first_seen, last_seen, n, failure_id) VALUES ($1, $2, $3, $4, $5, $6, $7)"
	    " ON CONFLICT (domain_id, local) DO UPDATE SET reason_id = excluded.reason_id,"
	    " first_seen = excluded.first_seen, last_seen = excluded.last_seen,"
	    " n = excluded.n, failure_id = excluded.failure_id", 7, p, "suppression");
}
