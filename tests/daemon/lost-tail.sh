#!/bin/sh
# bouncewatchd fault test "lost-tail": see tests/daemon_harness.py
exec python3 "${top_srcdir:-.}/tests/daemon_harness.py" lost-tail
