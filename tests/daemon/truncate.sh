#!/bin/sh
# bouncewatchd fault test "truncate": see tests/daemon_harness.py
exec python3 "${top_srcdir:-.}/tests/daemon_harness.py" truncate
