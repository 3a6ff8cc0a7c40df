/*
 * tz.c -- see tz.h.  The TZif reader (RFC 8536: the 64-bit block of
 * version 2 and later, else the 32-bit one), the POSIX TZ rule of the
 * footer, and the conversions.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tz.h"
#include "util.h"

#define TZ_CACHE	64
#define TZ_FILE_MAX	(1024 * 1024)
#define TZ_TYPES_MAX	256

struct tz_slot {
	int64_t	 key;		/* local or utc hour number, +1 (0 = empty) */
	int64_t	 offset;	/* utc - local, seconds */
	int	 mixed;		/* the offset changes within the hour */
};

/* One end of daylight saving time in a POSIX rule. */
struct tz_when {
	char	 kind;		/* 'J': Jn, 'D': n, 'M': Mm.w.d */
	int	 n, m, w, d;
	int32_t	 secs;		/* local time of the change */
};

struct tz_rule {
	int		 set;
	int32_t		 std_off;	/* seconds east of UTC */
	int32_t		 dst_off;
	int		 has_dst;
	struct tz_when	 start, end;
};

struct tz {
	int		 utc;
	int64_t		*trans;		/* transition times, ascending */
	uint8_t		*idx;		/* type after each transition */
	size_t		 ntrans;
	int32_t		 types[TZ_TYPES_MAX];	/* offsets east of UTC */
	size_t		 ntypes;
	struct tz_rule	 rule;
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

static int64_t
tz_floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static int
tz_is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* ---- the POSIX TZ rule ("CET-1CEST,M3.5.0,M10.5.0/3") ---- */

static const char *
tz_rule_name(const char *p)
{
	const char	*s = p;

	if (*p == '<') {
		while (*p != '\0' && *p != '>')
			p++;
		return *p == '>' && p - s > 1 ? p + 1 : NULL;
	}
	while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))
		p++;
	return p - s >= 3 ? p : NULL;
}

/* [+-]hh[:mm[:ss]], hours up to 167 (RFC 8536 allows the extension). */
static const char *
tz_rule_time(const char *p, int32_t *secs)
{
	int	 sign = 1, part[3] = { 0, 0, 0 }, i, n;

	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	for (i = 0; i < 3; i++) {
		if (i > 0) {
			if (*p != ':')
				break;
			p++;
		}
		if (*p < '0' || *p > '9')
			return NULL;
		for (n = 0; *p >= '0' && *p <= '9' && n < 1000; p++)
			n = n * 10 + (*p - '0');
		part[i] = n;
	}
	if (part[0] > 167 || part[1] > 59 || part[2] > 59)
		return NULL;
	*secs = sign * (part[0] * 3600 + part[1] * 60 + part[2]);
	return p;
}

static const char *
tz_rule_number(const char *p, int min, int max, int *v)
{
	int	 n = 0;

	if (*p < '0' || *p > '9')
		return NULL;
	for (; *p >= '0' && *p <= '9' && n <= max; p++)
		n = n * 10 + (*p - '0');
	if (n < min || n > max)
		return NULL;
	*v = n;
	return p;
}

static const char *
tz_rule_when(const char *p, struct tz_when *w)
{
	memset(w, 0, sizeof(*w));
	w->secs = 2 * 3600;
	if (*p == 'J') {
		w->kind = 'J';
		p = tz_rule_number(p + 1, 1, 365, &w->n);
	} else if (*p == 'M') {
		w->kind = 'M';
		if ((p = tz_rule_number(p + 1, 1, 12, &w->m)) == NULL || *p != '.' ||
		    (p = tz_rule_number(p + 1, 1, 5, &w->w)) == NULL || *p != '.')
			return NULL;
		p = tz_rule_number(p + 1, 0, 6, &w->d);
	} else {
		w->kind = 'D';
		p = tz_rule_number(p, 0, 365, &w->n);
	}
	if (p != NULL && *p == '/')
		p = tz_rule_time(p + 1, &w->secs);
	return p;
}

static int
tz_rule_parse(const char *s, struct tz_rule *r)
{
	const char	*p;
	int32_t		 off;

	memset(r, 0, sizeof(*r));
	if ((p = tz_rule_name(s)) == NULL || (p = tz_rule_time(p, &off)) == NULL)
		return -1;
	r->std_off = r->dst_off = -off;	/* POSIX counts west of UTC */
	r->set = 1;
	if (*p == '\0')
		return 0;
	if ((p = tz_rule_name(p)) == NULL)
		return -1;
	r->has_dst = 1;
	r->dst_off = r->std_off + 3600;
	if (*p != ',' && *p != '\0') {
		if ((p = tz_rule_time(p, &off)) == NULL)
			return -1;
		r->dst_off = -off;
	}
	if (*p == '\0')		/* no dates: the US rules, as the C library does */
		p = ",M3.2.0,M11.1.0";
	if (*p != ',' || (p = tz_rule_when(p + 1, &r->start)) == NULL ||
	    *p != ',' || (p = tz_rule_when(p + 1, &r->end)) == NULL || *p != '\0')
		return -1;
	return 0;
}

/* Local seconds (since 1970, as if UTC) of a rule's change in year y. */
static int64_t
tz_rule_at(const struct tz_when *w, int64_t y)
{
	int64_t	 day, first;
	int	 wd, md, mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	day = tz_days_from_civil(y, 1, 1);
	switch (w->kind) {
	case 'J':
		day += w->n - 1 + (tz_is_leap(y) && w->n >= 60);
		break;
	case 'D':
		day += w->n;
		break;
	default:
		first = tz_days_from_civil(y, (unsigned)w->m, 1);
		wd = (int)((first + 4) % 7 + 7) % 7;	/* 1970-01-01: Thursday */
		md = 1 + (w->d - wd + 7) % 7 + (w->w - 1) * 7;
		mdays[1] += tz_is_leap(y);
		while (md > mdays[w->m - 1])
			md -= 7;
		day = first + md - 1;
		break;
	}
	return day * 86400 + w->secs;
}

static int32_t
tz_rule_offset(const struct tz_rule *r, int64_t utc)
{
	int64_t	 s, e;
	int	 y, m, d, dst;

	if (!r->has_dst)
		return r->std_off;
	tz_civil_from_days(tz_days(utc + r->std_off), &y, &m, &d);
	s = tz_rule_at(&r->start, y) - r->std_off;
	e = tz_rule_at(&r->end, y) - r->dst_off;
	if (s < e)
		dst = utc >= s && utc < e;
	else
		dst = !(utc >= e && utc < s);
	return dst ? r->dst_off : r->std_off;
}

/* ---- the TZif file ---- */

static uint32_t
tz_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t
tz_be64(const uint8_t *p)
{
	return (int64_t)((uint64_t)tz_be32(p) << 32 | tz_be32(p + 4));
}

/*
 * One header and data block at p; tsize is 4 (version 1) or 8.  Fills tz
 * when fill is set; *used is the length of the block either way.
 */
static int
tz_read_block(const uint8_t *p, size_t len, int tsize, int fill, struct tz *tz,
    size_t *used, char **cause)
{
	uint32_t	 isut, isstd, leap, timecnt, typecnt, charcnt;
	const uint8_t	*t, *ix, *ty;
	size_t		 need, i;

	if (len < 44 || memcmp(p, "TZif", 4) != 0) {
		*cause = xstrdup("not a TZif file");
		return -1;
	}
	isut = tz_be32(p + 20);
	isstd = tz_be32(p + 24);
	leap = tz_be32(p + 28);
	timecnt = tz_be32(p + 32);
	typecnt = tz_be32(p + 36);
	charcnt = tz_be32(p + 40);
	if (typecnt == 0 || typecnt > TZ_TYPES_MAX || timecnt > 100000 ||
	    leap > 100000 || charcnt > 100000 || (isut != 0 && isut != typecnt) ||
	    (isstd != 0 && isstd != typecnt)) {
		*cause = xstrdup("TZif header out of range");
		return -1;
	}
	need = 44 + (size_t)timecnt * (size_t)tsize + timecnt + (size_t)typecnt * 6 +
	    charcnt + (size_t)leap * (size_t)(tsize + 4) + isstd + isut;
	if (need > len) {
		*cause = xstrdup("TZif file cut short");
		return -1;
	}
	*used = need;
	if (!fill)
		return 0;
	t = p + 44;
	ix = t + (size_t)timecnt * (size_t)tsize;
	ty = ix + timecnt;
	tz->trans = xcalloc(timecnt + 1, sizeof(*tz->trans));
	tz->idx = xcalloc(timecnt + 1, 1);
	tz->ntrans = timecnt;
	for (i = 0; i < timecnt; i++) {
		tz->trans[i] = tsize == 8 ? tz_be64(t + i * 8) :
		    (int64_t)(int32_t)tz_be32(t + i * 4);
		tz->idx[i] = ix[i];
		if (ix[i] >= typecnt || (i > 0 && tz->trans[i] <= tz->trans[i - 1])) {
			*cause = xstrdup("TZif transitions out of order");
			return -1;
		}
	}
	tz->ntypes = typecnt;
	for (i = 0; i < typecnt; i++) {
		int32_t	 off = (int32_t)tz_be32(ty + i * 6);

		if (off < -25 * 3600 || off > 26 * 3600) {
			*cause = xstrdup("TZif offset out of range");
			return -1;
		}
		tz->types[i] = off;
	}
	return 0;
}

static int
tz_read_file(const char *path, struct tz *tz, char **cause)
{
	FILE		*f;
	uint8_t		*buf;
	size_t		 len, used, used2;
	char		*footer, *nl;
	int		 ret = -1;

	if ((f = fopen(path, "rb")) == NULL) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	buf = xmalloc(TZ_FILE_MAX);
	len = fread(buf, 1, TZ_FILE_MAX, f);
	fclose(f);
	if (len == TZ_FILE_MAX) {
		*cause = xasprintf("%s: too large for a TZif file", path);
		goto out;
	}
	if (len < 5 || buf[4] == '\0') {	/* version 1: 32-bit times only */
		if (tz_read_block(buf, len, 4, 1, tz, &used, cause) == -1)
			goto bad;
		ret = 0;
		goto out;
	}
	if (tz_read_block(buf, len, 4, 0, tz, &used, cause) == -1 ||
	    tz_read_block(buf + used, len - used, 8, 1, tz, &used2, cause) == -1)
		goto bad;
	used += used2;
	/* the footer: "\nRULE\n", RULE possibly empty */
	if (used < len && buf[used] == '\n') {
		footer = xstrndup((char *)buf + used + 1, len - used - 1);
		if ((nl = strchr(footer, '\n')) != NULL)
			*nl = '\0';
		if (*footer != '\0' && tz_rule_parse(footer, &tz->rule) == -1) {
			*cause = xasprintf("%s: bad TZ rule \"%s\" in the footer", path,
			    footer);
			free(footer);
			goto out;
		}
		free(footer);
	}
	ret = 0;
	goto out;
bad:
	{
		char	*c = *cause;

		*cause = xasprintf("%s: %s", path, c);
		free(c);
	}
out:
	free(buf);
	return ret;
}

/* ---- opening a zone ---- */

static int
tz_is_utc_name(const char *zone)
{
	return strcmp(zone, "UTC") == 0 || strcmp(zone, "GMT") == 0 ||
	    strcmp(zone, "Etc/UTC") == 0 || strcmp(zone, "UTC0") == 0 ||
	    strcmp(zone, "Z") == 0;
}

static void
tz_clear(struct tz *tz)
{
	free(tz->trans);
	free(tz->idx);
	memset(tz, 0, sizeof(*tz));
}

/* A zone name, file or (with posix_ok) a POSIX rule, into tz. */
static int
tz_load(struct tz *tz, const char *zone, int posix_ok, char **cause)
{
	const char	*dir;
	char		*path;
	int		 ret;

	if (*zone == ':')
		zone++;
	if (*zone == '\0' || tz_is_utc_name(zone)) {
		tz->utc = 1;
		return 0;
	}
	if (*zone == '/')
		path = xstrdup(zone);
	else if (strstr(zone, "..") != NULL) {
		*cause = xasprintf("\"%s\": \"..\" in a zone name", zone);
		return -1;
	} else {
		if ((dir = getenv("TZDIR")) == NULL || *dir == '\0')
			dir = "/usr/share/zoneinfo";
		path = xasprintf("%s/%s", dir, zone);
	}
	ret = tz_read_file(path, tz, cause);
	free(path);
	if (ret == -1 && posix_ok) {
		tz_clear(tz);
		if (tz_rule_parse(zone, &tz->rule) == 0) {
			free(*cause);
			*cause = NULL;
			return 0;
		}
	}
	if (ret == -1)
		tz_clear(tz);
	return ret;
}

struct tz *
tz_open(const char *zone, char **cause)
{
	struct tz	*tz = xcalloc(1, sizeof(*tz));
	const char	*env;
	char		*ignored = NULL;

	*cause = NULL;
	if (zone != NULL && *zone != '\0') {
		if (tz_load(tz, zone, 0, cause) == -1) {
			free(tz);
			return NULL;
		}
		return tz;
	}
	/* the system zone, as the C library finds it; UTC when all fails */
	if ((env = getenv("TZ")) != NULL) {
		if (tz_load(tz, env, 1, &ignored) == -1)
			tz->utc = 1;
	} else if (tz_load(tz, "/etc/localtime", 0, &ignored) == -1)
		tz->utc = 1;
	free(ignored);
	return tz;
}

struct tz *
tz_new(const char *zone)
{
	char		*cause;
	struct tz	*tz;

	if ((tz = tz_open(zone, &cause)) == NULL)
		free(cause);
	return tz;
}

int
tz_check(const char *zone)
{
	struct tz	*tz;

	if ((tz = tz_new(zone)) == NULL)
		return -1;
	tz_free(tz);
	return 0;
}

void
tz_free(struct tz *tz)
{
	if (tz == NULL)
		return;
	tz_clear(tz);
	free(tz);
}

/* ---- conversions ---- */

int32_t
tz_offset(struct tz *tz, int64_t utc)
{
	size_t	 lo, hi, mid;

	if (tz == NULL || tz->utc)
		return 0;
	if (tz->ntrans == 0 || utc < tz->trans[0]) {
		if (tz->ntrans == 0 && tz->rule.set)
			return tz_rule_offset(&tz->rule, utc);
		return tz->ntypes > 0 ? tz->types[0] : 0;
	}
	lo = 0;
	hi = tz->ntrans;
	while (hi - lo > 1) {		/* trans[lo] <= utc < trans[hi] */
		mid = lo + (hi - lo) / 2;
		if (tz->trans[mid] <= utc)
			lo = mid;
		else
			hi = mid;
	}
	if (lo == tz->ntrans - 1 && tz->rule.set)
		return tz_rule_offset(&tz->rule, utc);
	return tz->types[tz->idx[lo]];
}

/* UTC of a wall-clock time, without the cache. */
static int64_t
tz_local_to_utc_raw(struct tz *tz, int64_t local)
{
	int32_t	 a, b;
	int64_t	 ta, tb;
	int	 va, vb;

	/* offsets are within a day of UTC: probe a day either side */
	a = tz_offset(tz, local - 86400);
	b = tz_offset(tz, local + 86400);
	ta = local - a;
	tb = local - b;
	va = tz_offset(tz, ta) == a;
	vb = tz_offset(tz, tb) == b;
	if (va && vb)
		return ta < tb ? ta : tb;	/* twice: the first */
	if (vb && !va)
		return tb;
	return ta;			/* once, or never: the offset before */
}

int64_t
tz_local_to_utc(struct tz *tz, int64_t local)
{
	struct tz_slot	*slot;
	int64_t		 hour;

	if (tz == NULL || tz->utc)
		return local;
	hour = tz_floor_div(local, 3600);
	slot = &tz->to_utc[(uint64_t)hour % TZ_CACHE];
	if (slot->key != hour + 1) {
		slot->key = hour + 1;
		slot->offset = tz_local_to_utc_raw(tz, hour * 3600) - hour * 3600;
		slot->mixed = tz_local_to_utc_raw(tz, hour * 3600 + 3599) -
		    (hour * 3600 + 3599) != slot->offset;
	}
	if (slot->mixed)	/* a change within the hour (Lord Howe: 30 min) */
		return tz_local_to_utc_raw(tz, local);
	return local + slot->offset;
}

int64_t
tz_utc_to_local(struct tz *tz, int64_t utc)
{
	struct tz_slot	*slot;
	int64_t		 hour;

	if (tz == NULL || tz->utc)
		return utc;
	hour = tz_floor_div(utc, 3600);
	slot = &tz->to_local[(uint64_t)hour % TZ_CACHE];
	if (slot->key != hour + 1) {
		slot->key = hour + 1;
		slot->offset = -(int64_t)tz_offset(tz, hour * 3600);
		slot->mixed = -(int64_t)tz_offset(tz, hour * 3600 + 3599) != slot->offset;
	}
	if (slot->mixed)
		return utc + tz_offset(tz, utc);
	return utc - slot->offset;
}
