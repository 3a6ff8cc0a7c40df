/*
 * tail.c -- see tail.h.  The exactly-once design of
 * shared/research/tailing-reliability.md §5:
 *
 *  - Each file generation the name has pointed to is a "gen": an open
 *    descriptor (or a compressed copy's stream), the store source it
 *    belongs to (identified by content: the first bytes and the bytes
 *    before the offset), a read position and a committed position.
 *  - Reading goes through input.c in follow mode: pread at explicit
 *    offsets, always from a line start; a partial last line is left in
 *    the file and read again once complete.
 *  - After a rename rotation the old gen is drained to its end (including
 *    lines written after the rename) and closed once quiet for
 *    rotate_quiet; copytruncate and truncation start a new generation,
 *    reading the remainder of the old one from its rotated copy.
 *  - At start every source that was being read is reconciled with the
 *    files on disk (tail_copies.c): the live file resumes where it
 *    stopped; a generation rotated while we were down is finished from
 *    NAME.1 or NAME.1.gz.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "input.h"
#include "log.h"
#include "source.h"
#include "store.h"
#include "tail.h"
#include "tail_int.h"
#include "util.h"

double
tail_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* For "quiet for rotate_quiet": a clock that is never set back. */
double
tail_mono(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int
tail_tx(struct tail *t)
{
	if (store_in_transaction(t->st))
		return 0;
	return store_begin(t->st);
}

/* ---- generations ---- */

struct gen *
tail_gen_new(struct tail *t, int fd, const struct stat *sb)
{
	struct gen	*g = xcalloc(1, sizeof(*g));

	g->t = t;
	g->fd = fd;
	if (sb != NULL) {
		g->dev = sb->st_dev;
		g->ino = sb->st_ino;
	}
	g->last_growth = tail_mono();
	return g;
}

void
tail_gen_free(struct gen *g)
{
	input_close(g->in);
	if (g->fd != -1)
		close(g->fd);
	free(g->gzpath);
	free(g->path);
	free(g);
}

void
tail_gen_append(struct tail *t, struct gen *g)
{
	struct gen	**pp = &t->gens;

	while (*pp != NULL)
		pp = &(*pp)->next;
	*pp = g;
}

/* A rotated generation: after the others, before the live one. */
void
tail_gen_add_rotated(struct tail *t, struct gen *g)
{
	struct gen	**pp = &t->gens;

	while (*pp != NULL && ((*pp)->rotated || (*pp)->copy))
		pp = &(*pp)->next;
	g->next = *pp;
	*pp = g;
}

/*
 * A rotated generation older than the one before (found below it in a
 * look for missed ones): read first.  After the other rotated ones when
 * before is NULL.
 */
void
tail_gen_add_before(struct tail *t, struct gen *g, struct gen *before)
{
	struct gen	**pp;

	for (pp = &t->gens; before != NULL && *pp != NULL && *pp != before; )
		pp = &(*pp)->next;
	if (before == NULL || *pp == NULL) {
		tail_gen_add_rotated(t, g);
		return;
	}
	g->next = *pp;
	*pp = g;
}

static void
tail_gen_unlink(struct tail *t, struct gen *g)
{
	struct gen	**pp;

	for (pp = &t->gens; *pp != g; pp = &(*pp)->next)
		;
	*pp = g->next;
	g->next = NULL;
}

/* Position g at a committed point of its source. */
void
tail_gen_resume(struct gen *g, const struct store_source *src)
{
	g->src = *src;
	g->has_src = 1;
	g->read_pos = g->committed = src->offset;
	memcpy(g->tail, src->tail, src->tail_len);
	memcpy(g->ctail, src->tail, src->tail_len);
	g->tail_len = g->ctail_len = src->tail_len;
	g->lines = g->clines = src->lines;
}

/* Read position moved by something other than reading (a shrunk file). */
static void
tail_gen_seek(struct gen *g)
{
	g->np = NULL;
	if (g->in != NULL && g->fd != -1)
		input_seek(g->in, g->read_pos, g->tail, g->tail_len);
}

static struct gen *
tail_gen_live(struct tail *t)
{
	struct gen	*g, *live = NULL;

	for (g = t->gens; g != NULL; g = g->next)
		if (!g->rotated && !g->copy)
			live = g;
	return live;
}

static void
tail_gen_save(struct gen *g)
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
}


/* Is the source id another generation's of t? */
static int
tail_claimed(struct tail *t, struct gen *self, int64_t id)
{
	struct gen	*g;

	for (g = t->gens; g != NULL; g = g->next)
		if (g != self && g->has_src && g->src.id == id)
			return 1;
	return 0;
}

/*
 * Is the name still on g's file?  When it is not, g was renamed away
 * unseen and the rotated files newer than it are the next look's (in
 * tail_poll), not generations before it.
 */
static int
tail_still_named(struct tail *t, struct gen *g)
{
	struct stat	 sb;

	return stat(t->path, &sb) == 0 && sb.st_dev == g->dev && sb.st_ino == g->ino;
}

/* Does g's file begin with the n bytes of head? */
static int
tail_gen_begins(struct gen *g, const unsigned char *head, size_t n)
{
	unsigned char	 h[STORE_FP_MAX];

	return pread(g->fd, h, n, 0) == (ssize_t)n && memcmp(h, head, n) == 0;
}

/* Make sure gen g has a source (needs the first bytes of the file). */
int
tail_gen_source(struct tail *t, struct gen *g)
{
	unsigned char	 head[STORE_FP_MAX];
	ssize_t		 n;
	int		 found, tries = 0;

	if (g->has_src)
		return 1;
	if (g->fd == -1) {
		/* a compressed copy whose new source was rolled back */
		if (tail_tx(t) == -1 || store_source_new(t->st, t->path, g->src.fp,
		    g->src.fp_len, 0, 0, &g->src) == -1)
			return -1;
		snprintf(g->src.state, sizeof(g->src.state), "rotated");
		g->has_src = g->src_new = g->dirty = 1;
		return 1;
	}
again:
	if ((n = pread(g->fd, head, sizeof(head), 0)) <= 0)
		return 0;			/* empty: nothing to identify yet */
	if (tail_tx(t) == -1)
		return -1;
	if ((found = store_source_match(t->st, head, (size_t)n, &g->src)) == -1)
		return -1;
	if (found && tail_claimed(t, g, g->src.id))
		found = 0;	/* the same first bytes (a banner), another generation */
	if (found && g->src.offset == 0) {
		/* a generation we know (recreated after a restart): adopt it */
		snprintf(g->src.path, sizeof(g->src.path), "%s", t->path);
	} else if (found) {
		/* e.g. a file copied back: resume there only if the marker agrees */
		unsigned char	 m[STORE_TAIL_MAX];
		size_t		 tl = g->src.tail_len;

		if (tl > 0 && g->src.offset >= tl && pread(g->fd, m, tl,
		    (off_t)(g->src.offset - tl)) == (ssize_t)tl &&
		    memcmp(m, g->src.tail, tl) == 0) {
			struct store_source	 src = g->src;

			tail_gen_resume(g, &src);
			tail_gen_seek(g);
		} else
			found = 0;
	}
	if (!found) {
		/*
		 * A new generation under the name: one before it may have
		 * come and been copied away unseen (two copytruncates before
		 * a byte of the first was read).  Looked for before this
		 * one's source exists: a copy of it already made is then this
		 * generation's own (its head is read through g), not the
		 * newest known one behind which nothing is looked for.
		 */
		if (t->known && !g->rotated && !g->copy && tail_still_named(t, g)) {
			if (tail_missed(t, (int64_t)t->live_seen, "before this one",
			    g->dev, g->ino, head, (size_t)n) == -1)
				return -1;
			/*
			 * Copytruncated since head was read (stopped, a busy
			 * machine): the look took the copy as a missed one when
			 * head was too short to tell it by, and named by head
			 * this one would finish from that copy too (read twice).
			 */
			if (!tail_gen_begins(g, head, (size_t)n)) {
				log_debug("%s: changed while rotated files were looked at; "
				    "identifying it again", t->path);
				if (++tries < TAIL_IDENTIFY_TRIES)
					goto again;
				return 0;
			}
		}
		if (store_source_new(t->st, t->path, head, (size_t)n,
		    (uint64_t)g->dev, (uint64_t)g->ino, &g->src) == -1)
			return -1;
		g->src_new = 1;
	}
	t->s.commit_first |= !t->known;
	t->known = 1;
	if (t->first_id == 0)
		t->first_id = g->src.id;
	log_debug("%s: source %lld for inode %llu (%s)", t->path, (long long)g->src.id,
	    (unsigned long long)g->ino, found ? "known" : "new");
	g->has_src = 1;
	g->dirty = 1;
	return 1;
}

/* Hand out the next piece of a line split at NUL runs. */
static void
tail_gen_piece(struct gen *g, struct source_line *l)
{
	const char	*s = g->np, *z = s;

	if (*s == '\0') {
		/* a NUL run (a writer that crashed, a preallocated file) */
		while (z < g->ne && *z == '\0')
			z++;
	} else if ((z = memchr(s, '\0', (size_t)(g->ne - s))) == NULL)
		z = g->ne;
	l->p = s;
	l->len = (size_t)(z - s);
	l->id = g->src.id;
	l->offset = g->read_pos;
	g->read_pos += (uint64_t)(z - s);
	g->np = z < g->ne ? z : NULL;
	if (g->np == NULL)
		g->read_pos = input_offset(g->in);	/* past the '\n' */
	g->tail_len = input_tail(g->in, input_offset(g->in) - g->read_pos, g->tail,
	    STORE_TAIL_MAX);
	g->lines++;
}

/*
 * Does a line read at off agree with the fingerprint where they overlap?
 * A file truncated and rewritten between taking its first bytes and
 * reading them would otherwise be read under another generation's name.
 */
static int
tail_gen_fp_ok(struct gen *g, const char *line, size_t len, uint64_t off)
{
	size_t	 n;

	if (off >= g->src.fp_len)
		return 1;
	n = g->src.fp_len - (size_t)off;
	if (n > len)
		n = len;
	return memcmp(line, g->src.fp + off, n) == 0;
}

/*
 * Did what was just read from the live file come from the file read so
 * far?  The look before reading (tail_poll) and the read are not one step:
 * a copytruncate in between, the file regrown past the read position, and
 * the read returns the new generation's bytes as if they went on from the
 * old one's.  Looked at after each read of the file: the bytes before the
 * read position (and near the start the first bytes) must be those read
 * there.  The read came after the look, so a change it missed shows now.
 */
static int
tail_gen_read_ok(struct gen *g)
{
	size_t	 n = g->src.fp_len;

	if (!tail_marker_ok(g))
		return 0;
	return g->read_pos >= STORE_FP_MAX || n == 0 || tail_gen_begins(g, g->src.fp, n);
}

/*
 * 1: a line of gen g; 0: nothing more now; -1: a database error;
 * TAIL_CHANGED: the live file changed under the read (what was read of it
 * is dropped), to be handled as a truncation.
 */
static int
tail_gen_next(struct tail *t, struct gen *g, struct source_line *l)
{
	const char	*line;
	size_t		 len;
	int64_t		 raw;
	int		 r;

	if (g->done || g->at_end)
		return 0;
	if (g->np != NULL) {
		tail_gen_piece(g, l);
		return 1;
	}
	if (g->parked) {
		if (g->parked_at_end)
			return 0;	/* looked at again once quiet (tail_reap) */
		if ((r = tail_gen_unpark(t, g)) <= 0)
			return r;
	}
	/* a log's first source is committed before its lines (source.h) */
	if ((r = tail_gen_source(t, g)) <= 0 || t->s.commit_first)
		return r <= 0 ? r : 0;
	if (g->in == NULL)
		g->in = input_follow(g->fd, g->read_pos, g->tail, g->tail_len);
	raw = input_raw_offset(g->in);
	r = input_next(g->in, &line, &len);
	if (input_raw_offset(g->in) != raw) {
		g->last_growth = tail_mono();
		if (g->fd != -1 && !g->rotated && !g->copy && !tail_gen_read_ok(g)) {
			input_seek(g->in, g->read_pos, g->tail, g->tail_len);
			return TAIL_CHANGED;
		}
	}
	if (r == -1) {
		log_warn("%s: read", t->path);
		return 0;
	}
	if (r == 0 || (g->fd == -1 && !input_terminated(g->in))) {
		/* a compressed copy's partial last line is left out */
		if (g->fd == -1)
			g->at_end = 1;
		return 0;
	}
	if (g->fd != -1 && !tail_gen_fp_ok(g, line, len, input_line_offset(g->in))) {
		/* not the bytes the generation began with: changed under us */
		input_seek(g->in, g->read_pos, g->tail, g->tail_len);
		return 0;
	}
	if (memchr(line, '\0', len) != NULL) {
		g->np = line;
		g->ne = line + len;
		g->read_pos = input_line_offset(g->in);
		tail_gen_piece(g, l);
		return 1;
	}
	l->p = line;
	l->len = len;
	l->id = g->src.id;
	l->offset = input_line_offset(g->in);
	g->read_pos = input_offset(g->in);
	g->tail_len = input_tail(g->in, 0, g->tail, STORE_TAIL_MAX);
	g->lines++;
	return 1;
}

/*
 * The name cannot be opened (err: an errno; -1: not a regular file): said
 * now and again after each back-off (doubling from TAIL_RETRY_MIN to
 * TAIL_RETRY_MAX), never only once; the name is tried again at every
 * poll and after every rotation meanwhile.
 */
static void
tail_unreadable(struct tail *t, int err)
{
	double	 now = tail_mono();
	char	 why[256];

	if (t->open_errno == err && now < t->said_at + t->backoff)
		return;
	if (t->open_errno != err) {
		t->backoff = TAIL_RETRY_MIN;
		t->since = now;
	}
	else if ((t->backoff *= 2) > TAIL_RETRY_MAX)
		t->backoff = TAIL_RETRY_MAX;
	t->open_errno = err;
	t->said_at = now;
	if (err == ENOENT)
		snprintf(why, sizeof(why), "does not exist yet; waiting for it");
	else
		snprintf(why, sizeof(why), "%s; not read",
		    err == -1 ? "not a regular file" : strerror(err));
	log_warnx("%s: %s (tried again at every poll and rotation, said again "
	    "in %d s)", t->path, why, t->backoff);
}

/* Open the log by name; -1 when it cannot be (said after each back-off). */
int
tail_open_log(struct tail *t, struct stat *sb)
{
	int	 fd;

	if ((fd = open(t->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) == -1) {
		tail_unreadable(t, errno);
		return -1;
	}
	if (fstat(fd, sb) == -1 || !S_ISREG(sb->st_mode)) {
		tail_unreadable(t, -1);
		close(fd);
		return -1;
	}
	if (t->open_errno != 0 && t->open_errno != ENOENT)
		log_info("%s: readable again", t->path);
	t->open_errno = t->backoff = 0;
	return fd;
}

/* Mark gens that are done: rotated away, read and committed, quiet. */
static int
tail_reap(struct tail *t)
{
	struct gen	*g;
	struct stat	 sb;

	for (g = t->gens; g != NULL; g = g->next) {
		int	 done = 0;

		if (g->done || !(g->rotated || g->copy) || g->read_pos != g->committed)
			continue;
		if (g->parked) {
			/* quiet long enough: open it again to see it is read to its end */
			if (tail_mono() - g->last_growth < t->rotate_quiet)
				continue;
			if (tail_gen_unpark(t, g) == -1)
				return -1;
			if (g->done || g->parked)
				continue;
		}
		if (g->fd == -1)
			done = g->at_end;
		else if (fstat(g->fd, &sb) == 0 && (uint64_t)sb.st_size <= g->read_pos)
			done = g->copy || tail_mono() - g->last_growth >= t->rotate_quiet;
		if (!done)
			continue;
		g->done = 1;
		if (g->has_src) {
			snprintf(g->src.state, sizeof(g->src.state), "done");
			g->dirty = 1;
			if (tail_tx(t) == -1)
				return -1;
		}
	}
	return 0;
}

/* ---- rotation, truncation ---- */

/*
 * Is g's file shorter than what was read of it, yet still beginning with
 * the generation's fingerprint?  Fills *sb.
 */
static int
tail_lost_tail(struct gen *g, struct stat *sb)
{
	size_t	 n;

	if (fstat(g->fd, sb) == -1 || sb->st_size <= 0 ||
	    (uint64_t)sb->st_size >= g->read_pos || g->src.fp_len == 0)
		return 0;
	n = g->src.fp_len < (size_t)sb->st_size ? g->src.fp_len : (size_t)sb->st_size;
	return tail_gen_begins(g, g->src.fp, n);
}

/*
 * The live file shrank (copytruncate, truncation) or changed under us.
 * Finish the old generation from its rotated copy when there is one,
 * then read the live file from its start as a new generation.
 */
int
tail_truncated(struct tail *t, struct gen *g)
{
	char		 path[4096], *gzpath;
	struct input	*in;
	struct stat	 sb;
	int		 fd;

	t->n.truncations++;
	if (g->has_src && tail_lost_tail(g, &sb)) {
		/*
		 * Shorter, but it begins as before (truncate -s, a machine
		 * that crashed before the page cache reached the disk): what
		 * is left was read already.  Going on from its end; reading
		 * it again would count it twice.
		 */
		size_t	 k;

		log_warnx("%s: shrank from %llu to %lld bytes but begins as before: "
		    "going on from its new end (the lost tail was read before)",
		    t->path, (unsigned long long)g->read_pos, (long long)sb.st_size);
		if (tail_tx(t) == -1 || store_gap(t->st, g->src.id, (uint64_t)sb.st_size,
		    g->read_pos, "lost_tail") == -1)
			return -1;
		t->n.gaps++;
		g->read_pos = (uint64_t)sb.st_size;
		k = g->read_pos < STORE_TAIL_MAX ? (size_t)g->read_pos : STORE_TAIL_MAX;
		g->tail_len = pread(g->fd, g->tail, k, (off_t)(g->read_pos - k)) ==
		    (ssize_t)k ? k : 0;
		g->dirty = 1;
		tail_gen_seek(g);
		return 0;
	}
	if (g->has_src && (fd = tail_find_copy(t, &g->src, path, sizeof(path), &sb)) != -1) {
		struct gen	*c = tail_gen_new(t, fd, &sb);
		struct gen	**pp;

		log_info("%s: truncated (copytruncate); finishing it from %s", t->path, path);
		*c = *g;
		c->fd = fd;
		c->path = NULL;
		c->in = NULL;
		c->np = NULL;
		c->dev = sb.st_dev;
		c->ino = sb.st_ino;
		c->copy = 1;
		c->rotated = 1;
		c->next = NULL;
		snprintf(c->src.state, sizeof(c->src.state), "rotated");
		c->dirty = 1;
		/* insert the copy before g: older data first */
		for (pp = &t->gens; *pp != g; pp = &(*pp)->next)
			;
		c->next = g;
		*pp = c;
	} else if (g->has_src && (in = tail_find_gz(t, g->src.fp, g->src.fp_len,
	    g->read_pos, g->tail, g->tail_len, &gzpath)) != NULL) {
		struct gen	*c = tail_gen_new(t, -1, NULL);

		log_info("%s: truncated (copytruncate); finishing it from %s", t->path,
		    gzpath);
		*c = *g;
		c->fd = -1;
		c->path = NULL;
		c->np = NULL;
		c->next = NULL;
		c->in = in;
		c->gzpath = gzpath;
		c->copy = c->rotated = 1;
		snprintf(c->src.state, sizeof(c->src.state), "rotated");
		c->dirty = 1;
		tail_gen_unlink(t, g);
		tail_gen_append(t, c);
		tail_gen_append(t, g);
	} else if (g->has_src) {
		/*
		 * No copy in sight: the rotation may still be going on (a
		 * rename seen by neither directory scan, a copy being
		 * compressed).  The old generation waits, parked, for its
		 * copy to be found (tail_gen_unpark) before it is a gap.
		 */
		struct gen	*c = tail_gen_new(t, -1, NULL);

		*c = *g;
		c->fd = -1;
		c->in = NULL;
		c->path = NULL;
		c->np = NULL;
		c->next = NULL;
		c->dev = 0;
		c->ino = 0;
		c->parked = 1;
		c->parked_at_end = 0;
		c->copy = c->rotated = 1;
		c->lost_reason = "truncated_no_copy";
		snprintf(c->src.state, sizeof(c->src.state), "rotated");
		c->dirty = 1;
		tail_gen_unlink(t, g);
		tail_gen_append(t, c);
		tail_gen_append(t, g);
	}
	/*
	 * Generations made and copied away between two looks (two
	 * copytruncates while paused) come before the live file's new one.
	 * The live inode starts over as a new generation first: what it
	 * holds now is not identified yet, and no rotated file is taken as
	 * read for looking like it.
	 */
	g->has_src = 0;
	g->src_new = 0;
	g->read_pos = g->committed = 0;
	g->tail_len = g->ctail_len = 0;
	g->lines = g->clines = 0;
	g->dirty = 0;
	tail_gen_seek(g);
	if (tail_missed(t, (int64_t)t->live_seen, "between two looks", g->dev,
	    g->ino, NULL, 0) == -1) {
		log_warnx("%s: %s", t->path, store_errmsg(t->st));
		return -1;
	}
	return 0;
}

/* Does the file still hold, just before read_pos, what we read there? */
int
tail_marker_ok(struct gen *g)
{
	unsigned char	 m[STORE_TAIL_MAX];

	if (g->tail_len == 0 || g->read_pos < g->tail_len)
		return 1;
	return pread(g->fd, m, g->tail_len, (off_t)(g->read_pos - g->tail_len)) ==
	    (ssize_t)g->tail_len && memcmp(m, g->tail, g->tail_len) == 0;
}

/*
 * Does g's file still hold what was read of it?  Shorter than the read
 * position, or other bytes before it (full: look even if the size did
 * not change): a copytruncate or a truncation.
 */
static int
tail_changed(struct gen *g, int full)
{
	struct stat	 sb;
	size_t		 n;

	if (g->fd == -1 || fstat(g->fd, &sb) == -1)
		return 0;
	if ((uint64_t)sb.st_size < g->read_pos)
		return 1;
	if ((full || (uint64_t)sb.st_size != g->read_pos) && g->read_pos > 0 &&
	    !tail_marker_ok(g))
		return 1;
	/* the first bytes: all there is to tell a generation by, near its start */
	if (!g->has_src || g->read_pos >= STORE_FP_MAX)
		return 0;
	n = g->src.fp_len < (size_t)sb.st_size ? g->src.fp_len : (size_t)sb.st_size;
	return n > 0 && !tail_gen_begins(g, g->src.fp, n);
}

/*
 * Look at the live file, then at the name: truncation, rotation, a file
 * that appeared.  The live file is looked at first: it may have been
 * copytruncated and then renamed while we were not looking, and what it
 * holds now is not the rest of what was read of it.
 */
static int
tail_poll(struct source *s, int full)
{
	struct tail	*t = (struct tail *)s;
	struct gen	*live = tail_gen_live(t);
	struct stat	 sb;
	int		 fd, same = 0;

	if (live != NULL && tail_changed(live, full) && tail_truncated(t, live) == -1)
		return -1;
	if (stat(t->path, &sb) == 0) {
		if (live == NULL || sb.st_ino != live->ino || sb.st_dev != live->dev) {
			if ((fd = tail_open_log(t, &sb)) != -1) {
				if (live != NULL) {
					log_info("%s: rotated; draining the old file", t->path);
					live->rotated = 1;
					if (live->has_src) {
						snprintf(live->src.state, sizeof(live->src.state),
						    "rotated");
						live->dirty = 1;
					}
					t->n.rotations++;
				}
				/*
				 * The new live generation first: the look below
				 * sees through its descriptor that a copy of what
				 * it holds (renamed and compressed since it was
				 * opened) is its own.
				 */
				tail_gen_append(t, tail_gen_new(t, fd, &sb));
				/*
				 * A whole generation may have been born and
				 * rotated away since the name was last seen on
				 * the old file (SIGSTOP, two rotations at once).
				 */
				if (live != NULL && tail_missed(t, (int64_t)t->live_seen,
				    "between two looks", sb.st_dev, sb.st_ino,
				    NULL, 0) == -1) {
					log_warnx("%s: %s", t->path, store_errmsg(t->st));
					return -1;
				}
				tail_bound(t);
			}
		} else
			same = 1;
	} else if (live == NULL)
		tail_unreadable(t, errno);	/* missing: said after each back-off */
	/*
	 * Only now is the live file known to be the one read before: the
	 * moment the name was seen on it, not before.
	 */
	if (same)
		t->live_seen = tail_now();
	return 0;
}

/* ---- the source interface ---- */

static int
tail_next(struct source *s, struct source_line *l)
{
	struct tail	*t = (struct tail *)s;
	struct gen	*g;
	int		 r;

again:
	for (g = t->gens; g != NULL; g = g->next) {
		if ((r = tail_gen_next(t, g, l)) == TAIL_CHANGED) {
			log_info("%s: changed while it was read; what was read past the "
			    "change is dropped", t->path);
			if (tail_truncated(t, g) == -1)
				return -1;
			goto again;	/* the copy comes before the live file now */
		}
		if (r != 0)
			return r;
	}
	return tail_reap(t);
}

static int
tail_save(struct source *s)
{
	struct tail	*t = (struct tail *)s;
	struct gen	*g;

	for (g = t->gens; g != NULL; g = g->next) {
		if (!g->has_src || (g->read_pos == g->committed && !g->dirty))
			continue;
		tail_gen_save(g);
		if (store_source_save(t->st, &g->src) == -1)
			return -1;
	}
	return 0;
}

static void
tail_committed(struct source *s)
{
	struct tail	*t = (struct tail *)s;
	struct gen	*g, **pp;

	for (pp = &t->gens; (g = *pp) != NULL; ) {
		if (g->done) {
			log_debug("%s: finished a rotated generation (%llu lines)", t->path,
			    (unsigned long long)g->lines);
			*pp = g->next;
			tail_gen_free(g);
			continue;
		}
		g->committed = g->read_pos;
		memcpy(g->ctail, g->tail, g->tail_len);
		g->ctail_len = g->tail_len;
		g->clines = g->lines;
		g->src_new = 0;
		g->dirty = 0;
		pp = &g->next;
	}
}

static void
tail_rewind(struct source *s)
{
	struct tail	*t = (struct tail *)s;
	struct gen	*g;

	for (g = t->gens; g != NULL; g = g->next) {
		g->read_pos = g->committed;
		memcpy(g->tail, g->ctail, g->ctail_len);
		g->tail_len = g->ctail_len;
		g->lines = g->clines;
		g->np = NULL;
		if (g->done) {
			g->done = 0;
			snprintf(g->src.state, sizeof(g->src.state), "rotated");
		}
		if (g->src_new) {
			g->has_src = 0;
			g->src_new = 0;
		}
		if (g->fd != -1 || g->parked) {
			tail_gen_seek(g);
			continue;
		}
		/* a compressed stream goes back by reading again */
		input_close(g->in);
		g->at_end = 0;
		if ((g->in = input_open(g->gzpath)) == NULL ||
		    input_skip(g->in, g->committed, g->ctail, g->ctail_len) != 1) {
			log_warnx("%s: cannot read it again", g->gzpath);
			g->at_end = 1;
		}
	}
}

static void
tail_close(struct source *s)
{
	struct tail	*t = (struct tail *)s;
	struct gen	*g, *next;

	for (g = t->gens; g != NULL; g = next) {
		next = g->next;
		tail_gen_free(g);
	}
	free(t->path);
	free(t->format);
	free(t);
}

static const struct source_ops tail_ops = {
	.next = tail_next,
	.poll = tail_poll,
	.save = tail_save,
	.committed = tail_committed,
	.rewind = tail_rewind,
	.close = tail_close,
};

struct source *
tail_open(const struct tail_conf *tc, struct store *st)
{
	struct tail	*t = xcalloc(1, sizeof(*t));

	t->st = st;
	t->path = xstrdup(tc->path);
	t->format = xstrdup(tc->format != NULL ? tc->format : "auto");
	t->start_end = tc->start_end;
	t->rotate_quiet = tc->rotate_quiet;
	t->s.ops = &tail_ops;
	t->s.name = t->path;
	t->s.format = t->format;
	t->s.watch_path = t->path;
	t->s.watch_fd = -1;
	if (tail_reconcile(t) == -1) {
		tail_close(&t->s);
		return NULL;
	}
	return &t->s;
}

void
tail_set_format(struct source *s, const char *format)
{
	struct tail	*t = (struct tail *)s;

	free(t->format);
	t->format = xstrdup(format);
	t->s.format = t->format;
}

int
tail_status(struct source *s, struct tail_status *ts)
{
	struct tail	*t = (struct tail *)s;
	struct gen	*g;
	struct stat	 sb;
	int		 fd;

	memset(ts, 0, sizeof(*ts));
	if (s->ops != &tail_ops)
		return -1;
	if ((fd = open(t->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) == -1)
		snprintf(ts->why, sizeof(ts->why), "%s", strerror(errno));
	else {
		if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode))
			snprintf(ts->why, sizeof(ts->why), "not a regular file");
		else
			ts->up = 1;
		close(fd);
	}
	for (g = t->gens; g != NULL; g = g->next)
		if (g->fd != -1 && fstat(g->fd, &sb) == 0 &&
		    (uint64_t)sb.st_size > g->committed)
			ts->lag += (int64_t)((uint64_t)sb.st_size - g->committed);
	return 0;
}

const struct tail_counters *
tail_counters(struct source *s)
{
	return &((struct tail *)s)->n;
}

void
tail_log_state(struct source *s, int stalled)
{
	struct tail	*t = (struct tail *)s;
	struct gen	*g;

	if (t->open_errno != 0)
		log_warnx("%s: %s: %s for %.0f s", t->path,
		    t->open_errno == ENOENT ? "waiting" : "unreadable",
		    t->open_errno == -1 ? "not a regular file" : strerror(t->open_errno),
		    tail_mono() - t->since);
	for (g = t->gens; g != NULL; g = g->next)
		log_info("%s: %s generation at offset %llu (committed %llu)%s",
		    t->path, g->copy ? "copy of a" : g->rotated ? "rotated" : "live",
		    (unsigned long long)g->read_pos, (unsigned long long)g->committed,
		    stalled ? ", stalled" : "");
}
