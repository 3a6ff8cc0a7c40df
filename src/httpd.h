/*
 * httpd.h -- a minimal HTTP/1.x server on the daemon's libev loop, for
 * GET /metrics: one request per connection (Connection: close), bounded
 * in every way a client could stretch it -- header size, time, number of
 * connections -- and never blocking the loop.
 *
 * The request parser is a pure function over the bytes received so far
 * (fuzz/fuzz_http.c).
 */
#ifndef BW_HTTPD_H
#define BW_HTTPD_H

#include <stddef.h>

struct ev_loop;
struct httpd;

#define HTTPD_HEAD_MAX		8192	/* request line and headers: 431 */
#define HTTPD_TARGET_MAX	1024	/* the request target: 414 */
#define HTTPD_CONN_MAX		32	/* at once; more get 503 */
#define HTTPD_READ_TIMEOUT	5.0	/* seconds to send the whole request */
#define HTTPD_WRITE_TIMEOUT	30.0	/* seconds to take the whole response */

/* What the parser found. */
struct httpd_req {
	int		 status;	/* 0: a valid request; else the error to answer */
	int		 head;		/* HEAD: headers only */
	int		 minor;		/* HTTP/1.minor */
	const char	*path;		/* the target up to '?' (not terminated) */
	size_t		 pathlen;
	size_t		 used;		/* bytes of the head, blank line included */
};

/*
 * Parse a request head from buf[0..len).  Returns 0 when more bytes are
 * needed, 1 when req is filled (req->status 0 or the HTTP error status:
 * 400, 405, 414, 431, 505).  Nothing else is read or written.
 */
int	 httpd_parse(const char *buf, size_t len, struct httpd_req *req);

/*
 * The response body for a valid GET or HEAD of the served path: malloc'd
 * text and its length.
 */
typedef char	*(*httpd_body_cb)(void *arg, size_t *len);

/*
 * Listen on "host:port", "[v6addr]:port" or a Unix socket path (starting
 * with '/') and serve path with cb.  NULL on error, with *cause.
 */
struct httpd	*httpd_new(struct ev_loop *, const char *listen, const char *path,
		    httpd_body_cb cb, void *arg, char **cause);
/* Close the listener and every connection (unlinks a Unix socket). */
void		 httpd_free(struct httpd *);
/* Connections open now (for tests and status). */
int		 httpd_connections(const struct httpd *);

/*
 * Split a listen address: host (without brackets) into host[hostlen],
 * port into *port; a path gives *unix_path = 1.  -1 on error, with *cause.
 */
int	 httpd_parse_listen(const char *, char *host, size_t hostlen,
	    char *port, size_t portlen, int *unix_path, char **cause);

#endif
