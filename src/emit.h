/*
 * emit.h -- buffered output and the escapers every output path uses.
 *
 * Text in a mail log is written by strangers (every remote server's reply
 * lands there), so nothing from a record reaches a terminal, a JSON
 * document, a CSV file or an HTML page without going through one of the
 * escapers below.
 */
#ifndef BW_EMIT_H
#define BW_EMIT_H

#include <stdint.h>
#include <stdio.h>

struct obuf {
	char	*p;
	size_t	 n;
	size_t	 cap;
	FILE	*f;		/* NULL: grow in memory, never flush */
	int	 error;
};

void	obuf_init(struct obuf *, FILE *);
void	obuf_free(struct obuf *);
int	obuf_flush(struct obuf *);
void	obuf_put(struct obuf *, const char *, size_t);
void	obuf_puts(struct obuf *, const char *);
void	obuf_putc(struct obuf *, char);
/* Room for more bytes: flushed (to a file) or grown. */
void	obuf_reserve(struct obuf *, size_t);
/* At least n bytes free at the returned end; the caller adds to ->n. */
static inline char *
obuf_room(struct obuf *b, size_t n)
{
	if (b->n + n > b->cap)
		obuf_reserve(b, n);
	return b->p + b->n;
}
void	obuf_int(struct obuf *, int64_t);
/* As printf's "%.1f". */
void	obuf_fixed1(struct obuf *, double);
void	obuf_printf(struct obuf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

/* JSON string with quotes; invalid UTF-8 becomes U+FFFD. */
void	emit_json_str(struct obuf *, const char *, size_t);
/* How many bytes at the start need no escaping in JSON (ASCII only). */
size_t	emit_json_plain(const char *, size_t);
/* HTML text: & < > " ' escaped, controls and invalid UTF-8 replaced. */
void	emit_html_str(struct obuf *, const char *, size_t);
/* Terminal-safe text: no control characters, no escape sequences. */
void	emit_term_str(struct obuf *, const char *, size_t);
/* CSV field (RFC 4180 quoting, terminal-safe, formulas neutralised). */
void	emit_csv_str(struct obuf *, const char *, size_t);
/* Display width of a terminal-safe string (UTF-8 code points). */
size_t	emit_term_width(const char *, size_t);

/* "2026-11-23T12:00:00Z", with ".ffffff" when usec != 0. */
size_t	emit_time_iso(char *, size_t, int64_t, int32_t);

#endif
