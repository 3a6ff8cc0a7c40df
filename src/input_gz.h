/*
 * input_gz.h -- a gzip stream read as the bytes it inflates to, with zlib's
 * gzread rules: members one after another, a cut member read up to where it
 * ends, bytes after a member that do not start another one ignored.
 */
#ifndef BW_INPUT_GZ_H
#define BW_INPUT_GZ_H

#include <stddef.h>

struct input_gz;

/*
 * Read fd (at its start) through the inflater; the descriptor becomes the
 * stream's.  A pipe may hold plain data: it is copied as it is.  at_rest:
 * a regular file that no longer changes, inflated by ISA-L where the
 * build has it; otherwise (or for a file that may still grow) zlib's
 * gzread.  NULL when out of memory (fd stays the caller's).
 */
struct input_gz	*input_gz_open(int fd, int at_rest);
/* Fill buf: len bytes, fewer only at the end, 0 at the end, -1 on an error. */
int		 input_gz_read(struct input_gz *, char *buf, size_t len);
/*
 * May a read be split in smaller ones with the same bytes in the end?  1
 * for ISA-L; 0 for zlib, whose gzread drops what a read got before it
 * meets a cut member's end.
 */
int		 input_gz_splits(const struct input_gz *);
/* Close the stream and its descriptor. */
void		 input_gz_close(struct input_gz *);

#endif
