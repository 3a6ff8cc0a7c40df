/*
 * test_prom.c -- the Prometheus text exposition writer (escapes, samples,
 * histograms) and the metrics registry (staged counts, commit, rollback,
 * top domains and "other", what the exposition shows).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "metrics.h"
#include "prom.h"

static void
test_escape_label(void **state)
{
	struct prom	 p;

	(void)state;
	prom_init(&p);
	prom_escape_label(&p, "a\\b\"c\nd");
	assert_string_equal(p.buf, "a\\\\b\\\"c\\nd");
	prom_free(&p);

	/* UTF-8 kept; bytes that are not UTF-8 become U+FFFD */
	prom_init(&p);
	prom_escape_label(&p, "m\xc3\xbcller|\xff|\xc0\xaf|\xed\xa0\x80|\xe2\x82");
	assert_string_equal(p.buf, "m\xc3\xbcller|\xef\xbf\xbd|"
	    "\xef\xbf\xbd\xef\xbf\xbd|\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd|"
	    "\xef\xbf\xbd\xef\xbf\xbd");
	prom_free(&p);

	/* HELP: backslash and newline only */
	prom_init(&p);
	prom_escape_help(&p, "say \"x\"\\\n");
	assert_string_equal(p.buf, "say \"x\"\\\\\\n");
	prom_free(&p);
}

static void
test_samples(void **state)
{
	struct prom		 p;
	struct prom_label	 l[2] = { { "a", "x" }, { "b", "" } };
	char			*s;
	size_t			 n;

	(void)state;
	prom_init(&p);
	prom_family(&p, "t_total", "counter", "Help\nline.");
	prom_counter(&p, "t_total", l, 2, 18446744073709551615ULL);
	prom_counter(&p, "t_total", NULL, 0, 0);
	prom_gauge(&p, "g", l, 1, 1733300000.0);
	prom_gauge(&p, "g", NULL, 0, 0.25);
	s = prom_take(&p, &n);
	assert_string_equal(s,
	    "# HELP t_total Help\\nline.\n"
	    "# TYPE t_total counter\n"
	    "t_total{a=\"x\",b=\"\"} 18446744073709551615\n"
	    "t_total 0\n"
	    "g{a=\"x\"} 1733300000\n"
	    "g 0.25\n");
	assert_int_equal(n, strlen(s));
	assert_int_equal(p.len, 0);
	assert_null(p.buf);
	free(s);
}

static void
test_histogram(void **state)
{
	static const double	 b[] = { 0.1, 1 };
	static const uint64_t	 c[] = { 2, 3 };
	struct prom		 p;

	(void)state;
	prom_init(&p);
	prom_histogram(&p, "h", b, c, 2, 1.5, 4);
	assert_string_equal(p.buf,
	    "h_bucket{le=\"0.1\"} 2\n"
	    "h_bucket{le=\"1\"} 3\n"
	    "h_bucket{le=\"+Inf\"} 4\n"
	    "h_sum 1.5\n"
	    "h_count 4\n");
	prom_free(&p);
}

static char *
render(struct metrics *m)
{
	struct prom	 p;
	size_t		 n;

	prom_init(&p);
	metrics_render(m, &p, 1);
	return prom_take(&p, &n);
}

static int
has(const char *text, const char *line)
{
	char	 buf[512];

	snprintf(buf, sizeof(buf), "\n%s\n", line);
	return strstr(text, buf) != NULL;
}

static void
test_registry(void **state)
{
	struct metrics	*m;
	char		*s;

	(void)state;
	m = metrics_new(2);
	metrics_domain(m, 7, "outlook.com");
	metrics_domain(m, 3, "gmail.com");
	metrics_domain(m, 9, "ignored.example");	/* over the limit */
	assert_int_equal(metrics_ndomains(m), 2);
	metrics_alerts(m, "domain_reason", 0);

	metrics_count(m, 7, CLASS_PERMANENT, REASON_BLOCKLISTED, 40);
	metrics_count(m, 3, CLASS_DELIVERED, REASON_NONE, 100);
	metrics_count(m, 5, CLASS_TEMPORARY, REASON_MAILBOX_FULL, 2);
	metrics_count(m, 9, CLASS_TEMPORARY, REASON_MAILBOX_FULL, 1);
	metrics_lines(m, LINE_DELIVERY, 140);
	metrics_lines(m, LINE_EXPIRED, 3);
	metrics_lines(m, LINE_INVALID, 1);
	/* nothing is visible before the commit */
	assert_int_equal(metrics_delivery_total(m, CLASS_PERMANENT,
	    REASON_BLOCKLISTED), 0);
	metrics_commit(m, 0.003);
	assert_int_equal(metrics_delivery_total(m, CLASS_PERMANENT,
	    REASON_BLOCKLISTED), 40);

	/* a rolled back batch leaves no trace */
	metrics_count(m, 7, CLASS_PERMANENT, REASON_BLOCKLISTED, 5);
	metrics_lines(m, LINE_DELIVERY, 5);
	metrics_alerts(m, "domain_reason", 1);
	metrics_rollback(m);
	metrics_set_stalls(m, 1);
	metrics_source(m, "/var/log/mail.log", 1, 1733300000, 12);
	metrics_source(m, "/var/log/mail.log", 0, 1733300001, 0);

	s = render(m);
	assert_true(has(s, "bouncewatch_deliveries_total{class=\"delivered\",reason=\"\"} 100"));
	assert_true(has(s, "bouncewatch_deliveries_total{class=\"permanent\",reason=\"blocklisted\"} 40"));
	assert_true(has(s, "bouncewatch_deliveries_total{class=\"temporary\",reason=\"mailbox_full\"} 3"));
	assert_true(has(s, "bouncewatch_deliveries_total{class=\"greylist\",reason=\"user_unknown\"} 0"));
	assert_true(has(s, "bouncewatch_domain_failures_total{domain=\"outlook.com\",class=\"permanent\",reason=\"blocklisted\"} 40"));
	assert_true(has(s, "bouncewatch_domain_failures_total{domain=\"other\",class=\"temporary\",reason=\"mailbox_full\"} 3"));
	/* delivered mail is no failure; zero series are left out */
	assert_null(strstr(s, "domain=\"gmail.com\""));
	assert_null(strstr(s, "ignored.example"));
	assert_true(has(s, "bouncewatch_lines_total{kind=\"delivery\"} 143"));
	assert_true(has(s, "bouncewatch_lines_total{kind=\"unparseable\"} 1"));
	assert_true(has(s, "bouncewatch_alerts_total{condition=\"domain_reason\"} 0"));
	assert_true(has(s, "bouncewatch_source_up{source=\"/var/log/mail.log\"} 0"));
	assert_true(has(s, "bouncewatch_source_last_line_timestamp_seconds{source=\"/var/log/mail.log\"} 1733300001"));
	assert_true(has(s, "bouncewatch_commits_total 1"));
	assert_true(has(s, "bouncewatch_stalls_total 1"));
	assert_true(has(s, "bouncewatch_commit_duration_seconds_bucket{le=\"0.0025\"} 0"));
	assert_true(has(s, "bouncewatch_commit_duration_seconds_bucket{le=\"0.005\"} 1"));
	assert_true(has(s, "bouncewatch_commit_duration_seconds_count 1"));
	/* one HELP and one TYPE per family, before its samples */
	assert_non_null(strstr(s, "# TYPE bouncewatch_commit_duration_seconds histogram\n"));
	assert_int_equal(s[strlen(s) - 1], '\n');
	free(s);

	/* restored again (SIGHUP): this process's series stay */
	metrics_reset(m, 1);
	assert_int_equal(metrics_ndomains(m), 0);
	assert_int_equal(metrics_domain(m, 3, "gmail.com"), 0);
	assert_int_equal(metrics_domain(m, 7, "outlook.com"), -1);
	s = render(m);
	assert_true(has(s, "bouncewatch_deliveries_total{class=\"permanent\",reason=\"blocklisted\"} 0"));
	assert_true(has(s, "bouncewatch_commits_total 1"));
	assert_true(has(s, "bouncewatch_alerts_total{condition=\"domain_reason\"} 0"));
	free(s);
	metrics_free(m);
}

static void
test_domain_stage(void **state)
{
	struct metrics	*m = metrics_new(2);
	char		*s;

	(void)state;
	/* a fresh database: domains get labels as they come, while there is room */
	assert_true(metrics_domain_wanted(m, 4));
	metrics_domain_stage(m, 4, "a.example");
	metrics_count(m, 4, CLASS_PERMANENT, REASON_USER_UNKNOWN, 2);
	metrics_rollback(m);
	assert_int_equal(metrics_ndomains(m), 0);	/* gone with its batch */
	metrics_domain_stage(m, 4, "a.example");
	metrics_count(m, 4, CLASS_PERMANENT, REASON_USER_UNKNOWN, 2);
	metrics_domain_stage(m, 5, "b.example");
	metrics_count(m, 5, CLASS_PERMANENT, REASON_USER_UNKNOWN, 1);
	metrics_commit(m, 0.01);
	assert_false(metrics_domain_wanted(m, 4));
	assert_false(metrics_domain_wanted(m, 6));	/* full */
	metrics_count(m, 6, CLASS_PERMANENT, REASON_USER_UNKNOWN, 7);
	metrics_commit(m, 0.01);
	s = render(m);
	assert_true(has(s, "bouncewatch_domain_failures_total{domain=\"a.example\",class=\"permanent\",reason=\"user_unknown\"} 2"));
	assert_true(has(s, "bouncewatch_domain_failures_total{domain=\"b.example\",class=\"permanent\",reason=\"user_unknown\"} 1"));
	assert_true(has(s, "bouncewatch_domain_failures_total{domain=\"other\",class=\"permanent\",reason=\"user_unknown\"} 7"));
	free(s);
	metrics_free(m);
}

static void
test_no_process(void **state)
{
	struct metrics	*m = metrics_new(METRICS_DOMAINS_DEFAULT);
	struct prom	 p;

	(void)state;
	metrics_commit(m, 0.5);
	prom_init(&p);
	metrics_render(m, &p, 0);
	/* "bouncewatch metrics" has no commits, stalls or sources of its own */
	assert_null(strstr(p.buf, "bouncewatch_commits_total"));
	assert_null(strstr(p.buf, "bouncewatch_source_up"));
	assert_non_null(strstr(p.buf, "\nbouncewatch_gaps_total 0\n"));
	prom_free(&p);
	metrics_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_label),
		cmocka_unit_test(test_samples),
		cmocka_unit_test(test_histogram),
		cmocka_unit_test(test_registry),
		cmocka_unit_test(test_domain_stage),
		cmocka_unit_test(test_no_process),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
