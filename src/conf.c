/*
 * conf.c -- see conf.h.  One table describes every key: its type, bounds,
 * default and field; the line reader, the value parsers of each type and
 * the defaults all walk it.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "tz.h"
#include "util.h"

/*
 * Makefile.am defines the paths from the directories chosen at configure
 * time; these are the same paths with Debian's directories, for builds
 * outside automake (scripts/fuzz.sh).
 */
#ifndef PATH_DB
#define PATH_DB		"/var/lib/bouncewatch/bouncewatch.db"
#endif
#ifndef PATH_PIDFILE
#define PATH_PIDFILE	"/run/bouncewatch/bouncewatchd.pid"
#endif

#define CONF_LINE_MAX	4096

/* Every error of one load, one "file:line: message" line each. */
struct conf_err {
	char		*buf;
	int		 n;
	const char	*file;
	int		 line;
};

static void conf_error(struct conf_err *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
conf_error_add(struct conf_err *e, const char *msg)
{
	if (e->line > 0)
		xlistadd(&e->buf, "%s:%d: %s", e->file, e->line, msg);
	else
		xlistadd(&e->buf, "%s: %s", e->file, msg);
	e->n++;
}

static void
conf_error(struct conf_err *e, const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[CONF_LINE_MAX + 256];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	conf_error_add(e, msg);
}

/* A single cause as a one-line list (with its newline). */
static void
conf_cause_line(char **cause)
{
	char	*c = *cause;

	*cause = xasprintf("%s\n", c);
	free(c);
}

/* -1 and the list in *cause if there was an error, else 0. */
static int
conf_error_done(struct conf_err *e, char **cause)
{
	if (e->n == 0)
		return 0;
	*cause = e->buf;
	return -1;
}

static int conf_set_log(struct conf *, const struct conf_entry *, char *, int,
    char **);
static int conf_set_database(struct conf *, const struct conf_entry *, char *,
    int, char **);
static int conf_set_timezone(struct conf *, const struct conf_entry *, char *,
    int, char **);
static int conf_set_user(struct conf *, const struct conf_entry *, char *, int,
    char **);
static int conf_set_report_to(struct conf *, const struct conf_entry *, char *,
    int, char **);
static int conf_set_rate_jump(struct conf *, const struct conf_entry *, char *,
    int, char **);

static int conf_set_journal_match(struct conf *, const struct conf_entry *,
    char *, int, char **);
static int conf_set_node(struct conf *, const struct conf_entry *, char *, int,
    char **);
static int conf_set_metrics_listen(struct conf *, const struct conf_entry *,
    char *, int, char **);

static const char *const conf_start_words[] = { "beginning", "end", NULL };
static const char *const conf_format_words[] = { "text", "html", NULL };
static const char *const conf_sync_words[] = { "full", "normal", NULL };

#define CONF_AT(f)	offsetof(struct conf, f)
#define CONF_HOUR	(3600LL * 1000)
#define CONF_DAY	(24 * CONF_HOUR)

const struct conf_entry conf_table[] = {
	{ .name = "log", .type = CONF_PATH, .offset = CONF_AT(logs),
	  .flags = CONF_REPEAT | CONF_AUTO, .set = conf_set_log },
	{ .name = "database", .type = CONF_STRING, .def = PATH_DB,
	  .offset = CONF_AT(database), .set = conf_set_database },
	{ .name = "commit_interval", .type = CONF_DURATION, .min = 1,
	  .max = CONF_HOUR, .unit = 1, .def = "250ms",
	  .offset = CONF_AT(commit_interval_ms) },
	{ .name = "commit_lines", .type = CONF_INTEGER, .min = 1, .max = 1000000,
	  .def = "100000", .offset = CONF_AT(commit_lines) },
	{ .name = "start", .type = CONF_ENUM, .choices = conf_start_words,
	  .def = "beginning", .offset = CONF_AT(start) },
	{ .name = "pidfile", .type = CONF_PATH, .def = PATH_PIDFILE,
	  .offset = CONF_AT(pidfile) },
	{ .name = "rules", .type = CONF_PATH, .offset = CONF_AT(rules) },
	{ .name = "timezone", .type = CONF_STRING, .offset = CONF_AT(timezone),
	  .set = conf_set_timezone },
	{ .name = "retention_days", .type = CONF_INTEGER, .min = 0, .max = 36500,
	  .def = "0", .offset = CONF_AT(retention_days) },
	{ .name = "user", .type = CONF_STRING, .offset = CONF_AT(user),
	  .set = conf_set_user },
	{ .name = "report_to", .type = CONF_STRING, .def = "root",
	  .offset = CONF_AT(report_to), .set = conf_set_report_to },
	{ .name = "report_format", .type = CONF_ENUM, .choices = conf_format_words,
	  .def = "text", .offset = CONF_AT(report_format), .flags = CONF_WORD },
	{ .name = "rotate_quiet", .type = CONF_DURATION, .min = 1000,
	  .max = CONF_HOUR, .unit = 1000, .def = "60s",
	  .offset = CONF_AT(rotate_quiet_s) },
	{ .name = "synchronous", .type = CONF_ENUM, .choices = conf_sync_words,
	  .def = "full", .offset = CONF_AT(synchronous), .flags = CONF_WORD },
	{ .name = "journal", .type = CONF_BOOLEAN, .def = "no",
	  .offset = CONF_AT(journal) },
	{ .name = "journal_directory", .type = CONF_PATH,
	  .offset = CONF_AT(journal_directory) },
	{ .name = "journal_match", .type = CONF_STRING, .def = "SYSLOG_FACILITY=2",
	  .offset = CONF_AT(journal_match), .set = conf_set_journal_match },
	{ .name = "quiet_warning", .type = CONF_DURATION, .min = 60 * 1000LL,
	  .max = 30 * CONF_DAY, .unit = 1000, .def = "6h",
	  .offset = CONF_AT(quiet_warning_s) },
	{ .name = "node", .type = CONF_STRING, .offset = CONF_AT(node),
	  .flags = CONF_COMPUTED, .set = conf_set_node },
	{ .name = "queue_lifetime", .type = CONF_DURATION, .min = 60 * 1000LL,
	  .max = 100 * CONF_DAY, .unit = 1000, .def = "5d",
	  .offset = CONF_AT(queue_lifetime_s) },
	{ .name = "metrics_listen", .type = CONF_STRING,
	  .offset = CONF_AT(metrics_listen), .set = conf_set_metrics_listen },
	{ .name = "metrics_domains", .type = CONF_INTEGER, .min = 0, .max = 1000,
	  .def = "20", .offset = CONF_AT(metrics_domains) },
	{ .name = "alert_command", .type = CONF_PATH,
	  .offset = CONF_AT(alert_command) },
	{ .name = "alert_to", .type = CONF_STRING, .offset = CONF_AT(alert_to),
	  .set = conf_set_report_to },
	{ .name = "alert_min_failures", .type = CONF_INTEGER, .min = 1,
	  .max = 1000000, .def = "20", .offset = CONF_AT(alert_min_failures) },
	{ .name = "alert_window", .type = CONF_DURATION, .min = 60 * 1000LL,
	  .max = 24 * CONF_HOUR, .unit = 1000, .def = "15min",
	  .offset = CONF_AT(alert_window_s) },
	{ .name = "alert_rate_jump", .type = CONF_STRING, .def = "2x+10",
	  .offset = CONF_AT(alert_rate_jump), .set = conf_set_rate_jump },
	{ .name = "alert_repeat", .type = CONF_DURATION, .min = 60 * 1000LL,
	  .max = 30 * 24 * CONF_HOUR, .unit = 1000, .def = "6h",
	  .offset = CONF_AT(alert_repeat_s) },
	{ .name = "alert_timeout", .type = CONF_DURATION, .min = 1000,
	  .max = CONF_HOUR, .unit = 1000, .def = "30s",
	  .offset = CONF_AT(alert_timeout_s) },
	{ .name = NULL }
};

static void *
conf_field(struct conf *c, const struct conf_entry *ce)
{
	return (char *)c + ce->offset;
}

static void
conf_set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = xstrdup(v);
}

/* "250ms", "1.5 s", "6h": milliseconds, or -1. */
static long long
conf_duration_ms(const char *v)
{
	static const struct {
		const char	*unit;
		double		 ms;
	} units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "min", 60 * 1000.0 },
		{ "h", 3600 * 1000.0 }, { "d", 86400 * 1000.0 },
	};
	char	*end;
	double	 d;
	size_t	 i;

	errno = 0;
	d = strtod(v, &end);
	if (errno != 0 || end == v || !isfinite(d) || d < 0)
		return -1;
	while (*end == ' ')
		end++;
	for (i = 0; i < nitems(units); i++)
		if (strcmp(end, units[i].unit) == 0)
			break;
	if (i == nitems(units))
		return -1;
	d *= units[i].ms;
	if (!(d < 1e15))
		return -1;
	return (long long)d;
}

/* A bound of a duration as the man page writes it: "1ms", "3600s", "6h". */
static void
conf_duration_text(long long ms, char *buf, size_t len)
{
	if (ms % 1000 != 0)
		snprintf(buf, len, "%lldms", ms);
	else if (ms % (86400 * 1000LL) == 0 && ms >= 86400 * 1000LL * 2)
		snprintf(buf, len, "%lldd", ms / (86400 * 1000LL));
	else
		snprintf(buf, len, "%llds", ms / 1000);
}

static int
conf_parse_bool(const char *v, int *b)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t	 i;

	for (i = 0; i < nitems(yes); i++) {
		if (strcmp(v, yes[i]) == 0) {
			*b = 1;
			return 0;
		}
		if (strcmp(v, no[i]) == 0) {
			*b = 0;
			return 0;
		}
	}
	return -1;
}

/* The type's parser: store v in c, or -1 with *cause. */
static int
conf_set_value(struct conf *c, const struct conf_entry *ce, char *v, int line,
    char **cause)
{
	void		*field = conf_field(c, ce);
	long		 n;
	long long	 ms;
	char		 lo[32], hi[32];
	int		 i, b;

	switch (ce->type) {
	case CONF_INTEGER:
		if (util_parse_long(v, (long)ce->min, (long)ce->max, &n) == -1) {
			*cause = xasprintf("%s: \"%s\" is not a number from %lld to %lld",
			    ce->name, v, ce->min, ce->max);
			return -1;
		}
		*(int *)field = (int)n;
		break;
	case CONF_DURATION:
		ms = conf_duration_ms(v);
		if (ms < ce->min || ms > ce->max) {
			conf_duration_text(ce->min, lo, sizeof(lo));
			conf_duration_text(ce->max, hi, sizeof(hi));
			*cause = xasprintf("%s: \"%s\" is not a duration from %s to %s "
			    "(a number and ms, s, min, h or d)", ce->name, v, lo, hi);
			return -1;
		}
		*(int *)field = (int)(ms / ce->unit);
		break;
	case CONF_PATH:
		if ((ce->flags & CONF_AUTO) && strncmp(v, "auto", 4) == 0 &&
		    (v[4] == '\0' || v[4] == ' ' || v[4] == '\t'))
			;
		else if (v[0] != '/') {
			*cause = xasprintf("%s: \"%s\" is not an absolute path",
			    ce->name, v);
			return -1;
		}
		if (ce->set == NULL)
			conf_set_str(field, v);
		break;
	case CONF_ENUM:
		for (i = 0; ce->choices[i] != NULL; i++)
			if (strcmp(ce->choices[i], v) == 0)
				break;
		if (ce->choices[i] == NULL) {
			*cause = xasprintf("%s: \"%s\" is neither %s nor %s", ce->name,
			    v, ce->choices[0], ce->choices[1]);
			return -1;
		}
		if (ce->flags & CONF_WORD)
			conf_set_str(field, v);
		else
			*(int *)field = i;
		break;
	case CONF_BOOLEAN:
		if (conf_parse_bool(v, &b) == -1) {
			*cause = xasprintf("%s: \"%s\" is neither yes nor no", ce->name, v);
			return -1;
		}
		*(int *)field = b;
		break;
	case CONF_STRING:
		if (ce->set == NULL)
			conf_set_str(field, v);
		break;
	}
	if (ce->set != NULL)
		return ce->set(c, ce, v, line, cause);
	return 0;
}

/* log = PATH [FORMAT], or log = auto */
static int
conf_set_log(struct conf *c, const struct conf_entry *ce, char *v, int line,
    char **cause)
{
	char	*fmt = NULL, *sp;
	int	 i;

	(void)ce;
	(void)line;
	if ((sp = strpbrk(v, " \t")) != NULL) {
		*sp++ = '\0';
		while (*sp == ' ' || *sp == '\t')
			sp++;
		fmt = sp;
	}
	if (fmt != NULL && strcmp(fmt, "auto") != 0 && strcmp(fmt, "postfix") != 0 &&
	    strcmp(fmt, "hurricane") != 0) {
		*cause = xasprintf("log: unknown format \"%s\" (auto, postfix or "
		    "hurricane)", fmt);
		return -1;
	}
	for (i = 0; i < c->nlogs; i++)
		if (strcmp(c->logs[i].path, v) == 0) {
			*cause = xasprintf("log: \"%s\" is listed twice", v);
			return -1;
		}
	if (c->nlogs == CONF_LOGS_MAX) {
		*cause = xasprintf("log: at most %d logs", CONF_LOGS_MAX);
		return -1;
	}
	c->logs[c->nlogs].path = xstrdup(v);
	c->logs[c->nlogs].format = xstrdup(fmt != NULL ? fmt : "auto");
	c->nlogs++;
	return 0;
}

/* A PostgreSQL connection URI (postgresql:// or postgres://)? */
static int
conf_is_pg_uri(const char *v)
{
	return strncmp(v, "postgresql://", 13) == 0 || strncmp(v, "postgres://", 11) == 0;
}

/* database = PATH, or a PostgreSQL URI (for the fleet's shared database) */
static int
conf_set_database(struct conf *c, const struct conf_entry *ce, char *v,
    int line, char **cause)
{
	(void)line;
	if (v[0] != '/' && !conf_is_pg_uri(v)) {
		*cause = xasprintf("%s: \"%s\" is neither an absolute path nor a "
		    "postgresql:// URI", ce->name, v);
		return -1;
	}
	conf_set_str(&c->database, v);
	return 0;
}

/*
 * Does the configuration hold a password?  A PostgreSQL URI with one in
 * its user part ("postgresql://u:secret@host/db") or its parameters
 * ("?password=secret").
 */
static int
conf_has_secret(const struct conf *c)
{
	const char	*v = c->database, *auth, *end, *at = NULL, *p;

	if (v == NULL || !conf_is_pg_uri(v))
		return 0;
	if (strstr(v, "password=") != NULL)
		return 1;
	auth = strstr(v, "://") + 3;
	end = auth + strcspn(auth, "/?#");
	for (p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	return at != NULL && memchr(auth, ':', (size_t)(at - auth)) != NULL;
}

int
conf_file_safe(const char *path, const struct stat *sb, int flags, char **cause)
{
	uid_t	 me = geteuid();

	if (sb->st_mode & S_IWOTH) {
		*cause = xasprintf("%s: writable by anyone: refusing it "
		    "(chmod o-w)", path);
		return -1;
	}
	if (sb->st_mode & S_IWGRP) {
		*cause = xasprintf("%s: writable by its group: refusing it "
		    "(chmod g-w)", path);
		return -1;
	}
	if (sb->st_uid != 0 && sb->st_uid != me) {
		*cause = xasprintf("%s: owned by uid %lu, neither root nor the "
		    "running user (uid %lu): refusing it", path,
		    (unsigned long)sb->st_uid, (unsigned long)me);
		return -1;
	}
	if ((flags & CONF_SAFE_SECRET) && (sb->st_mode & (S_IRGRP | S_IROTH))) {
		*cause = xasprintf("%s: holds a password but is readable by %s: "
		    "refusing it (chmod go-r)", path,
		    (sb->st_mode & S_IROTH) ? "anyone" : "its group");
		return -1;
	}
	return 0;
}

/* "FIELD=value" terms separated by blanks; FIELD as journal fields are */
static int
conf_set_journal_match(struct conf *c, const struct conf_entry *ce, char *v,
    int line, char **cause)
{
	const char	*p = v, *f;

	(void)line;
	while (*p != '\0') {
		for (f = p; (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    *p == '_'; p++)
			;
		if (p == f || (*f >= '0' && *f <= '9') || *p != '=') {
			*cause = xasprintf("%s: \"%s\" is not FIELD=value (such as "
			    "SYSLOG_FACILITY=2 or _SYSTEMD_UNIT=postfix@-.service)",
			    ce->name, v);
			return -1;
		}
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
		while (*p == ' ' || *p == '\t')
			p++;
	}
	conf_set_str(&c->journal_match, v);
	return 0;
}

/* A host name: letters, digits, '.', '-', '_', at most 253 bytes. */
static int
conf_set_node(struct conf *c, const struct conf_entry *ce, char *v, int line,
    char **cause)
{
	(void)line;
	if (strlen(v) > 253 || strspn(v, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") != strlen(v)) {
		*cause = xasprintf("%s: \"%s\" is not a host name", ce->name, v);
		return -1;
	}
	conf_set_str(&c->node, v);
	return 0;
}

/* off, HOST:PORT, [V6]:PORT, or the absolute path of a unix socket. */
static int
conf_set_metrics_listen(struct conf *c, const struct conf_entry *ce, char *v,
    int line, char **cause)
{
	const char	*colon = strrchr(v, ':');
	long		 port;

	(void)line;
	free(c->metrics_listen);
	c->metrics_listen = NULL;
	if (strcmp(v, "off") == 0)
		return 0;
	if (v[0] != '/' && (colon == NULL || colon == v ||
	    util_parse_long(colon + 1, 1, 65535, &port) == -1 ||
	    (v[0] == '[' && colon[-1] != ']'))) {
		*cause = xasprintf("%s: \"%s\" is neither off, ADDRESS:PORT nor "
		    "the absolute path of a socket", ce->name, v);
		return -1;
	}
	c->metrics_listen = xstrdup(v);
	return 0;
}

static int
conf_set_timezone(struct conf *c, const struct conf_entry *ce, char *v,
    int line, char **cause)
{
	(void)line;
	if (tz_check(v) == -1) {
		*cause = xasprintf("%s: unknown time zone \"%s\"", ce->name, v);
		return -1;
	}
	conf_set_str(&c->timezone, v);
	return 0;
}

static int
conf_set_user(struct conf *c, const struct conf_entry *ce, char *v, int line,
    char **cause)
{
	(void)ce;
	(void)cause;
	conf_set_str(&c->user, v);
	c->user_line = line;
	return 0;
}

static int
conf_set_report_to(struct conf *c, const struct conf_entry *ce, char *v,
    int line, char **cause)
{
	(void)line;
	if (strpbrk(v, " '\";|`$") != NULL) {
		*cause = xasprintf("%s: \"%s\" is not a mail address", ce->name, v);
		return -1;
	}
	conf_set_str((char **)conf_field(c, ce), v);
	return 0;
}

/* "FACTORx+POINTS" (2x+10: twice the usual rate and 10 points more), or off. */
static int
conf_set_rate_jump(struct conf *c, const struct conf_entry *ce, char *v,
    int line, char **cause)
{
	char	 f[16], p[16], x;
	long	 factor, points;

	(void)line;
	if (strcmp(v, "off") == 0)
		factor = points = 0;
	else if (sscanf(v, "%15[0-9]x+%15[0-9]%c", f, p, &x) != 2 ||
	    util_parse_long(f, 1, 100, &factor) == -1 ||
	    util_parse_long(p, 0, 100, &points) == -1) {
		*cause = xasprintf("%s: \"%s\" is not FACTORx+POINTS (1 to 100, "
		    "0 to 100) or off", ce->name, v);
		return -1;
	}
	conf_set_str(&c->alert_rate_jump, v);
	c->alert_rate_factor = (int)factor;
	c->alert_rate_points = (int)points;
	return 0;
}

/* node's default: the host name */
static char *
conf_hostname(void)
{
	char	 name[256];

	if (gethostname(name, sizeof(name)) == -1 || name[0] == '\0')
		return xstrdup("localhost");
	name[sizeof(name) - 1] = '\0';
	return xstrdup(name);
}

void
conf_defaults(struct conf *c)
{
	const struct conf_entry	*ce;
	char			*v, *cause;

	memset(c, 0, sizeof(*c));
	for (ce = conf_table; ce->name != NULL; ce++) {
		if (ce->def == NULL)
			continue;
		v = xstrdup(ce->def);
		if (conf_set_value(c, ce, v, 0, &cause) == -1)
			fatalx("built-in default: %s", cause);
		free(v);
	}
	c->node = conf_hostname();
}

void
conf_free(struct conf *c)
{
	const struct conf_entry	*ce;
	int			 i;

	for (i = 0; i < c->nlogs; i++) {
		free(c->logs[i].path);
		free(c->logs[i].format);
	}
	for (ce = conf_table; ce->name != NULL; ce++)
		if ((ce->type == CONF_PATH || ce->type == CONF_STRING ||
		    (ce->type == CONF_ENUM && (ce->flags & CONF_WORD))) &&
		    ce->set != conf_set_log)
			free(*(char **)conf_field(c, ce));
	free(c->path);
	memset(c, 0, sizeof(*c));
}

/* One line: blank, comment or "key = value". */
static void
conf_line(struct conf *c, struct conf_err *e, char *buf, int *seen)
{
	const struct conf_entry	*ce;
	char			*s, *k, *v, *t, *cause;

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
		return;
	if ((v = strchr(s, '=')) == NULL) {
		conf_error(e, "expected \"key = value\"");
		return;
	}
	k = s;
	for (t = v; t > k && (t[-1] == ' ' || t[-1] == '\t'); t--)
		;
	*t = '\0';
	for (v++; *v == ' ' || *v == '\t'; v++)
		;
	if (*k == '\0') {
		conf_error(e, "missing key before '='");
		return;
	}
	if (*v == '\0') {
		conf_error(e, "%s: missing value", k);
		return;
	}
	for (ce = conf_table; ce->name != NULL; ce++)
		if (strcmp(ce->name, k) == 0)
			break;
	if (ce->name == NULL) {
		conf_error(e, "unknown key \"%s\"", k);
		return;
	}
	if (seen[ce - conf_table] && !(ce->flags & CONF_REPEAT)) {
		conf_error(e, "%s: given twice", k);
		return;
	}
	seen[ce - conf_table] = 1;
	if (conf_set_value(c, ce, v, e->line, &cause) == -1) {
		conf_error_add(e, cause);
		free(cause);
	}
}

int
conf_load_text(const char *name, const char *text, size_t len, struct conf *c,
    char **cause)
{
	struct conf_err	 e = { NULL, 0, name, 0 };
	int		 seen[nitems(conf_table)] = { 0 };
	const char	*p = text, *end = text + len, *eol;
	char		 buf[CONF_LINE_MAX];
	size_t		 n;

	while (p < end) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		e.line++;
		n = (size_t)(eol - p);
		if (n >= sizeof(buf))
			conf_error(&e, "line too long");
		else if (memchr(p, '\0', n) != NULL)
			conf_error(&e, "NUL byte in line");
		else {
			memcpy(buf, p, n);
			buf[n] = '\0';
			conf_line(c, &e, buf, seen);
		}
		p = eol < end ? eol + 1 : end;
	}
	/* the built-in default: log = auto, unless a journal is configured */
	if (c->nlogs == 0 && !c->journal && c->journal_directory == NULL) {
		char	 word[] = "auto", *ignored = NULL;

		(void)conf_set_log(c, NULL, word, 0, &ignored);
	}
	return conf_error_done(&e, cause);
}

int
conf_load(const char *path, struct conf *c, int missing_ok, char **cause)
{
	FILE		*f;
	struct stat	 sb;
	char		*text = NULL;
	size_t		 len = 0, cap = 0, n;
	int		 ret;

	if ((f = fopen(path, "r")) == NULL) {
		if (missing_ok && errno == ENOENT)
			return 0;
		*cause = xasprintf("%s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &sb) == -1) {
		*cause = xasprintf("%s: %s\n", path, strerror(errno));
		fclose(f);
		return -1;
	}
	if (conf_file_safe(path, &sb, 0, cause) == -1) {
		conf_cause_line(cause);
		fclose(f);
		return -1;
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
	conf_set_str(&c->path, path);	/* for conf_validate's messages */
	ret = conf_load_text(path, text, len, c, cause);
	free(text);
	if (ret == 0 && conf_has_secret(c) &&
	    conf_file_safe(path, &sb, CONF_SAFE_SECRET, cause) == -1) {
		conf_cause_line(cause);
		return -1;
	}
	return ret;
}

int
conf_validate(const struct conf *c, char **cause)
{
	struct conf_err	 e = { NULL, 0, c->path != NULL ? c->path :
			    "configuration", 0 };

	if (c->nlogs == 0 && !c->journal && c->journal_directory == NULL)
		conf_error(&e, "no \"log = PATH\" line: nothing to follow");
#ifndef HAVE_LIBPQ
	/* built without the PostgreSQL backend: say so, not "cannot open" */
	if (conf_is_pg_uri(c->database))
		conf_error(&e, "database: PostgreSQL is not supported by this build");
#endif
	if (c->user != NULL && getpwnam(c->user) == NULL) {
		e.line = c->user_line;
		conf_error(&e, "user: \"%s\" does not exist", c->user);
	}
	return conf_error_done(&e, cause);
}
