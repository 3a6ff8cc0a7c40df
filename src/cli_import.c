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

#include "cli.h"
#include "daysum.h"
#include "conf.h"
#include "ingest.h"
#include "ingest_pipe.h"
#include "log.h"
#include "parse.h"
#include "source.h"
#include "source_file.h"
#include "source_glob.h"
#include "source_journal.h"
#include "store.h"
#include "tz.h"

/*
 * Lines per transaction: a crash re-reads at most this many.  Fewer
 * commits matter in an old database, where each one writes the pages a
 * batch touched all over its indexes (day 30's import into a 29-day
 * database: 1.38x a fresh one's CPU with 200,000, 1.28x with 1,000,000).
 */
#define IMPORT_BATCH	1000000

struct import_stats {
	uint64_t	 lines;
	uint64_t	 kind[LINE_KIND_MAX];
	uint64_t	 failures;
	uint64_t	 skipped_bytes;
	int		 unterminated;
};

static void
import_progress(const char *path, struct source *src, uint64_t lines)
{
	struct source_file_info	 fi;
	int			 pct, i;
	char			 bar[31];

	source_file_info(src, &fi);
	pct = fi.size > 0 && fi.raw >= 0 ? (int)(100 * fi.raw / fi.size) : 0;
	if (pct > 100)
		pct = 100;
	for (i = 0; i < 30; i++)
		bar[i] = i < pct * 30 / 100 ? '#' : '.';
	bar[30] = '\0';
	fprintf(stderr, "\r%-30.30s [%s] %3d%% %llu lines", path, bar, pct,
	    (unsigned long long)lines);
}

/* Add what the ingest counted since before to the totals. */
static void
import_count(struct import_stats *total, const struct ingest_counters *before,
    const struct ingest_counters *n)
{
	int	 i;

	total->lines += n->lines - before->lines;
	for (i = 0; i < LINE_KIND_MAX; i++)
		total->kind[i] += n->kind[i] - before->kind[i];
	total->failures += n->failures - before->failures;
}

/*
 * Import one file.  Returns 0, or -1 on a database error (the caller
 * stops: the batch was rolled back and a rerun continues), or 1 when
 * the file itself could not be read (the caller goes on).
 */
static int
import_file(const char *path, struct ingest *ing, struct ingest_pipe *pipe,
    struct store *st, struct import_stats *total, int progress)
{
	const struct ingest_counters	*n = ingest_counters(ing);
	struct ingest_counters		 before = *n;
	struct source_file_info		 fi;
	struct source			*src;
	uint64_t			 skipped, done;
	int				 status, r;

	if ((src = source_file_open(path, st, &status, &skipped)) == NULL) {
		total->skipped_bytes += skipped;
		return status;
	}
	ingest_add(ing, src);
	do {
		r = pipe != NULL ? ingest_pipe_pump(pipe, IMPORT_BATCH, &done) :
		    ingest_pump(ing, IMPORT_BATCH, &done);
		if (r == -1)
			goto dberr;
		source_file_info(src, &fi);
		if (fi.read_error) {
			ingest_rollback(ing);
			ingest_remove(ing, src);
			return 1;
		}
		if (ingest_commit(ing) == INGEST_COMMIT_FAILED)
			goto dberr;
		if (progress)
			import_progress(path, src, n->lines - before.lines);
	} while (r == 1);
	if (progress)
		fputc('\n', stderr);
	import_count(total, &before, n);
	total->skipped_bytes += fi.skipped;
	total->unterminated += fi.unterminated;
	ingest_remove(ing, src);
	return 0;

dberr:
	if (progress)
		fputc('\n', stderr);
	log_warnx("%s: %s", path, store_errmsg(st));
	ingest_rollback(ing);
	ingest_remove(ing, src);
	return -1;
}

/*
 * Import a journal from the cursor saved by the last import (or daemon):
 * a second run adds nothing.  0, -1 on a database error, 1 when the
 * journal cannot be read.
 */
static int
import_journal(const struct source_journal_conf *jc, struct ingest *ing,
    struct store *st, struct import_stats *total)
{
	const struct ingest_counters	*n = ingest_counters(ing);
	struct ingest_counters		 before = *n;
	struct source			*src;
	char				*cause = NULL;
	uint64_t			 done;
	int				 r;

	if ((src = source_journal_open(st, jc, &cause)) == NULL) {
		log_warnx("%s", cause != NULL ? cause : "journal: out of memory");
		free(cause);
		return 1;
	}
	ingest_add(ing, src);
	do {
		if ((r = ingest_pump(ing, IMPORT_BATCH, &done)) == -1 ||
		    ingest_commit(ing) == INGEST_COMMIT_FAILED) {
			log_warnx("%s: %s", src->name, store_errmsg(st));
			ingest_rollback(ing);
			ingest_remove(ing, src);
			return -1;
		}
	} while (r == 1);
	import_count(total, &before, n);
	ingest_remove(ing, src);
	return 0;
}

/*
 * One argument: a file, or a pattern as in "log =" (quoted from the shell:
 * its files in name order, rotated copies left out).  As import_file.
 */
static int
import_arg(const char *arg, struct ingest *ing, struct ingest_pipe *pipe,
    struct store *st, struct import_stats *total, int progress)
{
	char	**v, *cause = NULL;
	int	 i, n, r, status = 0;

	if (!source_glob_is_pattern(arg) || access(arg, F_OK) == 0)
		return import_file(arg, ing, pipe, st, total, progress);
	if ((n = source_glob_expand(arg, &v, &cause)) <= 0) {
		log_warnx("%s: %s", arg, n == -1 ? cause : "matches no file");
		free(cause);
		return 1;
	}
	for (i = 0; i < n; i++) {
		if ((r = import_file(v[i], ing, pipe, st, total, progress)) == -1) {
			status = -1;
			break;
		}
		if (r == 1)
			status = 1;
	}
	source_glob_free(v, n);
	return status;
}

static void
cli_import_usage(FILE *f)
{
	fprintf(f, "usage: bouncewatch import [--db PATH] [--rules FILE] "
	    "[--timezone ZONE] [--threads 1|2] [--quiet]\n"
	    "                          [--journal | --journal-directory DIR] "
	    "[--journal-match MATCH] [FILE ...]\n"
	    "Import mail logs (plain or gzip, oldest first; a quoted pattern such as\n"
	    "'/var/log/hurricane/*Processed.log' as in log =), or the systemd journal,\n"
	    "into the database; a file read before is continued where it was left,\n"
	    "never counted twice.\n\n"
	    "  -d, --db PATH       the database (default: the configuration's)\n"
	    "  -r, --rules FILE    operator rules, before the built-in ones\n"
	    "  -z, --timezone ZONE the zone of log times without one (default: the\n"
	    "                      configuration's)\n"
	    "  -t, --threads 1|2   2 (the default): read and parse in one thread,\n"
	    "                      store in another; 1: one thread\n"
	    "  -q, --quiet         no progress bar, no summary\n"
	    "      --journal       read the system's journal instead of files\n"
	    "      --journal-directory DIR  read the journal files in DIR\n"
	    "      --journal-match MATCH    only the journal entries matching MATCH\n"
	    "  -h, --help          print this help and exit\n");
}

int
cli_import(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "rules", required_argument, NULL, 'r' },
		{ "timezone", required_argument, NULL, 'z' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "threads", required_argument, NULL, 't' },
		{ "journal", no_argument, NULL, 'J' },
		{ "journal-directory", required_argument, NULL, 'D' },
		{ "journal-match", required_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct reader		 rd;
	struct store		*st;
	struct ingest		*ing;
	struct ingest_pipe	*pipe = NULL;
	struct tz		*stz;
	struct import_stats	 total;
	enum store_err		 why;
	char			*cause = NULL;
	const char		*db = NULL, *rules = NULL, *zone = NULL;
	struct source_journal_conf jc;
	int			 ch, i, quiet = 0, status = 0, r, lockfd, journal = 0;
	int			 threads = 2;

	memset(&jc, 0, sizeof(jc));

	while ((ch = getopt_long(argc, argv, "d:r:z:qt:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd': db = optarg; break;
		case 'r': rules = optarg; break;
		case 'z': zone = optarg; break;
		case 'q': quiet = 1; break;
		case 't':
			if (strcmp(optarg, "1") != 0 && strcmp(optarg, "2") != 0) {
				cli_import_usage(stderr);
				return 2;
			}
			threads = atoi(optarg);
			break;
		case 'J': journal = 1; break;
		case 'D': journal = 1; jc.dir = optarg; break;
		case 'M': jc.match = optarg; break;
		case 'h': cli_import_usage(stdout); return 0;
		default: cli_import_usage(stderr); return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0 && !journal) {
		cli_import_usage(stderr);
		return 2;
	}
	if (journal && !source_journal_available()) {
		log_warnx("--journal: this bouncewatch was built without the systemd "
		    "journal (configure --with-systemd, libsystemd-dev)");
		return 2;
	}
	if (cli_reader_open(&rd, zone, rules, &r) == -1)
		return r;
	rd.ctx.lazy = 1;		/* parse only what the store keeps */
	if (db == NULL)
		db = rd.conf->database;
	if (jc.match == NULL)
		jc.match = rd.conf->journal_match;	/* default: mail facility */
	/* one writer: a running bouncewatchd reads the same files */
	if ((lockfd = store_lock(db, &why, &cause)) == -1) {
		if (why == STORE_EBUSY)
			log_warnx("%s is in use by another writer (a running bouncewatchd "
			    "or import): stop bouncewatchd first, or import into another "
			    "database", db);
		else
			log_warnx("%s", cause);
		free(cause);
		status = 1;
		goto out;
	}
	/* the store's own zone: its caches are not shared with the reading thread */
	if ((stz = tz_new(zone != NULL ? zone : rd.conf->timezone)) == NULL) {
		close(lockfd);
		status = 1;
		goto out;
	}
	if ((st = store_open(db, STORE_RW, stz, &why, &cause)) == NULL) {
		log_warnx("%s", cause);
		free(cause);
		tz_free(stz);
		close(lockfd);
		status = 1;
		goto out;
	}
	store_set_queue_lifetime(st, rd.conf->queue_lifetime_s);
	if (rd.conf->node != NULL)
		store_set_node(st, rd.conf->node);
	if (strcmp(rd.conf->synchronous, "normal") == 0)
		store_set_synchronous(st, 0);
	memset(&total, 0, sizeof(total));
	ing = ingest_new(&rd.ctx, rd.cl, st, NULL);
	if (threads > 1 && (pipe = ingest_pipe_new(ing)) != NULL)
		ingest_pipe_prefault(pipe);
	for (i = 0; i < argc; i++) {
		r = import_arg(argv[i], ing, pipe, st, &total,
		    !quiet && isatty(STDERR_FILENO));
		if (r == 1)
			status = 1;
		else if (r == -1) {
			status = 1;
			log_warnx("import stopped: nothing of the failed batch was kept; "
			    "run the same import again to complete it");
			journal = 0;
			break;
		}
	}
	ingest_pipe_free(pipe);
	/* the journal's entries are the journal's memory: read on one thread */
	if (journal && import_journal(&jc, ing, st, &total) != 0)
		status = 1;
	ingest_free(ing);
	/*
	 * The summaries of the days imported into, for reports over many
	 * days; of every day once, after an upgrade to schema 7.
	 */
	if ((r = daysum_refresh(st, stz, NULL, 0)) == -1)
		log_warnx("day summaries not kept (reports read the rows): %s",
		    store_errmsg(st));
	else if (r > 1 && !quiet)
		fprintf(stderr, "day summaries: %d days\n", r);
	store_close(st);
	tz_free(stz);
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
