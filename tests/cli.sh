#!/bin/sh
# cli.sh - mtls verify, map and config check as an administrator uses
# them: arguments, exit codes (0/1/2), reasons, JSON, file:line errors,
# the SSH host keys config check lists.
. "${TOP_SRCDIR:-.}/tests/lib.sh"

F=$FIXTURES
T=1767225600
cat "$F/root.crl" "$F/inter.crl" >"$TMP/crl.pem"
V="--ca $F/root.pem --untrusted $F/inter.pem --crl $TMP/crl.pem --at $T"

# --- mtls verify -------------------------------------------------------------
expect_exit 0 "good chain" -- $MTLS verify $V "$F/leaf-good.pem"
expect_in "$TMP/out" "leaf-good.pem: OK" "good chain output"
expect_in "$TMP/out" "subject:     CN=alice,UID=alice,O=mtls test" "subject"
expect_in "$TMP/out" "(trust anchor)" "chain shown"
expect_exit 0 "RFC 3339 time" -- $MTLS verify --ca "$F/root.pem" \
    --untrusted "$F/inter.pem" --crl "$TMP/crl.pem" \
    --at 2026-01-01T01:00:00+01:00 "$F/leaf-good.pem"

# Each bad certificate is rejected with its own reason.
reasons=""
while read -r file reason extra; do
	expect_exit 1 "$file" -- $MTLS verify $V $extra "$F/$file"
	expect_in "$TMP/err" "rejected ($reason)" "$file reason"
	expect_empty "$TMP/out" "$file stdout"
	reasons="$reasons $reason"
done <<EOF2
leaf-expired.pem expired
leaf-notyet.pem not-yet-valid
leaf-other.pem untrusted
leaf-revoked.pem revoked
leaf-noeku.pem no-eku
leaf-server-eku.pem wrong-purpose
leaf-ca.pem leaf-is-ca
leaf-sha1.pem weak-signature
leaf-rsa1024.pem weak-key
leaf-deep.pem chain-too-long --untrusted=$F/deep-chain.pem
leaf-impostor.pem bad-signature
leaf-noaki.pem no-authority-key-id
leaf-badsan.pem bad-san
leaf-aki-crit.pem critical-authority-key-id
leaf-aia-crit.pem critical-authority-info-access
leaf-ip-dns.pem ip-as-dns-name
leaf-empty-dn-san-noncrit.pem san-not-critical
leaf-serial-zero.pem bad-serial
leaf-eku-server-ca.pem issuer-wrong-purpose --untrusted=$F/inter-eku-server.pem
leaf-empty-dn-issuer.pem ca-empty-subject --untrusted=$F/inter-empty-dn.pem
leaf-bc-noncrit-issuer.pem basic-constraints-not-critical --untrusted=$F/inter-bc-noncrit.pem
leaf-policy-noncrit-issuer.pem policy-constraints-not-critical --untrusted=$F/inter-policy-noncrit.pem
leaf-dup-san.pem malformed
EOF2
n_all=$(echo $reasons | wc -w)
n_uniq=$(echo $reasons | tr ' ' '\n' | sort -u | wc -l)
[ "$n_all" -eq "$n_uniq" ] && ok || fail "reasons are not distinct: $reasons"

# A certificate that GnuTLS cannot parse is rejected (1), never an error
# of usage or configuration (2), as PEM or DER.
for file in leaf-san-garbage.pem leaf-dup-san.pem leaf-sig-mismatch.pem; do
	expect_exit 1 "$file" -- $MTLS verify $V "$F/$file"
	expect_in "$TMP/err" "rejected (malformed)" "$file reason"
	expect_exit 1 "$file, json" -- $MTLS verify $V --json "$F/$file"
	expect_in "$TMP/out" '"reason":"malformed"' "$file json reason"
	sed '/^-----/d' "$F/$file" | base64 -d >"$TMP/malformed.der"
	expect_exit 1 "$file as DER" -- $MTLS verify $V "$TMP/malformed.der"
	expect_in "$TMP/err" "rejected (malformed)" "$file as DER reason"
done

# CRL problems.
expect_exit 1 "stale CRL" -- $MTLS verify --ca "$F/root.pem" \
    --untrusted "$F/inter.pem" --crl "$F/root.crl" --crl "$F/inter-stale.crl" \
    --at $T "$F/leaf-good.pem"
expect_in "$TMP/err" "rejected (crl-stale)" "stale CRL reason"
expect_exit 1 "forged CRL" -- $MTLS verify --ca "$F/root.pem" \
    --untrusted "$F/inter.pem" --crl "$F/root.crl" --crl "$F/inter-forged.crl" \
    --at $T "$F/leaf-good.pem"
expect_in "$TMP/err" "rejected (crl-bad-signature)" "forged CRL reason"
expect_exit 1 "missing CRL" -- $MTLS verify --ca "$F/root.pem" \
    --untrusted "$F/inter.pem" --crl "$F/root.crl" --at $T "$F/leaf-good.pem"
expect_in "$TMP/err" "rejected (crl-missing)" "missing CRL reason"
expect_exit 1 "now, CRL past nextUpdate" -- $MTLS verify --ca "$F/root.pem" \
    --untrusted "$F/inter.pem" --crl "$TMP/crl.pem" "$F/leaf-good.pem"
expect_in "$TMP/err" "crl-stale" "real clock uses nextUpdate"
# The intermediate's CRL applies to the intermediate's name and key: a
# client presenting another certificate of it (reissued) is still refused.
expect_exit 1 "revoked, reissued issuer" -- $MTLS verify $V \
    "$F/leaf-revoked-reissue.pem"
expect_in "$TMP/err" "rejected (revoked)" "reissued issuer: revoked"
expect_exit 1 "unknown critical CRL extension" -- $MTLS verify \
    --ca "$F/root.pem" --untrusted "$F/inter.pem" --crl "$F/root.crl" \
    --crl "$F/inter-bad-critext.crl" --at $T "$F/leaf-good.pem"
expect_in "$TMP/err" "rejected (crl-unknown-critical-extension)" \
    "critical CRL extension reason"

# Purposes.
expect_exit 0 "server purpose" -- $MTLS verify $V --purpose server \
    "$F/server-good.pem"
expect_exit 1 "client cert as server" -- $MTLS verify $V --purpose server \
    "$F/leaf-good.pem"
expect_exit 0 "purpose any" -- $MTLS verify $V --purpose any "$F/leaf-noeku.pem"

# --host: the host-name check of mtls ssh, after the policy.
expect_exit 0 "host name" -- $MTLS verify $V --host host.example.com \
    "$F/server-good.pem"
expect_exit 1 "another host name" -- $MTLS verify $V \
    --host other.example.com "$F/server-good.pem"
expect_in "$TMP/err" "rejected (wrong-host)" "wrong-host reason"
expect_in "$TMP/err" "names no other.example.com" "the name is said"
expect_empty "$TMP/out" "a rejection prints nothing on stdout"
expect_exit 1 "--host implies purpose server" -- $MTLS verify $V \
    --host host.example.com "$F/leaf-good.pem"
expect_in "$TMP/err" "wrong-purpose" "a client certificate as a host's"
expect_exit 2 "--host with purpose client" -- $MTLS verify $V \
    --purpose client --host host.example.com "$F/server-good.pem"
expect_exit 2 "--host is verify's" -- $MTLS map $V --host host.example.com \
    "$F/leaf-good.pem"
expect_exit 1 "--host --json" -- $MTLS verify $V --json \
    --host other.example.com "$F/server-good.pem"
expect_in "$TMP/out" '"reason":"wrong-host"' "JSON reason"

# JSON.
expect_exit 0 "json accepted" -- $MTLS verify $V --json "$F/leaf-good.pem"
expect_in "$TMP/out" '"accepted":true' "json accepted"
expect_in "$TMP/out" '"subject":"CN=alice,UID=alice,O=mtls test"' "json subject"
expect_in "$TMP/out" '"at":"2026-01-01T00:00:00Z"' "json time"
expect_exit 1 "json rejected" -- $MTLS verify $V --json "$F/leaf-revoked.pem"
expect_in "$TMP/out" '"accepted":false' "json rejected"
expect_in "$TMP/out" '"reason":"revoked"' "json reason"
expect_empty "$TMP/err" "json rejected stderr"

# Usage and configuration errors are 2.
expect_exit 2 "no operand" -- $MTLS verify $V
expect_exit 2 "two operands" -- $MTLS verify $V "$F/leaf-good.pem" "$F/leaf-bob.pem"
expect_exit 2 "unknown option" -- $MTLS verify --bogus $V "$F/leaf-good.pem"
expect_exit 2 "bad time" -- $MTLS verify $V --at yesterday "$F/leaf-good.pem"
expect_exit 2 "bad purpose" -- $MTLS verify $V --purpose email "$F/leaf-good.pem"
expect_exit 2 "missing certificate" -- $MTLS verify $V "$TMP/none.pem"
expect_exit 2 "missing CA" -- $MTLS verify --ca "$TMP/none.pem" "$F/leaf-good.pem"
expect_in "$TMP/err" "none.pem" "missing CA named"
expect_exit 2 "missing config" -- $MTLS verify --config "$TMP/none.conf" \
    "$F/leaf-good.pem"
cp "$F/root.pem" "$TMP/loose-root.pem"
chmod 0666 "$TMP/loose-root.pem"
expect_exit 2 "world-writable CA" -- $MTLS verify --ca "$TMP/loose-root.pem" \
    "$F/leaf-good.pem"
expect_in "$TMP/err" "writable by group or others" "world-writable reason"
expect_exit 2 "not a certificate" -- $MTLS verify $V "$F/root.crl"
expect_in "$TMP/err" "no certificate could be read" "not a certificate reason"

# A certificate GnuTLS takes although it is not DER (a critical TRUE as
# 0x01): its fingerprint is that of the bytes as they came (openssl's, and
# fixtures.txt's: SHA-256 of the file's DER), not of GnuTLS's encoding of
# it again (certtool's), and a pin of it holds.
fp=$(awk -F'\t' '$1 == "leaf-bool-one.pem" { print $3 }' "$F/fixtures.txt")
gfp=$(certtool -i --infile "$F/leaf-bool-one.pem" |
    sed -n 's/^[[:space:]]*sha256:\([0-9a-f]*\)$/\1/p' | head -n 1)
[ -n "$gfp" ] && [ "$gfp" != "$fp" ] && ok ||
    fail "leaf-bool-one is DER after all ($gfp, $fp)"
expect_exit 0 "not DER, taken" -- $MTLS verify $V "$F/leaf-bool-one.pem"
got=$(sed -n 's/^  fingerprint: sha256://p' "$TMP/out" | tr -d :)
[ "$got" = "$fp" ] && ok || fail "fingerprint $got, not the DER's $fp"
printf 'trust_anchor %s\nintermediate %s\ncrl %s\ncrl %s\nmap user=pinned fingerprint=%s\n' \
    "$F/root.pem" "$F/inter.pem" "$F/root.crl" "$F/inter.crl" "$fp" \
    >"$TMP/pin.conf"
chmod 0644 "$TMP/pin.conf"
expect_exit 0 "a pin of the DER's fingerprint" -- $MTLS map --config \
    "$TMP/pin.conf" --at $T "$F/leaf-bool-one.pem"
expect_in "$TMP/out" "pinned" "pinned by the DER's fingerprint"

# --- configuration file, mtls map, mtls config check -------------------------
fp=$(awk -F'\t' '$1 == "leaf-bob.pem" { print $3 }' "$F/fixtures.txt")
cat >"$TMP/mtls.conf" <<EOF2
# test configuration
trust_anchor $F/root.pem
intermediate $F/inter.pem
crl $F/root.crl
crl $F/inter.crl

map from=cn subject_suffix="O=mtls test"
map user=deploy fingerprint=$fp
map from=email domain=example.com
EOF2
chmod 0644 "$TMP/mtls.conf"
expect_exit 0 "map alice" -- $MTLS map --config "$TMP/mtls.conf" --at $T \
    "$F/leaf-good.pem"
expect_in "$TMP/out" "$(printf 'alice\t%s:7: map from=cn' "$TMP/mtls.conf")" \
    "map names the rule"
[ "$(wc -l <"$TMP/out")" -eq 1 ] && ok || fail "alice maps once: $(cat "$TMP/out")"
expect_exit 0 "map bob" -- $MTLS map --config "$TMP/mtls.conf" --at $T \
    "$F/leaf-bob.pem"
[ "$(cut -f1 "$TMP/out" | tr '\n' ' ')" = "bob deploy " ] && ok ||
    fail "bob maps to bob and deploy: $(cat "$TMP/out")"
expect_exit 0 "map json" -- $MTLS map --json --config "$TMP/mtls.conf" \
    --at $T "$F/leaf-bob.pem"
expect_in "$TMP/out" '{"name":"deploy","rule":"map user=deploy fingerprint=' \
    "json account"
expect_exit 1 "map hostile CN" -- $MTLS map --config "$TMP/mtls.conf" --at $T \
    "$F/leaf-hostile-cn.pem"
expect_in "$TMP/err" "no-mapping" "hostile CN gives nothing"
expect_exit 1 "map hostile CN, json" -- $MTLS map --json --config "$TMP/mtls.conf" \
    --at $T "$F/leaf-hostile-cn.pem"
expect_in "$TMP/out" '"reason":"no-mapping"' "json says why nothing maps"
expect_in "$TMP/out" '"accounts":[]' "json has no accounts"
expect_exit 1 "map revoked" -- $MTLS map --config "$TMP/mtls.conf" --at $T \
    "$F/leaf-revoked.pem"
expect_in "$TMP/err" "rejected (revoked)" "revoked is not mapped"
expect_empty "$TMP/out" "revoked prints no account"
expect_exit 1 "map malformed" -- $MTLS map --config "$TMP/mtls.conf" --at $T \
    "$F/leaf-dup-san.pem"
expect_in "$TMP/err" "rejected (malformed)" "malformed is not mapped"
expect_empty "$TMP/out" "malformed prints no account"
expect_exit 0 "verify with config" -- $MTLS verify --config "$TMP/mtls.conf" \
    --at $T "$F/leaf-good.pem"

# from=cn and from=uid need exactly one attribute: one in another string
# type (BMPString), with a NUL, or of a second type counts all the same.
for f in leaf-bmp-cn-first leaf-bmp-cn-second leaf-nul-cn-pair leaf-mixed-cn \
    leaf-bmp-cn; do
	expect_exit 1 "map $f" -- $MTLS map -v --config "$TMP/mtls.conf" \
	    --at $T "$F/$f.pem"
	expect_in "$TMP/err" "no account (no-mapping)" "$f gives nothing"
	expect_empty "$TMP/out" "$f prints no account"
done
expect_in "$TMP/err" "has 1 cn attribute (0 readable)" "-v says why"
sed 's/^map from=cn .*/map from=uid/' "$TMP/mtls.conf" >"$TMP/uid.conf"
for f in leaf-bmp-uid-first leaf-bmp-uid-second leaf-nul-uid-pair \
    leaf-mixed-uid; do
	expect_exit 1 "map $f" -- $MTLS map --config "$TMP/uid.conf" --at $T \
	    "$F/$f.pem"
	expect_in "$TMP/err" "no account (no-mapping)" "$f gives nothing"
done
expect_exit 0 "map UID beside two CNs" -- $MTLS map --config "$TMP/uid.conf" \
    --at $T "$F/leaf-bmp-cn-first.pem"
[ "$(cut -f1 "$TMP/out")" = carol ] && ok ||
    fail "the UID still maps: $(cat "$TMP/out")"
# Two CNs in one multi-valued RDN (made with openssl: GnuTLS writes none).
mkdir "$TMP/mv"
: >"$TMP/mv/index.txt"
echo 01 >"$TMP/mv/serial"
cat >"$TMP/mv/ca.cnf" <<EOF2
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
[ ca ]
default_ca = fx
[ fx ]
database = $TMP/mv/index.txt
new_certs_dir = $TMP/mv
serial = $TMP/mv/serial
default_md = sha256
policy = any
unique_subject = no
[ any ]
commonName = optional
organizationName = optional
[ leaf ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF2
if openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$TMP/mv/leaf.key" -subj "/O=mtls test/CN=root+CN=alice" \
    -multivalue-rdn -config "$TMP/mv/ca.cnf" -out "$TMP/mv/leaf.csr" \
    >"$TMP/mv/log" 2>&1 &&
    openssl ca -batch -config "$TMP/mv/ca.cnf" -cert "$F/inter.pem" \
    -keyfile "$F/inter.key" -in "$TMP/mv/leaf.csr" -preserveDN \
    -startdate 20250601000000Z -enddate 20270101000000Z -extensions leaf \
    -notext -out "$TMP/mv/leaf.pem" >>"$TMP/mv/log" 2>&1; then
	ok
	expect_exit 0 "multi-valued RDN verifies" -- $MTLS verify \
	    --config "$TMP/mtls.conf" --at $T "$TMP/mv/leaf.pem"
	expect_in "$TMP/out" "subject:     CN=root+CN=alice,O=mtls test" \
	    "multi-valued RDN subject"
	expect_exit 1 "map multi-valued RDN" -- $MTLS map -v \
	    --config "$TMP/mtls.conf" --at $T "$TMP/mv/leaf.pem"
	expect_in "$TMP/err" "has 2 cn attributes" "both CNs of the RDN count"
else
	fail "openssl could not make the multi-valued RDN: $(cat "$TMP/mv/log")"
fi

# Two trust anchors, each with an intermediate named
# "CN=Test Intermediate CA,O=mtls test": issuer= cannot tell them apart,
# issuer_fingerprint= can, and takes the issuer from the verified path.
fp_inter=$(awk -F'\t' '$1 == "inter.pem" { print $3 }' "$F/fixtures.txt")
fp_twin=$(awk -F'\t' '$1 == "inter-twin.pem" { print $3 }' "$F/fixtures.txt")
cat >"$TMP/two.conf" <<EOF2
trust_anchor $F/root.pem
trust_anchor $F/other-root.pem
intermediate $F/inter.pem
intermediate $F/inter-twin.pem
crl $F/root.crl
crl $F/inter.crl
crl $F/other-root.crl
crl $F/inter-twin.crl
map from=cn issuer_fingerprint=sha256:$fp_inter
map user=bob issuer_fingerprint=$fp_twin
EOF2
chmod 0644 "$TMP/two.conf"
expect_exit 0 "verify shows the issuer's fingerprint" -- $MTLS verify \
    --config "$TMP/two.conf" --at $T "$F/leaf-twin.pem"
colons=$(echo "$fp_twin" | sed 's/../&:/g; s/:$//')
expect_in "$TMP/out" "issuer fp:   sha256:$colons" "issuer fp line"
expect_exit 0 "verify --json shows the issuer's fingerprint" -- $MTLS verify \
    --json --config "$TMP/two.conf" --at $T "$F/leaf-twin.pem"
expect_in "$TMP/out" "\"issuer_fingerprint\":\"sha256:$colons\"" \
    "issuer_fingerprint member"
expect_exit 1 "verify --json rejected: no issuer fingerprint" -- $MTLS verify \
    --json --config "$TMP/two.conf" --at $T "$F/leaf-revoked.pem"
grep -q issuer_fingerprint "$TMP/out" && fail "rejected path has an issuer" ||
    ok
expect_exit 0 "map by the issuer's key" -- $MTLS map --config "$TMP/two.conf" \
    --at $T "$F/leaf-good.pem"
[ "$(cut -f1 "$TMP/out")" = alice ] && ok ||
    fail "inter's leaf maps to alice only: $(cat "$TMP/out")"
expect_exit 0 "map the look-alike's leaf" -- $MTLS map \
    --config "$TMP/two.conf" --at $T "$F/leaf-twin.pem"
[ "$(cut -f1 "$TMP/out")" = bob ] && ok ||
    fail "the look-alike's leaf maps to bob only: $(cat "$TMP/out")"
sed '/^map /d' "$TMP/two.conf" >"$TMP/twoname.conf"
echo 'map from=cn issuer="CN=Test Intermediate CA,O=mtls test"' \
    >>"$TMP/twoname.conf"
expect_exit 0 "issuer= compares names only" -- $MTLS map \
    --config "$TMP/twoname.conf" --at $T "$F/leaf-twin.pem"
[ "$(cut -f1 "$TMP/out")" = alice ] && ok ||
    fail "issuer= passes the look-alike: $(cat "$TMP/out")"
# The look-alike sent along is not the issuer of the path that is built.
cat "$F/leaf-good.pem" "$F/inter-twin.pem" "$F/inter.pem" >"$TMP/sent.pem"
expect_exit 0 "map with a look-alike sent along" -- $MTLS map \
    --config "$TMP/two.conf" --at $T "$TMP/sent.pem"
[ "$(cut -f1 "$TMP/out")" = alice ] && ok ||
    fail "the path's issuer decides: $(cat "$TMP/out")"
# A partner CA constrained to its own organization (a permitted
# directoryName subtree, which GnuTLS ignores) issues a certificate in
# another organization's name: refused, so no subject_suffix rule sees it.
cat >"$TMP/partner.conf" <<EOF2
trust_anchor $F/root.pem
intermediate $F/nc-dn.pem
crl $F/root.crl
crl_required no
map from=cn subject_suffix="O=Example Corp"
map from=cn subject_suffix="O=Partner Inc"
EOF2
chmod 0644 "$TMP/partner.conf"
expect_exit 1 "partner CA outside its subtree" -- $MTLS map \
    --config "$TMP/partner.conf" --at $T "$F/nc-dn-out.pem"
expect_in "$TMP/err" "rejected (name-not-permitted)" "partner CA's subtree"
expect_empty "$TMP/out" "nothing mapped outside the subtree"
expect_exit 0 "partner CA inside its subtree" -- $MTLS map \
    --config "$TMP/partner.conf" --at $T "$F/nc-dn-ok.pem"
expect_in "$TMP/out" "$(printf 'alice\t%s:6:' "$TMP/partner.conf")" \
    "mapped inside the subtree"
expect_exit 1 "verify, name constraints" -- $MTLS verify --json \
    --config "$TMP/partner.conf" --at $T "$F/nc-dn-out.pem"
expect_in "$TMP/out" '"reason":"name-not-permitted"' "json name-not-permitted"
# config check reports a configured CA whose constraints would refuse all.
sed "s#^intermediate .*#intermediate $F/nc-noncrit.pem#" \
    "$TMP/partner.conf" >"$TMP/noncrit.conf"
expect_exit 1 "config check, non-critical name constraints" -- \
    $MTLS config check --config "$TMP/noncrit.conf" --at $T
expect_in "$TMP/out" "problem (name-constraints-not-critical)" \
    "config check names non-critical name constraints"

expect_exit 0 "config check" -- $MTLS config check --config "$TMP/mtls.conf" \
    --at $T
expect_in "$TMP/out" "OK" "config check OK"
expect_exit 1 "config check now (CRLs past nextUpdate)" -- \
    $MTLS config check --config "$TMP/mtls.conf"
expect_in "$TMP/out" "crl-stale" "config check names stale CRLs"
sed "s#$F/inter.crl#$F/inter-forged.crl#" "$TMP/mtls.conf" >"$TMP/forged.conf"
expect_exit 1 "config check forged CRL" -- $MTLS config check \
    --config "$TMP/forged.conf" --at $T
expect_in "$TMP/out" "crl-bad-signature" "config check names forged CRL"
{ cat "$TMP/mtls.conf"; echo "crl_required no"; } >"$TMP/optional.conf"
expect_exit 1 "revoked, reissued issuer, crl_required no" -- $MTLS verify \
    --config "$TMP/optional.conf" --at $T "$F/leaf-revoked-reissue.pem"
expect_in "$TMP/err" "rejected (revoked)" "crl_required no: revoked"
for crl in inter-cas inter-delta inter-bad-nonumber; do
	sed "s#$F/inter.crl#$F/$crl.crl#" "$TMP/mtls.conf" >"$TMP/$crl.conf"
	expect_exit 1 "config check $crl" -- $MTLS config check \
	    --config "$TMP/$crl.conf" --at $T
done
expect_in "$TMP/out" "problem (crl-number)" "config check names no cRLNumber"
expect_exit 1 "config check partial" -- $MTLS config check \
    --config "$TMP/inter-cas.conf" --at $T
expect_in "$TMP/out" "problem (crl-partial-scope)" "partial CRL named"
expect_in "$TMP/out" "onlyContainsCACerts" "partial CRL says how"
expect_exit 1 "config check delta" -- $MTLS config check \
    --config "$TMP/inter-delta.conf" --at $T
expect_in "$TMP/out" "a delta CRL" "delta CRL named"
# Host certificate and key, and the SSH host keys logins are bound to
# (made with ssh-keygen; without it, one ready-made key).
mkdir "$TMP/ssh"
if command -v ssh-keygen >/dev/null 2>&1; then
	for t in ed25519 ecdsa rsa; do
		ssh-keygen -q -t $t -N '' -C "host $t" \
		    -f "$TMP/ssh/ssh_host_${t}_key" || fail "ssh-keygen -t $t"
		ssh-keygen -lf "$TMP/ssh/ssh_host_${t}_key.pub" |
		    sed 's/^[0-9]* \([^ ]*\) .*(\([A-Z0-9]*\))$/\2 \1/' \
		    >"$TMP/ssh/$t.want"
	done
else
	echo "cli.sh: no ssh-keygen: one ready-made SSH host key" >&2
	printf 'ssh-ed25519 %s%s host\n' \
	    AAAAC3NzaC1lZDI1NTE5AAAAIFRd9WD5eQcFkH55F3eTyRW+hdQzEyinZXKZ \
	    aj+elvNq >"$TMP/ssh/ssh_host_ed25519_key.pub"
	echo "ED25519 SHA256:ysxyUsQIaXdV2JYGEB+fmpeoyMEeCaARmEntgIT4kXk" \
	    >"$TMP/ssh/ed25519.want"
fi
chmod 0644 "$TMP"/ssh/*.pub
sshk="ssh_host_key $TMP/ssh/ssh_host_*_key.pub"
cp "$F/server-good.key" "$TMP/host.key"
chmod 0600 "$TMP/host.key"
{ cat "$TMP/mtls.conf"; printf 'host_certificate %s\nhost_key %s\n%s\n' \
    "$F/server-good.pem" "$TMP/host.key" "$sshk"; } >"$TMP/host.conf"
expect_exit 0 "host credentials" -- $MTLS config check --config "$TMP/host.conf" \
    --at $T
expect_in "$TMP/out" "OK for serverAuth" "host certificate verified"
for want in "$TMP"/ssh/*.want; do
	t=$(basename "$want" .want)
	expect_in "$TMP/out" \
	    "  ssh host key $TMP/ssh/ssh_host_${t}_key.pub: $(cat "$want")" \
	    "config check lists the $t SSH host key as ssh-keygen -l does"
done
# No SSH host key, or an unusable one: SSH logins would be refused.
sed "s#^ssh_host_key .*#ssh_host_key $TMP/nossh/*.pub#" "$TMP/host.conf" \
    >"$TMP/nossh.conf"
expect_exit 1 "no SSH host keys" -- $MTLS config check \
    --config "$TMP/nossh.conf" --at $T
expect_in "$TMP/out" "problem (no-ssh-host-keys): " "no SSH host keys problem"
expect_in "$TMP/out" "$TMP/nossh/*.pub" "no SSH host keys names the pattern"
chmod 0666 "$TMP/ssh/ssh_host_ed25519_key.pub"
expect_exit 1 "writable SSH host key" -- $MTLS config check \
    --config "$TMP/host.conf" --at $T
expect_in "$TMP/out" \
    "problem (file-mode): ssh host key $TMP/ssh/ssh_host_ed25519_key.pub" \
    "writable SSH host key problem"
chmod 0644 "$TMP/ssh/ssh_host_ed25519_key.pub"
echo "ssh-ed25519 AAAA" >"$TMP/ssh/ssh_host_bad_key.pub"
expect_exit 1 "malformed SSH host key" -- $MTLS config check \
    --config "$TMP/host.conf" --at $T
expect_in "$TMP/out" "$TMP/ssh/ssh_host_bad_key.pub: line 1: not an SSH public key" \
    "malformed SSH host key problem"
rm "$TMP/ssh/ssh_host_bad_key.pub"
chmod 0644 "$TMP/host.key"
expect_exit 2 "readable host key" -- $MTLS config check \
    --config "$TMP/host.conf" --at $T
expect_in "$TMP/err" "lets group or others read it" "host key mode"
cp "$F/leaf-good.key" "$TMP/host.key"
chmod 0600 "$TMP/host.key"
expect_exit 2 "host key of another certificate" -- $MTLS config check \
    --config "$TMP/host.conf" --at $T
expect_in "$TMP/err" "does not belong" "host key mismatch"
{ cat "$TMP/mtls.conf"; printf 'host_certificate %s\nhost_key %s\n%s\n' \
    "$F/leaf-good.pem" "$TMP/host.key" "$sshk"; } >"$TMP/client-as-host.conf"
expect_exit 1 "client certificate as host certificate" -- $MTLS config check \
    --config "$TMP/client-as-host.conf" --at $T
expect_in "$TMP/out" "wrong-purpose" "host certificate needs serverAuth"

printf 'trust_anchor %s\ncrl_requried yes\n' "$F/root.pem" >"$TMP/typo.conf"
expect_exit 2 "config typo" -- $MTLS config check --config "$TMP/typo.conf"
expect_in "$TMP/err" "typo.conf:2: unknown key 'crl_requried'" "file:line"
chmod 0666 "$TMP/mtls.conf"
expect_exit 2 "writable config" -- $MTLS map --config "$TMP/mtls.conf" \
    --at $T "$F/leaf-good.pem"
expect_in "$TMP/err" "writable by group or others" "writable config reason"
if [ "$(id -u)" -eq 0 ]; then
	chmod 0644 "$TMP/mtls.conf"
	chown 65534 "$TMP/mtls.conf"
	expect_exit 2 "config not owned by root" -- $MTLS config check \
	    --config "$TMP/mtls.conf" --at $T
	expect_in "$TMP/err" "must be owned by root" "owner reason"
fi

# --- help -------------------------------------------------------------------
expect_exit 0 "help" -- $MTLS help
expect_in "$TMP/out" "verify" "help lists verify"
expect_exit 0 "verify --help" -- $MTLS verify --help
expect_in "$TMP/out" "usage: mtls verify" "verify usage"
expect_exit 0 "help map" -- $MTLS help map
expect_exit 0 "version" -- $MTLS --version
expect_exit 2 "unknown command" -- $MTLS frobnicate
expect_exit 2 "no command" -- $MTLS

# --- mtls-net: the commands that use the network ---------------------------
# mtls (which every mtls ssh login runs) links neither libcurl nor libldap:
# mtls crl fetch and mtls db sync run mtls-net, beside it or installed.
needed() { objdump -p "$1" | awk '$1 == "NEEDED" { print $2 }' | tr '\n' ' '; }
NET=$(dirname "$MTLS")/mtls-net
case " $(needed "$MTLS")" in
*" libcurl"* | *" libldap"* | *" liblber"*)
	fail "mtls links $(needed "$MTLS")" ;;
*) ok ;;
esac
case " $(needed "$NET")" in
*" libcurl"*" libldap"* | *" libldap"*" libcurl"*) ok ;;
*) fail "mtls-net links $(needed "$NET")" ;;
esac
# Through mtls, each command is mtls-net's: its own usage and errors.
expect_exit 0 "crl fetch --help" -- $MTLS crl fetch --help
expect_in "$TMP/out" "mtls crl fetch" "crl fetch usage"
expect_exit 2 "crl fetch, no configuration" -- $MTLS crl fetch \
    --config "$TMP/none.conf"
expect_in "$TMP/err" "none.conf" "crl fetch names the file"
expect_exit 2 "db sync, bad option" -- $MTLS db sync --frob
printf 'trust_anchor %s\n' "$F/root.pem" >"$TMP/nosync.conf"
expect_exit 0 "db sync, not configured" -- $MTLS db sync --if-configured \
    --config "$TMP/nosync.conf"
expect_exit 2 "db sync, not configured, no --if-configured" -- $MTLS db \
    sync --config "$TMP/nosync.conf"
expect_in "$TMP/err" "db_sync" "sync names db_sync"
# mtls-net alone does nothing else.
expect_exit 2 "mtls-net verify" -- "$NET" verify "$F/leaf-good.pem"
expect_in "$TMP/err" "unknown command" "mtls-net knows two commands"
# An mtls without it says what is missing (unless one is installed).
mkdir "$TMP/alone" && cp "$MTLS" "$TMP/alone/mtls"
if [ ! -e "$PKGLIBEXECDIR/mtls-net" ]; then
	expect_exit 2 "crl fetch without mtls-net" -- "$TMP/alone/mtls" crl \
	    fetch --config "$TMP/none.conf"
	expect_in "$TMP/err" "needs mtls-net, which is not installed" \
	    "missing mtls-net named"
	expect_exit 2 "db sync without mtls-net" -- "$TMP/alone/mtls" db sync
	expect_in "$TMP/err" "needs mtls-net" "missing mtls-net named (sync)"
fi

finish
