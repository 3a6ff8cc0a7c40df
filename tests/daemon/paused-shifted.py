#!/usr/bin/env python3
"""Generations copytruncated, then shifted and compressed, while the daemon
is paused right after it began finishing a copytruncated generation from
NAME.1 (soak seed 303299085: two whole generations lost, no gap).

Rotations are logrotate's with numbered names and delaycompress, as in
tests/faults/soak.py: each one first shifts NAME.N to NAME.N+1 (NAME.2 is
gzipped), then copies and truncates (copytruncate) or renames and
compresses (compress).  While the daemon is stopped several generations
pass through NAME.1 and end compressed further down; every one must be
found by its content and read once, in order.

usage: paused-shifted.py VARIANT   (see VARIANTS at the end)
"""
import os
import random
import shutil
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests"))
import daemon_harness as dh  # noqa: E402


def numbered(h):
    """NAME.N[.gz] as (N, name), oldest (largest N) first."""
    d, base = os.path.split(h.log)
    found = []
    for name in os.listdir(d):
        rest = name[len(base) + 1:] if name.startswith(base + ".") else ""
        num = rest[:-3] if rest.endswith(".gz") else rest
        if num.isdigit():
            found.append((int(num), name))
    return sorted(found, reverse=True)


def gzip_file(path):
    """gzip(1): PATH.gz with PATH's times, then PATH removed."""
    st = os.stat(path)
    with open(path, "rb") as src, dh.gzip.open(path + ".gz.tmp", "wb") as dst:
        shutil.copyfileobj(src, dst)
    os.utime(path + ".gz.tmp", ns=(st.st_atime_ns, st.st_mtime_ns))
    os.rename(path + ".gz.tmp", path + ".gz")
    os.unlink(path)


def shift(h):
    d = os.path.dirname(h.log)
    for num, name in numbered(h):
        gz = ".gz" if name.endswith(".gz") else ""
        os.rename(os.path.join(d, name), "%s.%d%s" % (h.log, num + 1, gz))
    if os.path.exists(h.log + ".2"):
        gzip_file(h.log + ".2")


def rotate(h, kind):
    shift(h)
    if kind == "copytruncate":
        dh.copytruncate(h.log, h.log + ".1")
    else:
        os.rename(h.log, h.log + ".1")
        if kind == "compress":
            gzip_file(h.log + ".1")


def finishing(h, n):
    """Wait until the daemon said n times that it finishes a copytruncated
    generation from its copy."""
    dh.wait_for(lambda: h.daemon_log().count("truncated (copytruncate); finishing it "
                                             "from") >= n, "a copytruncate to be seen")


def paused(h, plan):
    """SIGSTOP, then (lines, rotation) for each step of plan, then SIGCONT."""
    h.proc.send_signal(signal.SIGSTOP)
    for n, kind in plan:
        h.append(n)
        if kind is not None:
            rotate(h, kind)
    h.proc.send_signal(signal.SIGCONT)


# the soak's sequence while stopped: copytruncate, copytruncate, compress,
# copytruncate, then lines in the new live file
SOAK = [(0, "copytruncate"), (500, "copytruncate"), (600, "copytruncate"),
        (250, "compress"), (800, "copytruncate"), (40, None)]


def begin(h):
    """A generation read, copytruncated, and the daemon finishing it from
    NAME.1: the state the soak's daemon was stopped in."""
    h.append(300)
    h.start()
    h.wait_caught_up()
    h.append(600)
    rotate(h, "copytruncate")
    finishing(h, 1)


def v_unread(h):
    """Stopped as soon as the copytruncate was seen: the next generation (B)
    is written and copytruncated while the daemon has not looked at it."""
    begin(h)
    paused(h, [(80, None)] + SOAK)


def v_read(h):
    """B read (identified) before the stop; its copytruncate and the rest
    happen while stopped."""
    begin(h)
    h.append(80)                               # B
    h.wait_caught_up()
    paused(h, SOAK)


def v_double(h):
    """Two copytruncates in quick succession while running (the second
    seen too), then the stopped sequence."""
    begin(h)
    h.append(80)                               # B
    h.wait_caught_up()
    rotate(h, "copytruncate")
    finishing(h, 2)
    paused(h, SOAK[1:])


def v_compressed_first(h):
    """As v_unread, with a rename + compress as the first rotation while
    stopped: B goes straight from the live name to NAME.1.gz."""
    begin(h)
    paused(h, [(80, "compress"), (500, "copytruncate"), (600, "copytruncate"),
               (250, "compress"), (800, "copytruncate"), (40, None)])


def restart(h, starts):
    """SIGTERM (at once after a SIGCONT, as the soak does), start again."""
    h.stop()
    h.start()
    dh.wait_for(lambda: h.daemon_log().count("started: following") == starts,
                "the daemon to start again")


def v_term(h):
    """As v_unread, but the daemon is continued and told to exit at once
    (SIGCONT, SIGTERM), then started again."""
    begin(h)
    paused(h, [(80, None)] + SOAK)
    restart(h, 2)


def v_copied_under_look(h):
    """A new generation (Y) copytruncated between the daemon's read of its
    first bytes, a single line, and its look for generations missed
    before it: the stress variant's last round under ASan (Y's first two
    lines, 224 bytes, read before a SIGSTOP landed, the look made after
    SIGCONT) read Y twice, once from its copy as a missed generation
    and once as the live file's own, finished from that copy.  The
    daemon is held between the two by the database lock (its transaction
    begins there)."""
    h.append(300)                              # W
    while len(h.source[h.next]) >= 200:        # Y's first line: a short head
        h.append(1)
    h.start()
    h.wait_caught_up()
    rotate(h, "copytruncate")                  # W to NAME.1, the live file empty
    # W finished from its copy and committed: no transaction open
    dh.wait_for(lambda: h.q("select count(*) from source where state = 'done'")[0][0]
                == 1, "the copy of the first generation to be finished")
    pid = h.proc.pid
    dh.wchan_named(pid)
    locker = dh.db_lock(h.db)
    try:
        before = dh.read_bytes(pid)
        head = len(h.append(1)[0]) + 1         # Y begins
        dh.wait_for(lambda: dh.read_bytes(pid) - before >= head and
                    dh.waits_for_lock(pid), "the daemon to read the new first "
                    "line and wait for the lock")
        h.append(200)                          # Y goes on ...
        rotate(h, "copytruncate")              # ... is copied to NAME.1 (W: NAME.2.gz)
        h.append(50)                           # V, in the live file now
    finally:
        dh.db_unlock(locker)
    dh.wait_for(lambda: h.lines_read() >= len(h.written), "every line to be stored")
    read = h.q("select coalesce(sum(lines), 0) from source")[0][0]
    if read != len(h.written) or h.lines_read() != len(h.written):
        raise dh.Fail("%d lines stored, the sources hold %d, %d written"
                      % (h.lines_read(), read, len(h.written)))


def v_gz_renamed_under_look(h):
    """A generation missed while stopped (B, rotated and compressed to
    NAME.1.gz, then shifted to NAME.2.gz) whose name is given to the next
    one (C) between the daemon's read of its first bytes and its taking it
    as a source (soak, a loaded machine: +156 lines, one generation read a
    second time under another's fingerprint).  The daemon is held between
    the two by the database lock: the look reads heads outside a
    transaction and begins one to record what it missed."""
    h.append(300)                              # A
    h.start()
    h.wait_caught_up()
    pid = h.proc.pid
    dh.wchan_named(pid)
    h.proc.send_signal(signal.SIGSTOP)
    h.append(40)                               # A's last lines, unread
    rotate(h, "compress")                      # A -> NAME.1.gz
    h.append(120)                              # B
    rotate(h, "compress")                      # B -> NAME.1.gz, A -> NAME.2.gz
    h.append(60)                               # C
    locker = dh.db_lock(h.db)
    try:
        h.proc.send_signal(signal.SIGCONT)
        dh.wait_for(lambda: dh.waits_for_lock(pid), "the daemon to wait for the lock")
        rotate(h, "compress")                  # C -> NAME.1.gz, B -> NAME.2.gz ...
        h.append(30)                           # D, the live file now
    finally:
        dh.db_unlock(locker)
    try:
        dh.wait_for(lambda: h.lines_read() >= len(h.written), "every line to be stored")
    except dh.Fail:
        pass                                   # said below, with the figures
    time.sleep(1.5)                            # anything read twice shows now
    read = h.q("select coalesce(sum(lines), 0) from source")[0][0]
    if read != len(h.written) or h.lines_read() != len(h.written):
        raise dh.Fail("%d lines stored, the sources hold %d, %d written"
                      % (h.lines_read(), read, len(h.written)))


def v_stress(h):
    """The soak's sequence three times per seed, at random moments, with a
    daemon killed (SIGTERM at once after SIGCONT) and started again each
    time, in a directory of 400 older rotated files (a longer look).  On
    main it lost whole generations in about one run in ten on a loaded
    machine: a look for missed generations went on, after the stop, with
    what it had read before it (the directory, the live file's first
    bytes), identified the newest rotated file and missed the ones below;
    every later look stopped at that newest one.  Or a parked generation
    was opened again by an inode number that was a gzip temporary's by
    then, and its real file taken as gone (a gap).  Under ASan its last
    round read one generation twice in about one run in five (see
    copied-under-look)."""
    for i in range(400):
        old = "%s-20200101-%04d" % (h.log, i)
        with open(old, "wb") as f:
            f.write(b"old %d\n" % i * 20)
        os.utime(old, (1577836800 + i, 1577836800 + i))
    h.append(300)
    h.start()
    h.wait_caught_up()
    starts = 1
    for seed in STRESS_SEEDS:
        rnd = random.Random(seed)
        for rep in range(3):
            h.append(rnd.randint(100, 500))
            rotate(h, "copytruncate")
            time.sleep(rnd.uniform(0, 0.01))
            h.append(rnd.randint(1, 100))
            rotate(h, "copytruncate")
            h.append(rnd.randint(1, 100))
            time.sleep(rnd.uniform(0, 0.03))
            paused(h, [(rnd.randint(20, 400), kind) for kind in
                       ("copytruncate", "copytruncate", "compress", "copytruncate")] +
                   [(rnd.randint(1, 100), None)])
            starts += 1
            restart(h, starts)


STRESS_SEEDS = (200, 203, 204, 227, 109, 5)

VARIANTS = {
    "stress": v_stress,
    "term": v_term,
    "unread": v_unread,
    "read": v_read,
    "double": v_double,
    "compressed-first": v_compressed_first,
    "copied-under-look": v_copied_under_look,
    "gz-renamed-under-look": v_gz_renamed_under_look,
}


def main():
    names = sys.argv[1:] or list(VARIANTS)
    failed = []
    for name in names:
        h = dh.Harness("paused-shifted-" + name)
        ok = False
        try:
            VARIANTS[name](h)
            h.wait_caught_up(timeout=20)
            h.check()
            gaps = h.q("select reason, count(*) from gap group by reason")
            if gaps:
                raise dh.Fail("gap rows: %s" % gaps)
            h.stop()
            ok = True
        except dh.Skip as e:
            print("SKIP: paused-shifted %s: %s" % (name, e))
            ok = True
            continue
        except dh.Fail as e:
            sys.stderr.write("FAIL paused-shifted %s: %s\n" % (name, e))
            failed.append(name)
        finally:
            h.close(ok)
        print("%s: paused-shifted %s" % ("PASS" if ok else "FAIL", name))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
