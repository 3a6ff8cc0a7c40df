#!/bin/sh
# bouncewatchd fault test "sigterm-batch": see tests/daemon_harness.py
exec python3 "${top_srcdir:-.}/tests/daemon_harness.py" sigterm-batch
