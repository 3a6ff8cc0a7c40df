/*
 * test_sketch.c -- the distinct counts of day summaries: sketches exact
 * while small (with class masks), estimates within their error once
 * dense, merges that equal the union whatever the order and the form,
 * encodings that come back the same and refuse damage; and day
 * summaries (daysum.c) that come back from their blob as they were built,
 * through host filters; and the in-place sort that orders a month's
 * relays (util_sort) as qsort() would.
 */
#include "config.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "classify.h"
#include "daysum.h"
#include "emit.h"
#include "sketch.h"
#include "store.h"
#include "tz.h"
#include "util.h"

static uint64_t
item(uint64_t i)
{
	char	 key[32];
	int	 n = snprintf(key, sizeof(key), "user%llu", (unsigned long long)i);

	return sketch_hash(key, (size_t)n);
}

/* Encode s and decode it into a new sketch. */
static void
roundtrip(struct sketch *s, struct sketch *out)
{
	struct obuf		 b;
	const unsigned char	*p;

	obuf_init(&b, NULL);
	sketch_encode(s, &b);
	p = (const unsigned char *)b.p;
	memset(out, 0, sizeof(*out));
	assert_int_equal(sketch_decode_merge(out, &p, p + b.n), 0);
	assert_ptr_equal(p, (const unsigned char *)b.p + b.n);
	obuf_free(&b);
}

static void
test_small_exact(void **state)
{
	struct sketch	 s, r;
	uint64_t	 i;

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_int_equal(sketch_count(&s, 0), 0);
	/* 300 recipients: 0..99 permanent, 100..299 temporary, 50..149 greylisted too */
	for (i = 0; i < 300; i++)
		sketch_add(&s, item(i), i < 100 ? 1 : 2);
	for (i = 50; i < 150; i++)
		sketch_add(&s, item(i), 4);
	for (i = 0; i < 300; i++)	/* repeats change nothing */
		sketch_add(&s, item(i), i < 100 ? 1 : 2);
	assert_false(sketch_estimated(&s));
	assert_int_equal(sketch_count(&s, 0), 300);
	assert_int_equal(sketch_count(&s, 1), 100);
	assert_int_equal(sketch_count(&s, 2), 200);
	assert_int_equal(sketch_count(&s, 3), 100);
	roundtrip(&s, &r);
	assert_int_equal(sketch_count(&r, 0), 300);
	assert_int_equal(sketch_count(&r, 3), 100);
	sketch_free(&s);
	sketch_free(&r);
}

/* Merging halves in any order and form equals adding everything. */
static void
test_merge(void **state)
{
	struct sketch	 a, b, all, ra;
	uint64_t	 i;

	(void)state;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&all, 0, sizeof(all));
	for (i = 0; i < 3000; i++) {
		sketch_add(i % 2 ? &a : &b, item(i), 1);
		sketch_add(&all, item(i), 1);
	}
	for (i = 1000; i < 2000; i++)	/* overlap */
		sketch_add(&a, item(i), 1);
	roundtrip(&a, &ra);
	sketch_merge(&ra, &b);
	assert_int_equal(sketch_count(&ra, 0), sketch_count(&all, 0));
	assert_int_equal(sketch_count(&ra, 0), 3000);
	sketch_free(&a);
	sketch_free(&b);
	sketch_free(&all);
	sketch_free(&ra);
}

/* Past SKETCH_SPARSE_MAX: estimates within 2% (2.5 standard errors). */
static void
test_estimate(void **state)
{
	static const uint64_t	 sizes[] = { 9000, 20000, 100000, 1000000 };
	struct sketch		 s, r, half;
	size_t			 k;
	uint64_t		 i, n;
	double			 e;

	(void)state;
	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		n = sizes[k];
		memset(&s, 0, sizeof(s));
		memset(&half, 0, sizeof(half));
		for (i = 0; i < n; i++) {
			sketch_add(&s, item(i), i % 3 == 0 ? 1 : 2);
			if (i < n / 2)
				sketch_add(&half, item(i), 1);
		}
		assert_true(sketch_estimated(&s));
		e = (double)sketch_count(&s, 0);
		assert_true(fabs(e - (double)n) <= 0.02 * (double)n);
		e = (double)sketch_count(&s, 1);
		assert_true(fabs(e - (double)(n + 2) / 3) <= 0.03 * (double)n / 3);
		/* dense through an encoding, merged with a sparse or dense half */
		roundtrip(&s, &r);
		sketch_merge(&r, &half);
		assert_int_equal(sketch_count(&r, 0), sketch_count(&s, 0));
		sketch_free(&s);
		sketch_free(&r);
		sketch_free(&half);
	}
}

/* Truncated or damaged encodings are refused, never read past their end. */
static void
test_damage(void **state)
{
	struct sketch		 s, r;
	struct obuf		 b;
	const unsigned char	*p;
	unsigned char		*copy;
	size_t			 cut;
	uint64_t		 i;

	(void)state;
	memset(&s, 0, sizeof(s));
	for (i = 0; i < 50; i++)
		sketch_add(&s, item(i), 2);
	obuf_init(&b, NULL);
	sketch_encode(&s, &b);
	for (cut = 0; cut < b.n; cut++) {
		copy = malloc(cut + 1);
		memcpy(copy, b.p, cut);
		p = copy;
		memset(&r, 0, sizeof(r));
		assert_int_equal(sketch_decode_merge(&r, &p, copy + cut), -1);
		p = copy;
		assert_int_equal(sketch_skip(&p, copy + cut), -1);
		sketch_free(&r);
		free(copy);
	}
	obuf_free(&b);
	sketch_free(&s);
}

static struct store_failure
row(int64_t id, int64_t host, int64_t domain, int cls, int reason, int64_t diag,
    int64_t relay, const char *local, const char *queue)
{
	struct store_failure	 f;

	memset(&f, 0, sizeof(f));
	f.id = id;
	f.time = 1790812800 + id * 60;	/* 2026-10-01 00:00 UTC on */
	f.host_id = host;
	f.domain_id = domain;
	f.cls = cls;
	f.reason = reason;
	f.diagnostic_id = diag;
	f.relay_id = relay;
	f.local = local;
	f.queue_id = queue;
	return f;
}

/* Encode the summary of ds as daysum_build() frames it, merge it into out. */
static int
reread(struct daysum *ds, struct daysum *out, struct daysum_doms *doms)
{
	struct obuf	 b;
	int		 rc;

	obuf_init(&b, NULL);
	daysum_frame(ds, 100, 200, &b);
	rc = daysum_merge_blob(out, (const unsigned char *)b.p, b.n, 100, 200, doms);
	obuf_free(&b);
	return rc;
}

struct walked {
	int64_t		 domain[8];
	int64_t		 rcpt[8];
	int64_t		 perm[8];
	int64_t		 msg[8];
	int		 n;
};

static int
walk_cb(int64_t domain, struct sketch *rcpt, struct sketch *msg, void *arg)
{
	struct walked	*w = arg;

	assert_true(w->n < 8);
	w->domain[w->n] = domain;
	w->rcpt[w->n] = sketch_count(rcpt, 0);
	w->perm[w->n] = sketch_count(rcpt, CLASS_PERMANENT);
	w->msg[w->n] = sketch_count(msg, 0);
	w->n++;
	return 0;
}

static void
test_daysum(void **state)
{
	struct daysum		 ds, out;
	struct daysum_doms	 doms;
	struct walked		 w;
	struct store_failure	 f[] = {
		row(1, 1, 7, CLASS_PERMANENT, REASON_USER_UNKNOWN, 3, 9, "ann", "Q1"),
		row(2, 1, 7, CLASS_TEMPORARY, REASON_MAILBOX_FULL, 4, 9, "bob", "Q1"),
		row(3, 2, 7, CLASS_PERMANENT, REASON_USER_UNKNOWN, 3, 9, "ann", "Q2"),
		row(4, 2, 5, CLASS_TEMPORARY, REASON_OTHER, 6, 0, "cy", "Q3"),
		row(5, 2, 5, CLASS_TEMPORARY, REASON_LOCAL_THROTTLE, 8, 0, "cy", "Q3"),
	};
	const int64_t		 host2[] = { 2 };
	struct tz		*utc = tz_new("UTC");
	size_t			 i;

	(void)state;
	memset(&ds, 0, sizeof(ds));
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		assert_int_equal(daysum_add_row(&ds, utc, &f[i]), 0);
	/* every host, merged into one: domains walked in id order */
	memset(&out, 0, sizeof(out));
	memset(&doms, 0, sizeof(doms));
	out.collapse = 1;
	assert_int_equal(reread(&ds, &out, &doms), 1);
	assert_int_equal(out.ntext, 0);		/* only the domains taken */
	memset(&w, 0, sizeof(w));
	assert_int_equal(daysum_doms_walk(&doms, NULL, 0, walk_cb, &w), 0);
	assert_int_equal(w.n, 2);
	assert_int_equal(w.domain[0], 5);
	assert_int_equal(w.rcpt[0], 1);		/* local_throttle apart */
	assert_int_equal(w.msg[0], 1);
	assert_int_equal(w.domain[1], 7);
	assert_int_equal(w.rcpt[1], 2);		/* ann on both hosts: once */
	assert_int_equal(w.perm[1], 1);
	assert_int_equal(w.msg[1], 2);		/* Q1 and host 2's Q2 */
	/* host 2 only */
	memset(&w, 0, sizeof(w));
	assert_int_equal(daysum_doms_walk(&doms, host2, 1, walk_cb, &w), 0);
	assert_int_equal(w.n, 2);
	assert_int_equal(w.rcpt[1], 1);
	daysum_doms_free(&doms);
	/* the other pass: texts, hours, relays, domains passed over */
	out.skip_doms = 1;
	assert_int_equal(reread(&ds, &out, NULL), 1);
	assert_int_equal(out.ndom, 0);
	assert_int_equal(out.ntext, 4);
	for (i = 0; i < out.ntext; i++) {
		if (out.text[i].diag == 3) {
			assert_int_equal(out.text[i].n, 2);
			assert_int_equal(sketch_count(&out.text[i].domains, 0), 1);
		}
		if (out.text[i].diag == 6)
			assert_int_equal(out.text[i].ex_id, 4);
	}
	assert_int_equal(out.nrelay, 2);	/* relay 9: two reasons */
	/* another zone's day, another version: not usable; damage: -1 */
	{
		struct obuf	 b;

		obuf_init(&b, NULL);
		daysum_frame(&ds, 100, 200, &b);
		assert_int_equal(daysum_merge_blob(&out, (const unsigned char *)b.p,
		    b.n, 100, 201, NULL), 0);
		b.p[1]++;
		assert_int_equal(daysum_merge_blob(&out, (const unsigned char *)b.p,
		    b.n, 100, 200, NULL), 0);
		b.p[1]--;
		b.p[b.n - 3] ^= 0x55;
		assert_int_equal(daysum_merge_blob(&out, (const unsigned char *)b.p,
		    b.n, 100, 200, NULL), -1);
		obuf_free(&b);
		/* a length no deflate stream of these bytes can reach: refused
		 * before anything is allocated for it (fuzz seed rawlen-lie) */
		{
			static const unsigned char lie[] = { 'S', 1, 100, 0xc8,
			    0x01, 0x80, 0x80, 0x80, 0x40, 'x', 'x', 'x', 'x' };

			assert_int_equal(daysum_merge_blob(&out, lie, sizeof(lie),
			    100, 200, NULL), -1);
		}
	}
	daysum_free(&out);
	daysum_free(&ds);
	/* a day of too many domains: refused past DAYSUM_MAX_KEYS */
	memset(&ds, 0, sizeof(ds));
	for (i = 0; i < DAYSUM_MAX_KEYS; i++) {
		f[0].domain_id = (int64_t)i + 1;
		assert_int_equal(daysum_add_row(&ds, utc, &f[0]), 0);
	}
	assert_int_equal(daysum_add_row(&ds, utc, &f[0]), -1);
	daysum_free(&ds);
	tz_free(utc);
}

struct sort_el {
	int64_t		 key;
	int		 reason;
	char		 pad[13];	/* an odd size: every byte swapped */
};

static int
sort_cmp(const void *a, const void *b)
{
	const struct sort_el	*x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->reason - y->reason;
}

static void
test_util_sort(void **state)
{
	static const size_t	 sizes[] = { 0, 1, 2, 3, 7, 64, 1000, 4097 };
	struct sort_el		*a, *b;
	size_t			 s, i, n;
	uint64_t		 x = 88172645463325252ULL;

	(void)state;
	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		n = sizes[s];
		a = calloc(n + 1, sizeof(*a));
		b = calloc(n + 1, sizeof(*b));
		assert_non_null(a);
		assert_non_null(b);
		for (i = 0; i < n; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			/* few keys: many ties broken by the reason, some equal */
			a[i].key = (int64_t)(x % (n / 4 + 1));
			a[i].reason = (int)(x >> 40) % 5;
			memset(a[i].pad, (int)(x >> 32) & 0xff, sizeof(a[i].pad));
		}
		memcpy(b, a, n * sizeof(*a));
		util_sort(a, n, sizeof(*a), sort_cmp);
		if (n > 0)
			qsort(b, n, sizeof(*b), sort_cmp);
		for (i = 0; i < n; i++) {
			assert_int_equal(a[i].key, b[i].key);
			assert_int_equal(a[i].reason, b[i].reason);
			if (i > 0)
				assert_true(sort_cmp(&a[i - 1], &a[i]) <= 0);
		}
		free(a);
		free(b);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_exact),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_estimate),
		cmocka_unit_test(test_damage),
		cmocka_unit_test(test_daysum),
		cmocka_unit_test(test_util_sort),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
