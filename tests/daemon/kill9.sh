#!/bin/sh
# bouncewatchd fault test "kill9": see tests/daemon_harness.py
exec python3 "${top_srcdir:-.}/tests/daemon_harness.py" kill9
