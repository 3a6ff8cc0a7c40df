#!/bin/sh
# bouncewatchd fault test "paused-two-rotations": see tests/daemon_harness.py
exec python3 "${top_srcdir:-.}/tests/daemon_harness.py" paused-two-rotations
