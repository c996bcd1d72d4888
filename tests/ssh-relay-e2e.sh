#!/bin/sh
# ssh-relay-e2e.sh - a certificate login cannot be relayed, and nothing
# of the person's reaches a host that mtls has not verified: real sshd on
# 127.0.0.1 (tests/sshd-harness.sh), a real host with pam_mtls, and
# impostors (tests/impostor.sh) that relay its prompts, present a
# certificate of another organization, or let anyone in without asking.
# mtls ssh runs on a pseudo-terminal (script(1)), as a person would, so
# that any prompt it shows is seen.
. "${TOP_SRCDIR:-.}/tests/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "ssh-relay-e2e: SKIP: needs root (mount namespace, sshd); CI" \
	    "runs it as root" >&2
	exit 77
fi
: "${PAM_MTLS:?PAM_MTLS is not set (run through make check)}"
: "${PAM_RELAY:?PAM_RELAY is not set (run through make check)}"

. "${TOP_SRCDIR:-.}/tests/sshd-harness.sh"
. "${TOP_SRCDIR:-.}/tests/impostor.sh"
trap 'harness_stop_all; rm -rf "$TMP"' EXIT
trap 'exit 1' INT TERM

# --- the organization and another one ----------------------------------------
CA=$TMP/ca
$MTLS ca init "$CA" --name "Relay Root CA" --org "mtls relay" >/dev/null &&
$MTLS ca issue "$CA" --user mtlsalice --out "$TMP/alice" >/dev/null &&
$MTLS ca issue "$CA" --host localhost --out "$TMP/host" >/dev/null &&
$MTLS ca init "$TMP/evil" --name "Evil Root CA" >/dev/null &&
$MTLS ca issue "$TMP/evil" --host localhost --out "$TMP/evilhost" \
    >/dev/null || { fail "ca"; finish; exit 1; }
printf 'trust_anchor %s\ncrl %s\n' "$CA/ca.pem" "$CA/crl.pem" \
    >"$TMP/client.conf"
chmod 0644 "$TMP/client.conf"
MTLS_KNOWN_HOSTS=$TMP/state/known_hosts
export MTLS_KNOWN_HOSTS
KH=$MTLS_KNOWN_HOSTS

# host_conf FILE HOSTCERT SSHKEYPATTERN...: a host's mtls.conf.
host_conf() {
	f=$1
	c=$2
	shift 2
	{
		printf '%s\n' "trust_anchor $CA/ca.pem" "crl $CA/crl.pem" \
		    "host_certificate $c.pem" "host_key $c.key" "map from=cn"
		for k in "$@"; do
			echo "ssh_host_key $k"
		done
	} >"$f"
	chmod 0644 "$f"
}

# stack FILE CONF [LINE...]: pam_mtls first (sufficient when lines
# follow), then the lines, then account and session.
stack() {
	f=$1
	c=$2
	shift 2
	if [ $# -gt 0 ]; then
		echo "auth sufficient $PAM_MTLS config=$c" >"$f"
	else
		echo "auth required $PAM_MTLS config=$c" >"$f"
	fi
	for l in "$@"; do
		echo "$l" >>"$f"
	done
	printf '%s\n' "account required pam_permit.so" \
	    "session required pam_permit.so" \
	    "password required pam_deny.so" >>"$f"
}

# mark DIR: a command that leaves a mark in the home it runs in (/home
# is each sshd's own).
mark() {
	printf '#!/bin/sh\n: >"$HOME/ran"\n' >"$1/home/mtlsalice/mark"
	chmod 0755 "$1/home/mtlsalice/mark"
}

# typing PORT [SSH OPTION...]: mtls ssh as a person runs it, on a
# pseudo-terminal, with what is typed on standard input; what the
# terminal showed is in $TMP/tty.  on_tty: the same, nothing typed.
typing() {
	port=$1
	shift
	: >"$TMP/tty"
	timeout 90 script -qefc "$MTLS ssh --config $TMP/client.conf \
	    --cert $TMP/alice.pem --key $TMP/alice.key ${*:--F /dev/null} \
	    -p $port -o UserKnownHostsFile=$TMP/user_known_hosts \
	    -o AddressFamily=inet -o ConnectTimeout=20 \
	    mtlsalice@localhost /home/mtlsalice/mark" "$TMP/tty"
}
on_tty() {
	typing "$@" </dev/null
}

accepted() {
	grep -c "Accepted keyboard-interactive/pam for mtlsalice" \
	    "$(harness_log "$1")"
}

fp() {
	ssh-keygen -lf "$1/etc/ssh_host_ed25519_key.pub" | cut -d' ' -f2
}

# --- the real host -------------------------------------------------------------
R=$TMP/real
host_conf "$TMP/real.conf" "$TMP/host" "$R/etc/ssh_host_*_key.pub"
stack "$TMP/real.pam" "$TMP/real.conf"
harness_start "$R" "$TMP/real.pam" || { fail "real sshd"; finish; exit 1; }
RPORT=$(harness_port "$R")
mark "$R"

# --- 1. a relaying impostor, met first --------------------------------------------
# Its own stack asks for a password once the relay failed.
I=$TMP/impostor
IMPOSTOR_COMMAND=/home/mtlsalice/mark
impostor_start "$I" "$RPORT" "auth required pam_unix.so nodelay" ||
    fail "impostor sshd"
harness_set_password "$I" mtlsalice "typed into the impostor"
IPORT=$(harness_port "$I")
expect_exit 255 "relayed login" -- on_tty "$IPORT"
expect_in "$TMP/tty" "this connection is relayed" "the person is told"
expect_in "$TMP/tty" "$(fp "$I")" "the impostor's key is named"
expect_in "$TMP/tty" "$(fp "$R")" "the real host's key is named"
grep -qi "password" "$TMP/tty" && fail "the impostor's Password: prompt \
reached the terminal" || ok
expect_in "$(impostor_log "$I")" "prompt: [mtls/3] hello" \
    "the impostor did relay the real host's prompts"
expect_in "$(impostor_log "$I")" "prompt: [mtls/3] done" \
    "the real host's outcome went back through the impostor"
[ "$(accepted "$R")" -eq 0 ] && ok || fail "the real host let nobody in"
[ ! -e "$R/home/mtlsalice/ran" ] && ok || fail "nothing ran on the real host"
[ "$(accepted "$I")" -eq 0 ] && ok || fail "the impostor let nobody in"
[ ! -s "$KH" ] && ok || fail "nothing vouched for after a relay"
[ ! -s "$TMP/user_known_hosts" ] && ok ||
    fail "nothing added to the person's own known_hosts"

# --- 2. an impostor with another organization's certificate --------------------------
E=$TMP/evilhost
host_conf "$TMP/evil.conf" "$TMP/evilhost" "$E/etc/ssh_host_*_key.pub"
stack "$TMP/evil.pam" "$TMP/evil.conf" "auth required pam_unix.so nodelay"
harness_start "$E" "$TMP/evil.pam" || fail "evil sshd"
harness_set_password "$E" mtlsalice "typed into the impostor"
expect_exit 255 "another organization's host" -- on_tty "$(harness_port "$E")"
expect_in "$TMP/tty" "refused the host" "the person is told"
grep -qi "password" "$TMP/tty" && fail "the fallback Password: prompt \
reached the terminal" || ok
[ "$(accepted "$E")" -eq 0 ] && ok || fail "the impostor let nobody in"

# --- 3. an impostor that lets anyone in without asking ---------------------------------
O=$TMP/open
printf '%s\n' "auth sufficient pam_permit.so" \
    "account required pam_permit.so" "session required pam_permit.so" \
    >"$TMP/open.pam"
harness_start "$O" "$TMP/open.pam" || fail "open sshd"
mark "$O"
expect_exit 255 "let in without asking" -- on_tty "$(harness_port "$O")"
expect_in "$TMP/tty" "let ssh in without a certificate login" \
    "the person is told"
[ ! -e "$O/home/mtlsalice/ran" ] && ok || fail "no command on that host"
[ ! -s "$KH" ] && ok || fail "nothing vouched for such a host"

# --- 4. the real host, whose mtls.conf lists another SSH key --------------------------
host_conf "$TMP/real.conf" "$TMP/host" "$E/etc/ssh_host_*_key.pub"
expect_exit 255 "host key not listed" -- on_tty "$RPORT"
expect_in "$TMP/tty" "this connection is relayed" "refused: binding"
[ "$(accepted "$R")" -eq 0 ] && ok || fail "no login without the host's key"
[ ! -s "$KH" ] && ok || fail "nothing vouched for"
host_conf "$TMP/real.conf" "$TMP/host" "$R/etc/ssh_host_*_key.pub"

# --- 5. the real host: vouched for once, then used ---------------------------------------
expect_exit 0 "first contact" -- on_tty "$RPORT"
expect_in "$TMP/tty" "vouched for its SSH host key" "the probe"
grep -q "accepted the certificate" "$TMP/tty" && fail "a success is not \
remarked on" || ok
[ -e "$R/home/mtlsalice/ran" ] && ok || fail "the command ran"
grep -q "continue connecting" "$TMP/tty" && fail "no host-key question" || ok
expect_in "$KH" "[localhost]:$RPORT ssh-ed25519 $(cut -d' ' -f2 \
    "$R/etc/ssh_host_ed25519_key.pub")" "the host's key recorded"
[ "$(accepted "$R")" -eq 2 ] && ok || fail "probe and login: $(accepted "$R")"
conns=$(grep -c "Connection from" "$(harness_log "$R")")
expect_exit 0 "next connection" -- on_tty "$RPORT"
grep -q "vouched for" "$TMP/tty" && fail "no probe the second time" || ok
[ "$(grep -c "Connection from" "$(harness_log "$R")")" -eq $((conns + 1)) ] &&
    ok || fail "one connection the second time"
[ "$(accepted "$R")" -eq 3 ] && ok || fail "one more login: $(accepted "$R")"

# The vouched key is the real host's: the impostor's port is another
# name, and its key is still refused.
expect_exit 255 "relayed after vouching" -- on_tty "$IPORT"
expect_in "$TMP/tty" "this connection is relayed" "still relayed"
grep -q "localhost\]:$IPORT" "$KH" && fail "impostor never vouched" || ok

# --- 6. through a ProxyJump hop ------------------------------------------------------------
# The hop's own ssh inherits mtls's askpass but not its options: its
# prompts are never taken for the final host's, and the final host's
# login is bound as usual.  The hop lets anyone in, or asks for a
# certificate login of its own, which mtls ssh does not do.
printf '%s\n' "StrictHostKeyChecking no" "UserKnownHostsFile /dev/null" \
    "LogLevel ERROR" >"$TMP/ssh_config"
J=$TMP/hop
harness_start "$J" "$TMP/open.pam" AllowTcpForwarding=yes || fail "hop sshd"
rm -f "$KH"
before=$(accepted "$R")
expect_exit 0 "through an open hop" -- on_tty "$RPORT" -F "$TMP/ssh_config" \
    -J "mtlsalice@localhost:$(harness_port "$J")"
expect_in "$TMP/tty" "vouched for its SSH host key" "probe through the hop"
grep -q "refused\|did not finish" "$TMP/tty" && fail "login via hop: \
$(cat "$TMP/tty")" || ok
[ "$(accepted "$R")" -eq $((before + 2)) ] && ok ||
    fail "probe and login through the hop"
expect_in "$KH" "[localhost]:$RPORT ssh-ed25519" "final host vouched for"
K=$TMP/mtlshop
stack "$TMP/hop.pam" "$TMP/real.conf"
harness_start "$K" "$TMP/hop.pam" AllowTcpForwarding=yes || fail "mtls hop"
host_conf "$TMP/real.conf" "$TMP/host" "$R/etc/ssh_host_*_key.pub" \
    "$K/etc/ssh_host_*_key.pub"
expect_exit 255 "through a hop that asks for a certificate" -- on_tty \
    "$RPORT" -F "$TMP/ssh_config" -J "mtlsalice@localhost:$(harness_port "$K")"
[ "$(accepted "$K")" -eq 0 ] && ok || fail "the hop was not logged in to"

# --- 7. a host that asks for a password after the certificate -----------------------
# The probe ends once the host's key is vouched for; the real connection
# shows the password prompt to the person, who types it.
P=$TMP/pwhost
stack "$TMP/pw.pam" "$TMP/pw.conf"
sed -i 's/^auth required \(.*\)$/auth required \1\nauth required pam_unix.so nodelay/' \
    "$TMP/pw.pam"
host_conf "$TMP/pw.conf" "$TMP/host" "$P/etc/ssh_host_*_key.pub"
harness_start "$P" "$TMP/pw.pam" || fail "password sshd"
harness_set_password "$P" mtlsalice "second factor"
mark "$P"
# The person types the password whenever the terminal asks.
pw_login() {
	harness_typist 'second factor' | typing "$(harness_port "$P")"
}
expect_exit 0 "certificate, then a password" -- pw_login
expect_in "$TMP/tty" "vouched for its SSH host key" "the probe ended early"
expect_in "$TMP/tty" "Password:" "the vouched host's password prompt shown"
[ "$(grep -c "Password:" "$TMP/tty")" -eq 1 ] && ok ||
    fail "the password was asked once, by the real connection"
[ -e "$P/home/mtlsalice/ran" ] && ok || fail "the command ran"
[ "$(accepted "$P")" -eq 1 ] && ok || fail "one login: $(accepted "$P")"

finish
