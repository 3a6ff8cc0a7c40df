/*
 * daysum.h -- day summaries: what a report over many days needs of each
 * day's failure rows, kept small.  Per host and domain the failed
 * recipients (by class) and messages as sketches; per host, text
 * (diagnostic), class and reason the rows, the first unrecognised row and
 * the domains; per host, class and hour the rows; per host, relay and
 * reason the rows.  A summary is built from the rows of one local day,
 * stored as a blob beside the bounds of that day's row ids (store.h:
 * store_summary_get/put), and summaries of many days merge into one.
 */
#ifndef BW_DAYSUM_H
#define BW_DAYSUM_H

#include <stddef.h>
#include <stdint.h>

#include "hash.h"
#include "sketch.h"

struct store;
struct store_failure;
struct tz;

struct daysum_dom {
	int64_t		 host;
	int64_t		 domain;
	struct sketch	 rcpt;		/* local parts, class masks */
	struct sketch	 msg;		/* host:instance:queue id */
};

struct daysum_text {
	int64_t		 host;
	int64_t		 diag;		/* 0: no diagnostic */
	int		 cls;
	int		 reason;
	int64_t		 n;
	int64_t		 ex_id;		/* the first row of reason other; 0 */
	struct sketch	 domains;
};

struct daysum_count {
	int64_t		 host;
	int64_t		 key;		/* hour: class * 24 + hour; relay: id */
	int		 reason;	/* relay: the reason; hour: 0 */
	int64_t		 n;
};

/* A relay's rows of one day, as listed for a report (relay_list). */
struct daysum_rl {
	int64_t		 key;		/* relay id */
	uint64_t	 nr;		/* rows << 8 | reason */
};
#define DAYSUM_RL_N(r)		((int64_t)((r)->nr >> 8))
#define DAYSUM_RL_REASON(r)	((int)((r)->nr & 0xff))

struct daysum {
	struct daysum_dom	*dom;
	size_t			 ndom;
	struct daysum_text	*text;
	size_t			 ntext;
	struct daysum_count	*hour;
	size_t			 nhour;
	struct daysum_count	*relay;
	size_t			 nrelay;
	struct sketch		 msg;		/* every domain's messages */
	struct hash		 map[4];	/* the four arrays' keys */
	int			 collapse;	/* merge every host into host 0 */
	const int64_t		*hosts;		/* merge only these hosts */
	size_t			 nhosts;
	/* merging for a report: each text handed over, relays appended */
	int			(*text_sink)(const struct daysum_text *, void *);
	void			*sink_arg;
	int			 relay_list;	/* relays listed in rl, not merged */
	struct daysum_rl	*rl;
	size_t			 nrl;
	int			 skip_doms;	/* the domains' records passed over */
};

/* The domains' records of many days, kept to be walked in domain order. */
struct daysum_doms {
	unsigned char		**buf;
	size_t			 *len;
	size_t			  n;
};

/*
 * Add one failure row (with its local part and queue id); tz: its hour.
 * -1 once the day holds DAYSUM_MAX_KEYS domains, relays or texts: such a
 * day (a storm of dead domains) keeps no summary, which would be as large
 * as its rows, and a report over it reads the rows in bounded memory.
 */
#define DAYSUM_MAX_KEYS	8192
int	daysum_add_row(struct daysum *, const struct tz *,
	    const struct store_failure *);
/* The summary's records (appended to b). */
struct obuf;
void	daysum_encode(struct daysum *, struct obuf *);
/* ... of a day too large to summarise (DAYSUM_MAX_KEYS). */
void	daysum_frame_none(int64_t t0, int64_t t1, struct obuf *);
/* The summary as a blob of the day t0 .. t1 (UTC): header, records deflated. */
void	daysum_frame(struct daysum *, int64_t t0, int64_t t1, struct obuf *);
/*
 * Merge a day's blob into ds, through its host filter: 1; 0 when it is
 * of another version or its day is not t0 .. t1 (UTC: another zone's
 * day); 2 when the day was too large to summarise; -1 when it is
 * malformed.  With doms, only the domains' records
 * are taken, kept there for daysum_doms_walk(); with skip_doms set, all
 * but them.
 */
int	daysum_merge_blob(struct daysum *, const unsigned char *, size_t,
	    int64_t t0, int64_t t1, struct daysum_doms *);
/*
 * Each domain of the days kept, in id order, with its recipients and
 * messages merged over the days and the hosts (NULL: all): 0, or -1 when
 * a record is malformed or cb failed.
 */
typedef int	(*daysum_dom_cb)(int64_t, struct sketch *rcpt, struct sketch *msg,
		    void *);
int	daysum_doms_walk(struct daysum_doms *, const int64_t *hosts, size_t nhosts,
	    daysum_dom_cb, void *);
void	daysum_doms_free(struct daysum_doms *);
void	daysum_free(struct daysum *);

/*
 * Build the summary of one local day from its rows (the store's reader
 * open): 0 with the blob in b, or -1 (store_errmsg()).
 */
int	daysum_build(struct store *, const struct tz *, const char *day,
	    struct obuf *b);
/*
 * Build and store the summaries of the days with rows and without a
 * current summary, the latest first, but not of the day skip (NULL:
 * none), at most max (0: all): how many were built, or -1.
 */
int	daysum_refresh(struct store *, const struct tz *, const char *skip,
	    size_t max);

#endif
