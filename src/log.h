/*
 * log.h -- the one logging API: stderr in the foreground, syslog (facility
 * mail) when daemonized.  log_warn appends strerror(errno), log_warnx does
 * not; fatal/fatalx log and exit(1).
 */
#ifndef BW_LOG_H
#define BW_LOG_H

#include <stdarg.h>

#define BW_PRINTF(a, b)	__attribute__((format(printf, a, b)))

void	log_init(const char *progname, int to_syslog, int verbose);
void	log_warn(const char *, ...) BW_PRINTF(1, 2);
void	log_warnx(const char *, ...) BW_PRINTF(1, 2);
void	log_info(const char *, ...) BW_PRINTF(1, 2);
void	log_debug(const char *, ...) BW_PRINTF(1, 2);
/*
 * A list of errors (a *cause of several lines): one warning per line.
 * Returns the number of lines.
 */
int	log_warnx_list(const char *);
void	fatal(const char *, ...) BW_PRINTF(1, 2) __attribute__((noreturn));
void	fatalx(const char *, ...) BW_PRINTF(1, 2) __attribute__((noreturn));

#endif
