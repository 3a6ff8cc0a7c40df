/*
 * report_alerts.c -- what the report takes from the live view: the alerts
 * bouncewatchd raised in the range (v_alerts), and the days of the range
 * for which not one log line was read (the hourly line counts), so that a
 * source down all day never reads like a quiet day.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "emit.h"
#include "report.h"
#include "store.h"
#include "tz.h"
#include "util.h"

struct report_alerts {
	struct report	*r;
	struct tz	*tz;
	int64_t		 t1;
	size_t		 cap;
};

/* "YYYY-MM-DD HH:MM:SS" of t in the zone; buf has room for 21 bytes. */
static void
report_local_time(struct tz *tz, int64_t t, char *buf, size_t len)
{
	char	 iso[32];

	emit_time_iso(iso, sizeof(iso), tz_utc_to_local(tz, t), 0);
	iso[10] = ' ';
	iso[19] = '\0';		/* no "Z": local */
	snprintf(buf, len, "%.19s", iso);
}

static int
report_alert_row(const struct store_alert *sa, void *arg)
{
	struct report_alerts	*L = arg;
	struct report		*r = L->r;
	struct report_alert	*a;

	if (sa->time > L->t1)
		return 0;
	/* with --domain, that domain's alerts only */
	if (r->domain_filter != NULL && strcmp(sa->domain, r->domain_filter) != 0)
		return 0;
	if (r->nalerts == L->cap) {
		L->cap = L->cap == 0 ? 8 : L->cap * 2;
		r->alerts = xrealloc(r->alerts, L->cap * sizeof(*r->alerts));
	}
	a = &r->alerts[r->nalerts++];
	memset(a, 0, sizeof(*a));
	a->time = sa->time;
	report_local_time(L->tz, sa->time, a->local, sizeof(a->local));
	a->condition = xstrdup(sa->condition);
	a->domain = xstrdup(sa->domain);
	a->reason = xstrdup(sa->reason);
	a->cls = xstrdup(sa->cls);
	a->count = sa->count;
	a->window = sa->window;
	a->baseline = sa->baseline;
	return 0;
}

/*
 * A day's lines are those stamped in the hours its local midnights span
 * (a zone half an hour off UTC counts the half hours at its ends whole).
 * The counts begin when the database got its line table: a day ending
 * before that is not known.
 */
static int
report_load_nolines(struct store *st, struct tz *tz, struct report *r)
{
	int64_t	 day, from, to, t0, t1, lines, since;

	from = cli_parse_day(r->from);
	to = cli_parse_day(r->to);
	r->line_counts = 1;
	for (day = from; day <= to; day++) {
		t0 = tz_local_to_utc(tz, day * 86400);
		t1 = tz_local_to_utc(tz, (day + 1) * 86400) - 1;
		if (store_hourly_lines(st, t0 / 3600, t1 / 3600, &lines,
		    &since) == -1)
			return -1;
		if (since < 0 || since > t1 / 3600) {
			r->line_counts = 0;
			continue;
		}
		if (lines > 0)
			continue;
		r->nolines = xrealloc(r->nolines, (r->nnolines + 1) *
		    sizeof(*r->nolines));
		tz_day_text(day, r->nolines[r->nnolines++]);
	}
	return 0;
}

int
report_load_live(struct store *st, struct tz *tz, struct report *r,
    int64_t t0, int64_t t1)
{
	struct report_alerts	 L;

	memset(&L, 0, sizeof(L));
	L.r = r;
	L.tz = tz;
	L.t1 = t1;
	if (store_alert_list(st, t0, report_alert_row, &L) == -1)
		return -1;
	return report_load_nolines(st, tz, r);
}

char *
report_nolines_note(const struct report *r)
{
	struct obuf	 b;
	char		*note;
	size_t		 i, ndays;

	if (r->nnolines == 0)
		return NULL;
	ndays = (size_t)(cli_parse_day(r->to) - cli_parse_day(r->from) + 1);
	obuf_init(&b, NULL);
	if (r->nnolines == ndays && ndays == 1)
		obuf_printf(&b, "Not one log line was read for %s", r->nolines[0]);
	else if (r->nnolines == ndays)
		obuf_printf(&b, "Not one log line was read for any day of this period");
	else {
		obuf_puts(&b, "Not one log line was read for ");
		for (i = 0; i < r->nnolines; i++)
			obuf_printf(&b, "%s%s", i == 0 ? "" : i + 1 == r->nnolines ?
			    " and " : ", ", r->nolines[i]);
	}
	obuf_puts(&b, ": the mail log was not read (a source down or unreadable, "
	    "or the log written elsewhere, such as the journal). This is not a "
	    "quiet day; see \"bouncewatch status\".");
	note = xstrndup(b.p, b.n);
	obuf_free(&b);
	return note;
}
