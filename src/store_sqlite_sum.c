/*
 * store_sqlite_sum.c -- the SQLite backend's day summaries (daysum.h):
 * the day_summary table, each row bound to the day's day_span.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "store_sqlite.h"
#include "util.h"

/* Prepare sql, or fail the store with what. */
static sqlite3_stmt *
sq_sum_prepare(struct store *st, const char *sql, const char *what)
{
	sqlite3_stmt	*q;
	int		 rc;

	if ((rc = sqlite3_prepare_v2(SQ(st)->db, sql, -1, &q, NULL)) != SQLITE_OK) {
		sq_fail(st, rc, what);
		return NULL;
	}
	return q;
}

/* Step q to its end and finalize it: 0, or -1. */
static int
sq_sum_done(struct store *st, sqlite3_stmt *q, const char *what)
{
	int	 rc = sqlite3_step(q);

	sqlite3_finalize(q);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return sq_fail(st, rc, what);
	return 0;
}

int
sq_summary_get(struct store *st, const char *day, unsigned char **data,
    size_t *len)
{
	sqlite3_stmt	*q;
	int		 rc, n;

	if ((q = sq_sum_prepare(st, "SELECT s.data FROM day_summary s"
	    " JOIN day_span d ON d.day = s.day AND d.first_id = s.first_id"
	    "  AND d.last_id = s.last_id WHERE s.day = ?1", "day summary")) == NULL)
		return -1;
	sqlite3_bind_text(q, 1, day, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		n = sqlite3_column_bytes(q, 0);
		*data = xmalloc((size_t)n + 1);
		if (n > 0)
			memcpy(*data, sqlite3_column_blob(q, 0), (size_t)n);
		*len = (size_t)n;
		sqlite3_finalize(q);
		return 1;
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return sq_fail(st, rc, "day summary");
	return 0;
}

int
sq_summary_put(struct store *st, const char *day, const void *data, size_t len)
{
	sqlite3_stmt	*q;

	if ((q = sq_sum_prepare(st, "INSERT OR REPLACE INTO day_summary"
	    " (day, first_id, last_id, data)"
	    " SELECT day, first_id, last_id, ?2 FROM day_span WHERE day = ?1",
	    "day summary")) == NULL)
		return -1;
	sqlite3_bind_text(q, 1, day, -1, SQLITE_STATIC);
	sqlite3_bind_blob(q, 2, data, (int)len, SQLITE_STATIC);
	return sq_sum_done(st, q, "day summary");
}

int
sq_summary_days(struct store *st, store_day_cb cb, void *arg)
{
	sqlite3_stmt	*q;
	char		**days = NULL;
	size_t		 n = 0, i;
	int		 rc, ret = 0;

	/* collected first: the callback may write */
	if ((q = sq_sum_prepare(st, "SELECT d.day FROM day_span d"
	    " LEFT JOIN day_summary s ON s.day = d.day AND s.first_id = d.first_id"
	    "  AND s.last_id = d.last_id WHERE s.day IS NULL ORDER BY d.day DESC",
	    "day spans")) == NULL)
		return -1;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		days = xrealloc(days, (n + 1) * sizeof(*days));
		days[n++] = xstrdup((const char *)sqlite3_column_text(q, 0));
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		ret = sq_fail(st, rc, "day spans");
	for (i = 0; i < n; i++) {
		if (ret == 0 && cb(days[i], arg) == -1)
			ret = -1;
		free(days[i]);
	}
	free(days);
	return ret;
}
