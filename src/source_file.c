/*
 * source_file.c -- see source_file.h.  The position saved is the store
 * source's offset (a line start, uncompressed), the bytes before it as a
 * marker, and the first bytes of the file as its fingerprint.
 */
#include "config.h"

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "input.h"
#include "log.h"
#include "source.h"
#include "source_file.h"
#include "store.h"
#include "util.h"

struct source_file {
	struct source		 s;
	struct input		*in;
	struct store		*st;		/* NULL: no positions */
	struct store_source	 src;
	unsigned char		 head[STORE_FP_MAX];
	size_t			 headlen;
	uint64_t		 lines;
	uint64_t		 skipped;
	uint64_t		 partial;	/* length of an unterminated last line */
	int			 unterminated;
	int			 read_error;
};

static int
source_file_next(struct source *s, struct source_line *l)
{
	struct source_file	*sf = (struct source_file *)s;
	const char		*line;
	size_t			 len;
	int			 r;

	if (sf->unterminated || sf->read_error)
		return 0;
	if ((r = input_next(sf->in, &line, &len)) == -1) {
		log_warn("%s: read error after %llu lines", s->name,
		    (unsigned long long)sf->lines);
		sf->read_error = 1;
		return 0;
	}
	if (r == 0)
		return 0;
	if (!input_terminated(sf->in) && sf->st != NULL) {
		/* a partial last line: leave it for when it is complete */
		sf->unterminated = 1;
		sf->partial = len;
		return 0;
	}
	sf->lines++;
	l->p = line;
	l->len = len;
	l->id = sf->src.id;
	l->offset = input_line_offset(sf->in);
	return 1;
}

static int
source_file_save(struct source *s)
{
	struct source_file	*sf = (struct source_file *)s;
	size_t			 skip = sf->unterminated ? sf->partial : 0;

	if (sf->st == NULL)
		return 0;
	sf->src.offset = input_offset(sf->in) - skip;
	sf->src.tail_len = input_tail(sf->in, skip, sf->src.tail, STORE_TAIL_MAX);
	sf->src.lines = sf->lines;
	if (sf->headlen > sf->src.fp_len) {	/* the fingerprint grows to STORE_FP_MAX */
		memcpy(sf->src.fp, sf->head, sf->headlen);
		sf->src.fp_len = sf->headlen;
	}
	return store_source_save(sf->st, &sf->src);
}

static int
source_file_poll(struct source *s, int full)
{
	(void)s;
	(void)full;
	return 0;
}

static void
source_file_committed(struct source *s)
{
	(void)s;
}

/* A file is read once: after a rollback the caller stops (a rerun continues). */
static void
source_file_rewind(struct source *s)
{
	((struct source_file *)s)->read_error = 1;
}

static void
source_file_close(struct source *s)
{
	struct source_file	*sf = (struct source_file *)s;

	input_close(sf->in);
	free((char *)sf->s.name);
	free(sf);
}

static const struct source_ops source_file_ops = {
	.next = source_file_next,
	.poll = source_file_poll,
	.save = source_file_save,
	.committed = source_file_committed,
	.rewind = source_file_rewind,
	.close = source_file_close,
};

/* Where this file's lines go in the store. */
enum source_file_pos {
	SOURCE_FILE_READ,	/* a new generation, or more of a known one */
	SOURCE_FILE_SEEN,	/* nothing new: a shorter copy of one read */
	SOURCE_FILE_DIFFERS,	/* starts like one read before, but is not (logged) */
	SOURCE_FILE_DBERR,	/* the store failed: store_errmsg() */
};

static enum source_file_pos
source_file_position(struct source_file *sf, const char *path)
{
	struct stat	 sb;
	int		 found, r;

	if (fstat(STDIN_FILENO, &sb) == -1)
		memset(&sb, 0, sizeof(sb));
	if (strcmp(path, "-") != 0 && stat(path, &sb) == -1)
		memset(&sb, 0, sizeof(sb));
	if (store_begin(sf->st) == -1 ||
	    (found = store_source_match(sf->st, sf->head, sf->headlen, &sf->src)) == -1)
		return SOURCE_FILE_DBERR;
	if (!found)
		return store_source_new(sf->st, path, sf->head, sf->headlen,
		    (uint64_t)sb.st_dev, (uint64_t)sb.st_ino, &sf->src) == -1 ?
		    SOURCE_FILE_DBERR : SOURCE_FILE_READ;
	/* skip what was imported before; check the marker before the offset */
	r = input_skip(sf->in, sf->src.offset, sf->src.tail, sf->src.tail_len);
	sf->skipped = input_offset(sf->in) < sf->src.offset ?
	    input_offset(sf->in) : sf->src.offset;
	if (r == 0)
		return SOURCE_FILE_SEEN;
	if (r == -1) {
		log_warnx("%s: starts like a log imported before (source %lld) but "
		    "differs before offset %llu: not imported", path,
		    (long long)sf->src.id, (unsigned long long)sf->src.offset);
		return SOURCE_FILE_DIFFERS;
	}
	snprintf(sf->src.path, sizeof(sf->src.path), "%s", path);
	sf->lines = sf->src.lines;
	return SOURCE_FILE_READ;
}

struct source *
source_file_open(const char *path, struct store *st, int *status, uint64_t *skipped)
{
	struct source_file	*sf;
	struct input		*in;
	enum source_file_pos	 r;

	*status = 0;
	*skipped = 0;
	if ((in = input_open_at_rest(path)) == NULL) {
		log_warn("%s", path);
		*status = 1;
		return NULL;
	}
	sf = xcalloc(1, sizeof(*sf));
	sf->s.ops = &source_file_ops;
	sf->s.name = xstrdup(path);
	sf->s.format = NULL;
	sf->s.watch_fd = -1;
	sf->in = in;
	sf->st = st;
	if (st == NULL)
		return &sf->s;
	if ((sf->headlen = input_peek(in, sf->head, sizeof(sf->head))) == 0) {
		/* empty, or unreadable from its first bytes (a corrupt gzip) */
		if (input_failed(in)) {
			log_warnx("%s: read error before the first line", path);
			*status = 1;
		}
		source_file_close(&sf->s);
		return NULL;
	}
	if ((r = source_file_position(sf, path)) != SOURCE_FILE_READ) {
		*status = r == SOURCE_FILE_SEEN ? 0 : r == SOURCE_FILE_DIFFERS ? 1 : -1;
		*skipped = sf->skipped;
		if (r == SOURCE_FILE_DBERR)
			log_warnx("%s: %s", path, store_errmsg(st));
		store_rollback(st);
		source_file_close(&sf->s);
		return NULL;
	}
	return &sf->s;
}

void
source_file_info(struct source *s, struct source_file_info *i)
{
	struct source_file	*sf = (struct source_file *)s;

	i->skipped = sf->skipped;
	i->unterminated = sf->unterminated;
	i->read_error = sf->read_error;
	i->raw = input_raw_offset(sf->in);
	i->size = input_size(sf->in);
}
