/*
 * store_sqlite_open.c -- opening the SQLite backend: creating, validating
 * and migrating the file (with the repairs of pre-release schemas), the
 * connection's settings, the WAL and its checkpoints.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "migrations.h"
#include "schema.h"
#include "store_sqlite.h"
#include "util.h"

int
sq_exec_sql(struct store *st, const char *sql)
{
	char	*msg = NULL;
	int	 rc;

	if ((rc = sqlite3_exec(SQ(st)->db, sql, NULL, NULL, &msg)) != SQLITE_OK) {
		sq_fail(st, rc, "sqlite");
		if (msg != NULL) {
			snprintf(st->errmsg, sizeof(st->errmsg), "%s", msg);
			sqlite3_free(msg);
		}
		return -1;
	}
	return 0;
}

static int
sq_pragma_int(struct store *st, const char *sql, int *out)
{
	int64_t	 v = 0;

	if (sq_exec(st, sql, &v) == -1)
		return -1;
	*out = (int)v;
	return 0;
}

/* ---- opening ---- */

/*
 * The writer's page cache: the pages a batch touches most (the ends of
 * failure, daily and day_span, the interned tables' indexes, pending)
 * stay in memory between batches.  8 MiB: day 30's import into the
 * 29-day database touches 2,366 pages all over pending, suppression and
 * the names' indexes; with 4 MiB it read 3,222 pages of the database and
 * 5,149 it had spilled to the WAL, and wrote 3,628 frames; with 8 MiB
 * 2,639 and 2,549, and 2,366 frames, one per page (12 MiB: 2,137 and
 * 2,366 reads, the same writes).  The 4 MiB more fit in the import's
 * 32 MiB since libpq is no longer mapped into every run (store_pg_dl.c):
 * 27.3 MiB peak on day 30.  The write-ahead log is copied back into the
 * database every 8192 pages (32 MiB) instead of SQLite's 1000: in a
 * month-old database a batch dirties pages all over the indexes of
 * pending, suppression and the names, and each checkpoint wrote them
 * again (day 30's import: 21,226 pwrites).
 */
#define SQ_WRITER_CACHE	"PRAGMA cache_size = -8192; PRAGMA wal_autocheckpoint = 8192"

/*
 * The page size of a database this writer creates: 16 KiB instead of
 * SQLite's 4.  A day's writes land all over the random-key indexes
 * (pending, suppression, the names): a month-old database had every leaf
 * of them rewritten each day, four times as many pages to read, write
 * and sync, each a system call, as at 16 KiB for the same bytes.  Day 30
 * of bench/scale.sh into the 29-day database (9 interleaved rounds,
 * median): 0.54 s wall at 8 KiB, 0.46 s at 16 KiB, 0.53 s at 4 KiB (7
 * rounds); a fresh database 0.33-0.35 s at each size; the 29-day file
 * 64.7 MB at 4 KiB, 64.3 MB at 16 KiB.  A database created by an earlier
 * version keeps its 4 KiB; with bouncewatchd stopped, sqlite3 converts it
 * (bouncewatch(1), FILES; 0.9 s for the 29-day one).
 */
#define SQ_PAGE_SIZE	"PRAGMA page_size = 16384"

/*
 * glibc returns the top of the heap to the system whenever 128 KiB are
 * free there, and grows it again at the next statement: keep up to
 * 8 MiB (the writer's memory is bounded anyway).
 */
static void
sq_heap_keep(void)
{
#if defined(__GLIBC__) && defined(M_TRIM_THRESHOLD)
	mallopt(M_TRIM_THRESHOLD, 8 << 20);
	mallopt(M_TOP_PAD, 1 << 20);
#endif
}

void
sq_close(struct store *st)
{
	struct sq	*sq = SQ(st);
	int		 i;

	for (i = 0; i < SQ_MAX; i++)
		sqlite3_finalize(sq->st[i]);
	sq_read_close(sq);
	sq_reclass_close(sq);
	sq_live_close(sq);
	sq_ops_free(sq);
	if (sq->db != NULL) {
		if (!st->readonly) {
			/* a quiet moment: fold the WAL back, keep the files */
			sqlite3_wal_checkpoint_v2(sq->db, NULL, SQLITE_CHECKPOINT_PASSIVE,
			    NULL, NULL);
		}
		sqlite3_close(sq->db);
	}
	free(sq);
	st->bd = NULL;
}

int
sq_version(struct store *st)
{
	int	 v = -1;

	sq_pragma_int(st, "PRAGMA user_version", &v);
	return v;
}

/* Migrations: sql/migrate-N.sql, compiled in; entry N upgrades N-1 to N. */
static const char *const sq_migrations[STORE_SCHEMA_VERSION + 1] = {
	[2] = migrate_2_sql,
	[3] = migrate_3_sql,
	[4] = migrate_4_sql,
	[5] = migrate_5_sql,
	[6] = migrate_6_sql,
	[7] = migrate_7_sql,
};

/* Run sql in its own transaction. */
static int
sq_exec_tx(struct store *st, const char *sql, const char *sql2)
{
	if (sq_exec_sql(st, "BEGIN IMMEDIATE") == -1)
		return -1;
	if (sq_exec_sql(st, sql) == -1 || (sql2 != NULL && sq_exec_sql(st, sql2) == -1) ||
	    sq_exec_sql(st, "COMMIT") == -1) {
		sq_exec_sql(st, "ROLLBACK");
		return -1;
	}
	return 0;
}

/*
 * Snapshots written before a release used version numbers for shapes that
 * differ from the released ones: make them the released shape of an
 * earlier version, so that the migrations from there apply.
 *   - schema 2 and 3 of 2026-11-23 kept pending deferrals by recipient
 *     text: dropped (only the attribution of expiries in flight is lost);
 *   - schema 3 before "reply" (code, dsn, stage_id in failure) is
 *     schema 2 plus a pending table: dropped, then migrated from 2;
 *   - schema 2 before failure.arg1..arg3: the columns are added.
 */
static const struct {
	const char	*test;		/* count(*) > 0: the shape is there */
	int		 version;	/* ... at this version (0: any) */
	const char	*fix;
	int		 becomes;	/* the version after the fix (0: same) */
} sq_legacy_shapes[] = {
	{ "SELECT count(*) FROM pragma_table_info('pending') WHERE name = 'recipient'",
	  0, "DROP TABLE pending", 0 },
	{ "SELECT count(*) = 0 FROM sqlite_master WHERE type = 'table' AND name = 'reply'",
	  3, "DROP TABLE IF EXISTS pending", 2 },
	{ "SELECT count(*) = 0 FROM pragma_table_info('failure') WHERE name = 'arg1'",
	  2, "ALTER TABLE failure ADD COLUMN arg1 TEXT;"
	  "ALTER TABLE failure ADD COLUMN arg2 TEXT;"
	  "ALTER TABLE failure ADD COLUMN arg3 TEXT", 0 },
};

static int
sq_legacy(struct store *st, int *version)
{
	size_t	 i;
	int	 n;

	for (i = 0; i < nitems(sq_legacy_shapes); i++) {
		if (sq_legacy_shapes[i].version != 0 &&
		    sq_legacy_shapes[i].version != *version)
			continue;
		if (sq_pragma_int(st, sq_legacy_shapes[i].test, &n) == -1)
			return -1;
		if (n == 0)
			continue;
		if (sq_exec_tx(st, sq_legacy_shapes[i].fix, NULL) == -1)
			return -1;
		log_info("database of a pre-release schema %d: %s", *version,
		    sq_legacy_shapes[i].fix);
		if (sq_legacy_shapes[i].becomes != 0)
			*version = sq_legacy_shapes[i].becomes;
	}
	return 0;
}

static int
sq_migrate(struct store *st, int *from)
{
	char	 why[sizeof(st->errmsg)];
	int	 v;

	if (sq_legacy(st, from) == -1)
		return -1;
	for (v = *from + 1; v <= STORE_SCHEMA_VERSION; v++) {
		if (sq_migrations[v] == NULL)
			return store_fail(st, STORE_EOTHER,
			    "no migration from schema version %d", v - 1);
		if (sq_exec_tx(st, sq_migrations[v],
		    v == STORE_SCHEMA_VERSION ? views_sql : NULL) == -1) {
			/* not retried: the service manager should not restart */
			snprintf(why, sizeof(why), "%s", st->errmsg);
			return store_fail(st, st->err == STORE_EOTHER ? STORE_ENOTDB : st->err,
			    "cannot upgrade schema %d to %d: %s", v - 1, v, why);
		}
		log_info("database migrated to schema version %d", v);
	}
	return 0;
}

/* Create the file ourselves: 0640, group-readable for the report. */
static int
sq_create_file(struct store *st, const char *path)
{
	struct stat	 sb;
	int		 fd;

	if (stat(path, &sb) == 0 || errno != ENOENT)
		return 0;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd == -1 && errno != EEXIST)
		return store_fail(st, STORE_EIO, "%s: %s", path, strerror(errno));
	if (fd != -1) {
		store_give_away(fd, path, NULL);
		close(fd);
	}
	return 0;
}

/* Validate before writing anything: a foreign file stays untouched. */
static int
sq_check(struct store *st, const char *path, enum store_mode mode, int *empty,
    int *version)
{
	int	 n = 0;

	if (sq_pragma_int(st, "SELECT count(*) FROM sqlite_master", &n) == -1 ||
	    sq_pragma_int(st, "PRAGMA user_version", version) == -1) {
		if (st->err == STORE_ENOTDB)
			store_fail(st, STORE_ENOTDB, "%s: not a bouncewatch database (%s)",
			    path, sqlite3_errmsg(SQ(st)->db));
		/* killed in its first write: only a writer rolls that back */
		if (sqlite3_extended_errcode(SQ(st)->db) == SQLITE_READONLY_ROLLBACK)
			store_fail(st, STORE_EIO, "%s: a write to it was interrupted "
			    "(%s-journal remains): the next bouncewatchd or bouncewatch import "
			    "rolls it back", path, path);
		return -1;
	}
	*empty = n == 0;
	if (!*empty) {
		if (sq_pragma_int(st, "SELECT count(*) FROM sqlite_master "
		    "WHERE type = 'table' AND name IN ('source', 'failure', 'daily')",
		    &n) == -1)
			return -1;
		if (n != 3 || *version == 0)
			return store_fail(st, STORE_ENOTDB,
			    "%s: an SQLite database, but not bouncewatch's", path);
	}
	if (*version > STORE_SCHEMA_VERSION)
		return store_fail(st, STORE_ENEWER,
		    "%s: schema version %d is newer than this bouncewatch (%d): "
		    "upgrade bouncewatch", path, *version, STORE_SCHEMA_VERSION);
	if (mode == STORE_RO && *empty)
		return store_fail(st, STORE_ENOTDB,
		    "%s: empty database: nothing has been recorded yet", path);
	if (mode == STORE_RO && *version < STORE_SCHEMA_VERSION)
		return store_fail(st, STORE_EOTHER,
		    "%s: schema version %d is older than %d; run bouncewatchd or "
		    "bouncewatch import once to upgrade it", path, *version,
		    STORE_SCHEMA_VERSION);
	return 0;
}

/*
 * The grouping form of every stored diagnostic redone when diag.c's
 * normalisation changed (meta "normalize" < DIAG_NORMALIZE_VERSION), so
 * that old and new rows group alike in reports and views.  Replies no
 * rule recognised keep the form they were counted under.
 */
static int
sq_renormalize(struct store *st)
{
	sqlite3		*db = SQ(st)->db;
	sqlite3_stmt	*q = NULL, *u = NULL;
	char		*out = NULL;
	size_t		 cap = 0;
	int		 v = 0, rc;

	if (sq_pragma_int(st, "SELECT coalesce((SELECT value FROM meta"
	    " WHERE key = 'normalize'), 0)", &v) == -1)
		return -1;
	if (v >= DIAG_NORMALIZE_VERSION)
		return 0;
	if (sq_exec_sql(st, "BEGIN IMMEDIATE") == -1)
		return -1;
	if ((rc = sqlite3_prepare_v2(db, "SELECT id, template FROM diagnostic", -1, &q,
	    NULL)) != SQLITE_OK || (rc = sqlite3_prepare_v2(db,
	    "UPDATE diagnostic SET normalized = ?2 WHERE id = ?1 AND normalized <> ?2",
	    -1, &u, NULL)) != SQLITE_OK)
		goto fail;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char	*t = (const char *)sqlite3_column_text(q, 1);
		size_t		 n = (size_t)sqlite3_column_bytes(q, 1);

		if (cap < 2 * n + 64) {
			cap = 2 * n + 64;
			out = xrealloc(out, cap);
		}
		diag_normalize(t != NULL ? t : "", t != NULL ? n : 0, out, cap);
		sqlite3_bind_int64(u, 1, sqlite3_column_int64(q, 0));
		sqlite3_bind_text(u, 2, out, -1, SQLITE_STATIC);
		if ((rc = sqlite3_step(u)) != SQLITE_DONE)
			goto fail;
		sqlite3_reset(u);
	}
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(q);
	sqlite3_finalize(u);
	free(out);
	q = u = NULL;
	out = NULL;
	if ((rc = sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO meta (key, value)"
	    " VALUES ('normalize', ?1)", -1, &u, NULL)) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int(u, 1, DIAG_NORMALIZE_VERSION);
	if ((rc = sqlite3_step(u)) != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(u);
	if (v > 0)
		log_info("diagnostic texts regrouped (normalisation %d)",
		    DIAG_NORMALIZE_VERSION);
	return sq_exec_sql(st, "COMMIT");
fail:
	sqlite3_finalize(q);
	sqlite3_finalize(u);
	free(out);
	sq_fail(st, rc, "renormalize");
	sq_exec_sql(st, "ROLLBACK");
	return -1;
}

int
sq_open(struct store *st, const char *path, enum store_mode mode)
{
	struct sq	*sq;
	struct stat	 sb;
	int		 flags, rc, version, empty, i, live, persist = 1;

	if (mode == STORE_RO) {
		if (stat(path, &sb) == -1)
			return store_fail(st, STORE_EIO, "%s: %s", path, strerror(errno));
		flags = SQLITE_OPEN_READONLY;
	} else {
		if (sq_create_file(st, path) == -1)
			return -1;
		flags = SQLITE_OPEN_READWRITE;
	}
	flags |= SQLITE_OPEN_NOMUTEX;
#ifdef SQLITE_OPEN_EXRESCODE
	flags |= SQLITE_OPEN_EXRESCODE;
#endif
	st->bd = sq = xcalloc(1, sizeof(*sq));
	if ((rc = sqlite3_open_v2(path, &sq->db, flags, NULL)) != SQLITE_OK)
		return sq_fail(st, rc, path);
	sqlite3_busy_timeout(sq->db, 5000);
	sqlite3_extended_result_codes(sq->db, 1);
	if (sq_check(st, path, mode, &empty, &version) == -1)
		return -1;
	if (mode == STORE_RO) {
		/* a reader may list the sources (bouncewatch status) */
		return sq_prepare(st, SQ_SOURCE_ALL);
	}

	/* Writer: WAL, keep -wal/-shm so read-only readers always work. */
	sqlite3_file_control(sq->db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
	/* a new database only: WAL mode fixes the page size of an old one */
	if (empty && sq_exec_sql(st, SQ_PAGE_SIZE) == -1)
		return -1;
	if (sq_exec_sql(st, "PRAGMA journal_mode = WAL") == -1 ||
	    sq_exec_sql(st, "PRAGMA synchronous = FULL") == -1 ||
	    sq_exec_sql(st, "PRAGMA journal_size_limit = 67108864") == -1 ||
	    sq_exec_sql(st, SQ_WRITER_CACHE) == -1)
		return -1;
	sq_heap_keep();
	if (empty) {
		if (sq_exec_tx(st, schema_sql, views_sql) == -1)
			return -1;
	} else if (version < STORE_SCHEMA_VERSION && sq_migrate(st, &version) == -1)
		return -1;
	/* the live view's tables, once (no write lock needed after that) */
	if ((live = sq_live_tables(st)) == -1 ||
	    (live == 0 && sq_exec_tx(st, alerts_sql, NULL) == -1))
		return -1;

	for (i = 0; i < SQ_MAX; i++)
		if (sq_prepare(st, (enum sq_stmt)i) == -1)
			return -1;
	/* diagnostics migrated from schema 2 carry hash 0: compute theirs */
	if (version < 3 && !empty && st->be->diag_rehash(st) == -1)
		return -1;
	return sq_renormalize(st);
}

int
sq_rehash(struct store *st)
{
	sqlite3_stmt	*q = SQ(st)->st[SQ_DIAG_UNHASHED], *u = SQ(st)->st[SQ_DIAG_REHASH];
	int		 rc;

	if (sq_exec_sql(st, "BEGIN IMMEDIATE") == -1)
		return -1;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char	*t = (const char *)sqlite3_column_text(q, 1);
		size_t		 n = (size_t)sqlite3_column_bytes(q, 1);

		sqlite3_bind_int64(u, 1, sqlite3_column_int64(q, 0));
		sqlite3_bind_int64(u, 2, store_diag_hash(t, n));
		if (sqlite3_step(u) != SQLITE_DONE) {
			sqlite3_reset(u);
			rc = SQLITE_ERROR;
			break;
		}
		sqlite3_reset(u);
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE) {
		sq_fail(st, rc, "rehash");
		sq_exec_sql(st, "ROLLBACK");
		return -1;
	}
	return sq_exec_sql(st, "COMMIT");
}

void
sq_set_synchronous(struct store *st, int full)
{
	sq_exec_sql(st, full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
}

void
sq_set_busy_timeout(struct store *st, int ms)
{
	sqlite3_busy_timeout(SQ(st)->db, ms);
}

int64_t
sq_wal_size(struct store *st)
{
	const char	*f = sqlite3_db_filename(SQ(st)->db, "main");
	char		 path[4096];
	struct stat	 sb;

	if (f == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s-wal", f);
	return stat(path, &sb) == 0 ? (int64_t)sb.st_size : 0;
}


int
sq_checkpoint(struct store *st, int64_t *bytes, int *held)
{
	int	 rc, nlog = 0, ncopied = 0;

	rc = sqlite3_wal_checkpoint_v2(SQ(st)->db, "main", SQLITE_CHECKPOINT_PASSIVE,
	    &nlog, &ncopied);
	if (rc != SQLITE_OK && rc != SQLITE_BUSY)
		return sq_fail(st, rc, "checkpoint");
	*held = rc == SQLITE_BUSY || ncopied < nlog;
	*bytes = sq_wal_size(st);
	return 0;
}
