#!/bin/sh
# bouncewatchd live test "rate_jump": see tests/live_harness.py
exec python3 "${top_srcdir:-.}/tests/live_harness.py" rate_jump
