/*
 * test_sisimai.c -- the classifier on a peer's test suite: Sisimai's 580
 * bounce texts (tests/data/sisimai/MAPPING.md), each logged as Postfix
 * would log it, parsed and classified; prints the score as TAP and holds
 * a floor so that it can only rise.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "corpus.h"
#include "parse.h"

/* The measured score: raise these when the classifier gets better. */
#define SISIMAI_FLOOR_REASON	554
#define SISIMAI_FLOOR_CLASS	580

#define SISIMAI_FIELDS	8

/* Split a TSV line in place; returns the number of fields. */
static int
sisimai_split(char *p, char **f, int max)
{
	int	 n = 0;

	while (n < max) {
		f[n++] = p;
		if ((p = strchr(p, '\t')) == NULL)
			break;
		*p++ = '\0';
	}
	return n;
}

/* Next line of a buffer (NUL-terminated in place), NULL at the end. */
static char *
sisimai_next(char **cursor)
{
	char	*p = *cursor, *eol;

	if (p == NULL || *p == '\0')
		return NULL;
	if ((eol = strchr(p, '\n')) != NULL) {
		*eol = '\0';
		*cursor = eol + 1;
	} else
		*cursor = p + strlen(p);
	return p;
}

static char *
sisimai_read(const char *name, char *dir, size_t dirlen)
{
	const char	*top = getenv("top_srcdir");
	static const char *const where[] = {
		"/../shared/data/sisimai",	/* shared/ beside the clone */
		"/tests/data/sisimai",		/* the copy (make distcheck) */
	};
	char		 path[4096];
	char		*text;
	size_t		 i, len;

	for (i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
		snprintf(dir, dirlen, "%s%s", top != NULL ? top : ".", where[i]);
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if ((text = corpus_slurp(path, &len)) != NULL)
			return text;
	}
	return NULL;
}

/* A reply starts with a code: "550 ...", "421-...", "554". */
static int
sisimai_is_reply(const char *t)
{
	return t[0] >= '2' && t[0] <= '5' && t[1] >= '0' && t[1] <= '9' &&
	    t[2] >= '0' && t[2] <= '9' &&
	    (t[3] == ' ' || t[3] == '-' || t[3] == '\0');
}

/* Postfix's words for Sisimai's SMTP command. */
static const char *
sisimai_stage(const char *cmd)
{
	static const struct {
		const char	*sisimai, *postfix;
	} map[] = {
		{ "MAIL", "MAIL FROM" }, { "RCPT", "RCPT TO" },
		{ "DATA", "end of DATA" }, { "EHLO", "EHLO" },
		{ "HELO", "HELO" }, { "QUIT", "QUIT" },
	};
	size_t	 i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i].sisimai, cmd) == 0)
			return map[i].postfix;
	return NULL;
}

/*
 * The Postfix line of a case (MAPPING.md "How a case becomes a Postfix
 * line"); returns 1 when it is bounced, 0 when deferred.
 */
static int
sisimai_line(char *buf, size_t len, int n, char **c, char **o)
{
	const char	*rcode = c[3], *dsn = c[4], *text = c[5];
	const char	*cmd = o[3], *type = o[4], *dom = o[5], *rhost = o[6];
	const char	*stage;
	char		 relay[512], diag[70000];
	int		 code = strcmp(rcode, "-") == 0 ? 0 : atoi(rcode);
	int		 bounced = code != 0 ? code >= 500 : dsn[0] == '5';

	if (strcmp(dom, "-") == 0 || *dom == '\0')
		dom = "example.org";
	if (strcmp(rhost, "-") == 0 || *rhost == '\0')
		rhost = "mx.example.net";
	if (strcmp(type, "X-UNIX") == 0) {
		snprintf(relay, sizeof(relay), "local");
		snprintf(diag, sizeof(diag), "%s", text);
	} else {
		snprintf(relay, sizeof(relay), "%s[192.0.2.%d]:25", rhost, n % 250 + 1);
		if (!sisimai_is_reply(text))
			snprintf(diag, sizeof(diag), "%s", text);
		else if ((stage = sisimai_stage(cmd)) != NULL)
			snprintf(diag, sizeof(diag), "host %s[192.0.2.%d] said: %s "
			    "(in reply to %s command)", rhost, n % 250 + 1, text, stage);
		else
			snprintf(diag, sizeof(diag), "host %s[192.0.2.%d] said: %s",
			    rhost, n % 250 + 1, text);
	}
	snprintf(buf, len, "Nov 23 11:00:00 mx postfix/%s[123]: ABC%06X: "
	    "to=<u%d@%s>, relay=%s, delay=1, delays=0/0/0/1, dsn=%s, status=%s (%s)",
	    strcmp(type, "X-UNIX") == 0 ? "local" : "smtp", (unsigned)n, n, dom,
	    relay, dsn, bounced ? "bounced" : "deferred", diag);
	return bounced;
}

/*
 * Precision per reason: of the verdicts "X", how many were right.  A
 * wrong confident reason hurts a postmaster more than "other".
 */
struct precision {
	int	 said[REASON_MAX], right[REASON_MAX];
};

static void
precision_print(const char *what, const struct precision *p)
{
	int	 r, said = 0, right = 0;

	printf("# precision on %s: reason, verdicts, right, %%\n", what);
	for (r = 0; r < REASON_MAX; r++) {
		if (p->said[r] == 0)
			continue;
		said += p->said[r];
		right += p->right[r];
		printf("#   %-18s %4d %4d %5.1f%%\n", classify_reason_name(r),
		    p->said[r], p->right[r], 100.0 * p->right[r] / p->said[r]);
	}
	printf("#   %-18s %4d %4d %5.1f%%\n", "(all)", said, right,
	    said ? 100.0 * right / said : 0.0);
}

/* The reply corpora (tests/data/README): status, text, class, reason. */
static void
precision_replies(const struct classifier *cl, const char *name,
    struct precision *p)
{
	static const char *const st[] = {
		"-", "sent", "deferred", "bounced", "softbounce", "expired",
	};
	static const enum dstatus sv[] = {
		DSTATUS_NONE, DSTATUS_SENT, DSTATUS_DEFERRED, DSTATUS_BOUNCED,
		DSTATUS_SOFTBOUNCE, DSTATUS_EXPIRED,
	};
	char	*text, *cur, *l;
	size_t	 len, i;

	if ((text = corpus_slurp(corpus_path(name), &len)) == NULL) {
		printf("# %s: not found\n", name);
		return;
	}
	cur = text;
	while ((l = sisimai_next(&cur)) != NULL) {
		char		*f[5];
		struct delivery	 d;
		struct verdict	 v;

		if (*l == '#' || *l == '\0' || sisimai_split(l, f, 5) < 4)
			continue;
		parse_reply(f[1], strlen(f[1]), &d);
		for (i = 0; i < sizeof(st) / sizeof(st[0]); i++)
			if (strcmp(f[0], st[i]) == 0)
				d.status = sv[i];
		classify_delivery(cl, LINE_DELIVERY, &d, &v);
		p->said[v.reason]++;
		p->right[v.reason] += strcmp(classify_reason_name(v.reason),
		    strcmp(f[3], "-") == 0 ? "none" : f[3]) == 0;
	}
	free(text);
}

/* tests/data/sisimai-judged.tsv: case -> the reason we hold right, or "-" */
struct judged {
	char	**name, **reason;
	size_t	 n;
	char	*text;
};

static void
judged_load(struct judged *j)
{
	char	*cur, *l, *f[2];
	size_t	 len;

	memset(j, 0, sizeof(*j));
	if ((j->text = corpus_slurp(corpus_path("sisimai-judged.tsv"), &len)) == NULL)
		return;
	cur = j->text;
	while ((l = sisimai_next(&cur)) != NULL) {
		if (*l == '#' || *l == '\0' || sisimai_split(l, f, 2) != 2)
			continue;
		j->name = realloc(j->name, (j->n + 1) * sizeof(*j->name));
		j->reason = realloc(j->reason, (j->n + 1) * sizeof(*j->reason));
		if (j->name == NULL || j->reason == NULL)
			abort();
		j->name[j->n] = f[0];
		j->reason[j->n++] = f[1];
	}
}

/* Our judgement of a case: the reason, "-" (left out), or NULL (Sisimai's). */
static const char *
judged_find(const struct judged *j, const char *name)
{
	size_t	 i;

	for (i = 0; i < j->n; i++)
		if (strcmp(j->name[i], name) == 0)
			return j->reason[i];
	return NULL;
}

int
main(void)
{
	struct precision	 ps, pr;
	struct classifier	*cl;
	struct parse_ctx	 ctx = { CORPUS_NOW, NULL, 0 };
	char			 dir[4096], *cases, *origin, *cc, *oc, *cl_, *ol;
	static char		 line[80000];
	int			 n = 0, okr = 0, okc = 0, bad = 0, r;
	int			 jn = 0, jok = 0, jre = 0;
	struct judged		 jd;
	int			 verbose = getenv("SISIMAI_VERBOSE") != NULL;

	if ((cases = sisimai_read("cases.tsv", dir, sizeof(dir))) == NULL ||
	    (origin = sisimai_read("origin.tsv", dir, sizeof(dir))) == NULL) {
		/* not a skip: the copy ships with the tree */
		printf("1..1\nnot ok 1 - Sisimai cases not found under %s\n", dir);
		return 0;
	}
	cl = classify_new();
	judged_load(&jd);
	memset(&ps, 0, sizeof(ps));
	memset(&pr, 0, sizeof(pr));
	cc = cases;
	oc = origin;
	printf("# data: %s\n", dir);
	while ((cl_ = sisimai_next(&cc)) != NULL) {
		char		*c[SISIMAI_FIELDS], *o[SISIMAI_FIELDS];
		struct delivery	 d;
		struct verdict	 v;
		enum line_kind	 k;
		const char	*reason, *acc;
		size_t		 rl;
		int		 bounced, cls_ok, rsn_ok;

		if ((ol = sisimai_next(&oc)) == NULL) {
			printf("# origin.tsv is shorter than cases.tsv\n");
			bad++;
			break;
		}
		if (*cl_ == '#')
			continue;
		if (sisimai_split(cl_, c, SISIMAI_FIELDS) != 6 ||
		    sisimai_split(ol, o, SISIMAI_FIELDS) != 7) {
			printf("# case %d: wrong number of fields\n", n + 1);
			bad++;
			continue;
		}
		bounced = sisimai_line(line, sizeof(line), n, c, o);
		n++;
		k = parse_line(&ctx, line, strlen(line), &d);
		if (k != LINE_DELIVERY) {
			printf("# %s: not a delivery line: %s\n", o[0], line);
			bad++;
			continue;
		}
		classify_delivery(cl, k, &d, &v);
		cls_ok = bounced ? v.cls == CLASS_PERMANENT :
		    v.cls == CLASS_TEMPORARY || v.cls == CLASS_GREYLIST;
		reason = classify_reason_name(v.reason);
		rl = strlen(reason);
		rsn_ok = 0;
		for (acc = c[2]; *acc != '\0'; acc += strcspn(acc, "|"),
		    acc += *acc == '|') {
			if (strncmp(acc, reason, rl) == 0 &&
			    (acc[rl] == '|' || acc[rl] == '\0'))
				rsn_ok = 1;
		}
		okc += cls_ok;
		okr += rsn_ok;
		{
			const char	*jr = judged_find(&jd, o[0]);

			if (jr == NULL || strcmp(jr, "-") != 0) {
				jn++;
				jok += jr == NULL ? rsn_ok : strcmp(jr, reason) == 0;
				jre += jr != NULL;
			}
		}
		ps.said[v.reason]++;
		ps.right[v.reason] += rsn_ok;
		if (verbose)
			printf("# case %s: %s %s (rule %s)\n", o[0],
			    rsn_ok ? "right" : "wrong", reason, v.rule);
		if (!cls_ok || !rsn_ok)
			printf("# miss %s: want %s (%s), got %s/%s (rule %s): %.200s\n",
			    o[0], c[2], bounced ? "permanent" : "temporary",
			    classify_class_name(v.cls), reason, v.rule, c[5]);
	}
	printf("# judged: sisimai reason %d/%d (%.1f%%) with tests/data/sisimai-judged.tsv "
	    "(%d labels judged wrong, %d cases left out)\n", jok, jn,
	    jn ? 100.0 * jok / jn : 0.0, jre, n - jn);
	free(jd.name);
	free(jd.reason);
	free(jd.text);
	precision_print("the Sisimai suite", &ps);
	precision_replies(cl, "reference.tsv", &pr);
	precision_replies(cl, "replies.tsv", &pr);
	precision_print("tests/data reference.tsv and replies.tsv", &pr);
	for (r = 0; r < REASON_MAX; r++) {
		ps.said[r] += pr.said[r];
		ps.right[r] += pr.right[r];
	}
	precision_print("all corpora", &ps);
	classify_free(cl);
	free(cases);
	free(origin);

	printf("1..2\n");
	printf("%s 1 - sisimai reason %d/%d (%.1f%%), floor %d\n",
	    bad == 0 && n == 580 && okr >= SISIMAI_FLOOR_REASON ? "ok" : "not ok",
	    okr, n, n ? 100.0 * okr / n : 0.0, SISIMAI_FLOOR_REASON);
	printf("%s 2 - sisimai class %d/%d (%.1f%%), floor %d\n",
	    bad == 0 && okc >= SISIMAI_FLOOR_CLASS ? "ok" : "not ok",
	    okc, n, n ? 100.0 * okc / n : 0.0, SISIMAI_FLOOR_CLASS);
	return 0;
}
