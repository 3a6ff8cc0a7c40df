/*
 * store.c -- the SQLite store.  See store.h and sql/schema.sql.
 *
 * Per line, the work is in memory: interned ids come from small bounded
 * caches, counters are summed in a hash table, and only failures become
 * rows.  At commit the counters are upserted, then COMMIT.  Every
 * statement is prepared once.  After a rollback every cache is dropped:
 * ids handed out inside the failed transaction no longer exist.
 *
 * Memory stays bounded whatever the log: the caches are fixed-size, the
 * counter table is flushed at each commit, and the recipients still
 * deferred (for attributing "expired") live in the database, in the same
 * transactions, with only a fixed-size set of their queue ids in memory.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>

#include "log.h"
#include "schema.h"
#include "migrations.h"
#include "store.h"
#include "tz.h"
#include "util.h"

/* ---- prepared statements ---- */

enum stmt {
	S_BEGIN,
	S_COMMIT,
	S_ROLLBACK,
	S_DOMAIN_GET, S_DOMAIN_ADD,
	S_RELAY_GET, S_RELAY_ADD,
	S_HOST_GET, S_HOST_ADD,
	S_RULE_GET, S_RULE_ADD,
	S_REPLY_GET, S_REPLY_ADD,
	S_DIAG_GET, S_DIAG_ADD,
	S_FAILURE_ADD,
	S_DAILY_ADD,
	S_DAYSPAN_ADD,
	S_UNRECOGNISED_ADD,
	S_LINESTAT_ADD,
	S_SOURCE_ALL,
	S_SOURCE_GET,
	S_SOURCE_ADD,
	S_SOURCE_SAVE,
	S_GAP_ADD,
	S_PENDING_PUT,
	S_PENDING_DEL,
	S_PENDING_GET,
	S_PENDING_DELQ,
	S_EXPIRE_COPY,
	S_DIAG_UNHASHED,
	S_DIAG_REHASH,
	S_PENDING_QIDS,
	S_PENDING_PRUNE,
	S_MAX
};

static const char *const store_sql[S_MAX] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_DOMAIN_GET] = "SELECT id FROM domain WHERE name = ?1",
	[S_DOMAIN_ADD] = "INSERT INTO domain (name) VALUES (?1)",
	[S_RELAY_GET] = "SELECT id FROM relay WHERE name = ?1",
	[S_RELAY_ADD] = "INSERT INTO relay (name) VALUES (?1)",
	[S_HOST_GET] = "SELECT id FROM host WHERE name = ?1",
	[S_HOST_ADD] = "INSERT INTO host (name) VALUES (?1)",
	[S_RULE_GET] = "SELECT id FROM rule WHERE name = ?1",
	[S_RULE_ADD] = "INSERT INTO rule (name) VALUES (?1)",
	[S_REPLY_GET] = "SELECT id FROM reply WHERE code = ?1 AND dsn = ?2 AND stage = ?3",
	[S_REPLY_ADD] = "INSERT INTO reply (code, dsn, stage) VALUES (?1, ?2, ?3)",
	[S_DIAG_GET] = "SELECT id FROM diagnostic WHERE hash = ?2 AND template = ?1",
	[S_DIAG_ADD] = "INSERT INTO diagnostic (template, normalized, hash) VALUES (?1, ?2, ?3)",
	[S_FAILURE_ADD] =
	    "INSERT INTO failure (time, source_id, offset, host_id, queue_id, local,"
	    " domain_id, relay_id, status_id, class_id, reason_id, reply_id,"
	    " diagnostic_id, rule_id, arg1, arg2, arg3)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,"
	    " ?17)",
	[S_DAILY_ADD] =
	    "INSERT INTO daily (day, domain_id, class_id, reason_id, n)"
	    " VALUES (?1, ?2, ?3, ?4, ?5)"
	    " ON CONFLICT (day, domain_id, class_id, reason_id) DO UPDATE SET n = n + excluded.n",
	[S_DAYSPAN_ADD] =
	    "INSERT INTO day_span (day, first_id, last_id) VALUES (?1, ?2, ?3)"
	    " ON CONFLICT (day) DO UPDATE SET first_id = min(first_id, excluded.first_id),"
	    " last_id = max(last_id, excluded.last_id)",
	[S_UNRECOGNISED_ADD] =
	    "INSERT INTO unrecognised (normalized, n, first_seen, last_seen, example, example_domain)"
	    " VALUES (?1, 1, ?2, ?2, ?3, ?4)"
	    " ON CONFLICT (normalized) DO UPDATE SET n = n + 1,"
	    " first_seen = min(first_seen, excluded.first_seen),"
	    " last_seen = max(last_seen, excluded.last_seen)",
	[S_LINESTAT_ADD] =
	    "INSERT INTO line_stats (source_id, kind, n) VALUES (?1, ?2, ?3)"
	    " ON CONFLICT (source_id, kind) DO UPDATE SET n = n + excluded.n",
	[S_SOURCE_ALL] =
	    "SELECT id, path, fp, fp_len, dev, ino, offset, tail, lines, state, last_commit"
	    " FROM source ORDER BY id DESC",
	[S_SOURCE_GET] =
	    "SELECT id, path, fp, fp_len, dev, ino, offset, tail, lines, state, last_commit"
	    " FROM source WHERE id = ?1",
	[S_SOURCE_ADD] =
	    "INSERT INTO source (path, fp, fp_len, dev, ino, offset, tail, lines, state,"
	    " first_seen, last_commit) VALUES (?1, ?2, ?3, ?4, ?5, 0, x'', 0, 'active', ?6, ?6)",
	[S_SOURCE_SAVE] =
	    "UPDATE source SET path = ?2, fp = ?3, fp_len = ?4, dev = ?5, ino = ?6,"
	    " offset = ?7, tail = ?8, lines = ?9, state = ?10, last_commit = ?11 WHERE id = ?1",
	[S_GAP_ADD] =
	    "INSERT INTO gap (time, source_id, from_offset, to_offset, reason)"
	    " VALUES (?1, ?2, ?3, ?4, ?5)",
	[S_PENDING_PUT] =
	    "INSERT OR REPLACE INTO pending (queue_id, rcpt, failure_id, time)"
	    " VALUES (?1, ?2, ?3, ?4)",
	[S_PENDING_DEL] = "DELETE FROM pending WHERE queue_id = ?1 AND rcpt = ?2",
	[S_PENDING_GET] = "SELECT failure_id FROM pending WHERE queue_id = ?1",
	[S_PENDING_DELQ] = "DELETE FROM pending WHERE queue_id = ?1",
	[S_EXPIRE_COPY] =
	    "INSERT INTO failure (time, source_id, offset, host_id, queue_id, local,"
	    " domain_id, relay_id, status_id, class_id, reason_id, reply_id,"
	    " diagnostic_id, rule_id, arg1, arg2, arg3)"
	    " SELECT ?1, ?2, ?3, ?4, queue_id, local, domain_id, relay_id, 5, ?5, ?6,"
	    " reply_id, diagnostic_id, ?7, arg1, arg2, arg3"
	    " FROM failure WHERE id = ?8 RETURNING id, domain_id",
	[S_DIAG_UNHASHED] = "SELECT id, template FROM diagnostic WHERE hash = 0",
	[S_DIAG_REHASH] = "UPDATE diagnostic SET hash = ?2 WHERE id = ?1",
	[S_PENDING_QIDS] = "SELECT DISTINCT queue_id FROM pending",
	[S_PENDING_PRUNE] = "DELETE FROM pending WHERE time < ?1",
};

/* ---- bounded caches ---- */

enum intern {
	I_DOMAIN,
	I_RELAY,
	I_HOST,
	I_RULE,
	I_REPLY,
	I_DIAG,
	I_MAX
};

static const struct {
	enum stmt	 get, add;
	unsigned	 slots;		/* power of two */
} store_interns[I_MAX] = {
	[I_DOMAIN] = { S_DOMAIN_GET, S_DOMAIN_ADD, 8192 },
	[I_RELAY] = { S_RELAY_GET, S_RELAY_ADD, 4096 },
	[I_HOST] = { S_HOST_GET, S_HOST_ADD, 64 },
	[I_RULE] = { S_RULE_GET, S_RULE_ADD, 512 },
	[I_REPLY] = { S_REPLY_GET, S_REPLY_ADD, 1024 },
	[I_DIAG] = { S_DIAG_GET, S_DIAG_ADD, 8192 },
};

struct islot {
	uint64_t	 hash;
	int64_t		 id;
	char		*key;
	size_t		 len;
};

/* Counters of one batch: (day, domain, class, reason) -> n. */
struct counter {
	int32_t		 day;		/* local days since epoch; 0 = empty */
	int32_t		 cls;
	int32_t		 reason;
	int64_t		 domain_id;
	int64_t		 n;
};
#define COUNTERS	4096		/* flushed when half full */

struct dayspan {
	int32_t		 day;
	int64_t		 first, last;
};
#define DAYSPANS	64

/*
 * Queue ids that have rows in "pending" (recipients whose last attempt
 * was deferred), as 64-bit hashes: a delivered line touches SQL only when
 * its queue id may be there.  A false positive costs one DELETE that
 * finds nothing; when the set is full, every line asks SQL.
 */
#define QSET_SLOTS	65536

struct store {
	sqlite3		*db;
	sqlite3_stmt	*st[S_MAX];
	struct tz	*tz;
	int		 readonly;
	int		 in_tx;
	enum store_err	 err;
	char		 errmsg[512];
	struct islot	*cache[I_MAX];
	struct counter	 counters[COUNTERS];
	size_t		 ncounters;
	struct dayspan	 spans[DAYSPANS];
	size_t		 nspans;
	int64_t		 linestat[LINE_KIND_MAX];
	int64_t		 linestat_source;
	uint64_t	*qset;
	size_t		 qset_n;
	int		 qset_stale;	/* reload from the table at next begin */
	int		 qset_full;	/* too many: ask SQL every time */
	char		*tmpl;		/* scratch for templates */
	size_t		 tmpl_cap;
	char		*norm;
	size_t		 norm_cap;
};

static uint64_t
store_hash(const char *s, size_t n)
{
	uint64_t	 h = 1469598103934665603ULL;	/* FNV-1a */
	size_t		 i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static void
store_set_err(struct store *st, int rc, const char *what)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		st->err = STORE_EBUSY;
		break;
	case SQLITE_FULL:
		st->err = STORE_EFULL;
		break;
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
	case SQLITE_READONLY:
		st->err = STORE_EIO;
		break;
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		st->err = STORE_ENOTDB;
		break;
	default:
		st->err = STORE_EOTHER;
		break;
	}
	snprintf(st->errmsg, sizeof(st->errmsg), "%s: %s", what,
	    st->db != NULL ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
}

/* Step a statement that returns no row, reset it; the error recorded. */
static int
store_step(struct store *st, sqlite3_stmt *q, const char *what)
{
	int	 rc = sqlite3_step(q);

	sqlite3_reset(q);
	if (rc != SQLITE_DONE) {
		store_set_err(st, rc, what);
		return -1;
	}
	return 0;
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

struct sqlite3 *
store_db(struct store *st)
{
	return st->db;
}

static void
store_cache_clear(struct store *st)
{
	int	 i;
	unsigned j;

	for (i = 0; i < I_MAX; i++) {
		if (st->cache[i] == NULL)
			continue;
		for (j = 0; j < store_interns[i].slots; j++) {
			free(st->cache[i][j].key);
			st->cache[i][j].key = NULL;
			st->cache[i][j].hash = 0;
		}
	}
}

void
store_close(struct store *st)
{
	int	 i;

	if (st == NULL)
		return;
	if (st->in_tx)
		store_rollback(st);
	for (i = 0; i < S_MAX; i++)
		sqlite3_finalize(st->st[i]);
	store_cache_clear(st);
	for (i = 0; i < I_MAX; i++)
		free(st->cache[i]);
	free(st->qset);
	free(st->tmpl);
	free(st->norm);
	if (st->db != NULL) {
		if (!st->readonly) {
			/* a quiet moment: fold the WAL back, keep the files */
			sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_PASSIVE,
			    NULL, NULL);
		}
		sqlite3_close(st->db);
	}
	free(st);
}

static int
store_exec(struct store *st, const char *sql)
{
	char	*msg = NULL;
	int	 rc;

	if ((rc = sqlite3_exec(st->db, sql, NULL, NULL, &msg)) != SQLITE_OK) {
		store_set_err(st, rc, "sqlite");
		if (msg != NULL) {
			snprintf(st->errmsg, sizeof(st->errmsg), "%s", msg);
			sqlite3_free(msg);
		}
		return -1;
	}
	return 0;
}

static int
store_pragma_int(struct store *st, const char *sql, int *out)
{
	sqlite3_stmt	*s;
	int		 rc;

	if ((rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL)) != SQLITE_OK) {
		store_set_err(st, rc, "open");
		return -1;
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int(s, 0);
	else if (rc != SQLITE_DONE) {
		store_set_err(st, rc, "open");
		sqlite3_finalize(s);
		return -1;
	}
	sqlite3_finalize(s);
	return 0;
}

void
store_set_tz(struct store *st, struct tz *tz)
{
	st->tz = tz;
}

/*
 * Run as root (an operator's "bouncewatch import"), give a file just
 * created to the owner of "ref", the database or its directory, as SQLite
 * does with the -wal and -shm files: else the daemon, which runs as that
 * owner, could not open it afterwards.
 */
static void
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

int
store_lock(const char *db)
{
	char	 path[4096];
	int	 fd;

	snprintf(path, sizeof(path), "%s.lock", db);
	if ((fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    0640)) != -1)
		store_give_away(fd, path, db);
	else if (errno == EEXIST)
		fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1) {
		if (errno == ENOENT)
			log_warnx("%s: the directory does not exist; create it, owned "
			    "by the user the daemon runs as", path);
		else
			log_warn("%s", path);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		int	 busy = errno == EWOULDBLOCK;

		if (!busy)
			log_warn("%s: lock", path);
		close(fd);
		return busy ? -2 : -1;
	}
	return fd;
}

void
store_set_synchronous(struct store *st, int full)
{
	store_exec(st, full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
}

void
store_set_busy_timeout(struct store *st, int ms)
{
	sqlite3_busy_timeout(st->db, ms);
}

int
store_schema_version(struct store *st)
{
	int	 v = -1;

	store_pragma_int(st, "PRAGMA user_version", &v);
	return v;
}

/* Migrations: sql/migrate-N.sql, compiled in; entry N upgrades N-1 to N. */
static const char *const store_migrations[STORE_SCHEMA_VERSION + 1] = {
	[2] = migrate_2_sql,
	[3] = migrate_3_sql,
};

static int
store_migrate(struct store *st, int from)
{
	int	 v;

	for (v = from + 1; v <= STORE_SCHEMA_VERSION; v++) {
		if (store_migrations[v] == NULL) {
			snprintf(st->errmsg, sizeof(st->errmsg),
			    "no migration from schema version %d", v - 1);
			st->err = STORE_EOTHER;
			return -1;
		}
		if (store_exec(st, "BEGIN IMMEDIATE") == -1)
			return -1;
		if (store_exec(st, store_migrations[v]) == -1 ||
		    (v == STORE_SCHEMA_VERSION && store_exec(st, views_sql) == -1)) {
			store_exec(st, "ROLLBACK");
			return -1;
		}
		if (store_exec(st, "COMMIT") == -1) {
			store_exec(st, "ROLLBACK");
			return -1;
		}
		log_info("database migrated to schema version %d", v);
	}
	return 0;
}

/* Is there anything in the file (tables)? */
static int
store_is_empty(struct store *st, int *empty)
{
	int	 n = 0;

	if (store_pragma_int(st, "SELECT count(*) FROM sqlite_master", &n) == -1)
		return -1;
	*empty = n == 0;
	return 0;
}

static int	store_rehash(struct store *);

struct store *
store_open(const char *path, enum store_mode mode, struct tz *tz,
    enum store_err *why, char *err, size_t errlen)
{
	struct store	*st;
	int		 flags, rc, version, empty, i;
	struct stat	 sb;

	st = xcalloc(1, sizeof(*st));
	st->tz = tz;
	st->readonly = mode == STORE_RO;
	*why = STORE_OK;

	if (mode == STORE_RO) {
		if (stat(path, &sb) == -1) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			*why = STORE_EIO;
			free(st);
			return NULL;
		}
		flags = SQLITE_OPEN_READONLY;
	} else {
		/* create the file ourselves: 0640, group-readable for the report */
		if (stat(path, &sb) == -1 && errno == ENOENT) {
			int	 fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
			    O_NOFOLLOW, 0640);

			if (fd == -1 && errno != EEXIST) {
				snprintf(err, errlen, "%s: %s", path, strerror(errno));
				*why = STORE_EIO;
				free(st);
				return NULL;
			}
			if (fd != -1) {
				store_give_away(fd, path, NULL);
				close(fd);
			}
		}
		flags = SQLITE_OPEN_READWRITE;
	}
	flags |= SQLITE_OPEN_NOMUTEX;
#ifdef SQLITE_OPEN_EXRESCODE
	flags |= SQLITE_OPEN_EXRESCODE;
#endif
	if ((rc = sqlite3_open_v2(path, &st->db, flags, NULL)) != SQLITE_OK) {
		store_set_err(st, rc, path);
		goto fail;
	}
	sqlite3_busy_timeout(st->db, 5000);
	sqlite3_extended_result_codes(st->db, 1);

	/* Validate before writing anything: a foreign file stays untouched. */
	if (store_is_empty(st, &empty) == -1 ||
	    store_pragma_int(st, "PRAGMA user_version", &version) == -1) {
		if (st->err == STORE_ENOTDB)
			snprintf(st->errmsg, sizeof(st->errmsg),
			    "%s: not a bouncewatch database (%s)", path,
			    sqlite3_errmsg(st->db));
		goto fail;
	}
	if (!empty) {
		int	 ok = 0;

		if (store_pragma_int(st, "SELECT count(*) FROM sqlite_master "
		    "WHERE type = 'table' AND name IN ('source', 'failure', 'daily')",
		    &ok) == -1)
			goto fail;
		if (ok != 3 || version == 0) {
			snprintf(st->errmsg, sizeof(st->errmsg),
			    "%s: an SQLite database, but not bouncewatch's", path);
			st->err = STORE_ENOTDB;
			goto fail;
		}
	}
	if (version > STORE_SCHEMA_VERSION) {
		snprintf(st->errmsg, sizeof(st->errmsg),
		    "%s: schema version %d is newer than this bouncewatch (%d): "
		    "upgrade bouncewatch", path, version, STORE_SCHEMA_VERSION);
		st->err = STORE_ENEWER;
		goto fail;
	}
	if (mode == STORE_RO) {
		if (empty) {
			snprintf(st->errmsg, sizeof(st->errmsg),
			    "%s: empty database: nothing has been recorded yet", path);
			st->err = STORE_ENOTDB;
			goto fail;
		}
		if (version < STORE_SCHEMA_VERSION) {
			snprintf(st->errmsg, sizeof(st->errmsg),
			    "%s: schema version %d is older than %d; run bouncewatchd or "
			    "bouncewatch import once to upgrade it", path, version,
			    STORE_SCHEMA_VERSION);
			st->err = STORE_EOTHER;
			goto fail;
		}
		return st;
	}

	/* Writer: WAL, keep -wal/-shm so read-only readers always work. */
	{
		int	 persist = 1;

		sqlite3_file_control(st->db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
	}
	if (store_exec(st, "PRAGMA journal_mode = WAL") == -1 ||
	    store_exec(st, "PRAGMA synchronous = FULL") == -1 ||
	    store_exec(st, "PRAGMA journal_size_limit = 67108864") == -1)
		goto fail;
	if (empty) {
		if (store_exec(st, "BEGIN IMMEDIATE") == -1)
			goto fail;
		if (store_exec(st, schema_sql) == -1 || store_exec(st, views_sql) == -1) {
			store_exec(st, "ROLLBACK");
			goto fail;
		}
		if (store_exec(st, "COMMIT") == -1)
			goto fail;
	} else if (version < STORE_SCHEMA_VERSION && store_migrate(st, version) == -1)
		goto fail;

	for (i = 0; i < S_MAX; i++) {
		rc = sqlite3_prepare_v3(st->db, store_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &st->st[i], NULL);
		if (rc != SQLITE_OK) {
			store_set_err(st, rc, "prepare");
			goto fail;
		}
	}
	for (i = 0; i < I_MAX; i++)
		st->cache[i] = xcalloc(store_interns[i].slots, sizeof(struct islot));
	st->qset = xcalloc(QSET_SLOTS, sizeof(*st->qset));
	st->qset_stale = 1;
	if (version < 3 && !empty && store_rehash(st) == -1)
		goto fail;
	st->linestat_source = -1;
	return st;

fail:
	*why = st->err == STORE_OK ? STORE_EOTHER : st->err;
	snprintf(err, errlen, "%s", st->errmsg);
	store_close(st);
	return NULL;
}

/* Diagnostics migrated from schema 2 carry hash 0: compute theirs. */
static int
store_rehash(struct store *st)
{
	sqlite3_stmt	*q = st->st[S_DIAG_UNHASHED], *u = st->st[S_DIAG_REHASH];
	int		 rc;

	if (store_exec(st, "BEGIN IMMEDIATE") == -1)
		return -1;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char	*t = (const char *)sqlite3_column_text(q, 1);
		size_t		 n = (size_t)sqlite3_column_bytes(q, 1);

		sqlite3_bind_int64(u, 1, sqlite3_column_int64(q, 0));
		sqlite3_bind_int64(u, 2, (int64_t)((store_hash(t, n) | 1) & INT64_MAX) | 1);
		if (sqlite3_step(u) != SQLITE_DONE) {
			sqlite3_reset(u);
			rc = SQLITE_ERROR;
			break;
		}
		sqlite3_reset(u);
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE) {
		store_set_err(st, rc, "rehash");
		store_exec(st, "ROLLBACK");
		return -1;
	}
	return store_exec(st, "COMMIT");
}

/* ---- interning ---- */

static int64_t
store_intern(struct store *st, enum intern which, const char *s, size_t n,
    const char *extra)
{
	uint64_t	 h = store_hash(s, n) | 1;
	unsigned	 mask = store_interns[which].slots - 1;
	struct islot	*slot = &st->cache[which][h & mask];
	sqlite3_stmt	*q;
	int64_t		 id;
	int		 rc;

	if (slot->hash == h && slot->len == n && memcmp(slot->key, s, n) == 0)
		return slot->id;

	q = st->st[store_interns[which].get];
	sqlite3_bind_text(q, 1, s, (int)n, SQLITE_STATIC);
	if (which == I_DIAG)
		sqlite3_bind_int64(q, 2, (int64_t)(h & INT64_MAX) | 1);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		id = sqlite3_column_int64(q, 0);
		sqlite3_reset(q);
	} else {
		sqlite3_reset(q);
		if (rc != SQLITE_DONE) {
			store_set_err(st, rc, "lookup");
			return -1;
		}
		q = st->st[store_interns[which].add];
		sqlite3_bind_text(q, 1, s, (int)n, SQLITE_STATIC);
		if (extra != NULL)
			sqlite3_bind_text(q, 2, extra, -1, SQLITE_STATIC);
		if (which == I_DIAG)
			sqlite3_bind_int64(q, 3, (int64_t)(h & INT64_MAX) | 1);
		if (store_step(st, q, "insert") == -1)
			return -1;
		id = sqlite3_last_insert_rowid(st->db);
	}
	free(slot->key);
	slot->key = xmalloc(n + 1);
	memcpy(slot->key, s, n);
	slot->key[n] = '\0';
	slot->len = n;
	slot->hash = h;
	slot->id = id;
	return id;
}

/* ---- days ---- */

static int32_t
store_day_key(struct store *st, int64_t t)
{
	/* tz caches its offset per hour: cheap on the per-line path */
	return (int32_t)(tz_local_day(st->tz, t) + 1000000);
}

static void
store_day_text(int32_t key, char *buf)
{
	tz_day_text((int64_t)key - 1000000, buf);
}

/* ---- counters ---- */

static int
store_flush_counters(struct store *st)
{
	sqlite3_stmt	*q = st->st[S_DAILY_ADD];
	char		 day[16];
	size_t		 i;

	for (i = 0; i < COUNTERS; i++) {
		struct counter	*c = &st->counters[i];

		if (c->day == 0)
			continue;
		store_day_text(c->day, day);
		sqlite3_bind_text(q, 1, day, 10, SQLITE_TRANSIENT);
		sqlite3_bind_int64(q, 2, c->domain_id);
		sqlite3_bind_int(q, 3, c->cls);
		sqlite3_bind_int(q, 4, c->reason);
		sqlite3_bind_int64(q, 5, c->n);
		if (store_step(st, q, "daily counters") == -1)
			return -1;
		c->day = 0;
	}
	st->ncounters = 0;
	return 0;
}

static int
store_count(struct store *st, int32_t day, int64_t domain_id, int cls, int reason)
{
	uint64_t	 h = ((uint64_t)day * 31 + (uint64_t)domain_id) * 1000003ULL +
	    (uint64_t)cls * 131 + (uint64_t)reason;
	size_t		 i = (size_t)((h ^ (h >> 29)) & (COUNTERS - 1));

	for (;;) {
		struct counter	*c = &st->counters[i];

		if (c->day == 0) {
			if (st->ncounters >= COUNTERS / 2) {
				if (store_flush_counters(st) == -1)
					return -1;
				return store_count(st, day, domain_id, cls, reason);
			}
			c->day = day;
			c->domain_id = domain_id;
			c->cls = cls;
			c->reason = reason;
			c->n = 1;
			st->ncounters++;
			return 0;
		}
		if (c->day == day && c->domain_id == domain_id && c->cls == cls &&
		    c->reason == reason) {
			c->n++;
			return 0;
		}
		i = (i + 1) & (COUNTERS - 1);
	}
}

static int	store_flush_spans(struct store *);

/* Widen the rowid span of a day; flushed at commit, or when full. */
static int
store_span(struct store *st, int32_t day, int64_t id)
{
	size_t	 i;

	for (i = 0; i < st->nspans; i++)
		if (st->spans[i].day == day) {
			if (id < st->spans[i].first)
				st->spans[i].first = id;
			if (id > st->spans[i].last)
				st->spans[i].last = id;
			return 0;
		}
	if (st->nspans == DAYSPANS && store_flush_spans(st) == -1)
		return -1;
	st->spans[st->nspans].day = day;
	st->spans[st->nspans].first = st->spans[st->nspans].last = id;
	st->nspans++;
	return 0;
}

static int
store_flush_spans(struct store *st)
{
	sqlite3_stmt	*q = st->st[S_DAYSPAN_ADD];
	char		 day[16];
	size_t		 i;

	for (i = 0; i < st->nspans; i++) {
		store_day_text(st->spans[i].day, day);
		sqlite3_bind_text(q, 1, day, 10, SQLITE_TRANSIENT);
		sqlite3_bind_int64(q, 2, st->spans[i].first);
		sqlite3_bind_int64(q, 3, st->spans[i].last);
		if (store_step(st, q, "day spans") == -1)
			return -1;
	}
	st->nspans = 0;
	return 0;
}

static int
store_flush_linestats(struct store *st)
{
	sqlite3_stmt	*q = st->st[S_LINESTAT_ADD];
	int		 k;

	if (st->linestat_source < 0)
		return 0;
	for (k = 0; k < LINE_KIND_MAX; k++) {
		if (st->linestat[k] == 0)
			continue;
		sqlite3_bind_int64(q, 1, st->linestat_source);
		sqlite3_bind_text(q, 2, parse_kind_name((enum line_kind)k), -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 3, st->linestat[k]);
		if (store_step(st, q, "line stats") == -1)
			return -1;
		st->linestat[k] = 0;
	}
	return 0;
}

/* ---- normalisation and templates ---- */

static int
store_isalnum(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

enum word_kind {
	W_LITERAL,
	W_ADDR,
	W_IP,
	W_ID,
	W_NUM,
};

/*
 * What kind of word is [w, e)?  Variable words (addresses, IPs, ids,
 * numbers) get their core -- without surrounding punctuation -- in *a, *z.
 * SMTP reply and enhanced codes ("550-5.7.26", "4.2.0") are literal.
 */
static enum word_kind
store_word(const char *w, const char *e, const char **a, const char **z)
{
	int		 digits = 0, alpha = 0, at = 0, dots = 0, colons = 0, other = 0;
	const char	*p;

	for (p = w; p < e; p++) {
		unsigned char	 c = (unsigned char)*p;

		if (c >= '0' && c <= '9')
			digits++;
		else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
			alpha++;
		else if (c == '@')
			at++;
		else if (c == '.')
			dots++;
		else if (c == ':')
			colons++;
		else if (c != '-' && c != '_')
			other++;
	}
	if (digits == 0 && at == 0)
		return W_LITERAL;
	if (alpha == 0 && (w[0] >= '2' && w[0] <= '5') && e - w <= 12 &&
	    (e - w == 3 || (e - w >= 4 && (w[3] == '-' || w[1] == '.'))))
		return W_LITERAL;		/* 550, 550-5.7.26, 4.2.0 */
	*a = w;
	*z = e;
	while (*a < *z && !store_isalnum((unsigned char)**a))
		(*a)++;
	while (*z > *a && !store_isalnum((unsigned char)(*z)[-1]))
		(*z)--;
	if (*a == *z)
		return W_LITERAL;
	if (at > 0 && alpha > 0)
		return W_ADDR;
	if (digits > 0 && (dots == 3 || colons >= 2) && alpha <= 8)
		return W_IP;
	if (digits > 0 && alpha > 0)
		return W_ID;
	(void)other;
	return W_NUM;
}

/*
 * For grouping: drop the "host X[ip] said: " preamble, replace e-mail
 * addresses by <addr>, IP addresses by <ip>, words that mix letters and
 * digits (queue ids, message ids) by <id>, numbers by <n>, collapse
 * blanks.  SMTP codes are kept.  Template markers (\1r, \1h, \1N) read as
 * <addr>, <host> and <var>.
 */
static size_t
store_normalize(const char *s, size_t n, char *out, size_t outlen)
{
	static const char *const names[] = {
		[W_ADDR] = "<addr>", [W_IP] = "<ip>", [W_ID] = "<id>", [W_NUM] = "<n>",
	};
	const char	*p = s, *e = s + n, *q;
	size_t		 o = 0;

#define PUT(c) do { if (o + 1 < outlen) out[o++] = (c); } while (0)
#define PUTS(str) do { const char *_s = (str); while (*_s) PUT(*_s++); } while (0)
	if ((q = memmem(s, n, " said: ", 7)) != NULL)
		p = q + 7;
	else if ((q = memmem(s, n, "refused to talk to me: ", 23)) != NULL)
		p = q + 23;
	while (p < e) {
		const char	*w = p, *a, *z;
		enum word_kind	 k;

		if (*p == ' ' || *p == '\t') {
			if (o > 0 && out[o - 1] != ' ')
				PUT(' ');
			p++;
			continue;
		}
		while (p < e && *p != ' ' && *p != '\t')
			p++;
		if (memchr(w, '\1', (size_t)(p - w)) != NULL ||
		    (k = store_word(w, p, &a, &z)) == W_LITERAL) {
			for (; w < p; w++) {
				if (*w == '\1' && w + 1 < p) {
					const char	*nm;

					w++;
					nm = *w == 'r' ? "<addr>" : *w == 'h' ? "<host>" :
					    *w == 'd' ? "<domain>" : "<var>";
					/* "<\1r>" reads "<addr>", not "<<addr>>" */
					if (o > 0 && out[o - 1] == '<' && w + 1 < p &&
					    w[1] == '>') {
						o--;
						PUTS(nm);
						w++;
						continue;
					}
					PUTS(nm);
				} else
					PUT(*w);
			}
			continue;
		}
		if (k == W_ADDR && a > w && a[-1] == '<' && z < p && *z == '>') {
			a--;		/* "<user@host>" reads "<addr>", not "<<addr>>" */
			z++;
		}
		while (w < a)
			PUT(*w++);
		PUTS(names[k]);
		for (w = z; w < p; w++)
			PUT(*w);
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	if (outlen > 0)
		out[o] = '\0';
	return o;
#undef PUT
#undef PUTS
}

static void
store_reserve(char **buf, size_t *cap, size_t need)
{
	if (*cap >= need)
		return;
	*cap = need < 4096 ? 4096 : need * 2;
	*buf = xrealloc(*buf, *cap);
}

#define STORE_ARGS	3

struct store_args {
	struct span	 arg[STORE_ARGS];
};

/*
 * The stored template, lossless given the row: the diagnostic with the
 * recipient replaced by \1r, the relay "host[addr]" by \1h, the recipient
 * domain by \1d, and the first
 * three variable words (ids, IPs, numbers) by \1 1..3 with the words kept
 * in the row; control bytes become '?'.  v_failures puts it all back.  So
 * Gmail's per-message ids cost their own bytes, not a new text.
 */
static size_t
store_template(struct store *st, const struct delivery *d, const char *rcpt,
    size_t rlen, const char *hostaddr, size_t hlen, struct store_args *args)
{
	const char	*p = d->diagnostic.p, *e = p + d->diagnostic.n;
	const char	*dom = d->domain;
	size_t		 o = 0, dlen = strlen(d->domain);
	int		 nargs = 0;

	memset(args, 0, sizeof(*args));
	store_reserve(&st->tmpl, &st->tmpl_cap, d->diagnostic.n + 1);
	while (p < e) {
		const char	*w, *a, *z, *q;
		int		 marked = 0;

		if (*p == ' ') {
			st->tmpl[o++] = *p++;
			continue;
		}
		w = p;
		while (p < e && *p != ' ')
			p++;
		/* recipient and relay first, anywhere inside the word */
		for (q = w; q < p; q++)
			if ((rlen > 2 && (size_t)(p - q) >= rlen && memcmp(q, rcpt, rlen) == 0) ||
			    (hlen > 2 && (size_t)(p - q) >= hlen && memcmp(q, hostaddr, hlen) == 0) ||
			    (dlen > 3 && (size_t)(p - q) >= dlen && memcmp(q, dom, dlen) == 0)) {
				marked = 1;
				break;
			}
		if (!marked && nargs < STORE_ARGS &&
		    store_word(w, p, &a, &z) != W_LITERAL) {
			for (q = w; q < a; q++)
				st->tmpl[o++] = (unsigned char)*q < 0x20 ? '?' : *q;
			st->tmpl[o++] = '\1';
			st->tmpl[o++] = (char)('1' + nargs);
			args->arg[nargs].p = a;
			args->arg[nargs].n = (size_t)(z - a);
			nargs++;
			for (q = z; q < p; q++)
				st->tmpl[o++] = (unsigned char)*q < 0x20 ? '?' : *q;
			continue;
		}
		for (q = w; q < p; ) {
			if (rlen > 2 && (size_t)(p - q) >= rlen && memcmp(q, rcpt, rlen) == 0) {
				st->tmpl[o++] = '\1';
				st->tmpl[o++] = 'r';
				q += rlen;
			} else if (hlen > 2 && (size_t)(p - q) >= hlen &&
			    memcmp(q, hostaddr, hlen) == 0) {
				st->tmpl[o++] = '\1';
				st->tmpl[o++] = 'h';
				q += hlen;
			} else if (dlen > 3 && (size_t)(p - q) >= dlen &&
			    memcmp(q, dom, dlen) == 0) {
				st->tmpl[o++] = '\1';
				st->tmpl[o++] = 'd';
				q += dlen;
			} else {
				st->tmpl[o++] = (unsigned char)*q < 0x20 ? '?' : *q;
				q++;
			}
		}
	}
	st->tmpl[o] = '\0';
	return o;
}

/* ---- adding records ---- */

static int
store_bind_span(sqlite3_stmt *q, int i, struct span s)
{
	if (s.p == NULL)
		return sqlite3_bind_null(q, i);
	return sqlite3_bind_text(q, i, s.p, (int)s.n, SQLITE_STATIC);
}

static int64_t
store_intern_span(struct store *st, enum intern which, struct span s)
{
	if (s.p == NULL || s.n == 0)
		return 0;
	return store_intern(st, which, s.p, s.n, NULL);
}

/*
 * The reply of a failure -- code, dsn (or the reply's enhanced code) and
 * SMTP stage -- interned as one id: a few hundred combinations cover a
 * busy server, and each failure row carries one small integer.
 */
static int64_t
store_reply_id(struct store *st, const struct delivery *d)
{
	struct span	 dsn = d->dsn.p != NULL ? d->dsn : d->enhanced;
	char		 key[512];
	int		 n;
	uint64_t	 h;
	struct islot	*slot;
	sqlite3_stmt	*q;
	int64_t		 id;
	int		 rc, k;

	n = snprintf(key, sizeof(key), "%d\x1f%.*s\x1f%.*s", d->code,
	    (int)(dsn.n < 64 ? dsn.n : 64), dsn.p != NULL ? dsn.p : "",
	    (int)(d->stage.n < 128 ? d->stage.n : 128), d->stage.p != NULL ? d->stage.p : "");
	if (n < 0 || (size_t)n >= sizeof(key))
		n = (int)strlen(key);
	h = store_hash(key, (size_t)n) | 1;
	slot = &st->cache[I_REPLY][h & (store_interns[I_REPLY].slots - 1)];
	if (slot->hash == h && slot->len == (size_t)n && memcmp(slot->key, key, (size_t)n) == 0)
		return slot->id;
	for (k = 0; k < 2; k++) {
		q = st->st[k == 0 ? S_REPLY_GET : S_REPLY_ADD];
		sqlite3_bind_int(q, 1, d->code);
		sqlite3_bind_text(q, 2, dsn.p != NULL ? dsn.p : "", (int)(dsn.p != NULL ?
		    (dsn.n < 64 ? dsn.n : 64) : 0), SQLITE_STATIC);
		sqlite3_bind_text(q, 3, d->stage.p != NULL ? d->stage.p : "",
		    (int)(d->stage.p != NULL ? (d->stage.n < 128 ? d->stage.n : 128) : 0),
		    SQLITE_STATIC);
		rc = sqlite3_step(q);
		id = k == 0 && rc == SQLITE_ROW ? sqlite3_column_int64(q, 0) :
		    sqlite3_last_insert_rowid(st->db);
		sqlite3_reset(q);
		if (k == 0 && rc == SQLITE_ROW)
			break;
		if (rc != SQLITE_DONE) {
			store_set_err(st, rc, "reply");
			return -1;
		}
	}
	free(slot->key);
	slot->key = xmalloc((size_t)n + 1);
	memcpy(slot->key, key, (size_t)n + 1);
	slot->len = (size_t)n;
	slot->hash = h;
	slot->id = id;
	return id;
}

static int
store_recipient_exact(const struct delivery *d)
{
	const char	*at;
	size_t		 dl = strlen(d->domain);

	if (d->recipient.p == NULL || dl == 0)
		return 0;
	at = memrchr(d->recipient.p, '@', d->recipient.n);
	/*
	 * A quoted local part with an '@' of its own ("john@home"@example.com)
	 * stays whole: the views show a local part holding '@' as it is.
	 */
	return at != NULL && (size_t)(d->recipient.p + d->recipient.n - at - 1) == dl &&
	    memcmp(at + 1, d->domain, dl) == 0 &&
	    memchr(d->recipient.p, '@', (size_t)(at - d->recipient.p)) == NULL;
}

/* One failure row; returns its rowid or -1. */
static int64_t
store_failure(struct store *st, int64_t source_id, uint64_t offset,
    const struct delivery *d, const struct verdict *v, int64_t domain_id,
    int status_id)
{
	sqlite3_stmt	*q = st->st[S_FAILURE_ADD];
	struct span	 local = d->recipient;
	const char	*rb;
	size_t		 hlen = 0, tlen;
	struct store_args args;
	int64_t		 host_id, relay_id, reply_id, rule_id, diag_id = 0;
	int		 rc, exact = store_recipient_exact(d);

	if (exact)
		local.n = (size_t)((const char *)memrchr(local.p, '@', local.n) - local.p);
	if ((host_id = store_intern_span(st, I_HOST, d->host)) < 0 ||
	    (relay_id = store_intern_span(st, I_RELAY, d->relay)) < 0 ||
	    (reply_id = store_reply_id(st, d)) < 0)
		return -1;
	rule_id = v->rule != NULL ? store_intern(st, I_RULE, v->rule, strlen(v->rule), NULL) : 0;
	if (rule_id < 0)
		return -1;
	if (d->diagnostic.p != NULL) {
		if (d->relay.p != NULL && (rb = memchr(d->relay.p, ']', d->relay.n)) != NULL)
			hlen = (size_t)(rb - d->relay.p) + 1;
		tlen = store_template(st, d, exact ? d->recipient.p : "",
		    exact ? d->recipient.n : 0, d->relay.p, hlen, &args);
		{
			uint64_t	 h = store_hash(st->tmpl, tlen) | 1;
			struct islot	*slot = &st->cache[I_DIAG][h & (store_interns[I_DIAG].slots - 1)];

			if (slot->hash == h && slot->len == tlen &&
			    memcmp(slot->key, st->tmpl, tlen) == 0)
				diag_id = slot->id;
			else {
				/* normalise only texts not seen recently */
				store_reserve(&st->norm, &st->norm_cap, tlen * 2 + 64);
				store_normalize(st->tmpl, tlen, st->norm, st->norm_cap);
				diag_id = store_intern(st, I_DIAG, st->tmpl, tlen, st->norm);
			}
		}
		if (diag_id < 0)
			return -1;
	}

	sqlite3_bind_int64(q, 1, d->time);
	if (source_id > 0) {
		sqlite3_bind_int64(q, 2, source_id);
		sqlite3_bind_int64(q, 3, (int64_t)offset);
	} else {
		sqlite3_bind_null(q, 2);
		sqlite3_bind_null(q, 3);
	}
	host_id ? sqlite3_bind_int64(q, 4, host_id) : sqlite3_bind_null(q, 4);
	store_bind_span(q, 5, d->queue_id);
	store_bind_span(q, 6, local);
	sqlite3_bind_int64(q, 7, domain_id);
	relay_id ? sqlite3_bind_int64(q, 8, relay_id) : sqlite3_bind_null(q, 8);
	sqlite3_bind_int(q, 9, status_id);
	sqlite3_bind_int(q, 10, (int)v->cls);
	sqlite3_bind_int(q, 11, (int)v->reason);
	sqlite3_bind_int64(q, 12, reply_id);
	diag_id ? sqlite3_bind_int64(q, 13, diag_id) : sqlite3_bind_null(q, 13);
	rule_id ? sqlite3_bind_int64(q, 14, rule_id) : sqlite3_bind_null(q, 14);
	if (diag_id != 0)
		for (int k = 0; k < STORE_ARGS; k++)
			store_bind_span(q, 15 + k, args.arg[k]);
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	if (rc != SQLITE_DONE) {
		store_set_err(st, rc, "failure row");
		return -1;
	}

	if (v->reason == REASON_OTHER && d->diagnostic.p != NULL) {
		sqlite3_stmt	*u = st->st[S_UNRECOGNISED_ADD];

		store_reserve(&st->norm, &st->norm_cap, d->diagnostic.n * 2 + 64);
		store_normalize(d->diagnostic.p, d->diagnostic.n, st->norm, st->norm_cap);
		sqlite3_bind_text(u, 1, st->norm, -1, SQLITE_STATIC);
		sqlite3_bind_int64(u, 2, d->time);
		store_bind_span(u, 3, d->diagnostic);
		sqlite3_bind_text(u, 4, d->domain, -1, SQLITE_STATIC);
		if (store_step(st, u, "unrecognised") == -1)
			return -1;
	}
	return sqlite3_last_insert_rowid(st->db);
}

static int
store_status_id(enum dstatus s)
{
	switch (s) {
	case DSTATUS_SENT: return 1;
	case DSTATUS_DEFERRED: return 2;
	case DSTATUS_BOUNCED: return 3;
	case DSTATUS_SOFTBOUNCE: return 4;
	case DSTATUS_EXPIRED: return 5;
	default: return 0;
	}
}

/* ---- pending recipients, for attributing "expired" ---- */

static uint64_t
store_qhash(const char *q, size_t n)
{
	return store_hash(q, n) | 1;
}

static void
store_qset_add(struct store *st, uint64_t h)
{
	size_t	 i = (size_t)(h & (QSET_SLOTS - 1));

	if (st->qset_n >= QSET_SLOTS * 3 / 4) {
		st->qset_full = 1;
		return;
	}
	while (st->qset[i] != 0) {
		if (st->qset[i] == h)
			return;
		i = (i + 1) & (QSET_SLOTS - 1);
	}
	st->qset[i] = h;
	st->qset_n++;
}

static int
store_qset_has(struct store *st, uint64_t h)
{
	size_t	 i = (size_t)(h & (QSET_SLOTS - 1));

	if (st->qset_full || st->qset_stale)
		return 1;
	while (st->qset[i] != 0) {
		if (st->qset[i] == h)
			return 1;
		i = (i + 1) & (QSET_SLOTS - 1);
	}
	return 0;
}

/* (Re)build the set from the table: at start, after a rollback. */
static int
store_qset_load(struct store *st)
{
	sqlite3_stmt	*q = st->st[S_PENDING_QIDS];
	int		 rc;

	memset(st->qset, 0, QSET_SLOTS * sizeof(*st->qset));
	st->qset_n = 0;
	st->qset_full = 0;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		store_qset_add(st, store_qhash((const char *)sqlite3_column_text(q, 0),
		    (size_t)sqlite3_column_bytes(q, 0)));
	sqlite3_reset(q);
	if (rc != SQLITE_DONE) {
		store_set_err(st, rc, "pending");
		return -1;
	}
	st->qset_stale = 0;
	return 0;
}

/*
 * A deferral remembers (queue id, recipient) -> its failure row; a
 * delivery or bounce forgets it.  In the database, in the transaction:
 * a rolled-back batch, a restart or a crash keeps the attribution exact.
 */
static int
store_pending_note(struct store *st, const struct delivery *d, int64_t row)
{
	sqlite3_stmt	*q;
	uint64_t	 h;

	if (d->queue_id.p == NULL || d->recipient.p == NULL)
		return 0;
	h = store_qhash(d->queue_id.p, d->queue_id.n);
	if (row > 0) {
		q = st->st[S_PENDING_PUT];
		store_bind_span(q, 1, d->queue_id);
		sqlite3_bind_int64(q, 2, (int64_t)store_hash(d->recipient.p, d->recipient.n));
		sqlite3_bind_int64(q, 3, row);
		sqlite3_bind_int64(q, 4, d->time);
		if (store_step(st, q, "pending") == -1)
			return -1;
		store_qset_add(st, h);
		return 0;
	}
	if (!store_qset_has(st, h))
		return 0;
	q = st->st[S_PENDING_DEL];
	store_bind_span(q, 1, d->queue_id);
	sqlite3_bind_int64(q, 2, (int64_t)store_hash(d->recipient.p, d->recipient.n));
	if (store_step(st, q, "pending") == -1)
		return -1;
	return 0;
}

/*
 * qmgr expired a message: one permanent/expired failure for each of its
 * recipients still pending (with their last reply), or one for the
 * message when none is known.
 */
static int
store_expired(struct store *st, int64_t source_id, uint64_t offset,
    const struct delivery *qd, const struct verdict *v)
{
	sqlite3_stmt	*q = st->st[S_PENDING_GET], *cp = st->st[S_EXPIRE_COPY];
	int32_t		 day = store_day_key(st, qd->time);
	int64_t		*ids = NULL, did, row, host_id, rule_id;
	size_t		 nids = 0, i;
	int		 rc, found = 0;

	if (qd->queue_id.p != NULL) {
		store_bind_span(q, 1, qd->queue_id);
		while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
			ids = xrealloc(ids, (nids + 1) * sizeof(*ids));
			ids[nids++] = sqlite3_column_int64(q, 0);
		}
		sqlite3_reset(q);
		if (rc != SQLITE_DONE) {
			free(ids);
			store_set_err(st, rc, "pending");
			return -1;
		}
	}
	if (nids > 0) {
		if ((host_id = store_intern_span(st, I_HOST, qd->host)) < 0 ||
		    (rule_id = store_intern(st, I_RULE, v->rule, strlen(v->rule), NULL)) < 0) {
			free(ids);
			return -1;
		}
		/* each recipient: its last deferral, now expired */
		for (i = 0; i < nids; i++) {
			sqlite3_bind_int64(cp, 1, qd->time);
			source_id > 0 ? sqlite3_bind_int64(cp, 2, source_id) : sqlite3_bind_null(cp, 2);
			source_id > 0 ? sqlite3_bind_int64(cp, 3, (int64_t)offset) : sqlite3_bind_null(cp, 3);
			host_id ? sqlite3_bind_int64(cp, 4, host_id) : sqlite3_bind_null(cp, 4);
			sqlite3_bind_int(cp, 5, (int)v->cls);
			sqlite3_bind_int(cp, 6, (int)v->reason);
			sqlite3_bind_int64(cp, 7, rule_id);
			sqlite3_bind_int64(cp, 8, ids[i]);
			rc = sqlite3_step(cp);
			if (rc == SQLITE_ROW) {
				row = sqlite3_column_int64(cp, 0);
				did = sqlite3_column_int64(cp, 1);
				rc = sqlite3_step(cp);
				if (rc == SQLITE_DONE) {
					if (store_span(st, day, row) == -1 ||
					    store_count(st, day, did, v->cls, v->reason) == -1) {
						sqlite3_reset(cp);
						free(ids);
						return -1;
					}
					found++;
				}
			}
			sqlite3_reset(cp);
			if (rc != SQLITE_DONE) {
				free(ids);
				store_set_err(st, rc, "expired");
				return -1;
			}
		}
		free(ids);
		if (found) {
			sqlite3_stmt	*del = st->st[S_PENDING_DELQ];

			store_bind_span(del, 1, qd->queue_id);
			if (store_step(st, del, "pending") == -1)
				return -1;
			return 0;
		}
	} else
		free(ids);
	/* recipients unknown (or their rows pruned): attribute to the message */
	if ((did = store_intern(st, I_DOMAIN, "", 0, NULL)) < 0)
		return -1;
	if ((row = store_failure(st, source_id, offset, qd, v, did, 5)) < 0 ||
	    store_span(st, day, row) == -1)
		return -1;
	return store_count(st, day, did, v->cls, v->reason);
}

/* Forget pending recipients older than 'before' (UTC seconds). */
static int
store_pending_prune(struct store *st, int64_t before)
{
	sqlite3_stmt	*q = st->st[S_PENDING_PRUNE];

	sqlite3_bind_int64(q, 1, before);
	if (store_step(st, q, "pending") == -1)
		return -1;
	return 0;
}

int
store_add(struct store *st, int64_t source_id, uint64_t offset,
    enum line_kind kind, const struct delivery *d, const struct verdict *v)
{
	int64_t	 did, row;
	int32_t	 day;

	if (source_id != st->linestat_source) {
		if (store_flush_linestats(st) == -1)
			return -1;
		st->linestat_source = source_id;
	}
	st->linestat[kind]++;
	if (kind == LINE_EXPIRED)
		return d->has_time ? store_expired(st, source_id, offset, d, v) : 0;
	if (kind != LINE_DELIVERY || !d->has_time)
		return 0;

	day = store_day_key(st, d->time);
	if ((did = store_intern(st, I_DOMAIN, d->domain, strlen(d->domain), NULL)) < 0)
		return -1;
	if (store_count(st, day, did, v->cls, v->reason) == -1)
		return -1;
	row = 0;
	if (v->cls != CLASS_DELIVERED) {
		if ((row = store_failure(st, source_id, offset, d, v, did,
		    store_status_id(d->status))) < 0 || store_span(st, day, row) == -1)
			return -1;
	}
	if (d->mta == MTA_POSTFIX && store_pending_note(st, d,
	    d->status == DSTATUS_DEFERRED || d->status == DSTATUS_SOFTBOUNCE ? row : 0) == -1)
		return -1;
	return 0;
}

/* ---- transactions ---- */

int
store_begin(struct store *st)
{
	st->err = STORE_OK;
	if (store_step(st, st->st[S_BEGIN], "begin") == -1)
		return -1;
	st->in_tx = 1;
	if (st->qset_stale) {
		/* after a rollback the set may miss queue ids the table has */
		if (store_qset_load(st) == -1) {
			store_rollback(st);
			return -1;
		}
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
	if (store_flush_counters(st) == -1 || store_flush_spans(st) == -1 ||
	    store_flush_linestats(st) == -1)
		return -1;
	if (store_step(st, st->st[S_COMMIT], "commit") == -1)
		return -1;
	st->in_tx = 0;
	return 0;
}

void
store_rollback(struct store *st)
{
	size_t	 i;

	if (!sqlite3_get_autocommit(st->db))
		store_step(st, st->st[S_ROLLBACK], "rollback");
	st->in_tx = 0;
	for (i = 0; i < COUNTERS; i++)
		st->counters[i].day = 0;
	st->ncounters = 0;
	st->nspans = 0;
	memset(st->linestat, 0, sizeof(st->linestat));
	/* ids created in the failed transaction are gone */
	store_cache_clear(st);
	st->qset_stale = 1;
}

/* ---- sources ---- */

static void
store_source_row(sqlite3_stmt *q, struct store_source *s)
{
	const void	*b;
	int		 n;

	memset(s, 0, sizeof(*s));
	s->id = sqlite3_column_int64(q, 0);
	snprintf(s->path, sizeof(s->path), "%s", (const char *)sqlite3_column_text(q, 1));
	b = sqlite3_column_blob(q, 2);
	n = sqlite3_column_bytes(q, 2);
	if (n > STORE_FP_MAX)
		n = STORE_FP_MAX;
	if (b != NULL)
		memcpy(s->fp, b, (size_t)n);
	s->fp_len = (size_t)sqlite3_column_int64(q, 3);
	if (s->fp_len > (size_t)n)
		s->fp_len = (size_t)n;
	s->dev = (uint64_t)sqlite3_column_int64(q, 4);
	s->ino = (uint64_t)sqlite3_column_int64(q, 5);
	s->offset = (uint64_t)sqlite3_column_int64(q, 6);
	b = sqlite3_column_blob(q, 7);
	n = sqlite3_column_bytes(q, 7);
	if (n > STORE_TAIL_MAX)
		n = STORE_TAIL_MAX;
	if (b != NULL)
		memcpy(s->tail, b, (size_t)n);
	s->tail_len = (size_t)n;
	s->lines = (uint64_t)sqlite3_column_int64(q, 8);
	snprintf(s->state, sizeof(s->state), "%s", (const char *)sqlite3_column_text(q, 9));
	s->last_commit = sqlite3_column_int64(q, 10);
}

int
store_source_list(struct store *st, const char *state, struct store_source **out)
{
	sqlite3_stmt		*q = st->st[S_SOURCE_ALL];
	struct store_source	*v = NULL, s;
	int			 n = 0, rc;

	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		store_source_row(q, &s);
		if (state != NULL && strcmp(s.state, state) != 0)
			continue;
		v = xrealloc(v, (size_t)(n + 1) * sizeof(*v));
		v[n++] = s;
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE) {
		store_set_err(st, rc, "sources");
		free(v);
		return -1;
	}
	*out = v;
	return n;
}

int
store_source_match(struct store *st, const unsigned char *head, size_t len,
    struct store_source *out)
{
	sqlite3_stmt		*q = st->st[S_SOURCE_ALL];
	struct store_source	 s;
	int			 rc, found = 0;
	size_t			 best = 0;

	if (len == 0)
		return 0;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		size_t	 cmp;

		store_source_row(q, &s);
		if (s.fp_len == 0)
			continue;
		cmp = s.fp_len < len ? s.fp_len : len;
		/* a short prefix is a weak fingerprint: demand 64 bytes */
		if (cmp < (s.fp_len < 64 ? s.fp_len : 64))
			continue;
		if (memcmp(s.fp, head, cmp) != 0)
			continue;
		if (!found || cmp > best) {
			*out = s;
			best = cmp;
			found = 1;
		}
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE) {
		store_set_err(st, rc, "sources");
		return -1;
	}
	return found;
}

int
store_source_get(struct store *st, int64_t id, struct store_source *out)
{
	sqlite3_stmt	*q = st->st[S_SOURCE_GET];
	int		 rc;

	sqlite3_bind_int64(q, 1, id);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		store_source_row(q, out);
	sqlite3_reset(q);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc != SQLITE_DONE) {
		store_set_err(st, rc, "source");
		return -1;
	}
	return 0;
}

int
store_source_new(struct store *st, const char *path, const unsigned char *head,
    size_t len, uint64_t dev, uint64_t ino, struct store_source *out)
{
	sqlite3_stmt	*q = st->st[S_SOURCE_ADD];

	if (len > STORE_FP_MAX)
		len = STORE_FP_MAX;
	sqlite3_bind_text(q, 1, path, -1, SQLITE_STATIC);
	sqlite3_bind_blob(q, 2, head, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, (int64_t)len);
	sqlite3_bind_int64(q, 4, (int64_t)dev);
	sqlite3_bind_int64(q, 5, (int64_t)ino);
	sqlite3_bind_int64(q, 6, (int64_t)time(NULL));
	if (store_step(st, q, "new source") == -1)
		return -1;
	memset(out, 0, sizeof(*out));
	out->id = sqlite3_last_insert_rowid(st->db);
	snprintf(out->path, sizeof(out->path), "%s", path);
	memcpy(out->fp, head, len);
	out->fp_len = len;
	out->dev = dev;
	out->ino = ino;
	snprintf(out->state, sizeof(out->state), "active");
	return 0;
}

int
store_source_save(struct store *st, const struct store_source *s)
{
	sqlite3_stmt	*q = st->st[S_SOURCE_SAVE];
	int		 rc;

	sqlite3_bind_int64(q, 1, s->id);
	sqlite3_bind_text(q, 2, s->path, -1, SQLITE_STATIC);
	sqlite3_bind_blob(q, 3, s->fp, (int)s->fp_len, SQLITE_STATIC);
	sqlite3_bind_int64(q, 4, (int64_t)s->fp_len);
	sqlite3_bind_int64(q, 5, (int64_t)s->dev);
	sqlite3_bind_int64(q, 6, (int64_t)s->ino);
	sqlite3_bind_int64(q, 7, (int64_t)s->offset);
	sqlite3_bind_blob(q, 8, s->tail, (int)s->tail_len, SQLITE_STATIC);
	sqlite3_bind_int64(q, 9, (int64_t)s->lines);
	sqlite3_bind_text(q, 10, s->state, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 11, (int64_t)time(NULL));
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	if (rc != SQLITE_DONE || sqlite3_changes(st->db) != 1) {
		store_set_err(st, rc == SQLITE_DONE ? SQLITE_ERROR : rc, "save position");
		return -1;
	}
	return 0;
}

int
store_gap(struct store *st, int64_t source_id, uint64_t from, uint64_t to,
    const char *reason)
{
	sqlite3_stmt	*q = st->st[S_GAP_ADD];

	sqlite3_bind_int64(q, 1, (int64_t)time(NULL));
	sqlite3_bind_int64(q, 2, source_id);
	sqlite3_bind_int64(q, 3, (int64_t)from);
	to != 0 ? sqlite3_bind_int64(q, 4, (int64_t)to) : sqlite3_bind_null(q, 4);
	sqlite3_bind_text(q, 5, reason, -1, SQLITE_STATIC);
	if (store_step(st, q, "gap") == -1)
		return -1;
	return 0;
}

/* ---- maintenance ---- */

int64_t
store_prune(struct store *st, const char *before)
{
	sqlite3_stmt	*q;
	int64_t		 n;
	int		 rc;
	static const char sql_del[] =
	    "DELETE FROM failure WHERE id <= coalesce((SELECT max(last_id) FROM day_span"
	    " WHERE day < ?1), 0) AND time < ?2";

	if (store_begin(st) == -1)
		return -1;
	rc = sqlite3_prepare_v2(st->db, sql_del, -1, &q, NULL);
	if (rc == SQLITE_OK) {
		int	 y, m, d;
		int64_t	 t = 0;

		if (sscanf(before, "%d-%d-%d", &y, &m, &d) == 3)
			t = tz_local_to_utc(st->tz,
			    tz_days_from_civil(y, (unsigned)m, (unsigned)d) * 86400);
		sqlite3_bind_text(q, 1, before, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 2, t);
		rc = sqlite3_step(q);
		sqlite3_finalize(q);
	}
	if (rc != SQLITE_DONE && rc != SQLITE_OK) {
		store_set_err(st, rc, "prune");
		store_rollback(st);
		return -1;
	}
	n = sqlite3_changes64(st->db);
	/* a message deferred for longer than a month will not expire any more */
	if (store_pending_prune(st, (int64_t)time(NULL) - 31 * 86400) == -1) {
		store_rollback(st);
		return -1;
	}
	/*
	 * Interned texts (diagnostic templates, domains, relays) stay: they
	 * are few, and a running writer may hold their ids in its caches.
	 */
	if (store_exec(st, "DELETE FROM day_span WHERE first_id NOT IN (SELECT id FROM failure) "
	    "AND NOT EXISTS (SELECT 1 FROM failure WHERE id BETWEEN day_span.first_id "
	    "AND day_span.last_id)") == -1) {
		store_rollback(st);
		return -1;
	}
	if (store_commit(st) == -1) {
		store_rollback(st);
		return -1;
	}
	store_cache_clear(st);
	return n;
}

int64_t
store_wal_size(struct store *st)
{
	const char	*f = sqlite3_db_filename(st->db, "main");
	char		 path[4096];
	struct stat	 sb;

	if (f == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s-wal", f);
	return stat(path, &sb) == 0 ? (int64_t)sb.st_size : 0;
}
