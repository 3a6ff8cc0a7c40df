#!/bin/sh
# The report's part of the live view: the alerts bouncewatchd raised in the
# range (v_alerts), listed in text, HTML and JSON, escaped like every
# remote text; and a day for which not one log line was read told apart
# from a day with lines but no delivery (report, --skip-empty, the cron
# job's mail, whose subject also counts the alerts), while a day from before the line counts began stays
# unknown.
. "$top_srcdir/tests/lib.sh"

DB="$T/bw.db"
esc=$(printf '\033')
line() {	# day time rest
	printf '%sT%s.000000+00:00 mx1 %s\n' "$1" "$2" "$3"
}
sent() {	# day time n user
	line "$1" "$2" "postfix/smtp[42]: 4A0B1C2D$3: to=<$4@example.net>, relay=mx.example.net[192.0.2.9]:25, delay=1, delays=0/0/0.5/0.5, dsn=2.0.0, status=sent (250 2.0.0 Ok)"
}
bounced() {	# day time n user
	line "$1" "$2" "postfix/smtp[42]: 4A0B1C2E$3: to=<$4@example.net>, relay=mx.example.net[192.0.2.9]:25, delay=1, delays=0/0/0.5/0.5, dsn=5.1.1, status=bounced (host mx.example.net[192.0.2.9] said: 550 5.1.1 <$4@example.net>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command))"
}
smtpd() {	# day time
	line "$1" "$2" "postfix/smtpd[77]: connect from client.example[198.51.100.7]"
}
# 11-20: deliveries; 11-21: nothing at all; 11-22: deliveries;
# 11-23: lines, but not one delivery
{
	sent 2026-11-20 08:00:00 1 alice
	bounced 2026-11-20 09:00:00 2 bob
	sent 2026-11-22 10:00:00 3 carol
	bounced 2026-11-22 11:00:00 4 dave
	smtpd 2026-11-23 07:00:00
	smtpd 2026-11-23 19:00:00
} > "$T/mail.log"
"$BW" import --quiet --db "$DB" "$T/mail.log" || fail "import"

# alerts as bouncewatchd records them (sql/alerts.sql), with hostile texts
t22=$(date -u -d 2026-11-22T10:05:00Z +%s)
t20=$(date -u -d 2026-11-20T09:05:00Z +%s)
sqlite3 "$DB" "INSERT INTO alert (time, condition, domain, reason, class, count, window, baseline, document) VALUES
    ($t22, 'domain_reason', 'outlook.com', 'blocklisted', 'permanent', 40, 900, 1.5, '{}'),
    ($t22 + 60, 'domain_reason', '<script>x</script>.example', 'user_unknown', 'permanent', 21, 900, 0, '{}'),
    ($t22 + 120, 'domain_reason', 'red${esc}[31m.example', 'policy', 'temporary', 22, 900, 0, '{}'),
    ($t22 + 180, 'source_down', '/var/log/mail.log', '', '', 0, 900, 0, '{}'),
    ($t20, 'domain_reason', 'yesterday.example', 'policy', 'permanent', 30, 900, 0, '{}')" ||
	fail "insert alerts"

# text: a section with the range's four, no raw ESC
"$BW" report --db "$DB" --date 2026-11-22 > "$T/r.txt" || fail "text report"
grep -q '^Alerts raised (4)' "$T/r.txt" || { cat "$T/r.txt" >&2; fail "text: no alerts section"; }
grep -q 'blocklisted *40 *1.5 *outlook.com' "$T/r.txt" || fail "text: the outlook.com alert"
grep -q '^  2026-11-22 10:05 ' "$T/r.txt" || fail "text: the alert's local time"
grep -q 'source_down.*/var/log/mail.log' "$T/r.txt" || fail "text: the source_down alert"
if grep -q "$esc" "$T/r.txt"; then fail "text: raw ESC of an alert"; fi
if grep -q 'yesterday.example' "$T/r.txt"; then fail "text: an alert of another day"; fi
# HTML: escaped
"$BW" report --db "$DB" --date 2026-11-22 --format html > "$T/r.html" || fail "html report"
grep -q '<h2>Alerts raised (4)</h2>' "$T/r.html" || fail "html: no alerts section"
grep -q '&lt;script&gt;x&lt;/script&gt;.example' "$T/r.html" || fail "html: alert domain not escaped"
if grep -q '<script>x' "$T/r.html"; then fail "html: raw <script> of an alert"; fi
if grep -q "$esc" "$T/r.html"; then fail "html: raw ESC of an alert"; fi
# JSON: every field; --domain keeps that domain's
"$BW" report --db "$DB" --date 2026-11-22 --format json > "$T/r.json" || fail "json report"
"$BW" report --db "$DB" --date 2026-11-22 --domain outlook.com --format json > "$T/d.json" ||
	fail "json report --domain"
python3 - "$T/r.json" "$T/d.json" <<'PY' || fail "json alerts"
import json, sys
r = json.load(open(sys.argv[1]))
a = r["alerts"]
assert [x["domain"] for x in a] == ["outlook.com", "<script>x</script>.example",
    "red\x1b[31m.example", "/var/log/mail.log"], a
assert a[0] == {"time": "2026-11-22T10:05:00Z", "local_time": "2026-11-22 10:05:00",
    "condition": "domain_reason", "domain": "outlook.com", "reason": "blocklisted",
    "class": "permanent", "count": 40, "window": 900, "baseline": 1.5}, a[0]
assert a[3]["condition"] == "source_down" and a[3]["reason"] == "", a[3]
assert r["line_counts"] is True and r["days_without_lines"] == [], r["days_without_lines"]
d = json.load(open(sys.argv[2]))
assert [x["domain"] for x in d["alerts"]] == ["outlook.com"], d["alerts"]
PY
pass "alerts: listed in text, HTML and JSON, escaped, by range and domain"

# a day with not one line read: said, never "No delivery attempts"
"$BW" report --db "$DB" --date 2026-11-21 > "$T/n.txt" || fail "report of a day without lines"
grep -q '^WARNING: Not one log line was read for 2026-11-21' "$T/n.txt" ||
	{ cat "$T/n.txt" >&2; fail "no warning for a day without lines"; }
if grep -q 'No delivery attempts' "$T/n.txt"; then fail "a day without lines read as quiet"; fi
"$BW" report --db "$DB" --date 2026-11-21 --format html > "$T/n.html" || fail "html"
grep -q 'class="warn"><p><strong>Warning:</strong> Not one log line was read for 2026-11-21' \
    "$T/n.html" || fail "html: no warning for a day without lines"
[ -n "$("$BW" report --db "$DB" --date 2026-11-21 --skip-empty)" ] ||
	fail "--skip-empty skipped a day without lines"
# a day with lines and no delivery: quiet, and skipped
"$BW" report --db "$DB" --date 2026-11-23 > "$T/q.txt" || fail "report of a quiet day"
grep -q 'No delivery attempts were recorded' "$T/q.txt" || fail "a quiet day not said"
if grep -q 'WARNING' "$T/q.txt"; then fail "a day with lines said to have none"; fi
[ -z "$("$BW" report --db "$DB" --date 2026-11-23 --skip-empty)" ] ||
	fail "--skip-empty printed a quiet day"
# a range: only the day without lines is named
"$BW" report --db "$DB" --from 2026-11-20 --to 2026-11-23 --format json > "$T/g.json" ||
	fail "range"
python3 -c 'import json, sys; r = json.load(open(sys.argv[1]))
sys.exit(r["days_without_lines"] != ["2026-11-21"] or not r["line_counts"] or len(r["alerts"]) != 5)' \
    "$T/g.json" || fail "range: days_without_lines $(grep -o '"days_without_lines":[^]]*]' "$T/g.json")"
# before the counts began: not known, not claimed
"$BW" report --db "$DB" --date 2026-11-19 --format json > "$T/u.json" || fail "before counts"
grep -q '"line_counts":false,"days_without_lines":\[\]' "$T/u.json" ||
	fail "a day before the counts began: $(grep -o '"line_counts".*' "$T/u.json")"
pass "a day without one line is told from a quiet day; before the counts, nothing is claimed"

# a machine that reads nothing (its log elsewhere): a new database, no line
today=$(date -u +%F)
"$BW" import --quiet --db "$T/empty.db" /dev/null || fail "import of nothing"
"$BW" report --db "$T/empty.db" --date "$today" > "$T/e.txt" || fail "report of nothing"
grep -q "^WARNING: Not one log line was read for $today" "$T/e.txt" ||
	{ cat "$T/e.txt" >&2; fail "a database that never read a line: no warning"; }
pass "a database that never read a line says so"

# the cron job: a mail for the day without lines, none for the quiet day
cron="$top_builddir/etc/cron.daily/bouncewatch"
cat > "$T/bw.conf" <<CONF
database = $DB
timezone = UTC
report_to = postmaster@example.org
CONF
cat > "$T/sendmail" <<SM
#!/bin/sh
cat > "$T/mail"
SM
chmod +x "$T/sendmail"
export SENDMAIL="$T/sendmail" BOUNCEWATCH="$BW" BOUNCEWATCH_CONF="$T/bw.conf"
BOUNCEWATCH_NOW=2026-11-22T06:00:00Z BOUNCEWATCH_TIMER=1 "$cron" || fail "cron job"
grep -q '^Subject: bouncewatch 2026-11-21: NO LOG LINE READ on ' "$T/mail" ||
	fail "cron mail for a day without lines: $(grep Subject "$T/mail" 2> /dev/null)"
grep -q 'Not one log line was read for 2026-11-21' "$T/mail" || fail "cron mail body"
rm -f "$T/mail"
BOUNCEWATCH_NOW=2026-11-23T06:00:00Z BOUNCEWATCH_TIMER=1 "$cron" || fail "cron job"
grep -q '^Subject: bouncewatch 2026-11-22: 1 failures of 2 deliveries, 4 alerts on ' "$T/mail" ||
	fail "cron mail subject of a day with alerts: $(grep Subject "$T/mail" 2> /dev/null)"
grep -q '^Alerts raised (4)' "$T/mail" || fail "cron mail without the alerts"
rm -f "$T/mail"
BOUNCEWATCH_NOW=2026-11-24T06:00:00Z BOUNCEWATCH_TIMER=1 "$cron" || fail "cron job"
[ ! -e "$T/mail" ] || fail "cron mail for a quiet day"
pass "cron job: mails a day without lines, counts the alerts, not a quiet day"
