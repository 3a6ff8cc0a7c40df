#!/bin/sh
# bouncewatchd fault test "clock-back": see tests/daemon_harness.py
exec python3 "${top_srcdir:-.}/tests/daemon_harness.py" clock-back
