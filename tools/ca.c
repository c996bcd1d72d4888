/*
 * ca.c - the organization CA kept in a directory (see ca.h).
 *
 * The index is a text file, one line per issued certificate, seven fields
 * separated by single tabs; lines that start with '#' are comments:
 *
 *	serial	status	notAfter	revoked	reason	kind	subject
 *
 * serial    lower-case hex, no separators, no leading zero byte
 * status    V (issued) or R (revoked); "expired" is computed, not stored
 * notAfter  RFC 3339 UTC
 * revoked   RFC 3339 UTC time of revocation, or - when status is V
 * reason    a CRL reason name (keyCompromise, ...), or - when status is V
 * kind      user or host (a leaf), or ca (an intermediate CA, in its root)
 * subject   RFC 4514 subject name, the rest of the line
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/crypto.h>

#include "ca.h"
#include "util.h"
#include "verify.h"

#define CA_FILE_MAX	(64 * 1024)
#define INDEX_MAX	(256 * 1024 * 1024)
#define INDEX_HEADER	"# mtls CA index 1: serial\tstatus\tnotAfter\t" \
			"revoked\treason\tkind\tsubject\n"

static const struct {
	const char		*name;
	enum ca_key_type	 type;
	gnutls_pk_algorithm_t	 pk;
	unsigned int		 bits;
} key_types[] = {
	{ "ecdsa-p256", CA_KEY_P256, GNUTLS_PK_ECDSA,
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1) },
	{ "ecdsa-p384", CA_KEY_P384, GNUTLS_PK_ECDSA,
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP384R1) },
	{ "ed25519", CA_KEY_ED25519, GNUTLS_PK_EDDSA_ED25519,
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_ED25519) },
	{ "rsa-3072", CA_KEY_RSA3072, GNUTLS_PK_RSA, 3072 },
};

#define NKEYTYPES	(sizeof(key_types) / sizeof(key_types[0]))

static int
tls_err(struct mtls_err *err, const char *what, int ret)
{
	return mtls_err_set(err, MTLS_E_CRYPTO, "%s: %s", what,
	    gnutls_strerror(ret));
}

int
ca_key_type_parse(const char *s, enum ca_key_type *out)
{
	size_t i;

	for (i = 0; i < NKEYTYPES; i++)
		if (strcmp(s, key_types[i].name) == 0) {
			*out = key_types[i].type;
			return 0;
		}
	return MTLS_E_INVAL;
}

int
ca_keygen(enum ca_key_type t, gnutls_x509_privkey_t *xkey,
    gnutls_datum_t *pem, struct mtls_err *err)
{
	gnutls_x509_privkey_t k = NULL;
	size_t i;
	int ret, r = MTLS_E_INTERNAL;

	*xkey = NULL;
	if (pem != NULL) {
		pem->data = NULL;
		pem->size = 0;
	}
	for (i = 0; i < NKEYTYPES && key_types[i].type != t; i++)
		;
	if (i == NKEYTYPES) {
		r = mtls_err_set(err, MTLS_E_INVAL, "unknown key type");
		goto out;
	}
	if ((ret = gnutls_x509_privkey_init(&k)) < 0 ||
	    (ret = gnutls_x509_privkey_generate2(k, key_types[i].pk,
	    key_types[i].bits, 0, NULL, 0)) < 0) {
		r = tls_err(err, "key generation", ret);
		goto out;
	}
	if (pem != NULL && (ret = gnutls_x509_privkey_export2_pkcs8(k,
	    GNUTLS_X509_FMT_PEM, NULL, GNUTLS_PKCS_PLAIN, pem)) < 0) {
		r = tls_err(err, "key export", ret);
		goto out;
	}
	*xkey = k;
	k = NULL;
	r = 0;
 out:
	gnutls_x509_privkey_deinit(k);
	return r;
}

int
ca_path(const char *dir, const char *name, char *buf, size_t size,
    struct mtls_err *err)
{
	int n;

	n = snprintf(buf, size, "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= size)
		return mtls_err_set(err, MTLS_E_TOO_LARGE, "%s/%s: path too "
		    "long", dir, name);
	return 0;
}

int
ca_lock(const char *dir, struct mtls_err *err)
{
	char path[4096];
	int fd, r;

	if ((r = ca_path(dir, "lock", path, sizeof(path), err)) != 0)
		return r;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return mtls_err_set(err, MTLS_E_IO, "%s: %s", path,
		    strerror(errno));
	while (flock(fd, LOCK_EX) != 0) {
		if (errno == EINTR)
			continue;
		r = mtls_err_set(err, MTLS_E_IO, "%s: lock: %s", path,
		    strerror(errno));
		close(fd);
		return r;
	}
	return fd;
}

int
ca_dir_check(const char *path, struct mtls_err *err)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return mtls_err_set(err, MTLS_E_FILE_MISSING, "%s: %s", path,
		    strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return mtls_err_set(err, MTLS_E_FILE_TYPE, "%s: not a "
		    "directory%s", path, S_ISLNK(st.st_mode) ? " (a symbolic "
		    "link)" : "");
	if (st.st_uid != geteuid())
		return mtls_err_set(err, MTLS_E_FILE_OWNER, "%s: owned by uid "
		    "%lu, not by this user", path, (unsigned long)st.st_uid);
	if ((st.st_mode & 022) != 0)
		return mtls_err_set(err, MTLS_E_FILE_MODE, "%s: writable by "
		    "group or others (mode %04o)", path,
		    (unsigned)(st.st_mode & 07777));
	return 0;
}

int
ca_exists(const char *dir)
{
	char path[4096];
	struct stat st;

	if (ca_path(dir, "ca.key", path, sizeof(path), NULL) != 0 ||
	    lstat(path, &st) == 0)
		return 1;
	if (ca_path(dir, "ca.pem", path, sizeof(path), NULL) != 0 ||
	    lstat(path, &st) == 0)
		return 1;
	return 0;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
ca_serial_norm(const char *in, char out[CA_SERIAL_HEX + 1])
{
	char digits[2 * CA_SERIAL_HEX + 1];
	size_t n = 0, i = 0;
	const char *p;

	for (p = in; *p != '\0'; p++) {
		if (*p == ':')
			continue;
		if (hexval((unsigned char)*p) < 0 || n >= 2 * CA_SERIAL_HEX)
			return MTLS_E_INVAL;
		digits[n++] = (char)(*p >= 'A' && *p <= 'F' ? *p - 'A' + 'a' :
		    *p);
	}
	/* whole bytes, without leading zero bytes */
	while (n - i > 2 && digits[i] == '0' && digits[i + 1] == '0')
		i += 2;
	if (n == 0 || n - i > CA_SERIAL_HEX || (n - i) % 2 != 0)
		return MTLS_E_INVAL;
	memcpy(out, digits + i, n - i);
	out[n - i] = '\0';
	return 0;
}

int
ca_crt_serial(gnutls_x509_crt_t crt, char out[CA_SERIAL_HEX + 1])
{
	unsigned char serial[64];
	char hex[2 * sizeof(serial) + 1];
	size_t sz = sizeof(serial);

	if (gnutls_x509_crt_get_serial(crt, serial, &sz) < 0 || sz == 0 ||
	    sz > CA_SERIAL_HEX / 2)
		return MTLS_E_CERT_MALFORMED;
	mtls_hex(serial, sz, 0, hex);
	return ca_serial_norm(hex, out);
}

static size_t
unhex(const char *hex, unsigned char *out)
{
	size_t i, n = strlen(hex) / 2;

	for (i = 0; i < n; i++)
		out[i] = (unsigned char)(hexval(hex[2 * i]) << 4 |
		    hexval(hex[2 * i + 1]));
	return n;
}

static int
parse_time_field(const char *s, int dash_ok, time_t *out)
{
	if (dash_ok && strcmp(s, "-") == 0) {
		*out = 0;
		return 0;
	}
	return mtls_parse_time(s, out);
}

int
ca_index_parse_line(char *line, struct ca_entry *e)
{
	char *f[7], *p = line, serial[CA_SERIAL_HEX + 1];
	size_t i;

	memset(e, 0, sizeof(*e));
	for (i = 0; i < 6; i++) {
		f[i] = p;
		if ((p = strchr(p, '\t')) == NULL)
			return MTLS_E_INVAL;
		*p++ = '\0';
	}
	f[6] = p;
	if (ca_serial_norm(f[0], serial) != 0 || strcmp(serial, f[0]) != 0 ||
	    strlen(f[1]) != 1 || (f[1][0] != 'V' && f[1][0] != 'R') ||
	    parse_time_field(f[2], 0, &e->not_after) != 0 ||
	    parse_time_field(f[3], f[1][0] == 'V', &e->revoked_at) != 0 ||
	    (f[1][0] == 'V') != (strcmp(f[4], "-") == 0) ||
	    strlen(f[4]) >= sizeof(e->reason) ||
	    (strcmp(f[5], "user") != 0 && strcmp(f[5], "host") != 0 &&
	    strcmp(f[5], "ca") != 0) ||
	    *f[6] == '\0')
		return MTLS_E_INVAL;
	strcpy(e->serial, serial);
	e->status = f[1][0];
	strcpy(e->reason, f[4]);
	strcpy(e->kind, f[5]);
	e->subject = f[6];
	return 0;
}

static void
entries_free(struct ca_entry *ent, size_t n)
{
	size_t i;

	for (i = 0; ent != NULL && i < n; i++)
		free(ent[i].subject);
	free(ent);
}

int
ca_add(struct ca *ca, const struct ca_entry *e, struct mtls_err *err)
{
	struct ca_entry *v;
	char *subject;

	if ((subject = strdup(e->subject)) == NULL)
		return mtls_err_set(err, MTLS_E_NOMEM, NULL);
	v = reallocarray(ca->ent, ca->n_ent + 1, sizeof(*v));
	if (v == NULL) {
		free(subject);
		return mtls_err_set(err, MTLS_E_NOMEM, NULL);
	}
	ca->ent = v;
	v[ca->n_ent] = *e;
	v[ca->n_ent].subject = subject;
	ca->n_ent++;
	return 0;
}

static int
index_load(struct ca *ca, struct mtls_err *err)
{
	struct ca_entry e;
	char path[4096], *buf = NULL, *line, *nl;
	size_t len, lineno = 0;
	int r;

	if ((r = ca_path(ca->dir, "index", path, sizeof(path), err)) != 0 ||
	    (r = mtls_file_read(path, "CA index", INDEX_MAX, &buf, &len,
	    err)) != 0)
		goto out;
	r = MTLS_E_INVAL;
	for (line = buf; *line != '\0'; line = nl + 1) {
		lineno++;
		if ((nl = strchr(line, '\n')) == NULL) {
			r = mtls_err_set(err, MTLS_E_INVAL, "%s:%zu: "
			    "incomplete last line", path, lineno);
			goto out;
		}
		*nl = '\0';
		if (*line == '#')
			continue;
		if (ca_index_parse_line(line, &e) != 0) {
			r = mtls_err_set(err, MTLS_E_INVAL, "%s:%zu: "
			    "malformed line", path, lineno);
			goto out;
		}
		if (ca_find(ca, e.serial) != NULL) {
			r = mtls_err_set(err, MTLS_E_INVAL, "%s:%zu: "
			    "duplicate serial %s", path, lineno, e.serial);
			goto out;
		}
		if ((r = ca_add(ca, &e, err)) != 0)
			goto out;
	}
	r = 0;
 out:
	free(buf);
	return r;
}

static int
crlnumber_load(struct ca *ca, struct mtls_err *err)
{
	char path[4096], *buf = NULL;
	size_t len;
	int r;

	if ((r = ca_path(ca->dir, "crlnumber", path, sizeof(path),
	    err)) != 0 ||
	    (r = mtls_file_read(path, "CRL number", 64, &buf, &len,
	    err)) != 0)
		goto out;
	if (len > 0 && buf[len - 1] == '\n')
		buf[len - 1] = '\0';
	if (mtls_parse_uint(buf, 0, 0xffffffffUL, &ca->crl_number) != 0) {
		r = mtls_err_set(err, MTLS_E_INVAL, "%s: not a number", path);
		goto out;
	}
	r = 0;
 out:
	free(buf);
	return r;
}

static int
ca_keyid(struct ca *ca, struct mtls_err *err)
{
	unsigned int critical;
	int ret;

	ca->ski_len = sizeof(ca->ski);
	if ((ret = gnutls_x509_crt_get_subject_key_id(ca->crt, ca->ski,
	    &ca->ski_len, &critical)) < 0)
		return tls_err(err, "CA subject key identifier", ret);
	return 0;
}

static int
ca_load_files(struct ca *ca, struct mtls_err *err)
{
	gnutls_x509_crt_t *crts = NULL;
	gnutls_datum_t d = { NULL, 0 };
	char path[4096], *buf = NULL;
	size_t len = 0;
	unsigned n = 0;
	int ret, r;

	if ((r = ca_path(ca->dir, "ca.pem", path, sizeof(path), err)) != 0 ||
	    (r = mtls_load_crts(path, "CA certificate", 1, &crts, &n,
	    err)) != 0)
		goto out;
	ca->crt = crts[0];
	crts[0] = NULL;
	if ((r = ca_keyid(ca, err)) != 0 ||
	    (r = ca_path(ca->dir, "ca.key", path, sizeof(path), err)) != 0 ||
	    (r = mtls_file_read_secret(path, "CA key", CA_FILE_MAX, &buf,
	    &len, err)) != 0)
		goto out;
	d.data = (unsigned char *)buf;
	d.size = (unsigned int)len;
	if ((ret = gnutls_privkey_init(&ca->key)) < 0 ||
	    (ret = gnutls_privkey_import_x509_raw(ca->key, &d,
	    GNUTLS_X509_FMT_PEM, NULL, 0)) < 0) {
		r = tls_err(err, path, ret);
		goto out;
	}
	r = 0;
 out:
	if (buf != NULL) {
		explicit_bzero(buf, len);
		free(buf);
	}
	mtls_crts_free(crts, n);
	return r;
}

int
ca_new(const char *dir, int lock_fd, struct ca **out, struct mtls_err *err)
{
	struct ca *ca;

	*out = NULL;
	if ((ca = calloc(1, sizeof(*ca))) == NULL ||
	    (ca->dir = strdup(dir)) == NULL) {
		free(ca);
		return mtls_err_set(err, MTLS_E_NOMEM, NULL);
	}
	ca->lock_fd = lock_fd;
	*out = ca;
	return 0;
}

int
ca_open(const char *dir, struct ca **out, struct mtls_err *err)
{
	struct ca *ca = NULL;
	struct stat st;
	char path[4096];
	int fd = -1, r;

	*out = NULL;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		r = mtls_err_set(err, MTLS_E_FILE_MISSING, "%s: not a CA "
		    "directory", dir);
		goto out;
	}
	if ((r = ca_dir_check(dir, err)) != 0 ||
	    (r = ca_path(dir, "certs", path, sizeof(path), err)) != 0 ||
	    (r = ca_dir_check(path, err)) != 0)
		goto out;
	if (!ca_exists(dir)) {
		r = mtls_err_set(err, MTLS_E_FILE_MISSING, "%s: no CA here "
		    "(run mtls ca init)", dir);
		goto out;
	}
	if ((fd = ca_lock(dir, err)) < 0) {
		r = fd;
		goto out;
	}
	if ((r = ca_new(dir, fd, &ca, err)) != 0)
		goto out;
	fd = -1;
	if ((r = ca_load_files(ca, err)) != 0 ||
	    (r = index_load(ca, err)) != 0 ||
	    (r = crlnumber_load(ca, err)) != 0)
		goto out;
	*out = ca;
	ca = NULL;
	r = 0;
 out:
	if (fd >= 0)
		close(fd);
	ca_free(ca);
	return r;
}

void
ca_free(struct ca *ca)
{
	if (ca == NULL)
		return;
	gnutls_privkey_deinit(ca->key);
	gnutls_x509_crt_deinit(ca->crt);
	entries_free(ca->ent, ca->n_ent);
	if (ca->lock_fd >= 0)
		close(ca->lock_fd);
	free(ca->dir);
	free(ca);
}

gnutls_digest_algorithm_t
ca_sign_hash(gnutls_privkey_t key)
{
	unsigned int bits = 0;
	int pk;

	pk = gnutls_privkey_get_pk_algorithm(key, &bits);
	if (pk == GNUTLS_PK_ECDSA && bits >= 384)
		return GNUTLS_DIG_SHA384;
	if (pk == GNUTLS_PK_EDDSA_ED25519)
		return GNUTLS_DIG_SHA512;
	return GNUTLS_DIG_SHA256;
}

static gnutls_digest_algorithm_t
ca_hash(const struct ca *ca)
{
	return ca_sign_hash(ca->key);
}

int
ca_keypair(gnutls_x509_privkey_t xkey, gnutls_privkey_t *key,
    gnutls_pubkey_t *pub, struct mtls_err *err)
{
	gnutls_privkey_t k = NULL;
	gnutls_pubkey_t p = NULL;
	int ret, r = MTLS_E_CRYPTO;

	*key = NULL;
	*pub = NULL;
	if ((ret = gnutls_privkey_init(&k)) < 0 ||
	    (ret = gnutls_privkey_import_x509(k, xkey, 0)) < 0 ||
	    (ret = gnutls_pubkey_init(&p)) < 0 ||
	    (ret = gnutls_pubkey_import_privkey(p, k, 0, 0)) < 0) {
		r = tls_err(err, "key", ret);
		goto out;
	}
	*key = k;
	*pub = p;
	k = NULL;
	p = NULL;
	r = 0;
 out:
	gnutls_pubkey_deinit(p);
	gnutls_privkey_deinit(k);
	return r;
}

/* RSA, ECDSA or EdDSA, at least as strong as RSA-2048 (GnuTLS "medium"). */
static int
pubkey_strong(gnutls_pubkey_t pub, const char *path, struct mtls_err *err)
{
	unsigned int bits = 0;
	int pk;

	pk = gnutls_pubkey_get_pk_algorithm(pub, &bits);
	if (pk != GNUTLS_PK_RSA && pk != GNUTLS_PK_ECDSA &&
	    pk != GNUTLS_PK_EDDSA_ED25519 && pk != GNUTLS_PK_EDDSA_ED448)
		return mtls_err_set(err, MTLS_E_INVAL, "%s: %s keys are not "
		    "accepted; nothing changed", path,
		    pk < 0 ? "unknown" : gnutls_pk_get_name(pk));
	if (gnutls_pk_bits_to_sec_param(pk, bits) < GNUTLS_SEC_PARAM_MEDIUM)
		return mtls_err_set(err, MTLS_E_INVAL, "%s: %u-bit %s key is "
		    "too weak (RSA needs 2048 bits); nothing changed", path,
		    bits, gnutls_pk_get_name(pk));
	return 0;
}

int
ca_crq_load(const char *path, gnutls_pubkey_t *out, struct mtls_err *err)
{
	gnutls_x509_crq_t crq = NULL;
	gnutls_pubkey_t pub = NULL;
	gnutls_datum_t d;
	char *buf = NULL;
	size_t len;
	int ret, r;

	*out = NULL;
	if ((r = mtls_file_read_any(path, "certificate request", CA_FILE_MAX,
	    &buf, &len, err)) != 0)
		goto out;
	d.data = (unsigned char *)buf;
	d.size = (unsigned int)len;
	if ((ret = gnutls_x509_crq_init(&crq)) < 0 ||
	    (ret = gnutls_pubkey_init(&pub)) < 0) {
		r = tls_err(err, path, ret);
		goto out;
	}
	if ((ret = gnutls_x509_crq_import(crq, &d, GNUTLS_X509_FMT_PEM)) < 0) {
		r = mtls_err_set(err, MTLS_E_CERT_MALFORMED, "%s: not a PEM "
		    "certificate request (%s); nothing changed", path,
		    gnutls_strerror(ret));
		goto out;
	}
	/* the request must be signed by the key it carries */
	if ((ret = gnutls_x509_crq_verify(crq, 0)) < 0) {
		r = mtls_err_set(err, MTLS_E_CERT_MALFORMED, "%s: the "
		    "request's signature does not verify (%s); nothing changed",
		    path, gnutls_strerror(ret));
		goto out;
	}
	if ((ret = gnutls_pubkey_import_x509_crq(pub, crq, 0)) < 0) {
		r = tls_err(err, path, ret);
		goto out;
	}
	if ((r = pubkey_strong(pub, path, err)) != 0)
		goto out;
	*out = pub;
	pub = NULL;
	r = 0;
 out:
	gnutls_pubkey_deinit(pub);
	gnutls_x509_crq_deinit(crq);
	free(buf);
	return r;
}

int
ca_sign_crt(const struct ca *ca, gnutls_x509_crt_t crt, struct mtls_err *err)
{
	int ret;

	if ((ret = gnutls_x509_crt_privkey_sign(crt, ca->crt, ca->key,
	    ca_hash(ca), 0)) < 0)
		return tls_err(err, "signing", ret);
	return 0;
}

struct ca_entry *
ca_find(struct ca *ca, const char *serial)
{
	size_t i;

	for (i = 0; i < ca->n_ent; i++)
		if (strcmp(ca->ent[i].serial, serial) == 0)
			return &ca->ent[i];
	return NULL;
}

int
ca_serial_used(const struct ca *ca, const char *serial)
{
	char name[CA_SERIAL_HEX + 16], path[4096];
	struct stat st;

	if (ca_find((struct ca *)ca, serial) != NULL)
		return 1;
	snprintf(name, sizeof(name), "certs/%s.pem", serial);
	return ca_path(ca->dir, name, path, sizeof(path), NULL) != 0 ||
	    lstat(path, &st) == 0;
}

/* Append s to the buffer, growing it. */
static int
buf_add(char **b, size_t *len, size_t *cap, const char *s)
{
	size_t n = strlen(s);
	char *nb;

	if (*len + n + 1 > *cap) {
		*cap = (*len + n + 1) * 2;
		if ((nb = realloc(*b, *cap)) == NULL)
			return MTLS_E_NOMEM;
		*b = nb;
	}
	memcpy(*b + *len, s, n + 1);
	*len += n;
	return 0;
}

int
ca_index_save(const struct ca *ca, struct mtls_err *err)
{
	char path[4096], line[512], na[32], ra[32], *b = NULL;
	size_t i, len = 0, cap = 0;
	int r;

	if ((r = ca_path(ca->dir, "index", path, sizeof(path), err)) != 0)
		goto out;
	if ((r = buf_add(&b, &len, &cap, INDEX_HEADER)) != 0)
		goto nomem;
	for (i = 0; i < ca->n_ent; i++) {
		const struct ca_entry *e = &ca->ent[i];

		mtls_format_time(e->not_after, na, sizeof(na));
		if (e->status == 'R')
			mtls_format_time(e->revoked_at, ra, sizeof(ra));
		else
			strcpy(ra, "-");
		snprintf(line, sizeof(line), "%s\t%c\t%s\t%s\t%s\t%s\t",
		    e->serial, e->status, na, ra, e->reason, e->kind);
		if ((r = buf_add(&b, &len, &cap, line)) != 0 ||
		    (r = buf_add(&b, &len, &cap, e->subject)) != 0 ||
		    (r = buf_add(&b, &len, &cap, "\n")) != 0)
			goto nomem;
	}
	r = mtls_file_write_atomic(path, b, len, 0644, err);
	goto out;
 nomem:
	r = mtls_err_set(err, MTLS_E_NOMEM, NULL);
 out:
	free(b);
	return r;
}

static int
crl_fill(const struct ca *ca, gnutls_x509_crl_t crl, time_t now,
    unsigned long days, unsigned long number, struct mtls_err *err)
{
	unsigned char num[4], serial[CA_SERIAL_HEX / 2];
	size_t i, n;
	int ret;

	num[0] = (unsigned char)(number >> 24);
	num[1] = (unsigned char)(number >> 16);
	num[2] = (unsigned char)(number >> 8);
	num[3] = (unsigned char)number;
	for (i = 0; i < 3 && num[i] == 0 && num[i + 1] < 0x80; i++)
		;
	if ((ret = gnutls_x509_crl_set_version(crl, 2)) < 0 ||
	    (ret = gnutls_x509_crl_set_this_update(crl, now)) < 0 ||
	    (ret = gnutls_x509_crl_set_next_update(crl,
	    now + (time_t)days * 86400)) < 0 ||
	    (ret = gnutls_x509_crl_set_authority_key_id(crl, ca->ski,
	    ca->ski_len)) < 0 ||
	    (ret = gnutls_x509_crl_set_number(crl, num + i,
	    sizeof(num) - i)) < 0)
		return tls_err(err, "CRL", ret);
	for (i = 0; i < ca->n_ent; i++) {
		if (ca->ent[i].status != 'R')
			continue;
		n = unhex(ca->ent[i].serial, serial);
		if ((ret = gnutls_x509_crl_set_crt_serial(crl, serial, n,
		    ca->ent[i].revoked_at)) < 0)
			return tls_err(err, "CRL entry", ret);
	}
	return 0;
}

int
ca_crl_write(struct ca *ca, time_t now, unsigned long days,
    struct mtls_err *err)
{
	gnutls_x509_crl_t crl = NULL;
	gnutls_datum_t pem = { NULL, 0 };
	char path[4096], num[32];
	unsigned long next = ca->crl_number + 1;
	int ret, r;

	if ((ret = gnutls_x509_crl_init(&crl)) < 0) {
		r = tls_err(err, "CRL", ret);
		goto out;
	}
	if ((r = crl_fill(ca, crl, now, days, next, err)) != 0)
		goto out;
	if ((ret = gnutls_x509_crl_privkey_sign(crl, ca->crt, ca->key,
	    ca_hash(ca), 0)) < 0 ||
	    (ret = gnutls_x509_crl_export2(crl, GNUTLS_X509_FMT_PEM,
	    &pem)) < 0) {
		r = tls_err(err, "signing the CRL", ret);
		goto out;
	}
	snprintf(num, sizeof(num), "%lu\n", next);
	if ((r = ca_path(ca->dir, "crlnumber", path, sizeof(path),
	    err)) != 0 ||
	    (r = mtls_file_write_atomic(path, num, strlen(num), 0644,
	    err)) != 0)
		goto out;
	ca->crl_number = next;
	if ((r = ca_path(ca->dir, "crl.pem", path, sizeof(path), err)) != 0 ||
	    (r = mtls_file_write_atomic(path, pem.data, pem.size, 0644,
	    err)) != 0)
		goto out;
	r = 0;
 out:
	gnutls_free(pem.data);
	gnutls_x509_crl_deinit(crl);
	return r;
}
