#!/bin/sh
# bouncewatchd live test "tcp": see tests/live_harness.py
exec python3 "${top_srcdir:-.}/tests/live_harness.py" tcp
