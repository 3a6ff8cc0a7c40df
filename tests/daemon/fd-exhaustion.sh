#!/bin/sh
# bouncewatchd fault test "fd-exhaustion": see tests/daemon_harness.py
exec python3 "${top_srcdir:-.}/tests/daemon_harness.py" fd-exhaustion
