#!/usr/bin/env python3
"""A fleet of three MTAs writing into one PostgreSQL database.

Three bouncewatchd, node = mx1..mx3, each follow a log of their own that
grows while they run (host mx1..mx3 in its lines), and write into the one
database of PG_URI.  Half way, one is killed with SIGKILL and started
again.  On top of that, by scenario:
  kill9      nothing more
  restart    the server is restarted while they write
  terminate  their connections are cut (pg_terminate_backend), three times
  diskfull   the failure table's disk (a small tmpfs tablespace) fills up
             for a while: every writer stalls, then goes on
Then the database must hold what the three logs imported into three
separate SQLite databases hold: totals per class, per day, domain, class
and reason, per host, the failure rows themselves, and the lines read per
node.  Nothing lost, nothing twice.

usage: pg_fleet.py SCENARIO   (run by tests/pg_fleet.sh)
Environment: top_srcdir, top_builddir, PG_URI, PG_RESTART (a command);
KEEP=1 keeps the scratch directory (logs, configurations, daemon output).
"""
import collections
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

TOP_SRC = os.environ.get("top_srcdir", ".")
TOP_BUILD = os.environ.get("top_builddir", ".")
BW = os.path.join(TOP_BUILD, "src", "bouncewatch")
BWD = os.path.join(TOP_BUILD, "src", "bouncewatchd")
GENLOG = os.path.join(TOP_SRC, "bench", "genlog.py")
URI = os.environ["PG_URI"]
LINES = 12000
CHUNK = 400
NODES = ("mx1", "mx2", "mx3")


class Fail(Exception):
    pass


def psql(sql, check=True):
    p = subprocess.run(["psql", "-X", "-q", "-At", "-F", "|", "-d", URI, "-c", sql],
                       capture_output=True, text=True)
    if p.returncode != 0 and check:
        raise Fail("psql: %s" % p.stderr.strip())
    return [l for l in p.stdout.split("\n") if l]


def make_log(node, seed, path):
    out = subprocess.run([sys.executable, GENLOG, "--lines", str(LINES), "--seed", str(seed),
                          "--format", "bsd", "--start", "2026-11-22T08:00:00"],
                         check=True, capture_output=True).stdout
    lines = []
    for l in out.split(b"\n")[:-1]:
        # "Nov 22 08:00:00 mx1 ...": the host field names the node
        if l[16:20] == b"mx1 ":
            l = l[:16] + node.encode() + l[19:]
        lines.append(l + b"\n")
    with open(path + ".full", "wb") as f:
        f.writelines(lines)
    return lines


class Daemon:
    def __init__(self, d, node):
        self.node = node
        self.log = os.path.join(d, node + ".log")
        self.conf = os.path.join(d, node + ".conf")
        self.err = open(os.path.join(d, node + ".err"), "ab")
        with open(self.conf, "w") as f:
            f.write("log = %s\ndatabase = %s\nnode = %s\npidfile = %s/%s.pid\n"
                    "commit_interval = 100ms\nrotate_quiet = 1s\ntimezone = UTC\n"
                    % (self.log, URI, node, d, node))
        os.chmod(self.conf, 0o600)
        open(self.log, "wb").close()
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen([BWD, "-c", self.conf, "-f"], stdout=self.err,
                                     stderr=self.err)

    def alive(self):
        return self.proc.poll() is None

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=60)
        if rc != 0:
            raise Fail("%s exited %d at SIGTERM" % (self.node, rc))


def lines_read():
    got = dict((n, 0) for n in NODES)
    # (before the first writer made the schema, or while the server restarts: 0)
    for row in psql("SELECT n.name, coalesce(sum(s.lines), 0) FROM node n"
                    " LEFT JOIN source s ON s.node_id = n.id GROUP BY n.name", False):
        name, n = row.split("|")
        got[name] = int(n)
    return got


def reference(d, logs):
    """The three logs imported into three SQLite databases, summed."""
    ref = collections.defaultdict(collections.Counter)
    for node in NODES:
        db = os.path.join(d, node + ".db")
        subprocess.run([BW, "import", "--quiet", "--db", db, logs[node] + ".full"],
                       check=True, env=dict(os.environ, TZ="UTC"))
        con = sqlite3.connect(db)
        for q, key in QUERIES:
            for row in con.execute(q):
                ref[key][tuple("" if v is None else str(v) for v in row[:-1])] += row[-1]
        con.close()
    return ref


QUERIES = (
    ("SELECT class, sum(n) FROM v_daily GROUP BY 1", "class"),
    ("SELECT day, domain, class, reason, sum(n) FROM v_daily GROUP BY 1, 2, 3, 4", "domain"),
    ("SELECT host, class, reason, count(*) FROM v_failures GROUP BY 1, 2, 3", "host"),
    ("SELECT day, host, instance, class, sum(n) FROM v_daily GROUP BY 1, 2, 3, 4",
     "host-counters"),
    ("SELECT time, host, queue_id, recipient, status, class, reason, diagnostic, count(*)"
     " FROM v_failures GROUP BY 1, 2, 3, 4, 5, 6, 7, 8", "rows"),
    ("SELECT kind, sum(n) FROM line_stats GROUP BY 1", "kinds"),
)


def stored():
    got = collections.defaultdict(collections.Counter)
    for q, key in QUERIES:
        for row in psql(q):
            f = row.split("|")
            got[key][tuple(f[:-1])] += int(f[-1])
    return got


def compare(ref, got):
    for _, key in QUERIES:
        if ref[key] != got[key]:
            missing = ref[key] - got[key]
            extra = got[key] - ref[key]
            raise Fail("%s differ: %d missing, %d extra, e.g. %s %s" % (
                key, sum(missing.values()), sum(extra.values()),
                list(missing.items())[:2], list(extra.items())[:2]))
        print("ok - %s: %d keys, %d in all, equal to the SQLite imports"
              % (key, len(ref[key]), sum(ref[key].values())))


def terminate():
    psql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
         " WHERE application_name = 'bouncewatch'")


class DiskFull:
    """The failure table on a 4 MB tmpfs, filled up and freed on demand."""

    def __init__(self, d):
        self.mnt = os.path.join(d, "small")
        os.chmod(d, 0o755)  # the server's user reaches its tablespace
        os.mkdir(self.mnt)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", self.mnt],
                       check=True)
        self.space = os.path.join(self.mnt, "ts")
        os.mkdir(self.space, 0o700)
        if os.getuid() == 0:
            subprocess.run(["chown", os.environ.get("PG_RUNAS", "nobody"), self.space],
                           check=True)
        self.filler = os.path.join(self.mnt, "filler")
        empty = os.path.join(d, "empty.log")
        open(empty, "w").close()
        # the schema first (an import of nothing), then its failure rows moved
        subprocess.run([BW, "import", "--quiet", "--db", URI, empty], check=True)
        psql("CREATE TABLESPACE bw_small LOCATION '%s'" % self.space)
        psql("ALTER TABLE failure SET TABLESPACE bw_small")

    def fill(self):
        with open(self.filler, "wb") as f:
            try:
                while True:
                    f.write(b"\0" * 65536)
                    f.flush()
            except OSError:
                pass

    def free(self):
        os.unlink(self.filler)

    def close(self):
        subprocess.run(["umount", "-l", self.mnt])


def reports(d):
    """report --host mx2 from the shared database = mx2's own SQLite report
    (asked with --host mx2 too: the report names the hosts it covers)."""
    env = dict(os.environ, TZ="UTC", BOUNCEWATCH_NOW="2026-11-23T12:00:00Z")
    for fmt in ("text", "json", "csv", "html"):
        args = ["report", "--format", fmt, "--from", "2026-11-21", "--to", "2026-11-22",
                "--host", "mx2"]
        own = subprocess.run([BW] + args + ["--db", os.path.join(d, "mx2.db")],
                             check=True, capture_output=True, env=env).stdout
        shared = subprocess.run([BW] + args + ["--db", URI],
                                check=True, capture_output=True, env=env).stdout
        if own != shared:
            for name, text in (("own", own), ("shared", shared)):
                with open(os.path.join(d, "report-%s.%s" % (name, fmt)), "wb") as f:
                    f.write(text)
            raise Fail("report --host mx2 --format %s differs from mx2's own (%s)"
                       % (fmt, d))
    print("ok - report --host mx2 from PostgreSQL equals mx2's SQLite report: "
          "text, json, csv, html")


def run(scenario):
    d = tempfile.mkdtemp(prefix="bw-fleet.")
    ds = dict((n, Daemon(d, n)) for n in NODES)
    logs = {}
    full = {}
    for i, n in enumerate(NODES):
        logs[n] = ds[n].log
        full[n] = make_log(n, 21 + i, ds[n].log)
    disk = DiskFull(d) if scenario == "diskfull" else None
    for dm in ds.values():
        dm.start()
    pos = dict((n, 0) for n in NODES)
    half = LINES // 2
    victim = ds["mx2"]
    killed = running = False
    # events at a share of mx1's log written: (share, what)
    events = {"restart": [(2 / 3, lambda: subprocess.run(["sh", "-c", os.environ["PG_RESTART"]],
                                                         check=True))],
              "terminate": [(1 / 4, terminate), (1 / 2, terminate), (3 / 4, terminate)],
              "diskfull": [(1 / 3, lambda: disk.fill()), (2 / 3, lambda: disk.free())]
              }.get(scenario, [])
    try:
        while any(pos[n] < len(full[n]) for n in NODES):
            for n in NODES:
                with open(logs[n], "ab") as f:
                    f.writelines(full[n][pos[n]:pos[n] + CHUNK])
                pos[n] = min(pos[n] + CHUNK, len(full[n]))
            time.sleep(0.03)
            if not killed and pos["mx2"] >= half:
                # 30 ms after a chunk was appended, within the commit
                # interval: in the middle of a batch
                before = lines_read()["mx2"]
                victim.kill9()
                killed = True
                time.sleep(0.2)
                victim.start()
                # back and committing before anything else is done to it
                end = time.time() + 20
                while lines_read()["mx2"] <= before and time.time() < end:
                    time.sleep(0.05)
            # once every writer has committed (opened, schema made)
            if events and not running:
                running = all(v > 0 for v in lines_read().values())
            while running and events and pos["mx1"] >= events[0][0] * LINES:
                events.pop(0)[1]()
            for n in NODES:
                if not ds[n].alive():
                    raise Fail("%s exited %s" % (n, ds[n].proc.returncode))
        want = dict((n, len(full[n])) for n in NODES)
        end = time.time() + 90
        while lines_read() != want:
            if time.time() > end:
                raise Fail("lines read %s, written %s" % (lines_read(), want))
            for n in NODES:
                if not ds[n].alive():
                    raise Fail("%s exited %s" % (n, ds[n].proc.returncode))
            time.sleep(0.2)
        for dm in ds.values():
            dm.stop()
    except BaseException:
        if disk is not None:
            disk.close()
        raise
    finally:
        for dm in ds.values():
            if dm.proc is not None and dm.alive():
                dm.proc.kill()
                dm.proc.wait()
    print("ok - %s: every line of the three logs read once (%s)" % (scenario, want))
    try:
        compare(reference(d, logs), stored())
        if scenario == "kill9":
            reports(d)
    finally:
        if disk is not None:
            psql("ALTER TABLE failure SET TABLESPACE pg_default")
            disk.close()
    errs = "".join(open(os.path.join(d, n + ".err"), errors="replace").read() for n in NODES)
    if "deadlock" in errs:
        raise Fail("%s: a deadlock between writers:\n%s" % (scenario, errs))
    want_err = {"restart": "stalled", "terminate": "stalled", "diskfull": "disk full"}
    if scenario in want_err and want_err[scenario] not in errs:
        raise Fail("%s: no writer said \"%s\":\n%s" % (scenario, want_err[scenario], errs))
    if scenario in want_err:
        print("ok - %s: the writers stalled and went on: %d stall(s) logged"
              % (scenario, errs.count("ingestion stalled")))
    if os.environ.get("KEEP") is None:
        subprocess.run(["rm", "-rf", d])
    else:
        print(d)


if __name__ == "__main__":
    try:
        run(sys.argv[1])
    except Fail as e:
        print("FAIL: %s" % e, file=sys.stderr)
        sys.exit(1)
