/*
 * ldapsync.c - the directory side of `mtls db sync`: its configuration,
 * a TLS-only connection, paged and content-synchronization searches
 * (libldap does the protocol), and entries as identity-source blocks.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <ldap.h>

#include "db.h"
#include "identity.h"
#include "ldapsync.h"
#include "util.h"

/* ---- a growing text buffer ------------------------------------------ */

struct sbuf {
	char	*p;
	size_t	 len, cap;
	int	 oom;
};

static void
sb_add(struct sbuf *b, const char *s, size_t n)
{
	size_t cap;
	char *np;

	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		for (cap = b->cap ? b->cap : 256; cap < b->len + n + 1;
		    cap *= 2)
			;
		if ((np = realloc(b->p, cap)) == NULL) {
			b->oom = 1;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static void
sb_line(struct sbuf *b, const char *key, const char *val, size_t vlen)
{
	sb_str(b, key);
	sb_add(b, " ", 1);
	sb_add(b, val, vlen);
	sb_add(b, "\n", 1);
}

/* ---- configuration --------------------------------------------------- */

static const char *const attr_keys[LA_COUNT] = {
	"user_name", "uid_number", "gid_number", "gecos", "cn", "home",
	"shell", "certificate", "group_name", "group_gid", "member", "uuid"
};

/* The attributes of each schema preset, in enum ls_attr order. */
static const char *const presets[3][LA_COUNT] = {
	[LS_RFC2307] = { "uid", "uidNumber", "gidNumber", "gecos", "cn",
	    "homeDirectory", "loginShell", "userCertificate;binary", "cn",
	    "gidNumber", "memberUid", "entryUUID" },
	[LS_RFC2307BIS] = { "uid", "uidNumber", "gidNumber", "gecos", "cn",
	    "homeDirectory", "loginShell", "userCertificate;binary", "cn",
	    "gidNumber", "member", "entryUUID" },
	[LS_AD] = { "sAMAccountName", "uidNumber", "gidNumber", "gecos",
	    "displayName", "unixHomeDirectory", "loginShell",
	    "userCertificate;binary", "sAMAccountName", "gidNumber", "member",
	    "objectGUID" },
};

static const char *const preset_filters[3][2] = {
	[LS_RFC2307] = { "(objectClass=posixAccount)",
	    "(objectClass=posixGroup)" },
	[LS_RFC2307BIS] = { "(objectClass=posixAccount)",
	    "(objectClass=posixGroup)" },
	[LS_AD] = { "(&(objectClass=user)(uidNumber=*))",
	    "(&(objectClass=group)(gidNumber=*))" },
};

void
ls_conf_clear(struct ls_conf *c)
{
	size_t i;

	free(c->path);
	for (i = 0; i < c->n_uris; i++)
		free(c->uris[i]);
	free(c->user_base);
	free(c->group_base);
	free(c->user_filter);
	free(c->group_filter);
	for (i = 0; i < LA_COUNT; i++)
		free(c->attrs[i]);
	for (i = 0; i < c->n_pattrs; i++)
		free(c->pattrs[i].attr);
	free(c->bind_dn);
	free(c->password_file);
	free(c->ca_file);
	free(c->crl_file);
	free(c->state_dir);
	memset(c, 0, sizeof(*c));
}

static int
has_ctl(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 1;
	return 0;
}

/* An attribute description: a name and options, nothing else. */
static int
attr_ok(const char *s)
{
	if (*s == '\0' || strlen(s) > 128)
		return 0;
	for (; *s != '\0'; s++)
		if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') &&
		    !(*s >= '0' && *s <= '9') && *s != '-' && *s != ';' &&
		    *s != '.')
			return 0;
	return 1;
}

static int
set_str(char **dst, const char *v, const char *file, unsigned ln,
    const char *key, struct mtls_err *err)
{
	if (*dst != NULL)
		return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: %s is set "
		    "twice", file, ln, key);
	if ((*dst = strdup(v)) == NULL)
		return mtls_err_set(err, MTLS_E_NOMEM, NULL);
	return 0;
}

static int
conf_line(struct ls_conf *c, char *key, char *val, const char *file,
    unsigned ln, struct mtls_err *err)
{
	unsigned long u;
	char *v2;
	int i, k, r;

	if (*val == '\0')
		return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: %s: a value "
		    "is needed", file, ln, key);
	if (strcmp(key, "uri") == 0) {
		if (c->n_uris == LS_MAX_URIS)
			return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: more "
			    "than %d uri lines", file, ln, LS_MAX_URIS);
		if (strncmp(val, "ldap://", 7) != 0 &&
		    strncmp(val, "ldaps://", 8) != 0)
			return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: uri: "
			    "expected ldaps://HOST[:PORT]/ or ldap://HOST"
			    "[:PORT]/ (with starttls yes), got '%s'", file, ln,
			    val);
		if (strpbrk(val, " \t") != NULL)
			return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: uri: "
			    "one URI a line", file, ln);
		if ((c->uris[c->n_uris] = strdup(val)) == NULL)
			return mtls_err_set(err, MTLS_E_NOMEM, NULL);
		c->n_uris++;
		return 0;
	}
	if (strcmp(key, "starttls") == 0) {
		if (mtls_parse_bool(val, &c->starttls) != 0)
			return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: "
			    "starttls: expected yes or no", file, ln);
		return 0;
	}
	if (strcmp(key, "schema") == 0)
		return 0;	/* applied before the other lines */
	if (strcmp(key, "base") == 0) {
		if ((r = set_str(&c->user_base, val, file, ln, key, err)) != 0)
			return r;
		return set_str(&c->group_base, val, file, ln, key, err);
	}
	if (strcmp(key, "user_base") == 0)
		return set_str(&c->user_base, val, file, ln, key, err);
	if (strcmp(key, "group_base") == 0)
		return set_str(&c->group_base, val, file, ln, key, err);
	if (strcmp(key, "user_filter") == 0 || strcmp(key, "group_filter") ==
	    0) {
		char **f = key[0] == 'u' ? &c->user_filter : &c->group_filter;

		if (val[0] != '(' || val[strlen(val) - 1] != ')')
			return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: %s: "
			    "expected a filter in parentheses", file, ln, key);
		free(*f);
		if ((*f = strdup(val)) == NULL)
			return mtls_err_set(err, MTLS_E_NOMEM, NULL);
		return 0;
	}
	if (strcmp(key, "attribute") == 0 ||
	    strcmp(key, "principal_attribute") == 0) {
		v2 = val + strcspn(val, " \t");
		if (*v2 != '\0')
			*v2++ = '\0';
		v2 += strspn(v2, " \t");
		if (key[0] == 'p') {
			if ((k = mtls_principal_kind_parse(v2)) == 0 ||
			    !attr_ok(val))
				return mtls_err_set(err, MTLS_E_CONFIG,
				    "%s:%u: principal_attribute: expected ATTR "
				    "subject|fingerprint|email|upn|uri", file,
				    ln);
			if (c->n_pattrs == LS_MAX_PATTRS)
				return mtls_err_set(err, MTLS_E_CONFIG,
				    "%s:%u: too many principal_attribute lines",
				    file, ln);
			if ((c->pattrs[c->n_pattrs].attr = strdup(val)) ==
			    NULL)
				return mtls_err_set(err, MTLS_E_NOMEM, NULL);
			c->pattrs[c->n_pattrs++].kind = k;
			return 0;
		}
		for (i = 0; i < LA_COUNT; i++)
			if (strcmp(val, attr_keys[i]) == 0)
				break;
		if (i == LA_COUNT || !attr_ok(v2))
			return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: "
			    "attribute: expected NAME LDAP-ATTRIBUTE, NAME one "
			    "of user_name uid_number gid_number gecos cn home "
			    "shell certificate group_name group_gid member "
			    "uuid", file, ln);
		free(c->attrs[i]);
		if ((c->attrs[i] = strdup(v2)) == NULL)
			return mtls_err_set(err, MTLS_E_NOMEM, NULL);
		return 0;
	}
	if (strcmp(key, "bind") == 0) {
		if (c->bind != LS_BIND_NONE)
			return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: bind is "
			    "set twice", file, ln);
		if (strcmp(val, "external") == 0) {
			c->bind = LS_BIND_EXTERNAL;
			return 0;
		}
		if (strncmp(val, "simple", 6) == 0 && (val[6] == ' ' ||
		    val[6] == '\t')) {
			c->bind = LS_BIND_SIMPLE;
			val += 6 + strspn(val + 6, " \t");
			return set_str(&c->bind_dn, val, file, ln, key, err);
		}
		return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: bind: expected "
		    "external, or simple DN", file, ln);
	}
	if (strcmp(key, "password_file") == 0 || strcmp(key, "ca_file") == 0 ||
	    strcmp(key, "crl_file") == 0 || strcmp(key, "state_dir") == 0) {
		if (val[0] != '/')
			return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: %s: '%s' "
			    "is not an absolute path", file, ln, key, val);
		return set_str(key[0] == 'p' ? &c->password_file :
		    key[1] == 'a' ? &c->ca_file : key[0] == 'c' ?
		    &c->crl_file : &c->state_dir, val, file, ln, key, err);
	}
	if (strcmp(key, "page_size") == 0 || strcmp(key, "timeout") == 0) {
		if (mtls_parse_uint(val, 1, key[0] == 'p' ? 100000 : 3600,
		    &u) != 0)
			return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: %s: "
			    "expected 1 to %d", file, ln, key,
			    key[0] == 'p' ? 100000 : 3600);
		*(key[0] == 'p' ? &c->page_size : &c->timeout) = (unsigned)u;
		return 0;
	}
	if (strcmp(key, "max_removed") == 0) {
		size_t n = strlen(val);

		if (n < 2 || val[n - 1] != '%')
			return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: "
			    "max_removed: expected a share such as 10%%",
			    file, ln);
		val[n - 1] = '\0';
		if (mtls_parse_uint(val, 0, 100, &u) != 0)
			return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: "
			    "max_removed: expected 0%% to 100%%", file, ln);
		c->max_removed = (unsigned)u;
		return 0;
	}
	return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: unknown key '%s'",
	    file, ln, key);
}

/* Each line: "key value", value the rest of the line. */
static int
for_lines(char *text, size_t len, int (*fn)(void *, char *, char *,
    unsigned), void *ctx)
{
	char *p = text, *end = text + len, *nl, *k, *v, *e;
	unsigned ln = 0;
	int r;

	while (p < end) {
		ln++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		*nl = '\0';
		k = p;
		p = nl < end ? nl + 1 : end;
		k += strspn(k, " \t");
		e = k + strlen(k);
		while (e > k && (e[-1] == ' ' || e[-1] == '\t' ||
		    e[-1] == '\r'))
			*--e = '\0';
		if (*k == '\0' || *k == '#')
			continue;
		v = k + strcspn(k, " \t");
		if (*v != '\0')
			*v++ = '\0';
		v += strspn(v, " \t");
		if ((r = fn(ctx, k, v, ln)) != 0)
			return r;
	}
	return 0;
}

struct conf_ctx {
	struct ls_conf	*c;
	const char	*name;
	struct mtls_err	*err;
	int		 seen_schema;
	int		 pass;
};

static int
conf_cb(void *vctx, char *k, char *v, unsigned ln)
{
	struct conf_ctx *x = vctx;

	if (x->pass == 0) {
		if (strcmp(k, "schema") != 0)
			return 0;
		if (x->seen_schema)
			return mtls_err_set(x->err, MTLS_E_CONFIG, "%s:%u: "
			    "schema is set twice", x->name, ln);
		x->seen_schema = 1;
		if (strcmp(v, "rfc2307") == 0)
			x->c->schema = LS_RFC2307;
		else if (strcmp(v, "rfc2307bis") == 0)
			x->c->schema = LS_RFC2307BIS;
		else if (strcmp(v, "ad") == 0)
			x->c->schema = LS_AD;
		else
			return mtls_err_set(x->err, MTLS_E_CONFIG, "%s:%u: "
			    "schema: expected rfc2307, rfc2307bis or ad",
			    x->name, ln);
		return 0;
	}
	return conf_line(x->c, k, v, x->name, ln, x->err);
}

static int
conf_final(struct ls_conf *c, const char *name, struct mtls_err *err)
{
	size_t i;

	if (c->n_uris == 0)
		return mtls_err_set(err, MTLS_E_CONFIG, "%s: no uri", name);
	for (i = 0; i < c->n_uris; i++)
		if ((strncmp(c->uris[i], "ldaps://", 8) == 0) == c->starttls)
			return mtls_err_set(err, MTLS_E_CONFIG, "%s: uri %s: %s",
			    name, c->uris[i], c->starttls ? "ldaps:// with "
			    "starttls yes: use ldap://" : "plain ldap:// is "
			    "refused: use ldaps://, or ldap:// with starttls "
			    "yes");
	if (c->user_base == NULL || c->group_base == NULL)
		return mtls_err_set(err, MTLS_E_CONFIG, "%s: no base (or "
		    "user_base and group_base)", name);
	if (c->bind == LS_BIND_NONE)
		return mtls_err_set(err, MTLS_E_CONFIG, "%s: no bind: expected "
		    "bind external, or bind simple DN with password_file",
		    name);
	if ((c->bind == LS_BIND_SIMPLE) != (c->password_file != NULL))
		return mtls_err_set(err, MTLS_E_CONFIG, "%s: password_file "
		    "goes with bind simple, and only with it", name);
	return 0;
}

int
ls_conf_parse(struct ls_conf *c, const char *name, const char *text,
    size_t len, struct mtls_err *err)
{
	struct conf_ctx x = { c, name, err, 0, 0 };
	char *copy = NULL;
	int r = MTLS_E_CONFIG, i;

	if (len > LS_CONF_MAX_SIZE || memchr(text, '\0', len) != NULL)
		return mtls_err_set(err, MTLS_E_CONFIG, "%s: too large, or a "
		    "NUL byte", name);
	gnutls_hash_fast(GNUTLS_DIG_SHA256, text, len, c->digest);
	if ((c->path = strdup(name)) == NULL)
		return mtls_err_set(err, MTLS_E_NOMEM, NULL);
	for (x.pass = 0; x.pass < 2; x.pass++) {
		free(copy);
		if ((copy = malloc(len + 1)) == NULL) {
			r = mtls_err_set(err, MTLS_E_NOMEM, NULL);
			goto out;
		}
		memcpy(copy, text, len);
		copy[len] = '\0';
		if (x.pass == 1) {
			for (i = 0; i < LA_COUNT; i++)
				if ((c->attrs[i] = strdup(presets[c->schema][i]))
				    == NULL) {
					r = mtls_err_set(err, MTLS_E_NOMEM,
					    NULL);
					goto out;
				}
			if ((c->user_filter = strdup(
			    preset_filters[c->schema][0])) == NULL ||
			    (c->group_filter = strdup(
			    preset_filters[c->schema][1])) == NULL) {
				r = mtls_err_set(err, MTLS_E_NOMEM, NULL);
				goto out;
			}
			c->page_size = 1000;
			c->timeout = 30;
			c->max_removed = 10;
		}
		if ((r = for_lines(copy, len, conf_cb, &x)) != 0)
			goto out;
	}
	c->member_is_dn = c->schema != LS_RFC2307;
	c->uuid_binary = strcasecmp(c->attrs[LA_UUID], "objectGUID") == 0;
	r = conf_final(c, name, err);
 out:
	free(copy);
	return r;
}

/* ---- the store ------------------------------------------------------- */

/* The uuid of block b (its first line, "uuid HEX"), and its length. */
static const char *
blk_uuid(const char *b, size_t *n)
{
	const char *s = b + 5;

	*n = strcspn(s, "\n");
	return s;
}

/*
 * A block has the shape the functions above rely on: "uuid u:ID" or
 * "uuid g:ID", "dn DN", then "user NAME" or "group NAME" to match, and
 * no empty line.  Blocks read from the directory have it by
 * construction; those of the cache are checked.
 */
static int
blk_ok(const char *b)
{
	const char *l2, *l3;
	int user;

	if ((strncmp(b, "uuid u:", 7) != 0 && strncmp(b, "uuid g:", 7) != 0) ||
	    b[7] == '\n' || b[7] == '\0' || strstr(b, "\n\n") != NULL)
		return 0;
	user = b[5] == 'u';
	if ((l2 = strchr(b, '\n')) == NULL || strncmp(l2 + 1, "dn ", 3) != 0 ||
	    (l3 = strchr(l2 + 1, '\n')) == NULL)
		return 0;
	return user ? strncmp(l3 + 1, "user ", 5) == 0 :
	    strncmp(l3 + 1, "group ", 6) == 0;
}

/* Line number 3 of a block: "user NAME" or "group NAME". */
static const char *
blk_body(const char *b)
{
	const char *s = strchr(b, '\n');

	s = s != NULL ? strchr(s + 1, '\n') : NULL;
	return s != NULL ? s + 1 : b;
}

const char *
ls_store_dn(const struct ls_store *s, size_t i, size_t *len)
{
	const char *b = s->ent[i], *d = strchr(b, '\n');

	d = d != NULL ? d + 4 : b;
	*len = strcspn(d, "\n");
	return d;
}

void
ls_store_clear(struct ls_store *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->ent[i]);
	free(s->ent);
	free(s->idx);
	memset(s, 0, sizeof(*s));
}

static const struct ls_store *sort_store;

static int
idx_cmp(const void *a, const void *b)
{
	const char *x = sort_store->ent[*(const size_t *)a];
	const char *y = sort_store->ent[*(const size_t *)b];
	size_t nx, ny, n;
	int c;

	x = blk_uuid(x, &nx);
	y = blk_uuid(y, &ny);
	n = nx < ny ? nx : ny;
	if ((c = memcmp(x, y, n)) != 0)
		return c;
	return nx < ny ? -1 : nx > ny;
}

/* Sort the live entries by uuid (the store is then used by uuid). */
static int
store_index(struct ls_store *s)
{
	size_t i, n = 0;

	free(s->idx);
	if ((s->idx = malloc((s->n + 1) * sizeof(*s->idx))) == NULL)
		return MTLS_E_NOMEM;
	for (i = 0; i < s->n; i++)
		if (s->ent[i] != NULL)
			s->idx[n++] = i;
	sort_store = s;
	qsort(s->idx, n, sizeof(*s->idx), idx_cmp);
	s->n_idx = n;
	s->stale = 0;
	return 0;
}

/* The entry of uuid in the sorted index as it is, or SIZE_MAX. */
static size_t
find_sorted(struct ls_store *s, const char *uuid, size_t *pos)
{
	size_t lo = 0, hi = s->n_idx, mid, n, un = strlen(uuid);
	const char *u;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		u = blk_uuid(s->ent[s->idx[mid]], &n);
		c = memcmp(uuid, u, un < n ? un : n);
		if (c == 0)
			c = un < n ? -1 : un > n;
		if (c == 0) {
			if (pos != NULL)
				*pos = mid;
			return s->idx[mid];
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return SIZE_MAX;
}

/* The entry of uuid, or SIZE_MAX; sorts the index first when needed. */
static size_t
store_find(struct ls_store *s, const char *uuid, size_t *pos)
{
	if ((s->idx == NULL || s->stale) && store_index(s) != 0)
		return SIZE_MAX;
	return find_sorted(s, uuid, pos);
}

static int
store_append(struct ls_store *s, char *b)
{
	char **ne;
	size_t cap;

	if (s->n == s->cap) {
		cap = s->cap ? s->cap * 2 : 1024;
		if ((ne = realloc(s->ent, cap * sizeof(*ne))) == NULL)
			return MTLS_E_NOMEM;
		s->ent = ne;
		s->cap = cap;
	}
	s->ent[s->n++] = b;
	s->n_live++;
	s->bytes += strlen(b);
	return 0;
}

int
ls_store_put(struct ls_store *s, char *b)
{
	if (s->bytes + strlen(b) > LS_STORE_MAX_BYTES) {
		free(b);
		return MTLS_E_TOO_LARGE;
	}
	char uuid[256];
	const char *u;
	size_t n, i;

	u = blk_uuid(b, &n);
	if (n >= sizeof(uuid)) {
		free(b);
		return MTLS_E_INVAL;
	}
	memcpy(uuid, u, n);
	uuid[n] = '\0';
	/*
	 * Entries appended since the index was sorted are not in it: a
	 * batch of changes names each uuid once, so the index of the
	 * entries before the batch serves the whole batch.
	 */
	if (s->idx != NULL && (i = find_sorted(s, uuid, NULL)) != SIZE_MAX) {
		s->bytes -= strlen(s->ent[i]);
		free(s->ent[i]);
		s->ent[i] = b;	/* the same uuid: the index holds */
		s->bytes += strlen(b);
		return 0;
	}
	if (store_append(s, b) != 0) {
		free(b);
		return MTLS_E_NOMEM;
	}
	s->stale = 1;
	return 0;
}

int
ls_store_del(struct ls_store *s, const char *uuid)
{
	size_t i, pos;

	if ((i = store_find(s, uuid, &pos)) == SIZE_MAX)
		return s->idx == NULL ? MTLS_E_NOMEM : 0;
	s->bytes -= strlen(s->ent[i]);
	free(s->ent[i]);
	s->ent[i] = NULL;
	s->n_live--;
	memmove(s->idx + pos, s->idx + pos + 1, (s->n_idx - pos - 1) *
	    sizeof(*s->idx));
	s->n_idx--;
	return 0;
}

int
ls_store_has(struct ls_store *s, const char *uuid)
{
	return store_find(s, uuid, NULL) != SIZE_MAX;
}

#define CACHE_MAGIC	"mtls-db-sync-cache 1\n"

int
ls_store_load(struct ls_store *s, int fd, struct mtls_err *err)
{
	struct sbuf b = { NULL, 0, 0, 0 };
	FILE *f = NULL;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int r = MTLS_E_CORRUPT, first = 1;

	/* a line at a time: the file is never in memory beside the store */
	if ((f = fdopen(fd, "r")) == NULL) {
		close(fd);
		return mtls_err_set(err, MTLS_E_IO, "sync cache: %s",
		    strerror(errno));
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] != '\n')
			break;		/* cut short */
		if (first) {
			if (strcmp(line, CACHE_MAGIC) != 0)
				break;
			first = 0;
			continue;
		}
		if (n > 1) {
			sb_add(&b, line, (size_t)n);
			continue;
		}
		/* an empty line ends a block */
		if (b.oom) {
			r = mtls_err_set(err, MTLS_E_NOMEM, NULL);
			goto out;
		}
		if (b.p == NULL || !blk_ok(b.p))
			break;
		if (store_append(s, b.p) != 0) {
			r = mtls_err_set(err, MTLS_E_NOMEM, NULL);
			goto out;
		}
		memset(&b, 0, sizeof(b));
	}
	if (n >= 0 || ferror(f) || first || b.len != 0) {
		mtls_err_set(err, r, "the sync cache is damaged, or not of "
		    "this version");
		goto out;
	}
	r = 0;
 out:
	free(b.p);
	free(line);
	fclose(f);
	return r;
}

int
ls_store_write(const struct ls_store *s, int fd)
{
	struct sbuf b = { NULL, 0, 0, 0 };
	size_t i;
	int r = -1;

	sb_str(&b, CACHE_MAGIC);
	for (i = 0; i < s->n; i++) {
		if (s->ent[i] == NULL)
			continue;
		sb_str(&b, s->ent[i]);
		sb_add(&b, "\n", 1);
		if (b.len > (1 << 20) || i + 1 == s->n) {
			if (b.oom || mtls_write_all(fd, b.p, b.len) != 0)
				goto out;
			b.len = 0;
		}
	}
	if (b.oom || mtls_write_all(fd, b.p, b.len) != 0)
		goto out;
	r = 0;
 out:
	if (b.oom)
		errno = ENOMEM;
	free(b.p);
	return r;
}

/* ---- writing the sources --------------------------------------------- */

struct dn_name {
	const char	*dn;
	size_t		 dnlen;
	const char	*name;
	size_t		 namelen;
};

static int
dn_cmp(const void *a, const void *b)
{
	const struct dn_name *x = a, *y = b;
	size_t n = x->dnlen < y->dnlen ? x->dnlen : y->dnlen;
	int c;

	if ((c = strncasecmp(x->dn, y->dn, n)) != 0)
		return c;
	return x->dnlen < y->dnlen ? -1 : x->dnlen > y->dnlen;
}

/* Record that entry ent's block starts at line (of the text map is of). */
static int
line_map(struct ls_line **map, size_t *n, size_t *cap, size_t line,
    size_t ent)
{
	struct ls_line *nm;

	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 4096;
		if ((nm = realloc(*map, *cap * sizeof(*nm))) == NULL)
			return -1;
		*map = nm;
	}
	(*map)[*n].line = line;
	(*map)[(*n)++].ent = ent;
	return 0;
}

size_t
ls_line_entry(const struct ls_line *map, size_t n, size_t line)
{
	size_t lo = 0, hi = n, mid;

	/* the last block that starts at or before line */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (map[mid].line <= line)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo == 0 ? SIZE_MAX : map[lo - 1].ent;
}

int
ls_store_sources(struct ls_store *s, char **users, size_t *ulen,
    struct ls_line **ulines, size_t *n_ulines, char **groups, size_t *glen,
    struct ls_line **glines, size_t *n_glines, struct mtls_err *err)
{
	struct sbuf u = { NULL, 0, 0, 0 }, g = { NULL, 0, 0, 0 };
	struct dn_name *dns = NULL, key, *hit;
	size_t i, n_dns = 0, cap_u = 0, cap_g = 0, ll, line[2] = { 1, 1 };
	const char *b, *l;
	int r = MTLS_E_NOMEM, isuser;

	*users = *groups = NULL;
	*ulines = *glines = NULL;
	*n_ulines = *n_glines = 0;
	if ((dns = calloc(s->n + 1, sizeof(*dns))) == NULL)
		goto out;
	for (i = 0; i < s->n; i++) {
		if (s->ent[i] == NULL ||
		    strncmp(b = blk_body(s->ent[i]), "user ", 5) != 0)
			continue;
		dns[n_dns].dn = ls_store_dn(s, i, &dns[n_dns].dnlen);
		dns[n_dns].name = b + 5;
		dns[n_dns].namelen = strcspn(b + 5, "\n");
		n_dns++;
	}
	qsort(dns, n_dns, sizeof(*dns), dn_cmp);
	for (i = 0; i < s->n; i++) {
		if (s->ent[i] == NULL)
			continue;
		b = blk_body(s->ent[i]);
		isuser = strncmp(b, "user ", 5) == 0;
		if (line_map(isuser ? ulines : glines, isuser ? n_ulines :
		    n_glines, isuser ? &cap_u : &cap_g, line[!isuser], i) != 0)
			goto out;
		for (l = b; *l != '\0'; l += ll + 1) {
			ll = strcspn(l, "\n");
			if (!isuser && strncmp(l, "memberdn ", 9) == 0) {
				key.dn = l + 9;
				key.dnlen = ll - 9;
				if ((hit = bsearch(&key, dns, n_dns,
				    sizeof(*dns), dn_cmp)) == NULL)
					continue;
				sb_str(&g, "member ");
				sb_add(&g, hit->name, hit->namelen);
				sb_add(&g, "\n", 1);
			} else
				sb_add(isuser ? &u : &g, l, ll + 1);
			line[!isuser]++;
			if (l[ll] == '\0')
				break;
		}
	}
	/* an empty source is still a text */
	sb_add(&u, "", 0);
	sb_add(&g, "", 0);
	if (u.oom || g.oom || u.p == NULL || g.p == NULL)
		goto out;
	*users = u.p;
	*ulen = u.len;
	*groups = g.p;
	*glen = g.len;
	u.p = g.p = NULL;
	r = 0;
 out:
	if (r != 0) {
		free(*ulines);
		free(*glines);
		*ulines = *glines = NULL;
		mtls_err_set(err, r, NULL);
	}
	free(u.p);
	free(g.p);
	free(dns);
	return r;
}

/* ---- entries ---------------------------------------------------------- */

struct ls_conn {
	LDAP		*ld;
	char		*uri;		/* the one that answered */
	int		 timeout;
};

static void
uuid_hex(const unsigned char *p, size_t n, char *out)
{
	mtls_hex(p, n > 16 ? 16 : n, 0, out);
}

/*
 * One value of attr: exactly one unless many_ok; *out points into vals
 * (freed by the caller).  0, MTLS_E_NOT_FOUND (none), or MTLS_E_CONFIG.
 */
static int
one_value(LDAP *ld, LDAPMessage *e, const char *attr, struct berval ***vals,
    const char *dn, int required, struct mtls_err *err)
{
	int n;

	*vals = ldap_get_values_len(ld, e, attr);
	n = *vals != NULL ? ldap_count_values_len(*vals) : 0;
	if (n == 0)
		return required ? mtls_err_set(err, MTLS_E_CONFIG, "entry %s: "
		    "no %s", dn, attr) : MTLS_E_NOT_FOUND;
	if (n > 1)
		return mtls_err_set(err, MTLS_E_CONFIG, "entry %s: %d values "
		    "of %s, expected one", dn, n, attr);
	if (has_ctl((*vals)[0]->bv_val, (*vals)[0]->bv_len) ||
	    (*vals)[0]->bv_len > 4096)
		return mtls_err_set(err, MTLS_E_CONFIG, "entry %s: %s holds a "
		    "control character, or is too long", dn, attr);
	return 0;
}

/* key value, from the attribute's one value. */
static int
add_attr(struct sbuf *b, LDAP *ld, LDAPMessage *e, const char *attr,
    const char *key, const char *dn, int required, struct mtls_err *err)
{
	struct berval **v = NULL;
	int r;

	r = one_value(ld, e, attr, &v, dn, required, err);
	if (r == 0)
		sb_line(b, key, v[0]->bv_val, v[0]->bv_len);
	ldap_value_free_len(v);
	return r == MTLS_E_NOT_FOUND ? 0 : r;
}

/*
 * The principals of a certificate: its subject (RFC 4514) and its
 * SHA-256 fingerprint, read as common/identity.c reads them for the
 * mapping.  Nothing else of the certificate is read: a directory of a
 * hundred thousand accounts holds as many certificates.
 */
static int
add_cert(struct sbuf *b, const struct berval *der, const char *dn,
    struct mtls_err *err)
{
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t d, subj = { NULL, 0 };
	unsigned char fp[32];
	char hex[65];
	int r = MTLS_E_CONFIG, gr;

	d.data = (unsigned char *)der->bv_val;
	d.size = (unsigned)der->bv_len;
	if (gnutls_x509_crt_init(&crt) < 0) {
		r = mtls_err_set(err, MTLS_E_NOMEM, NULL);
		goto out;
	}
	if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER) < 0) {
		r = mtls_err_set(err, MTLS_E_CONFIG, "entry %s: a certificate "
		    "that cannot be parsed", dn);
		goto out;
	}
	gr = gnutls_x509_crt_get_dn3(crt, &subj, 0);
	if (gr < 0 && gr != GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) {
		r = mtls_err_set(err, MTLS_E_CONFIG, "entry %s: a certificate "
		    "whose subject cannot be read", dn);
		goto out;
	}
	if (has_ctl((char *)subj.data, subj.size) ||
	    memchr(subj.data, '\0', subj.size) != NULL) {
		r = mtls_err_set(err, MTLS_E_CONFIG, "entry %s: a certificate "
		    "subject with a control character", dn);
		goto out;
	}
	if (mtls_cert_fingerprint(crt, fp) != 0) {
		r = mtls_err_set(err, MTLS_E_CRYPTO, NULL);
		goto out;
	}
	mtls_hex(fp, 32, 0, hex);
	/* an empty subject (the SAN names the holder) is no principal */
	if (subj.size > 0)
		sb_line(b, "principal subject", (char *)subj.data, subj.size);
	sb_line(b, "principal fingerprint", hex, 64);
	r = 0;
 out:
	gnutls_free(subj.data);
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	return r;
}

/* All values of attr as "key value" lines; certs when cert. */
static int
add_multi(struct sbuf *b, LDAP *ld, LDAPMessage *e, const char *attr,
    const char *key, int cert, const char *dn, struct mtls_err *err)
{
	struct berval **v;
	int i, n, r = 0;

	if ((v = ldap_get_values_len(ld, e, attr)) == NULL)
		return 0;
	n = ldap_count_values_len(v);
	/* more than a group's members or a user's principals is refused */
	if (n > MTLS_DB_MAX_MEMBERS)
		r = mtls_err_set(err, MTLS_E_CONFIG, "entry %s: %d values of "
		    "%s, more than %d", dn, n, attr, MTLS_DB_MAX_MEMBERS);
	for (i = 0; i < n && r == 0; i++) {
		if (cert && v[i]->bv_len > 64 * 1024)
			r = mtls_err_set(err, MTLS_E_CONFIG, "entry %s: a "
			    "certificate of more than 64 KiB", dn);
		else if (cert)
			r = add_cert(b, v[i], dn, err);
		else if (has_ctl(v[i]->bv_val, v[i]->bv_len) ||
		    v[i]->bv_len > 4096)
			r = mtls_err_set(err, MTLS_E_CONFIG, "entry %s: %s "
			    "holds a control character, or is too long", dn,
			    attr);
		else
			sb_line(b, key, v[i]->bv_val, v[i]->bv_len);
	}
	ldap_value_free_len(v);
	return r;
}

/*
 * The block of entry e (a user when user, else a group), uuid given as
 * hex (from the sync state) or NULL to read the uuid attribute.
 */
static int
entry_block(LDAP *ld, LDAPMessage *e, const struct ls_conf *c, int user,
    const char *uuid, char **out, struct mtls_err *err)
{
	struct sbuf b = { NULL, 0, 0, 0 };
	struct berval **v = NULL;
	char *dn = NULL, hex[33];
	size_t i;
	int r = MTLS_E_CONFIG;

	*out = NULL;
	if ((dn = ldap_get_dn(ld, e)) == NULL) {
		r = mtls_err_set(err, MTLS_E_CONFIG, "an entry without a DN");
		goto out;
	}
	if (has_ctl(dn, strlen(dn))) {
		r = mtls_err_set(err, MTLS_E_CONFIG, "an entry whose DN holds a "
		    "control character");
		goto out;
	}
	if (uuid == NULL) {
		if ((r = one_value(ld, e, c->attrs[LA_UUID], &v, dn, 1,
		    err)) != 0 && !(c->uuid_binary && r == MTLS_E_CONFIG &&
		    v != NULL && ldap_count_values_len(v) == 1))
			goto out;
		if (c->uuid_binary) {
			uuid_hex((unsigned char *)v[0]->bv_val, v[0]->bv_len,
			    hex);
			sb_str(&b, user ? "uuid u:" : "uuid g:");
			sb_str(&b, hex);
			sb_add(&b, "\n", 1);
		} else {
			sb_str(&b, user ? "uuid u:" : "uuid g:");
			sb_add(&b, v[0]->bv_val, v[0]->bv_len);
			sb_add(&b, "\n", 1);
		}
		ldap_value_free_len(v);
		v = NULL;
	} else
		sb_line(&b, "uuid", uuid, strlen(uuid));
	sb_line(&b, "dn", dn, strlen(dn));
	if (user) {
		if ((r = add_attr(&b, ld, e, c->attrs[LA_USER_NAME], "user", dn,
		    1, err)) != 0 ||
		    (r = add_attr(&b, ld, e, c->attrs[LA_UID_NUMBER], "uid", dn,
		    1, err)) != 0 ||
		    (r = add_attr(&b, ld, e, c->attrs[LA_GID_NUMBER], "gid", dn,
		    1, err)) != 0)
			goto out;
		/* gecos, or else the (first) common name */
		r = one_value(ld, e, c->attrs[LA_GECOS], &v, dn, 0, err);
		if (r == 0)
			sb_line(&b, "gecos", v[0]->bv_val, v[0]->bv_len);
		ldap_value_free_len(v);
		v = NULL;
		if (r == MTLS_E_NOT_FOUND) {
			v = ldap_get_values_len(ld, e, c->attrs[LA_CN]);
			if (v != NULL && v[0] != NULL && !has_ctl(v[0]->bv_val,
			    v[0]->bv_len) && v[0]->bv_len <= 4096)
				sb_line(&b, "gecos", v[0]->bv_val,
				    v[0]->bv_len);
			ldap_value_free_len(v);
			v = NULL;
		} else if (r != 0)
			goto out;
		if ((r = add_attr(&b, ld, e, c->attrs[LA_HOME], "home", dn, 1,
		    err)) != 0 ||
		    (r = add_attr(&b, ld, e, c->attrs[LA_SHELL], "shell", dn, 0,
		    err)) != 0 ||
		    (r = add_multi(&b, ld, e, c->attrs[LA_CERT], NULL, 1, dn,
		    err)) != 0)
			goto out;
		for (i = 0; i < c->n_pattrs; i++) {
			char key[32];

			snprintf(key, sizeof(key), "principal %s",
			    mtls_principal_kind_name(c->pattrs[i].kind));
			if ((r = add_multi(&b, ld, e, c->pattrs[i].attr, key, 0,
			    dn, err)) != 0)
				goto out;
		}
	} else {
		if ((r = add_attr(&b, ld, e, c->attrs[LA_GROUP_NAME], "group",
		    dn, 1, err)) != 0 ||
		    (r = add_attr(&b, ld, e, c->attrs[LA_GROUP_GID], "gid", dn,
		    1, err)) != 0 ||
		    (r = add_multi(&b, ld, e, c->attrs[LA_MEMBER],
		    c->member_is_dn ? "memberdn" : "member", 0, dn, err)) != 0)
			goto out;
	}
	if (b.oom) {
		r = mtls_err_set(err, MTLS_E_NOMEM, NULL);
		goto out;
	}
	*out = b.p;
	b.p = NULL;
	r = 0;
 out:
	ldap_value_free_len(v);
	ldap_memfree(dn);
	free(b.p);
	return r;
}

/* ---- the connection --------------------------------------------------- */

static const char *
ld_diag(LDAP *ld, int rc)
{
	static char buf[512];
	char *msg = NULL;

	if (ld != NULL && ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE,
	    &msg) == LDAP_OPT_SUCCESS && msg != NULL && *msg != '\0')
		snprintf(buf, sizeof(buf), "%s (%s)", ldap_err2string(rc),
		    msg);
	else
		snprintf(buf, sizeof(buf), "%s", ldap_err2string(rc));
	ldap_memfree(msg);
	return buf;
}

/*
 * libldap reads the host's certificate and key itself: they pass the
 * checks that every login applies to them first (root's, not writable
 * by others; the key readable by nobody else).
 */
static int
check_host_files(const struct ls_tls *tls, struct mtls_err *err)
{
	char *buf = NULL;
	size_t len = 0;
	int r;

	if ((r = mtls_file_read(tls->cert_file, "host certificate", 1 << 20,
	    &buf, &len, err)) != 0)
		return r;
	free(buf);
	buf = NULL;
	if ((r = mtls_file_read_secret(tls->key_file, "host key", 1 << 20,
	    &buf, &len, err)) != 0)
		return r;
	explicit_bzero(buf, len);
	free(buf);
	return 0;
}

static int
set_opts(LDAP *ld, const struct ls_conf *c, const struct ls_tls *tls,
    struct mtls_err *err)
{
	struct timeval tv = { (time_t)c->timeout, 0 };
	int v3 = LDAP_VERSION3, hard = LDAP_OPT_X_TLS_HARD, zero = 0;
	int tls12 = LDAP_OPT_X_TLS_PROTOCOL_TLS1_2;

	if (ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3) != 0 ||
	    ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF) != 0 ||
	    ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv) != 0 ||
	    ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv) != 0 ||
	    ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &hard) != 0 ||
	    ldap_set_option(ld, LDAP_OPT_X_TLS_PROTOCOL_MIN, &tls12) != 0 ||
	    ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, tls->ca_file) != 0 ||
	    (tls->crl_file != NULL && ldap_set_option(ld,
	    LDAP_OPT_X_TLS_CRLFILE, tls->crl_file) != 0))
		return mtls_err_set(err, MTLS_E_INTERNAL, "cannot set the "
		    "LDAP options");
	if (c->bind == LS_BIND_EXTERNAL) {
		if (tls->cert_file == NULL || tls->key_file == NULL)
			return mtls_err_set(err, MTLS_E_CONFIG, "bind external "
			    "needs host_certificate and host_key in mtls.conf");
		if (check_host_files(tls, err) != 0)
			return MTLS_E_CONFIG;
		if (ldap_set_option(ld, LDAP_OPT_X_TLS_CERTFILE,
		    tls->cert_file) != 0 ||
		    ldap_set_option(ld, LDAP_OPT_X_TLS_KEYFILE,
		    tls->key_file) != 0)
			return mtls_err_set(err, MTLS_E_INTERNAL, "cannot set "
			    "the LDAP options");
	}
	/* a context of this handle's own, with the settings above */
	if (ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &zero) != 0)
		return mtls_err_set(err, MTLS_E_CONFIG, "cannot set up TLS "
		    "with %s%s%s", tls->ca_file, tls->cert_file != NULL &&
		    c->bind == LS_BIND_EXTERNAL ? " and " : "",
		    tls->cert_file != NULL && c->bind == LS_BIND_EXTERNAL ?
		    tls->cert_file : "");
	return 0;
}

static int
do_bind(LDAP *ld, const struct ls_conf *c, struct mtls_err *err)
{
	struct berval cred = { 0, NULL };
	char *pw = NULL;
	size_t len = 0;
	int rc, r = MTLS_E_IO;

	if (c->bind == LS_BIND_SIMPLE) {
		if ((r = mtls_file_read_secret(c->password_file,
		    "LDAP password file", 4096, &pw, &len, err)) != 0)
			goto out;
		while (len > 0 && (pw[len - 1] == '\n' || pw[len - 1] == '\r'))
			pw[--len] = '\0';
		/* an empty password is an unauthenticated bind */
		if (len == 0 || memchr(pw, '\0', len) != NULL) {
			r = mtls_err_set(err, MTLS_E_CONFIG, "%s: empty, or a "
			    "NUL byte", c->password_file);
			goto out;
		}
		cred.bv_val = pw;
		cred.bv_len = len;
		rc = ldap_sasl_bind_s(ld, c->bind_dn, LDAP_SASL_SIMPLE, &cred,
		    NULL, NULL, NULL);
	} else {
		/* an empty initial response: the identity of the TLS layer */
		cred.bv_val = (char *)"";
		rc = ldap_sasl_bind_s(ld, NULL, "EXTERNAL", &cred, NULL, NULL,
		    NULL);
	}
	if (rc != LDAP_SUCCESS) {
		r = mtls_err_set(err, MTLS_E_IO, "bind %s refused: %s",
		    c->bind == LS_BIND_SIMPLE ? c->bind_dn : "(SASL EXTERNAL)",
		    ld_diag(ld, rc));
		goto out;
	}
	r = 0;
 out:
	if (pw != NULL) {
		explicit_bzero(pw, len);
		free(pw);
	}
	return r;
}

static int
connect_one(const char *uri, const struct ls_conf *c, const struct ls_tls *tls,
    LDAP **out, struct mtls_err *err)
{
	LDAP *ld = NULL;
	int rc, r;

	*out = NULL;
	if ((rc = ldap_initialize(&ld, uri)) != LDAP_SUCCESS) {
		r = mtls_err_set(err, MTLS_E_CONFIG, "%s: %s", uri,
		    ldap_err2string(rc));
		goto out;
	}
	if ((r = set_opts(ld, c, tls, err)) != 0)
		goto out;
	if (c->starttls)
		rc = ldap_start_tls_s(ld, NULL, NULL);
	else
		rc = ldap_connect(ld);
	if (rc != LDAP_SUCCESS) {
		r = mtls_err_set(err, MTLS_E_IO, "%s: %s%s", uri, c->starttls ?
		    "StartTLS failed: " : "", ld_diag(ld, rc));
		goto out;
	}
	/* nothing goes over a connection that is not TLS */
	if (!ldap_tls_inplace(ld)) {
		r = mtls_err_set(err, MTLS_E_IO, "%s: the connection is not "
		    "TLS", uri);
		goto out;
	}
	if ((r = do_bind(ld, c, err)) != 0)
		goto out;
	*out = ld;
	ld = NULL;
	r = 0;
 out:
	if (ld != NULL)
		ldap_unbind_ext_s(ld, NULL, NULL);
	return r;
}

int
ls_connect(const struct ls_conf *c, const struct ls_tls *tls,
    struct ls_conn **out, struct mtls_err *err)
{
	struct ls_conn *lc = NULL;
	char *pem = NULL;
	size_t len, i;
	int r;

	*out = NULL;
	/* the trust anchor passes the checks of every configured file */
	if ((r = mtls_file_read(tls->ca_file, "trust anchor", 1 << 20, &pem,
	    &len, err)) != 0)
		return r;
	free(pem);
	pem = NULL;
	if (tls->crl_file != NULL && (r = mtls_file_read(tls->crl_file, "CRL",
	    64 << 20, &pem, &len, err)) != 0)
		return r;
	free(pem);
	if ((lc = calloc(1, sizeof(*lc))) == NULL)
		return mtls_err_set(err, MTLS_E_NOMEM, NULL);
	lc->timeout = (int)c->timeout;
	r = MTLS_E_IO;
	for (i = 0; i < c->n_uris; i++) {
		/* a refused bind is not a server that is down: stop there */
		if ((r = connect_one(c->uris[i], c, tls, &lc->ld, err)) == 0 ||
		    r != MTLS_E_IO || strstr(mtls_err_msg(err), "bind ") !=
		    NULL)
			break;
	}
	if (r != 0) {
		free(lc);
		return r;
	}
	lc->uri = strdup(c->uris[i]);
	*out = lc;
	return 0;
}

void
ls_close(struct ls_conn *lc)
{
	if (lc == NULL)
		return;
	if (lc->ld != NULL)
		ldap_unbind_ext_s(lc->ld, NULL, NULL);
	free(lc->uri);
	free(lc);
}

const char *
ls_conn_uri(const struct ls_conn *lc)
{
	return lc->uri != NULL ? lc->uri : "";
}

int
ls_offers_sync(struct ls_conn *lc)
{
	char *attrs[] = { (char *)"supportedControl", NULL };
	struct timeval tv = { lc->timeout, 0 };
	LDAPMessage *res = NULL, *e;
	struct berval **v = NULL;
	int i, n, yes = 0;

	if (ldap_search_ext_s(lc->ld, "", LDAP_SCOPE_BASE, "(objectClass=*)",
	    attrs, 0, NULL, NULL, &tv, 1, &res) != LDAP_SUCCESS)
		goto out;
	if ((e = ldap_first_entry(lc->ld, res)) == NULL ||
	    (v = ldap_get_values_len(lc->ld, e, "supportedControl")) == NULL)
		goto out;
	n = ldap_count_values_len(v);
	for (i = 0; i < n; i++)
		if (v[i]->bv_len == strlen(LDAP_CONTROL_SYNC) &&
		    memcmp(v[i]->bv_val, LDAP_CONTROL_SYNC, v[i]->bv_len) == 0)
			yes = 1;
 out:
	ldap_value_free_len(v);
	ldap_msgfree(res);
	return yes;
}

/* The attributes a search asks for, NULL-terminated, in *a (static). */
static void
search_attrs(const struct ls_conf *c, int user, char **a)
{
	size_t n = 0, i;

	if (user) {
		a[n++] = c->attrs[LA_USER_NAME];
		a[n++] = c->attrs[LA_UID_NUMBER];
		a[n++] = c->attrs[LA_GID_NUMBER];
		a[n++] = c->attrs[LA_GECOS];
		a[n++] = c->attrs[LA_CN];
		a[n++] = c->attrs[LA_HOME];
		a[n++] = c->attrs[LA_SHELL];
		a[n++] = c->attrs[LA_CERT];
		for (i = 0; i < c->n_pattrs; i++)
			a[n++] = c->pattrs[i].attr;
	} else {
		a[n++] = c->attrs[LA_GROUP_NAME];
		a[n++] = c->attrs[LA_GROUP_GID];
		a[n++] = c->attrs[LA_MEMBER];
	}
	a[n++] = c->attrs[LA_UUID];
	a[n] = NULL;
}

#define MAX_SEARCH_ATTRS	(12 + LS_MAX_PATTRS)

/* One paged search of users (user) or groups into s. */
static int
fetch_paged(struct ls_conn *lc, const struct ls_conf *c, int user,
    struct ls_store *s, struct mtls_err *err)
{
	char *attrs[MAX_SEARCH_ATTRS + 1];
	struct timeval tv = { lc->timeout, 0 };
	struct berval cookie = { 0, NULL };
	LDAPControl *page = NULL, *sctrls[2] = { NULL, NULL };
	LDAPControl **rctrls = NULL, *pr;
	LDAPMessage *res = NULL, *e;
	ber_int_t count;
	char *block, *matched = NULL, *msg = NULL;
	int rc, err_rc, r = MTLS_E_IO;

	search_attrs(c, user, attrs);
	for (;;) {
		if ((rc = ldap_create_page_control(lc->ld,
		    (ber_int_t)c->page_size, &cookie, 1, &page)) !=
		    LDAP_SUCCESS) {
			r = mtls_err_set(err, MTLS_E_NOMEM, NULL);
			goto out;
		}
		sctrls[0] = page;
		rc = ldap_search_ext_s(lc->ld, user ? c->user_base :
		    c->group_base, LDAP_SCOPE_SUBTREE, user ? c->user_filter :
		    c->group_filter, attrs, 0, sctrls, NULL, &tv, 0, &res);
		if (rc != LDAP_SUCCESS && res == NULL) {
			r = mtls_err_set(err, MTLS_E_IO, "search of %s under "
			    "%s: %s", user ? "users" : "groups", user ?
			    c->user_base : c->group_base, ld_diag(lc->ld, rc));
			goto out;
		}
		for (e = ldap_first_entry(lc->ld, res); e != NULL;
		    e = ldap_next_entry(lc->ld, e)) {
			if ((r = entry_block(lc->ld, e, c, user, NULL, &block,
			    err)) != 0)
				goto out;
			if ((r = ls_store_put(s, block)) != 0) {
				mtls_err_set(err, r, r == MTLS_E_TOO_LARGE ?
				    "the directory's entries take more than %d "
				    "MiB" : NULL, LS_STORE_MAX_BYTES >> 20);
				goto out;
			}
		}
		rc = ldap_parse_result(lc->ld, res, &err_rc, &matched, &msg,
		    NULL, &rctrls, 0);
		if (rc != LDAP_SUCCESS || err_rc != LDAP_SUCCESS) {
			/* a size or time limit, or any other end: never half */
			r = mtls_err_set(err, MTLS_E_IO, "search of %s under "
			    "%s: %s%s%s", user ? "users" : "groups", user ?
			    c->user_base : c->group_base, ldap_err2string(
			    rc != LDAP_SUCCESS ? rc : err_rc), msg != NULL &&
			    *msg != '\0' ? ": " : "", msg != NULL ? msg : "");
			goto out;
		}
		ber_memfree(cookie.bv_val);
		cookie.bv_val = NULL;
		cookie.bv_len = 0;
		if ((pr = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, rctrls,
		    NULL)) == NULL) {
			/* a server without paging answered all at once */
			break;
		}
		if (ldap_parse_pageresponse_control(lc->ld, pr, &count,
		    &cookie) != LDAP_SUCCESS) {
			r = mtls_err_set(err, MTLS_E_IO, "a malformed paged "
			    "results response");
			goto out;
		}
		ldap_controls_free(rctrls);
		rctrls = NULL;
		ldap_msgfree(res);
		res = NULL;
		ldap_control_free(page);
		page = NULL;
		ldap_memfree(matched);
		ldap_memfree(msg);
		matched = msg = NULL;
		if (cookie.bv_len == 0)
			break;
	}
	r = 0;
 out:
	ber_memfree(cookie.bv_val);
	ldap_controls_free(rctrls);
	ldap_control_free(page);
	ldap_msgfree(res);
	ldap_memfree(matched);
	ldap_memfree(msg);
	return r;
}

int
ls_fetch_all(struct ls_conn *lc, const struct ls_conf *c, struct ls_store *s,
    struct mtls_err *err)
{
	int r;

	if ((r = fetch_paged(lc, c, 1, s, err)) != 0 ||
	    (r = fetch_paged(lc, c, 0, s, err)) != 0)
		return r;
	return store_index(s) != 0 ? mtls_err_set(err, MTLS_E_NOMEM, NULL) :
	    0;
}

/* ---- content synchronization (RFC 4533, refreshOnly) ------------------ */

struct sync_ctx {
	const struct ls_conf	*c;
	struct ls_changes	*ch;
	struct mtls_err		*err;
	int			 user;
	int			 r;
	int			 refresh_deletes;
	int			 done;
};

static int
push(char ***v, size_t *n, size_t *cap, char *s)
{
	char **nv;

	if (s == NULL)
		return -1;
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		if ((nv = realloc(*v, *cap * sizeof(*nv))) == NULL) {
			free(s);
			return -1;
		}
		*v = nv;
	}
	(*v)[(*n)++] = s;
	return 0;
}


/*
 * entryUUID in text is 8-4-4-4-12; the sync state carries the 16 bytes.
 * The store keys entries by the form the paged search reads, so the
 * bytes are written back in that form.
 */
static char *
uuid_text(const struct ls_conf *c, int user, const struct berval *u)
{
	char hex[33], *s;

	uuid_hex((const unsigned char *)u->bv_val, u->bv_len, hex);
	if ((s = malloc(40)) == NULL)
		return NULL;
	if (c->uuid_binary || u->bv_len != 16)
		snprintf(s, 40, "%c:%s", user ? 'u' : 'g', hex);
	else
		snprintf(s, 40, "%c:%.8s-%.4s-%.4s-%.4s-%.12s", user ? 'u' :
		    'g', hex, hex + 8, hex + 12, hex + 16, hex + 20);
	return s;
}

static int
sync_entry(ldap_sync_t *ls, LDAPMessage *msg, struct berval *uuid,
    ldap_sync_refresh_t phase)
{
	struct sync_ctx *x = ls->ls_private;
	char *u, *block;

	if (x->r != 0)
		return -1;
	if ((u = uuid_text(x->c, x->user, uuid)) == NULL) {
		x->r = mtls_err_set(x->err, MTLS_E_NOMEM, NULL);
		return -1;
	}
	switch (phase) {
	case LDAP_SYNC_CAPI_ADD:
	case LDAP_SYNC_CAPI_MODIFY:
		x->r = entry_block(ls->ls_ld, msg, x->c, x->user, u, &block,
		    x->err);
		free(u);
		if (x->r == 0 && push(&x->ch->put, &x->ch->n_put,
		    &x->ch->cap_put, block) != 0)
			x->r = mtls_err_set(x->err, MTLS_E_NOMEM, NULL);
		/* a changed entry is present too */
		if (x->r == 0 && push(&x->ch->present, &x->ch->n_present,
		    &x->ch->cap_present, uuid_text(x->c, x->user, uuid)) != 0)
			x->r = mtls_err_set(x->err, MTLS_E_NOMEM, NULL);
		break;
	case LDAP_SYNC_CAPI_DELETE:
		if (push(&x->ch->del, &x->ch->n_del, &x->ch->cap_del, u) != 0)
			x->r = mtls_err_set(x->err, MTLS_E_NOMEM, NULL);
		break;
	case LDAP_SYNC_CAPI_PRESENT:
		if (push(&x->ch->present, &x->ch->n_present,
		    &x->ch->cap_present, u) != 0)
			x->r = mtls_err_set(x->err, MTLS_E_NOMEM, NULL);
		break;
	default:
		free(u);
		break;
	}
	return x->r != 0 ? -1 : 0;
}

static int
sync_intermediate(ldap_sync_t *ls, LDAPMessage *msg, BerVarray uuids,
    ldap_sync_refresh_t phase)
{
	struct sync_ctx *x = ls->ls_private;
	size_t i;

	(void)msg;
	if (x->r != 0)
		return -1;
	if (uuids == NULL)
		return 0;
	for (i = 0; uuids[i].bv_val != NULL && x->r == 0; i++) {
		if (phase == LDAP_SYNC_CAPI_DELETES_IDSET) {
			if (push(&x->ch->del, &x->ch->n_del, &x->ch->cap_del,
			    uuid_text(x->c, x->user, &uuids[i])) != 0)
				x->r = mtls_err_set(x->err, MTLS_E_NOMEM, NULL);
		} else if (phase == LDAP_SYNC_CAPI_PRESENTS_IDSET) {
			if (push(&x->ch->present, &x->ch->n_present,
			    &x->ch->cap_present, uuid_text(x->c, x->user, &uuids[i])) !=
			    0)
				x->r = mtls_err_set(x->err, MTLS_E_NOMEM, NULL);
		}
	}
	return x->r != 0 ? -1 : 0;
}

/*
 * Results after which the paged full read is the way: any the server
 * sent (libldap's own, for a connection lost or a timeout, are
 * negative).  The server may want a full refresh (RFC 4533
 * e-syncRefreshRequired), the refresh it chose (every entry present
 * again) may hit a limit that paging avoids, the server may no longer
 * offer content synchronization or may not know a cookie of another
 * server behind the same name.  A full read costs more, never less
 * safety; if it fails too, it says why.
 */
static int
full_needed(int rc)
{
	return rc > 0;
}

static int
sync_result(ldap_sync_t *ls, LDAPMessage *msg, int refresh_deletes)
{
	struct sync_ctx *x = ls->ls_private;
	int rc = LDAP_OTHER;

	if (ldap_parse_result(ls->ls_ld, msg, &rc, NULL, NULL, NULL, NULL,
	    0) != LDAP_SUCCESS)
		rc = LDAP_OTHER;
	if (rc != LDAP_SUCCESS && x->r == 0)
		x->r = mtls_err_set(x->err, full_needed(rc) ? MTLS_E_NOT_FOUND :
		    MTLS_E_IO, "content synchronization: %s",
		    ldap_err2string(rc));
	x->refresh_deletes = refresh_deletes;
	x->done = 1;
	return 0;
}

int
ls_sync(struct ls_conn *lc, const struct ls_conf *c, int which,
    const unsigned char *cookie, size_t cookielen, struct ls_changes *ch,
    unsigned char **newcookie, size_t *newlen, struct mtls_err *err)
{
	char *attrs[MAX_SEARCH_ATTRS + 1], *filter = NULL;
	struct sync_ctx x = { c, ch, err, which == 0, 0, 1, 0 };
	const char *f = which == 0 ? c->user_filter : c->group_filter;
	ldap_sync_t ls;
	size_t flen;
	int rc, r = MTLS_E_IO;

	*newcookie = NULL;
	*newlen = 0;
	search_attrs(c, which == 0, attrs);
	flen = strlen(f) + 64;
	if ((filter = malloc(flen)) == NULL)
		return mtls_err_set(err, MTLS_E_NOMEM, NULL);
	/*
	 * Without a cookie: the state alone, through a filter that no entry
	 * matches (the nil UUID is never assigned) and that an index of
	 * entryUUID answers without reading entries.
	 */
	if (cookie == NULL)
		snprintf(filter, flen, "(&%s(entryUUID="
		    "00000000-0000-0000-0000-000000000000))", f);
	else
		snprintf(filter, flen, "%s", f);
	ldap_sync_initialize(&ls);
	ls.ls_base = which == 0 ? c->user_base : c->group_base;
	ls.ls_scope = LDAP_SCOPE_SUBTREE;
	ls.ls_filter = filter;
	ls.ls_attrs = attrs;
	ls.ls_timelimit = (int)c->timeout;
	ls.ls_timeout = (int)c->timeout;
	ls.ls_search_entry = sync_entry;
	ls.ls_intermediate = sync_intermediate;
	ls.ls_search_result = sync_result;
	ls.ls_private = &x;
	ls.ls_ld = lc->ld;
	if (cookie != NULL) {
		if ((ls.ls_cookie.bv_val = ber_memalloc(cookielen + 1)) ==
		    NULL) {
			r = mtls_err_set(err, MTLS_E_NOMEM, NULL);
			goto out;
		}
		memcpy(ls.ls_cookie.bv_val, cookie, cookielen);
		ls.ls_cookie.bv_val[cookielen] = '\0';
		ls.ls_cookie.bv_len = cookielen;
	}
	rc = ldap_sync_init_refresh_only(&ls);
	if (x.r != 0) {
		r = x.r;
		goto out;
	}
	if (rc != LDAP_SUCCESS) {
		r = mtls_err_set(err, full_needed(rc) ? MTLS_E_NOT_FOUND :
		    MTLS_E_IO, "content synchronization of %s: %s",
		    which == 0 ? "users" : "groups", ld_diag(lc->ld, rc));
		goto out;
	}
	if (!x.done) {
		r = mtls_err_set(err, MTLS_E_IO, "content synchronization "
		    "of %s ended without a result", which == 0 ? "users" :
		    "groups");
		goto out;
	}
	/* refreshDeletes FALSE: what was not named present is gone */
	if (!x.refresh_deletes)
		ch->present_phase = 1;
	if (ls.ls_cookie.bv_len == 0) {
		r = mtls_err_set(err, MTLS_E_IO, "content synchronization "
		    "of %s returned no cookie", which == 0 ? "users" :
		    "groups");
		goto out;
	}
	if ((*newcookie = malloc(ls.ls_cookie.bv_len)) == NULL) {
		r = mtls_err_set(err, MTLS_E_NOMEM, NULL);
		goto out;
	}
	memcpy(*newcookie, ls.ls_cookie.bv_val, ls.ls_cookie.bv_len);
	*newlen = ls.ls_cookie.bv_len;
	r = 0;
 out:
	/* the handle, base, filter and attributes are ours to free */
	ls.ls_ld = NULL;
	ls.ls_base = NULL;
	ls.ls_filter = NULL;
	ls.ls_attrs = NULL;
	ldap_sync_destroy(&ls, 0);
	free(filter);
	return r;
}

int
ls_changes_any(const struct ls_changes *ch)
{
	return ch->n_put > 0 || ch->n_del > 0 || ch->present_phase;
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
ls_changes_apply(struct ls_changes *ch, struct ls_store *s, const char *kind)
{
	char uuid[256];
	const char *u;
	size_t i, n, kl = strlen(kind);
	int r;

	if ((r = store_index(s)) != 0)
		return r;
	for (i = 0; i < ch->n_del; i++)
		if ((r = ls_store_del(s, ch->del[i])) != 0)
			return r;
	if (ch->present_phase) {
		/* entries of this kind the server did not name are gone */
		qsort(ch->present, ch->n_present, sizeof(char *), str_cmp);
		for (i = 0; i < s->n; i++) {
			if (s->ent[i] == NULL)
				continue;
			u = blk_uuid(s->ent[i], &n);
			if (n < kl || memcmp(u, kind, kl) != 0)
				continue;
			if (n >= sizeof(uuid))
				continue;
			memcpy(uuid, u, n);
			uuid[n] = '\0';
			u = uuid;
			if (bsearch(&u, ch->present, ch->n_present,
			    sizeof(char *), str_cmp) != NULL)
				continue;
			s->bytes -= strlen(s->ent[i]);
			free(s->ent[i]);
			s->ent[i] = NULL;
			s->n_live--;
		}
		if ((r = store_index(s)) != 0)
			return r;
	}
	for (i = 0; i < ch->n_put; i++) {
		r = ls_store_put(s, ch->put[i]);
		ch->put[i] = NULL;
		if (r != 0)
			return r;
	}
	return 0;
}

void
ls_changes_clear(struct ls_changes *ch)
{
	size_t i;

	for (i = 0; i < ch->n_put; i++)
		free(ch->put[i]);
	for (i = 0; i < ch->n_del; i++)
		free(ch->del[i]);
	for (i = 0; i < ch->n_present; i++)
		free(ch->present[i]);
	free(ch->put);
	free(ch->del);
	free(ch->present);
	memset(ch, 0, sizeof(*ch));
}
