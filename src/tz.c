/*
 * tz.c -- see tz.h.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tz.h"
#include "util.h"

#define TZ_CACHE	64

struct tz_slot {
	int64_t	 key;		/* local or utc hour number, +1 (0 = empty) */
	int64_t	 offset;	/* utc - local, seconds */
};

struct tz {
	int		 utc;
	struct tz_slot	 to_utc[TZ_CACHE];
	struct tz_slot	 to_local[TZ_CACHE];
};

int64_t
tz_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t		 era;
	unsigned	 yoe, doy, doe;

	/* H. Hinnant's algorithm, public domain description. */
	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

void
tz_civil_from_days(int64_t z, int *yp, int *mp, int *dp)
{
	int64_t		 era, y;
	unsigned	 doe, yoe, doy, mp5, d, m;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = (int64_t)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp5 = (5 * doy + 2) / 153;
	d = doy - (153 * mp5 + 2) / 5 + 1;
	m = mp5 < 10 ? mp5 + 3 : mp5 - 9;
	*yp = (int)(y + (m <= 2));
	*mp = (int)m;
	*dp = (int)d;
}

int64_t
tz_days(int64_t secs)
{
	return secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
}

int64_t
tz_local_day(struct tz *tz, int64_t utc)
{
	return tz_days(tz_utc_to_local(tz, utc));
}

void
tz_day_text(int64_t days, char *buf)
{
	int	 y, m, d, i;

	tz_civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999)
		y = 0;
	for (i = 3; i >= 0; i--, y /= 10)
		buf[i] = (char)('0' + y % 10);
	buf[4] = '-';
	buf[5] = (char)('0' + m / 10);
	buf[6] = (char)('0' + m % 10);
	buf[7] = '-';
	buf[8] = (char)('0' + d / 10);
	buf[9] = (char)('0' + d % 10);
	buf[10] = '\0';
}

static int
tz_is_utc_name(const char *zone)
{
	return strcmp(zone, "UTC") == 0 || strcmp(zone, "GMT") == 0 ||
	    strcmp(zone, "Etc/UTC") == 0 || strcmp(zone, "UTC0") == 0 ||
	    strcmp(zone, "Z") == 0;
}

int
tz_check(const char *zone)
{
	char	 path[512];

	if (zone == NULL || *zone == '\0' || tz_is_utc_name(zone))
		return 0;
	if (*zone == ':')
		zone++;
	if (*zone == '/' || strstr(zone, "..") != NULL)
		return access(zone, R_OK) == 0 ? 0 : -1;
	snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", zone);
	return access(path, R_OK) == 0 ? 0 : -1;
}

struct tz *
tz_new(const char *zone)
{
	struct tz	*tz;

	if (tz_check(zone) == -1)
		return NULL;
	tz = xcalloc(1, sizeof(*tz));
	if (zone != NULL && *zone != '\0') {
		if (setenv("TZ", tz_is_utc_name(zone) ? "UTC0" : zone, 1) == -1) {
			free(tz);
			return NULL;
		}
		tz->utc = tz_is_utc_name(zone);
	}
	tzset();
	return tz;
}

void
tz_free(struct tz *tz)
{
	free(tz);
}

static int64_t
tz_floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

int64_t
tz_local_to_utc(struct tz *tz, int64_t local)
{
	struct tm	 tm;
	struct tz_slot	*slot;
	int64_t		 hour, days, secs;
	int		 y, m, d;
	time_t		 t;

	if (tz == NULL || tz->utc)
		return local;
	hour = tz_floor_div(local, 3600);
	slot = &tz->to_utc[(uint64_t)hour % TZ_CACHE];
	if (slot->key == hour + 1)
		return local + slot->offset;

	days = tz_floor_div(local, 86400);
	secs = local - days * 86400;
	tz_civil_from_days(days, &y, &m, &d);
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	tm.tm_hour = (int)(secs / 3600);	/* whole hour: the offset is per hour */
	tm.tm_isdst = -1;
	t = mktime(&tm);
	if (t == (time_t)-1)
		return local;
	slot->key = hour + 1;
	slot->offset = (int64_t)t - hour * 3600;
	return local + slot->offset;
}

int64_t
tz_utc_to_local(struct tz *tz, int64_t utc)
{
	struct tm	 tm;
	struct tz_slot	*slot;
	int64_t		 hour;
	time_t		 t;

	if (tz == NULL || tz->utc)
		return utc;
	hour = tz_floor_div(utc, 3600);
	slot = &tz->to_local[(uint64_t)hour % TZ_CACHE];
	if (slot->key == hour + 1)
		return utc - slot->offset;
	t = (time_t)(hour * 3600);
	if (localtime_r(&t, &tm) == NULL)
		return utc;
	slot->key = hour + 1;
	slot->offset = -(int64_t)tm.tm_gmtoff;
	return utc - slot->offset;
}
