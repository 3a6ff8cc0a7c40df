/*
 * report_load.c -- a report read from the store, through its reader
 * (store.h): the per-day counters summed by the database, the domains one
 * at a time in report order as the database sorts them (the first --top
 * kept, the rest spooled to a temporary file for report_domain_next(),
 * the lists of changes kept to --top), then the failure rows of the range
 * once, aggregated by text, hour and relay.  The renderers
 * (report_json.c, report_csv.c, report_text.c, report_html.c) only format.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "daysum.h"
#include "emit.h"
#include "hash.h"
#include "report.h"
#include "report_int.h"
#include "store.h"
#include "tz.h"
#include "util.h"

size_t *
report_ids_slot(struct report_ids *t, int64_t id, int *isnew)
{
	size_t	 n;

	if (id < 0 || id >= REPORT_DENSE_MAX)
		return hash_slot(&t->sparse, (uint64_t)id, 0, isnew);
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
	hash_free(&t->sparse);
	memset(t, 0, sizeof(*t));
}

/* The error convention: a malloc'd message in *cause. */
static void	report_cause(char **, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

static void
report_cause(char **cause, const char *fmt, ...)
{
	char	 buf[1024];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	*cause = xstrdup(buf);
}

/* ---- counting ---- */

/* qsort(), but never with a NULL base (empty arrays are NULL here). */
void
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

void
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

static int
report_cmp_domain(const void *a, const void *b)
{
	const struct report_domain	*x = a, *y = b;

	if (x->rcpt[CLASS_PERMANENT] != y->rcpt[CLASS_PERMANENT])
		return x->rcpt[CLASS_PERMANENT] < y->rcpt[CLASS_PERMANENT] ? 1 : -1;
	if (x->failed_recipients != y->failed_recipients)
		return x->failed_recipients < y->failed_recipients ? 1 : -1;
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


static void
report_day_add(char *out, const char *day, int64_t delta)
{
	tz_day_text(cli_parse_day(day) + delta, out);
}

/*
 * The counts of a domain or host id in the array *v of *n (created when
 * new); map and ids remember which id is where.
 */
static struct report_domain *
report_slot(struct hash *map, int64_t **ids, struct report_domain **v, size_t *n,
    int64_t id)
{
	size_t	*i;
	int	 isnew;

	i = hash_slot(map, (uint64_t)id, 0, &isnew);
	if (isnew) {
		*v = xrealloc(*v, (*n + 1) * sizeof(**v));
		*ids = xrealloc(*ids, (*n + 1) * sizeof(**ids));
		memset(&(*v)[*n], 0, sizeof(**v));
		(*ids)[*n] = id;
		*i = ++*n;
	}
	return &(*v)[*i - 1];
}

/* A counter of the range: by day, by host, in the totals (domains: report_domrow()). */
static int
report_daily_now(const struct store_daily *c, void *arg)
{
	struct report_load	*L = arg;
	struct report		*r = L->r;
	struct report_day	*dd = L->dd;
	size_t			 i;

	if (dd == NULL || strcmp(dd->day, c->day) != 0) {
		for (i = 0, dd = NULL; i < r->ndays; i++)
			if (strcmp(r->days[i].day, c->day) == 0)
				dd = &r->days[i];
		if (dd == NULL) {
			r->days = xrealloc(r->days, (r->ndays + 1) * sizeof(*r->days));
			dd = &r->days[r->ndays++];
			memset(dd, 0, sizeof(*dd));
			snprintf(dd->day, sizeof(dd->day), "%s", c->day);
		}
		L->dd = dd;
	}
	report_add(&dd->c, c->cls, c->reason, c->n, 0);
	report_add(report_slot(&L->hostmap, &L->hostid, &r->hosts, &r->nhosts,
	    c->host_id), c->cls, c->reason, c->n, 1);
	report_add(&r->totals, c->cls, c->reason, c->n, 1);
	return 0;
}

/* A counter of the days before, for "changes". */
static int
report_daily_prev(const struct store_daily *c, void *arg)
{
	struct report_load	*L = arg;
	struct report		*r = L->r;

	if (c->cls < 0 || c->cls >= CLASS_MAX || c->reason < 0 || c->reason >= REASON_MAX)
		return 0;
	r->history = 1;
	if (c->reason != REASON_LOCAL_THROTTLE &&
	    classify_is_failure((enum bw_class)c->cls))
		r->prev_reasons[c->reason] += c->n;
	return 0;
}

static int
report_load_daily(struct report_load *L, struct store_range *range)
{
	struct report	*r = L->r;
	size_t		 i;

	if (store_daily_range(L->st, range, report_daily_now, L) == -1)
		return -1;
	report_sort(r->days, r->ndays, sizeof(*r->days), report_cmp_day);
	for (i = 0; i < r->nhosts; i++)
		if ((r->hosts[i].name = L->hostid[i] == 0 ? xstrdup("") :
		    store_name(L->st, STORE_HOST, L->hostid[i])) == NULL)
			return -1;
	report_sort(r->hosts, r->nhosts, sizeof(*r->hosts), report_cmp_domain);
	/* the counters' order is the database's */
	for (i = 0; i < r->nhosts; i++)
		report_sort(r->hosts[i].cr, r->hosts[i].ncr, sizeof(*r->hosts[i].cr),
		    report_cmp_cr);
	report_sort(r->totals.cr, r->totals.ncr, sizeof(*r->totals.cr), report_cmp_cr);
	range->from = r->prev_from;
	range->to = r->prev_to;
	if (store_daily_range(L->st, range, report_daily_prev, L) == -1)
		return -1;
	range->from = r->from;
	range->to = r->to;
	return 0;
}

/* ---- the domains, one at a time ---- */

/* A domain copied out of the stream, for a list of changes. */
static struct report_domain *
report_domain_copy(const struct report_domain *d)
{
	struct report_domain	*c;

	c = xmalloc(sizeof(*c));
	*c = *d;
	c->name = xstrdup(d->name);
	c->cr = xcalloc(d->ncr + 1, sizeof(*c->cr));
	if (d->ncr > 0)
		memcpy(c->cr, d->cr, d->ncr * sizeof(*c->cr));
	return c;
}

/*
 * Insert e into the sorted array v of *n elements (at most max) after
 * its equals: 0 when it does not belong, 1 inserted, 2 inserted and the
 * last element pushed out into *out.
 */
static int
report_keep(void *v, size_t *n, size_t max, size_t size, const void *e,
    int (*cmp)(const void *, const void *), void *out)
{
	char	*a = v;
	size_t	 pos = *n;
	int	 rc = 1;

	while (pos > 0 && cmp(e, a + (pos - 1) * size) < 0)
		pos--;
	if (pos >= max)
		return 0;
	if (*n == max) {
		memcpy(out, a + (max - 1) * size, size);
		rc = 2;
		(*n)--;
	}
	memmove(a + (pos + 1) * size, a + pos * size, (*n - pos) * size);
	memcpy(a + pos * size, e, size);
	(*n)++;
	return rc;
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

/* By count; equals stay in report order (report_keep() puts them after). */
static int
report_cmp_dnew(const void *a, const void *b)
{
	const struct report_newreason	*x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return 0;
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

/* The lists of changes a domain belongs to, each kept to --top. */
static void
report_domain_changes(struct report *r, struct report_domain *d)
{
	struct report_domain	*c, *out;
	struct report_jump	 j, jout;
	struct report_newreason	 nr, nrout;
	size_t			 top = (size_t)r->top;
	int			 v[REASON_MAX], n, k;

	if (d->local_throttle > 0 && (n = report_keep(r->lt_domains,
	    &r->nlt_domains, top, sizeof(c), &d, report_cmp_lt, &out)) != 0) {
		for (k = 0; r->lt_domains[k] != d; k++)
			;
		r->lt_domains[k] = report_domain_copy(d);
		if (n == 2)
			report_domain_free(out);
	}
	if (!r->history)
		return;
	if (d->failures > 0 && d->prev_failures == 0 && r->nnewly < top)
		r->newly[r->nnewly++] = report_domain_copy(d);	/* in failure order */
	if (report_is_jump(d)) {
		j.d = d;
		j.pct = report_pct(d->failures, d->attempts);
		j.prev_pct = report_pct(d->prev_failures, d->prev_attempts);
		if ((k = report_keep(r->jumps, &r->njumps, top, sizeof(j), &j,
		    report_cmp_jump, &jout)) != 0) {
			for (n = 0; r->jumps[n].d != d; n++)
				;
			r->jumps[n].d = report_domain_copy(d);
			if (k == 2)
				report_domain_free(jout.d);
		}
	}
	if (d->prev_failures == 0)
		return;
	n = report_new_reasons(r, d, v, REASON_MAX);
	for (k = 0; k < n; k++) {
		size_t	 i;
		int	 rc;

		nr.d = d;
		nr.reason = v[k];
		nr.n = d->reasons[v[k]];
		if ((rc = report_keep(r->dnew, &r->ndnew, top, sizeof(nr), &nr,
		    report_cmp_dnew, &nrout)) == 0)
			continue;
		for (i = 0; r->dnew[i].d != d || r->dnew[i].reason != v[k]; i++)
			;
		r->dnew[i].d = report_domain_copy(d);
		if (rc == 2)
			report_domain_free(nrout.d);
	}
}

/* The domain read so far is complete: count it, keep or spool it. */
int
report_domain_done(struct report_load *L)
{
	struct report		*r = L->r;
	struct report_domain	*d = &L->cur;

	L->incur = 0;
	report_sort(d->cr, d->ncr, sizeof(*d->cr), report_cmp_cr);
	r->ndomains++;
	if (d->failures > 0)
		r->nfailing++;
	report_domain_changes(r, d);
	if (r->nkept < (size_t)r->top) {
		if ((r->nkept & (r->nkept - 1)) == 0)	/* 0, 1, 2, 4 ...: grow */
			r->domains = xrealloc(r->domains,
			    (r->nkept * 2 + 1) * sizeof(*r->domains));
		r->domains[r->nkept++] = *d;	/* taken over */
		memset(d, 0, sizeof(*d));
		return 0;
	}
	if (r->every && report_spool_put(r, d) == -1) {
		L->spoolerr = 1;
		return -1;
	}
	free(d->name);
	free(d->cr);
	memset(d, 0, sizeof(*d));
	return 0;
}

/* A row of store_domain_rows(): totals, or a counter of a domain. */
int
report_domrow(const struct store_domrow *row, void *arg)
{
	struct report_load	*L = arg;
	struct report_domain	*d = &L->cur;
	int			 k;

	if (row->cls == -1 && row->domain_id == -1)
		d = &L->r->totals;
	else if (!L->incur || row->domain_id != L->curid) {
		if (L->incur && report_domain_done(L) == -1)
			return -1;
		L->incur = 1;
		L->curid = row->domain_id;
		d->name = xstrdup(row->name);
	}
	d->failed_recipients = row->rc.recipients;
	d->failed_messages = row->rc.messages;
	for (k = CLASS_PERMANENT; k < CLASS_MAX; k++)
		d->rcpt[k] = row->rc.by_class[k];
	if (d == &L->r->totals || row->cls < 0 || row->cls >= CLASS_MAX ||
	    row->reason < 0 || row->reason >= REASON_MAX)
		return 0;
	if (!row->prev) {
		report_add(d, row->cls, row->reason, row->n, 1);
		return 0;
	}
	/* a counter of the days before */
	if (row->reason == REASON_LOCAL_THROTTLE)
		return 0;
	d->prev_attempts += row->n;
	if (classify_is_failure((enum bw_class)row->cls)) {
		d->prev_failures += row->n;
		d->prev_reasons[row->reason] += row->n;
	}
	return 0;
}

static int
report_load_domains(struct report_load *L, struct store_range *range)
{
	struct report	*r = L->r;
	size_t		 top = (size_t)r->top;

	r->newly = xcalloc(top + 1, sizeof(*r->newly));
	r->jumps = xcalloc(top + 1, sizeof(*r->jumps));
	r->lt_domains = xcalloc(top + 1, sizeof(*r->lt_domains));
	r->dnew = xcalloc(top + 1, sizeof(*r->dnew));
	range->prev_from = r->prev_from;
	range->prev_to = r->prev_to;
	if ((L->sum != NULL ? report_sum_domains(L, range) :
	    store_domain_rows(L->st, range, report_domrow, L)) == -1)
		return -1;
	if (L->incur && report_domain_done(L) == -1)
		return -1;
	if (r->spool != NULL && fflush(r->spool) == EOF) {
		L->spoolerr = 1;
		return -1;
	}
	return 0;
}

/* The group of a normalised text (taken over), created when new. */
size_t
report_group_of(struct report_load *L, char *text)
{
	uint64_t	 h = hash_bytes(text, strlen(text)), k;
	size_t		*v;
	int		 isnew;

	/* texts whose hashes collide take the next k */
	for (k = 0;; k++) {
		v = hash_slot(&L->gtab, h, k, &isnew);
		if (isnew)
			break;
		if (strcmp(L->groups[*v - 1].text, text) == 0) {
			free(text);
			return *v - 1;
		}
	}
	L->groups = xrealloc(L->groups, (L->ngroups + 1) * sizeof(*L->groups));
	memset(&L->groups[L->ngroups], 0, sizeof(*L->groups));
	L->groups[L->ngroups].text = text;
	*v = ++L->ngroups;
	return L->ngroups - 1;
}

/* One failure row of the range: its text's group, its hour, its relay. */
static int
report_failure_row(const struct store_failure *f, void *arg)
{
	struct report_load	*L = arg;
	struct report		*r = L->r;
	int64_t			 local;
	size_t			 g;
	int			 cls = f->cls, reason = f->reason;

	if (cls < 0 || cls >= CLASS_MAX || reason < 0 || reason >= REASON_MAX)
		return 0;
	r->failure_rows++;
	if (report_text_add(L, f->diagnostic_id, cls, reason, 1,
	    reason == REASON_OTHER ? f->id : 0, &g) == -1)
		return -1;
	if (reason == REASON_LOCAL_THROTTLE)
		return 0;
	local = tz_utc_to_local(L->tz, f->time) % 86400;
	if (local < 0)
		local += 86400;
	r->hours[cls][local / 3600]++;
	if (f->relay_id != 0)
		report_relay_add(L, f->relay_id, reason, 1);
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
report_top_groups(struct report_load *L, int kind, size_t top, size_t *np)
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
	L->listed[kind] = xcalloc(n + 1, sizeof(*L->listed[kind]));
	for (i = 0; i < n; i++) {
		struct report_group	*g = &L->groups[rk[i].i];

		out[i].text = xstrdup(g->text);
		out[i].n = g->n[kind];
		g->listed = 1;
		L->listed[kind][i] = rk[i].i;
		out[i].cls = kind == K_THROTTLE ? CLASS_TEMPORARY :
		    report_argmax(g->cc, CLASS_MAX, 1);
		out[i].reason = kind == K_THROTTLE ? REASON_LOCAL_THROTTLE :
		    kind == K_OTHER ? REASON_OTHER : report_argmax(g->rc, REASON_MAX, 1);
		if (kind == K_OTHER && g->ex_id != 0 && store_failure_text(L->st,
		    g->ex_id, &out[i].example, &out[i].example_domain) == -1)
			L->failed = 1;
	}
	free(rk);
	*np = n;
	return out;
}

static int
report_cmp_rl(const void *a, const void *b)
{
	const struct report_rl	*x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	/* by name, not id: the same order from any database */
	return strcmp(x->name, y->name);
}

/* Distinct domains of the listed texts' groups, counted by the database. */
static int
report_text_domain(const struct store_textdom *t, void *arg)
{
	struct report_load	*L = arg;

	if (t->index < 0 || (size_t)t->index >= L->ngroups)
		return 0;
	L->groups[t->index].dom[K_FAIL] = t->fail;
	L->groups[t->index].dom[K_OTHER] = t->other;
	L->groups[t->index].dom[K_THROTTLE] = t->throttle;
	return 0;
}

/* The diagnostic id of a group listed, as ",id=group" for the database. */
static void
report_text_id(struct obuf *b, const struct report_load *L, int64_t id, size_t v)
{
	if (v != 0 && L->groups[v - 1].listed)
		obuf_printf(b, "%lld=%zu,", (long long)id, v - 1);
}

/*
 * The listed texts' distinct domains: the database counts them over the
 * rows of the diagnostic ids of their groups (",id=group,..."), so no set
 * of (text, domain) is held here.
 */
static int
report_text_domains(struct report_load *L, struct store_range *range)
{
	struct report		*r = L->r;
	struct report_text	*v[K_MAX] = { r->texts, r->unrec, r->lt_texts };
	size_t			 n[K_MAX] = { r->ntexts, r->nunrec, r->nlt_texts }, i;
	const struct hash	*sp = &L->diagmap.sparse;
	struct obuf		 b;
	int			 k, rc;

	if (n[K_FAIL] + n[K_OTHER] + n[K_THROTTLE] == 0)
		return 0;
	obuf_init(&b, NULL);
	obuf_putc(&b, ',');
	for (i = 0; i < L->diagmap.n; i++)
		report_text_id(&b, L, (int64_t)i, L->diagmap.v[i]);
	for (i = 0; i < sp->cap; i++)
		report_text_id(&b, L, (int64_t)sp->slot[i].a, sp->slot[i].v);
	obuf_putc(&b, '\0');
	rc = store_text_domains(L->st, range, b.p, report_text_domain, L);
	obuf_free(&b);
	for (k = 0; k < K_MAX; k++)
		for (i = 0; i < n[k]; i++)
			v[k][i].domains = L->groups[L->listed[k][i]].dom[k];
	return rc;
}

static int
report_lists(struct report_load *L)
{
	struct report	*r = L->r;
	size_t		 i, top = (size_t)r->top;
	int		 k;

	r->texts = report_top_groups(L, K_FAIL, top, &r->ntexts);
	r->unrec = report_top_groups(L, K_OTHER, top, &r->nunrec);
	r->lt_texts = report_top_groups(L, K_THROTTLE, top, &r->nlt_texts);
	if (L->failed)
		return -1;

	for (i = 0; i < L->nrl; i++)
		if ((L->rl[i].name = store_name(L->st, STORE_RELAY, L->rl[i].id)) == NULL)
			return -1;
	report_sort(L->rl, L->nrl, sizeof(*L->rl), report_cmp_rl);
	r->nrelays = L->nrl < top ? L->nrl : top;
	r->relays = xcalloc(r->nrelays + 1, sizeof(*r->relays));
	for (i = 0; i < r->nrelays; i++) {
		r->relays[i].name = xstrdup(L->rl[i].name);
		r->relays[i].n = L->rl[i].n;
		r->relays[i].reason = report_argmax(L->rl[i].rc, REASON_MAX, 1);
	}
	r->newreasons = xcalloc(REASON_MAX, sizeof(*r->newreasons));
	if (!r->history)
		return 0;
	for (k = 1; k < REASON_MAX; k++)
		if (k != REASON_LOCAL_THROTTLE && r->totals.reasons[k] > 0 &&
		    r->prev_reasons[k] == 0) {
			r->newreasons[r->nnewreasons].reason = k;
			r->newreasons[r->nnewreasons].n = r->totals.reasons[k];
			r->nnewreasons++;
		}
	report_sort(r->newreasons, r->nnewreasons, sizeof(*r->newreasons),
	    report_cmp_newreason);
	return 0;
}

static void
report_load_free(struct report_load *L)
{
	size_t	 i;

	free(L->cur.name);
	free(L->cur.cr);
	hash_free(&L->hostmap);
	free(L->hostid);
	free(L->hostfilter);
	report_ids_free(&L->diagmap);
	report_ids_free(&L->relaymap);
	for (i = 0; i < L->ngroups; i++)
		free(L->groups[i].text);
	for (i = 0; i < K_MAX; i++)
		free(L->listed[i]);
	free(L->groups);
	hash_free(&L->gtab);
	for (i = 0; i < L->nrl; i++)
		free(L->rl[i].name);
	free(L->rl);
	if (L->gdom != NULL)
		for (i = 0; i < L->ngroups; i++) {
			sketch_free(&L->gdom[i][K_FAIL]);
			sketch_free(&L->gdom[i][K_OTHER]);
			sketch_free(&L->gdom[i][K_THROTTLE]);
		}
	free(L->gdom);
}

int
report_load(struct store *st, const struct report_query *rq, struct report *r,
    char **cause)
{
	struct report_load	 L;
	struct store_range	 range;
	struct daysum		 ds;
	struct daysum_doms	 doms;
	struct obuf		*built = NULL;
	int64_t			 fromday, today, day;
	int			 rc = -1;

	memset(r, 0, sizeof(*r));
	memset(&L, 0, sizeof(L));
	memset(&ds, 0, sizeof(ds));
	memset(&doms, 0, sizeof(doms));
	L.st = st;
	L.r = r;
	L.tz = rq->tz;
	fromday = cli_parse_day(rq->from);
	today = cli_parse_day(rq->to);
	if (fromday < 0 || today < fromday) {
		report_cause(cause, "bad range %s .. %s", rq->from, rq->to);
		return -1;
	}
	snprintf(r->from, sizeof(r->from), "%s", rq->from);
	snprintf(r->to, sizeof(r->to), "%s", rq->to);
	report_day_add(r->prev_from, r->from, -REPORT_HISTORY_DAYS);
	report_day_add(r->prev_to, r->from, -1);
	r->zone = xstrdup(rq->zone != NULL && *rq->zone != '\0' ? rq->zone : "local");
	r->top = rq->top > 0 ? rq->top : REPORT_TOP_DEFAULT;
	r->every = rq->every;
	r->totals.name = xstrdup("");
	memset(&range, 0, sizeof(range));
	range.from = r->from;
	range.to = r->to;
	range.t0 = tz_local_to_utc(rq->tz, fromday * 86400);
	range.t1 = tz_local_to_utc(rq->tz, (today + 1) * 86400) - 1;

	if (store_read_begin(st) == -1) {
		report_cause(cause, "%s", store_errmsg(st));
		report_free(r);
		return -1;
	}
	if (rq->domain != NULL) {
		char	*lc = xstrdup(rq->domain), *p;

		for (p = lc; *p != '\0'; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p + 32);
		r->domain_filter = lc;
		/* a domain never seen matches nothing */
		if ((range.domain = store_domain_find(st, lc)) == -1)
			goto out;
		if (range.domain == 0)
			range.domain = -1;
	}
	if (rq->hosts != NULL) {
		size_t	 i;

		r->host_filter = xcalloc(rq->nhosts + 1, sizeof(*r->host_filter));
		L.hostfilter = xcalloc(rq->nhosts + 1, sizeof(*L.hostfilter));
		for (i = 0; i < rq->nhosts; i++) {
			r->host_filter[r->nhost_filter++] = xstrdup(rq->hosts[i]);
			/* a host never seen matches nothing */
			if ((L.hostfilter[i] = store_host_find(st, rq->hosts[i])) == -1)
				goto out;
			if (L.hostfilter[i] == 0)
				L.hostfilter[i] = -1;
		}
		range.hosts = L.hostfilter;
		range.nhosts = rq->nhosts;
	}
	if (report_load_daily(&L, &range) == -1)
		goto out;
	/*
	 * A range of days for every domain: their summaries, the texts first
	 * (then freed), the domains walked from their records.  One day, or
	 * one domain: the rows, counted exactly.
	 */
	if (fromday < today && range.domain == 0 && store_summaries(st)) {
		built = xcalloc((size_t)(today - fromday + 1), sizeof(*built));
		if ((rc = report_sum_collect(st, rq->tz, &range, &ds, &doms, built,
		    &L.sumcause)) == -1)
			goto out;
		if (rc == 1) {
			L.sum = &ds;
			L.doms = &doms;
		} else {
			/* a day too large to summarise: the rows of every day */
			daysum_free(&ds);
			daysum_doms_free(&doms);
		}
		rc = -1;
	}
	if (L.sum != NULL) {
		if (report_load_domains(&L, &range) == -1)
			goto out;
		report_sum_trim();
		ds.text_sink = report_sum_text;
		ds.sink_arg = &L;
		if (report_sum_collect(st, rq->tz, &range, &ds, NULL, built,
		    &L.sumcause) == -1)
			goto out;
		report_sum_apply(&L, &ds);
		daysum_free(&ds);
		if (report_lists(&L) == -1)
			goto out;
		report_sum_texts(&L);
	} else if (report_load_domains(&L, &range) == -1 ||
	    store_failure_range(st, &range, report_failure_row, &L) == -1 ||
	    report_lists(&L) == -1 || report_text_domains(&L, &range) == -1)
		goto out;
	if (report_load_live(st, rq->tz, r, range.t0, range.t1) == -1)
		goto out;
	rc = 0;
out:
	if (rc == -1 && L.sumcause != NULL) {
		*cause = L.sumcause;
		L.sumcause = NULL;
	} else if (rc == -1 && L.spoolerr)
		report_cause(cause, "temporary file: %s", strerror(errno));
	else if (rc == -1)
		report_cause(cause, "%s", store_errmsg(st));
	store_read_end(st);
	daysum_free(&ds);
	daysum_doms_free(&doms);
	for (day = 0; built != NULL && day <= today - fromday; day++)
		obuf_free(&built[day]);
	free(built);
	free(L.sumcause);
	report_load_free(&L);
	if (rc == -1)
		report_free(r);
	return rc;
}
