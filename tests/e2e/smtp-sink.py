#!/usr/bin/env python3
"""smtp-sink.py -- scripted SMTP servers on 127.0.0.1 for the Postfix e2e run.

Python 3 standard library only.  One process listens on several loopback
ports; each port has a "mode" (how it greets, how it answers RCPT and the
end of DATA).  The main port (BASE) answers per recipient local part.

The scenario table below is the single source of truth for the harness:

  smtp-sink.py serve    [--base-port N] [--log FILE] [--pidfile FILE]
  smtp-sink.py routes   [--base-port N]   transport_maps lines for Postfix
  smtp-sink.py messages                   what postfix-run.sh injects
  smtp-sink.py expect                     expected outcome per recipient (TSV)
  smtp-sink.py check    MAILLOG EXPECTED  compare a captured maillog with it

Nothing here ever connects anywhere: the server only binds 127.0.0.1.
"""

import argparse
import asyncio
import os
import re
import signal
import sys
import time

HOST = "127.0.0.1"
DEFAULT_BASE = 10025

# Seconds after its first RCPT before a "greypass" recipient is accepted.
GREY_PASS_AFTER = 20

# ---------------------------------------------------------------------------
# Ports.  offset -> (mode, what it proves)
# ---------------------------------------------------------------------------
PORTS = {
    0: ("main", "per-recipient RCPT replies; 250 otherwise"),
    1: ("greet421", "421 at the greeting"),
    2: ("ratelimit", "multi-line 421 4.7.28 to RCPT, then hangs up"),
    3: ("droprcpt", "reads RCPT TO, closes without a reply"),
    4: ("refused", "nothing listens here (connection refused)"),
    5: ("silent", "accepts the connection, never greets (timeout)"),
    6: ("dmarc", "multi-line 550 5.7.26 at end of DATA"),
    7: ("toolarge", "552 5.3.4 at end of DATA"),
    8: ("spam", "554 5.7.1 spam at end of DATA"),
    9: ("sizelimit", "advertises SIZE 1000 (Postfix refuses by itself)"),
    10: ("greet554", "554 5.7.1 blocklist at the greeting"),
}

# domain -> port offset, (port offset, transport), or a literal Postfix
# transport.  "throttled" is an smtp(8) service with destination
# concurrency 1 and syslog_name postfix/throttled (see postfix-run.sh).
DOMAINS = {
    "ok.test": 0,
    "rcpt.test": 0,
    "greet421.test": 1,
    "ratelimit.test": 2,
    "drop.test": 3,
    "refused.test": (4, "throttled"),
    "silent.test": 5,
    "dmarc.test": 6,
    "toolarge.test": 7,
    "spam.test": 8,
    "sizelimit.test": 9,
    "greet554.test": 10,
    "policy.test": "error:5.7.1 Delivery not authorized, message refused",
}

# Per-local-part replies on the main port (RCPT TO).  Lists are multi-line
# replies, sent as real SMTP continuation lines (NNN-text ... NNN text).
RCPT_REPLIES = {
    "unknown": "550 5.1.1 <{rcpt}>: Recipient address rejected: "
               "User unknown in virtual mailbox table",
    "probe-unknown": "550 5.1.1 <{rcpt}>: Recipient address rejected: "
                     "User unknown in virtual mailbox table",
    "gmailunknown": [
        "550-5.1.1 The email account that you tried to reach does not exist. Please try",
        "550-5.1.1 double-checking the recipient's email address for typos or",
        "550-5.1.1 unnecessary spaces. For more information, go to",
        "550 5.1.1  https://support.google.com/mail/?p=NoSuchUser a1si123456qkb.42 - gsmtp",
    ],
    "full452": "452 4.2.2 <{rcpt}>: Recipient address rejected: Mailbox full",
    "full552": "552 5.2.2 <{rcpt}>: Mailbox full - quota exceeded",
    "disabled": "550 5.2.1 <{rcpt}>: Mailbox disabled, not accepting messages",
    "grey": "450 4.2.0 <{rcpt}>: Recipient address rejected: Greylisted, "
            "see http://postgrey.schweikert.ch/help/rcpt.test.html",
    "grey2": "451 4.7.1 Greylisting in action, please come back later",
    "greypass": "451 4.7.1 Greylisting in action, please come back later",
    "blocked": "554 5.7.1 Service unavailable; Client host [127.0.0.1] blocked "
               "using zen.spamhaus.org; https://www.spamhaus.org/query/ip/127.0.0.1",
    "relay": "554 5.7.1 <{rcpt}>: Relay access denied",
    "tempfail": "451 4.3.0 <{rcpt}>: Temporary lookup failure",
}

GREETINGS = {
    "greet421": ["421 4.3.2 mx.greet421.test Service not available, closing transmission channel"],
    "greet554": ["554 5.7.1 mx.greet554.test Service unavailable; Client host "
                 "[127.0.0.1] blocked using bl.spamcop.net"],
}

RATELIMIT_REPLY = [
    "421-4.7.28 [127.0.0.1      15] Our system has detected an unusual rate of",
    "421-4.7.28 unsolicited mail originating from your IP address. To protect our",
    "421-4.7.28 users from spam, mail sent from your IP address has been temporarily",
    "421 4.7.28 rate limited. Please visit https://support.google.com/mail/?p=UnsolicitedRateLimitError - gsmtp",
]

DATA_REPLIES = {
    "dmarc": [
        "550-5.7.26 Unauthenticated email from bounces.test is not accepted due to domain's",
        "550-5.7.26 DMARC policy. Please contact the administrator of bounces.test domain if",
        "550-5.7.26 this was a legitimate mail. To learn about the DMARC initiative, go to",
        "550 5.7.26  https://support.google.com/mail/?p=DmarcRejection b2si654321qkc.7 - gsmtp",
    ],
    "toolarge": ["552 5.3.4 Message size exceeds fixed maximum message size"],
    "spam": ["554 5.7.1 Message rejected as spam by content filter (score 17.2)"],
}

# ---------------------------------------------------------------------------
# What is injected and what must come out.
# Messages: (name, kind, body_bytes, recipients).  kind: mail | probe.
# ---------------------------------------------------------------------------
SENDER = "bw-sender@bounces.test"     # bounces.test -> discard: no loops

MESSAGES = [
    ("m1", "mail", 0, ["ok1@ok.test", "ok2@ok.test", "unknown@rcpt.test",
                       "full452@rcpt.test", "grey@rcpt.test"]),
    ("m2", "mail", 0, ["ok3@ok.test", "full552@rcpt.test", "blocked@rcpt.test",
                       "relay@rcpt.test", "greypass@rcpt.test"]),
    ("m3", "mail", 0, ["ok4@ok.test", "grey2@rcpt.test", "disabled@rcpt.test",
                       "tempfail@rcpt.test", "gmailunknown@rcpt.test"]),
    ("m4", "mail", 0, ["alice@dmarc.test", "bob@dmarc.test",
                       "big@toolarge.test", "spam@spam.test", "ok5@ok.test"]),
    ("m5", "mail", 4000, ["limit@sizelimit.test", "ok6@ok.test"]),
    ("m6", "mail", 0, ["a@greet421.test", "b@ratelimit.test", "c@drop.test",
                       "d@refused.test", "e@silent.test", "f@greet554.test"]),
    ("m7", "mail", 0, ["d2@refused.test", "x@policy.test",
                       "bwlocal@localhost", "nosuchuser@localhost"]),
    ("p1", "probe", 0, ["probe-ok@ok.test"]),
    ("p2", "probe", 0, ["probe-unknown@rcpt.test"]),
]

# recipient -> (final status, class, reason, attempt class, attempt reason, note)
# final status: the last thing Postfix says about the recipient
# (sent | bounced | expired | deliverable | undeliverable).  "attempt" is
# the class/reason of the deferrals seen before the end ("-" when none).
EXPECT = {
    "ok1@ok.test": ("sent", "delivered", "-", "-", "-", "250 in a mixed transaction"),
    "ok2@ok.test": ("sent", "delivered", "-", "-", "-", "250 in a mixed transaction"),
    "unknown@rcpt.test": ("bounced", "permanent", "user_unknown", "-", "-", "550 5.1.1 at RCPT"),
    "full452@rcpt.test": ("expired", "permanent", "expired", "temporary", "mailbox_full", "452 4.2.2 at RCPT until expiry"),
    "grey@rcpt.test": ("expired", "permanent", "expired", "greylist", "greylisted", "450 4.2.0 postgrey until expiry"),
    "ok3@ok.test": ("sent", "delivered", "-", "-", "-", "250 in a mixed transaction"),
    "full552@rcpt.test": ("bounced", "permanent", "mailbox_full", "-", "-", "552 5.2.2 at RCPT"),
    "blocked@rcpt.test": ("bounced", "permanent", "blocklisted", "-", "-", "554 5.7.1 Spamhaus at RCPT"),
    "relay@rcpt.test": ("bounced", "permanent", "relay_denied", "-", "-", "554 5.7.1 relay denied at RCPT"),
    "greypass@rcpt.test": ("sent", "delivered", "-", "greylist", "greylisted", "451 4.7.1 greylisting, passes on retry"),
    "ok4@ok.test": ("sent", "delivered", "-", "-", "-", "250 in a mixed transaction"),
    "grey2@rcpt.test": ("expired", "permanent", "expired", "greylist", "greylisted", "451 4.7.1 greylisting until expiry"),
    "disabled@rcpt.test": ("bounced", "permanent", "mailbox_disabled", "-", "-", "550 5.2.1 at RCPT"),
    "tempfail@rcpt.test": ("expired", "permanent", "expired", "temporary", "server_unavailable", "451 4.3.0 at RCPT until expiry"),
    "gmailunknown@rcpt.test": ("bounced", "permanent", "user_unknown", "-", "-", "multi-line 550-5.1.1 at RCPT"),
    "alice@dmarc.test": ("bounced", "permanent", "auth_failed", "-", "-", "multi-line 550-5.7.26 at end of DATA"),
    "bob@dmarc.test": ("bounced", "permanent", "auth_failed", "-", "-", "multi-line 550-5.7.26 at end of DATA"),
    "big@toolarge.test": ("bounced", "permanent", "message_too_large", "-", "-", "552 5.3.4 at end of DATA"),
    "spam@spam.test": ("bounced", "permanent", "content_rejected", "-", "-", "554 5.7.1 spam at end of DATA"),
    "ok5@ok.test": ("sent", "delivered", "-", "-", "-", "250 alone"),
    "limit@sizelimit.test": ("bounced", "permanent", "message_too_large", "-", "-", "server SIZE 1000, Postfix refuses itself"),
    "ok6@ok.test": ("sent", "delivered", "-", "-", "-", "250 for a 4 KB message"),
    "a@greet421.test": ("expired", "permanent", "expired", "temporary", "server_unavailable", "421 at greeting until expiry"),
    "b@ratelimit.test": ("expired", "permanent", "expired", "temporary", "rate_limited", "multi-line 421-4.7.28 at RCPT until expiry"),
    "c@drop.test": ("expired", "permanent", "expired", "temporary", "connection_lost", "connection closed after RCPT until expiry"),
    "d@refused.test": ("expired", "permanent", "expired", "temporary", "host_unreachable", "connection refused until expiry"),
    "e@silent.test": ("expired", "permanent", "expired", "temporary", "connection_lost", "greeting timeout until expiry"),
    # smtp_skip_5xx_greeting=yes (default): Postfix defers (dsn=4.7.1) on a
    # 5xx greeting, so this one expires.
    "f@greet554.test": ("expired", "permanent", "expired", "temporary", "blocklisted", "554 5.7.1 blocklist at greeting, deferred as 4.7.1"),
    "d2@refused.test": ("expired", "permanent", "expired", "temporary", "host_unreachable", "refused; throttled destination"),
    "x@policy.test": ("bounced", "permanent", "policy", "-", "-", "error(8) transport with 5.7.1 text"),
    "bwlocal@localhost": ("sent", "delivered", "-", "-", "-", "local(8) alias to /dev/null"),
    "nosuchuser@localhost": ("bounced", "permanent", "user_unknown", "-", "-", "local(8) unknown user"),
    "probe-ok@ok.test": ("deliverable", "delivered", "-", "-", "-", "sendmail -bv probe, 250"),
    "probe-unknown@rcpt.test": ("undeliverable", "permanent", "user_unknown", "-", "-", "sendmail -bv probe, 550 5.1.1"),
}


# ---------------------------------------------------------------------------
# The server
# ---------------------------------------------------------------------------
class Sink:
    def __init__(self, base, logf, grey_pass_after):
        self.base = base
        self.grey_pass_after = grey_pass_after
        self.logf = logf
        self.grey_first = {}
        self.serial = 0

    def log(self, port, msg):
        if self.logf:
            self.logf.write("%s %d %s\n" % (time.strftime("%H:%M:%S"), port, msg))
            self.logf.flush()

    async def send(self, writer, port, lines):
        if isinstance(lines, str):
            lines = [lines]
        for l in lines:
            self.log(port, "> " + l)
        writer.write("".join(l + "\r\n" for l in lines).encode())
        await writer.drain()

    async def handle(self, reader, writer, mode, port):
        try:
            await asyncio.wait_for(self.session(reader, writer, mode, port), 120)
        except (asyncio.TimeoutError, ConnectionError, asyncio.IncompleteReadError):
            pass
        except Exception as e:      # never let one session kill the sink
            self.log(port, "! %r" % (e,))
        finally:
            try:
                writer.close()
            except Exception:
                pass
            self.log(port, "closed")

    async def readline(self, reader):
        line = await asyncio.wait_for(reader.readline(), 60)
        if not line:
            raise ConnectionError("eof")
        return line.decode("utf-8", "replace").rstrip("\r\n")

    async def session(self, reader, writer, mode, port):
        self.log(port, "connect mode=%s" % mode)
        if mode == "silent":
            # Never greet; wait for the client to give up.
            while await reader.read(1024):
                pass
            return
        if mode in GREETINGS:
            await self.send(writer, port, GREETINGS[mode])
            if mode.startswith("greet4"):
                return
        else:
            await self.send(writer, port, "220 mx.%s.test ESMTP bw-sink" % mode)
        rcpts = []
        sender = None
        while True:
            line = await self.readline(reader)
            self.log(port, "< " + line)
            verb = line.split(" ", 1)[0].upper()
            arg = line[len(verb):].strip()
            if mode in GREETINGS and verb != "QUIT":
                await self.send(writer, port, "503 5.5.1 Error: go away")
                continue
            if verb == "EHLO":
                size = 1000 if mode == "sizelimit" else 10240000
                await self.send(writer, port, [
                    "250-mx.%s.test" % mode, "250-PIPELINING",
                    "250-SIZE %d" % size, "250-8BITMIME",
                    "250 ENHANCEDSTATUSCODES"])
            elif verb == "HELO":
                await self.send(writer, port, "250 mx.%s.test" % mode)
            elif verb == "MAIL":
                sender, rcpts = arg, []
                await self.send(writer, port, "250 2.1.0 Ok")
            elif verb == "RCPT":
                m = re.search(r"<([^>]*)>", arg)
                rcpt = m.group(1) if m else arg
                if mode == "droprcpt":
                    return                  # hang up, no reply
                if mode == "ratelimit":
                    await self.send(writer, port, RATELIMIT_REPLY)
                    return
                reply = self.rcpt_reply(rcpt)
                if reply is None:
                    rcpts.append(rcpt)
                    await self.send(writer, port, "250 2.1.5 Ok")
                else:
                    await self.send(writer, port, reply)
            elif verb == "DATA":
                if not rcpts:
                    await self.send(writer, port, "554 5.5.1 Error: no valid recipients")
                    continue
                await self.send(writer, port, "354 End data with <CR><LF>.<CR><LF>")
                size = 0
                while True:
                    l = await asyncio.wait_for(reader.readline(), 60)
                    if not l:
                        raise ConnectionError("eof in DATA")
                    if l in (b".\r\n", b".\n"):
                        break
                    size += len(l)
                self.log(port, "< [%d bytes of message]" % size)
                if mode in DATA_REPLIES:
                    await self.send(writer, port, DATA_REPLIES[mode])
                else:
                    self.serial += 1
                    await self.send(writer, port, "250 2.0.0 Ok: queued as BWS%06d" % self.serial)
                rcpts = []
            elif verb == "RSET":
                rcpts = []
                await self.send(writer, port, "250 2.0.0 Ok")
            elif verb == "NOOP":
                await self.send(writer, port, "250 2.0.0 Ok")
            elif verb == "QUIT":
                await self.send(writer, port, "221 2.0.0 Bye")
                return
            else:
                await self.send(writer, port, "502 5.5.2 Error: command not recognized")

    def rcpt_reply(self, rcpt):
        local = rcpt.split("@", 1)[0].lower()
        if local == "greypass":
            first = self.grey_first.setdefault(rcpt.lower(), time.monotonic())
            if time.monotonic() - first >= self.grey_pass_after:
                return None
        r = RCPT_REPLIES.get(local)
        if r is None:
            return None
        if isinstance(r, str):
            return r.format(rcpt=rcpt)
        return [x.format(rcpt=rcpt) for x in r]


async def serve(base, logf, pidfile, grey_pass_after):
    sink = Sink(base, logf, grey_pass_after)
    servers = []
    for off, (mode, _) in sorted(PORTS.items()):
        if mode == "refused":
            continue
        port = base + off

        def factory(mode=mode, port=port):
            return lambda r, w: sink.handle(r, w, mode, port)
        servers.append(await asyncio.start_server(factory(), HOST, port,
                                                  reuse_address=True))
    if pidfile:
        with open(pidfile, "w") as f:
            f.write("%d\n" % os.getpid())
    print("listening on %s ports %d-%d (refused: %d)" % (
        HOST, base, base + max(PORTS), base + 4), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, stop.set)
    await stop.wait()
    for s in servers:
        s.close()
    if pidfile:
        try:
            os.unlink(pidfile)
        except OSError:
            pass


# ---------------------------------------------------------------------------
# Table outputs and the self-check
# ---------------------------------------------------------------------------
def cmd_routes(base):
    for dom, off in DOMAINS.items():
        if isinstance(off, int):
            print("%s\tsmtp:[%s]:%d" % (dom, HOST, base + off))
        elif isinstance(off, tuple):
            print("%s\t%s:[%s]:%d" % (dom, off[1], HOST, base + off[0]))
        else:
            print("%s\t%s" % (dom, off))
    print("bounces.test\tdiscard:")


def cmd_messages():
    for name, kind, size, rcpts in MESSAGES:
        print("%s\t%s\t%d\t%s" % (name, kind, size, " ".join(rcpts)))


def cmd_expect():
    print("# recipient\tfinal_status\tclass\treason\tattempt_class\tattempt_reason\tmessage\tscenario")
    for name, kind, size, rcpts in MESSAGES:
        for r in rcpts:
            e = EXPECT[r]
            print("\t".join([r, e[0], e[1], e[2], e[3], e[4], name, e[5]]))
    # Every notification to the sender ends in discard(8): several lines,
    # all sent.
    print("\t".join([SENDER, "sent", "delivered", "-", "-", "-", "-",
                     "bounce/DSN notifications, discard(8)"]))


DLINE = re.compile(r" postfix(?:-[^/ ]+)?/(\S+)\[\d+\]: ([0-9A-F]+): to=<([^>]*)>,.*"
                   r" status=(\S+) ")
QEXP = re.compile(r" postfix(?:-[^/ ]+)?/qmgr\[\d+\]: ([0-9A-F]+): from=<[^>]*>, status=expired,")


def cmd_check(maillog, expected):
    """Independent of bouncewatch: the last word per recipient in the log."""
    last = {}       # recipient -> (qid, status)
    seen = {}       # recipient -> set of statuses
    expired_q = set()
    with open(maillog, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = DLINE.search(line)
            if m:
                last[m.group(3)] = (m.group(2), m.group(4))
                seen.setdefault(m.group(3), set()).add(m.group(4))
                continue
            m = QEXP.search(line)
            if m:
                expired_q.add(m.group(1))
    bad = ok = 0
    with open(expected, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            rcpt, final, cls, reason, acls = line.rstrip("\n").split("\t")[:5]
            got = last.get(rcpt)
            if got is None:
                status = "missing"
            elif got[1] == "deferred" and got[0] in expired_q:
                status = "expired"
            else:
                status = got[1]
            good = status == final
            if good and acls != "-" and "deferred" not in seen.get(rcpt, ()):
                good = False
                status += " (never deferred)"
            if good:
                ok += 1
            else:
                bad += 1
                print("MISMATCH %s: expected %s, log says %s" % (rcpt, final, status))
    print("%d passed, %d failed" % (ok, bad))
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", nargs="?", default="serve",
                    choices=["serve", "routes", "messages", "expect", "check"])
    ap.add_argument("args", nargs="*")
    ap.add_argument("--base-port", type=int, default=DEFAULT_BASE)
    ap.add_argument("--log", help="session transcript file (serve)")
    ap.add_argument("--pidfile", help="write the pid here once listening (serve)")
    ap.add_argument("--greylist-pass-after", type=int, default=GREY_PASS_AFTER)
    a = ap.parse_args()
    if a.command == "routes":
        cmd_routes(a.base_port)
    elif a.command == "messages":
        cmd_messages()
    elif a.command == "expect":
        cmd_expect()
    elif a.command == "check":
        if len(a.args) != 2:
            ap.error("check needs MAILLOG EXPECTED")
        return cmd_check(a.args[0], a.args[1])
    else:
        logf = open(a.log, "a") if a.log else None
        asyncio.run(serve(a.base_port, logf, a.pidfile, a.greylist_pass_after))
    return 0


if __name__ == "__main__":
    sys.exit(main())
