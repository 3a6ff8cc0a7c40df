/*
 * util.c -- allocation wrappers (out of memory is fatal: a daemon that
 * cannot allocate a few bytes cannot do anything useful), strlcpy for
 * glibc < 2.38, integer parsing.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

void *
xmalloc(size_t n)
{
	void	*p;

	if ((p = malloc(n == 0 ? 1 : n)) == NULL)
		fatal("malloc");
	return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void	*p;

	if ((p = calloc(nmemb == 0 ? 1 : nmemb, size == 0 ? 1 : size)) == NULL)
		fatal("calloc");
	return p;
}

/*
 * A block of megabytes filled at once (the classifier's automaton) took a
 * page fault per page, two where the zero page was read first: in a
 * virtual machine each costs microseconds (bouncewatch classify: 2,700
 * faults).  MADV_POPULATE_WRITE (Linux 5.14) maps them all in one call;
 * elsewhere, or refused, the pages fault in as before.
 */
void
util_prefault(void *p, size_t n)
{
#ifdef MADV_POPULATE_WRITE
	long		 pg = sysconf(_SC_PAGESIZE);
	uintptr_t	 a, b;

	if (pg <= 0 || n < 16 * (size_t)pg)
		return;
	a = ((uintptr_t)p + (uintptr_t)pg - 1) & ~((uintptr_t)pg - 1);
	b = ((uintptr_t)p + n) & ~((uintptr_t)pg - 1);
	if (b > a)
		(void)madvise((void *)a, b - a, MADV_POPULATE_WRITE);
#else
	(void)p;
	(void)n;
#endif
}

/* Swap two elements of size bytes. */
static void
util_swap(unsigned char *a, unsigned char *b, size_t size)
{
	unsigned char	 t;

	while (size-- > 0) {
		t = *a;
		*a++ = *b;
		*b++ = t;
	}
}

/* Sift the element at i down the heap of n elements. */
static void
util_sift(unsigned char *v, size_t i, size_t n, size_t size,
    int (*cmp)(const void *, const void *))
{
	size_t	 c;

	while ((c = 2 * i + 1) < n) {
		if (c + 1 < n && cmp(v + c * size, v + (c + 1) * size) < 0)
			c++;
		if (cmp(v + i * size, v + c * size) >= 0)
			return;
		util_swap(v + i * size, v + c * size, size);
		i = c;
	}
}

void
util_sort(void *base, size_t n, size_t size,
    int (*cmp)(const void *, const void *))
{
	unsigned char	*v = base;
	size_t		 i;

	if (n < 2)
		return;
	for (i = n / 2; i-- > 0;)
		util_sift(v, i, n, size, cmp);
	for (i = n - 1; i > 0; i--) {
		util_swap(v, v + i * size, size);
		util_sift(v, 0, i, size, cmp);
	}
}

void *
xrealloc(void *old, size_t n)
{
	void	*p;

	if ((p = realloc(old, n == 0 ? 1 : n)) == NULL)
		fatal("realloc");
	return p;
}

char *
xstrdup(const char *s)
{
	char	*p;

	if ((p = strdup(s)) == NULL)
		fatal("strdup");
	return p;
}

char *
xstrndup(const char *s, size_t n)
{
	char	*p;

	if ((p = strndup(s, n)) == NULL)
		fatal("strndup");
	return p;
}

#ifndef HAVE_STRLCPY
size_t
strlcpy(char *dst, const char *src, size_t size)
{
	size_t	 len = strlen(src);

	if (size > 0) {
		size_t	 n = len >= size ? size - 1 : len;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}
#endif

int
util_parse_long(const char *s, long min, long max, long *out)
{
	char	*end;
	long	 v;

	if (*s == '\0')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static char	*xvasprintf(const char *, va_list)
		    __attribute__((format(printf, 1, 0)));

static char *
xvasprintf(const char *fmt, va_list ap)
{
	va_list	 aq;
	char	*s;
	int	 n;

	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0)
		fatal("xasprintf");
	s = xmalloc((size_t)n + 1);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	return s;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	return s;
}

void
xlistadd(char **list, const char *fmt, ...)
{
	va_list	 ap;
	size_t	 used = *list != NULL ? strlen(*list) : 0, n;
	char	*line;

	va_start(ap, fmt);
	line = xvasprintf(fmt, ap);
	va_end(ap);
	n = strlen(line);
	*list = xrealloc(*list, used + n + 2);
	memcpy(*list + used, line, n);
	(*list)[used + n] = '\n';
	(*list)[used + n + 1] = '\0';
	free(line);
}
