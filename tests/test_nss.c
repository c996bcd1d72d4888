/*
 * test_nss.c - libnss_mtls.so.2 called as glibc calls it (dlopen and the
 * _nss_mtls_* symbols): lookups, ERANGE at every buffer length,
 * enumeration not reset by point lookups, UNAVAIL for a missing,
 * truncated, corrupt, writable or wrongly owned database, 8 threads
 * looking up while the database is replaced 1,000 times, and a process
 * looking up while the file is truncated and rewritten in place, which
 * must never die of a signal nor get an answer that is not whole.
 * Each test runs twice: with the database kept whole, and read a block
 * at a time on demand (as a large one is).
 *
 * NSS_MTLS names the module.  The module reads MTLS_NSS_DB (set here to a
 * file of the test's), MTLS_NSS_RECHECK_MS=0 (look at the file on every
 * call) and MTLS_NSS_COPY_MAX once, so each test runs in its own process
 * (libcheck's fork mode).
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "testlib.h"

#include "db.h"
#include "nss_mtls.h"

#define NROWS(a)	((int)(sizeof(a) / sizeof((a)[0])))

static struct {
	__typeof__(_nss_mtls_getpwnam_r)	*getpwnam_r;
	__typeof__(_nss_mtls_getpwuid_r)	*getpwuid_r;
	__typeof__(_nss_mtls_setpwent)		*setpwent;
	__typeof__(_nss_mtls_getpwent_r)	*getpwent_r;
	__typeof__(_nss_mtls_endpwent)		*endpwent;
	__typeof__(_nss_mtls_getgrnam_r)	*getgrnam_r;
	__typeof__(_nss_mtls_getgrgid_r)	*getgrgid_r;
	__typeof__(_nss_mtls_setgrent)		*setgrent;
	__typeof__(_nss_mtls_getgrent_r)	*getgrent_r;
	__typeof__(_nss_mtls_endgrent)		*endgrent;
	__typeof__(_nss_mtls_initgroups_dyn)	*initgroups_dyn;
} m;

static char dir[64], dbpath[128];

static void
load_module(void)
{
	const char *so = getenv("NSS_MTLS");
	void *h;

	ck_assert_ptr_nonnull(so);
	h = dlopen(so, RTLD_NOW | RTLD_LOCAL);
	ck_assert_msg(h != NULL, "%s", dlerror());
#define SYM(n) ck_assert_ptr_nonnull(*(void **)&m.n = dlsym(h, "_nss_mtls_" #n))
	SYM(getpwnam_r); SYM(getpwuid_r); SYM(setpwent); SYM(getpwent_r);
	SYM(endpwent); SYM(getgrnam_r); SYM(getgrgid_r); SYM(setgrent);
	SYM(getgrent_r); SYM(endgrent); SYM(initgroups_dyn);
#undef SYM
}

/*
 * Users u0..u(n-1), uid 1900000000+i, in groups g0 (u0 u1 u2) and g1
 * (u0); gecos tags the version.  alt lays the same users out in reverse
 * order with homes under /srvx (as long as /home): a file of the same
 * size in which every record sits elsewhere.
 */
static unsigned char *
db_bytes(uint32_t n, const char *tag, int alt, size_t *len)
{
	struct mtls_db_user_in *u = calloc(n, sizeof(*u));
	char (*names)[16] = calloc(n, 16), (*homes)[32] = calloc(n, 32);
	const char *mem[] = { "u0", "u1", "u2", "u0" };
	struct mtls_db_group_in g[] = {
		{ "g0", 1900000000, mem, 3 },
		{ "g1", 1900000001, mem, 1 },
		{ "g2", 1900000002, NULL, 0 },
	};
	unsigned char *buf = NULL;
	uint32_t i, k;

	for (i = 0; i < n; i++) {
		k = alt ? n - 1 - i : i;
		snprintf(names[i], 16, "u%u", k);
		snprintf(homes[i], 32, "%s/u%u", alt ? "/srvx" : "/home", k);
		u[i] = (struct mtls_db_user_in){ names[i], 1900000000 + k,
		    1900000000, tag, homes[i], "/bin/sh", NULL, 0 };
	}
	ck_assert_int_eq(mtls_db_build(u, n, g, NROWS(g), &buf, len), 0);
	free(u);
	free(names);
	free(homes);
	return buf;
}

/* Replace path by a new file of len bytes (renamed over it). */
static void
rename_bytes(const char *path, const unsigned char *buf, size_t len)
{
	char tmp[256];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	ck_assert_ptr_nonnull(f = fopen(tmp, "w"));
	ck_assert_uint_eq(fwrite(buf, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(tmp, 0644), 0);
	ck_assert_int_eq(rename(tmp, path), 0);
}

static void
write_db(const char *path, uint32_t n, const char *tag)
{
	unsigned char *buf;
	size_t len;

	buf = db_bytes(n, tag, 0, &len);
	rename_bytes(path, buf, len);
	free(buf);
}

static void
setup_with(const char *copy_max)
{
	char *d = tl_mkdtemp();

	snprintf(dir, sizeof(dir), "%s", d);
	free(d);
	snprintf(dbpath, sizeof(dbpath), "%s/identity.db", dir);
	setenv("MTLS_NSS_DB", dbpath, 1);
	setenv("MTLS_NSS_RECHECK_MS", "0", 1);
	setenv("MTLS_NSS_COPY_MAX", copy_max, 1);
	write_db(dbpath, 3, "A");
	load_module();
}

/* Every database kept whole, whatever its size. */
static void
setup(void)
{
	setup_with("2147483648");
}

/* Every database read a block at a time on demand. */
static void
setup_blocks(void)
{
	setup_with("0");
}

static void
teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

START_TEST(lookups)
{
	struct passwd pw;
	struct group gr;
	char buf[1024];
	int e = 0;

	ck_assert_int_eq(m.getpwnam_r("u1", &pw, buf, sizeof(buf), &e),
	    NSS_STATUS_SUCCESS);
	ck_assert_uint_eq(pw.pw_uid, 1900000001);
	ck_assert_uint_eq(pw.pw_gid, 1900000000);
	ck_assert_str_eq(pw.pw_name, "u1");
	ck_assert_str_eq(pw.pw_passwd, "*");
	ck_assert_str_eq(pw.pw_dir, "/home/u1");
	ck_assert_str_eq(pw.pw_shell, "/bin/sh");
	ck_assert_int_eq(m.getpwuid_r(1900000002, &pw, buf, sizeof(buf), &e),
	    NSS_STATUS_SUCCESS);
	ck_assert_str_eq(pw.pw_name, "u2");
	ck_assert_int_eq(m.getpwnam_r("root", &pw, buf, sizeof(buf), &e),
	    NSS_STATUS_NOTFOUND);
	ck_assert_int_eq(e, ENOENT);
	ck_assert_int_eq(m.getpwuid_r(0, &pw, buf, sizeof(buf), &e),
	    NSS_STATUS_NOTFOUND);
	ck_assert_int_eq(m.getpwuid_r((uid_t)-1, &pw, buf, sizeof(buf), &e),
	    NSS_STATUS_NOTFOUND);
	ck_assert_int_eq(m.getgrnam_r("g0", &gr, buf, sizeof(buf), &e),
	    NSS_STATUS_SUCCESS);
	ck_assert_uint_eq(gr.gr_gid, 1900000000);
	ck_assert_str_eq(gr.gr_mem[0], "u0");
	ck_assert_str_eq(gr.gr_mem[2], "u2");
	ck_assert_ptr_null(gr.gr_mem[3]);
	ck_assert_int_eq(m.getgrgid_r(1900000002, &gr, buf, sizeof(buf), &e),
	    NSS_STATUS_SUCCESS);
	ck_assert_str_eq(gr.gr_name, "g2");
	ck_assert_ptr_null(gr.gr_mem[0]);
	ck_assert_int_eq(m.getgrnam_r("users", &gr, buf, sizeof(buf), &e),
	    NSS_STATUS_NOTFOUND);
}
END_TEST

START_TEST(groups_of)
{
	gid_t *g = malloc(sizeof(gid_t));
	long start = 1, size = 1;
	int e = 0;

	g[0] = 1900000000;	/* the primary group, already there */
	ck_assert_int_eq(m.initgroups_dyn("u0", 1900000000, &start, &size, &g,
	    0, &e), NSS_STATUS_SUCCESS);
	ck_assert_int_eq(start, 2);
	ck_assert_uint_eq(g[1], 1900000001);
	/* the limit is honoured */
	start = 1;
	ck_assert_int_eq(m.initgroups_dyn("u0", 5, &start, &size, &g, 2, &e),
	    NSS_STATUS_SUCCESS);
	ck_assert_int_eq(start, 2);
	ck_assert_int_le(size, 2);
	start = 0;
	ck_assert_int_eq(m.initgroups_dyn("nobody", 5, &start, &size, &g, 0,
	    &e), NSS_STATUS_NOTFOUND);
	ck_assert_int_eq(start, 0);
	free(g);
}
END_TEST

/* Every buffer length from 0 to the needed size: ERANGE, then success. */
START_TEST(erange)
{
	struct passwd pw;
	struct group gr;
	char *buf;
	size_t len, need = 0;
	int e, st, ok;

	for (len = 0; len < 256; len++) {
		buf = len ? malloc(len) : NULL;	/* exact: ASan sees overruns */
		e = 0;
		st = m.getpwnam_r("u1", &pw, buf, len, &e);
		if (st == NSS_STATUS_SUCCESS) {
			need = need ? need : len;
			ck_assert_str_eq(pw.pw_dir, "/home/u1");
		} else {
			ck_assert_int_eq(st, NSS_STATUS_TRYAGAIN);
			ck_assert_int_eq(e, ERANGE);
			ck_assert_uint_eq(need, 0);
		}
		free(buf);
	}
	ck_assert_uint_eq(need, strlen("u1*1/home/u1/bin/sh") + 5);
	for (len = 0, ok = 0; len < 512; len++) {
		buf = len ? malloc(len) : NULL;
		st = m.getgrgid_r(1900000000, &gr, buf, len, &e);
		if (st == NSS_STATUS_SUCCESS) {
			ok++;
			ck_assert_str_eq(gr.gr_mem[1], "u1");
		} else {
			ck_assert_int_eq(st, NSS_STATUS_TRYAGAIN);
			ck_assert_int_eq(e, ERANGE);
			ck_assert_int_eq(ok, 0);
		}
		free(buf);
	}
	ck_assert_int_gt(ok, 0);
	/* getpwent offers the same entry again after ERANGE */
	ck_assert_int_eq(m.setpwent(0), NSS_STATUS_SUCCESS);
	ck_assert_int_eq(m.getpwent_r(&pw, NULL, 0, &e), NSS_STATUS_TRYAGAIN);
	ck_assert_int_eq(e, ERANGE);
	buf = malloc(256);
	ck_assert_int_eq(m.getpwent_r(&pw, buf, 256, &e), NSS_STATUS_SUCCESS);
	ck_assert_str_eq(pw.pw_name, "u0");
	free(buf);
	m.endpwent();
}
END_TEST

/* Point lookups in the middle of an enumeration do not reset it. */
START_TEST(enumeration)
{
	struct passwd pw, pw2;
	struct group gr;
	char buf[1024], buf2[1024];
	int e, i;

	ck_assert_int_eq(m.setpwent(0), NSS_STATUS_SUCCESS);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(m.getpwent_r(&pw, buf, sizeof(buf), &e),
		    NSS_STATUS_SUCCESS);
		ck_assert_uint_eq(pw.pw_uid, 1900000000 + (unsigned)i);
		ck_assert_int_eq(m.getpwnam_r("u0", &pw2, buf2, sizeof(buf2),
		    &e), NSS_STATUS_SUCCESS);
		ck_assert_int_eq(m.getpwuid_r(1900000002, &pw2, buf2,
		    sizeof(buf2), &e), NSS_STATUS_SUCCESS);
		ck_assert_int_eq(m.getgrgid_r(1900000000, &gr, buf2,
		    sizeof(buf2), &e), NSS_STATUS_SUCCESS);
	}
	ck_assert_int_eq(m.getpwent_r(&pw, buf, sizeof(buf), &e),
	    NSS_STATUS_NOTFOUND);
	m.endpwent();
	/* a new enumeration starts over; groups likewise */
	ck_assert_int_eq(m.getpwent_r(&pw, buf, sizeof(buf), &e),
	    NSS_STATUS_SUCCESS);
	ck_assert_str_eq(pw.pw_name, "u0");
	m.endpwent();
	ck_assert_int_eq(m.setgrent(0), NSS_STATUS_SUCCESS);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(m.getgrent_r(&gr, buf, sizeof(buf), &e),
		    NSS_STATUS_SUCCESS);
		ck_assert_uint_eq(gr.gr_gid, 1900000000 + (unsigned)i);
		ck_assert_int_eq(m.getgrnam_r("g2", &gr, buf2, sizeof(buf2),
		    &e), NSS_STATUS_SUCCESS);
	}
	ck_assert_int_eq(m.getgrent_r(&gr, buf, sizeof(buf), &e),
	    NSS_STATUS_NOTFOUND);
	m.endgrent();
	/* an enumeration keeps its database when the file is replaced */
	ck_assert_int_eq(m.setpwent(0), NSS_STATUS_SUCCESS);
	write_db(dbpath, 5, "B");
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(m.getpwent_r(&pw, buf, sizeof(buf), &e),
		    NSS_STATUS_SUCCESS);
	ck_assert_str_eq(pw.pw_gecos, "A");
	ck_assert_int_eq(m.getpwent_r(&pw, buf, sizeof(buf), &e),
	    NSS_STATUS_NOTFOUND);
	m.endpwent();
	ck_assert_int_eq(m.getpwnam_r("u4", &pw, buf, sizeof(buf), &e),
	    NSS_STATUS_SUCCESS);
	ck_assert_str_eq(pw.pw_gecos, "B");
}
END_TEST

static int
pw_status(const char *name)
{
	struct passwd pw;
	char buf[1024];
	int e = 0;

	return m.getpwnam_r(name, &pw, buf, sizeof(buf), &e);
}

static char *
read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *p = malloc(1 << 20);

	ck_assert_ptr_nonnull(f);
	*len = fread(p, 1, 1 << 20, f);
	fclose(f);
	return p;
}

/* Write bytes over the database (a new file, renamed). */
static void
put_bytes(const void *d, size_t n, mode_t mode)
{
	char tmp[256];
	char *p;

	p = tl_write(dir, "new.db", d, n, mode);
	snprintf(tmp, sizeof(tmp), "%s", p);
	ck_assert_int_eq(rename(tmp, dbpath), 0);
	free(p);
}

START_TEST(unavailable)
{
	unsigned char *good;
	size_t len;
	char *p;
	struct group gr;
	char buf[256];
	long start = 0, size = 0;
	gid_t *g = NULL;
	int e;

	ck_assert_int_eq(pw_status("u0"), NSS_STATUS_SUCCESS);
	p = read_all(dbpath, &len);
	good = (unsigned char *)p;
	/* missing */
	ck_assert_int_eq(unlink(dbpath), 0);
	ck_assert_int_eq(pw_status("u0"), NSS_STATUS_UNAVAIL);
	ck_assert_int_eq(m.getgrnam_r("g0", &gr, buf, sizeof(buf), &e),
	    NSS_STATUS_UNAVAIL);
	ck_assert_int_eq(m.initgroups_dyn("u0", 0, &start, &size, &g, 0, &e),
	    NSS_STATUS_UNAVAIL);
	ck_assert_int_eq(m.setpwent(0), NSS_STATUS_UNAVAIL);
	m.endpwent();
	/* back */
	put_bytes(good, len, 0644);
	ck_assert_int_eq(pw_status("u0"), NSS_STATUS_SUCCESS);
	/* truncated */
	put_bytes(good, len / 2, 0644);
	ck_assert_int_eq(pw_status("u0"), NSS_STATUS_UNAVAIL);
	/* empty */
	put_bytes(good, 0, 0644);
	ck_assert_int_eq(pw_status("u0"), NSS_STATUS_UNAVAIL);
	/* one bit flipped */
	good[len - 10] ^= 4;
	put_bytes(good, len, 0644);
	ck_assert_int_eq(pw_status("u0"), NSS_STATUS_UNAVAIL);
	good[len - 10] ^= 4;
	/* writable by group, by others */
	put_bytes(good, len, 0664);
	ck_assert_int_eq(pw_status("u0"), NSS_STATUS_UNAVAIL);
	put_bytes(good, len, 0646);
	ck_assert_int_eq(pw_status("u0"), NSS_STATUS_UNAVAIL);
	/* owned by someone else (needs root to give it away) */
	put_bytes(good, len, 0644);
	ck_assert_int_eq(pw_status("u0"), NSS_STATUS_SUCCESS);
	if (geteuid() == 0) {
		ck_assert_int_eq(chown(dbpath, 65534, 65534), 0);
		ck_assert_int_eq(pw_status("u0"), NSS_STATUS_UNAVAIL);
	}
	/* a directory */
	ck_assert_int_eq(unlink(dbpath), 0);
	ck_assert_int_eq(mkdir(dbpath, 0755), 0);
	ck_assert_int_eq(pw_status("u0"), NSS_STATUS_UNAVAIL);
	ck_assert_int_eq(rmdir(dbpath), 0);
	put_bytes(good, len, 0644);
	ck_assert_int_eq(pw_status("u0"), NSS_STATUS_SUCCESS);
	free(p);
}
END_TEST

/* A FIFO where the database should be: UNAVAIL at once, never a lookup
 * that waits for a writer (the alarm fails the test instead). */
START_TEST(fifo)
{
	ck_assert_int_eq(unlink(dbpath), 0);
	ck_assert_int_eq(mkfifo(dbpath, 0644), 0);
	alarm(10);
	ck_assert_int_eq(pw_status("u0"), NSS_STATUS_UNAVAIL);
	alarm(0);
}
END_TEST

/* ---- threads against replacements -------------------------------------- */

#define NUSERS		200
/* MTLS_TEST_QUICK (make valgrind): fewer threads and replacements. */
#define QUICK		(getenv("MTLS_TEST_QUICK") != NULL)
#define NTHREADS	(QUICK ? 2 : 8)
#define NREPLACE	(QUICK ? 50 : 1000)

static atomic_int stop_flag;
static atomic_long n_lookups, n_bad;

static void *
reader(void *arg)
{
	struct passwd pw;
	struct group gr;
	char buf[512], name[16], home[32];
	unsigned x = (unsigned)(uintptr_t)arg * 7919u + 1;
	uint32_t i;
	int e, st;

	while (!atomic_load(&stop_flag)) {
		x = x * 1103515245u + 12345u;
		i = (x >> 8) % NUSERS;
		snprintf(name, sizeof(name), "u%u", i);
		snprintf(home, sizeof(home), "/home/u%u", i);
		if ((x & 1) != 0)
			st = m.getpwnam_r(name, &pw, buf, sizeof(buf), &e);
		else
			st = m.getpwuid_r(1900000000 + i, &pw, buf,
			    sizeof(buf), &e);
		/* every answer is whole and right: one version or the other */
		if (st != NSS_STATUS_SUCCESS || strcmp(pw.pw_name, name) != 0 ||
		    pw.pw_uid != 1900000000 + i ||
		    strcmp(pw.pw_dir, home) != 0 ||
		    (strcmp(pw.pw_gecos, "A") != 0 &&
		    strcmp(pw.pw_gecos, "B") != 0)) {
			if (atomic_fetch_add(&n_bad, 1) < 3)
				fprintf(stderr, "bad: %d %d %s\n", st, e, name);
		}
		if ((st = m.getpwnam_r("nosuchuser", &pw, buf, sizeof(buf),
		    &e)) != NSS_STATUS_NOTFOUND) {
			if (atomic_fetch_add(&n_bad, 1) < 3)
				fprintf(stderr, "bad miss: %d %d\n", st, e);
		}
		if ((st = m.getgrgid_r(1900000001, &gr, buf, sizeof(buf), &e))
		    != NSS_STATUS_SUCCESS || strcmp(gr.gr_name, "g1") != 0) {
			if (atomic_fetch_add(&n_bad, 1) < 3)
				fprintf(stderr, "bad group: %d %d\n", st, e);
		}
		atomic_fetch_add(&n_lookups, 1);
	}
	return NULL;
}

START_TEST(threads_replace)
{
	pthread_t t[8];
	int i;

	write_db(dbpath, NUSERS, "A");
	for (i = 0; i < NTHREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, reader,
		    (void *)(uintptr_t)i), 0);
	for (i = 0; i < NREPLACE; i++)
		write_db(dbpath, NUSERS, i % 2 ? "A" : "B");
	atomic_store(&stop_flag, 1);
	for (i = 0; i < NTHREADS; i++)
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
	long nl = atomic_load(&n_lookups), nb = atomic_load(&n_bad);

	ck_assert_int_gt(nl, NREPLACE);
	ck_assert_int_eq(nb, 0);
}
END_TEST

/*
 * Replacing the database costs no memory: a replaced mapping's struct is
 * reused, not leaked (it cannot be freed while a lookup may still be
 * reading it).  2,000 replacements would leak 384 KB otherwise.
 */
START_TEST(replacements_keep_memory)
{
	struct passwd pw;
	char buf[512];
	size_t before, after;
	int e, i;

	for (i = 0; i < 20; i++) {
		write_db(dbpath, 4, i % 2 ? "A" : "B");
		ck_assert_int_eq(m.getpwnam_r("u1", &pw, buf, sizeof(buf), &e),
		    NSS_STATUS_SUCCESS);
	}
	before = mallinfo2().uordblks;
	for (i = 0; i < 2000; i++) {
		write_db(dbpath, 4, i % 2 ? "A" : "B");
		ck_assert_int_eq(m.getpwnam_r("u1", &pw, buf, sizeof(buf), &e),
		    NSS_STATUS_SUCCESS);
		ck_assert_str_eq(pw.pw_gecos, i % 2 ? "A" : "B");
	}
	after = mallinfo2().uordblks;
	ck_assert_msg(after < before + 64 * 1024, "heap grew from %zu to %zu "
	    "bytes over 2000 replacements", before, after);
}
END_TEST

/* ---- the file changed in place under a looking-up process ------------- */

/*
 * A child looks users and groups up in a loop while the parent truncates
 * and rewrites the database in place, so that a SIGBUS kills the child,
 * not the test.  What they share lives in a shared anonymous mapping.
 */
#define INPLACE_USERS	500
#define INPLACE_ROUNDS	(QUICK ? 4 : 40)

struct shared {
	atomic_int	stop;
	atomic_long	lookups;	/* rounds of the child's loop */
	atomic_long	right;		/* whole answers of one version */
	atomic_long	unavail;	/* UNAVAIL or NOTFOUND */
	atomic_long	bad;		/* anything else */
	char		first_bad[128];
};

/* Whole and of one version: gecos A with /home, B with /srvx. */
static int
pw_right(const struct passwd *pw, uint32_t i)
{
	char name[16], home[32];

	snprintf(name, sizeof(name), "u%u", i);
	snprintf(home, sizeof(home), "%s/u%u",
	    strcmp(pw->pw_gecos, "B") == 0 ? "/srvx" : "/home", i);
	return strcmp(pw->pw_name, name) == 0 &&
	    pw->pw_uid == 1900000000 + i && pw->pw_gid == 1900000000 &&
	    strcmp(pw->pw_passwd, "*") == 0 &&
	    (strcmp(pw->pw_gecos, "A") == 0 ||
	    strcmp(pw->pw_gecos, "B") == 0) &&
	    strcmp(pw->pw_dir, home) == 0 && strcmp(pw->pw_shell, "/bin/sh") == 0;
}

static void
tally(struct shared *sh, int st, int right, const char *what)
{
	if (st == NSS_STATUS_SUCCESS && right)
		atomic_fetch_add(&sh->right, 1);
	else if (st == NSS_STATUS_UNAVAIL || st == NSS_STATUS_NOTFOUND)
		atomic_fetch_add(&sh->unavail, 1);
	else if (atomic_fetch_add(&sh->bad, 1) == 0)
		snprintf(sh->first_bad, sizeof(sh->first_bad), "%s: status %d",
		    what, st);
}

/* The child: every kind of lookup, forever; it never returns. */
static void
lookup_loop(struct shared *sh)
{
	struct passwd pw;
	struct group gr;
	char buf[1024];
	gid_t *g = malloc(16 * sizeof(gid_t));
	long start, size = 16;
	unsigned x = 12345;
	uint32_t i;
	int e, st;

	while (!atomic_load(&sh->stop)) {
		x = x * 1103515245u + 12345u;
		i = (x >> 8) % INPLACE_USERS;
		st = m.getpwuid_r(1900000000 + i, &pw, buf, sizeof(buf), &e);
		tally(sh, st, st == NSS_STATUS_SUCCESS && pw_right(&pw, i),
		    "getpwuid");
		snprintf(buf, sizeof(buf), "u%u", (x >> 4) % INPLACE_USERS);
		i = (x >> 4) % INPLACE_USERS;
		st = m.getpwnam_r(buf, &pw, buf + 16, sizeof(buf) - 16, &e);
		tally(sh, st, st == NSS_STATUS_SUCCESS && pw_right(&pw, i),
		    "getpwnam");
		st = m.getgrnam_r("g0", &gr, buf, sizeof(buf), &e);
		tally(sh, st, st == NSS_STATUS_SUCCESS && gr.gr_gid ==
		    1900000000 && strcmp(gr.gr_name, "g0") == 0 &&
		    gr.gr_mem[0] != NULL && strcmp(gr.gr_mem[0], "u0") == 0 &&
		    gr.gr_mem[1] != NULL && strcmp(gr.gr_mem[1], "u1") == 0 &&
		    gr.gr_mem[2] != NULL && strcmp(gr.gr_mem[2], "u2") == 0 &&
		    gr.gr_mem[3] == NULL, "getgrnam");
		start = 0;
		st = m.initgroups_dyn("u0", 5, &start, &size, &g, 0, &e);
		tally(sh, st, st == NSS_STATUS_SUCCESS && start == 2 &&
		    g[0] + g[1] == 2 * 1900000000u + 1, "initgroups");
		atomic_fetch_add(&sh->lookups, 1);
	}
	_exit(0);
}

/* Let the child look at the file as it is now for a few rounds. */
static void
settle(struct shared *sh, pid_t pid)
{
	long target = atomic_load(&sh->lookups) + 3;
	siginfo_t si;
	int i;

	for (i = 0; i < 20000 && atomic_load(&sh->lookups) < target; i++) {
		/* died: left to be reaped, and the test says so */
		si.si_pid = 0;
		if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG |
		    WNOWAIT) != 0 || si.si_pid != 0)
			return;
		usleep(50);
	}
}

static void
pwrite_all(int fd, const unsigned char *p, size_t n, off_t at)
{
	ck_assert_int_eq(pwrite(fd, p, n, at), (ssize_t)n);
}

/*
 * Turn the file holding from into one holding to (same length), through
 * the in-place operation op, stopping for the child at every step.
 */
static void
change_in_place(int op, const unsigned char *from, const unsigned char *to,
    size_t len, struct shared *sh, pid_t pid)
{
	unsigned char junk[4096];
	uint32_t users_off;
	size_t at;
	int fd;

	(void)from;
	memset(junk, 0xa5, sizeof(junk));
	if (op == 0) {
		/* cp new.db identity.db: O_TRUNC, then a block at a time */
		ck_assert_int_ge(fd = open(dbpath, O_WRONLY | O_TRUNC), 0);
		settle(sh, pid);
		for (at = 0; at < len; at += 4096) {
			pwrite_all(fd, to + at, len - at < 4096 ? len - at : 4096,
			    (off_t)at);
			settle(sh, pid);
		}
		ck_assert_int_eq(close(fd), 0);
		return;
	}
	ck_assert_int_ge(fd = open(dbpath, O_WRONLY), 0);
	switch (op) {
	case 1:		/* : > identity.db, then written */
		ck_assert_int_eq(ftruncate(fd, 0), 0);
		break;
	case 2:		/* cut in half, grown back with zeros */
		ck_assert_int_eq(ftruncate(fd, (off_t)len / 2), 0);
		settle(sh, pid);
		ck_assert_int_eq(ftruncate(fd, (off_t)len), 0);
		break;
	case 3:		/* cut inside the 100th user record */
		memcpy(&users_off, from + 48, 4);
		ck_assert_uint_lt(users_off + 32 * 100 + 13, len);
		ck_assert_int_eq(ftruncate(fd, users_off + 32 * 100 + 13), 0);
		break;
	case 4:		/* a block of the middle overwritten, same size */
		pwrite_all(fd, junk, sizeof(junk), (off_t)(len / 3));
		break;
	case 5:		/* the new file's tail first, then its head */
		pwrite_all(fd, to + len / 2, len - len / 2, (off_t)(len / 2));
		settle(sh, pid);
		pwrite_all(fd, to, len / 2, 0);
		break;
	}
	settle(sh, pid);
	pwrite_all(fd, to, len, 0);
	ck_assert_int_eq(close(fd), 0);
}

/* How often the child's module looks at the file, in milliseconds: on
 * every call, or it keeps what it loaded for a while. */
static const char *const recheck_rows[] = { "0", "100" };

START_TEST(changed_in_place)
{
	struct shared *sh;
	unsigned char *v[2];
	size_t len[2];
	pid_t pid;
	int round, op, cur = 0, status;

	v[0] = db_bytes(INPLACE_USERS, "A", 0, &len[0]);
	v[1] = db_bytes(INPLACE_USERS, "B", 1, &len[1]);
	/* the same size: only the content tells the versions apart */
	ck_assert_uint_eq(len[0], len[1]);
	rename_bytes(dbpath, v[0], len[0]);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(sh, MAP_FAILED);
	memset(sh, 0, sizeof(*sh));
	/* read once per process: the child's first lookup sees these */
	setenv("MTLS_NSS_RECHECK_MS", recheck_rows[_i], 1);
	ck_assert_int_ge(pid = fork(), 0);
	if (pid == 0)
		lookup_loop(sh);
	settle(sh, pid);
	for (round = 0; round < INPLACE_ROUNDS; round++) {
		for (op = 0; op <= 6; op++) {
			if (op == 6)	/* replaced by rename, as db build does */
				rename_bytes(dbpath, v[!cur], len[0]);
			else
				change_in_place(op, v[cur], v[!cur], len[0], sh,
				    pid);
			cur = !cur;
			settle(sh, pid);
		}
	}
	atomic_store(&sh->stop, 1);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(!WIFSIGNALED(status), "the looking-up process died of "
	    "signal %d (%s) after %ld rounds", WTERMSIG(status),
	    strsignal(WTERMSIG(status)), atomic_load(&sh->lookups));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	ck_assert_msg(atomic_load(&sh->bad) == 0, "%ld wrong answers; the "
	    "first: %s", atomic_load(&sh->bad), sh->first_bad);
	ck_assert_int_gt(atomic_load(&sh->lookups), INPLACE_ROUNDS * 7);
	ck_assert_int_gt(atomic_load(&sh->right), 0);
	free(v[0]);
	free(v[1]);
	munmap(sh, sizeof(*sh));
}
END_TEST

/*
 * The file changed in place under a snapshot the module keeps (it looks
 * at the file once a minute here).  A whole copy answers from what it
 * read; a snapshot read on demand finds the next block it lacks changed,
 * loads the file again and answers from the new one, or UNAVAIL when the
 * file is cut.  Never the mix of both, never a signal.
 */
START_TEST(rewritten_under_snapshot)
{
	unsigned char *a, *b;
	struct passwd pw;
	char buf[512];
	size_t len, blen;
	int fd, e, whole = strcmp(getenv("MTLS_NSS_COPY_MAX"), "0") != 0;

	setenv("MTLS_NSS_RECHECK_MS", "60000", 1);
	a = db_bytes(5000, "A", 0, &len);
	b = db_bytes(5000, "B", 1, &blen);
	ck_assert_uint_eq(len, blen);
	rename_bytes(dbpath, a, len);
	ck_assert_int_eq(m.getpwnam_r("u0", &pw, buf, sizeof(buf), &e),
	    NSS_STATUS_SUCCESS);
	ck_assert(pw_right(&pw, 0));
	/* the other version written over it, same size */
	ck_assert_int_ge(fd = open(dbpath, O_WRONLY), 0);
	pwrite_all(fd, b, len, 0);
	ck_assert_int_eq(m.getpwnam_r("u4999", &pw, buf, sizeof(buf), &e),
	    NSS_STATUS_SUCCESS);
	ck_assert(pw_right(&pw, 4999));
	ck_assert_str_eq(pw.pw_gecos, whole ? "A" : "B");
	/* cut inside the user records, then emptied */
	ck_assert_int_eq(ftruncate(fd, 5000), 0);
	ck_assert_int_eq(m.getpwnam_r("u2500", &pw, buf, sizeof(buf), &e),
	    whole ? NSS_STATUS_SUCCESS : NSS_STATUS_UNAVAIL);
	if (whole)
		ck_assert(pw_right(&pw, 2500) && strcmp(pw.pw_gecos, "A") == 0);
	ck_assert_int_eq(ftruncate(fd, 0), 0);
	ck_assert_int_eq(m.getpwuid_r(1900001250, &pw, buf, sizeof(buf), &e),
	    whole ? NSS_STATUS_SUCCESS : NSS_STATUS_UNAVAIL);
	if (whole)
		ck_assert(pw_right(&pw, 1250) && strcmp(pw.pw_gecos, "A") == 0);
	ck_assert_int_eq(close(fd), 0);
	free(a);
	free(b);
}
END_TEST

/* ---- the descriptor of a database read on demand ------------------------- */

/* The descriptor this process holds on the database, or -1. */
static int
db_fd(void)
{
	char link[64], target[256];
	ssize_t n;
	int fd;

	for (fd = 3; fd < 1024; fd++) {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		if ((n = readlink(link, target, sizeof(target) - 1)) <= 0)
			continue;
		target[n] = '\0';
		if (strcmp(target, dbpath) == 0)
			return fd;
	}
	return -1;
}

static void
expect_user(uint32_t i)
{
	struct passwd pw;
	char buf[512], name[16];
	int e = 0;

	snprintf(name, sizeof(name), "u%u", i);
	ck_assert_int_eq(m.getpwnam_r(name, &pw, buf, sizeof(buf), &e),
	    NSS_STATUS_SUCCESS);
	ck_assert_uint_eq(pw.pw_uid, 1900000000 + i);
}

/*
 * A program may close every descriptor it did not open, and open its own
 * files in their place: lookups go on (the snapshot is loaded again), and
 * the module never closes a descriptor that is no longer its own.
 */
START_TEST(descriptor_taken)
{
	struct stat st, null_st;
	int fd, nfd;

	/* 5,000 users: the record of each of these is in a block of its own,
	 * so that each lookup below reads a block */
	write_db(dbpath, 5000, "A");
	expect_user(0);
	ck_assert_int_ge(fd = db_fd(), 0);
	/* closed */
	ck_assert_int_eq(close(fd), 0);
	expect_user(4999);
	expect_user(2500);
	/* its number given to another file */
	ck_assert_int_ge(fd = db_fd(), 0);
	ck_assert_int_eq(close(fd), 0);
	ck_assert_int_eq(nfd = open("/dev/null", O_RDONLY), fd);
	ck_assert_int_eq(fstat(nfd, &null_st), 0);
	expect_user(1250);
	expect_user(3750);
	/* the snapshot that had the number is let go: /dev/null stays open */
	write_db(dbpath, 5000, "B");
	expect_user(1);
	ck_assert_int_eq(fstat(nfd, &st), 0);
	ck_assert(st.st_ino == null_st.st_ino && st.st_dev == null_st.st_dev);
	ck_assert_int_eq(close(nfd), 0);
}
END_TEST

/* A database kept whole holds no descriptor. */
START_TEST(no_descriptor_when_whole)
{
	unsetenv("MTLS_NSS_COPY_MAX");
	write_db(dbpath, NUSERS, "A");
	expect_user(1);
	ck_assert_int_eq(db_fd(), -1);
}
END_TEST

/* Bytes this process has read through read(2) and pread(2) so far. */
static unsigned long long
bytes_read(void)
{
	char line[128];
	unsigned long long v = 0;
	FILE *f = fopen("/proc/self/io", "r");

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "rchar: %llu", &v) == 1)
			break;
	fclose(f);
	return v;
}

/*
 * The first lookup of a process in a large database (100,000 users, with
 * the module's default of what it keeps whole) reads a few blocks, not
 * the file: no pass over it for a checksum.
 */
START_TEST(first_lookup_reads_little)
{
	struct stat st;
	unsigned long long before, after;

	unsetenv("MTLS_NSS_COPY_MAX");
	write_db(dbpath, 100000, "A");
	ck_assert_int_eq(stat(dbpath, &st), 0);
	ck_assert_int_gt(st.st_size, 4 * 1024 * 1024);
	before = bytes_read();
	expect_user(77777);
	after = bytes_read();
	ck_assert_uint_lt(after - before, 64 * 1024);
	before = after;
	expect_user(12345);
	ck_assert_uint_lt(bytes_read() - before, 64 * 1024);
}
END_TEST

/* The tests of a case: all of them, once with each kind of snapshot. */
static TCase *
module_case(const char *name, void (*fixture)(void))
{
	TCase *tc = tcase_create(name);

	tcase_add_checked_fixture(tc, fixture, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, lookups);
	tcase_add_test(tc, groups_of);
	tcase_add_test(tc, erange);
	tcase_add_test(tc, enumeration);
	tcase_add_test(tc, unavailable);
	tcase_add_test(tc, fifo);
	tcase_add_test(tc, threads_replace);
	tcase_add_test(tc, replacements_keep_memory);
	tcase_add_loop_test(tc, changed_in_place, 0, NROWS(recheck_rows));
	tcase_add_test(tc, rewritten_under_snapshot);
	return tc;
}

static Suite *
nss_suite(void)
{
	Suite *s = suite_create("nss");
	TCase *tc;

	/* the files here are small: kept whole by default */
	suite_add_tcase(s, module_case("whole", setup));
	suite_add_tcase(s, module_case("blocks", setup_blocks));
	tc = tcase_create("descriptors");
	tcase_add_checked_fixture(tc, setup_blocks, teardown);
	tcase_add_test(tc, descriptor_taken);
	tcase_add_test(tc, no_descriptor_when_whole);
	tcase_add_test(tc, first_lookup_reads_little);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tl_run(nss_suite());
}
