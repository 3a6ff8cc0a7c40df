/*
 * daysum_store.c -- day summaries and the store: one built from a day's
 * failure rows, and those of the days without a current one kept
 * (daysum.h; the codec is daysum.c).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "daysum.h"
#include "emit.h"
#include "store.h"
#include "tz.h"

struct daysum_build {
	struct daysum	 ds;
	const struct tz	*tz;
	int		 full;		/* DAYSUM_MAX_KEYS reached */
};

static int
daysum_row(const struct store_failure *f, void *arg)
{
	struct daysum_build	*b = arg;

	if (daysum_add_row(&b->ds, b->tz, f) == -1) {
		b->full = 1;
		return -1;	/* the rest need not be read */
	}
	return 0;
}

int
daysum_build(struct store *st, const struct tz *tz, const char *day,
    struct obuf *b)
{
	struct daysum_build	 db;
	struct store_range	 r;
	int			 y, m, d;
	int64_t			 days;

	memset(&r, 0, sizeof(r));
	r.from = r.to = day;
	r.t0 = 1;	/* not a day: no rows */
	if (sscanf(day, "%4d-%2d-%2d", &y, &m, &d) == 3) {
		days = tz_days_from_civil(y, (unsigned)m, (unsigned)d);
		r.t0 = tz_local_to_utc((struct tz *)tz, days * 86400);
		r.t1 = tz_local_to_utc((struct tz *)tz, (days + 1) * 86400) - 1;
	}
	r.with_texts = 1;
	memset(&db, 0, sizeof(db));
	db.tz = tz;
	if (store_failure_range(st, &r, daysum_row, &db) == -1 && !db.full) {
		daysum_free(&db.ds);
		return -1;
	}
	if (db.full)
		daysum_frame_none(r.t0, r.t1, b);
	else
		daysum_frame(&db.ds, r.t0, r.t1, b);
	daysum_free(&db.ds);
	return 0;
}

struct daysum_refresh {
	struct store	*st;
	const struct tz	*tz;
	const char	*skip;
	size_t		 left;		/* days still to build; 0: every day */
	int		 all;
	size_t		 built;
};

static int
daysum_refresh_day(const char *day, void *arg)
{
	struct daysum_refresh	*R = arg;
	struct obuf		 b;
	int			 rc;

	if ((R->skip != NULL && strcmp(day, R->skip) == 0) ||
	    (!R->all && R->left == 0))
		return 0;
	R->left--;
	R->built++;
	obuf_init(&b, NULL);
	if (store_read_begin(R->st) == -1) {
		obuf_free(&b);
		return -1;
	}
	/*
	 * Stored in the transaction that read the rows: bound to the
	 * day_span those rows were read under.  When another process has
	 * written meanwhile (to this day or any), the write fails (SQLite: a
	 * snapshot no longer the newest) instead of binding the summary to a
	 * span it may not describe; the day is left to the next refresh and
	 * the other days are still built.
	 */
	if ((rc = daysum_build(R->st, R->tz, day, &b)) == 0 &&
	    (rc = store_summary_put(R->st, day, b.p, b.n)) == -1 &&
	    store_error(R->st) == STORE_EBUSY) {
		R->built--;
		rc = 0;
	}
	store_read_end(R->st);
	obuf_free(&b);
	return rc;
}

int
daysum_refresh(struct store *st, const struct tz *tz, const char *skip,
    size_t max)
{
	struct daysum_refresh	 R;

	if (!store_summaries(st))
		return 0;
	memset(&R, 0, sizeof(R));
	R.st = st;
	R.tz = tz;
	R.skip = skip;
	R.left = max;
	R.all = max == 0;
	if (store_summary_days(st, daysum_refresh_day, &R) == -1)
		return -1;
	return (int)(R.built > INT32_MAX ? INT32_MAX : R.built);
}
