/*
 * report_sum.c -- a report over many days read from day summaries
 * (daysum.h): each day's stored summary when it is current, else one
 * built from the day's rows on the spot; merged through the report's
 * filters; the recipients and messages counted from the merged sketches
 * and given to the store for its domain query.
 */
#include "config.h"

#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <string.h>

#include "cli.h"
#include "daysum.h"
#include "emit.h"
#include "log.h"
#include "report.h"
#include "report_int.h"
#include "store.h"
#include "tz.h"
#include "util.h"

/*
 * The records of a month, once merged, are freed in the middle of the
 * heap, where glibc keeps them resident: give their pages back before the
 * next phase grows the heap again.
 */
void
report_sum_trim(void)
{
#ifdef __GLIBC__
	malloc_trim(0);
#endif
}

/*
 * The range's days from their summaries, in two passes so that what each
 * holds is freed before the next: with doms, the domains' records (kept
 * there); without, the texts, hours and relays (into ds).  A day without
 * a current summary is built from its rows once: built keeps it for the
 * second pass (one struct obuf a day of the range).  1; 0 when a day is
 * too large to summarise (the report reads the rows of every day); -1
 * with *cause.
 */
int
report_sum_collect(struct store *st, struct tz *tz, const struct store_range *range,
    struct daysum *ds, struct daysum_doms *doms, struct obuf *built, char **cause)
{
	unsigned char	*data;
	size_t		 len;
	int64_t		 day, from, to, t0, t1;
	char		 text[11];
	struct obuf	*b;
	int		 rc;

	from = cli_parse_day(range->from);
	to = cli_parse_day(range->to);
	ds->relay_list = 1;
	ds->collapse = 1;
	ds->skip_doms = doms == NULL;
	ds->hosts = range->hosts;
	ds->nhosts = range->nhosts;
	for (day = from; day <= to; day++) {
		b = &built[day - from];
		tz_day_text(day, text);
		t0 = tz_local_to_utc(tz, day * 86400);
		t1 = tz_local_to_utc(tz, (day + 1) * 86400) - 1;
		if (b->n > 0)
			goto merge;
		if ((rc = store_summary_get(st, text, &data, &len)) == -1) {
			*cause = xstrdup(store_errmsg(st));
			return -1;
		}
		if (rc == 1) {
			rc = daysum_merge_blob(ds, data, len, t0, t1, doms);
			free(data);
			if (rc == 2)
				return 0;	/* too large: the rows, every day */
			if (rc == -1 && doms == NULL) {
				/* part of it may be merged already */
				*cause = xasprintf("the summary of %s is damaged "
				    "(delete its day_summary row)", text);
				return -1;
			}
			if (rc == -1)
				log_warnx("the summary of %s is damaged: read from "
				    "its rows", text);
			if (rc == 1)
				continue;
		}
		/* none, stale, or of another zone: the day's rows */
		obuf_init(b, NULL);
		if (daysum_build(st, tz, text, b) == -1) {
			*cause = xstrdup(store_errmsg(st));
			return -1;
		}
merge:
		if ((rc = daysum_merge_blob(ds, (unsigned char *)b->p, b->n, t0, t1,
		    doms)) == 2)
			return 0;
		if (rc != 1) {
			*cause = xasprintf("the summary of %s cannot be read back", text);
			return -1;
		}
	}
	return 1;
}

/*
 * The domains of a range of days, as store_domain_rows() gives them for
 * one day.  First the summaries' records are walked in domain order: each
 * failing domain's recipients and messages (a few words each), then the
 * records are freed.  Then each domain's counters, summed by the database
 * in domain order (the range, then the days before), are joined to them;
 * the domains are sorted here in report order and handed to
 * report_domrow() one row at a time.  Held: a few words a domain and a
 * counter, and the names.
 */
struct rs_rcpt {
	int64_t		 id;
	uint32_t	 rc[5];		/* recipients (any, p, t, g), messages */
};

struct rs_dom {
	int64_t		 id;
	uint64_t	 pre;		/* its name's first 8 bytes, big-endian */
	uint32_t	 name;		/* its name at rs.names + name */
	uint32_t	 fl;		/* failures and attempts (clamped), to sort */
	uint32_t	 at;
	uint32_t	 rc[5];
	uint32_t	 first;		/* its counters: rs.c[first .. first + n) */
	uint32_t	 pfirst;	/* ... of the days before */
	uint16_t	 n;
	uint16_t	 pn;
};

struct rs {
	struct rs_rcpt	*r;		/* failing domains, by id */
	size_t		 nr;
	size_t		 ri;		/* the next to join */
	struct rs_dom	*d;		/* domains with counters, by id */
	size_t		 nd;
	size_t		 dcap;
	uint64_t	*c;		/* counters: n << 16 | class << 8 | reason */
	size_t		 nc;
	size_t		 ccap;
	size_t		 at;		/* the days before: the domain reached */
	char		*names;
	size_t		 nnames;
	size_t		 namecap;
	int64_t		 total[5];
	struct sketch	 msg;		/* every domain's messages */
	struct report_load *L;
};

static uint32_t
rs_u32(int64_t v)
{
	return v < 0 ? 0 : v > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

/* A failing domain's recipients and messages over the days. */
static int
rs_walked(int64_t id, struct sketch *rcpt, struct sketch *msg, void *arg)
{
	struct rs	*rs = arg;
	struct rs_rcpt	*r;
	int		 c;

	if (sketch_estimated(rcpt) || sketch_estimated(msg))
		rs->L->r->estimated = 1;
	sketch_merge(&rs->msg, msg);
	if ((rs->nr & (rs->nr - 1)) == 0)
		rs->r = xrealloc(rs->r, (rs->nr * 2 + 1) * sizeof(*rs->r));
	r = &rs->r[rs->nr++];
	r->id = id;
	for (c = 0; c < CLASS_MAX; c++) {
		r->rc[c] = rs_u32(sketch_count(rcpt, c));
		rs->total[c] += r->rc[c];
	}
	r->rc[4] = rs_u32(sketch_count(msg, 0));
	return 0;
}

static void
rs_push(struct rs *rs, const struct store_daily *c)
{
	if (rs->nc == rs->ccap) {
		rs->ccap = rs->ccap < 1024 ? 1024 : rs->ccap + rs->ccap / 2;
		rs->c = xrealloc(rs->c, rs->ccap * sizeof(*rs->c));
	}
	rs->c[rs->nc++] = (uint64_t)(c->n < 0 ? 0 : c->n) << 16 |
	    (uint64_t)c->cls << 8 | (uint64_t)c->reason;
}

static int
rs_valid(const struct store_daily *c)
{
	return c->cls >= 0 && c->cls < CLASS_MAX && c->reason >= 0 &&
	    c->reason < REASON_MAX;
}

/* A domain's summed counter of the range: domains arrive in id order. */
static int
rs_now(const struct store_daily *c, void *arg)
{
	struct rs	*rs = arg;
	struct rs_dom	*d;

	if (!rs_valid(c))
		return 0;
	if (rs->nd == 0 || rs->d[rs->nd - 1].id != c->domain_id) {
		if (rs->nd == rs->dcap) {
			rs->dcap = rs->dcap < 1024 ? 1024 : rs->dcap + rs->dcap / 2;
			rs->d = xrealloc(rs->d, rs->dcap * sizeof(*rs->d));
		}
		d = &rs->d[rs->nd++];
		memset(d, 0, sizeof(*d));
		d->id = c->domain_id;
		d->first = (uint32_t)rs->nc;
		/* its recipients: both lists are in id order */
		while (rs->ri < rs->nr && rs->r[rs->ri].id < d->id)
			rs->ri++;
		if (rs->ri < rs->nr && rs->r[rs->ri].id == d->id)
			memcpy(d->rc, rs->r[rs->ri].rc, sizeof(d->rc));
	}
	d = &rs->d[rs->nd - 1];
	if (c->reason != REASON_LOCAL_THROTTLE) {
		d->at = rs_u32((int64_t)d->at + c->n);
		if (c->cls != CLASS_DELIVERED)
			d->fl = rs_u32((int64_t)d->fl + c->n);
	}
	if (d->n < UINT16_MAX) {
		rs_push(rs, c);
		d->n++;
	}
	return 0;
}

/* ... of the days before, for the domains of the range only. */
static int
rs_prev(const struct store_daily *c, void *arg)
{
	struct rs	*rs = arg;
	struct rs_dom	*d;

	if (!rs_valid(c))
		return 0;
	while (rs->at < rs->nd && rs->d[rs->at].id < c->domain_id)
		rs->at++;
	if (rs->at == rs->nd || (d = &rs->d[rs->at])->id != c->domain_id ||
	    d->pn == UINT16_MAX)
		return 0;
	if (d->pn == 0)
		d->pfirst = (uint32_t)rs->nc;
	rs_push(rs, c);
	d->pn++;
	return 0;
}

/* Keep a domain's name in the names' arena (store_names_cb). */
static int
rs_name(size_t i, const char *name, void *arg)
{
	struct rs	*rs = arg;
	size_t		 n = strlen(name) + 1, k;
	uint64_t	 pre = 0;

	while (rs->nnames + n > rs->namecap) {
		rs->namecap = rs->namecap < 65536 ? 65536 :
		    rs->namecap + rs->namecap / 2;
		rs->names = xrealloc(rs->names, rs->namecap);
	}
	memcpy(rs->names + rs->nnames, name, n);
	rs->d[i].name = (uint32_t)rs->nnames;
	rs->nnames += n;
	/* ordered as strcmp() orders them, NULs after the end */
	for (k = 0; k < 8; k++)
		pre = pre << 8 | (k < n ? (unsigned char)name[k] : 0);
	rs->d[i].pre = pre;
	return 0;
}

static const char *rs_names;	/* for rs_cmp_dom(): qsort has no argument */

/* Report order: permanently failed recipients, recipients, failures, attempts, name. */
static int
rs_cmp_dom(const void *a, const void *b)
{
	const struct rs_dom	*x = a, *y = b;
	int			 c;

	if (x->rc[CLASS_PERMANENT] != y->rc[CLASS_PERMANENT])
		return x->rc[CLASS_PERMANENT] < y->rc[CLASS_PERMANENT] ? 1 : -1;
	if (x->rc[0] != y->rc[0])
		return x->rc[0] < y->rc[0] ? 1 : -1;
	if (x->fl != y->fl)
		return x->fl < y->fl ? 1 : -1;
	if (x->at != y->at)
		return x->at < y->at ? 1 : -1;
	if (x->pre != y->pre)
		return x->pre < y->pre ? -1 : 1;
	if ((c = strcmp(rs_names + x->name, rs_names + y->name)) != 0)
		return c;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* Hand one domain's counters to report_domrow(), the range's first. */
static int
rs_emit(struct report_load *L, struct rs *rs, struct rs_dom *d)
{
	struct store_domrow	 row;
	uint64_t		 k;
	uint32_t		 i;
	int			 c;

	memset(&row, 0, sizeof(row));
	row.domain_id = row.rc.domain_id = d->id;
	row.name = rs->names + d->name;
	row.rc.recipients = d->rc[0];
	for (c = CLASS_PERMANENT; c < CLASS_MAX; c++)
		row.rc.by_class[c] = d->rc[c];
	row.rc.messages = d->rc[4];
	for (i = 0; i < (uint32_t)d->n + d->pn; i++) {
		k = rs->c[i < d->n ? d->first + i : d->pfirst + i - d->n];
		row.prev = i >= d->n;
		row.cls = (int)(k >> 8 & 0xff);
		row.reason = (int)(k & 0xff);
		row.n = (int64_t)(k >> 16);
		if (report_domrow(&row, L) == -1)
			return -1;
	}
	return 0;
}

int
report_sum_domains(struct report_load *L, struct store_range *range)
{
	struct rs		 rs;
	struct store_domrow	 total;
	struct store_range	 prev;
	int64_t			*ids;
	size_t			 i;
	int			 c, rc = -1;

	memset(&rs, 0, sizeof(rs));
	rs.L = L;
	/* domains hold distinct recipients; messages span domains: merged */
	rc = daysum_doms_walk(L->doms, range->hosts, range->nhosts, rs_walked, &rs);
	daysum_doms_free(L->doms);
	report_sum_trim();
	memset(&total, 0, sizeof(total));
	total.domain_id = total.rc.domain_id = -1;
	total.cls = -1;
	total.name = "";
	total.rc.recipients = rs.total[0];
	for (c = CLASS_PERMANENT; c < CLASS_MAX; c++)
		total.rc.by_class[c] = rs.total[c];
	total.rc.messages = sketch_count(&rs.msg, 0);
	if (sketch_estimated(&rs.msg))
		L->r->estimated = 1;
	sketch_free(&rs.msg);
	if (rc == -1) {
		L->sumcause = xstrdup("a day summary is damaged");
		goto out;
	}
	rc = -1;
	if (store_domain_counters(L->st, range, rs_now, &rs) == -1)
		goto out;
	free(rs.r);
	rs.r = NULL;
	prev = *range;
	prev.from = range->prev_from;
	prev.to = range->prev_to;
	if (store_domain_counters(L->st, &prev, rs_prev, &rs) == -1)
		goto out;
	/* the names, in one pass over the domains (in id order here) */
	ids = xcalloc(rs.nd + 1, sizeof(*ids));
	for (i = 0; i < rs.nd; i++)
		ids[i] = rs.d[i].id;
	c = store_names(L->st, STORE_DOMAIN, ids, rs.nd, rs_name, &rs);
	free(ids);
	if (c == -1)
		goto out;
	rs_names = rs.names;
	if (rs.nd > 1)
		qsort(rs.d, rs.nd, sizeof(*rs.d), rs_cmp_dom);
	if (report_domrow(&total, L) == -1)
		goto out;
	for (i = 0; i < rs.nd; i++)
		if (rs_emit(L, &rs, &rs.d[i]) == -1)
			goto out;
	rc = 0;
out:
	sketch_free(&rs.msg);
	free(rs.r);
	free(rs.d);
	free(rs.c);
	free(rs.names);
	return rc;
}

/* n rows of a text (diagnostic id), class and reason: its group's counts. */
int
report_text_add(struct report_load *L, int64_t diag, int cls, int reason,
    int64_t n, int64_t ex_id, size_t *gp)
{
	size_t	*v, g;
	int	 isnew;
	char	*text;

	v = report_ids_slot(&L->diagmap, diag, &isnew);
	if (isnew) {
		text = diag != 0 ? store_name(L->st, STORE_NORMALIZED, diag) :
		    xstrdup("");
		if (text == NULL)
			return -1;
		*v = report_group_of(L, text) + 1;
	}
	*gp = g = *v - 1;
	if (reason == REASON_LOCAL_THROTTLE) {
		L->groups[g].n[K_THROTTLE] += n;
		return 0;
	}
	L->groups[g].n[K_FAIL] += n;
	L->groups[g].rc[reason] += n;
	L->groups[g].cc[cls] += n;
	if (reason == REASON_OTHER) {
		L->groups[g].n[K_OTHER] += n;
		if (ex_id != 0 && (L->groups[g].ex_id == 0 || ex_id < L->groups[g].ex_id))
			L->groups[g].ex_id = ex_id;
	}
	return 0;
}

void
report_relay_add(struct report_load *L, int64_t relay, int reason, int64_t n)
{
	size_t	*v;
	int	 isnew;

	v = report_ids_slot(&L->relaymap, relay, &isnew);
	if (isnew) {
		L->rl = xrealloc(L->rl, (L->nrl + 1) * sizeof(*L->rl));
		memset(&L->rl[L->nrl], 0, sizeof(*L->rl));
		L->rl[L->nrl].id = relay;
		*v = ++L->nrl;
	}
	L->rl[*v - 1].n += n;
	L->rl[*v - 1].rc[reason] += n;
}

static int
rs_cmp_relay(const void *a, const void *b)
{
	const struct daysum_rl	*x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return DAYSUM_RL_REASON(x) - DAYSUM_RL_REASON(y);
}

static int
rs_cmp_n(const void *a, const void *b)
{
	int64_t	 x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

/*
 * The relays that can be listed: those with as many rows as the --top-th
 * relay or more (ties are broken by name, so all of them), with their
 * counts by reason.  A month can hold tens of thousands of relays: the
 * others are not kept.
 */
static void
report_sum_relays(struct report_load *L, struct daysum *ds)
{
	struct daysum_rl	*v = ds->rl;
	int64_t			*tot, least = 0, n;
	size_t			 i, j, nr = 0, top = (size_t)L->r->top;

	/* a month's relays are megabytes: sorted where they lie */
	util_sort(v, ds->nrl, sizeof(*v), rs_cmp_relay);
	for (i = 0; i < ds->nrl; i = j) {
		for (j = i; j < ds->nrl && v[j].key == v[i].key; j++)
			;
		if (v[i].key != 0)
			nr++;
	}
	tot = xcalloc(nr + 1, sizeof(*tot));
	for (i = 0, nr = 0; i < ds->nrl; i = j) {
		for (j = i, n = 0; j < ds->nrl && v[j].key == v[i].key; j++)
			n += DAYSUM_RL_N(&v[j]);
		if (v[i].key != 0)
			tot[nr++] = n;
	}
	if (nr > top && top > 0) {
		qsort(tot, nr, sizeof(*tot), rs_cmp_n);
		least = tot[top - 1];
	}
	free(tot);
	for (i = 0; i < ds->nrl; i = j) {
		for (j = i, n = 0; j < ds->nrl && v[j].key == v[i].key; j++)
			n += DAYSUM_RL_N(&v[j]);
		if (v[i].key == 0 || n < least)
			continue;
		for (; i < j; i++)
			if (DAYSUM_RL_REASON(&v[i]) < REASON_MAX)
				report_relay_add(L, v[i].key, DAYSUM_RL_REASON(&v[i]),
				    DAYSUM_RL_N(&v[i]));
	}
}

/*
 * A text of a day's summary (daysum.h text_sink): its rows as
 * report_failure_row() counts them, and its domains by kind (listed
 * texts: report_sum_texts()).
 */
int
report_sum_text(const struct daysum_text *t, void *arg)
{
	struct report_load	*L = arg;
	size_t			 g, n = L->ngroups;

	L->r->failure_rows += t->n;
	if (report_text_add(L, t->diag, t->cls, t->reason, t->n, t->ex_id, &g) == -1)
		return -1;
	if (L->ngroups > n) {
		L->gdom = xrealloc(L->gdom, (L->ngroups + 1) * sizeof(*L->gdom));
		memset(&L->gdom[n], 0, (L->ngroups + 1 - n) * sizeof(*L->gdom));
	}
	if (t->reason == REASON_LOCAL_THROTTLE)
		sketch_merge(&L->gdom[g][K_THROTTLE], (struct sketch *)&t->domains);
	else
		sketch_merge(&L->gdom[g][K_FAIL], (struct sketch *)&t->domains);
	if (t->reason == REASON_OTHER)
		sketch_merge(&L->gdom[g][K_OTHER], (struct sketch *)&t->domains);
	return 0;
}

/* The range's hours and relays from the merged summaries. */
void
report_sum_apply(struct report_load *L, struct daysum *ds)
{
	struct report		*r = L->r;
	struct daysum_count	*c;
	size_t			 i;

	for (i = 0; i < ds->nhour; i++) {
		c = &ds->hour[i];
		if (c->key >= 0 && c->key < CLASS_MAX * REPORT_HOURS)
			r->hours[c->key / REPORT_HOURS][c->key % REPORT_HOURS] += c->n;
	}
	report_sum_relays(L, ds);
}

/* The listed texts' distinct domains, from the groups' sketches. */
void
report_sum_texts(struct report_load *L)
{
	struct report		*r = L->r;
	struct report_text	*v[K_MAX] = { r->texts, r->unrec, r->lt_texts };
	size_t			 n[K_MAX] = { r->ntexts, r->nunrec, r->nlt_texts }, i;
	struct sketch		*s;
	int			 k;

	for (k = 0; k < K_MAX; k++)
		for (i = 0; i < n[k]; i++) {
			s = &L->gdom[L->listed[k][i]][k];
			v[k][i].domains = sketch_count(s, 0);
			if (sketch_estimated(s))
				r->estimated = 1;
		}
}

