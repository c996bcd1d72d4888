/*
 * sshkey.c - SSH public keys in their wire form (RFC 4253 6.6, OpenSSH
 * PROTOCOL.certkeys), reduced to one canonical blob for comparison, and
 * the host's own keys as ssh_host_key names them.
 *
 * Every length is read from the blob and checked against what is left
 * before it is used; nothing here trusts the input.
 */
#include "config.h"

#include <errno.h>
#include <glob.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>

#include "frame.h"
#include "sshkey.h"
#include "util.h"

enum kind { K_ED25519, K_ECDSA, K_RSA };

static const struct ktype {
	const char	*name;		/* the plain type */
	const char	*cert;		/* its certificate's type */
	enum kind	 kind;
	const char	*curve;		/* ECDSA: the curve the type names */
	size_t		 qlen;		/* ECDSA: bytes of an uncompressed point */
	const char	*label;		/* as ssh-keygen -l shows it */
} ktypes[] = {
	{ "ssh-ed25519", "ssh-ed25519-cert-v01@openssh.com", K_ED25519,
	    NULL, 0, "ED25519" },
	{ "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256-cert-v01@openssh.com",
	    K_ECDSA, "nistp256", 1 + 2 * 32, "ECDSA" },
	{ "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384-cert-v01@openssh.com",
	    K_ECDSA, "nistp384", 1 + 2 * 48, "ECDSA" },
	{ "ecdsa-sha2-nistp521", "ecdsa-sha2-nistp521-cert-v01@openssh.com",
	    K_ECDSA, "nistp521", 1 + 2 * 66, "ECDSA" },
	{ "ssh-rsa", "ssh-rsa-cert-v01@openssh.com", K_RSA, NULL, 0, "RSA" },
};

#define NKTYPES		(sizeof(ktypes) / sizeof(ktypes[0]))
#define ED25519_LEN	32

/* A reader over a blob: every read is bounded by what is left. */
struct rd {
	const unsigned char	*p;
	size_t			 left;
};

/* An RFC 4253 string: uint32 big-endian length, then that many bytes. */
static int
get_string(struct rd *r, const unsigned char **s, size_t *len)
{
	uint32_t n;

	if (r->left < 4)
		return MTLS_E_PROTOCOL;
	n = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 |
	    (uint32_t)r->p[2] << 8 | (uint32_t)r->p[3];
	if (n > r->left - 4)
		return MTLS_E_PROTOCOL;
	*s = r->p + 4;
	*len = n;
	r->p += 4 + (size_t)n;
	r->left -= 4 + (size_t)n;
	return 0;
}

/* s (len bytes) is the NUL-terminated word w. */
static int
is_word(const void *s, size_t len, const char *w)
{
	return len == strlen(w) && memcmp(s, w, len) == 0;
}

/*
 * A positive mpint in its one encoding: not empty (zero), no sign bit,
 * no leading zero byte unless the next one has its high bit set.
 */
static int
mpint_ok(const unsigned char *s, size_t len)
{
	if (len == 0 || (s[0] & 0x80) != 0)
		return 0;
	return s[0] != 0 || (len > 1 && (s[1] & 0x80) != 0);
}

/* Read the key fields of type t; *why says what is wrong. */
static int
get_fields(struct rd *r, const struct ktype *t, const char **why)
{
	const unsigned char *a, *b;
	size_t al, bl;

	*why = "truncated";
	switch (t->kind) {
	case K_ED25519:
		if (get_string(r, &a, &al) != 0)
			return MTLS_E_PROTOCOL;
		*why = "an Ed25519 key is not 32 bytes";
		return al == ED25519_LEN ? 0 : MTLS_E_PROTOCOL;
	case K_ECDSA:
		if (get_string(r, &a, &al) != 0 || get_string(r, &b, &bl) != 0)
			return MTLS_E_PROTOCOL;
		*why = "the curve name is not the key type's";
		if (!is_word(a, al, t->curve))
			return MTLS_E_PROTOCOL;
		*why = "the ECDSA key is not an uncompressed point of its curve";
		return bl == t->qlen && b[0] == 0x04 ? 0 : MTLS_E_PROTOCOL;
	case K_RSA:
		if (get_string(r, &a, &al) != 0 || get_string(r, &b, &bl) != 0)
			return MTLS_E_PROTOCOL;
		*why = "an RSA integer is zero, negative or not minimally encoded";
		return mpint_ok(a, al) && mpint_ok(b, bl) ? 0 : MTLS_E_PROTOCOL;
	}
	*why = "unsupported key type";
	return MTLS_E_PROTOCOL;
}

/* "SHA256:" and unpadded base64 of the blob's SHA-256, as ssh-keygen -l. */
static int
fingerprint(const unsigned char *blob, size_t len,
    char fp[MTLS_SSHKEY_FP_SIZE])
{
	unsigned char sum[32];
	char b64[44 + 1];

	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, blob, len, sum) < 0)
		return MTLS_E_CRYPTO;
	mtls_b64_encode(sum, sizeof(sum), b64);
	b64[43] = '\0';		/* 32 bytes: one '=' of padding */
	snprintf(fp, MTLS_SSHKEY_FP_SIZE, "SHA256:%s", b64);
	return 0;
}

/* Parse blob into *out; *why says what is wrong when it is not a key. */
static int
parse_blob(const unsigned char *blob, size_t len, struct mtls_sshkey *out,
    const char **why)
{
	struct rd r = { blob, len };
	const struct ktype *t = NULL;
	const unsigned char *type, *nonce, *fields;
	size_t tl, nl, fl, i;
	int cert = 0, rv = MTLS_E_PROTOCOL;

	memset(out, 0, sizeof(*out));
	*why = "longer than 8192 bytes";
	if (len > MTLS_SSHKEY_BLOB_MAX)
		goto out;
	*why = "truncated";
	if (get_string(&r, &type, &tl) != 0)
		goto out;
	for (i = 0; i < NKTYPES && t == NULL; i++) {
		if (is_word(type, tl, ktypes[i].name))
			t = &ktypes[i];
		else if (is_word(type, tl, ktypes[i].cert)) {
			t = &ktypes[i];
			cert = 1;
		}
	}
	*why = "unsupported key type";
	if (t == NULL)
		goto out;
	/* A certificate's nonce comes before the key it certifies. */
	*why = "truncated";
	if (cert && get_string(&r, &nonce, &nl) != 0)
		goto out;
	fields = r.p;
	if ((rv = get_fields(&r, t, why)) != 0)
		goto out;
	fl = (size_t)(r.p - fields);
	rv = MTLS_E_PROTOCOL;
	*why = "trailing bytes after the key";
	if (!cert && r.left != 0)
		goto out;

	/* The canonical blob: string(plain type), the fields as they came. */
	tl = strlen(t->name);
	out->len = 4 + tl + fl;
	if ((out->blob = malloc(out->len)) == NULL) {
		rv = MTLS_E_NOMEM;
		goto out;
	}
	out->blob[0] = out->blob[1] = out->blob[2] = 0;
	out->blob[3] = (unsigned char)tl;
	memcpy(out->blob + 4, t->name, tl);
	memcpy(out->blob + 4 + tl, fields, fl);
	if ((rv = fingerprint(out->blob, out->len, out->fp)) != 0)
		goto out;
	snprintf(out->type, sizeof(out->type), "%s", t->name);
	rv = 0;
 out:
	if (rv != 0)
		mtls_sshkey_clear(out);
	return rv;
}

int
mtls_sshkey_from_blob(const unsigned char *blob, size_t len,
    struct mtls_sshkey *out)
{
	const char *why;

	return parse_blob(blob, len, out, &why);
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Skip blanks (skip 1) or a word (skip 0) from p, up to end. */
static const char *
span(const char *p, const char *end, int blanks)
{
	while (p < end && is_blank(*p) == blanks)
		p++;
	return p;
}

/* Parse one "TYPE BASE64 [COMMENT]" line; *why as for parse_blob(). */
static int
parse_line(const char *line, size_t len, struct mtls_sshkey *out,
    const char **why)
{
	unsigned char blob[MTLS_SSHKEY_BLOB_MAX];
	const unsigned char *type;
	const char *p, *end, *tw, *bw;
	size_t tl, bl, n, btl, i;
	struct rd r;
	int rv = MTLS_E_PROTOCOL;

	memset(out, 0, sizeof(*out));
	*why = "line longer than 16384 bytes";
	if (len > MTLS_SSHKEY_LINE_MAX)
		goto out;
	if (len > 0 && line[len - 1] == '\n' && --len > 0 &&
	    line[len - 1] == '\r')
		len--;
	*why = "control character";
	for (i = 0; i < len; i++)
		if (((unsigned char)line[i] < 0x20 && line[i] != '\t') ||
		    line[i] == 0x7f)
			goto out;
	end = line + len;
	tw = span(line, end, 1);
	p = span(tw, end, 0);
	tl = (size_t)(p - tw);
	bw = span(p, end, 1);
	bl = (size_t)(span(bw, end, 0) - bw);
	*why = "expected TYPE BASE64 [COMMENT]";
	if (tl == 0 || bl == 0)
		goto out;
	*why = "bad base64";
	if (mtls_b64_decode(bw, bl, blob, sizeof(blob), &n) != 0)
		goto out;
	/* The word is the type the blob names: a certificate's is its own. */
	r.p = blob;
	r.left = n;
	*why = "the type word is not the type of the key that follows";
	if (get_string(&r, &type, &btl) != 0 || btl != tl ||
	    memcmp(type, tw, tl) != 0)
		goto out;
	rv = parse_blob(blob, n, out, why);
 out:
	return rv;
}

int
mtls_sshkey_from_line(const char *line, size_t len, struct mtls_sshkey *out)
{
	const char *why;

	return parse_line(line, len, out, &why);
}

int
mtls_sshkey_equal(const struct mtls_sshkey *a, const struct mtls_sshkey *b)
{
	return a->blob != NULL && b->blob != NULL && a->len == b->len &&
	    memcmp(a->blob, b->blob, a->len) == 0;
}

const char *
mtls_sshkey_type_label(const struct mtls_sshkey *k)
{
	size_t i;

	for (i = 0; i < NKTYPES; i++)
		if (strcmp(k->type, ktypes[i].name) == 0)
			return ktypes[i].label;
	return "unknown";
}

char *
mtls_sshkey_base64(const struct mtls_sshkey *k)
{
	char *s;

	if (k->blob == NULL ||
	    (s = malloc(mtls_b64_encoded_len(k->len) + 1)) == NULL)
		return NULL;
	mtls_b64_encode(k->blob, k->len, s);
	return s;
}

void
mtls_sshkey_clear(struct mtls_sshkey *k)
{
	if (k == NULL)
		return;
	free(k->blob);
	memset(k, 0, sizeof(*k));
}

/* ---- the host's keys ----------------------------------------------------- */

/* Nonzero when a line of a key file holds no key: blank or a comment. */
static int
skip_line(const char *p, const char *end)
{
	p = span(p, end, 1);
	return p == end || *p == '#' || (*p == '\r' && p + 1 == end);
}

/*
 * The first key line of a file's text (with its newline) in *line, *ll,
 * its number in *ln (0: none), and the number of a second one in *ln2
 * (0: none).
 */
static void
key_line(const char *text, size_t len, const char **line, size_t *ll,
    unsigned *ln, unsigned *ln2)
{
	const char *p = text, *end = text + len, *nl;
	unsigned n = 0;

	*line = NULL;
	*ll = 0;
	*ln = *ln2 = 0;
	for (; p < end && *ln2 == 0; p = nl) {
		n++;
		nl = memchr(p, '\n', (size_t)(end - p));
		nl = nl != NULL ? nl + 1 : end;
		if (skip_line(p, nl[-1] == '\n' ? nl - 1 : nl))
			continue;
		if (*line != NULL) {
			*ln2 = n;
			continue;
		}
		*line = p;
		*ll = (size_t)(nl - p);
		*ln = n;
	}
}

/* Add the key of the file at path to ks, unless ks has it already. */
static int
load_file(const char *path, struct mtls_sshkeys *ks, struct mtls_err *err)
{
	struct mtls_sshkey k;
	const char *line = NULL, *why = NULL;
	char *text = NULL;
	size_t len = 0, ll = 0;
	unsigned ln = 0, ln2 = 0;
	int rv;

	memset(&k, 0, sizeof(k));
	if ((rv = mtls_file_read(path, "ssh host key", MTLS_SSHKEY_FILE_MAX,
	    &text, &len, err)) != 0)
		goto out;
	key_line(text, len, &line, &ll, &ln, &ln2);
	rv = MTLS_E_PROTOCOL;
	if (line == NULL) {
		mtls_err_set(err, rv, "ssh host key %s: holds no key", path);
		goto out;
	}
	if ((rv = parse_line(line, ll, &k, &why)) != 0) {
		if (rv == MTLS_E_PROTOCOL)
			mtls_err_set(err, rv, "ssh host key %s: line %u: not an "
			    "SSH public key: %s", path, ln, why);
		else
			mtls_err_set(err, rv, "ssh host key %s: %s", path,
			    mtls_strerror(rv));
		goto out;
	}
	if (ln2 != 0) {
		rv = mtls_err_set(err, MTLS_E_PROTOCOL, "ssh host key %s: line "
		    "%u: a second key; give one key per file", path, ln2);
		goto out;
	}
	if (mtls_sshkeys_find(ks, &k) >= 0)
		goto out;
	if (ks->n == MTLS_SSHKEY_MAX_KEYS) {
		rv = mtls_err_set(err, MTLS_E_TOO_LARGE, "ssh host key %s: "
		    "more than %d SSH host keys", path, MTLS_SSHKEY_MAX_KEYS);
		goto out;
	}
	if ((ks->path[ks->n] = strdup(path)) == NULL) {
		rv = mtls_err_set(err, MTLS_E_NOMEM, NULL);
		goto out;
	}
	ks->v[ks->n++] = k;
	memset(&k, 0, sizeof(k));
 out:
	mtls_sshkey_clear(&k);
	free(text);
	return rv;
}

/* A directory that is there but cannot be read stops glob(). */
static int
glob_error(const char *path, int e)
{
	(void)path;
	return e != ENOENT && e != ENOTDIR;
}

/* Add the keys of every file pattern matches, in sorted order. */
static int
load_pattern(const char *pattern, struct mtls_sshkeys *ks,
    struct mtls_err *err)
{
	glob_t g;
	size_t i;
	int rv = 0, gr;

	memset(&g, 0, sizeof(g));
	gr = glob(pattern, 0, glob_error, &g);
	if (gr == GLOB_NOSPACE)
		rv = mtls_err_set(err, MTLS_E_NOMEM, NULL);
	else if (gr != 0 && gr != GLOB_NOMATCH)
		rv = mtls_err_set(err, MTLS_E_IO, "ssh_host_key %s: a "
		    "directory on its path cannot be read", pattern);
	for (i = 0; gr == 0 && rv == 0 && i < g.gl_pathc; i++)
		rv = load_file(g.gl_pathv[i], ks, err);
	globfree(&g);
	return rv;
}

/* The no-key message: the patterns tried, as many as fit. */
static int
no_keys(const char *const *pats, size_t np, struct mtls_err *err)
{
	char list[256];
	size_t i, n = 0;

	list[0] = '\0';
	for (i = 0; i < np && n < sizeof(list); i++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s",
		    i > 0 ? ", " : "", pats[i]);
	return mtls_err_set(err, MTLS_E_NO_HOST_KEYS, "no SSH host public key "
	    "in %s (ssh_host_key): SSH logins cannot be bound to their "
	    "connection and are refused", list);
}

int
mtls_sshkeys_load(const struct mtls_conf *conf, struct mtls_sshkeys *out,
    struct mtls_err *err)
{
	static const char *const def[] = { MTLS_DEFAULT_SSH_HOST_KEYS };
	const char *const *pats = def;
	size_t np = 1, i;
	int rv = 0;

	if (conf != NULL && conf->n_ssh_host_keys > 0) {
		pats = (const char *const *)conf->ssh_host_keys;
		np = conf->n_ssh_host_keys;
	}
	for (i = 0; i < np && rv == 0; i++)
		rv = load_pattern(pats[i], out, err);
	if (rv == 0 && out->n == 0)
		rv = no_keys(pats, np, err);
	/* Never a part of the keys: a caller cannot use what failed. */
	if (rv != 0)
		mtls_sshkeys_clear(out);
	return rv;
}

int
mtls_sshkeys_find(const struct mtls_sshkeys *ks, const struct mtls_sshkey *k)
{
	size_t i;

	for (i = 0; ks != NULL && i < ks->n; i++)
		if (mtls_sshkey_equal(&ks->v[i], k))
			return (int)i;
	return -1;
}

void
mtls_sshkeys_clear(struct mtls_sshkeys *ks)
{
	size_t i;

	if (ks == NULL)
		return;
	for (i = 0; i < ks->n; i++) {
		mtls_sshkey_clear(&ks->v[i]);
		free(ks->path[i]);
	}
	memset(ks, 0, sizeof(*ks));
}
