/*
 * json.c -- the JSON writer of json.h: separators and keys here, string
 * escaping in emit.c (emit_json_str), numbers in a fixed format.
 */
#include "config.h"

#include <string.h>

#include "json.h"

void
json_init(struct json *j, struct obuf *b)
{
	memset(j, 0, sizeof(*j));
	j->b = b;
}

/*
 * The comma before a member, and its key: the program's own word, copied
 * as it is unless it needs escaping (then emit_json_str() writes it).
 */
static void
json_member(struct json *j, const char *key)
{
	struct obuf	*b = j->b;
	size_t		 n = key != NULL ? strlen(key) : 0, k = 0;
	char		*o = obuf_room(b, n + 4);

	if (j->n[j->depth]++ > 0)
		o[k++] = ',';
	if (key != NULL && emit_json_plain(key, n) < n) {
		b->n += k;
		emit_json_str(b, key, n);
		obuf_putc(b, ':');
		return;
	}
	if (key != NULL) {
		o[k++] = '"';
		memcpy(o + k, key, n);
		k += n;
		o[k++] = '"';
		o[k++] = ':';
	}
	b->n += k;
}

static void
json_open(struct json *j, const char *key, char open, char close)
{
	if (j->depth + 1 >= JSON_DEPTH) {
		j->error = 1;
		return;
	}
	json_member(j, key);
	obuf_putc(j->b, open);
	j->depth++;
	j->n[j->depth] = 0;
	j->close[j->depth] = close;
}

void
json_object(struct json *j, const char *key)
{
	json_open(j, key, '{', '}');
}

void
json_array(struct json *j, const char *key)
{
	json_open(j, key, '[', ']');
}

void
json_end(struct json *j)
{
	if (j->depth == 0) {
		j->error = 1;
		return;
	}
	obuf_putc(j->b, j->close[j->depth--]);
}

void
json_str(struct json *j, const char *key, const char *s)
{
	json_member(j, key);
	if (s == NULL)
		obuf_puts(j->b, "null");
	else
		emit_json_str(j->b, s, strlen(s));
}

void
json_int(struct json *j, const char *key, int64_t v)
{
	json_member(j, key);
	obuf_int(j->b, v);
}

void
json_fixed1(struct json *j, const char *key, double v)
{
	json_member(j, key);
	obuf_fixed1(j->b, v);
}

void
json_bool(struct json *j, const char *key, int v)
{
	json_member(j, key);
	obuf_puts(j->b, v ? "true" : "false");
}

void
json_null(struct json *j, const char *key)
{
	json_member(j, key);
	obuf_puts(j->b, "null");
}

int
json_done(const struct json *j)
{
	return j->depth == 0 && !j->error;
}
