/*
 * store_reclass.c -- bouncewatch reclassify in the store: today's rules
 * applied again to stored failures, each changed row rewritten and the
 * counters moved with it, so that the database reads as if the logs had
 * been imported with these rules.
 *
 * What a verdict decides in the store: the failure row's class, reason,
 * rule and detail; the daily counter it was counted in; and, for a reply
 * no rule knew, its entry in "unrecognised"; for a recipient it lists or
 * unlists, its row in "suppression" (store_suppress.c).  Expired copies (status 5)
 * take the expiry's verdict, never their reply's: they are left alone.
 * The rows are read first and the changes written after, in the same
 * transaction: a server backend cannot write while it streams a query.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "store.h"
#include "store_backend.h"
#include "tz.h"
#include "util.h"

/* One row whose verdict changed. */
struct rc_change {
	int64_t		 id;
	int64_t		 time;		/* the row's, for the hourly totals */
	const char	*rule;		/* the classifier's: lives as long as it */
	char		*detail;	/* NULL: none */
	struct store_counter old, new;	/* n: -1 and +1 */
	struct store_sredo sup;		/* for the suppression list */
};

/* One reply no rule knew, before or after, in the rows read. */
struct rc_unrec {
	char		*normalized;
	int64_t		 before, after;	/* rows 'other' before, after */
	int64_t		 first, last;	/* after: their times */
	char		*example;	/* after: the first one's text */
	char		*domain;
	int		 touched;	/* a row moved into or out of 'other' */
};

struct rc {
	struct store		*st;
	const struct classifier	*cl;
	int32_t			 from, to;	/* day keys */
	struct store_reclass_stats *stats;
	struct rc_change	*ch;
	size_t			 nch, capch;
	struct rc_unrec		*un;
	size_t			 nun, capun;
	struct hash		 unmap;		/* (hash, length) -> un index + 1 */
	char			*norm;
	size_t			 normcap;
};

static enum dstatus
store_reclass_status(int status_id)
{
	static const enum dstatus map[] = {
		DSTATUS_NONE, DSTATUS_SENT, DSTATUS_DEFERRED, DSTATUS_BOUNCED,
		DSTATUS_SOFTBOUNCE, DSTATUS_EXPIRED,
	};

	return status_id >= 0 && (size_t)status_id < nitems(map) ?
	    map[status_id] : DSTATUS_NONE;
}

/* The entry of a normalised reply, created when new. */
static struct rc_unrec *
store_reclass_unrec(struct rc *rc, const char *norm)
{
	size_t	 n = strlen(norm), *v;
	uint64_t h = hash_bytes(norm, n), i;
	int	 isnew;

	/* keys whose hashes collide take the next i */
	for (i = n;; i += 1ULL << 32) {
		v = hash_slot(&rc->unmap, h, i, &isnew);
		if (*v == 0 || strcmp(rc->un[*v - 1].normalized, norm) == 0)
			break;
	}
	if (*v == 0) {
		if (rc->nun == rc->capun) {
			rc->capun = rc->capun ? rc->capun * 2 : 64;
			rc->un = xrealloc(rc->un, rc->capun * sizeof(*rc->un));
		}
		memset(&rc->un[rc->nun], 0, sizeof(*rc->un));
		rc->un[rc->nun].normalized = xstrdup(norm);
		*v = ++rc->nun;
	}
	return &rc->un[*v - 1];
}

/* Note a row 'other' before or after (or both) for "unrecognised". */
static void
store_reclass_note_other(struct rc *rc, const struct store_rrow *r, int before,
    int after)
{
	struct rc_unrec	*u;

	if (r->text.p == NULL)
		return;
	if (rc->normcap < r->text.n * 2 + 64) {
		rc->normcap = r->text.n * 2 + 64;
		rc->norm = xrealloc(rc->norm, rc->normcap);
	}
	diag_normalize(r->text.p, r->text.n, rc->norm, rc->normcap);
	u = store_reclass_unrec(rc, rc->norm);
	u->touched |= before != after;
	u->before += before;
	if (!after)
		return;
	if (u->after++ == 0) {
		/* rows come in id order, the order a fresh import adds them */
		u->first = u->last = r->time;
		u->example = xstrndup(r->text.p, r->text.n);
		u->domain = xstrdup(r->domain != NULL ? r->domain : "");
	}
	if (r->time < u->first)
		u->first = r->time;
	if (r->time > u->last)
		u->last = r->time;
}

static int
store_reclass_row(const struct store_rrow *r, void *arg)
{
	struct rc		*rc = arg;
	struct delivery		 d;
	struct verdict		 v;
	struct rc_change	*c;
	char			 det[VERDICT_DETAIL_NAME_MAX + 16];
	const char		*dt;
	int32_t			 day;

	if (r->status_id == 5)
		return 0;		/* an expiry's verdict, not its reply's */
	day = (int32_t)(tz_local_day(rc->st->tz, r->time) + STORE_DAY0);
	if (day < rc->from || day > rc->to)
		return 0;
	rc->stats->rows++;

	/* what the classifier saw: the reply's codes as the parser finds them */
	parse_reply(r->text.p != NULL ? r->text.p : "", r->text.n, &d);
	d.status = store_reclass_status(r->status_id);
	d.code = r->code;
	if (r->dsn.n > 0)
		d.dsn = r->dsn;	/* the dsn, or the reply's code: one of them */
	d.stage = r->stage;
	if (r->text.p == NULL)
		d.diagnostic.p = NULL;
	classify_delivery(rc->cl, LINE_DELIVERY, &d, &v);
	dt = classify_detail_text(&v, det, sizeof(det));

	if (r->reason == REASON_OTHER || v.reason == REASON_OTHER)
		store_reclass_note_other(rc, r, r->reason == REASON_OTHER,
		    v.reason == REASON_OTHER);
	if ((int)v.cls == r->cls && (int)v.reason == r->reason &&
	    strcmp(v.rule != NULL ? v.rule : "", r->rule != NULL ? r->rule : "") == 0 &&
	    strcmp(dt != NULL ? dt : "", r->detail != NULL ? r->detail : "") == 0)
		return 0;

	rc->stats->changed++;
	rc->stats->classes += (int)v.cls != r->cls;
	rc->stats->reasons += (int)v.reason != r->reason;
	rc->stats->details += strcmp(dt != NULL ? dt : "",
	    r->detail != NULL ? r->detail : "") != 0;
	if (rc->nch == rc->capch) {
		rc->capch = rc->capch ? rc->capch * 2 : 256;
		rc->ch = xrealloc(rc->ch, rc->capch * sizeof(*rc->ch));
	}
	c = &rc->ch[rc->nch++];
	memset(c, 0, sizeof(*c));
	c->id = r->id;
	c->time = r->time;
	c->rule = v.rule;
	c->detail = dt != NULL ? xstrdup(dt) : NULL;
	c->old.day = c->new.day = day;
	c->old.domain_id = c->new.domain_id = r->domain_id;
	c->old.host_id = c->new.host_id = r->host_id;
	c->old.instance_id = c->new.instance_id = r->instance_id;
	c->old.cls = r->cls;
	c->old.reason = r->reason;
	c->old.n = -1;
	c->new.cls = (int32_t)v.cls;
	c->new.reason = (int32_t)v.reason;
	c->new.n = 1;
	c->sup.id = r->id;
	c->sup.time = r->time;
	c->sup.domain_id = r->domain_id;
	c->sup.was = store_suppress_listed(r->cls, r->reason);
	c->sup.now = store_suppress_listed((int)v.cls, (int)v.reason);
	if ((c->sup.was != 0 || c->sup.now != 0) && r->domain != NULL)
		c->sup.local = store_suppress_key(r->local, r->domain);
	return 0;
}

/* The suppression list: the recipients whose rows were or are listed. */
static int
store_reclass_suppress(struct rc *rc)
{
	struct store_sredo	*s;
	size_t			 i, n = 0;
	int			 ret;

	s = xcalloc(rc->nch + 1, sizeof(*s));
	for (i = 0; i < rc->nch; i++) {
		if (rc->ch[i].sup.local != NULL)
			s[n++] = rc->ch[i].sup;
	}
	ret = store_suppress_redo(rc->st, s, n);
	free(s);
	return ret;
}

/* Counter keys in order (a server backend locks them in that order). */
static int
store_reclass_cmp(const void *a, const void *b)
{
	const struct store_counter	*x = a, *y = b;

#define RC_CMP(f) if (x->f != y->f) return x->f < y->f ? -1 : 1
	RC_CMP(day);
	RC_CMP(domain_id);
	RC_CMP(cls);
	RC_CMP(reason);
	RC_CMP(host_id);
	RC_CMP(instance_id);
#undef RC_CMP
	return 0;
}

/* The counters: every change moves one from its old key to its new. */
static int
store_reclass_counters(struct rc *rc)
{
	struct store_counter	*k;
	size_t			 i, n = 0;
	int			 ret;

	if (rc->nch == 0)
		return 0;
	k = xcalloc(rc->nch * 2, sizeof(*k));
	for (i = 0; i < rc->nch; i++) {
		k[2 * i] = rc->ch[i].old;
		k[2 * i + 1] = rc->ch[i].new;
	}
	qsort(k, rc->nch * 2, sizeof(*k), store_reclass_cmp);
	for (i = 0; i < rc->nch * 2; i++) {
		if (n > 0 && store_reclass_cmp(&k[n - 1], &k[i]) == 0)
			k[n - 1].n += k[i].n;
		else
			k[n++] = k[i];
	}
	ret = rc->st->be->daily_add(rc->st, k, n);
	free(k);
	if (ret == -1)
		return -1;
	/* a row that starts or stops being a failure moves its hour's count */
	for (i = 0; i < rc->nch; i++)
		if (store_hour_move(rc->st, rc->ch[i].time,
		    rc->ch[i].old.cls, rc->ch[i].new.cls) == -1)
			return -1;
	return rc->st->be->daily_tidy(rc->st);
}

/* The rows: class, reason, rule (interned once per name) and detail. */
static int
store_reclass_rows(struct rc *rc)
{
	struct hash	 rules;
	size_t		 i, *v;
	int		 isnew, ret = 0;
	int64_t		*ids = NULL, id;
	size_t		 nids = 0;

	memset(&rules, 0, sizeof(rules));
	for (i = 0; i < rc->nch && ret == 0; i++) {
		struct rc_change	*c = &rc->ch[i];

		id = 0;
		if (c->rule != NULL) {
			v = hash_slot(&rules, (uint64_t)(uintptr_t)c->rule, 0, &isnew);
			if (*v == 0) {
				if ((id = rc->st->be->intern(rc->st, I_RULE, c->rule,
				    strlen(c->rule), NULL, 0)) < 0) {
					ret = -1;
					break;
				}
				ids = xrealloc(ids, (nids + 1) * sizeof(*ids));
				ids[nids] = id;
				*v = ++nids;
			} else
				id = ids[*v - 1];
		}
		ret = rc->st->be->failure_reclass(rc->st, c->id, c->new.cls,
		    c->new.reason, id, c->detail);
	}
	free(ids);
	hash_free(&rules);
	return ret;
}

/*
 * "unrecognised" for each reply that moved into or out of 'other': its
 * count moves; when every row it counted was read here, it is rebuilt
 * from them (first and last seen, the first one's text), as a fresh
 * import would have; otherwise the rows outside the days keep their say.
 */
static int
store_reclass_unrecognised(struct rc *rc)
{
	size_t	 i;

	for (i = 0; i < rc->nun; i++) {
		struct rc_unrec	*u = &rc->un[i];
		struct span	 ex = { u->example, u->example ? strlen(u->example) : 0 };
		int64_t		 n, first, last;
		int		 r;

		if (!u->touched)
			continue;
		if ((r = rc->st->be->unrecognised_get(rc->st, u->normalized, &n,
		    &first, &last)) == -1)
			return -1;
		if (r == 0 || n <= u->before) {
			/* only rows read here: exactly theirs */
			n = u->after;
			first = u->first;
			last = u->last;
		} else {
			n += u->after - u->before;
			if (u->after > 0) {
				first = u->first < first ? u->first : first;
				last = u->last > last ? u->last : last;
			}
			ex.p = NULL;	/* keep the stored example */
		}
		if (rc->st->be->unrecognised_set(rc->st, u->normalized, n, first,
		    last, ex, u->domain) == -1)
			return -1;
	}
	return 0;
}

static void
store_reclass_free(struct rc *rc)
{
	size_t	 i;

	for (i = 0; i < rc->nch; i++) {
		free(rc->ch[i].detail);
		free(rc->ch[i].sup.local);
	}
	free(rc->ch);
	for (i = 0; i < rc->nun; i++) {
		free(rc->un[i].normalized);
		free(rc->un[i].example);
		free(rc->un[i].domain);
	}
	free(rc->un);
	hash_free(&rc->unmap);
	free(rc->norm);
}

int
store_reclassify(struct store *st, const struct classifier *cl, int64_t from,
    int64_t to, struct store_reclass_stats *stats)
{
	struct rc	 rc;
	char		 f[16], t[16];

	memset(stats, 0, sizeof(*stats));
	if (st->be->reclass_rows == NULL)
		return store_fail(st, STORE_EOTHER, "reclassify: not yet done by "
		    "the %s backend", st->be->backend);
	memset(&rc, 0, sizeof(rc));
	rc.st = st;
	rc.cl = cl;
	rc.from = (int32_t)(from + STORE_DAY0);
	rc.to = (int32_t)(to + STORE_DAY0);
	rc.stats = stats;
	store_day_text(rc.from, f);
	store_day_text(rc.to, t);
	if (store_begin(st) == -1)
		return -1;
	/* the list reads the rows as they were: before they are rewritten */
	if (st->be->reclass_rows(st, f, t, store_reclass_row, &rc) == -1 ||
	    store_reclass_suppress(&rc) == -1 || store_reclass_rows(&rc) == -1 || store_reclass_counters(&rc) == -1 ||
	    store_reclass_unrecognised(&rc) == -1) {
		store_rollback(st);
		store_reclass_free(&rc);
		return -1;
	}
	store_reclass_free(&rc);
	return store_commit(st);
}
