/*
 * verify_crl.c - revocation: the configured CRLs, verified against their
 * issuers when the verifier is built (or taken from a revocation index
 * written after the same verification), and the check of a path against
 * them (freshness, crl_required, revoked serials).
 *
 * A CRL speaks for its issuer's name and key, not for one certificate of
 * that CA: it applies to every certificate whose issuer in the path has
 * the same subject DN and public key (mtls_vfy_ca_id), whichever copy of
 * the CA (reissued, cross-certified) the client presented.  Only complete
 * CRLs vouch that a certificate is not revoked: one whose
 * issuingDistributionPoint limits it (onlyContainsUserCerts excepted, for
 * end-entity certificates) or that is a delta CRL counts for no
 * certificate, though a serial it lists is still refused.  A CRL with an
 * unknown critical extension, in itself or in an entry, or without a
 * proper cRLNumber, cannot be used at all.
 *
 * A CRL file is read in one pass when it can be (crlstream.c): GnuTLS
 * parses only its header (the CRL without its entries), the signature is
 * checked over the digest taken on the way, and the serials go straight
 * into the sorted array, so that a million entries cost their 21 MB and
 * not GnuTLS's kilobyte each.  Whatever the pass does not take whole is
 * parsed whole as before; either way the CRL gets the same record (the
 * fuzz target fuzz_crlstream holds the two to that).
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>

#include "crlstream.h"
#include "log.h"
#include "util.h"
#include "verify_int.h"

#define MAX_CRL_SIZE	(256UL * 1024 * 1024)

int mtls_vfy_crl_stream = 1;

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

int
mtls_vfy_ids_init(struct mtls_verifier *v)
{
	unsigned i, n = v->n_anchors + v->n_inters;

	if (n == 0)
		return 0;
	if ((v->ids = calloc(n, sizeof(*v->ids))) == NULL)
		return MTLS_E_NOMEM;
	for (i = 0; i < n; i++)
		v->ids[i].ok = mtls_vfy_ca_id(i < v->n_anchors ? v->anchors[i] :
		    v->inters[i - v->n_anchors], v->ids[i].id) == 0;
	return 0;
}

/* The id of list l's certificate i (anchors, intermediates). */
static int
list_id(const struct mtls_verifier *v, unsigned l, unsigned i,
    unsigned char out[32])
{
	const struct vfy_ca_id *c;

	if (v->ids == NULL)
		return mtls_vfy_ca_id(l == 0 ? v->anchors[i] : v->inters[i],
		    out);
	c = &v->ids[(l == 0 ? 0 : v->n_anchors) + i];
	if (!c->ok)
		return -1;
	memcpy(out, c->id, 32);
	return 0;
}

int
mtls_vfy_ca_id_of(const struct mtls_verifier *v, gnutls_x509_crt_t crt,
    unsigned char out[32])
{
	unsigned i;

	for (i = 0; i < v->n_anchors; i++)
		if (v->anchors[i] == crt)
			return list_id(v, 0, i, out);
	for (i = 0; i < v->n_inters; i++)
		if (v->inters[i] == crt)
			return list_id(v, 1, i, out);
	return mtls_vfy_ca_id(crt, out);
}

/* --- the extensions of a CRL and of its entries ------------------------- */

/*
 * GnuTLS parses a CRL's structure but shows neither the extensions of its
 * entries nor the content of issuingDistributionPoint, so this walks the
 * DER itself: definite lengths of at most four octets, one-octet tags,
 * nothing read past the element that holds it.
 */

/* One DER element: its tag and its content. */
struct der {
	unsigned char		 tag;
	const unsigned char	*p;
	size_t			 len;
};

/* The elements left in a constructed one. */
struct derseq {
	const unsigned char	*p;
	size_t			 left;
};

#define TAG_BOOLEAN	0x01
#define TAG_INTEGER	0x02
#define TAG_OCTETS	0x04
#define TAG_OID		0x06
#define TAG_UTCTIME	0x17
#define TAG_GENTIME	0x18
#define TAG_SEQUENCE	0x30
#define TAG_EXPLICIT0	0xa0

/* id-ce-* (2.5.29.n) of the extensions known here. */
#define CE_ISSUER_ALT_NAME	18
#define CE_CRL_NUMBER		20
#define CE_REASON_CODE		21
#define CE_INVALIDITY_DATE	24
#define CE_DELTA_CRL		27
#define CE_IDP			28
#define CE_AKI			35

/* Take the next element of s into e; 0, or -1 when malformed. */
static int
der_get(struct derseq *s, struct der *e)
{
	const unsigned char *p = s->p;
	size_t n = s->left, len, k;

	if (n < 2 || (p[0] & 0x1f) == 0x1f)
		return -1;
	e->tag = p[0];
	len = p[1];
	p += 2;
	n -= 2;
	if ((len & 0x80) != 0) {
		k = len & 0x7f;
		if (k == 0 || k > 4 || k > n)
			return -1;
		for (len = 0; k > 0; k--, n--)
			len = (len << 8) | *p++;
	}
	if (len > n)
		return -1;
	e->p = p;
	e->len = len;
	s->p = p + len;
	s->left = n - len;
	return 0;
}

/* The next element of s, which must carry tag. */
static int
der_want(struct derseq *s, unsigned char tag, struct der *e)
{
	return der_get(s, e) == 0 && e->tag == tag ? 0 : -1;
}

/* The elements inside e. */
static struct derseq
der_in(const struct der *e)
{
	struct derseq s = { e->p, e->len };

	return s;
}

static int
is_time(const struct der *e)
{
	return e->tag == TAG_UTCTIME || e->tag == TAG_GENTIME;
}

/* n for the OID 2.5.29.n (n < 128), else -1. */
static int
id_ce(const struct der *oid)
{
	if (oid->len == 3 && oid->p[0] == 0x55 && oid->p[1] == 0x1d &&
	    oid->p[2] < 0x80)
		return oid->p[2];
	return -1;
}

/* A non-negative INTEGER of at most 20 octets, alone in an extnValue. */
static int
ext_uint(const struct der *value)
{
	struct derseq s = der_in(value);
	struct der e;

	if (der_want(&s, TAG_INTEGER, &e) != 0 || s.left != 0 || e.len == 0 ||
	    (e.p[0] & 0x80) != 0)
		return -1;
	if (e.len > 1 && e.p[0] == 0 && (e.p[1] & 0x80) == 0)
		return -1;		/* not minimal */
	return e.len - (e.p[0] == 0) <= 20 ? 0 : -1;
}

/* Extension ::= SEQUENCE { extnID, critical DEFAULT FALSE, extnValue } */
struct ext {
	int		 ce;		/* id_ce() of extnID */
	int		 critical;
	struct der	 value;		/* the content of the OCTET STRING */
};

static int
ext_read(struct derseq *list, struct ext *x)
{
	struct der e, oid, b;
	struct derseq s;

	if (der_want(list, TAG_SEQUENCE, &e) != 0)
		return -1;
	s = der_in(&e);
	if (der_want(&s, TAG_OID, &oid) != 0 || der_get(&s, &b) != 0)
		return -1;
	x->ce = id_ce(&oid);
	x->critical = 0;
	if (b.tag == TAG_BOOLEAN) {
		if (b.len != 1)
			return -1;
		x->critical = b.p[0] != 0;
		if (der_get(&s, &b) != 0)
			return -1;
	}
	if (b.tag != TAG_OCTETS || s.left != 0)
		return -1;
	x->value = b;
	return 0;
}

/*
 * IssuingDistributionPoint ::= SEQUENCE { distributionPoint [0],
 * onlyContainsUserCerts [1] BOOLEAN, onlyContainsCACerts [2] BOOLEAN,
 * onlySomeReasons [3] ReasonFlags, indirectCRL [4] BOOLEAN,
 * onlyContainsAttributeCerts [5] BOOLEAN }, each optional, in order.
 */
static int
idp_read(const struct der *value, unsigned *scope)
{
	static const unsigned flag[6] = { MTLS_CRL_SCOPE_PARTITION,
	    MTLS_CRL_SCOPE_USERS, MTLS_CRL_SCOPE_CAS, MTLS_CRL_SCOPE_REASONS,
	    MTLS_CRL_SCOPE_INDIRECT, MTLS_CRL_SCOPE_ATTRS };
	struct derseq s = der_in(value);
	struct der seq, e;
	int n, last = -1;

	if (der_want(&s, TAG_SEQUENCE, &seq) != 0 || s.left != 0)
		return -1;
	s = der_in(&seq);
	while (s.left > 0) {
		if (der_get(&s, &e) != 0 || (e.tag & 0xc0) != 0x80)
			return -1;
		n = e.tag & 0x1f;
		if (n > 5 || n <= last)
			return -1;
		last = n;
		/* [0] is a CHOICE, so constructed; the others are not. */
		if (((e.tag & 0x20) != 0) != (n == 0))
			return -1;
		if (n == 0 || n == 3) {
			if (e.len == 0)
				return -1;
			*scope |= flag[n];
		} else if (e.len != 1)
			return -1;
		else if (e.p[0] != 0)
			*scope |= flag[n];
	}
	return 0;
}

/* The crlExtensions, [0] EXPLICIT SEQUENCE OF Extension. */
static int
scan_crl_exts(const struct der *tagged, unsigned *scope, const char **why)
{
	struct derseq s = der_in(tagged);
	struct der list;
	struct ext x;
	unsigned seen = 0;

	if (der_want(&s, TAG_SEQUENCE, &list) != 0 || s.left != 0)
		goto malformed;
	s = der_in(&list);
	while (s.left > 0) {
		if (ext_read(&s, &x) != 0)
			goto malformed;
		switch (x.ce) {
		case CE_CRL_NUMBER:
		case CE_DELTA_CRL:
		case CE_IDP:
			if ((seen & (1u << x.ce)) != 0) {
				*why = "an extension appears twice";
				return MTLS_E_CRL_MALFORMED;
			}
			seen |= 1u << x.ce;
			break;
		case CE_AKI:
		case CE_ISSUER_ALT_NAME:
			continue;
		default:
			if (!x.critical)
				continue;
			*why = "it has a critical extension that mtls does not "
			    "know";
			return MTLS_E_CRL_CRITICAL_EXT;
		}
		if (x.ce == CE_CRL_NUMBER && x.critical) {
			*why = "its cRLNumber is marked critical";
			return MTLS_E_CRL_NUMBER;
		}
		if (x.ce == CE_CRL_NUMBER && ext_uint(&x.value) != 0) {
			*why = "its cRLNumber is not an integer of at most 20 "
			    "octets";
			return MTLS_E_CRL_NUMBER;
		}
		if (x.ce == CE_DELTA_CRL) {
			if (ext_uint(&x.value) != 0)
				goto malformed;
			*scope |= MTLS_CRL_SCOPE_DELTA;
		}
		if (x.ce == CE_IDP && idp_read(&x.value, scope) != 0) {
			*why = "its issuingDistributionPoint cannot be parsed";
			return MTLS_E_CRL_MALFORMED;
		}
	}
	if ((seen & (1u << CE_CRL_NUMBER)) == 0) {
		*why = "it has no cRLNumber";
		return MTLS_E_CRL_NUMBER;
	}
	return 0;
 malformed:
	*why = "its extensions cannot be parsed";
	return MTLS_E_CRL_MALFORMED;
}

/*
 * revokedCertificates: SEQUENCE OF SEQUENCE { userCertificate INTEGER,
 * revocationDate Time, crlEntryExtensions Extensions OPTIONAL }.  Only
 * reasonCode and invalidityDate are understood; they change nothing here
 * (a listed serial is refused whatever the reason).
 */
static int
scan_entries(const struct der *list, const char **why)
{
	struct derseq s = der_in(list), es, xs;
	struct der entry, e;
	struct ext x;

	while (s.left > 0) {
		if (der_want(&s, TAG_SEQUENCE, &entry) != 0)
			goto malformed;
		es = der_in(&entry);
		if (der_want(&es, TAG_INTEGER, &e) != 0 ||
		    der_get(&es, &e) != 0 || !is_time(&e))
			goto malformed;
		if (es.left == 0)
			continue;
		if (der_want(&es, TAG_SEQUENCE, &e) != 0 || es.left != 0)
			goto malformed;
		xs = der_in(&e);
		while (xs.left > 0) {
			if (ext_read(&xs, &x) != 0)
				goto malformed;
			if (x.critical && x.ce != CE_REASON_CODE &&
			    x.ce != CE_INVALIDITY_DATE) {
				*why = "an entry has a critical extension that "
				    "mtls does not know";
				return MTLS_E_CRL_CRITICAL_EXT;
			}
		}
	}
	return 0;
 malformed:
	*why = "its list of revoked certificates cannot be parsed";
	return MTLS_E_CRL_MALFORMED;
}

/* The OID of an AlgorithmIdentifier (a SEQUENCE's content). */
static int
alg_oid(const struct der *alg, struct der *oid)
{
	struct derseq s = der_in(alg);

	return der_want(&s, TAG_OID, oid);
}

int
mtls_vfy_crl_scan(const unsigned char *der, size_t len, unsigned *scope,
    const char **why)
{
	struct derseq s = { der, len }, t;
	struct der e, outer, inner_oid, outer_oid, entries = { 0, NULL, 0 };
	int r, have;

	*scope = 0;
	*why = "it cannot be parsed";
	/* CertificateList ::= SEQUENCE { tbsCertList, ... } */
	if (der_want(&s, TAG_SEQUENCE, &e) != 0 || s.left != 0)
		return MTLS_E_CRL_MALFORMED;
	s = der_in(&e);
	if (der_want(&s, TAG_SEQUENCE, &e) != 0 ||
	    der_want(&s, TAG_SEQUENCE, &outer) != 0)
		return MTLS_E_CRL_MALFORMED;
	/* version, signature, issuer, thisUpdate, then the optional ones */
	t = der_in(&e);
	if (der_get(&t, &e) != 0 ||
	    (e.tag == TAG_INTEGER && der_get(&t, &e) != 0) ||
	    e.tag != TAG_SEQUENCE)
		return MTLS_E_CRL_MALFORMED;
	/* RFC 5280 5.1.2.2: the signed algorithm is the one used. */
	if (alg_oid(&e, &inner_oid) != 0 || alg_oid(&outer, &outer_oid) != 0 ||
	    inner_oid.len != outer_oid.len ||
	    memcmp(inner_oid.p, outer_oid.p, inner_oid.len) != 0) {
		*why = "its signature algorithm is not the one named in "
		    "tbsCertList";
		return MTLS_E_CRL_MALFORMED;
	}
	if (der_want(&t, TAG_SEQUENCE, &e) != 0 ||
	    der_get(&t, &e) != 0 || !is_time(&e))
		return MTLS_E_CRL_MALFORMED;
	have = t.left > 0;
	if (have && der_get(&t, &e) != 0)
		return MTLS_E_CRL_MALFORMED;
	if (have && is_time(&e) && (have = t.left > 0) &&
	    der_get(&t, &e) != 0)
		return MTLS_E_CRL_MALFORMED;
	if (have && e.tag == TAG_SEQUENCE) {
		entries = e;
		if ((have = t.left > 0) && der_get(&t, &e) != 0)
			return MTLS_E_CRL_MALFORMED;
	}
	if (!have || e.tag != TAG_EXPLICIT0) {
		*why = have ? "it cannot be parsed" : "it has no cRLNumber";
		return have ? MTLS_E_CRL_MALFORMED : MTLS_E_CRL_NUMBER;
	}
	if (t.left != 0)
		return MTLS_E_CRL_MALFORMED;
	if ((r = scan_crl_exts(&e, scope, why)) != 0)
		return r;
	if (entries.p != NULL && (r = scan_entries(&entries, why)) != 0)
		return r;
	*why = NULL;
	return 0;
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

/* No configured CA verified the CRL; named of them had its issuer's name. */
static void
crl_issuer_unknown(struct crl *c, unsigned named)
{
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
				if (list_id(v, l, i, c->ca) != 0)
					continue;
				c->status = 0;
				return;
			}
		}
	}
	crl_issuer_unknown(c, named);
}

/*
 * Keep one of each serial of the sorted list[0..n-1]; the new count.  A
 * CRL may list a serial twice; the index holds a set.
 */
static size_t
serials_unique(struct mtls_serial *list, size_t n)
{
	size_t i, k;

	for (i = k = 0; i < n; i++)
		if (k == 0 || mtls_serial_cmp(&list[k - 1], &list[i]) != 0)
			list[k++] = list[i];
	return k;
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
	c->n_serials = serials_unique(list, n);
	list = NULL;
	r = 0;
 out:
	free(list);
	gnutls_x509_crl_iter_deinit(iter);
	return r;
}

/* Keep the cRLNumber of crl (or of a header) in c, for mtls crl fetch. */
static void
crl_number(gnutls_x509_crl_t crl, struct crl *c)
{
	unsigned char buf[64];
	const unsigned char *p = buf;
	size_t sz = sizeof(buf);

	c->number_len = 0;
	if (gnutls_x509_crl_get_number(crl, buf, &sz, NULL) < 0)
		return;
	while (sz > 1 && p[0] == 0) {
		p++;
		sz--;
	}
	if (sz == 0 || sz > sizeof(c->number))
		return;
	memcpy(c->number, p, sz);
	c->number_len = sz;
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

/*
 * Add one CRL, parsed by GnuTLS from der (or a placeholder saying why a
 * file cannot be used, when crl is NULL).
 */
static int
crl_add(struct mtls_verifier *v, const char *path, gnutls_x509_crl_t crl,
    const gnutls_datum_t *der, int status, const char *why)
{
	const char *scan_why = NULL;
	struct crl *c;
	int r, scan;

	if ((c = crl_new(v, path)) == NULL)
		return MTLS_E_NOMEM;
	c->status = status;
	if (status != 0) {
		c->why = mtls_strdup(why);
		return 0;
	}
	c->this_update = gnutls_x509_crl_get_this_update(crl);
	c->next_update = gnutls_x509_crl_get_next_update(crl);
	crl_number(crl, c);
	if ((r = crl_read_serials(crl, c)) != 0) {
		if (r == MTLS_E_NOMEM)
			return r;
		c->status = MTLS_E_CRL_MALFORMED;
		c->why = strdup("its revoked-certificate list cannot be read");
		return 0;
	}
	scan = mtls_vfy_crl_scan(der->data, der->size, &c->scope, &scan_why);
	crl_find_issuer(v, crl, c);
	/* What a CRL says counts once its signature is known to be good. */
	if (c->status == 0 && scan != 0) {
		c->status = scan;
		c->why = mtls_strdup(scan_why);
	}
	return 0;
}

/* Parse the DER CRL der and add it; why: what to say when it fails. */
static int
crl_add_der(struct mtls_verifier *v, const char *path,
    const gnutls_datum_t *der, const char *why)
{
	gnutls_x509_crl_t crl = NULL;
	int r;

	if (gnutls_x509_crl_init(&crl) < 0)
		return MTLS_E_NOMEM;
	if (gnutls_x509_crl_import(crl, der, GNUTLS_X509_FMT_DER) < 0)
		r = crl_add(v, path, NULL, NULL, MTLS_E_CRL_MALFORMED, why);
	else
		r = crl_add(v, path, crl, der, 0, NULL);
	gnutls_x509_crl_deinit(crl);
	return r;
}

#define PEM_CRL		"-----BEGIN X509 CRL"

/*
 * Add every CRL of buf (NUL-terminated): each PEM block, or the whole as
 * one DER CRL.  Each is decoded here and handed to GnuTLS as DER, so that
 * the bytes walked for extensions are the bytes GnuTLS parsed.
 */
static int
crl_add_all(struct mtls_verifier *v, const char *path, const char *buf,
    size_t len)
{
	const char *p = buf, *end = buf + len;
	gnutls_datum_t d, der;
	size_t n = 0;
	int r = 0;

	if (strstr(buf, "-----BEGIN") == NULL) {
		d.data = (unsigned char *)buf;
		d.size = (unsigned)len;
		return crl_add_der(v, path, &d, "it holds no CRL that can be "
		    "parsed");
	}
	while (r == 0 && (p = memmem(p, (size_t)(end - p), PEM_CRL,
	    sizeof(PEM_CRL) - 1)) != NULL) {
		d.data = (unsigned char *)p;
		d.size = (unsigned)(end - p);
		if (gnutls_pem_base64_decode2("X509 CRL", &d, &der) < 0)
			return crl_add(v, path, NULL, NULL,
			    MTLS_E_CRL_MALFORMED, "a PEM block in it cannot "
			    "be decoded");
		r = crl_add_der(v, path, &der, "a CRL in it cannot be parsed");
		gnutls_free(der.data);
		p += sizeof(PEM_CRL) - 1;
		n++;
	}
	if (r == 0 && n == 0)
		r = crl_add(v, path, NULL, NULL, MTLS_E_CRL_MALFORMED,
		    "it holds no CRL that can be parsed");
	return r;
}

/* --- the one-pass read ------------------------------------------------- */

/*
 * What gnutls_x509_crl_verify checks of issuer for a CRL, with the
 * signature sig (by algorithm sign) checked over the bytes cs read: the
 * issuer is a CA, has cRLSign when it has a keyUsage, and its key verifies
 * the signature under flags.  Nonzero when all hold.
 */
static int
stream_sig_ok(gnutls_x509_crt_t issuer, gnutls_sign_algorithm_t sign,
    unsigned flags, const gnutls_datum_t *sig,
    const struct mtls_crlstream *cs)
{
	gnutls_pubkey_t pub = NULL;
	gnutls_datum_t d;
	unsigned usage;
	int r, ok = 0;

	if (gnutls_x509_crt_get_ca_status(issuer, NULL) != 1)
		return 0;
	r = gnutls_x509_crt_get_key_usage(issuer, &usage, NULL);
	if (r != GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE &&
	    (r < 0 || (usage & GNUTLS_KEY_CRL_SIGN) == 0))
		return 0;
	if (sign == GNUTLS_SIGN_RSA_MD2 || sign == GNUTLS_SIGN_RSA_MD5 ||
	    gnutls_pubkey_init(&pub) < 0)
		return 0;
	if (gnutls_pubkey_import_x509(pub, issuer, 0) < 0)
		goto out;
	if (cs->tbs != NULL) {
		d.data = cs->tbs;
		d.size = (unsigned)cs->tbs_len;
		r = gnutls_pubkey_verify_data2(pub, sign, flags, &d, sig);
	} else {
		d.data = (unsigned char *)cs->digest;
		d.size = (unsigned)cs->digest_len;
		r = gnutls_pubkey_verify_hash2(pub, sign, flags, &d, sig);
	}
	ok = r >= 0;
 out:
	gnutls_pubkey_deinit(pub);
	return ok;
}

/*
 * crl_find_issuer for a CRL read in one pass: hdr is its header, parsed
 * by GnuTLS, the signature checked over what cs read.
 */
static void
stream_find_issuer(struct mtls_verifier *v, gnutls_x509_crl_t hdr,
    gnutls_sign_algorithm_t sign, const struct mtls_crlstream *cs,
    struct crl *c)
{
	gnutls_x509_crt_t *lists[2] = { v->anchors, v->inters };
	unsigned counts[2] = { v->n_anchors, v->n_inters };
	unsigned i, l, named = 0;
	unsigned char *sigbuf = NULL;
	size_t sz = 0;
	gnutls_datum_t sig;
	int have;

	/* Its size comes back only from a call that finds no room. */
	have = gnutls_x509_crl_get_signature(hdr, NULL, &sz) ==
	    GNUTLS_E_SHORT_MEMORY_BUFFER && sz > 0 &&
	    (sigbuf = malloc(sz)) != NULL &&
	    gnutls_x509_crl_get_signature(hdr, (char *)sigbuf, &sz) == 0;
	sig.data = sigbuf;
	sig.size = (unsigned)sz;
	for (l = 0; l < 2; l++) {
		for (i = 0; i < counts[l]; i++) {
			if (!gnutls_x509_crl_check_issuer(hdr, lists[l][i]))
				continue;
			named++;
			if (!have || !stream_sig_ok(lists[l][i], sign,
			    GNUTLS_VERIFY_DISABLE_TIME_CHECKS |
			    mtls_vfy_profile_flags(v->profile), &sig, cs) ||
			    list_id(v, l, i, c->ca) != 0)
				continue;
			c->status = 0;
			goto out;
		}
	}
	crl_issuer_unknown(c, named);
 out:
	free(sigbuf);
}

/*
 * Add the CRL of the file open on fd (fstat st) as read in one pass.
 * 0 with sum set to the SHA-256 of the file, MTLS_CRLSTREAM_OTHER when
 * the file must be parsed whole, or MTLS_E_NOMEM.  The CRL record gets
 * what crl_add would give it.
 */
static int
crl_add_stream(struct mtls_verifier *v, const char *path, int fd,
    const struct stat *st, unsigned char sum[32])
{
	struct mtls_crlstream cs;
	gnutls_x509_crl_t hdr = NULL;
	gnutls_datum_t d;
	const char *scan_why = NULL;
	struct crl *c;
	int r, scan;

	r = mtls_crlstream_read(fd, (uint64_t)st->st_size,
	    v->crl_whole_max > 0 ? v->crl_whole_max : MAX_CRL_SIZE, &cs);
	if (r == MTLS_E_CRL_MALFORMED) {
		/* Its DER runs past its end: GnuTLS cannot parse it either. */
		return crl_add(v, path, NULL, NULL, MTLS_E_CRL_MALFORMED,
		    "it holds no CRL that can be parsed");
	}
	if (r == MTLS_E_NOMEM || r == MTLS_CRLSTREAM_OTHER)
		return r;
	if (r != 0)
		return MTLS_CRLSTREAM_OTHER;
	r = MTLS_CRLSTREAM_OTHER;
	d.data = cs.header;
	d.size = (unsigned)cs.header_len;
	if (gnutls_x509_crl_init(&hdr) < 0) {
		r = MTLS_E_NOMEM;
		goto out;
	}
	/* GnuTLS judges the header as it judged the whole CRL. */
	if (gnutls_x509_crl_import(hdr, &d, GNUTLS_X509_FMT_DER) < 0 ||
	    gnutls_x509_crl_get_signature_algorithm(hdr) != (int)cs.sign)
		goto out;
	if ((c = crl_new(v, path)) == NULL) {
		r = MTLS_E_NOMEM;
		goto out;
	}
	c->this_update = gnutls_x509_crl_get_this_update(hdr);
	c->next_update = gnutls_x509_crl_get_next_update(hdr);
	crl_number(hdr, c);
	c->serials = cs.serials;
	c->n_serials = serials_unique(cs.serials, cs.n_serials);
	cs.serials = NULL;
	scan = mtls_vfy_crl_scan(cs.header, cs.header_len, &c->scope,
	    &scan_why);
	if (scan == 0 && cs.entry_critical) {
		scan = MTLS_E_CRL_CRITICAL_EXT;
		scan_why = "an entry has a critical extension that mtls does "
		    "not know";
	}
	stream_find_issuer(v, hdr, cs.sign, &cs, c);
	if (c->status == 0 && scan != 0) {
		c->status = scan;
		c->why = mtls_strdup(scan_why);
	}
	memcpy(sum, cs.file_sha256, 32);
	r = 0;
 out:
	gnutls_x509_crl_deinit(hdr);
	mtls_crlstream_clear(&cs);
	return r;
}

/* Nonzero when a configured trust anchor or intermediate has the CA id. */
static int
ca_configured(const struct mtls_verifier *v, const unsigned char id[32])
{
	unsigned counts[2] = { v->n_anchors, v->n_inters };
	unsigned char h[32];
	unsigned l, i;

	for (l = 0; l < 2; l++)
		for (i = 0; i < counts[l]; i++)
			if (list_id(v, l, i, h) == 0 &&
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
		c->scope = s->scope;
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
 * Write the index for the CRLs first..v->n_crls-1, read from the file
 * fstat describes (sum: the SHA-256 of its bytes), when every one of
 * them verified.
 * Failure to write is not an error: the next login parses again.
 */
static void
crl_write_index(struct mtls_verifier *v, struct crlfile *f, const char *ipath,
    const struct stat *st, const unsigned char sum[32], size_t first)
{
	struct mtls_crlidx_sect sects[MTLS_CRLIDX_MAX_SECTIONS];
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
		sects[i].scope = c->scope;
		sects[i].this_update = (int64_t)c->this_update;
		sects[i].next_update = (int64_t)c->next_update;
		sects[i].serials = c->serials;
		sects[i].n = c->n_serials;
	}
	memset(&e, 0, sizeof(e));
	if (mtls_crlidx_write(ipath, st, (unsigned)v->profile, sum, sects, n,
	    &e) != 0) {
		mtls_log(LOG_DEBUG, "CRL index for %s not written: %s",
		    f->path, mtls_err_msg(&e));
		return;
	}
	f->source = MTLS_CRL_FROM_FILE_INDEXED;
}

/* A login's refusal to take in the CRL file path (fstat st) itself. */
static int
crl_unindexed(struct mtls_verifier *v, const char *path,
    const struct stat *st)
{
	mtls_log(LOG_ERR, "CRL %s (%llu bytes) has no current revocation "
	    "index and is too large to parse at login; run `mtls crl update`",
	    path, (unsigned long long)st->st_size);
	return crl_add(v, path, NULL, NULL, MTLS_E_CRL_UNINDEXED,
	    "it has no current revocation index and is too large to parse "
	    "at login: run `mtls crl update`");
}

int
mtls_vfy_crl_load(struct mtls_verifier *v, const char *path,
    struct mtls_err *err)
{
	struct crlfile *nf, *f;
	char ipath[PATH_MAX];
	unsigned char sum[32];
	char *buf = NULL;
	size_t len = 0, first;
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
	first = v->n_crls;
	/*
	 * Parsed whole, GnuTLS holds about a kilobyte per entry; read in
	 * one pass, a CRL costs 21 bytes per entry, which is still too much
	 * for a login beyond some size.  mtls crl update pays either.
	 */
	if (v->crl_whole_max > 0 && (uint64_t)st.st_size >
	    MTLS_CRL_LOGIN_READ_FACTOR * (uint64_t)v->crl_whole_max) {
		close(fd);
		r = crl_unindexed(v, path, &st);
		goto out;
	}
	if (mtls_vfy_crl_stream && (uint64_t)st.st_size <= MAX_CRL_SIZE) {
		r = crl_add_stream(v, path, fd, &st, sum);
		if (r == 0 && cached)
			crl_write_index(v, f, ipath, &st, sum, first);
		if (r != MTLS_CRLSTREAM_OTHER) {
			close(fd);
			goto out;
		}
	}
	if (v->crl_whole_max > 0 && (uint64_t)st.st_size > v->crl_whole_max) {
		close(fd);
		r = crl_unindexed(v, path, &st);
		goto out;
	}
	r = mtls_fd_read(fd, path, "CRL", MAX_CRL_SIZE, &buf, &len, err);
	close(fd);
	if (r != 0)
		goto out;
	if ((r = crl_add_all(v, path, buf, len)) == 0 && cached &&
	    gnutls_hash_fast(GNUTLS_DIG_SHA256, buf, len, sum) == 0)
		crl_write_index(v, f, ipath, &st, sum, first);
 out:
	if (r == MTLS_E_NOMEM)
		mtls_err_set(err, r, NULL);
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

size_t
mtls_verifier_crls(const struct mtls_verifier *v)
{
	return v->n_crls;
}

int
mtls_verifier_crl(const struct mtls_verifier *v, size_t k,
    struct mtls_crl_info *out)
{
	const struct crl *c;

	if (k >= v->n_crls)
		return -1;
	c = &v->crls[k];
	out->path = c->path;
	out->status = c->status;
	memcpy(out->issuer, c->ca, sizeof(out->issuer));
	out->this_update = c->this_update;
	out->next_update = c->next_update;
	out->number = c->number;
	out->number_len = c->number_len;
	return 0;
}

int
mtls_ca_id(gnutls_x509_crt_t crt, unsigned char out[32])
{
	return mtls_vfy_ca_id(crt, out);
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

/*
 * Nonzero when c vouches for the certificates of its issuer that it does
 * not list, CA certificates (ca) or end-entity ones: only a complete CRL
 * does, or one limited to end-entity certificates for those.
 */
static int
crl_covers(const struct crl *c, int ca)
{
	return c->scope == 0 || (c->scope == MTLS_CRL_SCOPE_USERS && !ca);
}

/* The limits of a CRL's scope, for a message. */
static void
scope_text(unsigned scope, char *buf, size_t size)
{
	static const struct {
		unsigned	 flag;
		const char	*name;
	} names[] = {
		{ MTLS_CRL_SCOPE_DELTA, "a delta CRL" },
		{ MTLS_CRL_SCOPE_PARTITION, "a distributionPoint (one "
		    "partition)" },
		{ MTLS_CRL_SCOPE_USERS, "onlyContainsUserCerts" },
		{ MTLS_CRL_SCOPE_CAS, "onlyContainsCACerts" },
		{ MTLS_CRL_SCOPE_ATTRS, "onlyContainsAttributeCerts" },
		{ MTLS_CRL_SCOPE_REASONS, "onlySomeReasons" },
		{ MTLS_CRL_SCOPE_INDIRECT, "indirectCRL" },
	};
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if ((scope & names[i].flag) == 0 || n >= size)
			continue;
		n += (size_t)snprintf(buf + n, size - n, "%s%s",
		    n > 0 ? ", " : "", names[i].name);
	}
}

int
mtls_vfy_check_revocation(const struct mtls_verifier *v,
    gnutls_x509_crt_t *path, size_t len, time_t now, struct mtls_err *err)
{
	unsigned char buf[64], ca[32];
	struct mtls_serial key;
	size_t i, k, sz, covered, limited;
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
		if (mtls_vfy_ca_id_of(v, path[i + 1], ca) != 0)
			return mtls_vfy_reject(err, MTLS_E_CERT_MALFORMED,
			    path[i + 1], i + 1, "its name or key cannot be "
			    "read");
		covered = limited = 0;
		for (k = 0; k < v->n_crls; k++) {
			const struct crl *c = &v->crls[k];

			if (memcmp(c->ca, ca, sizeof(ca)) != 0)
				continue;
			/* A limited CRL clears nothing, but it may revoke. */
			if (!crl_covers(c, i > 0))
				limited++;
			else if ((r = mtls_vfy_crl_fresh(v, c, now, err)) != 0)
				return r;
			else
				covered++;
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
		if (covered == 0 && v->crl_required) {
			char s[256], extra[400];

			mtls_vfy_subj(path[i + 1], s, sizeof(s));
			snprintf(extra, sizeof(extra), "no CRL from %s "
			    "(crl_required is yes)%s", s, limited == 0 ? "" :
			    "; its CRLs of limited scope do not cover this "
			    "certificate");
			return mtls_vfy_reject(err, MTLS_E_CRL_MISSING, path[i],
			    i, extra);
		}
	}
	return 0;
}

size_t
mtls_vfy_crl_problems(const struct mtls_verifier *v, time_t now,
    void (*fn)(void *ctx, int code, const char *msg), void *ctx)
{
	struct mtls_err e;
	char scope[160];
	size_t i, count = 0;

	for (i = 0; i < v->n_crls; i++) {
		const struct crl *c = &v->crls[i];

		memset(&e, 0, sizeof(e));
		if (c->status != 0)
			mtls_err_set(&e, c->status, "%s: %s: %s",
			    mtls_strerror(c->status), c->path,
			    c->why != NULL ? c->why : "");
		else if (!crl_covers(c, 0)) {
			scope_text(c->scope, scope, sizeof(scope));
			mtls_err_set(&e, MTLS_E_CRL_SCOPE, "%s: %s: %s (a "
			    "serial it lists is still refused)",
			    mtls_strerror(MTLS_E_CRL_SCOPE), c->path, scope);
		} else if (mtls_vfy_crl_fresh(v, c, now, &e) == 0)
			continue;
		fn(ctx, e.code, e.msg);
		count++;
	}
	return count;
}
