# lib.sh - helpers for the shell tests: assertions that count and report.
# Sourced by tests/*.sh; expects MTLS and FIXTURES from the Makefile.

: "${MTLS:?MTLS is not set (run through make check)}"
: "${FIXTURES:?FIXTURES is not set (run through make check)}"

passed=0
failed=0
TMP=$(mktemp -d /tmp/mtls-sh.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

# Run with the programs scripts/install-deps lists and no others: a test
# that starts using another one fails here, on every machine, rather than
# only on a fresh one where nothing happened to install it.
: "${TOP_SRCDIR:?TOP_SRCDIR is not set (run through make check)}"
mkdir "$TMP/bin"
for tool in $("$TOP_SRCDIR/scripts/install-deps" --tools); do
	where=$(PATH="$PATH:/usr/sbin:/sbin" command -v "$tool") || {
		echo "lib.sh: $tool is not installed: run scripts/install-deps" >&2
		exit 99
	}
	ln -s "$where" "$TMP/bin/$tool"
done
PATH=$TMP/bin
export PATH
unset tool where

ok() {
	passed=$((passed + 1))
}

fail() {
	failed=$((failed + 1))
	printf 'FAIL: %s\n' "$*" >&2
}

# expect_exit CODE DESCRIPTION -- COMMAND...: run, keep stdout/stderr in
# $TMP/out and $TMP/err, check the exit status.
expect_exit() {
	want=$1
	what=$2
	shift 3
	"$@" >"$TMP/out" 2>"$TMP/err"
	got=$?
	if [ "$got" -eq "$want" ]; then
		ok
	else
		fail "$what: exit $got, expected $want; stderr: $(cat "$TMP/err")"
	fi
}

# expect_in FILE PATTERN DESCRIPTION: FILE contains the fixed string.
expect_in() {
	if grep -qF -- "$2" "$1"; then
		ok
	else
		fail "$3: '$2' not in $(basename "$1"): $(cat "$1")"
	fi
}

expect_empty() {
	if [ ! -s "$1" ]; then
		ok
	else
		fail "$2: expected nothing, got: $(cat "$1")"
	fi
}

finish() {
	printf '%d passed, %d failed\n' "$passed" "$failed"
	[ "$failed" -eq 0 ]
}
