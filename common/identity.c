/*
 * identity.c - subject, issuer, serial, fingerprint and names of a
 * certificate.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>

#include "identity.h"
#include "util.h"
#include "verify.h"

#define OID_UID		"0.9.2342.19200300.100.1.1"

/* A value is kept only when it is printable text of sane length. */
static int
clean_value(const unsigned char *p, size_t len)
{
	size_t i;

	if (len == 0 || len > MTLS_ID_MAX_VALUE_LEN)
		return 0;
	for (i = 0; i < len; i++)
		if (p[i] < 0x20 || p[i] == 0x7f)
			return 0;
	return 1;
}

static int
list_add(struct mtls_identity *id, struct mtls_strlist *l,
    const unsigned char *p, size_t len)
{
	char **nv, *s;

	if (!clean_value(p, len) || l->n >= MTLS_ID_MAX_VALUES) {
		id->dropped++;
		return 0;
	}
	if ((s = malloc(len + 1)) == NULL)
		return MTLS_E_NOMEM;
	memcpy(s, p, len);
	s[len] = '\0';
	if ((nv = realloc(l->v, (l->n + 1) * sizeof(*nv))) == NULL) {
		free(s);
		return MTLS_E_NOMEM;
	}
	nv[l->n++] = s;
	l->v = nv;
	return 0;
}

static void
list_free(struct mtls_strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

void
mtls_identity_free(struct mtls_identity *id)
{
	if (id == NULL)
		return;
	free(id->subject);
	free(id->issuer);
	list_free(&id->cn);
	list_free(&id->uid);
	list_free(&id->email);
	list_free(&id->upn);
	list_free(&id->uri);
	list_free(&id->dns);
	free(id);
}

/*
 * The text of a DER-encoded directory string.  GnuTLS would print values
 * it cannot show as text in "#hex" form; the raw value is decoded here so
 * that a value with a NUL is recognised and dropped, never mistaken.
 * UTF8String, PrintableString, IA5String and TeletexString (as bytes)
 * are read; BMPString and UniversalString are not.
 */
static int
der_string(const unsigned char *der, size_t len, const unsigned char **val,
    size_t *vlen)
{
	size_t hdr = 2, n;

	if (len < 2)
		return -1;
	switch (der[0]) {
	case 0x0c: case 0x13: case 0x16: case 0x14:
		break;
	default:
		return -1;
	}
	n = der[1];
	if (n == 0x81 && len >= 3) {
		n = der[2];
		hdr = 3;
	} else if (n == 0x82 && len >= 4) {
		n = (size_t)der[2] << 8 | der[3];
		hdr = 4;
	} else if (n > 0x7f)
		return -1;
	if (hdr + n != len)
		return -1;
	*val = der + hdr;
	*vlen = n;
	return 0;
}

/*
 * Every value of one subject attribute into l; *count is every attribute
 * of that OID, including the values that could not be read.
 */
static int
get_attr(gnutls_x509_crt_t crt, const char *oid, struct mtls_identity *id,
    struct mtls_strlist *l, unsigned *count)
{
	unsigned char buf[MTLS_ID_MAX_VALUE_LEN + 8];
	const unsigned char *val;
	size_t sz, vlen;
	unsigned idx;
	int r;

	for (idx = 0; idx < 256; idx++) {
		sz = sizeof(buf);
		r = gnutls_x509_crt_get_dn_by_oid(crt, oid, idx, 1, buf, &sz);
		if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			return 0;
		(*count)++;
		if (r == GNUTLS_E_SHORT_MEMORY_BUFFER) {
			id->dropped++;
			continue;
		}
		if (r < 0)
			return MTLS_E_CERT_MALFORMED;
		if (der_string(buf, sz, &val, &vlen) != 0) {
			id->dropped++;
			continue;
		}
		if ((r = list_add(id, l, val, vlen)) != 0)
			return r;
	}
	return MTLS_E_CERT_MALFORMED;
}

static int
get_sans(gnutls_x509_crt_t crt, struct mtls_identity *id)
{
	unsigned char buf[MTLS_ID_MAX_VALUE_LEN + 1];
	unsigned idx, type;
	size_t sz;
	int r;

	for (idx = 0; idx < 256; idx++) {
		sz = sizeof(buf);
		r = gnutls_x509_crt_get_subject_alt_name2(crt, idx, buf, &sz,
		    &type, NULL);
		if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			return 0;
		if (r == GNUTLS_E_SHORT_MEMORY_BUFFER) {
			id->dropped++;
			continue;
		}
		if (r < 0)
			return MTLS_E_CERT_MALFORMED;
		switch (r) {
		case GNUTLS_SAN_RFC822NAME:
			r = list_add(id, &id->email, buf, sz);
			break;
		case GNUTLS_SAN_URI:
			r = list_add(id, &id->uri, buf, sz);
			break;
		case GNUTLS_SAN_DNSNAME:
			r = list_add(id, &id->dns, buf, sz);
			break;
		case GNUTLS_SAN_OTHERNAME_MSUSERPRINCIPAL:
			/* GnuTLS hands the UPN over decoded to UTF-8. */
			r = list_add(id, &id->upn, buf, sz);
			break;
		default:
			r = 0;
			break;
		}
		if (r != 0)
			return r;
	}
	return MTLS_E_CERT_MALFORMED;
}

static int
get_dn(gnutls_x509_crt_t crt, int issuer, char **out)
{
	gnutls_datum_t d = { NULL, 0 };
	int r;

	r = issuer ? gnutls_x509_crt_get_issuer_dn3(crt, &d, 0) :
	    gnutls_x509_crt_get_dn3(crt, &d, 0);
	if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) {
		/* An empty DN is legal when a SAN names the subject. */
		*out = strdup("");
		return *out != NULL ? 0 : MTLS_E_NOMEM;
	}
	if (r < 0)
		return MTLS_E_CERT_MALFORMED;
	*out = strndup((char *)d.data, d.size);
	gnutls_free(d.data);
	return *out != NULL ? 0 : MTLS_E_NOMEM;
}

int
mtls_identity_subject(gnutls_x509_crt_t crt, char **out)
{
	*out = NULL;
	return get_dn(crt, 0, out);
}

/* The identity of crt; fp, when not NULL, is its SHA-256 fingerprint. */
static int
from_crt(gnutls_x509_crt_t crt, const unsigned char *fp,
    struct mtls_identity **out, struct mtls_err *err)
{
	struct mtls_identity *id = NULL;
	unsigned char serial[64];
	size_t sz;
	int r = MTLS_E_INTERNAL;

	*out = NULL;
	if ((id = calloc(1, sizeof(*id))) == NULL) {
		r = mtls_err_set(err, MTLS_E_NOMEM, NULL);
		goto out;
	}
	if ((r = get_dn(crt, 0, &id->subject)) != 0 ||
	    (r = get_dn(crt, 1, &id->issuer)) != 0) {
		mtls_err_set(err, r, "cannot read the subject or issuer name");
		goto out;
	}
	sz = sizeof(serial);
	if (gnutls_x509_crt_get_serial(crt, serial, &sz) < 0 || sz == 0 ||
	    sz > 32) {
		r = mtls_err_set(err, MTLS_E_CERT_MALFORMED,
		    "cannot read the serial number");
		goto out;
	}
	mtls_hex(serial, sz, 0, id->serial);
	sz = sizeof(id->fingerprint);
	if (fp != NULL)
		memcpy(id->fingerprint, fp, sizeof(id->fingerprint));
	else if (mtls_cert_fingerprint(crt, id->fingerprint) != 0) {
		r = mtls_err_set(err, MTLS_E_CRYPTO,
		    "cannot compute the fingerprint");
		goto out;
	}
	mtls_hex(id->fingerprint, sizeof(id->fingerprint), 1,
	    id->fingerprint_hex);
	id->not_before = gnutls_x509_crt_get_activation_time(crt);
	id->not_after = gnutls_x509_crt_get_expiration_time(crt);
	if ((r = get_attr(crt, GNUTLS_OID_X520_COMMON_NAME, id, &id->cn,
	    &id->n_cn_attrs)) != 0 ||
	    (r = get_attr(crt, OID_UID, id, &id->uid, &id->n_uid_attrs)) != 0 ||
	    (r = get_sans(crt, id)) != 0) {
		mtls_err_set(err, r, "cannot read the certificate's names");
		goto out;
	}
	*out = id;
	id = NULL;
	r = 0;
 out:
	mtls_identity_free(id);
	return r;
}

int
mtls_identity_from_crt(gnutls_x509_crt_t crt, struct mtls_identity **out,
    struct mtls_err *err)
{
	return from_crt(crt, NULL, out, err);
}

int
mtls_identity_from_leaf(gnutls_x509_crt_t leaf,
    const struct mtls_chain_info *info, struct mtls_identity **out,
    struct mtls_err *err)
{
	if (leaf == NULL) {
		*out = NULL;
		return mtls_err_set(err, MTLS_E_INVAL, "no certificate");
	}
	/*
	 * The path begins with this very certificate, and its fingerprint
	 * there was computed the same way: no need to encode it again.
	 */
	return from_crt(leaf, info != NULL && info->n > 0 ?
	    info->fingerprint[0] : NULL, out, err);
}

int
mtls_cert_fingerprint(gnutls_x509_crt_t crt, unsigned char out[32])
{
	gnutls_datum_t der = { NULL, 0 };
	int r = -1;

	if (gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der) >= 0 &&
	    gnutls_hash_fast(GNUTLS_DIG_SHA256, der.data, der.size, out) >= 0)
		r = 0;
	gnutls_free(der.data);
	return r;
}

int
mtls_identity_set_path(struct mtls_identity *id,
    const struct mtls_chain_info *info, struct mtls_err *err)
{
	if (id == NULL || info == NULL || info->n < 2 ||
	    memcmp(info->fingerprint[0], id->fingerprint,
	    sizeof(id->fingerprint)) != 0)
		return mtls_err_set(err, MTLS_E_INTERNAL, "the verified path "
		    "does not lead from this certificate to its issuer");
	memcpy(id->issuer_fingerprint, info->fingerprint[1],
	    sizeof(id->issuer_fingerprint));
	id->has_issuer_fingerprint = 1;
	return 0;
}

int
mtls_identity_from_der(const gnutls_datum_t *der, struct mtls_identity **out,
    struct mtls_err *err)
{
	gnutls_x509_crt_t crt = NULL;
	int r = MTLS_E_INTERNAL;

	*out = NULL;
	if (gnutls_x509_crt_init(&crt) < 0) {
		r = mtls_err_set(err, MTLS_E_NOMEM, NULL);
		goto out;
	}
	if (gnutls_x509_crt_import(crt, der, GNUTLS_X509_FMT_DER) < 0) {
		r = mtls_err_set(err, MTLS_E_CERT_MALFORMED, NULL);
		goto out;
	}
	r = mtls_identity_from_crt(crt, out, err);
 out:
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	return r;
}
