/*
 * input.c -- see input.h.  Plain files are read with read(2) straight into
 * the line buffer; gzip files (and pipes, whose first bytes cannot be
 * looked at in advance) through input_gz.c, which reads plain data on a pipe
 * transparently, so one code path serves mail.log and mail.log.2.gz alike.
 * The inflating runs in a thread of its own, a buffer ahead of the lines
 * handed out, so that decompressing overlaps splitting and parsing.
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
 * The inflating thread: INPUT_AHEAD buffers of INPUT_CHUNK bytes, filled
 * in turn by input_gz_read and emptied in turn by input_fill.
 */
#define INPUT_AHEAD	2

struct input_zthread {
	pthread_t	 t;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	char		*buf[INPUT_AHEAD];
	int		 n[INPUT_AHEAD];	/* bytes; 0: end; -1: error */
	unsigned	 head, count;	/* the next buffer to empty; filled */
	size_t		 off;		/* bytes of the head buffer emptied */
	int		 quit;
};

struct input {
	struct input_gz	*gz;		/* NULL: plain, read(2) */
	struct input_zthread *zt;	/* NULL: inflating in the caller's thread */
	int		 fd;
	char		*buf;
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

static void *
input_zthread_main(void *arg)
{
	struct input		*in = arg;
	struct input_zthread	*zt = in->zt;
	unsigned		 i;
	int			 n;

	do {
		pthread_mutex_lock(&zt->mu);
		while (zt->count == INPUT_AHEAD && !zt->quit)
			pthread_cond_wait(&zt->cv, &zt->mu);
		i = (zt->head + zt->count) % INPUT_AHEAD;
		pthread_mutex_unlock(&zt->mu);
		if (zt->quit)
			break;
		n = input_gz_read(in->gz, zt->buf[i], INPUT_CHUNK);
		pthread_mutex_lock(&zt->mu);
		zt->n[i] = n;
		zt->count++;
		pthread_cond_broadcast(&zt->cv);
		pthread_mutex_unlock(&zt->mu);
	} while (n > 0);	/* after the end or an error, nothing more */
	return NULL;
}

/* Start inflating ahead; without a thread, input_fill inflates itself. */
static void
input_zthread_start(struct input *in)
{
	struct input_zthread	*zt = xcalloc(1, sizeof(*zt));
	unsigned		 i;

	for (i = 0; i < INPUT_AHEAD; i++)
		zt->buf[i] = xmalloc(INPUT_CHUNK);
	in->zt = zt;
	if (pthread_mutex_init(&zt->mu, NULL) == 0) {
		if (pthread_cond_init(&zt->cv, NULL) == 0) {
			if (pthread_create(&zt->t, NULL, input_zthread_main, in) == 0)
				return;
			pthread_cond_destroy(&zt->cv);
		}
		pthread_mutex_destroy(&zt->mu);
	}
	for (i = 0; i < INPUT_AHEAD; i++)
		free(zt->buf[i]);
	free(zt);
	in->zt = NULL;
}

static void
input_zthread_stop(struct input *in)
{
	struct input_zthread	*zt = in->zt;
	unsigned		 i;

	if (zt == NULL)
		return;
	pthread_mutex_lock(&zt->mu);
	zt->quit = 1;
	pthread_cond_broadcast(&zt->cv);
	pthread_mutex_unlock(&zt->mu);
	pthread_join(zt->t, NULL);
	pthread_cond_destroy(&zt->cv);
	pthread_mutex_destroy(&zt->mu);
	for (i = 0; i < INPUT_AHEAD; i++)
		free(zt->buf[i]);
	free(zt);
	in->zt = NULL;
}

/* Up to want bytes the thread inflated: bytes, 0 at the end, -1 on an error. */
static int
input_zthread_take(struct input *in, char *to, size_t want)
{
	struct input_zthread	*zt = in->zt;
	size_t			 k;
	int			 n;

	pthread_mutex_lock(&zt->mu);
	while (zt->count == 0)
		pthread_cond_wait(&zt->cv, &zt->mu);
	pthread_mutex_unlock(&zt->mu);
	if ((n = zt->n[zt->head]) <= 0)
		return n;		/* stays: the end or the error is final */
	k = (size_t)n - zt->off;
	if (k > want)
		k = want;
	memcpy(to, zt->buf[zt->head] + zt->off, k);
	zt->off += k;
	if (zt->off == (size_t)n) {
		pthread_mutex_lock(&zt->mu);
		zt->head = (zt->head + 1) % INPUT_AHEAD;
		zt->count--;
		zt->off = 0;
		pthread_cond_broadcast(&zt->cv);
		pthread_mutex_unlock(&zt->mu);
	}
	return (int)k;
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
	in->buf = xmalloc(INPUT_BUF);
	input_zthread_start(in);
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
	in->start = in->end = 0;
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
	input_zthread_stop(in);
	if (in->gz != NULL)
		input_gz_close(in->gz);
	else if (!in->follow)
		close(in->fd);
	free(in->buf);
	free(in);
}

static int
input_fill(struct input *in)
{
	int	 n;

	if (in->start > 0) {
		/* keep the last consumed bytes for input_tail() */
		size_t	 k = in->start < INPUT_TAIL ? in->start : INPUT_TAIL;

		if (k < INPUT_TAIL) {
			size_t	 keep = in->prevn + k > INPUT_TAIL ? INPUT_TAIL - k : in->prevn;

			memmove(in->prev, in->prev + in->prevn - keep, keep);
			in->prevn = keep;
		} else
			in->prevn = 0;
		memcpy(in->prev + in->prevn, in->buf + in->start - k, k);
		in->prevn += k;
		memmove(in->buf, in->buf + in->start, in->end - in->start);
		in->end -= in->start;
		in->start = 0;
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
	if (in->zt != NULL)
		n = input_zthread_take(in, in->buf + in->end,
		    INPUT_BUF - in->end > INPUT_CHUNK ? INPUT_CHUNK : INPUT_BUF - in->end);
	else
		n = input_gz_read(in->gz, in->buf + in->end,
		    INPUT_BUF - in->end > INPUT_CHUNK ? INPUT_CHUNK : INPUT_BUF - in->end);
	if (n < 0) {
		in->failed = 1;
		errno = EIO;
		return -1;
	}
	if (n == 0)
		in->eof = 1;
	in->end += (size_t)n;
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
	size_t	 inbuf, from_buf, from_prev;

	if (max > INPUT_TAIL)
		max = INPUT_TAIL;
	inbuf = in->start > skip ? in->start - skip : 0;
	from_buf = inbuf < max ? inbuf : max;
	from_prev = max - from_buf;
	if (from_prev > in->prevn || inbuf > from_buf)
		from_prev = inbuf > from_buf ? 0 : in->prevn;
	memcpy(out, in->prev + in->prevn - from_prev, from_prev);
	memcpy(out + from_prev, in->buf + inbuf - from_buf, from_buf);
	return from_prev + from_buf;
}
