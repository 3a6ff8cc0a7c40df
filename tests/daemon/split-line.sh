#!/bin/sh
# bouncewatchd fault test "split-line": see tests/daemon_harness.py
exec python3 "${top_srcdir:-.}/tests/daemon_harness.py" split-line
