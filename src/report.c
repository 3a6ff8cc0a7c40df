/*
 * report.c -- the daily summary: loading it from the database, and the
 * machine formats (JSON, CSV).  See report.h for what is counted and the
 * JSON keys; report_text.c and report_html.c render it for people.
 *
 * Loading reads the per-day counters of the range and of the 7 days
 * before it, then the failure rows of the range once, in rowid order
 * (day_span bounds the rowids of each day, so no index is needed), and
 * aggregates in memory: texts, hours, relays.  Every statement is
 * prepared; nothing from the database or the user is ever spliced into SQL.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "cli.h"
#include "report.h"
#include "tz.h"
#include "util.h"

/* ---- a small open-addressing map: (a, b) -> index ---- */

struct report_map {
	uint64_t	*ka;
	uint64_t	*kb;
	size_t		*v;		/* index + 1; 0: empty slot */
	size_t		 cap;
	size_t		 n;
};

static uint64_t
report_mix(uint64_t a, uint64_t b)
{
	uint64_t	 x = a * 0x9e3779b97f4a7c15ULL ^ (b + 0x632be59bd9b4e019ULL);

	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static void
report_map_free(struct report_map *m)
{
	free(m->ka);
	free(m->kb);
	free(m->v);
	memset(m, 0, sizeof(*m));
}

static void
report_map_grow(struct report_map *m)
{
	struct report_map	 o = *m;
	size_t			 i, j;

	m->cap = o.cap == 0 ? 1024 : o.cap * 2;
	m->ka = xcalloc(m->cap, sizeof(*m->ka));
	m->kb = xcalloc(m->cap, sizeof(*m->kb));
	m->v = xcalloc(m->cap, sizeof(*m->v));
	for (i = 0; i < o.cap; i++) {
		if (o.v[i] == 0)
			continue;
		j = report_mix(o.ka[i], o.kb[i]) & (m->cap - 1);
		while (m->v[j] != 0)
			j = (j + 1) & (m->cap - 1);
		m->ka[j] = o.ka[i];
		m->kb[j] = o.kb[i];
		m->v[j] = o.v[i];
	}
	free(o.ka);
	free(o.kb);
	free(o.v);
}

/* The value slot of (a, b), created (0) when new; *isnew says which. */
static size_t *
report_map_slot(struct report_map *m, uint64_t a, uint64_t b, int *isnew)
{
	size_t	 j;

	if ((m->n + 1) * 2 > m->cap)
		report_map_grow(m);
	j = report_mix(a, b) & (m->cap - 1);
	while (m->v[j] != 0) {
		if (m->ka[j] == a && m->kb[j] == b) {
			*isnew = 0;
			return &m->v[j];
		}
		j = (j + 1) & (m->cap - 1);
	}
	m->ka[j] = a;
	m->kb[j] = b;
	m->n++;
	*isnew = 1;
	return &m->v[j];
}

/* The value of (a, b), 0 when absent. */
static size_t
report_map_find(const struct report_map *m, uint64_t a, uint64_t b)
{
	size_t	 j;

	if (m->cap == 0)
		return 0;
	j = report_mix(a, b) & (m->cap - 1);
	while (m->v[j] != 0) {
		if (m->ka[j] == a && m->kb[j] == b)
			return m->v[j];
		j = (j + 1) & (m->cap - 1);
	}
	return 0;
}

/*
 * Row ids are small dense integers in practice: a plain array indexed by
 * id is much faster than hashing a million times.  Ids too large for it
 * fall back to the map.
 */
#define REPORT_DENSE_MAX	(1 << 24)

struct report_ids {
	size_t			*v;		/* index + 1; 0: not seen */
	size_t			 n;
	struct report_map	 sparse;
};

static size_t *
report_ids_slot(struct report_ids *t, int64_t id, int *isnew)
{
	size_t	 n;

	if (id < 0 || id >= REPORT_DENSE_MAX)
		return report_map_slot(&t->sparse, (uint64_t)id, 0, isnew);
	if ((size_t)id >= t->n) {
		n = t->n == 0 ? 4096 : t->n;
		while (n <= (size_t)id)
			n *= 2;
		t->v = xrealloc(t->v, n * sizeof(*t->v));
		memset(t->v + t->n, 0, (n - t->n) * sizeof(*t->v));
		t->n = n;
	}
	*isnew = t->v[id] == 0;
	return &t->v[id];
}

static void
report_ids_free(struct report_ids *t)
{
	free(t->v);
	report_map_free(&t->sparse);
	memset(t, 0, sizeof(*t));
}

/* ---- counting ---- */

/* qsort(), but never with a NULL base (empty arrays are NULL here). */
static void
report_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

static void
report_add_cr(struct report_domain *d, int cls, int reason, int64_t n)
{
	size_t	 i;

	for (i = 0; i < d->ncr; i++)
		if (d->cr[i].cls == cls && d->cr[i].reason == reason) {
			d->cr[i].n += n;
			return;
		}
	d->cr = xrealloc(d->cr, (d->ncr + 1) * sizeof(*d->cr));
	d->cr[d->ncr].cls = cls;
	d->cr[d->ncr].reason = reason;
	d->cr[d->ncr].n = n;
	d->ncr++;
}

static void
report_add(struct report_domain *d, int cls, int reason, int64_t n, int detail)
{
	if (cls < 0 || cls >= CLASS_MAX || reason < 0 || reason >= REASON_MAX)
		return;
	if (reason == REASON_LOCAL_THROTTLE) {
		/* our own MTA deferring on purpose: not the remote domain's failure */
		d->local_throttle += n;
		return;
	}
	d->cls[cls] += n;
	d->attempts += n;
	if (classify_is_failure((enum bw_class)cls)) {
		d->failures += n;
		d->reasons[reason] += n;
		if (detail)
			report_add_cr(d, cls, reason, n);
	}
}

double
report_pct(int64_t part, int64_t whole)
{
	return whole > 0 ? 100.0 * (double)part / (double)whole : 0.0;
}

int
report_top_reason(const struct report_domain *d)
{
	int	 i, best = -1;

	for (i = 1; i < REASON_MAX; i++)
		if (d->reasons[i] > 0 && (best == -1 || d->reasons[i] > d->reasons[best]))
			best = i;
	return best;
}

const char *
report_domain_label(const char *name)
{
	return name == NULL || *name == '\0' ? "(unknown)" : name;
}

int64_t
report_class_reason(const struct report_domain *d, int cls, int reason)
{
	size_t	 i;

	for (i = 0; i < d->ncr; i++)
		if (d->cr[i].cls == cls && d->cr[i].reason == reason)
			return d->cr[i].n;
	return 0;
}

int
report_empty(const struct report *r)
{
	return r->totals.attempts == 0 && r->totals.local_throttle == 0;
}

int
report_format_from_name(const char *s)
{
	if (strcmp(s, "text") == 0)
		return REPORT_TEXT;
	if (strcmp(s, "html") == 0)
		return REPORT_HTML;
	if (strcmp(s, "json") == 0)
		return REPORT_JSON;
	if (strcmp(s, "csv") == 0)
		return REPORT_CSV;
	return -1;
}

static int
report_cmp_domain(const void *a, const void *b)
{
	const struct report_domain	*x = a, *y = b;

	if (x->failures != y->failures)
		return x->failures < y->failures ? 1 : -1;
	if (x->attempts != y->attempts)
		return x->attempts < y->attempts ? 1 : -1;
	return strcmp(x->name, y->name);
}

static int
report_cmp_cr(const void *a, const void *b)
{
	const struct report_cr	*x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	if (x->reason != y->reason)
		return x->reason < y->reason ? -1 : 1;
	return x->cls < y->cls ? -1 : x->cls > y->cls;
}

static int
report_cmp_day(const void *a, const void *b)
{
	const struct report_day	*x = a, *y = b;

	return strcmp(x->day, y->day);
}

/* ---- the load ---- */

enum {
	K_FAIL,			/* a failure of the remote side */
	K_OTHER,		/* ... that no rule recognised */
	K_THROTTLE,		/* local_throttle */
	K_MAX
};

/* Failure rows aggregated by normalised text. */
struct report_group {
	char		*text;
	uint64_t	 hash;
	int64_t		 n[K_MAX];
	int64_t		 dom[K_MAX];
	int64_t		 rc[REASON_MAX];
	int64_t		 cc[CLASS_MAX];
	int64_t		 ex_id;		/* first unrecognised row */
};

struct report_rl {
	int64_t		 id;
	int64_t		 n;
	int64_t		 rc[REASON_MAX];
};

struct report_load {
	struct sqlite3		*db;
	struct report		*r;
	char			*err;
	size_t			 errlen;
	struct report_map	 dommap;	/* domain id -> r->domains */
	int64_t			*domid;		/* r->domains[i]'s id */
	struct report_ids	 diagmap;	/* diagnostic id -> group */
	struct report_map	 pairs;		/* (group, kind, domain) seen */
	struct report_ids	 relaymap;	/* relay id -> rl */
	struct report_group	*groups;
	size_t			 ngroups;
	size_t			*gtab;		/* text hash table: group + 1 */
	size_t			 gcap;
	struct report_rl	*rl;
	size_t			 nrl;
};

static int
report_sqlerr(struct report_load *L, const char *what)
{
	snprintf(L->err, L->errlen, "%s: %s", what, sqlite3_errmsg(L->db));
	return -1;
}

static int
report_prepare(struct report_load *L, const char *sql, sqlite3_stmt **q)
{
	if (sqlite3_prepare_v2(L->db, sql, -1, q, NULL) != SQLITE_OK) {
		*q = NULL;
		return report_sqlerr(L, "prepare");
	}
	return 0;
}

static void
report_day_add(char *out, const char *day, int64_t delta)
{
	tz_day_text(cli_parse_day(day) + delta, out);
}

static struct report_domain *
report_domain_slot(struct report_load *L, int64_t id)
{
	struct report	*r = L->r;
	size_t		*v;
	int		 isnew;

	v = report_map_slot(&L->dommap, (uint64_t)id, 0, &isnew);
	if (isnew) {
		r->domains = xrealloc(r->domains, (r->ndomains + 1) * sizeof(*r->domains));
		L->domid = xrealloc(L->domid, (r->ndomains + 1) * sizeof(*L->domid));
		memset(&r->domains[r->ndomains], 0, sizeof(*r->domains));
		L->domid[r->ndomains] = id;
		*v = ++r->ndomains;
	}
	return &r->domains[*v - 1];
}

static int
report_load_daily(struct report_load *L, int64_t filter)
{
	static const char sql[] =
	    "SELECT day, domain_id, class_id, reason_id, n FROM daily"
	    " WHERE day BETWEEN ?1 AND ?2 AND (?3 IS NULL OR domain_id = ?3)";
	struct report	*r = L->r;
	sqlite3_stmt	*q;
	int		 rc, cls, reason;
	int64_t		 n;
	const char	*day;
	struct report_day *dd = NULL;

	if (report_prepare(L, sql, &q) == -1)
		return -1;

	/* the range */
	sqlite3_bind_text(q, 1, r->from, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, r->to, -1, SQLITE_STATIC);
	if (filter != 0)
		sqlite3_bind_int64(q, 3, filter);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		day = (const char *)sqlite3_column_text(q, 0);
		cls = sqlite3_column_int(q, 2);
		reason = sqlite3_column_int(q, 3);
		n = sqlite3_column_int64(q, 4);
		if (day == NULL)
			continue;
		if (dd == NULL || strcmp(dd->day, day) != 0) {
			size_t	 i;

			for (i = 0, dd = NULL; i < r->ndays; i++)
				if (strcmp(r->days[i].day, day) == 0)
					dd = &r->days[i];
			if (dd == NULL) {
				r->days = xrealloc(r->days, (r->ndays + 1) * sizeof(*r->days));
				dd = &r->days[r->ndays++];
				memset(dd, 0, sizeof(*dd));
				snprintf(dd->day, sizeof(dd->day), "%s", day);
			}
		}
		report_add(&dd->c, cls, reason, n, 0);
		report_add(report_domain_slot(L, sqlite3_column_int64(q, 1)), cls, reason,
		    n, 1);
		report_add(&r->totals, cls, reason, n, 1);
	}
	if (rc != SQLITE_DONE) {
		sqlite3_finalize(q);
		return report_sqlerr(L, "daily counters");
	}
	report_sort(r->days, r->ndays, sizeof(*r->days), report_cmp_day);

	/* the days before, for "changes" */
	sqlite3_reset(q);
	sqlite3_bind_text(q, 1, r->prev_from, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, r->prev_to, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		size_t	 v;

		cls = sqlite3_column_int(q, 2);
		reason = sqlite3_column_int(q, 3);
		n = sqlite3_column_int64(q, 4);
		if (cls < 0 || cls >= CLASS_MAX || reason < 0 || reason >= REASON_MAX)
			continue;
		r->history = 1;
		if (reason == REASON_LOCAL_THROTTLE)
			continue;
		v = report_map_find(&L->dommap, (uint64_t)sqlite3_column_int64(q, 1), 0);
		if (v != 0) {
			r->domains[v - 1].prev_attempts += n;
			if (classify_is_failure((enum bw_class)cls))
				r->domains[v - 1].prev_failures += n;
		}
		if (classify_is_failure((enum bw_class)cls))
			r->prev_reasons[reason] += n;
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return report_sqlerr(L, "daily counters");
	return 0;
}

/* One text column of one row, by id: a malloc'd string, "" when absent. */
static char *
report_lookup(sqlite3_stmt *q, int64_t id, int col)
{
	const unsigned char	*s;
	char			*out;

	sqlite3_bind_int64(q, 1, id);
	if (sqlite3_step(q) == SQLITE_ROW &&
	    (s = sqlite3_column_text(q, col)) != NULL)
		out = xstrdup((const char *)s);
	else
		out = xstrdup("");
	sqlite3_reset(q);
	return out;
}

static int
report_load_names(struct report_load *L)
{
	struct report	*r = L->r;
	sqlite3_stmt	*q;
	size_t		 i;

	if (report_prepare(L, "SELECT name FROM domain WHERE id = ?1", &q) == -1)
		return -1;
	for (i = 0; i < r->ndomains; i++)
		r->domains[i].name = report_lookup(q, L->domid[i], 0);
	sqlite3_finalize(q);
	report_sort(r->domains, r->ndomains, sizeof(*r->domains), report_cmp_domain);
	for (i = 0; i < r->ndomains; i++)
		report_sort(r->domains[i].cr, r->domains[i].ncr, sizeof(*r->domains[i].cr),
		    report_cmp_cr);
	report_sort(r->totals.cr, r->totals.ncr, sizeof(*r->totals.cr), report_cmp_cr);
	return 0;
}

static uint64_t
report_hash_text(const char *s)
{
	uint64_t	 h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* The group of a normalised text (taken over), created when new. */
static size_t
report_group_of(struct report_load *L, char *text)
{
	uint64_t	 h = report_hash_text(text);
	size_t		 j, i;

	if ((L->ngroups + 1) * 2 > L->gcap) {
		size_t	 cap = L->gcap == 0 ? 256 : L->gcap * 2;

		free(L->gtab);
		L->gtab = xcalloc(cap, sizeof(*L->gtab));
		L->gcap = cap;
		for (i = 0; i < L->ngroups; i++) {
			j = L->groups[i].hash & (cap - 1);
			while (L->gtab[j] != 0)
				j = (j + 1) & (cap - 1);
			L->gtab[j] = i + 1;
		}
	}
	j = h & (L->gcap - 1);
	while (L->gtab[j] != 0) {
		struct report_group	*g = &L->groups[L->gtab[j] - 1];

		if (g->hash == h && strcmp(g->text, text) == 0) {
			free(text);
			return L->gtab[j] - 1;
		}
		j = (j + 1) & (L->gcap - 1);
	}
	L->groups = xrealloc(L->groups, (L->ngroups + 1) * sizeof(*L->groups));
	memset(&L->groups[L->ngroups], 0, sizeof(*L->groups));
	L->groups[L->ngroups].text = text;
	L->groups[L->ngroups].hash = h;
	L->gtab[j] = L->ngroups + 1;
	return L->ngroups++;
}

static void
report_group_count(struct report_load *L, size_t g, int kind, int64_t domain)
{
	size_t	*v;
	int	 isnew;

	L->groups[g].n[kind]++;
	v = report_map_slot(&L->pairs, (uint64_t)g * K_MAX + (uint64_t)kind,
	    (uint64_t)domain, &isnew);
	if (isnew) {
		*v = 1;
		L->groups[g].dom[kind]++;
	}
}

static int
report_load_failures(struct report_load *L, int64_t filter, int64_t t0,
    int64_t t1, struct tz *tz)
{
	static const char sql[] =
	    "SELECT f.id, f.time, f.domain_id, f.class_id, f.reason_id,"
	    "       f.diagnostic_id, f.relay_id"
	    "  FROM failure f"
	    " WHERE f.id BETWEEN"
	    "       (SELECT min(first_id) FROM day_span WHERE day BETWEEN ?1 AND ?2)"
	    "   AND (SELECT max(last_id) FROM day_span WHERE day BETWEEN ?1 AND ?2)"
	    "   AND f.time BETWEEN ?3 AND ?4"
	    "   AND (?5 IS NULL OR f.domain_id = ?5)";
	struct report	*r = L->r;
	sqlite3_stmt	*q, *dq;
	int		 rc;

	if (report_prepare(L, sql, &q) == -1)
		return -1;
	if (report_prepare(L, "SELECT normalized FROM diagnostic WHERE id = ?1", &dq) == -1) {
		sqlite3_finalize(q);
		return -1;
	}
	sqlite3_bind_text(q, 1, r->from, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, r->to, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, t0);
	sqlite3_bind_int64(q, 4, t1);
	if (filter != 0)
		sqlite3_bind_int64(q, 5, filter);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		int64_t		 id = sqlite3_column_int64(q, 0);
		int64_t		 t = sqlite3_column_int64(q, 1);
		int64_t		 dom = sqlite3_column_int64(q, 2);
		int		 cls = sqlite3_column_int(q, 3);
		int		 reason = sqlite3_column_int(q, 4);
		int64_t		 diag = sqlite3_column_int64(q, 5);
		int64_t		 relay = sqlite3_column_int64(q, 6);
		int64_t		 local;
		size_t		*v, g;
		int		 isnew, kind;

		if (cls < 0 || cls >= CLASS_MAX || reason < 0 || reason >= REASON_MAX)
			continue;
		r->failure_rows++;
		v = report_ids_slot(&L->diagmap, diag, &isnew);
		if (isnew)
			*v = report_group_of(L, diag != 0 ? report_lookup(dq, diag, 0) :
			    xstrdup("")) + 1;
		g = *v - 1;
		if (reason == REASON_LOCAL_THROTTLE) {
			report_group_count(L, g, K_THROTTLE, dom);
			continue;
		}
		kind = K_FAIL;
		report_group_count(L, g, kind, dom);
		L->groups[g].rc[reason]++;
		L->groups[g].cc[cls]++;
		if (reason == REASON_OTHER) {
			report_group_count(L, g, K_OTHER, dom);
			if (L->groups[g].ex_id == 0)
				L->groups[g].ex_id = id;
		}
		local = tz_utc_to_local(tz, t) % 86400;
		if (local < 0)
			local += 86400;
		r->hours[cls][local / 3600]++;
		if (relay != 0) {
			v = report_ids_slot(&L->relaymap, relay, &isnew);
			if (isnew) {
				L->rl = xrealloc(L->rl, (L->nrl + 1) * sizeof(*L->rl));
				memset(&L->rl[L->nrl], 0, sizeof(*L->rl));
				L->rl[L->nrl].id = relay;
				*v = ++L->nrl;
			}
			L->rl[*v - 1].n++;
			L->rl[*v - 1].rc[reason]++;
		}
	}
	sqlite3_finalize(q);
	sqlite3_finalize(dq);
	if (rc != SQLITE_DONE)
		return report_sqlerr(L, "failure rows");
	return 0;
}

/* Index of the largest count (the first on a tie), -1 when all are 0. */
static int
report_argmax(const int64_t *v, int n, int from)
{
	int	 i, best = -1;

	for (i = from; i < n; i++)
		if (v[i] > 0 && (best == -1 || v[i] > v[best]))
			best = i;
	return best;
}

struct report_rank {
	int64_t		 n;
	const char	*key;
	size_t		 i;
};

static int
report_cmp_rank(const void *a, const void *b)
{
	const struct report_rank	*x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return strcmp(x->key, y->key);
}

/* The top groups of one kind, as report texts. */
static struct report_text *
report_top_groups(struct report_load *L, int kind, size_t top, size_t *np,
    sqlite3_stmt *ex)
{
	struct report_rank	*rk;
	struct report_text	*out;
	size_t			 i, n = 0;

	rk = xcalloc(L->ngroups + 1, sizeof(*rk));
	for (i = 0; i < L->ngroups; i++)
		if (L->groups[i].n[kind] > 0) {
			rk[n].n = L->groups[i].n[kind];
			rk[n].key = L->groups[i].text;
			rk[n].i = i;
			n++;
		}
	report_sort(rk, n, sizeof(*rk), report_cmp_rank);
	if (n > top)
		n = top;
	out = xcalloc(n + 1, sizeof(*out));
	for (i = 0; i < n; i++) {
		struct report_group	*g = &L->groups[rk[i].i];

		out[i].text = xstrdup(g->text);
		out[i].n = g->n[kind];
		out[i].domains = g->dom[kind];
		out[i].cls = kind == K_THROTTLE ? CLASS_TEMPORARY :
		    report_argmax(g->cc, CLASS_MAX, 1);
		out[i].reason = kind == K_THROTTLE ? REASON_LOCAL_THROTTLE :
		    kind == K_OTHER ? REASON_OTHER : report_argmax(g->rc, REASON_MAX, 1);
		if (kind == K_OTHER && ex != NULL && g->ex_id != 0) {
			out[i].example = report_lookup(ex, g->ex_id, 0);
			out[i].example_domain = report_lookup(ex, g->ex_id, 1);
		}
	}
	free(rk);
	*np = n;
	return out;
}

static int
report_cmp_jump(const void *a, const void *b)
{
	const struct report_jump	*x = a, *y = b;
	double				 dx = x->pct - x->prev_pct;
	double				 dy = y->pct - y->prev_pct;

	if (dx != dy)
		return dx < dy ? 1 : -1;
	return strcmp(x->d->name, y->d->name);
}

static int
report_cmp_lt(const void *a, const void *b)
{
	const struct report_domain	*x = *(struct report_domain *const *)a;
	const struct report_domain	*y = *(struct report_domain *const *)b;

	if (x->local_throttle != y->local_throttle)
		return x->local_throttle < y->local_throttle ? 1 : -1;
	return strcmp(x->name, y->name);
}

static int
report_cmp_newreason(const void *a, const void *b)
{
	const struct report_newreason	*x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return x->reason - y->reason;
}

/*
 * A jump: the failure rate rose by REPORT_JUMP_PTS points or more, with
 * REPORT_JUMP_MIN attempts now and failures before (none before is
 * "newly failing").  Compared in integers: no rounding decides.
 */
static int
report_is_jump(const struct report_domain *d)
{
	int64_t	 a = d->attempts, f = d->failures;
	int64_t	 pa = d->prev_attempts, pf = d->prev_failures;

	if (a < REPORT_JUMP_MIN || pf == 0 || pa == 0)
		return 0;
	return (f * pa - pf * a) * 100 >= (int64_t)REPORT_JUMP_PTS * a * pa;
}

static void
report_changes(struct report *r)
{
	size_t	 i, top = (size_t)r->top;
	int	 k;

	r->newly = xcalloc(r->ndomains + 1, sizeof(*r->newly));
	r->jumps = xcalloc(r->ndomains + 1, sizeof(*r->jumps));
	r->newreasons = xcalloc(REASON_MAX, sizeof(*r->newreasons));
	r->lt_domains = xcalloc(r->ndomains + 1, sizeof(*r->lt_domains));
	for (i = 0; i < r->ndomains; i++)
		if (r->domains[i].local_throttle > 0)
			r->lt_domains[r->nlt_domains++] = &r->domains[i];
	report_sort(r->lt_domains, r->nlt_domains, sizeof(*r->lt_domains), report_cmp_lt);
	if (r->nlt_domains > top)
		r->nlt_domains = top;
	if (!r->history)
		return;
	for (i = 0; i < r->ndomains; i++) {
		struct report_domain	*d = &r->domains[i];

		if (d->failures > 0 && d->prev_failures == 0 && r->nnewly < top)
			r->newly[r->nnewly++] = d;	/* already in failure order */
		if (report_is_jump(d)) {
			r->jumps[r->njumps].d = d;
			r->jumps[r->njumps].pct = report_pct(d->failures, d->attempts);
			r->jumps[r->njumps].prev_pct = report_pct(d->prev_failures,
			    d->prev_attempts);
			r->njumps++;
		}
	}
	report_sort(r->jumps, r->njumps, sizeof(*r->jumps), report_cmp_jump);
	if (r->njumps > top)
		r->njumps = top;
	for (k = 1; k < REASON_MAX; k++)
		if (k != REASON_LOCAL_THROTTLE && r->totals.reasons[k] > 0 &&
		    r->prev_reasons[k] == 0) {
			r->newreasons[r->nnewreasons].reason = k;
			r->newreasons[r->nnewreasons].n = r->totals.reasons[k];
			r->nnewreasons++;
		}
	report_sort(r->newreasons, r->nnewreasons, sizeof(*r->newreasons),
	    report_cmp_newreason);
}

static int
report_cmp_rl(const void *a, const void *b)
{
	const struct report_rl	*x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int
report_lists(struct report_load *L)
{
	struct report	*r = L->r;
	sqlite3_stmt	*q;
	size_t		 i, top = (size_t)r->top;

	/* v_failures puts the row's words back into its template */
	if (report_prepare(L, "SELECT diagnostic, domain FROM v_failures WHERE id = ?1",
	    &q) == -1)
		return -1;
	r->texts = report_top_groups(L, K_FAIL, top, &r->ntexts, NULL);
	r->unrec = report_top_groups(L, K_OTHER, top, &r->nunrec, q);
	r->lt_texts = report_top_groups(L, K_THROTTLE, top, &r->nlt_texts, NULL);
	sqlite3_finalize(q);

	report_sort(L->rl, L->nrl, sizeof(*L->rl), report_cmp_rl);
	if (report_prepare(L, "SELECT name FROM relay WHERE id = ?1", &q) == -1)
		return -1;
	r->nrelays = L->nrl < top ? L->nrl : top;
	r->relays = xcalloc(r->nrelays + 1, sizeof(*r->relays));
	for (i = 0; i < r->nrelays; i++) {
		r->relays[i].name = report_lookup(q, L->rl[i].id, 0);
		r->relays[i].n = L->rl[i].n;
		r->relays[i].reason = report_argmax(L->rl[i].rc, REASON_MAX, 1);
	}
	sqlite3_finalize(q);
	report_changes(r);
	return 0;
}

static void
report_load_free(struct report_load *L)
{
	size_t	 i;

	report_map_free(&L->dommap);
	report_ids_free(&L->diagmap);
	report_map_free(&L->pairs);
	report_ids_free(&L->relaymap);
	for (i = 0; i < L->ngroups; i++)
		free(L->groups[i].text);
	free(L->groups);
	free(L->gtab);
	free(L->rl);
	free(L->domid);
}

int
report_load(struct sqlite3 *db, const struct report_query *rq,
    struct report *r, char *err, size_t errlen)
{
	struct report_load	 L;
	sqlite3_stmt		*q;
	int64_t			 filter = 0, fromday, today, t0, t1;
	int			 rc = -1;

	memset(r, 0, sizeof(*r));
	memset(&L, 0, sizeof(L));
	L.db = db;
	L.r = r;
	L.err = err;
	L.errlen = errlen;
	fromday = cli_parse_day(rq->from);
	today = cli_parse_day(rq->to);
	if (fromday < 0 || today < fromday) {
		snprintf(err, errlen, "bad range %s .. %s", rq->from, rq->to);
		return -1;
	}
	snprintf(r->from, sizeof(r->from), "%s", rq->from);
	snprintf(r->to, sizeof(r->to), "%s", rq->to);
	report_day_add(r->prev_from, r->from, -REPORT_HISTORY_DAYS);
	report_day_add(r->prev_to, r->from, -1);
	r->zone = xstrdup(rq->zone != NULL && *rq->zone != '\0' ? rq->zone : "local");
	r->top = rq->top > 0 ? rq->top : REPORT_TOP_DEFAULT;
	r->totals.name = xstrdup("");
	t0 = tz_local_to_utc(rq->tz, fromday * 86400);
	t1 = tz_local_to_utc(rq->tz, (today + 1) * 86400) - 1;

	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		report_sqlerr(&L, "begin");
		report_free(r);
		return -1;
	}
	if (rq->domain != NULL) {
		char	*lc = xstrdup(rq->domain), *p;

		for (p = lc; *p != '\0'; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p + 32);
		r->domain_filter = lc;
		if (report_prepare(&L, "SELECT id FROM domain WHERE name = ?1", &q) == -1)
			goto out;
		sqlite3_bind_text(q, 1, lc, -1, SQLITE_STATIC);
		filter = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int64(q, 0) : -1;
		sqlite3_finalize(q);
	}
	if (report_load_daily(&L, filter) == -1 ||
	    report_load_names(&L) == -1 ||
	    report_load_failures(&L, filter, t0, t1, rq->tz) == -1 ||
	    report_lists(&L) == -1)
		goto out;
	rc = 0;
out:
	sqlite3_exec(db, rc == 0 ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL);
	report_load_free(&L);
	if (rc == -1)
		report_free(r);
	return rc;
}

static void
report_texts_free(struct report_text *t, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		free(t[i].text);
		free(t[i].example);
		free(t[i].example_domain);
	}
	free(t);
}

void
report_free(struct report *r)
{
	size_t	 i;

	for (i = 0; i < r->ndomains; i++) {
		free(r->domains[i].name);
		free(r->domains[i].cr);
	}
	free(r->domains);
	free(r->totals.name);
	free(r->totals.cr);
	free(r->days);
	report_texts_free(r->texts, r->ntexts);
	report_texts_free(r->unrec, r->nunrec);
	report_texts_free(r->lt_texts, r->nlt_texts);
	for (i = 0; i < r->nrelays; i++)
		free(r->relays[i].name);
	free(r->relays);
	free(r->newly);
	free(r->jumps);
	free(r->newreasons);
	free(r->lt_domains);
	free(r->zone);
	free(r->domain_filter);
	memset(r, 0, sizeof(*r));
}

/* ---- JSON ---- */

static void
report_json_s(struct obuf *b, const char *s)
{
	if (s == NULL)
		obuf_puts(b, "null");
	else
		emit_json_str(b, s, strlen(s));
}

static void
report_json_reason(struct obuf *b, int reason)
{
	if (reason <= 0 || reason >= REASON_MAX)
		obuf_puts(b, "null");
	else
		obuf_printf(b, "\"%s\"", classify_reason_name((enum bw_reason)reason));
}

static void
report_json_counts(struct obuf *b, const struct report_domain *d, int detail)
{
	int	 i, c, first = 1;
	size_t	 k;

	obuf_printf(b, "\"attempts\":%lld,\"delivered\":%lld,\"permanent\":%lld,"
	    "\"temporary\":%lld,\"greylist\":%lld,\"local_throttle\":%lld,"
	    "\"failures\":%lld",
	    (long long)d->attempts, (long long)d->cls[CLASS_DELIVERED],
	    (long long)d->cls[CLASS_PERMANENT], (long long)d->cls[CLASS_TEMPORARY],
	    (long long)d->cls[CLASS_GREYLIST], (long long)d->local_throttle,
	    (long long)d->failures);
	if (!detail)
		return;
	obuf_puts(b, ",\"reasons\":{");
	for (i = 1; i < REASON_MAX; i++) {
		if (d->reasons[i] == 0)
			continue;
		obuf_printf(b, "%s\"%s\":%lld", first ? "" : ",",
		    classify_reason_name((enum bw_reason)i), (long long)d->reasons[i]);
		first = 0;
	}
	obuf_printf(b, "},\"failure_pct\":%.1f,\"top_reason\":",
	    report_pct(d->failures, d->attempts));
	report_json_reason(b, report_top_reason(d));
	obuf_puts(b, ",\"classes\":{");
	for (c = CLASS_PERMANENT; c < CLASS_MAX; c++) {
		obuf_printf(b, "%s\"%s\":{", c > CLASS_PERMANENT ? "," : "",
		    classify_class_name((enum bw_class)c));
		first = 1;
		for (k = 0; k < d->ncr; k++) {
			if (d->cr[k].cls != c)
				continue;
			obuf_printf(b, "%s\"%s\":%lld", first ? "" : ",",
			    classify_reason_name((enum bw_reason)d->cr[k].reason),
			    (long long)d->cr[k].n);
			first = 0;
		}
		obuf_putc(b, '}');
	}
	obuf_putc(b, '}');
}

static void
report_json_texts(struct obuf *b, const struct report_text *t, size_t n, int full)
{
	size_t	 i;

	obuf_putc(b, '[');
	for (i = 0; i < n; i++) {
		obuf_puts(b, i > 0 ? ",{\"text\":" : "{\"text\":");
		report_json_s(b, t[i].text);
		obuf_printf(b, ",\"n\":%lld,\"domains\":%lld", (long long)t[i].n,
		    (long long)t[i].domains);
		if (full == 1) {
			obuf_printf(b, ",\"class\":\"%s\",\"reason\":",
			    classify_class_name((enum bw_class)t[i].cls));
			report_json_reason(b, t[i].reason);
		} else if (full == 2) {
			obuf_puts(b, ",\"example\":");
			report_json_s(b, t[i].example);
			obuf_puts(b, ",\"example_domain\":");
			report_json_s(b, t[i].example_domain);
		}
		obuf_putc(b, '}');
	}
	obuf_putc(b, ']');
}

void
report_json(struct obuf *b, const struct report *r)
{
	size_t	 i;
	int	 c, h;

	obuf_printf(b, "{\"from\":\"%s\",\"to\":\"%s\",\"totals\":{", r->from, r->to);
	report_json_counts(b, &r->totals, 1);
	obuf_puts(b, "},\"domains\":[");
	for (i = 0; i < r->ndomains; i++) {
		obuf_puts(b, i > 0 ? ",{\"domain\":" : "{\"domain\":");
		report_json_s(b, r->domains[i].name);
		obuf_putc(b, ',');
		report_json_counts(b, &r->domains[i], 1);
		obuf_putc(b, '}');
	}
	obuf_puts(b, "],\"zone\":");
	report_json_s(b, r->zone);
	obuf_puts(b, ",\"domain_filter\":");
	report_json_s(b, r->domain_filter);
	obuf_printf(b, ",\"top\":%d,\"days\":[", r->top);
	for (i = 0; i < r->ndays; i++) {
		obuf_printf(b, "%s{\"day\":\"%s\",", i > 0 ? "," : "", r->days[i].day);
		report_json_counts(b, &r->days[i].c, 0);
		obuf_putc(b, '}');
	}
	obuf_puts(b, "],\"hours\":{");
	for (c = CLASS_PERMANENT; c < CLASS_MAX; c++) {
		obuf_printf(b, "%s\"%s\":[", c > CLASS_PERMANENT ? "," : "",
		    classify_class_name((enum bw_class)c));
		for (h = 0; h < REPORT_HOURS; h++)
			obuf_printf(b, "%s%lld", h > 0 ? "," : "", (long long)r->hours[c][h]);
		obuf_putc(b, ']');
	}
	obuf_puts(b, "},\"diagnostics\":");
	report_json_texts(b, r->texts, r->ntexts, 1);

	obuf_printf(b, ",\"changes\":{\"from\":\"%s\",\"to\":\"%s\",\"history\":%s,"
	    "\"newly_failing\":[", r->prev_from, r->prev_to, r->history ? "true" : "false");
	for (i = 0; i < r->nnewly; i++) {
		obuf_puts(b, i > 0 ? ",{\"domain\":" : "{\"domain\":");
		report_json_s(b, r->newly[i]->name);
		obuf_printf(b, ",\"failures\":%lld,\"attempts\":%lld,\"prev_attempts\":%lld,"
		    "\"top_reason\":", (long long)r->newly[i]->failures,
		    (long long)r->newly[i]->attempts, (long long)r->newly[i]->prev_attempts);
		report_json_reason(b, report_top_reason(r->newly[i]));
		obuf_putc(b, '}');
	}
	obuf_puts(b, "],\"rate_jumps\":[");
	for (i = 0; i < r->njumps; i++) {
		const struct report_domain	*d = r->jumps[i].d;

		obuf_puts(b, i > 0 ? ",{\"domain\":" : "{\"domain\":");
		report_json_s(b, d->name);
		obuf_printf(b, ",\"failure_pct\":%.1f,\"prev_failure_pct\":%.1f,"
		    "\"failures\":%lld,\"attempts\":%lld,\"prev_failures\":%lld,"
		    "\"prev_attempts\":%lld}", r->jumps[i].pct, r->jumps[i].prev_pct,
		    (long long)d->failures, (long long)d->attempts,
		    (long long)d->prev_failures, (long long)d->prev_attempts);
	}
	obuf_puts(b, "],\"new_reasons\":[");
	for (i = 0; i < r->nnewreasons; i++)
		obuf_printf(b, "%s{\"reason\":\"%s\",\"n\":%lld}", i > 0 ? "," : "",
		    classify_reason_name((enum bw_reason)r->newreasons[i].reason),
		    (long long)r->newreasons[i].n);
	obuf_puts(b, "]},\"unrecognised\":");
	report_json_texts(b, r->unrec, r->nunrec, 2);

	obuf_printf(b, ",\"local_throttle\":{\"n\":%lld,\"domains\":[",
	    (long long)r->totals.local_throttle);
	for (i = 0; i < r->nlt_domains; i++) {
		obuf_puts(b, i > 0 ? ",{\"domain\":" : "{\"domain\":");
		report_json_s(b, r->lt_domains[i]->name);
		obuf_printf(b, ",\"n\":%lld}", (long long)r->lt_domains[i]->local_throttle);
	}
	obuf_puts(b, "],\"texts\":");
	report_json_texts(b, r->lt_texts, r->nlt_texts, 0);
	obuf_puts(b, "},\"relays\":[");
	for (i = 0; i < r->nrelays; i++) {
		obuf_puts(b, i > 0 ? ",{\"relay\":" : "{\"relay\":");
		report_json_s(b, r->relays[i].name);
		obuf_printf(b, ",\"n\":%lld,\"top_reason\":", (long long)r->relays[i].n);
		report_json_reason(b, r->relays[i].reason);
		obuf_putc(b, '}');
	}
	obuf_printf(b, "],\"failure_rows\":%lld}\n", (long long)r->failure_rows);
}

/* ---- CSV ---- */

/*
 * One header, then rows flagged in the first column: "total" (every
 * domain), "domain" (one per domain, in report order), each followed by
 * its "reason" rows (one per failure reason, and local_throttle), where
 * permanent/temporary/greylist split that reason's failures by class.
 */
static const char report_csv_header[] =
    "row,domain,reason,attempts,delivered,permanent,temporary,greylist,"
    "failures,failure_pct,local_throttle,top_reason\n";

static void
report_csv_domain(struct obuf *b, const char *flag, const struct report_domain *d)
{
	int	 top = report_top_reason(d), i, c;
	int64_t	 byclass[CLASS_MAX];

	obuf_printf(b, "%s,", flag);
	emit_csv_str(b, d->name, strlen(d->name));
	obuf_printf(b, ",,%lld,%lld,%lld,%lld,%lld,%lld,%.1f,%lld,%s\n",
	    (long long)d->attempts, (long long)d->cls[CLASS_DELIVERED],
	    (long long)d->cls[CLASS_PERMANENT], (long long)d->cls[CLASS_TEMPORARY],
	    (long long)d->cls[CLASS_GREYLIST], (long long)d->failures,
	    report_pct(d->failures, d->attempts), (long long)d->local_throttle,
	    top > 0 ? classify_reason_name((enum bw_reason)top) : "");
	if (strcmp(flag, "domain") != 0)
		return;
	for (i = 1; i < REASON_MAX; i++) {
		if (d->reasons[i] == 0)
			continue;
		for (c = 0; c < CLASS_MAX; c++)
			byclass[c] = report_class_reason(d, c, i);
		obuf_puts(b, "reason,");
		emit_csv_str(b, d->name, strlen(d->name));
		obuf_printf(b, ",%s,,,%lld,%lld,%lld,%lld,,0,\n",
		    classify_reason_name((enum bw_reason)i),
		    (long long)byclass[CLASS_PERMANENT], (long long)byclass[CLASS_TEMPORARY],
		    (long long)byclass[CLASS_GREYLIST], (long long)d->reasons[i]);
	}
	if (d->local_throttle > 0) {
		obuf_puts(b, "reason,");
		emit_csv_str(b, d->name, strlen(d->name));
		obuf_printf(b, ",%s,,,0,0,0,0,,%lld,\n",
		    classify_reason_name(REASON_LOCAL_THROTTLE), (long long)d->local_throttle);
	}
}

void
report_csv(struct obuf *b, const struct report *r)
{
	size_t	 i;

	obuf_puts(b, report_csv_header);
	report_csv_domain(b, "total", &r->totals);
	for (i = 0; i < r->ndomains; i++)
		report_csv_domain(b, "domain", &r->domains[i]);
}
