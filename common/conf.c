/*
 * conf.c - the mtls.conf parser.
 *
 * Format (mtls.conf(5)): one directive a line, "key value", '#' starts a
 * comment line, values with spaces are double-quoted with \" and \\ as the
 * only escapes.  Map rules are "map key=value ... [allow_root]".
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "util.h"

#define MAX_TOKENS	32

int
mtls_conf_new(struct mtls_conf **out)
{
	struct mtls_conf *c;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return MTLS_E_NOMEM;
	c->crl_required = 1;
	c->crl_max_age = 0;
	c->purpose = MTLS_PURPOSE_CLIENT;
	c->profile = MTLS_PROFILE_MEDIUM;
	c->max_intermediates = 2;
	*out = c;
	return 0;
}

static void
rule_clear(struct mtls_rule *r)
{
	free(r->file);
	free(r->text);
	free(r->user);
	free(r->domain);
	free(r->realm);
	free(r->prefix);
	free(r->issuer);
	free(r->subject);
	free(r->subject_suffix);
	free(r->email);
	free(r->upn);
	free(r->uri);
	memset(r, 0, sizeof(*r));
}

void
mtls_conf_list_clear(char ***list, size_t *n)
{
	size_t i;

	for (i = 0; i < *n; i++)
		free((*list)[i]);
	free(*list);
	*list = NULL;
	*n = 0;
}

int
mtls_conf_list_add(char ***list, size_t *n, const char *path)
{
	char **nl, *p;

	if (*n >= MTLS_CONF_MAX_FILES)
		return MTLS_E_TOO_LARGE;
	if ((p = strdup(path)) == NULL)
		return MTLS_E_NOMEM;
	if ((nl = realloc(*list, (*n + 1) * sizeof(*nl))) == NULL) {
		free(p);
		return MTLS_E_NOMEM;
	}
	nl[(*n)++] = p;
	*list = nl;
	return 0;
}

void
mtls_conf_free(struct mtls_conf *c)
{
	size_t i;

	if (c == NULL)
		return;
	free(c->path);
	mtls_conf_list_clear(&c->anchors, &c->n_anchors);
	mtls_conf_list_clear(&c->intermediates, &c->n_intermediates);
	mtls_conf_list_clear(&c->crls, &c->n_crls);
	for (i = 0; i < c->n_crl_urls; i++) {
		free(c->crl_url_files[i]);
		free(c->crl_urls[i]);
	}
	free(c->crl_url_files);
	free(c->crl_urls);
	mtls_conf_list_clear(&c->ssh_host_keys, &c->n_ssh_host_keys);
	free(c->host_cert);
	free(c->host_key);
	free(c->identity_db);
	free(c->db_sync);
	free(c->crl_cache);
	for (i = 0; i < c->n_rules; i++)
		rule_clear(&c->rules[i]);
	free(c->rules);
	free(c);
}

/*
 * Split line into tokens in place.  A token runs to the next unquoted
 * blank; double quotes group blanks and are removed; inside quotes \" and
 * \\ are the only escapes.  Control characters are refused.
 */
static int
tokenize(char *line, char **tok, size_t *ntok, const char **why)
{
	char *r = line, *w;
	size_t n = 0;
	int inq;

	for (;;) {
		while (*r == ' ' || *r == '\t')
			r++;
		if (*r == '\0')
			break;
		if (n == MAX_TOKENS) {
			*why = "too many words on one line";
			return MTLS_E_CONFIG;
		}
		tok[n++] = w = r;
		inq = 0;
		for (; *r != '\0'; r++) {
			unsigned char c = (unsigned char)*r;

			if (c < 0x20 && c != '\t') {
				*why = "control character";
				return MTLS_E_CONFIG;
			}
			if (c == 0x7f) {
				*why = "control character";
				return MTLS_E_CONFIG;
			}
			if (!inq && (c == ' ' || c == '\t'))
				break;
			if (c == '"') {
				inq = !inq;
				continue;
			}
			if (inq && c == '\\') {
				if (r[1] != '"' && r[1] != '\\') {
					*why = "only \\\" and \\\\ may be "
					    "escaped inside quotes";
					return MTLS_E_CONFIG;
				}
				r++;
			}
			*w++ = *r;
		}
		if (inq) {
			*why = "unterminated quote";
			return MTLS_E_CONFIG;
		}
		if (*r != '\0')
			r++;
		*w = '\0';
	}
	*ntok = n;
	return 0;
}

static const struct {
	const char	*name;
	enum mtls_field	 field;
} fields[] = {
	{ "cn", MTLS_FIELD_CN },
	{ "uid", MTLS_FIELD_UID },
	{ "email", MTLS_FIELD_EMAIL },
	{ "upn", MTLS_FIELD_UPN },
	{ "uri", MTLS_FIELD_URI },
	{ "db", MTLS_FIELD_DB },
};

const char *
mtls_field_name(enum mtls_field f)
{
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (fields[i].field == f)
			return fields[i].name;
	return "none";
}

const char *
mtls_purpose_name(enum mtls_purpose p)
{
	switch (p) {
	case MTLS_PURPOSE_CLIENT: return "client";
	case MTLS_PURPOSE_SERVER: return "server";
	case MTLS_PURPOSE_ANY: return "any";
	}
	return "unknown";
}

static const char *const profile_names[] = {
	NULL, "medium", "high", "ultra", "future"
};

const char *
mtls_profile_name(enum mtls_profile p)
{
	if (p >= MTLS_PROFILE_MEDIUM && p <= MTLS_PROFILE_FUTURE)
		return profile_names[p];
	return "unknown";
}

/* Set a rule's string option once; a repeat is an error. */
static int
set_once(char **dst, const char *val, const char *key, struct mtls_err *err,
    const char *file, unsigned line)
{
	if (*dst != NULL)
		return mtls_err_set(err, MTLS_E_CONFIG,
		    "%s:%u: map: %s= given twice", file, line, key);
	if (*val == '\0')
		return mtls_err_set(err, MTLS_E_CONFIG,
		    "%s:%u: map: %s= needs a value", file, line, key);
	if ((*dst = strdup(val)) == NULL)
		return mtls_err_set(err, MTLS_E_NOMEM, NULL);
	return 0;
}

/* Set a rule's SHA-256 fingerprint option once. */
static int
set_fingerprint(int *has, unsigned char fp[32], const char *val,
    const char *key, struct mtls_err *err, const char *file, unsigned line)
{
	if (*has)
		return mtls_err_set(err, MTLS_E_CONFIG,
		    "%s:%u: map: %s= given twice", file, line, key);
	if (mtls_parse_fingerprint(val, fp) != 0)
		return mtls_err_set(err, MTLS_E_CONFIG,
		    "%s:%u: map: %s=%s: expected a SHA-256 fingerprint "
		    "(64 hex digits)", file, line, key, val);
	*has = 1;
	return 0;
}

/* Apply one key=value (or flag) word to rule r. */
static int
rule_word(struct mtls_rule *r, char *word, const char *file, unsigned line,
    struct mtls_err *err)
{
	char *eq = strchr(word, '='), *key = word, *val;
	size_t i;

	if (eq == NULL) {
		if (strcmp(word, "allow_root") == 0) {
			if (r->allow_root)
				return mtls_err_set(err, MTLS_E_CONFIG,
				    "%s:%u: map: allow_root given twice",
				    file, line);
			r->allow_root = 1;
			return 0;
		}
		return mtls_err_set(err, MTLS_E_CONFIG,
		    "%s:%u: map: expected key=value, got '%s'", file, line,
		    word);
	}
	*eq = '\0';
	val = eq + 1;
	if (strcmp(key, "user") == 0) {
		if (r->user == NULL && !mtls_name_valid(val, strlen(val)))
			return mtls_err_set(err, MTLS_E_CONFIG,
			    "%s:%u: map: user=%s is not a valid user name "
			    "([a-z_][a-z0-9_-]{0,31})", file, line, val);
		return set_once(&r->user, val, key, err, file, line);
	}
	if (strcmp(key, "from") == 0) {
		if (r->from != MTLS_FIELD_NONE)
			return mtls_err_set(err, MTLS_E_CONFIG,
			    "%s:%u: map: from= given twice", file, line);
		for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
			if (strcmp(val, fields[i].name) == 0)
				r->from = fields[i].field;
		if (r->from == MTLS_FIELD_NONE)
			return mtls_err_set(err, MTLS_E_CONFIG,
			    "%s:%u: map: from=%s: expected cn, uid, email, "
			    "upn, uri or db", file, line, val);
		return 0;
	}
	if (strcmp(key, "fingerprint") == 0)
		return set_fingerprint(&r->has_fingerprint, r->fingerprint,
		    val, key, err, file, line);
	if (strcmp(key, "issuer_fingerprint") == 0)
		return set_fingerprint(&r->has_issuer_fingerprint,
		    r->issuer_fingerprint, val, key, err, file, line);
	if (strcmp(key, "email") == 0 && strchr(val, '@') == NULL)
		return mtls_err_set(err, MTLS_E_CONFIG,
		    "%s:%u: map: email=%s is not an address", file, line, val);
	if (strcmp(key, "domain") == 0 && strchr(val, '@') != NULL)
		return mtls_err_set(err, MTLS_E_CONFIG,
		    "%s:%u: map: domain=%s: give the domain without '@'",
		    file, line, val);

	{
		static const struct {
			const char *key;
			size_t off;
		} strs[] = {
			{ "domain", offsetof(struct mtls_rule, domain) },
			{ "realm", offsetof(struct mtls_rule, realm) },
			{ "prefix", offsetof(struct mtls_rule, prefix) },
			{ "issuer", offsetof(struct mtls_rule, issuer) },
			{ "subject", offsetof(struct mtls_rule, subject) },
			{ "subject_suffix",
			    offsetof(struct mtls_rule, subject_suffix) },
			{ "email", offsetof(struct mtls_rule, email) },
			{ "upn", offsetof(struct mtls_rule, upn) },
			{ "uri", offsetof(struct mtls_rule, uri) },
		};

		for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
			if (strcmp(key, strs[i].key) == 0)
				return set_once((char **)((char *)r +
				    strs[i].off), val, key, err, file, line);
	}
	return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: map: unknown option "
	    "'%s'", file, line, key);
}

/* Cross-option checks of a complete rule. */
static int
rule_check(const struct mtls_rule *r, const char *file, unsigned line,
    struct mtls_err *err)
{
	int selectors = r->issuer || r->subject || r->subject_suffix ||
	    r->email || r->upn || r->uri || r->has_fingerprint ||
	    r->has_issuer_fingerprint;

	if ((r->user == NULL) == (r->from == MTLS_FIELD_NONE))
		return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: map: give "
		    "exactly one of user= or from=", file, line);
	if (r->user != NULL && !selectors)
		return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: map: user=%s "
		    "needs a selector (fingerprint=, issuer_fingerprint=, "
		    "subject=, subject_suffix=, issuer=, email=, upn= or uri=) "
		    "so that it does not match every certificate", file, line,
		    r->user);
	if ((r->domain != NULL) != (r->from == MTLS_FIELD_EMAIL))
		return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: map: "
		    "from=email and domain= go together", file, line);
	if ((r->realm != NULL) != (r->from == MTLS_FIELD_UPN))
		return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: map: "
		    "from=upn and realm= go together", file, line);
	if ((r->prefix != NULL) != (r->from == MTLS_FIELD_URI))
		return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: map: "
		    "from=uri and prefix= go together", file, line);
	if (r->allow_root && r->from == MTLS_FIELD_DB)
		return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: map: from=db "
		    "never maps root: allow_root is not accepted", file, line);
	if (r->allow_root && !r->has_fingerprint)
		return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: map: "
		    "allow_root needs fingerprint= (root is only ever mapped "
		    "from one pinned certificate)", file, line);
	if (r->user != NULL && strcmp(r->user, "root") == 0 && !r->allow_root)
		return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: map: user=root "
		    "needs fingerprint= and allow_root", file, line);
	return 0;
}

int
mtls_conf_add_rule(struct mtls_conf *c, const char *args, const char *file,
    unsigned line, struct mtls_err *err)
{
	int rv = MTLS_E_INTERNAL;
	struct mtls_rule r, *nr;
	char *copy = NULL, *tok[MAX_TOKENS];
	const char *why = NULL;
	size_t ntok = 0, i;

	memset(&r, 0, sizeof(r));
	if (c->n_rules >= MTLS_CONF_MAX_RULES) {
		rv = mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: more than %d "
		    "map rules", file, line, MTLS_CONF_MAX_RULES);
		goto out;
	}
	if ((copy = strdup(args)) == NULL ||
	    (r.file = strdup(file)) == NULL ||
	    asprintf(&r.text, "map %s", args) < 0) {
		r.text = NULL;
		rv = mtls_err_set(err, MTLS_E_NOMEM, NULL);
		goto out;
	}
	r.line = line;
	if (tokenize(copy, tok, &ntok, &why) != 0) {
		rv = mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: %s", file, line,
		    why);
		goto out;
	}
	if (ntok == 0) {
		rv = mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: map: empty rule",
		    file, line);
		goto out;
	}
	for (i = 0; i < ntok; i++)
		if ((rv = rule_word(&r, tok[i], file, line, err)) != 0)
			goto out;
	if ((rv = rule_check(&r, file, line, err)) != 0)
		goto out;
	if ((nr = realloc(c->rules, (c->n_rules + 1) * sizeof(*nr))) == NULL) {
		rv = mtls_err_set(err, MTLS_E_NOMEM, NULL);
		goto out;
	}
	c->rules = nr;
	c->rules[c->n_rules++] = r;
	memset(&r, 0, sizeof(r));
	rv = 0;
 out:
	rule_clear(&r);
	free(copy);
	return rv;
}

/* Directives that take one value and may appear once. */
enum scalar {
	S_CRL_REQUIRED, S_CRL_MAX_AGE, S_PURPOSE, S_PROFILE, S_MAX_INTER,
	S_HOST_CERT, S_HOST_KEY, S_IDENTITY_DB, S_CRL_CACHE, S_DB_SYNC,
	S_COUNT
};

static const char *const scalar_names[S_COUNT] = {
	"crl_required", "crl_max_age", "purpose", "security_profile",
	"max_intermediates", "host_certificate", "host_key", "identity_db",
	"crl_cache", "db_sync"
};

static int
absolute_path(const char *v, const char *key, const char *file,
    unsigned line, struct mtls_err *err)
{
	if (v[0] != '/')
		return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: %s: '%s' is "
		    "not an absolute path", file, line, key, v);
	return 0;
}

static int
set_scalar(struct mtls_conf *c, enum scalar k, const char *v,
    const char *file, unsigned line, struct mtls_err *err)
{
	unsigned long u;
	int i;

	switch (k) {
	case S_CRL_REQUIRED:
		if (mtls_parse_bool(v, &c->crl_required) == 0)
			return 0;
		return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: crl_required: "
		    "expected yes or no, got '%s'", file, line, v);
	case S_CRL_MAX_AGE:
		if (strcmp(v, "none") == 0) {
			c->crl_max_age = 0;
			return 0;
		}
		if (mtls_parse_duration(v, &c->crl_max_age) == 0)
			return 0;
		return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: crl_max_age: "
		    "expected a duration such as 7d, 36h or 3600, or none; "
		    "got '%s'", file, line, v);
	case S_PURPOSE:
		if (strcmp(v, "client") == 0)
			c->purpose = MTLS_PURPOSE_CLIENT;
		else if (strcmp(v, "server") == 0)
			c->purpose = MTLS_PURPOSE_SERVER;
		else
			return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: "
			    "purpose: expected client or server, got '%s'",
			    file, line, v);
		return 0;
	case S_PROFILE:
		for (i = MTLS_PROFILE_MEDIUM; i <= MTLS_PROFILE_FUTURE; i++)
			if (strcmp(v, profile_names[i]) == 0) {
				c->profile = (enum mtls_profile)i;
				return 0;
			}
		return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: "
		    "security_profile: expected medium, high, ultra or future "
		    "(weaker profiles are not allowed), got '%s'", file, line,
		    v);
	case S_MAX_INTER:
		if (mtls_parse_uint(v, 0, MTLS_MAX_INTERMEDIATES, &u) == 0) {
			c->max_intermediates = (unsigned)u;
			return 0;
		}
		return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: "
		    "max_intermediates: expected 0 to %d, got '%s'", file,
		    line, MTLS_MAX_INTERMEDIATES, v);
	case S_HOST_CERT:
	case S_HOST_KEY:
		if (absolute_path(v, scalar_names[k], file, line, err) != 0)
			return MTLS_E_CONFIG;
		if ((*(k == S_HOST_CERT ? &c->host_cert : &c->host_key) =
		    strdup(v)) == NULL)
			return mtls_err_set(err, MTLS_E_NOMEM, NULL);
		return 0;
	case S_IDENTITY_DB:
	case S_DB_SYNC:
		if (absolute_path(v, scalar_names[k], file, line, err) != 0)
			return MTLS_E_CONFIG;
		if ((*(k == S_IDENTITY_DB ? &c->identity_db : &c->db_sync) =
		    strdup(v)) == NULL)
			return mtls_err_set(err, MTLS_E_NOMEM, NULL);
		return 0;
	case S_CRL_CACHE:
		if (strcmp(v, "none") == 0) {
			c->crl_cache_off = 1;
			return 0;
		}
		if (absolute_path(v, scalar_names[k], file, line, err) != 0)
			return MTLS_E_CONFIG;
		if ((c->crl_cache = strdup(v)) == NULL)
			return mtls_err_set(err, MTLS_E_NOMEM, NULL);
		return 0;
	case S_COUNT:
		break;
	}
	return mtls_err_set(err, MTLS_E_INTERNAL, NULL);
}

static int
add_path(char ***list, size_t *n, const char *v, const char *key,
    const char *file, unsigned line, struct mtls_err *err)
{
	size_t i;
	int r;

	if (absolute_path(v, key, file, line, err) != 0)
		return MTLS_E_CONFIG;
	for (i = 0; i < *n; i++)
		if (strcmp((*list)[i], v) == 0)
			return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: %s %s "
			    "is listed twice", file, line, key, v);
	if ((r = mtls_conf_list_add(list, n, v)) == MTLS_E_TOO_LARGE)
		return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: more than %d "
		    "%s lines", file, line, MTLS_CONF_MAX_FILES, key);
	if (r != 0)
		return mtls_err_set(err, r, NULL);
	return 0;
}

/*
 * A URL that mtls crl fetch may download: http or https, a host, and no
 * blank (the tokenizer leaves quoted ones), quote or backslash.
 */
static int
url_valid(const char *u)
{
	const char *p;

	if (strncmp(u, "http://", 7) == 0)
		p = u + 7;
	else if (strncmp(u, "https://", 8) == 0)
		p = u + 8;
	else
		return 0;
	if (*p == '\0' || *p == '/')
		return 0;
	return strcspn(u, " \t\"\\") == strlen(u);
}

/* crl_url FILE URL: where mtls crl fetch downloads the CRL file FILE. */
static int
add_crl_url(struct mtls_conf *c, const char *path, const char *url,
    const char *file, unsigned line, struct mtls_err *err)
{
	char **nf, **nu, *p = NULL, *u = NULL;
	size_t i;

	if (absolute_path(path, "crl_url", file, line, err) != 0)
		return MTLS_E_CONFIG;
	if (!url_valid(url))
		return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: crl_url: '%s' "
		    "is not an http:// or https:// URL", file, line, url);
	for (i = 0; i < c->n_crl_urls; i++)
		if (strcmp(c->crl_url_files[i], path) == 0)
			return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: crl_url "
			    "%s is set twice", file, line, path);
	if (c->n_crl_urls >= MTLS_CONF_MAX_FILES)
		return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: more than %d "
		    "crl_url lines", file, line, MTLS_CONF_MAX_FILES);
	if ((p = strdup(path)) == NULL || (u = strdup(url)) == NULL)
		goto nomem;
	if ((nf = realloc(c->crl_url_files, (c->n_crl_urls + 1) *
	    sizeof(*nf))) == NULL)
		goto nomem;
	c->crl_url_files = nf;
	if ((nu = realloc(c->crl_urls, (c->n_crl_urls + 1) *
	    sizeof(*nu))) == NULL)
		goto nomem;
	c->crl_urls = nu;
	c->crl_url_files[c->n_crl_urls] = p;
	c->crl_urls[c->n_crl_urls++] = u;
	return 0;
 nomem:
	free(p);
	free(u);
	return mtls_err_set(err, MTLS_E_NOMEM, NULL);
}

const char *
mtls_conf_crl_url(const struct mtls_conf *c, const char *path)
{
	size_t i;

	for (i = 0; i < c->n_crl_urls; i++)
		if (strcmp(c->crl_url_files[i], path) == 0)
			return c->crl_urls[i];
	return NULL;
}

/* Handle one non-empty, non-comment line. */
static int
parse_line(struct mtls_conf *c, char *line, const char *file, unsigned ln,
    int seen[S_COUNT], struct mtls_err *err)
{
	char *tok[MAX_TOKENS], *key, *rest;
	const char *why = NULL;
	size_t ntok, klen;
	int k;

	/* "map" keeps the rest of the line for the rule parser. */
	klen = strcspn(line, " \t");
	if (klen == 3 && strncmp(line, "map", 3) == 0) {
		rest = line + 3;
		while (*rest == ' ' || *rest == '\t')
			rest++;
		return mtls_conf_add_rule(c, rest, file, ln, err);
	}
	if (tokenize(line, tok, &ntok, &why) != 0)
		return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: %s", file, ln,
		    why);
	key = tok[0];
	if (strcmp(key, "crl_url") == 0) {
		if (ntok != 3)
			return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: crl_url: "
			    "expected a CRL file and a URL, got %zu value%s",
			    file, ln, ntok - 1, ntok == 2 ? "" : "s");
		return add_crl_url(c, tok[1], tok[2], file, ln, err);
	}
	if (ntok != 2)
		return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: %s: expected "
		    "exactly one value, got %zu", file, ln, key, ntok - 1);
	if (strcmp(key, "trust_anchor") == 0)
		return add_path(&c->anchors, &c->n_anchors, tok[1], key, file,
		    ln, err);
	if (strcmp(key, "intermediate") == 0)
		return add_path(&c->intermediates, &c->n_intermediates, tok[1],
		    key, file, ln, err);
	if (strcmp(key, "crl") == 0)
		return add_path(&c->crls, &c->n_crls, tok[1], key, file, ln,
		    err);
	if (strcmp(key, "ssh_host_key") == 0)
		return add_path(&c->ssh_host_keys, &c->n_ssh_host_keys, tok[1],
		    key, file, ln, err);
	for (k = 0; k < S_COUNT; k++) {
		if (strcmp(key, scalar_names[k]) != 0)
			continue;
		if (seen[k])
			return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: %s is "
			    "set twice (first at line %d)", file, ln, key,
			    seen[k]);
		seen[k] = (int)ln;
		return set_scalar(c, (enum scalar)k, tok[1], file, ln, err);
	}
	return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: unknown key '%s'",
	    file, ln, key);
}

int
mtls_conf_parse(struct mtls_conf *c, const char *name, const char *text,
    size_t len, struct mtls_err *err)
{
	int seen[S_COUNT] = { 0 };
	char line[MTLS_CONF_MAX_LINE + 1];
	size_t pos = 0, n, i;
	unsigned ln = 0;
	const char *s;
	int r;

	if (len > MTLS_CONF_MAX_SIZE)
		return mtls_err_set(err, MTLS_E_CONFIG, "%s: larger than %d "
		    "bytes", name, MTLS_CONF_MAX_SIZE);
	while (pos < len) {
		ln++;
		for (n = 0; pos + n < len && text[pos + n] != '\n'; n++)
			;
		if (n > MTLS_CONF_MAX_LINE)
			return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: line "
			    "longer than %d bytes", name, ln,
			    MTLS_CONF_MAX_LINE);
		memcpy(line, text + pos, n);
		line[n] = '\0';
		pos += n + 1;
		if (memchr(text + pos - n - 1, '\0', n) != NULL)
			return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: NUL "
			    "byte", name, ln);
		if (n > 0 && line[n - 1] == '\r')
			line[--n] = '\0';
		for (s = line; *s == ' ' || *s == '\t'; s++)
			;
		if (*s == '\0' || *s == '#')
			continue;
		for (i = 0; i < n; i++)
			if ((unsigned char)line[i] < 0x20 && line[i] != '\t')
				return mtls_err_set(err, MTLS_E_CONFIG,
				    "%s:%u: control character", name, ln);
		if ((r = parse_line(c, (char *)s, name, ln, seen, err)) != 0)
			return r;
	}
	return 0;
}

int
mtls_conf_check(const struct mtls_conf *c, struct mtls_err *err)
{
	if (c->n_anchors == 0)
		return mtls_err_set(err, MTLS_E_NO_ANCHOR, "%s: no trust_anchor "
		    "is configured; nothing could be verified", c->path != NULL ?
		    c->path : "configuration");
	return 0;
}

int
mtls_conf_read(const char *path, struct mtls_conf **out, struct mtls_err *err)
{
	struct mtls_conf *c = NULL;
	char *text = NULL;
	size_t len = 0;
	int r;

	*out = NULL;
	if ((r = mtls_file_read(path, "configuration", MTLS_CONF_MAX_SIZE,
	    &text, &len, err)) != 0)
		goto out;
	if ((r = mtls_conf_new(&c)) != 0) {
		mtls_err_set(err, r, NULL);
		goto out;
	}
	if ((c->path = strdup(path)) == NULL) {
		r = mtls_err_set(err, MTLS_E_NOMEM, NULL);
		goto out;
	}
	if ((r = mtls_conf_parse(c, path, text, len, err)) != 0)
		goto out;
	*out = c;
	c = NULL;
 out:
	mtls_conf_free(c);
	free(text);
	return r;
}

int
mtls_conf_load(const char *path, struct mtls_conf **out, struct mtls_err *err)
{
	int r;

	if ((r = mtls_conf_read(path, out, err)) != 0)
		return r;
	if ((r = mtls_conf_check(*out, err)) != 0) {
		mtls_conf_free(*out);
		*out = NULL;
	}
	return r;
}
