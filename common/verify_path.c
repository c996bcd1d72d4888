/*
 * verify_path.c - the path from a presented certificate to a configured
 * trust anchor: building it by names and key identifiers, then GnuTLS's
 * verification of its signatures, path length and name constraints.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "verify_int.h"

/* --- path building ------------------------------------------------------ */

/* Nonzero when the authority key id of c equals the subject key id of ca. */
int
mtls_vfy_akid_matches(gnutls_x509_crt_t c, gnutls_x509_crt_t ca)
{
	unsigned char a[64], s[64];
	size_t asz = sizeof(a), ssz = sizeof(s);
	unsigned crit;

	if (gnutls_x509_crt_get_authority_key_id(c, a, &asz, &crit) < 0 ||
	    gnutls_x509_crt_get_subject_key_id(ca, s, &ssz, &crit) < 0)
		return 0;
	return asz == ssz && memcmp(a, s, asz) == 0;
}

/*
 * Nonzero when ca's subject is c's issuer, byte for byte.  Not
 * gnutls_x509_crt_check_issuer(): it also compares key identifiers, and a
 * mismatch must be reported as such rather than as an unknown issuer.
 */
static int
names_issuer(gnutls_x509_crt_t c, gnutls_x509_crt_t ca)
{
	gnutls_datum_t a = { NULL, 0 }, b = { NULL, 0 };
	int eq;

	if (gnutls_x509_crt_get_raw_issuer_dn(c, &a) < 0 ||
	    gnutls_x509_crt_get_raw_dn(ca, &b) < 0)
		eq = 0;
	else
		eq = a.size == b.size && memcmp(a.data, b.data, a.size) == 0;
	gnutls_free(a.data);
	gnutls_free(b.data);
	return eq;
}

/*
 * Nonzero when a and b are the same certificate, byte for byte: what
 * gnutls_x509_crt_equals() answers for parsed certificates, without its
 * decoding and comparing both subject names first.  GnuTLS keeps the DER
 * of a certificate it parsed and hands it out without encoding it again.
 */
static int
same_crt(gnutls_x509_crt_t a, gnutls_x509_crt_t b)
{
	gnutls_datum_t da = { NULL, 0 }, db = { NULL, 0 };
	int eq;

	if (a == b)
		return 1;
	if (gnutls_x509_crt_export2(a, GNUTLS_X509_FMT_DER, &da) < 0 ||
	    gnutls_x509_crt_export2(b, GNUTLS_X509_FMT_DER, &db) < 0)
		eq = gnutls_x509_crt_equals(a, b);
	else
		eq = da.size == db.size && memcmp(da.data, db.data,
		    da.size) == 0;
	gnutls_free(da.data);
	gnutls_free(db.data);
	return eq;
}

static int
in_path(gnutls_x509_crt_t *path, size_t len, gnutls_x509_crt_t c)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (same_crt(path[i], c))
			return 1;
	return 0;
}

/* The issuer of cur among cands: by name and key id first, else by name. */
static gnutls_x509_crt_t
find_issuer(gnutls_x509_crt_t cur, const gnutls_x509_crt_t *cands, size_t n,
    gnutls_x509_crt_t *path, size_t len)
{
	gnutls_x509_crt_t byname = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		if (in_path(path, len, cands[i]) ||
		    !names_issuer(cur, cands[i]))
			continue;
		if (mtls_vfy_akid_matches(cur, cands[i]))
			return cands[i];
		if (byname == NULL)
			byname = cands[i];
	}
	return byname;
}

/*
 * Build path[0..*len-1] from the leaf up to an anchor, through the
 * presented certificates and the configured intermediates.
 */
int
mtls_vfy_build_path(const struct mtls_verifier *v,
    const gnutls_x509_crt_t *certs, size_t n, gnutls_x509_crt_t *path,
    size_t *len, struct mtls_err *err)
{
	gnutls_x509_crt_t next;
	char extra[320], s[256];

	path[0] = certs[0];
	*len = 1;
	for (;;) {
		gnutls_x509_crt_t cur = path[*len - 1];

		next = find_issuer(cur, v->anchors, v->n_anchors, path, 0);
		if (next != NULL && !same_crt(next, cur)) {
			path[(*len)++] = next;
			return 0;
		}
		next = find_issuer(cur, certs + 1, n - 1, path, *len);
		if (next == NULL)
			next = find_issuer(cur, v->inters, v->n_inters, path,
			    *len);
		if (next == NULL) {
			gnutls_datum_t d = { NULL, 0 };

			if (gnutls_x509_crt_get_issuer_dn3(cur, &d, 0) >= 0 &&
			    d.size < sizeof(s)) {
				memcpy(s, d.data, d.size);
				s[d.size] = '\0';
			} else
				snprintf(s, sizeof(s), "(unreadable)");
			gnutls_free(d.data);
			snprintf(extra, sizeof(extra), "no trust anchor or "
			    "intermediate named \"%.200s\" is known", s);
			return mtls_vfy_reject(err, MTLS_E_CERT_UNTRUSTED, cur,
			    *len - 1, extra);
		}
		if (*len - 1 >= v->max_inter) {
			snprintf(extra, sizeof(extra), "more than %u "
			    "intermediate%s (max_intermediates)", v->max_inter,
			    v->max_inter == 1 ? "" : "s");
			return mtls_vfy_reject(err, MTLS_E_CERT_TOO_DEEP,
			    certs[0], 0, extra);
		}
		path[(*len)++] = next;
	}
}

/* --- GnuTLS signature and constraint verification ----------------------- */

static int
status_code(unsigned st)
{
	if (st & GNUTLS_CERT_SIGNATURE_FAILURE)
		return MTLS_E_CERT_SIGNATURE;
	if (st & GNUTLS_CERT_SIGNER_NOT_FOUND)
		return MTLS_E_CERT_UNTRUSTED;
	if (st & GNUTLS_CERT_SIGNER_NOT_CA)
		return MTLS_E_CERT_ISSUER_NOT_CA;
	if (st & GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE)
		return MTLS_E_CERT_CONSTRAINTS;
	if (st & GNUTLS_CERT_UNKNOWN_CRIT_EXTENSIONS)
		return MTLS_E_CERT_CRITICAL_EXT;
	if (st & GNUTLS_CERT_INSECURE_ALGORITHM)
		return MTLS_E_CERT_WEAK_SIGNATURE;
	if (st & GNUTLS_CERT_REVOKED)
		return MTLS_E_CERT_REVOKED;
	return MTLS_E_CERT_INSECURE;
}

int
mtls_vfy_check_gnutls(const struct mtls_verifier *v, gnutls_x509_crt_t *path,
    size_t len, struct mtls_err *err)
{
	unsigned st = 0, flags;
	size_t i;
	char extra[64];

	flags = GNUTLS_VERIFY_DISABLE_TIME_CHECKS |
	    GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS |
	    GNUTLS_VERIFY_DO_NOT_ALLOW_X509_V1_CA_CRT |
	    mtls_vfy_profile_flags(v->profile);
	if (gnutls_x509_crt_list_verify(path, (unsigned)(len - 1),
	    &path[len - 1], 1, NULL, 0, flags, &st) < 0)
		return mtls_err_set(err, MTLS_E_CRYPTO, "GnuTLS could not "
		    "verify the chain");
	if (st == 0)
		return 0;
	/* Find the first certificate GnuTLS objects to, for the message. */
	for (i = 0; i + 1 < len; i++) {
		unsigned one = 0;

		if (gnutls_x509_crt_verify(path[i], &path[i + 1], 1, flags,
		    &one) >= 0 && one != 0) {
			snprintf(extra, sizeof(extra), "GnuTLS status 0x%x",
			    one);
			return mtls_vfy_reject(err, status_code(one), path[i],
			    i, status_code(one) == MTLS_E_CERT_INSECURE ?
			    extra : NULL);
		}
	}
	snprintf(extra, sizeof(extra), "GnuTLS status 0x%x", st);
	return mtls_vfy_reject(err, status_code(st), path[0], 0,
	    status_code(st) == MTLS_E_CERT_INSECURE ? extra : NULL);
}

