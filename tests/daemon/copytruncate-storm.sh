#!/bin/sh
# bouncewatchd fault test "copytruncate-storm": see tests/daemon_harness.py
exec python3 "${top_srcdir:-.}/tests/daemon_harness.py" copytruncate-storm
