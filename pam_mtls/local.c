/*
 * local.c - both sides of a certificate login inside the module, with the
 * key on a PKCS#11 token or in a file (local.h).
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_appl.h>
#include <security/pam_ext.h>

#include <gnutls/abstract.h>
#include <gnutls/pkcs11.h>
#include <gnutls/x509.h>

#include "local.h"
#include "log.h"
#include "mapping.h"
#include "util.h"

#define SECRET_MAX	256		/* bytes of a PIN or passphrase */
#define LABEL_MAX	128		/* PKCS#11 labels are 32 bytes */
#define FILE_MAX	(64 * 1024)	/* a certificate chain or a key */

/* A PIN or passphrase, asked at most once through the conversation. */
struct secret {
	pam_handle_t	*pamh;
	char		 label[LABEL_MAX];	/* the token's, shown */
	char		 buf[SECRET_MAX];
	size_t		 len;
	int		 have;
	int		 wrong;		/* the token refused it */
	int		 failed;	/* why asking failed: _CONV, _DECLINED */
};

static void
printable(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

static int
secret_ask(struct secret *s, const char *prompt)
{
	char *resp = NULL;
	size_t len;
	int r = MTLS_E_CONV;

	if (pam_prompt(s->pamh, PAM_PROMPT_ECHO_OFF, &resp, "%s", prompt) !=
	    PAM_SUCCESS || resp == NULL)
		goto out;
	len = strnlen(resp, sizeof(s->buf));
	if (len == 0) {
		r = MTLS_E_DECLINED;
		goto out;
	}
	if (len >= sizeof(s->buf)) {
		r = MTLS_E_TOO_LARGE;
		goto out;
	}
	memcpy(s->buf, resp, len + 1);
	s->len = len;
	s->have = 1;
	r = 0;
 out:
	if (resp != NULL) {
		explicit_bzero(resp, strlen(resp));
		free(resp);
	}
	s->failed = r;
	return r;
}

/*
 * GnuTLS asks for the PIN at every login to the token (each new session):
 * the first time the person is asked; later logins get the same PIN; a
 * PIN the token refused is never offered again.
 */
static int
pin_cb(void *userdata, int attempt, const char *token_url,
    const char *token_label, unsigned int flags, char *pin, size_t pin_max)
{
	struct secret *s = userdata;
	char prompt[LABEL_MAX + 64];

	(void)token_url;
	/*
	 * s->label is token_label made printable, except when the URI named
	 * no token (token=pkcs11:): then the token asking names itself.
	 */
	if (s->label[0] == '\0' && token_label != NULL) {
		snprintf(s->label, sizeof(s->label), "%s", token_label);
		printable(s->label);
	}
	if (s->have && (attempt > 0 || (flags & GNUTLS_PIN_WRONG) != 0)) {
		s->wrong = 1;
		return -1;
	}
	if (s->failed != 0)
		return -1;
	if (!s->have) {
		snprintf(prompt, sizeof(prompt), "PIN for token %s%s: ",
		    s->label, (flags & GNUTLS_PIN_FINAL_TRY) != 0 ?
		    " (final try)" : (flags & GNUTLS_PIN_COUNT_LOW) != 0 ?
		    " (few tries left)" : "");
		if (secret_ask(s, prompt) != 0)
			return -1;
	}
	if (s->len + 1 > pin_max)
		return -1;
	memcpy(pin, s->buf, s->len + 1);
	return 0;
}

/* --- the in-memory transport ---------------------------------------------- */

struct link {
	struct mtls_client	*c;
	struct mtls_err		 err;
	int			 code;
};

/* The server's prompt goes straight to the client side. */
static int
step(void *ctx, const char *prompt, char **answer)
{
	struct link *l = ctx;
	int r;

	*answer = NULL;
	if ((r = mtls_client_step(l->c, prompt, answer, &l->err)) != 0) {
		free(*answer);
		*answer = NULL;
		l->code = r;
	}
	return r;
}

/* One login with cred; the verdict is the server side's alone. */
static int
run_one(struct mtls_server_params *p, gnutls_certificate_credentials_t cred,
    const char *hostname, struct mtls_server_result *res)
{
	struct link l;
	int r;

	memset(&l, 0, sizeof(l));
	if ((r = mtls_client_new(p->verifier, cred, hostname, &l.c,
	    &l.err)) != 0) {
		res->err = l.err;
		goto out;
	}
	/* Both sides are here: no SSH connection to bind the login to. */
	mtls_client_in_process(l.c);
	p->in_process = 1;
	p->roundtrip = step;
	p->ctx = &l;
	r = mtls_conv_server(p, res);
	if (r != 0 && l.code != 0)
		res->err = l.err;	/* the client side knows why */
 out:
	p->roundtrip = NULL;
	p->ctx = NULL;
	p->in_process = 0;
	mtls_client_free(l.c);
	res->code = r;
	return r;
}

/* The first DNS name of the host's own certificate. */
static int
host_name(gnutls_certificate_credentials_t host, char *name, size_t size,
    struct mtls_err *err)
{
	gnutls_datum_t der = { NULL, 0 };
	gnutls_x509_crt_t crt = NULL;
	unsigned seq;
	size_t n;
	int ret, r = MTLS_E_CONFIG;

	if (gnutls_certificate_get_crt_raw(host, 0, 0, &der) < 0 ||
	    gnutls_x509_crt_init(&crt) < 0 ||
	    gnutls_x509_crt_import(crt, &der, GNUTLS_X509_FMT_DER) < 0) {
		r = mtls_err_set(err, MTLS_E_CONFIG, "cannot read the host "
		    "certificate");
		goto out;
	}
	for (seq = 0; seq < 64; seq++) {
		n = size;
		ret = gnutls_x509_crt_get_subject_alt_name(crt, seq, name, &n,
		    NULL);
		if (ret == GNUTLS_SAN_DNSNAME && n > 0 && n < size) {
			r = 0;
			goto out;
		}
		if (ret < 0 && ret != GNUTLS_E_SHORT_MEMORY_BUFFER)
			break;
	}
	r = mtls_err_set(err, MTLS_E_CONFIG, "the host certificate names no "
	    "DNS name");
 out:
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	return r;
}

/* --- source=token ------------------------------------------------------------ */

static int
token_present(const struct pmx_opts *o, struct secret *s)
{
	size_t size = sizeof(s->label);
	unsigned int flags;

	/* The label may come from the URI itself; the flags only from a token. */
	if (gnutls_pkcs11_token_get_flags(o->token, &flags) < 0 ||
	    gnutls_pkcs11_token_get_info(o->token, GNUTLS_PKCS11_TOKEN_LABEL,
	    s->label, &size) < 0)
		return 0;
	s->label[sizeof(s->label) - 1] = '\0';
	printable(s->label);
	return 1;
}

/* The token, or MTLS_E_NO_TOKEN after o->wait seconds. */
static int
token_wait(const struct pmx_opts *o, struct secret *s, struct mtls_err *err)
{
	time_t end = time(NULL) + o->wait;
	int told = 0;

	while (!token_present(o, s)) {
		if (time(NULL) >= end)
			return mtls_err_set(err, MTLS_E_NO_TOKEN, "no token "
			    "matches %s", o->token);
		if (!told)
			pam_info(s->pamh, "Insert the token (waiting %u "
			    "seconds).", o->wait);
		told = 1;
		sleep(1);
	}
	return 0;
}

static unsigned
token_flags(const struct pmx_opts *o)
{
	unsigned int flags = 0;

	if (gnutls_pkcs11_token_get_flags(o->token, &flags) < 0)
		flags = 0;
	return flags;
}

/* After a refused PIN: say so, with what the token says is left. */
static void
tell_wrong(const struct pmx_opts *o, const struct secret *s)
{
	unsigned flags = token_flags(o);

	pam_error(s->pamh, "Wrong PIN for token %s%s.", s->label,
	    (flags & GNUTLS_PKCS11_TOKEN_USER_PIN_LOCKED) != 0 ?
	    "; the token is now locked" :
	    (flags & GNUTLS_PKCS11_TOKEN_USER_PIN_FINAL_TRY) != 0 ?
	    "; one try left before the token locks" :
	    (flags & GNUTLS_PKCS11_TOKEN_USER_PIN_COUNT_LOW) != 0 ?
	    "; few tries left before the token locks" : "");
}

/*
 * The URI of the private key beside the certificate obj: the same token
 * and CKA_ID, type private.  MTLS_E_NOT_FOUND when obj has no id.
 */
static int
key_url(gnutls_pkcs11_obj_t obj, char **out)
{
	char *url = NULL, *b = NULL, *tok, *save = NULL;
	size_t size;
	int r = MTLS_E_CRYPTO, id = 0;

	*out = NULL;
	if (gnutls_pkcs11_obj_export_url(obj, GNUTLS_PKCS11_URL_GENERIC,
	    &url) < 0 || strncmp(url, "pkcs11:", 7) != 0)
		goto out;
	size = strlen(url) + sizeof(";type=private");
	if ((b = malloc(size)) == NULL) {
		r = MTLS_E_NOMEM;
		goto out;
	}
	strcpy(b, "pkcs11:");
	for (tok = strtok_r(url + 7, ";", &save); tok != NULL;
	    tok = strtok_r(NULL, ";", &save)) {
		if (strncmp(tok, "type=", 5) == 0 ||
		    strncmp(tok, "object=", 7) == 0)
			continue;
		id |= strncmp(tok, "id=", 3) == 0;
		strcat(b, tok);
		strcat(b, ";");
	}
	strcat(b, "type=private");
	if (!id) {
		r = MTLS_E_NOT_FOUND;
		goto out;
	}
	*out = b;
	b = NULL;
	r = 0;
 out:
	free(b);
	gnutls_free(url);
	return r;
}

/* Credentials of crt and priv; priv changes hands on success. */
static int
cred_make(gnutls_x509_crt_t crt, gnutls_privkey_t *priv,
    gnutls_certificate_credentials_t *out)
{
	gnutls_certificate_credentials_t c = NULL;
	gnutls_pcert_st pcert;
	int r = MTLS_E_NOMEM, have = 0;

	*out = NULL;
	if (gnutls_certificate_allocate_credentials(&c) < 0)
		goto out;
	r = MTLS_E_CRYPTO;
	if (gnutls_pcert_import_x509(&pcert, crt, 0) < 0)
		goto out;
	have = 1;
	if (gnutls_certificate_set_key(c, NULL, 0, &pcert, 1, *priv) < 0)
		goto out;
	have = 0;
	*priv = NULL;
	*out = c;
	c = NULL;
	r = 0;
 out:
	if (have)
		gnutls_pcert_deinit(&pcert);
	if (c != NULL)
		gnutls_certificate_free_credentials(c);
	return r;
}

/*
 * One certificate of the token: MTLS_E_NOT_FOUND when it has no private
 * key beside it (not tried), else the login's result.
 */
static int
token_try(const struct pmx_opts *o, struct mtls_server_params *p,
    const char *hostname, struct secret *s, gnutls_pkcs11_obj_t obj,
    struct mtls_server_result *res)
{
	gnutls_x509_crt_t crt = NULL;
	gnutls_privkey_t priv = NULL;
	gnutls_certificate_credentials_t cred = NULL;
	char *url = NULL;
	int ret, r;

	if ((r = key_url(obj, &url)) != 0)
		goto out;
	if (gnutls_x509_crt_init(&crt) < 0 || gnutls_privkey_init(&priv) < 0) {
		r = MTLS_E_NOMEM;
		goto out;
	}
	if (gnutls_x509_crt_import_pkcs11(crt, obj) < 0) {
		r = mtls_err_set(&res->err, MTLS_E_CERT_MALFORMED, "token %s: "
		    "a certificate cannot be read", s->label);
		goto out;
	}
	if ((ret = gnutls_privkey_import_url(priv, url, 0)) < 0) {
		if (ret == GNUTLS_E_PKCS11_PIN_LOCKED)
			r = MTLS_E_PIN_LOCKED;
		else if (s->wrong || ret == GNUTLS_E_PKCS11_PIN_ERROR)
			r = MTLS_E_PIN_WRONG;
		else if (s->failed != 0)
			r = s->failed;
		else
			r = MTLS_E_NOT_FOUND;
		mtls_err_set(&res->err, r, "token %s: %s", s->label,
		    r == MTLS_E_NOT_FOUND ? "a certificate without its key" :
		    gnutls_strerror(ret));
		goto out;
	}
	if (cred_make(crt, &priv, &cred) != 0) {
		r = mtls_err_set(&res->err, MTLS_E_TLS, "token %s: the certificate does "
		    "not go with its key", s->label);
		goto out;
	}
	r = run_one(p, cred, hostname, res);
 out:
	if (cred != NULL)
		gnutls_certificate_free_credentials(cred);
	gnutls_privkey_deinit(priv);
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	free(url);
	res->code = r;
	return r;
}

/* Every certificate with its key, until one maps to p->user. */
static int
token_login(const struct pmx_opts *o, struct mtls_server_params *p,
    const char *hostname, struct secret *s, struct mtls_server_result *res)
{
	gnutls_pkcs11_obj_t *objs = NULL;
	unsigned int n = 0, i, tried = 0;
	int r;

	if ((r = token_wait(o, s, &res->err)) != 0)
		goto out;
	if ((token_flags(o) & GNUTLS_PKCS11_TOKEN_USER_PIN_LOCKED) != 0) {
		r = mtls_err_set(&res->err, MTLS_E_PIN_LOCKED, "token %s: the "
		    "PIN is locked", s->label);
		pam_error(s->pamh, "Token %s is locked.", s->label);
		goto out;
	}
	if (gnutls_pkcs11_obj_list_import_url4(&objs, &n, o->token,
	    GNUTLS_PKCS11_OBJ_FLAG_CRT) < 0) {
		r = mtls_err_set(&res->err, MTLS_E_NO_TOKEN, "token %s can no "
		    "longer be read", s->label);
		goto out;
	}
	r = mtls_err_set(&res->err, MTLS_E_NOT_FOUND, "token %s holds no "
	    "certificate with its key", s->label);
	for (i = 0; i < n; i++) {
		mtls_server_result_clear(res);
		r = token_try(o, p, hostname, s, objs[i], res);
		if (r == 0)
			goto out;
		if (r == MTLS_E_NOT_FOUND)
			continue;
		tried++;
		mtls_log(LOG_INFO, "token %s: certificate %u of %u: %s: %s",
		    s->label, i + 1, n, mtls_errname(r), mtls_err_msg(&res->err));
		if (s->wrong || s->failed != 0 || r == MTLS_E_PIN_WRONG ||
		    r == MTLS_E_PIN_LOCKED)
			break;
	}
	if (s->wrong) {
		r = mtls_err_set(&res->err, MTLS_E_PIN_WRONG, "token %s: wrong "
		    "PIN", s->label);
		tell_wrong(o, s);
	} else if (s->failed != 0) {
		r = s->failed;
	} else if (r == MTLS_E_PIN_LOCKED) {
		pam_error(s->pamh, "Token %s is locked.", s->label);
	} else if (tried > 1) {
		mtls_err_set(&res->err, r, "none of the %u certificates on "
		    "token %s maps to %s", tried, s->label, p->user);
	}
	if (r == MTLS_E_NOT_FOUND)
		pam_error(s->pamh, "Token %s holds no certificate for a "
		    "login.", s->label);
 out:
	for (i = 0; i < n; i++)
		gnutls_pkcs11_obj_deinit(objs[i]);
	gnutls_free(objs);
	res->code = r;
	return r;
}

static int
p11_init(const struct pmx_opts *o, struct mtls_err *err)
{
	int ret;

	if (o->module == NULL) {
		if ((ret = gnutls_pkcs11_init(GNUTLS_PKCS11_FLAG_AUTO,
		    NULL)) < 0)
			return mtls_err_set(err, MTLS_E_CRYPTO, "PKCS#11: %s",
			    gnutls_strerror(ret));
		return 0;
	}
	if ((ret = gnutls_pkcs11_init(GNUTLS_PKCS11_FLAG_MANUAL, NULL)) < 0)
		return mtls_err_set(err, MTLS_E_CRYPTO, "PKCS#11: %s",
		    gnutls_strerror(ret));
	if ((ret = gnutls_pkcs11_add_provider(o->module, NULL)) < 0 &&
	    ret != GNUTLS_E_INT_RET_0) {
		gnutls_pkcs11_deinit();
		return mtls_err_set(err, MTLS_E_CONFIG, "pkcs11_module=%s: %s",
		    o->module, gnutls_strerror(ret));
	}
	return 0;
}

/* --- source=file ------------------------------------------------------------- */

/*
 * Read path, a regular file owned by root or uid and writable by nobody
 * else; a secret is readable by nobody else either.
 */
static int
file_load(const char *path, uid_t uid, int secret, gnutls_datum_t *out,
    struct mtls_err *err)
{
	struct stat st;
	unsigned char *buf = NULL;
	size_t len = 0;
	ssize_t n;
	int fd, r = MTLS_E_IO;

	out->data = NULL;
	out->size = 0;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NOCTTY |
	    O_CLOEXEC)) < 0)
		return mtls_err_set(err, MTLS_E_FILE_MISSING, "%s: cannot "
		    "open", path);
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		r = mtls_err_set(err, MTLS_E_FILE_TYPE, "%s: not a regular "
		    "file", path);
		goto out;
	}
	if (st.st_uid != 0 && st.st_uid != uid) {
		r = mtls_err_set(err, MTLS_E_FILE_OWNER, "%s: owned by neither "
		    "root nor the user", path);
		goto out;
	}
	if ((st.st_mode & (secret ? 077 : 022)) != 0) {
		r = mtls_err_set(err, MTLS_E_FILE_MODE, "%s: mode %03o is too "
		    "open", path, (unsigned)st.st_mode & 0777);
		goto out;
	}
	if (st.st_size <= 0 || st.st_size > FILE_MAX ||
	    (buf = malloc((size_t)st.st_size + 1)) == NULL) {
		r = mtls_err_set(err, MTLS_E_TOO_LARGE, "%s: empty or too "
		    "large", path);
		goto out;
	}
	while (len < (size_t)st.st_size &&
	    (n = read(fd, buf + len, (size_t)st.st_size - len)) > 0)
		len += (size_t)n;
	if (len != (size_t)st.st_size) {
		r = mtls_err_set(err, MTLS_E_IO, "%s: cannot read", path);
		goto out;
	}
	buf[len] = '\0';
	out->data = buf;
	out->size = (unsigned)len;
	buf = NULL;
	r = 0;
 out:
	if (buf != NULL) {
		explicit_bzero(buf, (size_t)st.st_size);
		free(buf);
	}
	close(fd);
	return r;
}

static uid_t
user_uid(const char *user)
{
	uid_t uid;

	if (mtls_uid_lookup_system(NULL, user, &uid) != 0)
		uid = (uid_t)-1;
	return uid;
}

static int
file_login(const struct pmx_opts *o, struct mtls_server_params *p,
    const char *hostname, struct secret *s, struct mtls_server_result *res)
{
	gnutls_datum_t cert = { NULL, 0 }, key = { NULL, 0 };
	gnutls_certificate_credentials_t cred = NULL;
	char prompt[128];
	uid_t uid = user_uid(p->user);
	int r, ret, enc;

	if ((r = file_load(o->cert, uid, 0, &cert, &res->err)) != 0 ||
	    (r = file_load(o->key, uid, 1, &key, &res->err)) != 0)
		goto out;
	enc = strstr((char *)key.data, "ENCRYPTED") != NULL;
	if (enc) {
		snprintf(prompt, sizeof(prompt), "Passphrase for key %s: ",
		    strrchr(o->key, '/') + 1);
		printable(prompt);
		if ((r = secret_ask(s, prompt)) != 0)
			goto out;
	}
	if (gnutls_certificate_allocate_credentials(&cred) < 0) {
		r = MTLS_E_NOMEM;
		goto out;
	}
	if ((ret = gnutls_certificate_set_x509_key_mem2(cred, &cert, &key,
	    GNUTLS_X509_FMT_PEM, enc ? s->buf : NULL, 0)) < 0) {
		r = mtls_err_set(&res->err, enc ? MTLS_E_PIN_WRONG :
		    MTLS_E_BAD_PEM, "%s, %s: %s", o->cert, o->key,
		    gnutls_strerror(ret));
		if (enc)
			pam_error(s->pamh, "Wrong passphrase for the key.");
		goto out;
	}
	r = run_one(p, cred, hostname, res);
 out:
	if (cred != NULL)
		gnutls_certificate_free_credentials(cred);
	if (key.data != NULL)
		explicit_bzero(key.data, key.size);
	free(key.data);
	free(cert.data);
	res->code = r;
	return r;
}

/* --- both ----------------------------------------------------------------------- */

int
pmx_local_login(pam_handle_t *pamh, const struct pmx_opts *o,
    struct mtls_server_params *p, struct mtls_server_result *res)
{
	gnutls_pin_callback_t old_fn;
	void *old_ud = NULL;
	struct secret *s = NULL;
	char hostname[256];
	int r = MTLS_E_NOMEM;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		goto out;
	s->pamh = pamh;
	if ((r = host_name(p->host, hostname, sizeof(hostname),
	    &res->err)) != 0)
		goto out;
	if (o->source == PMX_SOURCE_FILE) {
		r = file_login(o, p, hostname, s, res);
		goto out;
	}
	old_fn = gnutls_pkcs11_get_pin_function(&old_ud);
	gnutls_pkcs11_set_pin_function(pin_cb, s);
	if ((r = p11_init(o, &res->err)) == 0) {
		r = token_login(o, p, hostname, s, res);
		gnutls_pkcs11_deinit();
	}
	gnutls_pkcs11_set_pin_function(old_fn, old_ud);
 out:
	if (s != NULL) {
		explicit_bzero(s, sizeof(*s));
		free(s);
	}
	res->code = r;
	return r;
}
