#!/bin/sh
# crl-stream.sh - CRL files read in one pass, as mtls crl update and
# mtls verify meet them: CRLs written for the run by tests/mkcrl with the
# test PKI's intermediate key, large ones and ones wrong in one way each.
# Each gets the answer the whole parse gives: fuzz_crlstream loads every
# one of them both ways and stops at the first difference.
. "${TOP_SRCDIR:-.}/tests/lib.sh"

AT=1767225600
THIS=1766620800
NEXT=1769299200
B=${MTLS%/tools/mtls}
MKCRL=$B/tests/mkcrl
FUZZ=$B/fuzz/fuzz_crlstream
D=$TMP/s
G=$TMP/gen
L=$TMP/large
mkdir -p "$D" "$G" "$L"

# gen NAME COUNT [OPTIONS]: a CRL of the intermediate listing COUNT
# serials and leaf-revoked's, into $G/NAME ($L/NAME for more than 10000:
# too large for the fuzz target).
gen() {
	n=$1
	c=$2
	shift 2
	dir=$G
	[ "$c" -gt 10000 ] && dir=$L
	(cd "$FIXTURES" && "$MKCRL" "$@" --this $THIS --next $NEXT \
	    --revoke leaf-revoked.pem inter.pem inter.key "$c" "$dir/$n") ||
	    fail "mkcrl $n"
}

# use NAME: install NAME as the configured intermediate CRL.
use() {
	if [ -e "$L/$1" ]; then cp "$L/$1" "$D/inter.crl.new"
	else cp "$G/$1" "$D/inter.crl.new"; fi
	chmod 0644 "$D/inter.crl.new"
	mv "$D/inter.crl.new" "$D/inter.crl"
	rm -rf "$D/cache"
}

cat >"$D/mtls.conf" <<EOF
trust_anchor $FIXTURES/root.pem
intermediate $FIXTURES/inter.pem
crl $FIXTURES/root.crl
crl $D/inter.crl
crl_cache $D/cache
EOF
chmod 0644 "$D/mtls.conf"

update() {	# EXIT WHAT: mtls crl update, as cron runs it
	expect_exit "$1" "$2" -- $MTLS crl update --config "$D/mtls.conf" \
	    --at $AT
}

verify() {	# EXIT LEAF WHAT
	expect_exit "$1" "$3" -- $MTLS verify --config "$D/mtls.conf" \
	    --at $AT "$FIXTURES/$2"
}

gen big.pem 100000
gen big-bad-signature.pem 100000 --bad-signature
gen mismatch.der 100 --der --alg-mismatch
gen truncated.der 100 --der --truncate 20
gen truncated.pem 100 --truncate 20
gen trailing.der 100 --der --trailing 8
gen long-length.der 100 --der --long-length
gen bad-length.der 100 --der --bad-length
gen entry-critical.pem 100 --entry-critical
gen unsorted.der 1000 --der --unsorted
gen duplicate.pem 1000 --duplicate
# only compared both ways, at the end
gen serial-zero.der 100 --der --serial-form zero
gen serial-negative.pem 100 --serial-form negative
gen empty-exts.pem 100 --empty-exts

# A large conforming CRL: indexed, and it revokes and clears as it says.
use big.pem
update 0 "big"
expect_in "$TMP/out" "inter.crl: 1 CRL, 100001 revoked serials: index written" \
    "big indexed"
verify 1 leaf-revoked.pem "big revokes"
expect_in "$TMP/err" "rejected (revoked)" "big: revoked"
verify 0 leaf-good.pem "big clears"
update 0 "big again"
expect_in "$TMP/out" "inter.crl: 1 CRL, 100001 revoked serials: index current" \
    "big index kept"

# The same CRL with one bit of its signature flipped.
use big-bad-signature.pem
update 1 "bad signature"
expect_in "$TMP/out" "inter.crl: 1 CRL, 100001 revoked serials: not indexed" \
    "bad signature not indexed"
expect_in "$TMP/out" "problem (crl-bad-signature)" "bad signature reported"
verify 1 leaf-good.pem "bad signature refuses"
expect_in "$TMP/err" "rejected (crl-bad-signature)" "bad signature: why"

# Refused whole: each with its reason, and never indexed.
for c in mismatch.der:crl-malformed truncated.der:crl-malformed \
    truncated.pem:crl-malformed trailing.der:crl-malformed \
    bad-length.der:crl-malformed \
    entry-critical.pem:crl-unknown-critical-extension; do
	n=${c%%:*}
	use "$n"
	update 1 "$n"
	expect_in "$TMP/out" "not indexed" "$n not indexed"
	expect_in "$TMP/out" "problem (${c#*:})" "$n reported"
	verify 1 leaf-good.pem "$n refuses"
	expect_in "$TMP/err" "rejected (${c#*:})" "$n: why"
done
use mismatch.der
verify 1 leaf-good.pem "mismatch"
expect_in "$TMP/err" "signature algorithm is not the one named in tbsCertList" \
    "mismatch says which"

# Taken as before: lengths in a long form, entries out of order, a
# serial listed twice (kept once).
for c in long-length.der:101 unsorted.der:1001 duplicate.pem:1001; do
	n=${c%%:*}
	use "$n"
	update 0 "$n"
	expect_in "$TMP/out" "inter.crl: 1 CRL, ${c#*:} revoked serials: index written" \
	    "$n indexed"
	verify 1 leaf-revoked.pem "$n revokes"
	expect_in "$TMP/err" "rejected (revoked)" "$n: revoked"
	verify 0 leaf-good.pem "$n clears"
	update 0 "$n again"
	expect_in "$TMP/out" "index current" "$n index kept"
done

# CAs with other keys: RSA (PKCS #1 v1.5, a digest signed), Ed25519
# (the signed bytes themselves, kept while they are read) and ECDSA P-384
# (here signing a SHA-256 digest); their certificates are made now, so
# their CRLs are judged now.
for kt in rsa-3072 ed25519 ecdsa-p384; do
	K=$TMP/$kt
	expect_exit 0 "$kt CA" -- $MTLS ca init "$K" --name "$kt root" \
	    --key-type "$kt"
	expect_exit 0 "$kt good" -- $MTLS ca issue "$K" --user nobody \
	    --out "$K/good"
	expect_exit 0 "$kt revoked" -- $MTLS ca issue "$K" --user daemon \
	    --out "$K/revoked"
	"$MKCRL" --revoke "$K/revoked.pem" "$K/ca.pem" "$K/ca.key" 20000 \
	    "$K/big.crl" || fail "mkcrl $kt"
	chmod 0644 "$K/big.crl"
	printf 'trust_anchor %s\ncrl %s\ncrl_cache %s\n' "$K/ca.pem" \
	    "$K/big.crl" "$K/cache" >"$K/mtls.conf"
	chmod 0644 "$K/mtls.conf"
	sleep 2		# a CRL is indexed once it has settled
	expect_exit 0 "$kt update" -- $MTLS crl update --config "$K/mtls.conf"
	expect_in "$TMP/out" "big.crl: 1 CRL, 20001 revoked serials: index written" \
	    "$kt indexed"
	expect_exit 1 "$kt revokes" -- $MTLS verify --config "$K/mtls.conf" "$K/revoked.pem"
	expect_in "$TMP/err" "rejected (revoked)" "$kt: revoked"
	expect_exit 0 "$kt clears" -- $MTLS verify --config "$K/mtls.conf" "$K/good.pem"
	"$MKCRL" --bad-signature "$K/ca.pem" "$K/ca.key" 20000 \
	    "$K/big.crl" || fail "mkcrl $kt"
	expect_exit 1 "$kt forged" -- $MTLS verify --config "$K/mtls.conf" "$K/good.pem"
	expect_in "$TMP/err" "rejected (crl-bad-signature)" "$kt: forged"
done

# Every one of them gets from the one-pass read what the whole parse
# gives it.
expect_exit 0 "one pass = whole parse" -- "$FUZZ" "$G"

finish
