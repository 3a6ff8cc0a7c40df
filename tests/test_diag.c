/*
 * test_diag.c -- diag.c, the pure text work on diagnostics: before/after
 * pairs for the grouping form and for the stored template (with the words
 * it takes out), and the bounds of both.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "diag.h"
#include "hash.h"

static const struct {
	const char	*in;
	const char	*out;
} norm_pairs[] = {
	/* the preamble goes, the address in brackets reads <addr> */
	{ "host mx.example.com[192.0.2.1] said: 550 5.1.1 <user@example.com>: "
	  "Recipient address rejected: User unknown (in reply to RCPT TO command)",
	  "550 5.1.1 <addr>: Recipient address rejected: User unknown "
	  "(in reply to RCPT TO command)" },
	{ "refused to talk to me: 554 5.7.1 blocked using zen.spamhaus.org",
	  "554 5.7.1 blocked using zen.spamhaus.org" },
	/* relay with port: one IP word, its punctuation kept */
	{ "connect to 203.0.113.5[203.0.113.5]:25: Connection timed out",
	  "connect to <ip>: Connection timed out" },
	{ "4.7.0 Try again later, closing connection. (EHLO) a1b2c3d4e5.123 - gsmtp",
	  "4.7.0 Try again later, closing connection. (EHLO) <id> - gsmtp" },
	/* blanks collapse, trailing ones go; a number that is no code is <n> */
	{ "Too   many\tconnections (1234),  try later ",
	  "Too many connections (<n>), try later" },
	/* a reply code is one only as a word of its own */
	{ "452 too many (421) recipients", "452 too many (<n>) recipients" },
	/* IPv6 */
	{ "from 2001:db8::1 refused", "from <ip> refused" },
	/* template markers read as names */
	{ "<\001r>: mailbox full on \001h", "<addr>: mailbox full on <host>" },
	{ "relay for \001d denied, ref \0011", "relay for <domain> denied, ref <var>" },
	/*
	 * Real texts (tests/data/reference.tsv, sample-mail.log, Microsoft's
	 * and Gmail's published replies).  Postfix's "delivery temporarily
	 * suspended: X" is X.
	 */
	{ "delivery temporarily suspended: connect to mail.corp.com[1.1.1.1]:25: "
	  "Connection timed out",
	  "connect to <id>: Connection timed out" },
	{ "connect to mail.corp.com[1.1.1.1]:25: Connection timed out",
	  "connect to <id>: Connection timed out" },
	{ "delivery temporarily suspended: Host or domain name not found. Name service "
	  "error for name=yahoo.co.id type=MX: Host not found, try again",
	  "Host or domain name not found. Name service error for name=yahoo.co.id "
	  "type=MX: Host not found, try again" },
	{ "delivery temporarily suspended: host mx.example.net[192.0.2.9] said: 451 4.3.0 "
	  "Temporary internal failure (in reply to end of DATA command)",
	  "451 4.3.0 Temporary internal failure (in reply to end of DATA command)" },
	/* Microsoft: AS(...) and (S3150) kept, the server's labels <host> */
	{ "host outlook-com.olc.protection.outlook.com[52.101.68.172] said: 550 5.4.1 "
	  "Recipient address rejected: Access denied. AS(201806281) "
	  "[HE9EUR09.prod.protection.outlook.com] (in reply to RCPT TO command)",
	  "550 5.4.1 Recipient address rejected: Access denied. AS(201806281) "
	  "[<host>.prod.protection.outlook.com] (in reply to RCPT TO command)" },
	{ "550 5.4.1 [janice_martin@hotmail.com]: Recipient address rejected: Access "
	  "denied [HE979EUR06.prod.protection.outlook.com]",
	  "550 5.4.1 [<addr>]: Recipient address rejected: Access denied "
	  "[<host>.prod.protection.outlook.com]" },
	{ "550 5.7.1 Unfortunately, messages from [198.51.100.25] weren't sent. Please "
	  "contact your Internet service provider since part of their network is on our "
	  "block list (S3150). [AM4PEPF00027A5F.eurprd04.prod.outlook.com "
	  "2026-11-22T10:00:00.123Z 08DDF1A2B3C4D5E6]",
	  "550 5.7.1 Unfortunately, messages from [<ip>] weren't sent. Please contact "
	  "your Internet service provider since part of their network is on our block "
	  "list (S3150). [<host>.prod.outlook.com <date> <id>]" },
	{ "550 5.7.606 Access denied, banned sending IP [198.51.100.7]. AS(1430)",
	  "550 5.7.606 Access denied, banned sending IP [<ip>]. AS(1430)" },
	{ "432 4.3.2 Concurrent connections limit exceeded. Visit "
	  "https://aka.ms/concurrent_sending for more information. "
	  "[Hostname=VI942EUR06.PROD.PROTECTION.OUTLOOK.COM]",
	  "432 4.3.2 Concurrent connections limit exceeded. Visit "
	  "https://aka.ms/concurrent_sending for more information. "
	  "[Hostname=<host>.PROD.PROTECTION.OUTLOOK.COM]" },
	/* an enhanced code in parentheses is a code; a bare one too */
	{ "550 Rejected (5.7.1) by policy", "550 Rejected (5.7.1) by policy" },
	/* Yahoo: the server labels vary, the provider stays */
	{ "421 4.7.0 [TSS04] Messages from 192.0.2.4 temporarily deferred; "
	  "mta7.am0.yahoodns.net", "421 4.7.0 [TSS04] Messages from <ip> temporarily "
	  "deferred; <host>.yahoodns.net" },
	/* Gmail: the trailing random token */
	{ "host gmail-smtp-in.l.google.com[142.250.122.146] said: 550-5.1.1 The email "
	  "account that you tried to reach does not exist. e8f40deca7587-"
	  "a17576dfe35si54122efc.168 - gsmtp",
	  "550-5.1.1 The email account that you tried to reach does not exist. "
	  "<id> - gsmtp" },
	/* dates and times */
	{ "451 4.7.1 Try again at 10:30:00 on 2026-11-23, queue 12:05",
	  "451 4.7.1 Try again at <date> on <date>, queue <date>" },
	/* a host without digits is the provider's name: kept */
	{ "mx.mail.example.org refused", "mx.mail.example.org refused" },
	{ "", "" },
};

static void
test_normalize_pairs(void **state)
{
	char	 out[1024];
	size_t	 i, n;

	(void)state;
	for (i = 0; i < sizeof(norm_pairs) / sizeof(norm_pairs[0]); i++) {
		n = diag_normalize(norm_pairs[i].in, strlen(norm_pairs[i].in), out,
		    sizeof(out));
		assert_string_equal(out, norm_pairs[i].out);
		assert_int_equal(n, strlen(norm_pairs[i].out));
	}
}

static void
test_normalize_bounds(void **state)
{
	char	 out[4];

	(void)state;
	memset(out, 'X', sizeof(out));
	assert_int_equal(diag_normalize("550 hello", 9, out, sizeof(out)), 3);
	assert_string_equal(out, "550");
	/* a replacement is cut, never overrun */
	assert_int_equal(diag_normalize("1234", 4, out, sizeof(out)), 3);
	assert_string_equal(out, "<n>");
}

struct tmpl_case {
	const char	*in;
	const char	*rcpt, *host, *dom;
	const char	*out;
	const char	*args[DIAG_ARGS];
};

static const struct tmpl_case tmpl_cases[] = {
	/* recipient, relay: markers; codes literal; no arguments */
	{ "host mx1.example.com[192.0.2.1] said: 550 5.1.1 <bob@example.com>: User unknown",
	  "bob@example.com", "mx1.example.com[192.0.2.1]", "example.com",
	  "host \001h said: 550 5.1.1 <\001r>: User unknown", { NULL, NULL, NULL } },
	/* the first three variable words are taken out, a fourth stays */
	{ "4.7.28 [198.51.100.7 15] Unusual rate. id=ab12cd34 - gsmtp 4242",
	  "", "", "gmail.com",
	  "4.7.28 [\0011 \0012] Unusual rate. \0013 - gsmtp 4242",
	  { "198.51.100.7", "15", "id=ab12cd34" } },
	/* the domain alone, when longer than 3 bytes */
	{ "relay for example.org denied, not for a.b", "", "", "example.org",
	  "relay for \001d denied, not for a.b", { NULL, NULL, NULL } },
	{ "relay for a.b denied", "", "", "a.b", "relay for a.b denied",
	  { NULL, NULL, NULL } },
	/* control bytes in the template become '?' */
	{ "550 text\a here", "", "", "", "550 text? here", { NULL, NULL, NULL } },
	/* ... and in the words taken out: ESC, CSI 0x9B, C1 in UTF-8, DEL */
	{ "550 bad\033[31m text\a x\2332Jy a\302\2339 caf\303\251 \177", "", "", "",
	  "550 \0011 text? \0012 \0013 caf\303\251 ?", { "bad?[31m", "x?2Jy", "a?9" } },
	/* codes stay in the template; a host's varying labels are a word */
	{ "550 5.4.1 Access denied. AS(201806281) (S3150) [HE9EUR09.prod.outlook.com]",
	  "", "", "", "550 5.4.1 Access denied. AS(201806281) (S3150) [\0011.prod.outlook.com]",
	  { "HE9EUR09", NULL, NULL } },
	/* one-byte words grow: the bound DIAG_TEMPLATE_SIZE holds */
	{ "1 2 3", "", "", "", "\0011 \0012 \0013", { "1", "2", "3" } },
};

static void
test_template_pairs(void **state)
{
	struct diag_args	 args;
	char			*out;
	size_t			 i, n, len;
	int			 k;

	(void)state;
	for (i = 0; i < sizeof(tmpl_cases) / sizeof(tmpl_cases[0]); i++) {
		const struct tmpl_case	*c = &tmpl_cases[i];

		len = strlen(c->in);
		/* exactly the documented size, so an overrun shows under ASan */
		out = malloc(DIAG_TEMPLATE_SIZE(len));
		assert_non_null(out);
		n = diag_template(c->in, len, c->rcpt, strlen(c->rcpt), c->host,
		    strlen(c->host), c->dom, strlen(c->dom), out, &args);
		assert_string_equal(out, c->out);
		assert_int_equal(n, strlen(c->out));
		for (k = 0; k < DIAG_ARGS; k++) {
			if (c->args[k] == NULL) {
				assert_null(args.arg[k].p);
				continue;
			}
			assert_non_null(args.arg[k].p);
			assert_int_equal(args.arg[k].n, strlen(c->args[k]));
			assert_memory_equal(args.arg[k].p, c->args[k], args.arg[k].n);
		}
		free(out);
	}
}

/* The grouping form of a template equals that of the text it came from. */
static void
test_template_then_normalize(void **state)
{
	static const char	 text[] = "host mx1.example.com[192.0.2.1] said: "
	    "550 5.1.1 <bob@example.com>: unknown, ref 98765";
	struct diag_args	 args;
	char			 tmpl[256], a[512], b[512];

	(void)state;
	diag_template(text, strlen(text), "bob@example.com", 15,
	    "mx1.example.com[192.0.2.1]", 26, "example.com", 11, tmpl, &args);
	diag_normalize(tmpl, strlen(tmpl), a, sizeof(a));
	diag_normalize(text, strlen(text), b, sizeof(b));
	assert_string_equal(a, "550 5.1.1 <addr>: unknown, ref <var>");
	assert_string_equal(b, "550 5.1.1 <addr>: unknown, ref <n>");
}

/*
 * Databases store hash_bytes() values (diagnostic.hash, pending.rcpt):
 * the function must stay the one they were written with, FNV-1a from
 * the basis 1469598103934665603.
 */
static void
test_stored_hash(void **state)
{
	uint64_t	 h = 1469598103934665603ULL;
	const char	*s = "550 5.1.1 \001r";
	size_t		 i;

	(void)state;
	assert_true(hash_bytes("", 0) == 1469598103934665603ULL);
	for (i = 0; s[i] != '\0'; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	assert_true(hash_bytes(s, strlen(s)) == h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalize_pairs),
		cmocka_unit_test(test_normalize_bounds),
		cmocka_unit_test(test_template_pairs),
		cmocka_unit_test(test_template_then_normalize),
		cmocka_unit_test(test_stored_hash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
