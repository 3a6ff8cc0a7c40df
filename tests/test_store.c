/*
 * test_store.c -- the SQLite store on real database files: lossless round
 * trips, atomic batches (injected failures and a crashed process), schema
 * migration, files that are not ours, readers beside a writer, a full
 * disk and a locked database.
 *
 * Every test works in its own files under a mkdtemp(3) directory.  Rows
 * are checked through the documented views (v_failures, v_daily), with a
 * separate read-only connection, against expectations computed here from
 * the corpora of tests/data -- never from the store's own tables.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#ifdef __clang__
/* the corpus arrays below join long lines on purpose */
#pragma clang diagnostic ignored "-Wstring-concatenation"
#endif
#include <sqlite3.h>

#include "classify.h"
#include "corpus.h"
#include "emit.h"
#include "parse.h"
#include "hash.h"
#include "store.h"
#include "tz.h"

static struct classifier	*cl;
static struct tz		*utc;
static char			 tmpdir[PATH_MAX];

/* Every line of both Postfix corpora, in time order (see sort_lines). */
static char	**lines;
static size_t	  nlines;

/* ---- fixtures ---- */

static int
add_corpus(const char *name)
{
	struct corpus_rec	*recs;
	int			 n, i;

	if ((n = corpus_load(corpus_path(name), &recs)) <= 0)
		return -1;
	for (i = 0; i < n; i++) {
		const char	*l = corpus_get(&recs[i], "line");

		if (l == NULL)
			continue;
		lines = realloc(lines, (nlines + 1) * sizeof(*lines));
		lines[nlines++] = strdup(l);
	}
	corpus_free(recs, n);
	return 0;
}

struct stamped {
	int64_t	 t;
	size_t	 i;
	char	*line;
};

static int
stamp_cmp(const void *a, const void *b)
{
	const struct stamped	*x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/*
 * The corpora hold lines of many logs side by side; a log is in time
 * order (a deferral comes before its expiry).  Sort by time, stable.
 */
static void
sort_lines(void)
{
	struct parse_ctx	 ctx = { CORPUS_NOW, utc, 0 };
	struct stamped		*v = calloc(nlines, sizeof(*v));
	size_t			 i;

	for (i = 0; i < nlines; i++) {
		struct delivery	 d;

		parse_line(&ctx, lines[i], strlen(lines[i]), &d);
		v[i].t = d.has_time ? d.time : 0;
		v[i].i = i;
		v[i].line = lines[i];
	}
	qsort(v, nlines, sizeof(*v), stamp_cmp);
	for (i = 0; i < nlines; i++)
		lines[i] = v[i].line;
	free(v);
}

static int
setup(void **state)
{
	const char	*t = getenv("TMPDIR");

	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/bw-store.XXXXXX",
	    t != NULL && *t != '\0' ? t : "/tmp");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	cl = classify_new();
	utc = tz_new("UTC");
	if (cl == NULL || utc == NULL || add_corpus("postfix-lines.txt") == -1 ||
	    add_corpus("real-postfix.txt") == -1 || nlines < 300)
		return -1;
	sort_lines();
	return 0;
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
teardown(void **state)
{
	size_t	 i;

	(void)state;
	classify_free(cl);
	tz_free(utc);
	for (i = 0; i < nlines; i++)
		free(lines[i]);
	free(lines);
	if (getenv("BW_KEEP_TMP") == NULL)
		nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	else
		fprintf(stderr, "# kept %s\n", tmpdir);
	return 0;
}

/* ---- small helpers ---- */

static const char *
tpath(const char *name)
{
	static char	 buf[4][PATH_MAX];
	static int	 i;

	i = (i + 1) % 4;
	if (snprintf(buf[i], sizeof(buf[i]), "%s/%s", tmpdir, name) >=
	    (int)sizeof(buf[i]))
		fail_msg("path too long: %s/%s", tmpdir, name);
	return buf[i];
}

static struct store *
open_rw(const char *path)
{
	struct store	*st;
	enum store_err	 why;
	char		*err = NULL;

	if ((st = store_open(path, STORE_RW, utc, &why, &err)) == NULL)
		fail_msg("store_open(%s): %s (%d)", path, err, (int)why);
	return st;
}

static sqlite3 *
ro_conn(const char *path)
{
	sqlite3	*db = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		fail_msg("open %s: %s", path, sqlite3_errmsg(db));
	sqlite3_busy_timeout(db, 5000);
	return db;
}

static int64_t
q1(sqlite3 *db, const char *sql)
{
	sqlite3_stmt	*q;
	int64_t		 v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(q) == SQLITE_ROW)
		v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return v;
}

/* One integer from a fresh read-only connection: what another reader sees. */
static int64_t
qpath(const char *path, const char *sql)
{
	sqlite3	*db = ro_conn(path);
	int64_t	 v = q1(db, sql);

	sqlite3_close(db);
	return v;
}

static void
xexec(sqlite3 *db, const char *sql)
{
	char	*msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%.200s: %s", sql, msg != NULL ? msg : "?");
}

/* A growing string. */
struct str {
	char	*s;
	size_t	 n, cap;
};

static void
str_add(struct str *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2;
		b->s = realloc(b->s, b->cap);
	}
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = '\0';
}

/* The rows of sql, one per line, columns separated by '|', NULL as \N. */
static void
dump_query(sqlite3 *db, const char *sql, struct str *b)
{
	sqlite3_stmt	*q;
	int		 i, rc;

	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	str_add(b, "## ", 3);
	str_add(b, sql, strlen(sql));
	str_add(b, "\n", 1);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		for (i = 0; i < sqlite3_column_count(q); i++) {
			const char	*v = (const char *)sqlite3_column_text(q, i);

			if (i > 0)
				str_add(b, "|", 1);
			if (v == NULL)
				str_add(b, "\\N", 2);
			else
				str_add(b, v, (size_t)sqlite3_column_bytes(q, i));
		}
		str_add(b, "\n", 1);
	}
	if (rc != SQLITE_DONE)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_finalize(q);
}

/* Everything an import produces, without ids and clock times. */
static const char *const snap_sql[] = {
	"SELECT count(*) FROM failure",
	"SELECT day, domain, class, reason, sum(n) FROM v_daily GROUP BY 1, 2, 3, 4"
	" ORDER BY 1, 2, 3, 4",
	"SELECT f.source_id, f.offset, v.time, v.host, v.queue_id, v.recipient,"
	" v.domain, v.relay, v.status, v.class, v.reason, v.code, v.dsn, v.stage,"
	" v.diagnostic, v.normalized, v.rule FROM v_failures v"
	" JOIN failure f ON f.id = v.id ORDER BY 1, 2, 6, v.id",
	"SELECT path, fp_len, hex(fp), offset, hex(tail), lines, state FROM source"
	" ORDER BY id",
	"SELECT normalized, n, first_seen, last_seen, example, example_domain"
	" FROM unrecognised ORDER BY 1",
	"SELECT template, normalized FROM diagnostic ORDER BY 1",
	"SELECT name FROM domain ORDER BY 1",
	"SELECT day FROM day_span ORDER BY 1",
	"SELECT source_id, kind, n FROM line_stats ORDER BY 1, 2",
	"SELECT p.queue_id, p.rcpt, p.time, f.source_id, f.offset FROM pending p"
	" JOIN failure f ON f.id = p.failure_id ORDER BY 1, 2",
	/* schema 4: hosts and instances */
	"SELECT day, domain, class, reason, host, instance, n FROM v_daily"
	" ORDER BY 1, 2, 3, 4, 5, 6",
	"SELECT f.source_id, f.offset, v.host, v.instance FROM v_failures v"
	" JOIN failure f ON f.id = v.id ORDER BY 1, 2, v.id",
	"SELECT h.name, i.name, p.queue_id, p.rcpt FROM pending p"
	" LEFT JOIN host h ON h.id = p.host_id"
	" LEFT JOIN instance i ON i.id = p.instance_id ORDER BY 1, 2, 3, 4",
};
#define SNAP_ALL	(sizeof(snap_sql) / sizeof(snap_sql[0]))
#define SNAP_V1		(SNAP_ALL - 5)	/* schema 1: no line_stats, pending, host */

static char *
snapshot_n(const char *path, size_t n)
{
	sqlite3		*db = ro_conn(path);
	struct str	 b = { NULL, 0, 0 };
	size_t		 i;

	xexec(db, "BEGIN");
	for (i = 0; i < n; i++)
		dump_query(db, snap_sql[i], &b);
	xexec(db, "COMMIT");
	sqlite3_close(db);
	return b.s;
}

static char *
snapshot(const char *path)
{
	return snapshot_n(path, SNAP_ALL);
}

/* 0 when equal; else print the first differing line and return 1. */
static int
snap_diff(const char *got, const char *want, const char *what)
{
	const char	*g = got, *w = want;
	int		 line = 1;

	if (strcmp(got, want) == 0)
		return 0;
	while (*g != '\0' && *g == *w) {
		if (*g == '\n')
			line++;
		g++;
		w++;
	}
	while (g > got && g[-1] != '\n')
		g--;
	while (w > want && w[-1] != '\n')
		w--;
	fprintf(stderr, "%s: snapshots differ at line %d:\n  want: %.*s\n  got:  %.*s\n",
	    what, line, (int)strcspn(w, "\n"), w, (int)strcspn(g, "\n"), g);
	return 1;
}

static void
snap_equal(const char *got, const char *want, const char *what)
{
	if (snap_diff(got, want, what))
		fail_msg("%s: the database differs (details above)", what);
}

/* The database is sound and every failure row is visible in v_failures. */
static void
check_sound(const char *path)
{
	sqlite3		*db = ro_conn(path);
	sqlite3_stmt	*q;

	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &q,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(q, 0), "ok");
	sqlite3_finalize(q);
	assert_int_equal(q1(db, "SELECT count(*) FROM failure"),
	    q1(db, "SELECT count(*) FROM v_failures"));
	assert_int_equal(q1(db, "SELECT count(*) FROM daily"),
	    q1(db, "SELECT count(*) FROM v_daily"));
	assert_int_equal(q1(db, "SELECT count(*) FROM failure WHERE diagnostic_id"
	    " NOT IN (SELECT id FROM diagnostic)"), 0);
	sqlite3_close(db);
}

/* Bytes of a file, or NULL (and *len 0) when it does not exist. */
static char *
file_bytes(const char *path, size_t *len)
{
	char	*b = corpus_slurp(path, len);

	if (b == NULL)
		*len = 0;
	return b;
}

static int
exists(const char *path)
{
	struct stat	 sb;

	return stat(path, &sb) == 0;
}

static void
write_file(const char *path, const void *buf, size_t len)
{
	FILE	*f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void
remove_db(const char *path)
{
	char	 side[PATH_MAX];

	unlink(path);
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-journal", path);
	unlink(side);
}

/* ---- importing through the store API, as bouncewatch import does ---- */

static void
new_source(struct store *st, const char *name, struct store_source *src)
{
	unsigned char	 head[128];

	memset(head, 0, sizeof(head));
	snprintf((char *)head, sizeof(head), "test source %s, fingerprint of "
	    "at least sixty-four bytes ........................", name);
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_source_new(st, name, head, sizeof(head), 0, 0, src), 0);
	assert_int_equal(store_commit(st), 0);
}

/* store_add() lines [from, to) of the corpus; the offset of line i is i. */
static int
add_lines(struct store *st, int64_t source_id, size_t from, size_t to)
{
	struct parse_ctx	 ctx = { CORPUS_NOW, utc, 0 };
	size_t			 i;

	for (i = from; i < to; i++) {
		struct delivery	 d;
		struct verdict	 v;
		enum line_kind	 k;

		memset(&v, 0, sizeof(v));
		k = parse_line(&ctx, lines[i], strlen(lines[i]), &d);
		if (k == LINE_DELIVERY || k == LINE_EXPIRED)
			classify_delivery(cl, k, &d, &v);
		if (store_add(st, source_id, i, k, &d, &v) == -1)
			return -1;
	}
	return 0;
}

/*
 * Lines [from, to) in one batch that advances src to "to", as bouncewatch
 * import does.  0, or -1 after a rollback.
 */
static int
batch(struct store *st, struct store_source *src, size_t from, size_t to)
{
	if (store_begin(st) == -1)
		return -1;
	if (add_lines(st, src->id, from, to) == -1)
		goto fail;
	src->offset = to;
	src->lines = to;
	if (store_source_save(st, src) == -1 || store_commit(st) == -1)
		goto fail;
	return 0;
fail:
	store_rollback(st);
	return -1;
}

/* A clean import of the whole corpus in the given batches: the reference. */
static char *
clean_snapshot(const char *name, const size_t *cuts, size_t ncuts)
{
	const char		*path = tpath(name);
	struct store		*st;
	struct store_source	 src;
	size_t			 i, from = 0;

	remove_db(path);
	st = open_rw(path);
	new_source(st, "corpus", &src);
	for (i = 0; i <= ncuts; i++) {
		size_t	 to = i < ncuts ? cuts[i] : nlines;

		if (batch(st, &src, from, to) == -1)
			fail_msg("clean import: %s", store_errmsg(st));
		from = to;
	}
	store_close(st);
	check_sound(path);
	return snapshot(path);
}

/* ---- 1. round trip ---- */

/* What a failure row must read back as (NULL: SQL NULL). */
struct xrow {
	int64_t	 off;
	char	*col[14];
	int	 used;
};

static const char *const xrow_cols[14] = {
	"time", "host", "queue_id", "recipient", "domain", "relay", "status",
	"class", "reason", "code", "dsn", "stage", "diagnostic", "rule",
};

/*
 * A recipient deferred and not finally delivered or bounced since; queue
 * ids are unique per host and Postfix instance.
 */
struct pending {
	char	*qid, *rcpt, *relay, *stage, *dsn, *diag;
	char	*host, *inst;
	int	 code;
	int64_t	 time;
};

struct xcount {
	char	 key[600];		/* day|domain|class|reason */
	int64_t	 n;
	int	 used;
};

struct model {
	struct xrow	*rows;
	size_t		 nrows;
	struct pending	*pend;
	size_t		 npend;
	struct xcount	*cnt;
	size_t		 ncnt;
	int64_t		 kinds[LINE_KIND_MAX];
	int64_t		 unrecognised;
	int64_t		 latest;	/* the newest log time */
	int64_t		 forgot_to;	/* pending forgotten before this */
};

static char *
span_dup(struct span s)
{
	char	*p;

	if (s.p == NULL)
		return NULL;
	p = malloc(s.n + 1);
	memcpy(p, s.p, s.n);
	p[s.n] = '\0';
	return p;
}

static char *
str_dup(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

static char *
iso_time(int64_t t)
{
	char		 buf[32];
	time_t		 tt = (time_t)t;
	struct tm	 tm;

	gmtime_r(&tt, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return strdup(buf);
}

static void
model_count(struct model *m, int64_t t, const char *domain,
    const struct verdict *v)
{
	char		 day[16];
	time_t		 tt = (time_t)t;
	struct tm	 tm;
	char		 key[600];
	size_t		 i;

	gmtime_r(&tt, &tm);
	strftime(day, sizeof(day), "%Y-%m-%d", &tm);
	snprintf(key, sizeof(key), "%s|%s|%s|%s", day, domain,
	    classify_class_name(v->cls), classify_reason_name(v->reason));
	for (i = 0; i < m->ncnt; i++)
		if (strcmp(m->cnt[i].key, key) == 0) {
			m->cnt[i].n++;
			return;
		}
	m->cnt = realloc(m->cnt, (m->ncnt + 1) * sizeof(*m->cnt));
	memset(&m->cnt[m->ncnt], 0, sizeof(m->cnt[0]));
	snprintf(m->cnt[m->ncnt].key, sizeof(m->cnt[0].key), "%s", key);
	m->cnt[m->ncnt++].n = 1;
}

/* A row from a delivery (d) or, for an expiry, from a pending recipient. */
static void
model_row(struct model *m, int64_t off, const struct delivery *d,
    const struct verdict *v, const struct pending *p, const char *domain,
    const char *status)
{
	struct xrow	*r;
	char		 code[16];
	int		 c = p != NULL ? p->code : d->code;

	m->rows = realloc(m->rows, (m->nrows + 1) * sizeof(*m->rows));
	r = &m->rows[m->nrows++];
	memset(r, 0, sizeof(*r));
	r->off = off;
	snprintf(code, sizeof(code), "%d", c);
	r->col[0] = iso_time(d->time);
	r->col[1] = span_dup(d->host);
	r->col[2] = span_dup(d->queue_id);
	r->col[3] = p != NULL ? str_dup(p->rcpt) : span_dup(d->recipient);
	r->col[4] = strdup(domain);
	r->col[5] = p != NULL ? str_dup(p->relay) :
	    d->relay.n > 0 ? span_dup(d->relay) : NULL;
	r->col[6] = strdup(status);
	r->col[7] = strdup(classify_class_name(v->cls));
	r->col[8] = strdup(classify_reason_name(v->reason));
	r->col[9] = c != 0 ? strdup(code) : NULL;
	if (p != NULL) {
		r->col[10] = str_dup(p->dsn);
		r->col[11] = str_dup(p->stage);
		r->col[12] = str_dup(p->diag);
	} else {
		r->col[10] = span_dup(d->dsn.p != NULL ? d->dsn : d->enhanced);
		r->col[11] = d->stage.n > 0 ? span_dup(d->stage) : NULL;
		r->col[12] = span_dup(d->diagnostic);
	}
	r->col[13] = str_dup(v->rule);
	if (v->reason == REASON_OTHER && r->col[12] != NULL)
		m->unrecognised++;
}

static int
span_is(struct span s, const char *str)
{
	return str != NULL && s.p != NULL && strlen(str) == s.n &&
	    memcmp(s.p, str, s.n) == 0;
}

static void
pending_free(struct pending *p)
{
	free(p->host);
	free(p->inst);
	free(p->qid);
	free(p->rcpt);
	free(p->relay);
	free(p->stage);
	free(p->dsn);
	free(p->diag);
}

/* The same message: queue id, host and instance (syslog name before '/'). */
static int
model_same_msg(const struct delivery *d, const struct pending *p)
{
	struct span	 inst = d->syslog_name;
	const char	*slash;

	if (inst.p != NULL && (slash = memchr(inst.p, '/', inst.n)) != NULL)
		inst.n = (size_t)(slash - inst.p);
	return span_is(d->queue_id, p->qid) &&
	    (d->host.p == NULL ? p->host == NULL : span_is(d->host, p->host)) &&
	    (inst.p == NULL ? p->inst == NULL : span_is(inst, p->inst));
}

/*
 * At a commit: deferrals older than the queue lifetime before the newest
 * log time are forgotten, at most once per hour of log (store.h).
 */
static void
model_commit(struct model *m)
{
	int64_t	 before = m->latest - STORE_QUEUE_LIFETIME;
	size_t	 i;

	if (m->latest == 0 || before < m->forgot_to + 3600)
		return;
	for (i = 0; i < m->npend; )
		if (m->pend[i].time < before) {
			pending_free(&m->pend[i]);
			m->pend[i] = m->pend[--m->npend];
		} else
			i++;
	m->forgot_to = before;
}

/*
 * The documented semantics, independently of the store: one count per
 * delivery line; a row per failed delivery; an expiry becomes one row and
 * one count per recipient of that message still deferred, else one for
 * the message (domain "").
 */
static void
model_line(struct model *m, int64_t off, enum line_kind k,
    const struct delivery *d, const struct verdict *v)
{
	size_t	 i;
	int	 found = 0;

	m->kinds[k]++;
	if (d->has_time && d->time > m->latest)
		m->latest = d->time;
	if (!d->has_time || (k != LINE_DELIVERY && k != LINE_EXPIRED))
		return;
	if (k == LINE_EXPIRED) {
		for (i = 0; i < m->npend; ) {
			struct pending	*p = &m->pend[i];
			char		 dom[DELIVERY_DOMAIN_MAX] = "";
			const char	*at;
			size_t		 j;

			if (!model_same_msg(d, p)) {
				i++;
				continue;
			}
			if ((at = strrchr(p->rcpt, '@')) != NULL)
				for (j = 0; at[j + 1] != '\0' && j + 1 < sizeof(dom); j++)
					dom[j] = (char)(at[j + 1] >= 'A' && at[j + 1] <= 'Z' ?
					    at[j + 1] + 32 : at[j + 1]);
			model_row(m, off, d, v, p, dom, "expired");
			model_count(m, d->time, dom, v);
			pending_free(p);
			m->pend[i] = m->pend[--m->npend];
			found++;
		}
		if (!found) {
			model_row(m, off, d, v, NULL, "", "expired");
			model_count(m, d->time, "", v);
		}
		return;
	}
	model_count(m, d->time, d->domain, v);
	if (d->queue_id.p != NULL && d->recipient.p != NULL && d->mta == MTA_POSTFIX) {
		for (i = 0; i < m->npend; i++)
			if (model_same_msg(d, &m->pend[i]) &&
			    span_is(d->recipient, m->pend[i].rcpt)) {
				pending_free(&m->pend[i]);
				m->pend[i] = m->pend[--m->npend];
				break;
			}
		if (d->status == DSTATUS_DEFERRED || d->status == DSTATUS_SOFTBOUNCE) {
			struct pending	*p;

			m->pend = realloc(m->pend, (m->npend + 1) * sizeof(*m->pend));
			p = &m->pend[m->npend++];
			p->qid = span_dup(d->queue_id);
			p->rcpt = span_dup(d->recipient);
			p->host = span_dup(d->host);
			p->inst = span_dup(d->syslog_name);
			if (p->inst != NULL && strchr(p->inst, '/') != NULL)
				*strchr(p->inst, '/') = '\0';
			p->time = d->time;
			p->relay = d->relay.n > 0 ? span_dup(d->relay) : NULL;
			p->stage = d->stage.n > 0 ? span_dup(d->stage) : NULL;
			p->dsn = span_dup(d->dsn.p != NULL ? d->dsn : d->enhanced);
			p->diag = span_dup(d->diagnostic);
			p->code = d->code;
		}
	}
	if (v->cls != CLASS_DELIVERED)
		model_row(m, off, d, v, NULL, d->domain, parse_status_name(d->status));
}

static void
model_free(struct model *m)
{
	size_t	 i;
	int	 j;

	for (i = 0; i < m->nrows; i++)
		for (j = 0; j < 14; j++)
			free(m->rows[i].col[j]);
	for (i = 0; i < m->npend; i++)
		pending_free(&m->pend[i]);
	free(m->rows);
	free(m->pend);
	free(m->cnt);
}

static int
nullstr_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static void
report_diff(int64_t off, const char *col, const char *want, const char *got)
{
	size_t	 i = 0;

	if (want == NULL || got == NULL || (strlen(want) < 200 && strlen(got) < 200)) {
		fprintf(stderr, "line %lld (%.60s...): %s: expected \"%s\", got \"%s\"\n",
		    (long long)off, lines[off], col, want ? want : "NULL",
		    got ? got : "NULL");
		return;
	}
	while (want[i] != '\0' && want[i] == got[i])
		i++;
	fprintf(stderr, "line %lld (%.60s...): %s: expected %zu bytes, got %zu; "
	    "from byte %zu expected \"%.40s\", got \"%.40s\"\n", (long long)off,
	    lines[off], col, strlen(want), strlen(got), i, want + i, got + i);
}

static int
check_rows(sqlite3 *db, struct model *m)
{
	static const char sql[] =
	    "SELECT f.offset, v.time, v.host, v.queue_id, v.recipient, v.domain,"
	    " v.relay, v.status, v.class, v.reason, v.code, v.dsn, v.stage,"
	    " v.diagnostic, v.rule FROM v_failures v JOIN failure f ON f.id = v.id"
	    " ORDER BY v.id";
	sqlite3_stmt	*q;
	size_t		 i;
	int		 c, bad = 0, nrows = 0;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
	while (sqlite3_step(q) == SQLITE_ROW) {
		int64_t		 off = sqlite3_column_int64(q, 0);
		const char	*rcpt = (const char *)sqlite3_column_text(q, 4);
		struct xrow	*x = NULL;

		nrows++;
		for (i = 0; i < m->nrows && x == NULL; i++)
			if (!m->rows[i].used && m->rows[i].off == off &&
			    nullstr_eq(m->rows[i].col[3], rcpt))
				x = &m->rows[i];
		for (i = 0; i < m->nrows && x == NULL; i++)	/* recipient wrong */
			if (!m->rows[i].used && m->rows[i].off == off)
				x = &m->rows[i];
		if (x == NULL) {
			fprintf(stderr, "line %lld: unexpected failure row for %s\n",
			    (long long)off, rcpt ? rcpt : "NULL");
			bad++;
			continue;
		}
		x->used = 1;
		for (c = 0; c < 14; c++) {
			const char	*got = (const char *)sqlite3_column_text(q, c + 1);

			if (!nullstr_eq(got, x->col[c])) {
				report_diff(off, xrow_cols[c], x->col[c], got);
				bad++;
			}
		}
	}
	sqlite3_finalize(q);
	for (i = 0; i < m->nrows; i++)
		if (!m->rows[i].used) {
			fprintf(stderr, "line %lld: failure row missing (%s)\n",
			    (long long)m->rows[i].off,
			    m->rows[i].col[3] ? m->rows[i].col[3] : "NULL");
			bad++;
		}
	if ((size_t)nrows != m->nrows) {
		fprintf(stderr, "%d failure rows, expected %zu\n", nrows, m->nrows);
		bad++;
	}
	return bad;
}

static int
check_daily(sqlite3 *db, struct model *m)
{
	sqlite3_stmt	*q;
	size_t		 i;
	int		 bad = 0;

	/* summed over hosts and instances, the model's key */
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT day || '|' || domain || '|' ||"
	    " class || '|' || reason, sum(n) FROM v_daily GROUP BY 1", -1, &q, NULL),
	    SQLITE_OK);
	while (sqlite3_step(q) == SQLITE_ROW) {
		const char	*key = (const char *)sqlite3_column_text(q, 0);
		int64_t		 n = sqlite3_column_int64(q, 1);
		struct xcount	*x = NULL;

		for (i = 0; i < m->ncnt && x == NULL; i++)
			if (strcmp(m->cnt[i].key, key) == 0)
				x = &m->cnt[i];
		if (x == NULL || x->used || x->n != n) {
			fprintf(stderr, "daily %s: %lld, expected %lld\n", key,
			    (long long)n, x != NULL ? (long long)x->n : 0LL);
			bad++;
		}
		if (x != NULL)
			x->used = 1;
	}
	sqlite3_finalize(q);
	for (i = 0; i < m->ncnt; i++)
		if (!m->cnt[i].used) {
			fprintf(stderr, "daily %s: missing, expected %lld\n",
			    m->cnt[i].key, (long long)m->cnt[i].n);
			bad++;
		}
	return bad;
}

/* Lines a real log can hold that the corpora do not spell out. */
static const char *const extra_lines[] = {
	/* a recipient domain in capitals (the domain column is lower case) */
	"Nov 20 10:00:00 mx postfix/smtp[100]: A1B2C3D4E5: to=<Alice.Smith@Example.ORG>, "
	"relay=mx.example.org[192.0.2.10]:25, delay=1.2, delays=0.1/0/0.5/0.6, dsn=5.1.1, "
	"status=bounced (host mx.example.org[192.0.2.10] said: 550 5.1.1 "
	"<Alice.Smith@Example.ORG>: Recipient address rejected: User unknown in virtual "
	"mailbox table (in reply to RCPT TO command))",
	/* recipient, relay and more than three variable words in one text */
	"Nov 20 10:03:00 mx postfix/smtp[103]: BEEF000001: to=<dave@gmail.com>, "
	"relay=gmail-smtp-in.l.google.com[142.250.27.26]:25, delay=2, delays=0.1/0/1/0.9, "
	"dsn=4.2.1, status=deferred (host gmail-smtp-in.l.google.com[142.250.27.26] said: "
	"450-4.2.1 The user you are trying to contact is receiving mail too quickly. "
	"450-4.2.1 dave@gmail.com dave@gmail.com 450 4.2.1 "
	"https://support.google.com/mail/?p=ReceivingRate a640c23a62f3a-aa5f4c6b1c3si1237766b.123 "
	"id 17 at 10:03:00 from 203.0.113.9 - gsmtp (in reply to RCPT TO command))",
	/* two recipients of one message deferred, then the message expires */
	"Nov 20 10:04:00 mx postfix/smtp[104]: F00DBABE01: to=<bob@slow.example>, "
	"relay=mx1.slow.example[198.51.100.7]:25, delay=300, delays=0.1/0/300/0, dsn=4.4.1, "
	"status=deferred (connect to mx1.slow.example[198.51.100.7]:25: Connection timed out)",
	"Nov 20 10:04:00 mx postfix/smtp[104]: F00DBABE01: to=<carol@Other.Example>, "
	"relay=none, delay=300, delays=0.1/0/300/0, dsn=4.4.3, status=deferred (Host or "
	"domain name not found. Name service error for name=other.example type=MX: Host "
	"not found, try again)",
	"Nov 22 10:05:00 mx postfix/qmgr[105]: F00DBABE01: from=<sender@ours.example>, "
	"status=expired, returned to sender",
};

static void
test_round_trip(void **state)
{
	struct parse_ctx	 ctx = { CORPUS_NOW, utc, 0 };
	const char		*path = tpath("roundtrip.db");
	struct store		*st;
	struct store_source	 src;
	struct model		 m;
	sqlite3			*db;
	size_t			 i, n, next = sizeof(extra_lines) / sizeof(extra_lines[0]);
	int			 bad = 0, k;

	(void)state;
	memset(&m, 0, sizeof(m));
	for (i = 0; i < next; i++) {
		lines = realloc(lines, (nlines + 1) * sizeof(*lines));
		lines[nlines++] = strdup(extra_lines[i]);
	}
	/*
	 * A long multi-line reply: 2039 bytes, within Postfix's 2048-byte
	 * line_length_limit, logged with "host ... said:" and "(in reply to
	 * ...)" (2108 bytes); deferred, then expired.
	 */
	{
		struct str	 l = { NULL, 0, 0 };
		static const char head[] =
		    "Nov 21 09:00:00 mx postfix/smtp[106]: C0FFEE0001: to=<erin@big.example>, "
		    "relay=mx.big.example[203.0.113.5]:25, delay=9, delays=0.1/0/1/8, "
		    "dsn=4.2.2, status=deferred (host mx.big.example[203.0.113.5] said: ";
		static const char seg[] =
		    "452-4.2.2 The email account that you tried to reach is over quota. ";
		static const char tail[] =
		    "452 4.2.2 Please retry later (in reply to RCPT TO command))";

		str_add(&l, head, strlen(head));
		for (i = 0; i < 30; i++)
			str_add(&l, seg, strlen(seg));
		str_add(&l, tail, strlen(tail));
		lines = realloc(lines, (nlines + 2) * sizeof(*lines));
		lines[nlines++] = l.s;
		lines[nlines++] = strdup("Nov 23 09:00:00 mx postfix/qmgr[107]: C0FFEE0001: "
		    "from=<sender@ours.example>, status=expired, returned to sender");
		next += 2;
	}
	n = nlines;
	st = open_rw(path);
	new_source(st, "corpus", &src);
	/* batches of 50 lines: counters of one key meet across commits */
	for (i = 0; i < n; i += 50)
		if (batch(st, &src, i, i + 50 < n ? i + 50 : n) == -1)
			fail_msg("batch at %zu: %s", i, store_errmsg(st));
	store_close(st);
	for (i = 0; i < n; i++) {
		struct delivery	 d;
		struct verdict	 v;
		enum line_kind	 kind;

		memset(&v, 0, sizeof(v));
		kind = parse_line(&ctx, lines[i], strlen(lines[i]), &d);
		if (kind == LINE_DELIVERY || kind == LINE_EXPIRED)
			classify_delivery(cl, kind, &d, &v);
		model_line(&m, (int64_t)i, kind, &d, &v);
		/* the store's batches: 50 lines each */
		if ((i + 1) % 50 == 0 || i + 1 == n)
			model_commit(&m);
	}

	check_sound(path);
	db = ro_conn(path);
	assert_true(m.nrows > 150);
	bad += check_rows(db, &m);
	bad += check_daily(db, &m);
	for (k = 0; k < LINE_KIND_MAX; k++) {
		char	 sql[128];
		int64_t	 got;

		snprintf(sql, sizeof(sql), "SELECT coalesce(sum(n), 0) FROM line_stats"
		    " WHERE kind = '%s'", parse_kind_name((enum line_kind)k));
		if ((got = q1(db, sql)) != m.kinds[k]) {
			fprintf(stderr, "line_stats %s: %lld, expected %lld\n",
			    parse_kind_name((enum line_kind)k), (long long)got,
			    (long long)m.kinds[k]);
			bad++;
		}
	}
	if (q1(db, "SELECT count(*) FROM pending") != (int64_t)m.npend) {
		fprintf(stderr, "pending: %lld recipients, expected %zu\n",
		    (long long)q1(db, "SELECT count(*) FROM pending"), m.npend);
		bad++;
	}
	if (q1(db, "SELECT coalesce(sum(n), 0) FROM unrecognised") != m.unrecognised) {
		fprintf(stderr, "unrecognised: %lld, expected %lld\n",
		    (long long)q1(db, "SELECT sum(n) FROM unrecognised"),
		    (long long)m.unrecognised);
		bad++;
	}
	sqlite3_close(db);
	model_free(&m);
	/* the other tests use the corpora alone */
	for (i = n - next; i < n; i++)
		free(lines[i]);
	nlines = n - next;
	if (bad > 0)
		fail_msg("round trip: %d differences (details above)", bad);
}

/* ---- 2. atomicity ---- */

/*
 * Batch boundaries worth testing: every step-th line, and just before each
 * expiry (its deferrals committed, the expiry not yet).  cuts[i] != 0.
 */
static char *
cut_points(size_t step)
{
	struct parse_ctx	 ctx = { CORPUS_NOW, utc, 0 };
	char			*cuts = calloc(nlines + 1, 1);
	size_t			 i;

	for (i = 0; i < nlines; i++) {
		struct delivery	 d;

		if (i % step == 0 ||
		    parse_line(&ctx, lines[i], strlen(lines[i]), &d) == LINE_EXPIRED)
			cuts[i] = 1;
	}
	return cuts;
}

/* Does the corpus from line 'from' on hold a delivery or an expiry? */
static int
rows_after(size_t from)
{
	struct parse_ctx	 ctx = { CORPUS_NOW, utc, 0 };
	struct delivery		 d;
	enum line_kind		 k;
	size_t			 i;

	for (i = from; i < nlines; i++) {
		k = parse_line(&ctx, lines[i], strlen(lines[i]), &d);
		if (k == LINE_DELIVERY || k == LINE_EXPIRED)
			return 1;
	}
	return 0;
}

static void
note_cut(struct str *b, size_t cut)
{
	char	 buf[32];

	snprintf(buf, sizeof(buf), " %zu", cut);
	str_add(b, buf, strlen(buf));
}

/*
 * (a) A failure between the rows and the position leaves neither; the same
 * handle then redoes the batch and the result is a clean import's.  At
 * every batch boundary: deferrals and expiries may fall on either side.
 */
static int
inject_at(size_t cut, const char *want)
{
	const char		*path = tpath("inject.db");
	struct store		*st;
	struct store_source	 src, ghost;
	char			*before, *after, what[96];
	int			 bad;

	remove_db(path);
	st = open_rw(path);
	new_source(st, "corpus", &src);
	assert_int_equal(batch(st, &src, 0, cut), 0);
	before = snapshot(path);

	/* rows of the rest, then a position that cannot be saved */
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(add_lines(st, src.id, cut, nlines), 0);
	ghost = src;
	ghost.id = src.id + 1000;	/* no such source */
	ghost.offset = nlines;
	assert_int_equal(store_source_save(st, &ghost), -1);
	assert_true(store_errmsg(st)[0] != '\0');
	store_rollback(st);
	assert_false(store_in_transaction(st));

	after = snapshot(path);
	snprintf(what, sizeof(what), "batch cut at line %zu: after the injected "
	    "failure", cut);
	snap_equal(after, before, what);
	assert_int_equal(qpath(path, "SELECT offset FROM source"), (int64_t)cut);
	free(after);

	assert_int_equal(batch(st, &src, cut, nlines), 0);
	store_close(st);
	check_sound(path);
	after = snapshot(path);
	snprintf(what, sizeof(what), "batch cut at line %zu: redone after the "
	    "injected failure (same process)", cut);
	bad = snap_diff(after, want, what);
	free(after);
	free(before);
	return bad;
}

static void
test_injected_failure(void **state)
{
	struct str	 bad = { NULL, 0, 0 };
	char		*want, *cuts;
	size_t		 cut;

	(void)state;
	want = clean_snapshot("inject-clean.db", NULL, 0);
	cuts = cut_points(11);
	for (cut = 0; cut < nlines; cut++)
		if (cuts[cut] && inject_at(cut, want))
			note_cut(&bad, cut);
	free(cuts);
	free(want);
	if (bad.s != NULL)
		fail_msg("a redone batch differs from a clean import at cuts%s", bad.s);
}

/*
 * (b) A process dies after adding rows and saving the position, before
 * COMMIT; the next process finds the last committed state and completes it.
 */
static int
crash_at(size_t cut, const char *want)
{
	const char		*path = tpath("crash.db");
	char			 wal[PATH_MAX], what[96];
	struct store		*st;
	struct store_source	 src;
	struct stat		 sb;
	char			*before, *after;
	pid_t			 pid;
	int			 status, bad;

	remove_db(path);
	st = open_rw(path);
	new_source(st, "corpus", &src);
	assert_int_equal(batch(st, &src, 0, cut), 0);
	store_close(st);
	before = snapshot(path);

	fflush(NULL);
	if ((pid = fork()) == 0) {
		struct store	*cs;
		enum store_err	 why;
		char		*err = NULL;
		int		 round;
		int64_t		 v;

		if ((cs = store_open(path, STORE_RW, utc, &why, &err)) == NULL)
			_exit(10);
		/* a tiny page cache: uncommitted pages spill into the WAL */
		if (store_sqlite_exec(cs, "PRAGMA cache_size = 4", &v) == -1)
			_exit(11);
		if (store_begin(cs) == -1)
			_exit(12);
		for (round = 0; round < 20; round++)
			if (add_lines(cs, src.id, cut, nlines) == -1)
				_exit(13);
		src.offset = nlines;
		src.lines = nlines;
		if (store_source_save(cs, &src) == -1)
			_exit(14);
		_exit(0);		/* no COMMIT, no close */
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	assert_int_equal(stat(wal, &sb), 0);
	/*
	 * The batch had reached the file (a batch of a few lines at the end of
	 * the corpus fits in the 4 cached pages: nothing spills to check).
	 */
	if (nlines - cut >= 31 && rows_after(cut) && sb.st_size == 0)
		fail_msg("cut %zu of %zu: the batch never reached the WAL", cut, nlines);

	check_sound(path);
	after = snapshot(path);
	snprintf(what, sizeof(what), "batch cut at line %zu: after a crash before "
	    "COMMIT", cut);
	snap_equal(after, before, what);
	free(after);
	assert_int_equal(qpath(path, "SELECT offset FROM source"), (int64_t)cut);

	/* the next writer continues from the committed position */
	st = open_rw(path);
	assert_int_equal(store_source_get(st, src.id, &src), 1);
	assert_int_equal(src.offset, cut);
	assert_int_equal(batch(st, &src, cut, nlines), 0);
	store_close(st);
	check_sound(path);
	after = snapshot(path);
	snprintf(what, sizeof(what), "batch cut at line %zu: completed by the next "
	    "process", cut);
	bad = snap_diff(after, want, what);
	free(after);
	free(before);
	return bad;
}

static void
test_crash_before_commit(void **state)
{
	struct str	 bad = { NULL, 0, 0 };
	char		*want, *cuts;
	size_t		 cut;

	(void)state;
	want = clean_snapshot("crash-clean.db", NULL, 0);
	cuts = cut_points(31);
	for (cut = 0; cut < nlines; cut++)
		if (cuts[cut] && crash_at(cut, want))
			note_cut(&bad, cut);
	free(cuts);
	free(want);
	if (bad.s != NULL)
		fail_msg("completed after a crash, differs from a clean import at "
		    "cuts%s", bad.s);
}

/* ---- 4. migration ---- */

static void
test_migration(void **state)
{
	const char	*v1 = tpath("v1.db"), *fresh = tpath("v1-rows.db");
	const char	*empty = tpath("fresh.db");
	struct store	*st;
	struct store_source src;
	enum store_err	 why;
	sqlite3		*db;
	char		*sql, *before, *after, *b1, *b2, *err = NULL, buf[PATH_MAX + 64];
	size_t		 len, l1, l2;
	static const char *const copy[] = {
		"meta", "domain", "relay", "host", "rule", "diagnostic",
		"source", "gap", "daily", "failure", "day_span", "unrecognised",
	};
	size_t		 i;

	(void)state;
	/* rows as the current store writes them, to be carried into a v1 file */
	st = open_rw(fresh);
	new_source(st, "corpus", &src);
	assert_int_equal(batch(st, &src, 0, nlines), 0);
	store_close(st);

	sql = corpus_slurp(corpus_path("schema-v1.sql"), &len);
	assert_non_null(sql);
	assert_int_equal(sqlite3_open(v1, &db), SQLITE_OK);
	xexec(db, sql);
	free(sql);
	assert_int_equal(q1(db, "PRAGMA user_version"), 1);
	assert_int_equal(q1(db, "SELECT count(*) FROM sqlite_master WHERE name = 'line_stats'"), 0);
	snprintf(buf, sizeof(buf), "ATTACH '%s' AS cur", fresh);
	xexec(db, buf);
	xexec(db, "BEGIN");
	for (i = 0; i < sizeof(copy) / sizeof(copy[0]); i++) {
		if (strcmp(copy[i], "failure") == 0) {
			/* schema 1 kept code, dsn and a stage id in the row */
			xexec(db, "INSERT INTO main.stage (name) SELECT DISTINCT stage"
			    " FROM cur.reply WHERE stage <> ''");
			snprintf(buf, sizeof(buf), "INSERT INTO main.failure (id, time,"
			    " source_id, offset, host_id, queue_id, local, domain_id, relay_id,"
			    " status_id, class_id, reason_id, code, dsn, stage_id, diagnostic_id,"
			    " rule_id, arg1, arg2, arg3) SELECT f.id, f.time, f.source_id,"
			    " f.offset, f.host_id, f.queue_id, f.local, f.domain_id, f.relay_id,"
			    " f.status_id, f.class_id, f.reason_id, nullif(r.code, 0),"
			    " nullif(r.dsn, ''), (SELECT s.id FROM main.stage s WHERE s.name ="
			    " r.stage), f.diagnostic_id, f.rule_id, f.arg1, f.arg2, f.arg3"
			    " FROM cur.failure f JOIN cur.reply r ON r.id = f.reply_id");
		} else if (strcmp(copy[i], "daily") == 0)	/* no host, instance */
			snprintf(buf, sizeof(buf), "INSERT INTO main.daily SELECT day,"
			    " domain_id, class_id, reason_id, sum(n) FROM cur.daily"
			    " GROUP BY 1, 2, 3, 4");
		else if (strcmp(copy[i], "diagnostic") == 0)	/* schema 1 had no hash */
			snprintf(buf, sizeof(buf), "INSERT INTO main.diagnostic (id, template,"
			    " normalized) SELECT id, template, normalized FROM cur.diagnostic");
		else
			snprintf(buf, sizeof(buf), "INSERT INTO main.%s SELECT * FROM cur.%s",
			    copy[i], copy[i]);
		xexec(db, buf);
	}
	xexec(db, "COMMIT");
	xexec(db, "DETACH cur");
	assert_true(q1(db, "SELECT count(*) FROM failure") > 150);
	sqlite3_close(db);
	before = snapshot_n(v1, SNAP_V1);

	/* a reader never upgrades: it refuses, and the file stays as it was */
	b1 = file_bytes(v1, &l1);
	assert_null(store_open(v1, STORE_RO, utc, &why, &err));
	assert_non_null(strstr(err, "older"));
	free(err);
	b2 = file_bytes(v1, &l2);
	assert_int_equal(l1, l2);
	assert_memory_equal(b1, b2, l1);
	free(b1);
	free(b2);

	st = open_rw(v1);
	assert_int_equal(store_schema_version(st), STORE_SCHEMA_VERSION);
	store_close(st);
	assert_int_equal(qpath(v1, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	assert_int_equal(qpath(v1, "SELECT count(*) FROM sqlite_master"
	    " WHERE type = 'table' AND name = 'line_stats'"), 1);
	check_sound(v1);
	/*
	 * The rows read back through the current views exactly as from the
	 * database they were copied from (the v1 file's own views were
	 * replaced by the migration, and may have been wrong).
	 */
	after = snapshot_n(v1, SNAP_V1);
	{
		char	*ref = snapshot_n(fresh, SNAP_V1);

		snap_equal(after, ref, "rows after migration");
		free(ref);
	}
	free(after);

	/* the migrated schema is the current one, column by column */
	st = open_rw(empty);
	store_close(st);
	{
		static const char schema_q[] =
		    "SELECT m.type, m.name, p.cid, p.name, p.type, p.\"notnull\","
		    " p.dflt_value, p.pk FROM sqlite_master m"
		    " LEFT JOIN pragma_table_xinfo(m.name) p"
		    " WHERE m.name NOT LIKE 'sqlite_%' ORDER BY 1, 2, 3";
		struct str	 s1 = { NULL, 0, 0 }, s2 = { NULL, 0, 0 };
		sqlite3		*a = ro_conn(v1), *b = ro_conn(empty);

		dump_query(a, schema_q, &s1);
		dump_query(b, schema_q, &s2);
		sqlite3_close(a);
		sqlite3_close(b);
		snap_equal(s1.s, s2.s, "migrated schema vs fresh schema");
		free(s1.s);
		free(s2.s);
	}

	/* and it takes new rows */
	st = open_rw(v1);
	assert_int_equal(store_source_get(st, src.id, &src), 1);
	src.offset = 0;
	assert_int_equal(batch(st, &src, 0, 40), 0);
	store_close(st);
	assert_true(qpath(v1, "SELECT sum(n) FROM line_stats") == 40);
	check_sound(v1);
	free(before);
}

/* ---- 5. files that are not ours ---- */

struct victim {
	char	*bytes;
	size_t	 len;
};

static void
victim_save(const char *path, struct victim *v)
{
	v->bytes = file_bytes(path, &v->len);
	assert_non_null(v->bytes);
}

/* The file is byte for byte what it was, and nothing was created beside it. */
static void
victim_check(const char *path, struct victim *v, int sidecars)
{
	char	*now, side[PATH_MAX];
	size_t	 len;

	now = file_bytes(path, &len);
	assert_non_null(now);
	if (len != v->len || memcmp(now, v->bytes, len) != 0)
		fail_msg("%s was modified (%zu bytes, was %zu)", path, len, v->len);
	free(now);
	if (!sidecars) {
		snprintf(side, sizeof(side), "%s-wal", path);
		assert_false(exists(side));
		snprintf(side, sizeof(side), "%s-shm", path);
		assert_false(exists(side));
		snprintf(side, sizeof(side), "%s-journal", path);
		assert_false(exists(side));
	}
}

static void
refuse(const char *path, enum store_err want, const char *msg, int sidecars)
{
	static const enum store_mode modes[] = { STORE_RW, STORE_RO };
	struct victim	 v;
	enum store_err	 why;
	char		*err;
	size_t		 i;

	victim_save(path, &v);
	for (i = 0; i < 2; i++) {
		struct store	*st;

		err = NULL;
		why = STORE_OK;
		st = store_open(path, modes[i], utc, &why, &err);
		if (st != NULL) {
			store_close(st);
			fail_msg("%s: opened in mode %zu", path, i);
		}
		if (why != want)
			fail_msg("%s (mode %zu): error %d, expected %d: %s", path, i,
			    (int)why, (int)want, err);
		if (err == NULL || strstr(err, path) == NULL || strstr(err, msg) == NULL)
			fail_msg("%s (mode %zu): message \"%s\" lacks the path or \"%s\"",
			    path, i, err, msg);
		free(err);
		victim_check(path, &v, sidecars);
	}
	free(v.bytes);
}

/* Random bytes and text files: not a database at all. */
static void
test_not_sqlite(void **state)
{
	const char	*path;
	char		 buf[8192];
	uint32_t	 seed = 4242;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(buf); i++) {
		seed = seed * 1103515245 + 12345;
		buf[i] = (char)(seed >> 16);
	}
	path = tpath("random.bin");
	write_file(path, buf, sizeof(buf));
	refuse(path, STORE_ENOTDB, "not a bouncewatch database", 0);

	path = tpath("notes.txt");
	for (i = 0; i + 40 < sizeof(buf); i += 40)
		memcpy(buf + i, "a text file that is not a database ...\n", 40);
	write_file(path, buf, i);
	refuse(path, STORE_ENOTDB, "not a bouncewatch database", 0);

	path = tpath("short.txt");
	write_file(path, "hello\n", 6);
	refuse(path, STORE_ENOTDB, "not a bouncewatch database", 0);

	/* a server's URI is not taken for a file name (and no file appears) */
	{
		enum store_err	 why;
		char		*err = NULL;

#ifdef HAVE_LIBPQ
		/* built with PostgreSQL: a server that is not there */
		assert_null(store_open("postgresql://localhost:1/bw", STORE_RW, utc,
		    &why, &err));
		assert_int_not_equal(why, STORE_OK);
		assert_non_null(strstr(err, "postgresql: connect"));
#else
		assert_null(store_open("postgresql://localhost/bw", STORE_RW, utc, &why,
		    &err));
		assert_int_equal(why, STORE_EOTHER);
		assert_non_null(strstr(err, "no PostgreSQL backend"));
#endif
		free(err);
		assert_int_equal(access("postgresql:", F_OK), -1);
	}
}

/* Another application's SQLite database. */
static void
test_foreign_db(void **state)
{
	const char	*path;
	sqlite3		*db;

	(void)state;
	path = tpath("places.sqlite");
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	xexec(db, "CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT);"
	    "INSERT INTO moz_places (url) VALUES ('https://example.org/');"
	    "CREATE TABLE source (id INTEGER PRIMARY KEY, name TEXT);");
	sqlite3_close(db);
	refuse(path, STORE_ENOTDB, "not bouncewatch's", 0);

	/* one that numbers its own schema, as many applications do */
	path = tpath("app.sqlite");
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	xexec(db, "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT);"
	    "INSERT INTO items (name) VALUES ('x'); PRAGMA user_version = 7;");
	sqlite3_close(db);
	refuse(path, STORE_ENOTDB, "not bouncewatch's", 0);
}

/* A bouncewatch database written by a newer bouncewatch. */
static void
test_newer_schema(void **state)
{
	const char		*path = tpath("future.db");
	struct store		*st;
	struct store_source	 src;
	sqlite3			*db;

	(void)state;
	st = open_rw(path);
	new_source(st, "corpus", &src);
	assert_int_equal(batch(st, &src, 0, 50), 0);
	store_close(st);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	xexec(db, "PRAGMA user_version = 99");
	xexec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
	sqlite3_close(db);
	refuse(path, STORE_ENEWER, "newer", 1);
}

/* ---- 6. readers beside a writer ---- */

static int
sum_class(const struct store_daily *c, void *arg)
{
	int64_t	*out = arg;

	assert_true(c->cls >= 0 && c->cls < CLASS_MAX);
	out[c->cls] += c->n;
	return 0;
}

/* Totals per class as a read-only store's reader (the report's) sees them. */
static void
report_totals(const char *path, int64_t out[CLASS_MAX])
{
	struct store		*st;
	struct store_range	 all;
	enum store_err		 why;
	char			*err = NULL;

	st = store_open(path, STORE_RO, utc, &why, &err);
	if (st == NULL)
		fail_msg("reader: %s", err);
	memset(out, 0, CLASS_MAX * sizeof(*out));
	memset(&all, 0, sizeof(all));
	all.from = "0000-01-01";
	all.to = "9999-12-31";
	assert_int_equal(store_read_begin(st), 0);
	assert_int_equal(store_daily_range(st, &all, sum_class, out), 0);
	store_read_end(st);
	/* the same as the documented view says */
	for (int k = 0; k < CLASS_MAX; k++) {
		char	 sql[128];

		snprintf(sql, sizeof(sql), "SELECT coalesce(sum(n), 0) FROM v_daily"
		    " WHERE class = '%s'", classify_class_name((enum bw_class)k));
		assert_int_equal(qpath(path, sql), out[k]);
	}
	store_close(st);
}

/* One value from the store's own connection (it sees its transaction). */
static int64_t
qstore(struct store *st, const char *sql)
{
	int64_t	 v = -1;

	if (store_sqlite_exec(st, sql, &v) == -1)
		fail_msg("%s: %s", sql, store_errmsg(st));
	return v;
}

static void
test_reader_beside_writer(void **state)
{
	const char		*path = tpath("readers.db");
	size_t			 cut = nlines / 2;
	struct store		*st;
	struct store_source	 src;
	int64_t			 t1[CLASS_MAX], t2[CLASS_MAX], t3[CLASS_MAX];
	int64_t			 rows;

	(void)state;
	st = open_rw(path);
	new_source(st, "corpus", &src);
	assert_int_equal(batch(st, &src, 0, cut), 0);
	report_totals(path, t1);
	rows = qpath(path, "SELECT count(*) FROM failure");
	assert_true(rows > 0);

	/* the writer holds a write transaction with uncommitted rows */
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(add_lines(st, src.id, cut, nlines), 0);
	assert_true(qstore(st, "SELECT count(*) FROM failure") > rows);
	report_totals(path, t2);
	assert_memory_equal(t1, t2, sizeof(t1));
	assert_int_equal(qpath(path, "SELECT count(*) FROM failure"), rows);

	src.offset = nlines;
	assert_int_equal(store_source_save(st, &src), 0);
	assert_int_equal(store_commit(st), 0);
	report_totals(path, t3);
	assert_true(t3[CLASS_PERMANENT] + t3[CLASS_TEMPORARY] >
	    t1[CLASS_PERMANENT] + t1[CLASS_TEMPORARY]);
	assert_true(qpath(path, "SELECT count(*) FROM failure") > rows);
	store_close(st);
}

/* ---- 8. hosts and instances ---- */

/* store_add() the given lines in one batch (offsets 1, 2, ...). */
static void
add_text(struct store *st, int64_t source_id, const char *const *text, size_t n)
{
	struct parse_ctx	 ctx = { CORPUS_NOW, utc, 0 };
	size_t			 i;

	assert_int_equal(store_begin(st), 0);
	for (i = 0; i < n; i++) {
		struct delivery	 d;
		struct verdict	 v;
		enum line_kind	 k;

		memset(&v, 0, sizeof(v));
		k = parse_line(&ctx, text[i], strlen(text[i]), &d);
		assert_true(k == LINE_DELIVERY || k == LINE_EXPIRED);
		classify_delivery(cl, k, &d, &v);
		assert_int_equal(store_add(st, source_id, i + 1, k, &d, &v), 0);
	}
	assert_int_equal(store_commit(st), 0);
}

/* The rows of a query, one a line, columns separated by '|'. */
static char *
rows_of(const char *path, const char *sql)
{
	struct str	 b = { NULL, 0, 0 };
	sqlite3		*db = ro_conn(path);
	char		*s;

	dump_query(db, sql, &b);
	sqlite3_close(db);
	s = strdup(strchr(b.s, '\n') + 1);
	free(b.s);
	return s;
}

#define HQ	"C0FFEE1234"
#define HL(h, inst, rest) \
	"2026-11-22T" h " " inst "[42]: " HQ ": " rest
#define HDEFER(t, host, inst, rcpt) \
	HL(t " " host, inst "/smtp", "to=<" rcpt ">, relay=none, delay=1, " \
	"delays=0/0/1/0, dsn=4.4.1, status=deferred (connect to mx." rcpt \
	"[192.0.2.1]:25: Connection timed out)")
#define HEXPIRE(t, host, inst) \
	HL(t " " host, inst "/qmgr", "from=<sender@example.org>, status=expired, " \
	"returned to sender")

/*
 * A central log of three hosts (and two instances on mx1) whose queue ids
 * collide: each expiry goes to its own host's deferred recipients, a
 * delivery on one host forgets only that host's, across batches.
 */
static void
test_hosts_collide(void **state)
{
	const char *const	 day1[] = {
		HDEFER("09:00:00+00:00", "mx1", "postfix", "a1@one.example"),
		HDEFER("09:00:01+00:00", "mx2", "postfix", "b2@two.example"),
		HDEFER("09:00:02+00:00", "mx3", "postfix", "c3@three.example"),
		HDEFER("09:00:03+00:00", "mx1", "postfix-out", "d4@four.example"),
		HL("09:30:00+00:00 mx2", "postfix/smtp", "to=<b2@two.example>, "
		    "relay=mx.two.example[192.0.2.2]:25, delay=9, delays=0/0/1/1, "
		    "dsn=2.0.0, status=sent (250 2.0.0 Ok)"),
	};
	const char *const	 day2[] = {
		HEXPIRE("10:00:00+00:00", "mx1", "postfix"),
		HEXPIRE("10:00:01+00:00", "mx3", "postfix"),
		HEXPIRE("10:00:02+00:00", "mx2", "postfix"),
		HEXPIRE("10:00:03+00:00", "mx1", "postfix-out"),
	};
	const char		*path = tpath("hosts.db");
	struct store		*st;
	struct store_source	 src;
	char			*got;

	(void)state;
	remove_db(path);
	st = open_rw(path);
	new_source(st, "central", &src);
	add_text(st, src.id, day1, sizeof(day1) / sizeof(day1[0]));
	store_close(st);
	/* a restart between deferrals and expiries */
	st = open_rw(path);
	add_text(st, src.id, day2, sizeof(day2) / sizeof(day2[0]));
	store_close(st);

	got = rows_of(path, "SELECT host, instance, recipient, domain FROM v_failures"
	    " WHERE status = 'expired' ORDER BY 1, 2, 3");
	assert_string_equal(got,
	    "mx1|postfix|a1@one.example|one.example\n"
	    "mx1|postfix-out|d4@four.example|four.example\n"
	    "mx2|postfix|\\N|\n"
	    "mx3|postfix|c3@three.example|three.example\n");
	free(got);
	/* the counters say the same, per host and instance */
	got = rows_of(path, "SELECT host, instance, domain, n FROM v_daily"
	    " WHERE reason = 'expired' ORDER BY 1, 2, 3");
	assert_string_equal(got,
	    "mx1|postfix|one.example|1\n"
	    "mx1|postfix-out|four.example|1\n"
	    "mx2|postfix||1\n"
	    "mx3|postfix|three.example|1\n");
	free(got);
	got = rows_of(path, "SELECT host, instance, attempts, delivered FROM v_host_day"
	    " ORDER BY 1, 2");
	assert_string_equal(got,
	    "mx1|postfix|2|0\n"
	    "mx1|postfix-out|2|0\n"
	    "mx2|postfix|3|1\n"
	    "mx3|postfix|2|0\n");
	free(got);
	assert_int_equal(qpath(path, "SELECT count(*) FROM pending"), 0);
}

/*
 * A schema 3 database carried forward: its counters get the one host its
 * rows named, its pending deferral its failure row's host, and an expiry
 * logged after the upgrade still finds it (instance unknown: any).
 */
static void
test_migration_v3(void **state)
{
	const char		*path = tpath("v3.db");
	const char *const	 expire[] = { HEXPIRE("10:00:00+00:00", "mx1", "postfix") };
	struct store		*st;
	struct store_source	 src;
	sqlite3			*db;
	char			*sql, *got, buf[1024];
	size_t			 len;

	(void)state;
	remove_db(path);
	sql = corpus_slurp(corpus_path("schema-v3.sql"), &len);
	assert_non_null(sql);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	xexec(db, sql);
	free(sql);
	assert_int_equal(q1(db, "PRAGMA user_version"), 3);
	snprintf(buf, sizeof(buf),
	    "INSERT INTO host (id, name) VALUES (7, 'mx1');"
	    "INSERT INTO domain (id, name) VALUES (1, 'one.example');"
	    "INSERT INTO reply (id, code, dsn, stage) VALUES (1, 0, '4.4.1', '');"
	    "INSERT INTO source (id, path, fp, fp_len, first_seen, last_commit)"
	    " VALUES (1, 'central', x'00', 1, 0, 0);"
	    "INSERT INTO diagnostic (id, hash, template, normalized)"
	    " VALUES (1, %lld, 'Connection timed out', 'Connection timed out');"
	    "INSERT INTO failure (id, time, source_id, offset, host_id, queue_id, local,"
	    " domain_id, status_id, class_id, reason_id, reply_id, diagnostic_id)"
	    " VALUES (1, 1795338000, 1, 1, 7, '" HQ "', 'a1', 1, 2, 2, 8, 1, 1);"
	    "INSERT INTO day_span VALUES ('2026-11-22', 1, 1);"
	    "INSERT INTO daily VALUES ('2026-11-22', 1, 2, 8, 1);"
	    "INSERT INTO pending VALUES ('" HQ "', %lld, 1, 1795338000);",
	    (long long)(((hash_bytes("Connection timed out", 20) | 1) & INT64_MAX) | 1),
	    (long long)(int64_t)hash_bytes("a1@one.example", 14));
	xexec(db, buf);
	sqlite3_close(db);

	st = open_rw(path);
	assert_int_equal(store_schema_version(st), STORE_SCHEMA_VERSION);
	assert_int_equal(store_source_get(st, 1, &src), 1);
	add_text(st, src.id, expire, 1);
	store_close(st);
	got = rows_of(path, "SELECT day, domain, class, reason, host, instance, n"
	    " FROM v_daily ORDER BY 4");
	assert_string_equal(got,
	    "2026-11-22|one.example|permanent|expired|mx1|postfix|1\n"
	    "2026-11-22|one.example|temporary|host_unreachable|mx1|\\N|1\n");
	free(got);
	got = rows_of(path, "SELECT host, instance, recipient FROM v_failures"
	    " WHERE status = 'expired'");
	assert_string_equal(got, "mx1|postfix|a1@one.example\n");
	free(got);
	assert_int_equal(qpath(path, "SELECT count(*) FROM pending"), 0);
	check_sound(path);
}

/*
 * A deferred recipient whose last attempt is older than the queue
 * lifetime (in log time) can no longer expire: it is forgotten, and a
 * younger one stays.
 */
static void
test_pending_lifetime(void **state)
{
	const char *const	 first[] = {
		"2026-11-10T09:00:00+00:00 mx1 postfix/smtp[42]: AAA0000001: to=<old@one.example>, relay=none, delay=1, delays=0/0/1/0, dsn=4.4.1, status=deferred (connect to mx.one.example[192.0.2.1]:25: Connection timed out)",
		"2026-11-12T09:00:00+00:00 mx1 postfix/smtp[42]: AAA0000002: to=<young@two.example>, relay=none, delay=1, delays=0/0/1/0, dsn=4.4.1, status=deferred (connect to mx.two.example[192.0.2.1]:25: Connection timed out)",
	};
	/* five days and an hour after the first deferral */
	const char *const	 later[] = {
		"2026-11-15T10:00:00+00:00 mx1 postfix/smtp[42]: AAA0000003: to=<x@three.example>, relay=mx.three.example[192.0.2.3]:25, delay=1, delays=0/0/1/0, dsn=2.0.0, status=sent (250 Ok)",
	};
	/* a clock ten years ahead is not believed */
	const char *const	 future[] = {
		"2036-11-15T10:00:00+00:00 mx1 postfix/smtp[42]: AAA0000005: to=<z@three.example>, relay=mx.three.example[192.0.2.3]:25, delay=1, delays=0/0/1/0, dsn=2.0.0, status=sent (250 Ok)",
	};
	/* a day and an hour after the second, with a one-day lifetime */
	const char *const	 last[] = {
		"2026-11-13T10:00:00+00:00 mx1 postfix/smtp[42]: AAA0000004: to=<y@three.example>, relay=mx.three.example[192.0.2.3]:25, delay=1, delays=0/0/1/0, dsn=2.0.0, status=sent (250 Ok)",
	};
	const char		*path = tpath("lifetime.db");
	struct store		*st;
	struct store_source	 src;
	char			*got;

	(void)state;
	remove_db(path);
	st = open_rw(path);
	new_source(st, "lifetime", &src);
	add_text(st, src.id, first, 2);
	assert_int_equal(qpath(path, "SELECT count(*) FROM pending"), 2);
	add_text(st, src.id, later, 1);
	got = rows_of(path, "SELECT queue_id FROM pending");
	assert_string_equal(got, "AAA0000002\n");
	free(got);
	add_text(st, src.id, future, 1);
	assert_int_equal(qpath(path, "SELECT count(*) FROM pending"), 1);
	store_close(st);

	/* configurable: one day; the newest log time decides, not the clock */
	st = open_rw(path);
	store_set_queue_lifetime(st, 86400);
	add_text(st, src.id, last, 1);
	store_close(st);
	assert_int_equal(qpath(path, "SELECT count(*) FROM pending"), 0);
}

/* Sources of files long gone are forgotten; the newest of a path stays. */
static void
test_prune_sources(void **state)
{
	const char		*path = tpath("sources.db");
	struct store		*st;
	struct store_source	 src;
	sqlite3			*db;
	char			*got, name[32];
	int			 i;

	(void)state;
	remove_db(path);
	st = open_rw(path);
	for (i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "%s", i < 5 ? "/var/log/mail.log" :
		    "/var/log/other.log");
		new_source(st, name, &src);
	}
	store_close(st);
	/* ids 1..5 of mail.log, 6 of other.log; ages in days, states */
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	xexec(db, "UPDATE source SET state = 'gone', last_commit = strftime('%s') - 31 * 86400"
	    " WHERE id IN (1, 5, 6);"
	    "UPDATE source SET state = 'gone', last_commit = strftime('%s') - 29 * 86400"
	    " WHERE id = 2;"
	    "UPDATE source SET state = 'done', last_commit = strftime('%s') - 401 * 86400"
	    " WHERE id = 3;"
	    "UPDATE source SET state = 'rotated', last_commit = strftime('%s') - 900 * 86400"
	    " WHERE id = 4;");
	sqlite3_close(db);

	st = open_rw(path);
	got = rows_of(path, "SELECT id, state FROM source ORDER BY id");
	/* 1 and 3 go; 2 is young, 4 unfinished, 5 and 6 the newest of their paths */
	assert_string_equal(got, "2|gone\n4|rotated\n5|gone\n6|gone\n");
	free(got);
	assert_int_equal(store_prune_sources(st), 0);
	store_close(st);
}

/*
 * A reader holding a read transaction pins the write-ahead log: the
 * writer says so (once) when it passes the limit, and is at ease again
 * once the reader is gone.
 */
static void
test_wal_held(void **state)
{
	const char		*path = tpath("wal.db");
	struct store		*st;
	struct store_source	 src;
	sqlite3			*reader;
	int			 i;

	(void)state;
	remove_db(path);
	st = open_rw(path);
	store_set_wal_limit(st, 256 * 1024);
	new_source(st, "corpus", &src);
	assert_int_equal(batch(st, &src, 0, nlines), 0);
	assert_int_equal(store_wal_check(st), 0);

	reader = ro_conn(path);
	xexec(reader, "BEGIN");
	assert_true(q1(reader, "SELECT count(*) FROM failure") > 0);
	/* a commit after the reader's snapshot, whatever the file's size */
	i = 0;
	do
		assert_int_equal(batch(st, &src, 0, nlines), 0);
	while (++i < 200 && store_wal_size(st) < 512 * 1024);
	assert_true(store_wal_size(st) >= 512 * 1024);
	assert_int_equal(store_wal_check(st), 1);
	assert_int_equal(store_wal_check(st), 1);
	xexec(reader, "COMMIT");
	sqlite3_close(reader);
	assert_int_equal(store_wal_check(st), 0);
	store_close(st);
	check_sound(path);
}

/* ---- 7. disk full, database locked ---- */

static void
test_disk_full(void **state)
{
	const char		*path = tpath("full.db");
	size_t			 cut = nlines / 2;
	struct store		*st;
	struct store_source	 src;
	char			*before, *after, *want, sql[96];
	int64_t			 pages;

	(void)state;
	want = clean_snapshot("full-clean.db", &cut, 1);
	st = open_rw(path);
	new_source(st, "corpus", &src);
	assert_int_equal(batch(st, &src, 0, cut), 0);
	before = snapshot(path);

	/* no page more than the file has now */
	pages = qstore(st, "PRAGMA page_count");
	snprintf(sql, sizeof(sql), "PRAGMA max_page_count = %lld", (long long)pages);
	qstore(st, sql);
	assert_int_equal(qstore(st, "PRAGMA freelist_count"), 0);
	assert_int_equal(batch(st, &src, cut, nlines), -1);
	assert_int_equal(store_error(st), STORE_EFULL);
	assert_non_null(strstr(store_errmsg(st), "full"));
	after = snapshot(path);
	snap_equal(after, before, "after the full disk");
	free(after);
	check_sound(path);

	/* space returns: the same batch again, on the same handle */
	qstore(st, "PRAGMA max_page_count = 1073741823");
	assert_int_equal(store_source_get(st, src.id, &src), 1);
	assert_int_equal(src.offset, cut);
	assert_int_equal(batch(st, &src, cut, nlines), 0);
	store_close(st);
	check_sound(path);
	after = snapshot(path);
	snap_equal(after, want, "completed after the full disk");
	free(after);
	free(before);
	free(want);
}

/*
 * The zone is applied once, by parse: a writer whose own zone is UTC
 * counts lines parsed in Berlin on their Berlin day (a deferral, its
 * expiry after Berlin's midnight, a bounce after it), not on the UTC day
 * of their time.
 */
static void
test_day_from_parse(void **state)
{
	static const char *const log[] = {
		"2026-07-12T21:30:00+00:00 mx postfix/smtp[1]: 4A1B2C3D4E: "
		"to=<a@late.example>, relay=none, delay=1, delays=0/0/1/0, "
		"dsn=4.4.1, status=deferred (connect to mx.late.example"
		"[192.0.2.1]:25: Connection timed out)",
		"2026-07-12T22:30:00+00:00 mx postfix/qmgr[2]: 4A1B2C3D4E: "
		"from=<s@ours.example>, status=expired, returned to sender",
		"2026-07-12T23:30:00+00:00 mx postfix/smtp[1]: 5B1B2C3D4E: "
		"to=<b@late.example>, relay=mx.late.example[192.0.2.1]:25, "
		"delay=1, delays=0/0/0/1, dsn=5.1.1, status=bounced (host "
		"mx.late.example[192.0.2.1] said: 550 5.1.1 user unknown (in "
		"reply to RCPT TO command))",
	};
	const char		*path = tpath("zone-day.db");
	struct tz		*berlin = tz_new("Europe/Berlin");
	struct parse_ctx	 ctx = { CORPUS_NOW, berlin, 0 };
	struct store_source	 src;
	struct store		*st;
	size_t			 i;

	(void)state;
	assert_non_null(berlin);
	remove_db(path);
	st = open_rw(path);
	new_source(st, "zone-day", &src);
	assert_int_equal(store_begin(st), 0);
	for (i = 0; i < sizeof(log) / sizeof(log[0]); i++) {
		struct delivery	 d;
		struct verdict	 v;
		enum line_kind	 k;

		memset(&v, 0, sizeof(v));
		k = parse_line(&ctx, log[i], strlen(log[i]), &d);
		assert_true(k == LINE_DELIVERY || k == LINE_EXPIRED);
		classify_delivery(cl, k, &d, &v);
		assert_int_equal(store_add(st, src.id, i, k, &d, &v), 0);
	}
	assert_int_equal(store_commit(st), 0);
	store_close(st);
	tz_free(berlin);
	assert_int_equal(qpath(path, "SELECT sum(n) FROM daily WHERE day = '2026-07-12'"
	    " AND class_id = (SELECT id FROM class WHERE name = 'temporary')"), 1);
	assert_int_equal(qpath(path, "SELECT sum(n) FROM daily WHERE day = '2026-07-13'"
	    " AND class_id = (SELECT id FROM class WHERE name = 'permanent')"), 2);
	assert_int_equal(qpath(path, "SELECT count(*) FROM daily WHERE day <> '2026-07-12'"
	    " AND day <> '2026-07-13'"), 0);
	/* the expired recipient's row is in the span of its own day */
	assert_int_equal(qpath(path, "SELECT count(*) FROM failure f, day_span s"
	    " WHERE s.day = '2026-07-13' AND f.id BETWEEN s.first_id AND s.last_id"
	    " AND f.local = 'a'"), 1);
}

static void
test_locked(void **state)
{
	const char		*path = tpath("locked.db");
	size_t			 cut = nlines / 2;
	struct store		*st;
	struct store_source	 src;
	struct timespec		 t0, t1;
	sqlite3			*other;
	char			*before, *after, *want;
	double			 waited;

	(void)state;
	want = clean_snapshot("locked-clean.db", &cut, 1);
	st = open_rw(path);
	new_source(st, "corpus", &src);
	assert_int_equal(batch(st, &src, 0, cut), 0);
	before = snapshot(path);

	assert_int_equal(sqlite3_open(path, &other), SQLITE_OK);
	xexec(other, "BEGIN IMMEDIATE; INSERT INTO meta (key, value) VALUES ('x', 1)");
	store_set_busy_timeout(st, 100);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(store_begin(st), -1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(store_error(st), STORE_EBUSY);
	assert_true(store_errmsg(st)[0] != '\0');
	waited = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_true(waited >= 0.09 && waited < 2.0);
	assert_false(store_in_transaction(st));
	store_rollback(st);
	assert_int_equal(batch(st, &src, cut, nlines), -1);
	assert_int_equal(store_error(st), STORE_EBUSY);
	xexec(other, "ROLLBACK");
	sqlite3_close(other);
	after = snapshot(path);
	snap_equal(after, before, "after the lock");
	free(after);

	assert_int_equal(batch(st, &src, cut, nlines), 0);
	store_close(st);
	check_sound(path);
	after = snapshot(path);
	snap_equal(after, want, "completed after the lock");
	free(after);
	free(before);
	free(want);
}

/* One batch over 100 days: every day's span covers its rows (was cut at 64). */
/*
 * One writer per database, whatever the path: through a symbolic link to
 * the file or to its directory, or with "..", the lock is the same one.
 */
static void
test_lock_paths(void **state)
{
	char	 dir[1024], real[1100], link[1100], dlink[1100], dotdot[1200];
	char	 fresh[1100], fresh_via[1100];
	int	 fd, i;
	enum store_err	 why;
	char	*cause = NULL;

	(void)state;
	snprintf(dir, sizeof(dir), "%s", tpath("lockdir"));
	mkdir(dir, 0700);
	snprintf(real, sizeof(real), "%s/real.db", dir);
	snprintf(link, sizeof(link), "%s/link.db", dir);
	snprintf(dlink, sizeof(dlink), "%s-link/real.db", dir);
	snprintf(dotdot, sizeof(dotdot), "%s/../lockdir/real.db", dir);
	remove_db(real);
	unlink(link);
	snprintf(fresh, sizeof(fresh), "%s-link", dir);
	unlink(fresh);
	assert_int_equal(symlink("real.db", link), 0);
	assert_int_equal(symlink(dir, fresh), 0);
	store_close(open_rw(real));

	{
		const char	*same[] = { link, dlink, dotdot, real };

		for (i = 0; i < 4; i++) {
			const char	*first = same[i], *second = same[(i + 1) % 4];

			fd = store_lock(first, &why, &cause);
			assert_true(fd >= 0);
			if (store_lock(second, &why, &cause) != -1 ||
			    why != STORE_EBUSY)
				fail_msg("%s and %s: two writers", first, second);
			assert_non_null(strstr(cause, "real.db.lock"));
			free(cause);
			close(fd);
		}
	}
	/* a database not created yet, through a linked directory */
	snprintf(fresh, sizeof(fresh), "%s/new.db", dir);
	snprintf(fresh_via, sizeof(fresh_via), "%s-link/new.db", dir);
	fd = store_lock(fresh, &why, &cause);
	assert_true(fd >= 0);
	assert_int_equal(store_lock(fresh_via, &why, &cause), -1);
	assert_int_equal(why, STORE_EBUSY);
	free(cause);
	close(fd);
	/* another database in the same directory is another lock */
	fd = store_lock(real, &why, &cause);
	assert_true(fd >= 0);
	i = store_lock(fresh_via, &why, &cause);
	assert_true(i >= 0);
	/* a directory that is not there: an error, not a writer */
	assert_int_equal(store_lock("/nonexistent-bw-dir/x.db", &why, &cause), -1);
	assert_int_equal(why, STORE_EIO);
	assert_non_null(strstr(cause, "the directory does not exist"));
	free(cause);
	close(i);
	close(fd);
}

static void
test_many_days(void **state)
{
	const char		*path = tpath("days.db");
	struct parse_ctx	 ctx = { CORPUS_NOW, utc, 0 };
	struct store		*st;
	struct store_source	 src;
	int			 i;

	(void)state;
	remove_db(path);
	st = open_rw(path);
	new_source(st, "days", &src);
	assert_int_equal(store_begin(st), 0);
	for (i = 0; i < 100; i++) {
		char		 line[512];
		struct delivery	 d;
		struct verdict	 v;
		enum line_kind	 k;
		int64_t		 t = 1790000000 + (int64_t)i * 86400;
		char		 iso[40];

		emit_time_iso(iso, sizeof(iso), t, 0);
		snprintf(line, sizeof(line), "%s mx postfix/smtp[1]: D%08d: to=<u%d@d%d.example>, "
		    "relay=none, delay=1, delays=0/0/0/1, dsn=5.1.1, status=bounced "
		    "(host x[192.0.2.1] said: 550 5.1.1 no such user (in reply to RCPT TO command))",
		    iso, i, i, i % 7);
		k = parse_line(&ctx, line, strlen(line), &d);
		assert_int_equal(k, LINE_DELIVERY);
		classify_delivery(cl, k, &d, &v);
		assert_int_equal(store_add(st, src.id, (uint64_t)i * 300, k, &d, &v), 0);
	}
	assert_int_equal(store_commit(st), 0);
	store_close(st);
	assert_int_equal(qpath(path, "SELECT count(*) FROM day_span"), 100);
	assert_int_equal(qpath(path, "SELECT count(*) FROM failure f WHERE NOT EXISTS"
	    " (SELECT 1 FROM day_span s WHERE f.id BETWEEN s.first_id AND s.last_id"
	    " AND s.day = date(f.time, 'unixepoch'))"), 0);
}

/* One line into the open batch. */
static void
add_one(struct store *st, int64_t source_id, uint64_t off, const char *line)
{
	struct parse_ctx	 ctx = { CORPUS_NOW, utc, 0 };
	struct delivery		 d;
	struct verdict		 v;
	enum line_kind		 k;

	memset(&v, 0, sizeof(v));
	k = parse_line(&ctx, line, strlen(line), &d);
	assert_true(k == LINE_DELIVERY || k == LINE_EXPIRED);
	classify_delivery(cl, k, &d, &v);
	assert_int_equal(store_add(st, source_id, off, k, &d, &v), 0);
}

/* add_one, then (idle) the store's idle work as an import lends it */
static int	idle_slices;

static void
add_idle(struct store *st, int64_t source_id, uint64_t off, const char *line,
    int idle)
{
	int	 r = 0;

	add_one(st, source_id, off, line);
	while (idle && (r = store_idle(st)) == 1)
		idle_slices++;
	assert_int_equal(r, 0);
}

/* store_domain_counters(): its rows as dump_query() writes them. */
static int
counters_cb(const struct store_daily *c, void *arg)
{
	char	 line[128];

	if (c->day != NULL || c->host_id != 0 || c->instance_id != 0)
		fail_msg("a summed counter with a day or a host");
	snprintf(line, sizeof(line), "%lld|%d|%d|%lld\n", (long long)c->domain_id,
	    c->cls, c->reason, (long long)c->n);
	str_add(arg, line, strlen(line));
	return 0;
}

/*
 * store_domain_counters() sums each domain's counters over the range's
 * days, hosts and instances in domain, class, reason order: as a GROUP BY
 * of the rows gives them, for one day, a few, days missing in the middle,
 * a host filter, a domain, no day at all, and more days than it merges
 * (SQ_MERGE_DAYS: the database sums those).
 */
static void
test_domain_counters(void **state)
{
	static const struct {
		const char	*from, *to;
		int64_t		 domain;
		const char	*hosts;		/* SQL list, NULL: every host */
		int64_t		 ids[2];
		size_t		 nids;
	} cases[] = {
		{ "2026-01-03", "2026-01-03", 0, NULL, { 0 }, 0 },
		{ "2026-01-01", "2026-01-04", 0, NULL, { 0 }, 0 },
		{ "2026-01-02", "2026-01-12", 0, NULL, { 0 }, 0 },	/* 6..8 absent */
		{ "2026-01-01", "2026-01-30", 0, "1", { 1 }, 1 },
		{ "2026-01-01", "2026-01-30", 0, "0, 2", { 0, 2 }, 2 },
		{ "2026-01-05", "2026-01-15", 3, NULL, { 0 }, 0 },
		{ "2025-06-01", "2025-06-30", 0, NULL, { 0 }, 0 },
		{ "2026-01-01", "2026-03-31", 0, NULL, { 0 }, 0 },	/* 67 days */
		{ "2026-01-01", "2026-03-31", 2, "1", { 1 }, 1 },
	};
	const char		*path = tpath("counters.db");
	struct store_range	 r;
	struct str		 got, want;
	struct store		*st;
	sqlite3			*db;
	char			 sql[512];
	size_t			 i;

	(void)state;
	store_close(open_rw(path));
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		fail_msg("open %s", path);
	xexec(db, "WITH RECURSIVE d(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM d"
	    "  WHERE x < 69), v(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM v"
	    "  WHERE x < 3)"
	    " INSERT INTO daily (day, domain_id, class_id, reason_id, host_id,"
	    "  instance_id, n)"
	    " SELECT date('2026-01-01', '+' || d.x || ' days'), dom.x + 1, c.x,"
	    "  CASE r.x WHEN 0 THEN 1 WHEN 1 THEN 2 ELSE 21 END, h.x, i.x,"
	    "  (d.x * 7 + dom.x * 3 + c.x + r.x * 5 + h.x + i.x) % 9 + 1"
	    " FROM d, v dom, v c, v r, v h, v i"
	    " WHERE d.x NOT IN (5, 6, 7) AND r.x < 3 AND h.x < 3 AND i.x < 2"
	    "  AND (d.x + dom.x + c.x * 2 + r.x + h.x) % 3 <> 0");
	sqlite3_close(db);

	st = open_rw(path);
	db = ro_conn(path);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&r, 0, sizeof(r));
		r.from = cases[i].from;
		r.to = cases[i].to;
		r.domain = cases[i].domain;
		if (cases[i].hosts != NULL) {
			r.hosts = cases[i].ids;
			r.nhosts = cases[i].nids;
		}
		memset(&got, 0, sizeof(got));
		memset(&want, 0, sizeof(want));
		assert_int_equal(store_domain_counters(st, &r, counters_cb, &got), 0);
		snprintf(sql, sizeof(sql), "SELECT domain_id, class_id, reason_id,"
		    " sum(n) FROM daily WHERE day BETWEEN '%s' AND '%s'"
		    " AND (%lld = 0 OR domain_id = %lld) AND host_id IN (%s)"
		    " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3", r.from, r.to,
		    (long long)r.domain, (long long)r.domain,
		    cases[i].hosts != NULL ? cases[i].hosts : "0, 1, 2");
		dump_query(db, sql, &want);
		/* dump_query() heads its rows with the query */
		assert_non_null(strchr(want.s, '\n'));
		assert_string_equal(got.s != NULL ? got.s : "",
		    strchr(want.s, '\n') + 1);
		if (i != 6)
			assert_true(got.n > 0);
		free(got.s);
		free(want.s);
	}
	sqlite3_close(db);
	store_close(st);
}

/* store_names(): what it gives each index, in a string. */
struct names_seen {
	struct str	 s;
	size_t		 stop_at;	/* return -1 at this index */
};

static int
names_cb(size_t i, const char *name, void *arg)
{
	struct names_seen	*ns = arg;
	char			 at[32];

	snprintf(at, sizeof(at), "%zu=", i);
	str_add(&ns->s, at, strlen(at));
	str_add(&ns->s, name, strlen(name));
	str_add(&ns->s, ";", 1);
	return i == ns->stop_at ? -1 : 0;
}

/*
 * store_names() walks one cursor over the domains and seeks again past
 * gaps: for ids dense, sparse, missing and past the last, every index
 * gets what store_name() gives that id; a callback's -1 stops it.
 */
static void
test_names(void **state)
{
	static const int64_t	 ids[] = { 1, 2, 3, 5, 8, 13, 21, 22, 40, 41, 99,
		100, 101, 102, 480, 500, 1000, 1003, 1010, 1011, 5000, 5001 };
	const char		*path = tpath("names.db");
	struct names_seen	 got, want;
	struct store		*st;
	sqlite3			*db;
	size_t			 i;
	char			*name;
	int64_t			 id;

	(void)state;
	store_close(open_rw(path));
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		fail_msg("open %s", path);
	xexec(db, "BEGIN");
	for (id = 1; id <= 1010; id++)
		if (id <= 40 || id == 100 || id == 101 || id == 500 || id >= 1000) {
			char	 sql[128];

			snprintf(sql, sizeof(sql), "INSERT INTO domain (id, name)"
			    " VALUES (%lld, 'd%lld.example')", (long long)id,
			    (long long)id * 7);
			xexec(db, sql);
		}
	xexec(db, "COMMIT");
	sqlite3_close(db);

	st = open_rw(path);
	memset(&got, 0, sizeof(got));
	memset(&want, 0, sizeof(want));
	got.stop_at = want.stop_at = (size_t)-1;
	assert_int_equal(store_names(st, STORE_DOMAIN, ids, sizeof(ids) /
	    sizeof(ids[0]), names_cb, &got), 0);
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		assert_non_null(name = store_name(st, STORE_DOMAIN, ids[i]));
		names_cb(i, name, &want);
		free(name);
	}
	assert_string_equal(got.s.s, want.s.s);
	assert_non_null(strstr(got.s.s, ";11=d700.example;12=d707.example;13=;"));

	/* hosts: one by one, the same */
	free(got.s.s);
	memset(&got, 0, sizeof(got));
	got.stop_at = (size_t)-1;
	assert_int_equal(store_names(st, STORE_HOST, ids, 2, names_cb, &got), 0);
	assert_non_null(name = store_name(st, STORE_HOST, ids[0]));
	assert_true(strncmp(got.s.s, "0=", 2) == 0 &&
	    strncmp(got.s.s + 2, name, strlen(name)) == 0);
	free(name);

	/* every id from 1 to 1011: the cursor stepped, never sought again */
	free(got.s.s);
	free(want.s.s);
	memset(&got, 0, sizeof(got));
	memset(&want, 0, sizeof(want));
	got.stop_at = want.stop_at = (size_t)-1;
	{
		int64_t	 all[1011];

		for (i = 0; i < 1011; i++)
			all[i] = (int64_t)i + 1;
		assert_int_equal(store_names(st, STORE_DOMAIN, all, 1011,
		    names_cb, &got), 0);
		for (i = 0; i < 1011; i++) {
			assert_non_null(name = store_name(st, STORE_DOMAIN, all[i]));
			names_cb(i, name, &want);
			free(name);
		}
		assert_string_equal(got.s.s, want.s.s);
	}

	/* stopped by the callback */
	free(got.s.s);
	memset(&got, 0, sizeof(got));
	got.stop_at = 3;
	assert_int_equal(store_names(st, STORE_DOMAIN, ids, sizeof(ids) /
	    sizeof(ids[0]), names_cb, &got), -1);
	assert_string_equal(got.s.s, "0=d7.example;1=d14.example;2=d21.example;"
	    "3=d35.example;");
	free(got.s.s);
	free(want.s.s);
	store_close(st);
}

/*
 * In a database whose pending and suppression tables are large (20,000
 * rows or more when the writer starts), the writer keeps a batch's writes
 * to them and applies them later, in key order: in one batch longer than
 * its buffer, deferrals, deliveries that forget half of them, expiries
 * that must see what is still waiting, and a recipient listed, unlisted
 * and listed again, end as if each line had been written at once.
 */
/*
 * The batch's writes to pending and suppression as buffered and applied
 * in key order (store_sqlite_batch.c); idle: with store_idle() called
 * after each line, as an import's store does between chunks, so that the
 * oldest writes are applied in slices while later ones to the same rows
 * still wait.  path is left with the result.
 */
static void
batch_order_run(const char *path, int idle)
{
	enum { N = 18000, OLD = 20000 };	/* 27,000 writes: > SQ_OPS_MAX */
	struct store		*st;
	struct store_source	 src;
	char			 line[512], iso[40], *got;
	int64_t			 t = 1795000000, off = 0, expect;
	int			 i, j;

	remove_db(path);
	st = open_rw(path);
	new_source(st, "order", &src);
	/* first a history: 20,000 messages deferred, 20,000 recipients listed */
	assert_int_equal(store_begin(st), 0);
	for (i = 0; i < 2 * OLD; i++) {
		emit_time_iso(iso, sizeof(iso), t++, 0);
		snprintf(line, sizeof(line), "%s mx1 postfix/smtp[42]: C%09X: "
		    "to=<o%d@old.example>, relay=mx.old.example[192.0.2.1]:25, delay=1, "
		    "delays=0/0/1/0, %s", iso, i, i % OLD, i < OLD ?
		    "dsn=4.4.1, status=deferred (host mx.old.example[192.0.2.1] said: "
		    "451 4.3.0 try later (in reply to RCPT TO command))" :
		    "dsn=5.1.1, status=bounced (host mx.old.example[192.0.2.1] said: "
		    "550 5.1.1 no such user (in reply to RCPT TO command))");
		add_one(st, src.id, (uint64_t)++off, line);
	}
	assert_int_equal(store_commit(st), 0);
	store_close(st);
	st = open_rw(path);
	assert_int_equal(store_begin(st), 0);
	/* every message deferred, then the even ones delivered */
	for (j = 0; j < 2; j++)
		for (i = 0; i < N; i += j + 1) {
			emit_time_iso(iso, sizeof(iso), t++, 0);
			snprintf(line, sizeof(line), "%s mx1 postfix/smtp[42]: A%09X: "
			    "to=<r%d@d%d.example>, %s", iso, i, i, i % 50, j == 0 ?
			    "relay=none, delay=1, delays=0/0/1/0, dsn=4.4.1, status=deferred "
			    "(connect to mx.example[192.0.2.1]:25: Connection timed out)" :
			    "relay=mx.example[192.0.2.1]:25, delay=1, delays=0/0/1/0, "
			    "dsn=2.0.0, status=sent (250 Ok)");
			add_idle(st, src.id, (uint64_t)++off, line, idle);
		}
	for (i = 0; i < N; i += 3) {
		emit_time_iso(iso, sizeof(iso), t++, 0);
		snprintf(line, sizeof(line), "%s mx1 postfix/qmgr[42]: A%09X: "
		    "from=<sender@example.org>, status=expired, returned to sender", iso, i);
		add_idle(st, src.id, (uint64_t)++off, line, idle);
	}
	/*
	 * s0..s9 listed, s0..s4 delivered (unlisted), s0 and s1 listed again;
	 * o0..o2 of the history delivered
	 */
	for (j = 0; j < 4; j++)
		for (i = 0; i < (j == 0 ? 10 : j == 1 ? 5 : j == 2 ? 2 : 3); i++) {
			emit_time_iso(iso, sizeof(iso), t++, 0);
			snprintf(line, sizeof(line), "%s mx1 postfix/smtp[42]: B%09X: "
			    "to=<%c%d@%s.example>, relay=mx.x.example[192.0.2.1]:25, delay=1, "
			    "delays=0/0/1/0, %s", iso, j * 100 + i, j == 3 ? 'o' : 's', i,
			    j == 3 ? "old" : "x", j % 2 == 1 ?
			    "dsn=2.0.0, status=sent (250 Ok)" : "dsn=5.1.1, status=bounced "
			    "(host mx.x.example[192.0.2.1] said: 550 5.1.1 no such user (in "
			    "reply to RCPT TO command))");
			add_idle(st, src.id, (uint64_t)++off, line, idle);
		}
	/*
	 * Several writes to one row, which the buffer reduces to what the
	 * last leaves: history messages 10..19 deferred again, then delivered
	 * (their rows must go, though the batch's first write to them is a
	 * deferral: they were there before); 20..24 deferred again (their rows
	 * now name the new failure); new messages D0..D9 deferred twice and
	 * delivered (no row), E0..E4 deferred twice (one row each, the
	 * second's failure); o30..o39 of the history delivered twice, once
	 * with a time before they were listed, first or second (their rows
	 * go).
	 */
	for (j = 0; j < 2; j++)
		for (i = 10; i < 25; i++) {
			emit_time_iso(iso, sizeof(iso), t++, 0);
			snprintf(line, sizeof(line), "%s mx1 postfix/smtp[42]: C%09X: "
			    "to=<o%d@old.example>, %s", iso, i, i, j == 0 || i >= 20 ?
			    "relay=none, delay=1, delays=0/0/1/0, dsn=4.2.2, status=deferred "
			    "(host mx.old.example[192.0.2.1] said: 452 4.2.2 over quota "
			    "again (in reply to RCPT TO command))" :
			    "relay=mx.old.example[192.0.2.1]:25, delay=1, delays=0/0/1/0, "
			    "dsn=2.0.0, status=sent (250 Ok)");
			add_idle(st, src.id, (uint64_t)++off, line, idle);
		}
	for (j = 0; j < 3; j++)
		for (i = 0; i < 15; i++) {
			if (j == 2 && i >= 10)
				break;
			emit_time_iso(iso, sizeof(iso), t++, 0);
			snprintf(line, sizeof(line), "%s mx1 postfix/smtp[42]: %c%09X: "
			    "to=<n%d@new.example>, %s", iso, i < 10 ? 'D' : 'E', i, i,
			    j < 2 ? "relay=none, delay=1, delays=0/0/1/0, dsn=4.4.1, "
			    "status=deferred (connect to mx.new.example[192.0.2.1]:25: "
			    "Connection timed out)" :
			    "relay=mx.new.example[192.0.2.1]:25, delay=1, delays=0/0/1/0, "
			    "dsn=2.0.0, status=sent (250 Ok)");
			add_idle(st, src.id, (uint64_t)++off, line, idle);
		}
	for (j = 0; j < 2; j++)
		for (i = 30; i < 40; i++) {
			/* one of the two before the history listed them */
			emit_time_iso(iso, sizeof(iso), (i < 35) == (j == 0) ?
			    1795000000 - 10 : t++, 0);
			snprintf(line, sizeof(line), "%s mx1 postfix/smtp[42]: F%09X: "
			    "to=<o%d@old.example>, relay=mx.old.example[192.0.2.1]:25, "
			    "delay=1, delays=0/0/1/0, dsn=2.0.0, status=sent (250 Ok)",
			    iso, j * 100 + i, i);
			add_idle(st, src.id, (uint64_t)++off, line, idle);
		}
	assert_int_equal(store_commit(st), 0);
	store_close(st);

	/* still deferred: the history's, and the odd ones no expiry took */
	for (expect = OLD - 10 + 5, i = 1; i < N; i += 2)
		expect += i % 3 != 0;
	assert_int_equal(qpath(path, "SELECT count(*) FROM pending"), expect);
	assert_int_equal(qpath(path, "SELECT count(*) FROM pending WHERE queue_id"
	    " BETWEEN 'C00000000A' AND 'C000000013' OR queue_id LIKE 'D%'"), 0);
	/* the rows written again name the last failure: "over quota again" */
	assert_int_equal(qpath(path, "SELECT count(*) FROM pending p JOIN v_failures f"
	    " ON f.id = p.failure_id WHERE (p.queue_id BETWEEN 'C000000014' AND"
	    " 'C000000018' AND f.diagnostic LIKE '%again%') OR (p.queue_id LIKE 'E%'"
	    " AND f.id > (SELECT max(id) FROM failure WHERE queue_id LIKE 'D%'))"), 10);
	/* an expiry of a message still deferred names its recipient... */
	for (expect = 0, i = 0; i < N; i += 3)
		expect += i % 2 == 1;
	assert_int_equal(qpath(path, "SELECT count(*) FROM v_failures WHERE"
	    " status = 'expired' AND recipient LIKE 'r%@d%.example'"), expect);
	/* ...one delivered before has none */
	for (expect = 0, i = 0; i < N; i += 3)
		expect += i % 2 == 0;
	assert_int_equal(qpath(path, "SELECT count(*) FROM v_failures WHERE"
	    " status = 'expired' AND recipient IS NULL"), expect);
	/* o0..o2, o10..o19 (delivered after their deferral), o30..o39 unlisted */
	assert_int_equal(qpath(path, "SELECT count(*) FROM suppression"),
	    OLD - 3 - 10 - 10 + 7);
	assert_int_equal(qpath(path, "SELECT count(*) FROM v_suppressions WHERE"
	    " recipient IN ('o10@old.example', 'o30@old.example', 'o34@old.example',"
	    " 'o35@old.example', 'o39@old.example', 'o9@old.example',"
	    " 'o25@old.example')"), 2);
	assert_int_equal(qpath(path, "SELECT count(*) FROM v_suppressions"
	    " WHERE recipient IN ('o0@old.example', 'o2@old.example', 'o3@old.example')"), 1);
	got = rows_of(path, "SELECT recipient, n FROM v_suppressions"
	    " WHERE domain = 'x.example' ORDER BY 1");
	assert_string_equal(got, "s0@x.example|1\ns1@x.example|1\ns5@x.example|1\n"
	    "s6@x.example|1\ns7@x.example|1\ns8@x.example|1\ns9@x.example|1\n");
	free(got);
}

static void
test_batch_order(void **state)
{
	(void)state;
	batch_order_run(tpath("order.db"), 0);
}

/*
 * The same writes with the store lending its idle time: the same tables
 * as without, row for row (a slice applied out of order, applied twice,
 * or a buffer compacted wrong leaves other rows).
 */
static void
test_batch_order_idle(void **state)
{
	const char	*plain = tpath("order.db"), *idle = tpath("order-idle.db");
	const char	*dump[] = {
		"SELECT host_id, instance_id, queue_id, rcpt, failure_id, time"
		" FROM pending ORDER BY 1, 2, 3, 4",
		"SELECT domain_id, local, reason_id, first_seen, last_seen, n,"
		" failure_id FROM suppression ORDER BY 1, 2",
		"SELECT count(*), sum(id), sum(time) FROM failure",
	};
	char		*a, *b;
	size_t		 i;

	(void)state;
	batch_order_run(plain, 0);
	idle_slices = 0;
	batch_order_run(idle, 1);
	/* 27,000 writes to pending, all but the newest 8,192 in slices of 512 */
	assert_true(idle_slices >= 30);
	for (i = 0; i < sizeof(dump) / sizeof(dump[0]); i++) {
		a = rows_of(plain, dump[i]);
		b = rows_of(idle, dump[i]);
		assert_true(strlen(a) > 0);
		assert_string_equal(a, b);
		free(a);
		free(b);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lock_paths),
		cmocka_unit_test(test_many_days),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_injected_failure),
		cmocka_unit_test(test_crash_before_commit),
		cmocka_unit_test(test_migration),
		cmocka_unit_test(test_migration_v3),
		cmocka_unit_test(test_hosts_collide),
		cmocka_unit_test(test_pending_lifetime),
		cmocka_unit_test(test_prune_sources),
		cmocka_unit_test(test_wal_held),
		cmocka_unit_test(test_not_sqlite),
		cmocka_unit_test(test_foreign_db),
		cmocka_unit_test(test_newer_schema),
		cmocka_unit_test(test_reader_beside_writer),
		cmocka_unit_test(test_disk_full),
		cmocka_unit_test(test_locked),
		cmocka_unit_test(test_day_from_parse),
		cmocka_unit_test(test_batch_order),
		cmocka_unit_test(test_batch_order_idle),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_domain_counters),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
