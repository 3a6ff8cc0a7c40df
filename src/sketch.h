/*
 * sketch.h -- counts of distinct items that can be merged: each item a
 * 64-bit hash with a class mask (three classes; 0 for none).  While
 * small, a sketch keeps the items' top 25 bits and counts exactly but for
 * items that agree in them (n^2 / 2^26 such pairs are expected: none
 * below a few hundred items, one at SKETCH_SPARSE_MAX); beyond that it
 * becomes a HyperLogLog of 2^14 registers per class (a standard error of
 * 0.8%).  Sketches are stored in day summaries: their encoding and
 * sketch_hash() never change.
 */
#ifndef BW_SKETCH_H
#define BW_SKETCH_H

#include <stddef.h>
#include <stdint.h>

#define SKETCH_CLASSES		4	/* 0: any item; 1 .. 3: by class */
#define SKETCH_P		14
#define SKETCH_M		(1u << SKETCH_P)
#define SKETCH_SPARSE_MAX	8192

struct sketch {
	uint32_t	*v;		/* sparse: hash >> 39 << 3 | mask */
	size_t		 n;
	size_t		 cap;
	size_t		 sorted;	/* v[0 .. sorted) sorted and unique */
	uint8_t		*reg;		/* dense: SKETCH_CLASSES x SKETCH_M */
};

struct obuf;

/* A stable 64-bit hash of n bytes, for sketches (stored: never change). */
uint64_t	 sketch_hash(const void *, size_t);
/* The same of a 64-bit integer. */
uint64_t	 sketch_hash_int(uint64_t);

/* Add an item of classes mask (bit c - 1 for class c; 0: counted in any). */
void		 sketch_add(struct sketch *, uint64_t hash, unsigned mask);
/* Add every item of src to dst. */
void		 sketch_merge(struct sketch *dst, struct sketch *src);
/* Distinct items of class c (0: any): exact while sparse, else estimated. */
int64_t		 sketch_count(struct sketch *, int c);
/* 1 when the counts are estimates. */
int		 sketch_estimated(const struct sketch *);
void		 sketch_free(struct sketch *);

/* Append the encoding of s to b. */
void		 sketch_encode(struct sketch *, struct obuf *);
/*
 * Merge the encoding at *p (at most end) into s and advance *p: 0, or -1
 * when it is malformed.
 */
int		 sketch_decode_merge(struct sketch *, const unsigned char **p,
		    const unsigned char *end);

/* Pass over an encoding at *p: 0, or -1 when it is malformed. */
int		 sketch_skip(const unsigned char **p, const unsigned char *end);

/* Unsigned LEB128 varints, for the encodings built on sketches. */
void		 sketch_put_varint(struct obuf *, uint64_t);
int		 sketch_get_varint(const unsigned char **p, const unsigned char *end,
		    uint64_t *);

#endif
