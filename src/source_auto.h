/*
 * source_auto.h -- "log = auto": where this system's mail log is (a file
 * rsyslog writes, else the systemd journal), and whether a source can be
 * read, for bouncewatchd -n and the start-up log.
 */
#ifndef BW_SOURCE_AUTO_H
#define BW_SOURCE_AUTO_H

#include <stddef.h>

/* The files log = auto looks for, in this order. */
#define SOURCE_AUTO_FILES	{ "/var/log/mail.log", "/var/log/maillog" }
/* Where journald keeps its files (persistent, volatile). */
#define SOURCE_AUTO_JOURNALS	{ "/var/log/journal", "/run/log/journal" }

struct source_auto {
	int	 journal;	/* 1: the local journal; 0: the file path */
	char	 path[256];
	char	 why[512];	/* one sentence for -n and the start-up log */
};

/* What log = auto means here. */
void	source_auto_pick(struct source_auto *);
/*
 * Whether a log file exists and this process may read it: 0, or -1 with
 * *cause set (a malloc'd message).
 */
int	source_auto_check_file(const char *path, char **cause);

#endif
