/*
 * diag.h -- diagnostic texts made comparable and compact, with no I/O:
 * the normalised form reports group by, and the stored template with the
 * recipient, relay, domain and the first variable words taken out.
 */
#ifndef BW_DIAG_H
#define BW_DIAG_H

#include <stddef.h>

#include "parse.h"

enum diag_word {
	DIAG_LITERAL,
	DIAG_ADDR,
	DIAG_IP,
	DIAG_ID,
	DIAG_NUM,
	DIAG_DATE,		/* 2026-11-23, 10:00:00 */
	DIAG_HOST,		/* the per-server labels of a provider's host */
};

#define DIAG_ARGS	3
/* Raised whenever diag_normalize() changes: stored forms are redone. */
#define DIAG_NORMALIZE_VERSION	2

/* The variable words a template took out, in order (\1 1 .. \1 3). */
struct diag_args {
	struct span	 arg[DIAG_ARGS];
};

/* The template of an n-byte text and its arguments need this many bytes. */
#define DIAG_TEMPLATE_SIZE(n)	(2 * (n) + DIAG_ARGS + 1)

/*
 * What kind of word [w, e) is; a variable word's core, without the
 * punctuation around it, in [*a, *z).  Codes that carry meaning are
 * literal: reply and enhanced codes (550, 5.7.606, "(5.7.1)"), provider
 * codes such as Microsoft's "(S3150)" and "AS(201806281)".  A host name
 * whose leading labels vary per server ("VI942EUR06.prod.protection.
 * outlook.com") is DIAG_HOST with only those labels as its core.
 */
enum diag_word	 diag_word(const char *w, const char *e, const char **a,
		    const char **z);
/*
 * The grouping form: preambles dropped (up to "... said: " or "refused
 * to talk to me: ", and Postfix's "delivery temporarily suspended: "),
 * addresses, IPs, ids, numbers, dates and times, the varying labels of
 * host names replaced by <addr>, <ip>, <id>, <n>, <date>, <host>, blanks
 * collapsed, template markers read as <addr>, <host>, <domain>, <var>.  NUL-terminated; returns the
 * length.  out needs 2 * n + 64 bytes for nothing to be cut.
 */
size_t		 diag_normalize(const char *, size_t, char *out, size_t outlen);
/*
 * The n bytes at s with control characters as '?' (as in templates), in out
 * (n + 1 bytes), NUL-terminated; returns the length.
 */
size_t		 diag_safe(const char *s, size_t n, char *out);
/*
 * The stored template of a diagnostic: rcpt, the relay's "host[addr]"
 * and the domain dom (each only when long enough to be meaningful) become
 * \1r, \1h and \1d, the first DIAG_ARGS variable words \1 1..3.  Control
 * characters (C0, DEL, C1 such as the CSI 0x9B) become '?' in the template
 * and in the words, which args points to, after the template's NUL in out.
 * out holds DIAG_TEMPLATE_SIZE(n) bytes; returns the template's length.
 */
size_t		 diag_template(const char *, size_t, const char *rcpt, size_t rlen,
		    const char *hostaddr, size_t hlen, const char *dom, size_t dlen,
		    char *out, struct diag_args *args);

#endif
