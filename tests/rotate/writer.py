#!/usr/bin/env python3
"""A log writer for the logrotate tests: appends lines at a steady rate.

usage: writer.py LOG SOURCE CTLDIR RATE

Writes the lines of SOURCE (one per line, in order) to LOG, RATE lines per
second in small batches, with O_APPEND writes of whole lines, like a syslog
daemon.  Like a syslog daemon it keeps its file open and reopens LOG only
on SIGHUP (logrotate's postrotate), so after a rename rotation it goes on
writing to the old file until it is told.

Control through files in CTLDIR (no signals needed, no races):
  pause     while it exists, no line is written; the writer acknowledges
            with CTLDIR/paused (the number of lines written so far)
  stop      finish: write CTLDIR/count (lines written) and exit 0
The pid is written to CTLDIR/pid.  Lines written = the first COUNT lines
of SOURCE.
"""
import os
import signal
import sys
import time

log, source, ctl, rate = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
with open(source, "rb") as f:
    lines = f.read().split(b"\n")[:-1]

hup = False


def on_hup(sig, frm):
    global hup
    hup = True


signal.signal(signal.SIGHUP, on_hup)


def openlog():
    return os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)


def put(name, text):
    tmp = os.path.join(ctl, name + ".tmp")
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, os.path.join(ctl, name))


fd = openlog()
put("pid", "%d\n" % os.getpid())
n = 0
tick = 0.01
per_tick = max(1, int(rate * tick))
t = time.monotonic()
reopens = 0
while True:
    if os.path.exists(os.path.join(ctl, "stop")):
        break
    if hup:
        hup = False
        os.close(fd)
        fd = openlog()
        reopens += 1
    if os.path.exists(os.path.join(ctl, "pause")):
        if not os.path.exists(os.path.join(ctl, "paused")):
            put("paused", "%d\n" % n)
        time.sleep(0.005)
        t = time.monotonic()
        continue
    if os.path.exists(os.path.join(ctl, "paused")):
        os.unlink(os.path.join(ctl, "paused"))
    k = min(per_tick, len(lines) - n)
    if k <= 0:
        time.sleep(tick)
        continue
    os.write(fd, b"".join(l + b"\n" for l in lines[n:n + k]))
    n += k
    t += tick
    d = t - time.monotonic()
    if d > 0:
        time.sleep(d)
    else:
        t = time.monotonic()
os.close(fd)
put("count", "%d %d\n" % (n, reopens))
