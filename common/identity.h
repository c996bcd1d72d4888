/*
 * identity.h - what a certificate says about its holder.
 *
 * Extraction only: it does not verify anything.  Call it on a certificate
 * that mtls_verify() accepted before using the result for a decision.
 */
#ifndef MTLS_IDENTITY_H
#define MTLS_IDENTITY_H

#include <stddef.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <gnutls/x509-ext.h>

#include "errors.h"

#define MTLS_ID_MAX_VALUES	32	/* values kept per field */
#define MTLS_ID_MAX_VALUE_LEN	1024	/* bytes of one value */

struct mtls_strlist {
	char	**v;
	size_t	  n;
};

struct mtls_identity {
	char		*subject;	/* RFC 4514 string */
	char		*issuer;	/* RFC 4514 string */
	char		 serial[2 * 32 + 1];	/* lower-case hex */
	unsigned char	 fingerprint[32];	/* SHA-256 of the DER */
	char		 fingerprint_hex[3 * 32]; /* aa:bb:... */
	time_t		 not_before, not_after;

	struct mtls_strlist cn;		/* subject commonName values */
	struct mtls_strlist uid;	/* subject UID attribute values */
	struct mtls_strlist email;	/* SAN rfc822Name */
	struct mtls_strlist upn;	/* SAN otherName UPN */
	struct mtls_strlist uri;	/* SAN uniformResourceIdentifier */
	struct mtls_strlist dns;	/* SAN dNSName */

	/*
	 * Values that held NUL or control characters, or were too long, are
	 * left out of the lists above and counted here: a rule never sees
	 * them, so they cannot be truncated or escaped into a match.
	 */
	unsigned	 dropped;

	/*
	 * Every subject commonName (UID) attribute the certificate has,
	 * whatever its string type or content, readable or not.  from=cn
	 * and from=uid need exactly one: a value the lists above leave out
	 * still counts, so it can never hide a second one.
	 */
	unsigned	 n_cn_attrs, n_uid_attrs;

	/*
	 * Where the certificate was verified: the SHA-256 fingerprint of its
	 * direct issuer in the path mtls_verify_*() built, set only by
	 * mtls_identity_set_path().  Without it no issuer_fingerprint= rule
	 * matches.
	 */
	int		 has_issuer_fingerprint;
	unsigned char	 issuer_fingerprint[32];
};

struct mtls_chain_info;

/*
 * Extract the identity of crt into a new struct (free it with
 * mtls_identity_free()).  On failure *out is NULL.  Thread-safe.
 */
int mtls_identity_from_crt(gnutls_x509_crt_t crt, struct mtls_identity **out,
    struct mtls_err *err);

/*
 * The same for the leaf that mtls_verify_der_leaf() handed back, with the
 * info that the same call filled (or NULL): the identity then comes from
 * the certificate that was judged, parsed once.
 */
int mtls_identity_from_leaf(gnutls_x509_crt_t leaf,
    const struct mtls_chain_info *info, struct mtls_identity **out,
    struct mtls_err *err);

/*
 * Only the subject of crt, as the identity would give it, into *out
 * (malloc'd): for a message about a certificate, at a fraction of the
 * cost.  0, or an MTLS_E_* code with *out NULL.
 */
int mtls_identity_subject(gnutls_x509_crt_t crt, char **out);

/*
 * The SHA-256 fingerprint of crt as it was read: of its DER as received,
 * as `openssl x509 -fingerprint -sha256` computes it.  (GnuTLS's own
 * gnutls_x509_crt_get_fingerprint() encodes the certificate again first,
 * which costs some 10 us, and gives another value for a certificate
 * whose encoding is not canonical DER.)  0, or -1.
 */
int mtls_cert_fingerprint(gnutls_x509_crt_t crt, unsigned char out[32]);

/* The same from a DER certificate. */
int mtls_identity_from_der(const gnutls_datum_t *der,
    struct mtls_identity **out, struct mtls_err *err);

/*
 * Record in id the path that verification built for its certificate:
 * info as mtls_verify_crts() or mtls_verify_der() filled it, for a chain
 * they accepted (returned 0).  The issuer comes from that path, never
 * from what a peer merely presented.  Returns 0, or MTLS_E_INTERNAL when
 * info does not begin with id's certificate and an issuer (id is then
 * unchanged).  info is not referenced after the call.
 */
int mtls_identity_set_path(struct mtls_identity *id,
    const struct mtls_chain_info *info, struct mtls_err *err);

/* Free id and all it holds; NULL is fine. */
void mtls_identity_free(struct mtls_identity *id);

#endif /* MTLS_IDENTITY_H */
