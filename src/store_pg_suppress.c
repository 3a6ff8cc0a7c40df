/*
 * store_pg_suppress.c -- the PostgreSQL backend's suppression list: the
 * writer's upserts and deletes (store_suppress.c), the keys it keeps in
 * memory, and the reader's list.  Each is one statement at the time it is
 * asked for, in the open transaction.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_pg.h"
#include "util.h"

/* A local part as the failure rows store it (cut, valid UTF-8). */
static const char *
pg_local(struct store *st, struct span l)
{
	return pg_cstr(st, l.p, l.n < PG_NAME_MAX ? l.n : PG_NAME_MAX);
}

int
pg_suppress_put(struct store *st, int64_t domain_id, struct span local, int reason,
    int64_t time, int64_t failure_id)
{
	char		 d[24], re[24], t[24], f[24];
	const char	*p[5];

	p[0] = PG_I64(d, domain_id);
	p[1] = pg_local(st, local);
	p[2] = PG_I64(re, reason);
	p[3] = PG_I64(t, time);
	p[4] = failure_id != 0 ? PG_I64(f, failure_id) : NULL;
	return pg_cmd_params(st, "INSERT INTO suppression (domain_id, local, reason_id,"
	    " first_seen, last_seen, n, failure_id) VALUES ($1, $2, $3, $4, $4, 1, $5)"
	    " ON CONFLICT (domain_id, local) DO UPDATE SET n = suppression.n + 1,"
	    " reason_id = excluded.reason_id, failure_id = excluded.failure_id,"
	    " first_seen = least(suppression.first_seen, excluded.first_seen),"
	    " last_seen = greatest(suppression.last_seen, excluded.last_seen)", 5, p,
	    "suppression");
}

/* A delivery logged before the failure does not undo it. */
int
pg_suppress_del(struct store *st, int64_t domain_id, struct span local, int64_t time)
{
	char		 d[24], t[24];
	const char	*p[3];

	p[0] = PG_I64(d, domain_id);
	p[1] = pg_local(st, local);
	p[2] = PG_I64(t, time);
	return pg_cmd_params(st, "DELETE FROM suppression WHERE domain_id = $1"
	    " AND local = $2 AND last_seen <= $3", 3, p, "suppression");
}

struct pg_skeys {
	store_skey_cb	 cb;
	void		*arg;
};

static int
pg_skey_row(struct store *st, PGresult *r, int i, void *arg)
{
	struct pg_skeys	*k = arg;

	(void)st;
	return k->cb(strtoll(PQgetvalue(r, i, 0), NULL, 10), PQgetvalue(r, i, 1),
	    (size_t)PQgetlength(r, i, 1), k->arg);
}

int
pg_suppress_keys(struct store *st, store_skey_cb cb, void *arg)
{
	struct pg_skeys	 k = { cb, arg };

	return pg_rows(st, "SELECT domain_id, local FROM suppression", 0, NULL,
	    pg_skey_row, &k, "suppression");
}

struct pg_slist {
	store_suppression_cb	 cb;
	void			*arg;
};

static int
pg_slist_row(struct store *st, PGresult *r, int i, void *arg)
{
	struct pg_slist			*l = arg;
	struct store_suppression	 s;

	(void)st;
	s.recipient = PQgetvalue(r, i, 0);
	s.domain = PQgetvalue(r, i, 1);
	s.reason = atoi(PQgetvalue(r, i, 2));
	s.first_seen = strtoll(PQgetvalue(r, i, 3), NULL, 10);
	s.last_seen = strtoll(PQgetvalue(r, i, 4), NULL, 10);
	s.n = strtoll(PQgetvalue(r, i, 5), NULL, 10);
	s.diagnostic = PQgetisnull(r, i, 6) ? NULL : PQgetvalue(r, i, 6);
	return l->cb(&s, l->arg);
}

/* The reader's list, in SQLite's (byte) order. */
int
pg_suppression_list(struct store *st, int64_t since, store_suppression_cb cb,
    void *arg)
{
	struct pg_slist	 l = { cb, arg };
	char		 t[24];
	const char	*p[1] = { PG_I64(t, since) };

	return pg_rows(st, "SELECT s.recipient, s.domain, s.reason_id, s.first_seen,"
	    " s.last_seen, s.n, (SELECT diagnostic FROM v_failures WHERE id = s.failure_id)"
	    " FROM (SELECT CASE WHEN d.name = '' OR strpos(x.local, '@') > 0 THEN x.local"
	    " ELSE x.local || '@' || d.name END AS recipient, d.name AS domain, x.*"
	    " FROM suppression x JOIN domain d ON d.id = x.domain_id"
	    " WHERE x.last_seen >= $1) s"
	    " ORDER BY s.domain COLLATE \"C\", s.recipient COLLATE \"C\"", 1, p,
	    pg_slist_row, &l, "suppressions");
}
