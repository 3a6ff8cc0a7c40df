/*
 * parse.h -- one mail-log line to one struct delivery.
 *
 * The parser is pure: it reads the line it is given, writes the record it is
 * given, and touches nothing else (no I/O, no globals, no allocation).
 * Text fields are spans into the caller's line buffer, so a record is only
 * valid while that buffer is; the recipient domain is the one field copied
 * (it is lower-cased).
 *
 * Accepted input is documented in bouncewatch(1), section LOG FORMATS.
 */
#ifndef BW_PARSE_H
#define BW_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct tz;

/* A slice of the input line; p == NULL means absent. */
struct span {
	const char	*p;
	size_t		 n;
};

enum line_kind {
	LINE_INVALID,		/* no syslog envelope, binary, too long */
	LINE_OTHER,		/* a log line, but not a delivery outcome */
	LINE_DELIVERY,		/* one delivery attempt for one recipient */
	LINE_EXPIRED,		/* qmgr: message expired, returned to sender */
	LINE_PROBE,		/* address-verification probe result */
	LINE_KIND_MAX
};

enum mta {
	MTA_POSTFIX,
	MTA_HURRICANE,
	MTA_MAX
};

/* Delivery status as the MTA wrote it. */
enum dstatus {
	DSTATUS_NONE,		/* unknown: a bare reply, a Hurricane line without outcome */
	DSTATUS_SENT,
	DSTATUS_DEFERRED,
	DSTATUS_BOUNCED,
	DSTATUS_SOFTBOUNCE,
	DSTATUS_EXPIRED,
	DSTATUS_DELIVERABLE,	/* probe */
	DSTATUS_UNDELIVERABLE,	/* probe */
	DSTATUS_MAX
};

#define DELIVERY_DOMAIN_MAX	256

struct delivery {
	enum mta	 mta;
	int		 has_time;
	int64_t		 time;		/* seconds since the epoch, UTC */
	int32_t		 usec;
	/*
	 * The line's local day (days since 1970-01-01) in the parse_ctx's
	 * zone, set with time: a local stamp's own date, the zone's day of
	 * the instant for a stamp with an offset.  The store counts the line
	 * on it: the zone is applied once, here.
	 */
	int32_t		 day;
	struct span	 host;
	struct span	 syslog_name;	/* tag without pid: "postfix-out/smtp" */
	struct span	 program;	/* last component: "smtp" */
	long		 pid;		/* -1 when absent */
	struct span	 queue_id;
	struct span	 recipient;	/* without the angle brackets */
	struct span	 orig_to;
	char		 domain[DELIVERY_DOMAIN_MAX];	/* lower case, "" if none */
	struct span	 relay;		/* whole relay= value */
	struct span	 relay_host;
	struct span	 relay_addr;	/* IP or unix socket path */
	int		 relay_port;	/* -1 when absent */
	struct span	 delay;
	struct span	 delays;
	struct span	 dsn;
	enum dstatus	 status;
	struct span	 sender;	/* qmgr expired lines only */
	int		 code;		/* SMTP reply code, 0 when none */
	struct span	 enhanced;	/* enhanced status code from the reply */
	struct span	 stage;		/* "RCPT TO", "end of DATA", ... */
	struct span	 diagnostic;	/* whole reason text */
	int		 truncated;	/* reason had no closing parenthesis */
};

/*
 * What the parser needs from outside: the present time (for the year of
 * year-less stamps) and the local zone (for stamps without an offset).
 */
struct parse_ctx {
	time_t		 now;
	struct tz	*tz;		/* NULL: treat local stamps as UTC */
	/*
	 * lazy: fill only what the store needs -- the time of deliveries,
	 * expiries and probes (not of other lines), the queue id of lines of
	 * delivery agents and qmgr, the reply code, enhanced code and stage
	 * of failures (not of "sent").  The kind of every line is the same
	 * as without it.
	 */
	int		 lazy;
};

/* Lines longer than this are LINE_INVALID. */
#define PARSE_LINE_MAX	(64 * 1024)

enum line_kind	 parse_line(const struct parse_ctx *, const char *, size_t,
		    struct delivery *);

/*
 * What parse_line_memo keeps of the lines before: the head of the last
 * BSD syslog line up to its host ("Nov 20 00:00:01 mx1 "), with what
 * was read from it, and the last year-less stamp converted.  A busy log
 * repeats both line after line; a line with the same head bytes is read
 * from its tag on.  Zero it before the first use; one per stream of
 * lines, for one thread at a time.
 */
#define PARSE_MEMO_HEAD	64

struct parse_memo {
	size_t		 len;		/* of head; 0: nothing kept */
	char		 head[PARSE_MEMO_HEAD];
	size_t		 host_off, host_len;
	int		 mon, mday;
	int64_t		 secs;
	int32_t		 usec;
	/* the last conversion: (mon, mday, secs) at ctx's now and zone */
	int		 conv;
	int		 conv_mon, conv_mday;
	int64_t		 conv_secs;
	time_t		 conv_now;
	const struct tz	*conv_tz;
	int64_t		 conv_time;
	int32_t		 conv_day;
};

/* parse_line, with the memo (NULL: none): the same results, faster. */
enum line_kind	 parse_line_memo(const struct parse_ctx *, struct parse_memo *,
		    const char *, size_t, struct delivery *);

/*
 * One systemd journal entry, as a journal source reads it (sd-journal's
 * sd_journal_get_realtime_usec and sd_journal_get_data, the "FIELD="
 * prefix removed).  The spans point into the caller's memory (for
 * sd_journal_get_data: valid until the next call on the same journal) and
 * are not NUL-terminated; an absent field has p == NULL.
 */
struct parse_journal {
	uint64_t	 realtime_us;	/* __REALTIME_TIMESTAMP, µs since the epoch */
	struct span	 hostname;	/* _HOSTNAME */
	struct span	 identifier;	/* SYSLOG_IDENTIFIER: "postfix/smtp" */
	struct span	 pid;		/* _PID (or SYSLOG_PID), decimal */
	struct span	 message;	/* MESSAGE: "QID: to=<...>, ..." */
};

/*
 * A journal entry to one struct delivery, as parse_line does for a log
 * line: the same kinds and fields, read from the fields instead of a
 * syslog envelope.  The time is the entry's own UTC time, with its
 * microseconds: no year is guessed and ctx->tz gives only its day
 * (ctx->now is not used).  syslog_name is the identifier, program its last
 * component, host the host name.  A MESSAGE over PARSE_LINE_MAX bytes or
 * with a NUL byte is LINE_INVALID; an entry without identifier is read as
 * a bare message.
 */
enum line_kind	 parse_journal(const struct parse_ctx *, const struct parse_journal *,
		    struct delivery *);

/* Parse a bare SMTP reply or diagnostic text into code/enhanced/diagnostic. */
void		 parse_reply(const char *, size_t, struct delivery *);

const char	*parse_status_name(enum dstatus);
const char	*parse_kind_name(enum line_kind);
const char	*parse_mta_name(enum mta);

/* Convenience: span equality with a C string. */
int		 span_eq(struct span, const char *);

#endif
