/*
 * json.h -- a small JSON writer over an obuf: it places the commas,
 * quotes and escapes keys and strings (through emit.c), and checks that
 * every object and array opened is closed.  Output is compact, no blanks.
 */
#ifndef BW_JSON_H
#define BW_JSON_H

#include <stdint.h>

#include "emit.h"

#define JSON_DEPTH	16

struct json {
	struct obuf	*b;
	int		 depth;
	int		 n[JSON_DEPTH];	/* members written at each level */
	char		 close[JSON_DEPTH];	/* '}' or ']' */
	int		 error;		/* too deep, or closed too often */
};

void	json_init(struct json *, struct obuf *);
/*
 * Inside an object every value takes a key; inside an array (or at the
 * top) key is NULL.
 */
void	json_object(struct json *, const char *key);
void	json_array(struct json *, const char *key);
void	json_end(struct json *);
/* A string, or null when s is NULL. */
void	json_str(struct json *, const char *key, const char *s);
void	json_int(struct json *, const char *key, int64_t);
/* A number with one decimal ("12.5"). */
void	json_fixed1(struct json *, const char *key, double);
void	json_bool(struct json *, const char *key, int);
void	json_null(struct json *, const char *key);
/* 1 when every container was closed. */
int	json_done(const struct json *);

#endif
