/*
 * report_csv.c -- the report as CSV for spreadsheets: one header, then a
 * row per total, domain and reason (see report_csv_header).  Every text
 * cell goes through emit_csv_str().
 */
#include "config.h"

#include <string.h>

#include "report.h"

/*
 * One header, then rows flagged in the first column: "total" (every
 * domain), "domain" (one per domain, in report order), each followed by
 * its "reason" rows (one per failure reason, and local_throttle), where
 * permanent/temporary/greylist split that reason's failures by class
 * (their recipient columns stay empty: recipients are per domain).
 */
static const char report_csv_header[] =
    "row,domain,reason,attempts,delivered,permanent,temporary,greylist,"
    "failures,failure_pct,local_throttle,top_reason,failed_recipients,"
    "permanent_recipients,temporary_recipients,greylist_recipients,"
    "failed_messages\n";

/* ",n" for each value: the numeric cells, without printf. */
static void
report_csv_ints(struct obuf *b, const int64_t *v, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		obuf_putc(b, ',');
		obuf_int(b, v[i]);
	}
}

/* The start of a row: its flag, then the domain's cell. */
static void
report_csv_row(struct obuf *b, const char *flag, const struct report_domain *d)
{
	obuf_puts(b, flag);
	obuf_putc(b, ',');
	emit_csv_str(b, d->name, strlen(d->name));
}

/* A reason's row: failures by class, all of them, local_throttle. */
static void
report_csv_reason(struct obuf *b, const struct report_domain *d, int reason,
    const int64_t *v, int64_t lt)
{
	report_csv_row(b, "reason", d);
	obuf_putc(b, ',');
	obuf_puts(b, classify_reason_name((enum bw_reason)reason));
	obuf_puts(b, ",,");
	report_csv_ints(b, v, CLASS_MAX - CLASS_PERMANENT + 1);
	obuf_puts(b, ",,");
	obuf_int(b, lt);
	obuf_puts(b, ",,,,,,\n");
}

static void
report_csv_domain(struct obuf *b, const char *flag, const struct report_domain *d)
{
	int		 top = report_top_reason(d), i, c;
	const int64_t	 counts[] = { d->attempts, d->cls[CLASS_DELIVERED],
	    d->cls[CLASS_PERMANENT], d->cls[CLASS_TEMPORARY],
	    d->cls[CLASS_GREYLIST], d->failures };
	const int64_t	 distinct[] = { d->failed_recipients,
	    d->rcpt[CLASS_PERMANENT], d->rcpt[CLASS_TEMPORARY],
	    d->rcpt[CLASS_GREYLIST], d->failed_messages };
	int64_t		 v[CLASS_MAX];

	report_csv_row(b, flag, d);
	obuf_putc(b, ',');
	report_csv_ints(b, counts, sizeof(counts) / sizeof(counts[0]));
	obuf_putc(b, ',');
	obuf_fixed1(b, report_pct(d->failures, d->attempts));
	report_csv_ints(b, &d->local_throttle, 1);
	obuf_putc(b, ',');
	if (top > 0)
		obuf_puts(b, classify_reason_name((enum bw_reason)top));
	report_csv_ints(b, distinct, sizeof(distinct) / sizeof(distinct[0]));
	obuf_putc(b, '\n');
	if (strcmp(flag, "domain") != 0)
		return;
	for (i = 1; i < REASON_MAX; i++) {
		if (d->reasons[i] == 0)
			continue;
		/* permanent, temporary, greylist, then all of the reason */
		for (c = CLASS_PERMANENT; c < CLASS_MAX; c++)
			v[c - CLASS_PERMANENT] = report_class_reason(d, c, i);
		v[CLASS_MAX - CLASS_PERMANENT] = d->reasons[i];
		report_csv_reason(b, d, i, v, 0);
	}
	if (d->local_throttle > 0) {
		memset(v, 0, sizeof(v));
		report_csv_reason(b, d, REASON_LOCAL_THROTTLE, v, d->local_throttle);
	}
}

void
report_csv(struct obuf *b, const struct report *r)
{
	struct report_iter		 it;
	const struct report_domain	*d;

	obuf_puts(b, report_csv_header);
	report_csv_domain(b, "total", &r->totals);
	report_domains_begin(r, &it);
	while ((d = report_domain_next(&it)) != NULL)
		report_csv_domain(b, "domain", d);
	report_domains_end(&it);
}
