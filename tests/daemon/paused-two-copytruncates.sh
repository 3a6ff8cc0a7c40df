#!/bin/sh
# bouncewatchd fault test "paused-two-copytruncates": see tests/daemon_harness.py
exec python3 "${top_srcdir:-.}/tests/daemon_harness.py" paused-two-copytruncates
