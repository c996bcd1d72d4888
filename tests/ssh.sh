#!/bin/sh
# ssh.sh - mtls ssh and mtls askpass without an sshd: a stand-in ssh
# (tests/test-ssh-relay) runs the host's side of the login and calls
# askpass as OpenSSH does.  The CA is made here, at the real time.
. "${TOP_SRCDIR:-.}/tests/lib.sh"
: "${SSH_RELAY:?SSH_RELAY is not set (run through make check)}"

# No controlling terminal: a prompt that is not ours must fail, not wait.
run() {
	setsid -w "$@"
}

CA=$TMP/ca
$MTLS ca init "$CA" --name "Relay Root" --org "Relay Org" >/dev/null &&
$MTLS ca issue "$CA" --host host.example.com --out "$TMP/host" >/dev/null &&
$MTLS ca issue "$CA" --host other.example.com --out "$TMP/other" >/dev/null &&
$MTLS ca issue "$CA" --user alice --out "$TMP/alice" >/dev/null &&
$MTLS ca issue "$CA" --user mallory --out "$TMP/mallory" >/dev/null &&
$MTLS ca revoke "$CA" "$TMP/mallory.pem" >/dev/null &&
$MTLS ca init "$TMP/ca2" --name "Other Root" >/dev/null &&
$MTLS ca issue "$TMP/ca2" --user alice --out "$TMP/stranger" >/dev/null ||
    { fail "cannot make the test CA"; finish; exit 1; }
chmod 0644 "$CA/ca.pem" "$CA/crl.pem"

# host_conf CERTPREFIX: the host's configuration, as pam_mtls reads it.
host_conf() {
	cat >"$TMP/server.conf" <<EOF2
trust_anchor $CA/ca.pem
crl $CA/crl.pem
host_certificate $1.pem
host_key $1.key
map from=cn
EOF2
	chmod 0644 "$TMP/server.conf"
}
cat >"$TMP/client.conf" <<EOF2
trust_anchor $CA/ca.pem
crl $CA/crl.pem
EOF2
chmod 0644 "$TMP/client.conf"
host_conf "$TMP/host"

MTLS_SSH=$SSH_RELAY
RELAY_CONF=$TMP/server.conf
RELAY_USER=alice
export MTLS_SSH RELAY_CONF RELAY_USER
ME="--cert $TMP/alice.pem --key $TMP/alice.key --config $TMP/client.conf"

# --- a login that works -------------------------------------------------------
expect_exit 0 "login" -- run $MTLS ssh $ME alice@host.example.com id
expect_in "$TMP/err" "fake ssh: accepted alice" "host accepted"
expect_in "$TMP/err" \
    "mtls: host.example.com (CN=host.example.com,O=Relay Org) accepted the certificate for alice" \
    "outcome message"
expect_in "$TMP/err" "fake ssh: args: -o KbdInteractiveAuthentication=yes -o PreferredAuthentications=keyboard-interactive,password alice@host.example.com id" \
    "ssh options inserted before the destination"
expect_in "$TMP/err" "SSH_ASKPASS_REQUIRE=force" "askpass forced"
ls "$TMP"/mtls-ssh.* >/dev/null 2>&1 && fail "relay directory left" || ok

# The user's options come first, so ssh keeps their values.
expect_exit 0 "user options" -- run env TMPDIR="$TMP" $MTLS ssh $ME -v \
    -o PreferredAuthentications=password -l alice host.example.com \
    -p 22 id
expect_in "$TMP/err" "args: -v -o PreferredAuthentications=password -l alice host.example.com -p 22 -o KbdInteractiveAuthentication=yes" \
    "user options first"
ls "$TMP"/mtls-ssh.* >/dev/null 2>&1 && fail "relay directory left" || ok
expect_exit 0 "ssh:// destination" -- run $MTLS ssh $ME \
    ssh://alice@host.example.com:2222 id
expect_exit 0 "defaults from the environment" -- run env \
    MTLS_CERT="$TMP/alice.pem" MTLS_KEY="$TMP/alice.key" \
    MTLS_CONFIG="$TMP/client.conf" $MTLS ssh alice@host.example.com id
mkdir -p "$TMP/xdg/mtls"
cp "$TMP/alice.pem" "$TMP/xdg/mtls/cert.pem"
cp -p "$TMP/alice.key" "$TMP/xdg/mtls/key.pem"
cp -p "$TMP/client.conf" "$TMP/xdg/mtls/mtls.conf"
expect_exit 0 "defaults from XDG_CONFIG_HOME" -- run env \
    XDG_CONFIG_HOME="$TMP/xdg" $MTLS ssh alice@host.example.com id

# A host-key question is not ours: without a terminal it is not answered.
expect_exit 0 "host-key prompt" -- run env RELAY_HOSTKEY=1 $MTLS ssh $ME \
    alice@host.example.com id
expect_in "$TMP/err" "no terminal to answer ssh's prompt" "not answered"

# --- refusals -----------------------------------------------------------------
expect_exit 1 "revoked certificate" -- run $MTLS ssh --cert "$TMP/mallory.pem" \
    --key "$TMP/mallory.key" --config "$TMP/client.conf" \
    alice@host.example.com id
expect_in "$TMP/err" "mtls: the host refused: revoked" "revoked reason"
expect_exit 1 "other root" -- run $MTLS ssh --cert "$TMP/stranger.pem" \
    --key "$TMP/stranger.key" --config "$TMP/client.conf" \
    alice@host.example.com id
expect_in "$TMP/err" "mtls: the host refused: untrusted" "other root reason"
expect_exit 1 "wrong user" -- run env RELAY_USER=bob $MTLS ssh $ME \
    bob@host.example.com id
expect_in "$TMP/err" "mtls: the host refused: wrong-user" "wrong user reason"

host_conf "$TMP/other"
expect_exit 1 "host without the name" -- run $MTLS ssh $ME \
    alice@host.example.com id
expect_in "$TMP/err" "mtls: refused the host:" "host refused"
expect_in "$TMP/err" "does not name host.example.com" "host refused reason"
expect_in "$TMP/err" "client certificates received: 0" "nothing sent"
expect_exit 0 "--host-name" -- run $MTLS ssh $ME --host-name \
    other.example.com alice@host.example.com id
host_conf "$TMP/host"

# --- usage --------------------------------------------------------------------
expect_exit 255 "BatchMode" -- run $MTLS ssh $ME -o BatchMode=yes \
    alice@host.example.com id
expect_in "$TMP/err" "BatchMode=yes" "BatchMode message"
expect_in "$TMP/err" "not supported" "BatchMode message"
expect_exit 255 "BatchMode, ssh_config spelling" -- run $MTLS ssh $ME \
    -obatchmode=true alice@host.example.com
expect_exit 255 "no destination" -- run $MTLS ssh $ME -v
expect_exit 255 "unknown ssh option" -- run $MTLS ssh $ME -Z host
expect_exit 255 "key readable by others" -- run sh -c \
    "chmod 0644 '$TMP/alice.key' && $MTLS ssh $ME alice@host.example.com"
expect_in "$TMP/err" "alice.key" "key file named"
chmod 0600 "$TMP/alice.key"
expect_exit 255 "ssh not found" -- run env MTLS_SSH="$TMP/nope" $MTLS ssh \
    $ME alice@host.example.com
expect_in "$TMP/err" "cannot run" "ssh not found message"

# --- askpass alone ------------------------------------------------------------
expect_exit 1 "askpass without mtls ssh" -- env -u MTLS_ASKPASS_SOCK \
    $MTLS askpass "Password: "
expect_in "$TMP/err" "MTLS_ASKPASS_SOCK" "askpass message"
expect_exit 1 "askpass, no socket" -- env MTLS_ASKPASS_SOCK="$TMP/none" \
    $MTLS askpass "Password: "
expect_empty "$TMP/out" "askpass prints nothing"
expect_exit 1 "askpass usage" -- $MTLS askpass

finish
