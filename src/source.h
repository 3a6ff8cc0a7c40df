/*
 * source.h -- what every input of the ingest pipeline implements: the
 * file follower (tail.c), a file read once (source_file.c), later the
 * systemd journal.  A source hands out lines with an opaque position,
 * saves the position reached into the store's open transaction, and goes
 * back to the last committed one when that transaction is rolled back.
 */
#ifndef BW_SOURCE_H
#define BW_SOURCE_H

#include <stddef.h>
#include <stdint.h>

struct parse_journal;
struct source;

/* One line, valid until the next call on its source. */
struct source_line {
	const char	*p;
	size_t		 len;
	int64_t		 id;		/* the store's source row; 0: none */
	uint64_t	 offset;	/* where it starts: bytes, a sequence number */
	/* a journal entry's fields (p, len: the entry as a line); NULL: a line */
	const struct parse_journal *journal;
};

struct source_ops {
	/* 1: a line; 0: nothing more for now; -1: a database error */
	int	(*next)(struct source *, struct source_line *);
	/* Look again at what is followed (rotation...); full: every check. */
	int	(*poll)(struct source *, int full);
	/* Save the positions reached into the open transaction: 0 or -1. */
	int	(*save)(struct source *);
	/* The transaction was committed: what was saved is the restart point. */
	void	(*committed)(struct source *);
	/* The transaction was rolled back: back to the last commit. */
	void	(*rewind)(struct source *);
	void	(*close)(struct source *);
};

struct source {
	const struct source_ops	*ops;
	const char		*name;		/* for messages */
	const char		*format;	/* "auto", "postfix", "hurricane" */
	/* for the event loop: a path to watch (ev_stat) and/or a descriptor */
	const char		*watch_path;
	int			 watch_fd;
	uint64_t		 lines;		/* handed out (the ingest counts) */
	/*
	 * Set by the source: commit what it saved before it hands out a
	 * line (the first generation of a log never followed: once
	 * committed, a restart after a crash knows the log and looks for
	 * that generation among the rotated files).  Cleared by whoever
	 * commits (the daemon).
	 */
	int			 commit_first;
	struct source		*next;		/* the ingest's list */
};

#define source_next(s, l)	((s)->ops->next((s), (l)))

#endif
