/*
 * cli_status.c -- bouncewatch status: each configured source (kind, path
 * or cursor, state, last commit, lag behind its end, lines read, lines of
 * today and the last line's time in log time) and the database, for an
 * operator or a monitoring check: exit 0 healthy, 1 a warning, 2 broken.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "conf.h"
#include "ingest.h"
#include "log.h"
#include "parse.h"
#include "source.h"
#include "source_auto.h"
#include "source_glob.h"
#include "source_journal.h"
#include "store.h"
#include "tz.h"
#include "util.h"

#define STATUS_OK	0
#define STATUS_WARN	1
#define STATUS_BROKEN	2
#define STATUS_STALL_S	300	/* behind its end and no commit for this long */
#define STATUS_PROBE	32	/* lines without a time passed looking for one */
#define STATUS_LAST	65536	/* bytes before the position: the last line read */

struct status {
	struct conf		*conf;
	struct store		*st;
	struct store_source	*rows;
	int			 nrows;
	time_t			 now;
	int			 worst;
	int			 finished;	/* a pattern's older files read */
	/* today's lines: log times through the pipeline's parser */
	struct parse_ctx	 ctx;
	struct ingest		*ing;
	int64_t			 today;		/* the local day of ctx.now */
	char			*buf;		/* PARSE_LINE_MAX */
	uint64_t		 lines_today;	/* of a pattern's files */
	int64_t			 last_line;
};

/* What a log file holds of today, up to where it was read. */
struct status_today {
	uint64_t	 lines;
	int64_t		 last;		/* the log time of the last line read; 0 */
};

static void
status_level(struct status *s, int level)
{
	if (level > s->worst)
		s->worst = level;
}

/* The newest store row of a source (its live generation for a file). */
static const struct store_source *
status_row(const struct status *s, const char *path)
{
	int	 i;

	for (i = 0; i < s->nrows; i++)		/* newest first */
		if (strcmp(s->rows[i].path, path) == 0 &&
		    strcmp(s->rows[i].state, "active") == 0)
			return &s->rows[i];
	return NULL;
}

static void
status_when(time_t now, int64_t t, char *buf, size_t len)
{
	time_t		 tt = (time_t)t;
	struct tm	 tm;
	char		 day[32];

	if (t <= 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
		snprintf(buf, len, "never");
		return;
	}
	snprintf(buf, len, "%s (%llds ago)", day, (long long)(now - tt));
}

/*
 * A state from what is known: behind its end and no commit for a while is
 * stalled (the daemon is not running, or cannot write); no commit for
 * quiet_warning is a warning.
 */
static const char *
status_state(struct status *s, const struct store_source *row, int behind)
{
	int64_t	 age = row != NULL ? (int64_t)s->now - row->last_commit : -1;

	if (behind && (row == NULL || age > STATUS_STALL_S)) {
		status_level(s, STATUS_BROKEN);
		return "stalled";
	}
	if (row != NULL && age > s->conf->quiet_warning_s) {
		status_level(s, STATUS_WARN);
		return "quiet";
	}
	return "following";
}

/* The store row of a log file: by its first bytes, as the daemon finds it. */
static int
status_file_row(struct status *s, const char *path, struct store_source *row)
{
	unsigned char	 head[STORE_FP_MAX];
	ssize_t		 n;
	int		 fd, found = 0;

	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1)
		return 0;
	if ((n = read(fd, head, sizeof(head))) > 0)
		found = store_source_match(s->st, head, (size_t)n, row);
	close(fd);
	return found == 1;
}

static size_t
status_min(size_t a, uint64_t b)
{
	return b < a ? (size_t)b : a;
}

/* The first line start at or after pos, before end (else end). */
static uint64_t
status_line_start(struct status *s, int fd, uint64_t pos, uint64_t end)
{
	ssize_t	 n;
	char	*nl;

	if (pos == 0)
		return 0;
	for (pos--; pos < end; pos += (uint64_t)n) {
		n = pread(fd, s->buf, status_min(PARSE_LINE_MAX, end - pos),
		    (off_t)pos);
		if (n <= 0)
			break;
		if ((nl = memchr(s->buf, '\n', (size_t)n)) != NULL)
			return pos + (uint64_t)(nl - s->buf) + 1;
	}
	return end;
}

/*
 * The log time of the first line with one at or after the line start
 * *at, before end: 1 (*at: that line's start), or 0.
 */
static int
status_line_time(struct status *s, int fd, uint64_t *at, uint64_t end, int64_t *t)
{
	struct source_line	 l;
	struct delivery		 d;
	uint64_t		 p = *at;
	ssize_t			 n;
	char			*nl;
	int			 i;

	for (i = 0; i < STATUS_PROBE && p < end; i++) {
		n = pread(fd, s->buf, status_min(PARSE_LINE_MAX, end - p),
		    (off_t)p);
		if (n <= 0)
			return 0;
		nl = memchr(s->buf, '\n', (size_t)n);
		memset(&l, 0, sizeof(l));
		memset(&d, 0, sizeof(d));
		l.p = s->buf;
		l.len = nl != NULL ? (size_t)(nl - s->buf) : (size_t)n;
		(void)ingest_parse(s->ing, NULL, &l, &d);
		if (d.has_time) {
			*at = p;
			*t = d.time;
			return 1;
		}
		p = nl != NULL ? p + l.len + 1 : status_line_start(s, fd, p + 1, end);
	}
	return 0;
}

/* Does the first line with a time at or after pos belong to today? */
static int
status_is_today(struct status *s, int fd, uint64_t pos, uint64_t end)
{
	uint64_t	 at = status_line_start(s, fd, pos, end);
	int64_t		 t;

	return !status_line_time(s, fd, &at, end, &t) ||
	    tz_local_day(s->ctx.tz, t) >= s->today;
}

/*
 * The lines of today (the log time's day in the configured zone) before
 * offset, and the time of the last line read: the last one with a time
 * before offset, then a binary search for the first line of today (a log
 * is written in time order), then the newlines after it are counted.
 */
static void
status_today(struct status *s, const char *path, uint64_t offset,
    struct status_today *td)
{
	uint64_t	 lo, hi, mid, at;
	int64_t		 t;
	ssize_t		 n;
	char		*p, *e;
	int		 fd;

	memset(td, 0, sizeof(*td));
	if (offset == 0 || (fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return;
	at = status_line_start(s, fd, offset > STATUS_LAST ? offset - STATUS_LAST : 0,
	    offset);
	while (status_line_time(s, fd, &at, offset, &t)) {
		td->last = t;
		at = status_line_start(s, fd, at + 1, offset);
	}
	if (td->last == 0 || tz_local_day(s->ctx.tz, td->last) < s->today) {
		close(fd);
		return;
	}
	for (lo = 0, hi = offset; lo < hi; ) {
		mid = lo + (hi - lo) / 2;
		if (status_is_today(s, fd, mid, offset))
			hi = mid;
		else
			lo = mid + 1;
	}
	for (at = status_line_start(s, fd, lo, offset); at < offset; at += (uint64_t)n) {
		if ((n = pread(fd, s->buf, status_min(PARSE_LINE_MAX,
		    offset - at), (off_t)at)) <= 0)
			break;
		for (p = s->buf, e = s->buf + n; (p = memchr(p, '\n',
		    (size_t)(e - p))) != NULL; p++)
			td->lines++;
	}
	close(fd);
}

/*
 * The unparseable lines of a file's generation (line_stats); a source
 * whose every line is unparseable reads nothing: a warning.
 */
static int64_t
status_unparsed(struct status *s, const char *path, const struct store_source *row)
{
	int64_t	 kinds[LINE_KIND_MAX], total = 0;
	int	 k;

	if (row == NULL || store_source_kinds(s->st, row->id, kinds) == -1)
		return 0;
	for (k = 0; k < LINE_KIND_MAX; k++)
		total += kinds[k];
	if (total > 0 && kinds[LINE_INVALID] == total) {
		printf("log %s: warning: none of its %lld lines could be parsed: "
		    "is it a mail log, in a format bouncewatch(1) knows?\n", path,
		    (long long)total);
		status_level(s, STATUS_WARN);
	}
	return kinds[LINE_INVALID];
}

/* older: a file of a pattern that is not its newest (finished once read) */
static void
status_file(struct status *s, const char *path, int older)
{
	const struct store_source	*row = NULL;
	struct store_source		 found;
	struct stat			 sb;
	struct status_today		 td;
	char				*cause = NULL, when[64], last[64];
	uint64_t			 lag;

	if (stat(path, &sb) == -1 && errno == ENOENT) {
		printf("log %s: waiting: does not exist\n", path);
		status_level(s, STATUS_WARN);
		return;
	}
	if (source_auto_check_file(path, &cause) == -1) {
		printf("log %s: unreadable: %s\n", path, cause != NULL ? cause : "?");
		free(cause);
		status_level(s, STATUS_BROKEN);
		return;
	}
	if (status_file_row(s, path, &found))
		row = &found;
	lag = row != NULL && (uint64_t)sb.st_size > row->offset ?
	    (uint64_t)sb.st_size - row->offset : 0;
	if (row == NULL)
		lag = (uint64_t)sb.st_size;
	status_today(s, path, row != NULL ? row->offset : 0, &td);
	s->lines_today += td.lines;
	if (td.last > s->last_line)
		s->last_line = td.last;
	if (older && lag == 0) {
		s->finished++;
		return;
	}
	status_when(s->now, row != NULL ? row->last_commit : 0, when, sizeof(when));
	status_when(s->ctx.now, td.last, last, sizeof(last));
	printf("log %s: %s; offset %llu of %lld bytes (%llu behind); %llu lines "
	    "read (%lld unparseable), %llu today; last line %s; last commit %s\n",
	    path, status_state(s, row, lag > 0),
	    (unsigned long long)(row != NULL ? row->offset : 0), (long long)sb.st_size,
	    (unsigned long long)lag, (unsigned long long)(row != NULL ? row->lines : 0),
	    (long long)status_unparsed(s, path, row), (unsigned long long)td.lines,
	    last, when);
}

/* log = PATTERN: its files; matching nothing yet is a warning. */
static void
status_pattern(struct status *s, const char *pattern)
{
	struct stat	 sb;
	char		**v, *cause = NULL, last[64];
	int		 i, n, newest = -1;
	time_t		 nt = 0;

	if ((n = source_glob_expand(pattern, &v, &cause)) <= 0) {
		printf("log %s: waiting: matches no file yet%s%s\n", pattern,
		    n == -1 ? ": " : "", n == -1 ? cause : "");
		free(cause);
		status_level(s, STATUS_WARN);
		return;
	}
	for (i = 0; i < n; i++)
		if (stat(v[i], &sb) == 0 && (newest == -1 || sb.st_mtime >= nt)) {
			newest = i;
			nt = sb.st_mtime;
		}
	printf("log %s: pattern matching %d file(s)\n", pattern, n);
	s->finished = 0;
	s->lines_today = 0;
	s->last_line = 0;
	for (i = 0; i < n; i++)
		status_file(s, v[i], i != newest);
	if (s->finished > 0)
		printf("log %s: %d older file(s) read to their end\n", pattern,
		    s->finished);
	status_when(s->ctx.now, s->last_line, last, sizeof(last));
	printf("log %s: %llu lines today in all its files; last line %s\n",
	    pattern, (unsigned long long)s->lines_today, last);
	source_glob_free(v, n);
}

static void
status_journal(struct status *s, const char *dir)
{
	struct source_journal_conf	 jc;
	struct source_journal_lag	 lag;
	const struct store_source	*row;
	char				 name[1100], *cursor = NULL, *cause = NULL;
	char				 when[64], last[64], newest[64];

	snprintf(name, sizeof(name), dir != NULL ? "journal:%s" : "journal", dir);
	row = status_row(s, name);
	memset(&jc, 0, sizeof(jc));
	jc.dir = dir;
	jc.match = s->conf->journal_match;
	if (row != NULL && row->fp_len > 0)
		cursor = xstrndup((const char *)row->fp, row->fp_len);
	if (source_journal_lag(&jc, cursor, &lag, &cause) == -1) {
		printf("%s: unreadable: %s\n", name, cause != NULL ? cause : "?");
		free(cause);
		free(cursor);
		status_level(s, STATUS_BROKEN);
		return;
	}
	status_when(s->now, row != NULL ? row->last_commit : 0, when, sizeof(when));
	status_when(s->now, row != NULL ? (int64_t)(row->offset / 1000000) : 0,
	    last, sizeof(last));
	status_when(s->now, (int64_t)(lag.newest_us / 1000000), newest, sizeof(newest));
	printf("%s: %s; %llu%s entries behind (newest %s)%s; last entry read %s; "
	    "%llu entries read; last commit %s; cursor %s\n", name,
	    cursor == NULL && lag.behind == 0 ? "waiting" :
	    status_state(s, row, lag.behind > 0), (unsigned long long)lag.behind,
	    lag.more ? "+" : "", newest, lag.gone ? "; the entry of the cursor is "
	    "gone (vacuumed): a gap at the next read" : "", last,
	    (unsigned long long)(row != NULL ? row->lines : 0), when,
	    cursor != NULL ? cursor : "none");
	if (lag.gone)
		status_level(s, STATUS_WARN);
	free(cursor);
}

static void
cli_status_usage(FILE *f)
{
	fprintf(f, "usage: bouncewatch status [--db PATH]\n"
	    "Each configured source and the database: exit 0 healthy, 1 a warning,\n"
	    "2 broken.\n\n"
	    "  -d, --db PATH       the database (default: the configuration's)\n"
	    "  -h, --help          print this help and exit\n");
}

int
cli_status(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct status		 s;
	struct conf		 conf;
	struct source_auto	 a;
	struct store		*st;
	enum store_err		 why;
	const char		*db = NULL, *p;
	char			*cause = NULL;
	int			 ch, i;

	while ((ch = getopt_long(argc, argv, "d:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd': db = optarg; break;
		case 'h': cli_status_usage(stdout); return 0;
		default: cli_status_usage(stderr); return STATUS_BROKEN;
		}
	}
	if (optind != argc) {
		cli_status_usage(stderr);
		return STATUS_BROKEN;
	}
	if (cli_config(&conf) == -1)
		return STATUS_BROKEN;
	memset(&s, 0, sizeof(s));
	s.conf = &conf;
	s.now = time(NULL);		/* commits are stamped with the real clock */
	if (db == NULL)
		db = conf.database;
	if ((st = store_open(db, STORE_RO, NULL, &why, &cause)) == NULL) {
		printf("database %s: broken: %s\n", store_display(db), cause);
		free(cause);
		conf_free(&conf);
		return STATUS_BROKEN;
	}
	s.st = st;
	store_set_node(st, conf.node);	/* PostgreSQL: this host's sources */
	if ((s.nrows = store_source_list(st, NULL, &s.rows)) == -1) {
		printf("database %s: broken: %s\n", store_display(db),
		    store_errmsg(st));
		store_close(st);
		conf_free(&conf);
		return STATUS_BROKEN;
	}
	/* today, in log time: the tests' clock may be mocked */
	s.ctx.now = cli_now();
	s.ctx.tz = tz_new(conf.timezone);	/* checked by the configuration */
	s.today = tz_local_day(s.ctx.tz, (int64_t)s.ctx.now);
	s.ing = ingest_new(&s.ctx, NULL, NULL, NULL);
	s.buf = xmalloc(PARSE_LINE_MAX);
	printf("database %s: ok, schema %d, write-ahead log %lld bytes\n",
	    store_display(db),
	    store_schema_version(st), (long long)store_wal_size(st));
	for (i = 0; i < conf.nlogs; i++) {
		p = conf.logs[i].path;
		if (strcmp(p, "auto") == 0) {
			source_auto_pick(&a);
			printf("%s\n", a.why);
			if (a.journal) {
				status_journal(&s, NULL);
				continue;
			}
			p = a.path;
		}
		if (source_glob_is_pattern(p))
			status_pattern(&s, p);
		else
			status_file(&s, p, 0);
	}
	if (conf.journal || conf.journal_directory != NULL)
		status_journal(&s, conf.journal_directory);
	free(s.rows);
	free(s.buf);
	ingest_free(s.ing);
	tz_free(s.ctx.tz);
	store_close(st);
	conf_free(&conf);
	return s.worst;
}
