#!/bin/sh
# bouncewatchd fault test "readonly-db": see tests/faults/faults.py
exec python3 "${top_srcdir:-.}/tests/faults/faults.py" readonly-db
