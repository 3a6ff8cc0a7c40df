/*
 * test_httpd.c -- the metrics server: its request parser on valid,
 * incomplete, malformed and oversized heads; listen addresses; and a real
 * server on a Unix socket driven by the libev loop (200, 404, HEAD, the
 * connection cap).
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <ev.h>

#include "httpd.h"

static int
parse(const char *s, struct httpd_req *req)
{
	return httpd_parse(s, strlen(s), req);
}

static int
status_of(const char *s)
{
	struct httpd_req req;

	if (parse(s, &req) != 1)
		return -1;
	return req.status;
}

static void
test_valid(void **state)
{
	static const char	 r[] = "GET /metrics?x=1 HTTP/1.1\r\n"
	    "Host: 127.0.0.1:9154\r\nAccept: */*\r\n\r\nBODY";
	struct httpd_req	 req;
	size_t			 i, full = strlen(r) - 4;

	(void)state;
	assert_int_equal(httpd_parse(r, strlen(r), &req), 1);
	assert_int_equal(req.status, 0);
	assert_int_equal(req.head, 0);
	assert_int_equal(req.minor, 1);
	assert_int_equal(req.pathlen, 8);
	assert_memory_equal(req.path, "/metrics", 8);
	assert_int_equal(req.used, full);
	/* every shorter prefix asks for more */
	for (i = 0; i < full; i++)
		assert_int_equal(httpd_parse(r, i, &req), 0);

	assert_int_equal(parse("HEAD /metrics HTTP/1.0\n\n", &req), 1);
	assert_int_equal(req.status, 0);
	assert_int_equal(req.head, 1);
	assert_int_equal(status_of("\r\n\r\nGET / HTTP/1.0\r\n\r\n"), 0);
	assert_int_equal(status_of("GET /metrics#frag HTTP/1.1\r\nhOsT:x\r\n\r\n"), 0);
	assert_int_equal(status_of("GET / HTTP/1.0\r\nX: a\tb\x80\r\n\r\n"), 0);
}

static void
test_errors(void **state)
{
	char	*big;

	(void)state;
	assert_int_equal(status_of("POST /metrics HTTP/1.1\r\nHost: x\r\n\r\n"), 405);
	assert_int_equal(status_of("get /metrics HTTP/1.1\r\nHost: x\r\n\r\n"), 405);
	assert_int_equal(status_of("GET /metrics HTTP/1.1\r\n\r\n"), 400);	/* no Host */
	assert_int_equal(status_of("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 400);
	assert_int_equal(status_of("GET / HTTP/2.0\r\n\r\n"), 505);
	assert_int_equal(status_of("GET / HTTP/1.1x\r\n\r\n"), 400);
	assert_int_equal(status_of("GET / FTP/1.1\r\n\r\n"), 400);
	assert_int_equal(status_of("GET  / HTTP/1.0\r\n\r\n"), 400);
	assert_int_equal(status_of("GET * HTTP/1.0\r\n\r\n"), 400);
	assert_int_equal(status_of("GET http://x/metrics HTTP/1.0\r\n\r\n"), 400);
	assert_int_equal(status_of("GET /\x01 HTTP/1.0\r\n\r\n"), 400);
	assert_int_equal(status_of("GET / HTTP/1.0\r\n folded\r\n\r\n"), 400);
	assert_int_equal(status_of("GET / HTTP/1.0\r\nNo colon\r\n\r\n"), 400);
	assert_int_equal(status_of("GET / HTTP/1.0\r\nName : v\r\n\r\n"), 400);
	assert_int_equal(status_of("GET / HTTP/1.0\r\nX: a\rb\r\n\r\n"), 400);
	assert_int_equal(status_of("GET / HTTP/1.0\r\nX: a\x01\r\n\r\n"), 400);
	assert_int_equal(status_of("\x16\x03\x01\x02\x00\x01"), 400);	/* TLS */
	assert_int_equal(status_of("VERYLONGMETHODNAME"), 400);

	/* a long target is refused before its end arrives */
	big = malloc(HTTPD_HEAD_MAX * 2);
	memset(big, 'a', HTTPD_HEAD_MAX * 2);
	memcpy(big, "GET /", 5);
	big[HTTPD_TARGET_MAX + 10] = '\0';
	assert_int_equal(status_of(big), 414);
	/* a head that does not end within the cap */
	big[HTTPD_TARGET_MAX + 10] = 'a';
	memcpy(big, "GET / HTTP/1.0\r\nX: ", 19);
	big[HTTPD_HEAD_MAX - 1] = '\0';
	assert_int_equal(status_of(big), -1);	/* not yet at the cap */
	big[HTTPD_HEAD_MAX - 1] = 'a';
	big[HTTPD_HEAD_MAX] = '\0';
	assert_int_equal(status_of(big), 431);
	/* many short header lines past the cap */
	memset(big, 0, HTTPD_HEAD_MAX * 2);
	strcpy(big, "GET / HTTP/1.0\r\n");
	while (strlen(big) < HTTPD_HEAD_MAX + 10)
		strcat(big, "X: y\r\n");
	strcat(big, "\r\n");
	assert_int_equal(status_of(big), 431);
	free(big);
}

static void
test_listen(void **state)
{
	char	 host[64], port[8], *cause = NULL;
	int	 u;

	(void)state;
	assert_int_equal(httpd_parse_listen("127.0.0.1:9154", host, sizeof(host),
	    port, sizeof(port), &u, &cause), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_string_equal(port, "9154");
	assert_int_equal(u, 0);
	assert_int_equal(httpd_parse_listen("[::1]:80", host, sizeof(host),
	    port, sizeof(port), &u, &cause), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(httpd_parse_listen("/run/bw.sock", host, sizeof(host),
	    port, sizeof(port), &u, &cause), 0);
	assert_int_equal(u, 1);
	assert_int_equal(httpd_parse_listen("::1:80", host, sizeof(host),
	    port, sizeof(port), &u, &cause), -1);
	assert_non_null(cause);
	free(cause);
	cause = NULL;
	assert_int_equal(httpd_parse_listen("localhost:0", host, sizeof(host),
	    port, sizeof(port), &u, &cause), -1);
	free(cause);
	cause = NULL;
	assert_int_equal(httpd_parse_listen("localhost:65536", host, sizeof(host),
	    port, sizeof(port), &u, &cause), -1);
	free(cause);
	cause = NULL;
	assert_int_equal(httpd_parse_listen("localhost", host, sizeof(host),
	    port, sizeof(port), &u, &cause), -1);
	free(cause);
}

/* ---- a real server ---- */

static int	body_calls;

static char *
body(void *arg, size_t *len)
{
	(void)arg;
	body_calls++;
	*len = 6;
	return strdup("m 1\nx\n");
}

static int
client(const char *path)
{
	struct sockaddr_un	 sun;
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

/* Run the loop until the server closed its side; the response. */
static char *
exchange(struct ev_loop *loop, int fd, const char *req)
{
	static char	 resp[4096];
	size_t		 n = 0;
	ssize_t		 r;
	int		 i;

	if (req != NULL)
		assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	for (i = 0; i < 1000; i++) {
		ev_run(loop, EVRUN_NOWAIT);
		r = read(fd, resp + n, sizeof(resp) - 1 - n);
		if (r == 0)
			break;
		if (r > 0)
			n += (size_t)r;
		else if (errno != EAGAIN)
			break;
		usleep(1000);
	}
	resp[n] = '\0';
	close(fd);
	return resp;
}

static void
test_server(void **state)
{
	struct ev_loop	*loop = ev_loop_new(EVFLAG_AUTO);
	struct httpd	*h;
	char		 dir[] = "/tmp/test_httpd.XXXXXX", path[128], *cause = NULL;
	char		*r;
	int		 fds[HTTPD_CONN_MAX], i;
	struct stat	 sb;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/m.sock", dir);
	h = httpd_new(loop, path, "/metrics", body, NULL, &cause);
	assert_non_null(h);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0660);

	r = exchange(loop, client(path), "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_non_null(strstr(r, "HTTP/1.1 200 OK\r\n"));
	assert_non_null(strstr(r, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
	assert_non_null(strstr(r, "Content-Length: 6\r\nConnection: close\r\n\r\nm 1\nx\n"));
	assert_int_equal(body_calls, 1);

	r = exchange(loop, client(path), "HEAD /metrics HTTP/1.0\r\n\r\n");
	assert_non_null(strstr(r, "Content-Length: 6\r\n"));
	assert_int_equal(r[strlen(r) - 1], '\n');
	assert_null(strstr(r, "m 1"));

	r = exchange(loop, client(path), "GET /other HTTP/1.0\r\n\r\n");
	assert_non_null(strstr(r, "HTTP/1.1 404 Not Found\r\n"));
	r = exchange(loop, client(path), "DELETE /metrics HTTP/1.0\r\n\r\n");
	assert_non_null(strstr(r, "HTTP/1.1 405 Method Not Allowed\r\nAllow: GET, HEAD\r\n") ||
	    strstr(r, "Allow: GET, HEAD\r\n"));
	assert_int_equal(body_calls, 2);

	/* the cap: the next one is told to come back; the others still work */
	for (i = 0; i < HTTPD_CONN_MAX; i++) {
		fds[i] = client(path);
		ev_run(loop, EVRUN_NOWAIT);
	}
	assert_int_equal(httpd_connections(h), HTTPD_CONN_MAX);
	r = exchange(loop, client(path), NULL);
	assert_non_null(strstr(r, "HTTP/1.1 503 Service Unavailable\r\n"));
	r = exchange(loop, fds[0], "GET /metrics HTTP/1.0\r\n\r\n");
	assert_non_null(strstr(r, "200 OK"));
	for (i = 1; i < HTTPD_CONN_MAX; i++)
		close(fds[i]);
	for (i = 0; i < 100 && httpd_connections(h) > 0; i++) {
		ev_run(loop, EVRUN_NOWAIT);
		usleep(1000);
	}
	assert_int_equal(httpd_connections(h), 0);

	httpd_free(h);
	assert_int_equal(access(path, F_OK), -1);	/* the socket is gone */
	rmdir(dir);
	ev_loop_destroy(loop);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_listen),
		cmocka_unit_test(test_server),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
