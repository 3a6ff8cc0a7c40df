/*
 * util.h -- small helpers with no domain knowledge: allocation that fails
 * loudly, bounded string copy, array sizes.
 */
#ifndef BW_UTIL_H
#define BW_UTIL_H

#include <stddef.h>

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
/* Fault in, in one call, the pages of a large block about to be filled. */
void	 util_prefault(void *, size_t);
/*
 * Sort in place with no allocation (heapsort): for arrays of megabytes,
 * where qsort() would first copy the whole array.
 */
void	 util_sort(void *, size_t, size_t, int (*)(const void *, const void *));
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
/* A malloc'd formatted string (for *cause messages). */
char	*xasprintf(const char *, ...) __attribute__((format(printf, 1, 2)));
/*
 * Append one formatted line (and its newline) to a malloc'd list of
 * errors, *list NULL for the first: the list is the *cause of a function
 * that reports every error at once (logged by log_warnx_list()).
 */
void	 xlistadd(char **list, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

#ifndef HAVE_STRLCPY
size_t	 strlcpy(char *, const char *, size_t);
#endif

/* Parse a decimal integer in [min, max]; 0 on success, -1 otherwise. */
int	 util_parse_long(const char *, long, long, long *);

#endif
