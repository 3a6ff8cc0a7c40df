/*
 * prom.h -- the Prometheus text exposition format (version 0.0.4) written
 * into a growing buffer: HELP and TYPE lines, samples with escaped labels,
 * histograms.  Knows nothing about bouncewatch's series (see metrics.h).
 */
#ifndef BW_PROM_H
#define BW_PROM_H

#include <stddef.h>
#include <stdint.h>

struct prom {
	char	*buf;
	size_t	 len;
	size_t	 size;
};

/* A label: name and value (any bytes; escaped and made UTF-8 on output). */
struct prom_label {
	const char	*name;
	const char	*value;
};

void	 prom_init(struct prom *);
void	 prom_free(struct prom *);
/* Take the text (NUL-terminated, length in *len); p is left empty. */
char	*prom_take(struct prom *, size_t *len);

/* "# HELP name help" and "# TYPE name type" (counter, gauge, histogram). */
void	 prom_family(struct prom *, const char *name, const char *type,
	    const char *help);
/* One sample: name{labels} value.  nlabels may be 0. */
void	 prom_counter(struct prom *, const char *name,
	    const struct prom_label *, size_t nlabels, uint64_t);
void	 prom_gauge(struct prom *, const char *name,
	    const struct prom_label *, size_t nlabels, double);
/*
 * A histogram's samples: name_bucket{le=...} for each upper bound (in
 * increasing order) and +Inf, name_sum and name_count.  counts[i] is the
 * number of observations <= bounds[i] (cumulative); total is the count.
 */
void	 prom_histogram(struct prom *, const char *name,
	    const double *bounds, const uint64_t *counts, size_t nbounds,
	    double sum, uint64_t total);

/* Escapes of the format, for the tests: label values and HELP text. */
void	 prom_escape_label(struct prom *, const char *);
void	 prom_escape_help(struct prom *, const char *);

#endif
