/*
 * source_journal.h -- the systemd journal as a source (source.h): entries
 * of the mail facility, read with sd-journal, resumed exactly once from
 * the cursor committed with the rows they produced.
 */
#ifndef BW_SOURCE_JOURNAL_H
#define BW_SOURCE_JOURNAL_H

#include <stdint.h>

struct source;
struct store;

/* The default match: what Postfix sends with syslog(3), facility mail. */
#define SOURCE_JOURNAL_MATCH	"SYSLOG_FACILITY=2"

struct source_journal_conf {
	const char	*dir;		/* NULL: the local system journal */
	const char	*match;		/* NULL: SOURCE_JOURNAL_MATCH */
	int		 retry;		/* the daemon: a journal that cannot be read
					   is tried again (and said so) with back-off */
};

/*
 * Open the local system journal or the journal files of a directory (as
 * journalctl -D), with a match in journalctl's syntax ("FIELD=value ...",
 * "+" between alternatives).  The position is the store's source row named
 * "journal" or "journal:DIR" (st NULL: from the oldest entry, saved
 * nowhere).  NULL with *cause set on failure: a bad match, a store error,
 * or (without retry) a journal that cannot be read.
 */
struct source	*source_journal_open(struct store *st,
		    const struct source_journal_conf *, char **cause);
/*
 * For "bouncewatchd -n": whether that journal can be opened and every
 * journal file of it read by this process.  0, or -1 with *cause set.
 */
int		 source_journal_check(const struct source_journal_conf *,
		    char **cause);
/* How far the journal is ahead of a saved cursor (bouncewatch status). */
struct source_journal_lag {
	uint64_t	 behind;	/* matching entries after the cursor */
	int		 more;		/* stopped counting at SOURCE_JOURNAL_COUNT */
	int		 gone;		/* the cursor's entry is no longer there */
	uint64_t	 newest_us;	/* the newest matching entry; 0: none */
};
#define SOURCE_JOURNAL_COUNT	1000000

/* 0, or -1 with *cause set when the journal cannot be read. */
int		 source_journal_lag(const struct source_journal_conf *,
		    const char *cursor, struct source_journal_lag *, char **cause);
/* Whether this build has the journal source (libsystemd). */
int		 source_journal_available(void);
/* Whether a source is a journal (for the daemon's state listing). */
int		 source_is_journal(const struct source *);
/* Log the state: following, waiting or unreadable, the cursor, the last entry. */
void		 source_journal_log_state(struct source *);

#endif
