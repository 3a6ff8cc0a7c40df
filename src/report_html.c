/*
 * report_html.c -- the report as one self-contained HTML page: inline CSS,
 * no script, no external resource; responsive, so it reads on a phone
 * without sideways scrolling.  Two flavours: for a browser, the charts
 * (failures per class per hour, per day, top failing domains) are inline
 * SVG; for a mail (--mail), whose readers (Gmail, Outlook) drop SVG, every
 * chart is a table of bars drawn as table cells with widths and bgcolor.
 * Bars are coloured by class everywhere, as the legend says.  Every text
 * from the database -- domains, diagnostics, relays, written by strangers
 * -- goes through emit_html_str().
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "util.h"

#define HTML_CHART_W	720
#define HTML_LABEL_MAX	28	/* code points of a domain name in a chart */
#define HTML_COLS_MAX	64	/* columns of a column chart */
#define HTML_NARROW_W	380	/* the width of the charts for phones */

static const char *const html_class_color[CLASS_MAX] = {
	"#2e7d32", "#c62828", "#ef8f00", "#5c6bc0",
};

static const char html_style[] =
    "*{box-sizing:border-box}"
    "body{margin:0;padding:0 12px 24px;font:15px/1.45 -apple-system,"
    "'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#1d2329;background:#f4f5f7}"
    "main{max-width:1080px;margin:0 auto}"
    "header{padding:16px 0 4px}"
    "h1{font-size:1.45em;margin:0 0 2px}"
    "h2{font-size:1.1em;margin:0 0 8px}"
    ".sub{color:#5f6b76;margin:0}"
    "section{background:#fff;border:1px solid #dde1e6;border-radius:8px;"
    "padding:12px 14px;margin:12px 0}"
    ".cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(128px,1fr));"
    "gap:10px;background:none;border:0;padding:0}"
    ".card{background:#fff;border:1px solid #dde1e6;border-radius:8px;padding:10px 12px}"
    ".card b{display:block;font-size:1.5em;font-variant-numeric:tabular-nums}"
    ".card span{color:#5f6b76;font-size:.85em}"
    ".card.perm{border-top:4px solid #c62828}.card.temp{border-top:4px solid #ef8f00}"
    ".card.grey{border-top:4px solid #5c6bc0}.card.ok{border-top:4px solid #2e7d32}"
    ".card.lt{border-top:4px solid #8d6e63}"
    ".scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}"
    "table{border-collapse:collapse;width:100%;font-size:.92em}"
    "th,td{padding:5px 8px;border-bottom:1px solid #eceff2;text-align:left;vertical-align:top}"
    "th{background:#f7f8fa;font-weight:600;white-space:nowrap}"
    "td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap;"
    "width:1%}"
    "td.d{overflow-wrap:anywhere;word-break:break-word;min-width:5em}"
    "td.t,.t{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;"
    "font-size:.88em;word-break:break-word;overflow-wrap:anywhere}"
    ".ex{color:#5f6b76;margin-top:4px}"
    ".r{display:inline-block;padding:0 6px;border-radius:9px;background:#eef0f3;"
    "font-size:.85em;white-space:nowrap}"
    ".r.permanent{background:#fde7e7;color:#8e1b1b}.r.temporary{background:#fff1dc;color:#8a4f00}"
    ".r.greylist{background:#e8eaf8;color:#2f3a8f}"
    "table.hb{border:0;width:100%}table.hb td{padding:0;border:0;height:10px;"
    "font-size:0;line-height:0}"
    "td.bar{min-width:60px;width:70%;vertical-align:middle}"
    "td.lab{white-space:nowrap;width:1%}"
    ".legend{font-size:.85em;color:#5f6b76;margin:4px 0 0}"
    ".legend i{display:inline-block;width:10px;height:10px;border-radius:2px;"
    "margin:0 4px 0 10px;vertical-align:-1px}"
    "svg{display:block;width:100%;height:auto}svg.narrow{display:none}"
    "svg text{font:11px sans-serif;fill:#5f6b76}"
    ".note{color:#5f6b76;font-size:.9em}"
    ".warn{background:#fdecea;border-left:4px solid #b3261e;padding:.4em 1em}"
    ".ph{display:none;color:#5f6b76;font-size:.85em}"
    "footer{color:#8a949e;font-size:.8em;text-align:center;margin-top:16px}"
    "@media (max-width:600px){body{font-size:14px;padding:0 6px 16px}"
    "section{padding:10px 8px}th,td{padding:4px 4px}.opt{display:none}"
    "table{font-size:.86em}svg.wide{display:none}svg.narrow{display:block}"
    ".ph{display:block}"
    ".card b{font-size:1.25em}.cards{grid-template-columns:repeat(2,1fr)}}";

static void
html_s(struct obuf *b, const char *s)
{
	if (s != NULL)
		emit_html_str(b, s, strlen(s));
}

/* s escaped, cut to max code points with an ellipsis. */
static void
html_cut(struct obuf *b, const char *s, size_t max)
{
	size_t	 i = 0, cp = 0;

	while (s[i] != '\0' && cp < max) {
		i++;
		while (((unsigned char)s[i] & 0xc0) == 0x80)
			i++;
		cp++;
	}
	if (s[i] == '\0') {
		emit_html_str(b, s, i);
		return;
	}
	/* room for the ellipsis */
	i = 0;
	for (cp = 0; cp + 1 < max; cp++) {
		i++;
		while (((unsigned char)s[i] & 0xc0) == 0x80)
			i++;
	}
	emit_html_str(b, s, i);
	obuf_puts(b, "\xe2\x80\xa6");
}

static const char *
html_reason(int reason)
{
	return reason > 0 && reason < REASON_MAX ?
	    classify_reason_name((enum bw_reason)reason) : "-";
}

static void
html_num(struct obuf *b, int64_t n, int opt)
{
	obuf_printf(b, "<td class=\"n%s\">%lld</td>", opt ? " opt" : "", (long long)n);
}

static void
html_pct(struct obuf *b, double pct)
{
	obuf_printf(b, "<td class=\"n\">%.1f%%</td>", pct);
}

/*
 * A bar of v[class] out of max, stacked by class, as one table row of
 * cells: what every mail client draws (no SVG, no CSS width on a div).
 */
static void
html_bar(struct obuf *b, const int64_t *v, int64_t max)
{
	double	 w, used = 0;
	int	 c;

	obuf_puts(b, "<table class=\"hb\" role=\"presentation\" width=\"100%\" "
	    "cellpadding=\"0\" cellspacing=\"0\" border=\"0\"><tr>");
	for (c = CLASS_PERMANENT; c < CLASS_MAX && max > 0; c++) {
		if (v[c] <= 0)
			continue;
		w = 100.0 * (double)v[c] / (double)max;
		if (w < 0.5)
			w = 0.5;
		if (used + w > 100.0)
			w = 100.0 - used;
		used += w;
		obuf_printf(b, "<td width=\"%.1f%%\" height=\"10\" bgcolor=\"%s\" "
		    "style=\"width:%.1f%%;background:%s\">&nbsp;</td>", w,
		    html_class_color[c], w, html_class_color[c]);
	}
	if (used < 99.95)
		obuf_printf(b, "<td width=\"%.1f%%\" style=\"width:%.1f%%\">&nbsp;</td>",
		    100.0 - used, 100.0 - used);
	obuf_puts(b, "</tr></table>");
}

/* A chart for a mail: label, bar, total per row. */
static void
html_bar_rows(struct obuf *b, char labels[][11], size_t n,
    int64_t v[CLASS_MAX][HTML_COLS_MAX])
{
	int64_t	 max = 0, sum, row[CLASS_MAX];
	size_t	 i;
	int	 c;

	for (i = 0; i < n; i++) {
		for (sum = 0, c = CLASS_PERMANENT; c < CLASS_MAX; c++)
			sum += v[c][i];
		if (sum > max)
			max = sum;
	}
	obuf_puts(b, "<table role=\"presentation\" width=\"100%\">");
	for (i = 0; i < n; i++) {
		memset(row, 0, sizeof(row));
		for (sum = 0, c = CLASS_PERMANENT; c < CLASS_MAX; c++)
			sum += row[c] = v[c][i];
		obuf_printf(b, "<tr><td class=\"lab\">%s</td><td class=\"bar\">", labels[i]);
		html_bar(b, row, max);
		obuf_puts(b, "</td>");
		html_num(b, sum, 0);
		obuf_puts(b, "</tr>");
	}
	obuf_puts(b, "</table>");
}

/*
 * The axis of a chart: a step of 1, 2 or 5 times a power of ten giving at
 * most five grid lines, and the top (a multiple of the step) at or above max.
 */
static int64_t
html_axis(int64_t max, int64_t *top)
{
	int64_t	 p = 1, step;

	if (max < 1)
		max = 1;
	for (;;) {
		if (max <= p * 5) {
			step = p;
			break;
		}
		if (max <= p * 10) {
			step = p * 2;
			break;
		}
		if (max <= p * 25) {
			step = p * 5;
			break;
		}
		p *= 10;
	}
	*top = (max + step - 1) / step * step;
	return step;
}

static void
html_legend(struct obuf *b)
{
	int	 c;

	obuf_puts(b, "<p class=\"legend\">");
	for (c = CLASS_PERMANENT; c < CLASS_MAX; c++)
		obuf_printf(b, "<i style=\"background:%s\"></i>%s", html_class_color[c],
		    classify_class_name((enum bw_class)c));
	obuf_puts(b, "</p>");
}

/*
 * Stacked columns, one per label, permanent at the bottom, v[c][i] for the
 * failure classes; every 'every'-th label is written.  Labels are ours
 * (hours, days), never remote text.  Drawn twice: wide for screens, narrow
 * (larger type relative to the width) for phones; CSS shows one.
 */
static void
html_columns_svg(struct obuf *b, const char *title, char labels[][11], size_t n,
    int64_t v[CLASS_MAX][HTML_COLS_MAX], size_t every, int narrow)
{
	const int	 W = narrow ? HTML_NARROW_W : HTML_CHART_W;
	const int	 x0 = narrow ? 34 : 46, y0 = 8, ph = narrow ? 150 : 190;
	const int	 pw = W - x0 - 6;
	int64_t		 max = 0, top, step, sum, k;
	double		 bw, y;
	size_t		 i;
	int		 c;

	for (i = 0; i < n; i++) {
		for (sum = 0, c = CLASS_PERMANENT; c < CLASS_MAX; c++)
			sum += v[c][i];
		if (sum > max)
			max = sum;
	}
	step = html_axis(max, &top);
	bw = (double)pw / (double)n;
	obuf_printf(b, "<svg class=\"%s\" viewBox=\"0 0 %d %d\" role=\"img\" "
	    "aria-label=\"%s\">", narrow ? "narrow" : "wide", W, y0 + ph + 24, title);
	for (k = 0; k <= top; k += step) {
		y = y0 + ph - (double)ph * (double)k / (double)top;
		obuf_printf(b, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" "
		    "stroke=\"#e3e6ea\"/><text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">"
		    "%lld</text>", x0, x0 + pw, y, y, x0 - 5, y + 4, (long long)k);
	}
	for (i = 0; i < n; i++) {
		double	 x = x0 + bw * (double)i, base = y0 + ph;

		obuf_printf(b, "<g><title>%s:", labels[i]);
		for (c = CLASS_PERMANENT; c < CLASS_MAX; c++)
			obuf_printf(b, " %s %lld", classify_class_name((enum bw_class)c),
			    (long long)v[c][i]);
		obuf_puts(b, "</title>");
		for (c = CLASS_PERMANENT; c < CLASS_MAX; c++) {
			double	 h = (double)ph * (double)v[c][i] / (double)top;

			if (v[c][i] == 0)
				continue;
			base -= h;
			obuf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
			    "fill=\"%s\"/>", x + bw * 0.12, base, bw * 0.76, h,
			    html_class_color[c]);
		}
		obuf_puts(b, "</g>");
		if (i % every == 0)
			obuf_printf(b, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>",
			    x + bw / 2, y0 + ph + 16, labels[i]);
	}
	obuf_puts(b, "</svg>");
}

static void
html_columns(struct obuf *b, int mail, const char *title, char labels[][11],
    size_t n, int64_t v[CLASS_MAX][HTML_COLS_MAX], size_t every, size_t every_narrow)
{
	if (mail)
		html_bar_rows(b, labels, n, v);
	else {
		html_columns_svg(b, title, labels, n, v, every, 0);
		html_columns_svg(b, title, labels, n, v, every_narrow, 1);
	}
	html_legend(b);
}

static void
html_hours(struct obuf *b, const struct report *r, int mail)
{
	int64_t	 v[CLASS_MAX][HTML_COLS_MAX];
	char	 labels[REPORT_HOURS][11];
	int	 h, c;

	memset(v, 0, sizeof(v));
	for (h = 0; h < REPORT_HOURS; h++) {
		snprintf(labels[h], sizeof(labels[h]), "%02d", h);
		for (c = 0; c < CLASS_MAX; c++)
			v[c][h] = r->hours[c][h];
	}
	obuf_puts(b, "<section><h2>Failures per hour of day</h2>");
	html_columns(b, mail, "failures per hour", labels, REPORT_HOURS, v, 1, 3);
	obuf_puts(b, "<p class=\"note\">Hours in ");
	html_s(b, r->zone);
	obuf_puts(b, r->ndays > 1 ? ", summed over the days of the report.</p></section>" :
	    ".</p></section>");
}

static void
html_days(struct obuf *b, const struct report *r, int mail)
{
	int64_t	 v[CLASS_MAX][HTML_COLS_MAX];
	char	 labels[HTML_COLS_MAX][11];
	size_t	 i, from, n;
	int	 c;

	if (r->ndays < 2)
		return;
	from = r->ndays > HTML_COLS_MAX ? r->ndays - HTML_COLS_MAX : 0;
	n = r->ndays - from;
	memset(v, 0, sizeof(v));
	for (i = 0; i < n; i++) {
		snprintf(labels[i], sizeof(labels[i]), "%s", r->days[from + i].day + 5);
		for (c = 0; c < CLASS_MAX; c++)
			v[c][i] = r->days[from + i].c.cls[c];
	}
	obuf_puts(b, "<section><h2>Failures per day</h2>");
	html_columns(b, mail, "failures per day", labels, n, v, n > 16 ? (n + 7) / 8 : 1,
	    n > 6 ? (n + 4) / 5 : 1);
	obuf_puts(b, "</section>");
}

/* The most failures of the first n domains (ranked by recipients). */
static int64_t
html_domain_max(const struct report *r, size_t n)
{
	int64_t	 max = 1;
	size_t	 i;

	for (i = 0; i < n; i++)
		if (r->domains[i].failures > max)
			max = r->domains[i].failures;
	return max;
}

/*
 * Horizontal stacked bars of the top failing domains.  Wide: the name
 * left of its bar; narrow: the name above it.
 */
static void
html_domain_svg(struct obuf *b, const struct report *r, size_t n, int narrow)
{
	const int	 W = narrow ? HTML_NARROW_W : HTML_CHART_W;
	const int	 lw = narrow ? 0 : 200, rowh = narrow ? 36 : 24;
	const int	 x0 = narrow ? 2 : lw + 8, bwmax = W - x0 - (narrow ? 84 : 96);
	int64_t		 max = html_domain_max(r, n);
	size_t		 i;
	int		 c;

	obuf_printf(b, "<svg class=\"%s\" viewBox=\"0 0 %d %zu\" role=\"img\" "
	    "aria-label=\"top failing domains\">", narrow ? "narrow" : "wide", W,
	    n * (size_t)rowh + 8);
	for (i = 0; i < n; i++) {
		const struct report_domain	*d = &r->domains[i];
		double				 x = x0, y = 4 + (double)i * rowh;
		double				 by = narrow ? y + 17 : y + 3;

		obuf_puts(b, "<g><title>");
		html_s(b, report_domain_label(d->name));
		obuf_printf(b, ": %lld failures of %lld attempts</title>",
		    (long long)d->failures, (long long)d->attempts);
		if (narrow)
			obuf_printf(b, "<text x=\"%d\" y=\"%.1f\" style=\"font-size:12px;"
			    "fill:#1d2329\">", x0, y + 12);
		else
			obuf_printf(b, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" "
			    "style=\"font-size:12px;fill:#1d2329\">", lw, y + 15);
		html_cut(b, report_domain_label(d->name), narrow ? 48 : HTML_LABEL_MAX);
		obuf_puts(b, "</text>");
		for (c = CLASS_PERMANENT; c < CLASS_MAX; c++) {
			double	 w = (double)bwmax * (double)d->cls[c] / (double)max;

			if (d->cls[c] == 0)
				continue;
			obuf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" "
			    "fill=\"%s\"/>", x, by, w, narrow ? 14 : 16, html_class_color[c]);
			x += w;
		}
		obuf_printf(b, "<text x=\"%.1f\" y=\"%.1f\">%lld (%.1f%%)</text></g>",
		    x + 5, by + 12, (long long)d->failures, report_pct(d->failures, d->attempts));
	}
	obuf_puts(b, "</svg>");
}

/* The same chart for a mail: rows of a table. */
static void
html_domain_rows(struct obuf *b, const struct report *r, size_t n)
{
	size_t	 i;

	obuf_puts(b, "<table role=\"presentation\" width=\"100%\">");
	for (i = 0; i < n; i++) {
		const struct report_domain	*d = &r->domains[i];

		obuf_puts(b, "<tr><td class=\"lab\">");
		html_cut(b, report_domain_label(d->name), HTML_LABEL_MAX);
		obuf_puts(b, "</td><td class=\"bar\">");
		html_bar(b, d->cls, html_domain_max(r, n));
		obuf_puts(b, "</td>");
		html_num(b, d->failures, 0);
		obuf_puts(b, "</tr>");
	}
	obuf_puts(b, "</table>");
}

static void
html_domain_chart(struct obuf *b, const struct report *r, int mail)
{
	size_t	 n = 0;

	while (n < r->ndomains && n < (size_t)r->top && n < 15 && r->domains[n].failures > 0)
		n++;
	if (n == 0)
		return;
	obuf_puts(b, "<section><h2>Top failing domains</h2>");
	if (mail)
		html_domain_rows(b, r, n);
	else {
		html_domain_svg(b, r, n, 0);
		html_domain_svg(b, r, n, 1);
	}
	html_legend(b);
	obuf_puts(b, "</section>");
}

static void
html_card(struct obuf *b, const char *cls, const char *label, int64_t n,
    const char *note)
{
	obuf_printf(b, "<div class=\"card %s\"><b>%lld</b><span>%s%s%s</span></div>",
	    cls, (long long)n, label, note != NULL ? " &middot; " : "",
	    note != NULL ? note : "");
}

static void
html_cards(struct obuf *b, const struct report *r)
{
	const struct report_domain	*t = &r->totals;
	char				 p1[32], p2[32];

	snprintf(p1, sizeof(p1), "%.1f%%", report_pct(t->cls[CLASS_DELIVERED], t->attempts));
	snprintf(p2, sizeof(p2), "%.1f%%", report_pct(t->failures, t->attempts));
	obuf_puts(b, "<section class=\"cards\">");
	html_card(b, "", "delivery attempts", t->attempts, NULL);
	html_card(b, "ok", "delivered", t->cls[CLASS_DELIVERED], p1);
	html_card(b, "perm", "failures", t->failures, p2);
	html_card(b, "perm", "permanent", t->cls[CLASS_PERMANENT], NULL);
	html_card(b, "temp", "temporary", t->cls[CLASS_TEMPORARY], NULL);
	html_card(b, "grey", "greylist", t->cls[CLASS_GREYLIST], NULL);
	html_card(b, "lt", "local throttle", t->local_throttle, "not failures");
	html_card(b, "perm", "failed recipients", t->failed_recipients, NULL);
	html_card(b, "perm", "permanently", t->rcpt[CLASS_PERMANENT], "recipients");
	html_card(b, "", "failed messages", t->failed_messages, NULL);
	obuf_puts(b, "</section>");
}

static void
html_reasons(struct obuf *b, const struct report *r)
{
	const struct report_domain	*t = &r->totals;
	int				 order[REASON_MAX], n = 0, i, j;

	if (t->failures == 0)
		return;
	for (i = 1; i < REASON_MAX; i++)
		if (t->reasons[i] > 0)
			order[n++] = i;
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && t->reasons[order[j]] > t->reasons[order[j - 1]]; j--) {
			int	 x = order[j];

			order[j] = order[j - 1];
			order[j - 1] = x;
		}
	obuf_puts(b, "<section><h2>Failures by reason</h2><table>"
	    "<tr><th>reason</th><th class=\"n\">perm</th><th class=\"n\">temp</th>"
	    "<th class=\"n\">grey</th><th class=\"n\">total</th><th class=\"opt\">share</th>"
	    "</tr>");
	for (i = 0; i < n; i++) {
		int64_t	 v[CLASS_MAX];
		int	 c;

		for (c = 0; c < CLASS_MAX; c++)
			v[c] = report_class_reason(t, c, order[i]);
		obuf_printf(b, "<tr><td class=\"d\">%s</td>", html_reason(order[i]));
		html_num(b, v[CLASS_PERMANENT], 0);
		html_num(b, v[CLASS_TEMPORARY], 0);
		html_num(b, v[CLASS_GREYLIST], 0);
		html_num(b, t->reasons[order[i]], 0);
		obuf_puts(b, "<td class=\"opt bar\">");
		html_bar(b, v, t->reasons[order[0]]);
		obuf_puts(b, "</td></tr>");
	}
	obuf_puts(b, "</table>");
	html_legend(b);
	obuf_puts(b, "</section>");
}

/* A report over more than one host: a row per host. */
static void
html_hosts(struct obuf *b, const struct report *r)
{
	size_t	 i;

	if (r->nhosts < 2)
		return;
	obuf_printf(b, "<section><h2>Hosts</h2><div class=\"scroll\"><table><tr>"
	    "<th>host</th><th class=\"n\">attempts</th><th class=\"n\">failures</th>"
	    "<th class=\"n\">fail</th><th class=\"n opt\">throttled</th>"
	    "<th class=\"opt\">top reason</th></tr>");
	for (i = 0; i < r->nhosts; i++) {
		const struct report_domain	*h = &r->hosts[i];

		obuf_puts(b, "<tr><td class=\"d\">");
		html_s(b, h->name[0] == '\0' ? "(unknown)" : h->name);
		obuf_puts(b, "</td>");
		html_num(b, h->attempts, 0);
		html_num(b, h->failures, 0);
		html_pct(b, report_pct(h->failures, h->attempts));
		html_num(b, h->local_throttle, 1);
		obuf_printf(b, "<td class=\"opt\">%s</td></tr>",
		    html_reason(report_top_reason(h)));
	}
	obuf_puts(b, "</table></div></section>");
}

static void
html_domain_table(struct obuf *b, const struct report *r)
{
	size_t	 i, n = 0, failing = r->nfailing;

	if (failing == 0)
		return;
	n = failing < (size_t)r->top ? failing : (size_t)r->top;
	obuf_printf(b, "<section><h2>Domains by failed recipients</h2><p class=\"note\">"
	    "%zu of %zu failing domains, permanently failed recipients first. "
	    "rcpt: distinct recipients that failed (p: permanently).</p><table><tr>"
	    "<th>domain</th><th class=\"n\">rcpt</th><th class=\"n\">p</th>"
	    "<th class=\"n opt\">attempts</th><th class=\"n opt\">delivered</th>"
	    "<th class=\"n\">perm</th><th class=\"n\">temp</th><th class=\"n opt\">grey</th>"
	    "<th class=\"n\">fail</th><th class=\"opt\">top reason</th></tr>", n, failing);
	for (i = 0; i < n; i++) {
		const struct report_domain	*d = &r->domains[i];

		obuf_puts(b, "<tr><td class=\"d\">");
		html_s(b, report_domain_label(d->name));
		/* on a phone, the top reason goes under the name */
		obuf_printf(b, "<div class=\"ph\">%s</div></td>",
		    html_reason(report_top_reason(d)));
		html_num(b, d->failed_recipients, 0);
		html_num(b, d->rcpt[CLASS_PERMANENT], 0);
		html_num(b, d->attempts, 1);
		html_num(b, d->cls[CLASS_DELIVERED], 1);
		html_num(b, d->cls[CLASS_PERMANENT], 0);
		html_num(b, d->cls[CLASS_TEMPORARY], 0);
		html_num(b, d->cls[CLASS_GREYLIST], 1);
		html_pct(b, report_pct(d->failures, d->attempts));
		obuf_printf(b, "<td class=\"opt\">%s</td></tr>",
		    html_reason(report_top_reason(d)));
	}
	obuf_puts(b, "</table></section>");
}

static void
html_texts(struct obuf *b, const struct report *r, const char *title,
    const char *note, const struct report_text *t, size_t n, int examples)
{
	size_t	 i;
	int	 alldom = r->domain_filter == NULL;

	if (n == 0)
		return;
	obuf_printf(b, "<section><h2>%s</h2>", title);
	if (note != NULL)
		obuf_printf(b, "<p class=\"note\">%s</p>", note);
	obuf_printf(b, "<div class=\"scroll\"><table><tr><th class=\"n\">n</th>%s"
	    "<th>text</th></tr>", alldom ? "<th class=\"n\">domains</th>" : "");
	for (i = 0; i < n; i++) {
		const char	*cls = t[i].cls > 0 && t[i].cls < CLASS_MAX ?
		    classify_class_name((enum bw_class)t[i].cls) : "";

		obuf_puts(b, "<tr>");
		html_num(b, t[i].n, 0);
		if (alldom)
			html_num(b, t[i].domains, 0);
		obuf_printf(b, "<td><span class=\"r %s\">%s</span> <span class=\"t\">",
		    cls, html_reason(t[i].reason));
		html_s(b, *t[i].text != '\0' ? t[i].text : "(no text)");
		obuf_puts(b, "</span>");
		if (examples && t[i].example != NULL && *t[i].example != '\0') {
			obuf_puts(b, "<div class=\"ex\">e.g. to ");
			html_s(b, report_domain_label(t[i].example_domain));
			obuf_puts(b, ": <span class=\"t\">");
			html_s(b, t[i].example);
			obuf_puts(b, "</span></div>");
		}
		obuf_puts(b, "</td></tr>");
	}
	obuf_puts(b, "</table></div></section>");
}

static void
html_changes(struct obuf *b, const struct report *r)
{
	size_t	 i;

	obuf_printf(b, "<section><h2>Changes against %s &ndash; %s</h2>", r->prev_from,
	    r->prev_to);
	if (!r->history) {
		obuf_puts(b, "<p class=\"note\">No deliveries were recorded in those days: "
		    "nothing to compare.</p></section>");
		return;
	}
	if (r->nnewly == 0 && r->njumps == 0 && r->nnewreasons == 0 && r->ndnew == 0)
		obuf_puts(b, "<p class=\"note\">Nothing new: no domain started failing, "
		    "no failure rate jumped, no new reason.</p>");
	if (r->nnewly > 0) {
		obuf_puts(b, "<h3>Newly failing domains</h3><div class=\"scroll\"><table><tr>"
		    "<th>domain</th><th class=\"n\">failures</th><th class=\"n\">rcpt</th>"
		    "<th class=\"n opt\">attempts</th><th class=\"n opt\">attempts before</th>"
		    "<th>top reason</th></tr>");
		for (i = 0; i < r->nnewly; i++) {
			const struct report_domain	*d = r->newly[i];

			obuf_puts(b, "<tr><td class=\"d\">");
			html_s(b, report_domain_label(d->name));
			obuf_puts(b, "</td>");
			html_num(b, d->failures, 0);
			html_num(b, d->failed_recipients, 0);
			html_num(b, d->attempts, 1);
			html_num(b, d->prev_attempts, 1);
			obuf_printf(b, "<td class=\"d\">%s</td></tr>",
			    html_reason(report_top_reason(d)));
		}
		obuf_puts(b, "</table></div>");
	}
	if (r->njumps > 0) {
		obuf_printf(b, "<h3>Failure rate up by %d points or more</h3><div class=\"scroll\">"
		    "<table><tr><th>domain</th><th class=\"n\">before</th><th class=\"n\">now</th>"
		    "<th class=\"n opt\">failures</th><th class=\"n opt\">attempts</th>"
		    "<th>top reason</th></tr>",
		    REPORT_JUMP_PTS);
		for (i = 0; i < r->njumps; i++) {
			obuf_puts(b, "<tr><td class=\"d\">");
			html_s(b, report_domain_label(r->jumps[i].d->name));
			obuf_puts(b, "</td>");
			html_pct(b, r->jumps[i].prev_pct);
			html_pct(b, r->jumps[i].pct);
			html_num(b, r->jumps[i].d->failures, 1);
			html_num(b, r->jumps[i].d->attempts, 1);
			obuf_printf(b, "<td class=\"d\">%s</td></tr>",
			    html_reason(report_top_reason(r->jumps[i].d)));
		}
		obuf_puts(b, "</table></div>");
	}
	if (r->ndnew > 0) {
		obuf_puts(b, "<h3>Failing for a reason new to the domain</h3><div class=\"scroll\">"
		    "<table><tr><th>domain</th><th>new reason</th><th class=\"n\">failures</th>"
		    "<th class=\"opt\">top reason</th></tr>");
		for (i = 0; i < r->ndnew; i++) {
			obuf_puts(b, "<tr><td class=\"d\">");
			html_s(b, report_domain_label(r->dnew[i].d->name));
			obuf_printf(b, "</td><td class=\"d\">%s</td>",
			    html_reason(r->dnew[i].reason));
			html_num(b, r->dnew[i].n, 0);
			obuf_printf(b, "<td class=\"opt\">%s</td></tr>",
			    html_reason(report_top_reason(r->dnew[i].d)));
		}
		obuf_puts(b, "</table></div>");
	}
	if (r->nnewreasons > 0) {
		obuf_puts(b, "<h3>Reasons not seen for any domain in those days</h3>"
		    "<div class=\"scroll\"><table>"
		    "<tr><th>reason</th><th class=\"n\">failures</th></tr>");
		for (i = 0; i < r->nnewreasons; i++) {
			obuf_printf(b, "<tr><td>%s</td>", html_reason(r->newreasons[i].reason));
			html_num(b, r->newreasons[i].n, 0);
			obuf_puts(b, "</tr>");
		}
		obuf_puts(b, "</table></div>");
	}
	obuf_puts(b, "</section>");
}

static void
html_throttle(struct obuf *b, const struct report *r)
{
	size_t	 i;

	if (r->totals.local_throttle == 0)
		return;
	obuf_printf(b, "<section><h2>Local throttle: %lld deferrals</h2><p class=\"note\">"
	    "Our own MTA deferred these on purpose (delivery rules, connection limits): "
	    "they are not failures of the remote domains and are not counted above.</p>",
	    (long long)r->totals.local_throttle);
	if (r->nlt_domains > 0) {
		obuf_puts(b, "<div class=\"scroll\"><table><tr><th>domain</th>"
		    "<th class=\"n\">deferrals</th></tr>");
		for (i = 0; i < r->nlt_domains; i++) {
			obuf_puts(b, "<tr><td class=\"d\">");
			html_s(b, report_domain_label(r->lt_domains[i]->name));
			obuf_puts(b, "</td>");
			html_num(b, r->lt_domains[i]->local_throttle, 0);
			obuf_puts(b, "</tr>");
		}
		obuf_puts(b, "</table></div>");
	}
	obuf_puts(b, "</section>");
	html_texts(b, r, "Local throttle texts", NULL, r->lt_texts, r->nlt_texts, 0);
}

static void
html_relays(struct obuf *b, const struct report *r)
{
	size_t	 i;

	if (r->nrelays == 0)
		return;
	obuf_puts(b, "<section><h2>Relays of the failures</h2><div class=\"scroll\"><table>"
	    "<tr><th>relay</th><th class=\"n\">failures</th><th>top reason</th></tr>");
	for (i = 0; i < r->nrelays; i++) {
		obuf_puts(b, "<tr><td class=\"d\">");
		html_s(b, r->relays[i].name);
		obuf_puts(b, "</td>");
		html_num(b, r->relays[i].n, 0);
		obuf_printf(b, "<td>%s</td></tr>", html_reason(r->relays[i].reason));
	}
	obuf_puts(b, "</table></div></section>");
}

/* Days without one line read: first, loud, never mistaken for quiet. */
static void
html_nolines(struct obuf *b, const struct report *r)
{
	char	*note = report_nolines_note(r);

	if (note == NULL)
		return;
	obuf_puts(b, "<section class=\"warn\"><p><strong>Warning:</strong> ");
	html_s(b, note);
	obuf_puts(b, "</p></section>");
	free(note);
}

/* The alerts bouncewatchd raised in the range. */
static void
html_alerts(struct obuf *b, const struct report *r)
{
	const struct report_alert *a;
	size_t			 i;

	if (r->nalerts == 0)
		return;
	obuf_printf(b, "<section><h2>Alerts raised (%zu)</h2><div class=\"scroll\">"
	    "<table><tr><th>time</th><th>condition</th><th>domain or source</th>"
	    "<th>reason</th><th class=\"n\">count</th><th class=\"n\">baseline</th>"
	    "</tr>", r->nalerts);
	for (i = 0; i < r->nalerts; i++) {
		a = &r->alerts[i];
		obuf_printf(b, "<tr><td>%s</td><td>", a->local);
		html_s(b, a->condition);
		obuf_puts(b, "</td><td class=\"d\">");
		html_s(b, a->domain);
		obuf_puts(b, "</td><td>");
		html_s(b, a->reason);
		obuf_puts(b, "</td>");
		html_num(b, a->count, 0);
		obuf_printf(b, "<td class=\"n\">%.1f</td></tr>", a->baseline);
	}
	obuf_puts(b, "</table></div></section>");
}

void
report_html(struct obuf *b, const struct report *r, int mail)
{
	char	 range[40];

	if (strcmp(r->from, r->to) == 0)
		snprintf(range, sizeof(range), "%s", r->from);
	else
		snprintf(range, sizeof(range), "%s &ndash; %s", r->from, r->to);
	obuf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
	    "<meta name=\"color-scheme\" content=\"light\"><title>bouncewatch ");
	if (r->domain_filter != NULL) {
		html_s(b, r->domain_filter);
		obuf_putc(b, ' ');
	}
	obuf_printf(b, "%s</title><style>%s</style></head>\n<body><main><header><h1>"
	    "Delivery failures", range, html_style);
	if (r->domain_filter != NULL) {
		obuf_puts(b, " to ");
		html_s(b, r->domain_filter);
	}
	obuf_printf(b, ", %s</h1><p class=\"sub\">Days and hours in ", range);
	html_s(b, r->zone);
	obuf_puts(b, ". Built by bouncewatch from its database.</p>");
	if (r->host_filter != NULL) {
		size_t	 i;

		obuf_puts(b, "<p class=\"sub\">Hosts: ");
		for (i = 0; i < r->nhost_filter; i++) {
			obuf_puts(b, i > 0 ? ", " : "");
			html_s(b, r->host_filter[i]);
		}
		obuf_puts(b, "</p>");
	}
	obuf_puts(b, "</header>\n");
	html_nolines(b, r);
	if (report_empty(r)) {
		if (r->nnolines == 0)
			obuf_puts(b, "<section><p>No delivery attempts were recorded in "
			    "this period.</p></section>");
		html_alerts(b, r);
	} else {
		html_cards(b, r);
		html_alerts(b, r);
		if (r->domain_filter == NULL)
			html_domain_chart(b, r, mail);
		html_hours(b, r, mail);
		html_days(b, r, mail);
		html_reasons(b, r);
		if (r->domain_filter == NULL)
			html_domain_table(b, r);
		html_hosts(b, r);
		html_texts(b, r, "Top failure texts", "Normalised: addresses, IPs, ids and "
		    "numbers replaced.", r->texts, r->ntexts, 0);
		if (r->domain_filter != NULL)
			html_relays(b, r);
		html_changes(b, r);
		html_texts(b, r, "Replies no rule recognised", "Failures with reason "
		    "&ldquo;other&rdquo;: candidates for new rules.", r->unrec, r->nunrec, 1);
		html_throttle(b, r);
		if (r->estimated)
			obuf_printf(b, "<p class=\"note\">Over several days, counts of "
			    "distinct recipients, messages and domains above 8,192 are "
			    "estimates (within about 1%%).</p>");
		if (r->failure_rows < r->totals.failures + r->totals.local_throttle)
			obuf_printf(b, "<p class=\"note\">Failure detail is kept for only %lld "
			    "of the %lld failures (pruned): texts, hours and relays cover "
			    "those.</p>", (long long)r->failure_rows,
			    (long long)(r->totals.failures + r->totals.local_throttle));
	}
	obuf_printf(b, "<footer>bouncewatch %s</footer></main></body></html>\n",
	    PACKAGE_VERSION);
}
