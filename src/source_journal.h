/*
 * source_journal.h -- the systemd journal as a source (source.h): entries
 * of the mail facility, read with sd-journal, resumed exactly once from
 * the cursor committed with the rows they produced.
 */
#ifndef BW_SOURCE_JOURNAL_H
#define BW_SOURCE_JOURNAL_H

struct source;
struct store;

/* The default match: what Postfix sends with syslog(3), facility mail. */
#define SOURCE_JOURNAL_MATCH	"SYSLOG_FACILITY=2"

/*
 * Open the local system journal (dir NULL) or the journal files of a
 * directory, with a match in journalctl's syntax ("FIELD=value ...", "+"
 * between alternatives; NULL: the default).  The position is the store's
 * source row named "journal" or "journal:DIR" (st NULL: from the start,
 * saved nowhere).  NULL with *cause set on failure.
 */
struct source	*source_journal_open(struct store *st, const char *dir,
		    const char *match, char **cause);
/*
 * For "bouncewatchd -n" and log = auto: whether that journal can be opened
 * and holds files this process may read.  0, or -1 with *cause set.
 */
int		 source_journal_check(const char *dir, const char *match,
		    char **cause);
/* Whether this build has the journal source (libsystemd). */
int		 source_journal_available(void);

#endif
