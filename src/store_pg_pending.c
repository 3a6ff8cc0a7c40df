/*
 * store_pg_pending.c -- the PostgreSQL backend's pending deferrals: the
 * recipients whose last attempt was deferred, per node, for attributing
 * "expired".  A batch's puts and deletes are merged in memory and written
 * at commit (or when many) by COPY and two statements.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_pg.h"
#include "util.h"

#define PG_POPS_MAX	(1 << 18)	/* pending operations held at most */

/* ---- pending deferrals ---- */

/*
 * Puts and deletes of the batch are merged in memory, one per (host,
 * instance, queue id, recipient), and written at commit.  An expiry reads
 * the table and lays the batch's operations on its message over what it
 * read.  As in SQLite, instance 0 (not known) matches any instance.
 */
static uint64_t
pg_qhash(const struct store_qkey *k, struct span *qid)
{
	*qid = k->queue_id;
	if (qid->n > PG_QID_MAX)
		qid->n = PG_QID_MAX;
	return hash_bytes(qid->p, qid->n) ^ ((uint64_t)k->host_id * 0x9e3779b97f4a7c15ULL);
}

static int
pg_pop_is(const struct pg_pop *o, const struct store_qkey *k, struct span qid)
{
	return o->host_id == k->host_id && strlen(o->qid) == qid.n &&
	    memcmp(o->qid, qid.p, qid.n) == 0;
}

static struct pg_pop *
pg_pop_find(struct pg *pg, const struct store_qkey *k, struct span qid,
    uint64_t qh, int64_t rcpt)
{
	size_t	 v = hash_find(&pg->popmap, qh ^ (uint64_t)rcpt,
	    (uint64_t)rcpt ^ (uint64_t)k->instance_id);
	struct pg_pop *o;

	if (v == 0)
		return NULL;
	o = &pg->pop[v - 1];
	if (o->rcpt != rcpt || o->instance_id != k->instance_id || !pg_pop_is(o, k, qid))
		return NULL;
	return o;
}

static int
pg_pop(struct store *st, int put, const struct store_qkey *k, int64_t rcpt,
    int64_t failure_id, int64_t time)
{
	struct pg	*pg = PG(st);
	struct pg_pop	*o;
	struct span	 qid;
	uint64_t	 qh = pg_qhash(k, &qid);
	size_t		*head;
	int		 isnew;

	if ((o = pg_pop_find(pg, k, qid, qh, rcpt)) == NULL) {
		if (pg->npop == pg->popcap) {
			pg->popcap = pg->popcap == 0 ? 1024 : pg->popcap * 2;
			pg->pop = xrealloc(pg->pop, pg->popcap * sizeof(*pg->pop));
		}
		o = &pg->pop[pg->npop++];
		memset(o, 0, sizeof(*o));
		o->qid = xmalloc(qid.n + 1);
		memcpy(o->qid, qid.p, qid.n);
		o->qid[qid.n] = '\0';
		o->host_id = k->host_id;
		o->instance_id = k->instance_id;
		o->rcpt = rcpt;
		*hash_slot(&pg->popmap, qh ^ (uint64_t)rcpt,
		    (uint64_t)rcpt ^ (uint64_t)k->instance_id, &isnew) = pg->npop;
		head = hash_slot(&pg->pqids, qh, 0, &isnew);
		o->next = *head;
		*head = pg->npop;
	}
	o->put = put;
	o->dead = 0;
	o->failure_id = failure_id;
	o->time = time;
	if (pg->npop >= PG_POPS_MAX)
		return pg_flush_pending(st);
	return 0;
}

int
pg_pending_put(struct store *st, const struct store_qkey *k, int64_t rcpt,
    int64_t failure_id, int64_t time)
{
	return pg_pop(st, 1, k, rcpt, failure_id, time);
}

int
pg_pending_del(struct store *st, const struct store_qkey *k, int64_t rcpt)
{
	return pg_pop(st, 0, k, rcpt, 0, 0);
}

int
pg_flush_pending(struct store *st)
{
	struct pg	*pg = PG(st);
	struct pg_pop	*o;
	size_t		 i;

	if (pg->npop == 0)
		return 0;
	if (pg_node(st) == -1)
		return -1;
	pg->sql.n = 0;
	for (i = 0; i < pg->npop; i++) {
		o = &pg->pop[i];
		if (o->dead)
			continue;
		pg_buf_printf(&pg->sql, "%c\t%lld\t%lld\t", o->put ? 't' : 'f',
		    (long long)o->host_id, (long long)o->instance_id);
		pg_buf_text(&pg->sql, o->qid, strlen(o->qid), 1);
		if (o->put)
			pg_buf_printf(&pg->sql, "\t%lld\t%lld\t%lld\n", (long long)o->rcpt,
			    (long long)o->failure_id, (long long)o->time);
		else
			pg_buf_printf(&pg->sql, "\t%lld\t\\N\t\\N\n", (long long)o->rcpt);
	}
	pg_pop_drop(pg);
	if (pg_copy(st, "COPY bw_pending_op FROM STDIN", &pg->sql, "pending") == -1)
		return -1;
	pg->sql.n = 0;
	pg_buf_printf(&pg->sql,
	    "DELETE FROM pending p USING bw_pending_op o WHERE NOT o.put"
	    " AND p.node_id = %lld AND p.host_id = o.host_id"
	    " AND p.instance_id IN (o.instance_id, 0) AND p.queue_id = o.queue_id"
	    " AND p.rcpt = o.rcpt;"
	    "INSERT INTO pending (node_id, host_id, instance_id, queue_id, rcpt,"
	    " failure_id, time) SELECT %lld, host_id, instance_id, queue_id, rcpt,"
	    " failure_id, time FROM bw_pending_op o WHERE o.put"
	    " ON CONFLICT (node_id, host_id, instance_id, queue_id, rcpt) DO UPDATE"
	    " SET failure_id = excluded.failure_id, time = excluded.time;"
	    "TRUNCATE bw_pending_op", (long long)pg->node_id, (long long)pg->node_id);
	return pg_cmd(st, pg->c, pg->sql.p, "pending");
}

void
pg_pop_drop(struct pg *pg)
{
	size_t	 i;

	for (i = 0; i < pg->npop; i++)
		free(pg->pop[i].qid);
	pg->npop = 0;
	hash_clear(&pg->popmap);
	hash_clear(&pg->pqids);
}

/* A statement of this node about one message (host, instance, queue id). */
static PGresult *
pg_pending_q(struct store *st, const char *sql, const struct store_qkey *k,
    ExecStatusType want)
{
	struct pg	*pg = PG(st);
	char		 num[3][32];
	const char	*v[4] = { num[0], num[1], num[2], NULL };
	struct span	 qid = k->queue_id;

	if (pg_node(st) == -1)
		return NULL;
	snprintf(num[0], 32, "%lld", (long long)pg->node_id);
	snprintf(num[1], 32, "%lld", (long long)k->host_id);
	snprintf(num[2], 32, "%lld", (long long)k->instance_id);
	pg->tmp.n = 0;
	pg_buf_text(&pg->tmp, qid.p, qid.n < PG_QID_MAX ? qid.n : PG_QID_MAX, 0);
	v[3] = pg->tmp.p;
	return pg_exec(st, pg->c, sql, 4, v, NULL, NULL, want, "pending");
}

/* The batch's operations on one message, in turn (NULL: the end). */
static struct pg_pop *
pg_pop_next(struct pg *pg, const struct store_qkey *k, size_t *at)
{
	struct pg_pop	*o;
	struct span	 qid;
	uint64_t	 qh = pg_qhash(k, &qid);

	if (*at == (size_t)-1)
		*at = hash_find(&pg->pqids, qh, 0);
	while (*at != 0) {
		o = &pg->pop[*at - 1];
		*at = o->next;
		if (!o->dead && pg_pop_is(o, k, qid) &&
		    (o->instance_id == k->instance_id || o->instance_id == 0))
			return o;
	}
	return NULL;
}

struct pg_rcpt {
	int64_t		 rcpt;
	int64_t		 instance_id;
	int64_t		 failure_id;
};

static int
pg_rcpt_cmp(const void *a, const void *b)
{
	const struct pg_rcpt	*x = a, *y = b;

	if (x->instance_id != y->instance_id)
		return x->instance_id < y->instance_id ? -1 : 1;
	return x->rcpt < y->rcpt ? -1 : x->rcpt > y->rcpt;
}

int
pg_pending_get(struct store *st, const struct store_qkey *k, int64_t **ids)
{
	struct pg	*pg = PG(st);
	struct pg_rcpt	*v = NULL;
	struct pg_pop	*o;
	PGresult	*r;
	size_t		 n = 0, cap, i, at = (size_t)-1;

	*ids = NULL;
	if ((r = pg_pending_q(st, "SELECT rcpt, instance_id, failure_id FROM pending"
	    " WHERE node_id = $1 AND host_id = $2 AND instance_id IN ($3, 0)"
	    " AND queue_id = $4", k, PGRES_TUPLES_OK)) == NULL)
		return -1;
	cap = (size_t)PQntuples(r) + 8;
	v = xcalloc(cap, sizeof(*v));
	for (i = 0; i < (size_t)PQntuples(r); i++) {
		v[n].rcpt = strtoll(PQgetvalue(r, (int)i, 0), NULL, 10);
		v[n].instance_id = strtoll(PQgetvalue(r, (int)i, 1), NULL, 10);
		v[n++].failure_id = strtoll(PQgetvalue(r, (int)i, 2), NULL, 10);
	}
	PQclear(r);
	while ((o = pg_pop_next(pg, k, &at)) != NULL) {
		for (i = 0; i < n && (v[i].rcpt != o->rcpt ||
		    v[i].instance_id != o->instance_id); i++)
			;
		if (!o->put) {
			/* a delete takes the instance's row and an unknown one's */
			for (i = 0; i < n; i++)
				if (v[i].rcpt == o->rcpt && (v[i].instance_id ==
				    o->instance_id || v[i].instance_id == 0))
					v[i--] = v[--n];
			continue;
		}
		if (i == n) {
			if (n == cap)
				v = xrealloc(v, (cap *= 2) * sizeof(*v));
			v[n].rcpt = o->rcpt;
			v[n++].instance_id = o->instance_id;
		}
		v[i].failure_id = o->failure_id;
	}
	/* in the order of the table's key */
	qsort(v, n, sizeof(*v), pg_rcpt_cmp);
	if (n > 0)
		*ids = xcalloc(n, sizeof(**ids));
	for (i = 0; i < n; i++)
		(*ids)[i] = v[i].failure_id;
	free(v);
	return (int)n;
}

int
pg_pending_forget(struct store *st, const struct store_qkey *k)
{
	struct pg	*pg = PG(st);
	struct pg_pop	*o;
	PGresult	*r;
	size_t		 at = (size_t)-1;

	while ((o = pg_pop_next(pg, k, &at)) != NULL)
		o->dead = 1;
	if ((r = pg_pending_q(st, "DELETE FROM pending WHERE node_id = $1"
	    " AND host_id = $2 AND instance_id IN ($3, 0) AND queue_id = $4", k,
	    PGRES_COMMAND_OK)) == NULL)
		return -1;
	PQclear(r);
	return 0;
}

int
pg_pending_qids(struct store *st, store_qid_cb cb, void *arg)
{
	struct pg	*pg = PG(st);
	char		 node[32];
	const char	*v[1] = { node };
	PGresult	*r;
	int		 i, n, rc = 0;

	if (pg_flush_pending(st) == -1 || pg_node_find(st) == -1)
		return -1;
	if (pg->node_id == 0)
		return 0;
	snprintf(node, sizeof(node), "%lld", (long long)pg->node_id);
	if ((r = pg_exec(st, pg->c, "SELECT DISTINCT host_id, queue_id FROM pending"
	    " WHERE node_id = $1", 1, v, NULL, NULL, PGRES_TUPLES_OK,
	    "pending")) == NULL)
		return -1;
	n = PQntuples(r);
	for (i = 0; i < n && rc == 0; i++)
		rc = cb(strtoll(PQgetvalue(r, i, 0), NULL, 10), PQgetvalue(r, i, 1),
		    (size_t)PQgetlength(r, i, 1), arg);
	PQclear(r);
	return rc;
}

/* This node's deferrals older than "before": they cannot expire any more. */
int
pg_pending_expire(struct store *st, int64_t before)
{
	struct pg	*pg = PG(st);
	char		 num[2][32];
	const char	*v[2] = { num[0], num[1] };
	PGresult	*r;

	if (pg_flush_pending(st) == -1 || pg_node_find(st) == -1)
		return -1;
	if (pg->node_id == 0)
		return 0;
	snprintf(num[0], 32, "%lld", (long long)pg->node_id);
	snprintf(num[1], 32, "%lld", (long long)before);
	if ((r = pg_exec(st, pg->c, "DELETE FROM pending WHERE node_id = $1"
	    " AND time < $2", 2, v, NULL, NULL, PGRES_COMMAND_OK, "pending")) == NULL)
		return -1;
	PQclear(r);
	return 0;
}
