/*
 * test_alert.c -- the pure parts of the alerts: the busiest window of a
 * baseline, and example texts made safe (recipient hidden, controls out,
 * bounded without cutting a character).
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

#include "alert.h"

static void
test_window_max(void **state)
{
	int64_t	 t[] = { 905, 0, 20, 900, 10 };
	int64_t	 same[] = { 5, 5, 5 };
	int64_t	 spread[] = { 0, 900, 1800, 2700 };

	(void)state;
	/* [10, 910) holds 10, 20, 900, 905; [0, 900) only three */
	assert_int_equal(alert_window_max(t, 5, 900), 4);
	assert_int_equal(t[0], 0);	/* sorted in place */
	assert_int_equal(alert_window_max(same, 3, 1), 3);
	assert_int_equal(alert_window_max(spread, 4, 900), 1);
	assert_int_equal(alert_window_max(spread, 4, 901), 2);
	assert_int_equal(alert_window_max(NULL, 0, 900), 0);
}

static void
test_sanitise(void **state)
{
	static const char	 rcpt[] = "John.Doe@Outlook.com";
	char			 out[64];
	const char		*t;

	(void)state;
	t = "550 5.1.1 <john.doe@outlook.com>: Recipient\taddress\r\nrejected\x1b[31m";
	alert_sanitise(t, strlen(t), rcpt, strlen(rcpt), out, sizeof(out));
	assert_string_equal(out,
	    "550 5.1.1 <<recipient>>: Recipient address  rejected [31m");

	/* bounded: "..." at the end, never half a character */
	t = "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9";
	alert_sanitise(t, strlen(t), NULL, 0, out, 10);
	assert_string_equal(out, "\xc3\xa9\xc3\xa9\xc3\xa9...");
	alert_sanitise(t, strlen(t), NULL, 0, out, 9);
	assert_string_equal(out, "\xc3\xa9\xc3\xa9...");
	alert_sanitise("short", 5, NULL, 0, out, sizeof(out));
	assert_string_equal(out, "short");
	/* a recipient that does not fit whole is not half written */
	alert_sanitise(rcpt, strlen(rcpt), rcpt, strlen(rcpt), out, 8);
	assert_int_equal(strstr(out, "<recip") == NULL, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window_max),
		cmocka_unit_test(test_sanitise),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
