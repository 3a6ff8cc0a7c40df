/*
 * input.c -- see input.h.  Plain files are read with read(2) straight into
 * the line buffer; gzip files (and pipes, whose first bytes cannot be
 * looked at in advance) through input_gz.c, which reads plain data on a pipe
 * transparently, so one code path serves mail.log and mail.log.2.gz alike.
 * The inflating runs a few buffers ahead of the lines handed out, in
 * another thread than the reader's where one is at hand, so that
 * decompressing overlaps splitting and parsing.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "input.h"
#include "input_gz.h"
#include "parse.h"
#include "util.h"

#define INPUT_CHUNK	(1024 * 1024)
#define INPUT_BUF	(INPUT_CHUNK + PARSE_LINE_MAX + 2)
#define INPUT_TAIL	64

/*
 * A gzip file's ring: INPUT_AHEAD buffers of INPUT_HEAD + INPUT_CHUNK
 * bytes, filled in turn by input_gz_read (at INPUT_HEAD) and taken in turn
 * as the line buffer itself, not copied: the reader holds one of them and
 * moves a line cut at a buffer's end (at most PARSE_LINE_MAX bytes) into
 * the head room of the next.  The lines are those of a copy into one
 * buffer of INPUT_BUF bytes: each fill adds INPUT_CHUNK bytes to the cut
 * line.  One thread at a time inflates into the next buffer (busy): a
 * thread of its own, and the reader when it finds nothing ahead.  For a
 * file at rest, once a thread lends its time through input_ahead (the
 * import's store, when its queue runs short), the own thread retires:
 * on two cores two threads, not three, share the work.  Where a read may be split (ISA-L), a turn inflates only
 * INPUT_PIECE bytes (about 0.25 ms), so neither thread waits long for the
 * other's; a buffer is handed out whole, and an error loses it whole, as
 * one read of INPUT_CHUNK bytes does.
 */
#define INPUT_AHEAD	4
#define INPUT_PIECE	(256 * 1024)
#define INPUT_HEAD	PARSE_LINE_MAX

struct input_ring {
	pthread_t	 t;
	int		 thread;	/* t inflates ahead */
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	char		*buf[INPUT_AHEAD];
	int		 n[INPUT_AHEAD];	/* bytes; 0: end; -1: error */
	unsigned	 head, count;	/* the first filled buffer; filled */
	int		 held;		/* the reader's line buffer is buf[head] */
	int		 busy;		/* a thread inflates into the next one */
	size_t		 piece;		/* bytes a turn inflates */
	size_t		 got;		/* bytes in the next one so far */
	int		 done;		/* the end or an error is in the ring */
	int		 lent;		/* input_ahead was called: t retires */
	int		 quit;
};

/* The line buffer before the first chunk: empty, never written. */
static char	 input_nothing[1];

/* The file at rest input_ahead inflates for (an import reads one at a time). */
static pthread_mutex_t	 input_lent_mu = PTHREAD_MUTEX_INITIALIZER;
static struct input	*input_lent;

struct input {
	struct input_gz	*gz;		/* NULL: plain, read(2) */
	struct input_ring *ring;	/* NULL: inflating in input_fill */
	int		 fd;
	char		*buf;		/* the ring's, or INPUT_BUF bytes */
	size_t		 base;		/* where the bytes in buf start */
	size_t		 start;		/* first unreturned byte */
	size_t		 end;		/* end of valid data */
	int		 eof;
	int		 failed;	/* a read or inflate error was met */
	int		 skipping;	/* inside an over-long line */
	int		 terminated;	/* last line ended with '\n' */
	unsigned char	 prev[INPUT_TAIL];	/* consumed bytes dropped by the last fill */
	size_t		 prevn;
	uint64_t	 offset;	/* uncompressed offset of buf[start] */
	int		 follow;	/* a growing file: pread, keep partial lines */
	uint64_t	 rdpos;		/* follow: file offset of buf[end] */
	uint64_t	 lineoff;	/* where the line returned last starts */
};

/* With the ring's lock held: may a thread inflate the next buffer now? */
static int
input_ring_room(const struct input_ring *r)
{
	return r->count < INPUT_AHEAD && !r->busy && !r->done;
}

/*
 * A turn at the next buffer (input_ring_room said yes), the ring's lock
 * held on entry and on return, released while inflating.
 */
static void
input_ring_inflate(struct input *in)
{
	struct input_ring	*r = in->ring;
	unsigned		 i = (r->head + r->count) % INPUT_AHEAD;
	size_t			 want = INPUT_CHUNK - r->got;
	int			 n;

	if (want > r->piece)
		want = r->piece;
	r->busy = 1;
	pthread_mutex_unlock(&r->mu);
	n = input_gz_read(in->gz, r->buf[i] + INPUT_HEAD + r->got, want);
	pthread_mutex_lock(&r->mu);
	r->busy = 0;
	pthread_cond_broadcast(&r->cv);
	if (n >= 0 && (size_t)n == want && r->got + want < INPUT_CHUNK) {
		r->got += want;		/* more turns to fill it */
		return;
	}
	r->n[i] = n < 0 ? -1 : (int)(r->got + (size_t)n);
	r->got = 0;
	r->count++;
	r->done = r->n[i] <= 0;	/* after the end or an error, nothing more */
}

static void *
input_ring_main(void *arg)
{
	struct input		*in = arg;
	struct input_ring	*r = in->ring;

	pthread_mutex_lock(&r->mu);
	while (!r->quit && !r->done && !r->lent) {
		if (input_ring_room(r))
			input_ring_inflate(in);
		else
			pthread_cond_wait(&r->cv, &r->mu);
	}
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

/*
 * Inflate ahead through a ring (in a thread of its own unless at_rest);
 * without one, input_fill inflates into a buffer of its own.
 */
static void
input_ring_start(struct input *in, int at_rest)
{
	struct input_ring	*r = xcalloc(1, sizeof(*r));
	unsigned		 i;

	for (i = 0; i < INPUT_AHEAD; i++)
		r->buf[i] = xmalloc(INPUT_HEAD + INPUT_CHUNK);
	r->piece = input_gz_splits(in->gz) ? INPUT_PIECE : INPUT_CHUNK;
	in->ring = r;
	in->buf = input_nothing;
	if (pthread_mutex_init(&r->mu, NULL) == 0) {
		if (pthread_cond_init(&r->cv, NULL) == 0) {
			r->thread = pthread_create(&r->t, NULL,
			    input_ring_main, in) == 0;
			if (at_rest) {
				pthread_mutex_lock(&input_lent_mu);
				input_lent = in;
				pthread_mutex_unlock(&input_lent_mu);
			}
			if (r->thread || at_rest)
				return;
			pthread_cond_destroy(&r->cv);
		}
		pthread_mutex_destroy(&r->mu);
	}
	for (i = 0; i < INPUT_AHEAD; i++)
		free(r->buf[i]);
	free(r);
	in->ring = NULL;
	in->buf = xmalloc(INPUT_BUF);
}

static void
input_ring_stop(struct input *in)
{
	struct input_ring	*r = in->ring;
	unsigned		 i;

	if (r == NULL)
		return;
	pthread_mutex_lock(&input_lent_mu);	/* input_ahead is done with it */
	if (input_lent == in)
		input_lent = NULL;
	pthread_mutex_unlock(&input_lent_mu);
	if (r->thread) {
		pthread_mutex_lock(&r->mu);
		r->quit = 1;
		pthread_cond_broadcast(&r->cv);
		pthread_mutex_unlock(&r->mu);
		pthread_join(r->t, NULL);
	}
	pthread_cond_destroy(&r->cv);
	pthread_mutex_destroy(&r->mu);
	for (i = 0; i < INPUT_AHEAD; i++)
		free(r->buf[i]);
	free(r);
	in->ring = NULL;
	in->buf = NULL;
}

int
input_ahead(void)
{
	struct input_ring	*r;
	int			 did = 0;

	pthread_mutex_lock(&input_lent_mu);
	if (input_lent != NULL) {
		r = input_lent->ring;
		pthread_mutex_lock(&r->mu);
		if (!r->lent) {		/* from now on, the lender's turn */
			r->lent = 1;
			pthread_cond_broadcast(&r->cv);
		}
		/*
		 * The reader at a turn (it ran short): wait for the turn's
		 * end, a piece, rather than give up till the next chunk.
		 * Giving up left the store idle while the reader inflated
		 * three pieces in four (1M lines, .gz: 433-501 of 576); now
		 * the store takes 200-390 of them and the import's wall time
		 * fell 0.42 -> 0.39 s (9 interleaved runs each).
		 */
		while (r->busy && !r->done)
			pthread_cond_wait(&r->cv, &r->mu);
		if ((did = input_ring_room(r)))
			input_ring_inflate(input_lent);
		pthread_mutex_unlock(&r->mu);
	}
	pthread_mutex_unlock(&input_lent_mu);
	return did;
}

/*
 * The ring's next buffer becomes the line buffer, with the unreturned
 * bytes (a cut line) moved before it; the one held so far goes back to
 * the ring.  Inflate it here if no thread is at it.  Bytes added, 0 at
 * the end, -1 on an error.
 */
static int
input_ring_take(struct input *in)
{
	struct input_ring	*r = in->ring;
	size_t			 cut = in->end - in->start;
	unsigned		 next;
	int			 n;

	pthread_mutex_lock(&r->mu);
	while (r->count < (r->held ? 2U : 1U)) {
		if (input_ring_room(r))
			input_ring_inflate(in);
		else
			pthread_cond_wait(&r->cv, &r->mu);
	}
	pthread_mutex_unlock(&r->mu);
	next = r->held ? (r->head + 1) % INPUT_AHEAD : r->head;
	if ((n = r->n[next]) <= 0)
		return n;		/* stays: the end or the error is final */
	/* input_next fills with at most PARSE_LINE_MAX bytes left, input_peek
	 * with fewer than STORE_FP_MAX: the head room holds them */
	memcpy(r->buf[next] + INPUT_HEAD - cut, in->buf + in->start, cut);
	in->buf = r->buf[next];
	in->base = in->start = INPUT_HEAD - cut;
	in->end = INPUT_HEAD + (size_t)n;
	if (r->held) {
		pthread_mutex_lock(&r->mu);
		r->head = next;
		r->count--;
		pthread_cond_broadcast(&r->cv);
		pthread_mutex_unlock(&r->mu);
	}
	r->held = 1;
	return n;
}

static struct input *
input_open_how(const char *path, int at_rest)
{
	struct input	*in;
	int		 fd;

	if (strcmp(path, "-") == 0) {
		if ((fd = dup(STDIN_FILENO)) == -1)
			return NULL;
	} else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	{
		struct stat	 sb;

		/* a pipe on standard input is fine; a directory never is */
		if (fstat(fd, &sb) == -1 || S_ISDIR(sb.st_mode)) {
			close(fd);
			errno = EISDIR;
			return NULL;
		}
	}
	in = xcalloc(1, sizeof(*in));
	in->fd = fd;
	{
		struct stat	 sb;
		unsigned char	 magic[2];

		/* a regular file that is not gzip: no inflater in the way */
		if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
		    (pread(fd, magic, 2, 0) != 2 || magic[0] != 0x1f || magic[1] != 0x8b)) {
			in->buf = xmalloc(INPUT_BUF);
			return in;
		}
	}
	if ((in->gz = input_gz_open(fd, at_rest)) == NULL) {
		close(fd);
		free(in);
		errno = ENOMEM;
		return NULL;
	}
	input_ring_start(in, at_rest);
	return in;
}

struct input *
input_open(const char *path)
{
	return input_open_how(path, 0);
}

struct input *
input_open_at_rest(const char *path)
{
	return input_open_how(path, 1);
}

struct input *
input_follow(int fd, uint64_t offset, const unsigned char *tail, size_t tail_len)
{
	struct input	*in = xcalloc(1, sizeof(*in));

	in->fd = fd;
	in->follow = 1;
	in->buf = xmalloc(INPUT_BUF);
	input_seek(in, offset, tail, tail_len);
	return in;
}

void
input_seek(struct input *in, uint64_t offset, const unsigned char *tail,
    size_t tail_len)
{
	if (tail_len > INPUT_TAIL)
		tail_len = INPUT_TAIL;
	in->base = in->start = in->end = 0;
	in->eof = in->skipping = 0;
	in->offset = in->rdpos = offset;
	memcpy(in->prev, tail, tail_len);
	in->prevn = tail_len;
}

int
input_skip(struct input *in, uint64_t offset, const unsigned char *tail,
    size_t tail_len)
{
	unsigned char	 t[INPUT_TAIL];
	const char	*line;
	size_t		 len;

	while (in->offset < offset && input_next(in, &line, &len) == 1)
		;
	if (in->offset < offset)
		return 0;
	if (in->offset != offset || input_tail(in, 0, t, tail_len) != tail_len ||
	    memcmp(t, tail, tail_len) != 0)
		return -1;
	return 1;
}

void
input_close(struct input *in)
{
	if (in == NULL)
		return;
	if (in->ring == NULL)
		free(in->buf);
	input_ring_stop(in);
	if (in->gz != NULL)
		input_gz_close(in->gz);
	else if (!in->follow)
		close(in->fd);
	free(in);
}

static int
input_fill(struct input *in)
{
	size_t	 used = in->start - in->base;
	int	 n;

	if (used > 0) {
		/* keep the last consumed bytes for input_tail() */
		size_t	 k = used < INPUT_TAIL ? used : INPUT_TAIL;

		if (k < INPUT_TAIL) {
			size_t	 keep = in->prevn + k > INPUT_TAIL ? INPUT_TAIL - k : in->prevn;

			memmove(in->prev, in->prev + in->prevn - keep, keep);
			in->prevn = keep;
		} else
			in->prevn = 0;
		memcpy(in->prev + in->prevn, in->buf + in->start - k, k);
		in->prevn += k;
		in->base = in->start;
	}
	if (in->ring != NULL) {
		n = input_ring_take(in);
		goto got;
	}
	if (in->start > 0) {
		memmove(in->buf, in->buf + in->start, in->end - in->start);
		in->end -= in->start;
		in->base = in->start = 0;
	}
	if (INPUT_BUF - in->end < 1)
		return 0;
	if (in->gz == NULL) {
		size_t	 want = INPUT_BUF - in->end > INPUT_CHUNK ?
		    INPUT_CHUNK : INPUT_BUF - in->end;
		ssize_t	 r;

		do
			r = in->follow ? pread(in->fd, in->buf + in->end, want,
			    (off_t)in->rdpos) : read(in->fd, in->buf + in->end, want);
		while (r == -1 && errno == EINTR);
		if (r == -1) {
			in->failed = 1;
			return -1;
		}
		in->rdpos += (uint64_t)r;
		if (r == 0)
			in->eof = 1;
		in->end += (size_t)r;
		return (int)r;
	}
	if ((n = input_gz_read(in->gz, in->buf + in->end, INPUT_BUF - in->end >
	    INPUT_CHUNK ? INPUT_CHUNK : INPUT_BUF - in->end)) > 0)
		in->end += (size_t)n;
got:
	if (n < 0) {
		in->failed = 1;
		errno = EIO;
		return -1;
	}
	if (n == 0)
		in->eof = 1;
	return n;
}

int
input_next(struct input *in, const char **line, size_t *len)
{
	for (;;) {
		char	*p = in->buf + in->start;
		size_t	 avail = in->end - in->start;
		char	*nl = memchr(p, '\n', avail);

		in->lineoff = in->offset;

		if (in->skipping) {
			if (nl == NULL) {
				in->offset += avail;
				in->start = in->end;
				if (in->eof) {
					in->eof = !in->follow;
					return 0;
				}
			} else {
				in->offset += (size_t)(nl - p) + 1;
				in->start += (size_t)(nl - p) + 1;
				in->skipping = 0;
				continue;
			}
		} else if (nl != NULL) {
			*line = p;
			*len = (size_t)(nl - p);
			in->start += *len + 1;
			in->offset += *len + 1;
			in->terminated = 1;
			return 1;
		} else if (avail > PARSE_LINE_MAX) {
			/* over-long: hand out the head, skip the rest */
			*line = p;
			*len = PARSE_LINE_MAX + 1;
			in->start += avail;
			in->offset += avail;
			in->skipping = 1;
			in->terminated = 1;	/* its end is consumed with it */
			return 1;
		} else if (in->eof) {
			if (in->follow) {
				/* a partial last line stays until its end is written */
				in->eof = 0;
				return 0;
			}
			if (avail == 0)
				return 0;
			*line = p;
			*len = avail;
			in->start = in->end;
			in->offset += avail;
			in->terminated = 0;
			return 1;
		}
		if (input_fill(in) == -1)
			return -1;
	}
}

uint64_t
input_offset(const struct input *in)
{
	return in->offset;
}

uint64_t
input_line_offset(const struct input *in)
{
	return in->lineoff;
}

int64_t
input_raw_offset(const struct input *in)
{
	off_t	 o;

	if (in->follow)
		return (int64_t)in->rdpos;
	o = lseek(in->fd, 0, SEEK_CUR);

	return o == (off_t)-1 ? -1 : (int64_t)o;
}

size_t
input_peek(struct input *in, unsigned char *buf, size_t n)
{
	while (in->end - in->start < n && !in->eof)
		if (input_fill(in) <= 0)
			break;
	if (n > in->end - in->start)
		n = in->end - in->start;
	memcpy(buf, in->buf + in->start, n);
	return n;
}

int
input_failed(const struct input *in)
{
	return in->failed;
}

int
input_terminated(const struct input *in)
{
	return in->terminated;
}

int
input_stat(const struct input *in, struct stat *sb)
{
	return fstat(in->fd, sb);
}

int64_t
input_size(const struct input *in)
{
	struct stat	 sb;

	if (fstat(in->fd, &sb) == -1 || !S_ISREG(sb.st_mode))
		return -1;
	return (int64_t)sb.st_size;
}

size_t
input_tail(const struct input *in, size_t skip, unsigned char *out, size_t max)
{
	size_t	 used = in->start - in->base, inbuf, from_buf, from_prev;

	if (max > INPUT_TAIL)
		max = INPUT_TAIL;
	inbuf = used > skip ? used - skip : 0;
	from_buf = inbuf < max ? inbuf : max;
	from_prev = max - from_buf;
	if (from_prev > in->prevn || inbuf > from_buf)
		from_prev = inbuf > from_buf ? 0 : in->prevn;
	memcpy(out, in->prev + in->prevn - from_prev, from_prev);
	memcpy(out + from_prev, in->buf + in->base + inbuf - from_buf, from_buf);
	return from_prev + from_buf;
}
