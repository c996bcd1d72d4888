/*
 * crlstream.h - read one CRL file in a single pass, in a window of fixed
 * size, without building a parsed copy of it: the revoked serials come out
 * sorted, the signed bytes (tbsCertList) come out hashed, and the rest of
 * the CRL comes out as a small DER CRL without its revokedCertificates
 * (the "header"), for GnuTLS to parse and for the extension walk.
 *
 * The reader takes only what it fully understands: one CRL, as DER or as
 * one PEM block in its plain form, in canonical DER (definite, minimal
 * lengths of at most four octets, one-octet tags), entries whose serial,
 * date and extensions are in their usual encodings.  Anything else is
 * handed back (MTLS_CRLSTREAM_OTHER) for the caller to parse the whole
 * CRL as before, so that an unusual CRL gets exactly the answer it always
 * got; only a CRL that certainly cannot be parsed (its DER runs past the
 * end of its bytes) is refused here.
 */
#ifndef MTLS_CRLSTREAM_H
#define MTLS_CRLSTREAM_H

#include <stddef.h>
#include <stdint.h>

#include <gnutls/gnutls.h>

#include "crlindex.h"

/* Returned when the file is not one the reader takes: parse it whole. */
#define MTLS_CRLSTREAM_OTHER	1

struct mtls_crlstream {
	int			 pem;		/* the file was PEM */
	unsigned char		*header;	/* DER CRL without its entries */
	size_t			 header_len;
	/* the inner signature AlgorithmIdentifier's algorithm */
	gnutls_sign_algorithm_t	 sign;
	gnutls_digest_algorithm_t dig;		/* its digest of tbsCertList */
	unsigned char		 digest[64];	/* when tbs is NULL */
	size_t			 digest_len;
	unsigned char		*tbs;		/* the signed bytes, for EdDSA */
	size_t			 tbs_len;
	struct mtls_serial	*serials;	/* sorted with mtls_serial_cmp */
	size_t			 n_serials;
	/* an entry has a critical extension other than reasonCode and
	 * invalidityDate */
	int			 entry_critical;
	unsigned char		 file_sha256[32];	/* of the file's bytes */
};

/*
 * Read the CRL file open on fd (size bytes, read with pread from offset
 * 0; the file offset is not used).  tbs_max bounds the bytes kept for an
 * algorithm that signs the message itself rather than its digest (EdDSA):
 * a larger CRL signed so is MTLS_CRLSTREAM_OTHER.
 *
 * Returns 0 with *out filled (free it with mtls_crlstream_clear),
 * MTLS_CRLSTREAM_OTHER, MTLS_E_CRL_MALFORMED (out->pem says which file
 * type it was), MTLS_E_NOMEM or MTLS_E_IO.
 */
int mtls_crlstream_read(int fd, uint64_t size, size_t tbs_max,
    struct mtls_crlstream *out);

/* Free what out holds and zero it; NULL-safe. */
void mtls_crlstream_clear(struct mtls_crlstream *out);

#endif /* MTLS_CRLSTREAM_H */
