/*
 * cli_import.c -- bouncewatch import: existing logs (plain or gzip) into
 * the database, exactly once.
 *
 * A file is recognised by its content: the first bytes (fingerprint) name
 * the log generation whatever its file name, so mail.log, its rotated
 * copy mail.log.1 and mail.log.1.gz are one source, and importing any of
 * them again continues where the last import stopped -- usually at the
 * end, adding nothing.  Rows, counters and the position advance together,
 * in batches, in one transaction each.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "classify.h"
#include "cli.h"
#include "conf.h"
#include "input.h"
#include "log.h"
#include "parse.h"
#include "store.h"
#include "tz.h"

#define IMPORT_BATCH	200000	/* lines per transaction */

struct import_stats {
	uint64_t	 lines;
	uint64_t	 kind[LINE_KIND_MAX];
	uint64_t	 failures;
	uint64_t	 skipped_bytes;
	int		 unterminated;
};

static void
import_progress(const char *path, struct input *in, int64_t size, uint64_t lines)
{
	int64_t	 raw = input_raw_offset(in);
	int	 pct = size > 0 && raw >= 0 ? (int)(100 * raw / size) : 0;
	char	 bar[31];
	int	 i;

	if (pct > 100)
		pct = 100;
	for (i = 0; i < 30; i++)
		bar[i] = i < pct * 30 / 100 ? '#' : '.';
	bar[30] = '\0';
	fprintf(stderr, "\r%-30.30s [%s] %3d%% %llu lines", path, bar, pct,
	    (unsigned long long)lines);
}

static int
import_commit(struct store *st, struct store_source *src, struct input *in,
    uint64_t lines, const unsigned char *head,
    size_t headlen)
{
	src->offset = input_offset(in);
	src->tail_len = input_tail(in, 0, src->tail, STORE_TAIL_MAX);
	src->lines = lines;
	if (headlen > src->fp_len) {	/* the fingerprint grows to STORE_FP_MAX */
		memcpy(src->fp, head, headlen);
		src->fp_len = headlen;
	}
	if (store_source_save(st, src) == -1 || store_commit(st) == -1)
		return -1;
	return 0;
}

/*
 * Import one file.  Returns 0, or -1 on a database error (the caller
 * stops: the batch was rolled back and a rerun continues), or 1 when
 * the file itself could not be read (the caller goes on).
 */
static int
import_file(const char *path, struct store *st, const struct parse_ctx *ctx,
    const struct classifier *cl, struct import_stats *total, int progress)
{
	struct input		*in;
	struct store_source	 src;
	struct import_stats	 s;
	unsigned char		 tail[STORE_TAIL_MAX];
	size_t			 tail_len;
	unsigned char		 head[STORE_FP_MAX];
	size_t			 headlen;
	const char		*line;
	size_t			 len;
	uint64_t		 batch = 0, lineno;
	int64_t			 size;
	struct stat		 sb;
	int			 r, found;

	memset(&s, 0, sizeof(s));
	if ((in = input_open(path)) == NULL) {
		log_warn("%s", path);
		return 1;
	}
	if (fstat(STDIN_FILENO, &sb) == -1)
		memset(&sb, 0, sizeof(sb));
	if (strcmp(path, "-") != 0 && stat(path, &sb) == -1)
		memset(&sb, 0, sizeof(sb));
	size = input_size(in);
	headlen = input_peek(in, head, sizeof(head));
	if (headlen == 0) {
		input_close(in);
		return 0;
	}

	if (store_begin(st) == -1)
		goto dberr;
	if ((found = store_source_match(st, head, headlen, &src)) == -1)
		goto dberr;
	if (!found) {
		if (store_source_new(st, path, head, headlen, (uint64_t)sb.st_dev,
		    (uint64_t)sb.st_ino, &src) == -1)
			goto dberr;
	} else {
		/* skip what was imported before; check the marker before the offset */
		while (input_offset(in) < src.offset &&
		    (r = input_next(in, &line, &len)) == 1)
			;
		s.skipped_bytes = input_offset(in) < src.offset ? input_offset(in) : src.offset;
		if (input_offset(in) < src.offset) {
			/* a shorter copy of a generation read further before: nothing new */
			store_rollback(st);
			input_close(in);
			total->skipped_bytes += s.skipped_bytes;
			return 0;
		}
		tail_len = input_tail(in, 0, tail, src.tail_len);
		if (input_offset(in) != src.offset || tail_len != src.tail_len ||
		    memcmp(tail, src.tail, tail_len) != 0) {
			log_warnx("%s: starts like a log imported before (source %lld) but "
			    "differs before offset %llu: not imported", path,
			    (long long)src.id, (unsigned long long)src.offset);
			store_rollback(st);
			input_close(in);
			return 1;
		}
		snprintf(src.path, sizeof(src.path), "%s", path);
	}
	lineno = src.lines;

	while ((r = input_next(in, &line, &len)) == 1) {
		struct delivery	 d;
		struct verdict	 v;
		enum line_kind	 k;
		uint64_t	 off = input_offset(in) - len - (input_terminated(in) ? 1 : 0);

		if (!input_terminated(in)) {
			/* a partial last line: leave it for when it is complete */
			s.unterminated = 1;
			break;
		}
		s.lines++;
		lineno++;
		k = parse_line(ctx, line, len, &d);
		s.kind[k]++;
		if (k == LINE_DELIVERY || k == LINE_EXPIRED) {
			classify_delivery(cl, k, &d, &v);
			if (v.cls != CLASS_DELIVERED)
				s.failures++;
		}
		if (store_add(st, src.id, off, k, &d, &v) == -1)
			goto dberr;
		if (++batch >= IMPORT_BATCH) {
			if (import_commit(st, &src, in, lineno, head, headlen) == -1 ||
			    store_begin(st) == -1)
				goto dberr;
			batch = 0;
			if (progress)
				import_progress(path, in, size, s.lines);
		}
	}
	if (r == -1) {
		log_warn("%s: read error after %llu lines", path,
		    (unsigned long long)s.lines);
		store_rollback(st);
		input_close(in);
		return 1;
	}
	if (s.unterminated) {
		/* commit up to the end of the last complete line */
		struct store_source	 keep = src;
		uint64_t		 end = input_offset(in) - len;

		keep.offset = end;
		keep.tail_len = input_tail(in, len, keep.tail, STORE_TAIL_MAX);
		keep.lines = lineno;
		if (headlen > keep.fp_len) {
			memcpy(keep.fp, head, headlen);
			keep.fp_len = headlen;
		}
		if (store_source_save(st, &keep) == -1 || store_commit(st) == -1)
			goto dberr;
	} else if (import_commit(st, &src, in, lineno, head, headlen) == -1)
		goto dberr;
	if (progress) {
		import_progress(path, in, size, s.lines);
		fputc('\n', stderr);
	}
	input_close(in);
	total->lines += s.lines;
	for (int i = 0; i < LINE_KIND_MAX; i++)
		total->kind[i] += s.kind[i];
	total->failures += s.failures;
	total->skipped_bytes += s.skipped_bytes;
	total->unterminated += s.unterminated;
	return 0;

dberr:
	if (progress)
		fputc('\n', stderr);
	log_warnx("%s: %s", path, store_errmsg(st));
	store_rollback(st);
	input_close(in);
	return -1;
}

static void
cli_import_usage(void)
{
	fprintf(stderr, "usage: bouncewatch import [--db PATH] [--rules FILE] "
	    "[--timezone ZONE] [--quiet] FILE ...\n");
}

int
cli_import(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "rules", required_argument, NULL, 'r' },
		{ "timezone", required_argument, NULL, 'z' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct reader		 rd;
	struct store		*st;
	struct import_stats	 total;
	enum store_err		 why;
	char			 err[4096];
	const char		*db = NULL, *rules = NULL, *zone = NULL;
	int			 ch, i, quiet = 0, status = 0, r, lockfd;

	while ((ch = getopt_long(argc, argv, "d:r:z:qh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd': db = optarg; break;
		case 'r': rules = optarg; break;
		case 'z': zone = optarg; break;
		case 'q': quiet = 1; break;
		case 'h': cli_import_usage(); return 0;
		default: cli_import_usage(); return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		cli_import_usage();
		return 2;
	}
	if ((r = cli_reader_open(&rd, zone, rules)) < 0)
		return r == -2 ? 2 : 1;
	rd.ctx.lazy = 1;		/* parse only what the store keeps */
	if (db == NULL)
		db = rd.conf->database;
	/* one writer: a running bouncewatchd reads the same files */
	if ((lockfd = store_lock(db)) < 0) {
		if (lockfd == -2)
			log_warnx("%s is in use by another writer (a running bouncewatchd "
			    "or import): stop bouncewatchd first, or import into another "
			    "database", db);
		status = 1;
		goto out;
	}
	if ((st = store_open(db, STORE_RW, rd.ctx.tz, &why, err, sizeof(err))) == NULL) {
		log_warnx("%s", err);
		close(lockfd);
		status = 1;
		goto out;
	}
	memset(&total, 0, sizeof(total));
	for (i = 0; i < argc; i++) {
		r = import_file(argv[i], st, &rd.ctx, rd.cl, &total,
		    !quiet && isatty(STDERR_FILENO));
		if (r == 1)
			status = 1;
		else if (r == -1) {
			status = 1;
			log_warnx("import stopped: nothing of the failed batch was kept; "
			    "run the same import again to complete it");
			break;
		}
	}
	store_close(st);
	close(lockfd);
	if (!quiet)
		fprintf(stderr, "imported %llu lines: %llu deliveries (%llu failed), "
		    "%llu expired, %llu probes, %llu other, %llu unparseable; "
		    "%llu bytes already imported were skipped%s\n",
		    (unsigned long long)total.lines,
		    (unsigned long long)total.kind[LINE_DELIVERY],
		    (unsigned long long)total.failures,
		    (unsigned long long)total.kind[LINE_EXPIRED],
		    (unsigned long long)total.kind[LINE_PROBE],
		    (unsigned long long)total.kind[LINE_OTHER],
		    (unsigned long long)total.kind[LINE_INVALID],
		    (unsigned long long)total.skipped_bytes,
		    total.unterminated ? "; an unterminated last line was left for later" : "");
out:
	cli_reader_close(&rd);
	return status;
}
