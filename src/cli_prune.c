/*
 * cli_prune.c -- bouncewatch prune: failure detail older than N days goes,
 * the daily counters stay.  A writer like import: it takes the database's
 * writer lock, and it never creates a database that is not there.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "conf.h"
#include "log.h"
#include "store.h"
#include "tz.h"
#include "util.h"

static void
cli_prune_usage(FILE *f)
{
	fprintf(f, "usage: bouncewatch prune [--db PATH] --older-than DAYS\n"
	    "Delete failure rows (texts, recipients) older than DAYS days; the daily\n"
	    "counters stay, so reports of those days keep their totals.\n\n"
	    "  -d, --db PATH          the database (default: the configuration's)\n"
	    "  -o, --older-than DAYS  keep this many days of detail\n"
	    "  -h, --help             print this help and exit\n");
}

/* Prune db under its writer lock: 0, or 1 (said). */
static int
cli_prune_db(const char *db, struct tz *tz, const struct conf *conf, long days)
{
	struct store	*st;
	struct stat	 sb;
	enum store_err	 why;
	char		 *cause = NULL, before[11];
	int64_t		 n;
	int		 lockfd, status = 0;

	/* nothing to prune in a database that is not there: never make one */
	if (!store_is_pg(db) && stat(db, &sb) == -1) {
		if (errno == ENOENT)
			log_warnx("%s: no such database; nothing pruned", db);
		else
			log_warn("%s", db);
		return 1;
	}
	/* one writer: a running bouncewatchd or import writes the same rows */
	if ((lockfd = store_lock(db, &why, &cause)) == -1) {
		if (why == STORE_EBUSY)
			log_warnx("%s is in use by another writer (a running bouncewatchd "
			    "or import): stop it first, or prune once it is done",
			    store_display(db));
		else
			log_warnx("%s", cause);
		free(cause);
		return 1;
	}
	tz_day_text(tz_local_day(tz, (int64_t)cli_now()) - days, before);
	if ((st = store_open(db, STORE_RW, tz, &why, &cause)) == NULL) {
		log_warnx("%s", cause);
		free(cause);
		status = 1;
	} else {
		store_set_queue_lifetime(st, conf->queue_lifetime_s);
		if ((n = store_prune(st, before)) < 0) {
			log_warnx("%s", store_errmsg(st));
			status = 1;
		} else
			fprintf(stderr, "pruned %lld failure rows before %s; daily counters kept\n",
			    (long long)n, before);
		store_close(st);
	}
	close(lockfd);
	return status;
}

int
cli_prune(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "older-than", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct conf	 conf;
	struct tz	*tz;
	const char	*db = NULL;
	long		 days = -1;
	int		 ch, status;

	while ((ch = getopt_long(argc, argv, "d:o:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd': db = optarg; break;
		case 'o':
			days = strtol(optarg, NULL, 10);
			if (days < 0 || days > 36500 || strspn(optarg, "0123456789") != strlen(optarg)) {
				log_warnx("--older-than: \"%s\" is not a number of days", optarg);
				return 2;
			}
			break;
		case 'h':
			cli_prune_usage(stdout);
			return 0;
		default:
			cli_prune_usage(stderr);
			return 2;
		}
	}
	if (days < 0 || optind != argc) {
		cli_prune_usage(stderr);
		return 2;
	}
	if (cli_config_tz(&conf, &tz) == -1)
		return 1;
	status = cli_prune_db(db != NULL ? db : conf.database, tz, &conf, days);
	tz_free(tz);
	conf_free(&conf);
	return status;
}
