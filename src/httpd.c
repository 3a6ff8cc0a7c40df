/*
 * httpd.c -- see httpd.h.  A connection is a state machine driven by one
 * ev_io and one ev_timer: read the head (at most HTTPD_HEAD_MAX bytes,
 * within HTTPD_READ_TIMEOUT), write the response without blocking
 * (within HTTPD_WRITE_TIMEOUT), half-close, drain what the client still
 * sends for a moment so that it sees the response rather than a reset,
 * close.  The response is built in full first: its size is that of one
 * exposition, and connections are capped.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <ev.h>

#include "httpd.h"
#include "log.h"
#include "util.h"

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL	0
#endif

#define HTTPD_LINGER	2.0	/* seconds to drain after the response */
#define HTTPD_ACCEPTS	16	/* per wakeup of the listener */

enum httpd_state {
	HTTPD_READING,
	HTTPD_WRITING,
	HTTPD_DRAINING,
};

struct httpd_conn {
	struct httpd		*h;
	int			 fd;
	enum httpd_state	 state;
	ev_io			 io;
	ev_timer		 timer;
	char			 in[HTTPD_HEAD_MAX];
	size_t			 inlen;
	char			*out;
	size_t			 outlen;
	size_t			 outoff;
	struct httpd_conn	*prev, *next;
};

struct httpd {
	struct ev_loop		*loop;
	int			 fd;
	char			*unix_path;	/* to unlink at the end */
	char			*path;
	httpd_body_cb		 cb;
	void			*arg;
	ev_io			 accept_w;
	ev_timer		 resume_w;	/* after EMFILE */
	struct httpd_conn	*conns;
	int			 nconns;
};

/* ---- the request parser (pure) ---- */

static int
httpd_tchar(unsigned char c)
{
	/* RFC 9110 token characters */
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* The end of the line at p (the '\n'), or NULL. */
static const char *
httpd_eol(const char *p, const char *end)
{
	return memchr(p, '\n', (size_t)(end - p));
}

/* The length of [p, eol) without a final CR; -1 if a CR is elsewhere. */
static long
httpd_linelen(const char *p, const char *eol)
{
	const char	*e = eol;

	if (e > p && e[-1] == '\r')
		e--;
	if (memchr(p, '\r', (size_t)(e - p)) != NULL)
		return -1;
	return (long)(e - p);
}

static int
httpd_done(struct httpd_req *req, int status)
{
	req->status = status;
	return 1;
}

/* The request line: 0 incomplete, 1 done (req->status set on error). */
static int
httpd_parse_first(const char *p, const char *end, struct httpd_req *req,
    const char **next)
{
	const char	*eol, *m, *t, *v;
	long		 n;
	size_t		 i;

	m = p;
	for (i = 0; m + i < end && httpd_tchar((unsigned char)m[i]); i++)
		;
	if (m + i == end)
		return i > 16 ? httpd_done(req, 400) : 0;
	if (i == 0 || i > 16 || m[i] != ' ')
		return httpd_done(req, 400);
	req->head = i == 4 && memcmp(m, "HEAD", 4) == 0;
	if (!(i == 3 && memcmp(m, "GET", 3) == 0) && !req->head)
		req->status = 405;	/* unless something worse follows */
	t = m + i + 1;
	for (i = 0; t + i < end && t[i] != ' '; i++) {
		if ((unsigned char)t[i] <= ' ' || t[i] == 0x7f)
			return httpd_done(req, 400);
		if (i >= HTTPD_TARGET_MAX)
			return httpd_done(req, 414);
	}
	if (t + i == end)
		return 0;
	if (i == 0)
		return httpd_done(req, 400);
	if (t[0] != '/')
		return httpd_done(req, 400);
	req->path = t;
	for (req->pathlen = 0; req->pathlen < i && t[req->pathlen] != '?' &&
	    t[req->pathlen] != '#'; req->pathlen++)
		;
	v = t + i + 1;
	if ((eol = httpd_eol(v, end)) == NULL)
		return end - v > 10 ? httpd_done(req, 400) : 0;
	if ((n = httpd_linelen(v, eol)) != 8 || memcmp(v, "HTTP/", 5) != 0 ||
	    v[5] < '0' || v[5] > '9' || v[6] != '.' || v[7] < '0' || v[7] > '9')
		return httpd_done(req, 400);
	if (v[5] != '1')
		return httpd_done(req, 505);
	req->minor = v[7] - '0';
	*next = eol + 1;
	return 2;
}

int
httpd_parse(const char *buf, size_t len, struct httpd_req *req)
{
	const char	*p = buf, *end = buf + len, *eol, *c;
	long		 n, k;
	int		 r, hosts = 0, status;

	memset(req, 0, sizeof(*req));
	/* empty lines before the request line are allowed (RFC 9112 2.2) */
	while (p < end && (*p == '\r' || *p == '\n'))
		p++;
	if ((r = httpd_parse_first(p, end, req, &p)) != 2) {
		if (r == 0 && len >= HTTPD_HEAD_MAX)
			return httpd_done(req, 431);
		return r;
	}
	status = req->status;
	for (;;) {
		if ((eol = httpd_eol(p, end)) == NULL)
			return len >= HTTPD_HEAD_MAX ? httpd_done(req, 431) : 0;
		if ((size_t)(eol + 1 - buf) > HTTPD_HEAD_MAX)
			return httpd_done(req, 431);
		if ((n = httpd_linelen(p, eol)) == -1)
			return httpd_done(req, 400);
		if (n == 0)
			break;
		/* name ":" value; no folding, no blank before the colon */
		for (k = 0; k < n && httpd_tchar((unsigned char)p[k]); k++)
			;
		if (k == 0 || k == n || p[k] != ':')
			return httpd_done(req, 400);
		for (c = p + k + 1; c < p + n; c++)
			if (((unsigned char)*c < ' ' && *c != '\t') || *c == 0x7f)
				return httpd_done(req, 400);
		if (k == 4 && strncasecmp(p, "host", 4) == 0)
			hosts++;
		p = eol + 1;
	}
	req->used = (size_t)(eol + 1 - buf);
	if (hosts > 1 || (req->minor >= 1 && hosts == 0))
		return httpd_done(req, 400);
	return httpd_done(req, status);
}

/* ---- responses ---- */

static const char *
httpd_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 414: return "URI Too Long";
	case 431: return "Request Header Fields Too Large";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	}
	return "Error";
}

/* The whole response into c->out. */
static void
httpd_respond(struct httpd_conn *c, int status, const char *body,
    size_t blen, int head)
{
	char	 errbody[64], hdr[256];
	int	 n;

	if (body == NULL) {
		n = snprintf(errbody, sizeof(errbody), "%d %s\n", status,
		    httpd_reason(status));
		body = errbody;
		blen = (size_t)n;
	}
	n = snprintf(hdr, sizeof(hdr), "HTTP/1.1 %d %s\r\n"
	    "Content-Type: %s\r\n"
	    "Content-Length: %zu\r\n"
	    "%s"
	    "Connection: close\r\n\r\n", status, httpd_reason(status),
	    status == 200 ? "text/plain; version=0.0.4; charset=utf-8" :
	    "text/plain; charset=utf-8", blen,
	    status == 405 ? "Allow: GET, HEAD\r\n" : "");
	c->outlen = (size_t)n + (head ? 0 : blen);
	c->out = xmalloc(c->outlen);
	memcpy(c->out, hdr, (size_t)n);
	if (!head)
		memcpy(c->out + n, body, blen);
	c->outoff = 0;
}

/* ---- connections ---- */

static void	httpd_conn_io(struct ev_loop *, ev_io *, int);
static void	httpd_conn_timeout(struct ev_loop *, ev_timer *, int);

static void
httpd_conn_close(struct httpd_conn *c)
{
	struct httpd	*h = c->h;

	ev_io_stop(h->loop, &c->io);
	ev_timer_stop(h->loop, &c->timer);
	close(c->fd);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		h->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	h->nconns--;
	free(c->out);
	free(c);
}

static void
httpd_conn_state(struct httpd_conn *c, enum httpd_state st, int events,
    double timeout)
{
	struct ev_loop	*loop = c->h->loop;

	c->state = st;
	ev_io_stop(loop, &c->io);
	ev_io_set(&c->io, c->fd, events);
	ev_io_start(loop, &c->io);
	ev_timer_stop(loop, &c->timer);
	ev_timer_set(&c->timer, timeout, 0.);
	ev_timer_start(loop, &c->timer);
}

static void
httpd_conn_request(struct httpd_conn *c, const struct httpd_req *req)
{
	struct httpd	*h = c->h;
	char		*body;
	size_t		 blen;

	if (req->status != 0)
		httpd_respond(c, req->status, NULL, 0, 0);
	else if (req->pathlen != strlen(h->path) ||
	    memcmp(req->path, h->path, req->pathlen) != 0)
		httpd_respond(c, 404, NULL, 0, req->head);
	else {
		body = h->cb(h->arg, &blen);
		httpd_respond(c, 200, body, blen, req->head);
		free(body);
	}
	httpd_conn_state(c, HTTPD_WRITING, EV_WRITE, HTTPD_WRITE_TIMEOUT);
}

static void
httpd_conn_read(struct httpd_conn *c)
{
	struct httpd_req req;
	ssize_t		 n;
	char		 discard[512];

	if (c->state == HTTPD_DRAINING) {
		n = recv(c->fd, discard, sizeof(discard), 0);
		if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR))
			httpd_conn_close(c);
		return;
	}
	n = recv(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen, 0);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		httpd_conn_close(c);
		return;
	}
	c->inlen += (size_t)n;
	if (httpd_parse(c->in, c->inlen, &req) == 1)
		httpd_conn_request(c, &req);
	else if (c->inlen == sizeof(c->in)) {
		/* the parser says 431 at the cap; this is a safety net */
		httpd_respond(c, 431, NULL, 0, 0);
		httpd_conn_state(c, HTTPD_WRITING, EV_WRITE, HTTPD_WRITE_TIMEOUT);
	}
}

static void
httpd_conn_write(struct httpd_conn *c)
{
	ssize_t	 n;

	n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
	    MSG_NOSIGNAL);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n == -1) {
		httpd_conn_close(c);
		return;
	}
	c->outoff += (size_t)n;
	if (c->outoff < c->outlen)
		return;
	free(c->out);
	c->out = NULL;
	shutdown(c->fd, SHUT_WR);
	httpd_conn_state(c, HTTPD_DRAINING, EV_READ, HTTPD_LINGER);
}

static void
httpd_conn_io(struct ev_loop *loop, ev_io *w, int revents)
{
	struct httpd_conn	*c = w->data;

	(void)loop;
	(void)revents;
	if (c->state == HTTPD_WRITING)
		httpd_conn_write(c);
	else
		httpd_conn_read(c);
}

static void
httpd_conn_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct httpd_conn	*c = w->data;

	(void)loop;
	(void)revents;
	if (c->state != HTTPD_DRAINING)
		log_debug("metrics: client timed out while %s",
		    c->state == HTTPD_READING ? "sending its request" :
		    "taking the response");
	httpd_conn_close(c);
}

static int
httpd_nonblock(int fd)
{
	int	 fl;

	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) == -1)
		return -1;
	return 0;
}

static void
httpd_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\n"
	    "Content-Length: 0\r\nRetry-After: 1\r\nConnection: close\r\n\r\n";
	struct httpd		*h = w->data;
	struct httpd_conn	*c;
	int			 fd, i;

	(void)revents;
	for (i = 0; i < HTTPD_ACCEPTS; i++) {
		if ((fd = accept(h->fd, NULL, NULL)) == -1) {
			if (errno == EMFILE || errno == ENFILE) {
				log_warnx("metrics: out of descriptors; not "
				    "accepting for a second");
				ev_io_stop(loop, &h->accept_w);
				ev_timer_start(loop, &h->resume_w);
			}
			return;
		}
		if (httpd_nonblock(fd) == -1) {
			close(fd);
			continue;
		}
		if (h->nconns >= HTTPD_CONN_MAX) {
			(void)send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL);
			close(fd);
			continue;
		}
		c = xcalloc(1, sizeof(*c));
		c->h = h;
		c->fd = fd;
		c->next = h->conns;
		if (h->conns != NULL)
			h->conns->prev = c;
		h->conns = c;
		h->nconns++;
		ev_io_init(&c->io, httpd_conn_io, fd, EV_READ);
		c->io.data = c;
		ev_timer_init(&c->timer, httpd_conn_timeout, 0., 0.);
		c->timer.data = c;
		httpd_conn_state(c, HTTPD_READING, EV_READ, HTTPD_READ_TIMEOUT);
	}
}

static void
httpd_resume(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct httpd	*h = w->data;

	(void)revents;
	ev_io_start(loop, &h->accept_w);
}

/* ---- the listener ---- */

int
httpd_parse_listen(const char *s, char *host, size_t hostlen, char *port,
    size_t portlen, int *unix_path, char **cause)
{
	const char	*colon, *h;
	size_t		 n;

	*unix_path = 0;
	if (s[0] == '/') {
		if (strlen(s) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
			*cause = xasprintf("%s: socket path too long", s);
			return -1;
		}
		*unix_path = 1;
		return 0;
	}
	h = s;
	if (s[0] == '[') {
		if ((colon = strchr(s, ']')) == NULL || colon[1] != ':') {
			*cause = xasprintf("%s: expected [address]:port", s);
			return -1;
		}
		h = s + 1;
		n = (size_t)(colon - h);
		colon++;
	} else {
		if ((colon = strrchr(s, ':')) == NULL ||
		    strchr(s, ':') != colon) {
			*cause = xasprintf("%s: expected host:port, [address]:port "
			    "or a socket path", s);
			return -1;
		}
		n = (size_t)(colon - s);
	}
	if (n == 0 || n >= hostlen) {
		*cause = xasprintf("%s: bad host", s);
		return -1;
	}
	memcpy(host, h, n);
	host[n] = '\0';
	colon++;
	if (*colon == '\0' || strlen(colon) >= portlen ||
	    strspn(colon, "0123456789") != strlen(colon) ||
	    atoi(colon) < 1 || atoi(colon) > 65535) {
		*cause = xasprintf("%s: bad port", s);
		return -1;
	}
	strlcpy(port, colon, portlen);
	return 0;
}

static int
httpd_listen_unix(struct httpd *h, const char *path, char **cause)
{
	struct sockaddr_un	 sun;
	struct stat		 sb;
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
	/* a socket left by a previous run; never remove anything else */
	if (lstat(path, &sb) == 0 && S_ISSOCK(sb.st_mode))
		unlink(path);
	/* owner and group may connect: access is the directory's business */
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    chmod(path, 0660) == -1) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	h->unix_path = xstrdup(path);
	return fd;
}

static int
httpd_loopback(const struct sockaddr *sa)
{
	const struct sockaddr_in	*sin = (const struct sockaddr_in *)sa;
	const struct sockaddr_in6	*sin6 = (const struct sockaddr_in6 *)sa;

	if (sa->sa_family == AF_INET)
		return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
	return sa->sa_family == AF_INET6 && IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr);
}

static int
httpd_listen_tcp(const char *spec, const char *host, const char *port,
    char **cause)
{
	struct addrinfo	 hints, *res, *ai;
	int		 fd = -1, on = 1, e, saved = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((e = getaddrinfo(host, port, &hints, &res)) != 0) {
		*cause = xasprintf("%s: %s", spec, gai_strerror(e));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype,
		    ai->ai_protocol)) == -1) {
			saved = errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		if (ai->ai_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			if (!httpd_loopback(ai->ai_addr))
				log_warnx("%s: not a loopback address: anyone who "
				    "can reach it can read the metrics", spec);
			break;
		}
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1)
		*cause = xasprintf("%s: %s", spec, strerror(saved));
	return fd;
}

struct httpd *
httpd_new(struct ev_loop *loop, const char *spec, const char *path,
    httpd_body_cb cb, void *arg, char **cause)
{
	struct httpd	*h;
	char		 host[256], port[8];
	int		 is_unix;

	if (httpd_parse_listen(spec, host, sizeof(host), port, sizeof(port),
	    &is_unix, cause) == -1)
		return NULL;
	h = xcalloc(1, sizeof(*h));
	h->loop = loop;
	if (is_unix)
		h->fd = httpd_listen_unix(h, spec, cause);
	else
		h->fd = httpd_listen_tcp(spec, host, port, cause);
	if (h->fd == -1) {
		free(h);
		return NULL;
	}
	if (httpd_nonblock(h->fd) == -1 || listen(h->fd, 64) == -1) {
		*cause = xasprintf("%s: %s", spec, strerror(errno));
		h->path = NULL;
		httpd_free(h);
		return NULL;
	}
	h->path = xstrdup(path);
	h->cb = cb;
	h->arg = arg;
	ev_io_init(&h->accept_w, httpd_accept, h->fd, EV_READ);
	h->accept_w.data = h;
	ev_io_start(loop, &h->accept_w);
	ev_timer_init(&h->resume_w, httpd_resume, 1., 0.);
	h->resume_w.data = h;
	return h;
}

void
httpd_free(struct httpd *h)
{
	if (h == NULL)
		return;
	while (h->conns != NULL)
		httpd_conn_close(h->conns);
	ev_io_stop(h->loop, &h->accept_w);
	ev_timer_stop(h->loop, &h->resume_w);
	close(h->fd);
	if (h->unix_path != NULL) {
		unlink(h->unix_path);
		free(h->unix_path);
	}
	free(h->path);
	free(h);
}

int
httpd_connections(const struct httpd *h)
{
	return h->nconns;
}
