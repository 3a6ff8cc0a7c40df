/*
 * sketch.c -- mergeable distinct counts (sketch.h): a sorted list of
 * 25-bit item prefixes while small, HyperLogLog registers beyond.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "hash.h"
#include "sketch.h"
#include "util.h"

#define SKETCH_BITS	25		/* of an item's hash kept while sparse */
#define SKETCH_KEY(e)	((e) >> 3)
#define SKETCH_MASK(e)	((e) & 7u)
#define SKETCH_HASH(e)	((uint64_t)SKETCH_KEY(e) << (64 - SKETCH_BITS))
#define SKETCH_DENSE	0xffffffffu	/* the encoding's dense marker */

static uint64_t
sketch_mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

uint64_t
sketch_hash(const void *p, size_t n)
{
	return sketch_mix(hash_bytes(p, n));
}

uint64_t
sketch_hash_int(uint64_t v)
{
	return sketch_mix(v + 0x9e3779b97f4a7c15ULL);
}

/* Register index and rank of a hash of which the top bits bits are known. */
static void
sketch_reg_of(uint64_t h, int bits, uint32_t *idx, uint8_t *rank)
{
	uint64_t	 rest = h << SKETCH_P;
	int		 r = 1, max = bits - SKETCH_P + 1;

	*idx = (uint32_t)(h >> (64 - SKETCH_P));
	while (r < max && (rest & (1ULL << 63)) == 0) {
		rest <<= 1;
		r++;
	}
	*rank = (uint8_t)r;
}

static void
sketch_reg_set(struct sketch *s, uint64_t h, int bits, unsigned mask)
{
	uint32_t	 idx;
	uint8_t		 rank;
	int		 c;

	sketch_reg_of(h, bits, &idx, &rank);
	for (c = 0; c < SKETCH_CLASSES; c++) {
		uint8_t	*r = &s->reg[(size_t)c * SKETCH_M + idx];

		if ((c == 0 || (mask & (1u << (c - 1))) != 0) && *r < rank)
			*r = rank;
	}
}

/* Sort n items: by insertion when few, else by radix, a byte at a time. */
static void
sketch_sort(uint32_t *v, size_t n)
{
	uint32_t	*tmp, *from = v, *to, *swap, x;
	size_t		 count[256], i, j, sum;
	int		 shift;

	if (n < 64) {
		for (i = 1; i < n; i++) {
			x = v[i];
			for (j = i; j > 0 && v[j - 1] > x; j--)
				v[j] = v[j - 1];
			v[j] = x;
		}
		return;
	}
	to = tmp = xmalloc(n * sizeof(*tmp));
	for (shift = 0; shift < 32; shift += 8) {
		memset(count, 0, sizeof(count));
		for (i = 0; i < n; i++)
			count[from[i] >> shift & 0xff]++;
		for (i = 0, sum = 0; i < 256; i++) {
			j = count[i];
			count[i] = sum;
			sum += j;
		}
		for (i = 0; i < n; i++)
			to[count[from[i] >> shift & 0xff]++] = from[i];
		swap = from;
		from = to;
		to = swap;
	}
	/* four passes: the sorted items are back in v */
	free(tmp);
}

/* Sort the list and make its items unique, their masks joined. */
static void
sketch_compact(struct sketch *s)
{
	size_t	 i, o;

	if (s->sorted == s->n)
		return;
	sketch_sort(s->v, s->n);
	for (i = 0, o = 0; i < s->n; i++) {
		if (o > 0 && SKETCH_KEY(s->v[o - 1]) == SKETCH_KEY(s->v[i]))
			s->v[o - 1] |= s->v[i];
		else
			s->v[o++] = s->v[i];
	}
	s->n = s->sorted = o;
}

static void
sketch_densify(struct sketch *s)
{
	size_t	 i;

	s->reg = xcalloc(SKETCH_CLASSES, SKETCH_M);
	for (i = 0; i < s->n; i++)
		sketch_reg_set(s, SKETCH_HASH(s->v[i]), SKETCH_BITS,
		    SKETCH_MASK(s->v[i]));
	free(s->v);
	s->v = NULL;
	s->n = s->cap = s->sorted = 0;
}

static void
sketch_push(struct sketch *s, uint32_t e)
{
	if (s->n == s->cap) {
		/* compact before growing: repeats are common */
		if (s->n > s->sorted && s->n >= 64)
			sketch_compact(s);
		if (s->n > SKETCH_SPARSE_MAX) {
			sketch_densify(s);
			sketch_reg_set(s, SKETCH_HASH(e), SKETCH_BITS, SKETCH_MASK(e));
			return;
		}
		if (s->n == s->cap) {
			s->cap = s->cap == 0 ? 8 : s->cap * 2;
			if (s->cap > SKETCH_SPARSE_MAX + 1)
				s->cap = SKETCH_SPARSE_MAX + 1;
			s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
		}
	}
	s->v[s->n++] = e;
}

/* Merge the sorted, unique run into the sorted list of s. */
static void
sketch_union(struct sketch *s, const uint32_t *run, size_t n)
{
	uint32_t	*out;
	size_t		 i = 0, j = 0, o = 0, cap;

	cap = s->n + n;
	out = xmalloc(cap * sizeof(*out));
	while (i < s->n || j < n) {
		if (j == n || (i < s->n && SKETCH_KEY(s->v[i]) < SKETCH_KEY(run[j])))
			out[o++] = s->v[i++];
		else if (i == s->n || SKETCH_KEY(run[j]) < SKETCH_KEY(s->v[i]))
			out[o++] = run[j++];
		else
			out[o++] = s->v[i++] | run[j++];
	}
	free(s->v);
	s->v = out;
	s->n = s->sorted = o;
	s->cap = cap;
	if (s->n > SKETCH_SPARSE_MAX)
		sketch_densify(s);
}

void
sketch_add(struct sketch *s, uint64_t hash, unsigned mask)
{
	if (s->reg != NULL)
		sketch_reg_set(s, hash, 64, mask);
	else
		sketch_push(s, (uint32_t)(hash >> (64 - SKETCH_BITS)) << 3 | (mask & 7u));
}

void
sketch_merge(struct sketch *dst, struct sketch *src)
{
	size_t	 i;

	if (src->reg != NULL) {
		if (dst->reg == NULL)
			sketch_densify(dst);
		for (i = 0; i < (size_t)SKETCH_CLASSES * SKETCH_M; i++)
			if (dst->reg[i] < src->reg[i])
				dst->reg[i] = src->reg[i];
		return;
	}
	for (i = 0; i < src->n; i++) {
		if (dst->reg != NULL)
			sketch_reg_set(dst, SKETCH_HASH(src->v[i]), SKETCH_BITS,
			    SKETCH_MASK(src->v[i]));
		else
			sketch_push(dst, src->v[i]);
	}
}

/* The HyperLogLog estimate of one class's registers (linear counting below 2.5 m). */
static int64_t
sketch_hll(const uint8_t *r)
{
	double		 m = SKETCH_M, sum = 0, e;
	unsigned	 zeros = 0, i;

	for (i = 0; i < SKETCH_M; i++) {
		sum += ldexp(1.0, -r[i]);
		if (r[i] == 0)
			zeros++;
	}
	e = 0.7213 / (1 + 1.079 / m) * m * m / sum;
	if (e <= 2.5 * m && zeros > 0)
		e = m * log(m / zeros);
	return (int64_t)llround(e);
}

int64_t
sketch_count(struct sketch *s, int c)
{
	size_t	 i;
	int64_t	 n = 0;

	if (c < 0 || c >= SKETCH_CLASSES)
		return 0;
	if (s->reg != NULL)
		return sketch_hll(s->reg + (size_t)c * SKETCH_M);
	sketch_compact(s);
	if (c == 0)
		return (int64_t)s->n;
	for (i = 0; i < s->n; i++)
		if (SKETCH_MASK(s->v[i]) & (1u << (c - 1)))
			n++;
	return n;
}

int
sketch_estimated(const struct sketch *s)
{
	return s->reg != NULL;
}

void
sketch_free(struct sketch *s)
{
	free(s->v);
	free(s->reg);
	memset(s, 0, sizeof(*s));
}

void
sketch_put_varint(struct obuf *b, uint64_t v)
{
	char	 c;

	do {
		c = (char)(v & 0x7f);
		v >>= 7;
		if (v != 0)
			c = (char)(c | 0x80);
		obuf_putc(b, c);
	} while (v != 0);
}

int
sketch_get_varint(const unsigned char **p, const unsigned char *end, uint64_t *out)
{
	uint64_t	 v = 0;
	int		 shift = 0;

	while (*p < end && shift < 64) {
		unsigned char	 c = *(*p)++;

		v |= (uint64_t)(c & 0x7f) << shift;
		if ((c & 0x80) == 0) {
			*out = v;
			return 0;
		}
		shift += 7;
	}
	return -1;
}

/*
 * Sparse: the number of items times two, plus one when any has a class
 * mask; then each item's difference from the one before (the list
 * sorted), the item's key alone when no mask is kept.  Dense:
 * SKETCH_DENSE, then the registers.
 */
void
sketch_encode(struct sketch *s, struct obuf *b)
{
	size_t		 i;
	uint32_t	 last = 0, v, masked = 0;

	if (s->reg != NULL) {
		sketch_put_varint(b, SKETCH_DENSE);
		obuf_put(b, (const char *)s->reg, (size_t)SKETCH_CLASSES * SKETCH_M);
		return;
	}
	sketch_compact(s);
	for (i = 0; i < s->n; i++)
		masked |= SKETCH_MASK(s->v[i]);
	sketch_put_varint(b, (uint64_t)s->n << 1 | (masked != 0));
	for (i = 0; i < s->n; i++) {
		v = masked ? s->v[i] : SKETCH_KEY(s->v[i]);
		sketch_put_varint(b, v - last);
		last = v;
	}
}

int
sketch_skip(const unsigned char **p, const unsigned char *end)
{
	uint64_t	 h, n, i, v;

	if (sketch_get_varint(p, end, &h) == -1)
		return -1;
	if (h == SKETCH_DENSE) {
		if ((size_t)(end - *p) < (size_t)SKETCH_CLASSES * SKETCH_M)
			return -1;
		*p += (size_t)SKETCH_CLASSES * SKETCH_M;
		return 0;
	}
	for (n = h >> 1, i = 0; i < n; i++)
		if (sketch_get_varint(p, end, &v) == -1)
			return -1;
	return 0;
}

int
sketch_decode_merge(struct sketch *s, const unsigned char **p,
    const unsigned char *end)
{
	struct sketch	 d;
	uint64_t	 h, n, delta, i, v = 0;
	uint32_t	 e;
	int		 masked;

	if (sketch_get_varint(p, end, &h) == -1)
		return -1;
	if (h == SKETCH_DENSE) {
		if ((size_t)(end - *p) < (size_t)SKETCH_CLASSES * SKETCH_M)
			return -1;
		memset(&d, 0, sizeof(d));
		d.reg = (uint8_t *)*p;	/* read only: merged from */
		sketch_merge(s, &d);
		*p += (size_t)SKETCH_CLASSES * SKETCH_M;
		return 0;
	}
	n = h >> 1;
	masked = h & 1;
	if (n > (uint64_t)(end - *p))	/* at least a byte each */
		return -1;
	/* a sorted run: merged in one pass into a list kept sorted */
	if (s->reg == NULL && s->sorted == s->n && n > 0) {
		uint32_t	*run = xmalloc(n * sizeof(*run));

		for (i = 0; i < n; i++) {
			if (sketch_get_varint(p, end, &delta) == -1 ||
			    (v += delta) >= (1ULL << (SKETCH_BITS + (masked ? 3 : 0)))) {
				free(run);
				return -1;
			}
			run[i] = masked ? (uint32_t)v : (uint32_t)v << 3;
			/* one item a key, in order: as sketch_encode() writes */
			if (i > 0 && SKETCH_KEY(run[i]) <= SKETCH_KEY(run[i - 1])) {
				free(run);
				return -1;
			}
		}
		sketch_union(s, run, (size_t)n);
		free(run);
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (sketch_get_varint(p, end, &delta) == -1 ||
		    (v += delta) >= (1ULL << (SKETCH_BITS + (masked ? 3 : 0))))
			return -1;
		e = masked ? (uint32_t)v : (uint32_t)v << 3;
		if (s->reg != NULL)
			sketch_reg_set(s, SKETCH_HASH(e), SKETCH_BITS, SKETCH_MASK(e));
		else
			sketch_push(s, e);
	}
	return 0;
}
