/*
 * test_conf.c -- bouncewatch.conf(5): every key, defaults, and errors
 * reported as file:line, all of them, before failing.
 */
#include "config.h"		/* _GNU_SOURCE: strcasestr */

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

#include "conf.h"

/* The number of lines of a cause: one per error. */
static int
cause_lines(const char *cause, char *err, size_t errlen)
{
	int	 n = 0;

	snprintf(err, errlen, "%s", cause != NULL ? cause : "");
	for (; cause != NULL && *cause != '\0'; cause++)
		n += *cause == '\n';
	return n;
}

/* conf_load_text over the defaults; the number of errors, their text in err. */
static int
load(const char *text, struct conf *c, char *err, size_t errlen)
{
	char	*cause = NULL;
	int	 ret, n;

	conf_defaults(c);
	ret = conf_load_text("t.conf", text, strlen(text), c, &cause);
	n = cause_lines(cause, err, errlen);
	assert_true(ret == 0 ? cause == NULL : ret == -1 && n > 0);
	free(cause);
	return n;
}

/* conf_load, the same way. */
static int
load_file(const char *path, struct conf *c, int missing_ok, char *err,
    size_t errlen)
{
	char	*cause = NULL;
	int	 ret, n;

	ret = conf_load(path, c, missing_ok, &cause);
	n = cause_lines(cause, err, errlen);
	assert_true(ret == 0 ? cause == NULL : ret == -1 && n > 0);
	free(cause);
	return n;
}

static void
test_defaults(void **state)
{
	struct conf	 c;
	char		 err[1024];

	(void)state;
	assert_int_equal(load("", &c, err, sizeof(err)), 0);
	assert_int_equal(c.nlogs, 1);		/* log = auto */
	assert_string_equal(c.logs[0].path, "auto");
	assert_int_equal(c.commit_interval_ms, 250);
	assert_int_equal(c.commit_lines, 100000);
	assert_int_equal(c.start, CONF_START_BEGINNING);
	assert_int_equal(c.retention_days, 0);
	assert_string_equal(c.synchronous, "full");
	assert_string_equal(c.report_format, "text");
	assert_non_null(strstr(c.database, "bouncewatch.db"));
	conf_free(&c);
}

static void
test_every_key(void **state)
{
	static const char text[] =
	    "# comment\n"
	    "   \n"
	    "log = /var/log/mail.log\n"
	    "log = /var/log/hurricane.log hurricane   # trailing comment\n"
	    "database = /srv/bw.db\n"
	    "commit_interval = 2s\n"
	    "commit_lines = 500\n"
	    "start = end\n"
	    "pidfile = /run/x.pid\n"
	    "rules = /etc/bouncewatch/rules\n"
	    "timezone = Europe/Berlin\n"
	    "retention_days = 90\n"
	    "user = bouncewatch\n"
	    "report_to = postmaster@example.com\n"
	    "report_format = html\n"
	    "rotate_quiet = 30s\n"
	    "synchronous = normal\r\n";
	struct conf	 c;
	char		 err[1024];

	(void)state;
	assert_int_equal(load(text, &c, err, sizeof(err)), 0);
	assert_int_equal(c.nlogs, 2);
	assert_string_equal(c.logs[0].path, "/var/log/mail.log");
	assert_string_equal(c.logs[0].format, "auto");
	assert_string_equal(c.logs[1].format, "hurricane");
	assert_string_equal(c.database, "/srv/bw.db");
	assert_int_equal(c.commit_interval_ms, 2000);
	assert_int_equal(c.commit_lines, 500);
	assert_int_equal(c.start, CONF_START_END);
	assert_string_equal(c.pidfile, "/run/x.pid");
	assert_string_equal(c.rules, "/etc/bouncewatch/rules");
	assert_string_equal(c.timezone, "Europe/Berlin");
	assert_int_equal(c.retention_days, 90);
	assert_string_equal(c.user, "bouncewatch");
	assert_string_equal(c.report_to, "postmaster@example.com");
	assert_string_equal(c.report_format, "html");
	assert_int_equal(c.rotate_quiet_s, 30);
	assert_string_equal(c.synchronous, "normal");
	conf_free(&c);
}

/* The keys of the journal source, the fleet and the metrics (issue 12). */
static void
test_new_keys(void **state)
{
	static const char text[] =
	    "log = auto\n"
	    "log = /var/log/hurricane.log hurricane\n"
	    "journal = yes\n"
	    "journal_directory = /srv/journals/mx1\n"
	    "journal_match = _SYSTEMD_UNIT=postfix@-.service SYSLOG_FACILITY=2\n"
	    "quiet_warning = 90min\n"
	    "node = mx1.example.com\n"
	    "queue_lifetime = 2.5d\n"
	    "metrics_listen = [::1]:9465\n";
	static const char bad[] =
	    "journal = maybe\n"				/* 1 */
	    "journal_directory = journals\n"		/* 2 */
	    "journal_match = facility=2\n"		/* 3 */
	    "quiet_warning = 10s\n"			/* 4 */
	    "node = mx 1\n"				/* 5 */
	    "queue_lifetime = 1000d\n"			/* 6 */
	    "metrics_listen = localhost\n"		/* 7 */
	    "log = autumn.log\n";			/* 8 */
	static const char *const want[] = {
	    "t.conf:1: journal:", "t.conf:2: journal_directory:", "t.conf:3: journal_match:",
	    "t.conf:4: quiet_warning:", "t.conf:5: node:", "t.conf:6: queue_lifetime:",
	    "t.conf:7: metrics_listen:", "t.conf:8: log:",
	};
	struct conf	 c;
	char		 err[4096], host[256];
	size_t		 i;

	(void)state;
	/* defaults */
	assert_int_equal(load("", &c, err, sizeof(err)), 0);
	assert_int_equal(c.journal, 0);
	assert_null(c.journal_directory);
	assert_string_equal(c.journal_match, "SYSLOG_FACILITY=2");
	assert_int_equal(c.quiet_warning_s, 6 * 3600);
	assert_int_equal(c.queue_lifetime_s, 5 * 86400);
	assert_null(c.metrics_listen);
	assert_int_equal(gethostname(host, sizeof(host)), 0);
	assert_string_equal(c.node, host);
	conf_free(&c);

	assert_int_equal(load(text, &c, err, sizeof(err)), 0);
	assert_int_equal(c.nlogs, 2);
	assert_string_equal(c.logs[0].path, "auto");
	assert_string_equal(c.logs[0].format, "auto");
	assert_int_equal(c.journal, 1);
	assert_string_equal(c.journal_directory, "/srv/journals/mx1");
	assert_string_equal(c.journal_match,
	    "_SYSTEMD_UNIT=postfix@-.service SYSLOG_FACILITY=2");
	assert_int_equal(c.quiet_warning_s, 5400);
	assert_string_equal(c.node, "mx1.example.com");
	assert_int_equal(c.queue_lifetime_s, 216000);
	assert_string_equal(c.metrics_listen, "[::1]:9465");
	conf_free(&c);
	assert_int_equal(load("metrics_listen = off\n", &c, err, sizeof(err)), 0);
	assert_null(c.metrics_listen);
	conf_free(&c);

	assert_int_equal(load(bad, &c, err, sizeof(err)), 8);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (strstr(err, want[i]) == NULL)
			fail_msg("missing \"%s\" in:\n%s", want[i], err);
	conf_free(&c);
}

/* Every error, with its line, in one pass. */
static void
test_errors(void **state)
{
	static const char text[] =
	    "log = relative.log\n"			/* 1 */
	    "commit_interval = nan\n"			/* 2 */
	    "commit_interval = 250\n"			/* 3: no unit (and twice) */
	    "commit_lines = 0\n"			/* 4 */
	    "start = middle\n"				/* 5 */
	    "timezone = Mars/Olympus\n"			/* 6 */
	    "retention_days = -1\n"			/* 7 */
	    "report_to = root; rm -rf /\n"		/* 8 */
	    "report_format = pdf\n"			/* 9 */
	    "synchronous = off\n"			/* 10 */
	    "colour = blue\n"				/* 11 */
	    "no equals sign\n"				/* 12 */
	    "database =\n"				/* 13 */
	    "log = /a.log sideways\n"			/* 14 */
	    "rotate_quiet = 10ms\n"			/* 15 */
	    "log = /var/log/mail.log\n"			/* 16 */
	    "log = /var/log/mail.log\n";		/* 17 */
	static const char *const want[] = {
	    "t.conf:1: log:", "t.conf:2: commit_interval:", "t.conf:3: commit_interval: given twice",
	    "t.conf:4: commit_lines:", "t.conf:5: start:", "t.conf:6: timezone:",
	    "t.conf:7: retention_days:", "t.conf:8: report_to:", "t.conf:9: report_format:",
	    "t.conf:10: synchronous:", "t.conf:11: unknown key \"colour\"", "t.conf:12: expected",
	    "t.conf:13: database: missing value", "t.conf:14: log: unknown format",
	    "t.conf:15: rotate_quiet:", "t.conf:17: log: \"/var/log/mail.log\" is listed twice",
	};
	struct conf	 c;
	char		 err[8192];
	size_t		 i;

	(void)state;
	assert_int_equal(load(text, &c, err, sizeof(err)), 16);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (strstr(err, want[i]) == NULL)
			fail_msg("missing \"%s\" in:\n%s", want[i], err);
	conf_free(&c);
	/* NaN must not slip through as a garbage interval */
	assert_int_equal(load("commit_interval = nans\n", &c, err, sizeof(err)), 1);
	assert_int_equal(c.commit_interval_ms, 250);
	conf_free(&c);
}

static void
test_files(void **state)
{
	char		 dir[] = "/tmp/bw-conf.XXXXXX", path[256], err[1024];
	struct conf	 c;
	FILE		*f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/bw.conf", dir);
	conf_defaults(&c);
	assert_int_equal(load_file(path, &c, 1, err, sizeof(err)), 0);	/* missing is fine */
	assert_int_equal(load_file(path, &c, 0, err, sizeof(err)), 1);	/* unless required */
	assert_non_null(strstr(err, path));
	f = fopen(path, "w");
	fputs("log = /var/log/mail.log\n", f);
	fclose(f);
	assert_int_equal(load_file(path, &c, 0, err, sizeof(err)), 0);
	assert_string_equal(c.path, path);
	conf_free(&c);
	conf_defaults(&c);
	chmod(path, 0666);
	assert_int_equal(load_file(path, &c, 0, err, sizeof(err)), 1);
	assert_non_null(strstr(err, "writable by anyone"));
	conf_free(&c);
	unlink(path);
	rmdir(dir);
}

/* Write text to path with mode; returns path. */
static const char *
put(const char *path, const char *text, mode_t mode)
{
	FILE	*f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

/*
 * Unsafe files are refused, as sshd does (issue 11 #10): group- or
 * world-writable, owned by someone else than root or us, and a password
 * readable by others.
 */
static void
test_unsafe(void **state)
{
	static const char *const secrets[] = {
		"database = postgresql://bw:s3cret@db.example.com/bw\n",
		"database = postgres://db.example.com/bw?user=bw&password=s3cret\n",
	};
	char		 dir[] = "/tmp/bw-conf.XXXXXX", path[256], err[1024];
	struct conf	 c;
	struct stat	 sb;
	char		*cause = NULL;
	size_t		 i;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/bw.conf", dir);
	conf_defaults(&c);
	put(path, "log = /var/log/mail.log\n", 0664);
	assert_int_equal(load_file(path, &c, 0, err, sizeof(err)), 1);
	assert_non_null(strstr(err, "writable by its group"));
	assert_null(c.path);	/* nothing was read */
	put(path, "log = /var/log/mail.log\n", 0644);
	assert_int_equal(load_file(path, &c, 0, err, sizeof(err)), 0);
	conf_free(&c);

	/* a password: only its owner may read the file */
	for (i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
		conf_defaults(&c);
		put(path, secrets[i], 0640);
		assert_int_equal(load_file(path, &c, 0, err, sizeof(err)), 1);
		assert_non_null(strstr(err, "holds a password but is readable by its group"));
		conf_free(&c);
		conf_defaults(&c);
		put(path, secrets[i], 0600);
		assert_int_equal(load_file(path, &c, 0, err, sizeof(err)), 0);
		conf_free(&c);
	}
	/* a URI without a password may be read by all */
	conf_defaults(&c);
	put(path, "database = postgresql://db.example.com/bw?user=bw\n", 0644);
	assert_int_equal(load_file(path, &c, 0, err, sizeof(err)), 0);
	conf_free(&c);

	/* someone else's file (needs root to make one) */
	conf_defaults(&c);
	put(path, "log = /var/log/mail.log\n", 0644);
	if (geteuid() == 0) {
		assert_int_equal(chown(path, 65534, 65534), 0);
		assert_int_equal(load_file(path, &c, 0, err, sizeof(err)), 1);
		assert_non_null(strstr(err, "owned by uid 65534, neither root nor"));
	}
	/* the rules file's loader uses the same check */
	assert_int_equal(stat(path, &sb), 0);
	sb.st_uid = geteuid();
	sb.st_mode = S_IFREG | 0646;
	assert_int_equal(conf_file_safe("rules", &sb, 0, &cause), -1);
	assert_non_null(strstr(cause, "rules: writable by anyone"));
	free(cause);
	sb.st_mode = S_IFREG | 0644;
	assert_int_equal(conf_file_safe("rules", &sb, 0, &cause), 0);
	sb.st_uid = geteuid() == 0 ? 1 : 0;
	assert_int_equal(conf_file_safe("rules", &sb, 0, &cause), geteuid() == 0 ? -1 : 0);
	if (geteuid() == 0)
		free(cause);
	conf_free(&c);
	unlink(path);
	rmdir(dir);
}

/* The one validation of start, -n and SIGHUP. */
static void
test_validate(void **state)
{
	struct conf	 c;
	char		 err[1024], *cause = NULL;

	(void)state;
	assert_int_equal(load("user = no-such-user-here\n", &c, err, sizeof(err)), 0);
	assert_int_equal(conf_validate(&c, &cause), -1);
	assert_int_equal(cause_lines(cause, err, sizeof(err)), 1);
	assert_non_null(strstr(err, ":1: user: \"no-such-user-here\" does not exist"));
	free(cause);
	conf_free(&c);
	cause = NULL;
	assert_int_equal(load("log = /var/log/mail.log\nuser = root\n", &c, err,
	    sizeof(err)), 0);
	assert_int_equal(conf_validate(&c, &cause), 0);
	assert_null(cause);
	conf_free(&c);
	/* a journal alone: no log = auto added */
	assert_int_equal(load("journal_directory = /j\n", &c, err, sizeof(err)), 0);
	assert_int_equal(c.nlogs, 0);
	assert_int_equal(conf_validate(&c, &cause), 0);
	conf_free(&c);
	/* a PostgreSQL URI is a valid value; a build without libpq says so */
	assert_int_equal(load("log = /l\ndatabase = postgresql://h/db\n", &c, err,
	    sizeof(err)), 0);
#ifdef HAVE_LIBPQ
	assert_int_equal(conf_validate(&c, &cause), 0);
#else
	assert_int_equal(conf_validate(&c, &cause), -1);
	assert_non_null(strstr(cause, "PostgreSQL is not supported"));
	free(cause);
#endif
	conf_free(&c);
}

/* ---- the table against bouncewatch.conf(5) and the sample file ---- */

static char *
slurp(const char *rel)
{
	const char	*top = getenv("top_srcdir");
	char		 path[1024], *buf;
	FILE		*f;
	size_t		 n;

	snprintf(path, sizeof(path), "%s/%s", top != NULL ? top : ".", rel);
	if ((f = fopen(path, "r")) == NULL)
		fail_msg("cannot read %s", path);
	buf = malloc(1 << 20);
	assert_non_null(buf);
	n = fread(buf, 1, (1 << 20) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* "Ns", "Pa", "Ql": an mdoc macro name inside a line. */
static int
is_macro(const char *w)
{
	size_t	 n = strlen(w), i;

	if (n < 2 || n > 3 || w[0] < 'A' || w[0] > 'Z')
		return 0;
	for (i = 1; i < n; i++)
		if (w[i] < 'a' || w[i] > 'z')
			return 0;
	return 1;
}

/* The build-time directories the docs name as words or @words@. */
static void
subst_dirs(const char *in, char *out, size_t len)
{
	static const struct {
		const char	*word, *dir;
	} dirs[] = {
		{ "@runstatedir@", RUNSTATEDIR }, { "runstatedir", RUNSTATEDIR },
		{ "@localstatedir@", LOCALSTATEDIR }, { "localstatedir", LOCALSTATEDIR },
		{ "@sysconfdir@", SYSCONFDIR }, { "sysconfdir", SYSCONFDIR },
	};
	size_t	 i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (strncmp(in, dirs[i].word, strlen(dirs[i].word)) == 0) {
			snprintf(out, len, "%s%s", dirs[i].dir, in + strlen(dirs[i].word));
			return;
		}
	snprintf(out, len, "%s", in);
}

/*
 * The plain text of the item ".It Ic NAME" of the key list: macro names
 * dropped, "Ns" joining words.  NULL if there is no such item.
 */
static char *
man_item(const char *man, const char *name)
{
	char		 it[128], *out, *line, *save = NULL, *copy, *w, *ws;
	const char	*p, *q;
	int		 join, macros, body;

	snprintf(it, sizeof(it), "\n.It Ic %s ", name);
	if ((p = strstr(man, it)) == NULL)
		return NULL;
	p++;
	/* the body, shared by consecutive ".It" lines ("log = path", "log = auto") */
	for (q = strchr(p, '\n'), body = 0; q != NULL; q = strchr(q + 1, '\n')) {
		if ((strncmp(q + 1, ".It ", 4) == 0 && body) || strncmp(q + 1, ".El", 3) == 0)
			break;
		body |= strncmp(q + 1, ".It ", 4) != 0;
	}
	copy = strndup(p, q != NULL ? (size_t)(q - p) : strlen(p));
	out = calloc(1, strlen(copy) * 2 + 2);
	for (line = strtok_r(copy, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		join = 0;
		if ((macros = line[0] == '.'))
			line = strchr(line, ' ') != NULL ? strchr(line, ' ') + 1 :
			    line + strlen(line);
		for (w = strtok_r(line, " ", &ws); w != NULL; w = strtok_r(NULL, " ", &ws)) {
			if (macros && is_macro(w)) {
				join |= strcmp(w, "Ns") == 0;
				continue;
			}
			if (!join && *out != '\0')
				strcat(out, " ");
			strcat(out, w);
			join = 0;
		}
	}
	free(copy);
	return out;
}

/* Every key documented with its default; every documented key exists. */
static void
test_table_vs_man(void **state)
{
	char			*man = slurp("man/bouncewatch.conf.5"), *item, *d;
	char			 word[512], want[512];
	const struct conf_entry	*ce;
	const char		*p;
	size_t			 n;

	(void)state;
	for (ce = conf_table; ce->name != NULL; ce++) {
		if ((item = man_item(man, ce->name)) == NULL)
			fail_msg("%s: not in bouncewatch.conf(5)", ce->name);
		d = strstr(item, "Default:");
		if (ce->flags & CONF_COMPUTED) {
			/* computed at start: said in words, "Default: the ..." */
			if (d == NULL || strncmp(d, "Default: the ", 13) != 0)
				fail_msg("%s: computed default not described", ce->name);
		} else if (ce->def == NULL) {
			if (strcasestr(item, "no default") == NULL)
				fail_msg("%s: no default, and the man page does not "
				    "say so:\n%s", ce->name, item);
			if (d != NULL)
				fail_msg("%s: no default, the man page gives one", ce->name);
		} else {
			if (d == NULL)
				fail_msg("%s: no \"Default:\" in the man page", ce->name);
			n = strcspn(d + 9, " ");
			snprintf(word, sizeof(word), "%.*s", (int)n, d + 9);
			while ((n = strlen(word)) > 0 && strchr(".,;", word[n - 1]) != NULL)
				word[n - 1] = '\0';
			subst_dirs(word, want, sizeof(want));
			if (strcmp(want, ce->def) != 0)
				fail_msg("%s: default \"%s\", the man page says \"%s\"",
				    ce->name, ce->def, want);
		}
		free(item);
	}
	/* the other way round: every ".It Ic key" of the key list is a key */
	p = strstr(man, ".Ss Keys");
	assert_non_null(p);
	for (p = strstr(p, "\n.It Ic "); p != NULL && p < strstr(man, ".Sh RULES FILE");
	    p = strstr(p + 1, "\n.It Ic ")) {
		n = strcspn(p + 8, " \n");
		snprintf(word, sizeof(word), "%.*s", (int)n, p + 8);
		for (ce = conf_table; ce->name != NULL; ce++)
			if (strcmp(ce->name, word) == 0)
				break;
		if (ce->name == NULL)
			fail_msg("bouncewatch.conf(5) documents \"%s\", not a key", word);
	}
	free(man);
}

/* Every key in the sample file; a commented-out setting is the default. */
static void
test_table_vs_sample(void **state)
{
	char			*text = slurp("etc/bouncewatch.conf.in"), *line, *save = NULL;
	char			 key[128], value[512], want[512];
	const struct conf_entry	*ce;
	int			 found[64] = { 0 }, commented;
	size_t			 i;

	(void)state;
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		commented = line[0] == '#';
		if (sscanf(line + commented, "%127[a-z_] = %511[^\n]", key, value) != 2)
			continue;
		for (ce = conf_table; ce->name != NULL; ce++)
			if (strcmp(ce->name, key) == 0)
				break;
		if (ce->name == NULL)
			fail_msg("sample file: \"%s\" is not a key", key);
		found[ce - conf_table] = 1;
		subst_dirs(value, want, sizeof(want));
		if (commented && ce->def != NULL && strcmp(want, ce->def) != 0)
			fail_msg("sample file: #%s = %s, the default is %s", key, want,
			    ce->def);
	}
	for (i = 0; conf_table[i].name != NULL; i++)
		if (!found[i])
			fail_msg("sample file: no line for \"%s\"", conf_table[i].name);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_new_keys),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_unsafe),
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_table_vs_man),
		cmocka_unit_test(test_table_vs_sample),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
