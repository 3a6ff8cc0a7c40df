/*
 * store_live.c -- the store's part of bouncewatchd's live view: the
 * watcher of the writer's counters, the hourly totals, the alerts, and
 * the totals the metrics start from.  The backend does the database work.
 */
#include "config.h"

#include <string.h>

#include "store_backend.h"

void
store_set_watch(struct store *st, const struct store_watch *w)
{
	if (w != NULL)
		st->watch = *w;
	else
		memset(&st->watch, 0, sizeof(st->watch));
}

int
store_hourly_add(struct store *st, int64_t hour, int64_t attempts,
    int64_t failures)
{
	return st->be->hourly_add(st, hour, attempts, failures);
}

int
store_hourly_sum(struct store *st, int64_t h0, int64_t h1, int64_t *attempts,
    int64_t *failures)
{
	return st->be->hourly_sum(st, h0, h1, attempts, failures);
}

int
store_alert_add(struct store *st, const struct store_alert *a)
{
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
	return st->be->alert_list(st, since, cb, arg);
}

int
store_line_totals(struct store *st, int64_t by_kind[LINE_KIND_MAX])
{
	return st->be->line_totals(st, by_kind);
}

int
store_gap_count(struct store *st, int64_t *n)
{
	return st->be->gap_count(st, n);
}
