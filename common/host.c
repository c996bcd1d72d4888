/*
 * host.c - loading and checking the host's certificate and key.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "util.h"

#define MAX_KEY_SIZE	(64 * 1024)
#define MAX_CERT_SIZE	(1024 * 1024)

/* Nonzero when the first key of cred belongs to its first certificate. */
static int
key_matches(gnutls_certificate_credentials_t cred)
{
	gnutls_x509_privkey_t key = NULL;
	gnutls_x509_crt_t *crts = NULL;
	unsigned char a[64], b[64];
	size_t as = sizeof(a), bs = sizeof(b);
	unsigned n = 0, i;
	int ok = 0;

	if (gnutls_certificate_get_x509_key(cred, 0, &key) < 0 ||
	    gnutls_certificate_get_x509_crt(cred, 0, &crts, &n) < 0 || n == 0)
		goto out;
	ok = gnutls_x509_privkey_get_key_id(key, GNUTLS_KEYID_USE_SHA256, a,
	    &as) == 0 && gnutls_x509_crt_get_key_id(crts[0],
	    GNUTLS_KEYID_USE_SHA256, b, &bs) == 0 && as == bs &&
	    memcmp(a, b, as) == 0;
 out:
	if (key != NULL)
		gnutls_x509_privkey_deinit(key);
	for (i = 0; i < n; i++)
		gnutls_x509_crt_deinit(crts[i]);
	gnutls_free(crts);
	return ok;
}

int
mtls_host_load(const struct mtls_conf *conf,
    gnutls_certificate_credentials_t *out, struct mtls_err *err)
{
	gnutls_certificate_credentials_t cred = NULL;
	char *cert = NULL, *key = NULL;
	size_t clen = 0, klen = 0;
	gnutls_datum_t cd, kd;
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
	if (gnutls_certificate_allocate_credentials(&cred) < 0) {
		r = mtls_err_set(err, MTLS_E_NOMEM, NULL);
		goto out;
	}
	cd.data = (unsigned char *)cert;
	cd.size = (unsigned)clen;
	kd.data = (unsigned char *)key;
	kd.size = (unsigned)klen;
	/*
	 * GnuTLS proves that key and certificate match with a test
	 * signature and its verification, which costs more than the rest of
	 * loading; comparing the two public keys' identifiers (key_matches)
	 * answers the same question for a key read from a file.
	 */
	gnutls_certificate_set_flags(cred,
	    GNUTLS_CERTIFICATE_SKIP_KEY_CERT_MATCH);
	g = gnutls_certificate_set_x509_key_mem2(cred, &cd, &kd,
	    strstr(cert, "-----BEGIN") != NULL ? GNUTLS_X509_FMT_PEM :
	    GNUTLS_X509_FMT_DER, NULL, 0);
	if (g >= 0 && !key_matches(cred))
		g = GNUTLS_E_CERTIFICATE_KEY_MISMATCH;
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
