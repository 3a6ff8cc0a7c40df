/*
 * test_json.c -- the small shared pieces of the report: the JSON writer
 * (commas, nesting, escaping, balance), the hash table (growth,
 * collisions of the first key word, clearing) and the fixed-size filter
 * (no false negative, false positives as rare as its size promises).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hash.h"
#include "json.h"

/* The buffer's text so far, NUL-terminated. */
static const char *
text(struct obuf *b)
{
	obuf_putc(b, '\0');
	b->n--;
	return b->p;
}

static void
test_json_nesting(void **state)
{
	struct obuf	 b;
	struct json	 j;

	(void)state;
	obuf_init(&b, NULL);
	json_init(&j, &b);
	json_object(&j, NULL);
	json_str(&j, "a", "x");
	json_array(&j, "list");
	json_int(&j, NULL, 1);
	json_object(&j, NULL);
	json_end(&j);
	json_array(&j, NULL);
	json_end(&j);
	json_int(&j, NULL, -2);
	json_end(&j);
	json_fixed1(&j, "pct", 12.25);
	json_bool(&j, "yes", 1);
	json_bool(&j, "no", 0);
	json_null(&j, "nothing");
	json_str(&j, "absent", NULL);
	json_object(&j, "empty");
	json_end(&j);
	json_end(&j);
	assert_true(json_done(&j));
	assert_string_equal(text(&b), "{\"a\":\"x\",\"list\":[1,{},[],-2],\"pct\":12.2,"
	    "\"yes\":true,\"no\":false,\"nothing\":null,\"absent\":null,\"empty\":{}}");
	obuf_free(&b);
}

static void
test_json_escaping(void **state)
{
	struct obuf	 b;
	struct json	 j;

	(void)state;
	obuf_init(&b, NULL);
	json_init(&j, &b);
	json_object(&j, NULL);
	/* keys are escaped too; controls as \u00XX; bad UTF-8 as U+FFFD */
	json_str(&j, "k\"ey", "q\"b\\s\nt\x1b[31m\xff\xc3\xa9");
	json_end(&j);
	assert_true(json_done(&j));
	assert_string_equal(text(&b),
	    "{\"k\\\"ey\":\"q\\\"b\\\\s\\u000at\\u001b[31m\\ufffd\xc3\xa9\"}");
	obuf_free(&b);
}

static void
test_json_balance(void **state)
{
	struct obuf	 b;
	struct json	 j;
	int		 i;

	(void)state;
	obuf_init(&b, NULL);
	json_init(&j, &b);
	json_array(&j, NULL);
	assert_false(json_done(&j));		/* still open */
	json_end(&j);
	assert_true(json_done(&j));
	json_end(&j);				/* once too often */
	assert_false(json_done(&j));
	json_init(&j, &b);
	for (i = 0; i < JSON_DEPTH + 2; i++)	/* too deep */
		json_array(&j, NULL);
	assert_false(json_done(&j));
	obuf_free(&b);
}

static void
test_hash(void **state)
{
	struct hash	 h;
	size_t		*v, i;
	int		 isnew;

	(void)state;
	memset(&h, 0, sizeof(h));
	assert_int_equal(hash_find(&h, 1, 2), 0);
	/* many keys sharing the first word, through several growths */
	for (i = 0; i < 5000; i++) {
		v = hash_slot(&h, 7, i, &isnew);
		assert_true(isnew);
		*v = i + 1;
	}
	assert_int_equal(h.n, 5000);
	assert_true(h.cap >= 10000);
	for (i = 0; i < 5000; i++)
		assert_int_equal(hash_find(&h, 7, i), i + 1);
	assert_int_equal(hash_find(&h, 8, 0), 0);
	v = hash_slot(&h, 7, 42, &isnew);
	assert_false(isnew);
	assert_int_equal(*v, 43);
	hash_clear(&h);
	assert_int_equal(h.n, 0);
	assert_int_equal(hash_find(&h, 7, 42), 0);
	hash_free(&h);
	assert_null(h.slot);
}

/*
 * The filter: every key added is found, at any count; keys never added
 * are found about as rarely as (2n / 2^order)^2 says, and a cleared
 * filter finds none.  A filter that kept one bit a key, or lost keys
 * past a count, fails here.
 */
static void
test_hash_filter(void **state)
{
	struct hash_filter	 f;
	uint64_t		 k, fp = 0, n = 1 << 16;

	(void)state;
	hash_filter_init(&f, 20);		/* 2^20 bits for 2^16 keys */
	for (k = 0; k < n; k++)
		hash_filter_add(&f, k * 7919);
	for (k = 0; k < n; k++)
		assert_true(hash_filter_has(&f, k * 7919));
	for (k = 0; k < n; k++)
		fp += (uint64_t)hash_filter_has(&f, (k + n) * 7919);
	/* (2 * 2^16 / 2^20)^2 = 1.6% at most (less: bits are shared) */
	assert_true(fp > 0);
	assert_true(fp < n * 16 / 1000);
	hash_filter_clear(&f);
	for (k = 0; k < n; k++)
		assert_false(hash_filter_has(&f, k * 7919));
	hash_filter_free(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_nesting),
		cmocka_unit_test(test_json_escaping),
		cmocka_unit_test(test_json_balance),
		cmocka_unit_test(test_hash),
		cmocka_unit_test(test_hash_filter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
