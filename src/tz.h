/*
 * tz.h -- a time zone as an object: the TZif file of the zone (read by
 * tz.c itself, version 1 to 4, with the POSIX TZ rule of its footer for
 * times past the table), used for local wall-clock time to UTC and back.
 * Nothing here reads or sets the process zone (TZ, tzset, localtime), so
 * several zones may live side by side.  Conversions are cached per hour.
 *
 * A log line's zone is applied once, by parse: it records the line's UTC
 * time and its local day (struct delivery's day), and the store's
 * writers count the line on that day without converting again.  Only
 * what starts from a stored UTC time converts back: reclassify (a row's
 * day), the readers and reports (today, a range of days, local times).
 */
#ifndef BW_TZ_H
#define BW_TZ_H

#include <stdint.h>
#include <time.h>

struct tz;

/*
 * zone NULL or "": the system zone (the TZ environment variable as the C
 * library reads it, else /etc/localtime, else UTC).  Otherwise an IANA
 * name under /usr/share/zoneinfo ("Europe/Berlin"), an absolute path to a
 * TZif file, or "UTC".  NULL if the zone is unknown or its file is not a
 * valid TZif file.
 */
struct tz	*tz_new(const char *zone);
/* The same, with the reason of a failure in *cause (malloc'd). */
struct tz	*tz_open(const char *zone, char **cause);
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
 * Returns the UTC seconds of that wall-clock time in the zone.  A time
 * that occurs twice (clocks set back) is taken at its first occurrence; a
 * time that does not exist (clocks set forward) is read with the offset in
 * force before the change.
 */
int64_t		 tz_local_to_utc(struct tz *, int64_t local);
/* The inverse: UTC seconds to wall-clock seconds in the zone. */
int64_t		 tz_utc_to_local(struct tz *, int64_t utc);
/* Seconds east of UTC in force at a UTC time. */
int32_t		 tz_offset(struct tz *, int64_t utc);

#endif
