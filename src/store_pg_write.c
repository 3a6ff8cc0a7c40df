/*
 * store_pg_write.c -- the PostgreSQL backend's writer operations.  Few
 * round trips: failure rows take their ids from blocks of failure_id_seq
 * and go to the server by COPY; interned values (their id a hash of the
 * text), counters, day spans and unrecognised replies are merged in
 * memory and written once, at commit, in a fixed order of tables and of
 * keys (names, daily, day_span, unrecognised), so that writers never wait
 * on each other in a cycle.  Pending deferrals: store_pg_pending.c.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_pg.h"
#include "util.h"

#define PG_KNOWN_MAX	(1 << 20)	/* interned ids remembered as stored */

/* ---- COPY ---- */

int
pg_copy(struct store *st, const char *sql, struct pgbuf *b, const char *what)
{
	PGconn		*c = PG(st)->c;
	PGresult	*r;
	int		 rc = 0;

	if (b->n == 0)
		return 0;
	r = PQexec(c, sql);
	if (r == NULL || PQresultStatus(r) != PGRES_COPY_IN) {
		pg_fail(st, c, r, what);
		PQclear(r);
		return -1;
	}
	PQclear(r);
	if (PQputCopyData(c, b->p, (int)b->n) != 1 || PQputCopyEnd(c, NULL) != 1)
		rc = pg_fail(st, c, NULL, what);
	while ((r = PQgetResult(c)) != NULL) {
		if (rc == 0 && PQresultStatus(r) != PGRES_COMMAND_OK)
			rc = pg_fail(st, c, r, what);
		PQclear(r);
	}
	b->n = 0;
	return rc;
}

static void
pg_copy_id(struct pgbuf *b, int64_t id, char sep)
{
	if (id == 0)
		pg_buf_printf(b, "\\N%c", sep);
	else
		pg_buf_printf(b, "%lld%c", (long long)id, sep);
}

static void
pg_copy_span(struct pgbuf *b, struct span s, size_t max, char sep)
{
	if (s.p == NULL)
		pg_buf_add(b, "\\N", 2);
	else
		pg_buf_text(b, s.p, s.n < max ? s.n : max, 1);
	pg_buf_add(b, &sep, 1);
}

/* A day key (the line's local day, from parse): "YYYY-MM-DD", static. */
static const char *
pg_day(int32_t day)
{
	static char	 buf[16];

	store_day_text(day, buf);
	return buf;
}

/* A row of frows: its id, domain and where its line starts. */
static void
pg_frow_note(struct pg *pg, int64_t id, int64_t domain, size_t off)
{
	if (pg->nfr == pg->frcap) {
		pg->frcap = pg->frcap == 0 ? 1024 : pg->frcap * 2;
		pg->fr = xrealloc(pg->fr, pg->frcap * sizeof(*pg->fr));
	}
	pg->fr[pg->nfr].id = id;
	pg->fr[pg->nfr].domain = domain;
	pg->fr[pg->nfr].off = off;
	pg->nfr++;
}

static int
pg_flush_failures(struct store *st)
{
	PG(st)->frows_first = 0;
	PG(st)->nfr = 0;
	return pg_copy(st, "COPY failure (id, time, source_id, \"offset\", host_id,"
	    " queue_id, local, domain_id, relay_id, status_id, class_id, reason_id,"
	    " reply_id, diagnostic_id, rule_id, arg1, arg2, arg3, instance_id, detail, day)"
	    " FROM STDIN",
	    &PG(st)->frows, "failure rows");
}

/* ---- interned names ---- */

/*
 * A value's id is a hash of its stored text, known without a round trip;
 * the values new to this batch are staged and inserted at commit, before
 * every other shared table, each table in id order.
 */
static int64_t
pg_text_id(const char *s, size_t n)
{
	return (int64_t)(hash_bytes(s, n) & INT64_MAX) | 1;
}

static void
pg_stage_name(struct pg *pg, enum store_intern which, int64_t id,
    const struct pgbuf *name, const struct pgbuf *extra, int code)
{
	struct pgbuf	*b = &pg->names;
	int		 isnew;

	if (hash_find(&pg->known, (uint64_t)id, (uint64_t)which) != 0)
		return;
	*hash_slot(&pg->namemap, (uint64_t)id, (uint64_t)which, &isnew) = 1;
	if (!isnew)
		return;
	pg_buf_printf(b, "%d\t%lld\t", (int)which, (long long)id);
	pg_buf_text(b, name->p, name->n, 1);
	pg_buf_add(b, "\t", 1);
	if (extra != NULL)
		pg_buf_text(b, extra->p, extra->n, 1);
	else
		pg_buf_add(b, "\\N", 2);
	pg_buf_printf(b, "\t%d\n", code);
}

/* A name cut to PG_NAME_MAX bytes, at a character boundary. */
static void
pg_name_text(struct pgbuf *b, const char *s, size_t n, size_t max)
{
	b->n = 0;
	pg_buf_text(b, s != NULL ? s : "", s != NULL ? n : 0, 0);
	if (b->n > max) {
		b->n = max;
		while (b->n > 0 && ((unsigned char)b->p[b->n] & 0xc0) == 0x80)
			b->n--;
		b->p[b->n] = '\0';
	}
}

int64_t
pg_intern(struct store *st, enum store_intern which, const char *s, size_t n,
    const char *normalized, uint64_t hash)
{
	struct pg	*pg = PG(st);
	int64_t		 id;

	(void)hash;
	pg_name_text(&pg->tmp, s, n, which == I_DIAG ? SIZE_MAX / 4 : PG_NAME_MAX);
	id = pg_text_id(pg->tmp.p, pg->tmp.n);
	if (which == I_DIAG) {
		pg_name_text(&pg->tmp2, normalized, normalized != NULL ?
		    strlen(normalized) : 0, SIZE_MAX / 4);
		pg_stage_name(pg, which, id, &pg->tmp, &pg->tmp2, 0);
	} else
		pg_stage_name(pg, which, id, &pg->tmp, NULL, 0);
	return id;
}

int64_t
pg_reply(struct store *st, int code, struct span dsn, struct span stage)
{
	struct pg	*pg = PG(st);
	struct pgbuf	 key = { NULL, 0, 0 };
	int64_t		 id;

	pg_name_text(&pg->tmp, dsn.p, dsn.n, PG_NAME_MAX);
	pg_name_text(&pg->tmp2, stage.p, stage.n, PG_NAME_MAX);
	pg_buf_printf(&key, "%d\x1f%s\x1f%s", code, pg->tmp.p, pg->tmp2.p);
	id = pg_text_id(key.p, key.n);
	free(key.p);
	pg_stage_name(pg, I_REPLY, id, &pg->tmp, &pg->tmp2, code);
	return id;
}

static int
pg_flush_names(struct store *st)
{
	struct pg	*pg = PG(st);
	PGresult	*r;
	long long	 bad;

	if (pg->names.n == 0)
		return 0;
	if (pg_copy(st, "COPY bw_name FROM STDIN", &pg->names, "names") == -1)
		return -1;
	pg->sql.n = 0;
	pg_buf_printf(&pg->sql,
	    "INSERT INTO domain (id, name) SELECT id, name FROM bw_name WHERE kind = %d"
	    " ORDER BY id ON CONFLICT DO NOTHING;"
	    "INSERT INTO relay (id, name) SELECT id, name FROM bw_name WHERE kind = %d"
	    " ORDER BY id ON CONFLICT DO NOTHING;"
	    "INSERT INTO host (id, name) SELECT id, name FROM bw_name WHERE kind = %d"
	    " ORDER BY id ON CONFLICT DO NOTHING;"
	    "INSERT INTO rule (id, name) SELECT id, name FROM bw_name WHERE kind = %d"
	    " ORDER BY id ON CONFLICT DO NOTHING;"
	    "INSERT INTO instance (id, name) SELECT id, name FROM bw_name WHERE kind = %d"
	    " ORDER BY id ON CONFLICT DO NOTHING;"
	    "INSERT INTO reply (id, code, dsn, stage) SELECT id, code, name, extra"
	    " FROM bw_name WHERE kind = %d ORDER BY id ON CONFLICT DO NOTHING;"
	    "INSERT INTO diagnostic (id, hash, template, normalized)"
	    " SELECT id, id, name, extra FROM bw_name WHERE kind = %d"
	    " ORDER BY id ON CONFLICT DO NOTHING;"
	    /* two values with one id (a hash collision) would merge: refuse */
	    "SELECT (SELECT count(*) FROM bw_name s JOIN domain t USING (id)"
	    "  WHERE s.kind = %d AND t.name <> s.name)"
	    " + (SELECT count(*) FROM bw_name s JOIN relay t USING (id)"
	    "  WHERE s.kind = %d AND t.name <> s.name)"
	    " + (SELECT count(*) FROM bw_name s JOIN host t USING (id)"
	    "  WHERE s.kind = %d AND t.name <> s.name)"
	    " + (SELECT count(*) FROM bw_name s JOIN rule t USING (id)"
	    "  WHERE s.kind = %d AND t.name <> s.name)"
	    " + (SELECT count(*) FROM bw_name s JOIN instance t USING (id)"
	    "  WHERE s.kind = %d AND t.name <> s.name)"
	    " + (SELECT count(*) FROM bw_name s JOIN reply t USING (id)"
	    "  WHERE s.kind = %d AND (t.code, t.dsn, t.stage) <> (s.code, s.name, s.extra))"
	    " + (SELECT count(*) FROM bw_name s JOIN diagnostic t USING (id)"
	    "  WHERE s.kind = %d AND t.template <> s.name)",
	    I_DOMAIN, I_RELAY, I_HOST, I_RULE, I_INSTANCE, I_REPLY, I_DIAG,
	    I_DOMAIN, I_RELAY, I_HOST, I_RULE, I_INSTANCE, I_REPLY, I_DIAG);
	r = PQexec(pg->c, pg->sql.p);
	if (r == NULL || PQresultStatus(r) != PGRES_TUPLES_OK) {
		pg_fail(st, pg->c, r, "names");
		PQclear(r);
		return -1;
	}
	bad = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	if (bad != 0)
		return store_fail(st, STORE_EOTHER, "postgresql: %lld interned values "
		    "share an id with another value (a hash collision)", bad);
	return 0;
}

/* ---- failure rows ---- */

/* The next failure id: blocks of the sequence's increment. */
static int64_t
pg_next_id(struct store *st)
{
	struct pg	*pg = PG(st);
	PGresult	*r;
	int64_t		 v;

	if (pg->id_next < pg->id_end)
		return pg->id_next++;
	if ((r = pg_exec(st, pg->c, "SELECT nextval('failure_id_seq'), increment_by"
	    " FROM pg_sequences WHERE sequencename = 'failure_id_seq'"
	    " AND schemaname = current_schema()", 0, NULL, NULL, NULL,
	    PGRES_TUPLES_OK, "failure ids")) == NULL)
		return -1;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return store_fail(st, STORE_ENOTDB, "postgresql: no failure_id_seq");
	}
	v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	pg->id_end = v + strtoll(PQgetvalue(r, 0, 1), NULL, 10);
	PQclear(r);
	pg->id_next = v + 1;
	return v;
}

int64_t
pg_failure_add(struct store *st, const struct store_frow *f)
{
	struct pg	*pg = PG(st);
	struct pgbuf	*b = &pg->frows;
	int64_t		 id;
	int		 k;

	if ((id = pg_next_id(st)) < 0)
		return -1;
	if (pg->frows_first == 0)
		pg->frows_first = id;
	pg_frow_note(pg, id, f->domain_id, b->n);
	pg_buf_printf(b, "%lld\t%lld\t", (long long)id, (long long)f->time);
	if (f->source_id > 0)
		pg_buf_printf(b, "%lld\t%llu\t", (long long)f->source_id,
		    (unsigned long long)f->offset);
	else
		pg_buf_add(b, "\\N\t\\N\t", 6);
	pg_copy_id(b, f->host_id, '\t');
	pg_copy_span(b, f->queue_id, PG_QID_MAX, '\t');
	pg_copy_span(b, f->local, PG_NAME_MAX, '\t');
	pg_buf_printf(b, "%lld\t", (long long)f->domain_id);
	pg_copy_id(b, f->relay_id, '\t');
	pg_buf_printf(b, "%d\t%d\t%d\t%lld\t", f->status_id, f->cls, f->reason,
	    (long long)f->reply_id);
	pg_copy_id(b, f->diag_id, '\t');
	pg_copy_id(b, f->rule_id, '\t');
	for (k = 0; k < DIAG_ARGS; k++) {
		struct span	 a = f->diag_id != 0 ? f->args.arg[k] : (struct span){ NULL, 0 };

		pg_copy_span(b, a, PG_NAME_MAX, '\t');
	}
	pg_copy_id(b, f->instance_id, '\t');
	if (f->detail != NULL)
		pg_buf_text(b, f->detail, strlen(f->detail), 1);
	else
		pg_buf_add(b, "\\N", 2);
	pg_buf_printf(b, "\t%s\n", pg_day(f->day));
	if (b->n >= PG_COPY_FLUSH && pg_flush_failures(st) == -1)
		return -1;
	return id;
}

/* ---- counters, spans, unrecognised replies: merged until commit ---- */

int
pg_daily_add(struct store *st, const struct store_counter *c, size_t n)
{
	struct pg	*pg = PG(st);
	size_t		 i;

	/* merged at commit, sorted */
	for (i = 0; i < n; i++) {
		if (pg->ncnt == pg->cntcap) {
			pg->cntcap = pg->cntcap == 0 ? 4096 : pg->cntcap * 2;
			pg->cnt = xrealloc(pg->cnt, pg->cntcap * sizeof(*pg->cnt));
		}
		pg->cnt[pg->ncnt++] = c[i];
	}
	return 0;
}

int
pg_spans_add(struct store *st, const struct store_dayspan *s, size_t n)
{
	struct pg	*pg = PG(st);
	size_t		 i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < pg->nspans; j++)
			if (pg->spans[j].day == s[i].day)
				break;
		if (j < pg->nspans) {
			if (s[i].first < pg->spans[j].first)
				pg->spans[j].first = s[i].first;
			if (s[i].last > pg->spans[j].last)
				pg->spans[j].last = s[i].last;
			continue;
		}
		if (pg->nspans == pg->spancap) {
			pg->spancap = pg->spancap == 0 ? 64 : pg->spancap * 2;
			pg->spans = xrealloc(pg->spans, pg->spancap * sizeof(*pg->spans));
		}
		pg->spans[pg->nspans++] = s[i];
	}
	return 0;
}

int
pg_unrecognised_add(struct store *st, const char *normalized, int64_t time,
    struct span example, const char *domain)
{
	struct pg	*pg = PG(st);
	struct pg_unrec	*u;
	size_t		 len = strlen(normalized), *v;
	int		 isnew;

	v = hash_slot(&pg->unrecmap, hash_bytes(normalized, len), len, &isnew);
	if (!isnew && strcmp(pg->unrec[*v - 1].norm, normalized) == 0) {
		u = &pg->unrec[*v - 1];
		u->n++;
		if (time < u->first)
			u->first = time;
		if (time > u->last)
			u->last = time;
		return 0;
	}
	/* new, or (a 64-bit collision) a row of its own */
	if (pg->nunrec == pg->unreccap) {
		pg->unreccap = pg->unreccap == 0 ? 64 : pg->unreccap * 2;
		pg->unrec = xrealloc(pg->unrec, pg->unreccap * sizeof(*pg->unrec));
	}
	u = &pg->unrec[pg->nunrec++];
	if (isnew)
		*v = pg->nunrec;
	u->norm = xstrdup(normalized);
	u->example = xmalloc(example.n + 1);
	memcpy(u->example, example.p != NULL ? example.p : "", example.n);
	u->example[example.n] = '\0';
	u->domain = domain != NULL ? xstrdup(domain) : NULL;
	u->n = 1;
	u->first = u->last = time;
	return 0;
}

static int
pg_counter_cmp(const void *a, const void *b)
{
	const struct store_counter	*x = a, *y = b;

	if (x->day != y->day)
		return x->day < y->day ? -1 : 1;
	if (x->domain_id != y->domain_id)
		return x->domain_id < y->domain_id ? -1 : 1;
	if (x->cls != y->cls)
		return x->cls < y->cls ? -1 : 1;
	if (x->reason != y->reason)
		return x->reason < y->reason ? -1 : 1;
	if (x->host_id != y->host_id)
		return x->host_id < y->host_id ? -1 : 1;
	return x->instance_id < y->instance_id ? -1 : x->instance_id > y->instance_id;
}

static int
pg_span_cmp(const void *a, const void *b)
{
	const struct store_dayspan	*x = a, *y = b;

	return x->day < y->day ? -1 : x->day > y->day;
}

static int
pg_flush_daily(struct store *st)
{
	struct pg		*pg = PG(st);
	struct store_counter	*c;
	char			 day[16];
	size_t			 i, j;

	if (pg->ncnt == 0)
		return 0;
	/* sorted, one row per key: the lock order of every writer */
	qsort(pg->cnt, pg->ncnt, sizeof(*pg->cnt), pg_counter_cmp);
	pg->sql.n = 0;
	for (i = 0; i < pg->ncnt; i = j) {
		c = &pg->cnt[i];
		for (j = i + 1; j < pg->ncnt && pg_counter_cmp(c, &pg->cnt[j]) == 0; j++)
			c->n += pg->cnt[j].n;
		store_day_text(c->day, day);
		pg_buf_printf(&pg->sql, "%s\t%lld\t%d\t%d\t%lld\t%lld\t%lld\n", day,
		    (long long)c->domain_id, c->cls, c->reason, (long long)c->host_id,
		    (long long)c->instance_id, (long long)c->n);
	}
	if (pg_copy(st, "COPY bw_daily FROM STDIN", &pg->sql, "daily counters") == -1)
		return -1;
	return pg_cmd(st, pg->c, "INSERT INTO daily (day, domain_id, class_id, reason_id,"
	    " host_id, instance_id, n) SELECT day, domain_id, class_id, reason_id,"
	    " host_id, instance_id, n FROM bw_daily"
	    " ORDER BY day, domain_id, class_id, reason_id, host_id, instance_id"
	    " ON CONFLICT (day, domain_id, class_id, reason_id, host_id, instance_id)"
	    " DO UPDATE SET n = daily.n + excluded.n", "daily counters");
}

/* The batch's counters now, not at commit (reclassify's tidy follows). */
int
pg_flush_counters(struct store *st)
{
	struct pg	*pg = PG(st);

	if (pg_flush_daily(st) == -1)
		return -1;
	pg->ncnt = 0;
	return pg_cmd(st, pg->c, "DELETE FROM bw_daily", "daily counters");
}

static int
pg_flush_spans(struct store *st)
{
	struct pg	*pg = PG(st);
	char		 day[16];
	size_t		 i;

	if (pg->nspans == 0)
		return 0;
	qsort(pg->spans, pg->nspans, sizeof(*pg->spans), pg_span_cmp);
	pg->sql.n = 0;
	pg_buf_printf(&pg->sql, "INSERT INTO day_span (day, first_id, last_id) VALUES ");
	for (i = 0; i < pg->nspans; i++) {
		store_day_text(pg->spans[i].day, day);
		pg_buf_printf(&pg->sql, "%s('%s', %lld, %lld)", i > 0 ? ", " : "", day,
		    (long long)pg->spans[i].first, (long long)pg->spans[i].last);
	}
	/* the day's rows changed: its summary, if any, is stale */
	pg_buf_printf(&pg->sql, " ON CONFLICT (day) DO UPDATE SET"
	    " first_id = least(day_span.first_id, excluded.first_id),"
	    " last_id = greatest(day_span.last_id, excluded.last_id),"
	    " gen = day_span.gen + 1");
	return pg_cmd(st, pg->c, pg->sql.p, "day spans");
}

static int
pg_flush_unrecognised(struct store *st)
{
	struct pg	*pg = PG(st);
	struct pg_unrec	*u;
	size_t		 i;

	if (pg->nunrec == 0)
		return 0;
	pg->sql.n = 0;
	for (i = 0; i < pg->nunrec; i++) {
		u = &pg->unrec[i];
		pg_buf_text(&pg->sql, u->norm, strlen(u->norm), 1);
		pg_buf_printf(&pg->sql, "\t%lld\t%lld\t%lld\t", (long long)u->n,
		    (long long)u->first, (long long)u->last);
		pg_buf_text(&pg->sql, u->example, strlen(u->example), 1);
		pg_buf_add(&pg->sql, "\t", 1);
		if (u->domain != NULL)
			pg_buf_text(&pg->sql, u->domain, strlen(u->domain), 1);
		else
			pg_buf_add(&pg->sql, "\\N", 2);
		pg_buf_add(&pg->sql, "\n", 1);
	}
	if (pg_copy(st, "COPY bw_unrec FROM STDIN", &pg->sql, "unrecognised") == -1)
		return -1;
	/* two texts of the batch may have become one by their bytes' repair */
	return pg_cmd(st, pg->c, "INSERT INTO unrecognised (normalized, n, first_seen,"
	    " last_seen, example, example_domain)"
	    " SELECT normalized, sum(n), min(first_seen), max(last_seen),"
	    " (array_agg(example))[1], (array_agg(example_domain))[1]"
	    " FROM bw_unrec GROUP BY normalized ORDER BY md5(normalized)"
	    " ON CONFLICT ((md5(normalized))) DO UPDATE SET n = unrecognised.n + excluded.n,"
	    " first_seen = least(unrecognised.first_seen, excluded.first_seen),"
	    " last_seen = greatest(unrecognised.last_seen, excluded.last_seen)",
	    "unrecognised");
}

int
pg_linestats_add(struct store *st, int64_t source_id, const int64_t *by_kind)
{
	struct pg	*pg = PG(st);
	int		 k, n = 0;

	pg->sql.n = 0;
	pg_buf_printf(&pg->sql, "INSERT INTO line_stats (source_id, kind, n) VALUES ");
	for (k = 0; k < LINE_KIND_MAX; k++) {
		if (by_kind[k] == 0)
			continue;
		pg_buf_printf(&pg->sql, "%s(%lld, '%s', %lld)", n++ > 0 ? ", " : "",
		    (long long)source_id, parse_kind_name((enum line_kind)k),
		    (long long)by_kind[k]);
	}
	if (n == 0 || source_id <= 0)
		return 0;
	pg_buf_printf(&pg->sql, " ON CONFLICT (source_id, kind) DO UPDATE"
	    " SET n = line_stats.n + excluded.n");
	return pg_cmd(st, pg->c, pg->sql.p, "line stats");
}

/*
 * The expiry of a row still in frows (ids rise within a writer, so they
 * are in order there): its line again with the expiry's fields.
 */
static int
pg_expire_buffered(struct store *st, int64_t failure_id,
    const struct store_expiry *e, int64_t *row, int64_t *domain)
{
	struct pg	*pg = PG(st);
	struct pgbuf	*b = &pg->frows;
	size_t		 lo = 0, hi = pg->nfr, k, len, f;
	const char	*p, *end;
	int64_t		 id;

	while (lo < hi) {
		k = (lo + hi) / 2;
		if (pg->fr[k].id < failure_id)
			lo = k + 1;
		else
			hi = k;
	}
	if (lo == pg->nfr || pg->fr[lo].id != failure_id)
		return 0;
	k = lo;
	if ((id = pg_next_id(st)) < 0)
		return -1;
	/* the line, copied: appending may move the buffer */
	p = b->p + pg->fr[k].off;
	end = memchr(p, '\n', b->n - pg->fr[k].off);
	len = (size_t)(end - p);
	pg->tmp.n = 0;
	pg_buf_add(&pg->tmp, p, len);
	*domain = pg->fr[k].domain;
	pg_frow_note(pg, id, *domain, b->n);
	p = pg->tmp.p;
	for (f = 0; f < 21; f++) {
		const char	*q = memchr(p, '\t', (size_t)(pg->tmp.p + len - p));

		if (q == NULL)
			q = pg->tmp.p + len;
		switch (f) {
		case 0: pg_buf_printf(b, "%lld", (long long)id); break;
		case 1: pg_buf_printf(b, "%lld", (long long)e->time); break;
		case 2:
		case 3:
			if (e->source_id <= 0)
				pg_buf_add(b, "\\N", 2);
			else
				pg_buf_printf(b, "%lld", f == 2 ? (long long)e->source_id :
				    (long long)e->offset);
			break;
		case 4:
			if (e->host_id == 0)
				pg_buf_add(b, "\\N", 2);
			else
				pg_buf_printf(b, "%lld", (long long)e->host_id);
			break;
		case 9: pg_buf_add(b, "5", 1); break;
		case 10: pg_buf_printf(b, "%d", e->cls); break;
		case 11: pg_buf_printf(b, "%d", e->reason); break;
		case 14: pg_buf_printf(b, "%lld", (long long)e->rule_id); break;
		case 19: pg_buf_add(b, "\\N", 2); break;	/* no detail */
		case 20: pg_buf_add(b, pg_day(e->day), 10); break;
		case 18:
			if (e->instance_id == 0)
				pg_buf_add(b, "\\N", 2);
			else
				pg_buf_printf(b, "%lld", (long long)e->instance_id);
			break;
		default: pg_buf_add(b, p, (size_t)(q - p)); break;
		}
		pg_buf_add(b, f == 20 ? "\n" : "\t", 1);
		p = q + 1;
	}
	*row = id;
	return 1;
}

int
pg_expire_copy(struct store *st, int64_t failure_id, const struct store_expiry *e,
    int64_t *row, int64_t *domain)
{
	struct pg	*pg = PG(st);
	char		 num[11][32];
	const char	*v[11];
	PGresult	*r;
	int64_t		 id;
	int		 found, i;

	/* a row of this batch not yet sent is copied where it is */
	if (pg->frows_first != 0 && failure_id >= pg->frows_first)
		return pg_expire_buffered(st, failure_id, e, row, domain);
	if ((id = pg_next_id(st)) < 0)
		return -1;
	snprintf(num[0], 32, "%lld", (long long)id);
	snprintf(num[1], 32, "%lld", (long long)e->time);
	snprintf(num[2], 32, "%lld", (long long)e->source_id);
	snprintf(num[3], 32, "%llu", (unsigned long long)e->offset);
	snprintf(num[4], 32, "%lld", (long long)e->host_id);
	snprintf(num[5], 32, "%d", e->cls);
	snprintf(num[6], 32, "%d", e->reason);
	snprintf(num[7], 32, "%lld", (long long)e->rule_id);
	snprintf(num[8], 32, "%lld", (long long)failure_id);
	snprintf(num[9], 32, "%lld", (long long)e->instance_id);
	snprintf(num[10], 32, "%s", pg_day(e->day));
	for (i = 0; i < 11; i++)
		v[i] = num[i];
	if (e->source_id <= 0)
		v[2] = v[3] = NULL;
	if (e->host_id == 0)
		v[4] = NULL;
	if (e->instance_id == 0)
		v[9] = NULL;
	if ((r = pg_exec(st, pg->c, "INSERT INTO failure (id, time, source_id, \"offset\","
	    " host_id, queue_id, local, domain_id, relay_id, status_id, class_id,"
	    " reason_id, reply_id, diagnostic_id, rule_id, arg1, arg2, arg3, instance_id,"
	    " day) SELECT $1, $2, $3, $4, $5, queue_id, local, domain_id, relay_id, 5, $6,"
	    " $7, reply_id, diagnostic_id, $8, arg1, arg2, arg3, $10, $11::date"
	    " FROM failure WHERE id = $9 RETURNING id, domain_id", 11, v, NULL, NULL, PGRES_TUPLES_OK,
	    "expired")) == NULL)
		return -1;
	found = PQntuples(r) == 1;
	if (found) {
		*row = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		*domain = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
	}
	PQclear(r);
	return found;
}

/* ---- the batch ---- */

/*
 * After a commit, the batch's new values are known to be in the tables:
 * not staged again (a bounded memory: forgotten when it grows large).
 */
void
pg_write_committed(struct pg *pg)
{
	size_t	 i;
	int	 isnew;

	if (pg->known.n + pg->namemap.n > PG_KNOWN_MAX)
		hash_clear(&pg->known);
	for (i = 0; i < pg->namemap.cap; i++)
		if (pg->namemap.slot[i].v != 0)
			*hash_slot(&pg->known, pg->namemap.slot[i].a,
			    pg->namemap.slot[i].b, &isnew) = 1;
}

int
pg_write_flush(struct store *st)
{
	if (pg_flush_names(st) == -1 || pg_flush_failures(st) == -1 || pg_flush_pending(st) == -1 ||
	    pg_flush_daily(st) == -1 || pg_flush_spans(st) == -1 ||
	    pg_summary_flush(st) == -1 ||
	    pg_flush_unrecognised(st) == -1 || pg_flush_suppress(st) == -1 ||
	    pg_flush_hours(st) == -1)
		return -1;
	return 0;
}

void
pg_write_drop(struct pg *pg)
{
	size_t	 i;

	pg->names.n = 0;
	hash_clear(&pg->namemap);
	pg->frows.n = 0;
	pg->frows_first = 0;
	pg->nfr = 0;
	pg_pop_drop(pg);
	pg_sop_drop(pg);
	pg->ncnt = 0;
	pg->nspans = 0;
	pg->reclass[0][0] = '\0';
	for (i = 0; i < pg->nunrec; i++) {
		free(pg->unrec[i].norm);
		free(pg->unrec[i].example);
		free(pg->unrec[i].domain);
	}
	pg->nunrec = 0;
	hash_clear(&pg->unrecmap);
	pg_hours_drop(pg);
}

void
pg_write_free(struct pg *pg)
{
	pg_write_drop(pg);
	free(pg->names.p);
	hash_free(&pg->namemap);
	hash_free(&pg->known);
	free(pg->pop);
	free(pg->sop);
	hash_free(&pg->popmap);
	hash_free(&pg->pqids);
	free(pg->frows.p);
	free(pg->fr);
	free(pg->cnt);
	free(pg->spans);
	free(pg->unrec);
	hash_free(&pg->unrecmap);
	pg_hours_free(pg);
}
