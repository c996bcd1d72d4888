/*
 * conv.c - the two sides of the login conversation over GnuTLS.
 *
 * GnuTLS reads and writes through callbacks.  On the server, reading with
 * nothing buffered runs one conversation round: the prompt carries what
 * GnuTLS wrote since the last round, the answer (in chunks) is what it
 * reads next.  On the client, reading with nothing buffered returns
 * EAGAIN: the handshake resumes when the next prompt brings data.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conv.h"
#include "frame.h"
#include "log.h"

const struct mtls_conv_limits mtls_conv_default_limits = { 64, 64 * 1024,
    60 };

/* "denied ssh-binding" and the host's key fingerprints fit */
#define OUTCOME_MAX	1024
/*
 * The binding rides in the ClientHello, in an extension of a type from
 * the private-use range (RFC 8447): a flags byte, then the SSH host key's
 * plain wire blob.  The ClientHello is part of the transcript that the
 * client's CertificateVerify signs: no one without the person's key can
 * change it.  Flag BINDING_NO_OK: the client needs no word of a success
 * (no done prompt after one; a refusal is still told).
 */
#define BINDING_EXT_TYPE	0xff6d
#define BINDING_EXT_NAME	"mtls-ssh-hostkey"
#define BINDING_NO_OK		0x01
#define BINDING_MAX		(1 + MTLS_SSHKEY_BLOB_MAX)

struct buf {
	unsigned char	*p;
	size_t		 len, off, cap;
};

static int
buf_add(struct buf *b, const void *data, size_t n, size_t max)
{
	unsigned char *np;
	size_t cap;

	if (b->off == b->len)
		b->off = b->len = 0;
	/* GnuTLS pushes empty records; memcpy() into no buffer is undefined */
	if (n == 0)
		return 0;
	if (b->len + n > max)
		return MTLS_E_LIMIT;
	if (b->len + n > b->cap) {
		cap = b->cap == 0 ? 4096 : b->cap;
		while (cap < b->len + n)
			cap *= 2;
		if ((np = realloc(b->p, cap)) == NULL)
			return MTLS_E_NOMEM;
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	return 0;
}

static void
buf_free(struct buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* Copy up to size buffered bytes out; how many. */
static size_t
buf_take(struct buf *b, void *data, size_t size)
{
	size_t n = b->len - b->off;

	if (n > size)
		n = size;
	memcpy(data, b->p + b->off, n);
	b->off += n;
	return n;
}

/* --- server ------------------------------------------------------------- */

struct srv {
	const struct mtls_server_params	*p;
	const struct mtls_conv_limits	*lim;
	unsigned	 seq;
	size_t		 total_in;
	time_t		 deadline;
	struct buf	 in, out;
	int		 err;	/* why the transport failed */
	int		 closed; /* handshake over: read only what is here */
	unsigned char	 binding[BINDING_MAX];	/* from the ClientHello */
	size_t		 binding_len;
	int		 binding_bad;	/* too long to be one */
};

/*
 * One prompt of verb with everything GnuTLS wrote, then the answer's
 * chunks until the last one.
 */
static int
srv_round(struct srv *s, enum mtls_frame_verb verb)
{
	unsigned char chunk[MTLS_FRAME_CHUNK];
	char *prompt = NULL, *answer = NULL;
	size_t n;
	int r = MTLS_E_INTERNAL, more = 1, first = 1;

	while (more) {
		if (s->seq >= s->lim->max_rounds || time(NULL) > s->deadline) {
			r = MTLS_E_LIMIT;
			goto out;
		}
		r = mtls_frame_prompt(first ? verb : MTLS_FRAME_DATA, s->seq++,
		    first ? s->out.p + s->out.off : NULL, first ?
		    s->out.len - s->out.off : 0, first && verb ==
		    MTLS_FRAME_HELLO ? "Certificate login (press Enter to "
		    "skip):" : NULL, &prompt);
		if (r != 0)
			goto out;
		s->out.off = s->out.len = 0;
		if ((r = s->p->roundtrip(s->p->ctx, prompt, &answer)) != 0)
			goto out;
		free(prompt);
		prompt = NULL;
		r = mtls_frame_parse_answer(answer, &more, chunk, &n);
		if (r == MTLS_E_DECLINED && !(first && verb == MTLS_FRAME_HELLO))
			r = MTLS_E_PROTOCOL;	/* only hello may be skipped */
		if (r != 0)
			goto out;
		free(answer);
		answer = NULL;
		s->total_in += n;
		if (s->total_in > s->lim->max_in) {
			r = MTLS_E_LIMIT;
			goto out;
		}
		if ((r = buf_add(&s->in, chunk, n, s->lim->max_in)) != 0)
			goto out;
		first = 0;
	}
	r = 0;
 out:
	free(prompt);
	if (answer != NULL) {
		explicit_bzero(answer, strlen(answer));
		free(answer);
	}
	return r;
}

static ssize_t
srv_pull(gnutls_transport_ptr_t ptr, void *data, size_t size)
{
	struct srv *s = ptr;
	int r;

	if (s->err != 0) {
		errno = EIO;
		return -1;
	}
	if (s->in.off == s->in.len && s->closed) {
		/* After the client's last flight, nothing more is asked. */
		errno = EAGAIN;
		return -1;
	}
	if (s->in.off == s->in.len) {
		if ((r = srv_round(s, MTLS_FRAME_DATA)) != 0) {
			s->err = r;
			errno = EIO;
			return -1;
		}
		if (s->in.off == s->in.len) {
			/* An empty flight: let the next read ask again. */
			errno = EAGAIN;
			return -1;
		}
	}
	return (ssize_t)buf_take(&s->in, data, size);
}

static ssize_t
srv_push(gnutls_transport_ptr_t ptr, const void *data, size_t size)
{
	struct srv *s = ptr;
	int r;

	if ((r = buf_add(&s->out, data, size, MTLS_FRAME_PAYLOAD_MAX)) != 0) {
		s->err = r;
		errno = EIO;
		return -1;
	}
	return (ssize_t)size;
}

/*
 * Copy the peer's chain and judge it: verify, map (with the issuer from
 * the path that verification built), compare with the user.
 */
static int
srv_judge(const struct mtls_server_params *p, gnutls_session_t session,
    struct mtls_server_result *res)
{
	const gnutls_datum_t *peers;
	struct mtls_chain_info info;
	gnutls_x509_crt_t leaf = NULL;
	unsigned n = 0, i;
	int r = MTLS_E_INTERNAL;

	memset(&info, 0, sizeof(info));
	if (gnutls_certificate_type_get(session) != GNUTLS_CRT_X509 ||
	    (peers = gnutls_certificate_get_peers(session, &n)) == NULL ||
	    n == 0) {
		r = mtls_err_set(&res->err, MTLS_E_TLS, "the client sent no "
		    "certificate");
		goto out;
	}
	if (n > MTLS_MAX_CHAIN_IN) {
		r = mtls_err_set(&res->err, MTLS_E_CERT_TOO_DEEP, "the client "
		    "sent %u certificates", n);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((res->chain[i].data = malloc(peers[i].size)) == NULL) {
			r = mtls_err_set(&res->err, MTLS_E_NOMEM, NULL);
			goto out;
		}
		memcpy(res->chain[i].data, peers[i].data, peers[i].size);
		res->chain[i].size = peers[i].size;
		res->n_chain++;
	}
	r = mtls_verify_der_leaf(p->verifier, res->chain, res->n_chain,
	    p->now != 0 ? p->now : time(NULL), MTLS_PURPOSE_CLIENT, &res->err,
	    &info, &leaf);
	/*
	 * The identity, for the log even if verification failed, comes from
	 * the leaf that verification parsed and judged.
	 */
	if (leaf != NULL)
		(void)mtls_identity_from_leaf(leaf, &info, &res->id, NULL);
	else
		(void)mtls_identity_from_der(&res->chain[0], &res->id, NULL);
	if (r != 0)
		goto out;
	if (res->id == NULL) {
		r = mtls_err_set(&res->err, MTLS_E_CERT_MALFORMED, "cannot "
		    "read the certificate's names");
		goto out;
	}
	if ((r = mtls_identity_set_path(res->id, &info, &res->err)) != 0 ||
	    (r = mtls_map(p->conf, res->id, p->lookup != NULL ? p->lookup :
	    mtls_uid_lookup_system, NULL, &res->accounts, &res->err)) != 0)
		goto out;
	if (!mtls_accounts_has(&res->accounts, p->user)) {
		r = mtls_err_set(&res->err, MTLS_E_WRONG_USER, "%s: the "
		    "certificate maps to %s%s, not to %s",
		    mtls_strerror(MTLS_E_WRONG_USER), res->accounts.v[0].name,
		    res->accounts.n > 1 ? " and others" : "", p->user);
		goto out;
	}
	r = 0;
 out:
	if (leaf != NULL)
		gnutls_x509_crt_deinit(leaf);
	mtls_chain_info_clear(&info);
	return r;
}

int
mtls_binding_parse(const unsigned char *data, size_t len,
    struct mtls_sshkey *key, int *no_ok)
{
	memset(key, 0, sizeof(*key));
	*no_ok = 0;
	if (len < 2 || len > BINDING_MAX || (data[0] & ~BINDING_NO_OK) != 0 ||
	    mtls_sshkey_from_blob(data + 1, len - 1, key) != 0)
		return MTLS_E_PROTOCOL;
	*no_ok = (data[0] & BINDING_NO_OK) != 0;
	return 0;
}

/* The ClientHello's binding extension, kept for srv_binding(). */
static int
srv_binding_ext(gnutls_session_t session, const unsigned char *data,
    size_t len)
{
	struct srv *s = gnutls_transport_get_ptr(session);

	if (s == NULL)
		return GNUTLS_E_INTERNAL_ERROR;
	s->binding_bad = len > sizeof(s->binding);
	s->binding_len = s->binding_bad ? 0 : len;
	if (!s->binding_bad)
		memcpy(s->binding, data, len);
	return 0;
}

/* The host sends no binding of its own. */
static int
no_ext_send(gnutls_session_t session, gnutls_buffer_t extdata)
{
	(void)session;
	(void)extdata;
	return 0;
}

/*
 * The binding: the SSH host key the client's ssh verified on this
 * connection, from its ClientHello (signed with the rest of the
 * transcript by the client's CertificateVerify), must be one of this
 * host's keys.  *no_ok: the client asked for no word of a success.
 */
static int
srv_binding(const struct mtls_server_params *p, const struct srv *s,
    struct mtls_server_result *res, int *no_ok)
{
	struct mtls_sshkey key;
	int r = MTLS_E_NO_BINDING;

	memset(&key, 0, sizeof(key));
	if (p->ssh_keys == NULL || p->ssh_keys->n == 0) {
		r = mtls_err_set(&res->err, MTLS_E_NO_HOST_KEYS, NULL);
		goto out;
	}
	if (s->binding_len == 0 && !s->binding_bad) {
		r = mtls_err_set(&res->err, MTLS_E_NO_BINDING, NULL);
		goto out;
	}
	if (s->binding_bad || mtls_binding_parse(s->binding, s->binding_len,
	    &key, no_ok) != 0) {
		r = mtls_err_set(&res->err, MTLS_E_PROTOCOL, "malformed SSH "
		    "host key binding");
		goto out;
	}
	snprintf(res->ssh_key, sizeof(res->ssh_key), "%s", key.fp);
	if (mtls_sshkeys_find(p->ssh_keys, &key) < 0) {
		r = mtls_err_set(&res->err, MTLS_E_BINDING, "%s: the client's "
		    "ssh connected to a host with key %s, which is not one of "
		    "this host's ssh_host_key keys", mtls_strerror(
		    MTLS_E_BINDING), key.fp);
		goto out;
	}
	r = 0;
 out:
	mtls_sshkey_clear(&key);
	return r;
}

/* "denied REASON", and for a binding refusal the host's own keys. */
static void
srv_outcome(const struct mtls_server_params *p, int r, char *out,
    size_t size)
{
	size_t i, n;

	if (r == 0) {
		snprintf(out, size, "ok %s", p->user);
		return;
	}
	n = (size_t)snprintf(out, size, "denied %s", mtls_errname(r));
	if (r != MTLS_E_BINDING)
		return;
	for (i = 0; i < p->ssh_keys->n && n + 1 + strlen(
	    p->ssh_keys->v[i].fp) < size; i++)
		n += (size_t)snprintf(out + n, size - n, " %s",
		    p->ssh_keys->v[i].fp);
}

void
mtls_server_result_clear(struct mtls_server_result *res)
{
	size_t i;

	if (res == NULL)
		return;
	for (i = 0; i < res->n_chain; i++)
		free(res->chain[i].data);
	mtls_identity_free(res->id);
	mtls_accounts_clear(&res->accounts);
	memset(res, 0, sizeof(*res));
}

int
mtls_conv_server(const struct mtls_server_params *p,
    struct mtls_server_result *res)
{
	gnutls_session_t session = NULL;
	struct srv s;
	char outcome[OUTCOME_MAX];
	int r = MTLS_E_INTERNAL, g, no_ok = 0;

	memset(&s, 0, sizeof(s));
	s.p = p;
	s.lim = p->limits != NULL ? p->limits : &mtls_conv_default_limits;
	s.deadline = time(NULL) + (time_t)s.lim->timeout;
	if (p->user == NULL || p->host == NULL || p->verifier == NULL) {
		r = mtls_err_set(&res->err, MTLS_E_INVAL, NULL);
		goto out;
	}
	if ((r = srv_round(&s, MTLS_FRAME_HELLO)) != 0) {
		mtls_err_set(&res->err, r, NULL);
		goto out;
	}
	if (gnutls_init(&session, GNUTLS_SERVER | GNUTLS_NO_TICKETS) < 0 ||
	    gnutls_priority_set_direct(session, MTLS_TLS_PRIORITY, NULL) < 0 ||
	    gnutls_credentials_set(session, GNUTLS_CRD_CERTIFICATE,
	    p->host) < 0) {
		r = mtls_err_set(&res->err, MTLS_E_CRYPTO, "cannot set up the "
		    "TLS session");
		goto out;
	}
	/* No resumption: every login proves possession of the key anew. */
	gnutls_certificate_server_set_request(session, GNUTLS_CERT_REQUIRE);
	gnutls_transport_set_ptr(session, &s);
	gnutls_transport_set_pull_function(session, srv_pull);
	gnutls_transport_set_push_function(session, srv_push);
	if (!p->in_process && gnutls_session_ext_register(session,
	    BINDING_EXT_NAME, BINDING_EXT_TYPE, GNUTLS_EXT_TLS,
	    srv_binding_ext, no_ext_send, NULL, NULL, NULL,
	    GNUTLS_EXT_FLAG_CLIENT_HELLO | GNUTLS_EXT_FLAG_TLS) < 0) {
		r = mtls_err_set(&res->err, MTLS_E_CRYPTO, "cannot set up the "
		    "TLS session");
		goto out;
	}
	do {
		g = gnutls_handshake(session);
	} while (g < 0 && !gnutls_error_is_fatal(g) && s.err == 0);
	if (g < 0) {
		r = s.err != 0 ? s.err : MTLS_E_TLS;
		mtls_err_set(&res->err, r, "%s (%s)", mtls_strerror(r),
		    gnutls_strerror(g));
		goto out;
	}
	if (gnutls_protocol_get_version(session) != GNUTLS_TLS1_3 ||
	    gnutls_session_is_resumed(session)) {
		r = mtls_err_set(&res->err, MTLS_E_TLS, "not a full TLS 1.3 "
		    "handshake");
		goto out;
	}
	s.closed = 1;
	r = srv_judge(p, session, res);
	if (r == 0 && !p->in_process)
		r = srv_binding(p, &s, res, &no_ok);
	/* A client that needs no word of a success gets none: one round less. */
	if (r == 0 && no_ok)
		goto out;
	/* The outcome travels encrypted; only the reason's name is told. */
	srv_outcome(p, r, outcome, sizeof(outcome));
	if (gnutls_record_send(session, outcome, strlen(outcome)) < 0 ||
	    srv_round(&s, MTLS_FRAME_DONE) != 0) {
		/* The verdict stands; a client that went away learns nothing. */
		if (r == 0)
			r = mtls_err_set(&res->err, s.err != 0 ? s.err :
			    MTLS_E_PROTOCOL, "the client did not acknowledge "
			    "the outcome");
	}
 out:
	res->rounds = s.seq;
	if (session != NULL)
		gnutls_deinit(session);
	buf_free(&s.in);
	buf_free(&s.out);
	res->code = r;
	if (r != 0 && res->err.code == 0)
		mtls_err_set(&res->err, r, NULL);
	return r;
}

/* --- client ------------------------------------------------------------- */

struct mtls_client {
	gnutls_session_t	 session;
	const struct mtls_verifier *v;
	char			*hostname;
	struct buf		 in, out;
	unsigned		 next_seq;
	int			 started, done, finished, accepted;
	int			 failed;	/* a step failed: no more */
	int			 relayed;	/* denied ssh-binding */
	int			 in_process;
	int			 no_ok;		/* no word of a success */
	unsigned char		*binding;	/* the extension's data */
	size_t			 binding_len;
	time_t			 now;		/* 0: the clock */
	int			 host_code;
	struct mtls_err		 host_err;
	char			*host_subject;
	char			 outcome[OUTCOME_MAX];
	const char		*host_keys;	/* in outcome, when relayed */
};

static ssize_t
cli_pull(gnutls_transport_ptr_t ptr, void *data, size_t size)
{
	struct mtls_client *c = ptr;

	if (c->in.off == c->in.len) {
		errno = EAGAIN;
		return -1;
	}
	return (ssize_t)buf_take(&c->in, data, size);
}

static ssize_t
cli_push(gnutls_transport_ptr_t ptr, const void *data, size_t size)
{
	struct mtls_client *c = ptr;

	if (buf_add(&c->out, data, size, MTLS_FRAME_PAYLOAD_MAX) != 0) {
		errno = EIO;
		return -1;
	}
	return (ssize_t)size;
}

/*
 * The host's certificate, judged before any of the person's is sent: the
 * organization policy for servers, and the name the person asked for.
 */
static int
cli_verify_host(gnutls_session_t session)
{
	struct mtls_client *c = gnutls_session_get_ptr(session);
	const gnutls_datum_t *peers;
	gnutls_x509_crt_t leaf = NULL;
	struct mtls_identity *id = NULL;
	char *subj = NULL;
	unsigned n = 0;
	int r;

	if (c == NULL)
		return -1;
	peers = gnutls_certificate_get_peers(session, &n);
	if (peers == NULL || n == 0) {
		c->host_code = mtls_err_set(&c->host_err, MTLS_E_HOST_REJECTED,
		    "the host sent no certificate");
		return -1;
	}
	r = mtls_verify_der_leaf(c->v, peers, n, c->now != 0 ? c->now :
	    time(NULL), MTLS_PURPOSE_SERVER, &c->host_err, NULL, &leaf);
	/* Subject and host name come from the leaf that was judged. */
	if (leaf != NULL ? mtls_identity_subject(leaf, &subj) == 0 :
	    mtls_identity_from_der(&peers[0], &id, NULL) == 0) {
		free(c->host_subject);
		c->host_subject = id != NULL ? strdup(id->subject) : subj;
		mtls_identity_free(id);
	}
	if (r != 0) {
		c->host_code = r;
		r = -1;
	} else if (!gnutls_x509_crt_check_hostname2(leaf, c->hostname, 0)) {
		c->host_code = mtls_err_set(&c->host_err, MTLS_E_HOST_REJECTED,
		    "the host's certificate (%s) does not name %s",
		    c->host_subject != NULL ? c->host_subject : "?",
		    c->hostname);
		r = -1;
	}
	if (leaf != NULL)
		gnutls_x509_crt_deinit(leaf);
	return r;
}

/* The binding extension of the ClientHello. */
static int
cli_binding_ext(gnutls_session_t session, gnutls_buffer_t extdata)
{
	struct mtls_client *c = gnutls_session_get_ptr(session);

	if (c == NULL || c->binding == NULL)
		return 0;
	c->binding[0] = c->no_ok ? BINDING_NO_OK : 0;
	return gnutls_buffer_append_data(extdata, c->binding,
	    c->binding_len) < 0 ? GNUTLS_E_MEMORY_ERROR :
	    (int)c->binding_len;
}

/* The host sends none back; one it did send is ignored. */
static int
cli_binding_ext_recv(gnutls_session_t session, const unsigned char *data,
    size_t len)
{
	(void)session;
	(void)data;
	(void)len;
	return 0;
}

int
mtls_client_new(const struct mtls_verifier *verifier,
    gnutls_certificate_credentials_t cred, const char *hostname,
    struct mtls_client **out, struct mtls_err *err)
{
	struct mtls_client *c = NULL;
	int r = MTLS_E_INTERNAL;

	*out = NULL;
	if (verifier == NULL || cred == NULL || hostname == NULL ||
	    *hostname == '\0') {
		r = mtls_err_set(err, MTLS_E_INVAL, "no host name");
		goto out;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->hostname = strdup(hostname)) == NULL) {
		r = mtls_err_set(err, MTLS_E_NOMEM, NULL);
		goto out;
	}
	c->v = verifier;
	if (gnutls_init(&c->session, GNUTLS_CLIENT | GNUTLS_NO_TICKETS) < 0 ||
	    gnutls_priority_set_direct(c->session, MTLS_TLS_PRIORITY,
	    NULL) < 0 ||
	    gnutls_credentials_set(c->session, GNUTLS_CRD_CERTIFICATE,
	    cred) < 0) {
		r = mtls_err_set(err, MTLS_E_CRYPTO, "cannot set up the TLS "
		    "session");
		goto out;
	}
	gnutls_certificate_set_verify_function(cred, cli_verify_host);
	gnutls_session_set_ptr(c->session, c);
	(void)gnutls_server_name_set(c->session, GNUTLS_NAME_DNS, hostname,
	    strlen(hostname));
	gnutls_transport_set_ptr(c->session, c);
	gnutls_transport_set_pull_function(c->session, cli_pull);
	gnutls_transport_set_push_function(c->session, cli_push);
	if (gnutls_session_ext_register(c->session, BINDING_EXT_NAME,
	    BINDING_EXT_TYPE, GNUTLS_EXT_TLS, cli_binding_ext_recv,
	    cli_binding_ext, NULL, NULL, NULL, GNUTLS_EXT_FLAG_CLIENT_HELLO |
	    GNUTLS_EXT_FLAG_TLS) < 0) {
		r = mtls_err_set(err, MTLS_E_CRYPTO, "cannot set up the TLS "
		    "session");
		goto out;
	}
	*out = c;
	c = NULL;
	r = 0;
 out:
	mtls_client_free(c);
	return r;
}

void
mtls_client_set_time(struct mtls_client *c, time_t t)
{
	c->now = t;
}

void
mtls_client_free(struct mtls_client *c)
{
	if (c == NULL)
		return;
	if (c->session != NULL)
		gnutls_deinit(c->session);
	buf_free(&c->in);
	buf_free(&c->out);
	free(c->hostname);
	free(c->host_subject);
	free(c->binding);
	free(c);
}

int
mtls_client_set_binding(struct mtls_client *c, const struct mtls_sshkey *key)
{
	unsigned char *b;

	if (key->len == 0 || key->len > MTLS_SSHKEY_BLOB_MAX ||
	    (b = malloc(1 + key->len)) == NULL)
		return MTLS_E_NOMEM;
	memcpy(b + 1, key->blob, key->len);
	free(c->binding);
	c->binding = b;
	c->binding_len = 1 + key->len;
	return 0;
}

void
mtls_client_in_process(struct mtls_client *c)
{
	c->in_process = 1;
}

void
mtls_client_no_ok(struct mtls_client *c)
{
	c->no_ok = 1;
}

int
mtls_client_flight_sent(const struct mtls_client *c)
{
	return c->done && c->out.off == c->out.len && !c->failed;
}

/* The next chunk of what the client has to send, as an answer line. */
static int
cli_answer(struct mtls_client *c, char **answer)
{
	size_t n = c->out.len - c->out.off;
	char *a;

	if (n > MTLS_FRAME_CHUNK)
		n = MTLS_FRAME_CHUNK;
	if ((a = malloc(MTLS_FRAME_ANSWER_MAX + 1)) == NULL)
		return MTLS_E_NOMEM;
	if (mtls_frame_answer(c->out.len - c->out.off > n, c->out.p +
	    c->out.off, n, a, MTLS_FRAME_ANSWER_MAX + 1) != 0) {
		free(a);
		return MTLS_E_INTERNAL;
	}
	c->out.off += n;
	*answer = a;
	return 0;
}

static int
cli_handshake(struct mtls_client *c, struct mtls_err *err)
{
	int g;

	if (c->done)
		return 0;
	g = gnutls_handshake(c->session);
	if (g == 0) {
		c->done = 1;
		return 0;
	}
	if (g == GNUTLS_E_AGAIN || g == GNUTLS_E_INTERRUPTED)
		return 0;
	if (c->host_code != 0) {
		if (err != NULL)
			*err = c->host_err;
		return c->host_code == MTLS_E_HOST_REJECTED ||
		    mtls_error_is_rejection(c->host_code) ?
		    MTLS_E_HOST_REJECTED : c->host_code;
	}
	return mtls_err_set(err, MTLS_E_TLS, "%s: %s",
	    mtls_strerror(MTLS_E_TLS), gnutls_strerror(g));
}

static int
cli_outcome(struct mtls_client *c, struct mtls_err *err)
{
	char buf[OUTCOME_MAX];
	ssize_t n;
	size_t i;

	n = gnutls_record_recv(c->session, buf, sizeof(buf) - 1);
	if (n <= 0)
		return mtls_err_set(err, MTLS_E_PROTOCOL, "no outcome from the "
		    "host");
	buf[n] = '\0';
	for (i = 0; i < (size_t)n; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			buf[i] = '?';
	if (strncmp(buf, "ok ", 3) == 0)
		c->accepted = 1;
	else if (strncmp(buf, "denied ", 7) != 0)
		return mtls_err_set(err, MTLS_E_PROTOCOL, "unexpected outcome");
	snprintf(c->outcome, sizeof(c->outcome), "%s", buf + (c->accepted ?
	    3 : 7));
	if (!c->accepted && strncmp(c->outcome, mtls_errname(MTLS_E_BINDING),
	    strlen(mtls_errname(MTLS_E_BINDING))) == 0) {
		i = strlen(mtls_errname(MTLS_E_BINDING));
		if (c->outcome[i] == ' ' || c->outcome[i] == '\0') {
			c->relayed = 1;
			c->host_keys = c->outcome + i + (c->outcome[i] == ' ');
			c->outcome[i] = '\0';
		}
	}
	c->finished = 1;
	return 0;
}

/*
 * Is this prompt the one the exchange allows now?  hello first and only
 * first, without data; "data -" only while our flight has chunks left;
 * "data PAYLOAD" only during the handshake and after our whole flight;
 * "done" only after the handshake; nothing after the outcome.
 */
static int
cli_in_order(const struct mtls_client *c, enum mtls_frame_verb verb,
    unsigned seq, const unsigned char *data)
{
	int pending = c->out.off < c->out.len;

	if (c->finished || seq != c->next_seq || seq >= MTLS_CLIENT_MAX_PROMPTS)
		return 0;
	switch (verb) {
	case MTLS_FRAME_HELLO:
		return !c->started && data == NULL;
	case MTLS_FRAME_DATA:
		if (!c->started)
			return 0;
		return data == NULL ? pending : !pending && !c->done;
	case MTLS_FRAME_DONE:
		return c->started && !pending && c->done && data != NULL;
	}
	return 0;
}

static int
cli_step(struct mtls_client *c, const char *prompt, char **answer,
    struct mtls_err *err)
{
	enum mtls_frame_verb verb;
	unsigned seq = 0;
	unsigned char *data = NULL;
	size_t len = 0;
	int r;

	r = mtls_frame_parse_prompt(prompt, &verb, &seq, &data, &len);
	if (r == MTLS_E_NOT_OURS && strstr(prompt, MTLS_FRAME_MARKER_V1 " ") !=
	    NULL) {
		r = mtls_err_set(err, MTLS_E_PROTOCOL, "the host runs a "
		    "pam_mtls without connection binding (conversation "
		    "version 1): it must be updated before a certificate "
		    "login");
		goto out;
	}
	if (r == MTLS_E_NOT_OURS && strstr(prompt, MTLS_FRAME_MARKER_V2 " ") !=
	    NULL) {
		r = mtls_err_set(err, MTLS_E_PROTOCOL, "the host runs an older "
		    "pam_mtls (conversation version 2): update it to log in "
		    "with this mtls");
		goto out;
	}
	if (r != 0) {
		if (r != MTLS_E_NOT_OURS)
			mtls_err_set(err, r, "malformed prompt from the host");
		goto out;
	}
	if (seq >= MTLS_CLIENT_MAX_PROMPTS) {
		r = mtls_err_set(err, MTLS_E_LIMIT, "the host sent more than "
		    "%d prompts", MTLS_CLIENT_MAX_PROMPTS);
		goto out;
	}
	if (!cli_in_order(c, verb, seq, data)) {
		r = mtls_err_set(err, MTLS_E_PROTOCOL, "prompt %u out of "
		    "order", seq);
		goto out;
	}
	if (verb == MTLS_FRAME_HELLO && c->binding == NULL && !c->in_process) {
		r = mtls_err_set(err, MTLS_E_NO_BINDING, "no SSH host key to "
		    "bind the login to (ssh did not report the key it "
		    "verified)");
		goto out;
	}
	c->next_seq = seq + 1;
	if (data != NULL && (r = buf_add(&c->in, data, len,
	    MTLS_FRAME_PAYLOAD_MAX)) != 0)
		goto out;
	if (verb == MTLS_FRAME_HELLO)
		c->started = 1;
	if (verb == MTLS_FRAME_DONE) {
		if ((r = cli_outcome(c, err)) != 0)
			goto out;
		r = (*answer = strdup(".")) != NULL ? 0 : MTLS_E_NOMEM;
		goto out;
	}
	/* A continuation request ("-") while a flight is pending. */
	if (data == NULL && verb == MTLS_FRAME_DATA) {
		r = cli_answer(c, answer);
		goto out;
	}
	if ((r = cli_handshake(c, err)) != 0)
		goto out;
	r = cli_answer(c, answer);
 out:
	free(data);
	return r;
}

int
mtls_client_step(struct mtls_client *c, const char *prompt, char **answer,
    struct mtls_err *err)
{
	int r;

	*answer = NULL;
	if (c->failed) {
		/* Not ours or not: after a failure nothing is answered. */
		return mtls_err_set(err, MTLS_E_PROTOCOL, "the login has "
		    "already failed");
	}
	r = cli_step(c, prompt, answer, err);
	if (r != 0 && r != MTLS_E_NOT_OURS)
		c->failed = 1;
	return r;
}

int
mtls_client_outcome(const struct mtls_client *c, const char **detail)
{
	if (!c->finished)
		return -1;
	*detail = c->outcome;
	return c->accepted;
}

int
mtls_client_relayed(const struct mtls_client *c, const char **host_keys)
{
	if (!c->relayed)
		return 0;
	*host_keys = c->host_keys;
	return 1;
}

const char *
mtls_client_host_subject(const struct mtls_client *c)
{
	return c->host_subject;
}
