#!/bin/sh
# bouncewatchd under Debian's real logrotate(8): see tests/rotate/logrotate_test.py.
# Installs logrotate when missing (as root); exit 77 when it cannot.
if ! command -v logrotate >/dev/null 2>&1 && [ ! -x /usr/sbin/logrotate ]; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q logrotate >/dev/null 2>&1 ||
		{ apt-get update -q >/dev/null 2>&1 &&
		  DEBIAN_FRONTEND=noninteractive apt-get install -y -q logrotate >/dev/null 2>&1; }
	fi
fi
PATH=$PATH:/usr/sbin:/sbin
command -v logrotate >/dev/null 2>&1 || { echo "SKIP: logrotate not installed"; exit 77; }
exec python3 "${top_srcdir:-.}/tests/rotate/logrotate_test.py" "$@"
