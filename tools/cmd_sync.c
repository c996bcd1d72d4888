/*
 * cmd_sync.c - mtls db sync: the identity database from an LDAP
 * directory.
 *
 * The directory's entries become identity-source text (tools/ldapsync.c)
 * that goes through the checks of `mtls db build`, and the database is
 * replaced atomically only when every entry passed and the guard against
 * a query that lost most accounts agrees.  Between runs, the entries and
 * the directory's synchronization cookies are kept in the state
 * directory, so that a run with the cookies asks only for the changes,
 * and a run with no changes writes nothing.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/crypto.h>

#include "cli.h"
#include "conf.h"
#include "db.h"
#include "idsrc.h"
#include "ldapsync.h"
#include "util.h"

#define STATE_MAGIC	"mtls-db-sync-state 1"
#define STATE_DIR	"/var/lib/mtls"
#define COOKIE_MAX	4096

struct sync_state {
	unsigned char	 conf[32];	/* digest of the sync configuration */
	unsigned char	 stamp[32];	/* of the files the db was built on */
	unsigned char	*cookie[2];	/* users, groups; NULL: none */
	size_t		 cookielen[2];
};

struct sync_run {
	const struct cli_sync_opts *o;
	struct mtls_conf	*conf;
	const char		*db;	/* --db, identity_db, or the default */
	struct ls_conf		 sc;
	char			 cache[4096], state[4096];
	struct sync_state	 st;
	int			 have_state;
	struct ls_store		 store;
	struct ls_conn		*lc;	/* closed once the directory is read */
	char			 uri[256]; /* the server that answered */
	int			 unchanged; /* nothing to write */
};

static void
state_clear(struct sync_state *st)
{
	free(st->cookie[0]);
	free(st->cookie[1]);
	memset(st, 0, sizeof(*st));
}

/*
 * What the database was built from besides the directory: the range,
 * the system files it was checked against and the database file itself
 * (rebuilt by hand, or gone).  A change of any means rebuilding.
 */
static void
stamp(const struct cli_sync_opts *o, const char *db, unsigned char out[32])
{
	const char *paths[3] = { db, o->passwd, o->group };
	char buf[512];
	size_t len = 0, i;
	struct stat st;
	int n;

	n = snprintf(buf, sizeof(buf), "%u-%u;", o->id_min, o->id_max);
	len = (size_t)n;
	for (i = 0; i < 3; i++) {
		memset(&st, 0, sizeof(st));
		if (stat(paths[i], &st) != 0)
			st.st_ino = 0;
		n = snprintf(buf + len, sizeof(buf) - len,
		    "%ju:%ju:%jd:%jd.%ld;", (uintmax_t)st.st_dev,
		    (uintmax_t)st.st_ino, (intmax_t)st.st_size,
		    (intmax_t)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
		if (n < 0 || (size_t)n >= sizeof(buf) - len)
			break;
		len += (size_t)n;
	}
	gnutls_hash_fast(GNUTLS_DIG_SHA256, buf, len, out);
}

/* Read the state file; 0 when it is there and whole. */
static int
state_load(const char *path, struct sync_state *st)
{
	struct mtls_err e = { 0, "" };
	gnutls_datum_t hex, bin;
	char *text = NULL, *p, *l, *v;
	size_t len;
	int r = -1, seen = 0, i;

	if (access(path, F_OK) != 0 || mtls_file_read(path, "sync state",
	    64 * 1024, &text, &len, &e) != 0)
		return -1;
	for (p = text; (l = strsep(&p, "\n")) != NULL;) {
		if (*l == '\0')
			continue;
		if ((v = strchr(l, ' ')) == NULL)
			goto out;
		*v++ = '\0';
		if (strcmp(l, "mtls-db-sync-state") == 0 && strcmp(v, "1") == 0)
			seen |= 1;
		else if (strcmp(l, "conf") == 0 &&
		    mtls_parse_fingerprint(v, st->conf) == 0)
			seen |= 2;
		else if (strcmp(l, "stamp") == 0 &&
		    mtls_parse_fingerprint(v, st->stamp) == 0)
			seen |= 4;
		else if ((i = strcmp(l, "users_cookie") == 0 ? 0 :
		    strcmp(l, "groups_cookie") == 0 ? 1 : -1) >= 0) {
			if (strcmp(v, "-") == 0)
				continue;
			hex.data = (unsigned char *)v;
			hex.size = (unsigned)strlen(v);
			if (hex.size == 0 || hex.size > 2 * COOKIE_MAX ||
			    st->cookie[i] != NULL ||
			    gnutls_hex_decode2(&hex, &bin) != 0)
				goto out;
			st->cookie[i] = bin.data;
			st->cookielen[i] = bin.size;
		} else
			goto out;
	}
	r = seen == 7 ? 0 : -1;
 out:
	free(text);
	if (r != 0)
		state_clear(st);
	return r;
}

static int
state_save(const char *path, const struct sync_state *st,
    struct mtls_err *e)
{
	char *text, *p;
	size_t cap, i;
	int r;

	cap = 256 + 2 * (st->cookielen[0] + st->cookielen[1]) + 64;
	if ((text = malloc(cap)) == NULL)
		return mtls_err_set(e, MTLS_E_NOMEM, NULL);
	p = text + sprintf(text, STATE_MAGIC "\nconf ");
	mtls_hex(st->conf, 32, 0, p);
	p += 64;
	p += sprintf(p, "\nstamp ");
	mtls_hex(st->stamp, 32, 0, p);
	p += 64;
	for (i = 0; i < 2; i++) {
		p += sprintf(p, "\n%s_cookie ", i == 0 ? "users" : "groups");
		if (st->cookie[i] == NULL)
			p += sprintf(p, "-");
		else {
			mtls_hex(st->cookie[i], st->cookielen[i], 0, p);
			p += 2 * st->cookielen[i];
		}
	}
	p += sprintf(p, "\n");
	r = mtls_file_write_atomic(path, text, (size_t)(p - text), 0600, e);
	free(text);
	return r;
}

static int
write_cache(void *ctx, int fd)
{
	return ls_store_write(ctx, fd);
}

/* The DNs of the store's entries, in its order, for messages. */
struct dn_list {
	char	*blob;
	size_t	*off;		/* of each entry's DN in blob */
};

static int
dn_list(const struct ls_store *s, struct dn_list *l)
{
	const char *dn;
	size_t i, n, total = 0, at = 0;

	for (i = 0; i < s->n; i++)
		if (s->ent[i] != NULL) {
			ls_store_dn(s, i, &n);
			total += n + 1;
		}
	if ((l->blob = malloc(total + 1)) == NULL ||
	    (l->off = calloc(s->n + 1, sizeof(*l->off))) == NULL)
		return MTLS_E_NOMEM;
	l->blob[total] = '\0';
	for (i = 0; i < s->n; i++) {
		l->off[i] = total;	/* a removed entry: "" */
		if (s->ent[i] == NULL)
			continue;
		dn = ls_store_dn(s, i, &n);
		memcpy(l->blob + at, dn, n);
		l->blob[at + n] = '\0';
		l->off[i] = at;
		at += n + 1;
	}
	return 0;
}

/*
 * A validation message names "directory users:LINE": say which entry
 * that line came from instead.
 */
static void
name_entry(const struct dn_list *dns, const struct ls_line *ulines,
    size_t n_u, const struct ls_line *glines, size_t n_g, struct mtls_err *e)
{
	static const char *const labels[2] = { "directory users:",
	    "directory groups:" };
	const struct ls_line *map;
	unsigned long line;
	char msg[sizeof(e->msg)], *end;
	size_t i, n, ll, ent;

	for (i = 0; i < 2; i++) {
		ll = strlen(labels[i]);
		if (strncmp(e->msg, labels[i], ll) != 0)
			continue;
		line = strtoul(e->msg + ll, &end, 10);
		map = i == 0 ? ulines : glines;
		n = i == 0 ? n_u : n_g;
		if (*end != ':' || (ent = ls_line_entry(map, n, line)) ==
		    SIZE_MAX)
			return;
		snprintf(msg, sizeof(msg), "entry %s:%s",
		    dns->blob + dns->off[ent], end + 1);
		snprintf(e->msg, sizeof(e->msg), "%s", msg);
		return;
	}
}

/* Make the last rename in dir (of path) durable. */
static int
sync_dir(const char *path, struct mtls_err *e)
{
	char dir[4096], *slash;
	int fd, r = 0;

	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    fsync(fd) != 0)
		r = mtls_err_set(e, MTLS_E_IO, "%s: %s", dir, strerror(errno));
	if (fd >= 0)
		close(fd);
	return r;
}

/*
 * How many users of the current database src lacks, out of how many:
 * the guard's figures.  No current database (or one that does not
 * open): none.  Names are unique on both sides, so what src lacks is
 * what the old database has less what src shares with it.
 */
static void
removed_users(const char *path, const struct mtls_idsrc *src,
    uint32_t *removed, uint32_t *old_n)
{
	struct mtls_err e = { 0, "" };
	struct mtls_db old;
	struct mtls_db_user u;
	char *obuf = NULL;
	size_t olen;
	uint32_t i, kept = 0;

	*removed = *old_n = 0;
	if (access(path, F_OK) != 0 || mtls_file_read(path,
	    "identity database", MTLS_DB_MAX_SIZE, &obuf, &olen, &e) != 0 ||
	    mtls_db_open(&old, obuf, olen) != 0)
		goto out;
	for (i = 0; i < src->n_users; i++)
		if (mtls_db_user_by_name(&old, src->users[i].name, &u) == 0)
			kept++;
	*old_n = old.n_users;
	*removed = old.n_users - kept;
 out:
	free(obuf);
}

/*
 * Sources from the store, checked, guarded, laid out and written.  The
 * memory of the largest directories decides the order: the cache is
 * written (beside its place) and the store freed before the sources are
 * parsed, and the old database is read for the guard and freed before
 * the new one is laid out.
 */
static int
rebuild(struct sync_run *x, struct mtls_err *e)
{
	const struct cli_sync_opts *o = x->o;
	struct cli_idsrc_env ce = { o->passwd, o->group, o->id_min,
	    o->id_max };
	struct mtls_idsrc src;
	struct mtls_db db;
	unsigned char *buf = NULL;
	char *u = NULL, *g = NULL, cnew[sizeof(x->cache) + 8];
	struct ls_line *ulines = NULL, *glines = NULL;
	size_t ulen, glen, n_u, n_g, len = 0;
	struct dn_list dns = { NULL, NULL };
	uint32_t removed, old_n;
	int r, have_new = 0;

	memset(&src, 0, sizeof(src));
	snprintf(cnew, sizeof(cnew), "%s.new", x->cache);
	if ((r = ls_store_sources(&x->store, &u, &ulen, &ulines, &n_u, &g,
	    &glen, &glines, &n_g, e)) != 0)
		goto out;
	if ((r = mtls_file_write_atomic_fn(cnew, 0600, write_cache,
	    &x->store, e)) != 0)
		goto out;
	have_new = 1;
	if ((r = dn_list(&x->store, &dns)) != 0) {
		mtls_err_set(e, r, NULL);
		goto out;
	}
	ls_store_clear(&x->store);
	/* the entries' memory back before the database is laid out */
	malloc_trim(0);
	r = cli_idsrc_check(&src, "directory users", u, ulen,
	    "directory groups", g, glen, &ce, e);
	u = g = NULL;	/* src has them */
	if (r != 0) {
		name_entry(&dns, ulines, n_u, glines, n_g, e);
		goto out;
	}
	free(ulines);
	free(glines);
	free(dns.blob);
	free(dns.off);
	memset(&dns, 0, sizeof(dns));
	ulines = glines = NULL;
	removed_users(x->db, &src, &removed, &old_n);
	malloc_trim(0);		/* and the old database's */
	if (!o->force && old_n > 0 && (uint64_t)removed * 100 >
	    (uint64_t)x->sc.max_removed * old_n) {
		r = mtls_err_set(e, MTLS_E_CONFIG, "the directory would remove "
		    "%u of the %u accounts of %s, more than max_removed %u%%: "
		    "a broken query or base? --force syncs anyway", removed,
		    old_n, x->db, x->sc.max_removed);
		goto out;
	}
	if ((r = mtls_db_build(src.users, src.n_users, src.groups,
	    src.n_groups, &buf, &len)) != 0) {
		mtls_err_set(e, r, "cannot lay out the database");
		goto out;
	}
	if ((r = mtls_db_open(&db, buf, len)) != 0) {
		mtls_err_set(e, MTLS_E_INTERNAL, "the built database does not "
		    "open");
		goto out;
	}
	if ((r = mtls_file_write_atomic(x->db, buf, len, 0644, e)) != 0)
		goto out;
	/* the cache after the database: a crash between replays changes */
	if (rename(cnew, x->cache) != 0) {
		r = mtls_err_set(e, MTLS_E_IO, "%s: %s", x->cache,
		    strerror(errno));
		goto out;
	}
	have_new = 0;
	if ((r = sync_dir(x->cache, e)) != 0)
		goto out;
	if (!o->quiet)
		printf("%s: %u users, %u groups, %zu bytes (%u removed)\n",
		    x->db, src.n_users, src.n_groups, len, removed);
	r = 0;
 out:
	if (have_new)
		unlink(cnew);
	free(u);
	free(g);
	free(ulines);
	free(glines);
	free(dns.blob);
	free(dns.off);
	free(buf);
	mtls_idsrc_clear(&src);
	return r;
}

/* Everything from the directory, with fresh cookies when it has them. */
static int
full_sync(struct sync_run *x, struct mtls_err *e)
{
	struct ls_conn *lc = x->lc;
	struct ls_changes none;
	int i, r;

	memset(&none, 0, sizeof(none));
	state_clear(&x->st);
	/*
	 * The cookies first: changes made during the reads come again.  A
	 * server that offers content synchronization but will not give
	 * this identity a cookie still gives the entries: every run is a
	 * full one then.
	 */
	if (ls_offers_sync(lc))
		for (i = 0; i < 2; i++) {
			r = ls_sync(lc, &x->sc, i, NULL, 0, &none,
			    &x->st.cookie[i], &x->st.cookielen[i], e);
			ls_changes_clear(&none);
			if (r == 0)
				continue;
			fprintf(stderr, "mtls db sync: warning: %s; every "
			    "sync reads the whole directory\n",
			    mtls_err_msg(e));
			state_clear(&x->st);
			break;
		}
	ls_store_clear(&x->store);
	if ((r = ls_fetch_all(lc, &x->sc, &x->store, e)) != 0)
		return r;
	ls_close(x->lc);
	x->lc = NULL;
	return rebuild(x, e);
}

/*
 * The changes since the saved cookies.  1 when the server refused a
 * cookie (a full sync is needed), 0 when done, or an error.
 */
static int
incremental(struct sync_run *x, struct mtls_err *e)
{
	struct ls_conn *lc = x->lc;
	struct ls_changes ch[2];
	unsigned char *nc[2] = { NULL, NULL }, now[32];
	size_t ncl[2] = { 0, 0 };
	int i, r, fd;

	memset(ch, 0, sizeof(ch));
	for (i = 0; i < 2; i++) {
		r = ls_sync(lc, &x->sc, i, x->st.cookie[i], x->st.cookielen[i],
		    &ch[i], &nc[i], &ncl[i], e);
		if (r == MTLS_E_NOT_FOUND) {
			if (!x->o->quiet)
				printf("%s: %s; a full sync follows\n",
				    x->db, mtls_err_msg(e));
			r = 1;
			goto out;
		}
		if (r != 0)
			goto out;
	}
	stamp(x->o, x->db, now);
	if (!ls_changes_any(&ch[0]) && !ls_changes_any(&ch[1]) &&
	    memcmp(now, x->st.stamp, 32) == 0) {
		if (!x->o->quiet)
			printf("%s: no changes\n", x->db);
		/* the same cookies: not even the state is written */
		x->unchanged = ncl[0] == x->st.cookielen[0] &&
		    ncl[1] == x->st.cookielen[1] &&
		    memcmp(nc[0], x->st.cookie[0], ncl[0]) == 0 &&
		    memcmp(nc[1], x->st.cookie[1], ncl[1]) == 0;
		goto save;
	}
	if (!x->o->quiet)
		printf("%s: changes since the last sync: %zu entries added or "
		    "changed, %zu deleted%s\n", x->db, ch[0].n_put +
		    ch[1].n_put, ch[0].n_del + ch[1].n_del,
		    ch[0].present_phase || ch[1].present_phase ?
		    ", and those no longer present" : "");
	if (mtls_file_open(x->cache, "sync cache", &fd, e) != 0 ||
	    ls_store_load(&x->store, fd, e) != 0) {
		/* the directory has it all again */
		if (!x->o->quiet)
			printf("%s: %s; a full sync follows\n", x->db,
			    mtls_err_msg(e));
		ls_store_clear(&x->store);
		r = 1;
		goto out;
	}
	ls_close(x->lc);
	x->lc = NULL;
	if ((r = ls_changes_apply(&ch[0], &x->store, "u:")) != 0 ||
	    (r = ls_changes_apply(&ch[1], &x->store, "g:")) != 0) {
		mtls_err_set(e, r, "the changes do not apply: %s",
		    mtls_strerror(r));
		goto out;
	}
	if ((r = rebuild(x, e)) != 0)
		goto out;
 save:
	for (i = 0; i < 2; i++) {
		free(x->st.cookie[i]);
		x->st.cookie[i] = nc[i];
		x->st.cookielen[i] = ncl[i];
		nc[i] = NULL;
	}
	r = 0;
 out:
	for (i = 0; i < 2; i++) {
		ls_changes_clear(&ch[i]);
		free(nc[i]);
	}
	return r;
}

static int
load_confs(struct sync_run *x, struct ls_tls *tls, struct mtls_err *e)
{
	const struct cli_sync_opts *o = x->o;
	const char *dir;
	char *text = NULL;
	size_t len;
	int r;

	if ((r = mtls_conf_read(o->config, &x->conf, e)) != 0)
		return r;
	if (x->conf->db_sync == NULL)
		return mtls_err_set(e, MTLS_E_NOT_FOUND, "%s names no db_sync "
		    "file: the sync is not configured", o->config);
	if ((r = mtls_file_read(x->conf->db_sync, "sync configuration",
	    LS_CONF_MAX_SIZE, &text, &len, e)) != 0)
		return r;
	r = ls_conf_parse(&x->sc, x->conf->db_sync, text, len, e);
	free(text);
	if (r != 0)
		return r;
	if (x->sc.ca_file != NULL)
		tls->ca_file = x->sc.ca_file;
	else if (x->conf->n_anchors == 1)
		tls->ca_file = x->conf->anchors[0];
	else
		return mtls_err_set(e, MTLS_E_CONFIG, "%s: ca_file is needed "
		    "when %s names %zu trust anchors", x->sc.path, o->config,
		    x->conf->n_anchors);
	x->db = o->db != NULL ? o->db : x->conf->identity_db != NULL ?
	    x->conf->identity_db : MTLS_ID_DB;
	/*
	 * The directory's certificate is checked against the CRL too when
	 * there is one to take (libldap takes one file).
	 */
	if (x->sc.crl_file != NULL)
		tls->crl_file = x->sc.crl_file;
	else if (x->conf->n_crls == 1)
		tls->crl_file = x->conf->crls[0];
	tls->cert_file = x->conf->host_cert;
	tls->key_file = x->conf->host_key;
	dir = x->sc.state_dir != NULL ? x->sc.state_dir : STATE_DIR;
	if ((size_t)snprintf(x->cache, sizeof(x->cache), "%s/db-sync.cache",
	    dir) >= sizeof(x->cache) || (size_t)snprintf(x->state,
	    sizeof(x->state), "%s/db-sync.state", dir) >= sizeof(x->state))
		return mtls_err_set(e, MTLS_E_CONFIG, "%s: path too long", dir);
	return 0;
}

int
cli_db_sync(const struct cli_sync_opts *o)
{
	struct sync_run x;
	struct ls_tls tls = { NULL, NULL, NULL, NULL };
	struct mtls_err e = { 0, "" };
	struct timespec t0, t1;
	int lock = -1, rc = EXIT_REJECTED, r;

	memset(&x, 0, sizeof(x));
	x.o = o;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* libldap reads no ldap.conf or .ldaprc of anyone's */
	setenv("LDAPNOINIT", "1", 1);
	if ((r = load_confs(&x, &tls, &e)) != 0) {
		if (r == MTLS_E_NOT_FOUND && o->if_configured) {
			rc = 0;
			goto out;
		}
		fprintf(stderr, "mtls db sync: %s\n", mtls_err_msg(&e));
		rc = EXIT_USAGE;
		goto out;
	}
	if ((lock = cli_lock_db(x.db, &e)) < 0)
		goto fail;
	x.have_state = !o->full && state_load(x.state, &x.st) == 0 &&
	    memcmp(x.st.conf, x.sc.digest, 32) == 0 &&
	    x.st.cookie[0] != NULL && x.st.cookie[1] != NULL &&
	    access(x.cache, F_OK) == 0;
	if ((r = ls_connect(&x.sc, &tls, &x.lc, &e)) != 0)
		goto fail;
	snprintf(x.uri, sizeof(x.uri), "%s", ls_conn_uri(x.lc));
	r = 1;
	if (x.have_state && (r = incremental(&x, &e)) < 0)
		goto fail;
	if (r == 1 && full_sync(&x, &e) != 0)
		goto fail;
	memcpy(x.st.conf, x.sc.digest, 32);
	stamp(o, x.db, x.st.stamp);
	if (!x.unchanged && state_save(x.state, &x.st, &e) != 0) {
		/* without a state the next run is a full one */
		unlink(x.state);
		fprintf(stderr, "mtls db sync: %s; the database is up to date, "
		    "the next sync reads the whole directory\n",
		    mtls_err_msg(&e));
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (!o->quiet)
		printf("synced from %s in %.3f s\n", x.uri,
		    (double)(t1.tv_sec - t0.tv_sec) +
		    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	rc = 0;
	goto out;
 fail:
	fprintf(stderr, "mtls db sync: %s; the database was not changed\n",
	    mtls_err_msg(&e));
 out:
	ls_close(x.lc);
	if (lock >= 0)
		close(lock);
	ls_store_clear(&x.store);
	state_clear(&x.st);
	ls_conf_clear(&x.sc);
	mtls_conf_free(x.conf);
	return rc;
}
