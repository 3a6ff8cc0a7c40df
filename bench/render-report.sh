#!/bin/sh
# bench/render-report.sh -- render bouncewatch's HTML report in headless
# Chromium to PNG screenshots, for a person to look at.
#
#   bench/render-report.sh            # builds bench/out/render.db first
#   DB=/path/to/bouncewatch.db DATE=2026-11-21 bench/render-report.sh
#
# Without DB, a database is built with bouncewatch import from two logs of
# bench/genlog.py (9 quiet days, then a busy day with local throttling)
# plus a crafted line with a hostile reply (<script>, quotes, &, ESC
# sequences).  It renders three reports -- the busy day, the whole range,
# one domain -- each at 1200x1600 (desktop), 1200x5000 (the whole page),
# 400x1600 and 400x6000 (a phone), into bench/out/report-*.{html,png}.
#
# Needs Debian's chromium package (installed with apt-get when missing and
# run as root).  Builds nothing: build bouncewatch first.

set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
BW=${BW:-$top/src/bouncewatch}
out=$here/out
mkdir -p "$out"
[ -x "$BW" ] || { echo "render-report: $BW: not built" >&2; exit 1; }

if ! command -v chromium >/dev/null 2>&1; then
	[ "$(id -u)" -eq 0 ] || { echo "render-report: apt-get install chromium" >&2; exit 1; }
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

conf=$out/render.conf
if [ -z "${DB:-}" ]; then
	DB=$out/render.db
	DATE=${DATE:-2026-11-21}
	FROM=${FROM:-2026-11-12}
	DOMAIN=${DOMAIN:-gmail.com}
	rm -f "$DB" "$DB-wal" "$DB-shm"
	printf 'database = %s\ntimezone = UTC\n' "$DB" > "$conf"
	python3 "$here/genlog.py" --lines 80000 --rate 0.015 --seed 3 \
	    --start 2026-11-12T00:00:00 --format iso --hurricane-share 0.05 > "$out/render-a.log"
	python3 "$here/genlog.py" --lines 200000 --rate 3 --seed 4 \
	    --start 2026-11-21T04:00:00 --format iso --hurricane-share 0.05 > "$out/render-b.log"
	esc=$(printf '\033')
	printf '%s\n' "2026-11-21T09:15:00.000000+00:00 mx1 postfix/smtp[4242]: 7A1B2C3D4E: to=<victim@evil.example>, relay=mx.evil.example[192.0.2.66]:25, delay=1.2, delays=0.1/0/0.5/0.6, dsn=5.0.0, status=bounced (host mx.evil.example[192.0.2.66] said: 550 <script>alert(\"pwn\")</script> & 'quoted' ${esc}[31mRED${esc}[0m zork (in reply to RCPT TO command))" \
	    > "$out/render-c.log"
	BOUNCEWATCH_CONF=$conf "$BW" import "$out/render-a.log" "$out/render-b.log" \
	    "$out/render-c.log" 2>/dev/null
else
	printf 'database = %s\n' "$DB" > "$conf"
	DATE=${DATE:?set DATE=YYYY-MM-DD}
	FROM=${FROM:-$DATE}
	DOMAIN=${DOMAIN:-gmail.com}
fi
export BOUNCEWATCH_CONF="$conf"

"$BW" report --date "$DATE" --format html > "$out/report-day.html"
"$BW" report --from "$FROM" --to "$DATE" --format html > "$out/report-range.html"
"$BW" report --from "$FROM" --to "$DATE" --domain "$DOMAIN" --format html \
    > "$out/report-domain.html"

shoot() {	# html png width height
	prof=$(mktemp -d)
	chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
	    --disable-background-networking --disable-component-update --disable-sync \
	    --hide-scrollbars --user-data-dir="$prof" --screenshot="$2" \
	    --window-size="$3,$4" "file://$1" >/dev/null 2>&1
	rm -rf "$prof"
	[ -s "$2" ] || { echo "render-report: no screenshot $2" >&2; exit 1; }
	echo "$2"
}
for r in day range domain; do
	shoot "$out/report-$r.html" "$out/report-$r-wide.png" 1200 1600
	shoot "$out/report-$r.html" "$out/report-$r-full.png" 1200 5000
	shoot "$out/report-$r.html" "$out/report-$r-phone.png" 400 1600
	shoot "$out/report-$r.html" "$out/report-$r-phone-full.png" 400 6000
done
