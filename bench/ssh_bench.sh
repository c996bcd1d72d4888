#!/bin/sh
# ssh_bench.sh - what a whole SSH login costs with `mtls ssh` and
# pam_mtls, against OpenSSH's own public-key and user-certificate logins
# on the same machine in the same run (`make bench-ssh`, as root).
#
#   ssh_bench.sh RUNNER MTLS PAM_MTLS_SO [ROUNDS [WARMUP [RTT_MS]]]
#
# Four sshds of tests/sshd-harness.sh on 127.0.0.1 (private mount and PID
# namespaces: the host's /etc is never changed), one per method, so that
# each one's CPU is its own:
#   pubkey      an ed25519 key in the user's authorized_keys
#   usercert    an ed25519 key with a user certificate (TrustedUserCAKeys)
#   mtls        mtls ssh + pam_mtls, an empty CRL
#   mtls-crl100k  mtls ssh + pam_mtls, a CRL of 100,000 serials, indexed
#                 by mtls crl update beforehand
#   mtls-baseline as mtls, with the mtls program SSH_BENCH_BASELINE names
#                 (another build, to compare with), when it is set
# The OpenSSH methods run the same account and session PAM stack as the
# mtls ones (pam_unix, pam_permit), without pam_mtls; every client checks
# the host key (known_hosts, or what a certificate vouched for), and runs
# `true` as the user.  The first mtls login of each host (the probe that
# records the vouched key) happens in the warm-up rounds.  RUNNER
# (bench/ssh_bench.c) runs the rounds and prints the figures.  With
# RTT_MS above 0, the clients reach each sshd through delay_proxy (beside
# RUNNER), which delays every byte by half that round trip each way: what
# a login costs on a network, where each round trip of the protocol
# counts.
set -u

if [ $# -lt 3 ]; then
	echo "usage: ssh_bench.sh RUNNER MTLS PAM_MTLS_SO [ROUNDS [WARMUP" \
	    "[RTT_MS]]]" >&2
	exit 2
fi
RUNNER=$1
MTLS=$2
PAM_MTLS=$3
ROUNDS=${4:-30}
WARMUP=${5:-2}
RTT=${6:-0}
PROXY=$(dirname "$RUNNER")/delay_proxy
if [ "$(id -u)" -ne 0 ]; then
	echo "ssh_bench: needs root (the sshds run in namespaces)" >&2
	exit 1
fi
TOP_SRCDIR=${TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
. "$TOP_SRCDIR/tests/sshd-harness.sh"

T=$(mktemp -d /tmp/mtls-sshbench.XXXXXX) || exit 1
chmod 0755 "$T"
PROXIES=
trap 'for p in $PROXIES; do kill "$p"; done; harness_stop_all; rm -rf "$T"' \
    EXIT
trap 'exit 1' INT TERM
die() {
	echo "ssh_bench: $*" >&2
	exit 1
}
U=mtlsalice
export HARNESS_USERS="$U:60001"

# --- the organization, and the OpenSSH keys ---------------------------------
$MTLS ca init "$T/ca" --name "Bench Root CA" --org "mtls bench" \
    >/dev/null || die "ca init"
$MTLS ca issue "$T/ca" --user $U --out "$T/$U" >/dev/null || die "issue"
$MTLS ca issue "$T/ca" --host localhost --out "$T/host" >/dev/null ||
    die "issue host"
ssh-keygen -q -t ed25519 -N '' -C bench -f "$T/id_pubkey" || die "keygen"
ssh-keygen -q -t ed25519 -N '' -C bench -f "$T/id_cert" || die "keygen"
ssh-keygen -q -t ed25519 -N '' -C bench-ca -f "$T/user_ca" || die "keygen"
ssh-keygen -q -s "$T/user_ca" -I bench -n $U -V -1d:+1d \
    "$T/id_cert.pub" || die "user certificate"

# A CRL of 100,000 serials from the bench CA (openssl ca -gencrl over an
# index written here); none of them is the user's.
mkdir "$T/ocrl" && echo 01 >"$T/ocrl/crlnumber" || die "mkdir"
awk 'BEGIN { for (i = 1; i <= 100000; i++)
	printf "R\t301231235959Z\t250101000000Z\t7%07X%08X\tunknown\t/CN=x\n",
	    i, (i * 2654435761) % 4294967296 }' >"$T/ocrl/index.txt"
cat >"$T/ocrl/ca.cnf" <<EOF
[ ca ]
default_ca = bench
[ bench ]
database = $T/ocrl/index.txt
crlnumber = $T/ocrl/crlnumber
default_md = sha256
default_crl_days = 7
EOF
openssl ca -config "$T/ocrl/ca.cnf" -gencrl -keyfile "$T/ca/ca.key" \
    -cert "$T/ca/ca.pem" -out "$T/crl100k.pem" 2>/dev/null ||
    die "openssl ca -gencrl"

# --- the sshds -----------------------------------------------------------------
plain_pam() {
	cat <<EOF
auth     required pam_deny.so
account  required pam_unix.so
session  required pam_permit.so
password required pam_deny.so
EOF
}
mtls_pam() {
	M="$PAM_MTLS config=$1"
	cat <<EOF
auth     required $M
account  required $M
account  required pam_unix.so
session  optional $M
session  required pam_permit.so
password required pam_deny.so
EOF
}
server_conf() {	# NAME CRL
	mkdir -p "$T/cache-$1" && chmod 0700 "$T/cache-$1"
	cat >"$T/server-$1.conf" <<EOF
trust_anchor $T/ca/ca.pem
crl $2
crl_cache $T/cache-$1
host_certificate $T/host.pem
host_key $T/host.key
ssh_host_key $T/sshd-$1/etc/ssh_host_ed25519_key.pub
map from=cn
EOF
	chmod 0644 "$T/server-$1.conf"
}
server_conf mtls "$T/ca/crl.pem"
server_conf mtls-crl100k "$T/crl100k.pem"
METHODS="pubkey usercert mtls mtls-crl100k"
if [ -n "${SSH_BENCH_BASELINE:-}" ]; then
	server_conf mtls-baseline "$T/ca/crl.pem"
	METHODS="$METHODS mtls-baseline"
fi
plain_pam >"$T/plain.pam"
mtls_pam "$T/server-mtls.conf" >"$T/mtls.pam"
mtls_pam "$T/server-mtls-crl100k.conf" >"$T/mtls-crl100k.pam"
mtls_pam "$T/server-mtls-baseline.conf" >"$T/mtls-baseline.pam"
PUBKEY_OPTS="PubkeyAuthentication=yes AuthenticationMethods=publickey
AuthorizedKeysFile=.ssh/authorized_keys"
# shellcheck disable=SC2086
harness_start "$T/sshd-pubkey" "$T/plain.pam" $PUBKEY_OPTS ||
    die "sshd (pubkey)"
# shellcheck disable=SC2086
harness_start "$T/sshd-usercert" "$T/plain.pam" $PUBKEY_OPTS \
    "TrustedUserCAKeys=$T/user_ca.pub" AuthorizedKeysFile=none ||
    die "sshd (usercert)"
harness_start "$T/sshd-mtls" "$T/mtls.pam" || die "sshd (mtls)"
harness_start "$T/sshd-mtls-crl100k" "$T/mtls-crl100k.pam" ||
    die "sshd (mtls-crl100k)"
if [ -n "${SSH_BENCH_BASELINE:-}" ]; then
	harness_start "$T/sshd-mtls-baseline" "$T/mtls-baseline.pam" ||
	    die "sshd (mtls-baseline)"
fi
h=$T/sshd-pubkey/home/$U
mkdir -p "$h/.ssh" && cp "$T/id_pubkey.pub" "$h/.ssh/authorized_keys" &&
    chown -R 60001:60001 "$h/.ssh" && chmod 0700 "$h/.ssh" ||
    die "authorized_keys"

# The revocation index, as the administrator's cron job would build it
# (a CRL younger than 2 seconds is not indexed).
sleep 2
$MTLS crl update --config "$T/server-mtls.conf" >/dev/null &&
    $MTLS crl update --config "$T/server-mtls-crl100k.conf" >/dev/null ||
    die "mtls crl update"

# The port each method's client connects to: sshd's, or a delaying proxy's.
for m in $METHODS; do
	if [ "$RTT" -gt 0 ]; then
		p=$(_harness_free_port) || die "no free port"
		"$PROXY" "$p" "$(harness_port "$T/sshd-$m")" "$RTT" &
		PROXIES="$PROXIES $!"
		echo "$p" >"$T/port-$m"
	else
		harness_port "$T/sshd-$m" >"$T/port-$m"
	fi
done
[ "$RTT" -gt 0 ] && sleep 0.5

# --- the clients ----------------------------------------------------------------
cat >"$T/client.conf" <<EOF
trust_anchor $T/ca/ca.pem
crl $T/ca/crl.pem
EOF
chmod 0644 "$T/client.conf"
MTLS_KNOWN_HOSTS=$T/vouched
export MTLS_KNOWN_HOSTS
common_opts() {	# NAME
	printf '%s\n' -F /dev/null -p "$(cat "$T/port-$1")" \
	    -o AddressFamily=inet -o ConnectTimeout=20
}
openssh_spec() {	# NAME KEY [OPTION...]
	name=$1
	key=$2
	shift 2
	port=$(cat "$T/port-$name")
	printf '[localhost]:%s %s\n' "$port" \
	    "$(cut -d' ' -f1,2 "$T/sshd-$name/etc/ssh_host_ed25519_key.pub")" \
	    >"$T/known_hosts-$name"
	{
		echo "$name"
		harness_pid "$T/sshd-$name"
		echo ssh
		common_opts "$name"
		printf '%s\n' -i "$key" -o IdentitiesOnly=yes -o BatchMode=yes \
		    -o PreferredAuthentications=publickey \
		    -o StrictHostKeyChecking=yes \
		    -o "UserKnownHostsFile=$T/known_hosts-$name" \
		    -o GlobalKnownHostsFile=/dev/null "$@" $U@localhost true
	} >"$T/spec-$name"
}
mtls_spec() {	# NAME [MTLS]
	{
		echo "$1"
		harness_pid "$T/sshd-$1"
		printf '%s\n' "${2:-$MTLS}" ssh --config "$T/client.conf" \
		    --cert "$T/$U.pem" --key "$T/$U.key"
		common_opts "$1"
		printf '%s\n' -o UserKnownHostsFile=/dev/null \
		    -o GlobalKnownHostsFile=/dev/null $U@localhost true
	} >"$T/spec-$1"
}
openssh_spec pubkey "$T/id_pubkey"
# only the certificate: ssh would offer the plain key first
openssh_spec usercert "$T/id_cert" -o \
    PubkeyAcceptedAlgorithms=ssh-ed25519-cert-v01@openssh.com
mtls_spec mtls
mtls_spec mtls-crl100k
[ -n "${SSH_BENCH_BASELINE:-}" ] &&
    mtls_spec mtls-baseline "$SSH_BENCH_BASELINE"

echo "ssh_bench: $(ssh -V 2>&1); $(nproc) CPUs; load $(cut -d' ' -f1-3 \
    /proc/loadavg); added round trip ${RTT} ms"
specs=
for m in $METHODS; do
	specs="$specs $T/spec-$m"
done
# shellcheck disable=SC2086
"$RUNNER" "$ROUNDS" "$WARMUP" "$T/clients.log" $specs
status=$?
if [ $status -ne 0 ]; then
	echo "ssh_bench: the clients' output:" >&2
	tail -n 30 "$T/clients.log" >&2
fi
exit $status
