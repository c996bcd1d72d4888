/*
 * ca.h - the organization CA kept in a directory: its certificate and key,
 * the inventory of what it issued, and its CRL.  Used by mtls ca.
 *
 * DIR/ca.pem      the CA certificate
 * DIR/ca.key      its private key, PKCS#8 PEM, mode 0600
 * DIR/index       one line per issued certificate (format in ca.c)
 * DIR/crlnumber   the number of the last CRL signed, in decimal
 * DIR/crl.pem     the current CRL
 * DIR/chain.pem   of an intermediate: its certificate, then its root's
 * DIR/certs/      SERIAL.pem: a copy of every issued certificate
 * DIR/lock        flock(2)ed while a command works on DIR
 *
 * Every file is replaced with mtls_file_write_atomic().  Nothing here is
 * thread-safe; one process works on a DIR at a time (the lock).
 */
#ifndef MTLS_CA_H
#define MTLS_CA_H

#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/x509.h>

#include "errors.h"

#define CA_SERIAL_LEN	16		/* bytes of a serial we assign */
#define CA_SERIAL_HEX	40		/* most hex digits of one we accept */
#define CA_KEYID_MAX	64

enum ca_key_type {
	CA_KEY_P256,
	CA_KEY_P384,
	CA_KEY_ED25519,
	CA_KEY_RSA3072
};

struct ca_entry {
	char		 serial[CA_SERIAL_HEX + 1];	/* lower-case hex */
	char		 status;			/* 'V' or 'R' */
	time_t		 not_after;
	time_t		 revoked_at;			/* 0 unless 'R' */
	char		 reason[32];			/* "-" unless 'R' */
	char		 kind[8];			/* "user", "host", "ca" */
	char		*subject;			/* RFC 4514 */
};

struct ca {
	char			*dir;
	int			 lock_fd;
	gnutls_x509_crt_t	 crt;
	gnutls_privkey_t	 key;
	unsigned char		 ski[CA_KEYID_MAX];
	size_t			 ski_len;
	struct ca_entry		*ent;
	size_t			 n_ent;
	unsigned long		 crl_number;	/* last one signed */
};

/* Parse "ecdsa-p256" and friends. Returns 0 or MTLS_E_INVAL. */
int ca_key_type_parse(const char *s, enum ca_key_type *out);

/*
 * Generate a key of type t.  *xkey receives it (the caller deinits it);
 * *pem (optional) its PKCS#8 PEM, which the caller wipes and gnutls_free()s.
 */
int ca_keygen(enum ca_key_type t, gnutls_x509_privkey_t *xkey,
    gnutls_datum_t *pem, struct mtls_err *err);

/* dir/name into buf; MTLS_E_TOO_LARGE when it does not fit. */
int ca_path(const char *dir, const char *name, char *buf, size_t size,
    struct mtls_err *err);

/* Take the lock on dir (blocking): a descriptor, or a negative code. */
int ca_lock(const char *dir, struct mtls_err *err);

/*
 * A directory the CA may write in: a real directory (not a symlink),
 * owned by the effective user and not writable by group or others.
 * Otherwise another local user could have made it, or could replace
 * what is written there (ca.key, certs/).  0, or a code with err set.
 */
int ca_dir_check(const char *path, struct mtls_err *err);

/* Nonzero when dir already holds a CA (ca.key or ca.pem exists). */
int ca_exists(const char *dir);

/*
 * Lock dir and load the CA in it.  *out is freed with ca_free(), which
 * releases the lock.
 */
int ca_open(const char *dir, struct ca **out, struct mtls_err *err);

/* A CA made in memory by mtls ca init (lock_fd taken, crt and key set). */
int ca_new(const char *dir, int lock_fd, struct ca **out,
    struct mtls_err *err);

void ca_free(struct ca *ca);

/* The hash to sign with key: SHA-384 for P-384, SHA-512 for Ed25519. */
gnutls_digest_algorithm_t ca_sign_hash(gnutls_privkey_t key);

/*
 * The abstract private and public key of xkey (which must outlive *key).
 * The caller deinits both.
 */
int ca_keypair(gnutls_x509_privkey_t xkey, gnutls_privkey_t *key,
    gnutls_pubkey_t *pub, struct mtls_err *err);

/*
 * Read the PKCS#10 request (PEM) at path, check that its self-signature
 * verifies and that its key is RSA (2048 bits or more), ECDSA or EdDSA,
 * and hand its public key to *out (the caller deinits it).  Nothing else
 * of the request is used.  MTLS_E_CERT_MALFORMED when it is not a request
 * or its signature fails, MTLS_E_INVAL for a refused key.
 */
int ca_crq_load(const char *path, gnutls_pubkey_t *out,
    struct mtls_err *err);

/* Sign crt with the CA: the hash suits the CA key. */
int ca_sign_crt(const struct ca *ca, gnutls_x509_crt_t crt,
    struct mtls_err *err);

/* Nonzero when serial (normalized hex) is in the index or in certs/. */
int ca_serial_used(const struct ca *ca, const char *serial);

/* The entry with serial (normalized hex), or NULL. */
struct ca_entry *ca_find(struct ca *ca, const char *serial);

/* Append an entry (subject is copied).  Memory only; see ca_index_save. */
int ca_add(struct ca *ca, const struct ca_entry *e, struct mtls_err *err);

/* Write the index atomically. */
int ca_index_save(const struct ca *ca, struct mtls_err *err);

/*
 * Sign and write a new CRL listing every revoked entry: the CRL number
 * goes up by one (crlnumber is written first, so a number is never used
 * twice), nextUpdate is now + days.
 */
int ca_crl_write(struct ca *ca, time_t now, unsigned long days,
    struct mtls_err *err);

/*
 * Normalize a serial typed by a person ("01:AB..", "01ab..") into lower-case
 * hex without separators or leading zero bytes.  0 or MTLS_E_INVAL.
 */
int ca_serial_norm(const char *in, char out[CA_SERIAL_HEX + 1]);

/* The serial of crt as normalized hex. */
int ca_crt_serial(gnutls_x509_crt_t crt, char out[CA_SERIAL_HEX + 1]);

/* Parse one index line (modified in place).  For tests and ca_open. */
int ca_index_parse_line(char *line, struct ca_entry *e);

#endif /* MTLS_CA_H */
