/*
 * source_auto.c -- "log = auto": the first of /var/log/mail.log (Debian,
 * Ubuntu with rsyslog) and /var/log/maillog (RHEL, Fedora) that exists,
 * else the systemd journal when journald keeps one (Debian 12 without
 * rsyslog), else /var/log/mail.log, waited for.  Also the readability
 * check bouncewatchd -n runs as the configured user.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "source_auto.h"
#include "source_journal.h"
#include "util.h"

void
source_auto_pick(struct source_auto *a)
{
	static const char	*files[] = SOURCE_AUTO_FILES;
	static const char	*journals[] = SOURCE_AUTO_JOURNALS;
	struct stat		 sb;
	size_t			 i;

	memset(a, 0, sizeof(*a));
	for (i = 0; i < nitems(files); i++) {
		if (stat(files[i], &sb) == 0) {
			snprintf(a->path, sizeof(a->path), "%s", files[i]);
			snprintf(a->why, sizeof(a->why), "log = auto: %s exists%s",
			    files[i], i == 0 ? "" : " (and /var/log/mail.log does not)");
			return;
		}
	}
	for (i = 0; i < nitems(journals); i++) {
		if (stat(journals[i], &sb) == 0 && S_ISDIR(sb.st_mode) &&
		    source_journal_available()) {
			a->journal = 1;
			snprintf(a->path, sizeof(a->path), "journal");
			snprintf(a->why, sizeof(a->why), "log = auto: neither "
			    "/var/log/mail.log nor /var/log/maillog exists and "
			    "journald keeps %s: reading the systemd journal "
			    "(mail facility)", journals[i]);
			return;
		}
	}
	snprintf(a->path, sizeof(a->path), "%s", files[0]);
	snprintf(a->why, sizeof(a->why), "log = auto: no mail log file and %s: "
	    "waiting for %s", source_journal_available() ?
	    "no systemd journal" : "this build cannot read the systemd journal",
	    files[0]);
}

int
source_auto_check_file(const char *path, char **cause)
{
	struct stat	 sb;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1) {
		if (asprintf(cause, "%s: %s%s", path, strerror(errno), errno ==
		    EACCES ? " (give the user read access: a group such as adm, "
		    "or an ACL)" : "") == -1)
			*cause = NULL;
		return -1;
	}
	if (fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		close(fd);
		if (asprintf(cause, "%s: is a directory", path) == -1)
			*cause = NULL;
		return -1;
	}
	close(fd);
	return 0;
}
