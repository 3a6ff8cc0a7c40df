/*
 * store_sqlite_read.c -- the SQLite backend's reads: sources, and the
 * reader's operations (counters, failure rows, names) for the report.
 * Statements are prepared at first use and kept; nothing from the
 * database or the user is ever spliced into SQL.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_sqlite.h"
#include "util.h"

/*
 * Distinct recipients (domain, local part) and messages (host, instance,
 * queue id) of the range's failures, local_throttle (21) excluded, per
 * domain in one GROUP BY (rd: recipients, of each class, messages), and
 * in total.  ?1 .. ?5 as sq_bind_range(); ?6: the hosts as ",1,2," (0:
 * not known), NULL: all.
 */
#define SR_RCPT_CTES \
	" f (d, c, l, m) AS (" \
	"  SELECT domain_id, class_id, local," \
	"         coalesce(host_id, 0) || ':' || coalesce(instance_id, 0) || ':' || queue_id" \
	"    FROM failure" \
	"   WHERE id BETWEEN" \
	"         (SELECT min(first_id) FROM day_span WHERE day BETWEEN ?1 AND ?2)" \
	"     AND (SELECT max(last_id) FROM day_span WHERE day BETWEEN ?1 AND ?2)" \
	"     AND time BETWEEN ?3 AND ?4" \
	"     AND (?5 IS NULL OR domain_id = ?5)" \
	"     AND (?6 IS NULL OR instr(?6, ',' || coalesce(host_id, 0) || ',') > 0)" \
	"     AND class_id > 0 AND reason_id <> 21)," \
	" rd (d, n, p, t, g, mn) AS (" \
	"  SELECT d, count(DISTINCT l), count(DISTINCT CASE WHEN c = 1 THEN l END)," \
	"         count(DISTINCT CASE WHEN c = 2 THEN l END)," \
	"         count(DISTINCT CASE WHEN c = 3 THEN l END), count(DISTINCT m)" \
	"    FROM f GROUP BY d)"
#define SR_RCPT_TOTAL \
	" SELECT -1 AS d, coalesce(sum(n), 0) AS rn, coalesce(sum(p), 0) AS rp," \
	"        coalesce(sum(t), 0) AS rt, coalesce(sum(g), 0) AS rg," \
	"        (SELECT count(DISTINCT m) FROM f) AS mn FROM rd"

static const char *const sr_sql[SR_MAX] = {
	[SR_DOMAIN_FIND] = "SELECT id FROM domain WHERE name = ?1",
	[SR_HOST_FIND] = "SELECT id FROM host WHERE name = ?1",
	[SR_SOURCE_KINDS] = "SELECT kind, n FROM line_stats WHERE source_id = ?1",
	[SR_DAILY] =
	    "SELECT day, domain_id, class_id, reason_id, n, host_id, instance_id"
	    "  FROM daily"
	    " WHERE day BETWEEN ?1 AND ?2 AND (?3 IS NULL OR domain_id = ?3)",
	/* day_span bounds the ids of each day: no index on time needed */
#define SR_FAILURES_SQL(MORE) \
	"SELECT f.id, f.time, f.domain_id, f.class_id, f.reason_id," \
	"       f.diagnostic_id, f.relay_id, f.host_id, f.instance_id" MORE \
	"  FROM failure f" \
	" WHERE f.id BETWEEN" \
	"       (SELECT min(first_id) FROM day_span WHERE day BETWEEN ?1 AND ?2)" \
	"   AND (SELECT max(last_id) FROM day_span WHERE day BETWEEN ?1 AND ?2)" \
	"   AND f.time BETWEEN ?3 AND ?4" \
	"   AND (?5 IS NULL OR f.domain_id = ?5)"
	[SR_FAILURES] = SR_FAILURES_SQL(""),
	/* ... with the local part and queue id, for day summaries */
	[SR_FAILURES_TEXT] = SR_FAILURES_SQL(", f.local, f.queue_id"),
	/* each domain's counters of the days, summed, in domain order */
	[SR_DOMAIN_COUNTERS] =
	    "SELECT domain_id, class_id, reason_id, sum(n) FROM daily"
	    " WHERE day BETWEEN ?1 AND ?2 AND (?3 IS NULL OR domain_id = ?3)"
	    "   AND (?4 IS NULL OR instr(?4, ',' || host_id || ',') > 0)"
	    " GROUP BY domain_id, class_id, reason_id ORDER BY 1, 2, 3",
	[SR_DOMAIN_NAME] = "SELECT name FROM domain WHERE id = ?1",
	/* the first day with counters in ?1 .. ?2 (one bound: one search) */
	[SR_NEXT_DAY] =
	    "SELECT day FROM daily"
	    " WHERE day >= ?1 AND day <= ?2"
	    " ORDER BY day LIMIT 1",
	[SR_DOMAIN_NAMES] = "SELECT id, name FROM domain WHERE id >= ?1 ORDER BY id",
	[SR_RELAY_NAME] = "SELECT name FROM relay WHERE id = ?1",
	[SR_NORMALIZED] = "SELECT normalized FROM diagnostic WHERE id = ?1",
	[SR_HOST_NAME] = "SELECT name FROM host WHERE id = ?1",
	/* v_failures puts the row's words back into its template */
	[SR_FAILURE_TEXT] = "SELECT diagnostic, domain FROM v_failures WHERE id = ?1",
	/*
	 * Distinct recipients (domain, local part) and messages (host,
	 * instance, queue id) of the range's failures, local_throttle (21)
	 * excluded: each recipient once with the classes it failed in, then
	 * per domain and in total (three sorts of the range's rows).  ?6: the
	 * hosts as ",1,2," (0: not known), NULL: all.
	 */
	[SR_RECIPIENTS] =
	    "WITH " SR_RCPT_CTES
	    " SELECT d, n, p, t, g, mn FROM rd UNION ALL " SR_RCPT_TOTAL,
	/*
	 * Each domain's counters of the range (tag 0) and of the days before
	 * (?7 .. ?8, tag 1), with its recipients, sorted as the report lists
	 * domains (failures and attempts as report_load.c counts them: valid
	 * class and reason, local_throttle apart); the totals row first.
	 */
	[SR_DOMAIN_ROWS] =
	    "WITH " SR_RCPT_CTES ","
	    " now (d, c, r, n) AS ("
	    "  SELECT domain_id, class_id, reason_id, sum(n) FROM daily"
	    "   WHERE day BETWEEN ?1 AND ?2 AND (?5 IS NULL OR domain_id = ?5)"
	    "     AND (?6 IS NULL OR instr(?6, ',' || host_id || ',') > 0)"
	    "   GROUP BY domain_id, class_id, reason_id),"
	    " prev (d, c, r, n) AS ("
	    "  SELECT domain_id, class_id, reason_id, sum(n) FROM daily"
	    "   WHERE day BETWEEN ?7 AND ?8 AND (?5 IS NULL OR domain_id = ?5)"
	    "     AND (?6 IS NULL OR instr(?6, ',' || host_id || ',') > 0)"
	    "     AND domain_id IN (SELECT d FROM now)"
	    "   GROUP BY domain_id, class_id, reason_id),"
	    " dom (d, fl, at) AS ("
	    "  SELECT d, sum(CASE WHEN c BETWEEN 1 AND 3 AND r BETWEEN 0 AND 24 AND r <> 21"
	    "                THEN n ELSE 0 END),"
	    "         sum(CASE WHEN c BETWEEN 0 AND 3 AND r BETWEEN 0 AND 24 AND r <> 21"
	    "                THEN n ELSE 0 END)"
	    "    FROM now GROUP BY d),"
	    " k (d, name, rn, rp, rt, rg, mn, fl, at) AS MATERIALIZED ("
	    "  SELECT dom.d, coalesce(x.name, ''), coalesce(rd.n, 0), coalesce(rd.p, 0),"
	    "         coalesce(rd.t, 0), coalesce(rd.g, 0), coalesce(rd.mn, 0), dom.fl, dom.at"
	    "    FROM dom LEFT JOIN rd ON rd.d = dom.d LEFT JOIN domain x ON x.id = dom.d)"
	    " SELECT 0, -1, '', rn, rp, rt, rg, mn, 0, 0, 0, -1, -1, 0 FROM ("
	    SR_RCPT_TOTAL ")"
	    " UNION ALL"
	    " SELECT 1, k.d, k.name, k.rn, k.rp, k.rt, k.rg, k.mn, k.fl, k.at, y.tag, y.c, y.r, y.n"
	    "   FROM k JOIN (SELECT 0 AS tag, d, c, r, n FROM now"
	    "                UNION ALL SELECT 1, d, c, r, n FROM prev) y ON y.d = k.d"
	    " ORDER BY 1, 5 DESC, 4 DESC, 9 DESC, 10 DESC, 3, 2, 11, 12, 13",
	/*
	 * Distinct domains of the failure rows of groups of diagnostic ids
	 * (?7: ",id=group,"): the group read after the row's ",id=".
	 */
	[SR_TEXT_DOMAINS] =
	    "WITH f (p, k, d, r) AS ("
	    "  SELECT instr(?7, ',' || coalesce(diagnostic_id, 0) || '='),"
	    "         coalesce(diagnostic_id, 0), domain_id, reason_id"
	    "    FROM failure"
	    "   WHERE id BETWEEN"
	    "         (SELECT min(first_id) FROM day_span WHERE day BETWEEN ?1 AND ?2)"
	    "     AND (SELECT max(last_id) FROM day_span WHERE day BETWEEN ?1 AND ?2)"
	    "     AND time BETWEEN ?3 AND ?4"
	    "     AND (?5 IS NULL OR domain_id = ?5)"
	    "     AND (?6 IS NULL OR instr(?6, ',' || coalesce(host_id, 0) || ',') > 0)"
	    "     AND class_id BETWEEN 0 AND 3 AND reason_id BETWEEN 0 AND 24),"
	    " g (g, d, r) AS ("
	    "  SELECT CAST(substr(?7, p + length(k) + 2) AS INTEGER), d, r FROM f WHERE p > 0)"
	    " SELECT g, count(DISTINCT CASE WHEN r <> 21 THEN d END),"
	    "        count(DISTINCT CASE WHEN r = 24 THEN d END),"
	    "        count(DISTINCT CASE WHEN r = 21 THEN d END)"
	    "   FROM g GROUP BY g",
	[SR_SUPPRESSIONS] =
	    "SELECT s.recipient, s.domain, s.reason_id, s.first_seen, s.last_seen, s.n,"
	    "       (SELECT diagnostic FROM v_failures WHERE id = s.failure_id)"
	    "  FROM (SELECT CASE WHEN d.name = '' OR instr(x.local, '@') > 0 THEN x.local"
	    "               ELSE x.local || '@' || d.name END AS recipient,"
	    "               d.name AS domain, x.*"
	    "          FROM suppression x JOIN domain d ON d.id = x.domain_id"
	    "         WHERE x.last_seen >= ?1) s"
	    " ORDER BY s.domain, s.recipient",
};

void
sq_read_close(struct sq *sq)
{
	int	 i;

	for (i = 0; i < SR_MAX; i++)
		sqlite3_finalize(sq->rd[i]);
}

static sqlite3_stmt *
sq_reader(struct store *st, enum sq_read which)
{
	struct sq	*sq = SQ(st);
	int		 rc;

	if (sq->rd[which] == NULL &&
	    (rc = sqlite3_prepare_v2(sq->db, sr_sql[which], -1, &sq->rd[which],
	    NULL)) != SQLITE_OK) {
		sq->rd[which] = NULL;
		sq_fail(st, rc, "prepare");
		return NULL;
	}
	return sq->rd[which];
}

int
sq_exec(struct store *st, const char *sql, int64_t *out)
{
	sqlite3_stmt	*s;
	int		 rc;

	if ((rc = sqlite3_prepare_v2(SQ(st)->db, sql, -1, &s, NULL)) != SQLITE_OK)
		return sq_fail(st, rc, "open");
	*out = 0;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sq_fail(st, rc, "open");
	return 0;
}

/* ---- sources ---- */

static void
sq_source_row(sqlite3_stmt *q, struct store_source *s)
{
	const void	*b;
	int		 n;

	memset(s, 0, sizeof(*s));
	s->id = sqlite3_column_int64(q, 0);
	snprintf(s->path, sizeof(s->path), "%s", (const char *)sqlite3_column_text(q, 1));
	b = sqlite3_column_blob(q, 2);
	n = sqlite3_column_bytes(q, 2);
	if (n > STORE_FP_MAX)
		n = STORE_FP_MAX;
	if (b != NULL)
		memcpy(s->fp, b, (size_t)n);
	s->fp_len = (size_t)sqlite3_column_int64(q, 3);
	if (s->fp_len > (size_t)n)
		s->fp_len = (size_t)n;
	s->dev = (uint64_t)sqlite3_column_int64(q, 4);
	s->ino = (uint64_t)sqlite3_column_int64(q, 5);
	s->offset = (uint64_t)sqlite3_column_int64(q, 6);
	b = sqlite3_column_blob(q, 7);
	n = sqlite3_column_bytes(q, 7);
	if (n > STORE_TAIL_MAX)
		n = STORE_TAIL_MAX;
	if (b != NULL)
		memcpy(s->tail, b, (size_t)n);
	s->tail_len = (size_t)n;
	s->lines = (uint64_t)sqlite3_column_int64(q, 8);
	snprintf(s->state, sizeof(s->state), "%s", (const char *)sqlite3_column_text(q, 9));
	s->last_commit = sqlite3_column_int64(q, 10);
}

int
sq_source_each(struct store *st, int (*cb)(const struct store_source *, void *),
    void *arg)
{
	sqlite3_stmt		*q = SQ(st)->st[SQ_SOURCE_ALL];
	struct store_source	 s;
	int			 rc, stop = 0;

	while (!stop && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		sq_source_row(q, &s);
		stop = cb(&s, arg) == -1;
	}
	sqlite3_reset(q);
	if (stop)
		return -1;
	if (rc != SQLITE_DONE)
		return sq_fail(st, rc, "sources");
	return 0;
}

int
sq_source_get(struct store *st, int64_t id, struct store_source *out)
{
	sqlite3_stmt	*q = SQ(st)->st[SQ_SOURCE_GET];
	int		 rc;

	sqlite3_bind_int64(q, 1, id);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		sq_source_row(q, out);
	sqlite3_reset(q);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc != SQLITE_DONE)
		return sq_fail(st, rc, "source");
	return 0;
}

int
sq_source_kinds(struct store *st, int64_t id, int64_t *by_kind)
{
	sqlite3_stmt	*q;
	int		 rc, k;

	memset(by_kind, 0, LINE_KIND_MAX * sizeof(*by_kind));
	if ((q = sq_reader(st, SR_SOURCE_KINDS)) == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, id);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		for (k = 0; k < LINE_KIND_MAX; k++)
			if (strcmp((const char *)sqlite3_column_text(q, 0),
			    parse_kind_name((enum line_kind)k)) == 0)
				by_kind[k] += sqlite3_column_int64(q, 1);
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return sq_fail(st, rc, "line_stats");
	return 0;
}

/* ---- the reader ---- */

int
sq_read_begin(struct store *st)
{
	int	 rc;

	if ((rc = sqlite3_exec(SQ(st)->db, "BEGIN", NULL, NULL, NULL)) != SQLITE_OK)
		return sq_fail(st, rc, "begin");
	return 0;
}

void
sq_read_end(struct store *st)
{
	/* a day summary may have been written in it: never left open */
	if (!sqlite3_get_autocommit(SQ(st)->db) &&
	    sqlite3_exec(SQ(st)->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		sqlite3_exec(SQ(st)->db, "ROLLBACK", NULL, NULL, NULL);
}

int64_t
sq_name_find(struct store *st, enum store_name which, const char *name)
{
	sqlite3_stmt	*q;
	int64_t		 id = 0;
	int		 rc;

	if (which != STORE_DOMAIN && which != STORE_HOST)
		return store_fail(st, STORE_EOTHER, "no lookup by name");
	if ((q = sq_reader(st, which == STORE_DOMAIN ? SR_DOMAIN_FIND :
	    SR_HOST_FIND)) == NULL)
		return -1;
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(q)) == SQLITE_ROW)
		id = sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sq_fail(st, rc, "domain");
	return id;
}

/* Is a row of this host in the range?  (Few hosts: a plain scan.) */
static int
sq_host_in(const struct store_range *r, int64_t host)
{
	size_t	 i;

	if (r->hosts == NULL)
		return 1;
	for (i = 0; i < r->nhosts; i++)
		if (r->hosts[i] == host)
			return 1;
	return 0;
}

static void
sq_bind_domain(sqlite3_stmt *q, int i, int64_t domain)
{
	if (domain != 0)
		sqlite3_bind_int64(q, i, domain);
	else
		sqlite3_bind_null(q, i);
}

/* ?1 .. ?5: the days, the times and the domain of a range of failure rows. */
static void
sq_bind_range(sqlite3_stmt *q, const struct store_range *r)
{
	sqlite3_bind_text(q, 1, r->from, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, r->to, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, r->t0);
	sqlite3_bind_int64(q, 4, r->t1);
	sq_bind_domain(q, 5, r->domain);
}

/* ?i: the range's hosts as ",1,2,", NULL for every host. */
static void
sq_bind_hosts(sqlite3_stmt *q, int i, const struct store_range *r)
{
	char	*hosts;

	if ((hosts = store_range_hosts(r)) != NULL)
		sqlite3_bind_text(q, i, hosts, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(q, i);
	free(hosts);
}

int
sq_daily_range(struct store *st, const struct store_range *r, store_daily_cb cb,
    void *arg)
{
	sqlite3_stmt		*q;
	struct store_daily	 row;
	int			 rc, stop = 0;

	if ((q = sq_reader(st, SR_DAILY)) == NULL)
		return -1;
	sqlite3_bind_text(q, 1, r->from, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, r->to, -1, SQLITE_STATIC);
	sq_bind_domain(q, 3, r->domain);
	while (!stop && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		if ((row.day = (const char *)sqlite3_column_text(q, 0)) == NULL)
			continue;
		row.domain_id = sqlite3_column_int64(q, 1);
		row.cls = sqlite3_column_int(q, 2);
		row.reason = sqlite3_column_int(q, 3);
		row.n = sqlite3_column_int64(q, 4);
		row.host_id = sqlite3_column_int64(q, 5);
		row.instance_id = sqlite3_column_int64(q, 6);
		if (sq_host_in(r, row.host_id))
			stop = cb(&row, arg) == -1;
	}
	sqlite3_reset(q);
	if (stop)
		return -1;
	if (rc != SQLITE_DONE)
		return sq_fail(st, rc, "daily counters");
	return 0;
}

int
sq_failure_range(struct store *st, const struct store_range *r,
    store_failure_cb cb, void *arg)
{
	sqlite3_stmt		*q;
	struct store_failure	 row;
	int			 rc, stop = 0;

	if ((q = sq_reader(st, r->with_texts ? SR_FAILURES_TEXT : SR_FAILURES)) == NULL)
		return -1;
	sq_bind_range(q, r);
	row.local = row.queue_id = NULL;
	while (!stop && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		row.id = sqlite3_column_int64(q, 0);
		row.time = sqlite3_column_int64(q, 1);
		row.domain_id = sqlite3_column_int64(q, 2);
		row.cls = sqlite3_column_int(q, 3);
		row.reason = sqlite3_column_int(q, 4);
		row.diagnostic_id = sqlite3_column_int64(q, 5);
		row.relay_id = sqlite3_column_int64(q, 6);
		row.host_id = sqlite3_column_int64(q, 7);
		row.instance_id = sqlite3_column_int64(q, 8);
		if (r->with_texts) {
			row.local = (const char *)sqlite3_column_text(q, 9);
			row.queue_id = (const char *)sqlite3_column_text(q, 10);
		}
		if (sq_host_in(r, row.host_id))
			stop = cb(&row, arg) == -1;
	}
	sqlite3_reset(q);
	if (stop)
		return -1;
	if (rc != SQLITE_DONE)
		return sq_fail(st, rc, "failure rows");
	return 0;
}

/* Text columns of the row with this id: malloc'd, "" when absent. */
static int
sq_lookup(struct store *st, enum sq_read which, int64_t id, char **a, char **b)
{
	sqlite3_stmt		*q;
	const unsigned char	*s;
	int			 rc;

	if ((q = sq_reader(st, which)) == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, id);
	rc = sqlite3_step(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		sqlite3_reset(q);
		return sq_fail(st, rc, "lookup");
	}
	s = rc == SQLITE_ROW ? sqlite3_column_text(q, 0) : NULL;
	*a = xstrdup(s != NULL ? (const char *)s : "");
	if (b != NULL) {
		s = rc == SQLITE_ROW ? sqlite3_column_text(q, 1) : NULL;
		*b = xstrdup(s != NULL ? (const char *)s : "");
	}
	sqlite3_reset(q);
	return 0;
}

char *
sq_name(struct store *st, enum store_name which, int64_t id)
{
	static const enum sq_read q[] = {
		[STORE_DOMAIN] = SR_DOMAIN_NAME,
		[STORE_RELAY] = SR_RELAY_NAME,
		[STORE_NORMALIZED] = SR_NORMALIZED,
		[STORE_HOST] = SR_HOST_NAME,
	};
	char	*s;

	if (sq_lookup(st, q[which], id, &s, NULL) == -1)
		return NULL;
	return s;
}

/*
 * Domains' names in id order: one cursor walked forward, sought again
 * only past a gap of SQ_NAMES_GAP ids (stepping over a few rows costs
 * less than a search; a month's report names nearly every domain).
 */
#define SQ_NAMES_GAP	16

int
sq_names(struct store *st, enum store_name which, const int64_t *ids, size_t n,
    store_names_cb cb, void *arg)
{
	sqlite3_stmt		*q;
	const unsigned char	*s;
	int64_t			 at = 0;
	size_t			 i;
	int			 rc = SQLITE_DONE, row = 0, stop = 0;
	char			*name;

	if (which != STORE_DOMAIN) {
		for (i = 0; i < n && !stop; i++) {
			if ((name = sq_name(st, which, ids[i])) == NULL)
				return -1;
			stop = cb(i, name, arg) == -1;
			free(name);
		}
		return stop ? -1 : 0;
	}
	if ((q = sq_reader(st, SR_DOMAIN_NAMES)) == NULL)
		return -1;
	for (i = 0; i < n && !stop; i++) {
		if (i == 0 || !row || at < ids[i] - SQ_NAMES_GAP || at > ids[i]) {
			sqlite3_reset(q);
			sqlite3_bind_int64(q, 1, ids[i]);
			rc = sqlite3_step(q);
		}
		while ((row = rc == SQLITE_ROW) &&
		    (at = sqlite3_column_int64(q, 0)) < ids[i])
			rc = sqlite3_step(q);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			break;
		s = row && at == ids[i] ? sqlite3_column_text(q, 1) : NULL;
		stop = cb(i, s != NULL ? (const char *)s : "", arg) == -1;
	}
	sqlite3_reset(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sq_fail(st, rc, "domain names");
	return stop ? -1 : 0;
}

int
sq_failure_text(struct store *st, int64_t id, char **text, char **domain)
{
	return sq_lookup(st, SR_FAILURE_TEXT, id, text, domain);
}

int
sq_recipient_range(struct store *st, const struct store_range *r,
    store_recipients_cb cb, void *arg)
{
	sqlite3_stmt		*q;
	struct store_recipients	 row;
	int			 rc, stop = 0;

	if ((q = sq_reader(st, SR_RECIPIENTS)) == NULL)
		return -1;
	sq_bind_range(q, r);
	sq_bind_hosts(q, 6, r);
	while (!stop && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		memset(&row, 0, sizeof(row));
		row.domain_id = sqlite3_column_int64(q, 0);
		row.recipients = sqlite3_column_int64(q, 1);
		row.by_class[CLASS_PERMANENT] = sqlite3_column_int64(q, 2);
		row.by_class[CLASS_TEMPORARY] = sqlite3_column_int64(q, 3);
		row.by_class[CLASS_GREYLIST] = sqlite3_column_int64(q, 4);
		row.messages = sqlite3_column_int64(q, 5);
		stop = cb(&row, arg) == -1;
	}
	sqlite3_reset(q);
	if (stop)
		return -1;
	if (rc != SQLITE_DONE)
		return sq_fail(st, rc, "recipients");
	return 0;
}

/*
 * A day's counters in domain, class, reason order: the primary key's, so
 * SQLite reads them in order without sorting.  ?1 the day, ?2 and ?3 as
 * SR_DOMAIN_COUNTERS' ?3 and ?4.
 */
static const char sq_day_counters[] =
    "SELECT domain_id, class_id, reason_id, n FROM daily WHERE day = ?1"
    " AND (?2 IS NULL OR domain_id = ?2)"
    " AND (?3 IS NULL OR instr(?3, ',' || host_id || ',') > 0)"
    " ORDER BY domain_id, class_id, reason_id";

/* Ranges of more days are summed by SR_DOMAIN_COUNTERS (one sort). */
#define SQ_MERGE_DAYS	64

/* One day's cursor and its current row. */
struct sq_run {
	sqlite3_stmt		*q;
	struct store_daily	 row;
};

static int
sq_run_less(const struct sq_run *a, const struct sq_run *b)
{
	if (a->row.domain_id != b->row.domain_id)
		return a->row.domain_id < b->row.domain_id;
	if (a->row.cls != b->row.cls)
		return a->row.cls < b->row.cls;
	return a->row.reason < b->row.reason;
}

/* The run's next row: SQLITE_ROW, SQLITE_DONE or an error. */
static int
sq_run_step(struct sq_run *r)
{
	int	 rc;

	if ((rc = sqlite3_step(r->q)) == SQLITE_ROW) {
		r->row.domain_id = sqlite3_column_int64(r->q, 0);
		r->row.cls = sqlite3_column_int(r->q, 1);
		r->row.reason = sqlite3_column_int(r->q, 2);
		r->row.n = sqlite3_column_int64(r->q, 3);
	}
	return rc;
}

/* The heap of runs h[0 .. n), smallest row first: h[i] moved down. */
static void
sq_run_sift(struct sq_run **h, size_t n, size_t i)
{
	struct sq_run	*t;
	size_t		 c;

	for (; (c = 2 * i + 1) < n; i = c) {
		if (c + 1 < n && sq_run_less(h[c + 1], h[c]))
			c++;
		if (!sq_run_less(h[c], h[i]))
			break;
		t = h[i];
		h[i] = h[c];
		h[c] = t;
	}
}

/*
 * The days of the range with counters, each its cursor (one prepared
 * statement a day): 1, with *np runs; 0 when there are more than
 * SQ_MERGE_DAYS; -1 on error.
 */
static int
sq_runs_open(struct store *st, const struct store_range *r, struct sq_run *runs,
    size_t *np)
{
	sqlite3_stmt	*next;
	char		 day[16] = "";
	const char	*s;
	size_t		 len = 0;
	int		 rc, more = 0;

	*np = 0;
	if ((next = sq_reader(st, SR_NEXT_DAY)) == NULL)
		return -1;
	sqlite3_bind_text(next, 1, r->from, -1, SQLITE_STATIC);
	sqlite3_bind_text(next, 2, r->to, -1, SQLITE_STATIC);
	for (;;) {
		/*
		 * after the first, from the smallest text after the day
		 * before: itself and a NUL (BINARY compares lengths last)
		 */
		if (*np > 0)
			sqlite3_bind_text(next, 1, day, (int)len + 1,
			    SQLITE_TRANSIENT);
		if ((rc = sqlite3_step(next)) != SQLITE_ROW)
			break;
		/* too many days, or a day not as written: the database sums */
		s = (const char *)sqlite3_column_text(next, 0);
		if (s == NULL || (len = strlen(s)) >= sizeof(day) ||
		    *np == SQ_MERGE_DAYS) {
			more = 1;
			break;
		}
		memcpy(day, s, len + 1);
		sqlite3_reset(next);
		if ((rc = sqlite3_prepare_v2(SQ(st)->db, sq_day_counters, -1,
		    &runs[*np].q, NULL)) != SQLITE_OK)
			break;
		sqlite3_bind_text(runs[*np].q, 1, day, -1, SQLITE_TRANSIENT);
		sq_bind_domain(runs[*np].q, 2, r->domain);
		sq_bind_hosts(runs[*np].q, 3, r);
		(*np)++;
	}
	sqlite3_reset(next);
	if (more)
		return 0;
	if (rc != SQLITE_DONE)
		return sq_fail(st, rc, "domain counters");
	return 1;
}

/*
 * The range's counters summed by domain, class and reason, in that order
 * (store.h): each day's rows merged as they come, without the sort of a
 * GROUP BY (a month's 137k rows took a fifth of its report).
 */
static int
sq_counters_merge(struct store *st, struct sq_run *runs, size_t nruns,
    store_daily_cb cb, void *arg)
{
	struct sq_run		*heap[SQ_MERGE_DAYS];
	struct store_daily	 sum;
	size_t			 i, n = 0;
	int			 rc = SQLITE_DONE;

	for (i = 0; i < nruns; i++) {
		if ((rc = sq_run_step(&runs[i])) == SQLITE_ROW)
			heap[n++] = &runs[i];
		else if (rc != SQLITE_DONE)
			return sq_fail(st, rc, "domain counters");
	}
	for (i = n; i-- > 0;)
		sq_run_sift(heap, n, i);
	while (n > 0) {
		sum = heap[0]->row;
		sum.n = 0;
		while (n > 0 && heap[0]->row.domain_id == sum.domain_id &&
		    heap[0]->row.cls == sum.cls && heap[0]->row.reason == sum.reason) {
			/* saturated rather than wrapped */
			if (heap[0]->row.n > 0 && sum.n > INT64_MAX - heap[0]->row.n)
				sum.n = INT64_MAX;
			else
				sum.n += heap[0]->row.n;
			if ((rc = sq_run_step(heap[0])) == SQLITE_DONE)
				heap[0] = heap[--n];
			else if (rc != SQLITE_ROW)
				return sq_fail(st, rc, "domain counters");
			sq_run_sift(heap, n, 0);
		}
		if (cb(&sum, arg) == -1)
			return -1;
	}
	return 0;
}

int
sq_domain_counters(struct store *st, const struct store_range *r,
    store_daily_cb cb, void *arg)
{
	sqlite3_stmt		*q;
	struct store_daily	 row;
	struct sq_run		*runs;
	size_t			 nruns, i;
	int			 rc, stop = 0;

	runs = xcalloc(SQ_MERGE_DAYS, sizeof(*runs));
	if ((rc = sq_runs_open(st, r, runs, &nruns)) == 1 &&
	    sq_counters_merge(st, runs, nruns, cb, arg) == -1)
		rc = -1;
	for (i = 0; i < nruns; i++)
		sqlite3_finalize(runs[i].q);
	free(runs);
	if (rc != 0)
		return rc == 1 ? 0 : -1;

	/* a longer range: the database sums it */
	if ((q = sq_reader(st, SR_DOMAIN_COUNTERS)) == NULL)
		return -1;
	sqlite3_bind_text(q, 1, r->from, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, r->to, -1, SQLITE_STATIC);
	sq_bind_domain(q, 3, r->domain);
	sq_bind_hosts(q, 4, r);
	memset(&row, 0, sizeof(row));
	while (!stop && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		row.domain_id = sqlite3_column_int64(q, 0);
		row.cls = sqlite3_column_int(q, 1);
		row.reason = sqlite3_column_int(q, 2);
		row.n = sqlite3_column_int64(q, 3);
		stop = cb(&row, arg) == -1;
	}
	sqlite3_reset(q);
	if (stop)
		return -1;
	if (rc != SQLITE_DONE)
		return sq_fail(st, rc, "domain counters");
	return 0;
}

int
sq_domain_rows(struct store *st, const struct store_range *r, store_domrow_cb cb,
    void *arg)
{
	sqlite3_stmt		*q;
	struct store_domrow	 row;
	int			 rc, stop = 0;

	if ((q = sq_reader(st, SR_DOMAIN_ROWS)) == NULL)
		return -1;
	sq_bind_range(q, r);
	sq_bind_hosts(q, 6, r);
	sqlite3_bind_text(q, 7, r->prev_from, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 8, r->prev_to, -1, SQLITE_STATIC);
	while (!stop && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		memset(&row, 0, sizeof(row));
		row.domain_id = row.rc.domain_id = sqlite3_column_int64(q, 1);
		if ((row.name = (const char *)sqlite3_column_text(q, 2)) == NULL)
			row.name = "";
		row.rc.recipients = sqlite3_column_int64(q, 3);
		row.rc.by_class[CLASS_PERMANENT] = sqlite3_column_int64(q, 4);
		row.rc.by_class[CLASS_TEMPORARY] = sqlite3_column_int64(q, 5);
		row.rc.by_class[CLASS_GREYLIST] = sqlite3_column_int64(q, 6);
		row.rc.messages = sqlite3_column_int64(q, 7);
		row.prev = sqlite3_column_int(q, 10);
		row.cls = sqlite3_column_int(q, 11);
		row.reason = sqlite3_column_int(q, 12);
		row.n = sqlite3_column_int64(q, 13);
		stop = cb(&row, arg) == -1;
	}
	sqlite3_reset(q);
	if (stop)
		return -1;
	if (rc != SQLITE_DONE)
		return sq_fail(st, rc, "domains");
	return 0;
}

int
sq_text_domains(struct store *st, const struct store_range *r, const char *ids,
    store_textdom_cb cb, void *arg)
{
	sqlite3_stmt		*q;
	struct store_textdom	 row;
	int			 rc, stop = 0;

	if ((q = sq_reader(st, SR_TEXT_DOMAINS)) == NULL)
		return -1;
	sq_bind_range(q, r);
	sq_bind_hosts(q, 6, r);
	sqlite3_bind_text(q, 7, ids, -1, SQLITE_STATIC);
	while (!stop && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		row.index = sqlite3_column_int64(q, 0);
		row.fail = sqlite3_column_int64(q, 1);
		row.other = sqlite3_column_int64(q, 2);
		row.throttle = sqlite3_column_int64(q, 3);
		stop = cb(&row, arg) == -1;
	}
	sqlite3_reset(q);
	if (stop)
		return -1;
	if (rc != SQLITE_DONE)
		return sq_fail(st, rc, "text domains");
	return 0;
}

int
sq_suppression_list(struct store *st, int64_t since, store_suppression_cb cb,
    void *arg)
{
	sqlite3_stmt			*q;
	struct store_suppression	 row;
	int				 rc, stop = 0;

	if ((q = sq_reader(st, SR_SUPPRESSIONS)) == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, since);
	while (!stop && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		row.recipient = (const char *)sqlite3_column_text(q, 0);
		row.domain = (const char *)sqlite3_column_text(q, 1);
		row.reason = sqlite3_column_int(q, 2);
		row.first_seen = sqlite3_column_int64(q, 3);
		row.last_seen = sqlite3_column_int64(q, 4);
		row.n = sqlite3_column_int64(q, 5);
		row.diagnostic = (const char *)sqlite3_column_text(q, 6);
		if (row.recipient == NULL || row.domain == NULL)
			continue;
		stop = cb(&row, arg) == -1;
	}
	sqlite3_reset(q);
	if (stop)
		return -1;
	if (rc != SQLITE_DONE)
		return sq_fail(st, rc, "suppressions");
	return 0;
}
