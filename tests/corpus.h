/*
 * corpus.h -- read the test corpora of tests/data (format in
 * tests/data/README) and check parsed records against them.
 */
#ifndef BW_TEST_CORPUS_H
#define BW_TEST_CORPUS_H

#include <stddef.h>
#include <time.h>

#include "classify.h"
#include "parse.h"

#define CORPUS_MAXKV	48

struct corpus_rec {
	int		 lineno;	/* line of the record in the file */
	size_t		 nkv;
	char		*key[CORPUS_MAXKV];
	char		*val[CORPUS_MAXKV];
};

/* The clock and zone every corpus assumes: 2026-11-23T12:00:00Z, UTC. */
#define CORPUS_NOW	((time_t)1795435200)

/* Path of tests/data/NAME under $top_srcdir (static buffer). */
const char	*corpus_path(const char *name);
/* Read a whole file; NULL on error.  *len gets its size. */
char		*corpus_slurp(const char *path, size_t *len);
/* Load records; returns the count, -1 on error.  Free with corpus_free. */
int		 corpus_load(const char *path, struct corpus_rec **);
void		 corpus_free(struct corpus_rec *, int);
const char	*corpus_get(const struct corpus_rec *, const char *key);
/*
 * Compare every key of rec with the parsed record and verdict; prints
 * each mismatch as "file:line: key: expected X, got Y" and returns the
 * number of mismatches.
 */
int		 corpus_check(const char *file, const struct corpus_rec *,
		    enum line_kind, const struct delivery *, const struct verdict *);

#endif
