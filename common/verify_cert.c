/*
 * verify_cert.c - what each certificate of a path must be, on its own and
 * as the issuer of the next: version, key strength, signature algorithm,
 * key identifiers, the structure rules of RFC 5280 (serial number,
 * criticality of extensions, CA subjects), the CA and end-entity profiles
 * with the purposes CAs may issue for, and validity dates.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "util.h"
#include "verify_int.h"

#define OID_EKU_CLIENT	"1.3.6.1.5.5.7.3.2"
#define OID_EKU_SERVER	"1.3.6.1.5.5.7.3.1"
#define OID_EKU_ANY	"2.5.29.37.0"
#define OID_AKI		"2.5.29.35"
#define OID_POLICY_CONS	"2.5.29.36"
#define OID_AIA		"1.3.6.1.5.5.7.1.1"

/* --- per-certificate checks --------------------------------------------- */

static int
check_version(gnutls_x509_crt_t c, size_t depth, struct mtls_err *err)
{
	if (gnutls_x509_crt_get_version(c) != 3)
		return mtls_vfy_reject(err, MTLS_E_CERT_VERSION, c, depth,
		    NULL);
	return 0;
}

static int
check_signature_alg(gnutls_x509_crt_t c, size_t depth, struct mtls_err *err)
{
	int sig = gnutls_x509_crt_get_signature_algorithm(c);
	gnutls_digest_algorithm_t h;

	if (sig <= 0)
		return mtls_vfy_reject(err, MTLS_E_CERT_WEAK_SIGNATURE, c,
		    depth, "unknown signature algorithm");
	h = gnutls_sign_get_hash_algorithm((gnutls_sign_algorithm_t)sig);
	if (h == GNUTLS_DIG_SHA1 || h == GNUTLS_DIG_MD5 ||
	    h == GNUTLS_DIG_MD2 || h == GNUTLS_DIG_RMD160 ||
	    !gnutls_sign_is_secure2((gnutls_sign_algorithm_t)sig,
	    GNUTLS_SIGN_FLAG_SECURE_FOR_CERTS))
		return mtls_vfy_reject(err, MTLS_E_CERT_WEAK_SIGNATURE, c,
		    depth, gnutls_sign_get_name((gnutls_sign_algorithm_t)sig));
	return 0;
}

int
mtls_vfy_check_key(gnutls_x509_crt_t c, size_t depth, enum mtls_profile p,
    struct mtls_err *err)
{
	static const gnutls_sec_param_t need[] = {
		GNUTLS_SEC_PARAM_MEDIUM, GNUTLS_SEC_PARAM_MEDIUM,
		GNUTLS_SEC_PARAM_HIGH, GNUTLS_SEC_PARAM_ULTRA,
		GNUTLS_SEC_PARAM_FUTURE
	};
	unsigned bits = 0;
	int algo = gnutls_x509_crt_get_pk_algorithm(c, &bits);
	char extra[128];

	if (algo <= 0)
		return mtls_vfy_reject(err, MTLS_E_CERT_WEAK_KEY, c, depth,
		    "unknown public key algorithm");
	if (gnutls_pk_bits_to_sec_param((gnutls_pk_algorithm_t)algo, bits) <
	    need[p]) {
		snprintf(extra, sizeof(extra), "%s %u bits; the %s profile "
		    "needs at least %u", gnutls_pk_get_name(
		    (gnutls_pk_algorithm_t)algo), bits, mtls_profile_name(p),
		    gnutls_sec_param_to_pk_bits((gnutls_pk_algorithm_t)algo,
		    need[p]));
		return mtls_vfy_reject(err, MTLS_E_CERT_WEAK_KEY, c, depth,
		    extra);
	}
	return 0;
}

/*
 * An anchor or intermediate: CA:TRUE in critical basic constraints,
 * keyCertSign, a subject key id, and a subject (RFC 5280 4.1.2.6,
 * 4.2.1.9).
 */
int
mtls_vfy_check_ca(gnutls_x509_crt_t c, size_t depth, const char *role,
    struct mtls_err *err)
{
	unsigned crit = 0, ca = 0, ku = 0;
	int pathlen = -1, r;
	unsigned char id[64];
	size_t sz = sizeof(id);

	r = gnutls_x509_crt_get_basic_constraints(c, &crit, &ca, &pathlen);
	if (r < 0 || !ca)
		return mtls_vfy_reject(err, MTLS_E_CERT_ISSUER_NOT_CA, c, depth,
		    role);
	if (!crit)
		return mtls_vfy_reject(err, MTLS_E_CERT_BC_NOT_CRITICAL, c,
		    depth, role);
	if (gnutls_x509_crt_get_key_usage(c, &ku, &crit) < 0 ||
	    (ku & GNUTLS_KEY_KEY_CERT_SIGN) == 0)
		return mtls_vfy_reject(err, MTLS_E_CERT_ISSUER_NO_CERTSIGN, c,
		    depth, role);
	if (gnutls_x509_crt_get_subject_key_id(c, id, &sz, &crit) < 0 ||
	    sz == 0)
		return mtls_vfy_reject(err, MTLS_E_CERT_NO_SKI, c, depth, role);
	/* Children name it as their issuer, which may not be empty. */
	if (mtls_vfy_subject_empty(c))
		return mtls_vfy_reject(err, MTLS_E_CERT_CA_EMPTY_SUBJECT, c,
		    depth, role);
	return 0;
}

/*
 * Whether c has the extension oid: 1 with its criticality in *crit, 0
 * when it has none, or a negative GnuTLS code when it cannot be read.
 */
static int
ext_critical(gnutls_x509_crt_t c, const char *oid, unsigned *crit)
{
	gnutls_datum_t d = { NULL, 0 };
	int r;

	*crit = 0;
	r = gnutls_x509_crt_get_extension_by_oid2(c, oid, 0, &d, crit);
	gnutls_free(d.data);
	if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
		return 0;
	return r < 0 ? r : 1;
}

/* A positive serial number (RFC 5280 4.1.2.2). */
static int
check_serial(gnutls_x509_crt_t c, size_t depth, struct mtls_err *err)
{
	unsigned char buf[64];
	size_t sz = sizeof(buf), i;

	if (gnutls_x509_crt_get_serial(c, buf, &sz) < 0 || sz == 0)
		return mtls_vfy_reject(err, MTLS_E_CERT_MALFORMED, c, depth,
		    "unreadable serial number");
	/* The octets of a two's complement INTEGER, as encoded. */
	if (buf[0] & 0x80)
		return mtls_vfy_reject(err, MTLS_E_CERT_BAD_SERIAL, c, depth,
		    "negative");
	for (i = 0; i < sz; i++)
		if (buf[i] != 0)
			return 0;
	return mtls_vfy_reject(err, MTLS_E_CERT_BAD_SERIAL, c, depth, "zero");
}

/*
 * Criticality RFC 5280 prescribes, for extensions mtls does not check
 * otherwise: authorityKeyIdentifier and authorityInfoAccess never
 * critical (4.2.1.1, 4.2.2.1), policyConstraints always (4.2.1.11).
 */
static int
check_criticality(gnutls_x509_crt_t c, size_t depth, struct mtls_err *err)
{
	static const struct {
		const char	*oid;
		const char	*name;
		unsigned	 must;	/* the criticality required */
		int		 code;
	} rules[] = {
		{ OID_AKI, "authorityKeyIdentifier", 0,
		    MTLS_E_CERT_AKI_CRITICAL },
		{ OID_AIA, "authorityInfoAccess", 0,
		    MTLS_E_CERT_AIA_CRITICAL },
		{ OID_POLICY_CONS, "policyConstraints", 1,
		    MTLS_E_CERT_POLICY_NOT_CRITICAL },
	};
	char extra[64];
	unsigned crit;
	size_t i;
	int r;

	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		r = ext_critical(c, rules[i].oid, &crit);
		if (r < 0) {
			snprintf(extra, sizeof(extra), "unreadable %s",
			    rules[i].name);
			return mtls_vfy_reject(err, MTLS_E_CERT_MALFORMED, c,
			    depth, extra);
		}
		if (r > 0 && (crit != 0) != rules[i].must)
			return mtls_vfy_reject(err, rules[i].code, c, depth,
			    NULL);
	}
	return 0;
}

/* The authority key id of c (not self-signed) must match its issuer's. */
static int
check_akid(gnutls_x509_crt_t c, gnutls_x509_crt_t issuer, size_t depth,
    struct mtls_err *err)
{
	unsigned char a[64], s[64];
	size_t asz = sizeof(a), ssz = sizeof(s);
	unsigned crit;

	/* RFC 5280 4.2.1.2: a CA's key id is what children point at. */
	if (gnutls_x509_crt_get_subject_key_id(issuer, s, &ssz, &crit) < 0 ||
	    ssz == 0)
		return mtls_vfy_reject(err, MTLS_E_CERT_NO_SKI, issuer,
		    depth + 1, NULL);
	if (gnutls_x509_crt_get_authority_key_id(c, a, &asz, &crit) < 0 ||
	    asz == 0)
		return mtls_vfy_reject(err, MTLS_E_CERT_NO_AKI, c, depth, NULL);
	/* mtls_vfy_akid_matches(), on the identifiers just read. */
	if (asz != ssz || memcmp(a, s, asz) != 0)
		return mtls_vfy_reject(err, MTLS_E_CERT_AKI_MISMATCH, c, depth,
		    NULL);
	return 0;
}

/*
 * 1 when the extended key usage of c lists oid (or, with any,
 * anyExtendedKeyUsage), else 0; *any_eku says whether c has one at all.
 * An unreadable extension returns -1; its purposes read up to then count.
 */
static int
has_purpose(gnutls_x509_crt_t c, const char *oid, int any, int *any_eku)
{
	char buf[128];
	size_t sz;
	unsigned i, crit;
	int r;

	*any_eku = 0;
	for (i = 0; i < 64; i++) {
		sz = sizeof(buf);
		r = gnutls_x509_crt_get_key_purpose_oid(c, i, buf, &sz, &crit);
		if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			return 0;
		if (r < 0)
			return -1;
		*any_eku = 1;
		if (strcmp(buf, oid) == 0 ||
		    (any && strcmp(buf, OID_EKU_ANY) == 0))
			return 1;
	}
	return 0;
}

/*
 * A CA whose extended key usage lists neither the purpose nor
 * anyExtendedKeyUsage may not issue for that purpose, and neither may the
 * CAs below it; a CA without the extension is unrestricted.
 */
static int
check_issuer_purpose(gnutls_x509_crt_t c, size_t depth,
    enum mtls_purpose purpose, struct mtls_err *err)
{
	const char *oid;
	int any_eku = 0, r;

	if (purpose == MTLS_PURPOSE_ANY)
		return 0;
	oid = purpose == MTLS_PURPOSE_SERVER ? OID_EKU_SERVER : OID_EKU_CLIENT;
	if ((r = has_purpose(c, oid, 1, &any_eku)) < 0)
		return mtls_vfy_reject(err, MTLS_E_CERT_MALFORMED, c, depth,
		    "unreadable extended key usage");
	if (r > 0 || !any_eku)
		return 0;
	return mtls_vfy_reject(err, MTLS_E_CERT_ISSUER_PURPOSE, c, depth,
	    purpose == MTLS_PURPOSE_SERVER ? "no serverAuth" : "no clientAuth");
}

static int
check_leaf(gnutls_x509_crt_t c, enum mtls_purpose purpose,
    struct mtls_err *err)
{
	unsigned crit = 0, ca = 0, ku = 0;
	int pathlen = -1, any_eku = 0, r;
	const char *oid;

	r = gnutls_x509_crt_get_basic_constraints(c, &crit, &ca, &pathlen);
	if (r >= 0 && ca)
		return mtls_vfy_reject(err, MTLS_E_CERT_LEAF_IS_CA, c, 0, NULL);
	r = gnutls_x509_crt_get_key_usage(c, &ku, &crit);
	if (r >= 0) {
		if (ku & GNUTLS_KEY_KEY_CERT_SIGN)
			return mtls_vfy_reject(err, MTLS_E_CERT_LEAF_CERTSIGN,
			    c, 0, NULL);
		if ((ku & GNUTLS_KEY_DIGITAL_SIGNATURE) == 0)
			return mtls_vfy_reject(err, MTLS_E_CERT_KEY_USAGE, c, 0,
			    NULL);
	} else if (r != GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
		return mtls_vfy_reject(err, MTLS_E_CERT_MALFORMED, c, 0,
		    "unreadable keyUsage");
	if (purpose == MTLS_PURPOSE_ANY)
		return 0;
	oid = purpose == MTLS_PURPOSE_SERVER ? OID_EKU_SERVER : OID_EKU_CLIENT;
	if (has_purpose(c, oid, 0, &any_eku) > 0)
		return 0;
	if (!any_eku)
		return mtls_vfy_reject(err, MTLS_E_CERT_NO_EKU, c, 0,
		    purpose == MTLS_PURPOSE_SERVER ? "serverAuth is required" :
		    "clientAuth is required");
	return mtls_vfy_reject(err, MTLS_E_CERT_PURPOSE, c, 0,
	    purpose == MTLS_PURPOSE_SERVER ? "no serverAuth" : "no clientAuth");
}

int
mtls_vfy_check_times(gnutls_x509_crt_t *path, size_t len, time_t now,
    struct mtls_err *err)
{
	char when[32], extra[64];
	time_t nb, na;
	size_t i;

	for (i = 0; i < len; i++) {
		nb = gnutls_x509_crt_get_activation_time(path[i]);
		na = gnutls_x509_crt_get_expiration_time(path[i]);
		if (nb == (time_t)-1 || na == (time_t)-1)
			return mtls_vfy_reject(err, MTLS_E_CERT_MALFORMED,
			    path[i], i, "unreadable validity dates");
		if (now < nb) {
			mtls_format_time(nb, when, sizeof(when));
			snprintf(extra, sizeof(extra), "valid from %s", when);
			return mtls_vfy_reject(err, MTLS_E_CERT_NOT_YET_VALID,
			    path[i], i, extra);
		}
		if (now > na) {
			mtls_format_time(na, when, sizeof(when));
			snprintf(extra, sizeof(extra), "expired at %s", when);
			return mtls_vfy_reject(err, MTLS_E_CERT_EXPIRED,
			    path[i], i, extra);
		}
	}
	return 0;
}

/* A certificate below the anchor, c at depth, issued by issuer. */
static int
check_issued(gnutls_x509_crt_t c, gnutls_x509_crt_t issuer, size_t depth,
    struct mtls_err *err)
{
	int r;

	if ((r = check_signature_alg(c, depth, err)) != 0 ||
	    (r = check_serial(c, depth, err)) != 0 ||
	    (r = check_criticality(c, depth, err)) != 0 ||
	    (r = mtls_vfy_check_sans(c, depth, err)) != 0 ||
	    (r = check_akid(c, issuer, depth, err)) != 0)
		return r;
	return 0;
}

/* Static checks of every certificate in the path. */
int
mtls_vfy_check_profile(const struct mtls_verifier *v, gnutls_x509_crt_t *path,
    size_t len, enum mtls_purpose purpose, struct mtls_err *err)
{
	size_t i;
	int r;

	for (i = 0; i < len; i++) {
		int anchor = i + 1 == len;

		if ((r = check_version(path[i], i, err)) != 0 ||
		    (r = mtls_vfy_check_key(path[i], i, v->profile, err)) != 0)
			return r;
		if (!anchor &&
		    (r = check_issued(path[i], path[i + 1], i, err)) != 0)
			return r;
		if (i == 0 && (r = check_leaf(path[i], purpose, err)) != 0)
			return r;
		if (i > 0 && ((r = mtls_vfy_check_ca(path[i], i,
		    anchor ? "trust anchor" : "intermediate", err)) != 0 ||
		    (r = check_issuer_purpose(path[i], i, purpose, err)) != 0))
			return r;
	}
	return 0;
}
