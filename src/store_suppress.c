/*
 * store_suppress.c -- the writer's part of the suppression list: a
 * recipient whose delivery failed permanently for a reason that says the
 * address is dead gets a row in "suppression"; a later delivery to it
 * removes the row.  Deliveries are not stored one by one, so the writer
 * keeps the table's keys in a filter (each false positive one DELETE that
 * finds nothing) and touches the database for a delivered line only when
 * its recipient may be there.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "store_backend.h"
#include "util.h"

/* The reason a verdict lists its recipient for (the address is dead), 0 none. */
int
store_suppress_listed(int cls, int reason)
{
	if (cls != CLASS_PERMANENT)
		return 0;
	switch (reason) {
	case REASON_USER_UNKNOWN:
	case REASON_MAILBOX_DISABLED:
	case REASON_BAD_ADDRESS:
	case REASON_DOMAIN_NOT_FOUND:
		return reason;
	default:
		return 0;
	}
}

/* A recipient as the list keys it: the local part, or all of it. */
static struct span
store_suppress_strip(struct span l, const char *domain)
{
	const char	*at;
	size_t		 dl = strlen(domain);

	if (l.p == NULL || dl == 0 || (at = memrchr(l.p, '@', l.n)) == NULL)
		return l;
	if ((size_t)(l.p + l.n - at - 1) == dl && memcmp(at + 1, domain, dl) == 0)
		l.n = (size_t)(at - l.p);
	return l;
}

/* failure.local keeps a quoted '@' whole: the key strips the domain. */
char *
store_suppress_key(struct span local, const char *domain)
{
	struct span	 l = store_suppress_strip(local, domain);

	return l.p == NULL || l.n == 0 ? NULL : xstrndup(l.p, l.n);
}

/* memory only, rebuilt at each start: the faster hash */
static uint64_t
store_sset_key(int64_t domain_id, const char *p, size_t n)
{
	return hash_fast(p, n) ^ (uint64_t)domain_id * 0x9e3779b97f4a7c15ULL;
}

/*
 * The filter's size follows the list's, since it is asked for every
 * delivered line and a small one stays in the processor's cache: 32 bits
 * a key when loaded (about 0.4% false positives), from 32 KiB up to
 * 2^STORE_SBITS_ORDER bits (2 MiB: 1% at a million keys).  Once a
 * sixteenth of its bits are keys (1.4%) it is made again, larger, at the
 * next batch.
 */
#define STORE_SBITS_MIN		18
#define STORE_SBITS_PER_KEY	32

static unsigned
store_sset_order(int64_t keys)
{
	unsigned	 o = STORE_SBITS_MIN;

	while (o < STORE_SBITS_ORDER &&
	    ((uint64_t)1 << o) < (uint64_t)keys * STORE_SBITS_PER_KEY)
		o++;
	return o;
}

static void
store_sset_add(struct store *st, int64_t domain_id, const char *p, size_t n)
{
	struct hash_filter	*f = &st->sfilter;

	hash_filter_add(f, store_sset_key(domain_id, p, n));
	if (f->order < STORE_SBITS_ORDER && f->n > ((size_t)1 << f->order) / 16)
		st->sset_stale = 1;
}

/* An empty filter of 2^order bits; the one before freed. */
static void
store_sset_make(struct store *st, unsigned order)
{
	if (st->sfilter.w != NULL && st->sfilter.order == order) {
		hash_filter_clear(&st->sfilter);
		return;
	}
	hash_filter_free(&st->sfilter);
	hash_filter_init(&st->sfilter, order);
}

static int
store_sset_load_one(int64_t domain_id, const char *p, size_t n, void *arg)
{
	store_sset_add(arg, domain_id, p, n);
	return 0;
}

int
store_suppress_begin(struct store *st)
{
	int64_t	 keys = INT64_MAX / STORE_SBITS_PER_KEY;

	if (!st->sset_stale || st->be->suppress_keys == NULL)
		return 0;
	/* a backend that cannot count gets the largest */
	if (st->be->exec != NULL &&
	    st->be->exec(st, "SELECT count(*) FROM suppression", &keys) == -1)
		return -1;
	store_sset_make(st, store_sset_order(keys));
	if (st->be->suppress_keys(st, store_sset_load_one, st) == -1)
		return -1;
	st->sset_stale = 0;
	return 0;
}

/* One delivery line of domain_id (row: its failure row, 0 if delivered). */
int
store_suppress_note(struct store *st, const struct delivery *d,
    const struct verdict *v, int64_t domain_id, int64_t row)
{
	struct span	 l = store_suppress_strip(d->recipient, d->domain);

	/* a backend without the table keeps no list */
	if (l.p == NULL || l.n == 0 || st->be->suppress_put == NULL)
		return 0;
	if (store_suppress_listed((int)v->cls, (int)v->reason)) {
		if (st->be->suppress_put(st, domain_id, l, v->reason, d->time,
		    row) == -1)
			return -1;
		store_sset_add(st, domain_id, l.p, l.n);
		return 0;
	}
	if (v->cls != CLASS_DELIVERED)
		return 0;
	if (!hash_filter_has(&st->sfilter, store_sset_key(domain_id, l.p, l.n)))
		return 0;
	/* the key stays in the set: a false positive costs one DELETE */
	return st->be->suppress_del(st, domain_id, l, d->time);
}

/* After a rollback the set may hold keys the database lost. */
void
store_suppress_reset(struct store *st)
{
	st->sset_stale = 1;
}

void
store_suppress_free(struct store *st)
{
	hash_filter_free(&st->sfilter);
}

/*
 * reclassify: the list as a fresh import with the new verdicts keeps it.
 * For each recipient a changed row lists or unlists, its rows listed
 * before or after are gathered and the row is rebuilt from those after
 * the last delivery.  Deliveries are not stored: the row as it stands
 * tells where one was (it counts the last n rows listed; when there is no
 * row, one came after them all), and a delivery that undid nothing is not
 * known.  Rows pruned before keep their count.
 */
struct ss_ev {
	int64_t		 id;
	int64_t		 time;
	int		 was, now;
};

struct ss_key {
	int64_t		 domain_id;
	char		*local;
	struct ss_ev	*ev;
	size_t		 nev, cap;
};

struct ss {
	const struct store_sredo *ch;	/* in id order */
	size_t		 nch;
	struct ss_key	*k;
	size_t		 nk, cap;
	struct hash	 map;		/* (domain id, hash of local) -> k index + 1 */
};

static struct ss_key *
store_suppress_find(struct ss *s, int64_t domain_id, const char *local,
    int create)
{
	size_t		*v = NULL, i;
	uint64_t	 b;
	int		 isnew;

	/* keys whose hashes collide take the next b */
	for (b = hash_bytes(local, strlen(local));; b++) {
		if (create)
			i = *(v = hash_slot(&s->map, (uint64_t)domain_id, b, &isnew));
		else
			i = hash_find(&s->map, (uint64_t)domain_id, b);
		if (i == 0)
			break;
		if (s->k[i - 1].domain_id == domain_id &&
		    strcmp(s->k[i - 1].local, local) == 0)
			return &s->k[i - 1];
	}
	if (!create)
		return NULL;
	if (s->nk == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->k = xrealloc(s->k, s->cap * sizeof(*s->k));
	}
	memset(&s->k[s->nk], 0, sizeof(*s->k));
	s->k[s->nk].domain_id = domain_id;
	s->k[s->nk].local = xstrdup(local);
	*v = ++s->nk;
	return &s->k[s->nk - 1];
}

static void
store_suppress_event(struct ss_key *k, int64_t id, int64_t time, int was, int now)
{
	if (k->nev == k->cap) {
		k->cap = k->cap ? k->cap * 2 : 8;
		k->ev = xrealloc(k->ev, k->cap * sizeof(*k->ev));
	}
	k->ev[k->nev].id = id;
	k->ev[k->nev].time = time;
	k->ev[k->nev].was = was;
	k->ev[k->nev++].now = now;
}

static int
store_suppress_cmp(const void *a, const void *b)
{
	int64_t	 x = ((const struct ss_ev *)a)->id, y = ((const struct ss_ev *)b)->id;

	return x < y ? -1 : x > y;
}

/* A row listed now (read before the rewrite): its new verdict too. */
static int
store_suppress_row(const struct store_srow *r, void *arg)
{
	struct ss			*s = arg;
	struct ss_key			*k;
	const struct store_sredo	*c;
	size_t				 lo = 0, hi = s->nch, mid;
	char				*local;
	int				 was = store_suppress_listed(CLASS_PERMANENT,
					    r->reason);

	if (was == 0 || (local = store_suppress_key(r->local, r->domain)) == NULL)
		return 0;
	k = store_suppress_find(s, r->domain_id, local, 0);
	free(local);
	if (k == NULL)
		return 0;
	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (s->ch[mid].id < r->id)
			lo = mid + 1;
		else
			hi = mid;
	}
	c = lo < s->nch && s->ch[lo].id == r->id ? &s->ch[lo] : NULL;
	store_suppress_event(k, r->id, r->time, was, c != NULL ? c->now : was);
	return 0;
}

/* The row of one recipient from its rows, as they were and will be. */
static int
store_suppress_rebuild(struct store *st, struct ss_key *k)
{
	struct store_supp	 old, new;
	struct span		 l = { k->local, strlen(k->local) };
	int64_t			 nold = 0, cut = 0, seen = 0;
	size_t			 i;
	int			 r;

	qsort(k->ev, k->nev, sizeof(*k->ev), store_suppress_cmp);
	if ((r = st->be->suppress_get(st, k->domain_id, l, &old)) == -1)
		return -1;
	if (r == 0)
		memset(&old, 0, sizeof(old));
	for (i = 0; i < k->nev; i++)
		nold += k->ev[i].was != 0;
	memset(&new, 0, sizeof(new));
	if (old.n > 0 && nold > old.n) {
		/* a delivery came before the first of the last n listed */
		for (i = 0; i < k->nev; i++) {
			if (k->ev[i].was != 0 && seen++ == nold - old.n) {
				cut = k->ev[i].id;
				break;
			}
		}
	} else if (old.n > 0 && nold < old.n) {
		/* rows pruned: theirs stays */
		new = old;
		new.n = old.n - nold;
		new.last = nold == 0 ? old.last : old.first;
		if (nold > 0)
			new.failure_id = 0;
	} else if (old.n == 0 && nold > 0)
		cut = INT64_MAX;	/* a delivery came after them all */
	for (i = 0; i < k->nev; i++) {
		if (k->ev[i].now == 0 || k->ev[i].id < cut)
			continue;
		if (new.n++ == 0 || k->ev[i].time < new.first)
			new.first = k->ev[i].time;
		if (new.n == 1 || k->ev[i].time > new.last)
			new.last = k->ev[i].time;
		new.reason = k->ev[i].now;
		new.failure_id = k->ev[i].id;
	}
	if (old.n == new.n && (new.n == 0 || (old.reason == new.reason &&
	    old.first == new.first && old.last == new.last &&
	    old.failure_id == new.failure_id)))
		return 0;
	return st->be->suppress_set(st, k->domain_id, l, &new);
}

int
store_suppress_redo(struct store *st, const struct store_sredo *ch, size_t nch)
{
	struct ss	 s;
	struct ss_key	*k;
	size_t		 i;
	int		 ret = 0;

	if (st->be->suppress_put == NULL)
		return 0;		/* a backend without the list */
	if (st->be->suppress_rows == NULL)
		return store_fail(st, STORE_EOTHER, "reclassify: the %s backend "
		    "cannot rebuild the suppression list", st->be->backend);
	memset(&s, 0, sizeof(s));
	s.ch = ch;
	s.nch = nch;
	for (i = 0; i < nch; i++) {
		if (ch[i].was == 0 && ch[i].now == 0)
			continue;
		k = store_suppress_find(&s, ch[i].domain_id, ch[i].local, 1);
		/* listed only now: the database does not list it yet */
		if (ch[i].was == 0)
			store_suppress_event(k, ch[i].id, ch[i].time, 0, ch[i].now);
	}
	if (s.nk > 0)
		ret = st->be->suppress_rows(st, CLASS_PERMANENT,
		    store_suppress_row, &s);
	for (i = 0; i < s.nk && ret == 0; i++)
		ret = store_suppress_rebuild(st, &s.k[i]);
	for (i = 0; i < s.nk; i++) {
		free(s.k[i].local);
		free(s.k[i].ev);
	}
	free(s.k);
	hash_free(&s.map);
	store_suppress_reset(st);
	return ret;
}
