/*
 * report.c -- see report.h.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "report.h"
#include "util.h"

static int
report_cmp_domain(const void *a, const void *b)
{
	const struct report_domain	*x = a, *y = b;

	if (x->failures != y->failures)
		return x->failures < y->failures ? 1 : -1;
	if (x->attempts != y->attempts)
		return x->attempts < y->attempts ? 1 : -1;
	return strcmp(x->name, y->name);
}

static void
report_add(struct report_domain *d, int cls, int reason, int64_t n)
{
	if (cls < 0 || cls >= CLASS_MAX || reason < 0 || reason >= REASON_MAX)
		return;
	if (reason == REASON_LOCAL_THROTTLE) {
		/* our own MTA deferring on purpose: not the remote domain's failure */
		d->local_throttle += n;
		return;
	}
	d->cls[cls] += n;
	d->attempts += n;
	if (classify_is_failure((enum bw_class)cls)) {
		d->failures += n;
		d->reasons[reason] += n;
	}
}

int
report_load(struct sqlite3 *db, const char *from, const char *to,
    struct report *r, char *err, size_t errlen)
{
	static const char sql[] =
	    "SELECT d.name, dl.class_id, dl.reason_id, sum(dl.n)"
	    "  FROM daily dl JOIN domain d ON d.id = dl.domain_id"
	    " WHERE dl.day BETWEEN ?1 AND ?2"
	    " GROUP BY dl.domain_id, dl.class_id, dl.reason_id"
	    " ORDER BY dl.domain_id";
	sqlite3_stmt	*q;
	int		 rc;
	const char	*last = NULL;

	memset(r, 0, sizeof(*r));
	snprintf(r->from, sizeof(r->from), "%s", from);
	snprintf(r->to, sizeof(r->to), "%s", to);
	r->totals.name = xstrdup("");
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
	    (rc = sqlite3_prepare_v2(db, sql, -1, &q, NULL)) != SQLITE_OK) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(db));
		return -1;
	}
	sqlite3_bind_text(q, 1, from, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, to, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char	*name = (const char *)sqlite3_column_text(q, 0);
		int		 cls = sqlite3_column_int(q, 1);
		int		 reason = sqlite3_column_int(q, 2);
		int64_t		 n = sqlite3_column_int64(q, 3);
		struct report_domain *d;

		if (last == NULL || strcmp(last, name) != 0) {
			r->domains = xrealloc(r->domains, (r->ndomains + 1) * sizeof(*r->domains));
			d = &r->domains[r->ndomains++];
			memset(d, 0, sizeof(*d));
			d->name = xstrdup(name);
			last = d->name;
		}
		d = &r->domains[r->ndomains - 1];
		report_add(d, cls, reason, n);
		report_add(&r->totals, cls, reason, n);
	}
	sqlite3_finalize(q);
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(db));
		return -1;
	}
	qsort(r->domains, r->ndomains, sizeof(*r->domains), report_cmp_domain);
	return 0;
}

void
report_free(struct report *r)
{
	size_t	 i;

	for (i = 0; i < r->ndomains; i++)
		free(r->domains[i].name);
	free(r->domains);
	free(r->totals.name);
	memset(r, 0, sizeof(*r));
}

static void
report_json_counts(struct obuf *b, const struct report_domain *d)
{
	int	 i, first = 1;

	obuf_printf(b, "\"attempts\":%lld,\"delivered\":%lld,\"permanent\":%lld,"
	    "\"temporary\":%lld,\"greylist\":%lld,\"local_throttle\":%lld,"
	    "\"failures\":%lld,\"reasons\":{",
	    (long long)d->attempts, (long long)d->cls[CLASS_DELIVERED],
	    (long long)d->cls[CLASS_PERMANENT], (long long)d->cls[CLASS_TEMPORARY],
	    (long long)d->cls[CLASS_GREYLIST], (long long)d->local_throttle,
	    (long long)d->failures);
	for (i = 1; i < REASON_MAX; i++) {
		if (d->reasons[i] == 0)
			continue;
		obuf_printf(b, "%s\"%s\":%lld", first ? "" : ",",
		    classify_reason_name((enum bw_reason)i), (long long)d->reasons[i]);
		first = 0;
	}
	obuf_putc(b, '}');
}

void
report_json(struct obuf *b, const struct report *r)
{
	size_t	 i;

	obuf_printf(b, "{\"from\":\"%s\",\"to\":\"%s\",\"totals\":{", r->from, r->to);
	report_json_counts(b, &r->totals);
	obuf_puts(b, "},\"domains\":[");
	for (i = 0; i < r->ndomains; i++) {
		obuf_puts(b, i > 0 ? ",{\"domain\":" : "{\"domain\":");
		emit_json_str(b, r->domains[i].name, strlen(r->domains[i].name));
		obuf_putc(b, ',');
		report_json_counts(b, &r->domains[i]);
		obuf_putc(b, '}');
	}
	obuf_puts(b, "]}\n");
}
