#!/bin/sh
# ssh-e2e.sh - certificate logins end to end: `mtls ssh` against a real
# sshd on 127.0.0.1 whose PAM stack runs pam_mtls.so (in a private mount
# namespace, tests/sshd-harness.sh), on a CA made with `mtls ca` now.
# A good certificate logs in and the command runs as the mapped user with
# MTLS_SUBJECT set; revoked, expired, other-root and wrong-user
# certificates are refused with their reason; Enter at the prompt falls
# through to the password module; the client refuses a host that is not
# from the organization root or does not carry the name typed.
. "${TOP_SRCDIR:-.}/tests/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "ssh-e2e: SKIP: needs root (mount namespace, sshd); CI runs it" \
	    "as root" >&2
	exit 77
fi
: "${PAM_MTLS:?PAM_MTLS is not set (run through make check)}"

. "${TOP_SRCDIR:-.}/tests/sshd-harness.sh"
trap 'harness_stop_all; rm -rf "$TMP"' EXIT
trap 'exit 1' INT TERM

# --- the organization: a root, the host, three people, one revoked --------
CA=$TMP/ca
$MTLS ca init "$CA" --name "E2E Root CA" --org "mtls e2e" >/dev/null ||
    fail "ca init"
for who in mtlsalice mtlsbob mtlscarol; do
	$MTLS ca issue "$CA" --user "$who" --out "$TMP/$who" >/dev/null ||
	    fail "issue $who"
done
$MTLS ca issue "$CA" --host localhost --out "$TMP/host" >/dev/null ||
    fail "issue host"
$MTLS ca revoke "$CA" "$TMP/mtlscarol.pem" >/dev/null || fail "revoke"
OTHER=$TMP/other
$MTLS ca init "$OTHER" --name "Other Root CA" >/dev/null || fail "other init"
$MTLS ca issue "$OTHER" --user mtlsalice --out "$TMP/forged-alice" \
    >/dev/null || fail "other issue"

# The server trusts the organization root; the fixed test PKI's root is
# there too (without CRLs) only to present a certificate that has expired.
mkdir -p "$TMP/server"
cat >"$TMP/server/mtls.conf" <<EOF2
trust_anchor $CA/ca.pem
trust_anchor $FIXTURES/root.pem
intermediate $FIXTURES/inter.pem
crl $CA/crl.pem
crl_required no
host_certificate $TMP/host.pem
host_key $TMP/host.key
ssh_host_key $TMP/sshd-only/etc/ssh_host_*_key.pub
ssh_host_key $TMP/sshd-fallback/etc/ssh_host_*_key.pub
map from=cn
EOF2
chmod 0644 "$TMP/server/mtls.conf"
# What certificates vouched for, kept here rather than in root's home.
MTLS_KNOWN_HOSTS=$TMP/known_hosts
export MTLS_KNOWN_HOSTS
cat >"$TMP/client.conf" <<EOF2
trust_anchor $CA/ca.pem
crl $CA/crl.pem
EOF2
cat >"$TMP/client-other.conf" <<EOF2
trust_anchor $OTHER/ca.pem
crl $OTHER/crl.pem
EOF2
chmod 0644 "$TMP/client.conf" "$TMP/client-other.conf"
cp "$FIXTURES/leaf-expired.pem" "$FIXTURES/leaf-expired.key" "$TMP/"
chmod 0600 "$TMP/leaf-expired.key"

# --- sshd with pam_mtls only ------------------------------------------------
M="$PAM_MTLS config=$TMP/server/mtls.conf"
cat >"$TMP/only.pam" <<EOF2
auth     required $M
account  required $M
account  required pam_unix.so
session  optional $M
session  required pam_permit.so
password required pam_deny.so
EOF2
S=$TMP/sshd-only
harness_start "$S" "$TMP/only.pam" || { fail "sshd start"; finish; exit 1; }
PORT=$(harness_port "$S")

# login CLIENTCONF CERTPREFIX USER [mtls options...] -- runs id and env.
login() {
	conf=$1
	cert=$2
	user=$3
	shift 3
	timeout 60 setsid -w $MTLS ssh --config "$conf" --cert "$cert.pem" \
	    --key "$cert.key" "$@" -F /dev/null -p "$PORT" \
	    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
	    -o AddressFamily=inet -o ConnectTimeout=20 \
	    "$user@localhost" 'id -un; echo "subject=$MTLS_SUBJECT"' \
	    </dev/null
}

expect_exit 0 "alice logs in" -- login "$TMP/client.conf" "$TMP/mtlsalice" \
    mtlsalice
expect_in "$TMP/out" "mtlsalice" "command runs as alice"
expect_in "$TMP/out" "subject=CN=mtlsalice" "MTLS_SUBJECT in the session"
# Told to the probe only (vouched for), not after the real login.
expect_in "$TMP/err" "vouched for its SSH host key" "the probe is told"
grep -q "accepted the certificate" "$TMP/err" && fail "a success is not \
remarked on: $(cat "$TMP/err")" || ok
grep -q "Accepted keyboard-interactive/pam for mtlsalice" \
    "$(harness_log "$S")" && ok || fail "sshd logged the login"

expect_exit 255 "bob's certificate for alice" -- login "$TMP/client.conf" \
    "$TMP/mtlsbob" mtlsalice
expect_in "$TMP/err" "the host refused: wrong-user" "wrong user reason"
expect_empty "$TMP/out" "no command for the wrong user"

expect_exit 255 "revoked" -- login "$TMP/client.conf" "$TMP/mtlscarol" \
    mtlsbob
expect_in "$TMP/err" "the host refused: revoked" "revoked reason"

expect_exit 255 "expired" -- login "$TMP/client.conf" "$TMP/leaf-expired" \
    mtlsalice
expect_in "$TMP/err" "the host refused: expired" "expired reason"

expect_exit 255 "other root" -- login "$TMP/client.conf" \
    "$TMP/forged-alice" mtlsalice
expect_in "$TMP/err" "the host refused: untrusted" "other root reason"

# sshd replaces the answers for an unknown user with junk: refused.
expect_exit 255 "unknown user" -- login "$TMP/client.conf" "$TMP/mtlsalice" \
    nosuchuser
expect_empty "$TMP/out" "no command for an unknown user"

# The client judges the host before it sends anything of the person's.
expect_exit 255 "host from another root" -- login "$TMP/client-other.conf" \
    "$TMP/mtlsalice" mtlsalice
expect_in "$TMP/err" "refused the host" "host not from the root"
expect_exit 255 "host without the typed name" -- login "$TMP/client.conf" \
    "$TMP/mtlsalice" mtlsalice --host-name other.example.com
expect_in "$TMP/err" "does not name other.example.com" "host name checked"
grep -q "Accepted keyboard-interactive/pam for mtlsalice" \
    "$(harness_log "$S")" && ok || fail "log"
# alice's first contact: the probe's login, then the real one; nothing
# else was accepted.
n=$(grep -c "Accepted keyboard-interactive" "$(harness_log "$S")")
[ "$n" -eq 2 ] && ok || fail "exactly two accepted logins, got $n"
# The rounds of a login to a host vouched for, as ssh counts them: hello
# and the host's flight, answered by the ClientHello and by the whole
# second flight (a P-256 certificate's fits one answer: no continuation),
# then sshd's empty request; no done, the host does not remark on a
# success the client asked it not to.
expect_exit 0 "alice logs in again, ssh at DEBUG2" -- login \
    "$TMP/client.conf" "$TMP/mtlsalice" mtlsalice -o LogLevel=DEBUG2
expect_in "$TMP/out" "mtlsalice" "the command ran"
n=$(grep -c "input_userauth_info_req: num_prompts 1" "$TMP/err")
[ "$n" -eq 2 ] && ok || fail "2 prompts expected, ssh saw $n"
n=$(grep -c "input_userauth_info_req: num_prompts 0" "$TMP/err")
[ "$n" -eq 1 ] && ok || fail "1 empty request expected, ssh saw $n"

# --- hostile clients through plain ssh and a scripted askpass --------------
# askpass answers from a file: garbage, an oversize line, "+" forever.
cat >"$TMP/askpass" <<EOF2
#!/bin/sh
cat "$TMP/answer"
EOF2
chmod 0755 "$TMP/askpass"
plain() {
	HARNESS_ASKPASS=$TMP/askpass harness_ssh "$S" mtlsalice id -un
}
for a in garbage oversize endless chunk; do
	case $a in
	garbage) echo "not base64 at all" >"$TMP/answer" ;;
	oversize) printf '.%01000d\n' 0 | tr 0 A >"$TMP/answer" ;;
	endless) echo "+" >"$TMP/answer" ;;
	chunk) echo ".AAAA" >"$TMP/answer" ;;
	esac
	expect_exit 255 "hostile answer: $a" -- plain
	expect_empty "$TMP/out" "no command after $a"
done

# --- pam_mtls then password: Enter falls through --------------------------
cat >"$TMP/fallback.pam" <<EOF2
auth     sufficient $M
auth     required pam_unix.so
account  required pam_unix.so
session  required pam_permit.so
password required pam_deny.so
EOF2
F=$TMP/sshd-fallback
harness_start "$F" "$TMP/fallback.pam" || fail "fallback sshd start"
harness_set_password "$F" mtlsbob "s3cret pass" || fail "set password"
cat >"$TMP/askpass2" <<EOF2
#!/bin/sh
case "\$1" in
*"[mtls/3]"*) echo ;;
*assword*) echo "s3cret pass" ;;
*) exit 1 ;;
esac
EOF2
chmod 0755 "$TMP/askpass2"
enter_then_password() {
	HARNESS_ASKPASS=$TMP/askpass2 harness_ssh "$F" mtlsbob id -un
}
expect_exit 0 "Enter, then the password" -- enter_then_password
expect_in "$TMP/out" "mtlsbob" "password login after Enter"
PORT=$(harness_port "$F")
expect_exit 0 "certificate on the fallback stack" -- login "$TMP/client.conf" \
    "$TMP/mtlsalice" mtlsalice
expect_in "$TMP/out" "mtlsalice" "certificate login on the fallback stack"

# The person's own KnownHostsCommand, from an ssh_config file: ssh runs it
# behind mtls ssh's own, and the login goes on.
cat >"$TMP/userkhc" <<EOF2
#!/bin/sh
echo "user khc ran for \$1" >>"$TMP/userkhc.log"
EOF2
chmod 0755 "$TMP/userkhc"
echo "KnownHostsCommand $TMP/userkhc %H" >"$TMP/khc_config"
own_khc() {
	timeout 60 setsid -w $MTLS ssh --config "$TMP/client.conf" \
	    --cert "$TMP/mtlsalice.pem" --key "$TMP/mtlsalice.key" \
	    -F "$TMP/khc_config" -p "$PORT" -o UserKnownHostsFile=/dev/null \
	    -o AddressFamily=inet -o ConnectTimeout=20 mtlsalice@localhost \
	    'id -un' </dev/null
}
expect_exit 0 "own KnownHostsCommand" -- own_khc
expect_in "$TMP/out" "mtlsalice" "login with an own KnownHostsCommand"
expect_in "$TMP/userkhc.log" "user khc ran for [localhost]:$PORT" \
    "the person's KnownHostsCommand ran"

finish
