#!/bin/sh
# bouncewatchd fault test "rename": see tests/daemon_harness.py
exec python3 "${top_srcdir:-.}/tests/daemon_harness.py" rename
