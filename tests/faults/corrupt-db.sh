#!/bin/sh
# bouncewatchd fault test "corrupt-db": see tests/faults/faults.py
exec python3 "${top_srcdir:-.}/tests/faults/faults.py" corrupt-db
