#!/usr/bin/env python3
"""A fleet of three MTAs writing into one PostgreSQL database.

Three bouncewatchd, node = mx1..mx3, each follow a log of their own that
grows while they run (host mx1..mx3 in its lines), and write into the one
database of PG_URI.  Half way, one is killed with SIGKILL and started
again; with "restart", the server is also restarted while they write.
Then the database must hold what the three logs imported into three
separate SQLite databases hold: totals per class, per day, domain, class
and reason, per host, the failure rows themselves, and the lines read per
node.  Nothing lost, nothing twice.

usage: pg_fleet.py kill9|restart   (run by tests/pg_fleet.sh)
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


def psql(sql):
    out = subprocess.run(["psql", "-X", "-q", "-At", "-F", "|", "-d", URI, "-c", sql],
                         check=True, capture_output=True, text=True).stdout
    return [l for l in out.split("\n") if l]


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
    for row in psql("SELECT n.name, coalesce(sum(s.lines), 0) FROM node n"
                    " LEFT JOIN source s ON s.node_id = n.id GROUP BY n.name"):
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


def run(scenario):
    d = tempfile.mkdtemp(prefix="bw-fleet.")
    ds = dict((n, Daemon(d, n)) for n in NODES)
    logs = {}
    full = {}
    for i, n in enumerate(NODES):
        logs[n] = ds[n].log
        full[n] = make_log(n, 21 + i, ds[n].log)
    for dm in ds.values():
        dm.start()
    pos = dict((n, 0) for n in NODES)
    half = LINES // 2
    victim = ds["mx2"]
    killed = restarted = False
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
                victim.kill9()
                killed = True
                time.sleep(0.2)
                victim.start()
            if scenario == "restart" and not restarted and pos["mx1"] >= LINES * 2 // 3:
                subprocess.run(["sh", "-c", os.environ["PG_RESTART"]], check=True)
                restarted = True
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
    finally:
        for dm in ds.values():
            if dm.proc is not None and dm.alive():
                dm.proc.kill()
                dm.proc.wait()
    print("ok - %s: every line of the three logs read once (%s)" % (scenario, want))
    compare(reference(d, logs), stored())
    errs = "".join(open(os.path.join(d, n + ".err"), errors="replace").read() for n in NODES)
    if scenario == "restart" and "stalled" not in errs:
        raise Fail("the server restart did not stall a writer:\n" + errs)
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
