/*
 * alert.c -- see alert.h.  The window: a ring of the failures of the
 * last alert_window of log time (their (domain, reason) key and class)
 * with a count per key, and a ring of per-minute attempt and failure
 * totals for the overall rate.  Baselines come from the database (the
 * previous 7 days) and are asked for only when a count reaches its
 * threshold, at most once per key per alert_repeat.  Delivery: one child
 * per alert and channel, fed through a non-blocking pipe, reaped by an
 * ev_child, terminated then killed at alert_timeout.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <ev.h>

#include "alert.h"
#include "classify.h"
#include "emit.h"
#include "hash.h"
#include "json.h"
#include "log.h"
#include "util.h"

#define ALERT_EVENTS_MAX	(1 << 20)	/* failures in the window */
#define ALERT_CHILDREN_MAX	8
#define ALERT_HOSTS		4
#define ALERT_KILL_GRACE	2.0	/* seconds from SIGTERM to SIGKILL */

/* A (domain, reason) with failures in the window. */
struct alert_key {
	char		*domain;
	int		 reason;
	int64_t		 n[CLASS_MAX];		/* in the window, by class */
	int64_t		 first, last;		/* log times seen */
	char		*example[ALERT_EXAMPLES];
	char		*host[ALERT_HOSTS];
	int64_t		 quiet_until;		/* no judgement before (clock) */
	int		 touched;
};

/* A failure in the window or in the batch. */
struct alert_ev {
	int64_t		 time;
	uint32_t	 key;
	uint8_t		 cls;
};

/* Attempts and failures of one minute of log time. */
struct alert_minute {
	int64_t		 minute;
	int64_t		 attempts;
	int64_t		 failures;
};

/* A source and since when it is down. */
struct alert_src {
	char		*name;
	int64_t		 down_since;	/* 0: up */
	int64_t		 quiet_until;
};

struct alert_child {
	struct alert	*a;
	pid_t		 pid;
	int		 fd;		/* the child's standard input, or -1 */
	char		*in;
	size_t		 inlen, inoff;
	int		 signals;	/* sent so far: TERM, then KILL */
	char		 what[64];
	ev_io		 io_w;
	ev_child	 child_w;
	ev_timer	 timer_w;
	struct alert_child *next;
};

struct alert {
	struct ev_loop		*loop;
	struct alert_conf	 conf;
	const struct alert_ops	*ops;
	void			*arg;

	struct alert_key	*keys;
	size_t			 nkeys, keycap;
	struct hash		 keymap;	/* (hash of domain, reason) -> index + 1 */

	struct alert_ev		*ring;		/* failures of the window, time order */
	size_t			 rhead, rlen, rcap;
	struct alert_ev		*batch;		/* staged */
	size_t			 nbatch, batchcap;
	struct alert_minute	*minutes;	/* the rate's ring, by minute */
	size_t			 nminutes;
	struct alert_minute	*bmin;		/* staged per-minute totals */
	size_t			 nbmin, bmincap;
	int64_t			 latest;	/* newest log time counted */
	int64_t			 blatest;	/* newest log time staged */
	int64_t			 rate_quiet_until;
	int64_t			 base_minute;	/* the baseline below is of: */
	int64_t			 base_att, base_fail;

	struct alert_src	*src;
	size_t			 nsrc;
	struct alert_child	*children;
	int			 nchildren;
};

static void	alert_raise(struct alert *, struct alert_event *,
		    const char *subject, const char *text);

/* ---- pure helpers ---- */

static int
alert_cmp64(const void *a, const void *b)
{
	const int64_t	*x = a, *y = b;

	return *x < *y ? -1 : *x > *y;
}

int64_t
alert_window_max(int64_t *t, size_t n, int64_t window)
{
	size_t	 i, j = 0;
	int64_t	 best = 0;

	if (n == 0)
		return 0;
	qsort(t, n, sizeof(*t), alert_cmp64);
	for (i = 0; i < n; i++) {
		while (t[i] - t[j] >= window)
			j++;
		if ((int64_t)(i - j + 1) > best)
			best = (int64_t)(i - j + 1);
	}
	return best;
}

void
alert_sanitise(const char *s, size_t len, const char *rcpt, size_t rcptlen,
    char *out, size_t outlen)
{
	static const char	 hidden[] = "<recipient>";
	size_t			 i = 0, o = 0;
	unsigned char		 c;

	if (outlen == 0)
		return;
	while (i < len && o + 1 < outlen) {
		if (rcptlen > 0 && len - i >= rcptlen &&
		    strncasecmp(s + i, rcpt, rcptlen) == 0) {
			if (o + sizeof(hidden) > outlen)
				break;
			memcpy(out + o, hidden, sizeof(hidden) - 1);
			o += sizeof(hidden) - 1;
			i += rcptlen;
			continue;
		}
		c = (unsigned char)s[i++];
		/* controls and DEL become blanks; the rest is escaped later */
		out[o++] = c < ' ' || c == 0x7f ? ' ' : (char)c;
	}
	if (i < len && outlen > 4) {
		if (o > outlen - 4)
			o = outlen - 4;
		/* never cut a UTF-8 sequence in two */
		while (o > 0 && ((unsigned char)out[o] & 0xc0) == 0x80)
			o--;
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

/* ---- the key table ---- */

static struct alert_key *
alert_key_get(struct alert *a, const char *domain, int reason, uint32_t *idx)
{
	struct alert_key	*k;
	size_t			*slot;
	int			 isnew;

	slot = hash_slot(&a->keymap, hash_bytes(domain, strlen(domain)),
	    (uint64_t)reason, &isnew);
	if (!isnew) {
		*idx = (uint32_t)(*slot - 1);
		return &a->keys[*slot - 1];
	}
	if (a->nkeys == a->keycap) {
		a->keycap = a->keycap == 0 ? 64 : a->keycap * 2;
		a->keys = xrealloc(a->keys, a->keycap * sizeof(*a->keys));
	}
	k = &a->keys[a->nkeys];
	memset(k, 0, sizeof(*k));
	k->domain = xstrdup(domain);
	k->reason = reason;
	*idx = (uint32_t)a->nkeys;
	*slot = ++a->nkeys;
	return k;
}

static void
alert_key_clear(struct alert_key *k)
{
	size_t	 i;

	free(k->domain);
	for (i = 0; i < ALERT_EXAMPLES; i++)
		free(k->example[i]);
	for (i = 0; i < ALERT_HOSTS; i++)
		free(k->host[i]);
}

/*
 * Drop the keys with nothing in the window and nothing to remember, when
 * they are most of the table; renumber the ring.  Only between batches.
 */
static void
alert_keys_compact(struct alert *a, int64_t now)
{
	uint32_t	*map;
	size_t		 i, n = 0, live = 0;
	struct alert_key *k;
	size_t		*slot;
	int		 isnew;

	for (i = 0; i < a->nkeys; i++) {
		k = &a->keys[i];
		if (k->n[CLASS_PERMANENT] + k->n[CLASS_TEMPORARY] > 0 ||
		    k->quiet_until > now)
			live++;
	}
	if (a->nkeys < 1024 || live * 2 > a->nkeys || a->nbatch > 0)
		return;
	map = xcalloc(a->nkeys, sizeof(*map));
	hash_clear(&a->keymap);
	for (i = 0; i < a->nkeys; i++) {
		k = &a->keys[i];
		if (k->n[CLASS_PERMANENT] + k->n[CLASS_TEMPORARY] == 0 &&
		    k->quiet_until <= now) {
			alert_key_clear(k);
			continue;
		}
		map[i] = (uint32_t)n;
		a->keys[n] = *k;
		slot = hash_slot(&a->keymap, hash_bytes(k->domain,
		    strlen(k->domain)), (uint64_t)k->reason, &isnew);
		*slot = ++n;
	}
	a->nkeys = n;
	for (i = 0; i < a->rlen; i++) {
		struct alert_ev	*e = &a->ring[(a->rhead + i) % a->rcap];

		e->key = map[e->key];
	}
	free(map);
}

/* Remember a text or a host, up to max distinct ones. */
static void
alert_keep(char **list, size_t max, const char *s)
{
	size_t	 i;

	for (i = 0; i < max && list[i] != NULL; i++)
		if (strcmp(list[i], s) == 0)
			return;
	if (i < max)
		list[i] = xstrdup(s);
}

/* ---- life ---- */

static void
alert_conf_copy(struct alert *a, const struct alert_conf *c)
{
	free((char *)a->conf.command);
	free((char *)a->conf.to);
	free((char *)a->conf.sendmail);
	a->conf = *c;
	a->conf.command = c->command != NULL ? xstrdup(c->command) : NULL;
	a->conf.to = c->to != NULL ? xstrdup(c->to) : NULL;
	a->conf.sendmail = xstrdup(c->sendmail != NULL ? c->sendmail :
	    "/usr/sbin/sendmail");
	if (a->conf.window_s < 60)
		a->conf.window_s = 60;
	free(a->minutes);
	a->nminutes = (size_t)a->conf.window_s / 60 + 2;
	a->minutes = xcalloc(a->nminutes, sizeof(*a->minutes));
}

struct alert *
alert_new(struct ev_loop *loop, const struct alert_conf *c,
    const struct alert_ops *ops, void *arg)
{
	struct alert	*a;

	a = xcalloc(1, sizeof(*a));
	a->loop = loop;
	a->ops = ops;
	a->arg = arg;
	alert_conf_copy(a, c);
	return a;
}

void
alert_set_conf(struct alert *a, const struct alert_conf *c)
{
	int64_t	 latest = a->latest;
	size_t	 i;

	/* the rate's minutes restart; the failures' window is kept */
	alert_conf_copy(a, c);
	for (i = 0; i < a->nminutes; i++)
		a->minutes[i].minute = -1;
	a->latest = latest;
	a->base_minute = -1;
}

static void	alert_child_free(struct alert_child *);

void
alert_free(struct alert *a)
{
	size_t	 i;

	if (a == NULL)
		return;
	while (a->children != NULL)
		alert_child_free(a->children);
	for (i = 0; i < a->nkeys; i++)
		alert_key_clear(&a->keys[i]);
	free(a->keys);
	hash_free(&a->keymap);
	free(a->ring);
	free(a->batch);
	free(a->minutes);
	free(a->bmin);
	for (i = 0; i < a->nsrc; i++)
		free(a->src[i].name);
	free(a->src);
	free((char *)a->conf.command);
	free((char *)a->conf.to);
	free((char *)a->conf.sendmail);
	free(a);
}

void
alert_seen(struct alert *a, const char *condition, const char *domain,
    const char *reason, int64_t time)
{
	struct alert_key	*k;
	uint32_t		 idx;
	int			 r;

	if (strcmp(condition, ALERT_RATE_JUMP) == 0) {
		if (time + a->conf.repeat_s > a->rate_quiet_until)
			a->rate_quiet_until = time + a->conf.repeat_s;
		return;
	}
	if (strcmp(condition, ALERT_DOMAIN_REASON) != 0 ||
	    (r = classify_reason_from_name(reason)) < 0)
		return;
	k = alert_key_get(a, domain, r, &idx);
	if (time + a->conf.repeat_s > k->quiet_until)
		k->quiet_until = time + a->conf.repeat_s;
}

/* ---- counting ---- */

static void
alert_minute_add(struct alert_minute **v, size_t *n, size_t *cap,
    int64_t minute, int failed)
{
	if (*n == 0 || (*v)[*n - 1].minute != minute) {
		if (*n == *cap) {
			*cap = *cap == 0 ? 16 : *cap * 2;
			*v = xrealloc(*v, *cap * sizeof(**v));
		}
		(*v)[*n].minute = minute;
		(*v)[*n].attempts = (*v)[*n].failures = 0;
		(*n)++;
	}
	(*v)[*n - 1].attempts++;
	(*v)[*n - 1].failures += failed;
}

void
alert_delivery(struct alert *a, int64_t time, const char *domain, int cls,
    int reason, const char *host, size_t hostlen, const char *text,
    size_t textlen, const char *rcpt, size_t rcptlen)
{
	struct alert_key	*k;
	struct alert_ev		*e;
	char			 buf[ALERT_TEXT_MAX + 1];
	uint32_t		 idx;
	int			 failed;
	int64_t			 now = (int64_t)ev_now(a->loop);

	/* catching up on history raises nothing */
	if (time < now - a->conf.window_s || time > now + a->conf.window_s)
		return;
	failed = cls == CLASS_PERMANENT || cls == CLASS_TEMPORARY;
	if (time > a->blatest)
		a->blatest = time;
	alert_minute_add(&a->bmin, &a->nbmin, &a->bmincap, time / 60, failed);
	if (!failed || domain[0] == '\0')
		return;
	k = alert_key_get(a, domain, reason, &idx);
	if (text != NULL && textlen > 0 && k->example[ALERT_EXAMPLES - 1] == NULL) {
		alert_sanitise(text, textlen, rcpt, rcptlen, buf, sizeof(buf));
		alert_keep(k->example, ALERT_EXAMPLES, buf);
	}
	if (host != NULL && hostlen > 0 && k->host[ALERT_HOSTS - 1] == NULL) {
		alert_sanitise(host, hostlen, NULL, 0, buf, 64);
		alert_keep(k->host, ALERT_HOSTS, buf);
	}
	if (a->nbatch == a->batchcap) {
		a->batchcap = a->batchcap == 0 ? 256 : a->batchcap * 2;
		a->batch = xrealloc(a->batch, a->batchcap * sizeof(*a->batch));
	}
	e = &a->batch[a->nbatch++];
	e->time = time;
	e->key = idx;
	e->cls = (uint8_t)cls;
}

void
alert_rollback(struct alert *a)
{
	a->nbatch = 0;
	a->nbmin = 0;
	a->blatest = 0;
}

static void
alert_ring_push(struct alert *a, const struct alert_ev *e)
{
	struct alert_ev	*old;
	size_t		 i;

	if (a->rlen == ALERT_EVENTS_MAX) {
		old = &a->ring[a->rhead];
		a->keys[old->key].n[old->cls]--;
		a->rhead = (a->rhead + 1) % a->rcap;
		a->rlen--;
	}
	if (a->rlen == a->rcap) {
		/* grow, unrolling the ring */
		size_t		 ncap = a->rcap == 0 ? 1024 : a->rcap * 2;
		struct alert_ev	*n = xcalloc(ncap, sizeof(*n));

		for (i = 0; i < a->rlen; i++)
			n[i] = a->ring[(a->rhead + i) % a->rcap];
		free(a->ring);
		a->ring = n;
		a->rcap = ncap;
		a->rhead = 0;
	}
	a->ring[(a->rhead + a->rlen) % a->rcap] = *e;
	a->rlen++;
}

/* Forget what left the window [latest - window, latest]. */
static void
alert_expire(struct alert *a)
{
	struct alert_ev	*e;

	while (a->rlen > 0) {
		e = &a->ring[a->rhead];
		if (e->time >= a->latest - a->conf.window_s)
			break;
		a->keys[e->key].n[e->cls]--;
		a->rhead = (a->rhead + 1) % a->rcap;
		a->rlen--;
	}
}

/* ---- judging ---- */

static void
alert_fmt_time(char *buf, size_t len, int64_t t)
{
	emit_time_iso(buf, len, t, 0);
}

static void
alert_judge_key(struct alert *a, struct alert_key *k, int64_t now)
{
	struct alert_event	 ev;
	struct obuf		 b;
	struct json		 j;
	int64_t			*times = NULL, base, count, from;
	char			 t0[32], t1[32], subject[512], text[1024];
	const char		*cls;
	int			 n;
	size_t			 i;

	count = k->n[CLASS_PERMANENT] + k->n[CLASS_TEMPORARY];
	if (count < a->conf.min_failures || now < k->quiet_until)
		return;
	/* was it already at this level over the previous days? */
	from = a->latest - a->conf.window_s;
	n = a->ops->failure_times(a->arg, k->domain, k->reason,
	    from - ALERT_BASELINE_DAYS * 86400, from, &times);
	if (n < 0) {
		log_warnx("alert: no baseline for %s %s; judged later",
		    k->domain, classify_reason_name(k->reason));
		return;
	}
	base = alert_window_max(times, (size_t)n, a->conf.window_s);
	free(times);
	k->quiet_until = now + a->conf.repeat_s;
	if (base >= a->conf.min_failures) {
		log_debug("alert: %s %s: %lld failures in the window, as "
		    "often before (up to %lld)", k->domain,
		    classify_reason_name(k->reason), (long long)count,
		    (long long)base);
		return;
	}
	cls = classify_class_name(k->n[CLASS_PERMANENT] >=
	    k->n[CLASS_TEMPORARY] ? CLASS_PERMANENT : CLASS_TEMPORARY);
	alert_fmt_time(t0, sizeof(t0), k->first);
	alert_fmt_time(t1, sizeof(t1), k->last);

	obuf_init(&b, NULL);
	json_init(&j, &b);
	json_object(&j, NULL);
	json_str(&j, "condition", ALERT_DOMAIN_REASON);
	json_int(&j, "time", now);
	json_str(&j, "domain", k->domain);
	json_str(&j, "reason", classify_reason_name(k->reason));
	json_str(&j, "class", cls);
	json_int(&j, "count", count);
	json_int(&j, "permanent", k->n[CLASS_PERMANENT]);
	json_int(&j, "temporary", k->n[CLASS_TEMPORARY]);
	json_int(&j, "window_seconds", a->conf.window_s);
	json_str(&j, "first", t0);
	json_str(&j, "last", t1);
	json_int(&j, "threshold", a->conf.min_failures);
	json_int(&j, "baseline", base);
	json_int(&j, "baseline_days", ALERT_BASELINE_DAYS);
	json_array(&j, "hosts");
	for (i = 0; i < ALERT_HOSTS && k->host[i] != NULL; i++)
		json_str(&j, NULL, k->host[i]);
	json_end(&j);
	json_array(&j, "examples");
	for (i = 0; i < ALERT_EXAMPLES && k->example[i] != NULL; i++)
		json_str(&j, NULL, k->example[i]);
	json_end(&j);
	json_end(&j);
	obuf_putc(&b, '\0');

	snprintf(subject, sizeof(subject), "bouncewatch: %s: %lld %s %s "
	    "failures in %d min", k->domain, (long long)count, cls,
	    classify_reason_name(k->reason), a->conf.window_s / 60);
	snprintf(text, sizeof(text), "%lld %s failures (reason %s) for %s "
	    "between %s and %s;\nat most %lld in any %d minutes over the "
	    "previous %d days.\nFirst example: %s\n", (long long)count, cls,
	    classify_reason_name(k->reason), k->domain, t0, t1,
	    (long long)base, a->conf.window_s / 60, ALERT_BASELINE_DAYS,
	    k->example[0] != NULL ? k->example[0] : "(none)");
	memset(&ev, 0, sizeof(ev));
	ev.condition = ALERT_DOMAIN_REASON;
	ev.time = now;
	ev.domain = k->domain;
	ev.reason = classify_reason_name(k->reason);
	ev.cls = cls;
	ev.count = count;
	ev.window_s = a->conf.window_s;
	ev.baseline = (double)base;
	ev.json = b.p;
	alert_raise(a, &ev, subject, text);
	obuf_free(&b);
}

static void
alert_judge_rate(struct alert *a, int64_t now)
{
	struct alert_event	 ev;
	struct obuf		 b;
	struct json		 j;
	int64_t			 att = 0, fail = 0, batt = 0, bfail = 0, x, y;
	int64_t			 lo = (a->latest - a->conf.window_s) / 60;
	double			 rate, base;
	char			 subject[256], text[512];
	size_t			 i;
	int			 d;

	if (a->conf.rate_factor == 0 || now < a->rate_quiet_until)
		return;
	for (i = 0; i < a->nminutes; i++)
		if (a->minutes[i].minute >= lo &&
		    a->minutes[i].minute <= a->latest / 60) {
			att += a->minutes[i].attempts;
			fail += a->minutes[i].failures;
		}
	if (fail < a->conf.min_failures || att == 0 ||
	    fail * 100 < (int64_t)a->conf.rate_points * att)
		return;
	/* the same hours of the previous days: asked once a minute of log time */
	if (a->base_minute != a->latest / 60) {
		for (d = 1; d <= ALERT_BASELINE_DAYS; d++) {
			if (a->ops->volume(a->arg, a->latest - d * 86400 -
			    a->conf.window_s, a->latest - d * 86400, &x, &y) == -1)
				return;
			batt += x;
			bfail += y;
		}
		a->base_minute = a->latest / 60;
		a->base_att = batt;
		a->base_fail = bfail;
	}
	batt = a->base_att;
	bfail = a->base_fail;
	if (batt == 0)
		return;		/* nothing to compare with */
	rate = 100.0 * (double)fail / (double)att;
	base = 100.0 * (double)bfail / (double)batt;
	if (rate < base * a->conf.rate_factor ||
	    rate - base < a->conf.rate_points)
		return;
	a->rate_quiet_until = now + a->conf.repeat_s;

	obuf_init(&b, NULL);
	json_init(&j, &b);
	json_object(&j, NULL);
	json_str(&j, "condition", ALERT_RATE_JUMP);
	json_int(&j, "time", now);
	json_int(&j, "attempts", att);
	json_int(&j, "failures", fail);
	json_fixed1(&j, "rate_percent", rate);
	json_int(&j, "window_seconds", a->conf.window_s);
	json_fixed1(&j, "baseline_percent", base);
	json_int(&j, "baseline_attempts", batt);
	json_int(&j, "baseline_days", ALERT_BASELINE_DAYS);
	json_end(&j);
	obuf_putc(&b, '\0');
	snprintf(subject, sizeof(subject), "bouncewatch: failure rate %.1f%% "
	    "(usually %.1f%%)", rate, base);
	snprintf(text, sizeof(text), "%lld of %lld delivery attempts failed "
	    "in the last %d minutes (%.1f%%);\nthe same hours of the previous "
	    "%d days: %.1f%%.\n", (long long)fail, (long long)att,
	    a->conf.window_s / 60, rate, ALERT_BASELINE_DAYS, base);
	memset(&ev, 0, sizeof(ev));
	ev.condition = ALERT_RATE_JUMP;
	ev.time = now;
	ev.domain = ev.reason = ev.cls = "";
	ev.count = fail;
	ev.window_s = a->conf.window_s;
	ev.baseline = base;
	ev.json = b.p;
	alert_raise(a, &ev, subject, text);
	obuf_free(&b);
}

void
alert_commit(struct alert *a, int64_t now)
{
	struct alert_key	*k;
	struct alert_ev		*e;
	struct alert_minute	*m, *slot;
	size_t			 i;

	for (i = 0; i < a->nbmin; i++) {
		m = &a->bmin[i];
		slot = &a->minutes[(size_t)m->minute % a->nminutes];
		if (slot->minute != m->minute) {
			slot->minute = m->minute;
			slot->attempts = slot->failures = 0;
		}
		slot->attempts += m->attempts;
		slot->failures += m->failures;
	}
	if (a->blatest > a->latest)
		a->latest = a->blatest;
	for (i = 0; i < a->nbatch; i++) {
		e = &a->batch[i];
		k = &a->keys[e->key];
		if (k->n[CLASS_PERMANENT] + k->n[CLASS_TEMPORARY] == 0 ||
		    e->time < k->first)
			k->first = e->time;
		if (e->time > k->last)
			k->last = e->time;
		k->n[e->cls]++;
		k->touched = 1;
		alert_ring_push(a, e);
	}
	alert_expire(a);
	for (i = 0; i < a->nbatch; i++) {
		k = &a->keys[a->batch[i].key];
		if (!k->touched)
			continue;
		k->touched = 0;
		alert_judge_key(a, k, now);
	}
	if (a->nbmin > 0)
		alert_judge_rate(a, now);
	a->nbatch = 0;
	a->nbmin = 0;
	a->blatest = 0;
	alert_keys_compact(a, now);
}

void
alert_source(struct alert *a, const char *name, int up, const char *why,
    int64_t now)
{
	struct alert_event	 ev;
	struct alert_src	*s = NULL;
	struct obuf		 b;
	struct json		 j;
	char			 subject[512], text[1024];
	size_t			 i;

	for (i = 0; i < a->nsrc; i++)
		if (strcmp(a->src[i].name, name) == 0)
			s = &a->src[i];
	if (s == NULL) {
		a->src = xrealloc(a->src, (a->nsrc + 1) * sizeof(*a->src));
		s = &a->src[a->nsrc++];
		memset(s, 0, sizeof(*s));
		s->name = xstrdup(name);
	}
	if (up) {
		s->down_since = 0;
		return;
	}
	if (s->down_since == 0)
		s->down_since = now;
	if (now - s->down_since < a->conf.window_s || now < s->quiet_until)
		return;
	s->quiet_until = now + a->conf.repeat_s;

	obuf_init(&b, NULL);
	json_init(&j, &b);
	json_object(&j, NULL);
	json_str(&j, "condition", ALERT_SOURCE);
	json_int(&j, "time", now);
	json_str(&j, "source", name);
	json_str(&j, "why", why != NULL ? why : "");
	json_int(&j, "down_since", s->down_since);
	json_int(&j, "window_seconds", a->conf.window_s);
	json_end(&j);
	obuf_putc(&b, '\0');
	snprintf(subject, sizeof(subject), "bouncewatch: cannot read %s", name);
	snprintf(text, sizeof(text), "%s has not been readable for %lld "
	    "minutes: %s\n", name, (long long)(now - s->down_since) / 60,
	    why != NULL ? why : "");
	memset(&ev, 0, sizeof(ev));
	ev.condition = ALERT_SOURCE;
	ev.time = now;
	ev.domain = name;
	ev.reason = ev.cls = "";
	ev.window_s = a->conf.window_s;
	ev.json = b.p;
	alert_raise(a, &ev, subject, text);
	obuf_free(&b);
}

/* ---- delivery: children ---- */

int
alert_running(const struct alert *a)
{
	return a->nchildren;
}

static void
alert_child_free(struct alert_child *c)
{
	struct alert		*a = c->a;
	struct alert_child	**pp;

	for (pp = &a->children; *pp != NULL; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	a->nchildren--;
	ev_io_stop(a->loop, &c->io_w);
	ev_child_stop(a->loop, &c->child_w);
	ev_timer_stop(a->loop, &c->timer_w);
	if (c->fd != -1)
		close(c->fd);
	free(c->in);
	free(c);
}

static void
alert_child_input(struct alert_child *c)
{
	ev_io_stop(c->a->loop, &c->io_w);
	close(c->fd);
	c->fd = -1;
}

static void
alert_on_write(struct ev_loop *loop, ev_io *w, int revents)
{
	struct alert_child	*c = w->data;
	ssize_t			 n;

	(void)loop;
	(void)revents;
	n = write(c->fd, c->in + c->inoff, c->inlen - c->inoff);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n == -1) {
		/* it does not read its input: its business (EPIPE) */
		alert_child_input(c);
		return;
	}
	c->inoff += (size_t)n;
	if (c->inoff == c->inlen)
		alert_child_input(c);
}

static void
alert_on_exit(struct ev_loop *loop, ev_child *w, int revents)
{
	struct alert_child	*c = w->data;
	int			 st = w->rstatus;

	(void)loop;
	(void)revents;
	if (c->signals > 0)
		log_warnx("alert: %s killed after %ds", c->what,
		    c->a->conf.timeout_s);
	else if (WIFEXITED(st) && WEXITSTATUS(st) != 0)
		log_warnx("alert: %s exited with status %d", c->what,
		    WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		log_warnx("alert: %s died of signal %d", c->what, WTERMSIG(st));
	else
		log_debug("alert: %s done", c->what);
	alert_child_free(c);
}

static void
alert_on_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct alert_child	*c = w->data;

	(void)revents;
	/* its process group: a script's own children go too */
	if (c->signals++ == 0) {
		kill(-c->pid, SIGTERM);
		ev_timer_set(&c->timer_w, ALERT_KILL_GRACE, 0.);
		ev_timer_start(loop, &c->timer_w);
	} else
		kill(-c->pid, SIGKILL);
}

static void
alert_spawn(struct alert *a, const char *what, char *const argv[],
    const char *in, size_t inlen)
{
	struct alert_child	*c;
	sigset_t		 all;
	int			 p[2], fl;
	pid_t			 pid;

	if (a->nchildren >= ALERT_CHILDREN_MAX) {
		log_warnx("alert: %d alert programs still running; %s not run",
		    a->nchildren, what);
		return;
	}
	if (pipe(p) == -1) {
		log_warn("alert: pipe");
		return;
	}
	switch (pid = fork()) {
	case -1:
		log_warn("alert: fork");
		close(p[0]);
		close(p[1]);
		return;
	case 0:
		/* the child: a session of its own, default signals */
		setsid();
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		signal(SIGPIPE, SIG_DFL);
		signal(SIGCHLD, SIG_DFL);
		if (dup2(p[0], STDIN_FILENO) == -1)
			_exit(127);
		if (p[0] != STDIN_FILENO)
			close(p[0]);
		close(p[1]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(p[0]);
	if ((fl = fcntl(p[1], F_GETFL)) != -1)
		fcntl(p[1], F_SETFL, fl | O_NONBLOCK);
	fcntl(p[1], F_SETFD, FD_CLOEXEC);
	c = xcalloc(1, sizeof(*c));
	c->a = a;
	c->pid = pid;
	c->fd = p[1];
	c->in = xmalloc(inlen);
	memcpy(c->in, in, inlen);
	c->inlen = inlen;
	strlcpy(c->what, what, sizeof(c->what));
	c->next = a->children;
	a->children = c;
	a->nchildren++;
	ev_io_init(&c->io_w, alert_on_write, c->fd, EV_WRITE);
	c->io_w.data = c;
	ev_io_start(a->loop, &c->io_w);
	ev_child_init(&c->child_w, alert_on_exit, pid, 0);
	c->child_w.data = c;
	ev_child_start(a->loop, &c->child_w);
	ev_timer_init(&c->timer_w, alert_on_timeout, a->conf.timeout_s, 0.);
	c->timer_w.data = c;
	ev_timer_start(a->loop, &c->timer_w);
	log_debug("alert: %s started (pid %ld)", what, (long)pid);
}

/* Header text: printable ASCII only. */
static void
alert_header(struct obuf *b, const char *name, const char *v)
{
	obuf_puts(b, name);
	obuf_puts(b, ": ");
	for (; *v != '\0'; v++)
		obuf_putc(b, *v >= ' ' && *v < 0x7f ? *v : '?');
	obuf_puts(b, "\n");
}

/* Body text: terminal-safe lines. */
static void
alert_body(struct obuf *b, const char *text)
{
	const char	*nl;

	while ((nl = strchr(text, '\n')) != NULL) {
		emit_term_str(b, text, (size_t)(nl - text));
		obuf_putc(b, '\n');
		text = nl + 1;
	}
	emit_term_str(b, text, strlen(text));
}

static void
alert_raise(struct alert *a, struct alert_event *ev, const char *subject,
    const char *text)
{
	struct obuf	 m;
	char		*argv[5];

	log_info("alert: %s", subject);
	if (a->ops->record(a->arg, ev) == -1)
		log_warnx("alert: not recorded in the database");
	if (a->conf.command != NULL) {
		argv[0] = (char *)a->conf.command;
		argv[1] = NULL;
		alert_spawn(a, "alert_command", argv, ev->json, strlen(ev->json));
	}
	if (a->conf.to != NULL) {
		obuf_init(&m, NULL);
		alert_header(&m, "To", a->conf.to);
		alert_header(&m, "Subject", subject);
		obuf_puts(&m, "MIME-Version: 1.0\n"
		    "Content-Type: text/plain; charset=utf-8\n"
		    "Content-Transfer-Encoding: 8bit\n"
		    "Auto-Submitted: auto-generated\n\n");
		alert_body(&m, text);
		obuf_puts(&m, "\n-- \nThe alert as JSON:\n");
		obuf_puts(&m, ev->json);
		obuf_puts(&m, "\n");
		argv[0] = (char *)a->conf.sendmail;
		argv[1] = (char *)"-i";
		argv[2] = (char *)"--";
		argv[3] = (char *)a->conf.to;
		argv[4] = NULL;
		alert_spawn(a, "alert_to mail", argv, m.p, m.n);
		obuf_free(&m);
	}
}
