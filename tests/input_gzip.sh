#!/bin/sh
# A .gz log is inflated in a thread of its own, buffers ahead of the lines
# (input.c), by ISA-L's igzip where configure found it, else zlib
# (input_gz.c): what it hands out must stay what zlib's gzread gives.  A
# gzip cut in the middle imports the lines before the cut, exactly as a
# plain file holding them; a gzip corrupted in the middle is a read error
# after the lines before it, and nothing of the batch is kept; a whole one
# imports what the plain file imports.  Then what a second inflater
# risks: members in turn, header fields (one straddling a read), bytes
# after the last member, cuts at many offsets, a bad CRC or length, an
# empty member: each imported as zcat's output (zlib's, for cuts) is.
. "$top_srcdir/tests/lib.sh"

command -v sqlite3 > /dev/null 2>&1 || { echo "sqlite3 missing: skip"; exit 77; }
command -v python3 > /dev/null 2>&1 || { echo "python3 missing: skip"; exit 77; }

# 100k lines, about 15 MB: many of the inflating thread's 1 MiB buffers
python3 "$top_srcdir/bench/genlog.py" --lines 100000 --seed 3 \
    --start 2026-11-20T00:00:00 > "$T/mail.log"
gzip -c "$T/mail.log" > "$T/mail.log.gz"
size=$(wc -c < "$T/mail.log.gz")
head -c $((size / 2)) "$T/mail.log.gz" > "$T/cut.gz"
cp "$T/mail.log.gz" "$T/bad.gz"
printf 'corrupted in the middle of the deflate stream' |
	dd of="$T/bad.gz" bs=1 seek=$((size / 2)) conv=notrunc 2> /dev/null

rows() { sqlite3 -readonly "$1" "SELECT * FROM failure"; }

"$BW" import --quiet --db "$T/plain.db" "$T/mail.log" || fail "plain import"
"$BW" import --quiet --db "$T/gz.db" "$T/mail.log.gz" || fail "gzip import"
[ "$(rows "$T/plain.db")" = "$(rows "$T/gz.db")" ] || fail "the .gz import differs from the plain one"
pass "a whole .gz imports what the plain file imports"

"$BW" import --quiet --db "$T/cut.db" "$T/cut.gz" 2> "$T/err" ||
	fail "a cut gzip: $(cat "$T/err")"
n=$(sqlite3 -readonly "$T/cut.db" "SELECT lines FROM source")
off=$(sqlite3 -readonly "$T/cut.db" "SELECT offset FROM source")
[ "$n" -gt 1000 ] && [ "$n" -lt 100000 ] || fail "a cut gzip: $n lines"
head -n "$n" "$T/mail.log" > "$T/prefix.log"
assert_eq "$off" "$(wc -c < "$T/prefix.log")" "offset after a cut gzip"
"$BW" import --quiet --db "$T/prefix.db" "$T/prefix.log" || fail "prefix import"
[ "$(rows "$T/prefix.db")" = "$(rows "$T/cut.db")" ] ||
	fail "a cut gzip differs from the plain file of its $n lines"
pass "a gzip cut in the middle: its first $n lines, as plain"

st=0
"$BW" import --quiet --db "$T/bad.db" "$T/bad.gz" 2> "$T/err" || st=$?
assert_eq "$st" 1 "exit status of a corrupt gzip"
grep -q 'read error after [0-9]* lines' "$T/err" || fail "no read error said: $(cat "$T/err")"
assert_eq "$(sqlite3 -readonly "$T/bad.db" "SELECT count(*) FROM failure")" 0 "rows kept of a corrupt gzip"
pass "a corrupt gzip: a read error, nothing kept"

# corrupt from its first bytes: no line at all, still a read error
# (a header without a name, then a deflate block of the reserved type 3)
printf '\037\213\010\000\000\000\000\000\000\003garbage' > "$T/early.gz"
st=0
"$BW" import --quiet --db "$T/early.db" "$T/early.gz" 2> "$T/err" || st=$?
assert_eq "$st" 1 "exit status of a gzip corrupt from its start"
grep -q 'early.gz: read error before the first line' "$T/err" ||
	fail "a gzip corrupt from its start: no read error said: $(cat "$T/err")"
pass "a gzip corrupt from its first bytes: a read error, not an empty file"

# ---- what a second inflater risks ----
# NAME.gz against the plain REF: status, lines, offset and rows alike
result() {
	st=0
	"$BW" import --quiet --db "$T/r.db" "$1" 2> "$T/r.err" || st=$?
	echo "status $st"
	[ "$st" = 0 ] || grep -o 'read error after [0-9]* lines' "$T/r.err" || :
	sqlite3 -readonly "$T/r.db" "SELECT lines, offset FROM source; SELECT * FROM failure"
	rm -f "$T/r.db" "$T/r.db-wal" "$T/r.db-shm"
}
same_as() {
	result "$1" > "$T/gz.out"
	result "$2" > "$T/ref.out"
	cmp -s "$T/gz.out" "$T/ref.out" ||
		fail "$3: $(diff "$T/ref.out" "$T/gz.out" | head -5)"
}
# zcat's output of NAME.gz; zcat's status must be $2
zref() {
	st=0
	zcat < "$1" > "$1.plain" 2> /dev/null || st=$?
	assert_eq "$st" "$2" "zcat's status on $(basename "$1")"
}

python3 - "$T" "$T/mail.log" > "$T/cuts" <<'PY'
import random, struct, sys, zlib

t, log = sys.argv[1], open(sys.argv[2], 'rb').read()


def member(data, flg=0, extra=None, name=None, comment=None, hcrc=False):
    if extra is not None:
        flg |= 4
    if name is not None:
        flg |= 8
    if comment is not None:
        flg |= 16
    if hcrc:
        flg |= 2
    h = b'\x1f\x8b\x08' + bytes([flg]) + struct.pack('<I', 1764806400) + b'\x00\x03'
    if extra is not None:
        h += struct.pack('<H', len(extra)) + extra
    if name is not None:
        h += name + b'\0'
    if comment is not None:
        h += comment + b'\0'
    if hcrc:
        h += struct.pack('<H', zlib.crc32(h) & 0xffff)
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    body = c.compress(data) + c.flush()
    return h + body + struct.pack('<II', zlib.crc32(data), len(data))


def put(name, b):
    open(t + '/' + name, 'wb').write(b)


def flip(b, i):
    b = bytearray(b)
    b[i] ^= 0x40
    return bytes(b)


a, b = log[:1500000], log[1500000:3000000]
whole = member(a)
put('hdr.gz', member(a, extra=b'BW\x06\x00fields' * 20, name=b'mail.log',
    comment=b'a comment', hcrc=True))
# a second member whose header (with a header CRC) straddles the 256 KiB
# the reader reads at a time: the first member's extra field pads it
first = member(log[:1300000], extra=b'')
pad = 262144 - 5 - len(first)
assert 0 <= pad <= 65535
put('straddle.gz', member(log[:1300000], extra=b'x' * pad) +
    member(b, name=b'two', hcrc=True))
put('garbage.gz', whole + b'this is not gzip data\n' * 4)
put('zeros.gz', whole + b'\0' * 1000)
put('reserved.gz', whole + member(b, flg=0x20))
n = len(whole)
put('crc.gz', flip(whole, n - 7))
put('isize.gz', flip(whole, n - 3))
# a second member cut in a block igzip refuses from its first bytes (no
# code length code), before zlib, reading on, would: gzread reads a cut
put('badcodes.gz', whole + b'\x1f\x8b\x08\x00' + b'\x00' * 4 + b'\x00\x03' +
    b'\x04\x00\x00\x00')
put('badcodes.ref', a)

# cuts: lines of random text (a newline is a literal, not inside a match)
# cut where the last byte zlib can inflate is a newline, so that a byte kept
# back loses a line; and cuts in the header and in the trailer
rnd = random.Random(7)
text = b''.join(b'%x' % rnd.getrandbits(rnd.randrange(40, 400)) + b'\n'
    for _ in range(12000))
src = member(text)
d = zlib.decompressobj(31)
out = bytearray()
ends = []
for i in range(len(src)):
    k = len(out)
    out += d.decompress(src[i:i + 1])
    if len(out) > k and out[-1:] == b'\n':
        ends.append(i + 1)
cuts = [ends[j * len(ends) // 30] for j in range(1, 30)] + [5, 14, len(src) - 8, len(src) - 3]
for c in cuts:
    put('cut%d.gz' % c, src[:c])
    d = zlib.decompressobj(31)
    put('cut%d.ref' % c, d.decompress(src[:c]))
print(' '.join(str(c) for c in cuts))
PY

# members in turn: gzip's own, cut between lines and inside one
head -c 1200000 "$T/mail.log" | gzip -c > "$T/multi.gz"
head -c 4000000 "$T/mail.log" | tail -c +1200001 | gzip -1 -c >> "$T/multi.gz"
tail -c +4000001 "$T/mail.log" | gzip -9 -c >> "$T/multi.gz"
zref "$T/multi.gz" 0
cmp -s "$T/multi.gz.plain" "$T/mail.log" || fail "zcat of the members"
same_as "$T/multi.gz" "$T/multi.gz.plain" "three members"
pass "three members read in turn"

for c in hdr straddle; do
	zref "$T/$c.gz" 0
	[ "$(wc -c < "$T/$c.gz.plain")" -gt 1000000 ] || fail "$c: zcat gives little"
	same_as "$T/$c.gz" "$T/$c.gz.plain" "header fields ($c)"
done
pass "FEXTRA, FNAME, FCOMMENT, FHCRC; a header with its CRC across a read"

# gzip warns of trailing garbage (status 2) and skips zeros; zlib ignores both
zref "$T/garbage.gz" 2
zref "$T/zeros.gz" 0
same_as "$T/garbage.gz" "$T/garbage.gz.plain" "trailing garbage"
same_as "$T/zeros.gz" "$T/zeros.gz.plain" "zero padding"
pass "bytes after the last member are not read"

gzip -c < /dev/null > "$T/empty.gz"
zref "$T/empty.gz" 0
[ ! -s "$T/empty.gz.plain" ] || fail "zcat of an empty member"
same_as "$T/empty.gz" "$T/empty.gz.plain" "an empty member"
cat "$T/empty.gz" "$T/multi.gz" "$T/empty.gz" > "$T/empties.gz"
same_as "$T/empties.gz" "$T/mail.log" "empty members around others"
pass "empty members"

# a bad CRC, a bad length, reserved header flags: zcat refuses them (1),
# the import is a read error after the first 1 MiB chunk, nothing kept
for c in crc isize reserved; do
	zref "$T/$c.gz" 1
	result "$T/$c.gz" > "$T/$c.out"
	awk 'NR == 1 && $0 == "status 1" { s++ }
	    NR == 2 && /^read error after [1-9][0-9]* lines$/ { s++ }
	    END { exit !(s == 2 && NR == 2) }' "$T/$c.out" ||
		fail "$c: $(head -3 "$T/$c.out")"
done
pass "a flipped CRC or length byte, reserved flags: read errors"

# cuts: zlib's output is the reference (gzip's own inflater keeps back a
# byte at some cuts); the cut offsets lie where zlib's last byte is a newline
n=0
for c in $(cat "$T/cuts"); do
	same_as "$T/cut$c.gz" "$T/cut$c.ref" "a gzip cut after $c bytes"
	n=$((n + 1))
done
[ "$n" -gt 30 ] || fail "only $n cuts"
pass "$n cuts (header, deflate data, trailer): the lines zlib gives"

same_as "$T/badcodes.gz" "$T/badcodes.ref" "a block igzip refuses, cut before zlib does"
pass "a member cut where igzip already refuses it: zlib's verdict, a cut"

# lines cut where a ring buffer of the reader ends, at every length up to
# past PARSE_LINE_MAX (65536): the cut line moves into the next buffer's
# head room, an over-long one is skipped; as the plain file, line for line
python3 - "$T/long.log" <<'PY'
import random, sys
rnd = random.Random(11)
out = open(sys.argv[1], 'w')
for i in range(260):
    n = rnd.choice([65535, 65536, 65537, 65534, 70000, 300000, 2000]) if i % 3 else rnd.randrange(10, 200)
    out.write('Nov 20 00:00:%02d mx1 postfix/smtp[1]: %s\n' % (i % 60, 'x' * n))
PY
cat "$T/mail.log" >> "$T/long.log"
gzip -c "$T/long.log" > "$T/long.gz"
same_as "$T/long.gz" "$T/long.log" "lines across ring buffers, over-long ones"
pass "lines of up to and past PARSE_LINE_MAX bytes across buffers: as plain"
