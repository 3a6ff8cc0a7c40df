/*
 * conf.c -- see conf.h.  Keys are a table; each has a parser.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conf.h"
#include "tz.h"
#include "util.h"

#ifndef PATH_DB
#define PATH_DB		"/var/lib/bouncewatch/bouncewatch.db"
#endif
#ifndef PATH_PIDFILE
#define PATH_PIDFILE	"/run/bouncewatchd.pid"
#endif

struct conf_err {
	char		*buf;
	size_t		 len;
	size_t		 used;
	int		 n;
	const char	*file;
	int		 line;
};

static void conf_error(struct conf_err *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
conf_error(struct conf_err *e, const char *fmt, ...)
{
	va_list	 ap;
	int	 k;

	e->n++;
	if (e->buf == NULL || e->used + 1 >= e->len)
		return;
	k = snprintf(e->buf + e->used, e->len - e->used, "%s:%d: ", e->file, e->line);
	if (k > 0)
		e->used += (size_t)k;
	if (e->used + 1 < e->len) {
		va_start(ap, fmt);
		k = vsnprintf(e->buf + e->used, e->len - e->used, fmt, ap);
		va_end(ap);
		if (k > 0)
			e->used += (size_t)k;
	}
	if (e->used + 1 < e->len) {
		e->buf[e->used++] = '\n';
		e->buf[e->used] = '\0';
	}
	if (e->used >= e->len)
		e->used = e->len - 1;
}

void
conf_defaults(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	c->database = xstrdup(PATH_DB);
	c->pidfile = xstrdup(PATH_PIDFILE);
	c->commit_interval_ms = 250;
	c->commit_lines = 10000;
	c->start = CONF_START_BEGINNING;
	c->retention_days = 0;
	c->report_to = xstrdup("root");
	c->report_format = xstrdup("text");
	c->rotate_quiet_s = 60;
	c->synchronous = xstrdup("full");
}

void
conf_free(struct conf *c)
{
	int	 i;

	for (i = 0; i < c->nlogs; i++) {
		free(c->logs[i].path);
		free(c->logs[i].format);
	}
	free(c->path);
	free(c->database);
	free(c->pidfile);
	free(c->rules);
	free(c->timezone);
	free(c->user);
	free(c->report_to);
	free(c->report_format);
	free(c->synchronous);
	memset(c, 0, sizeof(*c));
}

static void
conf_set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = xstrdup(v);
}

static int
conf_need_abs(struct conf_err *e, const char *key, const char *v)
{
	if (v[0] != '/') {
		conf_error(e, "%s: \"%s\" is not an absolute path", key, v);
		return -1;
	}
	return 0;
}

static int
conf_duration_ms(const char *v, int *ms)
{
	char	*end;
	double	 d;

	errno = 0;
	d = strtod(v, &end);
	if (errno != 0 || end == v || d < 0)
		return -1;
	while (*end == ' ')
		end++;
	if (strcmp(end, "ms") == 0)
		;
	else if (strcmp(end, "s") == 0)
		d *= 1000;
	else
		return -1;
	if (!(d >= 1 && d <= 3600 * 1000))	/* also refuses NaN */
		return -1;
	*ms = (int)d;
	return 0;
}

typedef void (*conf_fn)(struct conf *, struct conf_err *, const char *key,
    char *value);

static void
conf_key_log(struct conf *c, struct conf_err *e, const char *key, char *v)
{
	char	*fmt = NULL, *sp;

	/* log = PATH [FORMAT] */
	if ((sp = strpbrk(v, " \t")) != NULL) {
		*sp++ = '\0';
		while (*sp == ' ' || *sp == '\t')
			sp++;
		fmt = sp;
	}
	if (conf_need_abs(e, key, v) == -1)
		return;
	if (fmt != NULL && strcmp(fmt, "auto") != 0 && strcmp(fmt, "postfix") != 0 &&
	    strcmp(fmt, "hurricane") != 0) {
		conf_error(e, "log: unknown format \"%s\" (auto, postfix or hurricane)", fmt);
		return;
	}
	for (int i = 0; i < c->nlogs; i++)
		if (strcmp(c->logs[i].path, v) == 0) {
			conf_error(e, "log: \"%s\" is listed twice", v);
			return;
		}
	if (c->nlogs == CONF_LOGS_MAX) {
		conf_error(e, "log: at most %d logs", CONF_LOGS_MAX);
		return;
	}
	c->logs[c->nlogs].path = xstrdup(v);
	c->logs[c->nlogs].format = xstrdup(fmt != NULL ? fmt : "auto");
	c->nlogs++;
}

static void
conf_key_database(struct conf *c, struct conf_err *e, const char *key, char *v)
{
	if (conf_need_abs(e, key, v) == 0)
		conf_set_str(&c->database, v);
}

static void
conf_key_commit_interval(struct conf *c, struct conf_err *e, const char *key, char *v)
{
	if (conf_duration_ms(v, &c->commit_interval_ms) == -1)
		conf_error(e, "%s: \"%s\" is not a duration from 1ms to 3600s "
		    "(e.g. 250ms or 2s)", key, v);
}

static void
conf_key_commit_lines(struct conf *c, struct conf_err *e, const char *key, char *v)
{
	long	 n;

	if (util_parse_long(v, 1, 1000000, &n) == -1)
		conf_error(e, "%s: \"%s\" is not a number from 1 to 1000000", key, v);
	else
		c->commit_lines = (int)n;
}

static void
conf_key_start(struct conf *c, struct conf_err *e, const char *key, char *v)
{
	if (strcmp(v, "beginning") == 0)
		c->start = CONF_START_BEGINNING;
	else if (strcmp(v, "end") == 0)
		c->start = CONF_START_END;
	else
		conf_error(e, "%s: \"%s\" is neither beginning nor end", key, v);
}

static void
conf_key_pidfile(struct conf *c, struct conf_err *e, const char *key, char *v)
{
	if (conf_need_abs(e, key, v) == 0)
		conf_set_str(&c->pidfile, v);
}

static void
conf_key_rules(struct conf *c, struct conf_err *e, const char *key, char *v)
{
	if (conf_need_abs(e, key, v) == 0)
		conf_set_str(&c->rules, v);
}

static void
conf_key_timezone(struct conf *c, struct conf_err *e, const char *key, char *v)
{
	if (tz_check(v) == -1)
		conf_error(e, "%s: unknown time zone \"%s\"", key, v);
	else
		conf_set_str(&c->timezone, v);
}

static void
conf_key_retention(struct conf *c, struct conf_err *e, const char *key, char *v)
{
	long	 n;

	if (util_parse_long(v, 0, 36500, &n) == -1)
		conf_error(e, "%s: \"%s\" is not a number of days (0 keeps everything)", key, v);
	else
		c->retention_days = (int)n;
}

static void
conf_key_user(struct conf *c, struct conf_err *e, const char *key, char *v)
{
	(void)key;
	conf_set_str(&c->user, v);
	c->user_line = e->line;
}

static void
conf_key_report_to(struct conf *c, struct conf_err *e, const char *key, char *v)
{
	for (const char *p = v; *p; p++)
		if (*p == ' ' || *p == '\'' || *p == '"' || *p == ';' || *p == '|' ||
		    *p == '`' || *p == '$') {
			conf_error(e, "%s: \"%s\" is not a mail address", key, v);
			return;
		}
	conf_set_str(&c->report_to, v);
}

static void
conf_key_report_format(struct conf *c, struct conf_err *e, const char *key, char *v)
{
	if (strcmp(v, "text") != 0 && strcmp(v, "html") != 0)
		conf_error(e, "%s: \"%s\" is neither text nor html", key, v);
	else
		conf_set_str(&c->report_format, v);
}

static void
conf_key_rotate_quiet(struct conf *c, struct conf_err *e, const char *key, char *v)
{
	int	 ms;

	if (conf_duration_ms(v, &ms) == -1 || ms < 1000)
		conf_error(e, "%s: \"%s\" is not a duration of at least 1s", key, v);
	else
		c->rotate_quiet_s = ms / 1000;
}

static void
conf_key_synchronous(struct conf *c, struct conf_err *e, const char *key, char *v)
{
	if (strcmp(v, "full") != 0 && strcmp(v, "normal") != 0)
		conf_error(e, "%s: \"%s\" is neither full nor normal", key, v);
	else
		conf_set_str(&c->synchronous, v);
}

static const struct {
	const char	*key;
	conf_fn		 fn;
	int		 repeatable;
} conf_keys[] = {
	{ "log", conf_key_log, 1 },
	{ "database", conf_key_database, 0 },
	{ "commit_interval", conf_key_commit_interval, 0 },
	{ "commit_lines", conf_key_commit_lines, 0 },
	{ "start", conf_key_start, 0 },
	{ "pidfile", conf_key_pidfile, 0 },
	{ "rules", conf_key_rules, 0 },
	{ "timezone", conf_key_timezone, 0 },
	{ "retention_days", conf_key_retention, 0 },
	{ "user", conf_key_user, 0 },
	{ "report_to", conf_key_report_to, 0 },
	{ "report_format", conf_key_report_format, 0 },
	{ "rotate_quiet", conf_key_rotate_quiet, 0 },
	{ "synchronous", conf_key_synchronous, 0 },
};

int
conf_load_text(const char *name, const char *text, size_t len, struct conf *c,
    char *errbuf, size_t errlen)
{
	struct conf_err	 e = { errbuf, errlen, 0, 0, name, 0 };
	int		 seen[sizeof(conf_keys) / sizeof(conf_keys[0])] = { 0 };
	const char	*p = text, *end = text + len;

	if (errbuf != NULL && errlen > 0)
		errbuf[0] = '\0';
	while (p < end) {
		const char	*eol = memchr(p, '\n', (size_t)(end - p));
		char		 buf[4096], *s, *k, *v, *t;
		size_t		 n, i;

		if (eol == NULL)
			eol = end;
		e.line++;
		n = (size_t)(eol - p);
		s = (char *)p;
		p = eol < end ? eol + 1 : end;
		if (n >= sizeof(buf)) {
			conf_error(&e, "line too long");
			continue;
		}
		memcpy(buf, s, n);
		buf[n] = '\0';
		if (memchr(buf, '\0', n) != NULL) {
			conf_error(&e, "NUL byte in line");
			continue;
		}
		/* comments: '#' at the start or after a blank */
		for (t = buf; *t; t++)
			if (*t == '#' && (t == buf || t[-1] == ' ' || t[-1] == '\t')) {
				*t = '\0';
				break;
			}
		for (s = buf; *s == ' ' || *s == '\t'; s++)
			;
		t = s + strlen(s);
		while (t > s && (t[-1] == ' ' || t[-1] == '\t' || t[-1] == '\r'))
			*--t = '\0';
		if (*s == '\0')
			continue;
		if ((v = strchr(s, '=')) == NULL) {
			conf_error(&e, "expected \"key = value\"");
			continue;
		}
		k = s;
		for (t = v; t > k && (t[-1] == ' ' || t[-1] == '\t'); t--)
			;
		*t = '\0';
		for (v++; *v == ' ' || *v == '\t'; v++)
			;
		if (*k == '\0') {
			conf_error(&e, "missing key before '='");
			continue;
		}
		if (*v == '\0') {
			conf_error(&e, "%s: missing value", k);
			continue;
		}
		for (i = 0; i < sizeof(conf_keys) / sizeof(conf_keys[0]); i++)
			if (strcmp(conf_keys[i].key, k) == 0)
				break;
		if (i == sizeof(conf_keys) / sizeof(conf_keys[0])) {
			conf_error(&e, "unknown key \"%s\"", k);
			continue;
		}
		if (seen[i] && !conf_keys[i].repeatable) {
			conf_error(&e, "%s: given twice", k);
			continue;
		}
		seen[i] = 1;
		conf_keys[i].fn(c, &e, k, v);
	}
	return e.n;
}

int
conf_load(const char *path, struct conf *c, int missing_ok, char *errbuf,
    size_t errlen)
{
	FILE		*f;
	struct stat	 sb;
	char		*text = NULL;
	size_t		 len = 0, cap = 0, n;
	int		 ret;

	if ((f = fopen(path, "r")) == NULL) {
		if (missing_ok && errno == ENOENT)
			return 0;
		snprintf(errbuf, errlen, "%s: %s\n", path, strerror(errno));
		return 1;
	}
	if (fstat(fileno(f), &sb) == 0 && (sb.st_mode & S_IWOTH)) {
		snprintf(errbuf, errlen, "%s: writable by anyone: refusing it\n", path);
		fclose(f);
		return 1;
	}
	for (;;) {
		if (len + 4096 > cap) {
			cap = cap ? cap * 2 : 8192;
			text = xrealloc(text, cap);
		}
		if ((n = fread(text + len, 1, cap - len, f)) == 0)
			break;
		len += n;
	}
	fclose(f);
	ret = conf_load_text(path, text, len, c, errbuf, errlen);
	free(text);
	if (ret == 0)
		conf_set_str(&c->path, path);
	return ret;
}
