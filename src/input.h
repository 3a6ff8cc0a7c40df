/*
 * input.h -- read a log file (plain or gzip, detected by content) line by
 * line in large chunks.  A line longer than PARSE_LINE_MAX is returned
 * whole when its end is already in the buffer (at most about 1 MiB), else
 * cut to PARSE_LINE_MAX + 1 bytes with the rest of it skipped; either way
 * the parser rejects it, and memory stays bounded whatever the input.
 */
#ifndef BW_INPUT_H
#define BW_INPUT_H

#include <stddef.h>
#include <stdint.h>

struct input;

/* path "-" is standard input.  NULL with errno set on failure. */
struct input	*input_open(const char *path);
/*
 * The same, for a file that no longer changes (bouncewatch import): a
 * gzip file is inflated by ISA-L where the build has it, about twice as
 * fast as zlib, in a thread of its own until input_ahead lends another.
 * The daemon's rotated copies, which logrotate may still be compressing
 * while they are read, keep zlib's gzread (input_open).
 */
struct input	*input_open_at_rest(const char *path);
/*
 * Lend a thread's waiting time to the gzip file at rest being read (one at
 * a time): inflate ahead of its reader (a turn) if there is room, after
 * the turn another thread is taking, if any.  1 if it did, 0 if there was
 * nothing to do.  Any thread; the file's own inflating thread retires at
 * the first call.
 */
int		 input_ahead(void);
/*
 * Follow a growing regular file from offset (a line start), with pread:
 * a partial last line is never returned but read again once complete,
 * and end of file is not final.  tail is the marker before offset (what
 * input_tail reports until a line is read).  fd stays the caller's.
 */
struct input	*input_follow(int fd, uint64_t offset, const unsigned char *tail,
		    size_t tail_len);
/* Follow mode: read on from offset (after a rollback, a shrunk file). */
void		 input_seek(struct input *, uint64_t offset, const unsigned char *tail,
		    size_t tail_len);
/*
 * Resume: skip lines up to offset and check the bytes before it equal
 * tail.  1: there; 0: the data ends before offset (or cannot be read);
 * -1: offset is not where a line starts, or the bytes before it differ.
 */
int		 input_skip(struct input *, uint64_t offset, const unsigned char *tail,
		    size_t tail_len);
void		 input_close(struct input *);
/* 1: a line (without '\n'), 0: end of file, -1: read error. */
int		 input_next(struct input *, const char **line, size_t *len);
/* Uncompressed bytes consumed so far (through the last returned line). */
uint64_t	 input_offset(const struct input *);
/* Where the line returned last starts (uncompressed). */
uint64_t	 input_line_offset(const struct input *);
/* Compressed bytes read so far, for progress; -1 when unknown. */
int64_t		 input_raw_offset(const struct input *);
/* Copy up to n bytes from the start of the data, before any line is read. */
size_t		 input_peek(struct input *, unsigned char *, size_t);
/* Did a read fail (an I/O error, a corrupt gzip stream)?  1 or 0. */
int		 input_failed(const struct input *);
/* Was the line returned last terminated by '\n'? */
int		 input_terminated(const struct input *);
/*
 * The last <= max (at most 64) bytes consumed before the end of the line
 * returned last, leaving out its final 'skip' bytes: the marker before a
 * read position, without keeping it line by line.
 */
size_t		 input_tail(const struct input *, size_t skip, unsigned char *, size_t max);
/* Size of the underlying file (compressed size for gzip), -1 if unknown. */
int64_t		 input_size(const struct input *);
/*
 * The file opened (fstat(2) of it, whatever its name is now): 0, or -1
 * with errno.  A name can be renamed to another file between a look and
 * an open: this says which one was opened.
 */
struct stat;
int		 input_stat(const struct input *, struct stat *);

#endif
