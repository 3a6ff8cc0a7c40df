/*
 * classify_trace.c -- the evidence bouncewatch classify --explain shows:
 * every rule found, in the order weighed, and why each lost or won.
 */
#include "config.h"

#include <string.h>

#include "classify_int.h"

static const char *const classify_weight_names[] = {
	[EV_STRONG] = "strong",
	[EV_SPECIFIC] = "specific",
	[EV_VAGUE] = "vague",
	[EV_CLUE] = "clue",
	[EV_GENERIC] = "generic",
	[EV_CODE] = "code",
	[EV_STAGE] = "stage",
	[EV_DETAIL] = "detail",
	[EV_HINT] = "hint",
};

/* Note rule ri (-1: the operator rule op) once; outcome may come later. */
void
classify_trace_add(struct classify_trace *tr, int ri, const struct oprule *op,
    const char *outcome)
{
	struct classify_evidence	*e;
	size_t				 i;

	if (tr == NULL)
		return;
	for (i = 0; ri != -1 && i < tr->n; i++)
		if (tr->ev[i].index == ri)
			return;
	if (tr->n == CLASSIFY_TRACE_MAX) {
		tr->dropped++;
		return;
	}
	e = &tr->ev[tr->n++];
	e->index = ri;
	e->outcome = outcome;
	if (ri == -1) {
		e->rule = op->name;
		e->pattern = op->is_regex ? "(regular expression)" : op->needle;
		e->weight = "operator";
		e->reason = op->reason;
		return;
	}
	e->rule = classify_rules[ri].name;
	e->pattern = classify_rules[ri].pattern;
	e->weight = classify_weight_names[classify_rules[ri].weight];
	e->reason = classify_rules[ri].reason;
}

/* Why each rule found lost to rr (or did not), once the verdict is known. */
void
classify_trace_judge(struct classify_trace *tr, int rr, const struct verdict *v,
    enum bw_detail detail)
{
	size_t	 i;

	for (i = 0; tr != NULL && i < tr->n; i++) {
		struct classify_evidence	*e = &tr->ev[i];
		const struct rule		*r;

		if (e->outcome != NULL || e->index == -1)
			continue;
		r = &classify_rules[e->index];
		if (e->index == rr)
			e->outcome = v->reason == r->reason ? "won" :
			    "won, but the SMTP stage changed its reason";
		else if (r->weight == EV_STAGE)
			e->outcome = "names the SMTP stage, decides nothing";
		else if (r->weight == EV_HINT)
			e->outcome = "hints at the class only";
		else if (r->weight == EV_DETAIL)
			e->outcome = r->detail == detail && r->reason == v->reason ?
			    "named the detail" : "names a detail of another reason";
		else if (rr == -1)
			e->outcome = "not weighed";
		else if (r->weight > classify_rules[rr].weight)
			e->outcome = r->detail == detail && detail != DETAIL_NONE &&
			    r->reason == v->reason ? "weaker evidence; named the detail" :
			    "weaker evidence than the winner's";
		else if (r->weight == classify_rules[rr].weight)
			e->outcome = "as strong, but later in the table";
		else
			e->outcome = "not weighed";
	}
}

static const char *const classify_stage_names[] = {
	[STG_NONE] = NULL,
	[STG_GREETING] = "greeting or HELO",
	[STG_MAIL] = "MAIL FROM",
	[STG_RCPT] = "RCPT TO",
	[STG_DATA] = "DATA",
};

/* The stage as --explain names it; NULL for none. */
const char *
classify_stage_name(enum rule_stage stage)
{
	return classify_stage_names[stage];
}

/*
 * Operator rule won decided the verdict: note it, the later operator rules that match
 * too, and what the built-in rules found, which never got to decide.
 */
void
classify_trace_ops(const struct classifier *cl, struct classify_trace *tr,
    size_t won, const struct delivery *d, struct span text, enum bw_class base,
    int x41)
{
	struct scan	 sc;
	size_t		 i, j;

	classify_trace_add(tr, -1, &cl->ops[won], "won");
	for (i = won + 1; i < cl->nops; i++) {
		if (classify_op_hit(cl, &cl->ops[i], d))
			classify_trace_add(tr, -1, &cl->ops[i],
			    "an earlier operator rule matched first");
	}
	j = tr->n;
	classify_scan_init(&sc);
	sc.tr = tr;
	tr->text = "the whole reason (operator rules), the reply (built-in)";
	classify_scan(cl, text.p, text.n, base, x41, &sc);
	for (i = j; i < tr->n; i++)
		if (tr->ev[i].outcome == NULL)
			tr->ev[i].outcome = "operator rules come first";
}

