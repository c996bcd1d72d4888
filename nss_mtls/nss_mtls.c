/*
 * nss_mtls.c - libnss_mtls.so.2: passwd, group and initgroups from the
 * mtls identity database (see libnss_mtls(8), mtls-identity(5)).
 *
 * The module lives inside every process that looks up a user, so it
 * links libc alone, never prints, never exits, never allocates in a
 * lookup, and turns every problem with the database into UNAVAIL.
 *
 * It never maps the file.  A shared mapping turns the truncation of the
 * file in place (`cp new.db identity.db`, `: > identity.db`) into SIGBUS
 * at the caller's next access to a page past the new end, and lets bytes
 * change under a lookup; MAP_PRIVATE is no better for pages not yet
 * copied.  Instead the module reads the file with pread(2) into private
 * memory, "a snapshot":
 *
 * - A database of up to copy_max bytes (64 KiB, about 400 users) is
 *   read whole, every checksum checked, and kept read-only; nothing
 *   reads the file again.  Above that, reading it whole costs a fresh
 *   process more than the few blocks a lookup needs.
 * - Of a larger one a load reads the header's block and the sums of the
 *   block sums (8 bytes per 256 KiB of file), checks them, and keeps the
 *   descriptor (close-on-exec): no pass over the file, so the first
 *   lookup of a process costs the same at 1,000 users as at a million.
 *   A lookup reads a block of 4 KiB it needs on first use and checks it
 *   against the block sum the file carries (mtls_db_fill, db.h), so
 *   every byte a lookup uses is one a checksum covered.  A block that
 *   cannot be read whole (the file was truncated: pread comes back
 *   short) or no longer matches (it changed in place, or the program
 *   closed the descriptor) marks the snapshot dead: the lookup loads the
 *   file again and tries once more, else UNAVAIL.  Memory: the blocks
 *   used (a point lookup reads a handful, each with 512 bytes of sums), a
 *   byte a block of the file, and address space for the whole.
 *
 * Sharing the snapshot between threads without a lock on lookups:
 *
 * - `current` is an atomic pointer to the snapshot in use (NULL: no
 *   usable database).  A snapshot carries a count of references;
 *   `current` holds one.  A lookup takes another only while the count is
 *   not zero (a compare-and-swap loop, as in "get unless zero"), so a
 *   count that reached zero stays there: whoever brings it to zero is the
 *   only one that can, and frees the memory.  Replacing the database
 *   publishes the new snapshot and then drops `current`'s reference to
 *   the old one; lookups still using it finish first, and the last one
 *   frees it.  A lookup that loaded the old pointer too late finds the
 *   count at zero and loads `current` again.
 * - The small struct that carries the count is never freed (a late
 *   lookup may still read it); see `spare`.
 * - Whether the file changed is checked at most once a second
 *   (CLOCK_MONOTONIC_COARSE, read without a system call), by one thread
 *   (trylock); the others go on with the snapshot they have.  The check
 *   opens the file and compares its identity (device, inode, size,
 *   modification and change times) and its header, which carries the
 *   checksum, with the snapshot's: a file rewritten in place within one
 *   tick of the clock that stamps its times is still noticed.  In
 *   between, a lookup makes no system call but to read a block it lacks.
 * - Blocks are read under one mutex; a block is marked present (release)
 *   only once read and checked, and lookups read only present blocks.
 * - Enumeration (setpwent/getpwent_r/endpwent, and the group ones) keeps
 *   its own reference and position under its own mutex, so point lookups
 *   neither reset nor block it, and a replaced database does not shift it.
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

#define COPY_MAX	(64 * 1024)	/* bytes of a database kept whole */

struct snapshot {
	atomic_long	 refs;		/* `current`'s one, and lookups' */
	unsigned char	*base;		/* private memory, len bytes */
	size_t		 len;
	struct mtls_db	 db;
	dev_t		 dev;
	ino_t		 ino;
	off_t		 size;
	struct timespec	 mtim, ctim;
	/* read on demand; otherwise fd is -1 and present NULL */
	int		 fd;		/* under fetch_lock */
	atomic_uchar	*present;	/* block read and checked (db.h) */
	atomic_int	 dead;		/* a block could not be had */
	struct snapshot	*next_fd;	/* on the `with_fd` list */
	struct snapshot	*next_spare;	/* on the spare list */
};

static _Atomic(struct snapshot *) current;
/*
 * A replaced snapshot's struct is never freed: a lookup that loaded
 * `current` just before the replacement may still read its reference
 * count (and finds 0, and loads `current` again).  It goes to this list
 * instead, and the next load reuses it, so that replacing the database
 * costs no memory however often it happens.
 */
static struct snapshot *spare;
static pthread_mutex_t spare_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_llong last_check_ms = -1;
static pthread_mutex_t reload_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t fetch_lock = PTHREAD_MUTEX_INITIALIZER;
/*
 * The snapshots that hold a descriptor, under fetch_lock.  A program may
 * close descriptors it did not open (closefrom() before exec, or a
 * daemon tidying up), and the next open() reuses the number: when ours
 * returns a number one of these holds, that one lost it, and must
 * neither read from it nor close it.
 */
static struct snapshot *with_fd;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static const char *db_path = MTLS_ID_DB;
static long long recheck_ms = 1000;
static size_t copy_max = COPY_MAX;

/* The environment may move the database (tests); not in setuid programs. */
static void
init_once(void)
{
	const char *p = secure_getenv("MTLS_NSS_DB");
	const char *r = secure_getenv("MTLS_NSS_RECHECK_MS");
	const char *c = secure_getenv("MTLS_NSS_COPY_MAX");
	unsigned long long cv;
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
	if (c != NULL && c[0] >= '0' && c[0] <= '9') {
		errno = 0;
		cv = strtoull(c, &end, 10);
		if (errno == 0 && *end == '\0' && cv <= MTLS_DB_MAX_SIZE)
			copy_max = (size_t)cv;
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
static struct snapshot *
struct_get(void)
{
	struct snapshot *m;

	pthread_mutex_lock(&spare_lock);
	if ((m = spare) != NULL)
		spare = m->next_spare;
	pthread_mutex_unlock(&spare_lock);
	return m != NULL ? m : calloc(1, sizeof(*m));
}

static void
struct_put(struct snapshot *m)
{
	pthread_mutex_lock(&spare_lock);
	m->next_spare = spare;
	spare = m;
	pthread_mutex_unlock(&spare_lock);
}

/* n bytes at off, or -1 (an error, or the file ends first). */
static int
read_at(int fd, unsigned char *p, size_t n, off_t off)
{
	ssize_t r;

	while (n > 0) {
		if ((r = pread(fd, p, n, off)) < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
		off += r;
	}
	return 0;
}

/* Our open() returned fd: a snapshot that held the number lost it. */
static void
disown(int fd)
{
	struct snapshot *m;

	pthread_mutex_lock(&fetch_lock);
	for (m = with_fd; m != NULL; m = m->next_fd)
		if (m->fd == fd)
			m->fd = -1;
	pthread_mutex_unlock(&fetch_lock);
}

/*
 * Off the list, and its descriptor closed while it still is the file's:
 * a program that closed it may have the number for a file of its own.
 */
static void
drop_fd(struct snapshot *m)
{
	struct snapshot **pp;
	struct stat st;

	pthread_mutex_lock(&fetch_lock);
	for (pp = &with_fd; *pp != NULL; pp = &(*pp)->next_fd)
		if (*pp == m) {
			*pp = m->next_fd;
			break;
		}
	if (m->fd >= 0 && fstat(m->fd, &st) == 0 && st.st_dev == m->dev &&
	    st.st_ino == m->ino)
		close(m->fd);
	m->fd = -1;
	pthread_mutex_unlock(&fetch_lock);
}

static void
release(struct snapshot *m)
{
	if (m != NULL && atomic_fetch_sub(&m->refs, 1) == 1) {
		if (m->present != NULL)
			drop_fd(m);
		munmap(m->base, m->len);
		free(m->present);
		struct_put(m);
	}
}

/* The reader's fetch: the blocks of bytes [off, off + n) it lacks, each
 * read and checked (mtls_db_fill) under fetch_lock. */
static int
fetch(void *ctx, size_t off, size_t n)
{
	struct snapshot *m = ctx;
	int r = -1;

	pthread_mutex_lock(&fetch_lock);
	if (atomic_load(&m->dead) || m->fd < 0 ||
	    mtls_db_fill(&m->db, off, n) != 0) {
		atomic_store(&m->dead, 1);
		goto out;
	}
	r = 0;
 out:
	pthread_mutex_unlock(&fetch_lock);
	return r;
}

/* mtls_db_read_fn over the snapshot's descriptor (under fetch_lock, or
 * while the load still owns it). */
static int
read_fd(void *ctx, void *dst, size_t n, size_t off)
{
	struct snapshot *m = ctx;

	return m->fd < 0 ? -1 : read_at(m->fd, dst, n, (off_t)off);
}

/* A file the module may use: root's (or ours), not writable by others. */
static int
usable(const struct stat *st)
{
	return S_ISREG(st->st_mode) &&
	    (st->st_uid == 0 || st->st_uid == geteuid()) &&
	    (st->st_mode & (S_IWGRP | S_IWOTH)) == 0 &&
	    st->st_size >= MTLS_DB_HDR_SIZE &&
	    (uint64_t)st->st_size <= MTLS_DB_MAX_SIZE;
}

/*
 * A snapshot of the open file *fdp (whose fstat is st), or NULL when it
 * is not usable.  A snapshot read on demand takes the descriptor (*fdp
 * becomes -1); otherwise it stays the caller's.
 */
static struct snapshot *
load(int *fdp, const struct stat *st)
{
	struct snapshot *m = NULL;
	struct mtls_db_lazy lazy;
	size_t len;
	int ok = 0;

	if (!usable(st) || (m = struct_get()) == NULL)
		return NULL;
	/* Only refs is read through stale pointers; it stays 0 until the end. */
	len = (size_t)st->st_size;
	m->len = len;
	m->fd = -1;
	m->present = NULL;
	atomic_store(&m->dead, 0);
	/* address space: only the blocks read take memory */
	m->base = mmap(NULL, len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m->base == MAP_FAILED)
		goto out;
	if (len <= copy_max) {
		/* small: read whole, every sum checked, kept read-only */
		if (read_at(*fdp, m->base, len, 0) != 0 ||
		    mtls_db_open(&m->db, m->base, len) != 0)
			goto out;
		(void)mprotect(m->base, len, PROT_READ);
	} else {
		if ((m->present = calloc(mtls_db_nblocks(len),
		    sizeof(*m->present))) == NULL)
			goto out;
		m->fd = *fdp;
		lazy = (struct mtls_db_lazy){ m->present, MTLS_DB_BLOCK_SHIFT,
		    fetch, m };
		if (mtls_db_open_file(&m->db, m->base, len, &lazy, read_fd, m)
		    != 0)
			goto out;
	}
	m->dev = st->st_dev;
	m->ino = st->st_ino;
	m->size = st->st_size;
	m->mtim = st->st_mtim;
	m->ctim = st->st_ctim;
	atomic_store(&m->refs, 1);	/* held by `current` once published */
	if (m->present != NULL) {
		*fdp = -1;
		pthread_mutex_lock(&fetch_lock);
		m->next_fd = with_fd;
		with_fd = m;
		pthread_mutex_unlock(&fetch_lock);
	}
	ok = 1;
 out:
	if (!ok) {
		if (m->base != MAP_FAILED)
			munmap(m->base, len);
		free(m->present);
		struct_put(m);
		m = NULL;
	}
	return m;
}

/* Whether the open file fd (whose fstat is st) is the one m holds. */
static int
same_file(const struct snapshot *m, int fd, const struct stat *st)
{
	unsigned char hdr[MTLS_DB_HDR_SIZE];

	return m != NULL && m->dev == st->st_dev && m->ino == st->st_ino &&
	    m->size == st->st_size &&
	    m->mtim.tv_sec == st->st_mtim.tv_sec &&
	    m->mtim.tv_nsec == st->st_mtim.tv_nsec &&
	    m->ctim.tv_sec == st->st_ctim.tv_sec &&
	    m->ctim.tv_nsec == st->st_ctim.tv_nsec &&
	    read_at(fd, hdr, sizeof(hdr), 0) == 0 &&
	    memcmp(hdr, m->base, sizeof(hdr)) == 0;
}

/*
 * At most once per recheck_ms, and by one thread: follow a changed file.
 * While there is a live snapshot, the other threads go on with it
 * (trylock); without one, or when it died, they wait for the thread
 * that is loading.
 */
static void
maybe_reload(void)
{
	struct snapshot *old, *m = NULL;
	struct stat st;
	long long now = now_ms(), last = atomic_load(&last_check_ms);
	int fd = -1, dead;

	old = atomic_load(&current);
	dead = old != NULL && atomic_load(&old->dead);
	if (!dead && last >= 0 && now - last < recheck_ms)
		return;
	if (old == NULL || dead)
		pthread_mutex_lock(&reload_lock);
	else if (pthread_mutex_trylock(&reload_lock) != 0)
		return;
	old = atomic_load(&current);
	dead = old != NULL && atomic_load(&old->dead);
	last = atomic_load(&last_check_ms);
	if (!dead && last >= 0 && now - last < recheck_ms)
		goto out;
	/* O_NONBLOCK: a FIFO there must not make the lookup wait */
	fd = open(db_path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 && (errno == EMFILE || errno == ENFILE) && old != NULL &&
	    !dead)
		goto checked;	/* out of descriptors: keep what we have */
	if (fd >= 0)
		disown(fd);
	if (fd >= 0 && fstat(fd, &st) == 0) {
		if (!dead && same_file(old, fd, &st))
			goto checked;
		m = load(&fd, &st);
	}
	atomic_store(&current, m);
	release(old);	/* `current`'s reference */
 checked:
	/* only now: a thread that saw the old time waited for this */
	atomic_store(&last_check_ms, now);
 out:
	if (fd >= 0)
		close(fd);
	pthread_mutex_unlock(&reload_lock);
}

/* A reference to the current snapshot, or NULL (UNAVAIL). */
static struct snapshot *
acquire(void)
{
	struct snapshot *m;
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

/* Whether a lookup that answered st should load the file again and
 * retry: a block of its snapshot could not be had. */
static int
died(struct snapshot *m, enum nss_status st)
{
	return st == NSS_STATUS_UNAVAIL && atomic_load(&m->dead);
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
	struct snapshot *m;
	enum nss_status st = NSS_STATUS_UNAVAIL;
	int r, again, tries;

	for (tries = 0; tries < 2; tries++) {
		if ((m = acquire()) == NULL)
			return status_of(MTLS_E_CORRUPT, errnop);
		r = by_name ? mtls_db_user_by_name(&m->db, name, &u) :
		    mtls_db_user_by_uid(&m->db, uid, &u);
		st = r == 0 ? fill_pw(&u, pw, buf, len, errnop) :
		    status_of(r, errnop);
		again = died(m, st);
		release(m);
		if (!again)
			break;
	}
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
	struct snapshot	*m;
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
	struct snapshot *m;
	enum nss_status st = NSS_STATUS_UNAVAIL;
	int r, again, tries;

	for (tries = 0; tries < 2; tries++) {
		if ((m = acquire()) == NULL)
			return status_of(MTLS_E_CORRUPT, errnop);
		r = by_name ? mtls_db_group_by_name(&m->db, name, &g) :
		    mtls_db_group_by_gid(&m->db, gid, &g);
		st = r == 0 ? fill_gr(&m->db, &g, gr, buf, len, errnop) :
		    status_of(r, errnop);
		again = died(m, st);
		release(m);
		if (!again)
			break;
	}
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

/* The gids of user's groups (but group) from the database of m. */
static enum nss_status
groups_of(struct snapshot *m, const char *user, gid_t group, long *start,
    long *size, gid_t **groupsp, long limit, int *errnop)
{
	enum nss_status st = NSS_STATUS_NOTFOUND;
	uint32_t n, h, i, gid;
	int r;

	if ((r = mtls_db_memberships(&m->db, user, &n, &h)) != 0)
		return status_of(r, errnop);
	for (i = 0; i < n; i++) {
		if ((r = mtls_db_membership_gid(&m->db, h, i, &gid)) != 0)
			return status_of(r, errnop);
		if ((gid_t)gid == group)
			continue;
		if (add_gid((gid_t)gid, start, size, groupsp, limit) != 0) {
			*errnop = ENOMEM;
			return NSS_STATUS_TRYAGAIN;
		}
		st = NSS_STATUS_SUCCESS;
	}
	if (st == NSS_STATUS_NOTFOUND)
		*errnop = ENOENT;
	return st;
}

NSS_EXPORT enum nss_status
_nss_mtls_initgroups_dyn(const char *user, gid_t group, long *start,
    long *size, gid_t **groupsp, long limit, int *errnop)
{
	struct snapshot *m;
	enum nss_status st = NSS_STATUS_UNAVAIL;
	int again, tries;

	/* a retry adds what the first try did not (add_gid skips the rest) */
	for (tries = 0; tries < 2; tries++) {
		if ((m = acquire()) == NULL)
			return status_of(MTLS_E_CORRUPT, errnop);
		st = groups_of(m, user, group, start, size, groupsp, limit,
		    errnop);
		again = died(m, st);
		release(m);
		if (!again)
			break;
	}
	return st;
}
