#!/bin/sh
# bouncewatchd fault test "valgrind": see tests/faults/faults.py
exec python3 "${top_srcdir:-.}/tests/faults/faults.py" valgrind
