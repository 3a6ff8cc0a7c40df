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

#define METRICS_DOMAINS_DEFAULT	20
#define METRICS_DOMAINS_MAX	1000

struct metrics	*metrics_new(int ndomains);
void		 metrics_free(struct metrics *);

/*
 * The labelled domains, by the store's domain id: at most ndomains, added
 * before any count.  Failures of other domains count as domain="other".
 */
void	 metrics_domain(struct metrics *, int64_t id, const char *name);
size_t	 metrics_ndomains(const struct metrics *);

/* Staged until metrics_commit(). */
void	 metrics_count(struct metrics *, int64_t domain_id, int cls,
	    int reason, uint64_t n);
void	 metrics_lines(struct metrics *, enum line_kind, uint64_t n);
void	 metrics_gaps(struct metrics *, uint64_t n);
void	 metrics_alerts(struct metrics *, const char *condition, uint64_t n);
/* Fold what was staged in; seconds >= 0 is a commit's duration. */
void	 metrics_commit(struct metrics *, double seconds);
void	 metrics_rollback(struct metrics *);

/* A stall: the database refused a batch (locked, full) and ingest waits. */
void	 metrics_stall(struct metrics *);

/* The state of one followed source, by name (created when new). */
void	 metrics_source(struct metrics *, const char *name, int up,
	    int64_t last_line_time, int64_t lag_bytes);
/* Forget the sources (a reload lists them again). */
void	 metrics_sources_clear(struct metrics *);

/* The whole exposition. */
void	 metrics_render(const struct metrics *, struct prom *);

/*
 * Fill the registry from the database: the top domains by attempts over
 * the last 7 days, then every counter.  -1 on error, with *cause.
 */
int	 metrics_restore(struct metrics *, struct store *, time_t now,
	    char **cause);

/* Read-only helpers for the tests: a committed total. */
uint64_t metrics_delivery_total(const struct metrics *, int cls, int reason);

#endif
