/*
 * fuzz_rules.c -- libFuzzer target: one input is one operator rules file.
 *
 * The text is loaded into a classifier; when it loads, a fixed set of
 * replies is classified so that the loaded substrings and regular
 * expressions are matched, and an empty rules text then takes the
 * classifier back to the built-in table alone.  Building the automaton
 * costs more than everything else here, so the classifier is built once:
 * what a fresh one would catch is checked instead, the verdicts on the
 * fixed replies are those of the built-in table after every input (a
 * failed load leaves the classifier unchanged, classify.h).  A failed
 * load is repeated with a tiny error buffer: the same errors must be
 * counted, the text truncated but NUL-terminated.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "parse.h"

#define FUZZ_NREPLIES	(sizeof(fuzz_replies) / sizeof(fuzz_replies[0]))

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const struct {
	enum dstatus	 status;
	const char	*text;
} fuzz_replies[] = {
	{ DSTATUS_BOUNCED, "host mx.example.com[192.0.2.1] said: 550 5.1.1 "
	    "<u@example.com>: Recipient address rejected: User unknown "
	    "(in reply to RCPT TO command)" },
	{ DSTATUS_DEFERRED, "host mx.example.com[192.0.2.1] said: 450 4.2.0 "
	    "Greylisted, see http://postgrey.example/ (in reply to RCPT TO command)" },
	{ DSTATUS_NONE, "421 4.7.0 Try again later, closing connection." },
	{ DSTATUS_NONE, "Host or domain name not found. Name service error" },
	{ DSTATUS_BOUNCED, "" },
};

static struct classifier	*cl;
static struct verdict		 builtin[FUZZ_NREPLIES];

static void
fuzz_fail(const char *what)
{
	fprintf(stderr, "fuzz_rules: invariant violated: %s\n", what);
	abort();
}

static void
fuzz_classify(struct verdict *out)
{
	struct delivery	 d;
	struct verdict	 v;
	size_t		 i;

	for (i = 0; i < FUZZ_NREPLIES; i++) {
		const char	*t = fuzz_replies[i].text;

		parse_reply(t, strlen(t), &d);
		d.status = fuzz_replies[i].status;
		classify_delivery(cl, LINE_DELIVERY, &d, &v);
		if ((unsigned)v.cls >= CLASS_MAX || (unsigned)v.reason >= REASON_MAX ||
		    v.rule == NULL)
			fuzz_fail("verdict out of range");
		if (out != NULL)
			out[i] = v;
	}
}

/* The classifier must decide as the built-in table alone does. */
static void
fuzz_check_builtin(const char *when)
{
	struct verdict	 v[FUZZ_NREPLIES];
	size_t		 i;

	fuzz_classify(v);
	for (i = 0; i < FUZZ_NREPLIES; i++)
		if (v[i].cls != builtin[i].cls || v[i].reason != builtin[i].reason ||
		    strcmp(v[i].rule, builtin[i].rule) != 0)
			fuzz_fail(when);
}

/*
 * Load a rules text: 0, or -1 and a list of errors, one "fuzz.rules:N: "
 * line each; *cause is the list (malloc'd) or NULL.
 */
static int
fuzz_load(const char *text, size_t len, char **cause)
{
	const char	*p;
	int		 r;

	*cause = NULL;
	r = classify_load_rules_text(cl, "fuzz.rules", text, len, cause);
	if (r != 0 && r != -1)
		fuzz_fail("neither 0 nor -1");
	if ((r == 0) != (*cause == NULL))
		fuzz_fail("return value and error text disagree");
	if (r == 0)
		return 0;
	if (**cause == '\0' || (*cause)[strlen(*cause) - 1] != '\n')
		fuzz_fail("error list empty or not ending with a newline");
	for (p = *cause; *p != '\0'; p = strchr(p, '\n') + 1)
		if (strncmp(p, "fuzz.rules:", 11) != 0)
			fuzz_fail("an error line does not name file:line");
	return -1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*cause, *again;

	if (cl == NULL) {
		if ((cl = classify_new()) == NULL)
			abort();
		fuzz_classify(builtin);
	}
	if (fuzz_load((const char *)data, size, &cause) == 0) {
		fuzz_classify(NULL);
		if (fuzz_load("", 0, &again) != 0)
			fuzz_fail("an empty rules text has errors");
		fuzz_check_builtin("empty rules text did not restore the table");
	} else {
		fuzz_check_builtin("a failed load changed the classifier");
		if (fuzz_load((const char *)data, size, &again) != -1 ||
		    strcmp(cause, again) != 0)
			fuzz_fail("the same text gave other errors");
		free(again);
		free(cause);
	}
	return 0;
}
