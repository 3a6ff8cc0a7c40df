/*
 * store_pg_sum.c -- the PostgreSQL backend's day summaries (daysum.h,
 * sql/pg/migrate-6.sql): the day_summary table, each row bound to the
 * day's day_span.gen, and the domains' counters summed over many days.
 *
 * Many writers share a database: a day's rows may change while a summary
 * of it is built.  The summary is read and stored in one REPEATABLE READ
 * snapshot (store_read_begin) and bound to the gen that snapshot sees;
 * every change to a day's rows raises its gen in the same transaction as
 * the rows, so a summary of rows since changed is refused at its put
 * (the day_span row locked: a serialisation failure) and, were it stored,
 * stale and never read.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "store_pg.h"
#include "util.h"

int
pg_summary_get(struct store *st, const char *day, unsigned char **data,
    size_t *len)
{
	PGconn		*c = PG(st)->c;
	const char	*p[1] = { day };
	PGresult	*r;
	size_t		 n;

	/* bytea in binary: the frame as stored */
	r = PQexecParams(c, "SELECT s.data FROM day_summary s JOIN day_span d"
	    " ON d.day = s.day AND d.gen = s.gen WHERE s.day = $1::date",
	    1, NULL, p, NULL, NULL, 1);
	if (r == NULL || PQresultStatus(r) != PGRES_TUPLES_OK) {
		pg_fail(st, c, r, "day summary");
		PQclear(r);
		return -1;
	}
	if (PQntuples(r) != 1 || PQgetisnull(r, 0, 0)) {
		PQclear(r);
		return 0;
	}
	n = (size_t)PQgetlength(r, 0, 0);
	*data = xmalloc(n + 1);
	if (n > 0)
		memcpy(*data, PQgetvalue(r, 0, 0), n);
	*len = n;
	PQclear(r);
	return 1;
}

/*
 * Bound to the gen of the caller's snapshot, its day_span row locked
 * (FOR SHARE): when the day's rows changed since the snapshot, the lock
 * fails as a serialisation failure (STORE_EBUSY: daysum_refresh leaves
 * the day to the next refresh) and nothing is stored; a writer of the
 * day waits for the put's commit.  A concurrent put of the same day fails
 * the same way; a newer summary is never replaced by an older one.
 */
int
pg_summary_put(struct store *st, const char *day, const void *data, size_t len)
{
	const char	*p[2] = { day, data };
	int		 lens[2] = { 0, (int)len }, fmts[2] = { 0, 1 };
	PGresult	*r;

	if (len > INT32_MAX)
		return store_fail(st, STORE_EOTHER, "day summary of %s: too large",
		    day);
	if ((r = pg_exec(st, PG(st)->c, "INSERT INTO day_summary (day, gen, data)"
	    " SELECT day, gen, $2::bytea FROM day_span WHERE day = $1::date FOR SHARE"
	    " ON CONFLICT (day) DO UPDATE SET gen = excluded.gen, data = excluded.data"
	    " WHERE day_summary.gen <= excluded.gen", 2, p, lens, fmts,
	    PGRES_COMMAND_OK, "day summary")) == NULL)
		return -1;
	PQclear(r);
	return 0;
}

int
pg_summary_days(struct store *st, store_day_cb cb, void *arg)
{
	PGresult	*r;
	char		**days;
	int		 i, n, ret = 0;

	/* collected first: the callback reads and writes */
	if ((r = pg_exec(st, PG(st)->c, "SELECT to_char(d.day, 'YYYY-MM-DD')"
	    " FROM day_span d LEFT JOIN day_summary s ON s.day = d.day"
	    " AND s.gen = d.gen WHERE s.day IS NULL ORDER BY d.day DESC", 0, NULL,
	    NULL, NULL, PGRES_TUPLES_OK, "day spans")) == NULL)
		return -1;
	n = PQntuples(r);
	days = xcalloc((size_t)n + 1, sizeof(*days));
	for (i = 0; i < n; i++)
		days[i] = xstrdup(PQgetvalue(r, i, 0));
	PQclear(r);
	for (i = 0; i < n; i++) {
		if (ret == 0 && cb(days[i], arg) == -1)
			ret = -1;
		free(days[i]);
	}
	free(days);
	return ret;
}

/*
 * The summaries of days from .. to made stale (their gen raised) and
 * deleted: reclassify's days.  from NULL: prune's, every day before to,
 * and those of days left without rows.
 */
int
pg_summary_forget(struct store *st, const char *from, const char *to)
{
	const char	*p[2] = { from, to };

	if (pg_cmd_params(st, "UPDATE day_span SET gen = gen + 1"
	    " WHERE ($1::date IS NULL AND day < $2::date)"
	    " OR day BETWEEN $1::date AND $2::date", 2, p, "day summaries") == -1)
		return -1;
	return pg_cmd_params(st, "DELETE FROM day_summary"
	    " WHERE ($1::date IS NULL AND (day < $2::date OR NOT EXISTS"
	    "  (SELECT 1 FROM day_span d WHERE d.day = day_summary.day)))"
	    " OR day BETWEEN $1::date AND $2::date", 2, p, "day summaries");
}

/*
 * Reclassify rewrote the rows of its days: their summaries go stale in
 * its commit, after daily and day_span, in the order every writer locks
 * them, and held for the shortest time.
 */
int
pg_summary_flush(struct store *st)
{
	struct pg	*pg = PG(st);

	if (pg->reclass[0][0] == '\0')
		return 0;
	if (pg_summary_forget(st, pg->reclass[0], pg->reclass[1]) == -1)
		return -1;
	pg->reclass[0][0] = '\0';
	return 0;
}

struct pg_sum_cb {
	store_daily_cb	 cb;
	void		*arg;
};

static int
pg_counter_row(struct store *st, PGresult *r, int i, void *arg)
{
	struct pg_sum_cb	*c = arg;
	struct store_daily	 row;

	(void)st;
	memset(&row, 0, sizeof(row));
	row.domain_id = strtoll(PQgetvalue(r, i, 0), NULL, 10);
	row.cls = atoi(PQgetvalue(r, i, 1));
	row.reason = atoi(PQgetvalue(r, i, 2));
	row.n = strtoll(PQgetvalue(r, i, 3), NULL, 10);
	return c->cb(&row, c->arg);
}

int
pg_domain_counters(struct store *st, const struct store_range *rg,
    store_daily_cb cb, void *arg)
{
	struct pg_sum_cb c = { cb, arg };
	char		 dom[24], *hosts = store_range_hosts(rg);
	const char	*p[4];
	int		 rc;

	p[0] = rg->from;
	p[1] = rg->to;
	p[2] = PG_I64(dom, rg->domain);
	p[3] = hosts;
	rc = pg_rows(st, "SELECT domain_id, class_id, reason_id, sum(n) FROM daily"
	    " WHERE day BETWEEN $1::date AND $2::date"
	    " AND ($3::bigint = 0 OR domain_id = $3)"
	    " AND ($4::text IS NULL OR strpos($4, ',' || host_id || ',') > 0)"
	    " GROUP BY domain_id, class_id, reason_id ORDER BY 1, 2, 3", 4, p,
	    pg_counter_row, &c, "domain counters");
	free(hosts);
	return rc;
}
