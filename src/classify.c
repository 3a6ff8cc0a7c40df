/*
 * classify.c -- class and reason of a delivery outcome.  See classify.h.
 *
 * Precedence (design.md §4, bouncewatch(1) CLASSIFICATION):
 *  1. the MTA's verdict: sent is delivered, bounced/expired permanent,
 *     deferred temporary; with no verdict, the reply code, then the dsn,
 *     then what the text says about retrying ("hint" rules);
 *  2. operator rules, on the whole reason text;
 *  3. the evidence, strongest first: a provider's own code or a clear
 *     phrase (the first such rule in table order), then a specific
 *     enhanced status code (dsn= first), then a vague phrase, then a
 *     generic enhanced code (X.0.0 says nothing; X.7.1, X.5.0 ... little),
 *     then the basic reply code; "other" when nothing speaks;
 *  4. the SMTP stage corrects what cannot be: a refusal of MAIL FROM is
 *     about our sender, one at the greeting or HELO about our host.
 *
 * All built-in text rules are compiled into one Aho-Corasick automaton
 * over case-folded bytes, so a text is scanned once whatever the number of
 * rules.  A rule matches whole words: where a pattern begins or ends with
 * a letter or digit, the text must not continue the word there (a pattern
 * ending in '*' is a stem and may), so "spf" never matches "spfsender".
 */
#include "config.h"

#define PCRE2_CODE_UNIT_WIDTH 8

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <pcre2.h>

#include "classify.h"
#include "conf.h"
#include "log.h"
#include "util.h"

enum rule_kind {
	RULE_TEXT,
	RULE_ENH,
	RULE_CODE,
};

/* How much a rule's evidence weighs, strongest first (see the top). */
enum rule_weight {
	EV_STRONG,		/* a provider's code, a clear phrase */
	EV_SPECIFIC,		/* an enhanced code that names the cause */
	EV_VAGUE,		/* a phrase that fits several causes */
	EV_GENERIC,		/* X.7.1, X.5.0, ...: refused, little more */
	EV_CODE,		/* the basic reply code */
	EV_STAGE,		/* names the SMTP stage, decides nothing */
	EV_DETAIL,		/* names a detail of its reason, decides nothing */
	EV_HINT,		/* only a class hint */
};

/* SMTP stages that change what a refusal can mean. */
enum rule_stage {
	STG_NONE,
	STG_GREETING,		/* the banner, HELO/EHLO: about our host */
	STG_MAIL,		/* MAIL FROM: about our sender */
	STG_RCPT,
	STG_DATA,
};

struct rule {
	const char	*name;
	enum rule_kind	 kind;
	const char	*pattern;
	enum bw_reason	 reason;
	int		 when;
	int		 hint;
	enum rule_weight weight;
	enum rule_stage	 stage;		/* EV_STAGE rules */
	enum bw_detail	 detail;
	const char	*source;	/* provider rules: the documentation */
	const char	*example;
};

#include "classify_table.h"

#define NRULES	(sizeof(classify_rules) / sizeof(classify_rules[0]))

static const char *const classify_class_names[CLASS_MAX] = {
	[CLASS_DELIVERED] = "delivered",
	[CLASS_PERMANENT] = "permanent",
	[CLASS_TEMPORARY] = "temporary",
	[CLASS_GREYLIST] = "greylist",
};

static const char *const classify_detail_names[DETAIL_MAX] = {
	[DETAIL_NONE] = NULL,
	[DETAIL_SPF] = "spf",
	[DETAIL_DKIM] = "dkim",
	[DETAIL_DMARC] = "dmarc",
	[DETAIL_PTR] = "ptr",
	[DETAIL_DNSBL] = "dnsbl",
	[DETAIL_REPUTATION] = "reputation",
	[DETAIL_TENANT_BAN] = "tenant_ban",
	[DETAIL_MTA_STS] = "mta_sts",
	[DETAIL_DANE] = "dane",
	[DETAIL_VIRUS] = "virus",
	[DETAIL_ATTACHMENT] = "attachment",
	[DETAIL_PER_HOUR] = "per_hour",
	[DETAIL_PER_DAY] = "per_day",
	[DETAIL_QUOTA] = "quota",
};

static const char *const classify_reason_names[REASON_MAX] = {
	[REASON_NONE] = "none",
	[REASON_USER_UNKNOWN] = "user_unknown",
	[REASON_MAILBOX_DISABLED] = "mailbox_disabled",
	[REASON_MAILBOX_FULL] = "mailbox_full",
	[REASON_MESSAGE_TOO_LARGE] = "message_too_large",
	[REASON_BAD_ADDRESS] = "bad_address",
	[REASON_SENDER_REJECTED] = "sender_rejected",
	[REASON_DOMAIN_NOT_FOUND] = "domain_not_found",
	[REASON_HOST_UNREACHABLE] = "host_unreachable",
	[REASON_CONNECTION_LOST] = "connection_lost",
	[REASON_TLS_ERROR] = "tls_error",
	[REASON_PROTOCOL_ERROR] = "protocol_error",
	[REASON_RELAY_DENIED] = "relay_denied",
	[REASON_BLOCKLISTED] = "blocklisted",
	[REASON_CONTENT_REJECTED] = "content_rejected",
	[REASON_AUTH_FAILED] = "auth_failed",
	[REASON_POLICY] = "policy",
	[REASON_RATE_LIMITED] = "rate_limited",
	[REASON_GREYLISTED] = "greylisted",
	[REASON_SERVER_UNAVAILABLE] = "server_unavailable",
	[REASON_ROUTING_LOOP] = "routing_loop",
	[REASON_LOCAL_THROTTLE] = "local_throttle",
	[REASON_LOCAL_ERROR] = "local_error",
	[REASON_EXPIRED] = "expired",
	[REASON_OTHER] = "other",
};

/* ---- operator rules ---- */

struct oprule {
	char		*name;		/* "FILE:LINE" */
	int		 is_regex;
	char		*needle;	/* lower-case substring */
	size_t		 needle_len;
	pcre2_code	*re;
	enum bw_reason	 reason;
	int		 cls;		/* -1: from status/code */
};

/* ---- the automaton ---- */

struct ac_state {
	uint32_t	 fail;
	uint32_t	 out;		/* index into outs, or UINT32_MAX */
	uint16_t	 nout;
};

/* Word edges a text rule needs, and its length in the text. */
#define AC_START	0x01	/* the byte before the match is not a word byte */
#define AC_END		0x02	/* the byte after the match is not a word byte */

/* The longest text pattern: the scan remembers this many bytes back. */
#define AC_RING		256

/* An ENH rule's pattern, read once: class (0: any), subject, detail range. */
struct enh_pat {
	int		 rule;
	int		 cls, subj, lo, hi;
};

struct classifier {
	struct enh_pat	*enh;		/* the ENH rules, in table order */
	size_t		 nenh;
	uint8_t		 sym[256];	/* byte -> symbol (0: not in any pattern) */
	uint8_t		*edge;		/* per rule: AC_START | AC_END */
	uint16_t	*len;		/* per rule: bytes matched */
	unsigned	 nsym;
	uint32_t	*delta;		/* nstates * nsym */
	struct ac_state	*states;
	size_t		 nstates;
	uint16_t	*outs;		/* rule indices, ascending per state */
	size_t		 nouts;
	struct oprule	*ops;
	size_t		 nops;
	pcre2_match_data	*md;	/* for every operator regex */
	pcre2_match_context	*mctx;	/* their limits */
};

static int
classify_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Bytes that continue a word: a pattern's edge must not cut one. */
static int
classify_wordch(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_';
}

/* Length of a text pattern without its stem mark, a final '*'. */
static size_t
classify_pattern_len(const char *p)
{
	size_t	 n = strlen(p);

	return n > 0 && p[n - 1] == '*' ? n - 1 : n;
}

static int
classify_cmp_u16(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/*
 * Read an ENH pattern: "x.S.D", "x.S.D-E" (a range), "x.S.*", or with the
 * class digit instead of x ("4.4.1").
 */
static void
classify_enh_compile(const char *pat, struct enh_pat *e)
{
	int	 n;
	char	 star = 0;

	e->cls = pat[0] == 'x' ? 0 : pat[0] - '0';
	e->lo = 0;
	e->hi = 9999;
	if ((n = sscanf(pat + 2, "%d.%d-%d", &e->subj, &e->lo, &e->hi)) == 2)
		e->hi = e->lo;
	else if (n != 3 &&
	    (sscanf(pat + 2, "%d.%c", &e->subj, &star) != 2 || star != '*'))
		fatalx("classify: bad enhanced code pattern %s", pat);
}

/*
 * Build the Aho-Corasick DFA of every TEXT rule.  The trie is grown in
 * "delta" directly (0 = no edge yet, root is state 0), then completed
 * breadth-first with the failure function.
 */
static void
classify_build(struct classifier *cl)
{
	size_t		 i, cap = 1, q, head, tail;
	uint32_t	*queue;
	uint16_t	**lists;
	size_t		*nlist;
	unsigned	 s;

	cl->enh = xcalloc(NRULES, sizeof(*cl->enh));
	for (i = 0; i < NRULES; i++)
		if (classify_rules[i].kind == RULE_ENH) {
			cl->enh[cl->nenh].rule = (int)i;
			classify_enh_compile(classify_rules[i].pattern,
			    &cl->enh[cl->nenh++]);
		}

	memset(cl->sym, 0, sizeof(cl->sym));
	cl->nsym = 1;
	cl->edge = xcalloc(NRULES, sizeof(*cl->edge));
	cl->len = xcalloc(NRULES, sizeof(*cl->len));
	for (i = 0; i < NRULES; i++) {
		const char	*p = classify_rules[i].pattern;
		size_t		 n;

		if (classify_rules[i].kind != RULE_TEXT)
			continue;
		n = classify_pattern_len(p);
		if (n == 0 || n >= AC_RING)
			fatalx("classify: rule %s: pattern length %zu",
			    classify_rules[i].name, n);
		cl->len[i] = (uint16_t)n;
		if (classify_wordch((unsigned char)p[0]))
			cl->edge[i] |= AC_START;
		if (p[n] != '*' && classify_wordch((unsigned char)p[n - 1]))
			cl->edge[i] |= AC_END;
		for (; n > 0; p++, n--) {
			unsigned char	 c = (unsigned char)*p;

			cap++;
			if (cl->sym[c] == 0) {
				if (cl->nsym == 256)
					fatalx("classify: too many distinct bytes in rules");
				cl->sym[c] = (uint8_t)cl->nsym++;
				if (c >= 'a' && c <= 'z')
					cl->sym[c - 32] = cl->sym[c];
			}
		}
	}
	/* white space is one blank (runs are folded by the scan) */
	cl->sym['\t'] = cl->sym['\r'] = cl->sym['\n'] = cl->sym[' '];
	cl->delta = xcalloc(cap * cl->nsym, sizeof(*cl->delta));
	cl->states = xcalloc(cap, sizeof(*cl->states));
	lists = xcalloc(cap, sizeof(*lists));
	nlist = xcalloc(cap, sizeof(*nlist));
	cl->nstates = 1;

	for (i = 0; i < NRULES; i++) {
		const char	*p;
		size_t		 n;
		uint32_t	 st = 0;

		if (classify_rules[i].kind != RULE_TEXT)
			continue;
		for (p = classify_rules[i].pattern, n = cl->len[i]; n > 0; p++, n--) {
			unsigned	 y = cl->sym[(unsigned char)*p];
			uint32_t	*e = &cl->delta[st * cl->nsym + y];

			if (*e == 0)
				*e = (uint32_t)cl->nstates++;
			st = *e;
		}
		lists[st] = xrealloc(lists[st], (nlist[st] + 1) * sizeof(uint16_t));
		lists[st][nlist[st]++] = (uint16_t)i;
	}

	/* breadth-first: failure links, complete transitions, merged outputs */
	queue = xcalloc(cl->nstates, sizeof(*queue));
	head = tail = 0;
	for (s = 0; s < cl->nsym; s++) {
		uint32_t	 t = cl->delta[s];

		if (t != 0) {
			cl->states[t].fail = 0;
			queue[tail++] = t;
		}
	}
	while (head < tail) {
		uint32_t	 r = queue[head++];
		uint32_t	 f = cl->states[r].fail;

		if (nlist[f] > 0) {
			lists[r] = xrealloc(lists[r],
			    (nlist[r] + nlist[f]) * sizeof(uint16_t));
			memcpy(lists[r] + nlist[r], lists[f], nlist[f] * sizeof(uint16_t));
			nlist[r] += nlist[f];
		}
		for (s = 0; s < cl->nsym; s++) {
			uint32_t	*e = &cl->delta[r * cl->nsym + s];

			if (*e != 0) {
				cl->states[*e].fail = cl->delta[f * cl->nsym + s];
				queue[tail++] = *e;
			} else
				*e = cl->delta[f * cl->nsym + s];
		}
	}
	free(queue);

	cl->nouts = 0;
	for (q = 0; q < cl->nstates; q++)
		cl->nouts += nlist[q];
	cl->outs = xcalloc(cl->nouts, sizeof(*cl->outs));
	cl->nouts = 0;
	for (q = 0; q < cl->nstates; q++) {
		cl->states[q].out = UINT32_MAX;
		cl->states[q].nout = (uint16_t)nlist[q];
		if (nlist[q] > 0) {
			qsort(lists[q], nlist[q], sizeof(uint16_t), classify_cmp_u16);
			cl->states[q].out = (uint32_t)cl->nouts;
			memcpy(cl->outs + cl->nouts, lists[q], nlist[q] * sizeof(uint16_t));
			cl->nouts += nlist[q];
		}
		free(lists[q]);
	}
	free(lists);
	free(nlist);
}

struct classifier *
classify_new(void)
{
	struct classifier	*cl = xcalloc(1, sizeof(*cl));

	classify_build(cl);
	return cl;
}

static void
classify_free_ops(struct oprule *ops, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		free(ops[i].name);
		if (ops[i].is_regex)
			pcre2_code_free(ops[i].re);
		else
			free(ops[i].needle);
	}
	free(ops);
}

void
classify_free(struct classifier *cl)
{
	if (cl == NULL)
		return;
	free(cl->delta);
	free(cl->enh);
	free(cl->edge);
	free(cl->len);
	free(cl->states);
	free(cl->outs);
	classify_free_ops(cl->ops, cl->nops);
	pcre2_match_data_free(cl->md);
	pcre2_match_context_free(cl->mctx);
	free(cl);
}

/* ---- names ---- */

const char *
classify_class_name(enum bw_class c)
{
	return (unsigned)c < CLASS_MAX ? classify_class_names[c] : "unknown";
}

const char *
classify_detail_name(enum bw_detail d)
{
	return (unsigned)d < DETAIL_MAX ? classify_detail_names[d] : NULL;
}

const char *
classify_detail_text(const struct verdict *v, char *buf, size_t len)
{
	const char	*name = classify_detail_name(v->detail);

	if (name == NULL)
		return NULL;
	if (v->detail_name[0] != '\0')
		snprintf(buf, len, "%s:%s", name, v->detail_name);
	else
		strlcpy(buf, name, len);
	return buf;
}

const char *
classify_reason_name(enum bw_reason r)
{
	return (unsigned)r < REASON_MAX ? classify_reason_names[r] : "other";
}

int
classify_class_from_name(const char *s)
{
	int	 i;

	for (i = 0; i < CLASS_MAX; i++)
		if (strcmp(classify_class_names[i], s) == 0)
			return i;
	return -1;
}

int
classify_reason_from_name(const char *s)
{
	int	 i;

	for (i = 0; i < REASON_MAX; i++)
		if (strcmp(classify_reason_names[i], s) == 0)
			return i;
	return -1;
}

int
classify_is_failure(enum bw_class c)
{
	return c == CLASS_PERMANENT || c == CLASS_TEMPORARY || c == CLASS_GREYLIST;
}

/* ---- operator rules file ---- */

static void classify_err(char *, size_t, size_t *, int *, const char *, int,
    const char *, ...) __attribute__((format(printf, 7, 8)));

static void
classify_err(char *errbuf, size_t errlen, size_t *used, int *nerr,
    const char *name, int line, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	(*nerr)++;
	if (errbuf == NULL || *used + 1 >= errlen)
		return;
	n = snprintf(errbuf + *used, errlen - *used, "%s:%d: ", name, line);
	if (n > 0)
		*used += (size_t)n;
	if (*used + 1 < errlen) {
		va_start(ap, fmt);
		n = vsnprintf(errbuf + *used, errlen - *used, fmt, ap);
		va_end(ap);
		if (n > 0)
			*used += (size_t)n;
	}
	if (*used + 1 < errlen) {
		errbuf[(*used)++] = '\n';
		errbuf[*used] = '\0';
	}
	if (*used >= errlen)
		*used = errlen - 1;
}

/*
 * Operator regular expressions are PCRE2's (pcre2pattern(3)), the dialect
 * of Postfix's pcre: tables.  A backtracking matcher can take time
 * exponential in the text on some patterns ("(a|aa)+$"), and glibc's
 * regcomp(), which builds an automaton, can take exponential time or
 * memory to build it ("^(1*|2*){1,255}" takes gigabytes): neither is
 * acceptable in a daemon that runs every rule on every failure line, on
 * text a remote server chose.  PCRE2 bounds both: a compiled pattern is
 * at most 64K code units (Debian's build) and the limits below stop
 * one match at about a millisecond of work and 1 MB of memory; a rule that
 * reaches a limit on a text does not match it.  Case is ignored for ASCII
 * letters only and bytes are bytes (no UTF mode): log text need not be
 * valid UTF-8.
 */
#define CLASSIFY_RE_NEST	32		/* parentheses */
#define CLASSIFY_RE_MATCH	100000		/* pcre2_set_match_limit */
#define CLASSIFY_RE_DEPTH	1000		/* pcre2_set_depth_limit */
#define CLASSIFY_RE_HEAP	1024		/* KiB, pcre2_set_heap_limit */

static pcre2_code *
classify_compile(struct classifier *cl, const char *pattern, char *msg,
    size_t msglen)
{
	pcre2_compile_context	*cc;
	pcre2_code		*re;
	PCRE2_SIZE		 off;
	int			 e;

	if (cl->md == NULL) {
		if ((cl->md = pcre2_match_data_create(1, NULL)) == NULL ||
		    (cl->mctx = pcre2_match_context_create(NULL)) == NULL)
			fatalx("pcre2: out of memory");
		pcre2_set_match_limit(cl->mctx, CLASSIFY_RE_MATCH);
		pcre2_set_depth_limit(cl->mctx, CLASSIFY_RE_DEPTH);
		pcre2_set_heap_limit(cl->mctx, CLASSIFY_RE_HEAP);
	}
	if ((cc = pcre2_compile_context_create(NULL)) == NULL)
		fatalx("pcre2: out of memory");
	pcre2_set_parens_nest_limit(cc, CLASSIFY_RE_NEST);
	re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
	    PCRE2_CASELESS, &e, &off, cc);
	pcre2_compile_context_free(cc);
	if (re == NULL) {
		PCRE2_UCHAR	 text[200];

		if (pcre2_get_error_message(e, text, sizeof(text)) < 0)
			snprintf((char *)text, sizeof(text), "error %d", e);
		snprintf(msg, msglen, "%s at offset %zu", (char *)text,
		    (size_t)off);
	}
	return re;
}

/*
 * One rule per line, '#' comments:
 *   reason [class] "substring"
 *   reason [class] /regular expression/
 * Matching is case-insensitive.  class is permanent, temporary or
 * greylist and forces the class; without it the class comes from the
 * MTA's status and the reply code.
 */
int
classify_load_rules_text(struct classifier *cl, const char *name,
    const char *text, size_t len, char *errbuf, size_t errlen)
{
	struct oprule	*ops = NULL;
	size_t		 nops = 0, used = 0;
	const char	*p = text, *end = text + len;
	int		 lineno = 0, nerr = 0;

	if (errbuf != NULL && errlen > 0)
		errbuf[0] = '\0';
	while (p < end) {
		const char	*eol = memchr(p, '\n', (size_t)(end - p));
		char		 buf[4096], word[64], *s, *t;
		struct oprule	 op;
		int		 r, c = -1;
		size_t		 n;

		if (eol == NULL)
			eol = end;
		lineno++;
		n = (size_t)(eol - p);
		p = eol < end ? eol + 1 : end;
		if (n >= sizeof(buf)) {
			classify_err(errbuf, errlen, &used, &nerr, name, lineno,
			    "line too long");
			continue;
		}
		memcpy(buf, eol - n, n);
		buf[n] = '\0';
		if (n > 0 && buf[n - 1] == '\r')
			buf[--n] = '\0';
		for (s = buf; *s == ' ' || *s == '\t'; s++)
			;
		if (*s == '\0' || *s == '#')
			continue;

		/* reason */
		for (t = s; *t != '\0' && *t != ' ' && *t != '\t'; t++)
			;
		if ((size_t)(t - s) >= sizeof(word)) {
			classify_err(errbuf, errlen, &used, &nerr, name, lineno,
			    "unknown reason");
			continue;
		}
		memcpy(word, s, (size_t)(t - s));
		word[t - s] = '\0';
		if ((r = classify_reason_from_name(word)) == -1 || r == REASON_NONE) {
			classify_err(errbuf, errlen, &used, &nerr, name, lineno,
			    "unknown reason \"%s\"", word);
			continue;
		}
		for (s = t; *s == ' ' || *s == '\t'; s++)
			;
		/* optional class */
		if (*s != '"' && *s != '/') {
			for (t = s; *t != '\0' && *t != ' ' && *t != '\t'; t++)
				;
			if ((size_t)(t - s) >= sizeof(word))
				t = s + sizeof(word) - 1;
			memcpy(word, s, (size_t)(t - s));
			word[t - s] = '\0';
			c = classify_class_from_name(word);
			if (c == -1 || c == CLASS_DELIVERED) {
				classify_err(errbuf, errlen, &used, &nerr, name, lineno,
				    "unknown class \"%s\" (permanent, temporary or greylist)",
				    word);
				continue;
			}
			for (s = t; *s == ' ' || *s == '\t'; s++)
				;
		}
		if (*s != '"' && *s != '/') {
			classify_err(errbuf, errlen, &used, &nerr, name, lineno,
			    "expected \"substring\" or /regex/");
			continue;
		}
		{
			char	 q = *s;
			char	*close;

			s++;
			close = strrchr(s, q);
			if (close == NULL || close == s - 1) {
				classify_err(errbuf, errlen, &used, &nerr, name, lineno,
				    "unterminated pattern");
				continue;
			}
			for (t = close + 1; *t == ' ' || *t == '\t'; t++)
				;
			if (*t != '\0' && *t != '#') {
				classify_err(errbuf, errlen, &used, &nerr, name, lineno,
				    "unexpected text after the pattern: %s", t);
				continue;
			}
			*close = '\0';
			if (*s == '\0') {
				classify_err(errbuf, errlen, &used, &nerr, name, lineno,
				    "empty pattern");
				continue;
			}
			memset(&op, 0, sizeof(op));
			op.reason = (enum bw_reason)r;
			op.cls = c;
			if (q == '/') {
				char	 msg[256];

				if ((op.re = classify_compile(cl, s, msg,
				    sizeof(msg))) == NULL) {
					classify_err(errbuf, errlen, &used, &nerr, name,
					    lineno, "bad regular expression: %s", msg);
					continue;
				}
				op.is_regex = 1;
			} else {
				size_t	 i;

				op.needle = xstrdup(s);
				op.needle_len = strlen(s);
				for (i = 0; i < op.needle_len; i++)
					op.needle[i] = (char)classify_lower((unsigned char)op.needle[i]);
			}
			{
				char	 nm[512];

				snprintf(nm, sizeof(nm), "rules:%s:%d", name, lineno);
				op.name = xstrdup(nm);
			}
			ops = xrealloc(ops, (nops + 1) * sizeof(*ops));
			ops[nops++] = op;
		}
	}
	if (nerr > 0) {
		classify_free_ops(ops, nops);
		return nerr;
	}
	classify_free_ops(cl->ops, cl->nops);
	cl->ops = ops;
	cl->nops = nops;
	return 0;
}

int
classify_load_rules(struct classifier *cl, const char *path, char *errbuf,
    size_t errlen)
{
	FILE		*f;
	struct stat	 sb;
	char		*text = NULL, *cause = NULL;
	size_t		 len = 0, cap = 0, n;
	int		 ret;

	if ((f = fopen(path, "r")) == NULL) {
		if (errbuf != NULL)
			snprintf(errbuf, errlen, "%s: %s\n", path, strerror(errno));
		return 1;
	}
	/* rules decide what the reports say: trusted like the configuration */
	if (fstat(fileno(f), &sb) == -1 ||
	    conf_file_safe(path, &sb, 0, &cause) == -1) {
		if (errbuf != NULL)
			snprintf(errbuf, errlen, "%s\n", cause != NULL ? cause :
			    strerror(errno));
		free(cause);
		fclose(f);
		return 1;
	}
	for (;;) {
		if (len + 4096 > cap) {
			cap = cap ? cap * 2 : 8192;
			text = xrealloc(text, cap);
		}
		n = fread(text + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		if (errbuf != NULL)
			snprintf(errbuf, errlen, "%s: read error\n", path);
		fclose(f);
		free(text);
		return 1;
	}
	fclose(f);
	ret = classify_load_rules_text(cl, path, text, len, errbuf, errlen);
	free(text);
	return ret;
}

/* ---- matching ---- */

static int
classify_memcasemem(const char *h, size_t hl, const char *n, size_t nl)
{
	size_t	 i, j;

	if (nl > hl)
		return 0;
	for (i = 0; i + nl <= hl; i++) {
		for (j = 0; j < nl; j++)
			if (classify_lower((unsigned char)h[i + j]) != n[j])
				break;
		if (j == nl)
			return 1;
	}
	return 0;
}

static int
classify_when_ok(int when, enum bw_class base, int x41)
{
	if (when == W_X41)
		return x41;
	if (when == W_TEMP)
		return base == CLASS_TEMPORARY || base == CLASS_GREYLIST;
	if (when == W_PERM)
		return base == CLASS_PERMANENT;
	return 1;
}

static int
classify_namech(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_' ||
	    c == '+' || c == '=';
}

static int
classify_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Names the text rules must not read: a host "name[address]" (":port"),
 * as in "host mx.spamexperts.com[192.0.2.1] said:" or "lost connection
 * with mx1.greylist.example[192.0.2.1]", and an e-mail address.  Whoever
 * runs the remote server or sends the mail chose them; they say nothing
 * about what went wrong.  Returns the end of such a name starting at i,
 * or i.
 */
static size_t
classify_skip_name(const char *p, size_t i, size_t n)
{
	size_t	 j = i, k;

	while (j < n && classify_namech((unsigned char)p[j]))
		j++;
	if (j == i || j >= n)
		return i;
	if (p[j] == '[') {
		/* not a unix socket, "host[private/dovecot-lmtp]": that says */
		for (k = j + 1; k < n && k - j < 64 && p[k] != ']' && p[k] != ' ' &&
		    p[k] != '/'; k++)
			;
		if (k >= n || p[k] != ']')
			return i;
		k++;
		if (k + 1 < n && p[k] == ':' && classify_digit((unsigned char)p[k + 1]))
			for (k++; k < n && classify_digit((unsigned char)p[k]); k++)
				;
		return k;
	}
	if (p[j] == '@') {
		for (k = j + 1; k < n && (classify_namech((unsigned char)p[k]) &&
		    p[k] != '+' && p[k] != '='); k++)
			;
		return k > j + 1 ? k : i;
	}
	return i;
}

/*
 * The line prefix of a multi-line reply inside the joined text, "550-",
 * "550-5.1.1 " or "550 5.1.1 " (RFC 5321 4.2, RFC 2034): Postfix keeps
 * them, so "554-5.7.1 Relay 554 5.7.1 access denied" hides its phrase.
 * Returns the end of the prefix and the blank after it, or i.
 */
static size_t
classify_skip_prefix(const char *p, size_t i, size_t n)
{
	size_t	 k;
	int	 dots = 0;

	if (n - i < 4 || !classify_digit((unsigned char)p[i]) ||
	    !classify_digit((unsigned char)p[i + 1]) ||
	    !classify_digit((unsigned char)p[i + 2]) ||
	    (p[i + 3] != '-' && p[i + 3] != ' '))
		return i;
	k = i + 4;
	/* "X.Y.Z" with the class digit of the code */
	if (k < n && p[k] == p[i]) {
		size_t	 e = k + 1;

		while (e < n && (p[e] == '.' || classify_digit((unsigned char)p[e]))) {
			dots += p[e] == '.';
			e++;
		}
		if (dots == 2 && p[e - 1] != '.' && (e == n || p[e] == ' '))
			k = e;
	}
	if (k == i + 4 && p[i + 3] == ' ')
		return i;		/* "550 " alone may be words: keep it */
	while (k < n && p[k] == ' ')
		k++;
	return k;
}

/* What one pass over a text found: rule indices, -1 for none. */
struct scan {
	int		 strong;	/* first clear phrase (table order) */
	int		 vague;		/* first vague phrase */
	int		 hint;		/* first rule with a class hint */
	int		 stage;		/* first rule naming the SMTP stage */
	int		 det[REASON_MAX];	/* first rule naming a detail */
	const char	*det_end[REASON_MAX];	/* where its match ends */
	struct classify_trace	*tr;	/* --explain: every hit, or NULL */
};

static void
classify_scan_init(struct scan *sc)
{
	size_t	 i;

	sc->strong = sc->vague = sc->hint = sc->stage = -1;
	sc->tr = NULL;
	for (i = 0; i < REASON_MAX; i++) {
		sc->det[i] = -1;
		sc->det_end[i] = NULL;
	}
}

/* ---- the trace of --explain ---- */

static const char *const classify_weight_names[] = {
	[EV_STRONG] = "strong",
	[EV_SPECIFIC] = "specific",
	[EV_VAGUE] = "vague",
	[EV_GENERIC] = "generic",
	[EV_CODE] = "code",
	[EV_STAGE] = "stage",
	[EV_DETAIL] = "detail",
	[EV_HINT] = "hint",
};

/* Note rule ri (-1: the operator rule op) once; outcome may come later. */
static void
classify_trace_add(struct classify_trace *tr, int ri, const struct oprule *op,
    const char *outcome)
{
	struct classify_evidence	*e;
	size_t				 i;

	if (tr == NULL)
		return;
	for (i = 0; ri != -1 && i < tr->n; i++)
		if (tr->ev[i].index == ri)
			return;
	if (tr->n == CLASSIFY_TRACE_MAX) {
		tr->dropped++;
		return;
	}
	e = &tr->ev[tr->n++];
	e->index = ri;
	e->outcome = outcome;
	if (ri == -1) {
		e->rule = op->name;
		e->pattern = op->is_regex ? "(regular expression)" : op->needle;
		e->weight = "operator";
		e->reason = op->reason;
		return;
	}
	e->rule = classify_rules[ri].name;
	e->pattern = classify_rules[ri].pattern;
	e->weight = classify_weight_names[classify_rules[ri].weight];
	e->reason = classify_rules[ri].reason;
}

/* Why each rule found lost to rr (or did not), once the verdict is known. */
static void
classify_trace_judge(struct classify_trace *tr, int rr, const struct verdict *v,
    enum bw_detail detail)
{
	size_t	 i;

	for (i = 0; tr != NULL && i < tr->n; i++) {
		struct classify_evidence	*e = &tr->ev[i];
		const struct rule		*r;

		if (e->outcome != NULL || e->index == -1)
			continue;
		r = &classify_rules[e->index];
		if (e->index == rr)
			e->outcome = v->reason == r->reason ? "won" :
			    "won, but the SMTP stage changed its reason";
		else if (r->weight == EV_STAGE)
			e->outcome = "names the SMTP stage, decides nothing";
		else if (r->weight == EV_HINT)
			e->outcome = "hints at the class only";
		else if (r->weight == EV_DETAIL)
			e->outcome = r->detail == detail && r->reason == v->reason ?
			    "named the detail" : "names a detail of another reason";
		else if (rr == -1)
			e->outcome = "not weighed";
		else if (r->weight > classify_rules[rr].weight)
			e->outcome = r->detail == detail && detail != DETAIL_NONE &&
			    r->reason == v->reason ? "weaker evidence; named the detail" :
			    "weaker evidence than the winner's";
		else if (r->weight == classify_rules[rr].weight)
			e->outcome = "as strong, but later in the table";
		else
			e->outcome = "not weighed";
	}
}

/* Note one match of rule ri that ends before end. */
static void
classify_scan_hit(struct scan *sc, int ri, enum bw_class base, int x41,
    const char *end)
{
	const struct rule	*r = &classify_rules[ri];

	if (r->hint != H_NONE && (sc->hint == -1 || ri < sc->hint))
		sc->hint = ri;
	if (!classify_when_ok(r->when, base, x41)) {
		if (sc->tr != NULL)
			classify_trace_add(sc->tr, ri, NULL, r->when == W_X41 ?
			    "applies to an X.4.1 code only" : r->when == W_TEMP ?
			    "applies to temporary failures only" :
			    "applies to permanent failures only");
		return;
	}
	if (sc->tr != NULL)
		classify_trace_add(sc->tr, ri, NULL, NULL);
	if (r->detail != DETAIL_NONE && r->reason != REASON_NONE &&
	    (sc->det[r->reason] == -1 || ri < sc->det[r->reason])) {
		sc->det[r->reason] = ri;
		sc->det_end[r->reason] = end;
	}
	switch (r->weight) {
	case EV_STRONG:
		if (r->reason != REASON_NONE && (sc->strong == -1 || ri < sc->strong))
			sc->strong = ri;
		break;
	case EV_VAGUE:
		if (sc->vague == -1 || ri < sc->vague)
			sc->vague = ri;
		break;
	case EV_STAGE:
		if (sc->stage == -1 || ri < sc->stage)
			sc->stage = ri;
		break;
	default:
		break;
	}
}

/*
 * Scan the text once, past names and line prefixes, folding runs of
 * blanks, and note what the rules found (struct scan).  A match counts
 * only at word edges: the ring keeps the bytes the automaton read, so
 * the byte before a match is known even across a skipped line prefix.
 * The hint ignores conditions: it is used before the class is known.
 */
static void
classify_scan(const struct classifier *cl, const char *p, size_t n,
    enum bw_class base, int x41, struct scan *sc)
{
	unsigned char	 ring[AC_RING];
	uint32_t	 st = 0;
	size_t		 i, j, ci = 0;
	int		 blank = 1;

	for (i = 0; i < n; i++) {
		const struct ac_state	*s;
		unsigned char		 c = (unsigned char)p[i];
		uint16_t		 k;

		if (i == 0 || !classify_namech((unsigned char)p[i - 1])) {
			if ((j = classify_skip_name(p, i, n)) != i) {
				/* a name: the words on both sides stay apart */
				st = 0;
				ring[ci++ % AC_RING] = ' ';
				blank = 1;
				i = j - 1;
				continue;
			}
			if (i > 0 && p[i - 1] == ' ' &&
			    (j = classify_skip_prefix(p, i, n)) != i) {
				/* a line prefix: the words on both sides join */
				i = j - 1;
				continue;
			}
		}
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			if (blank)
				continue;
			blank = 1;
		} else
			blank = 0;
		ring[ci++ % AC_RING] = c;
		st = cl->delta[st * cl->nsym + cl->sym[c]];
		s = &cl->states[st];
		for (k = 0; k < s->nout; k++) {
			int	 ri = cl->outs[s->out + k];

			if ((cl->edge[ri] & AC_START) && ci > cl->len[ri] &&
			    classify_wordch(ring[(ci - cl->len[ri] - 1) % AC_RING]))
				continue;
			if ((cl->edge[ri] & AC_END) && i + 1 < n &&
			    classify_wordch((unsigned char)p[i + 1]))
				continue;
			classify_scan_hit(sc, ri, base, x41, p + i + 1);
		}
	}
}

/* Parse "X.Y.Z" from a span: class digit, subject, detail; 0 if none. */
static int
classify_enh(struct span s, int *cls, int *subj, int *det)
{
	const char	*p = s.p, *e;
	int		 v[3], i;

	if (p == NULL || s.n < 5)
		return 0;
	e = p + s.n;
	for (i = 0; i < 3; i++) {
		int	 n = 0, d = 0;

		while (p < e && *p >= '0' && *p <= '9' && d < 4) {
			n = n * 10 + (*p - '0');
			p++;
			d++;
		}
		if (d == 0)
			return 0;
		v[i] = n;
		if (i < 2) {
			if (p >= e || *p != '.')
				return 0;
			p++;
		}
	}
	if (v[0] != 2 && v[0] != 4 && v[0] != 5)
		return 0;
	*cls = v[0];
	*subj = v[1];
	*det = v[2];
	return 1;
}

/*
 * An enhanced code inside the text, where the parser finds none: qmail's
 * "#5.1.1" or "(#4.4.1)", or a reply quoted in prose, "... RCPT TO:<a@b>:
 * host mx [192.0.2.1]: 550 5.1.1 <a@b> ..." (Exim, qmail, sendmail), whose
 * X must be the reply code's first digit.
 */
static struct span
classify_hash_code(struct span d)
{
	struct span	 none = { NULL, 0 };
	const char	*p = d.p;
	size_t		 i, k;

	if (p == NULL)
		return none;
	for (i = 0; i + 6 <= d.n; i++) {
		if (p[i] == '#' && (p[i + 1] == '4' || p[i + 1] == '5') &&
		    p[i + 2] == '.')
			k = i + 1;
		else if ((p[i] == '4' || p[i] == '5') && i + 10 <= d.n &&
		    (i == 0 || !classify_wordch((unsigned char)p[i - 1])) &&
		    classify_digit((unsigned char)p[i + 1]) &&
		    classify_digit((unsigned char)p[i + 2]) &&
		    (p[i + 3] == ' ' || p[i + 3] == '-') && p[i + 4] == p[i] &&
		    p[i + 5] == '.' && classify_digit((unsigned char)p[i + 6]))
			k = i + 4;
		else
			continue;
		{
			struct span	 s = { p + k, 0 };
			size_t		 j = k;

			while (j < d.n && (classify_digit((unsigned char)p[j]) ||
			    p[j] == '.'))
				j++;
			s.n = j - k;
			return s;
		}
	}
	return none;
}

/* The part of the diagnostic that the remote side wrote, if known. */
static struct span
classify_text(const struct delivery *d)
{
	static const char *const lead[] = {
		"said: ", "refused to talk to me: ",
	};
	struct span	 s = d->diagnostic;
	size_t		 i;

	if (s.p == NULL)
		return s;
	for (i = 0; i < sizeof(lead) / sizeof(lead[0]); i++) {
		const char	*q = memmem(s.p, s.n, lead[i], strlen(lead[i]));

		if (q != NULL) {
			size_t	 off = (size_t)(q - s.p) + strlen(lead[i]);

			s.p += off;
			s.n -= off;
			return s;
		}
	}
	return s;
}

/* "X.4.1": Microsoft's edge refuses unknown recipients with 5.4.1. */
static int
classify_is_x41(struct span s)
{
	int	 c, subj, det;

	return classify_enh(s, &c, &subj, &det) && subj == 4 && det == 1;
}

static int
classify_enh_lookup(const struct classifier *cl, struct span enh, int want_cls,
    int *rule)
{
	int	 c, s, det;
	size_t	 i;

	if (!classify_enh(enh, &c, &s, &det) || (want_cls != 0 && c != want_cls))
		return 0;
	if (s == 0 && det == 0)
		return 0;		/* X.0.0 says nothing */
	for (i = 0; i < cl->nenh; i++) {
		const struct enh_pat	*e = &cl->enh[i];

		if ((e->cls == 0 || e->cls == c) && e->subj == s &&
		    det >= e->lo && det <= e->hi) {
			*rule = e->rule;
			return 1;
		}
	}
	return 0;
}

/* The stage Postfix names: "(in reply to MAIL FROM command)", ... */
static enum rule_stage
classify_stage(struct span s)
{
	static const struct {
		const char	*name;
		enum rule_stage	 stage;
	} map[] = {
		{ "greeting", STG_GREETING }, { "EHLO", STG_GREETING },
		{ "HELO", STG_GREETING }, { "LHLO", STG_GREETING },
		{ "MAIL FROM", STG_MAIL }, { "RCPT TO", STG_RCPT },
		{ "DATA", STG_DATA }, { "end of DATA", STG_DATA },
		{ "message body", STG_DATA }, { "end of data", STG_DATA },
	};
	size_t	 i;

	for (i = 0; s.p != NULL && i < sizeof(map) / sizeof(map[0]); i++)
		if (span_eq(s, map[i].name))
			return map[i].stage;
	return STG_NONE;
}

/*
 * What the stage says about a refusal: at MAIL FROM the recipient is not
 * known yet, so a refusal is about our sender; at the greeting or HELO
 * nothing of the message is, so it is about our host.  Only reasons that
 * cannot be right there, or that rest on generic evidence, change.
 */
static enum bw_reason
classify_by_stage(enum rule_stage stage, enum bw_reason r, enum rule_weight w)
{
	int	 recipient = r == REASON_USER_UNKNOWN || r == REASON_MAILBOX_DISABLED ||
		    r == REASON_BAD_ADDRESS;
	int	 generic = w >= EV_VAGUE && (r == REASON_POLICY ||
		    r == REASON_USER_UNKNOWN || r == REASON_OTHER);

	if (stage == STG_MAIL && (recipient || generic ||
	    r == REASON_DOMAIN_NOT_FOUND))
		return REASON_SENDER_REJECTED;
	if (stage == STG_GREETING && (generic || (w >= EV_SPECIFIC &&
	    (recipient || r == REASON_MAILBOX_FULL))))
		return REASON_POLICY;
	return r;
}

/* The list a DNSBL rule names: its own pattern, or the zone after it. */
static void
classify_dnsbl_name(const struct rule *r, const char *end, const char *lim,
    char *buf, size_t len)
{
	size_t	 n = 0;
	int	 dot = 0;

	buf[0] = '\0';
	if (strchr(r->pattern, ' ') == NULL) {
		n = classify_pattern_len(r->pattern);
		snprintf(buf, len, "%.*s", (int)n, r->pattern);
		return;
	}
	if (end == NULL)
		return;
	while (end < lim && (*end == ' ' || *end == ':'))
		end++;
	while (end + n < lim && n + 1 < len &&
	    (classify_namech((unsigned char)end[n]) && end[n] != '+' &&
	    end[n] != '=')) {
		dot |= end[n] == '.';
		n++;
	}
	while (n > 0 && (end[n - 1] == '.' || end[n - 1] == '-'))
		n--;
	if (dot && n > 0) {
		size_t	 i;

		for (i = 0; i < n; i++)
			buf[i] = (char)classify_lower((unsigned char)end[i]);
		buf[n] = '\0';
	}
}

/* Does an operator rule match the whole reason? */
static int
classify_op_hit(const struct classifier *cl, const struct oprule *op,
    const struct delivery *d)
{
	if (op->is_regex)
		/* no match, or a limit reached: not this rule */
		return pcre2_match(op->re, (PCRE2_SPTR)d->diagnostic.p,
		    d->diagnostic.n, 0, 0, cl->md, cl->mctx) >= 0;
	return classify_memcasemem(d->diagnostic.p, d->diagnostic.n,
	    op->needle, op->needle_len);
}

/* The CODE rule of a basic reply code, or -1. */
static int
classify_code_rule(int code)
{
	char	 buf[16];
	size_t	 i;

	if (code == 0)
		return -1;
	snprintf(buf, sizeof(buf), "%03d", code % 1000);
	for (i = 0; i < NRULES; i++)
		if (classify_rules[i].kind == RULE_CODE &&
		    strcmp(classify_rules[i].pattern, buf) == 0)
			return (int)i;
	return -1;
}

static const char *const classify_stage_names[] = {
	[STG_NONE] = NULL,
	[STG_GREETING] = "greeting or HELO",
	[STG_MAIL] = "MAIL FROM",
	[STG_RCPT] = "RCPT TO",
	[STG_DATA] = "DATA",
};

/*
 * Operator rule won decided the verdict: note it, the later operator rules that match
 * too, and what the built-in rules found, which never got to decide.
 */
static void
classify_trace_ops(const struct classifier *cl, struct classify_trace *tr,
    size_t won, const struct delivery *d, struct span text, enum bw_class base,
    int x41)
{
	struct scan	 sc;
	size_t		 i, j;

	classify_trace_add(tr, -1, &cl->ops[won], "won");
	for (i = won + 1; i < cl->nops; i++) {
		if (classify_op_hit(cl, &cl->ops[i], d))
			classify_trace_add(tr, -1, &cl->ops[i],
			    "an earlier operator rule matched first");
	}
	j = tr->n;
	classify_scan_init(&sc);
	sc.tr = tr;
	tr->text = "the whole reason (operator rules), the reply (built-in)";
	classify_scan(cl, text.p, text.n, base, x41, &sc);
	for (i = j; i < tr->n; i++)
		if (tr->ev[i].outcome == NULL)
			tr->ev[i].outcome = "operator rules come first";
}

static void
classify_run(const struct classifier *cl, enum line_kind kind,
    const struct delivery *d, struct verdict *v, struct classify_trace *tr)
{
	enum bw_class	 base;
	enum rule_stage	 stage;
	enum rule_weight w;
	struct span	 text, scanned;
	struct scan	 sc;
	int		 rr = -1, er = -1, want = 0, c, x41;
	size_t		 i;

	v->rule = NULL;
	v->detail = DETAIL_NONE;
	v->detail_name[0] = '\0';
	if (kind == LINE_EXPIRED || d->status == DSTATUS_EXPIRED) {
		v->cls = CLASS_PERMANENT;
		v->reason = REASON_EXPIRED;
		v->rule = "status:expired";
		return;
	}
	if (d->status == DSTATUS_SENT || d->status == DSTATUS_DELIVERABLE) {
		v->cls = CLASS_DELIVERED;
		v->reason = REASON_NONE;
		v->rule = "status:sent";
		return;
	}

	/* 1. the verdict */
	text = classify_text(d);
	x41 = classify_is_x41(d->dsn) || classify_is_x41(d->enhanced);
	switch (d->status) {
	case DSTATUS_BOUNCED:
		base = CLASS_PERMANENT;
		break;
	case DSTATUS_DEFERRED:
	case DSTATUS_SOFTBOUNCE:
		base = CLASS_TEMPORARY;
		break;
	default:
		c = 0;
		if (d->code >= 200 && d->code < 600)
			c = d->code / 100;
		else {
			int	 s, det;

			if (classify_enh(d->dsn, &c, &s, &det) == 0 &&
			    classify_enh(d->enhanced, &c, &s, &det) == 0)
				c = 0;
		}
		if (c == 2) {
			v->cls = CLASS_DELIVERED;
			v->reason = REASON_NONE;
			v->rule = "code:2xx";
			return;
		}
		if (c == 5)
			base = CLASS_PERMANENT;
		else if (c == 4)
			base = CLASS_TEMPORARY;
		else {
			classify_scan_init(&sc);
			classify_scan(cl, text.p ? text.p : "", text.n,
			    CLASS_TEMPORARY, x41, &sc);
			if (sc.hint == -1) {
				struct span	 h = classify_hash_code(d->diagnostic);
				int		 s, det;

				if (classify_enh(h, &c, &s, &det) && c == 5)
					base = CLASS_PERMANENT;
				else
					base = CLASS_TEMPORARY;
			} else
				base = (enum bw_class)classify_rules[sc.hint].hint;
		}
		break;
	}
	v->cls = base;
	if (base == CLASS_PERMANENT)
		want = 5;
	else if (base == CLASS_TEMPORARY)
		want = 4;

	/* 2. operator rules */
	for (i = 0; i < cl->nops && text.p != NULL; i++) {
		const struct oprule	*op = &cl->ops[i];

		if (classify_op_hit(cl, op, d)) {
			v->reason = op->reason;
			v->rule = op->name;
			if (op->cls != -1)
				v->cls = (enum bw_class)op->cls;
			else if (op->reason == REASON_GREYLISTED && base == CLASS_TEMPORARY)
				v->cls = CLASS_GREYLIST;
			if (tr != NULL)
				classify_trace_ops(cl, tr, i, d, text, base, x41);
			return;
		}
	}

	/* 3. the evidence: the reply's words, then the whole reason's */
	classify_scan_init(&sc);
	sc.tr = tr;
	scanned = text;
	if (tr != NULL)
		tr->text = text.p == d->diagnostic.p ? "the whole reason" : "the reply";
	if (text.p != NULL)
		classify_scan(cl, text.p, text.n, base, x41, &sc);
	if (sc.strong == -1 && text.p != d->diagnostic.p && d->diagnostic.p != NULL) {
		struct scan	 pre;
		int		 whole = sc.vague == -1;

		/*
		 * Nothing clear in the reply: the whole reason, if the reply
		 * says nothing at all ("connect to ..."), or if the MTA's words
		 * before it are clear (qmail's "Connected to ... but my name was
		 * rejected. Remote host said: ...").
		 */
		if (!whole) {
			classify_scan_init(&pre);
			classify_scan(cl, d->diagnostic.p,
			    (size_t)(text.p - d->diagnostic.p), base, x41, &pre);
			whole = pre.strong != -1;
		}
		if (whole) {
			classify_scan_init(&sc);
			sc.tr = tr;
			if (tr != NULL) {
				tr->n = 0;
				tr->text = "the whole reason (nothing clear in the reply)";
			}
			scanned = d->diagnostic;
			classify_scan(cl, d->diagnostic.p, d->diagnostic.n, base,
			    x41, &sc);
		}
	}
	/* enhanced code: dsn first, then the reply's, then "#X.Y.Z" */
	if (sc.strong == -1 || (classify_rules[sc.strong].detail == DETAIL_NONE &&
	    sc.det[classify_rules[sc.strong].reason] == -1)) {
		if (!classify_enh_lookup(cl, d->dsn, want, &er) &&
		    !classify_enh_lookup(cl, d->enhanced, want, &er))
			classify_enh_lookup(cl, classify_hash_code(d->diagnostic),
			    want, &er);
	}
	if (er != -1)
		classify_trace_add(tr, er, NULL, NULL);
	if (sc.strong != -1)
		rr = sc.strong;
	else if (er != -1 && classify_rules[er].weight == EV_SPECIFIC)
		rr = er;
	else if (sc.vague != -1)
		rr = sc.vague;
	else if (er != -1)
		rr = er;
	else
		rr = classify_code_rule(d->code);
	if (tr != NULL && (c = classify_code_rule(d->code)) != -1)
		classify_trace_add(tr, c, NULL, NULL);

	/* 4. the stage: Postfix's, else the one the text names (Exim's) */
	if ((stage = classify_stage(d->stage)) == STG_NONE && sc.stage != -1)
		stage = classify_rules[sc.stage].stage;
	if (tr != NULL)
		tr->stage = classify_stage_names[stage];
	if (rr == -1) {
		v->reason = classify_by_stage(stage, REASON_OTHER, EV_CODE);
		v->rule = v->reason == REASON_OTHER ? "other" : "stage";
		classify_trace_judge(tr, rr, v, DETAIL_NONE);
		return;
	}
	w = classify_rules[rr].weight;
	v->reason = classify_by_stage(stage, classify_rules[rr].reason, w);
	v->rule = v->reason == classify_rules[rr].reason ?
	    classify_rules[rr].name : "stage";
	if (v->reason == REASON_GREYLISTED && base == CLASS_TEMPORARY)
		v->cls = CLASS_GREYLIST;
	else if (v->reason == REASON_LOCAL_THROTTLE)
		v->cls = CLASS_TEMPORARY;	/* our own MTA will try again */

	/* the detail: the deciding rule's, else one the text names */
	{
		const struct rule	*dr = NULL;
		const char		*end = NULL;

		if (classify_rules[rr].detail != DETAIL_NONE &&
		    v->reason == classify_rules[rr].reason) {
			dr = &classify_rules[rr];
			end = sc.det_end[v->reason];
			if (sc.det[v->reason] != rr)
				end = NULL;
		} else if (sc.det[v->reason] != -1) {
			dr = &classify_rules[sc.det[v->reason]];
			end = sc.det_end[v->reason];
		} else if (er != -1 && classify_rules[er].detail != DETAIL_NONE &&
		    classify_rules[er].reason == v->reason)
			dr = &classify_rules[er];
		if (dr != NULL) {
			v->detail = dr->detail;
			if (dr->detail == DETAIL_DNSBL)
				classify_dnsbl_name(dr, end, scanned.p + scanned.n,
				    v->detail_name, sizeof(v->detail_name));
		}
	}
	classify_trace_judge(tr, rr, v, v->detail);
}

void
classify_delivery(const struct classifier *cl, enum line_kind kind,
    const struct delivery *d, struct verdict *v)
{
	classify_run(cl, kind, d, v, NULL);
}

void
classify_explain(const struct classifier *cl, enum line_kind kind,
    const struct delivery *d, struct verdict *v, struct classify_trace *tr)
{
	memset(tr, 0, sizeof(*tr));
	classify_run(cl, kind, d, v, tr);
}

/* ---- introspection ---- */

size_t
classify_builtin_count(void)
{
	return NRULES;
}

int
classify_builtin(size_t i, struct classify_rule_info *info)
{
	const struct rule	*r;

	if (i >= NRULES)
		return -1;
	r = &classify_rules[i];
	info->name = r->name;
	info->pattern = r->pattern;
	info->reason = r->reason;
	info->cls = r->hint;
	info->example = r->example;
	info->example_code = 0;
	info->example_dsn = NULL;
	info->detail = r->detail;
	info->source = r->source;
	info->decides = r->weight != EV_STAGE && r->weight != EV_DETAIL &&
	    r->weight != EV_HINT;
	return 0;
}
