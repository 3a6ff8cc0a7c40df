/*
 * hash.h -- the project's one hash table and its hash functions: an open-
 * addressing map from a two-word key to a size_t (0 is "empty", so
 * callers store an index + 1), growing as it fills; a filter of fixed
 * size ("may hold this key": two bits a key, never a false negative);
 * FNV-1a for bytes (the hash databases keep), and a faster one for
 * memory only.
 */
#ifndef BW_HASH_H
#define BW_HASH_H

#include <stddef.h>
#include <stdint.h>

struct hash_slot {
	uint64_t	 a;
	uint64_t	 b;
	size_t		 v;		/* 0: empty */
};

struct hash {
	struct hash_slot *slot;
	size_t		 cap;		/* a power of two, or 0 */
	size_t		 n;
};

/* FNV-1a of n bytes (stored in databases: never change it). */
uint64_t	 hash_bytes(const void *, size_t);
/*
 * A hash of n bytes eight at a time, for memory only: it may change from
 * one version to the next (never store it).
 */
uint64_t	 hash_fast(const void *, size_t);
/* The value slot of (a, b), created with value 0 when new (*isnew). */
size_t		*hash_slot(struct hash *, uint64_t a, uint64_t b, int *isnew);
/* The value of (a, b), 0 when absent. */
size_t		 hash_find(const struct hash *, uint64_t a, uint64_t b);
/* Forget every key, keep the memory. */
void		 hash_clear(struct hash *);
void		 hash_free(struct hash *);

/*
 * A filter of 2^order bits (a Bloom filter with two probes, both in one
 * cache line): its memory is fixed whatever the number of keys, and a key
 * added is always found; one never added is found with a probability
 * that grows with the keys (about (2n / 2^order)^2, 1.4% for n =
 * 2^order / 16).
 */
struct hash_filter {
	uint64_t	*w;
	unsigned	 order;
	size_t		 n;		/* keys added since cleared */
};
void		 hash_filter_init(struct hash_filter *, unsigned order);
void		 hash_filter_add(struct hash_filter *, uint64_t key);
int		 hash_filter_has(const struct hash_filter *, uint64_t key);
void		 hash_filter_clear(struct hash_filter *);
void		 hash_filter_free(struct hash_filter *);

#endif
