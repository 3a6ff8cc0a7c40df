/*
 * store_pg_read.c -- the PostgreSQL backend's reads: a node's sources,
 * and the reader's operations (counters, failure rows, names) for the
 * report, in one REPEATABLE READ snapshot.  Long ranges come through a
 * cursor, so they never sit whole in memory.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_pg.h"
#include "util.h"

/* ---- sources ---- */

static void
pg_bytes(PGresult *r, int row, int col, unsigned char *out, size_t max,
    size_t *len)
{
	unsigned char	*b;
	size_t		 n = 0;

	b = PQunescapeBytea((const unsigned char *)PQgetvalue(r, row, col), &n);
	if (b == NULL)
		n = 0;
	if (n > max)
		n = max;
	if (n > 0)
		memcpy(out, b, n);
	PQfreemem(b);
	*len = n;
}

static void
pg_source_row(PGresult *r, int i, struct store_source *s)
{
	size_t	 n;

	memset(s, 0, sizeof(*s));
	s->id = strtoll(PQgetvalue(r, i, 0), NULL, 10);
	snprintf(s->path, sizeof(s->path), "%s", PQgetvalue(r, i, 1));
	pg_bytes(r, i, 2, s->fp, STORE_FP_MAX, &n);
	s->fp_len = (size_t)strtoull(PQgetvalue(r, i, 3), NULL, 10);
	if (s->fp_len > n)
		s->fp_len = n;
	s->dev = (uint64_t)strtoll(PQgetvalue(r, i, 4), NULL, 10);
	s->ino = (uint64_t)strtoll(PQgetvalue(r, i, 5), NULL, 10);
	s->offset = (uint64_t)strtoll(PQgetvalue(r, i, 6), NULL, 10);
	pg_bytes(r, i, 7, s->tail, STORE_TAIL_MAX, &s->tail_len);
	s->lines = (uint64_t)strtoll(PQgetvalue(r, i, 8), NULL, 10);
	snprintf(s->state, sizeof(s->state), "%s", PQgetvalue(r, i, 9));
	s->last_commit = strtoll(PQgetvalue(r, i, 10), NULL, 10);
}

#define PG_SOURCE_COLS	"id, path, fp, fp_len, dev, ino, \"offset\", tail, lines," \
	" state, last_commit FROM source"

/*
 * This node's sources, newest first, to cb (a reader that named no node:
 * every node's).
 */
int
pg_source_each(struct store *st, int (*cb)(const struct store_source *, void *),
    void *arg)
{
	struct pg		*pg = PG(st);
	struct store_source	 s;
	char			 node[32];
	const char		*p[1] = { node };
	PGresult		*r;
	int			 i, n, stop = 0;

	if ((pg->ro ? pg_node_find(st) : pg_node(st)) == -1)
		return -1;
	if (pg->ro && pg->named && pg->node_id == 0)
		return 0;		/* a node that never wrote */
	snprintf(node, sizeof(node), "%lld", (long long)pg->node_id);
	if ((r = pg_exec(st, pg->c, "SELECT " PG_SOURCE_COLS
	    " WHERE $1::int = 0 OR node_id = $1 ORDER BY id DESC", 1, p, NULL, NULL,
	    PGRES_TUPLES_OK, "sources")) == NULL)
		return -1;
	n = PQntuples(r);
	for (i = 0; i < n && !stop; i++) {
		pg_source_row(r, i, &s);
		stop = cb(&s, arg) == -1;
	}
	PQclear(r);
	return stop ? -1 : 0;
}

int
pg_source_get(struct store *st, int64_t id, struct store_source *out)
{
	struct pg	*pg = PG(st);
	char		 num[2][32];
	const char	*p[2] = { num[0], num[1] };
	PGresult	*r;
	int		 found;

	if (pg_node(st) == -1)
		return -1;
	snprintf(num[0], 32, "%lld", (long long)id);
	snprintf(num[1], 32, "%lld", (long long)pg->node_id);
	if ((r = pg_exec(st, pg->c, "SELECT " PG_SOURCE_COLS
	    " WHERE id = $1 AND ($2::int = 0 OR node_id = $2)", 2, p, NULL, NULL,
	    PGRES_TUPLES_OK, "source")) == NULL)
		return -1;
	if ((found = PQntuples(r) == 1))
		pg_source_row(r, 0, out);
	PQclear(r);
	return found;
}

int
pg_source_kinds(struct store *st, int64_t id, int64_t *by_kind)
{
	char		 num[32];
	const char	*p[1] = { num };
	PGresult	*r;
	int		 i, k;

	memset(by_kind, 0, LINE_KIND_MAX * sizeof(*by_kind));
	snprintf(num, sizeof(num), "%lld", (long long)id);
	if ((r = pg_exec(st, PG(st)->c, "SELECT kind, n FROM line_stats"
	    " WHERE source_id = $1", 1, p, NULL, NULL, PGRES_TUPLES_OK,
	    "line_stats")) == NULL)
		return -1;
	for (i = 0; i < PQntuples(r); i++)
		for (k = 0; k < LINE_KIND_MAX; k++)
			if (strcmp(PQgetvalue(r, i, 0),
			    parse_kind_name((enum line_kind)k)) == 0)
				by_kind[k] += strtoll(PQgetvalue(r, i, 1), NULL, 10);
	PQclear(r);
	return 0;
}

/* ---- the reader ---- */

/* A writer's snapshot may store day summaries (store_pg_sum.c). */
int
pg_read_begin(struct store *st)
{
	pg_names_drop(PG(st));
	return pg_cmd(st, PG(st)->c, PG(st)->ro ?
	    "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" :
	    "BEGIN ISOLATION LEVEL REPEATABLE READ", "begin");
}

void
pg_read_end(struct store *st)
{
	struct pg	*pg = PG(st);

	pg_names_drop(pg);
	if (PQtransactionStatus(pg->c) != PQTRANS_IDLE)
		PQclear(PQexec(pg->c, "COMMIT"));
}

int64_t
pg_name_find(struct store *st, enum store_name which, const char *name)
{
	const char	*p[1];
	PGresult	*r;
	int64_t		 id = 0;

	if (which != STORE_DOMAIN && which != STORE_HOST)
		return store_fail(st, STORE_EOTHER, "no lookup by name");
	p[0] = pg_cstr(st, name, strlen(name));
	if ((r = pg_exec(st, PG(st)->c, which == STORE_DOMAIN ?
	    "SELECT id FROM domain WHERE name = $1" :
	    "SELECT id FROM host WHERE name = $1", 1, p, NULL, NULL,
	    PGRES_TUPLES_OK, "lookup")) == NULL)
		return -1;
	if (PQntuples(r) > 0)
		id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return id;
}

/*
 * Rows of a query, PG_FETCH at a time through a cursor: the callback may
 * run queries of its own between two fetches (names by id).  Inside the
 * reader's transaction, or one of its own.
 */
#define PG_FETCH	10000
#define PG_FETCH_S	"10000"

int
pg_rows(struct store *st, const char *sql, int n, const char *const *p,
    pg_row_cb cb, void *arg, const char *what)
{
	PGconn		*c = PG(st)->c;
	PGresult	*r;
	int		 own = PQtransactionStatus(c) == PQTRANS_IDLE, i, rows, rc = 0;
	char		*decl;

	if (own && pg_cmd(st, c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
	    what) == -1)
		return -1;
	decl = xmalloc(strlen(sql) + 64);
	snprintf(decl, strlen(sql) + 64, "DECLARE bw_rows NO SCROLL CURSOR FOR %s", sql);
	r = pg_exec(st, c, decl, n, p, NULL, NULL, PGRES_COMMAND_OK, what);
	free(decl);
	if (r == NULL)
		rc = -1;
	PQclear(r);
	while (rc == 0) {
		if ((r = pg_exec(st, c, "FETCH " PG_FETCH_S " FROM bw_rows", 0, NULL, NULL, NULL,
		    PGRES_TUPLES_OK, what)) == NULL) {
			rc = -1;
			break;
		}
		rows = PQntuples(r);
		for (i = 0; i < rows && rc == 0; i++)
			rc = cb(st, r, i, arg);
		PQclear(r);
		if (rows < PG_FETCH)
			break;
	}
	if (rc == 0 || PQtransactionStatus(c) == PQTRANS_INTRANS)
		PQclear(PQexec(c, "CLOSE bw_rows"));
	if (own)
		PQclear(PQexec(c, rc == 0 ? "COMMIT" : "ROLLBACK"));
	return rc;
}

static void
pg_range_params(const struct store_range *rg, char num[3][32], const char **p)
{
	snprintf(num[0], 32, "%lld", (long long)rg->t0);
	snprintf(num[1], 32, "%lld", (long long)rg->t1);
	snprintf(num[2], 32, "%lld", (long long)rg->domain);
	p[0] = rg->from;
	p[1] = rg->to;
	p[2] = num[0];
	p[3] = num[1];
	p[4] = num[2];
}

struct pg_cb {
	store_daily_cb	 daily;
	store_failure_cb failure;
	void		*arg;
	const struct store_range *rg;
	store_recipients_cb recipients;
	store_domrow_cb	 domrow;
	store_textdom_cb textdom;
};

/* Is a row of this host in the range?  (Few hosts: a plain scan.) */
static int
pg_host_in(const struct store_range *rg, int64_t host)
{
	size_t	 i;

	if (rg->hosts == NULL)
		return 1;
	for (i = 0; i < rg->nhosts; i++)
		if (rg->hosts[i] == host)
			return 1;
	return 0;
}

static int
pg_daily_row(struct store *st, PGresult *r, int i, void *arg)
{
	struct pg_cb		*cb = arg;
	struct store_daily	 row;

	(void)st;
	row.day = PQgetvalue(r, i, 0);
	row.domain_id = strtoll(PQgetvalue(r, i, 1), NULL, 10);
	row.cls = atoi(PQgetvalue(r, i, 2));
	row.reason = atoi(PQgetvalue(r, i, 3));
	row.n = strtoll(PQgetvalue(r, i, 4), NULL, 10);
	row.host_id = strtoll(PQgetvalue(r, i, 5), NULL, 10);
	row.instance_id = strtoll(PQgetvalue(r, i, 6), NULL, 10);
	return pg_host_in(cb->rg, row.host_id) ? cb->daily(&row, cb->arg) : 0;
}

int
pg_daily_range(struct store *st, const struct store_range *rg, store_daily_cb cb,
    void *arg)
{
	struct pg_cb	 c = { cb, NULL, arg, rg, NULL, NULL, NULL };
	char		 num[3][32];
	const char	*p[5];

	pg_range_params(rg, num, p);
	p[2] = p[4];
	return pg_rows(st, "SELECT to_char(day, 'YYYY-MM-DD'), domain_id, class_id,"
	    " reason_id, n, host_id, instance_id FROM daily"
	    " WHERE day BETWEEN $1::date AND $2::date"
	    " AND ($3::bigint = 0 OR domain_id = $3)"
	    " ORDER BY day, domain_id, class_id, reason_id, host_id, instance_id", 3, p,
	    pg_daily_row, &c,
	    "daily counters");
}

static int
pg_failure_row(struct store *st, PGresult *r, int i, void *arg)
{
	struct pg_cb		*cb = arg;
	struct store_failure	 row;

	(void)st;
	row.id = strtoll(PQgetvalue(r, i, 0), NULL, 10);
	row.time = strtoll(PQgetvalue(r, i, 1), NULL, 10);
	row.domain_id = strtoll(PQgetvalue(r, i, 2), NULL, 10);
	row.cls = atoi(PQgetvalue(r, i, 3));
	row.reason = atoi(PQgetvalue(r, i, 4));
	row.diagnostic_id = strtoll(PQgetvalue(r, i, 5), NULL, 10);
	row.relay_id = strtoll(PQgetvalue(r, i, 6), NULL, 10);
	row.host_id = strtoll(PQgetvalue(r, i, 7), NULL, 10);
	row.instance_id = strtoll(PQgetvalue(r, i, 8), NULL, 10);
	row.local = row.queue_id = NULL;
	if (cb->rg->with_texts) {	/* for day summaries */
		if (!PQgetisnull(r, i, 9))
			row.local = PQgetvalue(r, i, 9);
		if (!PQgetisnull(r, i, 10))
			row.queue_id = PQgetvalue(r, i, 10);
	}
	return pg_host_in(cb->rg, row.host_id) ? cb->failure(&row, cb->arg) : 0;
}

int
pg_failure_range(struct store *st, const struct store_range *rg,
    store_failure_cb cb, void *arg)
{
	struct pg_cb	 c = { NULL, cb, arg, rg, NULL, NULL, NULL };
	char		 num[3][32];
	const char	*p[5];

	pg_range_params(rg, num, p);
	/* day_span bounds the ids of each day, as in SQLite */
#define PG_FAILURES_SQL(MORE) \
	"SELECT f.id, f.time, f.domain_id, f.class_id, f.reason_id," \
	" coalesce(f.diagnostic_id, 0), coalesce(f.relay_id, 0)," \
	" coalesce(f.host_id, 0), coalesce(f.instance_id, 0)" MORE " FROM failure f" \
	" WHERE f.id BETWEEN" \
	"  (SELECT min(first_id) FROM day_span WHERE day BETWEEN $1::date AND $2::date)" \
	"  AND (SELECT max(last_id) FROM day_span WHERE day BETWEEN $1::date AND $2::date)" \
	" AND f.time BETWEEN $3 AND $4 AND ($5::bigint = 0 OR f.domain_id = $5)" \
	" ORDER BY f.id"
	return pg_rows(st, rg->with_texts ? PG_FAILURES_SQL(", f.local, f.queue_id") :
	    PG_FAILURES_SQL(""), 5, p, pg_failure_row, &c, "failure rows");
}

/* Text columns of the row with this id: malloc'd, "" when absent. */
static int
pg_lookup(struct store *st, const char *sql, int64_t id, char **a, char **b)
{
	char		 num[32];
	const char	*p[1] = { num };
	PGresult	*r;
	int		 found;

	snprintf(num, sizeof(num), "%lld", (long long)id);
	if ((r = pg_exec(st, PG(st)->c, sql, 1, p, NULL, NULL, PGRES_TUPLES_OK,
	    "lookup")) == NULL)
		return -1;
	found = PQntuples(r) > 0;
	*a = xstrdup(found ? PQgetvalue(r, 0, 0) : "");
	if (b != NULL)
		*b = xstrdup(found ? PQgetvalue(r, 0, 1) : "");
	PQclear(r);
	return 0;
}

/* The window's names (its counts stay: one snapshot's). */
static void
pg_names_free(struct pg_names *w)
{
	size_t	 i;

	for (i = 0; i < w->n; i++)
		free(w->names[i]);
	free(w->names);
	free(w->ids);
	w->names = NULL;
	w->ids = NULL;
	w->n = 0;
	w->which = -1;
}

void
pg_names_drop(struct pg *pg)
{
	struct pg_names	*w = &pg->win;

	pg_names_free(w);
	w->last_which = -1;
	w->run = 0;
	memset(w->misses, 0, sizeof(w->misses));
	memset(w->whole, 0, sizeof(w->whole));
}

/*
 * The window: the names of which from id on, PG_NAMES_AHEAD of them
 * (all: every name of the table, id ignored), in the reader's snapshot.
 */
static int
pg_names_read(struct store *st, enum store_name which, int64_t id, int all)
{
	static const char *const sql[] = {
		[STORE_DOMAIN] = "SELECT id, name FROM domain",
		[STORE_RELAY] = "SELECT id, name FROM relay",
		[STORE_NORMALIZED] = "SELECT id, normalized FROM diagnostic",
		[STORE_HOST] = "SELECT id, name FROM host",
	};
	struct pg	*pg = PG(st);
	struct pg_names	*w = &pg->win;
	char		 q[128], num[24];
	const char	*p[1] = { PG_I64(num, id) };
	PGresult	*r;
	size_t		 i, n;

	snprintf(q, sizeof(q), all ? "%s ORDER BY id" :
	    "%s WHERE id >= $1 ORDER BY id LIMIT %d", sql[which], PG_NAMES_AHEAD);
	if ((r = pg_exec(st, pg->c, q, all ? 0 : 1, p, NULL, NULL,
	    PGRES_TUPLES_OK, "names")) == NULL)
		return -1;
	pg_names_free(w);
	n = (size_t)PQntuples(r);
	w->ids = xcalloc(n + 1, sizeof(*w->ids));
	w->names = xcalloc(n + 1, sizeof(*w->names));
	for (i = 0; i < n; i++) {
		w->ids[i] = strtoll(PQgetvalue(r, (int)i, 0), NULL, 10);
		w->names[i] = xstrdup(PQgetvalue(r, (int)i, 1));
	}
	PQclear(r);
	w->n = n;
	w->which = (int)which;
	w->lo = all ? INT64_MIN : id;
	w->hi = all || n < PG_NAMES_AHEAD ? INT64_MAX : w->ids[n - 1];
	return 0;
}

/* A small table asked for in no order: read whole.  1, 0 too large, -1. */
static int
pg_names_whole(struct store *st, enum store_name which)
{
	static const char *const table[] = {
		[STORE_DOMAIN] = "domain",
		[STORE_RELAY] = "relay",
		[STORE_NORMALIZED] = "diagnostic",
		[STORE_HOST] = "host",
	};
	char		 q[128];
	PGresult	*r;
	long long	 n;

	snprintf(q, sizeof(q), "SELECT count(*) FROM (SELECT 1 FROM %s LIMIT %d) s",
	    table[which], PG_NAMES_ALL + 1);
	if ((r = pg_exec(st, PG(st)->c, q, 0, NULL, NULL, NULL, PGRES_TUPLES_OK,
	    "names")) == NULL)
		return -1;
	n = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	if (n > PG_NAMES_ALL)
		return 0;
	return pg_names_read(st, which, 0, 1) == -1 ? -1 : 1;
}

/* A name of the window, "" when no row has the id. */
static char *
pg_names_get(const struct pg_names *w, int64_t id)
{
	size_t	 lo = 0, hi = w->n, m;

	while (lo < hi) {
		m = lo + (hi - lo) / 2;
		if (w->ids[m] < id)
			lo = m + 1;
		else
			hi = m;
	}
	return xstrdup(lo < w->n && w->ids[lo] == id ? w->names[lo] : "");
}

/*
 * One name by id.  Inside a reader's snapshot, a reader asking in
 * ascending order reads ahead (a report's thousands of domains: a
 * statement per PG_NAMES_AHEAD, not one each), and one asking for many of
 * a small table in no order reads it whole, once (a report's texts).
 */
char *
pg_name(struct store *st, enum store_name which, int64_t id)
{
	static const char *const sql[] = {
		[STORE_DOMAIN] = "SELECT name FROM domain WHERE id = $1",
		[STORE_RELAY] = "SELECT name FROM relay WHERE id = $1",
		[STORE_NORMALIZED] = "SELECT normalized FROM diagnostic WHERE id = $1",
		[STORE_HOST] = "SELECT name FROM host WHERE id = $1",
	};
	struct pg	*pg = PG(st);
	struct pg_names	*w = &pg->win;
	char		*s;
	int		 rc;

	if (PQtransactionStatus(pg->c) != PQTRANS_INTRANS) {
		pg_names_drop(pg);	/* a window is one snapshot's */
		return pg_lookup(st, sql[which], id, &s, NULL) == -1 ? NULL : s;
	}
	if (w->last_which == (int)which && id > w->last)
		w->run++;
	else
		w->run = 0;
	w->last_which = (int)which;
	w->last = id;
	if (w->which == (int)which && id >= w->lo && id <= w->hi)
		return pg_names_get(w, id);
	if (w->run >= PG_NAMES_RUN) {
		if (pg_names_read(st, which, id, 0) == -1)
			return NULL;
		return pg_names_get(w, id);
	}
	if (++w->misses[which] >= PG_NAMES_MISSES && !w->whole[which]) {
		w->whole[which] = 1;	/* once: never read whole again */
		if ((rc = pg_names_whole(st, which)) == -1)
			return NULL;
		if (rc == 1)
			return pg_names_get(w, id);
	}
	if (pg_lookup(st, sql[which], id, &s, NULL) == -1)
		return NULL;
	return s;
}

int
pg_failure_text(struct store *st, int64_t id, char **text, char **domain)
{
	/* v_failures puts the row's words back into its template */
	return pg_lookup(st, "SELECT diagnostic, domain FROM v_failures WHERE id = $1",
	    id, text, domain);
}

static int
pg_recipients_row(struct store *st, PGresult *r, int i, void *arg)
{
	struct pg_cb		*cb = arg;
	struct store_recipients	 row;

	(void)st;
	memset(&row, 0, sizeof(row));
	row.domain_id = strtoll(PQgetvalue(r, i, 0), NULL, 10);
	row.recipients = strtoll(PQgetvalue(r, i, 1), NULL, 10);
	row.by_class[CLASS_PERMANENT] = strtoll(PQgetvalue(r, i, 2), NULL, 10);
	row.by_class[CLASS_TEMPORARY] = strtoll(PQgetvalue(r, i, 3), NULL, 10);
	row.by_class[CLASS_GREYLIST] = strtoll(PQgetvalue(r, i, 4), NULL, 10);
	row.messages = strtoll(PQgetvalue(r, i, 5), NULL, 10);
	return cb->recipients(&row, cb->arg);
}

/*
 * Distinct recipients and messages of the range's failures, as in
 * store_sqlite_read.c: $1 .. $5 as pg_range_params(), $6 the hosts.
 */
#define PG_RCPT_CTES \
	" f (d, c, l, m) AS (" \
	" SELECT domain_id, class_id, local, coalesce(host_id, 0) || ':' ||" \
	" coalesce(instance_id, 0) || ':' || queue_id FROM failure" \
	" WHERE id BETWEEN" \
	"  (SELECT min(first_id) FROM day_span WHERE day BETWEEN $1::date AND $2::date)" \
	"  AND (SELECT max(last_id) FROM day_span WHERE day BETWEEN $1::date AND $2::date)" \
	" AND time BETWEEN $3 AND $4 AND ($5::bigint = 0 OR domain_id = $5)" \
	" AND ($6::text IS NULL OR strpos($6, ',' || coalesce(host_id, 0) || ',') > 0)" \
	" AND class_id > 0 AND reason_id <> 21)," \
	" rd (d, n, p, t, g, mn) AS (SELECT d, count(DISTINCT l)," \
	" count(DISTINCT CASE WHEN c = 1 THEN l END)," \
	" count(DISTINCT CASE WHEN c = 2 THEN l END)," \
	" count(DISTINCT CASE WHEN c = 3 THEN l END), count(DISTINCT m)" \
	" FROM f GROUP BY d)"
#define PG_RCPT_TOTAL \
	" SELECT -1 AS d, coalesce(sum(n), 0) AS rn, coalesce(sum(p), 0) AS rp," \
	" coalesce(sum(t), 0) AS rt, coalesce(sum(g), 0) AS rg," \
	" (SELECT count(DISTINCT m) FROM f) AS mn FROM rd"

/* Distinct failed recipients and messages: see store_recipient_range(). */
int
pg_recipient_range(struct store *st, const struct store_range *rg,
    store_recipients_cb cb, void *arg)
{
	struct pg_cb	 c = { NULL, NULL, arg, rg, cb, NULL, NULL };
	char		 num[3][32], *hosts = store_range_hosts(rg);
	const char	*p[6];
	int		 rc;

	pg_range_params(rg, num, p);
	p[5] = hosts;
	rc = pg_rows(st, "WITH " PG_RCPT_CTES
	    " SELECT d, n, p, t, g, mn FROM rd UNION ALL " PG_RCPT_TOTAL, 6, p, pg_recipients_row, &c, "recipients");
	free(hosts);
	return rc;
}

static int
pg_domrow(struct store *st, PGresult *r, int i, void *arg)
{
	struct pg_cb		*cb = arg;
	struct store_domrow	 row;

	(void)st;
	memset(&row, 0, sizeof(row));
	row.domain_id = row.rc.domain_id = strtoll(PQgetvalue(r, i, 1), NULL, 10);
	row.name = PQgetvalue(r, i, 2);
	row.rc.recipients = strtoll(PQgetvalue(r, i, 3), NULL, 10);
	row.rc.by_class[CLASS_PERMANENT] = strtoll(PQgetvalue(r, i, 4), NULL, 10);
	row.rc.by_class[CLASS_TEMPORARY] = strtoll(PQgetvalue(r, i, 5), NULL, 10);
	row.rc.by_class[CLASS_GREYLIST] = strtoll(PQgetvalue(r, i, 6), NULL, 10);
	row.rc.messages = strtoll(PQgetvalue(r, i, 7), NULL, 10);
	row.prev = atoi(PQgetvalue(r, i, 10));
	row.cls = atoi(PQgetvalue(r, i, 11));
	row.reason = atoi(PQgetvalue(r, i, 12));
	row.n = strtoll(PQgetvalue(r, i, 13), NULL, 10);
	return cb->domrow(&row, cb->arg);
}

/*
 * Every domain of the range in report order: see store_domain_rows() and
 * SR_DOMAIN_ROWS in store_sqlite_read.c.  Names sort bytewise (COLLATE
 * "C"), as SQLite and strcmp() do.
 */
int
pg_domain_rows(struct store *st, const struct store_range *rg,
    store_domrow_cb cb, void *arg)
{
	struct pg_cb	 c = { NULL, NULL, arg, rg, NULL, cb, NULL };
	char		 num[3][32], *hosts = store_range_hosts(rg);
	const char	*p[8];
	int		 rc;

	pg_range_params(rg, num, p);
	p[5] = hosts;
	p[6] = rg->prev_from;
	p[7] = rg->prev_to;
	rc = pg_rows(st, "WITH " PG_RCPT_CTES ","
	    " now (d, c, r, n) AS (SELECT domain_id, class_id, reason_id, sum(n)"
	    " FROM daily WHERE day BETWEEN $1::date AND $2::date"
	    " AND ($5::bigint = 0 OR domain_id = $5)"
	    " AND ($6::text IS NULL OR strpos($6, ',' || host_id || ',') > 0)"
	    " GROUP BY domain_id, class_id, reason_id),"
	    " prev (d, c, r, n) AS (SELECT domain_id, class_id, reason_id, sum(n)"
	    " FROM daily WHERE day BETWEEN $7::date AND $8::date"
	    " AND ($5::bigint = 0 OR domain_id = $5)"
	    " AND ($6::text IS NULL OR strpos($6, ',' || host_id || ',') > 0)"
	    " AND domain_id IN (SELECT d FROM now)"
	    " GROUP BY domain_id, class_id, reason_id),"
	    " dom (d, fl, at) AS (SELECT d,"
	    " sum(CASE WHEN c BETWEEN 1 AND 3 AND r BETWEEN 0 AND 24 AND r <> 21"
	    " THEN n ELSE 0 END),"
	    " sum(CASE WHEN c BETWEEN 0 AND 3 AND r BETWEEN 0 AND 24 AND r <> 21"
	    " THEN n ELSE 0 END) FROM now GROUP BY d),"
	    " k (d, name, rn, rp, rt, rg, mn, fl, at) AS (SELECT dom.d,"
	    " coalesce(x.name, '') COLLATE \"C\", coalesce(rd.n, 0), coalesce(rd.p, 0),"
	    " coalesce(rd.t, 0), coalesce(rd.g, 0), coalesce(rd.mn, 0), dom.fl, dom.at"
	    " FROM dom LEFT JOIN rd ON rd.d = dom.d LEFT JOIN domain x ON x.id = dom.d)"
	    " SELECT 0, -1, '' COLLATE \"C\", rn, rp, rt, rg, mn, 0, 0, 0, -1, -1, 0"
	    " FROM (" PG_RCPT_TOTAL ") t"
	    " UNION ALL"
	    " SELECT 1, k.d, k.name, k.rn, k.rp, k.rt, k.rg, k.mn, k.fl, k.at, y.tag,"
	    " y.c, y.r, y.n FROM k JOIN (SELECT 0 AS tag, d, c, r, n FROM now"
	    " UNION ALL SELECT 1, d, c, r, n FROM prev) y ON y.d = k.d"
	    " ORDER BY 1, 5 DESC, 4 DESC, 9 DESC, 10 DESC, 3, 2, 11, 12, 13", 8, p,
	    pg_domrow, &c, "domains");
	free(hosts);
	return rc;
}

static int
pg_textdom(struct store *st, PGresult *r, int i, void *arg)
{
	struct pg_cb		*cb = arg;
	struct store_textdom	 row;

	(void)st;
	row.index = strtoll(PQgetvalue(r, i, 0), NULL, 10);
	row.fail = strtoll(PQgetvalue(r, i, 1), NULL, 10);
	row.other = strtoll(PQgetvalue(r, i, 2), NULL, 10);
	row.throttle = strtoll(PQgetvalue(r, i, 3), NULL, 10);
	return cb->textdom(&row, cb->arg);
}

/* Distinct domains of groups of diagnostic ids: see store_text_domains(). */
int
pg_text_domains(struct store *st, const struct store_range *rg, const char *ids,
    store_textdom_cb cb, void *arg)
{
	struct pg_cb	 c = { NULL, NULL, arg, rg, NULL, NULL, cb };
	char		 num[3][32], *hosts = store_range_hosts(rg);
	const char	*p[7];
	int		 rc;

	pg_range_params(rg, num, p);
	p[5] = hosts;
	p[6] = ids;
	rc = pg_rows(st, "WITH f (p, k, d, r) AS (SELECT"
	    " strpos($7, ',' || coalesce(diagnostic_id, 0) || '='),"
	    " coalesce(diagnostic_id, 0)::text, domain_id, reason_id FROM failure"
	    " WHERE id BETWEEN"
	    "  (SELECT min(first_id) FROM day_span WHERE day BETWEEN $1::date AND $2::date)"
	    "  AND (SELECT max(last_id) FROM day_span WHERE day BETWEEN $1::date AND $2::date)"
	    " AND time BETWEEN $3 AND $4 AND ($5::bigint = 0 OR domain_id = $5)"
	    " AND ($6::text IS NULL OR strpos($6, ',' || coalesce(host_id, 0) || ',') > 0)"
	    " AND class_id BETWEEN 0 AND 3 AND reason_id BETWEEN 0 AND 24),"
	    " g (g, d, r) AS (SELECT split_part(substr($7, p + length(k) + 2), ',', 1)::bigint,"
	    " d, r FROM f WHERE p > 0)"
	    " SELECT g, count(DISTINCT CASE WHEN r <> 21 THEN d END),"
	    " count(DISTINCT CASE WHEN r = 24 THEN d END),"
	    " count(DISTINCT CASE WHEN r = 21 THEN d END)"
	    " FROM g GROUP BY g", 7, p, pg_textdom, &c, "text domains");
	free(hosts);
	return rc;
}
