#!/bin/sh
# bouncewatchd fault test "pidfile-symlink": see tests/daemon_harness.py
exec python3 "${top_srcdir:-.}/tests/daemon_harness.py" pidfile-symlink
