/*
 * tail_park.c -- a bounded number of descriptors: at most a fixed number of
 * rotated generations per log keep theirs open; the others are parked and
 * reopened in turn (by inode, fingerprint or compressed copy) so that a
 * storm of rotations never runs the process out of descriptors.  Part of
 * tail (tail_int.h).
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "input.h"
#include "log.h"
#include "source.h"
#include "store.h"
#include "tail.h"
#include "tail_int.h"
#include "util.h"

static int
tail_open_count(struct tail *t)
{
	struct gen	*g;
	int		 n = 0;

	for (g = t->gens; g != NULL; g = g->next)
		if (g->fd != -1 && (g->rotated || g->copy))
			n++;
	return n;
}

/* Close a rotated generation's descriptor; it is found again by inode. */
static void
tail_gen_park(struct tail *t, struct gen *g)
{
	if (!t->warned_bound) {
		t->warned_bound = 1;
		log_warnx("%s: more than %d rotated generations still open (rotated "
		    "faster than rotate_quiet): reading them in turn, none is lost",
		    t->path, TAIL_OPEN_MAX);
	}
	struct stat	 sb;

	/* read to its end: looked at again once quiet; else when its turn comes */
	g->parked_at_end = g->has_src && g->read_pos > 0 && fstat(g->fd, &sb) == 0 &&
	    (uint64_t)sb.st_size <= g->read_pos;
	input_close(g->in);
	g->in = NULL;
	g->np = NULL;
	close(g->fd);
	g->fd = -1;
	g->parked = 1;
}

/*
 * Make room for one more descriptor: park the generation read to its
 * end that grew least recently, else the newest one (read last).
 */
static void
tail_make_room(struct tail *t, struct gen *keep, int room)
{
	struct gen	*g, *victim;
	struct stat	 sb;

	while (tail_open_count(t) > TAIL_OPEN_MAX - room) {
		victim = NULL;
		for (g = t->gens; g != NULL; g = g->next) {
			if (g == keep || g->fd == -1 || !(g->rotated || g->copy) || g->np != NULL)
				continue;
			if (g->has_src && g->read_pos > 0 && fstat(g->fd, &sb) == 0 &&
			    (uint64_t)sb.st_size <= g->read_pos &&
			    (victim == NULL || g->last_growth < victim->last_growth))
				victim = g;
		}
		for (g = t->gens; victim == NULL && g != NULL; g = g->next)
			if (g != keep && g->fd != -1 && (g->rotated || g->copy) && g->np == NULL)
				victim = g;		/* the last such: the newest */
		if (victim == NULL)
			return;
		tail_gen_park(t, victim);
	}
}

void
tail_bound(struct tail *t)
{
	tail_make_room(t, NULL, 0);
}

/*
 * Does g's file (just opened by its inode) still hold g's generation: its
 * first bytes, and the bytes before the read position?
 */
static int
tail_gen_is_own(struct gen *g)
{
	unsigned char	 head[STORE_FP_MAX];
	size_t		 n = g->src.fp_len;

	if (!g->has_src)
		return 1;
	return (n == 0 || (pread(g->fd, head, n, 0) == (ssize_t)n &&
	    memcmp(head, g->src.fp, n) == 0)) && tail_marker_ok(g);
}

/*
 * Open a parked generation again, wherever it was renamed to since (its
 * inode), or from its compressed copy.  1: open; 0: not now; -1: a
 * database error.  A file gone altogether is a gap.
 */
int
tail_gen_unpark(struct tail *t, struct gen *g)
{
	char		 path[4096];
	struct stat	 sb;
	int		 fd;

	tail_make_room(t, g, 1);
	if (g->ino != 0 && (fd = tail_find_inode(t, g->dev, g->ino, &g->path, &sb)) != -1) {
		g->fd = fd;
		if (tail_gen_is_own(g)) {
			g->parked = g->parked_at_end = 0;
			return 1;
		}
		/* the number is another file's now (inodes are reused at once) */
		close(fd);
		g->fd = -1;
		g->ino = 0;
	}
	if (g->has_src && (fd = tail_find_copy(t, &g->src, path, sizeof(path), &sb)) != -1) {
		g->fd = fd;
		if ((uint64_t)sb.st_size >= g->read_pos && tail_marker_ok(g)) {
			log_info("%s: finishing a generation from %s", t->path, path);
			g->dev = sb.st_dev;
			g->ino = sb.st_ino;
			g->parked = g->parked_at_end = 0;
			return 1;
		}
		close(fd);
		g->fd = -1;
	}
	if (g->has_src && (g->in = tail_find_gz(t, g->src.fp, g->src.fp_len,
	    g->read_pos, g->tail, g->tail_len, &g->gzpath)) != NULL) {
		log_info("%s: finishing a generation from %s", t->path, g->gzpath);
		g->parked = g->parked_at_end = 0;
		g->copy = 1;
		return 1;
	}
	/* a rotation going on: a rename, a compression; look again for a while */
	if (g->lost_since == 0)
		g->lost_since = tail_mono();
	if (tail_mono() - g->lost_since < TAIL_LOOK_AGAIN)
		return 0;
	log_warnx("%s: a generation (source %lld) is gone before it was read to its "
	    "end: lines after offset %llu are lost (recorded as a gap)",
	    t->path, (long long)g->src.id, (unsigned long long)g->read_pos);
	g->parked = g->parked_at_end = 0;
	g->done = 1;
	if (!g->has_src)
		return 0;
	snprintf(g->src.state, sizeof(g->src.state), "gone");
	g->dirty = 1;
	if (tail_tx(t) == -1 || store_gap(t->st, g->src.id, g->read_pos, 0,
	    g->lost_reason != NULL ? g->lost_reason : "generation_missing") == -1)
		return -1;
	t->n.gaps++;
	return 0;
}

