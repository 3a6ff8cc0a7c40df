/*
 * store_sqlite_batch.c -- the SQLite writer's buffer of a batch's writes
 * to pending and suppression, applied in the order of their keys.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "store_sqlite.h"
#include "util.h"

/*
 * Their keys (a queue id, a recipient) are random: in a database months
 * old each write landed on another page of tables far larger than the
 * page cache, which wrote pages to the WAL mid-transaction and read them
 * back again and again (day 30's import into a 29-day database: 11,805
 * WAL writes and 9,542 WAL reads for 2,354 pages changed).  So, once a
 * table is that large (SQ_OPS_FROM rows when the writer loads its keys),
 * a deferral, a delivery, a listing and an unlisting are kept in a
 * buffer and applied in the order of the table's primary key: when a
 * buffer is full (both then), before anything reads the table (an
 * expiry: only that message's), and at commit; a rollback drops them.
 * Each application sweeps nearly every page of its table (18,461 writes
 * to pending on day 30 touch 549 of its 556 leaves), and between two
 * sweeps the page cache has dropped them: so a buffer holds the writes
 * of a 1M-line day, applied once at commit (the store is the slower
 * stage of the pipeline: the reader overlapped none of that work).
 * Day 30 of bench/scale.sh into the 29-day database, 8192 writes a
 * buffer -> 24576: 3 sweeps of each table -> 1, 19.3 -> 10.6 MB written
 * to the WAL, 31.9 -> 21.3 MB read back from it, 22,909 -> 18,146
 * preads and pwrites; peak RSS 26.6 -> 28.1 MiB.  Writes to one key
 * keep their order and writes to different keys commute: the tables end
 * as if each write had been applied at once.  A small table is written
 * at once: there the buffer would only add work, in bursts the reading
 * thread waits for.  Since parsing became the slower stage, an import's
 * store waits for lines a third of its time: it applies the oldest
 * writes then (sq_ops_idle), and the commit finds the newest left.
 */

struct sq_op {
	int64_t		 k1;		/* host | domain */
	int64_t		 k2;		/* instance | 0 */
	int64_t		 k3;		/* rcpt | 0 */
	int64_t		 v[3];		/* failure, time | reason, time, failure */
	const char	*p;		/* the text, set when applying */
	uint32_t	 off;		/* queue id | local part, in the arena */
	uint32_t	 len;
	uint32_t	 seq;
	uint32_t	 next;		/* pending: the message's bucket's, or SQ_OPS_END */
	enum sq_opkind	 kind;
	int		 unknown;	/* a deferral of a key no row had before */
};

#define SQ_OPS_FROM	20000		/* rows: from this size on, buffer */
#define SQ_OPS_MAX	24576		/* writes per buffer (1.9 MiB) */
#define SQ_OPS_TEXT	(768 * 1024)	/* bytes of keys per buffer */
#define SQ_OPS_BUCKETS	4096		/* pending: the writes of a message */
#define SQ_OPS_END	UINT32_MAX
#define SQ_OPS_KEEP	8192		/* sq_ops_idle: the newest writes wait */
#define SQ_OPS_SLICE	512		/* ... and applies this many at a time */

struct sq_ops {
	struct sq_op	*op;
	size_t		 n, cap;
	size_t		 idle;		/* op[0..idle) applied by sq_ops_idle */
	struct sq_op	*slice;		/* its scratch: SQ_OPS_SLICE */
	char		*text;
	size_t		 tlen, tcap;
	uint32_t	 head[SQ_OPS_BUCKETS];
};

void
sq_ops_clear(struct sq_ops *o)
{
	if (o == NULL)
		return;
	o->n = o->tlen = o->idle = 0;
	memset(o->head, 0xff, sizeof(o->head));
}

/* Buffer the writes to a table of nrows rows, or stop (*op empty). */
void
sq_ops_use(struct sq_ops **op, int64_t nrows)
{
	if (nrows < SQ_OPS_FROM) {
		if (*op != NULL) {
			free((*op)->op);
			free((*op)->slice);
			free((*op)->text);
			free(*op);
			*op = NULL;
		}
	} else if (*op == NULL) {
		*op = xcalloc(1, sizeof(**op));
		sq_ops_clear(*op);
	}
}

void
sq_ops_free(struct sq *sq)
{
	sq_ops_use(&sq->pend, 0);
	sq_ops_use(&sq->supp, 0);
}

/* The bucket of a message (its host and queue id). */
static uint32_t
sq_ops_bucket(int64_t host_id, struct span qid)
{
	return (uint32_t)((hash_fast(qid.p, qid.n) ^ (uint64_t)host_id) %
	    SQ_OPS_BUCKETS);
}

/* A new write at the end of o; its text copied. */
static struct sq_op *
sq_ops_add(struct sq_ops *o, enum sq_opkind kind, int64_t k1, int64_t k2,
    struct span t, int64_t k3)
{
	struct sq_op	*w;

	if (o->n == o->cap) {
		o->cap = o->cap == 0 ? 256 : o->cap * 2;
		o->op = xrealloc(o->op, o->cap * sizeof(*o->op));
	}
	if (o->tcap - o->tlen < t.n) {
		while (o->tcap - o->tlen < t.n)
			o->tcap = o->tcap == 0 ? 4096 : o->tcap * 2;
		o->text = xrealloc(o->text, o->tcap);
	}
	w = &o->op[o->n];
	memset(w, 0, sizeof(*w));
	w->kind = kind;
	w->k1 = k1;
	w->k2 = k2;
	w->k3 = k3;
	w->off = (uint32_t)o->tlen;
	w->len = (uint32_t)t.n;
	w->seq = (uint32_t)o->n++;
	w->next = SQ_OPS_END;
	if (t.n > 0)
		memcpy(o->text + o->tlen, t.p, t.n);
	o->tlen += t.n;
	return w;
}

static int
sq_ops_full(const struct sq_ops *o)
{
	return o->n >= SQ_OPS_MAX || o->tlen >= SQ_OPS_TEXT;
}

/* The table's primary key (text as BINARY): which row two writes are to. */
static int
sq_op_keycmp(const struct sq_op *x, const struct sq_op *y)
{
	size_t	 n = x->len < y->len ? x->len : y->len;
	int	 c;

	if (x->k1 != y->k1)
		return x->k1 < y->k1 ? -1 : 1;
	if (x->k2 != y->k2)
		return x->k2 < y->k2 ? -1 : 1;
	if ((c = n > 0 ? memcmp(x->p, y->p, n) : 0) != 0)
		return c;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	if (x->k3 != y->k3)
		return x->k3 < y->k3 ? -1 : 1;
	return 0;
}

/* Key order, then the writes' order. */
static int
sq_op_cmp(const void *a, const void *b)
{
	const struct sq_op	*x = a, *y = b;
	int			 c;

	if ((c = sq_op_keycmp(x, y)) != 0)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * The writes to one row (w[0..n), in their order) that change what the
 * last of them leaves, marked SQ_OP_DONE otherwise.  A row of pending is
 * set (INSERT OR REPLACE) or deleted whole: only the last write counts,
 * and none when a deferral of a queue id no row had is the first and a
 * delivery the last (a message deferred and delivered within the batch).
 * A suppression row's deletions with no listing between them are one,
 * at the latest time ("last_seen <= time" for the later ones in effect);
 * listings add up (n) and all stay.  Day 30 of bench/scale.sh into the
 * 29-day database: 18,461 writes to pending -> 10,116, 6,162 to
 * suppression -> 3,859; the sweep's statements 46-63 -> 30-32 perf
 * samples (2 runs each); the same tables (bench/same-db.sh).
 */
static void
sq_ops_reduce(struct sq_op *w, size_t n)
{
	size_t	 i;

	if (w[0].kind == SQ_OP_PPUT || w[0].kind == SQ_OP_PDEL) {
		for (i = 0; i + 1 < n; i++)
			w[i].kind = SQ_OP_DONE;
		if (n > 1 && w[0].unknown && w[n - 1].kind == SQ_OP_PDEL)
			w[n - 1].kind = SQ_OP_DONE;
		return;
	}
	for (i = 0; i + 1 < n; i++)
		if (w[i].kind == SQ_OP_SDEL && w[i + 1].kind == SQ_OP_SDEL) {
			if (w[i + 1].v[1] < w[i].v[1])
				w[i + 1].v[1] = w[i].v[1];
			w[i].kind = SQ_OP_DONE;
		}
}

static int
sq_op_apply(struct store *st, const struct sq_op *w)
{
	struct sq	*sq = SQ(st);
	struct span	 t = { w->p, w->len };
	sqlite3_stmt	*q;

	switch (w->kind) {
	case SQ_OP_PPUT:
	case SQ_OP_PDEL:
		q = sq->st[w->kind == SQ_OP_PPUT ? SQ_PENDING_PUT : SQ_PENDING_DEL];
		sqlite3_bind_int64(q, 1, w->k1);
		sqlite3_bind_int64(q, 2, w->k2);
		sq_bind_span(q, 3, t);
		sqlite3_bind_int64(q, 4, w->k3);
		if (w->kind == SQ_OP_PPUT) {
			sqlite3_bind_int64(q, 5, w->v[0]);
			sqlite3_bind_int64(q, 6, w->v[1]);
		}
		return sq_step(st, q, "pending");
	case SQ_OP_SPUT:
	case SQ_OP_SDEL:
		q = sq->st[w->kind == SQ_OP_SPUT ? SQ_SUPPRESS_PUT : SQ_SUPPRESS_DEL];
		sqlite3_bind_int64(q, 1, w->k1);
		sq_bind_span(q, 2, t);
		if (w->kind == SQ_OP_SDEL)
			sqlite3_bind_int64(q, 3, w->v[1]);
		else {
			sqlite3_bind_int64(q, 3, w->v[0]);
			sqlite3_bind_int64(q, 4, w->v[1]);
			sq_bind_id(q, 5, w->v[2]);
		}
		return sq_step(st, q, "suppression");
	case SQ_OP_DONE:
		break;
	}
	return 0;
}

/* Apply the writes w[0..n) (their text set), in key order, reduced. */
static int
sq_ops_apply_all(struct store *st, struct sq_op *w, size_t n)
{
	size_t	 i, j;

	qsort(w, n, sizeof(*w), sq_op_cmp);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && sq_op_keycmp(&w[i], &w[j]) == 0; j++)
			;
		if (j - i > 1)
			sq_ops_reduce(&w[i], j - i);
	}
	for (i = 0; i < n; i++)
		if (w[i].kind != SQ_OP_DONE && sq_op_apply(st, &w[i]) == -1)
			return -1;	/* the caller rolls back, which clears o */
	return 0;
}

/* Apply every write of o, in key order; o is empty after. */
int
sq_ops_flush(struct store *st, struct sq_ops *o)
{
	size_t	 i, n = 0;

	if (o == NULL || o->n == 0)
		return 0;
	for (i = o->idle; i < o->n; i++) {
		if (o->op[i].kind == SQ_OP_DONE)
			continue;
		o->op[n] = o->op[i];
		o->op[n].p = o->text + o->op[n].off;
		n++;
	}
	if (sq_ops_apply_all(st, o->op, n) == -1)
		return -1;
	sq_ops_clear(o);
	return 0;
}

/*
 * Drop the applied writes op[0..idle) from o: the rest move down, their
 * texts to a new arena, and the chains of each message's writes are
 * linked again.
 */
static void
sq_ops_compact(struct sq_ops *o)
{
	char		*text = xmalloc(o->tcap > 0 ? o->tcap : 1);
	size_t		 i, tlen = 0;
	struct sq_op	*w;
	struct span	 qid;
	uint32_t	 b;

	o->n -= o->idle;
	memmove(o->op, o->op + o->idle, o->n * sizeof(*o->op));
	o->idle = 0;
	memset(o->head, 0xff, sizeof(o->head));
	for (i = 0; i < o->n; i++) {
		w = &o->op[i];
		memcpy(text + tlen, o->text + w->off, w->len);
		w->off = (uint32_t)tlen;
		tlen += w->len;
		w->seq = (uint32_t)i;
		qid.p = text + w->off;
		qid.n = w->len;
		b = sq_ops_bucket(w->k1, qid);
		w->next = o->head[b];
		o->head[b] = w->seq;
	}
	free(o->text);
	o->text = text;
	o->tlen = tlen;
}

/*
 * The store has nothing to do until the reading thread hands it more
 * lines (bouncewatch import: parsing is the slower stage, and the store
 * waits a third of its time): apply the oldest writes of a buffer then,
 * SQ_OPS_SLICE at a time, so that the commit finds few left.  The newest
 * SQ_OPS_KEEP wait: a message deferred now is often delivered soon, and
 * its writes then cancel out at the commit (sq_ops_reduce).  The oldest
 * first keeps each key's writes in order.  1 when it applied some, 0 when
 * none waits, -1 on failure (the caller rolls back).
 */
int
sq_ops_idle(struct store *st)
{
	struct sq	*sq = SQ(st);
	struct sq_ops	*o = sq->pend, *oo = sq->supp;
	size_t		 i, n = 0, end;

	if (o == NULL || o->n - o->idle < SQ_OPS_KEEP + SQ_OPS_SLICE)
		o = oo;
	if (o == NULL || o->n - o->idle < SQ_OPS_KEEP + SQ_OPS_SLICE)
		return 0;
	if (o->slice == NULL)
		o->slice = xcalloc(SQ_OPS_SLICE, sizeof(*o->slice));
	end = o->idle + SQ_OPS_SLICE;
	for (i = o->idle; i < end; i++) {
		if (o->op[i].kind == SQ_OP_DONE)
			continue;
		o->slice[n] = o->op[i];
		o->slice[n].p = o->text + o->op[i].off;
		o->op[i].kind = SQ_OP_DONE;
		n++;
	}
	o->idle = end;
	if (sq_ops_apply_all(st, o->slice, n) == -1)
		return -1;
	if (o->idle >= SQ_OPS_MAX / 2)	/* room for a day's more */
		sq_ops_compact(o);
	return 1;
}

/* Apply now, in their order, the waiting writes to one message's rows. */
int
sq_ops_flush_message(struct store *st, const struct store_qkey *k)
{
	struct sq_ops	*o = SQ(st)->pend;
	struct sq_op	*w;
	uint32_t	 i, *mine = NULL;
	size_t		 n = 0, cap = 0;
	int		 rc = 0;

	if (o == NULL || k->queue_id.p == NULL)
		return 0;
	/* the bucket's chain runs from the newest write */
	for (i = o->head[sq_ops_bucket(k->host_id, k->queue_id)]; i != SQ_OPS_END;
	    i = o->op[i].next) {
		w = &o->op[i];
		if (w->kind == SQ_OP_DONE || w->k1 != k->host_id ||
		    w->len != k->queue_id.n ||
		    memcmp(o->text + w->off, k->queue_id.p, w->len) != 0)
			continue;
		if (n == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			mine = xrealloc(mine, cap * sizeof(*mine));
		}
		mine[n++] = i;
	}
	while (n > 0 && rc == 0) {
		w = &o->op[mine[--n]];
		w->p = o->text + w->off;
		rc = sq_op_apply(st, w);
		w->kind = SQ_OP_DONE;
	}
	free(mine);
	return rc;
}

/* Everything the batch wrote, applied: before commit and whole-table work. */
int
sq_ops_flush_all(struct store *st)
{
	return sq_ops_flush(st, SQ(st)->pend) == -1 ||
	    sq_ops_flush(st, SQ(st)->supp) == -1 ? -1 : 0;
}

/* A write to pending: buffered (sq->pend) or applied at once. */
int
sq_pending_op(struct store *st, enum sq_opkind kind, const struct store_qkey *k,
    int64_t rcpt, int64_t failure_id, int64_t time)
{
	struct sq	*sq = SQ(st);
	struct sq_op	 now, *w = &now;
	uint32_t	 b;

	if (sq->pend == NULL || k->queue_id.p == NULL) {
		memset(&now, 0, sizeof(now));
		now.kind = kind;
		now.k1 = k->host_id;
		now.k2 = k->instance_id;
		now.k3 = rcpt;
		now.p = k->queue_id.p;
		now.len = (uint32_t)k->queue_id.n;
	} else {
		w = sq_ops_add(sq->pend, kind, k->host_id, k->instance_id,
		    k->queue_id, rcpt);
		b = sq_ops_bucket(k->host_id, k->queue_id);
		w->next = sq->pend->head[b];
		sq->pend->head[b] = w->seq;
	}
	w->v[0] = failure_id;
	w->v[1] = time;
	w->unknown = kind == SQ_OP_PPUT && k->unknown;
	if (w == &now)
		return sq_op_apply(st, w);
	return sq_ops_full(sq->pend) ? sq_ops_flush_all(st) : 0;
}

/* A write to suppression: buffered (sq->supp) or applied at once. */
int
sq_suppress_op(struct store *st, enum sq_opkind kind, int64_t domain_id,
    struct span local, int reason, int64_t time, int64_t failure_id)
{
	struct sq	*sq = SQ(st);
	struct sq_op	 now, *w = &now;

	if (sq->supp == NULL || local.p == NULL) {
		memset(&now, 0, sizeof(now));
		now.kind = kind;
		now.k1 = domain_id;
		now.p = local.p;
		now.len = (uint32_t)local.n;
	} else
		w = sq_ops_add(sq->supp, kind, domain_id, 0, local, 0);
	w->v[0] = reason;
	w->v[1] = time;
	w->v[2] = failure_id;
	if (w == &now)
		return sq_op_apply(st, w);
	return sq_ops_full(sq->supp) ? sq_ops_flush_all(st) : 0;
}
