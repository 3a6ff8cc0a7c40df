/*
 * cli_classify.c -- bouncewatch classify: log lines in, one verdict per
 * delivery event out, in input order, through the ingest pipeline with a
 * sink that prints; and the record formats it prints (json, tsv, text).
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
#include "ingest.h"
#include "log.h"
#include "parse.h"
#include "source.h"
#include "source_file.h"
#include "util.h"

enum emit_format {
	EMIT_JSON,
	EMIT_TSV,
	EMIT_TEXT,
};

/* JSON string, or null when p is NULL. */
static void
emit_json_span(struct obuf *b, struct span s)
{
	if (s.p == NULL)
		obuf_put(b, "null", 4);
	else
		emit_json_str(b, s.p, s.n);
}

static void
emit_json_key(struct obuf *b, const char *key, int *first)
{
	if (!*first)
		obuf_putc(b, ',');
	*first = 0;
	obuf_putc(b, '"');
	obuf_puts(b, key);
	obuf_put(b, "\":", 2);
}

/* --explain in JSON: "explain": {"text", "stage", "evidence": [...]} */
static void
emit_json_trace(struct obuf *b, const struct classify_trace *tr, int *first)
{
	size_t	 i;

	emit_json_key(b, "explain", first);
	obuf_puts(b, "{\"text\":");
	if (tr->text != NULL)
		emit_json_str(b, tr->text, strlen(tr->text));
	else
		obuf_puts(b, "null");
	obuf_puts(b, ",\"stage\":");
	if (tr->stage != NULL)
		emit_json_str(b, tr->stage, strlen(tr->stage));
	else
		obuf_puts(b, "null");
	obuf_puts(b, ",\"evidence\":[");
	for (i = 0; i < tr->n; i++) {
		const struct classify_evidence	*e = &tr->ev[i];

		obuf_puts(b, i > 0 ? ",{\"rule\":" : "{\"rule\":");
		emit_json_str(b, e->rule, strlen(e->rule));
		obuf_puts(b, ",\"pattern\":");
		emit_json_str(b, e->pattern, strlen(e->pattern));
		obuf_printf(b, ",\"weight\":\"%s\",\"reason\":", e->weight);
		if (e->reason == REASON_NONE)
			obuf_puts(b, "null");
		else
			obuf_printf(b, "\"%s\"", classify_reason_name(e->reason));
		obuf_puts(b, ",\"outcome\":");
		emit_json_str(b, e->outcome, strlen(e->outcome));
		obuf_putc(b, '}');
	}
	obuf_printf(b, "],\"dropped\":%zu}", tr->dropped);
}

static void
emit_json_record(struct obuf *b, unsigned long lineno, enum line_kind kind,
    const struct delivery *d, const struct verdict *v,
    const struct classify_trace *tr)
{
	char	 tbuf[40];
	int	 first = 1;

	obuf_putc(b, '{');
	emit_json_key(b, "line", &first);
	obuf_printf(b, "%lu", lineno);
	emit_json_key(b, "kind", &first);
	obuf_printf(b, "\"%s\"", parse_kind_name(kind));
	emit_json_key(b, "mta", &first);
	obuf_printf(b, "\"%s\"", parse_mta_name(d->mta));
	emit_json_key(b, "time", &first);
	if (d->has_time) {
		emit_time_iso(tbuf, sizeof(tbuf), d->time, d->usec);
		obuf_printf(b, "\"%s\"", tbuf);
	} else
		obuf_puts(b, "null");
	emit_json_key(b, "host", &first);
	emit_json_span(b, d->host);
	emit_json_key(b, "syslog_name", &first);
	emit_json_span(b, d->syslog_name);
	emit_json_key(b, "program", &first);
	emit_json_span(b, d->program);
	emit_json_key(b, "pid", &first);
	if (d->pid >= 0)
		obuf_printf(b, "%ld", d->pid);
	else
		obuf_puts(b, "null");
	emit_json_key(b, "queue_id", &first);
	emit_json_span(b, d->queue_id);
	emit_json_key(b, "recipient", &first);
	emit_json_span(b, d->recipient);
	emit_json_key(b, "orig_to", &first);
	emit_json_span(b, d->orig_to);
	emit_json_key(b, "domain", &first);
	if (d->domain[0] != '\0')
		emit_json_str(b, d->domain, strlen(d->domain));
	else
		obuf_puts(b, "null");
	emit_json_key(b, "sender", &first);
	emit_json_span(b, d->sender);
	emit_json_key(b, "relay", &first);
	emit_json_span(b, d->relay);
	emit_json_key(b, "relay_host", &first);
	emit_json_span(b, d->relay_host);
	emit_json_key(b, "relay_addr", &first);
	emit_json_span(b, d->relay_addr);
	emit_json_key(b, "relay_port", &first);
	if (d->relay_port >= 0)
		obuf_printf(b, "%d", d->relay_port);
	else
		obuf_puts(b, "null");
	emit_json_key(b, "delay", &first);
	emit_json_span(b, d->delay);
	emit_json_key(b, "delays", &first);
	emit_json_span(b, d->delays);
	emit_json_key(b, "status", &first);
	obuf_printf(b, "\"%s\"", parse_status_name(d->status));
	emit_json_key(b, "class", &first);
	obuf_printf(b, "\"%s\"", classify_class_name(v->cls));
	emit_json_key(b, "reason", &first);
	if (v->reason == REASON_NONE)
		obuf_puts(b, "null");
	else
		obuf_printf(b, "\"%s\"", classify_reason_name(v->reason));
	emit_json_key(b, "detail", &first);
	if (classify_detail_name(v->detail) == NULL)
		obuf_puts(b, "null");
	else
		obuf_printf(b, "\"%s\"", classify_detail_name(v->detail));
	emit_json_key(b, "detail_name", &first);
	if (v->detail_name[0] == '\0')
		obuf_puts(b, "null");
	else
		emit_json_str(b, v->detail_name, strlen(v->detail_name));
	emit_json_key(b, "code", &first);
	if (d->code != 0)
		obuf_printf(b, "%d", d->code);
	else
		obuf_puts(b, "null");
	emit_json_key(b, "enhanced", &first);
	emit_json_span(b, d->enhanced);
	emit_json_key(b, "dsn", &first);
	emit_json_span(b, d->dsn);
	emit_json_key(b, "stage", &first);
	emit_json_span(b, d->stage);
	emit_json_key(b, "diagnostic", &first);
	emit_json_span(b, d->diagnostic);
	emit_json_key(b, "truncated", &first);
	obuf_puts(b, d->truncated ? "true" : "false");
	emit_json_key(b, "rule", &first);
	if (v->rule != NULL)
		emit_json_str(b, v->rule, strlen(v->rule));
	else
		obuf_puts(b, "null");
	if (tr != NULL)
		emit_json_trace(b, tr, &first);
	obuf_put(b, "}\n", 2);
}

static const char *const emit_tsv_columns[] = {
	"line", "time", "host", "program", "queue_id", "recipient", "domain",
	"relay", "status", "class", "reason", "detail", "code", "enhanced", "dsn",
	"stage", "rule", "diagnostic",
};

static void
emit_tsv_header(struct obuf *b)
{
	size_t	 i;

	for (i = 0; i < nitems(emit_tsv_columns); i++) {
		if (i > 0)
			obuf_putc(b, '\t');
		obuf_puts(b, emit_tsv_columns[i]);
	}
	obuf_putc(b, '\n');
}

static void
emit_tsv_field(struct obuf *b, struct span s, int last)
{
	if (s.p == NULL || s.n == 0)
		obuf_putc(b, '-');
	else
		emit_term_str(b, s.p, s.n);
	obuf_putc(b, last ? '\n' : '\t');
}

static void
emit_tsv_cstr(struct obuf *b, const char *s)
{
	struct span	 sp = { s, s != NULL ? strlen(s) : 0 };

	emit_tsv_field(b, sp, 0);
}

static void
emit_tsv_record(struct obuf *b, unsigned long lineno, const struct delivery *d,
    const struct verdict *v)
{
	char	 tbuf[VERDICT_DETAIL_NAME_MAX + 16], code[8];

	obuf_printf(b, "%lu\t", lineno);
	if (d->has_time)
		emit_time_iso(tbuf, sizeof(tbuf), d->time, d->usec);
	else
		strlcpy(tbuf, "-", sizeof(tbuf));
	emit_tsv_cstr(b, tbuf);
	emit_tsv_field(b, d->host, 0);
	emit_tsv_field(b, d->program, 0);
	emit_tsv_field(b, d->queue_id, 0);
	emit_tsv_field(b, d->recipient, 0);
	emit_tsv_cstr(b, d->domain[0] ? d->domain : NULL);
	emit_tsv_field(b, d->relay, 0);
	emit_tsv_cstr(b, parse_status_name(d->status));
	emit_tsv_cstr(b, classify_class_name(v->cls));
	emit_tsv_cstr(b, v->reason == REASON_NONE ? NULL : classify_reason_name(v->reason));
	emit_tsv_cstr(b, classify_detail_text(v, tbuf, sizeof(tbuf)));
	if (d->code != 0)
		snprintf(code, sizeof(code), "%d", d->code);
	else
		strlcpy(code, "-", sizeof(code));
	emit_tsv_cstr(b, code);
	emit_tsv_field(b, d->enhanced, 0);
	emit_tsv_field(b, d->dsn, 0);
	emit_tsv_field(b, d->stage, 0);
	emit_tsv_cstr(b, v->rule);
	emit_tsv_field(b, d->diagnostic, 1);
}

/* --explain in text: the rules found, one a line, what became of each. */
static void
emit_text_trace(struct obuf *b, const struct classify_trace *tr)
{
	size_t	 i;

	obuf_printf(b, "    evidence, read in %s", tr->text != NULL ? tr->text :
	    "nothing (no text)");
	if (tr->stage != NULL)
		obuf_printf(b, "; SMTP stage: %s", tr->stage);
	obuf_puts(b, tr->n == 0 ? "; no rule found anything\n" : ":\n");
	for (i = 0; i < tr->n; i++) {
		const struct classify_evidence	*e = &tr->ev[i];

		obuf_printf(b, "      %-4s %-8s %-18s ",
		    strncmp(e->outcome, "won", 3) == 0 ? "WON" : "-", e->weight,
		    e->reason == REASON_NONE ? "-" : classify_reason_name(e->reason));
		emit_term_str(b, e->rule, strlen(e->rule));
		obuf_puts(b, " \"");
		emit_term_str(b, e->pattern, strlen(e->pattern));
		obuf_printf(b, "\": %s\n", e->outcome);
	}
	if (tr->dropped > 0)
		obuf_printf(b, "      (%zu more not shown)\n", tr->dropped);
}

static void
emit_text_record(struct obuf *b, unsigned long lineno, const struct delivery *d,
    const struct verdict *v, const struct classify_trace *tr)
{
	char	 tbuf[VERDICT_DETAIL_NAME_MAX + 16];

	if (d->has_time)
		emit_time_iso(tbuf, sizeof(tbuf), d->time, 0);
	else
		strlcpy(tbuf, "-", sizeof(tbuf));
	obuf_printf(b, "%lu: %s", lineno, tbuf);
	if (d->recipient.p != NULL && d->recipient.n > 0) {
		obuf_putc(b, ' ');
		emit_term_str(b, d->recipient.p, d->recipient.n);
	} else if (d->queue_id.p != NULL) {
		obuf_putc(b, ' ');
		emit_term_str(b, d->queue_id.p, d->queue_id.n);
	}
	obuf_printf(b, " %s", classify_class_name(v->cls));
	if (v->reason != REASON_NONE)
		obuf_printf(b, "/%s", classify_reason_name(v->reason));
	if (classify_detail_text(v, tbuf, sizeof(tbuf)) != NULL) {
		obuf_putc(b, '/');
		emit_term_str(b, tbuf, strlen(tbuf));
	}
	if (v->rule != NULL) {
		obuf_puts(b, " [");
		emit_term_str(b, v->rule, strlen(v->rule));
		obuf_putc(b, ']');
	}
	obuf_putc(b, '\n');
	if (d->diagnostic.p != NULL && d->diagnostic.n > 0) {
		obuf_puts(b, "    ");
		emit_term_str(b, d->diagnostic.p, d->diagnostic.n);
		obuf_putc(b, '\n');
	}
	if (tr != NULL)
		emit_text_trace(b, tr);
}

static void
emit_record(struct obuf *b, enum emit_format fmt, unsigned long lineno,
    enum line_kind kind, const struct delivery *d, const struct verdict *v,
    const struct classify_trace *tr)
{
	switch (fmt) {
	case EMIT_JSON:
		emit_json_record(b, lineno, kind, d, v, tr);
		break;
	case EMIT_TSV:
		emit_tsv_record(b, lineno, d, v);
		break;
	case EMIT_TEXT:
		emit_text_record(b, lineno, d, v, tr);
		break;
	}
}

static void
cli_classify_usage(FILE *f)
{
	fprintf(f,
	    "usage: bouncewatch classify [--format json|tsv|text] [--explain]\n"
	    "                            [--rules FILE] [--timezone ZONE] [FILE ...]\n"
	    "       bouncewatch classify [--format json|tsv|text] [--explain]\n"
	    "                            [--rules FILE] --reply TEXT\n"
	    "Classify the delivery lines of mail logs (standard input without FILE),\n"
	    "or one SMTP reply; nothing is stored.\n\n"
	    "  -f, --format FMT    json, tsv or text (default text)\n"
	    "  -e, --explain       show the evidence: every rule that matched, the\n"
	    "                      winner and why the others lost (text or json)\n"
	    "  -r, --rules FILE    operator rules, before the built-in ones\n"
	    "  -z, --timezone ZONE the zone of log times without one (default: the\n"
	    "                      configuration's)\n"
	    "      --reply TEXT    classify this reply text instead of log lines\n"
	    "  -h, --help          print this help and exit\n");
}

/* The sink: one record per delivery event instead of a row in the store. */
struct classify_out {
	struct obuf		 b;
	enum emit_format	 fmt;
	const struct classifier	*explain;	/* --explain: weigh again, traced */
};

static int
cli_classify_emit(void *arg, const struct source_line *l, uint64_t lineno,
    enum line_kind k, const struct delivery *d, const struct verdict *v)
{
	struct classify_out	*o = arg;
	struct classify_trace	 tr;
	struct verdict		 again;

	(void)l;
	if (o->explain != NULL && (k == LINE_DELIVERY || k == LINE_EXPIRED)) {
		classify_explain(o->explain, k, d, &again, &tr);
		emit_record(&o->b, o->fmt, (unsigned long)lineno, k, d, v, &tr);
	} else
		emit_record(&o->b, o->fmt, (unsigned long)lineno, k, d, v, NULL);
	return 0;
}

int
cli_classify(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "rules", required_argument, NULL, 'r' },
		{ "timezone", required_argument, NULL, 'z' },
		{ "reply", required_argument, NULL, 'R' },
		{ "explain", no_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char			*rules = NULL, *zone = NULL, *reply = NULL;
	const struct ingest_counters	*n;
	struct reader			 rd;
	struct classify_out		 out;
	struct ingest_sink		 sink = { cli_classify_emit, &out };
	struct ingest			*ing;
	int				 ch, i, r, status = 0, explain = 0;

	out.fmt = EMIT_TEXT;
	out.explain = NULL;
	while ((ch = getopt_long(argc, argv, "f:r:z:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			if (strcmp(optarg, "json") == 0)
				out.fmt = EMIT_JSON;
			else if (strcmp(optarg, "tsv") == 0)
				out.fmt = EMIT_TSV;
			else if (strcmp(optarg, "text") == 0)
				out.fmt = EMIT_TEXT;
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
		case 'e':
			explain = 1;
			break;
		case 'h':
			cli_classify_usage(stdout);
			return 0;
		default:
			cli_classify_usage(stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if ((reply != NULL && argc > 0) || (explain && out.fmt == EMIT_TSV)) {
		if (explain && out.fmt == EMIT_TSV)
			log_warnx("--explain needs --format text or json");
		cli_classify_usage(stderr);
		return 2;
	}

	if (cli_reader_open(&rd, zone, rules, &r) == -1)
		return r;
	obuf_init(&out.b, stdout);
	if (explain)
		out.explain = rd.cl;
	if (out.fmt == EMIT_TSV)
		emit_tsv_header(&out.b);
	ing = ingest_new(&rd.ctx, rd.cl, NULL, &sink);
	n = ingest_counters(ing);
	if (reply != NULL)
		ingest_reply(ing, reply, strlen(reply));
	else {
		for (i = 0; i < (argc == 0 ? 1 : argc); i++) {
			const char		*path = argc == 0 ? "-" : argv[i];
			struct source		*src;
			struct source_file_info	 fi;
			uint64_t		 skipped, done;

			if ((src = source_file_open(path, NULL, &r, &skipped)) == NULL) {
				status = 1;
				continue;
			}
			ingest_add(ing, src);
			(void)ingest_pump(ing, UINT64_MAX, &done);
			source_file_info(src, &fi);
			if (fi.read_error)
				status = 1;
			ingest_remove(ing, src);
		}
		fprintf(stderr, "%llu lines: %llu deliveries, %llu expired, %llu probes, "
		    "%llu other, %llu unparseable\n", (unsigned long long)n->lines,
		    (unsigned long long)n->kind[LINE_DELIVERY],
		    (unsigned long long)n->kind[LINE_EXPIRED],
		    (unsigned long long)n->kind[LINE_PROBE],
		    (unsigned long long)n->kind[LINE_OTHER],
		    (unsigned long long)n->kind[LINE_INVALID]);
	}
	ingest_free(ing);
	if (obuf_flush(&out.b) == -1 || fflush(stdout) == EOF) {
		log_warn("standard output");
		status = 1;
	}
	obuf_free(&out.b);
	cli_reader_close(&rd);
	return status;
}
