#!/bin/sh
# bouncewatchd fault test "storm-paused": see tests/daemon_harness.py
exec python3 "${top_srcdir:-.}/tests/daemon_harness.py" storm-paused
