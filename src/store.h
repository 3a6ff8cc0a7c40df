/*
 * store.h -- the history: delivery outcomes and read positions in one
 * database (SQLite: schema in sql/schema.sql).
 *
 * Two narrow interfaces.  The writer's -- open, find or create a source,
 * begin, add, set a position, commit -- and the reader's: functions that
 * return rows (daily counters, failure rows, names) for the report and
 * other readers.  Behind both, a backend (store_backend.h) does the
 * database work: SQLite today, a shared PostgreSQL database next.  Nothing
 * outside the store files speaks SQL.
 *
 * Exactly-once: a batch of rows and counters and the source position they
 * advance to are committed in one transaction.  After any failure the
 * caller rolls back and re-reads from the last committed position.
 */
#ifndef BW_STORE_H
#define BW_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "classify.h"
#include "parse.h"

struct store;
struct tz;

#define STORE_FP_MAX	1024	/* fingerprint: the first bytes of a file */
#define STORE_TAIL_MAX	64	/* marker: the bytes just before the offset */

enum store_mode {
	STORE_RW,		/* create if missing, migrate if older */
	STORE_RO,		/* read-only; never writes, never creates */
};

/*
 * Errors: a function that fails returns -1 (or NULL); store_error() says
 * why, for the caller's retry decision, and store_errmsg() says it in
 * words.  store_open() and store_lock() have no store yet: they fill
 * *why and *cause (a malloc'd message the caller frees) instead.  The
 * enum is only the reason code a caller decides on (retry, exit status),
 * as errno beside a message: the words are always in *cause or
 * store_errmsg().
 */
enum store_err {
	STORE_OK,
	STORE_EBUSY,		/* locked by another connection: retry later */
	STORE_EFULL,		/* disk or quota full: retry later */
	STORE_EIO,		/* I/O error: retry later */
	STORE_ENOTDB,		/* not a bouncewatch/SQLite database */
	STORE_ENEWER,		/* written by a newer bouncewatch */
	STORE_EOTHER,
};

struct store_source {
	int64_t		 id;
	char		 path[1024];
	unsigned char	 fp[STORE_FP_MAX];
	size_t		 fp_len;
	uint64_t	 dev;
	uint64_t	 ino;
	uint64_t	 offset;		/* always at a line start */
	unsigned char	 tail[STORE_TAIL_MAX];
	size_t		 tail_len;
	uint64_t	 lines;
	char		 state[12];		/* active, rotated, done, gone */
	int64_t		 last_commit;		/* seconds since the epoch */
};

#define STORE_SCHEMA_VERSION	7

/*
 * Open (and in STORE_RW create or migrate) the database.  tz gives the
 * local day counters are kept by (NULL: UTC).  NULL on failure, with the
 * reason in *why and a message in *cause.
 */
struct store	*store_open(const char *path, enum store_mode, struct tz *,
		    enum store_err *why, char **cause);
void		 store_close(struct store *);
enum store_err	 store_error(const struct store *);
const char	*store_errmsg(const struct store *);
int		 store_schema_version(struct store *);
/* The zone counters' days are kept in (the caller owns it). */
void		 store_set_tz(struct store *, struct tz *);
/*
 * One writer per database: an exclusive lock on DATABASE.lock, a file of
 * its own (closing a descriptor of the database file would drop SQLite's
 * locks), beside the database's real path: a symbolic link to the file or
 * its directory names the same lock.  Returns the descriptor to keep
 * open, or -1 with *why and *cause: STORE_EBUSY when another process
 * holds it (the caller says what to do), another reason on an error.
 */
int		 store_lock(const char *db, enum store_err *why, char **cause);
/* synchronous = FULL (durable at each commit, the default) or NORMAL. */
void		 store_set_synchronous(struct store *, int full);
/* How long to wait for a lock before failing with STORE_EBUSY (default 5s). */
void		 store_set_busy_timeout(struct store *, int ms);
/*
 * The MTA's maximal queue lifetime (Postfix's maximal_queue_lifetime,
 * default STORE_QUEUE_LIFETIME): a deferred recipient whose last attempt
 * is older than that, in log time, can no longer expire and is forgotten.
 */
#define STORE_QUEUE_LIFETIME	(5 * 86400)
void		 store_set_queue_lifetime(struct store *, int64_t seconds);
/*
 * The write-ahead log's size above which a writer tries to checkpoint and
 * warns, once, that a reader holds it (default STORE_WAL_LIMIT).
 * store_wal_check() does that now: 1 when the log stays over the limit
 * because a reader holds it, 0 when it is fine, -1 on error.  Commits
 * call it every STORE_WAL_EVERY seconds.
 */
#define STORE_WAL_LIMIT		(64 * 1024 * 1024)
#define STORE_WAL_EVERY		10
void		 store_set_wal_limit(struct store *, int64_t bytes);
int		 store_wal_check(struct store *);

/* Sources (log generations). */
/*
 * Find the source whose fingerprint is a prefix of head (or head a prefix
 * of it, when the file is shorter): 1 found, 0 none, -1 error.
 */
int	store_source_match(struct store *, const unsigned char *head, size_t,
	    struct store_source *);
int	store_source_get(struct store *, int64_t id, struct store_source *);
/* The lines of one source by kind (line_stats): 0 or -1. */
int	store_source_kinds(struct store *, int64_t id,
	    int64_t by_kind[LINE_KIND_MAX]);
/* Every source in a state, newest first; returns the count or -1. */
int	store_source_list(struct store *, const char *state,
	    struct store_source **);
/* Create a source (offset 0) inside the current transaction. */
int	store_source_new(struct store *, const char *path,
	    const unsigned char *head, size_t, uint64_t dev, uint64_t ino,
	    struct store_source *);
/* Persist offset, tail, fingerprint, lines, state, path of src. */
int	store_source_save(struct store *, const struct store_source *);
int	store_gap(struct store *, int64_t source_id, uint64_t from,
	    uint64_t to, const char *reason);

/* A batch: BEGIN IMMEDIATE ... COMMIT. */
int	store_begin(struct store *);
/* Add one parsed line (any kind; only deliveries and expiries are stored). */
int	store_add(struct store *, int64_t source_id, uint64_t offset,
	    enum line_kind, const struct delivery *, const struct verdict *);
int	store_commit(struct store *);
void	store_rollback(struct store *);
int	store_in_transaction(struct store *);
/*
 * Time the caller would spend waiting (an import's store between two
 * chunks of lines): a slice of the work the batch holds back for its
 * commit, done now.  1 when it did some, 0 when none is left to do now,
 * -1 as store_add (roll back).
 */
int	store_idle(struct store *);

/*
 * Delete failure detail older than the day 'before' (YYYY-MM-DD), pending
 * deferrals older than the queue lifetime and old sources (below).
 */
int64_t	store_prune(struct store *, const char *before);
/*
 * Forget sources of files long gone: "gone" ones last committed more than
 * STORE_GONE_DAYS ago, "done" ones more than STORE_DONE_DAYS ago (longer
 * than any rotation keeps a file: a file still there would be read again),
 * never the newest source of a path.  Done at every writer's open too.
 * Returns how many, or -1.
 */
#define STORE_GONE_DAYS		30
#define STORE_DONE_DAYS		400
int64_t	store_prune_sources(struct store *);

/*
 * bouncewatch reclassify: apply the classifier again to the failures of
 * the local days from..to (days since the epoch), in one transaction:
 * each row whose verdict changes is rewritten, its daily counter moved
 * and "unrecognised" kept as an import with these rules would have left
 * it.  0, or -1 with the store's error.
 */
struct store_reclass_stats {
	int64_t	 rows;		/* failures read (expired copies are not) */
	int64_t	 changed;	/* rows rewritten */
	int64_t	 classes, reasons, details;	/* of those, what changed */
};
int	store_reclassify(struct store *, const struct classifier *,
	    int64_t from, int64_t to, struct store_reclass_stats *);

/* Size of the write-ahead log in bytes, for status messages (-1: none). */
int64_t	store_wal_size(struct store *);

/*
 * PostgreSQL: "database" is a libpq URI (postgresql://, postgres://) or a
 * "key=value" conninfo; anything else is an SQLite file.  Its writers are
 * nodes: each keeps its read positions under its name (default: the host
 * name).  store_set_node() is a no-op for SQLite.
 */
int	store_is_pg(const char *db);
/* The database's name for messages, its password masked (a static buffer). */
const char *store_display(const char *db);
void	store_set_node(struct store *, const char *);

/*
 * The reader.  Between store_read_begin() and store_read_end() every
 * call sees one snapshot.  Rows are handed to a callback, which returns 0
 * to go on or -1 to stop (the call then returns -1 too).
 */
struct store_range {
	const char	*from;		/* local days "YYYY-MM-DD", inclusive */
	const char	*to;
	int64_t		 t0, t1;	/* the same range in UTC seconds (failures) */
	int64_t		 domain;	/* a domain id; 0: every domain */
	const int64_t	*hosts;		/* host ids (0: not known); NULL: every host */
	size_t		 nhosts;
	const char	*prev_from;	/* the days before, for store_domain_rows() */
	const char	*prev_to;
	int		 with_texts;	/* failure rows: with local and queue_id */
};

/* One per-day counter. */
struct store_daily {
	const char	*day;
	int64_t		 domain_id;
	int64_t		 host_id;	/* 0: not known */
	int64_t		 instance_id;
	int		 cls;
	int		 reason;
	int64_t		 n;
};

/* One failure row (ids of the interned texts, 0 when absent). */
struct store_failure {
	int64_t		 id;
	int64_t		 time;
	int64_t		 domain_id;
	int		 cls;
	int		 reason;
	int64_t		 diagnostic_id;
	int64_t		 relay_id;
	int64_t		 host_id;
	int64_t		 instance_id;
	const char	*local;		/* range.with_texts: NULL when absent */
	const char	*queue_id;
};

/* Interned names a reader can look up by id. */
enum store_name {
	STORE_DOMAIN,		/* the domain's name */
	STORE_RELAY,		/* the relay, "host[addr]:port" */
	STORE_NORMALIZED,	/* a diagnostic's normalised text */
	STORE_HOST,		/* the syslog host */
};

typedef int	(*store_daily_cb)(const struct store_daily *, void *);
typedef int	(*store_failure_cb)(const struct store_failure *, void *);

int	store_read_begin(struct store *);
void	store_read_end(struct store *);
/* The id of a domain or host name: > 0 found, 0 none, -1 error. */
int64_t	store_domain_find(struct store *, const char *name);
int64_t	store_host_find(struct store *, const char *name);
/* Per-day counters of the days from..to. */
int	store_daily_range(struct store *, const struct store_range *,
	    store_daily_cb, void *);
/* Failure rows of the days from..to (and times t0..t1), in id order. */
int	store_failure_range(struct store *, const struct store_range *,
	    store_failure_cb, void *);
/* A name by id: malloc'd, "" when there is none; NULL on error. */
char	*store_name(struct store *, enum store_name, int64_t id);
/*
 * The names of n ids in ascending order, each to cb with its index in ids
 * and the name ("" when there is none; valid during the call): one pass where the backend can (a month's
 * report names tens of thousands of domains).  -1 on error or when cb
 * returns -1.
 */
typedef int	(*store_names_cb)(size_t, const char *, void *);
int	store_names(struct store *, enum store_name, const int64_t *ids,
	    size_t n, store_names_cb, void *);
/* A failure row's full diagnostic and domain, malloc'd ("" when absent). */
int	store_failure_text(struct store *, int64_t id, char **text, char **domain);

/*
 * Distinct failed recipients and messages of the range (local_throttle
 * excluded), aggregated by the database: one row per domain with a
 * failure, then one for every domain (domain_id -1).  A recipient is
 * (domain, local part), counted once in recipients and once in each class
 * it failed in; a message is (host, Postfix instance, queue id).  Only
 * rows not yet pruned count; the range's hosts filter as for failure rows.
 */
struct store_recipients {
	int64_t		 domain_id;	/* -1: every domain */
	int64_t		 recipients;	/* with a failure of any class */
	int64_t		 by_class[CLASS_MAX];	/* ... of each failure class */
	int64_t		 messages;
};
typedef int	(*store_recipients_cb)(const struct store_recipients *, void *);
int	store_recipient_range(struct store *, const struct store_range *,
	    store_recipients_cb, void *);

/*
 * Every domain with a counter in the range, in report order (permanently
 * failed recipients, failed recipients, failures, attempts, all
 * descending, then name), as rows: first one with domain_id -1 holding
 * the distinct recipients and messages of every domain (as
 * store_recipient_range()), then for each domain its counters summed by
 * class and reason over the range (prev 0), then over prev_from..prev_to
 * (prev 1), each row with the domain's name, recipients and messages.
 * The database sorts: the caller holds one domain at a time.
 */
struct store_domrow {
	int64_t		 domain_id;
	const char	*name;
	struct store_recipients	 rc;
	int		 prev;		/* a counter of the days before */
	int		 cls;		/* -1 in the totals row */
	int		 reason;
	int64_t		 n;
};
typedef int	(*store_domrow_cb)(const struct store_domrow *, void *);
int	store_domain_rows(struct store *, const struct store_range *,
	    store_domrow_cb, void *);

/*
 * Day summaries (daysum.h), for the backends that keep them
 * (store_summaries()).  store_summary_get(): 1 with the blob of day
 * (malloc'd) when it was built from the day's rows as they are now
 * (day_span unchanged), 0 when there is none or it is stale.
 * store_summary_put(): keep it, bound to the day's day_span, in its own
 * transaction.  store_summary_days(): the days with rows and no current
 * summary, the latest first.
 */
int	store_summaries(struct store *);
/*
 * Each domain's daily counters of the range's days (from .. to, its
 * domain and hosts) summed by class and reason, in the order of domain
 * id, class and reason (day NULL, host_id and instance_id 0).
 */
int	store_domain_counters(struct store *, const struct store_range *,
	    store_daily_cb, void *);
int	store_summary_get(struct store *, const char *day, unsigned char **,
	    size_t *);
int	store_summary_put(struct store *, const char *day, const void *, size_t);
typedef int	(*store_day_cb)(const char *, void *);
int	store_summary_days(struct store *, store_day_cb, void *);

/*
 * Distinct domains of the range's failure rows by group of diagnostic
 * ids: ids is ",id=group,id=group," (id 0: rows without a diagnostic);
 * for each group with rows, the distinct domains of its failures
 * (local_throttle apart), of those no rule recognised (reason other) and
 * of its local_throttle rows (valid class and reason only).
 */
struct store_textdom {
	int64_t		 index;		/* the group */
	int64_t		 fail;
	int64_t		 other;
	int64_t		 throttle;
};
typedef int	(*store_textdom_cb)(const struct store_textdom *, void *);
int	store_text_domains(struct store *, const struct store_range *,
	    const char *ids, store_textdom_cb, void *);

/*
 * Recipients whose last known outcome is a permanent recipient failure
 * (store_suppress.c keeps them), last seen at or after since (UTC
 * seconds), by domain and recipient.  diagnostic: the last failure's
 * full text, NULL once its row was pruned.
 */
struct store_suppression {
	const char	*recipient;
	const char	*domain;
	int		 reason;
	int64_t		 first_seen;
	int64_t		 last_seen;
	int64_t		 n;		/* such failures */
	const char	*diagnostic;
};
typedef int	(*store_suppression_cb)(const struct store_suppression *, void *);
int	store_suppression_list(struct store *, int64_t since,
	    store_suppression_cb, void *);

/*
 * The live view of bouncewatchd (sql/alerts.sql): the metrics and the
 * alerts.  A watcher is told of every daily counter the writer adds and
 * of every gap, inside the transaction (the caller keeps them until the
 * commit).
 */
struct store_watch {
	void	(*count)(void *, int64_t domain_id, int cls, int reason,
		    int64_t n);
	void	(*gap)(void *);
	void	*arg;
};
void	store_set_watch(struct store *, const struct store_watch *);
/*
 * Attempts and failures (permanent, temporary) of the hours h0..h1
 * (seconds / 3600 of log time): the writer keeps them with every batch.
 */
int	store_hourly_sum(struct store *, int64_t h0, int64_t h1,
	    int64_t *attempts, int64_t *failures);

/* An alert raised (the alert table; v_alerts). */
struct store_alert {
	int64_t		 time;
	const char	*condition;
	const char	*domain;
	const char	*reason;
	const char	*cls;
	int64_t		 count;
	int		 window;
	double		 baseline;
	const char	*document;
};
typedef int	(*store_alert_cb)(const struct store_alert *, void *);
/* Record an alert: in the open batch, or in a transaction of its own. */
int	store_alert_add(struct store *, const struct store_alert *);
/* The alerts raised at or after since, oldest first. */
int	store_alert_list(struct store *, int64_t since, store_alert_cb, void *);
/* Lines read by kind, over every source; gaps recorded. */
int	store_line_totals(struct store *, int64_t by_kind[LINE_KIND_MAX]);
int	store_gap_count(struct store *, int64_t *);
/*
 * Lines stamped within the hours h0..h1 (seconds since the epoch / 3600)
 * and *since, the first hour the database counts lines from (-1: it does
 * not): a day after it without a line had none read at all.
 */
int	store_hourly_lines(struct store *, int64_t h0, int64_t h1,
	    int64_t *lines, int64_t *since);

/*
 * SQLite only: run one statement on the store's own connection and give
 * the first column of its first row (0 when none).  For tuning and tests
 * (PRAGMA cache_size, max_page_count); -1 on error or another backend.
 */
int	store_sqlite_exec(struct store *, const char *sql, int64_t *out);


#endif
