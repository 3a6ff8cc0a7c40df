/*
 * corpus.c -- see corpus.h.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corpus.h"
#include "emit.h"

const char *
corpus_path(const char *name)
{
	static char	 buf[4096];
	const char	*top = getenv("top_srcdir");

	snprintf(buf, sizeof(buf), "%s/tests/data/%s", top ? top : ".", name);
	return buf;
}

char *
corpus_slurp(const char *path, size_t *len)
{
	FILE	*f;
	char	*buf;
	long	 n;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return NULL;
	}
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

int
corpus_load(const char *path, struct corpus_rec **out)
{
	char			*text, *p, *eol;
	size_t			 len;
	struct corpus_rec	*recs = NULL, *cur = NULL;
	int			 n = 0, lineno = 0;

	if ((text = corpus_slurp(path, &len)) == NULL)
		return -1;
	for (p = text; p < text + len; p = eol + 1) {
		char	*colon;

		lineno++;
		if ((eol = memchr(p, '\n', (size_t)(text + len - p))) == NULL)
			eol = text + len;
		*eol = '\0';
		if (*p == '#')
			continue;
		if (*p == '\0') {
			cur = NULL;
			continue;
		}
		if ((colon = strstr(p, ": ")) == NULL) {
			/* "key:" with an empty value */
			size_t	 l = strlen(p);

			if (l > 0 && p[l - 1] == ':')
				colon = p + l - 1;
			else {
				fprintf(stderr, "%s:%d: not \"key: value\"\n", path, lineno);
				continue;
			}
		}
		*colon = '\0';
		if (cur == NULL) {
			recs = realloc(recs, (size_t)(n + 1) * sizeof(*recs));
			cur = &recs[n++];
			memset(cur, 0, sizeof(*cur));
			cur->lineno = lineno;
		}
		if (cur->nkv < CORPUS_MAXKV) {
			cur->key[cur->nkv] = strdup(p);
			cur->val[cur->nkv] = strdup(colon[1] == ' ' ? colon + 2 : colon + 1);
			cur->nkv++;
		}
	}
	free(text);
	*out = recs;
	return n;
}

void
corpus_free(struct corpus_rec *recs, int n)
{
	int	 i;
	size_t	 j;

	for (i = 0; i < n; i++)
		for (j = 0; j < recs[i].nkv; j++) {
			free(recs[i].key[j]);
			free(recs[i].val[j]);
		}
	free(recs);
}

const char *
corpus_get(const struct corpus_rec *r, const char *key)
{
	size_t	 i;

	for (i = 0; i < r->nkv; i++)
		if (strcmp(r->key[i], key) == 0)
			return r->val[i];
	return NULL;
}

static void
corpus_span(struct span s, char *buf, size_t len)
{
	if (s.p == NULL) {
		snprintf(buf, len, "-");
		return;
	}
	if (s.n >= len)
		s.n = len - 1;
	memcpy(buf, s.p, s.n);
	buf[s.n] = '\0';
}

int
corpus_check(const char *file, const struct corpus_rec *r, enum line_kind k,
    const struct delivery *d, const struct verdict *v)
{
	static char	 got[70000];
	size_t		 i;
	int		 bad = 0;

	for (i = 0; i < r->nkv; i++) {
		const char	*key = r->key[i], *want = r->val[i];

		got[0] = '\0';
		if (strcmp(key, "line") == 0 || strcmp(key, "source") == 0 ||
		    strncmp(key, "why", 3) == 0 || strcmp(key, "note") == 0)
			continue;
		if (strcmp(key, "kind") == 0)
			snprintf(got, sizeof(got), "%s", parse_kind_name(k));
		else if (k != LINE_DELIVERY && k != LINE_EXPIRED && k != LINE_PROBE &&
		    strcmp(key, "host") != 0 && strcmp(key, "program") != 0 &&
		    strcmp(key, "time") != 0 && strcmp(key, "queue_id") != 0 &&
		    strcmp(key, "syslog_name") != 0 && strcmp(key, "pid") != 0)
			continue;	/* fields of non-deliveries are not checked */
		else if (strcmp(key, "time") == 0) {
			if (d->has_time)
				emit_time_iso(got, sizeof(got), d->time, d->usec);
			else
				snprintf(got, sizeof(got), "-");
		} else if (strcmp(key, "host") == 0)
			corpus_span(d->host, got, sizeof(got));
		else if (strcmp(key, "syslog_name") == 0)
			corpus_span(d->syslog_name, got, sizeof(got));
		else if (strcmp(key, "program") == 0)
			corpus_span(d->program, got, sizeof(got));
		else if (strcmp(key, "pid") == 0) {
			if (d->pid >= 0)
				snprintf(got, sizeof(got), "%ld", d->pid);
			else
				snprintf(got, sizeof(got), "-");
		} else if (strcmp(key, "queue_id") == 0)
			corpus_span(d->queue_id, got, sizeof(got));
		else if (strcmp(key, "recipient") == 0)
			corpus_span(d->recipient, got, sizeof(got));
		else if (strcmp(key, "orig_to") == 0)
			corpus_span(d->orig_to, got, sizeof(got));
		else if (strcmp(key, "domain") == 0)
			snprintf(got, sizeof(got), "%s", d->domain[0] ? d->domain : "-");
		else if (strcmp(key, "relay") == 0)
			corpus_span(d->relay, got, sizeof(got));
		else if (strcmp(key, "relay_host") == 0)
			corpus_span(d->relay_host, got, sizeof(got));
		else if (strcmp(key, "relay_addr") == 0)
			corpus_span(d->relay_addr, got, sizeof(got));
		else if (strcmp(key, "relay_port") == 0) {
			if (d->relay_port >= 0)
				snprintf(got, sizeof(got), "%d", d->relay_port);
			else
				snprintf(got, sizeof(got), "-");
		} else if (strcmp(key, "delay") == 0)
			corpus_span(d->delay, got, sizeof(got));
		else if (strcmp(key, "delays") == 0)
			corpus_span(d->delays, got, sizeof(got));
		else if (strcmp(key, "dsn") == 0)
			corpus_span(d->dsn, got, sizeof(got));
		else if (strcmp(key, "status") == 0)
			snprintf(got, sizeof(got), "%s", parse_status_name(d->status));
		else if (strcmp(key, "code") == 0)
			snprintf(got, sizeof(got), "%d", d->code);
		else if (strcmp(key, "enhanced") == 0)
			corpus_span(d->enhanced, got, sizeof(got));
		else if (strcmp(key, "stage") == 0)
			corpus_span(d->stage, got, sizeof(got));
		else if (strcmp(key, "diagnostic") == 0)
			corpus_span(d->diagnostic, got, sizeof(got));
		else if (strcmp(key, "truncated") == 0)
			snprintf(got, sizeof(got), "%s", d->truncated ? "yes" : "no");
		else if (strcmp(key, "class") == 0) {
			if (v == NULL)
				continue;
			snprintf(got, sizeof(got), "%s", classify_class_name(v->cls));
		} else if (strcmp(key, "reason") == 0) {
			if (v == NULL)
				continue;
			snprintf(got, sizeof(got), "%s", v->reason == REASON_NONE ? "-" :
			    classify_reason_name(v->reason));
		} else if (strcmp(key, "rule") == 0) {
			if (v == NULL)
				continue;
			snprintf(got, sizeof(got), "%s", v->rule ? v->rule : "-");
		} else {
			fprintf(stderr, "%s:%d: unknown key \"%s\"\n", file, r->lineno, key);
			bad++;
			continue;
		}
		if (strcmp(got, want) != 0) {
			fprintf(stderr, "%s:%d: %s: expected \"%s\", got \"%s\"\n",
			    file, r->lineno, key, want, got);
			bad++;
		}
	}
	return bad;
}
