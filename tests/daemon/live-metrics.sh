#!/bin/sh
# bouncewatchd live test "metrics": see tests/live_harness.py
exec python3 "${top_srcdir:-.}/tests/live_harness.py" metrics
