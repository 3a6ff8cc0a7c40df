#!/bin/sh
# bouncewatchd live test "source_down": see tests/live_harness.py
exec python3 "${top_srcdir:-.}/tests/live_harness.py" source_down
