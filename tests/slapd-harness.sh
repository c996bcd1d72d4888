# slapd-harness.sh - Debian's slapd for the tests, sourced after
# tests/sshd-harness.sh (for its free-port and listening helpers): run as
# root from a configuration file of the test's own (-f, never /etc/ldap),
# an mdb database in the test's directory, TLS with a certificate from
# the test's CA, the syncprov overlay, and listening on 127.0.0.1 only.
# The suffix is dc=example,dc=org; cn=admin,dc=example,dc=org with the
# password "adminpw" is its root DN.
#
#   slapd_init DIR CA.pem    Pick the ports (SLAPD_PORT: ldap://,
#                            SLAPD_TLS_PORT: ldaps://) and make DIR/data.
#   slapd_conf CERT [LINE]   Write DIR/slapd.conf: TLS with CERT.pem and
#                            CERT.key, LINE (a global directive, say a
#                            sizelimit) added; without the syncprov
#                            overlay when SLAPD_SYNCPROV is "no".
#   slapd_run                Start slapd on DIR/slapd.conf, and wait until
#                            it listens.
#   slapd_start CERT [LINE]  Both.
#   slapd_stop               Stop it (and wait until it is gone).
#   slapd_modify             ldapmodify as the root DN, LDIF on stdin.
#   slapd_sync_conf FILE SECRET STATE
#                            A sync configuration (mtls-identity(5)) for
#                            this server over LDAPS, bound as
#                            cn=reader,dc=example,dc=org (its entry is
#                            the test's to add, with the password
#                            "readerpw", which goes to SECRET).
#   server_cert OUT CADIR IP A server key and certificate (OUT.key,
#                            OUT.pem) for the address IP, signed by the CA
#                            in CADIR.  libldap checks a URI of
#                            "localhost" against the machine's own name,
#                            so the tests use 127.0.0.1 and an address.
#   der64 CERT.pem           The certificate as base64 DER on one line.

slapd_init() {
	SLAPD_DIR=$1
	SLAPD_CA=$2
	mkdir -p "$SLAPD_DIR/data" || return 1
	SLAPD_PORT=$(_harness_free_port) &&
	    SLAPD_TLS_PORT=$(_harness_free_port)
}

slapd_conf() {
	cat >"$SLAPD_DIR/slapd.conf" <<EOF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/nis.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload syncprov
pidfile $SLAPD_DIR/slapd.pid
argsfile $SLAPD_DIR/slapd.args
TLSCACertificateFile $SLAPD_CA
TLSCertificateFile $1.pem
TLSCertificateKeyFile $1.key
TLSVerifyClient try
${2:-}
database mdb
suffix "dc=example,dc=org"
rootdn "cn=admin,dc=example,dc=org"
rootpw adminpw
directory $SLAPD_DIR/data
maxsize 4294967296
index objectClass,entryCSN,entryUUID eq
access to attrs=userPassword by anonymous auth by * none
access to * by users read by * none
EOF
	[ "${SLAPD_SYNCPROV:-yes}" = no ] ||
	    printf 'overlay syncprov\nsyncprov-checkpoint 1 1\n%s\n' \
	    'syncprov-sessionlog 10000' >>"$SLAPD_DIR/slapd.conf"
}

slapd_run() {
	rm -f "$SLAPD_DIR/slapd.pid"
	if ! /usr/sbin/slapd -f "$SLAPD_DIR/slapd.conf" -h \
	    "ldap://127.0.0.1:$SLAPD_PORT/ ldaps://127.0.0.1:$SLAPD_TLS_PORT/" \
	    >"$SLAPD_DIR/slapd.out" 2>&1; then
		cat "$SLAPD_DIR/slapd.out" >&2
		return 1
	fi
	_sn=0
	while ! harness_listening "$SLAPD_TLS_PORT" && [ $_sn -lt 100 ]; do
		sleep 0.1
		_sn=$((_sn + 1))
	done
	harness_listening "$SLAPD_TLS_PORT"
}

slapd_start() {
	slapd_conf "$@" && slapd_run
}

slapd_stop() {
	[ -n "${SLAPD_DIR:-}" ] && [ -s "$SLAPD_DIR/slapd.pid" ] || return 0
	_spid=$(cat "$SLAPD_DIR/slapd.pid")
	kill "$_spid" 2>/dev/null
	_sn=0
	while kill -0 "$_spid" 2>/dev/null && [ $_sn -lt 100 ]; do
		sleep 0.1
		_sn=$((_sn + 1))
	done
	rm -f "$SLAPD_DIR/slapd.pid"
}

slapd_modify() {
	LDAPNOINIT=1 ldapmodify -x -D cn=admin,dc=example,dc=org -w adminpw \
	    -H "ldap://127.0.0.1:$SLAPD_PORT/"
}

slapd_sync_conf() {
	printf 'readerpw\n' >"$2" && chmod 0600 "$2" || return 1
	cat >"$1" <<EOF
uri ldaps://127.0.0.1:$SLAPD_TLS_PORT/
base dc=example,dc=org
bind simple cn=reader,dc=example,dc=org
password_file $2
state_dir $3
EOF
	chmod 0644 "$1"
}

server_cert() {
	printf 'cn = "%s"\nip_address = %s\ntls_www_server\nsigning_key\n' \
	    "$3" "$3" >"$1.tmpl"
	printf 'expiration_days = 30\n' >>"$1.tmpl"
	certtool --generate-privkey --key-type ecdsa --outfile "$1.key" \
	    2>/dev/null && certtool --generate-certificate \
	    --load-privkey "$1.key" --load-ca-certificate "$2/ca.pem" \
	    --load-ca-privkey "$2/ca.key" --template "$1.tmpl" \
	    --outfile "$1.pem" 2>/dev/null
}

der64() {
	openssl x509 -in "$1" -outform DER | base64 | tr -d '\n'
}
