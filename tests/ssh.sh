#!/bin/sh
# ssh.sh - mtls ssh and mtls askpass without an sshd: a stand-in ssh
# (tests/test-ssh-relay) runs the host's side of the login, calls askpass
# and the KnownHostsCommand as OpenSSH does, and meets the SSH host key
# RELAY_SSH_KEY names.  The CA is made here, at the real time.
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
# The host's own SSH key, and an impostor's.
ssh-keygen -q -t ed25519 -N '' -C host -f "$TMP/sshhost" &&
ssh-keygen -q -t ed25519 -N '' -C impostor -f "$TMP/sshimp" &&
ssh-keygen -q -t ecdsa -N '' -C other -f "$TMP/sshother" ||
    { fail "ssh-keygen"; finish; exit 1; }
HOSTFP=$(ssh-keygen -lf "$TMP/sshhost.pub" | cut -d' ' -f2)
IMPFP=$(ssh-keygen -lf "$TMP/sshimp.pub" | cut -d' ' -f2)

# host_conf CERTPREFIX: the host's configuration, as pam_mtls reads it.
host_conf() {
	cat >"$TMP/server.conf" <<EOF2
trust_anchor $CA/ca.pem
crl $CA/crl.pem
host_certificate $1.pem
host_key $1.key
ssh_host_key ${2:-$TMP/sshhost.pub}
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
RELAY_SSH_KEY=$TMP/sshhost.pub
MTLS_KNOWN_HOSTS=$TMP/state/known_hosts
export MTLS_SSH RELAY_CONF RELAY_USER RELAY_SSH_KEY MTLS_KNOWN_HOSTS
ME="--cert $TMP/alice.pem --key $TMP/alice.key --config $TMP/client.conf"
KH=$MTLS_KNOWN_HOSTS

# --- first contact: a probe that carries nothing, then the login -------------
expect_exit 0 "login" -- run $MTLS ssh $ME alice@host.example.com id
expect_in "$TMP/err" "fake ssh: host key accepted (probe)" "a probe first"
expect_in "$TMP/err" "vouched for its SSH host key $HOSTFP" "probe outcome"
expect_in "$TMP/err" "fake ssh: host key accepted (session)" "then the login"
expect_in "$TMP/err" "fake ssh: accepted alice" "host accepted"
# The probe is told the outcome; the real connection asks for no word of
# a success (one prompt less), and mtls says nothing more, as ssh after a
# public-key login.
[ "$(grep -c '^mtls: ' "$TMP/err")" -eq 1 ] && ok ||
    fail "mtls said more than the probe's line: $(grep '^mtls: ' "$TMP/err")"
n=$(grep -c "fake ssh: accepted alice" "$TMP/err")
[ "$n" -eq 2 ] && ok || fail "two logins on first contact, got $n"
expect_in "$TMP/err" "SSH_ASKPASS_REQUIRE=force" "askpass forced"
# The probe: no session, no forwarding, only keyboard-interactive; the
# command is not run; ssh keeps the first value of an option, so ours
# come first.
grep "fake ssh: args:.* -N " "$TMP/err" >"$TMP/probeargs"
for w in "-N" "SessionType=none" "ClearAllForwardings=yes" \
    "ForwardAgent=no" "StrictHostKeyChecking=yes" \
    "PreferredAuthentications=keyboard-interactive " \
    "known-hosts %I %H %t %K" "LocalCommand="; do
	expect_in "$TMP/probeargs" "$w" "probe option $w"
done
grep -q " id$" "$TMP/probeargs" && fail "the probe runs no command" || ok
expect_in "$KH" "host.example.com ssh-ed25519 " "vouched key recorded"
ls "$TMP"/mtls-ssh.* >/dev/null 2>&1 && fail "relay directory left" || ok

# --- the next connection: the recorded key, no probe --------------------------
expect_exit 0 "second login" -- run $MTLS ssh $ME alice@host.example.com id
grep -q "accepted (probe)" "$TMP/err" && fail "no probe the second time" ||
    ok
n=$(grep -c "fake ssh: accepted alice" "$TMP/err")
[ "$n" -eq 1 ] && ok || fail "one login the second time, got $n"
expect_in "$TMP/err" "fake ssh: args: -o KnownHostsCommand=" "ours first"
expect_in "$TMP/err" "StrictHostKeyChecking=yes" "strict checking"
expect_in "$TMP/err" "-o ControlMaster=no -o ControlPath=none" \
    "a connection of its own, never a multiplexed one"
expect_in "$TMP/err" "-o PreferredAuthentications=keyboard-interactive,password alice@host.example.com id" \
    "preference inserted before the destination"

# The user's options come before our preference, so ssh keeps theirs.
expect_exit 0 "user options" -- run env TMPDIR="$TMP" $MTLS ssh $ME -v \
    -o PreferredAuthentications=password -l alice host.example.com \
    -p 22 id
expect_in "$TMP/err" "-v -o PreferredAuthentications=password -l alice host.example.com -p 22 -o PreferredAuthentications=keyboard-interactive,password id" \
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

# A prompt that is not ours, from a host whose key is vouched for: the
# person answers it (without a terminal, nobody does).
expect_exit 0 "password prompt" -- run env RELAY_PROMPT_FIRST="Password: " \
    $MTLS ssh $ME alice@host.example.com id
expect_in "$TMP/err" "no terminal to answer ssh's prompt" "not answered"

# --- the binding --------------------------------------------------------------
# An impostor's key on first contact: the probe meets the real host's
# login through the impostor, and the host refuses the binding.
rm -f "$KH"
expect_exit 255 "relayed" -- run env RELAY_SSH_KEY="$TMP/sshimp.pub" \
    $MTLS ssh $ME alice@host.example.com id
expect_in "$TMP/err" "this connection is relayed" "client says relayed"
expect_in "$TMP/err" "the SSH key you connected to ($IMPFP)" "impostor key named"
expect_in "$TMP/err" "the host's own keys are $HOSTFP" "host keys named"
grep -q "accepted (session)" "$TMP/err" && fail "no session after a relay" ||
    ok
[ ! -s "$KH" ] && ok || fail "nothing recorded after a relay"
# The host lists only another key: refused, nothing recorded.
host_conf "$TMP/host" "$TMP/sshother.pub"
expect_exit 255 "key not listed" -- run $MTLS ssh $ME alice@host.example.com id
expect_in "$TMP/err" "this connection is relayed" "unlisted key refused"
[ ! -s "$KH" ] && ok || fail "nothing recorded for an unlisted key"
host_conf "$TMP/host"

# A key vouched for earlier, then another key: the login is not tried
# on it; a probe asks the host's certificate again.
expect_exit 0 "vouch" -- run $MTLS ssh $ME alice@host.example.com id
expect_exit 255 "changed key, impostor" -- run env \
    RELAY_SSH_KEY="$TMP/sshimp.pub" $MTLS ssh $ME alice@host.example.com id
expect_in "$TMP/err" "this connection is relayed" "changed key: relayed"
grep -q "accepted (session)" "$TMP/err" && fail "no session on a changed key" ||
    ok
expect_in "$KH" "$(cut -d' ' -f2 "$TMP/sshhost.pub")" "old record kept"
# The host's key really changed, and its certificate vouches for it.
host_conf "$TMP/host" "$TMP/sshother.pub"
expect_exit 0 "changed key, vouched" -- run env \
    RELAY_SSH_KEY="$TMP/sshother.pub" $MTLS ssh $ME alice@host.example.com id
expect_in "$TMP/err" "accepted (probe)" "changed key: probe"
expect_in "$TMP/err" "fake ssh: host key accepted (session)" \
    "changed key: login"
grep -q '^mtls: .*\(refused\|did not\)' "$TMP/err" &&
    fail "changed key: login: $(cat "$TMP/err")" || ok
expect_in "$KH" "$(cut -d' ' -f2 "$TMP/sshother.pub")" "new key recorded"
grep -q "$(cut -d' ' -f2 "$TMP/sshhost.pub")" "$KH" &&
    fail "the old key is no longer vouched for" || ok
host_conf "$TMP/host"
rm -f "$KH"

# A password-first stack: on first contact nothing but the certificate
# login is answered, and the probe ends.
expect_exit 255 "password before the certificate, probe" -- run env \
    RELAY_PROMPT_FIRST="Password: " $MTLS ssh $ME alice@host.example.com id
expect_in "$TMP/err" "something other than the certificate login" \
    "probe refuses other prompts"
grep -q "askpass answered" "$TMP/err" && fail "no answer to the password" ||
    ok

# A stack that asks for more after the certificate (a one-time password):
# the probe ends once the key is vouched for, and the real connection
# shows the next prompt to the person (here without a terminal: refused).
expect_exit 1 "a prompt after the certificate" -- run env \
    RELAY_PROMPT_AFTER="Verification code: " $MTLS ssh $ME \
    alice@host.example.com id
expect_in "$TMP/err" "vouched for its SSH host key $HOSTFP" \
    "probe done before the one-time password"
expect_in "$TMP/err" "no terminal to answer ssh's prompt on: Verification code" \
    "the real connection asks the person"
grep -q "something other than the certificate login" "$TMP/err" &&
    fail "not a refusal of the host" || ok
rm -f "$KH"

# The person's own KnownHostsCommand keeps working: its lines reach ssh.
cat >"$TMP/userkhc" <<EOF2
#!/bin/sh
echo "# user khc ran for \$1" >>"$TMP/userkhc.log"
EOF2
chmod 0755 "$TMP/userkhc"
expect_exit 0 "own KnownHostsCommand" -- run env \
    RELAY_KHC="$TMP/userkhc %H" $MTLS ssh $ME alice@host.example.com id
expect_in "$TMP/userkhc.log" "user khc ran for host.example.com" \
    "the person's KnownHostsCommand ran"

# --- refusals -----------------------------------------------------------------
expect_exit 255 "revoked certificate" -- run $MTLS ssh --cert "$TMP/mallory.pem" \
    --key "$TMP/mallory.key" --config "$TMP/client.conf" \
    alice@host.example.com id
expect_in "$TMP/err" "mtls: the host refused: revoked" "revoked reason"
expect_exit 255 "other root" -- run $MTLS ssh --cert "$TMP/stranger.pem" \
    --key "$TMP/stranger.key" --config "$TMP/client.conf" \
    alice@host.example.com id
expect_in "$TMP/err" "mtls: the host refused: untrusted" "other root reason"
expect_exit 255 "wrong user" -- run env RELAY_USER=bob $MTLS ssh $ME \
    bob@host.example.com id
expect_in "$TMP/err" "mtls: the host refused: wrong-user" "wrong user reason"

host_conf "$TMP/other"
expect_exit 255 "host without the name" -- run $MTLS ssh $ME \
    alice@host.example.com id
expect_in "$TMP/err" "mtls: refused the host:" "host refused"
expect_in "$TMP/err" "does not name host.example.com" "host refused reason"
expect_exit 0 "--host-name" -- run $MTLS ssh $ME --host-name \
    other.example.com alice@host.example.com id
host_conf "$TMP/host"

# --- usage --------------------------------------------------------------------
# BatchMode: the certificate login goes on (mtls ssh keeps batch mode
# itself: ssh's own turns keyboard-interactive off); any other question
# ends the command, where without it the person would be asked.
expect_exit 0 "BatchMode" -- run $MTLS ssh $ME -o BatchMode=yes \
    alice@host.example.com id
expect_in "$TMP/err" "fake ssh: accepted alice" "BatchMode login"
expect_exit 255 "BatchMode, ssh_config spelling, a code asked" -- run env \
    RELAY_PROMPT_AFTER="Verification code: " $MTLS ssh $ME \
    -obatchmode=true alice@host.example.com
expect_in "$TMP/err" "batch mode: ssh asked for something other" \
    "BatchMode: nobody asked"
expect_in "$TMP/err" "Verification code" "BatchMode: the question named"
expect_exit 1 "no BatchMode, a code asked" -- run env \
    RELAY_PROMPT_AFTER="Verification code: " $MTLS ssh $ME \
    alice@host.example.com
expect_in "$TMP/err" "no terminal to answer" "without BatchMode: a person"
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

# --- the askpass ssh runs: mtls-askpass, which loads libc alone ---------------
cat >"$TMP/readlink-ssh" <<EOF2
#!/bin/sh
case "\$1" in
-G*) printf 'hostname host.example.com\nport 22\n'; exit 0 ;;
esac
readlink "\$SSH_ASKPASS" >"$TMP/askpass-target"
exit 1
EOF2
chmod 0755 "$TMP/readlink-ssh"
run env MTLS_SSH="$TMP/readlink-ssh" $MTLS ssh $ME alice@host.example.com \
    >/dev/null 2>&1
HELPER=$(dirname "$MTLS")/mtls-askpass
[ "$(cat "$TMP/askpass-target")" = "$HELPER" ] && ok ||
    fail "ssh's askpass is $(cat "$TMP/askpass-target"), not $HELPER"
# (a sanitized build also links the sanitizers' runtimes)
needed=$(objdump -p "$HELPER" | awk '$1 == "NEEDED" { print $2 }' |
    grep -Ev '^lib(asan|ubsan)\.so' | tr '\n' ' ')
[ "$needed" = "libc.so.6 " ] && ok || fail "mtls-askpass needs $needed"
expect_exit 1 "mtls-askpass without mtls ssh" -- env -u MTLS_ASKPASS_SOCK \
    "$HELPER" "Password: "
expect_in "$TMP/err" "MTLS_ASKPASS_SOCK" "mtls-askpass message"
expect_empty "$TMP/out" "mtls-askpass prints nothing"
expect_exit 1 "mtls-askpass, no socket" -- env MTLS_ASKPASS_SOCK="$TMP/none" \
    "$HELPER" --known-hosts HOSTNAME host ssh-ed25519 AAAA
expect_empty "$TMP/out" "mtls-askpass --known-hosts prints nothing"

finish
