/*
 * cli_metrics.c -- bouncewatch metrics: the counters of the database in
 * the Prometheus text format, once, for node_exporter's textfile collector
 * (the same series as bouncewatchd's /metrics, less those of a running
 * daemon: commits, stalls, commit durations, sources).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "alert.h"
#include "cli.h"
#include "conf.h"
#include "log.h"
#include "metrics.h"
#include "prom.h"
#include "store.h"
#include "tz.h"
#include "util.h"

static void
cli_metrics_usage(FILE *f)
{
	fprintf(f, "usage: bouncewatch metrics [--db PATH] [--domains N]\n"
	    "Print the daemon's Prometheus metrics once, from the database, for\n"
	    "node_exporter's textfile collector.\n\n"
	    "  -d, --db PATH       the database (default: the configuration's)\n"
	    "  -n, --domains N     label the N busiest domains, the rest \"other\"\n"
	    "                      (default: metrics_domains, 20)\n"
	    "  -h, --help          print this help and exit\n");
}

int
cli_metrics(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "domains", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct conf	 conf;
	struct store	*st = NULL;
	struct tz	*tz = NULL;
	struct metrics	*m = NULL;
	struct prom	 p;
	enum store_err	 why;
	const char	*db = NULL;
	char		*cause = NULL;
	long		 domains = -1;
	int		 ch, status = 1;

	while ((ch = getopt_long(argc, argv, "d:n:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd': db = optarg; break;
		case 'n':
			if (util_parse_long(optarg, 0, METRICS_DOMAINS_MAX,
			    &domains) == -1) {
				log_warnx("--domains: \"%s\" is not a number from 0 "
				    "to %d", optarg, METRICS_DOMAINS_MAX);
				return 2;
			}
			break;
		case 'h': cli_metrics_usage(stdout); return 0;
		default: cli_metrics_usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		cli_metrics_usage(stderr);
		return 2;
	}
	if (cli_config(&conf) == -1)
		return 1;
	if (db == NULL)
		db = conf.database;
	if (domains < 0)
		domains = conf.metrics_domains;
	if ((tz = tz_new(conf.timezone)) == NULL) {
		log_warnx("unknown time zone \"%s\"", conf.timezone);
		goto out;
	}
	if ((st = store_open(db, STORE_RO, tz, &why, &cause)) == NULL) {
		log_warnx("%s", cause);
		free(cause);
		goto out;
	}
	m = metrics_new((int)domains);
	metrics_alerts(m, ALERT_DOMAIN_REASON, 0);
	metrics_alerts(m, ALERT_RATE_JUMP, 0);
	metrics_alerts(m, ALERT_SOURCE, 0);
	metrics_commit(m, -1);
	if (metrics_restore(m, st, tz, cli_now(), &cause) == -1) {
		log_warnx("%s: %s", db, cause);
		free(cause);
		goto out;
	}
	prom_init(&p);
	metrics_render(m, &p, 0);
	if (fwrite(p.buf, 1, p.len, stdout) != p.len || fflush(stdout) != 0)
		log_warn("standard output");
	else
		status = 0;
	prom_free(&p);
out:
	metrics_free(m);
	store_close(st);
	tz_free(tz);
	conf_free(&conf);
	return status;
}
