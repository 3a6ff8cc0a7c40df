#!/bin/sh
# bouncewatchd live test "glob_down": see tests/live_harness.py
exec python3 "${top_srcdir:-.}/tests/live_harness.py" glob_down
