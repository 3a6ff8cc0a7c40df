/*
 * report.c -- what the report's renderers share: percentages, the top
 * reason, labels, the format names, and freeing a loaded report.  See
 * report.h for what is counted and report_load.c for how it is read.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "report.h"

double
report_pct(int64_t part, int64_t whole)
{
	return whole > 0 ? 100.0 * (double)part / (double)whole : 0.0;
}

int
report_top_reason(const struct report_domain *d)
{
	int	 i, best = -1;

	for (i = 1; i < REASON_MAX; i++)
		if (d->reasons[i] > 0 && (best == -1 || d->reasons[i] > d->reasons[best]))
			best = i;
	return best;
}

const char *
report_domain_label(const char *name)
{
	return name == NULL || *name == '\0' ? "(unknown)" : name;
}

int64_t
report_class_reason(const struct report_domain *d, int cls, int reason)
{
	size_t	 i;

	for (i = 0; i < d->ncr; i++)
		if (d->cr[i].cls == cls && d->cr[i].reason == reason)
			return d->cr[i].n;
	return 0;
}

int
report_new_reasons(const struct report *r, const struct report_domain *d,
    int *v, int max)
{
	int	 k, n = 0;

	if (!r->history)
		return 0;
	for (k = 1; k < REASON_MAX && n < max; k++)
		if (k != REASON_LOCAL_THROTTLE && d->reasons[k] > 0 &&
		    d->prev_reasons[k] == 0)
			v[n++] = k;
	return n;
}

int
report_empty(const struct report *r)
{
	return r->totals.attempts == 0 && r->totals.local_throttle == 0;
}

int
report_quiet(const struct report *r)
{
	return report_empty(r) && r->nalerts == 0 && r->nnolines == 0;
}

int
report_format_from_name(const char *s)
{
	if (strcmp(s, "text") == 0)
		return REPORT_TEXT;
	if (strcmp(s, "html") == 0)
		return REPORT_HTML;
	if (strcmp(s, "json") == 0)
		return REPORT_JSON;
	if (strcmp(s, "csv") == 0)
		return REPORT_CSV;
	return -1;
}

static void
report_texts_free(struct report_text *t, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		free(t[i].text);
		free(t[i].example);
		free(t[i].example_domain);
	}
	free(t);
}

void
report_domain_free(struct report_domain *d)
{
	if (d == NULL)
		return;
	free(d->name);
	free(d->cr);
	free(d);
}

void
report_free(struct report *r)
{
	size_t	 i;

	for (i = 0; i < r->nkept; i++) {
		free(r->domains[i].name);
		free(r->domains[i].cr);
	}
	free(r->domains);
	if (r->spool != NULL)
		fclose(r->spool);
	free(r->spoolbuf);
	for (i = 0; i < r->nhosts; i++) {
		free(r->hosts[i].name);
		free(r->hosts[i].cr);
	}
	free(r->hosts);
	for (i = 0; i < r->nhost_filter; i++)
		free(r->host_filter[i]);
	free(r->host_filter);
	free(r->totals.name);
	free(r->totals.cr);
	free(r->days);
	report_texts_free(r->texts, r->ntexts);
	report_texts_free(r->unrec, r->nunrec);
	report_texts_free(r->lt_texts, r->nlt_texts);
	for (i = 0; i < r->nrelays; i++)
		free(r->relays[i].name);
	free(r->relays);
	/* the lists of changes own copies of their domains */
	for (i = 0; i < r->nnewly; i++)
		report_domain_free(r->newly[i]);
	free(r->newly);
	for (i = 0; i < r->njumps; i++)
		report_domain_free(r->jumps[i].d);
	free(r->jumps);
	free(r->newreasons);
	for (i = 0; i < r->ndnew; i++)
		report_domain_free(r->dnew[i].d);
	free(r->dnew);
	for (i = 0; i < r->nlt_domains; i++)
		report_domain_free(r->lt_domains[i]);
	free(r->lt_domains);
	free(r->zone);
	free(r->domain_filter);
	for (i = 0; i < r->nalerts; i++) {
		free(r->alerts[i].condition);
		free(r->alerts[i].domain);
		free(r->alerts[i].reason);
		free(r->alerts[i].cls);
	}
	free(r->alerts);
	free(r->nolines);
	memset(r, 0, sizeof(*r));
}
