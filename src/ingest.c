/*
 * ingest.c -- see ingest.h.  The only place a log line is parsed and
 * classified; owns the open transaction, the commit that saves every
 * source's position with the rows, and the stall/back-off state.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "classify.h"
#include "ingest.h"
#include "log.h"
#include "parse.h"
#include "source.h"
#include "store.h"
#include "util.h"

#define INGEST_BACKOFF_MIN	0.1
#define INGEST_BACKOFF_MAX	30.0

struct ingest {
	struct parse_ctx		*ctx;
	const struct classifier		*cl;
	struct store			*st;
	struct ingest_sink		 sink;
	struct source			*sources;
	int				(*precommit)(void *);
	void				*precommit_arg;
	struct ingest_watch		 watch;
	uint64_t			 pending;
	int				 stalled;
	int				 episode;	/* a stall not yet ended by a commit */
	double				 stalled_since;
	double				 backoff;
	struct ingest_counters		 n;
	struct parse_memo		 memo;	/* of the thread parsing now */
};

static double
ingest_clock(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

struct ingest *
ingest_new(struct parse_ctx *ctx, const struct classifier *cl, struct store *st,
    const struct ingest_sink *sink)
{
	struct ingest	*ing = xcalloc(1, sizeof(*ing));

	ing->ctx = ctx;
	ing->cl = cl;
	ing->st = st;
	if (sink != NULL)
		ing->sink = *sink;
	return ing;
}

void
ingest_free(struct ingest *ing)
{
	struct source	*s, *next;

	if (ing == NULL)
		return;
	if (ing->st != NULL && store_in_transaction(ing->st))
		store_rollback(ing->st);
	for (s = ing->sources; s != NULL; s = next) {
		next = s->next;
		s->ops->close(s);
	}
	free(ing);
}

void
ingest_set_classifier(struct ingest *ing, const struct classifier *cl)
{
	ing->cl = cl;
}

void
ingest_set_precommit(struct ingest *ing, int (*fn)(void *), void *arg)
{
	ing->precommit = fn;
	ing->precommit_arg = arg;
}

void
ingest_set_watch(struct ingest *ing, const struct ingest_watch *w)
{
	if (w != NULL)
		ing->watch = *w;
	else
		memset(&ing->watch, 0, sizeof(ing->watch));
}

void
ingest_add(struct ingest *ing, struct source *s)
{
	struct source	**pp = &ing->sources;

	while (*pp != NULL)
		pp = &(*pp)->next;
	s->next = NULL;
	*pp = s;
}

void
ingest_remove(struct ingest *ing, struct source *s)
{
	struct source	**pp;

	for (pp = &ing->sources; *pp != NULL; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	s->ops->close(s);
}

struct source *
ingest_sources(struct ingest *ing)
{
	return ing->sources;
}

static int
ingest_tx(struct ingest *ing)
{
	if (ing->st == NULL || store_in_transaction(ing->st))
		return 0;
	return store_begin(ing->st);
}

/* The first stage: a line parsed, its kind checked against the source's format. */
enum line_kind
ingest_parse(struct ingest *ing, struct source *s, const struct source_line *l,
    struct delivery *d)
{
	enum line_kind	 k;

	ing->n.lines++;
	if (l->journal != NULL)
		k = parse_journal(ing->ctx, l->journal, d);
	else
		k = parse_line_memo(ing->ctx, &ing->memo, l->p, l->len, d);
	if (k != LINE_INVALID && s != NULL && s->format != NULL &&
	    strcmp(s->format, "auto") != 0 &&
	    (strcmp(s->format, "postfix") == 0) != (d->mta == MTA_POSTFIX))
		k = LINE_INVALID;
	return k;
}

/* ... then classified and counted. */
void
ingest_judge(struct ingest *ing, enum line_kind k, const struct delivery *d,
    struct verdict *v)
{
	/* the fields, not the whole struct: this runs for every line */
	v->cls = CLASS_DELIVERED;
	v->reason = REASON_NONE;
	v->rule = NULL;
	v->detail = DETAIL_NONE;
	v->detail_name[0] = '\0';
	ing->n.kind[k]++;
	if (k == LINE_DELIVERY || k == LINE_EXPIRED) {
		classify_delivery(ing->cl, k, d, v);
		if (v->cls != CLASS_DELIVERED)
			ing->n.failures++;
	}
}

/* The second stage: the store or the sink. */
int
ingest_keep(struct ingest *ing, struct source *s, const struct source_line *l,
    enum line_kind k, const struct delivery *d, const struct verdict *v)
{
	if (ing->sink.add != NULL) {
		if (k != LINE_DELIVERY && k != LINE_EXPIRED)
			return 0;
		return ing->sink.add(ing->sink.arg, l, ing->n.lines, k, d, v);
	}
	if (ingest_tx(ing) == -1 || store_add(ing->st, l->id, l->offset, k, d, v) == -1)
		return -1;
	ing->pending++;
	if (ing->watch.line != NULL)
		ing->watch.line(ing->watch.arg, s, k, d, v);
	return 0;
}

int
ingest_idle(struct ingest *ing)
{
	if (ing->sink.add != NULL || !ingest_in_tx(ing))
		return 0;
	return store_idle(ing->st);
}

/* parse -> classify -> store or sink */
static int
ingest_verdict(struct ingest *ing, struct source *s, const struct source_line *l,
    enum line_kind k, const struct delivery *d)
{
	struct verdict	 v;

	ingest_judge(ing, k, d, &v);
	return ingest_keep(ing, s, l, k, d, &v);
}

int
ingest_line(struct ingest *ing, struct source *s, const struct source_line *l)
{
	struct delivery	 d;
	enum line_kind	 k;

	k = ingest_parse(ing, s, l, &d);
	return ingest_verdict(ing, s, l, k, &d);
}

int
ingest_reply(struct ingest *ing, const char *text, size_t len)
{
	struct source_line	 l;
	struct delivery		 d;

	memset(&l, 0, sizeof(l));
	l.p = text;
	l.len = len;
	ing->n.lines++;
	parse_reply(text, len, &d);
	return ingest_verdict(ing, NULL, &l, LINE_DELIVERY, &d);
}

int
ingest_pump(struct ingest *ing, uint64_t max, uint64_t *done)
{
	struct source		*s;
	struct source_line	 l;
	int			 r;

	*done = 0;
	for (s = ing->sources; s != NULL; s = s->next) {
		while (*done < max) {
			l.journal = NULL;	/* only the journal sets it */
			if ((r = source_next(s, &l)) == -1)
				return -1;
			if (r == 0)
				break;
			(*done)++;
			s->lines++;
			if (ingest_line(ing, s, &l) == -1)
				return -1;
		}
		if (*done >= max)
			return 1;
	}
	return 0;
}

uint64_t
ingest_pending(const struct ingest *ing)
{
	return ing->pending;
}

int
ingest_in_tx(const struct ingest *ing)
{
	return ing->st != NULL && store_in_transaction(ing->st);
}

void
ingest_rollback(struct ingest *ing)
{
	struct source	*s;

	if (ing->st != NULL && store_in_transaction(ing->st))
		store_rollback(ing->st);
	ing->pending = 0;
	for (s = ing->sources; s != NULL; s = s->next)
		s->ops->rewind(s);
	if (ing->watch.rolled_back != NULL)
		ing->watch.rolled_back(ing->watch.arg);
}

enum ingest_commit
ingest_commit(struct ingest *ing)
{
	struct source	*s;
	double		 t0;

	if (!ingest_in_tx(ing))
		return INGEST_COMMIT_OK;
	if (ing->precommit != NULL && ing->precommit(ing->precommit_arg) != 0) {
		ingest_rollback(ing);
		return INGEST_COMMIT_REFUSED;
	}
	t0 = ingest_clock();
	for (s = ing->sources; s != NULL; s = s->next)
		if (s->ops->save(s) == -1)
			return INGEST_COMMIT_FAILED;
	if (store_commit(ing->st) == -1)
		return INGEST_COMMIT_FAILED;
	ing->pending = 0;
	ing->n.commits++;
	for (s = ing->sources; s != NULL; s = s->next)
		s->ops->committed(s);
	if (ing->watch.committed != NULL)
		ing->watch.committed(ing->watch.arg, ingest_clock() - t0);
	if (ing->episode) {
		ing->episode = 0;
		ing->stalled = 0;
		log_info("ingestion resumed after %.1fs", ingest_clock() - ing->stalled_since);
		return INGEST_COMMIT_RESUMED;
	}
	return INGEST_COMMIT_OK;
}

static const char *
ingest_err_text(enum store_err e)
{
	switch (e) {
	case STORE_EBUSY: return "database locked by another process";
	case STORE_EFULL: return "disk full";
	case STORE_EIO: return "I/O error on the database";
	default: return "database error";
	}
}

double
ingest_stall(struct ingest *ing, int *first)
{
	ingest_rollback(ing);
	*first = 0;
	ing->stalled = 1;
	if (store_error(ing->st) == STORE_ENOTDB)
		return -1;
	if (!ing->episode) {
		ing->episode = 1;
		ing->stalled_since = ingest_clock();
		ing->backoff = INGEST_BACKOFF_MIN;
		ing->n.stalls++;
		*first = 1;
		log_warnx("%s (%s): ingestion stalled, nothing lost; retrying",
		    ingest_err_text(store_error(ing->st)), store_errmsg(ing->st));
	} else if (ing->backoff < INGEST_BACKOFF_MAX) {
		ing->backoff *= 2;
		if (ing->backoff > INGEST_BACKOFF_MAX)
			ing->backoff = INGEST_BACKOFF_MAX;
	}
	return ing->backoff;
}

int
ingest_retry(struct ingest *ing)
{
	if (ingest_tx(ing) == -1)
		return -1;
	ing->stalled = 0;	/* "resumed" is logged by the first good commit */
	return 0;
}

int
ingest_stalled(const struct ingest *ing)
{
	return ing->stalled;
}

const struct ingest_counters *
ingest_counters(const struct ingest *ing)
{
	return &ing->n;
}
