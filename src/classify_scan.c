/*
 * classify_scan.c -- the classifier's automaton, built once from the text
 * rules of the table, and the one pass over a text that notes what the
 * rules found.
 *
 * All built-in text rules are compiled into one Aho-Corasick automaton
 * over case-folded bytes, so a text is scanned once whatever the number of
 * rules.  A rule matches whole words: where a pattern begins or ends with
 * a letter or digit, the text must not continue the word there (a pattern
 * ending in '*' is a stem and may), so "spf" never matches "spfsender".
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify_int.h"
#include "hash.h"
#include "log.h"
#include "util.h"

/*
 * The scan's results for the texts seen last, by text (whole bytes,
 * compared), base class and X.4.1: failures repeat their replies ("connect
 * to mx.example.com[192.0.2.1]:25: Connection refused" for every message
 * to a domain that is down), and the automaton waits on memory at every
 * byte.  Ends are kept as offsets in the text.
 */
#define MEMO_SLOTS	1024
#define MEMO_TEXT_MAX	1024	/* longer texts are scanned every time */

struct scan_memo_slot {
	uint64_t	 h;		/* 0: empty */
	char		*text;
	size_t		 n;
	int		 base, x41;
	int16_t		 strong, vague, clue, hint, stage;
	int16_t		 stage_end;	/* -1: none */
	int16_t		 det[REASON_MAX];
	int16_t		 det_end[REASON_MAX];	/* -1: none */
};

struct scan_memo {
	struct scan_memo_slot	 slot[MEMO_SLOTS];
};

static int
classify_cmp_u16(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/*
 * Read an ENH pattern: "x.S.D", "x.S.D-E" (a range), "x.S.*", or with the
 * class digit instead of x ("4.4.1").
 */
static void
classify_enh_compile(const char *pat, struct enh_pat *e)
{
	int	 n;
	char	 star = 0;

	e->cls = pat[0] == 'x' ? 0 : pat[0] - '0';
	e->lo = 0;
	e->hi = 9999;
	if ((n = sscanf(pat + 2, "%d.%d-%d", &e->subj, &e->lo, &e->hi)) == 2)
		e->hi = e->lo;
	else if (n != 3 &&
	    (sscanf(pat + 2, "%d.%c", &e->subj, &star) != 2 || star != '*'))
		fatalx("classify: bad enhanced code pattern %s", pat);
}

/*
 * Number the symbols again: the blank first, then the letters, then the
 * rest as they came, so that the bytes most texts are made of share the
 * first cache line of a state's row.  The classes of bytes stay the same.
 */
static void
classify_sym_order(struct classifier *cl)
{
	uint8_t		 ren[256];
	unsigned	 n = 1, s, b;
	const char	*first = " abcdefghijklmnopqrstuvwxyz";

	memset(ren, 0, sizeof(ren));
	for (; *first != '\0'; first++)
		if ((s = cl->sym[(unsigned char)*first]) != 0 && ren[s] == 0)
			ren[s] = (uint8_t)n++;
	for (s = 1; s < cl->nsym; s++)
		if (ren[s] == 0)
			ren[s] = (uint8_t)n++;
	for (b = 0; b < 256; b++)
		cl->sym[b] = ren[cl->sym[b]];
}

/*
 * The automaton as the scan reads it: a row of AC_ROW(nsym) entries per
 * state, numbered breadth-first (the shallow states, where most bytes
 * leave the scan, lie together), each entry the next state with AC_OUT
 * set when that state ends a pattern.  2 MiB instead of 4 and one load
 * per byte: the scan waited on memory more than it computed.
 */
static void
classify_compact(struct classifier *cl, const uint32_t *queue, size_t nq,
    uint16_t **lists, const size_t *nlist)
{
	uint32_t	*perm;
	struct ac_state	*old = cl->states;
	size_t		 q, stride = AC_ROW(cl->nsym);
	unsigned	 s;

	if (cl->nstates > AC_STATE + 1 || nq != cl->nstates - 1)
		fatalx("classify: %zu automaton states", cl->nstates);
	perm = xcalloc(cl->nstates, sizeof(*perm));
	for (q = 0; q < nq; q++)
		perm[queue[q]] = (uint32_t)(q + 1);
	/* rows start on a cache line */
	if ((cl->go = aligned_alloc(64, (cl->nstates * stride * sizeof(*cl->go) +
	    63) & ~(size_t)63)) == NULL)
		fatal("classify: aligned_alloc");
	util_prefault(cl->go, cl->nstates * stride * sizeof(*cl->go));
	for (q = 0; q < cl->nstates; q++) {
		/* every entry below is written: only a row's padding is zeroed */
		memset(cl->go + perm[q] * stride + cl->nsym, 0,
		    (stride - cl->nsym) * sizeof(*cl->go));
		for (s = 0; s < cl->nsym; s++) {
			uint16_t	 t = cl->delta[q * cl->nsym + s];

			cl->go[perm[q] * stride + s] = (uint16_t)(perm[t] |
			    (nlist[t] > 0 ? AC_OUT : 0));
		}
	}
	free(cl->delta);
	cl->delta = NULL;

	cl->states = xcalloc(cl->nstates, sizeof(*cl->states));
	cl->nouts = 0;
	for (q = 0; q < cl->nstates; q++)
		cl->nouts += nlist[q];
	cl->outs = xcalloc(cl->nouts, sizeof(*cl->outs));
	cl->nouts = 0;
	for (q = 0; q < cl->nstates; q++) {
		struct ac_state	*st = &cl->states[perm[q]];

		st->fail = perm[old[q].fail];
		st->out = UINT32_MAX;
		st->nout = (uint16_t)nlist[q];
		if (nlist[q] > 0) {
			qsort(lists[q], nlist[q], sizeof(uint16_t), classify_cmp_u16);
			st->out = (uint32_t)cl->nouts;
			memcpy(cl->outs + cl->nouts, lists[q], nlist[q] * sizeof(uint16_t));
			cl->nouts += nlist[q];
		}
	}
	free(old);
	free(perm);
}

/*
 * Build the Aho-Corasick DFA of every TEXT rule.  The trie is grown in
 * "delta" directly (0 = no edge yet, root is state 0), then completed
 * breadth-first with the failure function, then compacted.
 */
static void
classify_build(struct classifier *cl)
{
	size_t		 i, cap = 1, q, head, tail;
	uint32_t	*queue;
	uint16_t	**lists;
	size_t		*nlist;
	unsigned	 s;

	cl->enh = xcalloc(classify_nrules, sizeof(*cl->enh));
	for (i = 0; i < classify_nrules; i++)
		if (classify_rules[i].kind == RULE_ENH) {
			cl->enh[cl->nenh].rule = (int)i;
			classify_enh_compile(classify_rules[i].pattern,
			    &cl->enh[cl->nenh++]);
		}

	memset(cl->sym, 0, sizeof(cl->sym));
	cl->nsym = 1;
	cl->edge = xcalloc(classify_nrules, sizeof(*cl->edge));
	cl->len = xcalloc(classify_nrules, sizeof(*cl->len));
	for (i = 0; i < classify_nrules; i++) {
		const char	*p = classify_rules[i].pattern;
		size_t		 n;

		if (classify_rules[i].kind != RULE_TEXT)
			continue;
		n = classify_pattern_len(p);
		if (n == 0 || n >= AC_RING)
			fatalx("classify: rule %s: pattern length %zu",
			    classify_rules[i].name, n);
		cl->len[i] = (uint16_t)n;
		if (classify_wordch((unsigned char)p[0]))
			cl->edge[i] |= AC_START;
		if (p[n] != '*' && classify_wordch((unsigned char)p[n - 1]))
			cl->edge[i] |= AC_END;
		for (; n > 0; p++, n--) {
			unsigned char	 c = (unsigned char)*p;

			cap++;
			if (cl->sym[c] == 0) {
				if (cl->nsym == 256)
					fatalx("classify: too many distinct bytes in rules");
				cl->sym[c] = (uint8_t)cl->nsym++;
				if (c >= 'a' && c <= 'z')
					cl->sym[c - 32] = cl->sym[c];
			}
		}
	}
	classify_sym_order(cl);
	/* white space is one blank (runs are folded by the scan) */
	cl->sym['\t'] = cl->sym['\r'] = cl->sym['\n'] = cl->sym[' '];
	/* states are numbered in 16 bits (the scan's rows hold 15) */
	if (cap > UINT16_MAX)
		fatalx("classify: %zu pattern bytes in the rules", cap);
	cl->delta = xcalloc(cap * cl->nsym, sizeof(*cl->delta));
	util_prefault(cl->delta, cap * cl->nsym * sizeof(*cl->delta));
	cl->states = xcalloc(cap, sizeof(*cl->states));
	lists = xcalloc(cap, sizeof(*lists));
	nlist = xcalloc(cap, sizeof(*nlist));
	cl->nstates = 1;

	for (i = 0; i < classify_nrules; i++) {
		const char	*p;
		size_t		 n;
		uint32_t	 st = 0;

		if (classify_rules[i].kind != RULE_TEXT)
			continue;
		for (p = classify_rules[i].pattern, n = cl->len[i]; n > 0; p++, n--) {
			unsigned	 y = cl->sym[(unsigned char)*p];
			uint16_t	*e = &cl->delta[st * cl->nsym + y];

			if (*e == 0)
				*e = (uint16_t)cl->nstates++;
			st = *e;
		}
		lists[st] = xrealloc(lists[st], (nlist[st] + 1) * sizeof(uint16_t));
		lists[st][nlist[st]++] = (uint16_t)i;
	}

	/* breadth-first: failure links, complete transitions, merged outputs */
	queue = xcalloc(cl->nstates, sizeof(*queue));
	head = tail = 0;
	for (s = 0; s < cl->nsym; s++) {
		uint16_t	 t = cl->delta[s];

		if (t != 0) {
			cl->states[t].fail = 0;
			queue[tail++] = t;
		}
	}
	while (head < tail) {
		uint32_t	 r = queue[head++];
		uint32_t	 f = cl->states[r].fail;

		if (nlist[f] > 0) {
			lists[r] = xrealloc(lists[r],
			    (nlist[r] + nlist[f]) * sizeof(uint16_t));
			memcpy(lists[r] + nlist[r], lists[f], nlist[f] * sizeof(uint16_t));
			nlist[r] += nlist[f];
		}
		for (s = 0; s < cl->nsym; s++) {
			uint16_t	*e = &cl->delta[r * cl->nsym + s];

			if (*e != 0) {
				cl->states[*e].fail = cl->delta[f * cl->nsym + s];
				queue[tail++] = *e;
			} else
				*e = cl->delta[f * cl->nsym + s];
		}
	}
	classify_compact(cl, queue, tail, lists, nlist);
	free(queue);
	for (q = 0; q < cl->nstates; q++)
		free(lists[q]);
	free(lists);
	free(nlist);
}

struct classifier *
classify_new(void)
{
	struct classifier	*cl = xcalloc(1, sizeof(*cl));

	classify_build(cl);
	/* rule numbers are kept in 16 bits */
	if (classify_nrules <= INT16_MAX)
		cl->memo = xcalloc(1, sizeof(*cl->memo));
	return cl;
}

void
classify_free(struct classifier *cl)
{
	size_t	 i;

	if (cl == NULL)
		return;
	for (i = 0; cl->memo != NULL && i < MEMO_SLOTS; i++)
		free(cl->memo->slot[i].text);
	free(cl->memo);
	free(cl->delta);
	free(cl->go);
	free(cl->enh);
	free(cl->edge);
	free(cl->len);
	free(cl->states);
	free(cl->outs);
	classify_free_ops(cl->ops, cl->nops);
	pcre2_match_data_free(cl->md);
	pcre2_match_context_free(cl->mctx);
	free(cl);
}

static int
classify_when_ok(int when, enum bw_class base, int x41)
{
	if (when == W_X41)
		return x41;
	if (when == W_TEMP)
		return base == CLASS_TEMPORARY || base == CLASS_GREYLIST;
	if (when == W_PERM || when == W_COUNT)
		return base == CLASS_PERMANENT;
	return 1;
}

/*
 * W_DOMAIN: the word before a match that starts at ring position start
 * (one blank back) is a domain name, "neko.example.com does not exist":
 * dotted labels of letters, digits and hyphens, the last one letters.
 * An address never is: the scan reads it as a blank.
 */
static int
classify_after_domain(const unsigned char *ring, size_t ci, size_t start)
{
	char	 name[AC_RING];
	size_t	 j, n = 0, i, label = 0;
	int	 dots = 0, alpha = 1;

	if (start < 2 || ring[(start - 1) % AC_RING] != ' ')
		return 0;
	/* the name ends one blank before the match: read it backwards */
	for (j = start - 1; j > 0 && ci - (j - 1) <= AC_RING; j--) {
		unsigned char	 c = ring[(j - 1) % AC_RING];

		if (!classify_wordch(c) && c != '-' && c != '.')
			break;
		name[n++] = (char)c;
	}
	/* name[] is reversed: the last label comes first */
	if (n == 0 || name[0] == '.' || name[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		if (name[i] == '.') {
			if (label == 0)
				return 0;	/* "a..b" */
			dots++;
			label = 0;
			continue;
		}
		if (dots == 0 && !((name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= 'A' && name[i] <= 'Z')))
			alpha = 0;
		label++;
	}
	return dots > 0 && alpha && i > 0 && name[1] != '.';
}

/* W_COUNT: a number, one blank before the match: "failed 20 attempts". */
static int
classify_after_count(const unsigned char *ring, size_t ci, size_t start)
{
	return start >= 2 && ci - (start - 2) <= AC_RING &&
	    ring[(start - 1) % AC_RING] == ' ' &&
	    classify_digit(ring[(start - 2) % AC_RING]);
}

/*
 * Postfix's "(in reply to MAIL FROM command)" names the stage (parsed
 * apart): a clue word inside it says nothing about the fault.
 */
static int
classify_after_in_reply(const unsigned char *ring, size_t ci, size_t start)
{
	static const char	 lead[] = "in reply to ";
	size_t			 n = sizeof(lead) - 1, k;

	if (start < n || ci - (start - n) > AC_RING)
		return 0;
	for (k = 0; k < n; k++)
		if (classify_lower(ring[(start - n + k) % AC_RING]) != lead[k])
			return 0;
	return 1;
}

/*
 * Names the text rules must not read: a host "name[address]" (":port"),
 * as in "host mx.spamexperts.com[192.0.2.1] said:" or "lost connection
 * with mx1.greylist.example[192.0.2.1]", and an e-mail address.  Whoever
 * runs the remote server or sends the mail chose them; they say nothing
 * about what went wrong.  Returns the end of such a name starting at i,
 * or i.
 */
static size_t
classify_skip_name(const char *p, size_t i, size_t n)
{
	size_t	 j = i, k;

	while (j < n && classify_namech((unsigned char)p[j]))
		j++;
	if (j == i || j >= n)
		return i;
	if (p[j] == '[') {
		int	 addr = 0;

		/*
		 * not a unix socket, "host[private/dovecot-lmtp]": that says;
		 * nor a word and a number, "compliant[291]": an address has
		 * a dot or a colon
		 */
		for (k = j + 1; k < n && k - j < 64 && p[k] != ']' && p[k] != ' ' &&
		    p[k] != '/'; k++)
			addr |= p[k] == '.' || p[k] == ':';
		if (k >= n || p[k] != ']' || !addr)
			return i;
		k++;
		if (k + 1 < n && p[k] == ':' && classify_digit((unsigned char)p[k + 1]))
			for (k++; k < n && classify_digit((unsigned char)p[k]); k++)
				;
		return k;
	}
	if (p[j] == '@') {
		for (k = j + 1; k < n && (classify_namech((unsigned char)p[k]) &&
		    p[k] != '+' && p[k] != '='); k++)
			;
		return k > j + 1 ? k : i;
	}
	return i;
}

/*
 * The line prefix of a multi-line reply inside the joined text, "550-",
 * "550-5.1.1 " or "550 5.1.1 " (RFC 5321 4.2, RFC 2034): Postfix keeps
 * them, so "554-5.7.1 Relay 554 5.7.1 access denied" hides its phrase.
 * Returns the end of the prefix and the blank after it, or i.
 */
static size_t
classify_skip_prefix(const char *p, size_t i, size_t n)
{
	size_t	 k;
	int	 dots = 0;

	if (n - i < 4 || !classify_digit((unsigned char)p[i]) ||
	    !classify_digit((unsigned char)p[i + 1]) ||
	    !classify_digit((unsigned char)p[i + 2]) ||
	    (p[i + 3] != '-' && p[i + 3] != ' '))
		return i;
	k = i + 4;
	/* "X.Y.Z" with the class digit of the code */
	if (k < n && p[k] == p[i]) {
		size_t	 e = k + 1;

		while (e < n && (p[e] == '.' || classify_digit((unsigned char)p[e]))) {
			dots += p[e] == '.';
			e++;
		}
		if (dots == 2 && p[e - 1] != '.' && (e == n || p[e] == ' '))
			k = e;
	}
	if (k == i + 4 && p[i + 3] == ' ')
		return i;		/* "550 " alone may be words: keep it */
	while (k < n && p[k] == ' ')
		k++;
	return k;
}

void
classify_scan_init(struct scan *sc)
{
	size_t	 i;

	sc->strong = sc->vague = sc->clue = sc->hint = sc->stage = -1;
	sc->stage_end = NULL;
	sc->tr = NULL;
	for (i = 0; i < REASON_MAX; i++) {
		sc->det[i] = -1;
		sc->det_end[i] = NULL;
	}
}

/* Note one match of rule ri that ends before end. */
static void
classify_scan_hit(struct scan *sc, int ri, enum bw_class base, int x41,
    const char *end)
{
	const struct rule	*r = &classify_rules[ri];

	if (r->hint != H_NONE && (sc->hint == -1 || ri < sc->hint))
		sc->hint = ri;
	if (!classify_when_ok(r->when, base, x41)) {
		if (sc->tr != NULL)
			classify_trace_add(sc->tr, ri, NULL, r->when == W_X41 ?
			    "applies to an X.4.1 code only" : r->when == W_TEMP ?
			    "applies to temporary failures only" :
			    "applies to permanent failures only");
		return;
	}
	if (sc->tr != NULL)
		classify_trace_add(sc->tr, ri, NULL, NULL);
	if (r->detail != DETAIL_NONE && r->reason != REASON_NONE &&
	    (sc->det[r->reason] == -1 || ri < sc->det[r->reason])) {
		sc->det[r->reason] = ri;
		sc->det_end[r->reason] = end;
	}
	switch (r->weight) {
	case EV_STRONG:
		if (r->reason != REASON_NONE && (sc->strong == -1 || ri < sc->strong))
			sc->strong = ri;
		break;
	case EV_VAGUE:
		if (sc->vague == -1 || ri < sc->vague)
			sc->vague = ri;
		break;
	case EV_CLUE:
		/* "helo" ending "after HELO" names the stage, not the fault */
		if (end != sc->stage_end && (sc->clue == -1 || ri < sc->clue))
			sc->clue = ri;
		break;
	case EV_STAGE:
		sc->stage_end = end;
		if (sc->stage == -1 || ri < sc->stage)
			sc->stage = ri;
		break;
	default:
		break;
	}
}

/*
 * Scan the text once, past names and line prefixes, folding runs of
 * blanks, and note what the rules found (struct scan).  A match counts
 * only at word edges: the ring keeps the bytes the automaton read, so
 * the byte before a match is known even across a skipped line prefix.
 * The hint ignores conditions: it is used before the class is known.
 */
static void
classify_scan_text(const struct classifier *cl, const char *p, size_t n,
    enum bw_class base, int x41, struct scan *sc)
{
	unsigned char	 ring[AC_RING];
	uint32_t	 st = 0;
	size_t		 i, j, ci = 0;
	int		 blank = 1;

	for (i = 0; i < n; i++) {
		const struct ac_state	*s;
		unsigned char		 c = (unsigned char)p[i];
		uint16_t		 k;

		if (i == 0 || !classify_namech((unsigned char)p[i - 1])) {
			if ((j = classify_skip_name(p, i, n)) != i) {
				/* a name: the words on both sides stay apart */
				st = 0;
				ring[ci++ % AC_RING] = ' ';
				blank = 1;
				i = j - 1;
				continue;
			}
			if (i > 0 && p[i - 1] == ' ' &&
			    (j = classify_skip_prefix(p, i, n)) != i) {
				/* a line prefix: the words on both sides join */
				i = j - 1;
				continue;
			}
		}
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			if (blank)
				continue;
			blank = 1;
		} else
			blank = 0;
		ring[ci++ % AC_RING] = c;
		st = cl->go[st * AC_ROW(cl->nsym) + cl->sym[c]];
		if (!(st & AC_OUT))
			continue;
		st &= AC_STATE;
		s = &cl->states[st];
		for (k = 0; k < s->nout; k++) {
			int	 ri = cl->outs[s->out + k];

			if ((cl->edge[ri] & AC_START) && ci > cl->len[ri] &&
			    classify_wordch(ring[(ci - cl->len[ri] - 1) % AC_RING]))
				continue;
			if ((cl->edge[ri] & AC_END) && i + 1 < n &&
			    classify_wordch((unsigned char)p[i + 1]))
				continue;
			if (classify_rules[ri].when == W_DOMAIN &&
			    !classify_after_domain(ring, ci, ci - cl->len[ri]))
				continue;
			if (classify_rules[ri].weight == EV_CLUE &&
			    classify_after_in_reply(ring, ci, ci - cl->len[ri]))
				continue;
			if (classify_rules[ri].when == W_COUNT &&
			    !classify_after_count(ring, ci, ci - cl->len[ri]))
				continue;
			classify_scan_hit(sc, ri, base, x41, p + i + 1);
		}
	}
}


/* Is sc as classify_scan_init left it (so that a result can replace it)? */
static int
classify_scan_fresh(const struct scan *sc)
{
	size_t	 i;

	if (sc->tr != NULL || sc->strong != -1 || sc->vague != -1 ||
	    sc->clue != -1 || sc->hint != -1 || sc->stage != -1 ||
	    sc->stage_end != NULL)
		return 0;
	for (i = 0; i < REASON_MAX; i++)
		if (sc->det[i] != -1 || sc->det_end[i] != NULL)
			return 0;
	return 1;
}

static int16_t
classify_memo_off(const char *p, const char *end)
{
	return end == NULL ? -1 : (int16_t)(end - p);
}

static const char *
classify_memo_end(const char *p, int16_t off)
{
	return off < 0 ? NULL : p + off;
}

void
classify_scan(const struct classifier *cl, const char *p, size_t n,
    enum bw_class base, int x41, struct scan *sc)
{
	struct scan_memo_slot	*m;
	uint64_t		 h;
	size_t			 i;

	if (cl->memo == NULL || n > MEMO_TEXT_MAX || !classify_scan_fresh(sc)) {
		classify_scan_text(cl, p, n, base, x41, sc);
		return;
	}
	h = hash_fast(p, n) | 1;
	m = &cl->memo->slot[(h >> 1) & (MEMO_SLOTS - 1)];
	if (m->h == h && m->n == n && m->base == (int)base && m->x41 == x41 &&
	    memcmp(m->text, p, n) == 0) {
		sc->strong = m->strong;
		sc->vague = m->vague;
		sc->clue = m->clue;
		sc->hint = m->hint;
		sc->stage = m->stage;
		sc->stage_end = classify_memo_end(p, m->stage_end);
		for (i = 0; i < REASON_MAX; i++) {
			sc->det[i] = m->det[i];
			sc->det_end[i] = classify_memo_end(p, m->det_end[i]);
		}
		return;
	}
	classify_scan_text(cl, p, n, base, x41, sc);
	free(m->text);
	m->text = xmalloc(n + 1);
	memcpy(m->text, p, n);
	m->n = n;
	m->h = h;
	m->base = (int)base;
	m->x41 = x41;
	m->strong = (int16_t)sc->strong;
	m->vague = (int16_t)sc->vague;
	m->clue = (int16_t)sc->clue;
	m->hint = (int16_t)sc->hint;
	m->stage = (int16_t)sc->stage;
	m->stage_end = classify_memo_off(p, sc->stage_end);
	for (i = 0; i < REASON_MAX; i++) {
		m->det[i] = (int16_t)sc->det[i];
		m->det_end[i] = classify_memo_off(p, sc->det_end[i]);
	}
}
