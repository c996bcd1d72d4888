/*
 * idsrc.c - parse and check the identity source files.
 *
 * Both files are blocks: a line "user NAME" (or "group NAME") opens one,
 * the "key value" lines after it, indented or not, fill it.  Blank lines
 * and lines starting with '#' are ignored.  The text is parsed in place:
 * the records point into it.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "idsrc.h"
#include "util.h"

/* Split the next line off *p (NUL-terminated in place). */
static char *
next_line(char **p, char *end)
{
	char *s = *p, *nl;

	if (s >= end)
		return NULL;
	if ((nl = memchr(s, '\n', (size_t)(end - s))) == NULL)
		nl = end;
	*nl = '\0';
	*p = nl < end ? nl + 1 : end;
	return s;
}

/* Key and value of a line: leading and trailing blanks dropped. */
static int
split_kv(char *line, char **key, char **val)
{
	char *e;

	while (*line == ' ' || *line == '\t')
		line++;
	e = line + strlen(line);
	while (e > line && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	if (*line == '\0' || *line == '#')
		return 0;
	*key = line;
	while (*line != '\0' && *line != ' ' && *line != '\t')
		line++;
	if (*line != '\0') {
		*line++ = '\0';
		while (*line == ' ' || *line == '\t')
			line++;
	}
	*val = line;
	return 1;
}

static int
has_ctl(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

static int
grow(void **v, uint32_t n, size_t elem, uint32_t max)
{
	void *nv;

	if (n >= max)
		return MTLS_E_TOO_LARGE;
	if ((n & (n - 1)) != 0 && n != 0)
		return 0;	/* capacity is the next power of two */
	if ((nv = realloc(*v, (n ? (size_t)n * 2 : 4) * elem)) == NULL)
		return MTLS_E_NOMEM;
	*v = nv;
	return 0;
}

static int
parse_id(const char *file, unsigned line, const char *key, const char *val,
    uint32_t *out, struct mtls_err *err)
{
	unsigned long v;

	if (mtls_parse_uint(val, 0, UINT32_MAX - 1, &v) != 0)
		return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: %s: not a "
		    "number: %s", file, line, key, val);
	*out = (uint32_t)v;
	return 0;
}

/* Marks for "not given" while parsing. */
#define UNSET	UINT32_MAX

static int
user_key(struct mtls_db_user_in *u, const char *file, unsigned line,
    char *key, char *val, struct mtls_err *err)
{
	struct mtls_db_principal_in *pv;
	char *kind;
	int k, r;

	if (has_ctl(val))
		return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: control "
		    "character in %s", file, line, key);
	if (strcmp(key, "uid") == 0)
		return parse_id(file, line, key, val, &u->uid, err);
	if (strcmp(key, "gid") == 0)
		return parse_id(file, line, key, val, &u->gid, err);
	if (strcmp(key, "gecos") == 0 && u->gecos == NULL)
		u->gecos = val;
	else if (strcmp(key, "home") == 0 && u->home == NULL)
		u->home = val;
	else if (strcmp(key, "shell") == 0 && u->shell == NULL)
		u->shell = val;
	else if (strcmp(key, "principal") == 0) {
		kind = val;
		val += strcspn(val, " \t");
		if (*val != '\0')
			*val++ = '\0';
		val += strspn(val, " \t");
		if ((k = mtls_principal_kind_parse(kind)) == 0)
			return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: unknown "
			    "principal kind '%s' (subject, fingerprint, email, "
			    "upn, uri)", file, line, kind);
		pv = (struct mtls_db_principal_in *)u->principals;
		if ((r = grow((void **)&pv, u->n_principals, sizeof(*pv),
		    MTLS_DB_MAX_PRINCIPALS)) != 0)
			return mtls_err_set(err, r, "%s:%u: too many "
			    "principals (at most %d)", file, line,
			    MTLS_DB_MAX_PRINCIPALS);
		pv[u->n_principals].kind = k;
		pv[u->n_principals].value = val;
		u->principals = pv;
		u->n_principals++;
	} else
		return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: unknown or "
		    "repeated key '%s'", file, line, key);
	return 0;
}

int
mtls_idsrc_parse_users(struct mtls_idsrc *src, const char *name, char *text,
    size_t len, struct mtls_err *err)
{
	struct mtls_db_user_in *u = NULL;
	char *p = text, *end = text + len, *l, *k, *v;
	unsigned line = 0;
	int r = MTLS_E_CONFIG;

	src->users_text = text;
	while ((l = next_line(&p, end)) != NULL) {
		line++;
		if (!split_kv(l, &k, &v))
			continue;
		if (strcmp(k, "user") == 0) {
			if ((r = grow((void **)&src->users, src->n_users,
			    sizeof(*src->users), MTLS_DB_MAX_RECORDS)) != 0 ||
			    (r = grow((void **)&src->user_line, src->n_users,
			    sizeof(unsigned), MTLS_DB_MAX_RECORDS)) != 0) {
				mtls_err_set(err, r, "%s:%u: too many users",
				    name, line);
				goto out;
			}
			u = &src->users[src->n_users];
			memset(u, 0, sizeof(*u));
			u->name = v;
			u->uid = u->gid = UNSET;
			src->user_line[src->n_users++] = line;
			continue;
		}
		if (u == NULL) {
			r = mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: '%s' "
			    "before the first 'user NAME' line", name, line, k);
			goto out;
		}
		if ((r = user_key(u, name, line, k, v, err)) != 0)
			goto out;
	}
	r = 0;
 out:
	return r;
}

int
mtls_idsrc_parse_groups(struct mtls_idsrc *src, const char *name, char *text,
    size_t len, struct mtls_err *err)
{
	struct mtls_db_group_in *g = NULL;
	char *p = text, *end = text + len, *l, *k, *v;
	unsigned line = 0;
	int r = MTLS_E_CONFIG;

	src->groups_text = text;
	while ((l = next_line(&p, end)) != NULL) {
		line++;
		if (!split_kv(l, &k, &v))
			continue;
		if (strcmp(k, "group") == 0) {
			if ((r = grow((void **)&src->groups, src->n_groups,
			    sizeof(*src->groups), MTLS_DB_MAX_RECORDS)) != 0 ||
			    (r = grow((void **)&src->group_line, src->n_groups,
			    sizeof(unsigned), MTLS_DB_MAX_RECORDS)) != 0) {
				mtls_err_set(err, r, "%s:%u: too many groups",
				    name, line);
				goto out;
			}
			g = &src->groups[src->n_groups];
			memset(g, 0, sizeof(*g));
			g->name = v;
			g->gid = UNSET;
			src->group_line[src->n_groups++] = line;
			continue;
		}
		if (g == NULL) {
			r = mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: '%s' "
			    "before the first 'group NAME' line", name, line,
			    k);
			goto out;
		}
		if (strcmp(k, "gid") == 0) {
			if ((r = parse_id(name, line, k, v, &g->gid, err)) != 0)
				goto out;
		} else if (strcmp(k, "member") == 0) {
			if ((r = grow((void **)&g->members, g->n_members,
			    sizeof(char *), MTLS_DB_MAX_MEMBERS)) != 0) {
				mtls_err_set(err, r, "%s:%u: too many members",
				    name, line);
				goto out;
			}
			g->members[g->n_members++] = v;
		} else {
			r = mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: unknown "
			    "key '%s'", name, line, k);
			goto out;
		}
	}
	r = 0;
 out:
	return r;
}

void
mtls_idsrc_clear(struct mtls_idsrc *src)
{
	uint32_t i;

	if (src == NULL)
		return;
	for (i = 0; i < src->n_users; i++)
		free((void *)src->users[i].principals);
	for (i = 0; i < src->n_groups; i++)
		free(src->groups[i].members);
	free(src->users);
	free(src->groups);
	free(src->user_line);
	free(src->group_line);
	free(src->users_text);
	free(src->groups_text);
	free(src->users_path);
	free(src->groups_path);
	memset(src, 0, sizeof(*src));
}

/* ---- checking -------------------------------------------------------- */

/* Names and ids of a passwd- or group-format text, sorted. */
struct sysdb {
	char		**names;
	uint32_t	 *ids;
	size_t		  n;
};

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void
sysdb_free(struct sysdb *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->names[i]);
	free(s->names);
	free(s->ids);
	memset(s, 0, sizeof(*s));
}

static int
sysdb_load(struct sysdb *s, const char *text)
{
	const char *p = text, *nl, *c1, *c2, *c3;
	unsigned long id;
	size_t cap = 0;
	char num[16];

	memset(s, 0, sizeof(*s));
	for (; p != NULL && *p != '\0'; p = nl ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		/* name:passwd:id: */
		if ((c1 = strchr(p, ':')) == NULL || (nl && c1 > nl) ||
		    (c2 = strchr(c1 + 1, ':')) == NULL || (nl && c2 > nl) ||
		    (c3 = strchr(c2 + 1, ':')) == NULL || (nl && c3 > nl) ||
		    c1 == p || *p == '+' || *p == '-' || *p == '#')
			continue;
		if ((size_t)(c3 - c2 - 1) >= sizeof(num))
			continue;
		memcpy(num, c2 + 1, (size_t)(c3 - c2 - 1));
		num[c3 - c2 - 1] = '\0';
		if (mtls_parse_uint(num, 0, UINT32_MAX, &id) != 0)
			continue;
		if (s->n == cap) {
			char **nn;
			uint32_t *ni;

			cap = cap ? cap * 2 : 64;
			if ((nn = realloc(s->names, cap * sizeof(*nn))) == NULL)
				return MTLS_E_NOMEM;
			s->names = nn;
			if ((ni = realloc(s->ids, cap * sizeof(*ni))) == NULL)
				return MTLS_E_NOMEM;
			s->ids = ni;
		}
		if ((s->names[s->n] = strndup(p, (size_t)(c1 - p))) == NULL)
			return MTLS_E_NOMEM;
		s->ids[s->n++] = (uint32_t)id;
	}
	if (s->n > 0) {
		qsort(s->names, s->n, sizeof(*s->names), cmp_str);
		qsort(s->ids, s->n, sizeof(*s->ids), cmp_u32);
	}
	return 0;
}

static int
sysdb_has_name(const struct sysdb *s, const char *name)
{
	return s->n > 0 && bsearch(&name, s->names, s->n, sizeof(*s->names),
	    cmp_str) != NULL;
}

static int
sysdb_has_id(const struct sysdb *s, uint32_t id)
{
	return s->n > 0 && bsearch(&id, s->ids, s->n, sizeof(*s->ids),
	    cmp_u32) != NULL;
}

/* Index order sorted by name or id, to find duplicates. */
struct keyed {
	const char	*name;
	uint32_t	 id;
	unsigned	 line;
};

static int
cmp_kname(const void *a, const void *b)
{
	return strcmp(((const struct keyed *)a)->name,
	    ((const struct keyed *)b)->name);
}

static int
cmp_kid(const void *a, const void *b)
{
	return cmp_u32(&((const struct keyed *)a)->id,
	    &((const struct keyed *)b)->id);
}

static int
dups(struct keyed *k, size_t n, const char *file, const char *what,
    struct mtls_err *err)
{
	size_t i;

	if (n < 2)
		return 0;
	qsort(k, n, sizeof(*k), cmp_kname);
	for (i = 1; i < n; i++)
		if (strcmp(k[i].name, k[i - 1].name) == 0)
			return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: "
			    "duplicate %s name '%s' (also line %u)", file,
			    k[i].line > k[i - 1].line ? k[i].line :
			    k[i - 1].line, what, k[i].name, k[i].line >
			    k[i - 1].line ? k[i - 1].line : k[i].line);
	qsort(k, n, sizeof(*k), cmp_kid);
	for (i = 1; i < n; i++)
		if (k[i].id == k[i - 1].id)
			return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: "
			    "duplicate %s id %u (also line %u)", file,
			    k[i].line > k[i - 1].line ? k[i].line :
			    k[i - 1].line, what, k[i].id, k[i].line >
			    k[i - 1].line ? k[i - 1].line : k[i].line);
	return 0;
}

/* user@domain with both parts and no blanks. */
static int
at_form(const char *v)
{
	const char *at = strrchr(v, '@');

	return at != NULL && at != v && at[1] != '\0' &&
	    strpbrk(v, " \t") == NULL;
}

/* scheme:rest with an RFC 3986 scheme and no blanks. */
static int
uri_form(const char *v)
{
	const char *p = v;

	if (!isalpha((unsigned char)*p))
		return 0;
	while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' ||
	    *p == '.')
		p++;
	return *p == ':' && p[1] != '\0' && strpbrk(v, " \t") == NULL;
}

static int
check_principal(struct mtls_db_principal_in *pr, char *fpbuf)
{
	unsigned char fp[32];

	if (pr->value[0] == '\0' || strlen(pr->value) > 1024)
		return 0;
	switch (pr->kind) {
	case MTLS_PRINCIPAL_SUBJECT:
		return strchr(pr->value, '=') != NULL;
	case MTLS_PRINCIPAL_FINGERPRINT:
		if (mtls_parse_fingerprint(pr->value, fp) != 0)
			return 0;
		mtls_hex(fp, sizeof(fp), 0, fpbuf);
		return 1;
	case MTLS_PRINCIPAL_EMAIL:
	case MTLS_PRINCIPAL_UPN:
		return at_form(pr->value);
	case MTLS_PRINCIPAL_URI:
		return uri_form(pr->value);
	}
	return 0;
}

/* Fields end up in passwd lines: no ':' (and no control characters). */
static int
field_ok(const char *s)
{
	return s != NULL && strchr(s, ':') == NULL && !has_ctl(s);
}

static int
check_user(struct mtls_db_user_in *u, const char *file, unsigned line,
    const struct mtls_idsrc_env *env, const struct sysdb *pw,
    struct mtls_err *err)
{
	struct mtls_db_principal_in *pv;
	char fp[65];
	uint32_t j;

	if (!mtls_name_valid(u->name, strlen(u->name)))
		return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: '%s' is not a "
		    "valid user name ([a-z_][a-z0-9_-]{0,31})", file, line,
		    u->name);
	if (u->uid == UNSET || u->gid == UNSET)
		return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: user %s has no "
		    "%s", file, line, u->name, u->uid == UNSET ? "uid" : "gid");
	if (u->uid < env->id_min || u->uid > env->id_max)
		return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: uid %u of %s "
		    "is outside the range %u-%u", file, line, u->uid, u->name,
		    env->id_min, env->id_max);
	if (sysdb_has_name(pw, u->name))
		return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: user %s "
		    "already exists in the system's passwd", file, line,
		    u->name);
	if (sysdb_has_id(pw, u->uid))
		return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: uid %u of %s "
		    "is already used in the system's passwd", file, line,
		    u->uid, u->name);
	if (u->home == NULL)
		return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: user %s has no "
		    "home", file, line, u->name);
	if (u->shell == NULL)
		u->shell = "/bin/sh";
	if (u->home[0] != '/' || !field_ok(u->home) || !field_ok(u->shell) ||
	    !field_ok(u->gecos ? u->gecos : ""))
		return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: user %s: home "
		    "must be absolute; no field may contain ':'", file, line,
		    u->name);
	if (u->shell[0] != '/' || (env->shell_ok != NULL &&
	    !env->shell_ok(u->shell)))
		return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: user %s: shell "
		    "%s does not exist or is not executable", file, line,
		    u->name, u->shell);
	pv = (struct mtls_db_principal_in *)u->principals;
	for (j = 0; j < u->n_principals; j++) {
		if (!check_principal(&pv[j], fp))
			return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: user "
			    "%s: malformed %s principal '%s'", file, line,
			    u->name, mtls_principal_kind_name(pv[j].kind),
			    pv[j].value);
		if (pv[j].kind == MTLS_PRINCIPAL_FINGERPRINT)
			memcpy((char *)pv[j].value, fp, 65);
	}
	return 0;
}

static int
check_group(struct mtls_db_group_in *g, const char *file, unsigned line,
    const struct mtls_idsrc_env *env, const struct sysdb *gr,
    struct mtls_err *err)
{
	uint32_t j;

	if (!mtls_name_valid(g->name, strlen(g->name)))
		return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: '%s' is not a "
		    "valid group name", file, line, g->name);
	if (g->gid == UNSET)
		return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: group %s has "
		    "no gid", file, line, g->name);
	if (g->gid < env->id_min || g->gid > env->id_max)
		return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: gid %u of %s "
		    "is outside the range %u-%u", file, line, g->gid, g->name,
		    env->id_min, env->id_max);
	if (sysdb_has_name(gr, g->name))
		return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: group %s "
		    "already exists in the system's group file", file, line,
		    g->name);
	if (sysdb_has_id(gr, g->gid))
		return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: gid %u of %s "
		    "is already used in the system's group file", file, line,
		    g->gid, g->name);
	for (j = 0; j < g->n_members; j++)
		if (!mtls_name_valid(g->members[j], strlen(g->members[j])))
			return mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: group "
			    "%s: '%s' is not a valid member name", file, line,
			    g->name, g->members[j]);
	return 0;
}

int
mtls_idsrc_check(struct mtls_idsrc *src, const struct mtls_idsrc_env *env,
    struct mtls_err *err)
{
	struct sysdb pw = { NULL, NULL, 0 }, gr = { NULL, NULL, 0 };
	struct keyed *k = NULL;
	const char *uf = src->users_path ? src->users_path : "users";
	const char *gf = src->groups_path ? src->groups_path : "groups";
	size_t n;
	uint32_t i, *gids = NULL;
	int r = MTLS_E_NOMEM;

	if (sysdb_load(&pw, env->passwd ? env->passwd : "") != 0 ||
	    sysdb_load(&gr, env->group ? env->group : "") != 0)
		goto out;
	for (i = 0; i < src->n_users; i++)
		if ((r = check_user(&src->users[i], uf, src->user_line[i], env,
		    &pw, err)) != 0)
			goto out;
	for (i = 0; i < src->n_groups; i++)
		if ((r = check_group(&src->groups[i], gf, src->group_line[i],
		    env, &gr, err)) != 0)
			goto out;
	n = src->n_users > src->n_groups ? src->n_users : src->n_groups;
	if (n > 0 && (k = calloc(n, sizeof(*k))) == NULL) {
		r = MTLS_E_NOMEM;
		goto out;
	}
	for (i = 0; i < src->n_users; i++) {
		k[i].name = src->users[i].name;
		k[i].id = src->users[i].uid;
		k[i].line = src->user_line[i];
	}
	if ((r = dups(k, src->n_users, uf, "user", err)) != 0)
		goto out;
	for (i = 0; i < src->n_groups; i++) {
		k[i].name = src->groups[i].name;
		k[i].id = src->groups[i].gid;
		k[i].line = src->group_line[i];
	}
	if ((r = dups(k, src->n_groups, gf, "group", err)) != 0)
		goto out;
	/* a primary group is one of ours or one of the system's */
	if (src->n_groups > 0) {
		if ((gids = calloc(src->n_groups, sizeof(*gids))) == NULL) {
			r = MTLS_E_NOMEM;
			goto out;
		}
		for (i = 0; i < src->n_groups; i++)
			gids[i] = src->groups[i].gid;
		qsort(gids, src->n_groups, sizeof(*gids), cmp_u32);
	}
	for (i = 0; i < src->n_users; i++) {
		uint32_t g = src->users[i].gid;

		if ((gids == NULL || bsearch(&g, gids, src->n_groups,
		    sizeof(*gids), cmp_u32) == NULL) && !sysdb_has_id(&gr, g)) {
			r = mtls_err_set(err, MTLS_E_CONFIG, "%s:%u: user %s: "
			    "primary gid %u is neither in the groups file nor "
			    "in the system's", uf, src->user_line[i],
			    src->users[i].name, g);
			goto out;
		}
	}
	r = 0;
 out:
	free(gids);
	free(k);
	sysdb_free(&pw);
	sysdb_free(&gr);
	return r;
}
