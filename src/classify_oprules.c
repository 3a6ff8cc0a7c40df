/*
 * classify_oprules.c -- the operator's rules file: reading it, compiling
 * its regular expressions (PCRE2, with limits) and matching its rules.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "classify_int.h"
#include "conf.h"
#include "log.h"
#include "util.h"

void
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

/* ---- operator rules file ---- */

static void classify_err(char **, int *, const char *, int, const char *, ...)
    __attribute__((format(printf, 5, 6)));

/* One "file:line: message" line more in the list of errors. */
static void
classify_err(char **errs, int *nerr, const char *name, int line,
    const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[4096 + 256];

	(*nerr)++;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	xlistadd(errs, "%s:%d: %s", name, line, msg);
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

/* The compiled pattern, or NULL with *cause. */
static pcre2_code *
classify_compile(struct classifier *cl, const char *pattern, char **cause)
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
		*cause = xasprintf("%s at offset %zu", (char *)text,
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
    const char *text, size_t len, char **cause)
{
	struct oprule	*ops = NULL;
	size_t		 nops = 0;
	const char	*p = text, *end = text + len;
	char		*errs = NULL;
	int		 lineno = 0, nerr = 0;

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
			classify_err(&errs, &nerr, name, lineno,
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
			classify_err(&errs, &nerr, name, lineno,
			    "unknown reason");
			continue;
		}
		memcpy(word, s, (size_t)(t - s));
		word[t - s] = '\0';
		if ((r = classify_reason_from_name(word)) == -1 || r == REASON_NONE) {
			classify_err(&errs, &nerr, name, lineno,
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
				classify_err(&errs, &nerr, name, lineno,
				    "unknown class \"%s\" (permanent, temporary or greylist)",
				    word);
				continue;
			}
			for (s = t; *s == ' ' || *s == '\t'; s++)
				;
		}
		if (*s != '"' && *s != '/') {
			classify_err(&errs, &nerr, name, lineno,
			    "expected \"substring\" or /regex/");
			continue;
		}
		{
			char	 q = *s;
			char	*close;

			s++;
			close = strrchr(s, q);
			if (close == NULL || close == s - 1) {
				classify_err(&errs, &nerr, name, lineno,
				    "unterminated pattern");
				continue;
			}
			for (t = close + 1; *t == ' ' || *t == '\t'; t++)
				;
			if (*t != '\0' && *t != '#') {
				classify_err(&errs, &nerr, name, lineno,
				    "unexpected text after the pattern: %s", t);
				continue;
			}
			*close = '\0';
			if (*s == '\0') {
				classify_err(&errs, &nerr, name, lineno,
				    "empty pattern");
				continue;
			}
			memset(&op, 0, sizeof(op));
			op.reason = (enum bw_reason)r;
			op.cls = c;
			if (q == '/') {
				char	*why = NULL;

				if ((op.re = classify_compile(cl, s, &why)) == NULL) {
					classify_err(&errs, &nerr, name,
					    lineno, "bad regular expression: %s", why);
					free(why);
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
		*cause = errs;
		return -1;
	}
	classify_free_ops(cl->ops, cl->nops);
	cl->ops = ops;
	cl->nops = nops;
	return 0;
}

int
classify_load_rules(struct classifier *cl, const char *path, char **cause)
{
	FILE		*f;
	struct stat	 sb;
	char		*text = NULL, *why = NULL;
	size_t		 len = 0, cap = 0, n;
	int		 ret;

	if ((f = fopen(path, "r")) == NULL) {
		*cause = xasprintf("%s: %s\n", path, strerror(errno));
		return -1;
	}
	/* rules decide what the reports say: trusted like the configuration */
	if (fstat(fileno(f), &sb) == -1 ||
	    conf_file_safe(path, &sb, 0, &why) == -1) {
		*cause = xasprintf("%s\n", why != NULL ? why : strerror(errno));
		free(why);
		fclose(f);
		return -1;
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
		*cause = xasprintf("%s: read error\n", path);
		fclose(f);
		free(text);
		return -1;
	}
	fclose(f);
	ret = classify_load_rules_text(cl, path, text, len, cause);
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

/* Does an operator rule match the whole reason? */
int
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

