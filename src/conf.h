/*
 * conf.h -- bouncewatch.conf(5): "key = value" lines, '#' comments, read
 * through one typed table of keys (conf.c: name, type, bounds, default,
 * place in struct conf).  The whole file is checked; every error is
 * reported as "file:line: message", and a failed load leaves the previous
 * configuration in place (the caller swaps on success).
 *
 * Errors follow the project's convention: -1 (or NULL) and *cause set to a
 * malloc'd message the caller frees; a list of errors is one line each
 * (log_warnx_list() logs one).
 */
#ifndef BW_CONF_H
#define BW_CONF_H

#include <stddef.h>
#include <sys/stat.h>

#define CONF_LOGS_MAX	16

enum conf_start {
	CONF_START_BEGINNING,
	CONF_START_END,
};

struct conf_log {
	char	*path;		/* absolute, or "auto" (the daemon picks) */
	char	*format;	/* "auto", "postfix" or "hurricane" */
};

struct conf {
	char		*path;		/* the file it came from, or NULL */
	struct conf_log	 logs[CONF_LOGS_MAX];
	int		 nlogs;
	char		*database;	/* a path, or a postgresql:// URI */
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
	char		*report_format;	/* "text" or "html" */
	int		 rotate_quiet_s;
	char		*synchronous;	/* "full" or "normal" */
	int		 journal;	/* read the local system journal */
	char		*journal_directory;	/* or the journal files of a directory */
	char		*journal_match;	/* "FIELD=value ...": sd_journal matches */
	int		 quiet_warning_s;	/* a source silent this long: warn */
	char		*node;		/* this host's name in a fleet */
	int		 queue_lifetime_s;	/* pending rows older than this expire */
	char		*metrics_listen;	/* NULL: no metrics endpoint */
	int		 metrics_domains;
	char		*alert_command;		/* NULL: none */
	char		*alert_to;		/* NULL: no mail */
	int		 alert_min_failures;
	int		 alert_window_s;
	char		*alert_rate_jump;	/* as written; parsed into: */
	int		 alert_rate_factor;	/* 0: off */
	int		 alert_rate_points;
	int		 alert_repeat_s;
	int		 alert_timeout_s;
};

/* The value types of the table. */
enum conf_type {
	CONF_INTEGER,		/* int in [min, max] */
	CONF_DURATION,		/* number and unit (ms, s, min, h, d) */
	CONF_PATH,		/* absolute path */
	CONF_ENUM,		/* one word of a list */
	CONF_BOOLEAN,		/* yes/no, true/false, on/off, 1/0 */
	CONF_STRING,
};

#define CONF_REPEAT	0x1	/* may be given more than once */
#define CONF_WORD	0x2	/* CONF_ENUM kept as the word (char *), not its index */
#define CONF_AUTO	0x4	/* CONF_PATH: the word "auto" is a value too */
#define CONF_COMPUTED	0x8	/* no fixed default: computed at start (node) */

struct conf_entry {
	const char		*name;
	enum conf_type		 type;
	long long		 min, max;	/* integer; duration in ms */
	long long		 unit;		/* duration: ms per stored unit */
	const char *const	*choices;	/* enum: NULL-terminated */
	const char		*def;		/* as written in the file; NULL: none */
	size_t			 offset;	/* in struct conf */
	int			 flags;
	/* further checks and storing, after the type's; -1 with *cause */
	int			(*set)(struct conf *, const struct conf_entry *,
				    char *, int, char **);
};

/* The table, in the order of bouncewatch.conf(5); NULL name ends it. */
extern const struct conf_entry conf_table[];

/* Defaults (compiled-in paths, the host name for node). */
void	conf_defaults(struct conf *);
/*
 * Load path over the defaults.  With missing_ok, a file that does not
 * exist is not an error.  -1 with *cause holding every error, one
 * "file:line: message" per line.
 */
int	conf_load(const char *path, struct conf *, int missing_ok, char **cause);
int	conf_load_text(const char *name, const char *text, size_t len,
	    struct conf *, char **cause);
/*
 * What a loaded configuration needs to run the daemon (a log, an existing
 * user): used at start, by -n and on SIGHUP.  -1 with *cause, one line
 * per error.
 */
int	conf_validate(const struct conf *, char **cause);
void	conf_free(struct conf *);

/*
 * May a file of this stat be trusted, as sshd and OpenSMTPD decide?
 * Refused: writable by its group or by others, owned by another user than
 * root or the running user, and with CONF_SAFE_SECRET (it holds a
 * password) readable by its group or others.  conf_load applies it to the
 * configuration; the rules file's loader applies it too.  0, or -1 with
 * *cause naming path.
 */
#define CONF_SAFE_SECRET	0x1
int	conf_file_safe(const char *path, const struct stat *, int flags,
	    char **cause);

#endif
