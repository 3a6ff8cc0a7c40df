/*
 * fuzz_http.c -- libFuzzer target: one input is the bytes an HTTP client
 * sent so far; httpd_parse() reads them as the metrics server does.
 *
 * Checked besides the sanitizers: the result is "more" or "done"; "more"
 * never comes at or past the header cap (so a connection always ends);
 * the status is one the server knows; a valid request's path lies inside
 * the input and starts with '/', its head fits the cap, and parsing just
 * that head gives the same request.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "httpd.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_fail(const char *what)
{
	fprintf(stderr, "fuzz_http: invariant violated: %s\n", what);
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct httpd_req	 req, again;
	char			*buf;
	int			 r;

	if (size > 4 * HTTPD_HEAD_MAX)
		return 0;
	/* an exact-size copy: reading past it is an ASan error */
	buf = malloc(size == 0 ? 1 : size);
	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	r = httpd_parse(buf, size, &req);
	if (r != 0 && r != 1)
		fuzz_fail("result is neither 0 nor 1");
	if (r == 0 && size >= HTTPD_HEAD_MAX)
		fuzz_fail("more bytes wanted past the header cap");
	if (r == 1) {
		switch (req.status) {
		case 0: case 400: case 405: case 414: case 431: case 505:
			break;
		default:
			fuzz_fail("unknown status");
		}
	}
	if (r == 1 && req.status == 0) {
		if (req.path < buf || req.path + req.pathlen > buf + size ||
		    req.pathlen == 0 || req.path[0] != '/')
			fuzz_fail("path outside the input or not absolute");
		if (req.used > size || req.used > HTTPD_HEAD_MAX)
			fuzz_fail("head longer than the input or the cap");
		if (httpd_parse(buf, req.used, &again) != 1 || again.status != 0 ||
		    again.pathlen != req.pathlen || again.head != req.head)
			fuzz_fail("the head alone parses differently");
	}
	free(buf);
	return 0;
}
