/*
 * verify.h - the organization's certificate policy.
 *
 * A verifier is built once from a configuration (trust anchors,
 * intermediates, CRLs, profile) and then answers "is this chain
 * acceptable now?" for any number of chains.  It is read-only after
 * mtls_verifier_new(), so one verifier may be used from several threads.
 *
 * What is checked (DESIGN.md "Security rules" and RFC 5280):
 *  - the chain is built from the leaf to a configured trust anchor through
 *    the presented and configured intermediates, at most max_intermediates;
 *  - every signature verifies (GnuTLS), path length constraints hold, no
 *    unknown critical extension;
 *  - name constraints hold for every certificate below a constraining CA,
 *    directoryName subtrees included, within bounds on the work;
 *  - every certificate is X.509 v3 and within its validity at `now`;
 *  - anchors and intermediates are CAs (critical basicConstraints CA:TRUE
 *    and keyUsage keyCertSign) with a subject key identifier and a
 *    non-empty subject, and an EKU extension, when they have one, that
 *    lists the required purpose or anyExtendedKeyUsage; every
 *    certificate but a self-signed one has an authority key identifier that
 *    matches its issuer's;
 *  - every certificate below the anchor has a positive serial number and
 *    marks its extensions as RFC 5280 requires (authorityKeyIdentifier and
 *    authorityInfoAccess not critical, policyConstraints critical, the
 *    SAN critical when the subject is empty);
 *  - the leaf is not a CA and may not sign certificates, has
 *    digitalSignature when it has a keyUsage, and has an EKU extension with
 *    the required purpose (no EKU is a rejection, unlike GnuTLS's default);
 *  - subject alternative names are well-formed, and no DNS name is an IP
 *    address;
 *  - a presented certificate that GnuTLS cannot parse is a rejection
 *    (MTLS_E_CERT_MALFORMED), not an error;
 *  - keys meet the security profile and no signature uses SHA-1 or weaker;
 *  - revocation: every configured CRL verified against its issuer when the
 *    verifier is built (a CRL that does not verify, or that has an unknown
 *    critical extension or no cRLNumber, fails every verification), fresh
 *    at `now` (nextUpdate, crl_max_age), applied to every certificate
 *    issued under its issuer's name and key, and a complete one required
 *    for every issuer in the chain when crl_required is set.  A CRL file
 *    whose revocation index (crlindex.h, in the crl_cache directory)
 *    matches it is not parsed: the index, written after the same
 *    verification, is mapped instead, so a login costs O(log n) in the
 *    number of revoked serials.
 */
#ifndef MTLS_VERIFY_H
#define MTLS_VERIFY_H

#include <stddef.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <gnutls/x509-ext.h>

#include "conf.h"
#include "errors.h"

#define MTLS_MAX_CHAIN_IN	16	/* certificates a peer may present */
#define MTLS_MAX_CERT_SIZE	(64 * 1024)	/* bytes of one certificate */

struct mtls_verifier;

/*
 * The path that was built, leaf first, anchor last (filled on success and
 * on most rejections; only an accepted path may be used for a decision):
 * each certificate's subject for display and its SHA-256 fingerprint,
 * which, unlike a name, tells one CA from another.
 */
struct mtls_chain_info {
	size_t		 n;
	char		*subject[MTLS_MAX_INTERMEDIATES + 2];
	unsigned char	 fingerprint[MTLS_MAX_INTERMEDIATES + 2][32];
};

/*
 * Load the anchors, intermediates and CRLs that conf names.  Every file
 * must pass the ownership test of mtls_file_read().  A missing or
 * unreadable file is an error; a CRL that does not verify is not an error
 * here but makes every later verification fail with its reason.  On
 * failure *out is NULL.  conf is not referenced after the call.
 */
int mtls_verifier_new(const struct mtls_conf *conf,
    struct mtls_verifier **out, struct mtls_err *err);

/* Free v; NULL is fine. */
void mtls_verifier_free(struct mtls_verifier *v);

/* Where the CRLs of a `crl` file came from when the verifier was built. */
enum {
	MTLS_CRL_FROM_FILE = 0,		/* parsed; no index written */
	MTLS_CRL_FROM_FILE_INDEXED,	/* parsed, and an index written */
	MTLS_CRL_FROM_INDEX,		/* a matching index was mapped */
	MTLS_CRL_FROM_FILE_RECENT	/* parsed; too new to index yet */
};

/* The number of `crl` files loaded (or attempted). */
size_t mtls_verifier_crl_files(const struct mtls_verifier *v);

/*
 * File i: its path, how many CRLs and revoked serials it held, and its
 * MTLS_CRL_FROM_* source; -1 when i is out of range.
 */
int mtls_verifier_crl_file(const struct mtls_verifier *v, size_t i,
    const char **path, size_t *n_crls, size_t *n_serials);

/* What the verifier holds of one CRL (mtls crl fetch compares them). */
struct mtls_crl_info {
	const char	*path;		/* the `crl` file it came from */
	int		 status;	/* 0, or why it cannot be used */
	unsigned char	 issuer[32];	/* mtls_ca_id() of its issuer */
	time_t		 this_update;
	time_t		 next_update;	/* -1: absent */
	const unsigned char *number;	/* cRLNumber, big-endian, minimal */
	size_t		 number_len;	/* 0: unknown (read from an index) */
};

/* The number of CRLs loaded, from every `crl` file. */
size_t mtls_verifier_crls(const struct mtls_verifier *v);

/*
 * CRL k into *out (whose pointers stay owned by v); -1 when k is out of
 * range.  issuer is meaningful only when status is 0.
 */
int mtls_verifier_crl(const struct mtls_verifier *v, size_t k,
    struct mtls_crl_info *out);

/*
 * The identity of a CA that CRLs are matched by: SHA-256 over its subject
 * DN and key, the same for every certificate of that name and key.  0, or
 * -1 when either cannot be read.
 */
int mtls_ca_id(gnutls_x509_crt_t crt, unsigned char out[32]);

/*
 * Verify a chain as presented: certs[0] is the leaf, the rest are
 * intermediates in any order (untrusted).  now is the time to verify at;
 * purpose 0 means the configured one.  Returns 0 when the chain is
 * accepted, a negative MTLS_E_CERT_* or MTLS_E_CRL_* code when it is
 * rejected (err says which certificate and why), or another MTLS_E_* code
 * on internal failure.  Anything but 0 must deny.  info, when not NULL,
 * receives the path; release it with mtls_chain_info_clear().
 */
int mtls_verify_crts(const struct mtls_verifier *v,
    const gnutls_x509_crt_t *certs, size_t n, time_t now,
    enum mtls_purpose purpose, struct mtls_err *err,
    struct mtls_chain_info *info);

/* The same for DER certificates (as a TLS peer presents them). */
int mtls_verify_der(const struct mtls_verifier *v,
    const gnutls_datum_t *certs, size_t n, time_t now,
    enum mtls_purpose purpose, struct mtls_err *err,
    struct mtls_chain_info *info);

/*
 * mtls_verify_der(), and *leaf set to the leaf as it was parsed and
 * judged, whatever the verdict (NULL when certs[0] could not be parsed),
 * for mtls_identity_from_leaf(); release it with gnutls_x509_crt_deinit().
 * A leaf handed back is not accepted unless the call returned 0.  info
 * receives the path's fingerprints only: its subjects stay NULL.
 */
int mtls_verify_der_leaf(const struct mtls_verifier *v,
    const gnutls_datum_t *certs, size_t n, time_t now,
    enum mtls_purpose purpose, struct mtls_err *err,
    struct mtls_chain_info *info, gnutls_x509_crt_t *leaf);

/* Free the strings in info; info itself belongs to the caller. */
void mtls_chain_info_clear(struct mtls_chain_info *info);

/*
 * Problems with the loaded material that would make verifications fail
 * (a CRL that does not verify, an anchor that is not a CA).  Calls fn for
 * each with a message; returns how many.  For `mtls config check`.
 */
size_t mtls_verifier_problems(const struct mtls_verifier *v, time_t now,
    void (*fn)(void *ctx, int code, const char *msg), void *ctx);

/*
 * Load every certificate in a PEM (or single DER) file.  trusted: apply
 * the ownership test.  *out is a gnutls_malloc'd array that the caller
 * frees with mtls_crts_free().  A file that holds no certificate is
 * MTLS_E_BAD_PEM; one that holds a certificate GnuTLS cannot parse
 * (a bad encoding, a duplicated extension, signature algorithms that
 * differ...) is MTLS_E_BAD_PEM when trusted, else MTLS_E_CERT_MALFORMED:
 * a presented certificate that is malformed is rejected.
 */
int mtls_load_crts(const char *path, const char *what, int trusted,
    gnutls_x509_crt_t **out, unsigned *n, struct mtls_err *err);

void mtls_crts_free(gnutls_x509_crt_t *crts, unsigned n);

#endif /* MTLS_VERIFY_H */
