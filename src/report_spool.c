/*
 * report_spool.c -- the domains of a report past the first --top: written
 * by report_load.c to a temporary file as the database streams them, read
 * back in order by the renderers through report_domain_next().
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "util.h"

/*
 * A domain past the kept ones, to the spool: its counts (SP_*), its name,
 * its (class, reason) counts, from which report_domain_next() sums the
 * reasons again; the days before are not kept (the lists of changes hold
 * copies).
 */
#define REPORT_SPOOL_BUF	(256 * 1024)

enum {
	SP_LT = CLASS_MAX, SP_FAILURES, SP_ATTEMPTS, SP_RCPT, SP_MESSAGES,
	SP_BYCLASS, SP_NCR = SP_BYCLASS + CLASS_MAX, SP_NAME, SP_MAX
};

int
report_spool_put(struct report *r, const struct report_domain *d)
{
	int64_t	 v[SP_MAX];
	size_t	 len = strlen(d->name);

	if (r->spool == NULL) {
		if ((r->spool = tmpfile()) == NULL)
			return -1;
		/* 60,000 domains over 30 days: 8 MB, in 4 KiB writes by default */
		r->spoolbuf = xmalloc(REPORT_SPOOL_BUF);
		setvbuf(r->spool, r->spoolbuf, _IOFBF, REPORT_SPOOL_BUF);
	}
	memcpy(v, d->cls, sizeof(d->cls));
	v[SP_LT] = d->local_throttle;
	v[SP_FAILURES] = d->failures;
	v[SP_ATTEMPTS] = d->attempts;
	v[SP_RCPT] = d->failed_recipients;
	v[SP_MESSAGES] = d->failed_messages;
	memcpy(&v[SP_BYCLASS], d->rcpt, sizeof(d->rcpt));
	v[SP_NCR] = (int64_t)d->ncr;
	v[SP_NAME] = (int64_t)len;
	if (fwrite(v, sizeof(v), 1, r->spool) != 1 ||
	    fwrite(d->name, 1, len, r->spool) != len ||
	    (d->ncr > 0 && fwrite(d->cr, sizeof(*d->cr), d->ncr, r->spool) != d->ncr))
		return -1;
	return 0;
}

void
report_domains_begin(const struct report *r, struct report_iter *it)
{
	memset(it, 0, sizeof(*it));
	it->r = r;
	if (r->spool != NULL)
		rewind(r->spool);
}

const struct report_domain *
report_domain_next(struct report_iter *it)
{
	const struct report	*r = it->r;
	struct report_domain	*d = &it->d;
	int64_t			 v[SP_MAX];
	size_t			 i, len;

	if (it->i < r->nkept)
		return &r->domains[it->i++];
	if (it->i >= r->ndomains || r->spool == NULL ||
	    fread(v, sizeof(v), 1, r->spool) != 1)
		return NULL;
	free(d->name);
	free(d->cr);
	memset(d, 0, sizeof(*d));
	memcpy(d->cls, v, sizeof(d->cls));
	d->local_throttle = v[SP_LT];
	d->failures = v[SP_FAILURES];
	d->attempts = v[SP_ATTEMPTS];
	d->failed_recipients = v[SP_RCPT];
	d->failed_messages = v[SP_MESSAGES];
	memcpy(d->rcpt, &v[SP_BYCLASS], sizeof(d->rcpt));
	d->ncr = (size_t)v[SP_NCR];
	len = (size_t)v[SP_NAME];
	d->name = xmalloc(len + 1);
	d->cr = xcalloc(d->ncr + 1, sizeof(*d->cr));
	if (fread(d->name, 1, len, r->spool) != len ||
	    (d->ncr > 0 && fread(d->cr, sizeof(*d->cr), d->ncr, r->spool) != d->ncr))
		return NULL;
	d->name[len] = '\0';
	for (i = 0; i < d->ncr; i++)
		if (d->cr[i].reason >= 0 && d->cr[i].reason < REASON_MAX)
			d->reasons[d->cr[i].reason] += d->cr[i].n;
	it->i++;
	return d;
}

void
report_domains_end(struct report_iter *it)
{
	free(it->d.name);
	free(it->d.cr);
	memset(it, 0, sizeof(*it));
}
