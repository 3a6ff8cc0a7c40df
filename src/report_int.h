/*
 * report_int.h -- what the report's loader shares between report_load.c
 * (counters and failure rows of one range) and report_sum.c (a range of
 * days read from day summaries): its state and its counting helpers.
 */
#ifndef BW_REPORT_INT_H
#define BW_REPORT_INT_H

#include "classify.h"
#include "hash.h"
#include "report.h"
#include "sketch.h"
#include "store.h"

/*
 * Row ids are small dense integers in practice: a plain array indexed by
 * id is much faster than hashing a million times.  Ids too large for it
 * fall back to the hash table.
 */
#define REPORT_DENSE_MAX	(1 << 24)

struct report_ids {
	size_t			*v;		/* index + 1; 0: not seen */
	size_t			 n;
	struct hash		 sparse;
};

enum {
	K_FAIL,			/* a failure of the remote side */
	K_OTHER,		/* ... that no rule recognised */
	K_THROTTLE,		/* local_throttle */
	K_MAX
};

/* Failure rows aggregated by normalised text. */
struct report_group {
	char		*text;
	uint64_t	 hash;
	int64_t		 n[K_MAX];
	int64_t		 rc[REASON_MAX];
	int64_t		 cc[CLASS_MAX];
	int64_t		 ex_id;		/* first unrecognised row */
	int64_t		 dom[K_MAX];	/* distinct domains (listed only) */
	int		 listed;	/* in a list of the report */
};

struct report_rl {
	int64_t		 id;
	char		*name;
	int64_t		 n;
	int64_t		 rc[REASON_MAX];
};

struct report_load {
	struct store		*st;
	struct report		*r;
	struct tz		*tz;
	struct report_day	*dd;		/* the day of the last counter */
	struct report_domain	 cur;		/* the domain being read */
	int64_t			 curid;
	int			 incur;
	struct hash		 hostmap;	/* host id -> r->hosts */
	int64_t			*hostid;	/* r->hosts[i]'s id */
	int64_t			*hostfilter;	/* the ids of --host */
	struct report_ids	 diagmap;	/* diagnostic id -> group */
	struct report_ids	 relaymap;	/* relay id -> rl */
	struct report_group	*groups;
	size_t			 ngroups;
	size_t			*listed[K_MAX];	/* each list's groups */
	struct hash		 gtab;		/* (text hash, n) -> group + 1 */
	struct report_rl	*rl;
	size_t			 nrl;
	struct daysum		*sum;		/* a range of days: their summaries */
	struct daysum_doms	*doms;		/* ... their domains' records */
	char			*sumcause;	/* ... what failed in them */
	struct sketch		(*gdom)[K_MAX];	/* ... each text group's domains */
	int			 failed;	/* a lookup failed */
	int			 spoolerr;	/* writing the spool failed */
};

size_t	*report_ids_slot(struct report_ids *, int64_t, int *isnew);
void	 report_sort(void *, size_t, size_t, int (*)(const void *, const void *));
/* n attempts of class and reason for a domain (detail: by class and reason too) */
void	 report_add(struct report_domain *, int cls, int reason, int64_t n,
	    int detail);
/* The group of a normalised text (taken over), created when new. */
size_t	 report_group_of(struct report_load *, char *);
/* A domain's rows: the totals (cls and domain_id -1), then each domain's in order. */
int	 report_domrow(const struct store_domrow *, void *);
int	 report_domain_done(struct report_load *);

/* report_sum.c */
int	 report_text_add(struct report_load *, int64_t diag, int cls, int reason,
	    int64_t n, int64_t ex_id, size_t *group);
void	 report_relay_add(struct report_load *, int64_t relay, int reason, int64_t n);
/* the domains of a range of days, to report_domrow() */
int	 report_sum_domains(struct report_load *, struct store_range *);
struct daysum_text;
int	 report_sum_text(const struct daysum_text *, void *);
void	 report_sum_apply(struct report_load *, struct daysum *);
void	 report_sum_trim(void);
/* the listed texts' distinct domains */
void	 report_sum_texts(struct report_load *);

#endif
