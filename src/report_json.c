/*
 * report_json.c -- the report as one JSON document (keys in report.h;
 * stable: new keys are only ever added).  json.c places the commas and
 * escapes; this file only says what goes where.
 */
#include "config.h"

#include <string.h>

#include "json.h"
#include "report.h"

/* A reason's name, or null for none. */
static void
report_json_reason(struct json *j, const char *key, int reason)
{
	json_str(j, key, reason <= 0 || reason >= REASON_MAX ? NULL :
	    classify_reason_name((enum bw_reason)reason));
}

static void
report_json_counts(struct json *j, const struct report_domain *d, int detail)
{
	int	 i, c;
	size_t	 k;

	json_int(j, "attempts", d->attempts);
	json_int(j, "delivered", d->cls[CLASS_DELIVERED]);
	json_int(j, "permanent", d->cls[CLASS_PERMANENT]);
	json_int(j, "temporary", d->cls[CLASS_TEMPORARY]);
	json_int(j, "greylist", d->cls[CLASS_GREYLIST]);
	json_int(j, "local_throttle", d->local_throttle);
	json_int(j, "failures", d->failures);
	if (!detail)
		return;
	json_int(j, "failed_recipients", d->failed_recipients);
	json_int(j, "permanent_recipients", d->rcpt[CLASS_PERMANENT]);
	json_int(j, "temporary_recipients", d->rcpt[CLASS_TEMPORARY]);
	json_int(j, "greylist_recipients", d->rcpt[CLASS_GREYLIST]);
	json_int(j, "failed_messages", d->failed_messages);
	json_object(j, "reasons");
	for (i = 1; i < REASON_MAX; i++)
		if (d->reasons[i] != 0)
			json_int(j, classify_reason_name((enum bw_reason)i), d->reasons[i]);
	json_end(j);
	json_fixed1(j, "failure_pct", report_pct(d->failures, d->attempts));
	report_json_reason(j, "top_reason", report_top_reason(d));
	json_object(j, "classes");
	for (c = CLASS_PERMANENT; c < CLASS_MAX; c++) {
		json_object(j, classify_class_name((enum bw_class)c));
		for (k = 0; k < d->ncr; k++)
			if (d->cr[k].cls == c)
				json_int(j, classify_reason_name(
				    (enum bw_reason)d->cr[k].reason), d->cr[k].n);
		json_end(j);
	}
	json_end(j);
}

enum report_json_texts {
	RJ_PLAIN,		/* text, n, domains */
	RJ_CLASSIFIED,		/* ... class, reason */
	RJ_EXAMPLE,		/* ... example, example_domain */
};

static void
report_json_texts(struct json *j, const char *key, const struct report_text *t,
    size_t n, enum report_json_texts what)
{
	size_t	 i;

	json_array(j, key);
	for (i = 0; i < n; i++) {
		json_object(j, NULL);
		json_str(j, "text", t[i].text);
		json_int(j, "n", t[i].n);
		json_int(j, "domains", t[i].domains);
		if (what == RJ_CLASSIFIED) {
			json_str(j, "class", classify_class_name((enum bw_class)t[i].cls));
			report_json_reason(j, "reason", t[i].reason);
		} else if (what == RJ_EXAMPLE) {
			json_str(j, "example", t[i].example);
			json_str(j, "example_domain", t[i].example_domain);
		}
		json_end(j);
	}
	json_end(j);
}

/* What every domain of the change lists says beside its own numbers. */
static void
report_json_change_domain(struct json *j, const struct report *r,
    const struct report_domain *d)
{
	int	 v[REASON_MAX], n, i;

	report_json_reason(j, "top_reason", report_top_reason(d));
	json_int(j, "failed_recipients", d->failed_recipients);
	json_array(j, "new_reasons");
	n = report_new_reasons(r, d, v, REASON_MAX);
	for (i = 0; i < n; i++)
		json_str(j, NULL, classify_reason_name((enum bw_reason)v[i]));
	json_end(j);
}

static void
report_json_changes(struct json *j, const struct report *r)
{
	const struct report_domain	*d;
	size_t				 i;

	json_object(j, "changes");
	json_str(j, "from", r->prev_from);
	json_str(j, "to", r->prev_to);
	json_bool(j, "history", r->history);
	json_array(j, "newly_failing");
	for (i = 0; i < r->nnewly; i++) {
		d = r->newly[i];
		json_object(j, NULL);
		json_str(j, "domain", d->name);
		json_int(j, "failures", d->failures);
		json_int(j, "attempts", d->attempts);
		json_int(j, "prev_attempts", d->prev_attempts);
		report_json_change_domain(j, r, d);
		json_end(j);
	}
	json_end(j);
	json_array(j, "rate_jumps");
	for (i = 0; i < r->njumps; i++) {
		d = r->jumps[i].d;
		json_object(j, NULL);
		json_str(j, "domain", d->name);
		json_fixed1(j, "failure_pct", r->jumps[i].pct);
		json_fixed1(j, "prev_failure_pct", r->jumps[i].prev_pct);
		json_int(j, "failures", d->failures);
		json_int(j, "attempts", d->attempts);
		json_int(j, "prev_failures", d->prev_failures);
		json_int(j, "prev_attempts", d->prev_attempts);
		report_json_change_domain(j, r, d);
		json_end(j);
	}
	json_end(j);
	json_array(j, "new_reasons");
	for (i = 0; i < r->nnewreasons; i++) {
		json_object(j, NULL);
		report_json_reason(j, "reason", r->newreasons[i].reason);
		json_int(j, "n", r->newreasons[i].n);
		json_end(j);
	}
	json_end(j);
	json_array(j, "domain_new_reasons");
	for (i = 0; i < r->ndnew; i++) {
		json_object(j, NULL);
		json_str(j, "domain", r->dnew[i].d->name);
		report_json_reason(j, "reason", r->dnew[i].reason);
		json_int(j, "failures", r->dnew[i].n);
		json_end(j);
	}
	json_end(j);
	json_end(j);
}

/* The alerts of the range and its days without lines. */
static void
report_json_live(struct json *j, const struct report *r)
{
	const struct report_alert *a;
	char			 iso[24];
	size_t			 i;

	json_array(j, "alerts");
	for (i = 0; i < r->nalerts; i++) {
		a = &r->alerts[i];
		json_object(j, NULL);
		/* local is "YYYY-MM-DD HH:MM:SS"; time is UTC */
		emit_time_iso(iso, sizeof(iso), a->time, 0);
		json_str(j, "time", iso);
		json_str(j, "local_time", a->local);
		json_str(j, "condition", a->condition);
		json_str(j, "domain", a->domain);
		json_str(j, "reason", a->reason);
		json_str(j, "class", a->cls);
		json_int(j, "count", a->count);
		json_int(j, "window", a->window);	/* cron.daily counts this key */
		json_fixed1(j, "baseline", a->baseline);
		json_end(j);
	}
	json_end(j);
	json_bool(j, "line_counts", r->line_counts);
	json_array(j, "days_without_lines");
	for (i = 0; i < r->nnolines; i++)
		json_str(j, NULL, r->nolines[i]);
	json_end(j);
}

void
report_json(struct obuf *b, const struct report *r)
{
	struct json			 j;
	struct report_iter		 it;
	const struct report_domain	*d;
	size_t				 i;
	int				 c, h;

	json_init(&j, b);
	json_object(&j, NULL);
	json_str(&j, "from", r->from);
	json_str(&j, "to", r->to);
	json_object(&j, "totals");
	report_json_counts(&j, &r->totals, 1);
	json_end(&j);
	json_array(&j, "domains");
	report_domains_begin(r, &it);
	while ((d = report_domain_next(&it)) != NULL) {
		json_object(&j, NULL);
		json_str(&j, "domain", d->name);
		report_json_counts(&j, d, 1);
		json_end(&j);
	}
	report_domains_end(&it);
	json_end(&j);
	json_str(&j, "zone", r->zone);
	json_str(&j, "domain_filter", r->domain_filter);
	json_int(&j, "top", r->top);
	json_array(&j, "days");
	for (i = 0; i < r->ndays; i++) {
		json_object(&j, NULL);
		json_str(&j, "day", r->days[i].day);
		report_json_counts(&j, &r->days[i].c, 0);
		json_end(&j);
	}
	json_end(&j);
	json_object(&j, "hours");
	for (c = CLASS_PERMANENT; c < CLASS_MAX; c++) {
		json_array(&j, classify_class_name((enum bw_class)c));
		for (h = 0; h < REPORT_HOURS; h++)
			json_int(&j, NULL, r->hours[c][h]);
		json_end(&j);
	}
	json_end(&j);
	report_json_texts(&j, "diagnostics", r->texts, r->ntexts, RJ_CLASSIFIED);
	report_json_changes(&j, r);
	report_json_texts(&j, "unrecognised", r->unrec, r->nunrec, RJ_EXAMPLE);

	json_object(&j, "local_throttle");
	json_int(&j, "n", r->totals.local_throttle);
	json_array(&j, "domains");
	for (i = 0; i < r->nlt_domains; i++) {
		json_object(&j, NULL);
		json_str(&j, "domain", r->lt_domains[i]->name);
		json_int(&j, "n", r->lt_domains[i]->local_throttle);
		json_end(&j);
	}
	json_end(&j);
	report_json_texts(&j, "texts", r->lt_texts, r->nlt_texts, RJ_PLAIN);
	json_end(&j);
	json_array(&j, "relays");
	for (i = 0; i < r->nrelays; i++) {
		json_object(&j, NULL);
		json_str(&j, "relay", r->relays[i].name);
		json_int(&j, "n", r->relays[i].n);
		report_json_reason(&j, "top_reason", r->relays[i].reason);
		json_end(&j);
	}
	json_end(&j);
	json_int(&j, "failure_rows", r->failure_rows);
	json_bool(&j, "estimated", r->estimated);
	if (r->host_filter == NULL)
		json_null(&j, "host_filter");
	else {
		json_array(&j, "host_filter");
		for (i = 0; i < r->nhost_filter; i++)
			json_str(&j, NULL, r->host_filter[i]);
		json_end(&j);
	}
	json_array(&j, "hosts");
	for (i = 0; i < r->nhosts; i++) {
		json_object(&j, NULL);
		json_str(&j, "host", r->hosts[i].name);
		report_json_counts(&j, &r->hosts[i], 1);
		json_end(&j);
	}
	json_end(&j);
	report_json_live(&j, r);
	json_end(&j);
	obuf_putc(b, '\n');
}
