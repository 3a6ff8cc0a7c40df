/*
 * alert.h -- bouncewatchd's own alerts: the conditions (a domain failing
 * for a new reason, a jump of the overall failure rate, a source gone),
 * judged over a window of log time, and their delivery to alert_command
 * (a JSON document on standard input) and/or alert_to (a mail through
 * sendmail), each run without a shell, with a timeout, off the loop.
 *
 * Like the metrics, what a batch adds is staged and only counts once the
 * batch is committed (alert_commit); a rolled back batch is re-read.
 */
#ifndef BW_ALERT_H
#define BW_ALERT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct ev_loop;
struct alert;

/* The conditions, also the "condition" of the document and the table. */
#define ALERT_DOMAIN_REASON	"domain_reason"
#define ALERT_RATE_JUMP		"rate_jump"
#define ALERT_SOURCE		"source_down"

#define ALERT_BASELINE_DAYS	7
#define ALERT_EXAMPLES		3
#define ALERT_TEXT_MAX		300	/* bytes of one example text */

struct alert_conf {
	const char	*command;	/* NULL: none */
	const char	*to;		/* NULL: no mail */
	const char	*sendmail;	/* the program for alert_to */
	int		 min_failures;	/* alert_min_failures */
	int		 window_s;	/* alert_window */
	int		 rate_factor;	/* alert_rate_jump: times ... */
	int		 rate_points;	/* ... and at least this many points */
	int		 repeat_s;	/* alert_repeat */
	int		 timeout_s;	/* alert_timeout */
};

/* One raised alert, as recorded and as the document says. */
struct alert_event {
	const char	*condition;
	int64_t		 time;		/* when raised (clock) */
	const char	*domain;	/* "" when none */
	const char	*reason;	/* "" when none */
	const char	*cls;		/* "" when none */
	int64_t		 count;		/* failures in the window */
	int		 window_s;
	double		 baseline;	/* see the document's description */
	const char	*json;		/* the whole document */
};

/* What the alerts need from the database (store.h behind the daemon). */
struct alert_ops {
	/*
	 * The times of the permanent and temporary failures of domain with
	 * reason in [from, to): a malloc'd array in *times, the count
	 * returned, or -1.
	 */
	int	(*failure_times)(void *, const char *domain, int reason,
		    int64_t from, int64_t to, int64_t **times);
	/* Delivery attempts and failures in the hours of [from, to): 0 or -1. */
	int	(*volume)(void *, int64_t from, int64_t to, int64_t *attempts,
		    int64_t *failures);
	/* Record a raised alert (a transaction of its own): 0 or -1. */
	int	(*record)(void *, const struct alert_event *);
};

struct alert	*alert_new(struct ev_loop *, const struct alert_conf *,
		    const struct alert_ops *, void *arg);
/* Stop judging; children still running are left to their timeout. */
void		 alert_free(struct alert *);
/* New settings (SIGHUP); the window's counts are kept. */
void		 alert_set_conf(struct alert *, const struct alert_conf *);

/*
 * An alert raised before a restart: (condition, domain, reason) stays
 * quiet until time + alert_repeat.
 */
void	 alert_seen(struct alert *, const char *condition, const char *domain,
	    const char *reason, int64_t time);

/*
 * One delivery attempt of the batch: log time, recipient domain, class
 * and reason (classify.h), the log's host and the reply text (both may be
 * NULL/0) and the recipient (replaced in the example texts).
 */
void	 alert_delivery(struct alert *, int64_t time, const char *domain,
	    int cls, int reason, const char *host, size_t hostlen,
	    const char *text, size_t textlen, const char *rcpt, size_t rcptlen);
/* The batch is committed: count it and judge (now: the clock). */
void	 alert_commit(struct alert *, int64_t now);
void	 alert_rollback(struct alert *);

/* A source's state (up: open and readable), looked at periodically. */
void	 alert_source(struct alert *, const char *name, int up,
	    const char *why, int64_t now);

/* Children running now (for tests and status). */
int	 alert_running(const struct alert *);

/* An example text made safe: controls out, the recipient hidden, bounded. */
void	 alert_sanitise(const char *text, size_t len, const char *rcpt,
	    size_t rcptlen, char *out, size_t outlen);
/* The highest number of times within any span of window seconds. */
int64_t	 alert_window_max(int64_t *times, size_t n, int64_t window);

#endif
