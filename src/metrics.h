/*
 * metrics.h -- the registry of bouncewatch's Prometheus series: counters
 * of deliveries, failures per top domain, lines, gaps, commits, stalls and
 * alerts; per-source gauges; the commit-duration histogram.
 *
 * Counters move only at a commit: what a batch adds is staged and folded
 * in by metrics_commit(), or dropped by metrics_rollback(), so the values
 * always equal what the database holds.  At start they are restored from
 * the database (metrics_restore), so they continue across restarts.
 */
#ifndef BW_METRICS_H
#define BW_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "classify.h"
#include "parse.h"

struct metrics;
struct prom;
struct store;
struct tz;

#define METRICS_DOMAINS_DEFAULT	20
#define METRICS_DOMAINS_MAX	1000

struct metrics	*metrics_new(int ndomains);
void		 metrics_free(struct metrics *);

/*
 * The labelled domains, by the store's domain id: at most ndomains, added
 * before any count.  Failures of other domains count as domain="other".
 * Returns 0, or -1 when the registry has as many as it may hold.
 */
int	 metrics_domain(struct metrics *, int64_t id, const char *name);
size_t	 metrics_ndomains(const struct metrics *);
/*
 * While there is room, a domain first seen in a batch gets a label of its
 * own (all its failures are in the batch): 1 when id should be added
 * with metrics_domain_stage(), which counts from the commit on and is
 * forgotten by a rollback.
 */
int	 metrics_domain_wanted(const struct metrics *, int64_t id);
void	 metrics_domain_stage(struct metrics *, int64_t id, const char *name);

/* Staged until metrics_commit(). */
void	 metrics_count(struct metrics *, int64_t domain_id, int cls,
	    int reason, uint64_t n);
void	 metrics_lines(struct metrics *, enum line_kind, uint64_t n);
void	 metrics_gaps(struct metrics *, uint64_t n);
void	 metrics_alerts(struct metrics *, const char *condition, uint64_t n);
/* Fold what was staged in; seconds >= 0 is a commit's duration. */
void	 metrics_commit(struct metrics *, double seconds);
void	 metrics_rollback(struct metrics *);

/* Stalls so far: batches the database refused (locked, full). */
void	 metrics_set_stalls(struct metrics *, uint64_t);

/* The state of one followed source, by name (created when new). */
void	 metrics_source(struct metrics *, const char *name, int up,
	    int64_t last_line_time, int64_t lag_bytes);
/* Forget the sources (a reload lists them again). */
void	 metrics_sources_clear(struct metrics *);

/*
 * Forget the domains and every counter restored from the database (not
 * the commits, stalls, commit durations and sources of this process),
 * to restore them again with ndomains domains.
 */
void	 metrics_reset(struct metrics *, int ndomains);

/*
 * The whole exposition; with process, also the series of the running
 * daemon (commits, stalls, commit durations, sources).
 */
void	 metrics_render(const struct metrics *, struct prom *, int process);

/*
 * metrics_store.c: fill the registry from the database -- the top
 * domains by attempts over the last 7 days (then over all time), every
 * counter, the alerts.  now: the present, for "the last 7 days".  -1 on
 * error, with *cause.
 */
int	 metrics_restore(struct metrics *, struct store *, struct tz *,
	    time_t now, char **cause);

/* Read-only helpers for the tests: a committed total. */
uint64_t metrics_delivery_total(const struct metrics *, int cls, int reason);

#endif
