/*
 * test_verify.c - the verification policy, one row per way a chain can be
 * wrong, on the generated test PKI at a fixed time.
 */
#include "config.h"

#include <gnutls/gnutls.h>

#include "fixtures.h"
#include "testlib.h"
#include "verify.h"

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
};

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
	ck_assert_int_eq(mtls_verifier_new(c, &v, err), 0);
	mtls_conf_free(c);
	return v;
}

START_TEST(test_row)
{
	const struct row *r = &rows[_i];
	struct mtls_err err = { 0, "" };
	struct mtls_chain_info info;
	struct mtls_verifier *v = make_verifier(r, &err);
	gnutls_x509_crt_t *crts = NULL;
	unsigned n = 0;
	int got;

	ck_assert_int_eq(mtls_load_crts(fx(r->leaf), "certificate", 0, &crts,
	    &n, &err), 0);
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
	mtls_verifier_free(v);
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

static Suite *
suite(void)
{
	Suite *s = suite_create("verify");
	TCase *tc = tcase_create("policy");

	tcase_add_loop_test(tc, test_row, 0, sizeof(rows) / sizeof(rows[0]));
	tcase_add_test(tc, test_presented_chain);
	tcase_add_test(tc, test_load_errors);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tl_run(suite());
}
