/*
 * host.c - loading and checking the host's certificate and key.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <gnutls/abstract.h>

#include "host.h"
#include "util.h"
#include "verify.h"

#define MAX_KEY_SIZE	(64 * 1024)
#define MAX_CERT_SIZE	(1024 * 1024)

/*
 * The public half of a key as values, for comparison: an RSA modulus and
 * exponent, or an elliptic curve and point.  0, or -1 for another kind of
 * key (whose parameters the values would not cover).
 */
static int
pub_values(gnutls_pubkey_t pub, gnutls_datum_t *a, gnutls_datum_t *b,
    gnutls_ecc_curve_t *curve)
{
	switch (gnutls_pubkey_get_pk_algorithm(pub, NULL)) {
	case GNUTLS_PK_RSA:
		*curve = GNUTLS_ECC_CURVE_INVALID;
		return gnutls_pubkey_export_rsa_raw2(pub, a, b, 0) < 0 ? -1 :
		    0;
	case GNUTLS_PK_ECDSA:
	case GNUTLS_PK_EDDSA_ED25519:
	case GNUTLS_PK_EDDSA_ED448:
		return gnutls_pubkey_export_ecc_raw2(pub, curve, a, b, 0) < 0 ?
		    -1 : 0;
	default:
		return -1;
	}
}

static int
same_datum(const gnutls_datum_t *x, const gnutls_datum_t *y)
{
	return x->size == y->size && (x->size == 0 ||
	    memcmp(x->data, y->data, x->size) == 0);
}

/*
 * Nonzero when key belongs to crt.  The two public keys' values are
 * compared where the kind of key allows it: the identifiers (hashes of
 * each public key encoded again) answer the same question at several
 * times the cost.
 */
static int
key_matches(gnutls_x509_privkey_t key, gnutls_x509_crt_t crt)
{
	gnutls_privkey_t pk = NULL;
	gnutls_pubkey_t kp = NULL, cp = NULL;
	gnutls_datum_t ka = { NULL, 0 }, kb = { NULL, 0 };
	gnutls_datum_t ca = { NULL, 0 }, cb = { NULL, 0 };
	gnutls_ecc_curve_t kc = GNUTLS_ECC_CURVE_INVALID;
	gnutls_ecc_curve_t cc = GNUTLS_ECC_CURVE_INVALID;
	unsigned char a[64], b[64];
	size_t as = sizeof(a), bs = sizeof(b);
	int ok = 0;

	if (gnutls_privkey_init(&pk) < 0 ||
	    gnutls_privkey_import_x509(pk, key, 0) < 0 ||
	    gnutls_pubkey_init(&kp) < 0 ||
	    gnutls_pubkey_import_privkey(kp, pk, 0, 0) < 0 ||
	    gnutls_pubkey_init(&cp) < 0 ||
	    gnutls_pubkey_import_x509(cp, crt, 0) < 0)
		goto out;
	if (gnutls_pubkey_get_pk_algorithm(kp, NULL) ==
	    gnutls_pubkey_get_pk_algorithm(cp, NULL) &&
	    pub_values(kp, &ka, &kb, &kc) == 0 &&
	    pub_values(cp, &ca, &cb, &cc) == 0) {
		ok = kc == cc && same_datum(&ka, &ca) && same_datum(&kb, &cb);
		goto out;
	}
	ok = gnutls_x509_privkey_get_key_id(key, GNUTLS_KEYID_USE_SHA256, a,
	    &as) == 0 && gnutls_x509_crt_get_key_id(crt,
	    GNUTLS_KEYID_USE_SHA256, b, &bs) == 0 && as == bs &&
	    memcmp(a, b, as) == 0;
 out:
	gnutls_free(ka.data);
	gnutls_free(kb.data);
	gnutls_free(ca.data);
	gnutls_free(cb.data);
	if (cp != NULL)
		gnutls_pubkey_deinit(cp);
	if (kp != NULL)
		gnutls_pubkey_deinit(kp);
	if (pk != NULL)
		gnutls_privkey_deinit(pk);
	return ok;
}

int
mtls_host_load(const struct mtls_conf *conf,
    gnutls_certificate_credentials_t *out, struct mtls_err *err)
{
	gnutls_certificate_credentials_t cred = NULL;
	gnutls_x509_crt_t *crts = NULL;
	gnutls_x509_privkey_t xkey = NULL;
	gnutls_x509_crt_fmt_t fmt;
	char *cert = NULL, *key = NULL;
	size_t clen = 0, klen = 0;
	gnutls_datum_t cd, kd;
	unsigned n = 0;
	int r = MTLS_E_INTERNAL, g;

	*out = NULL;
	if (conf->host_cert == NULL || conf->host_key == NULL) {
		r = mtls_err_set(err, MTLS_E_CONFIG, "%s: host_certificate and "
		    "host_key must both be set", conf->path != NULL ?
		    conf->path : "configuration");
		goto out;
	}
	if ((r = mtls_file_read(conf->host_cert, "host certificate",
	    MAX_CERT_SIZE, &cert, &clen, err)) != 0 ||
	    (r = mtls_file_read_secret(conf->host_key, "host key",
	    MAX_KEY_SIZE, &key, &klen, err)) != 0)
		goto out;
	if (gnutls_certificate_allocate_credentials(&cred) < 0 ||
	    gnutls_x509_privkey_init(&xkey) < 0) {
		r = mtls_err_set(err, MTLS_E_NOMEM, NULL);
		goto out;
	}
	cd.data = (unsigned char *)cert;
	cd.size = (unsigned)clen;
	kd.data = (unsigned char *)key;
	kd.size = (unsigned)klen;
	fmt = strstr(cert, "-----BEGIN") != NULL ? GNUTLS_X509_FMT_PEM :
	    GNUTLS_X509_FMT_DER;
	/*
	 * Certificates and key are parsed here once and handed over.  GnuTLS
	 * would prove that they match with a test signature and its
	 * verification, which costs more than the rest of loading;
	 * key_matches() answers the same question for a key read from a
	 * file.
	 */
	gnutls_certificate_set_flags(cred,
	    GNUTLS_CERTIFICATE_SKIP_KEY_CERT_MATCH);
	if ((g = gnutls_x509_privkey_import2(xkey, &kd, fmt, NULL, 0)) >= 0 &&
	    (g = gnutls_x509_crt_list_import2(&crts, &n, &cd, fmt, 0)) >= 0 &&
	    n == 0)
		g = GNUTLS_E_NO_CERTIFICATE_FOUND;
	if (g >= 0 && !key_matches(xkey, crts[0]))
		g = GNUTLS_E_CERTIFICATE_KEY_MISMATCH;
	if (g >= 0)
		g = gnutls_certificate_set_x509_key(cred, crts, n, xkey);
	if (g < 0) {
		r = mtls_err_set(err, g == GNUTLS_E_CERTIFICATE_KEY_MISMATCH ?
		    MTLS_E_CONFIG : MTLS_E_BAD_PEM, "host certificate %s and "
		    "key %s: %s", conf->host_cert, conf->host_key,
		    g == GNUTLS_E_CERTIFICATE_KEY_MISMATCH ? "the key does "
		    "not belong to the certificate" : gnutls_strerror(g));
		goto out;
	}
	*out = cred;
	cred = NULL;
	r = 0;
 out:
	if (cred != NULL)
		gnutls_certificate_free_credentials(cred);
	mtls_crts_free(crts, n);
	if (xkey != NULL)
		gnutls_x509_privkey_deinit(xkey);
	if (key != NULL) {
		explicit_bzero(key, klen);
		free(key);
	}
	free(cert);
	return r;
}

int
mtls_host_check(const struct mtls_conf *conf, const struct mtls_verifier *v,
    time_t now, struct mtls_err *err)
{
	gnutls_certificate_credentials_t cred = NULL;
	gnutls_x509_crt_t *crts = NULL;
	unsigned n = 0;
	int r = MTLS_E_INTERNAL;

	if (conf->host_cert == NULL && conf->host_key == NULL)
		return 0;
	if ((r = mtls_host_load(conf, &cred, err)) != 0)
		goto out;
	if ((r = mtls_load_crts(conf->host_cert, "host certificate", 1, &crts,
	    &n, err)) != 0)
		goto out;
	if (n > MTLS_MAX_CHAIN_IN) {
		r = mtls_err_set(err, MTLS_E_TOO_LARGE, "host certificate %s: "
		    "more than %d certificates", conf->host_cert,
		    MTLS_MAX_CHAIN_IN);
		goto out;
	}
	r = mtls_verify_crts(v, crts, n, now, MTLS_PURPOSE_SERVER, err, NULL);
 out:
	mtls_crts_free(crts, n);
	if (cred != NULL)
		gnutls_certificate_free_credentials(cred);
	return r;
}
