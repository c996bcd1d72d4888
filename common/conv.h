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
#include "verify.h"

/* TLS 1.3 only; resumption and tickets are off on both sides. */
#define MTLS_TLS_PRIORITY	"NORMAL:-VERS-ALL:+VERS-TLS1.3"

/*
 * Send prompt, receive the answer: 0 and *answer (malloc'd, NUL-ended, the
 * caller frees it), or a negative MTLS_E_* code (the conversation failed).
 */
typedef int (*mtls_roundtrip_fn)(void *ctx, const char *prompt,
    char **answer);

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
};

/*
 * Run the server side: a hello prompt, a TLS 1.3 handshake that requires
 * a client certificate (its CertificateVerify proves possession of the
 * key), verification of the presented chain, mapping, and the check that
 * user is one of the accounts; then the outcome is sent to the client
 * inside the TLS channel.  Returns res->code: 0 only when all of that
 * succeeded; MTLS_E_DECLINED when the first answer was empty; otherwise
 * the reason.  res must be zeroed before the call.
 */
int mtls_conv_server(const struct mtls_server_params *p,
    struct mtls_server_result *res);

void mtls_server_result_clear(struct mtls_server_result *res);

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

/* Judge the host's certificate at t instead of the clock (tests). */
void mtls_client_set_time(struct mtls_client *c, time_t t);

/*
 * Turn one prompt into an answer (*answer: malloc'd line without newline).
 * MTLS_E_NOT_OURS when the prompt is not a certificate-login prompt (let a
 * person answer it); MTLS_E_HOST_REJECTED when the host's certificate was
 * refused (nothing of the person's was sent); other codes on failure, with
 * err filled.
 */
int mtls_client_step(struct mtls_client *c, const char *prompt,
    char **answer, struct mtls_err *err);

/*
 * After a done prompt: 1 and the account when the host accepted the
 * login, 0 and the host's reason when it refused, -1 when no outcome has
 * arrived.  Strings belong to c.
 */
int mtls_client_outcome(const struct mtls_client *c, const char **detail);

/* Subject of the host certificate, once seen (for messages), or NULL. */
const char *mtls_client_host_subject(const struct mtls_client *c);

#endif /* MTLS_CONV_H */
