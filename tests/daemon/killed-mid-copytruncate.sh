#!/bin/sh
# bouncewatchd fault test "killed-mid-copytruncate": see tests/daemon_harness.py
exec python3 "${top_srcdir:-.}/tests/daemon_harness.py" killed-mid-copytruncate
