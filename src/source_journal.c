/*
 * source_journal.c -- the systemd journal as a source: entries matching
 * the mail facility (or journal_match), read with sd-journal from the
 * local journal or a directory of journal files, followed through the
 * descriptor sd_journal_get_fd() gives the event loop.
 *
 * Exactly once: the position is the cursor of the last entry handed out;
 * it is saved in the store's source row (path "journal" or "journal:DIR",
 * the cursor as its fingerprint, the entry's __REALTIME_TIMESTAMP in
 * microseconds as its offset) in the transaction that holds the rows.  To
 * resume: seek to the cursor, step once and test the cursor.  On the saved
 * entry, it is skipped; if it is gone (vacuumed while we were behind), the
 * entry we stand on is the oldest after it: it is read, and a gap row says
 * which time range may be missing.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "parse.h"
#include "source.h"
#include "source_journal.h"
#include "store.h"
#include "util.h"

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-journal.h>
#endif

static void	journal_cause(char **, const char *, ...) BW_PRINTF(2, 3);

static void
journal_cause(char **cause, const char *fmt, ...)
{
	va_list	 ap;

	if (cause == NULL)
		return;
	va_start(ap, fmt);
	if (vasprintf(cause, fmt, ap) == -1)
		*cause = NULL;
	va_end(ap);
}

#ifndef HAVE_LIBSYSTEMD

int
source_journal_available(void)
{
	return 0;
}

struct source *
source_journal_open(struct store *st, const struct source_journal_conf *jc,
    char **cause)
{
	(void)st;
	(void)jc;
	journal_cause(cause, "this bouncewatch was built without the systemd "
	    "journal (configure --with-systemd, libsystemd-dev)");
	return NULL;
}

int
source_journal_check(const struct source_journal_conf *jc, char **cause)
{
	return source_journal_open(NULL, jc, cause) == NULL ? -1 : 0;
}

int
source_journal_lag(const struct source_journal_conf *jc, const char *cursor,
    struct source_journal_lag *lag, char **cause)
{
	(void)cursor;
	(void)lag;
	return source_journal_check(jc, cause);
}

int
source_is_journal(const struct source *s)
{
	(void)s;
	return 0;
}

void
source_journal_log_state(struct source *s)
{
	(void)s;
}

#else /* HAVE_LIBSYSTEMD */

#define JOURNAL_TEXT_MAX	(64 * 1024)	/* the parser's line limit */
#define JOURNAL_RETRY_MIN	1		/* seconds: back-off of a journal */
#define JOURNAL_RETRY_MAX	600		/* that cannot be read */

enum journal_state {
	JOURNAL_FOLLOWING,	/* entries came */
	JOURNAL_WAITING,	/* open, nothing read yet */
	JOURNAL_UNREADABLE,	/* cannot be opened, or files we may not read */
};

static const char *journal_state_names[] = { "following", "waiting", "unreadable" };

struct journal {
	struct source		 src;		/* first: the ops get this */
	sd_journal		*j;
	struct store		*st;
	char			 name[1024];	/* the store row's path */
	char			*dir;		/* absolute; NULL: local journal */
	char			*match;
	int			 retry;
	int			 has_row;
	struct store_source	 row;

	/* handed out (the position save() writes) */
	char			*cursor;
	uint64_t		 usec;
	uint64_t		 lines;
	/* committed (where rewind() goes back to) */
	char			*ccursor;
	uint64_t		 cusec;
	uint64_t		 clines;

	int			 verify;	/* test the next entry against ccursor */
	int			 gap;		/* a gap to record at the next save */
	uint64_t		 gap_from, gap_to;

	/* loud when it reads nothing */
	enum journal_state	 state;
	char			*why;		/* what is unreadable */
	int			 backoff;	/* seconds */
	time_t			 retry_at;	/* monotonic */

	struct parse_journal	 fields;	/* of the entry handed out */
	char			 text[JOURNAL_TEXT_MAX];
};

static time_t
journal_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* A field's value: points into sd-journal's data, valid until the next step. */
static int
journal_field(sd_journal *j, const char *name, const char **p, size_t *n)
{
	const void	*data;
	size_t		 len, nl = strlen(name);

	if (sd_journal_get_data(j, name, &data, &len) < 0 || len <= nl ||
	    ((const char *)data)[nl] != '=') {
		*p = NULL;
		*n = 0;
		return -1;
	}
	*p = (const char *)data + nl + 1;
	*n = len - nl - 1;
	return 0;
}

/* 2026-11-23T03:06:51.184090+00:00 (UTC, microseconds) into buf. */
static size_t
journal_stamp(uint64_t usec, char *buf, size_t len)
{
	time_t		 t = (time_t)(usec / 1000000);
	struct tm	 tm;
	char		 day[32];

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		return 0;
	return (size_t)snprintf(buf, len, "%s.%06u+00:00", day,
	    (unsigned)(usec % 1000000));
}

/*
 * The entry we stand on, as fields for the parser (its own UTC time with
 * microseconds: no year or zone guessed), and as the line rsyslog writes
 * for it with its RFC 3339 template (for a sink that prints lines).  0,
 * or -1 to skip it (no MESSAGE, or one of our own).
 */
static int
journal_entry(struct journal *jn, struct source_line *l)
{
	struct parse_journal	*f = &jn->fields;
	size_t			 at, n;
	int			 w;

	memset(f, 0, sizeof(*f));
	if (sd_journal_get_realtime_usec(jn->j, &f->realtime_us) < 0 ||
	    journal_field(jn->j, "MESSAGE", &f->message.p, &f->message.n) == -1)
		return -1;
	if (journal_field(jn->j, "SYSLOG_IDENTIFIER", &f->identifier.p,
	    &f->identifier.n) == -1)
		(void)journal_field(jn->j, "_COMM", &f->identifier.p, &f->identifier.n);
	/* our own messages (we log to the mail facility): never read back */
	if (span_eq(f->identifier, "bouncewatchd") || span_eq(f->identifier, "bouncewatch"))
		return -1;
	(void)journal_field(jn->j, "_HOSTNAME", &f->hostname.p, &f->hostname.n);
	if (journal_field(jn->j, "_PID", &f->pid.p, &f->pid.n) == -1)
		(void)journal_field(jn->j, "SYSLOG_PID", &f->pid.p, &f->pid.n);

	at = journal_stamp(f->realtime_us, jn->text, sizeof(jn->text));
	w = snprintf(jn->text + at, sizeof(jn->text) - at, " %.*s %.*s",
	    (int)f->hostname.n, f->hostname.p != NULL ? f->hostname.p : "-",
	    (int)f->identifier.n, f->identifier.p != NULL ? f->identifier.p : "");
	at += w > 0 ? (size_t)w : 0;
	if (f->pid.p != NULL && at < sizeof(jn->text)) {
		w = snprintf(jn->text + at, sizeof(jn->text) - at, "[%.*s]",
		    (int)f->pid.n, f->pid.p);
		at += w > 0 ? (size_t)w : 0;
	}
	if (at + 2 < sizeof(jn->text)) {
		memcpy(jn->text + at, ": ", 2);
		at += 2;
	}
	if (at > sizeof(jn->text))
		at = sizeof(jn->text);
	n = f->message.n;
	if (n > sizeof(jn->text) - at)
		n = sizeof(jn->text) - at;
	memcpy(jn->text + at, f->message.p, n);
	at += n;

	l->p = jn->text;
	l->len = at;
	l->id = jn->has_row ? jn->row.id : 0;
	l->offset = f->realtime_us;
	l->journal = f;
	return 0;
}

static void
journal_set(char **dst, const char *src)
{
	free(*dst);
	*dst = src != NULL ? xstrdup(src) : NULL;
}

/* Back to the committed position; the next entry is tested against it. */
static void
journal_rewind(struct source *s)
{
	struct journal	*jn = (struct journal *)s;
	int		 r;

	journal_set(&jn->cursor, jn->ccursor);
	jn->usec = jn->cusec;
	jn->lines = jn->clines;
	jn->gap = 0;
	jn->verify = 0;
	if (jn->j == NULL)
		return;
	if (jn->ccursor == NULL)
		r = sd_journal_seek_head(jn->j);
	else if ((r = sd_journal_seek_cursor(jn->j, jn->ccursor)) >= 0)
		jn->verify = 1;
	if (r < 0)
		log_warnx("%s: cannot seek: %s", jn->src.name, strerror(-r));
}

static void
journal_gap_found(struct journal *jn, uint64_t to)
{
	char	 a[40], b[40];

	jn->gap = 1;
	jn->gap_from = jn->cusec;
	jn->gap_to = to;
	if (journal_stamp(jn->gap_from, a, sizeof(a)) == 0)
		snprintf(a, sizeof(a), "?");
	if (journal_stamp(jn->gap_to, b, sizeof(b)) == 0)
		snprintf(b, sizeof(b), "?");
	log_warnx("%s: the last entry read is no longer in the journal (vacuumed "
	    "or rotated away); entries between %s and %s may be missing",
	    jn->src.name, a, b);
}

static int	journal_add_match(sd_journal *, const char *, char **);

/*
 * The next matching entry is not the saved one: is the saved one gone, or
 * does it no longer match (journal_match changed)?  Looks without the
 * match; 1 (kept) leaves the journal where the next step reads the first
 * matching entry after it.
 */
static int
journal_cursor_kept(struct journal *jn)
{
	uint64_t	 t = 0;
	int		 kept = 0;

	(void)sd_journal_get_realtime_usec(jn->j, &t);
	sd_journal_flush_matches(jn->j);
	if (sd_journal_seek_cursor(jn->j, jn->ccursor) >= 0 &&
	    sd_journal_next(jn->j) > 0)
		kept = sd_journal_test_cursor(jn->j, jn->ccursor) > 0;
	/* the match was accepted at open: it is accepted again */
	(void)journal_add_match(jn->j, jn->match, NULL);
	if (kept)
		(void)sd_journal_seek_cursor(jn->j, jn->ccursor);
	else if (t == 0 || sd_journal_seek_realtime_usec(jn->j, t) < 0 ||
	    sd_journal_next(jn->j) <= 0)
		log_warnx("%s: cannot find the entry again", jn->src.name);
	return kept;
}

static int
journal_next(struct source *s, struct source_line *l)
{
	struct journal	*jn = (struct journal *)s;
	int		 r, processed = 0;
	char		*c;

	if (jn->j == NULL)
		return 0;
	for (;;) {
		if ((r = sd_journal_next(jn->j)) < 0) {
			log_warnx("%s: %s", jn->src.name, strerror(-r));
			return 0;
		}
		if (r == 0) {
			/* at the end: take in what the descriptor announced */
			if (processed++ == 0 &&
			    sd_journal_process(jn->j) > SD_JOURNAL_NOP)
				continue;
			return 0;
		}
		if (jn->verify) {
			uint64_t	 t = 0;

			jn->verify = 0;
			if (sd_journal_test_cursor(jn->j, jn->ccursor) > 0)
				continue;	/* the saved entry: already read */
			if (journal_cursor_kept(jn))
				continue;	/* the match changed: no gap */
			(void)sd_journal_get_realtime_usec(jn->j, &t);
			journal_gap_found(jn, t);
		}
		if ((r = sd_journal_get_cursor(jn->j, &c)) < 0) {
			log_warnx("%s: no cursor: %s", jn->src.name, strerror(-r));
			continue;
		}
		free(jn->cursor);
		jn->cursor = c;
		if (journal_entry(jn, l) == -1)
			continue;
		jn->usec = jn->fields.realtime_us;
		jn->lines++;
		if (jn->state == JOURNAL_WAITING)
			jn->state = JOURNAL_FOLLOWING;
		return 1;
	}
}

static int
journal_save(struct source *s)
{
	struct journal	*jn = (struct journal *)s;
	size_t		 n;

	if (jn->st == NULL || !jn->has_row)
		return 0;
	if (jn->gap && store_gap(jn->st, jn->row.id, jn->gap_from, jn->gap_to,
	    "journal_vacuumed") == -1)
		return -1;
	if (jn->cursor == NULL)
		return 0;
	n = strlen(jn->cursor);
	if (n > sizeof(jn->row.fp))
		n = sizeof(jn->row.fp);	/* cannot happen: cursors are ~130 bytes */
	memcpy(jn->row.fp, jn->cursor, n);
	jn->row.fp_len = n;
	jn->row.offset = jn->usec;
	jn->row.lines = jn->lines;
	return store_source_save(jn->st, &jn->row);
}

static void
journal_committed(struct source *s)
{
	struct journal	*jn = (struct journal *)s;

	journal_set(&jn->ccursor, jn->cursor);
	jn->cusec = jn->usec;
	jn->clines = jn->lines;
	jn->gap = 0;
}

static void
journal_close(struct source *s)
{
	struct journal	*jn = (struct journal *)s;

	if (jn == NULL)
		return;
	if (jn->j != NULL)
		sd_journal_close(jn->j);
	free(jn->dir);
	free(jn->match);
	free(jn->why);
	free(jn->cursor);
	free(jn->ccursor);
	free(jn);
}

/* journalctl's match syntax: FIELD=value words, "+" between alternatives. */
static int
journal_add_match(sd_journal *j, const char *match, char **cause)
{
	char	*copy, *w, *last = NULL;
	int	 r, n = 0;

	copy = xstrdup(match);
	for (w = strtok_r(copy, " \t", &last); w != NULL;
	    w = strtok_r(NULL, " \t", &last)) {
		if (strcmp(w, "+") == 0)
			r = sd_journal_add_disjunction(j);
		else if (strchr(w, '=') == NULL || *w == '=')
			r = -EINVAL;
		else
			r = sd_journal_add_match(j, w, 0);
		if (r < 0) {
			journal_cause(cause, "journal_match: \"%s\": %s", w,
			    r == -EINVAL ? "not FIELD=value or +" : strerror(-r));
			free(copy);
			return -1;
		}
		n++;
	}
	free(copy);
	if (n == 0) {
		journal_cause(cause, "journal_match: empty");
		return -1;
	}
	return 0;
}

/*
 * Every journal file of dir must be readable: sd-journal skips the others
 * without a word.  0, or -1 with *cause naming the first that is not.
 */
static int
journal_scan(const char *dir, char **cause)
{
	DIR		*d;
	struct dirent	*e;
	size_t		 n;
	int		 fd, bad = 0, files = 0;
	char		 path[PATH_MAX];

	if ((d = opendir(dir)) == NULL) {
		journal_cause(cause, "%s: %s", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		n = strlen(e->d_name);
		if (!(n > 8 && strcmp(e->d_name + n - 8, ".journal") == 0) &&
		    !(n > 9 && strcmp(e->d_name + n - 9, ".journal~") == 0))
			continue;
		files++;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) != -1) {
			close(fd);
			continue;
		}
		if (bad++ == 0)
			journal_cause(cause, "%s: %s", path, strerror(errno));
	}
	closedir(d);
	if (bad > 1) {
		char	*first = *cause;

		journal_cause(cause, "%s (and %d other journal file%s of %d)", first,
		    bad - 1, bad == 2 ? "" : "s", files);
		free(first);
	}
	return bad != 0 ? -1 : 0;
}

/*
 * Open the journal and set the match.  0; -1 with *cause when it cannot
 * be opened or read (files skipped for their permissions count), and
 * *bad_match set when the match is bad (retrying cannot help).
 */
static int
journal_open_raw(const char *dir, const char *match, sd_journal **jp,
    int *bad_match, char **cause)
{
	sd_journal	*j;
	int		 r;

	*jp = NULL;
	*bad_match = 0;
	if (dir != NULL)
		r = sd_journal_open_directory(&j, dir, 0);
	else
		r = sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY | SD_JOURNAL_SYSTEM);
	if (r < 0) {
		journal_cause(cause, "%s: cannot open the journal: %s",
		    dir != NULL ? dir : "journal", strerror(-r));
		return -1;
	}
	if (journal_add_match(j, match, cause) == -1) {
		sd_journal_close(j);
		*bad_match = 1;
		return -1;
	}
	*jp = j;
	if (dir != NULL)
		return journal_scan(dir, cause);
	/* without any file we may read, sd-journal opens an empty journal */
	if (sd_journal_has_persistent_files(j) <= 0 &&
	    sd_journal_has_runtime_files(j) <= 0) {
		journal_cause(cause, "journal: no journal file this user can read "
		    "(add the user to the group systemd-journal or adm)");
		return -1;
	}
	return 0;
}

/* The store row of this journal, created when there is none. */
static int
journal_row(struct journal *jn, char **cause)
{
	struct store_source	*srcs = NULL;
	int			 n, i, own_tx;

	if ((n = store_source_list(jn->st, NULL, &srcs)) == -1)
		goto fail;
	for (i = 0; i < n; i++) {		/* newest first */
		if (strcmp(srcs[i].path, jn->name) != 0)
			continue;
		jn->row = srcs[i];
		jn->has_row = 1;
		break;
	}
	free(srcs);
	if (jn->has_row) {
		if (jn->row.fp_len > 0)
			jn->ccursor = xstrndup((const char *)jn->row.fp, jn->row.fp_len);
		jn->cusec = jn->row.offset;
		jn->clines = jn->row.lines;
		return 0;
	}
	own_tx = !store_in_transaction(jn->st);
	if (own_tx && store_begin(jn->st) == -1)
		goto fail;
	if (store_source_new(jn->st, jn->name, (const unsigned char *)"", 0, 0, 0,
	    &jn->row) == -1 || (own_tx && store_commit(jn->st) == -1)) {
		if (own_tx)
			store_rollback(jn->st);
		goto fail;
	}
	jn->has_row = 1;
	return 0;
fail:
	journal_cause(cause, "%s: %s", jn->name, store_errmsg(jn->st));
	return -1;
}

/*
 * (Re)open the journal.  Unreadable: logged now and again after each
 * back-off (doubling up to JOURNAL_RETRY_MAX), never only once.  0 open
 * (perhaps with unreadable files), -1 not open; *bad_match set (and
 * logged) when the match is bad.
 */
static int
journal_try_open(struct journal *jn, int *bad_match)
{
	sd_journal	*j;
	char		*cause = NULL;
	int		 fd;

	*bad_match = 0;
	if (jn->j != NULL && (jn->dir != NULL || jn->lines != jn->clines)) {
		/*
		 * Open: never reopen with entries in the open transaction (the
		 * rewind would hand them out again).  sd-journal takes in a
		 * file whose permissions change; look at the files again.
		 */
		if (jn->dir != NULL)
			(void)journal_scan(jn->dir, &cause);
		j = NULL;
	} else if (journal_open_raw(jn->dir, jn->match, &j, bad_match,
	    &cause) == -1 && *bad_match) {
		log_warnx("%s: %s", jn->name, cause);
		free(cause);
		return -1;
	}
	if (j != NULL && (fd = sd_journal_get_fd(j)) < 0) {
		free(cause);
		journal_cause(&cause, "%s: no descriptor to follow it: %s",
		    jn->name, strerror(-fd));
		sd_journal_close(j);
		j = NULL;
	}
	if (j != NULL) {
		if (jn->j != NULL)
			sd_journal_close(jn->j);
		jn->j = j;
		jn->src.watch_fd = sd_journal_get_fd(j);
		journal_rewind(&jn->src);
	}
	free(jn->why);
	jn->why = cause;
	if (cause == NULL) {
		if (jn->state == JOURNAL_UNREADABLE)
			log_info("%s: readable again", jn->name);
		jn->state = jn->lines > 0 ? JOURNAL_FOLLOWING : JOURNAL_WAITING;
		jn->backoff = 0;
		return 0;
	}
	jn->state = JOURNAL_UNREADABLE;
	jn->backoff = jn->backoff == 0 ? JOURNAL_RETRY_MIN :
	    jn->backoff * 2 > JOURNAL_RETRY_MAX ? JOURNAL_RETRY_MAX : jn->backoff * 2;
	jn->retry_at = journal_now() + jn->backoff;
	if (jn->retry)
		log_warnx("%s; trying again in %d s", cause, jn->backoff);
	return jn->j != NULL ? 0 : -1;
}

static int
journal_poll(struct source *s, int full)
{
	struct journal	*jn = (struct journal *)s;
	time_t		 now;
	int		 bad;

	if (jn->j != NULL && sd_journal_process(jn->j) < 0)
		return 0;		/* read errors are the next read's */
	if (!full)
		return 0;
	now = journal_now();
	if (jn->state == JOURNAL_UNREADABLE && now >= jn->retry_at)
		(void)journal_try_open(jn, &bad);
	return 0;
}

static const struct source_ops journal_ops = {
	.next = journal_next,
	.poll = journal_poll,
	.save = journal_save,
	.committed = journal_committed,
	.rewind = journal_rewind,
	.close = journal_close,
};

int
source_journal_available(void)
{
	return 1;
}

int
source_is_journal(const struct source *s)
{
	return s != NULL && s->ops == &journal_ops;
}

void
source_journal_log_state(struct source *s)
{
	struct journal	*jn = (struct journal *)s;
	char		 last[40];

	if (!source_is_journal(s))
		return;
	if (jn->usec == 0 || journal_stamp(jn->usec, last, sizeof(last)) == 0)
		snprintf(last, sizeof(last), "none");
	log_info("%s: %s%s%s; %llu entries read, last %s; match %s; cursor %s",
	    jn->name, journal_state_names[jn->state], jn->why != NULL ? ": " : "",
	    jn->why != NULL ? jn->why : "", (unsigned long long)jn->lines, last,
	    jn->match, jn->cursor != NULL ? jn->cursor : "none (from the oldest entry)");
}

struct source *
source_journal_open(struct store *st, const struct source_journal_conf *jc,
    char **cause)
{
	struct journal	*jn;
	const char	*dir = jc->dir;
	char		 abs[PATH_MAX];
	int		 n, bad;

	/* the store row is named by the directory: the same whatever the cwd */
	if (dir != NULL && dir[0] != '/' && realpath(dir, abs) != NULL)
		dir = abs;
	jn = xcalloc(1, sizeof(*jn));
	n = dir != NULL ? snprintf(jn->name, sizeof(jn->name), "journal:%s", dir) :
	    snprintf(jn->name, sizeof(jn->name), "journal");
	if (n < 0 || (size_t)n >= sizeof(jn->name)) {
		journal_cause(cause, "journal_directory: too long");
		free(jn);
		return NULL;
	}
	jn->src.ops = &journal_ops;
	jn->src.name = jn->name;
	jn->src.format = "postfix";
	jn->src.watch_fd = -1;
	jn->st = st;
	jn->dir = dir != NULL ? xstrdup(dir) : NULL;
	jn->match = xstrdup(jc->match != NULL ? jc->match : SOURCE_JOURNAL_MATCH);
	jn->retry = jc->retry;
	if (st != NULL && journal_row(jn, cause) == -1)
		goto fail;
	(void)journal_try_open(jn, &bad);
	if (bad || (!jn->retry && jn->why != NULL)) {
		journal_cause(cause, "%s", jn->why != NULL && !bad ? jn->why :
		    "journal_match: not FIELD=value words and +");
		goto fail;
	}
	/* the daemon says where it starts; an import only when asked (-v) */
	if (jn->j == NULL)
		;	/* unreadable: said, and tried again */
	else if (jn->ccursor != NULL)
		(jn->retry ? log_info : log_debug)("%s: resuming after cursor %s",
		    jn->name, jn->ccursor);
	else
		(jn->retry ? log_info : log_debug)("%s: reading from the oldest "
		    "entry", jn->name);
	return &jn->src;
fail:
	journal_close(&jn->src);
	return NULL;
}

int
source_journal_lag(const struct source_journal_conf *jc, const char *cursor,
    struct source_journal_lag *lag, char **cause)
{
	sd_journal	*j;
	int		 r, bad;

	memset(lag, 0, sizeof(*lag));
	r = journal_open_raw(jc->dir, jc->match != NULL ? jc->match :
	    SOURCE_JOURNAL_MATCH, &j, &bad, cause);
	if (r != 0) {
		if (j != NULL)
			sd_journal_close(j);
		return -1;
	}
	if (sd_journal_seek_tail(j) >= 0 && sd_journal_previous(j) > 0)
		(void)sd_journal_get_realtime_usec(j, &lag->newest_us);
	if (cursor == NULL)
		r = sd_journal_seek_head(j);
	else if ((r = sd_journal_seek_cursor(j, cursor)) >= 0 &&
	    (r = sd_journal_next(j)) > 0) {
		if (sd_journal_test_cursor(j, cursor) > 0)
			r = 0;		/* on the entry read last: count after it */
		else {
			lag->gone = 1;
			lag->behind = 1;
		}
	}
	while (r >= 0 && (r = sd_journal_next(j)) > 0)
		if (++lag->behind >= SOURCE_JOURNAL_COUNT) {
			lag->more = 1;
			break;
		}
	sd_journal_close(j);
	if (r < 0) {
		journal_cause(cause, "%s: %s", jc->dir != NULL ? jc->dir : "journal",
		    strerror(-r));
		return -1;
	}
	return 0;
}

int
source_journal_check(const struct source_journal_conf *jc, char **cause)
{
	sd_journal	*j;
	int		 r, bad;

	r = journal_open_raw(jc->dir, jc->match != NULL ? jc->match :
	    SOURCE_JOURNAL_MATCH, &j, &bad, cause);
	if (j != NULL)
		sd_journal_close(j);
	return r == 0 ? 0 : -1;
}

#endif /* HAVE_LIBSYSTEMD */
