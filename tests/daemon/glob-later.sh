#!/bin/sh
# bouncewatchd with log = PATTERN, scenario "later": see tests/daemon_glob.py
exec python3 "${top_srcdir:-.}/tests/daemon_glob.py" later
