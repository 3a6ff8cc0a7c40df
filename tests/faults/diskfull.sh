#!/bin/sh
# bouncewatchd fault test "diskfull": see tests/faults/faults.py
exec python3 "${top_srcdir:-.}/tests/faults/faults.py" diskfull
