#!/usr/bin/env python3
"""bouncewatchd with "log = PATTERN" (Hurricane's daily yyyyMMddProcessed.log
files): the real daemon on real files, through daemon_harness.Harness.
Every line written to any matching file must be stored exactly once.

usage: daemon_glob.py SCENARIO   (see SCENARIOS at the end)
"""
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from daemon_harness import BW, BWD, Fail, Harness, Skip, wait_for  # noqa: E402


def day(h, n):
    return os.path.join(h.dir, "hurricane", "202612%02dProcessed.log" % n)


def use_pattern(h, extra=""):
    pattern = os.path.join(h.dir, "hurricane", "*Processed.log")
    h.write_conf("log = %s\n%s" % (pattern, extra))
    return pattern


def check_sources(h, files):
    """One source row per file, each read to the file's end, no gap."""
    rows = h.q("select path, offset, state from source order by path")
    paths = [r[0] for r in rows]
    if paths != sorted(files):
        raise Fail("source rows %s, want one per file %s" % (rows, sorted(files)))
    for path, offset, state in rows:
        if offset != os.path.getsize(path):
            raise Fail("%s: read to %d of %d bytes" % (path, offset, os.path.getsize(path)))
    gaps = h.q("select count(*) from gap")[0][0]
    if gaps != 0:
        raise Fail("%d gaps recorded" % gaps)


def s_days(h):
    """Two days' files, a restart, a third day's file created while running,
    late lines in yesterday's file, kill -9, yesterday's file removed."""
    os.mkdir(os.path.join(h.dir, "hurricane"))
    use_pattern(h)
    h.append(400, day(h, 1))
    h.append(300, day(h, 2))
    h.start()
    h.wait_caught_up()
    h.append(100, day(h, 2))
    h.wait_caught_up()
    h.stop()
    h.append(50, day(h, 2))               # written while stopped
    h.start()
    h.wait_caught_up()
    check_sources(h, [day(h, 1), day(h, 2)])
    h.append(250, day(h, 3))              # the next day, while running
    h.append(20, day(h, 2))               # yesterday's last lines, late
    for _ in range(5):
        h.append(40, day(h, 3))
        time.sleep(0.05)
    h.wait_caught_up()
    # the old days are finished once quiet (rotate_quiet = 1s)
    wait_for(lambda: "20261201Processed.log: read to its end" in h.daemon_log(),
             "the first day's file to be finished")
    h.proc.kill()
    h.proc.wait()
    h.proc = None
    h.append(60, day(h, 3))
    h.start()
    h.wait_caught_up()
    check_sources(h, [day(h, 1), day(h, 2), day(h, 3)])
    h.check()
    os.unlink(day(h, 1))                  # the user's clean-up
    h.append(30, day(h, 3))
    h.wait_caught_up()
    time.sleep(1.5)                       # a full poll or more
    h.stop()
    log = h.daemon_log()
    for bad in ("does not exist", "waiting", "differs", "rotated"):
        if bad in log:
            raise Fail("daemon log says %r" % bad)
    if h.q("select count(*) from gap")[0][0] != 0:
        raise Fail("a gap after the clean-up")
    h.check()


def s_later(h):
    """A pattern whose directory does not exist yet: loud, not fatal
    (-n, the daemon, status); then the directory and a file appear."""
    pattern = use_pattern(h)
    r = subprocess.run([BWD, "-n", "-c", h.conf], capture_output=True, text=True)
    out = r.stdout + r.stderr
    if r.returncode != 0 or "does not exist" not in out:
        raise Fail("-n on a pattern matching nothing: exit %d, %r" % (r.returncode, out))
    h.start()
    wait_for(lambda: "directory %s/hurricane: does not exist" % h.dir in h.daemon_log(),
             "the daemon to say the directory is missing")
    st = subprocess.run([BW, "status"], capture_output=True, text=True,
                        env=dict(os.environ, BOUNCEWATCH_CONF=h.conf))
    if st.returncode != 1 or "matches no file" not in st.stdout:
        raise Fail("status on an empty pattern: exit %d, %r" % (st.returncode, st.stdout))
    os.mkdir(os.path.join(h.dir, "hurricane"))
    time.sleep(0.2)
    h.append(300, day(h, 4))
    h.wait_caught_up()
    if "matches 1 file(s) now" not in h.daemon_log():
        raise Fail("the daemon did not say the pattern matches now")
    h.append(100, day(h, 5))
    h.wait_caught_up()
    h.check()
    check_sources(h, [day(h, 4), day(h, 5)])
    st = subprocess.run([BW, "status"], capture_output=True, text=True,
                        env=dict(os.environ, BOUNCEWATCH_CONF=h.conf))
    if pattern not in st.stdout or day(h, 5) not in st.stdout:
        raise Fail("status does not list the pattern's files: %r" % st.stdout)
    h.stop()


def s_overlap(h):
    """Two patterns matching the same files and a plain line naming one of
    them: each file read by one of them only; after a SIGHUP that drops the
    plain line, the pattern takes that file over where it was left."""
    os.mkdir(os.path.join(h.dir, "hurricane"))
    first = os.path.join(h.dir, "hurricane", "*Processed.log")
    second = os.path.join(h.dir, "hurricane", "2026*.log")
    h.write_conf("log = %s\nlog = %s\nlog = %s\n" % (first, second, day(h, 1)))
    h.append(300, day(h, 1))
    h.append(300, day(h, 2))
    h.start()
    h.wait_caught_up()
    h.append(100, day(h, 1))
    h.append(100, day(h, 3))
    h.wait_caught_up()
    time.sleep(1.5)
    if h.lines_read() != len(h.written):
        raise Fail("lines read %d, written %d" % (h.lines_read(), len(h.written)))
    h.write_conf("log = %s\nlog = %s\n" % (first, second))
    h.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: "configuration reloaded" in h.daemon_log(), "the reload")
    h.append(50, day(h, 1))
    h.append(50, day(h, 3))
    h.wait_caught_up()
    time.sleep(1.5)
    h.check()
    check_sources(h, [day(h, 1), day(h, 2), day(h, 3)])
    h.stop()


def s_many(h):
    """150 daily files at the first start under a limit of 100 descriptors:
    read a few dozen at a time, each exactly once, never out of descriptors."""
    import resource

    def limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (100, 100))

    os.mkdir(os.path.join(h.dir, "hurricane"))
    use_pattern(h)
    files = []
    for i in range(150):
        path = os.path.join(h.dir, "hurricane", "2026%04dProcessed.log" % i)
        h.append(20, path)
        files.append(path)
    h.start(preexec=limit)
    h.wait_caught_up(timeout=120)
    h.check()
    check_sources(h, files)
    h.stop()
    if "Too many open files" in h.daemon_log():
        raise Fail("out of descriptors")


SCENARIOS = {"days": s_days, "later": s_later, "overlap": s_overlap, "many": s_many}


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in SCENARIOS:
        sys.stderr.write("usage: daemon_glob.py {%s}\n" % "|".join(SCENARIOS))
        return 2
    name = sys.argv[1]
    h = Harness("glob-" + name)
    ok, failed = False, None
    try:
        SCENARIOS[name](h)
        ok = True
    except Skip as e:
        h.close(True)
        print("SKIP: %s: %s" % (name, e))
        return 77
    except Fail as e:
        failed = e
    finally:
        h.close(ok)
    if failed is not None:
        sys.stderr.write("FAIL glob-%s: %s\n" % (name, failed))
        return 1
    print("PASS: glob-%s" % name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
