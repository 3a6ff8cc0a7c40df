/*
 * test_json.c -- the small shared pieces of the report: the JSON writer
 * (commas, nesting, escaping, balance), the escapers and number writers
 * of emit.c against plain models of their rules (byte by byte, printf),
 * the hash table (growth, collisions of the first key word, clearing) and
 * the fixed-size filter (no false negative, false positives as rare as
 * its size promises).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <inttypes.h>
#include <math.h>
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

/*
 * The models: each escaper's rules applied one byte at a time, written
 * here without emit.c's runs and word-at-a-time scans.
 */
static size_t
model_utf8(const unsigned char *p, size_t n, uint32_t *cp)
{
	static const uint32_t	 least[] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t			 len, i;

	if (p[0] < 0x80)
		len = 1;
	else if ((p[0] & 0xe0) == 0xc0)
		len = 2;
	else if ((p[0] & 0xf0) == 0xe0)
		len = 3;
	else if ((p[0] & 0xf8) == 0xf0)
		len = 4;
	else
		return 0;
	if (len > n)
		return 0;
	*cp = len == 1 ? p[0] : p[0] & (0x7f >> len);
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		*cp = *cp << 6 | (p[i] & 0x3f);
	}
	if (*cp < least[len] || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff))
		return 0;
	return len;
}

static void
model_json(struct obuf *b, const unsigned char *p, size_t n)
{
	char		 tmp[8];
	uint32_t	 cp;
	size_t		 i, l;

	obuf_putc(b, '"');
	for (i = 0; i < n; i += l) {
		l = 1;
		if (p[i] == '"' || p[i] == '\\') {
			obuf_putc(b, '\\');
			obuf_putc(b, (char)p[i]);
		} else if (p[i] < 0x20) {	/* DEL is valid JSON: as it is */
			snprintf(tmp, sizeof(tmp), "\\u%04x", p[i]);
			obuf_puts(b, tmp);
		} else if ((l = model_utf8(p + i, n - i, &cp)) > 0)
			obuf_put(b, (const char *)p + i, l);
		else {
			obuf_puts(b, "\\ufffd");
			l = 1;
		}
	}
	obuf_putc(b, '"');
}

static void
model_safe(struct obuf *b, const unsigned char *p, size_t n, int html, int csv)
{
	uint32_t	 cp = 0;
	size_t		 i, l;

	for (i = 0; i < n; i += l) {
		l = 1;
		if (p[i] < 0x20 || p[i] == 0x7f)
			obuf_putc(b, p[i] == '\t' ? ' ' : '?');
		else if (html && p[i] == '&')
			obuf_puts(b, "&amp;");
		else if (html && p[i] == '<')
			obuf_puts(b, "&lt;");
		else if (html && p[i] == '>')
			obuf_puts(b, "&gt;");
		else if (html && p[i] == '"')
			obuf_puts(b, "&quot;");
		else if (html && p[i] == '\'')
			obuf_puts(b, "&#39;");
		else if (csv && p[i] == '"')
			obuf_puts(b, "\"\"");
		else if (p[i] < 0x80)
			obuf_putc(b, (char)p[i]);
		else if ((l = model_utf8(p + i, n - i, &cp)) == 0 ||
		    (cp >= 0x80 && cp < 0xa0) || cp == 0x2028 || cp == 0x2029 ||
		    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069)) {
			obuf_putc(b, '?');
			l = l == 0 ? 1 : l;
		} else
			obuf_put(b, (const char *)p + i, l);
	}
}

/* Does the escaper write what the model writes for p? */
static void
check_escapers(const unsigned char *p, size_t n)
{
	struct obuf	 got, want;
	int		 k;

	for (k = 0; k < 4; k++) {
		obuf_init(&got, NULL);
		obuf_init(&want, NULL);
		switch (k) {
		case 0:
			emit_json_str(&got, (const char *)p, n);
			model_json(&want, p, n);
			break;
		case 1:
			emit_html_str(&got, (const char *)p, n);
			model_safe(&want, p, n, 1, 0);
			break;
		case 2:
			emit_term_str(&got, (const char *)p, n);
			model_safe(&want, p, n, 0, 0);
			break;
		case 3:
			emit_csv_str(&got, (const char *)p, n);
			obuf_putc(&want, '"');
			/* a formula's first character (strchr: NUL too) */
			if (n > 0 && memchr("=+-@\t\r", p[0], 7) != NULL)
				obuf_putc(&want, '\'');
			model_safe(&want, p, n, 0, 1);
			obuf_putc(&want, '"');
			break;
		}
		if (got.n != want.n || memcmp(got.p, want.p, got.n) != 0)
			fprintf(stderr, "escaper %d: got %.*s want %.*s\n", k,
			    (int)got.n, got.p, (int)want.n, want.p);
		assert_int_equal(got.n, want.n);
		assert_memory_equal(got.p, want.p, got.n);
		obuf_free(&got);
		obuf_free(&want);
	}
}

static void
test_emit_escapers(void **state)
{
	static const char *const tricky[] = {
		"", "plain.example", "a,b", "q\"uote", "back\\slash", "new\nline",
		"tab\tcr\r", "\x1b[31mred", "del\x7f", "=1+2", "+cmd", "-x", "@sum",
		"\tlead", "\rlead", "caf\xc3\xa9", "\xc3", "\xc0\xaf", "\xed\xa0\x80",
		"\xf4\x90\x80\x80", "\xf0\x9f\x98\x80", "\xc2\x85", "\xe2\x80\xa8",
		"\xe2\x80\xae", "\xe2\x81\xa6", "<a href='x'>&amp;</a>",
		"exactly8", "exactly8\"", "0123456789abcdef\\", "0123456\xff",
	};
	static const unsigned char alphabet[] = "aZ.,;\"\\&<>'\t\r\n\x1b\x7f\x80\xbf"
	    "\xc2\xc3\xa9\xe2\xa8\xed\xa0\xf0\x90\xf4\x8f\xff=+-@ ";
	unsigned char	 buf[48];
	uint32_t	 seed = 12345;
	size_t		 i, n;
	int		 c;

	(void)state;
	for (i = 0; i < sizeof(tricky) / sizeof(tricky[0]); i++)
		check_escapers((const unsigned char *)tricky[i], strlen(tricky[i]));
	check_escapers((const unsigned char *)"\0=x", 3);
	for (i = 0; i < 20000; i++) {
		seed = seed * 1103515245 + 12345;
		n = (seed >> 16) % sizeof(buf);
		for (c = 0; c < (int)n; c++) {
			seed = seed * 1103515245 + 12345;
			/* mostly plain letters, so that runs cross the 8-byte words */
			buf[c] = (seed >> 16) % 4 != 0 ? (unsigned char)('a' + c % 26) :
			    alphabet[(seed >> 20) % (sizeof(alphabet) - 1)];
		}
		check_escapers(buf, n);
	}
}

/* emit_json_plain(): exactly the bytes before the first one to escape. */
static void
test_emit_json_plain(void **state)
{
	char		 s[27];	/* three words and a tail */
	size_t		 at;
	int		 c, ok;

	(void)state;
	for (c = 0; c < 256; c++)
		for (at = 0; at < sizeof(s); at++) {
			memset(s, 'k', sizeof(s));
			s[at] = (char)c;
			ok = c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
			assert_int_equal(emit_json_plain(s, sizeof(s)),
			    ok ? sizeof(s) : at);
			assert_int_equal(emit_json_plain(s, at), at);
		}
}

/* obuf_int() and obuf_fixed1() write what printf writes. */
static void
test_emit_numbers(void **state)
{
	static const double	 odd[] = { 0.0, -0.0, 0.05, 0.15, 0.25, 0.35, 12.25,
		99.95, 99.99, 100.0, 0.04999999999, 1e5 + 0.05, 999999.95, 1e6,
		1e300, -1.25, -3.0, INFINITY, -INFINITY, NAN };
	static const int64_t	 ints[] = { 0, 1, -1, 9, 10, 99, 100, INT64_MAX,
		INT64_MIN, INT64_MIN + 1, 4294967296LL, -1234567890123LL };
	struct obuf		 b;
	char			 want[512];
	int64_t			 p, w;
	size_t			 i;
	uint32_t		 seed = 7;
	double			 v;

	(void)state;
	for (i = 0; i < sizeof(odd) / sizeof(odd[0]) + 200000; i++) {
		if (i < sizeof(odd) / sizeof(odd[0]))
			v = odd[i];
		else if (i % 2 == 0) {
			/* percentages as report_pct() makes them */
			seed = seed * 1103515245 + 12345;
			w = 1 + (seed >> 8) % 5000;
			p = (int64_t)((seed >> 4) % (uint64_t)(w + 1));
			v = 100.0 * (double)p / (double)w;
		} else
			v = (double)(i * 37 % 200001) / 20.0;	/* n.x5 ties */
		obuf_init(&b, NULL);
		obuf_fixed1(&b, v);
		snprintf(want, sizeof(want), "%.1f", v);
		assert_int_equal(b.n, strlen(want));
		assert_memory_equal(b.p, want, b.n);
		obuf_free(&b);
	}
	for (i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		obuf_init(&b, NULL);
		obuf_int(&b, ints[i]);
		snprintf(want, sizeof(want), "%" PRId64, ints[i]);
		assert_int_equal(b.n, strlen(want));
		assert_memory_equal(b.p, want, b.n);
		obuf_free(&b);
	}
}

/* Through a file: what obuf_room() reserves survives the flushes. */
static void
test_emit_flush(void **state)
{
	struct obuf	 b, want;
	FILE		*f;
	char		*got;
	int64_t		 i;

	(void)state;
	assert_non_null(f = tmpfile());
	obuf_init(&b, f);
	obuf_init(&want, NULL);
	for (i = 0; i < 100000; i++) {
		obuf_int(&b, i * 7919);
		emit_json_str(&b, "k\"", 2);
		obuf_printf(&want, "%" PRId64 "\"k\\\"\"", i * 7919);
	}
	assert_int_equal(obuf_flush(&b), 0);
	assert_int_equal(ftell(f), (long)want.n);
	rewind(f);
	got = malloc(want.n);
	assert_int_equal(fread(got, 1, want.n, f), want.n);
	assert_memory_equal(got, want.p, want.n);
	free(got);
	fclose(f);
	obuf_free(&b);
	obuf_free(&want);
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
		cmocka_unit_test(test_emit_escapers),
		cmocka_unit_test(test_emit_json_plain),
		cmocka_unit_test(test_emit_numbers),
		cmocka_unit_test(test_emit_flush),
		cmocka_unit_test(test_hash),
		cmocka_unit_test(test_hash_filter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
