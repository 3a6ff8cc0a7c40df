#!/bin/sh
# bouncewatchd fault test "same-banner-copytruncate": see tests/daemon_harness.py
exec python3 "${top_srcdir:-.}/tests/daemon_harness.py" same-banner-copytruncate
