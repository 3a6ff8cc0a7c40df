/*
 * store_write.c -- the writer: what a parsed line becomes in the store
 * (interned ids, per-day counters, failure rows, pending deferrals and
 * their expiry), through the backend's operations.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store.h"
#include "store_backend.h"
#include "util.h"

/*
 * Memory stays bounded whatever the log: the caches are fixed-size, the
 * counters are flushed when full and at each commit, and the recipients
 * still deferred live in the database, in the same transactions, with
 * only a fixed-size filter of their queue ids in memory.  After a
 * rollback every cache is dropped: ids handed out inside the failed
 * transaction no longer exist.
 */

/* Slots of each interning cache (powers of two). */
static const unsigned store_cache_slots[I_MAX] = {
	[I_DOMAIN] = 8192,
	[I_RELAY] = 4096,
	[I_HOST] = 64,
	[I_RULE] = 512,
	[I_INSTANCE] = 64,
	[I_DIAG] = 8192,
	[I_REPLY] = 1024,
};

int64_t
store_diag_hash(const char *s, size_t n)
{
	return (int64_t)((hash_bytes(s, n) | 1) & INT64_MAX) | 1;
}

int
store_write_init(struct store *st)
{
	int	 i;

	for (i = 0; i < I_MAX; i++)
		st->cache[i] = xcalloc(store_cache_slots[i], sizeof(*st->cache[i]));
	hash_filter_init(&st->qfilter, STORE_QBITS_ORDER);
	/* the filter of suppressed recipients: sized when loaded */
	hash_filter_init(&st->sfilter, 6);
	st->qset_stale = 1;
	st->sset_stale = 1;
	return 0;
}

/* Forget every interned id (they may be gone from the database). */
void
store_write_forget(struct store *st)
{
	int		 i;
	unsigned	 j;

	st->last_origin_ok = 0;
	for (i = 0; i < I_MAX; i++) {
		if (st->cache[i] == NULL)
			continue;
		for (j = 0; j < store_cache_slots[i]; j++) {
			free(st->cache[i][j].key);
			st->cache[i][j].key = NULL;
			st->cache[i][j].hash = 0;
		}
	}
}

void
store_write_free(struct store *st)
{
	int	 i;

	store_write_forget(st);
	for (i = 0; i < I_MAX; i++)
		free(st->cache[i]);
	hash_free(&st->counter_map);
	hash_filter_free(&st->qfilter);
	store_suppress_free(st);
	free(st->tmpl);
	free(st->norm);
}

/* ---- interning ---- */

/*
 * A hash's two slots in a cache (every hash is odd: its bits above the
 * lowest choose), the one used last first: two keys of one pair do not
 * drive each other out, as they did with one slot each (a third of the
 * lookups went to the database at 1M lines).
 */
static struct store_islot *
store_cache_pair(struct store *st, enum store_intern which, uint64_t h)
{
	return &st->cache[which][(h >> 1) & (store_cache_slots[which] - 2)];
}

static int
store_cache_hit(const struct store_islot *slot, uint64_t h, const char *s, size_t n)
{
	return slot->hash == h && slot->len == n && memcmp(slot->key, s, n) == 0;
}

/* The slot of the pair holding s, made the first; NULL when neither does. */
static struct store_islot *
store_cache_find(struct store_islot *pair, uint64_t h, const char *s, size_t n)
{
	struct store_islot	 t;

	if (store_cache_hit(&pair[0], h, s, n))
		return &pair[0];
	if (!store_cache_hit(&pair[1], h, s, n))
		return NULL;
	t = pair[0];
	pair[0] = pair[1];
	pair[1] = t;
	return &pair[0];
}

/* s first in its pair, the one used longest ago forgotten. */
static int64_t
store_cache_put(struct store_islot *pair, uint64_t h, const char *s, size_t n,
    int64_t id)
{
	free(pair[1].key);
	pair[1] = pair[0];
	pair[0].key = xmalloc(n + 1);
	memcpy(pair[0].key, s, n);
	pair[0].key[n] = '\0';
	pair[0].len = n;
	pair[0].hash = h;
	pair[0].id = id;
	return id;
}

static int64_t
store_intern(struct store *st, enum store_intern which, const char *s, size_t n,
    const char *normalized)
{
	uint64_t		 h = hash_fast(s, n) | 1;
	struct store_islot	*pair = store_cache_pair(st, which, h), *slot;
	int64_t			 id;

	if ((slot = store_cache_find(pair, h, s, n)) != NULL)
		return slot->id;
	if ((id = st->be->intern(st, which, s, n, normalized,
	    (uint64_t)store_diag_hash(s, n))) < 0)
		return -1;
	return store_cache_put(pair, h, s, n, id);
}

static int64_t
store_intern_span(struct store *st, enum store_intern which, struct span s)
{
	if (s.p == NULL || s.n == 0)
		return 0;
	return store_intern(st, which, s.p, s.n, NULL);
}

static struct span
store_span_cut(struct span s, size_t max)
{
	if (s.p == NULL) {
		s.p = "";
		s.n = 0;
	} else if (s.n > max)
		s.n = max;
	return s;
}

/*
 * The reply of a failure -- code, dsn (or the reply's enhanced code) and
 * SMTP stage -- interned as one id: a few hundred combinations cover a
 * busy server, and each failure row carries one small integer.
 */
static int64_t
store_reply_id(struct store *st, const struct delivery *d)
{
	struct span		 dsn, stage;
	char			 key[512];
	int			 n;
	uint64_t		 h;
	struct store_islot	*pair, *slot;
	int64_t			 id;

	dsn = store_span_cut(d->dsn.p != NULL ? d->dsn : d->enhanced, 64);
	stage = store_span_cut(d->stage, 128);
	n = snprintf(key, sizeof(key), "%d\x1f%.*s\x1f%.*s", d->code,
	    (int)dsn.n, dsn.p, (int)stage.n, stage.p);
	if (n < 0 || (size_t)n >= sizeof(key))
		n = (int)strlen(key);
	h = hash_fast(key, (size_t)n) | 1;
	pair = store_cache_pair(st, I_REPLY, h);
	if ((slot = store_cache_find(pair, h, key, (size_t)n)) != NULL)
		return slot->id;
	if ((id = st->be->reply(st, d->code, dsn, stage)) < 0)
		return -1;
	return store_cache_put(pair, h, key, (size_t)n, id);
}

/* ---- days, counters, spans, line statistics ---- */

/* A parsed line's day key: its local day as parse found it (no zone here). */
static int32_t
store_day_key(const struct delivery *d)
{
	return d->day + STORE_DAY0;
}

static int
store_cmp_counter(const void *a, const void *b)
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
	if (x->instance_id != y->instance_id)
		return x->instance_id < y->instance_id ? -1 : 1;
	return 0;
}

/*
 * Once per commit (or when the batch's table is full): in key order,
 * each upsert lands next to the one before in the table's b-tree.
 */
static int
store_flush_counters(struct store *st)
{
	size_t	 i;

	if (st->ncounters > 1)
		qsort(st->counters, st->ncounters, sizeof(*st->counters),
		    store_cmp_counter);
	if (st->ncounters > 0 &&
	    st->be->daily_add(st, st->counters, st->ncounters) == -1)
		return -1;
	if (st->watch.count != NULL)
		for (i = 0; i < st->ncounters; i++)
			st->watch.count(st->watch.arg, st->counters[i].domain_id,
			    st->counters[i].cls, st->counters[i].reason,
			    st->counters[i].n);
	st->ncounters = 0;
	hash_clear(&st->counter_map);
	return 0;
}

/* Where a line was logged: its host and Postfix instance, interned. */
struct store_origin {
	int64_t		 host_id;	/* 0: not known */
	int64_t		 instance_id;
};

static int
store_same_counter(const struct store_counter *c, const struct store_counter *k)
{
	return c->day == k->day && c->domain_id == k->domain_id && c->cls == k->cls &&
	    c->reason == k->reason && c->host_id == k->host_id &&
	    c->instance_id == k->instance_id;
}

/* The counter of key k in this batch, NULL when there is none yet. */
static struct store_counter *
store_counter_find(struct store *st, const struct store_counter *k, uint64_t h)
{
	size_t	 v;
	uint64_t i;

	/* keys whose hashes collide take the next i */
	for (i = 0; (v = hash_find(&st->counter_map, h, i)) != 0; i++)
		if (store_same_counter(&st->counters[v - 1], k))
			return &st->counters[v - 1];
	return NULL;
}

static int
store_count(struct store *st, int32_t day, int64_t domain_id, int cls, int reason,
    const struct store_origin *o)
{
	struct store_counter	 k, *c;
	uint64_t		 h, i;
	size_t			*v;
	int			 isnew;

	memset(&k, 0, sizeof(k));
	k.day = day;
	k.domain_id = domain_id;
	k.cls = cls;
	k.reason = reason;
	k.host_id = o->host_id;
	k.instance_id = o->instance_id;
	/* cheaper than hashing the bytes: this runs for every delivery */
	h = ((uint64_t)(uint32_t)day << 40 ^ (uint64_t)cls << 32 ^ (uint64_t)reason << 24) ^
	    (uint64_t)domain_id * 0x9e3779b97f4a7c15ULL ^
	    (uint64_t)o->host_id * 0xbf58476d1ce4e5b9ULL ^
	    (uint64_t)o->instance_id * 0x94d049bb133111ebULL;
	if ((c = store_counter_find(st, &k, h)) != NULL) {
		c->n++;
		return 0;
	}
	if (st->ncounters == STORE_COUNTERS && store_flush_counters(st) == -1)
		return -1;
	for (i = 0;; i++)
		if (*(v = hash_slot(&st->counter_map, h, i, &isnew)) == 0)
			break;
	k.n = 1;
	st->counters[st->ncounters] = k;
	*v = ++st->ncounters;
	return 0;
}

static int
store_flush_spans(struct store *st)
{
	if (st->nspans > 0 && st->be->spans_add(st, st->spans, st->nspans) == -1)
		return -1;
	st->nspans = 0;
	return 0;
}

/* Widen the rowid span of a day; flushed at commit, or when full. */
static int
store_span(struct store *st, int32_t day, int64_t id)
{
	size_t	 i;

	for (i = 0; i < st->nspans; i++)
		if (st->spans[i].day == day) {
			if (id < st->spans[i].first)
				st->spans[i].first = id;
			if (id > st->spans[i].last)
				st->spans[i].last = id;
			return 0;
		}
	if (st->nspans == STORE_DAYSPANS && store_flush_spans(st) == -1)
		return -1;
	st->spans[st->nspans].day = day;
	st->spans[st->nspans].first = st->spans[st->nspans].last = id;
	st->nspans++;
	return 0;
}

static int
store_flush_linestats(struct store *st)
{
	int	 k;

	if (st->linestat_source < 0)
		return 0;
	for (k = 0; k < LINE_KIND_MAX; k++)
		if (st->linestat[k] != 0)
			break;
	if (k == LINE_KIND_MAX)
		return 0;
	if (st->be->linestats_add(st, st->linestat_source, st->linestat) == -1)
		return -1;
	memset(st->linestat, 0, sizeof(st->linestat));
	return 0;
}

/* ---- failure rows ---- */

static void
store_reserve(char **buf, size_t *cap, size_t need)
{
	if (*cap >= need)
		return;
	*cap = need < 4096 ? 4096 : need * 2;
	*buf = xrealloc(*buf, *cap);
}

static int
store_recipient_exact(const struct delivery *d)
{
	const char	*at;
	size_t		 dl = strlen(d->domain);

	if (d->recipient.p == NULL || dl == 0)
		return 0;
	at = memrchr(d->recipient.p, '@', d->recipient.n);
	/*
	 * A quoted local part with an '@' of its own ("john@home"@example.com)
	 * stays whole: the views show a local part holding '@' as it is.
	 */
	return at != NULL && (size_t)(d->recipient.p + d->recipient.n - at - 1) == dl &&
	    memcmp(at + 1, d->domain, dl) == 0 &&
	    memchr(d->recipient.p, '@', (size_t)(at - d->recipient.p)) == NULL;
}

/* The template of d's diagnostic, interned: its id, 0 without one, -1. */
static int64_t
store_diag_id(struct store *st, const struct delivery *d, int exact,
    struct diag_args *args)
{
	const char		*rb;
	size_t			 hlen = 0, tlen;
	uint64_t		 h;
	struct store_islot	*slot;

	memset(args, 0, sizeof(*args));
	if (d->diagnostic.p == NULL)
		return 0;
	if (d->relay.p != NULL && (rb = memchr(d->relay.p, ']', d->relay.n)) != NULL)
		hlen = (size_t)(rb - d->relay.p) + 1;
	store_reserve(&st->tmpl, &st->tmpl_cap, DIAG_TEMPLATE_SIZE(d->diagnostic.n));
	tlen = diag_template(d->diagnostic.p, d->diagnostic.n,
	    exact ? d->recipient.p : "", exact ? d->recipient.n : 0,
	    d->relay.p, hlen, d->domain, strlen(d->domain), st->tmpl, args);
	h = hash_fast(st->tmpl, tlen) | 1;
	if ((slot = store_cache_find(store_cache_pair(st, I_DIAG, h), h, st->tmpl,
	    tlen)) != NULL)
		return slot->id;
	/* normalise only texts not seen recently */
	store_reserve(&st->norm, &st->norm_cap, tlen * 2 + 64);
	diag_normalize(st->tmpl, tlen, st->norm, st->norm_cap);
	return store_intern(st, I_DIAG, st->tmpl, tlen, st->norm);
}

/* One failure row; returns its id or -1. */
static int64_t
store_failure(struct store *st, int64_t source_id, uint64_t offset,
    const struct delivery *d, const struct verdict *v, int64_t domain_id,
    int status_id, const struct store_origin *o)
{
	struct store_frow	 f;
	int64_t			 id;
	int			 exact = store_recipient_exact(d);
	char			 detail[VERDICT_DETAIL_NAME_MAX + 16];

	memset(&f, 0, sizeof(f));
	f.local = d->recipient;
	if (exact)
		f.local.n = (size_t)((const char *)memrchr(f.local.p, '@', f.local.n) -
		    f.local.p);
	f.host_id = o->host_id;
	f.instance_id = o->instance_id;
	if ((f.relay_id = store_intern_span(st, I_RELAY, d->relay)) < 0 ||
	    (f.reply_id = store_reply_id(st, d)) < 0)
		return -1;
	f.rule_id = v->rule != NULL ?
	    store_intern(st, I_RULE, v->rule, strlen(v->rule), NULL) : 0;
	if (f.rule_id < 0 || (f.diag_id = store_diag_id(st, d, exact, &f.args)) < 0)
		return -1;
	f.time = d->time;
	f.day = store_day_key(d);
	f.source_id = source_id > 0 ? source_id : 0;
	f.offset = offset;
	f.queue_id = d->queue_id;
	f.domain_id = domain_id;
	f.status_id = status_id;
	f.cls = (int)v->cls;
	f.reason = (int)v->reason;
	f.detail = classify_detail_text(v, detail, sizeof(detail));
	if ((id = st->be->failure_add(st, &f)) < 0)
		return -1;

	if (v->reason == REASON_OTHER && d->diagnostic.p != NULL) {
		/*
		 * Remote text made safe as in the failure's template (and as
		 * reclassify sees it): the example, then its normalised form.
		 */
		size_t		 nlen = d->diagnostic.n * 2 + 64;
		struct span	 ex;

		store_reserve(&st->norm, &st->norm_cap, nlen + d->diagnostic.n + 1);
		ex.p = st->norm + nlen;
		ex.n = diag_safe(d->diagnostic.p, d->diagnostic.n, st->norm + nlen);
		diag_normalize(ex.p, ex.n, st->norm, nlen);
		if (st->be->unrecognised_add(st, st->norm, d->time, ex, d->domain) == -1)
			return -1;
	}
	return id;
}

static int
store_status_id(enum dstatus s)
{
	switch (s) {
	case DSTATUS_SENT: return 1;
	case DSTATUS_DEFERRED: return 2;
	case DSTATUS_BOUNCED: return 3;
	case DSTATUS_SOFTBOUNCE: return 4;
	case DSTATUS_EXPIRED: return 5;
	default: return 0;
	}
}

/* ---- pending recipients, for attributing "expired" ---- */

/* The host and Postfix instance (the syslog name before '/') of a line. */
static int
store_origin(struct store *st, const struct delivery *d, struct store_origin *o)
{
	struct span	 inst = d->syslog_name;
	const char	*slash;

	if (inst.p != NULL && (slash = memchr(inst.p, '/', inst.n)) != NULL)
		inst.n = (size_t)(slash - inst.p);
	/* most lines come from the host and instance of the line before */
	if (st->last_origin_ok && d->host.n == st->last_host_len &&
	    inst.n == st->last_inst_len && (d->host.n == 0 ||
	    memcmp(d->host.p, st->last_host, d->host.n) == 0) && (inst.n == 0 ||
	    memcmp(inst.p, st->last_inst, inst.n) == 0)) {
		o->host_id = st->last_host_id;
		o->instance_id = st->last_inst_id;
		return 0;
	}
	if ((o->host_id = store_intern_span(st, I_HOST, d->host)) < 0 ||
	    (o->instance_id = store_intern_span(st, I_INSTANCE, inst)) < 0)
		return -1;
	st->last_origin_ok = d->host.n <= sizeof(st->last_host) &&
	    inst.n <= sizeof(st->last_inst);
	if (st->last_origin_ok) {
		if (d->host.n > 0)
			memcpy(st->last_host, d->host.p, d->host.n);
		if (inst.n > 0)
			memcpy(st->last_inst, inst.p, inst.n);
		st->last_host_len = d->host.p != NULL ? d->host.n : 0;
		st->last_inst_len = inst.p != NULL ? inst.n : 0;
		st->last_host_id = o->host_id;
		st->last_inst_id = o->instance_id;
	}
	return 0;
}

static uint64_t
store_qhash(const struct store_qkey *k)
{
	return hash_fast(k->queue_id.p, k->queue_id.n) | 1;
}

/*
 * Queue ids that have rows in "pending" (recipients whose last attempt
 * was deferred), with their host, in a filter of 2^STORE_QBITS_ORDER bits
 * (256 KiB: it stays in cache): a delivered line touches the database
 * only when its queue id may be there.  A false positive costs one DELETE
 * that finds nothing (0.3% of lines with 60,000 pending).
 */
static uint64_t
store_qkey(uint64_t h, int64_t host_id)
{
	return h ^ (uint64_t)host_id * 0x9e3779b97f4a7c15ULL;
}

static void
store_qset_add(struct store *st, uint64_t h, int64_t host_id)
{
	hash_filter_add(&st->qfilter, store_qkey(h, host_id));
}

static int
store_qset_has(struct store *st, uint64_t h, int64_t host_id)
{
	if (st->qset_stale)
		return 1;
	return hash_filter_has(&st->qfilter, store_qkey(h, host_id));
}

static int
store_qset_load_one(int64_t host_id, const char *q, size_t n, void *arg)
{
	store_qset_add(arg, hash_fast(q, n) | 1, host_id);
	return 0;
}

/* (Re)build the set from the database: at start, after a rollback. */
static int
store_qset_load(struct store *st)
{
	hash_filter_clear(&st->qfilter);
	if (st->be->pending_qids(st, store_qset_load_one, st) == -1)
		return -1;
	st->qset_stale = 0;
	return 0;
}

/*
 * A deferral remembers (host, instance, queue id, recipient) -> its
 * failure row; a delivery or bounce forgets it.  In the database, in the
 * transaction: a rolled-back batch, a restart or a crash keeps the
 * attribution exact.
 */
static int
store_pending_note(struct store *st, const struct delivery *d,
    const struct store_origin *o, int64_t row)
{
	struct store_qkey	 k;
	uint64_t		 h;
	int64_t			 rcpt;

	if (d->queue_id.p == NULL || d->recipient.p == NULL)
		return 0;
	k.host_id = o->host_id;
	k.instance_id = o->instance_id;
	k.queue_id = d->queue_id;
	k.unknown = 0;
	h = store_qhash(&k);
	if (row > 0) {
		k.unknown = !store_qset_has(st, h, k.host_id);
		rcpt = (int64_t)hash_bytes(d->recipient.p, d->recipient.n);
		if (st->be->pending_put(st, &k, rcpt, row, d->time) == -1)
			return -1;
		store_qset_add(st, h, k.host_id);
		return 0;
	}
	if (!store_qset_has(st, h, k.host_id))
		return 0;
	rcpt = (int64_t)hash_bytes(d->recipient.p, d->recipient.n);
	return st->be->pending_del(st, &k, rcpt);
}

/*
 * qmgr expired a message: one permanent/expired failure for each of its
 * recipients still pending on that host and instance (with their last
 * reply), or one for the message when none is known.
 */
static int
store_expired(struct store *st, int64_t source_id, uint64_t offset,
    const struct delivery *qd, const struct verdict *v)
{
	struct store_origin	 o;
	struct store_qkey	 k;
	struct store_expiry	 e;
	int32_t			 day = store_day_key(qd);
	int64_t			*ids = NULL, did, row;
	int			 nids = 0, i, rc, found = 0;

	if (store_origin(st, qd, &o) == -1)
		return -1;
	k.host_id = o.host_id;
	k.instance_id = o.instance_id;
	k.queue_id = qd->queue_id;
	k.unknown = 0;
	if (qd->queue_id.p != NULL &&
	    (nids = st->be->pending_get(st, &k, &ids)) == -1)
		return -1;
	if (nids > 0) {
		memset(&e, 0, sizeof(e));
		e.time = qd->time;
		e.day = day;
		e.source_id = source_id > 0 ? source_id : 0;
		e.offset = offset;
		e.host_id = o.host_id;
		e.instance_id = o.instance_id;
		e.cls = (int)v->cls;
		e.reason = (int)v->reason;
		if ((e.rule_id = store_intern(st, I_RULE, v->rule, strlen(v->rule),
		    NULL)) < 0) {
			free(ids);
			return -1;
		}
		/* each recipient: its last deferral, now expired */
		for (i = 0; i < nids; i++) {
			if ((rc = st->be->expire_copy(st, ids[i], &e, &row, &did)) == -1 ||
			    (rc == 1 && (store_span(st, day, row) == -1 ||
			    store_count(st, day, did, v->cls, v->reason, &o) == -1))) {
				free(ids);
				return -1;
			}
			found += rc;
		}
		free(ids);
		if (found)
			return st->be->pending_forget(st, &k);
	} else
		free(ids);
	/* recipients unknown (or their rows pruned): attribute to the message */
	if ((did = store_intern(st, I_DOMAIN, "", 0, NULL)) < 0)
		return -1;
	if ((row = store_failure(st, source_id, offset, qd, v, did, 5, &o)) < 0 ||
	    store_span(st, day, row) == -1)
		return -1;
	return store_count(st, day, did, v->cls, v->reason, &o);
}

static int	store_write_filters(struct store *);

int
store_add(struct store *st, int64_t source_id, uint64_t offset,
    enum line_kind kind, const struct delivery *d, const struct verdict *v)
{
	struct store_origin	 o;
	int64_t			 did, row;
	int32_t			 day;

	if (source_id != st->linestat_source) {
		if (store_flush_linestats(st) == -1)
			return -1;
		st->linestat_source = source_id;
	}
	st->linestat[kind]++;
	/* a stamp from the future (a wrong clock) must not age everything */
	if (d->has_time && d->time > st->latest && d->time <= st->latest_max)
		st->latest = d->time;
	/* every stamped line counts in its hour: a day without any is told */
	if (kind != LINE_DELIVERY && d->has_time &&
	    store_hour_note(st, d->time, 0, 0) == -1)
		return -1;
	if ((kind != LINE_EXPIRED && kind != LINE_DELIVERY) || !d->has_time)
		return 0;
	if (st->filters_due && store_write_filters(st) == -1)
		return -1;
	if (kind == LINE_EXPIRED)
		return store_expired(st, source_id, offset, d, v);

	day = store_day_key(d);
	if (store_hour_note(st, d->time, 1, v->cls == CLASS_PERMANENT ||
	    v->cls == CLASS_TEMPORARY) == -1 ||
	    (did = store_intern(st, I_DOMAIN, d->domain, strlen(d->domain), NULL)) < 0 ||
	    store_origin(st, d, &o) == -1 ||
	    store_count(st, day, did, v->cls, v->reason, &o) == -1)
		return -1;
	row = 0;
	if (v->cls != CLASS_DELIVERED) {
		if ((row = store_failure(st, source_id, offset, d, v, did,
		    store_status_id(d->status), &o)) < 0 || store_span(st, day, row) == -1)
			return -1;
	}
	if (d->mta == MTA_POSTFIX && store_pending_note(st, d, &o,
	    d->status == DSTATUS_DEFERRED || d->status == DSTATUS_SOFTBOUNCE ? row : 0) == -1)
		return -1;
	return store_suppress_note(st, d, v, did, row);
}

/* ---- the batch ---- */

int
store_write_begin(struct store *st)
{
	st->latest_max = (int64_t)time(NULL) + 86400;
	st->filters_due = 1;
	return 0;
}

/*
 * The filters of pending queue ids and suppressed recipients, (re)built
 * from the database when the batch stores its first delivery or expiry,
 * not when it begins: an import begins its batch before it starts reading
 * (to find the file's source), and the reading thread now parses ahead
 * while they load (day 30 into the 29-day database: 108,742 rows, about
 * 35 ms).
 */
static int
store_write_filters(struct store *st)
{
	st->filters_due = 0;
	if (store_suppress_begin(st) == -1)
		return -1;
	/* after a rollback the set may miss queue ids the database has */
	if (st->qset_stale)
		return store_qset_load(st);
	return 0;
}

/*
 * Deferred recipients whose last attempt is older than the queue
 * lifetime, in the time of the log read, were expired or delivered in
 * lines we never saw: forget them (at most once per hour of log).
 */
static int
store_pending_age(struct store *st)
{
	int64_t	 before = st->latest - st->queue_lifetime;

	if (st->latest == 0 || before < st->expired_to + 3600)
		return 0;
	if (st->be->pending_expire(st, before) == -1)
		return -1;
	st->expired_to = before;
	return 0;
}

int
store_write_flush(struct store *st)
{
	if (store_flush_counters(st) == -1 || store_flush_spans(st) == -1 ||
	    store_flush_linestats(st) == -1 || store_pending_age(st) == -1 ||
	    store_hours_flush(st) == -1)
		return -1;
	return 0;
}

void
store_write_reset(struct store *st)
{
	st->ncounters = 0;
	hash_clear(&st->counter_map);
	st->nspans = 0;
	st->nhours = 0;
	memset(st->linestat, 0, sizeof(st->linestat));
	/* ids created in the failed transaction are gone */
	store_write_forget(st);
	st->qset_stale = 1;
	st->expired_to = 0;
	store_suppress_reset(st);
}
