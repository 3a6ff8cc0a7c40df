/*
 * report_text.c -- the report as plain text for a cron mail: at most
 * REPORT_TEXT_WIDTH columns, aligned tables, long cells cut with an
 * ellipsis, long texts wrapped.  Every text that came from the database
 * (domains, diagnostics, relays: written by strangers) goes through
 * emit_term_str() first, so no control character or escape sequence
 * reaches a terminal or a mail reader.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "util.h"

#define REPORT_TEXT_WIDTH	78	/* RFC 5322's line length, under 80 */
#define TXT_MAXCOLS		10
#define TXT_ELLIPSIS		"\xe2\x80\xa6"	/* U+2026, one column */

/* A terminal-safe copy of s (malloc'd). */
static char *
txt_safe(const char *s)
{
	struct obuf	 b;
	char		*out;

	if (s == NULL)
		s = "";
	obuf_init(&b, NULL);
	emit_term_str(&b, s, strlen(s));
	out = xstrndup(b.p, b.n);
	obuf_free(&b);
	return out;
}

static char *
txt_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *
txt_fmt(const char *fmt, ...)
{
	va_list	 ap;
	char	 buf[256];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return xstrdup(buf);
}

static size_t
txt_width(const char *s)
{
	return emit_term_width(s, strlen(s));
}

/* Bytes of the first w columns of a (valid UTF-8) string. */
static size_t
txt_prefix(const char *s, size_t w)
{
	size_t	 i = 0;

	while (s[i] != '\0' && w > 0) {
		i++;
		while (((unsigned char)s[i] & 0xc0) == 0x80)
			i++;
		w--;
	}
	return i;
}

/* s in exactly w columns: cut with an ellipsis, padded left or right. */
static void
txt_cell(struct obuf *b, const char *s, size_t w, int right)
{
	size_t	 sw = txt_width(s), pad;

	if (sw > w) {
		if (w > 0) {
			obuf_put(b, s, txt_prefix(s, w - 1));
			obuf_puts(b, TXT_ELLIPSIS);
		}
		return;
	}
	pad = w - sw;
	if (right)
		while (pad-- > 0)
			obuf_putc(b, ' ');
	obuf_puts(b, s);
	if (!right)
		while (pad-- > 0)
			obuf_putc(b, ' ');
}

/* Trailing blanks off the line just written, then a newline. */
static void
txt_eol(struct obuf *b)
{
	while (b->n > 0 && b->p[b->n - 1] == ' ')
		b->n--;
	obuf_putc(b, '\n');
}

/*
 * A table: a header and rows of cells (malloc'd, terminal-safe).  When it
 * would not fit, the columns named by txt_table_shrink() give up width in
 * that order, down to their minimum, their cells cut with an ellipsis.
 * Columns are two blanks apart; in a tight table, adjacent right-aligned
 * (numeric) columns only one.
 */
struct txt_table {
	int		 ncols;
	const char	*head[TXT_MAXCOLS];
	int		 right[TXT_MAXCOLS];
	int		 shrink[TXT_MAXCOLS];
	size_t		 shrink_min[TXT_MAXCOLS];
	int		 nshrink;
	int		 noheader;
	int		 tight;		/* numeric columns one blank apart */
	size_t		 indent;
	char		**cells;
	size_t		 nrows;
};

static void
txt_table_init(struct txt_table *t, size_t indent, const char *spec)
{
	const char	*p = spec;

	/* spec: "name|>name|..." -- '>' marks a right-aligned column */
	memset(t, 0, sizeof(*t));
	t->indent = indent;
	while (t->ncols < TXT_MAXCOLS) {
		const char	*e = strchr(p, '|');

		t->right[t->ncols] = *p == '>';
		if (*p == '>')
			p++;
		t->head[t->ncols++] = p;
		if (e == NULL)
			break;
		p = e + 1;
	}
}

static void
txt_table_shrink(struct txt_table *t, int col, size_t min)
{
	if (t->nshrink < TXT_MAXCOLS) {
		t->shrink[t->nshrink] = col;
		t->shrink_min[t->nshrink++] = min;
	}
}

static void
txt_table_row(struct txt_table *t, ...)
{
	va_list	 ap;
	int	 c;

	t->cells = xrealloc(t->cells, (t->nrows + 1) * (size_t)t->ncols * sizeof(*t->cells));
	va_start(ap, t);
	for (c = 0; c < t->ncols; c++)
		t->cells[t->nrows * (size_t)t->ncols + (size_t)c] = va_arg(ap, char *);
	va_end(ap);
	t->nrows++;
}

static size_t
txt_head_width(const struct txt_table *t, int c)
{
	const char	*e = strchr(t->head[c], '|');

	return e != NULL ? (size_t)(e - t->head[c]) : strlen(t->head[c]);
}

static size_t
txt_sep(const struct txt_table *t, int c)
{
	if (c == 0)
		return 0;
	return t->tight && t->right[c - 1] && t->right[c] ? 1 : 2;
}

static void
txt_table_print(struct obuf *b, struct txt_table *t)
{
	size_t	 w[TXT_MAXCOLS], total, i, r;
	int	 c, k;

	for (c = 0; c < t->ncols; c++) {
		w[c] = t->noheader ? 0 : txt_head_width(t, c);
		for (r = 0; r < t->nrows; r++) {
			size_t	 cw = txt_width(t->cells[r * (size_t)t->ncols + (size_t)c]);

			if (cw > w[c])
				w[c] = cw;
		}
	}
	total = t->indent;
	for (c = 0; c < t->ncols; c++)
		total += w[c] + txt_sep(t, c);
	for (k = 0; k < t->nshrink && total > REPORT_TEXT_WIDTH; k++) {
		size_t	 over = total - REPORT_TEXT_WIDTH, col = (size_t)t->shrink[k];
		size_t	 give = w[col] > t->shrink_min[k] ? w[col] - t->shrink_min[k] : 0;

		if (give > over)
			give = over;
		w[col] -= give;
		total -= give;
	}
	for (r = t->noheader ? 1 : 0; r <= t->nrows; r++) {
		for (i = 0; i < t->indent; i++)
			obuf_putc(b, ' ');
		for (c = 0; c < t->ncols; c++) {
			for (i = 0; i < txt_sep(t, c); i++)
				obuf_putc(b, ' ');
			if (r == 0) {
				char	 h[64];

				snprintf(h, sizeof(h), "%.*s", (int)txt_head_width(t, c),
				    t->head[c]);
				txt_cell(b, h, w[c], t->right[c]);
			} else
				txt_cell(b, t->cells[(r - 1) * (size_t)t->ncols + (size_t)c],
				    w[c], t->right[c]);
		}
		txt_eol(b);
	}
	for (i = 0; i < t->nrows * (size_t)t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
	t->nrows = 0;
}

/*
 * A terminal-safe text wrapped at the width, each line indented, at most
 * maxlines lines (the last one cut with an ellipsis).
 */
static void
txt_wrap(struct obuf *b, const char *raw, size_t indent, size_t maxlines)
{
	char		*s = txt_safe(raw), *p = s;
	size_t		 width = REPORT_TEXT_WIDTH - indent, line, i;

	for (line = 0; line < maxlines && *p != '\0'; line++) {
		size_t	 n, cut;

		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		for (i = 0; i < indent; i++)
			obuf_putc(b, ' ');
		if (txt_width(p) <= width) {
			obuf_puts(b, p);
			txt_eol(b);
			break;
		}
		if (line + 1 == maxlines) {
			txt_cell(b, p, width, 0);
			txt_eol(b);
			break;
		}
		/* break at the last blank that fits, else hard */
		n = txt_prefix(p, width);
		cut = 0;
		for (i = 0; i < n; i++)
			if (p[i] == ' ')
				cut = i;
		if (cut == 0)
			cut = n;
		obuf_put(b, p, cut);
		txt_eol(b);
		p += cut;
	}
	free(s);
}

static void
txt_heading(struct obuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
txt_heading(struct obuf *b, const char *fmt, ...)
{
	va_list	 ap;
	char	 buf[256];
	size_t	 n, i;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	obuf_putc(b, '\n');
	txt_cell(b, buf, REPORT_TEXT_WIDTH, 0);
	txt_eol(b);
	n = txt_width(buf);
	for (i = 0; i < n && i < REPORT_TEXT_WIDTH; i++)
		obuf_putc(b, '-');
	obuf_putc(b, '\n');
}

static const char *
txt_reason(int reason)
{
	return reason > 0 && reason < REASON_MAX ?
	    classify_reason_name((enum bw_reason)reason) : "-";
}

/* A summary row: label, count, share of the attempts (pct < 0: none), note. */
static void
txt_summary_row(struct txt_table *tb, const char *label, int64_t n, double pct,
    char *note)
{
	txt_table_row(tb, xstrdup(label), txt_fmt("%lld", (long long)n),
	    pct >= 0 ? txt_fmt("%.1f%%", pct) : xstrdup(""), note);
}

static void
txt_summary(struct obuf *b, const struct report *r)
{
	const struct report_domain	*t = &r->totals;
	struct txt_table		 tb;
	size_t				 failing = r->nfailing;

	txt_heading(b, "Summary");
	txt_table_init(&tb, 2, "what|>n|>%|note");
	tb.noheader = 1;
	txt_summary_row(&tb, "delivery attempts", t->attempts, -1, xstrdup(""));
	txt_summary_row(&tb, "delivered", t->cls[CLASS_DELIVERED],
	    report_pct(t->cls[CLASS_DELIVERED], t->attempts), xstrdup(""));
	txt_summary_row(&tb, "failures", t->failures, report_pct(t->failures, t->attempts),
	    r->domain_filter == NULL ?
	    txt_fmt("%zu of %zu domains", failing, r->ndomains) : xstrdup(""));
	txt_summary_row(&tb, "  permanent", t->cls[CLASS_PERMANENT],
	    report_pct(t->cls[CLASS_PERMANENT], t->attempts),
	    xstrdup("given up: bounced or expired"));
	txt_summary_row(&tb, "  temporary", t->cls[CLASS_TEMPORARY],
	    report_pct(t->cls[CLASS_TEMPORARY], t->attempts),
	    xstrdup("deferred, will be retried"));
	txt_summary_row(&tb, "  greylist", t->cls[CLASS_GREYLIST],
	    report_pct(t->cls[CLASS_GREYLIST], t->attempts),
	    xstrdup("greylisted, passes on retry"));
	txt_summary_row(&tb, "local throttle", t->local_throttle, -1,
	    xstrdup("our own MTA deferred: not a failure"));
	txt_summary_row(&tb, "failed recipients", t->failed_recipients, -1,
	    txt_fmt("%lld perm, %lld temp, %lld grey",
	    (long long)t->rcpt[CLASS_PERMANENT], (long long)t->rcpt[CLASS_TEMPORARY],
	    (long long)t->rcpt[CLASS_GREYLIST]));
	txt_summary_row(&tb, "failed messages", t->failed_messages, -1,
	    xstrdup("distinct queue ids"));
	txt_table_print(b, &tb);
}

static void
txt_reasons(struct obuf *b, const struct report *r)
{
	const struct report_domain	*t = &r->totals;
	struct txt_table		 tb;
	int				 order[REASON_MAX], n = 0, i, j;

	if (t->failures == 0)
		return;
	for (i = 1; i < REASON_MAX; i++)
		if (t->reasons[i] > 0)
			order[n++] = i;
	for (i = 1; i < n; i++)		/* by failures, then vocabulary order */
		for (j = i; j > 0 && t->reasons[order[j]] > t->reasons[order[j - 1]]; j--) {
			int	 x = order[j];

			order[j] = order[j - 1];
			order[j - 1] = x;
		}
	txt_heading(b, "Failures by reason");
	txt_table_init(&tb, 2, "reason|>permanent|>temporary|>greylist|>total|>%");
	for (i = 0; i < n; i++) {
		int	 k = order[i];

		txt_table_row(&tb, xstrdup(txt_reason(k)),
		    txt_fmt("%lld", (long long)report_class_reason(t, CLASS_PERMANENT, k)),
		    txt_fmt("%lld", (long long)report_class_reason(t, CLASS_TEMPORARY, k)),
		    txt_fmt("%lld", (long long)report_class_reason(t, CLASS_GREYLIST, k)),
		    txt_fmt("%lld", (long long)t->reasons[k]),
		    txt_fmt("%.1f", report_pct(t->reasons[k], t->failures)));
	}
	txt_table_row(&tb, xstrdup("all"),
	    txt_fmt("%lld", (long long)t->cls[CLASS_PERMANENT]),
	    txt_fmt("%lld", (long long)t->cls[CLASS_TEMPORARY]),
	    txt_fmt("%lld", (long long)t->cls[CLASS_GREYLIST]),
	    txt_fmt("%lld", (long long)t->failures), xstrdup("100.0"));
	txt_table_print(b, &tb);
}

/* "Hosts: mx1, mx2" for --host, cut to the width. */
static void
txt_host_filter(struct obuf *b, const struct report *r)
{
	struct obuf	 line;
	char		*safe;
	size_t		 i;

	if (r->host_filter == NULL)
		return;
	obuf_init(&line, NULL);
	for (i = 0; i < r->nhost_filter; i++) {
		if (i > 0)
			obuf_puts(&line, ", ");
		obuf_puts(&line, r->host_filter[i]);
	}
	obuf_putc(&line, '\0');
	safe = txt_safe(line.p);
	obuf_puts(b, "Hosts: ");
	txt_cell(b, safe, REPORT_TEXT_WIDTH - 7, 0);
	txt_eol(b);
	free(safe);
	obuf_free(&line);
}

/* A report over more than one host: a line per host. */
static void
txt_hosts(struct obuf *b, const struct report *r)
{
	struct txt_table	 tb;
	size_t			 i;

	if (r->nhosts < 2)
		return;
	txt_heading(b, "Hosts (%zu)", r->nhosts);
	txt_table_init(&tb, 2, "host|>attempts|>failures|>fail%|>throttled|top reason");
	txt_table_shrink(&tb, 5, 12);
	txt_table_shrink(&tb, 0, 10);
	for (i = 0; i < r->nhosts; i++) {
		const struct report_domain	*h = &r->hosts[i];

		txt_table_row(&tb, txt_safe(h->name[0] == '\0' ? "(unknown)" : h->name),
		    txt_fmt("%lld", (long long)h->attempts),
		    txt_fmt("%lld", (long long)h->failures),
		    txt_fmt("%.1f", report_pct(h->failures, h->attempts)),
		    txt_fmt("%lld", (long long)h->local_throttle),
		    xstrdup(txt_reason(report_top_reason(h))));
	}
	txt_table_print(b, &tb);
}

static void
txt_domains(struct obuf *b, const struct report *r)
{
	struct txt_table	 tb;
	size_t			 i, n, failing = r->nfailing;

	if (failing == 0)
		return;
	n = failing < (size_t)r->top ? failing : (size_t)r->top;
	txt_heading(b, "Domains by failed recipients (%zu of %zu failing)", n, failing);
	txt_table_init(&tb, 2,
	    "domain|>rcpt|>p.rcpt|>attempts|>perm|>temp|>grey|>fail%|top reason");
	txt_table_shrink(&tb, 8, 12);
	txt_table_shrink(&tb, 0, 10);
	tb.tight = 1;
	for (i = 0; i < n; i++) {
		const struct report_domain	*d = &r->domains[i];

		txt_table_row(&tb, txt_safe(report_domain_label(d->name)),
		    txt_fmt("%lld", (long long)d->failed_recipients),
		    txt_fmt("%lld", (long long)d->rcpt[CLASS_PERMANENT]),
		    txt_fmt("%lld", (long long)d->attempts),
		    txt_fmt("%lld", (long long)d->cls[CLASS_PERMANENT]),
		    txt_fmt("%lld", (long long)d->cls[CLASS_TEMPORARY]),
		    txt_fmt("%lld", (long long)d->cls[CLASS_GREYLIST]),
		    txt_fmt("%.1f", report_pct(d->failures, d->attempts)),
		    xstrdup(txt_reason(report_top_reason(d))));
	}
	txt_table_print(b, &tb);
}

static void
txt_texts(struct obuf *b, const struct report *r, const struct report_text *t,
    size_t n, int examples)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		char	 line[160], ndom[40] = "";

		if (r->domain_filter == NULL)
			snprintf(ndom, sizeof(ndom), "%lld domain%s  ", (long long)t[i].domains,
			    t[i].domains == 1 ? "" : "s");
		snprintf(line, sizeof(line), "%6lld x  %s%s/%s", (long long)t[i].n, ndom,
		    classify_class_name((enum bw_class)(t[i].cls >= 0 ? t[i].cls : 0)),
		    txt_reason(t[i].reason));
		obuf_puts(b, line);
		txt_eol(b);
		txt_wrap(b, *t[i].text != '\0' ? t[i].text : "(no text)", 10, 3);
		if (examples && t[i].example != NULL && *t[i].example != '\0') {
			char	*dom = txt_safe(report_domain_label(t[i].example_domain));

			obuf_puts(b, "          e.g. to ");
			txt_cell(b, dom, REPORT_TEXT_WIDTH - 18, 0);
			txt_eol(b);
			free(dom);
			txt_wrap(b, t[i].example, 10, 3);
		}
	}
}

static void
txt_days(struct obuf *b, const struct report *r)
{
	struct txt_table	 tb;
	size_t			 i;

	if (r->ndays < 2)
		return;
	txt_heading(b, "Per day");
	txt_table_init(&tb, 2, "day|>attempts|>delivered|>perm|>temp|>grey|>fail%|>throttle");
	for (i = 0; i < r->ndays; i++) {
		const struct report_domain	*c = &r->days[i].c;

		txt_table_row(&tb, xstrdup(r->days[i].day),
		    txt_fmt("%lld", (long long)c->attempts),
		    txt_fmt("%lld", (long long)c->cls[CLASS_DELIVERED]),
		    txt_fmt("%lld", (long long)c->cls[CLASS_PERMANENT]),
		    txt_fmt("%lld", (long long)c->cls[CLASS_TEMPORARY]),
		    txt_fmt("%lld", (long long)c->cls[CLASS_GREYLIST]),
		    txt_fmt("%.1f", report_pct(c->failures, c->attempts)),
		    txt_fmt("%lld", (long long)c->local_throttle));
	}
	txt_table_print(b, &tb);
}

static void
txt_changes(struct obuf *b, const struct report *r)
{
	struct txt_table	 tb;
	size_t			 i;

	txt_heading(b, "Changes against %s .. %s", r->prev_from, r->prev_to);
	if (!r->history) {
		obuf_puts(b, "  No deliveries were recorded in those days: "
		    "nothing to compare.\n");
		return;
	}
	if (r->nnewly == 0 && r->njumps == 0 && r->nnewreasons == 0 && r->ndnew == 0) {
		obuf_puts(b, "  Nothing new: no domain started failing, no failure rate jumped,\n"
		    "  no new reason.\n");
		return;
	}
	if (r->nnewly > 0) {
		obuf_puts(b, "  Newly failing (no failures in those days):\n");
		txt_table_init(&tb, 4,
		    "domain|>failures|>rcpt|>attempts|>before|top reason");
		txt_table_shrink(&tb, 5, 12);
		txt_table_shrink(&tb, 0, 10);
		for (i = 0; i < r->nnewly; i++) {
			const struct report_domain	*d = r->newly[i];

			txt_table_row(&tb, txt_safe(report_domain_label(d->name)),
			    txt_fmt("%lld", (long long)d->failures),
			    txt_fmt("%lld", (long long)d->failed_recipients),
			    txt_fmt("%lld", (long long)d->attempts),
			    txt_fmt("%lld", (long long)d->prev_attempts),
			    xstrdup(txt_reason(report_top_reason(d))));
		}
		txt_table_print(b, &tb);
	}
	if (r->njumps > 0) {
		obuf_printf(b, "  Failure rate up by %d points or more:\n", REPORT_JUMP_PTS);
		txt_table_init(&tb, 4,
		    "domain|>before%|>now%|>failures|>attempts|top reason");
		txt_table_shrink(&tb, 5, 12);
		txt_table_shrink(&tb, 0, 8);
		for (i = 0; i < r->njumps; i++) {
			const struct report_domain	*d = r->jumps[i].d;

			txt_table_row(&tb, txt_safe(report_domain_label(d->name)),
			    txt_fmt("%.1f", r->jumps[i].prev_pct),
			    txt_fmt("%.1f", r->jumps[i].pct),
			    txt_fmt("%lld", (long long)d->failures),
			    txt_fmt("%lld", (long long)d->attempts),
			    xstrdup(txt_reason(report_top_reason(d))));
		}
		txt_table_print(b, &tb);
	}
	if (r->ndnew > 0) {
		obuf_puts(b, "  Failing for a reason new to the domain:\n");
		txt_table_init(&tb, 4, "domain|new reason|>failures|top reason");
		txt_table_shrink(&tb, 0, 8);
		for (i = 0; i < r->ndnew; i++)
			txt_table_row(&tb, txt_safe(report_domain_label(r->dnew[i].d->name)),
			    xstrdup(txt_reason(r->dnew[i].reason)),
			    txt_fmt("%lld", (long long)r->dnew[i].n),
			    xstrdup(txt_reason(report_top_reason(r->dnew[i].d))));
		txt_table_print(b, &tb);
	}
	if (r->nnewreasons > 0) {
		obuf_puts(b, "  Reasons not seen for any domain in those days:\n");
		txt_table_init(&tb, 4, "reason|>failures");
		txt_table_shrink(&tb, 0, 8);
		for (i = 0; i < r->nnewreasons; i++)
			txt_table_row(&tb, xstrdup(txt_reason(r->newreasons[i].reason)),
			    txt_fmt("%lld", (long long)r->newreasons[i].n));
		txt_table_print(b, &tb);
	}
}

static void
txt_throttle(struct obuf *b, const struct report *r)
{
	struct txt_table	 tb;
	size_t			 i;

	if (r->totals.local_throttle == 0)
		return;
	txt_heading(b, "Local throttle: %lld deferrals by our own MTA",
	    (long long)r->totals.local_throttle);
	obuf_puts(b, "  Deliberate defers (delivery rules, connection limits): not failures\n"
	    "  of the remote domains, and not counted above.\n");
	if (r->nlt_domains > 0) {
		txt_table_init(&tb, 2, "domain|>deferrals");
		txt_table_shrink(&tb, 0, 8);
		for (i = 0; i < r->nlt_domains; i++)
			txt_table_row(&tb,
			    txt_safe(report_domain_label(r->lt_domains[i]->name)),
			    txt_fmt("%lld", (long long)r->lt_domains[i]->local_throttle));
		txt_table_print(b, &tb);
	}
	if (r->nlt_texts > 0) {
		obuf_putc(b, '\n');
		txt_texts(b, r, r->lt_texts, r->nlt_texts, 0);
	}
}

static void
txt_hours(struct obuf *b, const struct report *r)
{
	struct txt_table	 tb;
	int64_t			 max = 0, sum;
	int			 h, c;
	char			*zone;

	for (h = 0; h < REPORT_HOURS; h++) {
		for (sum = 0, c = CLASS_PERMANENT; c < CLASS_MAX; c++)
			sum += r->hours[c][h];
		if (sum > max)
			max = sum;
	}
	if (max == 0)
		return;
	zone = txt_safe(r->zone);
	txt_heading(b, "Failures per hour (%s)", zone);
	free(zone);
	txt_table_init(&tb, 2, "hour|>perm|>temp|>grey|>total|");
	txt_table_shrink(&tb, 5, 8);
	for (h = 0; h < REPORT_HOURS; h++) {
		char	 bar[41];
		int	 len;

		for (sum = 0, c = CLASS_PERMANENT; c < CLASS_MAX; c++)
			sum += r->hours[c][h];
		len = (int)((sum * 40 + max - 1) / max);
		memset(bar, '#', (size_t)len);
		bar[len] = '\0';
		txt_table_row(&tb, txt_fmt("%02d", h),
		    txt_fmt("%lld", (long long)r->hours[CLASS_PERMANENT][h]),
		    txt_fmt("%lld", (long long)r->hours[CLASS_TEMPORARY][h]),
		    txt_fmt("%lld", (long long)r->hours[CLASS_GREYLIST][h]),
		    txt_fmt("%lld", (long long)sum), xstrdup(bar));
	}
	txt_table_print(b, &tb);
}

static void
txt_relays(struct obuf *b, const struct report *r)
{
	struct txt_table	 tb;
	size_t			 i;

	if (r->nrelays == 0)
		return;
	txt_heading(b, "Relays of the failures");
	txt_table_init(&tb, 2, "relay|>failures|top reason");
	txt_table_shrink(&tb, 2, 12);
	txt_table_shrink(&tb, 0, 16);
	for (i = 0; i < r->nrelays; i++)
		txt_table_row(&tb, txt_safe(r->relays[i].name),
		    txt_fmt("%lld", (long long)r->relays[i].n),
		    xstrdup(txt_reason(r->relays[i].reason)));
	txt_table_print(b, &tb);
}

/* Days without one line read: first, loud, never mistaken for quiet. */
static void
txt_nolines(struct obuf *b, const struct report *r)
{
	char	*note = report_nolines_note(r), *msg;

	if (note == NULL)
		return;
	msg = xasprintf("WARNING: %s", note);
	obuf_putc(b, '\n');
	txt_wrap(b, msg, 0, 12);
	free(msg);
	free(note);
}

/* The alerts bouncewatchd raised in the range. */
static void
txt_alerts(struct obuf *b, const struct report *r)
{
	struct txt_table	 tb;
	const struct report_alert *a;
	size_t			 i;

	if (r->nalerts == 0)
		return;
	txt_heading(b, "Alerts raised (%zu)", r->nalerts);
	/* the reason of a domain's alert, else the condition; the domain last */
	txt_table_init(&tb, 2, "time|alert|>count|>baseline|domain or source");
	txt_table_shrink(&tb, 4, 16);
	for (i = 0; i < r->nalerts; i++) {
		a = &r->alerts[i];
		txt_table_row(&tb, txt_fmt("%.16s", a->local),
		    txt_safe(*a->reason != '\0' ? a->reason : a->condition),
		    txt_fmt("%lld", (long long)a->count),
		    txt_fmt("%.1f", a->baseline),
		    txt_safe(*a->domain != '\0' ? a->domain : "-"));
	}
	txt_table_print(b, &tb);
}

void
report_text(struct obuf *b, const struct report *r)
{
	char	 title[400];
	char	*zone = txt_safe(r->zone);

	if (strcmp(r->from, r->to) == 0)
		snprintf(title, sizeof(title), "bouncewatch report for %s (%s)", r->from, zone);
	else
		snprintf(title, sizeof(title), "bouncewatch report for %s .. %s (%s)",
		    r->from, r->to, zone);
	free(zone);
	txt_cell(b, title, REPORT_TEXT_WIDTH, 0);
	txt_eol(b);
	if (r->domain_filter != NULL) {
		char	*dom = txt_safe(r->domain_filter);

		obuf_puts(b, "Recipient domain: ");
		txt_cell(b, dom, REPORT_TEXT_WIDTH - 18, 0);
		txt_eol(b);
		free(dom);
	}
	txt_host_filter(b, r);
	txt_nolines(b, r);
	if (report_empty(r)) {
		if (r->nnolines == 0)
			obuf_puts(b, "\nNo delivery attempts were recorded in this "
			    "period.\n");
		txt_alerts(b, r);
		return;
	}
	txt_summary(b, r);
	txt_alerts(b, r);
	txt_reasons(b, r);
	if (r->domain_filter == NULL)
		txt_domains(b, r);
	txt_hosts(b, r);
	if (r->ntexts > 0) {
		txt_heading(b, "Top failure texts (normalised)");
		txt_texts(b, r, r->texts, r->ntexts, 0);
	}
	if (r->domain_filter != NULL) {
		txt_hours(b, r);
		txt_relays(b, r);
	}
	txt_days(b, r);
	txt_changes(b, r);
	if (r->nunrec > 0) {
		txt_heading(b, "Replies no rule recognised (reason \"other\")");
		txt_texts(b, r, r->unrec, r->nunrec, 1);
	}
	txt_throttle(b, r);
	if (r->estimated)
		obuf_printf(b, "\nNote: over several days, counts of distinct recipients,"
		    " messages and\ndomains above 8,192 are estimates (within about"
		    " 1%%).\n");
	if (r->failure_rows < r->totals.failures + r->totals.local_throttle)
		obuf_printf(b, "\nNote: failure detail is kept for only %lld of the %lld"
		    " failures\n(pruned); texts, hours and relays cover those.\n",
		    (long long)r->failure_rows,
		    (long long)(r->totals.failures + r->totals.local_throttle));
}
