#!/usr/bin/env python3
"""Live tests of bouncewatchd: the /metrics endpoint and the alerts, with
the real daemon, real files, real signals, real sockets and promtool.

usage: live_harness.py SCENARIO   (see SCENARIOS at the end)
Environment: top_srcdir, top_builddir (set by "make check"); PROMTOOL
(default: promtool on PATH; the metrics scenario is skipped, exit 77,
without it).
"""
import datetime
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time

# the paths, the failure and skip exceptions and wait_for of the fault tests
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from daemon_harness import BW, BWD, GENLOG, TOP_SRC, Fail, Skip, wait_for  # noqa: E402


def genlog(args):
    return subprocess.run([sys.executable, GENLOG] + args, check=True,
                          capture_output=True).stdout.split(b"\n")[:-1]


class Live:
    def __init__(self, name, extra=""):
        self.dir = tempfile.mkdtemp(prefix="bw-live-%s." % name)
        self.log = os.path.join(self.dir, "mail.log")
        self.db = os.path.join(self.dir, "bw.db")
        self.conf = os.path.join(self.dir, "bouncewatch.conf")
        self.sock = os.path.join(self.dir, "metrics.sock")
        self.err = open(os.path.join(self.dir, "daemon.err"), "ab")
        self.proc = None
        self.written = 0
        self.addr = (socket.AF_UNIX, self.sock)
        self.write_conf(extra)
        open(self.log, "ab").close()

    def write_conf(self, extra=""):
        given = set(l.split("=")[0].strip() for l in extra.splitlines() if "=" in l)
        defaults = [("log", self.log), ("database", self.db),
                    ("pidfile", "%s/bw.pid" % self.dir), ("commit_interval", "100ms"),
                    ("timezone", "UTC"), ("metrics_listen", self.sock)]
        with open(self.conf, "w") as f:
            for k, v in defaults:
                if k not in given:
                    f.write("%s = %s\n" % (k, v))
            f.write(extra)

    def append(self, lines):
        with open(self.log, "ab") as f:
            f.write(b"".join(l + b"\n" for l in lines))
        self.written += len(lines)

    def start(self):
        self.proc = subprocess.Popen([BWD, "-f", "-c", self.conf],
                                     stdout=subprocess.DEVNULL, stderr=self.err)
        # the socket accepting, not its name: a daemon killed leaves the name
        wait_for(lambda: self.listening() or self.proc.poll() is not None,
                 "the metrics socket")
        if self.proc.poll() is not None:
            raise Fail("the daemon exited with %d:\n%s" % (self.proc.returncode, self.daemon_log()))

    def listening(self):
        s = socket.socket(self.addr[0], socket.SOCK_STREAM)
        try:
            s.connect(self.addr[1])
            return True
        except OSError:
            return False
        finally:
            s.close()

    def stop(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)
        rc = self.proc.wait(timeout=30)
        self.proc = None
        if sig == signal.SIGTERM and rc != 0:
            raise Fail("the daemon exited with %d at SIGTERM:\n%s" % (rc, self.daemon_log()))
        if "Sanitizer" in self.daemon_log() or "runtime error:" in self.daemon_log():
            raise Fail("sanitizer report:\n" + self.daemon_log())
        return rc

    def daemon_log(self):
        self.err.flush()
        with open(os.path.join(self.dir, "daemon.err"), "rb") as f:
            return f.read().decode(errors="replace")

    def q(self, sql, *args):
        c = sqlite3.connect("file:%s?mode=ro" % self.db, uri=True, timeout=10)
        try:
            return c.execute(sql, args).fetchall()
        finally:
            c.close()

    def lines_read(self):
        try:
            return self.q("select coalesce(sum(n), 0) from line_stats")[0][0]
        except sqlite3.Error:
            return -1

    def wait_caught_up(self):
        wait_for(lambda: self.lines_read() == self.written,
                 "%d lines to be stored" % self.written)

    def request(self, raw):
        s = socket.socket(self.addr[0], socket.SOCK_STREAM)
        s.settimeout(20)
        s.connect(self.addr[1])
        s.sendall(raw)
        data = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
        s.close()
        return data

    def scrape(self):
        r = self.request(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n")
        head, _, body = r.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200 OK"):
            raise Fail("scrape: " + head.decode(errors="replace"))
        return body.decode()

    def cleanup(self):
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def samples(text):
    """{(name, frozenset(labels)): value} of an exposition."""
    out = {}
    for line in text.split("\n"):
        if not line or line.startswith("#"):
            continue
        name_labels, value = line.rsplit(" ", 1)
        if "{" in name_labels:
            name, rest = name_labels.split("{", 1)
            labels = []
            for kv in rest.rstrip("}").split('",'):
                k, v = kv.split("=", 1)
                labels.append((k, v.strip('"')))
            key = (name, frozenset(labels))
        else:
            key = (name_labels, frozenset())
        out[key] = float(value)
    return out


def get(s, name, **labels):
    return s.get((name, frozenset(labels.items())), 0)


def promtool_check(text):
    tool = os.environ.get("PROMTOOL") or shutil.which("promtool")
    if tool is None:
        raise Skip("promtool not installed (Debian package prometheus)")
    r = subprocess.run([tool, "check", "metrics"], input=text.encode(),
                       capture_output=True)
    if r.returncode != 0:
        raise Fail("promtool check metrics: %s%s" % (r.stdout.decode(), r.stderr.decode()))


def compare_with_db(lv, text):
    """Every restored counter equals what the database holds."""
    s = samples(text)
    n = 0
    # deliveries by class and reason
    for cls, reason, total in lv.q(
            "select c.name, r.name, sum(d.n) from daily d join class c on c.id = d.class_id"
            " join reason r on r.id = d.reason_id group by 1, 2"):
        got = get(s, "bouncewatch_deliveries_total", **{"class": cls,
                  "reason": "" if cls == "delivered" else reason})
        if got != total:
            raise Fail("deliveries_total{%s,%s} = %s, database %s" % (cls, reason, got, total))
        n += 1
    total_db = lv.q("select coalesce(sum(n), 0) from daily")[0][0]
    total_m = sum(v for (name, _), v in s.items() if name == "bouncewatch_deliveries_total")
    if total_m != total_db:
        raise Fail("sum of deliveries_total %s, database %s" % (total_m, total_db))
    # failures per labelled domain; "other" is the rest
    domains = set(dict(l)["domain"] for (name, l) in s if name == "bouncewatch_domain_failures_total")
    labelled = 0
    for d in domains - {"other"}:
        for cls, reason, total in lv.q(
                "select c.name, r.name, sum(d.n) from daily d join class c on c.id = d.class_id"
                " join reason r on r.id = d.reason_id join domain o on o.id = d.domain_id"
                " where o.name = ? and c.name != 'delivered' group by 1, 2", d):
            got = get(s, "bouncewatch_domain_failures_total", domain=d, **{"class": cls, "reason": reason})
            if got != total:
                raise Fail("domain_failures_total{%s,%s,%s} = %s, database %s" % (d, cls, reason, got, total))
            labelled += total
    failures_db = lv.q("select coalesce(sum(n), 0) from daily where class_id != 0")[0][0]
    other = sum(v for (name, l), v in s.items()
                if name == "bouncewatch_domain_failures_total" and dict(l)["domain"] == "other")
    if other != failures_db - labelled:
        raise Fail("domain=\"other\" %s, database %s" % (other, failures_db - labelled))
    # lines by kind
    kinds = dict(lv.q("select kind, sum(n) from line_stats group by kind"))
    want = {"delivery": kinds.get("delivery", 0) + kinds.get("expired", 0),
            "other": kinds.get("other", 0), "unparseable": kinds.get("invalid", 0),
            "probe": kinds.get("probe", 0)}
    for k, v in want.items():
        if get(s, "bouncewatch_lines_total", kind=k) != v:
            raise Fail("lines_total{%s} = %s, database %s" % (k, get(s, "bouncewatch_lines_total", kind=k), v))
    gaps = lv.q("select count(*) from gap")[0][0]
    if get(s, "bouncewatch_gaps_total") != gaps:
        raise Fail("gaps_total %s, database %s" % (get(s, "bouncewatch_gaps_total"), gaps))
    # the hourly totals the rate alert compares with: every delivery line once
    att, fail = lv.q("select coalesce(sum(attempts), 0), coalesce(sum(failures), 0) from hourly")[0]
    if att != kinds.get("delivery", 0):
        raise Fail("hourly attempts %d, delivery lines %d" % (att, kinds.get("delivery", 0)))
    want = lv.q("select count(*) from failure where class_id in (1, 2) and status_id != 5")[0][0]
    if fail != want:
        raise Fail("hourly failures %d, failure rows %d" % (fail, want))
    alerts = lv.q("select count(*) from alert")[0][0]
    got = sum(v for (name, _), v in s.items() if name == "bouncewatch_alerts_total")
    if got != alerts:
        raise Fail("alerts_total %s, database %s" % (got, alerts))
    return len(domains)


def check_top(lv, text, n):
    """Restored at start or on SIGHUP: the labelled domains are the busiest
    (the log is older than 7 days: by attempts over all time)."""
    top = [r[0] for r in lv.q(
        "select o.name from daily d join domain o on o.id = d.domain_id where o.name != ''"
        " group by d.domain_id order by sum(d.n) desc, d.domain_id limit ?", n)]
    got = set(dict(l)["domain"] for (name, l) in samples(text)
              if name == "bouncewatch_domain_failures_total") - {"other"}
    if not got <= set(top) or len(got) < min(n, 3):
        raise Fail("labelled %s, the top %d are %s" % (sorted(got), n, top))


# ---------------------------------------------------------------------------

def scenario_metrics():
    """promtool accepts the output; the counters equal the database's after
    a run, after SIGKILL and a restart, after SIGHUP; bouncewatch metrics
    prints the same counters."""
    lv = Live("metrics")
    try:
        # commits of 2,000 lines: the kill below lands in the middle of reading
        lv.write_conf("commit_lines = 2000\n")
        lines = genlog(["--lines", "40000", "--seed", "7", "--format", "bsd",
                        "--start", "2026-11-22T08:00:00"])
        lv.append(lines[:15000])
        lv.start()
        lv.wait_caught_up()
        text = lv.scrape()
        promtool_check(text)
        nd = compare_with_db(lv, text)
        if not 2 <= nd <= 21:
            raise Fail("%d domain labels, want at most 20 and other" % nd)
        s = samples(text)
        if get(s, "bouncewatch_source_up", source=lv.log) != 1:
            raise Fail("source_up is not 1")
        if get(s, "bouncewatch_source_lag_bytes", source=lv.log) != 0:
            raise Fail("lag is not 0 after catching up")
        # kill -9 in the middle of reading, restart: counters continue
        lv.append(lines[15000:30000])
        wait_for(lambda: lv.lines_read() > 15000, "reading to go on")
        lv.stop(signal.SIGKILL)
        lv.start()
        lv.wait_caught_up()
        text = lv.scrape()
        promtool_check(text)
        compare_with_db(lv, text)
        check_top(lv, text, 20)
        # SIGHUP with fewer domains
        with open(lv.conf, "a") as f:
            f.write("metrics_domains = 5\n")
        lv.append(lines[30000:])
        lv.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "configuration reloaded" in lv.daemon_log(), "the reload")
        lv.wait_caught_up()
        text = lv.scrape()
        promtool_check(text)
        nd = compare_with_db(lv, text)
        if nd > 6:
            raise Fail("%d domain labels after SIGHUP, want at most 5 and other" % nd)
        check_top(lv, text, 5)
        lv.stop()
        # the command-line tool, for the textfile collector
        r = subprocess.run([BW, "metrics", "--db", lv.db, "--domains", "5"],
                           capture_output=True, check=True)
        promtool_check(r.stdout.decode())
        compare_with_db(lv, r.stdout.decode())
        # bouncewatch import keeps the same hourly totals as the daemon
        imp = os.path.join(lv.dir, "import.db")
        env = dict(os.environ, TZ="UTC")
        subprocess.run([BW, "import", "--quiet", "--timezone", "UTC", "--db", imp, lv.log],
                       check=True, capture_output=True, env=env)
        hours = "select hour, attempts, failures from hourly order by hour"
        c = sqlite3.connect("file:%s?mode=ro" % imp, uri=True)
        got = c.execute(hours).fetchall()
        c.close()
        if got != lv.q(hours) or not got:
            raise Fail("hourly totals: import %d hours, daemon %d" % (len(got), len(lv.q(hours))))
        print("metrics: %d lines, counters equal the database after a run, "
              "SIGKILL + restart, SIGHUP; promtool ok" % lv.written)
    finally:
        if os.environ.get("KEEP") is None: lv.cleanup()


def burst(n, when, start=0, domain="outlook.com"):
    stamp = datetime.datetime.fromtimestamp(when, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.%f+00:00")
    out = []
    for i in range(start, start + n):
        out.append((
            "%s mx1 postfix/smtp[%d]: 4Q%07dX: to=<user%d@%s>, "
            "relay=outlook-com.olc.protection.outlook.com[52.101.68.%d]:25, delay=1.2, "
            "delays=0.1/0/0.5/0.6, dsn=5.7.606, status=bounced (host "
            "outlook-com.olc.protection.outlook.com[52.101.68.%d] said: 550 5.7.606 "
            "Access denied, banned sending IP [198.51.100.25]. To request removal from "
            "this list please visit https://sender.office.com/ and follow the directions. "
            "For more information please go to http://go.microsoft.com/fwlink/?LinkID=526655 "
            "AS(1430) (in reply to RCPT TO command))" % (stamp, 3000 + i, i, i, domain,
                                                          i % 250, i % 250)).encode())
    return out


def history(now):
    """A normal generated day around the burst (ISO stamps, 6 lines/s, some
    1,700 delivery attempts an hour, a tenth of them failing): the same two
    hours yesterday (the baseline), a burst for another domain three hours
    ago, and the last hour up to now."""
    def seg(start, seed):
        t = datetime.datetime.fromtimestamp(start, datetime.timezone.utc)
        return genlog(["--lines", "21600", "--seed", str(seed), "--format", "iso", "--rate", "6",
                       "--start", t.strftime("%Y-%m-%dT%H:%M:%S")])
    # and a burst three hours ago: old news when the daemon starts
    return (seg(now - 25 * 3600, 11) + seg(now - 24 * 3600, 12) +
            burst(40, now - 3 * 3600, start=500, domain="live.com") + seg(now - 3600, 13))


def expected_reason(line):
    """What bouncewatch classify says of a burst line: the alert's reason."""
    r = subprocess.run([BW, "classify", "--format", "tsv", "-"], input=line + b"\n",
                       capture_output=True, check=True).stdout.decode().split("\n")
    return r[1].split("\t")[9], r[1].split("\t")[10]


def alert_script(lv, body):
    path = os.path.join(lv.dir, "alert.sh")
    with open(path, "w") as f:
        f.write("#!/bin/sh\n" + body)
    os.chmod(path, 0o755)
    return path


def scenario_alert():
    """A burst of 40 blocklist bounces for one domain inside a normal day
    gives exactly one alert; the same burst again within alert_repeat none."""
    lv = Live("alert")
    try:
        out = os.path.join(lv.dir, "alerts.out")
        cmd = alert_script(lv, 'cat >> "%s"; echo >> "%s"\n' % (out, out))
        # small batches: the old burst ends a batch of its own while catching up
        lv.write_conf("alert_command = %s\ncommit_lines = 25\nsynchronous = normal\n" % cmd)
        now = time.time()
        lv.append(history(now))
        lv.start()
        lv.wait_caught_up()
        if lv.q("select count(*) from alert")[0][0] != 0 or os.path.exists(out):
            raise Fail("catching up on history raised an alert")
        lines = burst(40, time.time())
        want_cls, want_reason = expected_reason(lines[0])
        t0 = time.time()
        lv.append(lines)
        wait_for(lambda: os.path.exists(out) and open(out).read().endswith("\n"),
                 "the alert command's document")
        latency = time.time() - t0
        lv.wait_caught_up()
        rows = lv.q("select condition, domain, reason, class, count, document from alert")
        if len(rows) != 1:
            raise Fail("%d alerts recorded, want 1: %s" % (len(rows), [r[:5] for r in rows]))
        cond, dom, reason, cls, count, doc = rows[0]
        if (cond, dom, reason, cls) != ("domain_reason", "outlook.com", want_reason, want_cls):
            raise Fail("alert %s, want outlook.com %s %s" % (rows[0][:4], want_cls, want_reason))
        if count < 20:
            raise Fail("alert with %d failures, threshold 20" % count)
        sent = [json.loads(l) for l in open(out).read().split("\n") if l]
        if len(sent) != 1 or sent[0] != json.loads(doc):
            raise Fail("the command got %s, the database holds %s" % (sent, doc))
        d = sent[0]
        if d["hosts"] != ["mx1"] or not 1 <= len(d["examples"]) <= 3 or d["baseline"] >= 20:
            raise Fail("document %s" % d)
        if any("@outlook.com" in e or len(e.encode()) > 300 for e in d["examples"]):
            raise Fail("examples not sanitised: %s" % d["examples"])
        # the example script of contrib/ reads the real document
        subprocess.run([sys.executable, os.path.join(TOP_SRC, "contrib", "bouncewatch-alert")],
                       input=doc.encode(), check=True, env=dict(os.environ, BOUNCEWATCH_WEBHOOK=""))
        if get(samples(lv.scrape()), "bouncewatch_alerts_total", condition="domain_reason") != 1:
            raise Fail("alerts_total is not 1")
        # the same burst again, within alert_repeat: nothing new
        lv.append(burst(40, time.time(), start=100))
        lv.wait_caught_up()
        time.sleep(0.5)
        if lv.q("select count(*) from alert")[0][0] != 1 or len(open(out).read().split("\n")) != 2:
            raise Fail("a repeat within alert_repeat alerted again")
        lv.stop()
        print("alert: one alert (outlook.com %s/%s, %d failures, baseline %d) in a day of %d "
              "lines, %.2fs after the burst was written (commit_interval 100ms); none for the "
              "repeat" % (want_cls, want_reason, count, d["baseline"], lv.written, latency))
    finally:
        if os.environ.get("KEEP") is None: lv.cleanup()


def scenario_rate_jump():
    """Failures spread over many domains (none reaching alert_min_failures)
    that triple the failure rate of a normal day: one rate_jump alert."""
    lv = Live("rate")
    try:
        out = os.path.join(lv.dir, "alerts.out")
        cmd = alert_script(lv, 'cat >> "%s"; echo >> "%s"\n' % (out, out))
        lv.write_conf("alert_command = %s\nsynchronous = normal\n" % cmd)
        now = time.time()
        lv.append(history(now))
        lv.start()
        lv.wait_caught_up()
        if lv.q("select count(*) from alert")[0][0] != 0:
            raise Fail("catching up on a normal day raised an alert")
        spread = []
        for i in range(100):
            spread += burst(5, time.time(), start=1000 + 5 * i, domain="d%d.example" % i)
        lv.append(spread)
        wait_for(lambda: os.path.exists(out) and open(out).read().endswith("\n"),
                 "the alert command's document")
        lv.wait_caught_up()
        time.sleep(0.3)
        rows = lv.q("select condition, count, baseline, document from alert")
        if len(rows) != 1 or rows[0][0] != "rate_jump":
            raise Fail("alerts %s, want one rate_jump" % [r[:3] for r in rows])
        d = json.loads(rows[0][3])
        if not (d["rate_percent"] >= 2 * d["baseline_percent"] and
                d["rate_percent"] - d["baseline_percent"] >= 10 and d["baseline_attempts"] > 0):
            raise Fail("document %s" % d)
        lv.stop()
        print("rate_jump: one alert, %.1f%% of %d attempts failed against %.1f%% of %d the "
              "day before" % (d["rate_percent"], d["attempts"], d["baseline_percent"],
                              d["baseline_attempts"]))
    finally:
        if os.environ.get("KEEP") is None: lv.cleanup()


def scenario_source_down():
    """The log goes away for longer than alert_window: one source_down
    alert (recorded, given to alert_command, counted, in the report); none
    more while it stays away; ingest resumes when it is back."""
    lv = Live("source-down")
    try:
        out = os.path.join(lv.dir, "alerts.out")
        cmd = alert_script(lv, 'cat >> "%s"; echo >> "%s"\n' % (out, out))
        # alert_window's least: a minute of the real clock
        lv.write_conf("alert_command = %s\nalert_window = 60s\n" % cmd)
        lv.append(burst(3, time.time(), domain="example.com"))
        lv.start()
        lv.wait_caught_up()
        wait_for(lambda: get(samples(lv.scrape()), "bouncewatch_source_up", source=lv.log) == 1,
                 "source_up 1")
        os.unlink(lv.log)
        wait_for(lambda: os.path.exists(out) and open(out).read().endswith("\n"),
                 "the source_down alert", 150)
        rows = lv.q("select condition, domain, count, document from alert")
        if len(rows) != 1 or rows[0][:2] != ("source_down", lv.log):
            raise Fail("alerts %s, want one source_down for %s" % ([r[:3] for r in rows], lv.log))
        d = json.loads(rows[0][3])
        sent = [json.loads(l) for l in open(out).read().split("\n") if l]
        if sent != [d]:
            raise Fail("the command got %s, the database holds %s" % (sent, d))
        if d["source"] != lv.log or not d["why"] or d["time"] - d["down_since"] < 60:
            raise Fail("document %s: want the source, why, and down a minute at least" % d)
        if get(samples(lv.scrape()), "bouncewatch_alerts_total", condition="source_down") != 1:
            raise Fail("alerts_total{condition=source_down} is not 1")
        # still away: no second alert (alert_repeat, 6 h); back: read again
        time.sleep(3)
        open(lv.log, "ab").close()
        lv.append(burst(4, time.time(), start=10, domain="example.com"))
        lv.wait_caught_up()
        if lv.q("select count(*) from alert")[0][0] != 1 or len(open(out).read().split("\n")) != 2:
            raise Fail("more than one source_down alert")
        # the daily report lists it
        day = datetime.datetime.fromtimestamp(d["time"], datetime.timezone.utc).strftime("%Y-%m-%d")
        rep = json.loads(subprocess.run(
            [BW, "report", "--db", lv.db, "--date", day, "--format", "json"],
            capture_output=True, check=True, env=dict(os.environ, TZ="UTC")).stdout)
        if [(a["condition"], a["domain"]) for a in rep["alerts"]] != [("source_down", lv.log)]:
            raise Fail("the report lists %s" % rep["alerts"])
        lv.stop()
        print("source_down: one alert %ds after the log went away (alert_window 60s), none "
              "more, listed by the report; ingest resumed" % (d["time"] - d["down_since"]))
    finally:
        if os.environ.get("KEEP") is None: lv.cleanup()


def scenario_glob_down():
    """A "log = PATTERN" source counts as one: up while a match is readable,
    down when the files (then the directory) go away, with one source_down
    alert naming the pattern; up again and read when files come back."""
    lv = Live("glob-down")
    try:
        hur = os.path.join(lv.dir, "hurricane")
        os.mkdir(hur)
        pattern = os.path.join(hur, "*Processed.log")
        out = os.path.join(lv.dir, "alerts.out")
        cmd = alert_script(lv, 'cat >> "%s"; echo >> "%s"\n' % (out, out))
        lv.write_conf("log = %s\nalert_command = %s\nalert_window = 60s\n" % (pattern, cmd))
        now = int(time.time())
        lv.log = os.path.join(hur, "20261203Processed.log")
        lv.append(burst(3, now - 30, domain="example.com"))
        lv.log = os.path.join(hur, "20261204Processed.log")
        lv.append(burst(2, now - 10, start=10, domain="example.com"))
        lv.start()
        lv.wait_caught_up()
        up = lambda: get(samples(lv.scrape()), "bouncewatch_source_up", source=pattern)
        wait_for(lambda: up() == 1, "source_up 1 for the pattern")
        text = lv.scrape()
        promtool_check(text)
        s = samples(text)
        if get(s, "bouncewatch_source_last_line_timestamp_seconds", source=pattern) != now - 10:
            raise Fail("last line time %s, want the newest file's %d" % (
                get(s, "bouncewatch_source_last_line_timestamp_seconds", source=pattern), now - 10))
        if get(s, "bouncewatch_source_lag_bytes", source=pattern) != 0:
            raise Fail("lag is not 0 after catching up")
        # an older day removed (the user's clean-up): still up
        os.unlink(os.path.join(hur, "20261203Processed.log"))
        time.sleep(3)
        if up() != 1:
            raise Fail("down while today's file is there")
        # every match removed: down at once, one alert after alert_window
        for f in os.listdir(hur):
            os.unlink(os.path.join(hur, f))
        t0 = time.time()
        wait_for(lambda: up() == 0, "source_up 0 when the pattern matches nothing", 15)
        text = lv.scrape()
        promtool_check(text)
        if ("bouncewatch_source_up", frozenset([("source", pattern)])) not in samples(text):
            raise Fail("no source_up sample for the pattern:\n" + text)
        # the directory too: still down, and said so
        os.rmdir(hur)
        wait_for(lambda: os.path.exists(out) and open(out).read().endswith("\n"),
                 "the source_down alert", 150)
        if up() != 0:
            raise Fail("up again without the directory")
        rows = lv.q("select condition, domain, document from alert")
        if len(rows) != 1 or rows[0][:2] != ("source_down", pattern):
            raise Fail("alerts %s, want one source_down for %s" % ([r[:2] for r in rows], pattern))
        d = json.loads(rows[0][2])
        sent = [json.loads(l) for l in open(out).read().split("\n") if l]
        if d["time"] - d["down_since"] < 60 or d["down_since"] < t0 - 2:
            raise Fail("source_down at %d, down since %d (removed at %d): want alert_window after"
                       % (d["time"], d["down_since"], t0))
        if sent != [d] or d["source"] != pattern or not d["why"]:
            raise Fail("the command got %s, the database holds %s" % (sent, d))
        if get(samples(lv.scrape()), "bouncewatch_alerts_total", condition="source_down") != 1:
            raise Fail("alerts_total{condition=source_down} is not 1")
        # back: up, read, and no second alert
        os.mkdir(hur)
        lv.log = os.path.join(hur, "20261205Processed.log")
        lv.append(burst(4, time.time(), start=30, domain="example.com"))
        wait_for(lambda: up() == 1, "source_up 1 when a file matches again", 15)
        lv.wait_caught_up()
        time.sleep(2)
        if lv.q("select count(*) from alert")[0][0] != 1 or len(open(out).read().split("\n")) != 2:
            raise Fail("more than one source_down alert")
        lv.stop()
        print("glob_down: pattern up 1 with files, 0 without them or their directory, "
              "one source_down alert (%s) %ds after, none more; up and read again" % (
                  d["why"], d["time"] - d["down_since"]))
    finally:
        if os.environ.get("KEEP") is None: lv.cleanup()


def scenario_alert_hang():
    """An alert_command that hangs is killed at alert_timeout; the daemon
    keeps ingesting meanwhile."""
    lv = Live("alert-hang")
    try:
        pidf = os.path.join(lv.dir, "child.pid")
        cmd = alert_script(lv, 'echo $$ > "%s.tmp"; mv "%s.tmp" "%s"\n'
                           'trap "" TERM\nwhile :; do sleep 1; done\n' % (pidf, pidf, pidf))
        lv.write_conf("alert_command = %s\nalert_timeout = 4s\n" % cmd)
        lv.start()
        lv.append(burst(40, time.time()))
        wait_for(lambda: os.path.exists(pidf), "the alert command to start")
        child = int(open(pidf).read())
        # it hangs; lines written now are read all the same
        lv.append(burst(50, time.time(), start=200, domain="example.com"))
        lv.wait_caught_up()
        if not os.path.exists("/proc/%d" % child):
            raise Fail("the command ended before the ingest check (timeout too short?)")
        wait_for(lambda: not os.path.exists("/proc/%d" % child) or
                 open("/proc/%d/stat" % child).read().split()[2] == "Z",
                 "the hanging command to be killed", 30)
        wait_for(lambda: "killed after 4s" in lv.daemon_log(), "the kill to be logged", 10)
        lv.append(burst(5, time.time(), start=400, domain="example.org"))
        lv.wait_caught_up()
        lv.stop()
        print("alert_hang: the command was killed at its timeout; ingest went on")
    finally:
        if os.environ.get("KEEP") is None: lv.cleanup()


def scenario_http_abuse():
    """Slow, malformed, oversized and too many clients: each gets its answer
    or is cut off, and ingest never waits for them."""
    lv = Live("http")
    try:
        lines = genlog(["--lines", "6000", "--seed", "9", "--format", "bsd",
                        "--start", "2026-11-22T08:00:00"])
        lv.start()
        lv.append(lines[:2000])
        lv.wait_caught_up()
        slow = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        slow.connect(lv.sock)
        slow.sendall(b"GET /metr")   # and never more
        t_slow = time.time()
        time.sleep(0.2)
        idle = []
        for _ in range(40):          # more than the cap, sending nothing
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(lv.sock)
            idle.append(s)
        lv.append(lines[2000:4000])
        lv.wait_caught_up()          # read while every slot is taken
        # the ones over the cap were told so at once
        busy = 0
        for s in idle:
            s.settimeout(0.2)
            try:
                if s.recv(100).startswith(b"HTTP/1.1 503"):
                    busy += 1
            except socket.timeout:
                pass
        if busy < 8:
            raise Fail("%d of 41 connections over the cap of 32 got 503" % busy)
        for s in idle:
            s.close()
        time.sleep(0.2)
        r = lv.request(b"GET /metrics HTTP/1.1\r\n\r\n")
        if not r.startswith(b"HTTP/1.1 400 "):
            raise Fail("no Host: %r" % r[:40])
        r = lv.request(b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + b"\x00" * 100)
        if not r.startswith(b"HTTP/1.1 400 "):
            raise Fail("TLS hello: %r" % r[:40])
        r = lv.request(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX: " + b"a" * 20000 + b"\r\n\r\n")
        if not r.startswith(b"HTTP/1.1 431 "):
            raise Fail("oversized head: %r" % r[:40])
        r = lv.request(b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        if not r.startswith(b"HTTP/1.1 414 "):
            raise Fail("long target: %r" % r[:40])
        r = lv.request(b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nab")
        if not r.startswith(b"HTTP/1.1 405 ") or b"Allow: GET, HEAD" not in r:
            raise Fail("POST: %r" % r[:80])
        r = lv.request(b"GET /nothing HTTP/1.0\r\n\r\n")
        if not r.startswith(b"HTTP/1.1 404 "):
            raise Fail("404: %r" % r[:40])
        # the slow client is cut off at the read timeout
        slow.settimeout(20)
        if slow.recv(100) != b"":
            raise Fail("the slow client got an answer")
        slow.close()
        lv.append(lines[4000:])
        lv.wait_caught_up()
        compare_with_db(lv, lv.scrape())
        lv.stop()
        print("http_abuse: %d over the cap got 503, 400/431/414/405/404 as due, "
              "slow client cut %.1fs after it connected; ingest went on" % (busy, time.time() - t_slow))
    finally:
        if os.environ.get("KEEP") is None: lv.cleanup()


def scenario_tcp():
    """metrics_listen on loopback TCP (IPv4 and IPv6 where there is one)."""
    for host, fam in (("127.0.0.1", socket.AF_INET), ("::1", socket.AF_INET6)):
        try:
            probe = socket.socket(fam, socket.SOCK_STREAM)
            probe.bind((host, 0))
        except OSError:
            continue
        port = probe.getsockname()[1]
        probe.close()
        spec = "%s:%d" % (host, port) if fam == socket.AF_INET else "[%s]:%d" % (host, port)
        lv = Live("tcp", "metrics_listen = %s\n" % spec)
        lv.addr = (fam, (host, port))
        try:
            lv.proc = subprocess.Popen([BWD, "-f", "-c", lv.conf],
                                       stdout=subprocess.DEVNULL, stderr=lv.err)
            def up():
                try:
                    socket.create_connection((host, port), timeout=1).close()
                    return True
                except OSError:
                    return False
            wait_for(up, "the TCP listener")
            data = lv.request(b"GET /metrics HTTP/1.0\r\n\r\n")
            if not data.startswith(b"HTTP/1.1 200 OK") or b"bouncewatch_deliveries_total" not in data:
                raise Fail("%s: %r" % (spec, data[:80]))
            # the log goes away, comes back: source_up follows
            def up_is(v):
                return lambda: get(samples(lv.scrape()), "bouncewatch_source_up", source=lv.log) == v
            wait_for(up_is(1), "source_up 1")
            os.unlink(lv.log)
            wait_for(up_is(0), "source_up 0 without the log")
            open(lv.log, "ab").close()
            wait_for(up_is(1), "source_up 1 with the log back")
            lv.stop()
            print("tcp: %s serves /metrics; source_up follows the log going and coming back" % spec)
        finally:
            if os.environ.get("KEEP") is None: lv.cleanup()


SCENARIOS = {
    "metrics": scenario_metrics,
    "alert": scenario_alert,
    "alert_hang": scenario_alert_hang,
    "source_down": scenario_source_down,
    "glob_down": scenario_glob_down,
    "rate_jump": scenario_rate_jump,
    "http_abuse": scenario_http_abuse,
    "tcp": scenario_tcp,
}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in SCENARIOS:
        sys.exit("usage: live_harness.py {%s}" % "|".join(SCENARIOS))
    try:
        SCENARIOS[sys.argv[1]]()
    except Skip as e:
        print("SKIP: %s" % e)
        sys.exit(77)
    except Fail as e:
        print("FAIL: %s" % e)
        sys.exit(1)
