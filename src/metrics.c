/*
 * metrics.c -- see metrics.h.  Label cardinality is bounded by
 * construction: classes and reasons are fixed lists, domains are the
 * configured number of top domains plus "other", sources are the
 * configured logs.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "prom.h"
#include "util.h"

#define METRICS_CONDITIONS	8
#define METRICS_NAME_MAX	64

/* Commit duration buckets, seconds: a commit takes ms; fsync can take s. */
static const double metrics_bounds[] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
};
#define METRICS_BUCKETS	nitems(metrics_bounds)

/* One (class, reason) table: the committed values and a batch's. */
struct metrics_cr {
	uint64_t	 n[CLASS_MAX][REASON_MAX];
	uint64_t	 pend[CLASS_MAX][REASON_MAX];
	int		 dirty;
};

struct metrics_domain {
	int64_t		 id;
	char		*name;
	int		 staged;	/* added by the open batch */
	struct metrics_cr cr;
};

struct metrics_src {
	char		*name;
	int		 up;
	int64_t		 last_line;
	int64_t		 lag;
};

struct metrics_counter {
	char		 name[METRICS_NAME_MAX];
	uint64_t	 n;
	uint64_t	 pend;
};

struct metrics {
	int			 max_domains;
	struct metrics_cr	 all;		/* every domain, every class */
	struct metrics_domain	*dom;		/* sorted by id */
	size_t			 ndom;
	struct metrics_cr	 other;		/* failures of other domains */
	uint64_t		 lines[LINE_KIND_MAX];
	uint64_t		 pend_lines[LINE_KIND_MAX];
	uint64_t		 gaps, pend_gaps;
	struct metrics_counter	 alerts[METRICS_CONDITIONS];
	size_t			 nalerts;
	uint64_t		 commits;
	uint64_t		 stalls;
	uint64_t		 hist[METRICS_BUCKETS];
	uint64_t		 hist_count;
	double			 hist_sum;
	struct metrics_src	*src;
	size_t			 nsrc;
};

struct metrics *
metrics_new(int ndomains)
{
	struct metrics	*m;

	m = xcalloc(1, sizeof(*m));
	if (ndomains < 0)
		ndomains = 0;
	if (ndomains > METRICS_DOMAINS_MAX)
		ndomains = METRICS_DOMAINS_MAX;
	m->max_domains = ndomains;
	m->dom = xcalloc((size_t)ndomains + 1, sizeof(*m->dom));
	return m;
}

void
metrics_sources_clear(struct metrics *m)
{
	size_t	 i;

	for (i = 0; i < m->nsrc; i++)
		free(m->src[i].name);
	free(m->src);
	m->src = NULL;
	m->nsrc = 0;
}

void
metrics_free(struct metrics *m)
{
	size_t	 i;

	if (m == NULL)
		return;
	for (i = 0; i < m->ndom; i++)
		free(m->dom[i].name);
	free(m->dom);
	metrics_sources_clear(m);
	free(m);
}

static int
metrics_dom_cmp(const void *a, const void *b)
{
	const struct metrics_domain *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

int
metrics_domain(struct metrics *m, int64_t id, const char *name)
{
	struct metrics_domain	 key = { .id = id };

	if (m->ndom >= (size_t)m->max_domains)
		return -1;
	if (bsearch(&key, m->dom, m->ndom, sizeof(*m->dom), metrics_dom_cmp) != NULL)
		return 0;
	m->dom[m->ndom].id = id;
	m->dom[m->ndom].name = xstrdup(name);
	m->ndom++;
	qsort(m->dom, m->ndom, sizeof(*m->dom), metrics_dom_cmp);
	return 0;
}

size_t
metrics_ndomains(const struct metrics *m)
{
	return m->ndom;
}

int
metrics_domain_wanted(const struct metrics *m, int64_t id)
{
	struct metrics_domain	 key = { .id = id };

	return m->ndom < (size_t)m->max_domains &&
	    bsearch(&key, m->dom, m->ndom, sizeof(*m->dom), metrics_dom_cmp) == NULL;
}

void
metrics_domain_stage(struct metrics *m, int64_t id, const char *name)
{
	struct metrics_domain	 key = { .id = id }, *d;

	if (metrics_domain(m, id, name) == 0 && (d = bsearch(&key, m->dom,
	    m->ndom, sizeof(*m->dom), metrics_dom_cmp)) != NULL)
		d->staged = 1;
}

/* The batch's new domains stay (keep) or go. */
static void
metrics_domains_fold(struct metrics *m, int keep)
{
	size_t	 i, n = 0;

	for (i = 0; i < m->ndom; i++) {
		if (m->dom[i].staged && !keep) {
			free(m->dom[i].name);
			continue;
		}
		m->dom[i].staged = 0;
		m->dom[n++] = m->dom[i];
	}
	m->ndom = n;
}

void
metrics_count(struct metrics *m, int64_t domain_id, int cls, int reason,
    uint64_t n)
{
	struct metrics_domain	 key = { .id = domain_id }, *d;
	struct metrics_cr	*cr;

	if (cls < 0 || cls >= CLASS_MAX || reason < 0 || reason >= REASON_MAX)
		return;
	m->all.pend[cls][reason] += n;
	m->all.dirty = 1;
	if (cls == CLASS_DELIVERED)
		return;
	d = bsearch(&key, m->dom, m->ndom, sizeof(*m->dom), metrics_dom_cmp);
	cr = d != NULL ? &d->cr : &m->other;
	cr->pend[cls][reason] += n;
	cr->dirty = 1;
}

void
metrics_lines(struct metrics *m, enum line_kind k, uint64_t n)
{
	if ((unsigned)k < LINE_KIND_MAX)
		m->pend_lines[k] += n;
}

void
metrics_gaps(struct metrics *m, uint64_t n)
{
	m->pend_gaps += n;
}

void
metrics_alerts(struct metrics *m, const char *condition, uint64_t n)
{
	size_t	 i;

	for (i = 0; i < m->nalerts; i++)
		if (strcmp(m->alerts[i].name, condition) == 0)
			break;
	if (i == m->nalerts) {
		if (m->nalerts == METRICS_CONDITIONS)
			return;
		strlcpy(m->alerts[i].name, condition, sizeof(m->alerts[i].name));
		m->nalerts++;
	}
	m->alerts[i].pend += n;
}

static void
metrics_cr_fold(struct metrics_cr *cr, int keep)
{
	int	 c, r;

	if (!cr->dirty)
		return;
	for (c = 0; c < CLASS_MAX; c++)
		for (r = 0; r < REASON_MAX; r++) {
			if (keep)
				cr->n[c][r] += cr->pend[c][r];
			cr->pend[c][r] = 0;
		}
	cr->dirty = 0;
}

static void
metrics_fold(struct metrics *m, int keep)
{
	size_t	 i;

	metrics_cr_fold(&m->all, keep);
	metrics_cr_fold(&m->other, keep);
	for (i = 0; i < m->ndom; i++)
		metrics_cr_fold(&m->dom[i].cr, keep);
	for (i = 0; i < LINE_KIND_MAX; i++) {
		if (keep)
			m->lines[i] += m->pend_lines[i];
		m->pend_lines[i] = 0;
	}
	if (keep)
		m->gaps += m->pend_gaps;
	m->pend_gaps = 0;
	for (i = 0; i < m->nalerts; i++) {
		if (keep)
			m->alerts[i].n += m->alerts[i].pend;
		m->alerts[i].pend = 0;
	}
	metrics_domains_fold(m, keep);
}

void
metrics_commit(struct metrics *m, double seconds)
{
	size_t	 i;

	metrics_fold(m, 1);
	if (seconds < 0)
		return;
	m->commits++;
	for (i = 0; i < METRICS_BUCKETS; i++)
		if (seconds <= metrics_bounds[i])
			m->hist[i]++;
	m->hist_count++;
	m->hist_sum += seconds;
}

void
metrics_rollback(struct metrics *m)
{
	metrics_fold(m, 0);
}

void
metrics_set_stalls(struct metrics *m, uint64_t n)
{
	m->stalls = n;
}

void
metrics_reset(struct metrics *m, int ndomains)
{
	size_t	 i;

	for (i = 0; i < m->ndom; i++)
		free(m->dom[i].name);
	free(m->dom);
	if (ndomains < 0)
		ndomains = 0;
	if (ndomains > METRICS_DOMAINS_MAX)
		ndomains = METRICS_DOMAINS_MAX;
	m->max_domains = ndomains;
	m->dom = xcalloc((size_t)ndomains + 1, sizeof(*m->dom));
	m->ndom = 0;
	memset(&m->all, 0, sizeof(m->all));
	memset(&m->other, 0, sizeof(m->other));
	memset(m->lines, 0, sizeof(m->lines));
	memset(m->pend_lines, 0, sizeof(m->pend_lines));
	m->gaps = m->pend_gaps = 0;
	for (i = 0; i < m->nalerts; i++)
		m->alerts[i].n = m->alerts[i].pend = 0;
}

void
metrics_source(struct metrics *m, const char *name, int up,
    int64_t last_line, int64_t lag)
{
	size_t	 i;

	for (i = 0; i < m->nsrc; i++)
		if (strcmp(m->src[i].name, name) == 0)
			break;
	if (i == m->nsrc) {
		m->src = xrealloc(m->src, (m->nsrc + 1) * sizeof(*m->src));
		m->src[i].name = xstrdup(name);
		m->nsrc++;
	}
	m->src[i].up = up;
	m->src[i].last_line = last_line;
	m->src[i].lag = lag;
}

uint64_t
metrics_delivery_total(const struct metrics *m, int cls, int reason)
{
	if (cls < 0 || cls >= CLASS_MAX || reason < 0 || reason >= REASON_MAX)
		return 0;
	return m->all.n[cls][reason];
}

/* ---- the exposition ---- */

static void
metrics_render_deliveries(const struct metrics *m, struct prom *p)
{
	struct prom_label	 l[2] = { { "class", NULL }, { "reason", NULL } };
	int			 c, r;

	prom_family(p, "bouncewatch_deliveries_total", "counter",
	    "Delivery attempts by class and reason (delivered: reason \"\"); "
	    "an expiry counts as permanent/expired.");
	l[0].value = classify_class_name(CLASS_DELIVERED);
	l[1].value = "";
	prom_counter(p, "bouncewatch_deliveries_total", l, 2,
	    m->all.n[CLASS_DELIVERED][REASON_NONE]);
	for (c = CLASS_PERMANENT; c < CLASS_MAX; c++)
		for (r = REASON_NONE + 1; r < REASON_MAX; r++) {
			l[0].value = classify_class_name(c);
			l[1].value = classify_reason_name(r);
			prom_counter(p, "bouncewatch_deliveries_total", l, 2,
			    m->all.n[c][r]);
		}
}

static void
metrics_render_cr(struct prom *p, const char *domain,
    const struct metrics_cr *cr)
{
	struct prom_label	 l[3] = {
		{ "domain", domain }, { "class", NULL }, { "reason", NULL }
	};
	int			 c, r;

	for (c = CLASS_PERMANENT; c < CLASS_MAX; c++)
		for (r = 0; r < REASON_MAX; r++) {
			if (cr->n[c][r] == 0)
				continue;
			l[1].value = classify_class_name(c);
			l[2].value = classify_reason_name(r);
			prom_counter(p, "bouncewatch_domain_failures_total", l, 3,
			    cr->n[c][r]);
		}
}

static void
metrics_render_sources(const struct metrics *m, struct prom *p)
{
	static const struct {
		const char	*name, *help;
	} fam[] = {
		{ "bouncewatch_source_up",
		  "1 when the source is open and readable, 0 otherwise." },
		{ "bouncewatch_source_last_line_timestamp_seconds",
		  "Log time of the last line read from the source (0: none yet)." },
		{ "bouncewatch_source_lag_bytes",
		  "Bytes written to the source and not yet committed." },
	};
	struct prom_label	 l = { "source", NULL };
	size_t			 f, i;
	double			 v;

	for (f = 0; f < nitems(fam); f++) {
		prom_family(p, fam[f].name, "gauge", fam[f].help);
		for (i = 0; i < m->nsrc; i++) {
			l.value = m->src[i].name;
			if (f == 0)
				v = m->src[i].up;
			else if (f == 1)
				v = (double)m->src[i].last_line;
			else
				v = (double)m->src[i].lag;
			prom_gauge(p, fam[f].name, &l, 1, v);
		}
	}
}

void
metrics_render(const struct metrics *m, struct prom *p, int process)
{
	struct prom_label	 l = { NULL, NULL };
	uint64_t		 unrec;
	size_t			 i;
	int			 c;

	metrics_render_deliveries(m, p);

	prom_family(p, "bouncewatch_domain_failures_total", "counter",
	    "Failed delivery attempts of the top domains by volume; the rest "
	    "as domain=\"other\".");
	for (i = 0; i < m->ndom; i++)
		metrics_render_cr(p, m->dom[i].name, &m->dom[i].cr);
	metrics_render_cr(p, "other", &m->other);

	prom_family(p, "bouncewatch_lines_total", "counter",
	    "Log lines read, by kind (an expiry counts as delivery).");
	l.name = "kind";
	l.value = "delivery";
	prom_counter(p, "bouncewatch_lines_total", &l, 1,
	    m->lines[LINE_DELIVERY] + m->lines[LINE_EXPIRED]);
	l.value = "other";
	prom_counter(p, "bouncewatch_lines_total", &l, 1, m->lines[LINE_OTHER]);
	l.value = "unparseable";
	prom_counter(p, "bouncewatch_lines_total", &l, 1, m->lines[LINE_INVALID]);
	l.value = "probe";
	prom_counter(p, "bouncewatch_lines_total", &l, 1, m->lines[LINE_PROBE]);

	unrec = 0;
	for (c = CLASS_PERMANENT; c < CLASS_MAX; c++)
		unrec += m->all.n[c][REASON_OTHER];
	prom_family(p, "bouncewatch_unrecognised_replies_total", "counter",
	    "Failed attempts whose reply no rule recognised (reason other).");
	prom_counter(p, "bouncewatch_unrecognised_replies_total", NULL, 0, unrec);

	prom_family(p, "bouncewatch_gaps_total", "counter",
	    "Stretches of a log known to be lost (copytruncate windows, "
	    "generations deleted unread).");
	prom_counter(p, "bouncewatch_gaps_total", NULL, 0, m->gaps);

	prom_family(p, "bouncewatch_alerts_total", "counter",
	    "Alerts raised, by condition.");
	l.name = "condition";
	for (i = 0; i < m->nalerts; i++) {
		l.value = m->alerts[i].name;
		prom_counter(p, "bouncewatch_alerts_total", &l, 1, m->alerts[i].n);
	}

	if (!process)
		return;
	metrics_render_sources(m, p);

	prom_family(p, "bouncewatch_commits_total", "counter",
	    "Transactions committed since the daemon started.");
	prom_counter(p, "bouncewatch_commits_total", NULL, 0, m->commits);
	prom_family(p, "bouncewatch_stalls_total", "counter",
	    "Batches the database refused (locked, full) since the daemon "
	    "started; ingest waits and retries.");
	prom_counter(p, "bouncewatch_stalls_total", NULL, 0, m->stalls);
	prom_family(p, "bouncewatch_commit_duration_seconds", "histogram",
	    "Time one commit took since the daemon started.");
	prom_histogram(p, "bouncewatch_commit_duration_seconds", metrics_bounds,
	    m->hist, METRICS_BUCKETS, m->hist_sum, m->hist_count);
}
