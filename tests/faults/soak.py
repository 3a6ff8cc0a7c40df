#!/usr/bin/env python3
"""Soak test for bouncewatchd: a writer, random rotations of every kind,
random pauses, kills and restarts, and clock steps, for a bounded time;
then the database must hold exactly the complete lines on disk.

  python3 tests/faults/soak.py --seconds 60 --build BUILDDIR [--seed N]

What runs, picked at random (--seed makes a run repeatable):
  - bursts of lines from a generated Postfix log (bench/genlog.py);
  - rotations: rename + create (NAME.1, older ones shifted and gzipped,
    logrotate's delaycompress), rename + compress at once (NAME.1.gz),
    copytruncate, dateext (NAME-YYYYMMDD-N), and every so often two at once;
  - SIGSTOP for 0.1-2.5 s while writing and rotating go on;
  - SIGKILL or SIGTERM, then a restart;
  - clock steps: the daemon always runs under libfaketime (Debian package
    faketime) reading its offset from a file; the offset jumps (back and
    forth, up to two hours) at restarts and while it runs.  Only the
    wall clock moves (DONT_FAKE_MONOTONIC), as on a real machine.
Rotated files are never deleted: every line written is on disk at the end,
except the lines of copytruncate's own window (written after the copy and
before the truncation, while the daemon is stopped so it cannot have read
them): those are counted and reported apart.

The end: SIGCONT, wait until the daemon has caught up, SIGTERM (exit 0
required), then compare: line_stats total == lines on disk, deliveries
counted == "bouncewatch classify" over those lines, integrity_check ok,
no gap row.  Exit 0 when exact, 1 otherwise, 77 when libfaketime is
missing.
"""
import argparse
import gzip
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

# the longest wait for the daemon to store every line after the actions
# (scripts/test-real-tools gives soak-fixed 150 s of actions and 240 s in all)
CATCH_UP = 60

HERE = os.path.dirname(os.path.abspath(__file__))
TOP_SRC = os.path.abspath(os.path.join(HERE, "..", ".."))


def faketime_lib():
    for d in ("/usr/lib/x86_64-linux-gnu/faketime", "/usr/lib/aarch64-linux-gnu/faketime",
              "/usr/lib/faketime", "/usr/local/lib/faketime"):
        lib = os.path.join(d, "libfaketime.so.1")
        if os.path.exists(lib):
            return lib
    return None


class Soak:
    def __init__(self, build, seed, keep):
        self.bw = os.path.join(build, "src", "bouncewatch")
        self.bwd = os.path.join(build, "src", "bouncewatchd")
        self.rnd = random.Random(seed)
        self.keep = keep
        self.dir = tempfile.mkdtemp(prefix="bw-soak.")
        self.log = os.path.join(self.dir, "mail.log")
        self.db = os.path.join(self.dir, "bw.db")
        self.conf = os.path.join(self.dir, "bouncewatch.conf")
        self.clock = os.path.join(self.dir, "faketime")
        with open(self.conf, "w") as f:
            f.write("log = %s\ndatabase = %s\npidfile = %s/bw.pid\n"
                    "commit_interval = 100ms\nrotate_quiet = 1s\ntimezone = UTC\n"
                    % (self.log, self.db, self.dir))
        self.set_clock(0)
        self.source = self.make_source()
        self.next = 0
        self.on_disk = []          # complete lines that are on disk, in order written
        self.window = 0            # lines lost in copytruncate's window, by design
        self.proc = None
        self.stopped = False
        self.seq = 0
        self.stderr = open(os.path.join(self.dir, "daemon.err"), "ab")
        self.n = dict(bursts=0, rename=0, compress=0, copytruncate=0, dateext=0,
                      double=0, stop=0, kill=0, term=0, clock=0)
        self.phase = "setup"

    def make_source(self):
        out = subprocess.run([sys.executable, os.path.join(TOP_SRC, "bench", "genlog.py"),
                              "--lines", "100000", "--seed", "11", "--format", "bsd",
                              "--start", "2026-11-22T08:00:00"],
                             check=True, capture_output=True).stdout
        # expiries are attributed through pending state: one line, one count
        return [l for l in out.split(b"\n") if l and b"status=expired" not in l]

    def take(self, n):
        """The next n lines; past the end of the source, the source again
        with its host names changed (c1mx1 ...): every generation still
        begins with bytes of its own, as real logs with their timestamps."""
        lines = []
        for _ in range(n):
            cycle, i = divmod(self.next, len(self.source))
            line = self.source[i]
            if cycle:
                line = line.replace(b" mx", b" c%dmx" % cycle, 1)
            lines.append(line)
            self.next += 1
        return lines

    # -- the clock --
    def set_clock(self, seconds):
        self.offset = seconds
        tmp = self.clock + ".tmp"
        with open(tmp, "w") as f:
            f.write("%+ds\n" % seconds)
        os.rename(tmp, self.clock)

    def step_clock(self):
        self.set_clock(self.rnd.choice((-7200, -3600, -600, 0, 0, 600, 3600)))
        self.n["clock"] += 1

    # -- the daemon --
    def start(self):
        env = dict(os.environ, LD_PRELOAD=faketime_lib(), FAKETIME_TIMESTAMP_FILE=self.clock,
                   FAKETIME_CACHE_DURATION="1", DONT_FAKE_MONOTONIC="1", TZ="UTC")
        before = self.daemon_log().count("started: following")
        self.proc = subprocess.Popen([self.bwd, "-f", "-c", self.conf] +
                                     (["-v"] if os.environ.get("SOAK_VERBOSE") else []),
                                     stdout=subprocess.DEVNULL, stderr=self.stderr, env=env)
        self.stopped = False
        # signals are for a daemon that is up (one that is starting may die of them)
        end = time.time() + 30
        while self.daemon_log().count("started: following") == before:
            self.alive()
            if time.time() > end:
                raise SystemExit("FAIL: the daemon did not start (log in %s)" % self.dir)
            time.sleep(0.02)

    def daemon_log(self):
        self.stderr.flush()
        with open(os.path.join(self.dir, "daemon.err"), "rb") as f:
            return f.read().decode(errors="replace")

    def end_daemon(self, sig):
        if self.stopped:
            self.proc.send_signal(signal.SIGCONT)
            self.stopped = False
        self.proc.send_signal(sig)
        rc = self.proc.wait(timeout=60)
        self.proc = None
        if sig == signal.SIGTERM and rc != 0:
            raise SystemExit("FAIL: the daemon exited %d on SIGTERM (log in %s)"
                             % (rc, self.dir))
        if sig == signal.SIGKILL and rc != -signal.SIGKILL:
            raise SystemExit("FAIL: the daemon ended with %d before SIGKILL" % rc)

    def alive(self):
        if self.proc.poll() is not None:
            raise SystemExit("FAIL: the daemon died (%d); log in %s"
                             % (self.proc.returncode, self.dir))

    # -- the log --
    def write(self, n):
        if self.keep:
            self.note("write %d" % n)
        lines = self.take(n)
        with open(self.log, "ab") as f:
            f.write(b"".join(l + b"\n" for l in lines))
        self.on_disk.extend(lines)

    def numbered(self):
        """Rotated NAME.N[.gz], oldest (largest N) first."""
        base = os.path.basename(self.log)
        found = []
        for name in os.listdir(self.dir):
            rest = name[len(base) + 1:] if name.startswith(base + ".") else ""
            num = rest[:-3] if rest.endswith(".gz") else rest
            if num.isdigit():
                found.append((int(num), name))
        return [name for _, name in sorted(found, reverse=True)]

    def shift(self):
        """NAME.N -> NAME.N+1 (oldest first), NAME.2 gzipped (delaycompress)."""
        for name in self.numbered():
            gz = name.endswith(".gz")
            num = int(name[len(os.path.basename(self.log)) + 1:].split(".")[0])
            os.rename(os.path.join(self.dir, name),
                      "%s.%d%s" % (self.log, num + 1, ".gz" if gz else ""))
        if os.path.exists(self.log + ".2"):
            gzip_file(self.log + ".2")

    def note(self, msg):
        """Actions go into the daemon's log, in order with what it says."""
        self.stderr.write(("soak: %s\n" % msg).encode())
        self.stderr.flush()

    def rotate(self, kind):
        self.n[kind] += 1
        self.note("rotate %s (live inode %d, %d bytes)" % (
            kind, os.stat(self.log).st_ino, os.stat(self.log).st_size))
        if kind == "dateext":
            self.seq += 1
            os.rename(self.log, "%s-20261124-%04d" % (self.log, self.seq))
            return
        self.shift()
        if kind == "copytruncate":
            shutil.copyfile(self.log, self.log + ".1")
            if self.stopped:
                # the writer goes on between the copy and the truncation
                k = self.rnd.randint(0, 5)
                lines = self.take(k)
                with open(self.log, "ab") as f:
                    f.write(b"".join(l + b"\n" for l in lines))
                self.window += k
            os.truncate(self.log, 0)
            return
        os.rename(self.log, self.log + ".1")
        if kind == "compress":
            gzip_file(self.log + ".1")

    # -- the run --
    def step(self):
        r = self.rnd.random()
        if r < 0.55:
            self.write(self.rnd.randint(20, 400))
            self.n["bursts"] += 1
        elif r < 0.75:
            if not os.path.exists(self.log):
                self.write(1)
            kind = self.rnd.choice(("rename", "rename", "compress", "copytruncate",
                                    "copytruncate", "dateext"))
            self.rotate(kind)
            self.write(self.rnd.randint(1, 200))
            if self.rnd.random() < 0.3:
                self.n["double"] += 1
                self.rotate(kind)
                self.write(self.rnd.randint(1, 100))
        elif r < 0.85 and not self.stopped:
            self.proc.send_signal(signal.SIGSTOP)
            self.note("SIGSTOP")
            self.stopped = True
            self.stop_until = time.time() + self.rnd.uniform(0.1, 2.5)
            self.n["stop"] += 1
        elif r < 0.90:
            sig = signal.SIGKILL if self.rnd.random() < 0.6 else signal.SIGTERM
            self.end_daemon(sig)
            self.note("ended with signal %d" % sig)
            self.n["kill" if sig == signal.SIGKILL else "term"] += 1
            # while it is down: lines, maybe a rotation, maybe a clock step
            self.write(self.rnd.randint(0, 300))
            if self.rnd.random() < 0.5:
                self.rotate(self.rnd.choice(("rename", "compress", "copytruncate", "dateext")))
                self.write(self.rnd.randint(1, 100))
            if self.rnd.random() < 0.5:
                self.step_clock()
            self.start()
        elif r < 0.93:
            self.step_clock()
        if self.stopped and time.time() >= self.stop_until:
            self.note("SIGCONT")
            self.proc.send_signal(signal.SIGCONT)
            self.stopped = False
        time.sleep(self.rnd.uniform(0, 0.15))
        self.alive()

    def q(self, sql):
        c = sqlite3.connect("file:%s?mode=ro" % self.db, uri=True, timeout=10)
        try:
            return c.execute(sql).fetchall()
        finally:
            c.close()

    def stored(self):
        try:
            return self.q("select coalesce(sum(n), 0) from line_stats")[0][0]
        except sqlite3.Error:
            return -1

    def reference_deliveries(self):
        ref = os.path.join(self.dir, "reference.log")
        with open(ref, "wb") as f:
            f.write(b"".join(l + b"\n" for l in self.on_disk))
        out = subprocess.run([self.bw, "classify", "--timezone", "UTC", "--format", "tsv", ref],
                             check=True, capture_output=True,
                             env=dict(os.environ, TZ="UTC")
                             ).stdout.decode()
        return sum(1 for row in out.split("\n")[1:] if row)

    def tell(self):
        """What the daemon said last, and what lies in the directory."""
        print("  the daemon's last words (%s/daemon.err):" % self.dir)
        for line in self.daemon_log().splitlines()[-30:]:
            print("    " + line[:300])
        names = sorted((n for n in os.listdir(self.dir) if n.startswith("mail.log")),
                       key=lambda n: os.stat(os.path.join(self.dir, n)).st_mtime_ns)
        print("  %d log files; the newest: %s" % (len(names), ", ".join(
            "%s %d" % (n, os.stat(os.path.join(self.dir, n)).st_size)
            for n in names[-12:])), flush=True)

    def run(self, seconds):
        self.phase = "actions"
        self.write(200)
        self.start()
        t0 = time.time()
        said = t0
        while time.time() - t0 < seconds:
            self.step()
            if time.time() - said >= 30:
                # a run that hangs shows where it was
                said = time.time()
                print("soak: %.0f s: %d lines on disk, %d stored%s" % (
                    said - t0, len(self.on_disk), self.stored(),
                    " (daemon stopped)" if self.stopped else ""), flush=True)
        if self.stopped:
            self.proc.send_signal(signal.SIGCONT)
            self.stopped = False
        want = len(self.on_disk)
        self.phase = "catch-up"
        print("soak: %.0f s of actions done; %d lines on disk, %d stored; waiting up to "
              "%d s for the daemon" % (time.time() - t0, want, self.stored(), CATCH_UP),
              flush=True)
        end = time.time() + CATCH_UP
        while time.time() < end and self.stored() != want:
            self.alive()
            time.sleep(0.2)
        if self.stored() != want:
            print("soak: not caught up after %d s: %d lines on disk, %d stored"
                  % (CATCH_UP, want, self.stored()), flush=True)
            self.tell()
        time.sleep(1.5)                 # anything read twice would show now
        self.phase = "the end"
        self.end_daemon(signal.SIGTERM)
        got = self.stored()
        deliveries = self.q("select coalesce(sum(n), 0) from daily")[0][0]
        ref = self.reference_deliveries()
        gaps = self.q("select reason, count(*) from gap group by reason")
        ic = self.q("pragma integrity_check")[0][0]
        print("soak: %.0f s, seed %s, clock offset now %+d s" % (seconds, self.seed, self.offset))
        print("  events: %s" % ", ".join("%s %d" % kv for kv in sorted(self.n.items())))
        print("  lines on disk %d, stored %d (difference %+d)" % (want, got, got - want))
        print("  copytruncate window (written after the copy, before the truncation, "
              "lost by design): %d lines" % self.window)
        print("  deliveries counted %d, reference %d; gaps %s; integrity %s"
              % (deliveries, ref, gaps or "none", ic))
        ok = got == want and deliveries == ref and not gaps and ic == "ok"
        print("PASS: soak" if ok else "FAIL: soak (kept %s)" % self.dir)
        if ok and not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)
        return 0 if ok else 1


def gzip_file(path):
    """gzip(1): PATH.gz written with PATH's modification time, then PATH removed."""
    st = os.stat(path)
    with open(path, "rb") as src, gzip.open(path + ".gz.tmp", "wb") as dst:
        shutil.copyfileobj(src, dst)
    os.utime(path + ".gz.tmp", ns=(st.st_atime_ns, st.st_mtime_ns))
    os.rename(path + ".gz.tmp", path + ".gz")
    os.unlink(path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--build", default=os.environ.get("top_builddir", "."),
                    help="the build directory (with src/bouncewatchd)")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--keep", action="store_true", help="keep the directory on success")
    a = ap.parse_args()
    if faketime_lib() is None:
        print("SKIP: soak: libfaketime is not installed (Debian package faketime)")
        return 77
    seed = a.seed if a.seed is not None else random.randrange(1 << 30)
    s = Soak(os.path.abspath(a.build), seed, a.keep)
    s.seed = seed
    # said first, so that a run that hangs or is killed can be repeated
    print("soak: seed %d (repeat with --seed %d)" % (seed, seed), flush=True)

    def killed(sig, frame):
        # timeout(1) of the harness: say where the run was before it ends
        print("soak: signal %d during %s" % (sig, s.phase), flush=True)
        s.tell()
        raise SystemExit("FAIL: soak (ended by signal %d; kept %s)" % (sig, s.dir))
    signal.signal(signal.SIGTERM, killed)
    try:
        return s.run(a.seconds)
    finally:
        if s.proc is not None:
            if s.stopped:
                s.proc.send_signal(signal.SIGCONT)
            s.proc.kill()
            s.proc.wait()


if __name__ == "__main__":
    sys.exit(main())
