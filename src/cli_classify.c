/*
 * cli_classify.c -- bouncewatch classify: log lines in, one verdict per
 * delivery event out, in input order.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "cli.h"
#include "emit.h"
#include "input.h"
#include "log.h"
#include "parse.h"
#include "tz.h"

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

static void
cli_classify_usage(void)
{
	fprintf(stderr,
	    "usage: bouncewatch classify [--format json|tsv|text] [--rules FILE]\n"
	    "                            [--timezone ZONE] [FILE ...]\n"
	    "       bouncewatch classify [--format json|tsv|text] --reply TEXT\n");
}

struct classify_counts {
	unsigned long	 lines;
	unsigned long	 kind[LINE_KIND_MAX];
};

static int
cli_classify_stream(struct input *in, const struct parse_ctx *ctx,
    const struct classifier *cl, enum emit_format fmt, struct obuf *out,
    struct classify_counts *n)
{
	const char	*line;
	size_t		 len;
	struct delivery	 d;
	struct verdict	 v;
	enum line_kind	 k;
	int		 r;

	while ((r = input_next(in, &line, &len)) == 1) {
		n->lines++;
		k = parse_line(ctx, line, len, &d);
		n->kind[k]++;
		if (k != LINE_DELIVERY && k != LINE_EXPIRED)
			continue;
		classify_delivery(cl, k, &d, &v);
		emit_record(out, fmt, n->lines, k, &d, &v);
	}
	return r;
}

int
cli_classify(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "rules", required_argument, NULL, 'r' },
		{ "timezone", required_argument, NULL, 'z' },
		{ "reply", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum emit_format	 fmt = EMIT_TEXT;
	const char		*rules = NULL, *zone = NULL, *reply = NULL;
	struct reader		 rd;
	struct classify_counts	 n;
	struct obuf		 out;
	int			 ch, i, r, status = 0;

	while ((ch = getopt_long(argc, argv, "f:r:z:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			if (strcmp(optarg, "json") == 0)
				fmt = EMIT_JSON;
			else if (strcmp(optarg, "tsv") == 0)
				fmt = EMIT_TSV;
			else if (strcmp(optarg, "text") == 0)
				fmt = EMIT_TEXT;
			else {
				log_warnx("unknown format \"%s\" (json, tsv or text)", optarg);
				return 2;
			}
			break;
		case 'r':
			rules = optarg;
			break;
		case 'z':
			zone = optarg;
			break;
		case 'R':
			reply = optarg;
			break;
		case 'h':
			cli_classify_usage();
			return 0;
		default:
			cli_classify_usage();
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (reply != NULL && argc > 0) {
		cli_classify_usage();
		return 2;
	}

	if ((r = cli_reader_open(&rd, zone, rules)) < 0)
		return r == -2 ? 2 : 1;
	obuf_init(&out, stdout);
	if (fmt == EMIT_TSV)
		emit_tsv_header(&out);

	if (reply != NULL) {
		struct delivery	 d;
		struct verdict	 v;

		parse_reply(reply, strlen(reply), &d);
		classify_delivery(rd.cl, LINE_DELIVERY, &d, &v);
		emit_record(&out, fmt, 1, LINE_DELIVERY, &d, &v);
	} else {
		memset(&n, 0, sizeof(n));
		for (i = 0; i < (argc == 0 ? 1 : argc); i++) {
			const char	*path = argc == 0 ? "-" : argv[i];
			struct input	*in;

			if ((in = input_open(path)) == NULL) {
				log_warn("%s", path);
				status = 1;
				continue;
			}
			if (cli_classify_stream(in, &rd.ctx, rd.cl, fmt, &out, &n) == -1) {
				log_warn("%s: read error", path);
				status = 1;
			}
			input_close(in);
		}
		fprintf(stderr, "%lu lines: %lu deliveries, %lu expired, %lu probes, "
		    "%lu other, %lu unparseable\n", n.lines, n.kind[LINE_DELIVERY],
		    n.kind[LINE_EXPIRED], n.kind[LINE_PROBE], n.kind[LINE_OTHER],
		    n.kind[LINE_INVALID]);
	}
	if (obuf_flush(&out) == -1 || fflush(stdout) == EOF) {
		log_warn("standard output");
		status = 1;
	}
	obuf_free(&out);
	cli_reader_close(&rd);
	return status;
}
