/*
 * classify_provider.h -- what providers' own codes mean, with where each
 * meaning is documented.  Included by classify_table.h at the head of the
 * rule table: a provider's code is the clearest evidence there is.
 *
 * PROV rows are text rules (whole words, see classify_table.h); PENH rows
 * enhanced status codes that only a provider gives a meaning, such as
 * Microsoft's 5.7.6xx.  Each row: name, pattern, reason, condition,
 * detail, source (the provider's page, or a public page that quotes the
 * provider's reply with its link), and an example it must decide.
 */

/* ---- Microsoft 365 / Exchange Online / Outlook.com ---- */
#define MS_NDR "https://learn.microsoft.com/exchange/mail-flow-best-practices/non-delivery-reports-in-exchange-online/non-delivery-reports-in-exchange-online"
#define MS_LIVE "http://mail.live.com/mail/troubleshooting.aspx#errors"
	PROV("provider.microsoft-s3150", "(s3150)", BLOCKLISTED, W_ANY, REPUTATION, MS_LIVE,
	    "550 5.7.1 Unfortunately, messages from [88.198.83.90] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150)."),
	PROV("provider.microsoft-s3140", "(s3140)", BLOCKLISTED, W_ANY, REPUTATION, MS_LIVE,
	    "550 5.7.1 Unfortunately, messages from [87.247.242.5] weren't sent (S3140)."),
	PROV("provider.microsoft-as3140", "(as3140)", BLOCKLISTED, W_ANY, REPUTATION, MS_LIVE,
	    "550 5.7.1 Service unavailable, Client host [192.0.2.1] (AS3140)."),
	PROV("provider.microsoft-as3150", "(as3150)", BLOCKLISTED, W_ANY, REPUTATION, MS_LIVE,
	    "550 5.7.1 Unfortunately, messages from [204.11.58.44] weren't sent. Please contact your Internet service provider since part of their network is on our block list (AS3150)."),
	PROV("provider.microsoft-sc001", "sc-001", BLOCKLISTED, W_ANY, REPUTATION, MS_LIVE,
	    "550 SC-001 (SNT004-MC10F17) Unfortunately, messages from 88.198.217.110 weren't sent."),
	PROV("provider.microsoft-sc004", "sc-004", BLOCKLISTED, W_ANY, REPUTATION, MS_LIVE,
	    "550 SC-004 (COL0-MC1-F1) Unfortunately, messages from 111.86.156.22 weren't sent."),
	PROV("provider.microsoft-ou002", "ou-002", BLOCKLISTED, W_ANY, REPUTATION, MS_LIVE,
	    "550 OU-002 Unfortunately, messages from 64.22.68.6 weren't sent."),
	PROV("provider.microsoft-banned-ip", "banned sending ip", BLOCKLISTED, W_ANY, REPUTATION, MS_NDR,
	    "550 5.7.606 Access denied, banned sending IP [185.234.72.45]. To request removal from this list please visit https://sender.office.com/"),
	/* DBEB: the recipient is not in the tenant's directory */
	PROV("provider.microsoft-as201806281", "as(201806281)", USER_UNKNOWN, W_ANY, NONE, MS_NDR,
	    "550 5.4.1 Recipient address rejected: Access denied. AS(201806281)"),
	PROV("provider.microsoft-dbeb", "recipient address rejected: access denied", USER_UNKNOWN, W_X41, NONE, MS_NDR,
	    "550 5.4.1 [a@example.br]: Recipient address rejected: Access denied [BL2NAM02FT061.eop-nam02.prod.protection.outlook.com]"),
	/* 4.7.500-699 with AS77712344: Exchange Online throttling a sender that sends too fast */
	PROV("provider.microsoft-as77712344", "(as77712344)", RATE_LIMITED, W_ANY, NONE,
	    "https://github.com/fm/smtp-codes/blob/master/data/codes/451.json",
	    "451 4.7.500 Server busy. Please try again later from [192.0.2.1]. (AS77712344)"),
	PROV("provider.microsoft-send-as-denied", "sendasdenied*", SENDER_REJECTED, W_ANY, NONE, MS_NDR,
	    "554 5.2.252 SendAsDenied; sender@example.com not allowed to send as other@example.com"),
	PROV("provider.microsoft-recipient-not-found", "recipientnotfound", USER_UNKNOWN, W_ANY, NONE, MS_NDR,
	    "550 5.1.10 RESOLVER.ADR.RecipientNotFound; not found by SMTP address lookup"),
	PROV("provider.microsoft-recipient-limit", "recipientthresholdexceeded", RATE_LIMITED, W_ANY, PER_DAY, MS_NDR,
	    "550 5.5.0 RESOLVER.RST.RecipientThresholdExceeded; sender exceeded the daily recipient limit"),
	PROV("provider.microsoft-tenant-threshold", "tenant has exceeded threshold", BLOCKLISTED, W_ANY, TENANT_BAN, MS_NDR,
	    "550 5.7.705 Access denied, tenant has exceeded threshold"),
	PROV("provider.microsoft-outbound-spam", "bad outbound sender", BLOCKLISTED, W_ANY, TENANT_BAN, MS_NDR,
	    "550 5.1.8 Access denied, bad outbound sender"),
	PROV("provider.microsoft-concurrent", "concurrent connections limit", RATE_LIMITED, W_ANY, NONE, MS_NDR,
	    "432 4.3.2 Concurrent connections limit exceeded. Visit https://aka.ms/concurrent_sending for more information."),
	/*
	 * a bare 5.4.1 is the edge refusing an unknown recipient, weighed as a
	 * generic code: words beside it decide ("All recipient addresses
	 * rejected : Access denied" is the tenant refusing mail that bypassed
	 * its connector)
	 */
	PENHG("5.4.1", USER_UNKNOWN, NONE, MS_NDR, "550 5.4.1 neutral text"),
	PROV("provider.microsoft-all-recipients", "all recipient addresses rejected", POLICY, W_ANY, NONE, MS_NDR,
	    "550 5.4.1 All recipient addresses rejected : Access denied [AM2PR01.prod.protection.outlook.com]"),
	PENH("x.7.501-503", BLOCKLISTED, TENANT_BAN, MS_NDR, "550 5.7.501 neutral text"),
	PENH("x.7.509", AUTH_FAILED, DMARC, MS_NDR, "550 5.7.509 neutral text"),
	PENH("x.7.510", POLICY, NONE, MS_NDR, "550 5.7.510 neutral text"),
	PENH("x.7.511", BLOCKLISTED, REPUTATION, MS_NDR, "550 5.7.511 neutral text"),
	PENH("x.7.512", PROTOCOL_ERROR, NONE, MS_NDR, "550 5.7.512 neutral text"),
	PENH("x.7.513", BLOCKLISTED, NONE, MS_NDR, "550 5.7.513 neutral text"),
	PENH("x.7.606-649", BLOCKLISTED, REPUTATION, MS_NDR, "550 5.7.606 neutral text"),
	PENH("4.7.500-699", RATE_LIMITED, REPUTATION, MS_NDR, "451 4.7.500 neutral text"),
	PENH("x.7.700-749", BLOCKLISTED, TENANT_BAN, MS_NDR, "550 5.7.705 neutral text"),
	PENH("x.7.750", POLICY, TENANT_BAN, MS_NDR, "550 5.7.750 neutral text"),
	PENH("x.7.321", TLS_ERROR, NONE, MS_NDR, "450 4.7.321 neutral text"),
	PENH("x.7.322-324", TLS_ERROR, DANE, MS_NDR, "450 4.7.323 neutral text"),
	PENH("x.7.325", TLS_ERROR, NONE, MS_NDR, "450 4.7.325 neutral text"),
	PENH("x.4.8", TLS_ERROR, MTA_STS, MS_NDR, "451 4.4.8 neutral text"),
	PENH("x.2.121-122", RATE_LIMITED, PER_HOUR, MS_NDR, "550 5.2.121 neutral text"),
	PENH("x.1.90", RATE_LIMITED, PER_DAY, MS_NDR, "550 5.1.90 neutral text"),
	PENH("x.4.300", EXPIRED, NONE, MS_NDR, "550 5.4.300 neutral text"),
	PENH("x.7.124", POLICY, NONE, MS_NDR, "550 5.7.124 neutral text"),
	PENH("x.7.133-136", POLICY, NONE, MS_NDR, "550 5.7.133 neutral text"),

/* ---- Google ---- */
#define GOOGLE "https://support.google.com/a/answer/3726730"
	/* the same words: deferred, a throttle; refused, a block of our IP */
	PROV("provider.google-unusual-rate-blocked", "unusual rate of", BLOCKLISTED, W_PERM, REPUTATION, GOOGLE,
	    "550-5.7.1 [104.248.27.183 1] Our system has detected an unusual rate of 550-5.7.1 unsolicited mail originating from your IP address. To protect our 550-5.7.1 users from spam, mail sent from your IP address has been blocked."),
	PROV("provider.google-unusual-rate", "unusual rate of", RATE_LIMITED, W_TEMP, REPUTATION, GOOGLE,
	    "421-4.7.28 [192.99.55.226 15] Our system has detected an unusual rate of 421-4.7.28 unsolicited mail originating from your IP address."),
	PROV("provider.google-receiving-at-a-rate", "receiving mail at a rate", RATE_LIMITED, W_ANY, NONE, GOOGLE,
	    "450-4.2.1 The user you are trying to contact is receiving mail at a rate that 450-4.2.1 prevents additional messages from being delivered."),
	PROV("provider.google-no-authentication", "does not have authentication information", AUTH_FAILED, W_ANY, NONE, GOOGLE,
	    "421-4.7.0 This message does not have authentication information or fails to 421-4.7.0 pass authentication checks. To best protect our users from spam, the 421-4.7.0 message has been blocked."),
	PROV("provider.google-authentication-checks", "fails to pass authentication checks", AUTH_FAILED, W_ANY, NONE, GOOGLE,
	    "550-5.7.26 This mail has been blocked because the sender is unauthenticated and fails to pass authentication checks."),
	PROV("provider.google-missing-from", "missing a valid address in from: header", PROTOCOL_ERROR, W_ANY, NONE, GOOGLE,
	    "550 5.7.1 [192.0.2.1 14] Messages missing a valid address in From: header, or having no From: header, are not accepted."),
	/* a throttle whose stated cause is authentication: fix that */
	PROV("provider.google-rate-unauthenticated", "rate limited because it is unauthenticated", AUTH_FAILED, W_ANY, NONE, GOOGLE,
	    "421 4.7.26 This mail has been rate limited because it is unauthenticated."),
	PROV("provider.google-rate-dmarc", "rate limited because there is no dmarc alignment", AUTH_FAILED, W_ANY, DMARC, GOOGLE,
	    "421 4.7.32 This mail has been rate limited because there is no DMARC alignment"),
	PROV("provider.google-multiple-from", "multiple addresses in from: header", PROTOCOL_ERROR, W_ANY, NONE, GOOGLE,
	    "550-5.7.1 [192.0.2.222 13] Messages with multiple addresses in From: header are not accepted."),
	PROV("provider.google-direct-ip", "not authorized to send email directly to our servers", POLICY, W_ANY, REPUTATION, GOOGLE,
	    "550-5.7.1 [192.0.2.1] The IP you're using to send mail is not authorized to send email directly to our servers."),
	PROV("provider.google-security-issue", "potential security issue", CONTENT_REJECTED, W_ANY, NONE, GOOGLE,
	    "552-5.7.0 This message was blocked because its content presents a potential 552-5.7.0 security issue."),
	PENH("x.7.28", RATE_LIMITED, REPUTATION, GOOGLE, "421 4.7.28 neutral text"),

	/*
	 * Google Groups' refusal notice, in every language it is sent in,
	 * ends with its help link: the group is missing or we may not post.
	 * Weighed as a vague phrase: a clear one (spam, size) still decides.
	 */
	PVAGUE("provider.google-groups", "groups.google.com/support", POLICY, W_ANY, NONE,
	    "https://github.com/sisimai/p5-sisimai/blob/master/lib/Sisimai/Lhost/GoogleGroups.pm",
	    "Hallo a@example.jp, die Gruppe ist möglicherweise nicht vorhanden. Hilfe unter https://groups.google.com/support/."),

	/* Gmail relays an alias through the alias's own server: its settings failed */
	PROV("provider.gmail-send-mail-as", "'send mail as' account", SENDER_REJECTED, W_ANY, NONE,
	    "https://tech.queenofsandiego.com/posts/2026-05-13-0520.html",
	    "You're sending this from a different address or alias using the 'Send mail as' feature. The settings for your 'Send mail as' account are misconfigured or out of date."),

/* ---- Yahoo / AOL / Verizon Media ---- */
#define YAHOO "https://senders.yahooinc.com/smtp-error-codes/"
#define AOL "https://postmaster.aol.com/error-codes"
	PROV("provider.yahoo-tss04", "[tss04]", RATE_LIMITED, W_ANY, REPUTATION, "https://smtpfieldmanual.com/provider/yahoo/421/4.7.0",
	    "421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1"),
	PROV("provider.yahoo-ts02", "[ts02]", RATE_LIMITED, W_ANY, REPUTATION, "http://www.smtp-error-codes.info/bounce/yahoo/bounce_421_4.7.0_TS02.php",
	    "421 4.7.0 [TS02] Temporarily deferred"),
	PROV("provider.yahoo-user-complaints", "deferred due to user complaints", RATE_LIMITED, W_ANY, REPUTATION, YAHOO,
	    "421 4.7.0 [TS01] Messages from 78.225.183.108 temporarily deferred due to user complaints - 4.16.55.1"),
	/* TSS04, TSS05, IPTS04, IPTS05: one deferral, whatever the tag */
	PROV("provider.yahoo-unexpected-volume", "deferred due to unexpected volume", RATE_LIMITED, W_ANY, REPUTATION, YAHOO,
	    "421 [IPTS04] Messages from 192.0.2.1 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1"),
	/* TSS06: the IP is refused for good */
	PROV("provider.yahoo-permanently-deferred", "will be permanently deferred", BLOCKLISTED, W_ANY, REPUTATION, YAHOO,
	    "553 5.7.2 [TSS06] All messages from 192.0.2.1 will be permanently deferred; Retrying will NOT succeed."),
	PROV("provider.yahoo-ph01", "[ph01]", POLICY, W_ANY, NONE, YAHOO,
	    "554 5.7.9 [PH01] Email not accepted for policy reasons"),
	PROV("provider.aol-con-b1", "con:b1", BLOCKLISTED, W_ANY, REPUTATION, AOL,
	    "554 5.7.1 CON:B1 Connection refused, the IP address has been blocked"),
	PROV("provider.aol-rly-b1", "rly:b1", BLOCKLISTED, W_ANY, REPUTATION, AOL,
	    "554 RLY:B1 The IP address has been blocked due to unfavorable email statistics"),
	PROV("provider.aol-dyn-t1", "dyn:t1", POLICY, W_ANY, NONE, AOL,
	    "421 DYN:T1 dynamic IP address"),
	PROV("provider.yahoo-no-account", "have a yahoo.com account", USER_UNKNOWN, W_ANY, NONE, YAHOO,
	    "554 delivery error: dd This user doesn't have a yahoo.com account (this-local-part-does-not-exist@yahoo.com) [0] - mta1061.mail.ne1.yahoo.com"),

/* ---- Apple iCloud ---- */
#define APPLE "https://support.apple.com/en-us/HT204137"
	PROV("provider.icloud-cs01", "[cs01]", POLICY, W_ANY, REPUTATION, APPLE,
	    "550 5.7.1 [CS01] Message rejected due to local policy. Please visit https://support.apple.com/en-us/HT204137"),
	PROV("provider.icloud-hm07", "[hm07]", POLICY, W_ANY, NONE, APPLE,
	    "554 5.7.1 [HM07] Message rejected due to local policy."),
	PROV("provider.icloud-hm08", "[hm08]", POLICY, W_ANY, NONE, APPLE,
	    "554 5.7.1 [HM08] Message rejected due to local policy. Please visit https://support.apple.com/en-us/HT204137"),

/* ---- Comcast ---- */
#define COMCAST "http://postmaster.comcast.net/smtp-error-codes.php"
	PROV("provider.comcast-rl000001", "rl000001", RATE_LIMITED, W_ANY, NONE, COMCAST,
	    "452 4.2.1 Too many messages in this session RL000001"),
	PROV("provider.comcast-bl000000", "bl000000", BLOCKLISTED, W_ANY, REPUTATION, COMCAST,
	    "554 resimta-ch2-07v.sys.comcast.net comcast 192.0.2.1 Comcast block for spam. Please see http://postmaster.comcast.net/smtp-error-codes.php#BL000000"),
	PROV("provider.comcast-bl000010", "bl000010", BLOCKLISTED, W_ANY, REPUTATION, COMCAST,
	    "554 resimta-po-21v.sys.comcast.net comcast 192.0.2.1 found on one or more DNSBLs, see http://postmaster.comcast.net/smtp-error-codes.php#BL000010"),

/* ---- Spectrum / Charter (Cloudmark): AUP#In-13xx are rate-limit blocks ---- */
	PROV("provider.spectrum-aup-13xx", "aup#in-13*", RATE_LIMITED, W_ANY, NONE,
	    "https://www.suped.com/knowledge/email-deliverability/technical/how-to-interpret-aupi-1300-cloudmark-email-bounce-codes-from-charter",
	    "421 4.7.0 cmsmtp 192.0.2.1 rate limited. Please see https://www.spectrum.net/support/internet/understanding-email-error-codes for more information. AUP#In-1320"),

/* ---- Trend Micro Email Security: the recipient's admin blocks our sender ---- */
	PROV("provider.trendmicro-block-sender", "block-send-er", SENDER_REJECTED, W_ANY, NONE,
	    "https://success.trendmicro.com/solution/1055758-blocking-an-email-address-or-domain-in-hosted-email-security-hes",
	    "554 5.7.1 <a@example.com>: Recipient address rejected: BLOCK-SEND-ER."),

	PROV("provider.trendmicro-ers-block", "ers-customized-block", BLOCKLISTED, W_ANY, REPUTATION,
	    "https://success.trendmicro.com/solution/TP000087438-How-do-I-edit-Reputation-Settings",
	    "550 5.7.1 <a@example.com>: Recipient address rejected: ERS-Customized-Block."),

/* ---- GMX, WEB.DE, mail.com (United Internet) ---- */
#define GMX "https://postmaster.gmx.com/en/error-messages"
	PROV("provider.gmx-invalid-mx", "invalid dns mx or a/aaaa resource record", SENDER_REJECTED, W_ANY, NONE, GMX,
	    "550 <a@example.com>: Invalid DNS MX or A/AAAA resource record"),
	PROV("provider.gmx-block-listed", "ip address is block listed", BLOCKLISTED, W_ANY, DNSBL, GMX,
	    "554-gmx.net (mxgmx104) Nemesis ESMTP Service not available 554-No SMTP service 554-IP address is block listed."),
	PROV("provider.gmx-bad-ptr", "bad dns ptr resource record", POLICY, W_ANY, PTR, GMX,
	    "554 mail.com (mxgmxus002) Nemesis ESMTP Service not available No SMTP service Bad DNS PTR resource record."),
	PROV("provider.gmx-policy-restrictions", "reject due to policy restrictions", POLICY, W_ANY, NONE, GMX,
	    "554-Transaction failed 554-Reject due to policy restrictions."),

	PROV("provider.webde-too-many-messages", "too many messages on the server", MAILBOX_FULL, W_ANY, NONE,
	    "http://www.sitepackage.de/service/dokumentation/auswertung/typische-fehlermeldungen-bei-unzustellbarkeit.html",
	    "550 Benutzer hat zuviele Mails auf dem Server. / User has too many messages on the server."),

/* ---- T-Online ---- */
#define TONLINE "https://postmaster.t-online.de/"
	PROV("provider.t-online-bl", "(bl)", BLOCKLISTED, W_ANY, REPUTATION, TONLINE,
	    "554 IP=192.0.2.1 - A problem occurred. (Ask your postmaster for help or to contact tosa@rx.t-online.de to clarify.) (BL)"),
	PROV("provider.t-online-dial", "(dial)", POLICY, W_ANY, NONE, TONLINE,
	    "554: Dialup/transient IP not allowed. Use a mailgateway or contact toda@rx.t-online.de if obsolete. (DIAL)"),
	PROV("provider.t-online-postmaster", "a problem occurred. (ask your postmaster", POLICY, W_ANY, NONE, TONLINE,
	    "554 IP=192.0.2.1 - A problem occurred. (Ask your postmaster for help.)"),

/* ---- Orange, La Poste (France) ---- */
#define ORANGE "https://postmaster.orange.fr/"
	PROV("provider.orange-ofr506", "ofr_506", CONTENT_REJECTED, W_ANY, NONE, ORANGE,
	    "550 5.2.0 Mail rejete. Mail rejected. OFR_506 [506]"),
	PROV("provider.laposte-lpn007-102", "lpn007_102", BLOCKLISTED, W_ANY, REPUTATION,
	    "https://github.com/fm/smtp-codes/blob/master/data/codes/521.json",
	    "521 5.7.1 Service unavailable LPN007_102"),
	PROV("provider.orange-ofr999", "ofr_999", POLICY, W_ANY, NONE, ORANGE,
	    "421 mwinf5c77 ME Service refuse. Veuillez essayer plus tard. Service refused, please try later. OFR_999 [999]"),

/* ---- Chinese providers ---- */
#define NETEASE "https://biecuoliao.com/pa/MBRrwEM.html"
	/* NetEase (163.com, 126.com): the code after the reply code says why */
	PROV("provider.netease-dt-rbl", "dt:rbl", BLOCKLISTED, W_ANY, DNSBL, NETEASE,
	    "450 DT:RBL"),
	PROV("provider.netease-hl-rep", "hl:rep", BLOCKLISTED, W_ANY, REPUTATION, NETEASE,
	    "421 HL:REP"),
	PROV("provider.netease-hl-mep", "hl:mep", BLOCKLISTED, W_ANY, REPUTATION, NETEASE,
	    "421 HL:MEP"),
	PROV("provider.netease-hl-icc", "hl:icc", RATE_LIMITED, W_ANY, NONE, NETEASE,
	    "421 HL:ICC"),
	PROV("provider.netease-hl-ifc", "hl:ifc", RATE_LIMITED, W_ANY, NONE, NETEASE,
	    "421 HL:IFC"),
	PROV("provider.netease-mi-dmc", "mi:dmc", RATE_LIMITED, W_ANY, NONE, NETEASE,
	    "451 MI:DMC"),
	PROV("provider.netease-rp-drc", "rp:drc", RATE_LIMITED, W_ANY, NONE, NETEASE,
	    "450 RP:DRC"),
	PROV("provider.qq-frequency-limited", "frequency limited", RATE_LIMITED, W_ANY, NONE, "http://service.mail.qq.com/cgi-bin/help?subtype=1&&id=20022",
	    "550 Ip frequency limited [V2VkIEFwciAgMyAxNjozNjo1OSBKU1QgMjAxOQo=] http://service.mail.qq.com/cgi-bin/help?subtype=1&&id=2002"),
	/* QQ pauses mail to a recipient that receives too much at once */
	PROV("provider.qq-mailbox-unavailable", "mailbox unavailable or access denied", RATE_LIMITED, W_ANY, NONE, "https://smtp.codes/qq",
	    "550 Mailbox unavailable or access denied"),
	PROV("provider.netease-dt-spm", "dt:spm", CONTENT_REJECTED, W_ANY, NONE, "http://mail.163.com/help/help_spam_16.htm",
	    "554 DT:SPM 163 mx9,O8CowEDJVFKCokVaRhz+AA--.26016S3 1514513028,please see http://mail.domain.com/help/help_spam.htm?ip="),
	PROV("provider.netease-mi-000", "mi:sfq", RATE_LIMITED, W_ANY, NONE, "http://mail.163.com/help/help_spam_16.htm",
	    "451 MI:SFQ 163 smtp10,DsCowADHK8eN4v9Vmi0jBg--.1 1442832015, please visit http://www.163.com/help/help_spam_16.htm?ip="),

/* ---- Mail.ru, Yandex ---- */
	PROV("provider.yandex-suspicion-spam", "under suspicion of spam", CONTENT_REJECTED, W_ANY, NONE, "https://yandex.com/support/mail/web/spam/",
	    "554 5.7.1 Message rejected under suspicion of SPAM; https://ya.cc/1IrBc"),

/* ---- GoDaddy (secureserver.net): "IBnnn" closes each reply ---- */
#define GODADDY "https://www.godaddy.com/help/fix-rejected-email-with-a-bounce-error-40685"
	PROV("provider.godaddy-ib401", "ib401", LOCAL_ERROR, W_ANY, NONE, GODADDY,
	    "535 Authentication not allowed on IBSMTP Servers. IB401"),
	PROV("provider.godaddy-ib501", "ib501", PROTOCOL_ERROR, W_ANY, NONE, GODADDY,
	    "550 jane@coolexample.com Blank From: addresses are not allowed. Provide a valid From. IB501"),
	PROV("provider.godaddy-ib502", "ib502", PROTOCOL_ERROR, W_ANY, NONE, GODADDY,
	    "550 jane@coolexample.com IP addresses are not allowed as a From: Address. Provide a valid From. IB502"),
	PROV("provider.godaddy-ib506", "ib506", SENDER_REJECTED, W_ANY, NONE, GODADDY,
	    "550 coolexample.com From: Domain is invalid. Provide a valid From: IB506"),
	PROV("provider.godaddy-ib508", "ib508", AUTH_FAILED, W_ANY, SPF, GODADDY,
	    "550 jane@coolexample.com Invalid SPF record. Inspect your SPF settings, and try again. IB508"),
	PROV("provider.godaddy-ib108", "ib108", POLICY, W_ANY, PTR, GODADDY,
	    "421 Temporarily rejected. Reverse DNS for this IP failed. IB108"),
	PROV("provider.godaddy-ib212", "ib212", CONTENT_REJECTED, W_ANY, NONE, GODADDY,
	    "552 This message has been rejected due to content judged to be spam by the internet community. IB212"),
	PROV("provider.godaddy-ib705", "ib705", CONTENT_REJECTED, W_ANY, VIRUS, GODADDY,
	    "552 Virus infected message rejected. IB705"),
	PROV("provider.godaddy-ib605", "ib605", RATE_LIMITED, W_ANY, NONE, GODADDY,
	    "452 This message contains too many recipients. Reduce the number of recipients and retry. IB605"),
	PROV("provider.godaddy-ib007", "ib007", RATE_LIMITED, W_ANY, NONE, GODADDY,
	    "421 Connection refused, too many sessions from This IP. Lower the number of concurrent sessions. IB007"),
	PROV("provider.godaddy-ib101", "ib101", SERVER_UNAVAILABLE, W_ANY, NONE, GODADDY,
	    "421 Server temporarily unavailable. Try again later. IB101"),
	PROV("provider.godaddy-ib110-113", "ib11*", BLOCKLISTED, W_ANY, REPUTATION, GODADDY,
	    "554 This IP has been temporarily blocked for attempting to mail too many invalid recipients. IB112"),
	PROV("provider.godaddy-ib504", "ib504", RATE_LIMITED, W_ANY, PER_HOUR, GODADDY,
	    "550 This IP has sent too many messages this hour. IB504"),
	PROV("provider.godaddy-ib510", "ib510", RATE_LIMITED, W_ANY, NONE, GODADDY,
	    "550 This message has exceeded the max number of messages per session. Open a new session and try again. IB510"),
	PROV("provider.godaddy-ib607", "ib607", RATE_LIMITED, W_ANY, PER_HOUR, GODADDY,
	    "550 This IP has sent too many to too many recipients this hour. IB607"),
	PROV("provider.godaddy-ib103", "ib103", BLOCKLISTED, W_ANY, REPUTATION, GODADDY,
	    "554 Connection refused. This IP has a poor reputation on Cloudmark Sender Intelligence (CSI). IB103"),
	/* IB104-106: Spamhaus's lists, named in the text (provider.spamhaus) */

/* ---- security gateways ---- */
#define MIMECAST "https://community.mimecast.com/s/article/Mimecast-SMTP-Error-Codes-842605754"
	PROV("provider.mimecast-spam-signature", "mcspamsignature*", CONTENT_REJECTED, W_ANY, NONE, MIMECAST,
	    "554 email rejected due to security policies - MCSpamSignature.sa.2.2"),
	PROV("provider.mimecast-host-network", "host network not allowed", POLICY, W_ANY, NONE, MIMECAST,
	    "554 Host network not allowed - https://community.mimecast.com/docs/DOC-1369#554"),
	PROV("provider.mimecast-sender-blocked", "sender address blocked", SENDER_REJECTED, W_ANY, NONE, MIMECAST,
	    "421 Sender address blocked"),
	PROV("provider.proofpoint", "proofpoint", BLOCKLISTED, W_ANY, REPUTATION, "https://ipcheck.proofpoint.com/",
	    "554 5.7.0 Blocked - see https://ipcheck.proofpoint.com/?ip=192.0.2.1"),
	PROV("provider.cisco-senderbase", "senderbase", BLOCKLISTED, W_ANY, REPUTATION, "https://talosintelligence.com/reputation_center",
	    "554 Rejected due to SenderBase reputation"),
	PROV("provider.barracuda", "barracuda*", BLOCKLISTED, W_ANY, DNSBL, "https://www.barracudacentral.org/rbl",
	    "554 Rejected, see b.barracudacentral.org"),

/* ---- DNS block lists: the detail names the list ---- */
	PROV("provider.spamhaus", "spamhaus", BLOCKLISTED, W_ANY, DNSBL, "https://www.spamhaus.org/",
	    "554 5.7.1 Rejected: see https://www.spamhaus.org/query/ip/192.0.2.1"),
	PROV("provider.spamcop", "spamcop", BLOCKLISTED, W_ANY, DNSBL, "https://www.spamcop.net/bl.shtml",
	    "553 sorry, your mailserver [131.103.218.112] is rejected by See http://spamcop.net/"),
	PROV("provider.sorbs", "sorbs", BLOCKLISTED, W_ANY, DNSBL, "http://www.sorbs.net/",
	    "550 5.7.1 Rejected: 192.0.2.1 listed at dnsbl.sorbs.net"),
	PROV("provider.uceprotect", "uceprotect*", BLOCKLISTED, W_ANY, DNSBL, "https://www.uceprotect.net/",
	    "554 Service unavailable; Client host [192.0.2.1] is UCEPROTECT listed"),
	PROV("provider.abuseat", "abuseat", BLOCKLISTED, W_ANY, DNSBL, "https://www.spamhaus.org/",
	    "550 5.7.1 Rejected: see http://cbl.abuseat.org/lookup.cgi?ip=192.0.2.1"),
	PROV("provider.psbl", "psbl", BLOCKLISTED, W_ANY, DNSBL, "https://psbl.org/",
	    "550 5.7.1 Client host 192.0.2.1 is listed in PSBL"),
	PROV("provider.mailspike", "mailspike", BLOCKLISTED, W_ANY, DNSBL, "https://mailspike.io/",
	    "554 Rejected: listed in Mailspike"),
	PROV("provider.surbl", "surbl", CONTENT_REJECTED, W_ANY, NONE, "https://www.surbl.org/",
	    "554 5.7.1 Message contains a URL listed on SURBL"),
	PROV("provider.uribl", "uribl", CONTENT_REJECTED, W_ANY, NONE, "https://uribl.com/",
	    "554 REJECTED - Blacklisted URL in message. (example.com) in [black]. See http://lookup.uribl.com."),
#undef MS_NDR
#undef MS_LIVE
#undef GOOGLE
#undef YAHOO
#undef AOL
#undef APPLE
#undef COMCAST
#undef GMX
#undef TONLINE
#undef ORANGE
#undef MIMECAST
#undef GODADDY
#undef NETEASE
