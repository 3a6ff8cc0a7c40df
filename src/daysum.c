/*
 * daysum.c -- day summaries (daysum.h): the codec.  Failure rows added
 * up, encoded as a blob, merged back through a report's filters, the
 * domains' records walked across days (the store's side: daysum_store.c).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "classify.h"
#include "daysum.h"
#include "emit.h"
#include "log.h"
#include "store.h"
#include "tz.h"
#include "util.h"

#define DAYSUM_MAGIC	'S'
#define DAYSUM_NONE	'N'	/* a day too large to summarise */
#define DAYSUM_VERSION	1
#define DAYSUM_RAW_MAX	(256u << 20)	/* records of a day, uncompressed */
#define DAYSUM_INFLATE_RATIO 1032	/* deflate's largest expansion */
#define DAYSUM_N_MAX	(1ULL << 48)	/* a count, a row id: more is damage */

enum {
	DAYSUM_END,
	DAYSUM_DOM,
	DAYSUM_TEXT,
	DAYSUM_HOUR,
	DAYSUM_RELAY
};
enum { MAP_DOM, MAP_TEXT, MAP_HOUR, MAP_RELAY };
/* the parts of a summary a row counts in */
#define DAYSUM_P_TEXT	1
#define DAYSUM_P_HOUR	2
#define DAYSUM_P_RELAY	4
#define DAYSUM_P_DOM	8

/* a listed relay keeps its reason in 8 bits (struct daysum_rl) */
_Static_assert(REASON_MAX <= 256, "reasons fit in a byte");

static void	daysum_frame_raw(struct obuf *, int64_t, int64_t, struct obuf *);

/* Grow an array of *n elements of size by one, zeroed: the new element. */
static void *
daysum_grow(void *pv, size_t *n, size_t size)
{
	char	**p = pv;

	if ((*n & (*n - 1)) == 0)	/* 0, 1, 2, 4 ...: double */
		*p = xrealloc(*p, (*n * 2 + 1) * size);
	memset(*p + *n * size, 0, size);
	return *p + (*n)++ * size;
}

static struct daysum_dom *
daysum_dom(struct daysum *ds, int64_t host, int64_t domain)
{
	size_t			*v;
	int			 isnew;
	struct daysum_dom	*d;

	v = hash_slot(&ds->map[MAP_DOM], (uint64_t)host, (uint64_t)domain, &isnew);
	if (!isnew)
		return &ds->dom[*v - 1];
	d = daysum_grow(&ds->dom, &ds->ndom, sizeof(*d));
	d->host = host;
	d->domain = domain;
	*v = ds->ndom;
	return d;
}

static struct daysum_text *
daysum_text(struct daysum *ds, int64_t host, int64_t diag, int cls, int reason)
{
	size_t			*v;
	int			 isnew;
	struct daysum_text	*t;

	v = hash_slot(&ds->map[MAP_TEXT], (uint64_t)diag,
	    (uint64_t)host << 16 | (uint64_t)cls << 8 | (uint64_t)reason, &isnew);
	if (!isnew)
		return &ds->text[*v - 1];
	t = daysum_grow(&ds->text, &ds->ntext, sizeof(*t));
	t->host = host;
	t->diag = diag;
	t->cls = cls;
	t->reason = reason;
	*v = ds->ntext;
	return t;
}

static void
daysum_count(struct daysum *ds, int which, int64_t host, int64_t key, int reason,
    int64_t n)
{
	struct daysum_count	**a = which == MAP_HOUR ? &ds->hour : &ds->relay;
	size_t			 *na = which == MAP_HOUR ? &ds->nhour : &ds->nrelay;
	struct daysum_count	 *c;
	size_t			 *v;
	int			  isnew;

	if (which == MAP_RELAY && ds->relay_list) {
		struct daysum_rl	*r;

		/* a month's relays: half the bytes of a count, no host */
		r = daysum_grow(&ds->rl, &ds->nrl, sizeof(*r));
		r->key = key;
		r->nr = (uint64_t)n << 8 | (uint64_t)reason;
		return;
	}
	v = hash_slot(&ds->map[which], (uint64_t)key,
	    (uint64_t)host << 8 | (uint64_t)reason, &isnew);
	if (isnew) {
		c = daysum_grow(a, na, sizeof(*c));
		c->host = host;
		c->key = key;
		c->reason = reason;
		*v = *na;
	}
	(*a)[*v - 1].n += n;
}

/*
 * As the report counts rows (report_load.c): every valid row by text;
 * local_throttle apart from hours, relays, recipients and messages.
 */
static unsigned
daysum_row_parts(const struct store_failure *f)
{
	if (f->cls < 0 || f->cls >= CLASS_MAX || f->reason < 0 ||
	    f->reason >= REASON_MAX)
		return 0;
	if (f->reason == REASON_LOCAL_THROTTLE)
		return DAYSUM_P_TEXT;
	return DAYSUM_P_TEXT | DAYSUM_P_HOUR | (f->relay_id != 0 ? DAYSUM_P_RELAY : 0) |
	    (f->cls != CLASS_DELIVERED ? DAYSUM_P_DOM : 0);
}

/* A row's recipient (with its class) and message, to its domain's sketches. */
static void
daysum_row_recipient(const struct store_failure *f, struct sketch *rcpt,
    struct sketch *msg)
{
	if (f->local != NULL)
		sketch_add(rcpt, sketch_hash(f->local, strlen(f->local)),
		    f->cls >= 1 && f->cls <= 3 ? 1u << (f->cls - 1) : 0);
	/* a message: (host, Postfix instance, queue id) */
	if (f->queue_id != NULL)
		sketch_add(msg, sketch_hash_int(sketch_hash(f->queue_id,
		    strlen(f->queue_id)) + 0x9e3779b97f4a7c15ULL * (uint64_t)f->host_id +
		    0xc2b2ae3d27d4eb4fULL * (uint64_t)f->instance_id), 0);
}

/* A row to its text's count (the first unrecognised row) and domains. */
static void
daysum_row_text(const struct store_failure *f, struct daysum_text *t)
{
	t->n++;
	if (f->reason == REASON_OTHER && (t->ex_id == 0 || f->id < t->ex_id))
		t->ex_id = f->id;
	sketch_add(&t->domains, sketch_hash_int((uint64_t)f->domain_id), 0);
}

/* A row to the counts of its hour (in tz). */
static void
daysum_row_hour(struct daysum *ds, const struct tz *tz, const struct store_failure *f)
{
	int64_t	 local;

	local = tz_utc_to_local((struct tz *)tz, f->time) % 86400;
	if (local < 0)
		local += 86400;
	daysum_count(ds, MAP_HOUR, f->host_id, (int64_t)f->cls * 24 + local / 3600,
	    0, 1);
}

int
daysum_add_row(struct daysum *ds, const struct tz *tz, const struct store_failure *f)
{
	unsigned		 parts = daysum_row_parts(f);
	struct daysum_dom	*d;

	if (ds->ndom >= DAYSUM_MAX_KEYS || ds->nrelay >= DAYSUM_MAX_KEYS ||
	    ds->ntext >= DAYSUM_MAX_KEYS)
		return -1;
	if (parts & DAYSUM_P_TEXT)
		daysum_row_text(f, daysum_text(ds, f->host_id, f->diagnostic_id,
		    f->cls, f->reason));
	if (parts & DAYSUM_P_HOUR)
		daysum_row_hour(ds, tz, f);
	if (parts & DAYSUM_P_RELAY)
		daysum_count(ds, MAP_RELAY, f->host_id, f->relay_id, f->reason, 1);
	if (parts & DAYSUM_P_DOM) {
		d = daysum_dom(ds, f->host_id, f->domain_id);
		daysum_row_recipient(f, &d->rcpt, &d->msg);
	}
	return 0;
}

static int
daysum_cmp_dom(const void *a, const void *b)
{
	const struct daysum_dom	*x = *(struct daysum_dom *const *)a;
	const struct daysum_dom	*y = *(struct daysum_dom *const *)b;

	if (x->domain != y->domain)
		return x->domain < y->domain ? -1 : 1;
	return x->host < y->host ? -1 : x->host > y->host;
}

static void
daysum_put_dom(struct obuf *b, int64_t domain, int64_t host, struct sketch *rcpt,
    struct sketch *msg)
{
	sketch_put_varint(b, DAYSUM_DOM);
	sketch_put_varint(b, (uint64_t)domain);
	sketch_put_varint(b, (uint64_t)host);
	sketch_encode(rcpt, b);
	sketch_encode(msg, b);
}

static void
daysum_put_text(struct obuf *b, struct daysum_text *t)
{
	sketch_put_varint(b, DAYSUM_TEXT);
	sketch_put_varint(b, (uint64_t)t->host);
	sketch_put_varint(b, (uint64_t)t->diag);
	sketch_put_varint(b, (uint64_t)t->cls);
	sketch_put_varint(b, (uint64_t)t->reason);
	sketch_put_varint(b, (uint64_t)t->n);
	sketch_put_varint(b, (uint64_t)t->ex_id);
	sketch_encode(&t->domains, b);
}

static void
daysum_put_count(struct obuf *b, int relay, const struct daysum_count *c)
{
	sketch_put_varint(b, relay ? DAYSUM_RELAY : DAYSUM_HOUR);
	sketch_put_varint(b, (uint64_t)c->host);
	sketch_put_varint(b, (uint64_t)c->key);
	sketch_put_varint(b, (uint64_t)c->reason);
	sketch_put_varint(b, (uint64_t)c->n);
}

static void
daysum_put_end(struct obuf *b)
{
	sketch_put_varint(b, DAYSUM_END);
}

void
daysum_encode(struct daysum *ds, struct obuf *b)
{
	struct daysum_dom	**v;
	size_t			  i;

	/* domains first, in order: reports walk many days' side by side */
	v = xcalloc(ds->ndom + 1, sizeof(*v));
	for (i = 0; i < ds->ndom; i++)
		v[i] = &ds->dom[i];
	if (ds->ndom > 1)
		qsort(v, ds->ndom, sizeof(*v), daysum_cmp_dom);
	for (i = 0; i < ds->ndom; i++)
		daysum_put_dom(b, v[i]->domain, v[i]->host, &v[i]->rcpt, &v[i]->msg);
	free(v);
	for (i = 0; i < ds->ntext; i++)
		daysum_put_text(b, &ds->text[i]);
	for (i = 0; i < ds->nhour; i++)
		daysum_put_count(b, 0, &ds->hour[i]);
	for (i = 0; i < ds->nrelay; i++)
		daysum_put_count(b, 1, &ds->relay[i]);
	daysum_put_end(b);
}

/* Is host one of hosts (NULL: every host)? */
static int
daysum_host_in(const int64_t *hosts, size_t n, uint64_t host)
{
	size_t	 i;

	if (hosts == NULL)
		return 1;
	for (i = 0; i < n; i++)
		if (hosts[i] == (int64_t)host)
			return 1;
	return 0;
}

/* Is host one the merge takes, and under which id? */
static int
daysum_host(const struct daysum *ds, uint64_t host, int64_t *out)
{
	if (!daysum_host_in(ds->hosts, ds->nhosts, host))
		return 0;
	*out = ds->collapse ? 0 : (int64_t)host;
	return 1;
}

/* Read n varints into v: 0, or -1. */
static int
daysum_ints(const unsigned char **p, const unsigned char *end, uint64_t *v, int n)
{
	int	 i;

	for (i = 0; i < n; i++)
		if (sketch_get_varint(p, end, &v[i]) == -1)
			return -1;
	return 0;
}

/*
 * Merge the records of p .. end (daysum_encode()); with domend, only the
 * domains' records are read, not merged: *domend is where they end.
 */
static int
daysum_merge_records(struct daysum *ds, const unsigned char *p,
    const unsigned char *end, const unsigned char **domend)
{
	const unsigned char	*rec;
	uint64_t		 prev[2] = { 0, 0 };
	size_t			 ndom = 0;
	struct sketch		 junk, *s1, *s2;
	struct daysum_dom	*d;
	struct daysum_text	*t;
	uint64_t		 kind, v[6];
	int64_t			 host;
	int			 take, rc = -1;

	memset(&junk, 0, sizeof(junk));
	for (;;) {
		rec = p;
		if (sketch_get_varint(&p, end, &kind) == -1)
			goto out;
		if (domend != NULL && kind != DAYSUM_DOM) {
			/* the domains kept: the rest is another pass's */
			*domend = rec;
			rc = 0;
			goto out;
		}
		if (kind == DAYSUM_END)
			break;
		switch (kind) {
		case DAYSUM_DOM:
			if (daysum_ints(&p, end, v, 2) == -1)
				goto out;
			/* in order of domain and host: walked so, across days */
			if (ndom++ > 0 && (v[0] < prev[0] ||
			    (v[0] == prev[0] && v[1] <= prev[1])))
				goto out;
			prev[0] = v[0];
			prev[1] = v[1];
			/* kept whole, or another pass's */
			if (domend != NULL || ds->skip_doms) {
				if (sketch_skip(&p, end) == -1 || sketch_skip(&p, end) == -1)
					goto out;
				break;
			}
			take = daysum_host(ds, v[1], &host);
			s1 = s2 = &junk;
			if (take) {
				d = daysum_dom(ds, host, (int64_t)v[0]);
				s1 = &d->rcpt;
				s2 = &d->msg;
			}
			if (sketch_decode_merge(s1, &p, end) == -1 ||
			    sketch_decode_merge(s2, &p, end) == -1)
				goto out;
			sketch_free(&junk);
			break;
		case DAYSUM_TEXT:
			if (daysum_ints(&p, end, v, 6) == -1 ||
			    v[2] >= CLASS_MAX || v[3] >= REASON_MAX ||
			    v[4] > DAYSUM_N_MAX || v[5] > DAYSUM_N_MAX)
				goto out;
			s1 = &junk;
			if (ds->text_sink != NULL && daysum_host(ds, v[0], &host)) {
				struct daysum_text	 one;

				memset(&one, 0, sizeof(one));
				one.host = host;
				one.diag = (int64_t)v[1];
				one.cls = (int)v[2];
				one.reason = (int)v[3];
				one.n = (int64_t)v[4];
				one.ex_id = (int64_t)v[5];
				if (sketch_decode_merge(&one.domains, &p, end) == -1 ||
				    ds->text_sink(&one, ds->sink_arg) == -1) {
					sketch_free(&one.domains);
					goto out;
				}
				sketch_free(&one.domains);
				break;
			} else if (daysum_host(ds, v[0], &host)) {
				t = daysum_text(ds, host, (int64_t)v[1], (int)v[2],
				    (int)v[3]);
				t->n += (int64_t)v[4];
				if (v[5] != 0 && (t->ex_id == 0 || (int64_t)v[5] < t->ex_id))
					t->ex_id = (int64_t)v[5];
				s1 = &t->domains;
			}
			if (sketch_decode_merge(s1, &p, end) == -1)
				goto out;
			sketch_free(&junk);
			break;
		case DAYSUM_HOUR:
		case DAYSUM_RELAY:
			if (daysum_ints(&p, end, v, 4) == -1 || v[2] >= REASON_MAX ||
			    v[3] > DAYSUM_N_MAX)
				goto out;
			if (daysum_host(ds, v[0], &host))
				daysum_count(ds, kind == DAYSUM_HOUR ? MAP_HOUR :
				    MAP_RELAY, host, (int64_t)v[1], (int)v[2],
				    (int64_t)v[3]);
			break;
		default:
			goto out;
		}
	}
	rc = p == end ? 0 : -1;
out:
	if (rc == 0 && domend != NULL && *domend == NULL)
		*domend = end;
	sketch_free(&junk);
	return rc;
}

int
daysum_merge_blob(struct daysum *ds, const unsigned char *p, size_t len,
    int64_t t0, int64_t t1, struct daysum_doms *doms)
{
	const unsigned char	*end = p + len, *domend = NULL;
	unsigned char		*raw;
	uint64_t		 v[3];
	uLongf			 n;
	int			 rc;

	/* another version, or the day of another zone: not usable here */
	if (len < 2 || (p[0] != DAYSUM_MAGIC && p[0] != DAYSUM_NONE) ||
	    p[1] != DAYSUM_VERSION)
		return 0;
	if (p[0] == DAYSUM_NONE) {
		p += 2;
		if (daysum_ints(&p, end, v, 2) == -1)
			return -1;
		return (int64_t)v[0] == t0 && (int64_t)v[1] == t1 ? 2 : 0;
	}
	p += 2;
	/* deflate expands at most 1032 to 1: a larger length is a lie */
	if (daysum_ints(&p, end, v, 3) == -1 || v[2] > DAYSUM_RAW_MAX ||
	    v[2] > (uint64_t)(end - p) * DAYSUM_INFLATE_RATIO + 64)
		return -1;
	if ((int64_t)v[0] != t0 || (int64_t)v[1] != t1)
		return 0;
	raw = xmalloc(v[2] + 1);
	n = (uLongf)v[2];
	if (uncompress(raw, &n, p, (uLong)(end - p)) != Z_OK || n != v[2]) {
		free(raw);
		return -1;
	}
	rc = daysum_merge_records(ds, raw, raw + n, doms != NULL ? &domend : NULL);
	if (rc == 0 && doms != NULL) {
		/* the domains' records, kept for daysum_doms_walk() */
		n = (uLongf)(domend - raw);
		doms->buf = xrealloc(doms->buf, (doms->n + 1) * sizeof(*doms->buf));
		doms->len = xrealloc(doms->len, (doms->n + 1) * sizeof(*doms->len));
		doms->buf[doms->n] = xrealloc(raw, n + 1);
		doms->len[doms->n++] = n;
		return 1;
	}
	free(raw);
	return rc == 0 ? 1 : -1;
}

struct daysum_cursor {
	const unsigned char	*p;
	const unsigned char	*end;
	uint64_t		 domain;
	uint64_t		 host;
	int			 live;
};

/* The cursor's next domain record: 0 (live 0 at the end), or -1. */
static int
daysum_cursor_next(struct daysum_cursor *c)
{
	uint64_t	 v[3];

	if (c->p == c->end) {
		c->live = 0;
		return 0;
	}
	if (daysum_ints(&c->p, c->end, v, 3) == -1 || v[0] != DAYSUM_DOM ||
	    (c->live && v[1] < c->domain))
		return -1;
	c->domain = v[1];
	c->host = v[2];
	c->live = 1;
	return 0;
}

int
daysum_doms_walk(struct daysum_doms *dd, const int64_t *hosts, size_t nhosts,
    daysum_dom_cb cb, void *arg)
{
	struct daysum_cursor	*c;
	struct sketch		 rcpt, msg, junk;
	uint64_t		 min;
	size_t			 i;
	int			 any, rc = -1;

	c = xcalloc(dd->n + 1, sizeof(*c));
	memset(&rcpt, 0, sizeof(rcpt));
	memset(&msg, 0, sizeof(msg));
	memset(&junk, 0, sizeof(junk));
	for (i = 0; i < dd->n; i++) {
		c[i].p = dd->buf[i];
		c[i].end = dd->buf[i] + dd->len[i];
		if (daysum_cursor_next(&c[i]) == -1)
			goto out;
	}
	for (;;) {
		for (i = 0, any = 0, min = 0; i < dd->n; i++)
			if (c[i].live && (!any || c[i].domain < min)) {
				min = c[i].domain;
				any = 1;
			}
		if (!any)
			break;
		for (i = 0; i < dd->n; i++)
			while (c[i].live && c[i].domain == min) {
				struct sketch	*r = &junk, *m = &junk;

				if (daysum_host_in(hosts, nhosts, c[i].host)) {
					r = &rcpt;
					m = &msg;
				}
				if (sketch_decode_merge(r, &c[i].p, c[i].end) == -1 ||
				    sketch_decode_merge(m, &c[i].p, c[i].end) == -1 ||
				    daysum_cursor_next(&c[i]) == -1)
					goto out;
				sketch_free(&junk);
			}
		if ((rcpt.n > 0 || rcpt.reg != NULL || msg.n > 0 || msg.reg != NULL) &&
		    cb((int64_t)min, &rcpt, &msg, arg) == -1)
			goto out;
		sketch_free(&rcpt);
		sketch_free(&msg);
	}
	rc = 0;
out:
	sketch_free(&rcpt);
	sketch_free(&msg);
	sketch_free(&junk);
	free(c);
	return rc;
}

void
daysum_doms_free(struct daysum_doms *dd)
{
	size_t	 i;

	for (i = 0; i < dd->n; i++)
		free(dd->buf[i]);
	free(dd->buf);
	free(dd->len);
	memset(dd, 0, sizeof(*dd));
}

void
daysum_free(struct daysum *ds)
{
	size_t	 i;

	for (i = 0; i < ds->ndom; i++) {
		sketch_free(&ds->dom[i].rcpt);
		sketch_free(&ds->dom[i].msg);
	}
	for (i = 0; i < ds->ntext; i++)
		sketch_free(&ds->text[i].domains);
	free(ds->dom);
	free(ds->text);
	free(ds->hour);
	free(ds->relay);
	free(ds->rl);
	sketch_free(&ds->msg);
	for (i = 0; i < 4; i++)
		hash_free(&ds->map[i]);
	memset(ds, 0, sizeof(*ds));
}

/* The blob of a day too large to summarise: reports read its rows. */
void
daysum_frame_none(int64_t t0, int64_t t1, struct obuf *b)
{
	obuf_putc(b, DAYSUM_NONE);
	obuf_putc(b, DAYSUM_VERSION);
	sketch_put_varint(b, (uint64_t)t0);
	sketch_put_varint(b, (uint64_t)t1);
}

/* The blob: a header (the day's bounds), then the records deflated. */
void
daysum_frame(struct daysum *ds, int64_t t0, int64_t t1, struct obuf *b)
{
	struct obuf	 raw;

	obuf_init(&raw, NULL);
	daysum_encode(ds, &raw);
	daysum_frame_raw(&raw, t0, t1, b);
	obuf_free(&raw);
}

static void
daysum_frame_raw(struct obuf *raw, int64_t t0, int64_t t1, struct obuf *b)
{
	unsigned char	*zbuf;
	uLongf		 n;
	int		 rc;

	obuf_putc(b, DAYSUM_MAGIC);
	obuf_putc(b, DAYSUM_VERSION);
	sketch_put_varint(b, (uint64_t)t0);
	sketch_put_varint(b, (uint64_t)t1);
	sketch_put_varint(b, raw->n);
	n = compressBound((uLong)raw->n);
	zbuf = xmalloc(n);
	rc = compress2(zbuf, &n, (const Bytef *)raw->p, (uLong)raw->n, 6);
	if (rc != Z_OK)		/* only out of memory, which xmalloc() ends */
		fatalx("day summary: deflate: error %d", rc);
	obuf_put(b, (const char *)zbuf, n);
	free(zbuf);
}
