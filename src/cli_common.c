/*
 * cli_common.c -- what the bouncewatch subcommands share.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "classify.h"
#include "cli.h"
#include "conf.h"
#include "log.h"
#include "tz.h"
#include "util.h"

#ifndef PATH_CONF
#define PATH_CONF	"/etc/bouncewatch/bouncewatch.conf"
#endif

int
cli_config_tz(struct conf *c, struct tz **tz)
{
	if (cli_config(c) == -1)
		return -1;
	if ((*tz = tz_new(c->timezone)) == NULL) {
		log_warnx("unknown time zone \"%s\"", c->timezone);
		conf_free(c);
		return -1;
	}
	return 0;
}

int
cli_config(struct conf *c)
{
	const char	*path = getenv("BOUNCEWATCH_CONF");
	char		*cause;
	int		 explicit = path != NULL && *path != '\0';

	conf_defaults(c);
	if (conf_load(explicit ? path : PATH_CONF, c, !explicit, &cause) == -1) {
		fputs(cause, stderr);
		free(cause);
		conf_free(c);
		return -1;
	}
	return 0;
}

time_t
cli_now(void)
{
	const char	*s = getenv("BOUNCEWATCH_NOW");
	int		 y, mo, d, h, mi, sec;
	char		*end;
	long long	 v;

	if (s == NULL || *s == '\0')
		return time(NULL);
	if (sscanf(s, "%d-%d-%dT%d:%d:%d", &y, &mo, &d, &h, &mi, &sec) == 6)
		return (time_t)(tz_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
		    h * 3600 + mi * 60 + sec);
	v = strtoll(s, &end, 10);
	if (*end == '\0')
		return (time_t)v;
	log_warnx("BOUNCEWATCH_NOW=%s: not a time, using the clock", s);
	return time(NULL);
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

int
cli_reader_open(struct reader *r, const char *zone, const char *rules,
    int *status)
{
	char	*cause = NULL;
	int	 usage_zone = 0;

	*status = 1;	/* only read after a failure */
	memset(r, 0, sizeof(*r));
	r->conf = xcalloc(1, sizeof(*r->conf));
	if (cli_config(r->conf) == -1) {
		free(r->conf);
		return -1;
	}
	if (zone == NULL)
		zone = r->conf->timezone;
	else
		usage_zone = 1;
	if (rules == NULL)
		rules = r->conf->rules;
	r->ctx.now = cli_now();
	if ((r->ctx.tz = tz_new(zone)) == NULL) {
		log_warnx("unknown time zone \"%s\"", zone);
		cli_reader_close(r);
		if (usage_zone)
			*status = 2;
		return -1;
	}
	r->cl = classify_new();
	if (rules != NULL && classify_load_rules(r->cl, rules, &cause) == -1) {
		fputs(cause, stderr);
		free(cause);
		goto fail;
	}
	return 0;
fail:
	cli_reader_close(r);
	return -1;
}

void
cli_reader_close(struct reader *r)
{
	classify_free(r->cl);
	tz_free(r->ctx.tz);
	if (r->conf != NULL) {
		conf_free(r->conf);
		free(r->conf);
	}
	memset(r, 0, sizeof(*r));
}
