/*
 * tail.h -- follow one log by name, like tail -F, as a source (source.h):
 * its generations (rotation, copytruncate, truncation), the rotated
 * copies (NAME.1, NAME.1.gz, dateext names) that finish a generation, and
 * each generation's identity and position in the store's source table.
 * Nothing here knows what a mail log line is.
 */
#ifndef BW_TAIL_H
#define BW_TAIL_H

#include <stdint.h>

struct source;
struct store;

struct tail_counters {
	uint64_t	 rotations;
	uint64_t	 truncations;
	uint64_t	 gaps;
};

/* How a tail is set up; the strings are copied. */
struct tail_conf {
	const char	*path;
	const char	*format;
	int		 start_end;	/* first start: from the end, not the beginning */
	double		 rotate_quiet;	/* seconds a rotated file must be quiet */
};

/*
 * Open the log and reconcile what the store knows of it with the files on
 * disk: resume the live file, finish generations rotated while we were
 * down.  The store's transaction may be left open (the caller commits).
 * NULL on a database error (logged).
 */
struct source	*tail_open(const struct tail_conf *, struct store *);
void		 tail_set_format(struct source *, const char *);
const struct tail_counters *tail_counters(struct source *);
/* What the metrics and alerts show of a followed log. */
struct tail_status {
	int		 up;		/* the name opens and is a regular file */
	char		 why[128];	/* when not: strerror or "not a regular file" */
	int64_t		 lag;		/* bytes written and not yet committed */
};
/* -1 when the source is not a followed file (the journal). */
int		 tail_status(struct source *, struct tail_status *);
/* Log each generation's state (SIGUSR1). */
void		 tail_log_state(struct source *, int stalled);

#endif
