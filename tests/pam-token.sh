#!/bin/sh
# pam-token.sh - pam_mtls source=token and source=file through real PAM
# stacks (pam_wrapper reads the service files written here), driven by
# `mtls login-test`, with SoftHSM2 tokens made for the run: ECDSA P-256,
# RSA-2048 and RSA-4096 keys; refusals of every kind, each with its PAM
# code; and every stack is pam_mtls followed by pam_permit only, so a
# module that answered PAM_IGNORE or PAM_SUCCESS on an error would let it
# through.
. "${TOP_SRCDIR:-.}/tests/lib.sh"

: "${PAM_MTLS:?PAM_MTLS is not set (run through make check)}"
SOFTHSM=/usr/lib/softhsm/libsofthsm2.so
for f in /usr/lib/x86_64-linux-gnu/libpam_wrapper.so \
    /usr/lib/x86_64-linux-gnu/security/pam_permit.so $SOFTHSM; do
	[ -e "$f" ] || { echo "SKIP: $f is missing"; exit 77; }
done
PERMIT=/usr/lib/x86_64-linux-gnu/security/pam_permit.so
LOCKED_MODULE=${P11_LOCKED:-}

chmod 0755 "$TMP"
SOFTHSM2_CONF=$TMP/softhsm2.conf
export SOFTHSM2_CONF
mkdir "$TMP/tokens" "$TMP/svc" "$TMP/k"
echo "directories.tokendir = $TMP/tokens" >"$SOFTHSM2_CONF"
CA=$TMP/ca
K=$TMP/k

quiet() {
	"$@" >"$TMP/setup.out" 2>&1 || {
		cat "$TMP/setup.out" >&2
		fail "set-up: $*"
		finish
		exit 1
	}
}

# --- the organization, and certificates of every kind -------------------
quiet $MTLS ca init "$CA" --name "Token Test Root"
quiet $MTLS ca issue "$CA" --host host.example.com --out "$K/host"
quiet $MTLS ca issue "$CA" --user nobody --out "$K/nobody"
quiet $MTLS ca issue "$CA" --user daemon --out "$K/daemon"
quiet $MTLS ca issue "$CA" --user bin --out "$K/bin"
quiet $MTLS ca revoke "$CA" "$K/bin.pem"
quiet $MTLS ca crl "$CA"
quiet $MTLS ca init "$TMP/other" --name "Another Root"
quiet $MTLS ca issue "$TMP/other" --user nobody --out "$K/other"

# RSA keys: a request made by certtool, certified by the CA
rsa() {	# NAME BITS USER
	quiet certtool --generate-privkey --rsa --bits "$2" \
	    --outfile "$K/$1.key"
	printf 'cn = "%s"\n' "$3" >"$K/$1.tmpl"
	quiet certtool --generate-request --load-privkey "$K/$1.key" \
	    --template "$K/$1.tmpl" --outfile "$K/$1.req"
	quiet $MTLS ca sign "$CA" "$K/$1.req" --user "$3" --out "$K/$1.pem"
}
rsa rsa2048 2048 nobody
rsa rsa4096 4096 nobody

# made by certtool with the CA's key: expired; without clientAuth
made() {	# NAME TEMPLATE-LINES...
	n=$1
	shift
	printf '%s\n' "$@" >"$K/$n.tmpl"
	quiet certtool --generate-privkey --ecc --outfile "$K/$n.key"
	quiet certtool --generate-certificate --load-privkey "$K/$n.key" \
	    --load-ca-certificate "$CA/ca.pem" --load-ca-privkey "$CA/ca.key" \
	    --template "$K/$n.tmpl" --outfile "$K/$n.pem"
}
made expired 'cn = "nobody"' 'serial = 9001' \
    'activation_date = "2020-01-01 00:00:00"' \
    'expiration_date = "2021-01-01 00:00:00"' \
    'signing_key' 'tls_www_client'
made noeku 'cn = "nobody"' 'serial = 9002' 'expiration_days = 30' \
    'signing_key'
# a certificate anyone can make: self-signed, with the victim's name
printf '%s\n' 'cn = "nobody"' 'expiration_days = 30' 'signing_key' \
    'tls_www_client' 'ca' >"$K/self.tmpl"
quiet certtool --generate-privkey --ecc --outfile "$K/self.key"
quiet certtool --generate-self-signed --load-privkey "$K/self.key" \
    --template "$K/self.tmpl" --outfile "$K/self.pem"

cat >"$TMP/mtls.conf" <<CONF
trust_anchor $CA/ca.pem
crl $CA/crl.pem
host_certificate $K/host.pem
host_key $K/host.key
map from=cn
CONF
chmod 0644 "$TMP/mtls.conf"

# --- tokens -------------------------------------------------------------------
# token NAME CERT...: a token labelled NAME (PIN 1234) holding each
# certificate with its key under its own id.
token() {
	t=$1
	shift
	quiet softhsm2-util --init-token --free --label "$t" --pin 1234 \
	    --so-pin 5678
	i=1
	for c in "$@"; do
		quiet p11tool --provider "$SOFTHSM" --login --set-pin=1234 \
		    --write --load-privkey "$K/$c.key" --label "$c" \
		    --id "0$i" "pkcs11:token=$t"
		quiet p11tool --provider "$SOFTHSM" --login --set-pin=1234 \
		    --write --load-certificate "$K/$c.pem" --label "$c" \
		    --id "0$i" "pkcs11:token=$t"
		i=$((i + 1))
	done
}
token ecdsa nobody
token rsa2048 rsa2048
token rsa4096 rsa4096
token other other
token revoked bin
token expired expired
token noeku noeku
token self self
token daemon daemon
token many daemon nobody
token empty

service() {	# NAME ARGS...
	n=$1
	shift
	cat >"$TMP/svc/$n" <<SVC
auth required $PAM_MTLS config=$TMP/mtls.conf $*
auth required $PERMIT
account required $PAM_MTLS config=$TMP/mtls.conf $*
session required $PAM_MTLS config=$TMP/mtls.conf $*
SVC
}
for t in ecdsa rsa2048 rsa4096 other revoked expired noeku self daemon \
    many empty gone; do
	service "t-$t" source=token "token=pkcs11:token=$t" \
	    "pkcs11_module=$SOFTHSM"
done
service t-kit source=token "token=pkcs11:token=ecdsa"
service t-wait source=token "token=pkcs11:token=gone" \
    "pkcs11_module=$SOFTHSM" wait=1
service t-nomodule source=token "token=pkcs11:token=ecdsa" \
    "pkcs11_module=$TMP/no-such-module.so"
service t-notoken source=token
service t-pin source=token "token=pkcs11:token=ecdsa;pin-value=1234"
echo "auth required ${PERMIT%/*}/pam_deny.so" >"$TMP/svc/other"

# login SERVICE USER ANSWERS: run login-test; output in $TMP/out
login() {
	printf '%b' "$3" | LD_PRELOAD=libpam_wrapper.so PAM_WRAPPER=1 \
	    PAM_WRAPPER_SERVICE_DIR="$TMP/svc" \
	    $MTLS login-test --service "$1" --user "$2" >"$TMP/out" 2>&1
}

# expect SERVICE USER ANSWERS EXIT AUTH-CODE [ACCOUNT-CODE]
expect() {
	login "$1" "$2" "$3"
	got=$?
	if [ "$got" -ne "$4" ]; then
		fail "$1 as $2: exit $got, expected $4: $(cat "$TMP/out")"
		return
	fi
	expect_in "$TMP/out" "authenticate: $5 " "$1 as $2"
	[ -z "${6:-}" ] || expect_in "$TMP/out" "acct_mgmt: $6 " "$1 as $2"
	if [ "$4" -ne 0 ] && grep -q "verdict: login allowed" "$TMP/out"; then
		fail "$1 as $2: allowed"
	fi
}

# --- logins -------------------------------------------------------------------
expect t-ecdsa nobody '1234\n' 0 PAM_SUCCESS PAM_SUCCESS
expect_in "$TMP/out" "prompt: PIN for token ecdsa: " "PIN prompt names the token"
expect_in "$TMP/out" "open_session: PAM_SUCCESS" "session opens"
expect_in "$TMP/out" "env: MTLS_SUBJECT=CN=nobody" "session environment"
expect t-rsa2048 nobody '1234\n' 0 PAM_SUCCESS PAM_SUCCESS
expect t-rsa4096 nobody '1234\n' 0 PAM_SUCCESS PAM_SUCCESS
expect t-kit nobody '1234\n' 0 PAM_SUCCESS PAM_SUCCESS
# several certificates: the one that maps to the user wins
expect t-many nobody '1234\n' 0 PAM_SUCCESS PAM_SUCCESS
expect t-many daemon '1234\n' 0 PAM_SUCCESS PAM_SUCCESS
if [ "$(grep -c 'prompt:' "$TMP/out")" -eq 1 ]; then ok; else
	fail "the PIN was asked more than once: $(cat "$TMP/out")"; fi

# --- refusals -----------------------------------------------------------------
expect t-ecdsa nobody '0000\n' 1 PAM_AUTH_ERR
expect_in "$TMP/out" "error: Wrong PIN for token ecdsa" "wrong PIN said"
expect t-ecdsa nobody '\n' 1 PAM_CRED_INSUFFICIENT
expect t-ecdsa nobody '' 1 PAM_CONV_ERR
expect t-other nobody '1234\n' 1 PAM_AUTH_ERR
expect t-revoked bin '1234\n' 1 PAM_AUTH_ERR
expect t-expired nobody '1234\n' 1 PAM_AUTH_ERR
expect t-noeku nobody '1234\n' 1 PAM_AUTH_ERR
expect t-self nobody '1234\n' 1 PAM_AUTH_ERR
expect t-daemon nobody '1234\n' 1 PAM_AUTH_ERR
expect t-many bin '1234\n' 1 PAM_AUTH_ERR
expect t-empty nobody '1234\n' 1 PAM_AUTH_ERR
expect_in "$TMP/out" "holds no certificate" "empty token said"
expect t-ecdsa no-such-user '1234\n' 1 PAM_AUTH_ERR
expect t-gone nobody '1234\n' 1 PAM_AUTHINFO_UNAVAIL
expect t-wait nobody '1234\n' 1 PAM_AUTHINFO_UNAVAIL
expect_in "$TMP/out" "info: Insert the token" "wait says so"
expect t-nomodule nobody '1234\n' 1 PAM_SERVICE_ERR
expect t-notoken nobody '1234\n' 1 PAM_SERVICE_ERR
expect t-pin nobody '1234\n' 1 PAM_SERVICE_ERR

# proof of possession: a certificate beside a key that is not its own, and a
# certificate without any key, are never accepted
token pop
quiet p11tool --provider "$SOFTHSM" --login --set-pin=1234 --write \
    --load-privkey "$K/daemon.key" --label x --id 01 "pkcs11:token=pop"
quiet p11tool --provider "$SOFTHSM" --login --set-pin=1234 --write \
    --load-certificate "$K/nobody.pem" --label x --id 01 "pkcs11:token=pop"
quiet p11tool --provider "$SOFTHSM" --login --set-pin=1234 --write \
    --load-certificate "$K/nobody.pem" --label y --id 02 "pkcs11:token=pop"
service t-pop source=token "token=pkcs11:token=pop" "pkcs11_module=$SOFTHSM"
expect t-pop nobody '1234\n' 1 PAM_AUTH_ERR

# --- source=file ----------------------------------------------------------------
F=$TMP/f
mkdir -m 0755 "$F"
cp "$K/nobody.pem" "$K/nobody.key" "$F/"
chmod 0644 "$F/nobody.pem"
chmod 0600 "$F/nobody.key"
quiet certtool --to-p8 --load-privkey "$K/nobody.key" --password s3cret \
    --outfile "$F/enc.key"
chmod 0600 "$F/enc.key"
cp "$F/nobody.key" "$F/open.key"
chmod 0644 "$F/open.key"
cp "$F/nobody.key" "$F/daemons.key"
chown daemon "$F/daemons.key"
cp "$F/nobody.key" "$F/users.key"
chown nobody "$F/users.key"
fsvc() {	# NAME CERT KEY
	service "f-$1" source=file "cert=$F/$2" "key=$F/$3"
}
fsvc good nobody.pem nobody.key
fsvc enc nobody.pem enc.key
fsvc open nobody.pem open.key
fsvc daemons nobody.pem daemons.key
fsvc users nobody.pem users.key
fsvc missing none.pem nobody.key
service f-nokey source=file "cert=$F/nobody.pem"
expect f-good nobody '' 0 PAM_SUCCESS PAM_SUCCESS
expect f-good daemon '' 1 PAM_AUTH_ERR
expect f-enc nobody 's3cret\n' 0 PAM_SUCCESS PAM_SUCCESS
expect_in "$TMP/out" "prompt: Passphrase for key enc.key: " "passphrase prompt"
expect f-enc nobody 'wrong\n' 1 PAM_AUTH_ERR
expect f-open nobody '' 1 PAM_SERVICE_ERR
expect f-daemons nobody '' 1 PAM_SERVICE_ERR
expect f-users nobody '' 0 PAM_SUCCESS PAM_SUCCESS
expect f-missing nobody '' 1 PAM_SERVICE_ERR
expect f-nokey nobody '' 1 PAM_SERVICE_ERR

# a token whose PIN is locked, or at its final try (tests/p11-shim.c)
SHIM=${PAM_MTLS%/pam_mtls/.libs/pam_mtls.so}/tests/.libs/p11-shim.so
service t-shim source=token "token=pkcs11:token=ecdsa" "pkcs11_module=$SHIM"
P11_SHIM=locked
export P11_SHIM
expect t-shim nobody '1234\n' 1 PAM_MAXTRIES
expect_in "$TMP/out" "error: Token ecdsa is locked." "locked token said"
if grep -q "prompt:" "$TMP/out"; then fail "a locked token was asked its PIN"
else ok; fi
P11_SHIM=final
expect t-shim nobody '0000\n' 1 PAM_AUTH_ERR
expect_in "$TMP/out" "prompt: PIN for token ecdsa (final try): " "final try asked"
expect_in "$TMP/out" "one try left" "final try said"
expect t-shim nobody '1234\n' 0 PAM_SUCCESS PAM_SUCCESS
unset P11_SHIM

# the token is removed (its slot deleted) after it was set up
token removed nobody
service t-removed source=token "token=pkcs11:token=removed" \
    "pkcs11_module=$SOFTHSM"
expect t-removed nobody '1234\n' 0 PAM_SUCCESS
quiet softhsm2-util --delete-token --token removed
expect t-removed nobody '1234\n' 1 PAM_AUTHINFO_UNAVAIL

# the "token, then password" stack of examples/pam.d/login, with pam_permit
# standing in for the password: no token or an empty PIN go on to it,
# anything else that fails ends the stack
fallback() {	# NAME TOKEN
	printf '%s %s config=%s source=token token=pkcs11:token=%s %s\n%s\n' \
	    "auth [success=done authinfo_unavail=ignore" \
	    "cred_insufficient=ignore default=die] $PAM_MTLS" \
	    "$TMP/mtls.conf" "$2" "pkcs11_module=$SOFTHSM" \
	    "auth required $PERMIT" >"$TMP/svc/$1"
	echo "account required $PERMIT" >>"$TMP/svc/$1"
}
fallback fb-gone gone
fallback fb-ecdsa ecdsa
expect fb-gone nobody '' 0 PAM_SUCCESS
expect fb-ecdsa nobody '\n' 0 PAM_SUCCESS
expect fb-ecdsa nobody '0000\n' 1 PAM_AUTH_ERR
expect fb-ecdsa daemon '1234\n' 1 PAM_AUTH_ERR
expect fb-ecdsa nobody '1234\n' 0 PAM_SUCCESS

# --- su for real: util-linux su runs a token stack under pam_wrapper ----------
# (as root only: for anyone else su is set-uid and would ignore pam_wrapper)
if [ "$(id -u)" -eq 0 ] && command -v su >/dev/null; then
	mkdir "$TMP/susvc"
	A="$PAM_MTLS config=$TMP/mtls.conf source=token"
	A="$A token=pkcs11:token=ecdsa pkcs11_module=$SOFTHSM"
	printf 'auth required %s\nauth required %s\naccount required %s\n%s\n' \
	    "$A" "$PERMIT" "$A" "session required $A" >"$TMP/susvc/su"
	cp "$TMP/svc/other" "$TMP/susvc/other"
	su_run() {	# ANSWERS USER
		printf '%b' "$1" | LD_PRELOAD=libpam_wrapper.so PAM_WRAPPER=1 \
		    PAM_WRAPPER_SERVICE_DIR="$TMP/susvc" su -s /bin/sh \
		    -c 'echo "su as $(id -un): $MTLS_SUBJECT"' "$2" \
		    >"$TMP/out" 2>&1
	}
	su_run '1234\n' nobody && ok || fail "su: $(cat "$TMP/out")"
	expect_in "$TMP/out" "su as nobody: CN=nobody" "su ran the shell"
	su_run '0000\n' nobody && fail "su with a wrong PIN" || ok
	su_run '1234\n' daemon && fail "su to another user" || ok
	if grep -q "su as" "$TMP/out"; then fail "su ran a shell"; else ok; fi
fi

# --- a 4 KiB home directory (nss_wrapper) -------------------------------------
NSSW=/usr/lib/x86_64-linux-gnu/libnss_wrapper.so
if [ -e "$NSSW" ]; then
	home=$(printf '/h%04094d' 0 | tr 0 x)
	echo "longhome:x:4242:4242:Long Home:$home:/bin/sh" >"$TMP/passwd"
	grep -v '^longhome:' /etc/passwd >>"$TMP/passwd"
	echo "longhome:x:4242:" >"$TMP/group"
	quiet $MTLS ca issue "$CA" --user longhome --out "$F/longhome"
	chmod 0600 "$F/longhome.key"
	fsvc long longhome.pem longhome.key
	LD_PRELOAD="libpam_wrapper.so $NSSW" PAM_WRAPPER=1 \
	    PAM_WRAPPER_SERVICE_DIR="$TMP/svc" NSS_WRAPPER_PASSWD="$TMP/passwd" \
	    NSS_WRAPPER_GROUP="$TMP/group" $MTLS login-test --service f-long \
	    --user longhome </dev/null >"$TMP/out" 2>&1 && ok ||
	    fail "4 KiB home: $(cat "$TMP/out")"
	expect_in "$TMP/out" "acct_mgmt: PAM_SUCCESS" "4 KiB home account"
fi

finish
