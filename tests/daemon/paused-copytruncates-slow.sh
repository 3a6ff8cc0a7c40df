#!/bin/sh
# bouncewatchd fault test "paused-copytruncates-slow": see tests/daemon_harness.py
exec python3 "${top_srcdir:-.}/tests/daemon_harness.py" paused-copytruncates-slow
