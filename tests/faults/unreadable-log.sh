#!/bin/sh
# bouncewatchd fault test "unreadable-log": see tests/faults/faults.py
exec python3 "${top_srcdir:-.}/tests/faults/faults.py" unreadable-log
