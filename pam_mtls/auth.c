/*
 * auth.c - pam_mtls.so's logic for each phase (auth.h).
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <security/pam_appl.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include <gnutls/gnutls.h>

#include "auth.h"
#include "conf.h"
#include "conv.h"
#include "frame.h"
#include "host.h"
#include "identity.h"
#include "local.h"
#include "log.h"
#include "mapping.h"
#include "sshkey.h"
#include "util.h"
#include "verify.h"

/* --- logging --------------------------------------------------------------- */

static pthread_once_t		 log_once = PTHREAD_ONCE_INIT;
static _Thread_local pam_handle_t *log_pamh;
static _Thread_local int	 log_debug;

static void
log_to_pam(void *ctx, int priority, const char *line)
{
	(void)ctx;
	if (priority == LOG_DEBUG && !log_debug)
		return;
	if (log_pamh != NULL)
		pam_syslog(log_pamh, priority, "%s", line);
	else
		syslog(LOG_AUTHPRIV | priority, "pam_mtls: %s", line);
}

static void
log_install(void)
{
	/* Filtering happens per thread in log_to_pam(). */
	mtls_log_set_max_priority(LOG_DEBUG);
	mtls_log_set_backend(log_to_pam, NULL);
}

void
pmx_log_begin(pam_handle_t *pamh)
{
	(void)pthread_once(&log_once, log_install);
	log_pamh = pamh;
	log_debug = 0;
}

void
pmx_log_debug(int debug)
{
	log_debug = debug;
}

void
pmx_log_end(void)
{
	log_pamh = NULL;
	log_debug = 0;
}

/* --- what authentication leaves behind --------------------------------------- */

struct pmx_data {
	gnutls_datum_t	 chain[MTLS_MAX_CHAIN_IN];	/* DER, leaf first */
	size_t		 n_chain;
	char		*subject;
	char		 serial[2 * 32 + 1];
	char		 fingerprint[3 * 32];
};

static void
data_free(struct pmx_data *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->n_chain; i++)
		free(d->chain[i].data);
	free(d->subject);
	free(d);
}

static void
data_cleanup(pam_handle_t *pamh, void *data, int status)
{
	(void)pamh;
	(void)status;
	data_free(data);
}

/* pam_putenv "name=value", with control characters shown as '?'. */
static int
put_env(pam_handle_t *pamh, const char *name, const char *value)
{
	char *s = NULL, *p;
	int r = MTLS_E_NOMEM;

	if (asprintf(&s, "%s=%s", name, value) < 0) {
		s = NULL;
		goto out;
	}
	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	r = pam_putenv(pamh, s) == PAM_SUCCESS ? 0 : MTLS_E_NOMEM;
 out:
	free(s);
	return r;
}

/* MTLS_CERT: the chain as base64 DER, leaf first, joined by ':'. */
static int
chain_encode(const gnutls_datum_t *chain, size_t n, char **out)
{
	size_t i, len = 0;
	char *s = NULL, *p;
	int r = MTLS_E_NOMEM;

	*out = NULL;
	for (i = 0; i < n; i++)
		len += mtls_b64_encoded_len(chain[i].size) + 1;
	if (n == 0 || (s = malloc(len)) == NULL)
		goto out;
	for (i = 0, p = s; i < n; i++) {
		if (i > 0)
			*p++ = ':';
		mtls_b64_encode(chain[i].data, chain[i].size, p);
		p += strlen(p);
	}
	*out = s;
	s = NULL;
	r = 0;
 out:
	free(s);
	return r;
}

/* The reverse of chain_encode(), bounded; chain[] entries are malloc'd. */
static int
chain_decode(const char *s, gnutls_datum_t *chain, size_t *n)
{
	const char *end;
	size_t len, got;
	unsigned char *buf = NULL;
	int r = MTLS_E_PROTOCOL;

	*n = 0;
	for (;;) {
		end = strchr(s, ':');
		len = end != NULL ? (size_t)(end - s) : strlen(s);
		if (*n == MTLS_MAX_CHAIN_IN || len == 0 ||
		    len > mtls_b64_encoded_len(MTLS_MAX_CERT_SIZE))
			goto out;
		if ((buf = malloc(len)) == NULL) {
			r = MTLS_E_NOMEM;
			goto out;
		}
		if (mtls_b64_decode(s, len, buf, len, &got) != 0 || got == 0)
			goto out;
		chain[*n].data = buf;
		chain[*n].size = (unsigned)got;
		(*n)++;
		buf = NULL;
		if (end == NULL)
			break;
		s = end + 1;
	}
	r = 0;
 out:
	free(buf);
	return r;
}

static void
chain_free(gnutls_datum_t *chain, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(chain[i].data);
}

static int
export_env(pam_handle_t *pamh, const struct pmx_data *d)
{
	char *cert = NULL;
	int r;

	if ((r = put_env(pamh, "MTLS_SUBJECT", d->subject)) != 0 ||
	    (r = put_env(pamh, "MTLS_SERIAL", d->serial)) != 0 ||
	    (r = put_env(pamh, "MTLS_FINGERPRINT", d->fingerprint)) != 0 ||
	    (r = chain_encode(d->chain, d->n_chain, &cert)) != 0)
		goto out;
	r = put_env(pamh, "MTLS_CERT", cert);
 out:
	free(cert);
	return r;
}

/* Keep what res learned in the handle and the PAM environment. */
static int
record(pam_handle_t *pamh, struct mtls_server_result *res)
{
	struct pmx_data *d = NULL;
	size_t i;
	int r = MTLS_E_NOMEM;

	if (res->id == NULL || res->n_chain == 0) {
		r = MTLS_E_INTERNAL;
		goto out;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL ||
	    (d->subject = strdup(res->id->subject)) == NULL)
		goto out;
	/* The chain's buffers change hands. */
	for (i = 0; i < res->n_chain; i++) {
		d->chain[i] = res->chain[i];
		res->chain[i].data = NULL;
	}
	d->n_chain = res->n_chain;
	res->n_chain = 0;
	memcpy(d->serial, res->id->serial, sizeof(d->serial));
	memcpy(d->fingerprint, res->id->fingerprint_hex,
	    sizeof(d->fingerprint));
	if ((r = export_env(pamh, d)) != 0)
		goto out;
	if (pam_set_data(pamh, PMX_DATA, d, data_cleanup) != PAM_SUCCESS) {
		r = MTLS_E_NOMEM;
		goto out;
	}
	d = NULL;
	r = 0;
 out:
	data_free(d);
	return r;
}

/* --- configuration ------------------------------------------------------------ */

struct pmx_setup {
	struct mtls_conf		*conf;
	struct mtls_verifier		*verifier;
	gnutls_certificate_credentials_t host;
};

static void
setup_clear(struct pmx_setup *s)
{
	if (s->host != NULL)
		gnutls_certificate_free_credentials(s->host);
	mtls_verifier_free(s->verifier);
	mtls_conf_free(s->conf);
	memset(s, 0, sizeof(*s));
}

/* Configuration and verifier, and the host credentials when host is set. */
static int
setup_load(const struct pmx_opts *o, int host, struct pmx_setup *s)
{
	struct mtls_err err = { 0, "" };
	int r;

	memset(s, 0, sizeof(*s));
	if ((r = mtls_conf_load(o->config, &s->conf, &err)) == 0)
		s->conf->crl_whole_max = MTLS_CRL_LOGIN_WHOLE_MAX;
	if (r != 0 ||
	    (r = mtls_verifier_new(s->conf, &s->verifier, &err)) != 0 ||
	    (host && (r = mtls_host_load(s->conf, &s->host, &err)) != 0))
		mtls_log(LOG_ERR, "cannot use %s: %s: %s", o->config,
		    mtls_errname(r), mtls_err_msg(&err));
	return r;
}

/* --- authentication ------------------------------------------------------------ */

struct pmx_link {
	const struct pam_conv	*conv;
};

/* One prompt, echo off, one answer: mtls_roundtrip_fn over PAM. */
static int
roundtrip(void *ctx, const char *prompt, char **answer)
{
	struct pmx_link *l = ctx;
	struct pam_message msg;
	const struct pam_message *msgp = &msg;
	struct pam_response *resp = NULL;
	const char *a;
	size_t len;
	int pr, r = MTLS_E_CONV;

	*answer = NULL;
	msg.msg_style = PAM_PROMPT_ECHO_OFF;
	msg.msg = prompt;
	pr = l->conv->conv(1, &msgp, &resp, l->conv->appdata_ptr);
	if (pr != PAM_SUCCESS || resp == NULL) {
		mtls_log(LOG_INFO, "the conversation failed: %s",
		    resp == NULL && pr == PAM_SUCCESS ? "no response" :
		    pam_strerror(NULL, pr));
		goto out;
	}
	/* No text is an empty answer; longer than a frame is malformed. */
	a = resp[0].resp != NULL ? resp[0].resp : "";
	len = strnlen(a, MTLS_FRAME_ANSWER_MAX + 1);
	if ((*answer = strndup(a, len)) == NULL) {
		r = MTLS_E_NOMEM;
		goto out;
	}
	r = 0;
 out:
	if (resp != NULL) {
		if (resp[0].resp != NULL) {
			explicit_bzero(resp[0].resp, strlen(resp[0].resp));
			free(resp[0].resp);
		}
		free(resp);
	}
	return r;
}

static void
log_auth(pam_handle_t *pamh, const char *user, int r,
    const struct mtls_server_result *res, const struct mtls_err *err)
{
	const void *rhost = NULL;
	const struct mtls_identity *id = res->id;

	if (pam_get_item(pamh, PAM_RHOST, &rhost) != PAM_SUCCESS)
		rhost = NULL;
	mtls_log(r == 0 ? LOG_INFO : LOG_NOTICE, "%s user=%s rhost=%s "
	    "subject=\"%s\" serial=%s fingerprint=%s ssh_key=%s rounds=%u: "
	    "%s: %s", r == 0 ? "accepted" : "denied", user,
	    rhost != NULL ? (const char *)rhost : "-",
	    id != NULL ? id->subject : "-", id != NULL ? id->serial : "-",
	    id != NULL ? id->fingerprint_hex : "-", res->ssh_key[0] != '\0' ?
	    res->ssh_key : "-", res->rounds,
	    mtls_errname(r), r == 0 ? "certificate login" :
	    mtls_err_msg(err));
}

int
pmx_authenticate(pam_handle_t *pamh, const struct pmx_opts *o)
{
	struct pmx_setup s;
	struct mtls_server_params p;
	struct mtls_server_result res;
	struct mtls_err err = { 0, "" };
	struct mtls_sshkeys keys;
	struct pmx_link link;
	const void *conv = NULL;
	const char *user = NULL;
	int r = MTLS_E_INTERNAL, valid;

	memset(&s, 0, sizeof(s));
	memset(&res, 0, sizeof(res));
	memset(&keys, 0, sizeof(keys));
	if (pam_get_user(pamh, &user, NULL) != PAM_SUCCESS || user == NULL) {
		r = MTLS_E_CONV;
		mtls_log(LOG_ERR, "cannot learn the user name");
		goto out;
	}
	/*
	 * A name that can never be mapped still gets the full exchange, so
	 * that it fails the way (and in the time) any other refusal does.
	 */
	valid = mtls_name_valid(user, strlen(user));
	/* Until the conversation, the files read share their directories. */
	mtls_dircache_begin();
	if ((r = setup_load(o, 1, &s)) != 0)
		goto out;
	if (pam_get_item(pamh, PAM_CONV, &conv) != PAM_SUCCESS ||
	    conv == NULL || ((const struct pam_conv *)conv)->conv == NULL) {
		r = MTLS_E_CONV;
		mtls_log(LOG_ERR, "the application gave no conversation");
		goto out;
	}
	link.conv = conv;
	memset(&p, 0, sizeof(p));
	p.conf = s.conf;
	p.verifier = s.verifier;
	p.host = s.host;
	p.user = user;
	if (o->source == PMX_SOURCE_CONV) {
		/* The login is bound to the SSH connection: our own keys. */
		if ((r = mtls_sshkeys_load(s.conf, &keys, &err)) != 0) {
			mtls_log(LOG_ERR, "cannot use %s: %s: %s", o->config,
			    mtls_errname(r), mtls_err_msg(&err));
			goto out;
		}
		p.ssh_keys = &keys;
		p.roundtrip = roundtrip;
		p.ctx = &link;
		mtls_dircache_end();
		r = mtls_conv_server(&p, &res);
	} else {
		mtls_dircache_end();
		r = pmx_local_login(pamh, o, &p, &res);
	}
	err = res.err;
	/* Checked here again: nothing but a mapped, valid PAM_USER passes. */
	if (r == 0 && (!valid || !mtls_accounts_has(&res.accounts, user)))
		r = mtls_err_set(&err, MTLS_E_WRONG_USER, "%s is not among "
		    "the certificate's accounts", user);
	if (r == 0)
		r = record(pamh, &res);
	log_auth(pamh, user, r, &res, &err);
 out:
	mtls_dircache_end();
	mtls_server_result_clear(&res);
	mtls_sshkeys_clear(&keys);
	setup_clear(&s);
	return r;
}

/* --- account, session, credentials -------------------------------------------- */

int
pmx_account(pam_handle_t *pamh, const struct pmx_opts *o)
{
	gnutls_datum_t own[MTLS_MAX_CHAIN_IN];
	const gnutls_datum_t *chain = NULL;
	const void *data = NULL, *item = NULL;
	const struct pmx_data *d;
	const char *env, *user = NULL;
	struct mtls_identity *id = NULL;
	struct mtls_accounts acc = { NULL, 0 };
	struct mtls_err err = { 0, "" };
	struct mtls_chain_info info;
	struct pmx_setup s;
	gnutls_x509_crt_t leaf = NULL;
	size_t n = 0, n_own = 0;
	int r = MTLS_E_INTERNAL;

	memset(&s, 0, sizeof(s));
	memset(&info, 0, sizeof(info));
	if (pam_get_data(pamh, PMX_DATA, &data) == PAM_SUCCESS &&
	    data != NULL) {
		d = data;
		chain = d->chain;
		n = d->n_chain;
	} else if ((env = pam_getenv(pamh, "MTLS_CERT")) != NULL) {
		/* sshd: authenticated in another process, same environment. */
		if ((r = chain_decode(env, own, &n_own)) != 0) {
			mtls_err_set(&err, r, "MTLS_CERT is malformed");
			goto out;
		}
		chain = own;
		n = n_own;
	} else {
		r = MTLS_E_NOT_OURS;
		goto out;
	}
	if (pam_get_item(pamh, PAM_USER, &item) != PAM_SUCCESS ||
	    (user = item) == NULL) {
		r = mtls_err_set(&err, MTLS_E_WRONG_USER, "no user name");
		goto out;
	}
	mtls_dircache_begin();
	r = setup_load(o, 0, &s);
	mtls_dircache_end();
	if (r != 0) {
		mtls_err_set(&err, r, "cannot load the configuration");
		goto out;
	}
	if ((r = mtls_verify_der_leaf(s.verifier, chain, n, time(NULL),
	    MTLS_PURPOSE_CLIENT, &err, &info, &leaf)) != 0 ||
	    (r = mtls_identity_from_leaf(leaf, &info, &id, &err)) != 0 ||
	    (r = mtls_identity_set_path(id, &info, &err)) != 0 ||
	    (r = mtls_map(s.conf, id, mtls_uid_lookup_system, NULL, &acc,
	    &err)) != 0)
		goto out;
	if (!mtls_name_valid(user, strlen(user)) ||
	    !mtls_accounts_has(&acc, user)) {
		r = mtls_err_set(&err, MTLS_E_WRONG_USER, "%s is not among "
		    "the certificate's accounts", user);
		goto out;
	}
	r = 0;
 out:
	if (r != MTLS_E_NOT_OURS)
		mtls_log(r == 0 ? LOG_INFO : LOG_NOTICE, "account %s user=%s "
		    "subject=\"%s\" serial=%s: %s: %s", r == 0 ? "valid" :
		    "refused", user != NULL ? user : "-", id != NULL ?
		    id->subject : "-", id != NULL ? id->serial : "-",
		    mtls_errname(r), r == 0 ? "certificate still valid" :
		    mtls_err_msg(&err));
	mtls_accounts_clear(&acc);
	mtls_identity_free(id);
	if (leaf != NULL)
		gnutls_x509_crt_deinit(leaf);
	mtls_chain_info_clear(&info);
	setup_clear(&s);
	chain_free(own, n_own);
	return r;
}

int
pmx_ours(pam_handle_t *pamh, int export)
{
	const void *data = NULL;
	int r = MTLS_E_NOT_OURS;

	if (pam_get_data(pamh, PMX_DATA, &data) == PAM_SUCCESS &&
	    data != NULL)
		r = export ? export_env(pamh, data) : 0;
	else if (pam_getenv(pamh, "MTLS_CERT") != NULL)
		r = 0;	/* the variables came along with it */
	return r;
}
