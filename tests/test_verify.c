/*
 * test_verify.c - the verification policy, one row per way a chain can be
 * wrong, on the generated test PKI at a fixed time.
 */
#include "config.h"

#include <fcntl.h>
#include <limits.h>

#include <gnutls/gnutls.h>

#include "crlindex.h"
#include "fixtures.h"
#include "identity.h"
#include "testlib.h"
#include "util.h"
#include "verify.h"
#include "verify_int.h"

#define MAXF 6

struct row {
	const char	*leaf;		/* PEM: leaf, maybe followed by a chain */
	const char	*inter[MAXF];	/* configured intermediates */
	const char	*crl[MAXF];	/* configured CRLs */
	const char	*anchor;	/* NULL: root.pem */
	enum mtls_purpose purpose;	/* 0: client */
	int		 crl_optional;
	long		 max_age;
	enum mtls_profile profile;	/* 0: medium */
	time_t		 at;		/* 0: FX_NOW */
	int		 expect;
};

#define STD_CRLS { "root.crl", "inter.crl" }
#define INTER { "inter.pem" }

static const struct row rows[] = {
	/* accepted */
	{ "leaf-good.pem", INTER, STD_CRLS, 0, 0, 0, 0, 0, 0, 0 },
	{ "leaf-bob.pem", INTER, STD_CRLS, 0, 0, 0, 0, 0, 0, 0 },
	{ "leaf-rsa2048.pem", INTER, STD_CRLS, 0, 0, 0, 0, 0, 0, 0 },
	{ "leaf-ed25519.pem", INTER, STD_CRLS, 0, 0, 0, 0, 0, 0, 0 },
	{ "leaf-direct.pem", { NULL }, { "root.crl" }, 0, 0, 0, 0, 0, 0, 0 },
	{ "server-good.pem", INTER, STD_CRLS, 0, MTLS_PURPOSE_SERVER, 0, 0,
	    0, 0, 0 },
	{ "leaf-good.pem", INTER, STD_CRLS, 0, MTLS_PURPOSE_ANY, 0, 0, 0, 0,
	    0 },
	{ "leaf-noeku.pem", INTER, STD_CRLS, 0, MTLS_PURPOSE_ANY, 0, 0, 0, 0,
	    0 },
	{ "leaf-good.pem", INTER, { NULL }, 0, 0, 1, 0, 0, 0, 0 },
	{ "leaf-good.pem", INTER, STD_CRLS, 0, 0, 0, 0, MTLS_PROFILE_HIGH, 0,
	    0 },
	{ "leaf-good.pem", INTER, { "root.crl", "inter-old.crl" }, 0, 0, 0, 0,
	    0, 0, 0 },
	{ "leaf-good.pem", INTER, STD_CRLS, 0, 0, 0, 0, 0, FX_CRL_THIS, 0 },
	{ "leaf-good.pem", INTER, STD_CRLS, 0, 0, 0, 0, 0, FX_CRL_NEXT, 0 },
	{ "leaf-other.pem", { NULL }, { "other-root.crl" }, "other-root.pem",
	    0, 0, 0, 0, 0, 0 },
	/* CAs whose extended key usage allows the purpose, or any */
	{ "leaf-eku-client-ca.pem", { "inter-eku-client.pem" }, { "root.crl" },
	    0, 0, 1, 0, 0, 0, 0 },
	{ "leaf-eku-any-ca.pem", { "inter-eku-any.pem" }, { "root.crl" }, 0, 0,
	    1, 0, 0, 0, 0 },
	{ "server-eku-server-ca.pem", { "inter-eku-server.pem" },
	    { "root.crl" }, 0, MTLS_PURPOSE_SERVER, 1, 0, 0, 0, 0 },
	{ "leaf-eku-server-ca.pem", { "inter-eku-server.pem" }, { "root.crl" },
	    0, MTLS_PURPOSE_ANY, 1, 0, 0, 0, 0 },
	/* a non-critical authorityInfoAccess; an empty subject, critical SAN */
	{ "leaf-aia.pem", INTER, STD_CRLS, 0, 0, 0, 0, 0, 0, 0 },
	{ "leaf-empty-dn.pem", INTER, STD_CRLS, 0, 0, 0, 0, 0, 0, 0 },

	/* the certificate itself */
	{ "leaf-expired.pem", INTER, STD_CRLS, 0, 0, 0, 0, 0, 0,
	    MTLS_E_CERT_EXPIRED },
	{ "leaf-good.pem", INTER, STD_CRLS, 0, 0, 1, 0, 0, FX_LEAF_TO + 1,
	    MTLS_E_CERT_EXPIRED },
	{ "leaf-notyet.pem", INTER, STD_CRLS, 0, 0, 0, 0, 0, 0,
	    MTLS_E_CERT_NOT_YET_VALID },
	{ "leaf-good.pem", INTER, STD_CRLS, 0, 0, 0, 0, 0, FX_LEAF_FROM - 1,
	    MTLS_E_CERT_NOT_YET_VALID },
	{ "leaf-other.pem", INTER, STD_CRLS, 0, 0, 0, 0, 0, 0,
	    MTLS_E_CERT_UNTRUSTED },
	{ "leaf-good.pem", { NULL }, STD_CRLS, 0, 0, 0, 0, 0, 0,
	    MTLS_E_CERT_UNTRUSTED },
	{ "leaf-impostor.pem", INTER, STD_CRLS, 0, 0, 0, 0, 0, 0,
	    MTLS_E_CERT_SIGNATURE },
	{ "leaf-noeku.pem", INTER, STD_CRLS, 0, 0, 0, 0, 0, 0,
	    MTLS_E_CERT_NO_EKU },
	{ "leaf-server-eku.pem", INTER, STD_CRLS, 0, 0, 0, 0, 0, 0,
	    MTLS_E_CERT_PURPOSE },
	{ "leaf-good.pem", INTER, STD_CRLS, 0, MTLS_PURPOSE_SERVER, 0, 0, 0,
	    0, MTLS_E_CERT_PURPOSE },
	{ "leaf-ca.pem", INTER, STD_CRLS, 0, 0, 0, 0, 0, 0,
	    MTLS_E_CERT_LEAF_IS_CA },
	{ "leaf-certsign.pem", INTER, STD_CRLS, 0, 0, 0, 0, 0, 0,
	    MTLS_E_CERT_LEAF_CERTSIGN },
	{ "leaf-no-ds.pem", INTER, STD_CRLS, 0, 0, 0, 0, 0, 0,
	    MTLS_E_CERT_KEY_USAGE },
	{ "leaf-sha1.pem", INTER, STD_CRLS, 0, 0, 0, 0, 0, 0,
	    MTLS_E_CERT_WEAK_SIGNATURE },
	{ "leaf-rsa1024.pem", INTER, STD_CRLS, 0, 0, 0, 0, 0, 0,
	    MTLS_E_CERT_WEAK_KEY },
	{ "leaf-rsa2048.pem", INTER, STD_CRLS, 0, 0, 0, 0, MTLS_PROFILE_HIGH,
	    0, MTLS_E_CERT_WEAK_KEY },
	{ "leaf-good.pem", INTER, STD_CRLS, 0, 0, 0, 0, MTLS_PROFILE_ULTRA, 0,
	    MTLS_E_CERT_WEAK_KEY },
	{ "leaf-noaki.pem", INTER, STD_CRLS, 0, 0, 0, 0, 0, 0,
	    MTLS_E_CERT_NO_AKI },
	{ "leaf-akimismatch.pem", INTER, STD_CRLS, 0, 0, 0, 0, 0, 0,
	    MTLS_E_CERT_AKI_MISMATCH },
	{ "leaf-badsan.pem", INTER, STD_CRLS, 0, 0, 0, 0, 0, 0,
	    MTLS_E_CERT_BAD_SAN },
	{ "leaf-v1.pem", INTER, STD_CRLS, 0, 0, 0, 0, 0, 0,
	    MTLS_E_CERT_VERSION },
	{ "leaf-critext.pem", INTER, STD_CRLS, 0, 0, 0, 0, 0, 0,
	    MTLS_E_CERT_CRITICAL_EXT },
	{ "leaf-aki-crit.pem", INTER, STD_CRLS, 0, 0, 0, 0, 0, 0,
	    MTLS_E_CERT_AKI_CRITICAL },
	{ "leaf-aia-crit.pem", INTER, STD_CRLS, 0, 0, 0, 0, 0, 0,
	    MTLS_E_CERT_AIA_CRITICAL },
	{ "leaf-ip-dns.pem", INTER, STD_CRLS, 0, 0, 0, 0, 0, 0,
	    MTLS_E_CERT_IP_AS_DNS },
	{ "leaf-empty-dn-san-noncrit.pem", INTER, STD_CRLS, 0, 0, 0, 0, 0, 0,
	    MTLS_E_CERT_SAN_NOT_CRITICAL },
	{ "leaf-serial-zero.pem", INTER, STD_CRLS, 0, 0, 0, 0, 0, 0,
	    MTLS_E_CERT_BAD_SERIAL },
	{ "leaf-serial-neg.pem", INTER, STD_CRLS, 0, 0, 0, 0, 0, 0,
	    MTLS_E_CERT_BAD_SERIAL },
	/* GnuTLS cannot parse them: rejected, not an error */
	{ "leaf-san-garbage.pem", INTER, STD_CRLS, 0, 0, 0, 0, 0, 0,
	    MTLS_E_CERT_MALFORMED },
	{ "leaf-dup-san.pem", INTER, STD_CRLS, 0, 0, 0, 0, 0, 0,
	    MTLS_E_CERT_MALFORMED },
	{ "leaf-sig-mismatch.pem", INTER, STD_CRLS, 0, 0, 0, 0, 0, 0,
	    MTLS_E_CERT_MALFORMED },

	/* the chain */
	{ "leaf-deep.pem", { "deep-chain.pem" }, { "root.crl", "deep-a.crl",
	    "deep-b.crl", "deep-c.crl" }, 0, 0, 0, 0, 0, 0,
	    MTLS_E_CERT_TOO_DEEP },
	{ "leaf-pl0.pem", { "pl0-chain.pem" }, { "root.crl" }, 0, 0, 1, 0, 0,
	    0, MTLS_E_CERT_CONSTRAINTS },
	{ "leaf-notca-issuer.pem", { "inter-notca.pem" }, { "root.crl" }, 0,
	    0, 1, 0, 0, 0, MTLS_E_CERT_ISSUER_NOT_CA },
	{ "leaf-nocertsign-issuer.pem", { "inter-nocertsign.pem" },
	    { "root.crl" }, 0, 0, 1, 0, 0, 0, MTLS_E_CERT_ISSUER_NO_CERTSIGN },
	{ "leaf-noski-issuer.pem", { "inter-noski.pem" }, { "root.crl" }, 0,
	    0, 1, 0, 0, 0, MTLS_E_CERT_NO_SKI },
	{ "leaf-notca-root.pem", { NULL }, { NULL }, "root-notca.pem", 0, 1,
	    0, 0, 0, MTLS_E_CERT_ISSUER_NOT_CA },
	/* an EKU without the purpose on a CA binds everything below it */
	{ "leaf-eku-server-ca.pem", { "inter-eku-server.pem" }, { "root.crl" },
	    0, 0, 1, 0, 0, 0, MTLS_E_CERT_ISSUER_PURPOSE },
	{ "leaf-eku-server-sub.pem", { "inter-eku-server.pem",
	    "sub-eku-server.pem" }, { "root.crl" }, 0, 0, 1, 0, 0, 0,
	    MTLS_E_CERT_ISSUER_PURPOSE },
	{ "server-eku-client-ca.pem", { "inter-eku-client.pem" },
	    { "root.crl" }, 0, MTLS_PURPOSE_SERVER, 1, 0, 0, 0,
	    MTLS_E_CERT_ISSUER_PURPOSE },
	{ "leaf-eku-server-root.pem", { NULL }, { NULL },
	    "root-eku-server.pem", 0, 1, 0, 0, 0, MTLS_E_CERT_ISSUER_PURPOSE },
	{ "leaf-empty-dn-issuer.pem", { "inter-empty-dn.pem" }, { "root.crl" },
	    0, 0, 1, 0, 0, 0, MTLS_E_CERT_CA_EMPTY_SUBJECT },
	{ "leaf-bc-noncrit-issuer.pem", { "inter-bc-noncrit.pem" },
	    { "root.crl" }, 0, 0, 1, 0, 0, 0, MTLS_E_CERT_BC_NOT_CRITICAL },
	{ "leaf-policy-noncrit-issuer.pem", { "inter-policy-noncrit.pem" },
	    { "root.crl" }, 0, 0, 1, 0, 0, 0, MTLS_E_CERT_POLICY_NOT_CRITICAL },
	/* critical, it is still not processed: GnuTLS refuses it */
	{ "leaf-policy-issuer.pem", { "inter-policy.pem" }, { "root.crl" }, 0,
	    0, 1, 0, 0, 0, MTLS_E_CERT_CRITICAL_EXT },

	/* revocation */
	{ "leaf-revoked.pem", INTER, STD_CRLS, 0, 0, 0, 0, 0, 0,
	    MTLS_E_CERT_REVOKED },
	{ "leaf-revoked.pem", INTER, STD_CRLS, 0, 0, 1, 0, 0, 0,
	    MTLS_E_CERT_REVOKED },
	{ "leaf-good.pem", INTER, { "root.crl" }, 0, 0, 0, 0, 0, 0,
	    MTLS_E_CRL_MISSING },
	{ "leaf-good.pem", INTER, { "inter.crl" }, 0, 0, 0, 0, 0, 0,
	    MTLS_E_CRL_MISSING },
	{ "leaf-good.pem", INTER, { "root.crl", "inter-stale.crl" }, 0, 0, 0,
	    0, 0, 0, MTLS_E_CRL_STALE },
	{ "leaf-good.pem", INTER, { "root.crl", "inter-stale.crl" }, 0, 0, 1,
	    0, 0, 0, MTLS_E_CRL_STALE },
	{ "leaf-good.pem", INTER, STD_CRLS, 0, 0, 0, 0, 0, FX_CRL_NEXT + 1,
	    MTLS_E_CRL_STALE },
	{ "leaf-good.pem", INTER, { "root.crl", "inter-old.crl" }, 0, 0, 0,
	    30 * 86400, 0, 0, MTLS_E_CRL_STALE },
	{ "leaf-good.pem", INTER, { "root.crl", "inter-notyet.crl" }, 0, 0, 0,
	    0, 0, 0, MTLS_E_CRL_NOT_YET_VALID },
	{ "leaf-good.pem", INTER, { "root.crl", "inter-forged.crl" }, 0, 0, 0,
	    0, 0, 0, MTLS_E_CRL_SIGNATURE },
	{ "leaf-good.pem", INTER, { "root.crl", "inter.crl",
	    "inter-forged.crl" }, 0, 0, 1, 0, 0, 0, MTLS_E_CRL_SIGNATURE },
	{ "leaf-good.pem", INTER, { "root.crl", "inter.crl", "other-root.crl" },
	    0, 0, 0, 0, 0, 0, MTLS_E_CRL_NO_ISSUER },

	/*
	 * The leaf presented with another certificate of its CA (same name
	 * and key): reissued, or cross-certified by Deep A.  The CA's CRL
	 * applies whichever copy the path goes through.
	 */
	{ "leaf-good-reissue.pem", INTER, STD_CRLS, 0, 0, 0, 0, 0, 0, 0 },
	{ "leaf-revoked-reissue.pem", INTER, STD_CRLS, 0, 0, 0, 0, 0, 0,
	    MTLS_E_CERT_REVOKED },
	{ "leaf-revoked-reissue.pem", INTER, STD_CRLS, 0, 0, 1, 0, 0, 0,
	    MTLS_E_CERT_REVOKED },
	{ "leaf-revoked-cross.pem", { "inter.pem", "inter-a.pem" },
	    { "root.crl", "deep-a.crl", "inter.crl" }, 0, 0, 0, 0, 0, 0,
	    MTLS_E_CERT_REVOKED },
	{ "leaf-revoked-cross.pem", { "inter.pem", "inter-a.pem" },
	    { "root.crl", "deep-a.crl", "inter.crl" }, 0, 0, 1, 0, 0, 0,
	    MTLS_E_CERT_REVOKED },

	/* CRLs that cannot be used: every verification fails */
	{ "leaf-good.pem", INTER, { "root.crl", "inter-bad-critext.crl" }, 0,
	    0, 0, 0, 0, 0, MTLS_E_CRL_CRITICAL_EXT },
	{ "leaf-good.pem", INTER, { "root.crl", "inter.crl",
	    "inter-bad-critext.crl" }, 0, 0, 1, 0, 0, 0,
	    MTLS_E_CRL_CRITICAL_EXT },
	{ "leaf-good.pem", INTER, { "root.crl", "inter-bad-entry-critext.crl" },
	    0, 0, 0, 0, 0, 0, MTLS_E_CRL_CRITICAL_EXT },
	{ "leaf-good.pem", INTER, { "root.crl", "inter-bad-nonumber.crl" }, 0,
	    0, 0, 0, 0, 0, MTLS_E_CRL_NUMBER },
	{ "leaf-good.pem", INTER, { "root.crl", "inter-bad-critnumber.crl" }, 0,
	    0, 0, 0, 0, 0, MTLS_E_CRL_NUMBER },

	/* CRLs of limited scope clear nothing (crl_required counts them out) */
	{ "leaf-good.pem", INTER, { "root.crl", "inter-delta.crl" }, 0, 0, 0, 0,
	    0, 0, MTLS_E_CRL_MISSING },
	{ "leaf-good.pem", INTER, { "root.crl", "inter-cas.crl" }, 0, 0, 0, 0,
	    0, 0, MTLS_E_CRL_MISSING },
	{ "leaf-good.pem", INTER, { "root.crl", "inter-attrs.crl" }, 0, 0, 0, 0,
	    0, 0, MTLS_E_CRL_MISSING },
	{ "leaf-good.pem", INTER, { "root.crl", "inter-reasons.crl" }, 0, 0, 0,
	    0, 0, 0, MTLS_E_CRL_MISSING },
	{ "leaf-good.pem", INTER, { "root.crl", "inter-dp.crl" }, 0, 0, 0, 0,
	    0, 0, MTLS_E_CRL_MISSING },
	{ "leaf-good.pem", INTER, { "root.crl", "inter-indirect.crl" }, 0, 0, 0,
	    0, 0, 0, MTLS_E_CRL_MISSING },
	/* onlyContainsUserCerts: not for the intermediate below the root */
	{ "leaf-good.pem", INTER, { "root-users.crl", "inter.crl" }, 0, 0, 0, 0,
	    0, 0, MTLS_E_CRL_MISSING },
	/* ...but for the leaf, through the reissued intermediate */
	{ "leaf-good-reissue.pem", INTER, { "root.crl", "inter-users.crl" }, 0,
	    0, 0, 0, 0, 0, 0 },
	/* a limited CRL beside a complete one changes nothing */
	{ "leaf-good-reissue.pem", INTER, { "root.crl", "inter.crl",
	    "inter-delta.crl" }, 0, 0, 0, 0, 0, 0, 0 },
	/* a serial a limited CRL lists is still refused */
	{ "leaf-revoked-reissue.pem", INTER, { "root.crl",
	    "inter-cas-revoked.crl" }, 0, 0, 1, 0, 0, 0, MTLS_E_CERT_REVOKED },
	/* unknown non-critical extensions and a reasonCode are fine */
	{ "leaf-good-reissue.pem", INTER, { "root.crl", "inter-raw.crl" }, 0, 0,
	    0, 0, 0, 0, 0 },
	{ "leaf-revoked-reissue.pem", INTER, { "root.crl", "inter-raw.crl" }, 0,
	    0, 0, 0, 0, 0, MTLS_E_CERT_REVOKED },
};

/* The crl_cache directory of the verifiers made; NULL: crl_cache none. */
static const char *g_cache;

static struct mtls_verifier *
make_verifier(const struct row *r, struct mtls_err *err)
{
	struct mtls_conf *c = NULL;
	struct mtls_verifier *v = NULL;
	int i;

	ck_assert_int_eq(mtls_conf_new(&c), 0);
	ck_assert_int_eq(mtls_conf_list_add(&c->anchors, &c->n_anchors,
	    fx(r->anchor != NULL ? r->anchor : "root.pem")), 0);
	for (i = 0; i < MAXF && r->inter[i] != NULL; i++)
		ck_assert_int_eq(mtls_conf_list_add(&c->intermediates,
		    &c->n_intermediates, fx(r->inter[i])), 0);
	for (i = 0; i < MAXF && r->crl[i] != NULL; i++)
		ck_assert_int_eq(mtls_conf_list_add(&c->crls, &c->n_crls,
		    fx(r->crl[i])), 0);
	c->crl_required = !r->crl_optional;
	c->crl_max_age = r->max_age;
	if (r->profile != 0)
		c->profile = r->profile;
	if (g_cache != NULL)
		c->crl_cache = strdup(g_cache);
	else
		c->crl_cache_off = 1;
	ck_assert_int_eq(mtls_verifier_new(c, &v, err), 0);
	mtls_conf_free(c);
	return v;
}

static void
check_row(int _i, struct mtls_verifier *v)
{
	const struct row *r = &rows[_i];
	struct mtls_err err = { 0, "" };
	struct mtls_chain_info info;
	gnutls_x509_crt_t *crts = NULL;
	unsigned n = 0;
	int got;

	memset(&info, 0, sizeof(info));
	/* A certificate GnuTLS cannot parse is rejected as it is loaded. */
	got = mtls_load_crts(fx(r->leaf), "certificate", 0, &crts, &n, &err);
	if (got == 0)
		got = mtls_verify_crts(v, crts, n, r->at != 0 ? r->at : FX_NOW,
		    r->purpose, &err, &info);
	ck_assert_msg(got == r->expect, "row %d %s: expected %s, got %s (%s)",
	    _i, r->leaf, mtls_errname(r->expect), mtls_errname(got),
	    err.msg);
	if (got != 0) {
		/* The message names the reason an administrator reads. */
		ck_assert_ptr_nonnull(strstr(err.msg, mtls_strerror(got)));
		ck_assert(mtls_error_is_rejection(got));
	} else {
		ck_assert_uint_ge(info.n, 2);
		ck_assert_ptr_nonnull(strstr(info.subject[info.n - 1],
		    "Root CA"));
	}
	mtls_chain_info_clear(&info);
	mtls_crts_free(crts, n);
}

START_TEST(test_row)
{
	struct mtls_err err = { 0, "" };
	struct mtls_verifier *v = make_verifier(&rows[_i], &err);

	check_row(_i, v);
	mtls_verifier_free(v);
}
END_TEST

/*
 * Every row again with a CRL index directory: the first verifier parses
 * the CRLs and writes an index for each file whose CRLs all verified; the
 * second maps those indexes instead of parsing, and every answer
 * (revoked, stale, forged, missing...) must be the same.
 */
START_TEST(test_row_indexed)
{
	const struct row *r = &rows[_i];
	struct mtls_err err = { 0, "" };
	struct mtls_verifier *v;
	char *dir = tl_row_dir("indexed", _i);
	const char *path;
	size_t i, k, nc, ns, nc2, ns2;
	int src[MAXF], src2;

	g_cache = dir;
	/*
	 * No settle time: -1, not 0, since a file's ctime comes from a
	 * finer clock than time(2) and may be a second ahead of it.
	 */
	mtls_crlidx_settle = -1;
	v = make_verifier(r, &err);
	check_row(_i, v);
	k = mtls_verifier_crl_files(v);
	for (i = 0; i < k; i++) {
		src[i] = mtls_verifier_crl_file(v, i, &path, &nc, &ns);
		ck_assert_int_ne(src[i], MTLS_CRL_FROM_INDEX);
	}
	mtls_verifier_free(v);

	v = make_verifier(r, &err);
	check_row(_i, v);
	ck_assert_uint_eq(mtls_verifier_crl_files(v), k);
	for (i = 0; i < k; i++) {
		src2 = mtls_verifier_crl_file(v, i, &path, &nc2, &ns2);
		/* Written the first time means read the second time. */
		ck_assert_int_eq(src2, src[i] == MTLS_CRL_FROM_FILE_INDEXED ?
		    MTLS_CRL_FROM_INDEX : MTLS_CRL_FROM_FILE);
		/* a forged or unusable CRL is never indexed */
		if (strstr(path, "forged") != NULL ||
		    strstr(path, "-bad-") != NULL)
			ck_assert_int_eq(src2, MTLS_CRL_FROM_FILE);
	}
	mtls_verifier_free(v);
	g_cache = NULL;
	free(dir);
}
END_TEST

/* An intermediate presented by the peer, not configured, is used. */
START_TEST(test_presented_chain)
{
	static const struct row r = { "leaf-good.pem", { NULL }, STD_CRLS, 0,
	    0, 0, 0, 0, 0, 0 };
	struct mtls_err err = { 0, "" };
	struct mtls_verifier *v = make_verifier(&r, &err);
	gnutls_x509_crt_t *leaf = NULL, *inter = NULL, chain[2];
	gnutls_datum_t der[2] = { { NULL, 0 }, { NULL, 0 } };
	unsigned nl = 0, ni = 0;

	ck_assert_int_eq(mtls_load_crts(fx("leaf-good.pem"), "c", 0, &leaf,
	    &nl, &err), 0);
	ck_assert_int_eq(mtls_load_crts(fx("inter.pem"), "c", 0, &inter, &ni,
	    &err), 0);
	chain[0] = leaf[0];
	chain[1] = inter[0];
	/*
	 * A CRL is only trusted when its issuer is configured: with inter.crl
	 * configured but inter.pem not, every verification is denied.
	 */
	ck_assert_int_eq(mtls_verify_crts(v, chain, 2, FX_NOW, 0, &err, NULL),
	    MTLS_E_CRL_NO_ISSUER);
	mtls_verifier_free(v);

	{
		static const struct row r2 = { "leaf-good.pem", { NULL },
		    { "root.crl" }, 0, 0, 1, 0, 0, 0, 0 };

		v = make_verifier(&r2, &err);
	}
	ck_assert_int_eq(mtls_verify_crts(v, chain, 2, FX_NOW, 0, &err, NULL),
	    0);
	/* The same as DER, the way a TLS peer presents it. */
	ck_assert_int_eq(gnutls_x509_crt_export2(leaf[0], GNUTLS_X509_FMT_DER,
	    &der[0]), 0);
	ck_assert_int_eq(gnutls_x509_crt_export2(inter[0], GNUTLS_X509_FMT_DER,
	    &der[1]), 0);
	ck_assert_int_eq(mtls_verify_der(v, der, 2, FX_NOW, 0, &err, NULL), 0);
	ck_assert_int_eq(mtls_verify_der(v, der, 1, FX_NOW, 0, &err, NULL),
	    MTLS_E_CERT_UNTRUSTED);
	/* Garbage instead of a certificate. */
	der[1].data[der[1].size / 2] ^= 0xff;
	der[1].size /= 2;
	ck_assert_int_eq(mtls_verify_der(v, der, 2, FX_NOW, 0, &err, NULL),
	    MTLS_E_CERT_MALFORMED);
	ck_assert_int_eq(mtls_verify_der(v, der, 0, FX_NOW, 0, &err, NULL),
	    MTLS_E_INVAL);
	gnutls_free(der[0].data);
	gnutls_free(der[1].data);
	mtls_crts_free(leaf, nl);
	mtls_crts_free(inter, ni);
	mtls_verifier_free(v);
}
END_TEST

/*
 * mtls_verify_der_leaf(): the verdict of mtls_verify_der(), and the leaf
 * as it was judged, whatever the verdict; an identity taken from it is
 * the one the DER gives.
 */
START_TEST(test_der_leaf)
{
	static const struct row r = { "leaf-good.pem", INTER, STD_CRLS, 0, 0,
	    0, 0, 0, 0, 0 };
	struct mtls_err err = { 0, "" };
	struct mtls_verifier *v = make_verifier(&r, &err);
	struct mtls_identity *a = NULL, *b = NULL;
	struct mtls_chain_info info;
	gnutls_x509_crt_t *crts = NULL, leaf = NULL;
	gnutls_datum_t der[2] = { { NULL, 0 }, { NULL, 0 } }, back;
	unsigned char fp[32];
	size_t sz = sizeof(fp);
	unsigned n = 0, i;
	char *subj = NULL;

	ck_assert_int_eq(mtls_load_crts(fx("leaf-good.pem"), "c", 0, &crts,
	    &n, &err), 0);
	ck_assert_int_eq(gnutls_x509_crt_export2(crts[0], GNUTLS_X509_FMT_DER,
	    &der[0]), 0);
	mtls_crts_free(crts, n);
	ck_assert_int_eq(mtls_load_crts(fx("inter.pem"), "c", 0, &crts, &n,
	    &err), 0);
	ck_assert_int_eq(gnutls_x509_crt_export2(crts[0], GNUTLS_X509_FMT_DER,
	    &der[1]), 0);
	mtls_crts_free(crts, n);

	/* Accepted: the leaf, and the path's fingerprints without subjects. */
	ck_assert_int_eq(mtls_verify_der_leaf(v, der, 2, FX_NOW, 0, &err,
	    &info, &leaf), 0);
	ck_assert_ptr_nonnull(leaf);
	ck_assert_int_eq(gnutls_x509_crt_export2(leaf, GNUTLS_X509_FMT_DER,
	    &back), 0);
	ck_assert_uint_eq(back.size, der[0].size);
	ck_assert_mem_eq(back.data, der[0].data, back.size);
	gnutls_free(back.data);
	ck_assert_uint_ge(info.n, 2);
	for (i = 0; i < info.n; i++)
		ck_assert_ptr_null(info.subject[i]);
	ck_assert_int_eq(gnutls_x509_crt_get_fingerprint(leaf,
	    GNUTLS_DIG_SHA256, fp, &sz), 0);
	ck_assert_mem_eq(info.fingerprint[0], fp, sizeof(fp));

	ck_assert_int_eq(mtls_identity_from_leaf(leaf, &info, &a, &err), 0);
	ck_assert_int_eq(mtls_identity_from_der(&der[0], &b, &err), 0);
	ck_assert_str_eq(a->subject, b->subject);
	ck_assert_int_eq(mtls_identity_subject(leaf, &subj), 0);
	ck_assert_str_eq(subj, b->subject);
	free(subj);
	ck_assert_str_eq(a->issuer, b->issuer);
	ck_assert_str_eq(a->serial, b->serial);
	ck_assert_mem_eq(a->fingerprint, b->fingerprint, sizeof(fp));
	ck_assert_str_eq(a->fingerprint_hex, b->fingerprint_hex);
	ck_assert_uint_eq(a->cn.n, b->cn.n);
	ck_assert_int_eq(mtls_identity_set_path(a, &info, &err), 0);
	mtls_identity_free(a);
	mtls_identity_free(b);
	mtls_chain_info_clear(&info);
	gnutls_x509_crt_deinit(leaf);
	leaf = NULL;

	/* Refused, the leaf still comes back (for the log). */
	ck_assert_int_eq(mtls_verify_der_leaf(v, der, 2, FX_NOW + 100L *
	    365 * 86400, 0, &err, &info, &leaf), MTLS_E_CERT_EXPIRED);
	ck_assert_ptr_nonnull(leaf);
	ck_assert_int_eq(mtls_identity_from_leaf(leaf, &info, &a, &err), 0);
	ck_assert_mem_eq(a->fingerprint, fp, sizeof(fp));
	mtls_identity_free(a);
	mtls_chain_info_clear(&info);
	gnutls_x509_crt_deinit(leaf);
	leaf = NULL;

	/* A leaf that does not parse comes back as none. */
	der[0].size /= 2;
	ck_assert_int_eq(mtls_verify_der_leaf(v, der, 2, FX_NOW, 0, &err,
	    &info, &leaf), MTLS_E_CERT_MALFORMED);
	ck_assert_ptr_null(leaf);
	a = (struct mtls_identity *)&err;	/* reset to NULL on failure */
	ck_assert_int_eq(mtls_identity_from_leaf(NULL, &info, &a, &err),
	    MTLS_E_INVAL);
	ck_assert_ptr_null(a);
	mtls_chain_info_clear(&info);

	gnutls_free(der[0].data);
	gnutls_free(der[1].data);
	mtls_verifier_free(v);
}
END_TEST

/* Certificates GnuTLS cannot parse, each for its own reason. */
static const char *const malformed[] = {
	"leaf-san-garbage.pem",		/* a SAN that is not DER */
	"leaf-dup-san.pem",		/* two SAN extensions */
	"leaf-sig-mismatch.pem"		/* two signature algorithms */
};

/*
 * Presented by a TLS peer, such a certificate is a rejection; configured
 * as a trust anchor, an error of the configuration.
 */
START_TEST(test_malformed_der)
{
	static const struct row r = { "leaf-good.pem", INTER, STD_CRLS, 0, 0,
	    0, 0, 0, 0, 0 };
	struct mtls_err err = { 0, "" };
	struct mtls_verifier *v = make_verifier(&r, &err);
	gnutls_datum_t pem = { NULL, 0 }, der = { NULL, 0 };
	gnutls_x509_crt_t *crts = NULL;
	unsigned n = 0;
	char *buf = NULL;
	size_t len = 0;

	ck_assert_int_eq(mtls_file_read_any(fx(malformed[_i]), "c", 65536,
	    &buf, &len, &err), 0);
	pem.data = (unsigned char *)buf;
	pem.size = (unsigned)len;
	ck_assert_int_eq(gnutls_pem_base64_decode2("CERTIFICATE", &pem,
	    &der), 0);
	ck_assert_int_eq(mtls_verify_der(v, &der, 1, FX_NOW, 0, &err, NULL),
	    MTLS_E_CERT_MALFORMED);
	ck_assert_int_eq(mtls_load_crts(fx(malformed[_i]), "c", 0, &crts, &n,
	    &err), MTLS_E_CERT_MALFORMED);
	ck_assert_ptr_nonnull(strstr(err.msg, malformed[_i]));
	ck_assert_int_eq(mtls_load_crts(fx(malformed[_i]), "trust anchor", 1,
	    &crts, &n, &err), MTLS_E_BAD_PEM);
	ck_assert_ptr_null(crts);
	/* A file with no certificate at all is not a rejection either. */
	ck_assert_int_eq(mtls_load_crts(fx("root.crl"), "c", 0, &crts, &n,
	    &err), MTLS_E_BAD_PEM);
	gnutls_free(der.data);
	free(buf);
	mtls_verifier_free(v);
}
END_TEST

static void
count_problem(void *ctx, int code, const char *msg)
{
	int *codes = ctx;
	size_t i;

	(void)msg;
	for (i = 0; codes[i] != 0; i++)
		;
	codes[i] = code;
}

/* `mtls config check` names the CAs that break a CA structure rule. */
START_TEST(test_problems_ca)
{
	static const struct row r = { "leaf-good.pem", { "inter.pem",
	    "inter-bc-noncrit.pem", "inter-empty-dn.pem" }, { "root.crl" }, 0,
	    0, 1, 0, 0, 0, 0 };
	struct mtls_err err = { 0, "" };
	struct mtls_verifier *v = make_verifier(&r, &err);
	int codes[8] = { 0 };

	ck_assert_uint_eq(mtls_verifier_problems(v, FX_NOW, count_problem,
	    codes), 2);
	ck_assert_int_eq(codes[0], MTLS_E_CERT_BC_NOT_CRITICAL);
	ck_assert_int_eq(codes[1], MTLS_E_CERT_CA_EMPTY_SUBJECT);
	mtls_verifier_free(v);
}
END_TEST

/* Files the verifier cannot load are errors at construction. */
START_TEST(test_load_errors)
{
	struct mtls_conf *c = NULL;
	struct mtls_verifier *v = NULL;
	struct mtls_err err = { 0, "" };
	char *dir = tl_mkdtemp(), *bad, *loose;

	ck_assert_int_eq(mtls_conf_new(&c), 0);
	ck_assert_int_eq(mtls_verifier_new(c, &v, &err), MTLS_E_NO_ANCHOR);
	ck_assert_ptr_null(v);
	ck_assert_int_eq(mtls_conf_list_add(&c->anchors, &c->n_anchors,
	    "/nonexistent/root.pem"), 0);
	ck_assert_int_eq(mtls_verifier_new(c, &v, &err), MTLS_E_FILE_MISSING);
	ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent/root.pem"));

	bad = tl_write(dir, "bad.pem", "not a certificate\n", 18, 0644);
	mtls_conf_list_clear(&c->anchors, &c->n_anchors);
	ck_assert_int_eq(mtls_conf_list_add(&c->anchors, &c->n_anchors, bad),
	    0);
	ck_assert_int_eq(mtls_verifier_new(c, &v, &err), MTLS_E_BAD_PEM);

	loose = tl_write(dir, "loose.pem", "x", 1, 0666);
	mtls_conf_list_clear(&c->anchors, &c->n_anchors);
	ck_assert_int_eq(mtls_conf_list_add(&c->anchors, &c->n_anchors,
	    loose), 0);
	ck_assert_int_eq(mtls_verifier_new(c, &v, &err), MTLS_E_FILE_MODE);

	/* A CRL file that is not a CRL fails every verification. */
	mtls_conf_list_clear(&c->anchors, &c->n_anchors);
	ck_assert_int_eq(mtls_conf_list_add(&c->anchors, &c->n_anchors,
	    fx("root.pem")), 0);
	ck_assert_int_eq(mtls_conf_list_add(&c->crls, &c->n_crls, bad), 0);
	c->crl_required = 0;
	ck_assert_int_eq(mtls_verifier_new(c, &v, &err), 0);
	{
		gnutls_x509_crt_t *crts = NULL;
		unsigned n = 0;

		ck_assert_int_eq(mtls_load_crts(fx("leaf-direct.pem"), "c", 0,
		    &crts, &n, &err), 0);
		ck_assert_int_eq(mtls_verify_crts(v, crts, n, FX_NOW, 0, &err,
		    NULL), MTLS_E_CRL_MALFORMED);
		mtls_crts_free(crts, n);
	}
	mtls_verifier_free(v);
	free(bad);
	free(loose);
	mtls_conf_free(c);
	tl_rmdir(dir);
}
END_TEST

/* --- the revocation index: binding to its CRL file -------------------- */

/*
 * A verifier trusting root.pem (and inter, when not NULL) with root.crl
 * and crl, its index directory cache (none when NULL), crl_whole_max
 * whole_max, and the one-pass read of CRLs on or off (stream).
 */
static struct mtls_verifier *
crl_verifier_with(const char *cache, const char *inter, const char *crl,
    enum mtls_profile profile, size_t whole_max, int stream)
{
	struct mtls_conf *c = NULL;
	struct mtls_verifier *v = NULL;
	struct mtls_err err = { 0, "" };

	ck_assert_int_eq(mtls_conf_new(&c), 0);
	ck_assert_int_eq(mtls_conf_list_add(&c->anchors, &c->n_anchors,
	    fx("root.pem")), 0);
	if (inter != NULL)
		ck_assert_int_eq(mtls_conf_list_add(&c->intermediates,
		    &c->n_intermediates, fx(inter)), 0);
	ck_assert_int_eq(mtls_conf_list_add(&c->crls, &c->n_crls,
	    fx("root.crl")), 0);
	ck_assert_int_eq(mtls_conf_list_add(&c->crls, &c->n_crls, crl), 0);
	if (cache != NULL)
		c->crl_cache = strdup(cache);
	else
		c->crl_cache_off = 1;
	if (profile != 0)
		c->profile = profile;
	c->crl_whole_max = whole_max;
	mtls_vfy_crl_stream = stream;
	ck_assert_int_eq(mtls_verifier_new(c, &v, &err), 0);
	mtls_vfy_crl_stream = 1;
	mtls_conf_free(c);
	return v;
}

static struct mtls_verifier *
index_verifier(const char *cache, const char *inter, const char *crl,
    enum mtls_profile profile)
{
	return crl_verifier_with(cache, inter, crl, profile, 0, 1);
}

/* Source of the second configured file (the CRL under test). */
static int
src_of(const struct mtls_verifier *v)
{
	const char *path;
	size_t nc, ns;

	return mtls_verifier_crl_file(v, 1, &path, &nc, &ns);
}

static int
verify_leaf(const struct mtls_verifier *v, const char *leaf)
{
	struct mtls_err err = { 0, "" };
	gnutls_x509_crt_t *crts = NULL;
	unsigned n = 0;
	int r;

	ck_assert_int_eq(mtls_load_crts(fx(leaf), "c", 0, &crts, &n, &err), 0);
	r = mtls_verify_crts(v, crts, n, FX_NOW, 0, &err, NULL);
	mtls_crts_free(crts, n);
	return r;
}

/* Replace dst with a copy of fixture src by rename, as an update would. */
static void
install_crl(const char *dir, const char *src, const char *dst)
{
	char cmd[8192];

	snprintf(cmd, sizeof(cmd), "cp '%s' '%s/.new' && mv '%s/.new' '%s'",
	    fx(src), dir, dir, dst);
	ck_assert_int_eq(system(cmd), 0);
}

static void
poke(const char *path, off_t off, unsigned char x)
{
	int fd = open(path, O_RDWR);
	unsigned char b;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, &b, 1, off), 1);
	b ^= x;
	ck_assert_int_eq(pwrite(fd, &b, 1, off), 1);
	close(fd);
}

/* Lookups across many blocks: every listed serial found, no other. */
START_TEST(test_index_lookup)
{
	static const size_t counts[] = { 0, 1, 63, 64, 65, 4097, 20000 };
	char *dir = tl_row_dir("lookup", _i), ipath[PATH_MAX];
	size_t n = counts[_i], i, k;
	struct mtls_serial *s = calloc(n + 1, sizeof(*s)), probe;
	struct mtls_crlidx_sect sect;
	struct mtls_crlidx *idx = NULL;
	struct mtls_err err = { 0, "" };
	unsigned char sum[32] = { 0 };
	struct stat st;
	uint32_t x = 2463534242u;

	ck_assert_ptr_nonnull(s);
	/* Serials of 1 to 20 octets, even last octet: odd ones are absent. */
	for (i = 0; i < n; i++) {
		s[i].len = (unsigned char)(1 + i % 20);
		for (k = 0; k < s[i].len; k++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			s[i].b[k] = (unsigned char)x;
		}
		if (s[i].len > 1 && s[i].b[0] == 0)
			s[i].b[0] = 1;
		s[i].b[s[i].len - 1] &= 0xfe;
		if (s[i].len == 1 && s[i].b[0] == 0)
			s[i].b[0] = 2;	/* so that serial 0 is below all */
	}
	qsort(s, n, sizeof(*s), mtls_serial_cmp);
	for (i = k = 0; i < n; i++)	/* drop duplicates */
		if (k == 0 || mtls_serial_cmp(&s[k - 1], &s[i]) != 0)
			s[k++] = s[i];
	n = k;
	memset(&sect, 0, sizeof(sect));
	sect.serials = s;
	sect.n = n;
	sect.next_update = -1;
	ck_assert_int_eq(stat(dir, &st), 0);
	snprintf(ipath, sizeof(ipath), "%s/idx", dir);
	ck_assert_int_eq(mtls_crlidx_write(ipath, &st, 0, sum, &sect, 1,
	    &err), 0);
	ck_assert_int_eq(mtls_crlidx_open(ipath, &st, 0, &idx, &err), 0);
	ck_assert_int_eq(mtls_crlidx_check_data(idx, &err), 0);
	ck_assert_uint_eq(mtls_crlidx_sect(idx, 0)->n, n);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(mtls_crlidx_lookup(idx, 0, &s[i]), 1);
		probe = s[i];
		probe.b[probe.len - 1] |= 1;
		ck_assert_int_eq(mtls_crlidx_lookup(idx, 0, &probe), 0);
	}
	memset(&probe, 0, sizeof(probe));
	probe.len = 1;			/* below every serial */
	ck_assert_int_eq(mtls_crlidx_lookup(idx, 0, &probe), 0);
	probe.len = 20;			/* above every serial */
	memset(probe.b, 0xff, 20);
	ck_assert_int_eq(mtls_crlidx_lookup(idx, 0, &probe), 0);
	ck_assert_int_eq(mtls_crlidx_lookup(idx, 1, &probe), MTLS_E_INVAL);
	mtls_crlidx_close(idx);
	free(s);
	free(dir);
}
END_TEST

START_TEST(test_index_binding)
{
	char *dir = tl_row_dir("binding", 0), cache[PATH_MAX], crl[PATH_MAX];
	char ipath[PATH_MAX];
	struct mtls_verifier *v;
	struct mtls_crlidx *idx = NULL;
	struct mtls_err err = { 0, "" };
	struct stat st;

	/* A CRL changed within mtls_crlidx_settle seconds is not indexed. */
	snprintf(crl, sizeof(crl), "%s/x.crl", dir);
	snprintf(cache, sizeof(cache), "%s/cache", dir);
	ck_assert_int_eq(mkdir(cache, 0755), 0);
	install_crl(dir, "inter.crl", crl);
	v = index_verifier(cache, "inter.pem", crl, 0);
	ck_assert_int_eq(src_of(v), MTLS_CRL_FROM_FILE_RECENT);
	mtls_verifier_free(v);
	ck_assert_int_eq(mtls_crlidx_path(cache, crl, ipath, sizeof(ipath)), 0);
	ck_assert_int_eq(access(ipath, F_OK), -1);
	mtls_crlidx_settle = -1;

	/* Built on first use, read on the next; revocations unchanged. */
	v = index_verifier(cache, "inter.pem", crl, 0);
	ck_assert_int_eq(src_of(v), MTLS_CRL_FROM_FILE_INDEXED);
	mtls_verifier_free(v);
	v = index_verifier(cache, "inter.pem", crl, 0);
	ck_assert_int_eq(src_of(v), MTLS_CRL_FROM_INDEX);
	ck_assert_int_eq(verify_leaf(v, "leaf-good.pem"), 0);
	ck_assert_int_eq(verify_leaf(v, "leaf-revoked.pem"),
	    MTLS_E_CERT_REVOKED);
	mtls_verifier_free(v);

	/* A new CRL file (here a stale one) makes the index obsolete. */
	install_crl(dir, "inter-stale.crl", crl);
	v = index_verifier(cache, "inter.pem", crl, 0);
	ck_assert_int_eq(src_of(v), MTLS_CRL_FROM_FILE_INDEXED);
	ck_assert_int_eq(verify_leaf(v, "leaf-good.pem"), MTLS_E_CRL_STALE);
	mtls_verifier_free(v);
	v = index_verifier(cache, "inter.pem", crl, 0);
	ck_assert_int_eq(src_of(v), MTLS_CRL_FROM_INDEX);
	ck_assert_int_eq(verify_leaf(v, "leaf-good.pem"), MTLS_E_CRL_STALE);
	mtls_verifier_free(v);

	/* A forged CRL is never indexed, and the old index is not used. */
	install_crl(dir, "inter-forged.crl", crl);
	for (int k = 0; k < 2; k++) {
		v = index_verifier(cache, "inter.pem", crl, 0);
		ck_assert_int_eq(src_of(v), MTLS_CRL_FROM_FILE);
		ck_assert_int_eq(verify_leaf(v, "leaf-good.pem"),
		    MTLS_E_CRL_SIGNATURE);
		mtls_verifier_free(v);
	}

	/* Rewriting the CRL in place (same size, same name) counts too. */
	install_crl(dir, "inter.crl", crl);
	v = index_verifier(cache, "inter.pem", crl, 0);
	ck_assert_int_eq(src_of(v), MTLS_CRL_FROM_FILE_INDEXED);
	mtls_verifier_free(v);
	usleep(30000);		/* more than a clock tick */
	poke(crl, 0, 0);	/* same bytes, new mtime and ctime */
	v = index_verifier(cache, "inter.pem", crl, 0);
	ck_assert_int_eq(src_of(v), MTLS_CRL_FROM_FILE_INDEXED);
	mtls_verifier_free(v);

	/* A damaged header, a truncated or loose index: parsed again. */
	poke(ipath, 100, 0x01);
	v = index_verifier(cache, "inter.pem", crl, 0);
	ck_assert_int_eq(src_of(v), MTLS_CRL_FROM_FILE_INDEXED);
	ck_assert_int_eq(verify_leaf(v, "leaf-revoked.pem"),
	    MTLS_E_CERT_REVOKED);
	mtls_verifier_free(v);
	ck_assert_int_eq(truncate(ipath, 150), 0);
	v = index_verifier(cache, "inter.pem", crl, 0);
	ck_assert_int_eq(src_of(v), MTLS_CRL_FROM_FILE_INDEXED);
	mtls_verifier_free(v);
	ck_assert_int_eq(chmod(ipath, 0666), 0);
	v = index_verifier(cache, "inter.pem", crl, 0);
	ck_assert_int_eq(src_of(v), MTLS_CRL_FROM_FILE_INDEXED);
	mtls_verifier_free(v);
	ck_assert_int_eq(stat(ipath, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0644);

	/* Built under another security profile: not used. */
	v = index_verifier(cache, "inter.pem", crl, MTLS_PROFILE_HIGH);
	ck_assert_int_eq(src_of(v), MTLS_CRL_FROM_FILE_INDEXED);
	mtls_verifier_free(v);
	v = index_verifier(cache, "inter.pem", crl, 0);
	ck_assert_int_eq(src_of(v), MTLS_CRL_FROM_FILE_INDEXED);
	mtls_verifier_free(v);

	/* Its CA no longer configured: parsed, and denied as before. */
	v = index_verifier(cache, NULL, crl, 0);
	ck_assert_int_eq(src_of(v), MTLS_CRL_FROM_FILE);
	ck_assert_int_eq(verify_leaf(v, "leaf-direct.pem"),
	    MTLS_E_CRL_NO_ISSUER);
	mtls_verifier_free(v);

	/* A directory others may write to is neither read nor written. */
	ck_assert_int_eq(chmod(cache, 0777), 0);
	v = index_verifier(cache, "inter.pem", crl, 0);
	ck_assert_int_eq(src_of(v), MTLS_CRL_FROM_FILE);
	ck_assert_int_eq(verify_leaf(v, "leaf-revoked.pem"),
	    MTLS_E_CERT_REVOKED);
	mtls_verifier_free(v);
	ck_assert_int_eq(chmod(cache, 0755), 0);

	/* A flipped serial is found by the O(n) check of `mtls crl update`. */
	v = index_verifier(cache, "inter.pem", crl, 0);
	ck_assert_int_eq(src_of(v), MTLS_CRL_FROM_INDEX);
	mtls_verifier_free(v);
	ck_assert_int_eq(stat(crl, &st), 0);
	ck_assert_int_eq(mtls_crlidx_open(ipath, &st, MTLS_PROFILE_MEDIUM,
	    &idx, &err), 0);
	ck_assert_int_eq(mtls_crlidx_check_data(idx, &err), 0);
	ck_assert_uint_eq(mtls_crlidx_count(idx), 1);
	ck_assert_uint_ge(mtls_crlidx_sect(idx, 0)->n, 1);
	mtls_crlidx_close(idx);
	ck_assert_int_eq(stat(ipath, &st), 0);
	poke(ipath, st.st_size - 1, 0x80);
	ck_assert_int_eq(stat(crl, &st), 0);
	ck_assert_int_eq(mtls_crlidx_open(ipath, &st, MTLS_PROFILE_MEDIUM,
	    &idx, &err), 0);
	ck_assert_int_eq(mtls_crlidx_check_data(idx, &err), MTLS_E_CRL_INDEX);
	mtls_crlidx_close(idx);
	/* ...and for another profile or another CRL the index is refused. */
	ck_assert_int_eq(mtls_crlidx_open(ipath, &st, MTLS_PROFILE_HIGH,
	    &idx, &err), MTLS_E_CRL_INDEX);
	ck_assert_ptr_null(idx);
	st.st_size++;
	ck_assert_int_eq(mtls_crlidx_open(ipath, &st, MTLS_PROFILE_MEDIUM,
	    &idx, &err), MTLS_E_CRL_INDEX);

	/* A symbolic link in place of the index is not followed. */
	ck_assert_int_eq(unlink(ipath), 0);
	ck_assert_int_eq(symlink(fx("inter.crl"), ipath), 0);
	ck_assert_int_eq(stat(crl, &st), 0);
	ck_assert_int_eq(mtls_crlidx_open(ipath, &st, MTLS_PROFILE_MEDIUM,
	    &idx, &err), MTLS_E_CRL_INDEX);
	free(dir);
}
END_TEST

/* --- CRL files read in one pass, and what a login may parse ------------ */

/* dir/name: a CRL of the intermediate with count entries, by tests/mkcrl. */
static void
make_crl(const char *dir, const char *name, size_t count, const char *opts)
{
	char cmd[16384], *fxd = strdup(fx(""));

	ck_assert_ptr_nonnull(fxd);
	snprintf(cmd, sizeof(cmd), "cd '%s' && ../mkcrl %s --this %ld "
	    "--next %ld --revoke leaf-revoked.pem inter.pem inter.key %zu "
	    "'%s/%s'", fxd, opts, (long)FX_CRL_THIS, (long)FX_CRL_NEXT, count,
	    dir, name);
	ck_assert_int_eq(system(cmd), 0);
	free(fxd);
}

/* A verifier of the intermediate's CRL path, as a login or a tool makes. */
static struct mtls_verifier *
crl_verifier(const char *crl, const char *cache, size_t whole_max,
    int stream)
{
	return crl_verifier_with(cache, "inter.pem", crl, 0, whole_max,
	    stream);
}

/*
 * A login reads a large CRL without an index in one pass, in bounded
 * memory; one that would have to be parsed whole (here: lengths in a
 * long form) is refused with crl-not-indexed, until mtls crl update (no
 * bound) has indexed it.
 */
START_TEST(test_crl_login_bound)
{
	const size_t login = MTLS_CRL_LOGIN_WHOLE_MAX;
	char *dir = tl_row_dir("login", 0), big[PATH_MAX], odd[PATH_MAX];
	char cache[PATH_MAX];
	struct mtls_verifier *v;
	struct stat st;

	snprintf(big, sizeof(big), "%s/big.crl", dir);
	snprintf(odd, sizeof(odd), "%s/odd.crl", dir);
	snprintf(cache, sizeof(cache), "%s/cache", dir);
	make_crl(dir, "big.crl", 40000, "--der");
	make_crl(dir, "odd.crl", 40000, "--der --long-length");
	ck_assert_int_eq(stat(odd, &st), 0);
	ck_assert_int_gt(st.st_size, (off_t)login);

	v = crl_verifier(big, NULL, login, 1);
	ck_assert_int_eq(verify_leaf(v, "leaf-good.pem"), 0);
	ck_assert_int_eq(verify_leaf(v, "leaf-revoked.pem"),
	    MTLS_E_CERT_REVOKED);
	mtls_verifier_free(v);

	v = crl_verifier(odd, NULL, login, 1);
	ck_assert_int_eq(verify_leaf(v, "leaf-good.pem"), MTLS_E_CRL_UNINDEXED);
	ck_assert_int_eq(verify_leaf(v, "leaf-revoked.pem"),
	    MTLS_E_CRL_UNINDEXED);
	mtls_verifier_free(v);

	/* Without the bound it is parsed whole, and indexed. */
	ck_assert_int_eq(mkdir(cache, 0755), 0);
	mtls_crlidx_settle = -1;
	v = crl_verifier(odd, cache, 0, 1);
	ck_assert_int_eq(src_of(v), MTLS_CRL_FROM_FILE_INDEXED);
	ck_assert_int_eq(verify_leaf(v, "leaf-good.pem"), 0);
	mtls_verifier_free(v);
	v = crl_verifier(odd, cache, login, 1);
	ck_assert_int_eq(src_of(v), MTLS_CRL_FROM_INDEX);
	ck_assert_int_eq(verify_leaf(v, "leaf-good.pem"), 0);
	ck_assert_int_eq(verify_leaf(v, "leaf-revoked.pem"),
	    MTLS_E_CERT_REVOKED);
	mtls_verifier_free(v);
	mtls_crlidx_settle = 2;

	/* Beyond MTLS_CRL_LOGIN_READ_FACTOR times the bound, not at all. */
	v = crl_verifier(big, NULL, login / 64, 1);
	ck_assert_int_eq(verify_leaf(v, "leaf-good.pem"), MTLS_E_CRL_UNINDEXED);
	mtls_verifier_free(v);
	v = crl_verifier(big, NULL, login / 32, 1);
	ck_assert_int_eq(verify_leaf(v, "leaf-good.pem"), 0);
	mtls_verifier_free(v);
	free(dir);
}
END_TEST

/*
 * The index written from a CRL read in one pass answers as the serials
 * of the same CRL parsed whole: the same count, every serial listed, and
 * a neighbour of each not (the generated serials are far apart).
 */
START_TEST(test_crl_stream_same)
{
	static const char *const opts[] = { "", "--der", "--unsorted",
	    "--duplicate --der" };
	char *dir = tl_row_dir("same", _i), crl[PATH_MAX], cache[PATH_MAX];
	char ipath[PATH_MAX];
	struct mtls_verifier *whole, *v;
	struct mtls_crlidx *idx = NULL;
	struct mtls_err err = { 0, "" };
	const struct crl *c;
	struct mtls_serial probe;
	struct stat st;
	size_t i;

	snprintf(crl, sizeof(crl), "%s/x.crl", dir);
	snprintf(cache, sizeof(cache), "%s/cache", dir);
	ck_assert_int_eq(mkdir(cache, 0755), 0);
	make_crl(dir, "x.crl", 5000, opts[_i]);
	mtls_crlidx_settle = -1;
	v = crl_verifier(crl, cache, 0, 1);
	ck_assert_int_eq(src_of(v), MTLS_CRL_FROM_FILE_INDEXED);
	mtls_verifier_free(v);
	mtls_crlidx_settle = 2;
	whole = crl_verifier(crl, NULL, 0, 0);
	ck_assert_uint_eq(whole->n_crls, 2);
	c = &whole->crls[1];
	ck_assert_int_eq(c->status, 0);
	ck_assert_uint_ge(c->n_serials, 5001);

	ck_assert_int_eq(stat(crl, &st), 0);
	ck_assert_int_eq(mtls_crlidx_path(cache, crl, ipath, sizeof(ipath)),
	    0);
	ck_assert_int_eq(mtls_crlidx_open(ipath, &st,
	    (unsigned)whole->profile, &idx, &err), 0);
	ck_assert_int_eq(mtls_crlidx_check_data(idx, &err), 0);
	ck_assert_uint_eq(mtls_crlidx_count(idx), 1);
	ck_assert_uint_eq(mtls_crlidx_sect(idx, 0)->n, c->n_serials);
	ck_assert_int_eq(mtls_crlidx_sect(idx, 0)->this_update,
	    c->this_update);
	ck_assert_int_eq(mtls_crlidx_sect(idx, 0)->next_update,
	    c->next_update);
	ck_assert_uint_eq(mtls_crlidx_sect(idx, 0)->scope, c->scope);
	ck_assert_mem_eq(mtls_crlidx_sect(idx, 0)->issuer, c->ca, 32);
	for (i = 0; i < c->n_serials; i++) {
		ck_assert_int_eq(mtls_crlidx_lookup(idx, 0, &c->serials[i]), 1);
		probe = c->serials[i];
		probe.b[probe.len - 1] ^= 0x80;
		ck_assert_int_eq(mtls_crlidx_lookup(idx, 0, &probe),
		    bsearch(&probe, c->serials, c->n_serials,
		    sizeof(probe), mtls_serial_cmp) != NULL);
	}
	mtls_crlidx_close(idx);
	mtls_verifier_free(whole);
	free(dir);
}
END_TEST

/* --- name constraints ---------------------------------------------------- */

/* A leaf under a constraining CA, CRLs optional, intermediates i1, i2. */
#define NC(l, i1, i2, e) { l, { i1, i2 }, { "root.crl" }, 0, 0, 1, 0, 0, 0, e }

static void
nc_rows(const struct row *t, size_t n)
{
	struct mtls_err err = { 0, "" };
	struct mtls_verifier *v;
	gnutls_x509_crt_t *crts;
	unsigned nc;
	size_t i;
	int got;

	for (i = 0; i < n; i++) {
		const struct row *r = &t[i];

		v = make_verifier(r, &err);
		crts = NULL;
		nc = 0;
		ck_assert_int_eq(mtls_load_crts(fx(r->leaf), "certificate", 0,
		    &crts, &nc, &err), 0);
		got = mtls_verify_crts(v, crts, nc, FX_NOW, r->purpose, &err,
		    NULL);
		ck_assert_msg(got == r->expect, "%s: expected %s, got %s (%s)",
		    r->leaf, mtls_errname(r->expect), mtls_errname(got),
		    err.msg);
		if (got != 0)
			ck_assert_ptr_nonnull(strstr(err.msg,
			    mtls_strerror(got)));
		mtls_crts_free(crts, nc);
		mtls_verifier_free(v);
	}
}

/*
 * directoryName subtrees, which GnuTLS ignores: the subject and directory
 * names of the subject alternative names, RDN by RDN, values compared as
 * RFC 4518 prepares them (case and spaces ignored, across string types:
 * the excluded subtree is a UTF8String, the subjects PrintableStrings),
 * and an excluded name this code cannot compare is taken as excluded.
 */
START_TEST(test_nc_dirname)
{
	static const struct row t[] = {
		NC("nc-dn-ok.pem", "nc-dn.pem", NULL, 0),
		NC("nc-dn-case.pem", "nc-dn.pem", NULL, 0),
		NC("nc-dn-deeper.pem", "nc-dn.pem", NULL, 0),
		NC("nc-dn-out.pem", "nc-dn.pem", NULL,
		    MTLS_E_CERT_NAME_NOT_PERMITTED),
		NC("nc-dn-notprefix.pem", "nc-dn.pem", NULL,
		    MTLS_E_CERT_NAME_NOT_PERMITTED),
		NC("nc-dn-san.pem", "nc-dn.pem", NULL,
		    MTLS_E_CERT_NAME_NOT_PERMITTED),
		NC("nc-dnx-evil.pem", "nc-dnx.pem", NULL,
		    MTLS_E_CERT_NAME_EXCLUDED),
		NC("nc-dnx-case.pem", "nc-dnx.pem", NULL,
		    MTLS_E_CERT_NAME_EXCLUDED),
		NC("nc-dnx-wide.pem", "nc-dnx.pem", NULL,
		    MTLS_E_CERT_NAME_EXCLUDED),
		/* the trust anchor's constraints hold too */
		{ "nc-root-ok.pem", { NULL }, { NULL }, "nc-root.pem", 0, 1, 0,
		    0, 0, 0 },
		{ "nc-root-out.pem", { NULL }, { NULL }, "nc-root.pem", 0, 1,
		    0, 0, 0, MTLS_E_CERT_NAME_NOT_PERMITTED },
	};

	struct mtls_err err = { 0, "" };
	struct mtls_verifier *v;
	int got;

	nc_rows(t, sizeof(t) / sizeof(t[0]));
	/*
	 * Outside the excluded subtree, so not ours to refuse; but GnuTLS
	 * 3.7 refuses everything below an excluded directoryName subtree.
	 */
	v = make_verifier(&t[6], &err);
	got = verify_leaf(v, "nc-dnx-good.pem");
	ck_assert_msg(got == 0 || got == MTLS_E_CERT_CONSTRAINTS, "%s",
	    mtls_errname(got));
	mtls_verifier_free(v);
}
END_TEST

/*
 * Every certificate below a constraining CA, intermediates included
 * (GnuTLS checks the leaf alone): their subjects and subject alternative
 * names of every form.
 */
START_TEST(test_nc_intermediates)
{
	static const struct row t[] = {
		NC("nc-dn-sub-leaf.pem", "nc-dn.pem", "nc-dn-sub.pem",
		    MTLS_E_CERT_NAME_NOT_PERMITTED),
		NC("nc-names-sub-dns-leaf.pem", "nc-names.pem",
		    "nc-names-sub-dns.pem", MTLS_E_CERT_NAME_NOT_PERMITTED),
		NC("nc-names-sub-email-leaf.pem", "nc-names.pem",
		    "nc-names-sub-email.pem", MTLS_E_CERT_NAME_NOT_PERMITTED),
		NC("nc-names-sub-ip-leaf.pem", "nc-names.pem",
		    "nc-names-sub-ip.pem", MTLS_E_CERT_NAME_NOT_PERMITTED),
		NC("nc-names-sub-excl-leaf.pem", "nc-names.pem",
		    "nc-names-sub-excl.pem", MTLS_E_CERT_NAME_EXCLUDED),
	};
	struct mtls_err err = { 0, "" };
	struct mtls_verifier *v;
	gnutls_x509_crt_t *crts = NULL;
	unsigned n = 0;

	nc_rows(t, sizeof(t) / sizeof(t[0]));
	/* the message names the intermediate, its depth and its name */
	v = make_verifier(&t[1], &err);
	ck_assert_int_eq(mtls_load_crts(fx("nc-names-sub-dns-leaf.pem"), "c",
	    0, &crts, &n, &err), 0);
	ck_assert_int_eq(mtls_verify_crts(v, crts, n, FX_NOW, 0, &err, NULL),
	    MTLS_E_CERT_NAME_NOT_PERMITTED);
	ck_assert_msg(strstr(err.msg, "Sub DNS CA") != NULL &&
	    strstr(err.msg, "(depth 1)") != NULL &&
	    strstr(err.msg, "\"ca.evil.org\"") != NULL, "%s", err.msg);
	mtls_crts_free(crts, n);
	mtls_verifier_free(v);
}
END_TEST

/* The other forms, where GnuTLS is lax or silent. */
START_TEST(test_nc_forms)
{
	static const struct row t[] = {
		NC("nc-names-ok.pem", "nc-names.pem", NULL, 0),
		NC("nc-names-dns.pem", "nc-names.pem", NULL,
		    MTLS_E_CERT_NAME_NOT_PERMITTED),
		NC("nc-names-excl.pem", "nc-names.pem", NULL,
		    MTLS_E_CERT_NAME_EXCLUDED),
		/* "*.example.com" stands for bad.example.com too */
		NC("nc-names-wild.pem", "nc-names.pem", NULL,
		    MTLS_E_CERT_NAME_EXCLUDED),
		/* only IPv4 subtrees: an IPv6 address is outside them */
		NC("nc-names-ip6.pem", "nc-names.pem", NULL,
		    MTLS_E_CERT_NAME_NOT_PERMITTED),
		NC("nc-names-email.pem", "nc-names.pem", NULL,
		    MTLS_E_CERT_NAME_NOT_PERMITTED),
		NC("nc-names-dnmail.pem", "nc-names.pem", NULL,
		    MTLS_E_CERT_NAME_NOT_PERMITTED),
		/* URI subtrees, and a URI without a host */
		NC("nc-names-urn.pem", "nc-names.pem", NULL,
		    MTLS_E_CERT_NAME_UNVERIFIABLE),
		/* otherName subtrees are not evaluated: a UPN is refused */
		NC("nc-upn-leaf.pem", "nc-upn.pem", NULL,
		    MTLS_E_CERT_NAME_UNVERIFIABLE),
		/* a host certificate's CN, when it has no dNSName */
		{ "nc-names-server.pem", { "nc-names.pem" }, { "root.crl" }, 0,
		    MTLS_PURPOSE_SERVER, 1, 0, 0, 0,
		    MTLS_E_CERT_NAME_NOT_PERMITTED },
	};

	nc_rows(t, sizeof(t) / sizeof(t[0]));
}
END_TEST

/*
 * Name constraints belong in CAs, marked critical (RFC 5280 4.2.1.10);
 * mtls refuses them elsewhere or not critical rather than guess.
 */
START_TEST(test_nc_placement)
{
	static const struct row t[] = {
		{ "nc-in-leaf.pem", INTER, STD_CRLS, 0, 0, 0, 0, 0, 0,
		    MTLS_E_CERT_NC_IN_LEAF },
		NC("nc-noncrit-leaf.pem", "nc-noncrit.pem", NULL,
		    MTLS_E_CERT_NC_NOT_CRITICAL),
	};

	nc_rows(t, sizeof(t) / sizeof(t[0]));
}
END_TEST

/* Malformed constraints, which GnuTLS takes as written or not at all. */
START_TEST(test_nc_malformed)
{
	static const struct row t[] = {
		NC("nc-bad-dot-leaf.pem", "nc-bad-dot.pem", NULL,
		    MTLS_E_CERT_NC_BAD),
		NC("nc-bad-empty-leaf.pem", "nc-bad-empty.pem", NULL,
		    MTLS_E_CERT_NC_BAD),
		NC("nc-bad-mask-leaf.pem", "nc-bad-mask.pem", NULL,
		    MTLS_E_CERT_NC_BAD),
		NC("nc-bad-min-leaf.pem", "nc-bad-min.pem", NULL,
		    MTLS_E_CERT_NC_BAD),
		NC("nc-bad-none-leaf.pem", "nc-bad-none.pem", NULL,
		    MTLS_E_CERT_NC_BAD),
	};

	nc_rows(t, sizeof(t) / sizeof(t[0]));
}
END_TEST

/*
 * The bounds: 64 subtrees and 64 names pass, one more of either is
 * refused, and so are two CAs whose 16 permitted subtrees each would
 * intersect into 256.
 */
START_TEST(test_nc_bounds)
{
	static const struct row t[] = {
		NC("nc-64-leaf.pem", "nc-64.pem", NULL, 0),
		NC("nc-65-leaf.pem", "nc-64.pem", NULL,
		    MTLS_E_CERT_NC_TOO_LARGE),
		NC("nc-many-leaf.pem", "nc-many.pem", NULL,
		    MTLS_E_CERT_NC_TOO_LARGE),
		NC("nc-prod-leaf.pem", "nc-prod-a.pem", "nc-prod-b.pem",
		    MTLS_E_CERT_NC_TOO_LARGE),
	};

	nc_rows(t, sizeof(t) / sizeof(t[0]));
}
END_TEST

/* Append tag, DER length and content to buf at *n. */
static void
der_put(unsigned char *buf, size_t *n, unsigned char tag, const void *p,
    size_t len)
{
	buf[(*n)++] = tag;
	if (len >= 0x100) {
		buf[(*n)++] = 0x82;
		buf[(*n)++] = (unsigned char)(len >> 8);
	} else if (len >= 0x80)
		buf[(*n)++] = 0x81;
	buf[(*n)++] = (unsigned char)len;
	memmove(buf + *n, p, len);
	*n += len;
}

/* A directoryName O=value, as GeneralName [4], appended to buf. */
static void
put_dirname(unsigned char *buf, size_t *n, const char *value)
{
	static const unsigned char o[] = { 0x55, 0x04, 0x0a };
	unsigned char a[512], b[512];
	size_t na = 0, nb = 0;

	der_put(a, &na, 0x06, o, sizeof(o));
	der_put(a, &na, 0x13, value, strlen(value));
	der_put(b, &nb, 0x30, a, na);		/* AttributeTypeAndValue */
	na = 0;
	der_put(a, &na, 0x31, b, nb);		/* RDN */
	nb = 0;
	der_put(b, &nb, 0x30, a, na);		/* Name */
	der_put(buf, n, 0xa4, b, nb);
}

/*
 * 64 names against 64 excluded directoryName subtrees: within the bounds
 * on names and subtrees, the octets compared decide.  Short values pass;
 * values of 200 octets are refused before a megabyte is read.
 */
START_TEST(test_nc_work)
{
	static unsigned char nc[65536], san[65536], tmp[65536];
	char value[256];
	size_t len[] = { 2, 200 }, k, i, nn, ns, nt;
	int want[] = { 0, MTLS_E_CERT_NC_TOO_LARGE };

	for (k = 0; k < 2; k++) {
		nt = ns = nn = 0;
		for (i = 0; i < 64; i++) {
			size_t one = 0;
			unsigned char st[512];

			memset(value, 'A', len[k]);
			snprintf(value + len[k], sizeof(value) - len[k], "%zu",
			    i);
			put_dirname(st, &one, value);
			der_put(tmp, &nt, 0x30, st, one);	/* subtree */
			memset(value, 'b', len[k]);
			value[len[k]] = '\0';
			put_dirname(san + 4, &ns, value);
		}
		der_put(nc + 4, &nn, 0xa1, tmp, nt);	/* excluded */
		nt = 0;
		der_put(tmp, &nt, 0x30, nc + 4, nn);
		memcpy(nc, tmp, nt);
		nn = nt;
		nt = 0;
		der_put(tmp, &nt, 0x30, san + 4, ns);
		memcpy(san, tmp, nt);
		ns = nt;
		ck_assert_int_eq(mtls_vfy_nc_match(nc, nn, san, ns), want[k]);
	}
}
END_TEST

/*
 * An index names the CA of each CRL by name and key, not by one of its
 * certificates: with the CA reissued in the configuration, the index
 * still serves, and applies to both certificates of the CA.
 */
START_TEST(test_index_ca_identity)
{
	char *dir = tl_row_dir("identity", 0), cache[PATH_MAX], crl[PATH_MAX];
	struct mtls_verifier *v;

	mtls_crlidx_settle = -1;
	snprintf(crl, sizeof(crl), "%s/x.crl", dir);
	snprintf(cache, sizeof(cache), "%s/cache", dir);
	ck_assert_int_eq(mkdir(cache, 0755), 0);
	install_crl(dir, "inter.crl", crl);
	v = index_verifier(cache, "inter.pem", crl, 0);
	ck_assert_int_eq(src_of(v), MTLS_CRL_FROM_FILE_INDEXED);
	mtls_verifier_free(v);
	v = index_verifier(cache, "inter-reissue.pem", crl, 0);
	ck_assert_int_eq(src_of(v), MTLS_CRL_FROM_INDEX);
	ck_assert_int_eq(verify_leaf(v, "leaf-good.pem"), 0);
	ck_assert_int_eq(verify_leaf(v, "leaf-revoked.pem"),
	    MTLS_E_CERT_REVOKED);
	ck_assert_int_eq(verify_leaf(v, "leaf-revoked-reissue.pem"),
	    MTLS_E_CERT_REVOKED);
	mtls_verifier_free(v);
	free(dir);
}
END_TEST

/* --- the walk over a CRL's extensions and its entries' ------------------ */

/* Extensions (Extension elements, hex) */
#define NUM		"300a0603551d140403020101"
#define CRITNUM		"300d0603551d140101ff0403020101"
#define NUM_NONMIN	"300b0603551d14040402020001"
#define NUM_NEG		"300a0603551d140403020180"
#define NUM_21		"301e0603551d14041702150100000000000000000000" \
			"00000000000000000000"
#define NUM_20HI	"301e0603551d14041702150080000000000000000000" \
			"00000000000000000000"
#define NUM_TRAIL	"300b0603551d14040402010100"
#define AKI		"301f0603551d2304183016801401010101010101010101" \
			"01010101010101010101"
#define AKI_CRIT	"30220603551d230101ff041830168014010101010101" \
			"0101010101010101010101010101"
#define UNK_CRIT	"301206092b0601040183b203010101ff04020500"
#define UNK		"300f06092b0601040183b2030104020500"
#define FRESHEST_CRIT	"300c0603551d2e0101ff04023000"
#define IDP_USERS	"300f0603551d1c0101ff040530038101ff"
#define IDP_USERS_NO	"300f0603551d1c0101ff04053003810100"
#define IDP_EMPTY	"300c0603551d1c0101ff04023000"
#define IDP_CAS		"300f0603551d1c0101ff040530038201ff"
#define IDP_BOTH	"30120603551d1c0101ff040830068101ff8201ff"
#define IDP_DP		"301b0603551d1c0101ff0411300fa00da00b8609687474" \
			"703a2f2f782f"
#define IDP_REASONS	"30100603551d1c0101ff0406300483020640"
#define IDP_INDIRECT	"300f0603551d1c0101ff040530038401ff"
#define IDP_ATTRS	"300f0603551d1c0101ff040530038501ff"
#define IDP_ORDER	"30120603551d1c0101ff040830068201ff8101ff"
#define IDP_TAG6	"300f0603551d1c0101ff040530038601ff"
#define IDP_DP_PRIM	"300f0603551d1c0101ff040530038001ff"
#define IDP_BOOL2	"30100603551d1c0101ff040630048102ffff"
#define IDP_TRAIL	"30100603551d1c0101ff040630038101ff00"
#define DELTA		"300d0603551d1b0101ff0403020101"
#define DELTA_BAD	"300d0603551d1b0101ff0403040101"
#define EXT_INDEF	"30800603551d6304000000"
#define EXT_LONG5	"308500000000050603551d63"
#define EXT_OVER	"30400603551d63"
#define EXT_HIGHTAG	"3f0100"
#define EXT_NOVALUE	"30050603551d63"
#define EXT_BOOLLEN	"300b0603551d630102ffff0400"
/* Entries (revokedCertificates elements, hex): serial 0102, a date */
#define E_HEAD		"02020102170d3235313232303030303030305a"
#define E_PLAIN		"3013" E_HEAD
#define E_REASON	"3021" E_HEAD "300c300a0603551d1504030a0101"
#define E_REASON_CRIT	"3024" E_HEAD "300f300d0603551d150101ff04030a0101"
#define E_UNK_CRIT	"3029" E_HEAD "3014" UNK_CRIT
#define E_ISSUER_CRIT	"3023" E_HEAD "300e300c0603551d1d0101ff04023000"
#define E_UNK		"3026" E_HEAD "3011" UNK
#define E_NOTIME	"300402020102"
#define E_TRAIL		"3017" E_HEAD "30000500"
#define E_NOTSEQ	"3113" E_HEAD

struct scanrow {
	const char	*entries;	/* NULL: no revokedCertificates */
	const char	*exts;		/* NULL: no crlExtensions */
	int		 expect;
	unsigned	 scope;
};

#define S_USERS		MTLS_CRL_SCOPE_USERS
#define E_MALFORMED	MTLS_E_CRL_MALFORMED
#define E_NUMBER	MTLS_E_CRL_NUMBER
#define E_CRIT		MTLS_E_CRL_CRITICAL_EXT

static const struct scanrow scanrows[] = {
	{ NULL, NUM, 0, 0 },
	{ NULL, AKI NUM UNK, 0, 0 },
	{ NULL, AKI_CRIT NUM, 0, 0 },
	{ NULL, NUM_20HI, 0, 0 },
	{ E_PLAIN, NUM, 0, 0 },
	{ E_PLAIN E_REASON E_REASON_CRIT E_UNK, NUM, 0, 0 },
	{ "", NUM, 0, 0 },
	/* cRLNumber */
	{ NULL, NULL, E_NUMBER, 0 },
	{ E_PLAIN, NULL, E_NUMBER, 0 },
	{ NULL, AKI, E_NUMBER, 0 },
	{ NULL, CRITNUM, E_NUMBER, 0 },
	{ NULL, NUM_NONMIN, E_NUMBER, 0 },
	{ NULL, NUM_NEG, E_NUMBER, 0 },
	{ NULL, NUM_21, E_NUMBER, 0 },
	{ NULL, NUM_TRAIL, E_NUMBER, 0 },
	{ NULL, NUM NUM, E_MALFORMED, 0 },
	/* unknown critical extensions, in the CRL or an entry */
	{ NULL, NUM UNK_CRIT, E_CRIT, 0 },
	{ NULL, UNK_CRIT NUM, E_CRIT, 0 },
	{ NULL, NUM FRESHEST_CRIT, E_CRIT, 0 },
	{ E_PLAIN E_UNK_CRIT, NUM, E_CRIT, 0 },
	{ E_ISSUER_CRIT, NUM, E_CRIT, 0 },
	/* scope */
	{ NULL, NUM IDP_USERS, 0, S_USERS },
	{ NULL, NUM IDP_USERS_NO, 0, 0 },
	{ NULL, NUM IDP_EMPTY, 0, 0 },
	{ NULL, NUM IDP_CAS, 0, MTLS_CRL_SCOPE_CAS },
	{ NULL, NUM IDP_BOTH, 0, S_USERS | MTLS_CRL_SCOPE_CAS },
	{ NULL, NUM IDP_DP, 0, MTLS_CRL_SCOPE_PARTITION },
	{ NULL, NUM IDP_REASONS, 0, MTLS_CRL_SCOPE_REASONS },
	{ NULL, NUM IDP_INDIRECT, 0, MTLS_CRL_SCOPE_INDIRECT },
	{ NULL, NUM IDP_ATTRS, 0, MTLS_CRL_SCOPE_ATTRS },
	{ NULL, NUM DELTA, 0, MTLS_CRL_SCOPE_DELTA },
	{ NULL, NUM DELTA IDP_USERS, 0, S_USERS | MTLS_CRL_SCOPE_DELTA },
	{ NULL, NUM IDP_USERS IDP_USERS, E_MALFORMED, 0 },
	{ NULL, NUM IDP_ORDER, E_MALFORMED, 0 },
	{ NULL, NUM IDP_TAG6, E_MALFORMED, 0 },
	{ NULL, NUM IDP_DP_PRIM, E_MALFORMED, 0 },
	{ NULL, NUM IDP_BOOL2, E_MALFORMED, 0 },
	{ NULL, NUM IDP_TRAIL, E_MALFORMED, 0 },
	{ NULL, NUM DELTA_BAD, E_MALFORMED, 0 },
	/* DER that is not */
	{ NULL, NUM EXT_INDEF, E_MALFORMED, 0 },
	{ NULL, NUM EXT_LONG5, E_MALFORMED, 0 },
	{ NULL, NUM EXT_OVER, E_MALFORMED, 0 },
	{ NULL, NUM EXT_HIGHTAG, E_MALFORMED, 0 },
	{ NULL, NUM EXT_NOVALUE, E_MALFORMED, 0 },
	{ NULL, NUM EXT_BOOLLEN, E_MALFORMED, 0 },
	{ E_NOTIME, NUM, E_MALFORMED, 0 },
	{ E_TRAIL, NUM, E_MALFORMED, 0 },
	{ E_NOTSEQ, NUM, E_MALFORMED, 0 },
	{ E_PLAIN "05", NUM, E_MALFORMED, 0 },
};

static size_t
unhex(const char *hex, unsigned char *out, size_t size)
{
	unsigned x;
	size_t n = 0;

	for (; hex[0] != '\0'; hex += 2) {
		ck_assert_uint_lt(n, size);
		ck_assert_int_eq(sscanf(hex, "%2x", &x), 1);
		out[n++] = (unsigned char)x;
	}
	return n;
}

/* Append tag, a length below 64 KiB and the content to out at *n. */
static void
put_tlv(unsigned char *out, size_t size, size_t *n, unsigned char tag,
    const unsigned char *content, size_t len)
{
	ck_assert_uint_lt(len, 65536);
	ck_assert_uint_le(*n + 4 + len, size);
	out[(*n)++] = tag;
	if (len >= 0x80) {
		out[(*n)++] = 0x82;
		out[(*n)++] = (unsigned char)(len >> 8);
	}
	out[(*n)++] = (unsigned char)len;
	memcpy(out + *n, content, len);
	*n += len;
}

/* A CRL whose entries and extensions are those of r; its length. */
static size_t
scan_crl(const struct scanrow *r, unsigned char *out, size_t size)
{
	static const char head[] = "020101" "300a06082a8648ce3d040302" "3000"
	    "170d3235313232353030303030305a" "170d3236303132353030303030305a";
	static const char tail[] = "300a06082a8648ce3d040302" "030100";
	unsigned char tbs[4096], x[4096], y[4096];
	size_t nt, nx, ny = 0, n = 0;

	nt = unhex(head, tbs, sizeof(tbs));
	if (r->entries != NULL) {
		nx = unhex(r->entries, x, sizeof(x));
		put_tlv(tbs, sizeof(tbs), &nt, 0x30, x, nx);
	}
	if (r->exts != NULL) {
		nx = unhex(r->exts, x, sizeof(x));
		put_tlv(y, sizeof(y), &ny, 0x30, x, nx);
		put_tlv(tbs, sizeof(tbs), &nt, 0xa0, y, ny);
	}
	ny = 0;
	put_tlv(y, sizeof(y), &ny, 0x30, tbs, nt);
	ny += unhex(tail, y + ny, sizeof(y) - ny);
	put_tlv(out, size, &n, 0x30, y, ny);
	return n;
}

START_TEST(test_crl_scan)
{
	const struct scanrow *r = &scanrows[_i];
	unsigned char der[8192];
	const char *why = NULL;
	unsigned scope = 0xffff;
	size_t n = scan_crl(r, der, sizeof(der));
	int got;

	got = mtls_vfy_crl_scan(der, n, &scope, &why);
	ck_assert_msg(got == r->expect, "scan row %d: expected %s, got %s "
	    "(%s)", _i, mtls_errname(r->expect), mtls_errname(got),
	    why != NULL ? why : "");
	if (got == 0)
		ck_assert_uint_eq(scope, r->scope);
	else
		ck_assert_ptr_nonnull(why);
}
END_TEST

/* Every truncation of a CRL, and one byte too many, is malformed. */
START_TEST(test_crl_scan_truncated)
{
	static const struct scanrow r = { E_PLAIN E_REASON, NUM IDP_DP, 0,
	    MTLS_CRL_SCOPE_PARTITION };
	unsigned char der[8192];
	const char *why;
	unsigned scope;
	size_t n = scan_crl(&r, der, sizeof(der)), k;

	ck_assert_int_eq(mtls_vfy_crl_scan(der, n, &scope, &why), 0);
	ck_assert_uint_eq(scope, MTLS_CRL_SCOPE_PARTITION);
	for (k = 0; k < n; k++)
		ck_assert_int_eq(mtls_vfy_crl_scan(der, k, &scope, &why),
		    MTLS_E_CRL_MALFORMED);
	der[n] = 0;
	ck_assert_int_eq(mtls_vfy_crl_scan(der, n + 1, &scope, &why),
	    MTLS_E_CRL_MALFORMED);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("verify");
	TCase *tc = tcase_create("policy");

	tcase_add_loop_test(tc, test_row, 0, sizeof(rows) / sizeof(rows[0]));
	tcase_add_loop_test(tc, test_row_indexed, 0,
	    sizeof(rows) / sizeof(rows[0]));
	tcase_add_unchecked_fixture(tc, tl_case_setup, tl_case_teardown);
	tcase_add_test(tc, test_presented_chain);
	tcase_add_test(tc, test_der_leaf);
	tcase_add_loop_test(tc, test_malformed_der, 0,
	    sizeof(malformed) / sizeof(malformed[0]));
	tcase_add_test(tc, test_problems_ca);
	tcase_add_test(tc, test_load_errors);
	tcase_add_test(tc, test_index_binding);
	tcase_add_test(tc, test_index_ca_identity);
	tcase_add_test(tc, test_crl_login_bound);
	tcase_add_loop_test(tc, test_crl_stream_same, 0, 4);
	tcase_add_loop_test(tc, test_index_lookup, 0, 7);
	tcase_add_loop_test(tc, test_crl_scan, 0,
	    sizeof(scanrows) / sizeof(scanrows[0]));
	tcase_add_test(tc, test_crl_scan_truncated);
	suite_add_tcase(s, tc);
	tc = tcase_create("name constraints");
	tcase_add_test(tc, test_nc_dirname);
	tcase_add_test(tc, test_nc_intermediates);
	tcase_add_test(tc, test_nc_forms);
	tcase_add_test(tc, test_nc_placement);
	tcase_add_test(tc, test_nc_malformed);
	tcase_add_test(tc, test_nc_bounds);
	tcase_add_test(tc, test_nc_work);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tl_run(suite());
}
