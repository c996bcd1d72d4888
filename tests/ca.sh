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

# --- init adopts only a directory that is safely the caller's --------------
mkdir -m 0700 "$TMP/empty"
expect_exit 0 "init in an existing empty 0700 directory" -- $MTLS ca init \
    "$TMP/empty" --name "Adopted"
mkdir -m 0777 "$TMP/open"
expect_exit 1 "init in a directory others may write" -- $MTLS ca init \
    "$TMP/open" --name "Open"
expect_in "$TMP/err" "writable by group or others" "open directory refused"
[ ! -e "$TMP/open/ca.key" ] && ok || fail "no key in an open directory"
mkdir -m 0700 "$TMP/linked" "$TMP/elsewhere"
ln -s "$TMP/elsewhere" "$TMP/linked/certs"
expect_exit 1 "init with a certs symlink" -- $MTLS ca init "$TMP/linked" \
    --name "Linked"
expect_in "$TMP/err" "symbolic link" "certs symlink refused"
[ -z "$(ls -A "$TMP/elsewhere")" ] && ok || fail "nothing written through it"
ln -s "$TMP/elsewhere" "$TMP/dirlink"
expect_exit 1 "init on a symlink to a directory" -- $MTLS ca init \
    "$TMP/dirlink" --name "Linked"
if [ "$(id -u)" -eq 0 ]; then
	# another user made the directory first, and could replace ca.key
	mkdir -m 0700 "$TMP/theirs"
	chown nobody "$TMP/theirs"
	expect_exit 1 "init in another user's directory" -- $MTLS ca init \
	    "$TMP/theirs" --name "Theirs"
	expect_in "$TMP/err" "not by this user" "other owner refused"
	# and an existing CA whose directory became another's is not used
	cp -a "$TMP/empty" "$TMP/taken"
	chown nobody "$TMP/taken"
	expect_exit 1 "issue in another user's CA directory" -- $MTLS ca issue \
	    "$TMP/taken" --user x --out "$TMP/x"
	expect_in "$TMP/err" "not by this user" "other owner refused (open)"
fi
chmod 0770 "$TMP/empty"
expect_exit 1 "issue in a group-writable CA directory" -- $MTLS ca issue \
    "$TMP/empty" --user x --out "$TMP/x"
expect_in "$TMP/err" "writable by group or others" "CA directory mode"
chmod 0700 "$TMP/empty"

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
expect_exit 1 "certtool revoked" -- certtool --verify \
    --load-ca-certificate "$D/ca.pem" --load-crl "$D/crl.pem" \
    --infile "$D-alice.pem"
expect_in "$TMP/out" "revoked" "certtool says revoked"
expect_exit 0 "certtool other" -- certtool --verify \
    --load-ca-certificate "$D/ca.pem" --load-crl "$D/crl.pem" \
    --infile "$D-host.pem"
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
# An IP address is no DNS name: mtls verify refuses it (ip-as-dns-name).
for h in 192.0.2.1 host.0x1f 10.1; do
	expect_exit 2 "IP address $h as --host" -- $MTLS ca issue "$D" \
	    --host "$h" --out "$TMP/bad"
	expect_in "$TMP/err" "not a DNS name" "IP address $h message"
	expect_exit 2 "IP address $h as --dns" -- $MTLS ca issue "$D" \
	    --host h.example.com --dns "$h" --out "$TMP/bad"
done
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
expect_exit 0 "digits in labels" -- $MTLS ca issue "$D" \
    --host 1e100.example.com --dns 192-0-2-1.example.com --out "$TMP/digits"
expect_exit 0 "digits in labels verify" -- $MTLS verify $V --purpose server \
    "$TMP/digits.pem"
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

# --- mtls ca sign: the CA certifies the request's key, never sees the key -------
S=$TMP/signca
expect_exit 0 "init sign CA" -- $MTLS ca init "$S" --name "Sign CA" \
    --org "Example Corp"
expect_exit 0 "sign user" -- $MTLS ca sign "$S" "$R/carol.req" \
    --user carol --uid carol --email carol@example.com --out "$R/carol.pem"
expect_exit 0 "sign host" -- $MTLS ca sign "$S" "$R/web.req" \
    --host web.example.com --dns www.example.com --out "$R/web.pem"
V="--ca $S/ca.pem --crl $S/crl.pem"
expect_exit 0 "verify signed user" -- $MTLS verify $V "$R/carol.pem"
expect_in "$TMP/out" "CN=carol,UID=carol,O=Example Corp" "signed subject"
expect_exit 0 "verify signed host" -- $MTLS verify $V --purpose server \
    "$R/web.pem"
expect_exit 0 "certtool signed user" -- certtool --verify \
    --load-ca-certificate "$S/ca.pem" --infile "$R/carol.pem"
expect_exit 0 "openssl signed user" -- openssl verify -CAfile "$S/ca.pem" \
    -purpose sslclient "$R/carol.pem"
expect_exit 0 "openssl signed host" -- openssl verify -CAfile "$S/ca.pem" \
    -purpose sslserver "$R/web.pem"
# the certificate holds the key of carol.key
[ "$(openssl x509 -noout -pubkey -in "$R/carol.pem")" = \
    "$(openssl pkey -pubout -in "$R/carol.key")" ] && ok ||
    fail "signed certificate does not hold the request's key"
# the identity is the administrator's: a request for carol signed as erin
expect_exit 0 "sign with other names" -- $MTLS ca sign "$S" "$R/carol.req" \
    --user erin --out "$R/erin.pem"
expect_exit 0 "names from options" -- $MTLS verify $V "$R/erin.pem"
expect_in "$TMP/out" "CN=erin,O=Example Corp" "subject from options"
grep -c . "$S/index" | grep -qx 4 && ok || fail "sign: index lines"
find "$S" -name '*.key' ! -name ca.key | grep -q . &&
    fail "the CA directory holds a user key" || ok
for f in "$S"/certs/*.pem; do
	grep -q "PRIVATE KEY" "$f" && fail "private key in $f" || ok
done

before=$(sum "$S")
# a byte of the base64 body flipped: the signature no longer verifies
awk 'NR == 4 { c = substr($0, 10, 1); r = (c == "A") ? "B" : "A";
    $0 = substr($0, 1, 9) r substr($0, 11) } { print }' "$R/carol.req" \
    >"$R/flip.req"
expect_exit 1 "tampered request" -- $MTLS ca sign "$S" "$R/flip.req" \
    --user carol --out "$R/flip.pem"
expect_in "$TMP/err" "mtls ca: " "tampered message prefix"
# carol's request with the public key of web.req put in: a forgery
certtool --crq-info --infile "$R/carol.req" --outder >"$R/c.der" 2>/dev/null
certtool --crq-info --infile "$R/web.req" --outder >"$R/w.der" 2>/dev/null
if python3 - "$R/c.der" "$R/w.der" "$R/swap.req" <<'PY'
import base64, sys
def tlv(b, i):
    l = b[i + 1]; h = 2
    if l & 0x80:
        n = l & 0x7f; l = int.from_bytes(b[i + 2:i + 2 + n], "big"); h = 2 + n
    return i + h, l
def spki(b):
    i, _ = tlv(b, 0)                  # CertificationRequest
    i, _ = tlv(b, i)                  # CertificationRequestInfo
    for _ in range(2):                # version, subject
        j, l = tlv(b, i); i = j + l
    j, l = tlv(b, i)
    return i, j + l                   # SubjectPublicKeyInfo
def length(n):
    if n < 128: return bytes([n])
    k = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(k)]) + k
c = open(sys.argv[1], "rb").read(); w = open(sys.argv[2], "rb").read()
a, b = spki(c); x, y = spki(w)
ri, _ = tlv(c, 0); ii, il = tlv(c, ri)
info = c[ii:a] + w[x:y] + c[b:ii + il]
rest = c[ii + il:tlv(c, 0)[0] + tlv(c, 0)[1]]
body = b"\x30" + length(len(info)) + info + rest
der = b"\x30" + length(len(body)) + body
t = base64.encodebytes(der).decode()
open(sys.argv[3], "w").write("-----BEGIN CERTIFICATE REQUEST-----\n" + t +
    "-----END CERTIFICATE REQUEST-----\n")
PY
then
	expect_exit 1 "request with another key" -- $MTLS ca sign "$S" \
	    "$R/swap.req" --user carol --out "$R/swap.pem"
	expect_in "$TMP/err" "signature does not verify" "swapped key message"
else
	fail "could not build the swapped-key request"
fi
printf 'not a request\n' >"$R/junk.req"
expect_exit 1 "junk request" -- $MTLS ca sign "$S" "$R/junk.req" \
    --user carol --out "$R/junk.pem"
expect_in "$TMP/err" "not a PEM certificate request" "junk message"
certtool --generate-privkey --bits 1024 --key-type rsa \
    --outfile "$R/weak.key" >/dev/null 2>&1
printf 'cn = weak\n' >"$R/weak.tmpl"
certtool --generate-request --load-privkey "$R/weak.key" \
    --template "$R/weak.tmpl" --outfile "$R/weak.req" >/dev/null 2>&1
expect_exit 0 "weak request is well signed" -- openssl req -verify -noout \
    -in "$R/weak.req"
expect_exit 1 "RSA-1024 request" -- $MTLS ca sign "$S" "$R/weak.req" \
    --user weak --out "$R/weak.pem"
expect_in "$TMP/err" "too weak" "weak key message"
expect_exit 1 "sign: existing output" -- $MTLS ca sign "$S" "$R/web.req" \
    --host web.example.com --out "$R/web.pem"
expect_exit 2 "sign: no identity" -- $MTLS ca sign "$S" "$R/web.req" \
    --out "$R/x.pem"
expect_exit 2 "sign: no REQ" -- $MTLS ca sign "$S" --user carol \
    --out "$R/x.pem"
expect_exit 2 "sign: no --key-type" -- $MTLS ca sign "$S" "$R/web.req" \
    --host web.example.com --key-type ed25519 --out "$R/x.pem"
[ "$(sum "$S")" = "$before" ] && ok || fail "a refused sign changed the CA"
for f in flip swap junk weak x; do
	[ ! -e "$R/$f.pem" ] && ok || fail "a refused sign wrote $f.pem"
done

# --- init-intermediate: a CA signed by the root, revocable at the root ---------
RT=$TMP/root
IT=$TMP/issuing
expect_exit 0 "init root" -- $MTLS ca init "$RT" --name "Example Corp Root CA" \
    --org "Example Corp" --days 1000
expect_exit 0 "init intermediate" -- $MTLS ca init-intermediate "$IT" \
    --root "$RT" --name "Example Corp Issuing CA" --org "Example Corp" \
    --key-type ecdsa-p384 --days 5000
[ "$(mode "$IT")" = 700 ] && ok || fail "intermediate DIR mode"
[ "$(mode "$IT/ca.key")" = 600 ] && ok || fail "intermediate ca.key mode"
expect_exit 0 "intermediate info" -- certtool -i --infile "$IT/ca.pem"
expect_in "$TMP/out" "Basic Constraints (critical):" "intermediate BC"
expect_in "$TMP/out" "Certificate Authority (CA): TRUE" "intermediate CA:TRUE"
expect_in "$TMP/out" "Key Usage (critical):" "intermediate KU"
expect_in "$TMP/out" "Certificate signing." "intermediate keyCertSign"
expect_in "$TMP/out" "CRL signing." "intermediate cRLSign"
expect_in "$TMP/out" "Issuer: CN=Example Corp Root CA" "intermediate issuer"
rski=$(certtool -i --infile "$RT/ca.pem" |
    sed -n '/Subject Key Identifier/{n;s/[[:space:]]//g;p;}')
grep -A1 "Authority Key Identifier" "$TMP/out" | grep -q "$rski" && ok ||
    fail "intermediate AKI is not the root SKI"
[ "$(openssl x509 -noout -enddate -in "$IT/ca.pem")" = \
    "$(openssl x509 -noout -enddate -in "$RT/ca.pem")" ] && ok ||
    fail "intermediate outlives its root"
iserial=$(awk -F'\t' '$6 == "ca" { print $1 }' "$RT/index")
[ -n "$iserial" ] && [ -f "$RT/certs/$iserial.pem" ] && ok ||
    fail "intermediate not recorded in the root"
[ "$(cat "$IT/chain.pem")" = "$(cat "$IT/ca.pem" "$RT/ca.pem")" ] && ok ||
    fail "chain.pem is not intermediate then root"
expect_exit 0 "list root with a ca entry" -- $MTLS ca list "$RT"
expect_in "$TMP/out" "$(printf 'valid\t')" "list intermediate"
expect_exit 0 "issue under intermediate" -- $MTLS ca issue "$IT" \
    --user frank --out "$TMP/frank"
expect_exit 0 "sign under intermediate" -- $MTLS ca sign "$IT" \
    "$R/web.req" --host web.example.com --out "$TMP/iweb.pem"
IV="--ca $RT/ca.pem --untrusted $IT/ca.pem --crl $RT/crl.pem --crl $IT/crl.pem"
expect_exit 0 "verify leaf of intermediate" -- $MTLS verify $IV \
    "$TMP/frank.pem"
expect_in "$TMP/out" "CN=Example Corp Issuing CA" "chain shown"
expect_exit 0 "verify host of intermediate" -- $MTLS verify $IV \
    --purpose server "$TMP/iweb.pem"
expect_exit 0 "openssl leaf of intermediate" -- openssl verify \
    -CAfile "$RT/ca.pem" -untrusted "$IT/chain.pem" -purpose sslclient \
    -crl_check_all -CRLfile "$RT/crl.pem" -CRLfile "$IT/crl.pem" \
    "$TMP/frank.pem"
cat "$TMP/frank.pem" "$IT/ca.pem" >"$TMP/frank-chain.pem"
expect_exit 0 "certtool leaf of intermediate" -- certtool --verify \
    --load-ca-certificate "$RT/ca.pem" --infile "$TMP/frank-chain.pem"
expect_exit 1 "leaf without the intermediate" -- $MTLS verify \
    --ca "$RT/ca.pem" --crl "$RT/crl.pem" "$TMP/frank.pem"
# refusals
before=$(sum "$RT")
expect_exit 1 "intermediate twice" -- $MTLS ca init-intermediate "$IT" \
    --root "$RT" --name Again
expect_in "$TMP/err" "already holds a CA" "intermediate twice message"
expect_exit 1 "intermediate of an intermediate" -- $MTLS ca \
    init-intermediate "$TMP/sub" --root "$IT" --name Sub
expect_in "$TMP/err" "is not a root CA" "sub-intermediate message"
expect_exit 1 "intermediate, missing root" -- $MTLS ca init-intermediate \
    "$TMP/sub" --root "$TMP/none" --name Sub
[ ! -e "$TMP/sub" ] && ok || fail "refused intermediate made its DIR"
expect_exit 2 "intermediate without --root" -- $MTLS ca init-intermediate \
    "$TMP/sub" --name Sub
expect_exit 2 "init with --root" -- $MTLS ca init "$TMP/sub" --name Sub \
    --root "$RT"
[ "$(sum "$RT")" = "$before" ] && ok || fail "refusals changed the root"
# revoking the intermediate at the root rejects its leaves
expect_exit 0 "revoke intermediate" -- $MTLS ca revoke "$RT" "$IT/ca.pem" \
    --reason cessationOfOperation
expect_exit 0 "root crl" -- $MTLS ca crl "$RT"
expect_exit 1 "leaf of revoked intermediate" -- $MTLS verify $IV \
    "$TMP/frank.pem"
expect_in "$TMP/err" "rejected (revoked)" "revoked intermediate reason"
expect_exit 2 "openssl: revoked intermediate" -- openssl verify \
    -CAfile "$RT/ca.pem" -untrusted "$IT/chain.pem" -purpose sslclient \
    -crl_check_all -CRLfile "$RT/crl.pem" -CRLfile "$IT/crl.pem" \
    "$TMP/frank.pem"

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
