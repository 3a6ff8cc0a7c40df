/*
 * store_suppress.c -- the writer's part of the suppression list: a
 * recipient whose delivery failed permanently for a reason that says the
 * address is dead gets a row in "suppression"; a later delivery to it
 * removes the row.  Deliveries are not stored one by one, so the writer
 * keeps the keys of the table in memory and touches the database for a
 * delivered line only when its recipient may be there.
 */
#include "config.h"

#include <string.h>

#include "store_backend.h"

#define STORE_SSET_MAX	(1 << 20)	/* keys kept in memory */

/* A permanent failure of these says the address itself is dead. */
static int
store_suppress_reason(int reason)
{
	switch (reason) {
	case REASON_USER_UNKNOWN:
	case REASON_MAILBOX_DISABLED:
	case REASON_BAD_ADDRESS:
	case REASON_DOMAIN_NOT_FOUND:
		return 1;
	default:
		return 0;
	}
}

/* The recipient as failure.local stores it: the local part, or all of it. */
static struct span
store_suppress_local(const struct delivery *d)
{
	struct span	 l = d->recipient;
	const char	*at;
	size_t		 dl = strlen(d->domain);

	if (l.p == NULL || dl == 0 || (at = memrchr(l.p, '@', l.n)) == NULL)
		return l;
	if ((size_t)(l.p + l.n - at - 1) == dl && memcmp(at + 1, d->domain, dl) == 0)
		l.n = (size_t)(at - l.p);
	return l;
}

static void
store_sset_add(struct store *st, int64_t domain_id, const char *p, size_t n)
{
	size_t	*v;
	int	 isnew;

	if (st->sset.n >= STORE_SSET_MAX) {
		st->sset_full = 1;
		return;
	}
	v = hash_slot(&st->sset, (uint64_t)domain_id, hash_bytes(p, n), &isnew);
	*v = 1;
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
	if (!st->sset_stale || st->be->suppress_keys == NULL)
		return 0;
	hash_clear(&st->sset);
	st->sset_full = 0;
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
	struct span	 l = store_suppress_local(d);

	/* a backend without the table keeps no list */
	if (l.p == NULL || l.n == 0 || st->be->suppress_put == NULL)
		return 0;
	if (v->cls == CLASS_PERMANENT && store_suppress_reason(v->reason)) {
		if (st->be->suppress_put(st, domain_id, l, v->reason, d->time,
		    row) == -1)
			return -1;
		store_sset_add(st, domain_id, l.p, l.n);
		return 0;
	}
	if (v->cls != CLASS_DELIVERED)
		return 0;
	if (!st->sset_full &&
	    hash_find(&st->sset, (uint64_t)domain_id, hash_bytes(l.p, l.n)) == 0)
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
	hash_free(&st->sset);
}
