/*
 * tz.h -- local wall-clock time to UTC and back, for the zone the mail log
 * was written in (the system zone, or the configured "timezone").  Mail
 * logs repeat the same hour thousands of times, so conversions are cached
 * per local hour and mktime() runs once per hour of log.
 */
#ifndef BW_TZ_H
#define BW_TZ_H

#include <stdint.h>
#include <time.h>

struct tz;

/*
 * zone NULL or "": the system zone (TZ environment or /etc/localtime).
 * Otherwise an IANA name ("Europe/Berlin") or "UTC".  Sets the process
 * zone (TZ), so there is one zone per process.  NULL if the zone is unknown.
 */
struct tz	*tz_new(const char *zone);
void		 tz_free(struct tz *);
/* 0 when the name is a zone tz_new() accepts, -1 otherwise. */
int		 tz_check(const char *zone);

/* Days since 1970-01-01 of a proleptic Gregorian date. */
int64_t		 tz_days_from_civil(int64_t y, unsigned m, unsigned d);
void		 tz_civil_from_days(int64_t days, int *y, int *m, int *d);
/* Whole days in a count of seconds, rounded down (also before 1970). */
int64_t		 tz_days(int64_t secs);
/* The local day number (days since 1970-01-01) of a UTC time. */
int64_t		 tz_local_day(struct tz *, int64_t utc);
/* "YYYY-MM-DD" of a day number; buf has room for 11 bytes. */
void		 tz_day_text(int64_t days, char *buf);

/*
 * "local" is the wall-clock time counted as if it were UTC seconds.
 * Returns the UTC seconds of that wall-clock time in the zone.
 */
int64_t		 tz_local_to_utc(struct tz *, int64_t local);
/* The inverse: UTC seconds to wall-clock seconds in the zone. */
int64_t		 tz_utc_to_local(struct tz *, int64_t utc);

#endif
