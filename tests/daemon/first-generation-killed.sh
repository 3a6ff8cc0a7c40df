#!/bin/sh
# bouncewatchd fault test "first-generation-killed": see tests/daemon_harness.py
exec python3 "${top_srcdir:-.}/tests/daemon_harness.py" first-generation-killed
