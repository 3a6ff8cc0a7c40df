/*
 * store_backend.h -- inside the store (only store*.c include it): the
 * state every backend shares (struct store) and the backend interface, a
 * table of operations in the manner of OpenSMTPD's queue backends.
 */
#ifndef BW_STORE_BACKEND_H
#define BW_STORE_BACKEND_H

#include <stdint.h>

#include "diag.h"
#include "hash.h"
#include "store.h"

/* Interned texts: a string -> a small id, once per database. */
enum store_intern {
	I_DOMAIN,
	I_RELAY,
	I_HOST,
	I_RULE,
	I_INSTANCE,		/* a Postfix instance: "postfix-out" */
	I_DIAG,			/* templates: also a hash and a normalised text */
	I_REPLY,		/* (code, dsn, stage): a key of its own */
	I_MAX
};

/* One failure row as the writer builds it. */
struct store_frow {
	int64_t		 time;
	int32_t		 day;		/* the line's local day + STORE_DAY0 */
	int64_t		 source_id;	/* 0: none (offset ignored) */
	uint64_t	 offset;
	int64_t		 host_id;	/* 0: NULL */
	int64_t		 instance_id;	/* 0: NULL */
	struct span	 queue_id;
	struct span	 local;
	int64_t		 domain_id;
	int64_t		 relay_id;	/* 0: NULL */
	int		 status_id;
	int		 cls;
	int		 reason;
	int64_t		 reply_id;
	int64_t		 diag_id;	/* 0: NULL, and no arguments */
	int64_t		 rule_id;	/* 0: NULL */
	struct diag_args args;
	const char	*detail;	/* "spf", "dnsbl:spamcop"; NULL: none */
};

/* The expiry of one pending recipient: its last deferral, copied. */
struct store_expiry {
	int64_t		 time;
	int32_t		 day;		/* the expiry line's local day + STORE_DAY0 */
	int64_t		 source_id;
	uint64_t	 offset;
	int64_t		 host_id;
	int64_t		 instance_id;
	int		 cls;
	int		 reason;
	int64_t		 rule_id;
};

/* Counters of one batch: (day, domain, class, reason, host, instance) -> n. */
struct store_counter {
	int32_t		 day;		/* local days since epoch + STORE_DAY0 */
	int32_t		 cls;
	int32_t		 reason;
	int64_t		 domain_id;
	int64_t		 host_id;	/* 0: not known */
	int64_t		 instance_id;
	int64_t		 n;
};

/* A queue id is unique only per host and Postfix instance. */
struct store_qkey {
	int64_t		 host_id;
	int64_t		 instance_id;
	struct span	 queue_id;
	int		 unknown;	/* pending_put: no row of this host and
					 * queue id before (the writer's filter) */
};

/* The rowid span of a day's failure rows (the report reads by span). */
struct store_dayspan {
	int32_t		 day;
	int64_t		 first, last;
};

#define STORE_DAY0	1000000		/* day keys stay positive */
#define STORE_COUNTERS	32768		/* per batch (1.5 MiB), flushed when full */
#define STORE_DAYSPANS	64
#define STORE_QBITS_ORDER 21	/* the filter of pending queue ids: 256 KiB */
#define STORE_SBITS_ORDER 24	/* the filter of suppressed recipients: 2 MiB */

/* A bounded, direct-mapped cache slot: one key per hash bucket. */
struct store_islot {
	uint64_t	 hash;
	int64_t		 id;
	char		*key;
	size_t		 len;
};

/* Lines, delivery attempts and failures of one hour of log time, in a batch. */
struct store_hour {
	int64_t		 hour;		/* seconds since the epoch / 3600 */
	int64_t		 attempts;
	int64_t		 failures;	/* permanent and temporary */
	int64_t		 lines;		/* every line stamped in the hour */
};

#define STORE_HOURS	8	/* distinct hours per batch, flushed when full */

struct store_backend;

struct store {
	const struct store_backend *be;
	void		*bd;		/* the backend's own state */
	struct tz	*tz;
	int		 readonly;
	int		 in_tx;
	int64_t		 queue_lifetime;
	int64_t		 wal_limit;
	int64_t		 wal_checked;	/* when store_wal_check() last ran */
	int		 wal_warned;	/* the WAL is held: said once */
	enum store_err	 err;
	char		 errmsg[512];

	/* the writer (store_write.c) */
	struct store_islot *cache[I_MAX];
	struct store_counter counters[STORE_COUNTERS];
	size_t		 ncounters;
	struct hash	 counter_map;	/* key -> counters index + 1 */
	int		 last_origin_ok;	/* the host and instance of the last line */
	char		 last_host[64];
	size_t		 last_host_len;
	int64_t		 last_host_id;
	char		 last_inst[64];
	size_t		 last_inst_len;
	int64_t		 last_inst_id;
	struct store_dayspan spans[STORE_DAYSPANS];
	size_t		 nspans;
	int64_t		 linestat[LINE_KIND_MAX];
	int64_t		 linestat_source;
	struct hash_filter qfilter;	/* pending (host, queue id) */
	int		 qset_stale;	/* reload from the database at next begin */
	int		 filters_due;	/* the batch has not loaded them yet */
	char		*tmpl;		/* scratch for templates */
	size_t		 tmpl_cap;
	char		*norm;
	size_t		 norm_cap;
	int64_t		 latest;	/* the newest log time added */
	int64_t		 latest_max;	/* ... believed: up to a day from now */
	int64_t		 expired_to;	/* pending forgotten up to this time */

	/* store_suppress.c: (domain id, local) of suppressed recipients */
	struct hash_filter sfilter;
	int		 sset_stale;	/* reload at next begin */
	struct store_watch watch;	/* the live view (store_live.c) */
	struct store_hour hours[STORE_HOURS];	/* the batch's hourly totals */
	size_t		 nhours;
};

typedef int	(*store_qid_cb)(int64_t host_id, const char *, size_t, void *);
typedef int	(*store_skey_cb)(int64_t domain_id, const char *, size_t, void *);

/* A stored failure as reclassify reads it (store_reclass.c). */
struct store_rrow {
	int64_t		 id;
	int64_t		 time;
	int64_t		 domain_id;
	int64_t		 host_id;	/* 0: NULL */
	int64_t		 instance_id;	/* 0: NULL */
	int		 status_id;
	int		 cls;
	int		 reason;
	int		 code;		/* the reply's: 0 none */
	struct span	 dsn;		/* the reply's dsn ("" none) */
	struct span	 stage;		/* the reply's stage ("" none) */
	struct span	 text;		/* the whole diagnostic; p NULL: none */
	const char	*rule;		/* NULL: none */
	const char	*detail;	/* NULL: none */
	const char	*domain;	/* the recipient domain's name */
	struct span	 local;		/* failure.local; p NULL: none */
};
typedef int	(*store_rrow_cb)(const struct store_rrow *, void *);

/* A failure row of class cls as reclassify's suppression pass reads it. */
struct store_srow {
	int64_t		 id;
	int64_t		 time;
	int64_t		 domain_id;
	int		 reason;
	struct span	 local;		/* failure.local */
	const char	*domain;	/* the domain's name */
};
typedef int	(*store_srow_cb)(const struct store_srow *, void *);

/* One row of "suppression" (n 0: none). */
struct store_supp {
	int		 reason;
	int64_t		 first, last, n;
	int64_t		 failure_id;	/* 0: NULL */
};

/* A failure row whose verdict reclassify changes (store_suppress_redo). */
struct store_sredo {
	int64_t		 id;
	int64_t		 time;
	int64_t		 domain_id;
	char		*local;		/* the suppression key's local part */
	int		 was, now;	/* the reason it is listed for; 0: none */
};

/*
 * A backend owns a connection and speaks its SQL; it never decides what
 * is counted (store_write.c does).  Ids are int64 handed out by the
 * database (INSERT ... RETURNING for a server).  A failing operation
 * calls store_fail() and returns -1.
 *
 * What a PostgreSQL backend (libpq) implements: open = PQconnectdb, the
 * schema checked or migrated in a transaction (sql/pg/); begin, commit
 * and rollback as such (rollback also after a lost connection, then a
 * reconnection at the next begin); the write operations as statements
 * prepared once (PQprepare, PQexecPrepared), daily_add as one multi-row
 * INSERT ... ON CONFLICT DO UPDATE in key order (concurrent writers
 * cannot deadlock), sources keyed by node as well; the reader's range
 * queries in single-row mode (PQsetSingleRowMode) so a large range
 * streams, filtering hosts in SQL (host_id = ANY($n)).  set_synchronous
 * maps to synchronous_commit, set_busy_timeout to lock_timeout; wal_size
 * and checkpoint have nothing to do (0), exec is NULL.  The live view's
 * hourly totals are the whole fleet's rows: hourly_add keeps them in the
 * batch, upserted at commit after the rest, in hour order.
 */

struct store_backend {
	const char	*backend;

	/* opening (create, validate, migrate), closing, tuning */
	int	(*open)(struct store *, const char *path, enum store_mode);
	void	(*close)(struct store *);
	int	(*version)(struct store *);
	void	(*set_synchronous)(struct store *, int full);
	void	(*set_busy_timeout)(struct store *, int ms);
	int64_t	(*wal_size)(struct store *);

	/* transactions: the writer's, and the reader's snapshot */
	int	(*begin)(struct store *);
	int	(*commit)(struct store *);
	void	(*rollback)(struct store *);	/* a no-op outside one */
	int	(*read_begin)(struct store *);
	void	(*read_end)(struct store *);
	/* optional: a slice of what commit would do, now (store_idle) */
	int	(*idle)(struct store *);

	/* the writer */
	int64_t	(*intern)(struct store *, enum store_intern, const char *,
		    size_t, const char *normalized, uint64_t hash);
	int64_t	(*reply)(struct store *, int code, struct span dsn,
		    struct span stage);
	int64_t	(*failure_add)(struct store *, const struct store_frow *);
	int	(*unrecognised_add)(struct store *, const char *normalized,
		    int64_t time, struct span example, const char *domain);
	int	(*daily_add)(struct store *, const struct store_counter *,
		    size_t);
	int	(*spans_add)(struct store *, const struct store_dayspan *,
		    size_t);
	int	(*linestats_add)(struct store *, int64_t source_id,
		    const int64_t *by_kind);
	int	(*pending_put)(struct store *, const struct store_qkey *,
		    int64_t rcpt, int64_t failure_id, int64_t time);
	int	(*pending_del)(struct store *, const struct store_qkey *,
		    int64_t rcpt);
	/* the failure rows of a message's pending recipients: count or -1 */
	int	(*pending_get)(struct store *, const struct store_qkey *,
		    int64_t **ids);
	int	(*pending_forget)(struct store *, const struct store_qkey *);
	/* every (host, queue id) with pending rows */
	int	(*pending_qids)(struct store *, store_qid_cb, void *);
	/* forget pending rows whose last deferral is older than before */
	int	(*pending_expire)(struct store *, int64_t before);
	/* copy failure_id as expired: 1 with the new row and its domain, 0 gone */
	int	(*expire_copy)(struct store *, int64_t failure_id,
		    const struct store_expiry *, int64_t *row, int64_t *domain);
	int	(*diag_rehash)(struct store *);

	/* sources (log generations) and gaps */
	/* every source, newest first, to cb (which returns 0, or -1 to stop) */
	int	(*source_each)(struct store *,
		    int (*)(const struct store_source *, void *), void *);
	int	(*source_get)(struct store *, int64_t, struct store_source *);
	/* its lines by kind: by_kind[LINE_KIND_MAX], zeroed first */
	int	(*source_kinds)(struct store *, int64_t, int64_t *by_kind);
	int64_t	(*source_add)(struct store *, const struct store_source *,
		    int64_t now);
	int	(*source_save)(struct store *, const struct store_source *,
		    int64_t now);
	int	(*gap_add)(struct store *, int64_t now, int64_t source_id,
		    uint64_t from, uint64_t to, const char *reason);

	/* maintenance: failure rows before the day and time, and their spans */
	int64_t	(*prune)(struct store *, const char *before_day, int64_t before);
	int64_t	(*sources_prune)(struct store *, int64_t gone_before,
		    int64_t done_before);
	/* checkpoint attempt: the WAL's bytes, and whether a reader holds it */
	int	(*checkpoint)(struct store *, int64_t *bytes, int *held);

	/* the reader */
	int64_t	(*name_find)(struct store *, enum store_name, const char *);
	int	(*daily_range)(struct store *, const struct store_range *,
		    store_daily_cb, void *);
	int	(*failure_range)(struct store *, const struct store_range *,
		    store_failure_cb, void *);
	char	*(*name)(struct store *, enum store_name, int64_t);
	/* optional: else store_names() asks name() for each */
	int	(*names)(struct store *, enum store_name, const int64_t *,
		    size_t, store_names_cb, void *);
	int	(*failure_text)(struct store *, int64_t, char **, char **);
	int	(*exec)(struct store *, const char *, int64_t *);

	/* reclassify (store_reclass.c), inside the writer's transaction */
	/* failure rows of day_span days from..to (YYYY-MM-DD), in id order */
	int	(*reclass_rows)(struct store *, const char *from, const char *to,
		    store_rrow_cb, void *);
	int	(*failure_reclass)(struct store *, int64_t id, int cls,
		    int reason, int64_t rule_id, const char *detail);
	/* delete the daily counters that reclassify brought to 0 */
	int	(*daily_tidy)(struct store *);
	/* 1 with n, first_seen, last_seen of a normalised reply; 0 none */
	int	(*unrecognised_get)(struct store *, const char *normalized,
		    int64_t *n, int64_t *first, int64_t *last);
	/* set it (n 0: delete); example.p NULL keeps example and domain */
	int	(*unrecognised_set)(struct store *, const char *normalized,
		    int64_t n, int64_t first, int64_t last, struct span example,
		    const char *domain);
	/* the name a writer's read positions are kept under (NULL: one writer) */
	void	(*set_node)(struct store *, const char *);

	int	(*recipient_range)(struct store *, const struct store_range *,
		    store_recipients_cb, void *);
	/* the report's aggregates, summed and sorted by the database */
	int	(*domain_rows)(struct store *, const struct store_range *,
		    store_domrow_cb, void *);
	int	(*text_domains)(struct store *, const struct store_range *,
		    const char *, store_textdom_cb, void *);
	int	(*suppression_list)(struct store *, int64_t since,
		    store_suppression_cb, void *);
	/* day summaries (store.h); optional */
	int	(*domain_counters)(struct store *, const struct store_range *,
		    store_daily_cb, void *);
	int	(*summary_get)(struct store *, const char *, unsigned char **,
		    size_t *);
	int	(*summary_put)(struct store *, const char *, const void *, size_t);
	int	(*summary_days)(struct store *, store_day_cb, void *);

	/* suppressions (store_suppress.c): upsert, delete if not later, keys */
	int	(*suppress_put)(struct store *, int64_t domain_id, struct span local,
		    int reason, int64_t time, int64_t failure_id);
	int	(*suppress_del)(struct store *, int64_t domain_id, struct span local,
		    int64_t time);
	int	(*suppress_keys)(struct store *, store_skey_cb, void *);
	/* reclassify: failure rows of class cls, not expired, with a local
	 * part, in id order; one row of the list; set it (n 0: delete) */
	int	(*suppress_rows)(struct store *, int cls, store_srow_cb, void *);
	int	(*suppress_get)(struct store *, int64_t domain_id, struct span local,
		    struct store_supp *);
	int	(*suppress_set)(struct store *, int64_t domain_id, struct span local,
		    const struct store_supp *);
	/* the live view (sql/alerts.sql) */
	int	(*hourly_add)(struct store *, int64_t hour, int64_t attempts,
		    int64_t failures, int64_t lines);
	int	(*hourly_sum)(struct store *, int64_t h0, int64_t h1,
		    int64_t *attempts, int64_t *failures);
	int	(*alert_add)(struct store *, const struct store_alert *);
	int	(*alert_list)(struct store *, int64_t since, store_alert_cb,
		    void *);
	int	(*line_totals)(struct store *, int64_t *by_kind);
	/* lines stamped in hours h0..h1; *since: the first hour counted, -1 none */
	int	(*hourly_lines)(struct store *, int64_t h0, int64_t h1,
		    int64_t *lines, int64_t *since);
	int	(*gap_count)(struct store *, int64_t *);
};

extern const struct store_backend store_backend_sqlite;
extern const struct store_backend store_backend_pg;	/* store_pg.c */

/* Record why and what failed (the one message path); returns -1. */
int	store_fail(struct store *, enum store_err, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
/* Give a file just created to the owner of ref (or of path's directory). */
void	store_give_away(int fd, const char *path, const char *ref);
/* The hash a diagnostic template is stored with (never 0). */
int64_t	store_diag_hash(const char *, size_t);
/* A range's hosts as ",1,2," for SQL (malloc'd), NULL for every host. */
char	*store_range_hosts(const struct store_range *);
/* "YYYY-MM-DD" of a counter's day key. */
void	store_day_text(int32_t key, char *buf);

/* store_live.c: the writer's hourly totals (sql/alerts.sql). */
int	store_hour_note(struct store *, int64_t time, int attempt, int failed);
int	store_hours_flush(struct store *);
/* reclassify: a failure row of that time moved from class old to new. */
int	store_hour_move(struct store *, int64_t time, int old, int new);

/* store_write.c: the writer's batch, flushed at commit, dropped at rollback. */
int	store_write_init(struct store *);
void	store_write_free(struct store *);
int	store_write_begin(struct store *);
int	store_write_flush(struct store *);
void	store_write_reset(struct store *);
void	store_write_forget(struct store *);

/* store_suppress.c: recipients that bounce permanently, kept by the writer. */
int	store_suppress_begin(struct store *);
int	store_suppress_note(struct store *, const struct delivery *,
	    const struct verdict *, int64_t domain_id, int64_t row);
void	store_suppress_reset(struct store *);
void	store_suppress_free(struct store *);
/* The reason a verdict lists its recipient for, 0 none. */
int	store_suppress_listed(int cls, int reason);
/* failure.local of a domain as the list keys it (malloc'd), NULL: none. */
char	*store_suppress_key(struct span local, const char *domain);
/* reclassify: the list as a fresh import with the new verdicts keeps it */
int	store_suppress_redo(struct store *, const struct store_sredo *, size_t);

#endif
