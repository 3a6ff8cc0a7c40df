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

static void
report_csv_domain(struct obuf *b, const char *flag, const struct report_domain *d)
{
	int	 top = report_top_reason(d), i, c;
	int64_t	 byclass[CLASS_MAX];

	obuf_printf(b, "%s,", flag);
	emit_csv_str(b, d->name, strlen(d->name));
	obuf_printf(b, ",,%lld,%lld,%lld,%lld,%lld,%lld,%.1f,%lld,%s,"
	    "%lld,%lld,%lld,%lld,%lld\n",
	    (long long)d->attempts, (long long)d->cls[CLASS_DELIVERED],
	    (long long)d->cls[CLASS_PERMANENT], (long long)d->cls[CLASS_TEMPORARY],
	    (long long)d->cls[CLASS_GREYLIST], (long long)d->failures,
	    report_pct(d->failures, d->attempts), (long long)d->local_throttle,
	    top > 0 ? classify_reason_name((enum bw_reason)top) : "",
	    (long long)d->failed_recipients, (long long)d->rcpt[CLASS_PERMANENT],
	    (long long)d->rcpt[CLASS_TEMPORARY], (long long)d->rcpt[CLASS_GREYLIST],
	    (long long)d->failed_messages);
	if (strcmp(flag, "domain") != 0)
		return;
	for (i = 1; i < REASON_MAX; i++) {
		if (d->reasons[i] == 0)
			continue;
		for (c = 0; c < CLASS_MAX; c++)
			byclass[c] = report_class_reason(d, c, i);
		obuf_puts(b, "reason,");
		emit_csv_str(b, d->name, strlen(d->name));
		obuf_printf(b, ",%s,,,%lld,%lld,%lld,%lld,,0,,,,,,\n",
		    classify_reason_name((enum bw_reason)i),
		    (long long)byclass[CLASS_PERMANENT], (long long)byclass[CLASS_TEMPORARY],
		    (long long)byclass[CLASS_GREYLIST], (long long)d->reasons[i]);
	}
	if (d->local_throttle > 0) {
		obuf_puts(b, "reason,");
		emit_csv_str(b, d->name, strlen(d->name));
		obuf_printf(b, ",%s,,,0,0,0,0,,%lld,,,,,,\n",
		    classify_reason_name(REASON_LOCAL_THROTTLE), (long long)d->local_throttle);
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
