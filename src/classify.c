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
 *     clue word that names the subject ("relay", "sender", "helo"), then
 *     a generic enhanced code (X.0.0 says nothing; X.7.1, X.5.0 ...
 *     little), then the basic reply code; "other" when nothing speaks.
 *     So any words beat a generic code: "552 message is too long" is
 *     about the size, not a full mailbox; and a vague phrase or clue
 *     that narrows a specific code's reason to a neighbour beats it
 *     (5.1.1 "inactive": disabled, not unknown);
 *  4. the SMTP stage corrects what cannot be: a refusal of MAIL FROM is
 *     about our sender, one at the greeting or HELO about our host.
 *
 * The other files of the classifier: classify_table.c (the built-in rules
 * and the names), classify_scan.c (the automaton and the scan),
 * classify_oprules.c (operator rules), classify_trace.c (--explain).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "classify_int.h"
#include "util.h"

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

/*
 * A reply the parser could not read ("smtp;550 cuda_nsu 5.4.1 ..."): is
 * "4.4.1" or "5.4.1" one of its words?
 */
static int
classify_has_x41_word(struct span d)
{
	const char	*p = d.p;
	size_t		 i;

	for (i = 0; p != NULL && i + 5 <= d.n; i++)
		if ((p[i] == '4' || p[i] == '5') && memcmp(p + i + 1, ".4.1", 4) == 0 &&
		    (i == 0 || p[i - 1] == ' ') &&
		    (i + 5 == d.n || p[i + 5] == ' '))
			return 1;
	return 0;
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

/*
 * Words that narrow a specific code's reason to a neighbour: 5.1.1 says
 * the mailbox cannot be used, "inactive" or "suspended" says why; 4.3.1
 * says the mail system is full, "temporary system error" says it is the
 * system, not the mailbox; 5.1.2 names the address's system, "mailbox
 * does not exist" the mailbox in it.  A vague phrase or a clue word of
 * the narrower reason then beats the code.
 */
static int
classify_narrows(enum bw_reason code, enum bw_reason words)
{
	static const struct {
		enum bw_reason	 code, words;
	} map[] = {
		{ REASON_USER_UNKNOWN, REASON_MAILBOX_DISABLED },
		{ REASON_DOMAIN_NOT_FOUND, REASON_USER_UNKNOWN },
		{ REASON_HOST_UNREACHABLE, REASON_CONNECTION_LOST },
		{ REASON_MAILBOX_FULL, REASON_SERVER_UNAVAILABLE },
	};
	size_t	 i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i].code == code && map[i].words == words)
			return 1;
	return 0;
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
	for (i = 0; i < classify_nrules; i++)
		if (classify_rules[i].kind == RULE_CODE &&
		    strcmp(classify_rules[i].pattern, buf) == 0)
			return (int)i;
	return -1;
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
	x41 = classify_is_x41(d->dsn) || classify_is_x41(d->enhanced) ||
	    (d->enhanced.p == NULL && d->dsn.p == NULL &&
	    classify_has_x41_word(d->diagnostic));
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
		int		 whole = sc.vague == -1 && sc.clue == -1;

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
	else if (er != -1 && classify_rules[er].weight == EV_SPECIFIC) {
		rr = er;
		if (sc.vague != -1 && classify_narrows(classify_rules[er].reason,
		    classify_rules[sc.vague].reason))
			rr = sc.vague;
		else if (sc.vague == -1 && sc.clue != -1 && classify_narrows(
		    classify_rules[er].reason, classify_rules[sc.clue].reason))
			rr = sc.clue;
	}
	else if (sc.vague != -1)
		rr = sc.vague;
	else if (sc.clue != -1)
		rr = sc.clue;
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
		tr->stage = classify_stage_name(stage);
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

