/*
 * ingest_pipe.c -- see ingest_pipe.h.  The queue is a ring of chunks:
 * the reader fills one (records and copies of their lines), hands it
 * over, and takes the next empty one; the store empties chunks in order.
 * For a follower (ingest_pipe_follow) the calling thread both fills and
 * empties chunks, and the other thread parses and classifies them in
 * between.  Most lines are noise the store only counts: their record is
 * small, and only a line the store reads (a delivery, an expiry, a line
 * with a time) takes one of a chunk's PIPE_FULL parsed records.  Memory
 * is fixed: PIPE_CHUNKS chunks of PIPE_RECS records, PIPE_FULL parsed
 * records and a PIPE_ARENA of line bytes each, about 5 MiB in all.
 */
#include "config.h"

#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "ingest.h"
#include "ingest_pipe.h"
#include "input.h"
#include "parse.h"
#include "source.h"
#include "util.h"

#define PIPE_CHUNKS	4
#define PIPE_RECS	4096		/* few hand-overs, few wake-ups */
#define PIPE_FULL	1024
#define PIPE_ARENA	(PARSE_LINE_MAX + 256 * 1024)	/* any line fits */
#define PIPE_NOFULL	UINT32_MAX

/*
 * One line: its kind and place; what the parser found in full[f].  Or a
 * run of n noise lines of one kind from one source (the first's place).
 */
struct pipe_rec {
	struct source		*s;
	struct source_line	 l;
	enum line_kind		 k;
	uint32_t		 f;		/* PIPE_NOFULL: noise, only counted */
	uint32_t		 n;		/* lines: 1, more for noise */
};

struct pipe_full {
	struct delivery		 d;
	struct verdict		 v;
};

struct pipe_chunk {
	struct pipe_rec		 rec[PIPE_RECS];
	size_t			 n;
	struct pipe_full	 full[PIPE_FULL];
	size_t			 nfull;
	char			 arena[PIPE_ARENA];
	size_t			 used;
	int			 last;		/* the reader stopped after it */
};

struct ingest_pipe {
	struct ingest		*ing;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	struct pipe_chunk	*chunk;		/* PIPE_CHUNKS of them */
	unsigned		 full;		/* chunks handed over, not yet emptied */
	unsigned		 wr, rd;	/* the next chunk to fill, to empty */
	int			 stop;		/* the store failed: read no more */
	/* ingest_pipe_follow: filled, not yet parsed; the next to parse */
	unsigned		 filled, pr;
	int			 quit;		/* no more chunks to parse */
	uint64_t		 max, done;
	int			 rc;		/* ingest_pump's result for the reading */
	/* what a noise line is to the store: no time, no fields */
	struct delivery		 noise_d;
	struct verdict		 noise_v;
};

/*
 * Every span of a delivery that may point into the line: rebased to the
 * line's copy.  A span added to struct delivery belongs here.
 */
static const size_t pipe_spans[] = {
	offsetof(struct delivery, host),
	offsetof(struct delivery, syslog_name),
	offsetof(struct delivery, program),
	offsetof(struct delivery, queue_id),
	offsetof(struct delivery, recipient),
	offsetof(struct delivery, orig_to),
	offsetof(struct delivery, relay),
	offsetof(struct delivery, relay_host),
	offsetof(struct delivery, relay_addr),
	offsetof(struct delivery, delay),
	offsetof(struct delivery, delays),
	offsetof(struct delivery, dsn),
	offsetof(struct delivery, sender),
	offsetof(struct delivery, enhanced),
	offsetof(struct delivery, stage),
	offsetof(struct delivery, diagnostic),
};

static void
pipe_rebase(struct delivery *d, const char *from, size_t len, const char *to)
{
	struct span	*sp;
	size_t		 i;

	for (i = 0; i < sizeof(pipe_spans) / sizeof(pipe_spans[0]); i++) {
		sp = (struct span *)((char *)d + pipe_spans[i]);
		if (sp->p != NULL && sp->p >= from && sp->p <= from + len)
			sp->p = to + (sp->p - from);
	}
}

/* Hand the chunk being filled over; wait for the next one to be empty. */
static struct pipe_chunk *
pipe_hand_over(struct ingest_pipe *p, int last)
{
	struct pipe_chunk	*c;

	pthread_mutex_lock(&p->mu);
	p->chunk[p->wr].last = last;
	p->wr = (p->wr + 1) % PIPE_CHUNKS;
	p->full++;
	pthread_cond_broadcast(&p->cv);
	if (last) {
		pthread_mutex_unlock(&p->mu);
		return NULL;
	}
	while (p->full == PIPE_CHUNKS)
		pthread_cond_wait(&p->cv, &p->mu);
	c = &p->chunk[p->wr];
	pthread_mutex_unlock(&p->mu);
	c->n = c->used = c->nfull = 0;
	return c;
}

static int
pipe_stopped(struct ingest_pipe *p)
{
	int	 stop;

	pthread_mutex_lock(&p->mu);
	stop = p->stop;
	pthread_mutex_unlock(&p->mu);
	return stop;
}

/*
 * Parse and classify r's line into the chunk's next free parsed record
 * (there is one), which r keeps only when the store reads more than the
 * line's kind: a delivery, an expiry, a line with a time.  The record is
 * reused by the next line otherwise, and stays in the cache.
 */
static void
pipe_parse_one(struct ingest_pipe *p, struct pipe_chunk *c, struct pipe_rec *r)
{
	struct pipe_full	*f = &c->full[c->nfull];

	r->n = 1;
	r->k = ingest_parse(p->ing, r->s, &r->l, &f->d);
	ingest_judge(p->ing, r->k, &f->d, &f->v);
	if (r->k == LINE_DELIVERY || r->k == LINE_EXPIRED || f->d.has_time)
		r->f = (uint32_t)c->nfull++;
	else
		r->f = PIPE_NOFULL;
}

/* One line to the store, in the calling thread. */
static int
pipe_keep(struct ingest_pipe *p, struct pipe_chunk *c, const struct pipe_rec *r)
{
	uint32_t	 i;

	if (r->f == PIPE_NOFULL) {
		for (i = 0; i < r->n; i++)
			if (ingest_keep(p->ing, r->s, &r->l, r->k, &p->noise_d,
			    &p->noise_v) == -1)
				return -1;
		return 0;
	}
	return ingest_keep(p->ing, r->s, &r->l, r->k, &c->full[r->f].d,
	    &c->full[r->f].v);
}

/* One line into the chunk: parsed, classified, its bytes copied. */
static struct pipe_chunk *
pipe_put(struct ingest_pipe *p, struct pipe_chunk *c, struct source *s,
    const struct source_line *l)
{
	struct pipe_rec	*r;
	char		*copy;

	/* longer lines are never deliveries: their bytes are not copied */
	if (c->n == PIPE_RECS || c->nfull == PIPE_FULL ||
	    (l->len <= PARSE_LINE_MAX && c->used + l->len > PIPE_ARENA))
		c = pipe_hand_over(p, 0);
	r = &c->rec[c->n++];
	r->s = s;
	r->l = *l;
	pipe_parse_one(p, c, r);
	/* noise after noise of the same kind and source row: one record */
	if (r->f == PIPE_NOFULL && c->n > 1 && r[-1].f == PIPE_NOFULL &&
	    r[-1].k == r->k && r[-1].s == s && r[-1].l.id == l->id) {
		r[-1].n++;
		c->n--;
		return c;
	}
	/* a journal entry's fields are the journal's memory: not for the pipe */
	r->l.journal = NULL;
	if (r->k == LINE_DELIVERY || r->k == LINE_EXPIRED) {
		copy = c->arena + c->used;
		memcpy(copy, l->p, l->len);
		c->used += l->len;
		pipe_rebase(&c->full[r->f].d, l->p, l->len, copy);
		r->l.p = copy;
	} else
		r->l.p = NULL;		/* the store reads only the kind and time */
	return c;
}

/* The reading thread: ingest_pump's loop, the store left out. */
static void *
pipe_read(void *arg)
{
	struct ingest_pipe	*p = arg;
	struct pipe_chunk	*c = &p->chunk[p->wr];
	struct source		*s;
	struct source_line	 l;
	int			 r;

	c->n = c->used = c->nfull = 0;
	p->rc = 0;
	for (s = ingest_sources(p->ing); s != NULL; s = s->next) {
		while (p->done < p->max) {
			/* a look at the flag per chunk is enough */
			if (c->n == 0 && pipe_stopped(p))
				goto out;
			l.journal = NULL;	/* only the journal sets it */
			if ((r = source_next(s, &l)) == -1) {
				p->rc = -1;
				goto out;
			}
			if (r == 0)
				break;
			p->done++;
			s->lines++;
			c = pipe_put(p, c, s, &l);
		}
		if (p->done >= p->max) {
			p->rc = 1;
			break;
		}
	}
out:
	pipe_hand_over(p, 1);
	return NULL;
}

struct ingest_pipe *
ingest_pipe_new(struct ingest *ing)
{
	struct ingest_pipe	*p = xcalloc(1, sizeof(*p));

	p->ing = ing;
	p->chunk = xcalloc(PIPE_CHUNKS, sizeof(*p->chunk));
	/* as the parser leaves a line it found nothing in */
	p->noise_d.pid = -1;
	p->noise_d.relay_port = -1;
	p->noise_v.cls = CLASS_DELIVERED;
	p->noise_v.reason = REASON_NONE;
	p->noise_v.rule = NULL;
	p->noise_v.detail = DETAIL_NONE;
	if (pthread_mutex_init(&p->mu, NULL) != 0) {
		free(p->chunk);
		free(p);
		return NULL;
	}
	if (pthread_cond_init(&p->cv, NULL) != 0) {
		pthread_mutex_destroy(&p->mu);
		free(p->chunk);
		free(p);
		return NULL;
	}
	return p;
}

/*
 * The queue's memory faulted in at once (util_prefault), for an import
 * that will fill every chunk before long: 1,040 fewer page faults in the
 * reading thread for a 1M-line file.  A follower's queue fills only as
 * fast as its log: its pages come in as they are used.
 */
void
ingest_pipe_prefault(struct ingest_pipe *p)
{
	util_prefault(p->chunk, PIPE_CHUNKS * sizeof(*p->chunk));
}

void
ingest_pipe_free(struct ingest_pipe *p)
{
	if (p == NULL)
		return;
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p->chunk);
	free(p);
}

int
ingest_pipe_pump(struct ingest_pipe *p, uint64_t max, uint64_t *done)
{
	struct pipe_chunk	*c;
	pthread_t		 t;
	size_t			 i;
	int			 last = 0, failed = 0, helped;

	p->max = max;
	p->done = 0;
	p->stop = 0;
	p->full = 0;
	p->wr = p->rd = 0;
	if (pthread_create(&t, NULL, pipe_read, p) != 0)
		return ingest_pump(p->ing, max, done);
	while (!last) {
		pthread_mutex_lock(&p->mu);
		while (p->full == 0) {
			/*
			 * Nothing to store: inflate ahead of the reader (a .gz
			 * import) meanwhile, so that it need not stop to do it.
			 * Not sooner: helping with a chunk waiting as well
			 * (day 30's .gz, 9 interleaved runs) spent 0.06 s more
			 * CPU for no less wall time; parsing is the slower
			 * stage, and the store's idle time is what it lends.
			 * Else apply some of the writes the store holds back
			 * for its commit (ingest_idle).
			 */
			pthread_mutex_unlock(&p->mu);
			helped = input_ahead();
			if (!helped && !failed &&
			    (helped = ingest_idle(p->ing)) == -1) {
				failed = 1;
				helped = 0;
			}
			pthread_mutex_lock(&p->mu);
			if (failed)
				p->stop = 1;
			if (!helped && p->full == 0)
				pthread_cond_wait(&p->cv, &p->mu);
		}
		pthread_mutex_unlock(&p->mu);
		c = &p->chunk[p->rd];
		for (i = 0; i < c->n && !failed; i++)
			if (pipe_keep(p, c, &c->rec[i]) == -1)
				failed = 1;
		last = c->last;
		pthread_mutex_lock(&p->mu);
		p->rd = (p->rd + 1) % PIPE_CHUNKS;
		p->full--;
		if (failed)
			p->stop = 1;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
	}
	pthread_join(t, NULL);
	*done = p->done;
	if (failed || p->rc == -1)
		return -1;
	return p->rc;
}

/* ---- a follower: read and store here, parse and classify there ---- */

/* The other thread: parse and classify each filled chunk, in order. */
static void *
pipe_parse(void *arg)
{
	struct ingest_pipe	*p = arg;
	struct pipe_chunk	*c;
	size_t			 i;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (p->filled == 0 && !p->quit)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->filled == 0)
			break;
		c = &p->chunk[p->pr];
		pthread_mutex_unlock(&p->mu);
		for (i = 0; i < c->n; i++)
			pipe_parse_one(p, c, &c->rec[i]);
		pthread_mutex_lock(&p->mu);
		p->pr = (p->pr + 1) % PIPE_CHUNKS;
		p->filled--;
		p->full++;
		pthread_cond_broadcast(&p->cv);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/*
 * Fill the next free chunk with copies of the sources' lines, from *sp
 * on: 1 when it holds lines, 0 when there were none, -1 on a read error.
 */
static int
pipe_fill(struct ingest_pipe *p, struct source **sp)
{
	struct pipe_chunk	*c = &p->chunk[p->wr];
	struct pipe_rec		*r;
	struct source_line	 l;
	size_t			 len;
	int			 rc = 0;

	c->n = c->used = c->nfull = 0;
	/*
	 * room for the longest line the parser reads, whatever comes, and a
	 * parsed record for every line: all may be deliveries
	 */
	while (*sp != NULL && p->done < p->max && c->n < PIPE_FULL &&
	    PIPE_ARENA - c->used > PARSE_LINE_MAX) {
		l.journal = NULL;
		if ((rc = source_next(*sp, &l)) == -1)
			break;
		if (rc == 0) {
			*sp = (*sp)->next;
			continue;
		}
		p->done++;
		(*sp)->lines++;
		/* longer lines are invalid: their head is enough to say so */
		len = l.len > PARSE_LINE_MAX ? PARSE_LINE_MAX + 1 : l.len;
		r = &c->rec[c->n++];
		r->s = *sp;
		r->l = l;
		r->l.p = c->arena + c->used;
		r->l.len = len;
		memcpy(c->arena + c->used, l.p, len);
		c->used += len;
	}
	if (c->n > 0) {
		pthread_mutex_lock(&p->mu);
		p->wr = (p->wr + 1) % PIPE_CHUNKS;
		p->filled++;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
	}
	return rc == -1 ? -1 : c->n > 0;
}

/* Store the oldest parsed chunk (keep: 0, drop it): 0, or -1 when the store failed. */
static int
pipe_store(struct ingest_pipe *p, int keep)
{
	struct pipe_chunk	*c = &p->chunk[p->rd];
	size_t			 i;
	int			 rc = 0;

	for (i = 0; keep && i < c->n && rc == 0; i++)
		rc = pipe_keep(p, c, &c->rec[i]);
	pthread_mutex_lock(&p->mu);
	p->rd = (p->rd + 1) % PIPE_CHUNKS;
	p->full--;
	pthread_mutex_unlock(&p->mu);
	return rc;
}

int
ingest_pipe_follow(struct ingest_pipe *p, uint64_t max, uint64_t *done)
{
	struct source	*s = ingest_sources(p->ing);
	pthread_t	 t;
	unsigned	 filled, parsed;
	int		 rc = 0, more = 1;

	p->max = max;
	p->done = 0;
	p->full = p->filled = 0;
	p->wr = p->rd = p->pr = 0;
	p->quit = 0;
	if (pthread_create(&t, NULL, pipe_parse, p) != 0)
		return ingest_pump(p->ing, max, done);
	for (;;) {
		pthread_mutex_lock(&p->mu);
		filled = p->filled;
		parsed = p->full;
		pthread_mutex_unlock(&p->mu);
		more = more && rc == 0 && s != NULL && p->done < max;
		/* keep the other thread busy first, then store what it did */
		if (more && filled + parsed < PIPE_CHUNKS && (filled < 2 || parsed == 0)) {
			if ((rc = pipe_fill(p, &s)) == 1)
				rc = 0;
			else if (rc == 0)
				more = 0;
			continue;
		}
		if (parsed > 0) {
			/* after a failure what is left is dropped: it is rolled back */
			if (pipe_store(p, rc == 0) == -1)
				rc = -1;
			continue;
		}
		if (filled == 0)
			break;
		pthread_mutex_lock(&p->mu);
		while (p->full == 0)
			pthread_cond_wait(&p->cv, &p->mu);
		pthread_mutex_unlock(&p->mu);
	}
	pthread_mutex_lock(&p->mu);
	p->quit = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(t, NULL);
	*done = p->done;
	if (rc == -1)
		return -1;
	return p->done >= max ? 1 : 0;
}
