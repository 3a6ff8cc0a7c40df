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

#define TAIL_CANDIDATES_MAX	4096	/* rotated files looked at, the newest */
#define TAIL_SCAN_PASSES	4	/* readdir passes until two agree */

/* ---- rotated copies ---- */

/*
 * Candidates for the rotated copy of a generation: every regular file in
 * the log's directory whose name is the log's name followed by '.' or '-'
 * (mail.log.1, mail.log.2.gz, mail.log-20261123, mail.log-20261123.gz),
 * newest first.  Identity is checked by content.
 *
 * "Newest" is the rotation order the names say when they all follow one
 * scheme -- NAME.N (1 is the newest) or dateext's NAME-YYYYMMDD... --
 * and the modification times only when they do not: no decision rests
 * on a clock that may have been set back.
 */
enum tail_scheme {
	TAIL_SCHEME_NUM,		/* .1, .2.gz */
	TAIL_SCHEME_DATE,		/* -20261123, .20261123, -2026112310 */
	TAIL_SCHEME_OTHER,
};

struct candidate {
	char			*path;
	time_t			 mtime;
	uint64_t		 mtime_ns;
	dev_t			 dev;
	ino_t			 ino;
	int			 gz;
	enum tail_scheme	 scheme;
	uint64_t		 num;		/* the number in the name */
	uint64_t		 rank;		/* larger: rotated later */
};

static void
tail_candidate_scheme(struct candidate *c, const char *suffix)
{
	size_t		 len = strlen(suffix), digits = 0, i;
	uint64_t	 v = 0;

	if (c->gz)
		len -= 3;
	for (i = 1; i < len; i++) {
		if (suffix[i] >= '0' && suffix[i] <= '9') {
			if (digits++ < 19)
				v = v * 10 + (uint64_t)(suffix[i] - '0');
		} else if (suffix[i] != '-' && suffix[i] != '_') {
			c->scheme = TAIL_SCHEME_OTHER;
			return;
		}
	}
	c->num = v;
	if (digits == 0)
		c->scheme = TAIL_SCHEME_OTHER;
	else if (suffix[0] == '.' && digits < 8 && digits == len - 1)
		c->scheme = TAIL_SCHEME_NUM;
	else
		c->scheme = TAIL_SCHEME_DATE;
}

static int
tail_cmp_candidate(const void *a, const void *b)
{
	const struct candidate	*x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank < y->rank ? 1 : -1;	/* newest first */
	if (x->gz != y->gz)
		return x->gz - y->gz;			/* uncompressed first */
	return strcmp(x->path, y->path);
}

static void
tail_candidates_free(struct candidate *v, int n)
{
	int	 i;

	for (i = 0; i < n; i++)
		free(v[i].path);
	free(v);
}

/* One pass over the log's directory: the candidates, ranked, unsorted. */
static int
tail_candidates_scan(struct tail *t, struct candidate **out)
{
	char			 dir[4096], *slash, *path;
	const char		*base;
	size_t			 blen;
	DIR			*dp;
	struct dirent		*de;
	struct candidate	*v = NULL;
	enum tail_scheme	 scheme = TAIL_SCHEME_OTHER;
	int			 i, n = 0, cap = 0;

	*out = NULL;
	snprintf(dir, sizeof(dir), "%s", t->path);
	if ((slash = strrchr(dir, '/')) == NULL)
		return 0;
	*slash = '\0';
	base = slash + 1 - dir + t->path;
	blen = strlen(base);
	if ((dp = opendir(dir[0] != '\0' ? dir : "/")) == NULL)
		return 0;
	while ((de = readdir(dp)) != NULL) {
		struct stat	 sb;
		size_t		 l = strlen(de->d_name);

		if (l <= blen + 1 || strncmp(de->d_name, base, blen) != 0 ||
		    (de->d_name[blen] != '.' && de->d_name[blen] != '-'))
			continue;
		if (asprintf(&path, "%s/%s", dir, de->d_name) == -1)
			break;
		if (lstat(path, &sb) == -1 || !S_ISREG(sb.st_mode)) {
			free(path);
			continue;
		}
		if (n == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			v = xrealloc(v, (size_t)cap * sizeof(*v));
		}
		memset(&v[n], 0, sizeof(v[n]));
		v[n].path = path;
		v[n].mtime = sb.st_mtime;
		v[n].mtime_ns = sb.st_mtim.tv_sec < 0 ? 0 : (uint64_t)sb.st_mtim.tv_sec *
		    1000000000 + (uint64_t)sb.st_mtim.tv_nsec;
		v[n].dev = sb.st_dev;
		v[n].ino = sb.st_ino;
		v[n].gz = l > 3 && strcmp(de->d_name + l - 3, ".gz") == 0;
		tail_candidate_scheme(&v[n], de->d_name + blen);
		scheme = n == 0 || scheme == v[n].scheme ? v[n].scheme : TAIL_SCHEME_OTHER;
		n++;
	}
	closedir(dp);
	for (i = 0; i < n; i++) {
		if (scheme == TAIL_SCHEME_NUM)
			v[i].rank = UINT64_MAX - v[i].num;
		else if (scheme == TAIL_SCHEME_DATE)
			v[i].rank = v[i].num;
		else
			v[i].rank = v[i].mtime_ns;
		v[i].scheme = scheme;
	}
	if (n > 1)
		qsort(v, (size_t)n, sizeof(*v), tail_cmp_candidate);
	*out = v;
	return n;
}

/* Do two passes see the same files under the same names? */
static int
tail_candidates_same(const struct candidate *a, int na, const struct candidate *b,
    int nb)
{
	int	 i;

	if (na != nb)
		return 0;
	for (i = 0; i < na; i++)
		if (a[i].dev != b[i].dev || a[i].ino != b[i].ino ||
		    strcmp(a[i].path, b[i].path) != 0)
			return 0;
	return 1;
}

/*
 * Every candidate, newest first; the count (v to free with the above).
 *
 * readdir(3) is no snapshot: a file renamed into the directory during a
 * pass may or may not be returned (on ext4 it is left out when its hash
 * falls before the pass's position), and a generation left out here would
 * be taken as never rotated.  So the directory is read until two passes
 * agree.  When rotations go on all the while (a storm), the last pass is
 * complete only up to the newest file the pass before it saw -- every
 * such file existed before this pass began -- and with dated names the
 * newer ones are left for the next look.
 */
static int
tail_candidates(struct tail *t, struct candidate **out)
{
	struct candidate	*v, *w;
	uint64_t		 seen = 0;
	int			 i, n, m, pass, same = 0;

	n = tail_candidates_scan(t, &v);
	for (pass = 0; pass < TAIL_SCAN_PASSES && !same; pass++) {
		m = tail_candidates_scan(t, &w);
		same = tail_candidates_same(v, n, w, m);
		seen = n > 0 ? v[0].rank : 0;
		tail_candidates_free(v, n);
		v = w;
		n = m;
	}
	if (!same && n > 0 && v[0].scheme == TAIL_SCHEME_DATE) {
		for (i = 0; i < n && v[i].rank > seen; i++)
			free(v[i].path);
		memmove(v, v + i, (size_t)(n - i) * sizeof(*v));
		n -= i;
	}
	/* keep the newest: never the first ones readdir happens to give */
	for (i = TAIL_CANDIDATES_MAX; i < n; i++)
		free(v[i].path);
	if (n > TAIL_CANDIDATES_MAX)
		n = TAIL_CANDIDATES_MAX;
	*out = v;
	return n;
}

static int
tail_open_rotated(const char *path)
{
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) == -1 &&
	    errno != ENOENT)
		log_warn("%s: cannot look into this rotated file", path);
	return fd;
}

/*
 * Find an uncompressed rotated sibling whose first bytes equal the
 * source's fingerprint -- the file that was the source's, by device and
 * inode, first -- and open it.  -1 when there is none.
 */
int
tail_find_copy(struct tail *t, const struct store_source *src, char *path,
    size_t plen, struct stat *sb)
{
	unsigned char		 head[STORE_FP_MAX];
	struct candidate	*c;
	int			 i, n, pass, fd = -1;

	if (src->fp_len == 0)
		return -1;
	n = tail_candidates(t, &c);
	for (pass = src->ino != 0 ? 0 : 1; pass < 2 && fd == -1; pass++)
		for (i = 0; i < n && fd == -1; i++) {
			if (c[i].gz || (pass == 0 && (c[i].dev != (dev_t)src->dev ||
			    c[i].ino != (ino_t)src->ino)))
				continue;
			if ((fd = tail_open_rotated(c[i].path)) == -1)
				continue;
			if (fstat(fd, sb) == 0 && S_ISREG(sb->st_mode) &&
			    pread(fd, head, src->fp_len, 0) == (ssize_t)src->fp_len &&
			    memcmp(head, src->fp, src->fp_len) == 0) {
				snprintf(path, plen, "%s", c[i].path);
				break;
			}
			close(fd);
			fd = -1;
		}
	tail_candidates_free(c, n);
	return fd;
}

/*
 * A rotated file by device and inode: at *path, where it was seen last,
 * or wherever it was renamed to since (*path is updated).
 */
int
tail_find_inode(struct tail *t, dev_t dev, ino_t ino, char **path, struct stat *sb)
{
	struct candidate	*c;
	int			 i, n, fd = -1;

	if (*path != NULL && (fd = open(*path, O_RDONLY | O_CLOEXEC | O_NOCTTY |
	    O_NONBLOCK)) != -1) {
		if (fstat(fd, sb) == 0 && sb->st_dev == dev && sb->st_ino == ino)
			return fd;
		close(fd);
		fd = -1;
	}
	n = tail_candidates(t, &c);
	for (i = 0; i < n && fd == -1; i++) {
		if (c[i].dev != dev || c[i].ino != ino ||
		    (fd = tail_open_rotated(c[i].path)) == -1)
			continue;
		if (fstat(fd, sb) == -1 || sb->st_dev != dev || sb->st_ino != ino) {
			close(fd);
			fd = -1;
			continue;
		}
		free(*path);
		*path = xstrdup(c[i].path);
	}
	tail_candidates_free(c, n);
	return fd;
}

/*
 * A compressed rotated sibling that continues a generation at offset:
 * its first bytes are the fingerprint, the bytes before offset the
 * marker.  The stream positioned there, or NULL.
 */
struct input *
tail_find_gz(struct tail *t, const unsigned char *fp, size_t fp_len, uint64_t offset,
    const unsigned char *marker, size_t marker_len, char **path)
{
	unsigned char		 head[STORE_FP_MAX];
	struct candidate	*c;
	struct input		*in = NULL;
	int			 k, n;

	n = tail_candidates(t, &c);
	for (k = 0; k < n && in == NULL; k++) {
		if (!c[k].gz || fp_len == 0 || (in = input_open(c[k].path)) == NULL)
			continue;
		if (input_peek(in, head, fp_len) != fp_len || memcmp(head, fp, fp_len) != 0) {
			input_close(in);
			in = NULL;
			continue;
		}
		if (input_skip(in, offset, marker, marker_len) != 1) {
			log_warnx("%s: does not continue the generation read before; "
			    "not used", c[k].path);
			input_close(in);
			in = NULL;
			continue;
		}
		*path = xstrdup(c[k].path);
	}
	tail_candidates_free(c, n);
	return in;
}

/* ---- generations missed ---- */

/*
 * Do two heads begin the same generation?  Equal, or equal where both
 * have bytes when that is a few lines at least (a short head, such as a
 * banner line every generation begins with, says too little).
 */
static int
tail_same_head(const unsigned char *a, size_t alen, const unsigned char *b,
    size_t blen)
{
	size_t	 n = alen < blen ? alen : blen;

	if (n == 0 || (alen != blen && n < 256))
		return 0;
	return memcmp(a, b, n) == 0;
}

/*
 * The generation of t reading the file dev/ino through its descriptor,
 * or NULL.  A parked one is not asked: its file was closed, and the
 * number may since be another file's (inodes are reused at once).
 */
static struct gen *
tail_is_open(struct tail *t, dev_t dev, ino_t ino)
{
	struct gen	*g;

	for (g = t->gens; g != NULL; g = g->next)
		if (g->fd != -1 && g->dev == dev && g->ino == ino)
			return g;
	return NULL;
}

/* Does head begin like fp (as far as both go)? */
static int
tail_head_is(const unsigned char *fp, size_t fp_len, const unsigned char *head,
    size_t hn)
{
	return fp_len > 0 && memcmp(fp, head, fp_len < hn ? fp_len : hn) == 0;
}

/*
 * The generation of t that begins with head: one identified by that
 * fingerprint (a compressed or parked copy, a file being read), or one
 * not identified yet whose file begins so.  A file that begins so but
 * is read under another fingerprint (a live file copytruncated and
 * written again since) holds a generation not identified yet: *ours is
 * set, the generation is not returned as known.
 */
static struct gen *
tail_open_head(struct tail *t, const unsigned char *head, size_t hn, int *ours)
{
	unsigned char	 h[STORE_FP_MAX];
	struct gen	*g;
	ssize_t		 n;
	size_t		 m;

	*ours = 0;
	for (g = t->gens; g != NULL; g = g->next) {
		/* a short file: its first line at least must be there */
		if (g->fd != -1 && (n = pread(g->fd, h, hn, 0)) > 0 &&
		    ((size_t)n == hn || n >= 64)) {
			if (memcmp(h, head, (size_t)n < hn ? (size_t)n : hn) != 0)
				continue;
			if (g->has_src && tail_head_is(g->src.fp, g->src.fp_len, h,
			    (size_t)n))
				return g;
			*ours = 1;
			continue;
		}
		/* by its fingerprint: a whole line or two at least */
		m = g->src.fp_len < hn ? g->src.fp_len : hn;
		if (g->has_src && (m >= 64 || g->src.fp_len == hn) &&
		    tail_head_is(g->src.fp, g->src.fp_len, head, hn))
			return g;
	}
	return NULL;
}

/*
 * Is the known generation src a floor of the look for missed ones:
 * finished (every generation rotated before it was found then), or the
 * first of the log (what is older was never ours)?  One still being read
 * is not: it may have been identified after older ones were rotated away
 * unseen (a look cut short, a newer copy found first).
 */
static int
tail_floor(struct tail *t, const struct store_source *src)
{
	return src->id <= t->first_id || strcmp(src->state, "done") == 0 ||
	    strcmp(src->state, "gone") == 0;
}

/* Is the candidate still the file the directory pass saw? */
static int
tail_candidate_same(const struct candidate *c)
{
	struct stat	 sb;

	return lstat(c->path, &sb) == 0 && sb.st_dev == c->dev && sb.st_ino == c->ino;
}

/* Was the file opened for c the one c was found as (its device and inode)? */
static int
tail_candidate_opened(const struct candidate *c, const struct input *in)
{
	struct stat	 sb;

	return input_stat(in, &sb) == 0 && sb.st_dev == c->dev && sb.st_ino == c->ino;
}

static void
tail_candidate_drop(struct input **in)
{
	input_close(*in);
	*in = NULL;
}

/*
 * One look for generations missed (see tail_missed).  TAIL_CHANGED when a
 * rotated file changed under the look (renamed since the directory was
 * read: the process was stopped in between, a busy machine): looked at
 * again.
 */
static int
tail_missed_look(struct tail *t, int64_t last, const char *when, dev_t live_dev,
    ino_t live_ino, const unsigned char *own, size_t own_len, int last_try)
{
	struct candidate	*c;
	struct store_source	 src;
	struct gen		*kg, *above = NULL, **before;
	struct input		**ins;
	unsigned char		(*heads)[STORE_FP_MAX];
	size_t			*hlen;
	int			*idx, i, j, k, nc, nm = 0, known = 0, floor = 0;
	int			 passed = 0, ours, rc = 0, found;
	uint64_t		 stop = 0;

	nc = tail_candidates(t, &c);
	heads = xcalloc((size_t)nc + 1, sizeof(*heads));
	hlen = xcalloc((size_t)nc + 1, sizeof(*hlen));
	idx = xcalloc((size_t)nc + 1, sizeof(*idx));
	before = xcalloc((size_t)nc + 1, sizeof(*before));
	ins = xcalloc((size_t)nc + 1, sizeof(*ins));
	for (i = 0; i < nc; i++) {
		struct input	*in;

		/* past the floor, only the files rotated as late (a tie) */
		if (floor && c[i].rank != stop)
			break;
		if (c[i].dev == live_dev && c[i].ino == live_ino)
			continue;	/* the live file, renamed since we looked */
		if (!last_try && !tail_candidate_same(&c[i])) {
			rc = TAIL_CHANGED;
			goto out;
		}
		kg = NULL;
		found = 0;
		if ((kg = tail_is_open(t, c[i].dev, c[i].ino)) != NULL) {
			if (!kg->has_src)
				continue;	/* read by its generation, not identified yet */
		} else {
			if ((in = input_open(c[i].path)) == NULL)
				continue;
			/*
			 * The file opened is the one looked at, or the name was
			 * given to another (logrotate shifting NAME.1.gz to
			 * NAME.2.gz under us): its head would be taken for the
			 * other's, and that one read twice.
			 */
			if (!tail_candidate_opened(&c[i], in)) {
				input_close(in);
				if (!last_try) {
					rc = TAIL_CHANGED;
					goto out;
				}
				continue;
			}
			hlen[nm] = input_peek(in, heads[nm], STORE_FP_MAX);
			if (!last_try && !tail_candidate_same(&c[i])) {
				input_close(in);
				rc = TAIL_CHANGED;	/* renamed while it was opened */
				goto out;
			}
			/* a compressed copy is read through this very input */
			ins[nm] = in;
			if (!c[i].gz) {
				input_close(in);
				ins[nm] = NULL;
			}
			/*
			 * Nothing yet, or gzip's magic read as text: a compressed
			 * copy being written (empty when it was opened); the next
			 * look reads it whole.
			 */
			if (hlen[nm] == 0 || (hlen[nm] >= 2 && heads[nm][0] == 0x1f &&
			    heads[nm][1] == 0x8b)) {
				tail_candidate_drop(&ins[nm]);
				continue;
			}
			/* a copy of what the live file held when it was identified */
			if (own != NULL && tail_same_head(own, own_len, heads[nm], hlen[nm])) {
				tail_candidate_drop(&ins[nm]);
				continue;
			}
			if ((kg = tail_open_head(t, heads[nm], hlen[nm], &ours)) == NULL) {
				if (ours) {
					tail_candidate_drop(&ins[nm]);
					continue;
				}
				if ((found = store_source_match(t->st, heads[nm], hlen[nm],
				    &src)) == -1) {
					tail_candidate_drop(&ins[nm]);
					rc = -1;
					goto out;
				}
				if (!found) {
					before[nm] = above;	/* read before that one */
					idx[nm++] = i;
					continue;
				}
			}
			tail_candidate_drop(&ins[nm]);
		}
		/* a known generation: older ones were found when it was, unless ... */
		known = 1;
		if (kg != NULL)
			above = kg;
		if (tail_floor(t, kg != NULL ? &kg->src : &src) ||
		    ++passed > TAIL_OPEN_MAX) {
			floor = 1;
			stop = c[i].rank;
		}
	}
	for (j = nm - 1; j >= 0; j--) {
		struct gen	*g;

		k = idx[j];
		if (!known && (int64_t)c[k].mtime < last)
			continue;		/* older than anything we read */
		log_info("%s: a generation rotated away %s; reading it from its "
		    "start", c[k].path, when);
		if (tail_tx(t) == -1 ||
		    store_source_new(t->st, t->path, heads[j], hlen[j], (uint64_t)c[k].dev,
		    (uint64_t)c[k].ino, &src) == -1) {
			rc = -1;
			goto out;
		}
		snprintf(src.state, sizeof(src.state), "rotated");
		log_debug("%s: source %lld for inode %llu (missed)", c[k].path,
		    (long long)src.id, (unsigned long long)c[k].ino);
		g = tail_gen_new(t, -1, NULL);
		if (c[k].gz) {
			/* the file whose head was read, not what the name holds now */
			g->in = ins[j];
			ins[j] = NULL;
			g->gzpath = xstrdup(c[k].path);
			g->copy = 1;
		} else {
			/* opened when its turn comes: descriptors stay bounded */
			g->dev = c[k].dev;
			g->ino = c[k].ino;
			g->path = xstrdup(c[k].path);
			g->parked = 1;
		}
		g->src = src;
		g->has_src = 1;
		g->src_new = 1;
		g->rotated = 1;		/* finished after rotate_quiet */
		g->dirty = 1;
		tail_gen_add_before(t, g, before[j]);
	}
out:
	for (j = 0; j < nc; j++)
		tail_candidate_drop(&ins[j]);
	free(ins);
	free(before);
	free(heads);
	free(hlen);
	free(idx);
	tail_candidates_free(c, nc);
	return rc;
}

/*
 * Generations that were created and rotated away entirely while we were
 * not looking (two rotations or more while stopped or paused): the
 * rotated files that no generation known begins like, rotated after the
 * newest finished one (or the log's first).  Walked newest first down to
 * that floor, past the known generations still being read: one of those
 * may have been identified although older ones were missed (a look cut
 * short by a stop between reading the directory and opening its files;
 * soak seed 303299085 lost two whole generations so).  Read oldest first,
 * before the live file (live_dev/live_ino, left out: it may have been
 * renamed since the name was looked at).  Only when no rotated file is
 * known at all does 'last' (a time) separate old files from missed ones.
 */
int
tail_missed(struct tail *t, int64_t last, const char *when, dev_t live_dev,
    ino_t live_ino, const unsigned char *own, size_t own_len)
{
	int	 try, r;

	for (try = 0; try < TAIL_SCAN_PASSES; try++)
		if ((r = tail_missed_look(t, last, when, live_dev, live_ino, own,
		    own_len, try == TAIL_SCAN_PASSES - 1)) != TAIL_CHANGED)
			return r;
	return 0;
}

/* ---- start: reconciliation ---- */

/* Find where an unfinished source continues: a rotated copy, plain or gzip. */
static int
tail_reconcile_source(struct tail *t, struct store_source *src)
{
	char			 path[4096], *gzpath;
	struct stat		 sb;
	struct gen		*g;
	struct input		*in;
	int			 fd;

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
	if ((in = tail_find_gz(t, src->fp, src->fp_len, src->offset, src->tail,
	    src->tail_len, &gzpath)) != NULL) {
		log_info("%s: finishing the generation rotated while stopped, "
		    "from offset %llu", gzpath, (unsigned long long)src->offset);
		g = tail_gen_new(t, -1, NULL);
		tail_gen_resume(g, src);
		g->in = in;
		g->gzpath = gzpath;
		g->copy = g->rotated = 1;
		tail_gen_append(t, g);
		return 0;
	}
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

/*
 * Did the generation src leave the name for a rotated file, although
 * the live file begins with the same bytes (a fixed banner, all the
 * last commit saw of it)?  Yes when its device and inode are now a
 * rotated file's (rename), or when its fingerprint is shorter than what
 * the live file has and the newest rotated file continues it at its
 * offset, with no other generation claiming that file (copytruncate).
 */
static int
tail_moved(struct tail *t, const struct store_source *src, const struct stat *live,
    size_t have)
{
	unsigned char		 head[STORE_FP_MAX];
	struct store_source	 other;
	struct candidate	*c;
	struct input		*in;
	int			 i, n, moved = 0;
	size_t			 hn;

	n = tail_candidates(t, &c);
	if (src->ino != 0 && ((dev_t)src->dev != live->st_dev ||
	    (ino_t)src->ino != live->st_ino))
		for (i = 0; i < n && !moved; i++)
			moved = c[i].dev == (dev_t)src->dev && c[i].ino == (ino_t)src->ino;
	for (i = 0; i < n && !moved && src->fp_len < have; i++) {
		if (c[i].dev == live->st_dev && c[i].ino == live->st_ino)
			continue;
		if ((in = input_open(c[i].path)) == NULL)
			break;
		hn = input_peek(in, head, sizeof(head));
		moved = store_source_match(t->st, head, hn, &other) == 1 &&
		    other.id == src->id &&
		    input_skip(in, src->offset, src->tail, src->tail_len) == 1;
		input_close(in);
		break;			/* the newest rotated file only */
	}
	tail_candidates_free(c, n);
	if (moved)
		log_info("%s: begins like the generation read before, which was "
		    "rotated: a new generation", t->path);
	return moved;
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
		if (found && tail_moved(t, &live_src, &sb, (size_t)hn))
			found = 0;
	}
	/* unfinished generations of this log, oldest first */
	for (i = n - 1; i >= 0; i--) {
		if (strcmp(srcs[i].path, t->path) != 0)
			continue;
		known = 1;
		if (t->first_id == 0 || srcs[i].id < t->first_id)
			t->first_id = srcs[i].id;
		if (strcmp(srcs[i].state, "active") != 0 && strcmp(srcs[i].state, "rotated") != 0)
			continue;
		if (found && srcs[i].id == live_src.id)
			continue;
		if (tail_reconcile_source(t, &srcs[i]) == -1)
			goto fail;
	}
	t->known = known;
	if (known) {
		int64_t	 last = 0;

		for (i = 0; i < n; i++)
			if (strcmp(srcs[i].path, t->path) == 0 && srcs[i].last_commit > last)
				last = srcs[i].last_commit;
		/*
		 * A copy of what the new live file holds (killed between
		 * copytruncate's copy and its truncation) is the live
		 * generation's: it is identified at once, below, so that the
		 * truncation finishes it from that copy.
		 */
		if (tail_missed(t, last, "while stopped", fd != -1 ? sb.st_dev : 0,
		    fd != -1 ? sb.st_ino : 0, !found && hn > 0 ? head : NULL,
		    hn > 0 ? (size_t)hn : 0) == -1)
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
	} else {
		log_info("%s: %s; reading from the beginning", t->path,
		    known ? "a new generation" : "first start");
		if (known && hn > 0 && tail_gen_source(t, g) == -1)
			return -1;
	}
	return 0;
fail:
	log_warnx("%s: %s", t->path, store_errmsg(t->st));
	if (fd != -1)
		close(fd);
	free(srcs);
	return -1;
}
