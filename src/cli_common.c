/*
 * cli_common.c -- what the bouncewatch subcommands share.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "conf.h"
#include "tz.h"

#ifndef PATH_CONF
#define PATH_CONF	"/etc/bouncewatch/bouncewatch.conf"
#endif

int
cli_config(struct conf *c)
{
	const char	*path = getenv("BOUNCEWATCH_CONF");
	char		 err[8192];
	int		 explicit = path != NULL && *path != '\0';

	conf_defaults(c);
	if (conf_load(explicit ? path : PATH_CONF, c, !explicit, err, sizeof(err)) != 0) {
		fputs(err, stderr);
		conf_free(c);
		return -1;
	}
	return 0;
}

int64_t
cli_parse_day(const char *s)
{
	int	 y, m, d, n = 0;

	if (sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || s[n] != '\0' ||
	    strlen(s) != 10 || m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	return tz_days_from_civil(y, (unsigned)m, (unsigned)d);
}
