/*
 * store_pg.h -- inside the PostgreSQL backend: its connections, the
 * batch it holds until commit and the helpers shared by store_pg.c
 * (connections, schema, transactions, sources, prune), store_pg_write.c
 * (the writer's operations), store_pg_pending.c (pending deferrals),
 * store_pg_live.c (hourly totals and alerts), store_pg_read.c (the
 * reader's) and store_pg_sum.c (day summaries).
 */
#ifndef BW_STORE_PG_H
#define BW_STORE_PG_H

#include <inttypes.h>

#include <libpq-fe.h>

#include "store_backend.h"
#include "store_pg_dl.h"	/* PQ calls go through the loaded library */

#define PG_SCHEMA_VERSION	6
#define PG_LOCK_CLASS		25207	/* advisory locks: ('b' << 8) | 'w' */
#define PG_COPY_FLUSH		(4 << 20)	/* bytes of COPY data held at most */
#define PG_QID_MAX		200		/* bytes of a queue id kept */
#define PG_NAME_MAX		1024		/* bytes of a name kept (btree keys) */

/* A growing byte buffer (COPY data, SQL text, sanitised strings). */
struct pgbuf {
	char		*p;
	size_t		 n;
	size_t		 cap;
};

/* An unrecognised reply of the batch, merged by normalised text. */
struct pg_unrec {
	char		*norm;
	char		*example;
	char		*domain;
	int64_t		 n;
	int64_t		 first, last;
};

/* A suppression put or delete of the batch, applied at commit in order. */
struct pg_sop {
	int64_t		 domain_id;
	char		*local;
	int64_t		 time;
	int64_t		 failure_id;
	int		 reason;
	int		 put;		/* 0: delete if not later */
};

/* A failure row in the COPY buffer. */
struct pg_frow {
	int64_t		 id;
	int64_t		 domain;
	size_t		 off;		/* its line's first byte */
};

/* A pending deferral's put or delete, the batch's last for its key. */
struct pg_pop {
	char		*qid;
	int64_t		 host_id;
	int64_t		 instance_id;
	int64_t		 rcpt;
	int64_t		 failure_id;
	int64_t		 time;
	int		 put;		/* 0: delete */
	int		 dead;		/* its queue id expired in the batch */
	size_t		 next;		/* the queue id's previous pop + 1 */
};

/*
 * Names by id read ahead: a reader that asks for ids in ascending order
 * (a report's domains) gets the next PG_NAMES_AHEAD of the table in one
 * statement; one asking for many in no order (its texts) gets a small
 * table whole.  Every id in lo .. hi is in it, or is in no row.
 */
#define PG_NAMES_AHEAD	1024
#define PG_NAMES_RUN	8	/* ascending asks in a row before reading ahead */
#define PG_NAMES_MISSES	64	/* asks in no order before a table is read whole */
#define PG_NAMES_ALL	65536	/* ... if it holds no more names than that */
struct pg_names {
	int		 which;		/* its enum store_name; -1: empty */
	int64_t		 lo, hi;
	int64_t		*ids;
	char		**names;
	size_t		 n;
	int		 last_which;
	int64_t		 last;		/* the last id asked for */
	int		 run;		/* ascending asks in a row */
	int		 misses[4];	/* asks by enum store_name in this snapshot */
	int		 whole[4];	/* ... and whether it was read whole */
};

struct pg {
	char		*conninfo;
	PGconn		*c;
	int		 ro;
	int		 tx;		/* BEGIN sent on c */
	int		 sync_off;	/* synchronous_commit = off */
	int		 lock_ms;	/* lock_timeout, 0: none */
	int		 temp;		/* the session's staging tables exist */
	char		 xid[32];	/* the open transaction's id */
	char		 uncertain[32];	/* a COMMIT whose answer was lost */

	char		 node[256];
	int64_t		 node_id;	/* 0: not yet looked up */
	int		 node_locked;	/* the session holds its advisory lock */
	int		 named;		/* store_set_node() was called */

	int64_t		 id_next;	/* failure ids reserved: [id_next, id_end) */
	int64_t		 id_end;

	struct pgbuf	 names;		/* interned values new to the batch, COPY */
	struct hash	 namemap;
	struct hash	 known;		/* ids committed in earlier batches */
	struct pgbuf	 frows;		/* failure rows, COPY text */
	int64_t		 frows_first;	/* the first id in frows, 0: empty */
	struct pg_frow	*fr;		/* the rows in frows, in id order */
	size_t		 nfr, frcap;
	struct pg_pop	*pop;		/* pending puts and deletes of the batch */
	size_t		 npop, popcap;
	struct hash	 popmap;	/* (queue id, rcpt) -> pop index + 1 */
	struct hash	 pqids;		/* message -> its last pop index + 1 */
	struct store_counter *cnt;	/* the batch's, merged at commit */
	size_t		 ncnt, cntcap;
	struct store_dayspan *spans;
	size_t		 nspans, spancap;
	struct pg_sop	*sop;		/* suppressions of the batch */
	size_t		 nsop, sopcap;
	struct pg_unrec	*unrec;
	size_t		 nunrec, unreccap;
	struct hash	 unrecmap;

	struct store_hour *hours;	/* the batch's hourly totals (store_pg_live.c) */
	char		 reclass[2][16];	/* reclassify's days, "": none */
	struct pg_names	 win;		/* names by id, read ahead (store_pg_read.c) */
	size_t		 nhours, hourcap;

	struct pgbuf	 tmp;		/* scratch: sanitised texts */
	struct pgbuf	 tmp2;
	struct pgbuf	 sql;		/* scratch: statement text */
};

#define PG(st)	((struct pg *)(st)->bd)

/* store_pg.c */
int	 pg_fail(struct store *, PGconn *, PGresult *, const char *what);
int	 pg_ok(struct store *, PGconn *, PGresult *, ExecStatusType,
	    const char *what);
PGresult *pg_exec(struct store *, PGconn *, const char *sql, int n,
	    const char *const *vals, const int *lens, const int *fmts,
	    ExecStatusType, const char *what);
int	 pg_cmd(struct store *, PGconn *, const char *sql, const char *what);
int	 pg_cmd_params(struct store *, const char *sql, int n,
	    const char *const *vals, const char *what);
/* An int64 as a statement's text parameter, in buf (char[24]). */
#define PG_I64(buf, v)	(snprintf((buf), sizeof(buf), "%" PRId64, (int64_t)(v)), (buf))
int	 pg_node_find(struct store *);	/* the node's id, if it exists */
int	 pg_node(struct store *);	/* and its lock, before its writes */
void	 pg_buf_add(struct pgbuf *, const void *, size_t);
void	 pg_buf_printf(struct pgbuf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* Valid UTF-8 without NUL: invalid bytes become '?'; COPY escaping. */
void	 pg_buf_text(struct pgbuf *, const char *, size_t, int copy);
const char *pg_cstr(struct store *, const char *, size_t);

/* store_pg_write.c */
int	 pg_copy(struct store *, const char *, struct pgbuf *, const char *);
int64_t	 pg_intern(struct store *, enum store_intern, const char *, size_t,
	    const char *, uint64_t);
int64_t	 pg_reply(struct store *, int, struct span, struct span);
int64_t	 pg_failure_add(struct store *, const struct store_frow *);
int	 pg_unrecognised_add(struct store *, const char *, int64_t,
	    struct span, const char *);
int	 pg_daily_add(struct store *, const struct store_counter *, size_t);
int	 pg_spans_add(struct store *, const struct store_dayspan *, size_t);
int	 pg_linestats_add(struct store *, int64_t, const int64_t *);
int	 pg_pending_put(struct store *, const struct store_qkey *, int64_t,
	    int64_t, int64_t);
int	 pg_pending_del(struct store *, const struct store_qkey *, int64_t);
int	 pg_pending_get(struct store *, const struct store_qkey *, int64_t **);
int	 pg_pending_forget(struct store *, const struct store_qkey *);
int	 pg_pending_qids(struct store *, store_qid_cb, void *);
int	 pg_pending_expire(struct store *, int64_t);
int	 pg_expire_copy(struct store *, int64_t, const struct store_expiry *,
	    int64_t *, int64_t *);
int	 pg_write_flush(struct store *);	/* everything, at commit */
int	 pg_flush_counters(struct store *);	/* the counters, before */
void	 pg_write_committed(struct pg *);	/* then, once committed */
void	 pg_write_drop(struct pg *);		/* the batch, at rollback */

/* store_pg_pending.c */
int	 pg_flush_pending(struct store *);
void	 pg_pop_drop(struct pg *);
void	 pg_write_free(struct pg *);

/* store_pg_suppress.c */
int	 pg_suppress_put(struct store *, int64_t, struct span, int, int64_t,
	    int64_t);
int	 pg_suppress_del(struct store *, int64_t, struct span, int64_t);
int	 pg_suppress_keys(struct store *, store_skey_cb, void *);
int	 pg_suppression_list(struct store *, int64_t, store_suppression_cb,
	    void *);
int	 pg_flush_suppress(struct store *);
void	 pg_sop_drop(struct pg *);

/* store_pg_reclass.c */
int	 pg_reclass_rows(struct store *, const char *, const char *,
	    store_rrow_cb, void *);
int	 pg_failure_reclass(struct store *, int64_t, int, int, int64_t,
	    const char *);
int	 pg_daily_tidy(struct store *);
int	 pg_unrecognised_get(struct store *, const char *, int64_t *, int64_t *,
	    int64_t *);
int	 pg_unrecognised_set(struct store *, const char *, int64_t, int64_t,
	    int64_t, struct span, const char *);
int	 pg_suppress_rows(struct store *, int, store_srow_cb, void *);
int	 pg_suppress_get(struct store *, int64_t, struct span, struct store_supp *);
int	 pg_suppress_set(struct store *, int64_t, struct span,
	    const struct store_supp *);

/* store_pg_live.c */
int	 pg_hourly_add(struct store *, int64_t, int64_t, int64_t, int64_t);
int	 pg_hourly_sum(struct store *, int64_t, int64_t, int64_t *, int64_t *);
int	 pg_hourly_lines(struct store *, int64_t, int64_t, int64_t *, int64_t *);
int	 pg_alert_add(struct store *, const struct store_alert *);
int	 pg_alert_list(struct store *, int64_t, store_alert_cb, void *);
int	 pg_line_totals(struct store *, int64_t *);
int	 pg_gap_count(struct store *, int64_t *);
int	 pg_flush_hours(struct store *);	/* at commit, last */
void	 pg_hours_drop(struct pg *);
void	 pg_hours_free(struct pg *);

/* store_pg_read.c */
typedef int	(*pg_row_cb)(struct store *, PGresult *, int, void *);
/* Rows of a query through a cursor, to cb (which may run queries). */
int	 pg_rows(struct store *, const char *, int, const char *const *,
	    pg_row_cb, void *, const char *);
int	 pg_read_begin(struct store *);
void	 pg_names_drop(struct pg *);
void	 pg_read_end(struct store *);
int64_t	 pg_name_find(struct store *, enum store_name, const char *);
int	 pg_daily_range(struct store *, const struct store_range *,
	    store_daily_cb, void *);
int	 pg_failure_range(struct store *, const struct store_range *,
	    store_failure_cb, void *);
char	*pg_name(struct store *, enum store_name, int64_t);
int	 pg_failure_text(struct store *, int64_t, char **, char **);
int	 pg_domain_rows(struct store *, const struct store_range *, store_domrow_cb,
	    void *);
int	 pg_text_domains(struct store *, const struct store_range *, const char *,
	    store_textdom_cb, void *);
int	 pg_recipient_range(struct store *, const struct store_range *,
	    store_recipients_cb, void *);
int	 pg_source_each(struct store *,
	    int (*)(const struct store_source *, void *), void *);
int	 pg_source_get(struct store *, int64_t, struct store_source *);
int	 pg_source_kinds(struct store *, int64_t, int64_t *);


/* store_pg_sum.c */
int	 pg_summary_get(struct store *, const char *, unsigned char **, size_t *);
int	 pg_summary_put(struct store *, const char *, const void *, size_t);
int	 pg_summary_days(struct store *, store_day_cb, void *);
/* from .. to stale and deleted; from NULL: before to, and days without rows */
int	 pg_summary_forget(struct store *, const char *from, const char *to);
/* at commit, after day_span: reclassify's days (pg->reclass) made stale */
int	 pg_summary_flush(struct store *);
int	 pg_domain_counters(struct store *, const struct store_range *,
	    store_daily_cb, void *);

#endif
