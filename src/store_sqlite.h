/*
 * store_sqlite.h -- inside the SQLite backend: its connection and
 * statements, shared by store_sqlite_open.c (opening, migrating),
 * store_sqlite.c (statements, transactions, the writer's operations),
 * store_sqlite_batch.c (its buffer of writes to pending and suppression),
 * store_sqlite_read.c (the reader's) and store_sqlite_reclass.c.
 */
#ifndef BW_STORE_SQLITE_H
#define BW_STORE_SQLITE_H

#include <sqlite3.h>

#include "store_backend.h"

/* The writer's statements, prepared once at open. */
enum sq_stmt {
	SQ_BEGIN,
	SQ_COMMIT,
	SQ_ROLLBACK,
	SQ_DOMAIN_GET, SQ_DOMAIN_ADD,
	SQ_RELAY_GET, SQ_RELAY_ADD,
	SQ_HOST_GET, SQ_HOST_ADD,
	SQ_RULE_GET, SQ_RULE_ADD,
	SQ_INSTANCE_GET, SQ_INSTANCE_ADD,
	SQ_DIAG_GET, SQ_DIAG_ADD,
	SQ_REPLY_GET, SQ_REPLY_ADD,
	SQ_FAILURE_ADD,
	SQ_DAILY_ADD,
	SQ_DAYSPAN_ADD,
	SQ_UNRECOGNISED_ADD,
	SQ_LINESTAT_ADD,
	SQ_SOURCE_ALL,
	SQ_SOURCE_GET,
	SQ_SOURCE_ADD,
	SQ_SOURCE_SAVE,
	SQ_GAP_ADD,
	SQ_PENDING_PUT,
	SQ_PENDING_DEL,
	SQ_PENDING_GET,
	SQ_PENDING_DELQ,
	SQ_EXPIRE_COPY,
	SQ_DIAG_UNHASHED,
	SQ_DIAG_REHASH,
	SQ_PENDING_QIDS,
	SQ_PENDING_PRUNE,
	SQ_SUPPRESS_PUT,
	SQ_SUPPRESS_DEL,
	SQ_SUPPRESS_KEYS,
	SQ_MAX
};

/* The reader's statements, prepared at first use. */
enum sq_read {
	SR_DOMAIN_FIND,
	SR_HOST_FIND,
	SR_DAILY,
	SR_FAILURES,
	SR_DOMAIN_NAME,
	SR_RELAY_NAME,
	SR_NORMALIZED,
	SR_HOST_NAME,
	SR_FAILURE_TEXT,
	SR_RECIPIENTS,
	SR_SUPPRESSIONS,
	SR_SOURCE_KINDS,
	SR_DOMAIN_ROWS,
	SR_TEXT_DOMAINS,
	SR_FAILURES_TEXT,
	SR_DOMAIN_COUNTERS,
	SR_DOMAIN_NAMES,
	SR_NEXT_DAY,
	SR_MAX
};

/* reclassify's statements (store_sqlite_reclass.c), prepared at first use */
#define SQ_RECLASS_MAX	11
/* The live view's statements (store_sqlite_live.c), prepared at first use. */
enum sq_live {
	SL_HOURLY_ADD,
	SL_HOURLY_SUM,
	SL_ALERT_ADD,
	SL_ALERT_LIST,
	SL_LINE_TOTALS,
	SL_GAP_COUNT,
	SL_HAS_ALERTS,
	SL_LINES_ADD,
	SL_LINES_SUM,
	SL_HAS_LINES,
	SL_MAX
};

struct sq {
	sqlite3		*db;
	sqlite3_stmt	*st[SQ_MAX];
	sqlite3_stmt	*rd[SR_MAX];
	sqlite3_stmt	*rc[SQ_RECLASS_MAX];
	sqlite3_stmt	*live[SL_MAX];
	/* does pending hold rows of instance 0?  (zero_known: 0, not asked yet) */
	int		 zero_known, zero_rows;
	/* the batch's writes to pending and suppression, not applied yet */
	struct sq_ops	*pend, *supp;
};

#define SQ(st)	((struct sq *)(st)->bd)

/* Record an SQLite failure (the result code says why); returns -1. */
int	sq_fail(struct store *, int rc, const char *what);
/* Step a statement that returns no row and reset it; -1 recorded. */
int	sq_step(struct store *, sqlite3_stmt *, const char *what);
int	sq_bind_span(sqlite3_stmt *, int, struct span);
void	sq_bind_id(sqlite3_stmt *, int, int64_t);	/* 0: NULL */
/* Prepare the writer's statement; -1 recorded. */
int	sq_prepare(struct store *, enum sq_stmt);

/* store_sqlite_batch.c: the batch's writes to pending and suppression */
enum sq_opkind {
	SQ_OP_PPUT,		/* pending: a recipient deferred */
	SQ_OP_PDEL,		/* pending: its row forgotten */
	SQ_OP_SPUT,		/* suppression: a recipient listed */
	SQ_OP_SDEL,		/* suppression: unlisted by a delivery */
	SQ_OP_DONE		/* applied already (an expiry's message) */
};
/* Buffer the writes to a table of nrows rows (from a size on), or not. */
void	sq_ops_use(struct sq_ops **, int64_t nrows);
void	sq_ops_free(struct sq *);
void	sq_ops_clear(struct sq_ops *);		/* rollback: forget them */
int	sq_ops_flush(struct store *, struct sq_ops *);
int	sq_ops_flush_all(struct store *);
int	sq_ops_idle(struct store *);		/* store_idle */
/* The waiting writes to one message's pending rows, applied. */
int	sq_ops_flush_message(struct store *, const struct store_qkey *);
int	sq_pending_op(struct store *, enum sq_opkind, const struct store_qkey *,
	    int64_t rcpt, int64_t failure_id, int64_t time);
int	sq_suppress_op(struct store *, enum sq_opkind, int64_t domain_id,
	    struct span local, int reason, int64_t time, int64_t failure_id);

/* store_sqlite_open.c */
int	sq_open(struct store *, const char *, enum store_mode);
void	sq_close(struct store *);
int	sq_version(struct store *);
int	sq_exec_sql(struct store *, const char *);
int	sq_rehash(struct store *);
void	sq_set_synchronous(struct store *, int);
void	sq_set_busy_timeout(struct store *, int);
int64_t	sq_wal_size(struct store *);
int	sq_checkpoint(struct store *, int64_t *, int *);

/* store_sqlite_read.c */
void	sq_read_close(struct sq *);
int	sq_read_begin(struct store *);
void	sq_read_end(struct store *);
int64_t	sq_name_find(struct store *, enum store_name, const char *);
int	sq_daily_range(struct store *, const struct store_range *,
	    store_daily_cb, void *);
int	sq_failure_range(struct store *, const struct store_range *,
	    store_failure_cb, void *);
char	*sq_name(struct store *, enum store_name, int64_t);
int	sq_names(struct store *, enum store_name, const int64_t *, size_t,
	    store_names_cb, void *);
int	sq_failure_text(struct store *, int64_t, char **, char **);
int	sq_exec(struct store *, const char *, int64_t *);
int	sq_domain_rows(struct store *, const struct store_range *, store_domrow_cb,
	    void *);
int	sq_text_domains(struct store *, const struct store_range *, const char *,
	    store_textdom_cb, void *);
int	sq_recipient_range(struct store *, const struct store_range *,
	    store_recipients_cb, void *);
int	sq_suppression_list(struct store *, int64_t, store_suppression_cb, void *);
/* store_sqlite_sum.c: day summaries */
int	sq_domain_counters(struct store *, const struct store_range *,
	    store_daily_cb, void *);
int	sq_summary_get(struct store *, const char *, unsigned char **, size_t *);
int	sq_summary_put(struct store *, const char *, const void *, size_t);
int	sq_summary_days(struct store *, store_day_cb, void *);
int	sq_source_each(struct store *, int (*)(const struct store_source *, void *),
	    void *);
int	sq_source_get(struct store *, int64_t, struct store_source *);
int	sq_source_kinds(struct store *, int64_t, int64_t *);

/* store_sqlite_reclass.c */
void	sq_reclass_close(struct sq *);
int	sq_reclass_rows(struct store *, const char *, const char *,
	    store_rrow_cb, void *);
int	sq_failure_reclass(struct store *, int64_t, int, int, int64_t,
	    const char *);
int	sq_daily_tidy(struct store *);
int	sq_unrecognised_get(struct store *, const char *, int64_t *, int64_t *,
	    int64_t *);
int	sq_unrecognised_set(struct store *, const char *, int64_t, int64_t,
	    int64_t, struct span, const char *);
int	sq_suppress_rows(struct store *, int, store_srow_cb, void *);
int	sq_suppress_get(struct store *, int64_t, struct span, struct store_supp *);
int	sq_suppress_set(struct store *, int64_t, struct span,
	    const struct store_supp *);
/* store_sqlite_live.c */
void	sq_live_close(struct sq *);
int	sq_live_tables(struct store *);
int	sq_hourly_add(struct store *, int64_t, int64_t, int64_t, int64_t);
int	sq_hourly_lines(struct store *, int64_t, int64_t, int64_t *, int64_t *);
int	sq_hourly_sum(struct store *, int64_t, int64_t, int64_t *, int64_t *);
int	sq_alert_add(struct store *, const struct store_alert *);
int	sq_alert_list(struct store *, int64_t, store_alert_cb, void *);
int	sq_line_totals(struct store *, int64_t *);
int	sq_gap_count(struct store *, int64_t *);

#endif
