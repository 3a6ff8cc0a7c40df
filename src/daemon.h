/*
 * daemon.h -- the engine of bouncewatchd(8): follow the configured logs
 * by name, hand every complete line to parse -> classify -> store, and
 * commit rows and read positions together.
 */
#ifndef BW_DAEMON_H
#define BW_DAEMON_H

struct conf;
struct daemon;

/*
 * Build the daemon from a validated configuration: open the database
 * (after any fork), reconcile positions with the files on disk.  NULL on
 * failure (logged); *exit_code then says why (see bouncewatchd(8)).
 */
struct daemon	*daemon_new(struct conf *, int *exit_code);
/* Run the event loop until SIGTERM/SIGINT; returns the exit status. */
int		 daemon_run(struct daemon *);
void		 daemon_free(struct daemon *);

/* Exit statuses (sysexits.h values). */
#define DAEMON_EX_OK		0
#define DAEMON_EX_SOFTWARE	70
#define DAEMON_EX_DATAERR	65	/* database corrupt or not ours */
#define DAEMON_EX_TEMPFAIL	75	/* another instance holds the database */
#define DAEMON_EX_CONFIG	78

#endif
