/*
 * mapping.c - certificate identity to local accounts.
 */
#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db.h"
#include "log.h"
#include "mapping.h"

/*
 * The identity database, opened at most once per mtls_map() call and read
 * on demand: a login looks up its certificate's principals in the
 * database's index and reads the few blocks that takes, each checked
 * against the block sum the file carries, so its cost does not grow with
 * the number of accounts.  Not mapped: a file truncated in place under a
 * mapping kills the process (sshd) with SIGBUS at the next page past its
 * end; here a short read is an error like any other.
 */
struct dbview {
	const char	*path;
	int		 tried;
	int		 ok;
	int		 fd;
	unsigned char	*base;		/* len bytes of address space */
	size_t		 len;
	atomic_uchar	*present;
	struct mtls_db	 db;
};

static int
dbview_read(void *ctx, void *dst, size_t n, size_t off)
{
	return mtls_pread_full(((struct dbview *)ctx)->fd, dst, n, off);
}

/* One thread per view: no lock around the fill. */
static int
dbview_fetch(void *ctx, size_t off, size_t n)
{
	struct dbview *v = ctx;

	return mtls_db_fill(&v->db, off, n) == 0 ? 0 : -1;
}

/* Open the database (root-owned, not writable by others); 0 or a code. */
static int
dbview_open(struct dbview *v)
{
	struct mtls_err e = { 0, "" };
	struct mtls_db_lazy lazy;
	struct stat st;
	uint32_t ver;
	int r = MTLS_E_CORRUPT;

	if (v->tried)
		return v->ok ? 0 : MTLS_E_CORRUPT;
	v->tried = 1;
	/* opened without blocking: a FIFO there must not stall the login */
	if ((r = mtls_file_open(v->path, "identity database", &v->fd, &e)) !=
	    0) {
		mtls_log(LOG_WARNING, "%s; from=db rules map nothing",
		    mtls_err_msg(&e));
		return r;
	}
	r = MTLS_E_CORRUPT;
	if (fstat(v->fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size < MTLS_DB_BLOCK ||
	    (uint64_t)st.st_size > MTLS_DB_MAX_SIZE)
		goto bad;
	v->len = (size_t)st.st_size;
	v->base = mmap(NULL, v->len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (v->base == MAP_FAILED) {
		v->base = NULL;
		r = MTLS_E_NOMEM;
		goto bad;
	}
	if ((v->present = calloc(mtls_db_nblocks(v->len),
	    sizeof(*v->present))) == NULL) {
		r = MTLS_E_NOMEM;
		goto bad;
	}
	lazy = (struct mtls_db_lazy){ v->present, MTLS_DB_BLOCK_SHIFT,
	    dbview_fetch, v };
	if (mtls_db_open_file(&v->db, v->base, v->len, &lazy, dbview_read, v)
	    != 0)
		goto bad;
	v->ok = 1;
	return 0;
 bad:
	ver = v->base != NULL ? mtls_db_version(v->base, v->len) : 0;
	if (ver != 0 && ver != MTLS_DB_VERSION)
		mtls_log(LOG_WARNING, "identity database %s has format version "
		    "%u, not %u: run `mtls db build`; from=db rules map "
		    "nothing", v->path, ver, MTLS_DB_VERSION);
	else
		mtls_log(LOG_WARNING, "identity database %s: %s; from=db "
		    "rules map nothing", v->path, mtls_strerror(r));
	return r;
}

static void
dbview_close(struct dbview *v)
{
	if (v->base != NULL)
		munmap(v->base, v->len);
	free(v->present);
	if (v->fd >= 0)
		close(v->fd);
	memset(v, 0, sizeof(*v));
	v->fd = -1;
}

/*
 * getpwnam_r with a buffer that grows on ERANGE: an entry is as long as
 * its home directory and shell make it (a 4 KiB home is legitimate).
 */
#define PW_BUF_MIN	4096
#define PW_BUF_MAX	(1024 * 1024)

int
mtls_uid_lookup_system(void *ctx, const char *name, uid_t *uid)
{
	struct passwd pw, *res = NULL;
	char *buf = NULL, *nb;
	size_t size;
	int e, r = MTLS_E_TOO_LARGE;

	(void)ctx;
	for (size = PW_BUF_MIN; size <= PW_BUF_MAX; size *= 2) {
		if ((nb = realloc(buf, size)) == NULL) {
			r = MTLS_E_NOMEM;
			goto out;
		}
		buf = nb;
		if ((e = getpwnam_r(name, &pw, buf, size, &res)) == ERANGE)
			continue;
		if (e != 0)
			r = MTLS_E_IO;
		else if (res == NULL)
			r = MTLS_E_NOT_FOUND;
		else {
			*uid = pw.pw_uid;
			r = 0;
		}
		goto out;
	}
 out:
	free(buf);
	return r;
}

int
mtls_dn_has_suffix(const char *dn, const char *suffix)
{
	size_t dl = strlen(dn), sl = strlen(suffix), bs = 0, i;

	if (sl == 0 || sl > dl || strcmp(dn + dl - sl, suffix) != 0)
		return 0;
	if (sl == dl)
		return 1;
	if (dn[dl - sl - 1] != ',')
		return 0;
	/* The ',' separates RDNs only when an even number of '\' precede it. */
	for (i = dl - sl - 1; i > 0 && dn[i - 1] == '\\'; i--)
		bs++;
	return bs % 2 == 0;
}

static int
list_has(const struct mtls_strlist *l, const char *v)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i], v) == 0)
			return 1;
	return 0;
}

/* Every selector the rule sets must match. */
static int
selectors_match(const struct mtls_rule *r, const struct mtls_identity *id)
{
	if (r->has_fingerprint && memcmp(r->fingerprint, id->fingerprint,
	    sizeof(r->fingerprint)) != 0)
		return 0;
	/* Only the issuer of the verified path, never a presented one. */
	if (r->has_issuer_fingerprint && (!id->has_issuer_fingerprint ||
	    memcmp(r->issuer_fingerprint, id->issuer_fingerprint,
	    sizeof(r->issuer_fingerprint)) != 0))
		return 0;
	if (r->issuer != NULL && strcmp(r->issuer, id->issuer) != 0)
		return 0;
	if (r->subject != NULL && strcmp(r->subject, id->subject) != 0)
		return 0;
	if (r->subject_suffix != NULL &&
	    !mtls_dn_has_suffix(id->subject, r->subject_suffix))
		return 0;
	if (r->email != NULL && !list_has(&id->email, r->email))
		return 0;
	if (r->upn != NULL && !list_has(&id->upn, r->upn))
		return 0;
	if (r->uri != NULL && !list_has(&id->uri, r->uri))
		return 0;
	return 1;
}

int
mtls_accounts_has(const struct mtls_accounts *a, const char *name)
{
	size_t i;

	if (a == NULL || name == NULL)
		return 0;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->v[i].name, name) == 0)
			return 1;
	return 0;
}

void
mtls_accounts_clear(struct mtls_accounts *a)
{
	if (a == NULL)
		return;
	free(a->v);
	a->v = NULL;
	a->n = 0;
}

static int offer(const struct mtls_rule *r, const char *name, size_t len,
    mtls_uid_fn lookup, void *ctx, struct mtls_accounts *out);

/* The accounts (record indexes) the principals of a certificate name. */
struct dbhits {
	uint32_t	*v;
	size_t		 n, cap;
	int		 nomem;
};

static void
dbhits_add(void *ctx, const struct mtls_db_user *u)
{
	struct dbhits *h = ctx;
	uint32_t *nv;
	size_t cap;

	if (h->nomem)
		return;
	if (h->n == h->cap) {
		cap = h->cap ? h->cap * 2 : 16;
		if (cap > (size_t)MTLS_DB_MAX_RECORDS * MTLS_DB_MAX_PRINCIPALS
		    || (nv = reallocarray(h->v, cap, sizeof(*nv))) == NULL) {
			h->nomem = 1;
			return;
		}
		h->v = nv;
		h->cap = cap;
	}
	h->v[h->n++] = u->index;
}

static int
u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Every account that lists one of the certificate's principals. */
static int
db_principals(const struct mtls_db *db, const struct mtls_identity *id,
    struct dbhits *h)
{
	const struct mtls_strlist *lists[] = { &id->email, &id->upn, &id->uri };
	static const int kinds[] = { MTLS_PRINCIPAL_EMAIL, MTLS_PRINCIPAL_UPN,
	    MTLS_PRINCIPAL_URI };
	char hex[2 * 32 + 1];
	size_t i, k;
	int r;

	if (id->subject != NULL && (r = mtls_db_find_principal(db,
	    MTLS_PRINCIPAL_SUBJECT, id->subject, dbhits_add, h)) != 0)
		return r;
	mtls_hex(id->fingerprint, sizeof(id->fingerprint), 0, hex);
	if ((r = mtls_db_find_principal(db, MTLS_PRINCIPAL_FINGERPRINT, hex,
	    dbhits_add, h)) != 0)
		return r;
	for (k = 0; k < 3; k++)
		for (i = 0; i < lists[k]->n; i++)
			if ((r = mtls_db_find_principal(db, kinds[k],
			    lists[k]->v[i], dbhits_add, h)) != 0)
				return r;
	return h->nomem ? MTLS_E_NOMEM : 0;
}

/*
 * from=db: every account of the database that lists one of the
 * certificate's principals, in the database's order, each once.  Never
 * root: the database's ids are checked to be in a range far from 0 when
 * it is built, and uid 0 is refused here again whatever allow_root says.
 * All or nothing: a database that cannot be read for one of the
 * accounts gives none of them.
 */
static int
offer_db(const struct mtls_rule *r, const struct mtls_identity *id,
    struct dbview *v, mtls_uid_fn lookup, void *ctx,
    struct mtls_accounts *out)
{
	struct dbhits h = { NULL, 0, 0, 0 };
	struct mtls_db_user u;
	size_t i, n;
	int rv = 0, pass;

	if (dbview_open(v) != 0)
		return 0;
	if ((rv = db_principals(&v->db, id, &h)) != 0) {
		mtls_log(LOG_WARNING, "identity database %s: %s; from=db "
		    "rules map nothing", v->path, mtls_strerror(rv));
		rv = rv == MTLS_E_NOMEM ? rv : 0;
		goto out;
	}
	if (h.n > 0)
		qsort(h.v, h.n, sizeof(*h.v), u32_cmp);
	for (i = 0, n = 0; i < h.n; i++)
		if (n == 0 || h.v[n - 1] != h.v[i])
			h.v[n++] = h.v[i];
	/* every account read before the first is offered */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < n; i++) {
			if (mtls_db_user_at(&v->db, h.v[i], &u) != 0) {
				mtls_log(LOG_WARNING, "identity database %s: "
				    "%s; from=db rules map nothing", v->path,
				    mtls_strerror(MTLS_E_CORRUPT));
				goto out;
			}
			if (pass == 0)
				continue;
			if (u.uid == 0 || strcmp(u.name, "root") == 0) {
				mtls_log(LOG_WARNING, "%s:%u: the identity "
				    "database gives %s (uid 0); from=db never "
				    "maps root", r->file, r->line, u.name);
				continue;
			}
			if ((rv = offer(r, u.name, strlen(u.name), lookup,
			    ctx, out)) != 0)
				goto out;
		}
	}
 out:
	free(h.v);
	return rv;
}

/* Validate one candidate name of len bytes and add it. */
static int
offer(const struct mtls_rule *r, const char *name, size_t len,
    mtls_uid_fn lookup, void *ctx, struct mtls_accounts *out)
{
	struct mtls_account *nv;
	char buf[MTLS_NAME_MAX + 1];
	uid_t uid = (uid_t)-1;
	int lr;

	if (!mtls_name_valid(name, len)) {
		mtls_log(LOG_DEBUG, "%s:%u: a certificate value is not a valid "
		    "user name; ignored", r->file, r->line);
		return 0;
	}
	memcpy(buf, name, len);
	buf[len] = '\0';
	lr = lookup(ctx, buf, &uid);
	if (lr != 0 && lr != MTLS_E_NOT_FOUND) {
		mtls_log(LOG_WARNING, "%s:%u: cannot look up account %s: %s; "
		    "not mapped", r->file, r->line, buf, mtls_strerror(lr));
		return 0;
	}
	if ((strcmp(buf, "root") == 0 || (lr == 0 && uid == 0)) &&
	    (!(r->allow_root && r->has_fingerprint) ||
	    r->from == MTLS_FIELD_DB)) {
		mtls_log(LOG_WARNING, "%s:%u: would map to %s (uid 0) without "
		    "a fingerprint-pinned allow_root rule; refused", r->file,
		    r->line, buf);
		return 0;
	}
	if (mtls_accounts_has(out, buf))
		return 0;
	if (out->n >= MTLS_CONF_MAX_RULES * 4)
		return MTLS_E_TOO_LARGE;
	if ((nv = realloc(out->v, (out->n + 1) * sizeof(*nv))) == NULL)
		return MTLS_E_NOMEM;
	out->v = nv;
	memcpy(nv[out->n].name, buf, len + 1);
	nv[out->n].rule = r;
	out->n++;
	return 0;
}

/* Candidates "user@X" from l whose X equals want; offers each user part. */
static int
offer_split(const struct mtls_rule *r, const struct mtls_strlist *l,
    const char *want, int icase, mtls_uid_fn lookup, void *ctx,
    struct mtls_accounts *out)
{
	const char *at;
	size_t i;
	int rv;

	for (i = 0; i < l->n; i++) {
		if ((at = strrchr(l->v[i], '@')) == NULL)
			continue;
		if ((icase ? strcasecmp(at + 1, want) : strcmp(at + 1, want))
		    != 0)
			continue;
		if ((rv = offer(r, l->v[i], (size_t)(at - l->v[i]), lookup, ctx,
		    out)) != 0)
			return rv;
	}
	return 0;
}

/*
 * A field with exactly one value (CN, UID): several are ambiguous.  count
 * is every attribute of the kind, l only those that could be read: a
 * value in another string type, or with a NUL, still counts, and when
 * the one attribute is unreadable nothing is given.
 */
static int
offer_single(const struct mtls_rule *r, const struct mtls_strlist *l,
    unsigned count, mtls_uid_fn lookup, void *ctx,
    struct mtls_accounts *out)
{
	if (count != 1 || l->n != 1) {
		mtls_log(LOG_DEBUG, "%s:%u: the certificate has %u %s "
		    "attribute%s (%zu readable); exactly one, readable, is "
		    "needed", r->file, r->line, count,
		    mtls_field_name(r->from), count == 1 ? "" : "s", l->n);
		return 0;
	}
	return offer(r, l->v[0], strlen(l->v[0]), lookup, ctx, out);
}

static int
apply_rule(const struct mtls_rule *r, const struct mtls_identity *id,
    struct dbview *v, mtls_uid_fn lookup, void *ctx,
    struct mtls_accounts *out)
{
	size_t i, pl;

	if (!selectors_match(r, id))
		return 0;
	if (r->user != NULL)
		return offer(r, r->user, strlen(r->user), lookup, ctx, out);
	switch (r->from) {
	case MTLS_FIELD_CN:
		return offer_single(r, &id->cn, id->n_cn_attrs, lookup, ctx,
		    out);
	case MTLS_FIELD_UID:
		return offer_single(r, &id->uid, id->n_uid_attrs, lookup, ctx,
		    out);
	case MTLS_FIELD_EMAIL:
		/* DNS names are case-insensitive; the local part is not. */
		return offer_split(r, &id->email, r->domain, 1, lookup, ctx,
		    out);
	case MTLS_FIELD_UPN:
		return offer_split(r, &id->upn, r->realm, 0, lookup, ctx, out);
	case MTLS_FIELD_URI:
		pl = strlen(r->prefix);
		for (i = 0; i < id->uri.n; i++) {
			int rv;

			if (strncmp(id->uri.v[i], r->prefix, pl) != 0)
				continue;
			if ((rv = offer(r, id->uri.v[i] + pl,
			    strlen(id->uri.v[i] + pl), lookup, ctx, out)) != 0)
				return rv;
		}
		return 0;
	case MTLS_FIELD_DB:
		return offer_db(r, id, v, lookup, ctx, out);
	case MTLS_FIELD_NONE:
		break;
	}
	return 0;
}

int
mtls_map(const struct mtls_conf *conf, const struct mtls_identity *id,
    mtls_uid_fn lookup, void *ctx, struct mtls_accounts *out,
    struct mtls_err *err)
{
	struct dbview v;
	size_t i;
	int r = MTLS_E_INTERNAL;

	memset(&v, 0, sizeof(v));
	v.fd = -1;
	mtls_accounts_clear(out);
	if (conf == NULL || id == NULL || lookup == NULL) {
		r = mtls_err_set(err, MTLS_E_INVAL, NULL);
		goto out;
	}
	v.path = conf->identity_db != NULL ? conf->identity_db : MTLS_ID_DB;
	for (i = 0; i < conf->n_rules; i++) {
		if ((r = apply_rule(&conf->rules[i], id, &v, lookup, ctx,
		    out)) != 0) {
			mtls_err_set(err, r, NULL);
			goto out;
		}
	}
	if (out->n == 0) {
		r = mtls_err_set(err, MTLS_E_NO_MAPPING, "%s: %s",
		    mtls_strerror(MTLS_E_NO_MAPPING), conf->n_rules == 0 ?
		    "no map rules are configured" : "no map rule matched");
		goto out;
	}
	r = 0;
 out:
	dbview_close(&v);
	if (r != 0)
		mtls_accounts_clear(out);
	return r;
}
