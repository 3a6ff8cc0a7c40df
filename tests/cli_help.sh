#!/bin/sh
# The CLI explains itself: every subcommand's --help goes to stdout with
# exit 0 and lists every option its parser accepts -- read from the
# source (the getopt string and the long-option table of each cli_CMD()),
# so a new option without a help line fails here; "bouncewatch help CMD"
# says the same; errors are prefixed "bouncewatch CMD:"; and the bash
# completion offers the subcommands and each one's options.
. "$top_srcdir/tests/lib.sh"

"$BW" --help > "$T/top" 2> "$T/top.err" || fail "bouncewatch --help exit $?"
[ -s "$T/top.err" ] && fail "bouncewatch --help wrote to stderr"
cmds=$(sed -n '/^commands:/,/^$/s/^  \([a-z]*\) .*/\1/p' "$T/top" | grep -v '^help$')
[ "$(echo "$cmds" | wc -l)" -ge 5 ] || fail "commands: $cmds"

for cmd in $cmds; do
	"$BW" "$cmd" --help > "$T/$cmd.out" 2> "$T/$cmd.err" || fail "$cmd --help exit $?"
	[ -s "$T/$cmd.err" ] && fail "$cmd --help wrote to stderr: $(cat "$T/$cmd.err")"
	head -1 "$T/$cmd.out" | grep -q "^usage: bouncewatch $cmd " ||
	    fail "$cmd --help: no usage line"
	"$BW" help "$cmd" > "$T/$cmd.help" || fail "help $cmd exit $?"
	cmp -s "$T/$cmd.out" "$T/$cmd.help" || fail "help $cmd differs from $cmd --help"
	# the options the parser accepts, from the source of cli_CMD()
	python3 - "$cmd" "$top_srcdir"/src/cli_*.c > "$T/$cmd.opts" <<'PY' ||
import re, sys
cmd = sys.argv[1]
for path in sys.argv[2:]:
    src = open(path, encoding="utf-8").read()
    m = re.search(r"^cli_%s\(int argc, char \*\*argv\)\n\{(.*?)^\}" % cmd, src, re.M | re.S)
    if m:
        break
else:
    sys.exit("no cli_%s() in src/cli_*.c" % cmd)
body = m.group(1)
longs = re.findall(r'\{ "([a-z-]+)", (?:no|required|optional)_argument', body)
shorts = re.search(r'getopt_long\(argc, argv, "([^"]*)"', body)
if not longs or not shorts:
    sys.exit("cli_%s: no option table" % cmd)
for name in longs:
    print("--" + name)
for c in shorts.group(1).replace(":", ""):
    print("-" + c)
PY
	    fail "$cmd: options not found in the source"
	while read -r opt; do
		case $opt in
		--*) grep -Eq -- "^ +(-[A-Za-z], )?$opt( |$)" "$T/$cmd.out" ;;
		*) grep -Eq -- "^ +$opt, --" "$T/$cmd.out" ;;
		esac || fail "$cmd --help does not describe $opt"
	done < "$T/$cmd.opts"
	# one line each, with words after the option
	if grep -Eq -- '^ +(-[A-Za-z], )?--[a-z-]+( [A-Z]+)? *$' "$T/$cmd.out"; then
		fail "$cmd --help: an option without a description"
	fi
	# a usage error: stderr, status 2, the prefix
	set +e
	"$BW" "$cmd" --no-such-option > "$T/$cmd.bad" 2> "$T/$cmd.bade"
	st=$?
	set -e
	assert_eq "$st" 2 "$cmd --no-such-option exit status"
	[ -s "$T/$cmd.bad" ] && fail "$cmd: usage error on stdout"
	head -1 "$T/$cmd.bade" | grep -q "^bouncewatch $cmd: " ||
	    fail "$cmd: error not prefixed: $(head -1 "$T/$cmd.bade")"
	pass "$cmd: --help lists $(wc -l < "$T/$cmd.opts") options; help $cmd; errors prefixed"
done

# a runtime error carries the prefix too
set +e
"$BW" report --db "$T/nonexistent.db" 2> "$T/rt.err"
st=$?
set -e
assert_eq "$st" 1 "report on a missing database"
grep -q "^bouncewatch report: .*nonexistent.db" "$T/rt.err" ||
    fail "runtime error not prefixed: $(cat "$T/rt.err")"
set +e
"$BW" help no-such-command > /dev/null 2> "$T/hn.err"
st=$?
set -e
assert_eq "$st" 2 "help of an unknown command"
grep -q '^bouncewatch help: unknown command' "$T/hn.err" || fail "help: $(cat "$T/hn.err")"
pass "runtime errors prefixed; help of an unknown command"

# bash completion, as bash-completion loads it
comp="$top_srcdir/etc/bash-completion/bouncewatch"
if ! command -v bash > /dev/null 2>&1; then
	echo "skip: no bash"
	exit 0
fi
complete_words() {	# the words of a command line, the last being completed
	bash -c '
		_init_completion() {	# bash-completion'"'"'s, minimal
			words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD
			cur=${words[cword]}; prev=${words[cword-1]}
		}
		_filedir() { COMPREPLY=(FILE); }
		. "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		_bouncewatch "$BW" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
		printf "%s\n" "${COMPREPLY[@]}" | sort' sh "$comp" "$@"
}
export BW
got=$(complete_words bouncewatch "" | tr '\n' ' ')
assert_eq "$got" "$(printf '%s\n' $cmds help | sort | tr '\n' ' ')" "completion of the command"
for cmd in $cmds; do
	got=$(complete_words bouncewatch -c x.conf "$cmd" --)
	want=$(grep -- '^--' "$T/$cmd.opts" | sort)
	assert_eq "$got" "$want" "completion of $cmd's options"
done
assert_eq "$(complete_words bouncewatch report --format "" | tr '\n' ' ')" \
    "csv html json text " "completion of report --format"
assert_eq "$(complete_words bouncewatch help su)" "suppressions" "completion of help"
pass "bash completion: commands, each one's options, formats"
