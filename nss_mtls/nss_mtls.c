/*
 * nss_mtls.c - libnss_mtls.so.2: passwd, group and initgroups from the
 * mtls identity database (see libnss_mtls(8), mtls-identity(5)).
 *
 * The module lives inside every process that looks up a user, so it
 * links libc alone, never prints, never exits, never allocates in a
 * lookup, and turns every problem with the database into UNAVAIL.
 *
 * Sharing the mapping between threads without a lock on lookups:
 *
 * - `current` is an atomic pointer to the mapping in use (NULL: no usable
 *   database).  A mapping carries a count of references; `current` holds
 *   one.  A lookup takes another only while the count is not zero (a
 *   compare-and-swap loop, as in "get unless zero"), so a count that
 *   reached zero stays there: whoever brings it to zero is the only one
 *   that can, and unmaps.  Replacing the database publishes the new
 *   mapping and then drops `current`'s reference to the old one; lookups
 *   still using it finish first, and the last one unmaps it.  A lookup
 *   that loaded the old pointer too late finds the count at zero and
 *   loads `current` again.
 * - The small struct that carries the count is never freed (a late
 *   lookup may still read it), so each replacement of the database keeps
 *   about 150 bytes for the life of the process.
 * - Whether the file was replaced is checked with stat(2) at most once a
 *   second (CLOCK_MONOTONIC_COARSE, read without a system call), by one
 *   thread (trylock); the others go on with the mapping they have.  In
 *   between, a lookup makes no system call.
 * - Enumeration (setpwent/getpwent_r/endpwent, and the group ones) keeps
 *   its own reference and position under its own mutex, so point lookups
 *   neither reset nor block it, and a replaced database does not shift it.
 *
 * The file is opened, checked (regular, owned by root or the effective
 * user, not writable by group or others), mapped read-only and closed:
 * no descriptor is held.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <nss.h>
#include <pthread.h>
#include <pwd.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "errors.h"
#include "nss_mtls.h"

#define NSS_EXPORT	__attribute__((visibility("default")))

struct mapping {
	atomic_long	 refs;		/* `current`'s one, and lookups' */
	void		*base;
	size_t		 len;
	struct mtls_db	 db;
	dev_t		 dev;
	ino_t		 ino;
	off_t		 size;
	struct timespec	 mtim, ctim;
	struct mapping	*next_spare;	/* on the spare list */
};

static _Atomic(struct mapping *) current;
/*
 * A replaced mapping's struct is never freed: a lookup that loaded
 * `current` just before the replacement may still read its reference
 * count (and finds 0, and loads `current` again).  It goes to this list
 * instead, and the next load reuses it, so that replacing the database
 * costs no memory however often it happens.
 */
static struct mapping *spare;
static pthread_mutex_t spare_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_llong last_check_ms = -1;
static pthread_mutex_t reload_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static const char *db_path = MTLS_ID_DB;
static long long recheck_ms = 1000;

/* The environment may move the database (tests); not in setuid programs. */
static void
init_once(void)
{
	const char *p = secure_getenv("MTLS_NSS_DB");
	const char *r = secure_getenv("MTLS_NSS_RECHECK_MS");
	char *end;
	long v;

	if (p != NULL && p[0] == '/')
		db_path = p;
	if (r != NULL) {
		errno = 0;
		v = strtol(r, &end, 10);
		if (errno == 0 && *end == '\0' && v >= 0 && v <= 60000)
			recheck_ms = v;
	}
}

static long long
now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC_COARSE, &ts) != 0)
		return 0;
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A struct with refs 0: from the spare list, or new. */
static struct mapping *
struct_get(void)
{
	struct mapping *m;

	pthread_mutex_lock(&spare_lock);
	if ((m = spare) != NULL)
		spare = m->next_spare;
	pthread_mutex_unlock(&spare_lock);
	return m != NULL ? m : calloc(1, sizeof(*m));
}

static void
struct_put(struct mapping *m)
{
	pthread_mutex_lock(&spare_lock);
	m->next_spare = spare;
	spare = m;
	pthread_mutex_unlock(&spare_lock);
}

static void
release(struct mapping *m)
{
	if (m != NULL && atomic_fetch_sub(&m->refs, 1) == 1) {
		munmap(m->base, m->len);
		struct_put(m);
	}
}

static int
same_file(const struct mapping *m, const struct stat *st)
{
	return m != NULL && m->dev == st->st_dev && m->ino == st->st_ino &&
	    m->size == st->st_size &&
	    m->mtim.tv_sec == st->st_mtim.tv_sec &&
	    m->mtim.tv_nsec == st->st_mtim.tv_nsec &&
	    m->ctim.tv_sec == st->st_ctim.tv_sec &&
	    m->ctim.tv_nsec == st->st_ctim.tv_nsec;
}

/* Open, check and map the database; NULL when it is not usable. */
static struct mapping *
load(void)
{
	struct mapping *m = NULL;
	struct stat st;
	void *base = MAP_FAILED;
	int fd;

	if ((fd = open(db_path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
		goto out;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (st.st_uid != 0 && st.st_uid != geteuid()) ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)) != 0 || st.st_size <= 0 ||
	    (uint64_t)st.st_size > MTLS_DB_MAX_SIZE)
		goto out;
	base = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED)
		goto out;
	/* Only refs is read through stale pointers; it stays 0 until the end. */
	if ((m = struct_get()) == NULL)
		goto out;
	if (mtls_db_open(&m->db, base, (size_t)st.st_size) != 0) {
		struct_put(m);
		m = NULL;
		goto out;
	}
	m->base = base;
	m->len = (size_t)st.st_size;
	m->dev = st.st_dev;
	m->ino = st.st_ino;
	m->size = st.st_size;
	m->mtim = st.st_mtim;
	m->ctim = st.st_ctim;
	atomic_store(&m->refs, 1);	/* held by `current` once published */
	base = MAP_FAILED;
 out:
	if (base != MAP_FAILED)
		munmap(base, (size_t)st.st_size);
	if (fd >= 0)
		close(fd);
	return m;
}

/*
 * At most once per recheck_ms, and by one thread: follow a replaced file.
 * While there is a mapping, the other threads go on with it (trylock);
 * without one, they wait for the thread that is loading.
 */
static void
maybe_reload(void)
{
	struct mapping *old, *m;
	struct stat st;
	long long now = now_ms(), last = atomic_load(&last_check_ms);

	if (last >= 0 && now - last < recheck_ms)
		return;
	if (atomic_load(&current) == NULL)
		pthread_mutex_lock(&reload_lock);
	else if (pthread_mutex_trylock(&reload_lock) != 0)
		return;
	last = atomic_load(&last_check_ms);
	if (last >= 0 && now - last < recheck_ms)
		goto out;
	old = atomic_load(&current);
	if (stat(db_path, &st) != 0 || !same_file(old, &st)) {
		m = load();
		atomic_store(&current, m);
		release(old);	/* `current`'s reference */
	}
	/* only now: a thread that saw the old time waited for this */
	atomic_store(&last_check_ms, now);
 out:
	pthread_mutex_unlock(&reload_lock);
}

/* A reference to the current mapping, or NULL (UNAVAIL). */
static struct mapping *
acquire(void)
{
	struct mapping *m;
	long r;

	pthread_once(&once, init_once);
	maybe_reload();
	for (;;) {
		if ((m = atomic_load(&current)) == NULL)
			return NULL;
		r = atomic_load(&m->refs);
		while (r > 0)
			if (atomic_compare_exchange_weak(&m->refs, &r, r + 1))
				return m;
		/* released meanwhile: `current` is already another one */
	}
}

/* ---- filling the caller's structs ------------------------------------ */

struct packer {
	char	*p;
	size_t	 left;
};

/* Copy s into the buffer; NULL when it does not fit (ERANGE). */
static char *
pack(struct packer *k, const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = k->p;

	if (n > k->left)
		return NULL;
	memcpy(d, s, n);
	k->p += n;
	k->left -= n;
	return d;
}

static enum nss_status
fill_pw(const struct mtls_db_user *u, struct passwd *pw, char *buf,
    size_t len, int *errnop)
{
	struct packer k = { buf, buf != NULL ? len : 0 };

	/* "*": no password here and none in shadow (pam_unix's account
	 * phase looks for a shadow entry only behind "x") */
	if ((pw->pw_name = pack(&k, u->name)) == NULL ||
	    (pw->pw_passwd = pack(&k, "*")) == NULL ||
	    (pw->pw_gecos = pack(&k, u->gecos)) == NULL ||
	    (pw->pw_dir = pack(&k, u->home)) == NULL ||
	    (pw->pw_shell = pack(&k, u->shell)) == NULL) {
		*errnop = ERANGE;
		return NSS_STATUS_TRYAGAIN;
	}
	pw->pw_uid = u->uid;
	pw->pw_gid = u->gid;
	return NSS_STATUS_SUCCESS;
}

static enum nss_status
fill_gr(const struct mtls_db *db, const struct mtls_db_group *g,
    struct group *gr, char *buf, size_t len, int *errnop)
{
	struct packer k = { buf, buf != NULL ? len : 0 };
	size_t pad, need;
	const char *name;
	char **mem;
	uint32_t i;

	/* the member array first, aligned for pointers */
	pad = (sizeof(char *) - (uintptr_t)k.p % sizeof(char *)) %
	    sizeof(char *);
	need = pad + ((size_t)g->n_members + 1) * sizeof(char *);
	if (need > k.left)
		goto erange;
	mem = (char **)(void *)(k.p + pad);
	k.p += need;
	k.left -= need;
	if ((gr->gr_name = pack(&k, g->name)) == NULL ||
	    (gr->gr_passwd = pack(&k, "x")) == NULL)
		goto erange;
	for (i = 0; i < g->n_members; i++) {
		if (mtls_db_group_member(db, g, i, &name) != 0) {
			*errnop = ENOENT;
			return NSS_STATUS_UNAVAIL;
		}
		if ((mem[i] = pack(&k, name)) == NULL)
			goto erange;
	}
	mem[i] = NULL;
	gr->gr_mem = mem;
	gr->gr_gid = g->gid;
	return NSS_STATUS_SUCCESS;
 erange:
	*errnop = ERANGE;
	return NSS_STATUS_TRYAGAIN;
}

/* The one place where reader codes become NSS statuses. */
static enum nss_status
status_of(int r, int *errnop)
{
	switch (r) {
	case 0:
		return NSS_STATUS_SUCCESS;
	case MTLS_E_NOT_FOUND:
		*errnop = ENOENT;
		return NSS_STATUS_NOTFOUND;
	default:
		*errnop = ENOENT;	/* the next source may answer */
		return NSS_STATUS_UNAVAIL;
	}
}

/* ---- passwd ------------------------------------------------------------ */

static enum nss_status
pw_lookup(const char *name, uint32_t uid, int by_name, struct passwd *pw,
    char *buf, size_t len, int *errnop)
{
	struct mtls_db_user u;
	struct mapping *m;
	enum nss_status st;
	int r;

	if ((m = acquire()) == NULL)
		return status_of(MTLS_E_CORRUPT, errnop);
	r = by_name ? mtls_db_user_by_name(&m->db, name, &u) :
	    mtls_db_user_by_uid(&m->db, uid, &u);
	st = r == 0 ? fill_pw(&u, pw, buf, len, errnop) : status_of(r, errnop);
	release(m);
	return st;
}

NSS_EXPORT enum nss_status
_nss_mtls_getpwnam_r(const char *name, struct passwd *pw, char *buf,
    size_t len, int *errnop)
{
	return pw_lookup(name, 0, 1, pw, buf, len, errnop);
}

NSS_EXPORT enum nss_status
_nss_mtls_getpwuid_r(uid_t uid, struct passwd *pw, char *buf, size_t len,
    int *errnop)
{
	if ((uint64_t)uid > UINT32_MAX - 1) {
		*errnop = ENOENT;
		return NSS_STATUS_NOTFOUND;
	}
	return pw_lookup(NULL, (uint32_t)uid, 0, pw, buf, len, errnop);
}

/* Enumeration state: one per database, under its own mutex. */
struct ent {
	pthread_mutex_t	 lock;
	struct mapping	*m;
	uint32_t	 next;
};

static struct ent pw_ent = { PTHREAD_MUTEX_INITIALIZER, NULL, 0 };
static struct ent gr_ent = { PTHREAD_MUTEX_INITIALIZER, NULL, 0 };

static enum nss_status
ent_set(struct ent *e)
{
	enum nss_status st;

	pthread_mutex_lock(&e->lock);
	release(e->m);
	e->m = acquire();
	e->next = 0;
	st = e->m != NULL ? NSS_STATUS_SUCCESS : NSS_STATUS_UNAVAIL;
	pthread_mutex_unlock(&e->lock);
	return st;
}

static enum nss_status
ent_end(struct ent *e)
{
	pthread_mutex_lock(&e->lock);
	release(e->m);
	e->m = NULL;
	e->next = 0;
	pthread_mutex_unlock(&e->lock);
	return NSS_STATUS_SUCCESS;
}

/* The next user (pw set) or group (gr set) of an enumeration. */
static enum nss_status
ent_next(struct ent *e, struct passwd *pw, struct group *gr, char *buf,
    size_t len, int *errnop)
{
	struct mtls_db_user u;
	struct mtls_db_group g;
	enum nss_status st;
	int r;

	pthread_mutex_lock(&e->lock);
	if (e->m == NULL && (e->m = acquire()) == NULL) {
		st = status_of(MTLS_E_CORRUPT, errnop);
		goto out;
	}
	if (e->next >= (pw != NULL ? e->m->db.n_users : e->m->db.n_groups)) {
		st = status_of(MTLS_E_NOT_FOUND, errnop);
		goto out;
	}
	r = pw != NULL ? mtls_db_user_at(&e->m->db, e->next, &u) :
	    mtls_db_group_at(&e->m->db, e->next, &g);
	if (r != 0) {
		st = status_of(r, errnop);
		goto out;
	}
	st = pw != NULL ? fill_pw(&u, pw, buf, len, errnop) :
	    fill_gr(&e->m->db, &g, gr, buf, len, errnop);
	/* on ERANGE the same entry is offered again with a larger buffer */
	if (st == NSS_STATUS_SUCCESS)
		e->next++;
 out:
	pthread_mutex_unlock(&e->lock);
	return st;
}

NSS_EXPORT enum nss_status
_nss_mtls_setpwent(int stayopen)
{
	(void)stayopen;
	return ent_set(&pw_ent);
}

NSS_EXPORT enum nss_status
_nss_mtls_endpwent(void)
{
	return ent_end(&pw_ent);
}

NSS_EXPORT enum nss_status
_nss_mtls_getpwent_r(struct passwd *pw, char *buf, size_t len, int *errnop)
{
	return ent_next(&pw_ent, pw, NULL, buf, len, errnop);
}

/* ---- group ------------------------------------------------------------- */

static enum nss_status
gr_lookup(const char *name, uint32_t gid, int by_name, struct group *gr,
    char *buf, size_t len, int *errnop)
{
	struct mtls_db_group g;
	struct mapping *m;
	enum nss_status st;
	int r;

	if ((m = acquire()) == NULL)
		return status_of(MTLS_E_CORRUPT, errnop);
	r = by_name ? mtls_db_group_by_name(&m->db, name, &g) :
	    mtls_db_group_by_gid(&m->db, gid, &g);
	st = r == 0 ? fill_gr(&m->db, &g, gr, buf, len, errnop) :
	    status_of(r, errnop);
	release(m);
	return st;
}

NSS_EXPORT enum nss_status
_nss_mtls_getgrnam_r(const char *name, struct group *gr, char *buf,
    size_t len, int *errnop)
{
	return gr_lookup(name, 0, 1, gr, buf, len, errnop);
}

NSS_EXPORT enum nss_status
_nss_mtls_getgrgid_r(gid_t gid, struct group *gr, char *buf, size_t len,
    int *errnop)
{
	if ((uint64_t)gid > UINT32_MAX - 1) {
		*errnop = ENOENT;
		return NSS_STATUS_NOTFOUND;
	}
	return gr_lookup(NULL, (uint32_t)gid, 0, gr, buf, len, errnop);
}

NSS_EXPORT enum nss_status
_nss_mtls_setgrent(int stayopen)
{
	(void)stayopen;
	return ent_set(&gr_ent);
}

NSS_EXPORT enum nss_status
_nss_mtls_endgrent(void)
{
	return ent_end(&gr_ent);
}

NSS_EXPORT enum nss_status
_nss_mtls_getgrent_r(struct group *gr, char *buf, size_t len, int *errnop)
{
	return ent_next(&gr_ent, NULL, gr, buf, len, errnop);
}

/* ---- initgroups --------------------------------------------------------- */

/* Append gid to the caller's array unless present; 0, or -1 (no memory). */
static int
add_gid(gid_t gid, long *start, long *size, gid_t **groupsp, long limit)
{
	gid_t *g = *groupsp, *ng;
	long i, nsize;

	for (i = 0; i < *start; i++)
		if (g[i] == gid)
			return 0;
	if (*start == *size) {
		if (limit > 0 && *size >= limit)
			return 0;	/* full: glibc's limit, not an error */
		nsize = *size > 0 ? *size * 2 : 16;
		if (limit > 0 && nsize > limit)
			nsize = limit;
		if ((ng = realloc(g, (size_t)nsize * sizeof(*ng))) == NULL)
			return -1;
		*groupsp = g = ng;
		*size = nsize;
	}
	g[(*start)++] = gid;
	return 0;
}

NSS_EXPORT enum nss_status
_nss_mtls_initgroups_dyn(const char *user, gid_t group, long *start,
    long *size, gid_t **groupsp, long limit, int *errnop)
{
	struct mapping *m;
	enum nss_status st = NSS_STATUS_NOTFOUND;
	uint32_t n, h, i, gid;
	int r;

	if ((m = acquire()) == NULL)
		return status_of(MTLS_E_CORRUPT, errnop);
	if ((r = mtls_db_memberships(&m->db, user, &n, &h)) != 0) {
		st = status_of(r, errnop);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((r = mtls_db_membership_gid(&m->db, h, i, &gid)) != 0) {
			st = status_of(r, errnop);
			goto out;
		}
		if ((gid_t)gid == group)
			continue;
		if (add_gid((gid_t)gid, start, size, groupsp, limit) != 0) {
			*errnop = ENOMEM;
			st = NSS_STATUS_TRYAGAIN;
			goto out;
		}
		st = NSS_STATUS_SUCCESS;
	}
	if (st == NSS_STATUS_NOTFOUND)
		*errnop = ENOENT;
 out:
	release(m);
	return st;
}
