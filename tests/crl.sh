#!/bin/sh
# crl.sh - mtls crl update as an administrator's cron job runs it: it
# creates the index directory, writes an index per CRL file, keeps a
# current one, rebuilds a damaged one, refuses to index a forged CRL, and
# says through its exit status when logins would be refused.
. "${TOP_SRCDIR:-.}/tests/lib.sh"

AT=1767225600
D=$TMP/crl
mkdir -p "$D"
cp "$FIXTURES/root.crl" "$D/root.crl"
cp "$FIXTURES/inter.crl" "$D/inter.crl"
chmod 0644 "$D"/*.crl
conf() {
	cat >"$D/mtls.conf" <<EOF2
trust_anchor $FIXTURES/root.pem
intermediate $FIXTURES/inter.pem
crl $D/root.crl
crl $D/inter.crl
$1
EOF2
	chmod 0644 "$D/mtls.conf"
}
conf "crl_cache $D/cache"

expect_exit 2 "no verb" -- $MTLS crl
expect_exit 0 "help" -- $MTLS crl --help
expect_in "$TMP/out" "usage: mtls crl update" "usage text"

expect_exit 0 "first update" -- $MTLS crl update --config "$D/mtls.conf" \
    --at $AT
expect_in "$TMP/out" "$D/inter.crl: 1 CRL, 1 revoked serial: index written" \
    "inter indexed"
expect_in "$TMP/out" "$D/root.crl: 1 CRL, 0 revoked serials: index written" \
    "root indexed"
if [ "$(stat -c %a "$D/cache")" = 755 ]; then ok; else
	fail "cache directory mode $(stat -c %a "$D/cache")"; fi
n=$(find "$D/cache" -type f -name 'crl-*' | wc -l)
if [ "$n" -eq 2 ]; then ok; else fail "$n index files, expected 2"; fi

expect_exit 0 "second update" -- $MTLS crl update --config "$D/mtls.conf" \
    --at $AT
expect_in "$TMP/out" "inter.crl: 1 CRL, 1 revoked serial: index current" \
    "kept"
expect_exit 0 "forced" -- $MTLS crl update --config "$D/mtls.conf" \
    --at $AT --force
expect_in "$TMP/out" "inter.crl: 1 CRL, 1 revoked serial: index written" \
    "forced rebuild"

# Verification through the index gives the same answers.
expect_exit 1 "revoked via index" -- $MTLS verify --config "$D/mtls.conf" \
    --at $AT "$FIXTURES/leaf-revoked.pem"
expect_in "$TMP/err" "revoked" "revoked reason"
expect_exit 0 "good via index" -- $MTLS verify --config "$D/mtls.conf" \
    --at $AT "$FIXTURES/leaf-good.pem"

# At the real clock the fixtures' CRLs are out of date: exit 1.
expect_exit 1 "stale now" -- $MTLS crl update --config "$D/mtls.conf"
expect_in "$TMP/out" "problem (crl-stale)" "stale reported"

# A damaged index is found and rebuilt.
for f in "$D"/cache/crl-*; do
	printf 'Z' | dd of="$f" bs=1 seek=$(($(stat -c %s "$f") - 1)) \
	    conv=notrunc 2>/dev/null
done
expect_exit 0 "damaged" -- $MTLS crl update --config "$D/mtls.conf" --at $AT
expect_in "$TMP/err" "rebuilding" "damage reported"
expect_in "$TMP/out" "inter.crl: 1 CRL, 1 revoked serial: index written" \
    "rebuilt"

# A forged CRL is never indexed; logins that need it are refused.
cp "$FIXTURES/inter-forged.crl" "$D/inter.crl.new"
mv "$D/inter.crl.new" "$D/inter.crl"
expect_exit 1 "forged" -- $MTLS crl update --config "$D/mtls.conf" --at $AT
expect_in "$TMP/out" "inter.crl: 1 CRL, 0 revoked serials: not indexed" \
    "forged not indexed"
expect_in "$TMP/out" "problem (crl-bad-signature)" "forged reported"
expect_exit 1 "forged verify" -- $MTLS verify --config "$D/mtls.conf" \
    --at $AT "$FIXTURES/leaf-good.pem"
expect_in "$TMP/err" "crl-bad-signature" "forged refuses logins"
cp "$FIXTURES/inter.crl" "$D/inter.crl"

# A CRL with an unknown critical extension, or without a cRLNumber, is
# never indexed and refuses every login; one of limited scope is indexed
# (a serial it lists is still refused) but clears nobody.
for bad in inter-bad-critext:crl-unknown-critical-extension \
    inter-bad-entry-critext:crl-unknown-critical-extension \
    inter-bad-nonumber:crl-number inter-bad-critnumber:crl-number; do
	cp "$FIXTURES/${bad%%:*}.crl" "$D/inter.crl.new"
	mv "$D/inter.crl.new" "$D/inter.crl"
	expect_exit 1 "${bad%%:*}" -- $MTLS crl update \
	    --config "$D/mtls.conf" --at $AT
	expect_in "$TMP/out" "inter.crl: 1 CRL, " "${bad%%:*} listed"
	expect_in "$TMP/out" "not indexed" "${bad%%:*} not indexed"
	expect_in "$TMP/out" "problem (${bad#*:})" "${bad%%:*} reported"
	expect_exit 1 "${bad%%:*} verify" -- $MTLS verify \
	    --config "$D/mtls.conf" --at $AT "$FIXTURES/leaf-good.pem"
	expect_in "$TMP/err" "rejected (${bad#*:})" "${bad%%:*} refuses logins"
done
cp "$FIXTURES/inter-cas-revoked.crl" "$D/inter.crl.new"
mv "$D/inter.crl.new" "$D/inter.crl"
expect_exit 1 "partial" -- $MTLS crl update --config "$D/mtls.conf" --at $AT
expect_in "$TMP/out" "inter.crl: 1 CRL, 1 revoked serial: index written" \
    "partial indexed"
expect_in "$TMP/out" "problem (crl-partial-scope)" "partial reported"
expect_in "$TMP/out" "onlyContainsCACerts" "partial says how"
expect_exit 1 "partial again" -- $MTLS crl update --config "$D/mtls.conf" \
    --at $AT
expect_in "$TMP/out" "inter.crl: 1 CRL, 1 revoked serial: index current" \
    "partial index kept"
expect_in "$TMP/out" "problem (crl-partial-scope)" "partial from the index"
expect_exit 1 "partial clears nobody" -- $MTLS verify --config "$D/mtls.conf" \
    --at $AT "$FIXTURES/leaf-good.pem"
expect_in "$TMP/err" "rejected (crl-missing)" "partial: crl-missing"
expect_exit 1 "partial still revokes" -- $MTLS verify \
    --config "$D/mtls.conf" --at $AT "$FIXTURES/leaf-revoked.pem"
expect_in "$TMP/err" "rejected (revoked)" "partial: revoked"
cp "$FIXTURES/inter.crl" "$D/inter.crl"

# The index is bound to the intermediate's name and key: a client that
# presents another certificate of it is refused as revoked.
expect_exit 0 "reindexed" -- $MTLS crl update --config "$D/mtls.conf" \
    --at $AT
expect_exit 1 "revoked, reissued issuer, via index" -- $MTLS verify \
    --config "$D/mtls.conf" --at $AT "$FIXTURES/leaf-revoked-reissue.pem"
expect_in "$TMP/err" "rejected (revoked)" "reissued issuer: revoked"

# Directories and settings that cannot be used.
chmod 0777 "$D/cache"
expect_exit 2 "loose directory" -- $MTLS crl update --config "$D/mtls.conf" \
    --at $AT
expect_in "$TMP/err" "writable by group or others" "loose reported"
chmod 0755 "$D/cache"
conf "crl_cache none"
expect_exit 2 "cache off" -- $MTLS crl update --config "$D/mtls.conf"
expect_in "$TMP/err" "crl_cache none" "cache off reported"
conf "crl_cache $D/no/such/parent"
expect_exit 2 "no parent" -- $MTLS crl update --config "$D/mtls.conf"
expect_in "$TMP/err" "cannot create" "no parent reported"
conf "crl_cache relative/dir"
expect_exit 2 "relative" -- $MTLS crl update --config "$D/mtls.conf"
expect_in "$TMP/err" "not an absolute path" "relative refused"

finish
