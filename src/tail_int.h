/*
 * tail_int.h -- what tail.c (generations, reading, rotation) and
 * tail_copies.c (rotated copies, reconciliation at start) share.
 */
#ifndef BW_TAIL_INT_H
#define BW_TAIL_INT_H

#include <sys/stat.h>

#include "source.h"
#include "store.h"
#include "tail.h"

#define TAIL_OPEN_MAX	64	/* descriptors of rotated generations per log */
#define TAIL_LOOK_AGAIN	3.0	/* seconds to look for a generation's copy */
#define TAIL_RETRY_MIN	1	/* seconds: an unopenable name is said again */
#define TAIL_RETRY_MAX	600	/* after each back-off between these */
#define TAIL_CHANGED	2	/* tail_gen_next: the live file changed under the read */
#define TAIL_IDENTIFY_TRIES 4	/* a file changing under the look for missed ones */

struct tail;

struct gen {
	struct tail	*t;
	int		 fd;		/* -1: a compressed copy, read through in */
	struct input	*in;
	char		*gzpath;	/* the compressed copy */
	dev_t		 dev;
	ino_t		 ino;
	int		 has_src;	/* a source exists (or is in the open tx) */
	int		 src_new;	/* ... created in the open transaction */
	struct store_source src;
	uint64_t	 read_pos;	/* consumed into the open transaction */
	uint64_t	 committed;	/* saved in the database */
	unsigned char	 tail[STORE_TAIL_MAX];	/* bytes before read_pos */
	size_t		 tail_len;
	unsigned char	 ctail[STORE_TAIL_MAX];	/* bytes before committed */
	size_t		 ctail_len;
	uint64_t	 lines, clines;
	int		 rotated;	/* the name points elsewhere now */
	int		 copy;		/* a rotated copy read at start/copytruncate */
	int		 at_end;	/* a compressed copy read to its end */
	int		 done;		/* finished: freed once that is committed */
	int		 parked;	/* rotated, descriptor closed: reopened by inode */
	int		 parked_at_end;	/* ... when it had been read to its end */
	char		*path;		/* where a parked generation was seen last */
	double		 lost_since;	/* parked and not found since then */
	const char	*lost_reason;	/* the gap's reason if it is never found */
	int		 dirty;		/* state changed: save at commit */
	const char	*np, *ne;	/* the rest of a line split at NUL runs */
	double		 last_growth;
	struct gen	*next;		/* oldest first */
};

struct tail {
	struct source		 s;
	struct store		*st;
	char			*path;
	char			*format;
	int			 start_end;
	double			 rotate_quiet;
	struct gen		*gens;
	int			 open_errno;	/* why the name cannot be opened; 0: it can */
	int			 backoff;	/* seconds until that is said again */
	double			 said_at;	/* monotonic */
	double			 since;		/* ... since when it cannot be */
	int			 warned_bound;
	int			 known;		/* the store knows generations of it */
	int64_t			 first_id;	/* its first source in the store */
	double			 live_seen;	/* the name last seen on the live file */
	struct tail_counters	 n;
};

double		 tail_now(void);
double		 tail_mono(void);
int		 tail_tx(struct tail *);
struct gen	*tail_gen_new(struct tail *, int, const struct stat *);
void		 tail_gen_free(struct gen *);
void		 tail_gen_append(struct tail *, struct gen *);
void		 tail_gen_add_rotated(struct tail *, struct gen *);
void		 tail_gen_add_before(struct tail *, struct gen *, struct gen *);
void		 tail_gen_resume(struct gen *, const struct store_source *);
int		 tail_gen_source(struct tail *, struct gen *);
int		 tail_marker_ok(struct gen *);
int		 tail_open_log(struct tail *, struct stat *);
int		 tail_truncated(struct tail *, struct gen *);
void		 tail_bound(struct tail *);
/* tail_park.c: a parked generation opened again */
int		 tail_gen_unpark(struct tail *, struct gen *);

/* tail_copies.c */
int		 tail_find_copy(struct tail *, const struct store_source *, char *,
		    size_t, struct stat *);
int		 tail_find_inode(struct tail *, dev_t, ino_t, char **, struct stat *);
struct input	*tail_find_gz(struct tail *, const unsigned char *, size_t, uint64_t,
		    const unsigned char *, size_t, char **);
int		 tail_missed(struct tail *, int64_t, const char *, dev_t, ino_t,
		    const unsigned char *, size_t);
int		 tail_reconcile(struct tail *);

#endif
