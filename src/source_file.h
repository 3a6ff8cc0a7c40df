/*
 * source_file.h -- a log file read once from where the store says it was
 * left (bouncewatch import), or from its start without a store
 * (bouncewatch classify), as a source (source.h).
 */
#ifndef BW_SOURCE_FILE_H
#define BW_SOURCE_FILE_H

#include <stdint.h>

struct source;
struct store;

struct source_file_info {
	uint64_t	 skipped;	/* bytes read by an earlier import */
	int		 unterminated;	/* a partial last line was left for later */
	int		 read_error;
	int64_t		 raw;		/* compressed bytes read (progress), -1 */
	int64_t		 size;		/* compressed size, -1 */
};

/*
 * path "-" is standard input.  With a store: the file is recognised by
 * its first bytes (a source created in a transaction begun here) and read
 * on from the position saved, once the bytes before it match; only
 * complete lines are read.  Without: every line, the last one even if
 * unterminated.  NULL when there is nothing to read: *status 0 (empty,
 * or nothing new: *skipped says how much was there) or 1 (an error,
 * logged); -1 for a database error (logged, rolled back).
 */
struct source	*source_file_open(const char *path, struct store *, int *status,
		    uint64_t *skipped);
void		 source_file_info(struct source *, struct source_file_info *);

#endif
