/*
 * input_gz.c -- gzip members inflated by ISA-L's igzip where configure found
 * it (a regular file), by zlib's gzread otherwise (and for pipes, whose data
 * may be plain: gzread copies it as it is).  Both give the same bytes.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#ifdef HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif

#include "input_gz.h"
#include "util.h"

/* Compressed bytes read from the file at a time. */
#ifndef INPUT_GZ_INBUF
#define INPUT_GZ_INBUF	(256 * 1024)
#endif

#ifdef HAVE_ISAL
/* Where the ISA-L reader is in the stream. */
enum input_gz_at {
	INPUT_GZ_LOOK,		/* between members: another one, or the end */
	INPUT_GZ_MEMBER,	/* inside a member */
	INPUT_GZ_END,		/* no more data (but what rest holds) */
	INPUT_GZ_ERROR		/* corrupt: every read fails */
};
#endif

struct input_gz {
	int			 fd;
	gzFile			 gz;	/* zlib; NULL: ISA-L */
#ifdef HAVE_ISAL
	struct inflate_state	*st;
	unsigned char		*ibuf;	/* compressed bytes; st->next_in within */
	int			 ieof;	/* read(2) said end of file */
	enum input_gz_at	 at;
	uint64_t		 fpos;	/* file offset of the end of ibuf's data */
	uint64_t		 mstart; /* file offset of the member inflated */
	uint64_t		 mout;	/* bytes it inflated to so far */
	char			*rest;	/* a cut member's last bytes, from zlib */
	size_t			 restn, resto;	/* bytes in rest; handed out */
#endif
};

/* One gzread, with a truncated stream read as its end: bytes, 0 or -1. */
static int
input_gz_zread(gzFile gz, char *buf, unsigned len)
{
	int	 n, zerr;

	if ((n = gzread(gz, buf, len)) >= 0)
		return n;
	gzerror(gz, &zerr);
	return zerr == Z_BUF_ERROR ? 0 : -1;	/* truncated gzip: the end */
}

#ifdef HAVE_ISAL
/*
 * Append what the file holds next to the unconsumed input: bytes read, 0 at
 * the end of the file (or with no room left), -1 on an error.
 */
static int
input_gz_fill(struct input_gz *z)
{
	struct inflate_state	*st = z->st;
	ssize_t			 r;

	if (z->ieof)
		return 0;
	if (st->avail_in > 0 && st->next_in != z->ibuf)
		memmove(z->ibuf, st->next_in, st->avail_in);
	st->next_in = z->ibuf;
	if (st->avail_in == INPUT_GZ_INBUF)
		return 0;
	do
		r = read(z->fd, z->ibuf + st->avail_in, INPUT_GZ_INBUF - st->avail_in);
	while (r == -1 && errno == EINTR);
	if (r == -1)
		return -1;
	if (r == 0)
		z->ieof = 1;
	st->avail_in += (uint32_t)r;
	z->fpos += (uint64_t)r;
	return (int)r;
}

/* Between members: start the next one if its magic follows, else the end. */
static int
input_gz_look(struct input_gz *z)
{
	struct inflate_state	*st = z->st;

	while (st->avail_in < 4)
		if (input_gz_fill(z) <= 0)
			break;
	if (st->avail_in < 4 && !z->ieof)
		return -1;		/* read(2) failed */
	if (st->avail_in < 2 || st->next_in[0] != 0x1f || st->next_in[1] != 0x8b) {
		z->at = INPUT_GZ_END;	/* trailing bytes are not ours */
		return 0;
	}
	/* reserved flags: zlib refuses them, igzip would not look */
	if (st->avail_in >= 4 && (st->next_in[3] & 0xe0) != 0)
		return -1;
	/*
	 * igzip checks a header CRC (FHCRC) wrongly when the header comes in
	 * pieces: fill the buffer (or take the rest of the file) first.
	 */
	if (st->avail_in >= 4 && (st->next_in[3] & 0x02) != 0)
		while (st->avail_in < INPUT_GZ_INBUF && !z->ieof)
			if (input_gz_fill(z) == -1)
				return -1;
	isal_inflate_reset(st);
	st->crc_flag = ISAL_GZIP;	/* header parsed, CRC and length checked */
	z->mstart = z->fpos - st->avail_in;
	z->mout = 0;
	z->at = INPUT_GZ_MEMBER;
	return 0;
}

/*
 * A member cut where the file ends: igzip may keep back the last bytes it
 * could inflate, zlib gives them all.  Inflate the member again with zlib
 * and keep what it gives beyond what igzip did, to be handed out last.
 */
static int
input_gz_cut(struct input_gz *z)
{
	z_stream	 zs;
	unsigned char	 out[16384];
	uint64_t	 at = z->mstart, skip = z->mout;
	ssize_t		 r;
	size_t		 n, k;
	int		 ret = Z_OK;

	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, 15 + 16) != Z_OK)
		return -1;
	while (ret == Z_OK) {
		if (zs.avail_in == 0) {
			do
				r = pread(z->fd, z->ibuf, INPUT_GZ_INBUF, (off_t)at);
			while (r == -1 && errno == EINTR);
			if (r <= 0) {
				ret = r == 0 ? Z_BUF_ERROR : Z_ERRNO;
				break;
			}
			at += (uint64_t)r;
			zs.next_in = z->ibuf;
			zs.avail_in = (uInt)r;
		}
		zs.next_out = out;
		zs.avail_out = sizeof(out);
		ret = inflate(&zs, Z_NO_FLUSH);
		n = sizeof(out) - zs.avail_out;
		k = skip < n ? (size_t)skip : n;
		skip -= k;
		if (n > k) {
			z->rest = xrealloc(z->rest, z->restn + n - k);
			memcpy(z->rest + z->restn, out + k, n - k);
			z->restn += n - k;
		}
		if (ret == Z_BUF_ERROR && zs.avail_in == 0)
			ret = Z_OK;	/* wants input: read on */
	}
	inflateEnd(&zs);
	/* the end of the file, or of the member after all: as gzread */
	return ret == Z_BUF_ERROR || ret == Z_STREAM_END ? 0 : -1;
}

static int
input_gz_iread(struct input_gz *z, char *buf, size_t len)
{
	struct inflate_state	*st = z->st;
	uint32_t		 in_was, out_was;
	size_t			 k;
	int			 r;

	st->next_out = (uint8_t *)buf;
	st->avail_out = (uint32_t)len;
	while (st->avail_out > 0) {
		if (z->at == INPUT_GZ_LOOK && input_gz_look(z) == -1)
			z->at = INPUT_GZ_ERROR;
		if (z->at == INPUT_GZ_ERROR)
			return -1;
		if (z->at == INPUT_GZ_END) {
			k = z->restn - z->resto;
			if (k > st->avail_out)
				k = st->avail_out;
			if (k > 0) {	/* rest is NULL when no member was cut */
				memcpy(st->next_out, z->rest + z->resto, k);
				z->resto += k;
				st->next_out += k;
				st->avail_out -= (uint32_t)k;
			}
			break;
		}
		in_was = st->avail_in;
		out_was = st->avail_out;
		r = isal_inflate(st);
		z->mout += out_was - st->avail_out;
		if (r < 0) {
			/*
			 * igzip may refuse a block from fewer bytes than zlib
			 * needs (an empty code length code): where the file
			 * ends before zlib sees it, gzread reads a cut member.
			 * zlib's verdict on the member stands, as for a cut.
			 */
			if (input_gz_cut(z) == 0) {
				z->at = INPUT_GZ_END;
				continue;
			}
			z->at = INPUT_GZ_ERROR;	/* as gzread: the chunk is lost */
			return -1;
		}
		if (st->block_state == ISAL_BLOCK_FINISH) {
			z->at = INPUT_GZ_LOOK;
			continue;
		}
		if (st->avail_out == 0 || (r = input_gz_fill(z)) > 0)
			continue;
		if (r == -1 || (!z->ieof && st->avail_in == in_was &&
		    st->avail_out == out_was)) {
			z->at = INPUT_GZ_ERROR;
			return -1;
		}
		/* nothing more to read: the member is cut where the file ends */
		if (st->avail_in == in_was && st->avail_out == out_was)
			z->at = input_gz_cut(z) == -1 ? INPUT_GZ_ERROR : INPUT_GZ_END;
	}
	return (int)(len - st->avail_out);
}
#endif

struct input_gz *
input_gz_open(int fd, int at_rest)
{
	struct input_gz	*z = xcalloc(1, sizeof(*z));
#ifdef HAVE_ISAL
	struct stat	 sb;

	if (at_rest && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode)) {
		z->fd = fd;
		z->st = xmalloc(sizeof(*z->st));
		z->ibuf = xmalloc(INPUT_GZ_INBUF);
		isal_inflate_init(z->st);
		z->st->next_in = z->ibuf;
		z->st->avail_in = 0;
		z->at = INPUT_GZ_LOOK;
		return z;
	}
#endif
	if ((z->gz = gzdopen(fd, "rb")) == NULL) {
		free(z);
		return NULL;
	}
	gzbuffer(z->gz, INPUT_GZ_INBUF);
	z->fd = fd;
	return z;
}

int
input_gz_read(struct input_gz *z, char *buf, size_t len)
{
#ifdef HAVE_ISAL
	if (z->gz == NULL)
		return input_gz_iread(z, buf, len);
#endif
	return input_gz_zread(z->gz, buf, (unsigned)len);
}

int
input_gz_splits(const struct input_gz *z)
{
	return z->gz == NULL;
}

void
input_gz_close(struct input_gz *z)
{
	if (z == NULL)
		return;
	if (z->gz != NULL)
		gzclose(z->gz);
	else
		close(z->fd);
#ifdef HAVE_ISAL
	free(z->st);
	free(z->ibuf);
	free(z->rest);
#endif
	free(z);
}
