/*
 * verify_crl.c - revocation: the configured CRLs, verified against their
 * issuers when the verifier is built (or taken from a revocation index
 * written after the same verification), and the check of a path against
 * them (freshness, crl_required, revoked serials).
 *
 * A CRL speaks for its issuer's name and key, not for one certificate of
 * that CA: it applies to every certificate whose issuer in the path has
 * the same subject DN and public key (mtls_vfy_ca_id), whichever copy of
 * the CA (reissued, cross-certified) the client presented.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/crypto.h>

#include "log.h"
#include "util.h"
#include "verify_int.h"

#define MAX_CRL_SIZE	(256UL * 1024 * 1024)

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

/* --- the identity of a CA ---------------------------------------------- */

int
mtls_vfy_ca_id(gnutls_x509_crt_t crt, unsigned char out[32])
{
	gnutls_datum_t dn = { NULL, 0 };
	gnutls_hash_hd_t h = NULL;
	unsigned char kid[32];
	size_t ksz = sizeof(kid);
	int r = -1;

	if (gnutls_x509_crt_get_raw_dn(crt, &dn) < 0 ||
	    gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA256, kid,
	    &ksz) < 0 || ksz != sizeof(kid) ||
	    gnutls_hash_init(&h, GNUTLS_DIG_SHA256) < 0)
		goto out;
	/* The DN is one DER element: the two cannot run into each other. */
	if (gnutls_hash(h, dn.data, dn.size) < 0 ||
	    gnutls_hash(h, kid, sizeof(kid)) < 0) {
		gnutls_hash_deinit(h, NULL);
		goto out;
	}
	gnutls_hash_deinit(h, out);
	r = 0;
 out:
	gnutls_free(dn.data);
	return r;
}

/* --- loading ------------------------------------------------------------ */

static void
crl_clear(struct crl *c)
{
	free(c->path);
	free(c->why);
	free(c->serials);
	memset(c, 0, sizeof(*c));
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
			    mtls_vfy_profile_flags(v->profile), &st) < 0)
				continue;
			/* Dates are judged at verification time, not here. */
			st &= ~timebits;
			if (st == 0 || st == GNUTLS_CERT_INVALID) {
				if (mtls_vfy_ca_id(lists[l][i], c->ca) != 0)
					continue;
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

/* Nonzero when a configured trust anchor or intermediate has the CA id. */
static int
ca_configured(const struct mtls_verifier *v, const unsigned char id[32])
{
	const gnutls_x509_crt_t *lists[2] = { v->anchors, v->inters };
	unsigned counts[2] = { v->n_anchors, v->n_inters };
	unsigned char h[32];
	unsigned l, i;

	for (l = 0; l < 2; l++)
		for (i = 0; i < counts[l]; i++)
			if (mtls_vfy_ca_id(lists[l][i], h) == 0 &&
			    memcmp(h, id, 32) == 0)
				return 1;
	return 0;
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
		if (!ca_configured(v, s->issuer)) {
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
		memcpy(c->ca, s->issuer, sizeof(c->ca));
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

		if (c->status != 0)
			return;
		memcpy(sects[i].issuer, c->ca, sizeof(sects[i].issuer));
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

int
mtls_vfy_crl_load(struct mtls_verifier *v, const char *path,
    struct mtls_err *err)
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
		return mtls_err_set(err, MTLS_E_IO, "CRL %s: cannot stat",
		    path);
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

void
mtls_vfy_crl_free(struct mtls_verifier *v)
{
	size_t i;

	for (i = 0; i < v->n_crls; i++)
		crl_clear(&v->crls[i]);
	free(v->crls);
	v->crls = NULL;
	v->n_crls = 0;
	for (i = 0; i < v->n_files; i++) {
		free(v->files[i].path);
		mtls_crlidx_close(v->files[i].idx);
	}
	free(v->files);
	v->files = NULL;
	v->n_files = 0;
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

/* --- revocation -------------------------------------------------------- */

int
mtls_vfy_crl_fresh(const struct mtls_verifier *v, const struct crl *c,
    time_t now, struct mtls_err *err)
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

int
mtls_vfy_check_revocation(const struct mtls_verifier *v,
    gnutls_x509_crt_t *path, size_t len, time_t now, struct mtls_err *err)
{
	unsigned char buf[64], ca[32];
	struct mtls_serial key;
	size_t i, k, sz, applicable;
	int r;

	/* A CRL that cannot be trusted is an error, never skipped. */
	for (k = 0; k < v->n_crls; k++)
		if (v->crls[k].status != 0)
			return mtls_err_set(err, v->crls[k].status,
			    "%s: %s: %s", mtls_strerror(v->crls[k].status),
			    v->crls[k].path,
			    v->crls[k].why != NULL ? v->crls[k].why : "");
	for (i = 0; i + 1 < len; i++) {
		sz = sizeof(buf);
		if (gnutls_x509_crt_get_serial(path[i], buf, &sz) < 0 ||
		    serial_norm(buf, sz, &key) != 0)
			return mtls_vfy_reject(err, MTLS_E_CERT_MALFORMED,
			    path[i], i, "bad serial number (empty, or longer "
			    "than 20 octets)");
		/* The issuer by name and key, whichever copy is in path. */
		if (mtls_vfy_ca_id(path[i + 1], ca) != 0)
			return mtls_vfy_reject(err, MTLS_E_CERT_MALFORMED,
			    path[i + 1], i + 1, "its name or key cannot be "
			    "read");
		applicable = 0;
		for (k = 0; k < v->n_crls; k++) {
			const struct crl *c = &v->crls[k];

			if (memcmp(c->ca, ca, sizeof(ca)) != 0)
				continue;
			applicable++;
			if ((r = mtls_vfy_crl_fresh(v, c, now, err)) != 0)
				return r;
			if (c->idx != NULL)
				r = mtls_crlidx_lookup(c->idx, c->sect, &key);
			else
				r = c->n_serials > 0 && bsearch(&key,
				    c->serials, c->n_serials, sizeof(key),
				    mtls_serial_cmp) != NULL;
			if (r < 0)
				return mtls_err_set(err, MTLS_E_CRL_INDEX,
				    "%s: the revocation index of %s cannot "
				    "be read", mtls_strerror(MTLS_E_CRL_INDEX),
				    c->path);
			if (r > 0) {
				char extra[300];

				snprintf(extra, sizeof(extra), "listed in %s",
				    c->path);
				return mtls_vfy_reject(err, MTLS_E_CERT_REVOKED,
				    path[i], i, extra);
			}
		}
		if (applicable == 0 && v->crl_required) {
			char s[256], extra[320];

			mtls_vfy_subj(path[i + 1], s, sizeof(s));
			snprintf(extra, sizeof(extra), "no CRL from %s "
			    "(crl_required is yes)", s);
			return mtls_vfy_reject(err, MTLS_E_CRL_MISSING, path[i],
			    i, extra);
		}
	}
	return 0;
}

