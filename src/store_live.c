/*
 * store_live.c -- the store's part of bouncewatchd's live view: the
 * watcher of the writer's counters, the writer's hourly totals (every
 * writer keeps them: the daemon, import), the alerts, and the totals the
 * metrics start from.  The backend does the database work.
 */
#include "config.h"

#include <string.h>

#include "store_backend.h"

/* A backend without the live view says so. */
#define STORE_LIVE(st, op)						\
	do {								\
		if ((st)->be->op == NULL)				\
			return store_fail((st), STORE_EOTHER, "metrics and " \
			    "alerts are not kept by the %s backend",	\
			    (st)->be->backend);				\
	} while (0)

void
store_set_watch(struct store *st, const struct store_watch *w)
{
	if (w != NULL)
		st->watch = *w;
	else
		memset(&st->watch, 0, sizeof(st->watch));
}

int
store_hours_flush(struct store *st)
{
	size_t	 i;

	for (i = 0; i < st->nhours && st->be->hourly_add != NULL; i++)
		if (st->be->hourly_add(st, st->hours[i].hour,
		    st->hours[i].attempts, st->hours[i].failures,
		    st->hours[i].lines) == -1)
			return -1;
	st->nhours = 0;
	return 0;
}

int
store_hour_move(struct store *st, int64_t t, int old, int new)
{
	int	 was = old == CLASS_PERMANENT || old == CLASS_TEMPORARY;
	int	 is = new == CLASS_PERMANENT || new == CLASS_TEMPORARY;

	if (was == is || st->be->hourly_add == NULL)
		return 0;
	return st->be->hourly_add(st, t / 3600, 0, is - was, 0);
}

int
store_hour_note(struct store *st, int64_t t, int attempt, int failed)
{
	struct store_hour	*h;
	size_t			 i;

	for (i = 0; i < st->nhours; i++)
		if (st->hours[i].hour == t / 3600)
			break;
	if (i == st->nhours) {
		/* a batch of history spans many hours: write them as they come */
		if (st->nhours == STORE_HOURS && store_hours_flush(st) == -1)
			return -1;
		i = st->nhours++;
		memset(&st->hours[i], 0, sizeof(st->hours[i]));
		st->hours[i].hour = t / 3600;
	}
	h = &st->hours[i];
	h->lines++;
	h->attempts += attempt;
	h->failures += failed;
	return 0;
}

int
store_hourly_sum(struct store *st, int64_t h0, int64_t h1, int64_t *attempts,
    int64_t *failures)
{
	STORE_LIVE(st, hourly_sum);
	return st->be->hourly_sum(st, h0, h1, attempts, failures);
}

int
store_alert_add(struct store *st, const struct store_alert *a)
{
	STORE_LIVE(st, alert_add);
	if (st->in_tx)
		return st->be->alert_add(st, a);
	if (store_begin(st) == -1)
		return -1;
	if (st->be->alert_add(st, a) == -1 || store_commit(st) == -1) {
		store_rollback(st);
		return -1;
	}
	return 0;
}

int
store_alert_list(struct store *st, int64_t since, store_alert_cb cb, void *arg)
{
	STORE_LIVE(st, alert_list);
	return st->be->alert_list(st, since, cb, arg);
}

int
store_line_totals(struct store *st, int64_t by_kind[LINE_KIND_MAX])
{
	STORE_LIVE(st, line_totals);
	return st->be->line_totals(st, by_kind);
}

int
store_hourly_lines(struct store *st, int64_t h0, int64_t h1, int64_t *lines,
    int64_t *since)
{
	STORE_LIVE(st, hourly_lines);
	return st->be->hourly_lines(st, h0, h1, lines, since);
}

int
store_gap_count(struct store *st, int64_t *n)
{
	STORE_LIVE(st, gap_count);
	return st->be->gap_count(st, n);
}
