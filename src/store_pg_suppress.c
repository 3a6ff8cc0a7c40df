/*
 * store_pg_suppress.c -- the PostgreSQL backend's suppression list: the
 * recipients whose last known outcome is a permanent recipient failure.
 * One table for every node, so a batch's puts and deletes are kept in
 * memory and applied at commit, after the counters, one recipient after
 * the other in key order (and each recipient's in log order): two writers
 * never wait on each other in a cycle.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_pg.h"
#include "util.h"

static int
pg_sop(struct store *st, int put, int64_t domain_id, struct span local,
    int reason, int64_t time, int64_t failure_id)
{
	struct pg	*pg = PG(st);
	struct pg_sop	*o;

	if (pg->nsop == pg->sopcap) {
		pg->sopcap = pg->sopcap == 0 ? 256 : pg->sopcap * 2;
		pg->sop = xrealloc(pg->sop, pg->sopcap * sizeof(*pg->sop));
	}
	o = &pg->sop[pg->nsop++];
	o->put = put;
	o->domain_id = domain_id;
	pg->tmp.n = 0;
	pg_buf_text(&pg->tmp, local.p, local.n < PG_NAME_MAX ? local.n : PG_NAME_MAX, 0);
	o->local = xstrdup(pg->tmp.p);
	o->reason = reason;
	o->time = time;
	o->failure_id = failure_id;
	return 0;
}

int
pg_suppress_put(struct store *st, int64_t domain_id, struct span local,
    int reason, int64_t time, int64_t failure_id)
{
	return pg_sop(st, 1, domain_id, local, reason, time, failure_id);
}

int
pg_suppress_del(struct store *st, int64_t domain_id, struct span local,
    int64_t time)
{
	return pg_sop(st, 0, domain_id, local, 0, time, 0);
}

void
pg_sop_drop(struct pg *pg)
{
	size_t	 i;

	for (i = 0; i < pg->nsop; i++)
		free(pg->sop[i].local);
	pg->nsop = 0;
}

/* At commit: staged by COPY, applied by a loop in key, then log, order. */
int
pg_flush_suppress(struct store *st)
{
	struct pg	*pg = PG(st);
	struct pg_sop	*o;
	size_t		 i;

	if (pg->nsop == 0)
		return 0;
	pg->sql.n = 0;
	for (i = 0; i < pg->nsop; i++) {
		o = &pg->sop[i];
		pg_buf_printf(&pg->sql, "%zu\t%c\t%lld\t", i, o->put ? 't' : 'f',
		    (long long)o->domain_id);
		pg_buf_text(&pg->sql, o->local, strlen(o->local), 1);
		pg_buf_printf(&pg->sql, "\t%d\t%lld\t", o->reason, (long long)o->time);
		if (o->failure_id > 0)
			pg_buf_printf(&pg->sql, "%lld\n", (long long)o->failure_id);
		else
			pg_buf_add(&pg->sql, "\\N\n", 3);
	}
	pg_sop_drop(pg);
	if (pg_copy(st, "COPY bw_supp FROM STDIN", &pg->sql, "suppressions") == -1)
		return -1;
	return pg_cmd(st, pg->c,
	    "DO $$ DECLARE o record; BEGIN"
	    " FOR o IN SELECT * FROM bw_supp ORDER BY domain_id, local, seq LOOP"
	    "  IF o.put THEN"
	    "   INSERT INTO suppression AS s (domain_id, local, reason_id, first_seen,"
	    "    last_seen, n, failure_id) VALUES (o.domain_id, o.local, o.reason,"
	    "    o.time, o.time, 1, o.failure_id)"
	    "   ON CONFLICT (domain_id, local) DO UPDATE SET n = s.n + 1,"
	    "    reason_id = excluded.reason_id, failure_id = excluded.failure_id,"
	    "    first_seen = least(s.first_seen, excluded.first_seen),"
	    "    last_seen = greatest(s.last_seen, excluded.last_seen);"
	    "  ELSE"
	    /* a delivery logged before the failure does not undo it */
	    "   DELETE FROM suppression WHERE domain_id = o.domain_id"
	    "    AND local = o.local AND last_seen <= o.time;"
	    "  END IF;"
	    " END LOOP; END $$", "suppressions");
}

int
pg_suppress_keys(struct store *st, store_skey_cb cb, void *arg)
{
	PGresult	*r;
	int		 i, n;

	if ((r = pg_exec(st, PG(st)->c, "SELECT domain_id, local FROM suppression",
	    0, NULL, NULL, NULL, PGRES_TUPLES_OK, "suppressions")) == NULL)
		return -1;
	n = PQntuples(r);
	for (i = 0; i < n; i++)
		cb(strtoll(PQgetvalue(r, i, 0), NULL, 10), PQgetvalue(r, i, 1),
		    (size_t)PQgetlength(r, i, 1), arg);
	PQclear(r);
	return 0;
}

struct pg_slist {
	store_suppression_cb	 cb;
	void			*arg;
};

static int
pg_suppression_row(struct store *st, PGresult *r, int i, void *arg)
{
	struct pg_slist			*l = arg;
	struct store_suppression	 row;

	(void)st;
	row.recipient = PQgetvalue(r, i, 0);
	row.domain = PQgetvalue(r, i, 1);
	row.reason = atoi(PQgetvalue(r, i, 2));
	row.first_seen = strtoll(PQgetvalue(r, i, 3), NULL, 10);
	row.last_seen = strtoll(PQgetvalue(r, i, 4), NULL, 10);
	row.n = strtoll(PQgetvalue(r, i, 5), NULL, 10);
	row.diagnostic = PQgetisnull(r, i, 6) ? NULL : PQgetvalue(r, i, 6);
	return l->cb(&row, l->arg);
}

int
pg_suppression_list(struct store *st, int64_t since, store_suppression_cb cb,
    void *arg)
{
	struct pg_slist	 l = { cb, arg };
	char		 t[32];
	const char	*p[1] = { t };

	snprintf(t, sizeof(t), "%lld", (long long)since);
	return pg_rows(st,
	    "SELECT s.recipient, s.domain, s.reason_id, s.first_seen, s.last_seen, s.n,"
	    "       (SELECT diagnostic FROM v_failures WHERE id = s.failure_id)"
	    "  FROM (SELECT CASE WHEN d.name = '' OR strpos(x.local, '@') > 0 THEN x.local"
	    "               ELSE x.local || '@' || d.name END AS recipient,"
	    "               d.name AS domain, x.*"
	    "          FROM suppression x JOIN domain d ON d.id = x.domain_id"
	    "         WHERE x.last_seen >= $1) s"
	    " ORDER BY s.domain COLLATE \"C\", s.recipient COLLATE \"C\"", 1, p,
	    pg_suppression_row, &l, "suppressions");
}
