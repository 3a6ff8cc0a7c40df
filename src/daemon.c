/*
 * daemon.c -- see daemon.h.  Wiring only: the configuration, the libev
 * loop and its watchers (a stat watcher per followed log, a safety poll,
 * the commit, retry and prune timers), signals, reload, sd_notify.  The
 * logs are followed by tail.c; lines go through ingest.c into the store.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <ev.h>

#include "classify.h"
#include "conf.h"
#include "daysum.h"
#include "daemon.h"
#include "ingest.h"
#include "ingest_pipe.h"
#include "live.h"
#include "log.h"
#include "parse.h"
#include "source.h"
#include "source_auto.h"
#include "source_glob.h"
#include "source_journal.h"
#include "store.h"
#include "tail.h"
#include "tz.h"
#include "util.h"

#define READ_BUDGET	65536		/* lines per loop iteration, then yield */
#define POLL_INTERVAL	1.0		/* safety poll of every name */

struct follow {
	struct daemon	*d;
	struct source	*src;
	ev_stat		 stat_w;
	ev_io		 io_w;		/* the journal: its descriptor */
	int		 journal;
	uint64_t	 seen;		/* src->lines when last looked at */
	ev_tstamp	 quiet_since;	/* no line since */
	ev_tstamp	 quiet_said;
	struct follow	*next;
};

struct daemon {
	struct conf		*conf;
	struct ev_loop		*loop;
	struct store		*store;
	struct classifier	*cl;
	struct parse_ctx	 ctx;
	struct tz		*stz;		/* the store's: parsing may run in another thread */
	struct ingest		*ing;
	struct ingest_pipe	*pipe;		/* catching up on two threads */
	int			 backlog;	/* the last read stopped with more to read */
	struct live		*live;		/* metrics endpoint, alerts */
	struct follow		*follows;
	dev_t			 db_dev;	/* the database file opened */
	ino_t			 db_ino;
	int			 exit_code;
	int			 stopping;
	ev_timer		 commit_w;
	ev_timer		 poll_w;
	ev_timer		 retry_w;
	ev_timer		 prune_w;
	ev_idle			 more_w;
	ev_signal		 sigterm_w, sigint_w, sighup_w, sigusr1_w;
};

/* ---- systemd readiness (sd_notify without libsystemd) ---- */

static void
daemon_notify(const char *msg)
{
	const char		*path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un	 sun;
	socklen_t		 len;
	int			 fd;

	if (path == NULL || (path[0] != '/' && path[0] != '@') ||
	    strlen(path) >= sizeof(sun.sun_path))
		return;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path));
	if (sun.sun_path[0] == '@')
		sun.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return;
	(void)sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sun, len);
	close(fd);
}

/* ---- stalls and commits ---- */

static void
daemon_exit(struct daemon *d, int code)
{
	d->exit_code = code;
	d->stopping = 1;
	ev_break(d->loop, EVBREAK_ALL);
}

/*
 * A database error: the open transaction is rolled back, every source
 * goes back to its last commit, reading stops and is retried with
 * back-off.  The log files are the buffer.
 */
static void
daemon_stall(struct daemon *d)
{
	double	 delay;
	int	 first;

	delay = ingest_stall(d->ing, &first);
	ev_timer_stop(d->loop, &d->commit_w);
	ev_idle_stop(d->loop, &d->more_w);
	if (delay < 0) {
		log_warnx("%s: database corrupt (%s): stopping",
		    store_display(d->conf->database), store_errmsg(d->store));
		daemon_exit(d, DAEMON_EX_DATAERR);
		return;
	}
	if (first)
		daemon_notify("STATUS=stalled: database unavailable, retrying");
	ev_timer_stop(d->loop, &d->retry_w);
	ev_timer_set(&d->retry_w, delay, 0.);
	ev_timer_start(d->loop, &d->retry_w);
}

/* Is the database path no longer the file opened (deleted, replaced)? */
static int
daemon_db_gone(void *arg)
{
	struct daemon	*d = arg;
	struct stat	 sb;
	int		 gone;

	if (d->db_ino == 0)
		return 0;
	if (stat(d->conf->database, &sb) == -1)
		gone = errno == ENOENT;
	else
		gone = sb.st_dev != d->db_dev || sb.st_ino != d->db_ino;
	if (gone)
		/* committing into a file nobody will open again loses it all */
		log_warnx("%s: the database file was removed or replaced while "
		    "the daemon ran: stopping without committing; what was read "
		    "since the last commit is read again at the next start",
		    d->conf->database);
	return gone;
}

static int
daemon_commit(struct daemon *d)
{
	ev_timer_stop(d->loop, &d->commit_w);
	switch (ingest_commit(d->ing)) {
	case INGEST_COMMIT_RESUMED:
		daemon_notify("STATUS=running");
		return 0;
	case INGEST_COMMIT_OK:
		return 0;
	case INGEST_COMMIT_REFUSED:
		daemon_exit(d, DAEMON_EX_DATAERR);
		return -1;
	case INGEST_COMMIT_FAILED:
		break;
	}
	daemon_stall(d);
	return -1;
}

/* ---- reading everything ---- */

/*
 * A backlog (the log written while the daemon was stopped, a burst) is
 * read on two threads, parsed and classified in one; a few new lines in
 * this one, without waking a thread.  Journal entries are not lines.
 */
static int
daemon_pump(struct daemon *d, uint64_t want, uint64_t *done)
{
	struct follow	*f;
	int		 r, lines = 1;

	for (f = d->follows; f != NULL; f = f->next)
		if (f->journal)
			lines = 0;
	if (d->backlog && lines && d->pipe == NULL &&
	    (d->pipe = ingest_pipe_new(d->ing)) != NULL)
		log_debug("catching up on two threads");
	if (d->backlog && lines && d->pipe != NULL)
		r = ingest_pipe_follow(d->pipe, want, done);
	else
		r = ingest_pump(d->ing, want, done);
	d->backlog = r == 1;
	return r;
}

/* Did a source ask for a commit before its next line?  Asks cleared. */
static int
daemon_commit_asked(struct daemon *d)
{
	struct follow	*f;
	int		 asked = 0;

	for (f = d->follows; f != NULL; f = f->next)
		if (f->src->commit_first) {
			f->src->commit_first = 0;
			asked = 1;
		}
	return asked;
}

static int
daemon_read_all(struct daemon *d)
{
	struct follow	*f;
	uint64_t	 budget = READ_BUDGET, want, done;
	uint64_t	 batch = (uint64_t)d->conf->commit_lines;
	int		 r;

	if (ingest_stalled(d->ing) || d->stopping)
		return 0;
	d->ctx.now = (time_t)ev_now(d->loop);	/* the year of year-less stamps */
	/*
	 * Before reading on, look at every name and size: a timer or the
	 * idle watcher may run before the stat watcher after a pause
	 * (SIGSTOP, a busy machine), and a file truncated and regrown past
	 * the old position reads as new lines.
	 */
	for (f = d->follows; f != NULL; f = f->next)
		if (f->src->ops->poll(f->src, 0) == -1) {
			daemon_stall(d);
			return -1;
		}
	do {
		want = batch > ingest_pending(d->ing) ? batch - ingest_pending(d->ing) : 1;
		if (want > budget)
			want = budget;
		if ((r = daemon_pump(d, want, &done)) == -1) {
			daemon_stall(d);
			return -1;
		}
		budget -= done;
		if (daemon_commit_asked(d)) {	/* source.h commit_first */
			if (daemon_commit(d) == -1)
				return -1;
			r = 1;
		} else if (ingest_pending(d->ing) >= batch && daemon_commit(d) == -1)
			return -1;
	} while (r == 1 && budget > 0);
	if (ingest_in_tx(d->ing) && !ev_is_active(&d->commit_w)) {
		if (ingest_pending(d->ing) > 0) {
			ev_timer_set(&d->commit_w, d->conf->commit_interval_ms / 1000.0, 0.);
			ev_timer_start(d->loop, &d->commit_w);
		} else if (daemon_commit(d) == -1)	/* only positions or states */
			return -1;
	}
	if (r == 1)
		ev_idle_start(d->loop, &d->more_w);
	else
		ev_idle_stop(d->loop, &d->more_w);
	return 0;
}

/* ---- watchers ---- */

/* A source's watcher fired: look at it, then read. */
static void
daemon_follow_event(struct follow *f)
{
	if (!ingest_stalled(f->d->ing) && f->src->ops->poll(f->src, 0) == -1) {
		daemon_stall(f->d);
		return;
	}
	daemon_read_all(f->d);
}

static void
on_stat(struct ev_loop *loop, ev_stat *w, int revents)
{
	(void)loop;
	(void)revents;
	daemon_follow_event(w->data);
}

static void
on_io(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	daemon_follow_event(w->data);
}

/* Watch a follow: the file's name, or the journal's descriptor. */
static void
daemon_watch(struct daemon *d, struct follow *f, int on)
{
	if (!f->journal) {
		(on ? ev_stat_start : ev_stat_stop)(d->loop, &f->stat_w);
		return;
	}
	/* the descriptor comes when the journal can be opened, and may change */
	if (ev_is_active(&f->io_w) && (!on || f->io_w.fd != f->src->watch_fd))
		ev_io_stop(d->loop, &f->io_w);
	if (on && f->src->watch_fd != -1 && !ev_is_active(&f->io_w)) {
		ev_io_set(&f->io_w, f->src->watch_fd, EV_READ);
		ev_io_start(d->loop, &f->io_w);
	}
}

/* SIGUSR1, quiet_warning: what a source is doing. */
static void
daemon_log_state(struct daemon *d, struct follow *f)
{
	if (f->journal)
		source_journal_log_state(f->src);
	else if (source_glob_is(f->src))
		source_glob_log_state(f->src, ingest_stalled(d->ing));
	else
		tail_log_state(f->src, ingest_stalled(d->ing));
}

/*
 * quiet_warning: a source that gave no line for that long is said, and
 * said again each quiet_warning after: a log nobody writes any more, or
 * that we no longer read, is noticed.
 */
static void
daemon_quiet(struct daemon *d, struct follow *f)
{
	ev_tstamp	 now = ev_now(d->loop), q = d->conf->quiet_warning_s;

	if (f->quiet_since == 0 || f->src->lines != f->seen) {
		f->seen = f->src->lines;
		f->quiet_since = f->quiet_said = now;
		return;
	}
	if (now - f->quiet_since < q || now - f->quiet_said < q)
		return;
	f->quiet_said = now;
	log_warnx("%s: no line for %.0f s (quiet_warning): is it still written, "
	    "and readable by this user?", f->src->name, now - f->quiet_since);
	daemon_log_state(d, f);
}

static void
on_poll(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct daemon	*d = w->data;
	struct follow	*f;

	(void)loop;
	(void)revents;
	if (ingest_stalled(d->ing))
		return;
	for (f = d->follows; f != NULL; f = f->next) {
		if (f->src->ops->poll(f->src, 1) == -1) {
			daemon_stall(d);
			return;
		}
		if (f->journal)
			daemon_watch(d, f, 1);
	}
	daemon_read_all(d);
	for (f = d->follows; f != NULL; f = f->next)
		daemon_quiet(d, f);
}

static void
on_more(struct ev_loop *loop, ev_idle *w, int revents)
{
	(void)loop;
	(void)revents;
	daemon_read_all(w->data);
}

static void
on_commit(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct daemon	*d = w->data;

	(void)loop;
	(void)revents;
	if (daemon_commit(d) == 0)
		daemon_read_all(d);
}

static void
on_retry(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct daemon	*d = w->data;

	(void)loop;
	(void)revents;
	/* try a transaction: if the database is back, read again */
	if (ingest_retry(d->ing) == -1) {
		daemon_stall(d);
		return;
	}
	if (daemon_read_all(d) == 0 && ingest_in_tx(d->ing) && ingest_pending(d->ing) == 0)
		daemon_commit(d);
}

/*
 * Once an hour, and when stopping: the summaries of the days written
 * into (daysum.h), but not today's, which still grows; at most
 * DAEMON_SUM_DAYS at a time, so that a database upgraded with a year of
 * history does not hold the loop (or the stop) long.
 */
#define DAEMON_SUM_DAYS	31

static void
daemon_summaries(struct daemon *d)
{
	char	 today[11];
	int	 n;

	tz_day_text(tz_local_day(d->ctx.tz, (int64_t)ev_now(d->loop)), today);
	if ((n = daysum_refresh(d->store, d->stz, today, DAEMON_SUM_DAYS)) == -1)
		log_warnx("day summaries: %s (reports read the rows)",
		    store_errmsg(d->store));
	else if (n > 0)
		log_debug("day summaries: %d built", n);
}

/*
 * Hourly: with retention_days, delete failure detail older than that
 * (the counters stay); then the day summaries.
 */
static void
on_prune(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct daemon	*d = w->data;
	char		 before[11];
	int64_t		 n;

	(void)loop;
	(void)revents;
	if (ingest_stalled(d->ing) || daemon_commit(d) == -1)
		return;			/* stalled: next hour */
	if (d->conf->retention_days > 0) {
		tz_day_text(tz_local_day(d->ctx.tz, (int64_t)ev_now(d->loop)) -
		    d->conf->retention_days, before);
		if ((n = store_prune(d->store, before)) < 0)
			log_warnx("pruning failure detail before %s: %s", before,
			    store_errmsg(d->store));
		else if (n > 0)
			log_info("pruned %lld failure rows before %s "
			    "(retention_days = %d)", (long long)n, before,
			    d->conf->retention_days);
	}
	daemon_summaries(d);
}

static void
daemon_log_counters(struct daemon *d)
{
	const struct ingest_counters	*n = ingest_counters(d->ing);
	struct tail_counters		 t;
	struct follow			*f;

	memset(&t, 0, sizeof(t));
	for (f = d->follows; f != NULL; f = f->next) {
		if (f->journal)
			continue;
		if (source_glob_is(f->src)) {
			source_glob_add_counters(f->src, &t);
			continue;
		}
		t.rotations += tail_counters(f->src)->rotations;
		t.truncations += tail_counters(f->src)->truncations;
		t.gaps += tail_counters(f->src)->gaps;
	}
	log_info("counters: %llu lines, %llu deliveries (%llu failed), %llu expired, "
	    "%llu probes, %llu other, %llu unparseable; %llu commits, %llu stalls, "
	    "%llu rotations, %llu truncations, %llu gaps; WAL %lld bytes",
	    (unsigned long long)n->lines, (unsigned long long)n->kind[LINE_DELIVERY],
	    (unsigned long long)n->failures, (unsigned long long)n->kind[LINE_EXPIRED],
	    (unsigned long long)n->kind[LINE_PROBE], (unsigned long long)n->kind[LINE_OTHER],
	    (unsigned long long)n->kind[LINE_INVALID], (unsigned long long)n->commits,
	    (unsigned long long)n->stalls, (unsigned long long)t.rotations,
	    (unsigned long long)t.truncations, (unsigned long long)t.gaps,
	    (long long)store_wal_size(d->store));
	for (f = d->follows; f != NULL; f = f->next)
		daemon_log_state(d, f);
}

static void daemon_reload(struct daemon *);

static void
on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct daemon	*d = w->data;

	(void)revents;
	switch (w->signum) {
	case SIGTERM:
	case SIGINT:
		log_info("signal %d: committing and exiting", w->signum);
		d->stopping = 1;
		daemon_notify("STOPPING=1");
		if (ingest_in_tx(d->ing) && daemon_commit(d) == -1)
			log_warnx("last batch not committed; it will be read again at start");
		else
			daemon_summaries(d);	/* the days before today */
		ev_break(loop, EVBREAK_ALL);
		break;
	case SIGHUP:
		daemon_reload(d);
		break;
	case SIGUSR1:
		daemon_log_counters(d);
		break;
	}
}

/* ---- configuration ---- */

static struct classifier *
daemon_classifier(const struct conf *c)
{
	struct classifier	*cl = classify_new();
	char			*cause = NULL;

	if (c->rules != NULL && classify_load_rules(cl, c->rules, &cause) == -1) {
		log_warnx_list(cause);
		free(cause);
		classify_free(cl);
		return NULL;
	}
	return cl;
}

/* A source in the pipeline and its watcher. */
static struct follow *
daemon_follow_add(struct daemon *d, struct source *src, int journal)
{
	struct follow	*f;

	f = xcalloc(1, sizeof(*f));
	f->d = d;
	f->src = src;
	f->journal = journal;
	ingest_add(d->ing, src);
	if (journal)
		ev_io_init(&f->io_w, on_io, src->watch_fd, EV_READ);
	else
		ev_stat_init(&f->stat_w, on_stat, src->watch_path, 0.);
	f->io_w.data = f->stat_w.data = f;
	return f;
}

/* The journal (journal, journal_directory, or what log = auto found). */
static struct follow *
daemon_journal_new(struct daemon *d, const char *dir)
{
	struct source_journal_conf	 jc;
	struct source			*src;
	char				*cause = NULL;

	jc.dir = dir;
	jc.match = d->conf->journal_match;
	jc.retry = 1;
	if ((src = source_journal_open(d->store, &jc, &cause)) == NULL) {
		log_warnx("%s", cause != NULL ? cause : "journal: out of memory");
		free(cause);
		return NULL;
	}
	return daemon_follow_add(d, src, 1);
}

/* The file log = auto stands for ("journal" when it is the journal). */
static const char *
daemon_log_path(const struct conf_log *l, struct source_auto *a, int say)
{
	if (strcmp(l->path, "auto") != 0)
		return l->path;
	source_auto_pick(a);
	if (say)
		log_info("%s", a->why);
	return a->path;
}

/*
 * What log line i leaves to the others, so that no file is read twice:
 * every plain path, and the patterns before it.  v holds CONF_LOGS_MAX.
 */
static int
daemon_glob_others(const struct conf *c, int i, const char **v)
{
	int	 j, n = 0;

	for (j = 0; j < c->nlogs; j++)
		if (j != i && strcmp(c->logs[j].path, "auto") != 0 &&
		    (j < i || !source_glob_is_pattern(c->logs[j].path)))
			v[n++] = c->logs[j].path;
	return n;
}

/* Follow one configured log: reconcile it, add it to the pipeline. */
static struct follow *
daemon_follow_new(struct daemon *d, const struct conf_log *l)
{
	struct tail_conf	 tc;
	struct source		*src;
	struct source_auto	 a;
	const char		*others[CONF_LOGS_MAX];
	int			 n;

	tc.path = daemon_log_path(l, &a, 1);
	if (tc.path != l->path && a.journal)
		return daemon_journal_new(d, NULL);
	tc.format = l->format;
	tc.start_end = d->conf->start == CONF_START_END;
	tc.rotate_quiet = d->conf->rotate_quiet_s;
	/* a pattern: every file it matches, files appearing later too */
	n = daemon_glob_others(d->conf, (int)(l - d->conf->logs), others);
	if ((src = source_glob_is_pattern(tc.path) ? source_glob_open(&tc,
	    d->store, others, n) : tail_open(&tc, d->store)) == NULL)
		return NULL;
	return daemon_follow_add(d, src, 0);
}

static void
daemon_follow_free(struct daemon *d, struct follow *f)
{
	daemon_watch(d, f, 0);
	ingest_remove(d->ing, f->src);
	free(f);
}

/*
 * SIGHUP: read the configuration again; on any error keep running with
 * the old one.  Rules, time zone and the list of logs change in place;
 * the database and the pid file need a restart.
 */
static void
daemon_reload(struct daemon *d)
{
	struct conf		*nc = xcalloc(1, sizeof(*nc)), *oc = d->conf;
	struct classifier	*cl;
	struct tz		*tz = NULL, *stz = NULL;
	struct follow		*f, **pp;
	struct source_auto	 a;
	char			*cause = NULL;
	int			 i;

	log_info("SIGHUP: reloading %s", oc->path != NULL ? oc->path : "the configuration");
	conf_defaults(nc);
	if (oc->path == NULL || conf_load(oc->path, nc, 0, &cause) == -1 ||
	    conf_validate(nc, &cause) == -1) {
		if (cause != NULL)
			log_warnx_list(cause);
		free(cause);
		log_warnx("configuration not reloaded: keeping the running one");
		conf_free(nc);
		free(nc);
		return;
	}
	if ((cl = daemon_classifier(nc)) == NULL ||
	    (tz = tz_new(nc->timezone)) == NULL ||
	    (stz = tz_new(nc->timezone)) == NULL) {
		log_warnx("configuration not reloaded: keeping the running one");
		tz_free(tz);
		classify_free(cl);
		conf_free(nc);
		free(nc);
		return;
	}
	if (strcmp(nc->database, oc->database) != 0)
		log_warnx("database changed: takes effect after a restart");
	if (nc->journal != oc->journal ||
	    (nc->journal_directory == NULL) != (oc->journal_directory == NULL) ||
	    (nc->journal_directory != NULL &&
	    strcmp(nc->journal_directory, oc->journal_directory) != 0) ||
	    strcmp(nc->journal_match, oc->journal_match) != 0)
		log_warnx("journal settings changed: they take effect after a restart");
	/* commit what is pending with the old state, then swap */
	if (ingest_in_tx(d->ing))
		daemon_commit(d);
	ingest_set_classifier(d->ing, cl);
	classify_free(d->cl);
	d->cl = cl;
	store_set_tz(d->store, stz);
	tz_free(d->stz);
	d->stz = stz;
	tz_free(d->ctx.tz);
	d->ctx.tz = tz;
	store_set_synchronous(d->store, strcmp(nc->synchronous, "normal") != 0);
	store_set_queue_lifetime(d->store, nc->queue_lifetime_s);
	/* between batches: the metrics may be restored from the database */
	if (live_reload(d->live, nc, &cause) == -1) {
		log_warnx("%s: metrics and alerts keep their settings", cause);
		free(cause);
		cause = NULL;
	}
	/* drop logs no longer configured, add new ones */
	for (pp = &d->follows; (f = *pp) != NULL; ) {
		if (f->journal) {	/* journal settings take a restart */
			pp = &f->next;
			continue;
		}
		for (i = 0; i < nc->nlogs; i++)
			if (strcmp(daemon_log_path(&nc->logs[i], &a, 0), f->src->name) == 0)
				break;
		if (i == nc->nlogs) {
			log_info("%s: no longer followed", f->src->name);
			*pp = f->next;
			daemon_follow_free(d, f);
			continue;
		}
		if (source_glob_is(f->src)) {
			const char	*others[CONF_LOGS_MAX];

			source_glob_set_format(f->src, nc->logs[i].format);
			source_glob_set_others(f->src, others,
			    daemon_glob_others(nc, i, others));
		} else
			tail_set_format(f->src, nc->logs[i].format);
		pp = &f->next;
	}
	/* keep the database path the process was started with */
	free(nc->database);
	nc->database = xstrdup(oc->database);
	free(nc->pidfile);
	nc->pidfile = xstrdup(oc->pidfile);
	conf_free(oc);
	*oc = *nc;
	free(nc);
	for (i = 0; i < oc->nlogs; i++) {
		for (f = d->follows; f != NULL; f = f->next)
			if (strcmp(daemon_log_path(&oc->logs[i], &a, 0), f->src->name) == 0)
				break;
		if (f != NULL || (f = daemon_follow_new(d, &oc->logs[i])) == NULL)
			continue;
		f->next = d->follows;
		d->follows = f;
		daemon_watch(d, f, 1);
		log_info("%s: now followed", f->src->name);
	}
	live_sources_changed(d->live);
	/* reopen: look at every name again */
	for (f = d->follows; f != NULL; f = f->next)
		if (f->src->ops->poll(f->src, 1) == -1) {
			daemon_stall(d);
			return;
		}
	daemon_read_all(d);
	log_info("configuration reloaded");
}

/* ---- life cycle ---- */

#define DAEMON_PG_WAIT_MAX	60	/* seconds between start-up attempts, at most */

static volatile sig_atomic_t	 daemon_startup_signal;

static void
daemon_startup_stop(int sig)
{
	daemon_startup_signal = sig;
}

/*
 * The database at start-up.  A PostgreSQL server that cannot be reached
 * (not up yet, restarting, a network away) is waited for, with back-off,
 * and said at each attempt: nothing is read meanwhile, so nothing is lost.
 * A refusal (a wrong password, a database that does not exist) will not go
 * away by waiting: the start ends (78), as with any other failure.
 * SIGTERM or SIGINT while waiting: the start ends with 0.
 */
static struct store *
daemon_store_open(struct daemon *d, const struct conf *conf, int *exit_code)
{
	struct sigaction	 sa, oterm, oint;
	struct store		*st;
	enum store_err		 why;
	char			*cause = NULL, status[256];
	unsigned int		 wait = 1, tries = 0;
	double			 since = ev_time();

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = daemon_startup_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, &oterm);
	sigaction(SIGINT, &sa, &oint);
	daemon_startup_signal = 0;
	while ((st = store_open(conf->database, STORE_RW, d->stz, &why,
	    &cause)) == NULL && why == STORE_EIO && store_is_pg(conf->database) &&
	    daemon_startup_signal == 0) {
		tries++;
		log_warnx("%s", cause);
		free(cause);
		cause = NULL;
		log_warnx("%s: PostgreSQL cannot be reached (attempt %u, for %.0f s): "
		    "nothing is read until it answers; trying again in %u s",
		    store_display(conf->database), tries, ev_time() - since, wait);
		snprintf(status, sizeof(status), "STATUS=waiting for PostgreSQL (attempt "
		    "%u)\nEXTEND_TIMEOUT_USEC=%llu", tries,
		    (unsigned long long)(wait + 30) * 1000000ULL);
		daemon_notify(status);
		if (daemon_startup_signal == 0)
			sleep(wait);
		if ((wait *= 2) > DAEMON_PG_WAIT_MAX)
			wait = DAEMON_PG_WAIT_MAX;
	}
	sigaction(SIGTERM, &oterm, NULL);
	sigaction(SIGINT, &oint, NULL);
	if (st != NULL) {
		if (tries > 0)
			log_info("%s: PostgreSQL answers after %.0f s", store_display(
			    conf->database), ev_time() - since);
		return st;
	}
	if (daemon_startup_signal != 0) {
		log_info("signal %d while waiting for the database: exiting",
		    (int)daemon_startup_signal);
		free(cause);
		*exit_code = DAEMON_EX_OK;
		return NULL;
	}
	log_warnx("%s", cause);
	free(cause);
	if (why == STORE_ENOTDB || why == STORE_ENEWER)
		*exit_code = DAEMON_EX_DATAERR;
	else if (store_is_pg(conf->database) && why == STORE_EOTHER)
		*exit_code = DAEMON_EX_CONFIG;	/* refused: fix the settings */
	else
		*exit_code = DAEMON_EX_SOFTWARE;
	return NULL;
}

struct daemon *
daemon_new(struct conf *conf, int *exit_code)
{
	struct daemon	*d = xcalloc(1, sizeof(*d));
	struct follow	**tailp = &d->follows, *f;
	char		*cause = NULL;
	struct stat	 sb;
	enum ingest_commit c;
	int		 i;

	d->conf = conf;
	*exit_code = DAEMON_EX_SOFTWARE;
	if ((d->loop = ev_default_loop(EVFLAG_AUTO | EVFLAG_NOENV)) == NULL) {
		log_warnx("cannot initialise libev");
		free(d);
		return NULL;
	}
	d->ctx.now = time(NULL);
	d->ctx.lazy = 1;		/* parse only what the store keeps */
	if ((d->ctx.tz = tz_new(conf->timezone)) == NULL ||
	    (d->stz = tz_new(conf->timezone)) == NULL) {
		log_warnx("unknown time zone \"%s\"", conf->timezone);
		*exit_code = DAEMON_EX_CONFIG;
		tz_free(d->ctx.tz);
		free(d);
		return NULL;
	}
	if ((d->cl = daemon_classifier(conf)) == NULL) {
		*exit_code = DAEMON_EX_CONFIG;
		tz_free(d->ctx.tz);
		tz_free(d->stz);
		free(d);
		return NULL;
	}
	if ((d->store = daemon_store_open(d, conf, exit_code)) == NULL) {
		classify_free(d->cl);
		tz_free(d->ctx.tz);
		tz_free(d->stz);
		free(d);
		return NULL;
	}
	if (conf->node != NULL)
		store_set_node(d->store, conf->node);
	if (strcmp(conf->synchronous, "normal") == 0)
		store_set_synchronous(d->store, 0);
	store_set_queue_lifetime(d->store, conf->queue_lifetime_s);
	if (stat(conf->database, &sb) == 0) {
		d->db_dev = sb.st_dev;
		d->db_ino = sb.st_ino;
	}
	d->ing = ingest_new(&d->ctx, d->cl, d->store, NULL);
	ingest_set_precommit(d->ing, daemon_db_gone, d);
	for (i = 0; i < conf->nlogs; i++) {
		if ((f = daemon_follow_new(d, &conf->logs[i])) == NULL ||
		    (c = ingest_commit(d->ing)) == INGEST_COMMIT_FAILED ||
		    c == INGEST_COMMIT_REFUSED) {
			if (store_error(d->store) == STORE_ENOTDB)
				*exit_code = DAEMON_EX_DATAERR;
			daemon_free(d);
			return NULL;
		}
		*tailp = f;
		tailp = &f->next;
	}
	/* the local journal once, even when log = auto picked it too */
	for (f = d->follows; f != NULL; f = f->next)
		if (f->journal && conf->journal_directory == NULL)
			break;
	if (f == NULL && (conf->journal || conf->journal_directory != NULL)) {
		if ((f = daemon_journal_new(d, conf->journal_directory)) == NULL) {
			*exit_code = DAEMON_EX_CONFIG;
			daemon_free(d);
			return NULL;
		}
		*tailp = f;
	}
	if ((d->live = live_new(d->loop, conf, d->store, d->ing, &d->ctx,
	    &cause)) == NULL) {
		log_warnx("%s", cause);
		free(cause);
		*exit_code = DAEMON_EX_CONFIG;
		daemon_free(d);
		return NULL;
	}

	ev_timer_init(&d->commit_w, on_commit, 0., 0.);
	d->commit_w.data = d;
	ev_timer_init(&d->poll_w, on_poll, POLL_INTERVAL, POLL_INTERVAL);
	d->poll_w.data = d;
	ev_timer_init(&d->retry_w, on_retry, 0., 0.);
	d->retry_w.data = d;
	ev_timer_init(&d->prune_w, on_prune, 60., 3600.);
	d->prune_w.data = d;
	ev_idle_init(&d->more_w, on_more);
	d->more_w.data = d;
	ev_signal_init(&d->sigterm_w, on_signal, SIGTERM);
	ev_signal_init(&d->sigint_w, on_signal, SIGINT);
	ev_signal_init(&d->sighup_w, on_signal, SIGHUP);
	ev_signal_init(&d->sigusr1_w, on_signal, SIGUSR1);
	d->sigterm_w.data = d->sigint_w.data = d->sighup_w.data = d->sigusr1_w.data = d;
	*exit_code = DAEMON_EX_OK;
	return d;
}

int
daemon_run(struct daemon *d)
{
	struct follow	*f;
	int		 n;

	for (f = d->follows; f != NULL; f = f->next)
		daemon_watch(d, f, 1);
	ev_timer_start(d->loop, &d->poll_w);
	ev_timer_start(d->loop, &d->prune_w);
	ev_signal_start(d->loop, &d->sigterm_w);
	ev_signal_start(d->loop, &d->sigint_w);
	ev_signal_start(d->loop, &d->sighup_w);
	ev_signal_start(d->loop, &d->sigusr1_w);
	signal(SIGPIPE, SIG_IGN);
	daemon_read_all(d);
	daemon_notify("READY=1\nSTATUS=running");
	for (f = d->follows, n = 0; f != NULL; f = f->next)
		n++;
	log_info("started: following %d source(s) into %s", n,
	    store_display(d->conf->database));
	if (!d->stopping)
		ev_run(d->loop, 0);
	daemon_log_counters(d);
	return d->exit_code;
}

void
daemon_free(struct daemon *d)
{
	struct follow	*f, *next;

	if (d == NULL)
		return;
	for (f = d->follows; f != NULL; f = next) {
		next = f->next;
		daemon_watch(d, f, 0);
		free(f);
	}
	live_free(d->live);
	ingest_pipe_free(d->pipe);
	ingest_free(d->ing);		/* rolls back, closes the sources */
	store_close(d->store);
	classify_free(d->cl);
	tz_free(d->ctx.tz);
	tz_free(d->stz);
	free(d);
}
