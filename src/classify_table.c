/*
 * classify_table.c -- the built-in rule table (classify_table.h) and the
 * vocabulary's names: classes, reasons, details.  See classify.h.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "classify_int.h"
#include "util.h"

#include "classify_table.h"

const size_t classify_nrules = sizeof(classify_rules) / sizeof(classify_rules[0]);

static const char *const classify_class_names[CLASS_MAX] = {
	[CLASS_DELIVERED] = "delivered",
	[CLASS_PERMANENT] = "permanent",
	[CLASS_TEMPORARY] = "temporary",
	[CLASS_GREYLIST] = "greylist",
};

static const char *const classify_detail_names[DETAIL_MAX] = {
	[DETAIL_NONE] = NULL,
	[DETAIL_SPF] = "spf",
	[DETAIL_DKIM] = "dkim",
	[DETAIL_DMARC] = "dmarc",
	[DETAIL_PTR] = "ptr",
	[DETAIL_DNSBL] = "dnsbl",
	[DETAIL_REPUTATION] = "reputation",
	[DETAIL_TENANT_BAN] = "tenant_ban",
	[DETAIL_MTA_STS] = "mta_sts",
	[DETAIL_DANE] = "dane",
	[DETAIL_VIRUS] = "virus",
	[DETAIL_ATTACHMENT] = "attachment",
	[DETAIL_PER_HOUR] = "per_hour",
	[DETAIL_PER_DAY] = "per_day",
	[DETAIL_QUOTA] = "quota",
};

static const char *const classify_reason_names[REASON_MAX] = {
	[REASON_NONE] = "none",
	[REASON_USER_UNKNOWN] = "user_unknown",
	[REASON_MAILBOX_DISABLED] = "mailbox_disabled",
	[REASON_MAILBOX_FULL] = "mailbox_full",
	[REASON_MESSAGE_TOO_LARGE] = "message_too_large",
	[REASON_BAD_ADDRESS] = "bad_address",
	[REASON_SENDER_REJECTED] = "sender_rejected",
	[REASON_DOMAIN_NOT_FOUND] = "domain_not_found",
	[REASON_HOST_UNREACHABLE] = "host_unreachable",
	[REASON_CONNECTION_LOST] = "connection_lost",
	[REASON_TLS_ERROR] = "tls_error",
	[REASON_PROTOCOL_ERROR] = "protocol_error",
	[REASON_RELAY_DENIED] = "relay_denied",
	[REASON_BLOCKLISTED] = "blocklisted",
	[REASON_CONTENT_REJECTED] = "content_rejected",
	[REASON_AUTH_FAILED] = "auth_failed",
	[REASON_POLICY] = "policy",
	[REASON_RATE_LIMITED] = "rate_limited",
	[REASON_GREYLISTED] = "greylisted",
	[REASON_SERVER_UNAVAILABLE] = "server_unavailable",
	[REASON_ROUTING_LOOP] = "routing_loop",
	[REASON_LOCAL_THROTTLE] = "local_throttle",
	[REASON_LOCAL_ERROR] = "local_error",
	[REASON_EXPIRED] = "expired",
	[REASON_OTHER] = "other",
};

/* ---- names ---- */

const char *
classify_class_name(enum bw_class c)
{
	return (unsigned)c < CLASS_MAX ? classify_class_names[c] : "unknown";
}

const char *
classify_detail_name(enum bw_detail d)
{
	return (unsigned)d < DETAIL_MAX ? classify_detail_names[d] : NULL;
}

const char *
classify_detail_text(const struct verdict *v, char *buf, size_t len)
{
	const char	*name = classify_detail_name(v->detail);

	if (name == NULL)
		return NULL;
	if (v->detail_name[0] != '\0')
		snprintf(buf, len, "%s:%s", name, v->detail_name);
	else
		strlcpy(buf, name, len);
	return buf;
}

const char *
classify_reason_name(enum bw_reason r)
{
	return (unsigned)r < REASON_MAX ? classify_reason_names[r] : "other";
}

int
classify_class_from_name(const char *s)
{
	int	 i;

	for (i = 0; i < CLASS_MAX; i++)
		if (strcmp(classify_class_names[i], s) == 0)
			return i;
	return -1;
}

int
classify_reason_from_name(const char *s)
{
	int	 i;

	for (i = 0; i < REASON_MAX; i++)
		if (strcmp(classify_reason_names[i], s) == 0)
			return i;
	return -1;
}

int
classify_is_failure(enum bw_class c)
{
	return c == CLASS_PERMANENT || c == CLASS_TEMPORARY || c == CLASS_GREYLIST;
}

/* ---- introspection ---- */

size_t
classify_builtin_count(void)
{
	return classify_nrules;
}

int
classify_builtin(size_t i, struct classify_rule_info *info)
{
	const struct rule	*r;

	if (i >= classify_nrules)
		return -1;
	r = &classify_rules[i];
	info->name = r->name;
	info->pattern = r->pattern;
	info->reason = r->reason;
	info->cls = r->hint;
	info->example = r->example;
	info->example_code = 0;
	info->example_dsn = NULL;
	info->detail = r->detail;
	info->source = r->source;
	info->decides = r->weight != EV_STAGE && r->weight != EV_DETAIL &&
	    r->weight != EV_HINT;
	return 0;
}
