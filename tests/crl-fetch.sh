#!/bin/sh
# crl-fetch.sh - mtls crl fetch against a real HTTP server on 127.0.0.1
# (tests/crl-server.py, started here): a good CRL replaces an older one
# and its index revokes; conditional requests carry the validators and
# a 304 keeps the file; a stale, forged, truncated, oversized, unreachable,
# slow, missing or redirected-away answer, and a rollback, never replace
# the installed CRL, which stays byte for byte, and the command says why
# and exits 1.
. "${TOP_SRCDIR:-.}/tests/lib.sh"

AT=1767225600
THIS=1766620800
NEXT=1769299200
B=${MTLS%/tools/mtls}
MKCRL=$B/tests/mkcrl
D=$TMP/etc
W=$TMP/www
mkdir -p "$D" "$W"
# Requests to 127.0.0.1 go straight to the test's server.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy

# mk NAME THIS NEXT [OPTIONS]: a CRL of the intermediate into $W/NAME.
mk() {
	n=$1
	t=$2
	x=$3
	shift 3
	(cd "$FIXTURES" && "$MKCRL" --der "$@" --this "$t" --next "$x" \
	    inter.pem inter.key 0 "$W/$n") || fail "mkcrl $n"
}
mk old.crl $THIS $NEXT
mk new.crl $((THIS + 3600)) $NEXT --revoke leaf-revoked.pem
mk newer.crl $((THIS + 7200)) $NEXT --revoke leaf-revoked.pem
mk stale.crl $((THIS + 7200)) $((AT - 60)) --revoke leaf-revoked.pem
mk badsig.crl $((THIS + 7200)) $NEXT --bad-signature
mk cut.crl $((THIS + 7200)) $NEXT --truncate 40
mk rollback.crl $((THIS - 3600)) $NEXT
(cd "$FIXTURES" && "$MKCRL" --der --this $((THIS + 7200)) --next $NEXT \
    inter.pem inter.key 100000 "$W/huge.crl") || fail "mkcrl huge"
cp "$FIXTURES/inter-forged.crl" "$W/forged.crl"
cp "$FIXTURES/other-root.crl" "$W/other.crl"
cp "$FIXTURES/root.crl" "$W/root.crl"
printf '<html>not a CRL</html>\n' >"$W/page.html"

python3 "$TOP_SRCDIR/tests/crl-server.py" "$W" "$TMP/port" "$TMP/log" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -rf "$TMP"' EXIT
i=0
while [ ! -s "$TMP/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
PORT=$(cat "$TMP/port")
U=http://127.0.0.1:$PORT

# A port nothing listens on: bound and closed again.
CLOSED=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# conf URL [MORE]: the configuration, the intermediate's CRL from URL.
conf() {
	cat >"$D/mtls.conf" <<EOF
trust_anchor $FIXTURES/root.pem
intermediate $FIXTURES/inter.pem
crl $D/root.crl
crl $D/inter.crl
crl_url $D/root.crl $U/plain/root.crl
crl_url $D/inter.crl $1
crl_cache $D/cache
$2
EOF
	chmod 0644 "$D/mtls.conf"
}
install_crl() {	# NAME: put $W/NAME in place as the installed CRL
	cp "$W/$1" "$D/inter.crl.new"
	chmod 0644 "$D/inter.crl.new"
	mv "$D/inter.crl.new" "$D/inter.crl"
}
fetch() {	# EXIT WHAT [OPTIONS]: mtls crl fetch as the timer runs it
	want=$1
	what=$2
	shift 2
	expect_exit "$want" "$what" -- $MTLS crl fetch --config "$D/mtls.conf" \
	    --at $AT "$@"
}
# refused WHAT MESSAGE [OPTIONS]: fetch fails, the CRL file $F stays as
# it was.
F=$D/inter.crl
refused() {
	what=$1
	msg=$2
	shift 2
	cp "$F" "$TMP/before"
	fetch 1 "$what" "$@"
	printf '%s:\n' "$what"
	grep -F "$F: " "$TMP/err" | sed 's/^/  /'
	expect_in "$TMP/err" "$msg" "$what: reason"
	expect_in "$TMP/err" "$F: " "$what: names the file"
	if cmp -s "$TMP/before" "$F"; then ok; else
		fail "$what: the installed CRL changed"; fi
	n=$(find "$D" -name '.*.fetch*' | wc -l)
	if [ "$n" -eq 0 ]; then ok; else fail "$what: $n temporary files"; fi
}
verify() {	# EXIT LEAF WHAT
	expect_exit "$1" "$3" -- $MTLS verify --config "$D/mtls.conf" \
	    --at $AT "$FIXTURES/$2"
}

cp "$FIXTURES/root.crl" "$D/root.crl"
chmod 0644 "$D/root.crl"
install_crl old.crl

expect_exit 0 "help" -- $MTLS crl fetch --help
expect_in "$TMP/out" "usage: mtls crl fetch" "usage text"
expect_exit 2 "operand" -- $MTLS crl fetch --config "$D/mtls.conf" extra
expect_exit 2 "bad timeout" -- $MTLS crl fetch --timeout 0

# A fresher CRL replaces the older one, and the index is rebuilt from it:
# the certificate it revokes is refused.
conf "$U/etag/new.crl"
verify 0 leaf-revoked.pem "not yet revoked"
fetch 0 "fresh"
expect_in "$TMP/out" "$D/inter.crl: $U/etag/new.crl: installed" "installed"
expect_in "$TMP/out" "$D/inter.crl: 1 CRL, 1 revoked serial: index written" \
    "indexed"
if cmp -s "$W/new.crl" "$D/inter.crl"; then ok; else
	fail "fresh: the installed CRL is not the download"; fi
if [ "$(stat -c %a "$D/inter.crl")" = 644 ]; then ok; else
	fail "installed mode $(stat -c %a "$D/inter.crl")"; fi
verify 1 leaf-revoked.pem "revoked after the fetch"
expect_in "$TMP/err" "rejected (revoked)" "revoked reason"
verify 0 leaf-good.pem "good after the fetch"

# The second request carries the ETag; the 304 keeps the file.
fetch 0 "not modified (etag)"
expect_in "$TMP/out" "$U/etag/new.crl: not modified" "304 etag"
tail -n 1 "$TMP/log" >"$TMP/last"
expect_in "$TMP/last" "GET /etag/new.crl inm=\"" "If-None-Match sent"
# A 304 for a CRL that is stale by now is a failure.
refused "not modified, stale" "not modified, but the installed CRL" \
    --at $((NEXT + 60))
expect_in "$TMP/err" "crl-stale" "stale 304 says stale"

# The same with Last-Modified.
conf "$U/lm/new.crl"
fetch 0 "first with last-modified"
expect_in "$TMP/out" "$U/lm/new.crl: unchanged" "unchanged content"
fetch 0 "not modified (last-modified)"
expect_in "$TMP/out" "$U/lm/new.crl: not modified" "304 last-modified"
tail -n 1 "$TMP/log" >"$TMP/last"
expect_in "$TMP/last" "GET /lm/new.crl inm=- ims=" "If-Modified-Since sent"
expect_in "$TMP/last" " GMT" "the date sent back"
# Validators describe the file they fetched: once it is replaced by other
# means, the request is unconditional again (and the older CRL served is
# then a rollback).
conf "$U/etag/new.crl"
fetch 0 "etag again"
install_crl newer.crl
refused "validators of another file" "rollback"
tail -n 1 "$TMP/log" >"$TMP/last"
expect_in "$TMP/last" "GET /etag/new.crl inm=- ims=-" "no validators sent"
install_crl new.crl

# Proxies come from the environment (http_proxy), as libcurl reads them.
conf "http://crl.example.invalid/plain/new.crl"
http_proxy=$U
export http_proxy
fetch 0 "through http_proxy"
unset http_proxy
tail -n 1 "$TMP/log" >"$TMP/last"
expect_in "$TMP/last" "GET http://crl.example.invalid/plain/new.crl " \
    "asked the proxy"

# Answers that never replace a good CRL.
conf "$U/plain/stale.crl"
refused "stale" "crl-stale"
conf "$U/plain/badsig.crl"
refused "bad signature" "crl-bad-signature"
conf "$U/plain/forged.crl"
refused "forged" "crl-bad-signature"
conf "$U/plain/other.crl"
refused "other CA" "crl-unknown-issuer"
conf "$U/plain/root.crl"
refused "another configured CA's CRL" "wrong issuer"
conf "$U/plain/cut.crl"
refused "truncated DER" "crl-malformed"
conf "$U/truncated/newer.crl"
refused "truncated transfer" "truncated"
conf "$U/plain/page.html"
refused "not a CRL" "crl-malformed"
conf "$U/plain/huge.crl"
refused "too large" "too large" --max-size 100000
conf "$U/nolength/huge.crl"
refused "too large, no length" "too large" --max-size 100000
conf "$U/biglie/newer.crl"
refused "a length above the limit" "too large"
conf "$U/shortlie/newer.crl"
refused "a length below the body" "crl-malformed"
conf "$U/plain/rollback.crl"
refused "rollback" "rollback"
conf "$U/status/404"
refused "404" "HTTP status 404"
conf "$U/status/500"
refused "500" "HTTP status 500"
conf "$U/status/304"
refused "304 unasked" "HTTP status 304"
conf "http://127.0.0.1:$CLOSED/x.crl"
refused "unreachable" "unreachable"
conf "$U/stall/newer.crl"
refused "stalls" "timed out" --timeout 2
conf "$U/to-file"
refused "redirect to file" "other than http or https"
conf "$U/to-ftp"
refused "redirect to ftp" "other than http or https"
# The other CRL file was still fetched and indexed.
expect_in "$TMP/out" "$D/root.crl: $U/plain/root.crl:" "others go on"
expect_in "$TMP/err" "1 of 2 CRL files not fetched" "count of failures"

# A redirect within http is followed; a huge CRL within the limit is fine.
conf "$U/redirect/plain/newer.crl"
fetch 0 "redirect"
if cmp -s "$W/newer.crl" "$D/inter.crl"; then ok; else
	fail "redirect: not installed"; fi
conf "$U/nolength/huge.crl"
fetch 0 "large, no length"
expect_in "$TMP/out" "$D/inter.crl: 1 CRL, 100000 revoked serials: index" \
    "large indexed"
verify 0 leaf-revoked.pem "the newest CRL no longer lists it"

# A later thisUpdate with a lower cRLNumber is a rollback too.
mk num5.crl $((THIS + 8000)) $NEXT --number 5
mk num4.crl $((THIS + 9000)) $NEXT --number 4
conf "$U/plain/num5.crl"
fetch 0 "cRLNumber 5"
conf "$U/plain/num4.crl"
refused "cRLNumber 4 after 5" "rollback"

# A CRL file not installed yet comes from its crl_url.
cat >"$D/mtls.conf" <<EOF
trust_anchor $FIXTURES/root.pem
intermediate $FIXTURES/inter.pem
crl $D/boot.crl
crl_url $D/boot.crl $U/plain/newer.crl
crl_required no
crl_cache $D/cache
EOF
fetch 0 "first install"
if cmp -s "$W/newer.crl" "$D/boot.crl"; then ok; else
	fail "first install: not installed"; fi
expect_in "$TMP/out" "$D/boot.crl: 1 CRL, 1 revoked serial: index written" \
    "first install indexed"

# The URL from the cRLDistributionPoints of the certificates the CA issued:
# a root whose own certificate names where its CRL is.
C=$TMP/cdp
mkdir -p "$C"
cat >"$C/ca.cnf" <<EOF
[req]
distinguished_name = dn
prompt = no
[dn]
CN = CDP Root
O = mtls test
[ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
crlDistributionPoints = URI:ldap://ldap.invalid/cn=x, URI:$U/etag/cdp.crl
EOF
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$C/ca.key" -out "$C/ca.pem" -days 3650 -config "$C/ca.cnf" \
    -extensions ext 2>"$TMP/openssl.err" || fail "openssl: $(cat "$TMP/openssl.err")"
# This CA is new: its CRLs are dated from the real clock.
NOW=$(date +%s)
(cd "$C" && "$MKCRL" --der --this $((NOW - 120)) --next $((NOW + 86400)) \
    ca.pem ca.key 0 "$D/cdp.crl" && "$MKCRL" --der --this $((NOW - 60)) \
    --next $((NOW + 86400)) ca.pem ca.key 3 "$W/cdp.crl") || fail "mkcrl cdp"
chmod 0644 "$D/cdp.crl"
cat >"$D/mtls.conf" <<EOF
trust_anchor $C/ca.pem
crl $D/cdp.crl
crl_cache $D/cache
EOF
fetch 0 "url from the CRL distribution point" --at $NOW
expect_in "$TMP/out" "$D/cdp.crl: $U/etag/cdp.crl: installed" "cdp fetched"
expect_in "$TMP/out" "$D/cdp.crl: 1 CRL, 3 revoked serials" "cdp indexed"
tail -n 1 "$TMP/log" >"$TMP/last"
expect_in "$TMP/last" "GET /etag/cdp.crl " "the http URI, not the ldap one"
# A CA whose certificates name no distribution point: no URL to take, and
# the file, installed by other means, is left to the index update.
cat >"$D/mtls.conf" <<EOF
trust_anchor $FIXTURES/root.pem
crl $D/root.crl
crl_required no
crl_cache $D/cache
EOF
fetch 0 "no URL"
expect_in "$TMP/out" "$D/root.crl: not fetched: no URL" "no URL said"
expect_in "$TMP/out" "$D/root.crl: 1 CRL, 0 revoked serials: index" \
    "no URL: still indexed"
# ... and when that file is stale, the index update says so: exit 1.
fetch 1 "no URL, stale" --at $((NEXT + 60))
expect_in "$TMP/out" "problem (crl-stale)" "no URL, stale said"

# HTTPS, with the server's certificate verified: against the system's
# store by default (which does not know this CA), or --tls-ca.
cat >"$C/srv.cnf" <<EOF
[ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1
EOF
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$C/srv.key" -out "$C/srv.csr" -subj "/CN=127.0.0.1" \
    2>"$TMP/openssl.err" &&
openssl x509 -req -in "$C/srv.csr" -CA "$C/ca.pem" -CAkey "$C/ca.key" \
    -CAcreateserial -days 30 -extfile "$C/srv.cnf" -extensions ext \
    -out "$C/srv.pem" 2>"$TMP/openssl.err" ||
    fail "openssl server: $(cat "$TMP/openssl.err")"
python3 "$TOP_SRCDIR/tests/crl-server.py" "$W" "$TMP/tport" "$TMP/tlog" \
    "$C/srv.pem" "$C/srv.key" &
TSERVER=$!
trap 'kill $SERVER $TSERVER 2>/dev/null; rm -rf "$TMP"' EXIT
i=0
while [ ! -s "$TMP/tport" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
(cd "$C" && "$MKCRL" --der --this $((NOW - 30)) --next $((NOW + 86400)) \
    ca.pem ca.key 5 "$W/cdp2.crl") || fail "mkcrl cdp2"
cat >"$D/mtls.conf" <<EOF
trust_anchor $C/ca.pem
crl $D/cdp.crl
crl_url $D/cdp.crl https://127.0.0.1:$(cat "$TMP/tport")/plain/cdp2.crl
crl_cache $D/cache
EOF
F=$D/cdp.crl
refused "https, unknown CA" "TLS" --at $NOW
refused "https, another CA" "TLS" --at $NOW --tls-ca "$FIXTURES/root.pem"
fetch 0 "https, --tls-ca" --at $NOW --tls-ca "$C/ca.pem"
expect_in "$TMP/out" "$D/cdp.crl: 1 CRL, 5 revoked serials" "https installed"
if cmp -s "$W/cdp2.crl" "$D/cdp.crl"; then ok; else
	fail "https: not installed"; fi

kill $SERVER $TSERVER 2>/dev/null
finish
