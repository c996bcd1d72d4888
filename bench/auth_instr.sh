#!/bin/sh
# auth_instr.sh - the instructions a login executes, counted by valgrind's
# callgrind (`make bench-auth-instr`): the same scenarios as bench-auth
# (bench/auth_bench.c), but a count that does not move with what else the
# machine runs, so that a change of a few percent in the module's own work
# shows on a shared VM where CPU time does not.
#
#   auth_instr.sh AUTH_BENCH MTLS PAM_MTLS_SO [LOGINS]
#
# For each key type, per login (both sides, as in bench-auth): the bare
# handshake (floor), the handshake in which both sides verify the peer's
# chain, PAM alone (pam_permit), a pam_mtls login with an empty CRL, and
# the module's own work: the login less the verified handshake and PAM.
set -u

if [ $# -lt 3 ]; then
	echo "usage: auth_instr.sh AUTH_BENCH MTLS PAM_MTLS_SO [LOGINS]" >&2
	exit 2
fi
BENCH=$1
MTLS=$2
MODULE=$3
LOGINS=${4:-20}
for p in valgrind callgrind_annotate; do
	command -v $p >/dev/null 2>&1 ||
	    { echo "auth_instr: needs $p (valgrind)" >&2; exit 1; }
done
T=$(mktemp -d /tmp/mtls-auth-instr.XXXXXX) || exit 1
trap '[ -n "${AUTH_INSTR_KEEP:-}" ] || rm -rf "$T"' EXIT
trap 'exit 1' INT TERM

# Inclusive instructions and calls of auth_bench.c's FUNCTION in callgrind
# file F, summed over its call sites (source annotation, read from the
# source tree): "INSTRUCTIONS CALLS", or nothing when it was not called.
SRC=${TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
count() {	# F FUNCTION
	(cd "$SRC" && callgrind_annotate --inclusive=yes --auto=yes "$1" \
	    2>/dev/null) | awk -v fn="auth_bench.c:$2 (" '
		index($0, "=> ") && index($0, fn) { ir = $1; gsub(/,/, "", ir)
		    n = $0; sub(/^.*\(/, "", n); sub(/x\).*$/, "", n)
		    tir += ir; tn += n }
		END { if (tn > 0) print tir, tn }'
}

echo "auth_instr: $(valgrind --version); $LOGINS logins per scenario" \
    "(and bench-auth's warm-up), instructions per login, both sides"
printf '%-11s %10s %10s %10s %10s %10s\n' key floor verified "PAM alone" \
    pam_mtls own
status=0
for key in ${AUTH_INSTR_KEYS:-ecdsa-p256 ed25519 rsa-2048}; do
	rm -f "$T"/cg.*
	AUTH_BENCH_KEYS=$key AUTH_BENCH_ROUNDS=1 valgrind --tool=callgrind \
	    --trace-children=yes --callgrind-out-file="$T/cg.%p" \
	    "$BENCH" "$MTLS" "$MODULE" "$LOGINS" 0 >"$T/out" 2>"$T/err" || {
		echo "auth_instr: $key: auth_bench failed" >&2
		tail -n 5 "$T/out" "$T/err" >&2
		status=1
		continue
	}
	floor= verified= pam= login=
	for f in "$T"/cg.*; do
		if c=$(count "$f" one_login) && [ -n "$c" ]; then
			login=$c
		elif c=$(count "$f" one_pam) && [ -n "$c" ]; then
			pam=$c
		elif c=$(count "$f" one_floor) && [ -n "$c" ]; then
			# the bare floor accepts the peer in floor_verify()
			if grep -q 'floor_verify' "$f"; then
				floor=$c
			else
				verified=$c
			fi
		fi
	done
	if [ -z "$floor" ] || [ -z "$verified" ] || [ -z "$pam" ] ||
	    [ -z "$login" ]; then
		echo "auth_instr: $key: a scenario is missing from the" \
		    "profiles" >&2
		status=1
		continue
	fi
	echo "$key $floor $verified $pam $login" | awk '
	    function m(ir, n) { return ir / n / 1e6 }
	    { f = m($2, $3); v = m($4, $5); p = m($6, $7); l = m($8, $9)
	      printf "%-11s %9.2fM %9.2fM %9.2fM %9.2fM %9.2fM\n", $1, f, v,
	          p, l, l - v - p }'
done
exit $status
