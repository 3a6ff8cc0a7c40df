/*
 * fuzz_daysum.c -- libFuzzer target: one input is a day summary as a
 * database may hold it after damage, read the way a report reads it
 * (daysum.c): once as a whole blob, once as the records inside a valid
 * header and deflate stream.  Each is merged in both passes (the
 * domains' records kept, then walked; the rest with the domains passed
 * over), through a host filter and without.  Checks: a merge says 2, 1,
 * 0 or -1 and nothing else; what merged counts without fault; a blob that
 * merged encodes again into one that merges.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daysum.h"
#include "emit.h"
#include "sketch.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_fail(const char *what)
{
	fprintf(stderr, "fuzz_daysum: invariant violated: %s\n", what);
	abort();
}

static int
fuzz_walked(int64_t domain, struct sketch *rcpt, struct sketch *msg, void *arg)
{
	int64_t	*last = arg;

	if (domain < *last)
		fuzz_fail("domains walked out of order");
	*last = domain;
	if (sketch_count(rcpt, 0) < 0 || sketch_count(msg, 0) < 0 ||
	    sketch_count(rcpt, 1) < 0 || (!sketch_estimated(rcpt) &&
	    sketch_count(rcpt, 1) > sketch_count(rcpt, 0)))
		fuzz_fail("a count out of range");
	return 0;
}

static void
fuzz_one(const uint8_t *p, size_t n, int64_t t0, int64_t t1, const int64_t *hosts,
    size_t nhosts)
{
	struct daysum		 ds, again;
	struct daysum_doms	 doms;
	struct obuf		 b;
	int64_t			 last = INT64_MIN;
	size_t			 i;
	int			 rc;

	memset(&ds, 0, sizeof(ds));
	memset(&doms, 0, sizeof(doms));
	ds.collapse = 1;
	ds.hosts = hosts;
	ds.nhosts = nhosts;
	rc = daysum_merge_blob(&ds, p, n, t0, t1, &doms);
	if (rc < -1 || rc > 2)
		fuzz_fail("pass 1: not 2, 1, 0 or -1");
	if (rc == 1 && daysum_doms_walk(&doms, hosts, nhosts, fuzz_walked, &last) == 0 &&
	    doms.n != 1)
		fuzz_fail("pass 1: merged, yet no domains' records kept");
	daysum_doms_free(&doms);
	ds.skip_doms = 1;
	rc = daysum_merge_blob(&ds, p, n, t0, t1, NULL);
	if (rc < -1 || rc > 2)
		fuzz_fail("pass 2: not 2, 1, 0 or -1");
	for (i = 0; i < ds.ntext; i++)
		(void)sketch_count(&ds.text[i].domains, 0);
	/* what merged without domains encodes into a blob that merges */
	if (rc == 1) {
		obuf_init(&b, NULL);
		daysum_frame(&ds, t0, t1, &b);
		memset(&again, 0, sizeof(again));
		if (daysum_merge_blob(&again, (const unsigned char *)b.p, b.n, t0, t1,
		    NULL) != 1 || again.ntext != ds.ntext)
			fuzz_fail("a merged summary does not come back");
		daysum_free(&again);
		obuf_free(&b);
	}
	daysum_free(&ds);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int64_t	 host[] = { 1 };
	struct daysum		 empty;
	struct obuf		 b, raw;
	const unsigned char	*p;
	uint64_t		 t0 = 0, t1 = 0;

	/* the input as a whole blob: its own bounds, so that it is read */
	p = data + 2;
	if (size > 2 && sketch_get_varint(&p, data + size, &t0) == 0 &&
	    sketch_get_varint(&p, data + size, &t1) == 0) {
		fuzz_one(data, size, (int64_t)t0, (int64_t)t1, NULL, 0);
		fuzz_one(data, size, (int64_t)t0, (int64_t)(t1 ^ 1), host, 1);
	}
	/* the input as the records of a day: framed as daysum_frame() does */
	memset(&empty, 0, sizeof(empty));
	obuf_init(&raw, NULL);
	daysum_frame(&empty, 100, 200, &raw);	/* the header of an empty day */
	obuf_init(&b, NULL);
	obuf_put(&b, raw.p, 2);			/* magic, version */
	sketch_put_varint(&b, 100);
	sketch_put_varint(&b, 200);
	sketch_put_varint(&b, size);
	{
		/* stored deflate blocks: the records as they are */
		size_t	 off = 0, k;

		obuf_putc(&b, 0x78);
		obuf_putc(&b, 0x01);
		do {
			k = size - off > 65535 ? 65535 : size - off;
			obuf_putc(&b, off + k == size ? 1 : 0);
			obuf_putc(&b, (char)(k & 0xff));
			obuf_putc(&b, (char)(k >> 8));
			obuf_putc(&b, (char)(~k & 0xff));
			obuf_putc(&b, (char)((~k >> 8) & 0xff));
			obuf_put(&b, (const char *)data + off, k);
			off += k;
		} while (off < size);
		{
			uint32_t	 a = 1, s2 = 0;

			for (k = 0; k < size; k++) {
				a = (a + data[k]) % 65521;
				s2 = (s2 + a) % 65521;
			}
			a |= s2 << 16;
			obuf_putc(&b, (char)(a >> 24));
			obuf_putc(&b, (char)(a >> 16));
			obuf_putc(&b, (char)(a >> 8));
			obuf_putc(&b, (char)a);
		}
	}
	fuzz_one((const uint8_t *)b.p, b.n, 100, 200, NULL, 0);
	fuzz_one((const uint8_t *)b.p, b.n, 100, 200, host, 1);
	obuf_free(&b);
	obuf_free(&raw);
	return 0;
}
