/*
 * verify_int.h - what the files of the verifier share; for them alone.
 *
 * The verifier is split by concern: verify.c (construction, loading
 * certificates, the entry points), verify_path.c (path building and
 * GnuTLS's verification of the path), verify_cert.c (the profile and
 * structure of each certificate, and dates), verify_san.c (subject
 * alternative names), verify_nc.c (name constraints) and verify_crl.c
 * (CRLs, their indexes and the revocation check).  Every check returns 0 or a negative MTLS_E_* code
 * with err filled, as the entry points do.
 */
#ifndef MTLS_VERIFY_INT_H
#define MTLS_VERIFY_INT_H

#include <stddef.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "conf.h"
#include "crlindex.h"
#include "errors.h"
#include "verify.h"

#define MTLS_VFY_MAX_PATH	(MTLS_MAX_INTERMEDIATES + 2)

/* One CRL as the verifier holds it. */
struct crl {
	char		*path;
	int		 status;	/* 0, or why it cannot be used */
	char		*why;		/* detail for a bad status */
	unsigned char	 ca[32];	/* its issuer: mtls_vfy_ca_id() */
	unsigned	 scope;		/* MTLS_CRL_SCOPE_* */
	time_t		 this_update;
	time_t		 next_update;	/* -1: absent */
	unsigned char	 number[MTLS_SERIAL_MAX]; /* cRLNumber, minimal */
	size_t		 number_len;	/* 0: unknown (read from an index) */
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
	size_t		  crl_whole_max; /* conf->crl_whole_max */
	/*
	 * mtls_vfy_ca_id() of each anchor, then of each intermediate,
	 * worked out once (each costs GnuTLS an encoding of the key).
	 */
	struct vfy_ca_id {
		unsigned char	 id[32];
		int		 ok;	/* 0: the certificate has none */
	}		 *ids;
};

/* --- verify.c ----------------------------------------------------------- */

/* The subject of crt for a message, in buf; never fails. */
void mtls_vfy_subj(gnutls_x509_crt_t crt, char *buf, size_t size);

/* Nonzero when crt's subject is empty (or cannot be read). */
int mtls_vfy_subject_empty(gnutls_x509_crt_t crt);

/*
 * Set err to code, naming the certificate and its depth in the path, with
 * extra detail when not NULL; returns code.
 */
int mtls_vfy_reject(struct mtls_err *err, int code, gnutls_x509_crt_t crt,
    size_t depth, const char *extra);

/* GnuTLS verification flags for the security profile p. */
unsigned mtls_vfy_profile_flags(enum mtls_profile p);

/* --- verify_path.c ------------------------------------------------------ */

/*
 * Build path[0..*len-1] from certs[0] up to a configured anchor, through
 * certs[1..n-1] and the configured intermediates.  path has room for
 * MTLS_VFY_MAX_PATH certificates; they are borrowed, not copied.
 */
int mtls_vfy_build_path(const struct mtls_verifier *v,
    const gnutls_x509_crt_t *certs, size_t n, gnutls_x509_crt_t *path,
    size_t *len, struct mtls_err *err);

/* Nonzero when the authority key id of c equals the subject key id of ca. */
int mtls_vfy_akid_matches(gnutls_x509_crt_t c, gnutls_x509_crt_t ca);

/* GnuTLS's verification of signatures and constraints along the path. */
int mtls_vfy_check_gnutls(const struct mtls_verifier *v,
    gnutls_x509_crt_t *path, size_t len, struct mtls_err *err);

/* --- verify_cert.c ------------------------------------------------------ */

/* The profile and structure of every certificate in the path. */
int mtls_vfy_check_profile(const struct mtls_verifier *v,
    gnutls_x509_crt_t *path, size_t len, enum mtls_purpose purpose,
    struct mtls_err *err);

/*
 * An anchor or intermediate at depth: a CA as the profile wants it.  Its
 * purposes are checked with the path (mtls_vfy_check_profile).
 */
int mtls_vfy_check_ca(gnutls_x509_crt_t c, size_t depth, const char *role,
    struct mtls_err *err);

/* The key of c is as strong as profile p requires. */
int mtls_vfy_check_key(gnutls_x509_crt_t c, size_t depth,
    enum mtls_profile p, struct mtls_err *err);

/* Every certificate in path is within its validity at now. */
int mtls_vfy_check_times(gnutls_x509_crt_t *path, size_t len, time_t now,
    struct mtls_err *err);

/* --- verify_san.c ------------------------------------------------------- */

/*
 * The subject alternative names of c are well-formed, none is an IP
 * address written as a DNS name, and the extension is critical when the
 * subject is empty.
 */
int mtls_vfy_check_sans(gnutls_x509_crt_t c, size_t depth,
    struct mtls_err *err);

/* --- verify_nc.c -------------------------------------------------------- */

/*
 * The name constraints of every CA in path hold for every certificate
 * below it; the extensions are well-formed, critical, in CAs only, and
 * within the bounds of the check.  Runs before mtls_vfy_check_gnutls().
 */
int mtls_vfy_check_nc(gnutls_x509_crt_t *path, size_t len,
    struct mtls_err *err);

/* The name constraints extension of the CA c, if any, is one we enforce. */
int mtls_vfy_check_nc_ca(gnutls_x509_crt_t c, size_t depth,
    struct mtls_err *err);

/*
 * For tests and fuzzing: the names of san (a subjectAltName extension's
 * DER) against nc (a NameConstraints extension's DER), as for a
 * certificate right below the CA holding nc.  0 or an MTLS_E_* code.
 */
int mtls_vfy_nc_match(const unsigned char *nc, size_t nc_len,
    const unsigned char *san, size_t san_len);

/* --- verify_crl.c ------------------------------------------------------- */

/* Load the CRLs of one `crl` file into v (from its index when it may). */
int mtls_vfy_crl_load(struct mtls_verifier *v, const char *path,
    struct mtls_err *err);

/* Free the CRLs and CRL files of v. */
void mtls_vfy_crl_free(struct mtls_verifier *v);

/* The CRL c is current at now (thisUpdate, nextUpdate, crl_max_age). */
int mtls_vfy_crl_fresh(const struct mtls_verifier *v, const struct crl *c,
    time_t now, struct mtls_err *err);

/* No certificate below the anchor is revoked; CRLs usable and present. */
int mtls_vfy_check_revocation(const struct mtls_verifier *v,
    gnutls_x509_crt_t *path, size_t len, time_t now, struct mtls_err *err);

/* Call fn for each CRL that is unusable, of limited scope, or not current. */
size_t mtls_vfy_crl_problems(const struct mtls_verifier *v, time_t now,
    void (*fn)(void *ctx, int code, const char *msg), void *ctx);

/*
 * The identity of a CA for revocation: SHA-256 of its subject DN (DER)
 * and of the SHA-256 of its SubjectPublicKeyInfo, the same for every
 * certificate of that name and key.  0, or -1 when either cannot be read.
 */
int mtls_vfy_ca_id(gnutls_x509_crt_t crt, unsigned char out[32]);

/* Work out v->ids; 0, or MTLS_E_NOMEM. */
int mtls_vfy_ids_init(struct mtls_verifier *v);

/*
 * mtls_vfy_ca_id() of crt, from v->ids when crt is one of v's anchors
 * (l 0) or intermediates (l 1) by handle.
 */
int mtls_vfy_ca_id_of(const struct mtls_verifier *v, gnutls_x509_crt_t crt,
    unsigned char out[32]);

/*
 * Read the extensions of the DER CRL der (len bytes) and those of its
 * entries, which GnuTLS does not show: *scope gets its MTLS_CRL_SCOPE_*
 * limits.  0 when mtls can use the CRL; otherwise MTLS_E_CRL_MALFORMED,
 * MTLS_E_CRL_CRITICAL_EXT or MTLS_E_CRL_NUMBER, with *why a static
 * explanation.  Pure, and bounded by len.
 */
int mtls_vfy_crl_scan(const unsigned char *der, size_t len, unsigned *scope,
    const char **why);

/*
 * Nonzero (the default): a CRL file is read in one pass (crlstream.h)
 * when it can be, and parsed whole by GnuTLS only when not.  Zero: always
 * parsed whole, which tests and fuzz targets compare against.
 */
extern int mtls_vfy_crl_stream;

/*
 * LDH labels separated by dots, at most 253 octets, each label at most 63
 * (verify_san.c); a final dot is allowed.
 */
int mtls_vfy_ldh_name(const unsigned char *p, size_t n);

#endif /* MTLS_VERIFY_INT_H */
