/*
 * live.h -- what bouncewatchd shows while it runs: the Prometheus
 * endpoint (metrics.c served by httpd.c) and the alerts (alert.c).  Fed
 * by the ingest pipeline's batches and the store's counters, restored from
 * the database at start, reconfigured on SIGHUP.
 */
#ifndef BW_LIVE_H
#define BW_LIVE_H

struct conf;
struct ev_loop;
struct ingest;
struct live;
struct parse_ctx;
struct store;

/*
 * Start what the configuration asks for (metrics_listen, alert_command,
 * alert_to); NULL with *cause on error.  Without any of them this is an
 * object that does nothing.  ctx->tz is the zone of the day ranges.
 */
struct live	*live_new(struct ev_loop *, const struct conf *, struct store *,
		    struct ingest *, struct parse_ctx *, char **cause);
/* SIGHUP: the new configuration (the old one stays on error). */
int		 live_reload(struct live *, const struct conf *, char **cause);
/* The sources changed (SIGHUP): forget the ones gone. */
void		 live_sources_changed(struct live *);
void		 live_free(struct live *);

#endif
