/*
 * p11.c - generate a key on a PKCS#11 token and sign with it there.
 *
 * GnuTLS asks for the PIN through one process-wide callback, and logs in
 * again for every new session (key generation, then each signature), so
 * the PIN typed once is kept in the p11_key until p11_key_free() wipes it.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/pkcs11.h>

#include "p11.h"
#include "util.h"

#define P11_ID_LEN	16	/* bytes of the random CKA_ID */
#define PIN_MAX		256

struct pin_ctx {
	char		 pin[PIN_MAX];
	size_t		 len;
	int		 have;		/* pin holds what was typed */
	int		 wrong;		/* the token refused a PIN */
	int		 no_tty;	/* a PIN was needed, no terminal */
};

struct p11_key {
	gnutls_privkey_t	 priv;
	gnutls_pubkey_t		 pub;
	char			*uri;		/* without pin-value */
	char			*uri_pin;	/* as given: may hold the PIN */
	char			*pair_pin;	/* both objects (id, no type) */
	struct pin_ctx		 pin;
};

static const struct {
	enum ca_key_type	 t;
	gnutls_pk_algorithm_t	 pk;
	unsigned int		 bits;
	const char		*name;
} key_types[] = {
	{ CA_KEY_P256, GNUTLS_PK_ECDSA,
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), "ecdsa-p256" },
	{ CA_KEY_P384, GNUTLS_PK_ECDSA,
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP384R1), "ecdsa-p384" },
	{ CA_KEY_ED25519, GNUTLS_PK_EDDSA_ED25519,
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_ED25519), "ed25519" },
	{ CA_KEY_RSA3072, GNUTLS_PK_RSA, 3072, "rsa-3072" },
};

/* Read a line from the terminal with echo off into c->pin. */
static int
pin_ask(const char *label, struct pin_ctx *c)
{
	struct termios old, quiet;
	char ch;
	ssize_t n;
	int fd, r = -1, restore = 0;

	if ((fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
		c->no_tty = 1;
		return -1;
	}
	if (tcgetattr(fd, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
		restore = tcsetattr(fd, TCSAFLUSH, &quiet) == 0;
	}
	dprintf(fd, "PIN for token %s: ", label);
	c->len = 0;
	while ((n = read(fd, &ch, 1)) == 1 && ch != '\n' && ch != '\r') {
		if (c->len + 1 >= sizeof(c->pin))
			goto out;
		c->pin[c->len++] = ch;
	}
	if (n == 1 && c->len > 0) {
		c->pin[c->len] = '\0';
		c->have = 1;
		r = 0;
	}
 out:
	ch = 0;
	if (restore)
		tcsetattr(fd, TCSAFLUSH, &old);
	dprintf(fd, "\n");
	close(fd);
	if (r != 0) {
		explicit_bzero(c->pin, sizeof(c->pin));
		c->len = 0;
	}
	return r;
}

static int
pin_cb(void *userdata, int attempt, const char *token_url,
    const char *token_label, unsigned int flags, char *pin, size_t pin_max)
{
	struct pin_ctx *c = userdata;

	(void)token_url;
	/* asked once: a PIN the token refused is not asked for again */
	if (attempt > 0 || (flags & GNUTLS_PIN_WRONG) != 0) {
		c->wrong = 1;
		return -1;
	}
	if (!c->have && pin_ask(token_label, c) != 0)
		return -1;
	if (c->len + 1 > pin_max)
		return -1;
	memcpy(pin, c->pin, c->len + 1);
	return 0;
}

static int
attr_is(const char *a, size_t len, const char *name)
{
	size_t n = strlen(name);

	return len > n && strncmp(a, name, n) == 0 && a[n] == '=';
}

/* Keep attribute a (len bytes) of the caller's URI in ours? */
static int
attr_keep(const char *a, size_t len, int keep_pin)
{
	if (len == 0 || attr_is(a, len, "id") || attr_is(a, len, "object") ||
	    attr_is(a, len, "type"))
		return 0;
	return keep_pin || !attr_is(a, len, "pin-value");
}

/*
 * The token part of uri (without id, object, type, and without pin-value
 * unless keep_pin), then ";id=" id and ";type=" type when given, into a
 * malloc()ed *out.
 */
static int
uri_build(const char *uri, const char *id, const char *type, int keep_pin,
    char **out)
{
	const char *p = uri + strlen("pkcs11:"), *q = strchr(p, '?');
	const char *end, *sep;
	size_t size = strlen(uri) + (id != NULL ? strlen(id) : 0) + 32;
	char *b, *w;
	int inquery;

	*out = NULL;
	if ((b = malloc(size)) == NULL)
		return MTLS_E_NOMEM;
	w = b + sprintf(b, "pkcs11:");
	for (inquery = 0; inquery < 2; inquery++) {
		sep = inquery ? "?" : "";
		end = inquery ? uri + strlen(uri) : q != NULL ? q : p + strlen(p);
		if (inquery && q == NULL)
			break;
		if (inquery)
			p = q + 1;
		while (p < end) {
			const char *e = p + strcspn(p, inquery ? "&" : ";?");

			if (e > end)
				e = end;
			if (attr_keep(p, (size_t)(e - p), keep_pin)) {
				w += sprintf(w, "%s%.*s", sep, (int)(e - p), p);
				sep = inquery ? "&" : ";";
			}
			p = e < end ? e + 1 : e;
		}
		if (!inquery && id != NULL) {
			w += sprintf(w, "%sid=%s", sep, id);
			if (type != NULL)
				w += sprintf(w, ";type=%s", type);
		}
	}
	*w = '\0';
	*out = b;
	return 0;
}

/* The id as a URI attribute value: %xx for every byte. */
static void
id_attr(const unsigned char *id, size_t len, char *out)
{
	size_t i;

	for (i = 0; i < len; i++)
		sprintf(out + 3 * i, "%%%02x", id[i]);
	out[3 * len] = '\0';
}

/* The token's label, and MTLS_E_NOT_FOUND when no token matches. */
static int
token_find(const char *uri, char *label, size_t size, struct mtls_err *e)
{
	unsigned int flags;
	char *clean = NULL;
	int r;

	/* the flags come from the token, the label may come from the URI */
	if (gnutls_pkcs11_token_get_flags(uri, &flags) >= 0 &&
	    gnutls_pkcs11_token_get_info(uri, GNUTLS_PKCS11_TOKEN_LABEL, label,
	    &size) >= 0)
		return 0;
	if ((r = uri_build(uri, NULL, NULL, 0, &clean)) != 0)
		return mtls_err_set(e, r, "out of memory");
	r = mtls_err_set(e, MTLS_E_NOT_FOUND, "no PKCS#11 token matches %s "
	    "(see p11tool --list-tokens)", clean);
	free(clean);
	return r;
}

/* Why generating or using the key failed, in words. */
static int
keygen_failed(const struct p11_key *k, const char *label, const char *what,
    int ret, struct mtls_err *e)
{
	if (k->pin.no_tty)
		return mtls_err_set(e, MTLS_E_INVAL, "token %s needs a PIN and "
		    "there is no terminal to ask it on (or give pin-value= "
		    "in the URI)", label);
	if (ret == GNUTLS_E_PKCS11_PIN_LOCKED)
		return mtls_err_set(e, MTLS_E_INVAL, "token %s: the PIN is "
		    "locked", label);
	if (k->pin.wrong || ret == GNUTLS_E_PKCS11_PIN_ERROR)
		return mtls_err_set(e, MTLS_E_INVAL, "token %s: wrong PIN",
		    label);
	return mtls_err_set(e, MTLS_E_INVAL, "token %s: %s: %s", label, what,
	    gnutls_strerror(ret));
}

int
p11_keygen(const char *uri, enum ca_key_type t, const char *label,
    struct p11_key **out, struct mtls_err *err)
{
	unsigned char id[P11_ID_LEN];
	char idhex[3 * P11_ID_LEN + 1], tlabel[256], what[64];
	gnutls_datum_t cid = { id, sizeof(id) }, der = { NULL, 0 };
	struct p11_key *k = NULL;
	size_t i;
	int ret, r;

	*out = NULL;
	for (i = 0; key_types[i].t != t; i++)
		;
	if ((k = calloc(1, sizeof(*k))) == NULL) {
		r = mtls_err_set(err, MTLS_E_NOMEM, "out of memory");
		goto out;
	}
	gnutls_pkcs11_set_pin_function(pin_cb, &k->pin);
	if ((r = token_find(uri, tlabel, sizeof(tlabel), err)) != 0)
		goto out;
	if ((ret = gnutls_rnd(GNUTLS_RND_NONCE, id, sizeof(id))) < 0) {
		r = mtls_err_set(err, MTLS_E_CRYPTO, "random: %s",
		    gnutls_strerror(ret));
		goto out;
	}
	id_attr(id, sizeof(id), idhex);
	if (uri_build(uri, idhex, "private", 0, &k->uri) != 0 ||
	    uri_build(uri, idhex, "private", 1, &k->uri_pin) != 0 ||
	    uri_build(uri, idhex, NULL, 1, &k->pair_pin) != 0) {
		r = mtls_err_set(err, MTLS_E_NOMEM, "out of memory");
		goto out;
	}
	snprintf(what, sizeof(what), "cannot generate an %s key",
	    key_types[i].name);
	if ((ret = gnutls_pkcs11_privkey_generate3(uri, key_types[i].pk,
	    key_types[i].bits, label, &cid, GNUTLS_X509_FMT_DER, &der,
	    GNUTLS_KEY_DIGITAL_SIGNATURE, GNUTLS_PKCS11_OBJ_FLAG_LOGIN |
	    GNUTLS_PKCS11_OBJ_FLAG_MARK_PRIVATE |
	    GNUTLS_PKCS11_OBJ_FLAG_MARK_SENSITIVE)) < 0) {
		r = keygen_failed(k, tlabel, what, ret, err);
		goto out;
	}
	if ((ret = gnutls_pubkey_init(&k->pub)) < 0 ||
	    (ret = gnutls_pubkey_import(k->pub, &der,
	    GNUTLS_X509_FMT_DER)) < 0 ||
	    (ret = gnutls_privkey_init(&k->priv)) < 0 ||
	    (ret = gnutls_privkey_import_url(k->priv, k->uri_pin, 0)) < 0) {
		r = keygen_failed(k, tlabel, "the new key", ret, err);
		p11_key_destroy(k, NULL);
		goto out;
	}
	*out = k;
	k = NULL;
	r = 0;
 out:
	gnutls_free(der.data);
	p11_key_free(k);
	return r;
}

struct p11_pin {
	struct pin_ctx	 c;
};

int
p11_pin_new(struct p11_pin **out)
{
	if ((*out = calloc(1, sizeof(**out))) == NULL)
		return MTLS_E_NOMEM;
	gnutls_pkcs11_set_pin_function(pin_cb, &(*out)->c);
	return 0;
}

void
p11_pin_free(struct p11_pin *p)
{
	if (p == NULL)
		return;
	gnutls_pkcs11_set_pin_function(NULL, NULL);
	explicit_bzero(p, sizeof(*p));
	free(p);
}

const char *
p11_pin_problem(const struct p11_pin *p)
{
	if (p->c.no_tty)
		return "the token needs a PIN and there is no terminal to "
		    "ask it on (or give pin-value= in the URI)";
	if (p->c.wrong)
		return "wrong PIN";
	return NULL;
}

gnutls_privkey_t
p11_key_priv(const struct p11_key *k)
{
	return k->priv;
}

gnutls_pubkey_t
p11_key_pub(const struct p11_key *k)
{
	return k->pub;
}

const char *
p11_key_uri(const struct p11_key *k)
{
	return k->uri;
}

int
p11_key_destroy(struct p11_key *k, struct mtls_err *err)
{
	int ret;

	if ((ret = gnutls_pkcs11_delete_url(k->pair_pin,
	    GNUTLS_PKCS11_OBJ_FLAG_LOGIN)) < 0 && err != NULL)
		return mtls_err_set(err, MTLS_E_CRYPTO, "%s: cannot remove "
		    "the key from the token: %s", k->uri, gnutls_strerror(ret));
	return ret < 0 ? MTLS_E_CRYPTO : 0;
}

static void
str_wipe(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

void
p11_key_free(struct p11_key *k)
{
	if (k == NULL)
		return;
	gnutls_privkey_deinit(k->priv);
	gnutls_pubkey_deinit(k->pub);
	free(k->uri);
	str_wipe(k->uri_pin);
	str_wipe(k->pair_pin);
	gnutls_pkcs11_set_pin_function(NULL, NULL);
	explicit_bzero(&k->pin, sizeof(k->pin));
	free(k);
}
