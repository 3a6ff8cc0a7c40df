#!/bin/sh
# bouncewatchd fault test "stopped-twice": see tests/daemon_harness.py
exec python3 "${top_srcdir:-.}/tests/daemon_harness.py" stopped-twice
