/*
 * report.h -- the daily summary, built from the database (never from the
 * log files), then rendered.  report_load() (report_load.c) reads what
 * a report shows through the store's reader, the database summing and
 * sorting the domains (held one at a time, the ones past --top spooled to
 * a temporary file); the renderers (report_json.c, report_csv.c,
 * report_text.c, report_html.c) only format.
 *
 * Counts come from two places: the per-day counters ("daily": attempts by
 * domain, class and reason, delivered mail included) and the failure rows
 * of the range (texts, hours, relays).  local_throttle -- our own MTA
 * deferring on purpose -- is counted on its own everywhere and is never a
 * failure of the remote domain.
 *
 * The JSON document (stable keys; new keys are only ever added):
 *
 *   from, to          the local days of the range, "YYYY-MM-DD"
 *   zone              the time zone days and hours are counted in
 *   domain_filter     the --domain given, or null
 *   host_filter       the --host names given, or null
 *   hosts[]           counts per syslog host ("host": "" when not known),
 *                     sorted as domains are
 *   top               the --top given: the length limit of the lists below
 *   totals            counts (see below) over every domain
 *   domains[]         counts per recipient domain ("domain": "" when the
 *                     recipient was unknown), every domain, sorted by
 *                     permanent_recipients, failed_recipients, failures,
 *                     attempts, then name
 *   days[]            per local day: day, attempts, delivered, permanent,
 *                     temporary, greylist, local_throttle, failures
 *   hours             {permanent, temporary, greylist}: 24 failure counts
 *                     by local hour of day, summed over the range
 *   diagnostics[]     top normalised texts of failures: text, n, domains
 *                     (distinct domains), class and reason (the commonest)
 *   changes           against the 7 days before "from": from, to, history
 *                     (false when those days hold no deliveries at all),
 *                     newly_failing[] (failures now, none before),
 *                     rate_jumps[] (failure rate up by REPORT_JUMP_PTS
 *                     points or more, with at least REPORT_JUMP_MIN
 *                     attempts now and failures before), new_reasons[];
 *                     each domain of newly_failing and rate_jumps has
 *                     top_reason, failed_recipients and new_reasons[]
 *                     (its reasons with failures now and none before),
 *                     domain_new_reasons[] {domain, reason, failures}: a
 *                     domain that failed in those days too, now failing
 *                     for a reason it did not then (most failures first)
 *   unrecognised[]    texts of failures no rule recognised (reason
 *                     "other"): text, n, domains, example, example_domain
 *   local_throttle    n, domains[] {domain, n}, texts[] {text, n, domains}
 *   relays[]          relays of failures: relay, n, top_reason
 *   failure_rows      failure rows read for the range: less than
 *                     failures + local_throttle when detail was pruned
 *   estimated         true when a count of distinct recipients, messages
 *                     or domains is an estimate: over several days (read
 *                     from day summaries), sets above 8,192 are counted
 *                     by HyperLogLog (sketch.h), within about 1%
 *   alerts[]          the alerts bouncewatchd raised in the range (v_alerts;
 *                     with --domain, that domain's): time (UTC, ISO 8601),
 *                     local_time, condition, domain (source_down: the
 *                     source), reason, class, count, window (seconds),
 *                     baseline
 *   line_counts       whether the database counts the lines read per hour
 *                     for the whole range (false: days_without_lines is
 *                     not known)
 *   days_without_lines[]  the days of the range for which not one log line
 *                     was read (a source down all day, a log elsewhere);
 *                     a day without delivery attempts but with lines is a
 *                     quiet day, not one of these
 *
 * Counts: attempts (every class, local_throttle excluded), delivered,
 * permanent, temporary, greylist, local_throttle, failures (permanent +
 * temporary + greylist), reasons {reason: failures}, failure_pct
 * (100 * failures / attempts, one decimal; 0 without attempts), top_reason
 * (the reason with the most failures, the earlier in the vocabulary on a
 * tie; null without failures), classes {class: {reason: n}}; and from the
 * failure rows (so 0 once they are pruned): failed_recipients,
 * permanent_recipients, temporary_recipients, greylist_recipients
 * (distinct recipients, (domain, local part), with at least one failure of
 * any class, of that class) and failed_messages (distinct (host, queue
 * id)).  A recipient failing temporarily then permanently counts in both
 * classes and once in failed_recipients.  Not in days[].
 */
#ifndef BW_REPORT_H
#define BW_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "classify.h"
#include "emit.h"

struct store;
struct store_range;
struct tz;

#define REPORT_HOURS		24
#define REPORT_HISTORY_DAYS	7	/* "changes" compares with these days */
#define REPORT_JUMP_PTS		10	/* a jump: the failure rate rose this many points */
#define REPORT_JUMP_MIN		10	/* ... with at least this many attempts now */
#define REPORT_TOP_DEFAULT	10

enum report_format {
	REPORT_TEXT,
	REPORT_HTML,
	REPORT_JSON,
	REPORT_CSV,
};

/* One (class, reason) count. */
struct report_cr {
	int		 cls;
	int		 reason;
	int64_t		 n;
};

struct report_domain {
	char		*name;		/* "" when the recipient was unknown */
	int64_t		 cls[CLASS_MAX];	/* local_throttle excluded */
	int64_t		 local_throttle;
	int64_t		 reasons[REASON_MAX];	/* failures by reason */
	int64_t		 failures;	/* permanent + temporary + greylist */
	int64_t		 attempts;	/* all classes, local_throttle excluded */
	struct report_cr *cr;		/* failures by class and reason */
	size_t		 ncr;
	int64_t		 prev_attempts;	/* the REPORT_HISTORY_DAYS before */
	int64_t		 prev_failures;
	int64_t		 prev_reasons[REASON_MAX];
	/* distinct recipients and messages of the failure rows */
	int64_t		 rcpt[CLASS_MAX];	/* by failure class */
	int64_t		 failed_recipients;	/* any failure class */
	int64_t		 failed_messages;
};

struct report_day {
	char		 day[11];
	struct report_domain c;		/* counts only, name NULL */
};

/* A normalised diagnostic text and how often it was seen. */
struct report_text {
	char		*text;
	int64_t		 n;
	int64_t		 domains;	/* distinct recipient domains */
	int		 cls;		/* the commonest class and reason */
	int		 reason;
	char		*example;	/* one full text (unrecognised only) */
	char		*example_domain;
};

struct report_relay {
	char		*name;
	int64_t		 n;
	int		 reason;	/* the commonest */
};

struct report_jump {
	struct report_domain *d;
	double		 pct, prev_pct;
};

struct report_newreason {
	int		 reason;
	int64_t		 n;
	struct report_domain *d;	/* per domain: the domain; else NULL */
};

/* An alert bouncewatchd raised (report_alerts.c). */
struct report_alert {
	int64_t		 time;
	char		 local[21];	/* "YYYY-MM-DD HH:MM:SS" in the zone */
	char		*condition;
	char		*domain;	/* source_down: the source */
	char		*reason;
	char		*cls;
	int64_t		 count;
	int		 window;	/* seconds */
	double		 baseline;
};

struct report {
	char			 from[11];
	char			 to[11];
	char			 prev_from[11];	/* the days "changes" compares with */
	char			 prev_to[11];
	char			*zone;
	char			*domain_filter;	/* NULL: every domain */
	char			**host_filter;	/* NULL: every host */
	size_t			 nhost_filter;
	struct report_domain	*hosts;		/* counts per host, name "" unknown */
	size_t			 nhosts;
	int			 top;
	/*
	 * Domains sorted by failures, then name: ndomains in all, the first
	 * nkept (at most top) here, every one through report_domain_next().
	 */
	struct report_domain	*domains;
	size_t			 nkept;
	size_t			 ndomains;
	size_t			 nfailing;	/* domains with failures */
	FILE			*spool;		/* the domains after the kept */
	char			*spoolbuf;	/* its stdio buffer */
	int			 every;		/* ... kept there (report_query) */
	struct report_domain	 totals;
	struct report_day	*days;
	size_t			 ndays;
	int64_t			 hours[CLASS_MAX][REPORT_HOURS];
	struct report_text	*texts;		/* top failure texts */
	size_t			 ntexts;
	struct report_text	*unrec;		/* top unrecognised texts */
	size_t			 nunrec;
	struct report_text	*lt_texts;	/* top local_throttle texts */
	size_t			 nlt_texts;
	struct report_domain	**lt_domains;	/* top local_throttle domains */
	size_t			 nlt_domains;
	struct report_relay	*relays;
	size_t			 nrelays;
	int			 history;	/* the previous days hold deliveries */
	int64_t			 prev_reasons[REASON_MAX];
	struct report_domain	**newly;	/* newly failing domains */
	size_t			 nnewly;
	struct report_jump	*jumps;
	size_t			 njumps;
	struct report_newreason	*newreasons;
	size_t			 nnewreasons;
	struct report_newreason	*dnew;		/* a domain failing before, */
	size_t			 ndnew;		/* for a reason new to it */
	int64_t			 failure_rows;
	int			 estimated;	/* distinct counts are estimates
						   (a range of days, large sets) */
	struct report_alert	*alerts;	/* raised in the range */
	size_t			 nalerts;
	int			 line_counts;	/* lines per hour are known */
	char			(*nolines)[11];	/* days without one line read */
	size_t			 nnolines;
};

struct report_query {
	const char	*from;		/* local days "YYYY-MM-DD", from <= to */
	const char	*to;
	const char	*domain;	/* NULL: every domain */
	const char *const *hosts;	/* NULL: every host */
	size_t		 nhosts;
	int		 top;		/* list lengths */
	int		 every;		/* the renderer lists every domain
					   (report_domain_next): else those
					   past top are counted, not kept */
	struct tz	*tz;		/* the zone days are counted in */
	const char	*zone;		/* its name, for the reader */
};

/* Every domain of a loaded report in order, one at a time. */
struct report_iter {
	const struct report	*r;
	size_t			 i;
	struct report_domain	 d;	/* the current one past the kept
					   (prev_* not kept: 0) */
};
void	report_domains_begin(const struct report *, struct report_iter *);
/* The next domain (valid until the next call), NULL after the last. */
const struct report_domain *report_domain_next(struct report_iter *);
void	report_domains_end(struct report_iter *);
void	report_domain_free(struct report_domain *);
/* report_load.c: a domain past the kept ones to r->spool; -1 on error */
int	report_spool_put(struct report *, const struct report_domain *);

/*
 * report_sum.c: a range's days merged from their summaries (daysum.h)
 * into ds; -1 with *cause on error.
 */
struct daysum;
struct daysum_doms;
struct obuf;
int	report_sum_collect(struct store *, struct tz *, const struct store_range *,
	    struct daysum *, struct daysum_doms *, struct obuf *, char **cause);

/* Load the report; -1 with a malloc'd message in *cause on error. */
int	report_load(struct store *, const struct report_query *,
	    struct report *, char **cause);
void	report_free(struct report *);
/* True when the range holds no delivery attempt at all. */
int	report_empty(const struct report *);
/* ... and no alert and no day without lines: nothing to tell at all. */
int	report_quiet(const struct report *);
/* report_alerts.c: the alerts of the range and its days without lines. */
int	report_load_live(struct store *, struct tz *, struct report *,
	    int64_t t0, int64_t t1);
/* A note on the range's days without lines (malloc'd), NULL when none. */
char	*report_nolines_note(const struct report *);

void	report_json(struct obuf *, const struct report *);
void	report_csv(struct obuf *, const struct report *);
void	report_text(struct obuf *, const struct report *);
/* mail: for a mail client (no SVG, no script: charts as table cells) */
void	report_html(struct obuf *, const struct report *, int mail);
int	report_format_from_name(const char *);

/* Shared by the renderers. */
double	report_pct(int64_t part, int64_t whole);
int	report_top_reason(const struct report_domain *);
const char *report_domain_label(const char *);
int64_t	report_class_reason(const struct report_domain *, int cls, int reason);
/* Reasons of d failing now and not in the days before: count, into v. */
int	report_new_reasons(const struct report *, const struct report_domain *,
	    int *v, int max);

#endif
