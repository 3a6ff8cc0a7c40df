/*
 * cli_status.c -- bouncewatch status: each configured source (kind, path
 * or cursor, state, last commit, lag behind its end, lines read) and the
 * database, for an operator or a monitoring check: exit 0 healthy, 1 a
 * warning, 2 broken.
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
#include "log.h"
#include "source_auto.h"
#include "source_glob.h"
#include "source_journal.h"
#include "store.h"
#include "util.h"

#define STATUS_OK	0
#define STATUS_WARN	1
#define STATUS_BROKEN	2
#define STATUS_STALL_S	300	/* behind its end and no commit for this long */

struct status {
	struct conf		*conf;
	struct store		*st;
	struct store_source	*rows;
	int			 nrows;
	time_t			 now;
	int			 worst;
	int			 finished;	/* a pattern's older files read */
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

/* older: a file of a pattern that is not its newest (finished once read) */
static void
status_file(struct status *s, const char *path, int older)
{
	const struct store_source	*row = NULL;
	struct store_source		 found;
	struct stat			 sb;
	char				*cause = NULL, when[64];
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
	if (older && lag == 0) {
		s->finished++;
		return;
	}
	status_when(s->now, row != NULL ? row->last_commit : 0, when, sizeof(when));
	printf("log %s: %s; offset %llu of %lld bytes (%llu behind); %llu lines "
	    "read; last commit %s\n", path, status_state(s, row, lag > 0),
	    (unsigned long long)(row != NULL ? row->offset : 0), (long long)sb.st_size,
	    (unsigned long long)lag, (unsigned long long)(row != NULL ? row->lines : 0),
	    when);
}

/* log = PATTERN: its files; matching nothing yet is a warning. */
static void
status_pattern(struct status *s, const char *pattern)
{
	struct stat	 sb;
	char		**v, *cause = NULL;
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
	for (i = 0; i < n; i++)
		status_file(s, v[i], i != newest);
	if (s->finished > 0)
		printf("log %s: %d older file(s) read to their end\n", pattern,
		    s->finished);
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
	char			 err[1024];
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
	if ((st = store_open(db, STORE_RO, NULL, &why, err, sizeof(err))) == NULL) {
		printf("database %s: broken: %s\n", store_display(db), err);
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
	store_close(st);
	conf_free(&conf);
	return s.worst;
}
