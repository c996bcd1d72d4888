/*
 * verify.c - certificate chain verification under the organization's
 * policy (see verify.h for the list of checks).
 *
 * GnuTLS verifies signatures and constraints; everything GnuTLS lets
 * through or cannot be asked about (EKU absence, CA profile, key
 * identifiers, SAN syntax, times at a given instant, CRL freshness and
 * CRLs issued by intermediates) is checked here, each with its own code.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/crypto.h>

#include "crlindex.h"
#include "log.h"
#include "util.h"
#include "verify.h"

#define OID_EKU_CLIENT	"1.3.6.1.5.5.7.3.2"
#define OID_EKU_SERVER	"1.3.6.1.5.5.7.3.1"
#define OID_SAN		"2.5.29.17"
#define MAX_PATH	(MTLS_MAX_INTERMEDIATES + 2)
#define MAX_CRL_SIZE	(256UL * 1024 * 1024)
#define MAX_PEM_SIZE	(4UL * 1024 * 1024)

struct crl {
	char		*path;
	int		 status;	/* 0, or why it cannot be used */
	char		*why;		/* detail for a bad status */
	gnutls_x509_crt_t issuer;	/* borrowed: an anchor or intermediate */
	time_t		 this_update;
	time_t		 next_update;	/* -1: absent */
	struct mtls_serial	*serials;	/* sorted; NULL when idx is set */
	size_t		 n_serials;
	const struct mtls_crlidx *idx;	/* the serials are in this index */
	size_t		 sect;		/* as its section sect */
};

/* One `crl` file and where its content came from. */
struct crlfile {
	char		*path;
	int		 source;	/* MTLS_CRL_FROM_* */
	struct mtls_crlidx *idx;	/* when read from an index */
};

struct mtls_verifier {
	enum mtls_purpose purpose;
	enum mtls_profile profile;
	unsigned	  max_inter;
	int		  crl_required;
	long		  crl_max_age;
	gnutls_x509_crt_t *anchors;
	unsigned	  n_anchors;
	gnutls_x509_crt_t *inters;
	unsigned	  n_inters;
	struct crl	 *crls;
	size_t		  n_crls;
	struct crlfile	 *files;
	size_t		  n_files;
	char		 *cache;	/* index directory, or NULL */
};

/* --- small helpers ------------------------------------------------------ */

/* The subject of crt for a message; never fails. */
static void
subj(gnutls_x509_crt_t crt, char *buf, size_t size)
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

/* Fail with code, naming the certificate and its place in the path. */
static int
reject(struct mtls_err *err, int code, gnutls_x509_crt_t crt, size_t depth,
    const char *extra)
{
	char s[256];

	subj(crt, s, sizeof(s));
	return mtls_err_set(err, code, "%s: %s (depth %zu)%s%s",
	    mtls_strerror(code), s, depth, extra != NULL ? ": " : "",
	    extra != NULL ? extra : "");
}

/* Strip leading zero octets; fails for serials longer than 20 octets. */
static int
serial_norm(const unsigned char *in, size_t len, struct mtls_serial *out)
{
	while (len > 1 && in[0] == 0) {
		in++;
		len--;
	}
	if (len == 0 || len > MTLS_SERIAL_MAX)
		return -1;
	out->len = (unsigned char)len;
	memcpy(out->b, in, len);
	return 0;
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
	r = trusted ? mtls_file_read(path, what, MAX_PEM_SIZE, &buf, &len, err) :
	    mtls_file_read_any(path, what, MAX_PEM_SIZE, &buf, &len, err);
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

/* --- CRLs ------------------------------------------------------------- */

static void
crl_clear(struct crl *c)
{
	free(c->path);
	free(c->why);
	free(c->serials);
	memset(c, 0, sizeof(*c));
}

static unsigned
gnutls_profile_flags(enum mtls_profile p)
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

/*
 * Find the configured CA whose key signed crl.  GnuTLS's trust lists only
 * verify CRLs against their anchors and drop the others silently, so every
 * CRL is checked here against every candidate issuer by name.
 */
static void
crl_find_issuer(struct mtls_verifier *v, gnutls_x509_crl_t crl, struct crl *c)
{
	gnutls_x509_crt_t *lists[2] = { v->anchors, v->inters };
	unsigned counts[2] = { v->n_anchors, v->n_inters };
	unsigned st, i, l, named = 0;
	const unsigned timebits = GNUTLS_CERT_REVOCATION_DATA_SUPERSEDED |
	    GNUTLS_CERT_REVOCATION_DATA_ISSUED_IN_FUTURE |
	    GNUTLS_CERT_EXPIRED | GNUTLS_CERT_NOT_ACTIVATED;

	for (l = 0; l < 2; l++) {
		for (i = 0; i < counts[l]; i++) {
			if (!gnutls_x509_crl_check_issuer(crl, lists[l][i]))
				continue;
			named++;
			st = 0;
			if (gnutls_x509_crl_verify(crl, &lists[l][i], 1,
			    GNUTLS_VERIFY_DISABLE_TIME_CHECKS |
			    gnutls_profile_flags(v->profile), &st) < 0)
				continue;
			/* Dates are judged at verification time, not here. */
			st &= ~timebits;
			if (st == 0 || st == GNUTLS_CERT_INVALID) {
				c->issuer = lists[l][i];
				c->status = 0;
				return;
			}
		}
	}
	if (named == 0) {
		c->status = MTLS_E_CRL_NO_ISSUER;
		c->why = strdup("its issuer is not a configured trust anchor "
		    "or intermediate");
	} else {
		c->status = MTLS_E_CRL_SIGNATURE;
		c->why = strdup("its signature does not verify against the "
		    "CA that it names (forged, corrupt, or signed with a weak "
		    "algorithm or by a CA without cRLSign)");
	}
}

static int
crl_read_serials(gnutls_x509_crl_t crl, struct crl *c)
{
	gnutls_x509_crl_iter_t iter = NULL;
	struct mtls_serial *list = NULL;
	unsigned char buf[64];
	size_t sz, cap, n = 0;
	time_t t;
	int count, r = MTLS_E_CRL_MALFORMED;

	if ((count = gnutls_x509_crl_get_crt_count(crl)) < 0)
		goto out;
	cap = (size_t)count;
	if (cap > 0 && (list = calloc(cap, sizeof(*list))) == NULL) {
		r = MTLS_E_NOMEM;
		goto out;
	}
	for (;;) {
		sz = sizeof(buf);
		r = gnutls_x509_crl_iter_crt_serial(crl, &iter, buf, &sz, &t);
		if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (r < 0 || sz == 0 || n >= cap ||
		    serial_norm(buf, sz, &list[n]) != 0) {
			r = MTLS_E_CRL_MALFORMED;
			goto out;
		}
		n++;
	}
	if (n > 1)
		qsort(list, n, sizeof(*list), mtls_serial_cmp);
	c->serials = list;
	c->n_serials = n;
	list = NULL;
	r = 0;
 out:
	free(list);
	gnutls_x509_crl_iter_deinit(iter);
	return r;
}

/* Append an empty CRL record; NULL when out of memory. */
static struct crl *
crl_new(struct mtls_verifier *v, const char *path)
{
	struct crl *nc, *c;

	if ((nc = realloc(v->crls, (v->n_crls + 1) * sizeof(*nc))) == NULL)
		return NULL;
	v->crls = nc;
	c = &v->crls[v->n_crls];
	memset(c, 0, sizeof(*c));
	if ((c->path = strdup(path)) == NULL)
		return NULL;
	v->n_crls++;
	return c;
}

/* Add one parsed CRL (or a placeholder for a file that failed). */
static int
crl_add(struct mtls_verifier *v, const char *path, gnutls_x509_crl_t crl,
    int status, const char *why)
{
	struct crl *c;
	int r;

	if ((c = crl_new(v, path)) == NULL)
		return MTLS_E_NOMEM;
	c->status = status;
	if (status != 0) {
		c->why = mtls_strdup(why);
		return 0;
	}
	c->this_update = gnutls_x509_crl_get_this_update(crl);
	c->next_update = gnutls_x509_crl_get_next_update(crl);
	if ((r = crl_read_serials(crl, c)) != 0) {
		if (r == MTLS_E_NOMEM)
			return r;
		c->status = MTLS_E_CRL_MALFORMED;
		c->why = strdup("its revoked-certificate list cannot be read");
		return 0;
	}
	crl_find_issuer(v, crl, c);
	return 0;
}

/* The SHA-256 fingerprint of crt, which names a CA in an index. */
static int
ca_fingerprint(gnutls_x509_crt_t crt, unsigned char out[32])
{
	size_t sz = 32;

	return gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, out,
	    &sz) == 0 && sz == 32 ? 0 : -1;
}

/* The configured CA whose SHA-256 fingerprint is fp, or NULL. */
static gnutls_x509_crt_t
ca_by_fingerprint(const struct mtls_verifier *v, const unsigned char fp[32])
{
	const gnutls_x509_crt_t *lists[2] = { v->anchors, v->inters };
	unsigned counts[2] = { v->n_anchors, v->n_inters };
	unsigned char h[32];
	unsigned l, i;

	for (l = 0; l < 2; l++)
		for (i = 0; i < counts[l]; i++)
			if (ca_fingerprint(lists[l][i], h) == 0 &&
			    memcmp(h, fp, 32) == 0)
				return lists[l][i];
	return NULL;
}

/*
 * Take the CRLs of file f from its index, if one exists that matches the
 * file as fstat describes it and names only configured CAs.  1 when the
 * index was used, 0 when the CRL must be parsed, or MTLS_E_NOMEM.
 */
static int
crl_from_index(struct mtls_verifier *v, struct crlfile *f, const char *ipath,
    const struct stat *st)
{
	const struct mtls_crlidx_sect *s;
	gnutls_x509_crt_t issuers[MTLS_CRLIDX_MAX_SECTIONS];
	struct mtls_crlidx *idx = NULL;
	struct mtls_err e;
	struct crl *c;
	size_t i, n;

	memset(&e, 0, sizeof(e));
	if (mtls_crlidx_open(ipath, st, (unsigned)v->profile, &idx, &e) != 0) {
		if (e.code == MTLS_E_NOMEM)
			return MTLS_E_NOMEM;
		if (e.code != MTLS_E_FILE_MISSING)
			mtls_log(LOG_DEBUG, "%s (the CRL is parsed instead)",
			    mtls_err_msg(&e));
		return 0;
	}
	n = mtls_crlidx_count(idx);
	for (i = 0; i < n; i++) {
		s = mtls_crlidx_sect(idx, i);
		if ((issuers[i] = ca_by_fingerprint(v, s->issuer)) == NULL) {
			mtls_crlidx_close(idx);
			return 0;
		}
	}
	for (i = 0; i < n; i++) {
		s = mtls_crlidx_sect(idx, i);
		if ((c = crl_new(v, f->path)) == NULL) {
			mtls_crlidx_close(idx);
			return MTLS_E_NOMEM;
		}
		c->issuer = issuers[i];
		c->this_update = (time_t)s->this_update;
		c->next_update = (time_t)s->next_update;
		c->n_serials = s->n;
		c->idx = idx;
		c->sect = i;
	}
	f->idx = idx;
	f->source = MTLS_CRL_FROM_INDEX;
	return 1;
}

/*
 * Write the index for the CRLs first..v->n_crls-1, parsed from buf (the
 * bytes of the file fstat describes), when every one of them verified.
 * Failure to write is not an error: the next login parses again.
 */
static void
crl_write_index(struct mtls_verifier *v, struct crlfile *f, const char *ipath,
    const struct stat *st, const char *buf, size_t len, size_t first)
{
	struct mtls_crlidx_sect sects[MTLS_CRLIDX_MAX_SECTIONS];
	unsigned char sum[32];
	struct mtls_err e;
	size_t i, n = v->n_crls - first;

	if (n > MTLS_CRLIDX_MAX_SECTIONS)
		return;
	if (time(NULL) - st->st_ctim.tv_sec < mtls_crlidx_settle) {
		f->source = MTLS_CRL_FROM_FILE_RECENT;
		return;
	}
	for (i = 0; i < n; i++) {
		const struct crl *c = &v->crls[first + i];

		if (c->status != 0 ||
		    ca_fingerprint(c->issuer, sects[i].issuer) != 0)
			return;
		sects[i].this_update = (int64_t)c->this_update;
		sects[i].next_update = (int64_t)c->next_update;
		sects[i].serials = c->serials;
		sects[i].n = c->n_serials;
	}
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, buf, len, sum) < 0)
		return;
	memset(&e, 0, sizeof(e));
	if (mtls_crlidx_write(ipath, st, (unsigned)v->profile, sum, sects, n,
	    &e) != 0) {
		mtls_log(LOG_DEBUG, "CRL index for %s not written: %s",
		    f->path, mtls_err_msg(&e));
		return;
	}
	f->source = MTLS_CRL_FROM_FILE_INDEXED;
}

static int
load_crl_file(struct mtls_verifier *v, const char *path, struct mtls_err *err)
{
	gnutls_x509_crl_t *crls = NULL;
	struct crlfile *nf, *f;
	char ipath[PATH_MAX];
	unsigned n = 0, i;
	char *buf = NULL;
	size_t len = 0, first;
	gnutls_datum_t d;
	struct stat st;
	int r, fd = -1, cached;

	if ((nf = realloc(v->files, (v->n_files + 1) * sizeof(*nf))) == NULL)
		return mtls_err_set(err, MTLS_E_NOMEM, NULL);
	v->files = nf;
	f = &v->files[v->n_files];
	memset(f, 0, sizeof(*f));
	if ((f->path = strdup(path)) == NULL)
		return mtls_err_set(err, MTLS_E_NOMEM, NULL);
	v->n_files++;
	f->source = MTLS_CRL_FROM_FILE;

	if ((r = mtls_file_open(path, "CRL", &fd, err)) != 0)
		return r;
	if (fstat(fd, &st) != 0) {
		close(fd);
		return mtls_err_set(err, MTLS_E_IO, "CRL %s: cannot stat", path);
	}
	cached = v->cache != NULL &&
	    mtls_crlidx_path(v->cache, path, ipath, sizeof(ipath)) == 0 &&
	    mtls_crlidx_dir_check(v->cache, NULL) == 0;
	if (cached) {
		if ((r = crl_from_index(v, f, ipath, &st)) == 1) {
			close(fd);
			return 0;
		}
		if (r != 0) {
			close(fd);
			return mtls_err_set(err, r, NULL);
		}
	}
	r = mtls_fd_read(fd, path, "CRL", MAX_CRL_SIZE, &buf, &len, err);
	close(fd);
	if (r != 0)
		goto out;
	first = v->n_crls;
	d.data = (unsigned char *)buf;
	d.size = (unsigned)len;
	r = gnutls_x509_crl_list_import2(&crls, &n, &d,
	    strstr(buf, "-----BEGIN") != NULL ? GNUTLS_X509_FMT_PEM :
	    GNUTLS_X509_FMT_DER, 0);
	if (r < 0 || n == 0) {
		crls = NULL;
		n = 0;
		r = crl_add(v, path, NULL, MTLS_E_CRL_MALFORMED,
		    "it holds no CRL that can be parsed");
		goto out;
	}
	for (i = 0; i < n; i++)
		if ((r = crl_add(v, path, crls[i], 0, NULL)) != 0)
			break;
	if (r == 0 && cached)
		crl_write_index(v, f, ipath, &st, buf, len, first);
 out:
	if (r == MTLS_E_NOMEM)
		mtls_err_set(err, r, NULL);
	for (i = 0; i < n; i++)
		gnutls_x509_crl_deinit(crls[i]);
	gnutls_free(crls);
	free(buf);
	return r;
}

/* --- construction ------------------------------------------------------- */

void
mtls_verifier_free(struct mtls_verifier *v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < v->n_crls; i++)
		crl_clear(&v->crls[i]);
	free(v->crls);
	for (i = 0; i < v->n_files; i++) {
		free(v->files[i].path);
		mtls_crlidx_close(v->files[i].idx);
	}
	free(v->files);
	free(v->cache);
	mtls_crts_free(v->anchors, v->n_anchors);
	mtls_crts_free(v->inters, v->n_inters);
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
	for (i = 0; i < conf->n_crls; i++)
		if ((r = load_crl_file(v, conf->crls[i], err)) != 0)
			goto out;
	*out = v;
	v = NULL;
	r = 0;
 out:
	mtls_verifier_free(v);
	return r;
}

size_t
mtls_verifier_crl_files(const struct mtls_verifier *v)
{
	return v->n_files;
}

int
mtls_verifier_crl_file(const struct mtls_verifier *v, size_t i,
    const char **path, size_t *n_crls, size_t *n_serials)
{
	size_t k;

	if (i >= v->n_files)
		return -1;
	*path = v->files[i].path;
	*n_crls = *n_serials = 0;
	for (k = 0; k < v->n_crls; k++)
		if (strcmp(v->crls[k].path, v->files[i].path) == 0) {
			(*n_crls)++;
			*n_serials += v->crls[k].n_serials;
		}
	return v->files[i].source;
}

/* --- path building ------------------------------------------------------ */

/* Nonzero when the authority key id of c equals the subject key id of ca. */
static int
akid_matches(gnutls_x509_crt_t c, gnutls_x509_crt_t ca)
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

static int
in_path(gnutls_x509_crt_t *path, size_t len, gnutls_x509_crt_t c)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (path[i] == c || gnutls_x509_crt_equals(path[i], c))
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
		if (akid_matches(cur, cands[i]))
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
static int
build_path(const struct mtls_verifier *v, const gnutls_x509_crt_t *certs,
    size_t n, gnutls_x509_crt_t *path, size_t *len, struct mtls_err *err)
{
	gnutls_x509_crt_t next;
	char extra[320], s[256];

	path[0] = certs[0];
	*len = 1;
	for (;;) {
		gnutls_x509_crt_t cur = path[*len - 1];

		next = find_issuer(cur, v->anchors, v->n_anchors, path, 0);
		if (next != NULL && !gnutls_x509_crt_equals(next, cur)) {
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
			return reject(err, MTLS_E_CERT_UNTRUSTED, cur,
			    *len - 1, extra);
		}
		if (*len - 1 >= v->max_inter) {
			snprintf(extra, sizeof(extra), "more than %u "
			    "intermediate%s (max_intermediates)", v->max_inter,
			    v->max_inter == 1 ? "" : "s");
			return reject(err, MTLS_E_CERT_TOO_DEEP, certs[0], 0,
			    extra);
		}
		path[(*len)++] = next;
	}
}

/* --- per-certificate checks --------------------------------------------- */

static int
check_version(gnutls_x509_crt_t c, size_t depth, struct mtls_err *err)
{
	if (gnutls_x509_crt_get_version(c) != 3)
		return reject(err, MTLS_E_CERT_VERSION, c, depth, NULL);
	return 0;
}

static int
check_signature_alg(gnutls_x509_crt_t c, size_t depth, struct mtls_err *err)
{
	int sig = gnutls_x509_crt_get_signature_algorithm(c);
	gnutls_digest_algorithm_t h;

	if (sig <= 0)
		return reject(err, MTLS_E_CERT_WEAK_SIGNATURE, c, depth,
		    "unknown signature algorithm");
	h = gnutls_sign_get_hash_algorithm((gnutls_sign_algorithm_t)sig);
	if (h == GNUTLS_DIG_SHA1 || h == GNUTLS_DIG_MD5 ||
	    h == GNUTLS_DIG_MD2 || h == GNUTLS_DIG_RMD160 ||
	    !gnutls_sign_is_secure2((gnutls_sign_algorithm_t)sig,
	    GNUTLS_SIGN_FLAG_SECURE_FOR_CERTS))
		return reject(err, MTLS_E_CERT_WEAK_SIGNATURE, c, depth,
		    gnutls_sign_get_name((gnutls_sign_algorithm_t)sig));
	return 0;
}

static int
check_key(gnutls_x509_crt_t c, size_t depth, enum mtls_profile p,
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
		return reject(err, MTLS_E_CERT_WEAK_KEY, c, depth,
		    "unknown public key algorithm");
	if (gnutls_pk_bits_to_sec_param((gnutls_pk_algorithm_t)algo, bits) <
	    need[p]) {
		snprintf(extra, sizeof(extra), "%s %u bits; the %s profile "
		    "needs at least %u", gnutls_pk_get_name(
		    (gnutls_pk_algorithm_t)algo), bits, mtls_profile_name(p),
		    gnutls_sec_param_to_pk_bits((gnutls_pk_algorithm_t)algo,
		    need[p]));
		return reject(err, MTLS_E_CERT_WEAK_KEY, c, depth, extra);
	}
	return 0;
}

/* An anchor or intermediate: CA:TRUE, keyCertSign, a subject key id. */
static int
check_ca(gnutls_x509_crt_t c, size_t depth, const char *role,
    struct mtls_err *err)
{
	unsigned crit = 0, ca = 0, ku = 0;
	int pathlen = -1, r;
	unsigned char id[64];
	size_t sz = sizeof(id);

	r = gnutls_x509_crt_get_basic_constraints(c, &crit, &ca, &pathlen);
	if (r < 0 || !ca)
		return reject(err, MTLS_E_CERT_ISSUER_NOT_CA, c, depth, role);
	if (gnutls_x509_crt_get_key_usage(c, &ku, &crit) < 0 ||
	    (ku & GNUTLS_KEY_KEY_CERT_SIGN) == 0)
		return reject(err, MTLS_E_CERT_ISSUER_NO_CERTSIGN, c, depth,
		    role);
	if (gnutls_x509_crt_get_subject_key_id(c, id, &sz, &crit) < 0 ||
	    sz == 0)
		return reject(err, MTLS_E_CERT_NO_SKI, c, depth, role);
	return 0;
}

/* The authority key id of c (not self-signed) must match its issuer's. */
static int
check_akid(gnutls_x509_crt_t c, gnutls_x509_crt_t issuer, size_t depth,
    struct mtls_err *err)
{
	unsigned char a[64];
	size_t sz = sizeof(a);
	unsigned crit;

	/* RFC 5280 4.2.1.2: a CA's key id is what children point at. */
	if (gnutls_x509_crt_get_subject_key_id(issuer, a, &sz, &crit) < 0 ||
	    sz == 0)
		return reject(err, MTLS_E_CERT_NO_SKI, issuer, depth + 1, NULL);
	sz = sizeof(a);
	if (gnutls_x509_crt_get_authority_key_id(c, a, &sz, &crit) < 0 ||
	    sz == 0)
		return reject(err, MTLS_E_CERT_NO_AKI, c, depth, NULL);
	if (!akid_matches(c, issuer))
		return reject(err, MTLS_E_CERT_AKI_MISMATCH, c, depth, NULL);
	return 0;
}

static int
has_purpose(gnutls_x509_crt_t c, const char *oid, int *any_eku)
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
			return 0;
		*any_eku = 1;
		if (strcmp(buf, oid) == 0)
			return 1;
	}
	return 0;
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
		return reject(err, MTLS_E_CERT_LEAF_IS_CA, c, 0, NULL);
	r = gnutls_x509_crt_get_key_usage(c, &ku, &crit);
	if (r >= 0) {
		if (ku & GNUTLS_KEY_KEY_CERT_SIGN)
			return reject(err, MTLS_E_CERT_LEAF_CERTSIGN, c, 0,
			    NULL);
		if ((ku & GNUTLS_KEY_DIGITAL_SIGNATURE) == 0)
			return reject(err, MTLS_E_CERT_KEY_USAGE, c, 0, NULL);
	} else if (r != GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
		return reject(err, MTLS_E_CERT_MALFORMED, c, 0,
		    "unreadable keyUsage");
	if (purpose == MTLS_PURPOSE_ANY)
		return 0;
	oid = purpose == MTLS_PURPOSE_SERVER ? OID_EKU_SERVER : OID_EKU_CLIENT;
	if (has_purpose(c, oid, &any_eku))
		return 0;
	if (!any_eku)
		return reject(err, MTLS_E_CERT_NO_EKU, c, 0,
		    purpose == MTLS_PURPOSE_SERVER ? "serverAuth is required" :
		    "clientAuth is required");
	return reject(err, MTLS_E_CERT_PURPOSE, c, 0,
	    purpose == MTLS_PURPOSE_SERVER ? "no serverAuth" : "no clientAuth");
}

/* --- subject alternative names ------------------------------------------ */

static int
printable(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] <= 0x20 || p[i] >= 0x7f)
			return 0;
	return n > 0;
}

/* LDH labels separated by dots; a leading "*." is allowed. */
static int
valid_dns(const unsigned char *p, size_t n)
{
	size_t i, lab = 0;

	if (n >= 2 && p[0] == '*' && p[1] == '.') {
		p += 2;
		n -= 2;
	}
	if (n == 0 || n > 253)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = p[i];

		if (c == '.') {
			if (lab == 0 || p[i - 1] == '-')
				return 0;
			lab = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || (c == '-' && lab > 0)))
			return 0;
		if (++lab > 63)
			return 0;
	}
	return lab > 0 && p[n - 1] != '-';
}

/* local@domain, printable ASCII, one '@', a valid domain. */
static int
valid_email(const unsigned char *p, size_t n)
{
	const unsigned char *at;

	if (!printable(p, n) || (at = memchr(p, '@', n)) == NULL ||
	    at == p || memchr(at + 1, '@', n - (size_t)(at - p) - 1) != NULL)
		return 0;
	return valid_dns(at + 1, n - (size_t)(at - p) - 1) && at[1] != '*';
}

/* scheme ":" rest, printable ASCII. */
static int
valid_uri(const unsigned char *p, size_t n)
{
	size_t i;

	if (!printable(p, n) || !((p[0] >= 'a' && p[0] <= 'z') ||
	    (p[0] >= 'A' && p[0] <= 'Z')))
		return 0;
	for (i = 1; i < n; i++) {
		if (p[i] == ':')
			return i + 1 < n;
		if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' &&
		    p[i] <= 'Z') || (p[i] >= '0' && p[i] <= '9') ||
		    p[i] == '+' || p[i] == '-' || p[i] == '.'))
			return 0;
	}
	return 0;
}

/* A UPN as GnuTLS decodes it: user@realm, no control characters. */
static int
valid_upn(const unsigned char *p, size_t n)
{
	size_t i;

	if (n == 0 || memchr(p, '@', n) == NULL || p[0] == '@' ||
	    p[n - 1] == '@')
		return 0;
	for (i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] == 0x7f)
			return 0;
	return 1;
}

static int
check_sans(gnutls_x509_crt_t c, size_t depth, struct mtls_err *err)
{
	unsigned char buf[1024];
	gnutls_datum_t ext = { NULL, 0 };
	unsigned idx, type, crit = 0;
	size_t sz;
	int r, ok, present;

	present = gnutls_x509_crt_get_extension_by_oid2(c, OID_SAN, 0, &ext,
	    &crit) >= 0;
	gnutls_free(ext.data);
	for (idx = 0; idx < 256; idx++) {
		sz = sizeof(buf);
		r = gnutls_x509_crt_get_subject_alt_name2(c, idx, buf, &sz,
		    &type, &crit);
		if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) {
			if (idx == 0 && present)
				return reject(err, MTLS_E_CERT_BAD_SAN, c,
				    depth, "empty or unreadable extension");
			return 0;
		}
		if (r < 0)
			return reject(err, MTLS_E_CERT_BAD_SAN, c, depth,
			    r == GNUTLS_E_SHORT_MEMORY_BUFFER ?
			    "name longer than 1023 bytes" : gnutls_strerror(r));
		switch (r) {
		case GNUTLS_SAN_RFC822NAME:
			ok = valid_email(buf, sz);
			break;
		case GNUTLS_SAN_DNSNAME:
			ok = valid_dns(buf, sz);
			break;
		case GNUTLS_SAN_URI:
			ok = valid_uri(buf, sz);
			break;
		case GNUTLS_SAN_IPADDRESS:
			ok = sz == 4 || sz == 16;
			break;
		case GNUTLS_SAN_OTHERNAME_MSUSERPRINCIPAL:
			ok = valid_upn(buf, sz);
			break;
		default:
			ok = 1;
			break;
		}
		if (!ok)
			return reject(err, MTLS_E_CERT_BAD_SAN, c, depth,
			    r == GNUTLS_SAN_RFC822NAME ? "bad email address" :
			    r == GNUTLS_SAN_DNSNAME ? "bad DNS name" :
			    r == GNUTLS_SAN_URI ? "bad URI" :
			    r == GNUTLS_SAN_IPADDRESS ? "bad IP address" :
			    "bad user principal name");
	}
	return reject(err, MTLS_E_CERT_BAD_SAN, c, depth, "too many names");
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

static int
check_gnutls(const struct mtls_verifier *v, gnutls_x509_crt_t *path,
    size_t len, struct mtls_err *err)
{
	unsigned st = 0, flags;
	size_t i;
	char extra[64];

	flags = GNUTLS_VERIFY_DISABLE_TIME_CHECKS |
	    GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS |
	    GNUTLS_VERIFY_DO_NOT_ALLOW_X509_V1_CA_CRT |
	    gnutls_profile_flags(v->profile);
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
			return reject(err, status_code(one), path[i], i,
			    status_code(one) == MTLS_E_CERT_INSECURE ? extra :
			    NULL);
		}
	}
	snprintf(extra, sizeof(extra), "GnuTLS status 0x%x", st);
	return reject(err, status_code(st), path[0], 0,
	    status_code(st) == MTLS_E_CERT_INSECURE ? extra : NULL);
}

static int
check_times(gnutls_x509_crt_t *path, size_t len, time_t now,
    struct mtls_err *err)
{
	char when[32], extra[64];
	time_t nb, na;
	size_t i;

	for (i = 0; i < len; i++) {
		nb = gnutls_x509_crt_get_activation_time(path[i]);
		na = gnutls_x509_crt_get_expiration_time(path[i]);
		if (nb == (time_t)-1 || na == (time_t)-1)
			return reject(err, MTLS_E_CERT_MALFORMED, path[i], i,
			    "unreadable validity dates");
		if (now < nb) {
			mtls_format_time(nb, when, sizeof(when));
			snprintf(extra, sizeof(extra), "valid from %s", when);
			return reject(err, MTLS_E_CERT_NOT_YET_VALID, path[i],
			    i, extra);
		}
		if (now > na) {
			mtls_format_time(na, when, sizeof(when));
			snprintf(extra, sizeof(extra), "expired at %s", when);
			return reject(err, MTLS_E_CERT_EXPIRED, path[i], i,
			    extra);
		}
	}
	return 0;
}

/* --- revocation -------------------------------------------------------- */

static int
crl_fresh(const struct mtls_verifier *v, const struct crl *c, time_t now,
    struct mtls_err *err)
{
	char a[32], b[32];

	mtls_format_time(c->this_update, a, sizeof(a));
	if (c->this_update == (time_t)-1 || now < c->this_update)
		return mtls_err_set(err, MTLS_E_CRL_NOT_YET_VALID, "%s: %s: "
		    "thisUpdate is %s", mtls_strerror(MTLS_E_CRL_NOT_YET_VALID),
		    c->path, a);
	if (c->next_update == (time_t)-1)
		return mtls_err_set(err, MTLS_E_CRL_STALE, "%s: %s: it has no "
		    "nextUpdate", mtls_strerror(MTLS_E_CRL_STALE), c->path);
	mtls_format_time(c->next_update, b, sizeof(b));
	if (now > c->next_update)
		return mtls_err_set(err, MTLS_E_CRL_STALE, "%s: %s: nextUpdate "
		    "was %s", mtls_strerror(MTLS_E_CRL_STALE), c->path, b);
	if (v->crl_max_age > 0 && now - c->this_update > v->crl_max_age)
		return mtls_err_set(err, MTLS_E_CRL_STALE, "%s: %s: issued %s, "
		    "more than crl_max_age (%lds) ago",
		    mtls_strerror(MTLS_E_CRL_STALE), c->path, a,
		    v->crl_max_age);
	return 0;
}

static int
check_revocation(const struct mtls_verifier *v, gnutls_x509_crt_t *path,
    size_t len, time_t now, struct mtls_err *err)
{
	unsigned char buf[64];
	struct mtls_serial key;
	size_t i, k, sz, applicable;
	int r;

	/* A CRL that cannot be trusted is an error, never skipped. */
	for (k = 0; k < v->n_crls; k++)
		if (v->crls[k].status != 0)
			return mtls_err_set(err, v->crls[k].status, "%s: %s: %s",
			    mtls_strerror(v->crls[k].status), v->crls[k].path,
			    v->crls[k].why != NULL ? v->crls[k].why : "");
	for (i = 0; i + 1 < len; i++) {
		sz = sizeof(buf);
		if (gnutls_x509_crt_get_serial(path[i], buf, &sz) < 0 ||
		    serial_norm(buf, sz, &key) != 0)
			return reject(err, MTLS_E_CERT_MALFORMED, path[i], i,
			    "bad serial number (empty, or longer than 20 "
			    "octets)");
		applicable = 0;
		for (k = 0; k < v->n_crls; k++) {
			const struct crl *c = &v->crls[k];

			if (!gnutls_x509_crt_equals(c->issuer, path[i + 1]))
				continue;
			applicable++;
			if ((r = crl_fresh(v, c, now, err)) != 0)
				return r;
			if (c->idx != NULL)
				r = mtls_crlidx_lookup(c->idx, c->sect, &key);
			else
				r = c->n_serials > 0 && bsearch(&key,
				    c->serials, c->n_serials, sizeof(key),
				    mtls_serial_cmp) != NULL;
			if (r < 0)
				return mtls_err_set(err, MTLS_E_CRL_INDEX, "%s: "
				    "the revocation index of %s cannot be "
				    "read", mtls_strerror(MTLS_E_CRL_INDEX),
				    c->path);
			if (r > 0) {
				char extra[300];

				snprintf(extra, sizeof(extra), "listed in %s",
				    c->path);
				return reject(err, MTLS_E_CERT_REVOKED, path[i],
				    i, extra);
			}
		}
		if (applicable == 0 && v->crl_required) {
			char s[256], extra[320];

			subj(path[i + 1], s, sizeof(s));
			snprintf(extra, sizeof(extra), "no CRL from %s "
			    "(crl_required is yes)", s);
			return reject(err, MTLS_E_CRL_MISSING, path[i], i,
			    extra);
		}
	}
	return 0;
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

static void
fill_info(struct mtls_chain_info *info, gnutls_x509_crt_t *path, size_t len)
{
	char s[256];
	size_t i;

	if (info == NULL)
		return;
	mtls_chain_info_clear(info);
	for (i = 0; i < len && i < MAX_PATH; i++) {
		if (ca_fingerprint(path[i], info->fingerprint[info->n]) != 0)
			break;
		subj(path[i], s, sizeof(s));
		if ((info->subject[info->n] = strdup(s)) == NULL)
			break;
		info->n++;
	}
}

/* Static checks of every certificate in the path. */
static int
check_profile(const struct mtls_verifier *v, gnutls_x509_crt_t *path,
    size_t len, enum mtls_purpose purpose, struct mtls_err *err)
{
	size_t i;
	int r;

	for (i = 0; i < len; i++) {
		int anchor = i + 1 == len;

		if ((r = check_version(path[i], i, err)) != 0 ||
		    (r = check_key(path[i], i, v->profile, err)) != 0)
			return r;
		if (!anchor && ((r = check_signature_alg(path[i], i, err)) != 0 ||
		    (r = check_sans(path[i], i, err)) != 0 ||
		    (r = check_akid(path[i], path[i + 1], i, err)) != 0))
			return r;
		if (i == 0 && (r = check_leaf(path[i], purpose, err)) != 0)
			return r;
		if (i > 0 && (r = check_ca(path[i], i, anchor ? "trust anchor" :
		    "intermediate", err)) != 0)
			return r;
	}
	return 0;
}

int
mtls_verify_crts(const struct mtls_verifier *v, const gnutls_x509_crt_t *certs,
    size_t n, time_t now, enum mtls_purpose purpose, struct mtls_err *err,
    struct mtls_chain_info *info)
{
	gnutls_x509_crt_t path[MAX_PATH];
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
	if ((r = build_path(v, certs, n, path, &len, err)) != 0)
		goto out;
	fill_info(info, path, len);
	if ((r = check_profile(v, path, len, purpose, err)) != 0 ||
	    (r = check_gnutls(v, path, len, err)) != 0 ||
	    (r = check_times(path, len, now, err)) != 0 ||
	    (r = check_revocation(v, path, len, now, err)) != 0)
		goto out;
	r = 0;
 out:
	return r;
}

int
mtls_verify_der(const struct mtls_verifier *v, const gnutls_datum_t *certs,
    size_t n, time_t now, enum mtls_purpose purpose, struct mtls_err *err,
    struct mtls_chain_info *info)
{
	gnutls_x509_crt_t crts[MTLS_MAX_CHAIN_IN];
	size_t i, got = 0;
	int r = MTLS_E_INTERNAL;

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
	}
	r = mtls_verify_crts(v, crts, n, now, purpose, err, info);
 out:
	for (i = 0; i < got; i++)
		gnutls_x509_crt_deinit(crts[i]);
	return r;
}

size_t
mtls_verifier_problems(const struct mtls_verifier *v, time_t now,
    void (*fn)(void *ctx, int code, const char *msg), void *ctx)
{
	struct mtls_err e;
	size_t i, count = 0;

	for (i = 0; i < v->n_anchors; i++) {
		memset(&e, 0, sizeof(e));
		if (check_ca(v->anchors[i], 0, "trust anchor", &e) != 0 ||
		    check_key(v->anchors[i], 0, v->profile, &e) != 0 ||
		    check_times(&v->anchors[i], 1, now, &e) != 0) {
			fn(ctx, e.code, e.msg);
			count++;
		}
	}
	for (i = 0; i < v->n_inters; i++) {
		memset(&e, 0, sizeof(e));
		if (check_ca(v->inters[i], 0, "intermediate", &e) != 0 ||
		    check_key(v->inters[i], 0, v->profile, &e) != 0 ||
		    check_times(&v->inters[i], 1, now, &e) != 0) {
			fn(ctx, e.code, e.msg);
			count++;
		}
	}
	for (i = 0; i < v->n_crls; i++) {
		const struct crl *c = &v->crls[i];

		memset(&e, 0, sizeof(e));
		if (c->status != 0) {
			snprintf(e.msg, sizeof(e.msg), "%s: %s: %s",
			    mtls_strerror(c->status), c->path,
			    c->why != NULL ? c->why : "");
			fn(ctx, c->status, e.msg);
			count++;
		} else if (crl_fresh(v, c, now, &e) != 0) {
			fn(ctx, e.code, e.msg);
			count++;
		}
	}
	return count;
}
