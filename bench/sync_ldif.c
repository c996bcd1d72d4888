/*
 * sync_ldif.c - the directory of the sync benchmark, as LDIF on stdout:
 *
 *	sync_ldif CA.pem CA.key N [FIRST]
 *
 * the base entries (dc=example,dc=org, ou=people, ou=groups, a reader
 * with the password "readerpw") unless FIRST is given, then users
 * FIRST.. FIRST+N-1 (default 0): a posixAccount each, with a certificate
 * of its own (its own subject and serial, signed by the CA; one key
 * pair serves all, which the sync never looks at), and a private
 * posixGroup each.  With FIRST given, only the users: the changed
 * entries of an incremental run.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "measure.h"

static gnutls_datum_t
load(const char *path)
{
	gnutls_datum_t d = { NULL, 0 };

	if (gnutls_load_file(path, &d) < 0)
		die(path);
	return d;
}

static void
b64_line(const char *attr, const gnutls_datum_t *der)
{
	gnutls_datum_t b64 = { NULL, 0 };

	if (gnutls_base64_encode2(der, &b64) < 0)
		die("base64");
	printf("%s:: %.*s\n", attr, (int)b64.size, b64.data);
	gnutls_free(b64.data);
}

int
main(int argc, char **argv)
{
	gnutls_x509_crt_t ca, crt;
	gnutls_x509_privkey_t cakey, key;
	gnutls_datum_t d, der = { NULL, 0 };
	unsigned long i, n, first = 0;
	unsigned char serial[8];
	char dn[128];
	time_t t = time(NULL);
	int all;

	if (argc != 4 && argc != 5) {
		fprintf(stderr, "usage: sync_ldif CA.pem CA.key N [FIRST]\n");
		return 2;
	}
	n = strtoul(argv[3], NULL, 10);
	all = argc == 4;
	if (!all)
		first = strtoul(argv[4], NULL, 10);
	d = load(argv[1]);
	if (gnutls_x509_crt_init(&ca) < 0 ||
	    gnutls_x509_crt_import(ca, &d, GNUTLS_X509_FMT_PEM) < 0)
		die("CA certificate");
	gnutls_free(d.data);
	d = load(argv[2]);
	if (gnutls_x509_privkey_init(&cakey) < 0 ||
	    gnutls_x509_privkey_import2(cakey, &d, GNUTLS_X509_FMT_PEM, NULL,
	    0) < 0)
		die("CA key");
	gnutls_free(d.data);
	if (gnutls_x509_privkey_init(&key) < 0 ||
	    gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) < 0)
		die("key");
	if (all)
		printf("dn: dc=example,dc=org\nobjectClass: dcObject\n"
		    "objectClass: organization\no: Example\ndc: example\n\n"
		    "dn: ou=people,dc=example,dc=org\n"
		    "objectClass: organizationalUnit\nou: people\n\n"
		    "dn: ou=groups,dc=example,dc=org\n"
		    "objectClass: organizationalUnit\nou: groups\n\n"
		    "dn: cn=reader,dc=example,dc=org\n"
		    "objectClass: organizationalRole\n"
		    "objectClass: simpleSecurityObject\ncn: reader\n"
		    "userPassword: readerpw\n\n");
	for (i = first; i < first + n; i++) {
		snprintf(dn, sizeof(dn), "CN=user%lu,O=mtls sync bench", i);
		memset(serial, 0, sizeof(serial));
		serial[0] = 0x10;
		serial[4] = (unsigned char)(i >> 24);
		serial[5] = (unsigned char)(i >> 16);
		serial[6] = (unsigned char)(i >> 8);
		serial[7] = (unsigned char)i;
		/* a later run's certificate differs: another serial */
		serial[1] = (unsigned char)(t & 0xff);
		if (gnutls_x509_crt_init(&crt) < 0 ||
		    gnutls_x509_crt_set_version(crt, 3) < 0 ||
		    gnutls_x509_crt_set_dn(crt, dn, NULL) < 0 ||
		    gnutls_x509_crt_set_key(crt, key) < 0 ||
		    gnutls_x509_crt_set_serial(crt, serial, sizeof(serial)) < 0 ||
		    gnutls_x509_crt_set_activation_time(crt, t - 3600) < 0 ||
		    gnutls_x509_crt_set_expiration_time(crt, t + 86400 * 30) <
		    0 ||
		    gnutls_x509_crt_set_key_purpose_oid(crt,
		    GNUTLS_KP_TLS_WWW_CLIENT, 0) < 0 ||
		    gnutls_x509_crt_sign2(crt, ca, cakey, GNUTLS_DIG_SHA256,
		    0) < 0 ||
		    gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der) < 0)
			die("certificate");
		printf("dn: uid=user%lu,ou=people,dc=example,dc=org\n", i);
		if (!all)
			printf("changetype: modify\nreplace: "
			    "userCertificate;binary\n");
		else
			printf("objectClass: inetOrgPerson\n"
			    "objectClass: posixAccount\nuid: user%lu\n"
			    "cn: User %lu\nsn: User\nuidNumber: %lu\n"
			    "gidNumber: %lu\nhomeDirectory: /home/user%lu\n"
			    "loginShell: /bin/sh\n", i, i, 1900000000UL + i,
			    1900000000UL + i, i);
		b64_line("userCertificate;binary", &der);
		printf("\n");
		if (all)
			printf("dn: cn=user%lu,ou=groups,dc=example,dc=org\n"
			    "objectClass: posixGroup\ncn: user%lu\n"
			    "gidNumber: %lu\nmemberUid: user%lu\n\n", i, i,
			    1900000000UL + i, i);
		gnutls_free(der.data);
		der.data = NULL;
		gnutls_x509_crt_deinit(crt);
	}
	gnutls_x509_crt_deinit(ca);
	gnutls_x509_privkey_deinit(cakey);
	gnutls_x509_privkey_deinit(key);
	return fflush(stdout) == 0 ? 0 : 1;
}
