/*
 * test_conf.c -- bouncewatch.conf(5): every key, defaults, and errors
 * reported as file:line, all of them, before failing.
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

#include "conf.h"

static int
load(const char *text, struct conf *c, char *err, size_t errlen)
{
	conf_defaults(c);
	return conf_load_text("t.conf", text, strlen(text), c, err, errlen);
}

static void
test_defaults(void **state)
{
	struct conf	 c;
	char		 err[1024];

	(void)state;
	assert_int_equal(load("", &c, err, sizeof(err)), 0);
	assert_int_equal(c.nlogs, 0);
	assert_int_equal(c.commit_interval_ms, 250);
	assert_int_equal(c.commit_lines, 10000);
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
	assert_int_equal(conf_load(path, &c, 1, err, sizeof(err)), 0);	/* missing is fine */
	assert_int_equal(conf_load(path, &c, 0, err, sizeof(err)), 1);	/* unless required */
	assert_non_null(strstr(err, path));
	f = fopen(path, "w");
	fputs("log = /var/log/mail.log\n", f);
	fclose(f);
	assert_int_equal(conf_load(path, &c, 0, err, sizeof(err)), 0);
	assert_string_equal(c.path, path);
	conf_free(&c);
	conf_defaults(&c);
	chmod(path, 0666);
	assert_int_equal(conf_load(path, &c, 0, err, sizeof(err)), 1);
	assert_non_null(strstr(err, "writable by anyone"));
	conf_free(&c);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
