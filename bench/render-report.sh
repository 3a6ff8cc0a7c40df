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
# one domain -- and the day's mail version (--mail) and browser file with
# scripts and SVG stripped as webmail does, each at 1280 px (desktop) and
# 375 px (a phone), the top and the whole page, into
# bench/out/report-*.{html,png}, and says how wide each page is laid out
# at 375 px (wider: a sideways scroll).
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

"$BW" report --date "$DATE" --format html --mail > "$out/report-mail.html"
# what webmail does to a message: scripts and SVG dropped
python3 - "$out/report-mail.html" "$out/report-day.html" <<'PY'
import re, sys
for src in sys.argv[1:]:
    t = open(src, encoding="utf-8").read()
    t = re.sub(r"(?s)<script.*?</script>|<svg.*?</svg>", "", t)
    open(src.replace(".html", "-stripped.html"), "w", encoding="utf-8").write(t)
PY

chrome() {
	prof=$(mktemp -d)
	chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
	    --disable-background-networking --disable-component-update --disable-sync \
	    --hide-scrollbars --user-data-dir="$prof" "$@" 2>/dev/null
	rm -rf "$prof"
}
shoot() {	# html png width height
	chrome --screenshot="$2" --window-size="$3,$4" "file://$1" >/dev/null
	[ -s "$2" ] || { echo "render-report: no screenshot $2" >&2; exit 1; }
	echo "$2"
}
# the page's width as laid out in a frame this wide (CSS px): more than
# the frame is a sideways scroll.  (Headless Chromium's window is at
# least 500 px wide when it dumps the DOM: an iframe is not.)
width() {	# html width
	cat > "$1.w.html" <<EOF
<!DOCTYPE html><title>x</title><iframe id="f" src="$(basename "$1")"
 style="width:$2px;height:900px;border:0"></iframe><script>
document.getElementById("f").onload = function () {
	var d = this.contentDocument, n = 0;
	d.querySelectorAll("section, .scroll, table").forEach(function (e) {
		if (e.scrollWidth > e.clientWidth + 1) n++;
	});
	document.title = "W=" + d.documentElement.scrollWidth + " " + n;
 };</script>
EOF
	chrome --allow-file-access-from-files --virtual-time-budget=5000 --dump-dom \
	    --window-size=1280,900 "file://$1.w.html" |
	    sed -n 's|.*<title>W=\([0-9]*\) \([0-9]*\)</title>.*|\1 \2|p'
	rm -f "$1.w.html"
}
for r in day range domain mail-stripped day-stripped; do
	f=$out/report-$r.html
	shoot "$f" "$out/report-$r-1280.png" 1280 1600
	shoot "$f" "$out/report-$r-1280-full.png" 1280 5200
	shoot "$f" "$out/report-$r-375.png" 375 1600
	shoot "$f" "$out/report-$r-375-full.png" 375 7000
	set -- $(width "$f" 375)
	echo "report-$r.html at 375 px: laid out ${1:-?} px wide, $2 boxes wider than their frame"
	[ "${1:-9999}" -le 375 ] && [ "${2:-1}" = 0 ] ||
	    echo "render-report: report-$r.html scrolls sideways at 375 px" >&2
done
