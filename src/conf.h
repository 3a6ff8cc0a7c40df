/*
 * conf.h -- bouncewatch.conf(5): "key = value" lines, '#' comments.
 * The whole file is validated; every error is reported as
 * "file:line: message" before loading fails, and a failed load leaves the
 * previous configuration in place (the caller swaps on success).
 */
#ifndef BW_CONF_H
#define BW_CONF_H

#include <stddef.h>

#define CONF_LOGS_MAX	16

enum conf_start {
	CONF_START_BEGINNING,
	CONF_START_END,
};

struct conf_log {
	char	*path;
	char	*format;	/* "auto", "postfix" or "hurricane" */
};

struct conf {
	char		*path;		/* the file it came from, or NULL */
	struct conf_log	 logs[CONF_LOGS_MAX];
	int		 nlogs;
	char		*database;
	int		 commit_interval_ms;
	int		 commit_lines;
	enum conf_start	 start;
	char		*pidfile;
	char		*rules;
	char		*timezone;
	int		 retention_days;	/* 0: keep failure detail forever */
	char		*user;		/* drop to this user when started as root */
	int		 user_line;	/* where it was set */
	char		*report_to;
	char		*report_format;
	int		 rotate_quiet_s;
	char		*synchronous;	/* "full" or "normal" */
};

/* Defaults (compiled-in paths). */
void	conf_defaults(struct conf *);
/*
 * Load path over the defaults.  Returns the number of errors, each
 * written to errbuf as "file:line: message\n"; 0 on success.  With
 * missing_ok, a file that does not exist is not an error.
 */
int	conf_load(const char *path, struct conf *, int missing_ok, char *errbuf,
	    size_t errlen);
int	conf_load_text(const char *name, const char *text, size_t len,
	    struct conf *, char *errbuf, size_t errlen);
void	conf_free(struct conf *);

#endif
