#!/bin/sh
# pkcs11.sh - mtls req --pkcs11: the key is generated on a SoftHSM2 token
# in a private token store, the request is signed there, mtls ca sign
# certifies it, and no private key reaches a file.
. "${TOP_SRCDIR:-.}/tests/lib.sh"

SOFTHSM2_CONF=$TMP/softhsm2.conf
export SOFTHSM2_CONF
mkdir "$TMP/tokens" "$TMP/r"
echo "directories.tokendir = $TMP/tokens" >"$SOFTHSM2_CONF"
expect_exit 0 "init token" -- softhsm2-util --init-token --free \
    --label mtls-test --pin 1234 --so-pin 5678
TOKEN="pkcs11:token=mtls-test"
R=$TMP/r

# private keys on the token
nkeys() {
	p11tool --list-all --login --set-pin=1234 "$TOKEN" 2>/dev/null |
	    grep -c 'Type: Private key'
}

expect_exit 0 "req on token" -- $MTLS req --user alice \
    --pkcs11 "$TOKEN;pin-value=1234" --out "$R/alice.req"
expect_in "$TMP/out" "key on the token" "req names the token"
URI=$(grep '^pkcs11:' "$TMP/out")
case $URI in
*pin-value*)	fail "printed URI holds the PIN: $URI" ;;
*"id="*";type=private")	ok ;;
*)		fail "printed URI names no key: $URI" ;;
esac
expect_exit 0 "token req verifies" -- certtool --crq-info \
    --infile "$R/alice.req"
expect_in "$TMP/out" "Self signature: verified" "token req self-signature"
expect_in "$TMP/out" "CN=alice" "token req subject"
expect_exit 0 "token key labelled" -- p11tool --list-all --login \
    --set-pin=1234 "$TOKEN"
expect_in "$TMP/out" "Label: alice" "token key label"
expect_in "$TMP/out" "CKA_SENSITIVE" "token key sensitive"
expect_in "$TMP/out" "CKA_PRIVATE" "token key private"

S=$TMP/ca
expect_exit 0 "init CA" -- $MTLS ca init "$S" --name "Token CA"
expect_exit 0 "sign token req" -- $MTLS ca sign "$S" "$R/alice.req" \
    --user alice --out "$R/alice.pem"
expect_exit 0 "verify token cert" -- $MTLS verify --ca "$S/ca.pem" \
    --crl "$S/crl.pem" "$R/alice.pem"

# the certificate holds the token's public key
expect_exit 0 "export token pubkey" -- p11tool --export-pubkey --login \
    --set-pin=1234 "$URI"
cp "$TMP/out" "$R/alice.pub"
[ -n "$(openssl pkey -pubin -in "$R/alice.pub" 2>/dev/null)" ] &&
[ "$(openssl x509 -noout -pubkey -in "$R/alice.pem")" = \
    "$(openssl pkey -pubin -in "$R/alice.pub")" ] && ok ||
    fail "certificate does not hold the token's public key"

# another type, with the PIN in the query and a given label
expect_exit 0 "req rsa-3072 on token" -- $MTLS req --host web.example.com \
    --key-type rsa-3072 --label "web key" \
    --pkcs11 "$TOKEN?pin-value=1234" --out "$R/web.req"
expect_exit 0 "token rsa req verifies" -- openssl req -verify -noout \
    -in "$R/web.req"
p11tool --list-all --login --set-pin=1234 "$TOKEN" >"$TMP/out" 2>&1
expect_in "$TMP/out" "Label: web key" "--label on the token"

# refusals: nothing generated, nothing written
n=$(nkeys)
expect_exit 1 "wrong PIN" -- $MTLS req --user bob \
    --pkcs11 "$TOKEN;pin-value=0000" --out "$R/bob.req"
expect_in "$TMP/err" "mtls req: token mtls-test: wrong PIN" "wrong PIN message"
expect_exit 1 "no such token" -- $MTLS req --user bob \
    --pkcs11 "pkcs11:token=no-such-token;pin-value=1234" --out "$R/bob.req"
expect_in "$TMP/err" "no PKCS#11 token matches pkcs11:token=no-such-token" \
    "no token message"
if ! grep -q 1234 "$TMP/err"; then ok; else fail "message shows the PIN"; fi
expect_exit 1 "no PIN, no terminal" -- setsid -w $MTLS req --user bob \
    --pkcs11 "$TOKEN" --out "$R/bob.req"
expect_in "$TMP/err" "no terminal" "no terminal message"
expect_exit 1 "existing request" -- $MTLS req --user bob \
    --pkcs11 "$TOKEN;pin-value=1234" --out "$R/alice.req"
expect_exit 2 "both --key-out and --pkcs11" -- $MTLS req --user bob \
    --pkcs11 "$TOKEN;pin-value=1234" --key-out "$R/bob.key" \
    --out "$R/bob.req"
expect_exit 2 "--label without --pkcs11" -- $MTLS req --user bob \
    --label x --key-out "$R/bob.key" --out "$R/bob.req"
expect_exit 2 "not a pkcs11 URI" -- $MTLS req --user bob \
    --pkcs11 "token=mtls-test" --out "$R/bob.req"
[ "$(nkeys)" = "$n" ] && ok || fail "a refused req left a key on the token"
[ ! -e "$R/bob.req" ] && [ ! -e "$R/bob.key" ] && ok ||
    fail "a refused req wrote a file"

# no private key in any file but the CA's own
if grep -rl "PRIVATE KEY" "$TMP" | grep -v "^$S/ca.key\$" >"$TMP/keys"; then
	fail "private key files: $(cat "$TMP/keys")"
else
	ok
fi
[ "$(ls "$R" | tr '\n' ' ')" = "alice.pem alice.pub alice.req web.req " ] &&
    ok || fail "unexpected files: $(ls "$R")"

finish
