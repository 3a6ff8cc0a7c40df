/*
 * store.c -- the store's front: opening through a backend, errors, the
 * writer lock, transactions, sources and the reader's entry points.  The
 * database work is the backend's (store_sqlite*.c), what is counted is
 * the writer's (store_write.c).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "store.h"
#include "store_backend.h"
#include "tz.h"
#include "util.h"

int
store_fail(struct store *st, enum store_err why, const char *fmt, ...)
{
	va_list	 ap;

	st->err = why == STORE_OK ? STORE_EOTHER : why;
	va_start(ap, fmt);
	vsnprintf(st->errmsg, sizeof(st->errmsg), fmt, ap);
	va_end(ap);
	return -1;
}

enum store_err
store_error(const struct store *st)
{
	return st->err;
}

const char *
store_errmsg(const struct store *st)
{
	return st->errmsg;
}

void
store_day_text(int32_t key, char *buf)
{
	tz_day_text((int64_t)key - STORE_DAY0, buf);
}

/*
 * The backend of a database name: a PostgreSQL URI or conninfo names a
 * server (NULL when built without libpq), anything else an SQLite file.
 */
static const struct store_backend *
store_backend_of(const char *path)
{
	if (!store_is_pg(path))
		return &store_backend_sqlite;
#ifdef HAVE_LIBPQ
	return &store_backend_pg;
#else
	return NULL;
#endif
}

struct store *
store_open(const char *path, enum store_mode mode, struct tz *tz,
    enum store_err *why, char **cause)
{
	struct store	*st;

	if (store_backend_of(path) == NULL) {
		*why = STORE_EOTHER;
		*cause = xasprintf("%.64s: this bouncewatch has no PostgreSQL "
		    "backend; give the path of an SQLite database", path);
		return NULL;
	}
	st = xcalloc(1, sizeof(*st));
	st->be = store_backend_of(path);
	st->tz = tz;
	st->readonly = mode == STORE_RO;
	st->linestat_source = -1;
	st->queue_lifetime = STORE_QUEUE_LIFETIME;
	st->wal_limit = STORE_WAL_LIMIT;
	*why = STORE_OK;
	if (st->be->open(st, path, mode) == -1 ||
	    (mode == STORE_RW && store_write_init(st) == -1)) {
		*why = st->err == STORE_OK ? STORE_EOTHER : st->err;
		*cause = xstrdup(st->errmsg);
		store_close(st);
		return NULL;
	}
	/* housekeeping: a failure here (a busy database) costs nothing now */
	if (mode == STORE_RW && store_prune_sources(st) == -1) {
		log_warnx("%s: old sources not pruned: %s", path, st->errmsg);
		st->err = STORE_OK;
	}
	return st;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	if (st->in_tx)
		store_rollback(st);
	store_write_free(st);
	if (st->bd != NULL)
		st->be->close(st);
	free(st);
}

int
store_schema_version(struct store *st)
{
	return st->be->version(st);
}

void
store_set_tz(struct store *st, struct tz *tz)
{
	st->tz = tz;
}

void
store_set_synchronous(struct store *st, int full)
{
	st->be->set_synchronous(st, full);
}

void
store_set_busy_timeout(struct store *st, int ms)
{
	st->be->set_busy_timeout(st, ms);
}

int64_t
store_wal_size(struct store *st)
{
	return st->be->wal_size(st);
}

void
store_set_queue_lifetime(struct store *st, int64_t seconds)
{
	st->queue_lifetime = seconds;
}

void
store_set_wal_limit(struct store *st, int64_t bytes)
{
	st->wal_limit = bytes;
}

/*
 * A reader that keeps a read transaction open (a long report, a forgotten
 * sqlite3 shell) pins the WAL: no checkpoint can pass its snapshot and
 * the file grows with every commit.  Over the limit, checkpoint what we
 * can and say so once; say again when it is over.
 */
int
store_wal_check(struct store *st)
{
	int64_t	 bytes;
	int	 held;

	st->wal_checked = (int64_t)time(NULL);
	if (st->be->wal_size(st) <= st->wal_limit) {
		if (st->wal_warned)
			log_info("write-ahead log back under %lld MB",
			    (long long)(st->wal_limit >> 20));
		st->wal_warned = 0;
		return 0;
	}
	if (st->be->checkpoint(st, &bytes, &held) == -1)
		return -1;
	if (!held)
		return 0;
	if (!st->wal_warned)
		log_warnx("write-ahead log at %lld MB and growing: a reader holds a "
		    "read transaction open (a long report, an sqlite3 shell left in "
		    "a transaction), so nothing can be checkpointed; every commit "
		    "adds to it until the reader ends", (long long)(bytes >> 20));
	st->wal_warned = 1;
	return 1;
}

int
store_sqlite_exec(struct store *st, const char *sql, int64_t *out)
{
	if (st->be->exec == NULL)
		return store_fail(st, STORE_EOTHER, "%s: no SQLite connection",
		    st->be->backend);
	return st->be->exec(st, sql, out);
}

/*
 * Run as root (an operator's "bouncewatch import"), give a file just
 * created to the owner of "ref", the database or its directory, as SQLite
 * does with the -wal and -shm files: else the daemon, which runs as that
 * owner, could not open it afterwards.
 */
void
store_give_away(int fd, const char *path, const char *ref)
{
	struct stat	 sb;
	char		 dir[4096], *slash;

	if (geteuid() != 0)
		return;
	if (ref == NULL || stat(ref, &sb) == -1) {
		snprintf(dir, sizeof(dir), "%s", path);
		if ((slash = strrchr(dir, '/')) == NULL)
			snprintf(dir, sizeof(dir), ".");
		else if (slash == dir)
			dir[1] = '\0';
		else
			*slash = '\0';
		if (stat(dir, &sb) == -1)
			return;
	}
	if (sb.st_uid != 0 && fchown(fd, sb.st_uid, sb.st_gid) == -1)
		log_warn("%s: chown", path);
}

/*
 * The lock file of a database: DATABASE.lock beside the file itself, with
 * symbolic links and "." or ".." resolved, so that every path to the same
 * database names the same lock.  A database not yet created: its
 * directory resolved, its name as given.
 */
static void
store_lock_path(const char *db, char *out, size_t len)
{
	char		 dir[4096], *rp;
	const char	*base;

	if ((rp = realpath(db, NULL)) != NULL) {
		snprintf(out, len, "%s.lock", rp);
		free(rp);
		return;
	}
	snprintf(dir, sizeof(dir), "%s", db);
	if ((base = strrchr(db, '/')) == NULL) {
		snprintf(dir, sizeof(dir), ".");
		base = db;
	} else {
		dir[base - db == 0 ? 1 : base - db] = '\0';
		base++;
	}
	if (*base == '\0' || (rp = realpath(dir, NULL)) == NULL) {
		snprintf(out, len, "%s.lock", db);
		return;
	}
	snprintf(out, len, "%s%s%s.lock", rp, strcmp(rp, "/") == 0 ? "" : "/", base);
	free(rp);
}

int
store_is_pg(const char *db)
{
	size_t	 n;

	if (strncmp(db, "postgresql://", 13) == 0 || strncmp(db, "postgres://", 11) == 0)
		return 1;
	/* "host=... dbname=...": a keyword, then = */
	n = strspn(db, "abcdefghijklmnopqrstuvwxyz_");
	return n > 0 && db[n + strspn(db + n, " ")] == '=';
}

/*
 * The database's name for messages: a password in a URI's user part or a
 * "password=" setting is replaced by "***".  A static buffer.
 */
const char *
store_display(const char *db)
{
	static char	 buf[1024];
	const char	*auth, *end, *at = NULL, *p;
	size_t		 n = 0;

	snprintf(buf, sizeof(buf), "%s", db);
	if (!store_is_pg(db))
		return buf;
	if ((auth = strstr(db, "://")) != NULL) {
		auth += 3;
		end = auth + strcspn(auth, "/?#");
		for (p = auth; p < end; p++)
			if (*p == '@')
				at = p;
		if (at != NULL && (p = memchr(auth, ':', (size_t)(at - auth))) != NULL)
			snprintf(buf, sizeof(buf), "%.*s***%s", (int)(p + 1 - db), db, at);
	}
	while ((p = strstr(buf + n, "password=")) != NULL) {
		char	*v = (char *)p + 9;
		size_t	 len = strcspn(v, "& ");

		memmove(v + 3, v + len, strlen(v + len) + 1);
		memcpy(v, "***", 3);
		n = (size_t)(v + 3 - buf);
	}
	return buf;
}

void
store_set_node(struct store *st, const char *node)
{
	if (st->be->set_node != NULL) {
		st->be->set_node(st, node);
		st->qset_stale = 1;	/* another node's pending deferrals */
	}
}

int
store_lock(const char *db, enum store_err *why, char **cause)
{
	char	 path[4096];
	int	 fd;

	*why = STORE_OK;
	/* PostgreSQL: one writer per node, by the backend's advisory lock */
	if (store_is_pg(db)) {
		if ((fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1) {
			*why = STORE_EIO;
			*cause = xasprintf("/dev/null: %s", strerror(errno));
		}
		return fd;
	}
	store_lock_path(db, path, sizeof(path));
	if ((fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    0640)) != -1)
		store_give_away(fd, path, db);
	else if (errno == EEXIST)
		fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1) {
		*why = STORE_EIO;
		if (errno == ENOENT)
			*cause = xasprintf("%s: the directory does not exist; "
			    "create it, owned by the user the daemon runs as", path);
		else
			*cause = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK) {
			*why = STORE_EBUSY;
			*cause = xasprintf("%s: held by another process", path);
		} else {
			*why = STORE_EIO;
			*cause = xasprintf("%s: lock: %s", path, strerror(errno));
		}
		close(fd);
		return -1;
	}
	return fd;
}

/* ---- transactions ---- */

int
store_begin(struct store *st)
{
	st->err = STORE_OK;
	if (st->be->begin(st) == -1)
		return -1;
	st->in_tx = 1;
	if (store_write_begin(st) == -1) {
		store_rollback(st);
		return -1;
	}
	return 0;
}

int
store_in_transaction(struct store *st)
{
	return st->in_tx;
}

int
store_commit(struct store *st)
{
	if (store_write_flush(st) == -1 || st->be->commit(st) == -1)
		return -1;
	st->in_tx = 0;
	if ((int64_t)time(NULL) - st->wal_checked >= STORE_WAL_EVERY)
		store_wal_check(st);
	return 0;
}

int
store_idle(struct store *st)
{
	if (!st->in_tx || st->be->idle == NULL)
		return 0;
	return st->be->idle(st);
}

void
store_rollback(struct store *st)
{
	st->be->rollback(st);
	st->in_tx = 0;
	store_write_reset(st);
}

/* ---- sources ---- */

struct store_source_list {
	const char		*state;
	struct store_source	*v;
	int			 n;
};

static int
store_source_list_one(const struct store_source *s, void *arg)
{
	struct store_source_list	*l = arg;

	if (l->state == NULL || strcmp(s->state, l->state) == 0) {
		l->v = xrealloc(l->v, (size_t)(l->n + 1) * sizeof(*l->v));
		l->v[l->n++] = *s;
	}
	return 0;
}

int
store_source_list(struct store *st, const char *state, struct store_source **out)
{
	struct store_source_list	 l = { state, NULL, 0 };

	if (st->be->source_each(st, store_source_list_one, &l) == -1) {
		free(l.v);
		return -1;
	}
	*out = l.v;
	return l.n;
}

/* The best match so far: the longest fingerprint agreeing with head. */
struct store_source_match {
	const unsigned char	*head;
	size_t			 len;
	struct store_source	*out;
	size_t			 best;
	int			 found;
};

static int
store_source_match_one(const struct store_source *s, void *arg)
{
	struct store_source_match	*m = arg;
	size_t				 cmp;

	if (s->fp_len == 0)
		return 0;
	cmp = s->fp_len < m->len ? s->fp_len : m->len;
	/* a short prefix is a weak fingerprint: demand 64 bytes */
	if (cmp < (s->fp_len < 64 ? s->fp_len : 64) || memcmp(s->fp, m->head, cmp) != 0)
		return 0;
	if (!m->found || cmp > m->best) {
		*m->out = *s;
		m->best = cmp;
		m->found = 1;
	}
	return 0;
}

int
store_source_match(struct store *st, const unsigned char *head, size_t len,
    struct store_source *out)
{
	struct store_source_match	 m = { head, len, out, 0, 0 };

	if (len == 0)
		return 0;
	if (st->be->source_each(st, store_source_match_one, &m) == -1)
		return -1;
	return m.found;
}

int
store_source_get(struct store *st, int64_t id, struct store_source *out)
{
	return st->be->source_get(st, id, out);
}

int
store_source_kinds(struct store *st, int64_t id, int64_t by_kind[LINE_KIND_MAX])
{
	return st->be->source_kinds(st, id, by_kind);
}

int
store_source_new(struct store *st, const char *path, const unsigned char *head,
    size_t len, uint64_t dev, uint64_t ino, struct store_source *out)
{
	int64_t	 id;

	if (len > STORE_FP_MAX)
		len = STORE_FP_MAX;
	memset(out, 0, sizeof(*out));
	snprintf(out->path, sizeof(out->path), "%s", path);
	memcpy(out->fp, head, len);
	out->fp_len = len;
	out->dev = dev;
	out->ino = ino;
	snprintf(out->state, sizeof(out->state), "active");
	if ((id = st->be->source_add(st, out, (int64_t)time(NULL))) == -1)
		return -1;
	out->id = id;
	return 0;
}

int
store_source_save(struct store *st, const struct store_source *s)
{
	return st->be->source_save(st, s, (int64_t)time(NULL));
}

int
store_gap(struct store *st, int64_t source_id, uint64_t from, uint64_t to,
    const char *reason)
{
	if (st->be->gap_add(st, (int64_t)time(NULL), source_id, from, to, reason) == -1)
		return -1;
	if (st->watch.gap != NULL)
		st->watch.gap(st->watch.arg);
	return 0;
}

/* ---- maintenance ---- */

int64_t
store_prune(struct store *st, const char *before)
{
	int64_t	 n, t = 0;
	int	 y, m, d;

	if (sscanf(before, "%d-%d-%d", &y, &m, &d) == 3)
		t = tz_local_to_utc(st->tz,
		    tz_days_from_civil(y, (unsigned)m, (unsigned)d) * 86400);
	if (store_begin(st) == -1)
		return -1;
	/* a message deferred for longer than the queue lifetime cannot expire */
	if ((n = st->be->prune(st, before, t)) == -1 ||
	    st->be->pending_expire(st, (int64_t)time(NULL) - st->queue_lifetime) == -1 ||
	    store_commit(st) == -1) {
		store_rollback(st);
		return -1;
	}
	if (store_prune_sources(st) == -1)
		return -1;
	/*
	 * Interned texts (diagnostic templates, domains, relays) stay: they
	 * are few, and a running writer may hold their ids in its caches.
	 */
	store_write_forget(st);
	return n;
}

int64_t
store_prune_sources(struct store *st)
{
	int64_t	 now = (int64_t)time(NULL), n;

	if (store_begin(st) == -1)
		return -1;
	if ((n = st->be->sources_prune(st, now - STORE_GONE_DAYS * 86400,
	    now - STORE_DONE_DAYS * 86400)) == -1 || store_commit(st) == -1) {
		store_rollback(st);
		return -1;
	}
	if (n > 0)
		log_info("forgot %lld sources of log files long gone", (long long)n);
	return n;
}

/* ---- the reader ---- */

int
store_read_begin(struct store *st)
{
	return st->be->read_begin(st);
}

void
store_read_end(struct store *st)
{
	st->be->read_end(st);
}

int64_t
store_domain_find(struct store *st, const char *name)
{
	return st->be->name_find(st, STORE_DOMAIN, name);
}

int64_t
store_host_find(struct store *st, const char *name)
{
	return st->be->name_find(st, STORE_HOST, name);
}

int
store_daily_range(struct store *st, const struct store_range *r,
    store_daily_cb cb, void *arg)
{
	return st->be->daily_range(st, r, cb, arg);
}

int
store_failure_range(struct store *st, const struct store_range *r,
    store_failure_cb cb, void *arg)
{
	return st->be->failure_range(st, r, cb, arg);
}

char *
store_name(struct store *st, enum store_name which, int64_t id)
{
	return st->be->name(st, which, id);
}

int
store_names(struct store *st, enum store_name which, const int64_t *ids,
    size_t n, store_names_cb cb, void *arg)
{
	char	*name;
	size_t	 i;
	int	 rc;

	if (st->be->names != NULL)
		return st->be->names(st, which, ids, n, cb, arg);
	for (i = 0; i < n; i++) {
		if ((name = st->be->name(st, which, ids[i])) == NULL)
			return -1;
		rc = cb(i, name, arg);
		free(name);
		if (rc == -1)
			return -1;
	}
	return 0;
}

int
store_failure_text(struct store *st, int64_t id, char **text, char **domain)
{
	return st->be->failure_text(st, id, text, domain);
}

int
store_suppression_list(struct store *st, int64_t since, store_suppression_cb cb,
    void *arg)
{
	if (st->be->suppression_list == NULL)
		return store_fail(st, STORE_EOTHER, "the %s backend keeps no "
		    "suppression list yet", st->be->backend);
	return st->be->suppression_list(st, since, cb, arg);
}

char *
store_range_hosts(const struct store_range *r)
{
	char	*list;
	size_t	 i, n = 0;

	if (r->hosts == NULL)
		return NULL;
	list = xcalloc(r->nhosts + 1, 24);
	list[n++] = ',';
	for (i = 0; i < r->nhosts; i++)
		n += (size_t)snprintf(list + n, 24, "%lld,", (long long)r->hosts[i]);
	return list;
}

int
store_domain_rows(struct store *st, const struct store_range *r,
    store_domrow_cb cb, void *arg)
{
	return st->be->domain_rows(st, r, cb, arg);
}

int
store_text_domains(struct store *st, const struct store_range *r,
    const char *texts, store_textdom_cb cb, void *arg)
{
	return st->be->text_domains(st, r, texts, cb, arg);
}

int
store_summaries(struct store *st)
{
	return st->be->summary_get != NULL && st->be->domain_counters != NULL;
}

int
store_domain_counters(struct store *st, const struct store_range *r,
    store_daily_cb cb, void *arg)
{
	if (st->be->domain_counters == NULL)
		return store_fail(st, STORE_EOTHER, "the %s backend keeps no "
		    "day summaries", st->be->backend);
	return st->be->domain_counters(st, r, cb, arg);
}

int
store_summary_get(struct store *st, const char *day, unsigned char **data,
    size_t *len)
{
	*data = NULL;
	*len = 0;
	if (st->be->summary_get == NULL)
		return 0;
	return st->be->summary_get(st, day, data, len);
}

int
store_summary_put(struct store *st, const char *day, const void *data, size_t len)
{
	if (st->be->summary_put == NULL)
		return 0;
	return st->be->summary_put(st, day, data, len);
}

int
store_summary_days(struct store *st, store_day_cb cb, void *arg)
{
	if (st->be->summary_days == NULL)
		return 0;
	return st->be->summary_days(st, cb, arg);
}


int
store_recipient_range(struct store *st, const struct store_range *r,
    store_recipients_cb cb, void *arg)
{
	/* a backend without it reports no recipient counts (0) */
	if (st->be->recipient_range == NULL)
		return 0;
	return st->be->recipient_range(st, r, cb, arg);
}
