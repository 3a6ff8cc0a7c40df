#!/bin/sh
# bouncewatchd fault test "unrecognised-safe": see tests/daemon_harness.py
exec python3 "${top_srcdir:-.}/tests/daemon_harness.py" unrecognised-safe
