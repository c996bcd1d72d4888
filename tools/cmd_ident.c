/*
 * cmd_ident.c - mtls user|group: edit the identity sources (mtls-identity(5)).
 *
 * Every edit runs under one lock (flock on .lock next to the users file),
 * works on the text of the sources, and changes only the blocks it is
 * about: other blocks, their comments and their order stay byte for byte.
 * The edited texts are parsed and checked exactly as `mtls db build` does
 * before anything is written; each file is then replaced atomically.
 * Ids come from a high-water mark kept in "ids" next to the users file,
 * so an id is never handed out twice, even after its owner is deleted.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <libgen.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "db.h"
#include "idsrc.h"
#include "util.h"

#define MAX_PRINC	MTLS_DB_MAX_PRINCIPALS

struct id_opts {
	const char	*users;
	const char	*groups;
	const char	*db;
	const char	*passwd;
	const char	*group;
	uint32_t	 id_min, id_max;
	long long	 uid, gid;	/* -1: allocate */
	const char	*pgroup;	/* --group NAME */
	const char	*gecos;
	const char	*home;
	const char	*shell;
	const char	*princ[MAX_PRINC];
	int		 n_princ;
	int		 build;
};

/* One source file as text, with its lines classified. */
enum { L_BLANK, L_COMMENT, L_OPEN, L_KEY };
struct line {
	size_t	 off, end;	/* end: past the newline */
	int	 kind;
	char	 key[16];
	char	*val;		/* owned; trimmed */
};
struct text {
	char		*buf;	/* NUL-terminated */
	size_t		 len;
	struct line	*l;
	size_t		 n;
};

static void
text_lines_free(struct text *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->l[i].val);
	free(t->l);
	t->l = NULL;
	t->n = 0;
}

static void
text_free(struct text *t)
{
	text_lines_free(t);
	free(t->buf);
	t->buf = NULL;
	t->len = 0;
}

/* Classify the lines as the source parser reads them (idsrc.c). */
static int
text_scan(struct text *t, const char *opener)
{
	const char *p = t->buf, *end = t->buf + t->len, *nl, *s, *e, *k;
	struct line *nv, *ln;
	size_t cap = 0;

	text_lines_free(t);
	while (p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if (t->n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((nv = realloc(t->l, cap * sizeof(*nv))) == NULL)
				return MTLS_E_NOMEM;
			t->l = nv;
		}
		ln = &t->l[t->n++];
		memset(ln, 0, sizeof(*ln));
		ln->off = (size_t)(p - t->buf);
		ln->end = (size_t)(nl - t->buf) + (nl < end);
		s = p;
		e = nl;
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t' ||
		    e[-1] == '\r'))
			e--;
		p = nl < end ? nl + 1 : end;
		if (s == e) {
			ln->kind = L_BLANK;
			continue;
		}
		if (*s == '#') {
			ln->kind = L_COMMENT;
			continue;
		}
		k = s;
		while (s < e && *s != ' ' && *s != '\t')
			s++;
		if ((size_t)(s - k) < sizeof(ln->key))
			memcpy(ln->key, k, (size_t)(s - k));
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		if ((ln->val = strndup(s, (size_t)(e - s))) == NULL)
			return MTLS_E_NOMEM;
		ln->kind = strcmp(ln->key, opener) == 0 ? L_OPEN : L_KEY;
	}
	return 0;
}

/*
 * The block of name: its opener line, the key lines up to the next
 * opener, and the comment lines right above the opener (no blank line
 * between).  Returns 0 with [*first, *last] or MTLS_E_NOT_FOUND.
 */
static int
text_block(const struct text *t, const char *name, size_t *open,
    size_t *first, size_t *last)
{
	size_t i, j;

	for (i = 0; i < t->n; i++) {
		if (t->l[i].kind != L_OPEN || strcmp(t->l[i].val, name) != 0)
			continue;
		*open = *first = *last = i;
		for (j = i + 1; j < t->n && t->l[j].kind != L_OPEN; j++)
			if (t->l[j].kind == L_KEY)
				*last = j;
		while (*first > 0 && t->l[*first - 1].kind == L_COMMENT)
			(*first)--;
		return 0;
	}
	return MTLS_E_NOT_FOUND;
}

/* Replace bytes [off, off+cut) of t->buf with ins; lines are rescanned. */
static int
text_splice(struct text *t, size_t off, size_t cut, const char *ins,
    const char *opener)
{
	size_t il = ins ? strlen(ins) : 0, nl = t->len - cut + il;
	char *nb;

	if ((nb = malloc(nl + 1)) == NULL)
		return MTLS_E_NOMEM;
	memcpy(nb, t->buf, off);
	if (il)
		memcpy(nb + off, ins, il);
	memcpy(nb + off + il, t->buf + off + cut, t->len - off - cut);
	nb[nl] = '\0';
	free(t->buf);
	t->buf = nb;
	t->len = nl;
	return text_scan(t, opener);
}

/* Drop a block and the blank lines after it. */
static int
text_remove_block(struct text *t, const char *name, const char *opener)
{
	size_t open, first, last, end;
	int r;

	if ((r = text_block(t, name, &open, &first, &last)) != 0)
		return r;
	while (last + 1 < t->n && t->l[last + 1].kind == L_BLANK)
		last++;
	end = t->l[last].end;
	return text_splice(t, t->l[first].off, end - t->l[first].off, NULL,
	    opener);
}

/* Append a block, one blank line after what is there. */
static int
text_append(struct text *t, const char *block, const char *opener)
{
	const char *sep = "";

	if (t->len > 0 && t->buf[t->len - 1] != '\n')
		sep = "\n\n";
	else if (t->len > 1 && t->buf[t->len - 2] != '\n')
		sep = "\n";
	if (*sep != '\0') {
		int r = text_splice(t, t->len, 0, sep, opener);

		if (r != 0)
			return r;
	}
	return text_splice(t, t->len, 0, block, opener);
}

/* Insert "\tkey value\n" after the last key line of a block. */
static int
text_add_key(struct text *t, const char *name, const char *key,
    const char *val, const char *opener)
{
	size_t open, first, last, at;
	char buf[512];
	int r, n;

	if ((r = text_block(t, name, &open, &first, &last)) != 0)
		return r;
	at = t->l[last].end;
	n = snprintf(buf, sizeof(buf), "%s\t%s %s\n",
	    at > 0 && t->buf[at - 1] != '\n' ? "\n" : "", key, val);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return MTLS_E_TOO_LARGE;
	return text_splice(t, at, 0, buf, opener);
}

/*
 * Remove the "key val" lines of block name (or of every block when name
 * is NULL); *count says how many went.
 */
static int
text_drop_key(struct text *t, const char *name, const char *key,
    const char *val, const char *opener, unsigned *count)
{
	const char *cur = NULL;
	size_t i;
	int r;

	*count = 0;
	for (i = 0; i < t->n; i++) {
		if (t->l[i].kind == L_OPEN)
			cur = t->l[i].val;
		if (t->l[i].kind != L_KEY || cur == NULL ||
		    (name != NULL && strcmp(cur, name) != 0) ||
		    strcmp(t->l[i].key, key) != 0 ||
		    strcmp(t->l[i].val, val) != 0)
			continue;
		if ((r = text_splice(t, t->l[i].off, t->l[i].end - t->l[i].off,
		    NULL, opener)) != 0)
			return r;
		(*count)++;
		i = (size_t)-1;	/* rescanned: start over */
		cur = NULL;
	}
	return 0;
}

/* A source that does not exist yet reads as empty. */
static int
text_load(struct text *t, const char *path, const char *what,
    const char *opener, struct mtls_err *e)
{
	struct stat st;
	int r;

	memset(t, 0, sizeof(*t));
	if (lstat(path, &st) != 0 && errno == ENOENT) {
		if ((t->buf = strdup("")) == NULL)
			return mtls_err_set(e, MTLS_E_NOMEM, NULL);
		return 0;
	}
	if ((r = mtls_file_read(path, what, MTLS_IDSRC_MAX_SIZE, &t->buf,
	    &t->len, e)) != 0)
		return r;
	if ((r = text_scan(t, opener)) != 0)
		return mtls_err_set(e, r, NULL);
	return 0;
}

/* ---- the sources as records, checked as db build checks them --------- */

static int
src_check(const struct id_opts *o, const struct text *ut,
    const struct text *gt, struct mtls_idsrc *src, struct mtls_err *e)
{
	struct cli_idsrc_env ce = { o->passwd, o->group, o->id_min,
	    o->id_max };
	char *u, *g;

	memset(src, 0, sizeof(*src));
	if ((u = strdup(ut->buf)) == NULL || (g = strdup(gt->buf)) == NULL) {
		free(u);
		return mtls_err_set(e, MTLS_E_NOMEM, NULL);
	}
	return cli_idsrc_check(src, o->users, u, ut->len, o->groups, g,
	    gt->len, &ce, e);
}

static const struct mtls_db_user_in *
src_user(const struct mtls_idsrc *s, const char *name)
{
	uint32_t i;

	for (i = 0; i < s->n_users; i++)
		if (strcmp(s->users[i].name, name) == 0)
			return &s->users[i];
	return NULL;
}

static const struct mtls_db_group_in *
src_group(const struct mtls_idsrc *s, const char *name)
{
	uint32_t i;

	for (i = 0; i < s->n_groups; i++)
		if (strcmp(s->groups[i].name, name) == 0)
			return &s->groups[i];
	return NULL;
}

/* ---- lock, id state, other NSS sources -------------------------------- */

static int
side_path(const char *users, const char *name, char *buf, size_t size)
{
	char tmp[4096];
	int n;

	if (strlen(users) >= sizeof(tmp))
		return -1;
	strcpy(tmp, users);
	n = snprintf(buf, size, "%s/%s", dirname(tmp), name);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

static int
lock_sources(const struct id_opts *o, struct mtls_err *e)
{
	char path[4096];
	int fd, r;

	if (side_path(o->users, ".lock", path, sizeof(path)) != 0)
		return mtls_err_set(e, MTLS_E_INVAL, "%s: path too long",
		    o->users);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600)) < 0)
		return mtls_err_set(e, MTLS_E_IO, "%s: %s", path,
		    strerror(errno));
	while (flock(fd, LOCK_EX) != 0) {
		if (errno == EINTR)
			continue;
		r = mtls_err_set(e, MTLS_E_IO, "%s: lock: %s", path,
		    strerror(errno));
		close(fd);
		return r;
	}
	return fd;
}

struct ids {
	char		path[4096];
	unsigned long	next_uid, next_gid;	/* 0: none yet */
};

static int
ids_load(const struct id_opts *o, struct ids *s, struct mtls_err *e)
{
	struct stat st;
	char *buf = NULL, *p, *nl, key[16];
	unsigned long v;
	size_t len;
	int r;

	memset(s, 0, sizeof(*s));
	if (side_path(o->users, "ids", s->path, sizeof(s->path)) != 0)
		return mtls_err_set(e, MTLS_E_INVAL, "%s: path too long",
		    o->users);
	if (lstat(s->path, &st) != 0 && errno == ENOENT)
		return 0;
	if ((r = mtls_file_read(s->path, "id state", 1 << 16, &buf, &len,
	    e)) != 0)
		return r;
	r = 0;
	for (p = buf; *p != '\0'; p = nl ? nl + 1 : p + strlen(p)) {
		char num[24];

		if ((nl = strchr(p, '\n')) != NULL)
			*nl = '\0';
		if (*p == '#' || *p == '\0')
			continue;
		if (sscanf(p, "%15s %23s", key, num) != 2 ||
		    mtls_parse_uint(num, 0, 0xffffffffUL, &v) != 0 ||
		    (strcmp(key, "next_uid") != 0 &&
		    strcmp(key, "next_gid") != 0)) {
			r = mtls_err_set(e, MTLS_E_CONFIG, "%s: bad line '%s'",
			    s->path, p);
			break;
		}
		if (key[5] == 'u')
			s->next_uid = v;
		else
			s->next_gid = v;
	}
	free(buf);
	return r;
}

static int
ids_save(const struct ids *s, struct mtls_err *e)
{
	char buf[256];
	int n;

	n = snprintf(buf, sizeof(buf), "# mtls user/group add: ids below "
	    "these are never handed out again\nnext_uid %lu\nnext_gid %lu\n",
	    s->next_uid, s->next_gid);
	return mtls_file_write_atomic(s->path, buf, (size_t)n, 0644, e);
}

/*
 * The current database, to tell our own accounts from those of other NSS
 * sources: with nss_mtls in nsswitch.conf, getpwnam() also finds what the
 * last `mtls db build` wrote.  A name or id that resolves to exactly the
 * entry the database holds is ours, not a clash.
 */
struct curdb {
	char		*buf;
	struct mtls_db	 db;
	int		 ok;
};

static void
curdb_load(const struct id_opts *o, struct curdb *c)
{
	struct mtls_err e = { 0, "" };
	size_t len;

	memset(c, 0, sizeof(*c));
	if (access(o->db, F_OK) == 0 && mtls_file_read(o->db, "identity "
	    "database", MTLS_DB_MAX_SIZE, &c->buf, &len, &e) == 0 &&
	    mtls_db_open(&c->db, c->buf, len) == 0)
		c->ok = 1;
}

static int
ours_user(const struct curdb *c, const char *name, uint32_t uid)
{
	struct mtls_db_user u;

	return c->ok && mtls_db_user_by_name(&c->db, name, &u) == 0 &&
	    u.uid == uid;
}

static int
ours_group(const struct curdb *c, const char *name, uint32_t gid)
{
	struct mtls_db_group g;

	return c->ok && mtls_db_group_by_name(&c->db, name, &g) == 0 &&
	    g.gid == gid;
}

/* Nonzero when another NSS source knows the user name. */
static int
nss_user_name(const struct curdb *c, const char *name)
{
	struct passwd *pw = getpwnam(name);

	return pw != NULL && !ours_user(c, name, (uint32_t)pw->pw_uid);
}

static int
nss_group_name(const struct curdb *c, const char *name)
{
	struct group *gr = getgrnam(name);

	return gr != NULL && !ours_group(c, name, (uint32_t)gr->gr_gid);
}

static int
nss_uid(const struct curdb *c, uint32_t id)
{
	struct passwd *pw = getpwuid((uid_t)id);

	return pw != NULL && !ours_user(c, pw->pw_name, id);
}

static int
nss_gid(const struct curdb *c, uint32_t id)
{
	struct group *gr = getgrgid((gid_t)id);

	return gr != NULL && !ours_group(c, gr->gr_name, id);
}

/*
 * The next free id: past the high-water mark and every id the sources
 * hold, skipping ids any NSS source resolves (ours included: a deleted
 * account may still be in the database until the next build).
 */
static int
alloc_id(const struct id_opts *o, const struct mtls_idsrc *s, int gid,
    unsigned long *mark, uint32_t *out, struct mtls_err *e)
{
	unsigned long next = *mark;
	uint32_t i, n = gid ? s->n_groups : s->n_users;

	if (next < o->id_min)
		next = o->id_min;
	for (i = 0; i < n; i++) {
		uint32_t id = gid ? s->groups[i].gid : s->users[i].uid;

		if (id >= next && id <= o->id_max)
			next = (unsigned long)id + 1;
	}
	for (; next <= o->id_max; next++)
		if (gid ? getgrgid((gid_t)next) == NULL :
		    getpwuid((uid_t)next) == NULL)
			break;
	if (next > o->id_max)
		return mtls_err_set(e, MTLS_E_TOO_LARGE, "no free %s left in "
		    "%u-%u", gid ? "gid" : "uid", o->id_min, o->id_max);
	*out = (uint32_t)next;
	*mark = next + 1;
	return 0;
}

/* ---- editing ---------------------------------------------------------- */

static int
value_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

static int
name_check(const char *what, const char *name, struct mtls_err *e)
{
	if (!mtls_name_valid(name, strlen(name)))
		return mtls_err_set(e, MTLS_E_INVAL, "'%s' is not a valid %s "
		    "name ([a-z_][a-z0-9_-]{0,31})", name, what);
	return 0;
}

/* What an edit works on; write() replaces what changed. */
struct edit {
	struct text	 u, g;
	struct ids	 ids;
	struct curdb	 cur;
	struct mtls_idsrc src;	/* the sources before the edit */
	int		 u_changed, g_changed, ids_changed;
};

static void
edit_free(struct edit *ed)
{
	text_free(&ed->u);
	text_free(&ed->g);
	free(ed->cur.buf);
	mtls_idsrc_clear(&ed->src);
}

static int
edit_load(const struct id_opts *o, struct edit *ed, struct mtls_err *e)
{
	int r;

	memset(ed, 0, sizeof(*ed));
	curdb_load(o, &ed->cur);
	if ((r = text_load(&ed->u, o->users, "users source", "user", e)) != 0 ||
	    (r = text_load(&ed->g, o->groups, "groups source", "group",
	    e)) != 0 || (r = ids_load(o, &ed->ids, e)) != 0)
		return r;
	if ((r = src_check(o, &ed->u, &ed->g, &ed->src, e)) != 0)
		return mtls_err_set(e, r, "%s (fix the sources first)",
		    mtls_err_msg(e));
	return 0;
}

/*
 * Check the edited texts as db build would, then write: ids first (a
 * burnt id costs nothing), then groups before users when adding, users
 * before groups when deleting, so that a crash between two renames
 * leaves sources that still build.
 */
static int
edit_commit(const struct id_opts *o, struct edit *ed, int users_first,
    struct mtls_err *e)
{
	struct mtls_idsrc chk;
	int r, i;

	if ((r = src_check(o, &ed->u, &ed->g, &chk, e)) != 0)
		goto out;
	if (ed->ids_changed && (r = ids_save(&ed->ids, e)) != 0)
		goto out;
	for (i = 0; i < 2; i++) {
		if ((i == 0) == (users_first != 0)) {
			if (ed->u_changed && (r = mtls_file_write_atomic(
			    o->users, ed->u.buf, ed->u.len, 0644, e)) != 0)
				goto out;
		} else if (ed->g_changed && (r = mtls_file_write_atomic(
		    o->groups, ed->g.buf, ed->g.len, 0644, e)) != 0)
			goto out;
	}
	r = 0;
 out:
	mtls_idsrc_clear(&chk);
	return r;
}

static int
render_user(const struct id_opts *o, const char *name, uint32_t uid,
    uint32_t gid, char **out, struct mtls_err *e)
{
	char *b = NULL, *nb, *kind, home[4096];
	size_t len = 0;
	int i, n, r = MTLS_E_NOMEM;

	*out = NULL;
	if (o->home == NULL)
		snprintf(home, sizeof(home), "/home/%s", name);
	else if (strlen(o->home) >= sizeof(home))
		return mtls_err_set(e, MTLS_E_INVAL, "--home: too long");
	else
		strcpy(home, o->home);
	n = asprintf(&b, "user %s\n\tuid %u\n\tgid %u\n%s%s%s\thome %s\n"
	    "\tshell %s\n", name, uid, gid, o->gecos ? "\tgecos " : "",
	    o->gecos ? o->gecos : "", o->gecos ? "\n" : "", home,
	    o->shell ? o->shell : "/bin/sh");
	if (n < 0) {
		b = NULL;
		goto fail;
	}
	len = (size_t)n;
	for (i = 0; i < o->n_princ; i++) {
		const char *eq = strchr(o->princ[i], '=');

		if (eq == NULL || eq == o->princ[i]) {
			r = mtls_err_set(e, MTLS_E_INVAL, "--principal %s: "
			    "expected KIND=VALUE", o->princ[i]);
			goto out;
		}
		if ((kind = strndup(o->princ[i], (size_t)(eq - o->princ[i]))) ==
		    NULL)
			goto fail;
		n = asprintf(&nb, "%s\tprincipal %s %s\n", b, kind, eq + 1);
		free(kind);
		if (n < 0)
			goto fail;
		free(b);
		b = nb;
		len = (size_t)n;
	}
	(void)len;
	*out = b;
	b = NULL;
	r = 0;
	goto out;
 fail:
	r = mtls_err_set(e, MTLS_E_NOMEM, NULL);
 out:
	free(b);
	return r;
}

static int
user_add(const struct id_opts *o, struct edit *ed, const char *name,
    struct mtls_err *e)
{
	const struct mtls_db_group_in *g;
	struct group *sg;
	char *block = NULL, gblock[128];
	uint32_t uid, gid;
	int r, personal = 0, i;

	if ((r = name_check("user", name, e)) != 0)
		goto out;
	if ((o->gecos && !value_ok(o->gecos)) || (o->home &&
	    !value_ok(o->home)) || (o->shell && !value_ok(o->shell))) {
		r = mtls_err_set(e, MTLS_E_INVAL, "control character in an "
		    "option");
		goto out;
	}
	for (i = 0; i < o->n_princ; i++)
		if (!value_ok(o->princ[i])) {
			r = mtls_err_set(e, MTLS_E_INVAL, "control character "
			    "in --principal");
			goto out;
		}
	if (src_user(&ed->src, name) != NULL) {
		r = mtls_err_set(e, MTLS_E_INVAL, "user %s already exists in "
		    "%s", name, o->users);
		goto out;
	}
	if (nss_user_name(&ed->cur, name)) {
		r = mtls_err_set(e, MTLS_E_INVAL, "user %s already exists "
		    "(another NSS source resolves it)", name);
		goto out;
	}
	if (o->uid >= 0) {
		uid = (uint32_t)o->uid;
		for (i = 0; i < (int)ed->src.n_users; i++)
			if (ed->src.users[i].uid == uid) {
				r = mtls_err_set(e, MTLS_E_INVAL, "uid %u is "
				    "already user %s's", uid,
				    ed->src.users[i].name);
				goto out;
			}
		if (nss_uid(&ed->cur, uid)) {
			r = mtls_err_set(e, MTLS_E_INVAL, "uid %u is already "
			    "used (another NSS source resolves it)", uid);
			goto out;
		}
		if (uid >= ed->ids.next_uid)
			ed->ids.next_uid = (unsigned long)uid + 1;
	} else if ((r = alloc_id(o, &ed->src, 0, &ed->ids.next_uid, &uid,
	    e)) != 0)
		goto out;
	ed->ids_changed = 1;
	if (o->gid >= 0)
		gid = (uint32_t)o->gid;
	else if (o->pgroup != NULL) {
		if ((g = src_group(&ed->src, o->pgroup)) != NULL)
			gid = g->gid;
		else if ((sg = getgrnam(o->pgroup)) != NULL)
			gid = (uint32_t)sg->gr_gid;
		else {
			r = mtls_err_set(e, MTLS_E_NOT_FOUND, "group %s does "
			    "not exist", o->pgroup);
			goto out;
		}
	} else {
		/* a personal group of the same name */
		if (src_group(&ed->src, name) != NULL) {
			r = mtls_err_set(e, MTLS_E_INVAL, "group %s already "
			    "exists: give --group %s to make it the primary "
			    "group", name, name);
			goto out;
		}
		if (nss_group_name(&ed->cur, name)) {
			r = mtls_err_set(e, MTLS_E_INVAL, "group %s already "
			    "exists (another NSS source resolves it)", name);
			goto out;
		}
		if ((r = alloc_id(o, &ed->src, 1, &ed->ids.next_gid, &gid,
		    e)) != 0)
			goto out;
		snprintf(gblock, sizeof(gblock), "group %s\n\tgid %u\n", name,
		    gid);
		if ((r = text_append(&ed->g, gblock, "group")) != 0)
			goto nomem;
		ed->g_changed = personal = 1;
	}
	if ((r = render_user(o, name, uid, gid, &block, e)) != 0)
		goto out;
	if ((r = text_append(&ed->u, block, "user")) != 0)
		goto nomem;
	ed->u_changed = 1;
	if ((r = edit_commit(o, ed, 0, e)) != 0)
		goto out;
	printf("added user %s: uid %u, gid %u%s\n", name, uid, gid,
	    personal ? " (a new group of the same name)" : "");
	goto out;
 nomem:
	r = mtls_err_set(e, r, NULL);
 out:
	free(block);
	return r;
}

static int
user_del(const struct id_opts *o, struct edit *ed, const char *name,
    struct mtls_err *e)
{
	const struct mtls_db_user_in *u;
	const struct mtls_db_group_in *g;
	unsigned n, dropped = 0;
	uint32_t i;
	int r, keep = 0;

	if ((u = src_user(&ed->src, name)) == NULL) {
		r = mtls_err_set(e, MTLS_E_NOT_FOUND, "no user %s in %s", name,
		    o->users);
		goto out;
	}
	if ((r = text_remove_block(&ed->u, name, "user")) != 0 ||
	    (r = text_drop_key(&ed->g, NULL, "member", name, "group",
	    &n)) != 0)
		goto nomem;
	ed->u_changed = 1;
	ed->g_changed = n > 0;
	/* its personal group goes too when nothing else uses it */
	if ((g = src_group(&ed->src, name)) != NULL && g->gid == u->gid) {
		for (i = 0; i < g->n_members; i++)
			if (strcmp(g->members[i], name) != 0)
				keep = 1;
		for (i = 0; i < ed->src.n_users; i++)
			if (&ed->src.users[i] != u &&
			    ed->src.users[i].gid == g->gid)
				keep = 1;
		if (!keep) {
			if ((r = text_remove_block(&ed->g, name, "group")) != 0)
				goto nomem;
			ed->g_changed = dropped = 1;
		}
	}
	if ((r = edit_commit(o, ed, 1, e)) != 0)
		goto out;
	printf("deleted user %s%s\n", name, dropped ? " and its group" : "");
	goto out;
 nomem:
	r = mtls_err_set(e, r, NULL);
 out:
	return r;
}

static void
print_block(const struct text *t, const char *name)
{
	size_t open, first, last;

	if (text_block(t, name, &open, &first, &last) != 0)
		return;
	fwrite(t->buf + t->l[first].off, 1, t->l[last].end - t->l[first].off,
	    stdout);
	if (t->buf[t->l[last].end - 1] != '\n')
		putchar('\n');
}

static int
user_show(const struct id_opts *o, struct edit *ed, const char *name,
    struct mtls_err *e)
{
	uint32_t i, j;
	int first = 1;

	if (src_user(&ed->src, name) == NULL)
		return mtls_err_set(e, MTLS_E_NOT_FOUND, "no user %s in %s",
		    name, o->users);
	print_block(&ed->u, name);
	for (i = 0; i < ed->src.n_groups; i++)
		for (j = 0; j < ed->src.groups[i].n_members; j++)
			if (strcmp(ed->src.groups[i].members[j], name) == 0) {
				printf("%s%s", first ? "# member of: " : ", ",
				    ed->src.groups[i].name);
				first = 0;
				break;
			}
	if (!first)
		putchar('\n');
	return 0;
}

static void
user_list(const struct edit *ed)
{
	const struct mtls_db_user_in *u;
	uint32_t i;

	for (i = 0; i < ed->src.n_users; i++) {
		u = &ed->src.users[i];
		printf("%s:*:%u:%u:%s:%s:%s\n", u->name, u->uid, u->gid,
		    u->gecos ? u->gecos : "", u->home, u->shell);
	}
}

static void
group_list(const struct edit *ed, const char *only)
{
	const struct mtls_db_group_in *g;
	uint32_t i, j;

	for (i = 0; i < ed->src.n_groups; i++) {
		g = &ed->src.groups[i];
		if (only != NULL && strcmp(g->name, only) != 0)
			continue;
		printf("%s:x:%u:", g->name, g->gid);
		for (j = 0; j < g->n_members; j++)
			printf("%s%s", j ? "," : "", g->members[j]);
		putchar('\n');
	}
}

static int
group_add(const struct id_opts *o, struct edit *ed, const char *name,
    struct mtls_err *e)
{
	char block[128];
	uint32_t gid, i;
	int r;

	if ((r = name_check("group", name, e)) != 0)
		return r;
	if (src_group(&ed->src, name) != NULL)
		return mtls_err_set(e, MTLS_E_INVAL, "group %s already exists "
		    "in %s", name, o->groups);
	if (nss_group_name(&ed->cur, name))
		return mtls_err_set(e, MTLS_E_INVAL, "group %s already exists "
		    "(another NSS source resolves it)", name);
	if (o->gid >= 0) {
		gid = (uint32_t)o->gid;
		for (i = 0; i < ed->src.n_groups; i++)
			if (ed->src.groups[i].gid == gid)
				return mtls_err_set(e, MTLS_E_INVAL, "gid %u is "
				    "already group %s's", gid,
				    ed->src.groups[i].name);
		if (nss_gid(&ed->cur, gid))
			return mtls_err_set(e, MTLS_E_INVAL, "gid %u is already "
			    "used (another NSS source resolves it)", gid);
		if (gid >= ed->ids.next_gid)
			ed->ids.next_gid = (unsigned long)gid + 1;
	} else if ((r = alloc_id(o, &ed->src, 1, &ed->ids.next_gid, &gid,
	    e)) != 0)
		return r;
	ed->ids_changed = 1;
	snprintf(block, sizeof(block), "group %s\n\tgid %u\n", name, gid);
	if ((r = text_append(&ed->g, block, "group")) != 0)
		return mtls_err_set(e, r, NULL);
	ed->g_changed = 1;
	if ((r = edit_commit(o, ed, 0, e)) != 0)
		return r;
	printf("added group %s: gid %u\n", name, gid);
	return 0;
}

static int
group_del(const struct id_opts *o, struct edit *ed, const char *name,
    struct mtls_err *e)
{
	const struct mtls_db_group_in *g;
	uint32_t i;
	int r;

	if ((g = src_group(&ed->src, name)) == NULL)
		return mtls_err_set(e, MTLS_E_NOT_FOUND, "no group %s in %s",
		    name, o->groups);
	for (i = 0; i < ed->src.n_users; i++)
		if (ed->src.users[i].gid == g->gid)
			return mtls_err_set(e, MTLS_E_INVAL, "group %s is the "
			    "primary group of user %s", name,
			    ed->src.users[i].name);
	if ((r = text_remove_block(&ed->g, name, "group")) != 0)
		return mtls_err_set(e, r, NULL);
	ed->g_changed = 1;
	if ((r = edit_commit(o, ed, 1, e)) != 0)
		return r;
	printf("deleted group %s\n", name);
	return 0;
}

static int
group_edit_member(const struct id_opts *o, struct edit *ed, int add,
    const char *name, const char *user, struct mtls_err *e)
{
	const struct mtls_db_group_in *g;
	unsigned n;
	uint32_t i;
	int r;

	if ((g = src_group(&ed->src, name)) == NULL)
		return mtls_err_set(e, MTLS_E_NOT_FOUND, "no group %s in %s",
		    name, o->groups);
	for (i = 0; i < g->n_members; i++)
		if (strcmp(g->members[i], user) == 0)
			break;
	if (add) {
		if (i < g->n_members)
			return mtls_err_set(e, MTLS_E_INVAL, "%s is already a "
			    "member of %s", user, name);
		if (src_user(&ed->src, user) == NULL && getpwnam(user) == NULL)
			return mtls_err_set(e, MTLS_E_NOT_FOUND, "no user %s",
			    user);
		r = text_add_key(&ed->g, name, "member", user, "group");
	} else {
		if (i == g->n_members)
			return mtls_err_set(e, MTLS_E_NOT_FOUND, "%s is not a "
			    "member of %s", user, name);
		r = text_drop_key(&ed->g, name, "member", user, "group", &n);
	}
	if (r != 0)
		return mtls_err_set(e, r, NULL);
	ed->g_changed = 1;
	if ((r = edit_commit(o, ed, 0, e)) != 0)
		return r;
	printf("%s %s %s group %s\n", add ? "added" : "removed", user,
	    add ? "to" : "from", name);
	return 0;
}

/* ---- the command ------------------------------------------------------ */

static void
usage(FILE *f)
{
	fprintf(f, "usage: mtls user add NAME [--uid N] [--gid N|--group NAME] "
	    "[--gecos TEXT]\n"
	    "                [--home DIR] [--shell PATH] "
	    "[--principal KIND=VALUE]...\n"
	    "       mtls user del|show NAME\n"
	    "       mtls user list\n"
	    "       mtls group add NAME [--gid N]\n"
	    "       mtls group del|show NAME\n"
	    "       mtls group addmember|delmember NAME USER\n"
	    "       mtls group list\n\n"
	    "Edit the identity sources under a lock, atomically, checking "
	    "them as\n'mtls db build' does; then run 'mtls db build' (or "
	    "give --build).\n\n"
	    "options:\n"
	    "  --users FILE    users source (default " MTLS_ID_USERS ")\n"
	    "  --groups FILE   groups source (default " MTLS_ID_GROUPS ")\n"
	    "  --db FILE       the database (default " MTLS_ID_DB ")\n"
	    "  --passwd FILE   system passwd to check against (default "
	    "/etc/passwd)\n"
	    "  --group-file FILE  system group to check against (default "
	    "/etc/group)\n"
	    "  --range LO-HI   allowed uids and gids (default %u-%u)\n"
	    "  --build         run 'mtls db build' after the edit\n\n"
	    "Ids are allocated in order and never reused; the high-water "
	    "marks are kept\nin 'ids' next to the users file. KIND is "
	    "subject, fingerprint, email, upn\nor uri. See mtls(1), "
	    "mtls-identity(5). Exit status: 0 done, 1 refused,\n2 usage "
	    "error.\n", MTLS_ID_MIN_DEFAULT, MTLS_ID_MAX_DEFAULT);
}

static int
parse_id_arg(const char *opt, const char *s, long long *out)
{
	unsigned long v;

	if (mtls_parse_uint(s, 0, 0x7fffffffUL, &v) != 0) {
		fprintf(stderr, "mtls: %s %s: not a number\n", opt, s);
		return -1;
	}
	*out = (long long)v;
	return 0;
}

static int
parse_opts(int argc, char **argv, struct id_opts *o)
{
	static const struct option longopts[] = {
		{ "users", required_argument, NULL, 'u' },
		{ "groups", required_argument, NULL, 'g' },
		{ "db", required_argument, NULL, 'd' },
		{ "passwd", required_argument, NULL, 'P' },
		{ "group-file", required_argument, NULL, 'G' },
		{ "range", required_argument, NULL, 'r' },
		{ "uid", required_argument, NULL, 'U' },
		{ "gid", required_argument, NULL, 'I' },
		{ "group", required_argument, NULL, 'p' },
		{ "gecos", required_argument, NULL, 'c' },
		{ "home", required_argument, NULL, 'H' },
		{ "shell", required_argument, NULL, 's' },
		{ "principal", required_argument, NULL, 'k' },
		{ "build", no_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'u': o->users = optarg; break;
		case 'g': o->groups = optarg; break;
		case 'd': o->db = optarg; break;
		case 'P': o->passwd = optarg; break;
		case 'G': o->group = optarg; break;
		case 'p': o->pgroup = optarg; break;
		case 'c': o->gecos = optarg; break;
		case 'H': o->home = optarg; break;
		case 's': o->shell = optarg; break;
		case 'b': o->build = 1; break;
		case 'U':
			if (parse_id_arg("--uid", optarg, &o->uid) != 0)
				return EXIT_USAGE;
			break;
		case 'I':
			if (parse_id_arg("--gid", optarg, &o->gid) != 0)
				return EXIT_USAGE;
			break;
		case 'k':
			if (o->n_princ == MAX_PRINC) {
				fprintf(stderr, "mtls: at most %d principals\n",
				    MAX_PRINC);
				return EXIT_USAGE;
			}
			o->princ[o->n_princ++] = optarg;
			break;
		case 'r':
			if (mtls_parse_id_range(optarg, &o->id_min,
			    &o->id_max) != 0) {
				fprintf(stderr, "mtls: --range %s: expected "
				    "LO-HI within 1-2147483647\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return -1;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (o->gid >= 0 && o->pgroup != NULL) {
		fprintf(stderr, "mtls: --gid and --group exclude each other\n");
		return EXIT_USAGE;
	}
	return 0;
}

/* Run `mtls db build` with our paths. */
static int
run_build(const struct id_opts *o)
{
	char range[32];
	char *av[] = { (char *)"db", (char *)"build", (char *)"--users",
	    (char *)o->users, (char *)"--groups", (char *)o->groups,
	    (char *)"--db", (char *)o->db, (char *)"--passwd",
	    (char *)o->passwd, (char *)"--group", (char *)o->group,
	    (char *)"--range", range, NULL };

	snprintf(range, sizeof(range), "%u-%u", o->id_min, o->id_max);
	return cmd_db((int)(sizeof(av) / sizeof(av[0])) - 1, av);
}

static int
ident_main(int is_user, int argc, char **argv)
{
	struct id_opts o = { MTLS_ID_USERS, MTLS_ID_GROUPS, MTLS_ID_DB,
	    "/etc/passwd", "/etc/group", MTLS_ID_MIN_DEFAULT,
	    MTLS_ID_MAX_DEFAULT, -1, -1, NULL, NULL, NULL, NULL, { NULL }, 0,
	    0 };
	struct mtls_err e = { 0, "" };
	struct edit ed;
	const char *sub, *a1, *a2;
	int lock = -1, rc, r, nargs, edits;

	memset(&ed, 0, sizeof(ed));
	if ((rc = parse_opts(argc, argv, &o)) != 0)
		return rc < 0 ? 0 : rc;
	nargs = argc - optind;
	if (nargs < 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	sub = argv[optind];
	a1 = nargs > 1 ? argv[optind + 1] : NULL;
	a2 = nargs > 2 ? argv[optind + 2] : NULL;
	if (strcmp(sub, "list") == 0 ? nargs != 1 :
	    strcmp(sub, "addmember") == 0 || strcmp(sub, "delmember") == 0 ?
	    (is_user || nargs != 3) : nargs != 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	edits = strcmp(sub, "show") != 0 && strcmp(sub, "list") != 0;
	if ((!is_user || !edits || strcmp(sub, "add") != 0) &&
	    (o.uid >= 0 || o.pgroup || o.gecos || o.home || o.shell ||
	    o.n_princ > 0 || (o.gid >= 0 && (is_user || strcmp(sub, "add"))))) {
		fprintf(stderr, "mtls: these options only go with add\n");
		return EXIT_USAGE;
	}
	rc = EXIT_REJECTED;
	if (edits && (lock = lock_sources(&o, &e)) < 0)
		goto fail;
	if (edit_load(&o, &ed, &e) != 0)
		goto fail;
	if (strcmp(sub, "list") == 0) {
		if (is_user)
			user_list(&ed);
		else
			group_list(&ed, NULL);
		r = 0;
	} else if (strcmp(sub, "show") == 0) {
		if (is_user)
			r = user_show(&o, &ed, a1, &e);
		else if ((r = src_group(&ed.src, a1) ? 0 :
		    mtls_err_set(&e, MTLS_E_NOT_FOUND, "no group %s in %s", a1,
		    o.groups)) == 0)
			print_block(&ed.g, a1);
	} else if (strcmp(sub, "add") == 0)
		r = is_user ? user_add(&o, &ed, a1, &e) :
		    group_add(&o, &ed, a1, &e);
	else if (strcmp(sub, "del") == 0)
		r = is_user ? user_del(&o, &ed, a1, &e) :
		    group_del(&o, &ed, a1, &e);
	else if (strcmp(sub, "addmember") == 0 ||
	    strcmp(sub, "delmember") == 0)
		r = group_edit_member(&o, &ed, sub[0] == 'a', a1, a2, &e);
	else {
		usage(stderr);
		rc = EXIT_USAGE;
		goto out;
	}
	if (r != 0)
		goto fail;
	rc = 0;
	if (edits) {
		if (o.build)
			rc = run_build(&o);
		else
			fprintf(stderr, "mtls: run 'mtls db build' to update "
			    "the database\n");
	}
	goto out;
 fail:
	fprintf(stderr, "mtls %s: %s%s\n", is_user ? "user" : "group",
	    mtls_err_msg(&e), edits ? "; nothing was changed" : "");
 out:
	edit_free(&ed);
	if (lock >= 0)
		close(lock);
	return rc;
}

int
cmd_user(int argc, char **argv)
{
	return ident_main(1, argc, argv);
}

int
cmd_group(int argc, char **argv)
{
	return ident_main(0, argc, argv);
}
