/*
 * cli_suppressions.c -- "bouncewatch suppressions": the recipients whose
 * last known outcome is a permanent recipient failure, as a list to load
 * into a suppression list (CSV with the columns ESPs import: email,
 * reason, created_at), as JSON or as text.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "conf.h"
#include "json.h"
#include "log.h"
#include "store.h"
#include "tz.h"
#include "util.h"

enum supp_format {
	SUPP_TEXT,
	SUPP_CSV,
	SUPP_JSON,
};

struct supp_out {
	struct obuf		 b;
	struct json		 j;
	enum supp_format	 fmt;
	size_t			 n;
};

static void
cli_suppressions_usage(FILE *f)
{
	fprintf(f, "usage: bouncewatch suppressions [--db PATH] [--since YYYY-MM-DD]\n"
	    "                                [--format csv|json|text]\n"
	    "List the recipients whose last known outcome is a permanent failure of\n"
	    "the address (user_unknown, mailbox_disabled, bad_address,\n"
	    "domain_not_found); a later delivery to one removes it.\n\n"
	    "  -d, --db PATH       the database (default: the configuration's)\n"
	    "  -s, --since DAY     only those last failing on or after this local day\n"
	    "  -f, --format FMT    text (default), csv (email,reason,created_at,...:\n"
	    "                      for an ESP's suppression import) or json\n"
	    "  -h, --help          print this help and exit\n");
}

/* "YYYY-MM-DDTHH:MM:SSZ" of a UTC time. */
static void
cli_suppressions_time(int64_t t, char *buf, size_t len)
{
	time_t		 tt = (time_t)t;
	struct tm	 tm;

	if (gmtime_r(&tt, &tm) == NULL || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "%lld", (long long)t);
}

static void
cli_suppressions_csv_cell(struct obuf *b, const char *s, int last)
{
	emit_csv_str(b, s, strlen(s));
	obuf_putc(b, last ? '\n' : ',');
}

static int
cli_suppressions_row(const struct store_suppression *s, void *arg)
{
	struct supp_out	*o = arg;
	const char	*reason = classify_reason_name((enum bw_reason)s->reason);
	const char	*text = s->diagnostic != NULL ? s->diagnostic : "";
	char		 first[32], last[32], n[32];

	cli_suppressions_time(s->first_seen, first, sizeof(first));
	cli_suppressions_time(s->last_seen, last, sizeof(last));
	snprintf(n, sizeof(n), "%lld", (long long)s->n);
	switch (o->fmt) {
	case SUPP_CSV:
		cli_suppressions_csv_cell(&o->b, s->recipient, 0);
		cli_suppressions_csv_cell(&o->b, reason, 0);
		cli_suppressions_csv_cell(&o->b, last, 0);
		cli_suppressions_csv_cell(&o->b, first, 0);
		cli_suppressions_csv_cell(&o->b, n, 0);
		cli_suppressions_csv_cell(&o->b, s->domain, 0);
		cli_suppressions_csv_cell(&o->b, text, 1);
		break;
	case SUPP_JSON:
		json_object(&o->j, NULL);
		json_str(&o->j, "email", s->recipient);
		json_str(&o->j, "domain", s->domain);
		json_str(&o->j, "reason", reason);
		json_str(&o->j, "first_seen", first);
		json_str(&o->j, "last_seen", last);
		json_int(&o->j, "count", s->n);
		json_str(&o->j, "error", s->diagnostic);
		json_end(&o->j);
		break;
	case SUPP_TEXT:
		if (o->n == 0)
			obuf_printf(&o->b, "%-20s  %-16s  %5s  %s\n", "last failure (UTC)",
			    "reason", "count", "recipient");
		obuf_printf(&o->b, "%-20s  %-16s  %5s  ", last, reason, n);
		emit_term_str(&o->b, s->recipient, strlen(s->recipient));
		obuf_putc(&o->b, '\n');
		break;
	}
	o->n++;
	return 0;
}

int
cli_suppressions(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "since", required_argument, NULL, 's' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct conf	 conf;
	struct store	*st;
	struct tz	*tz;
	struct supp_out	 o;
	enum store_err	 why;
	char		*cause = NULL;
	const char	*db = NULL, *since = NULL, *format = "text";
	int64_t		 t0 = 0;
	int		 ch, status = 0;

	while ((ch = getopt_long(argc, argv, "d:s:f:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd': db = optarg; break;
		case 's': since = optarg; break;
		case 'f': format = optarg; break;
		case 'h': cli_suppressions_usage(stdout); return 0;
		default: cli_suppressions_usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		cli_suppressions_usage(stderr);
		return 2;
	}
	memset(&o, 0, sizeof(o));
	if (strcmp(format, "csv") == 0)
		o.fmt = SUPP_CSV;
	else if (strcmp(format, "json") == 0)
		o.fmt = SUPP_JSON;
	else if (strcmp(format, "text") == 0)
		o.fmt = SUPP_TEXT;
	else {
		log_warnx("unknown format \"%s\": csv, json or text", format);
		return 2;
	}
	if (since != NULL && cli_parse_day(since) < 0) {
		log_warnx("--since: \"%s\" is not a day YYYY-MM-DD", since);
		return 2;
	}
	if (cli_config_tz(&conf, &tz) == -1)
		return 1;
	if (db == NULL)
		db = conf.database;
	if (since != NULL)
		t0 = tz_local_to_utc(tz, cli_parse_day(since) * 86400);
	if ((st = store_open(db, STORE_RO, tz, &why, &cause)) == NULL) {
		log_warnx("%s", cause);
		free(cause);
		status = 1;
		goto out;
	}
	obuf_init(&o.b, stdout);
	if (o.fmt == SUPP_CSV)
		obuf_puts(&o.b, "email,reason,created_at,first_seen,count,domain,error\n");
	else if (o.fmt == SUPP_JSON) {
		json_init(&o.j, &o.b);
		json_array(&o.j, NULL);
	}
	if (store_read_begin(st) == -1 ||
	    store_suppression_list(st, t0, cli_suppressions_row, &o) == -1) {
		log_warnx("%s: %s", db, store_errmsg(st));
		status = 1;
	}
	store_read_end(st);
	store_close(st);
	if (o.fmt == SUPP_JSON) {
		json_end(&o.j);
		obuf_putc(&o.b, '\n');
	}
	if (obuf_flush(&o.b) == -1 || fflush(stdout) == EOF) {
		log_warn("standard output");
		status = 1;
	}
	obuf_free(&o.b);
out:
	tz_free(tz);
	conf_free(&conf);
	return status;
}
