/*
 * fuzz_gz.c -- libFuzzer target: one input is the content of a log file
 * (gzip or plain), read line by line through input.h as the importer does.
 *
 * The bytes go into one memory file (memfd) reused from run to run, which
 * input_open reads through /proc/self/fd: a regular file, so a gzip one is
 * inflated by input_gz.c (ISA-L's igzip where configure found it).  Checks:
 * no line holds '\n', each line starts where the previous one ended (or
 * past an over-long line's skipped rest), the final offset is the sum of
 * the lines.  Against zlib: gzread's rules applied with inflate (checked
 * against gzread itself) give the reference bytes; where they read to the
 * end, the lines are exactly those bytes and no read fails.  Where zlib
 * fails, the input may fail or end (gzread loses a chunk on an error).
 */
#define _GNU_SOURCE
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#include "input.h"
#include "parse.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int	 fuzz_fd = -1;
static char	 fuzz_path[64];

static void
fuzz_fail(const char *what)
{
	fprintf(stderr, "fuzz_gz: invariant violated: %s\n", what);
	abort();
}

/* A buffer for all a deflate stream of size bytes can give (1032 to 1). */
static char *
fuzz_room(char **buf, size_t *bufsize, size_t size, size_t *room)
{
	*room = size * 1032 + 65536;
	if (*room > *bufsize) {
		free(*buf);
		if ((*buf = malloc(*room)) == NULL)
			fuzz_fail("out of memory");
		*bufsize = *room;
	}
	return *buf;
}

/*
 * gzread's rules, with zlib's inflate: a file not starting with the gzip
 * magic is plain; members in turn while the magic follows, other bytes
 * after a member ignored; a member cut where the file ends gives what
 * inflate gives of it.  Its bytes in *out, 0 at the end, -1 on an error.
 */
static int
fuzz_inflate(const uint8_t *data, size_t size, char **out, size_t *outn)
{
	static char	*buf;
	static size_t	 bufsize;
	z_stream	 zs;
	size_t		 room, p = 0;
	int		 r;

	*out = fuzz_room(&buf, &bufsize, size, &room);
	*outn = 0;
	if (size < 2 || data[0] != 0x1f || data[1] != 0x8b) {
		memcpy(buf, data, size);
		*outn = size;
		return 0;
	}
	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, 15 + 16) != Z_OK)
		fuzz_fail("inflateInit2");
	while (size - p >= 2 && data[p] == 0x1f && data[p + 1] == 0x8b) {
		inflateReset(&zs);
		zs.next_in = (unsigned char *)(uintptr_t)(data + p);
		zs.avail_in = (uInt)(size - p);
		zs.next_out = (unsigned char *)buf + *outn;
		zs.avail_out = (uInt)(room - *outn);
		r = inflate(&zs, Z_NO_FLUSH);
		*outn = room - zs.avail_out;
		if (r == Z_STREAM_END) {
			p = size - zs.avail_in;
			continue;
		}
		if ((r == Z_OK || r == Z_BUF_ERROR) && zs.avail_in == 0)
			break;		/* a cut member */
		inflateEnd(&zs);
		return -1;
	}
	inflateEnd(&zs);
	return 0;
}

/*
 * zlib's gzread of the file, as a check of fuzz_inflate: 0 when it reads
 * to the end (or to where the stream is cut), -1 on an error.  Its bytes
 * are fuzz_inflate's, but that where a cut member's input is all consumed
 * while inflate still holds output, gzread drops it (zlib 1.2.13): they
 * are a prefix.
 */
static int
fuzz_gzread(size_t size, char **out, size_t *outn)
{
	static char	*buf;
	static size_t	 bufsize;
	size_t		 room;
	gzFile		 gz;
	int		 r, zerr, ret = 0;

	*out = fuzz_room(&buf, &bufsize, size, &room);
	if ((gz = gzopen(fuzz_path, "rb")) == NULL)
		fuzz_fail("gzopen");
	if ((r = gzread(gz, buf, (unsigned)room)) < 0) {
		gzerror(gz, &zerr);
		ret = zerr == Z_BUF_ERROR ? 0 : -1;
		r = 0;
	} else if (gzread(gz, buf, 1) > 0)
		fuzz_fail("gzread gave more than deflate can");
	gzclose(gz);
	*outn = (size_t)r;
	return ret;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input	*in;
	const char	*line;
	size_t		 len, refn, gzrefn, sum = 0;
	uint64_t	 off = 0, lo, end;
	char		*ref, *gzref;
	int		 r, zret, term, longline = 0, skipped = 0;

	if (fuzz_fd == -1) {
		if ((fuzz_fd = memfd_create("fuzz_gz", MFD_CLOEXEC)) == -1)
			fuzz_fail("memfd_create");
		snprintf(fuzz_path, sizeof(fuzz_path), "/proc/self/fd/%d", fuzz_fd);
	}
	if (ftruncate(fuzz_fd, 0) == -1 ||
	    (size > 0 && pwrite(fuzz_fd, data, size, 0) != (ssize_t)size))
		fuzz_fail("writing the memory file");

	zret = fuzz_inflate(data, size, &ref, &refn);
	if (fuzz_gzread(size, &gzref, &gzrefn) != zret || (zret == 0 &&
	    (gzrefn > refn || memcmp(gzref, ref, gzrefn) != 0)))
		fuzz_fail("gzread and its rules with inflate disagree");

	if ((in = input_open_at_rest(fuzz_path)) == NULL)
		fuzz_fail("input_open_at_rest");
	while ((r = input_next(in, &line, &len)) == 1) {
		lo = input_line_offset(in);
		/* after an over-long line, the rest of it was skipped */
		if (lo != off && (!longline || lo < off))
			fuzz_fail("a line does not start where the last one ended");
		if (zret == 0 && lo > off && (lo > refn || ref[lo - 1] != '\n' ||
		    memchr(ref + off, '\n', lo - off - 1) != NULL))
			fuzz_fail("an over-long line's rest is not zlib's line");
		if (memchr(line, '\n', len) != NULL)
			fuzz_fail("a line holds a newline");
		/*
		 * A line whose newline is in the buffer comes whole, however
		 * long (input.c's buffer: 1 MiB + PARSE_LINE_MAX + 2 bytes).
		 */
		if (len > 1024 * 1024 + PARSE_LINE_MAX + 2)
			fuzz_fail("a line longer than the buffer");
		term = input_terminated(in) ? 1 : 0;
		off = input_offset(in);
		if (off < lo + len + term)
			fuzz_fail("the offset is short of the line");
		longline = off != lo + len + term;
		if (longline && len != PARSE_LINE_MAX + 1)
			fuzz_fail("the offset is past the line");
		skipped |= longline;
		sum += len + term;
		if (zret == 0) {
			/* the line is zlib's bytes at its offset */
			if (off > refn || memcmp(ref + lo, line, len) != 0)
				fuzz_fail("a line differs from zlib's bytes");
			if (term && !longline && ref[off - 1] != '\n')
				fuzz_fail("a line ends where zlib has no newline");
			if (!term && off != refn)
				fuzz_fail("an unterminated line before the end");
			/* an over-long line's head: its newline is still ahead */
			if (off > lo && memchr(ref + lo, '\n',
			    off - lo - (term && !longline)) != NULL)
				fuzz_fail("a newline of zlib's bytes was skipped");
		}
	}
	if (r != 0 && r != -1)
		fuzz_fail("input_next returned neither 1, 0 nor -1");
	if ((r == -1) != (input_failed(in) != 0))
		fuzz_fail("input_failed disagrees with input_next");
	end = input_offset(in);
	if (end < off || (end != off && !longline))
		fuzz_fail("the offset moved after the last line");
	if (!skipped && r == 0 && end != sum)
		fuzz_fail("the offset is not the sum of the lines");
	if (zret == 0) {
		if (r == -1)
			fuzz_fail("a read error where zlib reads to the end");
		if (end != refn)
			fuzz_fail("the lines end before or after zlib's bytes");
		if (end > off && memchr(ref + off, '\n', end - off - 1) != NULL)
			fuzz_fail("an over-long last line's rest holds a newline");
	}
	input_close(in);
	return 0;
}
