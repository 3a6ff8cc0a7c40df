/*
 * cli_reclassify.c -- bouncewatch reclassify: the rules of today (built-in
 * and the operator's file) applied again to the failures already stored,
 * after an upgrade or a change of the rules; the work is the store's
 * (store_reclass.c).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "conf.h"
#include "daysum.h"
#include "log.h"
#include "store.h"
#include "tz.h"
#include "util.h"

static void
cli_reclassify_usage(FILE *f)
{
	fprintf(f, "usage: bouncewatch reclassify [--db PATH] [--rules FILE] "
	    "[--from DAY] [--to DAY]\n"
	    "Apply today's rules (built-in and the rules file) again to the stored\n"
	    "failures: rows, daily counters, unrecognised replies and the suppression\n"
	    "list end as a fresh import with these rules would leave them.  Stop\n"
	    "bouncewatchd first.\n\n"
	    "  -d, --db PATH       the database (default: the configuration's)\n"
	    "  -r, --rules FILE    the operator's rules (default: the configuration's)\n"
	    "      --from DAY      only the failures of this local day and after\n"
	    "      --to DAY        only the failures of this local day and before\n"
	    "  -h, --help          print this help and exit\n");
}

int
cli_reclassify(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "rules", required_argument, NULL, 'r' },
		{ "from", required_argument, NULL, 'F' },
		{ "to", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct store_reclass_stats	 n;
	struct reader			 rd;
	struct store			*st;
	enum store_err			 why;
	const char			*db = NULL, *rules = NULL;
	char				*cause = NULL, f[16], t[16];
	int64_t				 from = 0, to = tz_days_from_civil(9999, 12, 31);
	int				 ch, lockfd, status = 0, r;

	while ((ch = getopt_long(argc, argv, "d:r:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			db = optarg;
			break;
		case 'r':
			rules = optarg;
			break;
		case 'F':
		case 'T':
			if (cli_parse_day(optarg) == -1) {
				log_warnx("--%s: \"%s\" is not a day (YYYY-MM-DD)",
				    ch == 'F' ? "from" : "to", optarg);
				return 2;
			}
			*(ch == 'F' ? &from : &to) = cli_parse_day(optarg);
			break;
		case 'h':
			cli_reclassify_usage(stdout);
			return 0;
		default:
			cli_reclassify_usage(stderr);
			return 2;
		}
	}
	if (optind != argc || from > to) {
		if (from > to)
			log_warnx("--from is after --to");
		cli_reclassify_usage(stderr);
		return 2;
	}
	if (cli_reader_open(&rd, NULL, rules, &r) == -1)
		return r;
	if (db == NULL)
		db = rd.conf->database;
	/* one writer: the daemon would go on with the rules it started with */
	if ((lockfd = store_lock(db, &why, &cause)) == -1) {
		if (why == STORE_EBUSY)
			log_warnx("%s is in use by another writer (a running "
			    "bouncewatchd or import): stop bouncewatchd, "
			    "reclassify, then start it with the same rules", db);
		else
			log_warnx("%s", cause);
		free(cause);
		cli_reader_close(&rd);
		return 1;
	}
	if ((st = store_open(db, STORE_RW, rd.ctx.tz, &why, &cause)) == NULL) {
		log_warnx("%s", cause);
		free(cause);
		status = 1;
	} else {
		tz_day_text(from, f);
		tz_day_text(to, t);
		if (store_reclassify(st, rd.cl, from, to, &n) == -1) {
			log_warnx("%s", store_errmsg(st));
			status = 1;
		} else
			fprintf(stderr, "%lld failures read, %lld changed "
			    "(%lld classes, %lld reasons, %lld details), days %s to %s\n",
			    (long long)n.rows, (long long)n.changed,
			    (long long)n.classes, (long long)n.reasons,
			    (long long)n.details, f, t);
		/* the summaries of the days changed, built again */
		if (status == 0 && daysum_refresh(st, rd.ctx.tz, NULL, 0) == -1)
			log_warnx("day summaries not kept (reports read the rows): %s",
			    store_errmsg(st));
		store_close(st);
	}
	close(lockfd);
	cli_reader_close(&rd);
	return status;
}
