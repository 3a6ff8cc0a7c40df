#!/bin/sh
# bouncewatchd fault test "stopped-late-writes": see tests/daemon_harness.py
exec python3 "${top_srcdir:-.}/tests/daemon_harness.py" stopped-late-writes
