#!/bin/sh
# sync_bench.sh - what `mtls db sync` costs against Debian's slapd on
# loopback (`make bench-sync`, as root), beside the floor of the same
# run: ldapsearch reading the same entries with StartTLS and paged
# results (1000 a page), its output thrown away.
#
#   sync_bench.sh FRESH_RUN SYNC_LDIF MTLS [USERS [CHANGES]]
#
# The directory (USERS users with a certificate each and a private group
# each, default 100000; written by SYNC_LDIF and loaded offline with
# slapadd) is served by slapd with the syncprov overlay and a size limit
# of 500, so that only paged searches read it whole.  Figures, each the
# median of fresh processes (FRESH_RUN: wall time and the child's peak
# RSS): the floor; a full sync (--full); an incremental sync with no
# change; an incremental sync after CHANGES users (default 100) got a new
# certificate.  Targets: a full sync of 100,000 users in 10 s and
# 150 MB at most, an incremental one with no change in 0.5 s.
set -u

if [ $# -lt 3 ]; then
	echo "usage: sync_bench.sh FRESH_RUN SYNC_LDIF MTLS [USERS" \
	    "[CHANGES]]" >&2
	exit 2
fi
FRESH=$1
GEN=$2
MTLS=$3
N=${4:-100000}
CH=${5:-100}
if [ "$(id -u)" -ne 0 ]; then
	echo "sync_bench: needs root (slapd, root-owned files)" >&2
	exit 1
fi
TOP_SRCDIR=${TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
. "$TOP_SRCDIR/tests/sshd-harness.sh"
. "$TOP_SRCDIR/tests/slapd-harness.sh"
die() {
	echo "sync_bench: $*" >&2
	exit 1
}
T=$(mktemp -d /tmp/mtls-syncbench.XXXXXX) || exit 1
trap 'slapd_stop; rm -rf "$T"' EXIT
trap 'exit 1' INT TERM
LDAPNOINIT=1
export LDAPNOINIT

"$MTLS" ca init "$T/ca" --name "Sync Bench CA" --org "mtls sync bench" \
    >/dev/null || die "ca init"
slapd_init "$T/slapd" "$T/ca/ca.pem" || die "ports"
server_cert "$T/server" "$T/ca" 127.0.0.1 || die "server certificate"
P1=$SLAPD_PORT
slapd_conf "$T/server" \
    "sizelimit size.soft=500 size.hard=500 size.prtotal=unlimited"
t0=$(date +%s.%N)
"$GEN" "$T/ca/ca.pem" "$T/ca/ca.key" "$N" >"$T/dir.ldif" || die "ldif"
t1=$(date +%s.%N)
/usr/sbin/slapadd -q -f "$T/slapd/slapd.conf" -l "$T/dir.ldif" ||
    die "slapadd"
t2=$(date +%s.%N)
printf 'directory: %d users and %d groups, %d MB of LDIF (written in' \
    "$N" "$N" $(($(stat -c %s "$T/dir.ldif") / 1048576))
awk -v a="$t0" -v b="$t1" -v c="$t2" \
    'BEGIN { printf " %.1f s, slapadd %.1f s)\n", b - a, c - b }'
rm -f "$T/dir.ldif"
slapd_run || die "slapd"

slapd_sync_conf "$T/sync.conf" "$T/secret" "$T" || die "sync.conf"
cat >"$T/mtls.conf" <<EOF
trust_anchor $T/ca/ca.pem
db_sync $T/sync.conf
EOF
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$T/passwd"
printf 'root:x:0:\n' >"$T/group"
chmod 0644 "$T/mtls.conf" "$T/passwd" "$T/group"
SYNC="$MTLS db sync --config $T/mtls.conf --db $T/identity.db
    --passwd $T/passwd --group $T/group -q"

# row NAME FIGURES: "wall_ms rss_kb runs" as a line of the table
row() {
	set -- "$1" $2
	awk -v n="$1" -v ms="$2" -v kb="$3" -v r="$4" 'BEGIN {
	    printf "%-28s %10.3f s %9.1f MB  (median of %d)\n", n,
	    ms / 1000, kb / 1024, r }'
}

printf '%-28s %12s %12s\n' "" "wall" "peak RSS"
# ldapsearch takes its CA from the environment, which LDAPNOINIT hides
f=$(env -u LDAPNOINIT LDAPTLS_CACERT="$T/ca/ca.pem" LDAPTLS_REQCERT=demand \
    "$FRESH" 3 1 60 -- \
    "$(command -v ldapsearch)" -x -ZZ -H "ldap://127.0.0.1:$P1/" \
    -D cn=reader,dc=example,dc=org -w readerpw -b dc=example,dc=org \
    -E pr=1000/noprompt \
    "(|(objectClass=posixAccount)(objectClass=posixGroup))") ||
    die "ldapsearch"
row "floor: ldapsearch -ZZ paged" "$f"
f=$("$FRESH" 3 1 60 -- $SYNC --full) || die "full sync"
row "mtls db sync --full" "$f"
full=$f
f=$("$FRESH" 7 3 20 -- $SYNC) || die "sync without changes"
row "incremental, no change" "$f"
none=$f
all=""
for k in 1 2 3; do
	"$GEN" "$T/ca/ca.pem" "$T/ca/ca.key" "$CH" $((k * N / 4)) |
	    slapd_modify >/dev/null || die "ldapmodify"
	f=$("$FRESH" 1 1 1 -- $SYNC) || die "sync of changes"
	all="$all$f
"
done
f=$(printf '%s' "$all" | sort -n | sed -n 2p | awk '{ print $1, $2, 3 }')
row "incremental, $CH changed" "$f"
"$MTLS" db show --db "$T/identity.db" user "user$((N / 4))" >/dev/null ||
    die "user$((N / 4)) is not in the database"

# against the targets (100,000 users): 10 s and 150 MB, 0.5 s
set -- $full
awk -v ms="$1" -v kb="$2" -v n="$N" 'BEGIN {
    printf "full sync: %.1f s for 10 s, %.0f MB for 150 MB at 100,000 " \
	"users (%d here)\n", ms / 1000, kb / 1024, n }'
set -- $none
awk -v ms="$1" 'BEGIN { printf "no-change sync: %.3f s for 0.5 s\n", ms / 1000 }'
