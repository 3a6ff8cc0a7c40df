/*
 * store_sqlite_live.c -- the SQLite backend's part of the live view
 * (sql/alerts.sql): the hourly attempt, failure and line totals, the
 * alerts raised, and the totals the metrics start from.  A database not yet
 * opened for writing by this version has no alert and hourly tables:
 * read, they are empty.
 */
#include "config.h"

#include <string.h>

#include "store_sqlite.h"

static const char *const sl_sql[SL_MAX] = {
	[SL_HOURLY_ADD] =
	    "INSERT INTO hourly (hour, attempts, failures) VALUES (?1, ?2, ?3)"
	    " ON CONFLICT (hour) DO UPDATE SET attempts = attempts + excluded.attempts,"
	    " failures = failures + excluded.failures",
	[SL_HOURLY_SUM] =
	    "SELECT coalesce(sum(attempts), 0), coalesce(sum(failures), 0)"
	    "  FROM hourly WHERE hour BETWEEN ?1 AND ?2",
	[SL_ALERT_ADD] =
	    "INSERT INTO alert (time, condition, domain, reason, class, count,"
	    " window, baseline, document) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[SL_ALERT_LIST] =
	    "SELECT time, condition, domain, reason, class, count, window,"
	    " baseline, document FROM alert WHERE time >= ?1 ORDER BY id",
	[SL_LINE_TOTALS] = "SELECT kind, sum(n) FROM line_stats GROUP BY kind",
	[SL_GAP_COUNT] = "SELECT count(*) FROM gap",
	[SL_HAS_ALERTS] =
	    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'alert'",
	[SL_LINES_ADD] =
	    "INSERT INTO line_hourly (hour, lines) VALUES (?1, ?2)"
	    " ON CONFLICT (hour) DO UPDATE SET lines = lines + excluded.lines",
	[SL_LINES_SUM] =
	    "SELECT coalesce((SELECT sum(lines) FROM line_hourly"
	    " WHERE hour BETWEEN ?1 AND ?2), 0), coalesce((SELECT min(hour)"
	    " FROM line_hourly), -1)",
	[SL_HAS_LINES] =
	    "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
	    " AND name = 'line_hourly'",
};

void
sq_live_close(struct sq *sq)
{
	int	 i;

	for (i = 0; i < SL_MAX; i++)
		sqlite3_finalize(sq->live[i]);
}

static sqlite3_stmt *
sq_live(struct store *st, enum sq_live which)
{
	struct sq	*sq = SQ(st);
	int		 rc;

	if (sq->live[which] == NULL &&
	    (rc = sqlite3_prepare_v2(sq->db, sl_sql[which], -1, &sq->live[which],
	    NULL)) != SQLITE_OK) {
		sq->live[which] = NULL;
		sq_fail(st, rc, "prepare");
		return NULL;
	}
	return sq->live[which];
}

/* 1 when the table of which exists (sql/alerts.sql), 0 not, -1 error. */
static int
sq_live_table(struct store *st, enum sq_live which)
{
	sqlite3_stmt	*q;
	int		 rc, n = 0;

	if ((q = sq_live(st, which)) == NULL)
		return -1;
	if ((rc = sqlite3_step(q)) == SQLITE_ROW)
		n = sqlite3_column_int(q, 0);
	sqlite3_reset(q);
	if (rc != SQLITE_ROW)
		return sq_fail(st, rc, "sqlite_master");
	return n > 0;
}

/* 1 when sql/alerts.sql was applied, 0 when not, -1 on error. */
int
sq_live_tables(struct store *st)
{
	return sq_live_table(st, SL_HAS_ALERTS);
}

int
sq_hourly_add(struct store *st, int64_t hour, int64_t attempts,
    int64_t failures, int64_t lines)
{
	sqlite3_stmt	*q;

	if (attempts != 0 || failures != 0) {
		if ((q = sq_live(st, SL_HOURLY_ADD)) == NULL)
			return -1;
		sqlite3_bind_int64(q, 1, hour);
		sqlite3_bind_int64(q, 2, attempts);
		sqlite3_bind_int64(q, 3, failures);
		if (sq_step(st, q, "hourly") == -1)
			return -1;
	}
	if (lines == 0)
		return 0;
	if ((q = sq_live(st, SL_LINES_ADD)) == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, hour);
	sqlite3_bind_int64(q, 2, lines);
	return sq_step(st, q, "line_hourly");
}

/* Two sums of hours h0..h1 when the table of has exists (else a, b kept). */
static int
sq_hour_pair(struct store *st, enum sq_live has, enum sq_live which,
    int64_t h0, int64_t h1, int64_t *a, int64_t *b)
{
	sqlite3_stmt	*q;
	int		 rc;

	if ((rc = sq_live_table(st, has)) <= 0)
		return rc;
	if ((q = sq_live(st, which)) == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, h0);
	sqlite3_bind_int64(q, 2, h1);
	if ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		*a = sqlite3_column_int64(q, 0);
		*b = sqlite3_column_int64(q, 1);
	}
	sqlite3_reset(q);
	if (rc != SQLITE_ROW)
		return sq_fail(st, rc, "hourly");
	return 0;
}

int
sq_hourly_lines(struct store *st, int64_t h0, int64_t h1, int64_t *lines,
    int64_t *since)
{
	*lines = 0;
	*since = -1;
	return sq_hour_pair(st, SL_HAS_LINES, SL_LINES_SUM, h0, h1, lines, since);
}

int
sq_hourly_sum(struct store *st, int64_t h0, int64_t h1, int64_t *attempts,
    int64_t *failures)
{
	*attempts = *failures = 0;
	return sq_hour_pair(st, SL_HAS_ALERTS, SL_HOURLY_SUM, h0, h1, attempts,
	    failures);
}

int
sq_alert_add(struct store *st, const struct store_alert *a)
{
	sqlite3_stmt	*q;

	if ((q = sq_live(st, SL_ALERT_ADD)) == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, a->time);
	sqlite3_bind_text(q, 2, a->condition, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, a->domain, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, a->reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, a->cls, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 6, a->count);
	sqlite3_bind_int(q, 7, a->window);
	sqlite3_bind_double(q, 8, a->baseline);
	sqlite3_bind_text(q, 9, a->document, -1, SQLITE_STATIC);
	return sq_step(st, q, "alert");
}

static const char *
sq_text(sqlite3_stmt *q, int col)
{
	const char	*s = (const char *)sqlite3_column_text(q, col);

	return s != NULL ? s : "";
}

int
sq_alert_list(struct store *st, int64_t since, store_alert_cb cb, void *arg)
{
	struct store_alert	 a;
	sqlite3_stmt		*q;
	int			 rc, stop = 0;

	if ((rc = sq_live_tables(st)) <= 0)
		return rc;
	if ((q = sq_live(st, SL_ALERT_LIST)) == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, since);
	while (!stop && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		a.time = sqlite3_column_int64(q, 0);
		a.condition = sq_text(q, 1);
		a.domain = sq_text(q, 2);
		a.reason = sq_text(q, 3);
		a.cls = sq_text(q, 4);
		a.count = sqlite3_column_int64(q, 5);
		a.window = sqlite3_column_int(q, 6);
		a.baseline = sqlite3_column_double(q, 7);
		a.document = sq_text(q, 8);
		stop = cb(&a, arg) == -1;
	}
	sqlite3_reset(q);
	if (stop)
		return -1;
	if (rc != SQLITE_DONE)
		return sq_fail(st, rc, "alert");
	return 0;
}

int
sq_line_totals(struct store *st, int64_t *by_kind)
{
	sqlite3_stmt	*q;
	const char	*kind;
	int		 rc, k;

	memset(by_kind, 0, LINE_KIND_MAX * sizeof(*by_kind));
	if ((q = sq_live(st, SL_LINE_TOTALS)) == NULL)
		return -1;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		kind = sq_text(q, 0);
		for (k = 0; k < LINE_KIND_MAX; k++)
			if (strcmp(kind, parse_kind_name((enum line_kind)k)) == 0)
				by_kind[k] += sqlite3_column_int64(q, 1);
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return sq_fail(st, rc, "line_stats");
	return 0;
}

int
sq_gap_count(struct store *st, int64_t *n)
{
	sqlite3_stmt	*q;
	int		 rc;

	*n = 0;
	if ((q = sq_live(st, SL_GAP_COUNT)) == NULL)
		return -1;
	if ((rc = sqlite3_step(q)) == SQLITE_ROW)
		*n = sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	if (rc != SQLITE_ROW)
		return sq_fail(st, rc, "gap");
	return 0;
}
