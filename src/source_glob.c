/*
 * source_glob.c -- see source_glob.h.  A tail per matching file, oldest
 * name first.  The pattern is looked at again at every full poll and when
 * its directory changes.  A file that is not the newest match, read to its
 * end, committed and quiet for rotate_quiet is finished: its tail closed,
 * its identity kept, so that growth opens it again and a restart does not
 * reopen it (the store says it was read to its end).
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "source.h"
#include "source_glob.h"
#include "store.h"
#include "tail.h"
#include "util.h"

#define GLOB_SAY_MIN	60	/* seconds: "matches no file" said again after */
#define GLOB_SAY_MAX	3600	/* ... each back-off between these */
#define GLOB_TAILS_MAX	32	/* files read at once; the next ones wait */

struct glob_file {
	char		*path;
	struct source	*tail;		/* NULL: finished */
	dev_t		 dev;		/* finished: the file read to its end */
	ino_t		 ino;
	off_t		 size;
	time_t		 mtime;
	int		 initial;	/* there at the first look (start = end) */
	struct glob_file *next;		/* by name */
};

struct source_glob {
	struct source		 s;
	struct store		*st;
	char			*pattern;
	char			*format;
	char			*dir;		/* watched: the pattern's directory */
	int			 start_end;	/* at the first look only */
	double			 rotate_quiet;
	struct glob_file	*files;
	char			**others;	/* read by other log lines */
	int			 nothers;
	struct timespec		 dir_mtime;
	int			 looked;
	int			 ntails;	/* files with a tail open */
	char			*why;		/* why nothing matches; NULL: matches */
	time_t			 said_at, since;
	int			 backoff;
	struct tail_counters	 n;		/* of the tails closed */
};

static const struct source_ops source_glob_ops;

int
source_glob_is_pattern(const char *path)
{
	return strpbrk(path, "*?[") != NULL;
}

/* The longest directory of the pattern without glob characters. */
static char *
source_glob_dir(const char *pattern)
{
	char	*dir = xstrdup(pattern), *slash;

	do {
		if ((slash = strrchr(dir, '/')) == NULL) {
			free(dir);
			return xstrdup(".");
		}
		*slash = '\0';
	} while (source_glob_is_pattern(dir));
	if (dir[0] == '\0') {
		free(dir);
		return xstrdup("/");
	}
	return dir;
}

/* Is path a rotated copy of match: match followed by '.' or '-'? */
static int
source_glob_copy_of(const char *path, const char *match)
{
	size_t	 l = strlen(match);

	return strlen(path) > l + 1 && strncmp(path, match, l) == 0 &&
	    (path[l] == '.' || path[l] == '-');
}

int
source_glob_expand(const char *pattern, char ***out, char **cause)
{
	glob_t		 g;
	struct stat	 sb;
	const char	*why = NULL;
	char		*dir, **v;
	size_t		 i, j, l;
	int		 n = 0, r;

	*out = NULL;
	dir = source_glob_dir(pattern);
	if (stat(dir, &sb) == -1)
		why = errno == ENOENT ? "does not exist" : strerror(errno);
	else if (!S_ISDIR(sb.st_mode))
		why = "not a directory";
	else if (access(dir, R_OK | X_OK) == -1)
		why = strerror(errno);
	if (why != NULL) {
		*cause = xasprintf("directory %s: %s", dir, why);
		free(dir);
		return -1;
	}
	free(dir);
	memset(&g, 0, sizeof(g));
	if ((r = glob(pattern, 0, NULL, &g)) != 0) {
		globfree(&g);
		if (r == GLOB_NOMATCH)
			return 0;
		*cause = xasprintf("%s: %s", pattern, r == GLOB_NOSPACE ?
		    "out of memory" : "a directory cannot be read");
		return -1;
	}
	v = xcalloc(g.gl_pathc + 1, sizeof(*v));
	for (i = 0; i < g.gl_pathc; i++) {
		const char	*p = g.gl_pathv[i];

		l = strlen(p);
		if (stat(p, &sb) == -1 || !S_ISREG(sb.st_mode) ||
		    (l > 3 && strcmp(p + l - 3, ".gz") == 0))
			continue;
		for (j = 0; j < g.gl_pathc; j++)
			if (source_glob_copy_of(p, g.gl_pathv[j]))
				break;
		if (j == g.gl_pathc)
			v[n++] = xstrdup(p);
	}
	globfree(&g);
	*out = v;
	return n;
}

void
source_glob_free(char **v, int n)
{
	int	 i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Say, again after each back-off, that the pattern names no file. */
static void
source_glob_nothing(struct source_glob *sg, char *why)
{
	time_t	 now = time(NULL);

	if (sg->why == NULL || strcmp(sg->why, why) != 0) {
		if (sg->why == NULL)
			sg->since = now;
		free(sg->why);
		sg->why = why;
		sg->backoff = GLOB_SAY_MIN;
	} else {
		free(why);
		if (now < sg->said_at + sg->backoff)
			return;
		if ((sg->backoff *= 2) > GLOB_SAY_MAX)
			sg->backoff = GLOB_SAY_MAX;
	}
	sg->said_at = now;
	log_warnx("%s: %s: nothing read (looked for at every poll, said again in "
	    "%d s)", sg->pattern, sg->why, sg->backoff);
}

/* Did the store read this file to its end before (a restart)? */
static int
source_glob_read_before(struct source_glob *sg, const char *path,
    const struct stat *sb)
{
	struct store_source	 row;
	unsigned char		 head[STORE_FP_MAX];
	ssize_t			 n;
	int			 fd, found = 0;

	if (sb->st_size == 0 ||
	    (fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1)
		return 0;
	if ((n = read(fd, head, sizeof(head))) > 0)
		found = store_source_match(sg->st, head, (size_t)n, &row);
	close(fd);
	return found == 1 && row.offset >= (uint64_t)sb->st_size;
}

static void
source_glob_finished(struct glob_file *f, const struct stat *sb)
{
	f->dev = sb->st_dev;
	f->ino = sb->st_ino;
	f->size = sb->st_size;
	f->mtime = sb->st_mtime;
}

/* Close a file's tail: its counters stay with the pattern's. */
static void
source_glob_close_tail(struct source_glob *sg, struct glob_file *f)
{
	const struct tail_counters	*n = tail_counters(f->tail);

	sg->n.rotations += n->rotations;
	sg->n.truncations += n->truncations;
	sg->n.gaps += n->gaps;
	f->tail->ops->close(f->tail);
	f->tail = NULL;
	sg->ntails--;
}

/* Does another log line read this file (a path, an earlier pattern)? */
static int
source_glob_other(struct source_glob *sg, const char *path)
{
	int	 i;

	for (i = 0; i < sg->nothers; i++)
		if (source_glob_is_pattern(sg->others[i]) ?
		    fnmatch(sg->others[i], path, FNM_PATHNAME | FNM_PERIOD) == 0 :
		    strcmp(sg->others[i], path) == 0)
			return 1;
	return 0;
}

/*
 * Open, finish or forget one file: 0, 1 (forget it: gone), -1 (a
 * database error).
 */
static int
source_glob_check(struct source_glob *sg, struct glob_file *f, int newest)
{
	struct tail_conf	 tc;
	struct tail_status	 ts;
	struct stat		 sb;
	double			 quiet = 0;
	int			 there;

	if ((there = stat(f->path, &sb) == 0 && S_ISREG(sb.st_mode)))
		quiet = difftime(time(NULL), sb.st_mtime);
	if (source_glob_other(sg, f->path)) {
		/* another log line reads it now (a reload): hand it over */
		if (f->tail != NULL && (tail_status(f->tail, &ts) == -1 || ts.lag != 0))
			return 0;
		if (f->tail != NULL)
			source_glob_close_tail(sg, f);
		return 1;
	}
	if (f->tail == NULL) {
		if (!there)
			return 1;	/* removed (the user's clean-up): not an error */
		if (f->dev == sb.st_dev && f->ino == sb.st_ino &&
		    f->size == sb.st_size && f->mtime == sb.st_mtime)
			return 0;	/* finished and unchanged */
		if (!newest && quiet >= sg->rotate_quiet &&
		    source_glob_read_before(sg, f->path, &sb)) {
			source_glob_finished(f, &sb);
			return 0;
		}
		if (sg->ntails >= GLOB_TAILS_MAX)
			return 0;	/* at a later look, when older ones are done */
		memset(&tc, 0, sizeof(tc));
		tc.path = f->path;
		tc.format = sg->format;
		tc.start_end = f->initial ? sg->start_end : 0;
		tc.rotate_quiet = sg->rotate_quiet;
		if ((f->tail = tail_open(&tc, sg->st)) == NULL)
			return -1;
		sg->ntails++;
		if (sg->looked)
			log_info("%s: matches %s: followed", f->path, sg->pattern);
		return 0;
	}
	if ((newest && there) || tail_status(f->tail, &ts) == -1 || ts.lag != 0 ||
	    (there && quiet < sg->rotate_quiet))
		return 0;
	source_glob_close_tail(sg, f);
	if (!there) {
		log_info("%s: removed after it was read to its end", f->path);
		return 1;
	}
	log_info("%s: read to its end and quiet for %.0f s: finished", f->path, quiet);
	source_glob_finished(f, &sb);
	return 0;
}

/* The file of a name, added in name order when new. */
static struct glob_file *
source_glob_file(struct source_glob *sg, const char *path)
{
	struct glob_file	*f, **pp;
	int			 c = 1;

	for (pp = &sg->files; *pp != NULL; pp = &(*pp)->next)
		if ((c = strcmp((*pp)->path, path)) >= 0)
			break;
	if (*pp != NULL && c == 0)
		return *pp;
	f = xcalloc(1, sizeof(*f));
	f->path = xstrdup(path);
	f->initial = !sg->looked;
	f->next = *pp;
	*pp = f;
	return f;
}

/* Is a as new as b or newer (a later name wins a tie)? */
static int
source_glob_newer(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec > b->tv_sec ||
	    (a->tv_sec == b->tv_sec && a->tv_nsec >= b->tv_nsec);
}

/* Look at the pattern again: new files, finished ones, removed ones. */
static int
source_glob_look(struct source_glob *sg)
{
	struct glob_file	*f, **pp;
	struct stat		 sb;
	const char		*newest = NULL;
	struct timespec		 nt = { 0, 0 };
	char			**v, *cause = NULL;
	int			 i, n, r = 0;

	if ((n = source_glob_expand(sg->pattern, &v, &cause)) <= 0) {
		source_glob_nothing(sg, n == -1 ? cause :
		    xasprintf("matches no file yet"));
		n = 0;
	} else if (sg->why != NULL) {
		log_info("%s: matches %d file(s) now", sg->pattern, n);
		free(sg->why);
		sg->why = NULL;
	}
	for (i = 0; i < n; i++) {
		if (source_glob_other(sg, v[i]))
			continue;
		(void)source_glob_file(sg, v[i]);
		if (stat(v[i], &sb) == 0 &&
		    (newest == NULL || source_glob_newer(&sb.st_mtim, &nt))) {
			newest = v[i];
			nt = sb.st_mtim;
		}
	}
	for (pp = &sg->files; (f = *pp) != NULL; ) {
		if ((r = source_glob_check(sg, f, newest != NULL &&
		    strcmp(f->path, newest) == 0)) == -1)
			break;
		if (r == 1) {
			*pp = f->next;
			free(f->path);
			free(f);
			continue;
		}
		pp = &f->next;
	}
	source_glob_free(v, n);
	if (r == -1)
		return -1;
	sg->looked = 1;
	return 0;
}

static int
source_glob_poll(struct source *s, int full)
{
	struct source_glob	*sg = (struct source_glob *)s;
	struct glob_file	*f;
	struct stat		 sb;
	int			 changed = 0;

	if (stat(sg->dir, &sb) == 0 && (sb.st_mtim.tv_sec != sg->dir_mtime.tv_sec ||
	    sb.st_mtim.tv_nsec != sg->dir_mtime.tv_nsec)) {
		sg->dir_mtime = sb.st_mtim;
		changed = 1;
	}
	if ((full || changed) && source_glob_look(sg) == -1)
		return -1;
	for (f = sg->files; f != NULL; f = f->next)
		if (f->tail != NULL && f->tail->ops->poll(f->tail, full) == -1)
			return -1;
	return 0;
}

static int
source_glob_next(struct source *s, struct source_line *l)
{
	struct source_glob	*sg = (struct source_glob *)s;
	struct glob_file	*f;
	int			 r;

	for (f = sg->files; f != NULL; f = f->next) {
		if (f->tail != NULL && (r = f->tail->ops->next(f->tail, l)) != 0)
			return r;
		if (f->tail != NULL && f->tail->commit_first) {
			/* a file's first generation: passed on, lines after it */
			f->tail->commit_first = 0;
			s->commit_first = 1;
			return 0;
		}
	}
	return 0;
}

static int
source_glob_save(struct source *s)
{
	struct source_glob	*sg = (struct source_glob *)s;
	struct glob_file	*f;

	for (f = sg->files; f != NULL; f = f->next)
		if (f->tail != NULL && f->tail->ops->save(f->tail) == -1)
			return -1;
	return 0;
}

static void
source_glob_committed(struct source *s)
{
	struct source_glob	*sg = (struct source_glob *)s;
	struct glob_file	*f;

	for (f = sg->files; f != NULL; f = f->next)
		if (f->tail != NULL)
			f->tail->ops->committed(f->tail);
}

static void
source_glob_rewind(struct source *s)
{
	struct source_glob	*sg = (struct source_glob *)s;
	struct glob_file	*f;

	for (f = sg->files; f != NULL; f = f->next)
		if (f->tail != NULL)
			f->tail->ops->rewind(f->tail);
}

static void
source_glob_close(struct source *s)
{
	struct source_glob	*sg = (struct source_glob *)s;
	struct glob_file	*f, *next;

	for (f = sg->files; f != NULL; f = next) {
		next = f->next;
		if (f->tail != NULL)
			f->tail->ops->close(f->tail);
		free(f->path);
		free(f);
	}
	source_glob_free(sg->others, sg->nothers);
	free(sg->pattern);
	free(sg->format);
	free(sg->dir);
	free(sg->why);
	free(sg);
}

static const struct source_ops source_glob_ops = {
	.next = source_glob_next,
	.poll = source_glob_poll,
	.save = source_glob_save,
	.committed = source_glob_committed,
	.rewind = source_glob_rewind,
	.close = source_glob_close,
};

void
source_glob_set_others(struct source *s, const char *const *others, int nothers)
{
	struct source_glob	*sg = (struct source_glob *)s;
	int			 i;

	source_glob_free(sg->others, sg->nothers);
	sg->others = xcalloc((size_t)nothers + 1, sizeof(*sg->others));
	sg->nothers = 0;
	for (i = 0; i < nothers; i++)
		sg->others[sg->nothers++] = xstrdup(others[i]);
}

struct source *
source_glob_open(const struct tail_conf *tc, struct store *st,
    const char *const *others, int nothers)
{
	struct source_glob	*sg = xcalloc(1, sizeof(*sg));
	struct stat		 sb;

	source_glob_set_others(&sg->s, others, nothers);
	sg->st = st;
	sg->pattern = xstrdup(tc->path);
	sg->format = xstrdup(tc->format != NULL ? tc->format : "auto");
	sg->dir = source_glob_dir(tc->path);
	sg->start_end = tc->start_end;
	sg->rotate_quiet = tc->rotate_quiet;
	sg->s.ops = &source_glob_ops;
	sg->s.name = sg->pattern;
	sg->s.format = sg->format;
	sg->s.watch_path = sg->dir;
	sg->s.watch_fd = -1;
	if (stat(sg->dir, &sb) == 0)
		sg->dir_mtime = sb.st_mtim;
	if (source_glob_look(sg) == -1) {
		source_glob_close(&sg->s);
		return NULL;
	}
	return &sg->s;
}

int
source_glob_is(const struct source *s)
{
	return s->ops == &source_glob_ops;
}

void
source_glob_set_format(struct source *s, const char *format)
{
	struct source_glob	*sg = (struct source_glob *)s;
	struct glob_file	*f;

	free(sg->format);
	sg->format = xstrdup(format);
	sg->s.format = sg->format;
	for (f = sg->files; f != NULL; f = f->next)
		if (f->tail != NULL)
			tail_set_format(f->tail, format);
}

void
source_glob_add_counters(struct source *s, struct tail_counters *n)
{
	struct source_glob	*sg = (struct source_glob *)s;
	struct glob_file	*f;
	const struct tail_counters *t;

	n->rotations += sg->n.rotations;
	n->truncations += sg->n.truncations;
	n->gaps += sg->n.gaps;
	for (f = sg->files; f != NULL; f = f->next) {
		if (f->tail == NULL)
			continue;
		t = tail_counters(f->tail);
		n->rotations += t->rotations;
		n->truncations += t->truncations;
		n->gaps += t->gaps;
	}
}

void
source_glob_log_state(struct source *s, int stalled)
{
	struct source_glob	*sg = (struct source_glob *)s;
	struct glob_file	*f;

	if (sg->why != NULL)
		log_warnx("%s: waiting: %s for %.0f s", sg->pattern, sg->why,
		    difftime(time(NULL), sg->since));
	for (f = sg->files; f != NULL; f = f->next)
		if (f->tail != NULL)
			tail_log_state(f->tail, stalled);
		else
			log_info("%s: finished at %lld bytes", f->path,
			    (long long)f->size);
}

int
source_glob_status(struct source *s, struct tail_status *ts)
{
	struct source_glob	*sg = (struct source_glob *)s;
	struct glob_file	*f;
	struct tail_status	 fts;
	struct stat		 sb;
	struct timespec		 nt = { 0, 0 };
	const char		*newest = NULL;
	int			 fd;

	memset(ts, 0, sizeof(*ts));
	if (s->ops != &source_glob_ops)
		return -1;
	for (f = sg->files; f != NULL; f = f->next) {
		if (f->tail != NULL && tail_status(f->tail, &fts) == 0)
			ts->lag += fts.lag;
		if (stat(f->path, &sb) == -1 || !S_ISREG(sb.st_mode))
			continue;
		if (newest == NULL || source_glob_newer(&sb.st_mtim, &nt)) {
			newest = f->path;
			nt = sb.st_mtim;
		}
	}
	/* the last look's word first: the directory is gone, nothing matches */
	if (sg->why != NULL || newest == NULL) {
		snprintf(ts->why, sizeof(ts->why), "%s", sg->why != NULL ?
		    sg->why : "matches no file");
		return 0;
	}
	if ((fd = open(newest, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) == -1) {
		snprintf(ts->why, sizeof(ts->why), "newest match %s: %s", newest,
		    strerror(errno));
		return 0;
	}
	close(fd);
	ts->up = 1;
	return 0;
}
