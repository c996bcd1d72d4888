/*
 * p11.h - a key generated on a PKCS#11 token, for mtls req: the private
 * key stays on the token and signs there; only its public key and the
 * URI that names it come back.  Tokens are found through p11-kit by
 * GnuTLS.  Not thread-safe: the PIN callback is process-wide.
 */
#ifndef MTLS_P11_H
#define MTLS_P11_H

#include <gnutls/abstract.h>

#include "ca.h"
#include "errors.h"

struct p11_key;

/*
 * Generate a key of type t on the token that uri names, private,
 * sensitive, not extractable and usable only after login, labelled label,
 * with a random CKA_ID.  The PIN is the URI's pin-value, or is asked once
 * on /dev/tty without echo (refused without a terminal).  *out is freed
 * with p11_key_free().  MTLS_E_NOT_FOUND when no token matches uri,
 * MTLS_E_INVAL for a wrong PIN or a key type the token refuses.
 */
int p11_keygen(const char *uri, enum ca_key_type t, const char *label,
    struct p11_key **out, struct mtls_err *err);

/* The key, which signs on the token; owned by k. */
gnutls_privkey_t p11_key_priv(const struct p11_key *k);

/* Its public key; owned by k. */
gnutls_pubkey_t p11_key_pub(const struct p11_key *k);

/* The key's URI (token, id, type; never the PIN); owned by k. */
const char *p11_key_uri(const struct p11_key *k);

/* Remove the key pair from the token again (after a later failure). */
int p11_key_destroy(struct p11_key *k, struct mtls_err *err);

/* Free k and wipe the PIN it kept.  NULL-safe. */
void p11_key_free(struct p11_key *k);

/*
 * Ask the PIN of any token GnuTLS logs in to (a key named by a pkcs11:
 * URI) once on /dev/tty without echo, and keep it for later logins;
 * never again after the token refused it.  Installs the process-wide
 * callback until p11_pin_free(), which wipes the PIN.  NULL-safe free.
 */
struct p11_pin;

int p11_pin_new(struct p11_pin **out);
void p11_pin_free(struct p11_pin *p);

/* Why a login failed ("wrong PIN", no terminal), or NULL when it did not. */
const char *p11_pin_problem(const struct p11_pin *p);

#endif /* MTLS_P11_H */
