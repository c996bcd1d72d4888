/*
 * conv.h - both sides of a mutual TLS 1.3 login carried by prompts and
 * answers (frame.h): the server side run by pam_mtls, the client side run
 * by `mtls ssh` (and, for local logins, by pam_mtls itself).
 *
 * The server side asks; the client side answers.  Neither side does any
 * I/O of its own: the server calls a round-trip function for each prompt,
 * the client turns each prompt into an answer.
 */
#ifndef MTLS_CONV_H
#define MTLS_CONV_H

#include <stddef.h>
#include <time.h>

#include <gnutls/gnutls.h>

#include "conf.h"
#include "errors.h"
#include "identity.h"
#include "mapping.h"
#include "sshkey.h"
#include "verify.h"

/*
 * TLS 1.3 only; resumption and tickets are off on both sides.  Every byte
 * of the client's second flight counts (one answer carries 816): no
 * middlebox-compatibility ChangeCipherSpec (there is no middlebox in a
 * PAM conversation), and TLS_AES_128_GCM_SHA256 first, whose Finished is
 * 16 bytes shorter than SHA-384's.
 */
#define MTLS_TLS_PRIORITY	"NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:" \
	"+AES-128-GCM:+CHACHA20-POLY1305:+AES-256-GCM:" \
	"%DISABLE_TLS13_COMPAT_MODE"

/*
 * Send prompt, receive the answer: 0 and *answer (malloc'd, NUL-ended, the
 * caller frees it), or a negative MTLS_E_* code (the conversation failed).
 */
typedef int (*mtls_roundtrip_fn)(void *ctx, const char *prompt,
    char **answer);

/* Prompts a client answers in one login: the server's own bound. */
#define MTLS_CLIENT_MAX_PROMPTS	64

struct mtls_conv_limits {
	unsigned	max_rounds;	/* prompts, all told */
	size_t		max_in;		/* decoded bytes from the client */
	unsigned	timeout;	/* seconds for the whole exchange */
};

/* 64 rounds, 64 KiB, 60 seconds. */
extern const struct mtls_conv_limits mtls_conv_default_limits;

struct mtls_server_params {
	const struct mtls_conf		*conf;		/* map rules */
	const struct mtls_verifier	*verifier;	/* client policy */
	gnutls_certificate_credentials_t host;		/* host cert + key */
	const char			*user;		/* PAM_USER */
	mtls_roundtrip_fn		 roundtrip;
	void				*ctx;
	const struct mtls_conv_limits	*limits;	/* NULL: defaults */
	mtls_uid_fn			 lookup;	/* NULL: getpwnam_r */
	time_t				 now;		/* 0: the clock */
	/*
	 * The host's own SSH host keys: the client must send, inside TLS,
	 * the key its ssh verified on this connection, and it must be one
	 * of these (doc/conversation.md).  Required unless in_process.
	 */
	const struct mtls_sshkeys	*ssh_keys;
	/*
	 * Both sides run in this process (a console login with a token):
	 * there is no SSH connection to bind to, and none is asked for.
	 */
	int				 in_process;
};

/* What the server side learned; release with mtls_server_result_clear(). */
struct mtls_server_result {
	int			 code;		/* 0: user may log in */
	struct mtls_err		 err;		/* why not */
	struct mtls_identity	*id;		/* the client's leaf, if any */
	gnutls_datum_t		 chain[MTLS_MAX_CHAIN_IN]; /* DER, leaf first */
	size_t			 n_chain;
	struct mtls_accounts	 accounts;	/* what it maps to */
	unsigned		 rounds;	/* prompts used */
	char			 ssh_key[MTLS_SSHKEY_FP_SIZE]; /* the binding */
};

/*
 * Run the server side: a hello prompt, a TLS 1.3 handshake that requires
 * a client certificate (its CertificateVerify proves possession of the
 * key), verification of the presented chain, mapping, the check that
 * user is one of the accounts, and (unless in_process) the check that
 * the SSH host key the client sent inside TLS right after its Finished
 * is one of ssh_keys; then the outcome is sent to the client inside the
 * TLS channel (not a success, when the client asked for no word of one:
 * mtls_client_no_ok()).  Returns res->code: 0 only when all of that
 * succeeded; MTLS_E_DECLINED when the first answer was empty; otherwise
 * the reason.  res must be zeroed before the call.
 */
int mtls_conv_server(const struct mtls_server_params *p,
    struct mtls_server_result *res);

void mtls_server_result_clear(struct mtls_server_result *res);

/*
 * The binding as the ClientHello carries it (doc/conversation.md): a
 * flags byte (0x01: no word of a success; no other bit may be set), then
 * the SSH host key's wire blob, a plain key or a certificate standing for
 * the key it carries.  0 and *key (clear with mtls_sshkey_clear()), or
 * MTLS_E_PROTOCOL.
 */
int mtls_binding_parse(const unsigned char *data, size_t len,
    struct mtls_sshkey *key, int *no_ok);

struct mtls_client;

/*
 * A client side for one login to hostname.  cred holds the person's
 * certificate and key (borrowed; it must outlive the client and may not be
 * shared with another client at the same time: its verify callback is
 * set here).  verifier judges the host's certificate (purpose server),
 * and the host certificate must name hostname.
 */
int mtls_client_new(const struct mtls_verifier *verifier,
    gnutls_certificate_credentials_t cred, const char *hostname,
    struct mtls_client **out, struct mtls_err *err);

void mtls_client_free(struct mtls_client *c);

/*
 * The SSH host key the person's ssh verified on the connection that
 * carries this login (copied).  The client sends it inside TLS after its
 * Finished; without one, mtls_client_step() refuses to start (unless
 * mtls_client_in_process() was called).
 */
int mtls_client_set_binding(struct mtls_client *c,
    const struct mtls_sshkey *key);

/*
 * Both sides run in this process (pam_mtls's local logins): no binding
 * is sent, and the server is told in_process too.
 */
void mtls_client_in_process(struct mtls_client *c);

/*
 * Ask the host for no word of a success (before mtls_client_set_binding):
 * it then ends the conversation after the client's flight without a done
 * prompt, one round trip less; a refusal still comes in a done prompt.
 * For a connection whose host key was already vouched for: the outcome
 * adds nothing there.  mtls_client_outcome() then stays -1 on success.
 */
void mtls_client_no_ok(struct mtls_client *c);

/*
 * 1 when the handshake is over on the client's side and every chunk of
 * its last flight has been answered (the host has all of it), 0 otherwise.
 */
int mtls_client_flight_sent(const struct mtls_client *c);

/* Judge the host's certificate at t instead of the clock (tests). */
void mtls_client_set_time(struct mtls_client *c, time_t t);

/*
 * Turn one prompt into an answer (*answer: malloc'd line without newline).
 * MTLS_E_NOT_OURS when the prompt is not a certificate-login prompt (let a
 * person answer it); MTLS_E_HOST_REJECTED when the host's certificate was
 * refused (nothing of the person's was sent); MTLS_E_PROTOCOL for a
 * malformed prompt, one out of sequence, one after the outcome, or a
 * version-1 prompt; MTLS_E_LIMIT past MTLS_CLIENT_MAX_PROMPTS prompts;
 * MTLS_E_NO_BINDING when no binding was set.  Any failure is final: every
 * later call fails too, and the caller must treat the host as refused.
 */
int mtls_client_step(struct mtls_client *c, const char *prompt,
    char **answer, struct mtls_err *err);

/*
 * After a done prompt: 1 and the account when the host accepted the
 * login, 0 and the host's reason when it refused, -1 when no outcome has
 * arrived.  Strings belong to c.
 */
int mtls_client_outcome(const struct mtls_client *c, const char **detail);

/*
 * 1 when the host refused the login because the SSH host key the client
 * sent is not one of its own (the connection is relayed, or the host's
 * ssh_host_key is wrong): *host_keys is then the host's own keys'
 * fingerprints, blank-separated (may be empty); 0 otherwise.
 */
int mtls_client_relayed(const struct mtls_client *c, const char **host_keys);

/* Subject of the host certificate, once seen (for messages), or NULL. */
const char *mtls_client_host_subject(const struct mtls_client *c);

#endif /* MTLS_CONV_H */
