#!/bin/sh
# bouncewatchd fault test "db-removed": see tests/daemon_harness.py
exec python3 "${top_srcdir:-.}/tests/daemon_harness.py" db-removed
