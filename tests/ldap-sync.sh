#!/bin/sh
# ldap-sync.sh - mtls db sync against a real slapd on loopback (Debian's,
# mdb in the test's directory, TLS with a CA made by `mtls ca`, the
# syncprov overlay, a size limit smaller than the directory): a full
# sync, changes picked up by content synchronization, a sync with no
# changes that writes nothing, and refusals that keep the old database:
# the server down, a server certificate of another CA or another host,
# plain LDAP, a password file others may read, a malformed entry, and a
# directory that lost more accounts than the guard allows.
. "${TOP_SRCDIR:-.}/tests/lib.sh"
. "${TOP_SRCDIR:-.}/tests/sshd-harness.sh"
. "${TOP_SRCDIR:-.}/tests/slapd-harness.sh"
# a size limit smaller than the directory: only paged searches read it
LIMIT="sizelimit size.soft=2 size.hard=2 size.prtotal=unlimited"

if [ "$(id -u)" -ne 0 ]; then
	echo "ldap-sync: SKIP: slapd runs as root here" >&2
	exit 77
fi
LDAPNOINIT=1
export LDAPNOINIT

T=$TMP/sync
L=$TMP/slapd
mkdir -p "$T/state" "$L"
chmod 0700 "$T/state"

# --- the PKI: the organization's CA, and impostors -----------------------
CA=$TMP/ca
$MTLS ca init "$CA" --name "Sync Root CA" --org "mtls sync" >/dev/null ||
    fail "ca init"
$MTLS ca init "$TMP/other" --name "Other Root CA" --org "other" \
    >/dev/null || fail "other ca init"
server_cert "$L/good" "$CA" 127.0.0.1 || fail "server certificate"
server_cert "$L/wrongname" "$CA" 127.0.0.2 || fail "wrong-name certificate"
server_cert "$L/otherca" "$TMP/other" 127.0.0.1 ||
    fail "other-CA certificate"
$MTLS ca issue "$CA" --host client.example.org --out "$T/host" \
    >/dev/null || fail "issue host"
for who in alice bob carol; do
	$MTLS ca issue "$CA" --user "$who" --out "$TMP/$who" >/dev/null ||
	    fail "issue $who"
done
subject_of() {
	$MTLS verify --ca "$CA/ca.pem" --crl "$CA/crl.pem" "$1" |
	    sed -n 's/^ *subject: *//p'
}
fp_of() {
	openssl x509 -in "$1" -outform DER | sha256sum | cut -d' ' -f1
}

# --- slapd ---------------------------------------------------------------
slapd_init "$L" "$CA/ca.pem" || fail "slapd ports"
P1=$SLAPD_PORT
P2=$SLAPD_TLS_PORT
trap 'slapd_stop; rm -rf "$TMP"' EXIT
trap 'exit 1' INT TERM

ldif() {
	slapd_modify >"$TMP/ldap.out" 2>&1 ||
	    fail "ldapmodify: $1: $(cat "$TMP/ldap.out")"
}

slapd_start "$L/good" "$LIMIT" || fail "slapd start"
cat >"$T/base.ldif" <<EOF2
dn: dc=example,dc=org
changetype: add
objectClass: dcObject
objectClass: organization
o: Example
dc: example

dn: ou=people,dc=example,dc=org
changetype: add
objectClass: organizationalUnit
ou: people

dn: ou=groups,dc=example,dc=org
changetype: add
objectClass: organizationalUnit
ou: groups

dn: cn=reader,dc=example,dc=org
changetype: add
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: reader
userPassword: readerpw

dn: uid=alice,ou=people,dc=example,dc=org
changetype: add
objectClass: inetOrgPerson
objectClass: posixAccount
uid: alice
cn: Alice Example
sn: Example
uidNumber: 1900000001
gidNumber: 1900000100
homeDirectory: /home/alice
loginShell: /bin/sh
userCertificate;binary:: $(der64 "$TMP/alice.pem")

dn: uid=bob,ou=people,dc=example,dc=org
changetype: add
objectClass: inetOrgPerson
objectClass: posixAccount
uid: bob
cn: Bob Example
sn: Example
gecos: Bob the Builder
uidNumber: 1900000002
gidNumber: 1900000100
homeDirectory: /home/bob
loginShell: /bin/sh

dn: uid=carol,ou=people,dc=example,dc=org
changetype: add
objectClass: inetOrgPerson
objectClass: posixAccount
uid: carol
cn: Carol Example
sn: Example
uidNumber: 1900000003
gidNumber: 1900000100
homeDirectory: /home/carol
description: $(fp_of "$TMP/carol.pem" | sed 's/../&:/g; s/:$//')

dn: cn=staff,ou=groups,dc=example,dc=org
changetype: add
objectClass: posixGroup
cn: staff
gidNumber: 1900000100
memberUid: alice
memberUid: bob
EOF2
ldif "base" <"$T/base.ldif"

# --- the host's configuration --------------------------------------------
printf 'root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1::/:/bin/sh\n' \
    >"$T/passwd"
printf 'root:x:0:\n' >"$T/group"
printf 'readerpw\n' >"$T/secret"
chmod 0600 "$T/secret"
cat >"$T/mtls.conf" <<EOF2
trust_anchor $CA/ca.pem
crl $CA/crl.pem
host_certificate $T/host.pem
host_key $T/host.key
db_sync $T/sync.conf
EOF2
# sync_conf URI [LINES...]: the sync configuration
sync_conf() {
	uri=$1
	shift
	{
		printf 'uri %s\nbase dc=example,dc=org\n' "$uri"
		case "$*" in
		*"schema "*) ;;
		*) printf 'schema rfc2307\n' ;;
		esac
		printf 'state_dir %s/state\npage_size 2\n' "$T"
		printf 'principal_attribute description fingerprint\n'
		printf 'max_removed 50%%\n'
		for l in "$@"; do printf '%s\n' "$l"; done
		case "$*" in
		*"bind "*) ;;
		*) printf 'bind simple cn=reader,dc=example,dc=org\n'
		   printf 'password_file %s/secret\n' "$T" ;;
		esac
	} >"$T/sync.conf"
}
sync_conf "ldaps://127.0.0.1:$P2/"
chmod 0644 "$T/mtls.conf" "$T/sync.conf" "$T/passwd" "$T/group"
DB=$T/identity.db
S="$MTLS db sync --config $T/mtls.conf --db $DB --passwd $T/passwd --group $T/group"

# --- a full sync ---------------------------------------------------------
expect_exit 0 "full sync" -- $S
expect_in "$TMP/out" "3 users, 1 groups" "full sync summary"
expect_exit 0 "show alice" -- $MTLS db show --db "$DB" user alice
expect_in "$TMP/out" \
    "alice:*:1900000001:1900000100:Alice Example:/home/alice:/bin/sh" \
    "alice from the directory, gecos from cn"
expect_in "$TMP/out" "principal subject $(subject_of "$TMP/alice.pem")" \
    "alice's certificate subject"
expect_in "$TMP/out" "principal fingerprint $(fp_of "$TMP/alice.pem")" \
    "alice's certificate fingerprint"
expect_exit 0 "show bob" -- $MTLS db show --db "$DB" user bob
expect_in "$TMP/out" "bob:*:1900000002:1900000100:Bob the Builder:" "bob"
expect_exit 0 "show carol" -- $MTLS db show --db "$DB" user carol
expect_in "$TMP/out" "principal fingerprint $(fp_of "$TMP/carol.pem")" \
    "carol's principal from a configured attribute"
expect_exit 0 "show staff" -- $MTLS db show --db "$DB" group staff
expect_in "$TMP/out" "staff:x:1900000100:alice,bob" "staff"
expect_exit 0 "db check" -- $MTLS db show --db "$DB"
[ "$(stat -c %a "$T/state/db-sync.state")" = 600 ] && ok ||
    fail "state mode $(stat -c %a "$T/state/db-sync.state")"
[ "$(stat -c %a "$T/state/db-sync.cache")" = 600 ] && ok ||
    fail "cache mode"

# --- changes: incremental ------------------------------------------------
ldif "changes" <<EOF2
dn: uid=bob,ou=people,dc=example,dc=org
changetype: modify
replace: loginShell
loginShell: /bin/bash
-
add: userCertificate;binary
userCertificate;binary:: $(der64 "$TMP/bob.pem")

dn: uid=carol,ou=people,dc=example,dc=org
changetype: delete
EOF2
expect_exit 0 "incremental sync" -- $S
expect_in "$TMP/out" "changes since the last sync" "incremental, not full"
expect_in "$TMP/out" "2 users, 1 groups" "incremental summary"
expect_exit 0 "show bob after" -- $MTLS db show --db "$DB" user bob
expect_in "$TMP/out" ":/home/bob:/bin/bash" "bob's new shell"
expect_in "$TMP/out" "principal subject $(subject_of "$TMP/bob.pem")" \
    "bob's new certificate"
expect_exit 1 "carol gone" -- $MTLS db show --db "$DB" user carol

# --- no changes: nothing is written --------------------------------------
$S >/dev/null 2>&1	# the cookies settle
before=$(stat -c '%i %Y %s' "$DB")$(sha256sum <"$DB")
st=$(stat -c '%i %Y' "$T/state/db-sync.state" "$T/state/db-sync.cache")
sleep 1
expect_exit 0 "no-change sync" -- $S
expect_in "$TMP/out" "no changes" "no-change sync says so"
[ "$(stat -c '%i %Y %s' "$DB")$(sha256sum <"$DB")" = "$before" ] && ok ||
    fail "a sync with no changes rewrote the database"
[ "$(stat -c '%i %Y' "$T/state/db-sync.state" "$T/state/db-sync.cache")" = \
    "$st" ] && ok || fail "a sync with no changes wrote its state"

# --- a full sync gives the same database ---------------------------------
$MTLS db show --db "$DB" >"$TMP/incr.show"
expect_exit 0 "full again" -- $S --full
$MTLS db show --db "$DB" >"$TMP/full.show"
cmp -s "$TMP/incr.show" "$TMP/full.show" && ok ||
    fail "full and incremental disagree: $(diff "$TMP/incr.show" "$TMP/full.show")"

# --- a cookie the server refuses: a full sync ----------------------------
sed -i 's/^users_cookie .*/users_cookie 7269643d3939392c63736e3d78/' \
    "$T/state/db-sync.state"
ldif "dave" <<EOF2
dn: uid=dave,ou=people,dc=example,dc=org
changetype: add
objectClass: inetOrgPerson
objectClass: posixAccount
uid: dave
cn: Dave
sn: Dave
uidNumber: 1900000004
gidNumber: 1900000100
homeDirectory: /home/dave
EOF2
expect_exit 0 "sync with a refused cookie" -- $S
expect_in "$TMP/out" "a full sync follows" "refused cookie: full sync"
expect_exit 0 "dave after the fallback" -- $MTLS db show --db "$DB" user dave

# --- a damaged cache: a full sync ----------------------------------------
head -c 200 "$T/state/db-sync.cache" >"$T/cut"
cat "$T/cut" >"$T/state/db-sync.cache"
ldif "dave's shell" <<EOF2
dn: uid=dave,ou=people,dc=example,dc=org
changetype: modify
replace: loginShell
loginShell: /bin/bash
EOF2
expect_exit 0 "sync with a damaged cache" -- $S
expect_in "$TMP/out" "the sync cache is damaged" "damaged cache: said"
expect_in "$TMP/out" "a full sync follows" "damaged cache: full sync"
expect_exit 0 "dave's change after the fallback" -- \
    $MTLS db show --db "$DB" user dave
expect_in "$TMP/out" ":/home/dave:/bin/bash" "dave's new shell"

good=$(sha256sum <"$DB")
kept() {
	[ "$(sha256sum <"$DB")" = "$good" ] && ok ||
	    fail "$1: the database changed"
}
# refuse WHAT REASON [EXIT]: the sync fails with REASON, the db stays
refuse() {
	expect_exit "${3:-1}" "$1" -- $S
	expect_in "$TMP/err" "$2" "$1: reason"
	kept "$1"
}

# --- malformed entries are named -----------------------------------------
ldif "eve" <<EOF2
dn: uid=eve,ou=people,dc=example,dc=org
changetype: add
objectClass: inetOrgPerson
objectClass: posixAccount
uid: eve
cn: Eve
sn: Eve
uidNumber: 42
gidNumber: 1900000100
homeDirectory: /home/eve
EOF2
refuse "uid out of range" "entry uid=eve,ou=people,dc=example,dc=org: uid 42"
expect_in "$TMP/err" "the database was not changed" "out of range: kept"
ldif "eve's uid" <<EOF2
dn: uid=eve,ou=people,dc=example,dc=org
changetype: modify
replace: uidNumber
uidNumber: 1900000005
-
replace: loginShell
loginShell: /bin/no-such-shell
EOF2
refuse "missing shell" "uid=eve,ou=people,dc=example,dc=org: user eve: shell /bin/no-such-shell"
ldif "daemon" <<EOF2
dn: uid=eve,ou=people,dc=example,dc=org
changetype: delete

dn: uid=daemon,ou=people,dc=example,dc=org
changetype: add
objectClass: inetOrgPerson
objectClass: posixAccount
uid: daemon
cn: daemon
sn: daemon
uidNumber: 1900000006
gidNumber: 1900000100
homeDirectory: /srv
EOF2
refuse "clash with passwd" "uid=daemon,ou=people,dc=example,dc=org: user daemon already exists in the system's passwd"
ldif "daemon gone" <<EOF2
dn: uid=daemon,ou=people,dc=example,dc=org
changetype: delete
EOF2
expect_exit 0 "sync once the directory is fixed" -- $S
good=$(sha256sum <"$DB")

# --- the guard -----------------------------------------------------------
ldif "shrink" <<EOF2
dn: uid=alice,ou=people,dc=example,dc=org
changetype: delete

dn: uid=dave,ou=people,dc=example,dc=org
changetype: delete
EOF2
refuse "guard" "would remove 2 of the 3 accounts"
expect_in "$TMP/err" "more than max_removed 50%" "guard names its limit"
expect_in "$TMP/err" "--force" "guard names --force"
expect_exit 0 "guard forced" -- $S --force
expect_in "$TMP/out" "1 users, 1 groups" "forced sync"
good=$(sha256sum <"$DB")

# --- the server down -----------------------------------------------------
slapd_stop
refuse "slapd stopped" "ldaps://127.0.0.1:$P2/"

# --- server certificates that must be refused ----------------------------
slapd_start "$L/otherca" "$LIMIT" || fail "slapd start"
refuse "server of another CA" "ldaps://127.0.0.1:$P2/"
slapd_stop
slapd_start "$L/wrongname" "$LIMIT" || fail "slapd start"
refuse "server of another name" "ldaps://127.0.0.1:$P2/"
slapd_stop

# --- a size limit without paging: never half a directory -----------------
slapd_start "$L/good" \
    "sizelimit size.soft=2 size.hard=2 size.prtotal=disabled" ||
    fail "slapd start"
ldif "two more" <<EOF2
dn: uid=frank,ou=people,dc=example,dc=org
changetype: add
objectClass: inetOrgPerson
objectClass: posixAccount
uid: frank
cn: Frank
sn: Frank
uidNumber: 1900000007
gidNumber: 1900000100
homeDirectory: /home/frank

dn: uid=grace,ou=people,dc=example,dc=org
changetype: add
objectClass: inetOrgPerson
objectClass: posixAccount
uid: grace
cn: Grace
sn: Grace
uidNumber: 1900000008
gidNumber: 1900000100
homeDirectory: /home/grace
EOF2
S="$S --full"
refuse "size limit" "search of users"
S=${S% --full}
slapd_stop
slapd_start "$L/good" "$LIMIT" || fail "slapd start"
expect_exit 0 "paged past the size limit" -- $S --full
expect_in "$TMP/out" "3 users, 1 groups" "paged sync summary"
good=$(sha256sum <"$DB")

# --- a server without content synchronization: every sync is full --------
slapd_stop
SLAPD_SYNCPROV=no slapd_start "$L/good" "$LIMIT" || fail "slapd start"
expect_exit 0 "sync without syncprov" -- $S
expect_in "$TMP/out" "3 users, 1 groups" "sync without syncprov: summary"
ldif "frank's shell" <<EOF2
dn: uid=frank,ou=people,dc=example,dc=org
changetype: modify
replace: loginShell
loginShell: /bin/bash
EOF2
expect_exit 0 "second sync without syncprov" -- $S
expect_in "$TMP/out" "3 users, 1 groups" "a full sync again"
grep -q "changes since\|no changes" "$TMP/out" &&
    fail "an incremental sync without syncprov: $(cat "$TMP/out")" || ok
expect_exit 0 "frank's change" -- $MTLS db show --db "$DB" user frank
expect_in "$TMP/out" ":/home/frank:/bin/bash" "frank's new shell"
slapd_stop
slapd_start "$L/good" "$LIMIT" || fail "slapd start"
good=$(sha256sum <"$DB")

# --- StartTLS, and plain LDAP refused ------------------------------------
sync_conf "ldap://127.0.0.1:$P1/" "starttls yes"
expect_exit 0 "StartTLS" -- $S --full
sync_conf "ldap://127.0.0.1:$P1/"
refuse "plain ldap" "plain ldap:// is refused" 2
sync_conf "ldaps://127.0.0.1:$P2/" "starttls yes"
refuse "ldaps with starttls" "use ldap://" 2

# --- the directory's certificate revoked ---------------------------------
printf 'crl_next_update = 30\ncrl_number = 7\n' >"$T/crl.tmpl"
certtool --generate-crl --load-ca-privkey "$CA/ca.key" \
    --load-ca-certificate "$CA/ca.pem" --load-certificate "$L/good.pem" \
    --template "$T/crl.tmpl" --outfile "$T/revoked.crl" 2>/dev/null ||
    fail "a CRL revoking the server"
sync_conf "ldaps://127.0.0.1:$P2/" "crl_file $T/revoked.crl"
refuse "a revoked server certificate" "ldaps://127.0.0.1:$P2/"

# --- the first server down: the next one answers --------------------------
dead=$(_harness_free_port) || fail "a free port"
sync_conf "ldaps://127.0.0.1:$dead/" "uri ldaps://127.0.0.1:$P2/"
expect_exit 0 "the second URI" -- $S --full
expect_in "$TMP/out" "synced from ldaps://127.0.0.1:$P2/" \
    "the server that answered"

# --- SASL EXTERNAL with the host certificate -----------------------------
sync_conf "ldaps://127.0.0.1:$P2/" "bind external"
expect_exit 0 "SASL EXTERNAL" -- $S --full
chmod 0644 "$T/host.key"
refuse "a host key others may read" "$T/host.key"
chmod 0600 "$T/host.key"
grep -v '^host_' "$T/mtls.conf" >"$T/nohost.conf"
chmod 0644 "$T/nohost.conf"
expect_exit 1 "bind external without a host certificate" -- \
    $MTLS db sync --config "$T/nohost.conf" --db "$DB" \
    --passwd "$T/passwd" --group "$T/group"
expect_in "$TMP/err" "needs host_certificate and host_key" \
    "no host certificate: reason"
kept "bind external without a host certificate"

# --- a password file others may read -------------------------------------
sync_conf "ldaps://127.0.0.1:$P2/"
chmod 0644 "$T/secret"
refuse "readable password file" "$T/secret"
chmod 0600 "$T/secret"
printf 'wrongpw\n' >"$T/secret"
refuse "wrong password" "bind cn=reader,dc=example,dc=org refused"

# --- the database mtls.conf names, without --db ---------------------------
printf 'readerpw\n' >"$T/secret"
printf 'identity_db %s/named.db\n' "$T" >>"$T/mtls.conf"
expect_exit 0 "identity_db of mtls.conf" -- $MTLS db sync --full \
    --config "$T/mtls.conf" --passwd "$T/passwd" --group "$T/group"
expect_exit 0 "the named database" -- $MTLS db show --db "$T/named.db" \
    user bob
kept "identity_db of mtls.conf"

# --- RFC 2307bis: members by DN ------------------------------------------
ldif "devs" <<EOF2
dn: cn=devs,ou=groups,dc=example,dc=org
changetype: add
objectClass: posixGroup
objectClass: extensibleObject
cn: devs
gidNumber: 1900000200
member: uid=bob,ou=people,dc=example,dc=org
member: uid=nobody,ou=people,dc=example,dc=org
EOF2
sync_conf "ldaps://127.0.0.1:$P2/" "schema rfc2307bis"
expect_exit 0 "rfc2307bis" -- $S --db "$T/bis.db"
expect_exit 0 "rfc2307bis group" -- $MTLS db show --db "$T/bis.db" group devs
expect_in "$TMP/out" "devs:x:1900000200:bob" \
    "member DNs as the names of the users synced, others left out"
sync_conf "ldaps://127.0.0.1:$P2/"

# --- not configured ------------------------------------------------------
grep -v '^db_sync' "$T/mtls.conf" >"$T/plain.conf"
chmod 0644 "$T/plain.conf"
expect_exit 2 "no db_sync" -- $MTLS db sync --config "$T/plain.conf" --db "$DB"
expect_in "$TMP/err" "not configured" "no db_sync: reason"
expect_exit 0 "no db_sync, if configured" -- $MTLS db sync --if-configured \
    --config "$T/plain.conf" --db "$DB"
kept "not configured"

finish
