#!/bin/sh
# ca.sh - mtls ca: init, issue, revoke, crl and list on a CA directory,
# checked with mtls verify and map, certtool and openssl; refusals that
# change nothing; SIGKILL at random moments leaves a usable CA.
. "${TOP_SRCDIR:-.}/tests/lib.sh"

# sum DIR: one checksum over every file under DIR, names included.
sum() {
	(cd "$1" && find . -type f | sort | xargs sha256sum | sha256sum)
}

mode() {
	stat -c %a "$1"
}

# --- init, for every key type ---------------------------------------------
for kt in ecdsa-p256 ecdsa-p384 ed25519 rsa-3072; do
	D=$TMP/$kt
	expect_exit 0 "init $kt" -- $MTLS ca init "$D" \
	    --name "Example Corp Root CA" --org "Example Corp" --key-type $kt
	[ "$(mode "$D")" = 700 ] && ok || fail "$kt: DIR mode $(mode "$D")"
	[ "$(mode "$D/ca.key")" = 600 ] && ok ||
	    fail "$kt: ca.key mode $(mode "$D/ca.key")"
	for f in ca.pem crl.pem index crlnumber certs; do
		[ -e "$D/$f" ] && ok || fail "$kt: no $f"
	done
	before=$(sum "$D")
	expect_exit 1 "init $kt twice" -- $MTLS ca init "$D" --name Again
	expect_in "$TMP/err" "already holds a CA" "init twice message"
	[ "$(sum "$D")" = "$before" ] && ok || fail "$kt: second init changed files"

	expect_exit 0 "issue user ($kt)" -- $MTLS ca issue "$D" --user alice \
	    --uid alice --email alice@example.com --out "$D-alice"
	expect_exit 0 "issue host ($kt)" -- $MTLS ca issue "$D" \
	    --host host.example.com --dns www.example.com --out "$D-host"
	[ "$(mode "$D-alice.key")" = 600 ] && ok || fail "$kt: user key mode"
	V="--ca $D/ca.pem --crl $D/crl.pem"
	expect_exit 0 "verify user ($kt)" -- $MTLS verify $V "$D-alice.pem"
	expect_in "$TMP/out" "CN=alice,UID=alice,O=Example Corp" "user subject"
	expect_exit 0 "verify host ($kt)" -- $MTLS verify $V --purpose server \
	    "$D-host.pem"
	expect_exit 1 "host is no client ($kt)" -- $MTLS verify $V "$D-host.pem"
	expect_exit 0 "certtool user ($kt)" -- certtool --verify \
	    --load-ca-certificate "$D/ca.pem" --infile "$D-alice.pem"
	expect_exit 0 "openssl user ($kt)" -- openssl verify \
	    -CAfile "$D/ca.pem" -purpose sslclient "$D-alice.pem"
	expect_exit 0 "openssl host ($kt)" -- openssl verify \
	    -CAfile "$D/ca.pem" -purpose sslserver "$D-host.pem"
	expect_exit 2 "openssl: user is no server ($kt)" -- openssl verify \
	    -CAfile "$D/ca.pem" -purpose sslserver "$D-alice.pem"
done

# --- revoke, crl, list --------------------------------------------------------
D=$TMP/ecdsa-p256
V="--ca $D/ca.pem --crl $D/crl.pem"
serial=$(awk -F'\t' '$7 ~ /^CN=alice,/ { print $1 }' "$D/index")
[ -f "$D/certs/$serial.pem" ] && ok || fail "no certs/$serial.pem"
expect_exit 0 "revoke by file" -- $MTLS ca revoke "$D" "$D-alice.pem" \
    --reason keyCompromise
expect_exit 1 "verify revoked" -- $MTLS verify $V "$D-alice.pem"
expect_in "$TMP/err" "rejected (revoked)" "revoked reason"
expect_exit 2 "openssl revoked" -- openssl verify -crl_check \
    -CRLfile "$D/crl.pem" -CAfile "$D/ca.pem" "$D-alice.pem"
expect_exit 0 "openssl other" -- openssl verify -crl_check \
    -CRLfile "$D/crl.pem" -CAfile "$D/ca.pem" -purpose sslserver "$D-host.pem"
expect_exit 0 "other still valid" -- $MTLS verify $V --purpose server \
    "$D-host.pem"
n1=$(cat "$D/crlnumber")
expect_exit 0 "crl" -- $MTLS ca crl "$D" --next-update 7
[ "$(cat "$D/crlnumber")" -eq $((n1 + 1)) ] && ok || fail "CRL number"
expect_exit 1 "still revoked" -- $MTLS verify $V "$D-alice.pem"
expect_exit 0 "list" -- $MTLS ca list "$D"
expect_in "$TMP/out" "$(printf '%s\trevoked' "$serial")" "list revoked"
expect_in "$TMP/out" "keyCompromise" "list reason"
expect_in "$TMP/out" "$(printf 'valid\t')" "list valid"

before=$(sum "$D")
expect_exit 1 "revoke twice" -- $MTLS ca revoke "$D" "$serial"
expect_in "$TMP/err" "already revoked" "revoke twice message"
expect_exit 1 "unknown serial" -- $MTLS ca revoke "$D" 0123abcd
expect_in "$TMP/err" "mtls ca: " "unknown serial prefix"
expect_in "$TMP/err" "not issued by this CA" "unknown serial message"
expect_exit 1 "not a serial" -- $MTLS ca revoke "$D" zz
for u in Alice ../x 'a b' ''; do
	expect_exit 2 "user '$u'" -- $MTLS ca issue "$D" --user "$u" \
	    --out "$TMP/bad"
	expect_in "$TMP/err" "not a valid user name" "user '$u' message"
done
expect_exit 2 "bad host" -- $MTLS ca issue "$D" --host "-x.example.com" \
    --out "$TMP/bad"
expect_exit 2 "bad email" -- $MTLS ca issue "$D" --user bob \
    --email "bob" --out "$TMP/bad"
expect_exit 2 "user and host" -- $MTLS ca issue "$D" --user bob \
    --host h.example.com --out "$TMP/bad"
expect_exit 2 "no --out" -- $MTLS ca issue "$D" --user bob
expect_exit 1 "existing output" -- $MTLS ca issue "$D" --user bob \
    --out "$D-alice"
expect_exit 2 "bad reason" -- $MTLS ca revoke "$D" "$serial" --reason oops
expect_exit 2 "option of another subcommand" -- $MTLS ca list "$D" --days 3
[ "$(sum "$D")" = "$before" ] && ok || fail "refusals changed the CA"
[ ! -e "$TMP/bad.key" ] && ok || fail "a refused issue wrote a key"
expect_exit 1 "missing DIR" -- $MTLS ca list "$TMP/none"
expect_in "$TMP/err" "not a CA directory" "missing DIR message"
expect_exit 1 "issue, missing DIR" -- $MTLS ca issue "$TMP/none" --user bob \
    --out "$TMP/bad"
[ ! -e "$TMP/none" ] && ok || fail "missing DIR was created"
expect_exit 2 "no DIR" -- $MTLS ca list
expect_exit 2 "unknown subcommand" -- $MTLS ca frob "$D"
expect_exit 0 "ca --help" -- $MTLS ca --help
expect_in "$TMP/out" "mtls ca revoke DIR" "ca usage"
expect_exit 0 "help ca" -- $MTLS help ca

# --- mtls req: a key and a request where the key is to stay --------------------
R=$TMP/req
mkdir "$R"
expect_exit 0 "req user" -- $MTLS req --user carol --uid carol \
    --email carol@example.com --key-out "$R/carol.key" --out "$R/carol.req"
[ "$(mode "$R/carol.key")" = 600 ] && ok || fail "req key mode"
expect_exit 0 "req verifies (openssl)" -- openssl req -verify -noout \
    -in "$R/carol.req"
expect_exit 0 "req info (certtool)" -- certtool --crq-info \
    --infile "$R/carol.req"
expect_in "$TMP/out" "CN=carol,UID=carol" "req subject"
expect_in "$TMP/out" "RFC822Name: carol@example.com" "req email"
expect_exit 0 "req host" -- $MTLS req --host web.example.com \
    --dns www.example.com --key-type ed25519 --key-out "$R/web.key" \
    --out "$R/web.req"
expect_exit 0 "req host verifies" -- openssl req -verify -noout \
    -in "$R/web.req"
before=$(sum "$R")
expect_exit 1 "req: existing key" -- $MTLS req --user dave \
    --key-out "$R/carol.key" --out "$R/dave.req"
expect_in "$TMP/err" "mtls req: " "req message prefix"
expect_exit 2 "req: no --key-out" -- $MTLS req --user dave --out "$R/d.req"
expect_exit 2 "req: bad user" -- $MTLS req --user Dave \
    --key-out "$R/d.key" --out "$R/d.req"
expect_exit 2 "req: operand" -- $MTLS req x --user dave \
    --key-out "$R/d.key" --out "$R/d.req"
[ "$(sum "$R")" = "$before" ] && ok || fail "refused req wrote files"
expect_exit 0 "req --help" -- $MTLS req --help

# --- mtls map with the CA's certificates ---------------------------------------
expect_exit 0 "issue bob" -- $MTLS ca issue "$D" --user bob --out "$TMP/bob"
cat >"$TMP/map.conf" <<EOF2
trust_anchor $D/ca.pem
crl $D/crl.pem
map from=cn
EOF2
chmod 0644 "$TMP/map.conf"
expect_exit 0 "map bob" -- $MTLS map --config "$TMP/map.conf" "$TMP/bob.pem"
[ "$(cut -f1 "$TMP/out")" = bob ] && ok || fail "bob maps to: $(cat "$TMP/out")"
expect_exit 1 "map revoked alice" -- $MTLS map --config "$TMP/map.conf" \
    "$D-alice.pem"

# --- SIGKILL at random moments --------------------------------------------------
# After each kill: the inventory reads, every serial in it has its copy in
# certs/, the CRL verifies (mtls verify needs it), and issuing works.
K=$TMP/kill
$MTLS ca init "$K" --name "Kill CA" >/dev/null 2>&1 || fail "init kill CA"
$MTLS ca issue "$K" --host k.example.com --out "$TMP/k" >/dev/null 2>&1 ||
    fail "issue in kill CA"
i=0
while [ $i -lt 20 ]; do
	i=$((i + 1))
	delay=$(od -An -N1 -tu1 /dev/urandom | tr -d ' ')
	$MTLS ca issue "$K" --user "u$i" --out "$TMP/u$i" >/dev/null 2>&1 &
	pid=$!
	# an issue takes about 15 ms here: kill anywhere from start to end
	sleep "$(printf '0.%03d' $((delay % 20)))"
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	if ! $MTLS ca list "$K" >"$TMP/list" 2>"$TMP/err"; then
		fail "kill $i: list: $(cat "$TMP/err")"
		continue
	fi
	missing=$(cut -f1 "$TMP/list" | while read -r s; do
		[ -f "$K/certs/$s.pem" ] || echo "$s"; done)
	[ -z "$missing" ] && ok || fail "kill $i: no certs/ copy of $missing"
	expect_exit 0 "kill $i: CRL verifies" -- $MTLS verify \
	    --ca "$K/ca.pem" --crl "$K/crl.pem" --purpose server "$TMP/k.pem"
	expect_exit 0 "kill $i: issue again" -- $MTLS ca issue "$K" \
	    --user "v$i" --out "$TMP/v$i"
done
[ "$(stat -c %a "$K/ca.key")" = 600 ] && ok || fail "kill: ca.key mode"

finish
