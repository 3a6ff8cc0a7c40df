/*
 * live.c -- see live.h.  The wiring between the pipeline and what is
 * shown live: every line of a batch is staged (lines by kind, the hourly
 * attempt and failure totals, the alerts' window), the store tells of
 * every daily counter and gap it adds, and all of it counts only when the
 * batch is committed.  A one-second timer looks at the sources.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ev.h>

#include "alert.h"
#include "conf.h"
#include "httpd.h"
#include "ingest.h"
#include "live.h"
#include "log.h"
#include "metrics.h"
#include "parse.h"
#include "prom.h"
#include "source.h"
#include "source_glob.h"
#include "store.h"
#include "tail.h"
#include "tz.h"
#include "util.h"

#define LIVE_STATUS	1.0	/* seconds between looks at the sources */

/* The log time of a source's last line, committed and staged. */
struct live_src {
	struct source	*s;
	int64_t		 last;
	int64_t		 pend;
};

struct live {
	struct ev_loop		*loop;
	struct store		*st;
	struct ingest		*ing;
	struct parse_ctx	*ctx;
	struct metrics		*m;		/* NULL: no metrics_listen */
	struct httpd		*h;
	char			*listen;
	int			 ndomains;
	struct alert		*a;		/* NULL: no alert_command, alert_to */
	struct live_src		*src;
	size_t			 nsrc;
	ev_timer		 status_w;
};

/* ---- the store's side: counters, alerts, baselines ---- */

static void
live_counted(void *arg, int64_t domain_id, int cls, int reason, int64_t n)
{
	struct live	*lv = arg;
	char		*name;

	if (lv->m == NULL)
		return;
	/* room for a label: a domain first seen gets one (read in the batch) */
	if (metrics_domain_wanted(lv->m, domain_id) &&
	    (name = store_name(lv->st, STORE_DOMAIN, domain_id)) != NULL) {
		if (name[0] != '\0')
			metrics_domain_stage(lv->m, domain_id, name);
		free(name);
	}
	metrics_count(lv->m, domain_id, cls, reason, (uint64_t)n);
}

static void
live_gap(void *arg)
{
	struct live	*lv = arg;

	if (lv->m != NULL)
		metrics_gaps(lv->m, 1);
}

struct live_times {
	int		 reason;
	int64_t		 t0, t1;
	int64_t		*v;
	size_t		 n, cap;
};

static int
live_failure_time(const struct store_failure *f, void *arg)
{
	struct live_times	*T = arg;

	if (f->reason != T->reason || f->time < T->t0 || f->time >= T->t1 ||
	    (f->cls != CLASS_PERMANENT && f->cls != CLASS_TEMPORARY))
		return 0;
	if (T->n == T->cap) {
		T->cap = T->cap == 0 ? 256 : T->cap * 2;
		T->v = xrealloc(T->v, T->cap * sizeof(*T->v));
	}
	T->v[T->n++] = f->time;
	return 0;
}

static int
live_failure_times(void *arg, const char *domain, int reason, int64_t from,
    int64_t to, int64_t **times)
{
	struct live		*lv = arg;
	struct live_times	 T;
	struct store_range	 r;
	char			 d0[11], d1[11];
	int64_t			 id;
	int			 rc;

	*times = NULL;
	if ((id = store_domain_find(lv->st, domain)) <= 0)
		return id == 0 ? 0 : -1;
	memset(&T, 0, sizeof(T));
	T.reason = reason;
	T.t0 = from;
	T.t1 = to;
	tz_day_text(tz_local_day(lv->ctx->tz, from), d0);
	tz_day_text(tz_local_day(lv->ctx->tz, to), d1);
	memset(&r, 0, sizeof(r));
	r.from = d0;
	r.to = d1;
	r.t0 = from;
	r.t1 = to;
	r.domain = id;
	rc = store_failure_range(lv->st, &r, live_failure_time, &T);
	if (rc == -1) {
		free(T.v);
		return -1;
	}
	*times = T.v;
	return (int)T.n;
}

static int
live_volume(void *arg, int64_t from, int64_t to, int64_t *attempts,
    int64_t *failures)
{
	struct live	*lv = arg;

	return store_hourly_sum(lv->st, from / 3600, (to - 1) / 3600, attempts,
	    failures);
}

static int
live_record(void *arg, const struct alert_event *ev)
{
	struct live		*lv = arg;
	struct store_alert	 sa;

	memset(&sa, 0, sizeof(sa));
	sa.time = ev->time;
	sa.condition = ev->condition;
	sa.domain = ev->domain;
	sa.reason = ev->reason;
	sa.cls = ev->cls;
	sa.count = ev->count;
	sa.window = ev->window_s;
	sa.baseline = ev->baseline;
	sa.document = ev->json;
	if (store_alert_add(lv->st, &sa) == -1) {
		log_warnx("alert: %s", store_errmsg(lv->st));
		return -1;
	}
	/* recorded in its own transaction: it counts at once */
	if (lv->m != NULL) {
		metrics_alerts(lv->m, ev->condition, 1);
		if (!store_in_transaction(lv->st))
			metrics_commit(lv->m, -1);
	}
	return 0;
}

static const struct alert_ops live_alert_ops = {
	.failure_times = live_failure_times,
	.volume = live_volume,
	.record = live_record,
};

/* ---- the pipeline's side ---- */

static struct live_src *
live_src(struct live *lv, struct source *s)
{
	size_t	 i;

	for (i = 0; i < lv->nsrc; i++)
		if (lv->src[i].s == s)
			return &lv->src[i];
	lv->src = xrealloc(lv->src, (lv->nsrc + 1) * sizeof(*lv->src));
	memset(&lv->src[lv->nsrc], 0, sizeof(*lv->src));
	lv->src[lv->nsrc].s = s;
	return &lv->src[lv->nsrc++];
}

static void
live_line(void *arg, struct source *s, enum line_kind k,
    const struct delivery *d, const struct verdict *v)
{
	struct live	*lv = arg;
	struct live_src	*ls;

	if (lv->m != NULL)
		metrics_lines(lv->m, k, 1);
	if (k != LINE_DELIVERY || !d->has_time)
		return;
	if (s != NULL && (ls = live_src(lv, s))->pend < d->time)
		ls->pend = d->time;
	if (lv->a != NULL)
		alert_delivery(lv->a, d->time, d->domain, v->cls, v->reason,
		    d->host.p, d->host.n, d->diagnostic.p, d->diagnostic.n,
		    d->recipient.p, d->recipient.n);
}

static void
live_committed(void *arg, double seconds)
{
	struct live	*lv = arg;
	size_t		 i;

	for (i = 0; i < lv->nsrc; i++)
		if (lv->src[i].pend > lv->src[i].last)
			lv->src[i].last = lv->src[i].pend;
	if (lv->m != NULL)
		metrics_commit(lv->m, seconds);
	if (lv->a != NULL)
		alert_commit(lv->a, (int64_t)ev_now(lv->loop));
}

static void
live_rolled_back(void *arg)
{
	struct live	*lv = arg;
	size_t		 i;

	for (i = 0; i < lv->nsrc; i++)
		lv->src[i].pend = lv->src[i].last;
	if (lv->m != NULL)
		metrics_rollback(lv->m);
	if (lv->a != NULL)
		alert_rollback(lv->a);
}

/* ---- sources ---- */

static void
live_status(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct live		*lv = w->data;
	struct tail_status	 ts;
	struct source		*s;

	(void)revents;
	for (s = ingest_sources(lv->ing); s != NULL; s = s->next) {
		/* the journal: up while it is followed, nothing to lag */
		if (tail_status(s, &ts) == -1 &&
		    source_glob_status(s, &ts) == -1) {
			ts.up = 1;
			ts.lag = 0;
		}
		if (lv->m != NULL)
			metrics_source(lv->m, s->name, ts.up, live_src(lv, s)->last,
			    ts.lag);
		if (lv->a != NULL)
			alert_source(lv->a, s->name, ts.up, ts.why,
			    (int64_t)ev_now(loop));
	}
	if (lv->m != NULL)
		metrics_set_stalls(lv->m, ingest_counters(lv->ing)->stalls);
}

void
live_sources_changed(struct live *lv)
{
	free(lv->src);
	lv->src = NULL;
	lv->nsrc = 0;
	if (lv->m != NULL)
		metrics_sources_clear(lv->m);
	live_status(lv->loop, &lv->status_w, 0);
}

/* ---- the endpoint ---- */

static char *
live_body(void *arg, size_t *len)
{
	struct live	*lv = arg;
	struct prom	 p;

	live_status(lv->loop, &lv->status_w, 0);
	prom_init(&p);
	metrics_render(lv->m, &p, 1);
	return prom_take(&p, len);
}

/* ---- life ---- */

static void
live_alert_conf(const struct conf *c, struct alert_conf *ac)
{
	memset(ac, 0, sizeof(*ac));
	ac->command = c->alert_command;
	ac->to = c->alert_to;
	ac->sendmail = getenv("SENDMAIL");
	ac->min_failures = c->alert_min_failures;
	ac->window_s = c->alert_window_s;
	ac->rate_factor = c->alert_rate_factor;
	ac->rate_points = c->alert_rate_points;
	ac->repeat_s = c->alert_repeat_s;
	ac->timeout_s = c->alert_timeout_s;
}

static int
live_seen(const struct store_alert *sa, void *arg)
{
	struct live	*lv = arg;

	alert_seen(lv->a, sa->condition, sa->domain, sa->reason, sa->time);
	return 0;
}

/* (Re)build the registry from the database: only between batches. */
static int
live_restore(struct live *lv, const struct conf *c, char **cause)
{
	if (lv->m == NULL)
		lv->m = metrics_new(c->metrics_domains);
	else
		metrics_reset(lv->m, c->metrics_domains);
	lv->ndomains = c->metrics_domains;
	metrics_alerts(lv->m, ALERT_DOMAIN_REASON, 0);
	metrics_alerts(lv->m, ALERT_RATE_JUMP, 0);
	metrics_alerts(lv->m, ALERT_SOURCE, 0);
	metrics_commit(lv->m, -1);
	return metrics_restore(lv->m, lv->st, lv->ctx->tz, time(NULL), cause);
}

static int
live_listen(struct live *lv, const char *spec, char **cause)
{
	struct httpd	*h;

	if ((h = httpd_new(lv->loop, spec, "/metrics", live_body, lv,
	    cause)) == NULL)
		return -1;
	httpd_free(lv->h);
	lv->h = h;
	free(lv->listen);
	lv->listen = xstrdup(spec);
	log_info("metrics: serving GET /metrics on %s", spec);
	return 0;
}

static int
live_wants_alerts(const struct conf *c)
{
	return c->alert_command != NULL || c->alert_to != NULL;
}

struct live *
live_new(struct ev_loop *loop, const struct conf *c, struct store *st,
    struct ingest *ing, struct parse_ctx *ctx, char **cause)
{
	struct live		*lv;
	struct ingest_watch	 iw;
	struct store_watch	 sw;

	lv = xcalloc(1, sizeof(*lv));
	lv->loop = loop;
	lv->st = st;
	lv->ing = ing;
	lv->ctx = ctx;
	if (live_reload(lv, c, cause) == -1) {
		live_free(lv);
		return NULL;
	}
	memset(&iw, 0, sizeof(iw));
	iw.line = live_line;
	iw.committed = live_committed;
	iw.rolled_back = live_rolled_back;
	iw.arg = lv;
	ingest_set_watch(ing, &iw);
	memset(&sw, 0, sizeof(sw));
	sw.count = live_counted;
	sw.gap = live_gap;
	sw.arg = lv;
	store_set_watch(st, &sw);
	ev_timer_init(&lv->status_w, live_status, LIVE_STATUS, LIVE_STATUS);
	lv->status_w.data = lv;
	ev_timer_start(loop, &lv->status_w);
	return lv;
}

int
live_reload(struct live *lv, const struct conf *c, char **cause)
{
	struct alert_conf	 ac;

	/* the listener first: if it cannot be had, nothing changes */
	if (c->metrics_listen != NULL && (lv->listen == NULL ||
	    strcmp(c->metrics_listen, lv->listen) != 0) &&
	    live_listen(lv, c->metrics_listen, cause) == -1)
		return -1;
	if (c->metrics_listen == NULL && lv->h != NULL) {
		httpd_free(lv->h);
		lv->h = NULL;
		free(lv->listen);
		lv->listen = NULL;
	}
	live_alert_conf(c, &ac);
	if (!live_wants_alerts(c)) {
		alert_free(lv->a);
		lv->a = NULL;
	} else if (lv->a != NULL)
		alert_set_conf(lv->a, &ac);
	else {
		lv->a = alert_new(lv->loop, &ac, &live_alert_ops, lv);
		/* what was raised before a restart stays quiet its while */
		if (store_alert_list(lv->st, (int64_t)time(NULL) -
		    c->alert_repeat_s, live_seen, lv) == -1)
			log_warnx("alert: earlier alerts not read: %s",
			    store_errmsg(lv->st));
	}
	if (lv->h == NULL) {
		metrics_free(lv->m);
		lv->m = NULL;
	} else if (lv->m == NULL || lv->ndomains != c->metrics_domains) {
		if (live_restore(lv, c, cause) == -1)
			return -1;
	}
	return 0;
}

void
live_free(struct live *lv)
{
	if (lv == NULL)
		return;
	ev_timer_stop(lv->loop, &lv->status_w);
	if (lv->ing != NULL)
		ingest_set_watch(lv->ing, NULL);
	if (lv->st != NULL)
		store_set_watch(lv->st, NULL);
	httpd_free(lv->h);
	alert_free(lv->a);
	metrics_free(lv->m);
	free(lv->listen);
	free(lv->src);
	free(lv);
}
