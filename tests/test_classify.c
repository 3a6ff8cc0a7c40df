/*
 * test_classify.c -- the classifier: every reference sample, a walk of the
 * rule table (every rule reachable, none shadowed, every reason reachable),
 * and the operator rules file.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "classify.h"
#include "corpus.h"
#include "parse.h"

static struct classifier	*cl;

static int
setup(void **state)
{
	(void)state;
	cl = classify_new();
	return cl == NULL;
}

static int
teardown(void **state)
{
	(void)state;
	classify_free(cl);
	return 0;
}

static enum dstatus
status_of(const char *s)
{
	if (strcmp(s, "bounced") == 0)
		return DSTATUS_BOUNCED;
	if (strcmp(s, "deferred") == 0)
		return DSTATUS_DEFERRED;
	if (strcmp(s, "sent") == 0)
		return DSTATUS_SENT;
	if (strcmp(s, "expired") == 0)
		return DSTATUS_EXPIRED;
	return DSTATUS_NONE;
}

/* Classify a bare text the way "bouncewatch classify --reply" does. */
static void
verdict_of(const struct classifier *c, const char *status, const char *text,
    struct verdict *v)
{
	struct delivery	 d;

	parse_reply(text, strlen(text), &d);
	d.status = status_of(status);
	classify_delivery(c, LINE_DELIVERY, &d, v);
}

/* Lines in a list of errors (each ends with its newline). */
static int
count_lines(const char *list)
{
	int	 n = 0;

	for (; *list != '\0'; list++)
		n += *list == '\n';
	return n;
}

/*
 * --explain tells the truth: the traced verdict is the verdict, the rule
 * that decided is the one marked "won", and no other is.  0 if so.
 */
static int
explain_agrees(const char *status, const char *text, const struct verdict *v)
{
	struct classify_trace	 tr;
	struct delivery		 d;
	struct verdict		 t;
	size_t			 i;
	int			 won = 0, bad = 0;

	parse_reply(text, strlen(text), &d);
	d.status = status_of(status);
	classify_explain(cl, LINE_DELIVERY, &d, &t, &tr);
	if (t.cls != v->cls || t.reason != v->reason || t.detail != v->detail ||
	    strcmp(t.rule, v->rule) != 0)
		bad++;
	for (i = 0; i < tr.n; i++) {
		if (tr.ev[i].outcome == NULL) {
			bad++;
			continue;
		}
		if (strncmp(tr.ev[i].outcome, "won", 3) != 0)
			continue;
		won++;
		if (strcmp(v->rule, "stage") != 0 && strcmp(tr.ev[i].rule, v->rule) != 0)
			bad++;
	}
	/* a verdict by a rule shows that rule; "other" and "stage" may not */
	if (won > 1 || (won == 0 && strcmp(v->rule, "other") != 0 &&
	    strcmp(v->rule, "stage") != 0 && strncmp(v->rule, "status:", 7) != 0))
		bad++;
	if (bad > 0)
		fprintf(stderr, "--explain disagrees (rule %s, %zu found): %s\n",
		    v->rule, tr.n, text);
	return bad > 0;
}

/*
 * Check every sample of a reply corpus (tests/data/README, reference.tsv);
 * returns the number of samples.
 */
static int
check_replies(const char *name)
{
	char	*text, *p, *eol;
	size_t	 len;
	int	 lineno = 0, rows = 0, bad = 0;

	text = corpus_slurp(corpus_path(name), &len);
	assert_non_null(text);
	for (p = text; p < text + len; p = eol + 1) {
		char		*f[5];
		int		 nf = 0;
		struct verdict	 v;
		char		*q;

		lineno++;
		if ((eol = strchr(p, '\n')) == NULL)
			eol = text + len;
		*eol = '\0';
		if (*p == '#' || *p == '\0')
			continue;
		for (q = p; nf < 5; nf++) {
			f[nf] = q;
			if ((q = strchr(q, '\t')) == NULL) {
				nf++;
				break;
			}
			*q++ = '\0';
		}
		if (nf < 4) {
			fprintf(stderr, "%s:%d: %d fields\n", name, lineno, nf);
			bad++;
			continue;
		}
		rows++;
		verdict_of(cl, f[0], f[1], &v);
		bad += explain_agrees(f[0], f[1], &v);
		if (strcmp(classify_class_name(v.cls), f[2]) != 0 ||
		    strcmp(v.reason == REASON_NONE ? "-" : classify_reason_name(v.reason), f[3]) != 0) {
			fprintf(stderr, "%s:%d: expected %s/%s, got %s/%s (rule %s): %s\n",
			    name, lineno, f[2], f[3], classify_class_name(v.cls),
			    classify_reason_name(v.reason), v.rule, f[1]);
			bad++;
		}
	}
	free(text);
	if (bad > 0)
		fail_msg("%s: %d of %d samples misclassified", name, bad, rows);
	return rows;
}

/* Every sample of shared/reference and log-formats.md §3. */
static void
test_reference_samples(void **state)
{
	(void)state;
	assert_true(check_replies("reference.tsv") >= 130);
}

/* Real replies from public sources (tests/data/replies.tsv). */
static void
test_real_replies(void **state)
{
	(void)state;
	assert_true(check_replies("replies.tsv") >= 1052);
}

/*
 * Walk the table: each rule's example must be decided by that rule.  This
 * proves every rule reachable and never shadowed by an earlier one.
 */
static void
test_table_walk(void **state)
{
	struct classify_rule_info	 info;
	int				 seen[REASON_MAX] = { 0 };
	size_t				 i;
	int				 bad = 0;

	(void)state;
	assert_true(classify_builtin_count() > 100);
	for (i = 0; classify_builtin(i, &info) == 0; i++) {
		struct verdict	 v;

		if (info.example == NULL) {
			/* hint-only rule: the text alone must give its class */
			assert_int_equal(info.reason, REASON_NONE);
			verdict_of(cl, "-", info.pattern, &v);
			if ((int)v.cls != info.cls) {
				fprintf(stderr, "hint rule %s: class %s\n", info.name,
				    classify_class_name(v.cls));
				bad++;
			}
			continue;
		}
		if (strncmp(info.name, "provider.", 9) == 0 &&
		    (info.source == NULL || strncmp(info.source, "http", 4) != 0)) {
			fprintf(stderr, "provider rule %s: no source\n", info.name);
			bad++;
		}
		if (!info.decides) {
			/* a stage or detail rule: its effect must show */
			verdict_of(cl, "-", info.example, &v);
			if (info.reason == REASON_NONE ?
			    v.rule == NULL || strcmp(v.rule, "stage") != 0 :
			    v.reason != info.reason || v.detail != info.detail) {
				fprintf(stderr, "rule %s: no effect (%s/%s rule %s): %s\n",
				    info.name, classify_reason_name(v.reason),
				    classify_detail_name(v.detail) ? classify_detail_name(v.detail) : "-",
				    v.rule ? v.rule : "(none)", info.example);
				bad++;
			}
			continue;
		}
		verdict_of(cl, "-", info.example, &v);
		if (v.rule == NULL || strcmp(v.rule, info.name) != 0) {
			fprintf(stderr, "rule %s: its example is decided by %s: %s\n",
			    info.name, v.rule ? v.rule : "(none)", info.example);
			bad++;
		}
		if (v.reason != info.reason) {
			fprintf(stderr, "rule %s: reason %s, want %s\n", info.name,
			    classify_reason_name(v.reason), classify_reason_name(info.reason));
			bad++;
		}
		if (info.detail != DETAIL_NONE && v.detail != info.detail) {
			fprintf(stderr, "rule %s: detail %s, want %s\n", info.name,
			    classify_detail_name(v.detail) ? classify_detail_name(v.detail) : "-",
			    classify_detail_name(info.detail));
			bad++;
		}
		seen[info.reason] = 1;
	}
	if (bad > 0)
		fail_msg("%d rules unreachable or shadowed", bad);
	seen[REASON_NONE] = 1;
	{
		struct verdict	 v;

		verdict_of(cl, "-", "599 xyzzy plugh", &v);
		assert_int_equal(v.reason, REASON_OTHER);
		seen[REASON_OTHER] = 1;
		verdict_of(cl, "expired", "", &v);
		assert_int_equal(v.reason, REASON_EXPIRED);
	}
	for (i = 0; i < REASON_MAX; i++)
		if (!seen[i])
			fail_msg("reason %s is reachable by no rule",
			    classify_reason_name((enum bw_reason)i));
}

/* The vocabulary is exactly design.md's: 4 classes, 24 reasons. */
static void
test_vocabulary(void **state)
{
	static const char *const reasons[] = {
		"user_unknown", "mailbox_disabled", "mailbox_full", "message_too_large",
		"bad_address", "sender_rejected", "domain_not_found", "host_unreachable",
		"connection_lost", "tls_error", "protocol_error", "relay_denied",
		"blocklisted", "content_rejected", "auth_failed", "policy",
		"rate_limited", "greylisted", "server_unavailable", "routing_loop",
		"local_throttle", "local_error", "expired", "other",
	};
	size_t	 i;

	(void)state;
	assert_int_equal(REASON_MAX - 1, 24);
	for (i = 0; i < 24; i++) {
		int	 r = classify_reason_from_name(reasons[i]);

		assert_true(r > 0);
		assert_string_equal(classify_reason_name((enum bw_reason)r), reasons[i]);
	}
	assert_int_equal(classify_class_from_name("greylist"), CLASS_GREYLIST);
	assert_int_equal(classify_class_from_name("bogus"), -1);
	assert_false(classify_is_failure(CLASS_DELIVERED));
	assert_true(classify_is_failure(CLASS_GREYLIST));
}

/* Precedence: the MTA's verdict and dsn= first, text over codes. */
static void
test_precedence(void **state)
{
	struct verdict	 v;
	struct delivery	 d;
	const char	*s;

	(void)state;
	/* status bounced with a 4xx text is still permanent */
	verdict_of(cl, "bounced", "451 4.3.0 Temporary internal failure", &v);
	assert_int_equal(v.cls, CLASS_PERMANENT);
	/* deferred greylisting is class greylist */
	verdict_of(cl, "deferred", "450 4.2.0 Greylisted for 300 seconds", &v);
	assert_int_equal(v.cls, CLASS_GREYLIST);
	assert_int_equal(v.reason, REASON_GREYLISTED);
	/* text decides 5.7.1 */
	verdict_of(cl, "bounced", "554 5.7.1 <a@b>: Relay access denied", &v);
	assert_int_equal(v.reason, REASON_RELAY_DENIED);
	verdict_of(cl, "bounced", "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org", &v);
	assert_int_equal(v.reason, REASON_BLOCKLISTED);
	verdict_of(cl, "bounced", "554 5.7.1 neutral", &v);
	assert_int_equal(v.reason, REASON_POLICY);
	/* dsn= beats the reply's enhanced code */
	s = "550 5.7.1 neutral";
	parse_reply(s, strlen(s), &d);
	d.status = DSTATUS_BOUNCED;
	d.dsn.p = "5.1.1";
	d.dsn.n = 5;
	classify_delivery(cl, LINE_DELIVERY, &d, &v);
	assert_int_equal(v.reason, REASON_USER_UNKNOWN);
	assert_string_equal(v.rule, "enh:x.1.1");
	/* the seed cases of design.md */
	verdict_of(cl, "-", "451 Resources temporarily not available - Please try again later [#4.16.5]", &v);
	assert_int_equal(v.cls, CLASS_TEMPORARY);
	assert_int_equal(v.reason, REASON_SERVER_UNAVAILABLE);
	verdict_of(cl, "-", "Name service error for baddomain.com Type=A: Host not found", &v);
	assert_int_equal(v.cls, CLASS_PERMANENT);
	verdict_of(cl, "-", "Could not connect to server. Type=A", &v);
	assert_int_equal(v.cls, CLASS_TEMPORARY);
	assert_int_equal(v.reason, REASON_HOST_UNREACHABLE);
	verdict_of(cl, "-", "421 4.4.5 Delivery rule action forced defer.", &v);
	assert_int_equal(v.cls, CLASS_TEMPORARY);
	assert_int_equal(v.reason, REASON_LOCAL_THROTTLE);
	verdict_of(cl, "sent", "250 2.0.0 Ok", &v);
	assert_int_equal(v.cls, CLASS_DELIVERED);
	assert_int_equal(v.reason, REASON_NONE);
}

/* Classify a whole Postfix line (the stage comes from the parser). */
static void
verdict_of_line(const char *line, struct verdict *v)
{
	struct parse_ctx	 ctx = { CORPUS_NOW, NULL, 0 };
	struct delivery		 d;

	assert_int_equal(parse_line(&ctx, line, strlen(line), &d), LINE_DELIVERY);
	classify_delivery(cl, LINE_DELIVERY, &d, v);
}

/*
 * The word before a phrase: a domain name makes "does not exist" about
 * the domain, a number makes "attempts" a count of tries given up on.
 */
static void
test_word_before(void **state)
{
	static const struct {
		const char	*status, *text;
		enum bw_reason	 reason;
		int		 is;	/* 0: any reason but this one */
	} t[] = {
		{ "bounced", "553 mail.example.co.uk does not exist", REASON_DOMAIN_NOT_FOUND, 1 },
		{ "bounced", "550 Mailbox does not exist", REASON_USER_UNKNOWN, 1 },
		/* an address is no domain name, nor a dotted number */
		{ "bounced", "550 a@example.com does not exist", REASON_USER_UNKNOWN, 1 },
		{ "bounced", "550 user 1.2.3 does not exist", REASON_USER_UNKNOWN, 1 },
		{ "bounced", "550 example. does not exist", REASON_USER_UNKNOWN, 1 },
		{ "bounced", "Delivery failed 20 attempts: a@example.com", REASON_EXPIRED, 1 },
		/* attempts counted by a label, or on a deferral, are no expiry */
		{ "bounced", "5.1.0 - Unknown address error 550 Access denied "
		    "(delivery attempts: 0)", REASON_POLICY, 1 },
		{ "deferred", "451 failed 3 attempts, will retry", REASON_EXPIRED, 0 },
	};
	struct verdict	 v;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		verdict_of(cl, t[i].status, t[i].text, &v);
		if ((v.reason == t[i].reason) != t[i].is)
			fail_msg("%s: %s (rule %s)", t[i].text,
			    classify_reason_name(v.reason), v.rule);
	}
}

/* Whole words: a name or a token never decides. */
static void
test_words(void **state)
{
	struct verdict	 v;

	(void)state;
	/* the real Postfix capture: a user name that starts with "spf" */
	verdict_of(cl, "bounced", "unknown user: \"spfsender\"", &v);
	assert_int_equal(v.reason, REASON_USER_UNKNOWN);
	verdict_of(cl, "bounced", "550 5.7.1 rejected: spfsender@example.com", &v);
	assert_int_not_equal(v.reason, REASON_AUTH_FAILED);
	verdict_of(cl, "bounced", "550 5.7.1 message from tokenspf rejected", &v);
	assert_int_not_equal(v.reason, REASON_AUTH_FAILED);
	verdict_of(cl, "bounced", "550 5.7.1 SPF check failed", &v);
	assert_int_equal(v.reason, REASON_AUTH_FAILED);
	assert_int_equal(v.detail, DETAIL_SPF);
	/* a stem: "throttl*" matches the words it starts */
	verdict_of(cl, "deferred", "421 4.7.0 Throttling in effect", &v);
	assert_int_equal(v.reason, REASON_RATE_LIMITED);
	/* but not inside a word: "unspammed" is no "spam" */
	verdict_of(cl, "bounced", "550 unspammed", &v);
	assert_int_not_equal(v.reason, REASON_CONTENT_REJECTED);
	/* runs of blanks are one */
	verdict_of(cl, "bounced", "550 User   unknown", &v);
	assert_int_equal(v.reason, REASON_USER_UNKNOWN);
}

/* Evidence weighed: phrase > specific code > vague phrase > generic code. */
static void
test_evidence(void **state)
{
	struct verdict	 v;

	(void)state;
	/* a clear phrase beats a generic code */
	verdict_of(cl, "bounced", "550 5.7.1 Mailbox full", &v);
	assert_int_equal(v.reason, REASON_MAILBOX_FULL);
	verdict_of(cl, "bounced", "554 5.0.0 Relay access denied", &v);
	assert_int_equal(v.reason, REASON_RELAY_DENIED);
	/* a specific code beats a vague phrase */
	verdict_of(cl, "bounced", "552 5.2.2 Message is too large for this mailbox", &v);
	assert_int_equal(v.reason, REASON_MAILBOX_FULL);
	verdict_of(cl, "bounced", "552 5.3.4 Message is too large", &v);
	assert_int_equal(v.reason, REASON_MESSAGE_TOO_LARGE);
	/* a clear phrase beats a specific code that contradicts it */
	verdict_of(cl, "bounced", "550 5.1.1 Not enough disk space", &v);
	assert_int_equal(v.reason, REASON_MAILBOX_FULL);
	/* a vague phrase beats a generic code */
	verdict_of(cl, "bounced", "554 5.7.1 Access denied", &v);
	assert_int_equal(v.reason, REASON_POLICY);
	verdict_of(cl, "bounced", "550 5.7.1 Message rejected as spam", &v);
	assert_int_equal(v.reason, REASON_CONTENT_REJECTED);
	/* a clue word beats a generic code and a bare reply code */
	verdict_of(cl, "bounced", "552 message is too long.", &v);
	assert_int_equal(v.reason, REASON_MESSAGE_TOO_LARGE);
	verdict_of(cl, "bounced", "553 host denies relay.", &v);
	assert_int_equal(v.reason, REASON_RELAY_DENIED);
	verdict_of(cl, "bounced", "550 5.7.60 Client does not have permissions to send as this sender", &v);
	assert_int_equal(v.reason, REASON_SENDER_REJECTED);
	verdict_of(cl, "bounced", "552 neutral text", &v);
	assert_int_equal(v.reason, REASON_MAILBOX_FULL);
	/* but loses to any phrase, and to a specific code */
	verdict_of(cl, "bounced", "553 relay check: mailbox full", &v);
	assert_int_equal(v.reason, REASON_MAILBOX_FULL);
	verdict_of(cl, "bounced", "550 5.1.1 sender unknown to relay", &v);
	assert_int_equal(v.reason, REASON_USER_UNKNOWN);
	/* a clue inside Postfix's "(in reply to HELO command)" says nothing:
	 * a refusal at HELO with no words is about our host */
	verdict_of_line("Nov 23 03:06:51 mail postfix/smtp[1]: ABC: to=<u@example.org>, "
	    "relay=mx.example.org[192.0.2.1]:25, delay=1, delays=0/0/1/0, dsn=5.0.0, "
	    "status=bounced (host mx.example.org[192.0.2.1] said: 550 Transaction "
	    "failed (in reply to HELO command))", &v);
	assert_int_equal(v.reason, REASON_POLICY);
	/* words that narrow a specific code's reason beat it; others do not */
	verdict_of(cl, "bounced", "550 5.1.1 Suspended user", &v);
	assert_int_equal(v.reason, REASON_MAILBOX_DISABLED);
	verdict_of(cl, "bounced", "550 5.1.1 Inactive mbox", &v);
	assert_int_equal(v.reason, REASON_MAILBOX_DISABLED);
	verdict_of(cl, "bounced", "550 5.1.1 Blocked", &v);
	assert_int_equal(v.reason, REASON_USER_UNKNOWN);
}

/* The SMTP stage: MAIL FROM is about our sender, the greeting our host. */
static void
test_stage(void **state)
{
	struct verdict	 v;

	(void)state;
	/* the real Postfix capture: a greeting refusal, not a mailbox */
	verdict_of_line("Nov 23 03:06:51 mail postfix/smtp[1]: ABC: to=<u@example.org>, "
	    "relay=mx.example.org[192.0.2.1]:25, delay=1, delays=0/0/1/0, dsn=5.7.1, "
	    "status=bounced (host mx.example.org[192.0.2.1] refused to talk to me: "
	    "554 5.7.1 mx.example.org ESMTP not accepting messages)", &v);
	assert_int_equal(v.reason, REASON_POLICY);
	/* the same words after RCPT TO are about the mailbox (vague: code decides) */
	verdict_of_line("Nov 23 03:06:51 mail postfix/smtp[1]: ABC: to=<u@example.org>, "
	    "relay=mx.example.org[192.0.2.1]:25, delay=1, delays=0/0/1/0, dsn=5.2.1, "
	    "status=bounced (host mx.example.org[192.0.2.1] said: "
	    "550 5.2.1 not accepting messages (in reply to RCPT TO command))", &v);
	assert_int_equal(v.reason, REASON_MAILBOX_DISABLED);
	/* a refusal of MAIL FROM: our sender */
	verdict_of_line("Nov 23 03:06:51 mail postfix/smtp[1]: ABC: to=<u@example.org>, "
	    "relay=mx.example.org[192.0.2.1]:25, delay=1, delays=0/0/1/0, dsn=5.1.1, "
	    "status=bounced (host mx.example.org[192.0.2.1] said: "
	    "550 5.1.1 <bounce@example.com>: User unknown (in reply to MAIL FROM command))", &v);
	assert_int_equal(v.reason, REASON_SENDER_REJECTED);
	/* Exim says it in words */
	verdict_of(cl, "bounced", "SMTP error from remote mail server after MAIL "
	    "FROM:<a@example.com> SIZE=1022: 553 5.1.0 a example.com does not exist", &v);
	assert_int_equal(v.reason, REASON_SENDER_REJECTED);
	verdict_of(cl, "bounced", "SMTP error from remote mail server after pipelined "
	    "MAIL FROM:<a@example.com> SIZE=1022: 550 5.7.1 Access denied", &v);
	assert_int_equal(v.reason, REASON_SENDER_REJECTED);
	/* a clear phrase about something else stays: a block list after MAIL FROM */
	verdict_of(cl, "bounced", "SMTP error from remote mail server after MAIL "
	    "FROM:<a@example.com>: 554 5.7.1 blocked using bl.example.net", &v);
	assert_int_equal(v.reason, REASON_BLOCKLISTED);
}

/* The detail beside the reason. */
static void
test_detail(void **state)
{
	struct verdict	 v;

	(void)state;
	verdict_of(cl, "bounced", "554 5.7.1 Service unavailable; Client host "
	    "[192.0.2.1] blocked using bl.example.net; see http://bl.example.net/", &v);
	assert_int_equal(v.reason, REASON_BLOCKLISTED);
	assert_int_equal(v.detail, DETAIL_DNSBL);
	assert_string_equal(v.detail_name, "bl.example.net");
	verdict_of(cl, "bounced", "554 5.7.1 Service unavailable; Client host "
	    "[192.0.2.1] blocked using zen.spamhaus.org", &v);
	assert_int_equal(v.detail, DETAIL_DNSBL);
	assert_string_equal(v.detail_name, "spamhaus");
	verdict_of(cl, "bounced", "550 5.7.606 Access denied, banned sending IP "
	    "[192.0.2.1]. To request removal from this list please visit "
	    "https://sender.office.com/", &v);
	assert_int_equal(v.reason, REASON_BLOCKLISTED);
	assert_int_equal(v.detail, DETAIL_REPUTATION);
	verdict_of(cl, "bounced", "550 5.7.705 neutral", &v);
	assert_int_equal(v.detail, DETAIL_TENANT_BAN);
	verdict_of(cl, "bounced", "550 5.7.26 Unauthenticated email is not "
	    "accepted due to domain's DMARC policy", &v);
	assert_int_equal(v.reason, REASON_AUTH_FAILED);
	assert_int_equal(v.detail, DETAIL_DMARC);
	verdict_of(cl, "deferred", "452 4.5.3 Too many recipients this hour", &v);
	assert_int_equal(v.reason, REASON_RATE_LIMITED);
	assert_int_equal(v.detail, DETAIL_PER_HOUR);
	verdict_of(cl, "bounced", "554 5.7.1 Virus found in message", &v);
	assert_int_equal(v.detail, DETAIL_VIRUS);
	verdict_of(cl, "bounced", "550 5.1.1 User unknown", &v);
	assert_int_equal(v.detail, DETAIL_NONE);
	assert_string_equal(v.detail_name, "");
	assert_string_equal(classify_detail_name(DETAIL_PER_DAY), "per_day");
	assert_null(classify_detail_name(DETAIL_NONE));
}

static void
test_operator_rules(void **state)
{
	static const char	 rules[] =
	    "# our own additions\n"
	    "blocklisted \"Mailbox unavailable\"\n"
	    "rate_limited temporary /too +many +recipients? +this +hour/\n"
	    "\n"
	    "greylisted \"please come back\"  # trailing comment\n";
	static const char	 bad[] =
	    "nonsense \"x\"\n"
	    "policy sometimes \"x\"\n"
	    "policy /unterminated\n"
	    "policy /a(/\n"
	    "policy \"\"\n"
	    "policy \"x\" trailing\n"
	    "policy /((ab){1000}){1000}/\n";
	static const char	 pcre[] =
	    "rate_limited /too many (?:connections|messages) from \\d+\\.\\d+/\n"
	    "blocklisted /(a|aa)+z|!/\n";
	struct classifier	*c = classify_new();
	char			*err = NULL;
	struct verdict		 v;

	(void)state;
	assert_int_equal(classify_load_rules_text(c, "ops.rules", rules,
	    sizeof(rules) - 1, &err), 0);
	assert_null(err);
	/* operator rules come before the built-in table */
	verdict_of(c, "bounced", "550 Requested action not taken: mailbox unavailable", &v);
	assert_int_equal(v.reason, REASON_BLOCKLISTED);
	assert_string_equal(v.rule, "rules:ops.rules:2");
	verdict_of(c, "bounced", "550 5.5.3 Too   many recipients this hour", &v);
	assert_int_equal(v.reason, REASON_RATE_LIMITED);
	assert_int_equal(v.cls, CLASS_TEMPORARY);
	verdict_of(c, "deferred", "451 Please come back in ten minutes", &v);
	assert_int_equal(v.cls, CLASS_GREYLIST);
	assert_string_equal(v.rule, "rules:ops.rules:5");

	/* every error is reported with file:line; nothing changes on error */
	assert_int_equal(classify_load_rules_text(c, "bad.rules", bad,
	    sizeof(bad) - 1, &err), -1);
	assert_int_equal(count_lines(err), 7);
	assert_non_null(strstr(err, "bad.rules:1: unknown reason \"nonsense\""));
	assert_non_null(strstr(err, "bad.rules:2: unknown class \"sometimes\""));
	assert_non_null(strstr(err, "bad.rules:3: unterminated pattern"));
	assert_non_null(strstr(err, "bad.rules:4: bad regular expression"));
	assert_non_null(strstr(err, "bad.rules:5: empty pattern"));
	assert_non_null(strstr(err, "bad.rules:6: unexpected text"));
	assert_non_null(strstr(err, "bad.rules:7: bad regular expression: "
	    "regular expression is too large"));
	free(err);
	err = NULL;
	verdict_of(c, "bounced", "550 Requested action not taken: mailbox unavailable", &v);
	assert_int_equal(v.reason, REASON_BLOCKLISTED);

	/*
	 * PCRE2 patterns; a match that needs more work than the limits allow
	 * does not match: 24 "a" take (a|aa)+z some 10^5 steps before "!"
	 * matches, 2 "a" a handful.
	 */
	assert_int_equal(classify_load_rules_text(c, "pcre.rules", pcre,
	    sizeof(pcre) - 1, &err), 0);
	verdict_of(c, "deferred", "421 Too many connections from 192.0.2.1", &v);
	assert_int_equal(v.reason, REASON_RATE_LIMITED);
	assert_string_equal(v.rule, "rules:pcre.rules:1");
	verdict_of(c, "bounced", "550 aa!", &v);
	assert_int_equal(v.reason, REASON_BLOCKLISTED);
	verdict_of(c, "bounced", "550 aaaaaaaaaaaaaaaaaaaaaaaa!", &v);
	assert_int_not_equal(v.reason, REASON_BLOCKLISTED);
	assert_string_not_equal(v.rule, "rules:pcre.rules:2");

	assert_int_equal(classify_load_rules(c, "/nonexistent/rules", &err), -1);
	assert_non_null(strstr(err, "/nonexistent/rules"));
	assert_int_equal(count_lines(err), 1);
	free(err);
	classify_free(c);
}

/*
 * A rules file decides what the reports say: one anyone may write is
 * refused as a configuration file would be, with a message naming it.
 */
static void
test_rules_file_safe(void **state)
{
	char			 path[] = "/tmp/bw-rules-XXXXXX", *err = NULL;
	static const char	 rule[] = "blocklisted \"mailbox unavailable\"\n";
	struct classifier	*c = classify_new();
	struct verdict		 v;
	int			 fd;

	(void)state;
	assert_true((fd = mkstemp(path)) != -1);
	assert_int_equal(write(fd, rule, sizeof(rule) - 1), (int)sizeof(rule) - 1);
	close(fd);
	assert_int_equal(chmod(path, 0666), 0);
	assert_int_equal(classify_load_rules(c, path, &err), -1);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "writable by anyone"));
	free(err);
	err = NULL;
	verdict_of(c, "bounced", "550 mailbox unavailable", &v);
	assert_int_not_equal(v.reason, REASON_BLOCKLISTED);
	assert_int_equal(chmod(path, 0620), 0);
	assert_int_equal(classify_load_rules(c, path, &err), -1);
	assert_non_null(strstr(err, "writable by its group"));
	free(err);
	err = NULL;
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(classify_load_rules(c, path, &err), 0);
	assert_null(err);
	verdict_of(c, "bounced", "550 mailbox unavailable", &v);
	assert_int_equal(v.reason, REASON_BLOCKLISTED);
	unlink(path);
	classify_free(c);
}

/*
 * A rules file with three bad lines among good ones: -1 and one cause
 * holding the three errors, one "file:line: message" line each, in order;
 * then a thousand bad lines: every one is there, none cut off.
 */
static void
test_rules_cause(void **state)
{
	char			 path[] = "/tmp/bw-rules-XXXXXX", *err = NULL, *p;
	char			 want[256];
	static const char	 three[] =
	    "# three bad lines\n"
	    "blocklisted \"mailbox unavailable\"\n"
	    "nonsense \"x\"\n"
	    "policy sometimes \"y\"\n"
	    "rate_limited \"too many\"\n"
	    "policy /(/\n";
	struct classifier	*c = classify_new();
	struct verdict		 v;
	FILE			*f;
	int			 fd, i;

	(void)state;
	assert_true((fd = mkstemp(path)) != -1);
	assert_int_equal(write(fd, three, sizeof(three) - 1), (int)sizeof(three) - 1);
	close(fd);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(classify_load_rules(c, path, &err), -1);
	assert_non_null(err);
	assert_int_equal(count_lines(err), 3);
	p = err;
	snprintf(want, sizeof(want), "%s:3: unknown reason \"nonsense\"\n", path);
	assert_memory_equal(p, want, strlen(want));
	p += strlen(want);
	snprintf(want, sizeof(want), "%s:4: unknown class \"sometimes\"", path);
	assert_memory_equal(p, want, strlen(want));
	p = strchr(p, '\n') + 1;
	snprintf(want, sizeof(want), "%s:6: bad regular expression: ", path);
	assert_memory_equal(p, want, strlen(want));
	free(err);
	err = NULL;
	/* nothing of the file was taken */
	verdict_of(c, "bounced", "550 mailbox unavailable", &v);
	assert_int_not_equal(v.reason, REASON_BLOCKLISTED);

	assert_non_null(f = fopen(path, "w"));
	for (i = 1; i <= 1000; i++)
		fprintf(f, "nonsense-%04d \"%0200d\"\n", i, i);
	fclose(f);
	assert_int_equal(classify_load_rules(c, path, &err), -1);
	assert_int_equal(count_lines(err), 1000);
	snprintf(want, sizeof(want), "%s:1000: unknown reason \"nonsense-1000\"\n",
	    path);
	assert_true(strlen(err) > strlen(want));
	assert_string_equal(err + strlen(err) - strlen(want), want);
	free(err);
	unlink(path);
	classify_free(c);
}

/* The sample rules file loads as shipped, and with its examples uncommented. */
static void
test_sample_rules(void **state)
{
	const char	*top = getenv("top_srcdir");
	char		 path[4096], *err = NULL, *text, *p, *q;
	size_t		 len;
	struct classifier	*c = classify_new();
	struct verdict	 v;

	(void)state;
	snprintf(path, sizeof(path), "%s/etc/bouncewatch.rules", top ? top : ".");
	assert_int_equal(classify_load_rules(c, path, &err), 0);
	text = corpus_slurp(path, &len);
	assert_non_null(text);
	/* "#reason ..." lines are the examples: drop their '#' */
	for (p = q = text; *p != '\0'; p++) {
		if (*p == '#' && (p == text || p[-1] == '\n') &&
		    p[1] >= 'a' && p[1] <= 'z')
			continue;
		*q++ = *p;
	}
	*q = '\0';
	assert_int_equal(classify_load_rules_text(c, "sample", text, strlen(text),
	    &err), 0);
	assert_null(err);
	verdict_of(c, "deferred", "452 4.5.3 Too many recipients this hour", &v);
	assert_int_equal(v.reason, REASON_RATE_LIMITED);
	assert_string_equal(v.rule, "rules:sample:32");
	free(text);
	classify_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vocabulary),
		cmocka_unit_test(test_table_walk),
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_reference_samples),
		cmocka_unit_test(test_real_replies),
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_word_before),
		cmocka_unit_test(test_evidence),
		cmocka_unit_test(test_stage),
		cmocka_unit_test(test_detail),
		cmocka_unit_test(test_operator_rules),
		cmocka_unit_test(test_rules_cause),
		cmocka_unit_test(test_sample_rules),
		cmocka_unit_test(test_rules_file_safe),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
