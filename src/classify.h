/*
 * classify.h -- a delivery record to a class and a reason.
 *
 * Classification is table-driven and pure: a struct classifier holds the
 * built-in rule table, compiled once, plus any operator rules read from a
 * rules file (tried first).  Every verdict names the rule that decided it.
 * The vocabulary below is stored by name in the database; never renumber
 * casually, never rename.
 */
#ifndef BW_CLASSIFY_H
#define BW_CLASSIFY_H

#include "parse.h"

enum bw_class {
	CLASS_DELIVERED,
	CLASS_PERMANENT,
	CLASS_TEMPORARY,
	CLASS_GREYLIST,
	CLASS_MAX
};

enum bw_reason {
	REASON_NONE,		/* delivered: no failure reason */
	REASON_USER_UNKNOWN,
	REASON_MAILBOX_DISABLED,
	REASON_MAILBOX_FULL,
	REASON_MESSAGE_TOO_LARGE,
	REASON_BAD_ADDRESS,
	REASON_SENDER_REJECTED,
	REASON_DOMAIN_NOT_FOUND,
	REASON_HOST_UNREACHABLE,
	REASON_CONNECTION_LOST,
	REASON_TLS_ERROR,
	REASON_PROTOCOL_ERROR,
	REASON_RELAY_DENIED,
	REASON_BLOCKLISTED,
	REASON_CONTENT_REJECTED,
	REASON_AUTH_FAILED,
	REASON_POLICY,
	REASON_RATE_LIMITED,
	REASON_GREYLISTED,
	REASON_SERVER_UNAVAILABLE,
	REASON_ROUTING_LOOP,
	REASON_LOCAL_THROTTLE,
	REASON_LOCAL_ERROR,
	REASON_EXPIRED,
	REASON_OTHER,
	REASON_MAX
};

/*
 * What the evidence says beside the reason, when it names it: which check
 * failed (spf, dkim, dmarc, ptr), which list (dnsbl, with its name in
 * detail_name), which limit (per_hour, per_day, quota), which policy
 * (mta_sts, dane), which content (virus, attachment).  Optional: most
 * verdicts have none.  Stored by name, like the reasons.
 */
enum bw_detail {
	DETAIL_NONE,
	DETAIL_SPF,
	DETAIL_DKIM,
	DETAIL_DMARC,
	DETAIL_PTR,
	DETAIL_DNSBL,
	DETAIL_REPUTATION,
	DETAIL_TENANT_BAN,
	DETAIL_MTA_STS,
	DETAIL_DANE,
	DETAIL_VIRUS,
	DETAIL_ATTACHMENT,
	DETAIL_PER_HOUR,
	DETAIL_PER_DAY,
	DETAIL_QUOTA,
	DETAIL_MAX
};

#define VERDICT_DETAIL_NAME_MAX	64

struct verdict {
	enum bw_class	 cls;
	enum bw_reason	 reason;
	const char	*rule;		/* name of the deciding rule */
	enum bw_detail	 detail;	/* DETAIL_NONE when the text names none */
	/* dnsbl: the list ("zen.spamhaus.org", "spamcop"), else "" */
	char		 detail_name[VERDICT_DETAIL_NAME_MAX];
};

struct classifier;

/* Build the classifier from the built-in table. NULL on allocation failure. */
struct classifier	*classify_new(void);
void			 classify_free(struct classifier *);

/*
 * Read an operator rules file (format in bouncewatch.conf(5)).  0, or -1
 * with every error in *cause (malloc'd, the caller frees it): one
 * "file:line: message" line each, for log_warnx_list().  On any error the
 * classifier is left unchanged.
 */
int	 classify_load_rules(struct classifier *, const char *path,
	    char **cause);
/* Same, from memory; name is used in error messages. */
int	 classify_load_rules_text(struct classifier *, const char *name,
	    const char *text, size_t len, char **cause);

/* Classify a parsed delivery (LINE_DELIVERY or LINE_EXPIRED). */
void	 classify_delivery(const struct classifier *, enum line_kind,
	    const struct delivery *, struct verdict *);

/*
 * Why a verdict is what it is (bouncewatch classify --explain): every rule
 * whose evidence was found, in the order it was weighed, with what became
 * of it: "won", or why it lost.
 */
#define CLASSIFY_TRACE_MAX	48
struct classify_evidence {
	const char	*rule;		/* the rule's name */
	const char	*pattern;	/* what it looks for */
	const char	*weight;	/* "operator", "strong", "specific", ... */
	enum bw_reason	 reason;	/* REASON_NONE: it decides no reason */
	const char	*outcome;	/* "won" or why not */
	int		 index;		/* built-in rule index; -1: operator's */
};
struct classify_trace {
	struct classify_evidence ev[CLASSIFY_TRACE_MAX];
	size_t		 n;
	size_t		 dropped;	/* found but past CLASSIFY_TRACE_MAX */
	const char	*text;		/* what the rules read: "reply", ... */
	const char	*stage;		/* the SMTP stage weighed, or NULL */
};
void	 classify_explain(const struct classifier *, enum line_kind,
	    const struct delivery *, struct verdict *, struct classify_trace *);

const char	*classify_class_name(enum bw_class);
const char	*classify_reason_name(enum bw_reason);
/* "spf", "dnsbl", ...; NULL for DETAIL_NONE. */
const char	*classify_detail_name(enum bw_detail);
/*
 * A verdict's detail as stored and shown: "spf", "dnsbl:spamcop" (the
 * list's name after a colon), written to buf; NULL when it has none.
 */
const char	*classify_detail_text(const struct verdict *, char *buf,
		    size_t len);
/* Name to value; -1 when unknown. */
int		 classify_class_from_name(const char *);
int		 classify_reason_from_name(const char *);

/* True when the class counts as a failure of the remote side. */
int		 classify_is_failure(enum bw_class);

/* Introspection for the table-walking tests. */
struct classify_rule_info {
	const char	*name;
	const char	*pattern;
	enum bw_reason	 reason;
	int		 cls;		/* -1: class from status/code */
	const char	*example;	/* a text this rule must decide */
	int		 example_code;
	const char	*example_dsn;
	enum bw_detail	 detail;	/* the detail it names, if any */
	const char	*source;	/* provider rules: where it is documented */
	int		 decides;	/* 0: it only names a stage or a detail */
};
size_t	 classify_builtin_count(void);
int	 classify_builtin(size_t, struct classify_rule_info *);

#endif
