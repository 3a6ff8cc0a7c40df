/*
 * source_glob.h -- "log = PATTERN" (a glob: Hurricane's daily
 * yyyyMMddProcessed.log files): every matching file followed by a tail of
 * its own (tail.h), files appearing later picked up, quiet ones finished,
 * all as one source (source.h).
 */
#ifndef BW_SOURCE_GLOB_H
#define BW_SOURCE_GLOB_H

struct source;
struct store;
struct tail_conf;
struct tail_counters;
struct tail_status;

/* Has the path glob characters (*, ?, [)? */
int		 source_glob_is_pattern(const char *);
/*
 * The regular files the pattern names now, sorted, without the rotated
 * copies of another match (NAME.1, NAME-20261203, NAME.gz).  Returns the
 * count (*out to free with source_glob_free), or -1 with *cause set when
 * the pattern's directory cannot be read (a malloc'd message).
 */
int		 source_glob_expand(const char *pattern, char ***out, char **cause);
void		 source_glob_free(char **, int);
/*
 * Follow the files tc->path matches (tc->start_end applies to the files
 * there at the first start only), except those another log line reads:
 * the paths and earlier patterns in others (copied).  NULL on a database
 * error (logged).
 */
struct source	*source_glob_open(const struct tail_conf *, struct store *,
		    const char *const *others, int nothers);
/* The log lines' paths and patterns changed (a reload). */
void		 source_glob_set_others(struct source *, const char *const *, int);
int		 source_glob_is(const struct source *);
void		 source_glob_set_format(struct source *, const char *);
void		 source_glob_add_counters(struct source *, struct tail_counters *);
void		 source_glob_log_state(struct source *, int stalled);
/*
 * What the metrics and alerts show of a pattern (tail_status's): up when
 * it matches a file and the newest match opens; the lag of all its tails.
 * -1 when the source is not a pattern.
 */
int		 source_glob_status(struct source *, struct tail_status *);

#endif
