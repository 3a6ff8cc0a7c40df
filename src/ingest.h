/*
 * ingest.h -- the one pipeline: line -> parse -> classify -> store (or a
 * sink that prints), fed by sources (source.h), with the counters, the
 * transaction every line goes into, commits, stalls and back-off.
 * bouncewatchd, "bouncewatch import" and "bouncewatch classify" use it.
 */
#ifndef BW_INGEST_H
#define BW_INGEST_H

#include <stdint.h>

#include "classify.h"
#include "parse.h"

struct ingest;
struct source;
struct source_line;
struct store;

struct ingest_counters {
	uint64_t	 lines;
	uint64_t	 kind[LINE_KIND_MAX];
	uint64_t	 failures;		/* deliveries not delivered */
	uint64_t	 commits;
	uint64_t	 stalls;
};

/* Where verdicts go instead of the store: 0, or -1 to stop. */
struct ingest_sink {
	int	(*add)(void *, const struct source_line *, uint64_t lineno,
		    enum line_kind, const struct delivery *, const struct verdict *);
	void	*arg;
};

/*
 * ctx and cl stay the caller's.  With a store, every line goes into it
 * (any kind: the store counts them); with a sink, deliveries and expiries
 * go to the sink and nothing is stored.
 */
struct ingest	*ingest_new(struct parse_ctx *, const struct classifier *,
		    struct store *, const struct ingest_sink *);
void		 ingest_free(struct ingest *);	/* closes its sources */
void		 ingest_set_classifier(struct ingest *, const struct classifier *);
/* Sources are read in the order they were added (the oldest data first). */
void		 ingest_add(struct ingest *, struct source *);
void		 ingest_remove(struct ingest *, struct source *);	/* and close */
struct source	*ingest_sources(struct ingest *);
/* Called before every commit: non-zero refuses it (see ingest_commit). */
void		 ingest_set_precommit(struct ingest *, int (*)(void *), void *);

/*
 * Who watches the batches (the daemon's metrics and alerts): every line
 * that went into the open transaction, and how the transaction ended.
 */
struct ingest_watch {
	void	(*line)(void *, struct source *, enum line_kind,
		    const struct delivery *, const struct verdict *);
	/* Committed; seconds it took (saving the positions included). */
	void	(*committed)(void *, double seconds);
	void	(*rolled_back)(void *);
	void	*arg;
};
void		 ingest_set_watch(struct ingest *, const struct ingest_watch *);

/* One line of a source through the pipeline: 0, or -1 (database error). */
int		 ingest_line(struct ingest *, struct source *, const struct source_line *);
/*
 * ingest_line in its stages, for a pipeline (ingest_pipe.c): parse (and
 * count the line), judge (classify, count), keep (store or sink: the
 * open transaction).  Parse and judge may run in one thread while keep
 * runs in another, never two of one stage at once.
 */
enum line_kind	 ingest_parse(struct ingest *, struct source *,
		    const struct source_line *, struct delivery *);
void		 ingest_judge(struct ingest *, enum line_kind,
		    const struct delivery *, struct verdict *);
int		 ingest_keep(struct ingest *, struct source *,
		    const struct source_line *, enum line_kind,
		    const struct delivery *, const struct verdict *);
/*
 * The keeping thread has nothing to keep until the next lines: lend the
 * time to the store (store_idle).  1 it did something, 0 nothing to do,
 * -1 as ingest_keep.
 */
int		 ingest_idle(struct ingest *);
/* A reply text alone (classify --reply): a delivery that failed with it. */
int		 ingest_reply(struct ingest *, const char *, size_t);
/*
 * Read lines from every source in turn, at most max of them (*done says
 * how many).  1: max reached, more may be there; 0: every source is
 * quiet; -1: a database error (call ingest_stall).
 */
int		 ingest_pump(struct ingest *, uint64_t max, uint64_t *done);
/* Lines in the open transaction. */
uint64_t	 ingest_pending(const struct ingest *);
int		 ingest_in_tx(const struct ingest *);
/*
 * How a commit ended: FAILED, a database error (call ingest_stall); OK,
 * committed or nothing to commit; RESUMED, committed and that ended a
 * stall (logged); REFUSED, the precommit hook said no (rolled back,
 * sources rewound).
 */
enum ingest_commit {
	INGEST_COMMIT_FAILED = -1,
	INGEST_COMMIT_OK = 0,
	INGEST_COMMIT_RESUMED,
	INGEST_COMMIT_REFUSED,
};
/* Save every source's position and commit. */
enum ingest_commit	 ingest_commit(struct ingest *);
/* Roll back the open transaction; every source goes back to its last commit. */
void		 ingest_rollback(struct ingest *);
/*
 * After -1: roll back, rewind every source to its last commit, count the
 * stall.  Returns the delay before trying again (doubling up to a limit;
 * *first set when a stall episode begins, logged), or -1 when the
 * database is not one (corrupt): retrying cannot help.
 */
double		 ingest_stall(struct ingest *, int *first);
/* Try again after a stall: 0 when a transaction could be opened. */
int		 ingest_retry(struct ingest *);
int		 ingest_stalled(const struct ingest *);
const struct ingest_counters *ingest_counters(const struct ingest *);

#endif
