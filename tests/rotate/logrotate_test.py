#!/usr/bin/env python3
"""bouncewatchd under Debian's real logrotate(8), with a writer appending.

Each scenario: a fresh database and log; tests/rotate/writer.py appends
generated Postfix lines (bench/genlog.py, through tests/daemon_harness.py's
cached source) at a steady rate; bouncewatchd follows the log; logrotate -f
rotates it ROTATIONS times with the scenario's configuration while the
daemon runs, then once more while the daemon is stopped (SIGTERM, rotate,
start).  In create mode the writer reopens its file on SIGHUP from
postrotate, like a syslog daemon, so it writes late lines into the rotated
file first.  At the end: lines read (sum of line_stats) == lines written,
deliveries and failures equal the reference ("bouncewatch classify" over
the lines written), no gap, integrity_check ok.

copytruncate: lines written between logrotate's copy and its truncate are
in neither file (logrotate(8), copytruncate).  The exact scenarios pause
the writer around such a rotation (and wait until the daemon has caught
up); "copytruncate-nopause" does not pause and measures what is lost
(reported, not a failure: it is logrotate's design), while checking that
nothing is counted twice; "copytruncate-nopause-behind" does the same with
the daemon stopped (SIGSTOP) across each rotation, so that it cannot have
read the window from the live file before the truncate.

usage: logrotate_test.py [SCENARIO ...]     (default: all)
Environment: top_srcdir, top_builddir.
"""
import collections
import gzip
import os
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
os.environ.setdefault("top_srcdir", os.path.abspath(os.path.join(HERE, "..", "..")))
sys.path.insert(0, os.path.join(os.environ["top_srcdir"], "tests"))
import daemon_harness as dh            # noqa: E402
from daemon_harness import Fail, wait_for   # noqa: E402

WRITER = os.path.join(HERE, "writer.py")
DATEEXT = ["dateext", "dateformat -%Y%m%d-%s"]

# name: (logrotate directives, copytruncate?, pause around copytruncate,
#        writer lines/s, rotations while running)
SCENARIOS = collections.OrderedDict([
    ("create", (["create 0640"], False, False, 1000, 3)),
    ("create-compress", (["create 0640", "compress"], False, False, 1000, 3)),
    ("create-delaycompress", (["create 0640", "compress", "delaycompress"], False, False, 1000, 3)),
    ("create-dateext", (["create 0640", "compress", "delaycompress"] + DATEEXT, False, False, 1000, 3)),
    ("copytruncate", (["copytruncate"], True, True, 1000, 3)),
    ("copytruncate-compress-dateext", (["copytruncate", "compress"] + DATEEXT, True, True, 1000, 3)),
    ("copytruncate-delaycompress", (["copytruncate", "compress", "delaycompress"], True, True, 1000, 3)),
    ("copytruncate-nopause", (["copytruncate", "compress", "delaycompress"], True, False, 4000, 6)),
    # the same, with the daemon behind (SIGSTOP) across each rotation: what
    # was in the window is then lost for good
    ("copytruncate-nopause-behind", (["copytruncate", "compress", "delaycompress"], True, False,
                                     4000, 6)),
])


class Rot:
    def __init__(self, name, directives, copytruncate, pause, rate):
        self.h = dh.Harness("rotate-" + name)
        self.name = name
        self.copytruncate = copytruncate
        self.pause = pause
        self.rate = rate
        self.ctl = os.path.join(self.h.dir, "ctl")
        os.mkdir(self.ctl)
        self.state = os.path.join(self.h.dir, "logrotate.state")
        self.lrconf = os.path.join(self.h.dir, "logrotate.conf")
        body = ["%s {" % self.h.log, "    rotate 50", "    missingok"]
        body += ["    " + d for d in directives]
        if not copytruncate:
            body += ["    postrotate", "        kill -HUP $(cat %s/pid)" % self.ctl, "    endscript"]
        body.append("}")
        with open(self.lrconf, "w") as f:
            f.write("\n".join(body) + "\n")
        os.chmod(self.lrconf, 0o644)
        self.writer = None
        self.rotations = 0
        self.lost_windows = []

    def source_path(self):
        return os.path.join(tempfile.gettempdir(), "bw-daemon-source-v1.log")

    def start_writer(self):
        self.writer = subprocess.Popen([sys.executable, WRITER, self.h.log, self.source_path(),
                                        self.ctl, str(self.rate)])
        wait_for(lambda: os.path.exists(os.path.join(self.ctl, "pid")), "the writer", 10)

    def written(self):
        """Lines written so far (only exact while paused or stopped)."""
        p = os.path.join(self.ctl, "paused")
        with open(p) as f:
            return int(f.read().split()[0])

    def pause_writer(self):
        open(os.path.join(self.ctl, "pause"), "w").close()
        wait_for(lambda: os.path.exists(os.path.join(self.ctl, "paused")), "the writer to pause", 10)
        return self.written()

    def resume_writer(self):
        os.unlink(os.path.join(self.ctl, "pause"))

    def stop_writer(self):
        open(os.path.join(self.ctl, "stop"), "w").close()
        try:
            self.writer.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.writer.kill()
            raise Fail("the writer did not stop")
        self.writer = None
        with open(os.path.join(self.ctl, "count")) as f:
            n, reopens = (int(x) for x in f.read().split())
        self.h.written = self.h.source[:n]
        return n, reopens

    def logrotate(self):
        r = subprocess.run(["logrotate", "-f", "-s", self.state, self.lrconf],
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise Fail("logrotate exit %d: %s" % (r.returncode, r.stderr))
        self.rotations += 1

    def rotate(self, daemon_running=True):
        if self.copytruncate and self.pause:
            n = self.pause_writer()
            if daemon_running:
                self.h.wait_caught_up(n)
            self.logrotate()
            self.resume_writer()
        else:
            self.logrotate()

    def files_on_disk(self):
        """Every line still on disk, in the live file and every rotated file."""
        d = os.path.dirname(self.h.log)
        base = os.path.basename(self.h.log)
        total = 0
        for name in os.listdir(d):
            if name != base and not (name.startswith(base + ".") or name.startswith(base + "-")):
                continue
            p = os.path.join(d, name)
            opener = gzip.open if name.endswith(".gz") else open
            with opener(p, "rb") as f:
                total += f.read().count(b"\n")
        return total

    def close(self, ok):
        if self.writer is not None:
            self.writer.kill()
            self.writer.wait()
        self.h.close(ok)


def run(name, spec):
    directives, copytruncate, pause, rate, rotations = spec
    r = Rot(name, directives, copytruncate, pause, rate)
    h = r.h
    ok = False
    t0 = time.time()
    try:
        h.start()
        r.start_writer()
        behind = name.endswith("-behind")
        for _ in range(rotations):
            time.sleep(1.2)
            if behind:
                h.proc.send_signal(signal.SIGSTOP)
                time.sleep(0.2)
            r.rotate()
            if behind:
                time.sleep(0.2)
                h.proc.send_signal(signal.SIGCONT)
        time.sleep(0.8)
        # a rotation while the daemon is stopped
        if h.stop() != 0:
            raise Fail("SIGTERM: exit status not 0")
        time.sleep(0.3)
        r.rotate(daemon_running=False)
        time.sleep(0.3)
        h.start()
        time.sleep(1.2)
        n, reopens = r.stop_writer()
        on_disk = r.files_on_disk()
        if pause or not copytruncate:
            h.wait_caught_up(n, timeout=60)
            deliveries, failures = h.check()
            gaps = h.q("select count(*) from gap")[0][0]
            if gaps:
                raise Fail("%d gap rows" % gaps)
            if h.stop() != 0:
                raise Fail("SIGTERM: exit status not 0")
            print("PASS %s: %d lines written, %d read, %d on disk, %d rotations (1 while stopped), "
                  "%d writer reopens, %d deliveries, %d failures, %.1fs" % (
                      name, n, h.lines_read(), on_disk, r.rotations, reopens, deliveries,
                      failures, time.time() - t0))
        else:
            # copytruncate without a pause: measure.  Nothing may be
            # counted twice; what is lost is what logrotate lost.
            time.sleep(3)
            if h.proc.poll() is not None:
                raise Fail("the daemon died")
            read = h.lines_read()
            prev = -1
            end = time.time() + 30
            while read != prev and time.time() < end:
                prev = read
                time.sleep(1.5)
                read = h.lines_read()
            if read > n:
                raise Fail("read %d lines, only %d written: counted twice" % (read, n))
            ref_del, ref_fail = h.reference()
            got_del = h.q("select coalesce(sum(n), 0) from daily")[0][0]
            got_fail = collections.Counter(tuple(x) for x in h.q(
                "select queue_id, recipient, class, reason from v_failures"))
            extra = got_fail - collections.Counter(ref_fail)
            if got_del > ref_del or extra:
                raise Fail("counted twice: deliveries %d > %d or extra failures %s" % (
                    got_del, ref_del, list(extra)[:3]))
            gaps = h.q("select count(*) from gap")[0][0]
            ic = h.q("pragma integrity_check")[0][0]
            if ic != "ok":
                raise Fail("integrity_check: " + ic)
            if h.stop() != 0:
                raise Fail("SIGTERM: exit status not 0")
            print("MEASURED %s: %d lines written at %d/s, %d read, %d lost (%d not on disk "
                  "either), %d gap rows, %d rotations (1 while stopped), deliveries %d of %d, "
                  "failures %d of %d, nothing counted twice, %.1fs" % (
                      name, n, rate, read, n - read, n - on_disk, gaps, r.rotations, got_del,
                      ref_del, sum(got_fail.values()), len(ref_fail), time.time() - t0))
        ok = True
    except Fail as e:
        print("FAIL %s: %s" % (name, e))
    finally:
        r.close(ok)
    sys.stdout.flush()
    return ok


def main():
    names = sys.argv[1:] or list(SCENARIOS)
    for n in names:
        if n not in SCENARIOS:
            sys.stderr.write("unknown scenario %s; known: %s\n" % (n, " ".join(SCENARIOS)))
            return 2
    passed = failed = 0
    for n in names:
        if run(n, SCENARIOS[n]):
            passed += 1
        else:
            failed += 1
    print("logrotate: %d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
