/*
 * tail_copies.c -- the rotated copies of a followed log (NAME.1,
 * NAME.1.gz, dateext names): finding the one that finishes a generation,
 * generations rotated away unseen, and reconciling at start what the
 * store knows with the files on disk.  Part of tail (tail_int.h).
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

#define TAIL_CANDIDATES_MAX	256	/* rotated files looked at */

/* ---- rotated copies ---- */

/*
 * Candidates for the rotated copy of a generation: every regular file in
 * the log's directory whose name is the log's name followed by '.' or '-'
 * (mail.log.1, mail.log.2.gz, mail.log-20261123, mail.log-20261123.gz),
 * newest first, uncompressed first.  Identity is checked by content.
 */
struct candidate {
	char		 path[4096];
	time_t		 mtime;
	dev_t		 dev;
	ino_t		 ino;
	int		 gz;
};

static int
tail_cmp_candidate(const void *a, const void *b)
{
	const struct candidate	*x = a, *y = b;

	if (x->gz != y->gz)
		return x->gz - y->gz;		/* uncompressed first */
	return x->mtime < y->mtime ? 1 : x->mtime > y->mtime ? -1 : 0;
}

static int
tail_cmp_mtime(const void *a, const void *b)
{
	const struct candidate	*x = a, *y = b;

	return x->mtime < y->mtime ? -1 : x->mtime > y->mtime;
}

static int
tail_candidates(struct tail *t, struct candidate **out)
{
	char			 dir[4096], *slash;
	const char		*base;
	size_t			 blen;
	DIR			*dp;
	struct dirent		*de;
	struct candidate	*v = NULL;
	int			 n = 0;

	snprintf(dir, sizeof(dir), "%s", t->path);
	if ((slash = strrchr(dir, '/')) == NULL)
		return 0;
	*slash = '\0';
	base = slash + 1 - dir + t->path;
	blen = strlen(base);
	if ((dp = opendir(dir[0] != '\0' ? dir : "/")) == NULL)
		return 0;
	while ((de = readdir(dp)) != NULL && n < TAIL_CANDIDATES_MAX) {
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
		qsort(v, (size_t)n, sizeof(*v), tail_cmp_candidate);
	*out = v;
	return n;
}

/*
 * Find an uncompressed rotated sibling whose first bytes equal the
 * source's fingerprint; open it.  -1 when there is none.
 */
int
tail_find_copy(struct tail *t, const struct store_source *src, char *path,
    size_t plen, struct stat *sb)
{
	unsigned char		 head[STORE_FP_MAX];
	struct candidate	*c = NULL;
	int			 i, n, fd = -1;

	if (src->fp_len == 0)
		return -1;
	n = tail_candidates(t, &c);
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
 * A compressed copy of a generation, as a gen read from src's position
 * (checked against its marker).  NULL when it does not continue src.
 */
static struct gen *
tail_gen_gz(struct tail *t, const struct store_source *src, const char *path)
{
	struct input	*in;
	struct gen	*g;

	if ((in = input_open(path)) == NULL) {
		log_warn("%s", path);
		return NULL;
	}
	if (input_skip(in, src->offset, src->tail, src->tail_len) != 1) {
		log_warnx("%s: does not continue the generation read before; not used", path);
		input_close(in);
		return NULL;
	}
	g = tail_gen_new(t, -1, NULL);
	tail_gen_resume(g, src);
	g->in = in;
	g->gzpath = xstrdup(path);
	g->copy = g->rotated = 1;
	return g;
}


/* ---- generations missed ---- */

/* Is the file dev/ino one of t's open generations? */
static int
tail_is_open(struct tail *t, dev_t dev, ino_t ino)
{
	struct gen	*g;

	for (g = t->gens; g != NULL; g = g->next)
		if (g->fd != -1 && g->dev == dev && g->ino == ino)
			return 1;
	return 0;
}

/*
 * Does an open generation begin with head (a compressed copy of a
 * generation still draining through its open descriptor)?
 */
static int
tail_open_head(struct tail *t, const unsigned char *head, size_t hn)
{
	unsigned char	 h[STORE_FP_MAX];
	struct gen	*g;
	ssize_t		 n;

	for (g = t->gens; g != NULL; g = g->next) {
		if (g->fd == -1) {
			if (g->src.fp_len > 0 && memcmp(g->src.fp, head,
			    g->src.fp_len < hn ? g->src.fp_len : hn) == 0)
				return 1;
			continue;
		}
		/* a short file: its first line at least must be there */
		if ((n = pread(g->fd, h, hn, 0)) <= 0 || ((size_t)n < hn && n < 64))
			continue;
		if (memcmp(h, head, (size_t)n < hn ? (size_t)n : hn) == 0)
			return 1;
	}
	return 0;
}

/*
 * Generations that were created and rotated away entirely while we were
 * not looking (two rotations or more): rotated files unknown to the
 * database and modified after 'last'.  Read each from its start, oldest
 * first, before the live file.
 */
int
tail_missed(struct tail *t, int64_t last, const char *when)
{
	struct candidate	*c = NULL;
	int			 i, nc;

	nc = tail_candidates(t, &c);
	if (nc > 1)
		qsort(c, (size_t)nc, sizeof(*c), tail_cmp_mtime);
	for (i = 0; i < nc; i++) {
		unsigned char		 head[STORE_FP_MAX];
		struct store_source	 src;
		struct input		*in;
		struct gen		*g;
		size_t			 hn;
		int			 found, fd;
		struct stat		 sb;

		if ((int64_t)c[i].mtime < last || tail_is_open(t, c[i].dev, c[i].ino))
			continue;
		if ((in = input_open(c[i].path)) == NULL)
			continue;
		hn = input_peek(in, head, sizeof(head));
		if (hn == 0 || tail_open_head(t, head, hn)) {
			input_close(in);
			continue;
		}
		if ((found = store_source_match(t->st, head, hn, &src)) == -1) {
			input_close(in);
			free(c);
			return -1;
		}
		if (found) {
			input_close(in);
			continue;		/* known: reconciled already */
		}
		log_info("%s: a generation rotated away %s; reading it from its "
		    "start", c[i].path, when);
		if (tail_tx(t) == -1 ||
		    store_source_new(t->st, t->path, head, hn, 0, 0, &src) == -1) {
			input_close(in);
			free(c);
			return -1;
		}
		snprintf(src.state, sizeof(src.state), "rotated");
		if (c[i].gz) {
			g = tail_gen_new(t, -1, NULL);
			g->in = in;
			g->gzpath = xstrdup(c[i].path);
			g->copy = 1;
		} else {
			input_close(in);
			if ((fd = open(c[i].path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1)
				continue;
			if (fstat(fd, &sb) == -1) {
				close(fd);
				continue;
			}
			g = tail_gen_new(t, fd, &sb);
		}
		g->src = src;
		g->has_src = 1;
		g->src_new = 1;
		g->rotated = 1;		/* finished after rotate_quiet */
		g->dirty = 1;
		tail_gen_append(t, g);
	}
	free(c);
	return 0;
}

/* ---- start: reconciliation ---- */

/* Find where an unfinished source continues: a rotated copy, plain or gzip. */
static int
tail_reconcile_source(struct tail *t, struct store_source *src)
{
	char			 path[4096];
	struct stat		 sb;
	struct gen		*g;
	struct candidate	*c = NULL;
	int			 fd, k, nc;

	if ((fd = tail_find_copy(t, src, path, sizeof(path), &sb)) != -1) {
		if ((uint64_t)sb.st_size < src->offset) {
			close(fd);
			snprintf(src->state, sizeof(src->state), "done");
			return tail_tx(t) == -1 || store_source_save(t->st, src) == -1 ? -1 : 0;
		}
		g = tail_gen_new(t, fd, &sb);
		tail_gen_resume(g, src);
		/*
		 * Not a copy closed at its end: until its writer reopens the
		 * log (the HUP after a rename), lines still land in it; like
		 * a generation rotated while running, it is finished once it
		 * has been quiet for rotate_quiet.
		 */
		g->rotated = 1;
		if (!tail_marker_ok(g)) {
			log_warnx("%s: starts like the generation read before but differs "
			    "before offset %llu; not used", path, (unsigned long long)src->offset);
			tail_gen_free(g);
		} else {
			log_info("%s: finishing the generation rotated while stopped, "
			    "from offset %llu", path, (unsigned long long)src->offset);
			tail_gen_append(t, g);
			return 0;
		}
	}
	nc = tail_candidates(t, &c);
	for (k = 0; k < nc; k++) {
		unsigned char	 head[STORE_FP_MAX];
		struct input	*in;
		size_t		 n;

		if (!c[k].gz || (in = input_open(c[k].path)) == NULL)
			continue;
		n = input_peek(in, head, src->fp_len);
		input_close(in);
		if (n == src->fp_len && n > 0 && memcmp(head, src->fp, n) == 0 &&
		    (g = tail_gen_gz(t, src, c[k].path)) != NULL) {
			log_info("%s: finishing the generation rotated while stopped, "
			    "from offset %llu", c[k].path, (unsigned long long)src->offset);
			tail_gen_append(t, g);
			free(c);
			return 0;
		}
	}
	free(c);
	log_warnx("%s: the generation read before (source %lld, offset %llu) is gone; "
	    "lines written to it after that are lost (recorded as a gap)", t->path,
	    (long long)src->id, (unsigned long long)src->offset);
	snprintf(src->state, sizeof(src->state), "gone");
	if (tail_tx(t) == -1 || store_gap(t->st, src->id, src->offset, 0,
	    "generation_missing") == -1 || store_source_save(t->st, src) == -1)
		return -1;
	t->n.gaps++;
	return 0;
}

int
tail_reconcile(struct tail *t)
{
	struct store_source	*srcs = NULL, live_src;
	unsigned char		 head[STORE_FP_MAX];
	struct stat		 sb;
	struct gen		*g = NULL;
	int			 n, i, fd = -1, found = 0, known = 0;
	ssize_t			 hn = 0;

	if ((n = store_source_list(t->st, NULL, &srcs)) == -1)
		goto fail;
	fd = tail_open_log(t, &sb);
	if (fd != -1 && (hn = pread(fd, head, sizeof(head), 0)) > 0) {
		if ((found = store_source_match(t->st, head, (size_t)hn, &live_src)) == -1)
			goto fail;
	}
	/* unfinished generations of this log, oldest first */
	for (i = n - 1; i >= 0; i--) {
		if (strcmp(srcs[i].path, t->path) != 0)
			continue;
		known = 1;
		if (strcmp(srcs[i].state, "active") != 0 && strcmp(srcs[i].state, "rotated") != 0)
			continue;
		if (found && srcs[i].id == live_src.id)
			continue;
		if (tail_reconcile_source(t, &srcs[i]) == -1)
			goto fail;
	}
	if (known) {
		int64_t	 last = 0;

		for (i = 0; i < n; i++)
			if (strcmp(srcs[i].path, t->path) == 0 && srcs[i].last_commit > last)
				last = srcs[i].last_commit;
		if (tail_missed(t, last, "while stopped") == -1)
			goto fail;
	}
	free(srcs);
	srcs = NULL;
	t->live_seen = tail_now();
	if (fd == -1)
		return 0;			/* wait for the file */
	g = tail_gen_new(t, fd, &sb);
	tail_gen_append(t, g);
	if (found) {
		tail_gen_resume(g, &live_src);
		if ((uint64_t)sb.st_size < live_src.offset || !tail_marker_ok(g)) {
			log_warnx("%s: changed before offset %llu since the last run",
			    t->path, (unsigned long long)live_src.offset);
			return tail_truncated(t, g) == -1 ? -1 : 0;
		}
		if (strcmp(g->src.path, t->path) != 0 || strcmp(g->src.state, "active") != 0) {
			snprintf(g->src.path, sizeof(g->src.path), "%s", t->path);
			snprintf(g->src.state, sizeof(g->src.state), "active");
			g->dirty = 1;
		}
		log_info("%s: resuming at offset %llu", t->path, (unsigned long long)g->read_pos);
	} else if (!known && t->start_end && hn > 0) {
		/* first start, start = end: from the end of the last complete line */
		char	 ch;
		off_t	 end = sb.st_size;

		while (end > 0 && pread(fd, &ch, 1, end - 1) == 1 && ch != '\n')
			end--;
		if (tail_gen_source(t, g) == -1)
			return -1;
		g->read_pos = (uint64_t)end;
		g->tail_len = 0;
		g->dirty = 1;
		log_info("%s: first start; reading from the end (offset %lld)", t->path,
		    (long long)end);
	} else
		log_info("%s: %s; reading from the beginning", t->path,
		    known ? "a new generation" : "first start");
	return 0;
fail:
	log_warnx("%s: %s", t->path, store_errmsg(t->st));
	if (fd != -1)
		close(fd);
	free(srcs);
	return -1;
}
