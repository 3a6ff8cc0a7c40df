/*
 * bouncewatchd.c -- main() of bouncewatchd(8): options, configuration,
 * privileges, one instance per database, daemonizing; then the engine in
 * daemon.c.  Everything that can fail for a reason the operator must fix
 * fails here, before the loop starts, with a clear message.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "classify.h"
#include "conf.h"
#include "daemon.h"
#include "log.h"
#include "source_auto.h"
#include "source_glob.h"
#include "source_journal.h"
#include "store.h"
#include "tz.h"
#include "util.h"

#ifndef PATH_CONF
#define PATH_CONF	"/etc/bouncewatch/bouncewatch.conf"
#endif

static void
usage(int status)
{
	fprintf(status == 0 ? stdout : stderr, "usage: bouncewatchd [-dfhnvV] [-c FILE]\n"
	    "  -c FILE  configuration file (default %s)\n"
	    "  -d       debug: stay in the foreground, log to stderr, verbose\n"
	    "  -f       stay in the foreground and log to stderr\n"
	    "  -h       this help\n"
	    "  -n       check the configuration and exit\n"
	    "  -v       verbose logging\n"
	    "  -V       print the version and exit\n", PATH_CONF);
	exit(status);
}

/* Everything the configuration refers to, checked before starting. */
static int
check_conf(const char *path, struct conf *conf)
{
	char			*cause = NULL;
	struct classifier	*cl;
	int			 n = 0;

	/* every error in one pass: the file, its user, its rules file */
	conf_defaults(conf);
	if (conf_load(path, conf, 0, &cause) == -1) {
		n += log_warnx_list(cause);
		free(cause);
	}
	if (conf_validate(conf, &cause) == -1) {
		n += log_warnx_list(cause);
		free(cause);
	}
	if (conf->rules != NULL) {
		cl = classify_new();
		if (classify_load_rules(cl, conf->rules, &cause) == -1) {
			n += log_warnx_list(cause);
			free(cause);
		}
		classify_free(cl);
	}
	if (n != 0) {
		fprintf(stderr, "%s: %d error%s\n", path, n, n == 1 ? "" : "s");
		return -1;
	}
	return 0;
}

static int	drop_privileges(const char *);

/* One source for -n: print what is read, or say why it cannot be. */
static int
check_source(const char *kind, const char *what, int r, char *cause)
{
	if (r == 0) {
		printf("%s %s: readable\n", kind, what);
		return 0;
	}
	fprintf(stderr, "%s: %s\n", kind, cause != NULL ? cause : what);
	free(cause);
	return 1;
}

/*
 * -n on log = PATTERN: every file it matches now must be readable; a
 * pattern that matches nothing yet (or whose directory is missing) is
 * said, not fatal: tomorrow's file may be the first.
 */
static int
check_pattern(const char *pattern)
{
	char	**v, *cause = NULL;
	int	 i, n, bad = 0;

	if ((n = source_glob_expand(pattern, &v, &cause)) <= 0) {
		fprintf(stderr, "log %s: warning: %s: nothing is read until a "
		    "file matches\n", pattern, n == -1 ? cause : "matches no file yet");
		free(cause);
		return 0;
	}
	printf("log %s: matches %d file(s)\n", pattern, n);
	for (i = 0; i < n; i++) {
		cause = NULL;
		bad += check_source("log", v[i], source_auto_check_file(v[i],
		    &cause), cause);
	}
	source_glob_free(v, n);
	return bad;
}

/*
 * -n: every source must exist and be readable by the configured user: a
 * child drops to that user and tries them all.  0, or -1 (said why).
 */
static int
check_sources(const struct conf *conf)
{
	struct source_journal_conf	 jc;
	struct source_auto		 a;
	const char			*p;
	char				*cause;
	pid_t				 pid;
	int				 i, n = 0, status, r;

	fflush(stdout);
	if ((pid = fork()) == -1) {
		log_warn("fork");
		return -1;
	}
	if (pid == 0) {
		if (conf->user != NULL && drop_privileges(conf->user) == -1)
			_exit(1);
		memset(&jc, 0, sizeof(jc));
		jc.match = conf->journal_match;
		for (i = 0; i < conf->nlogs; i++) {
			p = conf->logs[i].path;
			cause = NULL;
			if (strcmp(p, "auto") == 0) {
				source_auto_pick(&a);
				printf("%s\n", a.why);
				if (a.journal) {
					r = source_journal_check(&jc, &cause);
					n += check_source("journal", "(local)", r, cause);
					continue;
				}
				p = a.path;
			}
			if (source_glob_is_pattern(p)) {
				n += check_pattern(p);
				continue;
			}
			r = source_auto_check_file(p, &cause);
			n += check_source("log", p, r, cause);
		}
		if (conf->journal || conf->journal_directory != NULL) {
			cause = NULL;
			jc.dir = conf->journal_directory;
			r = source_journal_check(&jc, &cause);
			n += check_source("journal", jc.dir != NULL ? jc.dir : "(local)",
			    r, cause);
		}
		fflush(stdout);
		_exit(n == 0 ? 0 : 1);
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* Drop root for the configured user before touching any log or database. */
static int
drop_privileges(const char *user)
{
	struct passwd	*pw;

	if (geteuid() != 0)
		return 0;
	if (user == NULL) {
		log_warnx("running as root: set \"user\" in the configuration "
		    "(or User= in the service) to run unprivileged");
		return 0;
	}
	if ((pw = getpwnam(user)) == NULL) {
		log_warnx("user \"%s\" does not exist", user);
		return -1;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) == -1 || setgid(pw->pw_gid) == -1 ||
	    setuid(pw->pw_uid) == -1) {
		log_warn("cannot become user %s", user);
		return -1;
	}
	if (setuid(0) != -1) {
		log_warnx("could regain root after dropping privileges: refusing to run");
		return -1;
	}
	return 0;
}

/*
 * A directory the daemon creates files in (the pid file's, the
 * database's) must be ours or root's and writable by nobody else, unless
 * sticky: otherwise another user could plant a link where we write.
 */
static int
check_dir(const char *file, const char *what)
{
	char		 dir[4096], *slash;
	struct stat	 sb;

	snprintf(dir, sizeof(dir), "%s", file);
	if ((slash = strrchr(dir, '/')) == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if (stat(dir, &sb) == -1) {
		log_warn("%s (the directory of the %s)", dir, what);
		return -1;
	}
	if (sb.st_uid != 0 && sb.st_uid != geteuid()) {
		log_warnx("%s: the directory of the %s belongs to another user (uid "
		    "%lu): refusing to create files in it", dir, what,
		    (unsigned long)sb.st_uid);
		return -1;
	}
	if ((sb.st_mode & (S_IWGRP | S_IWOTH)) != 0 && (sb.st_mode & S_ISVTX) == 0) {
		log_warnx("%s: the directory of the %s is writable by its group or "
		    "others (mode %04o): refusing to create files in it; make it "
		    "0755 or 0750", dir, what, (unsigned)(sb.st_mode & 07777));
		return -1;
	}
	return 0;
}

/*
 * PATH.tmp is created, never opened through a link that is there (it is
 * removed: the name, not what it points to), then renamed over PATH.
 */
static int
write_pidfile(const char *path)
{
	char	 tmp[4096], buf[32];
	int	 fd = -1, n, tries;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	for (tries = 0; tries < 2; tries++) {
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd != -1 || errno != EEXIST || unlink(tmp) == -1)
			break;
	}
	if (fd == -1)
		return -1;
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (write(fd, buf, (size_t)n) != n || close(fd) == -1 || rename(tmp, path) == -1) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* Remove the pid file if it is still ours (a file holding our pid). */
static void
remove_pidfile(const char *path)
{
	char	 buf[32], want[32];
	ssize_t	 n;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)) == -1)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	snprintf(want, sizeof(want), "%ld\n", (long)getpid());
	if (n > 0 && (buf[n] = '\0', strcmp(buf, want) == 0))
		unlink(path);
}

/*
 * Fork into the background.  The parent waits on a pipe until the child
 * is ready (or failed) and exits with the child's status, so that a
 * missing database or a second instance is reported to whoever started
 * us.  Returns the write end of the pipe in the child.
 */
static int
daemonize(void)
{
	pid_t		 pid;
	int		 fd, p[2];
	unsigned char	 status;

	if (pipe(p) == -1 || (pid = fork()) == -1)
		return -1;
	if (pid > 0) {
		close(p[1]);
		if (read(p[0], &status, 1) != 1)
			status = DAEMON_EX_SOFTWARE;
		_exit(status);
	}
	close(p[0]);
	if (setsid() == -1)
		return -1;
	if ((pid = fork()) == -1)
		return -1;
	if (pid > 0)
		_exit(0);
	if (chdir("/") == -1)
		return -1;
	if ((fd = open("/dev/null", O_RDWR)) != -1) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	return p[1];
}

static void
report_status(int fd, int status)
{
	unsigned char	 c = (unsigned char)status;

	if (fd != -1) {
		(void)write(fd, &c, 1);
		close(fd);
	}
}

int
main(int argc, char **argv)
{
	const char	*path = PATH_CONF;
	struct conf	 conf;
	struct daemon	*d;
	int		 ch, foreground = 0, verbose = 0, check = 0, lockfd, status;
	int		 ready = -1;
	char		 abspath[4096], *cause = NULL;
	enum store_err	 why;

	while ((ch = getopt(argc, argv, "c:dfhnvV")) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'd':
			foreground = 1;
			verbose = 1;
			break;
		case 'f':
			foreground = 1;
			break;
		case 'n':
			check = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			usage(0);
			break;
		case 'V':
			printf("bouncewatchd %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(2);
		}
	}
	if (optind != argc)
		usage(2);
	log_init("bouncewatchd", 0, verbose);
	/* SIGHUP re-reads the file after we chdir("/") */
	if (path[0] != '/' && realpath(path, abspath) != NULL)
		path = abspath;
	if (check_conf(path, &conf) == -1) {
		conf_free(&conf);
		return DAEMON_EX_CONFIG;
	}
	if (check) {
		if (check_sources(&conf) == -1) {
			fprintf(stderr, "%s: a source cannot be read%s%s\n", path,
			    conf.user != NULL ? " as user " : "",
			    conf.user != NULL ? conf.user : "");
			conf_free(&conf);
			return DAEMON_EX_CONFIG;
		}
		printf("%s: configuration OK\n", path);
		conf_free(&conf);
		return 0;
	}
	umask(027);
	if (drop_privileges(conf.user) == -1) {
		conf_free(&conf);
		return DAEMON_EX_CONFIG;
	}
	if ((!store_is_pg(conf.database) && check_dir(conf.database, "database") == -1) ||
	    check_dir(conf.pidfile, "pid file") == -1) {
		conf_free(&conf);
		return DAEMON_EX_CONFIG;
	}
	/*
	 * One instance per database.  Taken before the fork so the error
	 * reaches the terminal; the flock stays with the daemon's copy of
	 * the descriptor.  (The database itself is opened after the fork.)
	 */
	if ((lockfd = store_lock(conf.database, &why, &cause)) == -1) {
		if (why == STORE_EBUSY)
			log_warnx("another bouncewatchd is already running on %s",
			    conf.database);
		else
			log_warnx("%s", cause);
		free(cause);
		conf_free(&conf);
		return why == STORE_EBUSY ? DAEMON_EX_TEMPFAIL : DAEMON_EX_SOFTWARE;
	}
	if (!foreground) {
		if ((ready = daemonize()) == -1) {
			log_warn("daemonize");
			conf_free(&conf);
			return DAEMON_EX_SOFTWARE;
		}
		log_init("bouncewatchd", 1, verbose);
	}
	if (write_pidfile(conf.pidfile) == -1)
		log_warn("%s", conf.pidfile);
	if ((d = daemon_new(&conf, &status)) == NULL) {
		remove_pidfile(conf.pidfile);
		report_status(ready, status);
		conf_free(&conf);
		return status;
	}
	report_status(ready, 0);
	status = daemon_run(d);
	daemon_free(d);
	remove_pidfile(conf.pidfile);
	conf_free(&conf);
	close(lockfd);
	return status;
}
