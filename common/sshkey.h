/*
 * sshkey.h - SSH public keys, as the connection binding compares them.
 *
 * A login over SSH is bound to the SSH connection that carries it: the
 * client sends, inside TLS, the host key its ssh verified on this
 * connection, and the host accepts only one of its own keys (ssh_host_key
 * in mtls.conf).  Keys are compared in one canonical form, the wire
 * encoding of the plain public key (RFC 4253 6.6): a certificate blob
 * (ssh-ed25519-cert-v01@openssh.com, ...) is reduced to the plain key it
 * certifies, never compared as base64 text or with a comment.
 *
 * Types: ssh-ed25519, ecdsa-sha2-nistp256/384/521, ssh-rsa and their
 * -cert-v01@openssh.com forms.  Anything else is MTLS_E_PROTOCOL.
 *
 * Parsers are pure, bounded and thread-safe.
 */
#ifndef MTLS_SSHKEY_H
#define MTLS_SSHKEY_H

#include <stddef.h>

#include "conf.h"
#include "errors.h"

#define MTLS_SSHKEY_BLOB_MAX	8192	/* bytes of a wire blob, cert too */
#define MTLS_SSHKEY_LINE_MAX	16384	/* bytes of one .pub line */
#define MTLS_SSHKEY_MAX_KEYS	32	/* host keys one host may list */
#define MTLS_SSHKEY_FP_SIZE	52	/* "SHA256:" + 43 base64 + NUL */
#define MTLS_SSHKEY_FILE_MAX	(64 * 1024)	/* bytes of one key file */

/* The keys sshd makes at installation, when no ssh_host_key is set. */
#define MTLS_DEFAULT_SSH_HOST_KEYS	"/etc/ssh/ssh_host_*_key.pub"

struct mtls_sshkey {
	char		 type[24];	/* plain type: "ssh-ed25519", ... */
	unsigned char	*blob;		/* canonical plain wire encoding */
	size_t		 len;
	char		 fp[MTLS_SSHKEY_FP_SIZE]; /* as ssh-keygen -l shows it */
};

/*
 * Parse a wire blob (a plain key or an OpenSSH certificate, whose
 * signature is not checked: only the key it carries is used) into *out,
 * which owns a new canonical blob.  Trailing bytes after a plain key,
 * unknown types, lengths past the end and blobs over
 * MTLS_SSHKEY_BLOB_MAX are MTLS_E_PROTOCOL, and so are RSA integers that
 * are zero, negative or not minimally encoded (so that one key has one
 * canonical blob).  *out is overwritten first (clear a key it held
 * before); on failure it holds nothing.  Clear it with
 * mtls_sshkey_clear().
 */
int mtls_sshkey_from_blob(const unsigned char *blob, size_t len,
    struct mtls_sshkey *out);

/*
 * Parse one line of an OpenSSH .pub or known_hosts-style key, "TYPE
 * BASE64 [COMMENT]" (len bytes, no newline needed), into *out.  The
 * type word must be the blob's own type.  Blanks are spaces and tabs;
 * blanks around the line and one trailing "\n" or "\r\n" are allowed,
 * other control characters, lines over MTLS_SSHKEY_LINE_MAX and base64
 * that is not strict RFC 4648 (padded) are MTLS_E_PROTOCOL.
 */
int mtls_sshkey_from_line(const char *line, size_t len,
    struct mtls_sshkey *out);

/* Nonzero when a and b hold the same canonical key (a cleared key is none). */
int mtls_sshkey_equal(const struct mtls_sshkey *a,
    const struct mtls_sshkey *b);

/* The type as ssh-keygen -l shows it: "ED25519", "ECDSA", "RSA"; static. */
const char *mtls_sshkey_type_label(const struct mtls_sshkey *k);

/* Base64 of the canonical blob into a new string (free()), or NULL. */
char *mtls_sshkey_base64(const struct mtls_sshkey *k);

/* Free k's blob and zero it; NULL is fine. */
void mtls_sshkey_clear(struct mtls_sshkey *k);

/* A host's own keys. */
struct mtls_sshkeys {
	struct mtls_sshkey	 v[MTLS_SSHKEY_MAX_KEYS];
	char			*path[MTLS_SSHKEY_MAX_KEYS]; /* file of each */
	size_t			 n;
};

/*
 * Load the keys that conf's ssh_host_key patterns name (glob(3); the
 * default /etc/ssh/ssh_host_*_key.pub when none is configured).  Every
 * file must pass mtls_file_read() (root or effective user, not writable
 * by group or others) and hold one key line (other lines empty or '#'
 * comments).  A pattern that matches no file is skipped; a file that
 * exists but is unsafe or malformed is an error naming it (the code of
 * mtls_file_read(), or MTLS_E_PROTOCOL), and so is a directory the
 * pattern needs that cannot be read (MTLS_E_IO).  The same key named
 * twice counts once; more than MTLS_SSHKEY_MAX_KEYS keys is
 * MTLS_E_TOO_LARGE.  No key at all is MTLS_E_NO_HOST_KEYS, with a
 * message naming the patterns.  conf may be NULL (the default pattern).
 * *out must be zeroed before; clear it with mtls_sshkeys_clear() in any
 * case.  Thread-safe.
 */
int mtls_sshkeys_load(const struct mtls_conf *conf, struct mtls_sshkeys *out,
    struct mtls_err *err);

/* The index of k in ks, or -1. */
int mtls_sshkeys_find(const struct mtls_sshkeys *ks,
    const struct mtls_sshkey *k);

/* Free what ks holds and zero it; NULL is fine. */
void mtls_sshkeys_clear(struct mtls_sshkeys *ks);

#endif /* MTLS_SSHKEY_H */
