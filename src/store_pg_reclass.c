/*
 * store_pg_reclass.c -- the PostgreSQL backend's part of bouncewatch
 * reclassify: the stored failures with what their verdict rests on, and
 * the rewrites of rows, counters and "unrecognised" (store_reclass.c),
 * inside the writer's transaction.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_pg.h"
#include "util.h"

struct pg_rc {
	store_rrow_cb	 cb;
	void		*arg;
};

static struct span
pg_rc_span(PGresult *r, int i, int col)
{
	struct span	 s;

	s.p = PQgetisnull(r, i, col) ? NULL : PQgetvalue(r, i, col);
	s.n = s.p != NULL ? (size_t)PQgetlength(r, i, col) : 0;
	return s;
}

static const char *
pg_rc_text(PGresult *r, int i, int col)
{
	return PQgetisnull(r, i, col) ? NULL : PQgetvalue(r, i, col);
}

static int
pg_reclass_row(struct store *st, PGresult *r, int i, void *arg)
{
	struct pg_rc		*rc = arg;
	struct store_rrow	 row;

	(void)st;
	memset(&row, 0, sizeof(row));
	row.id = strtoll(PQgetvalue(r, i, 0), NULL, 10);
	row.time = strtoll(PQgetvalue(r, i, 1), NULL, 10);
	row.domain_id = strtoll(PQgetvalue(r, i, 2), NULL, 10);
	row.host_id = strtoll(PQgetvalue(r, i, 3), NULL, 10);
	row.instance_id = strtoll(PQgetvalue(r, i, 4), NULL, 10);
	row.status_id = atoi(PQgetvalue(r, i, 5));
	row.cls = atoi(PQgetvalue(r, i, 6));
	row.reason = atoi(PQgetvalue(r, i, 7));
	row.code = atoi(PQgetvalue(r, i, 8));
	row.dsn = pg_rc_span(r, i, 9);
	row.stage = pg_rc_span(r, i, 10);
	row.text = pg_rc_span(r, i, 11);
	row.rule = pg_rc_text(r, i, 12);
	row.detail = pg_rc_text(r, i, 13);
	row.domain = pg_rc_text(r, i, 14);
	return rc->cb(&row, rc->arg);
}

/* Failure rows of the days from..to, in id order (by day_span, and by
 * the writer's day where several nodes' spans overlap). */
int
pg_reclass_rows(struct store *st, const char *from, const char *to,
    store_rrow_cb cb, void *arg)
{
	struct pg_rc	 rc = { cb, arg };
	const char	*p[2] = { from, to };

	return pg_rows(st,
	    "SELECT f.id, f.time, f.domain_id, coalesce(f.host_id, 0),"
	    "       coalesce(f.instance_id, 0), f.status_id, f.class_id, f.reason_id,"
	    "       rp.code, rp.dsn, rp.stage, v.diagnostic, v.rule, f.detail, v.domain"
	    "  FROM failure f"
	    "  JOIN v_failures v ON v.id = f.id"
	    "  JOIN reply rp ON rp.id = f.reply_id"
	    " WHERE f.id BETWEEN"
	    "       (SELECT min(first_id) FROM day_span WHERE day BETWEEN $1::date AND $2::date)"
	    "   AND (SELECT max(last_id) FROM day_span WHERE day BETWEEN $1::date AND $2::date)"
	    "   AND (f.day IS NULL OR f.day BETWEEN $1::date AND $2::date)"
	    " ORDER BY f.id", 2, p, pg_reclass_row, &rc, "reclassify: failure rows");
}

int
pg_failure_reclass(struct store *st, int64_t id, int cls, int reason,
    int64_t rule_id, const char *detail)
{
	char		 num[4][32];
	const char	*v[5] = { num[0], num[1], num[2], num[3], detail };
	PGresult	*r;

	snprintf(num[0], 32, "%lld", (long long)id);
	snprintf(num[1], 32, "%d", cls);
	snprintf(num[2], 32, "%d", reason);
	snprintf(num[3], 32, "%lld", (long long)rule_id);
	if (rule_id == 0)
		v[3] = NULL;
	if ((r = pg_exec(st, PG(st)->c, "UPDATE failure SET class_id = $2,"
	    " reason_id = $3, rule_id = $4, detail = $5 WHERE id = $1", 5, v, NULL,
	    NULL, PGRES_COMMAND_OK, "reclassify: failure row")) == NULL)
		return -1;
	PQclear(r);
	return 0;
}

/* Counters brought to 0 go once the batch's counters are written. */
int
pg_daily_tidy(struct store *st)
{
	PG(st)->tidy = 1;
	return 0;
}

int
pg_unrecognised_get(struct store *st, const char *normalized, int64_t *n,
    int64_t *first, int64_t *last)
{
	const char	*v[1] = { normalized };
	PGresult	*r;
	int		 found;

	if ((r = pg_exec(st, PG(st)->c, "SELECT n, first_seen, last_seen"
	    " FROM unrecognised WHERE md5(normalized) = md5($1)", 1, v, NULL, NULL,
	    PGRES_TUPLES_OK, "reclassify: unrecognised")) == NULL)
		return -1;
	if ((found = PQntuples(r) > 0)) {
		*n = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		*first = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
		*last = strtoll(PQgetvalue(r, 0, 2), NULL, 10);
	}
	PQclear(r);
	return found;
}

int
pg_unrecognised_set(struct store *st, const char *normalized, int64_t n,
    int64_t first, int64_t last, struct span example, const char *domain)
{
	struct pg	*pg = PG(st);
	char		 num[3][32];
	const char	*v[6] = { normalized, num[0], num[1], num[2], NULL, domain };
	PGresult	*r;

	if (n == 0)
		r = pg_exec(st, pg->c, "DELETE FROM unrecognised"
		    " WHERE md5(normalized) = md5($1)", 1, v, NULL, NULL,
		    PGRES_COMMAND_OK, "reclassify: unrecognised");
	else {
		snprintf(num[0], 32, "%lld", (long long)n);
		snprintf(num[1], 32, "%lld", (long long)first);
		snprintf(num[2], 32, "%lld", (long long)last);
		if (example.p != NULL) {
			pg->tmp.n = 0;
			pg_buf_text(&pg->tmp, example.p, example.n, 0);
			v[4] = pg->tmp.p;
		}
		r = pg_exec(st, pg->c, "INSERT INTO unrecognised (normalized, n,"
		    " first_seen, last_seen, example, example_domain)"
		    " VALUES ($1, $2, $3, $4, coalesce($5, ''), $6)"
		    " ON CONFLICT ((md5(normalized))) DO UPDATE SET n = excluded.n,"
		    " first_seen = excluded.first_seen, last_seen = excluded.last_seen,"
		    " example = coalesce($5, unrecognised.example),"
		    " example_domain = CASE WHEN $5::text IS NULL"
		    "  THEN unrecognised.example_domain ELSE $6 END", 6, v, NULL, NULL,
		    PGRES_COMMAND_OK, "reclassify: unrecognised");
	}
	if (r == NULL)
		return -1;
	PQclear(r);
	return 0;
}
