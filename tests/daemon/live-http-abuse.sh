#!/bin/sh
# bouncewatchd live test "http_abuse": see tests/live_harness.py
exec python3 "${top_srcdir:-.}/tests/live_harness.py" http_abuse
