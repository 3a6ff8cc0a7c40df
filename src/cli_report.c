/*
 * cli_report.c -- bouncewatch report (the daily summary: loaded by
 * report_load.c, rendered by report_*.c).
 */
#include "config.h"

#include <getopt.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "conf.h"
#include "log.h"
#include "report.h"
#include "store.h"
#include "tz.h"
#include "util.h"

#define CLI_REPORT_HOSTS	64	/* --host given at most this often */

/*
 * A month's report holds arrays of a few MiB while it merges its days
 * (counters, names, sketches) and frees them one after another.  glibc
 * raises its mmap threshold to the size of the first such block freed,
 * so the later ones come from the heap, whose freed middle it cannot
 * return: 30 days of bench/scale.sh peaked at 17.4 MiB, 14.1 with the
 * threshold held at 128 KiB (one day: 11.3 either way), in the same time.
 */
static void
cli_report_heap(void)
{
#if defined(__GLIBC__) && defined(M_MMAP_THRESHOLD)
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
#endif
}

static void
cli_report_usage(FILE *f)
{
	fprintf(f, "usage: bouncewatch report [--db PATH] [--format text|html|json|csv]\n"
	    "                          [--date YYYY-MM-DD | --from YYYY-MM-DD --to YYYY-MM-DD]\n"
	    "                          [--top N] [--domain DOMAIN] [--host HOST ...]\n"
	    "                          [--skip-empty] [--mail]\n"
	    "Summarise the delivery failures of a day (default: yesterday) or a range\n"
	    "from the database, in the configured time zone.\n\n"
	    "  -d, --db PATH       the database (default: the configuration's)\n"
	    "  -f, --format FMT    text (default), html, json or csv\n"
	    "  -D, --date DAY      the local day YYYY-MM-DD\n"
	    "  -F, --from DAY      the first day of a range (with --to)\n"
	    "  -T, --to DAY        the last day of a range (with --from)\n"
	    "  -n, --top N         the length of every list (default %d)\n"
	    "  -m, --domain DOMAIN only this recipient domain\n"
	    "  -H, --host HOST     only this sending host (repeat for several)\n"
	    "  -e, --skip-empty    print nothing when the range holds no delivery\n"
	    "  -M, --mail          HTML for a mail: charts as table cells, no SVG\n"
	    "  -h, --help          print this help and exit\n", REPORT_TOP_DEFAULT);
}

int
cli_report(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "date", required_argument, NULL, 'D' },
		{ "from", required_argument, NULL, 'F' },
		{ "to", required_argument, NULL, 'T' },
		{ "format", required_argument, NULL, 'f' },
		{ "top", required_argument, NULL, 'n' },
		{ "domain", required_argument, NULL, 'm' },
		{ "host", required_argument, NULL, 'H' },
		{ "skip-empty", no_argument, NULL, 'e' },
		{ "mail", no_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct conf		 conf;
	struct store		*st;
	struct tz		*tz;
	struct report		 r;
	struct report_query	 rq;
	struct obuf		 out;
	enum store_err		 why;
	char			 from[11], to[11], *cause;
	const char		*db = NULL, *date = NULL, *f = NULL, *t = NULL;
	const char		*format = "text", *domain = NULL, *zone;
	const char		*hosts[CLI_REPORT_HOSTS];
	size_t			 nhosts = 0;
	long			 top = REPORT_TOP_DEFAULT;
	int			 ch, fmt, skip_empty = 0, mail = 0, status = 0;

	while ((ch = getopt_long(argc, argv, "d:D:F:T:f:n:m:H:eMh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd': db = optarg; break;
		case 'D': date = optarg; break;
		case 'F': f = optarg; break;
		case 'T': t = optarg; break;
		case 'f': format = optarg; break;
		case 'm': domain = optarg; break;
		case 'H':
			if (*optarg == '\0' || strlen(optarg) > 255) {
				log_warnx("--host: \"%s\" is not a host name", optarg);
				return 2;
			}
			if (nhosts == CLI_REPORT_HOSTS) {
				log_warnx("--host: at most %d hosts", CLI_REPORT_HOSTS);
				return 2;
			}
			hosts[nhosts++] = optarg;
			break;
		case 'e': skip_empty = 1; break;
		case 'M': mail = 1; break;
		case 'n':
			if (util_parse_long(optarg, 1, 100000, &top) == -1) {
				log_warnx("--top: \"%s\" is not a number from 1 to 100000",
				    optarg);
				return 2;
			}
			break;
		case 'h': cli_report_usage(stdout); return 0;
		default: cli_report_usage(stderr); return 2;
		}
	}
	cli_report_heap();
	if (date != NULL && (f != NULL || t != NULL)) {
		log_warnx("--date or --from/--to, not both");
		return 2;
	}
	if ((f == NULL) != (t == NULL)) {
		log_warnx("%s needs %s too", f != NULL ? "--from" : "--to",
		    f != NULL ? "--to" : "--from");
		return 2;
	}
	if (optind != argc) {
		cli_report_usage(stderr);
		return 2;
	}
	if ((fmt = report_format_from_name(format)) == -1) {
		log_warnx("unknown format \"%s\": text, html, json or csv", format);
		return 2;
	}
	if (domain != NULL && (*domain == '\0' || strlen(domain) > 255)) {
		log_warnx("--domain: \"%s\" is not a domain", domain);
		return 2;
	}
	if (cli_config_tz(&conf, &tz) == -1)
		return 1;
	if (db == NULL)
		db = conf.database;
	if (date != NULL)
		f = t = date;
	if (f != NULL) {
		if (cli_parse_day(f) < 0 || cli_parse_day(t) < 0 ||
		    cli_parse_day(f) > cli_parse_day(t)) {
			log_warnx("dates must be YYYY-MM-DD, from <= to");
			status = 2;
			goto out;
		}
		snprintf(from, sizeof(from), "%s", f);
		snprintf(to, sizeof(to), "%s", t);
	} else {
		/* yesterday, in the configured zone */
		tz_day_text(tz_local_day(tz, (int64_t)cli_now()) - 1, from);
		memcpy(to, from, sizeof(to));
	}
	if ((st = store_open(db, STORE_RO, tz, &why, &cause)) == NULL) {
		log_warnx("%s", cause);
		free(cause);
		status = 1;
		goto out;
	}
	zone = conf.timezone != NULL && *conf.timezone != '\0' ? conf.timezone : getenv("TZ");
	memset(&rq, 0, sizeof(rq));
	rq.from = from;
	rq.to = to;
	rq.domain = domain;
	rq.hosts = nhosts > 0 ? hosts : NULL;
	rq.nhosts = nhosts;
	rq.top = (int)top;
	/* text and html show the first top; json and csv list them all */
	rq.every = fmt == REPORT_JSON || fmt == REPORT_CSV;
	rq.tz = tz;
	rq.zone = zone != NULL && *zone != '\0' ? zone : "system time zone";
	if (report_load(st, &rq, &r, &cause) == -1) {
		log_warnx("%s: %s", store_display(db), cause);
		free(cause);
		store_close(st);
		status = 1;
		goto out;
	}
	store_close(st);
	/* a day without one line read is news, not an empty report */
	if (skip_empty && report_quiet(&r)) {
		report_free(&r);
		goto out;
	}
	obuf_init(&out, stdout);
	switch (fmt) {
	case REPORT_TEXT: report_text(&out, &r); break;
	case REPORT_HTML: report_html(&out, &r, mail); break;
	case REPORT_JSON: report_json(&out, &r); break;
	case REPORT_CSV: report_csv(&out, &r); break;
	}
	if (obuf_flush(&out) == -1 || fflush(stdout) == EOF) {
		log_warn("standard output");
		status = 1;
	}
	obuf_free(&out);
	report_free(&r);
out:
	tz_free(tz);
	conf_free(&conf);
	return status;
}
