/*
 * hash.c -- the hash table and hash function of hash.h.  Linear probing
 * over a power-of-two table kept at most half full; no deletion (tables
 * are cleared or freed as a whole); the fixed-size filter.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "util.h"

uint64_t
hash_bytes(const void *p, size_t n)
{
	const unsigned char	*s = p;
	/*
	 * Not FNV's offset basis (14695981039346656037, a digit longer):
	 * databases store these hashes (diagnostic.hash, pending.rcpt), so
	 * the constant they were written with stays.
	 */
	uint64_t		 h = 1469598103934665603ULL;
	size_t			 i;

	for (i = 0; i < n; i++) {
		h ^= s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

uint64_t
hash_fast(const void *p, size_t n)
{
	const unsigned char	*s = p;
	uint64_t		 h = 0x9e3779b97f4a7c15ULL ^ n, w;

	for (; n >= 8; s += 8, n -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
		h ^= h >> 29;
	}
	if (n > 0) {
		w = 0;
		memcpy(&w, s, n);
		h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
	}
	h ^= h >> 32;
	h *= 0x94d049bb133111ebULL;
	return h ^ (h >> 29);
}

static uint64_t
hash_mix(uint64_t a, uint64_t b)
{
	uint64_t	 x = a * 0x9e3779b97f4a7c15ULL ^ (b + 0x632be59bd9b4e019ULL);

	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static void
hash_grow(struct hash *h)
{
	struct hash_slot	*old = h->slot;
	size_t			 ocap = h->cap, i, j;

	h->cap = ocap == 0 ? 1024 : ocap * 2;
	h->slot = xcalloc(h->cap, sizeof(*h->slot));
	for (i = 0; i < ocap; i++) {
		if (old[i].v == 0)
			continue;
		j = hash_mix(old[i].a, old[i].b) & (h->cap - 1);
		while (h->slot[j].v != 0)
			j = (j + 1) & (h->cap - 1);
		h->slot[j] = old[i];
	}
	free(old);
}

size_t *
hash_slot(struct hash *h, uint64_t a, uint64_t b, int *isnew)
{
	size_t	 j;

	if ((h->n + 1) * 2 > h->cap)
		hash_grow(h);
	j = hash_mix(a, b) & (h->cap - 1);
	while (h->slot[j].v != 0) {
		if (h->slot[j].a == a && h->slot[j].b == b) {
			*isnew = 0;
			return &h->slot[j].v;
		}
		j = (j + 1) & (h->cap - 1);
	}
	h->slot[j].a = a;
	h->slot[j].b = b;
	h->n++;
	*isnew = 1;
	return &h->slot[j].v;
}

size_t
hash_find(const struct hash *h, uint64_t a, uint64_t b)
{
	size_t	 j;

	if (h->cap == 0)
		return 0;
	j = hash_mix(a, b) & (h->cap - 1);
	while (h->slot[j].v != 0) {
		if (h->slot[j].a == a && h->slot[j].b == b)
			return h->slot[j].v;
		j = (j + 1) & (h->cap - 1);
	}
	return 0;
}

void
hash_clear(struct hash *h)
{
	if (h->cap > 0)
		memset(h->slot, 0, h->cap * sizeof(*h->slot));
	h->n = 0;
}

void
hash_free(struct hash *h)
{
	free(h->slot);
	memset(h, 0, sizeof(*h));
}

void
hash_filter_init(struct hash_filter *f, unsigned order)
{
	f->order = order < 6 ? 6 : order;
	f->w = xcalloc((size_t)1 << (f->order - 6), sizeof(*f->w));
}

/*
 * The key's two bits, after a mix that spreads every bit: both in one
 * 512-bit block (one cache line), so that a lookup costs one miss, not
 * two; the block from the low half, the bits in it from the high one.
 */
static void
hash_filter_bits(const struct hash_filter *f, uint64_t key, size_t bit[2])
{
	uint64_t	 x = key, mask = ((uint64_t)1 << f->order) - 1;

	x ^= x >> 31;
	x *= 0x7fb5d329728ea185ULL;
	x ^= x >> 27;
	x *= 0x81dadef4bc2dd44dULL;
	x ^= x >> 33;
	bit[0] = (size_t)(x & mask);
	bit[1] = (size_t)((x & mask & ~(uint64_t)511) | (x >> 32 & 511));
	if (bit[1] == bit[0])
		bit[1] ^= 1;
}

void
hash_filter_add(struct hash_filter *f, uint64_t key)
{
	size_t	 bit[2];

	hash_filter_bits(f, key, bit);
	f->n++;
	f->w[bit[0] / 64] |= 1ULL << (bit[0] % 64);
	f->w[bit[1] / 64] |= 1ULL << (bit[1] % 64);
}

int
hash_filter_has(const struct hash_filter *f, uint64_t key)
{
	size_t	 bit[2];

	hash_filter_bits(f, key, bit);
	return (f->w[bit[0] / 64] >> (bit[0] % 64) & 1) &&
	    (f->w[bit[1] / 64] >> (bit[1] % 64) & 1);
}

void
hash_filter_clear(struct hash_filter *f)
{
	memset(f->w, 0, ((size_t)1 << (f->order - 6)) * sizeof(*f->w));
	f->n = 0;
}

void
hash_filter_free(struct hash_filter *f)
{
	free(f->w);
	memset(f, 0, sizeof(*f));
}
