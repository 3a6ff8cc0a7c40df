#!/bin/sh
# bouncewatchd fault test "paused-shifted": generations copytruncated, shifted
# and compressed while the daemon is stopped (soak seed 303299085); see
# tests/daemon/paused-shifted.py
exec python3 "${top_srcdir:-.}/tests/daemon/paused-shifted.py"
