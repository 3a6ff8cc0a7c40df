/*
 * classify_int.h -- what the files of the classifier share: the rule type
 * of the built-in table, the operator rules, the automaton and the scan.
 * Private to classify*.c.
 */
#ifndef BW_CLASSIFY_INT_H
#define BW_CLASSIFY_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8

#include <stdint.h>
#include <string.h>

#include <pcre2.h>

#include "classify.h"

enum rule_kind {
	RULE_TEXT,
	RULE_ENH,
	RULE_CODE,
};

/* How much a rule's evidence weighs, strongest first (see the top). */
enum rule_weight {
	EV_STRONG,		/* a provider's code, a clear phrase */
	EV_SPECIFIC,		/* an enhanced code that names the cause */
	EV_VAGUE,		/* a phrase that fits several causes */
	EV_CLUE,		/* a word naming the subject: "relay", "sender" */
	EV_GENERIC,		/* X.7.1, X.5.0, ...: refused, little more */
	EV_CODE,		/* the basic reply code */
	EV_STAGE,		/* names the SMTP stage, decides nothing */
	EV_DETAIL,		/* names a detail of its reason, decides nothing */
	EV_HINT,		/* only a class hint */
};

/* SMTP stages that change what a refusal can mean. */
enum rule_stage {
	STG_NONE,
	STG_GREETING,		/* the banner, HELO/EHLO: about our host */
	STG_MAIL,		/* MAIL FROM: about our sender */
	STG_RCPT,
	STG_DATA,
};

struct rule {
	const char	*name;
	enum rule_kind	 kind;
	const char	*pattern;
	enum bw_reason	 reason;
	int		 when;
	int		 hint;
	enum rule_weight weight;
	enum rule_stage	 stage;		/* EV_STAGE rules */
	enum bw_detail	 detail;
	const char	*source;	/* provider rules: the documentation */
	const char	*example;
};


/* When a rule applies, and the class a code-less text implies. */
#define W_ANY	0
#define W_TEMP	1
#define W_PERM	2
#define W_X41	3	/* the enhanced code (dsn or reply) is X.4.1 */
#define W_DOMAIN 4	/* the word before the phrase is a domain name */
#define W_COUNT	5	/* permanent, and the word before the phrase is a number */
#define H_NONE	(-1)
#define H_PERM	CLASS_PERMANENT
#define H_TEMP	CLASS_TEMPORARY

/* The built-in rules (classify_table.c), in precedence order. */
extern const struct rule	classify_rules[];
extern const size_t		classify_nrules;


/* ---- operator rules ---- */

struct oprule {
	char		*name;		/* "FILE:LINE" */
	int		 is_regex;
	char		*needle;	/* lower-case substring */
	size_t		 needle_len;
	pcre2_code	*re;
	enum bw_reason	 reason;
	int		 cls;		/* -1: from status/code */
};

/* ---- the automaton ---- */

struct ac_state {
	uint32_t	 fail;
	uint32_t	 out;		/* index into outs, or UINT32_MAX */
	uint16_t	 nout;
};

/* Word edges a text rule needs, and its length in the text. */
#define AC_START	0x01	/* the byte before the match is not a word byte */
#define AC_END		0x02	/* the byte after the match is not a word byte */

/* An entry of the scan's rows: the next state, and whether it ends a pattern. */
#define AC_OUT		0x8000
#define AC_STATE	0x7fff
/* Entries per row: whole cache lines of them. */
#define AC_ROW(nsym)	(((nsym) + 31u) & ~31u)

/* The longest text pattern: the scan remembers this many bytes back. */
#define AC_RING		256

/* An ENH rule's pattern, read once: class (0: any), subject, detail range. */
struct enh_pat {
	int		 rule;
	int		 cls, subj, lo, hi;
};

struct scan_memo;

struct classifier {
	struct enh_pat	*enh;		/* the ENH rules, in table order */
	size_t		 nenh;
	uint8_t		 sym[256];	/* byte -> symbol (0: not in any pattern) */
	uint8_t		*edge;		/* per rule: AC_START | AC_END */
	uint16_t	*len;		/* per rule: bytes matched */
	unsigned	 nsym;
	uint16_t	*delta;		/* nstates * nsym, while it is built */
	uint16_t	*go;		/* the scan's: nstates * AC_ROW(nsym) */
	struct ac_state	*states;
	size_t		 nstates;
	uint16_t	*outs;		/* rule indices, ascending per state */
	size_t		 nouts;
	struct oprule	*ops;
	size_t		 nops;
	/*
	 * The last scans' results (classify_scan.c): like md, for one
	 * thread at a time.
	 */
	struct scan_memo	*memo;
	pcre2_match_data	*md;	/* for every operator regex */
	pcre2_match_context	*mctx;	/* their limits */
};


/* What one pass over a text found: rule indices, -1 for none. */
struct scan {
	int		 strong;	/* first clear phrase (table order) */
	int		 vague;		/* first vague phrase */
	int		 clue;		/* first clue word */
	int		 hint;		/* first rule with a class hint */
	int		 stage;		/* first rule naming the SMTP stage */
	const char	*stage_end;	/* where the last stage phrase ends */
	int		 det[REASON_MAX];	/* first rule naming a detail */
	const char	*det_end[REASON_MAX];	/* where its match ends */
	struct classify_trace	*tr;	/* --explain: every hit, or NULL */
};


static inline int
classify_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Bytes that continue a word: a pattern's edge must not cut one. */
static inline int
classify_wordch(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_';
}

/* Bytes of a host name or an address. */
static inline int
classify_namech(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_' ||
	    c == '+' || c == '=';
}

static inline int
classify_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* Length of a text pattern without its stem mark, a final '*'. */
static inline size_t
classify_pattern_len(const char *p)
{
	size_t	 n = strlen(p);

	return n > 0 && p[n - 1] == '*' ? n - 1 : n;
}

/* classify_scan.c: the automaton and one pass over a text */
void	 classify_scan_init(struct scan *);
void	 classify_scan(const struct classifier *, const char *, size_t,
	    enum bw_class, int, struct scan *);

/* classify_oprules.c: the operator rules */
void	 classify_free_ops(struct oprule *, size_t);
int	 classify_op_hit(const struct classifier *, const struct oprule *,
	    const struct delivery *);

/* classify_trace.c: the evidence of --explain */
void	 classify_trace_add(struct classify_trace *, int,
	    const struct oprule *, const char *);
void	 classify_trace_judge(struct classify_trace *, int,
	    const struct verdict *, enum bw_detail);
void	 classify_trace_ops(const struct classifier *, struct classify_trace *,
	    size_t, const struct delivery *, struct span, enum bw_class, int);
const char	*classify_stage_name(enum rule_stage);

#endif
