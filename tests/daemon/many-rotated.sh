#!/bin/sh
# bouncewatchd fault test "many-rotated": see tests/daemon_harness.py
exec python3 "${top_srcdir:-.}/tests/daemon_harness.py" many-rotated
