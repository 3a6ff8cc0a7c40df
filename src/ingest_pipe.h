/*
 * ingest_pipe.h -- ingest_pump() on two cores: one thread reads, splits
 * (and decompresses) the sources' lines, parses and classifies them;
 * the calling thread stores them, in the same order and the same open
 * transaction.  A bounded queue of line records lies between the two.
 * For sources of lines (files): a journal entry's fields live in the
 * journal's memory until the next entry, so the journal is read with
 * ingest_pump().
 */
#ifndef BW_INGEST_PIPE_H
#define BW_INGEST_PIPE_H

#include <stdint.h>

struct ingest;
struct ingest_pipe;

/* NULL when no thread can be started (ingest_pump then does the work). */
struct ingest_pipe	*ingest_pipe_new(struct ingest *);
void			 ingest_pipe_prefault(struct ingest_pipe *);
void			 ingest_pipe_free(struct ingest_pipe *);
/*
 * ingest_pump(), results included: the reading thread lives only inside
 * the call, so between calls (commit, rollback, rewind) the sources and
 * the store are the caller's alone and positions stay exactly once.
 */
int			 ingest_pipe_pump(struct ingest_pipe *, uint64_t max,
			    uint64_t *done);
/*
 * The same for sources that use the store while they read (the file
 * follower records rotations and gaps): the calling thread reads and
 * stores, the other parses and classifies copies of the lines.  Not for
 * the journal (its entries are not lines).
 */
int			 ingest_pipe_follow(struct ingest_pipe *, uint64_t max,
			    uint64_t *done);

#endif
