#!/bin/sh
# bouncewatchd fault test "prune-locked": see tests/daemon_harness.py
exec python3 "${top_srcdir:-.}/tests/daemon_harness.py" prune-locked
