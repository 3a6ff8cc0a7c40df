#!/bin/sh
# bouncewatchd fault test "overlong-counted": see tests/daemon_harness.py
exec python3 "${top_srcdir:-.}/tests/daemon_harness.py" overlong-counted
