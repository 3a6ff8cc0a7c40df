#!/usr/bin/env python3
"""Environmental faults for bouncewatchd: the real daemon against a full
disk, a corrupt or truncated database, a read-only file system, an
unreadable log, and a run under valgrind.

Built on tests/daemon_harness.py (same generated source, same reference:
"bouncewatch classify" over the lines written, compared with line_stats,
daily and v_failures, plus PRAGMA integrity_check).

usage: faults.py SCENARIO      (diskfull corrupt-db readonly-db
                                unreadable-log valgrind)
Exit: 0 pass, 1 fail, 77 skipped (a hard precondition is missing: root for
mount(8), setpriv(1) to run the daemon unprivileged when the test runs as
root, valgrind).
Environment: top_srcdir, top_builddir; VALGRIND (default "valgrind").
"""
import hashlib
import gzip
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
os.environ.setdefault("top_srcdir", os.path.abspath(os.path.join(HERE, "..", "..")))
sys.path.insert(0, os.path.join(os.environ["top_srcdir"], "tests"))
import daemon_harness as dh                  # noqa: E402
from daemon_harness import Fail, wait_for     # noqa: E402

SKIP = 77


class Skip(Exception):
    pass


def need_root(what):
    if os.geteuid() != 0:
        raise Skip("needs root (%s)" % what)


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


class H(dh.Harness):
    """The harness, with a command prefix (setpriv, valgrind) and a movable database."""

    prefix = ()
    ready_timeout = 20

    def set_db(self, path):
        self.db = path
        with open(self.conf) as f:
            lines = [l for l in f if not l.startswith("database ")]
        lines.append("database = %s\n" % path)
        with open(self.conf, "w") as f:
            f.writelines(lines)

    def start(self, args=("-f",), wait_ready=True):
        self.proc = subprocess.Popen(list(self.prefix) + [dh.BWD, "-c", self.conf] + list(args),
                                     stdout=subprocess.DEVNULL, stderr=self.stderr)
        if wait_ready:
            wait_for(lambda: self.proc.poll() is None and os.path.exists(self.db) and
                     self.query_ok() or self.proc.poll() is not None,
                     "the daemon to create its database", self.ready_timeout)
            if self.proc.poll() is not None:
                raise Fail("the daemon exited at start with %d" % self.proc.returncode)
        return self.proc

    def run_once(self, timeout=20):
        """Start the daemon; it must exit by itself within timeout: (status, log)."""
        before = len(self.daemon_log())
        self.proc = subprocess.Popen(list(self.prefix) + [dh.BWD, "-f", "-c", self.conf],
                                     stdout=subprocess.DEVNULL, stderr=self.stderr)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
            raise Fail("still running after %ds instead of exiting with an error; it logged:\n%s"
                       % (timeout, self.daemon_log()[before:].strip()))
        self.proc = None
        return rc, self.daemon_log()[before:]


class Mount:
    """A tmpfs (or bind) mount, always unmounted."""

    def __init__(self, path, opts):
        self.path = path
        os.makedirs(path, exist_ok=True)
        subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", path], check=True)

    def remount(self, opts):
        subprocess.run(["mount", "-o", "remount," + opts, self.path], check=True)

    def umount(self):
        if self.path is not None:
            r = subprocess.run(["umount", self.path], capture_output=True)
            if r.returncode != 0:
                subprocess.run(["umount", "-l", self.path])
            self.path = None


# ---------------------------------------------------------------------------

def s_diskfull(h, cleanup):
    """The database on a small tmpfs filled by a ballast file: the daemon
    stalls (logged once, memory bounded, nothing stored), and when the
    ballast is deleted it resumes and the totals are exact."""
    need_root("mount -t tmpfs")
    m = Mount(os.path.join(h.dir, "dbfs"), "size=6m,mode=0755")
    cleanup.append(m.umount)
    h.set_db(os.path.join(m.path, "bw.db"))
    h.append(2000)
    h.start()
    h.wait_caught_up()
    rss0 = rss_kib(h.proc.pid)
    # fill the file system
    ballast = os.path.join(m.path, "ballast")
    # unbuffered: a short write leaves nothing for close() to flush into
    # the full disk (a buffered file raised ENOSPC again at close)
    with open(ballast, "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 65536)
        except OSError:
            pass
    try:
        os.close(os.open(ballast, os.O_RDONLY))
    except OSError:
        pass
    free = shutil.disk_usage(m.path).free
    t_full = time.time()
    h.append(15000)
    wait_for(lambda: "ingestion stalled" in h.daemon_log(), "the daemon to stall", 60)
    t_stall = time.time() - t_full
    stalled_at = h.lines_read()
    rss1 = rss_kib(h.proc.pid)
    h.append(15000)                   # keeps coming while stalled: the log is the buffer
    time.sleep(3)
    rss2 = rss_kib(h.proc.pid)
    still = h.lines_read()
    if h.proc.poll() is not None:
        raise Fail("the daemon died on a full disk")
    if stalled_at >= len(h.written) or still != stalled_at:
        raise Fail("lines stored while the disk was full: %d then %d of %d" % (
            stalled_at, still, len(h.written)))
    if rss2 > 64 * 1024 or rss2 - rss1 > 8 * 1024:
        raise Fail("memory not bounded while stalled: RSS %d KiB -> %d KiB" % (rss1, rss2))
    os.unlink(ballast)
    t_free = time.time()
    h.wait_caught_up(timeout=90)
    t_resume = time.time() - t_free
    deliveries, failures = h.check()
    log = h.daemon_log()
    if "disk full" not in log:
        raise Fail("the stall does not say 'disk full':\n" + log)
    if h.stop() != 0:
        raise Fail("SIGTERM: exit status not 0")
    n_stall, n_res = log.count("ingestion stalled"), log.count("ingestion resumed")
    figures = ("tmpfs 6 MiB, %d bytes left after the ballast; stalled %.1fs after the disk "
            "filled with %d of %d lines stored; RSS %d KiB caught up, %d KiB stalled, "
            "%d KiB after 15000 more lines; resumed %.1fs after the ballast went; "
            "%d lines, %d deliveries, %d failures exact" % (
                free, t_stall, stalled_at, len(h.written) - 15000, rss0, rss1, rss2,
                t_resume, len(h.written), deliveries, failures))
    if n_stall != 1 or n_res != 1:
        lines = [l for l in log.splitlines() if "ingestion" in l]
        raise Fail("one disk-full episode (%.1fs) logged %d 'ingestion stalled' and %d "
                   "'ingestion resumed' messages, want 1 and 1; first lines:\n%s\n"
                   "(otherwise: %s)" % (t_resume + 3 + t_stall, n_stall, n_res,
                                       "\n".join(lines[:4]), figures))
    return figures


def make_db(h, lines=3000):
    """A real bouncewatch database with lines in it, daemon stopped cleanly."""
    h.append(lines)
    h.start()
    h.wait_caught_up()
    if h.stop() != 0:
        raise Fail("SIGTERM: exit status not 0")


def db_files(db):
    return [p for p in (db, db + "-wal", db + "-shm") if os.path.exists(p)]


def s_corrupt_db(h, cleanup):
    """Random bytes over the middle of a real database, a truncated one, a
    file that is not SQLite, another program's SQLite database: each time a
    clear error, exit 65, no crash, the file not modified."""
    make_db(h, 6000)
    good = h.db + ".good"
    shutil.copyfile(h.db, good)
    size = os.path.getsize(good)
    rnd = random.Random(11)
    out = []

    errors = []

    def variant(name, data, want_words):
        try:
            variant1(name, data, want_words)
        except Fail as e:
            errors.append(str(e))

    def variant1(name, data, want_words):
        # a fresh directory per variant: nothing left over from the last one
        for p in db_files(h.db) + [h.db + ".lock"]:
            os.unlink(p)
        with open(h.db, "wb") as f:
            f.write(data)
        os.chmod(h.db, 0o640)
        before = sha256(h.db)
        h.append(50)                  # something to read, were it to run
        try:
            rc, log = h.run_once()
        except Fail as e:
            same = "unchanged" if sha256(h.db) == before else "MODIFIED"
            raise Fail("%s: %s\n(the database file is %s)" % (name, e, same))
        if rc < 0:
            raise Fail("%s: killed by signal %d" % (name, -rc))
        if rc != 65:
            raise Fail("%s: exit status %d, want 65 (database not ours or corrupt); log:\n%s" % (
                name, rc, log))
        if not any(w in log for w in want_words):
            raise Fail("%s: no clear error (want one of %s):\n%s" % (name, want_words, log))
        if sha256(h.db) != before:
            raise Fail("%s: the database file was modified" % name)
        for p in (h.db + "-wal",):
            if os.path.exists(p) and os.path.getsize(p) > 0:
                raise Fail("%s: a non-empty %s was left" % (name, p))
        msg = [l for l in log.splitlines() if "database" in l or "malformed" in l]
        out.append("%s: exit %d, %r" % (name, rc, (msg or log.splitlines() or [""])[-1]))

    data = bytearray(open(good, "rb").read())
    # 1/4 of the file, centred on the middle, overwritten with random bytes
    a, b = size * 3 // 8, size * 5 // 8
    data[a:b] = bytes(rnd.getrandbits(8) for _ in range(b - a))
    variant("random bytes over the middle (%d of %d bytes)" % (b - a, size), bytes(data),
            ("malformed", "corrupt", "not a bouncewatch database"))
    # every page of one table found with dbstat: invisible to the schema
    # check at start, met at the first write
    c = sqlite3.connect("file:%s?mode=ro" % good, uri=True)
    pages = [r[0] for r in c.execute(
        "select pageno from dbstat where name in ('failure', 'pending')")]
    psize = c.execute("pragma page_size").fetchone()[0]
    c.close()
    data = bytearray(open(good, "rb").read())
    for pg in pages:
        off = (pg - 1) * psize
        data[off:off + psize] = bytes(rnd.getrandbits(8) for _ in range(psize))
    variant("random bytes over the %d pages of tables failure and pending" % len(pages),
            bytes(data), ("malformed", "corrupt", "not a bouncewatch database"))
    good_bytes = open(good, "rb").read()
    variant("truncated to half", good_bytes[:size // 2],
            ("malformed", "corrupt", "not a bouncewatch database"))
    variant("not an SQLite file", bytes(rnd.getrandbits(8) for _ in range(size)),
            ("not a database", "not a bouncewatch database", "not an SQLite"))
    other = h.db + ".other"
    c = sqlite3.connect(other)
    c.execute("create table t (x)")
    c.execute("insert into t values (1)")
    c.commit()
    c.close()
    variant("another program's SQLite database", open(other, "rb").read(),
            ("not bouncewatch's",))
    if errors:
        raise Fail("\n".join(errors) + "\npassed: " + "; ".join(out))
    return "; ".join(out)


def s_readonly_db(h, cleanup):
    """The database on a read-only file system (tmpfs remounted ro; a
    read-only bind mount; no database yet on a ro file system): a clear
    error, exit 70, no crash, nothing modified."""
    need_root("mount")
    m = Mount(os.path.join(h.dir, "dbfs"), "size=16m,mode=0755")
    cleanup.append(m.umount)
    h.set_db(os.path.join(m.path, "bw.db"))
    make_db(h, 3000)
    sums = {p: sha256(p) for p in db_files(h.db)}
    out = []

    def expect_error(name):
        h.append(50)
        rc, log = h.run_once()
        if rc < 0:
            raise Fail("%s: killed by signal %d" % (name, -rc))
        if rc != 70:
            raise Fail("%s: exit status %d, want 70; log:\n%s" % (name, rc, log))
        if "Read-only file system" not in log and "read-only" not in log.lower():
            raise Fail("%s: the error does not say read-only:\n%s" % (name, log))
        for p, s in sums.items():
            if os.path.exists(p) and sha256(p) != s:
                raise Fail("%s: %s was modified" % (name, p))
        out.append("%s: exit %d, %r" % (name, rc, log.strip().splitlines()[-1]))

    m.remount("ro")
    expect_error("tmpfs remounted read-only")
    m.remount("rw")
    # a read-only bind mount of a directory holding the database
    src = os.path.join(h.dir, "dbdir")
    os.mkdir(src)
    for p in db_files(h.db) + [h.db + ".lock"]:
        shutil.copy2(p, src)
    sums = {os.path.join(src, os.path.basename(p)): s for p, s in sums.items()}
    ro = os.path.join(h.dir, "robind")
    os.mkdir(ro)
    subprocess.run(["mount", "--bind", src, ro], check=True)
    cleanup.append(lambda: subprocess.run(["umount", ro]))
    subprocess.run(["mount", "-o", "remount,bind,ro", ro], check=True)
    h.set_db(os.path.join(ro, "bw.db"))
    sums = {os.path.join(ro, os.path.basename(p)): s for p, s in sums.items()}
    expect_error("read-only bind mount")
    # no database yet, on a read-only file system
    m2 = Mount(os.path.join(h.dir, "emptyfs"), "size=1m,mode=0755")
    cleanup.append(m2.umount)
    m2.remount("ro")
    h.set_db(os.path.join(m2.path, "bw.db"))
    sums = {}
    expect_error("new database on a read-only tmpfs")
    return "; ".join(out)


def s_unreadable_log(h, cleanup):
    """The daemon unprivileged (as nobody through setpriv when the test runs
    as root, since root ignores file modes): a log it may not read at start, a log
    made unreadable while open, a rotation to an unreadable new file, and a
    rotated copy unreadable at start.  Clear errors, no crash, and once the
    files are readable the totals are exact (the unreadable rotated copy is
    recorded as a gap)."""
    if os.geteuid() == 0:
        # root ignores file modes: run the daemon as nobody
        if shutil.which("setpriv") is None:
            raise Skip("setpriv not found (root ignores file modes)")
        import pwd
        nobody = pwd.getpwnam("nobody")
        os.chown(h.dir, nobody.pw_uid, nobody.pw_gid)
        h.prefix = ("setpriv", "--reuid=%d" % nobody.pw_uid, "--regid=%d" % nobody.pw_gid,
                    "--clear-groups")
    # chmod 000 (the test writes as root); unprivileged, the test itself
    # must still write: 0200, write-only for the owner
    unreadable = 0 if os.geteuid() == 0 else 0o200
    out = []
    # 1. unreadable at start
    h.append(300)
    os.chmod(h.log, unreadable)
    h.start()
    time.sleep(2.5)                   # a couple of safety polls
    if h.proc.poll() is not None:
        raise Fail("the daemon exited on an unreadable log: %d" % h.proc.returncode)
    if h.lines_read() != 0:
        raise Fail("read an unreadable log?")
    log = h.daemon_log()
    # said at start and again after each back-off (1 s, 2 s ...), not once
    if log.count("Permission denied") < 2:
        raise Fail("want 'Permission denied' said again after the back-off:\n" + log)
    out.append("at start: %r" % [l for l in log.splitlines() if "Permission denied" in l][0])
    os.chmod(h.log, 0o644)
    h.wait_caught_up()
    # 2. made unreadable while open: the open descriptor goes on reading
    os.chmod(h.log, unreadable)
    h.append(200)
    h.wait_caught_up()
    # 3. rotation to a new file the daemon may not open; late writes to the old one
    os.rename(h.log, h.log + ".1")
    fd = os.open(h.log, os.O_WRONLY | os.O_CREAT | os.O_EXCL, unreadable)
    os.close(fd)
    h.append(200)                     # into the new, unreadable file
    h.append(100, path=h.log + ".1")  # late lines into the old one
    time.sleep(2.5)
    if h.proc.poll() is not None:
        raise Fail("the daemon exited")
    if h.lines_read() != len(h.written) - 200:
        raise Fail("after a rotation to an unreadable file: read %d, want %d" % (
            h.lines_read(), len(h.written) - 200))
    n0 = log.count("Permission denied")
    log = h.daemon_log()
    n = log.count("Permission denied")
    if n < n0 + 2:
        raise Fail("want the unreadable new file said again after the back-off:\n" + log)
    os.chmod(h.log, 0o644)
    h.wait_caught_up()
    h.check()
    if h.stop() != 0:
        raise Fail("SIGTERM: exit status not 0")
    out.append("rotation to an unreadable file: drained the old one, waited, then read "
               "the new one: %d lines exact" % len(h.written))
    # 4. rotated while stopped, and the rotated copy is unreadable
    h.append(150)
    lost = 150
    os.chmod(h.log, unreadable)
    os.rename(h.log, h.log + ".1")
    h.append(100)
    os.chmod(h.log, 0o644)
    h.start()
    h.wait_caught_up(len(h.written) - lost)
    time.sleep(1)
    gaps = h.q("select reason from gap")
    log = h.daemon_log()
    tail = log[max(0, log.rfind("started:") - 2000):]
    if "mail.log.1" not in tail or "Permission denied" not in tail:
        h.stop()
        raise Fail("the rotated copy %s.1 is unreadable (mode %03o) but the daemon does not "
                   "say so; it logged:\n%s" % (h.log, unreadable, tail.strip()))
    # the 150 lines are not readable: either recorded as a gap, or left to
    # a later start (no gap); never counted
    if h.lines_read() != len(h.written) - lost:
        raise Fail("read %d, want %d" % (h.lines_read(), len(h.written) - lost))
    if [g[0] for g in gaps] not in ([], ["generation_missing"]):
        raise Fail("unexpected gap rows %s" % gaps)
    if h.stop() != 0:
        raise Fail("SIGTERM: exit status not 0")
    out.append("rotated copy unreadable at start: said so, %d gap row(s)" % len(gaps))
    return "; ".join(out)


def s_valgrind(h, cleanup):
    """bouncewatchd under valgrind --leak-check=full --error-exitcode=1:
    steady appends, rename rotation with late writes, copytruncate, SIGHUP,
    SIGUSR1, the database locked for 3 s (stall and resume), SIGTERM; then a
    gzip rotation while stopped and a second run; then a start on a corrupt
    database (exit 65).  No valgrind error, no leak."""
    vg = os.environ.get("VALGRIND", "valgrind")
    if shutil.which(vg) is None:
        raise Skip("valgrind not found")
    logs = []

    def prefix(tag):
        p = os.path.join(h.dir, "valgrind-%s.log" % tag)
        logs.append(p)
        return (vg, "--leak-check=full", "--error-exitcode=1", "--track-fds=no",
                "--log-file=" + p)

    h.ready_timeout = 120
    h.prefix = prefix("run1")
    h.append(1500)
    h.start()
    h.wait_caught_up(timeout=180)
    for _ in range(10):
        h.append(100)
        time.sleep(0.05)
    h.wait_caught_up(timeout=120)
    old = open(h.log, "ab")
    os.rename(h.log, h.log + ".1")
    h.append(300)
    late = h.take(100)
    old.write(b"".join(l + b"\n" for l in late))
    old.close()
    h.written.extend(late)
    h.wait_caught_up(timeout=120)
    shutil.copyfile(h.log, h.log + ".0")
    os.truncate(h.log, 0)
    h.append(200)
    h.wait_caught_up(timeout=120)
    h.proc.send_signal(signal.SIGHUP)
    h.proc.send_signal(signal.SIGUSR1)
    locker = subprocess.Popen([sys.executable, "-c",
                               "import sqlite3,sys,time\n"
                               "c=sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)\n"
                               "c.execute('begin immediate')\n"
                               "print('locked', flush=True)\n"
                               "time.sleep(8)\n"
                               "c.execute('rollback')\n", h.db], stdout=subprocess.PIPE)
    if locker.stdout.readline().strip() != b"locked":
        raise Fail("could not lock the database")
    h.append(500)
    locker.wait(timeout=60)
    h.wait_caught_up(timeout=180)
    if "ingestion stalled" not in h.daemon_log():
        raise Fail("no stall while locked")
    rc = h.stop_slow()
    if rc != 0:
        raise Fail("run 1 under valgrind: exit %d (1 = valgrind errors); see %s" % (rc, logs[-1]))
    # gzip rotation while stopped, second run
    h.append(300)
    with open(h.log, "rb") as src, gzip.open(h.log + ".1.gz", "wb") as dst:
        shutil.copyfileobj(src, dst)
    os.unlink(h.log)
    h.append(300)
    h.prefix = prefix("run2")
    h.start()
    h.wait_caught_up(timeout=180)
    deliveries, failures = h.check()
    rc = h.stop_slow()
    if rc != 0:
        raise Fail("run 2 under valgrind: exit %d; see %s" % (rc, logs[-1]))
    # a start that fails: corrupt database
    shutil.copyfile(h.db, h.db + ".saved")
    with open(h.db, "r+b") as f:
        f.seek(0)
        f.write(b"this is not an SQLite database header")
    h.prefix = prefix("corrupt")
    rc, _ = h.run_once(timeout=120)
    if rc != 65:
        raise Fail("corrupt database under valgrind: exit %d, want 65 (1 = valgrind errors); "
                   "see %s" % (rc, logs[-1]))
    summary = []
    for p in logs:
        text = open(p).read()
        err = [l.split("==")[-1].strip() for l in text.splitlines()
               if "ERROR SUMMARY" in l or "definitely lost:" in l or "indirectly lost:" in l
               or "possibly lost:" in l or "still reachable:" in l or "All heap blocks" in l]
        summary.append("%s: %s" % (os.path.basename(p), "; ".join(err)))
        if "ERROR SUMMARY: 0 errors" not in text:
            raise Fail("valgrind reports errors in %s:\n%s" % (p, text[-4000:]))
    return ("%d lines, %d deliveries, %d failures exact; %s" % (
        len(h.written), deliveries, failures, " | ".join(summary)))


def stop_slow(self):
    if self.proc is None:
        return None
    self.proc.send_signal(signal.SIGTERM)
    try:
        rc = self.proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        self.proc.kill()
        raise Fail("the daemon did not exit on SIGTERM")
    self.proc = None
    return rc


H.stop_slow = stop_slow

SCENARIOS = {
    "diskfull": s_diskfull,
    "corrupt-db": s_corrupt_db,
    "readonly-db": s_readonly_db,
    "unreadable-log": s_unreadable_log,
    "valgrind": s_valgrind,
}


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in SCENARIOS:
        sys.stderr.write("usage: faults.py {%s}\n" % "|".join(SCENARIOS))
        return 2
    name = sys.argv[1]
    h = H("fault-" + name)
    cleanup = []
    ok, skip, what = False, None, ""
    t0 = time.time()
    try:
        what = SCENARIOS[name](h, cleanup)
        ok = True
    except Skip as e:
        skip = str(e)
    except Fail as e:
        sys.stderr.write("FAIL %s: %s\n" % (name, e))
    finally:
        if h.proc is not None:
            h.proc.kill()
            h.proc.wait()
            h.proc = None
        for c in reversed(cleanup):
            try:
                c()
            except Exception as e:       # keep cleaning up
                sys.stderr.write("cleanup: %s\n" % e)
        h.close(ok or skip is not None)
    if skip is not None:
        print("SKIP: %s: %s" % (name, skip))
        return SKIP
    print("%s: %s (%.1fs)%s" % ("PASS" if ok else "FAIL", name, time.time() - t0,
                                ": " + what if ok else ""))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
