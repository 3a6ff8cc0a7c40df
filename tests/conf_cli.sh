#!/bin/sh
# bouncewatch.conf(5) as the programs read it: unsafe files refused with a
# message naming the file and the reason (issue 11 #10), by bouncewatchd -n
# (exit 78) and by bouncewatch (exit 1); the same files made safe pass.
. "$top_srcdir/tests/lib.sh"

conf="$T/bw.conf"
printf 'log = %s/mail.log\ndatabase = %s/bw.db\n' "$T" "$T" > "$conf"
: > "$T/mail.log"

# safe: 0644, owned by us
chmod 0644 "$conf"
"$BWD" -n -c "$conf" > "$T/out" 2>&1 || fail "-n on a safe file: $(cat "$T/out")"
grep -q "configuration OK" "$T/out" || fail "-n said: $(cat "$T/out")"

# group-writable and world-writable: refused by both programs
for mode in 0664 0666; do
	chmod "$mode" "$conf"
	rc=0
	"$BWD" -n -c "$conf" > "$T/out" 2>&1 || rc=$?
	assert_eq "$rc" 78 "bouncewatchd -n on a $mode config"
	grep -q "$conf: writable by" "$T/out" || fail "$mode: no reason given: $(cat "$T/out")"
	rc=0
	BOUNCEWATCH_CONF="$conf" "$BW" report > "$T/out" 2>&1 || rc=$?
	assert_eq "$rc" 1 "bouncewatch report with a $mode config"
	grep -q "$conf: writable by" "$T/out" || fail "$mode: bouncewatch gave no reason"
done
chmod 0644 "$conf"

# a password in the database URI: readable by the group is refused
printf 'log = %s/mail.log\ndatabase = postgresql://bw:s3cret@db/bw\n' "$T" > "$conf"
chmod 0640 "$conf"
rc=0
"$BWD" -n -c "$conf" > "$T/out" 2>&1 || rc=$?
assert_eq "$rc" 78 "bouncewatchd -n on a group-readable password"
grep -q "holds a password but is readable by its group" "$T/out" ||
	fail "no password reason: $(cat "$T/out")"

# a file of another user (only root can make one)
if [ "$(id -u)" -eq 0 ] && id nobody > /dev/null 2>&1; then
	printf 'log = %s/mail.log\n' "$T" > "$conf"
	chmod 0644 "$conf"
	chown nobody "$conf"
	rc=0
	"$BWD" -n -c "$conf" > "$T/out" 2>&1 || rc=$?
	assert_eq "$rc" 78 "bouncewatchd -n on another user's config"
	grep -q "neither root nor the running user" "$T/out" ||
		fail "no owner reason: $(cat "$T/out")"
fi
pass "unsafe configuration files refused"
