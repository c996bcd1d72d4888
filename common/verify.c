/*
 * verify.c - certificate chain verification under the organization's
 * policy (see verify.h for the list of checks): building the verifier,
 * loading certificates, and the entry points that run the checks of the
 * other verify_*.c files in order (verify_int.h).
 *
 * GnuTLS verifies signatures and constraints; everything GnuTLS lets
 * through or cannot be asked about (EKU absence, CA profile, key
 * identifiers, SAN syntax, times at a given instant, CRL freshness and
 * CRLs issued by intermediates) is checked here, each with its own code.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identity.h"
#include "util.h"
#include "verify.h"
#include "verify_int.h"

#define MAX_PEM_SIZE	(4UL * 1024 * 1024)

/* --- small helpers ------------------------------------------------------ */

/* The subject of crt for a message; never fails. */
void
mtls_vfy_subj(gnutls_x509_crt_t crt, char *buf, size_t size)
{
	gnutls_datum_t d = { NULL, 0 };
	size_t i, n;

	if (gnutls_x509_crt_get_dn3(crt, &d, 0) < 0 || d.size == 0) {
		snprintf(buf, size, "(no subject)");
		gnutls_free(d.data);
		return;
	}
	n = d.size < size - 1 ? d.size : size - 1;
	for (i = 0; i < n; i++)
		buf[i] = (d.data[i] < 0x20 || d.data[i] == 0x7f) ? '?' :
		    (char)d.data[i];
	buf[n] = '\0';
	gnutls_free(d.data);
}

int
mtls_vfy_subject_empty(gnutls_x509_crt_t crt)
{
	gnutls_datum_t d = { NULL, 0 };
	int empty;

	empty = gnutls_x509_crt_get_dn3(crt, &d, 0) < 0 || d.size == 0;
	gnutls_free(d.data);
	return empty;
}

/* Fail with code, naming the certificate and its place in the path. */
int
mtls_vfy_reject(struct mtls_err *err, int code, gnutls_x509_crt_t crt,
    size_t depth, const char *extra)
{
	char s[256];

	mtls_vfy_subj(crt, s, sizeof(s));
	return mtls_err_set(err, code, "%s: %s (depth %zu)%s%s",
	    mtls_strerror(code), s, depth, extra != NULL ? ": " : "",
	    extra != NULL ? extra : "");
}

void
mtls_crts_free(gnutls_x509_crt_t *crts, unsigned n)
{
	unsigned i;

	if (crts == NULL)
		return;
	for (i = 0; i < n; i++)
		gnutls_x509_crt_deinit(crts[i]);
	gnutls_free(crts);
}

/*
 * Nonzero when buf holds a certificate, parsable or not: a PEM
 * certificate block, or DER that starts as a v2 or v3 certificate does
 * (SEQUENCE { SEQUENCE { [0] version ...).  A CRL or a key is not one.
 */
static int
holds_certificate(const char *buf, size_t len)
{
	const unsigned char *p = (const unsigned char *)buf;
	size_t i, k;

	if (strstr(buf, "-----BEGIN") != NULL)
		return strstr(buf, "-----BEGIN CERTIFICATE-----") != NULL ||
		    strstr(buf, "-----BEGIN X509 CERTIFICATE-----") != NULL;
	for (i = k = 0; k < 2; k++) {
		if (len - i < 2 || p[i] != 0x30)
			return 0;
		i += 2 + (p[i + 1] & 0x80 ? p[i + 1] & 0x7f : 0);
		if (i >= len)
			return 0;
	}
	return p[i] == 0xa0;
}

int
mtls_load_crts(const char *path, const char *what, int trusted,
    gnutls_x509_crt_t **out, unsigned *n, struct mtls_err *err)
{
	char *buf = NULL;
	size_t len = 0;
	gnutls_datum_t d;
	int r;

	*out = NULL;
	*n = 0;
	if (trusted)
		r = mtls_file_read(path, what, MAX_PEM_SIZE, &buf, &len, err);
	else
		r = mtls_file_read_any(path, what, MAX_PEM_SIZE, &buf, &len,
		    err);
	if (r != 0)
		goto out;
	d.data = (unsigned char *)buf;
	d.size = (unsigned)len;
	if (strstr(buf, "-----BEGIN") != NULL)
		r = gnutls_x509_crt_list_import2(out, n, &d,
		    GNUTLS_X509_FMT_PEM, 0);
	else
		r = gnutls_x509_crt_list_import2(out, n, &d,
		    GNUTLS_X509_FMT_DER, 0);
	if ((r < 0 || *n == 0) && !trusted && holds_certificate(buf, len)) {
		/* Presented, so a rejection, not a configuration error. */
		*out = NULL;
		*n = 0;
		r = mtls_err_set(err, MTLS_E_CERT_MALFORMED, "%s: %s %s: %s",
		    mtls_strerror(MTLS_E_CERT_MALFORMED), what, path,
		    r < 0 ? gnutls_strerror(r) : "empty");
		goto out;
	}
	if (r < 0 || *n == 0) {
		*out = NULL;
		*n = 0;
		r = mtls_err_set(err, MTLS_E_BAD_PEM, "%s %s: no certificate "
		    "could be read (%s)", what, path, r < 0 ?
		    gnutls_strerror(r) : "empty");
		goto out;
	}
	r = 0;
 out:
	free(buf);
	return r;
}

/* Append the certificates of path to *arr. */
static int
append_file(const char *path, const char *what, gnutls_x509_crt_t **arr,
    unsigned *n, struct mtls_err *err)
{
	gnutls_x509_crt_t *got = NULL, *na;
	unsigned ngot = 0, i;
	int r;

	if ((r = mtls_load_crts(path, what, 1, &got, &ngot, err)) != 0)
		return r;
	if (*n + ngot > 1024) {
		mtls_crts_free(got, ngot);
		return mtls_err_set(err, MTLS_E_TOO_LARGE, "%s %s: more than "
		    "1024 certificates in all", what, path);
	}
	if ((na = gnutls_realloc(*arr, (*n + ngot) * sizeof(*na))) == NULL) {
		mtls_crts_free(got, ngot);
		return mtls_err_set(err, MTLS_E_NOMEM, NULL);
	}
	for (i = 0; i < ngot; i++)
		na[(*n)++] = got[i];
	gnutls_free(got);
	*arr = na;
	return 0;
}

unsigned
mtls_vfy_profile_flags(enum mtls_profile p)
{
	switch (p) {
	case MTLS_PROFILE_MEDIUM:
		return GNUTLS_PROFILE_TO_VFLAGS(GNUTLS_PROFILE_MEDIUM);
	case MTLS_PROFILE_HIGH:
		return GNUTLS_PROFILE_TO_VFLAGS(GNUTLS_PROFILE_HIGH);
	case MTLS_PROFILE_ULTRA:
		return GNUTLS_PROFILE_TO_VFLAGS(GNUTLS_PROFILE_ULTRA);
	case MTLS_PROFILE_FUTURE:
		return GNUTLS_PROFILE_TO_VFLAGS(GNUTLS_PROFILE_FUTURE);
	}
	return GNUTLS_PROFILE_TO_VFLAGS(GNUTLS_PROFILE_MEDIUM);
}

/* --- construction ------------------------------------------------------- */

void
mtls_verifier_free(struct mtls_verifier *v)
{
	if (v == NULL)
		return;
	mtls_vfy_crl_free(v);
	free(v->cache);
	mtls_crts_free(v->anchors, v->n_anchors);
	mtls_crts_free(v->inters, v->n_inters);
	free(v->ids);
	free(v);
}

int
mtls_verifier_new(const struct mtls_conf *conf, struct mtls_verifier **out,
    struct mtls_err *err)
{
	struct mtls_verifier *v = NULL;
	size_t i;
	int r = MTLS_E_INTERNAL;

	*out = NULL;
	if ((r = mtls_conf_check(conf, err)) != 0)
		goto out;
	if ((v = calloc(1, sizeof(*v))) == NULL) {
		r = mtls_err_set(err, MTLS_E_NOMEM, NULL);
		goto out;
	}
	v->purpose = conf->purpose;
	v->profile = conf->profile;
	v->max_inter = conf->max_intermediates;
	v->crl_required = conf->crl_required;
	v->crl_max_age = conf->crl_max_age;
	v->crl_whole_max = conf->crl_whole_max;
	if (!conf->crl_cache_off && (v->cache = strdup(conf->crl_cache != NULL ?
	    conf->crl_cache : MTLS_DEFAULT_CRL_CACHE)) == NULL) {
		r = mtls_err_set(err, MTLS_E_NOMEM, NULL);
		goto out;
	}
	for (i = 0; i < conf->n_anchors; i++)
		if ((r = append_file(conf->anchors[i], "trust anchor",
		    &v->anchors, &v->n_anchors, err)) != 0)
			goto out;
	for (i = 0; i < conf->n_intermediates; i++)
		if ((r = append_file(conf->intermediates[i], "intermediate",
		    &v->inters, &v->n_inters, err)) != 0)
			goto out;
	if (mtls_vfy_ids_init(v) != 0) {
		r = mtls_err_set(err, MTLS_E_NOMEM, NULL);
		goto out;
	}
	for (i = 0; i < conf->n_crls; i++)
		if ((r = mtls_vfy_crl_load(v, conf->crls[i], err)) != 0)
			goto out;
	*out = v;
	v = NULL;
	r = 0;
 out:
	mtls_verifier_free(v);
	return r;
}

/* --- the entry points --------------------------------------------------- */

void
mtls_chain_info_clear(struct mtls_chain_info *info)
{
	size_t i;

	if (info == NULL)
		return;
	for (i = 0; i < info->n; i++)
		free(info->subject[i]);
	memset(info, 0, sizeof(*info));
}

/* The path into info; its subjects too when subjects is set. */
static void
fill_info(struct mtls_chain_info *info, gnutls_x509_crt_t *path, size_t len,
    int subjects)
{
	char s[256];
	size_t i;

	if (info == NULL)
		return;
	mtls_chain_info_clear(info);
	for (i = 0; i < len && i < MTLS_VFY_MAX_PATH; i++) {
		if (mtls_cert_fingerprint(path[i],
		    info->fingerprint[info->n]) != 0)
			break;
		if (subjects) {
			mtls_vfy_subj(path[i], s, sizeof(s));
			if ((info->subject[info->n] = strdup(s)) == NULL)
				break;
		}
		info->n++;
	}
}

static int
verify_crts(const struct mtls_verifier *v, const gnutls_x509_crt_t *certs,
    size_t n, time_t now, enum mtls_purpose purpose, struct mtls_err *err,
    struct mtls_chain_info *info, int subjects)
{
	gnutls_x509_crt_t path[MTLS_VFY_MAX_PATH];
	size_t len = 0;
	int r = MTLS_E_INTERNAL;

	if (info != NULL)
		memset(info, 0, sizeof(*info));
	if (v == NULL || certs == NULL || n == 0 || n > MTLS_MAX_CHAIN_IN) {
		r = mtls_err_set(err, MTLS_E_INVAL, "no certificate, or more "
		    "than %d", MTLS_MAX_CHAIN_IN);
		goto out;
	}
	if (purpose == 0)
		purpose = v->purpose;
	if ((r = mtls_vfy_build_path(v, certs, n, path, &len, err)) != 0)
		goto out;
	fill_info(info, path, len, subjects);
	if ((r = mtls_vfy_check_profile(v, path, len, purpose, err)) != 0 ||
	    (r = mtls_vfy_check_nc(path, len, err)) != 0 ||
	    (r = mtls_vfy_check_gnutls(v, path, len, err)) != 0 ||
	    (r = mtls_vfy_check_times(path, len, now, err)) != 0 ||
	    (r = mtls_vfy_check_revocation(v, path, len, now, err)) != 0)
		goto out;
	r = 0;
 out:
	return r;
}

int
mtls_verify_crts(const struct mtls_verifier *v, const gnutls_x509_crt_t *certs,
    size_t n, time_t now, enum mtls_purpose purpose, struct mtls_err *err,
    struct mtls_chain_info *info)
{
	return verify_crts(v, certs, n, now, purpose, err, info, 1);
}

/* mtls_verify_der() and mtls_verify_der_leaf(). */
static int
verify_der(const struct mtls_verifier *v, const gnutls_datum_t *certs,
    size_t n, time_t now, enum mtls_purpose purpose, struct mtls_err *err,
    struct mtls_chain_info *info, gnutls_x509_crt_t *leaf, int subjects)
{
	gnutls_x509_crt_t crts[MTLS_MAX_CHAIN_IN];
	size_t i, got = 0, parsed = 0;
	int r = MTLS_E_INTERNAL;

	if (leaf != NULL)
		*leaf = NULL;
	if (info != NULL)
		memset(info, 0, sizeof(*info));
	if (certs == NULL || n == 0 || n > MTLS_MAX_CHAIN_IN) {
		r = mtls_err_set(err, MTLS_E_INVAL, "no certificate, or more "
		    "than %d", MTLS_MAX_CHAIN_IN);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (certs[i].size > MTLS_MAX_CERT_SIZE ||
		    gnutls_x509_crt_init(&crts[i]) < 0) {
			r = mtls_err_set(err, MTLS_E_CERT_MALFORMED,
			    "certificate %zu is too large", i);
			goto out;
		}
		got++;
		if (gnutls_x509_crt_import(crts[i], &certs[i],
		    GNUTLS_X509_FMT_DER) < 0) {
			r = mtls_err_set(err, MTLS_E_CERT_MALFORMED,
			    "%s (certificate %zu)",
			    mtls_strerror(MTLS_E_CERT_MALFORMED), i);
			goto out;
		}
		parsed++;
	}
	r = verify_crts(v, crts, n, now, purpose, err, info, subjects);
 out:
	i = 0;
	if (leaf != NULL && parsed > 0) {
		/* The leaf changes hands, whatever the verdict. */
		*leaf = crts[0];
		i = 1;
	}
	for (; i < got; i++)
		gnutls_x509_crt_deinit(crts[i]);
	return r;
}

int
mtls_verify_der(const struct mtls_verifier *v, const gnutls_datum_t *certs,
    size_t n, time_t now, enum mtls_purpose purpose, struct mtls_err *err,
    struct mtls_chain_info *info)
{
	return verify_der(v, certs, n, now, purpose, err, info, NULL, 1);
}

int
mtls_verify_der_leaf(const struct mtls_verifier *v,
    const gnutls_datum_t *certs, size_t n, time_t now,
    enum mtls_purpose purpose, struct mtls_err *err,
    struct mtls_chain_info *info, gnutls_x509_crt_t *leaf)
{
	/* A login needs the path's fingerprints, not its subjects. */
	return verify_der(v, certs, n, now, purpose, err, info, leaf, 0);
}

size_t
mtls_verifier_problems(const struct mtls_verifier *v, time_t now,
    void (*fn)(void *ctx, int code, const char *msg), void *ctx)
{
	struct mtls_err e;
	size_t i, count = 0;

	for (i = 0; i < v->n_anchors; i++) {
		memset(&e, 0, sizeof(e));
		if (mtls_vfy_check_ca(v->anchors[i], 0, "trust anchor",
		    &e) != 0 ||
		    mtls_vfy_check_nc_ca(v->anchors[i], 0, &e) != 0 ||
		    mtls_vfy_check_key(v->anchors[i], 0, v->profile, &e) != 0 ||
		    mtls_vfy_check_times(&v->anchors[i], 1, now, &e) != 0) {
			fn(ctx, e.code, e.msg);
			count++;
		}
	}
	for (i = 0; i < v->n_inters; i++) {
		memset(&e, 0, sizeof(e));
		if (mtls_vfy_check_ca(v->inters[i], 0, "intermediate",
		    &e) != 0 ||
		    mtls_vfy_check_nc_ca(v->inters[i], 0, &e) != 0 ||
		    mtls_vfy_check_key(v->inters[i], 0, v->profile, &e) != 0 ||
		    mtls_vfy_check_times(&v->inters[i], 1, now, &e) != 0) {
			fn(ctx, e.code, e.msg);
			count++;
		}
	}
	return count + mtls_vfy_crl_problems(v, now, fn, ctx);
}
