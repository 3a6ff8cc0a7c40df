#!/usr/bin/env python3
"""genlog.py -- write a synthetic but realistic Postfix mail log.

    bench/genlog.py --lines N [--seed S] [--start 2026-11-20T00:00:00]
                    [--format bsd|iso|postlog] [--hurricane-share 0.0]
                    [--rate 300] [--truth FILE] > FILE

The log is a simulation of one busy outbound/inbound MX ("mx1", 198.51.100.25):
whole message lifecycles (smtpd connect/client/disconnect, cleanup
message-id, qmgr queue active, one delivery line per recipient and attempt,
retries with back-off, bounce notifications, qmgr removed / expired) are
interleaved in time order with noise (postscreen, anvil, NOQUEUE rejects,
SASL failures, TLS lines, non-final "host X said:" and "connect to" lines,
CRON, sshd, dovecot).  Recipient domains follow a Zipf distribution over a
few thousand domains; failure texts come from shared/research/log-formats.md
and shared/reference/ with addresses, IPs and ids substituted.

Output is a pure function of the arguments: same arguments, same bytes
(with the same Python 3 minor version).  Python 3 standard library only.

--truth FILE writes one TSV row per delivery line emitted:
    line_number  queue_id  recipient  domain  status  dsn
and, for every qmgr "status=expired, returned to sender" line, one row per
recipient that expired (status "expired", dsn = that recipient's last
deferral dsn, line_number = the qmgr line).  See bench/README.md.
"""

import argparse
import datetime
import heapq
import random
import sys

HOST = "mx1"
MYNAME = "mx1.example.net"
MYIP = "198.51.100.25"

SEC = 1000000                   # time unit: microseconds
WIN = 10 * SEC                  # output is sorted in windows of log time
LIFETIME = 2 * 86400 * SEC      # maximal_queue_lifetime (2d; Postfix default 5d)
MAXBACKOFF = 4000 * SEC         # maximal_backoff_time
MINBACKOFF = 300 * SEC          # minimal_backoff_time
SEQMUL = 1 << 32

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun",
          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# --------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------

FIRST = ("james mary john patricia robert jennifer michael linda william "
         "elizabeth david barbara richard susan joseph jessica thomas sarah "
         "charles karen daniel nancy matthew lisa anthony betty mark helen "
         "paul sandra steven donna andrew carol joshua ruth kevin sharon "
         "brian michelle george laura edward emily ronald kimberly timothy "
         "deborah jason amy jeffrey angela ryan anna jacob rebecca gary "
         "virginia nicholas kathleen eric pamela jonathan martha stephen "
         "debra larry amanda justin stephanie scott carolyn brandon "
         "christine benjamin marie samuel janet frank catherine gregory "
         "frances raymond ann alexander joyce patrick diane jack alice "
         "dennis julie jerry heather tyler teresa aaron doris jose gloria "
         "adam evelyn henry jean nathan cheryl douglas mildred zachary "
         "katherine peter joan kyle ashley walter judith ethan rose jeremy "
         "janice harold kelly keith nicole christian judy roger christina "
         "noah kathy gerald theresa carl beverly terry denise sean tammy "
         "austin irene arthur jane lawrence lori jesse rachel dylan marilyn "
         "bryan andrea joe kathryn jordan louise billy sara bruce anne "
         "albert jacqueline willie wanda gabriel bonnie logan julia alan "
         "ruby juan lois wayne tina roy phyllis ralph norma randy paula "
         "eugene diana vincent annie russell lillian elijah emma louis "
         "robin bobby peggy philip crystal johnny gladys lukas hannah "
         "leon sophie jonas mia felix lena paul marie elias lea maximilian "
         "lina luca clara hugo chloe louis camille arthur ines jules manon "
         "marco giulia matteo sofia lorenzo aurora pablo lucia sergio "
         "carmen javier elena hiroshi yuki kenji sakura ivan olga dmitri "
         "natasha piotr agnieszka jan eva lars ingrid").split()

LAST = ("smith johnson williams brown jones garcia miller davis rodriguez "
        "martinez hernandez lopez gonzalez wilson anderson thomas taylor "
        "moore jackson martin lee perez thompson white harris sanchez clark "
        "ramirez lewis robinson walker young allen king wright scott torres "
        "nguyen hill flores green adams nelson baker hall rivera campbell "
        "mitchell carter roberts gomez phillips evans turner diaz parker "
        "cruz edwards collins reyes stewart morris morales murphy cook "
        "rogers gutierrez ortiz morgan cooper peterson bailey reed kelly "
        "howard ramos kim cox ward richardson watson brooks chavez wood "
        "james bennett gray mendoza ruiz hughes price alvarez castillo "
        "sanders patel myers long ross foster jimenez powell jenkins perry "
        "russell sullivan bell coleman butler henderson barnes gonzales "
        "fisher vasquez simmons romero jordan patterson alexander hamilton "
        "graham reynolds griffin wallace moreno west cole hayes bryant "
        "herrera gibson ellis tran medina aguilar stevens murray ford "
        "castro marshall owens harrison fernandez mcdonald woods washington "
        "kennedy wells vargas henry chen freeman webb tucker guzman burns "
        "crawford olson simpson porter hunter gordon mendez silva shaw "
        "snyder mason dixon munoz hunt hicks holmes palmer wagner black "
        "robertson boyd rose stone salazar fox warren mills meyer rice "
        "schmidt garza daniels ferguson nichols stephens soto weaver ryan "
        "gardner payne grant dunn kelley spencer hawkins arnold pierce "
        "muller schneider fischer weber becker schulz hoffmann schafer "
        "koch richter klein wolf neumann schwarz dubois durand leroy moreau "
        "simon laurent lefebvre michel rossi russo ferrari esposito bianchi "
        "romano colombo ricci marino greco bruno gallo conti devries jansen "
        "bakker visser smit meijer kowalski nowak wisniewski ivanov petrov "
        "sidorov tanaka suzuki takahashi watanabe yamamoto nakamura").split()

ROLES = ("info sales support contact admin office hello billing jobs hr "
         "marketing orders service team press accounts newsletter reception "
         "booking webmaster").split()

WORD1 = ("north south east west blue red green silver golden bright rapid "
         "smart global alpha nova pixel cloud metro urban prime open true "
         "first star sun river stone lake oak pine maple cedar iron swift "
         "clear deep high peak summit harbor bay coast valley meadow "
         "eagle falcon fox wolf bear lion tiger orbit quantum vector "
         "atlas apex zen echo delta omega polar solar lunar terra aqua "
         "vita bella casa villa nord sud alt neu bio eco auto euro "
         "inter trans micro macro mega ultra").split()
WORD2 = ("works labs soft systems group design consult trade shop med law "
         "finance energy logistics studio partners solutions store travel "
         "foods print motors bau haus immo conseil servizi tech media net "
         "web data link hub point line source gate bridge field house home "
         "mart market craft build care health dental clinic school academy "
         "club sport fit wear style garden farm wine coffee bakery hotel "
         "realty invest capital bank insure agency digital mail").split()
TLDS = ((".com", 40), (".de", 9), (".fr", 6), (".co.uk", 6), (".nl", 4),
        (".it", 4), (".es", 3), (".org", 5), (".net", 5), (".com.br", 3),
        (".pl", 2), (".io", 2), (".ca", 2), (".com.au", 2), (".ch", 2),
        (".be", 2), (".at", 2), (".se", 1), (".jp", 1), (".cz", 1))

# Head of the Zipf ranking: real mailbox providers.  family picks the
# failure vocabulary, mxkey the MX set.
PROVIDERS = (
    ("gmail.com", "google", "gmail"), ("outlook.com", "ms", "olc"),
    ("yahoo.com", "yahoo", "yahoo"), ("hotmail.com", "ms", "olc"),
    ("icloud.com", "generic", "icloud"), ("aol.com", "yahoo", "aol"),
    ("hotmail.co.uk", "ms", "olc"), ("live.com", "ms", "olc"),
    ("gmx.de", "generic", "gmx"), ("web.de", "generic", "webde"),
    ("msn.com", "ms", "olc"), ("yahoo.co.uk", "yahoo", "yahoo"),
    ("orange.fr", "generic", "orange"), ("comcast.net", "generic", "comcast"),
    ("googlemail.com", "google", "gmail"), ("protonmail.com", "generic", "proton"),
    ("mail.ru", "generic", "mailru"), ("yandex.ru", "generic", "yandex"),
    ("free.fr", "generic", "free"), ("t-online.de", "generic", "tonline"),
    ("btinternet.com", "yahoo", "yahoo"), ("me.com", "generic", "icloud"),
    ("libero.it", "generic", "libero"), ("sbcglobal.net", "yahoo", "yahoo"),
    ("att.net", "yahoo", "yahoo"), ("verizon.net", "yahoo", "aol"),
    ("yahoo.fr", "yahoo", "yahoo"), ("wanadoo.fr", "generic", "orange"),
    ("qq.com", "generic", "qq"), ("163.com", "generic", "netease"),
    ("gmx.net", "generic", "gmx"), ("laposte.net", "generic", "laposte"),
    ("sfr.fr", "generic", "sfr"), ("outlook.de", "ms", "olc"),
    ("ymail.com", "yahoo", "yahoo"), ("mac.com", "generic", "icloud"),
    ("naver.com", "generic", "naver"), ("seznam.cz", "generic", "seznam"),
    ("wp.pl", "generic", "wp"), ("o2.pl", "generic", "wp"),
    ("hotmail.fr", "ms", "olc"), ("live.co.uk", "ms", "olc"),
    ("yahoo.de", "yahoo", "yahoo"), ("cox.net", "generic", "cox"),
    ("charter.net", "generic", "charter"), ("proton.me", "generic", "proton"),
    ("shaw.ca", "generic", "shaw"), ("rogers.com", "yahoo", "yahoo"),
    ("bigpond.com", "generic", "bigpond"), ("xs4all.nl", "generic", "xs4all"),
    ("ziggo.nl", "generic", "ziggo"), ("telenet.be", "generic", "telenet"),
    ("bluewin.ch", "generic", "bluewin"), ("uol.com.br", "generic", "uol"),
    ("terra.com.br", "generic", "terra"), ("yahoo.com.br", "yahoo", "yahoo"),
    ("hotmail.it", "ms", "olc"), ("hotmail.es", "ms", "olc"),
    ("arcor.de", "generic", "arcor"), ("freenet.de", "generic", "freenet"),
    ("posteo.de", "generic", "posteo"), ("mailbox.org", "generic", "mailboxorg"),
    ("fastmail.com", "generic", "fastmail"), ("zoho.com", "generic", "zoho"),
    ("mail.com", "generic", "mailcom"), ("tiscali.it", "generic", "tiscali"),
    ("virgilio.it", "generic", "libero"), ("alice.it", "generic", "tim"),
    ("rambler.ru", "generic", "rambler"), ("interia.pl", "generic", "interia"),
    ("126.com", "generic", "netease"), ("sina.com", "generic", "sina"),
    ("daum.net", "generic", "daum"), ("hanmail.net", "generic", "daum"),
    ("yahoo.co.jp", "yahoo", "yahoojp"), ("yahoo.es", "yahoo", "yahoo"),
    ("yahoo.it", "yahoo", "yahoo"), ("yahoo.com.au", "yahoo", "yahoo"),
    ("earthlink.net", "generic", "earthlink"), ("juno.com", "generic", "juno"),
    ("optonline.net", "generic", "optonline"), ("rocketmail.com", "yahoo", "yahoo"),
    ("hey.com", "generic", "hey"), ("tutanota.com", "generic", "tutanota"),
)

# MX hosts per mxkey (name, first octets of the address block).
MXSETS = {
    "gmail": (("gmail-smtp-in.l.google.com", "142.250"),
              ("alt1.gmail-smtp-in.l.google.com", "142.251"),
              ("alt2.gmail-smtp-in.l.google.com", "74.125"),
              ("alt3.gmail-smtp-in.l.google.com", "64.233"),
              ("alt4.gmail-smtp-in.l.google.com", "173.194")),
    "olc": (("outlook-com.olc.protection.outlook.com", "52.101"),),
    "yahoo": (("mta5.am0.yahoodns.net", "67.195"), ("mta6.am0.yahoodns.net", "98.136"),
              ("mta7.am0.yahoodns.net", "66.196")),
    "aol": (("mx-aol.mail.gm0.yahoodns.net", "67.195"),),
    "yahoojp": (("mx1.mail.yahoo.co.jp", "183.79"),),
    "icloud": (("mx01.mail.icloud.com", "17.57"), ("mx02.mail.icloud.com", "17.42")),
    "gmx": (("mx00.emig.gmx.net", "212.227"), ("mx01.emig.gmx.net", "212.227")),
    "webde": (("mx-ha02.web.de", "212.227"), ("mx-ha03.web.de", "212.227")),
    "orange": (("smtp-in.orange.fr", "80.12"),),
    "comcast": (("mx1a1.comcast.net", "96.114"), ("mx2a1.comcast.net", "96.114")),
    "proton": (("mail.protonmail.ch", "185.70"), ("mailsec.protonmail.ch", "185.70")),
    "mailru": (("mxs.mail.ru", "94.100"),),
    "yandex": (("mx.yandex.ru", "77.88"),),
    "free": (("mx1.free.fr", "212.27"), ("mx2.free.fr", "212.27")),
    "tonline": (("mx00.t-online.de", "194.25"), ("mx03.t-online.de", "194.25")),
    "libero": (("smtp-in.libero.it", "213.209"),),
    "qq": (("mx3.qq.com", "43.163"), ("mx2.qq.com", "183.47")),
    "netease": (("163mx01.mxmail.netease.com", "220.181"),),
    "laposte": (("smtp-in.laposte.net", "160.92"),),
    "sfr": (("mx1.sfr.fr", "93.17"),),
    "naver": (("mx1.naver.com", "125.209"),),
    "seznam": (("mx1.seznam.cz", "77.75"),),
    "wp": (("mx.wp.pl", "212.77"),),
    "cox": (("cxr.mx.a.cloudfilter.net", "35.162"),),
    "charter": (("charter.net.inbound10.mxlogic.net", "208.65"),),
    "shaw": (("mx.shaw.ca", "64.59"),),
    "bigpond": (("extmail.bigpond.com", "61.9"),),
    "xs4all": (("mx1.kpnmail.nl", "195.121"),),
    "ziggo": (("mx.ziggo.nl", "212.54"),),
    "telenet": (("mx.telenet-ops.be", "195.130"),),
    "bluewin": (("mxbw.bluewin.ch", "195.186"),),
    "uol": (("mx.uol.com.br", "200.147"),),
    "terra": (("mx.terra.com.br", "208.84"),),
    "arcor": (("mx.arcor.de", "151.189"),),
    "freenet": (("mx.freenet.de", "195.4"),),
    "posteo": (("mx01.posteo.de", "185.67"), ("mx02.posteo.de", "185.67")),
    "mailboxorg": (("mxext1.mailbox.org", "80.241"), ("mxext2.mailbox.org", "80.241")),
    "fastmail": (("in1-smtp.messagingengine.com", "66.111"), ("in2-smtp.messagingengine.com", "66.111")),
    "zoho": (("mx.zoho.com", "204.141"), ("mx2.zoho.com", "136.143")),
    "mailcom": (("mx00.mail.com", "74.208"), ("mx01.mail.com", "74.208")),
    "tiscali": (("etb-3.mail.tiscali.it", "213.205"),),
    "tim": (("mx.alice.it", "213.209"),),
    "rambler": (("mx.rambler.ru", "81.19"),),
    "interia": (("poczta.interia.pl", "217.74"),),
    "sina": (("freemx1.sinamail.sina.com.cn", "202.108"),),
    "daum": (("mx1.hanmail.net", "211.231"),),
    "earthlink": (("mx1.earthlink.net", "209.86"),),
    "juno": (("mx.vgs.untd.com", "64.136"),),
    "optonline": (("mx.optonline.net", "167.206"),),
    "hey": (("inbound-smtp.hey.com", "204.62"),),
    "tutanota": (("mail.tutanota.de", "81.3"),),
}

# Condition of a long-tail domain (share of tail domains).
TAIL_CONDITIONS = (("ok", 0.845), ("grey", 0.080), ("flaky", 0.030),
                   ("nx", 0.020), ("dead", 0.008), ("servfail", 0.005),
                   ("tlsbad", 0.003), ("nullmx", 0.005), ("loop", 0.002),
                   ("refuse", 0.002))
SICK = ("dead", "servfail", "tlsbad", "refuse")  # deferred until they expire
P_STUCK = 0.4          # share of recipients at a sick domain that never recover
P_FULL_STUCK = 0.1     # share of "mailbox full" recipients that never recover
RCPTS_PER_MSG = 1.36   # mean recipients per outbound message (see new_outbound)
OUTBOUND = 0.77        # share of new messages that are outbound

# Domains we host (inbound): name, transport, weight.
HOSTED = (("example.net", "lmtp", 40), ("example.org", "virtual", 20),
          ("example.com", "lmtp", 20), ("corp.example", "pipe-spamfilter", 12),
          ("shop.example", "pipe-dovecot", 8))

# --------------------------------------------------------------------------
# Reply / diagnostic vocabulary.  Each entry: (status, dsn, template).
# Placeholders: {mx} {ip} {rcpt} {local} {dom} {sender} {sdom} {myip}
# {gid} {ms} {n} {ts} {tok}.  Multi-line replies are joined by one space,
# as Postfix logs them.  Texts: shared/research/log-formats.md sections
# 1.2, 1.3, 3 and shared/reference/ (substituted).
# --------------------------------------------------------------------------

SAID = "host {mx}[{ip}] said: "
RCPT = " (in reply to RCPT TO command)"
DATA = " (in reply to end of DATA command)"
MAILF = " (in reply to MAIL FROM command)"

V = {}

V["google", "user_unknown"] = (
    ("bounced", "5.1.1", SAID + "550-5.1.1 The email account that you tried to reach does not exist. Please try 550-5.1.1 double-checking the recipient's email address for typos or 550-5.1.1 unnecessary spaces. For more information, go to 550 5.1.1  https://support.google.com/mail/?p=NoSuchUser {gid} - gsmtp" + RCPT),)
V["ms", "user_unknown"] = (
    ("bounced", "5.5.0", SAID + "550 5.5.0 Requested action not taken: mailbox unavailable (S2017062302). [{ms} {isots} 08DBB71928CA8F8E]" + RCPT),
    ("bounced", "5.1.10", SAID + "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient {rcpt} not found by SMTP address lookup" + RCPT),
    ("bounced", "5.4.1", SAID + "550 5.4.1 Recipient address rejected: Access denied. AS(201806281) [{ms}]" + RCPT),
    ("bounced", "5.4.1", SAID + "550 5.4.1 [{rcpt}]: Recipient address rejected: Access denied [{ms}]" + RCPT))
V["yahoo", "user_unknown"] = (
    ("bounced", "5.0.0", SAID + "554 delivery error: dd This user doesn't have an account ({rcpt}) [0] - mta{n}.mail.bf1.yahoo.com" + DATA),)
V["generic", "user_unknown"] = (
    ("bounced", "5.1.1", SAID + "550 5.1.1 <{rcpt}>: Recipient address rejected: User unknown in virtual mailbox table" + RCPT),
    ("bounced", "5.1.1", SAID + "550 5.1.1 <{rcpt}>... User unknown" + RCPT),
    ("bounced", "5.1.1", SAID + "550 5.1.1 <{rcpt}>: Recipient address rejected: User unknown in local recipient table" + RCPT),
    ("bounced", "5.1.1", SAID + "550 5.1.1 Mailbox does not exist" + RCPT),
    ("bounced", "5.3.0", SAID + "553 5.3.0 <{rcpt}>... Addressee unknown" + RCPT),
    ("bounced", "5.0.0", SAID + "550 Requested action not taken: mailbox unavailable" + RCPT),
    ("bounced", "5.0.0", SAID + "500 No such user" + RCPT),
    ("bounced", "5.0.0", SAID + "511 sorry, no mailbox here by that name (#5.1.1 - chkuser)" + RCPT),
    ("bounced", "5.0.0", SAID + "550 Message was not accepted -- invalid mailbox.  Local mailbox {rcpt} is unavailable: user not found" + DATA),
    ("bounced", "5.0.0", SAID + "550-\"The recipient cannot be verified.  Please check all recipients of this 550 message to verify they are valid.\"" + RCPT),
    ("bounced", "5.1.1", SAID + "550 5.1.1 <{rcpt}> User doesn't exist: {rcpt}" + RCPT))

V["google", "disabled"] = (
    ("bounced", "5.2.1", SAID + "550-5.2.1 The email account that you tried to reach is disabled. {gid} - gsmtp" + RCPT),
    ("bounced", "5.2.1", SAID + "550 5.2.1 The email account that you tried to reach is disabled. {gid} - gsmtp" + RCPT))
V["yahoo", "disabled"] = (
    ("bounced", "5.0.0", SAID + "554 30 Sorry, your message to {rcpt} cannot be delivered. This mailbox is disabled (554.30)." + DATA),)
V["ms", "disabled"] = V["ms", "user_unknown"][:1]
V["generic", "disabled"] = (
    ("bounced", "5.2.1", SAID + "550 5.2.1 Mailbox unavailable. This account has been disabled or discontinued" + RCPT),
    ("bounced", "5.2.1", SAID + "550 5.2.1 <{rcpt}>: Recipient address rejected: Account disabled" + RCPT))

V["google", "full_temp"] = (
    ("deferred", "4.2.2", SAID + "452-4.2.2 The email account that you tried to reach is over quota. Please direct 452-4.2.2 the recipient to 452 4.2.2  https://support.google.com/mail/?p=OverQuotaTemp {gid} - gsmtp" + RCPT),)
V["generic", "full_temp"] = (
    ("deferred", "4.1.1", SAID + "452 4.1.1 <{rcpt}> user is over quota, please try again later" + RCPT),
    ("deferred", "4.3.1", SAID + "452 4.3.1 Insufficient system storage" + MAILF),
    ("deferred", "4.2.2", SAID + "452 4.2.2 <{rcpt}>: Recipient address rejected: Mailbox full" + RCPT))
V["ms", "full_temp"] = V["generic", "full_temp"][1:2]
V["yahoo", "full_temp"] = V["generic", "full_temp"][1:2]
V["generic", "full_perm"] = (
    ("bounced", "5.2.2", SAID + "552 5.2.2 Over quota" + RCPT),
    ("bounced", "5.2.2", SAID + "552 5.2.2 <{rcpt}>: Recipient address rejected: Mailbox is full" + RCPT),
    ("bounced", "5.2.2", SAID + "552 5.2.2 Quota exceeded (mailbox for user is full)" + DATA))
V["google", "full_perm"] = (
    ("bounced", "5.2.2", SAID + "552-5.2.2 The email account that you tried to reach is over quota. Please direct 552-5.2.2 the recipient to 552 5.2.2  https://support.google.com/mail/?p=OverQuotaPerm {gid} - gsmtp" + RCPT),)
V["ms", "full_perm"] = V["generic", "full_perm"][:1]
V["yahoo", "full_perm"] = V["generic", "full_perm"][:1]

V["ms", "block"] = (
    ("bounced", "5.7.1", SAID + "550 5.7.1 Unfortunately, messages from [{myip}] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3140). You can also refer your provider to http://mail.live.com/mail/troubleshooting.aspx#errors. [{ms}]" + MAILF),)
V["generic", "block"] = (
    ("bounced", "5.7.1", SAID + "554 5.7.1 Service unavailable; Client host [{myip}] blocked using zen.spamhaus.org; Error: open resolver; https://www.spamhaus.org/returnc/pub/{ip}" + RCPT),
    ("bounced", "5.7.1", SAID + "550 5.7.1 Your IP {myip} is blacklisted. Click delist.emailfiltering.com to delist" + RCPT),
    ("bounced", "5.7.1", SAID + "554 5.7.1 Client host '{myip}' rejected: listed as suspicious, bad, or broken --- http://dtnx.net/04/G/3M" + RCPT),
    ("bounced", "5.2.1", SAID + "550 5.2.1 Mailbox unavailable. Your IP address {myip} is blacklisted using RBL-Plus. Details: http://www.mail-abuse.com/cgi-bin/lookup?{myip}." + RCPT),
    ("bounced", "5.0.0", SAID + "550-Rejected message because {myip} is in a black list at 550 bl.spamcop.net" + RCPT),
    ("bounced", "5.0.0", SAID + "553 sorry, your mailserver [{myip}] is rejected by See http://spamcop.net/" + MAILF))
V["google", "block"] = (
    ("bounced", "5.7.1", SAID + "550-5.7.1 [{myip}      12] Our system has detected that this 550-5.7.1 message is likely unsolicited mail. To reduce the amount of spam sent 550-5.7.1 to Gmail, this message has been blocked. Please visit 550-5.7.1  https://support.google.com/mail/?p=UnsolicitedMessageError 550 5.7.1  for more information. {gid} - gsmtp" + DATA),)
V["yahoo", "block"] = (
    ("bounced", "5.7.9", SAID + "554 5.7.9 Message not accepted for policy reasons.  See https://help.yahoo.com/kb/postmaster/SLN7253.html" + DATA),)

V["google", "auth"] = (
    ("bounced", "5.7.26", SAID + "550-5.7.26 Unauthenticated email from {sdom} is not accepted due to 550-5.7.26 domain's DMARC policy. Please contact the administrator of 550-5.7.26 {sdom} domain if this was a legitimate mail. Please 550-5.7.26 visit 550-5.7.26  https://support.google.com/mail/answer/2451690 to learn about the 550 5.7.26 DMARC initiative. {gid} - gsmtp" + DATA),)
V["ms", "auth"] = (
    ("bounced", "5.7.515", SAID + "550 5.7.515 Access denied, sending domain {SDOM} doesn't meet the required authentication level. The sender's domain in the 5322.From address doesn't meet the authentication requirements defined for the sender. To learn more, visit https://go.microsoft.com/fwlink/?linkid=2297432 [{ms}]" + DATA),)
V["generic", "auth"] = (
    ("bounced", "5.7.1", SAID + "554 5.7.1 No valid DKIM signature found" + DATA),
    ("bounced", "5.7.1", SAID + "550 5.7.1 Email rejected per DMARC policy for {sdom}" + DATA))
V["yahoo", "auth"] = (
    ("bounced", "5.7.9", SAID + "554 5.7.9 Message not accepted for policy reasons.  See https://help.yahoo.com/kb/postmaster/SLN7253.html" + DATA),)

V["generic", "content"] = (
    ("bounced", "5.0.0", SAID + "554 DT:SPM 163 mx{n2},{tok}--.{n}S3 {ts},please see http://mail.{dom}/help/help_spam.htm?ip=" + DATA),
    ("bounced", "5.7.0", SAID + "552 5.7.0 Number of 'Received:' DATA headers exceeds maximum permitted" + DATA),
    ("bounced", "5.7.1", SAID + "550 5.7.1 Message rejected as spam by Content Filtering." + DATA))
V["google", "content"] = V["google", "block"]
V["ms", "content"] = (
    ("bounced", "5.7.1", SAID + "550 5.7.1 Delivery not authorized, message refused" + DATA),)
V["yahoo", "content"] = V["yahoo", "block"]

V["generic", "toolarge"] = (
    ("bounced", "5.3.4", SAID + "552 5.3.4 Message size exceeds fixed limit" + DATA),
    ("bounced", "5.2.3", SAID + "552 5.2.3 Message length exceeds administrative limit" + MAILF))
V["google", "toolarge"] = (
    ("bounced", "5.2.3", SAID + "552-5.2.3 Your message exceeded Google's message size limits. Please visit 552-5.2.3  https://support.google.com/mail/?p=MaxSizeError to view our size 552 5.2.3 guidelines. {gid} - gsmtp" + DATA),)
V["ms", "toolarge"] = (
    ("bounced", "5.3.4", SAID + "552 5.3.4 Message size exceeds fixed maximum message size" + MAILF),)
V["yahoo", "toolarge"] = V["ms", "toolarge"]

V["generic", "policy"] = (
    ("bounced", "5.7.1", SAID + "554 5.7.1 <{rcpt}>: Relay access denied" + RCPT),
    ("bounced", "5.7.1", SAID + "550 5.7.1 <{rcpt}>... Relaying denied. Proper authentication required." + RCPT),
    ("bounced", "5.0.0", SAID + "553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)" + RCPT),
    ("bounced", "5.7.1", SAID + "550 5.7.1 Delivery not authorized, message refused" + RCPT),
    ("bounced", "5.7.1", SAID + "553 5.7.1 <{sender}>: Sender address rejected: not owned by user {local}" + RCPT),
    ("bounced", "5.6.7", "SMTPUTF8 is required, but was not offered by host {mx}[{ip}]"))
V["google", "policy"] = V["google", "auth"]
V["ms", "policy"] = V["ms", "content"]
V["yahoo", "policy"] = V["yahoo", "block"]

V["google", "rate"] = (
    ("deferred", "4.7.28", SAID + "421-4.7.28 [{myip} 15] Our system has detected an unusual rate of 421-4.7.28 unsolicited mail originating from your IP address. To protect our 421-4.7.28 users from spam, mail sent from your IP address has been temporarily 421-4.7.28 rate limited. Please visit 421-4.7.28 https://support.google.com/mail/?p=UnsolicitedRateLimitError to 421 4.7.28 review our Bulk Email Senders Guidelines. {gid} - gsmtp" + DATA),
    ("deferred", "4.2.1", SAID + "450-4.2.1 The user you are trying to contact is receiving mail at a rate that 450-4.2.1 prevents additional messages from being delivered. Please resend your 450-4.2.1 message at a later time. If the user is able to receive mail at that 450-4.2.1 time, your message will be delivered. For more information, please 450-4.2.1 visit 450 4.2.1 https://support.google.com/mail/answer/6592 {gid} - gsmtp" + RCPT),
    ("deferred", "4.7.0", SAID + "421-4.7.0 [{myip}      15] Our system has detected an unusual rate of 421-4.7.0 unsolicited mail originating from your IP address. To protect our 421-4.7.0 users from spam, mail sent from your IP address has been temporarily 421-4.7.0 rate limited. Please visit 421-4.7.0 https://support.google.com/mail/answer/81126 to review our Bulk Email 421 4.7.0 Senders Guidelines. {gid} - gsmtp" + DATA))
V["yahoo", "rate"] = (
    ("deferred", "4.7.0", SAID + "421 4.7.0 [TSS04] Messages from {myip} temporarily deferred due to user complaints - 4.16.55.1; see https://help.yahoo.com/kb/postmaster/SLN3434.html" + MAILF),
    ("deferred", "4.7.0", SAID + "421 4.7.0 [TSS04] Messages from {myip} temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes" + MAILF))
V["ms", "rate"] = (
    ("deferred", "4.7.650", SAID + "451 4.7.650 The mail server [{myip}] has been temporarily rate limited due to IP reputation. For e-mail delivery information, see https://postmaster.live.com (S775) [{ms}]" + MAILF),
    ("deferred", "4.3.2", SAID + "432 4.3.2 Concurrent connections limit exceeded. Visit https://aka.ms/concurrent_sending for more information. [Hostname={MS}]" + DATA),
    ("deferred", "4.7.3", SAID + "450 4.7.3 Organization queue quota exceeded." + RCPT))
V["generic", "rate"] = (
    ("deferred", "4.7.0", SAID + "421 4.7.0 Too many concurrent SMTP connections from this IP address; please try again later." + MAILF),
    ("deferred", "4.0.0", SAID + "451 DT:SPM 163 mx{n2},{tok}--.{n}S3 {ts}, please try again 15min later" + DATA),
    ("deferred", "4.7.1", SAID + "450 4.7.1 Error: too much mail from {myip}" + MAILF))

V["google", "tempsrv"] = (
    ("deferred", "4.3.0", SAID + "421-4.3.0 Temporary System Problem.  Try again later (10). 421 4.3.0  {gid} - gsmtp" + DATA),)
V["yahoo", "tempsrv"] = (
    ("deferred", "4.3.2", SAID + "451 4.3.2 Internal error reading data" + MAILF),)
V["ms", "tempsrv"] = (
    ("deferred", "4.4.4", SAID + "451 4.4.4 Temporary server error. Please try again later ATTR1" + RCPT),)
V["generic", "tempsrv"] = (
    ("deferred", "4.3.2", SAID + "451 4.3.2 Please try again later" + RCPT),
    ("deferred", "4.3.0", SAID + "421 4.3.0 Upstream error, please check https://{dom}/email-routing/postmaster for possible reasons why. {tok}" + DATA),
    ("deferred", "4.0.0", SAID + "451 Resources temporarily not available - Please try again later [#4.16.5]" + RCPT),
    ("deferred", "4.3.0", SAID + "451 4.3.0 Temporary internal failure" + DATA),
    ("deferred", "4.3.2", "host {mx}[{ip}] refused to talk to me: 450 4.3.2 try again later"))

V["any", "conn"] = (
    ("deferred", "4.4.2", "lost connection with {mx}[{ip}] while sending end of data -- message may be sent more than once"),
    ("deferred", "4.4.2", "lost connection with {mx}[{ip}] while receiving the initial server greeting"),
    ("deferred", "4.4.2", "lost connection with {mx}[{ip}] while sending RCPT TO"),
    ("deferred", "4.4.2", "conversation with {mx}[{ip}] timed out while receiving the initial server greeting"),
    ("deferred", "4.4.2", "conversation with {mx}[{ip}] timed out while sending message body"))

V["generic", "grey"] = (
    ("deferred", "4.2.0", SAID + "450 4.2.0 <{rcpt}>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/{dom}.html" + RCPT),
    ("deferred", "4.7.1", SAID + "451 4.7.1 Greylisting in action, please come back later" + RCPT),
    ("deferred", "4.0.0", SAID + "451 Greylisted, please try again in 300 seconds" + RCPT),
    ("deferred", "4.7.1", SAID + "450 4.7.1 <{rcpt}>: Recipient address rejected: Greylisted" + RCPT),
    ("deferred", "4.7.1", SAID + "450 4.7.1 <{rcpt}>: Recipient address rejected: Policy Rejection" + RCPT),
    ("deferred", "4.0.0", SAID + "451 Message temporarily deferred - [160]" + DATA),
    ("deferred", "4.2.0", SAID + "450 4.2.0 <{rcpt}>: Recipient address rejected: Greylisted for 300 seconds" + RCPT),
    ("deferred", "4.0.0", SAID + "451-response to \"RCPT TO:<{rcpt}>\" from {mx} [{ip}] was: 450 4.2.0 <{rcpt}>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/{dom}.html 451-Could not complete sender verify callout for 451-<{rcpt}>." + RCPT))

# Destination-level conditions (relay=none unless the text names a host).
V["cond", "nx"] = (
    ("bounced", "5.4.4", "Host or domain name not found. Name service error for name={dom} type=MX: Host not found"),
    ("bounced", "5.4.4", "Host or domain name not found. Name service error for name={dom} type=A: Host not found"),
    ("bounced", "5.4.4", "Host or domain name not found. Name service error for name={dom} type=AAAA: Host not found"))
V["cond", "servfail"] = (
    ("deferred", "4.4.3", "Host or domain name not found. Name service error for name={dom} type=MX: Host not found, try again"),
    ("deferred", "4.4.3", "Name service error for name={dom} type=MX: Malformed or unexpected name server reply"),
    ("deferred", "4.4.3", "Host or domain name not found. Name service error for name={mx} type=AAAA: Host found but no data record of requested type"))
V["cond", "dead"] = (
    ("deferred", "4.4.1", "connect to {mx}[{ip}]:25: Connection timed out"),
    ("deferred", "4.4.1", "connect to {mx}[{ip}]:25: Connection refused"),
    ("deferred", "4.4.1", "connect to {mx}[{ip}]:25: No route to host"))
V["cond", "tlsbad"] = (
    ("deferred", "4.7.5", "Server certificate not verified"),
    ("deferred", "4.7.4", "TLS is required, but was not offered by host {mx}[{ip}]"),
    ("deferred", "4.7.5", "Cannot start TLS: handshake failure"))
V["cond", "nullmx"] = (("bounced", "5.1.0", "Domain {dom} does not accept mail (nullMX)"),)
V["cond", "loop"] = (("bounced", "5.4.6", "mail for {dom} loops back to myself"),)
V["cond", "refuse"] = (
    ("deferred", "4.0.0", "host {mx}[{ip}] refused to talk to me: 421 Refused. Your reverse DNS entry does not resolve to an IP."),
    ("deferred", "4.0.0", "host {mx}[{ip}] refused to talk to me: 554 Your access to this mail system has been rejected due to the sending MTA's poor reputation. If you believe that this failure is in error, please contact the intended recipient via alternate means."),
    ("deferred", "4.0.0", "host {mx}[{ip}] refused to talk to me: 571 Email from {myip} is currently blocked by Verizon Online's anti-spam system. The email sender or Email Service Provider may visit http://www.verizon.net/whitelist and request removal of the block. 160716"),
    ("deferred", "4.0.0", "host {mx}[{ip}] refused to talk to me: 554 IP={myip} - A problem occurred. (Ask your postmaster for help or to contact tosa@rx.t-online.de to clarify.) (BL)"))
V["cond", "hurricane"] = (
    ("deferred", "4.4.5", "421 4.4.5 Delivery rule action forced defer."),
    ("deferred", "4.4.5", "421 4.4.5 System rule canceled connection."))

# Per-recipient failure categories on a reachable destination:
# (category, probability, plan kind).  "bounce" fails at once, "retry"
# defers 1-3 times then delivers, "full" mixes.
CATEGORIES = (
    ("user_unknown", 0.0200, "bounce"),
    ("disabled", 0.0020, "bounce"),
    ("full", 0.0050, "full"),
    ("block", 0.0025, "bounce"),
    ("auth", 0.0015, "bounce"),
    ("content", 0.0012, "bounce"),
    ("toolarge", 0.0005, "bounce"),
    ("policy", 0.0010, "bounce"),
    ("rate", 0.0120, "retry"),
    ("tempsrv", 0.0070, "retry"),
    ("conn", 0.0040, "retry"),
)

# Local delivery vocabularies.
LMTP_OK = "250 2.0.0 <{rcpt}> {tok22} Saved"
LOCAL_FAIL = {
    "lmtp": (("bounced", "5.1.1", "host {mx}[private/dovecot-lmtp] said: 550 5.1.1 <{rcpt}> User doesn't exist: {rcpt}" + RCPT),
             ("bounced", "5.2.2", "host {mx}[private/dovecot-lmtp] said: 552 5.2.2 <{rcpt}> Quota exceeded (mailbox for user is full)" + DATA),
             ("deferred", "4.3.0", "host {mx}[private/dovecot-lmtp] said: 451 4.3.0 Temporary internal failure" + DATA),
             ("deferred", "4.2.0", "host {mx}[private/dovecot-lmtp] said: 451 4.2.0 <{rcpt}> Internal error occurred. Refer to server log for more information." + DATA)),
    "virtual": (("bounced", "5.1.1", "unknown user: \"{rcpt}\""),
                ("deferred", "4.2.0", "maildir delivery failed: create maildir file /var/mail/vhosts/{dom}/{local}/tmp/{ts}.P{n}Q0M{n2}.mx1: Disk quota exceeded")),
    "local": (("bounced", "5.1.1", "unknown user: \"{local}\""),
              ("deferred", "4.3.0", "temporary failure. Command output: lda({local}): Error: net_connect_unix(/run/dovecot/stats-writer) failed: Permission denied "),
              ("deferred", "4.0.0", "user lookup error")),
    "pipe": (("bounced", "5.1.1", "user unknown"),
             ("bounced", "5.4.6", "mail forwarding loop for {rcpt}"),
             ("deferred", "4.3.5", "mail system configuration error"),
             ("bounced", "5.3.0", "Command died with signal 11: \"/usr/lib/dovecot/dovecot-lda\"")),
    "error": (("bounced", "5.1.1", "User unknown in virtual alias table"),),
}

CIPHERS_OUT = (
    "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature ECDSA (P-256) server-digest SHA256",
    "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256",
    "TLSv1.2 with cipher ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits)",
    "TLSv1.3 with cipher TLS_AES_128_GCM_SHA256 (128/128 bits) key-exchange X25519 server-signature RSA-PSS (4096 bits) server-digest SHA256")
CIPHER_IN = "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256"

B32 = "0123456789abcdefghijklmnopqrstuv"
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def fmt_delay(us):
    """Postfix-style delay: 0, 0.07, 5.5, 16, 2017."""
    x = us / SEC
    if x < 0.005:
        return "0"
    if x < 1:
        s = "%.2f" % x
        return s.rstrip("0").rstrip(".")
    if x < 10:
        s = "%.1f" % x
        return s[:-2] if s.endswith(".0") else s
    return "%d" % (x + 0.5)


class Proc:
    """A pool of pids for one Postfix program; processes die and respawn."""

    __slots__ = ("name", "tags", "rng", "gen")

    def __init__(self, gen, name, n):
        self.gen = gen
        self.name = name
        self.rng = gen.rng
        self.tags = [self._tag() for _ in range(n)]

    def _tag(self):
        return "%s[%d]: " % (self.name, self.gen.newpid())

    def pick(self):
        r = self.rng.random()
        i = int(r * len(self.tags))
        if r * 1000.0 % 1.0 < 0.004:          # max_use reached: new process
            self.tags[i] = self._tag()
        return self.tags[i]


class Rcpt:
    __slots__ = ("addr", "local", "dom", "d", "plan", "idx", "persist",
                 "final", "status", "dsn", "kind", "orig")

    def __init__(self, addr, local, dom, d, plan, persist, orig=None):
        self.addr = addr
        self.local = local
        self.dom = dom
        self.d = d                 # domain record (or transport name for hosted)
        self.plan = plan           # list of (status, dsn, template) or "sent"
        self.idx = 0
        self.persist = persist
        self.final = False
        self.status = None
        self.dsn = None
        self.kind = None
        self.orig = orig


class Msg:
    __slots__ = ("qid", "sender", "sdom", "size", "t0", "rcpts", "attempts",
                 "direction", "ndr")

    def __init__(self, qid, sender, sdom, size, t0, rcpts, direction):
        self.qid = qid
        self.sender = sender
        self.sdom = sdom
        self.size = size
        self.t0 = t0
        self.rcpts = rcpts
        self.attempts = 0
        self.direction = direction
        self.ndr = False


class Domain:
    __slots__ = ("name", "family", "cond", "mxs", "trusted", "okfmt", "grey",
                 "msname")

    def __init__(self, name, family, cond, mxs, trusted, okfmt, msname=None):
        self.name = name
        self.family = family
        self.cond = cond
        self.mxs = mxs
        self.trusted = trusted
        self.okfmt = okfmt
        self.msname = msname


class Gen:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        rng = self.rng
        self.fmt = args.format
        self.noise_ok = args.format != "postlog"   # postlogd logs Postfix only
        self.want_truth = args.truth is not None
        self.hshare = args.hurricane_share
        self.rate = args.rate
        self.buckets = {}
        self.seq = 0
        self.actions = []
        self.qcount = rng.randrange(1 << 40)
        self.pid = 1000 + rng.randrange(20000)
        self.start = datetime.datetime.strptime(args.start, "%Y-%m-%dT%H:%M:%S")
        self.epoch0 = int((self.start - datetime.datetime(1970, 1, 1)).total_seconds())

        # processes
        P = lambda name, n: Proc(self, name, n)
        self.p_smtpd = P("postfix/smtpd", 24)
        self.p_sub = P("postfix/submission/smtpd", 8)
        self.p_smtp = P("postfix/smtp", 60)
        self.p_lmtp = P("postfix/lmtp", 10)
        self.p_local = P("postfix/local", 3)
        self.p_virtual = P("postfix/virtual", 4)
        self.p_pipe = P("postfix/pipe", 6)
        self.p_error = P("postfix/error", 3)
        self.p_cleanup = P("postfix/cleanup", 6)
        self.p_bounce = P("postfix/bounce", 3)
        self.p_pickup = P("postfix/pickup", 1)
        self.p_dnsblog = P("postfix/dnsblog", 4)
        self.t_qmgr = "postfix/qmgr[%d]: " % self.newpid()
        self.t_anvil = "postfix/anvil[%d]: " % self.newpid()
        self.t_pscreen = "postfix/postscreen[%d]: " % self.newpid()
        self.t_postgrey = "postgrey[%d]: " % self.newpid()

        self.tokpool = "".join(rng.choices(ALNUM, k=65536))
        self._build_names()
        self._build_domains()
        self.dpool = []
        self.lpool = []

    # ------------------------------------------------------------ helpers
    def newpid(self):
        self.pid += 1 + int(self.rng.random() * 6)
        if self.pid > 4194000:
            self.pid = 300 + int(self.rng.random() * 1000)
        return self.pid

    def qid(self):
        # affine bijection on 40 bits: unique, random-looking, 10 hex digits
        self.qcount += 1
        return "%010X" % ((self.qcount * 0x9E3779B97F) & 0xFFFFFFFFFF)

    def emit(self, t, body, truth=None):
        w = t // WIN
        b = self.buckets.get(w)
        if b is None:
            b = self.buckets[w] = []
        self.seq += 1
        b.append((t * SEQMUL + self.seq, body, truth))

    def schedule(self, t, msg):
        self.seq += 1
        heapq.heappush(self.actions, (t, self.seq, msg))

    def ip(self, prefix=None):
        r = self.rng.getrandbits(32)
        if prefix:
            return "%s.%d.%d" % (prefix, (r >> 8) & 255, (r & 255) or 1)
        a = (r >> 24) % 200 + 20
        if a in (127, 100, 169, 172, 192, 198, 203):
            a += 1
        return "%d.%d.%d.%d" % (a, (r >> 16) & 255, (r >> 8) & 255, (r & 255) or 1)

    def tok(self, n):
        o = int(self.rng.random() * 65000)
        return self.tokpool[o:o + n]

    def gid(self):
        g = self.rng.getrandbits
        return "%013x-%011xsi%d%s.%d" % (g(52), g(44), g(20), "abcdefghijklmnopqrstuvwxyz"[g(4)] + "fc", g(10))

    def msname(self):
        g = self.rng.getrandbits
        pre = ("AM", "DB", "PA", "VI", "HE", "BL", "CO", "DM", "SN", "CH")[g(3)]
        return "%s%dEUR%02d.prod.protection.outlook.com" % (pre, g(10), g(4))

    # ------------------------------------------------------------ setup
    def _build_names(self):
        rng = self.rng
        pool = []
        for _ in range(60000):
            f = FIRST[int(rng.random() * len(FIRST))]
            l = LAST[int(rng.random() * len(LAST))]
            r = rng.random()
            if r < 0.35:
                s = f + "." + l
            elif r < 0.50:
                s = f + l
            elif r < 0.62:
                s = f[0] + l
            elif r < 0.70:
                s = f + "_" + l
            elif r < 0.82:
                s = "%s.%s%d" % (f, l, rng.randrange(1, 99))
            elif r < 0.94:
                s = "%s%d" % (f, rng.randrange(1, 9999))
            else:
                s = ROLES[int(rng.random() * len(ROLES))]
            pool.append(s)
        self.locals = pool
        self.hosted_users = {}
        for d, _, _ in HOSTED:
            users = []
            for _ in range(400):
                users.append(pool[int(rng.random() * len(pool))])
            for role in ("info", "sales", "support", "postmaster", "abuse"):
                users.append(role)
            self.hosted_users[d] = users
        self.hosted_cum = []
        acc = 0
        for _, _, w in HOSTED:
            acc += w
            self.hosted_cum.append(acc)
        self.hosted_idx = list(range(len(HOSTED)))

    def _mx_for(self, key):
        return [(h, self.ip(pre)) for h, pre in MXSETS[key]]

    def _build_domains(self):
        rng = self.rng
        doms = []
        seen = {}
        for name, fam, key in PROVIDERS:
            d = Domain(name, fam, "ok", self._mx_for(key), True, fam)
            if fam == "ms":
                d.msname = self.msname()
            doms.append(d)
            seen[name] = 1
        ntail = 3000 - len(doms)
        tld_names = [t for t, _ in TLDS]
        tld_cum = []
        acc = 0
        for _, w in TLDS:
            acc += w
            tld_cum.append(acc)
        cond_names = [c for c, _ in TAIL_CONDITIONS]
        cond_cum = []
        acc = 0
        for _, w in TAIL_CONDITIONS:
            acc += w
            cond_cum.append(acc)
        while len(doms) < 3000:
            w1 = WORD1[int(rng.random() * len(WORD1))]
            w2 = WORD2[int(rng.random() * len(WORD2))]
            r = rng.random()
            base = w1 + w2 if r < 0.6 else (w1 + "-" + w2 if r < 0.85 else "%s%s%d" % (w1, w2, rng.randrange(2, 99)))
            tld = rng.choices(tld_names, cum_weights=tld_cum)[0]
            name = base + tld
            if name in seen:
                continue
            seen[name] = 1
            cond = rng.choices(cond_names, cum_weights=cond_cum)[0]
            r = rng.random()
            msn = None
            if r < 0.35:
                fam = "google"
                mxs = [("aspmx.l.google.com", self.ip("142.250")),
                       ("alt1.aspmx.l.google.com", self.ip("142.251")),
                       ("alt2.aspmx.l.google.com", self.ip("64.233"))]
                trusted = True
            elif r < 0.60:
                fam = "ms"
                mxs = [(name.replace(".", "-") + ".mail.protection.outlook.com", self.ip("52.101"))]
                trusted = True
                msn = self.msname()
            elif r < 0.68:
                fam = "generic"
                mxs = [("eu-smtp-inbound-1.mimecast.com", self.ip("195.130")),
                       ("eu-smtp-inbound-2.mimecast.com", self.ip("91.220"))]
                trusted = True
            else:
                fam = "generic"
                if rng.random() < 0.5:
                    mxs = [("mx1." + name, self.ip()), ("mx2." + name, self.ip())]
                else:
                    mxs = [("mail." + name, self.ip())]
                trusted = rng.random() < 0.5
            if cond in ("dead", "refuse", "tlsbad", "grey") and fam != "generic":
                fam = "generic"
                mxs = [("mx." + name, self.ip())]
            d = Domain(name, fam, cond, mxs, trusted, fam, msn)
            doms.append(d)
        self.domains = doms
        # Zipf(s=1.2) over ranks
        cum = []
        acc = 0.0
        for k in range(1, len(doms) + 1):
            acc += 1.0 / (k ** 1.2)
            cum.append(acc)
        self.dcum = cum
        self.hosted_dom = {}
        for name, tr, _ in HOSTED:
            self.hosted_dom[name] = tr
        self.hosted_names = [n for n, _, _ in HOSTED]
        # a few doomed domains for the queue backlog
        self.doomed = [d for d in doms if d.cond in SICK]
        # probability that an outbound recipient is never delivered: sizes
        # the queue backlog so that the log starts in a steady state
        full_p = [p for c, p, _ in CATEGORIES if c == "full"][0]
        p = 0.0
        prev = 0.0
        for d, c in zip(doms, cum):
            w = (c - prev) / cum[-1]
            prev = c
            if d.cond in SICK:
                p += w * P_STUCK
            elif d.cond == "ok":
                p += w * full_p * P_FULL_STUCK
        self.p_stuck = p
        self.grey_domains = [d for d in doms if d.cond == "grey"]

    def pick_domain(self):
        if not self.dpool:
            self.dpool = self.rng.choices(self.domains, cum_weights=self.dcum, k=20000)
            self.dpool.reverse()
        return self.dpool.pop()

    def pick_local(self):
        return self.locals[int(self.rng.random() * 60000)]

    # ------------------------------------------------------------ plans
    def plan_remote(self, d):
        """Outcome plan for one recipient at remote domain d."""
        rng = self.rng
        cond = d.cond
        fam = d.family
        r = rng.random()
        if self.hshare and r < self.hshare:
            return [V["cond", "hurricane"][int(rng.random() * 2)], "sent"], False
        if cond != "ok":
            v = V["cond", cond] if cond != "grey" and cond != "flaky" else None
            if cond == "grey":
                g = V["generic", "grey"]
                e = g[self._dom_pick(d, len(g))]
                if rng.random() < 0.15:
                    return [e, e, "sent"], False
                return [e, "sent"], False
            if cond == "flaky":
                if rng.random() < 0.25:
                    c = V["any", "conn"]
                    return [c[int(rng.random() * len(c))], "sent"], False
            elif v is not None:
                e = v[self._dom_pick(d, len(v))]
                if e[0] == "bounced":
                    return [e], False
                # persistent trouble: most destinations recover
                if rng.random() >= P_STUCK:
                    return [e] * (1 + int(rng.random() * 4)) + ["sent"], False
                return [e], True
        r = rng.random()
        acc = 0.0
        for cat, p, how in CATEGORIES:
            acc += p
            if r < acc:
                if how != "full":
                    vv = V.get((fam, cat)) or V.get(("generic", cat)) or V["any", cat]
                    e = vv[int(rng.random() * len(vv))]
                if how == "bounce":
                    return [e], False
                if how == "retry":
                    n = 1 + int(rng.random() * rng.random() * 3)
                    if cat == "tempsrv" and rng.random() < 0.1:
                        uu = V.get((fam, "user_unknown")) or V["generic", "user_unknown"]
                        return [e] * n + [uu[0]], False
                    return [e] * n + ["sent"], False
                # mailbox full
                x = rng.random()
                fp = V.get((fam, "full_perm")) or V["generic", "full_perm"]
                ft = V.get((fam, "full_temp")) or V["generic", "full_temp"]
                t = ft[int(rng.random() * len(ft))]
                if x < 0.3:
                    return [fp[int(rng.random() * len(fp))]], False
                if x < 1.0 - P_FULL_STUCK:
                    return [t] * (1 + int(rng.random() * 3)) + ["sent"], False
                return [t], True
        return ["sent"], False

    def _dom_pick(self, d, n):
        # stable per-domain choice without hash(): sum of characters
        return sum(map(ord, d.name)) % n

    def plan_local(self, transport):
        r = self.rng.random()
        if r < 0.975:
            return ["sent"], False
        fails = LOCAL_FAIL[transport if transport in LOCAL_FAIL else "pipe"]
        e = fails[int(self.rng.random() * len(fails))]
        if e[0] == "deferred":
            return [e] * (1 + int(self.rng.random() * 2)) + ["sent"], False
        return [e], False

    # ------------------------------------------------------------ arrivals
    def new_outbound(self, t):
        rng = self.rng
        r = rng.random()
        hosted = self.hosted_names[rng.choices(self.hosted_idx, cum_weights=self.hosted_cum)[0]]
        if r < 0.35:
            user = self.hosted_users[hosted][int(rng.random() * 405)]
            sender = user + "@" + hosted
            kind = "sub"
        else:
            x = rng.random()
            if x < 0.4:
                sender = "noreply@" + hosted
            elif x < 0.6:
                sender = "notifications@" + hosted
            elif x < 0.8:
                sender = "bounces+%d-%s=%s@lists.%s" % (rng.randrange(100000, 999999), self.tok(4), "x", hosted)
            else:
                sender = "orders@" + hosted
            kind = "app"
        x = rng.random()
        n = 1 if x < 0.85 else (2 + int(rng.random() * 2) if x < 0.97 else 4 + int(rng.random() * 7))
        rcpts = []
        for _ in range(n):
            d = self.pick_domain()
            local = self.pick_local()
            plan, persist = self.plan_remote(d)
            rcpts.append(Rcpt(local + "@" + d.name, local, d.name, d, plan, persist))
        size = int(800 + rng.expovariate(1 / 24000.0))
        if rng.random() < 0.002:
            size = 20000000 + rng.randrange(30000000)
        m = Msg(self.qid(), sender, hosted, size, t, rcpts, "out")
        # smtpd side
        if kind == "sub":
            tag = self.p_sub.pick()
            cip = self.ip()
            chost = "unknown" if rng.random() < 0.6 else "%s.dyn.isp%d.example" % (cip.replace(".", "-"), rng.randrange(9))
            self.emit(t, "%sconnect from %s[%s]" % (tag, chost, cip))
            t1 = t + 40000 + int(rng.random() * 150000)
            self.emit(t1, "%sAnonymous TLS connection established from %s[%s]: %s" % (tag, chost, cip, CIPHER_IN))
            t2 = t1 + 60000 + int(rng.random() * 300000)
            self.emit(t2, "%s%s: client=%s[%s], sasl_method=PLAIN, sasl_username=%s" % (tag, m.qid, chost, cip, sender))
            cmds = "ehlo=2 starttls=1 auth=1 mail=1 rcpt=%d data=1 quit=1 commands=%d" % (n, 7 + n)
        else:
            tag = self.p_smtpd.pick()
            a = 1 + int(rng.random() * 8)
            chost = "app%02d.internal" % a
            cip = "10.0.%d.%d" % (a, 10 + a)
            self.emit(t, "%sconnect from %s[%s]" % (tag, chost, cip))
            t2 = t + 2000 + int(rng.random() * 20000)
            self.emit(t2, "%s%s: client=%s[%s]" % (tag, m.qid, chost, cip))
            cmds = "ehlo=1 mail=1 rcpt=%d data=1 quit=1 commands=%d" % (n, 4 + n)
        t3 = t2 + 3000 + int(rng.random() * 50000)
        self.emit(t3, "%s%s: message-id=<%s.%s@%s>" % (self.p_cleanup.pick(), m.qid, "%016x" % rng.getrandbits(64), self.tok(6), hosted))
        t4 = t3 + 1000 + int(rng.random() * 30000)
        self.emit(t4, "%s%s: from=<%s>, size=%d, nrcpt=%d (queue active)" % (self.t_qmgr, m.qid, sender, size, n))
        t5 = t4 + 1000 + int(rng.random() * 60000)
        self.emit(t5, "%sdisconnect from %s[%s] %s" % (tag, chost, cip, cmds))
        self.attempt(m, t4)

    def new_inbound(self, t):
        rng = self.rng
        d = self.pick_domain()
        sender = self.pick_local() + "@" + d.name
        idx = rng.choices(self.hosted_idx, cum_weights=self.hosted_cum)[0]
        hname, transport, _ = HOSTED[idx]
        users = self.hosted_users[hname]
        n = 1 if rng.random() < 0.9 else 2 + int(rng.random() * 3)
        rcpts = []
        for _ in range(n):
            u = users[int(rng.random() * len(users))]
            tr = transport
            orig = None
            if u in ("postmaster", "abuse") and rng.random() < 0.7:
                tr = "local"
                orig = u + "@" + hname
                u = "root"
            elif rng.random() < 0.01:
                tr = "error"
                u = self.pick_local()
            elif rng.random() < 0.05:
                orig = ROLES[int(rng.random() * len(ROLES))] + "@" + hname
            plan, persist = self.plan_local(tr)
            if tr == "error":
                plan = [LOCAL_FAIL["error"][0]]
            addr = (u + "@" + MYNAME) if tr == "local" else (u + "@" + hname)
            rcpts.append(Rcpt(addr, u, hname if tr != "local" else MYNAME, tr, plan, persist, orig))
        size = int(1500 + rng.expovariate(1 / 40000.0))
        m = Msg(self.qid(), sender, d.name, size, t, rcpts, "in")
        # postscreen + smtpd
        if d.family == "google":
            cip = self.ip("209.85")
            chost = "mail-%s%d-f%d.google.com" % (("wr1", "ej1", "lf1", "pl1", "qk1")[rng.getrandbits(2)], rng.randrange(9), rng.randrange(40, 200))
        elif d.family == "ms":
            cip = self.ip("40.107")
            chost = "mail-%s.outbound.protection.outlook.com" % ("db8eur05on2%03d" % rng.randrange(1000))
        else:
            cip = d.mxs[0][1]
            chost = d.mxs[0][0]
        port = 30000 + rng.randrange(35000)
        pt = self.t_pscreen
        self.emit(t, "%sCONNECT from [%s]:%d to [%s]:25" % (pt, cip, port, MYIP))
        self.emit(t + 1000, "%sPASS OLD [%s]:%d" % (pt, cip, port))
        tag = self.p_smtpd.pick()
        t1 = t + 3000 + int(rng.random() * 5000)
        self.emit(t1, "%sconnect from %s[%s]" % (tag, chost, cip))
        t1 += 50000 + int(rng.random() * 200000)
        self.emit(t1, "%sAnonymous TLS connection established from %s[%s]: %s" % (tag, chost, cip, CIPHER_IN))
        t2 = t1 + 50000 + int(rng.random() * 300000)
        self.emit(t2, "%s%s: client=%s[%s]" % (tag, m.qid, chost, cip))
        t3 = t2 + 50000 + int(rng.random() * 400000)
        if d.family == "google":
            mid = "CA+%s@mail.gmail.com" % self.tok(30)
        else:
            mid = "%d.%s@%s" % (rng.randrange(10**9), self.tok(8), d.name)
        self.emit(t3, "%s%s: message-id=<%s>" % (self.p_cleanup.pick(), m.qid, mid))
        t4 = t3 + 1000 + int(rng.random() * 30000)
        self.emit(t4, "%s%s: from=<%s>, size=%d, nrcpt=%d (queue active)" % (self.t_qmgr, m.qid, sender, size, n))
        t5 = t4 + 1000 + int(rng.random() * 80000)
        self.emit(t5, "%sdisconnect from %s[%s] ehlo=2 starttls=1 mail=1 rcpt=%d data=1 quit=1 commands=%d" % (tag, chost, cip, n, 6 + n))
        self.attempt(m, t4)

    def new_local(self, t):
        """Mail from cron: pickup -> local delivery (sometimes to a remote)."""
        rng = self.rng
        qid = self.qid()
        u = ("root", "www-data", "backup", "logcheck")[rng.getrandbits(2)]
        self.emit(t, "%s%s: uid=%d from=<%s>" % (self.p_pickup.pick(), qid, 0 if u == "root" else 33, u))
        t3 = t + 2000 + int(rng.random() * 20000)
        self.emit(t3, "%s%s: message-id=<%s.%s@%s>" % (self.p_cleanup.pick(), qid, self._stamp14(t3), qid, MYNAME))
        target = ("root", "root", "root", "nobodyhere")[rng.getrandbits(2)] if u != "root" else "root"
        plan, persist = self.plan_local("local")
        if target == "nobodyhere":
            plan = [LOCAL_FAIL["local"][0]]
        r = Rcpt(target + "@" + MYNAME, target, MYNAME, "local", plan, persist, target if target != "root" else "root")
        m = Msg(qid, u + "@" + MYNAME, MYNAME, 700 + rng.randrange(4000), t, [r], "local")
        t4 = t3 + 1000 + int(rng.random() * 20000)
        self.emit(t4, "%s%s: from=<%s>, size=%d, nrcpt=1 (queue active)" % (self.t_qmgr, qid, m.sender, m.size))
        self.attempt(m, t4)

    def new_backlog(self, t_first, age):
        """A message queued before the log starts, with a sick destination."""
        rng = self.rng
        d = self.doomed[int(rng.random() * len(self.doomed))]
        hosted = self.hosted_names[int(rng.random() * len(HOSTED))]
        local = self.pick_local()
        v = V["cond", d.cond]
        e = v[self._dom_pick(d, len(v))]
        if rng.random() < 0.3:
            plan, persist = [e] * (1 + int(rng.random() * 30)) + ["sent"], False
        else:
            plan, persist = [e], True
        r = Rcpt(local + "@" + d.name, local, d.name, d, plan, persist)
        r.idx = 0
        sender = ("noreply@", "notifications@", "orders@")[int(rng.random() * 3)] + hosted
        m = Msg(self.qid(), sender, hosted, int(900 + rng.expovariate(1 / 20000.0)), -age, [r], "out")
        m.attempts = 5
        self.schedule(t_first, m)

    # ------------------------------------------------------------ delivery
    def attempt(self, m, ts):
        """One delivery attempt of every pending recipient, starting at ts."""
        rng = self.rng
        groups = {}
        for r in m.rcpts:
            if not r.final:
                g = groups.get(r.dom)
                if g is None:
                    groups[r.dom] = [r]
                else:
                    g.append(r)
        tend = ts
        for dom, rs in groups.items():
            t = ts + int(rng.random() * 20000)
            tr = rs[0].d
            if isinstance(tr, Domain):
                t = self.deliver_smtp(m, rs, tr, t)
            else:
                t = self.deliver_local(m, rs, tr, t)
            if t > tend:
                tend = t
        m.attempts += 1
        self.finish(m, ts, tend)

    def _next_kind(self, r):
        p = r.plan
        if r.idx < len(p):
            k = p[r.idx]
        else:
            k = p[-1]
        r.idx += 1
        return k

    def _line(self, tag, m, r, relay, t, a, b, c, dd, st, dsn, reason, conn_use=0):
        delay = fmt_delay(t - m.t0)
        orig = ", orig_to=<%s>" % r.orig if r.orig else ""
        cu = ", conn_use=%d" % conn_use if conn_use > 1 else ""
        body = "%s%s: to=<%s>%s, relay=%s%s, delay=%s, delays=%s/%s/%s/%s, dsn=%s, status=%s (%s)" % (
            tag, m.qid, r.addr, orig, relay, cu, delay, fmt_delay(a), fmt_delay(b),
            fmt_delay(c), fmt_delay(dd), dsn, st, reason)
        truth = ("%s\t%s\t%s\t%s\t%s" % (m.qid, r.addr, r.dom.lower(), st, dsn),) if self.want_truth else None
        self.emit(t, body, truth)
        r.status = st
        r.dsn = dsn
        if st != "deferred":
            r.final = True

    def _subst(self, tmpl, m, r, mx, ip, d):
        if "{" not in tmpl:
            return tmpl
        rng = self.rng
        g = rng.getrandbits
        kw = {"mx": mx, "ip": ip, "rcpt": r.addr, "local": r.local, "dom": r.dom,
              "sender": m.sender, "sdom": m.sdom, "SDOM": m.sdom.upper(), "myip": MYIP,
              "n": g(12), "n2": g(5), "ts": self.epoch0 + g(20), "tok": self.tok(12)}
        if "{gid}" in tmpl:
            kw["gid"] = self.gid()
        if "{ms}" in tmpl or "{MS}" in tmpl or "{isots}" in tmpl:
            ms = d.msname if isinstance(d, Domain) and d.msname else self.msname()
            kw["ms"] = ms
            kw["MS"] = ms.upper()
            kw["isots"] = "%sZ" % (self.start + datetime.timedelta(seconds=g(16))).isoformat()
        if "{tok22}" in tmpl:
            kw["tok22"] = self.tok(22)
        return tmpl.format(**kw)

    def sent_reply(self, m, d, mx):
        rng = self.rng
        key = d.okfmt
        if key == "google":
            return "250 2.0.0 OK  %d %s - gsmtp" % (self.epoch0 + rng.getrandbits(18), self.gid()), "2.0.0"
        if key == "ms":
            g = rng.getrandbits
            return ("250 2.6.0 <%016x.%s@%s> [InternalId=%d, Hostname=%s] %d bytes in %.3f, %.3f KB/sec Queued mail for delivery -> 250 2.1.5"
                    % (g(64), self.tok(6), m.sdom, g(44), (d.msname or "AM0PR01MB1234.eurprd01.prod.outlook.com").upper(),
                       m.size + 3000, rng.random(), 50 + rng.random() * 400)), "2.6.0"
        if key == "yahoo":
            return "250 ok dirdel", "2.0.0"
        if d.name in ("gmx.de", "web.de", "gmx.net", "mail.com"):
            return "250 Requested mail action okay, completed: id=1M%s-1%s" % (self.tok(5), self.tok(16)), "2.0.0"
        x = rng.random()
        if x < 0.55:
            return "250 2.0.0 Ok: queued as %s" % ("%010X" % rng.getrandbits(40)), "2.0.0"
        if x < 0.8:
            return "250 OK id=1r%s-%s-%s" % (self.tok(4), self.tok(6), self.tok(2)), "2.0.0"
        if x < 0.9:
            return "250 2.0.0 %s mail accepted for delivery" % self.tok(22), "2.0.0"
        return "250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as %s" % ("%010X" % rng.getrandbits(40)), "2.0.0"

    def deliver_smtp(self, m, rs, d, t):
        rng = self.rng
        ks = [self._next_kind(r) for r in rs]
        k0 = ks[0]
        a = t - m.t0 if m.attempts else 20000 + int(rng.random() * 150000)
        if m.attempts == 0:
            a = min(a, t - m.t0)
        b = int(rng.random() * 20000) if rng.random() < 0.9 else int(rng.random() * 3 * SEC)
        mxs = d.mxs
        cond = d.cond
        tag = self.p_smtp.pick()
        # dead destinations in the retry phase go through postfix/error
        dsnclass = k0 != "sent" and k0[1][:3]
        if k0 != "sent" and m.attempts > 0 and dsnclass in ("4.4", "4.7") and k0[2].startswith(("connect", "Host", "Name", "Server", "TLS", "Cannot")) and rng.random() < 0.5:
            tag = self.p_error.pick()
            tt = t + b + 1000
            for r, k in zip(rs, ks):
                mx, ip = mxs[-1]
                reason = "delivery temporarily suspended: " + self._subst(k[2], m, r, mx, ip, d)
                self._line(tag, m, r, "none", tt, a, b, 0, 0, k[0], k[1], reason)
                r.kind = k
                tt += 200
            return tt
        tt = t + b
        ci = 0
        if k0 != "sent" and k0[2].startswith(("Host or domain", "Name service", "Domain ", "mail for ")):
            # DNS-level outcome: no connection at all
            c = 0 if k0[1] == "5.4.6" else int(rng.random() * 2 * SEC)
            tt += c
            mx, ip = mxs[0]
            for r, k in zip(rs, ks):
                reason = self._subst(k[2], m, r, mx, ip, d)
                self._line(tag, m, r, "none", tt, a, b, c, 0, k[0], k[1], reason)
                tt += 300
            return tt
        if k0 != "sent" and k0[2].startswith("connect to"):
            # every MX times out / refuses; the last one is the reason
            c = 0
            errtxt = k0[2][k0[2].index("]:25: ") + 6:]
            for mx, ip in mxs[:-1]:
                step = 30 * SEC if errtxt == "Connection timed out" else int(rng.random() * 200000)
                c += step
                self.emit(tt + c, "%sconnect to %s[%s]:25: %s" % (tag, mx, ip, errtxt))
            c += 30 * SEC if errtxt == "Connection timed out" else int(rng.random() * 200000)
            tt += c
            mx, ip = mxs[-1]
            for r, k in zip(rs, ks):
                reason = "connect to %s[%s]:25: %s" % (mx, ip, errtxt)
                self._line(tag, m, r, "none", tt, a, b, c, 0, k[0], k[1], reason)
                tt += 300
            return tt
        if k0 != "sent" and k0[1] == "4.4.5":
            # local throttle (Hurricane-style text); placeholder format
            tt += 1000
            for r, k in zip(rs, ks):
                self._line(tag, m, r, "none", tt, a, b, 0, 0, k[0], k[1], k[2])
                tt += 200
            return tt
        # a connection is made; maybe the primary MX timed out first
        c = 50000 + int(rng.random() * 600000)
        if len(mxs) > 1 and rng.random() < 0.01:
            mx0, ip0 = mxs[0]
            self.emit(tt + 30 * SEC, "%sconnect to %s[%s]:25: Connection timed out" % (tag, mx0, ip0))
            c += 30 * SEC
            ci = 1
        # non-final reply from the first MX, final from the next one
        if k0 != "sent" and k0[0] == "deferred" and k0[2].startswith("host ") and len(mxs) > ci + 1 and rng.random() < 0.5:
            mx0, ip0 = mxs[ci]
            reason = self._subst(k0[2], m, rs[0], mx0, ip0, d)
            c2 = c + int(rng.random() * 800000)
            self.emit(tt + c2, "%s%s: %s" % (tag, m.qid, reason))
            c = c2 + 50000 + int(rng.random() * 400000)
            ci += 1
        mx, ip = mxs[ci]
        tls = k0 == "sent" or k0[2].startswith("host ")
        if tls and rng.random() < 0.85:
            kind = "Trusted" if d.trusted else "Untrusted"
            if d.family == "google" and rng.random() < 0.5:
                kind = "Verified"
            self.emit(tt + c, "%s%s TLS connection established to %s[%s]:25: %s" % (
                tag, kind, mx, ip, CIPHERS_OUT[self._dom_pick(d, 4)]))
        dd = 30000 + int(rng.random() * (400000 + m.size * 5))
        tt += c + dd
        relay = "%s[%s]:25" % (mx, ip)
        cu = 0
        if d.family in ("google", "ms") and rng.random() < 0.3:
            cu = 2 + int(rng.random() * 20)
        for r, k in zip(rs, ks):
            if k == "sent":
                if m.size > 20000000 and d.family != "ms" and d.family != "generic":
                    vv = V.get((d.family, "toolarge"))
                    k = vv[0]
                else:
                    reply, dsn = self.sent_reply(m, d, mx)
                    self._line(tag, m, r, relay, tt, a, b, c, dd, "sent", dsn, reply, cu)
                    tt += 100
                    continue
            reason = self._subst(k[2], m, r, mx, ip, d)
            rel = relay
            if not reason.startswith("host ") and not reason.startswith(("lost", "conversation", "SMTPUTF8", "Server", "TLS", "Cannot")):
                rel = "none"
            self._line(tag, m, r, rel, tt, a, b, c, dd, k[0], k[1], reason, cu)
            r.kind = k
            tt += 100
        return tt

    def deliver_local(self, m, rs, tr, t):
        rng = self.rng
        a = t - m.t0 if m.attempts else min(t - m.t0, 20000 + int(rng.random() * 150000))
        b = int(rng.random() * 10000)
        tt = t + b
        for r in rs:
            k = self._next_kind(r)
            tr = r.d
            c = 0
            dd = 5000 + int(rng.random() * 150000)
            if tr == "lmtp":
                tag = self.p_lmtp.pick()
                relay = "%s[private/dovecot-lmtp]" % MYNAME
                c = 1000 + int(rng.random() * 30000)
                ok = LMTP_OK
            elif tr == "virtual":
                tag = self.p_virtual.pick()
                relay = "virtual"
                ok = "delivered to maildir"
            elif tr == "local":
                tag = self.p_local.pick()
                relay = "local"
                ok = "delivered to mailbox" if rng.random() < 0.8 else "delivered to command: /usr/bin/procmail -a \"$EXTENSION\""
            elif tr == "error":
                tag = self.p_error.pick()
                relay = "none"
                ok = None
                dd = 0
            else:
                svc = tr.split("-", 1)[1]
                tag = self.p_pipe.pick()
                relay = svc
                ok = "delivered via %s service" % svc
            tt += c + dd
            if k == "sent":
                reason = self._subst(ok, m, r, MYNAME, "", None)
                self._line(tag, m, r, relay, tt, a, b, c, dd, "sent", "2.0.0", reason)
                if tr == "lmtp" and self.noise_ok:
                    self.emit(tt - 2000, "dovecot: lmtp(%s)<%d><%s>: msgid=<%s>: saved mail to INBOX" % (
                        r.addr, 10000 + rng.randrange(90000), self.tok(22), "%x.%s@%s" % (rng.getrandbits(48), self.tok(6), m.sdom)))
            else:
                reason = self._subst(k[2], m, r, MYNAME, "", None)
                self._line(tag, m, r, relay, tt, a, b, c, dd, k[0], k[1], reason)
                r.kind = k
            tt += 200
        return tt

    def finish(self, m, ts, tend):
        rng = self.rng
        pending = [r for r in m.rcpts if not r.final]
        t = tend + 1000 + int(rng.random() * 5000)
        if pending:
            if tend - m.t0 >= LIFETIME:
                truth = None
                if self.want_truth:
                    truth = tuple("%s\t%s\t%s\texpired\t%s" % (m.qid, r.addr, r.dom.lower(), r.dsn) for r in pending)
                self.emit(t, "%s%s: from=<%s>, status=expired, returned to sender" % (self.t_qmgr, m.qid, m.sender), truth)
                for r in pending:
                    r.final = True
                    r.status = "expired"
                t = self.ndr(m, t + 500)
                self.emit(t + 300, "%s%s: removed" % (self.t_qmgr, m.qid))
                return
            n = m.attempts
            if n <= 1:
                wait = MINBACKOFF
            else:
                wait = min(MINBACKOFF << min(n - 1, 5), MAXBACKOFF)
            wait += int(rng.random() * 300 * SEC)
            self.schedule(ts + wait, m)
            return
        if any(r.status == "bounced" for r in m.rcpts) and m.sender and not m.ndr:
            t = self.ndr(m, t)
        self.emit(t + 300, "%s%s: removed" % (self.t_qmgr, m.qid))

    def ndr(self, m, t):
        """bounce(8) notice plus the lifecycle of the notification itself."""
        rng = self.rng
        if not m.sender:
            return t
        nq = self.qid()
        self.emit(t, "%s%s: sender non-delivery notification: %s" % (self.p_bounce.pick(), m.qid, nq))
        t1 = t + 500 + int(rng.random() * 3000)
        self.emit(t1, "%s%s: message-id=<%s.%s@%s>" % (
            self.p_cleanup.pick(), nq, self._stamp14(t1), nq, MYNAME))
        t2 = t1 + 500 + int(rng.random() * 5000)
        size = 2500 + m.size // 4 if m.size < 100000 else 3500 + rng.randrange(4000)
        self.emit(t2, "%s%s: from=<>, size=%d, nrcpt=1 (queue active)" % (self.t_qmgr, nq, size))
        sdom = m.sender.rsplit("@", 1)[1]
        local = m.sender.rsplit("@", 1)[0]
        if sdom in self.hosted_dom:
            tr = self.hosted_dom[sdom]
            rr = Rcpt(m.sender, local, sdom, tr, ["sent"], False)
        elif sdom == MYNAME:
            rr = Rcpt(m.sender, local, sdom, "local", ["sent"], False)
        elif sdom.startswith("lists."):
            rr = Rcpt(m.sender, local, sdom, "pipe-dovecot", ["sent"], False)
        else:
            dd = None
            for cand in self.domains[:80]:
                if cand.name == sdom:
                    dd = cand
                    break
            if dd is None:
                dd = Domain(sdom, "generic", "ok", [("mx." + sdom, self.ip())], False, "generic")
            rr = Rcpt(m.sender, local, sdom, dd, ["sent"], False)
        n = Msg(nq, "", MYNAME, size, t1, [rr], "ndr")
        n.ndr = True
        m.ndr = True
        n.attempts = 0
        if isinstance(rr.d, Domain):
            tend = self.deliver_smtp(n, [rr], rr.d, t2 + 1000)
        else:
            tend = self.deliver_local(n, [rr], rr.d, t2 + 1000)
        self.emit(tend + 400, "%s%s: removed" % (self.t_qmgr, nq))
        return t2

    def _stamp14(self, t):
        dt = self.start + datetime.timedelta(microseconds=t)
        return dt.strftime("%Y%m%d%H%M%S")

    # ------------------------------------------------------------ noise
    def noise(self, t):
        """One random noise event (several lines) at time t."""
        rng = self.rng
        r = rng.random()
        if r < 0.30:
            # postscreen: bots
            ip = self.ip()
            port = 1024 + rng.randrange(64000)
            pt = self.t_pscreen
            self.emit(t, "%sCONNECT from [%s]:%d to [%s]:25" % (pt, ip, port, MYIP))
            x = rng.random()
            if x < 0.35:
                self.emit(t + 10000, "%s%saddr %s listed by domain zen.spamhaus.org as 127.0.0.%d" % (self.p_dnsblog.pick(), "", ip, (2, 3, 4, 9, 10, 11)[rng.randrange(6)]))
                self.emit(t + 6 * SEC, "%sDNSBL rank %d for [%s]:%d" % (pt, 2 + rng.randrange(5), ip, port))
                x2 = rng.random()
                if x2 < 0.6:
                    self.emit(t + 7 * SEC, "%sNOQUEUE: reject: RCPT from [%s]:%d: 550 5.7.1 Service unavailable; client [%s] blocked using zen.spamhaus.org; from=<%s@%s>, to=<%s@%s>, proto=ESMTP, helo=<%s>" % (
                        pt, ip, port, ip, self.pick_local(), self.pick_domain().name, self.hosted_users["example.net"][rng.randrange(400)], "example.net", ("User", "ylmf-pc", "localhost", "[%s]" % ip)[rng.getrandbits(2)]))
                    self.emit(t + 7 * SEC + 200000, "%sDISCONNECT [%s]:%d" % (pt, ip, port))
                else:
                    self.emit(t + 6 * SEC + 300000, "%sHANGUP after %.2f from [%s]:%d in tests after SMTP handshake" % (pt, rng.random() * 3, ip, port))
                    self.emit(t + 6 * SEC + 301000, "%sDISCONNECT [%s]:%d" % (pt, ip, port))
            elif x < 0.55:
                self.emit(t + 80000, "%sPREGREET %d after %.2f from [%s]:%d: EHLO %s\\r\\n" % (pt, 11 + rng.randrange(10), rng.random(), ip, port, ("ylmf-pc", "User", "localhost")[rng.randrange(3)]))
                self.emit(t + 6 * SEC, "%sDISCONNECT [%s]:%d" % (pt, ip, port))
            elif x < 0.65:
                self.emit(t + 2 * SEC, "%sNON-SMTP COMMAND from [%s]:%d after CONNECT: GET / HTTP/1.1" % (pt, ip, port))
                self.emit(t + 2 * SEC + 1000, "%sDISCONNECT [%s]:%d" % (pt, ip, port))
            else:
                self.emit(t + 6 * SEC, "%sPASS NEW [%s]:%d" % (pt, ip, port))
                self._smtpd_reject(t + 6 * SEC + 2000, ip)
        elif r < 0.48:
            self._smtpd_reject(t, self.ip())
        elif r < 0.58:
            # SASL brute force on submission
            tag = self.p_sub.pick()
            ip = self.ip()
            self.emit(t, "%sconnect from unknown[%s]" % (tag, ip))
            self.emit(t + 900000, "%swarning: unknown[%s]: SASL LOGIN authentication failed: UGFzc3dvcmQ6" % (tag, ip))
            self.emit(t + 1100000, "%slost connection after AUTH from unknown[%s]" % (tag, ip))
            self.emit(t + 1101000, "%sdisconnect from unknown[%s] ehlo=1 auth=0/1 commands=1/2" % (tag, ip))
        elif r < 0.70 and self.noise_ok:
            # dovecot imap sessions
            dom = self.hosted_names[rng.getrandbits(2)]
            u = self.hosted_users[dom][rng.randrange(400)] + "@" + dom
            ip = self.ip()
            sess = self.tok(16)
            pid = self.newpid()
            if rng.random() < 0.5:
                self.emit(t, "dovecot: imap-login: Login: user=<%s>, method=PLAIN, rip=%s, lip=%s, mpid=%d, TLS, session=<%s>" % (u, ip, MYIP, pid, sess))
            else:
                self.emit(t, "dovecot: imap(%s)<%d><%s>: Logged out in=%d out=%d deleted=0 expunged=0 trashed=0 hdr_count=%d hdr_bytes=%d body_count=0 body_bytes=0" % (
                    u, pid, sess, rng.randrange(2000), rng.randrange(90000), rng.randrange(30), rng.randrange(20000)))
        elif r < 0.78 and self.noise_ok:
            # sshd
            ip = self.ip()
            port = 1024 + rng.randrange(64000)
            pid = self.newpid()
            tag = "sshd[%d]: " % pid
            x = rng.random()
            if x < 0.7:
                u = ("admin", "test", "user", "oracle", "ubuntu", "git", "postgres", "ftpuser")[rng.getrandbits(3)]
                self.emit(t, "%sInvalid user %s from %s port %d" % (tag, u, ip, port))
                self.emit(t + 300000, "%sConnection closed by invalid user %s %s port %d [preauth]" % (tag, u, ip, port))
            else:
                self.emit(t, "%sAccepted publickey for admin from 203.0.113.7 port %d ssh2: ED25519 SHA256:%s" % (tag, port, self.tok(43)))
                self.emit(t + 20000, "%spam_unix(sshd:session): session opened for user admin(uid=1000) by (uid=0)" % tag)
        elif r < 0.82:
            # smtpd warnings and lost connections
            tag = self.p_smtpd.pick()
            ip = self.ip()
            x = rng.random()
            self.emit(t, "%sconnect from unknown[%s]" % (tag, ip))
            if x < 0.5:
                self.emit(t + 400000, "%swarning: hostname %s.static.example does not resolve to address %s: Name or service not known" % (tag, ip.replace(".", "-"), ip))
                self.emit(t + 500000, "%slost connection after EHLO from unknown[%s]" % (tag, ip))
                self.emit(t + 501000, "%sdisconnect from unknown[%s] ehlo=1 commands=1" % (tag, ip))
            else:
                self.emit(t + 5 * SEC, "%sNOQUEUE: lost connection after CONNECT from unknown[%s]" % (tag, ip))
                self.emit(t + 5 * SEC + 1000, "%sdisconnect from unknown[%s] commands=0/0" % (tag, ip))
        elif r < 0.90:
            # outbound probes that found the recipient domain's MX busy, cached connections, etc.
            d = self.pick_domain()
            if len(d.mxs) > 1 and d.cond == "ok":
                mx, ip = d.mxs[0]
                self.emit(t, "%sconnect to %s[%s]:25: %s" % (self.p_smtp.pick(), mx, ip, ("Connection timed out", "Connection refused", "No route to host")[rng.randrange(3)]))
            else:
                self.emit(t, "%swarning: %s: hostname %s verification failed: Name or service not known" % (self.p_smtpd.pick(), "unknown", "%s.dyn.example" % self.ip().replace(".", "-")))
        else:
            # postgrey decisions (the other side of greylisting)
            if self.noise_ok:
                ip = self.ip()
                d = self.pick_domain()
                hd = self.hosted_names[rng.getrandbits(2)]
                self.emit(t, "%saction=greylist, reason=new, client_name=unknown, client_address=%s, sender=%s@%s, recipient=%s@%s" % (
                    self.t_postgrey, ip, self.pick_local(), d.name, self.hosted_users[hd][rng.randrange(400)], hd))

    def _smtpd_reject(self, t, ip):
        rng = self.rng
        tag = self.p_smtpd.pick()
        host = "unknown" if rng.random() < 0.6 else "%s.static.example" % ip.replace(".", "-")
        self.emit(t, "%sconnect from %s[%s]" % (tag, host, ip))
        hd = self.hosted_names[rng.getrandbits(2)]
        rcpt = "%s@%s" % (self.pick_local(), hd)
        sender = "%s@%s" % (self.pick_local(), self.pick_domain().name)
        helo = host if host != "unknown" else ("User", "localhost", "WIN-6A0KEE6QVP5", "[%s]" % ip)[rng.getrandbits(2)]
        x = rng.random()
        if x < 0.35:
            txt = "RCPT from %s[%s]: 550 5.1.1 <%s>: Recipient address rejected: User unknown in virtual mailbox table; from=<%s> to=<%s> proto=ESMTP helo=<%s>" % (host, ip, rcpt, sender, rcpt, helo)
        elif x < 0.55:
            other = "%s@%s" % (self.pick_local(), self.pick_domain().name)
            txt = "RCPT from %s[%s]: 454 4.7.1 <%s>: Relay access denied; from=<%s> to=<%s> proto=ESMTP helo=<%s>" % (host, ip, other, sender, other, helo)
        elif x < 0.75:
            txt = "RCPT from %s[%s]: 450 4.2.0 <%s>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/%s.html; from=<%s> to=<%s> proto=ESMTP helo=<%s>" % (host, ip, rcpt, hd, sender, rcpt, helo)
        elif x < 0.85:
            txt = "RCPT from %s[%s]: 554 5.7.1 Service unavailable; Client host [%s] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/%s; from=<%s> to=<%s> proto=ESMTP helo=<%s>" % (host, ip, ip, ip, sender, rcpt, helo)
        elif x < 0.93:
            txt = "CONNECT from %s[%s]: 450 4.7.25 Client host rejected: cannot find your hostname, [%s]; proto=SMTP" % (host, ip, ip)
        else:
            txt = "EHLO from %s[%s]: 504 5.5.2 <%s>: Helo command rejected: need fully-qualified hostname; proto=SMTP helo=<%s>" % (host, ip, helo, helo)
        self.emit(t + 300000 + int(rng.random() * 500000), "%sNOQUEUE: reject: %s" % (tag, txt))
        self.emit(t + 1200000, "%sdisconnect from %s[%s] ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4" % (tag, host, ip))

    def periodic(self, w0, w1):
        """anvil statistics every 10 minutes, CRON every minute."""
        rng = self.rng
        m0 = w0 // (60 * SEC)
        m1 = (w1 - 1) // (60 * SEC)
        for mnt in range(m0, m1 + 1):
            t = mnt * 60 * SEC
            if t < w0 or t >= w1:
                continue
            if self.noise_ok:
                pid = self.newpid()
                self.emit(t + 1000, "CRON[%d]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)" % pid)
                cmd = ("command -v debian-sa1 > /dev/null && debian-sa1 1 1", "/usr/local/sbin/bouncewatch-rotate-check",
                       "[ -x /usr/lib/php/sessionclean ] && /usr/lib/php/sessionclean")[mnt % 3]
                self.emit(t + 2000, "CRON[%d]: (root) CMD (%s)" % (pid, cmd))
                self.emit(t + 400000, "CRON[%d]: pam_unix(cron:session): session closed for user root" % pid)
            if rng.random() < 0.4:
                self.new_local(t + 500000)
            if mnt % 10 == 3:
                stamp = self._bsd(t + 5000)
                ip = self.ip()
                self.emit(t + 5000, "%sstatistics: max connection rate %d/60s for (smtp:%s) at %s" % (self.t_anvil, 2 + rng.randrange(20), ip, stamp))
                self.emit(t + 5001, "%sstatistics: max connection count %d for (smtp:%s) at %s" % (self.t_anvil, 1 + rng.randrange(8), ip, stamp))
                self.emit(t + 5002, "%sstatistics: max cache size %d at %s" % (self.t_anvil, 3 + rng.randrange(30), stamp))

    def _bsd(self, t):
        dt = self.start + datetime.timedelta(microseconds=t)
        return "%s %2d %02d:%02d:%02d" % (MONTHS[dt.month - 1], dt.day, dt.hour, dt.minute, dt.second)

    # ------------------------------------------------------------ main loop
    def run(self, out, truth_out):
        rng = self.rng
        N = self.args.lines
        rate = self.rate
        # average ~9.4 lines per message and ~5.3 per noise event (measured)
        msg_rate = rate * 0.72 / 9.4
        noise_rate = rate * 0.22 / 4.2
        # queue backlog: doomed messages queued over the last 5 days
        nback = int(msg_rate * OUTBOUND * RCPTS_PER_MSG * self.p_stuck * LIFETIME / SEC)
        for _ in range(nback):
            self.new_backlog(int(rng.random() * (MAXBACKOFF + 300 * SEC)), int(rng.random() * LIFETIME))
        next_msg = int(rng.expovariate(msg_rate) * SEC)
        next_noise = int(rng.expovariate(noise_rate) * SEC)
        lineno = 0
        w = 0
        ts_sec = -1
        prefix = ""
        fmt = self.fmt
        epoch0 = self.start
        actions = self.actions
        buckets = self.buckets
        want_truth = self.want_truth
        while lineno < N:
            w0 = w * WIN
            w1 = w0 + WIN
            self.periodic(w0, w1)
            while next_msg < w1:
                x = rng.random()
                if x < OUTBOUND:
                    self.new_outbound(next_msg)
                else:
                    self.new_inbound(next_msg)
                next_msg += int(rng.expovariate(msg_rate) * SEC) + 1
            while next_noise < w1:
                self.noise(next_noise)
                next_noise += int(rng.expovariate(noise_rate) * SEC) + 1
            while actions and actions[0][0] < w1:
                t, _, m = heapq.heappop(actions)
                if m.attempts > 0:
                    self.emit(t, "%s%s: from=<%s>, size=%d, nrcpt=%d (queue active)" % (self.t_qmgr, m.qid, m.sender, m.size, len(m.rcpts)))
                self.attempt(m, t + 1000 + int(rng.random() * 50000))
            b = buckets.pop(w, None)
            w += 1
            if not b:
                continue
            b.sort()
            lines = []
            trows = []
            for key, body, truth in b:
                if lineno >= N:
                    break
                lineno += 1
                t = key >> 32
                s = t // SEC
                if s != ts_sec:
                    ts_sec = s
                    dt = epoch0 + datetime.timedelta(seconds=s)
                    if fmt == "bsd":
                        prefix = "%s %2d %02d:%02d:%02d %s " % (MONTHS[dt.month - 1], dt.day, dt.hour, dt.minute, dt.second, HOST)
                    elif fmt == "postlog":
                        prefix = "%s %02d %02d:%02d:%02d %s " % (MONTHS[dt.month - 1], dt.day, dt.hour, dt.minute, dt.second, HOST)
                    else:
                        prefix = "%04d-%02d-%02dT%02d:%02d:%02d" % (dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second)
                if fmt == "iso":
                    lines.append("%s.%06d+00:00 %s %s\n" % (prefix, t % SEC, HOST, body))
                else:
                    lines.append(prefix + body + "\n")
                if truth is not None and want_truth:
                    for row in truth:
                        trows.append("%d\t%s\n" % (lineno, row))
            out.write("".join(lines).encode())
            if trows:
                truth_out.write("".join(trows).encode())


def main():
    ap = argparse.ArgumentParser(description="Write a synthetic, realistic Postfix mail log to stdout.")
    ap.add_argument("--lines", type=int, required=True, help="number of log lines to write")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--start", default="2026-11-20T00:00:00", help="log start time, UTC (default 2026-11-20T00:00:00)")
    ap.add_argument("--format", choices=("bsd", "iso", "postlog"), default="bsd",
                    help="bsd: 'Nov  3 18:06:25 mx1 ...' (rsyslog traditional); iso: RFC 3339 with microseconds (rsyslog default); postlog: 'Nov 03 ...', Postfix lines only (postlogd)")
    ap.add_argument("--hurricane-share", type=float, default=0.0,
                    help="share of remote recipients first deferred by a local throttle ('421 4.4.5 ...'); default 0")
    ap.add_argument("--rate", type=float, default=300.0, help="approximate log lines per second of log time (default 300)")
    ap.add_argument("--truth", metavar="FILE", help="write line_number, queue_id, recipient, domain, status, dsn (TSV) per delivery line")
    args = ap.parse_args()
    if args.lines < 0:
        ap.error("--lines must be >= 0")
    if not 0.0 <= args.hurricane_share <= 1.0:
        ap.error("--hurricane-share must be within [0, 1]")
    if args.rate <= 0:
        ap.error("--rate must be > 0")
    try:
        datetime.datetime.strptime(args.start, "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        ap.error("--start must look like 2026-11-20T00:00:00")
    out = open(sys.stdout.fileno(), "wb", buffering=1 << 20, closefd=False)
    tout = open(args.truth, "wb", buffering=1 << 20) if args.truth else None
    try:
        Gen(args).run(out, tout)
    except BrokenPipeError:
        sys.stderr.close()
        return 0
    finally:
        try:
            out.flush()
        except BrokenPipeError:
            pass
        if tout:
            tout.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
