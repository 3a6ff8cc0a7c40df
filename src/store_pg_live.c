/*
 * store_pg_live.c -- the PostgreSQL backend's part of the live view
 * (sql/pg/migrate-5.sql): the hourly attempt, failure and line totals,
 * the alerts raised, and the totals the metrics start from.  The tables
 * are the whole fleet's: every node adds to the same hours.
 *
 * The hourly totals are shared rows: a batch keeps them and writes them
 * at commit, after everything else and in hour order, like the daily
 * counters, so two nodes never wait on each other in a cycle.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "store_pg.h"
#include "util.h"

int
pg_hourly_add(struct store *st, int64_t hour, int64_t attempts,
    int64_t failures, int64_t lines)
{
	struct pg		*pg = PG(st);
	struct store_hour	*h;
	size_t			 i;

	for (i = 0; i < pg->nhours; i++)
		if (pg->hours[i].hour == hour)
			break;
	if (i == pg->nhours) {
		if (pg->nhours == pg->hourcap) {
			pg->hourcap = pg->hourcap == 0 ? 16 : pg->hourcap * 2;
			pg->hours = xrealloc(pg->hours, pg->hourcap *
			    sizeof(*pg->hours));
		}
		h = &pg->hours[pg->nhours++];
		memset(h, 0, sizeof(*h));
		h->hour = hour;
	}
	h = &pg->hours[i];
	h->attempts += attempts;
	h->failures += failures;
	h->lines += lines;
	return 0;
}

static int
pg_hour_cmp(const void *a, const void *b)
{
	const struct store_hour	*x = a, *y = b;

	return x->hour < y->hour ? -1 : x->hour > y->hour;
}

/* One multi-row upsert of the batch's hours into table, in hour order. */
static int
pg_flush_table(struct store *st, int lines)
{
	struct pg		*pg = PG(st);
	const struct store_hour	*h;
	size_t			 i, n = 0;

	pg->sql.n = 0;
	if (lines)
		pg_buf_printf(&pg->sql, "INSERT INTO line_hourly (hour, lines) VALUES ");
	else
		pg_buf_printf(&pg->sql, "INSERT INTO hourly (hour, attempts, failures)"
		    " VALUES ");
	for (i = 0; i < pg->nhours; i++) {
		h = &pg->hours[i];
		if (lines ? h->lines == 0 : h->attempts == 0 && h->failures == 0)
			continue;
		if (lines)
			pg_buf_printf(&pg->sql, "%s(%lld, %lld)", n++ > 0 ? ", " : "",
			    (long long)h->hour, (long long)h->lines);
		else
			pg_buf_printf(&pg->sql, "%s(%lld, %lld, %lld)",
			    n++ > 0 ? ", " : "", (long long)h->hour,
			    (long long)h->attempts, (long long)h->failures);
	}
	if (n == 0)
		return 0;
	if (lines)
		pg_buf_printf(&pg->sql, " ON CONFLICT (hour) DO UPDATE"
		    " SET lines = line_hourly.lines + excluded.lines");
	else
		pg_buf_printf(&pg->sql, " ON CONFLICT (hour) DO UPDATE"
		    " SET attempts = hourly.attempts + excluded.attempts,"
		    " failures = hourly.failures + excluded.failures");
	return pg_cmd(st, pg->c, pg->sql.p, lines ? "line_hourly" : "hourly");
}

int
pg_flush_hours(struct store *st)
{
	struct pg	*pg = PG(st);

	if (pg->nhours == 0)
		return 0;
	qsort(pg->hours, pg->nhours, sizeof(*pg->hours), pg_hour_cmp);
	if (pg_flush_table(st, 0) == -1 || pg_flush_table(st, 1) == -1)
		return -1;
	pg->nhours = 0;
	return 0;
}

void
pg_hours_drop(struct pg *pg)
{
	pg->nhours = 0;
}

void
pg_hours_free(struct pg *pg)
{
	free(pg->hours);
	pg->hours = NULL;
	pg->nhours = pg->hourcap = 0;
}

/* Two int64 results of one row. */
static int
pg_two(struct store *st, const char *sql, int n, const char *const *v,
    int64_t *a, int64_t *b, const char *what)
{
	PGresult	*r;

	if ((r = pg_exec(st, PG(st)->c, sql, n, v, NULL, NULL, PGRES_TUPLES_OK,
	    what)) == NULL)
		return -1;
	*a = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	*b = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
	PQclear(r);
	return 0;
}

int
pg_hourly_sum(struct store *st, int64_t h0, int64_t h1, int64_t *attempts,
    int64_t *failures)
{
	char		 num[2][24];
	const char	*v[2] = { PG_I64(num[0], h0), PG_I64(num[1], h1) };

	return pg_two(st, "SELECT coalesce(sum(attempts), 0), coalesce(sum(failures), 0)"
	    " FROM hourly WHERE hour BETWEEN $1 AND $2", 2, v, attempts, failures,
	    "hourly");
}

int
pg_hourly_lines(struct store *st, int64_t h0, int64_t h1, int64_t *lines,
    int64_t *since)
{
	char		 num[2][24];
	const char	*v[2] = { PG_I64(num[0], h0), PG_I64(num[1], h1) };

	return pg_two(st, "SELECT coalesce((SELECT sum(lines) FROM line_hourly"
	    " WHERE hour BETWEEN $1 AND $2), 0), coalesce((SELECT min(hour)"
	    " FROM line_hourly), -1)", 2, v, lines, since, "line_hourly");
}

int
pg_alert_add(struct store *st, const struct store_alert *a)
{
	struct pg	*pg = PG(st);
	const char	*text[5] = { a->condition, a->domain, a->reason, a->cls,
			    a->document };
	struct pgbuf	 b[5];
	char		 num[3][24], base[32];
	const char	*v[10];
	int		 i, rc;

	memset(b, 0, sizeof(b));
	for (i = 0; i < 5; i++) {
		pg_buf_text(&b[i], text[i] != NULL ? text[i] : "",
		    text[i] != NULL ? strlen(text[i]) : 0, 0);
		if (b[i].p == NULL)
			pg_buf_add(&b[i], "", 0);
	}
	snprintf(base, sizeof(base), "%.17g", a->baseline);
	v[0] = PG_I64(num[0], a->time);
	v[1] = b[0].p;
	v[2] = b[1].p;
	v[3] = b[2].p;
	v[4] = b[3].p;
	v[5] = PG_I64(num[1], a->count);
	v[6] = PG_I64(num[2], a->window);
	v[7] = base;
	v[8] = b[4].p;
	v[9] = pg->node;
	rc = pg_cmd_params(st, "INSERT INTO alert (time, condition, domain, reason,"
	    " class, count, \"window\", baseline, document, node) VALUES ($1, $2, $3,"
	    " $4, $5, $6, $7, $8, $9, $10)", 10, v, "alert");
	for (i = 0; i < 5; i++)
		free(b[i].p);
	return rc;
}

int
pg_alert_list(struct store *st, int64_t since, store_alert_cb cb, void *arg)
{
	struct store_alert	 a;
	char			 num[24];
	const char		*v[1] = { PG_I64(num, since) };
	PGresult		*r;
	int			 i, n, stop = 0;

	if ((r = pg_exec(st, PG(st)->c, "SELECT time, condition, domain, reason,"
	    " class, count, \"window\", coalesce(baseline, 0), document FROM alert"
	    " WHERE time >= $1 ORDER BY id", 1, v, NULL, NULL, PGRES_TUPLES_OK,
	    "alert")) == NULL)
		return -1;
	n = PQntuples(r);
	for (i = 0; i < n && !stop; i++) {
		a.time = strtoll(PQgetvalue(r, i, 0), NULL, 10);
		a.condition = PQgetvalue(r, i, 1);
		a.domain = PQgetvalue(r, i, 2);
		a.reason = PQgetvalue(r, i, 3);
		a.cls = PQgetvalue(r, i, 4);
		a.count = strtoll(PQgetvalue(r, i, 5), NULL, 10);
		a.window = (int)strtol(PQgetvalue(r, i, 6), NULL, 10);
		a.baseline = strtod(PQgetvalue(r, i, 7), NULL);
		a.document = PQgetvalue(r, i, 8);
		stop = cb(&a, arg) == -1;
	}
	PQclear(r);
	return stop ? -1 : 0;
}

int
pg_line_totals(struct store *st, int64_t *by_kind)
{
	PGresult	*r;
	int		 i, n, k;

	memset(by_kind, 0, LINE_KIND_MAX * sizeof(*by_kind));
	if ((r = pg_exec(st, PG(st)->c, "SELECT kind, sum(n) FROM line_stats"
	    " GROUP BY kind", 0, NULL, NULL, NULL, PGRES_TUPLES_OK,
	    "line_stats")) == NULL)
		return -1;
	n = PQntuples(r);
	for (i = 0; i < n; i++)
		for (k = 0; k < LINE_KIND_MAX; k++)
			if (strcmp(PQgetvalue(r, i, 0),
			    parse_kind_name((enum line_kind)k)) == 0)
				by_kind[k] += strtoll(PQgetvalue(r, i, 1), NULL, 10);
	PQclear(r);
	return 0;
}

int
pg_gap_count(struct store *st, int64_t *n)
{
	int64_t	 unused;

	return pg_two(st, "SELECT count(*), 0 FROM gap", 0, NULL, n, &unused, "gap");
}
