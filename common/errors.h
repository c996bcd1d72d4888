/*
 * errors.h - the one error space of mtls.
 *
 * Every internal function returns int: 0 on success, a negative MTLS_E_*
 * code on failure.  Certificate rejections have one code per reason so that
 * callers, logs and `mtls verify --json` can tell them apart.  Only the PAM
 * and NSS entry files translate these codes into their own.
 */
#ifndef MTLS_ERRORS_H
#define MTLS_ERRORS_H

#include <stddef.h>

/*
 * X(symbol, value, short name, message).  The short name is a stable
 * identifier used in JSON output and logs; the message is for people.
 */
#define MTLS_ERROR_LIST(X)						\
	X(MTLS_E_OK, 0, "ok", "success")				\
	/* generic failures */						\
	X(MTLS_E_INTERNAL, -1, "internal", "internal error")		\
	X(MTLS_E_NOMEM, -2, "nomem", "out of memory")			\
	X(MTLS_E_INVAL, -3, "invalid-argument", "invalid argument")	\
	X(MTLS_E_IO, -4, "io", "input/output error")			\
	X(MTLS_E_TOO_LARGE, -5, "too-large", "input exceeds its size limit") \
	X(MTLS_E_NOT_FOUND, -6, "not-found", "not found")		\
	X(MTLS_E_CRYPTO, -7, "crypto", "cryptographic library error")	\
	/* configuration and files */					\
	X(MTLS_E_CONFIG, -20, "config", "invalid configuration")	\
	X(MTLS_E_FILE_MISSING, -21, "file-missing", "file does not exist or cannot be opened") \
	X(MTLS_E_FILE_OWNER, -22, "file-owner", "file is not owned by root (or the invoking user)") \
	X(MTLS_E_FILE_MODE, -23, "file-mode", "file is writable by group or others") \
	X(MTLS_E_FILE_TYPE, -24, "file-type", "not a regular file")	\
	X(MTLS_E_BAD_PEM, -25, "bad-pem", "file holds no usable certificate, key or CRL") \
	X(MTLS_E_NO_ANCHOR, -26, "no-trust-anchor", "no trust anchor is configured") \
	X(MTLS_E_CORRUPT, -27, "corrupt", "database is corrupt, truncated or of another version") \
	/* certificate rejections: one per reason */			\
	X(MTLS_E_CERT_MALFORMED, -40, "malformed", "certificate cannot be parsed") \
	X(MTLS_E_CERT_VERSION, -41, "not-v3", "certificate is not X.509 version 3") \
	X(MTLS_E_CERT_UNTRUSTED, -42, "untrusted", "certificate does not chain to a configured trust anchor") \
	X(MTLS_E_CERT_SIGNATURE, -43, "bad-signature", "certificate signature does not verify") \
	X(MTLS_E_CERT_EXPIRED, -44, "expired", "certificate has expired") \
	X(MTLS_E_CERT_NOT_YET_VALID, -45, "not-yet-valid", "certificate is not yet valid") \
	X(MTLS_E_CERT_REVOKED, -46, "revoked", "certificate has been revoked") \
	X(MTLS_E_CERT_PURPOSE, -47, "wrong-purpose", "certificate lacks the required extended key usage") \
	X(MTLS_E_CERT_NO_EKU, -48, "no-eku", "certificate has no extended key usage extension") \
	X(MTLS_E_CERT_KEY_USAGE, -49, "key-usage", "certificate key usage does not allow digital signatures") \
	X(MTLS_E_CERT_LEAF_IS_CA, -50, "leaf-is-ca", "end-entity certificate is a CA certificate") \
	X(MTLS_E_CERT_LEAF_CERTSIGN, -51, "leaf-can-sign-certs", "end-entity certificate may sign certificates (keyCertSign)") \
	X(MTLS_E_CERT_ISSUER_NOT_CA, -52, "issuer-not-ca", "issuing certificate is not a CA (basicConstraints CA:TRUE missing)") \
	X(MTLS_E_CERT_ISSUER_NO_CERTSIGN, -53, "issuer-no-certsign", "issuing certificate may not sign certificates (keyCertSign missing)") \
	X(MTLS_E_CERT_NO_AKI, -54, "no-authority-key-id", "certificate lacks the authority key identifier") \
	X(MTLS_E_CERT_NO_SKI, -55, "no-subject-key-id", "CA certificate lacks the subject key identifier") \
	X(MTLS_E_CERT_AKI_MISMATCH, -56, "key-id-mismatch", "authority key identifier does not match the issuer's key") \
	X(MTLS_E_CERT_BAD_SAN, -57, "bad-san", "certificate has a malformed subject alternative name") \
	X(MTLS_E_CERT_WEAK_KEY, -58, "weak-key", "certificate key is weaker than the security profile allows") \
	X(MTLS_E_CERT_WEAK_SIGNATURE, -59, "weak-signature", "certificate is signed with an insecure algorithm (SHA-1 or weaker)") \
	X(MTLS_E_CERT_TOO_DEEP, -60, "chain-too-long", "certificate chain has more intermediates than allowed") \
	X(MTLS_E_CERT_CONSTRAINTS, -61, "constraints", "certificate violates its issuer's name or path length constraints") \
	X(MTLS_E_CERT_CRITICAL_EXT, -62, "unknown-critical-extension", "certificate has an unknown critical extension") \
	X(MTLS_E_CERT_INSECURE, -63, "insecure", "certificate chain is rejected by the security profile") \
	X(MTLS_E_CERT_ISSUER_PURPOSE, -64, "issuer-wrong-purpose", "an issuing CA's extended key usage does not include the required purpose") \
	X(MTLS_E_CERT_AKI_CRITICAL, -65, "critical-authority-key-id", "certificate's authority key identifier is marked critical") \
	X(MTLS_E_CERT_CA_EMPTY_SUBJECT, -66, "ca-empty-subject", "CA certificate has an empty subject") \
	X(MTLS_E_CERT_AIA_CRITICAL, -67, "critical-authority-info-access", "certificate's authority information access is marked critical") \
	X(MTLS_E_CERT_BC_NOT_CRITICAL, -68, "basic-constraints-not-critical", "CA certificate's basic constraints are not marked critical") \
	X(MTLS_E_CERT_IP_AS_DNS, -69, "ip-as-dns-name", "certificate has an IP address written as a DNS name") \
	X(MTLS_E_CERT_SAN_NOT_CRITICAL, -70, "san-not-critical", "certificate with an empty subject lacks a critical subject alternative name") \
	X(MTLS_E_CERT_POLICY_NOT_CRITICAL, -71, "policy-constraints-not-critical", "certificate's policy constraints are not marked critical") \
	X(MTLS_E_CERT_BAD_SERIAL, -72, "bad-serial", "certificate serial number is zero or negative") \
	/* name constraints (verify_nc.c) */				\
	X(MTLS_E_CERT_NAME_NOT_PERMITTED, -73, "name-not-permitted", "a name in the certificate is outside the permitted subtrees of a CA above it") \
	X(MTLS_E_CERT_NAME_EXCLUDED, -74, "name-excluded", "a name in the certificate is within an excluded subtree of a CA above it") \
	X(MTLS_E_CERT_NAME_UNVERIFIABLE, -75, "name-unverifiable", "a name in the certificate is of a form that a CA above constrains and that cannot be checked") \
	X(MTLS_E_CERT_NC_BAD, -76, "bad-name-constraints", "a CA's name constraints extension is malformed or holds a malformed subtree") \
	X(MTLS_E_CERT_NC_NOT_CRITICAL, -77, "name-constraints-not-critical", "a CA's name constraints extension is not marked critical") \
	X(MTLS_E_CERT_NC_IN_LEAF, -78, "name-constraints-in-leaf", "end-entity certificate has a name constraints extension") \
	X(MTLS_E_CERT_NC_TOO_LARGE, -96, "name-constraints-too-large", "name constraints, or the names under them, exceed the limits of the check") \
	/* revocation lists */						\
	X(MTLS_E_CERT_WRONG_HOST, -79, "wrong-host", "certificate does not name the host (no matching DNS name or address)") \
	X(MTLS_E_CRL_MISSING, -80, "crl-missing", "no CRL is available for the issuer, and one is required") \
	X(MTLS_E_CRL_STALE, -81, "crl-stale", "the issuer's CRL is out of date (past nextUpdate or older than crl_max_age)") \
	X(MTLS_E_CRL_NOT_YET_VALID, -82, "crl-not-yet-valid", "the issuer's CRL is not yet valid (thisUpdate in the future)") \
	X(MTLS_E_CRL_SIGNATURE, -83, "crl-bad-signature", "a CRL does not verify against its issuer (forged or corrupt)") \
	X(MTLS_E_CRL_NO_ISSUER, -84, "crl-unknown-issuer", "a CRL was issued by no configured CA") \
	X(MTLS_E_CRL_MALFORMED, -85, "crl-malformed", "a CRL cannot be parsed") \
	X(MTLS_E_CRL_INDEX, -86, "crl-index-unusable", "a revocation index does not match its CRL or is damaged") \
	X(MTLS_E_CRL_CRITICAL_EXT, -87, "crl-unknown-critical-extension", "a CRL or one of its entries has an unknown critical extension") \
	X(MTLS_E_CRL_NUMBER, -88, "crl-number", "a CRL has no cRLNumber, or a critical or malformed one (not RFC 5280)") \
	X(MTLS_E_CRL_SCOPE, -89, "crl-partial-scope", "a CRL covers only part of its issuer's certificates (issuingDistributionPoint or delta CRL): it clears none") \
	X(MTLS_E_CRL_UNINDEXED, -90, "crl-not-indexed", "a large CRL has no current revocation index (run mtls crl update)") \
	/* mapping */							\
	X(MTLS_E_NO_MAPPING, -100, "no-mapping", "certificate maps to no account") \
	X(MTLS_E_BAD_NAME, -101, "bad-name", "not a valid POSIX user name") \
	X(MTLS_E_ROOT_DENIED, -102, "root-denied", "mapping to uid 0 needs a fingerprint-pinned rule with allow_root") \
	X(MTLS_E_WRONG_USER, -103, "wrong-user", "certificate does not map to the account being logged in to") \
	/* the login conversation */					\
	X(MTLS_E_DECLINED, -120, "declined", "no certificate login was attempted (empty answer)") \
	X(MTLS_E_PROTOCOL, -121, "protocol", "malformed or unexpected message in the login conversation") \
	X(MTLS_E_LIMIT, -122, "limit", "the login conversation exceeded its limits (rounds, bytes or time)") \
	X(MTLS_E_TLS, -123, "tls", "the TLS handshake failed") \
	X(MTLS_E_HOST_REJECTED, -124, "host-rejected", "the host's certificate was rejected") \
	X(MTLS_E_DENIED, -125, "denied", "the host denied the login") \
	X(MTLS_E_NOT_OURS, -126, "not-ours", "not a certificate login prompt") \
	X(MTLS_E_CONV, -127, "conversation", "the conversation with the user failed") \
	X(MTLS_E_NO_BINDING, -128, "no-binding", "the client sent no SSH host key binding (an mtls ssh too old, or an ssh that did not report the host key)") \
	X(MTLS_E_BINDING, -129, "ssh-binding", "the SSH host key the client connected to is not one of this host's keys (a relayed connection)") \
	X(MTLS_E_NO_HOST_KEYS, -130, "no-ssh-host-keys", "no SSH host public key is configured or readable (ssh_host_key)") \
	/* local logins: the key on a token or in a file */		\
	X(MTLS_E_NO_TOKEN, -140, "no-token", "no PKCS#11 token is present") \
	X(MTLS_E_PIN_WRONG, -141, "wrong-pin", "the token refused the PIN or the key refused the passphrase") \
	X(MTLS_E_PIN_LOCKED, -142, "pin-locked", "the token's PIN is locked")

enum mtls_error {
#define MTLS_ERR_ENUM(sym, val, name, msg) sym = (val),
	MTLS_ERROR_LIST(MTLS_ERR_ENUM)
#undef MTLS_ERR_ENUM
};

/*
 * Human-readable message for code (never NULL; unknown codes get a generic
 * text).  The string is static; thread-safe.
 */
const char *mtls_strerror(int code);

/* Stable short identifier for code, e.g. "expired".  Static; thread-safe. */
const char *mtls_errname(int code);

/* Nonzero when code is a certificate or CRL rejection (not an internal error). */
int mtls_error_is_rejection(int code);

/*
 * Error detail carried beside a return code: which file and line, which
 * certificate.  Callers own the struct (usually on the stack); functions
 * that take one fill it when they fail and leave it alone otherwise.
 */
struct mtls_err {
	int	code;
	char	msg[512];
};

/* Set e->code and format e->msg (printf-like); returns code.  e may be NULL. */
int mtls_err_set(struct mtls_err *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* e->msg when set, else mtls_strerror(e->code). */
const char *mtls_err_msg(const struct mtls_err *e);

#endif /* MTLS_ERRORS_H */
