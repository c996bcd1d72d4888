#!/bin/sh
# ssh-db-e2e.sh - an SSH login of an account that exists only in the mtls
# identity database: sshd (tests/sshd-harness.sh) resolves it through
# nsswitch.conf "files mtls" and libnss_mtls.so.2, and pam_mtls maps the
# certificate to it with `map from=db` because the account lists the
# certificate's subject as a principal.  A certificate no account lists
# is refused; the account is in no passwd file.  Then the same with an
# account that exists only in the organization's LDAP directory: slapd on
# loopback (tests/slapd-harness.sh) holds it with its certificate, `mtls
# db sync` writes the database, slapd stops, and the login, which never
# waits on the directory, goes through.
. "${TOP_SRCDIR:-.}/tests/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "ssh-db-e2e: SKIP: needs root (mount namespace, sshd)" >&2
	exit 77
fi
: "${PAM_MTLS:?PAM_MTLS is not set (run through make check)}"
: "${NSS_MTLS:?NSS_MTLS is not set (run through make check)}"

. "${TOP_SRCDIR:-.}/tests/sshd-harness.sh"
. "${TOP_SRCDIR:-.}/tests/slapd-harness.sh"
trap 'slapd_stop; harness_stop_all; rm -rf "$TMP"' EXIT
trap 'exit 1' INT TERM

CA=$TMP/ca
$MTLS ca init "$CA" --name "DB E2E Root CA" --org "mtls db e2e" \
    >/dev/null || fail "ca init"
for who in mtlsdbuser mtlsstranger; do
	$MTLS ca issue "$CA" --user "$who" --out "$TMP/$who" >/dev/null ||
	    fail "issue $who"
done
$MTLS ca issue "$CA" --host localhost --out "$TMP/host" >/dev/null ||
    fail "issue host"
subject=$($MTLS verify --ca "$CA/ca.pem" --crl "$CA/crl.pem" \
    "$TMP/mtlsdbuser.pem" | sed -n 's/^ *subject: *//p')
[ -n "$subject" ] && ok || fail "no subject for mtlsdbuser"

# --- the database: the only place the account exists ---------------------
S=$TMP/sshd
mkdir -p "$TMP/id" "$S/home/mtlsdb"
cat >"$TMP/id/users" <<EOF2
user mtlsdb
	uid 1900000500
	gid 1900000500
	gecos Database-only account
	home /home/mtlsdb
	shell /bin/sh
	principal subject $subject
EOF2
printf 'group mtlsdb\n\tgid 1900000500\n' >"$TMP/id/groups"
chmod 0644 "$TMP/id/users" "$TMP/id/groups"
DB=$TMP/id/identity.db
$MTLS db build --users "$TMP/id/users" --groups "$TMP/id/groups" \
    --db "$DB" -q || fail "db build"
chown 1900000500:1900000500 "$S/home/mtlsdb"
grep -q '^mtlsdb:' /etc/passwd && fail "mtlsdb is in /etc/passwd" || ok

mkdir -p "$TMP/server"
cat >"$TMP/server/mtls.conf" <<EOF2
trust_anchor $CA/ca.pem
crl $CA/crl.pem
host_certificate $TMP/host.pem
host_key $TMP/host.key
ssh_host_key $S/etc/ssh_host_*_key.pub
identity_db $DB
map from=db
EOF2
MTLS_KNOWN_HOSTS=$TMP/known_hosts
export MTLS_KNOWN_HOSTS
chmod 0644 "$TMP/server/mtls.conf"
cat >"$TMP/client.conf" <<EOF2
trust_anchor $CA/ca.pem
crl $CA/crl.pem
EOF2
chmod 0644 "$TMP/client.conf"
printf 'passwd: files mtls\ngroup: files mtls\nshadow: files\n' \
    >"$TMP/nsswitch.conf"

M="$PAM_MTLS config=$TMP/server/mtls.conf"
cat >"$TMP/db.pam" <<EOF2
auth     required $M
account  required $M
account  required pam_unix.so
session  optional $M
session  required pam_permit.so
password required pam_deny.so
EOF2
# sshd finds libnss_mtls.so.2 through LD_LIBRARY_PATH and the database
# through MTLS_NSS_DB (both read by the module in sshd, not setuid).
HARNESS_NSSWITCH=$TMP/nsswitch.conf LD_LIBRARY_PATH=$(dirname "$NSS_MTLS") \
    MTLS_NSS_DB=$DB harness_start "$S" "$TMP/db.pam" ||
    { fail "sshd start"; finish; exit 1; }
PORT=$(harness_port "$S")

login() {
	timeout 60 setsid -w $MTLS ssh --config "$TMP/client.conf" \
	    --cert "$1.pem" --key "$1.key" -F /dev/null -p "$PORT" \
	    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
	    -o AddressFamily=inet -o ConnectTimeout=20 \
	    "$2@localhost" 'id; echo "home=$HOME"' </dev/null
}

expect_exit 0 "database-only user logs in" -- login "$TMP/mtlsdbuser" mtlsdb
# (the session's own id(1) has no LD_LIBRARY_PATH to name it: numbers)
expect_in "$TMP/out" "uid=1900000500 gid=1900000500" \
    "the session runs as the database account"
expect_in "$TMP/out" "home=/home/mtlsdb" "home from the database"
grep -q "Accepted keyboard-interactive/pam for mtlsdb" \
    "$(harness_log "$S")" && ok || fail "sshd logged the login"

expect_exit 255 "a certificate no account lists" -- login \
    "$TMP/mtlsstranger" mtlsdb
expect_empty "$TMP/out" "no command for the stranger"

# --- the accounts from the LDAP directory --------------------------------
$MTLS ca issue "$CA" --user mtlsldapuser --out "$TMP/mtlsldapuser" \
    >/dev/null || fail "issue mtlsldapuser"
L=$TMP/slapd
mkdir -p "$L" "$S/home/mtlsldap"
chown 1900000600:1900000600 "$S/home/mtlsldap"
slapd_init "$L" "$CA/ca.pem" || fail "slapd ports"
server_cert "$L/server" "$CA" 127.0.0.1 || fail "slapd certificate"
slapd_start "$L/server" || fail "slapd start"
# posix ACCOUNT ID CERT: a user and its private group, as LDIF
posix() {
	printf 'dn: uid=%s,dc=example,dc=org\nchangetype: add\n' "$1"
	printf 'objectClass: inetOrgPerson\nobjectClass: posixAccount\n'
	printf 'uid: %s\ncn: %s\nsn: %s\nuidNumber: %s\ngidNumber: %s\n' \
	    "$1" "$1" "$1" "$2" "$2"
	printf 'homeDirectory: /home/%s\nloginShell: /bin/sh\n' "$1"
	printf 'userCertificate;binary:: %s\n\n' "$(der64 "$3")"
	printf 'dn: cn=%s,dc=example,dc=org\nchangetype: add\n' "$1"
	printf 'objectClass: posixGroup\ncn: %s\ngidNumber: %s\n\n' "$1" "$2"
}
{
	printf 'dn: dc=example,dc=org\nchangetype: add\n'
	printf 'objectClass: dcObject\nobjectClass: organization\n'
	printf 'o: Example\ndc: example\n\n'
	printf 'dn: cn=reader,dc=example,dc=org\nchangetype: add\n'
	printf 'objectClass: organizationalRole\n'
	printf 'objectClass: simpleSecurityObject\ncn: reader\n'
	printf 'userPassword: readerpw\n\n'
	posix mtlsdb 1900000500 "$TMP/mtlsdbuser.pem"
	posix mtlsldap 1900000600 "$TMP/mtlsldapuser.pem"
} | slapd_modify >"$TMP/ldap.out" 2>&1 ||
    fail "ldapmodify: $(cat "$TMP/ldap.out")"
slapd_sync_conf "$TMP/server/db-sync.conf" "$TMP/id/secret" "$TMP/id" ||
    fail "sync configuration"
printf 'db_sync %s/server/db-sync.conf\n' "$TMP" >>"$TMP/server/mtls.conf"
expect_exit 0 "mtls db sync" -- $MTLS db sync --config "$TMP/server/mtls.conf"
expect_in "$TMP/out" "$DB: 2 users, 2 groups" "the accounts of the directory"
grep -q '^mtlsldap:' /etc/passwd && fail "mtlsldap is in /etc/passwd" || ok
slapd_stop
sleep 1.1	# the NSS module looks for a new database once a second

expect_exit 0 "directory-only user logs in" -- login "$TMP/mtlsldapuser" \
    mtlsldap
expect_in "$TMP/out" "uid=1900000600 gid=1900000600" \
    "the session runs as the directory's account"
expect_in "$TMP/out" "home=/home/mtlsldap" "home from the directory"
grep -q "Accepted keyboard-interactive/pam for mtlsldap" \
    "$(harness_log "$S")" && ok || fail "sshd logged the directory login"
expect_exit 255 "another's certificate for the directory's account" -- \
    login "$TMP/mtlsdbuser" mtlsldap
expect_empty "$TMP/out" "no command for another's certificate"

finish
