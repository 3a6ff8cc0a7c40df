/*
 * daemon.c -- see daemon.h.  The exactly-once design of
 * shared/research/tailing-reliability.md §5, on libev:
 *
 *  - A log is followed by name (ev_stat, inotify-backed, plus a one
 *    second safety poll).  Each file generation the name has pointed to
 *    is a "gen": an open descriptor, the database source it belongs to
 *    (identified by content: the first bytes and the bytes before the
 *    offset), a read position and a committed position.
 *  - Reading is pread() at explicit offsets from the read position, which
 *    is always at a line start; a partial last line is simply left in the
 *    file and read again next time.  Nothing but complete lines is ever
 *    consumed, so no fragment is kept in memory.
 *  - Lines go straight into an open transaction (store_add); a commit
 *    every commit_interval or commit_lines saves every gen's position in
 *    the same transaction.  If anything fails, the transaction is rolled
 *    back, every read position goes back to the committed one, reading
 *    stops and is retried with backoff: the log file is the buffer.
 *  - After a rename rotation the old gen is drained to its end (including
 *    lines written after the rename) before it is closed; copytruncate and
 *    truncation start a new generation, reading the remainder of the old
 *    one from its rotated copy when there is one.
 *  - At startup every source that was being read is reconciled with the
 *    files on disk: the live file resumes where it stopped; a generation
 *    rotated while we were down is finished from NAME.1 or NAME.1.gz.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <ev.h>

#include "classify.h"
#include "conf.h"
#include "daemon.h"
#include "input.h"
#include "log.h"
#include "parse.h"
#include "store.h"
#include "tz.h"
#include "util.h"

#define CHUNK		(1024 * 1024)		/* one pread */
#define READ_BUDGET	(8 * 1024 * 1024)	/* per loop iteration, then yield */
#define POLL_INTERVAL	1.0			/* safety poll of every name */
#define BACKOFF_MIN	0.1
#define BACKOFF_MAX	30.0

struct follow;

struct gen {
	struct follow	*f;
	int		 fd;
	dev_t		 dev;
	ino_t		 ino;
	int		 has_src;	/* a source exists (or is in the open tx) */
	int		 src_new;	/* ... created in the open transaction */
	struct store_source src;
	uint64_t	 read_pos;	/* consumed into the open transaction */
	uint64_t	 committed;	/* saved in the database */
	unsigned char	 tail[STORE_TAIL_MAX];	/* bytes before read_pos */
	size_t		 tail_len;
	unsigned char	 ctail[STORE_TAIL_MAX];	/* bytes before committed */
	size_t		 ctail_len;
	uint64_t	 lines, clines;
	int		 rotated;	/* the name points elsewhere now */
	int		 copy;		/* a rotated copy read at startup/copytruncate */
	int		 skipping;	/* inside an over-long line */
	int		 dirty;		/* state changed: save at commit */
	ev_tstamp	 last_growth;
	struct gen	*next;		/* oldest first */
};

struct follow {
	struct daemon	*d;
	char		*path;
	char		*format;
	ev_stat		 stat_w;
	struct gen	*gens;
	int		 warned_missing;
	int		 warned_access;
	ev_tstamp	 live_seen;	/* the name last seen on the live file */
	struct follow	*next;
};

struct counters {
	uint64_t	 lines;
	uint64_t	 kind[LINE_KIND_MAX];
	uint64_t	 failures;
	uint64_t	 commits;
	uint64_t	 stalls;
	uint64_t	 rotations;
	uint64_t	 truncations;
	uint64_t	 gaps;
};

struct daemon {
	struct conf		*conf;
	struct ev_loop		*loop;
	struct store		*store;
	struct classifier	*cl;
	struct parse_ctx	 ctx;
	struct follow		*follows;
	char			*buf;
	int			 in_tx;
	uint64_t		 pending;	/* lines in the open transaction */
	int			 stalled;
	int			 episode;	/* a stall not yet ended by a commit */
	dev_t			 db_dev;	/* the database file opened */
	ino_t			 db_ino;
	ev_tstamp		 stalled_since;
	double			 backoff;
	int			 exit_code;
	int			 stopping;
	struct counters		 n;
	ev_timer		 commit_w;
	ev_timer		 poll_w;
	ev_timer		 retry_w;
	ev_timer		 prune_w;
	ev_idle			 more_w;
	ev_signal		 sigterm_w, sigint_w, sighup_w, sigusr1_w;
};

static int	daemon_read_all(struct daemon *);
static int	daemon_commit(struct daemon *);

/* ---- systemd readiness (sd_notify without libsystemd) ---- */

static void
daemon_notify(const char *msg)
{
	const char		*path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un	 sun;
	socklen_t		 len;
	int			 fd;

	if (path == NULL || (path[0] != '/' && path[0] != '@') ||
	    strlen(path) >= sizeof(sun.sun_path))
		return;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path));
	if (sun.sun_path[0] == '@')
		sun.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return;
	(void)sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sun, len);
	close(fd);
}

static int	daemon_missed(struct daemon *, struct follow *, int64_t, const char *);

/* ---- transactions ---- */

static int
daemon_tx(struct daemon *d)
{
	if (d->in_tx)
		return 0;
	if (store_begin(d->store) == -1)
		return -1;
	d->in_tx = 1;
	d->pending = 0;
	return 0;
}

static const char *
daemon_err_text(enum store_err e)
{
	switch (e) {
	case STORE_EBUSY: return "database locked by another process";
	case STORE_EFULL: return "disk full";
	case STORE_EIO: return "I/O error on the database";
	default: return "database error";
	}
}

/*
 * Undo the open transaction: every read position goes back to the
 * committed one, sources created in it are forgotten, then reading
 * stops and is retried with backoff.
 */
static void
daemon_stall(struct daemon *d)
{
	struct follow	*f;
	struct gen	*g;

	store_rollback(d->store);
	d->in_tx = 0;
	d->pending = 0;
	for (f = d->follows; f != NULL; f = f->next)
		for (g = f->gens; g != NULL; g = g->next) {
			g->read_pos = g->committed;
			memcpy(g->tail, g->ctail, g->ctail_len);
			g->tail_len = g->ctail_len;
			g->lines = g->clines;
			g->skipping = 0;
			if (g->src_new) {
				g->has_src = 0;
				g->src_new = 0;
			}
		}
	ev_timer_stop(d->loop, &d->commit_w);
	ev_idle_stop(d->loop, &d->more_w);
	if (store_error(d->store) == STORE_ENOTDB) {
		log_warnx("%s: database corrupt (%s): stopping", d->conf->database,
		    store_errmsg(d->store));
		d->exit_code = DAEMON_EX_DATAERR;
		d->stopping = 1;
		d->stalled = 1;
		ev_break(d->loop, EVBREAK_ALL);
		return;
	}
	if (!d->episode) {
		d->episode = 1;
		d->stalled = 1;
		d->stalled_since = ev_now(d->loop);
		d->backoff = BACKOFF_MIN;
		d->n.stalls++;
		log_warnx("%s (%s): ingestion stalled, nothing lost; retrying",
		    daemon_err_text(store_error(d->store)), store_errmsg(d->store));
		daemon_notify("STATUS=stalled: database unavailable, retrying");
	} else if (d->backoff < BACKOFF_MAX) {
		d->backoff *= 2;
		if (d->backoff > BACKOFF_MAX)
			d->backoff = BACKOFF_MAX;
	}
	d->stalled = 1;
	ev_timer_stop(d->loop, &d->retry_w);
	ev_timer_set(&d->retry_w, d->backoff, 0.);
	ev_timer_start(d->loop, &d->retry_w);
}

static void
daemon_save_gen(struct daemon *d, struct gen *g)
{
	unsigned char	 head[STORE_FP_MAX];
	ssize_t		 n;

	g->src.offset = g->read_pos;
	memcpy(g->src.tail, g->tail, g->tail_len);
	g->src.tail_len = g->tail_len;
	g->src.lines = g->lines;
	if (g->src.fp_len < STORE_FP_MAX && g->fd != -1) {
		/* the fingerprint grows with the file up to STORE_FP_MAX */
		n = pread(g->fd, head, sizeof(head), 0);
		if (n > (ssize_t)g->src.fp_len && memcmp(head, g->src.fp, g->src.fp_len) == 0) {
			memcpy(g->src.fp, head, (size_t)n);
			g->src.fp_len = (size_t)n;
		}
	}
	(void)d;
}

/* Is the database path no longer the file opened (deleted, replaced)? */
static int
daemon_db_gone(struct daemon *d)
{
	struct stat	 sb;

	if (d->db_ino == 0)
		return 0;
	if (stat(d->conf->database, &sb) == -1)
		return errno == ENOENT;
	return sb.st_dev != d->db_dev || sb.st_ino != d->db_ino;
}

static int
daemon_commit(struct daemon *d)
{
	struct follow	*f;
	struct gen	*g;

	ev_timer_stop(d->loop, &d->commit_w);
	if (!d->in_tx)
		return 0;
	if (daemon_db_gone(d)) {
		/* committing into a file nobody will open again loses it all */
		log_warnx("%s: the database file was removed or replaced while "
		    "the daemon ran: stopping without committing; what was read "
		    "since the last commit is read again at the next start",
		    d->conf->database);
		store_rollback(d->store);
		d->in_tx = 0;
		d->exit_code = DAEMON_EX_DATAERR;
		d->stopping = 1;
		d->stalled = 1;
		ev_break(d->loop, EVBREAK_ALL);
		return -1;
	}
	for (f = d->follows; f != NULL; f = f->next)
		for (g = f->gens; g != NULL; g = g->next) {
			if (!g->has_src || (g->read_pos == g->committed && !g->dirty))
				continue;
			daemon_save_gen(d, g);
			if (store_source_save(d->store, &g->src) == -1) {
				daemon_stall(d);
				return -1;
			}
		}
	if (store_commit(d->store) == -1) {
		daemon_stall(d);
		return -1;
	}
	d->in_tx = 0;
	d->pending = 0;
	d->n.commits++;
	for (f = d->follows; f != NULL; f = f->next)
		for (g = f->gens; g != NULL; g = g->next) {
			g->committed = g->read_pos;
			memcpy(g->ctail, g->tail, g->tail_len);
			g->ctail_len = g->tail_len;
			g->clines = g->lines;
			g->src_new = 0;
			g->dirty = 0;
		}
	if (d->episode) {
		d->episode = 0;
		d->stalled = 0;
		log_info("ingestion resumed after %.1fs", ev_now(d->loop) - d->stalled_since);
		daemon_notify("STATUS=running");
	}
	return 0;
}

/* ---- lines ---- */

static void
daemon_tail_push(struct gen *g, const char *p, size_t n)
{
	if (n >= STORE_TAIL_MAX) {
		memcpy(g->tail, p + n - STORE_TAIL_MAX, STORE_TAIL_MAX);
		g->tail_len = STORE_TAIL_MAX;
		return;
	}
	if (g->tail_len + n > STORE_TAIL_MAX) {
		size_t	 keep = STORE_TAIL_MAX - n;

		memmove(g->tail, g->tail + g->tail_len - keep, keep);
		g->tail_len = keep;
	}
	memcpy(g->tail + g->tail_len, p, n);
	g->tail_len += n;
}

/* One line (without '\n') at offset off of gen g. */
static int
daemon_line(struct daemon *d, struct gen *g, const char *line, size_t len,
    uint64_t off)
{
	struct delivery	 d_;
	struct verdict	 v;
	enum line_kind	 k;

	d->n.lines++;
	g->lines++;
	k = parse_line(&d->ctx, line, len, &d_);
	if (k != LINE_INVALID && strcmp(g->f->format, "auto") != 0) {
		if ((strcmp(g->f->format, "postfix") == 0) != (d_.mta == MTA_POSTFIX))
			k = LINE_INVALID;
	}
	d->n.kind[k]++;
	if (k == LINE_DELIVERY || k == LINE_EXPIRED) {
		classify_delivery(d->cl, k, &d_, &v);
		if (v.cls != CLASS_DELIVERED)
			d->n.failures++;
	}
	if (store_add(d->store, g->src.id, off, k, &d_, &v) == -1)
		return -1;
	d->pending++;
	return 0;
}

/*
 * A complete physical line: NUL runs (a writer that crashed, a
 * preallocated file) split it; each piece is a line of its own.
 */
static int
daemon_physical_line(struct daemon *d, struct gen *g, const char *p, size_t n,
    uint64_t off)
{
	const char	*s = p, *e = p + n, *z;

	if (memchr(p, '\0', n) == NULL)
		return daemon_line(d, g, p, n, off);
	while (s < e) {
		z = memchr(s, '\0', (size_t)(e - s));
		if (z == NULL)
			z = e;
		if (z > s && daemon_line(d, g, s, (size_t)(z - s), off + (uint64_t)(s - p)) == -1)
			return -1;
		if (z < e) {
			/* a NUL run counts as one unparseable line */
			while (z < e && *z == '\0')
				z++;
			d->n.lines++;
			d->n.kind[LINE_INVALID]++;
		}
		s = z;
	}
	return 0;
}

/* Make sure gen g has a source (needs the first bytes of the file). */
static int
daemon_gen_source(struct daemon *d, struct gen *g)
{
	unsigned char	 head[STORE_FP_MAX];
	ssize_t		 n;
	int		 found;

	if (g->has_src)
		return 1;
	if ((n = pread(g->fd, head, sizeof(head), 0)) <= 0)
		return 0;			/* empty: nothing to identify yet */
	if (daemon_tx(d) == -1)
		return -1;
	if ((found = store_source_match(d->store, head, (size_t)n, &g->src)) == -1)
		return -1;
	if (found && g->src.offset == 0) {
		/* a generation we know (recreated after a restart): adopt it */
		snprintf(g->src.path, sizeof(g->src.path), "%s", g->f->path);
	} else if (found) {
		/* e.g. a file copied back: resume there only if the marker agrees */
		unsigned char	 t[STORE_TAIL_MAX];

		if (g->src.tail_len > 0 && g->src.offset >= g->src.tail_len &&
		    pread(g->fd, t, g->src.tail_len, (off_t)(g->src.offset - g->src.tail_len)) ==
		    (ssize_t)g->src.tail_len && memcmp(t, g->src.tail, g->src.tail_len) == 0) {
			g->read_pos = g->committed = g->src.offset;
			memcpy(g->tail, g->src.tail, g->src.tail_len);
			g->tail_len = g->ctail_len = g->src.tail_len;
			memcpy(g->ctail, g->src.tail, g->src.tail_len);
			g->lines = g->clines = g->src.lines;
		} else
			found = 0;
	}
	if (!found) {
		if (store_source_new(d->store, g->f->path, head, (size_t)n,
		    (uint64_t)g->dev, (uint64_t)g->ino, &g->src) == -1)
			return -1;
		g->src_new = 1;
	}
	g->has_src = 1;
	g->dirty = 1;
	return 1;
}

/*
 * Read what is there from gen g, within budget.  Returns 1 when more is
 * left, 0 at the end of the file, -1 on a database error (stalled).
 */
static int
daemon_read_gen(struct daemon *d, struct gen *g, size_t *budget)
{
	ssize_t		 n;
	int		 r;

	if (g->fd == -1)
		return 0;
	if ((r = daemon_gen_source(d, g)) <= 0) {
		if (r == -1) {
			daemon_stall(d);
			return -1;
		}
		return 0;
	}
	while (*budget > 0) {
		char	*p, *e, *nl;

		n = pread(g->fd, d->buf, CHUNK, (off_t)g->read_pos);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			log_warn("%s: read", g->f->path);
			return 0;
		}
		if (n == 0)
			return 0;
		g->last_growth = ev_now(d->loop);
		p = d->buf;
		e = d->buf + n;
		if (daemon_tx(d) == -1) {
			daemon_stall(d);
			return -1;
		}
		if (g->skipping) {
			/* the rest of an over-long line: drop it up to '\n' */
			if ((nl = memchr(p, '\n', (size_t)n)) == NULL) {
				g->read_pos += (uint64_t)n;
				daemon_tail_push(g, p, (size_t)n);	/* the marker follows */
				*budget -= (size_t)n < *budget ? (size_t)n : *budget;
				continue;
			}
			g->read_pos += (uint64_t)(nl - p) + 1;
			daemon_tail_push(g, p, (size_t)(nl - p) + 1);
			p = nl + 1;
			g->skipping = 0;
		}
		while (p < e && (nl = memchr(p, '\n', (size_t)(e - p))) != NULL) {
			if ((!d->in_tx && daemon_tx(d) == -1) ||
			    daemon_physical_line(d, g, p, (size_t)(nl - p), g->read_pos) == -1) {
				daemon_stall(d);
				return -1;
			}
			g->read_pos += (uint64_t)(nl - p) + 1;
			daemon_tail_push(g, p, (size_t)(nl - p) + 1);
			p = nl + 1;
			if (d->pending >= (uint64_t)d->conf->commit_lines &&
			    daemon_commit(d) == -1)
				return -1;
		}
		if (p == d->buf && n == CHUNK) {
			/* no newline in a whole chunk: an over-long line */
			d->n.lines++;
			d->n.kind[LINE_INVALID]++;
			g->read_pos += (uint64_t)n;
			daemon_tail_push(g, d->buf, (size_t)n);
			g->skipping = 1;
			g->dirty = 1;
		}
		*budget -= (size_t)n < *budget ? (size_t)n : *budget;
		if (n < CHUNK)
			return 0;
	}
	return 1;
}

/* ---- generations ---- */

static struct gen *
daemon_gen_open(struct follow *f, int fd, const struct stat *sb)
{
	struct gen	*g = xcalloc(1, sizeof(*g));

	g->f = f;
	g->fd = fd;
	g->dev = sb->st_dev;
	g->ino = sb->st_ino;
	g->last_growth = ev_now(f->d->loop);
	return g;
}

static void
daemon_gen_append(struct follow *f, struct gen *g)
{
	struct gen	**pp = &f->gens;

	while (*pp != NULL)
		pp = &(*pp)->next;
	*pp = g;
}

static struct gen *
daemon_gen_live(struct follow *f)
{
	struct gen	*g, *live = NULL;

	for (g = f->gens; g != NULL; g = g->next)
		if (!g->rotated && !g->copy)
			live = g;
	return live;
}

static int
daemon_open_log(struct follow *f, struct stat *sb)
{
	int	 fd;

	if ((fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) == -1) {
		if (errno == EACCES && !f->warned_access) {
			log_warn("%s", f->path);
			f->warned_access = 1;
		} else if (errno == ENOENT && !f->warned_missing) {
			log_info("%s: does not exist yet; waiting for it", f->path);
			f->warned_missing = 1;
		}
		return -1;
	}
	if (fstat(fd, sb) == -1 || !S_ISREG(sb->st_mode)) {
		if (!f->warned_access)
			log_warnx("%s: not a regular file", f->path);
		f->warned_access = 1;
		close(fd);
		return -1;
	}
	f->warned_access = f->warned_missing = 0;
	return fd;
}

/* Free gens that are done: rotated away, read and committed, quiet. */
static void
daemon_gen_reap(struct daemon *d, struct follow *f)
{
	struct gen	**pp = &f->gens, *g;
	struct stat	 sb;

	while ((g = *pp) != NULL) {
		int	 done = 0;

		if ((g->rotated || g->copy) && g->fd != -1 && !d->in_tx &&
		    g->read_pos == g->committed && fstat(g->fd, &sb) == 0 &&
		    (uint64_t)sb.st_size <= g->read_pos) {
			if (g->copy)
				done = 1;
			else if (ev_now(d->loop) - g->last_growth >= d->conf->rotate_quiet_s)
				done = 1;
		}
		if (!done) {
			pp = &g->next;
			continue;
		}
		if (g->has_src) {
			snprintf(g->src.state, sizeof(g->src.state), "done");
			g->dirty = 1;
			if (daemon_tx(d) == -1 || store_source_save(d->store, &g->src) == -1 ||
			    daemon_commit(d) == -1) {
				if (d->in_tx)
					daemon_stall(d);
				return;
			}
		}
		log_debug("%s: finished a rotated generation (%llu lines)", f->path,
		    (unsigned long long)g->lines);
		close(g->fd);
		*pp = g->next;
		free(g);
	}
}

/*
 * Candidates for the rotated copy of a generation: every regular file in
 * the log's directory whose name is the log's name followed by '.' or '-'
 * (mail.log.1, mail.log.2.gz, mail.log-20261123, mail.log-20261123.gz),
 * newest first.  Identity is checked by content by the callers.
 */
struct candidate {
	char		 path[4096];
	time_t		 mtime;
	dev_t		 dev;
	ino_t		 ino;
	int		 gz;
};

static int
daemon_cmp_candidate(const void *a, const void *b)
{
	const struct candidate	*x = a, *y = b;

	if (x->gz != y->gz)
		return x->gz - y->gz;		/* uncompressed first */
	return x->mtime < y->mtime ? 1 : x->mtime > y->mtime ? -1 : 0;
}

static int
daemon_candidates(struct follow *f, struct candidate **out)
{
	char			 dir[4096], *slash;
	const char		*base;
	size_t			 blen;
	DIR			*dp;
	struct dirent		*de;
	struct candidate	*v = NULL;
	int			 n = 0;

	snprintf(dir, sizeof(dir), "%s", f->path);
	if ((slash = strrchr(dir, '/')) == NULL)
		return 0;
	*slash = '\0';
	base = slash + 1 - dir + f->path;
	blen = strlen(base);
	if ((dp = opendir(dir[0] != '\0' ? dir : "/")) == NULL)
		return 0;
	while ((de = readdir(dp)) != NULL && n < 256) {
		struct stat	 sb;
		size_t		 l = strlen(de->d_name);

		if (l <= blen + 1 || strncmp(de->d_name, base, blen) != 0 ||
		    (de->d_name[blen] != '.' && de->d_name[blen] != '-'))
			continue;
		if (strlen(dir) + 1 + l + 1 > sizeof(v[0].path))
			continue;
		v = xrealloc(v, (size_t)(n + 1) * sizeof(*v));
		memcpy(v[n].path, dir, strlen(dir));
		v[n].path[strlen(dir)] = '/';
		memcpy(v[n].path + strlen(dir) + 1, de->d_name, l + 1);
		if (lstat(v[n].path, &sb) == -1 || !S_ISREG(sb.st_mode))
			continue;
		v[n].mtime = sb.st_mtime;
		v[n].dev = sb.st_dev;
		v[n].ino = sb.st_ino;
		v[n].gz = l > 3 && strcmp(de->d_name + l - 3, ".gz") == 0;
		n++;
	}
	closedir(dp);
	if (n > 1)
		qsort(v, (size_t)n, sizeof(*v), daemon_cmp_candidate);
	*out = v;
	return n;
}

/*
 * Find an uncompressed rotated sibling of f whose first bytes equal the
 * source's fingerprint; open it.  -1 when there is none.
 */
static int
daemon_find_copy(struct follow *f, const struct store_source *src, char *path,
    size_t plen, struct stat *sb)
{
	unsigned char		 head[STORE_FP_MAX];
	struct candidate	*c = NULL;
	int			 i, n, fd = -1;

	if (src->fp_len == 0)
		return -1;
	n = daemon_candidates(f, &c);
	for (i = 0; i < n && fd == -1; i++) {
		if (c[i].gz)
			continue;
		if ((fd = open(c[i].path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
			if (errno != ENOENT)
				log_warn("%s: cannot look into this rotated file", c[i].path);
			continue;
		}
		if (fstat(fd, sb) == 0 && S_ISREG(sb->st_mode) &&
		    pread(fd, head, src->fp_len, 0) == (ssize_t)src->fp_len &&
		    memcmp(head, src->fp, src->fp_len) == 0) {
			snprintf(path, plen, "%s", c[i].path);
			break;
		}
		close(fd);
		fd = -1;
	}
	free(c);
	return fd;
}

/*
 * Is g's file shorter than what was read of it, yet still beginning with
 * the generation's fingerprint?  Fills *sb.
 */
static int
daemon_lost_tail(struct gen *g, struct stat *sb)
{
	unsigned char	 head[STORE_FP_MAX];
	size_t		 n;

	if (fstat(g->fd, sb) == -1 || sb->st_size <= 0 ||
	    (uint64_t)sb->st_size >= g->read_pos || g->src.fp_len == 0)
		return 0;
	n = g->src.fp_len < (size_t)sb->st_size ? g->src.fp_len : (size_t)sb->st_size;
	return pread(g->fd, head, n, 0) == (ssize_t)n &&
	    memcmp(head, g->src.fp, n) == 0;
}

/*
 * The live file shrank (copytruncate, truncation) or changed under us.
 * Finish the old generation from its rotated copy when there is one,
 * then read the live file from its start as a new generation.
 */
static void
daemon_truncated(struct daemon *d, struct follow *f, struct gen *g)
{
	char		 path[4096];
	struct stat	 sb;
	int		 fd;

	d->n.truncations++;
	if (g->has_src && daemon_lost_tail(g, &sb)) {
		/*
		 * Shorter, but it begins as before (truncate -s, a machine
		 * that crashed before the page cache reached the disk): what
		 * is left was read already.  Going on from its end; reading
		 * it again would count it twice.
		 */
		log_warnx("%s: shrank from %llu to %lld bytes but begins as before: "
		    "going on from its new end (the lost tail was read before)",
		    f->path, (unsigned long long)g->read_pos, (long long)sb.st_size);
		if (daemon_tx(d) == -1 ||
		    store_gap(d->store, g->src.id, (uint64_t)sb.st_size, g->read_pos,
		    "lost_tail") == -1) {
			daemon_stall(d);
			return;
		}
		d->n.gaps++;
		g->read_pos = (uint64_t)sb.st_size;
		g->tail_len = 0;
		{
			size_t	 k = g->read_pos < STORE_TAIL_MAX ?
			    (size_t)g->read_pos : STORE_TAIL_MAX;

			if (pread(g->fd, g->tail, k, (off_t)(g->read_pos - k)) ==
			    (ssize_t)k)
				g->tail_len = k;
		}
		g->skipping = 0;
		g->dirty = 1;
		return;
	}
	if (g->has_src && (fd = daemon_find_copy(f, &g->src, path, sizeof(path), &sb)) != -1) {
		struct gen	*c = daemon_gen_open(f, fd, &sb);
		struct gen	**pp;

		log_info("%s: truncated (copytruncate); finishing it from %s", f->path, path);
		*c = *g;
		c->fd = fd;
		c->dev = sb.st_dev;
		c->ino = sb.st_ino;
		c->copy = 1;
		c->rotated = 1;
		c->next = NULL;
		snprintf(c->src.state, sizeof(c->src.state), "rotated");
		c->dirty = 1;
		/* insert the copy before g: older data first */
		for (pp = &f->gens; *pp != g; pp = &(*pp)->next)
			;
		c->next = g;
		*pp = c;
	} else if (g->has_src) {
		log_warnx("%s: truncated and no rotated copy found: lines written "
		    "since offset %llu may be lost (recorded as a gap)", f->path,
		    (unsigned long long)g->read_pos);
		snprintf(g->src.state, sizeof(g->src.state), "gone");
		daemon_save_gen(d, g);
		if (daemon_tx(d) == -1 ||
		    store_gap(d->store, g->src.id, g->read_pos, 0, "truncated_no_copy") == -1 ||
		    store_source_save(d->store, &g->src) == -1) {
			daemon_stall(d);
			return;
		}
		d->n.gaps++;
	}
	/*
	 * Generations made and copied away between two looks (two
	 * copytruncates while paused) come before the live file's new one.
	 */
	{
		struct gen	**pp;

		for (pp = &f->gens; *pp != g; pp = &(*pp)->next)
			;
		*pp = g->next;
		g->next = NULL;
		if (daemon_missed(d, f, (int64_t)f->live_seen, "between two looks") == -1) {
			log_warnx("%s: %s", f->path, store_errmsg(d->store));
			daemon_gen_append(f, g);
			daemon_stall(d);
			return;
		}
		daemon_gen_append(f, g);
	}
	/* the live inode starts over as a new generation */
	g->has_src = 0;
	g->src_new = 0;
	g->read_pos = g->committed = 0;
	g->tail_len = g->ctail_len = 0;
	g->lines = g->clines = 0;
	g->skipping = 0;
	g->dirty = 0;
	if (d->in_tx)
		daemon_commit(d);
}

/* Does the file still hold, just before read_pos, what we read there? */
static int
daemon_marker_ok(struct gen *g)
{
	unsigned char	 t[STORE_TAIL_MAX];

	if (g->tail_len == 0 || g->read_pos < g->tail_len)
		return 1;
	return pread(g->fd, t, g->tail_len, (off_t)(g->read_pos - g->tail_len)) ==
	    (ssize_t)g->tail_len && memcmp(t, g->tail, g->tail_len) == 0;
}

/* Look at the name: rotation, truncation, a file that appeared. */
static void
daemon_check_follow(struct daemon *d, struct follow *f, int full)
{
	struct gen	*live = daemon_gen_live(f);
	struct stat	 sb, fsb;
	int		 fd;

	if (stat(f->path, &sb) == 0) {
		if (live == NULL || sb.st_ino != live->ino || sb.st_dev != live->dev) {
			if ((fd = daemon_open_log(f, &sb)) != -1) {
				if (live != NULL) {
					log_info("%s: rotated; draining the old file", f->path);
					live->rotated = 1;
					if (live->has_src) {
						snprintf(live->src.state, sizeof(live->src.state),
						    "rotated");
						live->dirty = 1;
					}
					d->n.rotations++;
					/*
					 * A whole generation may have been born and
					 * rotated away since the name was last seen on
					 * the old file (SIGSTOP, two rotations at once).
					 */
					if (daemon_missed(d, f, (int64_t)f->live_seen,
					    "between two looks") == -1) {
						log_warnx("%s: %s", f->path, store_errmsg(d->store));
						daemon_stall(d);
					}
				}
				daemon_gen_append(f, daemon_gen_open(f, fd, &sb));
				f->live_seen = ev_now(d->loop);
			}
		} else
			f->live_seen = ev_now(d->loop);
	}
	if ((live = daemon_gen_live(f)) != NULL && fstat(live->fd, &fsb) == 0) {
		/* before reading on: is what we read before still there? */
		if ((uint64_t)fsb.st_size < live->read_pos ||
		    ((full || (uint64_t)fsb.st_size != live->read_pos) &&
		    live->read_pos > 0 && !daemon_marker_ok(live)))
			daemon_truncated(d, f, live);
	}
}

/* ---- reading everything ---- */

static int
daemon_read_all(struct daemon *d)
{
	struct follow	*f;
	struct gen	*g;
	size_t		 budget = READ_BUDGET;
	int		 more = 0, r;

	if (d->stalled || d->stopping)
		return 0;
	d->ctx.now = (time_t)ev_now(d->loop);	/* the year of year-less stamps */
	for (f = d->follows; f != NULL; f = f->next) {
		/*
		 * Before reading on, look at the name and the size: a timer
		 * or the idle watcher may run before the stat watcher after a
		 * pause (SIGSTOP, a busy machine), and a file truncated and
		 * regrown past the old position reads as new lines.
		 */
		daemon_check_follow(d, f, 0);
		if (d->stalled)
			return -1;
		for (g = f->gens; g != NULL; g = g->next) {
			r = daemon_read_gen(d, g, &budget);
			if (r == -1)
				return -1;
			if (r == 1)
				more = 1;
			if (budget == 0)
				more = 1;
		}
		daemon_gen_reap(d, f);
		if (d->stalled)
			return -1;
	}
	if (d->in_tx && d->pending > 0 && !ev_is_active(&d->commit_w)) {
		ev_timer_set(&d->commit_w, d->conf->commit_interval_ms / 1000.0, 0.);
		ev_timer_start(d->loop, &d->commit_w);
	} else if (d->in_tx && d->pending == 0 && !ev_is_active(&d->commit_w)) {
		/* only sources or states changed: save them now */
		daemon_commit(d);
	}
	if (more)
		ev_idle_start(d->loop, &d->more_w);
	else
		ev_idle_stop(d->loop, &d->more_w);
	return 0;
}

/* ---- watchers ---- */

static void
on_stat(struct ev_loop *loop, ev_stat *w, int revents)
{
	struct follow	*f = w->data;

	(void)loop;
	(void)revents;
	daemon_check_follow(f->d, f, 0);
	daemon_read_all(f->d);
}

static void
on_poll(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct daemon	*d = w->data;
	struct follow	*f;

	(void)loop;
	(void)revents;
	if (d->stalled)
		return;
	for (f = d->follows; f != NULL; f = f->next)
		daemon_check_follow(d, f, 1);
	daemon_read_all(d);
}

static void
on_more(struct ev_loop *loop, ev_idle *w, int revents)
{
	(void)loop;
	(void)revents;
	daemon_read_all(w->data);
}

static void
on_commit(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct daemon	*d = w->data;

	(void)loop;
	(void)revents;
	if (daemon_commit(d) == 0)
		daemon_read_all(d);
}

static void
on_retry(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct daemon	*d = w->data;

	(void)loop;
	(void)revents;
	/* try a transaction: if the database is back, read again */
	if (daemon_tx(d) == -1) {
		daemon_stall(d);
		return;
	}
	d->stalled = 0;		/* "resumed" is logged by the first good commit */
	daemon_read_all(d);
	if (d->in_tx && d->pending == 0)
		daemon_commit(d);
}

/* retention_days: delete failure detail older than that, keep the counters. */
static void
on_prune(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct daemon	*d = w->data;
	char		 before[11];
	int64_t		 n;

	(void)loop;
	(void)revents;
	if (d->conf->retention_days <= 0 || d->stalled)
		return;
	if (d->in_tx && daemon_commit(d) == -1)
		return;			/* stalled: next hour */
	tz_day_text(tz_local_day(d->ctx.tz, (int64_t)ev_now(d->loop)) -
	    d->conf->retention_days, before);
	if ((n = store_prune(d->store, before)) < 0)
		log_warnx("pruning failure detail before %s: %s", before,
		    store_errmsg(d->store));
	else if (n > 0)
		log_info("pruned %lld failure rows before %s (retention_days = %d)",
		    (long long)n, before, d->conf->retention_days);
}

static void
daemon_log_counters(struct daemon *d)
{
	struct follow	*f;
	struct gen	*g;

	log_info("counters: %llu lines, %llu deliveries (%llu failed), %llu expired, "
	    "%llu probes, %llu other, %llu unparseable; %llu commits, %llu stalls, "
	    "%llu rotations, %llu truncations, %llu gaps; WAL %lld bytes",
	    (unsigned long long)d->n.lines, (unsigned long long)d->n.kind[LINE_DELIVERY],
	    (unsigned long long)d->n.failures, (unsigned long long)d->n.kind[LINE_EXPIRED],
	    (unsigned long long)d->n.kind[LINE_PROBE], (unsigned long long)d->n.kind[LINE_OTHER],
	    (unsigned long long)d->n.kind[LINE_INVALID], (unsigned long long)d->n.commits,
	    (unsigned long long)d->n.stalls, (unsigned long long)d->n.rotations,
	    (unsigned long long)d->n.truncations, (unsigned long long)d->n.gaps,
	    (long long)store_wal_size(d->store));
	for (f = d->follows; f != NULL; f = f->next)
		for (g = f->gens; g != NULL; g = g->next)
			log_info("%s: %s generation at offset %llu (committed %llu)%s",
			    f->path, g->copy ? "copy of a" : g->rotated ? "rotated" : "live",
			    (unsigned long long)g->read_pos, (unsigned long long)g->committed,
			    d->stalled ? ", stalled" : "");
}

static void daemon_reload(struct daemon *);

static void
on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct daemon	*d = w->data;

	(void)revents;
	switch (w->signum) {
	case SIGTERM:
	case SIGINT:
		log_info("signal %d: committing and exiting", w->signum);
		d->stopping = 1;
		daemon_notify("STOPPING=1");
		if (d->in_tx && daemon_commit(d) == -1)
			log_warnx("last batch not committed; it will be read again at start");
		ev_break(loop, EVBREAK_ALL);
		break;
	case SIGHUP:
		daemon_reload(d);
		break;
	case SIGUSR1:
		daemon_log_counters(d);
		break;
	}
}

/* ---- startup reconciliation ---- */

/*
 * Finish a generation rotated while we were down whose copy is gzipped:
 * stream it, skip what was read, ingest the rest.
 */
static int
daemon_drain_gz(struct daemon *d, struct follow *f, struct store_source *src,
    const char *path)
{
	struct input	*in;
	struct gen	 g;
	const char	*line;
	size_t		 len;
	int		 r;

	if ((in = input_open(path)) == NULL) {
		log_warn("%s", path);
		return -1;
	}
	memset(&g, 0, sizeof(g));
	g.f = f;
	g.fd = -1;
	g.src = *src;
	g.has_src = 1;
	g.lines = src->lines;
	while (input_offset(in) < src->offset && (r = input_next(in, &line, &len)) == 1)
		daemon_tail_push(&g, line, len), daemon_tail_push(&g, "\n", 1);
	if (input_offset(in) != src->offset || g.tail_len != src->tail_len ||
	    memcmp(g.tail, src->tail, g.tail_len) != 0) {
		log_warnx("%s: does not continue the generation read before; not used", path);
		input_close(in);
		return -1;
	}
	log_info("%s: finishing the generation rotated while stopped, from offset %llu",
	    path, (unsigned long long)src->offset);
	g.read_pos = src->offset;
	while ((r = input_next(in, &line, &len)) == 1) {
		if (!input_terminated(in))
			break;
		if (daemon_tx(d) == -1 || daemon_physical_line(d, &g, line, len, g.read_pos) == -1)
			goto dberr;
		g.read_pos += len + 1;
		daemon_tail_push(&g, line, len);
		daemon_tail_push(&g, "\n", 1);
		if (d->pending >= (uint64_t)d->conf->commit_lines) {
			daemon_save_gen(d, &g);
			if (store_source_save(d->store, &g.src) == -1 || store_commit(d->store) == -1)
				goto dberr;
			d->in_tx = 0;
			d->pending = 0;
		}
	}
	snprintf(g.src.state, sizeof(g.src.state), "done");
	daemon_save_gen(d, &g);
	if (daemon_tx(d) == -1 || store_source_save(d->store, &g.src) == -1 ||
	    store_commit(d->store) == -1)
		goto dberr;
	d->in_tx = 0;
	d->pending = 0;
	input_close(in);
	return 0;
dberr:
	log_warnx("%s: %s", path, store_errmsg(d->store));
	store_rollback(d->store);
	d->in_tx = 0;
	d->pending = 0;
	input_close(in);
	return -2;
}

/* Find where an unfinished source continues: the live file or a rotated copy. */
static int
daemon_reconcile_source(struct daemon *d, struct follow *f, struct store_source *src)
{
	char		 path[4096];
	struct stat	 sb;
	struct gen	*g;
	int		 fd;

	if ((fd = daemon_find_copy(f, src, path, sizeof(path), &sb)) != -1) {
		if ((uint64_t)sb.st_size < src->offset) {
			close(fd);
			snprintf(src->state, sizeof(src->state), "done");
			return daemon_tx(d) == -1 || store_source_save(d->store, src) == -1 ? -2 : 0;
		}
		g = daemon_gen_open(f, fd, &sb);
		g->src = *src;
		g->has_src = 1;
		g->read_pos = g->committed = src->offset;
		memcpy(g->tail, src->tail, src->tail_len);
		memcpy(g->ctail, src->tail, src->tail_len);
		g->tail_len = g->ctail_len = src->tail_len;
		g->lines = g->clines = src->lines;
		/*
		 * Not a copy closed at its end: until its writer reopens the
		 * log (the HUP after a rename), lines still land in it; like
		 * a generation rotated while running, it is finished once it
		 * has been quiet for rotate_quiet.
		 */
		g->rotated = 1;
		if (!daemon_marker_ok(g)) {
			log_warnx("%s: starts like the generation read before but differs "
			    "before offset %llu; not used", path, (unsigned long long)src->offset);
			close(fd);
			free(g);
		} else {
			log_info("%s: finishing the generation rotated while stopped, "
			    "from offset %llu", path, (unsigned long long)src->offset);
			daemon_gen_append(f, g);
			return 0;
		}
	}
	{
		struct candidate	*c = NULL;
		int			 k, nc = daemon_candidates(f, &c);

		for (k = 0; k < nc; k++) {
			unsigned char	 head[STORE_FP_MAX];
			struct input	*in;
			size_t		 n;

			if (!c[k].gz || (in = input_open(c[k].path)) == NULL)
				continue;
			n = input_peek(in, head, src->fp_len);
			input_close(in);
			if (n == src->fp_len && n > 0 && memcmp(head, src->fp, n) == 0) {
				int	 r = daemon_drain_gz(d, f, src, c[k].path);

				if (r == -2 || r == 0) {
					free(c);
					return r;
				}
			}
		}
		free(c);
	}
	log_warnx("%s: the generation read before (source %lld, offset %llu) is gone; "
	    "lines written to it after that are lost (recorded as a gap)", f->path,
	    (long long)src->id, (unsigned long long)src->offset);
	snprintf(src->state, sizeof(src->state), "gone");
	if (daemon_tx(d) == -1 || store_gap(d->store, src->id, src->offset, 0,
	    "generation_missing") == -1 || store_source_save(d->store, src) == -1)
		return -2;
	d->n.gaps++;
	return 0;
}

static int
daemon_cmp_mtime(const void *a, const void *b)
{
	const struct candidate	*x = a, *y = b;

	return x->mtime < y->mtime ? -1 : x->mtime > y->mtime;
}

/*
 * Generations that were created and rotated away entirely while we were
 * stopped (two rotations or more): rotated files unknown to the database
 * and modified after our last commit for this log.  Read each from its
 * start, oldest first, before the live file.
 */
/* Is the file dev/ino one of f's open generations? */
static int
daemon_is_open(struct follow *f, dev_t dev, ino_t ino)
{
	struct gen	*g;

	for (g = f->gens; g != NULL; g = g->next)
		if (g->fd != -1 && g->dev == dev && g->ino == ino)
			return 1;
	return 0;
}

/*
 * Does an open generation of f begin with head (a compressed copy of a
 * generation still draining through its open descriptor)?
 */
static int
daemon_open_head(struct follow *f, const unsigned char *head, size_t hn)
{
	unsigned char	 h[STORE_FP_MAX];
	struct gen	*g;
	ssize_t		 n;

	for (g = f->gens; g != NULL; g = g->next) {
		/* a short file: its first line at least must be there */
		if (g->fd == -1 || (n = pread(g->fd, h, hn, 0)) <= 0 ||
		    ((size_t)n < hn && n < 64))
			continue;
		if (memcmp(h, head, (size_t)n < hn ? (size_t)n : hn) == 0)
			return 1;
	}
	return 0;
}

static int
daemon_missed(struct daemon *d, struct follow *f, int64_t last, const char *when)
{
	struct candidate	*c = NULL;
	int			 i, nc;

	nc = daemon_candidates(f, &c);
	if (nc > 1)
		qsort(c, (size_t)nc, sizeof(*c), daemon_cmp_mtime);
	for (i = 0; i < nc; i++) {
		unsigned char		 head[STORE_FP_MAX];
		struct store_source	 src;
		struct input		*in;
		size_t			 hn;
		int			 found;

		if ((int64_t)c[i].mtime < last || daemon_is_open(f, c[i].dev, c[i].ino))
			continue;
		if ((in = input_open(c[i].path)) == NULL)
			continue;
		hn = input_peek(in, head, sizeof(head));
		input_close(in);
		if (hn == 0 || daemon_open_head(f, head, hn))
			continue;
		if ((found = store_source_match(d->store, head, hn, &src)) == -1) {
			free(c);
			return -1;
		}
		if (found)
			continue;		/* known: reconciled already */
		log_info("%s: a generation rotated away %s; reading it from its "
		    "start", c[i].path, when);
		if (daemon_tx(d) == -1 ||
		    store_source_new(d->store, f->path, head, hn, 0, 0, &src) == -1) {
			free(c);
			return -1;
		}
		snprintf(src.state, sizeof(src.state), "rotated");
		if (c[i].gz) {
			if (daemon_drain_gz(d, f, &src, c[i].path) == -2) {
				free(c);
				return -1;
			}
		} else {
			struct stat	 sb;
			int		 fd;
			struct gen	*g;

			if ((fd = open(c[i].path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1 ||
			    fstat(fd, &sb) == -1) {
				if (fd != -1)
					close(fd);
				continue;
			}
			g = daemon_gen_open(f, fd, &sb);
			g->src = src;
			g->has_src = 1;
			g->src_new = 1;
			g->rotated = 1;		/* finished after rotate_quiet */
			g->dirty = 1;
			daemon_gen_append(f, g);
		}
	}
	free(c);
	return 0;
}

static int
daemon_reconcile(struct daemon *d, struct follow *f)
{
	struct store_source	*srcs = NULL, live_src;
	unsigned char		 head[STORE_FP_MAX];
	struct stat		 sb;
	struct gen		*g = NULL;
	int			 n, i, fd, found = 0, known = 0;
	ssize_t			 hn = 0;

	if ((n = store_source_list(d->store, NULL, &srcs)) == -1) {
		log_warnx("%s: %s", f->path, store_errmsg(d->store));
		return -1;
	}
	fd = daemon_open_log(f, &sb);
	if (fd != -1 && (hn = pread(fd, head, sizeof(head), 0)) > 0) {
		if ((found = store_source_match(d->store, head, (size_t)hn, &live_src)) == -1)
			goto fail;
	}
	/* unfinished generations of this log, oldest first */
	for (i = n - 1; i >= 0; i--) {
		if (strcmp(srcs[i].path, f->path) != 0)
			continue;
		known = 1;
		if (strcmp(srcs[i].state, "active") != 0 && strcmp(srcs[i].state, "rotated") != 0)
			continue;
		if (found && srcs[i].id == live_src.id)
			continue;
		if (daemon_reconcile_source(d, f, &srcs[i]) == -2)
			goto fail;
	}
	if (known) {
		int64_t	 last = 0;

		for (i = 0; i < n; i++)
			if (strcmp(srcs[i].path, f->path) == 0 && srcs[i].last_commit > last)
				last = srcs[i].last_commit;
		if (daemon_missed(d, f, last, "while stopped") == -1)
			goto fail;
	}
	if (d->in_tx && daemon_commit(d) == -1)
		goto fail;
	if (fd == -1) {
		free(srcs);
		return 0;			/* wait for the file */
	}
	g = daemon_gen_open(f, fd, &sb);
	if (found) {
		g->src = live_src;
		g->has_src = 1;
		g->read_pos = g->committed = live_src.offset;
		memcpy(g->tail, live_src.tail, live_src.tail_len);
		memcpy(g->ctail, live_src.tail, live_src.tail_len);
		g->tail_len = g->ctail_len = live_src.tail_len;
		g->lines = g->clines = live_src.lines;
		if ((uint64_t)sb.st_size < live_src.offset || !daemon_marker_ok(g)) {
			log_warnx("%s: changed before offset %llu since the last run",
			    f->path, (unsigned long long)live_src.offset);
			daemon_gen_append(f, g);
			f->live_seen = ev_now(d->loop);
			daemon_truncated(d, f, g);
			free(srcs);
			return 0;
		}
		if (strcmp(g->src.path, f->path) != 0 || strcmp(g->src.state, "active") != 0) {
			snprintf(g->src.path, sizeof(g->src.path), "%s", f->path);
			snprintf(g->src.state, sizeof(g->src.state), "active");
			g->dirty = 1;
		}
		log_info("%s: resuming at offset %llu", f->path, (unsigned long long)g->read_pos);
	} else if (!known && d->conf->start == CONF_START_END && hn > 0) {
		/* first start, start = end: from the end of the last complete line */
		char	 c;
		off_t	 end = sb.st_size;

		while (end > 0 && pread(fd, &c, 1, end - 1) == 1 && c != '\n')
			end--;
		if (daemon_gen_source(d, g) == -1)
			goto fail;
		g->read_pos = (uint64_t)end;
		g->dirty = 1;
		log_info("%s: first start; reading from the end (offset %lld)", f->path,
		    (long long)end);
	} else
		log_info("%s: %s; reading from the beginning", f->path,
		    known ? "a new generation" : "first start");
	daemon_gen_append(f, g);
	f->live_seen = ev_now(d->loop);
	free(srcs);
	return 0;
fail:
	log_warnx("%s: %s", f->path, store_errmsg(d->store));
	if (g != NULL) {
		close(g->fd);
		free(g);
	} else if (fd != -1)
		close(fd);
	free(srcs);
	return -1;
}

/* ---- configuration ---- */

static struct classifier *
daemon_classifier(const struct conf *c)
{
	struct classifier	*cl = classify_new();
	char			 err[4096];

	if (c->rules != NULL && classify_load_rules(cl, c->rules, err, sizeof(err)) != 0) {
		char	*line, *save = NULL;

		for (line = strtok_r(err, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save))
			log_warnx("%s", line);
		classify_free(cl);
		return NULL;
	}
	return cl;
}

static struct follow *
daemon_follow_new(struct daemon *d, const struct conf_log *l)
{
	struct follow	*f = xcalloc(1, sizeof(*f));

	f->d = d;
	f->path = xstrdup(l->path);
	f->format = xstrdup(l->format);
	ev_stat_init(&f->stat_w, on_stat, f->path, 0.);
	f->stat_w.data = f;
	return f;
}

static void
daemon_follow_free(struct daemon *d, struct follow *f)
{
	struct gen	*g, *next;

	ev_stat_stop(d->loop, &f->stat_w);
	for (g = f->gens; g != NULL; g = next) {
		next = g->next;
		if (g->fd != -1)
			close(g->fd);
		free(g);
	}
	free(f->path);
	free(f->format);
	free(f);
}

/*
 * SIGHUP: read the configuration again; on any error keep running with
 * the old one.  Rules, time zone and the list of logs change in place;
 * the database and the pid file need a restart.
 */
static void
daemon_reload(struct daemon *d)
{
	struct conf		*nc = xcalloc(1, sizeof(*nc)), *oc = d->conf;
	struct classifier	*cl;
	struct tz		*tz;
	struct follow		*f, **pp;
	char			*cause = NULL;
	int			 i;

	log_info("SIGHUP: reloading %s", oc->path != NULL ? oc->path : "the configuration");
	conf_defaults(nc);
	if (oc->path == NULL || conf_load(oc->path, nc, 0, &cause) == -1 ||
	    conf_validate(nc, &cause) == -1) {
		if (cause != NULL)
			log_warnx_list(cause);
		free(cause);
		log_warnx("configuration not reloaded: keeping the running one");
		conf_free(nc);
		free(nc);
		return;
	}
	if ((cl = daemon_classifier(nc)) == NULL ||
	    (tz = tz_new(nc->timezone)) == NULL) {
		log_warnx("configuration not reloaded: keeping the running one");
		classify_free(cl);
		conf_free(nc);
		free(nc);
		return;
	}
	if (strcmp(nc->database, oc->database) != 0)
		log_warnx("database changed: takes effect after a restart");
	/* commit what is pending with the old state, then swap */
	if (d->in_tx)
		daemon_commit(d);
	classify_free(d->cl);
	d->cl = cl;
	store_set_tz(d->store, tz);
	tz_free(d->ctx.tz);
	d->ctx.tz = tz;
	store_set_synchronous(d->store, strcmp(nc->synchronous, "normal") != 0);
	/* drop logs no longer configured, add new ones */
	for (pp = &d->follows; (f = *pp) != NULL; ) {
		for (i = 0; i < nc->nlogs; i++)
			if (strcmp(nc->logs[i].path, f->path) == 0)
				break;
		if (i == nc->nlogs) {
			log_info("%s: no longer followed", f->path);
			*pp = f->next;
			daemon_follow_free(d, f);
			continue;
		}
		free(f->format);
		f->format = xstrdup(nc->logs[i].format);
		pp = &f->next;
	}
	/* keep the database path the process was started with */
	free(nc->database);
	nc->database = xstrdup(oc->database);
	free(nc->pidfile);
	nc->pidfile = xstrdup(oc->pidfile);
	conf_free(oc);
	*oc = *nc;
	free(nc);
	for (i = 0; i < oc->nlogs; i++) {
		for (f = d->follows; f != NULL; f = f->next)
			if (strcmp(oc->logs[i].path, f->path) == 0)
				break;
		if (f != NULL)
			continue;
		f = daemon_follow_new(d, &oc->logs[i]);
		if (daemon_reconcile(d, f) == -1) {
			daemon_follow_free(d, f);
			continue;
		}
		f->next = d->follows;
		d->follows = f;
		ev_stat_start(d->loop, &f->stat_w);
		log_info("%s: now followed", f->path);
	}
	/* reopen: look at every name again */
	for (f = d->follows; f != NULL; f = f->next)
		daemon_check_follow(d, f, 1);
	daemon_read_all(d);
	log_info("configuration reloaded");
}

/* ---- life cycle ---- */

struct daemon *
daemon_new(struct conf *conf, int *exit_code)
{
	struct daemon	*d = xcalloc(1, sizeof(*d));
	enum store_err	 why;
	char		 err[1024];
	int		 i;

	d->conf = conf;
	*exit_code = DAEMON_EX_SOFTWARE;
	if ((d->loop = ev_default_loop(EVFLAG_AUTO | EVFLAG_NOENV)) == NULL) {
		log_warnx("cannot initialise libev");
		free(d);
		return NULL;
	}
	d->ctx.now = time(NULL);
	d->ctx.lazy = 1;		/* parse only what the store keeps */
	if ((d->ctx.tz = tz_new(conf->timezone)) == NULL) {
		log_warnx("unknown time zone \"%s\"", conf->timezone);
		*exit_code = DAEMON_EX_CONFIG;
		free(d);
		return NULL;
	}
	if ((d->cl = daemon_classifier(conf)) == NULL) {
		*exit_code = DAEMON_EX_CONFIG;
		tz_free(d->ctx.tz);
		free(d);
		return NULL;
	}
	if ((d->store = store_open(conf->database, STORE_RW, d->ctx.tz, &why, err,
	    sizeof(err))) == NULL) {
		log_warnx("%s", err);
		*exit_code = why == STORE_ENOTDB || why == STORE_ENEWER ?
		    DAEMON_EX_DATAERR : DAEMON_EX_SOFTWARE;
		classify_free(d->cl);
		tz_free(d->ctx.tz);
		free(d);
		return NULL;
	}
	if (strcmp(conf->synchronous, "normal") == 0)
		store_set_synchronous(d->store, 0);
	{
		struct stat	 sb;

		if (stat(conf->database, &sb) == 0) {
			d->db_dev = sb.st_dev;
			d->db_ino = sb.st_ino;
		}
	}
	d->buf = xmalloc(CHUNK);
	for (i = conf->nlogs - 1; i >= 0; i--) {
		struct follow	*f = daemon_follow_new(d, &conf->logs[i]);

		f->next = d->follows;
		d->follows = f;
	}
	for (struct follow *f = d->follows; f != NULL; f = f->next)
		if (daemon_reconcile(d, f) == -1) {
			if (store_error(d->store) == STORE_ENOTDB)
				*exit_code = DAEMON_EX_DATAERR;
			daemon_free(d);
			return NULL;
		}

	ev_timer_init(&d->commit_w, on_commit, 0., 0.);
	d->commit_w.data = d;
	ev_timer_init(&d->poll_w, on_poll, POLL_INTERVAL, POLL_INTERVAL);
	d->poll_w.data = d;
	ev_timer_init(&d->retry_w, on_retry, 0., 0.);
	d->retry_w.data = d;
	ev_timer_init(&d->prune_w, on_prune, 60., 3600.);
	d->prune_w.data = d;
	ev_idle_init(&d->more_w, on_more);
	d->more_w.data = d;
	ev_signal_init(&d->sigterm_w, on_signal, SIGTERM);
	ev_signal_init(&d->sigint_w, on_signal, SIGINT);
	ev_signal_init(&d->sighup_w, on_signal, SIGHUP);
	ev_signal_init(&d->sigusr1_w, on_signal, SIGUSR1);
	d->sigterm_w.data = d->sigint_w.data = d->sighup_w.data = d->sigusr1_w.data = d;
	*exit_code = DAEMON_EX_OK;
	return d;
}

int
daemon_run(struct daemon *d)
{
	struct follow	*f;

	for (f = d->follows; f != NULL; f = f->next)
		ev_stat_start(d->loop, &f->stat_w);
	ev_timer_start(d->loop, &d->poll_w);
	ev_timer_start(d->loop, &d->prune_w);
	ev_signal_start(d->loop, &d->sigterm_w);
	ev_signal_start(d->loop, &d->sigint_w);
	ev_signal_start(d->loop, &d->sighup_w);
	ev_signal_start(d->loop, &d->sigusr1_w);
	signal(SIGPIPE, SIG_IGN);
	daemon_read_all(d);
	daemon_notify("READY=1\nSTATUS=running");
	log_info("started: following %d log(s) into %s", d->conf->nlogs, d->conf->database);
	if (!d->stopping)
		ev_run(d->loop, 0);
	daemon_log_counters(d);
	return d->exit_code;
}

void
daemon_free(struct daemon *d)
{
	struct follow	*f, *next;

	if (d == NULL)
		return;
	if (d->in_tx)
		store_rollback(d->store);
	for (f = d->follows; f != NULL; f = next) {
		next = f->next;
		daemon_follow_free(d, f);
	}
	store_close(d->store);
	classify_free(d->cl);
	tz_free(d->ctx.tz);
	free(d->buf);
	free(d);
}
