#!/usr/bin/env python3
"""report_check.py -- recompute the numbers of a bouncewatch report
independently and compare them with its JSON and CSV output.

    report_check.py --tz ZONE --from D --to D [--domain D] --db DB
                    --json REPORT.json --csv REPORT.csv CLASSIFY.jsonl...

The CLASSIFY.jsonl files are `bouncewatch classify --format json` of the
logs that were imported, in import order.  From them alone this script
rebuilds what the store should hold -- one count per delivery line by local
day, domain, class and reason; a qmgr "expired" line counts once for each
recipient of that message (queue id, host and Postfix instance: queue ids
collide across hosts) whose last attempt was deferred (domain of that
recipient), or once for domain "" when none is known -- and from that every
number of the report: totals, per-domain counts and rates, top reasons,
days, hours, relays, local_throttle, the changes against the 7 days before
(with each domain's top reason, recipients and new reasons), and the
unrecognised total.  Recipients and messages too: a failed recipient is
(its domain, the address as logged), a message (host, Postfix instance,
queue id); each distinct one counts once per class it failed in and once
in failed_recipients / failed_messages, and the domains are ranked by
permanent, then all failed recipients.  local_throttle is never a failure.

The normalised texts are the store's own grouping, so they are checked
against a plain SQL query of the database instead.  Exit 1 on any mismatch.
"""

import argparse
import csv
import datetime
import json
import sqlite3
import sys
import zoneinfo

CLASSES = ["delivered", "permanent", "temporary", "greylist"]
REASONS = [
    "none", "user_unknown", "mailbox_disabled", "mailbox_full",
    "message_too_large", "bad_address", "sender_rejected", "domain_not_found",
    "host_unreachable", "connection_lost", "tls_error", "protocol_error",
    "relay_denied", "blocklisted", "content_rejected", "auth_failed", "policy",
    "rate_limited", "greylisted", "server_unavailable", "routing_loop",
    "local_throttle", "local_error", "expired", "other",
]
LT = "local_throttle"
JUMP_PTS, JUMP_MIN = 10, 10

errors = []


def check(what, got, want):
    if got != want:
        errors.append("%s: report says %r, recomputed %r" % (what, got, want))


def epoch(iso):
    t = datetime.datetime.strptime(iso[:19], "%Y-%m-%dT%H:%M:%S")
    return int(t.replace(tzinfo=datetime.timezone.utc).timestamp())


def ascii_lower(s):
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in s)


def events(files):
    """Every stored delivery attempt: (time, domain, class, reason, relay,
    recipient, message), the recipient None when unknown, the message
    (host, Postfix instance, queue id) or None."""
    deferred = {}       # (message, recipient) -> relay of the last deferral
    for path in files:
        with open(path, encoding="utf-8") as f:
            for raw in f:
                r = json.loads(raw)
                if r["time"] is None:
                    continue
                t = epoch(r["time"])
                msg = (r["host"], (r["syslog_name"] or "").split("/")[0],
                       r["queue_id"])
                if r["kind"] == "delivery":
                    yield (t, r["domain"] or "", r["class"], r["reason"] or "none",
                           r["relay"], r["recipient"],
                           msg if r["queue_id"] is not None else None)
                    key = (msg, r["recipient"])
                    if r["queue_id"] is None or r["recipient"] is None:
                        continue
                    if r["status"] in ("deferred", "softbounce"):
                        deferred[key] = r["relay"]
                    elif r["mta"] == "postfix":
                        deferred.pop(key, None)
                elif r["kind"] == "expired":
                    hits = [k for k in deferred if k[0] == msg]
                    for k in hits:
                        rcpt = k[1]
                        dom = ascii_lower(rcpt.rsplit("@", 1)[1]) if "@" in rcpt else ""
                        yield (t, dom, r["class"], r["reason"], deferred.pop(k),
                               rcpt, msg if r["queue_id"] is not None else None)
                    if not hits:
                        yield (t, "", r["class"], r["reason"], r["relay"], None,
                               msg if r["queue_id"] is not None else None)


class Counts:
    def __init__(self):
        self.cls = dict.fromkeys(CLASSES, 0)
        self.lt = 0
        self.reasons = {}
        self.classes = {c: {} for c in CLASSES[1:]}
        self.rcpt = {c: set() for c in CLASSES[1:]}    # distinct recipients
        self.msgs = set()

    def add(self, cls, reason, rcpt=None, msg=None):
        if reason == LT:
            self.lt += 1
            return
        self.cls[cls] += 1
        if cls != "delivered":
            self.reasons[reason] = self.reasons.get(reason, 0) + 1
            self.classes[cls][reason] = self.classes[cls].get(reason, 0) + 1
            if rcpt is not None:
                self.rcpt[cls].add(rcpt)
            if msg is not None:
                self.msgs.add(msg)

    @property
    def failed_recipients(self):
        return len(set().union(*self.rcpt.values()))

    @property
    def attempts(self):
        return sum(self.cls.values())

    @property
    def failures(self):
        return self.attempts - self.cls["delivered"]

    def pct(self):
        return 100.0 * self.failures / self.attempts if self.attempts else 0.0

    def top_reason(self):
        best = None
        for i, name in enumerate(REASONS):
            n = self.reasons.get(name, 0)
            if i > 0 and n > 0 and (best is None or n > self.reasons[best]):
                best = name
        return best


def compare_counts(what, got, c, full=True):
    for k in ("delivered", "permanent", "temporary", "greylist"):
        check("%s.%s" % (what, k), got[k], c.cls[k])
    check(what + ".attempts", got["attempts"], c.attempts)
    check(what + ".local_throttle", got["local_throttle"], c.lt)
    check(what + ".failures", got["failures"], c.failures)
    if not full:
        return
    check(what + ".failed_recipients", got["failed_recipients"], c.failed_recipients)
    for k in CLASSES[1:]:
        check("%s.%s_recipients" % (what, k), got[k + "_recipients"], len(c.rcpt[k]))
    check(what + ".failed_messages", got["failed_messages"], len(c.msgs))
    check(what + ".reasons", got["reasons"], c.reasons)
    check(what + ".classes", got["classes"], c.classes)
    check(what + ".top_reason", got["top_reason"], c.top_reason())
    if abs(got["failure_pct"] - c.pct()) > 0.051:
        errors.append("%s.failure_pct: %r vs %r" % (what, got["failure_pct"], c.pct()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tz", required=True)
    ap.add_argument("--from", dest="frm", required=True)
    ap.add_argument("--to", required=True)
    ap.add_argument("--domain")
    ap.add_argument("--db", required=True)
    ap.add_argument("--json", required=True)
    ap.add_argument("--csv", required=True)
    ap.add_argument("classified", nargs="+")
    a = ap.parse_args()
    tz = zoneinfo.ZoneInfo(a.tz)
    d0 = datetime.date.fromisoformat(a.frm)
    d1 = datetime.date.fromisoformat(a.to)
    p0, p1 = d0 - datetime.timedelta(days=7), d0 - datetime.timedelta(days=1)
    with open(a.json, encoding="utf-8") as f:
        rep = json.load(f)

    totals, prev_totals = Counts(), Counts()
    domains, prev, days = {}, {}, {}
    hours = {c: [0] * 24 for c in CLASSES[1:]}
    relays, relay_reasons = {}, {}
    rows = other = 0
    history = False
    for t, dom, cls, reason, relay, rcpt, msg in events(a.classified):
        # a recipient is (its domain, the address as logged)
        rk = (dom, rcpt) if rcpt is not None else None
        if a.domain is not None and dom != a.domain:
            continue
        local = datetime.datetime.fromtimestamp(t, tz)
        day = local.date()
        if p0 <= day <= p1:
            history = True
            prev.setdefault(dom, Counts()).add(cls, reason)
            prev_totals.add(cls, reason)
        if not d0 <= day <= d1:
            continue
        totals.add(cls, reason, rk, msg)
        domains.setdefault(dom, Counts()).add(cls, reason, rk, msg)
        days.setdefault(day.isoformat(), Counts()).add(cls, reason)
        if cls == "delivered":
            continue
        rows += 1
        if reason == LT:
            continue
        hours[cls][local.hour] += 1
        other += reason == "other"
        if relay is not None:
            relays[relay] = relays.get(relay, 0) + 1
            rr = relay_reasons.setdefault(relay, {})
            rr[reason] = rr.get(reason, 0) + 1

    check("from", rep["from"], a.frm)
    check("to", rep["to"], a.to)
    compare_counts("totals", rep["totals"], totals)
    check("domain set", sorted(x["domain"] for x in rep["domains"]), sorted(domains))
    for x in rep["domains"]:
        if x["domain"] in domains:
            compare_counts("domains[%s]" % x["domain"], x, domains[x["domain"]])
    order = sorted(domains, key=lambda k: (-len(domains[k].rcpt["permanent"]),
                                           -domains[k].failed_recipients,
                                           -domains[k].failures, -domains[k].attempts,
                                           k.encode()))
    check("domain order", [x["domain"] for x in rep["domains"]], order)
    check("days", [x["day"] for x in rep["days"]], sorted(days))
    for x in rep["days"]:
        compare_counts("days[%s]" % x["day"], x, days[x["day"]], full=False)
    check("hours", rep["hours"], hours)
    check("failure_rows", rep["failure_rows"], rows)
    check("local_throttle.n", rep["local_throttle"]["n"], totals.lt)
    check("local_throttle.domains",
          {x["domain"]: x["n"] for x in rep["local_throttle"]["domains"]},
          {k: v.lt for k, v in domains.items() if v.lt > 0})
    check("relays", {x["relay"]: x["n"] for x in rep["relays"]}, relays)
    for x in rep["relays"]:
        rr = relay_reasons[x["relay"]]
        best = max(rr, key=lambda k: (rr[k], -REASONS.index(k)))
        check("relays[%s].top_reason" % x["relay"], x["top_reason"], best)
    check("unrecognised total", sum(x["n"] for x in rep["unrecognised"]), other)

    # changes against the 7 days before
    ch = rep["changes"]
    check("changes.from", ch["from"], p0.isoformat())
    check("changes.to", ch["to"], p1.isoformat())
    check("changes.history", ch["history"], history)
    newly, jumps = [], []
    if history:
        for k in order:
            c, b = domains[k], prev.get(k, Counts())
            if c.failures > 0 and b.failures == 0:
                newly.append((k, c.failures, c.attempts, b.attempts))
            if (c.attempts >= JUMP_MIN and b.failures > 0 and
                    (c.failures * b.attempts - b.failures * c.attempts) * 100 >=
                    JUMP_PTS * c.attempts * b.attempts):
                jumps.append((k, c.pct() - b.pct()))
    check("changes.newly_failing",
          [(x["domain"], x["failures"], x["attempts"], x["prev_attempts"])
           for x in ch["newly_failing"]], newly)
    jumps.sort(key=lambda j: (-j[1], j[0].encode()))
    check("changes.rate_jumps", [x["domain"] for x in ch["rate_jumps"]],
          [j[0] for j in jumps])
    new_reasons = sorted(((r, n) for r, n in totals.reasons.items()
                          if history and prev_totals.reasons.get(r, 0) == 0),
                         key=lambda x: (-x[1], REASONS.index(x[0])))
    check("changes.new_reasons", [(x["reason"], x["n"]) for x in ch["new_reasons"]],
          new_reasons)

    def dom_new(k):
        """Reasons of domain k failing now and not in the days before."""
        b = prev.get(k, Counts())
        return [r for r in REASONS if r != LT and domains[k].reasons.get(r, 0) > 0
                and b.reasons.get(r, 0) == 0]
    for x in ch["newly_failing"] + ch["rate_jumps"]:
        k = x["domain"]
        check("changes[%s].top_reason" % k, x["top_reason"], domains[k].top_reason())
        check("changes[%s].failed_recipients" % k, x["failed_recipients"],
              domains[k].failed_recipients)
        check("changes[%s].new_reasons" % k, x["new_reasons"], dom_new(k))
    dnew = []
    if history:
        for i, k in enumerate(order):
            if prev.get(k, Counts()).failures > 0:
                dnew += [(domains[k].reasons[r], i, REASONS.index(r), k, r)
                         for r in dom_new(k)]
    dnew.sort(key=lambda x: (-x[0], x[1], x[2]))
    check("changes.domain_new_reasons",
          [(x["domain"], x["reason"], x["failures"]) for x in ch["domain_new_reasons"]],
          [(x[3], x[4], x[0]) for x in dnew[:rep["top"]]])

    # the texts: the store's normalised grouping, by plain SQL
    db = sqlite3.connect("file:%s?mode=ro" % a.db, uri=True)
    t0 = int(datetime.datetime.combine(d0, datetime.time(), tz).timestamp())
    t1 = int(datetime.datetime.combine(d1 + datetime.timedelta(days=1),
                                       datetime.time(), tz).timestamp()) - 1
    flt = "" if a.domain is None else " AND d.name = :dom"
    base = ("FROM failure f JOIN domain d ON d.id = f.domain_id"
            " LEFT JOIN diagnostic g ON g.id = f.diagnostic_id"
            " WHERE f.time BETWEEN :t0 AND :t1" + flt)
    args = {"t0": t0, "t1": t1, "dom": a.domain}
    for key, cond in (("diagnostics", "f.reason_id <> 21"),
                      ("unrecognised", "f.reason_id = 24")):
        want = {}
        for text, n, nd in db.execute(
                "SELECT coalesce(g.normalized, ''), count(*), count(DISTINCT f.domain_id) "
                + base + " AND " + cond + " GROUP BY 1", args):
            want[text] = (n, nd)
        got = {x["text"]: (x["n"], x["domains"]) for x in rep[key]}
        if len(want) <= rep["top"]:
            check(key, got, want)
        else:
            for k, v in got.items():
                check("%s[%s]" % (key, k), v, want.get(k))
    for x in rep["diagnostics"]:
        byreason = {}
        for reason, n in db.execute(
                "SELECT f.reason_id, count(*) " + base +
                " AND f.reason_id <> 21 AND coalesce(g.normalized, '') = :text"
                " GROUP BY 1", dict(args, text=x["text"])):
            byreason[REASONS[reason]] = n
        best = max(byreason, key=lambda k: (byreason[k], -REASONS.index(k)))
        check("diagnostics[%s].reason" % x["text"], x["reason"], best)

    # CSV: the same numbers, one row per domain and per (domain, reason)
    with open(a.csv, newline="", encoding="utf-8") as f:
        rd = list(csv.reader(f))
    check("csv header", rd[0], ["row", "domain", "reason", "attempts", "delivered",
                                "permanent", "temporary", "greylist", "failures",
                                "failure_pct", "local_throttle", "top_reason",
                                "failed_recipients", "permanent_recipients",
                                "temporary_recipients", "greylist_recipients",
                                "failed_messages"])
    seen = set()
    for row in rd[1:]:
        flag, dom, reason = row[0], row[1], row[2]
        num = [int(v) if v != "" else None for v in row[3:9]] + [row[9]] + \
            [int(row[10]) if row[10] != "" else None, row[11]]
        if flag in ("total", "domain"):
            c = totals if flag == "total" else domains.get(dom)
            if c is None:
                errors.append("csv: unknown domain %r" % dom)
                continue
            if flag == "domain":
                seen.add(dom)
            check("csv %s %s" % (flag, dom), num[:6] + [num[7]] + [num[8] or None],
                  [c.attempts, c.cls["delivered"], c.cls["permanent"],
                   c.cls["temporary"], c.cls["greylist"], c.failures, c.lt,
                   c.top_reason()])
            check("csv %s %s recipients" % (flag, dom), [int(v) for v in row[12:17]],
                  [c.failed_recipients, len(c.rcpt["permanent"]),
                   len(c.rcpt["temporary"]), len(c.rcpt["greylist"]), len(c.msgs)])
            if abs(float(num[6]) - c.pct()) > 0.051:
                errors.append("csv %s failure_pct %s vs %r" % (dom, num[6], c.pct()))
        elif flag == "reason":
            c = domains[dom]
            check("csv reason %s %s recipients" % (dom, reason), row[12:], [""] * 5)
            if reason == LT:
                check("csv reason %s %s" % (dom, reason), num[2:6] + [num[7]],
                      [0, 0, 0, 0, c.lt])
            else:
                check("csv reason %s %s" % (dom, reason), num[2:6],
                      [c.classes["permanent"].get(reason, 0),
                       c.classes["temporary"].get(reason, 0),
                       c.classes["greylist"].get(reason, 0), c.reasons.get(reason, 0)])
        else:
            errors.append("csv: unknown row flag %r" % flag)
    check("csv domains", sorted(seen), sorted(domains))
    check("csv reason rows",
          sum(1 for row in rd[1:] if row[0] == "reason"),
          sum(len(c.reasons) + (c.lt > 0) for c in domains.values()))

    for e in errors[:40]:
        print("MISMATCH " + e, file=sys.stderr)
    if errors:
        sys.exit(1)
    print("checked: %d domains, %d failures, %d local_throttle, %d days" %
          (len(domains), totals.failures, totals.lt, len(days)))


if __name__ == "__main__":
    main()
