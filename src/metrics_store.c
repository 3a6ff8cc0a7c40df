/*
 * metrics_store.c -- the metrics registry restored from the database, so
 * that counters continue across restarts: the daily counters (deliveries,
 * failures of the top domains), lines by kind, gaps and alerts.  Used by
 * bouncewatchd at start and on SIGHUP, and by "bouncewatch metrics".
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "metrics.h"
#include "store.h"
#include "tz.h"
#include "util.h"

#define METRICS_RECENT_DAYS	7

/* One (domain, class, reason) of the daily table, summed over the days. */
struct metrics_row {
	int64_t		 domain_id;
	int		 cls;
	int		 reason;
	int64_t		 n;
};

/* One domain's volume: attempts of the last days, then of all time. */
struct metrics_vol {
	int64_t		 id;
	int64_t		 recent;
	int64_t		 total;
};

struct metrics_load {
	char			 since[11];	/* the first recent day */
	struct hash		 rowmap;	/* (domain, class << 8 | reason) */
	struct metrics_row	*rows;
	size_t			 nrows, rowcap;
	struct hash		 volmap;	/* (domain, 0) */
	struct metrics_vol	*vols;
	size_t			 nvols, volcap;
};

static int
metrics_load_daily(const struct store_daily *d, void *arg)
{
	struct metrics_load	*L = arg;
	size_t			*slot;
	int			 isnew;

	slot = hash_slot(&L->rowmap, (uint64_t)d->domain_id,
	    (uint64_t)d->cls << 8 | (uint64_t)d->reason, &isnew);
	if (isnew) {
		if (L->nrows == L->rowcap) {
			L->rowcap = L->rowcap == 0 ? 1024 : L->rowcap * 2;
			L->rows = xrealloc(L->rows, L->rowcap * sizeof(*L->rows));
		}
		L->rows[L->nrows].domain_id = d->domain_id;
		L->rows[L->nrows].cls = d->cls;
		L->rows[L->nrows].reason = d->reason;
		L->rows[L->nrows].n = 0;
		*slot = ++L->nrows;
	}
	L->rows[*slot - 1].n += d->n;

	slot = hash_slot(&L->volmap, (uint64_t)d->domain_id, 0, &isnew);
	if (isnew) {
		if (L->nvols == L->volcap) {
			L->volcap = L->volcap == 0 ? 1024 : L->volcap * 2;
			L->vols = xrealloc(L->vols, L->volcap * sizeof(*L->vols));
		}
		memset(&L->vols[L->nvols], 0, sizeof(*L->vols));
		L->vols[L->nvols].id = d->domain_id;
		*slot = ++L->nvols;
	}
	L->vols[*slot - 1].total += d->n;
	if (strcmp(d->day, L->since) >= 0)
		L->vols[*slot - 1].recent += d->n;
	return 0;
}

static int
metrics_vol_cmp(const void *a, const void *b)
{
	const struct metrics_vol *x = a, *y = b;

	if (x->recent != y->recent)
		return x->recent > y->recent ? -1 : 1;
	if (x->total != y->total)
		return x->total > y->total ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int
metrics_load_alert(const struct store_alert *a, void *arg)
{
	metrics_alerts(arg, a->condition, 1);
	return 0;
}

int
metrics_restore(struct metrics *m, struct store *st, struct tz *tz,
    time_t now, char **cause)
{
	struct metrics_load	 L;
	struct store_range	 r;
	int64_t			 lines[LINE_KIND_MAX], gaps;
	char			*name;
	size_t			 i;
	int			 k, full, rc = -1;

	memset(&L, 0, sizeof(L));
	tz_day_text(tz_local_day(tz, (int64_t)now) - METRICS_RECENT_DAYS + 1,
	    L.since);
	memset(&r, 0, sizeof(r));
	/* PostgreSQL has no year 0 */
	r.from = "0001-01-01";
	r.to = "9999-12-31";
	r.t1 = INT64_MAX;
	if (store_read_begin(st) == -1)
		goto fail;
	if (store_daily_range(st, &r, metrics_load_daily, &L) == -1)
		goto fail;

	/* the labelled domains first: counts are sorted by them */
	if (L.nvols > 0)
		qsort(L.vols, L.nvols, sizeof(*L.vols), metrics_vol_cmp);
	for (i = 0, full = 0; i < L.nvols && !full; i++) {
		if ((name = store_name(st, STORE_DOMAIN, L.vols[i].id)) == NULL)
			goto fail;
		/* mail without a domain counts as "other" */
		if (name[0] != '\0')
			full = metrics_domain(m, L.vols[i].id, name) == -1;
		free(name);
	}
	for (i = 0; i < L.nrows; i++)
		metrics_count(m, L.rows[i].domain_id, L.rows[i].cls,
		    L.rows[i].reason, (uint64_t)L.rows[i].n);

	if (store_line_totals(st, lines) == -1 || store_gap_count(st, &gaps) == -1)
		goto fail;
	for (k = 0; k < LINE_KIND_MAX; k++)
		metrics_lines(m, (enum line_kind)k, (uint64_t)lines[k]);
	metrics_gaps(m, (uint64_t)gaps);
	if (store_alert_list(st, 0, metrics_load_alert, m) == -1)
		goto fail;
	metrics_commit(m, -1);
	rc = 0;
fail:
	if (rc == -1) {
		metrics_rollback(m);
		*cause = xasprintf("restoring the metrics: %s", store_errmsg(st));
	}
	store_read_end(st);
	hash_free(&L.rowmap);
	hash_free(&L.volmap);
	free(L.rows);
	free(L.vols);
	return rc;
}
