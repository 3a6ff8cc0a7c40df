/*
 * report.h -- the daily summary, built from the database (never from the
 * log files), then rendered.  report_load() reads everything a report
 * shows into memory; the renderers only format.
 */
#ifndef BW_REPORT_H
#define BW_REPORT_H

#include <stdint.h>

#include "classify.h"
#include "emit.h"

struct sqlite3;

struct report_domain {
	char		*name;		/* "" when the recipient was unknown */
	int64_t		 cls[CLASS_MAX];	/* local_throttle excluded */
	int64_t		 local_throttle;
	int64_t		 reasons[REASON_MAX];	/* failures by reason */
	int64_t		 failures;	/* permanent + temporary + greylist */
	int64_t		 attempts;	/* all classes, local_throttle excluded */
};

struct report {
	char			 from[11];
	char			 to[11];
	struct report_domain	*domains;	/* sorted by failures, then name */
	size_t			 ndomains;
	struct report_domain	 totals;
};

/* Load the report for local days [from, to] ("YYYY-MM-DD"). */
int	report_load(struct sqlite3 *, const char *from, const char *to,
	    struct report *, char *err, size_t errlen);
void	report_free(struct report *);
void	report_json(struct obuf *, const struct report *);

#endif
