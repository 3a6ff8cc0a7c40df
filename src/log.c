/*
 * log.c -- see log.h.  Modelled on the OpenSMTPD/tmux logging API: errno is
 * preserved across calls so callers can log and still inspect it.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "log.h"

static const char	*log_progname = "bouncewatch";
static int		 log_syslog;
static int		 log_verbose;

void
log_init(const char *progname, int to_syslog, int verbose)
{
	log_progname = progname;
	log_syslog = to_syslog;
	log_verbose = verbose;
	if (to_syslog)
		openlog(progname, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

static void log_vwrite(int, const char *, va_list, const char *)
    __attribute__((format(printf, 2, 0)));

static void
log_vwrite(int pri, const char *fmt, va_list ap, const char *suffix)
{
	char	 buf[2048];
	int	 saved = errno;

	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (log_syslog) {
		if (suffix != NULL)
			syslog(pri, "%s: %s", buf, suffix);
		else
			syslog(pri, "%s", buf);
	} else {
		if (suffix != NULL)
			fprintf(stderr, "%s: %s: %s\n", log_progname, buf, suffix);
		else
			fprintf(stderr, "%s: %s\n", log_progname, buf);
		fflush(stderr);
	}
	errno = saved;
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;
	int	 e = errno;

	va_start(ap, fmt);
	log_vwrite(LOG_WARNING, fmt, ap, strerror(e));
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vwrite(LOG_WARNING, fmt, ap, NULL);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vwrite(LOG_INFO, fmt, ap, NULL);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	log_vwrite(LOG_DEBUG, fmt, ap, NULL);
	va_end(ap);
}

int
log_warnx_list(const char *list)
{
	const char	*p, *nl;
	int		 n = 0;

	for (p = list; p != NULL && *p != '\0'; p = nl != NULL ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		if (nl == NULL)
			log_warnx("%s", p);
		else if (nl > p)
			log_warnx("%.*s", (int)(nl - p), p);
		else
			continue;
		n++;
	}
	return n;
}

void
fatal(const char *fmt, ...)
{
	va_list	 ap;
	int	 e = errno;

	va_start(ap, fmt);
	log_vwrite(LOG_CRIT, fmt, ap, strerror(e));
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vwrite(LOG_CRIT, fmt, ap, NULL);
	va_end(ap);
	exit(1);
}
